/*
 * design.c - study design: the outcomes, the assessment-wave rule and the
 * seeded cluster randomisation stratified by district (docs/EVALUATION.md).
 *
 * Wave rule. A wave at month m has its target day at enrolment +
 * round(m x 30.4375) days (a month is 365.25 / 12 days; halves round up:
 * month 6 is day 183, month 12 day 365). A reading counts for the wave when
 * its UTC day lies within +-window days of the target; among those the
 * nearest to the target is the wave's value, and at equal distance the
 * earlier reading (at equal instants, the one offered first, which the
 * store's order makes the one recorded first). Windows may not overlap, so
 * each reading can count for one wave at most.
 *
 * Randomisation. Clusters are sorted by (stratum, unit id), so the input
 * order never matters, and a xoshiro256** generator is seeded with the seed
 * (splitmix64, core/rng.h); every draw below comes from it in this order.
 * Stratum s with n_s of the n clusters is owed q_s = n_s x ncontrol / n
 * controls: it gets floor(q_s), and the controls still unplaced go one each
 * to strata chosen by systematic sampling over the remainders q_s -
 * floor(q_s): the strata are put in a random order (Fisher-Yates), one
 * uniform start u in [0, 1) is drawn, and a stratum gets one more control
 * for each point u, u + 1, u + 2 ... that falls in its stretch of the
 * remainders laid end to end (in exact integer arithmetic, in units of
 * 1 / n). So every stratum gets floor(q_s) or ceil(q_s), the total is
 * exactly ncontrol, and every cluster's chance of control is exactly
 * ncontrol / n. Then, stratum by stratum in ascending order, the stratum's
 * clusters are shuffled (Fisher-Yates, indexes drawn without modulo bias)
 * and the first c_s become control, the rest intervention.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/time.h"
#include "eval.h"

static const eval_outcome_def outcomes[EVAL_OUTCOME__COUNT] = {
    [EVAL_HBA1C] = {"hba1c", "HbA1c", "%", "hba1c", NULL, "better"},
    [EVAL_SBP] = {"sbp", "Systolic blood pressure", "mm[Hg]", "sbp", NULL, "better"},
    [EVAL_DBP] = {"dbp", "Diastolic blood pressure", "mm[Hg]", "dbp", NULL, "better"},
    [EVAL_LDL] = {"ldl", "LDL cholesterol", "mmol/L", "ldl", NULL, "better"},
    [EVAL_WEIGHT] = {"weight", "Body weight", "kg", "weight", NULL, "better"},
    [EVAL_BMI] = {"bmi", "Body mass index", "kg/m2", "bmi", NULL, "better"},
    [EVAL_DDS] = {"dds", "Diabetes distress (DDS-17 mean)", "{score}", NULL, "dds17", "better"},
    [EVAL_PHQ9] = {"phq9", "Depression (PHQ-9 total)", "{score}", "phq9", "phq9", "better"},
};

const eval_outcome_def *eval_outcome_get(eval_outcome k)
{
    return (int)k >= 0 && k < EVAL_OUTCOME__COUNT ? &outcomes[k] : NULL;
}

/* ---- waves ------------------------------------------------------------------ */

static int month_days(int month)
{
    return (month * 1461 + 24) / 48; /* round(month x 1461 / 48), halves up */
}

pl_date eval_wave_target(pl_date enrol, int month)
{
    return enrol + month_days(month);
}

void eval_default_waves(store_study *st)
{
    static const store_study_wave def[] = {{0, 30}, {6, 45}, {12, 45}};
    st->nwaves = 3;
    memcpy(st->waves, def, sizeof def);
}

pl_status eval_waves_validate(const store_study_wave *waves, int n, const char *months_field,
                              const char *windows_field, pl_err *err)
{
    if (n < 1 || n > EVAL_WAVES_MAX) {
        pl_err_field(err, months_field, "must list 1 to %d waves", EVAL_WAVES_MAX);
        return PL_INVALID;
    }
    char mname[64], wname[64];
    for (int i = 0; i < n; i++) {
        snprintf(mname, sizeof mname, "%s[%d]", months_field, i);
        snprintf(wname, sizeof wname, "%s[%d]", windows_field, i);
        bool month_ok = false, window_ok = false;
        if (waves[i].month < 0 || waves[i].month > 240)
            pl_err_field(err, mname, "must be a month between 0 and 240");
        else if (i == 0 && waves[i].month != 0)
            pl_err_field(err, mname, "the first wave must be month 0 (the baseline)");
        else if (i > 0 && waves[i].month <= waves[i - 1].month)
            pl_err_field(err, mname, "months must be in ascending order without repeats");
        else
            month_ok = true;
        if (waves[i].window_days < 0 || waves[i].window_days > 366)
            pl_err_field(err, wname, "must be a window of 0 to 366 days");
        else
            window_ok = true;
        if (i > 0 && month_ok && window_ok && waves[i - 1].window_days >= 0 &&
            month_days(waves[i - 1].month) + waves[i - 1].window_days >=
                month_days(waves[i].month) - waves[i].window_days)
            pl_err_field(err, wname,
                         "the window of month %d (+-%d days) overlaps the window of month %d "
                         "(+-%d days): a reading could count for both",
                         waves[i].month, waves[i].window_days, waves[i - 1].month,
                         waves[i - 1].window_days);
    }
    return err->nfields ? PL_INVALID : PL_OK;
}

void eval_picks_clear(eval_pick *picks, int nwaves)
{
    for (int w = 0; w < nwaves; w++)
        picks[w] = (eval_pick){.found = false, .at = 0, .value = 0, .day = 0};
}

int eval_wave_of(const store_study_wave *waves, int nwaves, pl_date enrol, pl_time at, int *dday)
{
    pl_date day = pl_time_date(at);
    for (int w = 0; w < nwaves; w++) {
        int d = day - eval_wave_target(enrol, waves[w].month);
        if (d >= -waves[w].window_days && d <= waves[w].window_days) {
            *dday = d;
            return w;
        }
    }
    return -1;
}

bool eval_pick_beats(int day_new, pl_time at_new, int day_old, pl_time at_old)
{
    int dn = day_new < 0 ? -day_new : day_new, dold = day_old < 0 ? -day_old : day_old;
    return dn < dold || (dn == dold && at_new < at_old);
}

int eval_pick_offer(eval_pick *picks, const store_study_wave *waves, int nwaves, pl_date enrol,
                    pl_time at, double value)
{
    int d;
    int w = eval_wave_of(waves, nwaves, enrol, at, &d);
    if (w < 0)
        return -1;
    eval_pick *p = &picks[w];
    if (p->found && !eval_pick_beats(d, at, p->day, p->at))
        return -1;
    *p = (eval_pick){.found = true, .at = at, .value = value, .day = d};
    return w;
}

/* ---- randomisation ------------------------------------------------------------ */

static int cmp_cluster(const void *a, const void *b)
{
    const eval_cluster *x = a, *y = b;
    if (x->stratum != y->stratum)
        return x->stratum < y->stratum ? -1 : 1;
    return (x->unit_id > y->unit_id) - (x->unit_id < y->unit_id);
}

/* A uniform integer in [0, bound), without modulo bias (bound >= 1). */
static uint64_t below(pl_rng *r, uint64_t bound)
{
    uint64_t threshold = (0 - bound) % bound;
    for (;;) {
        uint64_t x = pl_rng_next(r);
        if (x >= threshold)
            return x % bound;
    }
}

typedef struct stratum {
    int first, n;
    int64_t rem; /* n_s x ncontrol mod n: its share's remainder, in units of 1 / n */
    int controls;
} stratum;

pl_status eval_randomise(eval_cluster *c, int n, int ncontrol, uint64_t seed, pl_err *err)
{
    if (n < 2)
        return pl_err_set(err, PL_INVALID, "randomisation needs at least 2 communities, not %d", n);
    if (n > EVAL_CLUSTERS_MAX)
        return pl_err_set(err, PL_LIMIT, "%d communities; at most %d can be randomised", n,
                          EVAL_CLUSTERS_MAX);
    if (ncontrol < 1 || ncontrol > n - 1) {
        pl_err_field(err, "control", "must be between 1 and %d (the communities less one)", n - 1);
        return PL_INVALID;
    }
    qsort(c, (size_t)n, sizeof *c, cmp_cluster);
    for (int i = 1; i < n; i++)
        if (c[i].unit_id == c[i - 1].unit_id)
            return pl_err_set(err, PL_INVALID, "community %lld is listed twice",
                              (long long)c[i].unit_id);
    int nstrata = 0;
    for (int i = 0; i < n; i++)
        if (i == 0 || c[i].stratum != c[i - 1].stratum)
            nstrata++;
    stratum *s = calloc((size_t)nstrata, sizeof *s);
    int *order = calloc((size_t)nstrata, sizeof *order); /* strata indexes, drawn order */
    if (!s || !order) {
        free(s);
        free(order);
        return pl_err_set(err, PL_NOMEM, "out of memory randomising %d communities", n);
    }
    pl_rng r;
    pl_rng_seed(&r, seed);
    int k = -1;
    for (int i = 0; i < n; i++) {
        if (i == 0 || c[i].stratum != c[i - 1].stratum)
            s[++k].first = i;
        s[k].n++;
    }
    for (k = 0; k < nstrata; k++) {
        int64_t share = (int64_t)s[k].n * ncontrol;
        s[k].controls = (int)(share / n);
        s[k].rem = share % n;
        order[k] = k;
    }
    /* systematic sampling over the remainders, the strata in a random order */
    for (k = nstrata - 1; k > 0; k--) {
        int j = (int)below(&r, (uint64_t)k + 1);
        int t = order[k];
        order[k] = order[j];
        order[j] = t;
    }
    int64_t u = (int64_t)below(&r, (uint64_t)n), cum = 0;
    for (k = 0; k < nstrata; k++) {
        int64_t before = (cum + n - 1 - u) / n;
        cum += s[order[k]].rem;
        s[order[k]].controls += (int)((cum + n - 1 - u) / n - before);
    }
    for (k = 0; k < nstrata; k++) {
        eval_cluster *g = c + s[k].first;
        for (int i = s[k].n - 1; i > 0; i--) {
            int j = (int)below(&r, (uint64_t)i + 1);
            eval_cluster t = g[i];
            g[i] = g[j];
            g[j] = t;
        }
        for (int i = 0; i < s[k].n; i++)
            g[i].arm = i < s[k].controls ? PL_ARM_CONTROL : PL_ARM_INTERVENTION;
    }
    free(s);
    free(order);
    qsort(c, (size_t)n, sizeof *c, cmp_cluster);
    return PL_OK;
}
