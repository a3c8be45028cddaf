/*
 * describe.c - descriptive statistics of one sample: n, mean, SD, median,
 * quartiles, IQR, min and max, as R's mean, sd, median, quantile(type = 7)
 * and IQR with na.rm = TRUE.
 *
 * NaN is missing and skipped (counted in n_missing); an infinite value is
 * refused, as no summary of it is meaningful. The mean is two-pass (sum,
 * then the mean of the deviations added back) as R computes it, so a large
 * common offset does not cost digits; the SD is the n - 1 sum of squared
 * deviations from that mean. Quantiles sort a heap copy of the non-missing
 * values (a radix sort, stats_sort_doubles; freed before returning).
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double stats_quantile_sorted(const double *sorted, size_t n, double prob)
{
    double h = (double)(n - 1) * prob;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return sorted[n - 1];
    double frac = h - (double)lo;
    /* R: (1 - h) x[lo] + h x[hi], only where the two differ */
    if (frac == 0.0 || sorted[lo + 1] == sorted[lo])
        return sorted[lo];
    return (1.0 - frac) * sorted[lo] + frac * sorted[lo + 1];
}

pl_status stats_describe(const double *x, size_t n, stats_summary *out, pl_err *err)
{
    memset(out, 0, sizeof *out);
    if (n > STATS_N_MAX)
        return pl_err_set(err, PL_LIMIT, "%zu values; at most %u are supported", n, STATS_N_MAX);
    if (n > 0 && !x)
        return pl_err_set(err, PL_INVALID, "no data");
    size_t used = 0;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]))
            continue;
        if (isinf(x[i]))
            return pl_err_set(err, PL_INVALID, "value %zu is infinite", i + 1);
        used++;
        sum += x[i];
    }
    if (used == 0)
        return pl_err_set(err, PL_INVALID, "no non-missing values to describe (n = 0)");

    double *v = malloc(used * sizeof *v);
    if (!v)
        return pl_err_set(err, PL_NOMEM, "out of memory for %zu values", used);
    /* the copy's own count bounds every later loop: it is what was filled */
    size_t k = 0;
    for (size_t i = 0; i < n && k < used; i++)
        if (!isnan(x[i]))
            v[k++] = x[i];
    double mean = sum / (double)k, dev = 0.0, ss = 0.0;
    for (size_t i = 0; i < k; i++)
        dev += v[i] - mean;
    mean += dev / (double)k;
    for (size_t i = 0; i < k; i++)
        ss += (v[i] - mean) * (v[i] - mean);
    stats_sort_doubles(v, k);

    out->n = k;
    out->n_missing = n - k;
    out->mean = mean;
    out->sd = k > 1 ? sqrt(ss / (double)(k - 1)) : NAN;
    out->median = stats_quantile_sorted(v, k, 0.5);
    out->q1 = stats_quantile_sorted(v, k, 0.25);
    out->q3 = stats_quantile_sorted(v, k, 0.75);
    out->iqr = out->q3 - out->q1;
    out->min = v[0];
    out->max = v[k - 1];
    free(v);
    return PL_OK;
}
