/*
 * groups.c - /api/v1/groups, /api/v1/group-sessions and
 * /api/v1/course-templates: groups and their time-bounded memberships,
 * sessions, attendance and course templates (docs/GROUPS.md).
 *
 * Scope: a group is visible when its unit lies in the caller's scope and,
 * for a peer leader, when they lead it; anything else answers 404 as if it
 * did not exist. Members and attendance are participant data: their rows
 * are limited to the participants the caller sees, and every row read or
 * written is audited. Evaluators use none of these routes but the course
 * templates: the real dates of sessions would undo the per-participant
 * date shift of the group contacts they see (docs/PRIVACY.md).
 *
 * Recording attendance (PUT .../attendance) replaces the session's
 * attendance for the participants the caller sees, in one transaction that
 * also makes, voids or restores each attendee's group contact and marks
 * the session held (store_group_attendance_record). The group and
 * membership write steps (api_group_*_tx) also serve FHIR Group writes.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "core/time.h"

/* ---- JSON ------------------------------------------------------------------- */

static json_object *key_functions_json(http_request *req, pl_id program_id, uint32_t bits)
{
    json_object *kf = json_object_new_array();
    const char *const *codes = api_key_function_codes(req, program_id);
    for (int bit = 0; bit < PL_KF_MAX_BITS; bit++) {
        if (!(bits & (1u << bit)))
            continue;
        const char *name = bit < PL_KF_PROGRAM_FIRST_BIT ? pl_key_function_name(bit)
                           : codes                       ? codes[bit]
                                                         : NULL;
        json_object_array_add(kf, json_object_new_string(name ? name : "unknown"));
    }
    return kf;
}

static json_object *topics_json(uint32_t bits)
{
    json_object *topics = json_object_new_array();
    for (int t = 0; t < PL_TOPIC__COUNT; t++)
        if (bits & (1u << t))
            json_object_array_add(topics, json_object_new_string(pl_topic_name((pl_topic)t)));
    return topics;
}

static json_object *group_json(const pl_group *g)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(g->id));
    json_object_object_add(o, "version", json_object_new_int(g->version));
    json_object_object_add(o, "program_id", api_json_id(g->program_id));
    json_object_object_add(o, "unit_id", api_json_id(g->unit_id));
    json_object_object_add(o, "kind", api_json_str(pl_group_kind_name(g->kind)));
    json_object_object_add(o, "name", api_json_str(g->name));
    json_object_object_add(o, "peer_leader_id", api_json_id(g->peer_leader_id));
    json_object_object_add(o, "co_leader_id", api_json_id(g->co_leader_id));
    json_object_object_add(o, "language", api_json_str(g->language));
    json_object_object_add(o, "location", api_json_str(g->location));
    json_object_object_add(o, "active", json_object_new_boolean(g->active));
    return o;
}

static json_object *member_json(const pl_group_member *m)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(m->id));
    json_object_object_add(o, "group_id", json_object_new_int64(m->group_id));
    json_object_object_add(o, "participant_id", json_object_new_int64(m->participant_id));
    json_object_object_add(o, "given_name", api_json_str(m->given_name));
    json_object_object_add(o, "family_name", api_json_str(m->family_name));
    json_object_object_add(o, "joined_on", api_json_date(m->joined_on));
    json_object_object_add(o, "left_on", api_json_date(m->left_on));
    json_object_object_add(o, "left_reason", api_json_str(m->left_reason));
    return o;
}

static json_object *session_json(http_request *req, const pl_group_session *s)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(s->id));
    json_object_object_add(o, "version", json_object_new_int(s->version));
    json_object_object_add(o, "group_id", json_object_new_int64(s->group_id));
    json_object_object_add(o, "peer_leader_id", api_json_id(s->peer_leader_id));
    json_object_object_add(o, "status", api_json_str(pl_session_status_name(s->status)));
    json_object_object_add(o, "scheduled_at", api_json_time(s->scheduled_at));
    json_object_object_add(o, "minutes", json_object_new_int(s->minutes));
    json_object_object_add(o, "topic", api_json_str(s->topic));
    json_object_object_add(o, "module_code", api_json_str(s->module_code));
    json_object_object_add(o, "template_id", api_json_id(s->template_id));
    json_object_object_add(o, "module_no",
                           s->module_no > 0 ? json_object_new_int(s->module_no) : NULL);
    json_object_object_add(o, "location", api_json_str(s->location));
    json_object_object_add(o, "notes", api_json_str(s->notes));
    json_object_object_add(o, "key_functions",
                           key_functions_json(req, s->program_id, s->key_functions));
    json_object_object_add(o, "topics", topics_json(s->topics));
    json_object_object_add(o, "cancel_reason", api_json_str(s->cancel_reason));
    json_object *att = json_object_new_object();
    json_object_object_add(att, "attended", json_object_new_int(s->attended));
    json_object_object_add(att, "absent", json_object_new_int(s->absent));
    json_object_object_add(att, "excused", json_object_new_int(s->excused));
    json_object_object_add(o, "attendance", att);
    return o;
}

static json_object *template_json(http_request *req, const pl_course_template *t)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(t->id));
    json_object_object_add(o, "program_id", json_object_new_int64(t->program_id));
    json_object_object_add(o, "code", api_json_str(t->code));
    json_object_object_add(o, "name", api_json_str(t->name));
    json_object_object_add(o, "sessions", json_object_new_int(t->sessions));
    json_object_object_add(o, "interval_days", json_object_new_int(t->interval_days));
    json_object_object_add(o, "minutes", json_object_new_int(t->minutes));
    json_object_object_add(o, "key_functions",
                           key_functions_json(req, t->program_id, t->key_functions));
    json_object *mods = json_object_new_array();
    char title[PL_COURSE_MODULE_MAX + 1];
    for (int k = 0; k < t->sessions && pl_course_module(t, k, title); k++)
        json_object_array_add(mods, json_object_new_string(title));
    json_object_object_add(o, "modules", mods);
    return o;
}

static json_object *attendance_json(const store_attendance *r)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "participant_id", json_object_new_int64(r->participant_id));
    json_object_object_add(o, "status", api_json_str(pl_attendance_name(r->status)));
    json_object_object_add(o, "contact_id", api_json_id(r->contact_id));
    json_object_object_add(o, "recorded_by", api_json_id(r->recorded_by));
    json_object_object_add(o, "recorded_at", api_json_time(r->recorded_at));
    return o;
}

/* ---- parsing -------------------------------------------------------------------- */

static pl_date today(void)
{
    return pl_time_date((pl_time)time(NULL));
}

/* Answers a failure the handler found itself, and audits it. */
static void refuse(http_request *req, http_response *res, const pl_err *err, const char *action,
                   const char *entity, pl_id id, pl_id participant_id)
{
    api_fail(res, err);
    api_audit(req, action, entity, id, participant_id, res->status);
}

/* ---- visibility -------------------------------------------------------------------- */

/* Reads group {id} (path parameter 0) visible to the caller; 404 (audited) otherwise. */
static bool visible_group(http_request *req, http_response *res, const char *action,
                          store_scope *sc, pl_group *g)
{
    api_context *app = req->app;
    pl_id id;
    if (!api_path_id(req, res, 0, &id) || !api_scope(req, res, sc))
        return false;
    pl_err err;
    pl_err_clear(&err);
    if (store_group_visible(app->store, sc, id, &err) != PL_OK ||
        store_group_get(app->store, id, &req->arena, g, &err) != PL_OK) {
        if (err.status == PL_NOTFOUND)
            pl_err_set(&err, PL_NOTFOUND, "group not found");
        refuse(req, res, &err, action, "group", id, 0);
        return false;
    }
    return true;
}

/* Reads session {id} (path parameter 0) whose group the caller sees; 404 (audited) otherwise. */
static bool visible_session(http_request *req, http_response *res, const char *action,
                            store_scope *sc, pl_group_session *s)
{
    api_context *app = req->app;
    pl_id id;
    if (!api_path_id(req, res, 0, &id) || !api_scope(req, res, sc))
        return false;
    pl_err err;
    pl_err_clear(&err);
    if (store_group_session_get(app->store, id, &req->arena, s, &err) != PL_OK ||
        store_group_visible(app->store, sc, s->group_id, &err) != PL_OK) {
        if (err.status == PL_NOTFOUND)
            pl_err_set(&err, PL_NOTFOUND, "group session not found");
        refuse(req, res, &err, action, "group_session", id, 0);
        return false;
    }
    return true;
}

/* ---- groups ------------------------------------------------------------------------- */

typedef struct group_ctx {
    pl_group g;
    int if_match; /* -1: none; updates only */
    bool create;
} group_ctx;

/* Rules that need the store: unit, peer leader, co-leader. Field errors into err. */
static void group_check(http_request *req, store_tx *tx, pl_group *g, const pl_group *before,
                        pl_err *err)
{
    api_context *app = req->app;
    pl_err ignore;
    pl_err_clear(&ignore);
    if (!before) {
        pl_org_unit u;
        if (store_tx_org_unit_get(tx, g->unit_id, &req->arena, &u, &ignore) != PL_OK ||
            (req->account.role != PL_ROLE_ADMIN &&
             store_tx_unit_in_subtree(tx, req->account.scope_unit_id, g->unit_id, &ignore) !=
                 PL_OK))
            pl_err_field(err, "unit_id", "is not an org unit in your scope");
        else if (u.kind == PL_ORG_NETWORK || u.kind == PL_ORG_PROGRAM)
            pl_err_field(err, "unit_id",
                         "must be a unit inside a program (a community, CHC, practice ...), not a "
                         "%s",
                         pl_org_kind_name(u.kind));
        else
            g->program_id = u.program_id;
    }
    if (!before || g->peer_leader_id != before->peer_leader_id) {
        pl_peer_leader l;
        pl_err_clear(&ignore);
        if (store_peer_leader_get(app->store, g->peer_leader_id, &req->arena, &l, &ignore) !=
                PL_OK ||
            (g->program_id && l.program_id != g->program_id))
            pl_err_field(err, "peer_leader_id", "must be a peer leader of the group's program");
        else if (!l.active)
            pl_err_field(err, "peer_leader_id", "is not an active peer leader");
    }
    if (g->co_leader_id && (!before || g->co_leader_id != before->co_leader_id)) {
        pl_staff_account a;
        pl_err_clear(&ignore);
        if (store_tx_staff_account_get(tx, g->co_leader_id, &req->arena, &a, &ignore) != PL_OK ||
            a.disabled)
            pl_err_field(err, "co_leader_id", "must be an active staff account");
        else if (a.role == PL_ROLE_EVALUATOR || a.role == PL_ROLE_PEER_LEADER)
            pl_err_field(err, "co_leader_id",
                         "must be a staff account of the care team (a clinician, program manager "
                         "or navigator), not a %s",
                         pl_role_name(a.role));
        else if (a.scope_unit_id &&
                 store_tx_unit_in_subtree(tx, a.scope_unit_id, g->unit_id, &ignore) != PL_OK)
            pl_err_field(err, "co_leader_id",
                         "must be a staff account whose scope holds the "
                         "group's unit");
    }
}

/* Applies the body's fields to g. */
static void group_apply(http_request *req, pl_group *g, pl_err *err)
{
    const char *kind = api_body_str(req, "kind");
    if (kind && pl_group_kind_parse(kind, &g->kind) != PL_OK)
        pl_err_field(err, "kind", "must be csmg, dsme_class, neighbourhood_club or peer_group");
    if (api_body_has(req, "name"))
        g->name = api_body_str(req, "name");
    if (api_body_has(req, "peer_leader_id"))
        g->peer_leader_id = api_body_id(req, "peer_leader_id");
    if (api_body_has(req, "co_leader_id"))
        g->co_leader_id = api_body_id(req, "co_leader_id");
    if (api_body_has(req, "language"))
        g->language = api_body_str(req, "language");
    if (api_body_has(req, "location"))
        g->location = api_body_str(req, "location");
    if (api_body_has(req, "active"))
        g->active = api_body_bool(req, "active", true);
}

pl_status api_group_save_tx(store_tx *tx, http_request *req, pl_group *g, const pl_group *before,
                            pl_err *err)
{
    group_check(req, tx, g, before, err);
    if (err->nfields || pl_group_validate(g, err) != PL_OK)
        return PL_INVALID;
    pl_status st =
        before ? store_group_update(tx, g, before->version, err) : store_group_insert(tx, g, err);
    if (st == PL_OK)
        st = api_audit_tx(tx, req, before ? "update" : "create", "group", g->id, 0,
                          before ? 200 : 201, err);
    return st;
}

static pl_status group_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                             pl_err *err)
{
    group_ctx *c = ctx;
    pl_group g = c->g, before;
    pl_status st;
    if (!c->create) {
        if ((st = store_tx_group_get(tx, c->g.id, &req->arena, &before, err)) != PL_OK)
            return st;
        if ((st = api_version_check(c->if_match, before.version, "group", err)) != PL_OK)
            return st;
        g = before;
    }
    group_apply(req, &g, err);
    if ((st = api_group_save_tx(tx, req, &g, c->create ? NULL : &before, err)) != PL_OK)
        return st;
    out->status = c->create ? 201 : 200;
    out->body = api_json_text(req, group_json(&g));
    out->version = g.version;
    if (c->create)
        out->location = pl_arena_printf(&req->arena, "/api/v1/groups/%lld", (long long)g.id);
    return PL_OK;
}

void api_group_create(http_request *req, http_response *res)
{
    group_ctx c = {.create = true, .if_match = -1};
    c.g.unit_id = api_body_id(req, "unit_id");
    c.g.active = true;
    api_write(req, res, group_write, &c, sizeof c, "group", 0);
}

void api_group_update(http_request *req, http_response *res)
{
    group_ctx c = {.create = false};
    store_scope sc;
    if (!visible_group(req, res, "update", &sc, &c.g))
        return;
    c.if_match = api_if_match_version(req, res);
    if (c.if_match == -2)
        return;
    api_write(req, res, group_write, &c, sizeof c, "group", 0);
}

void api_group_get(http_request *req, http_response *res)
{
    store_scope sc;
    pl_group g;
    if (!visible_group(req, res, "read", &sc, &g))
        return;
    api_send(res, 200, group_json(&g));
    api_etag(req, res, g.version);
}

void api_group_list(http_request *req, http_response *res)
{
    api_context *app = req->app;
    store_group_filter f = {.kind = -1};
    store_page pg;
    if (!api_scope(req, res, &f.scope) || !api_page(req, res, &pg) ||
        !api_query_id(req, res, "unit_id", &f.unit_id) ||
        !api_query_id(req, res, "peer_leader_id", &f.peer_leader_id) ||
        !api_query_id(req, res, "co_leader_id", &f.co_leader_id))
        return;
    pl_err err;
    pl_err_clear(&err);
    const char *kind = http_query_get(req, "kind");
    pl_group_kind k;
    if (kind && pl_group_kind_parse(kind, &k) != PL_OK) {
        pl_err_field(&err, "kind", "must be csmg, dsme_class, neighbourhood_club or peer_group");
        http_problem(res, 400, "a query parameter is malformed", &err);
        return;
    }
    if (kind)
        f.kind = (int)k;
    pl_group *items;
    int n;
    if (store_group_list(app->store, &f, pg, &req->arena, &items, &n, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++)
        json_object_array_add(arr, group_json(&items[i]));
    api_send_list(req, res, arr, n, &pg, n ? items[n - 1].id : 0);
}

/* ---- members ------------------------------------------------------------------------- */

typedef struct member_ctx {
    pl_group_member m;
    bool end;
    pl_date left_on;
} member_ctx;

pl_status api_group_member_add_tx(store_tx *tx, http_request *req, pl_group_member *m, pl_err *err)
{
    pl_status st = store_group_member_add(tx, m, err);
    if (st == PL_OK)
        st =
            api_audit_tx(tx, req, "create", "group_membership", m->id, m->participant_id, 201, err);
    return st;
}

pl_status api_group_member_end_tx(store_tx *tx, http_request *req, pl_id group_id, pl_id id,
                                  pl_date left_on, const char *reason, pl_group_member *out,
                                  pl_err *err)
{
    pl_status st = store_group_member_end(tx, group_id, id, left_on, reason, &req->arena, out, err);
    if (st == PL_OK)
        st = api_audit_tx(tx, req, "update", "group_membership", out->id, out->participant_id, 200,
                          err);
    return st;
}

static pl_status member_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    member_ctx *c = ctx;
    pl_group_member m = c->m;
    pl_status st = c->end ? api_group_member_end_tx(tx, req, m.group_id, m.id, c->left_on,
                                                    api_body_str(req, "reason"), &m, err)
                          : api_group_member_add_tx(tx, req, &m, err);
    if (st != PL_OK)
        return st;
    if (!c->end) {
        /* the roster carries the names: read them back */
        pl_participant p;
        pl_err ignore;
        pl_err_clear(&ignore);
        if (store_tx_participant_get(tx, m.participant_id, &req->arena, &p, &ignore) == PL_OK) {
            m.given_name = p.person.given_name;
            m.family_name = p.person.family_name;
        }
    }
    out->status = c->end ? 200 : 201;
    out->body = api_json_text(req, member_json(&m));
    return PL_OK;
}

void api_group_member_add(http_request *req, http_response *res)
{
    member_ctx c = {.end = false};
    store_scope sc;
    pl_group g;
    if (!visible_group(req, res, "create", &sc, &g))
        return;
    c.m.group_id = g.id;
    c.m.participant_id = api_body_id(req, "participant_id");
    if (!api_participant_in_scope(req, res, c.m.participant_id, "group_membership", 0))
        return;
    c.m.joined_on = api_body_has(req, "joined_on") ? api_body_date(req, "joined_on") : today();
    c.m.left_on = PL_DATE_NONE;
    api_write(req, res, member_write, &c, sizeof c, "group_membership", c.m.participant_id);
}

void api_group_member_end(http_request *req, http_response *res)
{
    api_context *app = req->app;
    member_ctx c = {.end = true};
    store_scope sc;
    pl_group g;
    if (!visible_group(req, res, "update", &sc, &g))
        return;
    pl_id mid;
    if (!api_path_id(req, res, 1, &mid))
        return;
    pl_err err;
    pl_err_clear(&err);
    pl_group_member m;
    if (store_group_member_get(app->store, mid, &req->arena, &m, &err) != PL_OK ||
        m.group_id != g.id) {
        pl_err_set(&err, PL_NOTFOUND, "membership not found");
        refuse(req, res, &err, "update", "group_membership", mid, 0);
        return;
    }
    if (!api_participant_in_scope(req, res, m.participant_id, "group_membership", mid))
        return;
    c.m = m;
    c.left_on = api_body_has(req, "left_on") ? api_body_date(req, "left_on") : today();
    api_write(req, res, member_write, &c, sizeof c, "group_membership", m.participant_id);
}

void api_group_member_list(http_request *req, http_response *res)
{
    api_context *app = req->app;
    store_group_member_filter f = {.current = -1};
    store_page pg;
    pl_group g;
    if (!visible_group(req, res, "read", &f.scope, &g) || !api_page(req, res, &pg) ||
        !api_query_id(req, res, "participant_id", &f.participant_id))
        return;
    f.group_id = g.id;
    const char *current = http_query_get(req, "current");
    pl_err err;
    pl_err_clear(&err);
    if (current && strcmp(current, "true") != 0 && strcmp(current, "false") != 0) {
        pl_err_field(&err, "current", "must be true or false");
        http_problem(res, 400, "a query parameter is malformed", &err);
        return;
    }
    if (current)
        f.current = strcmp(current, "true") == 0;
    pl_group_member *items;
    int n;
    if (store_group_member_list(app->store, &f, pg, &req->arena, &items, &n, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    json_object *arr = json_object_new_array();
    pl_id *ids = pl_arena_alloc(&req->arena, sizeof *ids * 2 * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        json_object_array_add(arr, member_json(&items[i]));
        if (ids) {
            ids[i] = items[i].id;
            ids[n + i] = items[i].participant_id;
        }
    }
    if (ids)
        api_audit_reads(req, "group_membership", ids, ids + n, n);
    api_send_list(req, res, arr, n, &pg, n ? items[n - 1].id : 0);
}

/* ---- sessions ---------------------------------------------------------------------------- */

typedef struct session_ctx {
    pl_group_session s;
    int if_match;
    bool create;
} session_ctx;

/* Applies the body's session fields to s; key functions and topics in the program's names. */
static void session_apply(http_request *req, pl_group_session *s, pl_err *err)
{
    if (api_body_has(req, "scheduled_at"))
        s->scheduled_at = api_body_time(req, "scheduled_at");
    if (api_body_has(req, "minutes"))
        s->minutes = (int)api_body_int(req, "minutes", 0);
    if (api_body_has(req, "topic"))
        s->topic = api_body_str(req, "topic");
    if (api_body_has(req, "module_code"))
        s->module_code = api_body_str(req, "module_code");
    if (api_body_has(req, "location"))
        s->location = api_body_str(req, "location");
    if (api_body_has(req, "notes"))
        s->notes = api_body_str(req, "notes");
    if (api_body_has(req, "key_functions"))
        s->key_functions = api_body_key_functions(req, s->program_id, err);
    if (api_body_has(req, "topics"))
        s->topics = api_body_topics(req, err);
    if (api_body_has(req, "cancel_reason"))
        s->cancel_reason = api_body_str(req, "cancel_reason");
}

static pl_status session_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                               pl_err *err)
{
    session_ctx *c = ctx;
    pl_group_session s = c->s, before;
    pl_status st;
    pl_time now = (pl_time)time(NULL);
    if (!c->create) {
        if ((st = store_tx_group_session_get(tx, c->s.id, &req->arena, &before, err)) != PL_OK)
            return st;
        if ((st = api_version_check(c->if_match, before.version, "session", err)) != PL_OK)
            return st;
        s = before;
        const char *status = api_body_str(req, "status");
        pl_session_status to = before.status;
        if (status && pl_session_status_parse(status, &to) != PL_OK)
            pl_err_field(err, "status", "must be scheduled, held or cancelled");
        else if (pl_session_transition(before.status, to, err) == PL_OK)
            s.status = to;
        if (s.status != PL_SESSION_CANCELLED && before.status == PL_SESSION_CANCELLED &&
            !api_body_has(req, "cancel_reason"))
            s.cancel_reason = NULL; /* rescheduled */
    }
    session_apply(req, &s, err);
    if (s.status == PL_SESSION_HELD && s.scheduled_at > now + 600)
        pl_err_field(err, "scheduled_at",
                     "is in the future: a session is held once it has taken place");
    if (err->nfields ||
        pl_group_session_validate(&s, api_program_kf_mask(req, s.program_id), err) != PL_OK)
        return PL_INVALID;
    st = c->create ? store_group_session_insert(tx, &s, err)
                   : store_group_session_update(tx, &s, before.version, err);
    if (st == PL_OK)
        st = api_audit_tx(tx, req, c->create ? "create" : "update", "group_session", s.id, 0,
                          c->create ? 201 : 200, err);
    if (st != PL_OK)
        return st;
    out->status = c->create ? 201 : 200;
    out->body = api_json_text(req, session_json(req, &s));
    out->version = s.version;
    if (c->create)
        out->location =
            pl_arena_printf(&req->arena, "/api/v1/group-sessions/%lld", (long long)s.id);
    return PL_OK;
}

void api_group_session_create(http_request *req, http_response *res)
{
    session_ctx c = {.create = true, .if_match = -1};
    store_scope sc;
    pl_group g;
    if (!visible_group(req, res, "create", &sc, &g))
        return;
    if (!g.active) {
        pl_err err;
        pl_err_clear(&err);
        pl_err_field(&err, "active", "the group is inactive: it holds no new sessions");
        refuse(req, res, &err, "create", "group_session", 0, 0);
        return;
    }
    c.s = (pl_group_session){.group_id = g.id,
                             .program_id = g.program_id,
                             .peer_leader_id = g.peer_leader_id,
                             .status = PL_SESSION_SCHEDULED,
                             .location = g.location,
                             .scheduled_at = PL_TIME_NONE};
    api_write(req, res, session_write, &c, sizeof c, "group_session", 0);
}

void api_group_session_update(http_request *req, http_response *res)
{
    session_ctx c = {.create = false};
    store_scope sc;
    if (!visible_session(req, res, "update", &sc, &c.s))
        return;
    c.if_match = api_if_match_version(req, res);
    if (c.if_match == -2)
        return;
    api_write(req, res, session_write, &c, sizeof c, "group_session", 0);
}

void api_group_session_get(http_request *req, http_response *res)
{
    store_scope sc;
    pl_group_session s;
    if (!visible_session(req, res, "read", &sc, &s))
        return;
    api_send(res, 200, session_json(req, &s));
    api_etag(req, res, s.version);
}

void api_group_session_list(http_request *req, http_response *res)
{
    api_context *app = req->app;
    store_group_session_filter f = {.status = -1};
    store_page pg;
    if (!api_scope(req, res, &f.scope) || !api_page(req, res, &pg) ||
        !api_query_id(req, res, "group_id", &f.group_id) ||
        !api_query_time(req, res, "since", &f.since) ||
        !api_query_time(req, res, "until", &f.until))
        return;
    pl_err err;
    pl_err_clear(&err);
    const char *status = http_query_get(req, "status");
    pl_session_status ss;
    if (status && pl_session_status_parse(status, &ss) != PL_OK) {
        pl_err_field(&err, "status", "must be scheduled, held or cancelled");
        http_problem(res, 400, "a query parameter is malformed", &err);
        return;
    }
    if (status)
        f.status = (int)ss;
    pl_group_session *items;
    int n;
    if (store_group_session_list(app->store, &f, pg, &req->arena, &items, &n, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++)
        json_object_array_add(arr, session_json(req, &items[i]));
    api_send_list(req, res, arr, n, &pg, n ? items[n - 1].id : 0);
}

/* ---- scheduling a course ------------------------------------------------------------------- */

typedef struct course_ctx {
    pl_id group_id;
    pl_id template_id;
} course_ctx;

static pl_status course_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    course_ctx *c = ctx;
    pl_course_template t;
    pl_status st = store_tx_course_template_get(tx, c->template_id, &req->arena, &t, err);
    if (st == PL_NOTFOUND) {
        pl_err_clear(err);
        pl_err_field(err, "template_id", "is not a course template");
        return PL_INVALID;
    }
    pl_group_session *made;
    if (st != PL_OK || (st = store_group_schedule_course(
                            tx, c->group_id, &t, api_body_time(req, "first_at"),
                            api_body_str(req, "location"), &req->arena, &made, err)) != PL_OK)
        return st;
    json_object *arr = json_object_new_array();
    for (int k = 0; k < t.sessions; k++) {
        made[k].program_id = t.program_id;
        if ((st = api_audit_tx(tx, req, "create", "group_session", made[k].id, 0, 201, err)) !=
            PL_OK) {
            json_object_put(arr);
            return st;
        }
        json_object_array_add(arr, session_json(req, &made[k]));
    }
    json_object *body = json_object_new_object();
    json_object_object_add(body, "items", arr);
    out->status = 201;
    out->body = api_json_text(req, body);
    out->location = pl_arena_printf(&req->arena, "/api/v1/group-sessions?group_id=%lld",
                                    (long long)c->group_id);
    return PL_OK;
}

void api_group_schedule_course(http_request *req, http_response *res)
{
    course_ctx c = {0};
    store_scope sc;
    pl_group g;
    if (!visible_group(req, res, "create", &sc, &g))
        return;
    if (!g.active) {
        pl_err err;
        pl_err_clear(&err);
        pl_err_field(&err, "active", "the group is inactive: it holds no new sessions");
        refuse(req, res, &err, "create", "group_session", 0, 0);
        return;
    }
    c.group_id = g.id;
    c.template_id = api_body_id(req, "template_id");
    api_write(req, res, course_write, &c, sizeof c, "group_session", 0);
}

/* ---- attendance ------------------------------------------------------------------------------ */

typedef struct attendance_ctx {
    pl_id session_id;
    store_scope scope;
    int if_match;
    store_attendance *entries;
    int n;
} attendance_ctx;

static pl_status attendance_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                                  pl_err *err)
{
    attendance_ctx *c = ctx;
    pl_group_session s;
    pl_status st = store_tx_group_session_get(tx, c->session_id, &req->arena, &s, err);
    if (st != PL_OK)
        return st;
    if ((st = api_version_check(c->if_match, s.version, "session", err)) != PL_OK)
        return st;
    store_attendance_change *ch;
    int nch;
    pl_time now = (pl_time)time(NULL);
    if ((st = store_group_attendance_record(tx, c->session_id, &c->scope, c->entries, c->n,
                                            req->account.id, now, &req->arena, &ch, &nch, err)) !=
        PL_OK)
        return st;
    for (int i = 0; i < nch && st == PL_OK; i++) {
        pl_id pid = ch[i].participant_id;
        st = api_audit_tx(tx, req, "update", "group_attendance", c->session_id, pid, 200, err);
        if (st == PL_OK && ch[i].contact_created)
            st = api_audit_tx(tx, req, "create", "contact", ch[i].contact_created, pid, 201, err);
        if (st == PL_OK && ch[i].contact_restored)
            st = api_audit_tx(tx, req, "restore", "contact", ch[i].contact_restored, pid, 200, err);
        if (st == PL_OK && ch[i].contact_voided)
            st = api_audit_tx(tx, req, "void", "contact", ch[i].contact_voided, pid, 200, err);
    }
    store_attendance *rows;
    int n;
    if (st != PL_OK ||
        (st = store_tx_group_session_get(tx, c->session_id, &req->arena, &s, err)) != PL_OK ||
        (st = store_tx_group_attendance_list(tx, c->session_id, &c->scope, &req->arena, &rows, &n,
                                             err)) != PL_OK)
        return st;
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++)
        json_object_array_add(arr, attendance_json(&rows[i]));
    json_object *body = json_object_new_object();
    json_object_object_add(body, "session", session_json(req, &s));
    json_object_object_add(body, "items", arr);
    out->status = 200;
    out->body = api_json_text(req, body);
    out->version = s.version;
    return PL_OK;
}

void api_group_attendance_put(http_request *req, http_response *res)
{
    attendance_ctx c = {0};
    pl_group_session s;
    if (!visible_session(req, res, "update", &c.scope, &s))
        return;
    c.session_id = s.id;
    c.if_match = api_if_match_version(req, res);
    if (c.if_match == -2)
        return;
    json_object *arr = NULL;
    json_object_object_get_ex(req->json, "attendance", &arr);
    c.n = arr ? (int)json_object_array_length(arr) : 0;
    c.entries = pl_arena_alloc(&req->arena, sizeof *c.entries * (size_t)(c.n ? c.n : 1));
    if (!c.entries) {
        http_problem(res, 413, "the request needs more memory than a request may use", NULL);
        return;
    }
    for (int i = 0; i < c.n; i++) {
        json_object *item = json_object_array_get_idx(arr, (size_t)i), *v;
        memset(&c.entries[i], 0, sizeof c.entries[i]);
        if (json_object_object_get_ex(item, "participant_id", &v))
            c.entries[i].participant_id = (pl_id)json_object_get_int64(v);
        if (json_object_object_get_ex(item, "status", &v))
            pl_attendance_parse(json_object_get_string(v), &c.entries[i].status);
    }
    api_write(req, res, attendance_write, &c, sizeof c, "group_attendance", 0);
}

void api_group_attendance_get(http_request *req, http_response *res)
{
    api_context *app = req->app;
    store_scope sc;
    pl_group_session s;
    if (!visible_session(req, res, "read", &sc, &s))
        return;
    store_attendance *rows;
    int n;
    pl_err err;
    pl_err_clear(&err);
    if (store_group_attendance_list(app->store, s.id, &sc, &req->arena, &rows, &n, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    json_object *arr = json_object_new_array();
    pl_id *ids = pl_arena_alloc(&req->arena, sizeof *ids * 2 * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        json_object_array_add(arr, attendance_json(&rows[i]));
        if (ids) {
            ids[i] = s.id;
            ids[n + i] = rows[i].participant_id;
        }
    }
    if (ids)
        api_audit_reads(req, "group_attendance", ids, ids + n, n);
    json_object *body = json_object_new_object();
    json_object_object_add(body, "session", session_json(req, &s));
    json_object_object_add(body, "items", arr);
    api_send(res, 200, body);
    api_etag(req, res, s.version);
}

/* ---- course templates ---------------------------------------------------------------------------
 */

static pl_status template_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                                pl_err *err)
{
    pl_course_template t = *(pl_course_template *)ctx;
    pl_status st = store_course_template_insert(tx, &t, err);
    if (st == PL_OK)
        st = api_audit_tx(tx, req, "create", "course_template", t.id, 0, 201, err);
    if (st != PL_OK)
        return st;
    out->status = 201;
    out->body = api_json_text(req, template_json(req, &t));
    out->location = pl_arena_printf(&req->arena, "/api/v1/course-templates/%lld", (long long)t.id);
    return PL_OK;
}

void api_course_template_create(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_course_template t = {0};
    pl_err err;
    pl_err_clear(&err);
    t.program_id = api_body_id(req, "program_id");
    pl_org_unit u;
    pl_err ignore;
    pl_err_clear(&ignore);
    if (store_org_unit_get(app->store, t.program_id, &req->arena, &u, &ignore) != PL_OK ||
        u.kind != PL_ORG_PROGRAM ||
        (req->account.role != PL_ROLE_ADMIN &&
         store_unit_in_subtree(app->store, req->account.scope_unit_id, t.program_id, &ignore) !=
             PL_OK)) {
        pl_err_field(&err, "program_id", "is not a program in your scope");
        refuse(req, res, &err, "create", "course_template", 0, 0);
        return;
    }
    t.code = api_body_str(req, "code");
    t.name = api_body_str(req, "name");
    t.sessions = (int)api_body_int(req, "sessions", 0);
    t.interval_days = (int)api_body_int(req, "interval_days", 0);
    t.minutes = (int)api_body_int(req, "minutes", 0);
    t.key_functions = api_body_key_functions(req, t.program_id, &err);
    int n;
    const char **mods = api_body_strings(req, "modules", &n);
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(mods[i]) + 1;
    char *joined = pl_arena_alloc(&req->arena, len);
    if (!joined) {
        http_problem(res, 413, "the request needs more memory than a request may use", NULL);
        return;
    }
    joined[0] = '\0';
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        size_t k = strlen(mods[i]);
        if (i)
            joined[at++] = '\n';
        memcpy(joined + at, mods[i], k);
        at += k;
        joined[at] = '\0';
        if (!mods[i][0]) {
            char field[32];
            snprintf(field, sizeof field, "modules[%d]", i);
            pl_err_field(&err, field, "must not be empty");
        }
    }
    t.modules = joined;
    if (err.nfields ||
        pl_course_template_validate(&t, api_program_kf_mask(req, t.program_id), &err) != PL_OK) {
        refuse(req, res, &err, "create", "course_template", 0, 0);
        return;
    }
    api_write(req, res, template_write, &t, sizeof t, "course_template", 0);
}

/* A template is visible when its program is the caller's or lies in the caller's scope. */
void api_course_template_get(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_id id;
    if (!api_path_id(req, res, 0, &id))
        return;
    pl_course_template t;
    pl_err err;
    pl_err_clear(&err);
    pl_id scope = req->account.role == PL_ROLE_ADMIN ? 0 : req->account.scope_unit_id;
    if (store_course_template_get(app->store, id, &req->arena, &t, &err) != PL_OK ||
        store_unit_visible(app->store, scope, t.program_id, &err) != PL_OK) {
        pl_err_set(&err, PL_NOTFOUND, "course template not found");
        api_fail(res, &err);
        return;
    }
    api_send(res, 200, template_json(req, &t));
}

void api_course_template_list(http_request *req, http_response *res)
{
    api_context *app = req->app;
    store_page pg;
    pl_id program_id;
    if (!api_page(req, res, &pg) || !api_query_id(req, res, "program_id", &program_id))
        return;
    pl_id scope = req->account.role == PL_ROLE_ADMIN ? 0 : req->account.scope_unit_id;
    pl_course_template *items;
    int n;
    pl_err err;
    pl_err_clear(&err);
    if (store_course_template_list(app->store, scope, program_id, pg, &req->arena, &items, &n,
                                   &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++)
        json_object_array_add(arr, template_json(req, &items[i]));
    api_send_list(req, res, arr, n, &pg, n ? items[n - 1].id : 0);
}
