/*
 * schema_pg.h - the PostgreSQL migrations, applied in order by sqlite.c.
 */
#ifndef PL_STORE_SCHEMA_PG_H
#define PL_STORE_SCHEMA_PG_H

extern const char *const store_pg_migrations[];
extern const int store_pg_migration_count;

#endif
