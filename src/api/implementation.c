/*
 * implementation.c - implementation ratings and fidelity indicators
 * (docs/IMPLEMENTATION.md).
 *
 * A program rates its communities (or CHCs) on a list of features, one
 * score 1-5 each, per period; the level (low, medium, high) is derived by
 * core/implementation.h. Managers set the feature list; managers,
 * clinicians and evaluators rate. The objective indicators are computed
 * from the records of a unit's subtree for a period: contacts per
 * participant per month, minutes per contact, the key-function mix,
 * group sessions held and their attendance rate, in total and per peer
 * leader. Both are aggregates about the program's
 * delivery, not participant data, so evaluators see them as they are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "core/time.h"

#define ENTITY      "implementation_rating"
#define LEADERS_MAX 500
#define PERIOD_MAX  (3 * 366)
#define DAY_SECONDS 86400
#define MONTH_DAYS  30.4375

static json_object *features_json(pl_id program_id, const impl_feature *f, int n)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "program_id", json_object_new_int64(program_id));
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++) {
        json_object *x = json_object_new_object();
        json_object_object_add(x, "code", api_json_str(f[i].code));
        json_object_object_add(x, "label", api_json_str(f[i].label));
        json_object_array_add(arr, x);
    }
    json_object_object_add(o, "features", arr);
    return o;
}

void api_impl_features_get(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_id id;
    if (!api_program_visible(req, res, &id))
        return;
    impl_feature *f;
    int n;
    pl_err err;
    pl_err_clear(&err);
    if (store_impl_features_get(app->store, id, &req->arena, &f, &n, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    api_send(res, 200, features_json(id, f, n));
}

typedef struct features_ctx {
    pl_id program_id;
    impl_feature *items; /* request memory */
    int n;
} features_ctx;

static pl_status features_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                                pl_err *err)
{
    features_ctx *c = ctx;
    pl_status st = store_impl_features_put(tx, c->program_id, c->items, c->n, err);
    if (st == PL_OK)
        st = api_audit_tx(tx, req, "update", "implementation_features", c->program_id, 0, 200, err);
    if (st != PL_OK)
        return st;
    out->status = 200;
    out->body = api_json_text(req, features_json(c->program_id, c->items, c->n));
    return PL_OK;
}

void api_impl_features_put(http_request *req, http_response *res)
{
    features_ctx c;
    if (!api_program_visible(req, res, &c.program_id))
        return;
    int ncodes, nlabels;
    const char **codes = api_body_strings(req, "codes", &ncodes);
    const char **labels = api_body_strings(req, "labels", &nlabels);
    pl_err err;
    pl_err_clear(&err);
    if (ncodes < 1)
        pl_err_field(&err, "codes", "must name at least one feature");
    if (nlabels != ncodes)
        pl_err_field(&err, "labels", "must have one label per code (%d)", ncodes);
    for (int i = 0; i < ncodes; i++) {
        char field[32];
        snprintf(field, sizeof field, "codes[%d]", i);
        bool ok = codes[i][0] != '\0';
        for (const char *p = codes[i]; *p; p++)
            ok &= (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
        if (!ok)
            pl_err_field(&err, field, "must be lower-case letters, digits and _");
        for (int j = 0; j < i; j++)
            if (strcmp(codes[i], codes[j]) == 0)
                pl_err_field(&err, field, "repeats codes[%d]", j);
        if (i < nlabels && labels[i][strspn(labels[i], " ")] == '\0') {
            snprintf(field, sizeof field, "labels[%d]", i);
            pl_err_field(&err, field, "must not be blank");
        }
    }
    if (err.nfields) {
        api_fail(res, &err);
        return;
    }
    c.n = ncodes;
    c.items = pl_arena_alloc(&req->arena, sizeof *c.items * (size_t)ncodes);
    if (!c.items) {
        http_problem(res, 500, "the request is larger than its memory limit", NULL);
        return;
    }
    for (int i = 0; i < ncodes; i++)
        c.items[i] = (impl_feature){codes[i], labels[i]};
    api_write(req, res, features_write, &c, sizeof c, "implementation_features", 0);
}

/* ---- ratings -------------------------------------------------------------- */

static json_object *rating_json(const store_impl_rating *r)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(r->id));
    json_object_object_add(o, "program_id", json_object_new_int64(r->program_id));
    json_object_object_add(o, "unit_id", json_object_new_int64(r->unit_id));
    json_object_object_add(o, "period_start", api_json_date(r->period_start));
    json_object_object_add(o, "period_end", api_json_date(r->period_end));
    json_object_object_add(o, "rater_id", api_json_id(r->rater_id));
    /* the two comma lists side by side: feature code, score */
    json_object *scores = json_object_new_array();
    const char *f = r->features, *sc = r->scores;
    while (f && sc && *f && *sc) {
        const char *comma = strchr(f, ',');
        size_t len = comma ? (size_t)(comma - f) : strlen(f);
        char *end;
        long v = strtol(sc, &end, 10);
        json_object *x = json_object_new_object();
        json_object_object_add(x, "feature", json_object_new_string_len(f, (int)len));
        json_object_object_add(x, "score", json_object_new_int((int)v));
        json_object_array_add(scores, x);
        f = comma ? comma + 1 : NULL;
        sc = *end == ',' ? end + 1 : NULL;
    }
    json_object_object_add(o, "scores", scores);
    json_object_object_add(o, "mean", json_object_new_double(r->mean));
    json_object_object_add(o, "level", api_json_str(r->level));
    json_object_object_add(o, "note", api_json_str(r->note));
    json_object_object_add(o, "created_at", api_json_time(r->created_at));
    return o;
}

typedef struct rating_ctx {
    store_impl_rating r;
    const int *scores; /* request memory */
    int n;
} rating_ctx;

static pl_status rating_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    rating_ctx *c = ctx;
    store_impl_rating *r = &c->r;
    impl_feature *f;
    int nf;
    pl_status st = store_tx_impl_features_get(tx, r->program_id, &req->arena, &f, &nf, err);
    if (st != PL_OK)
        return st;
    if ((st = impl_scores_check(c->scores, c->n, nf, &r->mean, err)) != PL_OK)
        return st;
    impl_level level;
    impl_level_of(r->mean, &level);
    r->level = impl_level_name(level);
    char *features = pl_arena_printf(&req->arena, "%s", f[0].code);
    char *scores = pl_arena_printf(&req->arena, "%d", c->scores[0]);
    for (int i = 1; features && scores && i < nf; i++) {
        features = pl_arena_printf(&req->arena, "%s,%s", features, f[i].code);
        scores = pl_arena_printf(&req->arena, "%s,%d", scores, c->scores[i]);
    }
    if (!features || !scores)
        return pl_err_set(err, PL_LIMIT, "the rating is larger than the request memory limit");
    r->features = features;
    r->scores = scores;
    if ((st = store_impl_rating_insert(tx, r, err)) != PL_OK ||
        (st = api_audit_tx(tx, req, "create", ENTITY, r->id, 0, 201, err)) != PL_OK)
        return st;
    out->status = 201;
    out->body = api_json_text(req, rating_json(r));
    out->location =
        pl_arena_printf(&req->arena, "/api/v1/implementation-ratings/%lld", (long long)r->id);
    return PL_OK;
}

void api_impl_rating_create(http_request *req, http_response *res)
{
    api_context *app = req->app;
    rating_ctx c = {.r = {.rater_id = req->account.id}};
    c.r.unit_id = api_body_id(req, "unit_id");
    c.r.period_start = api_body_date(req, "period_start");
    c.r.period_end = api_body_date(req, "period_end");
    c.r.note = api_body_str(req, "note");
    c.scores = api_body_ints(req, "scores", &c.n);
    pl_err err;
    pl_err_clear(&err);
    pl_org_unit u;
    if (store_org_unit_get(app->store, c.r.unit_id, &req->arena, &u, &err) != PL_OK ||
        store_unit_in_subtree(app->store, api_scope_unit(req), c.r.unit_id, &err) != PL_OK) {
        http_problem(res, 404, "org unit not found", NULL);
        return;
    }
    pl_err_clear(&err);
    if (u.kind != PL_ORG_COMMUNITY && u.kind != PL_ORG_CHC && u.kind != PL_ORG_DISTRICT &&
        u.kind != PL_ORG_SITE && u.kind != PL_ORG_PRACTICE)
        pl_err_field(&err, "unit_id", "must be a community, CHC, district, site or practice");
    if (c.r.period_end < c.r.period_start)
        pl_err_field(&err, "period_end", "must not be before period_start");
    else if (c.r.period_end - c.r.period_start > PERIOD_MAX)
        pl_err_field(&err, "period_end", "a period is at most three years");
    if (c.r.period_start > pl_time_date((pl_time)time(NULL)))
        pl_err_field(&err, "period_start", "must not be in the future");
    if (err.nfields) {
        api_fail(res, &err);
        return;
    }
    c.r.program_id = u.program_id;
    api_write(req, res, rating_write, &c, sizeof c, ENTITY, 0);
}

void api_impl_rating_get(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_id id;
    if (!api_path_id(req, res, 0, &id))
        return;
    store_impl_rating r;
    pl_err err;
    pl_err_clear(&err);
    if (store_impl_rating_get(app->store, id, &req->arena, &r, &err) != PL_OK ||
        store_unit_visible(app->store, api_scope_unit(req), r.unit_id, &err) != PL_OK) {
        http_problem(res, 404, "implementation rating not found", NULL);
        return;
    }
    api_send(res, 200, rating_json(&r));
}

void api_impl_rating_list(http_request *req, http_response *res)
{
    api_context *app = req->app;
    store_page pg;
    pl_id unit = 0, program = 0;
    if (!api_page(req, res, &pg) || !api_query_id(req, res, "unit_id", &unit) ||
        !api_query_id(req, res, "program_id", &program))
        return;
    store_impl_rating *items;
    int n;
    pl_err err;
    pl_err_clear(&err);
    if (store_impl_rating_list(app->store, api_scope_unit(req), unit, program, pg, &req->arena,
                               &items, &n, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++)
        json_object_array_add(arr, rating_json(&items[i]));
    api_send_list(req, res, arr, n, &pg, n ? items[n - 1].id : 0);
}

/* ---- indicators ------------------------------------------------------------- */

static json_object *activity_json(const store_activity *a, double months)
{
    static const char *const kf[4] = {"daily_management", "social_emotional", "linkage", "ongoing"};
    json_object *o = json_object_new_object();
    if (a->peer_leader_id)
        json_object_object_add(o, "peer_leader_id", json_object_new_int64(a->peer_leader_id));
    json_object_object_add(o, "participants", json_object_new_int64(a->participants));
    json_object_object_add(o, "contacts", json_object_new_int64(a->contacts));
    json_object_object_add(
        o, "contacts_per_participant_month",
        a->participants
            ? json_object_new_double((double)a->contacts / (double)a->participants / months)
            : NULL);
    json_object_object_add(
        o, "minutes_per_contact",
        a->contacts ? json_object_new_double((double)a->contact_minutes / (double)a->contacts)
                    : NULL);
    json_object *mix = json_object_new_object();
    for (int k = 0; k < 4; k++)
        json_object_object_add(
            mix, kf[k],
            a->contacts ? json_object_new_double((double)a->key_function[k] / (double)a->contacts)
                        : NULL);
    json_object_object_add(o, "key_function_share", mix);
    json_object_object_add(o, "sessions_held", json_object_new_int64(a->sessions_held));
    json_object_object_add(o, "sessions_cancelled", json_object_new_int64(a->sessions_cancelled));
    json_object_object_add(
        o, "attendance_rate",
        a->attendance_records
            ? json_object_new_double((double)a->attended / (double)a->attendance_records)
            : NULL);
    json_object_object_add(o, "referrals_made", json_object_new_int64(a->referrals_made));
    json_object_object_add(o, "referrals_completed", json_object_new_int64(a->referrals_completed));
    return o;
}

void api_impl_indicators(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_id unit = 0;
    if (!api_query_id(req, res, "unit_id", &unit))
        return;
    pl_err err;
    pl_err_clear(&err);
    const char *since_s = http_query_get(req, "since");
    const char *until_s = http_query_get(req, "until");
    pl_date since = PL_DATE_NONE, until = PL_DATE_NONE;
    if (!unit)
        pl_err_field(&err, "unit_id", "is required");
    if (!since_s || pl_date_parse(since_s, &since) != PL_OK)
        pl_err_field(&err, "since", "must be a date (YYYY-MM-DD)");
    if (!until_s || pl_date_parse(until_s, &until) != PL_OK)
        pl_err_field(&err, "until", "must be a date (YYYY-MM-DD), the last day of the period");
    else if (since != PL_DATE_NONE && (until < since || until - since > PERIOD_MAX))
        pl_err_field(&err, "until", "must be on or after since, at most three years later");
    if (err.nfields) {
        http_problem(res, 400, "a query parameter is missing or malformed", &err);
        return;
    }
    if (store_unit_in_subtree(app->store, api_scope_unit(req), unit, &err) != PL_OK) {
        http_problem(res, 404, "org unit not found", NULL);
        return;
    }
    const char *by = http_query_get(req, "by");
    bool by_leader = by && strcmp(by, "peer_leader") == 0;
    pl_time t0 = pl_date_time(since), t1 = pl_date_time(until + 1);
    double months = (double)(until + 1 - since) / MONTH_DAYS;
    store_activity *total, *rows = NULL;
    int n, nrows = 0;
    bool more = false, ignore;
    if (store_activity_get(app->store, unit, t0, t1, false, 1, &req->arena, &total, &n, &ignore,
                           &err) != PL_OK ||
        (by_leader && store_activity_get(app->store, unit, t0, t1, true, LEADERS_MAX, &req->arena,
                                         &rows, &nrows, &more, &err) != PL_OK)) {
        api_fail(res, &err);
        return;
    }
    json_object *o = activity_json(&total[0], months);
    json_object_object_add(o, "unit_id", json_object_new_int64(unit));
    json_object_object_add(o, "since", api_json_date(since));
    json_object_object_add(o, "until", api_json_date(until));
    json_object_object_add(o, "months", json_object_new_double(months));
    if (by_leader) {
        json_object *arr = json_object_new_array();
        for (int i = 0; i < nrows; i++)
            json_object_array_add(arr, activity_json(&rows[i], months));
        json_object_object_add(o, "by_peer_leader", arr);
        json_object_object_add(o, "truncated", json_object_new_boolean(more));
    }
    api_send(res, 200, o);
    api_audit(req, "read", "implementation_indicators", unit, 0, 200);
}
