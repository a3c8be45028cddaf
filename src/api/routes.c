/*
 * routes.c - every endpoint peerlink serves, in one table.
 *
 * Adding an endpoint is one line here plus its handler in the resource's
 * file and its entry in docs/openapi.yaml (a test fails when that is
 * missing). roles is a bit set of pl_role (0: no login needed).
 */
#include "api.h"

const http_route api_routes[] = {
    {"GET", "/healthz", api_health_get, 0, NULL,
     "Liveness and the database's version and record counts"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
