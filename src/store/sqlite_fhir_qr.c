/*
 * sqlite_fhir_qr.c - the FHIR searches of store_fhir_qr.h, on both
 * backends (db.h; docs/POSTGRESQL.md's rules).
 *
 * As in sqlite_fhir.c, each search is one static statement whose optional
 * conditions read "CAST(?n AS type) IS NULL OR ...", so every combination
 * of parameters shares one cached statement; paging is LIMIT/OFFSET, one
 * row more than the page tells whether a next page exists. The counts
 * repeat their search's conditions: the Observation search serves
 * measurements then scores, and the scores' offset is the page's offset
 * less the number of measurements that match.
 */
#include "sqlite_int.h"
#include "store_fhir_qr.h"

#define SCOPE_COND                                                                                 \
    "(?1 = 0 OR p.home_unit_id IN (SELECT unit_id FROM org_unit_ancestor WHERE ancestor_id = "     \
    "?1)) AND (?2 = 0 OR p.peer_leader_id = ?2)"

/* ?3 id, ?4 participant, ?5-?12 instruments, ?13-?16 completed_at, ?17-?18 created_at,
   ?19 scored only */
#define QR_WHERE                                                                                   \
    " FROM questionnaire_response r JOIN participant p ON p.id = r.participant_id "                \
    "WHERE " SCOPE_COND " AND (CAST(?3 AS BIGINT) IS NULL OR r.id = ?3)"                           \
    " AND (CAST(?4 AS BIGINT) IS NULL OR r.participant_id = ?4)"                                   \
    " AND (CAST(?5 AS TEXT) IS NULL OR r.instrument IN (?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12))"       \
    " AND (CAST(?13 AS BIGINT) IS NULL OR r.completed_at >= ?13)"                                  \
    " AND (CAST(?14 AS BIGINT) IS NULL OR r.completed_at < ?14)"                                   \
    " AND (CAST(?15 AS BIGINT) IS NULL OR r.completed_at < ?15 OR r.completed_at >= ?16)"          \
    " AND (CAST(?17 AS BIGINT) IS NULL OR r.created_at >= ?17)"                                    \
    " AND (CAST(?18 AS BIGINT) IS NULL OR r.created_at < ?18) AND (?19 = 0 OR r.scored = 1)"

static const char SQL_QR_SEARCH[] =
    "SELECT r.id" QR_WHERE " ORDER BY CASE WHEN ?20 = 1 THEN r.completed_at END ASC,"
    " CASE WHEN ?20 = -1 THEN r.completed_at END DESC, r.id LIMIT ?21 OFFSET ?22";

/* the conditions of sqlite_fhir.c's Observation search, numbered alike (?1-?18) */
static const char SQL_MEAS_COUNT[] =
    "SELECT count(*) FROM measurement m JOIN participant p ON p.id = m.participant_id "
    "WHERE " SCOPE_COND " AND m.voided_at IS NULL AND (CAST(?3 AS BIGINT) IS NULL OR m.id = ?3) "
    "AND (CAST(?4 AS BIGINT) IS NULL OR "
    "m.participant_id = ?4)"
    " AND (CAST(?5 AS TEXT) IS NULL OR m.code IN (?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12))"
    " AND (CAST(?13 AS BIGINT) IS NULL OR m.effective_at >= ?13) AND (CAST(?14 AS BIGINT) IS NULL "
    "OR m.effective_at < ?14)"
    " AND (CAST(?15 AS BIGINT) IS NULL OR m.effective_at < ?15 OR m.effective_at >= ?16)"
    " AND (CAST(?17 AS BIGINT) IS NULL OR m.created_at >= ?17) AND (CAST(?18 AS BIGINT) IS NULL OR "
    "m.created_at < ?18)";

/* ?3 id, ?4 participant, ?5-?12 statuses, ?13-?14 status_changed_at, ?15 limit, ?16 offset */
static const char SQL_REFERRAL_SEARCH[] =
    "SELECT r.id FROM referral r JOIN participant p ON p.id = r.participant_id WHERE " SCOPE_COND
    " AND (CAST(?3 AS BIGINT) IS NULL OR r.id = ?3)"
    " AND (CAST(?4 AS BIGINT) IS NULL OR r.participant_id = ?4)"
    " AND (CAST(?5 AS TEXT) IS NULL OR r.status IN (?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12))"
    " AND (CAST(?13 AS BIGINT) IS NULL OR r.status_changed_at >= ?13)"
    " AND (CAST(?14 AS BIGINT) IS NULL OR r.status_changed_at < ?14)"
    " ORDER BY r.id LIMIT ?15 OFFSET ?16";

/* ?1-?18 as the searches number them. */
static void bind_common(db_stmt *st, const store_fhir_query *q, bool with_dates)
{
    db_bind_int64(st, 1, q->scope.unit_id);
    db_bind_int64(st, 2, q->scope.peer_leader_id);
    sq_bind_id(st, 3, q->id);
    sq_bind_id(st, 4, q->participant_id);
    for (int i = 0; i < q->ncodes && i < STORE_FHIR_CODES_MAX; i++)
        sq_bind_text(st, 5 + i, q->codes[i]);
    if (!with_dates)
        return;
    sq_bind_time(st, 13, q->date.lo);
    sq_bind_time(st, 14, q->date.hi);
    sq_bind_time(st, 15, q->date.ne_lo);
    sq_bind_time(st, 16, q->date.ne_hi);
    if (q->date.ne_lo != PL_TIME_NONE && q->date.ne_hi == PL_TIME_NONE)
        db_bind_int64(st, 16, INT64_MAX);
    sq_bind_time(st, 17, q->updated.lo);
    sq_bind_time(st, 18, q->updated.hi);
}

/* Steps st (bound, limit count + 1) into a page of ids. */
static pl_status run(conn *c, db_stmt *st, int count, pl_arena *a, pl_id **ids, int *n, bool *more,
                     pl_err *err)
{
    *ids = pl_arena_alloc(a, sizeof **ids * (size_t)(count + 1));
    if (!*ids) {
        db_reset(st);
        db_clear_bindings(st);
        return pl_err_set(err, PL_LIMIT, "the request needs more memory than a request may use");
    }
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == count) {
            *more = true;
            break;
        }
        (*ids)[(*n)++] = db_column_int64(st, 0);
    }
    db_reset(st);
    db_clear_bindings(st);
    if (rc != DB_ROW && rc != DB_DONE)
        return sq_error(c->db, rc, err, "search");
    return PL_OK;
}

static int page_count(const store_fhir_query *q)
{
    return q->count < 1 ? 1 : q->count > 1000 ? 1000 : q->count;
}

pl_status store_fhir_qr_search(store *s, const store_fhir_query *q, bool scored_only, pl_arena *a,
                               pl_id **ids, int *n, bool *more, pl_err *err)
{
    *n = 0;
    *more = false;
    *ids = NULL;
    if (SQ_SCOPE_EMPTY(q->scope))
        return PL_OK;
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQL_QR_SEARCH, err);
    if (!st)
        return err->status;
    int count = page_count(q);
    bind_common(st, q, true);
    db_bind_int(st, 19, scored_only ? 1 : 0);
    db_bind_int(st, 20, q->sort);
    db_bind_int(st, 21, count + 1);
    db_bind_int(st, 22, q->offset < 0 ? 0 : q->offset);
    return run(c, st, count, a, ids, n, more, err);
}

static pl_status count_of(conn *c, db_stmt *st, int64_t *count, pl_err *err)
{
    pl_status r = sq_step_row(c, st, err, "count");
    *count = r == PL_OK ? db_column_int64(st, 0) : 0;
    db_reset(st);
    db_clear_bindings(st);
    return r;
}

pl_status store_fhir_measurement_count(store *s, const store_fhir_query *q, int64_t *count,
                                       pl_err *err)
{
    *count = 0;
    if (SQ_SCOPE_EMPTY(q->scope))
        return PL_OK;
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQL_MEAS_COUNT, err);
    if (!st)
        return err->status;
    bind_common(st, q, true);
    return count_of(c, st, count, err);
}

pl_status store_fhir_referral_search(store *s, const store_fhir_query *q, pl_arena *a, pl_id **ids,
                                     int *n, bool *more, pl_err *err)
{
    *n = 0;
    *more = false;
    *ids = NULL;
    if (SQ_SCOPE_EMPTY(q->scope))
        return PL_OK;
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQL_REFERRAL_SEARCH, err);
    if (!st)
        return err->status;
    int count = page_count(q);
    bind_common(st, q, false);
    sq_bind_time(st, 13, q->updated.lo);
    sq_bind_time(st, 14, q->updated.hi);
    db_bind_int(st, 15, count + 1);
    db_bind_int(st, 16, q->offset < 0 ? 0 : q->offset);
    return run(c, st, count, a, ids, n, more, err);
}
