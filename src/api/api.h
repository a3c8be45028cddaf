/*
 * api.h - the JSON API: its application context and its route table.
 *
 * api_routes is the one declarative table of every endpoint (method, path,
 * handler, roles, body schema, summary). The HTTP server routes with it and
 * docs/openapi.yaml is checked against it by the tests.
 */
#ifndef PL_API_API_H
#define PL_API_API_H

#include <time.h>

#include "http/server.h"
#include "store/store.h"

typedef struct api_context {
    store *store;
    time_t started_at;
} api_context;

extern const http_route api_routes[];

/* handlers, one file per resource */
void api_health_get(http_request *req, http_response *res);

#endif
