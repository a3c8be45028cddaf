/*
 * sqlite_measurement.c - a measurement's versions and its voiding
 * (store_measurement.h), on both backends (db.h).
 *
 * measurement.version counts corrections (1 when recorded), updated_at is
 * the time of the last one and voided_at the time it was voided (entered in
 * error), all from migration 16. A correction is two statements in the
 * caller's transaction: the current row is copied into measurement_version
 * (with its lastUpdated), then updated under a guard on its version and on
 * its not being void, so a stale If-Match changes nothing (PL_STALE). A
 * void is one guarded UPDATE. Both bump eval_generation through the
 * measurement_eval_generation trigger, so cached evaluation reports notice.
 */
#include <time.h>

#include "sqlite_int.h"
#include "store_measurement.h"

#define META_COLS SQ_MEAS_COLS ", m.version, COALESCE(m.updated_at, m.created_at), m.voided_at"

static const char SQL_META[] = "SELECT " META_COLS " FROM measurement m WHERE m.id = ?1";
static const char SQL_SAVE[] =
    "INSERT INTO measurement_version (measurement_id, version, code, analyte, value, unit, "
    "entered_value, entered_unit, effective_at, source, wave, recorded_by, updated_at) "
    "SELECT id, version, code, analyte, value, unit, entered_value, entered_unit, effective_at, "
    "source, wave, recorded_by, COALESCE(updated_at, created_at) FROM measurement "
    "WHERE id = ?1 AND version = ?2 AND voided_at IS NULL";
static const char SQL_UPDATE[] =
    "UPDATE measurement SET code = ?3, analyte = ?4, value = ?5, unit = ?6, entered_value = ?7, "
    "entered_unit = ?8, effective_at = ?9, version = version + 1, updated_at = ?10 "
    "WHERE id = ?1 AND version = ?2 AND voided_at IS NULL";
static const char SQL_VOID[] =
    "UPDATE measurement SET voided_at = ?2, version = version + 1, updated_at = ?2 "
    "WHERE id = ?1 AND voided_at IS NULL AND (?3 < 0 OR version = ?3)";
static const char SQL_VERSION[] =
    "SELECT measurement_id, m.participant_id, v.code, v.analyte, v.value, v.unit, "
    "v.entered_value, v.entered_unit, v.effective_at, v.source, v.wave, v.recorded_by, "
    "v.updated_at FROM measurement_version v JOIN measurement m ON m.id = v.measurement_id "
    "WHERE v.measurement_id = ?1 AND v.version = ?2";

static pl_status meta_get(conn *c, pl_id id, pl_arena *a, pl_measurement *m,
                          store_measurement_meta *meta, pl_err *err)
{
    db_stmt *st = sq_stmt(c, SQL_META, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, id);
    pl_status r = sq_step_row(c, st, err, "measurement");
    if (r == PL_OK) {
        sq_measurement_read(st, a, m);
        meta->version = db_column_int(st, 12);
        meta->updated = sq_col_time(st, 13);
        meta->voided = db_column_type(st, 14) != DB_NULL;
        m->version = meta->version;
    }
    db_reset(st);
    return r == PL_OK ? sq_arena_check(a, err) : r;
}

pl_status store_measurement_meta_get(store *s, pl_id id, pl_arena *a, pl_measurement *m,
                                     store_measurement_meta *meta, pl_err *err)
{
    conn *c = sq_reader(s, err);
    return c ? meta_get(c, id, a, m, meta, err) : err->status;
}

pl_status store_tx_measurement_meta_get(store_tx *tx, pl_id id, pl_arena *a, pl_measurement *m,
                                        store_measurement_meta *meta, pl_err *err)
{
    return meta_get(tx->c, id, a, m, meta, err);
}

pl_status store_measurement_update(store_tx *tx, const pl_measurement *m, int expected_version,
                                   pl_err *err)
{
    if (!m->analyte || !m->unit || !m->entered_value || !m->entered_unit)
        return pl_err_set(err, PL_INVALID, "measurement: not prepared (measurement_prepare)");
    db_stmt *save = sq_stmt(tx->c, SQL_SAVE, err);
    if (!save)
        return err->status;
    db_bind_int64(save, 1, m->id);
    db_bind_int(save, 2, expected_version);
    pl_status r = sq_step_versioned(tx->c, save, err, "measurement");
    if (r != PL_OK)
        return r;
    db_stmt *st = sq_stmt(tx->c, SQL_UPDATE, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, m->id);
    db_bind_int(st, 2, expected_version);
    db_bind_text(st, 3, m->code, -1, DB_STATIC);
    db_bind_text(st, 4, m->analyte, -1, DB_STATIC);
    db_bind_double(st, 5, m->value);
    db_bind_text(st, 6, m->unit, -1, DB_STATIC);
    db_bind_text(st, 7, m->entered_value, -1, DB_STATIC);
    db_bind_text(st, 8, m->entered_unit, -1, DB_STATIC);
    db_bind_int64(st, 9, m->effective_at);
    db_bind_int64(st, 10, (db_int64)time(NULL));
    return sq_step_versioned(tx->c, st, err, "measurement");
}

pl_status store_measurement_void(store_tx *tx, pl_id id, int expected_version, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_VOID, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, id);
    db_bind_int64(st, 2, (db_int64)time(NULL));
    db_bind_int(st, 3, expected_version);
    return sq_step_versioned(tx->c, st, err, "measurement");
}

pl_status store_measurement_version_get(store *s, pl_id id, int version, pl_arena *a,
                                        pl_measurement *out, pl_time *updated, pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQL_VERSION, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, id);
    db_bind_int(st, 2, version);
    pl_status r = sq_step_row(c, st, err, "measurement version");
    if (r == PL_OK) {
        sq_measurement_read(st, a, out);
        out->version = version;
        *updated = sq_col_time(st, 12);
    }
    db_reset(st);
    return r == PL_OK ? sq_arena_check(a, err) : r;
}
