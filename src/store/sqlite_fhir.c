/*
 * sqlite_fhir.c - the FHIR layer's part of the store (store_fhir.h) in
 * SQLite: outside identifiers and the FHIR searches.
 *
 * Identifiers are rows of fhir_identifier, unique on (kind, system, value),
 * so a lookup is one index probe and a second import of the same resource
 * finds the first. One kind is kept elsewhere: an Observation's source id
 * (STORE_FHIR_SOURCE_SYSTEM) is a column of its first measurement row, under
 * a partial unique index, so an NDJSON import writes one row per value and
 * its dedupe is one probe; the identifier calls read and write it there, so
 * their callers see one set of identifiers. The SQL runs on both backends (db.h); the one statement
 * that differs is chosen with SQ_SQL, and an optional parameter is tested
 * as CAST(?n AS type) IS NULL, since PostgreSQL cannot type a bare ?n IS NULL.
 * A search's optional conditions read "?n IS NULL OR ...", so combinations
 * of present parameters share a cached statement; but a planner cannot seek
 * on a condition that may be switched off, so the Observation search is
 * kept in four statements by what drives it (the participant's index when
 * a patient is given; the id order, which lets a page stop after its rows,
 * when the sort is by id). Paging is LIMIT/OFFSET (the FHIR sort by date is
 * not the key order) or, by id, the keyset (q->after: the Bulk export);
 * sq_fhir_page binds the page and the key range and steps it, for every
 * FHIR search of the store. One row more than the page is asked for to
 * tell whether a next page exists.
 */
#include <string.h>

#include "sqlite_int.h"
#include "store_fhir.h"

#define SCOPE_COND                                                                                 \
    "(?1 = 0 OR p.home_unit_id IN (SELECT unit_id FROM org_unit_ancestor WHERE ancestor_id = "     \
    "?1)) "                                                                                        \
    "AND (?2 = 0 OR p.peer_leader_id = ?2)"

static const char SQL_IDENT_PUT[] =
    "INSERT INTO fhir_identifier (kind, system, value, local_id) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (kind, system, value) DO NOTHING";
/* with a system: one probe of the unique index; without: the (kind, value) index, the few
   systems sorted (on SQLite +system keeps the planner off the unique index, which would scan
   the whole kind; PostgreSQL has no such trick and needs none) */
static const char SQL_IDENT_FIND[] =
    "SELECT local_id FROM fhir_identifier WHERE kind = ?1 AND system = ?2 AND value = ?3";
static const char SQL_IDENT_FIND_ANY[] = "SELECT local_id FROM fhir_identifier "
                                         "WHERE kind = ?1 AND value = ?3 ORDER BY +system LIMIT 1";
static const char SQL_IDENT_FIND_ANY_PG[] =
    "SELECT local_id FROM fhir_identifier WHERE kind = ?1 AND value = ?3 ORDER BY system LIMIT 1";
static const char SQL_SOURCE_PUT[] =
    "UPDATE measurement SET source_id = ?2 WHERE id = ?1 AND source_id IS NULL "
    "AND NOT EXISTS (SELECT 1 FROM measurement o WHERE o.source_id = ?2)";
static const char SQL_SOURCE_FIND[] = "SELECT id FROM measurement WHERE source_id = ?1";
static const char SQL_SOURCE_OF[] =
    "SELECT source_id FROM measurement WHERE id = ?1 AND source_id IS NOT NULL";
static const char SQL_MEAS_INSERT_SOURCE[] =
    "INSERT INTO measurement (participant_id, code, analyte, value, unit, entered_value, "
    "entered_unit, effective_at, source, wave, recorded_by, created_at, source_id) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
    "ON CONFLICT (source_id) WHERE source_id IS NOT NULL DO NOTHING";
static const char SQL_IDENTS[] = "SELECT system, value FROM fhir_identifier "
                                 "WHERE kind = ?1 AND local_id = ?2 ORDER BY id LIMIT 16";
static const char SQL_INTAKE[] =
    "SELECT u.id FROM org_unit u WHERE u.kind NOT IN ('network', 'program') AND (?1 = 0 OR u.id IN "
    "(SELECT unit_id FROM org_unit_ancestor WHERE ancestor_id = ?1)) ORDER BY u.id LIMIT 1";
/* The Observation search in four statements, one per driving access path: by the
   participant's index when the patient is given, by id order when the sort is by id (so a page
   stops after its rows instead of sorting the table); ?22-?23 are the key range of
   sq_fhir_page. The index is sq_fhir_variant(). */
#define OBS_SELECT                                                                                 \
    "SELECT m.id FROM measurement m JOIN participant p ON p.id = m.participant_id WHERE "
#define OBS_COND                                                                                   \
    SCOPE_COND                                                                                     \
    " AND m.voided_at IS NULL AND (CAST(?3 AS BIGINT) IS NULL OR m.id = ?3) AND (CAST(?4 AS "      \
    "BIGINT) IS NULL OR "                                                                          \
    "m.participant_id = ?4)"                                                                       \
    " AND (CAST(?5 AS TEXT) IS NULL OR m.code IN (?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12))"             \
    " AND (CAST(?13 AS BIGINT) IS NULL OR m.effective_at >= ?13) AND (CAST(?14 AS "                \
    "BIGINT) IS NULL OR m.effective_at < ?14)"                                                     \
    " AND (CAST(?15 AS BIGINT) IS NULL OR m.effective_at < ?15 OR m.effective_at >= "              \
    "?16)"                                                                                         \
    " AND (CAST(?17 AS BIGINT) IS NULL OR m.created_at >= ?17) AND (CAST(?18 AS "                  \
    "BIGINT) IS NULL OR m.created_at < ?18) AND m.id > ?22 AND m.id <= ?23"
#define OBS_BY_ID " ORDER BY m.id LIMIT ?20 OFFSET ?21"
#define OBS_BY_DATE                                                                                \
    " ORDER BY CASE WHEN ?19 = 1 THEN m.effective_at END ASC,"                                     \
    " CASE WHEN ?19 = -1 THEN m.effective_at END DESC, m.id LIMIT ?20 OFFSET ?21"
static const char *const SQL_OBS_SEARCH[4] = {
    OBS_SELECT OBS_COND OBS_BY_ID,
    OBS_SELECT "m.participant_id = ?4 AND " OBS_COND OBS_BY_ID,
    OBS_SELECT OBS_COND OBS_BY_DATE,
    OBS_SELECT "m.participant_id = ?4 AND " OBS_COND OBS_BY_DATE,
};
/* how many measurements match (the score Observations' offset follows them); its own _id
   range at ?22-?23 */
static const char *const SQL_MEAS_COUNT[2] = {
    "SELECT count(*) FROM measurement m JOIN participant p ON p.id = m.participant_id "
    "WHERE " OBS_COND,
    "SELECT count(*) FROM measurement m JOIN participant p ON p.id = m.participant_id WHERE "
    "m.participant_id = ?4 AND " OBS_COND,
};
static const char SQL_PATIENT_SEARCH[] =
    "SELECT p.id FROM participant p WHERE " SCOPE_COND
    " AND (CAST(?3 AS BIGINT) IS NULL OR p.id = ?3)"
    " AND (CAST(?17 AS BIGINT) IS NULL OR p.updated_at >= ?17) AND (CAST(?18 AS BIGINT) IS NULL OR "
    "p.updated_at < ?18) AND p.id > ?22 AND p.id <= ?23"
    " ORDER BY p.id LIMIT ?20 OFFSET ?21";
static const char SQL_BY_MRN[] = "SELECT id FROM participant WHERE mrn = ? ORDER BY id LIMIT 1";
static const char SQL_BY_IDENT[] =
    "SELECT id FROM participant WHERE program_ident = ? ORDER BY id LIMIT 1";
static const char SQL_PART_UPDATED[] = "SELECT updated_at FROM participant WHERE id = ?";

/* An Observation's source id: kept in its measurement row. */
static bool in_measurement(const char *kind, const char *system)
{
    return system && strcmp(kind, "Observation") == 0 &&
           strcmp(system, STORE_FHIR_SOURCE_SYSTEM) == 0;
}

pl_status store_fhir_ident_put(store_tx *tx, const char *kind, const char *system,
                               const char *value, pl_id local_id, pl_err *err)
{
    if (in_measurement(kind, system)) {
        db_stmt *st = sq_stmt(tx->c, SQL_SOURCE_PUT, err);
        if (!st)
            return err->status;
        db_bind_int64(st, 1, local_id);
        db_bind_text(st, 2, value, -1, DB_STATIC);
        return sq_step_done(tx->c, st, NULL, err, "observation source id");
    }
    db_stmt *st = sq_stmt(tx->c, SQL_IDENT_PUT, err);
    if (!st)
        return err->status;
    db_bind_text(st, 1, kind, -1, DB_STATIC);
    db_bind_text(st, 2, system, -1, DB_STATIC);
    db_bind_text(st, 3, value, -1, DB_STATIC);
    db_bind_int64(st, 4, local_id);
    return sq_step_done(tx->c, st, NULL, err, "fhir identifier");
}

static pl_status source_find(conn *c, const char *value, pl_id *local_id, pl_err *err)
{
    db_stmt *st = sq_stmt(c, SQL_SOURCE_FIND, err);
    if (!st)
        return err->status;
    db_bind_text(st, 1, value, -1, DB_STATIC);
    pl_status r = sq_step_row(c, st, err, "identifier");
    if (r == PL_OK)
        *local_id = sq_col_id(st, 0);
    db_reset(st);
    return r;
}

static pl_status ident_find(conn *c, const char *kind, const char *system, const char *value,
                            pl_id *local_id, pl_err *err)
{
    if (in_measurement(kind, system))
        return source_find(c, value, local_id, err);
    db_stmt *st = sq_stmt(
        c, system ? SQL_IDENT_FIND : SQ_SQL(c, SQL_IDENT_FIND_ANY, SQL_IDENT_FIND_ANY_PG), err);
    if (!st)
        return err->status;
    db_bind_text(st, 1, kind, -1, DB_STATIC);
    if (system)
        db_bind_text(st, 2, system, -1, DB_STATIC);
    db_bind_text(st, 3, value, -1, DB_STATIC);
    pl_status r = sq_step_row(c, st, err, "identifier");
    if (r == PL_OK)
        *local_id = sq_col_id(st, 0);
    db_reset(st);
    /* any system: the source id is one of an Observation's identifiers too */
    if (r == PL_NOTFOUND && !system && strcmp(kind, "Observation") == 0) {
        pl_err_clear(err);
        r = source_find(c, value, local_id, err);
    }
    return r;
}

pl_status store_fhir_ident_find(store *s, const char *kind, const char *system, const char *value,
                                pl_id *local_id, pl_err *err)
{
    conn *c = sq_reader(s, err);
    return c ? ident_find(c, kind, system, value, local_id, err) : err->status;
}

pl_status store_tx_fhir_ident_find(store_tx *tx, const char *kind, const char *system,
                                   const char *value, pl_id *local_id, pl_err *err)
{
    return ident_find(tx->c, kind, system, value, local_id, err);
}

pl_status store_fhir_idents(store *s, const char *kind, pl_id local_id, pl_arena *a,
                            store_fhir_ident **items, int *n, pl_err *err)
{
    *n = 0;
    *items = pl_arena_alloc(a, sizeof **items * 16);
    if (!*items)
        return pl_err_set(err, PL_LIMIT, "the request needs more memory than a request may use");
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQL_IDENTS, err);
    if (!st)
        return err->status;
    db_bind_text(st, 1, kind, -1, DB_STATIC);
    db_bind_int64(st, 2, local_id);
    int rc;
    while ((rc = db_step(st)) == DB_ROW && *n < 16) {
        (*items)[*n].system = sq_col_text(st, 0, a);
        (*items)[*n].value = sq_col_text(st, 1, a);
        (*n)++;
    }
    db_reset(st);
    if (rc != DB_ROW && rc != DB_DONE)
        return sq_error(c->db, rc, err, "fhir identifiers");
    if (strcmp(kind, "Observation") == 0 && *n < 16) {
        /* the source id, recorded after the others */
        if (!(st = sq_stmt(c, SQL_SOURCE_OF, err)))
            return err->status;
        db_bind_int64(st, 1, local_id);
        if ((rc = db_step(st)) == DB_ROW) {
            (*items)[*n].system = STORE_FHIR_SOURCE_SYSTEM;
            (*items)[*n].value = sq_col_text(st, 0, a);
            (*n)++;
        }
        db_reset(st);
        if (rc != DB_ROW && rc != DB_DONE)
            return sq_error(c->db, rc, err, "fhir identifiers");
    }
    return sq_arena_check(a, err);
}

pl_status store_fhir_measurement_insert(store_tx *tx, pl_measurement *m, const char *source_id,
                                        pl_time created_at, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_MEAS_INSERT_SOURCE, err);
    if (!st || sq_measurement_bind(st, m, created_at, err) != PL_OK)
        return err->status;
    sq_bind_text(st, 13, source_id);
    int changes = 0;
    pl_status r = sq_step_done(tx->c, st, &changes, err, "measurement");
    m->id = r == PL_OK && changes > 0 ? db_last_insert_id(tx->c->db) : 0;
    return r;
}

pl_status store_fhir_intake_unit(store *s, pl_id scope_unit, pl_id *unit, pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQL_INTAKE, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, scope_unit);
    pl_status r = sq_step_row(c, st, err, "org unit below a program");
    if (r == PL_OK)
        *unit = sq_col_id(st, 0);
    db_reset(st);
    return r;
}

pl_status store_fhir_participant_by_number(store *s, bool mrn, const char *value, pl_id *id,
                                           pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, mrn ? SQL_BY_MRN : SQL_BY_IDENT, err);
    if (!st)
        return err->status;
    db_bind_text(st, 1, value, -1, DB_STATIC);
    pl_status r = sq_step_row(c, st, err, "participant");
    if (r == PL_OK)
        *id = sq_col_id(st, 0);
    db_reset(st);
    return r;
}

static void bind_range(db_stmt *st, int first, pl_time lo, pl_time hi)
{
    sq_bind_time(st, first, lo);
    sq_bind_time(st, first + 1, hi);
}

int sq_fhir_variant(const store_fhir_query *q)
{
    return (q->participant_id ? 1 : 0) + (q->sort ? 2 : 0);
}

/* The key range (lo, hi] of q: _id and the keyset narrow it to what the planner can seek. */
static void key_range(const store_fhir_query *q, bool keyset, pl_id *lo, pl_id *hi)
{
    *lo = keyset && q->after > 0 ? q->after : 0;
    *hi = INT64_MAX;
    if (q->id > 0) {
        *lo = q->id - 1 > *lo ? q->id - 1 : *lo;
        *hi = q->id;
    }
}

pl_status sq_fhir_page(conn *c, db_stmt *st, const store_fhir_query *q, int limit_param,
                       pl_arena *a, pl_id **ids, int *n, bool *more, pl_err *err)
{
    *n = 0;
    *more = false;
    int count = q->count < 1 ? 1 : q->count > 1000 ? 1000 : q->count;
    *ids = pl_arena_alloc(a, sizeof **ids * (size_t)(count + 1));
    if (!*ids) {
        db_reset(st);
        db_clear_bindings(st);
        return pl_err_set(err, PL_LIMIT, "the request needs more memory than a request may use");
    }
    pl_id lo, hi;
    key_range(q, true, &lo, &hi);
    db_bind_int64(st, 1, q->scope.unit_id);
    db_bind_int64(st, 2, q->scope.peer_leader_id);
    sq_bind_id(st, 3, q->id);
    db_bind_int(st, limit_param, count + 1);
    db_bind_int(st, limit_param + 1, q->offset < 0 ? 0 : q->offset);
    db_bind_int64(st, limit_param + 2, lo);
    db_bind_int64(st, limit_param + 3, hi);
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

/* ?17-?18: _lastUpdated; the page from ?20 on. */
static pl_status run_search(conn *c, db_stmt *st, const store_fhir_query *q, pl_arena *a,
                            pl_id **ids, int *n, bool *more, pl_err *err)
{
    sq_bind_time(st, 17, q->updated.lo);
    sq_bind_time(st, 18, q->updated.hi);
    return sq_fhir_page(c, st, q, 20, a, ids, n, more, err);
}

/* The Observation conditions ?4-?16 of the search and the count. */
static void bind_observation(db_stmt *st, const store_fhir_query *q)
{
    sq_bind_id(st, 4, q->participant_id);
    for (int i = 0; i < q->ncodes && i < STORE_FHIR_CODES_MAX; i++)
        sq_bind_text(st, 5 + i, q->codes[i]);
    bind_range(st, 13, q->date.lo, q->date.hi);
    bind_range(st, 15, q->date.ne_lo, q->date.ne_hi);
    if (q->date.ne_lo != PL_TIME_NONE && q->date.ne_hi == PL_TIME_NONE)
        db_bind_int64(st, 16, INT64_MAX);
}

pl_status store_fhir_observation_search(store *s, const store_fhir_query *q, pl_arena *a,
                                        pl_id **ids, int *n, bool *more, pl_err *err)
{
    *n = 0;
    *more = false;
    if (SQ_SCOPE_EMPTY(q->scope))
        return PL_OK;
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQL_OBS_SEARCH[sq_fhir_variant(q)], err);
    if (!st)
        return err->status;
    bind_observation(st, q);
    db_bind_int(st, 19, q->sort);
    return run_search(c, st, q, a, ids, n, more, err);
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
    db_stmt *st = sq_stmt(c, SQL_MEAS_COUNT[q->participant_id ? 1 : 0], err);
    if (!st)
        return err->status;
    pl_id lo, hi;
    key_range(q, false, &lo, &hi);
    db_bind_int64(st, 1, q->scope.unit_id);
    db_bind_int64(st, 2, q->scope.peer_leader_id);
    sq_bind_id(st, 3, q->id);
    bind_observation(st, q);
    sq_bind_time(st, 17, q->updated.lo);
    sq_bind_time(st, 18, q->updated.hi);
    db_bind_int64(st, 22, lo);
    db_bind_int64(st, 23, hi);
    pl_status r = sq_step_row(c, st, err, "count");
    *count = r == PL_OK ? db_column_int64(st, 0) : 0;
    db_reset(st);
    db_clear_bindings(st);
    return r;
}

pl_status store_fhir_patient_search(store *s, const store_fhir_query *q, pl_arena *a, pl_id **ids,
                                    int *n, bool *more, pl_err *err)
{
    *n = 0;
    *more = false;
    if (SQ_SCOPE_EMPTY(q->scope))
        return PL_OK;
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    /* participant_id (the Patient compartment, a Group export's member) narrows like _id */
    if (q->id && q->participant_id && q->id != q->participant_id)
        return PL_OK;
    store_fhir_query by_id = *q;
    if (!by_id.id)
        by_id.id = q->participant_id;
    db_stmt *st = sq_stmt(c, SQL_PATIENT_SEARCH, err);
    if (!st)
        return err->status;
    return run_search(c, st, &by_id, a, ids, n, more, err);
}

static pl_status time_of(store *s, const char *sql, pl_id id, pl_time *at, pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, sql, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, id);
    pl_status r = sq_step_row(c, st, err, "record");
    if (r == PL_OK)
        *at = sq_col_time(st, 0);
    db_reset(st);
    return r;
}

pl_status store_fhir_participant_updated(store *s, pl_id id, pl_time *at, pl_err *err)
{
    return time_of(s, SQL_PART_UPDATED, id, at, err);
}
