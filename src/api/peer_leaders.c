/*
 * peer_leaders.c - /api/v1/peer-leaders: the peer leaders, promotores and
 * community health workers of a program.
 *
 * A peer leader is a new person, or (person_id) the person of an existing
 * participant: Shanghai's peer leaders are patients themselves. Visible
 * when their home unit lies in the caller's scope.
 */
#include <string.h>

#include "common.h"
#include "core/time.h"

#define ENTITY "peer_leader"

static pl_status create_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    api_context *app = req->app;
    pl_peer_leader *l = ctx;
    pl_org_unit unit;
    if (store_tx_unit_in_subtree(tx, api_scope_unit(req), l->home_unit_id, err) != PL_OK ||
        store_tx_org_unit_get(tx, l->home_unit_id, &req->arena, &unit, err) != PL_OK ||
        unit.kind == PL_ORG_NETWORK || unit.kind == PL_ORG_PROGRAM) {
        pl_err_clear(err);
        pl_err_field(err, "home_unit_id", "must be an org unit below a program, in your scope");
        return PL_INVALID;
    }
    l->program_id = unit.program_id;
    if (l->person.id > 0) {
        if (store_person_get(app->store, l->person.id, &req->arena, &l->person, err) != PL_OK ||
            l->person.program_id != l->program_id) {
            pl_err_clear(err);
            pl_err_field(err, "person_id", "must be a person of the same program");
            return PL_INVALID;
        }
    }
    pl_date today = pl_time_date((pl_time)time(NULL));
    if (peer_leader_validate(l, today, err) != PL_OK)
        return PL_INVALID;
    pl_status st = store_peer_leader_insert(tx, l, err);
    if (st == PL_CONFLICT) {
        pl_err_clear(err);
        pl_err_field(err, "person_id", "this person is already a peer leader");
        return PL_INVALID;
    }
    if (st == PL_OK)
        st = api_audit_tx(tx, req, "create", ENTITY, l->id, 0, 201, err);
    if (st != PL_OK)
        return st;
    out->status = 201;
    out->body = api_json_text(req, api_peer_leader_json(l));
    out->location = pl_arena_printf(&req->arena, "/api/v1/peer-leaders/%lld", (long long)l->id);
    out->version = l->version;
    return PL_OK;
}

void api_peer_leader_create(http_request *req, http_response *res)
{
    pl_peer_leader l = {
        .person = {.birth_date = PL_DATE_NONE}, .trained_on = PL_DATE_NONE, .active = true};
    pl_err err;
    pl_err_clear(&err);
    l.person.id = api_body_id(req, "person_id");
    l.person.given_name = api_body_str(req, "given_name");
    l.person.family_name = api_body_str(req, "family_name");
    l.person.phone = api_body_str(req, "phone");
    l.person.address = api_body_str(req, "address");
    l.person.language = api_body_str(req, "language");
    l.person.birth_date = api_body_date(req, "birth_date");
    const char *sex = api_body_str(req, "sex");
    if (sex && pl_sex_parse(sex, &l.person.sex) != PL_OK)
        pl_err_field(&err, "sex", "must be unknown, female, male or other");
    const char *kind = api_body_str(req, "kind");
    if (kind && pl_leader_kind_parse(kind, &l.kind) != PL_OK)
        pl_err_field(&err, "kind",
                     "must be peer_leader, promotor, community_health_worker or navigator");
    l.home_unit_id = api_body_id(req, "home_unit_id");
    l.paid = api_body_bool(req, "paid", false);
    l.trained_on = api_body_date(req, "trained_on");
    l.training_hours = (int)api_body_int(req, "training_hours", 0);
    int n;
    const char **langs = api_body_strings(req, "languages", &n);
    pl_buf joined;
    pl_buf_init(&joined, 256);
    for (int i = 0; i < n; i++)
        if (pl_buf_printf(&joined, "%s%s", i ? "," : "", langs[i]) != PL_OK)
            pl_err_field(&err, "languages", "lists too many languages");
    l.languages = joined.data ? pl_arena_strdup(&req->arena, joined.data) : NULL;
    pl_buf_free(&joined);
    if (err.nfields) {
        api_fail(res, &err);
        return;
    }
    api_write(req, res, create_write, &l, sizeof l, ENTITY, 0);
}

void api_peer_leader_get(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_id id;
    if (!api_path_id(req, res, 0, &id))
        return;
    pl_peer_leader l;
    pl_err err;
    pl_err_clear(&err);
    if (store_peer_leader_get(app->store, id, &req->arena, &l, &err) != PL_OK ||
        store_unit_in_subtree(app->store, api_scope_unit(req), l.home_unit_id, &err) != PL_OK) {
        if (err.status == PL_NOTFOUND)
            pl_err_set(&err, PL_NOTFOUND, "peer leader not found");
        api_fail(res, &err);
        return;
    }
    api_send(res, 200, api_peer_leader_json(&l));
    api_etag(req, res, l.version);
}

void api_peer_leader_list(http_request *req, http_response *res)
{
    api_context *app = req->app;
    store_page pg;
    if (!api_page(req, res, &pg))
        return;
    pl_peer_leader *items;
    int n;
    pl_err err;
    pl_err_clear(&err);
    if (store_peer_leader_list(app->store, api_scope_unit(req), pg, &req->arena, &items, &n,
                               &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++)
        json_object_array_add(arr, api_peer_leader_json(&items[i]));
    api_send_list(req, res, arr, n, &pg, n ? items[n - 1].id : 0);
}
