/*
 * implementation.h - implementation ratings: how well a community (or CHC)
 * delivered the program in a period, as a rater scores it.
 *
 * A program rates a list of features (IMPL_FEATURES_MAX at most); the
 * default list is the ten of impl_default_features (after the Shanghai
 * program's development phase; docs/IMPLEMENTATION.md). Each feature is
 * scored 1-5; the rating's level is derived from the mean of the scores:
 * low below 3, medium from 3 to below 4, high from 4 (peerlink defaults).
 * Pure functions, no I/O.
 */
#ifndef PL_CORE_IMPLEMENTATION_H
#define PL_CORE_IMPLEMENTATION_H

#include "status.h"

#define IMPL_FEATURES_MAX 32
#define IMPL_SCORE_MIN    1
#define IMPL_SCORE_MAX    5

typedef struct impl_feature {
    const char *code;  /* stable, e.g. "regular_contact" */
    const char *label; /* English */
} impl_feature;

/* The default feature list, NULL-terminated by code. */
extern const impl_feature impl_default_features[];

typedef enum impl_level { IMPL_LOW, IMPL_MEDIUM, IMPL_HIGH, IMPL_LEVEL__COUNT } impl_level;

/* "low", "medium", "high"; NULL when out of range. */
const char *impl_level_name(impl_level l);
/* The level of a mean score (1-5); PL_INVALID outside that range or NaN. */
pl_status impl_level_of(double mean, impl_level *out);

/*
 * Checks n scores against nfeatures features (one each, 1-5), reporting
 * each bad one as a field error "scores[i]", and computes their mean.
 */
pl_status impl_scores_check(const int *scores, int n, int nfeatures, double *mean, pl_err *err);

#endif
