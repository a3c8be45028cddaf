/*
 * web.h - the web app: server-rendered HTML pages from the serve process.
 *
 * web_pages (pages.c) is the one declarative table of every page (method,
 * path, handler, roles, form schema, summary), in the style of the API's
 * route table. web_routes_new() turns it into http_route entries that all
 * dispatch through the web layer (sign-in by the pl_session cookie with a
 * redirect to /login, role check with an HTML 403, form parsing and the
 * CSRF check), followed by every API route, so `peerlink serve` hands one
 * table to the HTTP server. Pages read and write through the API's own
 * handlers (scope checks, audit and api_write included): see docs/WEB.md.
 */
#ifndef PL_WEB_WEB_H
#define PL_WEB_WEB_H

#include "api/api.h"

/* The pages and then api_routes, terminated like api_routes; free with web_routes_free(). */
pl_status web_routes_new(http_route **out, pl_err *err);
void web_routes_free(http_route *routes);

#endif
