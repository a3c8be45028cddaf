/*
 * staff.c - /api/v1/staff: accounts, for admins only.
 *
 * Passwords are hashed (argon2id) before anything is written and never
 * answered back. Disabling an account or resetting its password ends all
 * of its sessions in the same transaction. Every change is audited. The
 * create and update steps (api_staff_*_tx) also serve FHIR Practitioner and
 * PractitionerRole writes (src/api/fhir_entities.c).
 */
#include <sodium.h>
#include <string.h>

#include "common.h"
#include "http/auth.h"

#define ENTITY "staff_account"

static void answer(http_request *req, const pl_staff_account *a, int status, api_result *out)
{
    out->status = status;
    out->body = api_json_text(req, api_staff_json(a));
    out->version = a->version;
    if (status == 201)
        out->location = pl_arena_printf(&req->arena, "/api/v1/staff/%lld", (long long)a->id);
}

/* The scope unit must exist (admins may have none). */
static pl_status check_scope(store_tx *tx, http_request *req, const pl_staff_account *a,
                             pl_err *err)
{
    if (a->scope_unit_id <= 0)
        return PL_OK;
    pl_org_unit u;
    if (store_tx_org_unit_get(tx, a->scope_unit_id, &req->arena, &u, err) != PL_OK) {
        pl_err_clear(err);
        pl_err_field(err, "scope_unit_id", "no org unit has id %lld", (long long)a->scope_unit_id);
        return PL_INVALID;
    }
    return PL_OK;
}

typedef struct create_ctx {
    pl_staff_account a;
    char hash[AUTH_HASH_MAX];
} create_ctx;

pl_status api_staff_create_tx(store_tx *tx, http_request *req, pl_staff_account *a,
                              const char *password_hash, pl_err *err)
{
    pl_status st = check_scope(tx, req, a, err);
    if (st == PL_OK)
        st = store_staff_account_insert(tx, a, password_hash, err);
    if (st == PL_OK)
        st = api_audit_tx(tx, req, "create", ENTITY, a->id, 0, 201, err);
    return st;
}

static pl_status create_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    create_ctx *c = ctx;
    pl_status st = api_staff_create_tx(tx, req, &c->a, c->hash, err);
    if (st == PL_OK)
        answer(req, &c->a, 201, out);
    return st;
}

void api_staff_create(http_request *req, http_response *res)
{
    create_ctx c = {.a = {.username = api_body_str(req, "username"),
                          .display_name = api_body_str(req, "display_name"),
                          .scope_unit_id = api_body_id(req, "scope_unit_id"),
                          .person_id = api_body_id(req, "person_id"),
                          .language = api_body_str(req, "language"),
                          .role = PL_ROLE__COUNT}};
    pl_err err;
    pl_err_clear(&err);
    pl_role_parse(api_body_str(req, "role"), &c.a.role);
    if (staff_account_validate(&c.a, &err) != PL_OK ||
        auth_password_hash(api_body_str(req, "password"), c.hash, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    api_write(req, res, create_write, &c, sizeof c, ENTITY, 0);
    sodium_memzero(c.hash, sizeof c.hash);
}

void api_staff_get(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_id id;
    if (!api_path_id(req, res, 0, &id))
        return;
    pl_staff_account a;
    pl_err err;
    pl_err_clear(&err);
    if (store_staff_account_get(app->store, id, &req->arena, &a, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    api_send(res, 200, api_staff_json(&a));
    api_etag(req, res, a.version);
}

void api_staff_list(http_request *req, http_response *res)
{
    api_context *app = req->app;
    store_page pg;
    if (!api_page(req, res, &pg))
        return;
    pl_staff_account *items;
    int n;
    pl_err err;
    pl_err_clear(&err);
    if (store_staff_account_list(app->store, pg, &req->arena, &items, &n, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++)
        json_object_array_add(arr, api_staff_json(&items[i]));
    api_send_list(req, res, arr, n, &pg, n ? items[n - 1].id : 0);
}

typedef struct update_ctx {
    pl_id id;
    int if_match;
    bool reset; /* a password reset, with the new hash below */
    char hash[AUTH_HASH_MAX];
} update_ctx;

pl_status api_staff_update_tx(store_tx *tx, http_request *req, pl_id id, int if_match,
                              const api_staff_change *ch, pl_staff_account *out, pl_err *err)
{
    pl_staff_account a;
    pl_status st = store_tx_staff_account_get(tx, id, &req->arena, &a, err);
    if (st != PL_OK)
        return st;
    if ((st = api_version_check(if_match, a.version, "account", err)) != PL_OK)
        return st;
    bool end_sessions = false;
    if (ch->password_hash) {
        if ((st = store_staff_password_set(tx, a.id, ch->password_hash, err)) != PL_OK)
            return st;
        a.version++;
        end_sessions = true;
    } else {
        if (ch->set_display_name)
            a.display_name = ch->display_name;
        if (ch->set_role)
            a.role = ch->role;
        if (ch->set_scope)
            a.scope_unit_id = ch->scope_unit_id;
        if (ch->set_language)
            a.language = ch->language;
        if (ch->set_disabled) {
            end_sessions = ch->disabled && !a.disabled;
            a.disabled = ch->disabled;
        }
        if (staff_account_validate(&a, err) != PL_OK)
            return PL_INVALID;
        if ((st = check_scope(tx, req, &a, err)) != PL_OK ||
            (st = store_staff_account_update(tx, &a, a.version, err)) != PL_OK)
            return st;
    }
    if (end_sessions && (st = store_session_delete_for_account(tx, a.id, err)) != PL_OK)
        return st;
    if ((st = api_audit_tx(tx, req, "update", ENTITY, a.id, 0, 200, err)) != PL_OK)
        return st;
    *out = a;
    return PL_OK;
}

static pl_status update_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    update_ctx *u = ctx;
    api_staff_change ch = {.password_hash = u->reset ? u->hash : NULL};
    if (!u->reset) {
        ch.set_display_name = api_body_has(req, "display_name");
        ch.display_name = api_body_str(req, "display_name");
        ch.set_role = api_body_has(req, "role");
        if (ch.set_role && pl_role_parse(api_body_str(req, "role"), &ch.role) != PL_OK) {
            pl_err_field(err, "role",
                         "must be admin, program_manager, clinician, peer_leader, navigator or "
                         "evaluator");
            return PL_INVALID;
        }
        ch.set_scope = api_body_has(req, "scope_unit_id");
        ch.scope_unit_id = api_body_id(req, "scope_unit_id");
        ch.set_language = api_body_has(req, "language");
        ch.language = api_body_str(req, "language");
        ch.set_disabled = api_body_has(req, "disabled");
        ch.disabled = api_body_bool(req, "disabled", false);
    }
    pl_staff_account a;
    pl_status st = api_staff_update_tx(tx, req, u->id, u->if_match, &ch, &a, err);
    if (st == PL_OK)
        answer(req, &a, 200, out);
    return st;
}

void api_staff_update(http_request *req, http_response *res)
{
    update_ctx u = {0};
    if (!api_path_id(req, res, 0, &u.id))
        return;
    u.if_match = api_if_match_version(req, res);
    if (u.if_match == -2)
        return;
    api_write(req, res, update_write, &u, sizeof u, ENTITY, 0);
}

void api_staff_password(http_request *req, http_response *res)
{
    update_ctx u = {0};
    if (!api_path_id(req, res, 0, &u.id))
        return;
    u.if_match = api_if_match_version(req, res);
    if (u.if_match == -2)
        return;
    pl_err err;
    pl_err_clear(&err);
    if (auth_password_hash(api_body_str(req, "password"), u.hash, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    u.reset = true;
    api_write(req, res, update_write, &u, sizeof u, ENTITY, 0);
    sodium_memzero(u.hash, sizeof u.hash);
}
