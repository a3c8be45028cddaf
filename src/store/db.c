/*
 * db.c - the driver of db.h: every call dispatches on its connection's
 * backend, to SQLite directly or to libpq.
 *
 * PostgreSQL statements. db_prepare rewrites placeholders (`?` takes the
 * next number after the largest so far, as in SQLite; `?N` is `$N`; quoted
 * text is left alone) and notes which parameters the SQL uses. Bound values
 * are copied (text as text, blobs as binary bytea); the first db_step after
 * a reset sends them, prepared on the server on the statement's first run
 * with the types of that run's values (parameters the SQL does not use are
 * declared text, so lists that leave out some conditions still prepare),
 * and walks the rows of the whole result (a streamed statement instead
 * sends its query asynchronously in single-row mode and takes one
 * PGresult per db_step, the last, empty one marking the end; a reset
 * before the end reads the remaining rows off the connection, which must
 * be free for the next statement). A later run whose value types
 * disagree with the prepared ones (an integer where a text was) runs once
 * through PQexecParams instead. Integers read from a text result are parsed
 * (booleans 't'/'f' read as 1/0, floats are truncated as SQLite does).
 */
#include "db.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PostgreSQL type oids (pg_type.h is not part of libpq's headers) */
#define OID_BOOL    16
#define OID_BYTEA   17
#define OID_INT8    20
#define OID_INT2    21
#define OID_INT4    23
#define OID_TEXT    25
#define OID_OID     26
#define OID_FLOAT4  700
#define OID_FLOAT8  701
#define OID_NUMERIC 1700

/* The most parameters one statement may have: a ceiling, reached only by a bug. */
#define DB_MAX_PARAMS 100

struct db_conn {
    db_backend backend;
    sqlite3 *lite;
    PGconn *pg;
    int changes;
    db_int64 last_id; /* the id column of the last INSERT's RETURNING row */
    int stmt_seq;     /* names of server-side statements */
    char sqlstate[6]; /* of the last failure */
    char *err;        /* the last failure's message (PostgreSQL) */
};

struct db_stmt {
    db_conn *c;
    sqlite3_stmt *lite;
    /* PostgreSQL */
    char *sql; /* with $N placeholders */
    char name[24];
    int nparams;
    int returning; /* an INSERT given RETURNING * here: its row is the new id, not a result */
    unsigned char used[DB_MAX_PARAMS + 1]; /* parameter appears in the SQL */
    char *val[DB_MAX_PARAMS];              /* NULL: SQL NULL */
    int len[DB_MAX_PARAMS];
    int fmt[DB_MAX_PARAMS];
    Oid type[DB_MAX_PARAMS];      /* of the bound value; 0 for text and NULL */
    Oid prep_type[DB_MAX_PARAMS]; /* declared when prepared */
    int prepared;
    int executed;
    int stream;  /* db_prepare_stream: one row per PGresult */
    int pending; /* a streamed query still has results on the connection */
    PGresult *res;
    int row, nrows;
    unsigned char *blob; /* a decoded bytea of (blob_row, blob_col) */
    size_t blob_len;
    int blob_row, blob_col;
};

bool db_is_pg_url(const char *location)
{
    return strncmp(location, "postgresql://", 13) == 0 || strncmp(location, "postgres://", 11) == 0;
}

/* ---- connections -------------------------------------------------------- */

static void pg_fail(db_conn *c, const PGresult *r)
{
    free(c->err);
    const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg);
    if (!msg || !*msg)
        msg = PQerrorMessage(c->pg);
    c->err = strdup(msg ? msg : "unknown error");
    if (c->err) {
        size_t n = strlen(c->err);
        while (n > 0 && (c->err[n - 1] == '\n' || c->err[n - 1] == ' '))
            c->err[--n] = '\0';
    }
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    snprintf(c->sqlstate, sizeof c->sqlstate, "%s", state ? state : "");
}

static void pg_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* NOTICEs (IF NOT EXISTS ...) are not the user's business */
}

int db_open(const char *location, int sqlite_flags, db_conn **out)
{
    db_conn *c = calloc(1, sizeof *c);
    *out = c;
    if (!c)
        return DB_ERROR;
    if (db_is_pg_url(location)) {
        c->backend = DB_PG;
        c->pg = PQconnectdb(location);
        if (!c->pg)
            return DB_ERROR;
        if (PQstatus(c->pg) != CONNECTION_OK) {
            pg_fail(c, NULL);
            return DB_ERROR;
        }
        PQsetNoticeProcessor(c->pg, pg_notice, NULL);
        return DB_OK;
    }
    c->backend = DB_SQLITE;
    return sqlite3_open_v2(location, &c->lite, sqlite_flags, NULL);
}

void db_close(db_conn *c)
{
    if (!c)
        return;
    if (c->pg)
        PQfinish(c->pg);
    sqlite3_close(c->lite);
    free(c->err);
    free(c);
}

db_backend db_backend_of(const db_conn *c)
{
    return c->backend;
}

void *db_handle(db_conn *c)
{
    return c->backend == DB_PG ? (void *)c->pg : (void *)c->lite;
}

int db_exec(db_conn *c, const char *script)
{
    if (c->backend == DB_SQLITE)
        return sqlite3_exec(c->lite, script, NULL, NULL, NULL);
    PGresult *r = PQexec(c->pg, script);
    ExecStatusType t = PQresultStatus(r);
    int rc = t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK ? DB_OK : DB_ERROR;
    if (rc != DB_OK)
        pg_fail(c, r);
    PQclear(r);
    return rc;
}

const char *db_errmsg(db_conn *c)
{
    if (c->backend == DB_SQLITE)
        return c->lite ? sqlite3_errmsg(c->lite) : "out of memory";
    return c->err ? c->err : "unknown error";
}

int db_errkind(db_conn *c, int rc)
{
    if (c->backend == DB_SQLITE) {
        int ext = c->lite ? sqlite3_extended_errcode(c->lite) : SQLITE_NOMEM;
        switch (rc & 0xff) {
        case SQLITE_CONSTRAINT:
            if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
                return DB_E_UNIQUE;
            if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
                return DB_E_FOREIGN;
            return DB_E_CONSTRAINT;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return DB_E_BUSY;
        case SQLITE_NOTADB:
            return DB_E_NOTADB;
        case SQLITE_NOMEM:
            return DB_E_NOMEM;
        default:
            return DB_E_OTHER;
        }
    }
    const char *s = c->sqlstate;
    if (strcmp(s, "23505") == 0)
        return DB_E_UNIQUE;
    if (strcmp(s, "23503") == 0)
        return DB_E_FOREIGN;
    if (strncmp(s, "23", 2) == 0)
        return DB_E_CONSTRAINT;
    if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0 || strcmp(s, "55P03") == 0)
        return DB_E_BUSY;
    if (strcmp(s, "53200") == 0)
        return DB_E_NOMEM;
    return DB_E_OTHER;
}

bool db_autocommit(db_conn *c)
{
    if (c->backend == DB_SQLITE)
        return sqlite3_get_autocommit(c->lite) != 0;
    return PQtransactionStatus(c->pg) == PQTRANS_IDLE;
}

int db_changes(db_conn *c)
{
    if (c->backend == DB_SQLITE)
        return sqlite3_changes(c->lite);
    return c->changes;
}

db_int64 db_last_insert_id(db_conn *c)
{
    if (c->backend == DB_SQLITE)
        return sqlite3_last_insert_rowid(c->lite);
    return c->last_id;
}

/* ---- statements --------------------------------------------------------- */

/* Rewrites ? and ?N to $N into st->sql, noting the parameters used. */
static int pg_translate(db_stmt *st, const char *sql)
{
    size_t n = strlen(sql);
    char *out = malloc(n * 2 + 32);
    if (!out)
        return DB_ERROR;
    size_t o = 0;
    int max = 0;
    char quote = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = sql[i];
        if (quote) {
            out[o++] = ch;
            if (ch == quote)
                quote = 0;
            continue;
        }
        if (ch == '\'' || ch == '"') {
            quote = ch;
            out[o++] = ch;
            continue;
        }
        if (ch != '?') {
            out[o++] = ch;
            continue;
        }
        int num = 0;
        while (i + 1 < n && sql[i + 1] >= '0' && sql[i + 1] <= '9')
            num = num * 10 + (sql[++i] - '0');
        if (num == 0)
            num = max + 1;
        if (num > DB_MAX_PARAMS) {
            free(out);
            return DB_ERROR;
        }
        if (num > max)
            max = num;
        st->used[num] = 1;
        o += (size_t)snprintf(out + o, 8, "$%d", num);
    }
    out[o] = '\0';
    /* an INSERT reports its new row's id through RETURNING (pg_execute reads it) */
    const char *p = sql;
    while (*p == ' ' || *p == '\n')
        p++;
    if (strncmp(p, "INSERT", 6) == 0 && !strstr(sql, "RETURNING")) {
        memcpy(out + o, " RETURNING *", 13);
        st->returning = 1;
    }
    st->sql = out;
    st->nparams = max;
    return DB_OK;
}

int db_prepare(db_conn *c, const char *sql, db_stmt **out)
{
    *out = NULL;
    db_stmt *st = calloc(1, sizeof *st);
    if (!st)
        return SQLITE_NOMEM;
    st->c = c;
    if (c->backend == DB_SQLITE) {
        int rc = sqlite3_prepare_v3(c->lite, sql, -1, SQLITE_PREPARE_PERSISTENT, &st->lite, NULL);
        if (rc != SQLITE_OK) {
            free(st);
            return rc;
        }
        *out = st;
        return DB_OK;
    }
    if (pg_translate(st, sql) != DB_OK) {
        free(st);
        free(c->err);
        c->err = strdup("a statement has too many parameters");
        c->sqlstate[0] = '\0';
        return DB_ERROR;
    }
    snprintf(st->name, sizeof st->name, "s%d", ++c->stmt_seq);
    *out = st;
    return DB_OK;
}

int db_prepare_stream(db_conn *c, const char *sql, db_stmt **out)
{
    int rc = db_prepare(c, sql, out);
    if (rc == DB_OK && c->backend == DB_PG)
        (*out)->stream = 1;
    return rc;
}

/* Reads what is left of a streamed query off the connection. */
static void pg_drain(db_stmt *st)
{
    PGresult *r;
    while (st->pending && (r = PQgetResult(st->c->pg)) != NULL)
        PQclear(r);
    st->pending = 0;
}

static void pg_clear_result(db_stmt *st)
{
    pg_drain(st);
    PQclear(st->res);
    st->res = NULL;
    PQfreemem(st->blob);
    st->blob = NULL;
    st->executed = 0;
    st->row = -1;
    st->nrows = 0;
}

void db_finalize(db_stmt *st)
{
    if (!st)
        return;
    if (st->c->backend == DB_SQLITE) {
        sqlite3_finalize(st->lite);
    } else {
        pg_clear_result(st);
        for (int i = 0; i < DB_MAX_PARAMS; i++)
            free(st->val[i]);
        free(st->sql);
    }
    free(st);
}

/* Stores a copy of bytes (len bytes; a text also gets a terminator) as parameter i. */
static int pg_bind(db_stmt *st, int i, const void *bytes, size_t len, int fmt, Oid type)
{
    if (i < 1 || i > DB_MAX_PARAMS)
        return SQLITE_RANGE;
    char *v = NULL;
    if (bytes) {
        v = malloc(len + 1);
        if (!v)
            return SQLITE_NOMEM;
        memcpy(v, bytes, len);
        v[len] = '\0';
    }
    free(st->val[i - 1]);
    st->val[i - 1] = v;
    st->len[i - 1] = (int)len;
    st->fmt[i - 1] = fmt;
    st->type[i - 1] = bytes ? type : 0;
    return DB_OK;
}

int db_bind_int64(db_stmt *st, int i, db_int64 v)
{
    if (st->c->backend == DB_SQLITE)
        return sqlite3_bind_int64(st->lite, i, v);
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%lld", v);
    return pg_bind(st, i, buf, (size_t)n, 0, OID_INT8);
}

int db_bind_int(db_stmt *st, int i, int v)
{
    if (st->c->backend == DB_SQLITE)
        return sqlite3_bind_int(st->lite, i, v);
    return db_bind_int64(st, i, v);
}

int db_bind_double(db_stmt *st, int i, double v)
{
    if (st->c->backend == DB_SQLITE)
        return sqlite3_bind_double(st->lite, i, v);
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%.17g", v);
    return pg_bind(st, i, buf, (size_t)n, 0, OID_FLOAT8);
}

int db_bind_text(db_stmt *st, int i, const char *v, int len, void (*destructor)(void *))
{
    if (st->c->backend == DB_SQLITE)
        return sqlite3_bind_text(st->lite, i, v, len, destructor);
    if (!v)
        return pg_bind(st, i, NULL, 0, 0, 0);
    return pg_bind(st, i, v, len < 0 ? strlen(v) : (size_t)len, 0, 0);
}

int db_bind_blob(db_stmt *st, int i, const void *v, int len, void (*destructor)(void *))
{
    if (st->c->backend == DB_SQLITE)
        return sqlite3_bind_blob(st->lite, i, v, len, destructor);
    return pg_bind(st, i, v, (size_t)len, 1, OID_BYTEA);
}

int db_bind_null(db_stmt *st, int i)
{
    if (st->c->backend == DB_SQLITE)
        return sqlite3_bind_null(st->lite, i);
    return pg_bind(st, i, NULL, 0, 0, 0);
}

int db_bind_parameter_count(db_stmt *st)
{
    if (st->c->backend == DB_SQLITE)
        return sqlite3_bind_parameter_count(st->lite);
    return st->nparams;
}

int db_clear_bindings(db_stmt *st)
{
    if (st->c->backend == DB_SQLITE)
        return sqlite3_clear_bindings(st->lite);
    for (int i = 0; i < st->nparams; i++)
        pg_bind(st, i + 1, NULL, 0, 0, 0);
    return DB_OK;
}

int db_reset(db_stmt *st)
{
    if (st->c->backend == DB_SQLITE)
        return sqlite3_reset(st->lite);
    pg_clear_result(st);
    return DB_OK;
}

/* The type to declare for parameter i: its value's, text when the SQL does not use it. */
static Oid pg_param_type(const db_stmt *st, int i)
{
    if (!st->used[i + 1])
        return OID_TEXT;
    return st->type[i];
}

/* Sends the statement with its bound values; DB_ROW/DB_DONE state is set up in st. */
static int pg_execute(db_stmt *st)
{
    db_conn *c = st->c;
    int n = st->nparams;
    const char *vals[DB_MAX_PARAMS];
    for (int i = 0; i < n; i++)
        vals[i] = st->val[i];
    int compatible = 1;
    if (st->prepared)
        for (int i = 0; i < n; i++)
            if (st->type[i] && st->prep_type[i] && st->type[i] != st->prep_type[i] &&
                st->used[i + 1])
                compatible = 0;
    PGresult *r;
    if (!st->prepared) {
        for (int i = 0; i < n; i++)
            st->prep_type[i] = pg_param_type(st, i);
        r = PQprepare(c->pg, st->name, st->sql, n, st->prep_type);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            pg_fail(c, r);
            PQclear(r);
            return DB_ERROR;
        }
        PQclear(r);
        st->prepared = 1;
    }
    if (st->stream) {
        Oid types[DB_MAX_PARAMS];
        for (int i = 0; i < n; i++)
            types[i] = pg_param_type(st, i);
        int sent = compatible
                       ? PQsendQueryPrepared(c->pg, st->name, n, vals, st->len, st->fmt, 0)
                       : PQsendQueryParams(c->pg, st->sql, n, types, vals, st->len, st->fmt, 0);
        if (!sent || !PQsetSingleRowMode(c->pg)) {
            pg_fail(c, NULL);
            st->pending = sent;
            pg_drain(st);
            return DB_ERROR;
        }
        st->pending = 1;
        st->executed = 1;
        st->row = -1;
        st->nrows = 0;
        return DB_OK;
    }
    if (compatible) {
        r = PQexecPrepared(c->pg, st->name, n, vals, st->len, st->fmt, 0);
    } else {
        Oid types[DB_MAX_PARAMS];
        for (int i = 0; i < n; i++)
            types[i] = pg_param_type(st, i);
        r = PQexecParams(c->pg, st->sql, n, types, vals, st->len, st->fmt, 0);
    }
    ExecStatusType t = PQresultStatus(r);
    if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
        pg_fail(c, r);
        PQclear(r);
        return DB_ERROR;
    }
    const char *status = PQcmdStatus(r);
    if (strncmp(status, "INSERT", 6) == 0 || strncmp(status, "UPDATE", 6) == 0 ||
        strncmp(status, "DELETE", 6) == 0)
        c->changes = (int)strtol(PQcmdTuples(r), NULL, 10);
    st->res = r;
    st->executed = 1;
    st->row = -1;
    st->nrows = t == PGRES_TUPLES_OK ? PQntuples(r) : 0;
    if (st->returning) {
        int col = PQfnumber(r, "id");
        c->last_id = col >= 0 && st->nrows > 0 ? strtoll(PQgetvalue(r, 0, col), NULL, 10) : 0;
        st->nrows = 0;
    }
    return DB_OK;
}

/* The next row of a streamed query: one PGresult each, then an empty one at the end. */
static int pg_step_stream(db_stmt *st)
{
    PQclear(st->res);
    st->res = NULL;
    st->row = -1;
    st->nrows = 0;
    if (!st->pending)
        return DB_DONE;
    PGresult *r = PQgetResult(st->c->pg);
    ExecStatusType t = PQresultStatus(r);
    if (t == PGRES_SINGLE_TUPLE) {
        st->res = r;
        st->row = 0;
        st->nrows = 1;
        return DB_ROW;
    }
    if (t == PGRES_TUPLES_OK || t == PGRES_COMMAND_OK) {
        st->res = r; /* no rows, but the columns' names and count */
        st->row = 0;
        pg_drain(st);
        return DB_DONE;
    }
    pg_fail(st->c, r);
    PQclear(r);
    pg_drain(st);
    return DB_ERROR;
}

int db_step(db_stmt *st)
{
    if (st->c->backend == DB_SQLITE)
        return sqlite3_step(st->lite);
    if (!st->executed && pg_execute(st) != DB_OK)
        return DB_ERROR;
    PQfreemem(st->blob);
    st->blob = NULL;
    if (st->stream)
        return pg_step_stream(st);
    if (st->row + 1 < st->nrows) {
        st->row++;
        return DB_ROW;
    }
    st->row = st->nrows;
    return DB_DONE;
}

/* ---- columns ------------------------------------------------------------ */

static int pg_null(const db_stmt *st, int i)
{
    return !st->res || st->row < 0 || st->row >= st->nrows || i < 0 || i >= PQnfields(st->res) ||
           PQgetisnull(st->res, st->row, i);
}

int db_column_type(db_stmt *st, int i)
{
    if (st->c->backend == DB_SQLITE)
        return sqlite3_column_type(st->lite, i);
    if (pg_null(st, i))
        return DB_NULL;
    switch (PQftype(st->res, i)) {
    case OID_BOOL:
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
    case OID_OID:
        return DB_INTEGER;
    case OID_FLOAT4:
    case OID_FLOAT8:
    case OID_NUMERIC:
        return DB_FLOAT;
    case OID_BYTEA:
        return DB_BLOB;
    default:
        return DB_TEXT;
    }
}

double db_column_double(db_stmt *st, int i)
{
    if (st->c->backend == DB_SQLITE)
        return sqlite3_column_double(st->lite, i);
    if (pg_null(st, i))
        return 0;
    const char *v = PQgetvalue(st->res, st->row, i);
    if (v[0] == 't' && v[1] == '\0')
        return 1;
    return strtod(v, NULL);
}

db_int64 db_column_int64(db_stmt *st, int i)
{
    if (st->c->backend == DB_SQLITE)
        return sqlite3_column_int64(st->lite, i);
    if (pg_null(st, i))
        return 0;
    const char *v = PQgetvalue(st->res, st->row, i);
    if (v[0] == 't' && v[1] == '\0')
        return 1;
    char *end;
    db_int64 n = strtoll(v, &end, 10);
    if (*end == '.' || *end == 'e' || *end == 'E')
        return (db_int64)strtod(v, NULL);
    return n;
}

int db_column_int(db_stmt *st, int i)
{
    if (st->c->backend == DB_SQLITE)
        return sqlite3_column_int(st->lite, i);
    return (int)db_column_int64(st, i);
}

const unsigned char *db_column_text(db_stmt *st, int i)
{
    if (st->c->backend == DB_SQLITE)
        return sqlite3_column_text(st->lite, i);
    if (pg_null(st, i))
        return NULL;
    return (const unsigned char *)PQgetvalue(st->res, st->row, i);
}

/* Decodes the bytea of column i of the current row into st->blob. */
static const void *pg_blob(db_stmt *st, int i)
{
    if (pg_null(st, i))
        return NULL;
    if (PQftype(st->res, i) != OID_BYTEA)
        return PQgetvalue(st->res, st->row, i);
    if (st->blob && st->blob_row == st->row && st->blob_col == i)
        return st->blob;
    PQfreemem(st->blob);
    st->blob =
        PQunescapeBytea((const unsigned char *)PQgetvalue(st->res, st->row, i), &st->blob_len);
    st->blob_row = st->row;
    st->blob_col = i;
    return st->blob;
}

const void *db_column_blob(db_stmt *st, int i)
{
    if (st->c->backend == DB_SQLITE)
        return sqlite3_column_blob(st->lite, i);
    return pg_blob(st, i);
}

int db_column_bytes(db_stmt *st, int i)
{
    if (st->c->backend == DB_SQLITE)
        return sqlite3_column_bytes(st->lite, i);
    if (pg_null(st, i))
        return 0;
    if (PQftype(st->res, i) == OID_BYTEA)
        return pg_blob(st, i) ? (int)st->blob_len : 0;
    return PQgetlength(st->res, st->row, i);
}

int db_column_count(db_stmt *st)
{
    if (st->c->backend == DB_SQLITE)
        return sqlite3_column_count(st->lite);
    return st->res ? PQnfields(st->res) : 0;
}

const char *db_column_name(db_stmt *st, int i)
{
    if (st->c->backend == DB_SQLITE)
        return sqlite3_column_name(st->lite, i);
    return st->res ? PQfname(st->res, i) : NULL;
}

/* ---- COPY --------------------------------------------------------------- */

int db_copy_begin(db_conn *c, const char *copy_sql)
{
    if (c->backend != DB_PG)
        return DB_ERROR;
    PGresult *r = PQexec(c->pg, copy_sql);
    int rc = PQresultStatus(r) == PGRES_COPY_IN ? DB_OK : DB_ERROR;
    if (rc != DB_OK)
        pg_fail(c, r);
    PQclear(r);
    return rc;
}

int db_copy_put(db_conn *c, const char *data, size_t len)
{
    if (PQputCopyData(c->pg, data, (int)len) != 1) {
        pg_fail(c, NULL);
        return DB_ERROR;
    }
    return DB_OK;
}

int db_copy_end(db_conn *c, bool abort)
{
    int rc = PQputCopyEnd(c->pg, abort ? "abandoned" : NULL) == 1 ? DB_OK : DB_ERROR;
    PGresult *r;
    while ((r = PQgetResult(c->pg)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            if (rc == DB_OK)
                pg_fail(c, r);
            rc = DB_ERROR;
        }
        PQclear(r);
    }
    return abort ? DB_ERROR : rc;
}
