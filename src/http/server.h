/*
 * server.h - the HTTP server: libmicrohttpd underneath, routes on top.
 *
 * The server knows nothing of peerlink's resources. It is started with a
 * table of http_route (method, path pattern, handler, roles, body schema,
 * summary) owned by the api layer, matches each request against it, and
 * calls the handler with an http_request whose memory all comes from one
 * arena. The arena is freed in one place: when libmicrohttpd reports the
 * request complete. Unknown paths answer 404 and known paths with another
 * method 405 (with Allow), both as application/problem+json (which the
 * before_send hook may turn into the application's own format). When
 * several patterns match a path, the one with the fewest {name} segments
 * wins (a literal "/fhir/Patient/$export" before "/fhir/Patient/{id}"),
 * then the first in the table.
 *
 * Threads: an internal epoll thread pool sized to the cores. Handlers run on
 * those threads and may block (e.g. in store_write until a commit is
 * durable).
 */
#ifndef PL_HTTP_SERVER_H
#define PL_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/domain.h"
#include "core/status.h"
#include "http/body.h"

#define HTTP_PATH_PARAMS_MAX 4
#define HTTP_HEADERS_MAX     8

typedef struct http_route http_route;

struct http_response;

typedef struct http_request {
    pl_arena arena; /* everything below is allocated here */
    const char *method;
    const char *path;
    const char *body; /* NUL-terminated; NULL when empty */
    size_t body_len;
    char client_addr[64];
    const http_route *route;
    const char *params[HTTP_PATH_PARAMS_MAX]; /* values of {name} segments, in order */
    int nparams;
    void *app;         /* the application context given to http_server_start */
    void *conn;        /* opaque: the libmicrohttpd connection */
    json_object *json; /* the checked body of a route with a schema; freed with the request */
    bool signed_in;    /* set by the authenticate hook */
    pl_staff_account account;
    unsigned char session_hash[32];
    void *scratch; /* the application's per-request cache (arena memory), NULL at first */
    /* query arguments the application set for an internal call to another handler: when
       query_set, http_query_get reads these name/value pairs instead of the URL's */
    bool query_set;
    const char *const *query;
    int nquery;
    /* an If-Match the application set for an internal call (a form's version): when set,
       http_header_get answers If-Match with it */
    const char *if_match;
    /* called once the response is final (after the handler, or after a suspended request
       was resumed) and before it is sent: lets a page turn a handler's JSON into HTML */
    void (*finish)(struct http_request *req, struct http_response *res);
    void *view; /* the web page's own state, kept across a suspension; NULL for the API */
} http_request;

typedef struct http_response {
    int status;
    const char *content_type; /* static or arena string */
    pl_buf body;
    const char *header_names[HTTP_HEADERS_MAX];
    const char *header_values[HTTP_HEADERS_MAX];
    int nheaders;
    /* when set (http_file), the response is this file's bytes instead of body */
    const char *file_path;
} http_response;

typedef void (*http_handler)(http_request *req, http_response *res);

struct http_route {
    const char *method; /* "GET", "POST", ... */
    const char *path;   /* "/api/v1/participants/{id}" */
    http_handler handler;
    uint32_t roles;                      /* bit per pl_role allowed; 0 = no login needed */
    const http_body_schema *body_schema; /* checked before the handler runs; NULL if none */
    const char *summary;                 /* one line for the OpenAPI document */
};

/*
 * Signs the request in (fills req->account, sets req->signed_in) and
 * returns true, or writes the 401 response and returns false.
 */
typedef bool (*http_auth_fn)(http_request *req, http_response *res);

typedef struct http_server http_server;

typedef struct http_server_options {
    const char *listen;        /* "127.0.0.1:8080"; port 0 picks a free one */
    int threads;               /* 0: one per core */
    size_t max_body_bytes;     /* 0: 1 MiB */
    http_auth_fn authenticate; /* called for routes with roles; required if any has them */
    /* told of every request the router itself refused after signing it in (role, body) */
    void (*rejected)(http_request *req, http_response *res);
    /* called with every response just before it is sent, the router's own refusals included
       (401, 403, 404, 405, 413, 503): lets the application answer them in its own format */
    void (*before_send)(http_request *req, http_response *res);
} http_server_options;

/* Checks a HOST:PORT listen address without binding it (PL_USAGE with a message if wrong). */
pl_status http_listen_check(const char *listen, pl_err *err);

/* routes: terminated by an entry with method NULL; must outlive the server. */
pl_status http_server_start(const http_server_options *opt, const http_route *routes, void *app,
                            http_server **out, pl_err *err);
/* The port actually bound (useful with port 0). */
int http_server_port(const http_server *srv);
/* Stops accepting, finishes the requests in flight, frees the server. NULL is ignored. */
void http_server_stop(http_server *srv);

/* ---- answering later ------------------------------------------------------
 * A handler that waits on something slow (a durable commit) calls
 * http_suspend() and returns without answering: the worker thread moves on
 * to other connections. Whoever finishes the work fills the handler's
 * http_response (it stays valid) and calls http_resume() from any thread;
 * the response is then sent. Stopping the server waits for suspended
 * requests to be resumed.
 */
void http_suspend(http_request *req);
void http_resume(http_request *req);

/* ---- reading requests --------------------------------------------------- */

/* A request header, query argument or cookie; NULL when absent. Valid for the request. */
const char *http_header_get(const http_request *req, const char *name);
const char *http_query_get(const http_request *req, const char *name);
const char *http_cookie_get(const http_request *req, const char *name);
/* Calls fn for each query argument in order (repeated names included); value may be NULL. */
void http_query_each(const http_request *req,
                     void (*fn)(void *ctx, const char *name, const char *value), void *ctx);

/* ---- writing responses -------------------------------------------------- */

/* Adds a response header; name and value must live until the response is sent (arena or static). */
void http_header(http_response *res, const char *name, const char *value);
/* Sends the file at path (arena or static string) as the body; the file is opened when the
 * response is queued, and a file that cannot be opened then answers 500. */
void http_file(http_response *res, int status, const char *path, const char *content_type);
/* Sets status and a JSON body (copies the text). */
void http_json(http_response *res, int status, const char *json);
/*
 * An RFC 9457 problem: type derived from the status, a title, a detail and
 * (from err, may be NULL) an "errors" array of {field, message}.
 */
void http_problem(http_response *res, int status, const char *detail, const pl_err *err);
/* Maps a pl_status to its HTTP status code. */
int http_status_for(pl_status s);

#endif
