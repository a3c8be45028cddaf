/*
 * sqlite_referrals.c - referrals and their closed-loop history (store.h) in
 * SQLite.
 *
 * A referral row holds its current status, when it last changed and, once
 * final (core/referral.h), when it closed; every change appends a
 * referral_event row (append-only: the database refuses UPDATE and
 * DELETE). The transition bumps the version under the version the caller
 * read, so a stale If-Match changes nothing. Lists join the participant
 * for scope, as every participant record does.
 */
#include <string.h>

#include "core/referral.h"
#include "sqlite_int.h"

#define REFERRAL_COLS                                                                              \
    "r.id, r.program_id, r.participant_id, r.service_id, r.resource_text, r.need, r.notes, "       \
    "r.status, r.referred_by, r.created_at, r.status_changed_at, r.closed_at, r.version, "         \
    "s.name, o.name"
#define REFERRAL_FROM                                                                              \
    " FROM referral r LEFT JOIN resource_service s ON s.id = r.service_id "                        \
    "LEFT JOIN resource_organization o ON o.id = s.organization_id"

static const char SQL_INSERT[] =
    "INSERT INTO referral (program_id, participant_id, service_id, resource_text, need, notes, "
    "status, referred_by, created_at, status_changed_at, closed_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)";
static const char SQL_GET[] = "SELECT " REFERRAL_COLS REFERRAL_FROM " WHERE r.id = ?";
static const char SQL_TRANSITION[] =
    "UPDATE referral SET status = ?2, status_changed_at = ?3, closed_at = ?4, "
    "version = version + 1 WHERE id = ?1 AND version = ?5";
static const char SQL_EVENT_INSERT[] =
    "INSERT INTO referral_event (referral_id, from_status, to_status, at, actor_id, note) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_EVENTS[] =
    "SELECT id, referral_id, from_status, to_status, at, actor_id, note FROM referral_event "
    "WHERE referral_id = ? ORDER BY id";
static const char SQL_LINKAGE[] =
    "SELECT count(*), count(*) FILTER (WHERE status = 'completed'), "
    "count(DISTINCT CASE WHEN status = 'completed' THEN participant_id END) FROM referral "
    "WHERE ?1 = 0 OR program_id = ?1";

static const sq_list_def list_def = {
    "SELECT " REFERRAL_COLS REFERRAL_FROM " JOIN participant p ON p.id = r.participant_id "
    "WHERE r.id > ?1",
    {SQ_IN_SUBTREE("p.home_unit_id", 2), " AND p.peer_leader_id = ?3", " AND r.participant_id = ?4",
     " AND r.status = ?5", " AND r.need = ?6", " AND r.closed_at IS NULL AND r.created_at < ?7"},
    " ORDER BY r.id LIMIT ?8"};

static const sq_list_def stale_def = {
    "SELECT " REFERRAL_COLS REFERRAL_FROM " JOIN participant p ON p.id = r.participant_id "
    "WHERE r.id > ?1 AND r.closed_at IS NULL",
    {SQ_IN_SUBTREE("p.home_unit_id", 2), " AND p.peer_leader_id = ?3", " AND r.participant_id = ?4",
     " AND p.peer_leader_id = ?5", " AND r.status_changed_at < ?6"},
    " ORDER BY r.id LIMIT ?8"};

/* An instant filter: 0 and PL_TIME_NONE (both before 1970) mean none. */
#define SQ_ARG_TIME(v) ((sq_list_arg){(v) > 0, (v), NULL})

static bool final_status(const char *name)
{
    pl_referral_status s;
    return pl_referral_status_parse(name, &s) == PL_OK && referral_final(s);
}

static void referral_read(db_stmt *st, pl_arena *a, store_referral *r)
{
    memset(r, 0, sizeof *r);
    r->id = db_column_int64(st, 0);
    r->program_id = db_column_int64(st, 1);
    r->participant_id = db_column_int64(st, 2);
    r->service_id = sq_col_id(st, 3);
    r->resource_text = sq_col_text(st, 4, a);
    r->need = sq_col_text(st, 5, a);
    r->notes = sq_col_text(st, 6, a);
    r->status = sq_col_text(st, 7, a);
    r->referred_by = sq_col_id(st, 8);
    r->created_at = db_column_int64(st, 9);
    r->status_changed_at = db_column_int64(st, 10);
    r->closed_at = sq_col_time(st, 11);
    r->version = db_column_int(st, 12);
    r->service_name = sq_col_text(st, 13, a);
    r->organization_name = sq_col_text(st, 14, a);
}

static void referral_row(db_stmt *st, pl_arena *a, void *item)
{
    referral_read(st, a, item);
}

static pl_status event_append(conn *c, const store_referral_event *ev, pl_err *err)
{
    db_stmt *st = sq_stmt(c, SQL_EVENT_INSERT, err);
    if (!st)
        return err->status;
    pl_id id;
    db_bind_int64(st, 1, ev->referral_id);
    sq_bind_text(st, 2, ev->from_status);
    sq_bind_text(st, 3, ev->to_status);
    db_bind_int64(st, 4, ev->at);
    sq_bind_id(st, 5, ev->actor_id);
    sq_bind_text(st, 6, ev->note);
    return sq_step_insert(c, st, &id, err, "referral event");
}

pl_status store_referral_insert(store_tx *tx, store_referral *r, const char *note, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_INSERT, err);
    if (!st)
        return err->status;
    bool closed = final_status(r->status);
    db_bind_int64(st, 1, r->program_id);
    db_bind_int64(st, 2, r->participant_id);
    sq_bind_id(st, 3, r->service_id);
    sq_bind_text(st, 4, r->resource_text);
    sq_bind_text(st, 5, r->need);
    sq_bind_text(st, 6, r->notes);
    sq_bind_text(st, 7, r->status);
    sq_bind_id(st, 8, r->referred_by);
    db_bind_int64(st, 9, r->created_at);
    sq_bind_time(st, 10, closed ? r->created_at : PL_TIME_NONE);
    pl_status res = sq_step_insert(tx->c, st, &r->id, err, "referral");
    if (res != PL_OK)
        return res;
    r->status_changed_at = r->created_at;
    r->closed_at = closed ? r->created_at : PL_TIME_NONE;
    r->version = 1;
    store_referral_event ev = {.referral_id = r->id,
                               .to_status = r->status,
                               .at = r->created_at,
                               .actor_id = r->referred_by,
                               .note = note};
    if ((res = event_append(tx->c, &ev, err)) != PL_OK)
        return res;
    return store_referral_task_refresh(tx, r->id, err);
}

static pl_status referral_get(conn *c, pl_id id, pl_arena *a, store_referral *out, pl_err *err)
{
    SQ_GET_ONE(c, SQL_GET, id, "referral", referral_read(st, a, out));
}

pl_status store_referral_get(store *s, pl_id id, pl_arena *a, store_referral *out, pl_err *err)
{
    conn *c = sq_reader(s, err);
    return c ? referral_get(c, id, a, out, err) : err->status;
}

pl_status store_tx_referral_get(store_tx *tx, pl_id id, pl_arena *a, store_referral *out,
                                pl_err *err)
{
    return referral_get(tx->c, id, a, out, err);
}

pl_status store_referral_transition(store_tx *tx, store_referral *r, store_referral_event *ev,
                                    int expected_version, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_TRANSITION, err);
    if (!st)
        return err->status;
    bool closed = final_status(ev->to_status);
    db_bind_int64(st, 1, r->id);
    sq_bind_text(st, 2, ev->to_status);
    db_bind_int64(st, 3, ev->at);
    sq_bind_time(st, 4, closed ? ev->at : PL_TIME_NONE);
    db_bind_int(st, 5, expected_version);
    pl_status res = sq_step_versioned(tx->c, st, err, "referral");
    if (res != PL_OK)
        return res;
    ev->referral_id = r->id;
    ev->from_status = r->status;
    if ((res = event_append(tx->c, ev, err)) != PL_OK)
        return res;
    r->status = ev->to_status;
    r->status_changed_at = ev->at;
    r->closed_at = closed ? ev->at : PL_TIME_NONE;
    r->version = expected_version + 1;
    return store_referral_task_refresh(tx, r->id, err);
}

static pl_status events_load(conn *c, pl_id referral_id, pl_arena *a, store_referral_event **items,
                             int *n, pl_err *err)
{
    *items = NULL;
    *n = 0;
    db_stmt *st = sq_stmt(c, SQL_EVENTS, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, referral_id);
    store_referral_event *arr = pl_arena_alloc(a, sizeof *arr * STORE_RSC_MAX_CHILDREN);
    if (!arr) {
        db_reset(st);
        return pl_err_set(err, PL_LIMIT, "the history is larger than the request memory limit");
    }
    int rc = DB_DONE, count = 0;
    while (count < STORE_RSC_MAX_CHILDREN && (rc = db_step(st)) == DB_ROW) {
        store_referral_event *ev = &arr[count++];
        ev->id = db_column_int64(st, 0);
        ev->referral_id = db_column_int64(st, 1);
        ev->from_status = sq_col_text(st, 2, a);
        ev->to_status = sq_col_text(st, 3, a);
        ev->at = db_column_int64(st, 4);
        ev->actor_id = sq_col_id(st, 5);
        ev->note = sq_col_text(st, 6, a);
    }
    pl_status r = PL_OK;
    if (rc != DB_DONE && rc != DB_ROW)
        r = sq_error(c->db, rc, err, "referral events");
    db_reset(st);
    if (r != PL_OK)
        return r;
    *items = arr;
    *n = count;
    return sq_arena_check(a, err);
}

pl_status store_referral_events(store *s, pl_id referral_id, pl_arena *a,
                                store_referral_event **items, int *n, pl_err *err)
{
    *items = NULL;
    *n = 0;
    conn *c = sq_reader(s, err);
    return c ? events_load(c, referral_id, a, items, n, err) : err->status;
}

pl_status store_tx_referral_events(store_tx *tx, pl_id referral_id, pl_arena *a,
                                   store_referral_event **items, int *n, pl_err *err)
{
    return events_load(tx->c, referral_id, a, items, n, err);
}

pl_status store_referral_list(store *s, const store_referral_filter *f, store_page pg, pl_arena *a,
                              store_referral **items, int *n, pl_err *err)
{
    if (SQ_SCOPE_EMPTY(f->scope)) {
        *items = NULL;
        *n = 0;
        return PL_OK;
    }
    sq_list_arg args[SQ_LIST_FILTERS] = {
        SQ_ARG_ID(f->scope.unit_id),  SQ_ARG_ID(f->scope.peer_leader_id),
        SQ_ARG_ID(f->participant_id), SQ_ARG_TEXT(f->status),
        SQ_ARG_TEXT(f->need),         SQ_ARG_TIME(f->created_before)};
    return sq_list_run(s, &list_def, args, pg, a, sizeof **items, referral_row, (void **)items, n,
                       err);
}

pl_status store_referral_stale_list(store *s, const store_referral_stale_filter *f, store_page pg,
                                    pl_arena *a, store_referral **items, int *n, pl_err *err)
{
    if (SQ_SCOPE_EMPTY(f->scope)) {
        *items = NULL;
        *n = 0;
        return PL_OK;
    }
    sq_list_arg args[SQ_LIST_FILTERS] = {
        SQ_ARG_ID(f->scope.unit_id), SQ_ARG_ID(f->scope.peer_leader_id),
        SQ_ARG_ID(f->participant_id), SQ_ARG_ID(f->peer_leader_id), SQ_ARG_TIME(f->changed_before)};
    return sq_list_run(s, &stale_def, args, pg, a, sizeof **items, referral_row, (void **)items, n,
                       err);
}

pl_status store_referral_linkage_get(store *s, pl_id program_id, store_referral_linkage *out,
                                     pl_err *err)
{
    memset(out, 0, sizeof *out);
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQL_LINKAGE, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, program_id);
    pl_status r = sq_step_row(c, st, err, "referrals");
    if (r == PL_OK) {
        out->referrals = db_column_int64(st, 0);
        out->completed = db_column_int64(st, 1);
        out->participants_linked = db_column_int64(st, 2);
    }
    db_reset(st);
    return r;
}
