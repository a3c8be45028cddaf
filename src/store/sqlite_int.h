/*
 * sqlite_int.h - what the files of the SQLite backend share, and nothing
 * outside src/store sees.
 *
 * sqlite.c owns connections, the writer thread and migrations; each other
 * sqlite_*.c file implements one part of store.h (groups, tasks, the
 * resource directory ...) with these helpers:
 *
 *  - sq_stmt(c, SQL_TEXT, err): the connection's prepared statement for a
 *    static SQL string, prepared on first use and kept. The cache is keyed
 *    by the string's address, so each module declares its SQL as static
 *    strings and needs no central list of statement ids.
 *  - sq_list_run(): key-paged lists built from a sq_list_def (a base query,
 *    optional conditions, a tail), one cached statement per combination of
 *    present filters.
 *  - binding and reading helpers that map NULL to PL_*_NONE and back, and
 *    the step helpers that turn SQLite's codes into pl_status with a message.
 */
#ifndef PL_STORE_SQLITE_INT_H
#define PL_STORE_SQLITE_INT_H

#include "db.h"

#include "store.h"

/*
 * The SQL for c's backend where the dialects differ: SQLite's text or
 * PostgreSQL's, both static strings (the statement cache keys on the
 * address). Most statements need no variant: see docs/POSTGRESQL.md.
 */
#define SQ_PG(c)            (db_backend_of((c)->db) == DB_PG)
#define SQ_SQL(c, lite, pg) (SQ_PG(c) ? (pg) : (lite))

/* Statements one connection may cache: a ceiling, reached only by a bug. */
#define SQ_STMT_SLOTS 1024

typedef struct sq_stmt_slot {
    const void *key;  /* the SQL text or list definition */
    unsigned variant; /* the filter mask of a list; 0 otherwise */
    db_stmt *st;
} sq_stmt_slot;

typedef struct conn {
    db_conn *db;
    sq_stmt_slot slots[SQ_STMT_SLOTS]; /* open addressing on (key, variant) */
    int used;
    struct conn *next; /* in store.readers */
} conn;

struct store_tx {
    store *s;
    conn *c;
};

/* Sets err from SQLite's last error on db (constraint -> PL_CONFLICT / PL_INVALID ...). */
pl_status sq_error(db_conn *db, int rc, pl_err *err, const char *what);
/* The calling thread's reader connection, opened on first use; NULL with err set. */
conn *sq_reader(store *s, pl_err *err);
/* Closes the calling thread's reader connection (a thread that will end); harmless if none. */
void sq_reader_release(store *s);
/* The cached statement for sql on c (prepared on first use); NULL with err set. */
db_stmt *sq_stmt(conn *c, const char *sql, pl_err *err);
/* Runs a statement that returns no rows and resets it. */
pl_status sq_exec(conn *c, const char *sql, pl_err *err);

/* Empty strings, ids <= 0 and PL_*_NONE bind as NULL. */
void sq_bind_text(db_stmt *st, int i, const char *v);
void sq_bind_id(db_stmt *st, int i, pl_id v);
void sq_bind_date(db_stmt *st, int i, pl_date v);
void sq_bind_time(db_stmt *st, int i, pl_time v);
/* Column readers: strings are copied into the arena; NULL reads as NULL / PL_*_NONE / 0. */
const char *sq_col_text(db_stmt *st, int i, pl_arena *a);
pl_date sq_col_date(db_stmt *st, int i);
pl_time sq_col_time(db_stmt *st, int i);
pl_id sq_col_id(db_stmt *st, int i);

/* Steps an insert and resets; *id is the new row id. No row inserted: PL_INVALID. */
pl_status sq_step_insert(conn *c, db_stmt *st, pl_id *id, pl_err *err, const char *what);
/* Steps a single-row read; PL_NOTFOUND when there is no row. The caller resets. */
pl_status sq_step_row(conn *c, db_stmt *st, pl_err *err, const char *what);
/* Steps an UPDATE guarded by a version and resets: no row changed is PL_STALE. */
pl_status sq_step_versioned(conn *c, db_stmt *st, pl_err *err, const char *what);
/* Steps a statement that returns no rows and resets; *changes (may be NULL) gets the count. */
pl_status sq_step_done(conn *c, db_stmt *st, int *changes, pl_err *err, const char *what);
/* PL_LIMIT when the strings read overflowed the arena. */
pl_status sq_arena_check(pl_arena *a, pl_err *err);
/* Binds a prepared measurement m as ?1-?12 of an INSERT into measurement (participant, code,
 * analyte, value, unit, entered value and unit, effective time, source, wave, recorded_by,
 * created_at); PL_INVALID (st reset) when m was not prepared (measurement_prepare). */
pl_status sq_measurement_bind(db_stmt *st, const pl_measurement *m, pl_time created_at,
                              pl_err *err);

/*
 * The FHIR searches (sqlite_fhir*.c). A search statement binds scope ?1
 * ?2 and _id ?3 as all do, its LIMIT at limit_param, OFFSET at the next
 * and a key range "id > ?(limit_param + 2) AND id <= ?(limit_param + 3)",
 * which carries _id and the keyset (q->after) as something the planner can
 * seek; sq_fhir_page binds those and steps st into a page of ids (one row
 * more tells *more). A search kept in four statements indexes them with
 * sq_fhir_variant(): +1 when a participant is given (its index drives),
 * +2 when the order is by date rather than id.
 */
struct store_fhir_query;
int sq_fhir_variant(const struct store_fhir_query *q);
pl_status sq_fhir_page(conn *c, db_stmt *st, const struct store_fhir_query *q, int limit_param,
                       pl_arena *a, pl_id **ids, int *n, bool *more, pl_err *err);

/*
 * Record readers for these column lists (with the table aliases p, l, c, m,
 * u, al, pe): strings go into the arena. A participant or leader row is its
 * own columns followed by its person's.
 */
#define SQ_PARTICIPANT_COLS                                                                        \
    "p.id, p.program_id, p.program_ident, p.mrn, p.diagnosis_year, p.treatment, p.enrol_date, "    \
    "p.status, p.status_date, p.status_reason, p.consent, p.consent_date, p.home_unit_id, "        \
    "p.peer_leader_id, p.risk_tier, p.version, "
#define SQ_LEADER_COLS                                                                             \
    "l.id, l.program_id, l.home_unit_id, l.kind, l.paid, l.languages, l.trained_on, "              \
    "l.training_hours, l.active, l.version, "
#define SQ_CONTACT_COLS                                                                            \
    "c.id, c.program_id, c.participant_id, c.peer_leader_id, c.occurred_at, c.minutes, c.mode, "   \
    "c.key_functions, c.topics, c.proactive, c.note, c.follow_up_date, c.family_members, "         \
    "c.group_session_id"
#define SQ_MEAS_COLS                                                                               \
    "m.id, m.participant_id, m.code, m.analyte, m.value, m.unit, m.entered_value, "                \
    "m.entered_unit, m.effective_at, m.source, m.wave, m.recorded_by"
#define SQ_ORG_COLS                                                                                \
    "u.id, u.parent_id, u.program_id, u.kind, u.name, u.code, u.arm, u.language, u.version"
#define SQ_ALERT_COLS                                                                              \
    "al.id, al.participant_id, al.kind, al.severity, al.message, al.source_entity, "               \
    "al.source_id, al.status, al.created_at, al.acknowledged_by, al.acknowledged_at, "             \
    "al.resolved_by, al.resolved_at, al.resolution_note, al.linked_to_care, al.version"
#define SQ_PERSON_COLS                                                                             \
    "pe.id, pe.program_id, pe.given_name, pe.family_name, pe.sex, pe.birth_date, pe.phone, "       \
    "pe.address, pe.language"

void sq_person_read(db_stmt *st, int i, pl_arena *a, pl_person *p);
void sq_org_unit_read(db_stmt *st, pl_arena *a, pl_org_unit *u);
void sq_participant_read(db_stmt *st, pl_arena *a, pl_participant *p);
void sq_leader_read(db_stmt *st, pl_arena *a, pl_peer_leader *l);
void sq_contact_read(db_stmt *st, pl_arena *a, pl_contact *c);
void sq_measurement_read(db_stmt *st, pl_arena *a, pl_measurement *m);
void sq_alert_read(db_stmt *st, pl_arena *a, store_alert *al);

/*
 * Reads one row by id with a statement whose only parameter is the id:
 * binds, steps, runs read_stmt (with `st` in scope), checks the arena and
 * returns from the calling function.
 */
#define SQ_GET_ONE(c, sqltext, id, what, read_stmt)                                                \
    do {                                                                                           \
        db_stmt *st = sq_stmt(c, sqltext, err);                                                    \
        if (!st)                                                                                   \
            return err->status;                                                                    \
        db_bind_int64(st, 1, id);                                                                  \
        pl_status r_ = sq_step_row(c, st, err, what);                                              \
        if (r_ == PL_OK) {                                                                         \
            read_stmt;                                                                             \
            r_ = sq_arena_check(a, err);                                                           \
        }                                                                                          \
        db_reset(st);                                                                              \
        return r_;                                                                                 \
    } while (0)

/* ---- lists ---------------------------------------------------------------
 * A list is a base query, up to SQ_LIST_FILTERS optional conditions and an
 * ORDER BY ... LIMIT ?8 tail. Parameters are numbered (?1 the paging key,
 * ?2-?7 the conditions in order, ?8 the limit) and always all bound, so one
 * binding routine serves every combination.
 */
#define SQ_LIST_FILTERS 6

typedef struct sq_list_def {
    const char *base;
    const char *cond[SQ_LIST_FILTERS];
    const char *tail;
} sq_list_def;

/* A condition restricting a unit column to the subtree of parameter ?n. */
#define SQ_IN_SUBTREE(col, n)                                                                      \
    " AND " col " IN (SELECT unit_id FROM org_unit_ancestor WHERE ancestor_id = ?" #n ")"

/* One parameter of a list: an integer, a text, or absent. */
typedef struct sq_list_arg {
    int present;
    db_int64 i;
    const char *t;
} sq_list_arg;

#define SQ_ARG_ID(v)          ((sq_list_arg){(v) > 0, (v), NULL})
#define SQ_ARG_INT(v, absent) ((sq_list_arg){(v) != (absent), (v), NULL})
#define SQ_ARG_TEXT(v)        ((sq_list_arg){(v) != NULL, 0, (v)})

/* A peer leader with no leader record sees nobody. */
#define SQ_SCOPE_EMPTY(sc) ((sc).peer_leader_id < 0)

typedef void (*sq_row_fn)(db_stmt *st, pl_arena *a, void *item);

/*
 * Runs the list for the present arguments, reading each row with read into
 * an arena array of item_size-byte records (*items, *n). pg.limit must be
 * 1-200; the statement for each combination is prepared once per connection.
 */
pl_status sq_list_run(store *s, const sq_list_def *def, const sq_list_arg args[SQ_LIST_FILTERS],
                      store_page pg, pl_arena *a, size_t item_size, sq_row_fn read, void **items,
                      int *n, pl_err *err);

/*
 * Steps st (bound but for its limit, parameter limit_param) for at most max
 * (1-1000) rows read into an arena array; one more row is asked for to tell
 * *more. Resets st.
 */
pl_status sq_read_capped(conn *c, db_stmt *st, int limit_param, int max, pl_arena *a,
                         size_t item_size, sq_row_fn read, void **items, int *n, bool *more,
                         pl_err *err);

#endif
