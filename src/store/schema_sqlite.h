/*
 * schema_sqlite.h - the SQLite migrations, applied in order by sqlite.c.
 */
#ifndef PL_STORE_SCHEMA_SQLITE_H
#define PL_STORE_SCHEMA_SQLITE_H

extern const char *const store_sqlite_migrations[];
extern const int store_sqlite_migration_count;

#endif
