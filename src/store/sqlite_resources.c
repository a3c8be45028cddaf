/*
 * sqlite_resources.c - the community resource directory of store.h in
 * SQLite: import (upsert by HSDS id, child lists replaced), the whole
 * directory for export, one service, and the search.
 *
 * Import order follows the references: taxonomy terms, organizations,
 * locations (which name an organization), services (an organization and
 * terms), service-at-locations (a service and a location). A reference is
 * looked up by HSDS id after the entities it may name were written, so it
 * finds them whether they came in this document or an earlier one.
 *
 * Reads fill arena arrays that grow by doubling (a child list never holds
 * more than STORE_RSC_MAX_CHILDREN rows, a directory never more than
 * STORE_RSC_MAX_ENTITIES entities: PL_LIMIT past either). Search: the free
 * text goes through the FTS5 table resource_service_fts, whose query is
 * built here from the words of the text, each a quoted prefix. On
 * PostgreSQL the same words become a tsquery of prefixes matched against
 * the service's names and description, accents removed on both sides
 * (unaccent), as FTS5's remove_diacritics does.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sqlite_int.h"

static const char *const kind_label[STORE_RSC__KINDS] = {"organization", "location", "service",
                                                         "service_at_location", "taxonomy term"};

/* ---- statements ------------------------------------------------------------ */

static const char SQL_PROGRAM_KIND[] = "SELECT kind FROM org_unit WHERE id = ?";

static const char SQL_TERM_FIND[] =
    "SELECT id FROM resource_term WHERE program_id = ?1 AND hsds_id = ?2";
static const char SQL_TERM_INSERT[] =
    "INSERT INTO resource_term (program_id, hsds_id, code, name, description, parent_hsds_id, "
    "taxonomy, language, term_uri) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char SQL_TERM_UPDATE[] =
    "UPDATE resource_term SET code = ?3, name = ?4, description = ?5, parent_hsds_id = ?6, "
    "taxonomy = ?7, language = ?8, term_uri = ?9 WHERE program_id = ?1 AND hsds_id = ?2";

static const char SQL_ORG_FIND[] =
    "SELECT id FROM resource_organization WHERE program_id = ?1 AND hsds_id = ?2";
static const char SQL_ORG_INSERT[] =
    "INSERT INTO resource_organization (program_id, hsds_id, name, alternate_name, description, "
    "email, website, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_ORG_UPDATE[] =
    "UPDATE resource_organization SET name = ?3, alternate_name = ?4, description = ?5, "
    "email = ?6, website = ?7, updated_at = ?8 WHERE program_id = ?1 AND hsds_id = ?2";

static const char SQL_LOC_FIND[] =
    "SELECT id FROM resource_location WHERE program_id = ?1 AND hsds_id = ?2";
static const char SQL_LOC_INSERT[] =
    "INSERT INTO resource_location (program_id, hsds_id, organization_id, location_type, name, "
    "alternate_name, description, transportation, latitude, longitude, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
static const char SQL_LOC_UPDATE[] =
    "UPDATE resource_location SET organization_id = coalesce(?3, organization_id), "
    "location_type = ?4, name = ?5, "
    "alternate_name = ?6, description = ?7, transportation = ?8, latitude = ?9, longitude = ?10, "
    "updated_at = ?11 WHERE program_id = ?1 AND hsds_id = ?2";

static const char SQL_SVC_FIND[] =
    "SELECT id FROM resource_service WHERE program_id = ?1 AND hsds_id = ?2";
static const char SQL_SVC_INSERT[] =
    "INSERT INTO resource_service (program_id, hsds_id, organization_id, name, alternate_name, "
    "description, url, email, status, interpretation_services, application_process, "
    "fees_description, eligibility_description, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
static const char SQL_SVC_UPDATE[] =
    "UPDATE resource_service SET organization_id = ?3, name = ?4, alternate_name = ?5, "
    "description = ?6, url = ?7, email = ?8, status = ?9, interpretation_services = ?10, "
    "application_process = ?11, fees_description = ?12, eligibility_description = ?13, "
    "updated_at = ?14 WHERE program_id = ?1 AND hsds_id = ?2";

static const char SQL_SAL_FIND[] =
    "SELECT id FROM resource_service_at_location WHERE program_id = ?1 AND hsds_id = ?2";
static const char SQL_SAL_INSERT[] =
    "INSERT INTO resource_service_at_location (program_id, hsds_id, service_id, location_id, "
    "description) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_SAL_UPDATE[] =
    "UPDATE resource_service_at_location SET service_id = ?3, location_id = ?4, description = ?5 "
    "WHERE program_id = ?1 AND hsds_id = ?2";

static const char SQL_PHONE_LANG_DELETE[] =
    "DELETE FROM resource_language WHERE owner_kind = 'phone' AND owner_id IN "
    "(SELECT id FROM resource_phone WHERE owner_kind = ?1 AND owner_id = ?2)";
static const char SQL_PHONE_DELETE[] =
    "DELETE FROM resource_phone WHERE owner_kind = ?1 AND owner_id = ?2";
static const char SQL_PHONE_INSERT[] =
    "INSERT INTO resource_phone (owner_kind, owner_id, position, hsds_id, number, extension, "
    "type, description) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_LANG_DELETE[] =
    "DELETE FROM resource_language WHERE owner_kind = ?1 AND owner_id = ?2";
static const char SQL_LANG_INSERT[] =
    "INSERT INTO resource_language (owner_kind, owner_id, position, hsds_id, name, code, note) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_SCHED_DELETE[] =
    "DELETE FROM resource_schedule WHERE owner_kind = ?1 AND owner_id = ?2";
static const char SQL_SCHED_INSERT[] =
    "INSERT INTO resource_schedule (owner_kind, owner_id, position, hsds_id, freq, interval, "
    "byday, opens_at, closes_at, valid_from, valid_to, description) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
static const char SQL_ADDR_DELETE[] = "DELETE FROM resource_address WHERE location_id = ?1";
static const char SQL_ADDR_INSERT[] =
    "INSERT INTO resource_address (location_id, position, hsds_id, attention, address_1, "
    "address_2, city, region, state_province, postal_code, country, address_type) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
static const char SQL_ATTR_DELETE[] = "DELETE FROM resource_attribute WHERE service_id = ?1";
static const char SQL_ATTR_INSERT[] =
    "INSERT INTO resource_attribute (service_id, term_id, position, hsds_id, value, label) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/* reads */
static const char SQL_BEGIN[] = "BEGIN";
static const char SQL_BEGIN_PG[] = "BEGIN ISOLATION LEVEL REPEATABLE READ";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";
static const char SQL_DIR_COUNT[] =
    "SELECT (SELECT count(*) FROM resource_organization WHERE program_id = ?1) + "
    "(SELECT count(*) FROM resource_location WHERE program_id = ?1) + "
    "(SELECT count(*) FROM resource_service WHERE program_id = ?1) + "
    "(SELECT count(*) FROM resource_service_at_location WHERE program_id = ?1) + "
    "(SELECT count(*) FROM resource_term WHERE program_id = ?1)";
static const char SQL_ORG_ALL[] =
    "SELECT id, hsds_id, name, alternate_name, description, email, website "
    "FROM resource_organization WHERE program_id = ? ORDER BY hsds_id";
#define LOC_COLS                                                                                   \
    "l.id, l.hsds_id, o.hsds_id, l.location_type, l.name, l.alternate_name, l.description, "       \
    "l.transportation, l.latitude, l.longitude"
static const char SQL_LOC_ALL[] =
    "SELECT " LOC_COLS " FROM resource_location l LEFT JOIN resource_organization o "
    "ON o.id = l.organization_id WHERE l.program_id = ? ORDER BY l.hsds_id";
static const char SQL_LOC_OF_SERVICE[] =
    "SELECT " LOC_COLS " FROM resource_service_at_location sal JOIN resource_location l "
    "ON l.id = sal.location_id LEFT JOIN resource_organization o ON o.id = l.organization_id "
    "WHERE sal.service_id = ? ORDER BY sal.hsds_id";
#define SVC_COLS                                                                                   \
    "s.id, s.program_id, s.hsds_id, o.hsds_id, s.name, s.alternate_name, s.description, s.url, "   \
    "s.email, s.status, s.interpretation_services, s.application_process, s.fees_description, "    \
    "s.eligibility_description, s.updated_at, s.organization_id, o.name"
#define SVC_FROM " FROM resource_service s JOIN resource_organization o ON o.id = s.organization_id"
static const char SQL_SVC_ALL[] =
    "SELECT " SVC_COLS SVC_FROM " WHERE s.program_id = ? ORDER BY s.hsds_id";
static const char SQL_SVC_GET[] = "SELECT " SVC_COLS SVC_FROM " WHERE s.id = ?";
static const char SQL_SAL_ALL[] =
    "SELECT sal.id, sal.hsds_id, s.hsds_id, l.hsds_id, sal.description "
    "FROM resource_service_at_location sal JOIN resource_service s ON s.id = sal.service_id "
    "JOIN resource_location l ON l.id = sal.location_id WHERE sal.program_id = ? "
    "ORDER BY sal.hsds_id";
#define TERM_COLS                                                                                  \
    "t.id, t.hsds_id, t.code, t.name, t.description, t.parent_hsds_id, t.taxonomy, t.language, "   \
    "t.term_uri"
static const char SQL_TERM_ALL[] =
    "SELECT " TERM_COLS " FROM resource_term t WHERE t.program_id = ? ORDER BY t.hsds_id";
static const char SQL_PHONE_OF[] =
    "SELECT id, hsds_id, number, extension, type, description FROM resource_phone "
    "WHERE owner_kind = ?1 AND owner_id = ?2 ORDER BY position";
static const char SQL_LANG_OF[] = "SELECT hsds_id, name, code, note FROM resource_language "
                                  "WHERE owner_kind = ?1 AND owner_id = ?2 ORDER BY position";
static const char SQL_SCHED_OF[] =
    "SELECT hsds_id, freq, interval, byday, opens_at, closes_at, valid_from, valid_to, "
    "description FROM resource_schedule WHERE owner_kind = ?1 AND owner_id = ?2 "
    "ORDER BY position";
static const char SQL_ADDR_OF[] =
    "SELECT hsds_id, attention, address_1, address_2, city, region, state_province, "
    "postal_code, country, address_type FROM resource_address WHERE location_id = ? "
    "ORDER BY position";
static const char SQL_ATTR_OF[] = "SELECT a.hsds_id, a.value, a.label, " TERM_COLS
                                  " FROM resource_attribute a JOIN resource_term t "
                                  "ON t.id = a.term_id WHERE a.service_id = ? ORDER BY a.position";

/* ---- small helpers ------------------------------------------------------------- */

/* A slot for one more item of *arr (n used, *cap allocated), growing it in the arena. */
static void *grow(pl_arena *a, void **arr, int n, int *cap, size_t size)
{
    if (n >= *cap) {
        int ncap = *cap ? *cap * 2 : 8;
        char *bigger = pl_arena_alloc(a, size * (size_t)ncap);
        if (!bigger)
            return NULL;
        if (n)
            memcpy(bigger, *arr, size * (size_t)n);
        *arr = bigger;
        *cap = ncap;
    }
    return (char *)*arr + size * (size_t)n;
}

static pl_status out_of_memory(pl_err *err)
{
    return pl_err_set(err, PL_LIMIT, "the directory is larger than the request memory limit");
}

static pl_status too_many(pl_err *err, const char *what)
{
    return pl_err_set(err, PL_LIMIT, "more than %d %s on one record", STORE_RSC_MAX_CHILDREN, what);
}

static void bind_double(db_stmt *st, int i, bool present, double v)
{
    if (present)
        db_bind_double(st, i, v);
    else
        db_bind_null(st, i);
}

/* The id of (program, hsds_id) with a *_FIND statement; PL_NOTFOUND when none. */
static pl_status find_id(conn *c, const char *sqltext, pl_id program_id, const char *hsds_id,
                         pl_id *id, pl_err *err)
{
    *id = 0;
    db_stmt *st = sq_stmt(c, sqltext, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, program_id);
    db_bind_text(st, 2, hsds_id ? hsds_id : "", -1, DB_STATIC);
    int rc = db_step(st);
    pl_status r = PL_OK;
    if (rc == DB_ROW)
        *id = db_column_int64(st, 0);
    else if (rc == DB_DONE)
        r = PL_NOTFOUND;
    else
        r = sq_error(c->db, rc, err, "directory");
    db_reset(st);
    db_clear_bindings(st);
    return r;
}

/* Fills the parameters from ?3 on of an insert or update (?1 program, ?2 hsds_id). */
typedef void (*bind_fn)(db_stmt *st, const void *rec, const pl_id *refs, pl_time now);

/* Creates or updates one entity by its HSDS id; *id is its row id. */
static pl_status upsert(store_tx *tx, store_rsc_kind kind, const char *find_sql,
                        const char *insert_sql, const char *update_sql, pl_id program_id,
                        const char *hsds_id, bind_fn bind, const void *rec, const pl_id *refs,
                        pl_time now, store_rsc_import_counts *counts, pl_id *id, pl_err *err)
{
    *id = 0;
    pl_status r = find_id(tx->c, find_sql, program_id, hsds_id, id, err);
    if (r != PL_OK && r != PL_NOTFOUND)
        return r;
    bool exists = r == PL_OK;
    db_stmt *st = sq_stmt(tx->c, exists ? update_sql : insert_sql, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, program_id);
    db_bind_text(st, 2, hsds_id, -1, DB_STATIC);
    bind(st, rec, refs, now);
    if (exists) {
        r = sq_step_done(tx->c, st, NULL, err, kind_label[kind]);
        counts->updated[kind] += r == PL_OK;
    } else {
        r = sq_step_insert(tx->c, st, id, err, kind_label[kind]);
        counts->created[kind] += r == PL_OK;
    }
    return r;
}

/* ---- import: child lists ------------------------------------------------------- */

static pl_status delete_owned(conn *c, const char *sqltext, const char *kind, pl_id owner,
                              pl_err *err)
{
    db_stmt *st = sq_stmt(c, sqltext, err);
    if (!st)
        return err->status;
    int i = 1;
    if (kind)
        db_bind_text(st, i++, kind, -1, DB_STATIC);
    db_bind_int64(st, i, owner);
    return sq_step_done(c, st, NULL, err, "directory");
}

static pl_status put_languages(conn *c, const char *kind, pl_id owner, const store_rsc_language *l,
                               int n, store_rsc_import_counts *counts, pl_err *err)
{
    pl_status r = delete_owned(c, SQL_LANG_DELETE, kind, owner, err);
    for (int i = 0; i < n && r == PL_OK; i++) {
        db_stmt *st = sq_stmt(c, SQL_LANG_INSERT, err);
        if (!st)
            return err->status;
        pl_id id;
        db_bind_text(st, 1, kind, -1, DB_STATIC);
        db_bind_int64(st, 2, owner);
        db_bind_int(st, 3, i);
        sq_bind_text(st, 4, l[i].hsds_id);
        sq_bind_text(st, 5, l[i].name);
        sq_bind_text(st, 6, l[i].code);
        sq_bind_text(st, 7, l[i].note);
        r = sq_step_insert(c, st, &id, err, "language");
        counts->languages += r == PL_OK;
    }
    return r;
}

static pl_status put_phones(conn *c, const char *kind, pl_id owner, const store_rsc_phone *p, int n,
                            store_rsc_import_counts *counts, pl_err *err)
{
    pl_status r = delete_owned(c, SQL_PHONE_LANG_DELETE, kind, owner, err);
    if (r == PL_OK)
        r = delete_owned(c, SQL_PHONE_DELETE, kind, owner, err);
    for (int i = 0; i < n && r == PL_OK; i++) {
        db_stmt *st = sq_stmt(c, SQL_PHONE_INSERT, err);
        if (!st)
            return err->status;
        pl_id id = 0;
        db_bind_text(st, 1, kind, -1, DB_STATIC);
        db_bind_int64(st, 2, owner);
        db_bind_int(st, 3, i);
        sq_bind_text(st, 4, p[i].hsds_id);
        sq_bind_text(st, 5, p[i].number);
        if (p[i].extension >= 0)
            db_bind_int(st, 6, p[i].extension);
        else
            db_bind_null(st, 6);
        sq_bind_text(st, 7, p[i].type);
        sq_bind_text(st, 8, p[i].description);
        r = sq_step_insert(c, st, &id, err, "phone");
        if (r == PL_OK) {
            counts->phones++;
            r = put_languages(c, "phone", id, p[i].languages, p[i].nlanguages, counts, err);
        }
    }
    return r;
}

static pl_status put_schedules(conn *c, const char *kind, pl_id owner, const store_rsc_schedule *s,
                               int n, store_rsc_import_counts *counts, pl_err *err)
{
    pl_status r = delete_owned(c, SQL_SCHED_DELETE, kind, owner, err);
    for (int i = 0; i < n && r == PL_OK; i++) {
        db_stmt *st = sq_stmt(c, SQL_SCHED_INSERT, err);
        if (!st)
            return err->status;
        pl_id id;
        db_bind_text(st, 1, kind, -1, DB_STATIC);
        db_bind_int64(st, 2, owner);
        db_bind_int(st, 3, i);
        sq_bind_text(st, 4, s[i].hsds_id);
        sq_bind_text(st, 5, s[i].freq);
        if (s[i].interval > 0)
            db_bind_int(st, 6, s[i].interval);
        else
            db_bind_null(st, 6);
        sq_bind_text(st, 7, s[i].byday);
        sq_bind_text(st, 8, s[i].opens_at);
        sq_bind_text(st, 9, s[i].closes_at);
        sq_bind_date(st, 10, s[i].valid_from);
        sq_bind_date(st, 11, s[i].valid_to);
        sq_bind_text(st, 12, s[i].description);
        r = sq_step_insert(c, st, &id, err, "schedule");
        counts->schedules += r == PL_OK;
    }
    return r;
}

static pl_status put_addresses(conn *c, pl_id location, const store_rsc_address *ad, int n,
                               store_rsc_import_counts *counts, pl_err *err)
{
    pl_status r = delete_owned(c, SQL_ADDR_DELETE, NULL, location, err);
    for (int i = 0; i < n && r == PL_OK; i++) {
        db_stmt *st = sq_stmt(c, SQL_ADDR_INSERT, err);
        if (!st)
            return err->status;
        pl_id id;
        db_bind_int64(st, 1, location);
        db_bind_int(st, 2, i);
        sq_bind_text(st, 3, ad[i].hsds_id);
        sq_bind_text(st, 4, ad[i].attention);
        sq_bind_text(st, 5, ad[i].address_1);
        sq_bind_text(st, 6, ad[i].address_2);
        sq_bind_text(st, 7, ad[i].city);
        sq_bind_text(st, 8, ad[i].region);
        sq_bind_text(st, 9, ad[i].state_province);
        sq_bind_text(st, 10, ad[i].postal_code);
        sq_bind_text(st, 11, ad[i].country);
        sq_bind_text(st, 12, ad[i].address_type);
        r = sq_step_insert(c, st, &id, err, "address");
        counts->addresses += r == PL_OK;
    }
    return r;
}

static pl_status put_attributes(conn *c, pl_id program_id, const store_rsc_service *s,
                                store_rsc_import_counts *counts, pl_err *err)
{
    pl_status r = delete_owned(c, SQL_ATTR_DELETE, NULL, s->id, err);
    for (int i = 0; i < s->nattributes && r == PL_OK; i++) {
        const store_rsc_attribute *at = &s->attributes[i];
        pl_id term = 0;
        r = find_id(c, SQL_TERM_FIND, program_id, at->term.hsds_id, &term, err);
        if (r == PL_NOTFOUND) {
            char field[64];
            snprintf(field, sizeof field, "%s.attributes[%d].taxonomy_term_id",
                     s->path ? s->path : "service", i);
            pl_err_field(err, field, "no taxonomy term has id %s in this document or the directory",
                         at->term.hsds_id ? at->term.hsds_id : "(none)");
            return PL_INVALID;
        }
        if (r != PL_OK)
            return r;
        db_stmt *st = sq_stmt(c, SQL_ATTR_INSERT, err);
        if (!st)
            return err->status;
        pl_id id;
        db_bind_int64(st, 1, s->id);
        db_bind_int64(st, 2, term);
        db_bind_int(st, 3, i);
        sq_bind_text(st, 4, at->hsds_id);
        sq_bind_text(st, 5, at->value);
        sq_bind_text(st, 6, at->label);
        r = sq_step_insert(c, st, &id, err, "attribute");
        counts->attributes += r == PL_OK;
    }
    return r;
}

/* ---- import: entities ------------------------------------------------------------ */

static void bind_term(db_stmt *st, const void *rec, const pl_id *refs, pl_time now)
{
    const store_rsc_term *t = rec;
    (void)refs;
    (void)now;
    sq_bind_text(st, 3, t->code);
    sq_bind_text(st, 4, t->name);
    sq_bind_text(st, 5, t->description);
    sq_bind_text(st, 6, t->parent_id);
    sq_bind_text(st, 7, t->taxonomy);
    sq_bind_text(st, 8, t->language);
    sq_bind_text(st, 9, t->term_uri);
}

static void bind_org(db_stmt *st, const void *rec, const pl_id *refs, pl_time now)
{
    const store_rsc_org *o = rec;
    (void)refs;
    sq_bind_text(st, 3, o->name);
    sq_bind_text(st, 4, o->alternate_name);
    sq_bind_text(st, 5, o->description);
    sq_bind_text(st, 6, o->email);
    sq_bind_text(st, 7, o->website);
    db_bind_int64(st, 8, now);
}

static void bind_location(db_stmt *st, const void *rec, const pl_id *refs, pl_time now)
{
    const store_rsc_location *l = rec;
    sq_bind_id(st, 3, refs[0]);
    sq_bind_text(st, 4, l->location_type);
    sq_bind_text(st, 5, l->name);
    sq_bind_text(st, 6, l->alternate_name);
    sq_bind_text(st, 7, l->description);
    sq_bind_text(st, 8, l->transportation);
    bind_double(st, 9, l->has_coordinates, l->latitude);
    bind_double(st, 10, l->has_coordinates, l->longitude);
    db_bind_int64(st, 11, now);
}

static void bind_service(db_stmt *st, const void *rec, const pl_id *refs, pl_time now)
{
    const store_rsc_service *s = rec;
    sq_bind_id(st, 3, refs[0]);
    sq_bind_text(st, 4, s->name);
    sq_bind_text(st, 5, s->alternate_name);
    sq_bind_text(st, 6, s->description);
    sq_bind_text(st, 7, s->url);
    sq_bind_text(st, 8, s->email);
    sq_bind_text(st, 9, s->status);
    sq_bind_text(st, 10, s->interpretation_services);
    sq_bind_text(st, 11, s->application_process);
    sq_bind_text(st, 12, s->fees_description);
    sq_bind_text(st, 13, s->eligibility_description);
    db_bind_int64(st, 14, now);
}

static void bind_sal(db_stmt *st, const void *rec, const pl_id *refs, pl_time now)
{
    const store_rsc_sal *s = rec;
    (void)now;
    sq_bind_id(st, 3, refs[0]);
    sq_bind_id(st, 4, refs[1]);
    sq_bind_text(st, 5, s->description);
}

/* Resolves a reference by HSDS id; a missing one is a field error at path.field. */
static pl_status resolve(conn *c, const char *find_sql, pl_id program_id, const char *hsds_id,
                         const char *path, const char *field, const char *what, pl_id *id,
                         pl_err *err)
{
    pl_status r = find_id(c, find_sql, program_id, hsds_id, id, err);
    if (r != PL_NOTFOUND)
        return r;
    char name[64];
    snprintf(name, sizeof name, "%s%s%s", path ? path : "", path && *path ? "." : "", field);
    pl_err_field(err, name, "no %s has id %s in this document or the directory", what, hsds_id);
    return PL_INVALID;
}

static pl_status program_check(store_tx *tx, pl_id program_id, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_PROGRAM_KIND, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, program_id);
    int rc = db_step(st);
    bool program = rc == DB_ROW && strcmp((const char *)db_column_text(st, 0), "program") == 0;
    db_reset(st);
    if (rc != DB_ROW && rc != DB_DONE)
        return sq_error(tx->c->db, rc, err, "org unit");
    if (!program) {
        pl_err_field(err, "program_id",
                     "must be the id of a program (an org unit of kind program)");
        return PL_INVALID;
    }
    return PL_OK;
}

pl_status store_resource_import(store_tx *tx, pl_id program_id, const store_rsc_dir *dir,
                                pl_time now, store_rsc_import_counts *out, pl_err *err)
{
    conn *c = tx->c;
    memset(out, 0, sizeof *out);
    pl_status r = program_check(tx, program_id, err);
    pl_id id = 0, refs[2] = {0, 0};
    for (int i = 0; i < dir->nterms && r == PL_OK; i++) {
        const store_rsc_term *t = &dir->terms[i];
        if (t->orphan &&
            (r = find_id(c, SQL_TERM_FIND, program_id, t->hsds_id, &id, err)) == PL_NOTFOUND) {
            out->not_kept[STORE_RSC_TERM]++;
            r = PL_OK;
            continue;
        }
        if (r != PL_OK)
            break;
        r = upsert(tx, STORE_RSC_TERM, SQL_TERM_FIND, SQL_TERM_INSERT, SQL_TERM_UPDATE, program_id,
                   t->hsds_id, bind_term, t, NULL, now, out, &id, err);
    }
    for (int i = 0; i < dir->norgs && r == PL_OK; i++) {
        const store_rsc_org *o = &dir->orgs[i];
        r = upsert(tx, STORE_RSC_ORGANIZATION, SQL_ORG_FIND, SQL_ORG_INSERT, SQL_ORG_UPDATE,
                   program_id, o->hsds_id, bind_org, o, NULL, now, out, &id, err);
        if (r == PL_OK && o->has_phones)
            r = put_phones(c, "organization", id, o->phones, o->nphones, out, err);
    }
    for (int i = 0; i < dir->nlocations && r == PL_OK; i++) {
        const store_rsc_location *l = &dir->locations[i];
        if (l->orphan &&
            (r = find_id(c, SQL_LOC_FIND, program_id, l->hsds_id, &id, err)) == PL_NOTFOUND) {
            out->not_kept[STORE_RSC_LOCATION]++;
            r = PL_OK;
            continue;
        }
        if (r != PL_OK)
            break;
        refs[0] = 0;
        if (l->organization_hsds_id)
            r = resolve(c, SQL_ORG_FIND, program_id, l->organization_hsds_id, l->path,
                        "organization_id", "organization", &refs[0], err);
        if (r == PL_OK)
            r = upsert(tx, STORE_RSC_LOCATION, SQL_LOC_FIND, SQL_LOC_INSERT, SQL_LOC_UPDATE,
                       program_id, l->hsds_id, bind_location, l, refs, now, out, &id, err);
        if (r == PL_OK && l->has_phones)
            r = put_phones(c, "location", id, l->phones, l->nphones, out, err);
        if (r == PL_OK && l->has_languages)
            r = put_languages(c, "location", id, l->languages, l->nlanguages, out, err);
        if (r == PL_OK && l->has_schedules)
            r = put_schedules(c, "location", id, l->schedules, l->nschedules, out, err);
        if (r == PL_OK && l->has_addresses)
            r = put_addresses(c, id, l->addresses, l->naddresses, out, err);
    }
    for (int i = 0; i < dir->nservices && r == PL_OK; i++) {
        store_rsc_service s = dir->services[i];
        r = resolve(c, SQL_ORG_FIND, program_id, s.organization_hsds_id, s.path, "organization_id",
                    "organization", &refs[0], err);
        if (r == PL_OK)
            r = upsert(tx, STORE_RSC_SERVICE, SQL_SVC_FIND, SQL_SVC_INSERT, SQL_SVC_UPDATE,
                       program_id, s.hsds_id, bind_service, &s, refs, now, out, &s.id, err);
        if (r == PL_OK && s.has_phones)
            r = put_phones(c, "service", s.id, s.phones, s.nphones, out, err);
        if (r == PL_OK && s.has_languages)
            r = put_languages(c, "service", s.id, s.languages, s.nlanguages, out, err);
        if (r == PL_OK && s.has_schedules)
            r = put_schedules(c, "service", s.id, s.schedules, s.nschedules, out, err);
        if (r == PL_OK && s.has_attributes)
            r = put_attributes(c, program_id, &s, out, err);
    }
    for (int i = 0; i < dir->nsals && r == PL_OK; i++) {
        const store_rsc_sal *s = &dir->sals[i];
        r = resolve(c, SQL_SVC_FIND, program_id, s->service_hsds_id, s->path, "service_id",
                    "service", &refs[0], err);
        if (r == PL_OK)
            r = resolve(c, SQL_LOC_FIND, program_id, s->location_hsds_id, s->path, "location_id",
                        "location", &refs[1], err);
        if (r == PL_OK)
            r = upsert(tx, STORE_RSC_SERVICE_AT_LOCATION, SQL_SAL_FIND, SQL_SAL_INSERT,
                       SQL_SAL_UPDATE, program_id, s->hsds_id, bind_sal, s, refs, now, out, &id,
                       err);
        if (r == PL_OK && s->has_phones)
            r = put_phones(c, "service_at_location", id, s->phones, s->nphones, out, err);
        if (r == PL_OK && s->has_schedules)
            r = put_schedules(c, "service_at_location", id, s->schedules, s->nschedules, out, err);
    }
    return r;
}

/* ---- reads: child lists ------------------------------------------------------------- */

/* Binds the owner of a child-list statement: (kind, id), or id alone when kind is NULL. */
static db_stmt *owned(conn *c, const char *sqltext, const char *kind, pl_id owner, pl_err *err)
{
    db_stmt *st = sq_stmt(c, sqltext, err);
    if (!st)
        return NULL;
    int i = 1;
    if (kind)
        db_bind_text(st, i++, kind, -1, DB_STATIC);
    db_bind_int64(st, i, owner);
    return st;
}

/* Ends a read loop: the step's code into a status, and the statement reset. */
static pl_status loop_end(conn *c, db_stmt *st, int rc, pl_status r, pl_err *err)
{
    if (r == PL_OK && rc != DB_DONE && rc != DB_ROW)
        r = sq_error(c->db, rc, err, "directory");
    db_reset(st);
    db_clear_bindings(st);
    return r;
}

/* Reads one row of a list statement into item (zeroed first). */
typedef void (*row_fn)(db_stmt *st, pl_arena *a, void *item);

/*
 * Steps a bound statement, calling row() for each row into a growing array
 * of size-byte items. what names the rows of a child list, which holds at
 * most STORE_RSC_MAX_CHILDREN; NULL for a program's whole list (no ceiling
 * but the arena's).
 */
static pl_status load_rows(conn *c, db_stmt *st, pl_arena *a, size_t size, const char *what,
                           row_fn row, void **items, int *n, pl_err *err)
{
    int cap = 0, rc;
    pl_status r = PL_OK;
    *items = NULL;
    *n = 0;
    while ((rc = db_step(st)) == DB_ROW) {
        if (what && *n >= STORE_RSC_MAX_CHILDREN) {
            r = too_many(err, what);
            break;
        }
        void *item = grow(a, items, *n, &cap, size);
        if (!item) {
            r = out_of_memory(err);
            break;
        }
        memset(item, 0, size);
        row(st, a, item);
        (*n)++;
    }
    return loop_end(c, st, rc, r, err);
}

/* The child list of an owner (kind NULL: a statement bound by the owner's id alone). */
static pl_status load_children(conn *c, const char *sqltext, const char *kind, pl_id owner,
                               pl_arena *a, size_t size, const char *what, row_fn row, void **items,
                               int *n, pl_err *err)
{
    db_stmt *st = owned(c, sqltext, kind, owner, err);
    return st ? load_rows(c, st, a, size, what, row, items, n, err) : err->status;
}

static void language_row(db_stmt *st, pl_arena *a, void *item)
{
    store_rsc_language *l = item;
    l->hsds_id = sq_col_text(st, 0, a);
    l->name = sq_col_text(st, 1, a);
    l->code = sq_col_text(st, 2, a);
    l->note = sq_col_text(st, 3, a);
}

static pl_status load_languages(conn *c, const char *kind, pl_id owner, pl_arena *a,
                                store_rsc_language **out, int *n, pl_err *err)
{
    return load_children(c, SQL_LANG_OF, kind, owner, a, sizeof **out, "languages", language_row,
                         (void **)out, n, err);
}

static void phone_row(db_stmt *st, pl_arena *a, void *item)
{
    store_rsc_phone *p = item;
    p->id = db_column_int64(st, 0);
    p->hsds_id = sq_col_text(st, 1, a);
    p->number = sq_col_text(st, 2, a);
    p->extension = db_column_type(st, 3) == DB_NULL ? -1 : db_column_int(st, 3);
    p->type = sq_col_text(st, 4, a);
    p->description = sq_col_text(st, 5, a);
}

static pl_status load_phones(conn *c, const char *kind, pl_id owner, pl_arena *a,
                             store_rsc_phone **out, int *n, pl_err *err)
{
    pl_status r = load_children(c, SQL_PHONE_OF, kind, owner, a, sizeof **out, "phones", phone_row,
                                (void **)out, n, err);
    /* the languages of each phone, once the phone statement is reset */
    for (int i = 0; i < *n && r == PL_OK; i++)
        r = load_languages(c, "phone", (*out)[i].id, a, &(*out)[i].languages, &(*out)[i].nlanguages,
                           err);
    return r;
}

static void schedule_row(db_stmt *st, pl_arena *a, void *item)
{
    store_rsc_schedule *s = item;
    s->hsds_id = sq_col_text(st, 0, a);
    s->freq = sq_col_text(st, 1, a);
    s->interval = db_column_int(st, 2);
    s->byday = sq_col_text(st, 3, a);
    s->opens_at = sq_col_text(st, 4, a);
    s->closes_at = sq_col_text(st, 5, a);
    s->valid_from = sq_col_date(st, 6);
    s->valid_to = sq_col_date(st, 7);
    s->description = sq_col_text(st, 8, a);
}

static pl_status load_schedules(conn *c, const char *kind, pl_id owner, pl_arena *a,
                                store_rsc_schedule **out, int *n, pl_err *err)
{
    return load_children(c, SQL_SCHED_OF, kind, owner, a, sizeof **out, "schedules", schedule_row,
                         (void **)out, n, err);
}

static void address_row(db_stmt *st, pl_arena *a, void *item)
{
    store_rsc_address *ad = item;
    ad->hsds_id = sq_col_text(st, 0, a);
    ad->attention = sq_col_text(st, 1, a);
    ad->address_1 = sq_col_text(st, 2, a);
    ad->address_2 = sq_col_text(st, 3, a);
    ad->city = sq_col_text(st, 4, a);
    ad->region = sq_col_text(st, 5, a);
    ad->state_province = sq_col_text(st, 6, a);
    ad->postal_code = sq_col_text(st, 7, a);
    ad->country = sq_col_text(st, 8, a);
    ad->address_type = sq_col_text(st, 9, a);
}

static pl_status load_addresses(conn *c, pl_id location, pl_arena *a, store_rsc_address **out,
                                int *n, pl_err *err)
{
    return load_children(c, SQL_ADDR_OF, NULL, location, a, sizeof **out, "addresses", address_row,
                         (void **)out, n, err);
}

static void term_read(db_stmt *st, int i, pl_arena *a, store_rsc_term *t)
{
    memset(t, 0, sizeof *t);
    t->id = db_column_int64(st, i);
    t->hsds_id = sq_col_text(st, i + 1, a);
    t->code = sq_col_text(st, i + 2, a);
    t->name = sq_col_text(st, i + 3, a);
    t->description = sq_col_text(st, i + 4, a);
    t->parent_id = sq_col_text(st, i + 5, a);
    t->taxonomy = sq_col_text(st, i + 6, a);
    t->language = sq_col_text(st, i + 7, a);
    t->term_uri = sq_col_text(st, i + 8, a);
}

static void attribute_row(db_stmt *st, pl_arena *a, void *item)
{
    store_rsc_attribute *at = item;
    at->hsds_id = sq_col_text(st, 0, a);
    at->value = sq_col_text(st, 1, a);
    at->label = sq_col_text(st, 2, a);
    term_read(st, 3, a, &at->term);
}

static pl_status load_attributes(conn *c, pl_id service, pl_arena *a, store_rsc_attribute **out,
                                 int *n, pl_err *err)
{
    return load_children(c, SQL_ATTR_OF, NULL, service, a, sizeof **out, "attributes",
                         attribute_row, (void **)out, n, err);
}

/* ---- reads: entities --------------------------------------------------------------- */

static void location_read(db_stmt *st, pl_arena *a, store_rsc_location *l)
{
    memset(l, 0, sizeof *l);
    l->id = db_column_int64(st, 0);
    l->hsds_id = sq_col_text(st, 1, a);
    l->organization_hsds_id = sq_col_text(st, 2, a);
    l->location_type = sq_col_text(st, 3, a);
    l->name = sq_col_text(st, 4, a);
    l->alternate_name = sq_col_text(st, 5, a);
    l->description = sq_col_text(st, 6, a);
    l->transportation = sq_col_text(st, 7, a);
    l->has_coordinates = db_column_type(st, 8) != DB_NULL;
    l->latitude = db_column_double(st, 8);
    l->longitude = db_column_double(st, 9);
}

static void location_row(db_stmt *st, pl_arena *a, void *item)
{
    location_read(st, a, item);
}

static void service_read(db_stmt *st, pl_arena *a, store_rsc_service *s)
{
    memset(s, 0, sizeof *s);
    s->id = db_column_int64(st, 0);
    s->program_id = db_column_int64(st, 1);
    s->hsds_id = sq_col_text(st, 2, a);
    s->organization_hsds_id = sq_col_text(st, 3, a);
    s->name = sq_col_text(st, 4, a);
    s->alternate_name = sq_col_text(st, 5, a);
    s->description = sq_col_text(st, 6, a);
    s->url = sq_col_text(st, 7, a);
    s->email = sq_col_text(st, 8, a);
    s->status = sq_col_text(st, 9, a);
    s->interpretation_services = sq_col_text(st, 10, a);
    s->application_process = sq_col_text(st, 11, a);
    s->fees_description = sq_col_text(st, 12, a);
    s->eligibility_description = sq_col_text(st, 13, a);
    s->updated_at = db_column_int64(st, 14);
    s->organization_id = db_column_int64(st, 15);
    s->organization_name = sq_col_text(st, 16, a);
}

static pl_status location_children(conn *c, store_rsc_location *l, pl_arena *a, pl_err *err)
{
    pl_status r = load_phones(c, "location", l->id, a, &l->phones, &l->nphones, err);
    if (r == PL_OK)
        r = load_languages(c, "location", l->id, a, &l->languages, &l->nlanguages, err);
    if (r == PL_OK)
        r = load_schedules(c, "location", l->id, a, &l->schedules, &l->nschedules, err);
    if (r == PL_OK)
        r = load_addresses(c, l->id, a, &l->addresses, &l->naddresses, err);
    l->has_phones = l->has_languages = l->has_schedules = l->has_addresses = true;
    return r;
}

static pl_status service_children(conn *c, store_rsc_service *s, bool with_locations, pl_arena *a,
                                  pl_err *err)
{
    pl_status r = load_phones(c, "service", s->id, a, &s->phones, &s->nphones, err);
    if (r == PL_OK)
        r = load_languages(c, "service", s->id, a, &s->languages, &s->nlanguages, err);
    if (r == PL_OK)
        r = load_schedules(c, "service", s->id, a, &s->schedules, &s->nschedules, err);
    if (r == PL_OK)
        r = load_attributes(c, s->id, a, &s->attributes, &s->nattributes, err);
    s->has_phones = s->has_languages = s->has_schedules = s->has_attributes = true;
    if (r != PL_OK || !with_locations)
        return r;
    r = load_children(c, SQL_LOC_OF_SERVICE, NULL, s->id, a, sizeof *s->locations, "locations",
                      location_row, (void **)&s->locations, &s->nlocations, err);
    for (int i = 0; i < s->nlocations && r == PL_OK; i++)
        r = load_addresses(c, s->locations[i].id, a, &s->locations[i].addresses,
                           &s->locations[i].naddresses, err);
    return r;
}

static pl_status service_get(conn *c, pl_id id, pl_arena *a, store_rsc_service *out, pl_err *err)
{
    db_stmt *st = sq_stmt(c, SQL_SVC_GET, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, id);
    pl_status r = sq_step_row(c, st, err, "resource");
    if (r == PL_OK)
        service_read(st, a, out);
    db_reset(st);
    if (r == PL_OK)
        r = service_children(c, out, true, a, err);
    return r == PL_OK ? sq_arena_check(a, err) : r;
}

pl_status store_resource_service_get(store *s, pl_id id, pl_arena *a, store_rsc_service *out,
                                     pl_err *err)
{
    conn *c = sq_reader(s, err);
    return c ? service_get(c, id, a, out, err) : err->status;
}

/* ---- the whole directory ---------------------------------------------------------- */

/* A program's whole list. */
static pl_status load_all(conn *c, const char *sqltext, pl_id program_id, pl_arena *a, size_t size,
                          row_fn row, void **items, int *n, pl_err *err)
{
    db_stmt *st = sq_stmt(c, sqltext, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, program_id);
    return load_rows(c, st, a, size, NULL, row, items, n, err);
}

static void org_row(db_stmt *st, pl_arena *a, void *item)
{
    store_rsc_org *o = item;
    o->id = db_column_int64(st, 0);
    o->hsds_id = sq_col_text(st, 1, a);
    o->name = sq_col_text(st, 2, a);
    o->alternate_name = sq_col_text(st, 3, a);
    o->description = sq_col_text(st, 4, a);
    o->email = sq_col_text(st, 5, a);
    o->website = sq_col_text(st, 6, a);
}

static void service_row(db_stmt *st, pl_arena *a, void *item)
{
    service_read(st, a, item);
}

static void sal_row(db_stmt *st, pl_arena *a, void *item)
{
    store_rsc_sal *s = item;
    s->id = db_column_int64(st, 0);
    s->hsds_id = sq_col_text(st, 1, a);
    s->service_hsds_id = sq_col_text(st, 2, a);
    s->location_hsds_id = sq_col_text(st, 3, a);
    s->description = sq_col_text(st, 4, a);
}

static void term_row(db_stmt *st, pl_arena *a, void *item)
{
    term_read(st, 0, a, item);
}

static pl_status dir_load(conn *c, pl_id program_id, pl_arena *a, store_rsc_dir *d, pl_err *err)
{
    db_stmt *st = sq_stmt(c, SQL_DIR_COUNT, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, program_id);
    pl_status r = sq_step_row(c, st, err, "directory");
    db_int64 total = r == PL_OK ? db_column_int64(st, 0) : 0;
    db_reset(st);
    if (r != PL_OK)
        return r;
    if (total > STORE_RSC_MAX_ENTITIES)
        return pl_err_set(err, PL_LIMIT,
                          "the directory holds %lld entities, more than one export may hold (%d)",
                          (long long)total, STORE_RSC_MAX_ENTITIES);
    r = load_all(c, SQL_ORG_ALL, program_id, a, sizeof *d->orgs, org_row, (void **)&d->orgs,
                 &d->norgs, err);
    for (int i = 0; i < d->norgs && r == PL_OK; i++) {
        store_rsc_org *o = &d->orgs[i];
        r = load_phones(c, "organization", o->id, a, &o->phones, &o->nphones, err);
        o->has_phones = true;
    }
    if (r == PL_OK)
        r = load_all(c, SQL_LOC_ALL, program_id, a, sizeof *d->locations, location_row,
                     (void **)&d->locations, &d->nlocations, err);
    for (int i = 0; i < d->nlocations && r == PL_OK; i++)
        r = location_children(c, &d->locations[i], a, err);
    if (r == PL_OK)
        r = load_all(c, SQL_SVC_ALL, program_id, a, sizeof *d->services, service_row,
                     (void **)&d->services, &d->nservices, err);
    for (int i = 0; i < d->nservices && r == PL_OK; i++)
        r = service_children(c, &d->services[i], false, a, err);
    if (r == PL_OK)
        r = load_all(c, SQL_SAL_ALL, program_id, a, sizeof *d->sals, sal_row, (void **)&d->sals,
                     &d->nsals, err);
    for (int i = 0; i < d->nsals && r == PL_OK; i++) {
        store_rsc_sal *s = &d->sals[i];
        r = load_phones(c, "service_at_location", s->id, a, &s->phones, &s->nphones, err);
        if (r == PL_OK)
            r = load_schedules(c, "service_at_location", s->id, a, &s->schedules, &s->nschedules,
                               err);
        s->has_phones = s->has_schedules = true;
    }
    if (r == PL_OK)
        r = load_all(c, SQL_TERM_ALL, program_id, a, sizeof *d->terms, term_row, (void **)&d->terms,
                     &d->nterms, err);
    return r == PL_OK ? sq_arena_check(a, err) : r;
}

pl_status store_resource_dir_load(store *s, pl_id program_id, pl_arena *a, store_rsc_dir *out,
                                  pl_err *err)
{
    memset(out, 0, sizeof *out);
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    /* one read transaction: an import committing meanwhile is seen whole or not at all */
    pl_status r = sq_exec(c, SQ_SQL(c, SQL_BEGIN, SQL_BEGIN_PG), err);
    if (r != PL_OK)
        return r;
    r = dir_load(c, program_id, a, out, err);
    pl_err ignored;
    pl_err_clear(&ignored);
    if (sq_exec(c, r == PL_OK ? SQL_COMMIT : SQL_ROLLBACK, &ignored) != PL_OK && r == PL_OK)
        r = pl_err_set(err, ignored.status, "%s", ignored.message);
    if (r != PL_OK)
        memset(out, 0, sizeof *out);
    return r;
}

/* ---- search ------------------------------------------------------------------------- */

/* Programs visible from a unit: its ancestors (and itself) and the programs below it. */
#define VISIBLE_PROGRAM(col, n)                                                                    \
    " AND " col " IN (SELECT ancestor_id FROM org_unit_ancestor WHERE unit_id = ?" #n              \
    " UNION SELECT unit_id FROM org_unit_ancestor WHERE ancestor_id = ?" #n ")"
#define LANGUAGE_MATCH(col) "(lower(" col ") = ?6 OR lower(" col ") LIKE ?6 || '-%')"

static const sq_list_def search_def = {
    "SELECT " SVC_COLS SVC_FROM " WHERE s.id > ?1",
    {VISIBLE_PROGRAM("s.program_id", 2), " AND s.program_id = ?3",
     " AND s.id IN (SELECT a.service_id FROM resource_term t JOIN resource_attribute a "
     "ON a.term_id = t.id WHERE t.code = ?4 OR t.name = ?4 COLLATE NOCASE)",
     " AND s.id IN (SELECT rowid FROM resource_service_fts WHERE resource_service_fts MATCH ?5)",
     " AND (s.id IN (SELECT owner_id FROM resource_language WHERE owner_kind = 'service' "
     "AND " LANGUAGE_MATCH("code") ") OR s.id IN (SELECT sal.service_id FROM "
                                   "resource_service_at_location sal JOIN resource_language lg ON "
                                   "lg.owner_kind = 'location' AND lg.owner_id = sal.location_id "
                                   "WHERE " LANGUAGE_MATCH("lg.code") "))",
     " AND s.status = ?7"},
    " ORDER BY s.id LIMIT ?8"};

/* PostgreSQL: the free text against the same text FTS5 indexes (schema_pg.c) */
static const sq_list_def search_def_pg = {
    "SELECT " SVC_COLS SVC_FROM " WHERE s.id > ?1",
    {VISIBLE_PROGRAM("s.program_id", 2), " AND s.program_id = ?3",
     " AND s.id IN (SELECT a.service_id FROM resource_term t JOIN resource_attribute a "
     "ON a.term_id = t.id WHERE t.code = ?4 OR lower(t.name) = lower(?4))",
     " AND to_tsvector('simple', unaccent(s.name || ' ' || coalesce(s.alternate_name, '') || ' ' "
     "|| coalesce(s.description, ''))) @@ to_tsquery('simple', unaccent(?5))",
     " AND (s.id IN (SELECT owner_id FROM resource_language WHERE owner_kind = 'service' "
     "AND " LANGUAGE_MATCH("code") ") OR s.id IN (SELECT sal.service_id FROM "
                                   "resource_service_at_location sal JOIN resource_language lg ON "
                                   "lg.owner_kind = 'location' AND lg.owner_id = sal.location_id "
                                   "WHERE " LANGUAGE_MATCH("lg.code") "))",
     " AND s.status = ?7"},
    " ORDER BY s.id LIMIT ?8"};

#define SEARCH_WORDS_MAX 8
#define SEARCH_WORD_MAX  64

/*
 * The FTS5 query for a text: each run of letters and digits (any non-ASCII
 * byte counts as a letter) becomes a quoted prefix term, all of them
 * required; for PostgreSQL (pg) a tsquery of prefixes joined by &. NULL
 * with err set when the text holds no word.
 */
static const char *fts_query(const char *text, bool pg, pl_arena *a, pl_err *err)
{
    char q[SEARCH_WORDS_MAX * (SEARCH_WORD_MAX + 6) + 1];
    size_t len = 0;
    int words = 0;
    const unsigned char *p = (const unsigned char *)text;
    while (*p && words < SEARCH_WORDS_MAX) {
        while (*p && *p < 0x80 && !isalnum(*p))
            p++;
        const unsigned char *start = p;
        while (*p && (*p >= 0x80 || isalnum(*p)))
            p++;
        size_t n = (size_t)(p - start);
        if (n == 0)
            break;
        if (n > SEARCH_WORD_MAX)
            n = SEARCH_WORD_MAX;
        if (pg)
            len += (size_t)snprintf(q + len, sizeof q - len, "%s%.*s:*", words ? " & " : "", (int)n,
                                    (const char *)start);
        else
            len += (size_t)snprintf(q + len, sizeof q - len, "%s\"%.*s\"*", words ? " " : "",
                                    (int)n, (const char *)start);
        words++;
    }
    if (words == 0) {
        pl_err_field(err, "q", "must hold at least one letter or digit");
        return NULL;
    }
    char *out = pl_arena_strdup(a, q);
    if (!out)
        out_of_memory(err);
    return out;
}

static void search_row(db_stmt *st, pl_arena *a, void *item)
{
    service_read(st, a, item);
}

pl_status store_resource_search(store *s, const store_rsc_filter *f, store_page pg, pl_arena *a,
                                store_rsc_service **items, int *n, pl_err *err)
{
    *items = NULL;
    *n = 0;
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    const char *match = NULL;
    if (f->text && !(match = fts_query(f->text, SQ_PG(c), a, err)))
        return err->status;
    char *lang = NULL;
    if (f->language) {
        lang = pl_arena_strdup(a, f->language);
        if (!lang)
            return out_of_memory(err);
        for (char *p = lang; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    }
    sq_list_arg args[SQ_LIST_FILTERS] = {SQ_ARG_ID(f->scope_unit), SQ_ARG_ID(f->program_id),
                                         SQ_ARG_TEXT(f->category), SQ_ARG_TEXT(match),
                                         SQ_ARG_TEXT(lang),        SQ_ARG_TEXT(f->status)};
    pl_status r = sq_list_run(s, SQ_SQL(c, &search_def, &search_def_pg), args, pg, a,
                              sizeof **items, search_row, (void **)items, n, err);
    if (r != PL_OK)
        return r;
    for (int i = 0; i < *n && r == PL_OK; i++)
        r = service_children(c, &(*items)[i], true, a, err);
    return r == PL_OK ? sq_arena_check(a, err) : r;
}
