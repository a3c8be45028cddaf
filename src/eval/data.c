/*
 * data.c - the analysis data set of a study (eval_data), read from the
 * store in one streaming pass per table:
 *
 *  1. the study, its arms and the program's units: each participant's
 *     cluster is the community above their home unit (a program without
 *     communities: the home unit itself), its district the district above
 *     the community;
 *  2. the program's participants in id order; with arms, those outside
 *     every allocated community are counted (not_allocated) and left out;
 *  3. measurements (hba1c, sbp, dbp, ldl, weight, bmi, phq9) in participant
 *     and time order, then scored questionnaires (dds17, phq9): each reading
 *     is offered to the wave rule (design.c) of its participant and
 *     outcome; the PHQ-9 takes readings from both tables;
 *  4. contacts in participant order, counted from the enrolment day to the
 *     last wave's target day (attendance at group sessions counted apart as
 *     well; voided contacts never), on a second thread while 3 runs (its
 *     reader connection is closed when it ends: store_eval_thread_done);
 *  5. the program's implementation ratings: each community's mean over the
 *     ratings of that community whose period overlaps the study period
 *     (the first enrolment to the latest last-wave target day).
 *
 * Rows arrive in ascending participant id, as the participants do, so
 * finding a row's participant is a forward-moving cursor, not a search.
 * Value arrays are allocated for an outcome when its first reading comes.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/time.h"
#include "eval.h"

/* measurement analytes read, and the outcome each feeds */
static const char *const meas_analytes[] = {"hba1c", "sbp", "dbp", "ldl", "weight", "bmi", "phq9"};
static const eval_outcome meas_outcome[] = {EVAL_HBA1C,  EVAL_SBP, EVAL_DBP, EVAL_LDL,
                                            EVAL_WEIGHT, EVAL_BMI, EVAL_PHQ9};
static const char *const qr_instruments[] = {"dds17", "phq9"};
static const eval_outcome qr_outcome[] = {EVAL_DDS, EVAL_PHQ9};

#define NMEAS ((int)(sizeof meas_analytes / sizeof meas_analytes[0]))
#define NQR   ((int)(sizeof qr_instruments / sizeof qr_instruments[0]))

typedef struct loader {
    eval_data *d;
    size_t cap;
    /* unit look-up: program units sorted by id, each unit's cluster index (-1: none yet) */
    store_eval_unit *units;
    int nunits;
    int32_t *cluster_of;
    int clusters_cap;
    pl_id *arm_unit; /* the study's arms, ascending unit id */
    pl_arm *arm_of;
    int narms;
    size_t cursor;
    int month_days[EVAL_WAVES_MAX];
    pl_time *at[EVAL_OUTCOME__COUNT][EVAL_WAVES_MAX]; /* the picks' instants, while loading */
    const eval_outcome *outcome_of;                   /* of the current stream's names */
} loader;

static int unit_index(const loader *L, pl_id id)
{
    int lo = 0, hi = L->nunits - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (L->units[mid].id == id)
            return mid;
        if (L->units[mid].id < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

static pl_arm arm_of_unit(const loader *L, pl_id id)
{
    int lo = 0, hi = L->narms - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (L->arm_unit[mid] == id)
            return L->arm_of[mid];
        if (L->arm_unit[mid] < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return PL_ARM_NONE;
}

static const char *unit_code(pl_arena *a, const store_eval_unit *u)
{
    return u->code ? pl_arena_strdup(a, u->code) : pl_arena_printf(a, "U%lld", (long long)u->id);
}

/* The cluster index of a home unit (created on first use); -1 with err set on failure. */
static int cluster_for(loader *L, pl_id home, pl_err *err)
{
    eval_data *d = L->d;
    int hu = unit_index(L, home);
    if (hu < 0) {
        pl_err_set(err, PL_INVALID, "participant's home unit %lld is not in the program",
                   (long long)home);
        return -1;
    }
    if (L->cluster_of[hu] >= 0)
        return L->cluster_of[hu];
    /* the community at or above the home unit; none: the home unit */
    int cu = hu;
    for (int u = hu, guard = 0; u >= 0 && guard < 64; guard++) {
        if (L->units[u].kind == PL_ORG_COMMUNITY) {
            cu = u;
            break;
        }
        u = L->units[u].parent_id ? unit_index(L, L->units[u].parent_id) : -1;
    }
    if (L->cluster_of[cu] < 0) {
        if (d->nunits >= EVAL_CLUSTERS_MAX) {
            pl_err_set(err, PL_LIMIT, "more than %d communities", EVAL_CLUSTERS_MAX);
            return -1;
        }
        if (d->nunits == L->clusters_cap) {
            int ncap = L->clusters_cap ? L->clusters_cap * 2 : 64;
            eval_unit *grown = pl_arena_alloc(&d->arena, sizeof *grown * (size_t)ncap);
            if (!grown) {
                pl_err_set(err, PL_LIMIT, "the communities exceed the memory limit");
                return -1;
            }
            if (d->nunits)
                memcpy(grown, d->units, sizeof *grown * (size_t)d->nunits);
            d->units = grown;
            L->clusters_cap = ncap;
        }
        const store_eval_unit *c = &L->units[cu];
        eval_unit *e = &d->units[d->nunits];
        e->id = c->id;
        e->code = unit_code(&d->arena, c);
        e->name = pl_arena_strdup(&d->arena, c->name ? c->name : "");
        e->arm = arm_of_unit(L, c->id);
        e->district_id = 0;
        e->district_code = NULL;
        e->nratings = 0;
        e->rating = NAN;
        for (int u = c->parent_id ? unit_index(L, c->parent_id) : -1, guard = 0;
             u >= 0 && guard < 64; guard++) {
            if (L->units[u].kind == PL_ORG_DISTRICT) {
                e->district_id = L->units[u].id;
                e->district_code = unit_code(&d->arena, &L->units[u]);
                break;
            }
            u = L->units[u].parent_id ? unit_index(L, L->units[u].parent_id) : -1;
        }
        if (!e->code || !e->name) {
            pl_err_set(err, PL_LIMIT, "the communities exceed the memory limit");
            return -1;
        }
        L->cluster_of[cu] = d->nunits++;
    }
    L->cluster_of[hu] = L->cluster_of[cu];
    return L->cluster_of[hu];
}

static pl_status grow(loader *L, pl_err *err)
{
    eval_data *d = L->d;
    size_t ncap = L->cap ? L->cap * 2 : 1024;
    if (ncap > EVAL_PARTICIPANTS_MAX)
        ncap = EVAL_PARTICIPANTS_MAX;
    if (ncap <= L->cap)
        return pl_err_set(err, PL_LIMIT, "the study has more than %d participants",
                          EVAL_PARTICIPANTS_MAX);
#define GROW(field)                                                                                \
    do {                                                                                           \
        void *p_ = realloc(d->field, ncap * sizeof *d->field);                                     \
        if (!p_)                                                                                   \
            return pl_err_set(err, PL_NOMEM, "out of memory for %zu participants", ncap);          \
        d->field = p_;                                                                             \
    } while (0)
    GROW(pid);
    GROW(unit);
    GROW(arm);
    GROW(enrol);
    GROW(status);
    GROW(status_date);
    GROW(sex);
    GROW(birth);
#undef GROW
    L->cap = ncap;
    return PL_OK;
}

static pl_status on_participants(void *ctx, const store_eval_participant *rows, int n, pl_err *err)
{
    loader *L = ctx;
    eval_data *d = L->d;
    for (int k = 0; k < n; k++) {
        const store_eval_participant *p = &rows[k];
        int c = cluster_for(L, p->home_unit_id, err);
        if (c < 0)
            return err->status;
        pl_arm arm = d->units[c].arm;
        if (d->has_arms && arm == PL_ARM_NONE) {
            d->not_allocated++;
            continue;
        }
        if (d->n == L->cap) {
            pl_status st = grow(L, err);
            if (st != PL_OK)
                return st;
        }
        size_t i = d->n++;
        d->pid[i] = p->id;
        d->unit[i] = c;
        d->arm[i] = (uint8_t)arm;
        d->enrol[i] = p->enrol_date;
        d->status[i] = (uint8_t)p->status;
        d->status_date[i] = p->status_date;
        d->sex[i] = (uint8_t)p->sex;
        d->birth[i] = p->birth_date;
    }
    return PL_OK;
}

/* The index of participant id, moving the cursor forward; -1 when not in the study. */
static long find(loader *L, pl_id id)
{
    eval_data *d = L->d;
    if (L->cursor < d->n && d->pid[L->cursor] > id)
        L->cursor = 0; /* a new stream */
    while (L->cursor < d->n && d->pid[L->cursor] < id)
        L->cursor++;
    return L->cursor < d->n && d->pid[L->cursor] == id ? (long)L->cursor : -1;
}

static pl_status outcome_arrays(loader *L, eval_outcome k, pl_err *err)
{
    eval_data *d = L->d;
    size_t n = d->n ? d->n : 1;
    for (int w = 0; w < d->study.nwaves; w++) {
        d->value[k][w] = malloc(n * sizeof(double));
        d->day[k][w] = calloc(n, sizeof(int16_t));
        L->at[k][w] = calloc(n, sizeof(pl_time));
        if (!d->value[k][w] || !d->day[k][w] || !L->at[k][w])
            return pl_err_set(err, PL_NOMEM, "out of memory for %zu values", n);
        for (size_t i = 0; i < n; i++)
            d->value[k][w][i] = NAN;
    }
    d->present[k] = true;
    return PL_OK;
}

/* The wave rule (design.c: eval_wave_of, eval_pick_beats) on the data set's arrays. */
static pl_status offer(loader *L, size_t i, eval_outcome k, pl_time at, double v, pl_err *err)
{
    eval_data *d = L->d;
    int dd;
    int w = eval_wave_of(d->study.waves, d->study.nwaves, d->enrol[i], at, &dd);
    if (w < 0)
        return PL_OK;
    if (!d->present[k]) {
        pl_status st = outcome_arrays(L, k, err);
        if (st != PL_OK)
            return st;
    }
    double *val = &d->value[k][w][i];
    if (isnan(*val) || eval_pick_beats(dd, at, d->day[k][w][i], L->at[k][w][i])) {
        *val = v;
        d->day[k][w][i] = (int16_t)dd;
        L->at[k][w][i] = at;
    }
    return PL_OK;
}

static pl_status on_readings(void *ctx, const store_eval_reading *rows, int n, pl_err *err)
{
    loader *L = ctx;
    for (int k = 0; k < n; k++) {
        long i = find(L, rows[k].participant_id);
        if (i < 0 || !isfinite(rows[k].value))
            continue;
        pl_status st =
            offer(L, (size_t)i, L->outcome_of[rows[k].analyte], rows[k].at, rows[k].value, err);
        if (st != PL_OK)
            return st;
    }
    return PL_OK;
}

/* The contacts are counted on a thread of their own while the readings are read. */
typedef struct contacts_job {
    store *s;
    eval_data *d;
    int last_day; /* the last wave's target, days after enrolment */
    size_t cursor;
    pl_status st;
    pl_err err;
    double seconds;
} contacts_job;

static pl_status on_contacts(void *ctx, const store_eval_contact *rows, int n, pl_err *err)
{
    (void)err;
    contacts_job *j = ctx;
    eval_data *d = j->d;
    for (int k = 0; k < n; k++) {
        pl_id id = rows[k].participant_id;
        while (j->cursor < d->n && d->pid[j->cursor] < id)
            j->cursor++;
        if (j->cursor >= d->n || d->pid[j->cursor] != id)
            continue;
        size_t i = j->cursor;
        pl_date day = pl_time_date(rows[k].at);
        if (day >= d->enrol[i] && day <= d->enrol[i] + j->last_day) {
            d->contacts[i]++;
            d->sessions[i] += rows[k].session;
        }
    }
    return PL_OK;
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void contacts_run(contacts_job *j)
{
    double t0 = now_seconds();
    pl_err_clear(&j->err);
    j->st =
        store_eval_contacts(j->s, j->d->pid[0], j->d->pid[j->d->n - 1], on_contacts, j, &j->err);
    j->seconds = now_seconds() - t0;
}

static void *contacts_thread(void *arg)
{
    contacts_job *j = arg;
    contacts_run(j);
    store_eval_thread_done(j->s); /* this thread's reader connection ends with it */
    return NULL;
}

void eval_data_free(eval_data *d)
{
    if (!d)
        return;
    free(d->pid);
    free(d->unit);
    free(d->arm);
    free(d->enrol);
    free(d->status);
    free(d->status_date);
    free(d->sex);
    free(d->birth);
    free(d->contacts);
    free(d->sessions);
    for (int k = 0; k < EVAL_OUTCOME__COUNT; k++)
        for (int w = 0; w < EVAL_WAVES_MAX; w++) {
            free(d->value[k][w]);
            free(d->day[k][w]);
        }
    pl_arena_free(&d->arena);
    free(d);
}

pl_status eval_program_communities(store *s, pl_id program_id, pl_arena *a, eval_unit **out, int *n,
                                   pl_err *err)
{
    *out = NULL;
    *n = 0;
    store_eval_unit *units;
    int nunits;
    pl_status st = store_eval_units(s, program_id, a, &units, &nunits, err);
    if (st != PL_OK)
        return st;
    int count = 0;
    for (int u = 0; u < nunits; u++)
        count += units[u].kind == PL_ORG_COMMUNITY;
    eval_unit *c = pl_arena_alloc(a, sizeof *c * (size_t)(count ? count : 1));
    if (!c)
        return pl_err_set(err, PL_LIMIT, "the program's communities exceed the memory limit");
    loader L = {.units = units, .nunits = nunits};
    int k = 0;
    for (int u = 0; u < nunits; u++) {
        if (units[u].kind != PL_ORG_COMMUNITY)
            continue;
        eval_unit *e = &c[k++];
        e->id = units[u].id;
        e->code = unit_code(a, &units[u]);
        e->name = units[u].name;
        e->arm = units[u].arm;
        e->district_id = 0;
        e->district_code = NULL;
        for (int p = units[u].parent_id ? unit_index(&L, units[u].parent_id) : -1, guard = 0;
             p >= 0 && guard < 64; guard++) {
            if (units[p].kind == PL_ORG_DISTRICT) {
                e->district_id = units[p].id;
                e->district_code = unit_code(a, &units[p]);
                break;
            }
            p = units[p].parent_id ? unit_index(&L, units[p].parent_id) : -1;
        }
    }
    for (int i = 0; i < k; i++)
        if (!c[i].code || (c[i].district_id && !c[i].district_code))
            return pl_err_set(err, PL_LIMIT, "the program's communities exceed the memory limit");
    *out = c;
    *n = k;
    return PL_OK;
}

/* Step 5: the communities' implementation ratings within the study period, page by page. */
static pl_status ratings(store *s, loader *L, pl_err *err)
{
    eval_data *d = L->d;
    double *sum = calloc((size_t)d->nunits + 1, sizeof *sum);
    if (!sum)
        return pl_err_set(err, PL_NOMEM, "out of memory for %d communities", d->nunits);
    pl_arena a;
    pl_arena_init(&a, 0);
    store_page pg = {.after = 0, .limit = 200};
    pl_status st;
    for (;;) {
        store_impl_rating *items;
        int n;
        pl_arena_reset(&a);
        st = store_impl_rating_list(s, 0, 0, d->study.program_id, pg, &a, &items, &n, err);
        if (st != PL_OK || n == 0)
            break;
        for (int k = 0; k < n; k++) {
            int u = unit_index(L, items[k].unit_id);
            int c = u >= 0 ? L->cluster_of[u] : -1;
            if (c < 0 || d->units[c].id != items[k].unit_id ||
                items[k].period_end < d->period_start || items[k].period_start > d->period_end)
                continue;
            d->units[c].nratings++;
            sum[c] += items[k].mean;
        }
        pg.after = items[n - 1].id;
    }
    for (int c = 0; st == PL_OK && c < d->nunits; c++)
        if (d->units[c].nratings > 0)
            d->units[c].rating = sum[c] / d->units[c].nratings;
    pl_arena_free(&a);
    free(sum);
    return st;
}

static pl_status load(store *s, pl_id study_id, unsigned flags, eval_data *d, loader *L,
                      pl_err *err)
{
    pl_status st = store_study_get(s, study_id, &d->arena, &d->study, err);
    if (st != PL_OK)
        return st;
    if (d->study.nwaves < 1)
        return pl_err_set(err, PL_INVALID, "study %lld has no waves", (long long)study_id);
    for (int w = 0; w < d->study.nwaves; w++)
        L->month_days[w] = eval_wave_target(0, d->study.waves[w].month);

    store_study_arm *arms;
    int narms;
    if ((st = store_study_arms_get(s, study_id, &d->arena, &arms, &narms, err)) != PL_OK)
        return st;
    d->has_arms = narms > 0;
    L->narms = narms;
    L->arm_unit = pl_arena_alloc(&d->arena, sizeof *L->arm_unit * (size_t)(narms + 1));
    L->arm_of = pl_arena_alloc(&d->arena, sizeof *L->arm_of * (size_t)(narms + 1));
    if (!L->arm_unit || !L->arm_of)
        return pl_err_set(err, PL_LIMIT, "the study's arms exceed the memory limit");
    for (int i = 0; i < narms; i++) {
        L->arm_unit[i] = arms[i].unit_id;
        L->arm_of[i] = arms[i].arm;
        if (arms[i].arm > PL_ARM_NONE && arms[i].arm < PL_ARM__COUNT)
            d->allocated[arms[i].arm]++;
    }

    if ((st = store_eval_units(s, d->study.program_id, &d->arena, &L->units, &L->nunits, err)) !=
        PL_OK)
        return st;
    L->cluster_of = malloc(sizeof *L->cluster_of * (size_t)(L->nunits + 1));
    if (!L->cluster_of)
        return pl_err_set(err, PL_NOMEM, "out of memory for %d units", L->nunits);
    for (int u = 0; u < L->nunits; u++) {
        L->cluster_of[u] = -1;
        if (L->units[u].id == d->study.program_id) {
            d->program_name = L->units[u].name;
            d->program_code = L->units[u].code;
        }
    }

    double t0 = now_seconds();
    if ((st = store_eval_participants(s, d->study.program_id, (flags & EVAL_LOAD_DEMOGRAPHICS) != 0,
                                      on_participants, L, err)) != PL_OK)
        return st;
    d->seconds[EVAL_T_PARTICIPANTS] = now_seconds() - t0;
    d->contacts = calloc(d->n ? d->n : 1, sizeof *d->contacts);
    d->sessions = calloc(d->n ? d->n : 1, sizeof *d->sessions);
    if (!d->contacts || !d->sessions)
        return pl_err_set(err, PL_NOMEM, "out of memory for %zu participants", d->n);
    if (d->n == 0)
        return PL_OK;
    d->period_start = d->enrol[0];
    d->period_end = d->enrol[0];
    for (size_t i = 1; i < d->n; i++) {
        if (d->enrol[i] < d->period_start)
            d->period_start = d->enrol[i];
        if (d->enrol[i] > d->period_end)
            d->period_end = d->enrol[i];
    }
    d->period_end += L->month_days[d->study.nwaves - 1];
    if ((st = ratings(s, L, err)) != PL_OK)
        return st;
    pl_id first = d->pid[0], last = d->pid[d->n - 1];

    contacts_job job = {.s = s, .d = d, .last_day = L->month_days[d->study.nwaves - 1]};
    pthread_t worker;
    bool threaded = pthread_create(&worker, NULL, contacts_thread, &job) == 0;
    t0 = now_seconds();
    L->cursor = 0;
    L->outcome_of = meas_outcome;
    st = store_eval_measurements(s, first, last, meas_analytes, NMEAS, on_readings, L, err);
    d->seconds[EVAL_T_MEASUREMENTS] = now_seconds() - t0;
    t0 = now_seconds();
    L->cursor = 0;
    L->outcome_of = qr_outcome;
    if (st == PL_OK)
        st = store_eval_questionnaires(s, first, last, qr_instruments, NQR, on_readings, L, err);
    d->seconds[EVAL_T_QUESTIONNAIRES] = now_seconds() - t0;
    if (threaded)
        pthread_join(worker, NULL);
    else
        contacts_run(&job);
    d->seconds[EVAL_T_CONTACTS] = job.seconds;
    if (st == PL_OK && job.st != PL_OK) {
        *err = job.err;
        st = job.st;
    }
    return st;
}

pl_status eval_data_load(store *s, pl_id study_id, unsigned flags, eval_data **out, pl_err *err)
{
    double t0 = now_seconds();
    *out = NULL;
    eval_data *d = calloc(1, sizeof *d);
    loader *L = calloc(1, sizeof *L);
    if (!d || !L) {
        free(d);
        free(L);
        return pl_err_set(err, PL_NOMEM, "out of memory");
    }
    pl_arena_init(&d->arena, 0);
    L->d = d;
    pl_status st = load(s, study_id, flags, d, L, err);
    free(L->cluster_of);
    for (int k = 0; k < EVAL_OUTCOME__COUNT; k++)
        for (int w = 0; w < EVAL_WAVES_MAX; w++)
            free(L->at[k][w]);
    free(L);
    if (st != PL_OK) {
        eval_data_free(d);
        return st;
    }
    d->seconds[EVAL_T_LOAD] = now_seconds() - t0;
    *out = d;
    return PL_OK;
}
