/*
 * tasks.c - /api/v1/tasks and /api/v1/worklist: a peer leader's follow-up
 * work.
 *
 * Follow-up tasks come from the cadence rule (store/followup.c): logging a
 * contact closes one and opens the next, so they are never completed or
 * moved by hand here (the contact's follow_up_date is how a leader plans
 * the next one). People add "custom" tasks, complete, reschedule and
 * cancel them; referral tasks are closed with their referral. Every change
 * re-reads the task in the transaction and honours If-Match.
 *
 * The worklist is the day of one peer leader: their participants' alerts
 * not yet resolved, and their open tasks due up to `days` ahead, grouped
 * by participant and ordered by rules_worklist_compare (urgent alerts,
 * attention alerts, overdue, late, due today, upcoming). Both look-ups are
 * index ranges of that leader's rows.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "core/time.h"

#define ENTITY            "task"
#define WORKLIST_TASKS    500
#define WORKLIST_ALERTS   200
#define WORKLIST_DAYS_MAX 60

static pl_date today_utc(void)
{
    return pl_time_date((pl_time)time(NULL));
}

json_object *api_task_json(const store_task *t)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(t->id));
    json_object_object_add(o, "participant_id", json_object_new_int64(t->participant_id));
    json_object_object_add(o, "peer_leader_id", api_json_id(t->peer_leader_id));
    json_object_object_add(o, "kind", api_json_str(t->kind));
    json_object_object_add(o, "title", api_json_str(t->title));
    json_object_object_add(o, "note", api_json_str(t->note));
    json_object_object_add(o, "due_date", api_json_date(t->due_date));
    json_object_object_add(o, "status", api_json_str(t->status));
    json_object_object_add(o, "source_entity", api_json_str(t->source_entity));
    json_object_object_add(o, "source_id", api_json_id(t->source_id));
    json_object_object_add(o, "created_by", api_json_id(t->created_by));
    json_object_object_add(o, "created_at", api_json_time(t->created_at));
    json_object_object_add(o, "closed_at", api_json_time(t->closed_at));
    json_object_object_add(o, "closed_by", api_json_id(t->closed_by));
    json_object_object_add(o, "closed_contact_id", api_json_id(t->closed_contact_id));
    json_object_object_add(o, "close_note", api_json_str(t->close_note));
    json_object_object_add(o, "version", json_object_new_int(t->version));
    return o;
}

/* ---- create --------------------------------------------------------------- */

typedef struct create_ctx {
    store_task t;
} create_ctx;

static pl_status create_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    store_task *t = &((create_ctx *)ctx)->t;
    pl_participant p;
    pl_status st = store_tx_participant_get(tx, t->participant_id, &req->arena, &p, err);
    if (st != PL_OK)
        return st;
    if (!t->peer_leader_id)
        t->peer_leader_id = p.peer_leader_id;
    if ((st = store_task_insert(tx, t, err)) != PL_OK ||
        (st = api_audit_tx(tx, req, "create", ENTITY, t->id, t->participant_id, 201, err)) != PL_OK)
        return st;
    out->status = 201;
    out->body = api_json_text(req, api_task_json(t));
    out->location = pl_arena_printf(&req->arena, "/api/v1/tasks/%lld", (long long)t->id);
    out->version = t->version;
    return PL_OK;
}

/* A blank (or whitespace-only) text counts as absent. */
static bool blank(const char *s)
{
    return !s || s[strspn(s, " \t\r\n")] == '\0';
}

void api_task_create(http_request *req, http_response *res)
{
    api_context *app = req->app;
    create_ctx ctx = {.t = {.kind = "custom", .created_by = req->account.id}};
    store_task *t = &ctx.t;
    t->participant_id = api_body_id(req, "participant_id");
    if (!api_participant_in_scope(req, res, t->participant_id, ENTITY, 0))
        return;
    pl_err err;
    pl_err_clear(&err);
    t->title = api_body_str(req, "title");
    t->note = api_body_str(req, "note");
    t->due_date = api_body_date(req, "due_date");
    t->peer_leader_id = api_body_id(req, "peer_leader_id");
    if (blank(t->title))
        pl_err_field(&err, "title", "must say what is to be done");
    if (t->due_date < today_utc() - 365 || t->due_date > today_utc() + 730)
        pl_err_field(&err, "due_date", "must be within a year before and two years after today");
    if (t->peer_leader_id) {
        pl_participant p;
        pl_peer_leader l;
        pl_err ignore;
        pl_err_clear(&ignore);
        if (store_participant_get(app->store, t->participant_id, &req->arena, &p, &ignore) !=
                PL_OK ||
            store_peer_leader_get(app->store, t->peer_leader_id, &req->arena, &l, &ignore) !=
                PL_OK ||
            l.program_id != p.program_id)
            pl_err_field(&err, "peer_leader_id",
                         "must be a peer leader of the participant's program");
    }
    if (err.nfields) {
        api_fail(res, &err);
        api_audit(req, "create", ENTITY, 0, t->participant_id, res->status);
        return;
    }
    api_write(req, res, create_write, &ctx, sizeof ctx, ENTITY, t->participant_id);
}

/* ---- read ----------------------------------------------------------------- */

void api_task_get(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_id id;
    if (!api_path_id(req, res, 0, &id))
        return;
    store_task t = {0};
    pl_err err;
    pl_err_clear(&err);
    pl_status st = store_task_get(app->store, id, &req->arena, &t, &err);
    if (!api_record_readable(req, res, st, &err, ENTITY, id, t.participant_id))
        return;
    api_send_read(req, res, api_task_json(&t), ENTITY, id, t.participant_id);
    api_etag(req, res, t.version);
}

static const char *const task_statuses[] = {"open", "done", "cancelled", NULL};
static const char *const task_kinds[] = {"follow_up", "referral", "custom", NULL};

/* An optional query parameter that must be one of names; false (400 written) otherwise. */
static bool query_one_of(http_request *req, http_response *res, const char *name,
                         const char *const *names, const char **out)
{
    *out = http_query_get(req, name);
    if (!*out)
        return true;
    for (const char *const *n = names; *n; n++)
        if (strcmp(*n, *out) == 0)
            return true;
    pl_err err;
    pl_err_clear(&err);
    pl_err_field(&err, name, "must be one of the documented values");
    http_problem(res, 400, "a query parameter is malformed", &err);
    return false;
}

void api_task_list(http_request *req, http_response *res)
{
    api_context *app = req->app;
    store_task_filter f = {0};
    store_page pg;
    if (!api_scope(req, res, &f.scope) || !api_page(req, res, &pg) ||
        !api_query_id(req, res, "participant_id", &f.participant_id) ||
        !api_query_id(req, res, "peer_leader_id", &f.peer_leader_id) ||
        !query_one_of(req, res, "status", task_statuses, &f.status) ||
        !query_one_of(req, res, "kind", task_kinds, &f.kind))
        return;
    store_task *items;
    int n;
    pl_err err;
    pl_err_clear(&err);
    if (store_task_list(app->store, &f, pg, &req->arena, &items, &n, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    json_object *arr = json_object_new_array();
    pl_id *ids = pl_arena_alloc(&req->arena, sizeof *ids * 2 * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        json_object_array_add(arr, api_task_json(&items[i]));
        if (ids) {
            ids[i] = items[i].id;
            ids[n + i] = items[i].participant_id;
        }
    }
    if (ids)
        api_audit_reads(req, ENTITY, ids, ids + n, n);
    api_send_list(req, res, arr, n, &pg, n ? items[n - 1].id : 0);
}

/* ---- complete, reschedule, cancel ----------------------------------------- */

typedef enum change_kind { CHANGE_COMPLETE, CHANGE_RESCHEDULE, CHANGE_CANCEL } change_kind;

static const char *const change_actions[] = {"complete", "reschedule", "cancel"};

typedef struct change_ctx {
    pl_id id;
    change_kind kind;
    int if_match; /* -1: none */
} change_ctx;

static pl_status change_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    change_ctx *c = ctx;
    store_task t;
    pl_status st = store_tx_task_get(tx, c->id, &req->arena, &t, err);
    if (st != PL_OK)
        return st;
    if ((st = api_version_check(c->if_match, t.version, "task", err)) != PL_OK)
        return st;
    if (strcmp(t.status, "open") != 0) {
        pl_err_field(err, "status", "is %s: only an open task can be changed", t.status);
        return PL_INVALID;
    }
    if (strcmp(t.kind, "follow_up") == 0) {
        pl_err_field(err, "kind",
                     "is follow_up: a follow-up closes when a contact is logged, and moves with "
                     "the contact's follow_up_date");
        return PL_INVALID;
    }
    int version = t.version;
    const char *note = api_body_str(req, "note");
    switch (c->kind) {
    case CHANGE_COMPLETE:
        t.status = "done";
        break;
    case CHANGE_CANCEL:
        t.status = "cancelled";
        break;
    case CHANGE_RESCHEDULE:
        t.due_date = api_body_date(req, "due_date");
        if (t.due_date < today_utc() || t.due_date > today_utc() + 730) {
            pl_err_field(err, "due_date", "must be between today and two years from today");
            return PL_INVALID;
        }
        if (note)
            t.note = note;
        break;
    }
    if (c->kind != CHANGE_RESCHEDULE) {
        t.closed_at = (pl_time)time(NULL);
        t.closed_by = req->account.id;
        t.close_note = note;
    }
    if ((st = store_task_update(tx, &t, version, err)) != PL_OK ||
        (st = api_audit_tx(tx, req, change_actions[c->kind], ENTITY, t.id, t.participant_id, 200,
                           err)) != PL_OK)
        return st;
    out->status = 200;
    out->body = api_json_text(req, api_task_json(&t));
    out->version = t.version;
    return PL_OK;
}

static void change(http_request *req, http_response *res, change_kind kind)
{
    api_context *app = req->app;
    change_ctx c = {.kind = kind};
    if (!api_path_id(req, res, 0, &c.id))
        return;
    store_task t = {0};
    pl_err err;
    pl_err_clear(&err);
    pl_status st = store_task_get(app->store, c.id, &req->arena, &t, &err);
    if (st != PL_OK) {
        api_fail(res, &err);
        api_audit(req, change_actions[kind], ENTITY, c.id, 0, res->status);
        return;
    }
    if (!api_participant_in_scope(req, res, t.participant_id, ENTITY, c.id))
        return;
    if (kind == CHANGE_CANCEL && blank(api_body_str(req, "note"))) {
        pl_err_field(&err, "note", "must say why the task is cancelled");
        api_fail(res, &err);
        api_audit(req, change_actions[kind], ENTITY, c.id, t.participant_id, res->status);
        return;
    }
    c.if_match = api_if_match_version(req, res);
    if (c.if_match == -2)
        return;
    api_write(req, res, change_write, &c, sizeof c, ENTITY, t.participant_id);
}

void api_task_complete(http_request *req, http_response *res)
{
    change(req, res, CHANGE_COMPLETE);
}

void api_task_reschedule(http_request *req, http_response *res)
{
    change(req, res, CHANGE_RESCHEDULE);
}

void api_task_cancel(http_request *req, http_response *res)
{
    change(req, res, CHANGE_CANCEL);
}

/* ---- the worklist ----------------------------------------------------------- */

/* One participant's line: their alerts and due tasks, ranked by the worklist rule. */
typedef struct work_line {
    rules_work_item rank;
    const store_alert **alerts;
    int nalerts;
    const store_task **tasks;
    int ntasks;
} work_line;

static int line_compare(const void *a, const void *b)
{
    return rules_worklist_compare(&((const work_line *)a)->rank, &((const work_line *)b)->rank);
}

/* The line of participant id, added when new; NULL when lines are full. */
static work_line *line_for(work_line *lines, int *nlines, int max, pl_id id)
{
    for (int i = 0; i < *nlines; i++)
        if (lines[i].rank.participant_id == id)
            return &lines[i];
    if (*nlines == max)
        return NULL;
    work_line *l = &lines[(*nlines)++];
    memset(l, 0, sizeof *l);
    l->rank.participant_id = id;
    l->rank.due.due = PL_DATE_NONE;
    return l;
}

/* The peer leader whose worklist is asked for: one's own, or ?peer_leader_id= in scope. */
static bool worklist_leader(http_request *req, http_response *res, pl_peer_leader *l)
{
    api_context *app = req->app;
    pl_err err;
    pl_err_clear(&err);
    pl_id id = 0;
    if (!api_query_id(req, res, "peer_leader_id", &id))
        return false;
    if (req->account.role == PL_ROLE_PEER_LEADER || (!id && req->account.person_id > 0)) {
        pl_id own = 0;
        if (req->account.person_id > 0)
            store_peer_leader_by_person(app->store, req->account.person_id, &own, &err);
        if (id && id != own) {
            http_problem(res, 403, "a peer leader sees their own worklist", NULL);
            return false;
        }
        id = own;
    }
    if (!id) {
        pl_err_clear(&err);
        pl_err_field(&err, "peer_leader_id", "is required: your account is not a peer leader");
        http_problem(res, 400, "a query parameter is missing", &err);
        return false;
    }
    pl_err_clear(&err);
    if (store_peer_leader_get(app->store, id, &req->arena, l, &err) != PL_OK ||
        store_unit_in_subtree(app->store, api_scope_unit(req), l->home_unit_id, &err) != PL_OK) {
        http_problem(res, 404, "peer leader not found", NULL);
        return false;
    }
    return true;
}

static json_object *line_json(http_request *req, const work_line *l, const pl_participant *p)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "participant_id", json_object_new_int64(p->id));
    json_object_object_add(o, "given_name", api_json_str(p->person.given_name));
    json_object_object_add(o, "family_name", api_json_str(p->person.family_name));
    json_object_object_add(o, "phone", api_json_str(p->person.phone));
    json_object_object_add(o, "language", api_json_str(p->person.language));
    json_object_object_add(o, "risk_tier", api_json_str(pl_risk_tier_name(p->risk_tier)));
    const char *why = l->rank.urgent_alerts             ? "urgent_alert"
                      : l->rank.attention_alerts        ? "attention_alert"
                      : l->rank.due.due != PL_DATE_NONE ? rules_due_status_name(l->rank.due.status)
                                                        : "none";
    json_object_object_add(o, "priority", json_object_new_string(why));
    json_object_object_add(o, "due_date", api_json_date(l->rank.due.due));
    json_object_object_add(o, "days_overdue", json_object_new_int(l->rank.due.days_overdue));
    json_object *alerts = json_object_new_array();
    for (int i = 0; i < l->nalerts; i++)
        json_object_array_add(alerts, api_alert_json(l->alerts[i]));
    json_object_object_add(o, "alerts", alerts);
    json_object *tasks = json_object_new_array();
    for (int i = 0; i < l->ntasks; i++)
        json_object_array_add(tasks, api_task_json(l->tasks[i]));
    json_object_object_add(o, "tasks", tasks);
    return o;
}

void api_worklist_get(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_peer_leader leader;
    if (!worklist_leader(req, res, &leader))
        return;
    pl_err err;
    pl_err_clear(&err);
    int days = 7;
    if (!api_query_int(req, res, "days", 0, WORKLIST_DAYS_MAX, &days))
        return;
    pl_date today = today_utc();
    const char *date = http_query_get(req, "date");
    if (date && (pl_date_parse(date, &today) != PL_OK || today < today_utc() - 366 ||
                 today > today_utc() + 366)) {
        pl_err_field(&err, "date", "must be a date (YYYY-MM-DD) within a year of today");
        http_problem(res, 400, "a query parameter is malformed", &err);
        return;
    }
    rules_settings rs;
    int version;
    store_task *tasks;
    store_alert *alerts;
    int ntasks, nalerts;
    bool more_tasks, more_alerts;
    if (store_program_rules_get(app->store, leader.program_id, &rs, &version, &err) != PL_OK ||
        store_worklist_tasks(app->store, leader.id, today + days, WORKLIST_TASKS, &req->arena,
                             &tasks, &ntasks, &more_tasks, &err) != PL_OK ||
        store_worklist_alerts(app->store, leader.id, WORKLIST_ALERTS, &req->arena, &alerts,
                              &nalerts, &more_alerts, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    int max = ntasks + nalerts;
    work_line *lines = pl_arena_alloc(&req->arena, sizeof *lines * (size_t)(max ? max : 1));
    const void **refs = pl_arena_alloc(&req->arena, sizeof *refs * (size_t)(2 * max + 1));
    if (!lines || !refs) {
        http_problem(res, 500, "the worklist is larger than the request memory limit", NULL);
        return;
    }
    /* each line's alerts and tasks point into refs: count, then place */
    int nlines = 0;
    for (int i = 0; i < nalerts; i++) {
        work_line *l = line_for(lines, &nlines, max, alerts[i].participant_id);
        l->nalerts++;
        if (strcmp(alerts[i].severity, "urgent") == 0 && strcmp(alerts[i].status, "open") == 0)
            l->rank.urgent_alerts++;
        else
            l->rank.attention_alerts++;
    }
    for (int i = 0; i < ntasks; i++) {
        work_line *l = line_for(lines, &nlines, max, tasks[i].participant_id);
        l->ntasks++;
        /* tasks come earliest first: a line's first task sets its due status */
        if (l->rank.due.due == PL_DATE_NONE)
            rules_due_classify(&rs, tasks[i].due_date, today, &l->rank.due);
    }
    int off = 0;
    for (int i = 0; i < nlines; i++) {
        lines[i].alerts = (const store_alert **)(refs + off);
        off += lines[i].nalerts;
        lines[i].tasks = (const store_task **)(refs + off);
        off += lines[i].ntasks;
        lines[i].nalerts = lines[i].ntasks = 0;
    }
    for (int i = 0; i < nalerts; i++) {
        work_line *l = line_for(lines, &nlines, max, alerts[i].participant_id);
        l->alerts[l->nalerts++] = &alerts[i];
    }
    for (int i = 0; i < ntasks; i++) {
        work_line *l = line_for(lines, &nlines, max, tasks[i].participant_id);
        l->tasks[l->ntasks++] = &tasks[i];
    }
    qsort(lines, (size_t)nlines, sizeof *lines, line_compare);

    store_scope sc;
    if (!api_scope(req, res, &sc))
        return;
    json_object *items = json_object_new_array();
    int counts[RULES_DUE__COUNT] = {0}, alert_lines = 0, shown = 0;
    pl_id *ids = pl_arena_alloc(&req->arena, sizeof *ids * (size_t)(nlines ? nlines : 1));
    for (int i = 0; i < nlines; i++) {
        pl_participant p;
        pl_err_clear(&err);
        /* a manager sees the lines of participants in their own scope only */
        if (store_participant_visible(app->store, &sc, lines[i].rank.participant_id, &err) !=
                PL_OK ||
            store_participant_get(app->store, lines[i].rank.participant_id, &req->arena, &p,
                                  &err) != PL_OK)
            continue;
        if (lines[i].nalerts)
            alert_lines++;
        else if (lines[i].rank.due.due != PL_DATE_NONE)
            counts[lines[i].rank.due.status]++;
        if (ids)
            ids[shown] = p.id;
        shown++;
        json_object_array_add(items, line_json(req, &lines[i], &p));
    }
    if (ids)
        api_audit_reads(req, "participant", ids, ids, shown);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "peer_leader_id", json_object_new_int64(leader.id));
    json_object_object_add(o, "date", api_json_date(today));
    json_object_object_add(o, "days", json_object_new_int(days));
    json_object *c = json_object_new_object();
    json_object_object_add(c, "alerts", json_object_new_int(alert_lines));
    for (int s = 0; s < RULES_DUE__COUNT; s++)
        json_object_object_add(c, rules_due_status_name((rules_due_status)s),
                               json_object_new_int(counts[s]));
    json_object_object_add(o, "counts", c);
    json_object_object_add(o, "items", items);
    json_object_object_add(o, "truncated", json_object_new_boolean(more_tasks || more_alerts));
    api_send(res, 200, o);
}
