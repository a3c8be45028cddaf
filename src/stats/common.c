/*
 * common.c - what the stats files share: GSL's error handler, the checks of
 * a design, the QR rank check, cluster grouping and t-distribution helpers.
 *
 * Rank: X is copied and factored by Householder QR without pivoting, so
 * |R_jj| is the length of the part of column j that the columns before it
 * cannot explain. A column is refused when that is at most 1e-7 of the
 * column's own length: the same relative tolerance R's lm() uses, and it
 * names the column to the user rather than silently dropping it as R does.
 *
 * Clusters: the ids are sorted (a copy of id and row) and numbered in order,
 * so rows may come in any order and ids may be any 64-bit values.
 */
#include "internal.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

static pthread_once_t gsl_once = PTHREAD_ONCE_INIT;

static void gsl_quiet(void)
{
    /* GSL's default handler calls abort(): a server must get an error code instead */
    gsl_set_error_handler_off();
}

void stats_gsl_init(void)
{
    pthread_once(&gsl_once, gsl_quiet);
}

double stats_t_p2(double t, double df)
{
    return 2.0 * gsl_cdf_tdist_Q(fabs(t), df);
}

double stats_t_q975(double df)
{
    return gsl_cdf_tdist_Pinv(0.975, df);
}

const char *stats_col_name(const stats_design *d, size_t j, char *buf, size_t n)
{
    if (d->names && d->names[j])
        return d->names[j];
    snprintf(buf, n, "column %zu", j + 1);
    return buf;
}

pl_status stats_design_check(const stats_design *d, int need_clusters, pl_err *err)
{
    char name[32];
    if (!d || !d->x || !d->y)
        return pl_err_set(err, PL_INVALID, "the design has no data");
    if (d->p == 0)
        return pl_err_set(err, PL_INVALID, "the design has no columns");
    if (d->p > STATS_COLS_MAX)
        return pl_err_set(err, PL_LIMIT, "the design has %zu columns; at most %d are supported",
                          d->p, STATS_COLS_MAX);
    if (d->n > STATS_CELLS_MAX / d->p)
        return pl_err_set(err, PL_LIMIT,
                          "the design has %zu rows x %zu columns; at most %u cells are supported",
                          d->n, d->p, STATS_CELLS_MAX);
    if (d->n <= d->p)
        return pl_err_set(err, PL_INVALID,
                          "%zu rows cannot estimate %zu coefficients: need more rows than "
                          "columns",
                          d->n, d->p);
    if (need_clusters && !d->cluster)
        return pl_err_set(err, PL_INVALID, "the model needs a cluster id for every row");
    for (size_t i = 0; i < d->n; i++) {
        if (!isfinite(d->y[i]))
            return pl_err_set(err, PL_INVALID,
                              "row %zu: the outcome is missing or not finite (drop incomplete "
                              "rows first)",
                              i + 1);
        for (size_t j = 0; j < d->p; j++)
            if (!isfinite(d->x[i * d->p + j]))
                return pl_err_set(err, PL_INVALID,
                                  "row %zu: %s is missing or not finite (drop incomplete rows "
                                  "first)",
                                  i + 1, stats_col_name(d, j, name, sizeof name));
    }
    return PL_OK;
}

pl_status stats_qr_full_rank(const stats_design *d, gsl_matrix **qr, gsl_vector **tau, pl_err *err)
{
    char name[32];
    size_t n = d->n, p = d->p;
    double norm[STATS_COLS_MAX] = {0};
    pl_status st = PL_OK;
    gsl_matrix *a = gsl_matrix_alloc(n, p);
    gsl_vector *t = gsl_vector_alloc(p);
    if (!a || !t) {
        st = pl_err_set(err, PL_NOMEM, "out of memory for a %zu x %zu design", n, p);
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++) {
            double v = d->x[i * p + j];
            gsl_matrix_set(a, i, j, v);
            norm[j] += v * v;
        }
    for (size_t j = 0; j < p; j++)
        if (norm[j] == 0.0) {
            st = pl_err_set(err, PL_INVALID,
                            "%s is zero in every row (an empty cell?): its coefficient "
                            "cannot be estimated",
                            stats_col_name(d, j, name, sizeof name));
            goto fail;
        }
    if (gsl_linalg_QR_decomp(a, t) != GSL_SUCCESS) {
        st = pl_err_set(err, PL_INVALID, "the QR decomposition of the design failed");
        goto fail;
    }
    for (size_t j = 0; j < p; j++)
        if (fabs(gsl_matrix_get(a, j, j)) <= 1e-7 * sqrt(norm[j])) {
            st = pl_err_set(err, PL_INVALID,
                            "the design is rank-deficient: %s is a linear combination of the "
                            "columns before it (collinear predictors or an empty cell)",
                            stats_col_name(d, j, name, sizeof name));
            goto fail;
        }
    *qr = a;
    *tau = t;
    return PL_OK;
fail:
    gsl_matrix_free(a);
    gsl_vector_free(t);
    return st;
}

typedef struct id_row {
    int64_t id;
    size_t row;
} id_row;

static int cmp_id_row(const void *a, const void *b)
{
    const id_row *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

pl_status stats_groups_build(const int64_t *ids, size_t n, stats_groups *g, pl_err *err)
{
    pl_status st = PL_OK;
    id_row *sorted = malloc(n * sizeof *sorted);
    g->ngroups = 0;
    g->of_row = malloc(n * sizeof *g->of_row);
    g->size = NULL;
    if (!sorted || !g->of_row) {
        st = pl_err_set(err, PL_NOMEM, "out of memory grouping %zu rows by cluster", n);
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        sorted[i] = (id_row){ids[i], i};
    qsort(sorted, n, sizeof *sorted, cmp_id_row);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && sorted[i].id != sorted[i - 1].id)
            g->ngroups++;
        g->of_row[sorted[i].row] = g->ngroups;
    }
    g->ngroups += n > 0;
    g->size = calloc(g->ngroups ? g->ngroups : 1, sizeof *g->size);
    if (!g->size) {
        st = pl_err_set(err, PL_NOMEM, "out of memory grouping %zu rows by cluster", n);
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        g->size[g->of_row[i]]++;
    free(sorted);
    return PL_OK;
fail:
    free(sorted);
    stats_groups_free(g);
    return st;
}

void stats_groups_free(stats_groups *g)
{
    free(g->of_row);
    free(g->size);
    g->of_row = NULL;
    g->size = NULL;
    g->ngroups = 0;
}
