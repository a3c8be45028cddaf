/*
 * test_store_groups.c - groups in the SQLite store (src/store/sqlite_groups.c):
 * time-bounded membership, attendance that becomes contacts (one per
 * attendee, never two, removed when the attendee no longer attended),
 * scope-limited re-recording, session edits carried to their contacts,
 * course templates and scheduling a whole course, and the lists.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "test_db.h"

#include "core/time.h"
#include "store/store.h"

static char dir[64];
static char file[128];
static char path[256]; /* file, or a PostgreSQL URL (test_db.h) */

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/pl-groups-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(file, sizeof file, "%s/test.db", dir);
    test_db_fresh(file, path, sizeof path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[160];
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", file, suffix[i]);
        unlink(p);
    }
    rmdir(dir);
    test_db_drop(path);
    return 0;
}

/* ---- the world: one program, two communities, two leaders, five participants ---- */

#define NP 5
#define T0 1767225600 /* 2026-01-01T00:00:00Z */
#define D0 20454      /* 2026-01-01 */

typedef struct world {
    pl_org_unit program, district, c1, c2;
    pl_peer_leader l1, l2;
    pl_participant p[NP]; /* p0, p1 of l1 and p2 of l2 in c1; p3 unassigned in c1; p4 in c2 */
    pl_group g;
    pl_course_template tpl;
} world;

static pl_status world_write(store_tx *tx, void *ctx, pl_err *err)
{
    world *w = ctx;
    pl_status st;
    if ((st = store_org_unit_insert(tx, &w->program, err)) != PL_OK)
        return st;
    w->district.parent_id = w->c1.program_id = w->c2.program_id = w->district.program_id =
        w->program.id;
    if ((st = store_org_unit_insert(tx, &w->district, err)) != PL_OK)
        return st;
    w->c1.parent_id = w->c2.parent_id = w->district.id;
    if ((st = store_org_unit_insert(tx, &w->c1, err)) != PL_OK ||
        (st = store_org_unit_insert(tx, &w->c2, err)) != PL_OK)
        return st;
    pl_peer_leader *ls[] = {&w->l1, &w->l2};
    for (int i = 0; i < 2; i++) {
        ls[i]->person = (pl_person){.given_name = i ? "Li" : "Wang", .sex = PL_SEX_FEMALE};
        ls[i]->program_id = w->program.id;
        ls[i]->home_unit_id = w->c1.id;
        ls[i]->languages = "zh-CN";
        ls[i]->trained_on = PL_DATE_NONE;
        ls[i]->active = true;
        if ((st = store_peer_leader_insert(tx, ls[i], err)) != PL_OK)
            return st;
    }
    static const char *const names[NP] = {"Ana", "Bo", "Chen", "Dong", "Eva"};
    for (int i = 0; i < NP; i++) {
        pl_participant *p = &w->p[i];
        *p = (pl_participant){.person = {.given_name = names[i], .sex = PL_SEX_FEMALE},
                              .program_id = w->program.id,
                              .enrol_date = D0 - 30,
                              .status = PL_ENROL_ENROLLED,
                              .status_date = PL_DATE_NONE,
                              .consent = true,
                              .consent_date = D0 - 30,
                              .home_unit_id = i == 4 ? w->c2.id : w->c1.id,
                              .peer_leader_id = i < 2    ? w->l1.id
                                                : i == 2 ? w->l2.id
                                                         : 0};
        p->person.birth_date = PL_DATE_NONE;
        if ((st = store_participant_insert(tx, p, err)) != PL_OK)
            return st;
    }
    w->g = (pl_group){.program_id = w->program.id,
                      .unit_id = w->c1.id,
                      .kind = PL_GROUP_CSMG,
                      .name = "Tianping CSMG",
                      .peer_leader_id = w->l1.id,
                      .location = "CHC room 2",
                      .active = true};
    if ((st = store_group_insert(tx, &w->g, err)) != PL_OK)
        return st;
    w->tpl = (pl_course_template){.program_id = w->program.id,
                                  .code = "sh-basic",
                                  .name = "Basic education",
                                  .sessions = 3,
                                  .interval_days = 7,
                                  .minutes = 120,
                                  .key_functions = PL_KF_DAILY_MANAGEMENT | PL_KF_SOCIAL_EMOTIONAL,
                                  .modules = "Understanding diabetes\nDiet\nPhysical activity"};
    return store_course_template_insert(tx, &w->tpl, err);
}

static store *open_world(world *w)
{
    memset(w, 0, sizeof *w);
    w->program =
        (pl_org_unit){.kind = PL_ORG_PROGRAM, .name = "P", .code = "P", .language = "zh-CN"};
    w->district = (pl_org_unit){.kind = PL_ORG_DISTRICT, .name = "D", .code = "D"};
    w->c1 = (pl_org_unit){.kind = PL_ORG_COMMUNITY, .name = "C1", .code = "C1"};
    w->c2 = (pl_org_unit){.kind = PL_ORG_COMMUNITY, .name = "C2", .code = "C2"};
    store *s = NULL;
    store_options o = {.create = true, .synchronous_normal = true};
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(store_open(path, &o, &s, &err), PL_OK);
    if (store_write(s, world_write, w, &err) != PL_OK)
        fail_msg("world: %s", pl_err_text(&err));
    return s;
}

/* ---- small write jobs -------------------------------------------------------------- */

typedef struct member_job {
    pl_group_member m;
} member_job;

static pl_status member_add_write(store_tx *tx, void *ctx, pl_err *err)
{
    return store_group_member_add(tx, &((member_job *)ctx)->m, err);
}

static pl_status member_add(store *s, pl_id group_id, pl_id participant_id, pl_date joined_on,
                            pl_id *id, pl_err *err)
{
    member_job j = {.m = {.group_id = group_id,
                          .participant_id = participant_id,
                          .joined_on = joined_on,
                          .left_on = PL_DATE_NONE}};
    pl_err_clear(err);
    pl_status st = store_write(s, member_add_write, &j, err);
    if (id)
        *id = j.m.id;
    return st;
}

typedef struct end_job {
    pl_id group_id, id;
    pl_date left_on;
    pl_group_member out;
    pl_arena a;
} end_job;

static pl_status member_end_write(store_tx *tx, void *ctx, pl_err *err)
{
    end_job *j = ctx;
    return store_group_member_end(tx, j->group_id, j->id, j->left_on, "moved away", &j->a, &j->out,
                                  err);
}

static pl_status member_end(store *s, pl_id group_id, pl_id id, pl_date left_on, pl_err *err)
{
    end_job j = {.group_id = group_id, .id = id, .left_on = left_on};
    pl_arena_init(&j.a, 0);
    pl_err_clear(err);
    pl_status st = store_write(s, member_end_write, &j, err);
    pl_arena_free(&j.a);
    return st;
}

static pl_status session_insert_write(store_tx *tx, void *ctx, pl_err *err)
{
    return store_group_session_insert(tx, ctx, err);
}

static pl_id session_add(store *s, const world *w, pl_time at)
{
    pl_group_session gs = {.group_id = w->g.id,
                           .peer_leader_id = w->g.peer_leader_id,
                           .status = PL_SESSION_SCHEDULED,
                           .scheduled_at = at,
                           .minutes = 90,
                           .topic = "Diet",
                           .key_functions = PL_KF_DAILY_MANAGEMENT | PL_KF_ONGOING,
                           .topics = 1u << PL_TOPIC_HEALTHY_EATING};
    pl_err err;
    pl_err_clear(&err);
    if (store_write(s, session_insert_write, &gs, &err) != PL_OK)
        fail_msg("session: %s", pl_err_text(&err));
    return gs.id;
}

typedef struct record_job {
    pl_id session_id;
    store_scope scope;
    store_attendance e[8];
    int n;
    pl_time now;
    pl_arena a;
    store_attendance_change *changes;
    int nchanges;
} record_job;

static pl_status record_write(store_tx *tx, void *ctx, pl_err *err)
{
    record_job *j = ctx;
    return store_group_attendance_record(tx, j->session_id, &j->scope, j->e, j->n, 0, j->now, &j->a,
                                         &j->changes, &j->nchanges, err);
}

/* Records (participant, status) pairs; returns the store's answer. */
static pl_status record(store *s, pl_id session_id, store_scope scope, const pl_id *pids,
                        const pl_attendance *statuses, int n, record_job *j, pl_err *err)
{
    memset(j, 0, sizeof *j);
    j->session_id = session_id;
    j->scope = scope;
    j->n = n;
    j->now = (pl_time)time(NULL);
    for (int i = 0; i < n; i++) {
        j->e[i].participant_id = pids[i];
        j->e[i].status = statuses[i];
    }
    pl_arena_init(&j->a, 0);
    pl_err_clear(err);
    return store_write(s, record_write, j, err);
}

/* The group contacts of participant pid, linked to session_id (0: any). */
static int group_contacts(store *s, pl_id pid, pl_id session_id, pl_contact *out)
{
    pl_arena a;
    pl_arena_init(&a, 0);
    pl_err err;
    pl_err_clear(&err);
    store_contact_filter f = {.participant_id = pid, .since = PL_TIME_NONE, .until = PL_TIME_NONE};
    pl_contact *items;
    int n, found = 0;
    assert_int_equal(store_contact_list(s, &f, (store_page){0, 200}, &a, &items, &n, &err), PL_OK);
    for (int i = 0; i < n; i++)
        if (items[i].mode == PL_MODE_GROUP &&
            (session_id == 0 || items[i].group_session_id == session_id)) {
            if (out && found == 0) {
                *out = items[i];
                out->note = NULL;
            }
            found++;
        }
    pl_arena_free(&a);
    return found;
}

static pl_group_session session_read_back(store *s, pl_id id)
{
    pl_arena a;
    pl_arena_init(&a, 0);
    pl_err err;
    pl_err_clear(&err);
    pl_group_session gs;
    assert_int_equal(store_group_session_get(s, id, &a, &gs, &err), PL_OK);
    gs.topic = gs.module_code = gs.location = gs.notes = gs.cancel_reason = NULL;
    pl_arena_free(&a);
    return gs;
}

/* ---- membership ---------------------------------------------------------------- */

static void test_membership_time_bounds(void **state)
{
    (void)state;
    world w;
    store *s = open_world(&w);
    pl_err err;
    pl_id m1, m2;

    assert_int_equal(member_add(s, w.g.id, w.p[0].id, D0, &m1, &err), PL_OK);
    /* a member already */
    assert_int_equal(member_add(s, w.g.id, w.p[0].id, D0 + 5, NULL, &err), PL_INVALID);
    assert_true(test_field_error(&err, "participant_id", "member of this group already"));
    /* before enrolment, another program's participant, not enrolled */
    assert_int_equal(member_add(s, w.g.id, w.p[1].id, D0 - 31, NULL, &err), PL_INVALID);
    assert_true(test_field_error(&err, "joined_on", "enrolment"));
    assert_int_equal(member_add(s, w.g.id, 9999, D0, NULL, &err), PL_INVALID);
    assert_true(test_field_error(&err, "participant_id", "not a participant"));
    assert_int_equal(member_add(s, 9999, w.p[1].id, D0, NULL, &err), PL_NOTFOUND);

    /* ending: not before joining, not twice, not in another group */
    assert_int_equal(member_end(s, w.g.id, m1, D0 - 1, &err), PL_INVALID);
    assert_true(test_field_error(&err, "left_on", "before the participant joined"));
    assert_int_equal(member_end(s, w.g.id + 1, m1, D0 + 10, &err), PL_NOTFOUND);
    assert_int_equal(member_end(s, w.g.id, m1, D0 + 10, &err), PL_OK);
    assert_int_equal(member_end(s, w.g.id, m1, D0 + 12, &err), PL_INVALID);
    assert_true(test_field_error(&err, "left_on", "already ended"));

    /* re-joining: not inside the ended membership; on its last day's end a new row */
    assert_int_equal(member_add(s, w.g.id, w.p[0].id, D0 + 9, NULL, &err), PL_INVALID);
    assert_true(test_field_error(&err, "joined_on", "last membership ended"));
    assert_int_equal(member_add(s, w.g.id, w.p[0].id, D0 + 10, &m2, &err), PL_OK);
    assert_true(m2 != m1);

    pl_arena a;
    pl_arena_init(&a, 0);
    pl_group_member *items;
    int n;
    store_group_member_filter f = {.group_id = w.g.id, .current = -1};
    assert_int_equal(store_group_member_list(s, &f, (store_page){0, 50}, &a, &items, &n, &err),
                     PL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(items[0].left_on, D0 + 10);
    assert_string_equal(items[0].left_reason, "moved away");
    assert_string_equal(items[0].given_name, "Ana");
    assert_true(pl_group_member_on(&items[0], D0 + 9));
    assert_false(pl_group_member_on(&items[0], D0 + 10)); /* left_on is the first day out */
    assert_true(pl_group_member_on(&items[1], D0 + 10));
    f.current = 1;
    assert_int_equal(store_group_member_list(s, &f, (store_page){0, 50}, &a, &items, &n, &err),
                     PL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, m2);
    f.current = 0;
    assert_int_equal(store_group_member_list(s, &f, (store_page){0, 50}, &a, &items, &n, &err),
                     PL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, m1);
    /* a peer leader's scope sees their own participants' memberships only */
    f.current = -1;
    f.scope = (store_scope){w.c1.id, w.l2.id};
    assert_int_equal(store_group_member_list(s, &f, (store_page){0, 50}, &a, &items, &n, &err),
                     PL_OK);
    assert_int_equal(n, 0);
    pl_arena_free(&a);

    /* only members on the session's day may be recorded */
    pl_id early = session_add(s, &w, T0 + 5 * 86400 + 3600); /* D0+5: p0 a member */
    pl_id gap = session_add(s, &w, T0 + 10 * 86400 - 60);    /* D0+9: still a member */
    pl_id none = session_add(s, &w, T0 - 86400);             /* D0-1: not yet */
    record_job j;
    pl_id pid = w.p[0].id;
    pl_attendance att = PL_ATTEND_ATTENDED;
    store_scope all = {0, 0};
    assert_int_equal(record(s, early, all, &pid, &att, 1, &j, &err), PL_OK);
    pl_arena_free(&j.a);
    assert_int_equal(record(s, gap, all, &pid, &att, 1, &j, &err), PL_OK);
    pl_arena_free(&j.a);
    assert_int_equal(record(s, none, all, &pid, &att, 1, &j, &err), PL_INVALID);
    assert_true(test_field_error(&err, "attendance[0].participant_id", "not a member"));
    pl_arena_free(&j.a);
    pid = w.p[1].id; /* never joined */
    assert_int_equal(record(s, early, all, &pid, &att, 1, &j, &err), PL_INVALID);
    pl_arena_free(&j.a);

    /* a membership cannot end before attendance it holds */
    assert_int_equal(member_end(s, w.g.id, m2, D0 + 10, &err), PL_OK);
    pl_id m3;
    assert_int_equal(member_add(s, w.g.id, w.p[2].id, D0, &m3, &err), PL_OK);
    pid = w.p[2].id;
    assert_int_equal(record(s, gap, all, &pid, &att, 1, &j, &err), PL_OK);
    pl_arena_free(&j.a);
    assert_int_equal(member_end(s, w.g.id, m3, D0 + 9, &err), PL_INVALID);
    assert_true(test_field_error(&err, "left_on", "attendance is recorded"));
    assert_int_equal(member_end(s, w.g.id, m3, D0 + 10, &err), PL_OK);
    store_close(s);
}

/* ---- attendance and contacts ---------------------------------------------------- */

static void test_attendance_becomes_contacts(void **state)
{
    (void)state;
    world w;
    store *s = open_world(&w);
    pl_err err;
    for (int i = 0; i < 4; i++)
        assert_int_equal(member_add(s, w.g.id, w.p[i].id, D0, NULL, &err), PL_OK);
    pl_time at = T0 + 3 * 86400 + 6 * 3600;
    pl_id sid = session_add(s, &w, at);
    assert_int_equal(session_read_back(s, sid).status, PL_SESSION_SCHEDULED);
    int v0 = session_read_back(s, sid).version;

    store_scope all = {0, 0};
    pl_id pids[] = {w.p[0].id, w.p[1].id, w.p[2].id, w.p[3].id};
    pl_attendance first[] = {PL_ATTEND_ATTENDED, PL_ATTEND_ATTENDED, PL_ATTEND_ABSENT,
                             PL_ATTEND_EXCUSED};
    record_job j;
    if (record(s, sid, all, pids, first, 4, &j, &err) != PL_OK)
        fail_msg("record: %s", pl_err_text(&err));
    int created = 0;
    for (int i = 0; i < j.nchanges; i++)
        created += j.changes[i].contact_created != 0;
    assert_int_equal(created, 2);
    pl_arena_free(&j.a);

    /* each attendee has one group contact with the session's details; the others none */
    pl_contact c0;
    assert_int_equal(group_contacts(s, w.p[0].id, sid, &c0), 1);
    assert_int_equal(c0.occurred_at, at);
    assert_int_equal(c0.minutes, 90);
    assert_int_equal(c0.mode, PL_MODE_GROUP);
    assert_int_equal(c0.key_functions, PL_KF_DAILY_MANAGEMENT | PL_KF_ONGOING);
    assert_int_equal(c0.topics, 1u << PL_TOPIC_HEALTHY_EATING);
    assert_int_equal(c0.peer_leader_id, w.l1.id);
    assert_int_equal(c0.program_id, w.program.id);
    assert_int_equal(c0.group_session_id, sid);
    assert_true(c0.proactive);
    assert_int_equal(group_contacts(s, w.p[1].id, sid, NULL), 1);
    assert_int_equal(group_contacts(s, w.p[2].id, sid, NULL), 0);
    assert_int_equal(group_contacts(s, w.p[3].id, sid, NULL), 0);

    /* recording made the session held (a new version) and counts its attendance */
    pl_group_session gs = session_read_back(s, sid);
    assert_int_equal(gs.status, PL_SESSION_HELD);
    assert_int_equal(gs.version, v0 + 1);
    assert_int_equal(gs.attended, 2);
    assert_int_equal(gs.absent, 1);
    assert_int_equal(gs.excused, 1);

    /* re-recording the same list changes nothing: same contact, no second one */
    assert_int_equal(record(s, sid, all, pids, first, 4, &j, &err), PL_OK);
    for (int i = 0; i < j.nchanges; i++)
        assert_true(j.changes[i].contact_created == 0 && j.changes[i].contact_voided == 0 &&
                    j.changes[i].contact_restored == 0);
    pl_arena_free(&j.a);
    pl_contact again;
    assert_int_equal(group_contacts(s, w.p[0].id, sid, &again), 1);
    assert_int_equal(again.id, c0.id);
    assert_int_equal(session_read_back(s, sid).version, v0 + 1);

    /* p0 now absent: their contact is voided; p1 left out: row gone, contact voided;
       p2 now attended: a contact appears */
    pl_id pids2[] = {w.p[0].id, w.p[2].id, w.p[3].id};
    pl_attendance second[] = {PL_ATTEND_ABSENT, PL_ATTEND_ATTENDED, PL_ATTEND_EXCUSED};
    assert_int_equal(record(s, sid, all, pids2, second, 3, &j, &err), PL_OK);
    int deleted = 0, removed = 0;
    created = 0;
    for (int i = 0; i < j.nchanges; i++) {
        deleted += j.changes[i].contact_voided != 0;
        removed += j.changes[i].removed;
        created += j.changes[i].contact_created != 0;
    }
    assert_int_equal(deleted, 2);
    assert_int_equal(removed, 1);
    assert_int_equal(created, 1);
    pl_arena_free(&j.a);
    assert_int_equal(group_contacts(s, w.p[0].id, 0, NULL), 0);
    assert_int_equal(group_contacts(s, w.p[1].id, 0, NULL), 0);
    assert_int_equal(group_contacts(s, w.p[2].id, sid, NULL), 1);
    pl_arena a;
    pl_arena_init(&a, 0);
    pl_contact gone;
    assert_int_equal(store_contact_get(s, c0.id, &a, &gone, &err), PL_NOTFOUND);
    store_attendance *rows;
    int n;
    assert_int_equal(store_group_attendance_list(s, sid, &all, &a, &rows, &n, &err), PL_OK);
    assert_int_equal(n, 3);
    assert_int_equal(rows[0].participant_id, w.p[0].id);
    assert_int_equal(rows[0].status, PL_ATTEND_ABSENT);
    assert_int_equal(rows[0].contact_id, 0);
    assert_int_equal(rows[1].status, PL_ATTEND_ATTENDED);
    assert_true(rows[1].contact_id > c0.id); /* a new contact, never c0's id again */
    store_counts counts;
    assert_int_equal(store_counts_get(s, &counts, &err), PL_OK);
    assert_int_equal(counts.contacts, 1);
    pl_arena_free(&a);

    /* p0 attended after all: the same contact comes back */
    pl_id p0 = w.p[0].id;
    pl_attendance attended = PL_ATTEND_ATTENDED;
    assert_int_equal(record(s, sid, all, &p0, &attended, 1, &j, &err), PL_OK);
    assert_int_equal(j.nchanges, 3); /* p0 restored, p2 and p3 dropped */
    pl_arena_free(&j.a);
    pl_contact back;
    assert_int_equal(group_contacts(s, p0, sid, &back), 1);
    assert_int_equal(back.id, c0.id);
    assert_int_equal(group_contacts(s, w.p[2].id, sid, NULL), 0);

    /* a failed recording (one non-member) changes nothing */
    pl_id bad[] = {w.p[1].id, w.p[4].id};
    pl_attendance both[] = {PL_ATTEND_ATTENDED, PL_ATTEND_ATTENDED};
    assert_int_equal(record(s, sid, all, bad, both, 2, &j, &err), PL_INVALID);
    assert_true(test_field_error(&err, "attendance[1].participant_id", "not a member"));
    pl_arena_free(&j.a);
    assert_int_equal(group_contacts(s, w.p[1].id, 0, NULL), 0);
    assert_int_equal(group_contacts(s, w.p[0].id, sid, NULL), 1);
    /* a participant listed twice */
    pl_id twice[] = {w.p[0].id, w.p[0].id};
    assert_int_equal(record(s, sid, all, twice, both, 2, &j, &err), PL_INVALID);
    assert_true(test_field_error(&err, "attendance[1].participant_id", "twice"));
    pl_arena_free(&j.a);
    store_close(s);
}

typedef struct update_job {
    pl_group_session s;
    int expected;
} update_job;

static pl_status update_write(store_tx *tx, void *ctx, pl_err *err)
{
    update_job *j = ctx;
    return store_group_session_update(tx, &j->s, j->expected, err);
}

static void test_session_edits_reach_contacts(void **state)
{
    (void)state;
    world w;
    store *s = open_world(&w);
    pl_err err;
    assert_int_equal(member_add(s, w.g.id, w.p[0].id, D0, NULL, &err), PL_OK);
    pl_id sid = session_add(s, &w, T0 + 86400);
    store_scope all = {0, 0};
    pl_id pid = w.p[0].id;
    pl_attendance att = PL_ATTEND_ATTENDED;
    record_job j;
    assert_int_equal(record(s, sid, all, &pid, &att, 1, &j, &err), PL_OK);
    pl_arena_free(&j.a);

    pl_arena a;
    pl_arena_init(&a, 0);
    update_job u;
    assert_int_equal(store_group_session_get(s, sid, &a, &u.s, &err), PL_OK);
    u.expected = u.s.version;
    u.s.minutes = 75;
    u.s.scheduled_at += 1800;
    u.s.key_functions = PL_KF_SOCIAL_EMOTIONAL;
    u.s.notes = "Talked about the Spring Festival menu";
    assert_int_equal(store_write(s, update_write, &u, &err), PL_OK);
    pl_contact c;
    assert_int_equal(group_contacts(s, pid, sid, &c), 1);
    assert_int_equal(c.minutes, 75);
    assert_int_equal(c.occurred_at, T0 + 86400 + 1800);
    assert_int_equal(c.key_functions, PL_KF_SOCIAL_EMOTIONAL);
    /* a stale version is refused and changes nothing */
    u.s.minutes = 60;
    assert_int_equal(store_write(s, update_write, &u, &err), PL_STALE);
    assert_int_equal(session_read_back(s, sid).minutes, 75);

    /* a cancelled session takes no attendance; a future one neither */
    pl_id later = session_add(s, &w, T0 + 2 * 86400);
    assert_int_equal(store_group_session_get(s, later, &a, &u.s, &err), PL_OK);
    u.expected = u.s.version;
    u.s.status = PL_SESSION_CANCELLED;
    u.s.cancel_reason = "Typhoon warning";
    assert_int_equal(store_write(s, update_write, &u, &err), PL_OK);
    assert_int_equal(record(s, later, all, &pid, &att, 1, &j, &err), PL_INVALID);
    assert_true(test_field_error(&err, "status", "cancelled"));
    pl_arena_free(&j.a);
    pl_id future = session_add(s, &w, (pl_time)time(NULL) + 7 * 86400);
    assert_int_equal(record(s, future, all, &pid, &att, 1, &j, &err), PL_INVALID);
    assert_true(test_field_error(&err, "scheduled_at", "future"));
    pl_arena_free(&j.a);
    pl_arena_free(&a);
    store_close(s);
}

static void test_rerecording_is_scoped(void **state)
{
    (void)state;
    world w;
    store *s = open_world(&w);
    pl_err err;
    for (int i = 0; i < 3; i++)
        assert_int_equal(member_add(s, w.g.id, w.p[i].id, D0, NULL, &err), PL_OK);
    pl_id sid = session_add(s, &w, T0 + 86400);
    store_scope all = {0, 0}, l1 = {w.c1.id, w.l1.id};
    pl_id pids[] = {w.p[0].id, w.p[1].id, w.p[2].id};
    pl_attendance att[] = {PL_ATTEND_ATTENDED, PL_ATTEND_ATTENDED, PL_ATTEND_ATTENDED};
    record_job j;
    assert_int_equal(record(s, sid, all, pids, att, 3, &j, &err), PL_OK);
    pl_arena_free(&j.a);

    /* leader l1 sees p0 and p1 only: p2 (l2's) cannot be recorded by them */
    assert_int_equal(record(s, sid, l1, pids, att, 3, &j, &err), PL_INVALID);
    assert_true(test_field_error(&err, "attendance[2].participant_id", NULL));
    pl_arena_free(&j.a);
    /* l1 re-records their own list, leaving p1 out: p2's attendance stays */
    assert_int_equal(record(s, sid, l1, pids, att, 1, &j, &err), PL_OK);
    pl_arena_free(&j.a);
    pl_arena a;
    pl_arena_init(&a, 0);
    store_attendance *rows;
    int n;
    assert_int_equal(store_group_attendance_list(s, sid, &all, &a, &rows, &n, &err), PL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].participant_id, w.p[0].id);
    assert_int_equal(rows[1].participant_id, w.p[2].id);
    assert_int_equal(store_group_attendance_list(s, sid, &l1, &a, &rows, &n, &err), PL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(group_contacts(s, w.p[2].id, sid, NULL), 1);
    assert_int_equal(group_contacts(s, w.p[1].id, sid, NULL), 0);
    pl_arena_free(&a);
    store_close(s);
}

/* ---- course templates -------------------------------------------------------------- */

typedef struct course_job {
    pl_id group_id;
    pl_id template_id;
    pl_time first_at;
    pl_arena a;
    pl_group_session *made;
} course_job;

static pl_status course_write(store_tx *tx, void *ctx, pl_err *err)
{
    course_job *j = ctx;
    pl_course_template t;
    pl_status st = store_tx_course_template_get(tx, j->template_id, &j->a, &t, err);
    if (st != PL_OK)
        return st;
    return store_group_schedule_course(tx, j->group_id, &t, j->first_at, NULL, &j->a, &j->made,
                                       err);
}

static pl_status template_write(store_tx *tx, void *ctx, pl_err *err)
{
    return store_course_template_insert(tx, ctx, err);
}

static pl_status program_write(store_tx *tx, void *ctx, pl_err *err)
{
    return store_org_unit_insert(tx, ctx, err);
}

static void test_schedule_course(void **state)
{
    (void)state;
    world w;
    store *s = open_world(&w);
    pl_err err;
    pl_err_clear(&err);
    course_job j = {.group_id = w.g.id, .template_id = w.tpl.id, .first_at = T0 + 6 * 3600};
    pl_arena_init(&j.a, 0);
    assert_int_equal(store_write(s, course_write, &j, &err), PL_OK);
    for (int k = 0; k < 3; k++) {
        pl_group_session gs = session_read_back(s, j.made[k].id);
        assert_int_equal(gs.status, PL_SESSION_SCHEDULED);
        assert_int_equal(gs.scheduled_at, T0 + 6 * 3600 + k * 7 * 86400);
        assert_int_equal(gs.minutes, 120);
        assert_int_equal(gs.template_id, w.tpl.id);
        assert_int_equal(gs.module_no, k + 1);
        assert_int_equal(gs.peer_leader_id, w.l1.id);
        assert_int_equal(gs.key_functions, PL_KF_DAILY_MANAGEMENT | PL_KF_SOCIAL_EMOTIONAL);
    }
    assert_string_equal(j.made[1].topic, "Diet");
    assert_string_equal(j.made[2].module_code, "sh-basic-3");
    assert_string_equal(j.made[0].location, "CHC room 2"); /* the group's place by default */
    pl_arena_free(&j.a);

    /* the sessions list by group and date range */
    pl_arena a;
    pl_arena_init(&a, 0);
    pl_group_session *items;
    int n;
    store_group_session_filter f = {
        .group_id = w.g.id, .since = T0 + 7 * 86400, .until = PL_TIME_NONE, .status = -1};
    assert_int_equal(store_group_session_list(s, &f, (store_page){0, 50}, &a, &items, &n, &err),
                     PL_OK);
    assert_int_equal(n, 2);
    f.until = T0 + 14 * 86400;
    assert_int_equal(store_group_session_list(s, &f, (store_page){0, 50}, &a, &items, &n, &err),
                     PL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].module_no, 2);
    f = (store_group_session_filter){
        .scope = {w.c2.id, 0}, .since = PL_TIME_NONE, .until = PL_TIME_NONE, .status = -1};
    assert_int_equal(store_group_session_list(s, &f, (store_page){0, 50}, &a, &items, &n, &err),
                     PL_OK);
    assert_int_equal(n, 0); /* the group meets in c1 */

    /* a template's code is unique in its program; another program's template is refused */
    pl_course_template dup = w.tpl;
    dup.id = 0;
    pl_err_clear(&err);
    assert_int_equal(store_write(s, template_write, &dup, &err), PL_CONFLICT);
    assert_true(test_field_error(&err, "code", "taken"));
    pl_org_unit other = {.kind = PL_ORG_PROGRAM, .name = "Other", .code = "O", .language = "es"};
    pl_err_clear(&err);
    assert_int_equal(store_write(s, program_write, &other, &err), PL_OK);
    dup.program_id = other.id;
    pl_err_clear(&err);
    assert_int_equal(store_write(s, template_write, &dup, &err), PL_OK);
    course_job k = {.group_id = w.g.id, .template_id = dup.id, .first_at = T0};
    pl_arena_init(&k.a, 0);
    pl_err_clear(&err);
    assert_int_equal(store_write(s, course_write, &k, &err), PL_INVALID);
    assert_true(test_field_error(&err, "template_id", "another program"));
    pl_arena_free(&k.a);

    /* template lists: by program, and by the scope's programs */
    pl_course_template *ts;
    assert_int_equal(store_course_template_list(s, 0, 0, (store_page){0, 50}, &a, &ts, &n, &err),
                     PL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(
        store_course_template_list(s, w.c1.id, 0, (store_page){0, 50}, &a, &ts, &n, &err), PL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(ts[0].modules, "Understanding diabetes\nDiet\nPhysical activity");
    assert_int_equal(
        store_course_template_list(s, 0, other.id, (store_page){0, 50}, &a, &ts, &n, &err), PL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ts[0].id, dup.id);
    pl_arena_free(&a);
    store_close(s);
}

static pl_status group_write(store_tx *tx, void *ctx, pl_err *err)
{
    return store_group_insert(tx, ctx, err);
}

static void test_group_lists_and_visibility(void **state)
{
    (void)state;
    world w;
    store *s = open_world(&w);
    pl_err err;
    pl_group g2 = {.program_id = w.program.id,
                   .unit_id = w.c2.id,
                   .kind = PL_GROUP_NEIGHBOURHOOD_CLUB,
                   .name = "Walking club",
                   .peer_leader_id = w.l2.id,
                   .active = true};
    pl_err_clear(&err);
    assert_int_equal(store_write(s, group_write, &g2, &err), PL_OK);

    pl_arena a;
    pl_arena_init(&a, 0);
    pl_group *items;
    int n;
    store_group_filter f = {.kind = -1};
    assert_int_equal(store_group_list(s, &f, (store_page){0, 50}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, 2);
    f.kind = PL_GROUP_NEIGHBOURHOOD_CLUB;
    assert_int_equal(store_group_list(s, &f, (store_page){0, 50}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].name, "Walking club");
    f = (store_group_filter){.unit_id = w.c1.id, .kind = -1};
    assert_int_equal(store_group_list(s, &f, (store_page){0, 50}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, w.g.id);
    f = (store_group_filter){.peer_leader_id = w.l2.id, .kind = -1};
    assert_int_equal(store_group_list(s, &f, (store_page){0, 50}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, 1);
    /* scope: a community, a leader (who sees the groups they lead), nobody */
    f = (store_group_filter){.scope = {w.c2.id, 0}, .kind = -1};
    assert_int_equal(store_group_list(s, &f, (store_page){0, 50}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, g2.id);
    f = (store_group_filter){.scope = {w.c1.id, w.l1.id}, .kind = -1};
    assert_int_equal(store_group_list(s, &f, (store_page){0, 50}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, 1);
    f = (store_group_filter){.scope = {w.c1.id, -1}, .kind = -1};
    assert_int_equal(store_group_list(s, &f, (store_page){0, 50}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, 0);
    store_scope l1 = {w.c1.id, w.l1.id}, l2 = {w.c1.id, w.l2.id}, c2 = {w.c2.id, 0};
    assert_int_equal(store_group_visible(s, &l1, w.g.id, &err), PL_OK);
    assert_int_equal(store_group_visible(s, &l2, w.g.id, &err), PL_NOTFOUND);
    assert_int_equal(store_group_visible(s, &c2, w.g.id, &err), PL_NOTFOUND);
    assert_int_equal(store_group_visible(s, &c2, g2.id, &err), PL_OK);
    assert_int_equal(store_group_visible(s, &c2, 9999, &err), PL_NOTFOUND);

    /* pages walk every group once */
    assert_int_equal(store_group_list(s, &(store_group_filter){.kind = -1}, (store_page){0, 1}, &a,
                                      &items, &n, &err),
                     PL_OK);
    assert_int_equal(n, 1);
    pl_id first = items[0].id;
    assert_int_equal(store_group_list(s, &(store_group_filter){.kind = -1}, (store_page){first, 1},
                                      &a, &items, &n, &err),
                     PL_OK);
    assert_int_equal(n, 1);
    assert_true(items[0].id > first);
    pl_arena_free(&a);
    store_close(s);
}

PL_TEST_MAIN(cmocka_unit_test_setup_teardown(test_membership_time_bounds, setup, teardown),
             cmocka_unit_test_setup_teardown(test_attendance_becomes_contacts, setup, teardown),
             cmocka_unit_test_setup_teardown(test_session_edits_reach_contacts, setup, teardown),
             cmocka_unit_test_setup_teardown(test_rerecording_is_scoped, setup, teardown),
             cmocka_unit_test_setup_teardown(test_schedule_course, setup, teardown),
             cmocka_unit_test_setup_teardown(test_group_lists_and_visibility, setup, teardown))
