/*
 * db.h - the store's database driver: one statement API over SQLite and
 * PostgreSQL (libpq), so that each store_* function is written once.
 *
 * The calls mirror SQLite's (db_step returns DB_ROW or DB_DONE, columns are
 * read by index from the current row, parameters are numbered from 1) and on
 * SQLite they are thin wrappers. On PostgreSQL a statement's SQL has its
 * `?` and `?N` placeholders rewritten to `$N` when it is prepared; bound
 * values are kept as text (blobs as binary), and the first db_step after a
 * reset sends them: as a server-side prepared statement (prepared on first
 * use, with the parameter types of that first binding: integers int8,
 * doubles float8, blobs bytea, the rest left to the server to infer), or
 * with a one-off PQexecParams when a later binding's types disagree. The
 * whole result comes back at once and db_step walks its rows; db_reset
 * frees it (PQclear). A statement made with db_prepare_stream instead
 * receives its rows one at a time (libpq's single-row mode), so that
 * reading a table of any size holds one row in memory.
 *
 * Where the two dialects differ, the SQL text is chosen by the caller with
 * db_backend_of() (see sqlite_int.h's SQ_SQL); this file never rewrites SQL
 * beyond the placeholders.
 */
#ifndef PL_STORE_DB_H
#define PL_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>

typedef long long db_int64;
typedef struct db_conn db_conn;
typedef struct db_stmt db_stmt;

typedef enum { DB_SQLITE, DB_PG } db_backend;

/* Result codes: SQLite's own values, so SQLite's codes pass through unchanged. */
#define DB_OK    0
#define DB_ERROR 1
#define DB_ROW   100
#define DB_DONE  101

/* Column types (SQLite's values). */
#define DB_INTEGER 1
#define DB_FLOAT   2
#define DB_TEXT    3
#define DB_BLOB    4
#define DB_NULL    5

/* The destructor argument of db_bind_text/blob: the value outlives the step. */
#define DB_STATIC ((void (*)(void *))0)

/* True for postgresql:// and postgres:// locations. */
bool db_is_pg_url(const char *location);

/*
 * Opens a connection to location (a SQLite file path or a PostgreSQL URL).
 * For SQLite, sqlite_flags are sqlite3_open_v2's flags. Returns a DB_ code;
 * *out is set (and must be closed) whenever it is not NULL, even on failure,
 * so that db_errmsg can say why.
 */
int db_open(const char *location, int sqlite_flags, db_conn **out);
void db_close(db_conn *c);
db_backend db_backend_of(const db_conn *c);
/* The backend's own handle (sqlite3 * or PGconn *), for backend-specific code. */
void *db_handle(db_conn *c);

/* Runs a script of one or more statements that return no rows. */
int db_exec(db_conn *c, const char *script);
/* The message and kind of the last failure on c. */
const char *db_errmsg(db_conn *c);
/* Classified errors, for sq_error: DB_E_* */
enum { DB_E_OTHER, DB_E_UNIQUE, DB_E_FOREIGN, DB_E_CONSTRAINT, DB_E_BUSY, DB_E_NOTADB, DB_E_NOMEM };
int db_errkind(db_conn *c, int rc);
/* True when no transaction is open on c (SQLite's autocommit; PostgreSQL's idle). */
bool db_autocommit(db_conn *c);
/* Rows changed by the last INSERT/UPDATE/DELETE on c. */
int db_changes(db_conn *c);
/* The id of the row the last INSERT on c made (a table with an id column). */
db_int64 db_last_insert_id(db_conn *c);

/* Prepares sql (persistent: kept for the connection's life). Returns a DB_ code. */
int db_prepare(db_conn *c, const char *sql, db_stmt **out);
/*
 * Prepares sql as db_prepare does, for a result read in a stream: on
 * PostgreSQL each db_step receives one row from the server (single-row
 * mode), so memory does not grow with the result. Until the statement has
 * returned DB_DONE (or been reset, which reads and drops the rest of the
 * rows), no other statement may run on c. On SQLite it is db_prepare.
 */
int db_prepare_stream(db_conn *c, const char *sql, db_stmt **out);
void db_finalize(db_stmt *st);

int db_bind_int64(db_stmt *st, int i, db_int64 v);
int db_bind_int(db_stmt *st, int i, int v);
int db_bind_double(db_stmt *st, int i, double v);
int db_bind_text(db_stmt *st, int i, const char *v, int len, void (*destructor)(void *));
int db_bind_blob(db_stmt *st, int i, const void *v, int len, void (*destructor)(void *));
int db_bind_null(db_stmt *st, int i);
int db_bind_parameter_count(db_stmt *st);
int db_clear_bindings(db_stmt *st);

/* DB_ROW with a row to read, DB_DONE at the end, or an error code. */
int db_step(db_stmt *st);
int db_reset(db_stmt *st);

int db_column_type(db_stmt *st, int i);
db_int64 db_column_int64(db_stmt *st, int i);
int db_column_int(db_stmt *st, int i);
double db_column_double(db_stmt *st, int i);
const unsigned char *db_column_text(db_stmt *st, int i);
const void *db_column_blob(db_stmt *st, int i);
int db_column_bytes(db_stmt *st, int i);

int db_column_count(db_stmt *st);
const char *db_column_name(db_stmt *st, int i);

/*
 * PostgreSQL's COPY FROM STDIN on c (copy_sql is the COPY statement): the
 * data in COPY's text format, in pieces of any size. db_copy_end ends it
 * (abort: abandon it) and returns DB_OK when the server took every row.
 */
int db_copy_begin(db_conn *c, const char *copy_sql);
int db_copy_put(db_conn *c, const char *data, size_t len);
int db_copy_end(db_conn *c, bool abort);

#endif
