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
 * is how durable writes reach thousands per second. When only background
 * jobs are queued (audit events of reads, session activity), nobody is
 * waiting, so the writer lingers up to LINGER_MS to gather more of them
 * into the same commit: a busy read load then costs tens of fsyncs a
 * second, not thousands. A job somebody waits for ends the lingering.
 *
 * Checkpoints. Automatic checkpoints are off (they would run inside some
 * request's commit); a checkpoint thread with its own connection runs a
 * PASSIVE checkpoint when the WAL passes CHECKPOINT_PAGES, and store_close
 * truncates the WAL. Under a steady load some reader always holds the WAL,
 * so passive checkpoints copy pages back but the WAL never starts over and
 * grows without end (every read then searches a larger index and reads
 * pages through pread): past CHECKPOINT_RESTART_PAGES the writer itself,
 * between two batches, runs a RESTART checkpoint (the checkpoint thread
 * would rarely win the write lock from it), which waits the few
 * microseconds for readers to move to the database file; journal_size_limit
 * then trims the file.
 *
 * Statements. Each connection prepares each statement once, on first use,
 * and keeps it (SQLITE_PREPARE_PERSISTENT) in a small hash table keyed by
 * the address of its SQL text (or list definition and filter mask); the
 * records of this file keep their SQL in the `sql` table, the other
 * sqlite_*.c files in static strings of their own (sqlite_int.h).
 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "schema_pg.h"
#include "schema_sqlite.h"
#include "sqlite_int.h"

#define WRITE_BATCH_MAX          512
#define SQ_WRITER_LOCK           "727533" /* the writers' advisory lock on PostgreSQL */
#define LINGER_MS                10
#define CHECKPOINT_PAGES         1000 /* a short WAL keeps readers' frame look-ups cheap */
#define CHECKPOINT_RESTART_PAGES (32 * CHECKPOINT_PAGES)
#define DEFAULT_BUSY_TIMEOUT_MS  2000

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
    ST_ANCESTORS_INSERT,
    ST_PARTICIPANT_UPDATE,
    ST_PERSON_UPDATE,
    ST_STAFF_GET,
    ST_STAFF_UPDATE,
    ST_STAFF_PASSWORD,
    ST_LEADER_BY_PERSON,
    ST_PARTICIPANT_VISIBLE,
    ST_UNIT_IN_SUBTREE,
    ST_UNIT_VISIBLE,
    ST_SESSION_INSERT,
    ST_SESSION_GET,
    ST_SESSION_DELETE,
    ST_SESSION_DELETE_ACCOUNT,
    ST_SESSION_TOUCH,
    ST_AUDIT_INSERT,
    ST_IDEM_GET,
    ST_IDEM_PUT,
    ST_IDEM_EXPIRE,
    ST_SECRET,
    ST_PERSON_GET,
    ST_ALERT_INSERT,
    ST_ALERT_GET,
    ST_ALERT_UPDATE,
    ST_ALERT_RESOLVE_RAISED,
    ST_QR_INSERT,
    ST_QR_GET,
    ST__COUNT
};

#define STAFF_COLS                                                                                 \
    "id, username, display_name, role, scope_unit_id, person_id, disabled, created_at, version, "  \
    "language, password_hash"
#define AUDIT_COLS                                                                                 \
    "id, at, account_id, action, entity, entity_id, participant_id, client_addr, status"
#define QR_COLS                                                                                    \
    "q.id, q.participant_id, q.instrument, q.language, q.answers, q.score, q.scored, q.band, "     \
    "q.flags, q.subscales, q.completed_at, q.recorded_by, q.created_at"

static const char *const sql[ST__COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT job",
    [ST_RELEASE] = "RELEASE job",
    [ST_ROLLBACK_TO] = "ROLLBACK TO job",
    [ST_ORG_INSERT] = "INSERT INTO org_unit (parent_id, program_id, kind, name, code, arm, "
                      "language, updated_at) VALUES (?,?,?,?,?,?,?,?)",
    [ST_ORG_GET] = "SELECT " SQ_ORG_COLS " FROM org_unit u WHERE u.id = ?",
    [ST_ORG_SET_PROGRAM] = "UPDATE org_unit SET program_id = id WHERE id = ?",
    [ST_KF_INSERT] = "INSERT INTO key_function (program_id, bit, code, label) VALUES (?,?,?,?)",
    [ST_KF_MASK] = "SELECT bit, code FROM key_function WHERE program_id = ?",
    [ST_PERSON_INSERT] = "INSERT INTO person (program_id, given_name, family_name, sex, "
                         "birth_date, phone, address, language) VALUES (?,?,?,?,?,?,?,?)",
    [ST_PARTICIPANT_INSERT] =
        "INSERT INTO participant (person_id, program_id, program_ident, mrn, diagnosis_year, "
        "treatment, enrol_date, status, status_date, status_reason, consent, consent_date, "
        "home_unit_id, peer_leader_id, risk_tier, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_PARTICIPANT_GET] =
        "SELECT " SQ_PARTICIPANT_COLS SQ_PERSON_COLS
        " FROM participant p JOIN person pe ON pe.id = p.person_id WHERE p.id = ?",
    [ST_LEADER_INSERT] = "INSERT INTO peer_leader (person_id, program_id, home_unit_id, kind, "
                         "paid, languages, trained_on, training_hours, active, updated_at) "
                         "VALUES (?,?,?,?,?,?,?,?,?,?)",
    [ST_LEADER_GET] = "SELECT " SQ_LEADER_COLS SQ_PERSON_COLS
                      " FROM peer_leader l JOIN person pe ON pe.id = l.person_id WHERE l.id = ?",
    [ST_CONTACT_INSERT] =
        "INSERT INTO contact (program_id, participant_id, peer_leader_id, occurred_at, minutes, "
        "mode, key_functions, topics, proactive, note, follow_up_date, created_at, family_members) "
        "SELECT program_id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM participant WHERE id = ?",
    [ST_CONTACT_GET] =
        "SELECT " SQ_CONTACT_COLS " FROM contact c WHERE c.id = ? AND c.voided_at IS NULL",
    [ST_MEAS_INSERT] = "INSERT INTO measurement (participant_id, code, analyte, value, unit, "
                       "entered_value, entered_unit, effective_at, source, wave, recorded_by, "
                       "created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_MEAS_GET] =
        "SELECT " SQ_MEAS_COLS " FROM measurement m WHERE m.id = ? AND m.voided_at IS NULL",
    [ST_STAFF_INSERT] = "INSERT INTO staff_account (username, display_name, password_hash, role, "
                        "scope_unit_id, person_id, disabled, created_at, language) "
                        "VALUES (?,?,?,?,?,?,?,?,?)",
    [ST_STAFF_BY_USERNAME] = "SELECT " STAFF_COLS " FROM staff_account WHERE username = ?",
    [ST_COUNTS] = "SELECT (SELECT count(*) FROM org_unit WHERE kind = 'program'), "
                  "(SELECT count(*) FROM org_unit), (SELECT count(*) FROM participant), "
                  "(SELECT count(*) FROM peer_leader), "
                  "(SELECT count(*) FROM contact WHERE voided_at IS NULL), "
                  "(SELECT count(*) FROM measurement WHERE voided_at IS NULL), "
                  "(SELECT count(*) FROM staff_account)",
    [ST_WAVE_SUMMARY] = "SELECT count(*), avg(m.value), avg(CASE WHEN m.value >= ?5 THEN 1.0 ELSE "
                        "0.0 END) FROM measurement m "
                        "JOIN participant p ON p.id = m.participant_id "
                        "JOIN org_unit u ON u.id = p.home_unit_id "
                        "WHERE m.analyte = ?2 AND m.wave = ?3 AND p.program_id = ?1 "
                        "AND m.voided_at IS NULL "
                        "AND (?4 = 'none' OR u.arm = ?4)",
    [ST_ANCESTORS_INSERT] = "INSERT INTO org_unit_ancestor (unit_id, ancestor_id, depth) "
                            "SELECT ?1, ancestor_id, depth + 1 FROM org_unit_ancestor "
                            "WHERE unit_id = ?2 UNION ALL SELECT ?1, ?1, 0",
    [ST_PARTICIPANT_UPDATE] =
        "UPDATE participant SET program_ident = ?2, mrn = ?3, diagnosis_year = ?4, treatment = ?5, "
        "enrol_date = ?6, status = ?7, status_date = ?8, status_reason = ?9, consent = ?10, "
        "consent_date = ?11, home_unit_id = ?12, peer_leader_id = ?13, risk_tier = ?14, "
        "version = version + 1, updated_at = ?15 WHERE id = ?1 AND version = ?16",
    [ST_PERSON_UPDATE] = "UPDATE person SET given_name = ?2, family_name = ?3, sex = ?4, "
                         "birth_date = ?5, phone = ?6, address = ?7, language = ?8 "
                         "WHERE id = (SELECT person_id FROM participant WHERE id = ?1)",
    [ST_STAFF_GET] = "SELECT " STAFF_COLS " FROM staff_account WHERE id = ?",
    [ST_STAFF_UPDATE] = "UPDATE staff_account SET display_name = ?2, role = ?3, "
                        "scope_unit_id = ?4, disabled = ?5, language = ?7, version = version + 1 "
                        "WHERE id = ?1 AND version = ?6",
    [ST_STAFF_PASSWORD] = "UPDATE staff_account SET password_hash = ?2, version = version + 1 "
                          "WHERE id = ?1",
    [ST_LEADER_BY_PERSON] = "SELECT id FROM peer_leader WHERE person_id = ?",
    [ST_PARTICIPANT_VISIBLE] =
        "SELECT 1 FROM participant p WHERE p.id = ?1 AND (?2 = 0 OR p.home_unit_id IN "
        "(SELECT unit_id FROM org_unit_ancestor WHERE ancestor_id = ?2)) "
        "AND (?3 = 0 OR p.peer_leader_id = ?3)",
    [ST_UNIT_IN_SUBTREE] =
        "SELECT 1 FROM org_unit_ancestor WHERE ancestor_id = ?1 AND unit_id = ?2",
    [ST_UNIT_VISIBLE] = "SELECT 1 FROM org_unit_ancestor WHERE (ancestor_id = ?1 AND unit_id = ?2) "
                        "OR (ancestor_id = ?2 AND unit_id = ?1)",
    [ST_SESSION_INSERT] = "INSERT INTO session (token_hash, account_id, created_at, last_seen_at, "
                          "expires_at, client_addr) VALUES (?,?,?,?,?,?)",
    [ST_SESSION_GET] = "SELECT s.account_id, s.created_at, s.last_seen_at, s.expires_at, "
                       "a.id, a.username, a.display_name, a.role, a.scope_unit_id, a.person_id, "
                       "a.disabled, a.created_at, a.version, a.language "
                       "FROM session s JOIN staff_account a ON a.id = s.account_id "
                       "WHERE s.token_hash = ?",
    [ST_SESSION_DELETE] = "DELETE FROM session WHERE token_hash = ?",
    [ST_SESSION_DELETE_ACCOUNT] = "DELETE FROM session WHERE account_id = ?",
    [ST_SESSION_TOUCH] = "UPDATE session SET last_seen_at = ?2 WHERE token_hash = ?1 "
                         "AND last_seen_at < ?2",
    [ST_AUDIT_INSERT] = "INSERT INTO audit_event (at, account_id, action, entity, entity_id, "
                        "participant_id, client_addr, status) VALUES (?,?,?,?,?,?,?,?)",
    [ST_IDEM_GET] = "SELECT request_hash, status, body, location FROM idempotency "
                    "WHERE account_id = ? AND key = ? AND created_at >= ?",
    [ST_IDEM_PUT] = "INSERT INTO idempotency (account_id, key, request_hash, status, body, "
                    "location, created_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT (account_id, key) "
                    "DO UPDATE SET request_hash = excluded.request_hash, status = excluded.status, "
                    "body = excluded.body, location = excluded.location, "
                    "created_at = excluded.created_at",
    [ST_IDEM_EXPIRE] = "DELETE FROM idempotency WHERE account_id = ? AND created_at < ?",
    [ST_SECRET] = "SELECT value FROM setting WHERE key = 'install_secret'",
    [ST_PERSON_GET] = "SELECT " SQ_PERSON_COLS " FROM person pe WHERE pe.id = ?",
    [ST_ALERT_INSERT] = "INSERT INTO alert (participant_id, kind, severity, message, "
                        "source_entity, source_id, created_at) VALUES (?,?,?,?,?,?,?)",
    [ST_ALERT_GET] = "SELECT " SQ_ALERT_COLS " FROM alert al WHERE al.id = ?",
    [ST_ALERT_UPDATE] = "UPDATE alert SET status = ?2, acknowledged_by = ?3, "
                        "acknowledged_at = ?4, resolved_by = ?5, resolved_at = ?6, "
                        "resolution_note = ?7, linked_to_care = ?8, version = version + 1 "
                        "WHERE id = ?1 AND version = ?9",
    [ST_ALERT_RESOLVE_RAISED] =
        "UPDATE alert SET status = 'resolved', resolved_by = ?4, resolved_at = ?5, "
        "resolution_note = ?6, version = version + 1 WHERE participant_id = ?1 AND "
        "source_entity = ?2 AND source_id = ?3 AND status <> 'resolved' RETURNING id",
    [ST_QR_INSERT] = "INSERT INTO questionnaire_response (participant_id, instrument, language, "
                     "answers, score, scored, band, flags, subscales, completed_at, recorded_by, "
                     "created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_QR_GET] = "SELECT " QR_COLS " FROM questionnaire_response q WHERE q.id = ?",
};

/* ---- connections -------------------------------------------------------- */

typedef struct write_job {
    store_write_fn fn;
    void *ctx;
    pl_err *err;
    pl_status result;
    int done;
    int async; /* heap-allocated with its ctx; the writer frees it, nobody waits */
    int bare;  /* one statement, atomic by itself: runs without a savepoint of its own */
    pthread_cond_t *done_cv; /* the waiting caller's own condition: no thundering herd */
    store_done_fn done_fn;   /* async jobs with a completion: called after the commit */
    void *done_ctx;
    struct write_job *next;
} write_job;

struct store {
    char *path;
    int pg; /* a PostgreSQL database: no WAL, no checkpoints, no file */
    store_options opt;
    int schema_version;

    conn writer;
    pthread_t writer_thread;
    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* writer waits for jobs */
    write_job *head, *tail;
    int queued;        /* jobs in the queue */
    int queued_urgent; /* of which somebody waits for (store_write, or a completion) */
    int stopping;

    pthread_t checkpoint_thread;
    pthread_cond_t checkpoint_cv;
    int checkpoint_wanted;
    int wal_pages; /* frames in the WAL at the last commit */

    pthread_key_t reader_key;
    conn *readers; /* every reader connection, closed at store_close */
};

pl_status sq_error(db_conn *db, int rc, pl_err *err, const char *what)
{
    const char *msg = db_errmsg(db);
    switch (db_errkind(db, rc)) {
    case DB_E_UNIQUE:
        return pl_err_set(err, PL_CONFLICT, "%s: already exists (%s)", what, msg);
    case DB_E_FOREIGN:
        return pl_err_set(err, PL_INVALID, "%s: refers to a record that does not exist", what);
    case DB_E_CONSTRAINT:
        return pl_err_set(err, PL_INVALID, "%s: %s", what, msg);
    case DB_E_BUSY:
        return pl_err_set(err, PL_BUSY, "%s: the database is locked by another process", what);
    case DB_E_NOTADB:
        return pl_err_set(err, PL_SCHEMA, "%s: the file is not a database", what);
    case DB_E_NOMEM:
        return pl_err_set(err, PL_NOMEM, "%s: out of memory", what);
    default:
        return pl_err_set(err, PL_IO, "%s: %s", what, msg);
    }
}

static size_t slot_hash(const void *key, unsigned variant)
{
    uint64_t h = ((uint64_t)(uintptr_t)key ^ variant) * 0x9E3779B97F4A7C15u;
    return (size_t)(h >> 54); /* the top 10 bits: SQ_STMT_SLOTS is 1024 */
}

/* The slot of (key, variant): its statement, or the empty slot to fill; NULL when full. */
static sq_stmt_slot *slot_find(conn *c, const void *key, unsigned variant)
{
    size_t i = slot_hash(key, variant);
    for (int probes = 0; probes < SQ_STMT_SLOTS; probes++, i = (i + 1) % SQ_STMT_SLOTS) {
        sq_stmt_slot *sl = &c->slots[i];
        if (!sl->key || (sl->key == key && sl->variant == variant))
            return sl;
    }
    return NULL;
}

/* Prepares text as the statement of (key, variant) on c, or finds it prepared. */
static db_stmt *slot_stmt(conn *c, const void *key, unsigned variant, const char *text, pl_err *err)
{
    sq_stmt_slot *sl = slot_find(c, key, variant);
    if (sl && sl->key)
        return sl->st;
    /* a full table would make every probe long: keep a quarter free */
    if (!sl || c->used >= SQ_STMT_SLOTS * 3 / 4) {
        pl_err_set(err, PL_LIMIT, "too many distinct statements on one connection");
        return NULL;
    }
    int rc = db_prepare(c->db, text, &sl->st);
    if (rc != DB_OK) {
        sq_error(c->db, rc, err, "preparing a statement");
        sl->st = NULL;
        return NULL;
    }
    sl->key = key;
    sl->variant = variant;
    c->used++;
    return sl->st;
}

db_stmt *sq_stmt(conn *c, const char *sqltext, pl_err *err)
{
    return slot_stmt(c, sqltext, 0, sqltext, err);
}

static db_stmt *stmt(conn *c, enum stmt_id id, pl_err *err)
{
    return sq_stmt(c, sql[id], err);
}

pl_status sq_exec(conn *c, const char *sqltext, pl_err *err)
{
    db_stmt *st = sq_stmt(c, sqltext, err);
    if (!st)
        return err->status;
    int rc = db_step(st);
    db_reset(st);
    if (rc != DB_DONE)
        return sq_error(c->db, rc, err, sqltext);
    return PL_OK;
}

static pl_status exec_stmt(conn *c, enum stmt_id id, pl_err *err)
{
    /*
     * PostgreSQL: the writers of every server on the database take turns,
     * as SQLite's one writer does, so that a request's reads inside its
     * write (a version check, a follow-up task) see every earlier commit and
     * nobody else's until its own commits: one advisory lock per transaction.
     */
    if (id == ST_BEGIN && db_backend_of(c->db) == DB_PG) {
        int rc = db_exec(c->db, "BEGIN; SELECT pg_advisory_xact_lock(" SQ_WRITER_LOCK ")");
        return rc == DB_OK ? PL_OK : sq_error(c->db, rc, err, "BEGIN");
    }
    return sq_exec(c, sql[id], err);
}

static void conn_close(conn *c)
{
    for (int i = 0; i < SQ_STMT_SLOTS; i++)
        db_finalize(c->slots[i].st);
    memset(c->slots, 0, sizeof c->slots);
    c->used = 0;
    db_close(c->db);
    c->db = NULL;
}

static pl_status conn_open(store *s, conn *c, int flags, pl_err *err)
{
    memset(c, 0, sizeof *c);
    int rc = db_open(s->path, flags | SQLITE_OPEN_NOMUTEX, &c->db);
    if (rc != DB_OK && s->pg) {
        /* not s->path: a URL may hold a password */
        pl_status st = c->db
                           ? pl_err_set(err, PL_IO, "cannot connect to the PostgreSQL database: %s",
                                        db_errmsg(c->db))
                           : pl_err_set(err, PL_NOMEM, "out of memory");
        db_close(c->db);
        c->db = NULL;
        return st;
    }
    if (rc != DB_OK) {
        pl_status st = c->db ? sq_error(c->db, rc, err, s->path)
                             : pl_err_set(err, PL_NOMEM, "%s: out of memory", s->path);
        if (rc == SQLITE_CANTOPEN)
            st = pl_err_set(err, PL_IO, "%s: cannot open the database file", s->path);
        db_close(c->db);
        c->db = NULL;
        return st;
    }
    if (db_backend_of(c->db) == DB_SQLITE) {
        sqlite3_extended_result_codes(db_handle(c->db), 1);
        sqlite3_busy_timeout(db_handle(c->db), s->opt.busy_timeout_ms);
    }
    return PL_OK;
}

/* Runs a script of pragmas or DDL. */
static pl_status exec_script(conn *c, const char *script, pl_err *err, const char *what)
{
    int rc = db_exec(c->db, script);
    if (rc != DB_OK)
        return sq_error(c->db, rc, err, what);
    return PL_OK;
}

/*
 * The connections that write pages (the writer, the checkpointer) grow the
 * file in chunks: readers map the file, and each growth past the mapping
 * makes every reader unmap and map again (a TLB shootdown on every core).
 */
#define FILE_CHUNK_BYTES (8 * 1024 * 1024)

static void conn_grow_in_chunks(conn *c)
{
    int chunk = FILE_CHUNK_BYTES;
    sqlite3_file_control(db_handle(c->db), "main", SQLITE_FCNTL_CHUNK_SIZE, &chunk);
}

static pl_status conn_configure(store *s, conn *c, int reader, pl_err *err)
{
    if (s->pg) {
        /* synchronous_commit=off is NORMAL's bargain: a crash may lose the last commits */
        char settings[256];
        snprintf(settings, sizeof settings,
                 "SET client_min_messages = warning; SET synchronous_commit = %s;%s",
                 s->opt.synchronous_normal ? "off" : "on",
                 reader ? " SET default_transaction_read_only = on;" : "");
        return exec_script(c, settings, err, "configuring the connection");
    }
    char pragmas[256];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA foreign_keys=ON; PRAGMA synchronous=%s; PRAGMA wal_autocheckpoint=0; "
             "PRAGMA journal_size_limit=67108864;%s",
             s->opt.synchronous_normal ? "NORMAL" : "FULL",
             /* readers map the file: pages are read without a copy through read(2); the
                writer keeps more pages (a bulk import's batch touches megabytes of index) */
             reader ? " PRAGMA query_only=1; PRAGMA mmap_size=268435456;"
                    : " PRAGMA cache_size=-16384;");
    return exec_script(c, pragmas, err, s->path);
}

/* The calling thread's reader connection, opened on first use. */
conn *sq_reader(store *s, pl_err *err)
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

/* Closes the calling thread's reader connection, if it has one (a worker thread about to end). */
void sq_reader_release(store *s)
{
    conn *c = pthread_getspecific(s->reader_key);
    if (!c)
        return;
    pthread_setspecific(s->reader_key, NULL);
    pthread_mutex_lock(&s->mu);
    for (conn **p = &s->readers; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    pthread_mutex_unlock(&s->mu);
    conn_close(c);
    free(c);
}

/* ---- opening and migrations --------------------------------------------- */

/*
 * Reads what the file holds without writing to it: whether it is a
 * database, whether it is peerlink's, and its schema version (0 when
 * empty).
 */
static pl_status probe_schema(store *s, conn *c, int *version, pl_err *err)
{
    db_stmt *st = NULL;
    int rc =
        db_prepare(c->db, "SELECT count(*), sum(name = 'schema_version') FROM sqlite_master", &st);
    if (rc == DB_OK)
        rc = db_step(st);
    if (rc != DB_ROW) {
        pl_status r = (rc & 0xff) == SQLITE_NOTADB
                          ? pl_err_set(err, PL_SCHEMA, "%s is not a SQLite database", s->path)
                          : sq_error(c->db, rc, err, s->path);
        db_finalize(st);
        return r;
    }
    int objects = db_column_int(st, 0);
    int has_version = db_column_int(st, 1);
    db_finalize(st);
    if (objects == 0) {
        *version = 0;
        return PL_OK;
    }
    if (!has_version)
        return pl_err_set(err, PL_SCHEMA, "%s is a SQLite database but not a peerlink database",
                          s->path);
    rc = db_prepare(c->db, "SELECT coalesce(max(version), 0) FROM schema_version", &st);
    if (rc == DB_OK)
        rc = db_step(st);
    if (rc != DB_ROW) {
        pl_status r = sq_error(c->db, rc, err, s->path);
        db_finalize(st);
        return r;
    }
    *version = db_column_int(st, 0);
    db_finalize(st);
    if (*version > store_sqlite_migration_count)
        return pl_err_set(err, PL_SCHEMA,
                          "%s has schema version %d, newer than this peerlink's %d: upgrade "
                          "peerlink to open it",
                          s->path, *version, store_sqlite_migration_count);
    return PL_OK;
}

/* Reads one integer from a query on c (PostgreSQL probes). */
static pl_status query_int(conn *c, const char *sqltext, int *out, pl_err *err, const char *what)
{
    db_stmt *st = NULL;
    int rc = db_prepare(c->db, sqltext, &st);
    if (rc == DB_OK)
        rc = db_step(st);
    if (rc != DB_ROW) {
        pl_status r = sq_error(c->db, rc, err, what);
        db_finalize(st);
        return r;
    }
    *out = db_column_int(st, 0);
    db_finalize(st);
    return PL_OK;
}

/*
 * The schema version of a PostgreSQL database (0 when it has no tables in
 * its current schema); refused when it has tables but is not peerlink's.
 */
static pl_status probe_schema_pg(store *s, conn *c, int *version, pl_err *err)
{
    int tables = 0, has_version = 0;
    pl_status st =
        query_int(c, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()", &tables,
                  err, "reading the database's tables");
    if (st == PL_OK)
        st = query_int(c,
                       "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND "
                       "tablename = 'schema_version'",
                       &has_version, err, "reading the database's tables");
    if (st != PL_OK)
        return st;
    *version = 0;
    if (tables == 0)
        return PL_OK;
    if (!has_version)
        return pl_err_set(err, PL_SCHEMA,
                          "the PostgreSQL database has tables but is not a peerlink database");
    st = query_int(c, "SELECT coalesce(max(version), 0) FROM schema_version", version, err,
                   "reading the schema version");
    if (st != PL_OK)
        return st;
    if (*version > store_pg_migration_count)
        return pl_err_set(err, PL_SCHEMA,
                          "the database has schema version %d, newer than this peerlink's %d: "
                          "upgrade peerlink to open it",
                          *version, store_pg_migration_count);
    return PL_OK;
}

static pl_status migrate(store *s, conn *c, int from, pl_err *err)
{
    const char *const *migrations = s->pg ? store_pg_migrations : store_sqlite_migrations;
    int count = s->pg ? store_pg_migration_count : store_sqlite_migration_count;
    pl_status st = exec_script(c, s->pg ? "BEGIN" : "BEGIN IMMEDIATE", err, "migrating");
    if (st != PL_OK)
        return st;
    if (s->pg) {
        /* servers starting together: one migrates, the others wait here and then skip */
        st = exec_script(c, "SELECT pg_advisory_xact_lock(7275331)", err, "migrating");
        if (st == PL_OK)
            st = probe_schema_pg(s, c, &from, err);
        if (st != PL_OK)
            goto fail;
    }
    for (int v = from + 1; v <= count; v++) {
        char what[64];
        snprintf(what, sizeof what, "migration %d", v);
        st = exec_script(c, migrations[v - 1], err, what);
        if (st != PL_OK)
            goto fail;
        db_stmt *ins = NULL;
        int rc = db_prepare(c->db, "INSERT INTO schema_version (version, applied_at) VALUES (?,?)",
                            &ins);
        if (rc == DB_OK) {
            db_bind_int(ins, 1, v);
            db_bind_int64(ins, 2, (db_int64)time(NULL));
            rc = db_step(ins);
        }
        db_finalize(ins);
        if (rc != DB_DONE) {
            st = sq_error(c->db, rc, err, what);
            goto fail;
        }
    }
    return exec_script(c, "COMMIT", err, "migrating");
fail:
    db_exec(c->db, "ROLLBACK");
    return st;
}

static void *writer_main(void *arg);
static void *checkpoint_main(void *arg);
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages);

static void store_free(store *s, int key_made)
{
    if (s->writer.db)
        conn_close(&s->writer);
    if (key_made)
        pthread_key_delete(s->reader_key);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->work_cv);
    pthread_cond_destroy(&s->checkpoint_cv);
    free(s->path);
    free(s);
}

/*
 * Opens a PostgreSQL database: the writer's connection migrates it (an
 * empty database only with opt->create, as a SQLite file is only created
 * then) and then serves the writer thread; readers connect on first use.
 */
static pl_status open_pg(const char *location, const store_options *opt, store **out, pl_err *err)
{
    store *s = calloc(1, sizeof *s);
    if (!s)
        return pl_err_set(err, PL_NOMEM, "out of memory");
    s->pg = 1;
    s->path = strdup(location);
    if (opt)
        s->opt = *opt;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->work_cv, NULL);
    pthread_cond_init(&s->checkpoint_cv, NULL);
    int key_made = 0;
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
    st = conn_open(s, &s->writer, 0, err);
    if (st == PL_OK)
        st = conn_configure(s, &s->writer, 0, err);
    if (st == PL_OK)
        st = probe_schema_pg(s, &s->writer, &s->schema_version, err);
    if (st != PL_OK)
        goto fail;
    if (s->schema_version == 0 && !s->opt.create) {
        st = pl_err_set(err, PL_NOTFOUND,
                        "the PostgreSQL database holds no peerlink data: create it with "
                        "'peerlink init --db URL'");
        goto fail;
    }
    if (s->schema_version < store_pg_migration_count) {
        st = migrate(s, &s->writer, s->schema_version, err);
        if (st != PL_OK)
            goto fail;
        s->schema_version = store_pg_migration_count;
    }
    if (pthread_create(&s->writer_thread, NULL, writer_main, s) != 0) {
        st = pl_err_set(err, PL_IO, "cannot start the writer thread");
        goto fail;
    }
    *out = s;
    return PL_OK;
fail:
    store_free(s, key_made);
    return st;
}

pl_status store_open(const char *location, const store_options *opt, store **out, pl_err *err)
{
    *out = NULL;
    if (db_is_pg_url(location))
        return open_pg(location, opt, out, err);
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
    db_stmt *jm = NULL;
    int rc = db_prepare(s->writer.db, "PRAGMA journal_mode=WAL", &jm);
    if (rc == DB_OK)
        rc = db_step(jm);
    int wal = rc == DB_ROW && strcmp((const char *)db_column_text(jm, 0), "wal") == 0;
    db_finalize(jm);
    if (!wal) {
        st = rc == DB_ROW ? pl_err_set(err, PL_IO, "%s: cannot switch to WAL mode", s->path)
                          : sq_error(s->writer.db, rc, err, s->path);
        goto fail;
    }
    st = conn_configure(s, &s->writer, 0, err);
    if (st != PL_OK)
        goto fail;
    conn_grow_in_chunks(&s->writer);
    if (s->schema_version < store_sqlite_migration_count) {
        st = migrate(s, &s->writer, s->schema_version, err);
        if (st != PL_OK)
            goto fail;
        s->schema_version = store_sqlite_migration_count;
    }
    sqlite3_wal_hook(db_handle(s->writer.db), wal_hook, s);
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
    if (!s->pg)
        pthread_join(s->checkpoint_thread, NULL);
    for (conn *c = s->readers, *next; c; c = next) {
        next = c->next;
        conn_close(c);
        free(c);
    }
    if (!s->pg) {
        /* refresh the planner's statistics where they drifted, so list plans stay on indexes */
        db_exec(s->writer.db, "PRAGMA optimize");
        sqlite3_wal_checkpoint_v2(db_handle(s->writer.db), NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
                                  NULL);
    }
    store_free(s, 1);
}

const char *store_backend_name(const store *s)
{
    return s->pg ? "postgresql" : "sqlite";
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
        s->wal_pages = pages;
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
    if (ok)
        conn_grow_in_chunks(&c);
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->checkpoint_wanted && !s->stopping)
            pthread_cond_wait(&s->checkpoint_cv, &s->mu);
        if (s->stopping)
            break;
        s->checkpoint_wanted = 0;
        pthread_mutex_unlock(&s->mu);
        if (ok)
            sqlite3_wal_checkpoint_v2(db_handle(c.db), NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
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
    if (j->bare && !s->pg) { /* on PostgreSQL a failed statement spoils the transaction */
        j->result = j->fn(&tx, j->ctx, j->err);
        if (j->result == PL_OK || !db_autocommit(s->writer.db))
            return 1;
        return 0;
    }
    if (exec_stmt(&s->writer, ST_SAVEPOINT, j->err) != PL_OK) {
        j->result = j->err->status;
        return !db_autocommit(s->writer.db);
    }
    j->result = j->fn(&tx, j->ctx, j->err);
    if (db_autocommit(s->writer.db)) {
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
        if (!s->queued_urgent && !s->stopping) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += LINGER_MS * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            while (!s->queued_urgent && !s->stopping && s->queued < WRITE_BATCH_MAX &&
                   pthread_cond_timedwait(&s->work_cv, &s->mu, &until) == 0)
                ;
        }
        write_job *batch = s->head, *last = batch;
        int n = 1;
        for (; last->next && n < WRITE_BATCH_MAX; n++)
            last = last->next;
        s->head = last->next;
        if (!s->head)
            s->tail = NULL;
        last->next = NULL;
        s->queued -= n;
        for (write_job *j = batch; j; j = j->next)
            if (!j->async || j->done_fn)
                s->queued_urgent--;
        pthread_mutex_unlock(&s->mu);

        run_batch(s, batch);
        if (!s->pg && s->wal_pages >= CHECKPOINT_RESTART_PAGES) {
            /* no transaction is open between batches: start the WAL over */
            sqlite3_wal_checkpoint_v2(db_handle(s->writer.db), NULL, SQLITE_CHECKPOINT_RESTART,
                                      NULL, NULL);
            s->wal_pages = 0;
        }

        /* completions and frees need no lock; waking a waiter does */
        write_job *waiting = NULL;
        for (write_job *j = batch, *next; j; j = next) {
            next = j->next;
            if (!j->async) {
                j->next = waiting;
                waiting = j;
                continue;
            }
            if (j->done_fn)
                j->done_fn(j->done_ctx, j->result);
            else if (j->result != PL_OK)
                fprintf(stderr, "peerlink: background write failed: %s\n", j->err->message);
            free(j);
        }
        pthread_mutex_lock(&s->mu);
        for (write_job *j = waiting, *next; j; j = next) {
            next = j->next; /* read before the waiter may return and free its job */
            j->done = 1;
            pthread_cond_signal(j->done_cv);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Queues a heap job whose memory holds its ctx and err; the writer frees it. */
static pl_status enqueue_async(store *s, write_job *j, pl_err *err)
{
    pthread_mutex_lock(&s->mu);
    if (s->stopping) {
        pthread_mutex_unlock(&s->mu);
        free(j);
        return pl_err_set(err, PL_IO, "the store is closing");
    }
    if (s->tail)
        s->tail->next = j;
    else
        s->head = j;
    s->tail = j;
    s->queued++;
    if (j->done_fn)
        s->queued_urgent++;
    /* a background job behind another is picked up when the writer's lingering ends */
    if (j->done_fn || s->queued == 1 || s->queued >= WRITE_BATCH_MAX)
        pthread_cond_signal(&s->work_cv);
    pthread_mutex_unlock(&s->mu);
    return PL_OK;
}

/* One allocation: the job, its error record, then `extra` bytes for its ctx. */
static write_job *async_job_new(store_write_fn fn, size_t extra)
{
    size_t head = (sizeof(write_job) + sizeof(pl_err) + 15u) & ~(size_t)15u;
    write_job *j = calloc(1, head + extra);
    if (!j)
        return NULL;
    j->fn = fn;
    j->async = 1;
    j->err = (pl_err *)(j + 1);
    j->ctx = (char *)j + head;
    return j;
}

pl_status store_write_async(store *s, store_write_fn fn, const void *ctx, size_t ctx_size,
                            pl_err *err)
{
    write_job *j = async_job_new(fn, ctx_size);
    if (!j)
        return pl_err_set(err, PL_NOMEM, "out of memory queueing a write");
    memcpy(j->ctx, ctx, ctx_size);
    return enqueue_async(s, j, err);
}

pl_status store_write_submit(store *s, store_write_fn fn, void *ctx, pl_err *err,
                             store_done_fn done, void *done_ctx)
{
    write_job *j = async_job_new(fn, 0);
    if (!j)
        return pl_err_set(err, PL_NOMEM, "out of memory queueing a write");
    j->ctx = ctx;
    j->err = err;
    j->done_fn = done;
    j->done_ctx = done_ctx;
    return enqueue_async(s, j, err);
}

pl_status store_write(store *s, store_write_fn fn, void *ctx, pl_err *err)
{
    /* j lives on this stack until the writer marks it done: we wait for that below */
    pthread_cond_t done_cv;
    pthread_cond_init(&done_cv, NULL);
    write_job j = {.fn = fn, .ctx = ctx, .err = err, .done_cv = &done_cv};
    pthread_mutex_lock(&s->mu);
    if (s->stopping) {
        pthread_mutex_unlock(&s->mu);
        pthread_cond_destroy(&done_cv);
        return pl_err_set(err, PL_IO, "the store is closing");
    }
    if (s->tail)
        s->tail->next = &j;
    else
        s->head = &j; // cppcheck-suppress autoVariables
    s->tail = &j;     // cppcheck-suppress autoVariables
    s->queued++;
    s->queued_urgent++;
    pthread_cond_signal(&s->work_cv);
    while (!j.done)
        pthread_cond_wait(&done_cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    pthread_cond_destroy(&done_cv);
    return j.result;
}

/* ---- binding and reading helpers ---------------------------------------- */

void sq_bind_text(db_stmt *st, int i, const char *v)
{
    if (v && *v)
        db_bind_text(st, i, v, -1, DB_STATIC);
    else
        db_bind_null(st, i);
}

void sq_bind_id(db_stmt *st, int i, pl_id v)
{
    if (v > 0)
        db_bind_int64(st, i, v);
    else
        db_bind_null(st, i);
}

void sq_bind_date(db_stmt *st, int i, pl_date v)
{
    if (v != PL_DATE_NONE)
        db_bind_int(st, i, v);
    else
        db_bind_null(st, i);
}

const char *sq_col_text(db_stmt *st, int i, pl_arena *a)
{
    const unsigned char *t = db_column_text(st, i);
    if (!t)
        return NULL;
    return pl_arena_strndup(a, (const char *)t, (size_t)db_column_bytes(st, i));
}

pl_date sq_col_date(db_stmt *st, int i)
{
    return db_column_type(st, i) == DB_NULL ? PL_DATE_NONE : db_column_int(st, i);
}

/* Steps an insert; on success stores the new row id in *id. */
pl_status sq_step_insert(conn *c, db_stmt *st, pl_id *id, pl_err *err, const char *what)
{
    int rc = db_step(st);
    db_reset(st);
    db_clear_bindings(st);
    if (rc != DB_DONE)
        return sq_error(c->db, rc, err, what);
    if (db_changes(c->db) == 0)
        return pl_err_set(err, PL_INVALID, "%s: refers to a record that does not exist", what);
    *id = db_last_insert_id(c->db);
    return PL_OK;
}

pl_id sq_col_id(db_stmt *st, int i)
{
    return db_column_type(st, i) == DB_NULL ? 0 : db_column_int64(st, i);
}

pl_status sq_step_done(conn *c, db_stmt *st, int *changes, pl_err *err, const char *what)
{
    int rc = db_step(st);
    db_reset(st);
    db_clear_bindings(st);
    if (rc != DB_DONE)
        return sq_error(c->db, rc, err, what);
    if (changes)
        *changes = db_changes(c->db);
    return PL_OK;
}

/* Steps a single-row read; PL_NOTFOUND when there is no row. The caller resets. */
pl_status sq_step_row(conn *c, db_stmt *st, pl_err *err, const char *what)
{
    int rc = db_step(st);
    if (rc == DB_ROW)
        return PL_OK;
    if (rc == DB_DONE)
        return pl_err_set(err, PL_NOTFOUND, "%s not found", what);
    return sq_error(c->db, rc, err, what);
}

/* Checks that every string read made it into the arena. */
pl_status sq_arena_check(pl_arena *a, pl_err *err)
{
    if (a->used >= a->max_bytes)
        return pl_err_set(err, PL_LIMIT, "the record is larger than the request memory limit");
    return PL_OK;
}

/* ---- row readers: one per record, shared by gets and lists --------------- */

void sq_person_read(db_stmt *st, int i, pl_arena *a, pl_person *p)
{
    p->id = db_column_int64(st, i);
    p->program_id = db_column_int64(st, i + 1);
    p->given_name = sq_col_text(st, i + 2, a);
    p->family_name = sq_col_text(st, i + 3, a);
    pl_sex_parse((const char *)db_column_text(st, i + 4), &p->sex);
    p->birth_date = sq_col_date(st, i + 5);
    p->phone = sq_col_text(st, i + 6, a);
    p->address = sq_col_text(st, i + 7, a);
    p->language = sq_col_text(st, i + 8, a);
}

void sq_org_unit_read(db_stmt *st, pl_arena *a, pl_org_unit *u)
{
    memset(u, 0, sizeof *u);
    u->id = db_column_int64(st, 0);
    u->parent_id = db_column_int64(st, 1);
    u->program_id = db_column_int64(st, 2);
    pl_org_kind_parse((const char *)db_column_text(st, 3), &u->kind);
    u->name = sq_col_text(st, 4, a);
    u->code = sq_col_text(st, 5, a);
    pl_arm_parse((const char *)db_column_text(st, 6), &u->arm);
    u->language = sq_col_text(st, 7, a);
    u->version = db_column_int(st, 8);
}

void sq_participant_read(db_stmt *st, pl_arena *a, pl_participant *p)
{
    memset(p, 0, sizeof *p);
    p->id = db_column_int64(st, 0);
    p->program_id = db_column_int64(st, 1);
    p->program_ident = sq_col_text(st, 2, a);
    p->mrn = sq_col_text(st, 3, a);
    p->diagnosis_year = db_column_int(st, 4);
    pl_treatment_parse((const char *)db_column_text(st, 5), &p->treatment);
    p->enrol_date = sq_col_date(st, 6);
    pl_enrol_status_parse((const char *)db_column_text(st, 7), &p->status);
    p->status_date = sq_col_date(st, 8);
    p->status_reason = sq_col_text(st, 9, a);
    p->consent = db_column_int(st, 10) != 0;
    p->consent_date = sq_col_date(st, 11);
    p->home_unit_id = db_column_int64(st, 12);
    p->peer_leader_id = db_column_int64(st, 13);
    pl_risk_tier_parse((const char *)db_column_text(st, 14), &p->risk_tier);
    p->version = db_column_int(st, 15);
    sq_person_read(st, 16, a, &p->person);
}

void sq_leader_read(db_stmt *st, pl_arena *a, pl_peer_leader *l)
{
    memset(l, 0, sizeof *l);
    l->id = db_column_int64(st, 0);
    l->program_id = db_column_int64(st, 1);
    l->home_unit_id = db_column_int64(st, 2);
    pl_leader_kind_parse((const char *)db_column_text(st, 3), &l->kind);
    l->paid = db_column_int(st, 4) != 0;
    l->languages = sq_col_text(st, 5, a);
    l->trained_on = sq_col_date(st, 6);
    l->training_hours = db_column_int(st, 7);
    l->active = db_column_int(st, 8) != 0;
    l->version = db_column_int(st, 9);
    sq_person_read(st, 10, a, &l->person);
}

void sq_contact_read(db_stmt *st, pl_arena *a, pl_contact *c)
{
    memset(c, 0, sizeof *c);
    c->id = db_column_int64(st, 0);
    c->program_id = db_column_int64(st, 1);
    c->participant_id = db_column_int64(st, 2);
    c->peer_leader_id = db_column_int64(st, 3);
    c->occurred_at = db_column_int64(st, 4);
    c->minutes = db_column_int(st, 5);
    pl_contact_mode_parse((const char *)db_column_text(st, 6), &c->mode);
    c->key_functions = (uint32_t)db_column_int64(st, 7);
    c->topics = (uint32_t)db_column_int64(st, 8);
    c->proactive = db_column_int(st, 9) != 0;
    c->note = sq_col_text(st, 10, a);
    c->follow_up_date = sq_col_date(st, 11);
    c->family_members = db_column_int(st, 12);
    c->group_session_id = sq_col_id(st, 13);
}

void sq_measurement_read(db_stmt *st, pl_arena *a, pl_measurement *m)
{
    memset(m, 0, sizeof *m);
    m->id = db_column_int64(st, 0);
    m->participant_id = db_column_int64(st, 1);
    m->code = sq_col_text(st, 2, a);
    m->analyte = sq_col_text(st, 3, a);
    m->value = db_column_double(st, 4);
    m->unit = sq_col_text(st, 5, a);
    m->entered_value = sq_col_text(st, 6, a);
    m->entered_unit = sq_col_text(st, 7, a);
    m->effective_at = db_column_int64(st, 8);
    pl_source_parse((const char *)db_column_text(st, 9), &m->source);
    m->wave = db_column_type(st, 10) == DB_NULL ? -1 : db_column_int(st, 10);
    m->recorded_by = db_column_int64(st, 11);
}

/* STAFF_COLS from column i on (the session read has its own first); the hash only when asked. */
static void staff_read_at(db_stmt *st, int i, pl_arena *a, pl_staff_account *out, char **hash)
{
    memset(out, 0, sizeof *out);
    out->id = db_column_int64(st, i);
    out->username = sq_col_text(st, i + 1, a);
    out->display_name = sq_col_text(st, i + 2, a);
    pl_role_parse((const char *)db_column_text(st, i + 3), &out->role);
    out->scope_unit_id = db_column_int64(st, i + 4);
    out->person_id = db_column_int64(st, i + 5);
    out->disabled = db_column_int(st, i + 6) != 0;
    out->created_at = db_column_int64(st, i + 7);
    out->version = db_column_int(st, i + 8);
    out->language = sq_col_text(st, i + 9, a);
    if (hash)
        *hash = (char *)sq_col_text(st, i + 10, a);
}

static void staff_read(db_stmt *st, pl_arena *a, pl_staff_account *out, char **hash)
{
    staff_read_at(st, 0, a, out, hash);
}

static void audit_read(db_stmt *st, pl_arena *a, store_audit_event *e)
{
    memset(e, 0, sizeof *e);
    e->id = db_column_int64(st, 0);
    e->at = db_column_int64(st, 1);
    e->account_id = db_column_int64(st, 2);
    e->action = sq_col_text(st, 3, a);
    e->entity = sq_col_text(st, 4, a);
    e->entity_id = db_column_int64(st, 5);
    e->participant_id = db_column_int64(st, 6);
    e->client_addr = sq_col_text(st, 7, a);
    e->status = db_column_int(st, 8);
}

pl_time sq_col_time(db_stmt *st, int i)
{
    return db_column_type(st, i) == DB_NULL ? PL_TIME_NONE : db_column_int64(st, i);
}

void sq_alert_read(db_stmt *st, pl_arena *a, store_alert *al)
{
    memset(al, 0, sizeof *al);
    al->id = db_column_int64(st, 0);
    al->participant_id = db_column_int64(st, 1);
    al->kind = sq_col_text(st, 2, a);
    al->severity = sq_col_text(st, 3, a);
    al->message = sq_col_text(st, 4, a);
    al->source_entity = sq_col_text(st, 5, a);
    al->source_id = db_column_int64(st, 6);
    al->status = sq_col_text(st, 7, a);
    al->created_at = db_column_int64(st, 8);
    al->acknowledged_by = db_column_int64(st, 9);
    al->acknowledged_at = sq_col_time(st, 10);
    al->resolved_by = db_column_int64(st, 11);
    al->resolved_at = sq_col_time(st, 12);
    al->resolution_note = sq_col_text(st, 13, a);
    al->linked_to_care = db_column_int(st, 14) != 0;
    al->version = db_column_int(st, 15);
}

static void qr_read(db_stmt *st, pl_arena *a, store_questionnaire *q)
{
    memset(q, 0, sizeof *q);
    q->id = db_column_int64(st, 0);
    q->participant_id = db_column_int64(st, 1);
    q->instrument = sq_col_text(st, 2, a);
    q->language = sq_col_text(st, 3, a);
    q->answers = sq_col_text(st, 4, a);
    q->score = db_column_double(st, 5);
    q->scored = db_column_int(st, 6) != 0;
    q->band = sq_col_text(st, 7, a);
    q->flags = db_column_int(st, 8);
    q->subscales = sq_col_text(st, 9, a);
    q->completed_at = db_column_int64(st, 10);
    q->recorded_by = db_column_int64(st, 11);
    q->created_at = db_column_int64(st, 12);
}

/* ---- org units ---------------------------------------------------------- */

pl_status store_org_unit_insert(store_tx *tx, pl_org_unit *u, pl_err *err)
{
    db_stmt *st = stmt(tx->c, ST_ORG_INSERT, err);
    if (!st)
        return err->status;
    sq_bind_id(st, 1, u->parent_id);
    sq_bind_id(st, 2, u->kind == PL_ORG_PROGRAM ? 0 : u->program_id);
    db_bind_text(st, 3, pl_org_kind_name(u->kind), -1, DB_STATIC);
    sq_bind_text(st, 4, u->name);
    sq_bind_text(st, 5, u->code);
    db_bind_text(st, 6, pl_arm_name(u->arm), -1, DB_STATIC);
    sq_bind_text(st, 7, u->language);
    db_bind_int64(st, 8, (db_int64)time(NULL));
    pl_status r = sq_step_insert(tx->c, st, &u->id, err, "org unit");
    if (r != PL_OK)
        return r;
    u->version = 1;
    /* the unit's ancestors are its parent's plus itself */
    db_stmt *anc = stmt(tx->c, ST_ANCESTORS_INSERT, err);
    if (!anc)
        return err->status;
    db_bind_int64(anc, 1, u->id);
    db_bind_int64(anc, 2, u->parent_id);
    int rc = db_step(anc);
    db_reset(anc);
    if (rc != DB_DONE)
        return sq_error(tx->c->db, rc, err, "org unit");
    if (u->kind != PL_ORG_PROGRAM)
        return PL_OK;
    /* a program is its own program */
    u->program_id = u->id;
    db_stmt *up = stmt(tx->c, ST_ORG_SET_PROGRAM, err);
    if (!up)
        return err->status;
    db_bind_int64(up, 1, u->id);
    rc = db_step(up);
    db_reset(up);
    return rc == DB_DONE ? PL_OK : sq_error(tx->c->db, rc, err, "org unit");
}

/* Runs a single-row statement bound with (id) and reads it with fn. */
static pl_status org_unit_get(conn *c, pl_id id, pl_arena *a, pl_org_unit *u, pl_err *err)
{
    SQ_GET_ONE(c, sql[ST_ORG_GET], id, "org unit", sq_org_unit_read(st, a, u));
}

pl_status store_org_unit_get(store *s, pl_id id, pl_arena *a, pl_org_unit *out, pl_err *err)
{
    conn *c = sq_reader(s, err);
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
    db_stmt *st = stmt(tx->c, ST_KF_INSERT, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, program_id);
    db_bind_int(st, 2, bit);
    sq_bind_text(st, 3, code);
    sq_bind_text(st, 4, label);
    pl_id ignored;
    return sq_step_insert(tx->c, st, &ignored, err, "key function");
}

pl_status store_key_function_codes(store *s, pl_id program_id, pl_arena *a,
                                   const char *codes[PL_KF_MAX_BITS], pl_err *err)
{
    for (int i = 0; i < PL_KF_MAX_BITS; i++)
        codes[i] = NULL;
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = stmt(c, ST_KF_MASK, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, program_id);
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        int bit = db_column_int(st, 0);
        if (bit >= PL_KF_PROGRAM_FIRST_BIT && bit < PL_KF_MAX_BITS)
            codes[bit] = sq_col_text(st, 1, a);
    }
    db_reset(st);
    if (rc != DB_DONE)
        return sq_error(c->db, rc, err, "key functions");
    return sq_arena_check(a, err);
}

pl_status store_program_kf_mask(store *s, pl_id program_id, uint32_t *mask, pl_err *err)
{
    pl_arena a;
    pl_arena_init(&a, 0);
    const char *codes[PL_KF_MAX_BITS];
    pl_status r = store_key_function_codes(s, program_id, &a, codes, err);
    uint32_t m = 0;
    for (int i = 0; i < PL_KF_MAX_BITS; i++)
        if (codes[i])
            m |= 1u << i;
    pl_arena_free(&a);
    if (r == PL_OK)
        *mask = m;
    return r;
}

/* ---- scope -------------------------------------------------------------- */

/* Runs a statement bound with two ids that answers a row or not. */
static pl_status exists2(conn *c, enum stmt_id id, pl_id x, pl_id y, pl_id z, pl_err *err,
                         const char *what)
{
    db_stmt *st = stmt(c, id, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, x);
    db_bind_int64(st, 2, y);
    if (db_bind_parameter_count(st) >= 3)
        db_bind_int64(st, 3, z);
    pl_status r = sq_step_row(c, st, err, what);
    db_reset(st);
    return r;
}

pl_status store_participant_visible(store *s, const store_scope *sc, pl_id participant_id,
                                    pl_err *err)
{
    if (sc->peer_leader_id < 0)
        return pl_err_set(err, PL_NOTFOUND, "participant not found");
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    /* an unrestricted scope still answers 404 for an id that does not exist */
    return exists2(c, ST_PARTICIPANT_VISIBLE, participant_id, sc->unit_id, sc->peer_leader_id, err,
                   "participant");
}

pl_status store_tx_participant_visible(store_tx *tx, const store_scope *sc, pl_id participant_id,
                                       pl_err *err)
{
    if (sc->peer_leader_id < 0)
        return pl_err_set(err, PL_NOTFOUND, "participant not found");
    return exists2(tx->c, ST_PARTICIPANT_VISIBLE, participant_id, sc->unit_id, sc->peer_leader_id,
                   err, "participant");
}

static pl_status unit_in_subtree(conn *c, pl_id scope_unit, pl_id unit, pl_err *err)
{
    if (scope_unit == 0)
        return PL_OK;
    return exists2(c, ST_UNIT_IN_SUBTREE, scope_unit, unit, 0, err, "org unit");
}

pl_status store_unit_in_subtree(store *s, pl_id scope_unit, pl_id unit, pl_err *err)
{
    conn *c = sq_reader(s, err);
    return c ? unit_in_subtree(c, scope_unit, unit, err) : err->status;
}

pl_status store_tx_unit_in_subtree(store_tx *tx, pl_id scope_unit, pl_id unit, pl_err *err)
{
    return unit_in_subtree(tx->c, scope_unit, unit, err);
}

pl_status store_unit_visible(store *s, pl_id scope_unit, pl_id unit, pl_err *err)
{
    if (scope_unit == 0)
        return PL_OK;
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    return exists2(c, ST_UNIT_VISIBLE, scope_unit, unit, 0, err, "org unit");
}

/* ---- lists -------------------------------------------------------------- */

enum list_id {
    LIST_PARTICIPANT,
    LIST_CONTACT,
    LIST_MEASUREMENT,
    LIST_ORG,
    LIST_LEADER,
    LIST_STAFF,
    LIST_AUDIT,
    LIST_ALERT,
    LIST_QR,
    LIST__COUNT
};

static const sq_list_def lists[LIST__COUNT] = {
    [LIST_PARTICIPANT] =
        {"SELECT " SQ_PARTICIPANT_COLS SQ_PERSON_COLS
         " FROM participant p JOIN person pe ON pe.id = p.person_id WHERE p.id > ?1",
         {SQ_IN_SUBTREE("p.home_unit_id", 2), " AND p.peer_leader_id = ?3", " AND p.status = ?4",
          " AND p.risk_tier = ?5", SQ_IN_SUBTREE("p.home_unit_id", 6),
          " AND p.peer_leader_id = ?7"},
         " ORDER BY p.id LIMIT ?8"},
    [LIST_CONTACT] = {"SELECT " SQ_CONTACT_COLS " FROM contact c JOIN participant p ON p.id = "
                      "c.participant_id WHERE c.id > ?1 AND c.voided_at IS NULL",
                      {SQ_IN_SUBTREE("p.home_unit_id", 2), " AND p.peer_leader_id = ?3",
                       " AND c.participant_id = ?4", " AND c.peer_leader_id = ?5",
                       " AND c.occurred_at >= ?6", " AND c.occurred_at < ?7"},
                      " ORDER BY c.id LIMIT ?8"},
    [LIST_MEASUREMENT] = {"SELECT " SQ_MEAS_COLS " FROM measurement m JOIN participant p ON p.id = "
                          "m.participant_id WHERE m.id > ?1 AND m.voided_at IS NULL",
                          {SQ_IN_SUBTREE("p.home_unit_id", 2), " AND p.peer_leader_id = ?3",
                           " AND m.participant_id = ?4", " AND m.analyte = ?5", " AND m.code = ?6",
                           " AND m.wave = ?7"},
                          " ORDER BY m.id LIMIT ?8"},
    [LIST_ORG] = {"SELECT " SQ_ORG_COLS " FROM org_unit u WHERE u.id > ?1",
                  {SQ_IN_SUBTREE("u.id", 2), " AND u.kind = ?3", " AND u.parent_id = ?4"},
                  " ORDER BY u.id LIMIT ?8"},
    [LIST_LEADER] = {"SELECT " SQ_LEADER_COLS SQ_PERSON_COLS
                     " FROM peer_leader l JOIN person pe ON pe.id = l.person_id WHERE l.id > ?1",
                     {SQ_IN_SUBTREE("l.home_unit_id", 2)},
                     " ORDER BY l.id LIMIT ?8"},
    [LIST_STAFF] = {"SELECT " STAFF_COLS " FROM staff_account WHERE id > ?1",
                    {NULL},
                    " ORDER BY id LIMIT ?8"},
    [LIST_AUDIT] = {"SELECT " AUDIT_COLS " FROM audit_event WHERE id > ?1",
                    {" AND account_id = ?2", " AND participant_id = ?3", " AND entity = ?4",
                     " AND action = ?5", " AND at >= ?6", " AND at < ?7"},
                    " ORDER BY id LIMIT ?8"},
    [LIST_ALERT] = {"SELECT " SQ_ALERT_COLS " FROM alert al JOIN participant p ON p.id = "
                    "al.participant_id WHERE al.id > ?1",
                    {SQ_IN_SUBTREE("p.home_unit_id", 2), " AND p.peer_leader_id = ?3",
                     " AND al.participant_id = ?4", " AND al.status = ?5"},
                    " ORDER BY al.id LIMIT ?8"},
    [LIST_QR] = {"SELECT " QR_COLS " FROM questionnaire_response q JOIN participant p ON p.id = "
                 "q.participant_id WHERE q.id > ?1",
                 {SQ_IN_SUBTREE("p.home_unit_id", 2), " AND p.peer_leader_id = ?3",
                  " AND q.participant_id = ?4", " AND q.instrument = ?5"},
                 " ORDER BY q.id LIMIT ?8"},
};

pl_status sq_list_run(store *s, const sq_list_def *def, const sq_list_arg args[SQ_LIST_FILTERS],
                      store_page pg, pl_arena *a, size_t item_size, sq_row_fn read, void **items,
                      int *n, pl_err *err)
{
    *items = NULL;
    *n = 0;
    if (pg.limit < 1 || pg.limit > 200)
        return pl_err_set(err, PL_INVALID, "limit must be between 1 and 200");
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    unsigned mask = 0;
    for (int i = 0; i < SQ_LIST_FILTERS; i++)
        if (args[i].present && def->cond[i])
            mask |= 1u << i;
    sq_stmt_slot *sl = slot_find(c, def, mask);
    db_stmt *st = sl && sl->key ? sl->st : NULL;
    if (!st) {
        char sqltext[2048];
        size_t len = (size_t)snprintf(sqltext, sizeof sqltext, "%s", def->base);
        for (int i = 0; i < SQ_LIST_FILTERS; i++)
            if (mask & (1u << i))
                len += (size_t)snprintf(sqltext + len, sizeof sqltext - len, "%s", def->cond[i]);
        if (len + strlen(def->tail) >= sizeof sqltext)
            return pl_err_set(err, PL_LIMIT, "a list query is longer than its buffer");
        snprintf(sqltext + len, sizeof sqltext - len, "%s", def->tail);
        st = slot_stmt(c, def, mask, sqltext, err);
        if (!st)
            return err->status;
    }
    db_bind_int64(st, 1, pg.after);
    for (int i = 0; i < SQ_LIST_FILTERS; i++) {
        if (!(mask & (1u << i)))
            continue;
        if (args[i].t)
            db_bind_text(st, i + 2, args[i].t, -1, DB_STATIC);
        else
            db_bind_int64(st, i + 2, args[i].i);
    }
    db_bind_int(st, 8, pg.limit);
    char *arr = pl_arena_alloc(a, item_size * (size_t)pg.limit);
    if (!arr) {
        db_reset(st);
        return pl_err_set(err, PL_LIMIT, "the list is larger than the request memory limit");
    }
    int rc, count = 0;
    while (count < pg.limit && (rc = db_step(st)) == DB_ROW)
        read(st, a, arr + item_size * (size_t)count++);
    if (count < pg.limit && rc != DB_DONE) {
        db_reset(st);
        db_clear_bindings(st);
        return sq_error(c->db, rc, err, "list");
    }
    db_reset(st);
    db_clear_bindings(st);
    pl_status r = sq_arena_check(a, err);
    if (r != PL_OK)
        return r;
    *items = arr;
    *n = count;
    return PL_OK;
}

/* Adapters from the typed readers to list_run's void* signature. */
static void participant_row(db_stmt *st, pl_arena *a, void *p)
{
    sq_participant_read(st, a, p);
}
static void contact_row(db_stmt *st, pl_arena *a, void *p)
{
    sq_contact_read(st, a, p);
}
static void measurement_row(db_stmt *st, pl_arena *a, void *p)
{
    sq_measurement_read(st, a, p);
}
static void org_unit_row(db_stmt *st, pl_arena *a, void *p)
{
    sq_org_unit_read(st, a, p);
}
static void leader_row(db_stmt *st, pl_arena *a, void *p)
{
    sq_leader_read(st, a, p);
}
static void staff_row(db_stmt *st, pl_arena *a, void *p)
{
    staff_read(st, a, p, NULL);
}
static void audit_row(db_stmt *st, pl_arena *a, void *p)
{
    audit_read(st, a, p);
}

pl_status store_participant_list(store *s, const store_participant_filter *f, store_page pg,
                                 pl_arena *a, pl_participant **items, int *n, pl_err *err)
{
    if (SQ_SCOPE_EMPTY(f->scope)) {
        *items = NULL;
        *n = 0;
        return PL_OK;
    }
    sq_list_arg args[SQ_LIST_FILTERS] = {
        SQ_ARG_ID(f->scope.unit_id),
        SQ_ARG_ID(f->scope.peer_leader_id),
        SQ_ARG_TEXT(f->status >= 0 ? pl_enrol_status_name(f->status) : NULL),
        SQ_ARG_TEXT(f->risk_tier >= 0 ? pl_risk_tier_name(f->risk_tier) : NULL),
        SQ_ARG_ID(f->home_unit_id),
        SQ_ARG_ID(f->peer_leader_id)};
    return sq_list_run(s, &lists[LIST_PARTICIPANT], args, pg, a, sizeof **items, participant_row,
                       (void **)items, n, err);
}

pl_status store_contact_list(store *s, const store_contact_filter *f, store_page pg, pl_arena *a,
                             pl_contact **items, int *n, pl_err *err)
{
    if (SQ_SCOPE_EMPTY(f->scope)) {
        *items = NULL;
        *n = 0;
        return PL_OK;
    }
    sq_list_arg args[SQ_LIST_FILTERS] = {
        SQ_ARG_ID(f->scope.unit_id),        SQ_ARG_ID(f->scope.peer_leader_id),
        SQ_ARG_ID(f->participant_id),       SQ_ARG_ID(f->peer_leader_id),
        SQ_ARG_INT(f->since, PL_TIME_NONE), SQ_ARG_INT(f->until, PL_TIME_NONE)};
    return sq_list_run(s, &lists[LIST_CONTACT], args, pg, a, sizeof **items, contact_row,
                       (void **)items, n, err);
}

pl_status store_measurement_list(store *s, const store_measurement_filter *f, store_page pg,
                                 pl_arena *a, pl_measurement **items, int *n, pl_err *err)
{
    if (SQ_SCOPE_EMPTY(f->scope)) {
        *items = NULL;
        *n = 0;
        return PL_OK;
    }
    sq_list_arg args[SQ_LIST_FILTERS] = {
        SQ_ARG_ID(f->scope.unit_id),  SQ_ARG_ID(f->scope.peer_leader_id),
        SQ_ARG_ID(f->participant_id), SQ_ARG_TEXT(f->analyte),
        SQ_ARG_TEXT(f->code),         SQ_ARG_INT(f->wave, -1)};
    return sq_list_run(s, &lists[LIST_MEASUREMENT], args, pg, a, sizeof **items, measurement_row,
                       (void **)items, n, err);
}

pl_status store_org_unit_list(store *s, pl_id scope_unit, int kind, pl_id parent_id, store_page pg,
                              pl_arena *a, pl_org_unit **items, int *n, pl_err *err)
{
    sq_list_arg args[SQ_LIST_FILTERS] = {SQ_ARG_ID(scope_unit),
                                         SQ_ARG_TEXT(kind >= 0 ? pl_org_kind_name(kind) : NULL),
                                         SQ_ARG_ID(parent_id)};
    return sq_list_run(s, &lists[LIST_ORG], args, pg, a, sizeof **items, org_unit_row,
                       (void **)items, n, err);
}

pl_status store_peer_leader_list(store *s, pl_id scope_unit, store_page pg, pl_arena *a,
                                 pl_peer_leader **items, int *n, pl_err *err)
{
    sq_list_arg args[SQ_LIST_FILTERS] = {SQ_ARG_ID(scope_unit)};
    return sq_list_run(s, &lists[LIST_LEADER], args, pg, a, sizeof **items, leader_row,
                       (void **)items, n, err);
}

pl_status store_staff_account_list(store *s, store_page pg, pl_arena *a, pl_staff_account **items,
                                   int *n, pl_err *err)
{
    sq_list_arg args[SQ_LIST_FILTERS] = {{0, 0, NULL}};
    return sq_list_run(s, &lists[LIST_STAFF], args, pg, a, sizeof **items, staff_row,
                       (void **)items, n, err);
}

pl_status store_audit_list(store *s, const store_audit_filter *f, store_page pg, pl_arena *a,
                           store_audit_event **items, int *n, pl_err *err)
{
    sq_list_arg args[SQ_LIST_FILTERS] = {SQ_ARG_ID(f->account_id),
                                         SQ_ARG_ID(f->participant_id),
                                         SQ_ARG_TEXT(f->entity),
                                         SQ_ARG_TEXT(f->action),
                                         SQ_ARG_INT(f->since, PL_TIME_NONE),
                                         SQ_ARG_INT(f->until, PL_TIME_NONE)};
    return sq_list_run(s, &lists[LIST_AUDIT], args, pg, a, sizeof **items, audit_row,
                       (void **)items, n, err);
}

static void alert_row(db_stmt *st, pl_arena *a, void *p)
{
    sq_alert_read(st, a, p);
}

pl_status store_alert_list(store *s, const store_alert_filter *f, store_page pg, pl_arena *a,
                           store_alert **items, int *n, pl_err *err)
{
    if (SQ_SCOPE_EMPTY(f->scope)) {
        *items = NULL;
        *n = 0;
        return PL_OK;
    }
    sq_list_arg args[SQ_LIST_FILTERS] = {SQ_ARG_ID(f->scope.unit_id),
                                         SQ_ARG_ID(f->scope.peer_leader_id),
                                         SQ_ARG_ID(f->participant_id), SQ_ARG_TEXT(f->status)};
    return sq_list_run(s, &lists[LIST_ALERT], args, pg, a, sizeof **items, alert_row,
                       (void **)items, n, err);
}

static void qr_row(db_stmt *st, pl_arena *a, void *p)
{
    qr_read(st, a, p);
}

pl_status store_questionnaire_list(store *s, const store_questionnaire_filter *f, store_page pg,
                                   pl_arena *a, store_questionnaire **items, int *n, pl_err *err)
{
    if (SQ_SCOPE_EMPTY(f->scope)) {
        *items = NULL;
        *n = 0;
        return PL_OK;
    }
    sq_list_arg args[SQ_LIST_FILTERS] = {SQ_ARG_ID(f->scope.unit_id),
                                         SQ_ARG_ID(f->scope.peer_leader_id),
                                         SQ_ARG_ID(f->participant_id), SQ_ARG_TEXT(f->instrument)};
    return sq_list_run(s, &lists[LIST_QR], args, pg, a, sizeof **items, qr_row, (void **)items, n,
                       err);
}

/* ---- persons, participants and peer leaders ----------------------------- */

static void person_bind(db_stmt *st, int first, const pl_person *p)
{
    sq_bind_text(st, first, p->given_name);
    sq_bind_text(st, first + 1, p->family_name);
    db_bind_text(st, first + 2, pl_sex_name(p->sex), -1, DB_STATIC);
    sq_bind_date(st, first + 3, p->birth_date);
    sq_bind_text(st, first + 4, p->phone);
    sq_bind_text(st, first + 5, p->address);
    sq_bind_text(st, first + 6, p->language);
}

static pl_status person_insert(conn *c, pl_person *p, pl_id program_id, pl_err *err)
{
    db_stmt *st = stmt(c, ST_PERSON_INSERT, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, program_id);
    person_bind(st, 2, p);
    p->program_id = program_id;
    return sq_step_insert(c, st, &p->id, err, "person");
}

/* Binds the participant's own columns ?2-?14 as ST_PARTICIPANT_UPDATE numbers them. */
static void participant_bind(db_stmt *st, const pl_participant *p)
{
    sq_bind_text(st, 2, p->program_ident);
    sq_bind_text(st, 3, p->mrn);
    if (p->diagnosis_year)
        db_bind_int(st, 4, p->diagnosis_year);
    else
        db_bind_null(st, 4);
    db_bind_text(st, 5, pl_treatment_name(p->treatment), -1, DB_STATIC);
    sq_bind_date(st, 6, p->enrol_date);
    db_bind_text(st, 7, pl_enrol_status_name(p->status), -1, DB_STATIC);
    sq_bind_date(st, 8, p->status_date);
    sq_bind_text(st, 9, p->status_reason);
    db_bind_int(st, 10, p->consent);
    sq_bind_date(st, 11, p->consent_date);
    sq_bind_id(st, 12, p->home_unit_id);
    sq_bind_id(st, 13, p->peer_leader_id);
    db_bind_text(st, 14, pl_risk_tier_name(p->risk_tier), -1, DB_STATIC);
}

pl_status store_participant_insert(store_tx *tx, pl_participant *p, pl_err *err)
{
    pl_status r = PL_OK;
    if (p->person.id <= 0 && (r = person_insert(tx->c, &p->person, p->program_id, err)) != PL_OK)
        return r;
    db_stmt *st = stmt(tx->c, ST_PARTICIPANT_INSERT, err);
    if (!st)
        return err->status;
    /* the insert lists person_id and program_id first, then the update's ?2-?14 */
    db_bind_int64(st, 1, p->person.id);
    db_bind_int64(st, 2, p->program_id);
    sq_bind_text(st, 3, p->program_ident);
    sq_bind_text(st, 4, p->mrn);
    if (p->diagnosis_year)
        db_bind_int(st, 5, p->diagnosis_year);
    db_bind_text(st, 6, pl_treatment_name(p->treatment), -1, DB_STATIC);
    sq_bind_date(st, 7, p->enrol_date);
    db_bind_text(st, 8, pl_enrol_status_name(p->status), -1, DB_STATIC);
    sq_bind_date(st, 9, p->status_date);
    sq_bind_text(st, 10, p->status_reason);
    db_bind_int(st, 11, p->consent);
    sq_bind_date(st, 12, p->consent_date);
    sq_bind_id(st, 13, p->home_unit_id);
    sq_bind_id(st, 14, p->peer_leader_id);
    db_bind_text(st, 15, pl_risk_tier_name(p->risk_tier), -1, DB_STATIC);
    db_bind_int64(st, 16, (db_int64)time(NULL));
    r = sq_step_insert(tx->c, st, &p->id, err, "participant");
    if (r == PL_OK)
        p->version = 1;
    return r;
}

static pl_status participant_get(conn *c, pl_id id, pl_arena *a, pl_participant *p, pl_err *err)
{
    SQ_GET_ONE(c, sql[ST_PARTICIPANT_GET], id, "participant", sq_participant_read(st, a, p));
}

pl_status store_participant_get(store *s, pl_id id, pl_arena *a, pl_participant *p, pl_err *err)
{
    conn *c = sq_reader(s, err);
    return c ? participant_get(c, id, a, p, err) : err->status;
}

pl_status store_tx_participant_get(store_tx *tx, pl_id id, pl_arena *a, pl_participant *out,
                                   pl_err *err)
{
    return participant_get(tx->c, id, a, out, err);
}

/* Steps an UPDATE guarded by a version: no row changed means stale (or gone). */
pl_status sq_step_versioned(conn *c, db_stmt *st, pl_err *err, const char *what)
{
    int rc = db_step(st);
    db_reset(st);
    db_clear_bindings(st);
    if (rc != DB_DONE)
        return sq_error(c->db, rc, err, what);
    if (db_changes(c->db) == 0)
        return pl_err_set(err, PL_STALE, "%s was changed by someone else; reload and try again",
                          what);
    return PL_OK;
}

/* The participant (and person) columns of a version, kept before an update replaces it. */
#define SQL_PARTICIPANT_VERSION_SAVE                                                               \
    "INSERT INTO participant_version (participant_id, version, program_id, program_ident, mrn, "   \
    "diagnosis_year, treatment, enrol_date, status, status_date, status_reason, consent, "         \
    "consent_date, home_unit_id, peer_leader_id, risk_tier, updated_at, person_id, given_name, "   \
    "family_name, sex, birth_date, phone, address, language) "                                     \
    "SELECT p.id, p.version, p.program_id, p.program_ident, p.mrn, p.diagnosis_year, "             \
    "p.treatment, p.enrol_date, p.status, p.status_date, p.status_reason, p.consent, "             \
    "p.consent_date, p.home_unit_id, p.peer_leader_id, p.risk_tier, p.updated_at, pe.id, "         \
    "pe.given_name, pe.family_name, pe.sex, pe.birth_date, pe.phone, pe.address, pe.language "     \
    "FROM participant p JOIN person pe ON pe.id = p.person_id WHERE p.id = ?1 AND p.version = ?2"
/* in sq_participant_read's column order, then updated_at */
#define SQL_PARTICIPANT_VERSION_GET                                                                \
    "SELECT participant_id, program_id, program_ident, mrn, diagnosis_year, treatment, "           \
    "enrol_date, status, status_date, status_reason, consent, consent_date, home_unit_id, "        \
    "peer_leader_id, risk_tier, version, person_id, program_id, given_name, family_name, sex, "    \
    "birth_date, phone, address, language, updated_at FROM participant_version "                   \
    "WHERE participant_id = ?1 AND version = ?2"

pl_status store_participant_version_get(store *s, pl_id id, int version, pl_arena *a,
                                        pl_participant *p, pl_time *updated_at, pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQL_PARTICIPANT_VERSION_GET, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, id);
    db_bind_int(st, 2, version);
    pl_status r = sq_step_row(c, st, err, "participant version");
    if (r == PL_OK) {
        sq_participant_read(st, a, p);
        *updated_at = db_column_int64(st, 25);
        r = sq_arena_check(a, err);
    }
    db_reset(st);
    return r;
}

#define SQL_PARTICIPANT_VERSION_LIST                                                               \
    "SELECT participant_id, program_id, program_ident, mrn, diagnosis_year, treatment, "           \
    "enrol_date, status, status_date, status_reason, consent, consent_date, home_unit_id, "        \
    "peer_leader_id, risk_tier, version, person_id, program_id, given_name, family_name, sex, "    \
    "birth_date, phone, address, language, updated_at FROM participant_version "                   \
    "WHERE participant_id = ?1 ORDER BY version DESC LIMIT ?2"

pl_status store_participant_versions(store *s, pl_id id, int max, pl_arena *a,
                                     pl_participant **items, pl_time **updated_at, int *n,
                                     pl_err *err)
{
    *items = NULL;
    *updated_at = NULL;
    *n = 0;
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    pl_participant *ps = pl_arena_alloc(a, sizeof *ps * (size_t)(max > 0 ? max : 1));
    pl_time *at = pl_arena_alloc(a, sizeof *at * (size_t)(max > 0 ? max : 1));
    if (!ps || !at)
        return pl_err_set(err, PL_LIMIT, "the versions are larger than the request memory limit");
    db_stmt *st = sq_stmt(c, SQL_PARTICIPANT_VERSION_LIST, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, id);
    db_bind_int(st, 2, max);
    int rc;
    while ((rc = db_step(st)) == DB_ROW && *n < max) {
        sq_participant_read(st, a, &ps[*n]);
        at[(*n)++] = db_column_int64(st, 25);
    }
    db_reset(st);
    if (rc != DB_DONE && rc != DB_ROW)
        return sq_error(c->db, rc, err, "participant versions");
    *items = ps;
    *updated_at = at;
    return sq_arena_check(a, err);
}

pl_status store_participant_update(store_tx *tx, pl_participant *p, int expected_version,
                                   pl_err *err)
{
    db_stmt *vs = sq_stmt(tx->c, SQL_PARTICIPANT_VERSION_SAVE, err);
    if (!vs)
        return err->status;
    db_bind_int64(vs, 1, p->id);
    db_bind_int(vs, 2, expected_version);
    int vrc = db_step(vs);
    db_reset(vs);
    if (vrc != DB_DONE)
        return sq_error(tx->c->db, vrc, err, "participant");
    db_stmt *st = stmt(tx->c, ST_PARTICIPANT_UPDATE, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, p->id);
    participant_bind(st, p);
    db_bind_int64(st, 15, (db_int64)time(NULL));
    db_bind_int(st, 16, expected_version);
    pl_status r = sq_step_versioned(tx->c, st, err, "participant");
    if (r != PL_OK)
        return r;
    db_stmt *ps = stmt(tx->c, ST_PERSON_UPDATE, err);
    if (!ps)
        return err->status;
    db_bind_int64(ps, 1, p->id); /* the participant's own person, whatever p->person.id says */
    person_bind(ps, 2, &p->person);
    int rc = db_step(ps);
    db_reset(ps);
    db_clear_bindings(ps);
    if (rc != DB_DONE)
        return sq_error(tx->c->db, rc, err, "participant");
    p->version = expected_version + 1;
    return PL_OK;
}

pl_status store_peer_leader_insert(store_tx *tx, pl_peer_leader *l, pl_err *err)
{
    pl_status r = PL_OK;
    if (l->person.id <= 0 && (r = person_insert(tx->c, &l->person, l->program_id, err)) != PL_OK)
        return r;
    db_stmt *st = stmt(tx->c, ST_LEADER_INSERT, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, l->person.id);
    db_bind_int64(st, 2, l->program_id);
    sq_bind_id(st, 3, l->home_unit_id);
    db_bind_text(st, 4, pl_leader_kind_name(l->kind), -1, DB_STATIC);
    db_bind_int(st, 5, l->paid);
    sq_bind_text(st, 6, l->languages);
    sq_bind_date(st, 7, l->trained_on);
    db_bind_int(st, 8, l->training_hours);
    db_bind_int(st, 9, l->active);
    db_bind_int64(st, 10, (db_int64)time(NULL));
    r = sq_step_insert(tx->c, st, &l->id, err, "peer leader");
    if (r == PL_OK)
        l->version = 1;
    return r;
}

pl_status store_peer_leader_get(store *s, pl_id id, pl_arena *a, pl_peer_leader *l, pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    SQ_GET_ONE(c, sql[ST_LEADER_GET], id, "peer leader", sq_leader_read(st, a, l));
}

pl_status store_person_get(store *s, pl_id id, pl_arena *a, pl_person *out, pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    SQ_GET_ONE(c, sql[ST_PERSON_GET], id, "person",
               (memset(out, 0, sizeof *out), sq_person_read(st, 0, a, out)));
}

pl_status store_peer_leader_by_person(store *s, pl_id person_id, pl_id *leader_id, pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = stmt(c, ST_LEADER_BY_PERSON, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, person_id);
    pl_status r = sq_step_row(c, st, err, "peer leader");
    if (r == PL_OK)
        *leader_id = db_column_int64(st, 0);
    db_reset(st);
    return r;
}

/* ---- contacts and measurements ------------------------------------------ */

pl_status store_contact_insert(store_tx *tx, pl_contact *c, pl_err *err)
{
    db_stmt *st = stmt(tx->c, ST_CONTACT_INSERT, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, c->participant_id);
    db_bind_int64(st, 2, c->peer_leader_id);
    db_bind_int64(st, 3, c->occurred_at);
    db_bind_int(st, 4, c->minutes);
    db_bind_text(st, 5, pl_contact_mode_name(c->mode), -1, DB_STATIC);
    db_bind_int64(st, 6, c->key_functions);
    db_bind_int64(st, 7, c->topics);
    db_bind_int(st, 8, c->proactive);
    sq_bind_text(st, 9, c->note);
    sq_bind_date(st, 10, c->follow_up_date);
    db_bind_int64(st, 11, (db_int64)time(NULL));
    db_bind_int(st, 12, c->family_members);
    db_bind_int64(st, 13, c->participant_id);
    return sq_step_insert(tx->c, st, &c->id, err, "contact");
}

pl_status store_contact_get(store *s, pl_id id, pl_arena *a, pl_contact *c, pl_err *err)
{
    conn *cn = sq_reader(s, err);
    if (!cn)
        return err->status;
    SQ_GET_ONE(cn, sql[ST_CONTACT_GET], id, "contact", sq_contact_read(st, a, c));
}

pl_status sq_measurement_bind(db_stmt *st, const pl_measurement *m, pl_time created_at, pl_err *err)
{
    if (!m->analyte || !m->unit) {
        db_reset(st);
        return pl_err_set(err, PL_INVALID, "measurement: not prepared (measurement_prepare)");
    }
    db_bind_int64(st, 1, m->participant_id);
    sq_bind_text(st, 2, m->code);
    sq_bind_text(st, 3, m->analyte);
    db_bind_double(st, 4, m->value);
    sq_bind_text(st, 5, m->unit);
    sq_bind_text(st, 6, m->entered_value);
    sq_bind_text(st, 7, m->entered_unit);
    db_bind_int64(st, 8, m->effective_at);
    db_bind_text(st, 9, pl_source_name(m->source), -1, DB_STATIC);
    if (m->wave >= 0)
        db_bind_int(st, 10, m->wave);
    sq_bind_id(st, 11, m->recorded_by);
    db_bind_int64(st, 12, created_at);
    return PL_OK;
}

pl_status store_measurement_insert(store_tx *tx, pl_measurement *m, pl_err *err)
{
    db_stmt *st = stmt(tx->c, ST_MEAS_INSERT, err);
    if (!st || sq_measurement_bind(st, m, (pl_time)time(NULL), err) != PL_OK)
        return err->status;
    return sq_step_insert(tx->c, st, &m->id, err, "measurement");
}

pl_status store_measurement_get(store *s, pl_id id, pl_arena *a, pl_measurement *m, pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    SQ_GET_ONE(c, sql[ST_MEAS_GET], id, "measurement", sq_measurement_read(st, a, m));
}

/* ---- escalation alerts ---------------------------------------------------- */

void sq_bind_time(db_stmt *st, int i, pl_time v)
{
    if (v != PL_TIME_NONE)
        db_bind_int64(st, i, v);
    else
        db_bind_null(st, i);
}

pl_status store_alert_insert(store_tx *tx, store_alert *al, pl_err *err)
{
    db_stmt *st = stmt(tx->c, ST_ALERT_INSERT, err);
    if (!st)
        return err->status;
    pl_time now = (pl_time)time(NULL);
    db_bind_int64(st, 1, al->participant_id);
    sq_bind_text(st, 2, al->kind);
    sq_bind_text(st, 3, al->severity);
    sq_bind_text(st, 4, al->message);
    sq_bind_text(st, 5, al->source_entity);
    sq_bind_id(st, 6, al->source_id);
    db_bind_int64(st, 7, now);
    pl_status r = sq_step_insert(tx->c, st, &al->id, err, "alert");
    if (r != PL_OK)
        return r;
    al->status = "open";
    al->created_at = now;
    al->acknowledged_by = al->resolved_by = 0;
    al->acknowledged_at = al->resolved_at = PL_TIME_NONE;
    al->resolution_note = NULL;
    al->linked_to_care = false;
    al->version = 1;
    return PL_OK;
}

static pl_status alert_get(conn *c, pl_id id, pl_arena *a, store_alert *al, pl_err *err)
{
    SQ_GET_ONE(c, sql[ST_ALERT_GET], id, "alert", sq_alert_read(st, a, al));
}

pl_status store_alert_get(store *s, pl_id id, pl_arena *a, store_alert *out, pl_err *err)
{
    conn *c = sq_reader(s, err);
    return c ? alert_get(c, id, a, out, err) : err->status;
}

pl_status store_tx_alert_get(store_tx *tx, pl_id id, pl_arena *a, store_alert *out, pl_err *err)
{
    return alert_get(tx->c, id, a, out, err);
}

pl_status store_alert_update(store_tx *tx, store_alert *al, int expected_version, pl_err *err)
{
    db_stmt *st = stmt(tx->c, ST_ALERT_UPDATE, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, al->id);
    sq_bind_text(st, 2, al->status);
    sq_bind_id(st, 3, al->acknowledged_by);
    sq_bind_time(st, 4, al->acknowledged_at);
    sq_bind_id(st, 5, al->resolved_by);
    sq_bind_time(st, 6, al->resolved_at);
    sq_bind_text(st, 7, al->resolution_note);
    db_bind_int(st, 8, al->linked_to_care ? 1 : 0);
    db_bind_int(st, 9, expected_version);
    pl_status r = sq_step_versioned(tx->c, st, err, "alert");
    if (r != PL_OK)
        return r;
    al->version = expected_version + 1;
    return PL_OK;
}

pl_status store_alert_resolve_raised(store_tx *tx, pl_id participant_id, const char *entity,
                                     pl_id source_id, pl_id by, const char *note, pl_arena *a,
                                     pl_id **ids, int *n, pl_err *err)
{
    *n = 0;
    *ids = pl_arena_alloc(a, sizeof **ids * STORE_ALERTS_RAISED_MAX);
    if (!*ids)
        return pl_err_set(err, PL_LIMIT, "the request needs more memory than a request may use");
    db_stmt *st = stmt(tx->c, ST_ALERT_RESOLVE_RAISED, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, participant_id);
    db_bind_text(st, 2, entity, -1, DB_STATIC);
    db_bind_int64(st, 3, source_id);
    sq_bind_id(st, 4, by);
    db_bind_int64(st, 5, (db_int64)time(NULL));
    db_bind_text(st, 6, note, -1, DB_STATIC);
    int rc;
    while ((rc = db_step(st)) == DB_ROW)
        if (*n < STORE_ALERTS_RAISED_MAX)
            (*ids)[(*n)++] = db_column_int64(st, 0);
    db_reset(st);
    if (rc != DB_DONE)
        return sq_error(tx->c->db, rc, err, "alerts");
    return PL_OK;
}

/* ---- questionnaire responses ------------------------------------------------ */

pl_status store_questionnaire_insert(store_tx *tx, store_questionnaire *q, pl_err *err)
{
    db_stmt *st = stmt(tx->c, ST_QR_INSERT, err);
    if (!st)
        return err->status;
    pl_time now = (pl_time)time(NULL);
    db_bind_int64(st, 1, q->participant_id);
    sq_bind_text(st, 2, q->instrument);
    sq_bind_text(st, 3, q->language);
    sq_bind_text(st, 4, q->answers);
    if (q->scored)
        db_bind_double(st, 5, q->score);
    else
        db_bind_null(st, 5);
    db_bind_int(st, 6, q->scored ? 1 : 0);
    sq_bind_text(st, 7, q->band);
    db_bind_int(st, 8, q->flags);
    sq_bind_text(st, 9, q->subscales);
    db_bind_int64(st, 10, q->completed_at);
    sq_bind_id(st, 11, q->recorded_by);
    db_bind_int64(st, 12, now);
    pl_status r = sq_step_insert(tx->c, st, &q->id, err, "questionnaire response");
    if (r == PL_OK)
        q->created_at = now;
    return r;
}

static pl_status qr_get(conn *c, pl_id id, pl_arena *a, store_questionnaire *q, pl_err *err)
{
    SQ_GET_ONE(c, sql[ST_QR_GET], id, "questionnaire response", qr_read(st, a, q));
}

pl_status store_questionnaire_get(store *s, pl_id id, pl_arena *a, store_questionnaire *out,
                                  pl_err *err)
{
    conn *c = sq_reader(s, err);
    return c ? qr_get(c, id, a, out, err) : err->status;
}

/* ---- staff accounts ----------------------------------------------------- */

pl_status store_staff_account_insert(store_tx *tx, pl_staff_account *a, const char *password_hash,
                                     pl_err *err)
{
    db_stmt *st = stmt(tx->c, ST_STAFF_INSERT, err);
    if (!st)
        return err->status;
    if (!a->created_at || a->created_at == PL_TIME_NONE)
        a->created_at = (pl_time)time(NULL);
    sq_bind_text(st, 1, a->username);
    sq_bind_text(st, 2, a->display_name);
    sq_bind_text(st, 3, password_hash);
    db_bind_text(st, 4, pl_role_name(a->role), -1, DB_STATIC);
    sq_bind_id(st, 5, a->scope_unit_id);
    sq_bind_id(st, 6, a->person_id);
    db_bind_int(st, 7, a->disabled);
    db_bind_int64(st, 8, a->created_at);
    sq_bind_text(st, 9, a->language);
    pl_status r = sq_step_insert(tx->c, st, &a->id, err, "staff account");
    if (r == PL_CONFLICT)
        pl_err_set(err, PL_CONFLICT, "username '%s' is already taken", a->username);
    if (r == PL_OK)
        a->version = 1;
    return r;
}

pl_status store_staff_account_get_by_username(store *s, const char *username, pl_arena *a,
                                              pl_staff_account *out, char **password_hash,
                                              pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = stmt(c, ST_STAFF_BY_USERNAME, err);
    if (!st)
        return err->status;
    db_bind_text(st, 1, username, -1, DB_STATIC);
    pl_status r = sq_step_row(c, st, err, "staff account");
    if (r == PL_OK) {
        staff_read(st, a, out, password_hash);
        r = sq_arena_check(a, err);
    }
    db_reset(st);
    return r;
}

static pl_status staff_get(conn *c, pl_id id, pl_arena *a, pl_staff_account *out, pl_err *err)
{
    SQ_GET_ONE(c, sql[ST_STAFF_GET], id, "staff account", staff_read(st, a, out, NULL));
}

pl_status store_staff_account_get(store *s, pl_id id, pl_arena *a, pl_staff_account *out,
                                  pl_err *err)
{
    conn *c = sq_reader(s, err);
    return c ? staff_get(c, id, a, out, err) : err->status;
}

pl_status store_tx_staff_account_get(store_tx *tx, pl_id id, pl_arena *a, pl_staff_account *out,
                                     pl_err *err)
{
    return staff_get(tx->c, id, a, out, err);
}

pl_status store_staff_account_update(store_tx *tx, pl_staff_account *a, int expected_version,
                                     pl_err *err)
{
    db_stmt *st = stmt(tx->c, ST_STAFF_UPDATE, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, a->id);
    sq_bind_text(st, 2, a->display_name);
    db_bind_text(st, 3, pl_role_name(a->role), -1, DB_STATIC);
    sq_bind_id(st, 4, a->scope_unit_id);
    db_bind_int(st, 5, a->disabled);
    db_bind_int(st, 6, expected_version);
    sq_bind_text(st, 7, a->language);
    pl_status r = sq_step_versioned(tx->c, st, err, "staff account");
    if (r == PL_OK)
        a->version = expected_version + 1;
    return r;
}

pl_status store_staff_password_set(store_tx *tx, pl_id id, const char *password_hash, pl_err *err)
{
    db_stmt *st = stmt(tx->c, ST_STAFF_PASSWORD, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, id);
    sq_bind_text(st, 2, password_hash);
    int rc = db_step(st);
    db_reset(st);
    db_clear_bindings(st);
    if (rc != DB_DONE)
        return sq_error(tx->c->db, rc, err, "staff account");
    if (db_changes(tx->c->db) == 0)
        return pl_err_set(err, PL_NOTFOUND, "staff account not found");
    return PL_OK;
}

/* ---- sessions ----------------------------------------------------------- */

pl_status store_session_insert(store_tx *tx, const unsigned char *hash, const store_session *se,
                               const char *client_addr, pl_err *err)
{
    db_stmt *st = stmt(tx->c, ST_SESSION_INSERT, err);
    if (!st)
        return err->status;
    db_bind_blob(st, 1, hash, STORE_TOKEN_HASH_BYTES, DB_STATIC);
    db_bind_int64(st, 2, se->account_id);
    db_bind_int64(st, 3, se->created_at);
    db_bind_int64(st, 4, se->last_seen_at);
    db_bind_int64(st, 5, se->expires_at);
    sq_bind_text(st, 6, client_addr);
    pl_id ignored;
    return sq_step_insert(tx->c, st, &ignored, err, "session");
}

pl_status store_session_get(store *s, const unsigned char *hash, pl_arena *a, store_session *se,
                            pl_staff_account *account, pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = stmt(c, ST_SESSION_GET, err);
    if (!st)
        return err->status;
    db_bind_blob(st, 1, hash, STORE_TOKEN_HASH_BYTES, DB_STATIC);
    pl_status r = sq_step_row(c, st, err, "session");
    if (r == PL_OK) {
        se->account_id = db_column_int64(st, 0);
        se->created_at = db_column_int64(st, 1);
        se->last_seen_at = db_column_int64(st, 2);
        se->expires_at = db_column_int64(st, 3);
        staff_read_at(st, 4, a, account, NULL);
        r = sq_arena_check(a, err);
    }
    db_reset(st);
    return r;
}

static pl_status delete_by(store_tx *tx, enum stmt_id id, const unsigned char *hash,
                           pl_id account_id, pl_err *err)
{
    db_stmt *st = stmt(tx->c, id, err);
    if (!st)
        return err->status;
    if (hash)
        db_bind_blob(st, 1, hash, STORE_TOKEN_HASH_BYTES, DB_STATIC);
    else
        db_bind_int64(st, 1, account_id);
    int rc = db_step(st);
    db_reset(st);
    db_clear_bindings(st);
    return rc == DB_DONE ? PL_OK : sq_error(tx->c->db, rc, err, "session");
}

pl_status store_session_delete(store_tx *tx, const unsigned char *hash, pl_err *err)
{
    return delete_by(tx, ST_SESSION_DELETE, hash, 0, err);
}

pl_status store_session_delete_for_account(store_tx *tx, pl_id account_id, pl_err *err)
{
    return delete_by(tx, ST_SESSION_DELETE_ACCOUNT, NULL, account_id, err);
}

typedef struct touch_ctx {
    unsigned char hash[STORE_TOKEN_HASH_BYTES];
    pl_time now;
} touch_ctx;

static pl_status touch_write(store_tx *tx, void *ctx, pl_err *err)
{
    touch_ctx *t = ctx;
    db_stmt *st = stmt(tx->c, ST_SESSION_TOUCH, err);
    if (!st)
        return err->status;
    db_bind_blob(st, 1, t->hash, STORE_TOKEN_HASH_BYTES, DB_STATIC);
    db_bind_int64(st, 2, t->now);
    int rc = db_step(st);
    db_reset(st);
    db_clear_bindings(st);
    return rc == DB_DONE ? PL_OK : sq_error(tx->c->db, rc, err, "session");
}

void store_session_touch(store *s, const unsigned char *hash, pl_time now)
{
    touch_ctx t;
    memcpy(t.hash, hash, sizeof t.hash);
    t.now = now;
    write_job *j = async_job_new(touch_write, sizeof t);
    if (!j)
        return; /* activity is only recorded, never required */
    memcpy(j->ctx, &t, sizeof t);
    j->bare = 1;
    pl_err err;
    pl_err_clear(&err);
    enqueue_async(s, j, &err);
}

/* ---- audit trail -------------------------------------------------------- */

pl_status store_audit_append(store_tx *tx, const store_audit_event *ev, pl_err *err)
{
    db_stmt *st = stmt(tx->c, ST_AUDIT_INSERT, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, ev->at);
    sq_bind_id(st, 2, ev->account_id);
    sq_bind_text(st, 3, ev->action);
    sq_bind_text(st, 4, ev->entity);
    sq_bind_id(st, 5, ev->entity_id);
    sq_bind_id(st, 6, ev->participant_id);
    sq_bind_text(st, 7, ev->client_addr);
    db_bind_int(st, 8, ev->status);
    pl_id ignored;
    return sq_step_insert(tx->c, st, &ignored, err, "audit event");
}

typedef struct audit_batch {
    int n;
    store_audit_event *ev;
} audit_batch;

static pl_status audit_batch_write(store_tx *tx, void *ctx, pl_err *err)
{
    audit_batch *b = ctx;
    for (int i = 0; i < b->n; i++) {
        pl_status r = store_audit_append(tx, &b->ev[i], err);
        if (r != PL_OK)
            return r;
    }
    return PL_OK;
}

/* Copies a string into the job's tail; returns the copy (NULL stays NULL). */
static const char *tail_copy(char **tail, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    memcpy(*tail, s, n);
    const char *r = *tail;
    *tail += n;
    return r;
}

pl_status store_audit_enqueue(store *s, const store_audit_event *ev, int n, pl_err *err)
{
    if (n <= 0)
        return PL_OK;
    size_t strings = 0;
    for (int i = 0; i < n; i++)
        strings += (ev[i].action ? strlen(ev[i].action) + 1 : 0) +
                   (ev[i].entity ? strlen(ev[i].entity) + 1 : 0) +
                   (ev[i].client_addr ? strlen(ev[i].client_addr) + 1 : 0);
    size_t events_off = (sizeof(audit_batch) + 15u) & ~(size_t)15u;
    size_t size = events_off + sizeof *ev * (size_t)n + strings;
    write_job *j = async_job_new(audit_batch_write, size);
    if (!j)
        return pl_err_set(err, PL_NOMEM, "out of memory queueing audit events");
    j->bare = n == 1; /* one INSERT is atomic; several need their savepoint */
    audit_batch *b = j->ctx;
    b->n = n;
    b->ev = (store_audit_event *)((char *)j->ctx + events_off);
    char *tail = (char *)(b->ev + n);
    for (int i = 0; i < n; i++) {
        b->ev[i] = ev[i];
        b->ev[i].action = tail_copy(&tail, ev[i].action);
        b->ev[i].entity = tail_copy(&tail, ev[i].entity);
        b->ev[i].client_addr = tail_copy(&tail, ev[i].client_addr);
    }
    return enqueue_async(s, j, err);
}

/* ---- idempotent retries ------------------------------------------------- */

#define IDEMPOTENCY_SECONDS 86400

pl_status store_idempotency_get(store_tx *tx, pl_id account_id, const char *key, pl_arena *a,
                                store_idempotency *out, pl_err *err)
{
    db_stmt *st = stmt(tx->c, ST_IDEM_GET, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, account_id);
    db_bind_text(st, 2, key, -1, DB_STATIC);
    db_bind_int64(st, 3, (db_int64)time(NULL) - IDEMPOTENCY_SECONDS);
    pl_status r = sq_step_row(tx->c, st, err, "idempotency key");
    if (r == PL_OK) {
        memset(out, 0, sizeof *out);
        if (db_column_bytes(st, 0) == (int)sizeof out->request_hash)
            memcpy(out->request_hash, db_column_blob(st, 0), sizeof out->request_hash);
        out->status = db_column_int(st, 1);
        out->body = sq_col_text(st, 2, a);
        out->location = sq_col_text(st, 3, a);
        r = sq_arena_check(a, err);
    }
    db_reset(st);
    return r;
}

pl_status store_idempotency_put(store_tx *tx, pl_id account_id, const char *key,
                                const store_idempotency *in, pl_time now, pl_err *err)
{
    db_stmt *ex = stmt(tx->c, ST_IDEM_EXPIRE, err);
    if (!ex)
        return err->status;
    db_bind_int64(ex, 1, account_id);
    db_bind_int64(ex, 2, now - IDEMPOTENCY_SECONDS);
    int rc = db_step(ex);
    db_reset(ex);
    if (rc != DB_DONE)
        return sq_error(tx->c->db, rc, err, "idempotency key");
    db_stmt *st = stmt(tx->c, ST_IDEM_PUT, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, account_id);
    db_bind_text(st, 2, key, -1, DB_STATIC);
    db_bind_blob(st, 3, in->request_hash, sizeof in->request_hash, DB_STATIC);
    db_bind_int(st, 4, in->status);
    db_bind_text(st, 5, in->body ? in->body : "", -1, DB_STATIC);
    sq_bind_text(st, 6, in->location);
    db_bind_int64(st, 7, now);
    pl_id ignored;
    return sq_step_insert(tx->c, st, &ignored, err, "idempotency key");
}

pl_status store_install_secret(store *s, unsigned char out[32], pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = stmt(c, ST_SECRET, err);
    if (!st)
        return err->status;
    pl_status r = sq_step_row(c, st, err, "installation secret");
    if (r == PL_OK) {
        if (db_column_bytes(st, 0) == 32)
            memcpy(out, db_column_blob(st, 0), 32);
        else
            r = pl_err_set(err, PL_SCHEMA, "the installation secret is damaged");
    }
    db_reset(st);
    return r;
}

/* ---- summaries ---------------------------------------------------------- */

pl_status store_counts_get(store *s, store_counts *out, pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = stmt(c, ST_COUNTS, err);
    if (!st)
        return err->status;
    pl_status r = sq_step_row(c, st, err, "counts");
    if (r == PL_OK) {
        out->programs = db_column_int64(st, 0);
        out->org_units = db_column_int64(st, 1);
        out->participants = db_column_int64(st, 2);
        out->peer_leaders = db_column_int64(st, 3);
        out->contacts = db_column_int64(st, 4);
        out->measurements = db_column_int64(st, 5);
        out->staff_accounts = db_column_int64(st, 6);
    }
    db_reset(st);
    return r;
}

pl_status store_wave_summary_get(store *s, pl_id program_id, const char *analyte, int wave,
                                 pl_arm arm, double threshold, store_wave_summary *out, pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = stmt(c, ST_WAVE_SUMMARY, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, program_id);
    db_bind_text(st, 2, analyte, -1, DB_STATIC);
    db_bind_int(st, 3, wave);
    db_bind_text(st, 4, pl_arm_name(arm), -1, DB_STATIC);
    db_bind_double(st, 5, threshold);
    pl_status r = sq_step_row(c, st, err, "summary");
    if (r == PL_OK) {
        out->n = db_column_int64(st, 0);
        out->mean = db_column_double(st, 1);
        out->share_at_or_above = db_column_double(st, 2);
    }
    db_reset(st);
    return r;
}
