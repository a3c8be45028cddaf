/*
 * participants.c - /api/v1/participants: enrol, read, list, change, assign
 * a peer leader, withdraw.
 *
 * Every handler follows one shape: scope check (out of scope answers 404,
 * as if the record did not exist), body -> pl_participant, core
 * validation, one api_write() whose function re-reads the record inside the
 * transaction, applies the change, checks the version (If-Match) and
 * appends the audit event, then answers the record with its ETag. Reads
 * queue their audit events without waiting.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "core/time.h"

#define ENTITY "participant"

static pl_date today(void)
{
    return pl_time_date((pl_time)time(NULL));
}

/* Reads an enum field if present; records a field error if its value is unknown. */
#define BODY_ENUM(req, err, name, parse, target, rule)                                             \
    do {                                                                                           \
        const char *v_ = api_body_str(req, name);                                                  \
        if (v_ && parse(v_, &(target)) != PL_OK)                                                   \
            pl_err_field(err, name, rule);                                                         \
    } while (0)

/* Copies the person and participant fields present in the body onto p. */
static void apply_body(http_request *req, pl_participant *p, pl_err *err)
{
    static const char *const person_text[] = {"given_name", "family_name", "phone", "address",
                                              "language"};
    const char **person_dst[] = {&p->person.given_name, &p->person.family_name, &p->person.phone,
                                 &p->person.address, &p->person.language};
    for (size_t i = 0; i < sizeof person_text / sizeof *person_text; i++)
        if (api_body_has(req, person_text[i]))
            *person_dst[i] = api_body_str(req, person_text[i]);
    if (api_body_has(req, "program_ident"))
        p->program_ident = api_body_str(req, "program_ident");
    if (api_body_has(req, "mrn"))
        p->mrn = api_body_str(req, "mrn");
    BODY_ENUM(req, err, "sex", pl_sex_parse, p->person.sex,
              "must be unknown, female, male or other");
    BODY_ENUM(req, err, "treatment", pl_treatment_parse, p->treatment,
              "must be unknown, lifestyle, oral, insulin, oral_and_insulin or other_injectable");
    BODY_ENUM(req, err, "risk_tier", pl_risk_tier_parse, p->risk_tier,
              "must be standard or high_need");
    if (api_body_has(req, "birth_date"))
        p->person.birth_date = api_body_date(req, "birth_date");
    if (api_body_has(req, "diagnosis_year"))
        p->diagnosis_year = (int)api_body_int(req, "diagnosis_year", 0);
    if (api_body_has(req, "enrol_date"))
        p->enrol_date = api_body_date(req, "enrol_date");
    if (api_body_has(req, "consent"))
        p->consent = api_body_bool(req, "consent", false);
    if (api_body_has(req, "consent_date"))
        p->consent_date = api_body_date(req, "consent_date");
    if (api_body_has(req, "home_unit_id"))
        p->home_unit_id = api_body_id(req, "home_unit_id");
}

/* The home unit must be in the caller's scope and below a program; sets program_id. */
static pl_status check_home_unit(store_tx *tx, http_request *req, pl_participant *p, pl_err *err)
{
    pl_id scope = api_scope_unit(req);
    pl_org_unit u;
    if (store_tx_unit_in_subtree(tx, scope, p->home_unit_id, err) != PL_OK ||
        store_tx_org_unit_get(tx, p->home_unit_id, &req->arena, &u, err) != PL_OK ||
        u.kind == PL_ORG_NETWORK || u.kind == PL_ORG_PROGRAM) {
        pl_err_clear(err);
        pl_err_field(err, "home_unit_id", "must be an org unit below a program, in your scope");
        return PL_INVALID;
    }
    if (p->program_id && p->program_id != u.program_id) {
        pl_err_field(err, "home_unit_id", "must belong to the participant's program");
        return PL_INVALID;
    }
    p->program_id = u.program_id;
    return PL_OK;
}

/* A peer leader may be assigned if they exist, in the same program, with a home unit in scope. */
static pl_status check_leader(store_tx *tx, http_request *req, const pl_participant *p, pl_err *err)
{
    api_context *app = req->app;
    if (p->peer_leader_id <= 0)
        return PL_OK;
    pl_peer_leader l;
    pl_id scope = api_scope_unit(req);
    if (store_peer_leader_get(app->store, p->peer_leader_id, &req->arena, &l, err) != PL_OK ||
        l.program_id != p->program_id ||
        store_tx_unit_in_subtree(tx, scope, l.home_unit_id, err) != PL_OK) {
        pl_err_clear(err);
        pl_err_field(err, "peer_leader_id",
                     "must be a peer leader of the participant's program, in your scope");
        return PL_INVALID;
    }
    if (!l.active) {
        pl_err_field(err, "peer_leader_id", "is not an active peer leader");
        return PL_INVALID;
    }
    return PL_OK;
}

/* Fills out with the record, its Location and ETag. */
static void answer(http_request *req, const pl_participant *p, int status, api_result *out)
{
    out->status = status;
    out->body = api_json_text(req, api_participant_json(req, p));
    out->version = p->version;
    if (status == 201)
        out->location = pl_arena_printf(&req->arena, "/api/v1/participants/%lld", (long long)p->id);
}

/* ---- enrol -------------------------------------------------------------- */

/* Records a tier set by a person (at enrolment: previous -1) in the tier history. */
static pl_status record_tier(store_tx *tx, http_request *req, const pl_participant *p, int previous,
                             pl_err *err)
{
    store_risk_change rc = {.participant_id = p->id,
                            .tier = pl_risk_tier_name(p->risk_tier),
                            .previous_tier = previous >= 0 ? pl_risk_tier_name(previous) : NULL,
                            .reason = previous >= 0 ? "set by staff" : "at enrolment",
                            .changed_by = req->account.id};
    return store_risk_change_insert(tx, &rc, err);
}

pl_status api_participant_enrol_tx(store_tx *tx, http_request *req, pl_participant *p, pl_err *err)
{
    pl_status st = check_home_unit(tx, req, p, err);
    if (st == PL_OK)
        st = check_leader(tx, req, p, err);
    if (st == PL_OK && participant_validate(p, today(), err) != PL_OK)
        st = PL_INVALID;
    if (st == PL_OK)
        st = store_participant_insert(tx, p, err);
    if (st == PL_OK)
        st = api_audit_tx(tx, req, "create", ENTITY, p->id, p->id, 201, err);
    if (st == PL_OK)
        st = record_tier(tx, req, p, -1, err);
    if (st == PL_OK)
        st = store_followup_refresh(tx, p->id, err);
    return st;
}

static pl_status create_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    pl_participant *p = ctx;
    pl_status st = api_participant_enrol_tx(tx, req, p, err);
    if (st == PL_OK)
        answer(req, p, 201, out);
    return st;
}

void api_participant_create(http_request *req, http_response *res)
{
    pl_participant p = {.person = {.birth_date = PL_DATE_NONE},
                        .enrol_date = PL_DATE_NONE,
                        .status = PL_ENROL_ENROLLED,
                        .status_date = PL_DATE_NONE,
                        .consent_date = PL_DATE_NONE};
    pl_err err;
    pl_err_clear(&err);
    apply_body(req, &p, &err);
    p.peer_leader_id = api_body_id(req, "peer_leader_id");
    if (p.consent && p.consent_date == PL_DATE_NONE)
        p.consent_date = p.enrol_date; /* consent is usually taken at enrolment */
    if (err.nfields) {
        api_fail(res, &err);
        return;
    }
    api_write(req, res, create_write, &p, sizeof p, ENTITY, 0);
}

/* ---- read --------------------------------------------------------------- */

/* Resolves {id} to a participant in scope; answers 404 (audited) otherwise. */
static bool visible_id(http_request *req, http_response *res, pl_id *id)
{
    api_context *app = req->app;
    store_scope sc;
    if (!api_path_id(req, res, 0, id) || !api_scope(req, res, &sc))
        return false;
    if (sc.unit_id == 0 && sc.peer_leader_id == 0)
        return true; /* unrestricted: the read or write itself answers 404 for a missing id */
    pl_err err;
    pl_err_clear(&err);
    if (store_participant_visible(app->store, &sc, *id, &err) != PL_OK) {
        api_fail(res, &err);
        api_audit(req, strcmp(req->method, "GET") == 0 ? "read" : "update", ENTITY, *id, *id,
                  res->status);
        return false;
    }
    return true;
}

void api_participant_get(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_id id;
    if (!visible_id(req, res, &id))
        return;
    pl_participant p;
    pl_err err;
    pl_err_clear(&err);
    if (store_participant_get(app->store, id, &req->arena, &p, &err) != PL_OK) {
        api_fail(res, &err);
        api_audit(req, "read", ENTITY, id, id, res->status);
        return;
    }
    api_send(res, 200, api_participant_json(req, &p));
    api_etag(req, res, p.version);
    api_audit(req, "read", ENTITY, id, id, 200);
}

/* The tier history, oldest first: what changed it, when, and why. */
void api_participant_risk_history(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_id id;
    if (!visible_id(req, res, &id))
        return;
    store_risk_change *items;
    int n;
    pl_err err;
    pl_err_clear(&err);
    if (store_risk_change_list(app->store, id, 1000, &req->arena, &items, &n, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "tier", api_json_str(items[i].tier));
        json_object_object_add(o, "previous_tier", api_json_str(items[i].previous_tier));
        json_object_object_add(o, "reason", api_json_str(items[i].reason));
        json_object_object_add(o, "source_entity", api_json_str(items[i].source_entity));
        json_object_object_add(o, "source_id", api_json_id(items[i].source_id));
        json_object_object_add(o, "changed_by", api_json_id(items[i].changed_by));
        json_object_object_add(o, "changed_at", api_json_time(items[i].changed_at));
        json_object_array_add(arr, o);
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "participant_id", json_object_new_int64(id));
    json_object_object_add(o, "items", arr);
    api_send(res, 200, o);
    api_audit(req, "read", "risk_tier_change", id, id, 200);
}

void api_participant_list(http_request *req, http_response *res)
{
    api_context *app = req->app;
    store_participant_filter f = {.status = -1, .risk_tier = -1};
    store_page pg;
    if (!api_scope(req, res, &f.scope) || !api_page(req, res, &pg) ||
        !api_query_id(req, res, "home_unit_id", &f.home_unit_id) ||
        !api_query_id(req, res, "peer_leader_id", &f.peer_leader_id))
        return;
    pl_err err;
    pl_err_clear(&err);
    const char *status = http_query_get(req, "status");
    const char *tier = http_query_get(req, "risk_tier");
    pl_enrol_status es;
    pl_risk_tier rt;
    if (status && pl_enrol_status_parse(status, &es) != PL_OK)
        pl_err_field(&err, "status", "must be enrolled, withdrawn, completed, deceased or lost");
    else if (status)
        f.status = (int)es;
    if (tier && pl_risk_tier_parse(tier, &rt) != PL_OK)
        pl_err_field(&err, "risk_tier", "must be standard or high_need");
    else if (tier)
        f.risk_tier = (int)rt;
    if (err.nfields) {
        http_problem(res, 400, "a query parameter is malformed", &err);
        return;
    }
    pl_participant *items;
    int n;
    if (store_participant_list(app->store, &f, pg, &req->arena, &items, &n, &err) != PL_OK) {
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

/* ---- change ------------------------------------------------------------- */

typedef enum change_kind { CHANGE_FIELDS, CHANGE_ASSIGN, CHANGE_WITHDRAW } change_kind;

typedef struct change_ctx {
    pl_id id;
    change_kind kind;
    int if_match; /* -1: none */
} change_ctx;

static pl_status change_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    change_ctx *c = ctx;
    pl_participant p;
    pl_status st = store_tx_participant_get(tx, c->id, &req->arena, &p, err);
    if (st != PL_OK)
        return st;
    if ((st = api_version_check(c->if_match, p.version, "participant", err)) != PL_OK)
        return st;
    int version = p.version;
    pl_id old_unit = p.home_unit_id;
    pl_id old_leader = p.peer_leader_id;
    int old_tier = (int)p.risk_tier;
    switch (c->kind) {
    case CHANGE_FIELDS:
        apply_body(req, &p, err);
        if (err->nfields)
            return PL_INVALID;
        if (p.home_unit_id != old_unit && (st = check_home_unit(tx, req, &p, err)) != PL_OK)
            return st;
        if (p.consent && p.consent_date == PL_DATE_NONE)
            p.consent_date = p.enrol_date;
        break;
    case CHANGE_ASSIGN:
        p.peer_leader_id = api_body_id(req, "peer_leader_id");
        if ((st = check_leader(tx, req, &p, err)) != PL_OK)
            return st;
        break;
    case CHANGE_WITHDRAW:
        if (p.status != PL_ENROL_ENROLLED) {
            pl_err_field(err, "status", "is %s: only an enrolled participant can withdraw",
                         pl_enrol_status_name(p.status));
            return PL_INVALID;
        }
        p.status = PL_ENROL_WITHDRAWN;
        p.status_reason = api_body_str(req, "reason");
        p.status_date = api_body_has(req, "date") ? api_body_date(req, "date") : today();
        break;
    }
    if (participant_validate(&p, today(), err) != PL_OK)
        return PL_INVALID;
    if ((st = store_participant_update(tx, &p, version, err)) != PL_OK)
        return st;
    if ((st = api_audit_tx(tx, req, "update", ENTITY, p.id, p.id, 200, err)) != PL_OK)
        return st;
    /* a new leader takes the participant's open tasks with them */
    if (p.peer_leader_id != old_leader &&
        (st = store_tasks_reassign(tx, p.id, p.peer_leader_id, err)) != PL_OK)
        return st;
    if ((int)p.risk_tier != old_tier && (st = record_tier(tx, req, &p, old_tier, err)) != PL_OK)
        return st;
    if ((st = store_followup_refresh(tx, p.id, err)) != PL_OK)
        return st;
    answer(req, &p, 200, out);
    return PL_OK;
}

static void change(http_request *req, http_response *res, change_kind kind)
{
    change_ctx c = {.kind = kind};
    if (!visible_id(req, res, &c.id))
        return;
    c.if_match = api_if_match_version(req, res);
    if (c.if_match == -2)
        return;
    api_write(req, res, change_write, &c, sizeof c, ENTITY, c.id);
}

void api_participant_update(http_request *req, http_response *res)
{
    change(req, res, CHANGE_FIELDS);
}

void api_participant_assign(http_request *req, http_response *res)
{
    change(req, res, CHANGE_ASSIGN);
}

void api_participant_withdraw(http_request *req, http_response *res)
{
    change(req, res, CHANGE_WITHDRAW);
}
