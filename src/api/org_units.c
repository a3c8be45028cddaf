/*
 * org_units.c - /api/v1/org-units: the program's tree of districts,
 * communities, CHCs, practices and so on.
 *
 * A caller sees the units of their scope's subtree, and the ancestors of
 * their scope unit (a peer leader may read the name of their program).
 * Managers create units under a parent inside their scope; the create and
 * update steps (api_org_unit_*_tx) are shared with FHIR Organization writes.
 */
#include "common.h"
#include "store/store_fhir_entities.h"

#define ENTITY "org_unit"

pl_status api_org_unit_create_tx(store_tx *tx, http_request *req, pl_org_unit *u, pl_err *err)
{
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
    return st;
}

static bool root_kind(pl_org_kind k)
{
    return k == PL_ORG_NETWORK || k == PL_ORG_PROGRAM;
}

pl_status api_org_unit_update_tx(store_tx *tx, http_request *req, pl_org_unit *u, int if_match,
                                 pl_err *err)
{
    pl_org_unit cur, parent;
    pl_status st;
    pl_err ignore;
    pl_err_clear(&ignore);
    if (store_tx_unit_in_subtree(tx, api_scope_unit(req), u->id, &ignore) != PL_OK)
        return pl_err_set(err, PL_NOTFOUND, "org unit %lld not found", (long long)u->id);
    if ((st = store_tx_org_unit_get(tx, u->id, &req->arena, &cur, err)) != PL_OK ||
        (st = api_version_check(if_match, cur.version, "org unit", err)) != PL_OK)
        return st;
    if (u->kind != cur.kind && (root_kind(u->kind) || root_kind(cur.kind)))
        pl_err_field(err, "kind",
                     "cannot change from %s to %s: networks and programs hold the hierarchy "
                     "(and a program its participants), so no unit becomes or stops being one",
                     pl_org_kind_name(cur.kind), pl_org_kind_name(u->kind));
    if (u->parent_id != cur.parent_id) {
        pl_err_clear(&ignore);
        if (root_kind(cur.kind))
            pl_err_field(err, "parent_id", "a %s does not move", pl_org_kind_name(cur.kind));
        else if (u->parent_id <= 0 ||
                 store_tx_unit_in_subtree(tx, api_scope_unit(req), u->parent_id, &ignore) !=
                     PL_OK ||
                 store_tx_org_unit_get(tx, u->parent_id, &req->arena, &parent, &ignore) != PL_OK)
            pl_err_field(err, "parent_id", "must be an org unit in your scope");
        else if ((parent.kind == PL_ORG_PROGRAM ? parent.id : parent.program_id) != cur.program_id)
            pl_err_field(err, "parent_id",
                         "must be a unit of the same program: a unit's participants and staff "
                         "stay in their program");
        else if (store_tx_unit_in_subtree(tx, u->id, u->parent_id, &ignore) == PL_OK)
            pl_err_field(err, "parent_id", "must not be the unit itself or a unit below it");
    }
    if (err->nfields)
        return PL_INVALID;
    bool has_parent = u->parent_id > 0;
    if (has_parent && u->parent_id == cur.parent_id &&
        (st = store_tx_org_unit_get(tx, u->parent_id, &req->arena, &parent, err)) != PL_OK)
        return st;
    u->program_id = cur.program_id;
    u->arm = cur.arm;
    if (!u->language)
        u->language = cur.language;
    if (org_unit_validate(u, has_parent ? &parent : NULL, err) != PL_OK)
        return PL_INVALID;
    if ((st = store_org_unit_update(tx, u, cur.version, cur.parent_id, err)) != PL_OK)
        return st;
    return api_audit_tx(tx, req, "update", ENTITY, u->id, 0, 200, err);
}

static pl_status create_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    pl_org_unit *u = ctx;
    pl_status st = api_org_unit_create_tx(tx, req, u, err);
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
