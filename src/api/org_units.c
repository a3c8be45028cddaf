/*
 * org_units.c - /api/v1/org-units: the program's tree of districts,
 * communities, CHCs, practices and so on.
 *
 * A caller sees the units of their scope's subtree, and the ancestors of
 * their scope unit (a peer leader may read the name of their program).
 * Managers create units under a parent inside their scope.
 */
#include "common.h"

#define ENTITY "org_unit"

static pl_status create_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    pl_org_unit *u = ctx;
    pl_org_unit parent;
    if (store_tx_unit_in_subtree(tx, api_scope_unit(req), u->parent_id, err) != PL_OK ||
        store_tx_org_unit_get(tx, u->parent_id, &req->arena, &parent, err) != PL_OK) {
        pl_err_clear(err);
        pl_err_field(err, "parent_id", "must be an org unit in your scope");
        return PL_INVALID;
    }
    u->program_id = parent.kind == PL_ORG_PROGRAM ? parent.id : parent.program_id;
    if (org_unit_validate(u, &parent, err) != PL_OK)
        return PL_INVALID;
    pl_status st = store_org_unit_insert(tx, u, err);
    if (st == PL_OK)
        st = api_audit_tx(tx, req, "create", ENTITY, u->id, 0, 201, err);
    if (st != PL_OK)
        return st;
    out->status = 201;
    out->body = api_json_text(req, api_org_unit_json(u));
    out->location = pl_arena_printf(&req->arena, "/api/v1/org-units/%lld", (long long)u->id);
    out->version = u->version;
    return PL_OK;
}

void api_org_unit_create(http_request *req, http_response *res)
{
    pl_org_unit u = {.parent_id = api_body_id(req, "parent_id"),
                     .name = api_body_str(req, "name"),
                     .code = api_body_str(req, "code"),
                     .language = api_body_str(req, "language")};
    pl_err err;
    pl_err_clear(&err);
    if (pl_org_kind_parse(api_body_str(req, "kind"), &u.kind) != PL_OK)
        pl_err_field(&err, "kind",
                     "must be site, district, community, chc, residential_committee, practice, "
                     "hospital or ngo");
    const char *arm = api_body_str(req, "arm");
    if (arm && pl_arm_parse(arm, &u.arm) != PL_OK)
        pl_err_field(&err, "arm", "must be none, intervention or control");
    if (err.nfields) {
        api_fail(res, &err);
        return;
    }
    api_write(req, res, create_write, &u, sizeof u, ENTITY, 0);
}

void api_org_unit_get(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_id id;
    if (!api_path_id(req, res, 0, &id))
        return;
    pl_err err;
    pl_err_clear(&err);
    pl_org_unit u;
    if (store_unit_visible(app->store, api_scope_unit(req), id, &err) != PL_OK ||
        store_org_unit_get(app->store, id, &req->arena, &u, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    api_send(res, 200, api_org_unit_json(&u));
    api_etag(req, res, u.version);
}

void api_org_unit_list(http_request *req, http_response *res)
{
    api_context *app = req->app;
    store_page pg;
    pl_id parent = 0;
    if (!api_page(req, res, &pg) || !api_query_id(req, res, "parent_id", &parent))
        return;
    int kind = -1;
    const char *k = http_query_get(req, "kind");
    if (k) {
        pl_org_kind parsed;
        if (pl_org_kind_parse(k, &parsed) != PL_OK) {
            pl_err err;
            pl_err_clear(&err);
            pl_err_field(&err, "kind", "must be a known org-unit kind");
            http_problem(res, 400, "a query parameter is malformed", &err);
            return;
        }
        kind = (int)parsed;
    }
    pl_org_unit *items;
    int n;
    pl_err err;
    pl_err_clear(&err);
    if (store_org_unit_list(app->store, api_scope_unit(req), kind, parent, pg, &req->arena, &items,
                            &n, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++)
        json_object_array_add(arr, api_org_unit_json(&items[i]));
    api_send_list(req, res, arr, n, &pg, n ? items[n - 1].id : 0);
}
