/*
 * referrals.c - /api/v1/referrals: a participant referred to a community
 * resource (a directory service, or one described in free text) and the
 * closed loop that follows it (core/referral.h, docs/RESOURCES.md).
 *
 * Referrals are participant data: the participant must be in the caller's
 * scope (else 404, audited), every read and write is audited (entity
 * "referral"; a status change is the action "transition"), and evaluators
 * only list them, de-identified: the participant's pseudonym, dates
 * shifted by the participant's offset, and none of the free text. A status
 * change re-reads the referral in the transaction, honours If-Match,
 * checks the transition table and appends the history event with it.
 */
#include <string.h>
#include <time.h>

#include "common.h"
#include "core/referral.h"

#define ENTITY "referral"

static json_object *history_json(const store_referral_event *ev, int n)
{
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "from_status", api_json_str(ev[i].from_status));
        json_object_object_add(o, "to_status", api_json_str(ev[i].to_status));
        json_object_object_add(o, "at", api_json_time(ev[i].at));
        json_object_object_add(o, "by", api_json_id(ev[i].actor_id));
        json_object_object_add(o, "note", api_json_str(ev[i].note));
        json_object_array_add(arr, o);
    }
    return arr;
}

static bool is_open(const store_referral *r)
{
    return r->closed_at == PL_TIME_NONE;
}

static bool linked(const store_referral *r)
{
    pl_referral_status s;
    return pl_referral_status_parse(r->status, &s) == PL_OK && referral_linked(s);
}

/* The referral as staff see it; history may be NULL (lists). */
static json_object *referral_json(const store_referral *r, json_object *history)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(r->id));
    json_object_object_add(o, "version", json_object_new_int(r->version));
    json_object_object_add(o, "program_id", json_object_new_int64(r->program_id));
    json_object_object_add(o, "participant_id", json_object_new_int64(r->participant_id));
    json_object_object_add(o, "service_id", api_json_id(r->service_id));
    json_object *svc = NULL;
    if (r->service_id) {
        svc = json_object_new_object();
        json_object_object_add(svc, "id", json_object_new_int64(r->service_id));
        json_object_object_add(svc, "name", api_json_str(r->service_name));
        json_object_object_add(svc, "organization", api_json_str(r->organization_name));
    }
    json_object_object_add(o, "service", svc);
    json_object_object_add(o, "resource_text", api_json_str(r->resource_text));
    json_object_object_add(o, "need", api_json_str(r->need));
    json_object_object_add(o, "notes", api_json_str(r->notes));
    json_object_object_add(o, "status", api_json_str(r->status));
    json_object_object_add(o, "open", json_object_new_boolean(is_open(r)));
    json_object_object_add(o, "linked_to_resource", json_object_new_boolean(linked(r)));
    json_object_object_add(o, "referred_by", api_json_id(r->referred_by));
    json_object_object_add(o, "created_at", api_json_time(r->created_at));
    json_object_object_add(o, "status_changed_at", api_json_time(r->status_changed_at));
    json_object_object_add(o, "closed_at", api_json_time(r->closed_at));
    if (history)
        json_object_object_add(o, "history", history);
    return o;
}

static pl_time shifted(pl_time t, int days)
{
    return t == PL_TIME_NONE ? t : t + (pl_time)days * 86400;
}

/* The evaluator's view: no ids that link to a person, no free text, shifted dates. */
static json_object *referral_deid_json(http_request *req, const store_referral *r)
{
    api_context *app = req->app;
    char pseudonym[API_PSEUDONYM_LEN];
    api_pseudonym(app, r->participant_id, pseudonym);
    int shift = api_date_shift(app, r->participant_id);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "pseudonym", json_object_new_string(pseudonym));
    json_object_object_add(o, "program_id", json_object_new_int64(r->program_id));
    json_object_object_add(o, "service_id", api_json_id(r->service_id));
    json_object_object_add(o, "need", api_json_str(r->need));
    json_object_object_add(o, "status", api_json_str(r->status));
    json_object_object_add(o, "open", json_object_new_boolean(is_open(r)));
    json_object_object_add(o, "linked_to_resource", json_object_new_boolean(linked(r)));
    json_object_object_add(o, "created_at", api_json_time(shifted(r->created_at, shift)));
    json_object_object_add(o, "status_changed_at",
                           api_json_time(shifted(r->status_changed_at, shift)));
    json_object_object_add(o, "closed_at", api_json_time(shifted(r->closed_at, shift)));
    return o;
}

/* The referral and its history, for the answers of get, create and transition. */
static json_object *full_json(http_request *req, const store_referral *r, pl_err *err)
{
    api_context *app = req->app;
    store_referral_event *ev;
    int n;
    if (store_referral_events(app->store, r->id, &req->arena, &ev, &n, err) != PL_OK)
        return NULL;
    return referral_json(r, history_json(ev, n));
}

/* ---- create --------------------------------------------------------------- */

typedef struct create_ctx {
    store_referral r;
    const char *note;
} create_ctx;

pl_status api_referral_insert_tx(store_tx *tx, http_request *req, store_referral *r,
                                 const char *note, pl_err *err)
{
    pl_status st = store_referral_insert(tx, r, note, err);
    if (st == PL_OK)
        st = api_audit_tx(tx, req, "create", ENTITY, r->id, r->participant_id, 201, err);
    return st;
}

static pl_status create_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    create_ctx *c = ctx;
    pl_status st = api_referral_insert_tx(tx, req, &c->r, c->note, err);
    if (st != PL_OK)
        return st;
    /* the answer is the stored referral (with its service's names) and its one event */
    store_referral saved;
    store_referral_event *hist;
    int n;
    if ((st = store_tx_referral_get(tx, c->r.id, &req->arena, &saved, err)) != PL_OK ||
        (st = store_tx_referral_events(tx, c->r.id, &req->arena, &hist, &n, err)) != PL_OK)
        return st;
    out->status = 201;
    out->body = api_json_text(req, referral_json(&saved, history_json(hist, n)));
    out->location = pl_arena_printf(&req->arena, "/api/v1/referrals/%lld", (long long)c->r.id);
    out->version = c->r.version;
    return PL_OK;
}

bool api_referral_check(http_request *req, store_referral *r, pl_err *err)
{
    api_context *app = req->app;
    if (r->resource_text && r->resource_text[strspn(r->resource_text, " \t")] == '\0')
        r->resource_text = NULL;
    if (!r->service_id && !r->resource_text)
        pl_err_field(err, "service_id",
                     "is required unless resource_text describes the resource (a service of the "
                     "directory, or a resource in words)");
    if (r->service_id) {
        store_rsc_service s;
        pl_err serr;
        pl_err_clear(&serr);
        pl_status st =
            store_resource_service_get(app->store, r->service_id, &req->arena, &s, &serr);
        if (st == PL_NOTFOUND || (st == PL_OK && s.program_id != r->program_id))
            pl_err_field(err, "service_id",
                         "no service of the directory of the participant's program has id %lld",
                         (long long)r->service_id);
        else if (st != PL_OK) {
            *err = serr;
            return false;
        }
    }
    if (err->nfields) {
        err->status = PL_INVALID;
        return false;
    }
    return true;
}

void api_referral_create(http_request *req, http_response *res)
{
    api_context *app = req->app;
    create_ctx c = {0};
    store_referral *r = &c.r;
    r->participant_id = api_body_id(req, "participant_id");
    if (!api_participant_in_scope(req, res, r->participant_id, ENTITY, 0))
        return;
    pl_err err;
    pl_err_clear(&err);
    pl_participant p;
    if (store_participant_get(app->store, r->participant_id, &req->arena, &p, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    r->program_id = p.program_id;
    r->service_id = api_body_id(req, "service_id");
    r->resource_text = api_body_str(req, "resource_text");
    r->need = api_body_str(req, "need");
    r->notes = api_body_str(req, "notes");
    r->status = api_body_str(req, "status");
    if (!r->status)
        r->status = "proposed";
    r->referred_by = req->account.id;
    r->created_at = (pl_time)time(NULL);
    c.note = "referral made";
    if (!api_referral_check(req, r, &err)) {
        api_fail(res, &err);
        if (err.nfields)
            api_audit(req, "create", ENTITY, 0, r->participant_id, res->status);
        return;
    }
    api_write(req, res, create_write, &c, sizeof c, ENTITY, r->participant_id);
}

/* ---- read --------------------------------------------------------------------- */

/* Reads {id} and checks its participant is in scope; answers 404 (audited) otherwise. */
static bool visible_referral(http_request *req, http_response *res, const char *action, pl_id *id,
                             store_referral *r)
{
    api_context *app = req->app;
    if (!api_path_id(req, res, 0, id))
        return false;
    pl_err err;
    pl_err_clear(&err);
    if (store_referral_get(app->store, *id, &req->arena, r, &err) != PL_OK) {
        api_fail(res, &err);
        api_audit(req, action, ENTITY, *id, 0, res->status);
        return false;
    }
    return api_participant_in_scope(req, res, r->participant_id, ENTITY, *id);
}

void api_referral_get(http_request *req, http_response *res)
{
    pl_id id;
    store_referral r;
    if (!visible_referral(req, res, "read", &id, &r))
        return;
    pl_err err;
    pl_err_clear(&err);
    json_object *o = full_json(req, &r, &err);
    if (!o) {
        api_fail(res, &err);
        return;
    }
    api_send_read(req, res, o, ENTITY, id, r.participant_id);
    api_etag(req, res, r.version);
}

static bool name_ok(const char *const *names, const char *s)
{
    for (const char *const *n = names; *n; n++)
        if (strcmp(*n, s) == 0)
            return true;
    return false;
}

void api_referral_list(http_request *req, http_response *res)
{
    api_context *app = req->app;
    store_referral_filter f = {0};
    store_page pg;
    int days = -1;
    if (!api_scope(req, res, &f.scope) || !api_page(req, res, &pg) ||
        !api_query_id(req, res, "participant_id", &f.participant_id) ||
        !api_query_int(req, res, "open_for_days", 0, 3650, &days))
        return;
    pl_err err;
    pl_err_clear(&err);
    f.status = http_query_get(req, "status");
    f.need = http_query_get(req, "need");
    if (f.status && !name_ok(pl_referral_status_names, f.status))
        pl_err_field(&err, "status",
                     "must be proposed, sent, accepted, completed, declined, no_show or "
                     "cancelled");
    if (f.need && !name_ok(pl_referral_need_names, f.need))
        pl_err_field(&err, "need",
                     "must be food, legal, education, economic, childcare, housing, transport, "
                     "health or other");
    if (err.nfields) {
        http_problem(res, 400, "a query parameter is malformed", &err);
        return;
    }
    if (days >= 0)
        f.created_before = (pl_time)time(NULL) - (pl_time)days * 86400 + 1;
    store_referral *items;
    int n;
    if (store_referral_list(app->store, &f, pg, &req->arena, &items, &n, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    bool deid = api_is_evaluator(req);
    json_object *arr = json_object_new_array();
    pl_id *ids = pl_arena_alloc(&req->arena, sizeof *ids * 2 * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        json_object_array_add(arr, deid ? referral_deid_json(req, &items[i])
                                        : referral_json(&items[i], NULL));
        if (ids) {
            ids[i] = items[i].id;
            ids[n + i] = items[i].participant_id;
        }
    }
    if (ids)
        api_audit_reads(req, ENTITY, ids, ids + n, n);
    api_send_list(req, res, arr, n, &pg, n ? items[n - 1].id : 0);
}

/* ---- the closed loop ---------------------------------------------------------- */

typedef struct transition_ctx {
    pl_id id;
    int if_match; /* -1: none */
    const char *status;
    const char *note;
} transition_ctx;

pl_status api_referral_transition_tx(store_tx *tx, http_request *req, pl_id id, int if_match,
                                     const char *status, const char *note, store_referral *r,
                                     pl_err *err)
{
    pl_status st = store_tx_referral_get(tx, id, &req->arena, r, err);
    if (st != PL_OK)
        return st;
    if ((st = api_version_check(if_match, r->version, "referral", err)) != PL_OK)
        return st;
    pl_referral_status from, to;
    if (pl_referral_status_parse(r->status, &from) != PL_OK)
        return pl_err_set(err, PL_IO, "referral %lld holds an unknown status", (long long)r->id);
    if (pl_referral_status_parse(status, &to) != PL_OK)
        to = PL_REFERRAL__COUNT;
    if (referral_transition_check(from, to, note, err) != PL_OK)
        return PL_INVALID;
    store_referral_event ev = {
        .to_status = status, .at = (pl_time)time(NULL), .actor_id = req->account.id, .note = note};
    if ((st = store_referral_transition(tx, r, &ev, r->version, err)) != PL_OK)
        return st;
    return api_audit_tx(tx, req, "transition", ENTITY, r->id, r->participant_id, 200, err);
}

static pl_status transition_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                                  pl_err *err)
{
    transition_ctx *c = ctx;
    store_referral r;
    pl_status st =
        api_referral_transition_tx(tx, req, c->id, c->if_match, c->status, c->note, &r, err);
    if (st != PL_OK)
        return st;
    store_referral_event *hist;
    int n;
    if ((st = store_tx_referral_events(tx, r.id, &req->arena, &hist, &n, err)) != PL_OK)
        return st;
    out->status = 200;
    out->body = api_json_text(req, referral_json(&r, history_json(hist, n)));
    out->version = r.version;
    return PL_OK;
}

void api_referral_transition(http_request *req, http_response *res)
{
    transition_ctx c = {0};
    store_referral r;
    if (!visible_referral(req, res, "transition", &c.id, &r))
        return;
    c.status = api_body_str(req, "status");
    c.note = api_body_str(req, "note");
    c.if_match = api_if_match_version(req, res);
    if (c.if_match == -2) {
        api_audit(req, "transition", ENTITY, c.id, r.participant_id, res->status);
        return;
    }
    api_write(req, res, transition_write, &c, sizeof c, ENTITY, r.participant_id);
}
