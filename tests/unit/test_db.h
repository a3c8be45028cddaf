/*
 * test_db.h - the database a store test runs on: a SQLite file, or, when
 * PEERLINK_TEST_PG holds the URL of a PostgreSQL server's `postgres`
 * database (scripts/pg-test sets it), a new database on that server.
 *
 * test_db_fresh() gives each test a location of its own: the SQLite path
 * it was given, or a new empty PostgreSQL database named after this
 * process and a counter; test_db_drop() removes what it made. Tests open
 * the location with store_open() whatever the backend, and read or poke
 * at it behind the store's back with test_db_exec() and test_db_int().
 */
#ifndef PL_TEST_DB_H
#define PL_TEST_DB_H

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline bool test_db_pg(void)
{
    const char *u = getenv("PEERLINK_TEST_PG");
    return u && *u;
}

/* The URL of database name on the test server (PEERLINK_TEST_PG with its path replaced). */
static inline void test_db_pg_url(const char *name, char *out, size_t n)
{
    const char *base = getenv("PEERLINK_TEST_PG");
    const char *slash = strstr(base, "/postgres");
    const char *rest = slash ? slash + strlen("/postgres") : "";
    snprintf(out, n, "%.*s/%s%s", slash ? (int)(slash - base) : (int)strlen(base), base, name,
             rest);
}

static inline void test_db_quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* "does not exist, skipping" and the like */
}

/* Runs sql on the server's maintenance database; returns the error message or NULL. */
static inline const char *test_db_admin(const char *sql, char *msg, size_t n)
{
    PGconn *c = PQconnectdb(getenv("PEERLINK_TEST_PG"));
    PQsetNoticeProcessor(c, test_db_quiet, NULL);
    PGresult *r = PQexec(c, sql);
    const char *out = NULL;
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        snprintf(msg, n, "%s", PQerrorMessage(c));
        out = msg;
    }
    PQclear(r);
    PQfinish(c);
    return out;
}

/* A fresh, empty database for this test: file itself, or a new PostgreSQL database. */
static inline void test_db_fresh(const char *file, char *out, size_t n)
{
    if (!test_db_pg()) {
        snprintf(out, n, "%s", file);
        return;
    }
    static int seq;
    char name[64], sql[160], msg[512];
    snprintf(name, sizeof name, "pltest_%ld_%d", (long)getpid(), ++seq);
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
    test_db_admin(sql, msg, sizeof msg);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    if (test_db_admin(sql, msg, sizeof msg)) {
        fprintf(stderr, "test_db_fresh: %s\n", msg);
        abort();
    }
    test_db_pg_url(name, out, n);
}

/* Drops a database test_db_fresh made (a SQLite file is the test's own to remove). */
static inline void test_db_drop(const char *location)
{
    if (strncmp(location, "postgresql://", 13) != 0)
        return;
    const char *name = strstr(location, "/pltest_");
    if (!name)
        return;
    char sql[160], msg[512];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %.*s WITH (FORCE)",
             (int)strcspn(name + 1, "?"), name + 1);
    test_db_admin(sql, msg, sizeof msg);
}

/* Runs a script on location outside the store; 0 when it ran, else the error in msg. */
static inline int test_db_exec(const char *location, const char *script, char *msg, size_t n)
{
    int rc;
    if (strncmp(location, "postgresql://", 13) == 0) {
        PGconn *c = PQconnectdb(location);
        PGresult *r = PQexec(c, script);
        ExecStatusType t = PQresultStatus(r);
        rc = t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK ? 0 : 1;
        snprintf(msg, n, "%s", rc ? PQresultErrorMessage(r) : "");
        PQclear(r);
        PQfinish(c);
        return rc;
    }
    sqlite3 *db;
    if (sqlite3_open(location, &db) != SQLITE_OK) {
        snprintf(msg, n, "cannot open %s", location);
        sqlite3_close(db);
        return 1;
    }
    rc = sqlite3_exec(db, script, NULL, NULL, NULL);
    snprintf(msg, n, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);
    return rc;
}

/* The integer the query on location returns in its first row and column (-1 on error). */
static inline int64_t test_db_int(const char *location, const char *query)
{
    int64_t v = -1;
    if (strncmp(location, "postgresql://", 13) == 0) {
        PGconn *c = PQconnectdb(location);
        PGresult *r = PQexec(c, query);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
            v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        PQfinish(c);
        return v;
    }
    sqlite3 *db;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open(location, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, query, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

#endif
