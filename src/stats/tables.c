/*
 * tables.c - tests on tables of counts: Pearson's chi-square for a 2xk
 * table (R's chisq.test, Yates-corrected for 2x2) and Fisher's exact test
 * for a 2x2 table (R's fisher.test, two-sided p).
 *
 * Chi-square: expected counts E = row total x column total / N; the
 * statistic is sum (|O - E| - c)^2 / E with c = min(0.5, min |O - E|) for a
 * 2x2 table and 0 otherwise, exactly R's rule; p from GSL's chi-square
 * with k - 1 df. An empty row or column gives E = 0 (R answers NaN): it is
 * refused, naming it.
 *
 * Fisher: with the margins fixed, the count in the top-left cell is
 * hypergeometric over lo..hi. Each probability is computed from log
 * binomial coefficients (GSL's lnchoose), scaled by the largest and
 * normalised as R does; the two-sided p sums those no larger than the
 * observed one times 1 + 1e-7 (R's relErr, so that ties in exact arithmetic
 * stay ties). The support is a heap array of at most STATS_FISHER_N_MAX + 1.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_gamma.h>

pl_status stats_chisq_2xk(const int64_t *counts, int k, stats_chisq *out, pl_err *err)
{
    stats_gsl_init();
    memset(out, 0, sizeof *out);
    if (!counts || k < 2)
        return pl_err_set(err, PL_INVALID, "a chi-square test needs a table of 2 x 2 or more");
    if (k > STATS_TABLE_COLS_MAX)
        return pl_err_set(err, PL_LIMIT, "the table has %d columns; at most %d are supported", k,
                          STATS_TABLE_COLS_MAX);
    double row[2] = {0, 0}, col[STATS_TABLE_COLS_MAX] = {0}, total = 0.0;
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < k; c++) {
            int64_t v = counts[r * k + c];
            if (v < 0)
                return pl_err_set(err, PL_INVALID, "row %d column %d: a count cannot be negative",
                                  r + 1, c + 1);
            if (v > STATS_TABLE_N_MAX || total + (double)v > STATS_TABLE_N_MAX)
                return pl_err_set(err, PL_LIMIT, "the table's total is over %d", STATS_TABLE_N_MAX);
            row[r] += (double)v;
            col[c] += (double)v;
            total += (double)v;
        }
    for (int r = 0; r < 2; r++)
        if (row[r] == 0.0)
            return pl_err_set(err, PL_INVALID,
                              "row %d of the table is empty: its expected counts are 0", r + 1);
    for (int c = 0; c < k; c++)
        if (col[c] == 0.0)
            return pl_err_set(err, PL_INVALID,
                              "column %d of the table is empty: its expected counts are 0", c + 1);

    double yates = 0.0, min_e = INFINITY;
    if (k == 2) {
        yates = 0.5;
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < k; c++)
                yates = fmin(yates, fabs((double)counts[r * k + c] - row[r] * col[c] / total));
    }
    double stat = 0.0;
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < k; c++) {
            double e = row[r] * col[c] / total;
            double dev = fabs((double)counts[r * k + c] - e) - yates;
            stat += dev * dev / e;
            min_e = fmin(min_e, e);
        }
    out->statistic = stat;
    out->df = k - 1;
    out->p = gsl_cdf_chisq_Q(stat, (double)(k - 1));
    out->yates = yates > 0.0;
    out->min_expected = min_e;
    out->low_expected = min_e < 5.0;
    return PL_OK;
}

pl_status stats_fisher_2x2(const int64_t counts[4], stats_fisher *out, pl_err *err)
{
    stats_gsl_init();
    memset(out, 0, sizeof *out);
    if (!counts)
        return pl_err_set(err, PL_INVALID, "no table");
    double total = 0.0;
    for (int i = 0; i < 4; i++) {
        if (counts[i] < 0)
            return pl_err_set(err, PL_INVALID, "cell %d: a count cannot be negative", i + 1);
        if (counts[i] > STATS_FISHER_N_MAX || total + (double)counts[i] > STATS_FISHER_N_MAX)
            return pl_err_set(err, PL_LIMIT,
                              "the table's total is over %d (use the chi-square test)",
                              STATS_FISHER_N_MAX);
        total += (double)counts[i];
    }
    /* R's names: m, n the column totals, k the first row's total, x the top-left cell */
    unsigned m = (unsigned)(counts[0] + counts[2]), n = (unsigned)(counts[1] + counts[3]);
    unsigned k = (unsigned)(counts[0] + counts[1]), x = (unsigned)counts[0];
    unsigned lo = k > n ? k - n : 0, hi = k < m ? k : m;
    double *d = malloc((size_t)(hi - lo + 1) * sizeof *d);
    if (!d)
        return pl_err_set(err, PL_NOMEM, "out of memory for Fisher's test");
    double top = -INFINITY;
    for (unsigned i = lo; i <= hi; i++) {
        d[i - lo] = gsl_sf_lnchoose(m, i) + gsl_sf_lnchoose(n, k - i);
        top = fmax(top, d[i - lo]);
    }
    double sum = 0.0;
    for (unsigned i = lo; i <= hi; i++) {
        d[i - lo] = exp(d[i - lo] - top);
        sum += d[i - lo];
    }
    double limit = d[x - lo] / sum * (1.0 + 1e-7), p = 0.0;
    for (unsigned i = lo; i <= hi; i++)
        if (d[i - lo] / sum <= limit)
            p += d[i - lo] / sum;
    free(d);
    out->p = fmin(p, 1.0);
    return PL_OK;
}
