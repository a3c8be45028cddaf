/*
 * contacts.c - /api/v1/contacts: log a peer-support contact, read, list.
 *
 * A contact names its participant and the peer leader who delivered it.
 * A peer leader (or navigator) logs as themselves: peer_leader_id defaults
 * to the caller's own peer-leader record, and a peer leader may not log
 * as someone else (403). The participant must be in the caller's scope
 * (for a peer leader: assigned to them), else 404. Key functions are the
 * four standard names plus the codes the participant's program declared.
 */
#include <string.h>

#include "common.h"
#include "core/time.h"

#define ENTITY "contact"

typedef struct create_ctx {
    pl_contact c;
} create_ctx;

pl_status api_contact_record_tx(store_tx *tx, http_request *req, pl_contact *c, pl_err *err)
{
    pl_status st = store_contact_insert(tx, c, err);
    if (st == PL_OK)
        st = api_audit_tx(tx, req, "create", ENTITY, c->id, c->participant_id, 201, err);
    /* the contact closes the open follow-up task and schedules the next */
    if (st == PL_OK)
        st = store_followup_refresh(tx, c->participant_id, err);
    return st;
}

static pl_status create_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    pl_contact *c = &((create_ctx *)ctx)->c;
    pl_status st = api_contact_record_tx(tx, req, c, err);
    if (st != PL_OK)
        return st;
    out->status = 201;
    out->body = api_json_text(req, api_contact_json(req, c));
    out->location = pl_arena_printf(&req->arena, "/api/v1/contacts/%lld", (long long)c->id);
    return PL_OK;
}

void api_contact_create(http_request *req, http_response *res)
{
    api_context *app = req->app;
    create_ctx ctx = {.c = {.occurred_at = PL_TIME_NONE, .follow_up_date = PL_DATE_NONE}};
    pl_contact *c = &ctx.c;
    c->participant_id = api_body_id(req, "participant_id");
    if (!api_participant_in_scope(req, res, c->participant_id, ENTITY, 0))
        return;
    pl_err err;
    pl_err_clear(&err);
    pl_participant p;
    if (store_participant_get(app->store, c->participant_id, &req->arena, &p, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    c->program_id = p.program_id;

    /* who delivered it: the caller's own peer-leader record unless another is named */
    pl_id own = 0;
    pl_err ignore;
    pl_err_clear(&ignore);
    if (req->account.person_id > 0)
        store_peer_leader_by_person(app->store, req->account.person_id, &own, &ignore);
    c->peer_leader_id = api_body_id(req, "peer_leader_id");
    if (req->account.role == PL_ROLE_PEER_LEADER && c->peer_leader_id && c->peer_leader_id != own) {
        http_problem(res, 403, "a peer leader logs contacts as themselves", NULL);
        api_audit(req, "create", ENTITY, 0, c->participant_id, 403);
        return;
    }
    if (!c->peer_leader_id)
        c->peer_leader_id = own;
    if (!c->peer_leader_id)
        pl_err_field(&err, "peer_leader_id", "is required: your account is not a peer leader");

    c->occurred_at = api_body_time(req, "occurred_at");
    c->minutes = (int)api_body_int(req, "minutes", 0);
    const char *mode = api_body_str(req, "mode");
    if (pl_contact_mode_parse(mode, &c->mode) != PL_OK)
        pl_err_field(&err, "mode",
                     "must be one_on_one, home_visit, phone, text, group, clinic_accompaniment or "
                     "neighbourhood_activity");
    c->key_functions = api_body_key_functions(req, p.program_id, &err);
    c->topics = api_body_topics(req, &err);
    c->proactive = api_body_bool(req, "proactive", false);
    c->family_members = (int)api_body_int(req, "family_members", 0);
    c->note = api_body_str(req, "note");
    if (api_body_has(req, "follow_up_date"))
        c->follow_up_date = api_body_date(req, "follow_up_date");
    if (c->peer_leader_id) {
        pl_peer_leader l;
        pl_err_clear(&ignore);
        if (store_peer_leader_get(app->store, c->peer_leader_id, &req->arena, &l, &ignore) !=
                PL_OK ||
            l.program_id != p.program_id)
            pl_err_field(&err, "peer_leader_id",
                         "must be a peer leader of the participant's "
                         "program");
    }
    uint32_t mask = api_program_kf_mask(req, p.program_id);
    if (err.nfields || contact_validate(c, mask, (pl_time)time(NULL), &err) != PL_OK) {
        api_fail(res, &err);
        api_audit(req, "create", ENTITY, 0, c->participant_id, res->status);
        return;
    }
    api_write(req, res, create_write, &ctx, sizeof ctx, ENTITY, c->participant_id);
}

void api_contact_get(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_id id;
    if (!api_path_id(req, res, 0, &id))
        return;
    pl_contact c = {0}; /* read below even when the store found nothing */
    pl_err err;
    pl_err_clear(&err);
    pl_status st = store_contact_get(app->store, id, &req->arena, &c, &err);
    if (!api_record_readable(req, res, st, &err, ENTITY, id, c.participant_id))
        return;
    api_send_read(req, res, api_contact_json(req, &c), ENTITY, id, c.participant_id);
}

void api_contact_list(http_request *req, http_response *res)
{
    api_context *app = req->app;
    store_contact_filter f;
    store_page pg;
    if (!api_scope(req, res, &f.scope) || !api_page(req, res, &pg) ||
        !api_query_id(req, res, "participant_id", &f.participant_id) ||
        !api_query_id(req, res, "peer_leader_id", &f.peer_leader_id) ||
        !api_query_time(req, res, "since", &f.since) ||
        !api_query_time(req, res, "until", &f.until))
        return;
    pl_contact *items;
    int n;
    pl_err err;
    pl_err_clear(&err);
    if (store_contact_list(app->store, &f, pg, &req->arena, &items, &n, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    json_object *arr = json_object_new_array();
    pl_id *ids = pl_arena_alloc(&req->arena, sizeof *ids * 2 * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        json_object_array_add(arr, api_contact_json(req, &items[i]));
        if (ids) {
            ids[i] = items[i].id;
            ids[n + i] = items[i].participant_id;
        }
    }
    if (ids)
        api_audit_reads(req, ENTITY, ids, ids + n, n);
    api_send_list(req, res, arr, n, &pg, n ? items[n - 1].id : 0);
}
