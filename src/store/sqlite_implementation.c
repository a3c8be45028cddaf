/*
 * sqlite_implementation.c - the SQLite side of implementation ratings and
 * of the activity counts behind the fidelity indicators (store.h).
 *
 * A program's feature list is rows by position; none stored means the
 * defaults of core/implementation.h. A rating keeps the feature codes it
 * rated next to its scores, so changing the list later leaves old ratings
 * readable. Activity is counted from the contact table through the
 * participants of a unit's subtree (participant_unit, then each
 * participant's contact_participant range), so its cost follows the unit,
 * not the program.
 */
#include <string.h>
#include <time.h>

#include "sqlite_int.h"

#define RATING_COLS                                                                                \
    "r.id, r.program_id, r.unit_id, r.period_start, r.period_end, r.rater_id, r.features, "        \
    "r.scores, r.mean, r.level, r.note, r.created_at"

static const char SQL_FEATURES_GET[] =
    "SELECT code, label FROM implementation_feature WHERE program_id = ? ORDER BY position";
static const char SQL_FEATURES_CLEAR[] = "DELETE FROM implementation_feature WHERE program_id = ?";
static const char SQL_FEATURE_PUT[] =
    "INSERT INTO implementation_feature (program_id, position, code, label) VALUES (?,?,?,?)";
static const char SQL_RATING_INSERT[] =
    "INSERT INTO implementation_rating (program_id, unit_id, period_start, period_end, rater_id, "
    "features, scores, mean, level, note, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)";
static const char SQL_RATING_GET[] =
    "SELECT " RATING_COLS " FROM implementation_rating r WHERE r.id = ?";

/* ?1 unit (subtree), ?2 since, ?3 until, ?4 first day, ?5 last day, ?6 limit */
#define ENROLLED_IN_PERIOD(p)                                                                      \
    p ".enrol_date <= ?5 AND (" p ".status = 'enrolled' OR " p ".status_date IS NULL OR " p        \
      ".status_date >= ?4)"
#define IN_UNIT(col) col " IN (SELECT unit_id FROM org_unit_ancestor WHERE ancestor_id = ?1)"
#define CONTACTS_IN_PERIOD                                                                         \
    "FROM participant p JOIN contact c ON c.participant_id = p.id WHERE " IN_UNIT(                 \
        "p.home_unit_id") " AND c.occurred_at >= ?2 AND c.occurred_at < ?3 "                       \
                          "AND c.voided_at IS NULL"
#define ACTIVITY_SUMS                                                                              \
    "count(c.id), coalesce(sum(c.minutes), 0), count(*) FILTER (WHERE c.key_functions & 1 <> 0), " \
    "count(*) FILTER (WHERE c.key_functions & 2 <> 0), count(*) FILTER (WHERE c.key_functions & "  \
    "4 <> 0), "                                                                                    \
    "count(*) FILTER (WHERE c.key_functions & 8 <> 0) " CONTACTS_IN_PERIOD
#define PARTICIPANTS_IN_PERIOD                                                                     \
    "(SELECT count(*) FROM participant q WHERE " IN_UNIT(                                          \
        "q.home_unit_id") " AND " ENROLLED_IN_PERIOD("q")
static const char SQL_ACTIVITY[] =
    "SELECT 0, " PARTICIPANTS_IN_PERIOD "), " ACTIVITY_SUMS " LIMIT ?6";
static const char SQL_ACTIVITY_BY_LEADER[] =
    "SELECT c.peer_leader_id, " PARTICIPANTS_IN_PERIOD
    " AND q.peer_leader_id = c.peer_leader_id), " ACTIVITY_SUMS
    " GROUP BY c.peer_leader_id ORDER BY c.peer_leader_id LIMIT ?6";

/*
 * sessions by status and their attendance, in one row (?4 = 0) or per leading peer leader;
 * the attendance of each session is summed (not read through the outer row's leader, which
 * PostgreSQL refuses in a grouped query)
 */
static const char SQL_SESSIONS[] =
    "SELECT CASE WHEN ?4 <> 0 THEN s.peer_leader_id ELSE 0 END AS leader, "
    "count(*) FILTER (WHERE s.status = 'held'), count(*) FILTER (WHERE s.status = 'cancelled'), "
    "coalesce(sum((SELECT count(*) FROM group_attendance a WHERE a.session_id = s.id)), 0), "
    "coalesce(sum((SELECT count(*) FROM group_attendance a WHERE a.session_id = s.id "
    "AND a.status = 'attended')), 0) "
    "FROM support_group g JOIN group_session s ON s.group_id = g.id WHERE " IN_UNIT(
        "g.unit_id") " AND s.scheduled_at >= ?2 AND s.scheduled_at < ?3 GROUP BY leader";

/* referrals of the subtree's participants made, and completed, in the period (?4: by leader) */
static const char SQL_REFERRALS[] =
    "SELECT CASE WHEN ?4 <> 0 THEN coalesce(p.peer_leader_id, 0) ELSE 0 END AS leader, "
    "count(*) FILTER (WHERE r.created_at >= ?2 AND r.created_at < ?3), "
    "count(*) FILTER (WHERE r.status = 'completed' AND r.closed_at >= ?2 AND r.closed_at < ?3) "
    "FROM participant p JOIN referral r ON r.participant_id = p.id WHERE " IN_UNIT(
        "p.home_unit_id") " AND (r.created_at < ?3 AND (r.closed_at IS NULL OR r.closed_at >= ?2)) "
                          "GROUP BY leader";

/* ---- features ------------------------------------------------------------- */

static pl_status features_get(conn *c, pl_id program_id, pl_arena *a, impl_feature **items, int *n,
                              pl_err *err)
{
    *items = NULL;
    *n = 0;
    impl_feature *arr = pl_arena_alloc(a, sizeof *arr * IMPL_FEATURES_MAX);
    if (!arr)
        return pl_err_set(err, PL_LIMIT, "the list is larger than the request memory limit");
    db_stmt *st = sq_stmt(c, SQL_FEATURES_GET, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, program_id);
    int rc = DB_DONE, count = 0;
    while (count < IMPL_FEATURES_MAX && (rc = db_step(st)) == DB_ROW) {
        arr[count].code = sq_col_text(st, 0, a);
        arr[count].label = sq_col_text(st, 1, a);
        count++;
    }
    db_reset(st);
    if (rc != DB_ROW && rc != DB_DONE)
        return sq_error(c->db, rc, err, "implementation features");
    if (count == 0)
        for (; impl_default_features[count].code; count++)
            arr[count] = impl_default_features[count];
    *items = arr;
    *n = count;
    return sq_arena_check(a, err);
}

pl_status store_impl_features_get(store *s, pl_id program_id, pl_arena *a, impl_feature **items,
                                  int *n, pl_err *err)
{
    conn *c = sq_reader(s, err);
    return c ? features_get(c, program_id, a, items, n, err) : err->status;
}

pl_status store_tx_impl_features_get(store_tx *tx, pl_id program_id, pl_arena *a,
                                     impl_feature **items, int *n, pl_err *err)
{
    return features_get(tx->c, program_id, a, items, n, err);
}

pl_status store_impl_features_put(store_tx *tx, pl_id program_id, const impl_feature *items, int n,
                                  pl_err *err)
{
    if (n < 1 || n > IMPL_FEATURES_MAX)
        return pl_err_set(err, PL_INVALID, "a program rates 1 to %d features", IMPL_FEATURES_MAX);
    db_stmt *st = sq_stmt(tx->c, SQL_FEATURES_CLEAR, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, program_id);
    pl_status r = sq_step_done(tx->c, st, NULL, err, "implementation features");
    for (int i = 0; r == PL_OK && i < n; i++) {
        if (!(st = sq_stmt(tx->c, SQL_FEATURE_PUT, err)))
            return err->status;
        db_bind_int64(st, 1, program_id);
        db_bind_int(st, 2, i);
        sq_bind_text(st, 3, items[i].code);
        sq_bind_text(st, 4, items[i].label);
        r = sq_step_done(tx->c, st, NULL, err, "implementation feature");
    }
    return r;
}

/* ---- ratings -------------------------------------------------------------- */

static void rating_read(db_stmt *st, pl_arena *a, void *item)
{
    store_impl_rating *r = item;
    memset(r, 0, sizeof *r);
    r->id = db_column_int64(st, 0);
    r->program_id = db_column_int64(st, 1);
    r->unit_id = db_column_int64(st, 2);
    r->period_start = sq_col_date(st, 3);
    r->period_end = sq_col_date(st, 4);
    r->rater_id = sq_col_id(st, 5);
    r->features = sq_col_text(st, 6, a);
    r->scores = sq_col_text(st, 7, a);
    r->mean = db_column_double(st, 8);
    r->level = sq_col_text(st, 9, a);
    r->note = sq_col_text(st, 10, a);
    r->created_at = sq_col_time(st, 11);
}

pl_status store_impl_rating_insert(store_tx *tx, store_impl_rating *r, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_RATING_INSERT, err);
    if (!st)
        return err->status;
    r->created_at = (pl_time)time(NULL);
    db_bind_int64(st, 1, r->program_id);
    db_bind_int64(st, 2, r->unit_id);
    sq_bind_date(st, 3, r->period_start);
    sq_bind_date(st, 4, r->period_end);
    sq_bind_id(st, 5, r->rater_id);
    sq_bind_text(st, 6, r->features);
    sq_bind_text(st, 7, r->scores);
    db_bind_double(st, 8, r->mean);
    sq_bind_text(st, 9, r->level);
    sq_bind_text(st, 10, r->note);
    db_bind_int64(st, 11, r->created_at);
    return sq_step_insert(tx->c, st, &r->id, err, "implementation rating");
}

pl_status store_impl_rating_get(store *s, pl_id id, pl_arena *a, store_impl_rating *out,
                                pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    SQ_GET_ONE(c, SQL_RATING_GET, id, "implementation rating", rating_read(st, a, out));
}

static const sq_list_def rating_list = {
    "SELECT " RATING_COLS " FROM implementation_rating r WHERE r.id > ?1",
    {SQ_IN_SUBTREE("r.unit_id", 2), " AND r.unit_id = ?3", " AND r.program_id = ?4"},
    " ORDER BY r.id LIMIT ?8"};

pl_status store_impl_rating_list(store *s, pl_id scope_unit, pl_id unit_id, pl_id program_id,
                                 store_page pg, pl_arena *a, store_impl_rating **items, int *n,
                                 pl_err *err)
{
    sq_list_arg args[SQ_LIST_FILTERS] = {SQ_ARG_ID(scope_unit), SQ_ARG_ID(unit_id),
                                         SQ_ARG_ID(program_id)};
    return sq_list_run(s, &rating_list, args, pg, a, sizeof **items, rating_read, (void **)items, n,
                       err);
}

/* ---- activity ------------------------------------------------------------- */

static void activity_read(db_stmt *st, pl_arena *a, void *item)
{
    store_activity *r = item;
    memset(r, 0, sizeof *r);
    r->peer_leader_id = db_column_int64(st, 0);
    r->participants = db_column_int64(st, 1);
    r->contacts = db_column_int64(st, 2);
    r->contact_minutes = db_column_int64(st, 3);
    for (int k = 0; k < 4; k++)
        r->key_function[k] = db_column_int64(st, 4 + k);
}

static pl_status add_counts(conn *c, const char *sqltext, pl_id unit_id, pl_time since,
                            pl_time until, bool by_leader, store_activity *rows, int n, int which,
                            pl_err *err);

pl_status store_activity_get(store *s, pl_id unit_id, pl_time since, pl_time until, bool by_leader,
                             int max, pl_arena *a, store_activity **rows, int *n, bool *more,
                             pl_err *err)
{
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, by_leader ? SQL_ACTIVITY_BY_LEADER : SQL_ACTIVITY, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, unit_id);
    db_bind_int64(st, 2, since);
    db_bind_int64(st, 3, until);
    db_bind_int64(st, 4, since / 86400);
    db_bind_int64(st, 5, (until - 1) / 86400);
    pl_status r =
        sq_read_capped(c, st, 6, max, a, sizeof **rows, activity_read, (void **)rows, n, more, err);
    if (r != PL_OK)
        return r;
    /* the group sessions and the referrals, added to the row of their leader (or to the total) */
    if ((r = add_counts(c, SQL_SESSIONS, unit_id, since, until, by_leader, *rows, *n, 0, err)) !=
        PL_OK)
        return r;
    return add_counts(c, SQL_REFERRALS, unit_id, since, until, by_leader, *rows, *n, 1, err);
}

/*
 * Runs a statement answering (leader, counts...) rows for ?1 unit, ?2-?3 period and ?4
 * by-leader, adding its counts to the activity row of the same leader: sessions (which 0) or
 * referrals (which 1).
 */
static pl_status add_counts(conn *c, const char *sqltext, pl_id unit_id, pl_time since,
                            pl_time until, bool by_leader, store_activity *rows, int n, int which,
                            pl_err *err)
{
    db_stmt *st = sq_stmt(c, sqltext, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, unit_id);
    db_bind_int64(st, 2, since);
    db_bind_int64(st, 3, until);
    db_bind_int(st, 4, by_leader);
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        pl_id leader = db_column_int64(st, 0);
        for (int i = 0; i < n; i++) {
            store_activity *row = &rows[i];
            if (row->peer_leader_id != leader)
                continue;
            if (which == 0) {
                row->sessions_held = db_column_int64(st, 1);
                row->sessions_cancelled = db_column_int64(st, 2);
                row->attendance_records = db_column_int64(st, 3);
                row->attended = db_column_int64(st, 4);
            } else {
                row->referrals_made = db_column_int64(st, 1);
                row->referrals_completed = db_column_int64(st, 2);
            }
        }
    }
    db_reset(st);
    db_clear_bindings(st);
    if (rc != DB_DONE)
        return sq_error(c->db, rc, err, "activity counts");
    return PL_OK;
}
