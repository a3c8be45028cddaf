/*
 * sqlite.c - the SQLite backend of store.h.
 *
 * Connections. Each thread that reads gets its own connection (found
 * through a pthread key, created on first use, closed by store_close), so
 * readers never share a statement or wait on a mutex. One writer thread
 * owns the only writing connection.
 *
 * Group commit. store_write() queues a job and sleeps. The writer thread
 * takes every queued job (up to WRITE_BATCH_MAX), opens one transaction,
 * runs each job inside its own SAVEPOINT (a failing job rolls back to it,
 * leaving the others), commits once and then wakes the callers. With
 * synchronous=FULL the commit's fsync is shared by the whole batch, which
 * is how durable writes reach thousands per second.
 *
 * Checkpoints. Automatic checkpoints are off (they would run inside some
 * request's commit); a checkpoint thread with its own connection runs a
 * PASSIVE checkpoint when the WAL passes CHECKPOINT_PAGES, and store_close
 * truncates the WAL.
 *
 * Statements. Each connection prepares each statement of the `sql` table
 * once, on first use, and keeps it (SQLITE_PREPARE_PERSISTENT).
 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "schema_sqlite.h"
#include "store.h"

#define WRITE_BATCH_MAX         512
#define CHECKPOINT_PAGES        4000
#define DEFAULT_BUSY_TIMEOUT_MS 2000

/* ---- statements --------------------------------------------------------- */

enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_ORG_INSERT,
    ST_ORG_GET,
    ST_ORG_SET_PROGRAM,
    ST_KF_INSERT,
    ST_KF_MASK,
    ST_PERSON_INSERT,
    ST_PARTICIPANT_INSERT,
    ST_PARTICIPANT_GET,
    ST_LEADER_INSERT,
    ST_LEADER_GET,
    ST_CONTACT_INSERT,
    ST_CONTACT_GET,
    ST_MEAS_INSERT,
    ST_MEAS_GET,
    ST_STAFF_INSERT,
    ST_STAFF_BY_USERNAME,
    ST_COUNTS,
    ST_WAVE_SUMMARY,
    ST__COUNT
};

#define PERSON_COLS                                                                                \
    "pe.id, pe.program_id, pe.given_name, pe.family_name, pe.sex, pe.birth_date, pe.phone, "       \
    "pe.address, pe.language"

static const char *const sql[ST__COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT job",
    [ST_RELEASE] = "RELEASE job",
    [ST_ROLLBACK_TO] = "ROLLBACK TO job",
    [ST_ORG_INSERT] = "INSERT INTO org_unit (parent_id, program_id, kind, name, code, arm, "
                      "language, updated_at) VALUES (?,?,?,?,?,?,?,?)",
    [ST_ORG_GET] = "SELECT id, parent_id, program_id, kind, name, code, arm, language "
                   "FROM org_unit WHERE id = ?",
    [ST_ORG_SET_PROGRAM] = "UPDATE org_unit SET program_id = id WHERE id = ?",
    [ST_KF_INSERT] = "INSERT INTO key_function (program_id, bit, code, label) VALUES (?,?,?,?)",
    [ST_KF_MASK] = "SELECT bit FROM key_function WHERE program_id = ?",
    [ST_PERSON_INSERT] = "INSERT INTO person (program_id, given_name, family_name, sex, "
                         "birth_date, phone, address, language) VALUES (?,?,?,?,?,?,?,?)",
    [ST_PARTICIPANT_INSERT] =
        "INSERT INTO participant (person_id, program_id, program_ident, mrn, diagnosis_year, "
        "treatment, enrol_date, status, status_date, status_reason, consent, consent_date, "
        "home_unit_id, peer_leader_id, risk_tier, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_PARTICIPANT_GET] =
        "SELECT p.id, p.program_id, p.program_ident, p.mrn, p.diagnosis_year, p.treatment, "
        "p.enrol_date, p.status, p.status_date, p.status_reason, p.consent, p.consent_date, "
        "p.home_unit_id, p.peer_leader_id, p.risk_tier, " PERSON_COLS
        " FROM participant p JOIN person pe ON pe.id = p.person_id WHERE p.id = ?",
    [ST_LEADER_INSERT] = "INSERT INTO peer_leader (person_id, program_id, home_unit_id, kind, "
                         "paid, languages, trained_on, training_hours, active, updated_at) "
                         "VALUES (?,?,?,?,?,?,?,?,?,?)",
    [ST_LEADER_GET] = "SELECT l.id, l.program_id, l.home_unit_id, l.kind, l.paid, l.languages, "
                      "l.trained_on, l.training_hours, l.active, " PERSON_COLS
                      " FROM peer_leader l JOIN person pe ON pe.id = l.person_id WHERE l.id = ?",
    [ST_CONTACT_INSERT] =
        "INSERT INTO contact (program_id, participant_id, peer_leader_id, occurred_at, minutes, "
        "mode, key_functions, topics, proactive, note, follow_up_date, created_at) "
        "SELECT program_id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM participant WHERE id = ?",
    [ST_CONTACT_GET] = "SELECT id, program_id, participant_id, peer_leader_id, occurred_at, "
                       "minutes, mode, key_functions, topics, proactive, note, follow_up_date "
                       "FROM contact WHERE id = ?",
    [ST_MEAS_INSERT] = "INSERT INTO measurement (participant_id, code, analyte, value, unit, "
                       "entered_value, entered_unit, effective_at, source, wave, recorded_by, "
                       "created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_MEAS_GET] = "SELECT id, participant_id, code, analyte, value, unit, entered_value, "
                    "entered_unit, effective_at, source, wave, recorded_by "
                    "FROM measurement WHERE id = ?",
    [ST_STAFF_INSERT] = "INSERT INTO staff_account (username, display_name, password_hash, role, "
                        "scope_unit_id, person_id, disabled, created_at) "
                        "VALUES (?,?,?,?,?,?,?,?)",
    [ST_STAFF_BY_USERNAME] = "SELECT id, username, display_name, role, scope_unit_id, "
                             "person_id, disabled, created_at, password_hash "
                             "FROM staff_account WHERE username = ?",
    [ST_COUNTS] = "SELECT (SELECT count(*) FROM org_unit WHERE kind = 'program'), "
                  "(SELECT count(*) FROM org_unit), (SELECT count(*) FROM participant), "
                  "(SELECT count(*) FROM peer_leader), (SELECT count(*) FROM contact), "
                  "(SELECT count(*) FROM measurement), (SELECT count(*) FROM staff_account)",
    [ST_WAVE_SUMMARY] = "SELECT count(*), avg(m.value), avg(m.value >= ?5) FROM measurement m "
                        "JOIN participant p ON p.id = m.participant_id "
                        "JOIN org_unit u ON u.id = p.home_unit_id "
                        "WHERE m.analyte = ?2 AND m.wave = ?3 AND p.program_id = ?1 "
                        "AND (?4 = 'none' OR u.arm = ?4)",
};

/* ---- connections -------------------------------------------------------- */

typedef struct conn {
    sqlite3 *db;
    sqlite3_stmt *st[ST__COUNT];
    struct conn *next; /* in store.readers */
} conn;

typedef struct write_job {
    store_write_fn fn;
    void *ctx;
    pl_err *err;
    pl_status result;
    int done;
    struct write_job *next;
} write_job;

struct store_tx {
    store *s;
    conn *c;
};

struct store {
    char *path;
    store_options opt;
    int schema_version;

    conn writer;
    pthread_t writer_thread;
    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* writer waits for jobs */
    pthread_cond_t done_cv; /* callers wait for their job */
    write_job *head, *tail;
    int stopping;

    pthread_t checkpoint_thread;
    pthread_cond_t checkpoint_cv;
    int checkpoint_wanted;

    pthread_key_t reader_key;
    conn *readers; /* every reader connection, closed at store_close */
};

static pl_status db_error(sqlite3 *db, int rc, pl_err *err, const char *what)
{
    int ext = sqlite3_extended_errcode(db);
    const char *msg = sqlite3_errmsg(db);
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
            return pl_err_set(err, PL_CONFLICT, "%s: already exists (%s)", what, msg);
        if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
            return pl_err_set(err, PL_INVALID, "%s: refers to a record that does not exist", what);
        return pl_err_set(err, PL_INVALID, "%s: %s", what, msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return pl_err_set(err, PL_BUSY, "%s: the database is locked by another process", what);
    case SQLITE_NOTADB:
        return pl_err_set(err, PL_SCHEMA, "%s: the file is not a database", what);
    case SQLITE_NOMEM:
        return pl_err_set(err, PL_NOMEM, "%s: out of memory", what);
    default:
        return pl_err_set(err, PL_IO, "%s: %s", what, msg);
    }
}

static sqlite3_stmt *stmt(conn *c, enum stmt_id id, pl_err *err)
{
    if (!c->st[id]) {
        int rc =
            sqlite3_prepare_v3(c->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT, &c->st[id], NULL);
        if (rc != SQLITE_OK) {
            db_error(c->db, rc, err, "preparing a statement");
            return NULL;
        }
    }
    return c->st[id];
}

/* Runs a statement that returns no rows. */
static pl_status exec_stmt(conn *c, enum stmt_id id, pl_err *err)
{
    sqlite3_stmt *st = stmt(c, id, err);
    if (!st)
        return err->status;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return db_error(c->db, rc, err, sql[id]);
    return PL_OK;
}

static void conn_close(conn *c)
{
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(c->st[i]);
    memset(c->st, 0, sizeof c->st);
    sqlite3_close(c->db);
    c->db = NULL;
}

static pl_status conn_open(store *s, conn *c, int flags, pl_err *err)
{
    memset(c, 0, sizeof *c);
    int rc = sqlite3_open_v2(s->path, &c->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        pl_status st = c->db ? db_error(c->db, rc, err, s->path)
                             : pl_err_set(err, PL_NOMEM, "%s: out of memory", s->path);
        if (rc == SQLITE_CANTOPEN)
            st = pl_err_set(err, PL_IO, "%s: cannot open the database file", s->path);
        sqlite3_close(c->db);
        c->db = NULL;
        return st;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, s->opt.busy_timeout_ms);
    return PL_OK;
}

/* Runs a script of pragmas or DDL. */
static pl_status exec_script(conn *c, const char *script, pl_err *err, const char *what)
{
    int rc = sqlite3_exec(c->db, script, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return db_error(c->db, rc, err, what);
    return PL_OK;
}

static pl_status conn_configure(store *s, conn *c, int reader, pl_err *err)
{
    char pragmas[256];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA foreign_keys=ON; PRAGMA synchronous=%s; PRAGMA wal_autocheckpoint=0;%s",
             s->opt.synchronous_normal ? "NORMAL" : "FULL", reader ? " PRAGMA query_only=1;" : "");
    return exec_script(c, pragmas, err, s->path);
}

/* The calling thread's reader connection, opened on first use. */
static conn *reader(store *s, pl_err *err)
{
    conn *c = pthread_getspecific(s->reader_key);
    if (c)
        return c;
    c = calloc(1, sizeof *c);
    if (!c) {
        pl_err_set(err, PL_NOMEM, "out of memory opening a database connection");
        return NULL;
    }
    if (conn_open(s, c, SQLITE_OPEN_READWRITE, err) != PL_OK ||
        conn_configure(s, c, 1, err) != PL_OK) {
        conn_close(c);
        free(c);
        return NULL;
    }
    pthread_setspecific(s->reader_key, c);
    pthread_mutex_lock(&s->mu);
    c->next = s->readers;
    s->readers = c;
    pthread_mutex_unlock(&s->mu);
    return c;
}

/* ---- opening and migrations --------------------------------------------- */

/*
 * Reads what the file holds without writing to it: whether it is a
 * database, whether it is peerlink's, and its schema version (0 when
 * empty).
 */
static pl_status probe_schema(store *s, conn *c, int *version, pl_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        c->db, "SELECT count(*), sum(name = 'schema_version') FROM sqlite_master", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        pl_status r = (rc & 0xff) == SQLITE_NOTADB
                          ? pl_err_set(err, PL_SCHEMA, "%s is not a SQLite database", s->path)
                          : db_error(c->db, rc, err, s->path);
        sqlite3_finalize(st);
        return r;
    }
    int objects = sqlite3_column_int(st, 0);
    int has_version = sqlite3_column_int(st, 1);
    sqlite3_finalize(st);
    if (objects == 0) {
        *version = 0;
        return PL_OK;
    }
    if (!has_version)
        return pl_err_set(err, PL_SCHEMA, "%s is a SQLite database but not a peerlink database",
                          s->path);
    rc = sqlite3_prepare_v2(c->db, "SELECT coalesce(max(version), 0) FROM schema_version", -1, &st,
                            NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        pl_status r = db_error(c->db, rc, err, s->path);
        sqlite3_finalize(st);
        return r;
    }
    *version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (*version > store_sqlite_migration_count)
        return pl_err_set(err, PL_SCHEMA,
                          "%s has schema version %d, newer than this peerlink's %d: upgrade "
                          "peerlink to open it",
                          s->path, *version, store_sqlite_migration_count);
    return PL_OK;
}

static pl_status migrate(store *s, conn *c, int from, pl_err *err)
{
    pl_status st = exec_script(c, "BEGIN IMMEDIATE", err, s->path);
    if (st != PL_OK)
        return st;
    for (int v = from + 1; v <= store_sqlite_migration_count; v++) {
        char what[64];
        snprintf(what, sizeof what, "migration %d", v);
        st = exec_script(c, store_sqlite_migrations[v - 1], err, what);
        if (st != PL_OK)
            goto fail;
        sqlite3_stmt *ins = NULL;
        int rc = sqlite3_prepare_v2(
            c->db, "INSERT INTO schema_version (version, applied_at) VALUES (?,?)", -1, &ins, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int(ins, 1, v);
            sqlite3_bind_int64(ins, 2, (sqlite3_int64)time(NULL));
            rc = sqlite3_step(ins);
        }
        sqlite3_finalize(ins);
        if (rc != SQLITE_DONE) {
            st = db_error(c->db, rc, err, what);
            goto fail;
        }
    }
    return exec_script(c, "COMMIT", err, s->path);
fail:
    sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

static void *writer_main(void *arg);
static void *checkpoint_main(void *arg);
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages);

pl_status store_open(const char *location, const store_options *opt, store **out, pl_err *err)
{
    *out = NULL;
    if (strncmp(location, "postgresql://", 13) == 0 || strncmp(location, "postgres://", 11) == 0)
        return pl_err_set(err, PL_USAGE,
                          "the PostgreSQL backend is not built yet; use a SQLite file path");
    struct stat sb;
    int exists = stat(location, &sb) == 0;
    if (!exists && !(opt && opt->create))
        return pl_err_set(err, PL_NOTFOUND,
                          "%s does not exist: create it with 'peerlink init --db %s'", location,
                          location);
    if (exists && !S_ISREG(sb.st_mode))
        return pl_err_set(err, PL_IO, "%s is not a regular file", location);

    store *s = calloc(1, sizeof *s);
    if (!s)
        return pl_err_set(err, PL_NOMEM, "out of memory");
    s->path = strdup(location);
    if (opt)
        s->opt = *opt;
    if (s->opt.busy_timeout_ms <= 0)
        s->opt.busy_timeout_ms = DEFAULT_BUSY_TIMEOUT_MS;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->work_cv, NULL);
    pthread_cond_init(&s->done_cv, NULL);
    pthread_cond_init(&s->checkpoint_cv, NULL);
    int key_made = 0, writer_started = 0;
    pl_status st;
    if (!s->path) {
        st = pl_err_set(err, PL_NOMEM, "out of memory");
        goto fail;
    }
    if (pthread_key_create(&s->reader_key, NULL) != 0) {
        st = pl_err_set(err, PL_NOMEM, "out of thread-local keys");
        goto fail;
    }
    key_made = 1;

    st = conn_open(s, &s->writer, SQLITE_OPEN_READWRITE | (exists ? 0 : SQLITE_OPEN_CREATE), err);
    if (st != PL_OK)
        goto fail;
    /* Inspect before any pragma: journal_mode=WAL would rewrite the header. */
    st = probe_schema(s, &s->writer, &s->schema_version, err);
    if (st != PL_OK)
        goto fail;
    /* Take (and drop) the write lock, so a database held by another writer is refused now. */
    st = exec_script(&s->writer, "BEGIN IMMEDIATE; ROLLBACK", err, s->path);
    if (st != PL_OK)
        goto fail;
    sqlite3_stmt *jm = NULL;
    int rc = sqlite3_prepare_v2(s->writer.db, "PRAGMA journal_mode=WAL", -1, &jm, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(jm);
    int wal = rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(jm, 0), "wal") == 0;
    sqlite3_finalize(jm);
    if (!wal) {
        st = rc == SQLITE_ROW ? pl_err_set(err, PL_IO, "%s: cannot switch to WAL mode", s->path)
                              : db_error(s->writer.db, rc, err, s->path);
        goto fail;
    }
    st = conn_configure(s, &s->writer, 0, err);
    if (st != PL_OK)
        goto fail;
    if (s->schema_version < store_sqlite_migration_count) {
        st = migrate(s, &s->writer, s->schema_version, err);
        if (st != PL_OK)
            goto fail;
        s->schema_version = store_sqlite_migration_count;
    }
    sqlite3_wal_hook(s->writer.db, wal_hook, s);
    if (pthread_create(&s->writer_thread, NULL, writer_main, s) != 0) {
        st = pl_err_set(err, PL_IO, "cannot start the writer thread");
        goto fail;
    }
    writer_started = 1;
    if (pthread_create(&s->checkpoint_thread, NULL, checkpoint_main, s) != 0) {
        st = pl_err_set(err, PL_IO, "cannot start the checkpoint thread");
        goto fail;
    }
    *out = s;
    return PL_OK;
fail:
    if (writer_started) {
        pthread_mutex_lock(&s->mu);
        s->stopping = 1;
        pthread_cond_broadcast(&s->work_cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->writer_thread, NULL);
    }
    if (s->writer.db)
        conn_close(&s->writer);
    if (key_made)
        pthread_key_delete(s->reader_key);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->work_cv);
    pthread_cond_destroy(&s->done_cv);
    pthread_cond_destroy(&s->checkpoint_cv);
    free(s->path);
    free(s);
    return st;
}

void store_close(store *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->work_cv);
    pthread_cond_broadcast(&s->checkpoint_cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->writer_thread, NULL);
    pthread_join(s->checkpoint_thread, NULL);
    for (conn *c = s->readers, *next; c; c = next) {
        next = c->next;
        conn_close(c);
        free(c);
    }
    sqlite3_wal_checkpoint_v2(s->writer.db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    conn_close(&s->writer);
    pthread_key_delete(s->reader_key);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->work_cv);
    pthread_cond_destroy(&s->done_cv);
    pthread_cond_destroy(&s->checkpoint_cv);
    free(s->path);
    free(s);
}

const char *store_backend_name(const store *s)
{
    (void)s;
    return "sqlite";
}

int store_schema_version(const store *s)
{
    return s->schema_version;
}

int store_schema_version_latest(void)
{
    return store_sqlite_migration_count;
}

/* ---- the writer --------------------------------------------------------- */

static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    store *s = arg;
    (void)db;
    (void)name;
    if (pages >= CHECKPOINT_PAGES) {
        pthread_mutex_lock(&s->mu);
        s->checkpoint_wanted = 1;
        pthread_cond_signal(&s->checkpoint_cv);
        pthread_mutex_unlock(&s->mu);
    }
    return SQLITE_OK;
}

static void *checkpoint_main(void *arg)
{
    store *s = arg;
    conn c;
    pl_err err;
    pl_err_clear(&err);
    int ok = conn_open(s, &c, SQLITE_OPEN_READWRITE, &err) == PL_OK;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->checkpoint_wanted && !s->stopping)
            pthread_cond_wait(&s->checkpoint_cv, &s->mu);
        if (s->stopping)
            break;
        s->checkpoint_wanted = 0;
        pthread_mutex_unlock(&s->mu);
        if (ok)
            sqlite3_wal_checkpoint_v2(c.db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    if (ok)
        conn_close(&c);
    return NULL;
}

/* Runs one job in its savepoint. Returns 0 if the whole transaction was lost. */
static int run_job(store *s, write_job *j)
{
    store_tx tx = {s, &s->writer};
    if (exec_stmt(&s->writer, ST_SAVEPOINT, j->err) != PL_OK) {
        j->result = j->err->status;
        return !sqlite3_get_autocommit(s->writer.db);
    }
    j->result = j->fn(&tx, j->ctx, j->err);
    if (sqlite3_get_autocommit(s->writer.db)) {
        /* SQLite rolled the whole transaction back (I/O error, disk full) */
        if (j->result == PL_OK)
            j->result = pl_err_set(j->err, PL_IO, "the transaction was aborted by the database");
        return 0;
    }
    if (j->result != PL_OK) {
        pl_err ignore;
        pl_err_clear(&ignore);
        exec_stmt(&s->writer, ST_ROLLBACK_TO, &ignore);
    }
    pl_err ignore;
    pl_err_clear(&ignore);
    exec_stmt(&s->writer, ST_RELEASE, &ignore);
    return 1;
}

static void run_batch(store *s, write_job *batch)
{
    pl_err err;
    pl_err_clear(&err);
    write_job *open_from = batch; /* jobs whose writes are in the open transaction */
    int in_tx = 0;
    for (write_job *j = batch; j; j = j->next) {
        if (!in_tx) {
            if (exec_stmt(&s->writer, ST_BEGIN, j->err) != PL_OK) {
                j->result = j->err->status;
                continue;
            }
            in_tx = 1;
            open_from = j;
        }
        if (!run_job(s, j)) {
            /* everything since BEGIN is gone: fail the jobs that had succeeded */
            for (write_job *k = open_from; k != j; k = k->next)
                if (k->result == PL_OK)
                    k->result =
                        pl_err_set(k->err, PL_IO, "the transaction was aborted by the database");
            in_tx = 0;
        }
    }
    if (in_tx && exec_stmt(&s->writer, ST_COMMIT, &err) != PL_OK) {
        exec_stmt(&s->writer, ST_ROLLBACK, &err);
        for (write_job *k = open_from; k; k = k->next)
            if (k->result == PL_OK)
                k->result = pl_err_set(k->err, PL_IO, "the commit failed: %s", err.message);
    }
}

static void *writer_main(void *arg)
{
    store *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->head && !s->stopping)
            pthread_cond_wait(&s->work_cv, &s->mu);
        if (!s->head)
            break; /* stopping, and the queue is drained */
        write_job *batch = s->head, *last = batch;
        for (int n = 1; last->next && n < WRITE_BATCH_MAX; n++)
            last = last->next;
        s->head = last->next;
        if (!s->head)
            s->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&s->mu);

        run_batch(s, batch);

        pthread_mutex_lock(&s->mu);
        for (write_job *j = batch; j; j = j->next)
            j->done = 1;
        pthread_cond_broadcast(&s->done_cv);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

pl_status store_write(store *s, store_write_fn fn, void *ctx, pl_err *err)
{
    /* j lives on this stack until the writer marks it done: we wait for that below */
    write_job j = {.fn = fn, .ctx = ctx, .err = err};
    pthread_mutex_lock(&s->mu);
    if (s->stopping) {
        pthread_mutex_unlock(&s->mu);
        return pl_err_set(err, PL_IO, "the store is closing");
    }
    if (s->tail)
        s->tail->next = &j;
    else
        s->head = &j; // cppcheck-suppress autoVariables
    s->tail = &j;     // cppcheck-suppress autoVariables
    pthread_cond_signal(&s->work_cv);
    while (!j.done)
        pthread_cond_wait(&s->done_cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    return j.result;
}

/* ---- binding and reading helpers ---------------------------------------- */

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v && *v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void bind_id(sqlite3_stmt *st, int i, pl_id v)
{
    if (v > 0)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static void bind_date(sqlite3_stmt *st, int i, pl_date v)
{
    if (v != PL_DATE_NONE)
        sqlite3_bind_int(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static const char *col_text(sqlite3_stmt *st, int i, pl_arena *a)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (!t)
        return NULL;
    return pl_arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(st, i));
}

static pl_date col_date(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? PL_DATE_NONE : sqlite3_column_int(st, i);
}

/* Steps an insert; on success stores the new row id in *id. */
static pl_status step_insert(conn *c, sqlite3_stmt *st, pl_id *id, pl_err *err, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return db_error(c->db, rc, err, what);
    if (sqlite3_changes(c->db) == 0)
        return pl_err_set(err, PL_INVALID, "%s: refers to a record that does not exist", what);
    *id = sqlite3_last_insert_rowid(c->db);
    return PL_OK;
}

/* Steps a single-row read; PL_NOTFOUND when there is no row. The caller resets. */
static pl_status step_row(conn *c, sqlite3_stmt *st, pl_err *err, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return PL_OK;
    if (rc == SQLITE_DONE)
        return pl_err_set(err, PL_NOTFOUND, "%s not found", what);
    return db_error(c->db, rc, err, what);
}

/* Checks that every string read made it into the arena. */
static pl_status arena_check(pl_arena *a, pl_err *err)
{
    if (a->used >= a->max_bytes)
        return pl_err_set(err, PL_LIMIT, "the record is larger than the request memory limit");
    return PL_OK;
}

/* ---- org units ---------------------------------------------------------- */

pl_status store_org_unit_insert(store_tx *tx, pl_org_unit *u, pl_err *err)
{
    sqlite3_stmt *st = stmt(tx->c, ST_ORG_INSERT, err);
    if (!st)
        return err->status;
    bind_id(st, 1, u->parent_id);
    bind_id(st, 2, u->kind == PL_ORG_PROGRAM ? 0 : u->program_id);
    sqlite3_bind_text(st, 3, pl_org_kind_name(u->kind), -1, SQLITE_STATIC);
    bind_text(st, 4, u->name);
    bind_text(st, 5, u->code);
    sqlite3_bind_text(st, 6, pl_arm_name(u->arm), -1, SQLITE_STATIC);
    bind_text(st, 7, u->language);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)time(NULL));
    pl_status r = step_insert(tx->c, st, &u->id, err, "org unit");
    if (r != PL_OK || u->kind != PL_ORG_PROGRAM)
        return r;
    /* a program is its own program */
    u->program_id = u->id;
    sqlite3_stmt *up = stmt(tx->c, ST_ORG_SET_PROGRAM, err);
    if (!up)
        return err->status;
    sqlite3_bind_int64(up, 1, u->id);
    int rc = sqlite3_step(up);
    sqlite3_reset(up);
    return rc == SQLITE_DONE ? PL_OK : db_error(tx->c->db, rc, err, "org unit");
}

static pl_status org_unit_get(conn *c, pl_id id, pl_arena *a, pl_org_unit *u, pl_err *err)
{
    sqlite3_stmt *st = stmt(c, ST_ORG_GET, err);
    if (!st)
        return err->status;
    sqlite3_bind_int64(st, 1, id);
    pl_status r = step_row(c, st, err, "org unit");
    if (r == PL_OK) {
        memset(u, 0, sizeof *u);
        u->id = sqlite3_column_int64(st, 0);
        u->parent_id = sqlite3_column_int64(st, 1);
        u->program_id = sqlite3_column_int64(st, 2);
        pl_org_kind_parse((const char *)sqlite3_column_text(st, 3), &u->kind);
        u->name = col_text(st, 4, a);
        u->code = col_text(st, 5, a);
        pl_arm_parse((const char *)sqlite3_column_text(st, 6), &u->arm);
        u->language = col_text(st, 7, a);
        r = arena_check(a, err);
    }
    sqlite3_reset(st);
    return r;
}

pl_status store_org_unit_get(store *s, pl_id id, pl_arena *a, pl_org_unit *out, pl_err *err)
{
    conn *c = reader(s, err);
    return c ? org_unit_get(c, id, a, out, err) : err->status;
}

pl_status store_tx_org_unit_get(store_tx *tx, pl_id id, pl_arena *a, pl_org_unit *out, pl_err *err)
{
    return org_unit_get(tx->c, id, a, out, err);
}

pl_status store_key_function_insert(store_tx *tx, pl_id program_id, int bit, const char *code,
                                    const char *label, pl_err *err)
{
    if (bit < PL_KF_PROGRAM_FIRST_BIT || bit >= PL_KF_MAX_BITS)
        return pl_err_set(err, PL_INVALID, "key function bit must be between %d and %d",
                          PL_KF_PROGRAM_FIRST_BIT, PL_KF_MAX_BITS - 1);
    sqlite3_stmt *st = stmt(tx->c, ST_KF_INSERT, err);
    if (!st)
        return err->status;
    sqlite3_bind_int64(st, 1, program_id);
    sqlite3_bind_int(st, 2, bit);
    bind_text(st, 3, code);
    bind_text(st, 4, label);
    pl_id ignored;
    return step_insert(tx->c, st, &ignored, err, "key function");
}

pl_status store_program_kf_mask(store *s, pl_id program_id, uint32_t *mask, pl_err *err)
{
    conn *c = reader(s, err);
    if (!c)
        return err->status;
    sqlite3_stmt *st = stmt(c, ST_KF_MASK, err);
    if (!st)
        return err->status;
    sqlite3_bind_int64(st, 1, program_id);
    uint32_t m = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        m |= 1u << sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return db_error(c->db, rc, err, "key functions");
    *mask = m;
    return PL_OK;
}

/* ---- persons, participants and peer leaders ----------------------------- */

static pl_status person_insert(conn *c, pl_person *p, pl_id program_id, pl_err *err)
{
    sqlite3_stmt *st = stmt(c, ST_PERSON_INSERT, err);
    if (!st)
        return err->status;
    sqlite3_bind_int64(st, 1, program_id);
    bind_text(st, 2, p->given_name);
    bind_text(st, 3, p->family_name);
    sqlite3_bind_text(st, 4, pl_sex_name(p->sex), -1, SQLITE_STATIC);
    bind_date(st, 5, p->birth_date);
    bind_text(st, 6, p->phone);
    bind_text(st, 7, p->address);
    bind_text(st, 8, p->language);
    p->program_id = program_id;
    return step_insert(c, st, &p->id, err, "person");
}

/* Reads the PERSON_COLS block starting at column i. */
static void person_read(sqlite3_stmt *st, int i, pl_arena *a, pl_person *p)
{
    p->id = sqlite3_column_int64(st, i);
    p->program_id = sqlite3_column_int64(st, i + 1);
    p->given_name = col_text(st, i + 2, a);
    p->family_name = col_text(st, i + 3, a);
    pl_sex_parse((const char *)sqlite3_column_text(st, i + 4), &p->sex);
    p->birth_date = col_date(st, i + 5);
    p->phone = col_text(st, i + 6, a);
    p->address = col_text(st, i + 7, a);
    p->language = col_text(st, i + 8, a);
}

pl_status store_participant_insert(store_tx *tx, pl_participant *p, pl_err *err)
{
    pl_status r = PL_OK;
    if (p->person.id <= 0 && (r = person_insert(tx->c, &p->person, p->program_id, err)) != PL_OK)
        return r;
    sqlite3_stmt *st = stmt(tx->c, ST_PARTICIPANT_INSERT, err);
    if (!st)
        return err->status;
    sqlite3_bind_int64(st, 1, p->person.id);
    sqlite3_bind_int64(st, 2, p->program_id);
    bind_text(st, 3, p->program_ident);
    bind_text(st, 4, p->mrn);
    if (p->diagnosis_year)
        sqlite3_bind_int(st, 5, p->diagnosis_year);
    sqlite3_bind_text(st, 6, pl_treatment_name(p->treatment), -1, SQLITE_STATIC);
    bind_date(st, 7, p->enrol_date);
    sqlite3_bind_text(st, 8, pl_enrol_status_name(p->status), -1, SQLITE_STATIC);
    bind_date(st, 9, p->status_date);
    bind_text(st, 10, p->status_reason);
    sqlite3_bind_int(st, 11, p->consent);
    bind_date(st, 12, p->consent_date);
    bind_id(st, 13, p->home_unit_id);
    bind_id(st, 14, p->peer_leader_id);
    sqlite3_bind_text(st, 15, pl_risk_tier_name(p->risk_tier), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 16, (sqlite3_int64)time(NULL));
    return step_insert(tx->c, st, &p->id, err, "participant");
}

pl_status store_participant_get(store *s, pl_id id, pl_arena *a, pl_participant *p, pl_err *err)
{
    conn *c = reader(s, err);
    if (!c)
        return err->status;
    sqlite3_stmt *st = stmt(c, ST_PARTICIPANT_GET, err);
    if (!st)
        return err->status;
    sqlite3_bind_int64(st, 1, id);
    pl_status r = step_row(c, st, err, "participant");
    if (r == PL_OK) {
        memset(p, 0, sizeof *p);
        p->id = sqlite3_column_int64(st, 0);
        p->program_id = sqlite3_column_int64(st, 1);
        p->program_ident = col_text(st, 2, a);
        p->mrn = col_text(st, 3, a);
        p->diagnosis_year = sqlite3_column_int(st, 4);
        pl_treatment_parse((const char *)sqlite3_column_text(st, 5), &p->treatment);
        p->enrol_date = col_date(st, 6);
        pl_enrol_status_parse((const char *)sqlite3_column_text(st, 7), &p->status);
        p->status_date = col_date(st, 8);
        p->status_reason = col_text(st, 9, a);
        p->consent = sqlite3_column_int(st, 10) != 0;
        p->consent_date = col_date(st, 11);
        p->home_unit_id = sqlite3_column_int64(st, 12);
        p->peer_leader_id = sqlite3_column_int64(st, 13);
        pl_risk_tier_parse((const char *)sqlite3_column_text(st, 14), &p->risk_tier);
        person_read(st, 15, a, &p->person);
        r = arena_check(a, err);
    }
    sqlite3_reset(st);
    return r;
}

pl_status store_peer_leader_insert(store_tx *tx, pl_peer_leader *l, pl_err *err)
{
    pl_status r = PL_OK;
    if (l->person.id <= 0 && (r = person_insert(tx->c, &l->person, l->program_id, err)) != PL_OK)
        return r;
    sqlite3_stmt *st = stmt(tx->c, ST_LEADER_INSERT, err);
    if (!st)
        return err->status;
    sqlite3_bind_int64(st, 1, l->person.id);
    sqlite3_bind_int64(st, 2, l->program_id);
    bind_id(st, 3, l->home_unit_id);
    sqlite3_bind_text(st, 4, pl_leader_kind_name(l->kind), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, l->paid);
    bind_text(st, 6, l->languages);
    bind_date(st, 7, l->trained_on);
    sqlite3_bind_int(st, 8, l->training_hours);
    sqlite3_bind_int(st, 9, l->active);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)time(NULL));
    return step_insert(tx->c, st, &l->id, err, "peer leader");
}

pl_status store_peer_leader_get(store *s, pl_id id, pl_arena *a, pl_peer_leader *l, pl_err *err)
{
    conn *c = reader(s, err);
    if (!c)
        return err->status;
    sqlite3_stmt *st = stmt(c, ST_LEADER_GET, err);
    if (!st)
        return err->status;
    sqlite3_bind_int64(st, 1, id);
    pl_status r = step_row(c, st, err, "peer leader");
    if (r == PL_OK) {
        memset(l, 0, sizeof *l);
        l->id = sqlite3_column_int64(st, 0);
        l->program_id = sqlite3_column_int64(st, 1);
        l->home_unit_id = sqlite3_column_int64(st, 2);
        pl_leader_kind_parse((const char *)sqlite3_column_text(st, 3), &l->kind);
        l->paid = sqlite3_column_int(st, 4) != 0;
        l->languages = col_text(st, 5, a);
        l->trained_on = col_date(st, 6);
        l->training_hours = sqlite3_column_int(st, 7);
        l->active = sqlite3_column_int(st, 8) != 0;
        person_read(st, 9, a, &l->person);
        r = arena_check(a, err);
    }
    sqlite3_reset(st);
    return r;
}

/* ---- contacts and measurements ------------------------------------------ */

pl_status store_contact_insert(store_tx *tx, pl_contact *c, pl_err *err)
{
    sqlite3_stmt *st = stmt(tx->c, ST_CONTACT_INSERT, err);
    if (!st)
        return err->status;
    sqlite3_bind_int64(st, 1, c->participant_id);
    sqlite3_bind_int64(st, 2, c->peer_leader_id);
    sqlite3_bind_int64(st, 3, c->occurred_at);
    sqlite3_bind_int(st, 4, c->minutes);
    sqlite3_bind_text(st, 5, pl_contact_mode_name(c->mode), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, c->key_functions);
    sqlite3_bind_int64(st, 7, c->topics);
    sqlite3_bind_int(st, 8, c->proactive);
    bind_text(st, 9, c->note);
    bind_date(st, 10, c->follow_up_date);
    sqlite3_bind_int64(st, 11, (sqlite3_int64)time(NULL));
    sqlite3_bind_int64(st, 12, c->participant_id);
    return step_insert(tx->c, st, &c->id, err, "contact");
}

pl_status store_contact_get(store *s, pl_id id, pl_arena *a, pl_contact *c, pl_err *err)
{
    conn *cn = reader(s, err);
    if (!cn)
        return err->status;
    sqlite3_stmt *st = stmt(cn, ST_CONTACT_GET, err);
    if (!st)
        return err->status;
    sqlite3_bind_int64(st, 1, id);
    pl_status r = step_row(cn, st, err, "contact");
    if (r == PL_OK) {
        memset(c, 0, sizeof *c);
        c->id = sqlite3_column_int64(st, 0);
        c->program_id = sqlite3_column_int64(st, 1);
        c->participant_id = sqlite3_column_int64(st, 2);
        c->peer_leader_id = sqlite3_column_int64(st, 3);
        c->occurred_at = sqlite3_column_int64(st, 4);
        c->minutes = sqlite3_column_int(st, 5);
        pl_contact_mode_parse((const char *)sqlite3_column_text(st, 6), &c->mode);
        c->key_functions = (uint32_t)sqlite3_column_int64(st, 7);
        c->topics = (uint32_t)sqlite3_column_int64(st, 8);
        c->proactive = sqlite3_column_int(st, 9) != 0;
        c->note = col_text(st, 10, a);
        c->follow_up_date = col_date(st, 11);
        r = arena_check(a, err);
    }
    sqlite3_reset(st);
    return r;
}

pl_status store_measurement_insert(store_tx *tx, pl_measurement *m, pl_err *err)
{
    if (!m->analyte || !m->unit)
        return pl_err_set(err, PL_INVALID, "measurement: not prepared (measurement_prepare)");
    sqlite3_stmt *st = stmt(tx->c, ST_MEAS_INSERT, err);
    if (!st)
        return err->status;
    sqlite3_bind_int64(st, 1, m->participant_id);
    bind_text(st, 2, m->code);
    bind_text(st, 3, m->analyte);
    sqlite3_bind_double(st, 4, m->value);
    bind_text(st, 5, m->unit);
    bind_text(st, 6, m->entered_value);
    bind_text(st, 7, m->entered_unit);
    sqlite3_bind_int64(st, 8, m->effective_at);
    sqlite3_bind_text(st, 9, pl_source_name(m->source), -1, SQLITE_STATIC);
    if (m->wave >= 0)
        sqlite3_bind_int(st, 10, m->wave);
    bind_id(st, 11, m->recorded_by);
    sqlite3_bind_int64(st, 12, (sqlite3_int64)time(NULL));
    return step_insert(tx->c, st, &m->id, err, "measurement");
}

pl_status store_measurement_get(store *s, pl_id id, pl_arena *a, pl_measurement *m, pl_err *err)
{
    conn *c = reader(s, err);
    if (!c)
        return err->status;
    sqlite3_stmt *st = stmt(c, ST_MEAS_GET, err);
    if (!st)
        return err->status;
    sqlite3_bind_int64(st, 1, id);
    pl_status r = step_row(c, st, err, "measurement");
    if (r == PL_OK) {
        memset(m, 0, sizeof *m);
        m->id = sqlite3_column_int64(st, 0);
        m->participant_id = sqlite3_column_int64(st, 1);
        m->code = col_text(st, 2, a);
        m->analyte = col_text(st, 3, a);
        m->value = sqlite3_column_double(st, 4);
        m->unit = col_text(st, 5, a);
        m->entered_value = col_text(st, 6, a);
        m->entered_unit = col_text(st, 7, a);
        m->effective_at = sqlite3_column_int64(st, 8);
        pl_source_parse((const char *)sqlite3_column_text(st, 9), &m->source);
        m->wave = sqlite3_column_type(st, 10) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 10);
        m->recorded_by = sqlite3_column_int64(st, 11);
        r = arena_check(a, err);
    }
    sqlite3_reset(st);
    return r;
}

/* ---- staff accounts ----------------------------------------------------- */

pl_status store_staff_account_insert(store_tx *tx, pl_staff_account *a, const char *password_hash,
                                     pl_err *err)
{
    sqlite3_stmt *st = stmt(tx->c, ST_STAFF_INSERT, err);
    if (!st)
        return err->status;
    if (!a->created_at || a->created_at == PL_TIME_NONE)
        a->created_at = (pl_time)time(NULL);
    bind_text(st, 1, a->username);
    bind_text(st, 2, a->display_name);
    bind_text(st, 3, password_hash);
    sqlite3_bind_text(st, 4, pl_role_name(a->role), -1, SQLITE_STATIC);
    bind_id(st, 5, a->scope_unit_id);
    bind_id(st, 6, a->person_id);
    sqlite3_bind_int(st, 7, a->disabled);
    sqlite3_bind_int64(st, 8, a->created_at);
    pl_status r = step_insert(tx->c, st, &a->id, err, "staff account");
    if (r == PL_CONFLICT)
        pl_err_set(err, PL_CONFLICT, "username '%s' is already taken", a->username);
    return r;
}

pl_status store_staff_account_get_by_username(store *s, const char *username, pl_arena *a,
                                              pl_staff_account *out, char **password_hash,
                                              pl_err *err)
{
    conn *c = reader(s, err);
    if (!c)
        return err->status;
    sqlite3_stmt *st = stmt(c, ST_STAFF_BY_USERNAME, err);
    if (!st)
        return err->status;
    sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
    pl_status r = step_row(c, st, err, "staff account");
    if (r == PL_OK) {
        memset(out, 0, sizeof *out);
        out->id = sqlite3_column_int64(st, 0);
        out->username = col_text(st, 1, a);
        out->display_name = col_text(st, 2, a);
        pl_role_parse((const char *)sqlite3_column_text(st, 3), &out->role);
        out->scope_unit_id = sqlite3_column_int64(st, 4);
        out->person_id = sqlite3_column_int64(st, 5);
        out->disabled = sqlite3_column_int(st, 6) != 0;
        out->created_at = sqlite3_column_int64(st, 7);
        if (password_hash)
            *password_hash = (char *)col_text(st, 8, a);
        r = arena_check(a, err);
    }
    sqlite3_reset(st);
    return r;
}

/* ---- summaries ---------------------------------------------------------- */

pl_status store_counts_get(store *s, store_counts *out, pl_err *err)
{
    conn *c = reader(s, err);
    if (!c)
        return err->status;
    sqlite3_stmt *st = stmt(c, ST_COUNTS, err);
    if (!st)
        return err->status;
    pl_status r = step_row(c, st, err, "counts");
    if (r == PL_OK) {
        out->programs = sqlite3_column_int64(st, 0);
        out->org_units = sqlite3_column_int64(st, 1);
        out->participants = sqlite3_column_int64(st, 2);
        out->peer_leaders = sqlite3_column_int64(st, 3);
        out->contacts = sqlite3_column_int64(st, 4);
        out->measurements = sqlite3_column_int64(st, 5);
        out->staff_accounts = sqlite3_column_int64(st, 6);
    }
    sqlite3_reset(st);
    return r;
}

pl_status store_wave_summary_get(store *s, pl_id program_id, const char *analyte, int wave,
                                 pl_arm arm, double threshold, store_wave_summary *out, pl_err *err)
{
    conn *c = reader(s, err);
    if (!c)
        return err->status;
    sqlite3_stmt *st = stmt(c, ST_WAVE_SUMMARY, err);
    if (!st)
        return err->status;
    sqlite3_bind_int64(st, 1, program_id);
    sqlite3_bind_text(st, 2, analyte, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, wave);
    sqlite3_bind_text(st, 4, pl_arm_name(arm), -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 5, threshold);
    pl_status r = step_row(c, st, err, "summary");
    if (r == PL_OK) {
        out->n = sqlite3_column_int64(st, 0);
        out->mean = sqlite3_column_double(st, 1);
        out->share_at_or_above = sqlite3_column_double(st, 2);
    }
    sqlite3_reset(st);
    return r;
}
