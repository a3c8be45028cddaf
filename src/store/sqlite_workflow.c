/*
 * sqlite_workflow.c - the SQLite side of the workflow records of store.h:
 * program rule settings, tasks and the worklist's look-ups, the latest
 * values the risk rule reads, risk-tier history and caseloads.
 *
 * Settings are rows (program_id, name, value) named as core/rules.h names
 * them, so adding a setting needs no migration; program_rules holds the
 * version that ETags and If-Match compare. The worklist's task look-up is
 * one range of the partial index task_open_leader (open tasks only, by
 * leader and due date), so its cost follows the leader's open tasks, not
 * the size of the program.
 */
#include <string.h>
#include <time.h>

#include "sqlite_int.h"

#define TASK_COLS                                                                                  \
    "t.id, t.participant_id, t.peer_leader_id, t.kind, t.title, t.note, t.due_date, t.status, "    \
    "t.source_entity, t.source_id, t.basis_contact_id, t.created_by, t.created_at, t.closed_at, "  \
    "t.closed_by, t.closed_contact_id, t.close_note, t.version"

static const char SQL_RULES_VERSION[] = "SELECT version FROM program_rules WHERE program_id = ?";
static const char SQL_RULES_VALUES[] =
    "SELECT name, value FROM program_rule_value WHERE program_id = ?";
static const char SQL_RULES_INSERT[] = "INSERT INTO program_rules (program_id, version, "
                                       "updated_at, updated_by) VALUES (?1, 2, ?2, ?3)";
static const char SQL_RULES_BUMP[] = "UPDATE program_rules SET version = version + 1, "
                                     "updated_at = ?2, updated_by = ?3 WHERE program_id = ?1 "
                                     "AND (?4 < 0 OR version = ?4)";
static const char SQL_RULES_PUT[] =
    "INSERT INTO program_rule_value (program_id, name, value) VALUES (?,?,?) "
    "ON CONFLICT (program_id, name) DO UPDATE SET value = excluded.value";
static const char SQL_TASK_INSERT[] =
    "INSERT INTO task (participant_id, peer_leader_id, kind, title, note, due_date, "
    "source_entity, source_id, basis_contact_id, created_by, created_at) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?)";
static const char SQL_TASK_GET[] = "SELECT " TASK_COLS " FROM task t WHERE t.id = ?";
static const char SQL_TASK_UPDATE[] =
    "UPDATE task SET peer_leader_id = ?2, title = ?3, note = ?4, due_date = ?5, status = ?6, "
    "closed_at = ?7, closed_by = ?8, closed_contact_id = ?9, close_note = ?10, "
    "version = version + 1 WHERE id = ?1 AND version = ?11";
static const char SQL_TASK_REASSIGN[] = "UPDATE task SET peer_leader_id = ?2, version = version + "
                                        "1 WHERE participant_id = ?1 AND status = 'open' "
                                        "AND peer_leader_id IS DISTINCT FROM ?2";
static const char SQL_TASK_OPEN_FOLLOW_UP[] =
    "SELECT " TASK_COLS " FROM task t WHERE t.participant_id = ? AND t.kind = 'follow_up' "
    "AND t.status = 'open'";
static const char SQL_TASK_BY_SOURCE[] =
    "SELECT " TASK_COLS " FROM task t WHERE t.source_entity = ?1 AND t.source_id = ?2 "
    "AND t.status = 'open'";
static const char SQL_WORKLIST_TASKS[] =
    "SELECT " TASK_COLS " FROM task t WHERE t.peer_leader_id = ?1 AND t.status = 'open' "
    "AND t.due_date <= ?2 ORDER BY t.due_date, t.id LIMIT ?3";
static const char SQL_WORKLIST_ALERTS[] =
    "SELECT " SQ_ALERT_COLS " FROM participant p JOIN alert al ON al.participant_id = p.id "
    "WHERE p.peer_leader_id = ?1 AND al.status IN ('open','acknowledged') "
    "ORDER BY al.id LIMIT ?2";
static const char SQL_LAST_CONTACT[] =
    "SELECT " SQ_CONTACT_COLS " FROM contact c WHERE c.participant_id = ? "
    "AND c.voided_at IS NULL ORDER BY c.occurred_at DESC, c.id DESC LIMIT 1";
static const char SQL_LATEST_VALUE[] =
    "SELECT value FROM measurement WHERE participant_id = ? AND analyte = ? "
    "AND voided_at IS NULL ORDER BY effective_at DESC, id DESC LIMIT 1";
static const char SQL_LATEST_SCORE[] =
    "SELECT score FROM questionnaire_response WHERE participant_id = ? AND instrument = ? "
    "AND scored = 1 ORDER BY completed_at DESC, id DESC LIMIT 1";
static const char SQL_RISK_INSERT[] =
    "INSERT INTO risk_tier_change (participant_id, tier, previous_tier, reason, source_entity, "
    "source_id, changed_by, changed_at) VALUES (?,?,?,?,?,?,?,?)";
static const char SQL_RISK_LIST[] =
    "SELECT id, participant_id, tier, previous_tier, reason, source_entity, source_id, "
    "changed_by, changed_at FROM risk_tier_change WHERE participant_id = ? ORDER BY id LIMIT ?";
static const char SQL_UNASSIGNED_COUNT[] =
    "SELECT count(*) FROM participant p WHERE p.peer_leader_id IS NULL "
    "AND p.status = 'enrolled' AND (?1 = 0 OR p.home_unit_id IN "
    "(SELECT unit_id FROM org_unit_ancestor WHERE ancestor_id = ?1))";

/* ---- program rule settings ---------------------------------------------- */

/* Defaults for a program that never changed its settings: version 1, *stored false. */
static pl_status rules_get(conn *c, pl_id program_id, rules_settings *out, int *version,
                           bool *stored, pl_err *err)
{
    rules_settings_default(out);
    *version = 1;
    *stored = false;
    db_stmt *st = sq_stmt(c, SQL_RULES_VERSION, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, program_id);
    pl_status r = sq_step_row(c, st, err, "program settings");
    if (r == PL_OK) {
        *version = db_column_int(st, 0);
        *stored = true;
    }
    db_reset(st);
    if (r == PL_NOTFOUND) {
        pl_err_clear(err);
        return PL_OK;
    }
    if (r != PL_OK)
        return r;
    if (!(st = sq_stmt(c, SQL_RULES_VALUES, err)))
        return err->status;
    db_bind_int64(st, 1, program_id);
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        /* a name this version does not know (a newer peerlink's) is left alone */
        const rules_setting_field *f = rules_setting_find((const char *)db_column_text(st, 0));
        if (f)
            rules_setting_set(out, f, db_column_double(st, 1));
    }
    db_reset(st);
    if (rc != DB_DONE)
        return sq_error(c->db, rc, err, "program settings");
    return PL_OK;
}

pl_status store_program_rules_get(store *s, pl_id program_id, rules_settings *out, int *version,
                                  pl_err *err)
{
    bool stored;
    conn *c = sq_reader(s, err);
    return c ? rules_get(c, program_id, out, version, &stored, err) : err->status;
}

pl_status store_tx_program_rules_get(store_tx *tx, pl_id program_id, rules_settings *out,
                                     int *version, pl_err *err)
{
    bool stored;
    return rules_get(tx->c, program_id, out, version, &stored, err);
}

pl_status store_program_rules_put(store_tx *tx, pl_id program_id, const rules_settings *rs,
                                  int expected_version, pl_id updated_by, int *new_version,
                                  pl_err *err)
{
    rules_settings current;
    int version;
    bool stored;
    pl_status r = rules_get(tx->c, program_id, &current, &version, &stored, err);
    if (r != PL_OK)
        return r;
    if (expected_version >= 0 && expected_version != version)
        return pl_err_set(err, PL_STALE,
                          "the program's settings were changed by someone else; reload and try "
                          "again");
    db_stmt *st = sq_stmt(tx->c, stored ? SQL_RULES_BUMP : SQL_RULES_INSERT, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, program_id);
    db_bind_int64(st, 2, (db_int64)time(NULL));
    sq_bind_id(st, 3, updated_by);
    if (stored)
        db_bind_int(st, 4, expected_version);
    int changes = 0;
    if ((r = sq_step_done(tx->c, st, &changes, err, "program settings")) != PL_OK)
        return r;
    if (changes == 0)
        return pl_err_set(err, PL_INVALID, "program settings: no such program");
    for (const rules_setting_field *f = rules_setting_fields; f->name; f++) {
        if (!(st = sq_stmt(tx->c, SQL_RULES_PUT, err)))
            return err->status;
        db_bind_int64(st, 1, program_id);
        db_bind_text(st, 2, f->name, -1, DB_STATIC);
        db_bind_double(st, 3, rules_setting_get(rs, f));
        if ((r = sq_step_done(tx->c, st, NULL, err, "program settings")) != PL_OK)
            return r;
    }
    *new_version = version + 1;
    return PL_OK;
}

/* ---- tasks ---------------------------------------------------------------- */

static void task_read(db_stmt *st, pl_arena *a, store_task *t)
{
    memset(t, 0, sizeof *t);
    t->id = db_column_int64(st, 0);
    t->participant_id = db_column_int64(st, 1);
    t->peer_leader_id = sq_col_id(st, 2);
    t->kind = sq_col_text(st, 3, a);
    t->title = sq_col_text(st, 4, a);
    t->note = sq_col_text(st, 5, a);
    t->due_date = sq_col_date(st, 6);
    t->status = sq_col_text(st, 7, a);
    t->source_entity = sq_col_text(st, 8, a);
    t->source_id = sq_col_id(st, 9);
    t->basis_contact_id = sq_col_id(st, 10);
    t->created_by = sq_col_id(st, 11);
    t->created_at = sq_col_time(st, 12);
    t->closed_at = sq_col_time(st, 13);
    t->closed_by = sq_col_id(st, 14);
    t->closed_contact_id = sq_col_id(st, 15);
    t->close_note = sq_col_text(st, 16, a);
    t->version = db_column_int(st, 17);
}

static void task_row(db_stmt *st, pl_arena *a, void *item)
{
    task_read(st, a, item);
}

pl_status store_task_insert(store_tx *tx, store_task *t, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_TASK_INSERT, err);
    if (!st)
        return err->status;
    pl_time now = (pl_time)time(NULL);
    db_bind_int64(st, 1, t->participant_id);
    sq_bind_id(st, 2, t->peer_leader_id);
    sq_bind_text(st, 3, t->kind);
    sq_bind_text(st, 4, t->title);
    sq_bind_text(st, 5, t->note);
    sq_bind_date(st, 6, t->due_date);
    sq_bind_text(st, 7, t->source_entity);
    sq_bind_id(st, 8, t->source_id);
    sq_bind_id(st, 9, t->basis_contact_id);
    sq_bind_id(st, 10, t->created_by);
    db_bind_int64(st, 11, now);
    pl_status r = sq_step_insert(tx->c, st, &t->id, err, "task");
    if (r != PL_OK)
        return r;
    t->status = "open";
    t->created_at = now;
    t->closed_at = PL_TIME_NONE;
    t->closed_by = t->closed_contact_id = 0;
    t->close_note = NULL;
    t->version = 1;
    return PL_OK;
}

static pl_status task_get(conn *c, pl_id id, pl_arena *a, store_task *t, pl_err *err)
{
    SQ_GET_ONE(c, SQL_TASK_GET, id, "task", task_read(st, a, t));
}

pl_status store_task_get(store *s, pl_id id, pl_arena *a, store_task *out, pl_err *err)
{
    conn *c = sq_reader(s, err);
    return c ? task_get(c, id, a, out, err) : err->status;
}

pl_status store_tx_task_get(store_tx *tx, pl_id id, pl_arena *a, store_task *out, pl_err *err)
{
    return task_get(tx->c, id, a, out, err);
}

pl_status store_tx_open_follow_up(store_tx *tx, pl_id participant_id, pl_arena *a, store_task *out,
                                  pl_err *err)
{
    SQ_GET_ONE(tx->c, SQL_TASK_OPEN_FOLLOW_UP, participant_id, "open follow-up task",
               task_read(st, a, out));
}

pl_status store_tx_task_by_source(store_tx *tx, const char *source_entity, pl_id source_id,
                                  pl_arena *a, store_task *out, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_TASK_BY_SOURCE, err);
    if (!st)
        return err->status;
    db_bind_text(st, 1, source_entity, -1, DB_STATIC);
    db_bind_int64(st, 2, source_id);
    pl_status r = sq_step_row(tx->c, st, err, "open task");
    if (r == PL_OK) {
        task_read(st, a, out);
        r = sq_arena_check(a, err);
    }
    db_reset(st);
    db_clear_bindings(st);
    return r;
}

pl_status store_task_update(store_tx *tx, store_task *t, int expected_version, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_TASK_UPDATE, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, t->id);
    sq_bind_id(st, 2, t->peer_leader_id);
    sq_bind_text(st, 3, t->title);
    sq_bind_text(st, 4, t->note);
    sq_bind_date(st, 5, t->due_date);
    sq_bind_text(st, 6, t->status);
    sq_bind_time(st, 7, t->closed_at);
    sq_bind_id(st, 8, t->closed_by);
    sq_bind_id(st, 9, t->closed_contact_id);
    sq_bind_text(st, 10, t->close_note);
    db_bind_int(st, 11, expected_version);
    pl_status r = sq_step_versioned(tx->c, st, err, "task");
    if (r == PL_OK)
        t->version = expected_version + 1;
    return r;
}

pl_status store_tasks_reassign(store_tx *tx, pl_id participant_id, pl_id peer_leader_id,
                               pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_TASK_REASSIGN, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, participant_id);
    sq_bind_id(st, 2, peer_leader_id);
    return sq_step_done(tx->c, st, NULL, err, "task");
}

static const sq_list_def task_list = {
    "SELECT " TASK_COLS " FROM task t JOIN participant p ON p.id = t.participant_id "
    "WHERE t.id > ?1",
    {SQ_IN_SUBTREE("p.home_unit_id", 2), " AND p.peer_leader_id = ?3", " AND t.participant_id = ?4",
     " AND t.peer_leader_id = ?5", " AND t.status = ?6", " AND t.kind = ?7"},
    " ORDER BY t.id LIMIT ?8"};

pl_status store_task_list(store *s, const store_task_filter *f, store_page pg, pl_arena *a,
                          store_task **items, int *n, pl_err *err)
{
    if (SQ_SCOPE_EMPTY(f->scope)) {
        *items = NULL;
        *n = 0;
        return PL_OK;
    }
    sq_list_arg args[SQ_LIST_FILTERS] = {
        SQ_ARG_ID(f->scope.unit_id),  SQ_ARG_ID(f->scope.peer_leader_id),
        SQ_ARG_ID(f->participant_id), SQ_ARG_ID(f->peer_leader_id),
        SQ_ARG_TEXT(f->status),       SQ_ARG_TEXT(f->kind)};
    return sq_list_run(s, &task_list, args, pg, a, sizeof **items, task_row, (void **)items, n,
                       err);
}

pl_status sq_read_capped(conn *c, db_stmt *st, int limit_param, int max, pl_arena *a,
                         size_t item_size, sq_row_fn read, void **items, int *n, bool *more,
                         pl_err *err)
{
    *items = NULL;
    *n = 0;
    *more = false;
    if (max < 1 || max > 1000) {
        db_reset(st);
        db_clear_bindings(st);
        return pl_err_set(err, PL_INVALID, "at most 1000 items can be read at once");
    }
    db_bind_int(st, limit_param, max + 1);
    char *arr = pl_arena_alloc(a, item_size * (size_t)max);
    if (!arr) {
        db_reset(st);
        db_clear_bindings(st);
        return pl_err_set(err, PL_LIMIT, "the list is larger than the request memory limit");
    }
    int rc, count = 0;
    while ((rc = db_step(st)) == DB_ROW) {
        if (count == max) {
            *more = true;
            break;
        }
        read(st, a, arr + item_size * (size_t)count++);
    }
    db_reset(st);
    db_clear_bindings(st);
    if (rc != DB_ROW && rc != DB_DONE)
        return sq_error(c->db, rc, err, "list");
    pl_status r = sq_arena_check(a, err);
    if (r != PL_OK)
        return r;
    *items = arr;
    *n = count;
    return PL_OK;
}

pl_status store_worklist_tasks(store *s, pl_id peer_leader_id, pl_date due_by, int max, pl_arena *a,
                               store_task **items, int *n, bool *more, pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQL_WORKLIST_TASKS, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, peer_leader_id);
    db_bind_int(st, 2, due_by);
    return sq_read_capped(c, st, 3, max, a, sizeof **items, task_row, (void **)items, n, more, err);
}

static void alert_row(db_stmt *st, pl_arena *a, void *item)
{
    sq_alert_read(st, a, item);
}

pl_status store_worklist_alerts(store *s, pl_id peer_leader_id, int max, pl_arena *a,
                                store_alert **items, int *n, bool *more, pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQL_WORKLIST_ALERTS, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, peer_leader_id);
    return sq_read_capped(c, st, 2, max, a, sizeof **items, alert_row, (void **)items, n, more,
                          err);
}

/* ---- the inputs of the follow-up and risk rules ------------------------- */

pl_status store_tx_last_contact(store_tx *tx, pl_id participant_id, pl_arena *a, pl_contact *out,
                                pl_err *err)
{
    SQ_GET_ONE(tx->c, SQL_LAST_CONTACT, participant_id, "contact", sq_contact_read(st, a, out));
}

/* Reads the single REAL column of a statement bound with (participant_id, text). */
static pl_status latest_real(store_tx *tx, const char *sqltext, pl_id participant_id,
                             const char *key, double *out, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, sqltext, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, participant_id);
    db_bind_text(st, 2, key, -1, DB_STATIC);
    pl_status r = sq_step_row(tx->c, st, err, key);
    if (r == PL_OK)
        *out = db_column_double(st, 0);
    db_reset(st);
    db_clear_bindings(st);
    return r;
}

pl_status store_tx_latest_value(store_tx *tx, pl_id participant_id, const char *analyte,
                                double *value, pl_err *err)
{
    return latest_real(tx, SQL_LATEST_VALUE, participant_id, analyte, value, err);
}

pl_status store_tx_latest_score(store_tx *tx, pl_id participant_id, const char *instrument,
                                double *score, pl_err *err)
{
    return latest_real(tx, SQL_LATEST_SCORE, participant_id, instrument, score, err);
}

/* ---- risk-tier history ---------------------------------------------------- */

pl_status store_risk_change_insert(store_tx *tx, store_risk_change *c, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_RISK_INSERT, err);
    if (!st)
        return err->status;
    c->changed_at = (pl_time)time(NULL);
    db_bind_int64(st, 1, c->participant_id);
    sq_bind_text(st, 2, c->tier);
    sq_bind_text(st, 3, c->previous_tier);
    sq_bind_text(st, 4, c->reason);
    sq_bind_text(st, 5, c->source_entity);
    sq_bind_id(st, 6, c->source_id);
    sq_bind_id(st, 7, c->changed_by);
    db_bind_int64(st, 8, c->changed_at);
    return sq_step_insert(tx->c, st, &c->id, err, "risk tier change");
}

static void risk_row(db_stmt *st, pl_arena *a, void *item)
{
    store_risk_change *c = item;
    memset(c, 0, sizeof *c);
    c->id = db_column_int64(st, 0);
    c->participant_id = db_column_int64(st, 1);
    c->tier = sq_col_text(st, 2, a);
    c->previous_tier = sq_col_text(st, 3, a);
    c->reason = sq_col_text(st, 4, a);
    c->source_entity = sq_col_text(st, 5, a);
    c->source_id = sq_col_id(st, 6);
    c->changed_by = sq_col_id(st, 7);
    c->changed_at = sq_col_time(st, 8);
}

pl_status store_risk_change_list(store *s, pl_id participant_id, int max, pl_arena *a,
                                 store_risk_change **items, int *n, pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQL_RISK_LIST, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, participant_id);
    bool more;
    return sq_read_capped(c, st, 2, max, a, sizeof **items, risk_row, (void **)items, n, &more,
                          err);
}

/* ---- caseloads ------------------------------------------------------------ */

static void caseload_row(db_stmt *st, pl_arena *a, void *item)
{
    store_caseload *c = item;
    memset(c, 0, sizeof *c);
    c->peer_leader_id = db_column_int64(st, 0);
    c->given_name = sq_col_text(st, 1, a);
    c->family_name = sq_col_text(st, 2, a);
    c->home_unit_id = db_column_int64(st, 3);
    c->active = db_column_int(st, 4) != 0;
    c->participants = db_column_int64(st, 5);
    c->high_need = db_column_int64(st, 6);
    c->open_tasks = db_column_int64(st, 7);
    c->overdue_tasks = db_column_int64(st, 8);
}

/* ?7 carries the overdue date: the counts run on participant_leader and task_open_leader. */
static const sq_list_def caseload_list = {
    "SELECT l.id, pe.given_name, pe.family_name, l.home_unit_id, l.active, "
    "(SELECT count(*) FROM participant p WHERE p.peer_leader_id = l.id "
    "AND p.status = 'enrolled'), "
    "(SELECT count(*) FROM participant p WHERE p.peer_leader_id = l.id "
    "AND p.status = 'enrolled' AND p.risk_tier = 'high_need'), "
    "(SELECT count(*) FROM task t WHERE t.peer_leader_id = l.id AND t.status = 'open'), "
    "(SELECT count(*) FROM task t WHERE t.peer_leader_id = l.id AND t.status = 'open' "
    "AND t.due_date < ?7) "
    "FROM peer_leader l JOIN person pe ON pe.id = l.person_id WHERE l.id > ?1",
    {SQ_IN_SUBTREE("l.home_unit_id", 2), NULL, NULL, NULL, NULL, " AND ?7 IS NOT NULL"},
    " ORDER BY l.id LIMIT ?8"};

pl_status store_caseload_list(store *s, pl_id scope_unit, pl_date overdue_before, store_page pg,
                              pl_arena *a, store_caseload **items, int *n, pl_err *err)
{
    sq_list_arg args[SQ_LIST_FILTERS] = {SQ_ARG_ID(scope_unit)};
    args[5] = (sq_list_arg){1, overdue_before, NULL};
    return sq_list_run(s, &caseload_list, args, pg, a, sizeof **items, caseload_row, (void **)items,
                       n, err);
}

pl_status store_unassigned_count(store *s, pl_id scope_unit, int64_t *count, pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQL_UNASSIGNED_COUNT, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, scope_unit);
    pl_status r = sq_step_row(c, st, err, "participants");
    if (r == PL_OK)
        *count = db_column_int64(st, 0);
    db_reset(st);
    return r;
}

static void participant_row(db_stmt *st, pl_arena *a, void *item)
{
    sq_participant_read(st, a, item);
}

static const sq_list_def unassigned_list = {
    "SELECT " SQ_PARTICIPANT_COLS SQ_PERSON_COLS
    " FROM participant p JOIN person pe ON pe.id = p.person_id WHERE p.id > ?1 "
    "AND p.peer_leader_id IS NULL AND p.status = 'enrolled'",
    {SQ_IN_SUBTREE("p.home_unit_id", 2)},
    " ORDER BY p.id LIMIT ?8"};

pl_status store_unassigned_list(store *s, pl_id scope_unit, store_page pg, pl_arena *a,
                                pl_participant **items, int *n, pl_err *err)
{
    sq_list_arg args[SQ_LIST_FILTERS] = {SQ_ARG_ID(scope_unit)};
    return sq_list_run(s, &unassigned_list, args, pg, a, sizeof **items, participant_row,
                       (void **)items, n, err);
}
