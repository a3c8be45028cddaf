/*
 * sqlite_eval.c - the SQLite side of store_eval.h: studies with their waves
 * and arms, the program's units, and the streaming reads of the analysis.
 *
 * The analysis reads are built for a program of 1,000,000 participants and
 * 20,000,000 measurements (DESIGN.md section 9):
 *  - measurements: one range scan of measurement_participant, which the
 *    evaluation migration made covering (participant_id, analyte,
 *    effective_at, value), so rows come out in participant, analyte and time
 *    order with no sort and no table look-up; analytes are matched in C
 *    against the caller's short list (comparing a few bytes is cheaper than
 *    an IN list per index entry);
 *  - contacts: the index contact_participant(participant_id, occurred_at,
 *    group_session_id, voided_at), covering since migration 11, so the dose
 *    read tells attendance from other contacts and skips voided ones without
 *    a table look-up;
 *  - participants: the table in id order, joined to person for sex and
 *    birth date.
 * Rows are handed to the callback STORE_EVAL_BATCH at a time from a
 * stack array, so the per-row cost is the step and the column reads.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sqlite_int.h"
#include "store_eval.h"

#define STUDY_COLS                                                                                 \
    "s.id, s.program_id, s.name, s.description, s.allocation, s.seed, s.subgroup_threshold, "      \
    "s.target_intervention, s.target_control, s.created_by, s.created_at, s.updated_at, "          \
    "s.version"

static const char SQL_STUDY_INSERT[] =
    "INSERT INTO study (program_id, name, description, allocation, seed, subgroup_threshold, "
    "target_intervention, target_control, created_by, created_at, version, updated_at) "
    "VALUES (?1, ?2, ?3, 'none', NULL, ?4, ?5, ?6, ?7, ?8, 1, ?8)";
static const char SQL_WAVE_INSERT[] =
    "INSERT INTO study_wave (study_id, month, window_days) VALUES (?1, ?2, ?3)";
static const char SQL_STUDY_GET[] = "SELECT " STUDY_COLS " FROM study s WHERE s.id = ?1";
static const char SQL_WAVES_GET[] =
    "SELECT month, window_days FROM study_wave WHERE study_id = ?1 ORDER BY month";
static const char SQL_ARMS_DELETE[] = "DELETE FROM study_arm WHERE study_id = ?1";
static const char SQL_ARM_INSERT[] = "INSERT INTO study_arm (study_id, unit_id, arm) "
                                     "VALUES (?1, ?2, ?3)";
static const char SQL_STUDY_ALLOCATED[] =
    "UPDATE study SET allocation = ?2, seed = ?3, version = version + 1, updated_at = ?4 "
    "WHERE id = ?1 AND version = ?5";
static const char SQL_ARMS_GET[] =
    "SELECT unit_id, arm FROM study_arm WHERE study_id = ?1 ORDER BY unit_id";
static const char SQL_ARMS_COUNT[] = "SELECT count(*) FROM study_arm WHERE study_id = ?1";
static const char SQL_UNITS[] = "SELECT id, parent_id, kind, code, name, arm FROM org_unit "
                                "WHERE id = ?1 OR program_id = ?1 ORDER BY id";
static const char SQL_PARTICIPANTS[] =
    "SELECT p.id, p.home_unit_id, p.enrol_date, p.status, p.status_date, pe.sex, pe.birth_date "
    "FROM participant p JOIN person pe ON pe.id = p.person_id WHERE p.program_id = ?1 "
    "ORDER BY p.id";
static const char SQL_PARTICIPANTS_BARE[] =
    "SELECT p.id, p.home_unit_id, p.enrol_date, p.status, p.status_date, NULL, NULL "
    "FROM participant p WHERE p.program_id = ?1 ORDER BY p.id";
static const char SQL_MEASUREMENTS[] =
    "SELECT participant_id, analyte, effective_at, value FROM measurement "
    "INDEXED BY measurement_participant WHERE participant_id BETWEEN ?1 AND ?2 "
    "AND voided_at IS NULL ORDER BY participant_id, analyte, effective_at";
/* PostgreSQL has no INDEXED BY (its planner picks the index by itself) */
static const char SQL_MEASUREMENTS_PG[] =
    "SELECT participant_id, analyte, effective_at, value FROM measurement "
    "WHERE participant_id BETWEEN ?1 AND ?2 AND voided_at IS NULL "
    "ORDER BY participant_id, analyte, effective_at";
static const char SQL_QUESTIONNAIRES_PG[] =
    "SELECT participant_id, instrument, completed_at, score FROM questionnaire_response "
    "WHERE participant_id BETWEEN ?1 AND ?2 AND scored = 1 ORDER BY participant_id, id";
static const char SQL_QUESTIONNAIRES[] =
    "SELECT participant_id, instrument, completed_at, score FROM questionnaire_response "
    "INDEXED BY questionnaire_response_participant "
    "WHERE participant_id BETWEEN ?1 AND ?2 AND scored = 1 ORDER BY participant_id, id";
static const char SQL_CONTACTS[] =
    "SELECT participant_id, occurred_at, CASE WHEN group_session_id IS NULL THEN 0 ELSE 1 END "
    "FROM contact INDEXED BY contact_participant WHERE participant_id BETWEEN ?1 AND ?2 "
    "AND voided_at IS NULL ORDER BY participant_id, occurred_at";
static const char SQL_CONTACTS_PG[] =
    "SELECT participant_id, occurred_at, CASE WHEN group_session_id IS NULL THEN 0 ELSE 1 END "
    "FROM contact WHERE participant_id BETWEEN ?1 AND ?2 AND voided_at IS NULL "
    "ORDER BY participant_id, occurred_at";
static const char SQL_FINGERPRINT[] =
    "SELECT (SELECT max(id) FROM participant), (SELECT max(id) FROM measurement), "
    "(SELECT max(id) FROM contact), (SELECT max(id) FROM questionnaire_response), "
    "(SELECT max(id) FROM org_unit), (SELECT n FROM eval_generation WHERE id = 1), "
    "(SELECT version FROM study WHERE id = ?1)";

static const sq_list_def study_list = {
    "SELECT " STUDY_COLS " FROM study s WHERE s.id > ?1",
    {SQ_IN_SUBTREE("s.program_id", 2)},
    " ORDER BY s.id LIMIT ?8",
};

/* ---- studies ------------------------------------------------------------- */

static void study_read(db_stmt *st, pl_arena *a, store_study *out)
{
    memset(out, 0, sizeof *out);
    out->id = db_column_int64(st, 0);
    out->program_id = db_column_int64(st, 1);
    out->name = sq_col_text(st, 2, a);
    out->description = sq_col_text(st, 3, a);
    out->allocation = sq_col_text(st, 4, a);
    out->seed = db_column_int64(st, 5);
    out->subgroup_threshold = db_column_double(st, 6);
    out->target_intervention = db_column_type(st, 7) == DB_NULL ? -1 : db_column_int(st, 7);
    out->target_control = db_column_type(st, 8) == DB_NULL ? -1 : db_column_int(st, 8);
    out->created_by = sq_col_id(st, 9);
    out->created_at = db_column_int64(st, 10);
    out->updated_at = db_column_int64(st, 11);
    out->version = db_column_int(st, 12);
}

static void study_row(db_stmt *st, pl_arena *a, void *item)
{
    study_read(st, a, item);
}

static pl_status waves_read(conn *c, store_study *out, pl_err *err)
{
    db_stmt *st = sq_stmt(c, SQL_WAVES_GET, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, out->id);
    int rc;
    out->nwaves = 0;
    while ((rc = db_step(st)) == DB_ROW && out->nwaves < STORE_STUDY_WAVES_MAX) {
        out->waves[out->nwaves].month = db_column_int(st, 0);
        out->waves[out->nwaves].window_days = db_column_int(st, 1);
        out->nwaves++;
    }
    db_reset(st);
    if (rc != DB_DONE && rc != DB_ROW)
        return sq_error(c->db, rc, err, "study waves");
    return PL_OK;
}

static pl_status study_get(conn *c, pl_id id, pl_arena *a, store_study *out, pl_err *err)
{
    db_stmt *st = sq_stmt(c, SQL_STUDY_GET, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, id);
    pl_status r = sq_step_row(c, st, err, "study");
    if (r == PL_OK) {
        study_read(st, a, out);
        r = sq_arena_check(a, err);
    }
    db_reset(st);
    return r == PL_OK ? waves_read(c, out, err) : r;
}

pl_status store_study_insert(store_tx *tx, store_study *s, pl_err *err)
{
    if (s->nwaves < 1 || s->nwaves > STORE_STUDY_WAVES_MAX)
        return pl_err_set(err, PL_INVALID, "a study has 1 to %d waves", STORE_STUDY_WAVES_MAX);
    db_stmt *st = sq_stmt(tx->c, SQL_STUDY_INSERT, err);
    if (!st)
        return err->status;
    pl_time now = (pl_time)time(NULL);
    db_bind_int64(st, 1, s->program_id);
    db_bind_text(st, 2, s->name, -1, DB_STATIC);
    sq_bind_text(st, 3, s->description);
    db_bind_double(st, 4, s->subgroup_threshold);
    if (s->target_intervention >= 0)
        db_bind_int(st, 5, s->target_intervention);
    else
        db_bind_null(st, 5);
    if (s->target_control >= 0)
        db_bind_int(st, 6, s->target_control);
    else
        db_bind_null(st, 6);
    sq_bind_id(st, 7, s->created_by);
    db_bind_int64(st, 8, now);
    pl_status r = sq_step_insert(tx->c, st, &s->id, err, "study");
    if (r != PL_OK)
        return r;
    for (int i = 0; i < s->nwaves; i++) {
        db_stmt *w = sq_stmt(tx->c, SQL_WAVE_INSERT, err);
        if (!w)
            return err->status;
        db_bind_int64(w, 1, s->id);
        db_bind_int(w, 2, s->waves[i].month);
        db_bind_int(w, 3, s->waves[i].window_days);
        pl_id ignored;
        if ((r = sq_step_insert(tx->c, w, &ignored, err, "study wave")) != PL_OK)
            return r;
    }
    s->allocation = "none";
    s->seed = 0;
    s->created_at = now;
    s->updated_at = now;
    s->version = 1;
    return PL_OK;
}

pl_status store_study_get(store *s, pl_id id, pl_arena *a, store_study *out, pl_err *err)
{
    conn *c = sq_reader(s, err);
    return c ? study_get(c, id, a, out, err) : err->status;
}

pl_status store_tx_study_get(store_tx *tx, pl_id id, pl_arena *a, store_study *out, pl_err *err)
{
    return study_get(tx->c, id, a, out, err);
}

pl_status store_study_list(store *s, pl_id scope_unit, store_page pg, pl_arena *a,
                           store_study **items, int *n, pl_err *err)
{
    sq_list_arg args[SQ_LIST_FILTERS] = {SQ_ARG_ID(scope_unit)};
    void *out = NULL;
    pl_status r = sq_list_run(s, &study_list, args, pg, a, sizeof **items, study_row, &out, n, err);
    if (r != PL_OK)
        return r;
    *items = out;
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    for (int i = 0; i < *n; i++)
        if ((r = waves_read(c, &(*items)[i], err)) != PL_OK)
            return r;
    return PL_OK;
}

pl_status store_study_arms_set(store_tx *tx, pl_id study_id, const store_study_arm *arms, int n,
                               const char *allocation, int64_t seed, int expected_version,
                               pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_STUDY_ALLOCATED, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, study_id);
    db_bind_text(st, 2, allocation, -1, DB_STATIC);
    if (seed != 0)
        db_bind_int64(st, 3, seed);
    else
        db_bind_null(st, 3);
    db_bind_int64(st, 4, (db_int64)time(NULL));
    db_bind_int(st, 5, expected_version);
    pl_status r = sq_step_versioned(tx->c, st, err, "study");
    if (r != PL_OK)
        return r;
    st = sq_stmt(tx->c, SQL_ARMS_DELETE, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, study_id);
    if ((r = sq_step_done(tx->c, st, NULL, err, "study arms")) != PL_OK)
        return r;
    for (int i = 0; i < n; i++) {
        st = sq_stmt(tx->c, SQL_ARM_INSERT, err);
        if (!st)
            return err->status;
        db_bind_int64(st, 1, study_id);
        db_bind_int64(st, 2, arms[i].unit_id);
        db_bind_text(st, 3, pl_arm_name(arms[i].arm), -1, DB_STATIC);
        pl_id ignored;
        if ((r = sq_step_insert(tx->c, st, &ignored, err, "study arm")) != PL_OK)
            return r;
    }
    return PL_OK;
}

pl_status store_study_arms_get(store *s, pl_id study_id, pl_arena *a, store_study_arm **arms,
                               int *n, pl_err *err)
{
    *arms = NULL;
    *n = 0;
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQL_ARMS_COUNT, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, study_id);
    pl_status r = sq_step_row(c, st, err, "study arms");
    int64_t count = r == PL_OK ? db_column_int64(st, 0) : 0;
    db_reset(st);
    if (r != PL_OK)
        return r;
    store_study_arm *out = pl_arena_alloc(a, sizeof *out * (size_t)(count > 0 ? count : 1));
    if (!out)
        return pl_err_set(err, PL_LIMIT, "the study's %lld arms exceed the memory limit",
                          (long long)count);
    st = sq_stmt(c, SQL_ARMS_GET, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, study_id);
    int rc = DB_DONE, k = 0;
    while (k < count && (rc = db_step(st)) == DB_ROW) {
        out[k].unit_id = db_column_int64(st, 0);
        out[k].arm = PL_ARM_NONE;
        pl_arm_parse((const char *)db_column_text(st, 1), &out[k].arm);
        k++;
    }
    db_reset(st);
    if (rc != DB_ROW && rc != DB_DONE)
        return sq_error(c->db, rc, err, "study arms");
    *arms = out;
    *n = k;
    return PL_OK;
}

/* ---- units ---------------------------------------------------------------- */

pl_status store_eval_units(store *s, pl_id program_id, pl_arena *a, store_eval_unit **items, int *n,
                           pl_err *err)
{
    *items = NULL;
    *n = 0;
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQL_UNITS, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, program_id);
    int cap = 0, k = 0, rc;
    store_eval_unit *out = NULL;
    while ((rc = db_step(st)) == DB_ROW) {
        if (k == cap) {
            int ncap = cap ? cap * 2 : 256;
            store_eval_unit *grown = pl_arena_alloc(a, sizeof *grown * (size_t)ncap);
            if (!grown) {
                db_reset(st);
                return pl_err_set(err, PL_LIMIT, "the program's units exceed the memory limit");
            }
            if (k)
                memcpy(grown, out, sizeof *out * (size_t)k);
            out = grown;
            cap = ncap;
        }
        store_eval_unit *u = &out[k++];
        u->id = db_column_int64(st, 0);
        u->parent_id = sq_col_id(st, 1);
        u->kind = PL_ORG_NETWORK;
        pl_org_kind_parse((const char *)db_column_text(st, 2), &u->kind);
        u->code = sq_col_text(st, 3, a);
        u->name = sq_col_text(st, 4, a);
        u->arm = PL_ARM_NONE;
        pl_arm_parse((const char *)db_column_text(st, 5), &u->arm);
    }
    db_reset(st);
    if (rc != DB_DONE)
        return sq_error(c->db, rc, err, "org units");
    pl_status r = sq_arena_check(a, err);
    if (r != PL_OK)
        return r;
    *items = out;
    *n = k;
    return PL_OK;
}

/* ---- streaming reads -------------------------------------------------------- */

pl_status store_eval_participants(store *s, pl_id program_id, bool with_person,
                                  store_eval_participant_fn fn, void *ctx, pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, with_person ? SQL_PARTICIPANTS : SQL_PARTICIPANTS_BARE, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, program_id);
    store_eval_participant *rows = malloc(sizeof *rows * STORE_EVAL_BATCH);
    if (!rows) {
        db_reset(st);
        return pl_err_set(err, PL_NOMEM, "out of memory reading participants");
    }
    int k = 0, rc;
    pl_status r = PL_OK;
    while ((rc = db_step(st)) == DB_ROW) {
        store_eval_participant *p = &rows[k];
        p->id = db_column_int64(st, 0);
        p->home_unit_id = db_column_int64(st, 1);
        p->enrol_date = sq_col_date(st, 2);
        p->status = PL_ENROL_ENROLLED;
        pl_enrol_status_parse((const char *)db_column_text(st, 3), &p->status);
        p->status_date = sq_col_date(st, 4);
        p->sex = PL_SEX_UNKNOWN;
        if (db_column_type(st, 5) != DB_NULL)
            pl_sex_parse((const char *)db_column_text(st, 5), &p->sex);
        p->birth_date = sq_col_date(st, 6);
        if (++k == STORE_EVAL_BATCH) {
            if ((r = fn(ctx, rows, k, err)) != PL_OK)
                break;
            k = 0;
        }
    }
    db_reset(st);
    if (r == PL_OK && rc != DB_DONE)
        r = sq_error(c->db, rc, err, "participants");
    if (r == PL_OK && k > 0)
        r = fn(ctx, rows, k, err);
    free(rows);
    return r;
}

#define ANALYTES_MAX 16

/* Index of the text (n bytes) in the list, or -1. */
static int match(const unsigned char *text, int n, const char *const *list, const int *lens,
                 int nlist)
{
    if (!text)
        return -1;
    for (int i = 0; i < nlist; i++)
        if (lens[i] == n && memcmp(text, list[i], (size_t)n) == 0)
            return i;
    return -1;
}

/* Streams a (participant, name, time, value) query to fn, keeping the rows whose name is listed.
 */
static pl_status stream_readings(store *s, const char *sqltext, const char *sqltext_pg,
                                 pl_id first_id, pl_id last_id, const char *const *names,
                                 int nnames, store_eval_reading_fn fn, void *ctx, pl_err *err,
                                 const char *what)
{
    if (nnames < 1 || nnames > ANALYTES_MAX)
        return pl_err_set(err, PL_INVALID, "%s: 1 to %d names", what, ANALYTES_MAX);
    int lens[ANALYTES_MAX];
    for (int i = 0; i < nnames; i++)
        lens[i] = (int)strlen(names[i]);
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQ_SQL(c, sqltext, sqltext_pg), err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, first_id);
    db_bind_int64(st, 2, last_id);
    store_eval_reading *rows = malloc(sizeof *rows * STORE_EVAL_BATCH);
    if (!rows) {
        db_reset(st);
        return pl_err_set(err, PL_NOMEM, "out of memory reading %s", what);
    }
    int k = 0, rc;
    pl_status r = PL_OK;
    while ((rc = db_step(st)) == DB_ROW) {
        const unsigned char *name = db_column_text(st, 1);
        int which = match(name, db_column_bytes(st, 1), names, lens, nnames);
        if (which < 0 || db_column_type(st, 3) == DB_NULL)
            continue;
        store_eval_reading *row = &rows[k];
        row->participant_id = db_column_int64(st, 0);
        row->analyte = which;
        row->at = db_column_int64(st, 2);
        row->value = db_column_double(st, 3);
        if (++k == STORE_EVAL_BATCH) {
            if ((r = fn(ctx, rows, k, err)) != PL_OK)
                break;
            k = 0;
        }
    }
    db_reset(st);
    if (r == PL_OK && rc != DB_DONE)
        r = sq_error(c->db, rc, err, what);
    if (r == PL_OK && k > 0)
        r = fn(ctx, rows, k, err);
    free(rows);
    return r;
}

pl_status store_eval_measurements(store *s, pl_id first_id, pl_id last_id,
                                  const char *const *analytes, int nanalytes,
                                  store_eval_reading_fn fn, void *ctx, pl_err *err)
{
    return stream_readings(s, SQL_MEASUREMENTS, SQL_MEASUREMENTS_PG, first_id, last_id, analytes,
                           nanalytes, fn, ctx, err, "measurements");
}

pl_status store_eval_questionnaires(store *s, pl_id first_id, pl_id last_id,
                                    const char *const *instruments, int ninstruments,
                                    store_eval_reading_fn fn, void *ctx, pl_err *err)
{
    return stream_readings(s, SQL_QUESTIONNAIRES, SQL_QUESTIONNAIRES_PG, first_id, last_id,
                           instruments, ninstruments, fn, ctx, err, "questionnaire responses");
}

pl_status store_eval_contacts(store *s, pl_id first_id, pl_id last_id, store_eval_contact_fn fn,
                              void *ctx, pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQ_SQL(c, SQL_CONTACTS, SQL_CONTACTS_PG), err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, first_id);
    db_bind_int64(st, 2, last_id);
    store_eval_contact *rows = malloc(sizeof *rows * STORE_EVAL_BATCH);
    if (!rows) {
        db_reset(st);
        return pl_err_set(err, PL_NOMEM, "out of memory reading contacts");
    }
    int k = 0, rc;
    pl_status r = PL_OK;
    while ((rc = db_step(st)) == DB_ROW) {
        rows[k].participant_id = db_column_int64(st, 0);
        rows[k].at = db_column_int64(st, 1);
        rows[k].session = db_column_int(st, 2) != 0;
        if (++k == STORE_EVAL_BATCH) {
            if ((r = fn(ctx, rows, k, err)) != PL_OK)
                break;
            k = 0;
        }
    }
    db_reset(st);
    if (r == PL_OK && rc != DB_DONE)
        r = sq_error(c->db, rc, err, "contacts");
    if (r == PL_OK && k > 0)
        r = fn(ctx, rows, k, err);
    free(rows);
    return r;
}

pl_status store_eval_fingerprint_get(store *s, pl_id study_id, store_eval_fingerprint *out,
                                     pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQL_FINGERPRINT, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, study_id);
    pl_status r = sq_step_row(c, st, err, "fingerprint");
    if (r == PL_OK)
        for (int i = 0; i < 7; i++)
            out->v[i] = db_column_int64(st, i);
    db_reset(st);
    return r;
}

void store_eval_thread_done(store *s)
{
    sq_reader_release(s);
}
