/*
 * sqlite_groups.c - the SQLite side of groups: support groups, their
 * time-bounded memberships, sessions, per-member attendance and course
 * templates (store.h, "groups, sessions, attendance and course
 * templates"; docs/GROUPS.md).
 *
 * An attended session is a contact: recording attendance inserts one
 * contact per attendee with store_contact_insert() and links it to the
 * session (contact.group_session_id, unique per session and participant,
 * so a re-recording can never make a second one) and to the attendance row
 * (group_attendance.contact_id). A member whose attendance changes away
 * from "attended" (or who is left out of a re-recording) has that contact
 * voided (contact.voided_at): every contact read leaves it out, and since
 * the row stays its id is never given to another contact (SQLite reuses the
 * largest rowid once deleted), so the audit trail's contact ids stay
 * unambiguous. Attended again, the same contact is restored. Editing a
 * session carries its time, minutes, key functions and topics over to its
 * contacts.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/time.h"
#include "sqlite_int.h"

/* ---- SQL ------------------------------------------------------------------ */

#define GROUP_COLS                                                                                 \
    "g.id, g.program_id, g.unit_id, g.kind, g.name, g.peer_leader_id, g.co_leader_id, "            \
    "g.language, g.location, g.active, g.version"
#define MEMBER_COLS                                                                                \
    "m.id, m.group_id, m.participant_id, m.joined_on, m.left_on, m.left_reason, pe.given_name, "   \
    "pe.family_name"
#define MEMBER_FROM                                                                                \
    " FROM group_membership m JOIN participant p ON p.id = m.participant_id "                      \
    "JOIN person pe ON pe.id = p.person_id"
#define SESSION_COLS                                                                               \
    "s.id, s.group_id, s.peer_leader_id, s.status, s.scheduled_at, s.minutes, s.topic, "           \
    "s.module_code, s.template_id, s.module_no, s.location, s.notes, s.key_functions, s.topics, "  \
    "s.cancel_reason, s.version, "                                                                 \
    "(SELECT count(*) FROM group_attendance a WHERE a.session_id = s.id AND "                      \
    "a.status = 'attended'), "                                                                     \
    "(SELECT count(*) FROM group_attendance a WHERE a.session_id = s.id AND a.status = "           \
    "'absent'), "                                                                                  \
    "(SELECT count(*) FROM group_attendance a WHERE a.session_id = s.id AND a.status = "           \
    "'excused'), "                                                                                 \
    "(SELECT program_id FROM support_group WHERE id = s.group_id)"
#define TEMPLATE_COLS                                                                              \
    "t.id, t.program_id, t.code, t.name, t.sessions, t.interval_days, t.minutes, "                 \
    "t.key_functions, t.modules"
/* a participant p seen by the scope in ?A (unit, 0: all) and ?B (peer leader, 0: any) */
#define PARTICIPANT_SEEN(a, b)                                                                     \
    " AND (?" #a " = 0 OR p.home_unit_id IN (SELECT unit_id FROM org_unit_ancestor WHERE "         \
    "ancestor_id = ?" #a ")) AND (?" #b " = 0 OR p.peer_leader_id = ?" #b ")"

static const char SQL_GROUP_INSERT[] =
    "INSERT INTO support_group (program_id, unit_id, kind, name, peer_leader_id, co_leader_id, "
    "language, location, active, created_at, updated_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,"
    "?10)";
static const char SQL_GROUP_GET[] = "SELECT " GROUP_COLS " FROM support_group g WHERE g.id = ?";
static const char SQL_GROUP_UPDATE[] =
    "UPDATE support_group SET kind = ?2, name = ?3, peer_leader_id = ?4, co_leader_id = ?5, "
    "language = ?6, location = ?7, active = ?8, version = version + 1, updated_at = ?9 "
    "WHERE id = ?1 AND version = ?10";
static const char SQL_GROUP_VISIBLE[] =
    "SELECT 1 FROM support_group g WHERE g.id = ?1 AND (?2 = 0 OR g.unit_id IN (SELECT unit_id "
    "FROM org_unit_ancestor WHERE ancestor_id = ?2)) AND (?3 = 0 OR g.peer_leader_id = ?3)";

static const char SQL_MEMBER_GET[] = "SELECT " MEMBER_COLS MEMBER_FROM " WHERE m.id = ?";
static const char SQL_MEMBER_HISTORY[] =
    "SELECT count(*) FILTER (WHERE left_on IS NULL), max(left_on) FROM group_membership "
    "WHERE participant_id = ?2 AND group_id = ?1";
static const char SQL_MEMBER_INSERT[] =
    "INSERT INTO group_membership (group_id, participant_id, joined_on, left_on, left_reason, "
    "created_at) VALUES (?,?,?,?,?,?)";
/* a membership that starts or ends changes the group's roster: its version (the FHIR Group's
   ETag, which carries the members) and updated_at move with it */
static const char SQL_GROUP_TOUCH[] =
    "UPDATE support_group SET version = version + 1, updated_at = ?2 WHERE id = ?1";
static const char SQL_MEMBER_END[] = "UPDATE group_membership SET left_on = ?2, left_reason = ?3 "
                                     "WHERE id = ?1 AND left_on IS NULL";
static const char SQL_MEMBER_LAST_ATTENDED[] =
    "SELECT max(s.scheduled_at) FROM group_attendance a JOIN group_session s ON s.id = "
    "a.session_id WHERE a.participant_id = ?2 AND s.group_id = ?1 AND s.scheduled_at >= ?3";
static const char SQL_MEMBER_ON[] =
    "SELECT 1 FROM group_membership m JOIN participant p ON p.id = m.participant_id "
    "WHERE m.participant_id = ?2 AND m.group_id = ?1 AND m.joined_on <= ?3 "
    "AND (m.left_on IS NULL OR m.left_on > ?3)" PARTICIPANT_SEEN(4, 5) " LIMIT 1";

static const char SQL_SESSION_INSERT[] =
    "INSERT INTO group_session (group_id, peer_leader_id, status, scheduled_at, minutes, topic, "
    "module_code, template_id, module_no, location, notes, key_functions, topics, cancel_reason, "
    "created_at, updated_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?15)";
static const char SQL_SESSION_GET[] = "SELECT " SESSION_COLS " FROM group_session s WHERE s.id = ?";
static const char SQL_SESSION_UPDATE[] =
    "UPDATE group_session SET status = ?2, scheduled_at = ?3, minutes = ?4, topic = ?5, "
    "module_code = ?6, location = ?7, notes = ?8, key_functions = ?9, topics = ?10, "
    "cancel_reason = ?11, version = version + 1, updated_at = ?12 WHERE id = ?1 AND version = ?13";
static const char SQL_SESSION_HELD[] =
    "UPDATE group_session SET status = 'held', version = version + 1, updated_at = ?2 "
    "WHERE id = ?1 AND status = 'scheduled'";
/* the contacts a session's attendance made follow the session */
static const char SQL_SESSION_CONTACTS_SYNC[] =
    "UPDATE contact SET occurred_at = ?2, minutes = ?3, key_functions = ?4, topics = ?5, "
    "peer_leader_id = ?6, note = ?7 WHERE group_session_id = ?1";

static const char SQL_ATT_SEEN[] =
    "SELECT a.session_id, a.participant_id, a.status, a.contact_id, a.recorded_by, "
    "a.recorded_at FROM group_attendance a JOIN participant p ON p.id = a.participant_id "
    "WHERE a.session_id = ?1" PARTICIPANT_SEEN(2, 3) " ORDER BY a.participant_id";
static const char SQL_ATT_UPSERT[] =
    "INSERT INTO group_attendance (session_id, participant_id, status, contact_id, recorded_by, "
    "recorded_at) VALUES (?1,?2,?3,?4,?5,?6) ON CONFLICT (session_id, participant_id) DO UPDATE "
    "SET status = excluded.status, contact_id = excluded.contact_id, "
    "recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at";
static const char SQL_ATT_DELETE[] =
    "DELETE FROM group_attendance WHERE session_id = ?1 AND participant_id = ?2";
static const char SQL_CONTACT_LINK[] = "UPDATE contact SET group_session_id = ?2 WHERE id = ?1";
static const char SQL_CONTACT_OF[] = "SELECT id, voided_at IS NOT NULL FROM contact "
                                     "WHERE group_session_id = ?1 AND participant_id = ?2";
/* a voided or restored attendance contact is a new version of it (its Encounter's ETag) */
static const char SQL_CONTACT_VOID[] =
    "UPDATE contact SET voided_at = ?2, version = version + 1, updated_at = ?2 "
    "WHERE id = ?1 AND group_session_id IS NOT NULL";
static const char SQL_CONTACT_RESTORE[] =
    "UPDATE contact SET voided_at = NULL, version = version + 1, updated_at = ?2 "
    "WHERE id = ?1 AND group_session_id IS NOT NULL";

static const char SQL_TEMPLATE_INSERT[] =
    "INSERT INTO course_template (program_id, code, name, sessions, interval_days, minutes, "
    "key_functions, modules, created_at) VALUES (?,?,?,?,?,?,?,?,?)";
static const char SQL_TEMPLATE_GET[] =
    "SELECT " TEMPLATE_COLS " FROM course_template t WHERE t.id = ?";

static const sq_list_def group_list = {"SELECT " GROUP_COLS " FROM support_group g WHERE g.id > ?1",
                                       {SQ_IN_SUBTREE("g.unit_id", 2), " AND g.peer_leader_id = ?3",
                                        SQ_IN_SUBTREE("g.unit_id", 4), " AND g.peer_leader_id = ?5",
                                        " AND g.co_leader_id = ?6", " AND g.kind = ?7"},
                                       " ORDER BY g.id LIMIT ?8"};

static const sq_list_def member_list = {
    "SELECT " MEMBER_COLS MEMBER_FROM " WHERE m.id > ?1",
    {SQ_IN_SUBTREE("p.home_unit_id", 2), " AND p.peer_leader_id = ?3", " AND m.group_id = ?4",
     " AND m.participant_id = ?5", " AND (CASE WHEN m.left_on IS NULL THEN 1 ELSE 0 END) = ?6"},
    " ORDER BY m.id LIMIT ?8"};

static const sq_list_def session_list = {
    "SELECT " SESSION_COLS " FROM group_session s JOIN support_group g ON g.id = s.group_id "
    "WHERE s.id > ?1",
    {SQ_IN_SUBTREE("g.unit_id", 2), " AND g.peer_leader_id = ?3", " AND s.group_id = ?4",
     " AND s.scheduled_at >= ?5", " AND s.scheduled_at < ?6", " AND s.status = ?7"},
    " ORDER BY s.id LIMIT ?8"};

/* templates of the programs above the scope's unit (its own program) or below it */
static const sq_list_def template_list = {
    "SELECT " TEMPLATE_COLS " FROM course_template t WHERE t.id > ?1",
    {" AND (t.program_id IN (SELECT ancestor_id FROM org_unit_ancestor WHERE unit_id = ?2) OR "
     "t.program_id IN (SELECT unit_id FROM org_unit_ancestor WHERE ancestor_id = ?2))",
     " AND t.program_id = ?3"},
    " ORDER BY t.id LIMIT ?8"};

/* ---- row readers ---------------------------------------------------------- */

static void group_read(db_stmt *st, pl_arena *a, pl_group *g)
{
    memset(g, 0, sizeof *g);
    g->id = db_column_int64(st, 0);
    g->program_id = db_column_int64(st, 1);
    g->unit_id = db_column_int64(st, 2);
    pl_group_kind_parse((const char *)db_column_text(st, 3), &g->kind);
    g->name = sq_col_text(st, 4, a);
    g->peer_leader_id = db_column_int64(st, 5);
    g->co_leader_id = sq_col_id(st, 6);
    g->language = sq_col_text(st, 7, a);
    g->location = sq_col_text(st, 8, a);
    g->active = db_column_int(st, 9) != 0;
    g->version = db_column_int(st, 10);
}

static void member_read(db_stmt *st, pl_arena *a, pl_group_member *m)
{
    memset(m, 0, sizeof *m);
    m->id = db_column_int64(st, 0);
    m->group_id = db_column_int64(st, 1);
    m->participant_id = db_column_int64(st, 2);
    m->joined_on = sq_col_date(st, 3);
    m->left_on = sq_col_date(st, 4);
    m->left_reason = sq_col_text(st, 5, a);
    m->given_name = sq_col_text(st, 6, a);
    m->family_name = sq_col_text(st, 7, a);
}

static void session_read(db_stmt *st, pl_arena *a, pl_group_session *s)
{
    memset(s, 0, sizeof *s);
    s->id = db_column_int64(st, 0);
    s->group_id = db_column_int64(st, 1);
    s->peer_leader_id = db_column_int64(st, 2);
    pl_session_status_parse((const char *)db_column_text(st, 3), &s->status);
    s->scheduled_at = db_column_int64(st, 4);
    s->minutes = db_column_int(st, 5);
    s->topic = sq_col_text(st, 6, a);
    s->module_code = sq_col_text(st, 7, a);
    s->template_id = sq_col_id(st, 8);
    s->module_no = db_column_int(st, 9);
    s->location = sq_col_text(st, 10, a);
    s->notes = sq_col_text(st, 11, a);
    s->key_functions = (uint32_t)db_column_int64(st, 12);
    s->topics = (uint32_t)db_column_int64(st, 13);
    s->cancel_reason = sq_col_text(st, 14, a);
    s->version = db_column_int(st, 15);
    s->attended = db_column_int(st, 16);
    s->absent = db_column_int(st, 17);
    s->excused = db_column_int(st, 18);
    s->program_id = db_column_int64(st, 19);
}

static void template_read(db_stmt *st, pl_arena *a, pl_course_template *t)
{
    memset(t, 0, sizeof *t);
    t->id = db_column_int64(st, 0);
    t->program_id = db_column_int64(st, 1);
    t->code = sq_col_text(st, 2, a);
    t->name = sq_col_text(st, 3, a);
    t->sessions = db_column_int(st, 4);
    t->interval_days = db_column_int(st, 5);
    t->minutes = db_column_int(st, 6);
    t->key_functions = (uint32_t)db_column_int64(st, 7);
    t->modules = sq_col_text(st, 8, a);
}

static void attendance_read(db_stmt *st, store_attendance *r)
{
    memset(r, 0, sizeof *r);
    r->session_id = db_column_int64(st, 0);
    r->participant_id = db_column_int64(st, 1);
    pl_attendance_parse((const char *)db_column_text(st, 2), &r->status);
    r->contact_id = sq_col_id(st, 3);
    r->recorded_by = sq_col_id(st, 4);
    r->recorded_at = sq_col_time(st, 5);
}

static void group_row(db_stmt *st, pl_arena *a, void *p)
{
    group_read(st, a, p);
}
static void member_row(db_stmt *st, pl_arena *a, void *p)
{
    member_read(st, a, p);
}
static void session_row(db_stmt *st, pl_arena *a, void *p)
{
    session_read(st, a, p);
}
static void template_row(db_stmt *st, pl_arena *a, void *p)
{
    template_read(st, a, p);
}

/* ---- groups ----------------------------------------------------------------- */

pl_status store_group_insert(store_tx *tx, pl_group *g, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_GROUP_INSERT, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, g->program_id);
    db_bind_int64(st, 2, g->unit_id);
    db_bind_text(st, 3, pl_group_kind_name(g->kind), -1, DB_STATIC);
    sq_bind_text(st, 4, g->name);
    db_bind_int64(st, 5, g->peer_leader_id);
    sq_bind_id(st, 6, g->co_leader_id);
    sq_bind_text(st, 7, g->language);
    sq_bind_text(st, 8, g->location);
    db_bind_int(st, 9, g->active);
    db_bind_int64(st, 10, (db_int64)time(NULL));
    pl_status r = sq_step_insert(tx->c, st, &g->id, err, "group");
    if (r == PL_OK)
        g->version = 1;
    return r;
}

static pl_status group_get(conn *c, pl_id id, pl_arena *a, pl_group *g, pl_err *err)
{
    SQ_GET_ONE(c, SQL_GROUP_GET, id, "group", group_read(st, a, g));
}

pl_status store_group_get(store *s, pl_id id, pl_arena *a, pl_group *out, pl_err *err)
{
    conn *c = sq_reader(s, err);
    return c ? group_get(c, id, a, out, err) : err->status;
}

pl_status store_tx_group_get(store_tx *tx, pl_id id, pl_arena *a, pl_group *out, pl_err *err)
{
    return group_get(tx->c, id, a, out, err);
}

pl_status store_group_update(store_tx *tx, pl_group *g, int expected_version, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_GROUP_UPDATE, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, g->id);
    db_bind_text(st, 2, pl_group_kind_name(g->kind), -1, DB_STATIC);
    sq_bind_text(st, 3, g->name);
    db_bind_int64(st, 4, g->peer_leader_id);
    sq_bind_id(st, 5, g->co_leader_id);
    sq_bind_text(st, 6, g->language);
    sq_bind_text(st, 7, g->location);
    db_bind_int(st, 8, g->active);
    db_bind_int64(st, 9, (db_int64)time(NULL));
    db_bind_int(st, 10, expected_version);
    pl_status r = sq_step_versioned(tx->c, st, err, "group");
    if (r == PL_OK)
        g->version = expected_version + 1;
    return r;
}

pl_status store_group_visible(store *s, const store_scope *sc, pl_id group_id, pl_err *err)
{
    if (SQ_SCOPE_EMPTY(*sc))
        return pl_err_set(err, PL_NOTFOUND, "group not found");
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQL_GROUP_VISIBLE, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, group_id);
    db_bind_int64(st, 2, sc->unit_id);
    db_bind_int64(st, 3, sc->peer_leader_id);
    pl_status r = sq_step_row(c, st, err, "group");
    db_reset(st);
    return r;
}

pl_status store_group_list(store *s, const store_group_filter *f, store_page pg, pl_arena *a,
                           pl_group **items, int *n, pl_err *err)
{
    if (SQ_SCOPE_EMPTY(f->scope)) {
        *items = NULL;
        *n = 0;
        return PL_OK;
    }
    sq_list_arg args[SQ_LIST_FILTERS] = {
        SQ_ARG_ID(f->scope.unit_id),
        SQ_ARG_ID(f->scope.peer_leader_id),
        SQ_ARG_ID(f->unit_id),
        SQ_ARG_ID(f->peer_leader_id),
        SQ_ARG_ID(f->co_leader_id),
        SQ_ARG_TEXT(f->kind >= 0 ? pl_group_kind_name((pl_group_kind)f->kind) : NULL)};
    return sq_list_run(s, &group_list, args, pg, a, sizeof **items, group_row, (void **)items, n,
                       err);
}

/* ---- memberships -------------------------------------------------------------- */

static pl_status group_touch(store_tx *tx, pl_id group_id, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_GROUP_TOUCH, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, group_id);
    db_bind_int64(st, 2, (db_int64)time(NULL));
    return sq_step_done(tx->c, st, NULL, err, "group");
}

pl_status store_group_member_add(store_tx *tx, pl_group_member *m, pl_err *err)
{
    pl_arena a;
    pl_arena_init(&a, 0);
    pl_group g = {0};
    pl_participant p = {0};
    pl_status r = store_tx_group_get(tx, m->group_id, &a, &g, err);
    if (r != PL_OK)
        goto done;
    if (store_tx_participant_get(tx, m->participant_id, &a, &p, err) != PL_OK) {
        pl_err_clear(err);
        pl_err_field(err, "participant_id", "is not a participant");
        r = PL_INVALID;
        goto done;
    }
    if (p.program_id != g.program_id) {
        pl_err_field(err, "participant_id", "is a participant of another program than the group's");
        r = PL_INVALID;
        goto done;
    }
    if (p.status != PL_ENROL_ENROLLED && m->left_on == PL_DATE_NONE) {
        pl_err_field(err, "participant_id", "is %s: only an enrolled participant can join a group",
                     pl_enrol_status_name(p.status));
        r = PL_INVALID;
        goto done;
    }
    char day[PL_DATE_STRLEN];
    if (m->joined_on == PL_DATE_NONE) {
        pl_err_field(err, "joined_on", "is required");
        r = PL_INVALID;
        goto done;
    }
    if (m->joined_on < p.enrol_date) {
        pl_date_format(p.enrol_date, day);
        pl_err_field(err, "joined_on", "must not be before the participant's enrolment (%s)", day);
        r = PL_INVALID;
        goto done;
    }
    db_stmt *st = sq_stmt(tx->c, SQL_MEMBER_HISTORY, err);
    if (!st) {
        r = err->status;
        goto done;
    }
    db_bind_int64(st, 1, m->group_id);
    db_bind_int64(st, 2, m->participant_id);
    r = sq_step_row(tx->c, st, err, "membership");
    int open = r == PL_OK ? db_column_int(st, 0) : 0;
    pl_date last_left = r == PL_OK ? sq_col_date(st, 1) : PL_DATE_NONE;
    db_reset(st);
    if (r != PL_OK)
        goto done;
    if (open > 0) {
        pl_err_field(err, "participant_id", "is a member of this group already");
        r = PL_INVALID;
        goto done;
    }
    if (last_left != PL_DATE_NONE && m->joined_on < last_left) {
        pl_date_format(last_left, day);
        pl_err_field(err, "joined_on",
                     "must not be before %s, when the participant's last membership ended", day);
        r = PL_INVALID;
        goto done;
    }
    if (m->left_on != PL_DATE_NONE && m->left_on < m->joined_on) {
        pl_err_field(err, "left_on", "must not be before joined_on");
        r = PL_INVALID;
        goto done;
    }
    if (!(st = sq_stmt(tx->c, SQL_MEMBER_INSERT, err))) {
        r = err->status;
        goto done;
    }
    db_bind_int64(st, 1, m->group_id);
    db_bind_int64(st, 2, m->participant_id);
    db_bind_int(st, 3, m->joined_on);
    sq_bind_date(st, 4, m->left_on);
    sq_bind_text(st, 5, m->left_on != PL_DATE_NONE ? m->left_reason : NULL);
    db_bind_int64(st, 6, (db_int64)time(NULL));
    r = sq_step_insert(tx->c, st, &m->id, err, "membership");
    if (r == PL_OK)
        r = group_touch(tx, m->group_id, err);
done:
    pl_arena_free(&a);
    return r;
}

static pl_status member_get(conn *c, pl_id id, pl_arena *a, pl_group_member *m, pl_err *err)
{
    SQ_GET_ONE(c, SQL_MEMBER_GET, id, "membership", member_read(st, a, m));
}

pl_status store_group_member_get(store *s, pl_id id, pl_arena *a, pl_group_member *out, pl_err *err)
{
    conn *c = sq_reader(s, err);
    return c ? member_get(c, id, a, out, err) : err->status;
}

pl_status store_group_member_end(store_tx *tx, pl_id group_id, pl_id id, pl_date left_on,
                                 const char *reason, pl_arena *a, pl_group_member *out, pl_err *err)
{
    pl_status r = member_get(tx->c, id, a, out, err);
    if (r != PL_OK)
        return r;
    if (out->group_id != group_id)
        return pl_err_set(err, PL_NOTFOUND, "membership not found");
    char day[PL_DATE_STRLEN];
    if (out->left_on != PL_DATE_NONE) {
        pl_date_format(out->left_on, day);
        pl_err_field(err, "left_on", "the membership already ended on %s", day);
        return PL_INVALID;
    }
    if (left_on == PL_DATE_NONE || left_on < out->joined_on) {
        pl_date_format(out->joined_on, day);
        pl_err_field(err, "left_on", "must not be before the participant joined (%s)", day);
        return PL_INVALID;
    }
    db_stmt *st = sq_stmt(tx->c, SQL_MEMBER_LAST_ATTENDED, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, group_id);
    db_bind_int64(st, 2, out->participant_id);
    db_bind_int64(st, 3, pl_date_time(left_on));
    r = sq_step_row(tx->c, st, err, "membership");
    pl_time last = r == PL_OK ? sq_col_time(st, 0) : PL_TIME_NONE;
    db_reset(st);
    if (r != PL_OK)
        return r;
    if (last != PL_TIME_NONE) {
        pl_date_format(pl_time_date(last), day);
        pl_err_field(err, "left_on",
                     "must be after %s: the participant's attendance is recorded for a session "
                     "that day",
                     day);
        return PL_INVALID;
    }
    if (!(st = sq_stmt(tx->c, SQL_MEMBER_END, err)))
        return err->status;
    db_bind_int64(st, 1, id);
    db_bind_int(st, 2, left_on);
    sq_bind_text(st, 3, reason);
    int changed = 0;
    if ((r = sq_step_done(tx->c, st, &changed, err, "membership")) != PL_OK)
        return r;
    if (changed != 1)
        return pl_err_set(err, PL_STALE, "the membership changed meanwhile; reload and try again");
    if ((r = group_touch(tx, group_id, err)) != PL_OK)
        return r;
    out->left_on = left_on;
    out->left_reason = reason;
    return PL_OK;
}

pl_status store_group_member_list(store *s, const store_group_member_filter *f, store_page pg,
                                  pl_arena *a, pl_group_member **items, int *n, pl_err *err)
{
    if (SQ_SCOPE_EMPTY(f->scope)) {
        *items = NULL;
        *n = 0;
        return PL_OK;
    }
    sq_list_arg args[SQ_LIST_FILTERS] = {SQ_ARG_ID(f->scope.unit_id),
                                         SQ_ARG_ID(f->scope.peer_leader_id), SQ_ARG_ID(f->group_id),
                                         SQ_ARG_ID(f->participant_id), SQ_ARG_INT(f->current, -1)};
    return sq_list_run(s, &member_list, args, pg, a, sizeof **items, member_row, (void **)items, n,
                       err);
}

/* ---- sessions -------------------------------------------------------------------- */

static void session_bind_common(db_stmt *st, const pl_group_session *s, int status_at)
{
    /* status, scheduled_at, minutes, topic, module_code at status_at .. status_at + 4 */
    db_bind_text(st, status_at, pl_session_status_name(s->status), -1, DB_STATIC);
    db_bind_int64(st, status_at + 1, s->scheduled_at);
    db_bind_int(st, status_at + 2, s->minutes);
    sq_bind_text(st, status_at + 3, s->topic);
    sq_bind_text(st, status_at + 4, s->module_code);
}

pl_status store_group_session_insert(store_tx *tx, pl_group_session *s, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_SESSION_INSERT, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, s->group_id);
    db_bind_int64(st, 2, s->peer_leader_id);
    session_bind_common(st, s, 3);
    sq_bind_id(st, 8, s->template_id);
    if (s->module_no > 0)
        db_bind_int(st, 9, s->module_no);
    else
        db_bind_null(st, 9);
    sq_bind_text(st, 10, s->location);
    sq_bind_text(st, 11, s->notes);
    db_bind_int64(st, 12, s->key_functions);
    db_bind_int64(st, 13, s->topics);
    sq_bind_text(st, 14, s->status == PL_SESSION_CANCELLED ? s->cancel_reason : NULL);
    db_bind_int64(st, 15, (db_int64)time(NULL));
    pl_status r = sq_step_insert(tx->c, st, &s->id, err, "group session");
    if (r == PL_OK)
        s->version = 1;
    return r;
}

static pl_status session_get(conn *c, pl_id id, pl_arena *a, pl_group_session *s, pl_err *err)
{
    SQ_GET_ONE(c, SQL_SESSION_GET, id, "group session", session_read(st, a, s));
}

pl_status store_group_session_get(store *s, pl_id id, pl_arena *a, pl_group_session *out,
                                  pl_err *err)
{
    conn *c = sq_reader(s, err);
    return c ? session_get(c, id, a, out, err) : err->status;
}

pl_status store_tx_group_session_get(store_tx *tx, pl_id id, pl_arena *a, pl_group_session *out,
                                     pl_err *err)
{
    return session_get(tx->c, id, a, out, err);
}

/* Carries the session's time, minutes, key functions, topics, leader and topic to its contacts. */
static pl_status session_contacts_sync(conn *c, const pl_group_session *s, pl_err *err)
{
    db_stmt *st = sq_stmt(c, SQL_SESSION_CONTACTS_SYNC, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, s->id);
    db_bind_int64(st, 2, s->scheduled_at);
    db_bind_int(st, 3, s->minutes);
    db_bind_int64(st, 4, s->key_functions);
    db_bind_int64(st, 5, s->topics);
    db_bind_int64(st, 6, s->peer_leader_id);
    sq_bind_text(st, 7, s->topic);
    return sq_step_done(c, st, NULL, err, "group session contacts");
}

pl_status store_group_session_update(store_tx *tx, pl_group_session *s, int expected_version,
                                     pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_SESSION_UPDATE, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, s->id);
    session_bind_common(st, s, 2);
    sq_bind_text(st, 7, s->location);
    sq_bind_text(st, 8, s->notes);
    db_bind_int64(st, 9, s->key_functions);
    db_bind_int64(st, 10, s->topics);
    sq_bind_text(st, 11, s->status == PL_SESSION_CANCELLED ? s->cancel_reason : NULL);
    db_bind_int64(st, 12, (db_int64)time(NULL));
    db_bind_int(st, 13, expected_version);
    pl_status r = sq_step_versioned(tx->c, st, err, "group session");
    if (r != PL_OK)
        return r;
    s->version = expected_version + 1;
    return session_contacts_sync(tx->c, s, err);
}

pl_status store_group_session_list(store *s, const store_group_session_filter *f, store_page pg,
                                   pl_arena *a, pl_group_session **items, int *n, pl_err *err)
{
    if (SQ_SCOPE_EMPTY(f->scope)) {
        *items = NULL;
        *n = 0;
        return PL_OK;
    }
    sq_list_arg args[SQ_LIST_FILTERS] = {
        SQ_ARG_ID(f->scope.unit_id),
        SQ_ARG_ID(f->scope.peer_leader_id),
        SQ_ARG_ID(f->group_id),
        SQ_ARG_INT(f->since, PL_TIME_NONE),
        SQ_ARG_INT(f->until, PL_TIME_NONE),
        SQ_ARG_TEXT(f->status >= 0 ? pl_session_status_name((pl_session_status)f->status) : NULL)};
    return sq_list_run(s, &session_list, args, pg, a, sizeof **items, session_row, (void **)items,
                       n, err);
}

/* ---- attendance ---------------------------------------------------------------------- */

/* The session's attendance rows the scope sees, into an arena array. */
static pl_status attendance_seen(conn *c, pl_id session_id, const store_scope *sc, pl_arena *a,
                                 store_attendance **items, int *n, pl_err *err)
{
    *items = NULL;
    *n = 0;
    if (SQ_SCOPE_EMPTY(*sc))
        return PL_OK;
    db_stmt *st = sq_stmt(c, SQL_ATT_SEEN, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, session_id);
    db_bind_int64(st, 2, sc->unit_id);
    db_bind_int64(st, 3, sc->peer_leader_id);
    int cap = 0, rc;
    store_attendance *arr = NULL;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == cap) {
            int ncap = cap ? cap * 2 : 64;
            store_attendance *bigger = pl_arena_alloc(a, sizeof *bigger * (size_t)ncap);
            if (!bigger) {
                db_reset(st);
                return pl_err_set(err, PL_LIMIT, "the attendance is larger than the memory limit");
            }
            if (*n)
                memcpy(bigger, arr, sizeof *arr * (size_t)*n);
            arr = bigger;
            cap = ncap;
        }
        attendance_read(st, &arr[(*n)++]);
    }
    db_reset(st);
    if (rc != DB_DONE)
        return sq_error(c->db, rc, err, "attendance");
    *items = arr;
    return PL_OK;
}

pl_status store_group_attendance_list(store *s, pl_id session_id, const store_scope *sc,
                                      pl_arena *a, store_attendance **items, int *n, pl_err *err)
{
    conn *c = sq_reader(s, err);
    return c ? attendance_seen(c, session_id, sc, a, items, n, err) : err->status;
}

pl_status store_tx_group_attendance_list(store_tx *tx, pl_id session_id, const store_scope *sc,
                                         pl_arena *a, store_attendance **items, int *n, pl_err *err)
{
    return attendance_seen(tx->c, session_id, sc, a, items, n, err);
}

static pl_status run_ids(conn *c, const char *sqltext, pl_id x, pl_id y, pl_err *err,
                         const char *what)
{
    db_stmt *st = sq_stmt(c, sqltext, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, x);
    if (db_bind_parameter_count(st) >= 2)
        db_bind_int64(st, 2, y);
    return sq_step_done(c, st, NULL, err, what);
}

/* Writes one attendance row (contact_id 0: none). */
static pl_status attendance_put(conn *c, pl_id session_id, pl_id participant_id,
                                pl_attendance status, pl_id contact_id, pl_id recorded_by,
                                pl_time now, pl_err *err)
{
    db_stmt *st = sq_stmt(c, SQL_ATT_UPSERT, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, session_id);
    db_bind_int64(st, 2, participant_id);
    db_bind_text(st, 3, pl_attendance_name(status), -1, DB_STATIC);
    sq_bind_id(st, 4, contact_id);
    sq_bind_id(st, 5, recorded_by);
    db_bind_int64(st, 6, now);
    return sq_step_done(c, st, NULL, err, "attendance");
}

/* The contact of a participant's attendance at a session: *id 0 when none was ever made. */
static pl_status contact_of(conn *c, pl_id session_id, pl_id participant_id, pl_id *id,
                            bool *voided, pl_err *err)
{
    db_stmt *st = sq_stmt(c, SQL_CONTACT_OF, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, session_id);
    db_bind_int64(st, 2, participant_id);
    int rc = db_step(st);
    *id = 0;
    *voided = false;
    if (rc == DB_ROW) {
        *id = db_column_int64(st, 0);
        *voided = db_column_int(st, 1) != 0;
    }
    db_reset(st);
    if (rc != DB_ROW && rc != DB_DONE)
        return sq_error(c->db, rc, err, "contact");
    return PL_OK;
}

/* True when participant is seen by sc and a member of group on day. */
static pl_status member_on(conn *c, pl_id group_id, pl_id participant_id, pl_date day,
                           const store_scope *sc, bool *yes, pl_err *err)
{
    *yes = false;
    if (SQ_SCOPE_EMPTY(*sc))
        return PL_OK;
    db_stmt *st = sq_stmt(c, SQL_MEMBER_ON, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, group_id);
    db_bind_int64(st, 2, participant_id);
    db_bind_int(st, 3, day);
    db_bind_int64(st, 4, sc->unit_id);
    db_bind_int64(st, 5, sc->peer_leader_id);
    int rc = db_step(st);
    db_reset(st);
    if (rc == DB_ROW)
        *yes = true;
    else if (rc != DB_DONE)
        return sq_error(c->db, rc, err, "membership");
    return PL_OK;
}

/* Inserts the contact of one attendee and links it to the session. */
static pl_status attendance_contact(store_tx *tx, const pl_group_session *s, pl_id participant_id,
                                    pl_id *contact_id, pl_err *err)
{
    pl_contact ct = {.participant_id = participant_id,
                     .peer_leader_id = s->peer_leader_id,
                     .occurred_at = s->scheduled_at,
                     .minutes = s->minutes,
                     .mode = PL_MODE_GROUP,
                     .key_functions = s->key_functions,
                     .topics = s->topics,
                     .proactive = true,
                     .note = s->topic,
                     .follow_up_date = PL_DATE_NONE};
    pl_status r = store_contact_insert(tx, &ct, err);
    if (r == PL_OK)
        r = run_ids(tx->c, SQL_CONTACT_LINK, ct.id, s->id, err, "contact");
    *contact_id = ct.id;
    return r;
}

/*
 * Sets one participant's attendance at session s (already checked to be a member) and keeps
 * their contact in step: made or restored when attended, voided otherwise. Fills ch.
 */
static pl_status attendance_contact_set(store_tx *tx, const pl_group_session *s, pl_id pid,
                                        pl_attendance status, pl_id recorded_by, pl_time now,
                                        store_attendance_change *ch, pl_err *err);

/* As attendance_contact_set, then the participant's follow-up counts the contact made,
 * restored or voided (store_followup_refresh). */
static pl_status attendance_set(store_tx *tx, const pl_group_session *s, pl_id pid,
                                pl_attendance status, pl_id recorded_by, pl_time now,
                                store_attendance_change *ch, pl_err *err)
{
    pl_status r = attendance_contact_set(tx, s, pid, status, recorded_by, now, ch, err);
    if (r == PL_OK && (ch->contact_created || ch->contact_restored || ch->contact_voided))
        r = store_followup_refresh(tx, pid, err);
    return r;
}

static pl_status attendance_contact_set(store_tx *tx, const pl_group_session *s, pl_id pid,
                                        pl_attendance status, pl_id recorded_by, pl_time now,
                                        store_attendance_change *ch, pl_err *err)
{
    conn *c = tx->c;
    pl_id contact = 0;
    bool voided = false;
    pl_status r = contact_of(c, s->id, pid, &contact, &voided, err);
    if (r != PL_OK)
        return r;
    if (status == PL_ATTEND_ATTENDED) {
        if (!contact) {
            if ((r = attendance_contact(tx, s, pid, &contact, err)) != PL_OK)
                return r;
            ch->contact_created = contact;
        } else if (voided) {
            if ((r = run_ids(c, SQL_CONTACT_RESTORE, contact, now, err, "contact")) != PL_OK)
                return r;
            ch->contact_restored = contact;
        }
        return attendance_put(c, s->id, pid, status, contact, recorded_by, now, err);
    }
    r = attendance_put(c, s->id, pid, status, 0, recorded_by, now, err);
    if (r == PL_OK && contact && !voided) {
        r = run_ids(c, SQL_CONTACT_VOID, contact, now, err, "contact");
        ch->contact_voided = contact;
    }
    return r;
}

pl_status store_group_attendance_set(store_tx *tx, const pl_group_session *s, pl_id participant_id,
                                     pl_attendance status, pl_id recorded_by, pl_time now,
                                     pl_id *contact_id, pl_err *err)
{
    static const store_scope everyone = {0, 0};
    *contact_id = 0;
    if (s->status == PL_SESSION_CANCELLED || s->scheduled_at > now + 600)
        return pl_err_set(err, PL_INVALID,
                          "attendance is recorded for a session that has begun and is not "
                          "cancelled");
    bool member = false;
    pl_status r = member_on(tx->c, s->group_id, participant_id, pl_time_date(s->scheduled_at),
                            &everyone, &member, err);
    if (r != PL_OK)
        return r;
    if (!member)
        return pl_err_set(err, PL_INVALID, "participant %lld is not a member of group %lld then",
                          (long long)participant_id, (long long)s->group_id);
    store_attendance_change ch;
    memset(&ch, 0, sizeof ch);
    if ((r = attendance_set(tx, s, participant_id, status, recorded_by, now, &ch, err)) != PL_OK)
        return r;
    if (s->status != PL_SESSION_HELD &&
        (r = run_ids(tx->c, SQL_SESSION_HELD, s->id, now, err, "group session")) != PL_OK)
        return r;
    *contact_id = ch.contact_created ? ch.contact_created : ch.contact_restored;
    return PL_OK;
}

static store_attendance_change *change_add(store_attendance_change *arr, int *n,
                                           pl_id participant_id)
{
    store_attendance_change *c = &arr[(*n)++];
    memset(c, 0, sizeof *c);
    c->participant_id = participant_id;
    return c;
}

pl_status store_group_attendance_record(store_tx *tx, pl_id session_id, const store_scope *sc,
                                        const store_attendance *entries, int n, pl_id recorded_by,
                                        pl_time now, pl_arena *a, store_attendance_change **changes,
                                        int *nchanges, pl_err *err)
{
    conn *c = tx->c;
    *changes = NULL;
    *nchanges = 0;
    pl_group_session s = {0};
    pl_status r = session_get(c, session_id, a, &s, err);
    if (r != PL_OK)
        return r;
    if (s.status == PL_SESSION_CANCELLED) {
        pl_err_field(err, "status",
                     "is cancelled: reschedule the session before recording its attendance");
        return PL_INVALID;
    }
    if (s.scheduled_at > now + 600) {
        pl_err_field(err, "scheduled_at",
                     "is in the future: attendance is recorded once the session has begun");
        return PL_INVALID;
    }
    if (n < 0 || n > PL_ATTENDANCE_MAX)
        return pl_err_set(err, PL_INVALID, "at most %d attendance entries at once",
                          PL_ATTENDANCE_MAX);
    pl_date day = pl_time_date(s.scheduled_at);
    char dstr[PL_DATE_STRLEN];
    pl_date_format(day, dstr);
    for (int i = 0; i < n; i++) {
        char field[64];
        snprintf(field, sizeof field, "attendance[%d].participant_id", i);
        bool twice = false;
        for (int j = 0; j < i && !twice; j++)
            twice = entries[j].participant_id == entries[i].participant_id;
        if (twice) {
            pl_err_field(err, field, "is listed twice");
            continue;
        }
        if (!pl_attendance_name(entries[i].status)) {
            snprintf(field, sizeof field, "attendance[%d].status", i);
            pl_err_field(err, field, "must be attended, absent or excused");
            continue;
        }
        bool member = false;
        if ((r = member_on(c, s.group_id, entries[i].participant_id, day, sc, &member, err)) !=
            PL_OK)
            return r;
        if (!member)
            pl_err_field(err, field,
                         "is not a member of this group on %s (the session's day) that you may "
                         "record",
                         dstr);
    }
    if (err->nfields)
        return PL_INVALID;

    store_attendance *seen;
    int nseen;
    if ((r = attendance_seen(c, session_id, sc, a, &seen, &nseen, err)) != PL_OK)
        return r;
    store_attendance_change *out = pl_arena_alloc(a, sizeof *out * (size_t)(n + nseen + 1));
    if (!out)
        return pl_err_set(err, PL_LIMIT, "the attendance is larger than the memory limit");
    int nout = 0;

    /* rows the new list leaves out are dropped, their contacts voided */
    for (int k = 0; seen && k < nseen; k++) {
        bool listed = false;
        for (int i = 0; i < n && !listed; i++)
            listed = entries[i].participant_id == seen[k].participant_id;
        if (listed)
            continue;
        store_attendance_change *ch = change_add(out, &nout, seen[k].participant_id);
        ch->removed = true;
        if ((r = run_ids(c, SQL_ATT_DELETE, session_id, seen[k].participant_id, err,
                         "attendance")) != PL_OK)
            return r;
        if (seen[k].contact_id) {
            if ((r = run_ids(c, SQL_CONTACT_VOID, seen[k].contact_id, now, err, "contact")) !=
                PL_OK)
                return r;
            ch->contact_voided = seen[k].contact_id;
        }
    }

    for (int i = 0; i < n; i++) {
        store_attendance_change *ch = change_add(out, &nout, entries[i].participant_id);
        if ((r = attendance_set(tx, &s, entries[i].participant_id, entries[i].status, recorded_by,
                                now, ch, err)) != PL_OK)
            return r;
    }

    /* the session was held (its contacts always carry its details: see the session update) */
    if ((r = run_ids(c, SQL_SESSION_HELD, session_id, now, err, "group session")) != PL_OK)
        return r;
    *changes = out;
    *nchanges = nout;
    return PL_OK;
}

/* ---- course templates ------------------------------------------------------------------ */

pl_status store_course_template_insert(store_tx *tx, pl_course_template *t, pl_err *err)
{
    db_stmt *st = sq_stmt(tx->c, SQL_TEMPLATE_INSERT, err);
    if (!st)
        return err->status;
    db_bind_int64(st, 1, t->program_id);
    sq_bind_text(st, 2, t->code);
    sq_bind_text(st, 3, t->name);
    db_bind_int(st, 4, t->sessions);
    db_bind_int(st, 5, t->interval_days);
    db_bind_int(st, 6, t->minutes);
    db_bind_int64(st, 7, t->key_functions);
    sq_bind_text(st, 8, t->modules);
    db_bind_int64(st, 9, (db_int64)time(NULL));
    pl_status r = sq_step_insert(tx->c, st, &t->id, err, "course template");
    if (r == PL_CONFLICT) {
        pl_err_clear(err);
        pl_err_field(err, "code", "is taken: the program has a course template '%s' already",
                     t->code);
        pl_err_set(err, PL_CONFLICT, "a course template of this program has that code already");
    }
    return r;
}

static pl_status template_get(conn *c, pl_id id, pl_arena *a, pl_course_template *t, pl_err *err)
{
    SQ_GET_ONE(c, SQL_TEMPLATE_GET, id, "course template", template_read(st, a, t));
}

pl_status store_course_template_get(store *s, pl_id id, pl_arena *a, pl_course_template *out,
                                    pl_err *err)
{
    conn *c = sq_reader(s, err);
    return c ? template_get(c, id, a, out, err) : err->status;
}

pl_status store_tx_course_template_get(store_tx *tx, pl_id id, pl_arena *a, pl_course_template *out,
                                       pl_err *err)
{
    return template_get(tx->c, id, a, out, err);
}

pl_status store_course_template_list(store *s, pl_id scope_unit, pl_id program_id, store_page pg,
                                     pl_arena *a, pl_course_template **items, int *n, pl_err *err)
{
    sq_list_arg args[SQ_LIST_FILTERS] = {SQ_ARG_ID(scope_unit), SQ_ARG_ID(program_id)};
    return sq_list_run(s, &template_list, args, pg, a, sizeof **items, template_row, (void **)items,
                       n, err);
}

pl_status store_group_schedule_course(store_tx *tx, pl_id group_id, const pl_course_template *t,
                                      pl_time first_at, const char *location, pl_arena *a,
                                      pl_group_session **out, pl_err *err)
{
    pl_group g = {0};
    *out = NULL;
    pl_status r = store_tx_group_get(tx, group_id, a, &g, err);
    if (r != PL_OK)
        return r;
    if (t->program_id != g.program_id) {
        pl_err_field(err, "template_id", "is a course template of another program");
        return PL_INVALID;
    }
    if (t->sessions < 1 || t->sessions > PL_COURSE_SESSIONS_MAX)
        return pl_err_set(err, PL_INVALID, "the course template has no sessions");
    pl_group_session *arr = pl_arena_alloc(a, sizeof *arr * (size_t)t->sessions);
    if (!arr)
        return pl_err_set(err, PL_LIMIT, "the course is larger than the memory limit");
    for (int k = 0; k < t->sessions; k++) {
        char title[PL_COURSE_MODULE_MAX + 1];
        if (!pl_course_module(t, k, title))
            return pl_err_set(err, PL_INVALID, "the course template has no title for module %d",
                              k + 1);
        pl_group_session *s = &arr[k];
        memset(s, 0, sizeof *s);
        s->group_id = group_id;
        s->peer_leader_id = g.peer_leader_id;
        s->status = PL_SESSION_SCHEDULED;
        s->scheduled_at = first_at + (pl_time)k * t->interval_days * 86400;
        s->minutes = t->minutes;
        s->topic = pl_arena_strdup(a, title);
        s->module_code = pl_arena_printf(a, "%s-%d", t->code, k + 1);
        s->template_id = t->id;
        s->module_no = k + 1;
        s->location = location && *location ? pl_arena_strdup(a, location) : g.location;
        s->key_functions = t->key_functions;
        if (!s->topic || !s->module_code)
            return pl_err_set(err, PL_LIMIT, "the course is larger than the memory limit");
        if ((r = store_group_session_insert(tx, s, err)) != PL_OK)
            return r;
    }
    *out = arr;
    return PL_OK;
}
