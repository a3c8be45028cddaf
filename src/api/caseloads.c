/*
 * caseloads.c - /api/v1/caseloads: who carries whom.
 *
 * Managers see, per peer leader in their scope, the enrolled participants
 * assigned (and how many are high need), their open and overdue tasks, and
 * the enrolled participants nobody leads; they assign or reassign up to 64
 * participants to one leader (or to nobody) in one transaction. A
 * reassignment moves each participant's open tasks with them and is
 * audited per participant, as a single assignment is.
 */
#include <stdio.h>

#include "common.h"
#include "core/time.h"

#define ENTITY "participant"

void api_caseload_list(http_request *req, http_response *res)
{
    api_context *app = req->app;
    store_page pg;
    if (!api_page(req, res, &pg))
        return;
    pl_err err;
    pl_err_clear(&err);
    rules_settings rs;
    rules_settings_default(&rs);
    /* overdue as the worklist counts it with the default grace: due more than grace days ago */
    pl_date overdue_before = pl_time_date((pl_time)time(NULL)) - rs.grace_days;
    store_caseload *items;
    int n;
    int64_t unassigned = 0;
    if (store_caseload_list(app->store, api_scope_unit(req), overdue_before, pg, &req->arena,
                            &items, &n, &err) != PL_OK ||
        store_unassigned_count(app->store, api_scope_unit(req), &unassigned, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "peer_leader_id", json_object_new_int64(items[i].peer_leader_id));
        json_object_object_add(o, "given_name", api_json_str(items[i].given_name));
        json_object_object_add(o, "family_name", api_json_str(items[i].family_name));
        json_object_object_add(o, "home_unit_id", json_object_new_int64(items[i].home_unit_id));
        json_object_object_add(o, "active", json_object_new_boolean(items[i].active));
        json_object_object_add(o, "participants", json_object_new_int64(items[i].participants));
        json_object_object_add(o, "high_need", json_object_new_int64(items[i].high_need));
        json_object_object_add(o, "open_tasks", json_object_new_int64(items[i].open_tasks));
        json_object_object_add(o, "overdue_tasks", json_object_new_int64(items[i].overdue_tasks));
        json_object_array_add(arr, o);
    }
    json_object *page = json_object_new_object();
    json_object_object_add(page, "unassigned", json_object_new_int64(unassigned));
    json_object_object_add(page, "items", arr);
    json_object_object_add(page, "next",
                           n == pg.limit ? json_object_new_string(pl_arena_printf(
                                               &req->arena, "/api/v1/caseloads?after=%lld&limit=%d",
                                               (long long)items[n - 1].peer_leader_id, pg.limit))
                                         : NULL);
    api_send(res, 200, page);
}

void api_caseload_unassigned(http_request *req, http_response *res)
{
    api_context *app = req->app;
    store_page pg;
    if (!api_page(req, res, &pg))
        return;
    pl_err err;
    pl_err_clear(&err);
    pl_participant *items;
    int n;
    if (store_unassigned_list(app->store, api_scope_unit(req), pg, &req->arena, &items, &n, &err) !=
        PL_OK) {
        api_fail(res, &err);
        return;
    }
    json_object *arr = json_object_new_array();
    pl_id *ids = pl_arena_alloc(&req->arena, sizeof *ids * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        json_object_array_add(arr, api_participant_json(req, &items[i]));
        if (ids)
            ids[i] = items[i].id;
    }
    if (ids)
        api_audit_reads(req, ENTITY, ids, ids, n);
    api_send_list(req, res, arr, n, &pg, n ? items[n - 1].id : 0);
}

typedef struct assign_ctx {
    pl_id peer_leader_id; /* 0: unassign */
    pl_id program_id;     /* the leader's */
    const int *ids;       /* request memory */
    int n;
} assign_ctx;

static pl_status assign_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    assign_ctx *c = ctx;
    pl_status st;
    json_object *moved = json_object_new_array();
    for (int i = 0; i < c->n; i++) {
        pl_participant p;
        char field[32];
        snprintf(field, sizeof field, "participant_ids[%d]", i);
        st = store_tx_participant_get(tx, c->ids[i], &req->arena, &p, err);
        if (st == PL_OK)
            st = store_tx_unit_in_subtree(tx, api_scope_unit(req), p.home_unit_id, err);
        if (st == PL_NOTFOUND) {
            pl_err_clear(err);
            pl_err_field(err, field, "participant %d not found", c->ids[i]);
            continue;
        }
        if (st != PL_OK)
            goto fail;
        if (c->peer_leader_id && p.program_id != c->program_id) {
            pl_err_field(err, field, "is in another program than the peer leader");
            continue;
        }
        if (p.peer_leader_id == c->peer_leader_id)
            continue;
        int version = p.version;
        p.peer_leader_id = c->peer_leader_id;
        if ((st = store_participant_update(tx, &p, version, err)) != PL_OK ||
            (st = store_tasks_reassign(tx, p.id, p.peer_leader_id, err)) != PL_OK ||
            (st = store_followup_refresh(tx, p.id, err)) != PL_OK ||
            (st = api_audit_tx(tx, req, "assign", ENTITY, p.id, p.id, 200, err)) != PL_OK)
            goto fail;
        json_object_array_add(moved, json_object_new_int64(p.id));
    }
    if (err->nfields) {
        st = pl_err_set(err, PL_INVALID, "no participant was assigned: fix the listed ones");
        goto fail;
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "peer_leader_id", api_json_id(c->peer_leader_id));
    json_object_object_add(o, "moved", moved);
    out->status = 200;
    out->body = api_json_text(req, o);
    return PL_OK;
fail:
    json_object_put(moved);
    return st;
}

void api_caseload_assign(http_request *req, http_response *res)
{
    api_context *app = req->app;
    assign_ctx c = {.peer_leader_id = api_body_id(req, "peer_leader_id")};
    c.ids = api_body_ints(req, "participant_ids", &c.n);
    pl_err err;
    pl_err_clear(&err);
    if (c.n == 0)
        pl_err_field(&err, "participant_ids", "must list at least one participant");
    if (c.peer_leader_id) {
        pl_peer_leader l;
        pl_err ignore;
        pl_err_clear(&ignore);
        if (store_peer_leader_get(app->store, c.peer_leader_id, &req->arena, &l, &ignore) !=
                PL_OK ||
            !l.active ||
            store_unit_in_subtree(app->store, api_scope_unit(req), l.home_unit_id, &ignore) !=
                PL_OK)
            pl_err_field(&err, "peer_leader_id", "must be an active peer leader in your scope");
        else
            c.program_id = l.program_id;
    }
    if (err.nfields) {
        api_fail(res, &err);
        return;
    }
    api_write(req, res, assign_write, &c, sizeof c, ENTITY, 0);
}
