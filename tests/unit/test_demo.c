/*
 * test_demo.c - the demo generator (src/cli/demo.c) against a real SQLite store.
 *
 * Each test opens a fresh store in a mkdtemp directory under /tmp (removed
 * with its -wal and -shm files by the teardown, even when the test fails),
 * generates from a fixed seed and start date, and checks the result through
 * the store's read interface: the exact shape of the two reference programs,
 * distributions within the bounds the demo promises (baseline HbA1c, the
 * intervention effect, withdrawals, risk tiers), that every stored contact
 * and measurement passes the core validators again, that one seed always
 * gives the same data and another seed different data, and that
 * --participants scales to exactly that many participants.
 */
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "test_db.h"

#include "cli/demo.h"
#include "core/measure.h"
#include "core/time.h"
#include "http/auth.h"

#define SH_PARTICIPANTS 2160
#define MS_PARTICIPANTS 380

/* ---- fixture: a temporary store ------------------------------------------ */

typedef struct tmpdb {
    char dir[64];
    char file[96];
    char path[256]; /* file, or a PostgreSQL URL (test_db.h) */
    store *s;
} tmpdb;

typedef struct fixture {
    tmpdb db[3];
} fixture;

static void tmpdb_open(tmpdb *t)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/peerlink-demo-XXXXXX");
    if (!mkdtemp(t->dir))
        fail_msg("mkdtemp failed");
    snprintf(t->file, sizeof t->file, "%s/demo.db", t->dir);
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
    if (!t->dir[0])
        return;
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(p, sizeof p, "%s%s", t->file, suffix[i]);
        unlink(p);
    }
    rmdir(t->dir);
    test_db_drop(t->path);
    t->dir[0] = '\0';
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 3; i++)
        tmpdb_remove(&f->db[i]);
    free(f);
    return 0;
}

static store *fresh_store(void **state, int i)
{
    fixture *f = *state;
    tmpdb_open(&f->db[i]);
    return f->db[i].s;
}

/* ---- helpers --------------------------------------------------------------- */

static pl_date fixed_start(void)
{
    return pl_date_from_ymd(2024, 1, 1);
}

static void generate(store *s, uint64_t seed, int participants, bool accounts)
{
    demo_options opt = {.seed = seed,
                        .participants = participants,
                        .start_date = fixed_start(),
                        .with_accounts = accounts};
    pl_err err;
    pl_err_clear(&err);
    pl_status st = demo_generate(s, &opt, &err);
    if (st != PL_OK)
        fail_msg("demo_generate: %s (%s)", err.message, pl_err_text(&err));
}

static store_counts counts_of(store *s)
{
    store_counts c;
    pl_err err;
    pl_err_clear(&err);
    memset(&c, 0, sizeof c);
    if (store_counts_get(s, &c, &err) != PL_OK)
        fail_msg("store_counts_get: %s", pl_err_text(&err));
    return c;
}

/* Finds a program by name among the org units (ids are 1..org_units). */
static pl_id program_named(store *s, const char *name)
{
    store_counts c = counts_of(s);
    pl_arena a;
    pl_arena_init(&a, 0);
    pl_id found = 0;
    for (pl_id id = 1; id <= c.org_units + 10 && !found; id++) {
        pl_org_unit u;
        pl_err err;
        pl_err_clear(&err);
        if (store_org_unit_get(s, id, &a, &u, &err) == PL_OK && u.kind == PL_ORG_PROGRAM &&
            strcmp(u.name, name) == 0)
            found = u.id;
        pl_arena_reset(&a);
    }
    pl_arena_free(&a);
    return found;
}

static store_wave_summary summary(store *s, pl_id program, const char *analyte, int wave,
                                  pl_arm arm, double threshold)
{
    store_wave_summary w;
    pl_err err;
    pl_err_clear(&err);
    memset(&w, 0, sizeof w);
    if (store_wave_summary_get(s, program, analyte, wave, arm, threshold, &w, &err) != PL_OK)
        fail_msg("store_wave_summary_get(%s, %d): %s", analyte, wave, pl_err_text(&err));
    return w;
}

static void in_range(const char *what, double v, double lo, double hi)
{
    if (!(v >= lo && v <= hi))
        fail_msg("%s = %g, expected within [%g, %g]", what, v, lo, hi);
}

static int cmp_id(const void *a, const void *b)
{
    pl_id x = *(const pl_id *)a, y = *(const pl_id *)b;
    return x < y ? -1 : x > y;
}

/* Everything a run is judged by: counts and the HbA1c means by arm and wave. */
typedef struct fingerprint {
    store_counts counts;
    double a1c[3][3]; /* [arm none/intervention/control][wave 0/6/12] */
    int64_t n[3][3];
    double sbp0;
} fingerprint;

static fingerprint fingerprint_of(store *s)
{
    fingerprint fp;
    memset(&fp, 0, sizeof fp);
    fp.counts = counts_of(s);
    pl_id sh = program_named(s, "Shanghai Integration Model");
    assert_true(sh > 0);
    for (int arm = 0; arm < 3; arm++)
        for (int w = 0; w < 3; w++) {
            store_wave_summary x = summary(s, sh, "hba1c", w * 6, (pl_arm)arm, 8.0);
            fp.a1c[arm][w] = x.mean;
            fp.n[arm][w] = x.n;
        }
    fp.sbp0 = summary(s, sh, "sbp", 0, PL_ARM_NONE, 140).mean;
    return fp;
}

/* ---- the reference shape ------------------------------------------------- */

static void test_reference_shape(void **state)
{
    store *s = fresh_store(state, 0);
    generate(s, 42, 0, false);
    store_counts c = counts_of(s);

    /* network + 2 programs + 6 districts + 16 x (community, CHC, RC) + 1 practice */
    assert_int_equal(c.programs, 2);
    assert_int_equal(c.org_units, 1 + 2 + 6 + 16 * 3 + 1);
    assert_int_equal(c.participants, SH_PARTICIPANTS + MS_PARTICIPANTS);
    in_range("peer leaders (96 Shanghai + 12 promotores)", (double)c.peer_leaders, 100, 120);
    in_range("contacts", (double)c.contacts, 50000, 120000);
    in_range("measurements", (double)c.measurements, 55000, 100000);
    assert_int_equal(c.staff_accounts, 0);

    pl_id sh = program_named(s, "Shanghai Integration Model");
    pl_id ms = program_named(s, "Mi Salud Es Primero");
    assert_true(sh > 0);
    assert_true(ms > 0);

    /* each program's resource directory, and referrals in every state of the loop */
    {
        pl_arena ra;
        pl_arena_init(&ra, 0);
        pl_err err;
        pl_err_clear(&err);
        store_rsc_service *items;
        int n;
        store_rsc_filter f = {.program_id = ms};
        assert_int_equal(store_resource_search(s, &f, (store_page){0, 200}, &ra, &items, &n, &err),
                         PL_OK);
        assert_int_equal(n, 8);
        f = (store_rsc_filter){.program_id = sh, .category = "food"};
        assert_int_equal(store_resource_search(s, &f, (store_page){0, 200}, &ra, &items, &n, &err),
                         PL_OK);
        assert_int_equal(n, 1);
        store_referral_linkage lk;
        assert_int_equal(store_referral_linkage_get(s, ms, &lk, &err), PL_OK);
        assert_int_equal(lk.referrals, 8);
        assert_int_equal(lk.completed, 2);
        const char *const statuses[] = {"proposed", "sent",    "accepted", "completed",
                                        "declined", "no_show", "cancelled"};
        for (int k = 0; k < 7; k++) {
            store_referral *refs;
            store_referral_filter rf = {.status = statuses[k]};
            assert_int_equal(store_referral_list(s, &rf, (store_page){0, 50}, &ra, &refs, &n, &err),
                             PL_OK);
            if (n == 0)
                fail_msg("no demo referral is %s", statuses[k]);
        }
        pl_arena_free(&ra);
    }

    /* the org tree: districts, communities with arms 12:4, one CHC and RC each */
    pl_arena a;
    pl_arena_init(&a, 0);
    int kinds[PL_ORG__COUNT] = {0}, arms[PL_ARM__COUNT] = {0};
    for (pl_id id = 1; id <= c.org_units; id++) {
        pl_org_unit u;
        pl_err err;
        pl_err_clear(&err);
        if (store_org_unit_get(s, id, &a, &u, &err) != PL_OK)
            fail_msg("org unit %lld: %s", (long long)id, pl_err_text(&err));
        kinds[u.kind]++;
        if (u.kind == PL_ORG_COMMUNITY) {
            arms[u.arm]++;
            assert_int_equal(u.program_id, sh);
        }
        pl_arena_reset(&a);
    }
    assert_int_equal(kinds[PL_ORG_NETWORK], 1);
    assert_int_equal(kinds[PL_ORG_DISTRICT], 6);
    assert_int_equal(kinds[PL_ORG_COMMUNITY], 16);
    assert_int_equal(kinds[PL_ORG_CHC], 16);
    assert_int_equal(kinds[PL_ORG_RESIDENTIAL_COMMITTEE], 16);
    assert_int_equal(kinds[PL_ORG_PRACTICE], 1);
    assert_int_equal(arms[PL_ARM_INTERVENTION], 12);
    assert_int_equal(arms[PL_ARM_CONTROL], 4);

    /* participants: per program, tiers, statuses; all still valid today */
    pl_date today = pl_time_date((pl_time)time(NULL));
    pl_id *persons = calloc((size_t)c.participants, sizeof *persons);
    assert_non_null(persons);
    int64_t n_sh = 0, n_ms = 0, high_sh = 0, high_ms = 0, withdrawn = 0, lost = 0, female = 0;
    int64_t es = 0, unassigned_sh = 0;
    for (pl_id id = 1; id <= c.participants; id++) {
        pl_participant p;
        pl_err err;
        pl_err_clear(&err);
        if (store_participant_get(s, id, &a, &p, &err) != PL_OK)
            fail_msg("participant %lld: %s", (long long)id, pl_err_text(&err));
        persons[id - 1] = p.person.id;
        pl_err_clear(&err);
        if (participant_validate(&p, today, &err) != PL_OK)
            fail_msg("participant %s: %s", p.program_ident, pl_err_text(&err));
        if (p.program_id == sh) {
            n_sh++;
            high_sh += p.risk_tier == PL_RISK_HIGH_NEED;
            withdrawn += p.status == PL_ENROL_WITHDRAWN;
            lost += p.status == PL_ENROL_LOST;
            female += p.person.sex == PL_SEX_FEMALE;
            unassigned_sh += p.peer_leader_id == 0;
            assert_string_equal(p.person.language, "zh-CN");
            assert_true(p.consent && p.consent_date == p.enrol_date);
            assert_true(p.enrol_date >= fixed_start() && p.enrol_date < fixed_start() + 60);
        } else {
            assert_int_equal(p.program_id, ms);
            n_ms++;
            high_ms += p.risk_tier == PL_RISK_HIGH_NEED;
            es += strcmp(p.person.language, "es") == 0;
            assert_true(p.peer_leader_id > 0);
        }
        pl_arena_reset(&a);
    }
    assert_int_equal(n_sh, SH_PARTICIPANTS);
    assert_int_equal(n_ms, MS_PARTICIPANTS);
    assert_int_equal(unassigned_sh, 720); /* the control arm has no peer leaders */
    /* tiers follow the rule on the latest HbA1c (>= 9), DDS-17 (>= 3) and PHQ-9 (>= 10) */
    in_range("Shanghai high-need share", (double)high_sh / n_sh, 0.2, 0.45);
    in_range("Mi Salud high-need share", (double)high_ms / n_ms, 0.25, 0.55);
    in_range("Mi Salud Spanish speakers", (double)es / n_ms, 0.7, 0.92);
    in_range("withdrawn share", (double)withdrawn / n_sh, 0.025, 0.075);
    in_range("lost share", (double)lost / n_sh, 0.01, 0.05);
    in_range("female share", (double)female / n_sh, 0.5, 0.6);

    /* a third of the Shanghai peer leaders are participants: the same person */
    qsort(persons, (size_t)c.participants, sizeof *persons, cmp_id);
    int64_t shared = 0, promotores = 0, paid = 0;
    for (pl_id id = 1; id <= c.peer_leaders; id++) {
        pl_peer_leader l;
        pl_err err;
        pl_err_clear(&err);
        if (store_peer_leader_get(s, id, &a, &l, &err) != PL_OK)
            fail_msg("peer leader %lld: %s", (long long)id, pl_err_text(&err));
        pl_err_clear(&err);
        if (peer_leader_validate(&l, today, &err) != PL_OK)
            fail_msg("peer leader %lld: %s", (long long)id, pl_err_text(&err));
        if (bsearch(&l.person.id, persons, (size_t)c.participants, sizeof *persons, cmp_id))
            shared++;
        if (l.kind == PL_LEADER_PROMOTOR) {
            promotores++;
            paid += l.paid;
            assert_string_equal(l.languages, "es,en");
        } else {
            assert_false(l.paid);
            assert_true(l.trained_on < fixed_start());
            in_range("training hours", l.training_hours, 20, 40);
        }
        pl_arena_reset(&a);
    }
    free(persons);
    assert_int_equal(promotores, 12);
    assert_int_equal(c.peer_leaders - promotores, 96);
    assert_int_equal(shared, 32);
    assert_true(paid > 0 && paid < promotores);

    /* every contact passes contact_validate again; group sessions and "being there" exist */
    uint32_t ms_mask = 0;
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(store_program_kf_mask(s, ms, &ms_mask, &err), PL_OK);
    assert_int_equal(ms_mask, 1u << 4);
    pl_time now = (pl_time)time(NULL);
    int64_t groups = 0, being_there = 0, follow_ups = 0;
    for (pl_id id = 1; id <= c.contacts; id++) {
        pl_contact k;
        pl_err_clear(&err);
        if (store_contact_get(s, id, &a, &k, &err) != PL_OK)
            fail_msg("contact %lld: %s", (long long)id, pl_err_text(&err));
        pl_err_clear(&err);
        if (contact_validate(&k, k.program_id == ms ? ms_mask : 0, now, &err) != PL_OK)
            fail_msg("contact %lld: %s", (long long)id, pl_err_text(&err));
        if (k.mode == PL_MODE_GROUP) {
            groups++;
            if (k.program_id == sh)
                in_range("CSMG minutes", k.minutes, 90, 120);
        } else {
            in_range("contact minutes", k.minutes, 5, 60);
        }
        being_there += (k.key_functions & (1u << 4)) != 0;
        follow_ups += k.follow_up_date != PL_DATE_NONE;
        pl_arena_reset(&a);
    }
    /* 1,440 intervention participants x ~70 % of ~13 monthly sessions, plus DSME classes */
    in_range("group contacts", (double)groups, 8000, 16000);
    assert_true(being_there > 0);
    assert_true(follow_ups > 0);

    /* every measurement passes measurement_prepare again, to the same canonical value */
    int64_t by_wave[13] = {0};
    for (pl_id id = 1; id <= c.measurements; id++) {
        pl_measurement m;
        pl_err_clear(&err);
        if (store_measurement_get(s, id, &a, &m, &err) != PL_OK)
            fail_msg("measurement %lld: %s", (long long)id, pl_err_text(&err));
        double stored = m.value;
        pl_err_clear(&err);
        if (measurement_prepare(&m, now, &err) != PL_OK)
            fail_msg("measurement %lld (%s %s %s): %s", (long long)id, m.code, m.entered_value,
                     m.entered_unit, pl_err_text(&err));
        assert_true(fabs(m.value - stored) < 1e-9);
        assert_true(m.wave == 0 || m.wave == 6 || m.wave == 12);
        by_wave[m.wave]++;
        pl_arena_reset(&a);
    }
    pl_arena_free(&a);
    assert_true(by_wave[0] > by_wave[6] && by_wave[0] > by_wave[12]);

    /* baseline HbA1c: mean ~8.3, about 58 % at or above 8 */
    store_wave_summary b = summary(s, sh, "hba1c", 0, PL_ARM_NONE, 8.0);
    assert_int_equal(b.n, SH_PARTICIPANTS);
    in_range("baseline HbA1c mean", b.mean, 7.9, 8.7);
    in_range("baseline share HbA1c >= 8", b.share_at_or_above, 0.45, 0.70);
    assert_int_equal(summary(s, ms, "hba1c", 0, PL_ARM_NONE, 8.0).n, MS_PARTICIPANTS);
    in_range("baseline SBP", summary(s, sh, "sbp", 0, PL_ARM_NONE, 140).mean, 130, 146);
    in_range("baseline BMI", summary(s, sh, "bmi", 0, PL_ARM_NONE, 28).mean, 23.5, 27);
    in_range("Mi Salud baseline BMI", summary(s, ms, "bmi", 0, PL_ARM_NONE, 30).mean, 29, 34);
    in_range("Mi Salud LDL (entered in mg/dL, stored in mmol/L)",
             summary(s, ms, "ldl", 0, PL_ARM_NONE, 3).mean, 2.0, 4.0);

    /* the intervention effect: a real but modest difference in 12-month change */
    store_wave_summary i0 = summary(s, sh, "hba1c", 0, PL_ARM_INTERVENTION, 8.0);
    store_wave_summary i12 = summary(s, sh, "hba1c", 12, PL_ARM_INTERVENTION, 8.0);
    store_wave_summary c0 = summary(s, sh, "hba1c", 0, PL_ARM_CONTROL, 8.0);
    store_wave_summary c12 = summary(s, sh, "hba1c", 12, PL_ARM_CONTROL, 8.0);
    assert_int_equal(i0.n, 1440);
    assert_int_equal(c0.n, 720);
    in_range("intervention 12-month n", (double)i12.n, 1100, 1440);
    in_range("control 12-month n", (double)c12.n, 550, 720);
    double change_i = i12.mean - i0.mean, change_c = c12.mean - c0.mean;
    in_range("intervention HbA1c change", change_i, -0.9, -0.2);
    in_range("control HbA1c change", change_c, -0.4, 0.2);
    in_range("arm difference in change", change_c - change_i, 0.2, 0.8);
}

/* ---- determinism ------------------------------------------------------------- */

static void test_same_seed_same_data(void **state)
{
    store *a = fresh_store(state, 0);
    store *b = fresh_store(state, 1);
    store *c = fresh_store(state, 2);
    generate(a, 7, 0, false);
    generate(b, 7, 0, false);
    generate(c, 8, 0, false);
    fingerprint fa = fingerprint_of(a), fb = fingerprint_of(b), fc = fingerprint_of(c);

    assert_memory_equal(&fa.counts, &fb.counts, sizeof fa.counts);
    /* the means to the last few bits only: PostgreSQL's avg() adds in the order of the plan it
       picks (a parallel scan, an index), which may differ between two databases; the values
       themselves are compared exactly below */
    for (int arm = 0; arm < 3; arm++)
        for (int w = 0; w < 3; w++) {
            assert_int_equal(fa.n[arm][w], fb.n[arm][w]);
            assert_true(fabs(fa.a1c[arm][w] - fb.a1c[arm][w]) < 1e-9);
        }
    assert_true(fabs(fa.sbp0 - fb.sbp0) < 1e-9);

    /* the same records, field by field, for a sample */
    pl_arena ar;
    pl_arena_init(&ar, 0);
    for (pl_id id = 1; id <= fa.counts.participants; id += 97) {
        pl_participant p, q;
        pl_err err;
        pl_err_clear(&err);
        assert_int_equal(store_participant_get(a, id, &ar, &p, &err), PL_OK);
        assert_int_equal(store_participant_get(b, id, &ar, &q, &err), PL_OK);
        assert_string_equal(p.program_ident, q.program_ident);
        assert_string_equal(p.person.given_name, q.person.given_name);
        assert_string_equal(p.person.family_name, q.person.family_name);
        assert_string_equal(p.person.phone, q.person.phone);
        assert_int_equal(p.person.birth_date, q.person.birth_date);
        assert_int_equal(p.enrol_date, q.enrol_date);
        assert_int_equal(p.peer_leader_id, q.peer_leader_id);
        assert_int_equal(p.status, q.status);
        pl_arena_reset(&ar);
    }
    for (pl_id id = 1; id <= fa.counts.measurements; id += 1009) {
        pl_measurement m, n;
        pl_err err;
        pl_err_clear(&err);
        assert_int_equal(store_measurement_get(a, id, &ar, &m, &err), PL_OK);
        assert_int_equal(store_measurement_get(b, id, &ar, &n, &err), PL_OK);
        assert_string_equal(m.code, n.code);
        assert_string_equal(m.entered_value, n.entered_value);
        assert_int_equal(m.effective_at, n.effective_at);
        pl_arena_reset(&ar);
    }
    pl_arena_free(&ar);

    /* another seed: the same shape, different people and values */
    assert_int_equal(fc.counts.participants, fa.counts.participants);
    assert_int_equal(fc.counts.org_units, fa.counts.org_units);
    assert_int_equal(fc.n[0][0], fa.n[0][0]);
    assert_true(fc.a1c[0][0] != fa.a1c[0][0]);
    assert_true(fc.a1c[1][2] != fa.a1c[1][2]);
    assert_true(fc.sbp0 != fa.sbp0);
    assert_true(fc.counts.contacts != fa.counts.contacts ||
                fc.counts.measurements != fa.counts.measurements);
}

/* ---- scaling --------------------------------------------------------------- */

typedef struct progress_log {
    int calls;
    int64_t last_done;
    int64_t total;
    bool monotonic;
} progress_log;

static void on_progress(void *ctx, int64_t done, int64_t total)
{
    progress_log *log = ctx;
    if (done <= log->last_done)
        log->monotonic = false;
    log->calls++;
    log->last_done = done;
    log->total = total;
}

static void test_scaled_participants(void **state)
{
    store *s = fresh_store(state, 0);
    progress_log log = {.monotonic = true};
    demo_options opt = {.seed = 11,
                        .participants = 5000,
                        .start_date = fixed_start(),
                        .progress = on_progress,
                        .progress_ctx = &log};
    pl_err err;
    pl_err_clear(&err);
    if (demo_generate(s, &opt, &err) != PL_OK)
        fail_msg("demo_generate: %s (%s)", err.message, pl_err_text(&err));
    store_counts c = counts_of(s);
    /* 5000 / 135 = 37 communities (28 intervention, 9 control) in 12 districts */
    assert_int_equal(c.participants, 5000);
    assert_int_equal(c.programs, 1);
    assert_int_equal(c.org_units, 1 + 1 + 12 + 37 * 3);
    /* ~1 peer leader per 22 intervention participants (~3,370 of them) */
    in_range("peer leaders", (double)c.peer_leaders, 130, 180);
    assert_true(c.contacts > 100000);
    assert_true(c.measurements > 100000);
    assert_int_equal(program_named(s, "Mi Salud Es Primero"), 0);

    assert_true(log.calls >= 5); /* batches of at most 1,000 */
    assert_true(log.monotonic);
    assert_int_equal(log.last_done, 5000);
    assert_int_equal(log.total, 5000);

    pl_id sh = program_named(s, "Shanghai Integration Model");
    store_wave_summary b = summary(s, sh, "hba1c", 0, PL_ARM_NONE, 8.0);
    assert_int_equal(b.n, 5000);
    in_range("baseline HbA1c mean", b.mean, 7.9, 8.7);
}

/* ---- accounts and the default start date --------------------------------- */

static void test_accounts_and_default_start(void **state)
{
    store *s = fresh_store(state, 0);
    demo_options opt = {
        .seed = 3, .participants = 300, .start_date = PL_DATE_NONE, .with_accounts = true};
    pl_err err;
    pl_err_clear(&err);
    if (demo_generate(s, &opt, &err) != PL_OK)
        fail_msg("demo_generate: %s (%s)", err.message, pl_err_text(&err));
    store_counts c = counts_of(s);
    assert_int_equal(c.participants, 300);

    const demo_login *logins = demo_logins();
    int n = 0;
    pl_arena a;
    pl_arena_init(&a, 0);
    pl_id sh = program_named(s, "Shanghai Integration Model");
    for (; logins[n].username; n++) {
        pl_staff_account acc;
        char *hash = NULL;
        pl_err_clear(&err);
        if (store_staff_account_get_by_username(s, logins[n].username, &a, &acc, &hash, &err) !=
            PL_OK)
            fail_msg("account %s: %s", logins[n].username, pl_err_text(&err));
        assert_string_equal(pl_role_name(acc.role), logins[n].role);
        assert_true(strlen(logins[n].password) >= 10);
        assert_true(auth_password_verify(hash, logins[n].password));
        assert_false(auth_password_verify(hash, "not-the-password"));
        if (acc.role == PL_ROLE_ADMIN) {
            assert_int_equal(acc.scope_unit_id, 0);
        } else {
            assert_true(acc.scope_unit_id > 0);
        }
        if (acc.role == PL_ROLE_PROGRAM_MANAGER || acc.role == PL_ROLE_EVALUATOR)
            assert_int_equal(acc.scope_unit_id, sh);
        if (acc.role == PL_ROLE_PEER_LEADER) {
            pl_org_unit u;
            assert_true(acc.person_id > 0);
            assert_int_equal(store_org_unit_get(s, acc.scope_unit_id, &a, &u, &err), PL_OK);
            assert_int_equal(u.kind, PL_ORG_COMMUNITY);
            assert_int_equal(u.arm, PL_ARM_INTERVENTION);
        }
        pl_arena_reset(&a);
    }
    pl_arena_free(&a);
    assert_int_equal(n, 6);
    assert_int_equal(c.staff_accounts, 6);

    /* the default start leaves room for complete 12-month follow-up, nothing in the future */
    store_wave_summary w12 = summary(s, sh, "hba1c", 12, PL_ARM_NONE, 8.0);
    in_range("12-month HbA1c values", (double)w12.n, 200, 300);
}

static void test_bad_options(void **state)
{
    store *s = fresh_store(state, 0);
    pl_err err;
    demo_options opt = {.participants = -1, .start_date = PL_DATE_NONE};
    pl_err_clear(&err);
    assert_int_equal(demo_generate(s, &opt, &err), PL_USAGE);
    opt.participants = 100;
    opt.start_date = pl_time_date((pl_time)time(NULL)) + 10;
    pl_err_clear(&err);
    assert_int_equal(demo_generate(s, &opt, &err), PL_USAGE);
    assert_non_null(strstr(err.message, "start date"));
    store_counts c = counts_of(s);
    assert_int_equal(c.org_units, 0);
    assert_int_equal(c.participants, 0);
}

PL_TEST_MAIN(cmocka_unit_test_setup_teardown(test_reference_shape, setup, teardown),
             cmocka_unit_test_setup_teardown(test_same_seed_same_data, setup, teardown),
             cmocka_unit_test_setup_teardown(test_scaled_participants, setup, teardown),
             cmocka_unit_test_setup_teardown(test_accounts_and_default_start, setup, teardown),
             cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown))
