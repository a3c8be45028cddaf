/*
 * sqlite_fhir_entities.c - the store side of the FHIR Encounter,
 * Organization, Practitioner and Group resources (store_fhir_entities.h).
 *
 * The SQL runs on both backends (db.h) as sqlite_fhir.c's does: a search's
 * optional conditions read "CAST(?n AS type) IS NULL OR ...", so
 * combinations of parameters share a cached statement (the Encounter
 * search keeps four, by the access path that drives it), paged through
 * sq_fhir_page (LIMIT/OFFSET or the keyset). Contacts written
 * through FHIR are versioned by contact.version (migration 15); their
 * updates and voids are guarded UPDATEs that leave a session's attendance
 * contacts alone (those follow their session, docs/GROUPS.md).
 */
#include <string.h>
#include <time.h>

#include "sqlite_int.h"
#include "store_fhir_entities.h"

#define CONTACT_META_COLS                                                                          \
    SQ_CONTACT_COLS ", c.version, COALESCE(c.updated_at, c.created_at), c.voided_at IS NOT NULL"
#define IN_SCOPE_UNIT(col)                                                                         \
    "(?1 = 0 OR " col " IN (SELECT unit_id FROM org_unit_ancestor WHERE ancestor_id = ?1))"
/* ?5 a word prefix of col, any case (the API refuses % and _ in it) */
#define NAME_COND(col)                                                                             \
    "(CAST(?5 AS TEXT) IS NULL OR lower(" col                                                      \
    ") LIKE lower(CAST(?5 AS TEXT)) || '%' OR lower(" col                                          \
    ") LIKE '% ' || lower(CAST(?5 AS TEXT)) || '%')"
#define UPDATED_COND(col)                                                                          \
    " AND (CAST(?17 AS BIGINT) IS NULL OR " col                                                    \
    " >= ?17) AND (CAST(?18 AS BIGINT) IS NULL OR " col " < ?18)"

static const char SQL_CONTACT_GET[] = "SELECT " CONTACT_META_COLS " FROM contact c WHERE c.id = ?";
static const char SQL_CONTACT_UPDATE[] =
    "UPDATE contact SET peer_leader_id = ?2, occurred_at = ?3, minutes = ?4, mode = ?5, "
    "key_functions = ?6, topics = ?7, version = version + 1, updated_at = ?8 "
    "WHERE id = ?1 AND version = ?9 AND voided_at IS NULL AND group_session_id IS NULL";
static const char SQL_CONTACT_LIVE[] = "SELECT 1 FROM contact WHERE id = ?1 AND voided_at IS NULL "
                                       "AND group_session_id IS NULL";
static const char SQL_CONTACT_VOID[] =
    "UPDATE contact SET voided_at = ?2, version = version + 1, updated_at = ?2 "
    "WHERE id = ?1 AND voided_at IS NULL AND group_session_id IS NULL";
/* four statements as sq_fhir_variant() indexes them: a participant's index or the id order
   drives; ?22-?23 the key range of sq_fhir_page */
#define ENCOUNTER_SELECT                                                                           \
    "SELECT c.id FROM contact c JOIN participant p ON p.id = c.participant_id WHERE "
#define ENCOUNTER_COND                                                                             \
    "(?1 = 0 OR p.home_unit_id IN (SELECT unit_id FROM org_unit_ancestor WHERE ancestor_id = "     \
    "?1)) AND (?2 = 0 OR p.peer_leader_id = ?2) AND c.voided_at IS NULL"                           \
    " AND (CAST(?3 AS BIGINT) IS NULL OR c.id = ?3)"                                               \
    " AND (CAST(?4 AS BIGINT) IS NULL OR c.participant_id = ?4)"                                   \
    " AND (CAST(?5 AS BIGINT) IS NULL OR (c.key_functions & CAST(?5 AS BIGINT)) <> 0)"             \
    " AND (CAST(?6 AS BIGINT) IS NULL OR c.group_session_id = ?6)"                                 \
    " AND (CAST(?13 AS BIGINT) IS NULL OR c.occurred_at >= ?13) AND (CAST(?14 AS BIGINT) IS NULL " \
    "OR c.occurred_at < ?14)"                                                                      \
    " AND (CAST(?15 AS BIGINT) IS NULL OR c.occurred_at < ?15 OR c.occurred_at >= "                \
    "?16)" UPDATED_COND("COALESCE(c.updated_at, c.created_at)") " AND c.id > ?22 AND c.id <= ?23"
#define ENCOUNTER_BY_ID " ORDER BY c.id LIMIT ?20 OFFSET ?21"
#define ENCOUNTER_BY_DATE                                                                          \
    " ORDER BY CASE WHEN ?19 = 1 THEN c.occurred_at END ASC,"                                      \
    " CASE WHEN ?19 = -1 THEN c.occurred_at END DESC, c.id LIMIT ?20 OFFSET ?21"
static const char *const SQL_ENCOUNTER_SEARCH[4] = {
    ENCOUNTER_SELECT ENCOUNTER_COND ENCOUNTER_BY_ID,
    ENCOUNTER_SELECT "c.participant_id = ?4 AND " ENCOUNTER_COND ENCOUNTER_BY_ID,
    ENCOUNTER_SELECT ENCOUNTER_COND ENCOUNTER_BY_DATE,
    ENCOUNTER_SELECT "c.participant_id = ?4 AND " ENCOUNTER_COND ENCOUNTER_BY_DATE,
};
static const char SQL_ORG_SEARCH[] = "SELECT u.id FROM org_unit u WHERE " IN_SCOPE_UNIT(
    "u.id") " AND (CAST(?3 AS BIGINT) IS NULL OR u.id = ?3)"
            " AND (CAST(?4 AS BIGINT) IS NULL OR u.parent_id = ?4) AND " NAME_COND("u.name")
                UPDATED_COND("u.updated_at") " AND u.id > ?22 AND u.id <= ?23 ORDER BY u.id LIMIT "
                                             "?20 OFFSET ?21";
static const char SQL_STAFF_SEARCH[] = "SELECT a.id FROM staff_account a WHERE " IN_SCOPE_UNIT(
    "a.scope_unit_id") " AND (CAST(?3 AS BIGINT) IS NULL OR a.id = ?3)"
                       " AND (CAST(?4 AS TEXT) IS NULL OR a.username = ?4) AND " NAME_COND(
                           "COALESCE(a.display_name, a.username)")
                           UPDATED_COND("a.created_at") " AND a.id > ?22 AND a.id <= ?23 ORDER BY "
                                                        "a.id LIMIT ?20 OFFSET ?21";
static const char SQL_GROUP_SEARCH[] = "SELECT g.id FROM support_group g WHERE " IN_SCOPE_UNIT(
    "g.unit_id") " AND (?2 = 0 OR g.peer_leader_id = ?2)"
                 " AND (CAST(?3 AS BIGINT) IS NULL OR g.id = ?3)"
                 " AND (CAST(?4 AS BIGINT) IS NULL OR EXISTS (SELECT 1 FROM group_membership "
                 "m WHERE m.group_id = g.id AND m.participant_id = ?4))" UPDATED_COND(
                     "g.updated_at") " AND g.id > ?22 AND g.id <= ?23 ORDER BY g.id LIMIT ?20 "
                                     "OFFSET ?21";
static const char SQL_ORG_UPDATE[] =
    "UPDATE org_unit SET parent_id = ?2, kind = ?3, name = ?4, code = ?5, language = ?6, "
    "version = version + 1, updated_at = ?7 WHERE id = ?1 AND version = ?8";
/* a move: the subtree of ?1 forgets the ancestors above it, then takes those of parent ?2 */
static const char SQL_ORG_UNLINK[] =
    "DELETE FROM org_unit_ancestor WHERE unit_id IN (SELECT unit_id FROM org_unit_ancestor "
    "WHERE ancestor_id = ?1) AND ancestor_id NOT IN (SELECT unit_id FROM org_unit_ancestor "
    "WHERE ancestor_id = ?1)";
static const char SQL_ORG_RELINK[] =
    "INSERT INTO org_unit_ancestor (unit_id, ancestor_id, depth) "
    "SELECT sub.unit_id, sup.ancestor_id, sub.depth + sup.depth + 1 FROM org_unit_ancestor sub "
    "JOIN org_unit_ancestor sup ON sup.unit_id = ?2 WHERE sub.ancestor_id = ?1";
static const char SQL_GROUP_MEMBERS[] =
    "SELECT m.id, m.participant_id, m.joined_on, m.left_on, m.left_reason FROM group_membership m "
    "WHERE m.group_id = ? ORDER BY m.id";
static const char SQL_LEADER_ACCOUNT[] =
    "SELECT a.id FROM staff_account a JOIN peer_leader l ON l.person_id = a.person_id "
    "WHERE l.id = ? ORDER BY a.id LIMIT 1";
static const char SQL_ORG_UPDATED[] = "SELECT updated_at FROM org_unit WHERE id = ?";
static const char SQL_GROUP_UPDATED[] = "SELECT updated_at FROM support_group WHERE id = ?";

/* ---- contacts ------------------------------------------------------------------ */

static pl_status contact_get(conn *c, pl_id id, pl_arena *a, pl_contact *out,
                             store_fhir_contact_meta *meta, pl_err *err)
{
    db_stmt *st = sq_stmt(c, SQL_CONTACT_GET, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, id);
    pl_status r = sq_step_row(c, st, err, "contact");
    if (r == PL_OK) {
        sq_contact_read(st, a, out);
        meta->version = db_column_int(st, 14);
        meta->updated = sq_col_time(st, 15);
        meta->voided = db_column_int(st, 16) != 0;
    }
    db_reset(st);
    return r == PL_OK ? sq_arena_check(a, err) : r;
}

pl_status store_fhir_contact_get(store *s, pl_id id, pl_arena *a, pl_contact *c,
                                 store_fhir_contact_meta *meta, pl_err *err)
{
    conn *cn = sq_reader(s, err);
    return cn ? contact_get(cn, id, a, c, meta, err) : err->status;
}

pl_status store_tx_fhir_contact_get(store_tx *tx, pl_id id, pl_arena *a, pl_contact *c,
                                    store_fhir_contact_meta *meta, pl_err *err)
{
    return contact_get(tx->c, id, a, c, meta, err);
}

pl_status store_fhir_contact_update(store_tx *tx, const pl_contact *c, int expected_version,
                                    pl_err *err)
{
    db_stmt *live = sq_stmt(tx->c, SQL_CONTACT_LIVE, err);
    if (!live)
        return err->status;
    db_bind_int64(live, 1, c->id);
    pl_status r = sq_step_row(tx->c, live, err, "contact");
    db_reset(live);
    if (r != PL_OK)
        return r;
    db_stmt *st = sq_stmt(tx->c, SQL_CONTACT_UPDATE, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, c->id);
    db_bind_int64(st, 2, c->peer_leader_id);
    db_bind_int64(st, 3, c->occurred_at);
    db_bind_int(st, 4, c->minutes);
    db_bind_text(st, 5, pl_contact_mode_name(c->mode), -1, DB_STATIC);
    db_bind_int64(st, 6, c->key_functions);
    db_bind_int64(st, 7, c->topics);
    db_bind_int64(st, 8, (db_int64)time(NULL));
    db_bind_int(st, 9, expected_version);
    return sq_step_versioned(tx->c, st, err, "contact");
}

pl_status store_fhir_contact_void(store_tx *tx, pl_id id, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_CONTACT_VOID, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, id);
    db_bind_int64(st, 2, (db_int64)time(NULL));
    int changes = 0;
    pl_status r = sq_step_done(tx->c, st, &changes, err, "contact");
    if (r == PL_OK && changes == 0)
        return pl_err_set(err, PL_NOTFOUND, "contact %lld is not known", (long long)id);
    return r;
}

/* ---- org units ------------------------------------------------------------------ */

/* Runs sql bound with ?1 = a and, when b > 0, ?2 = b. */
static pl_status run_pair(store_tx *tx, const char *sql, pl_id a, pl_id b, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, sql, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, a);
    if (b > 0)
        db_bind_int64(st, 2, b);
    int changes = 0;
    return sq_step_done(tx->c, st, &changes, err, "org unit");
}

pl_status store_org_unit_update(store_tx *tx, pl_org_unit *u, int expected_version,
                                pl_id old_parent, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_ORG_UPDATE, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, u->id);
    sq_bind_id(st, 2, u->parent_id);
    db_bind_text(st, 3, pl_org_kind_name(u->kind), -1, DB_STATIC);
    sq_bind_text(st, 4, u->name);
    sq_bind_text(st, 5, u->code);
    sq_bind_text(st, 6, u->language);
    db_bind_int64(st, 7, (db_int64)time(NULL));
    db_bind_int(st, 8, expected_version);
    pl_status r = sq_step_versioned(tx->c, st, err, "org unit");
    if (r != PL_OK)
        return r;
    u->version = expected_version + 1;
    if (u->parent_id == old_parent)
        return PL_OK;
    if ((r = run_pair(tx, SQL_ORG_UNLINK, u->id, 0, err)) != PL_OK)
        return r;
    return run_pair(tx, SQL_ORG_RELINK, u->id, u->parent_id, err);
}

/* ---- groups ------------------------------------------------------------------- */

pl_status store_tx_fhir_group_members(store_tx *tx, pl_id group_id, int max, pl_arena *a,
                                      pl_group_member **out, int *n, pl_err *err)
{
    *n = 0;
    *out = pl_arena_alloc(a, sizeof **out * (size_t)(max > 0 ? max : 1));
    if (!*out)
        return pl_err_set(err, PL_NOMEM, "not enough memory for the group's memberships");
    db_stmt *st = sq_stmt(tx->c, SQL_GROUP_MEMBERS, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, group_id);
    int rc;
    pl_status r = PL_OK;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == max) {
            r = pl_err_set(err, PL_LIMIT, "the group has more than %d memberships", max);
            break;
        }
        pl_group_member *m = &(*out)[(*n)++];
        memset(m, 0, sizeof *m);
        m->id = db_column_int64(st, 0);
        m->group_id = group_id;
        m->participant_id = db_column_int64(st, 1);
        m->joined_on = sq_col_date(st, 2);
        m->left_on = sq_col_date(st, 3);
        m->left_reason = sq_col_text(st, 4, a);
    }
    db_reset(st);
    db_clear_bindings(st);
    if (r == PL_OK && rc != DB_ROW && rc != DB_DONE)
        return sq_error(tx->c->db, rc, err, "group membership");
    return r;
}

/* ---- searches ------------------------------------------------------------------- */

/* Binds _lastUpdated (?17-?18) and runs st into a page of ids (sq_fhir_page, from ?20). */
static pl_status run_page(conn *c, db_stmt *st, const store_fhir_query *q, pl_arena *a, pl_id **ids,
                          int *n, bool *more, pl_err *err)
{
    sq_bind_time(st, 17, q->updated.lo);
    sq_bind_time(st, 18, q->updated.hi);
    return sq_fhir_page(c, st, q, 20, a, ids, n, more, err);
}

/* The reader and the statement of a search, or NULL (scope empty: *n 0, or an error). */
static db_stmt *search_stmt(store *s, const store_fhir_query *q, const char *sql, conn **c, int *n,
                            bool *more, pl_err *err)
{
    *n = 0;
    *more = false;
    if (SQ_SCOPE_EMPTY(q->scope))
        return NULL;
    *c = sq_reader(s, err);
    return *c ? sq_stmt(*c, sql, err) : NULL;
}

#define SEARCH_DONE(st, c, q, a, ids, n, more, err)                                                \
    ((st)                         ? run_page((c), (st), (q), (a), (ids), (n), (more), (err))       \
     : SQ_SCOPE_EMPTY((q)->scope) ? PL_OK                                                          \
                                  : (err)->status)

pl_status store_fhir_encounter_search(store *s, const store_fhir_query *q, uint32_t kf_any,
                                      pl_id session_id, pl_arena *a, pl_id **ids, int *n,
                                      bool *more, pl_err *err)
{
    conn *c = NULL;
    db_stmt *st = search_stmt(s, q, SQL_ENCOUNTER_SEARCH[sq_fhir_variant(q)], &c, n, more, err);
    if (st) {
        sq_bind_id(st, 4, q->participant_id);
        sq_bind_id(st, 5, (pl_id)kf_any);
        sq_bind_id(st, 6, session_id);
        sq_bind_time(st, 13, q->date.lo);
        sq_bind_time(st, 14, q->date.hi);
        sq_bind_time(st, 15, q->date.ne_lo);
        sq_bind_time(st, 16, q->date.ne_hi);
        if (q->date.ne_lo != PL_TIME_NONE && q->date.ne_hi == PL_TIME_NONE)
            db_bind_int64(st, 16, INT64_MAX);
        db_bind_int(st, 19, q->sort);
    }
    return SEARCH_DONE(st, c, q, a, ids, n, more, err);
}

pl_status store_fhir_org_search(store *s, const store_fhir_query *q, pl_id parent_id,
                                const char *name, pl_arena *a, pl_id **ids, int *n, bool *more,
                                pl_err *err)
{
    conn *c = NULL;
    db_stmt *st = search_stmt(s, q, SQL_ORG_SEARCH, &c, n, more, err);
    if (st) {
        sq_bind_id(st, 4, parent_id);
        sq_bind_text(st, 5, name);
    }
    return SEARCH_DONE(st, c, q, a, ids, n, more, err);
}

pl_status store_fhir_staff_search(store *s, const store_fhir_query *q, const char *username,
                                  const char *name, pl_arena *a, pl_id **ids, int *n, bool *more,
                                  pl_err *err)
{
    conn *c = NULL;
    db_stmt *st = search_stmt(s, q, SQL_STAFF_SEARCH, &c, n, more, err);
    if (st) {
        sq_bind_text(st, 4, username);
        sq_bind_text(st, 5, name);
    }
    return SEARCH_DONE(st, c, q, a, ids, n, more, err);
}

pl_status store_fhir_group_search(store *s, const store_fhir_query *q, pl_id member, pl_arena *a,
                                  pl_id **ids, int *n, bool *more, pl_err *err)
{
    conn *c = NULL;
    db_stmt *st = search_stmt(s, q, SQL_GROUP_SEARCH, &c, n, more, err);
    if (st)
        sq_bind_id(st, 4, member);
    return SEARCH_DONE(st, c, q, a, ids, n, more, err);
}

/* ---- single values ---------------------------------------------------------------- */

static pl_status one_value(store *s, const char *sql, pl_id id, bool as_time, void *out,
                           pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, sql, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, id);
    pl_status r = sq_step_row(c, st, err, "record");
    if (r == PL_OK && as_time)
        *(pl_time *)out = sq_col_time(st, 0);
    else if (r == PL_OK)
        *(pl_id *)out = sq_col_id(st, 0);
    db_reset(st);
    return r;
}

pl_status store_fhir_leader_account(store *s, pl_id peer_leader_id, pl_id *account_id, pl_err *err)
{
    return one_value(s, SQL_LEADER_ACCOUNT, peer_leader_id, false, account_id, err);
}

pl_status store_fhir_org_updated(store *s, pl_id id, pl_time *at, pl_err *err)
{
    return one_value(s, SQL_ORG_UPDATED, id, true, at, err);
}

pl_status store_fhir_group_updated(store *s, pl_id id, pl_time *at, pl_err *err)
{
    return one_value(s, SQL_GROUP_UPDATED, id, true, at, err);
}
