/*
 * htest.c - tests on paired and two-sample data: the paired t test, Welch's
 * two-sample t test and the Wilcoxon signed-rank test, as R's t.test and
 * wilcox.test with their defaults.
 *
 * t tests: means and variances are two-pass, the p-value and 95 % interval
 * come from GSL's Student t with df (Welch: the Welch-Satterthwaite df).
 * Like R they refuse "essentially constant" data: a standard error below
 * 10 machine epsilons of the mean.
 *
 * Signed-rank: differences x - y over complete pairs; zeros are dropped
 * (R's default), |d| is ranked with mid-ranks for ties, V is the sum of the
 * ranks of the positive differences. R's rule picks the p-value: exact when
 * fewer than 50 non-zero differences remain and there are no ties and no
 * zeros - the null distribution of V counts the subsets of {1..n} with each
 * sum, built one rank at a time (at most 1226 counts, on the stack) - and
 * otherwise the normal approximation with the tie-corrected variance
 * n(n+1)(2n+1)/24 - sum(t^3 - t)/48 and a continuity correction of 0.5
 * toward zero.
 */
#include "internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#define EXACT_N_BELOW 50 /* R's wilcox.test: exact p when n < 50 */

static pl_status check_n(size_t n, pl_err *err)
{
    if (n > STATS_N_MAX)
        return pl_err_set(err, PL_LIMIT, "%zu values; at most %u are supported", n, STATS_N_MAX);
    return PL_OK;
}

static pl_status refuse_inf(const double *x, size_t n, const char *what, pl_err *err)
{
    for (size_t i = 0; i < n; i++)
        if (isinf(x[i]))
            return pl_err_set(err, PL_INVALID, "%s value %zu is infinite", what, i + 1);
    return PL_OK;
}

/* Mean and sum of squared deviations of the non-NaN values, two-pass. */
static size_t mean_ss(const double *x, size_t n, double *mean, double *ss)
{
    size_t m = 0;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) {
            sum += x[i];
            m++;
        }
    double mu = m ? sum / (double)m : 0.0, dev = 0.0, s2 = 0.0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            dev += x[i] - mu;
    if (m)
        mu += dev / (double)m;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            s2 += (x[i] - mu) * (x[i] - mu);
    *mean = mu;
    *ss = s2;
    return m;
}

static void finish_t(stats_ttest *out)
{
    out->p = stats_t_p2(out->t, out->df);
    double q = stats_t_q975(out->df);
    out->ci_lo = out->estimate - q * out->se;
    out->ci_hi = out->estimate + q * out->se;
}

pl_status stats_paired_t(const double *x, const double *y, size_t n, stats_ttest *out, pl_err *err)
{
    pl_status st;
    stats_gsl_init();
    memset(out, 0, sizeof *out);
    if ((st = check_n(n, err)) != PL_OK)
        return st;
    if (n > 0 && (!x || !y))
        return pl_err_set(err, PL_INVALID, "no data");
    if ((st = refuse_inf(x, n, "x", err)) != PL_OK || (st = refuse_inf(y, n, "y", err)) != PL_OK)
        return st;
    size_t m = 0;
    double sum = 0.0, sx = 0.0, sy = 0.0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]) && !isnan(y[i])) {
            sum += x[i] - y[i];
            sx += x[i];
            sy += y[i];
            m++;
        }
    if (m < 2)
        return pl_err_set(err, PL_INVALID,
                          "a paired t test needs at least 2 complete pairs; there are %zu", m);
    double mean = sum / (double)m, dev = 0.0, ss = 0.0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]) && !isnan(y[i]))
            dev += (x[i] - y[i]) - mean;
    mean += dev / (double)m;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]) && !isnan(y[i])) {
            double d = (x[i] - y[i]) - mean;
            ss += d * d;
        }
    double se = sqrt(ss / (double)(m - 1) / (double)m);
    if (se == 0.0 || se < 10.0 * DBL_EPSILON * fabs(mean))
        return pl_err_set(err, PL_INVALID,
                          "the paired differences are constant: a t test is not defined");
    out->n_x = out->n_y = m;
    out->n_missing = n - m;
    out->mean_x = sx / (double)m;
    out->mean_y = sy / (double)m;
    out->estimate = mean;
    out->se = se;
    out->t = mean / se;
    out->df = (double)(m - 1);
    finish_t(out);
    return PL_OK;
}

pl_status stats_welch_t(const double *x, size_t nx, const double *y, size_t ny, stats_ttest *out,
                        pl_err *err)
{
    pl_status st;
    stats_gsl_init();
    memset(out, 0, sizeof *out);
    if ((st = check_n(nx, err)) != PL_OK || (st = check_n(ny, err)) != PL_OK)
        return st;
    if ((nx > 0 && !x) || (ny > 0 && !y))
        return pl_err_set(err, PL_INVALID, "no data");
    if ((st = refuse_inf(x, nx, "x", err)) != PL_OK || (st = refuse_inf(y, ny, "y", err)) != PL_OK)
        return st;
    double mx, my, ssx, ssy;
    size_t mxn = mean_ss(x, nx, &mx, &ssx), myn = mean_ss(y, ny, &my, &ssy);
    if (mxn < 2 || myn < 2)
        return pl_err_set(err, PL_INVALID,
                          "a two-sample t test needs at least 2 values in each sample; there "
                          "are %zu and %zu",
                          mxn, myn);
    double vx = ssx / (double)(mxn - 1) / (double)mxn;
    double vy = ssy / (double)(myn - 1) / (double)myn;
    double se = sqrt(vx + vy);
    if (se == 0.0 || se < 10.0 * DBL_EPSILON * fmax(fabs(mx), fabs(my)))
        return pl_err_set(err, PL_INVALID, "both samples are constant: a t test is not defined");
    out->n_x = mxn;
    out->n_y = myn;
    out->n_missing = (nx - mxn) + (ny - myn);
    out->mean_x = mx;
    out->mean_y = my;
    out->estimate = mx - my;
    out->se = se;
    out->t = (mx - my) / se;
    out->df = (vx + vy) * (vx + vy) / (vx * vx / (double)(mxn - 1) + vy * vy / (double)(myn - 1));
    finish_t(out);
    return PL_OK;
}

typedef struct signed_abs {
    double abs;
    int positive;
} signed_abs;

/* P(V <= v), or P(V >= v) when upper, under the null for n < EXACT_N_BELOW (R's
 * psignrank). The tail is summed directly rather than as 1 - P so that a tiny
 * p keeps its digits. */
static double signrank_tail(double v, size_t n, int upper)
{
    double count[EXACT_N_BELOW * (EXACT_N_BELOW - 1) / 2 + 1] = {0};
    size_t top = n * (n + 1) / 2;
    count[0] = 1.0;
    for (size_t r = 1; r <= n; r++) /* add rank r: sums reachable with or without it */
        for (size_t s = r * (r + 1) / 2; s >= r; s--)
            count[s] += count[s - r];
    double tail = 0.0, total = 0.0;
    for (size_t s = 0; s <= top; s++) {
        total += count[s];
        if (upper ? (double)s >= v : (double)s <= v)
            tail += count[s];
    }
    return tail / total;
}

pl_status stats_signrank_paired(const double *x, const double *y, size_t n, stats_signrank *out,
                                pl_err *err)
{
    pl_status st;
    stats_gsl_init();
    memset(out, 0, sizeof *out);
    if ((st = check_n(n, err)) != PL_OK)
        return st;
    if (n > 0 && (!x || !y))
        return pl_err_set(err, PL_INVALID, "no data");
    if ((st = refuse_inf(x, n, "x", err)) != PL_OK || (st = refuse_inf(y, n, "y", err)) != PL_OK)
        return st;
    size_t pairs = 0, zeros = 0, m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]) && !isnan(y[i])) {
            pairs++;
            zeros += x[i] - y[i] == 0.0;
        }
    if (pairs == 0)
        return pl_err_set(err, PL_INVALID,
                          "a signed-rank test needs complete pairs; there are none");
    if (zeros == pairs)
        return pl_err_set(err, PL_INVALID,
                          "every paired difference is zero: a signed-rank test is not defined");
    signed_abs *d = malloc((pairs - zeros) * sizeof *d);
    if (!d)
        return pl_err_set(err, PL_NOMEM, "out of memory for %zu differences", pairs - zeros);
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]) && !isnan(y[i]) && x[i] - y[i] != 0.0) {
            double diff = x[i] - y[i];
            d[m++] = (signed_abs){fabs(diff), diff > 0.0};
        }
    stats_sort_by_nonneg_key(d, m, sizeof *d); /* by |d|: the order within ties is immaterial */

    /* mid-ranks: a run of t equal |d| at positions i..i+t-1 all get i + (t + 1) / 2 */
    double v = 0.0, tie_term = 0.0;
    int ties = 0;
    for (size_t i = 0; i < m;) {
        size_t j = i + 1;
        while (j < m && d[j].abs == d[i].abs)
            j++;
        double t = (double)(j - i), rank = (double)i + (t + 1.0) / 2.0;
        for (size_t k = i; k < j; k++)
            if (d[k].positive)
                v += rank;
        if (t > 1.0) {
            ties = 1;
            tie_term += t * t * t - t;
        }
        i = j;
    }
    free(d);

    double nn = (double)m;
    out->n_pairs = pairs;
    out->n_missing = n - pairs;
    out->n_zero = zeros;
    out->n = m;
    out->v = v;
    out->ties = ties;
    if (m < EXACT_N_BELOW && !ties && zeros == 0) {
        double p = v > nn * (nn + 1.0) / 4.0 ? signrank_tail(v, m, 1) : signrank_tail(v, m, 0);
        out->exact = 1;
        out->z = NAN;
        out->p = fmin(2.0 * p, 1.0);
        return PL_OK;
    }
    double z = v - nn * (nn + 1.0) / 4.0;
    double sigma = sqrt(nn * (nn + 1.0) * (2.0 * nn + 1.0) / 24.0 - tie_term / 48.0);
    double correction = z > 0.0 ? 0.5 : z < 0.0 ? -0.5 : 0.0;
    z = (z - correction) / sigma;
    out->z = z;
    out->p = 2.0 * fmin(gsl_cdf_ugaussian_P(z), gsl_cdf_ugaussian_Q(z));
    return PL_OK;
}
