/*
 * test_eval.c - the evaluation layer (src/eval) against real SQLite stores.
 *
 *  - the wave rule, table-driven (tests/data/eval/waves.tsv: readings offered
 *    in order, the pick of each wave) and the wave checks
 *    (tests/data/eval/wave_checks.tsv), with the target-day arithmetic;
 *  - the stratified randomisation: a committed allocation for one seed (so
 *    the documented algorithm cannot change unnoticed), the same seed giving
 *    the same allocation whatever the input order, every stratum within
 *    floor/ceil of its share for many seeds and shapes, each community
 *    drawn to control about as often as its share says, and the refusals;
 *  - the data set and flow counts of a small hand-built program (home units
 *    below communities, an unallocated community, statuses, readings inside
 *    and outside the windows, contacts inside and outside the count window);
 *  - end to end: the demo the R script used (peerlink demo --seed 7
 *    --participants 800), its study 1 report rendered as JSON and every
 *    number of tests/data/eval/expected.tsv (tests/eval/make_expected.R)
 *    found in it and compared (relative 1e-6 estimates and SEs, 1e-4
 *    p-values, exact counts); HTML and CSV renderings; a study without arms;
 *    a study whose models are refused with messages; the research export's
 *    columns and de-identification.
 */
#include <json-c/json.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "test_db.h"

#include "cli/demo.h"
#include "core/measure.h"
#include "core/time.h"
#include "eval/eval.h"
#include "store/store_eval.h"
#include "store/store_fhir_entities.h"
#include "store/store_measurement.h"

/* the control communities test_randomise_committed expects for seed 20261123 */
#define EXPECTED_CONTROLS "103,105,109,112"

/* ---- temporary stores ------------------------------------------------------- */

typedef struct tmpdb {
    char dir[64];
    char file[96];
    char path[256]; /* file, or a PostgreSQL URL (test_db.h) */
    store *s;
} tmpdb;

static void tmpdb_open(tmpdb *t)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/peerlink-eval-XXXXXX");
    if (!mkdtemp(t->dir))
        fail_msg("mkdtemp failed");
    snprintf(t->file, sizeof t->file, "%s/eval.db", t->dir);
    test_db_fresh(t->file, t->path, sizeof t->path);
    store_options opt = {.create = true, .synchronous_normal = true};
    pl_err err;
    pl_err_clear(&err);
    if (store_open(t->path, &opt, &t->s, &err) != PL_OK)
        fail_msg("store_open(%s): %s", t->path, pl_err_text(&err));
}

static void tmpdb_remove(tmpdb *t)
{
    static const char *const suffix[] = {"", "-wal", "-shm"};
    char p[128];
    store_close(t->s);
    t->s = NULL;
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", t->file, suffix[i]);
        unlink(p);
    }
    rmdir(t->dir);
    test_db_drop(t->path);
}

/* ---- the wave rule ------------------------------------------------------------- */

/* "0:30,6:45,12:45" */
static int parse_waves(const char *text, store_study_wave *w)
{
    int n = 0;
    for (const char *p = text; *p && n < EVAL_WAVES_MAX;) {
        char *end;
        w[n].month = (int)strtol(p, &end, 10);
        w[n].window_days = *end == ':' ? (int)strtol(end + 1, &end, 10) : 30;
        n++;
        p = *end == ',' ? end + 1 : end;
    }
    return n;
}

static void test_wave_targets(void **state)
{
    (void)state;
    static const int months[] = {0, 1, 3, 6, 9, 12, 18, 24};
    static const int days[] = {0, 30, 91, 183, 274, 365, 548, 731};
    for (size_t i = 0; i < sizeof months / sizeof *months; i++)
        assert_int_equal(eval_wave_target(1000, months[i]), 1000 + days[i]);
}

static void test_wave_rule_table(void **state)
{
    (void)state;
    static const char *const header[] = {"case", "waves", "enrol", "readings", "expected"};
    test_table t;
    test_table_open(&t, "eval/waves.tsv", header, 5);
    char *cols[8];
    int cases = 0, failed = 0;
    while (test_table_next(&t, cols, 8) >= 0) {
        store_study_wave waves[EVAL_WAVES_MAX];
        int nw = parse_waves(cols[1], waves);
        pl_date enrol;
        assert_int_equal(pl_date_parse(cols[2], &enrol), PL_OK);
        eval_pick picks[EVAL_WAVES_MAX];
        eval_picks_clear(picks, nw);
        char readings[1024];
        snprintf(readings, sizeof readings, "%s", cols[3]);
        char *parts[32];
        int np = strcmp(readings, "-") == 0 ? 0 : test_split(readings, ';', parts, 32);
        for (int i = 0; i < np; i++) {
            char *eq = strchr(parts[i], '=');
            if (!eq)
                fail_msg("%s: reading '%s' is not TIME=VALUE", t.path, parts[i]);
            *eq = '\0';
            pl_time at;
            if (pl_time_parse(parts[i], &at) != PL_OK)
                fail_msg("%s line %d: bad time %s", t.path, t.lineno, parts[i]);
            eval_pick_offer(picks, waves, nw, enrol, at, strtod(eq + 1, NULL));
        }
        char got[256] = "";
        size_t len = 0;
        for (int w = 0; w < nw; w++) {
            if (picks[w].found)
                len += (size_t)snprintf(got + len, sizeof got - len, "%s%g@%d", w ? "," : "",
                                        picks[w].value, picks[w].day);
            else
                len += (size_t)snprintf(got + len, sizeof got - len, "%s-", w ? "," : "");
        }
        cases++;
        if (strcmp(got, cols[4]) != 0) {
            printf("# %s (line %d): expected %s, got %s\n", cols[0], t.lineno, cols[4], got);
            failed++;
        }
    }
    test_table_close(&t);
    printf("# %d wave-rule cases\n", cases);
    assert_true(cases >= 12);
    assert_int_equal(failed, 0);
}

static void test_wave_checks_table(void **state)
{
    (void)state;
    static const char *const header[] = {"case", "waves", "field", "message"};
    test_table t;
    test_table_open(&t, "eval/wave_checks.tsv", header, 4);
    char *cols[6];
    int cases = 0, failed = 0;
    while (test_table_next(&t, cols, 6) >= 0) {
        store_study_wave waves[EVAL_WAVES_MAX + 4];
        int n = 0;
        for (const char *p = cols[1]; *p && n < EVAL_WAVES_MAX + 4;) {
            char *end;
            waves[n].month = (int)strtol(p, &end, 10);
            waves[n].window_days = *end == ':' ? (int)strtol(end + 1, &end, 10) : 30;
            n++;
            p = *end == ',' ? end + 1 : end;
        }
        pl_err err;
        pl_err_clear(&err);
        pl_status st = eval_waves_validate(waves, n, "wave_months", "wave_windows", &err);
        bool ok = strcmp(cols[2], "ok") == 0
                      ? st == PL_OK
                      : st == PL_INVALID && test_field_error(&err, cols[2], cols[3]);
        cases++;
        if (!ok) {
            printf("# %s (line %d): expected %s '%s'\n", cols[0], t.lineno, cols[2], cols[3]);
            test_dump_err(&err);
            failed++;
        }
    }
    test_table_close(&t);
    assert_true(cases >= 8);
    assert_int_equal(failed, 0);
}

/* ---- randomisation ------------------------------------------------------------- */

/* 16 communities (ids 101-116) in 6 districts of 3, 3, 3, 3, 2 and 2, as Shanghai's. */
static int shanghai(eval_cluster *c)
{
    static const int sizes[] = {3, 3, 3, 3, 2, 2};
    int n = 0;
    for (int d = 0; d < 6; d++)
        for (int k = 0; k < sizes[d]; k++, n++)
            c[n] = (eval_cluster){101 + n, 11 + d, PL_ARM_NONE};
    return n;
}

static pl_arm arm_of(const eval_cluster *c, int n, pl_id unit)
{
    for (int i = 0; i < n; i++)
        if (c[i].unit_id == unit)
            return c[i].arm;
    return PL_ARM_NONE;
}

/* Every stratum holds floor or ceil of its share of controls; the total is exact. */
static void assert_balanced(const eval_cluster *c, int n, int ncontrol)
{
    int total = 0;
    for (int i = 0; i < n;) {
        int j = i, controls = 0;
        while (j < n && c[j].stratum == c[i].stratum)
            controls += c[j++].arm == PL_ARM_CONTROL;
        int size = j - i;
        int lo = size * ncontrol / n, hi = lo + (size * ncontrol % n != 0);
        if (controls < lo || controls > hi)
            fail_msg("stratum %lld: %d controls of %d, expected %d-%d", (long long)c[i].stratum,
                     controls, size, lo, hi);
        total += controls;
        i = j;
    }
    assert_int_equal(total, ncontrol);
}

static void test_randomise_committed(void **state)
{
    (void)state;
    eval_cluster c[16];
    int n = shanghai(c);
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(eval_randomise(c, n, 4, 20261123, &err), PL_OK);
    char got[128] = "";
    size_t len = 0;
    for (int i = 0; i < n; i++)
        if (c[i].arm == PL_ARM_CONTROL)
            len += (size_t)snprintf(got + len, sizeof got - len, "%s%lld", len ? "," : "",
                                    (long long)c[i].unit_id);
    printf("# seed 20261123: control communities %s\n", got);
    assert_string_equal(got, EXPECTED_CONTROLS);
    assert_balanced(c, n, 4);
}

static void test_randomise_reproducible(void **state)
{
    (void)state;
    eval_cluster a[16], b[16];
    int n = shanghai(a);
    shanghai(b);
    /* b in reverse order */
    for (int i = 0; i < n / 2; i++) {
        eval_cluster t = b[i];
        b[i] = b[n - 1 - i];
        b[n - 1 - i] = t;
    }
    pl_err err;
    pl_err_clear(&err);
    int distinct = 0;
    char seen[256][20];
    for (uint64_t seed = 1; seed <= 200; seed++) {
        shanghai(a);
        assert_int_equal(eval_randomise(a, n, 4, seed, &err), PL_OK);
        assert_int_equal(eval_randomise(b, n, 4, seed, &err), PL_OK);
        for (int i = 0; i < n; i++)
            assert_int_equal(arm_of(b, n, a[i].unit_id), a[i].arm);
        assert_balanced(a, n, 4);
        char key[20];
        for (int i = 0; i < n; i++)
            key[i] = a[i].arm == PL_ARM_CONTROL ? 'c' : 'i';
        key[n] = '\0';
        bool dup = false;
        for (int k = 0; k < distinct && !dup; k++)
            dup = strcmp(seen[k], key) == 0;
        if (!dup && distinct < 256)
            snprintf(seen[distinct++], sizeof seen[0], "%s", key);
    }
    printf("# 200 seeds gave %d distinct allocations\n", distinct);
    assert_true(distinct > 50);
}

static void test_randomise_fair(void **state)
{
    (void)state;
    enum { N = 16, SEEDS = 4000 };
    eval_cluster c[N];
    int controls[N] = {0};
    pl_err err;
    pl_err_clear(&err);
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        int n = shanghai(c);
        assert_int_equal(eval_randomise(c, n, 4, seed * 7919, &err), PL_OK);
        for (int i = 0; i < n; i++)
            controls[c[i].unit_id - 101] += c[i].arm == PL_ARM_CONTROL;
    }
    /* each community: P(control) = 4/16 over the draws of remainders and shuffles */
    for (int i = 0; i < N; i++) {
        double share = (double)controls[i] / SEEDS;
        if (share < 0.22 || share > 0.28)
            fail_msg("community %d was control in %.3f of draws, expected about 0.25", 101 + i,
                     share);
    }
}

static void test_randomise_shapes(void **state)
{
    (void)state;
    enum { N = 1000 };
    eval_cluster *c = calloc(N, sizeof *c);
    assert_non_null(c);
    pl_err err;
    pl_err_clear(&err);
    static const int strata[] = {1, 7, 50, 333};
    static const int ncontrols[] = {1, 333, 500, 999};
    for (size_t s = 0; s < 4; s++)
        for (size_t k = 0; k < 4; k++)
            for (uint64_t seed = 1; seed <= 5; seed++) {
                for (int i = 0; i < N; i++)
                    c[i] = (eval_cluster){5000 - i, (i * 7919) % strata[s], PL_ARM_NONE};
                assert_int_equal(eval_randomise(c, N, ncontrols[k], seed, &err), PL_OK);
                assert_balanced(c, N, ncontrols[k]);
            }
    free(c);
}

static void test_randomise_refusals(void **state)
{
    (void)state;
    eval_cluster c[16];
    pl_err err;
    int n = shanghai(c);
    pl_err_clear(&err);
    assert_int_equal(eval_randomise(c, 1, 1, 1, &err), PL_INVALID);
    pl_err_clear(&err);
    assert_int_equal(eval_randomise(c, n, 0, 1, &err), PL_INVALID);
    assert_true(test_field_error(&err, "control", "between 1 and 15"));
    pl_err_clear(&err);
    assert_int_equal(eval_randomise(c, n, 16, 1, &err), PL_INVALID);
    pl_err_clear(&err);
    c[3].unit_id = c[4].unit_id;
    assert_int_equal(eval_randomise(c, n, 4, 1, &err), PL_INVALID);
    assert_non_null(strstr(err.message, "twice"));
}

/* ---- a small hand-built program: data set and flow ------------------------------- */

typedef struct fixture_ids {
    pl_id program, d1, d2, c1, c2, c3, c4, chc1, leader, study;
    pl_id p[8];
} fixture_ids;

static pl_date E; /* every participant's enrolment day */

static pl_status put_unit(store_tx *tx, pl_id parent, pl_id program, pl_org_kind kind,
                          const char *code, pl_id *id, pl_err *err)
{
    pl_org_unit u = {.parent_id = parent,
                     .program_id = program,
                     .kind = kind,
                     .name = code,
                     .code = code,
                     .language = kind == PL_ORG_PROGRAM ? "en" : NULL};
    pl_status st = store_org_unit_insert(tx, &u, err);
    *id = u.id;
    return st;
}

static pl_status put_reading(store_tx *tx, pl_id pid, const char *code, double value, int day,
                             int hour, pl_err *err)
{
    char text[32];
    snprintf(text, sizeof text, "%g", value);
    pl_measurement m = {.participant_id = pid,
                        .code = code,
                        .entered_value = text,
                        .effective_at = pl_date_time(E + day) + hour * 3600,
                        .source = PL_SOURCE_LAB,
                        .wave = -1};
    pl_status st = measurement_prepare(&m, (pl_time)time(NULL), err);
    return st == PL_OK ? store_measurement_insert(tx, &m, err) : st;
}

static pl_status build_fixture(store_tx *tx, void *ctx, pl_err *err)
{
    fixture_ids *f = ctx;
    pl_status st;
#define TRY(x)                                                                                     \
    if ((st = (x)) != PL_OK)                                                                       \
    return st
    TRY(put_unit(tx, 0, 0, PL_ORG_PROGRAM, "P", &f->program, err));
    TRY(put_unit(tx, f->program, f->program, PL_ORG_DISTRICT, "D1", &f->d1, err));
    TRY(put_unit(tx, f->program, f->program, PL_ORG_DISTRICT, "D2", &f->d2, err));
    TRY(put_unit(tx, f->d1, f->program, PL_ORG_COMMUNITY, "C1", &f->c1, err));
    TRY(put_unit(tx, f->d1, f->program, PL_ORG_COMMUNITY, "C2", &f->c2, err));
    TRY(put_unit(tx, f->d2, f->program, PL_ORG_COMMUNITY, "C3", &f->c3, err));
    TRY(put_unit(tx, f->d2, f->program, PL_ORG_COMMUNITY, "C4", &f->c4, err));
    TRY(put_unit(tx, f->c1, f->program, PL_ORG_CHC, "C1-CHC", &f->chc1, err));
    pl_peer_leader l = {.person = {.program_id = f->program, .given_name = "Lee"},
                        .program_id = f->program,
                        .home_unit_id = f->c1,
                        .languages = "en",
                        .trained_on = PL_DATE_NONE,
                        .active = true};
    TRY(store_peer_leader_insert(tx, &l, err));
    f->leader = l.id;
    /* p0-p2 in C1 (p0 through its CHC), p3-p4 in C2, p5 in C3, p6 in C4 (not allocated) */
    pl_id homes[] = {f->chc1, f->c1, f->c1, f->c2, f->c2, f->c3, f->c4};
    pl_enrol_status status[] = {PL_ENROL_ENROLLED, PL_ENROL_WITHDRAWN, PL_ENROL_LOST,
                                PL_ENROL_ENROLLED, PL_ENROL_DECEASED,  PL_ENROL_COMPLETED,
                                PL_ENROL_ENROLLED};
    for (int i = 0; i < 7; i++) {
        char name[16];
        snprintf(name, sizeof name, "P%d", i);
        pl_participant p = {.person = {.program_id = f->program,
                                       .given_name = name,
                                       .sex = i % 2 ? PL_SEX_MALE : PL_SEX_FEMALE,
                                       .birth_date = E - 365 * (40 + 20 * i)},
                            .program_id = f->program,
                            .enrol_date = E,
                            .status = status[i],
                            .status_date = status[i] == PL_ENROL_ENROLLED ? PL_DATE_NONE : E + 100,
                            .consent = true,
                            .consent_date = E,
                            .home_unit_id = homes[i]};
        TRY(store_participant_insert(tx, &p, err));
        f->p[i] = p.id;
    }
    /* p0: all three waves, two baseline readings (nearest wins), one outside every window */
    TRY(put_reading(tx, f->p[0], "4548-4", 9.1, -10, 1, err));
    TRY(put_reading(tx, f->p[0], "4548-4", 9.0, 3, 1, err));
    TRY(put_reading(tx, f->p[0], "4548-4", 8.4, 180, 1, err));
    TRY(put_reading(tx, f->p[0], "4548-4", 8.0, 370, 1, err));
    TRY(put_reading(tx, f->p[0], "4548-4", 7.0, 100, 1, err)); /* between windows */
    /* p1 (withdrawn): baseline only; p2 (lost): baseline, SBP at month 6 only */
    TRY(put_reading(tx, f->p[1], "4548-4", 7.5, 0, 2, err));
    TRY(put_reading(tx, f->p[2], "4548-4", 8.2, 1, 2, err));
    TRY(put_reading(tx, f->p[2], "8480-6", 150, 200, 2, err));
    /* p3: baseline and month 12 at the window's edge (365 + 45); p4: month 12 just outside */
    TRY(put_reading(tx, f->p[3], "4548-4", 8.8, 0, 3, err));
    TRY(put_reading(tx, f->p[3], "4548-4", 7.9, 410, 3, err));
    TRY(put_reading(tx, f->p[4], "4548-4", 9.9, -30, 3, err));
    TRY(put_reading(tx, f->p[4], "4548-4", 9.5, 411, 3, err));
    /* p5: a tie at equal distance, -5 and +5 days from month 6: the earlier wins */
    TRY(put_reading(tx, f->p[5], "4548-4", 6.9, 0, 4, err));
    TRY(put_reading(tx, f->p[5], "4548-4", 6.6, 188, 4, err));
    TRY(put_reading(tx, f->p[5], "4548-4", 6.4, 178, 4, err));
    /* PHQ-9 from both tables: a measurement on day 0 beats a questionnaire on day 2; DDS-17
       from questionnaires only */
    TRY(put_reading(tx, f->p[0], "44261-6", 12, 0, 6, err));
    store_questionnaire q = {.participant_id = f->p[0],
                             .instrument = "phq9",
                             .answers = "1,1,1,1,1,1,1,1,2",
                             .scored = true,
                             .score = 10,
                             .completed_at = pl_date_time(E + 2) + 3600};
    TRY(store_questionnaire_insert(tx, &q, err));
    store_questionnaire q2 = {.participant_id = f->p[0],
                              .instrument = "phq9",
                              .answers = "0,0,0,0,1,1,1,1,0",
                              .scored = true,
                              .score = 4,
                              .completed_at = pl_date_time(E + 184) + 3600};
    TRY(store_questionnaire_insert(tx, &q2, err));
    store_questionnaire q3 = {.participant_id = f->p[3],
                              .instrument = "dds17",
                              .answers = "3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3",
                              .scored = true,
                              .score = 2.5,
                              .completed_at = pl_date_time(E + 182) + 3600};
    TRY(store_questionnaire_insert(tx, &q3, err));
    store_questionnaire q4 = {.participant_id = f->p[3],
                              .instrument = "phq2",
                              .answers = "1,1",
                              .scored = true,
                              .score = 2,
                              .completed_at = pl_date_time(E) + 3600};
    TRY(store_questionnaire_insert(tx, &q4, err)); /* not an outcome: ignored */
    /* p6 is not allocated: its readings are not analysed */
    TRY(put_reading(tx, f->p[6], "4548-4", 12.0, 0, 5, err));
    /* contacts of p0: before enrolment, on day 0, day 200, on the last target (365), after */
    static const int cdays[] = {-1, 0, 200, 365, 366};
    for (int k = 0; k < 5; k++) {
        pl_contact c = {.program_id = f->program,
                        .participant_id = f->p[0],
                        .peer_leader_id = f->leader,
                        .occurred_at = pl_date_time(E + cdays[k]) + 3600,
                        .minutes = 20,
                        .mode = PL_MODE_PHONE,
                        .key_functions = PL_KF_ONGOING,
                        .follow_up_date = PL_DATE_NONE};
        TRY(store_contact_insert(tx, &c, err));
    }
    /* p0's group in C1: attended sessions on days 10 and 20, then marked absent from the
       second, which voids its contact: one session counts (and as a contact) */
    pl_group gr = {.program_id = f->program,
                   .unit_id = f->c1,
                   .kind = PL_GROUP_CSMG,
                   .name = "C1 group",
                   .peer_leader_id = f->leader,
                   .active = true};
    TRY(store_group_insert(tx, &gr, err));
    pl_group_member gm = {
        .group_id = gr.id, .participant_id = f->p[0], .joined_on = E, .left_on = PL_DATE_NONE};
    TRY(store_group_member_add(tx, &gm, err));
    pl_time now = (pl_time)time(NULL);
    for (int k = 0; k < 2; k++) {
        pl_group_session gs = {.group_id = gr.id,
                               .peer_leader_id = f->leader,
                               .status = PL_SESSION_SCHEDULED,
                               .scheduled_at = pl_date_time(E + 10 + 10 * k) + 3600,
                               .minutes = 90,
                               .topic = "diet",
                               .key_functions = PL_KF_DAILY_MANAGEMENT};
        TRY(store_group_session_insert(tx, &gs, err));
        pl_id contact;
        TRY(store_group_attendance_set(tx, &gs, f->p[0], PL_ATTEND_ATTENDED, 0, now, &contact,
                                       err));
        if (k == 1)
            TRY(store_group_attendance_set(tx, &gs, f->p[0], PL_ATTEND_ABSENT, 0, now, &contact,
                                           err));
    }
    /* implementation ratings: C1 twice in the study period (mean 3.5), C3 once before it */
    const struct {
        pl_id unit;
        int from;
        double mean;
    } ratings[] = {{f->c1, 0, 3.0}, {f->c1, 180, 4.0}, {f->c3, -400, 2.0}};
    for (int k = 0; k < 3; k++) {
        store_impl_rating ir = {.program_id = f->program,
                                .unit_id = ratings[k].unit,
                                .period_start = E + ratings[k].from,
                                .period_end = E + ratings[k].from + 90,
                                .features = "regular_contact",
                                .scores = "3",
                                .mean = ratings[k].mean,
                                .level = "medium"};
        TRY(store_impl_rating_insert(tx, &ir, err));
    }
    store_study sy = {.program_id = f->program,
                      .name = "fixture",
                      .subgroup_threshold = 8,
                      .target_intervention = 10,
                      .target_control = -1};
    eval_default_waves(&sy);
    TRY(store_study_insert(tx, &sy, err));
    f->study = sy.id;
    store_study_arm arms[] = {
        {f->c1, PL_ARM_INTERVENTION}, {f->c2, PL_ARM_CONTROL}, {f->c3, PL_ARM_INTERVENTION}};
    TRY(store_study_arms_set(tx, sy.id, arms, 3, "entered", 0, 1, err));
#undef TRY
    return PL_OK;
}

static long index_of(const eval_data *d, pl_id pid)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->pid[i] == pid)
            return (long)i;
    return -1;
}

static void test_data_and_flow(void **state)
{
    (void)state;
    tmpdb t;
    tmpdb_open(&t);
    E = pl_time_date((pl_time)time(NULL)) - 500;
    fixture_ids f = {0};
    pl_err err;
    pl_err_clear(&err);
    if (store_write(t.s, build_fixture, &f, &err) != PL_OK)
        fail_msg("fixture: %s", pl_err_text(&err));
    eval_data *d = NULL;
    if (eval_data_load(t.s, f.study, EVAL_LOAD_DEMOGRAPHICS, &d, &err) != PL_OK)
        fail_msg("eval_data_load: %s", pl_err_text(&err));
    assert_int_equal(d->n, 6);
    assert_int_equal(d->not_allocated, 1);
    assert_true(d->has_arms);
    assert_int_equal(d->allocated[PL_ARM_INTERVENTION], 2);
    assert_int_equal(d->allocated[PL_ARM_CONTROL], 1);
    assert_true(d->present[EVAL_HBA1C]);
    assert_true(d->present[EVAL_SBP]);
    assert_false(d->present[EVAL_LDL]);
    double *const *v = d->value[EVAL_HBA1C];
    long i0 = index_of(d, f.p[0]), i3 = index_of(d, f.p[3]), i4 = index_of(d, f.p[4]),
         i5 = index_of(d, f.p[5]), i2 = index_of(d, f.p[2]);
    assert_true(i0 >= 0 && i3 >= 0 && i4 >= 0 && i5 >= 0 && index_of(d, f.p[6]) < 0);
    /* p0 through its CHC belongs to C1 */
    assert_string_equal(d->units[d->unit[i0]].code, "C1");
    assert_string_equal(d->units[d->unit[i0]].district_code, "D1");
    assert_true(v[0][i0] == 9.0 && d->day[EVAL_HBA1C][0][i0] == 3);
    assert_true(v[1][i0] == 8.4 && d->day[EVAL_HBA1C][1][i0] == -3);
    assert_true(v[2][i0] == 8.0 && d->day[EVAL_HBA1C][2][i0] == 5);
    assert_true(v[2][i3] == 7.9 && d->day[EVAL_HBA1C][2][i3] == 45);
    assert_true(v[0][i4] == 9.9 && isnan(v[2][i4]));
    assert_true(v[1][i5] == 6.4 && d->day[EVAL_HBA1C][1][i5] == -5);
    assert_true(d->value[EVAL_SBP][1][i2] == 150 && isnan(d->value[EVAL_SBP][0][i2]));
    /* PHQ-9 merged from measurements and questionnaires; DDS from questionnaires */
    assert_true(d->present[EVAL_PHQ9] && d->present[EVAL_DDS]);
    assert_true(d->value[EVAL_PHQ9][0][i0] == 12 && d->day[EVAL_PHQ9][0][i0] == 0);
    assert_true(d->value[EVAL_PHQ9][1][i0] == 4 && d->day[EVAL_PHQ9][1][i0] == 1);
    assert_true(d->value[EVAL_DDS][1][i3] == 2.5 && d->day[EVAL_DDS][1][i3] == -1);
    assert_true(isnan(d->value[EVAL_DDS][0][i3]));
    /* contacts: day 0, 200 and 365 count, and the attended session of day 10; the day before
       enrolment, after the last target and the voided attendance of day 20 do not */
    assert_int_equal(d->contacts[i0], 4);
    assert_int_equal(d->sessions[i0], 1);
    assert_int_equal(d->sessions[i3], 0);
    /* ratings: C1's two in the period averaged; C3's only rating lies before the period */
    const eval_unit *c1 = &d->units[d->unit[i0]], *c3 = &d->units[d->unit[i5]];
    assert_int_equal(c1->nratings, 2);
    assert_true(c1->rating == 3.5);
    assert_int_equal(c3->nratings, 0);
    assert_true(isnan(c3->rating));

    eval_flow fl;
    eval_flow_compute(d, &fl);
    assert_int_equal(fl.ngroups, 2);
    assert_int_equal(fl.not_allocated, 1);
    const eval_flow_group *in = &fl.g[0], *co = &fl.g[1];
    assert_int_equal(in->arm, PL_ARM_INTERVENTION);
    assert_int_equal(in->communities, 2);
    assert_int_equal(in->target, 10);
    assert_int_equal(in->enrolled, 4);
    assert_int_equal(in->withdrawn, 1);
    assert_int_equal(in->lost, 1);
    assert_int_equal(in->completed, 1);
    assert_int_equal(in->active, 2);
    assert_int_equal(in->assessed[0], 4);
    assert_int_equal(in->assessed[1], 3); /* p0, p2 (SBP only), p5 */
    assert_int_equal(in->assessed[2], 1);
    assert_int_equal(in->analysed, 1);
    assert_int_equal(co->enrolled, 2);
    assert_int_equal(co->deceased, 1);
    assert_int_equal(co->target, -1);
    assert_int_equal(co->assessed[0], 2);
    assert_int_equal(co->assessed[1], 1); /* p3: the DDS-17 at month 6 */
    assert_int_equal(co->assessed[2], 1);
    assert_int_equal(co->analysed, 1);

    /* with 3 communities and a handful of people, every model is refused with a message */
    eval_report *r = NULL;
    assert_int_equal(eval_report_build(d, (pl_time)time(NULL), &r, &err), PL_OK);
    pl_buf b;
    pl_buf_init(&b, 0);
    assert_int_equal(eval_report_render(r, EVAL_FORMAT_JSON, &b, &err), PL_OK);
    json_object *o = json_tokener_parse(b.data);
    assert_non_null(o);
    json_object *outs = json_object_object_get(o, "outcomes");
    json_object *h = json_object_array_get_idx(outs, 0);
    json_object *anc = json_object_object_get(h, "arm_comparison");
    assert_false(json_object_get_boolean(json_object_object_get(anc, "computed")));
    printf("# arm comparison refused: %s\n",
           json_object_get_string(json_object_object_get(anc, "message")));
    assert_true(strlen(json_object_get_string(json_object_object_get(anc, "message"))) > 10);
    json_object_put(o);
    pl_buf_free(&b);
    eval_report_free(r);
    eval_data_free(d);
    tmpdb_remove(&t);
}

static pl_status void_one(store_tx *tx, void *ctx, pl_err *err)
{
    return store_measurement_void(tx, *(pl_id *)ctx, -1, err);
}

/* A measurement voided (FHIR DELETE, entered in error) leaves the evaluation's data, and the
 * cached report's fingerprint changes so that the report is built again. */
static void test_voided_measurement_leaves_evaluation(void **state)
{
    (void)state;
    tmpdb t;
    tmpdb_open(&t);
    E = pl_time_date((pl_time)time(NULL)) - 500;
    fixture_ids f = {0};
    pl_err err;
    pl_err_clear(&err);
    if (store_write(t.s, build_fixture, &f, &err) != PL_OK)
        fail_msg("fixture: %s", pl_err_text(&err));
    eval_data *d = NULL;
    assert_int_equal(eval_data_load(t.s, f.study, 0, &d, &err), PL_OK);
    long i0 = index_of(d, f.p[0]);
    assert_true(d->value[EVAL_HBA1C][2][i0] == 8.0);
    eval_data_free(d);
    store_eval_fingerprint before, after;
    assert_int_equal(store_eval_fingerprint_get(t.s, f.study, &before, &err), PL_OK);

    /* p0's month-12 HbA1c (8.0 on day 370) is voided */
    store_measurement_filter mf = {.participant_id = f.p[0], .analyte = "hba1c", .wave = -1};
    pl_arena a;
    pl_arena_init(&a, 1u << 20);
    pl_measurement *items;
    int n = 0;
    assert_int_equal(store_measurement_list(t.s, &mf, (store_page){0, 100}, &a, &items, &n, &err),
                     PL_OK);
    pl_id id = 0;
    for (int i = 0; i < n; i++)
        if (items[i].value == 8.0)
            id = items[i].id;
    assert_true(id > 0);
    assert_int_equal(store_write(t.s, void_one, &id, &err), PL_OK);
    assert_int_equal(store_measurement_list(t.s, &mf, (store_page){0, 100}, &a, &items, &n, &err),
                     PL_OK);
    for (int i = 0; i < n; i++)
        assert_true(items[i].id != id);
    pl_arena_free(&a);

    assert_int_equal(store_eval_fingerprint_get(t.s, f.study, &after, &err), PL_OK);
    assert_true(memcmp(&before, &after, sizeof before) != 0);
    assert_int_equal(eval_data_load(t.s, f.study, 0, &d, &err), PL_OK);
    i0 = index_of(d, f.p[0]);
    assert_true(isnan(d->value[EVAL_HBA1C][2][i0]));
    assert_true(d->value[EVAL_HBA1C][1][i0] == 8.4);
    eval_data_free(d);
    tmpdb_remove(&t);
}

static pl_status void_contact(store_tx *tx, void *ctx, pl_err *err)
{
    return store_fhir_contact_void(tx, *(pl_id *)ctx, err);
}

/* A contact voided (FHIR DELETE of its Encounter) leaves the dose, and the cached report's
 * fingerprint changes: contacts were insert-only when the fingerprint took their largest id. */
static void test_voided_contact_leaves_evaluation(void **state)
{
    (void)state;
    tmpdb t;
    tmpdb_open(&t);
    E = pl_time_date((pl_time)time(NULL)) - 500;
    fixture_ids f = {0};
    pl_err err;
    pl_err_clear(&err);
    if (store_write(t.s, build_fixture, &f, &err) != PL_OK)
        fail_msg("fixture: %s", pl_err_text(&err));
    eval_data *d = NULL;
    assert_int_equal(eval_data_load(t.s, f.study, 0, &d, &err), PL_OK);
    int32_t dose = d->contacts[index_of(d, f.p[0])];
    eval_data_free(d);
    assert_true(dose > 0);
    store_eval_fingerprint before, after;
    assert_int_equal(store_eval_fingerprint_get(t.s, f.study, &before, &err), PL_OK);

    store_contact_filter cf = {
        .participant_id = f.p[0], .since = PL_TIME_NONE, .until = PL_TIME_NONE};
    pl_arena a;
    pl_arena_init(&a, 1u << 20);
    pl_contact *items;
    int n = 0;
    assert_int_equal(store_contact_list(t.s, &cf, (store_page){0, 100}, &a, &items, &n, &err),
                     PL_OK);
    /* the fixture's day-200 contact: of p0's own five (before enrolment, day 0, 200, 365,
       after), the one in the middle of the count window */
    pl_id id = 0;
    for (int i = 0; i < n; i++) {
        int earlier = 0, later = 0;
        for (int k = 0; k < n; k++) {
            if (items[k].group_session_id || items[i].group_session_id)
                continue;
            earlier += items[k].occurred_at < items[i].occurred_at;
            later += items[k].occurred_at > items[i].occurred_at;
        }
        if (earlier == 2 && later == 2)
            id = items[i].id;
    }
    pl_arena_free(&a);
    assert_true(id > 0);
    assert_int_equal(store_write(t.s, void_contact, &id, &err), PL_OK);

    assert_int_equal(store_eval_fingerprint_get(t.s, f.study, &after, &err), PL_OK);
    assert_true(memcmp(&before, &after, sizeof before) != 0);
    assert_int_equal(eval_data_load(t.s, f.study, 0, &d, &err), PL_OK);
    assert_int_equal(d->contacts[index_of(d, f.p[0])], dose - 1);
    eval_data_free(d);
    tmpdb_remove(&t);
}

/* ---- end to end against R ----------------------------------------------------------- */

/* The value at a path like a.b[k=v,k2=v2].c (see tests/eval/make_expected.R). */
static json_object *jpath(json_object *o, const char *path)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", path);
    char *p = buf;
    while (o && *p) {
        char *end = p + strcspn(p, ".[");
        char sep = *end;
        *end = '\0';
        if (*p && !json_object_object_get_ex(o, p, &o))
            return NULL;
        p = end + 1;
        if (sep == '[') {
            char *close = strchr(p, ']');
            if (!close)
                return NULL;
            *close = '\0';
            char *conds[4];
            int nc = test_split(p, ',', conds, 4);
            json_object *found = NULL;
            for (size_t i = 0; !found && i < json_object_array_length(o); i++) {
                json_object *e = json_object_array_get_idx(o, i);
                bool all = true;
                for (int c = 0; c < nc && all; c++) {
                    char key[64];
                    const char *eq = strchr(conds[c], '=');
                    if (!eq)
                        return NULL;
                    snprintf(key, sizeof key, "%.*s", (int)(eq - conds[c]), conds[c]);
                    json_object *m;
                    all = json_object_object_get_ex(e, key, &m) &&
                          strcmp(json_object_get_string(m), eq + 1) == 0;
                }
                if (all)
                    found = e;
            }
            o = found;
            p = close + 1;
            if (*p == '.')
                p++;
        } else if (sep == '\0') {
            break;
        }
    }
    return o;
}

static store *demo_store(tmpdb *t)
{
    tmpdb_open(t);
    demo_options opt = {
        .seed = 7, .participants = 800, .start_date = PL_DATE_NONE, .with_accounts = false};
    pl_err err;
    pl_err_clear(&err);
    if (demo_generate(t->s, &opt, &err) != PL_OK)
        fail_msg("demo_generate: %s", pl_err_text(&err));
    return t->s;
}

static eval_report *report_of(store *s, pl_id study, eval_data **keep)
{
    eval_data *d = NULL;
    eval_report *r = NULL;
    pl_err err;
    pl_err_clear(&err);
    if (eval_data_load(s, study, keep ? EVAL_LOAD_DEMOGRAPHICS : 0, &d, &err) != PL_OK)
        fail_msg("eval_data_load(%lld): %s", (long long)study, pl_err_text(&err));
    if (eval_report_build(d, (pl_time)time(NULL), &r, &err) != PL_OK)
        fail_msg("eval_report_build: %s", pl_err_text(&err));
    if (keep)
        *keep = d;
    else
        eval_data_free(d);
    return r;
}

static char *render(const eval_report *r, eval_format f)
{
    pl_buf b;
    pl_buf_init(&b, 0);
    pl_err err;
    pl_err_clear(&err);
    if (eval_report_render(r, f, &b, &err) != PL_OK)
        fail_msg("render: %s", pl_err_text(&err));
    return pl_buf_steal(&b);
}

/* The demo database, built by the first test that needs it and removed after the last. */
static tmpdb demo_db;
static bool demo_built;

static store *demo(void)
{
    if (!demo_built) {
        demo_store(&demo_db);
        demo_built = true;
    }
    return demo_db.s;
}

static int group_teardown(void **state)
{
    (void)state;
    if (demo_built)
        tmpdb_remove(&demo_db);
    return 0;
}

static void test_report_matches_r(void **state)
{
    (void)state;
    eval_report *r = report_of(demo(), 1, NULL);
    char *text = render(r, EVAL_FORMAT_JSON);
    json_object *root = json_tokener_parse(text);
    assert_non_null(root);
    static const char *const header[] = {"path", "class", "value"};
    test_table t;
    test_table_open(&t, "eval/expected.tsv", header, 3);
    char *cols[4];
    int n = 0, failed = 0;
    double worst_est = 0, worst_p = 0;
    bool verbose = getenv("EVAL_VERBOSE") != NULL;
    while (test_table_next(&t, cols, 4) >= 0) {
        n++;
        json_object *v = jpath(root, cols[0]);
        if (!v || json_object_get_type(v) == json_type_null) {
            printf("# %s: not in the report\n", cols[0]);
            failed++;
            continue;
        }
        double want = strtod(cols[2], NULL), got = json_object_get_double(v);
        bool ok;
        if (strcmp(cols[1], "int") == 0) {
            ok = got == want;
        } else {
            bool p = strcmp(cols[1], "p") == 0;
            double rel = fabs(got - want) / (fabs(want) > 0 ? fabs(want) : 1);
            double tol = p ? 1e-4 : 1e-6, floor = p ? 1e-12 : 1e-9;
            ok = rel <= tol || fabs(got - want) <= floor;
            if (fabs(got - want) > floor) {
                if (p && rel > worst_p)
                    worst_p = rel;
                if (!p && rel > worst_est)
                    worst_est = rel;
            }
            if (verbose)
                printf("# %s: R %s, peerlink %.17g (relative %.1e)\n", cols[0], cols[2], got, rel);
        }
        if (!ok) {
            printf("# %s: R %s, peerlink %.17g\n", cols[0], cols[2], got);
            failed++;
        }
    }
    test_table_close(&t);
    printf("# %d values compared with R; largest relative differences: estimates %.1e, "
           "p-values %.1e\n",
           n, worst_est, worst_p);
    assert_true(n > 900);
    assert_int_equal(failed, 0);
    json_object_put(root);
    free(text);
    eval_report_free(r);
}

static void test_report_formats(void **state)
{
    (void)state;
    eval_report *r = report_of(demo(), 1, NULL);
    char *html = render(r, EVAL_FORMAT_HTML);
    assert_non_null(strstr(html, "<!DOCTYPE html>"));
    assert_non_null(strstr(html, "<svg"));
    assert_non_null(strstr(html, "regression to the mean"));
    assert_non_null(strstr(html, "Methods"));
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "http://") && !strstr(html, "http://www.w3.org/2000/svg") ? html
                                                                                       : NULL);
    free(html);
    char *csv = render(r, EVAL_FORMAT_CSV);
    assert_true(strncmp(csv, "section,outcome,group,month,term,statistic,value,message\n", 57) ==
                0);
    assert_non_null(strstr(csv, "change,hba1c,intervention,12,t_test,estimate,"));
    assert_non_null(strstr(csv, "arm_comparison,hba1c,,,armintervention,estimate,"));
    free(csv);
    eval_report_free(r);
}

typedef struct study_job {
    store_study st;
    store_study_arm arms[2];
    int narms;
} study_job;

static pl_status add_study(store_tx *tx, void *ctx, pl_err *err)
{
    study_job *j = ctx;
    pl_status st = store_study_insert(tx, &j->st, err);
    if (st == PL_OK && j->narms)
        st = store_study_arms_set(tx, j->st.id, j->arms, j->narms, "entered", 0, 1, err);
    return st;
}

static void test_study_without_arms(void **state)
{
    (void)state;
    pl_err err;
    pl_err_clear(&err);
    study_job j = {.st = {.program_id = 2,
                          .name = "before-after",
                          .subgroup_threshold = 9,
                          .target_intervention = -1,
                          .target_control = -1}};
    eval_default_waves(&j.st);
    assert_int_equal(store_write(demo(), add_study, &j, &err), PL_OK);
    eval_report *r = report_of(demo(), j.st.id, NULL);
    char *text = render(r, EVAL_FORMAT_JSON);
    json_object *root = json_tokener_parse(text);
    assert_int_equal(json_object_get_int(jpath(root, "participants")), 800);
    assert_string_equal(json_object_get_string(jpath(root, "groups[group=all].group")), "all");
    assert_true(json_object_get_int(jpath(root, "outcomes[outcome=hba1c].change[group=all].n")) >
                600);
    assert_true(json_object_get_boolean(
        jpath(root, "outcomes[outcome=hba1c].change[group=all].t_test.computed")));
    assert_false(
        json_object_get_boolean(jpath(root, "outcomes[outcome=hba1c].arm_comparison.computed")));
    assert_non_null(strstr(
        json_object_get_string(jpath(root, "outcomes[outcome=hba1c].arm_comparison.message")),
        "no arms"));
    assert_true(json_object_get_double(jpath(root, "outcomes[outcome=hba1c].subgroup.threshold")) ==
                9);
    assert_null(jpath(root, "outcomes[outcome=hba1c].goals[goal=lt7,month=0].test"));
    json_object_put(root);
    free(text);
    eval_report_free(r);
}

static void test_refusals_are_messages(void **state)
{
    (void)state;
    /* one intervention and one control community: two clusters are too few */
    eval_unit *units;
    int n;
    pl_arena a;
    pl_arena_init(&a, 0);
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(eval_program_communities(demo(), 2, &a, &units, &n, &err), PL_OK);
    assert_int_equal(n, 16);
    study_job j = {.st = {.program_id = 2,
                          .name = "two communities",
                          .subgroup_threshold = 8,
                          .target_intervention = -1,
                          .target_control = -1},
                   .narms = 2};
    for (int i = 0, got = 0; i < n && got < 2; i++)
        if ((got == 0 && units[i].arm == PL_ARM_INTERVENTION) ||
            (got == 1 && units[i].arm == PL_ARM_CONTROL))
            j.arms[got++] = (store_study_arm){units[i].id, units[i].arm};
    if (j.arms[0].unit_id > j.arms[1].unit_id) {
        store_study_arm tmp = j.arms[0];
        j.arms[0] = j.arms[1];
        j.arms[1] = tmp;
    }
    eval_default_waves(&j.st);
    assert_int_equal(store_write(demo(), add_study, &j, &err), PL_OK);
    eval_report *r = report_of(demo(), j.st.id, NULL);
    char *text = render(r, EVAL_FORMAT_JSON);
    json_object *root = json_tokener_parse(text);
    json_object *anc = jpath(root, "outcomes[outcome=hba1c].arm_comparison");
    assert_false(json_object_get_boolean(json_object_object_get(anc, "computed")));
    const char *msg = json_object_get_string(json_object_object_get(anc, "message"));
    printf("# two communities: %s\n", msg);
    assert_non_null(strstr(msg, "cluster"));
    assert_null(json_object_object_get(anc, "coefficients"));
    /* the dose-response falls back to classical SEs with a note (one intervention community) */
    const char *note =
        json_object_get_string(jpath(root, "outcomes[outcome=hba1c].dose_response.note"));
    assert_non_null(note);
    assert_non_null(strstr(note, "classical"));
    json_object_put(root);
    free(text);
    eval_report_free(r);
    pl_arena_free(&a);
}

typedef struct sink {
    pl_buf b;
} sink;

static pl_status to_buf(void *ctx, const char *data, size_t n, pl_err *err)
{
    (void)err;
    return pl_buf_append(&((sink *)ctx)->b, data, n);
}

static void test_research_export(void **state)
{
    (void)state;
    eval_data *d = NULL;
    eval_report *r = report_of(demo(), 1, &d);
    eval_report_free(r);
    unsigned char secret[EVAL_SECRET_BYTES];
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(store_install_secret(demo(), secret, &err), PL_OK);
    pl_date today = pl_time_date((pl_time)time(NULL));
    sink w = {0}, l = {0}, c = {0};
    pl_buf_init(&w.b, 0);
    pl_buf_init(&l.b, 0);
    pl_buf_init(&c.b, 0);
    assert_int_equal(eval_export_write(d, secret, EVAL_EXPORT_WIDE, today, to_buf, &w, &err),
                     PL_OK);
    assert_int_equal(eval_export_write(d, secret, EVAL_EXPORT_LONG, today, to_buf, &l, &err),
                     PL_OK);
    assert_int_equal(eval_export_write(d, secret, EVAL_EXPORT_CODEBOOK, today, to_buf, &c, &err),
                     PL_OK);
    const char *wide_header = "pseudonym,community,district,arm,sex,birth_year,status,status_day,"
                              "contacts,sessions,impl_rating,hba1c_m0,hba1c_m6,hba1c_m12,";
    assert_true(strncmp(w.b.data, wide_header, strlen(wide_header)) == 0);
    /* one line per participant, keyed by the API's pseudonym */
    size_t lines = 0;
    for (const char *p = w.b.data; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, d->n + 1);
    char ps[EVAL_PSEUDONYM_LEN];
    eval_pseudonym(secret, d->pid[0], ps);
    assert_non_null(strstr(w.b.data, ps));
    /* nothing that identifies: no program numbers, MRNs, names or calendar dates */
    assert_null(strstr(w.b.data, "SH-0"));
    assert_null(strstr(w.b.data, "MRN-"));
    assert_null(strstr(l.b.data, "SH-0"));
    char year[8];
    int y, m, dd;
    pl_date_to_ymd(today, &y, &m, &dd);
    snprintf(year, sizeof year, "%d-", y);
    assert_null(strstr(w.b.data, year));
    assert_null(strstr(l.b.data, year));
    assert_true(
        strncmp(l.b.data, "pseudonym,community,district,arm,outcome,month,value,unit,", 58) == 0);
    assert_true(strncmp(c.b.data, "file,variable,label,type,unit,value_labels\n", 43) == 0);
    assert_non_null(strstr(c.b.data, "wide,hba1c_m12,HbA1c at month 12,numeric,%,"));
    pl_buf_free(&w.b);
    pl_buf_free(&l.b);
    pl_buf_free(&c.b);
    eval_data_free(d);
}

PL_TEST_MAIN_TEARDOWN(
    group_teardown, cmocka_unit_test(test_wave_targets), cmocka_unit_test(test_wave_rule_table),
    cmocka_unit_test(test_wave_checks_table), cmocka_unit_test(test_randomise_committed),
    cmocka_unit_test(test_randomise_reproducible), cmocka_unit_test(test_randomise_fair),
    cmocka_unit_test(test_randomise_shapes), cmocka_unit_test(test_randomise_refusals),
    cmocka_unit_test(test_data_and_flow),
    cmocka_unit_test(test_voided_measurement_leaves_evaluation),
    cmocka_unit_test(test_voided_contact_leaves_evaluation),
    cmocka_unit_test(test_report_matches_r), cmocka_unit_test(test_report_formats),
    cmocka_unit_test(test_study_without_arms), cmocka_unit_test(test_refusals_are_messages),
    cmocka_unit_test(test_research_export))
