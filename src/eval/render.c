/*
 * render.c - writes a computed report (report_int.h) as JSON, HTML or CSV.
 *
 * JSON: numbers are written with the fewest digits that read back as the
 * same double (so R or a test compares the exact values), a missing number
 * as null, and every section that was not computed as {"computed": false,
 * "message": ...}. HTML: one self-contained page (inline CSS, inline SVG
 * plots of the means by wave and group with 95 % CI error bars; no script,
 * no external resource), every text escaped. CSV: one tidy row per number:
 * section, outcome, group, month, term, statistic, value, message.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/time.h"
#include "report_int.h"

/* The shortest %.*g text that reads back as v. A value with 15 or fewer significant
 * digits prints them at %.15g (trailing zeros dropped), so the search starts there. */
static void num_text(double v, char *buf, size_t n)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static json_object *jnum(double v)
{
    if (!isfinite(v))
        return NULL;
    char buf[40];
    num_text(v, buf, sizeof buf);
    return json_object_new_double_s(v, buf);
}

static json_object *jstr(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

#define ADD(o, k, v) json_object_object_add((o), (k), (v))

const char *eval_format_content_type(eval_format f)
{
    switch (f) {
    case EVAL_FORMAT_HTML:
        return "text/html; charset=utf-8";
    case EVAL_FORMAT_CSV:
        return "text/csv; charset=utf-8";
    default:
        return "application/json";
    }
}

pl_status eval_format_parse(const char *s, eval_format *out)
{
    if (!s || strcmp(s, "json") == 0)
        *out = EVAL_FORMAT_JSON;
    else if (strcmp(s, "html") == 0)
        *out = EVAL_FORMAT_HTML;
    else if (strcmp(s, "csv") == 0)
        *out = EVAL_FORMAT_CSV;
    else
        return PL_INVALID;
    return PL_OK;
}

static const char caution_fmt[] =
    "Participants were selected for this subgroup because their baseline value was high "
    "(at or above %.4g %%); part of any fall is regression to the mean, which a single-arm "
    "before-after comparison cannot separate from the effect of the program.";

/* ---- JSON -------------------------------------------------------------------------- */

static json_object *ttest_json(const rp_change *c)
{
    json_object *o = json_object_new_object();
    if (!c->t_ok) {
        ADD(o, "computed", json_object_new_boolean(0));
        ADD(o, "message", jstr(c->t_msg));
        return o;
    }
    ADD(o, "computed", json_object_new_boolean(1));
    ADD(o, "estimate", jnum(c->t.estimate));
    ADD(o, "se", jnum(c->t.se));
    ADD(o, "ci_low", jnum(c->t.ci_lo));
    ADD(o, "ci_high", jnum(c->t.ci_hi));
    ADD(o, "t", jnum(c->t.t));
    ADD(o, "df", jnum(c->t.df));
    ADD(o, "p", jnum(c->t.p));
    return o;
}

static json_object *wilcoxon_json(const rp_change *c)
{
    json_object *o = json_object_new_object();
    if (!c->w_ok) {
        ADD(o, "computed", json_object_new_boolean(0));
        ADD(o, "message", jstr(c->w_msg));
        return o;
    }
    ADD(o, "computed", json_object_new_boolean(1));
    ADD(o, "v", jnum(c->w.v));
    ADD(o, "p", jnum(c->w.p));
    ADD(o, "exact", json_object_new_boolean(c->w.exact));
    ADD(o, "ties", json_object_new_boolean(c->w.ties));
    ADD(o, "n_nonzero", json_object_new_int64((int64_t)c->w.n));
    ADD(o, "n_zero", json_object_new_int64((int64_t)c->w.n_zero));
    return o;
}

static json_object *changes_json(const eval_report *r, const rp_change *c)
{
    json_object *arr = json_object_new_array();
    for (int g = 0; g < r->ngroups; g++) {
        json_object *o = json_object_new_object();
        ADD(o, "group", json_object_new_string(rp_group_name(r, g)));
        ADD(o, "n", json_object_new_int64((int64_t)c[g].n));
        ADD(o, "baseline_mean", c[g].n ? jnum(c[g].base_mean) : NULL);
        ADD(o, "last_mean", c[g].n ? jnum(c[g].last_mean) : NULL);
        ADD(o, "t_test", ttest_json(&c[g]));
        ADD(o, "wilcoxon", wilcoxon_json(&c[g]));
        json_object_array_add(arr, o);
    }
    return arr;
}

static json_object *fit_json(const rp_fit *f)
{
    json_object *o = json_object_new_object();
    ADD(o, "model", jstr(f->formula));
    ADD(o, "computed", json_object_new_boolean(f->ok));
    ADD(o, "n", json_object_new_int64((int64_t)f->n));
    ADD(o, "clusters", json_object_new_int64((int64_t)f->nclusters));
    if (!f->ok) {
        ADD(o, "message", jstr(f->msg));
        return o;
    }
    ADD(o, "method",
        json_object_new_string(f->lmm      ? "REML, Satterthwaite df"
                               : f->robust ? "OLS, CR1 cluster-robust SE, G - 1 df"
                                           : "OLS, classical SE"));
    json_object *cs = json_object_new_array();
    for (int j = 0; j < f->p; j++) {
        json_object *c = json_object_new_object();
        ADD(c, "term", json_object_new_string(f->terms[j]));
        ADD(c, "estimate", jnum(f->coef[j].estimate));
        ADD(c, "se", jnum(f->coef[j].se));
        ADD(c, "df", jnum(f->coef[j].df));
        ADD(c, "t", jnum(f->coef[j].t));
        ADD(c, "p", jnum(f->coef[j].p));
        ADD(c, "ci_low", jnum(f->ci_lo[j]));
        ADD(c, "ci_high", jnum(f->ci_hi[j]));
        json_object_array_add(cs, c);
    }
    ADD(o, "coefficients", cs);
    if (f->lmm) {
        ADD(o, "var_community", jnum(f->var_cluster));
        ADD(o, "var_residual", jnum(f->var_resid));
        ADD(o, "icc", jnum(f->icc));
        ADD(o, "singular", json_object_new_boolean(f->singular));
    }
    ADD(o, "note", f->note[0] ? json_object_new_string(f->note) : NULL);
    return o;
}

static json_object *outcome_json(const eval_report *r, eval_outcome k)
{
    const rp_outcome *o = &r->out[k];
    const eval_outcome_def *def = eval_outcome_get(k);
    json_object *j = json_object_new_object();
    ADD(j, "outcome", json_object_new_string(def->var));
    ADD(j, "label", json_object_new_string(def->label));
    ADD(j, "unit", json_object_new_string(def->unit));
    ADD(j, "participants", json_object_new_int64((int64_t)o->n_any));
    json_object *bw = json_object_new_array();
    for (int g = 0; g < r->ngroups; g++)
        for (int w = 0; w < r->nwaves; w++) {
            const rp_desc *ds = &o->desc[g][w];
            json_object *e = json_object_new_object();
            ADD(e, "group", json_object_new_string(rp_group_name(r, g)));
            ADD(e, "month", json_object_new_int(r->waves[w].month));
            ADD(e, "n", json_object_new_int64((int64_t)ds->n));
            if (ds->ok) {
                ADD(e, "mean", jnum(ds->mean));
                ADD(e, "sd", jnum(ds->sd));
                ADD(e, "ci_low", jnum(ds->ci_lo));
                ADD(e, "ci_high", jnum(ds->ci_hi));
                ADD(e, "median", jnum(ds->median));
                ADD(e, "q1", jnum(ds->q1));
                ADD(e, "q3", jnum(ds->q3));
            } else {
                ADD(e, "message", jstr(ds->msg));
            }
            json_object_array_add(bw, e);
        }
    ADD(j, "by_wave", bw);
    ADD(j, "baseline_month", json_object_new_int(r->waves[0].month));
    ADD(j, "last_month", json_object_new_int(r->waves[r->nwaves - 1].month));
    ADD(j, "change", changes_json(r, o->change));
    if (o->has_subgroup) {
        json_object *s = json_object_new_object();
        char caution[512];
        snprintf(caution, sizeof caution, caution_fmt, o->threshold);
        ADD(s, "threshold", jnum(o->threshold));
        ADD(s, "rule", json_object_new_string("baseline >= threshold"));
        ADD(s, "caution", json_object_new_string(caution));
        ADD(s, "change", changes_json(r, o->sub));
        ADD(j, "subgroup", s);
    } else {
        ADD(j, "subgroup", NULL);
    }
    ADD(j, "baseline_icc", fit_json(&o->icc_base));
    ADD(j, "arm_comparison", fit_json(&o->ancova));
    ADD(j, "difference_in_differences", fit_json(&o->did));
    ADD(j, "dose_response", fit_json(&o->dose));
    ADD(j, "dose_response_sessions", fit_json(&o->dose_sessions));
    ADD(j, "implementation", fit_json(&o->impl));
    if (o->has_goals) {
        json_object *gs = json_object_new_array();
        for (int q = 0; q < RP_GOALS; q++)
            for (int w = 0; w < r->nwaves; w++) {
                const rp_goal *gl = &o->goals[q][w];
                json_object *e = json_object_new_object();
                ADD(e, "goal", json_object_new_string(rp_goal_keys[q]));
                ADD(e, "label", json_object_new_string(rp_goal_labels[q]));
                ADD(e, "month", json_object_new_int(r->waves[w].month));
                json_object *grp = json_object_new_array();
                for (int g = 0; g < r->ngroups; g++) {
                    json_object *x = json_object_new_object();
                    ADD(x, "group", json_object_new_string(rp_group_name(r, g)));
                    ADD(x, "met", json_object_new_int64(gl->met[g]));
                    ADD(x, "n", json_object_new_int64(gl->n[g]));
                    ADD(x, "share", gl->n[g] ? jnum((double)gl->met[g] / (double)gl->n[g]) : NULL);
                    json_object_array_add(grp, x);
                }
                ADD(e, "groups", grp);
                if (gl->tested && gl->ok) {
                    ADD(e, "test", json_object_new_string(gl->fisher ? "fisher" : "chisq"));
                    ADD(e, "statistic", gl->fisher ? NULL : jnum(gl->chisq.statistic));
                    ADD(e, "df", gl->fisher ? NULL : json_object_new_int(gl->chisq.df));
                    ADD(e, "yates", json_object_new_boolean(!gl->fisher && gl->chisq.yates));
                    ADD(e, "p", jnum(gl->p));
                } else {
                    ADD(e, "test", NULL);
                    ADD(e, "message", jstr(gl->msg));
                }
                json_object_array_add(gs, e);
            }
        ADD(j, "goals", gs);
    }
    return j;
}

static json_object *flow_json(const eval_report *r)
{
    json_object *f = json_object_new_object();
    json_object *gs = json_object_new_array();
    for (int g = 0; g < r->flow.ngroups; g++) {
        const eval_flow_group *x = &r->flow.g[g];
        json_object *o = json_object_new_object();
        ADD(o, "group", json_object_new_string(rp_group_name(r, g)));
        ADD(o, "communities", json_object_new_int(x->communities));
        ADD(o, "target", x->target >= 0 ? json_object_new_int(x->target) : NULL);
        ADD(o, "enrolled", json_object_new_int64(x->enrolled));
        ADD(o, "active", json_object_new_int64(x->active));
        ADD(o, "withdrawn", json_object_new_int64(x->withdrawn));
        ADD(o, "lost", json_object_new_int64(x->lost));
        ADD(o, "deceased", json_object_new_int64(x->deceased));
        ADD(o, "completed", json_object_new_int64(x->completed));
        json_object *as = json_object_new_array();
        for (int w = 0; w < r->nwaves; w++) {
            json_object *a = json_object_new_object();
            ADD(a, "month", json_object_new_int(r->waves[w].month));
            ADD(a, "assessed", json_object_new_int64(x->assessed[w]));
            json_object_array_add(as, a);
        }
        ADD(o, "waves", as);
        ADD(o, "analysed_hba1c", json_object_new_int64(x->analysed));
        json_object_array_add(gs, o);
    }
    ADD(f, "groups", gs);
    ADD(f, "not_allocated", json_object_new_int64(r->flow.not_allocated));
    return f;
}

static json_object *waves_json(const eval_report *r);

static json_object *report_json(const eval_report *r)
{
    json_object *o = json_object_new_object();
    json_object *s = json_object_new_object();
    ADD(s, "id", json_object_new_int64(r->study_id));
    ADD(s, "name", jstr(r->study_name));
    ADD(s, "description", jstr(r->study_description));
    ADD(s, "program_id", json_object_new_int64(r->program_id));
    ADD(s, "program_name", jstr(r->program_name));
    ADD(s, "program_code", jstr(r->program_code));
    ADD(s, "allocation", jstr(r->allocation));
    ADD(s, "seed", r->seed ? json_object_new_int64(r->seed) : NULL);
    ADD(s, "subgroup_threshold", jnum(r->threshold));
    ADD(s, "waves", waves_json(r));
    ADD(o, "study", s);
    char when[PL_TIME_STRLEN];
    pl_time_format(r->generated_at, when);
    ADD(o, "generated_at", json_object_new_string(when));
    ADD(o, "generator", json_object_new_string("peerlink " PEERLINK_VERSION));
    ADD(o, "participants", json_object_new_int64((int64_t)r->n));
    json_object *groups = json_object_new_array();
    for (int g = 0; g < r->ngroups; g++) {
        json_object *x = json_object_new_object();
        ADD(x, "group", json_object_new_string(rp_group_name(r, g)));
        ADD(x, "communities_with_participants", json_object_new_int(r->nclusters[g]));
        json_object_array_add(groups, x);
    }
    ADD(o, "groups", groups);
    ADD(o, "flow", flow_json(r));
    json_object *outs = json_object_new_array(), *none = json_object_new_array();
    for (int k = 0; k < EVAL_OUTCOME__COUNT; k++) {
        if (r->out[k].present)
            json_object_array_add(outs, outcome_json(r, (eval_outcome)k));
        else
            json_object_array_add(none,
                                  json_object_new_string(eval_outcome_get((eval_outcome)k)->var));
    }
    ADD(o, "outcomes", outs);
    ADD(o, "outcomes_without_data", none);
    json_object *impl = json_object_new_object();
    const rp_impl *im = &r->impl;
    ADD(impl, "computed", json_object_new_boolean(im->rated > 0));
    ADD(impl, "communities", json_object_new_int(im->communities));
    ADD(impl, "rated_communities", json_object_new_int(im->rated));
    ADD(impl, "ratings", json_object_new_int(im->ratings));
    ADD(impl, "mean_rating", im->rated ? jnum(im->mean) : NULL);
    ADD(impl, "min_rating", im->rated ? jnum(im->lo) : NULL);
    ADD(impl, "max_rating", im->rated ? jnum(im->hi) : NULL);
    ADD(impl, "message", json_object_new_string(r->implementation));
    ADD(o, "implementation", impl);
    ADD(o, "methods", json_object_new_string(r->methods));
    return o;
}

/* ---- CSV ----------------------------------------------------------------------------- */

typedef struct csv {
    pl_buf *b;
    pl_status st;
} csv;

static void csv_field(csv *c, const char *s, bool last)
{
    if (c->st != PL_OK)
        return;
    if (s && strpbrk(s, ",\"\n\r")) {
        c->st = pl_buf_puts(c->b, "\"");
        for (const char *p = s; *p && c->st == PL_OK; p++)
            c->st = *p == '"' ? pl_buf_puts(c->b, "\"\"") : pl_buf_append(c->b, p, 1);
        if (c->st == PL_OK)
            c->st = pl_buf_puts(c->b, "\"");
    } else if (s) {
        c->st = pl_buf_puts(c->b, s);
    }
    if (c->st == PL_OK)
        c->st = pl_buf_puts(c->b, last ? "\n" : ",");
}

/* One row: section, outcome, group, month (-1: none), term, statistic, value, message. */
static void csv_row(csv *c, const char *section, const char *outcome, const char *group, int month,
                    const char *term, const char *stat, double value, const char *msg)
{
    char m[16] = "", v[40] = "";
    if (month >= 0)
        snprintf(m, sizeof m, "%d", month);
    if (!msg && isfinite(value))
        num_text(value, v, sizeof v);
    csv_field(c, section, false);
    csv_field(c, outcome, false);
    csv_field(c, group, false);
    csv_field(c, m, false);
    csv_field(c, term, false);
    csv_field(c, stat, false);
    csv_field(c, v, false);
    csv_field(c, msg, true);
}

static void csv_change(csv *c, const eval_report *r, const char *section, const char *var,
                       const rp_change *ch)
{
    int last = r->waves[r->nwaves - 1].month;
    for (int g = 0; g < r->ngroups; g++) {
        const char *gn = rp_group_name(r, g);
        const rp_change *x = &ch[g];
        csv_row(c, section, var, gn, last, "", "n", (double)x->n, NULL);
        if (x->t_ok) {
            static const char *const names[] = {"estimate", "se", "ci_low", "ci_high",
                                                "t",        "df", "p"};
            double vals[] = {x->t.estimate, x->t.se, x->t.ci_lo, x->t.ci_hi,
                             x->t.t,        x->t.df, x->t.p};
            for (int i = 0; i < 7; i++)
                csv_row(c, section, var, gn, last, "t_test", names[i], vals[i], NULL);
        } else {
            csv_row(c, section, var, gn, last, "t_test", "", NAN, x->t_msg);
        }
        if (x->w_ok) {
            csv_row(c, section, var, gn, last, "wilcoxon", "v", x->w.v, NULL);
            csv_row(c, section, var, gn, last, "wilcoxon", "p", x->w.p, NULL);
        } else {
            csv_row(c, section, var, gn, last, "wilcoxon", "", NAN, x->w_msg);
        }
    }
}

static void csv_fit(csv *c, const char *section, const char *var, const rp_fit *f)
{
    if (!f->ok) {
        csv_row(c, section, var, "", -1, "", "", NAN, f->msg);
        return;
    }
    csv_row(c, section, var, "", -1, "", "n", (double)f->n, NULL);
    csv_row(c, section, var, "", -1, "", "clusters", (double)f->nclusters, NULL);
    static const char *const names[] = {"estimate", "se", "df", "t", "p", "ci_low", "ci_high"};
    for (int j = 0; j < f->p; j++) {
        double vals[] = {f->coef[j].estimate, f->coef[j].se, f->coef[j].df, f->coef[j].t,
                         f->coef[j].p,        f->ci_lo[j],   f->ci_hi[j]};
        for (int i = 0; i < 7; i++)
            csv_row(c, section, var, "", -1, f->terms[j], names[i], vals[i], NULL);
    }
    if (f->lmm) {
        csv_row(c, section, var, "", -1, "", "var_community", f->var_cluster, NULL);
        csv_row(c, section, var, "", -1, "", "var_residual", f->var_resid, NULL);
        csv_row(c, section, var, "", -1, "", "icc", f->icc, NULL);
        csv_row(c, section, var, "", -1, "", "singular", f->singular, NULL);
    }
}

static pl_status report_csv(const eval_report *r, pl_buf *b)
{
    csv c = {b, PL_OK};
    c.st = pl_buf_puts(b, "section,outcome,group,month,term,statistic,value,message\n");
    for (int g = 0; g < r->flow.ngroups; g++) {
        const eval_flow_group *x = &r->flow.g[g];
        const char *gn = rp_group_name(r, g);
        csv_row(&c, "flow", "", gn, -1, "", "communities", x->communities, NULL);
        if (x->target >= 0)
            csv_row(&c, "flow", "", gn, -1, "", "target", x->target, NULL);
        csv_row(&c, "flow", "", gn, -1, "", "enrolled", (double)x->enrolled, NULL);
        csv_row(&c, "flow", "", gn, -1, "", "active", (double)x->active, NULL);
        csv_row(&c, "flow", "", gn, -1, "", "withdrawn", (double)x->withdrawn, NULL);
        csv_row(&c, "flow", "", gn, -1, "", "lost", (double)x->lost, NULL);
        csv_row(&c, "flow", "", gn, -1, "", "deceased", (double)x->deceased, NULL);
        csv_row(&c, "flow", "", gn, -1, "", "completed", (double)x->completed, NULL);
        for (int w = 0; w < r->nwaves; w++)
            csv_row(&c, "flow", "", gn, r->waves[w].month, "", "assessed", (double)x->assessed[w],
                    NULL);
        csv_row(&c, "flow", "", gn, -1, "", "analysed_hba1c", (double)x->analysed, NULL);
    }
    csv_row(&c, "flow", "", "", -1, "", "not_allocated", (double)r->flow.not_allocated, NULL);
    for (int k = 0; k < EVAL_OUTCOME__COUNT; k++) {
        const rp_outcome *o = &r->out[k];
        const char *var = eval_outcome_get((eval_outcome)k)->var;
        if (!o->present) {
            csv_row(&c, "outcome", var, "", -1, "", "", NAN, "no values recorded");
            continue;
        }
        for (int g = 0; g < r->ngroups; g++)
            for (int w = 0; w < r->nwaves; w++) {
                const rp_desc *ds = &o->desc[g][w];
                const char *gn = rp_group_name(r, g);
                int m = r->waves[w].month;
                csv_row(&c, "by_wave", var, gn, m, "", "n", (double)ds->n, NULL);
                if (!ds->ok) {
                    csv_row(&c, "by_wave", var, gn, m, "", "", NAN, ds->msg);
                    continue;
                }
                static const char *const names[] = {"mean",   "sd", "ci_low", "ci_high",
                                                    "median", "q1", "q3"};
                double vals[] = {ds->mean,   ds->sd, ds->ci_lo, ds->ci_hi,
                                 ds->median, ds->q1, ds->q3};
                for (int i = 0; i < 7; i++)
                    csv_row(&c, "by_wave", var, gn, m, "", names[i], vals[i], NULL);
            }
        csv_change(&c, r, "change", var, o->change);
        if (o->has_subgroup)
            csv_change(&c, r, "subgroup", var, o->sub);
        csv_fit(&c, "baseline_icc", var, &o->icc_base);
        csv_fit(&c, "arm_comparison", var, &o->ancova);
        csv_fit(&c, "difference_in_differences", var, &o->did);
        csv_fit(&c, "dose_response", var, &o->dose);
        csv_fit(&c, "dose_response_sessions", var, &o->dose_sessions);
        csv_fit(&c, "implementation", var, &o->impl);
        if (!o->has_goals)
            continue;
        for (int q = 0; q < RP_GOALS; q++)
            for (int w = 0; w < r->nwaves; w++) {
                const rp_goal *gl = &o->goals[q][w];
                int m = r->waves[w].month;
                for (int g = 0; g < r->ngroups; g++) {
                    csv_row(&c, "goals", var, rp_group_name(r, g), m, rp_goal_keys[q], "met",
                            (double)gl->met[g], NULL);
                    csv_row(&c, "goals", var, rp_group_name(r, g), m, rp_goal_keys[q], "n",
                            (double)gl->n[g], NULL);
                }
                if (gl->tested && gl->ok)
                    csv_row(&c, "goals", var, "", m, rp_goal_keys[q],
                            gl->fisher ? "fisher_p" : "chisq_p", gl->p, NULL);
                else if (gl->tested)
                    csv_row(&c, "goals", var, "", m, rp_goal_keys[q], "", NAN, gl->msg);
            }
    }
    csv_row(&c, "implementation", "", "", -1, "", "", NAN, r->implementation);
    csv_row(&c, "methods", "", "", -1, "", "", NAN, r->methods);
    return c.st;
}

/* ---- HTML ------------------------------------------------------------------------------ */

typedef struct html {
    pl_buf *b;
    pl_status st;
} html;

static void h_raw(html *h, const char *s)
{
    if (h->st == PL_OK)
        h->st = pl_buf_puts(h->b, s);
}

static void h_fmt(html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void h_fmt(html *h, const char *fmt, ...)
{
    if (h->st != PL_OK)
        return;
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    h->st = pl_buf_puts(h->b, tmp);
}

static void h_esc(html *h, const char *s)
{
    for (const char *p = s ? s : ""; *p && h->st == PL_OK; p++) {
        switch (*p) {
        case '&':
            h->st = pl_buf_puts(h->b, "&amp;");
            break;
        case '<':
            h->st = pl_buf_puts(h->b, "&lt;");
            break;
        case '>':
            h->st = pl_buf_puts(h->b, "&gt;");
            break;
        case '"':
            h->st = pl_buf_puts(h->b, "&quot;");
            break;
        case '\'':
            h->st = pl_buf_puts(h->b, "&#39;");
            break;
        default:
            h->st = pl_buf_append(h->b, p, 1);
        }
    }
}

/* A number for people: 4 significant digits; "-" when missing. */
static const char *fmt4(double v, char *buf, size_t n)
{
    if (!isfinite(v))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.4g", v);
    return buf;
}

static const char *fmtp(double p, char *buf, size_t n)
{
    if (!isfinite(p))
        snprintf(buf, n, "-");
    else if (p < 0.001)
        snprintf(buf, n, "&lt; 0.001");
    else
        snprintf(buf, n, "%.3f", p);
    return buf;
}

static const char *const group_colour[] = {"#1b6ca8", "#c0392b"};

/* Means by wave and group with 95 % CI error bars. */
static void h_plot(html *h, const eval_report *r, eval_outcome k)
{
    const rp_outcome *o = &r->out[k];
    const eval_outcome_def *def = eval_outcome_get(k);
    const double W = 560, H = 300, L = 64, R = 130, T = 30, B = 48;
    double lo = INFINITY, hi = -INFINITY;
    for (int g = 0; g < r->ngroups; g++)
        for (int w = 0; w < r->nwaves; w++) {
            const rp_desc *ds = &o->desc[g][w];
            if (!ds->ok)
                continue;
            double a = isfinite(ds->ci_lo) ? ds->ci_lo : ds->mean;
            double b = isfinite(ds->ci_hi) ? ds->ci_hi : ds->mean;
            lo = a < lo ? a : lo;
            hi = b > hi ? b : hi;
        }
    if (!isfinite(lo) || !isfinite(hi))
        return;
    if (hi - lo < 1e-9) {
        lo -= 0.5;
        hi += 0.5;
    }
    /* nice ticks */
    double span = hi - lo, step = pow(10, floor(log10(span / 4)));
    if (span / step > 8)
        step *= 2.5;
    if (span / step > 8)
        step *= 2;
    lo = floor(lo / step) * step;
    hi = ceil(hi / step) * step;
    int mmax = r->waves[r->nwaves - 1].month;
    double xspan = mmax > 0 ? mmax : 1;
#define PX(m) (L + (W - L - R) * ((m) / xspan))
#define PY(v) (T + (H - T - B) * (1 - ((v)-lo) / (hi - lo)))
    char t1[40], t2[40];
    h_fmt(h,
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
          "viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-labelledby=\"plot-%s\">",
          W, H, W, H, def->var);
    h_fmt(h, "<title id=\"plot-%s\">", def->var);
    h_esc(h, def->label);
    h_raw(h, ": mean by wave with 95 % confidence intervals</title>");
    h_fmt(h, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#fff\"/>", W, H);
    int ticks = (int)lround((hi - lo) / step);
    for (int i = 0; i <= ticks; i++) {
        double v = lo + step * i;
        h_fmt(h,
              "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
              "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%s</text>",
              L, PY(v), W - R, PY(v), L - 6, PY(v) + 4, fmt4(v, t1, sizeof t1));
    }
    for (int w = 0; w < r->nwaves; w++)
        h_fmt(h, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%d</text>",
              PX(r->waves[w].month), H - B + 16, r->waves[w].month);
    h_fmt(h, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\">month</text>",
          L + (W - L - R) / 2, H - 10);
    h_fmt(h,
          "<text x=\"14\" y=\"%.1f\" font-size=\"12\" transform=\"rotate(-90 14 %.1f)\" "
          "text-anchor=\"middle\">",
          T + (H - T - B) / 2, T + (H - T - B) / 2);
    h_esc(h, def->unit);
    h_raw(h, "</text>");
    for (int g = 0; g < r->ngroups; g++) {
        const char *col = group_colour[g];
        double off = r->ngroups > 1 ? (g == 0 ? -4 : 4) : 0;
        h_fmt(h, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", col);
        for (int w = 0; w < r->nwaves; w++) {
            const rp_desc *ds = &o->desc[g][w];
            if (ds->ok)
                h_fmt(h, "%.1f,%.1f ", PX(r->waves[w].month) + off, PY(ds->mean));
        }
        h_raw(h, "\"/>");
        for (int w = 0; w < r->nwaves; w++) {
            const rp_desc *ds = &o->desc[g][w];
            if (!ds->ok)
                continue;
            double x = PX(r->waves[w].month) + off;
            if (isfinite(ds->ci_lo))
                h_fmt(h,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>",
                      x, PY(ds->ci_lo), x, PY(ds->ci_hi), col, x - 4, PY(ds->ci_lo), x + 4,
                      PY(ds->ci_lo), col, x - 4, PY(ds->ci_hi), x + 4, PY(ds->ci_hi), col);
            h_fmt(h, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>", x,
                  PY(ds->mean), col);
            h_fmt(h, "%s, month %d: mean %s (95 %% CI %s", rp_group_name(r, g), r->waves[w].month,
                  fmt4(ds->mean, t1, sizeof t1), fmt4(ds->ci_lo, t2, sizeof t2));
            h_fmt(h, " to %s), n = %zu</title></circle>", fmt4(ds->ci_hi, t1, sizeof t1), ds->n);
        }
        h_fmt(h,
              "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"3\" fill=\"%s\"/>"
              "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">%s</text>",
              W - R + 14, T + 10 + 18 * g, col, W - R + 30, T + 15 + 18 * g, rp_group_name(r, g));
    }
    h_raw(h, "</svg>");
#undef PX
#undef PY
}

static void h_change_table(html *h, const eval_report *r, const rp_change *ch,
                           const eval_outcome_def *def)
{
    char a[40], b[40], c[40], d[40], e[40];
    h_fmt(h,
          "<table><tr><th>group</th><th>n</th><th>month 0</th><th>month %d</th>"
          "<th>change (95 %% CI)</th><th>t test p</th><th>Wilcoxon p</th></tr>",
          r->waves[r->nwaves - 1].month);
    for (int g = 0; g < r->ngroups; g++) {
        const rp_change *x = &ch[g];
        h_fmt(h, "<tr><td>%s</td><td>%zu</td><td>%s</td><td>%s</td>", rp_group_name(r, g), x->n,
              x->n ? fmt4(x->base_mean, a, sizeof a) : "-",
              x->n ? fmt4(x->last_mean, b, sizeof b) : "-");
        if (x->t_ok) {
            h_fmt(h, "<td>%s (%s to %s) ", fmt4(x->t.estimate, a, sizeof a),
                  fmt4(x->t.ci_lo, b, sizeof b), fmt4(x->t.ci_hi, c, sizeof c));
            h_esc(h, def->unit);
            h_fmt(h, "</td><td>%s</td>", fmtp(x->t.p, d, sizeof d));
        } else {
            h_raw(h, "<td class=\"msg\" colspan=\"2\">");
            h_esc(h, x->t_msg);
            h_raw(h, "</td>");
        }
        if (x->w_ok) {
            h_fmt(h, "<td>%s</td></tr>", fmtp(x->w.p, e, sizeof e));
        } else {
            h_raw(h, "<td class=\"msg\">");
            h_esc(h, x->w_msg);
            h_raw(h, "</td></tr>");
        }
    }
    h_raw(h, "</table>");
}

static void h_fit(html *h, const char *title, const rp_fit *f)
{
    char a[40], b[40], c[40], d[40], e[40];
    h_fmt(h, "<h4>%s</h4><p class=\"model\"><code>", title);
    h_esc(h, f->formula);
    h_raw(h, "</code>");
    if (!f->ok) {
        h_raw(h, "</p><p class=\"msg\">Not computed: ");
        h_esc(h, f->msg);
        h_raw(h, "</p>");
        return;
    }
    h_fmt(h, " &middot; n = %zu, %zu communities</p>", f->n, f->nclusters);
    h_raw(h, "<table><tr><th>term</th><th>estimate (95 % CI)</th><th>SE</th><th>df</th>"
             "<th>p</th></tr>");
    for (int j = 0; j < f->p; j++) {
        h_raw(h, "<tr><td>");
        h_esc(h, f->terms[j]);
        h_fmt(h, "</td><td>%s (%s to %s)</td><td>%s</td><td>%s</td><td>%s</td></tr>",
              fmt4(f->coef[j].estimate, a, sizeof a), fmt4(f->ci_lo[j], b, sizeof b),
              fmt4(f->ci_hi[j], c, sizeof c), fmt4(f->coef[j].se, d, sizeof d),
              fmt4(f->coef[j].df, e, sizeof e), fmtp(f->coef[j].p, a, sizeof a));
    }
    h_raw(h, "</table>");
    if (f->lmm)
        h_fmt(h, "<p>ICC %s (community variance %s, residual %s)%s</p>", fmt4(f->icc, a, sizeof a),
              fmt4(f->var_cluster, b, sizeof b), fmt4(f->var_resid, c, sizeof c),
              f->singular ? "; singular fit" : "");
    if (f->note[0]) {
        h_raw(h, "<p class=\"msg\">");
        h_esc(h, f->note);
        h_raw(h, "</p>");
    }
}

static void h_outcome(html *h, const eval_report *r, eval_outcome k)
{
    const rp_outcome *o = &r->out[k];
    const eval_outcome_def *def = eval_outcome_get(k);
    char a[40], b[40], c[40], d[40];
    h_fmt(h, "<section id=\"%s\"><h2>", def->var);
    h_esc(h, def->label);
    h_raw(h, " (");
    h_esc(h, def->unit);
    h_fmt(h, ")</h2><p>%zu participants with a value at any wave.</p>", o->n_any);
    h_plot(h, r, k);
    h_raw(h, "<h3>By wave</h3><table><tr><th>group</th><th>month</th><th>n</th>"
             "<th>mean (95 % CI)</th><th>SD</th><th>median (IQR)</th></tr>");
    for (int g = 0; g < r->ngroups; g++)
        for (int w = 0; w < r->nwaves; w++) {
            const rp_desc *ds = &o->desc[g][w];
            h_fmt(h, "<tr><td>%s</td><td>%d</td><td>%zu</td>", rp_group_name(r, g),
                  r->waves[w].month, ds->n);
            if (!ds->ok) {
                h_raw(h, "<td class=\"msg\" colspan=\"3\">");
                h_esc(h, ds->msg);
                h_raw(h, "</td></tr>");
                continue;
            }
            h_fmt(h, "<td>%s (%s to %s)</td>", fmt4(ds->mean, a, sizeof a),
                  fmt4(ds->ci_lo, b, sizeof b), fmt4(ds->ci_hi, c, sizeof c));
            h_fmt(h, "<td>%s</td>", fmt4(ds->sd, d, sizeof d));
            h_fmt(h, "<td>%s (%s to %s)</td></tr>", fmt4(ds->median, a, sizeof a),
                  fmt4(ds->q1, b, sizeof b), fmt4(ds->q3, c, sizeof c));
        }
    h_raw(h, "</table><h3>Change from baseline</h3>");
    h_change_table(h, r, o->change, def);
    if (o->has_subgroup) {
        h_fmt(h, "<h3>Subgroup: baseline at or above %s ", fmt4(o->threshold, a, sizeof a));
        h_esc(h, def->unit);
        h_raw(h, "</h3>");
        h_change_table(h, r, o->sub, def);
        char caution[512];
        snprintf(caution, sizeof caution, caution_fmt, o->threshold);
        h_raw(h, "<p class=\"caution\">");
        h_esc(h, caution);
        h_raw(h, "</p>");
    }
    h_raw(h, "<h3>Models</h3>");
    h_fit(h, "Baseline intraclass correlation", &o->icc_base);
    h_fit(h, "Arm comparison (change adjusted for baseline)", &o->ancova);
    h_fit(h, "Difference in differences (per year)", &o->did);
    h_fit(h, "Dose-response (contacts)", &o->dose);
    h_fit(h, "Dose-response (group sessions attended)", &o->dose_sessions);
    h_fit(h, "Implementation rating (community mean)", &o->impl);
    if (o->has_goals) {
        h_raw(h, "<h3>Goals</h3><table><tr><th>share</th><th>month</th>");
        for (int g = 0; g < r->ngroups; g++)
            h_fmt(h, "<th>%s</th>", rp_group_name(r, g));
        h_raw(h, "<th>test</th><th>p</th></tr>");
        for (int q = 0; q < RP_GOALS; q++)
            for (int w = 0; w < r->nwaves; w++) {
                const rp_goal *gl = &o->goals[q][w];
                h_fmt(h, "<tr><td>%s</td><td>%d</td>",
                      q == 0   ? "&lt; 7 %"
                      : q == 1 ? "&lt; 8 %"
                               : "&gt; 9 %",
                      r->waves[w].month);
                for (int g = 0; g < r->ngroups; g++)
                    h_fmt(h, "<td>%lld / %lld (%s %%)</td>", (long long)gl->met[g],
                          (long long)gl->n[g],
                          gl->n[g]
                              ? fmt4(100.0 * (double)gl->met[g] / (double)gl->n[g], a, sizeof a)
                              : "-");
                if (gl->tested && gl->ok)
                    h_fmt(h, "<td>%s</td><td>%s</td></tr>", gl->fisher ? "Fisher" : "chi-square",
                          fmtp(gl->p, b, sizeof b));
                else {
                    h_raw(h, "<td class=\"msg\" colspan=\"2\">");
                    h_esc(h, gl->msg);
                    h_raw(h, "</td></tr>");
                }
            }
        h_raw(h, "</table>");
    }
    h_raw(h, "</section>");
}

static pl_status report_html(const eval_report *r, pl_buf *b)
{
    html h = {b, PL_OK};
    h_raw(&h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
    h_esc(&h, r->study_name);
    h_raw(&h, " - outcome report</title><style>"
              "body{font-family:system-ui,sans-serif;max-width:960px;margin:1em auto;padding:0 1em;"
              "color:#222}table{border-collapse:collapse;margin:.5em 0 1em}"
              "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right}"
              "th:first-child,td:first-child{text-align:left}.msg{color:#8a5300;text-align:left}"
              ".caution{background:#fff6e0;border-left:4px solid #e0a800;padding:.5em}"
              "svg{max-width:100%;height:auto}code{font-size:.9em}"
              "</style></head><body><h1>");
    h_esc(&h, r->study_name);
    h_raw(&h, "</h1><p>");
    h_esc(&h, r->program_name);
    char when[PL_TIME_STRLEN];
    pl_time_format(r->generated_at, when);
    h_fmt(&h, " &middot; %zu participants &middot; generated %s by peerlink %s</p>", r->n, when,
          PEERLINK_VERSION);
    if (r->study_description) {
        h_raw(&h, "<p>");
        h_esc(&h, r->study_description);
        h_raw(&h, "</p>");
    }
    h_raw(&h, "<h2>Participant flow</h2><table><tr><th></th>");
    for (int g = 0; g < r->flow.ngroups; g++)
        h_fmt(&h, "<th>%s</th>", rp_group_name(r, g));
    h_raw(&h, "</tr>");
    static const char *const rows[] = {"communities", "target",   "enrolled",  "withdrawn",
                                       "lost",        "deceased", "completed", "active"};
    for (int i = 0; i < 8; i++) {
        h_fmt(&h, "<tr><td>%s</td>", rows[i]);
        for (int g = 0; g < r->flow.ngroups; g++) {
            const eval_flow_group *x = &r->flow.g[g];
            int64_t v = i == 0   ? x->communities
                        : i == 1 ? x->target
                        : i == 2 ? x->enrolled
                        : i == 3 ? x->withdrawn
                        : i == 4 ? x->lost
                        : i == 5 ? x->deceased
                        : i == 6 ? x->completed
                                 : x->active;
            if (i == 1 && v < 0)
                h_raw(&h, "<td>-</td>");
            else
                h_fmt(&h, "<td>%lld</td>", (long long)v);
        }
        h_raw(&h, "</tr>");
    }
    for (int w = 0; w < r->nwaves; w++) {
        h_fmt(&h, "<tr><td>assessed at month %d</td>", r->waves[w].month);
        for (int g = 0; g < r->flow.ngroups; g++)
            h_fmt(&h, "<td>%lld</td>", (long long)r->flow.g[g].assessed[w]);
        h_raw(&h, "</tr>");
    }
    h_raw(&h, "<tr><td>analysed (HbA1c at baseline and last wave)</td>");
    for (int g = 0; g < r->flow.ngroups; g++)
        h_fmt(&h, "<td>%lld</td>", (long long)r->flow.g[g].analysed);
    h_raw(&h, "</tr></table>");
    if (r->flow.not_allocated)
        h_fmt(&h,
              "<p>%lld participants of the program live outside every allocated community "
              "and are not analysed.</p>",
              (long long)r->flow.not_allocated);
    for (int k = 0; k < EVAL_OUTCOME__COUNT; k++)
        if (r->out[k].present)
            h_outcome(&h, r, (eval_outcome)k);
    h_raw(&h, "<h2>Outcomes without data</h2><p>");
    int none = 0;
    for (int k = 0; k < EVAL_OUTCOME__COUNT; k++)
        if (!r->out[k].present) {
            h_raw(&h, none++ ? ", " : "");
            h_esc(&h, eval_outcome_get((eval_outcome)k)->label);
        }
    h_raw(&h, none ? ": no values recorded.</p>" : "None.</p>");
    h_raw(&h, "<h2>Implementation</h2><p>");
    h_esc(&h, r->implementation);
    h_raw(&h, "</p><h2>Methods</h2><p>");
    h_esc(&h, r->methods);
    h_raw(&h, "</p></body></html>\n");
    return h.st;
}

static json_object *waves_json(const eval_report *r)
{
    json_object *ws = json_object_new_array();
    for (int w = 0; w < r->nwaves; w++) {
        json_object *x = json_object_new_object();
        ADD(x, "month", json_object_new_int(r->waves[w].month));
        ADD(x, "window_days", json_object_new_int(r->waves[w].window_days));
        json_object_array_add(ws, x);
    }
    return ws;
}

static pl_status put_json(json_object *o, pl_buf *out, pl_err *err)
{
    const char *text =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    pl_status st = text ? pl_buf_puts(out, text) : PL_NOMEM;
    if (st == PL_OK)
        st = pl_buf_puts(out, "\n");
    json_object_put(o);
    if (st == PL_LIMIT)
        return pl_err_set(err, PL_LIMIT, "the report is larger than its buffer's ceiling");
    if (st != PL_OK)
        return pl_err_set(err, st, "out of memory writing the report");
    return PL_OK;
}

pl_status eval_report_render_flow(const eval_report *r, pl_buf *out, pl_err *err)
{
    json_object *o = json_object_new_object();
    ADD(o, "study_id", json_object_new_int64(r->study_id));
    ADD(o, "waves", waves_json(r));
    ADD(o, "participants", json_object_new_int64((int64_t)r->n));
    json_object *f = flow_json(r), *groups = NULL, *na = NULL;
    json_object_object_get_ex(f, "groups", &groups);
    json_object_object_get_ex(f, "not_allocated", &na);
    ADD(o, "groups", json_object_get(groups));
    ADD(o, "not_allocated", json_object_get(na));
    json_object_put(f);
    return put_json(o, out, err);
}

pl_status eval_report_render(const eval_report *r, eval_format f, pl_buf *out, pl_err *err)
{
    pl_status st;
    if (f == EVAL_FORMAT_JSON)
        return put_json(report_json(r), out, err);
    st = f == EVAL_FORMAT_HTML ? report_html(r, out) : report_csv(r, out);
    if (st == PL_LIMIT)
        return pl_err_set(err, PL_LIMIT, "the report is larger than its buffer's ceiling");
    if (st != PL_OK)
        return pl_err_set(err, st, "out of memory writing the report");
    return PL_OK;
}
