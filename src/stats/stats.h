/*
 * stats.h - evaluation statistics (the stats layer): descriptives, paired and
 * two-sample tests, 2xk tables, OLS with cluster-robust errors, and a linear
 * mixed model with a random intercept per cluster.
 *
 * Every figure is checked against R in tests/unit/test_stats.c (the R calls
 * each function matches, and the rules behind them, are in docs/STATISTICS.md).
 * Functions take plain arrays the caller owns and fill a fixed-size result
 * struct the caller owns: nothing returned points into the heap, so nothing
 * needs freeing. Working memory is allocated inside a call and freed before
 * it returns. Each input has a ceiling (STATS_*_MAX below); past it the call
 * fails with PL_LIMIT.
 *
 * Every function returns PL_OK or an error with a message fit for a person in
 * `err`: PL_INVALID when the data cannot give the statistic (too few values,
 * an empty table column, a rank-deficient design, too few clusters...),
 * PL_LIMIT past a ceiling, PL_NOMEM when allocation fails. A statistic that
 * would be meaningless is refused, never returned as a wrong number. On an
 * error the result struct is zeroed.
 *
 * Missing values: the sample functions (describe, t tests, signed-rank) skip
 * NaN as R's na.rm = TRUE / complete.cases do and report how many they
 * skipped; an infinite value is refused. The table and model functions take
 * no missing values: the caller drops incomplete rows first (R's na.omit),
 * and a NaN there is refused naming its row and column.
 *
 * All p-values are two-sided; all confidence intervals are 95 %.
 *
 * GSL: the first call turns GSL's abort-on-error handler off for the process
 * (once, thread-safely), so a GSL failure comes back as an error here rather
 * than ending the server.
 */
#ifndef PL_STATS_STATS_H
#define PL_STATS_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define STATS_N_MAX          20000000u /* values in one sample (the 20 M measurements target) */
#define STATS_COLS_MAX       32        /* columns of a design matrix */
#define STATS_CELLS_MAX      16777216u /* rows x columns of a design (a 128 MiB working copy) */
#define STATS_TABLE_COLS_MAX 64        /* columns of a 2xk table */
#define STATS_TABLE_N_MAX    100000000 /* total count of a chi-square table */
#define STATS_FISHER_N_MAX   1000000 /* total count of a Fisher table (its support is allocated) */
#define STATS_CLUSTERS_MIN   3       /* fewer clusters than this are refused */

/* ---- descriptives ------------------------------------------------------- */

typedef struct stats_summary {
    size_t n;         /* non-missing values used */
    size_t n_missing; /* NaN values skipped */
    double mean;
    double sd; /* n - 1 denominator; NaN when n == 1 (as R's sd) */
    double median;
    double q1, q3; /* R's quantile(type = 7) at 0.25 and 0.75 */
    double iqr;    /* q3 - q1 (R's IQR) */
    double min, max;
} stats_summary;

/* n, mean, SD, median, quartiles, IQR, min, max of x[0..n), skipping NaN.
 * Refused: no non-missing value, an infinite value, n > STATS_N_MAX. */
pl_status stats_describe(const double *x, size_t n, stats_summary *out, pl_err *err);

/* R's type-7 quantile of sorted[0..n) (ascending, no NaN, n >= 1) at prob in
 * [0, 1]: with h = (n - 1) prob, x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]). */
double stats_quantile_sorted(const double *sorted, size_t n, double prob);

/* ---- t tests -------------------------------------------------------------- */

typedef struct stats_ttest {
    size_t n_x, n_y;  /* values used (paired: both are the complete pairs) */
    size_t n_missing; /* paired: pairs dropped; two-sample: NaN in x and y */
    double mean_x, mean_y;
    double estimate;     /* mean of x - y (paired) or mean_x - mean_y (Welch) */
    double se;           /* standard error of the estimate */
    double t, df, p;     /* p two-sided from Student's t with df */
    double ci_lo, ci_hi; /* 95 % confidence interval of the estimate */
} stats_ttest;

/* Paired t test of x - y over the pairs where both are present (R's
 * t.test(x, y, paired = TRUE)). Refused: fewer than 2 pairs, constant differences. */
pl_status stats_paired_t(const double *x, const double *y, size_t n, stats_ttest *out, pl_err *err);

/* Welch's two-sample t test, unequal variances (R's t.test(x, y)); NaN skipped.
 * Refused: fewer than 2 values in either sample, both samples constant. */
pl_status stats_welch_t(const double *x, size_t nx, const double *y, size_t ny, stats_ttest *out,
                        pl_err *err);

/* ---- Wilcoxon signed-rank ---------------------------------------------- */

typedef struct stats_signrank {
    size_t n_pairs;   /* complete pairs */
    size_t n_missing; /* pairs dropped for a NaN */
    size_t n_zero;    /* zero differences, dropped before ranking */
    size_t n;         /* non-zero differences ranked */
    double v;         /* sum of the ranks of the positive differences (R's V) */
    int exact;        /* 1: p from the exact null distribution */
    int ties;         /* 1: some |differences| tie (mid-ranks used) */
    double z;         /* normal approximation's z (continuity-corrected); NaN if exact */
    double p;
} stats_signrank;

/* Wilcoxon signed-rank test of x - y (R's wilcox.test(x, y, paired = TRUE)
 * with its defaults exact = NULL, correct = TRUE): zero differences are
 * dropped; the p-value is exact when fewer than 50 non-zero differences remain
 * and there are no ties and no zeros, otherwise the normal approximation
 * with the tie-corrected variance and a continuity correction of 0.5.
 * Refused: no complete pair, every difference zero. */
pl_status stats_signrank_paired(const double *x, const double *y, size_t n, stats_signrank *out,
                                pl_err *err);

/* ---- tables -------------------------------------------------------------- */

typedef struct stats_chisq {
    double statistic;
    int df; /* k - 1 */
    double p;
    int yates; /* 1: Yates' correction applied (2x2 with a correction > 0) */
    double min_expected;
    int low_expected; /* 1: an expected count is below 5 (R warns the approximation may be poor) */
} stats_chisq;

/* Pearson's chi-square test of independence for a 2xk table of counts,
 * row-major (counts[0..k) the first row, counts[k..2k) the second), as R's
 * chisq.test(matrix): for 2x2, Yates' correction min(0.5, |O - E|).
 * Refused: k < 2 or k > STATS_TABLE_COLS_MAX, a negative count, an empty row
 * or column (its expected counts are 0). */
pl_status stats_chisq_2xk(const int64_t *counts, int k, stats_chisq *out, pl_err *err);

typedef struct stats_fisher {
    double p; /* two-sided, as R's fisher.test */
} stats_fisher;

/* Fisher's exact test for a 2x2 table {a, b, c, d} (rows {a, b} and {c, d}):
 * the two-sided p sums the hypergeometric probabilities no larger than the
 * observed one times (1 + 1e-7), as R does. R's conditional-MLE odds ratio is
 * not reported: R stops its root search at uniroot's default tolerance, so its
 * figure differs from the exact MLE by up to ~3e-4 (docs/STATISTICS.md).
 * A table with an empty row or column has p = 1, as in R.
 * Refused: a negative count, a total over STATS_FISHER_N_MAX. */
pl_status stats_fisher_2x2(const int64_t counts[4], stats_fisher *out, pl_err *err);

/* ---- regression ---------------------------------------------------------- */

/* A design the caller builds: y = X beta + error, X n x p row-major
 * (x[i * p + j]), with the intercept (a column of 1) included by the caller
 * if wanted. Interactions, dummies for factors and community-level predictors
 * such as an implementation rating are just columns. cluster[i] names the
 * cluster of row i (any values; rows need not be grouped); names[j] names
 * column j in messages (optional). Nothing is copied past the call. */
typedef struct stats_design {
    size_t n, p;
    const double *x;
    const double *y;
    const int64_t *cluster;   /* NULL: no clusters (OLS only) */
    const char *const *names; /* NULL: columns are called "column 1", ... */
} stats_design;

typedef struct stats_coef {
    double estimate, se, t, df, p; /* p two-sided from Student's t with df */
} stats_coef;

typedef struct stats_ols {
    size_t n, p;
    size_t nclusters;                  /* 0 when no clusters were given */
    double sigma;                      /* residual SD, RSS / (n - p) under the root */
    double df_resid;                   /* n - p */
    stats_coef coef[STATS_COLS_MAX];   /* classical: sigma^2 (X'X)^-1, df n - p */
    stats_coef robust[STATS_COLS_MAX]; /* CR1 cluster-robust, df G - 1; zero without clusters */
} stats_ols;

/* Ordinary least squares by Householder QR (R's lm(y ~ 0 + X)). With
 * clusters, also CR1 cluster-robust standard errors (sandwich::vcovCL(type =
 * "HC1"), Stata's vce(cluster)): G/(G-1) (n-1)/(n-p) B (sum_g u_g u_g') B with
 * B = (X'X)^-1 and u_g = sum over cluster g of x_i e_i; their t tests use
 * G - 1 df. A dose-response slope is this with the dose as a column.
 * Refused: n <= p, a NaN, a column that is zero or a linear combination of
 * the columns before it, with clusters fewer than STATS_CLUSTERS_MIN. */
pl_status stats_ols_fit(const stats_design *d, stats_ols *out, pl_err *err);

typedef struct stats_lmm {
    size_t n, p, nclusters;
    stats_coef coef[STATS_COLS_MAX]; /* df: Satterthwaite, as lmerTest's summary() */
    double var_cluster;              /* random-intercept variance */
    double var_resid;                /* residual variance */
    double icc;                      /* var_cluster / (var_cluster + var_resid) */
    double theta;                    /* lme4's theta: sd_cluster / sd_resid */
    double reml_crit;                /* -2 REML log-likelihood (lme4's REMLcrit) */
    int singular;                    /* 1: boundary fit, theta < 1e-4 (lme4's isSingular) */
    char note[192];                  /* why the fit is flagged; empty otherwise */
} stats_lmm;

/* Linear mixed model y = X beta + b_cluster + e with a random intercept per
 * cluster, fitted by REML (lme4::lmer(y ~ 0 + X + (1 | cluster)); lmerTest's
 * summary()): the REML criterion profiled over the variance ratio
 * lambda = var_cluster / var_resid is minimised by Brent's method and
 * polished by Newton steps on its derivative; beta is the GLS solution at
 * that lambda; the denominator df are Satterthwaite's, from the analytic
 * Hessian of the REML deviance in (theta, sigma) as lmerTest takes it
 * numerically.
 * Singular fit (the cluster variance estimated at 0): reported as lmerTest
 * reports it - estimates and SEs equal to OLS, df n - p - with `singular`
 * set and a note, not refused.
 * Refused: fewer than STATS_CLUSTERS_MIN clusters, as many clusters as rows
 * (lme4's rule), n <= p, a NaN, a rank-deficient X (naming the column), no
 * residual variation within clusters, a cluster variance that is not
 * identified (X's cluster-level columns fit every cluster mean, so the REML
 * deviance is flat: lme4 would return an arbitrary theta), an optimiser
 * failure. */
pl_status stats_lmm_fit(const stats_design *d, stats_lmm *out, pl_err *err);

#endif
