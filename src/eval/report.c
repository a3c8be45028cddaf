/*
 * report.c - computes the outcome report of a study from its data set
 * (docs/EVALUATION.md, "The report"), with src/stats for every figure.
 *
 * Groups: with arms, intervention then control; without, everyone. The
 * baseline is the month-0 wave and "last" the study's last wave. For each
 * outcome with data:
 *  - per group and wave: n, mean, SD, 95 % CI of the mean (t), median, IQR;
 *  - per group: the paired change last - baseline (t test, Wilcoxon
 *    signed-rank); for HbA1c also in the subgroup at or above the study's
 *    baseline threshold, with the regression-to-the-mean caution;
 *  - the baseline ICC (y ~ 1 + (1 | community));
 *  - with two arms: change ~ arm + baseline + (1 | community) and the long
 *    value ~ time * arm + (1 | community), time in years (month / 12), both
 *    REML with Satterthwaite df;
 *  - dose-response: OLS change ~ contacts, and change ~ sessions attended,
 *    in the intervention arm (or everyone), CR1 cluster-robust SEs by
 *    community when there are 3 or more communities;
 *  - the implementation association: change ~ rating + baseline +
 *    (1 | community) in the same group, the rating being each community's
 *    mean implementation rating in the study period (data.c), among the
 *    participants of rated communities;
 *  - HbA1c only: shares < 7 %, < 8 % and > 9 % per group and wave, compared
 *    between arms by chi-square (Yates for 2x2), or Fisher's exact test
 *    when an expected count is below 5.
 * A statistic the stats layer refuses becomes its message, never a number.
 * On a large study the outcomes are shared between two threads, each with
 * its own working arrays (each outcome writes only its own section).
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_cdf.h>

#include "report_int.h"

const char *const rp_goal_labels[RP_GOALS] = {"< 7 %", "< 8 %", "> 9 %"};
const char *const rp_goal_keys[RP_GOALS] = {"lt7", "lt8", "gt9"};

const char *rp_group_name(const eval_report *r, int g)
{
    if (!r->has_arms)
        return "all";
    return r->group_arm[g] == PL_ARM_INTERVENTION ? "intervention" : "control";
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double q975(double df)
{
    return gsl_cdf_tdist_Pinv(0.975, df);
}

static int group_of(const eval_report *r, const eval_data *d, size_t i)
{
    if (!r->has_arms)
        return 0;
    return d->arm[i] == PL_ARM_INTERVENTION ? 0 : 1;
}

/* ---- flow ----------------------------------------------------------------- */

void eval_flow_compute(const eval_data *d, eval_flow *out)
{
    memset(out, 0, sizeof *out);
    out->not_allocated = (int64_t)d->not_allocated;
    if (d->has_arms) {
        out->ngroups = 2;
        out->g[0].arm = PL_ARM_INTERVENTION;
        out->g[1].arm = PL_ARM_CONTROL;
        out->g[0].communities = d->allocated[PL_ARM_INTERVENTION];
        out->g[1].communities = d->allocated[PL_ARM_CONTROL];
        out->g[0].target = d->study.target_intervention;
        out->g[1].target = d->study.target_control;
    } else {
        out->ngroups = 1;
        out->g[0].arm = PL_ARM_NONE;
        out->g[0].communities = d->nunits;
        out->g[0].target = d->study.target_intervention;
    }
    int last = d->study.nwaves - 1;
    for (size_t i = 0; i < d->n; i++) {
        eval_flow_group *g = &out->g[d->has_arms && d->arm[i] == PL_ARM_CONTROL ? 1 : 0];
        g->enrolled++;
        switch ((pl_enrol_status)d->status[i]) {
        case PL_ENROL_WITHDRAWN:
            g->withdrawn++;
            break;
        case PL_ENROL_LOST:
            g->lost++;
            break;
        case PL_ENROL_DECEASED:
            g->deceased++;
            break;
        case PL_ENROL_COMPLETED:
            g->completed++;
            g->active++;
            break;
        default:
            g->active++;
            break;
        }
        for (int w = 0; w < d->study.nwaves; w++) {
            for (int k = 0; k < EVAL_OUTCOME__COUNT; k++)
                if (d->present[k] && !isnan(d->value[k][w][i])) {
                    g->assessed[w]++;
                    break;
                }
        }
        if (d->present[EVAL_HBA1C] && !isnan(d->value[EVAL_HBA1C][0][i]) &&
            !isnan(d->value[EVAL_HBA1C][last][i]))
            g->analysed++;
    }
}

/* ---- pieces ---------------------------------------------------------------- */

typedef struct work {
    size_t n;
    double *x, *y, *a, *b;
    int64_t *cl;
    unsigned char *seen; /* per unit */
} work;

static void desc_of(rp_desc *o, const double *v, size_t n)
{
    memset(o, 0, sizeof *o);
    o->n = n;
    if (n == 0) {
        snprintf(o->msg, sizeof o->msg, "no values");
        return;
    }
    stats_summary s;
    pl_err e;
    pl_err_clear(&e);
    if (stats_describe(v, n, &s, &e) != PL_OK) {
        snprintf(o->msg, sizeof o->msg, "%s", pl_err_text(&e));
        return;
    }
    o->ok = true;
    o->mean = s.mean;
    o->sd = s.sd;
    o->median = s.median;
    o->q1 = s.q1;
    o->q3 = s.q3;
    if (n >= 2) {
        double h = q975((double)n - 1) * s.sd / sqrt((double)n);
        o->ci_lo = s.mean - h;
        o->ci_hi = s.mean + h;
    } else {
        o->ci_lo = o->ci_hi = NAN;
    }
}

static void change_of(rp_change *o, const double *last, const double *base, size_t n,
                      const char *what)
{
    memset(o, 0, sizeof *o);
    o->n = n;
    if (n == 0) {
        snprintf(o->t_msg, sizeof o->t_msg, "no participant has both values %s", what);
        snprintf(o->w_msg, sizeof o->w_msg, "%s", o->t_msg);
        return;
    }
    double sb = 0, sl = 0;
    for (size_t i = 0; i < n; i++) {
        sb += base[i];
        sl += last[i];
    }
    o->base_mean = sb / (double)n;
    o->last_mean = sl / (double)n;
    pl_err e;
    pl_err_clear(&e);
    if (stats_paired_t(last, base, n, &o->t, &e) == PL_OK)
        o->t_ok = true;
    else
        snprintf(o->t_msg, sizeof o->t_msg, "%s", pl_err_text(&e));
    pl_err_clear(&e);
    if (stats_signrank_paired(last, base, n, &o->w, &e) == PL_OK)
        o->w_ok = true;
    else
        snprintf(o->w_msg, sizeof o->w_msg, "%s", pl_err_text(&e));
}

static size_t count_clusters(work *wk, int nunits, const int64_t *cl, size_t n)
{
    memset(wk->seen, 0, (size_t)nunits);
    size_t g = 0;
    for (size_t i = 0; i < n; i++)
        if (!wk->seen[cl[i]]) {
            wk->seen[cl[i]] = 1;
            g++;
        }
    return g;
}

static void fit_set(rp_fit *f, const char *formula, const char *const *terms, int p)
{
    memset(f, 0, sizeof *f);
    f->formula = formula;
    f->p = p;
    for (int j = 0; j < p; j++)
        f->terms[j] = terms[j];
}

static void fit_lmm(rp_fit *f, size_t n, const double *x, const double *y, const int64_t *cl,
                    size_t nclusters)
{
    f->lmm = true;
    f->n = n;
    f->nclusters = nclusters;
    stats_design dsg = {
        .n = n, .p = (size_t)f->p, .x = x, .y = y, .cluster = cl, .names = f->terms};
    stats_lmm m;
    pl_err e;
    pl_err_clear(&e);
    if (stats_lmm_fit(&dsg, &m, &e) != PL_OK) {
        snprintf(f->msg, sizeof f->msg, "%s", pl_err_text(&e));
        return;
    }
    f->ok = true;
    for (int j = 0; j < f->p; j++) {
        f->coef[j] = m.coef[j];
        double h = q975(m.coef[j].df) * m.coef[j].se;
        f->ci_lo[j] = m.coef[j].estimate - h;
        f->ci_hi[j] = m.coef[j].estimate + h;
    }
    f->var_cluster = m.var_cluster;
    f->var_resid = m.var_resid;
    f->icc = m.icc;
    f->singular = m.singular != 0;
    snprintf(f->note, sizeof f->note, "%s", m.note);
}

static void fit_ols(rp_fit *f, size_t n, const double *x, const double *y, const int64_t *cl,
                    size_t nclusters)
{
    f->n = n;
    f->nclusters = nclusters;
    f->robust = nclusters >= STATS_CLUSTERS_MIN;
    stats_design dsg = {.n = n,
                        .p = (size_t)f->p,
                        .x = x,
                        .y = y,
                        .cluster = f->robust ? cl : NULL,
                        .names = f->terms};
    stats_ols m;
    pl_err e;
    pl_err_clear(&e);
    if (stats_ols_fit(&dsg, &m, &e) != PL_OK) {
        snprintf(f->msg, sizeof f->msg, "%s", pl_err_text(&e));
        return;
    }
    f->ok = true;
    for (int j = 0; j < f->p; j++) {
        f->coef[j] = f->robust ? m.robust[j] : m.coef[j];
        double h = q975(f->coef[j].df) * f->coef[j].se;
        f->ci_lo[j] = f->coef[j].estimate - h;
        f->ci_hi[j] = f->coef[j].estimate + h;
    }
    if (!f->robust)
        snprintf(f->note, sizeof f->note,
                 "classical standard errors: %zu cluster(s) are too few for cluster-robust ones",
                 nclusters);
}

/* ---- one outcome ------------------------------------------------------------- */

static const char *const ancova_terms[] = {"(Intercept)", "armintervention", "baseline"};
static const char *const did_terms[] = {"(Intercept)", "time", "armintervention",
                                        "time:armintervention"};
static const char *const icc_terms[] = {"(Intercept)"};
static const char *const dose_terms[] = {"(Intercept)", "contacts"};
static const char *const session_terms[] = {"(Intercept)", "sessions"};
static const char *const impl_terms[] = {"(Intercept)", "rating", "baseline"};

/*
 * OLS of change on a count per participant (contacts, sessions attended) in
 * the intervention arm (or everyone): refused with a message when nobody has
 * both values or when nobody has any count (a slope on a constant is not a
 * dose-response).
 */
static void fit_dose(const eval_report *r, const eval_data *d, eval_outcome k, work *wk, rp_fit *f,
                     const int32_t *count, const char *what, const char *lastname)
{
    const double *base = d->value[k][0], *lastv = d->value[k][d->study.nwaves - 1];
    size_t m = 0;
    int64_t total = 0;
    for (size_t i = 0; i < d->n; i++)
        if (group_of(r, d, i) == 0 && !isnan(base[i]) && !isnan(lastv[i])) {
            wk->x[2 * m] = 1;
            wk->x[2 * m + 1] = count[i];
            total += count[i];
            wk->y[m] = lastv[i] - base[i];
            wk->cl[m++] = d->unit[i];
        }
    if (m == 0)
        snprintf(f->msg, sizeof f->msg, "no participant has values %s", lastname);
    else if (total == 0) {
        snprintf(f->msg, sizeof f->msg, "no %s is recorded for the %zu participants with values %s",
                 what, m, lastname);
        f->n = m;
    } else
        fit_ols(f, m, wk->x, wk->y, wk->cl, count_clusters(wk, d->nunits, wk->cl, m));
}

static void outcome(eval_report *r, const eval_data *d, eval_outcome k, work *wk)
{
    rp_outcome *o = &r->out[k];
    int nw = d->study.nwaves, last = nw - 1;
    const double *base = d->value[k][0], *lastv = d->value[k][last];
    char lastname[48];
    snprintf(lastname, sizeof lastname, "at month 0 and month %d", d->study.waves[last].month);

    for (size_t i = 0; i < d->n; i++)
        for (int w = 0; w < nw; w++)
            if (!isnan(d->value[k][w][i])) {
                o->n_any++;
                break;
            }

    /* descriptives */
    for (int g = 0; g < r->ngroups; g++)
        for (int w = 0; w < nw; w++) {
            size_t m = 0;
            for (size_t i = 0; i < d->n; i++)
                if (group_of(r, d, i) == g && !isnan(d->value[k][w][i]))
                    wk->x[m++] = d->value[k][w][i];
            desc_of(&o->desc[g][w], wk->x, m);
        }

    /* change, and the subgroup */
    o->has_subgroup = k == EVAL_HBA1C;
    o->threshold = d->study.subgroup_threshold;
    for (int sub = 0; sub <= (o->has_subgroup ? 1 : 0); sub++)
        for (int g = 0; g < r->ngroups; g++) {
            size_t m = 0;
            for (size_t i = 0; i < d->n; i++)
                if (group_of(r, d, i) == g && !isnan(base[i]) && !isnan(lastv[i]) &&
                    (!sub || base[i] >= o->threshold)) {
                    wk->a[m] = lastv[i];
                    wk->b[m++] = base[i];
                }
            change_of(sub ? &o->sub[g] : &o->change[g], wk->a, wk->b, m, lastname);
        }

    /* baseline ICC */
    fit_set(&o->icc_base, "baseline ~ 1 + (1 | community)", icc_terms, 1);
    {
        size_t m = 0;
        for (size_t i = 0; i < d->n; i++)
            if (!isnan(base[i])) {
                wk->x[m] = 1;
                wk->y[m] = base[i];
                wk->cl[m++] = d->unit[i];
            }
        fit_lmm(&o->icc_base, m, wk->x, wk->y, wk->cl, count_clusters(wk, d->nunits, wk->cl, m));
    }

    /* the arm comparison */
    fit_set(&o->ancova, "change ~ arm + baseline + (1 | community)", ancova_terms, 3);
    fit_set(&o->did, "value ~ time * arm + (1 | community), time = month / 12", did_terms, 4);
    if (!r->has_arms) {
        static const char no_arms[] = "the study has no arms: there is nothing to compare";
        snprintf(o->ancova.msg, sizeof o->ancova.msg, "%s", no_arms);
        snprintf(o->did.msg, sizeof o->did.msg, "%s", no_arms);
    } else if (o->change[0].n == 0 || o->change[1].n == 0) {
        snprintf(o->ancova.msg, sizeof o->ancova.msg,
                 "the %s arm has no participant with values %s",
                 o->change[0].n == 0 ? "intervention" : "control", lastname);
        o->ancova.n = o->change[0].n + o->change[1].n;
    } else {
        size_t m = 0;
        for (size_t i = 0; i < d->n; i++)
            if (!isnan(base[i]) && !isnan(lastv[i])) {
                double *row = wk->x + 3 * m;
                row[0] = 1;
                row[1] = d->arm[i] == PL_ARM_INTERVENTION;
                row[2] = base[i];
                wk->y[m] = lastv[i] - base[i];
                wk->cl[m++] = d->unit[i];
            }
        fit_lmm(&o->ancova, m, wk->x, wk->y, wk->cl, count_clusters(wk, d->nunits, wk->cl, m));
    }
    if (r->has_arms) {
        size_t m = 0, arms[2] = {0, 0};
        for (int w = 0; w < nw; w++) {
            double t = d->study.waves[w].month / 12.0;
            for (size_t i = 0; i < d->n; i++)
                if (!isnan(d->value[k][w][i])) {
                    double a = d->arm[i] == PL_ARM_INTERVENTION;
                    double *row = wk->x + 4 * m;
                    row[0] = 1;
                    row[1] = t;
                    row[2] = a;
                    row[3] = t * a;
                    wk->y[m] = d->value[k][w][i];
                    wk->cl[m++] = d->unit[i];
                    arms[a > 0 ? 0 : 1]++;
                }
        }
        if (arms[0] == 0 || arms[1] == 0)
            snprintf(o->did.msg, sizeof o->did.msg, "the %s arm has no values",
                     arms[0] == 0 ? "intervention" : "control");
        else
            fit_lmm(&o->did, m, wk->x, wk->y, wk->cl, count_clusters(wk, d->nunits, wk->cl, m));
    }

    /* dose-response: contacts, and attendance at group sessions */
    fit_set(&o->dose, r->has_arms ? "change ~ contacts (intervention arm)" : "change ~ contacts",
            dose_terms, 2);
    fit_dose(r, d, k, wk, &o->dose, d->contacts, "contact", lastname);
    fit_set(&o->dose_sessions,
            r->has_arms ? "change ~ sessions (intervention arm)" : "change ~ sessions",
            session_terms, 2);
    fit_dose(r, d, k, wk, &o->dose_sessions, d->sessions, "group session attended", lastname);

    /* the implementation association */
    fit_set(&o->impl,
            r->has_arms ? "change ~ rating + baseline + (1 | community) (intervention arm)"
                        : "change ~ rating + baseline + (1 | community)",
            impl_terms, 3);
    if (r->impl.rated == 0) {
        snprintf(o->impl.msg, sizeof o->impl.msg,
                 "no community%s has an implementation rating in the study period",
                 r->has_arms ? " of the intervention arm" : "");
    } else {
        size_t m = 0;
        for (size_t i = 0; i < d->n; i++)
            if (group_of(r, d, i) == 0 && d->units[d->unit[i]].nratings > 0 && !isnan(base[i]) &&
                !isnan(lastv[i])) {
                double *row = wk->x + 3 * m;
                row[0] = 1;
                row[1] = d->units[d->unit[i]].rating;
                row[2] = base[i];
                wk->y[m] = lastv[i] - base[i];
                wk->cl[m++] = d->unit[i];
            }
        if (m == 0)
            snprintf(o->impl.msg, sizeof o->impl.msg,
                     "no participant of a rated community has values %s", lastname);
        else
            fit_lmm(&o->impl, m, wk->x, wk->y, wk->cl, count_clusters(wk, d->nunits, wk->cl, m));
    }

    /* goals */
    o->has_goals = k == EVAL_HBA1C;
    if (!o->has_goals)
        return;
    for (int q = 0; q < RP_GOALS; q++)
        for (int w = 0; w < nw; w++) {
            rp_goal *gl = &o->goals[q][w];
            memset(gl, 0, sizeof *gl);
            for (size_t i = 0; i < d->n; i++) {
                double v = d->value[k][w][i];
                if (isnan(v))
                    continue;
                int g = group_of(r, d, i);
                gl->n[g]++;
                gl->met[g] += q == 0 ? v < 7.0 : q == 1 ? v < 8.0 : v > 9.0;
            }
            if (r->ngroups < 2) {
                snprintf(gl->msg, sizeof gl->msg, "one group: no test");
                continue;
            }
            gl->tested = true;
            int64_t t[4] = {gl->met[0], gl->met[1], gl->n[0] - gl->met[0], gl->n[1] - gl->met[1]};
            pl_err e;
            pl_err_clear(&e);
            if (stats_chisq_2xk(t, 2, &gl->chisq, &e) != PL_OK) {
                snprintf(gl->msg, sizeof gl->msg, "%s", pl_err_text(&e));
                continue;
            }
            gl->ok = true;
            gl->p = gl->chisq.p;
            if (gl->chisq.low_expected) {
                stats_fisher f;
                pl_err_clear(&e);
                if (stats_fisher_2x2(t, &f, &e) == PL_OK) {
                    gl->fisher = true;
                    gl->p = f.p;
                } else {
                    snprintf(gl->msg, sizeof gl->msg,
                             "an expected count is below 5 and Fisher's test was refused: %s",
                             pl_err_text(&e));
                    gl->ok = false;
                }
            }
        }
}

/* ---- the methods paragraph ------------------------------------------------------- */

typedef struct text {
    char *p;
    size_t cap, len;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    if (t->len >= t->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len += (size_t)n < t->cap - t->len ? (size_t)n : t->cap - t->len - 1;
}

static void methods(eval_report *r)
{
    text t = {r->methods, sizeof r->methods, 0};
    r->methods[0] = '\0';
    int nw = r->nwaves;
    put(&t, "The analysis included the %zu participants of %s", r->n,
        r->program_name ? r->program_name : "the program");
    if (r->has_arms)
        put(&t,
            " whose home community was allocated to an arm (%d intervention and %d control "
            "communities; allocation: %s%s)",
            r->flow.g[0].communities, r->flow.g[1].communities, r->allocation,
            strcmp(r->allocation, "randomised") == 0 ? ", stratified by district" : "");
    put(&t, ". Assessment waves were at month");
    for (int w = 0; w < nw; w++)
        put(&t, "%s %d (+-%d days)",
            w == 0        ? ""
            : w == nw - 1 ? " and"
                          : ",",
            r->waves[w].month, r->waves[w].window_days);
    put(&t, " from each participant's enrolment date; a wave's target day is enrolment plus the "
            "month times 30.4375 days, rounded, and its value is the reading nearest the target "
            "day within the window, the earlier at equal distance. ");
    put(&t,
        "Change was the month-%d value minus the month-0 value among participants with both, "
        "tested per %s with a paired t test (95 %% confidence interval) and the Wilcoxon "
        "signed-rank test (exact p with fewer than 50 non-zero differences and no ties, otherwise "
        "the normal approximation with continuity correction; zero differences dropped). ",
        r->waves[nw - 1].month, r->has_arms ? "arm" : "group");
    put(&t,
        "For HbA1c the same was computed among participants at or above %.4g %% at baseline; "
        "such a subgroup is selected for high values, so part of its fall is regression to the "
        "mean. ",
        r->threshold);
    put(&t, "The intraclass correlation of baseline values within communities came from a "
            "random-intercept model (y ~ 1 + (1 | community)). ");
    if (r->has_arms)
        put(&t, "The arms were compared by a linear mixed model of change with arm and baseline as "
                "fixed effects and a random intercept per community, and by a model of all wave "
                "values with time (months / 12), arm and their interaction (the difference in "
                "differences per year) and a random intercept per community; both were fitted by "
                "REML, with Satterthwaite degrees of freedom as lmerTest reports them, and 95 %% "
                "intervals of estimate +- t(0.975, df) x SE. ");
    put(&t,
        "Dose-response was the slope of an ordinary least-squares regression of change on the "
        "number of contacts recorded from enrolment to the month-%d target day%s, with CR1 "
        "cluster-robust standard errors by community on G - 1 degrees of freedom where there "
        "were at least 3 communities. ",
        r->waves[nw - 1].month, r->has_arms ? ", in the intervention arm" : "");
    put(&t, "The same regression was fitted on the number of group sessions attended in that "
            "time. ");
    put(&t, "Shares with HbA1c < 7 %%, < 8 %% and > 9 %% were computed per %s and wave%s. ",
        r->has_arms ? "arm" : "group",
        r->has_arms ? " and compared between arms by Pearson's chi-square test (Yates' "
                      "correction), or Fisher's exact test when an expected count was below 5"
                    : "");
    put(&t, "Missing values were not imputed: each analysis used the participants with the "
            "values it needs. Every statistic is computed by peerlink's statistics layer, "
            "checked against R (stats, lme4, lmerTest, sandwich). ");
    put(&t, "%s", r->implementation);
}

/* The ratings of the first group's communities, and the section's summary for people. */
static void implementation(eval_report *r, const eval_data *d)
{
    rp_impl *im = &r->impl;
    /* the period is told in days, not dates: a participant's enrolment date is no aggregate */
    long days = (long)(d->period_end - d->period_start) + 1;
    unsigned char *seen = calloc((size_t)(d->nunits > 0 ? d->nunits : 1), 1);
    for (size_t i = 0; seen && i < d->n; i++) {
        const eval_unit *u = &d->units[d->unit[i]];
        if (group_of(r, d, i) != 0 || seen[d->unit[i]])
            continue;
        seen[d->unit[i]] = 1;
        im->communities++;
        if (u->nratings == 0)
            continue;
        im->ratings += u->nratings;
        im->mean += u->rating;
        im->lo = im->rated == 0 || u->rating < im->lo ? u->rating : im->lo;
        im->hi = im->rated == 0 || u->rating > im->hi ? u->rating : im->hi;
        im->rated++;
    }
    free(seen);
    const char *which = r->has_arms ? "intervention " : "";
    if (im->rated == 0) {
        snprintf(r->implementation, sizeof r->implementation,
                 "No implementation rating of the %d %scommunities falls within the study period "
                 "(the %ld days from the first enrolment to the last wave's latest target day), "
                 "so the association of implementation with outcomes was not computed.",
                 im->communities, which, days);
        return;
    }
    im->mean /= im->rated;
    snprintf(r->implementation, sizeof r->implementation,
             "%d of the %d %scommunities had implementation ratings within the study period (the "
             "%ld days from the first enrolment to the last wave's latest target day; %d "
             "ratings); a community's rating is the mean of its ratings' mean scores "
             "(1-5), which ranged from %.2f to %.2f (mean %.2f). The association of "
             "implementation with change was fitted as change ~ rating + baseline + (1 | "
             "community) by REML with Satterthwaite degrees of freedom, among the %s"
             "participants of rated communities.",
             im->rated, im->communities, which, days, im->ratings, im->lo, im->hi, im->mean, which);
}

/* ---- running the outcomes ------------------------------------------------------------- */

static void work_free(work *wk)
{
    free(wk->x);
    free(wk->y);
    free(wk->a);
    free(wk->b);
    free(wk->cl);
    free(wk->seen);
    memset(wk, 0, sizeof *wk);
}

static pl_status work_alloc(work *wk, const eval_data *d)
{
    size_t rows = d->n * (size_t)(d->study.nwaves > 1 ? d->study.nwaves : 1);
    size_t cap = rows ? rows : 1;
    wk->x = malloc(cap * 4 * sizeof *wk->x);
    wk->y = malloc(cap * sizeof *wk->y);
    wk->a = malloc(cap * sizeof *wk->a);
    wk->b = malloc(cap * sizeof *wk->b);
    wk->cl = malloc(cap * sizeof *wk->cl);
    wk->seen = malloc((size_t)(d->nunits > 0 ? d->nunits : 1));
    if (!wk->x || !wk->y || !wk->a || !wk->b || !wk->cl || !wk->seen) {
        work_free(wk);
        return PL_NOMEM;
    }
    return PL_OK;
}

static pl_status count_groups(eval_report *r, const eval_data *d)
{
    unsigned char *seen = malloc((size_t)(d->nunits > 0 ? d->nunits : 1));
    if (!seen)
        return PL_NOMEM;
    for (int g = 0; g < r->ngroups; g++) {
        memset(seen, 0, (size_t)(d->nunits > 0 ? d->nunits : 1));
        for (size_t i = 0; i < d->n; i++)
            if (group_of(r, d, i) == g && !seen[d->unit[i]]) {
                seen[d->unit[i]] = 1;
                r->nclusters[g]++;
            }
    }
    free(seen);
    return PL_OK;
}

#define REPORT_THREADS 2

typedef struct runner {
    eval_report *r;
    const eval_data *d;
    atomic_int next; /* the next outcome to take */
    work wk[REPORT_THREADS];
} runner;

/* Takes outcomes until none is left (each thread with its own work buffers). */
static void run_some(runner *ru, work *wk)
{
    for (;;) {
        int k = atomic_fetch_add(&ru->next, 1);
        if (k >= EVAL_OUTCOME__COUNT)
            return;
        if (ru->d->present[k])
            outcome(ru->r, ru->d, (eval_outcome)k, wk);
    }
}

static void *run_thread(void *arg)
{
    runner *ru = arg;
    run_some(ru, &ru->wk[1]);
    return NULL;
}

static pl_status run_outcomes(eval_report *r, const eval_data *d)
{
    runner *ru = calloc(1, sizeof *ru);
    if (!ru)
        return PL_NOMEM;
    ru->r = r;
    ru->d = d;
    atomic_init(&ru->next, 0);
    int present = 0;
    for (int k = 0; k < EVAL_OUTCOME__COUNT; k++) {
        r->out[k].present = d->present[k];
        present += d->present[k];
    }
    pl_status st = work_alloc(&ru->wk[0], d);
    pthread_t helper;
    /* a second thread pays off only on a large study, and only with its own buffers */
    bool threaded = st == PL_OK && present > 1 && d->n >= 20000 &&
                    work_alloc(&ru->wk[1], d) == PL_OK &&
                    pthread_create(&helper, NULL, run_thread, ru) == 0;
    if (st == PL_OK)
        run_some(ru, &ru->wk[0]);
    if (threaded)
        pthread_join(helper, NULL);
    work_free(&ru->wk[0]);
    work_free(&ru->wk[1]);
    free(ru);
    return st;
}

/* ---- entry points ------------------------------------------------------------------ */

pl_status eval_report_build(const eval_data *d, pl_time now, eval_report **out, pl_err *err)
{
    *out = NULL;
    double t0 = now_seconds();
    eval_report *r = calloc(1, sizeof *r);
    if (!r)
        return pl_err_set(err, PL_NOMEM, "out of memory for the report");
    pl_arena_init(&r->arena, 0);
    r->study_id = d->study.id;
    r->study_name = pl_arena_strdup(&r->arena, d->study.name ? d->study.name : "");
    r->study_description =
        d->study.description ? pl_arena_strdup(&r->arena, d->study.description) : NULL;
    r->program_id = d->study.program_id;
    r->program_name = d->program_name ? pl_arena_strdup(&r->arena, d->program_name) : NULL;
    r->program_code = d->program_code ? pl_arena_strdup(&r->arena, d->program_code) : NULL;
    r->allocation = pl_arena_strdup(&r->arena, d->study.allocation ? d->study.allocation : "none");
    r->seed = d->study.seed;
    r->nwaves = d->study.nwaves;
    memcpy(r->waves, d->study.waves, sizeof r->waves);
    r->threshold = d->study.subgroup_threshold;
    r->has_arms = d->has_arms;
    r->ngroups = d->has_arms ? 2 : 1;
    r->group_arm[0] = d->has_arms ? PL_ARM_INTERVENTION : PL_ARM_NONE;
    r->group_arm[1] = PL_ARM_CONTROL;
    r->n = d->n;
    r->not_allocated = d->not_allocated;
    r->generated_at = now;
    if (!r->study_name || !r->allocation) {
        eval_report_free(r);
        return pl_err_set(err, PL_NOMEM, "out of memory for the report");
    }
    eval_flow_compute(d, &r->flow);

    pl_status st = count_groups(r, d);
    if (st == PL_OK)
        implementation(r, d);
    if (st == PL_OK)
        st = run_outcomes(r, d);
    if (st != PL_OK) {
        eval_report_free(r);
        return pl_err_set(err, st, "out of memory for the report's %zu participants", d->n);
    }
    methods(r);
    r->seconds = now_seconds() - t0;
    *out = r;
    return PL_OK;
}

double eval_report_seconds(const eval_report *r)
{
    return r->seconds;
}

void eval_report_free(eval_report *r)
{
    if (!r)
        return;
    pl_arena_free(&r->arena);
    free(r);
}
