/*
 * server.c - the request pipeline on libmicrohttpd; see server.h.
 *
 * libmicrohttpd calls the access handler several times per request:
 *   1. first call: we allocate the http_request (arena inside) and return;
 *      answering now would make 0.9.75 close the connection;
 *   2. body calls: bytes are appended to the body, up to max_body_bytes
 *      (past it the request is marked and later answered 413);
 *   3. final call (no more body): route, run the handler, queue the response.
 * request_completed() frees the request and its arena: the only place
 * per-request memory is released.
 *
 * A handler may suspend its request (http_suspend) instead of answering:
 * the connection is parked, the worker thread serves others, and when
 * http_resume is called libmicrohttpd calls the access handler once more,
 * which sends the response the handler's continuation filled in.
 */
#include "server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_MAX_BODY  (1024u * 1024u)
#define REQUEST_ARENA_MAX (32u * 1024u * 1024u)

struct http_server {
    struct MHD_Daemon *daemon;
    const http_route *routes;
    void *app;
    size_t max_body;
    int port;
    http_auth_fn authenticate;
    void (*rejected)(http_request *req, http_response *res);
    void (*before_send)(http_request *req, http_response *res);
    /* requests from their first call until completion (answer sent or client gone); stopping
       waits for none to remain, as libmicrohttpd must not stop with one parked */
    atomic_int active;
    atomic_int stopping; /* requests arriving now are answered 503 and never parked */
};

typedef struct request_state {
    http_request req; /* first: http_suspend finds the state from the request */
    http_response res;
    pl_buf body;
    int too_large;
    int suspended; /* parked: the next call sends the continuation's response */
    http_server *srv;
} request_state;

/* ---- responses ---------------------------------------------------------- */

void http_header(http_response *res, const char *name, const char *value)
{
    if (res->nheaders < HTTP_HEADERS_MAX) {
        res->header_names[res->nheaders] = name;
        res->header_values[res->nheaders] = value;
        res->nheaders++;
    }
}

void http_json(http_response *res, int status, const char *json)
{
    res->status = status;
    res->content_type = "application/json";
    res->file_path = NULL;
    res->body.len = 0;
    if (pl_buf_puts(&res->body, json) != PL_OK) {
        res->status = 500;
        res->body.len = 0;
    }
}

int http_status_for(pl_status s)
{
    switch (s) {
    case PL_OK:
        return 200;
    case PL_INVALID:
        return 422;
    case PL_NOTFOUND:
        return 404;
    case PL_CONFLICT:
        return 409;
    case PL_LIMIT:
        return 413;
    case PL_BUSY:
        return 503;
    case PL_USAGE:
        return 400;
    case PL_STALE:
        return 412;
    default:
        return 500;
    }
}

static const char *status_title(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 428:
        return "Precondition Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 503:
        return "Service Unavailable";
    default:
        return status >= 500 ? "Internal Server Error" : "Error";
    }
}

void http_file(http_response *res, int status, const char *path, const char *content_type)
{
    res->status = status;
    res->file_path = path;
    res->content_type = content_type;
}

void http_problem(http_response *res, int status, const char *detail, const pl_err *err)
{
    json_object *o = json_object_new_object();
    char type[64];
    snprintf(type, sizeof type, "https://peerlink.dev/problems/%d", status);
    json_object_object_add(o, "type", json_object_new_string(type));
    json_object_object_add(o, "title", json_object_new_string(status_title(status)));
    json_object_object_add(o, "status", json_object_new_int(status));
    if (detail)
        json_object_object_add(o, "detail", json_object_new_string(detail));
    if (err && err->nfields > 0) {
        json_object *arr = json_object_new_array();
        for (int i = 0; i < err->nfields; i++) {
            json_object *f = json_object_new_object();
            json_object_object_add(f, "field", json_object_new_string(err->fields[i].field));
            json_object_object_add(f, "message", json_object_new_string(err->fields[i].message));
            json_object_array_add(arr, f);
        }
        json_object_object_add(o, "errors", arr);
    }
    http_json(
        res, status,
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    res->content_type = "application/problem+json";
    json_object_put(o);
}

/* ---- routing ------------------------------------------------------------ */

/* Matches path against a pattern; fills params with the {name} segments. */
static int route_match(const char *pattern, const char *path, http_request *req)
{
    const char *p = pattern, *s = path;
    int n = 0;
    const char *vals[HTTP_PATH_PARAMS_MAX];
    size_t lens[HTTP_PATH_PARAMS_MAX];
    while (*p && *s) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            size_t len = strcspn(s, "/");
            if (!close || len == 0 || n == HTTP_PATH_PARAMS_MAX)
                return 0;
            vals[n] = s;
            lens[n++] = len;
            p = close + 1;
            s += len;
        } else if (*p++ != *s++) {
            return 0;
        }
    }
    if (*p || *s)
        return 0;
    if (req) {
        for (int i = 0; i < n; i++)
            req->params[i] = pl_arena_strndup(&req->arena, vals[i], lens[i]);
        req->nparams = n;
    }
    return 1;
}

/* How many {name} segments a pattern has: the fewer, the more literal, the better a match. */
static int route_params(const char *pattern)
{
    int n = 0;
    for (const char *p = pattern; *p; p++)
        n += *p == '{';
    return n;
}

static void route_request(http_server *srv, request_state *st, http_response *res)
{
    http_request *req = &st->req;
    char allow[128] = "";
    /* HEAD is GET without the body, which libmicrohttpd leaves out by itself */
    const char *method = strcmp(req->method, "HEAD") == 0 ? "GET" : req->method;
    const http_route *best = NULL;
    for (const http_route *r = srv->routes; r->method; r++)
        if (strcmp(r->method, method) == 0 && route_match(r->path, req->path, NULL) &&
            (!best || route_params(r->path) < route_params(best->path)))
            best = r;
    for (const http_route *r = srv->routes; r->method; r++) {
        if (!route_match(r->path, req->path, NULL))
            continue;
        if (r == best) {
            route_match(r->path, req->path, req);
            req->route = r;
            if (st->too_large) {
                char detail[96];
                snprintf(detail, sizeof detail, "the request body is larger than %zu bytes",
                         srv->max_body);
                http_problem(res, 413, detail, NULL);
                return;
            }
            if (r->roles) {
                if (!srv->authenticate || !srv->authenticate(req, res))
                    return;
                if (!(r->roles & (1u << req->account.role))) {
                    http_problem(res, 403, "your role may not use this endpoint", NULL);
                    if (srv->rejected)
                        srv->rejected(req, res);
                    return;
                }
            }
            if (r->body_schema) {
                pl_err err;
                pl_err_clear(&err);
                int status = http_body_check(r->body_schema, http_header_get(req, "Content-Type"),
                                             req->body, req->body_len, &req->json, &err);
                if (status != 0) {
                    http_problem(res, status, err.message, &err);
                    if (srv->rejected && req->signed_in)
                        srv->rejected(req, res);
                    return;
                }
            }
            r->handler(req, res);
            return;
        }
        if (strcmp(r->method, method) != 0 && strstr(allow, r->method) == NULL) {
            size_t len = strlen(allow);
            snprintf(allow + len, sizeof allow - len, "%s%s", len ? ", " : "", r->method);
        }
    }
    if (allow[0]) {
        http_problem(res, 405, "this path does not accept that method", NULL);
        http_header(res, "Allow", pl_arena_strdup(&req->arena, allow));
    } else {
        http_problem(res, 404, "no such resource", NULL);
    }
}

/* ---- request accessors -------------------------------------------------- */

const char *http_header_get(const http_request *req, const char *name)
{
    if (req->if_match && strcasecmp(name, "If-Match") == 0)
        return req->if_match;
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_query_get(const http_request *req, const char *name)
{
    if (req->query_set) {
        for (int i = 0; i + 1 < 2 * req->nquery; i += 2)
            if (strcmp(req->query[i], name) == 0)
                return req->query[i + 1];
        return NULL;
    }
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

typedef struct query_each_ctx {
    void (*fn)(void *ctx, const char *name, const char *value);
    void *ctx;
} query_each_ctx;

static enum MHD_Result query_each_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    query_each_ctx *q = cls;
    q->fn(q->ctx, key, value);
    return MHD_YES;
}

void http_query_each(const http_request *req,
                     void (*fn)(void *ctx, const char *name, const char *value), void *ctx)
{
    query_each_ctx q = {fn, ctx};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, query_each_cb, &q);
}

const char *http_cookie_get(const http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

/* ---- libmicrohttpd callbacks -------------------------------------------- */

/* The response of a file: libmicrohttpd reads it as it sends (and closes it). */
static struct MHD_Response *file_response(http_response *res)
{
    int fd = open(res->file_path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        if (fd >= 0)
            close(fd);
        http_problem(res, 500, "the file of this answer could not be read", NULL);
        return NULL;
    }
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
    if (!r)
        close(fd);
    return r;
}

static enum MHD_Result send_response(struct MHD_Connection *c, http_response *res)
{
    struct MHD_Response *r = res->file_path ? file_response(res) : NULL;
    if (!r) {
        size_t len = res->body.len;
        char *data = pl_buf_steal(&res->body);
        r = MHD_create_response_from_buffer(len, data ? data : (char *)"",
                                            data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
        if (!r) {
            free(data);
            return MHD_NO;
        }
    }
    if (res->content_type)
        MHD_add_response_header(r, "Content-Type", res->content_type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    for (int i = 0; i < res->nheaders; i++)
        MHD_add_response_header(r, res->header_names[i], res->header_values[i]);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)res->status, r);
    MHD_destroy_response(r);
    return ret;
}

static void client_address(struct MHD_Connection *c, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = '\0';
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)n);
}

void http_suspend(http_request *req)
{
    request_state *st = (request_state *)req;
    st->suspended = 1;
    MHD_suspend_connection(req->conn);
}

void http_resume(http_request *req)
{
    MHD_resume_connection(req->conn);
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *c, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
    http_server *srv = cls;
    (void)version;
    request_state *st = *con_cls;
    if (!st) {
        st = calloc(1, sizeof *st);
        if (!st)
            return MHD_NO;
        pl_arena_init(&st->req.arena, REQUEST_ARENA_MAX);
        pl_buf_init(&st->body, srv->max_body);
        pl_buf_init(&st->res.body, 0);
        st->res.status = 200;
        st->srv = srv;
        atomic_fetch_add(&srv->active, 1);
        *con_cls = st;
        return MHD_YES;
    }
    if (st->suspended) {
        /* resumed: the continuation has filled the response */
        st->suspended = 0;
        if (st->req.finish)
            st->req.finish(&st->req, &st->res);
        if (srv->before_send)
            srv->before_send(&st->req, &st->res);
        return send_response(c, &st->res);
    }
    if (*upload_data_size > 0) {
        if (!st->too_large && pl_buf_append(&st->body, upload_data, *upload_data_size) != PL_OK)
            st->too_large = 1;
        *upload_data_size = 0;
        return MHD_YES;
    }
    http_request *req = &st->req;
    req->method = method;
    req->path = url;
    req->body = st->body.data;
    req->body_len = st->body.len;
    req->app = srv->app;
    req->conn = c;
    client_address(c, req->client_addr, sizeof req->client_addr);

    if (atomic_load(&srv->stopping)) {
        http_problem(&st->res, 503, "the server is shutting down; try again shortly", NULL);
        http_header(&st->res, "Connection", "close");
        http_header(&st->res, "Retry-After", "5");
        if (srv->before_send)
            srv->before_send(req, &st->res);
        return send_response(c, &st->res);
    }
    route_request(srv, st, &st->res);
    if (st->suspended)
        return MHD_YES;
    if (req->finish)
        req->finish(req, &st->res);
    if (srv->before_send)
        srv->before_send(req, &st->res);
    return send_response(c, &st->res);
}

static void request_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    request_state *st = *con_cls;
    if (!st)
        return;
    atomic_fetch_sub(&st->srv->active, 1); /* answered, or the client went away */
    if (st->req.json)
        json_object_put(st->req.json);
    pl_arena_free(&st->req.arena);
    pl_buf_free(&st->body);
    pl_buf_free(&st->res.body);
    free(st);
    *con_cls = NULL;
}

/* ---- lifecycle ---------------------------------------------------------- */

static pl_status parse_listen(const char *listen, struct sockaddr_in *sa, pl_err *err)
{
    char host[64];
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof host || colon == listen)
        return pl_err_set(err, PL_USAGE, "--listen must be HOST:PORT, e.g. 127.0.0.1:8080");
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535)
        return pl_err_set(err, PL_USAGE, "--listen port must be a number from 0 to 65535");
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return pl_err_set(err, PL_USAGE, "--listen host must be an IPv4 address such as 127.0.0.1");
    return PL_OK;
}

pl_status http_listen_check(const char *listen, pl_err *err)
{
    struct sockaddr_in sa;
    return parse_listen(listen, &sa, err);
}

pl_status http_server_start(const http_server_options *opt, const http_route *routes, void *app,
                            http_server **out, pl_err *err)
{
    struct sockaddr_in sa;
    pl_status s = parse_listen(opt->listen ? opt->listen : "127.0.0.1:8080", &sa, err);
    if (s != PL_OK)
        return s;
    http_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return pl_err_set(err, PL_NOMEM, "out of memory");
    srv->routes = routes;
    srv->app = app;
    srv->max_body = opt->max_body_bytes ? opt->max_body_bytes : DEFAULT_MAX_BODY;
    srv->authenticate = opt->authenticate;
    srv->rejected = opt->rejected;
    srv->before_send = opt->before_send;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads =
        opt->threads > 0 ? (unsigned)opt->threads : (unsigned)(cores > 0 ? cores : 1);
    srv->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                                       MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME,
                                   0, NULL, NULL, access_handler, srv, MHD_OPTION_SOCK_ADDR,
                                   (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, threads,
                                   MHD_OPTION_NOTIFY_COMPLETED, request_completed, srv,
                                   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                                   MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096, MHD_OPTION_END);
    if (!srv->daemon) {
        free(srv);
        return pl_err_set(err, PL_IO, "cannot listen on %s (address in use or not permitted)",
                          opt->listen);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = di ? di->port : ntohs(sa.sin_port);
    *out = srv;
    return PL_OK;
}

int http_server_port(const http_server *srv)
{
    return srv->port;
}

void http_server_stop(http_server *srv)
{
    if (!srv)
        return;
    /* stop accepting, refuse new requests, let those under way (parked on commits
       included) be answered */
    atomic_store(&srv->stopping, 1);
    MHD_quiesce_daemon(srv->daemon);
    for (int waited = 0; atomic_load(&srv->active) > 0 && waited < 30000; waited++) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    MHD_stop_daemon(srv->daemon);
    free(srv);
}
