/*
 * lmm.c - a linear mixed model with one random intercept per cluster,
 * fitted by REML, reported as lmerTest's summary() of
 * lme4::lmer(y ~ 0 + X + (1 | cluster)).
 *
 * Model: y = X beta + b_g + e, b_g ~ N(0, s2 lambda), e ~ N(0, s2). With
 * H = I + lambda Z Z' (block g: I + lambda 1 1'), the REML deviance profiled
 * over s2 is
 *   D(lambda) = log|H| + log|X'H^-1 X| + (n - p)(1 + log(2 pi Q / (n - p))),
 *   Q = (y - X beta)' H^-1 (y - X beta), beta = (X'H^-1 X)^-1 X'H^-1 y,
 * which is lme4's REMLcrit at theta = sqrt(lambda).
 *
 * Why it is cheap: H^-1 only shrinks each cluster's mean, so
 *   X'H^-1 X = W + sum_g w_g xbar_g xbar_g',  w_g = n_g / (1 + n_g lambda),
 * where W is the pooled within-cluster scatter of X and xbar_g the cluster
 * means (likewise for y). One pass over the rows gathers W and the means;
 * after that each evaluation costs O(G p^2 + p^3) whatever n is, and no
 * term is a difference of large numbers (W and every w_g xbar xbar' are
 * positive semi-definite), so nothing cancels.
 *
 * The fit: D is evaluated on a grid of rho = lambda / (1 + lambda) (which
 * is the ICC) in [0, 1); Brent's minimiser (GSL) refines the grid's best
 * bracket and Newton steps on the analytic dD/dlambda polish it to machine
 * precision (lme4's own optimiser stops ~1e-7 short, see
 * docs/STATISTICS.md). The best grid point at rho = 0 with dD/dlambda >= 0
 * there is a boundary fit: lambda = 0, the estimates are OLS and the fit is
 * flagged singular, as lme4 reports it. The best point at the top of the
 * grid means the residual variance goes to 0: refused. A grid that is flat
 * to rounding means the cluster variance is not identified at all (X's
 * cluster-level columns fit every cluster mean; lme4 then returns an
 * arbitrary theta and lmerTest df near 0): refused.
 *
 * Satterthwaite df, as lmerTest computes them: for coefficient j,
 *   df = 2 v^2 / (g' A g),  v = s2 [M^-1]_jj,  M = X'H^-1 X,
 * g the gradient of v in (theta, sigma) and A = 2 H2^+, H2 the Hessian of
 * the unprofiled REML deviance in (theta, sigma) (inverted over its
 * eigenvalues above 1e-8, as lmerTest does). lmerTest takes both
 * derivatives numerically (numDeriv); here they are analytic: with dots for
 * d/dlambda, wdot_g = -w_g^2, and rbar_g the cluster means of the residuals,
 *   Qdot = sum wdot_g rbar_g^2,
 *   Qddot = sum 2 w_g^3 rbar_g^2 - 2 s' M^-1 s,  s = sum wdot_g xbar_g rbar_g,
 *   d log|M| = tr(M^-1 Mdot),  d2 log|M| = tr(M^-1 Mddot) - tr((M^-1 Mdot)^2),
 * and the chain rule through lambda = theta^2.
 *
 * Memory: the cluster sizes and means (G x (p + 2) doubles) and the work
 * struct (the p x p matrices of two points) are heap, freed before return;
 * X is read twice and never copied except by the rank check's QR.
 */
#include "internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_min.h>

#define P              STATS_COLS_MAX
#define SINGULAR_THETA 1e-4 /* lme4's isSingular() tolerance */
#define EIGEN_TOL      1e-8 /* lmerTest's tolerance on the Hessian's eigenvalues */

/* The sufficient statistics of the data: gathered once, read by every evaluation. */
typedef struct lmm_data {
    size_t n, p, G;
    double *size;                /* n_g (G) */
    double *xbar;                /* cluster means of X (G x p) */
    double *ybar;                /* cluster means of y (G) */
    double W[P][P], wxy[P], wyy; /* pooled within-cluster cross-products */
} lmm_data;

/* Everything known at one lambda. */
typedef struct lmm_point {
    double lambda;
    double M[P][P];    /* X'H^-1 X */
    double Minv[P][P]; /* its inverse */
    double Mdot[P][P]; /* d M / d lambda */
    double beta[P];
    double Q;       /* penalised residual sum of squares */
    double dev;     /* profiled REML deviance D(lambda) */
    double dL, d2L; /* derivatives of log|H| */
    double dG, d2G; /* derivatives of log|M| */
    double dQ, d2Q; /* derivatives of Q */
} lmm_point;

typedef struct lmm_work {
    lmm_data data;
    lmm_point pt; /* scratch for the optimiser */
    lmm_point best;
} lmm_work;

/* Fills pt at lambda; with derivs, the first and second lambda-derivatives too.
 * Returns 0, or -1 when X'H^-1 X is not positive definite or Q <= 0. */
static int lmm_eval(const lmm_data *d, double lambda, lmm_point *pt, int derivs)
{
    size_t p = d->p, G = d->G;
    double b[P];
    pt->lambda = lambda;
    memcpy(b, d->wxy, sizeof b);
    for (size_t i = 0; i < p; i++)
        memcpy(pt->M[i], d->W[i], p * sizeof(double));
    double logdet_h = 0.0;
    for (size_t g = 0; g < G; g++) {
        const double *xb = d->xbar + g * p;
        double w = d->size[g] / (1.0 + d->size[g] * lambda);
        logdet_h += log1p(d->size[g] * lambda);
        for (size_t i = 0; i < p; i++) {
            b[i] += w * xb[i] * d->ybar[g];
            for (size_t j = 0; j <= i; j++)
                pt->M[i][j] += w * xb[i] * xb[j];
        }
    }
    for (size_t i = 0; i < p; i++)
        for (size_t j = i + 1; j < p; j++)
            pt->M[i][j] = pt->M[j][i];

    /* Cholesky of M (GSL, on a copy in Minv), then beta and the inverse */
    memcpy(pt->Minv, pt->M, sizeof pt->M);
    gsl_matrix_view l = gsl_matrix_view_array_with_tda(&pt->Minv[0][0], p, p, P);
    if (gsl_linalg_cholesky_decomp1(&l.matrix) != GSL_SUCCESS)
        return -1;
    double logdet_m = 0.0;
    for (size_t i = 0; i < p; i++)
        logdet_m += 2.0 * log(gsl_matrix_get(&l.matrix, i, i));
    gsl_vector_view bv = gsl_vector_view_array(b, p);
    gsl_vector_view beta = gsl_vector_view_array(pt->beta, p);
    if (gsl_linalg_cholesky_solve(&l.matrix, &bv.vector, &beta.vector) != GSL_SUCCESS ||
        gsl_linalg_cholesky_invert(&l.matrix) != GSL_SUCCESS)
        return -1;

    /* Q = within-cluster SS of the residuals + sum_g w_g rbar_g^2: both parts
     * are small sums, not c - b'beta with its large cancelling terms */
    double q = d->wyy;
    for (size_t i = 0; i < p; i++) {
        q -= 2.0 * pt->beta[i] * d->wxy[i];
        for (size_t j = 0; j < p; j++)
            q += pt->beta[i] * d->W[i][j] * pt->beta[j];
    }
    double dl = 0.0, d2l = 0.0, dq = 0.0, d2q = 0.0, dg = 0.0, d2g = 0.0, s[P] = {0};
    double mddot[P][P] = {{0}};
    if (derivs)
        memset(pt->Mdot, 0, sizeof pt->Mdot);
    for (size_t g = 0; g < G; g++) {
        const double *xb = d->xbar + g * p;
        double w = d->size[g] / (1.0 + d->size[g] * lambda), r = d->ybar[g];
        for (size_t i = 0; i < p; i++)
            r -= xb[i] * pt->beta[i];
        q += w * r * r;
        if (!derivs)
            continue;
        double wdot = -w * w, wddot = 2.0 * w * w * w;
        dl += w;
        d2l -= w * w;
        dq += wdot * r * r;
        d2q += wddot * r * r;
        for (size_t i = 0; i < p; i++) {
            s[i] += wdot * xb[i] * r;
            for (size_t j = 0; j <= i; j++) {
                pt->Mdot[i][j] += wdot * xb[i] * xb[j];
                mddot[i][j] += wddot * xb[i] * xb[j];
            }
        }
    }
    if (!(q > 0.0) || !isfinite(q))
        return -1;
    pt->Q = q;
    double rdf = (double)(d->n - p);
    pt->dev = logdet_h + logdet_m + rdf * (1.0 + log(2.0 * M_PI * q / rdf));
    if (!derivs)
        return 0;

    for (size_t i = 0; i < p; i++)
        for (size_t j = i + 1; j < p; j++) {
            pt->Mdot[i][j] = pt->Mdot[j][i];
            mddot[i][j] = mddot[j][i];
        }
    /* K = M^-1 Mdot; d log|M| = tr K, d2 log|M| = tr(M^-1 Mddot) - tr(K K) */
    double k[P][P];
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < p; j++) {
            double a = 0.0, c = 0.0;
            for (size_t m = 0; m < p; m++) {
                a += pt->Minv[i][m] * pt->Mdot[m][j];
                c += pt->Minv[i][m] * mddot[m][j];
            }
            k[i][j] = a;
            if (i == j) {
                dg += a;
                d2g += c;
            }
        }
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < p; j++)
            d2g -= k[i][j] * k[j][i];
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < p; j++)
            d2q -= 2.0 * s[i] * pt->Minv[i][j] * s[j];
    pt->dL = dl;
    pt->d2L = d2l;
    pt->dG = dg;
    pt->d2G = d2g;
    pt->dQ = dq;
    pt->d2Q = d2q;
    return 0;
}

/* dD/dlambda and d2D/dlambda2 of the profiled deviance at an evaluated point. */
static double dprof(const lmm_point *pt, double rdf)
{
    return pt->dL + pt->dG + rdf * pt->dQ / pt->Q;
}

static double d2prof(const lmm_point *pt, double rdf)
{
    return pt->d2L + pt->d2G + rdf * (pt->d2Q / pt->Q - pt->dQ * pt->dQ / (pt->Q * pt->Q));
}

static double rho_to_lambda(double rho)
{
    return rho / (1.0 - rho);
}

/* The deviance as GSL's minimiser sees it, in rho. */
static double dev_at_rho(double rho, void *arg)
{
    lmm_work *w = arg;
    if (lmm_eval(&w->data, rho_to_lambda(rho), &w->pt, 0) != 0)
        return GSL_POSINF;
    return w->pt.dev;
}

/* Gathers n_g, the cluster means and the within-cluster cross-products. */
static pl_status gather(const stats_design *d, const stats_groups *gr, lmm_data *data, pl_err *err)
{
    size_t n = d->n, p = d->p, G = gr->ngroups;
    data->n = n;
    data->p = p;
    data->G = G;
    data->size = calloc(G * (p + 2), sizeof(double));
    if (!data->size)
        return pl_err_set(err, PL_NOMEM, "out of memory for %zu clusters", G);
    data->ybar = data->size + G;
    data->xbar = data->size + 2 * G;
    for (size_t i = 0; i < n; i++) {
        size_t g = gr->of_row[i];
        data->ybar[g] += d->y[i];
        for (size_t j = 0; j < p; j++)
            data->xbar[g * p + j] += d->x[i * p + j];
    }
    for (size_t g = 0; g < G; g++) {
        data->size[g] = (double)gr->size[g];
        data->ybar[g] /= data->size[g];
        for (size_t j = 0; j < p; j++)
            data->xbar[g * p + j] /= data->size[g];
    }
    /* second pass: deviations from the cluster means, so W is accurate */
    for (size_t i = 0; i < n; i++) {
        size_t g = gr->of_row[i];
        double dx[P], dy = d->y[i] - data->ybar[g];
        for (size_t j = 0; j < p; j++)
            dx[j] = d->x[i * p + j] - data->xbar[g * p + j];
        data->wyy += dy * dy;
        for (size_t j = 0; j < p; j++) {
            data->wxy[j] += dx[j] * dy;
            for (size_t k = 0; k <= j; k++)
                data->W[j][k] += dx[j] * dx[k];
        }
    }
    for (size_t j = 0; j < p; j++)
        for (size_t k = j + 1; k < p; k++)
            data->W[j][k] = data->W[k][j];
    return PL_OK;
}

/* Finds the REML lambda into w->best. Sets *boundary when it is 0. */
static pl_status optimise(lmm_work *w, int *boundary, pl_err *err)
{
    /* rho = ICC; dense near both ends, where boundary and degenerate fits live */
    static const double grid[] = {
        0.0,  1e-6, 1e-5, 1e-4, 1e-3, 0.005, 0.01, 0.02,  0.04,  0.06,   0.08,    0.1,     0.12,
        0.15, 0.2,  0.25, 0.3,  0.35, 0.4,   0.45, 0.5,   0.55,  0.6,    0.65,    0.7,     0.75,
        0.8,  0.85, 0.9,  0.93, 0.96, 0.98,  0.99, 0.995, 0.999, 0.9999, 0.99999, 1 - 1e-6};
    const size_t ng = sizeof grid / sizeof grid[0];
    const lmm_data *d = &w->data;
    double rdf = (double)(d->n - d->p), devs[sizeof grid / sizeof grid[0]];
    size_t kbest = 0;
    for (size_t k = 0; k < ng; k++) {
        devs[k] = dev_at_rho(grid[k], w);
        if (k == 0 && !isfinite(devs[0]))
            return pl_err_set(err, PL_INVALID,
                              "the outcome is fitted exactly by the fixed effects: no residual "
                              "variance to model");
        if (devs[k] < devs[kbest])
            kbest = k;
    }
    double top = devs[0];
    for (size_t k = 1; k < ng; k++)
        top = fmax(top, devs[k]);
    /* X spans the cluster indicators (as many cluster-level directions as
     * clusters): REML then uses within-cluster contrasts only, and D is the same
     * for every lambda up to rounding, where an identified fit moves by O(1) */
    if (top - devs[kbest] <= 1e-9 * (1.0 + fabs(devs[kbest])))
        return pl_err_set(err, PL_INVALID,
                          "the cluster variance cannot be estimated: the cluster-level columns "
                          "fit the %zu cluster means exactly (use more clusters or fewer "
                          "cluster-level predictors)",
                          d->G);
    if (kbest == ng - 1)
        return pl_err_set(err, PL_INVALID,
                          "the outcome barely varies within clusters: the residual variance is "
                          "estimated at 0, so a random intercept cannot be fitted");

    double lo = grid[kbest > 0 ? kbest - 1 : 0], hi = grid[kbest + 1], mid = grid[kbest];
    *boundary = 0;
    if (kbest == 0) {
        if (lmm_eval(d, 0.0, &w->best, 1) != 0)
            return pl_err_set(err, PL_INVALID, "the REML deviance cannot be evaluated at 0");
        if (dprof(&w->best, rdf) >= 0.0) {
            *boundary = 1; /* the deviance rises from the boundary: lambda = 0 */
            return PL_OK;
        }
        /* falls from 0 first: a minimum inside (0, grid[1]); find a bracket's middle */
        mid = hi;
        double f0 = devs[0];
        for (int i = 0; i < 60; i++) {
            mid /= 2.0;
            if (dev_at_rho(mid, w) < f0)
                break;
        }
    }

    /* Brent in rho to ~1e-7: function values cannot place a minimum much closer
     * (the deviance is flat there), and pushing on costs evaluations; Newton on
     * the analytic derivative finishes */
    double rho = mid;
    gsl_function f = {dev_at_rho, w};
    gsl_min_fminimizer *s = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent);
    if (!s)
        return pl_err_set(err, PL_NOMEM, "out of memory for the optimiser");
    if (gsl_min_fminimizer_set(s, &f, mid, lo, hi) == GSL_SUCCESS) {
        for (int it = 0; it < 200; it++) {
            if (gsl_min_fminimizer_iterate(s) != GSL_SUCCESS)
                break;
            if (gsl_min_test_interval(gsl_min_fminimizer_x_lower(s), gsl_min_fminimizer_x_upper(s),
                                      1e-10, 1e-7) != GSL_CONTINUE)
                break;
        }
        rho = gsl_min_fminimizer_x_minimum(s);
    } /* else: a flat bracket (f(mid) ties an end): Newton starts from the grid point */
    gsl_min_fminimizer_free(s);

    double lambda = rho_to_lambda(rho);
    if (lmm_eval(d, lambda, &w->best, 1) != 0)
        return pl_err_set(err, PL_INVALID, "the REML deviance cannot be evaluated at its minimum");
    for (int it = 0; it < 20; it++) {
        double g1 = dprof(&w->best, rdf), g2 = d2prof(&w->best, rdf);
        if (!(g2 > 0.0))
            break;
        double next = lambda - g1 / g2;
        if (next <= 0.0 || lmm_eval(d, next, &w->pt, 1) != 0 ||
            !(fabs(dprof(&w->pt, rdf)) < fabs(g1)))
            break; /* only steps that shrink the score are kept */
        w->best = w->pt;
        int converged = fabs(next - lambda) <= 4.0 * DBL_EPSILON * next;
        lambda = next;
        if (converged)
            break;
    }
    return PL_OK;
}

/* A = 2 pinv(h) over the eigenvalues above EIGEN_TOL, for a symmetric 2 x 2 h. */
static void vcov_varpar(const double h[2][2], double a[2][2])
{
    double tr = h[0][0] + h[1][1], half = 0.5 * (h[0][0] - h[1][1]);
    double rad = sqrt(half * half + h[0][1] * h[0][1]);
    double ev[2] = {0.5 * tr + rad, 0.5 * tr - rad}, vec[2][2];
    if (h[0][1] == 0.0) {
        /* diagonal: the eigenvectors are the axes, in the order of ev */
        int first = h[0][0] >= h[1][1] ? 0 : 1;
        vec[0][0] = first == 0;
        vec[0][1] = first == 1;
        vec[1][0] = first == 1;
        vec[1][1] = first == 0;
    } else {
        for (int i = 0; i < 2; i++) {
            double x = h[0][1], y = ev[i] - h[0][0], len = hypot(x, y);
            vec[i][0] = x / len;
            vec[i][1] = y / len;
        }
    }
    memset(a, 0, 4 * sizeof(double));
    for (int i = 0; i < 2; i++)
        if (ev[i] > EIGEN_TOL)
            for (int r = 0; r < 2; r++)
                for (int c = 0; c < 2; c++)
                    a[r][c] += 2.0 * vec[i][r] * vec[i][c] / ev[i];
}

pl_status stats_lmm_fit(const stats_design *d, stats_lmm *out, pl_err *err)
{
    stats_gsl_init();
    memset(out, 0, sizeof *out);
    pl_status st = stats_design_check(d, 1, err);
    if (st != PL_OK)
        return st;
    size_t n = d->n, p = d->p;
    stats_groups groups = {0};
    gsl_matrix *qr = NULL;
    gsl_vector *tau = NULL;
    lmm_work *w = NULL;

    if ((st = stats_groups_build(d->cluster, n, &groups, err)) != PL_OK)
        goto fail;
    if (groups.ngroups < STATS_CLUSTERS_MIN) {
        st = pl_err_set(err, PL_INVALID,
                        "a random intercept needs at least %d clusters; there are %zu",
                        STATS_CLUSTERS_MIN, groups.ngroups);
        goto fail;
    }
    if (groups.ngroups >= n) {
        st = pl_err_set(err, PL_INVALID,
                        "every cluster has a single row (%zu clusters, %zu rows): the random "
                        "intercept cannot be told from the residual",
                        groups.ngroups, n);
        goto fail;
    }
    /* X must have full column rank; the factorisation itself is not needed */
    if ((st = stats_qr_full_rank(d, &qr, &tau, err)) != PL_OK)
        goto fail;
    gsl_matrix_free(qr);
    gsl_vector_free(tau);
    qr = NULL;
    tau = NULL;

    w = calloc(1, sizeof *w);
    if (!w) {
        st = pl_err_set(err, PL_NOMEM, "out of memory for the mixed model");
        goto fail;
    }
    if ((st = gather(d, &groups, &w->data, err)) != PL_OK)
        goto fail;
    int boundary = 0;
    if ((st = optimise(w, &boundary, err)) != PL_OK)
        goto fail;

    const lmm_point *b = &w->best;
    double rdf = (double)(n - p), lambda = boundary ? 0.0 : b->lambda;
    double s2 = b->Q / rdf, sigma = sqrt(s2), theta = sqrt(lambda);

    /* Hessian of the REML deviance in (theta, sigma), via lambda = theta^2 */
    double s1 = b->dL + b->dG + b->dQ / s2, s2nd = b->d2L + b->d2G + b->d2Q / s2;
    double h[2][2], a[2][2];
    h[0][0] = 2.0 * s1 + 4.0 * lambda * s2nd;
    h[0][1] = h[1][0] = -4.0 * theta * b->dQ / (s2 * sigma);
    h[1][1] = 6.0 * b->Q / (s2 * s2) - 2.0 * rdf / s2;
    vcov_varpar(h, a);

    for (size_t j = 0; j < p; j++) {
        double mjj = b->Minv[j][j], v = s2 * mjj;
        /* d v / d theta = -s2 [M^-1 (2 theta Mdot) M^-1]_jj; d v / d sigma = 2 sigma [M^-1]_jj */
        double quad = 0.0;
        for (size_t k = 0; k < p; k++)
            for (size_t l = 0; l < p; l++)
                quad += b->Minv[j][k] * b->Mdot[k][l] * b->Minv[l][j];
        double g0 = -2.0 * theta * s2 * quad, g1 = 2.0 * sigma * mjj;
        double gag = g0 * (a[0][0] * g0 + a[0][1] * g1) + g1 * (a[1][0] * g0 + a[1][1] * g1);
        stats_coef *c = &out->coef[j];
        c->estimate = b->beta[j];
        c->se = sqrt(v);
        c->t = c->estimate / c->se;
        c->df = 2.0 * v * v / gag;
        c->p = stats_t_p2(c->t, c->df);
    }
    out->n = n;
    out->p = p;
    out->nclusters = groups.ngroups;
    out->var_resid = s2;
    out->var_cluster = lambda * s2;
    out->icc = lambda / (1.0 + lambda);
    out->theta = theta;
    out->reml_crit = b->dev;
    out->singular = theta < SINGULAR_THETA;
    if (out->singular)
        snprintf(out->note, sizeof out->note,
                 "boundary (singular) fit: the cluster variance is estimated at %s0, so the "
                 "estimates equal ordinary least squares",
                 boundary ? "" : "about ");
    st = PL_OK;
fail:
    if (w)
        free(w->data.size);
    free(w);
    gsl_matrix_free(qr);
    gsl_vector_free(tau);
    stats_groups_free(&groups);
    if (st != PL_OK)
        memset(out, 0, sizeof *out);
    return st;
}
