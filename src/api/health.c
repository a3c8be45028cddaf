/*
 * health.c - GET /healthz: is the server up, and on what database.
 *
 * Answers version, backend, schema version, uptime and record counts, so
 * an operator (or the demo) sees at a glance that the data is there. It
 * reads no participant-level data, so it needs no login and no audit.
 * Counts are cached for HEALTH_COUNTS_SECONDS (counting 20 million rows
 * takes a while) and stamped with the time they were taken. One request at
 * a time counts, outside the lock; while it does, the others answer the last
 * counts at once (on PostgreSQL count(*) of a city-scale table takes seconds,
 * and a queue of health checks behind it starved the server's threads).
 */
#include <json-c/json.h>

#include "api.h"
#include "common.h"

#define HEALTH_COUNTS_SECONDS 5

void api_health_get(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_err err;
    pl_err_clear(&err);
    store_counts n;
    time_t now = time(NULL), at;
    pthread_mutex_lock(&app->counts_mu);
    /* the first counts are waited for by whoever asks; later ones by one request only */
    bool count =
        app->counts_at == 0 || (now - app->counts_at >= HEALTH_COUNTS_SECONDS && !app->counts_busy);
    if (count)
        app->counts_busy = true;
    n = app->counts;
    at = app->counts_at;
    pthread_mutex_unlock(&app->counts_mu);
    if (count) {
        pl_status st = store_counts_get(app->store, &n, &err);
        pthread_mutex_lock(&app->counts_mu);
        if (st == PL_OK) {
            app->counts = n;
            app->counts_at = at = now;
        }
        app->counts_busy = false;
        pthread_mutex_unlock(&app->counts_mu);
        if (st != PL_OK) {
            http_problem(res, 503, err.message, NULL);
            return;
        }
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_string("ok"));
    json_object_object_add(o, "version", json_object_new_string(PEERLINK_VERSION));
    json_object_object_add(o, "backend", json_object_new_string(store_backend_name(app->store)));
    json_object_object_add(o, "schema_version",
                           json_object_new_int(store_schema_version(app->store)));
    json_object_object_add(o, "uptime_seconds",
                           json_object_new_int64((int64_t)(time(NULL) - app->started_at)));
    json_object *c = json_object_new_object();
    json_object_object_add(c, "programs", json_object_new_int64(n.programs));
    json_object_object_add(c, "org_units", json_object_new_int64(n.org_units));
    json_object_object_add(c, "participants", json_object_new_int64(n.participants));
    json_object_object_add(c, "peer_leaders", json_object_new_int64(n.peer_leaders));
    json_object_object_add(c, "contacts", json_object_new_int64(n.contacts));
    json_object_object_add(c, "measurements", json_object_new_int64(n.measurements));
    json_object_object_add(c, "staff_accounts", json_object_new_int64(n.staff_accounts));
    json_object_object_add(o, "counts", c);
    json_object_object_add(o, "counts_at", api_json_time((pl_time)at));
    http_json(
        res, 200,
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}
