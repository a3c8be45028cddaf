/*
 * test_store_workflow.c - the workflow records of the store: the follow-up
 * task and risk tier kept by store/followup.c across a simulated month
 * (tests/data/followup_cases.tsv, one row a step), program settings with
 * their versions, the worklist's look-ups and caseload counts, on a real
 * database file.
 */
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "test_db.h"

#include "core/measure.h"
#include "core/time.h"
#include "store/store.h"

static char dir[64];
static char file[128];
static char path[256]; /* file, or a PostgreSQL URL (test_db.h) */

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/pl-wf-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(file, sizeof file, "%s/wf.db", dir);
    test_db_fresh(file, path, sizeof path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    const char *suffix[] = {"", "-wal", "-shm"};
    char p[160];
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", file, suffix[i]);
        unlink(p);
    }
    rmdir(dir);
    test_db_drop(path);
    return 0;
}

/* A program with one community, two peer leaders and one participant enrolled on day0. */
typedef struct world {
    pl_org_unit program, community;
    pl_peer_leader leader[2];
    pl_participant p;
    pl_date day0;
} world;

static pl_status world_write(store_tx *tx, void *ctx, pl_err *err)
{
    world *w = ctx;
    pl_status st;
    if ((st = store_org_unit_insert(tx, &w->program, err)) != PL_OK)
        return st;
    w->community.parent_id = w->community.program_id = w->program.id;
    if ((st = store_org_unit_insert(tx, &w->community, err)) != PL_OK)
        return st;
    for (int i = 0; i < 2; i++) {
        w->leader[i] = (pl_peer_leader){.person = {.given_name = i ? "Rosa" : "Ana"},
                                        .program_id = w->program.id,
                                        .home_unit_id = w->community.id,
                                        .kind = PL_LEADER_PROMOTOR,
                                        .languages = "es",
                                        .trained_on = PL_DATE_NONE,
                                        .active = true};
        if ((st = store_peer_leader_insert(tx, &w->leader[i], err)) != PL_OK)
            return st;
    }
    return PL_OK;
}

static store *world_open(world *w)
{
    memset(w, 0, sizeof *w);
    w->program = (pl_org_unit){.kind = PL_ORG_PROGRAM, .name = "Mi Salud"};
    w->community = (pl_org_unit){.kind = PL_ORG_COMMUNITY, .name = "Pilsen"};
    w->day0 = pl_time_date((pl_time)time(NULL)) - 60;
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    store_options o = {.create = true};
    assert_int_equal(store_open(path, &o, &s, &err), PL_OK);
    if (store_write(s, world_write, w, &err) != PL_OK)
        fail_msg("%s", err.message);
    return s;
}

/* One step of the month: what to do, on which day. */
typedef struct step {
    world *w;
    int day;
    const char *event, *arg;
} step;

static pl_status step_write(store_tx *tx, void *ctx, pl_err *err)
{
    step *e = ctx;
    world *w = e->w;
    pl_date day = w->day0 + e->day;
    pl_time at = pl_date_time(day) + 10 * 3600;
    pl_status st;
    pl_arena a;
    pl_arena_init(&a, 0);
    if (strcmp(e->event, "enrol") == 0) {
        w->p = (pl_participant){.person = {.given_name = "Lucía", .birth_date = PL_DATE_NONE},
                                .program_id = w->program.id,
                                .enrol_date = day,
                                .status = PL_ENROL_ENROLLED,
                                .status_date = PL_DATE_NONE,
                                .consent = true,
                                .consent_date = day,
                                .home_unit_id = w->community.id,
                                .peer_leader_id = w->leader[0].id,
                                .risk_tier = PL_RISK_STANDARD};
        if ((st = store_participant_insert(tx, &w->p, err)) == PL_OK)
            st = store_followup_refresh(tx, w->p.id, err);
    } else if (strcmp(e->event, "contact") == 0) {
        pl_participant p;
        if ((st = store_tx_participant_get(tx, w->p.id, &a, &p, err)) != PL_OK)
            goto done;
        pl_contact c = {.participant_id = w->p.id,
                        /* without a leader of their own, leader 1 steps in */
                        .peer_leader_id = p.peer_leader_id ? p.peer_leader_id : w->leader[0].id,
                        .occurred_at = at,
                        .minutes = 15,
                        .mode = PL_MODE_PHONE,
                        .key_functions = PL_KF_ONGOING,
                        .follow_up_date = strcmp(e->arg, "-")
                                              ? w->day0 + (int)strtol(e->arg, NULL, 10)
                                              : PL_DATE_NONE};
        if ((st = store_contact_insert(tx, &c, err)) == PL_OK)
            st = store_followup_refresh(tx, w->p.id, err);
    } else if (strcmp(e->event, "hba1c") == 0) {
        pl_measurement m = {.participant_id = w->p.id,
                            .code = "4548-4",
                            .entered_value = e->arg,
                            .entered_unit = "%",
                            .effective_at = at,
                            .source = PL_SOURCE_LAB,
                            .wave = -1};
        if ((st = measurement_prepare(&m, (pl_time)time(NULL), err)) == PL_OK &&
            (st = store_measurement_insert(tx, &m, err)) == PL_OK)
            st = store_risk_refresh(tx, w->p.id, "measurement", m.id, 0, NULL, err);
    } else if (strcmp(e->event, "phq9") == 0) {
        store_questionnaire q = {.participant_id = w->p.id,
                                 .instrument = "phq9",
                                 .answers = "1,1,1,1,1,1,1,1,0",
                                 .scored = true,
                                 .score = strtod(e->arg, NULL),
                                 .completed_at = at};
        if ((st = store_questionnaire_insert(tx, &q, err)) == PL_OK)
            st = store_risk_refresh(tx, w->p.id, "questionnaire_response", q.id, 0, NULL, err);
    } else {
        pl_participant p;
        if ((st = store_tx_participant_get(tx, w->p.id, &a, &p, err)) != PL_OK)
            goto done;
        if (strcmp(e->event, "assign") == 0) {
            int which = (int)strtol(e->arg, NULL, 10);
            p.peer_leader_id = which ? w->leader[which - 1].id : 0;
            if ((st = store_participant_update(tx, &p, p.version, err)) == PL_OK)
                st = store_tasks_reassign(tx, p.id, p.peer_leader_id, err);
        } else {
            p.status = PL_ENROL_WITHDRAWN;
            p.status_date = day;
            p.status_reason = "moved";
            st = store_participant_update(tx, &p, p.version, err);
        }
        if (st == PL_OK)
            st = store_followup_refresh(tx, w->p.id, err);
    }
done:
    pl_arena_free(&a);
    return st;
}

static int count_tasks(store *s, pl_id pid, const char *status)
{
    store_task_filter f = {.participant_id = pid, .status = status, .kind = "follow_up"};
    pl_arena a;
    pl_arena_init(&a, 0);
    store_task *items;
    int n;
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(store_task_list(s, &f, (store_page){0, 200}, &a, &items, &n, &err), PL_OK);
    pl_arena_free(&a);
    return n;
}

static void test_followup_month_table(void **state)
{
    (void)state;
    world w;
    store *s = world_open(&w);
    static const char *const header[] = {"day",       "event", "arg",    "due", "done",
                                         "cancelled", "tier",  "leader", "note"};
    test_table t;
    test_table_open(&t, "followup_cases.tsv", header, 9);
    char *col[9];
    int rows = 0, failures = 0;
    while (test_table_next(&t, col, 9) >= 8) {
        rows++;
        step e = {&w, (int)strtol(col[0], NULL, 10), col[1], col[2]};
        pl_err err;
        pl_err_clear(&err);
        if (store_write(s, step_write, &e, &err) != PL_OK)
            fail_msg("line %d (%s): %s", t.lineno, col[1], pl_err_text(&err));
        pl_arena a;
        pl_arena_init(&a, 0);
        pl_participant p;
        assert_int_equal(store_participant_get(s, w.p.id, &a, &p, &err), PL_OK);
        store_task_filter f = {.participant_id = w.p.id, .status = "open", .kind = "follow_up"};
        store_task *open;
        int nopen;
        assert_int_equal(store_task_list(s, &f, (store_page){0, 200}, &a, &open, &nopen, &err),
                         PL_OK);
        int want_leader = (int)strtol(col[7], NULL, 10);
        pl_id leader = want_leader ? w.leader[want_leader - 1].id : 0;
        bool ok = strcmp(col[3], "-") == 0
                      ? nopen == 0
                      : nopen == 1 && open[0].due_date == w.day0 + strtol(col[3], NULL, 10) &&
                            open[0].peer_leader_id == leader;
        ok = ok && count_tasks(s, w.p.id, "done") == strtol(col[4], NULL, 10) &&
             count_tasks(s, w.p.id, "cancelled") == strtol(col[5], NULL, 10) &&
             strcmp(pl_risk_tier_name(p.risk_tier), col[6]) == 0;
        if (!ok) {
            printf("# line %d (%s): open %d due %d leader %lld, done %d, cancelled %d, tier %s\n",
                   t.lineno, col[8], nopen, nopen ? open[0].due_date - w.day0 : -1,
                   nopen ? (long long)open[0].peer_leader_id : -1, count_tasks(s, w.p.id, "done"),
                   count_tasks(s, w.p.id, "cancelled"), pl_risk_tier_name(p.risk_tier));
            failures++;
        }
        pl_arena_free(&a);
    }
    test_table_close(&t);
    assert_true(rows >= 10);
    assert_int_equal(failures, 0);

    /* each tier change is in the history, naming its cause and reason */
    pl_arena a;
    pl_arena_init(&a, 0);
    store_risk_change *h;
    int n;
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(store_risk_change_list(s, w.p.id, 100, &a, &h, &n, &err), PL_OK);
    assert_int_equal(n, 3);
    assert_string_equal(h[0].tier, "high_need");
    assert_string_equal(h[0].previous_tier, "standard");
    assert_string_equal(h[0].source_entity, "measurement");
    assert_non_null(strstr(h[0].reason, "HbA1c 9.4"));
    assert_string_equal(h[1].tier, "standard");
    assert_string_equal(h[2].source_entity, "questionnaire_response");
    assert_non_null(strstr(h[2].reason, "PHQ-9 12"));
    pl_arena_free(&a);
    store_close(s);
}

/* ---- settings -------------------------------------------------------------- */

typedef struct put_ctx {
    pl_id program;
    rules_settings rs;
    int expected, version;
} put_ctx;

static pl_status put_write(store_tx *tx, void *ctx, pl_err *err)
{
    put_ctx *c = ctx;
    return store_program_rules_put(tx, c->program, &c->rs, c->expected, 0, &c->version, err);
}

static void test_settings_versions(void **state)
{
    (void)state;
    world w;
    store *s = world_open(&w);
    pl_err err;
    pl_err_clear(&err);
    put_ctx c = {.program = w.program.id};
    int version;
    assert_int_equal(store_program_rules_get(s, w.program.id, &c.rs, &version, &err), PL_OK);
    assert_int_equal(version, 1);
    assert_int_equal(c.rs.cadence_days[PL_RISK_STANDARD], 14);
    c.rs.cadence_days[PL_RISK_STANDARD] = 21;
    c.rs.glucose_low = 4.0;
    c.expected = 1;
    assert_int_equal(store_write(s, put_write, &c, &err), PL_OK);
    assert_int_equal(c.version, 2);
    rules_settings back;
    assert_int_equal(store_program_rules_get(s, w.program.id, &back, &version, &err), PL_OK);
    assert_int_equal(version, 2);
    assert_int_equal(back.cadence_days[PL_RISK_STANDARD], 21);
    assert_true(back.glucose_low == 4.0);
    assert_int_equal(back.grace_days, 3);
    /* a writer holding version 1 is refused and changes nothing */
    c.rs.grace_days = 9;
    c.expected = 1;
    assert_int_equal(store_write(s, put_write, &c, &err), PL_STALE);
    assert_int_equal(store_program_rules_get(s, w.program.id, &back, &version, &err), PL_OK);
    assert_int_equal(back.grace_days, 3);
    /* another program keeps the defaults */
    assert_int_equal(store_program_rules_get(s, w.community.id, &back, &version, &err), PL_OK);
    assert_int_equal(back.cadence_days[PL_RISK_STANDARD], 14);
    store_close(s);
}

/* ---- the worklist's look-ups ------------------------------------------------- */

typedef struct tasks_ctx {
    world *w;
    int n;
} tasks_ctx;

static pl_status tasks_write(store_tx *tx, void *ctx, pl_err *err)
{
    tasks_ctx *c = ctx;
    step e = {c->w, 0, "enrol", "-"};
    pl_status st = step_write(tx, &e, err);
    for (int i = 0; st == PL_OK && i < c->n; i++) {
        /* due days 30, 29, ... : inserted latest first */
        store_task t = {.participant_id = c->w->p.id,
                        .peer_leader_id = c->w->leader[1].id,
                        .kind = "custom",
                        .title = "call",
                        .due_date = c->w->day0 + 30 - i};
        st = store_task_insert(tx, &t, err);
    }
    return st;
}

static void test_worklist_lookups(void **state)
{
    (void)state;
    world w;
    store *s = world_open(&w);
    tasks_ctx c = {&w, 12};
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(store_write(s, tasks_write, &c, &err), PL_OK);
    pl_arena a;
    pl_arena_init(&a, 0);
    store_task *items;
    int n;
    bool more;
    /* due by day 25: days 19-25, earliest first, capped at 5 with `more` */
    assert_int_equal(
        store_worklist_tasks(s, w.leader[1].id, w.day0 + 25, 5, &a, &items, &n, &more, &err),
        PL_OK);
    assert_int_equal(n, 5);
    assert_true(more);
    for (int i = 0; i < n; i++)
        assert_int_equal(items[i].due_date, w.day0 + 19 + i);
    assert_int_equal(
        store_worklist_tasks(s, w.leader[1].id, w.day0 + 25, 100, &a, &items, &n, &more, &err),
        PL_OK);
    assert_int_equal(n, 7);
    assert_false(more);
    /* the other leader has only the participant's follow-up */
    assert_int_equal(
        store_worklist_tasks(s, w.leader[0].id, w.day0 + 365, 100, &a, &items, &n, &more, &err),
        PL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].kind, "follow_up");
    assert_int_equal(
        store_worklist_tasks(s, w.leader[0].id, w.day0, 0, &a, &items, &n, &more, &err),
        PL_INVALID);
    /* caseloads count the participant, the open tasks and those overdue */
    store_caseload *cl;
    assert_int_equal(store_caseload_list(s, 0, w.day0 + 20, (store_page){0, 50}, &a, &cl, &n, &err),
                     PL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(cl[0].participants, 1);
    assert_int_equal(cl[0].open_tasks, 1);
    assert_int_equal(cl[1].participants, 0);
    assert_int_equal(cl[1].open_tasks, 12);
    assert_int_equal(cl[1].overdue_tasks, 1); /* day 19 only */
    int64_t unassigned = -1;
    assert_int_equal(store_unassigned_count(s, 0, &unassigned, &err), PL_OK);
    assert_int_equal(unassigned, 0);
    pl_arena_free(&a);
    store_close(s);
}

PL_TEST_MAIN(cmocka_unit_test_setup_teardown(test_followup_month_table, setup, teardown),
             cmocka_unit_test_setup_teardown(test_settings_versions, setup, teardown),
             cmocka_unit_test_setup_teardown(test_worklist_lookups, setup, teardown))
