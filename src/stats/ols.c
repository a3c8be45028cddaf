/*
 * ols.c - ordinary least squares with classical and CR1 cluster-robust
 * standard errors (R's summary(lm()) and sandwich::vcovCL(type = "HC1")).
 *
 * The fit: X = QR by Householder (a heap copy of X; full column rank is
 * checked there), beta solves R beta = Q'y, and B = (X'X)^-1 = R^-1 R^-T
 * comes from inverting the small triangular R. Residuals are recomputed
 * from the original X, not taken from the factorisation, so that the
 * sandwich sums the exact e_i.
 *
 * Classical: sigma^2 = RSS / (n - p), V = sigma^2 B, t tests on n - p df.
 * CR1 (when clusters are given): u_g = sum over rows of cluster g of
 * x_i e_i, V = G/(G-1) (n-1)/(n-p) B (sum_g u_g u_g') B - the HC1 factor
 * (n-1)/(n-p) times the cluster factor G/(G-1), as vcovCL's defaults and
 * Stata's vce(cluster) - with t tests on G - 1 df (Stata's convention; R's
 * coeftest would use n - p unless told df = G - 1).
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

/* rinv = R^-1 for the upper triangle of qr (p x p), by back substitution. */
static void upper_inverse(const gsl_matrix *qr, size_t p, double rinv[][STATS_COLS_MAX])
{
    for (size_t c = 0; c < p; c++)
        for (size_t r = p; r-- > 0;) {
            double s = r == c ? 1.0 : 0.0;
            for (size_t k = r + 1; k <= c; k++)
                s -= gsl_matrix_get(qr, r, k) * rinv[k][c];
            rinv[r][c] = r > c ? 0.0 : s / gsl_matrix_get(qr, r, r);
        }
}

static void fill_coef(stats_coef *c, double estimate, double var, double df)
{
    c->estimate = estimate;
    c->se = sqrt(var);
    c->t = estimate / c->se;
    c->df = df;
    c->p = stats_t_p2(c->t, df);
}

pl_status stats_ols_fit(const stats_design *d, stats_ols *out, pl_err *err)
{
    stats_gsl_init();
    memset(out, 0, sizeof *out);
    pl_status st = stats_design_check(d, 0, err);
    if (st != PL_OK)
        return st;
    size_t n = d->n, p = d->p;
    gsl_matrix *qr = NULL;
    gsl_vector *tau = NULL, *beta = NULL, *resid = NULL;
    double *u = NULL;
    stats_groups groups = {0};
    double rinv[STATS_COLS_MAX][STATS_COLS_MAX], binv[STATS_COLS_MAX][STATS_COLS_MAX];

    if (d->cluster) {
        if ((st = stats_groups_build(d->cluster, n, &groups, err)) != PL_OK)
            goto fail;
        if (groups.ngroups < STATS_CLUSTERS_MIN) {
            st = pl_err_set(err, PL_INVALID,
                            "cluster-robust standard errors need at least %d clusters; there "
                            "are %zu",
                            STATS_CLUSTERS_MIN, groups.ngroups);
            goto fail;
        }
    }
    if ((st = stats_qr_full_rank(d, &qr, &tau, err)) != PL_OK)
        goto fail;
    beta = gsl_vector_alloc(p);
    resid = gsl_vector_alloc(n);
    if (!beta || !resid) {
        st = pl_err_set(err, PL_NOMEM, "out of memory for the least-squares fit");
        goto fail;
    }
    gsl_vector_const_view yv = gsl_vector_const_view_array(d->y, n);
    if (gsl_linalg_QR_lssolve(qr, tau, &yv.vector, beta, resid) != GSL_SUCCESS) {
        st = pl_err_set(err, PL_INVALID, "the least-squares solve failed");
        goto fail;
    }
    upper_inverse(qr, p, rinv);
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < p; j++) {
            double s = 0.0;
            for (size_t k = (i > j ? i : j); k < p; k++)
                s += rinv[i][k] * rinv[j][k];
            binv[i][j] = s;
        }

    double rss = 0.0;
    for (size_t i = 0; i < n; i++) {
        double fit = 0.0;
        for (size_t j = 0; j < p; j++)
            fit += d->x[i * p + j] * gsl_vector_get(beta, j);
        gsl_vector_set(resid, i, d->y[i] - fit);
        rss += (d->y[i] - fit) * (d->y[i] - fit);
    }
    double df = (double)(n - p), sigma2 = rss / df;
    out->n = n;
    out->p = p;
    out->sigma = sqrt(sigma2);
    out->df_resid = df;
    for (size_t j = 0; j < p; j++)
        fill_coef(&out->coef[j], gsl_vector_get(beta, j), sigma2 * binv[j][j], df);

    if (d->cluster) {
        size_t ng = groups.ngroups;        /* >= STATS_CLUSTERS_MIN, and p >= 1 */
        u = calloc(ng * p + 1, sizeof *u); /* + 1: the analyser cannot see ng * p > 0 */
        if (!u) {
            st = pl_err_set(err, PL_NOMEM, "out of memory for %zu cluster scores", ng);
            goto fail;
        }
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < p; j++)
                u[groups.of_row[i] * p + j] += d->x[i * p + j] * gsl_vector_get(resid, i);
        /* meat = sum_g u_g u_g', then V = c B meat B */
        double meat[STATS_COLS_MAX][STATS_COLS_MAX] = {{0}}, half[STATS_COLS_MAX][STATS_COLS_MAX];
        for (size_t g = 0; g < ng; g++)
            for (size_t i = 0; i < p; i++)
                for (size_t j = 0; j < p; j++)
                    meat[i][j] += u[g * p + i] * u[g * p + j];
        for (size_t i = 0; i < p; i++)
            for (size_t j = 0; j < p; j++) {
                double s = 0.0;
                for (size_t k = 0; k < p; k++)
                    s += binv[i][k] * meat[k][j];
                half[i][j] = s;
            }
        double c = (double)ng / (double)(ng - 1) * (double)(n - 1) / df;
        for (size_t j = 0; j < p; j++) {
            double v = 0.0;
            for (size_t k = 0; k < p; k++)
                v += half[j][k] * binv[k][j];
            fill_coef(&out->robust[j], gsl_vector_get(beta, j), c * v, (double)(ng - 1));
        }
        out->nclusters = ng;
    }
    st = PL_OK;
fail:
    free(u);
    stats_groups_free(&groups);
    gsl_matrix_free(qr);
    gsl_vector_free(tau);
    gsl_vector_free(beta);
    gsl_vector_free(resid);
    if (st != PL_OK)
        memset(out, 0, sizeof *out);
    return st;
}
