/*
 * internal.h - helpers shared by the files of src/stats; not part of the API.
 *
 * Checking a design (sizes, ceilings, NaN), the QR rank check both
 * regressions make, mapping arbitrary cluster ids to 0..G-1, and the
 * two-sided t p-value. They keep the stats_ prefix because they are
 * external symbols of the plstats library.
 */
#ifndef PL_STATS_INTERNAL_H
#define PL_STATS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "stats.h"

/* Turns GSL's abort-on-error handler off, once per process. */
void stats_gsl_init(void);

/* Two-sided p-value of t with df degrees of freedom. */
double stats_t_p2(double t, double df);

/* Upper 97.5 % quantile of t with df degrees of freedom (95 % intervals). */
double stats_t_q975(double df);

/* Column j's name for messages: names[j], or "column j+1". */
const char *stats_col_name(const stats_design *d, size_t j, char *buf, size_t n);

/* Checks sizes against the ceilings, finite values everywhere, n > p, and
 * clusters present when need_clusters. */
pl_status stats_design_check(const stats_design *d, int need_clusters, pl_err *err);

/* Householder QR of a copy of X. PL_OK with *qr (n x p, owned by the caller:
 * gsl_matrix_free) and *tau (gsl_vector_free) when X has full column rank;
 * PL_INVALID naming the first column that is zero or within a relative 1e-7
 * of the span of the columns before it (R's lm tolerance). */
pl_status stats_qr_full_rank(const stats_design *d, gsl_matrix **qr, gsl_vector **tau, pl_err *err);

/* Sorts v[0..n) ascending (no NaN), as qsort with a numeric comparison would: an LSD radix
 * sort on the IEEE bits, O(n) (falls back to qsort when its buffer cannot be allocated). */
void stats_sort_doubles(double *v, size_t n);

/* Sorts n records of `size` bytes whose first 8 bytes are a double key >= 0 (stable radix
 * sort by the key; qsort by the key when the buffer cannot be allocated). */
void stats_sort_by_nonneg_key(void *base, size_t n, size_t size);

/* Rows grouped by cluster id: of_row[i] in 0..ngroups-1, size[g] rows in group g.
 * Groups are numbered in increasing id order. Both arrays are heap, owned by
 * the struct: stats_groups_free. */
typedef struct stats_groups {
    size_t ngroups;
    size_t *of_row;
    size_t *size;
} stats_groups;

pl_status stats_groups_build(const int64_t *ids, size_t n, stats_groups *g, pl_err *err);
void stats_groups_free(stats_groups *g);

#endif
