/*
 * copy.c - store_copy(): a whole installation from one database to another
 * (a SQLite file to PostgreSQL, or back), verified, all or nothing.
 *
 * Both ends are first opened as stores, which brings each to the latest
 * schema (the target must hold no program yet). Then, on plain driver
 * connections: the tables are read from the source's catalog (every table
 * but schema_version and SQLite's FTS5 tables, which the target's triggers
 * or queries rebuild), ordered so that a table comes after the tables its
 * foreign keys name, and copied inside one transaction on the target.
 * On PostgreSQL the target's foreign keys and plain indexes are first set
 * aside (dropped, their definitions kept), the tables truncated, each
 * table's rows sent with one COPY ... FROM STDIN in COPY's text format
 * (backslash escapes, \N for NULL, bytea as hex), in pieces of about
 * 256 KiB; then the indexes are built again over the copied rows and the
 * foreign keys added again, which checks every row with one join, and the
 * identity sequences are moved past the copied ids. On SQLite the seeded
 * rows are deleted and each row inserted through one prepared INSERT, the
 * foreign keys checked at the commit. The source is read as one snapshot,
 * streamed (db_prepare_stream: on PostgreSQL one row in memory at a time).
 * Finally every table is read back (streamed too) and compared with the
 * source: its row count and a checksum (the sum of a 64-bit FNV-1a hash of
 * each row's values, so row order does not matter). Any failure or
 * difference rolls the transaction back, the dropped indexes and keys
 * included: the target is left with its schema and no rows. After the
 * commit, PostgreSQL's planner statistics are gathered (ANALYZE), so the
 * first queries on the copy already use its indexes well.
 *
 * Table and column names come from the databases' own catalogs, never from
 * the user; they are double-quoted into the statements this file builds.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"

#define COPY_TABLES_MAX 128
#define COPY_COLS_MAX   96
#define COPY_SQL_MAX    8192
#define COPY_ROW_MAX    (64u * 1024 * 1024) /* one row's COPY text: a ceiling */
#define COPY_CHUNK      (256u * 1024)       /* COPY data sent in pieces of about this size */
#define COPY_DEFS_MAX   1024                /* foreign keys and indexes set aside during a copy */

typedef struct copy_table {
    char name[64];
    int deps[COPY_TABLES_MAX]; /* indexes of the tables its foreign keys name */
    int ndeps;
    int placed;
} copy_table;

typedef struct copy_buf {
    char *p;
    size_t len, cap;
} copy_buf;

static int buf_put(copy_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (cap > COPY_ROW_MAX)
            return -1;
        char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/*
 * The canonical form of column i of st's row, the same on both backends:
 * its type and its text (integers in decimal, floats with 17 digits, blobs
 * as bytes). Returns the type; *text and *len point into buf or st.
 */
static int value_of(db_stmt *st, int i, char *buf, size_t bufsize, const char **text, size_t *len)
{
    int type = db_column_type(st, i);
    switch (type) {
    case DB_NULL:
        *text = "";
        *len = 0;
        break;
    case DB_INTEGER:
        *len = (size_t)snprintf(buf, bufsize, "%lld", db_column_int64(st, i));
        *text = buf;
        break;
    case DB_FLOAT:
        *len = (size_t)snprintf(buf, bufsize, "%.17g", db_column_double(st, i));
        *text = buf;
        break;
    case DB_BLOB:
        *text = db_column_blob(st, i);
        *len = (size_t)db_column_bytes(st, i);
        break;
    default:
        *text = (const char *)db_column_text(st, i);
        *len = (size_t)db_column_bytes(st, i);
        type = DB_TEXT;
        break;
    }
    if (!*text)
        *text = "";
    return type;
}

static uint64_t row_hash(db_stmt *st, int ncols)
{
    uint64_t h = 1469598103934665603ull;
    char buf[64];
    for (int i = 0; i < ncols; i++) {
        const char *t;
        size_t n;
        unsigned char tag = (unsigned char)value_of(st, i, buf, sizeof buf, &t, &n);
        h = fnv(h, &tag, 1);
        h = fnv(h, &n, sizeof n);
        h = fnv(h, t, n);
    }
    return h;
}

/* Runs a query of one text column on c, calling fn for each row. */
static pl_status query_names(db_conn *c, const char *sql, void (*fn)(void *, db_stmt *), void *ctx,
                             pl_err *err)
{
    db_stmt *st = NULL;
    int rc = db_prepare(c, sql, &st);
    if (rc == DB_OK)
        while ((rc = db_step(st)) == DB_ROW)
            fn(ctx, st);
    pl_status r = rc == DB_DONE ? PL_OK : sq_error(c, rc, err, "reading the catalog");
    db_finalize(st);
    return r;
}

typedef struct catalog {
    copy_table t[COPY_TABLES_MAX];
    int n;
    int overflow;
} catalog;

static void add_table(void *ctx, db_stmt *st)
{
    catalog *cat = ctx;
    const char *name = (const char *)db_column_text(st, 0);
    if (!name || strcmp(name, "schema_version") == 0 || strstr(name, "_fts"))
        return;
    if (cat->n == COPY_TABLES_MAX || strlen(name) >= sizeof cat->t[0].name) {
        cat->overflow = 1;
        return;
    }
    snprintf(cat->t[cat->n++].name, sizeof cat->t[0].name, "%s", name);
}

static int find_table(const catalog *cat, const char *name)
{
    for (int i = 0; name && i < cat->n; i++)
        if (strcmp(cat->t[i].name, name) == 0)
            return i;
    return -1;
}

static void add_edge(void *ctx, db_stmt *st)
{
    catalog *cat = ctx;
    int from = find_table(cat, (const char *)db_column_text(st, 0));
    int to = find_table(cat, (const char *)db_column_text(st, 1));
    if (from < 0 || to < 0 || from == to || cat->t[from].ndeps == COPY_TABLES_MAX)
        return;
    cat->t[from].deps[cat->t[from].ndeps++] = to;
}

/* The tables in an order where each follows those it refers to (order[], cat->n of them). */
static pl_status load_catalog(db_conn *src, catalog *cat, int *order, pl_err *err)
{
    int pg = db_backend_of(src) == DB_PG;
    pl_status r = query_names(src,
                              pg ? "SELECT tablename FROM pg_tables WHERE schemaname = "
                                   "current_schema() ORDER BY tablename"
                                 : "SELECT name FROM sqlite_master WHERE type = 'table' AND name "
                                   "NOT LIKE 'sqlite%' ORDER BY name",
                              add_table, cat, err);
    if (r == PL_OK)
        r = query_names(src,
                        pg ? "SELECT conrelid::regclass::text, confrelid::regclass::text FROM "
                             "pg_constraint WHERE contype = 'f'"
                           : "SELECT m.name, f.\"table\" FROM sqlite_master m, "
                             "pragma_foreign_key_list(m.name) f WHERE m.type = 'table'",
                        add_edge, cat, err);
    if (r != PL_OK)
        return r;
    if (cat->overflow)
        return pl_err_set(err, PL_LIMIT, "the database has more tables than a copy handles");
    for (int k = 0; k < cat->n; k++) {
        int pick = -1;
        for (int i = 0; i < cat->n && pick < 0; i++) {
            if (cat->t[i].placed)
                continue;
            int ready = 1;
            for (int d = 0; d < cat->t[i].ndeps; d++)
                if (!cat->t[cat->t[i].deps[d]].placed)
                    ready = 0;
            if (ready)
                pick = i;
        }
        if (pick < 0)
            return pl_err_set(err, PL_SCHEMA, "the tables' foreign keys form a cycle");
        cat->t[pick].placed = 1;
        order[k] = pick;
    }
    return PL_OK;
}

/* Appends v to b in COPY's text format (backslash escapes; blobs as bytea hex). */
static int copy_value(copy_buf *b, int type, const char *v, size_t n)
{
    if (type == DB_NULL)
        return buf_put(b, "\\N", 2);
    if (type == DB_BLOB) {
        static const char hex[] = "0123456789abcdef";
        if (buf_put(b, "\\\\x", 3))
            return -1;
        for (size_t i = 0; i < n; i++) {
            char h[2] = {hex[(unsigned char)v[i] >> 4], hex[(unsigned char)v[i] & 15]};
            if (buf_put(b, h, 2))
                return -1;
        }
        return 0;
    }
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        const char *esc = v[i] == '\\'   ? "\\\\"
                          : v[i] == '\n' ? "\\n"
                          : v[i] == '\r' ? "\\r"
                          : v[i] == '\t' ? "\\t"
                                         : NULL;
        if (!esc)
            continue;
        if (buf_put(b, v + start, i - start) || buf_put(b, esc, 2))
            return -1;
        start = i + 1;
    }
    return buf_put(b, v + start, n - start);
}

/* Binds the canonical value to parameter i of an INSERT on SQLite. */
static void bind_value(db_stmt *ins, int i, db_stmt *row, int col)
{
    switch (db_column_type(row, col)) {
    case DB_NULL:
        db_bind_null(ins, i);
        break;
    case DB_INTEGER:
        db_bind_int64(ins, i, db_column_int64(row, col));
        break;
    case DB_FLOAT:
        db_bind_double(ins, i, db_column_double(row, col));
        break;
    case DB_BLOB: {
        /* an empty blob reads as a NULL pointer: bound so, it would become NULL */
        const void *v = db_column_blob(row, col);
        db_bind_blob(ins, i, v ? v : "", db_column_bytes(row, col), DB_STATIC);
        break;
    }
    default:
        db_bind_text(ins, i, (const char *)db_column_text(row, col), db_column_bytes(row, col),
                     DB_STATIC);
        break;
    }
}

/* Copies one table; adds its rows and checksum to *rows and *sum. */
static pl_status copy_table_rows(db_conn *src, db_conn *dst, const char *table, int64_t *rows,
                                 uint64_t *sum, pl_err *err)
{
    char sql[COPY_SQL_MAX];
    snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", table);
    db_stmt *st = NULL, *ins = NULL;
    copy_buf b = {0};
    int copying = 0;
    pl_status r = PL_OK;
    int rc = db_prepare_stream(src, sql, &st);
    if (rc != DB_OK) {
        r = sq_error(src, rc, err, table);
        goto fail;
    }
    rc = db_step(st);
    int ncols = db_column_count(st);
    if (ncols < 1 || ncols > COPY_COLS_MAX) {
        r = pl_err_set(err, PL_LIMIT, "%s: %d columns", table, ncols);
        goto fail;
    }
    int pg = db_backend_of(dst) == DB_PG;
    size_t len =
        (size_t)snprintf(sql, sizeof sql, pg ? "COPY \"%s\" (" : "INSERT INTO \"%s\" (", table);
    for (int i = 0; i < ncols && len < sizeof sql; i++)
        len += (size_t)snprintf(sql + len, sizeof sql - len, "%s\"%s\"", i ? ", " : "",
                                db_column_name(st, i));
    if (pg) {
        len += (size_t)snprintf(sql + len, sizeof sql - len, ") FROM STDIN");
    } else {
        len += (size_t)snprintf(sql + len, sizeof sql - len, ") VALUES (");
        for (int i = 0; i < ncols && len < sizeof sql; i++)
            len += (size_t)snprintf(sql + len, sizeof sql - len, "%s?%d", i ? ", " : "", i + 1);
        len += (size_t)snprintf(sql + len, sizeof sql - len, ")");
    }
    if (len >= sizeof sql) {
        r = pl_err_set(err, PL_LIMIT, "%s: too many columns to copy", table);
        goto fail;
    }
    if (pg) {
        if (db_copy_begin(dst, sql) != DB_OK) {
            r = sq_error(dst, DB_ERROR, err, table);
            goto fail;
        }
        copying = 1;
    } else {
        int prc = db_prepare(dst, sql, &ins);
        if (prc != DB_OK) {
            r = sq_error(dst, prc, err, table);
            goto fail;
        }
    }
    for (; rc == DB_ROW; rc = db_step(st)) {
        *sum += row_hash(st, ncols);
        (*rows)++;
        if (!pg) {
            for (int i = 0; i < ncols; i++)
                bind_value(ins, i + 1, st, i);
            int irc = db_step(ins);
            db_reset(ins);
            if (irc != DB_DONE) {
                r = sq_error(dst, irc, err, table);
                goto fail;
            }
            continue;
        }
        char num[64];
        for (int i = 0; i < ncols; i++) {
            const char *v;
            size_t n;
            int type = value_of(st, i, num, sizeof num, &v, &n);
            if ((i && buf_put(&b, "\t", 1)) || copy_value(&b, type, v, n)) {
                r = pl_err_set(err, PL_LIMIT, "%s: a row larger than %u bytes", table,
                               COPY_ROW_MAX);
                goto fail;
            }
        }
        if (buf_put(&b, "\n", 1)) {
            r = pl_err_set(err, PL_LIMIT, "%s: a row larger than %u bytes", table, COPY_ROW_MAX);
            goto fail;
        }
        if (b.len >= COPY_CHUNK) {
            if (db_copy_put(dst, b.p, b.len) != DB_OK) {
                r = pl_err_set(err, PL_IO, "%s: %s", table, db_errmsg(dst));
                goto fail;
            }
            b.len = 0;
        }
    }
    if (rc != DB_DONE) {
        r = sq_error(src, rc, err, table);
        goto fail;
    }
    if (copying && b.len && db_copy_put(dst, b.p, b.len) != DB_OK) {
        r = pl_err_set(err, PL_IO, "%s: %s", table, db_errmsg(dst));
        goto fail;
    }
    if (copying) {
        copying = 0;
        if (db_copy_end(dst, false) != DB_OK) {
            r = sq_error(dst, DB_ERROR, err, table);
            goto fail;
        }
    }
fail:
    if (copying)
        db_copy_end(dst, true);
    db_finalize(ins);
    db_finalize(st);
    free(b.p);
    return r;
}

/* Reads a table back: its row count and checksum. */
static pl_status table_digest(db_conn *c, const char *table, int64_t *rows, uint64_t *sum,
                              pl_err *err)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", table);
    db_stmt *st = NULL;
    int rc = db_prepare_stream(c, sql, &st);
    *rows = 0;
    *sum = 0;
    if (rc == DB_OK) {
        int ncols = 0;
        while ((rc = db_step(st)) == DB_ROW) {
            if (!ncols)
                ncols = db_column_count(st);
            *sum += row_hash(st, ncols);
            (*rows)++;
        }
    }
    pl_status r = rc == DB_DONE ? PL_OK : sq_error(c, rc, err, table);
    db_finalize(st);
    return r;
}

/* Moves each identity sequence of PostgreSQL past the largest id copied. */
static pl_status reset_sequences(db_conn *dst, const catalog *cat, pl_err *err)
{
    for (int i = 0; i < cat->n; i++) {
        char sql[512];
        snprintf(sql, sizeof sql,
                 "SELECT setval(pg_get_serial_sequence('\"%s\"', 'id'), coalesce(max(id), 0) + 1, "
                 "false) FROM \"%s\"",
                 cat->t[i].name, cat->t[i].name);
        int has_id = 0;
        char probe[256];
        snprintf(probe, sizeof probe,
                 "SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                 "current_schema() AND table_name = '%s' AND column_name = 'id' AND is_identity "
                 "= 'YES'",
                 cat->t[i].name);
        db_stmt *st = NULL;
        int rc = db_prepare(dst, probe, &st);
        if (rc == DB_OK && (rc = db_step(st)) == DB_ROW)
            has_id = db_column_int(st, 0) > 0;
        db_finalize(st);
        if (rc != DB_ROW)
            return sq_error(dst, rc, err, cat->t[i].name);
        if (has_id && db_exec(dst, sql) != DB_OK)
            return sq_error(dst, DB_ERROR, err, cat->t[i].name);
    }
    return PL_OK;
}

/*
 * PostgreSQL's foreign keys and the indexes that back no constraint, set
 * aside while the rows are copied: the statements that drop them and the
 * ones that make them again (from pg_get_constraintdef/pg_get_indexdef).
 * Building an index once over the copied rows, and checking a foreign key
 * with one join, is many times faster than doing either row by row.
 */
typedef struct pg_defs {
    char *drop[COPY_DEFS_MAX];
    char *create[COPY_DEFS_MAX];
    int n;
    int overflow;
} pg_defs;

static void add_def(void *ctx, db_stmt *st)
{
    pg_defs *d = ctx;
    const char *drop = (const char *)db_column_text(st, 0);
    const char *create = (const char *)db_column_text(st, 1);
    if (!drop || !create)
        return;
    if (d->n == COPY_DEFS_MAX) {
        d->overflow = 1;
        return;
    }
    d->drop[d->n] = strdup(drop);
    d->create[d->n] = strdup(create);
    if (!d->drop[d->n] || !d->create[d->n])
        d->overflow = 1;
    d->n++;
}

static void free_defs(pg_defs *d)
{
    for (int i = 0; i < d->n; i++) {
        free(d->drop[i]);
        free(d->create[i]);
    }
    free(d);
}

/* Drops the target's foreign keys, then its plain indexes, noting how to make them again. */
static pl_status set_aside(db_conn *dst, pg_defs *d, pl_err *err)
{
    pl_status r = query_names(
        dst,
        "SELECT 'ALTER TABLE ' || conrelid::regclass || ' DROP CONSTRAINT ' || "
        "quote_ident(conname), 'ALTER TABLE ' || conrelid::regclass || ' ADD CONSTRAINT ' || "
        "quote_ident(conname) || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE "
        "contype = 'f' AND connamespace = current_schema()::regnamespace ORDER BY conname",
        add_def, d, err);
    if (r == PL_OK)
        r = query_names(dst,
                        "SELECT 'DROP INDEX ' || i.indexrelid::regclass, "
                        "pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class t ON t.oid "
                        "= i.indrelid WHERE t.relnamespace = current_schema()::regnamespace AND "
                        "NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = "
                        "i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', "
                        "'x')) ORDER BY 1",
                        add_def, d, err);
    if (r != PL_OK)
        return r;
    if (d->overflow)
        return pl_err_set(err, PL_LIMIT, "the target has more indexes than a copy handles");
    for (int i = 0; i < d->n; i++)
        if (db_exec(dst, d->drop[i]) != DB_OK)
            return sq_error(dst, DB_ERROR, err, "setting the indexes aside");
    return PL_OK;
}

/* Makes the indexes again, then the foreign keys (which check every copied row). */
static pl_status restore_defs(db_conn *dst, const pg_defs *d, pl_err *err)
{
    for (int i = d->n - 1; i >= 0; i--)
        if (db_exec(dst, d->create[i]) != DB_OK)
            return pl_err_set(err, PL_CONFLICT,
                              "the copied rows break a rule of the target (%s): %s", d->create[i],
                              db_errmsg(dst));
    return PL_OK;
}

/* Opens location as a store (migrating it) and checks what it holds. */
static pl_status prepare_end(const char *location, bool target, int *version, pl_err *err)
{
    store *s = NULL;
    store_options o = {.create = target};
    pl_status r = store_open(location, &o, &s, err);
    if (r != PL_OK)
        return r;
    *version = store_schema_version(s);
    store_counts n = {0};
    r = store_counts_get(s, &n, err);
    store_close(s);
    if (r == PL_OK && target && (n.org_units > 0 || n.staff_accounts > 0))
        r = pl_err_set(err, PL_CONFLICT,
                       "the target already holds a program or accounts: copy into a new, empty "
                       "database");
    return r;
}

pl_status store_copy(const char *from, const char *to, store_copy_report *rep, pl_err *err)
{
    memset(rep, 0, sizeof *rep);
    int vfrom = 0, vto = 0;
    pl_status r = prepare_end(from, false, &vfrom, err);
    if (r == PL_OK)
        r = prepare_end(to, true, &vto, err);
    if (r != PL_OK)
        return r;
    if (vfrom != vto)
        return pl_err_set(err, PL_SCHEMA, "the two databases have schema versions %d and %d", vfrom,
                          vto);
    db_conn *src = NULL, *dst = NULL;
    catalog *cat = calloc(1, sizeof *cat);
    pg_defs *defs = NULL;
    int order[COPY_TABLES_MAX] = {0};
    int in_tx = 0;
    if (!cat) {
        r = pl_err_set(err, PL_NOMEM, "out of memory");
        goto fail;
    }
    if (db_open(from, SQLITE_OPEN_READONLY, &src) != DB_OK ||
        db_open(to, SQLITE_OPEN_READWRITE, &dst) != DB_OK) {
        r = pl_err_set(err, PL_IO, "cannot open the databases again: %s",
                       db_errmsg(dst ? dst : src));
        goto fail;
    }
    if ((r = load_catalog(src, cat, order, err)) != PL_OK)
        goto fail;
    int dst_pg = db_backend_of(dst) == DB_PG;
    /* the source read as one snapshot; the target written as one transaction */
    if (db_exec(src, db_backend_of(src) == DB_PG ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                                                 : "BEGIN") != DB_OK ||
        db_exec(dst, dst_pg ? "BEGIN"
                            : "PRAGMA foreign_keys = ON; BEGIN IMMEDIATE; "
                              "PRAGMA defer_foreign_keys = ON") != DB_OK) {
        r = pl_err_set(err, PL_IO, "cannot begin the copy: %s", db_errmsg(dst));
        goto fail;
    }
    in_tx = 1;
    if (dst_pg) {
        defs = calloc(1, sizeof *defs);
        if (!defs) {
            r = pl_err_set(err, PL_NOMEM, "out of memory");
            goto fail;
        }
        if (db_exec(dst, "SET LOCAL maintenance_work_mem = '256MB'") != DB_OK) {
            r = sq_error(dst, DB_ERROR, err, "maintenance_work_mem");
            goto fail;
        }
        if ((r = set_aside(dst, defs, err)) != PL_OK)
            goto fail;
    }
    /* the rows the target's migrations seeded go (PostgreSQL: TRUNCATE, nothing to check) */
    for (int k = cat->n - 1; k >= 0; k--) {
        char sql[128];
        snprintf(sql, sizeof sql, dst_pg ? "TRUNCATE \"%s\"" : "DELETE FROM \"%s\"",
                 cat->t[order[k]].name);
        if (db_exec(dst, sql) != DB_OK) {
            r = sq_error(dst, DB_ERROR, err, cat->t[order[k]].name);
            goto fail;
        }
    }
    for (int k = 0; k < cat->n && r == PL_OK; k++) {
        store_copy_table *t = &rep->tables[rep->ntables++];
        snprintf(t->name, sizeof t->name, "%s", cat->t[order[k]].name);
        r = copy_table_rows(src, dst, t->name, &t->rows, &t->checksum, err);
    }
    if (r == PL_OK && dst_pg)
        r = restore_defs(dst, defs, err);
    if (r == PL_OK && dst_pg)
        r = reset_sequences(dst, cat, err);
    for (int k = 0; k < rep->ntables && r == PL_OK; k++) {
        store_copy_table *t = &rep->tables[k];
        int64_t rows;
        uint64_t sum;
        r = table_digest(dst, t->name, &rows, &sum, err);
        if (r == PL_OK && (rows != t->rows || sum != t->checksum))
            r = pl_err_set(err, PL_IO,
                           "%s: the copy differs from the source (%lld rows, checksum %016llx; "
                           "source %lld rows, %016llx): nothing was copied",
                           t->name, (long long)rows, (unsigned long long)sum, (long long)t->rows,
                           (unsigned long long)t->checksum);
    }
    if (r == PL_OK && db_exec(dst, "COMMIT") != DB_OK)
        r = pl_err_set(err, PL_IO, "the copy's commit failed: %s", db_errmsg(dst));
    in_tx = r != PL_OK;
    /* the planner's statistics of the new rows now, not at autovacuum's next visit */
    if (r == PL_OK && dst_pg && db_exec(dst, "ANALYZE") != DB_OK)
        r = pl_err_set(err, PL_IO, "the copy is committed, but ANALYZE failed: %s", db_errmsg(dst));
fail:
    if (in_tx)
        db_exec(dst, "ROLLBACK");
    db_close(src);
    db_close(dst);
    free(cat);
    if (defs)
        free_defs(defs);
    if (r != PL_OK)
        rep->ntables = 0;
    return r;
}
