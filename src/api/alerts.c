/*
 * alerts.c - /api/v1/alerts: the escalation inbox (DESIGN section 7).
 *
 * Alerts are raised by the rules of core/rules.h when a measurement or a
 * questionnaire is recorded (in the same transaction), or by a person as a
 * concern (POST /api/v1/alerts). Here staff list and
 * read the alerts of participants in their scope (out of scope: 404), and
 * clinicians and managers work them: open -> acknowledged -> resolved, or
 * open -> resolved. Each action re-reads the alert in the transaction,
 * honours If-Match and appends its audit event.
 */
#include <string.h>

#include "common.h"

#define ENTITY "alert"

json_object *api_alert_json(const store_alert *al)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(al->id));
    json_object_object_add(o, "participant_id", json_object_new_int64(al->participant_id));
    json_object_object_add(o, "kind", api_json_str(al->kind));
    json_object_object_add(o, "severity", api_json_str(al->severity));
    json_object_object_add(o, "message", api_json_str(al->message));
    json_object_object_add(o, "source_entity", api_json_str(al->source_entity));
    json_object_object_add(o, "source_id", api_json_id(al->source_id));
    json_object_object_add(o, "status", api_json_str(al->status));
    json_object_object_add(o, "created_at", api_json_time(al->created_at));
    json_object_object_add(o, "acknowledged_by", api_json_id(al->acknowledged_by));
    json_object_object_add(o, "acknowledged_at", api_json_time(al->acknowledged_at));
    json_object_object_add(o, "resolved_by", api_json_id(al->resolved_by));
    json_object_object_add(o, "resolved_at", api_json_time(al->resolved_at));
    json_object_object_add(o, "resolution_note", api_json_str(al->resolution_note));
    json_object_object_add(o, "linked_to_care", json_object_new_boolean(al->linked_to_care));
    json_object_object_add(o, "version", json_object_new_int(al->version));
    return o;
}

pl_status api_alert_open(store_tx *tx, http_request *req, store_alert *al, json_object *list,
                         pl_err *err)
{
    pl_status st = store_alert_insert(tx, al, err);
    if (st == PL_OK)
        st = api_audit_tx(tx, req, "create", ENTITY, al->id, al->participant_id, 201, err);
    if (st != PL_OK)
        return st;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(al->id));
    json_object_object_add(o, "kind", json_object_new_string(al->kind));
    json_object_object_add(o, "severity", json_object_new_string(al->severity));
    json_object_array_add(list, o);
    return PL_OK;
}

/* Reads {id} and checks its participant is in scope; answers 404 (audited) otherwise. */
static bool visible_alert(http_request *req, http_response *res, const char *action, pl_id *id,
                          store_alert *al)
{
    api_context *app = req->app;
    if (!api_path_id(req, res, 0, id))
        return false;
    pl_err err;
    pl_err_clear(&err);
    if (store_alert_get(app->store, *id, &req->arena, al, &err) != PL_OK) {
        api_fail(res, &err);
        api_audit(req, action, ENTITY, *id, 0, res->status);
        return false;
    }
    return api_participant_in_scope(req, res, al->participant_id, ENTITY, *id);
}

void api_alert_get(http_request *req, http_response *res)
{
    pl_id id;
    store_alert al;
    if (!visible_alert(req, res, "read", &id, &al))
        return;
    api_send(res, 200, api_alert_json(&al));
    api_etag(req, res, al.version);
    api_audit(req, "read", ENTITY, id, al.participant_id, 200);
}

void api_alert_list(http_request *req, http_response *res)
{
    api_context *app = req->app;
    store_alert_filter f = {0};
    store_page pg;
    if (!api_scope(req, res, &f.scope) || !api_page(req, res, &pg) ||
        !api_query_id(req, res, "participant_id", &f.participant_id))
        return;
    pl_err err;
    pl_err_clear(&err);
    f.status = http_query_get(req, "status");
    if (f.status && strcmp(f.status, "open") != 0 && strcmp(f.status, "acknowledged") != 0 &&
        strcmp(f.status, "resolved") != 0) {
        pl_err_field(&err, "status", "must be open, acknowledged or resolved");
        http_problem(res, 400, "a query parameter is malformed", &err);
        return;
    }
    store_alert *items;
    int n;
    if (store_alert_list(app->store, &f, pg, &req->arena, &items, &n, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    json_object *arr = json_object_new_array();
    pl_id *ids = pl_arena_alloc(&req->arena, sizeof *ids * 2 * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        json_object_array_add(arr, api_alert_json(&items[i]));
        if (ids) {
            ids[i] = items[i].id;
            ids[n + i] = items[i].participant_id;
        }
    }
    if (ids)
        api_audit_reads(req, ENTITY, ids, ids + n, n);
    api_send_list(req, res, arr, n, &pg, n ? items[n - 1].id : 0);
}

/* ---- concerns ---------------------------------------------------------------
 * A peer leader (or anyone on the care team) raises a concern about a
 * participant: it becomes a "peer_concern" alert in the same inbox, routed
 * and worked like the alerts the rules raise.
 */

typedef struct concern_ctx {
    store_alert al;
} concern_ctx;

static pl_status concern_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                               pl_err *err)
{
    store_alert *al = &((concern_ctx *)ctx)->al;
    json_object *list = json_object_new_array();
    pl_status st = api_alert_open(tx, req, al, list, err);
    json_object_put(list);
    if (st != PL_OK)
        return st;
    out->status = 201;
    out->body = api_json_text(req, api_alert_json(al));
    out->location = pl_arena_printf(&req->arena, "/api/v1/alerts/%lld", (long long)al->id);
    out->version = al->version;
    return PL_OK;
}

void api_alert_create(http_request *req, http_response *res)
{
    concern_ctx c = {.al = {.kind = "peer_concern", .source_entity = NULL}};
    c.al.participant_id = api_body_id(req, "participant_id");
    if (!api_participant_in_scope(req, res, c.al.participant_id, ENTITY, 0))
        return;
    c.al.severity = api_body_str(req, "severity");
    c.al.message = api_body_str(req, "message");
    if (!c.al.message || c.al.message[strspn(c.al.message, " \t\r\n")] == '\0') {
        pl_err err;
        pl_err_clear(&err);
        pl_err_field(&err, "message", "must say what the concern is");
        api_fail(res, &err);
        api_audit(req, "create", ENTITY, 0, c.al.participant_id, res->status);
        return;
    }
    api_write(req, res, concern_write, &c, sizeof c, ENTITY, c.al.participant_id);
}

/* ---- acknowledge and resolve --------------------------------------------- */

typedef enum action_kind { ACTION_ACKNOWLEDGE, ACTION_RESOLVE } action_kind;

typedef struct action_ctx {
    pl_id id;
    action_kind kind;
    int if_match; /* -1: none */
} action_ctx;

static pl_status action_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    action_ctx *c = ctx;
    store_alert al;
    pl_status st = store_tx_alert_get(tx, c->id, &req->arena, &al, err);
    if (st != PL_OK)
        return st;
    if ((st = api_version_check(c->if_match, al.version, "alert", err)) != PL_OK)
        return st;
    int version = al.version;
    pl_time now = (pl_time)time(NULL);
    const char *action;
    if (c->kind == ACTION_ACKNOWLEDGE) {
        if (strcmp(al.status, "open") != 0) {
            pl_err_field(err, "status", "is %s: only an open alert can be acknowledged", al.status);
            return PL_INVALID;
        }
        al.status = "acknowledged";
        al.acknowledged_by = req->account.id;
        al.acknowledged_at = now;
        action = "acknowledge";
    } else {
        if (strcmp(al.status, "resolved") == 0) {
            pl_err_field(err, "status",
                         "is resolved: only an open or acknowledged alert can be "
                         "resolved");
            return PL_INVALID;
        }
        al.status = "resolved";
        al.resolved_by = req->account.id;
        al.resolved_at = now;
        al.resolution_note = api_body_str(req, "note");
        al.linked_to_care = api_body_bool(req, "linked_to_care", false);
        action = "resolve";
    }
    if ((st = store_alert_update(tx, &al, version, err)) != PL_OK)
        return st;
    if ((st = api_audit_tx(tx, req, action, ENTITY, al.id, al.participant_id, 200, err)) != PL_OK)
        return st;
    out->status = 200;
    out->body = api_json_text(req, api_alert_json(&al));
    out->version = al.version;
    return PL_OK;
}

static void act(http_request *req, http_response *res, action_kind kind)
{
    action_ctx c = {.kind = kind};
    store_alert al;
    if (!visible_alert(req, res, kind == ACTION_ACKNOWLEDGE ? "acknowledge" : "resolve", &c.id,
                       &al))
        return;
    if (kind == ACTION_RESOLVE) {
        const char *note = api_body_str(req, "note");
        size_t blank = note ? strspn(note, " \t\r\n") : 0;
        if (!note || note[blank] == '\0') {
            pl_err err;
            pl_err_clear(&err);
            pl_err_field(&err, "note", "must say what was done");
            api_fail(res, &err);
            api_audit(req, "resolve", ENTITY, c.id, al.participant_id, res->status);
            return;
        }
    }
    c.if_match = api_if_match_version(req, res);
    if (c.if_match == -2)
        return;
    api_write(req, res, action_write, &c, sizeof c, ENTITY, al.participant_id);
}

void api_alert_acknowledge(http_request *req, http_response *res)
{
    act(req, res, ACTION_ACKNOWLEDGE);
}

void api_alert_resolve(http_request *req, http_response *res)
{
    act(req, res, ACTION_RESOLVE);
}
