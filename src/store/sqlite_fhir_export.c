/*
 * sqlite_fhir_export.c - the Bulk Data export jobs' rows
 * (store_fhir_export.h), on both backends (db.h; docs/POSTGRESQL.md).
 *
 * Every change of a job is one guarded UPDATE: a claim takes the oldest
 * queued row, a runner's progress and end only touch a row still running
 * (no row changed: PL_STALE, the job was cancelled or taken for lost), so
 * two servers never run one job and a DELETE is seen by the runner at its
 * next write. Writers take turns (one writer per server, an advisory lock
 * across servers on PostgreSQL), which is what makes the ceilings' counts
 * and the claim atomic.
 */
#include <string.h>

#include "sqlite_int.h"
#include "store_fhir_export.h"

#define JOB_COLS                                                                                   \
    "id, account_id, role, scope_unit, scope_leader, level, group_id, types, since, kicked_off, "  \
    "request, client_addr, dir, state, progress, error, outputs, finished_at, heartbeat_at"

static const char SQL_COUNTS[] =
    "SELECT COALESCE(SUM(CASE WHEN state IN ('queued', 'running') THEN 1 ELSE 0 END), 0), "
    "count(*) FROM fhir_export_job";
static const char SQL_INSERT[] =
    "INSERT INTO fhir_export_job (" JOB_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
    "?11, ?12, NULL, 'queued', 'queued', NULL, '', NULL, ?10)";
static const char SQL_GET[] = "SELECT " JOB_COLS " FROM fhir_export_job WHERE id = ?1";
static const char SQL_ANY_QUEUED[] = "SELECT 1 FROM fhir_export_job WHERE state = 'queued' LIMIT 1";
static const char SQL_CLAIM[] =
    "UPDATE fhir_export_job SET state = 'running', dir = ?1, progress = 'starting', "
    "heartbeat_at = ?2 WHERE id = (SELECT id FROM fhir_export_job WHERE state = 'queued' "
    "ORDER BY kicked_off, id LIMIT 1) RETURNING id";
static const char SQL_PROGRESS[] =
    "UPDATE fhir_export_job SET progress = ?2, outputs = ?3, heartbeat_at = ?4 "
    "WHERE id = ?1 AND state = 'running'";
static const char SQL_FINISH[] =
    "UPDATE fhir_export_job SET state = ?2, error = ?3, outputs = ?4, finished_at = ?5, "
    "heartbeat_at = ?5 WHERE id = ?1 AND state = 'running'";
static const char SQL_CANCEL[] = "UPDATE fhir_export_job SET state = 'cancelled' "
                                 "WHERE id = ?1 AND state IN ('queued', 'running')";
static const char SQL_REQUEUE[] =
    "UPDATE fhir_export_job SET state = 'queued', dir = NULL, progress = 'queued', outputs = '', "
    "heartbeat_at = kicked_off WHERE id = ?1 AND state = 'running'";
static const char SQL_DELETE[] = "DELETE FROM fhir_export_job WHERE id = ?1";
static const char SQL_STALE[] =
    "SELECT " JOB_COLS " FROM fhir_export_job WHERE (state IN ('done', 'failed') AND "
    "finished_at < ?1) OR (state IN ('running', 'cancelled') AND heartbeat_at < ?2) "
    "ORDER BY kicked_off, id LIMIT ?3";

static const char *const STATE_NAMES[] = {"queued", "running", "done", "failed", "cancelled"};

static store_export_state state_of(const char *name)
{
    for (int i = 0; i < (int)(sizeof STATE_NAMES / sizeof STATE_NAMES[0]); i++)
        if (name && strcmp(name, STATE_NAMES[i]) == 0)
            return (store_export_state)i;
    return STORE_EXPORT_FAILED;
}

static void read_job(db_stmt *st, pl_arena *a, store_export_job *j)
{
    j->id = sq_col_text(st, 0, a);
    j->account_id = sq_col_id(st, 1);
    j->role = (int)db_column_int64(st, 2);
    j->scope.unit_id = sq_col_id(st, 3);
    j->scope.peer_leader_id = sq_col_id(st, 4);
    j->level = (int)db_column_int64(st, 5);
    j->group_id = sq_col_id(st, 6);
    j->types = (uint32_t)db_column_int64(st, 7);
    j->since = sq_col_time(st, 8);
    j->kicked_off = sq_col_time(st, 9);
    j->request = sq_col_text(st, 10, a);
    j->client_addr = sq_col_text(st, 11, a);
    j->dir = sq_col_text(st, 12, a);
    j->state = state_of(sq_col_text(st, 13, a));
    j->progress = sq_col_text(st, 14, a);
    j->error = sq_col_text(st, 15, a);
    j->outputs = sq_col_text(st, 16, a);
    j->finished_at = sq_col_time(st, 17);
    j->heartbeat_at = sq_col_time(st, 18);
}

static pl_status get_on(conn *c, const char *id, pl_arena *a, store_export_job *out, pl_err *err)
{
    db_stmt *st = sq_stmt(c, SQL_GET, err);
    if (!st)
        return err->status;
    db_bind_text(st, 1, id, -1, DB_STATIC);
    pl_status r = sq_step_row(c, st, err, "export");
    if (r == PL_OK)
        read_job(st, a, out);
    db_reset(st);
    return r == PL_OK ? sq_arena_check(a, err) : r;
}

pl_status store_export_insert(store_tx *tx, const store_export_job *j, int active_max, int kept_max,
                              pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_COUNTS, err);
    if (!st)
        return err->status;
    pl_status r = sq_step_row(tx->c, st, err, "exports");
    int64_t active = r == PL_OK ? db_column_int64(st, 0) : 0;
    int64_t kept = r == PL_OK ? db_column_int64(st, 1) : 0;
    db_reset(st);
    if (r != PL_OK)
        return r;
    if (active >= active_max)
        return pl_err_set(err, PL_LIMIT, "too many exports are running; try again shortly");
    if (kept >= kept_max)
        return pl_err_set(err, PL_LIMIT,
                          "too many finished exports are kept; DELETE the ones you have "
                          "downloaded");
    if (!(st = sq_stmt(tx->c, SQL_INSERT, err)))
        return err->status;
    db_bind_text(st, 1, j->id, -1, DB_STATIC);
    db_bind_int64(st, 2, j->account_id);
    db_bind_int64(st, 3, j->role);
    db_bind_int64(st, 4, j->scope.unit_id);
    db_bind_int64(st, 5, j->scope.peer_leader_id);
    db_bind_int64(st, 6, j->level);
    sq_bind_id(st, 7, j->group_id);
    db_bind_int64(st, 8, (db_int64)j->types);
    sq_bind_time(st, 9, j->since);
    sq_bind_time(st, 10, j->kicked_off);
    db_bind_text(st, 11, j->request, -1, DB_STATIC);
    db_bind_text(st, 12, j->client_addr, -1, DB_STATIC);
    return sq_step_done(tx->c, st, NULL, err, "export");
}

pl_status store_export_get(store *s, const char *id, pl_arena *a, store_export_job *out,
                           pl_err *err)
{
    conn *c = sq_reader(s, err);
    return c ? get_on(c, id, a, out, err) : err->status;
}

pl_status store_export_any_queued(store *s, bool *any, pl_err *err)
{
    *any = false;
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQL_ANY_QUEUED, err);
    if (!st)
        return err->status;
    pl_status r = sq_step_row(c, st, err, "queued export");
    db_reset(st);
    *any = r == PL_OK;
    if (r == PL_NOTFOUND) {
        pl_err_clear(err);
        return PL_OK;
    }
    return r;
}

pl_status store_export_claim(store_tx *tx, const char *dir, pl_time now, pl_arena *a,
                             store_export_job *out, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_CLAIM, err);
    if (!st)
        return err->status;
    db_bind_text(st, 1, dir, -1, DB_STATIC);
    sq_bind_time(st, 2, now);
    pl_status r = sq_step_row(tx->c, st, err, "queued export");
    const char *id = r == PL_OK ? sq_col_text(st, 0, a) : NULL;
    db_reset(st);
    if (r != PL_OK)
        return r;
    if (!id)
        return sq_arena_check(a, err);
    return get_on(tx->c, id, a, out, err);
}

/* Steps a guarded UPDATE of a running job: no row changed is PL_STALE. */
static pl_status step_running(conn *c, db_stmt *st, pl_err *err)
{
    int changes = 0;
    pl_status r = sq_step_done(c, st, &changes, err, "export");
    if (r == PL_OK && changes == 0)
        return pl_err_set(err, PL_STALE, "the export was cancelled");
    return r;
}

pl_status store_export_progress(store_tx *tx, const char *id, const char *progress,
                                const char *outputs, pl_time now, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_PROGRESS, err);
    if (!st)
        return err->status;
    db_bind_text(st, 1, id, -1, DB_STATIC);
    db_bind_text(st, 2, progress, -1, DB_STATIC);
    db_bind_text(st, 3, outputs, -1, DB_STATIC);
    sq_bind_time(st, 4, now);
    return step_running(tx->c, st, err);
}

pl_status store_export_finish(store_tx *tx, const char *id, store_export_state state,
                              const char *error, const char *outputs, pl_time now, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_FINISH, err);
    if (!st)
        return err->status;
    db_bind_text(st, 1, id, -1, DB_STATIC);
    db_bind_text(st, 2, STATE_NAMES[state], -1, DB_STATIC);
    sq_bind_text(st, 3, error);
    db_bind_text(st, 4, outputs, -1, DB_STATIC);
    sq_bind_time(st, 5, now);
    return step_running(tx->c, st, err);
}

pl_status store_export_cancel(store_tx *tx, const char *id, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_CANCEL, err);
    if (!st)
        return err->status;
    db_bind_text(st, 1, id, -1, DB_STATIC);
    int changes = 0;
    pl_status r = sq_step_done(tx->c, st, &changes, err, "export");
    if (r == PL_OK && changes == 0)
        return pl_err_set(err, PL_NOTFOUND, "the export is not queued or running");
    return r;
}

pl_status store_export_delete(store_tx *tx, const char *id, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_DELETE, err);
    if (!st)
        return err->status;
    db_bind_text(st, 1, id, -1, DB_STATIC);
    return sq_step_done(tx->c, st, NULL, err, "export");
}

pl_status store_export_stale(store *s, pl_time kept_before, pl_time lost_before, int max,
                             pl_arena *a, store_export_job **items, int *n, pl_err *err)
{
    *n = 0;
    *items = pl_arena_alloc(a, sizeof **items * (size_t)(max > 0 ? max : 1));
    if (!*items)
        return pl_err_set(err, PL_LIMIT, "the request needs more memory than a request may use");
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQL_STALE, err);
    if (!st)
        return err->status;
    sq_bind_time(st, 1, kept_before);
    sq_bind_time(st, 2, lost_before);
    db_bind_int(st, 3, max);
    int rc;
    while ((rc = db_step(st)) == DB_ROW && *n < max)
        read_job(st, a, &(*items)[(*n)++]);
    db_reset(st);
    if (rc != DB_ROW && rc != DB_DONE)
        return sq_error(c->db, rc, err, "exports");
    return sq_arena_check(a, err);
}

pl_status store_export_requeue(store_tx *tx, const char *id, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_REQUEUE, err);
    if (!st)
        return err->status;
    db_bind_text(st, 1, id, -1, DB_STATIC);
    return step_running(tx->c, st, err);
}
