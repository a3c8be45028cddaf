/*
 * implementation.c - implementation ratings: the default features, score
 * checks and the level rule (implementation.h, docs/IMPLEMENTATION.md).
 */
#include "implementation.h"

#include <math.h>
#include <stdio.h>

const impl_feature impl_default_features[] = {
    {"regular_contact", "Peer leaders keep regular contact with their participants"},
    {"group_activities", "Group sessions and activities are held as planned"},
    {"daily_management", "Help with daily management: diet, activity, medicines"},
    {"social_emotional", "Social and emotional support"},
    {"clinical_linkage", "Linkage to clinical care and the CHC"},
    {"community_linkage", "Linkage to community resources"},
    {"ongoing_support", "Support is ongoing and proactive"},
    {"training_supervision", "Peer leaders are trained and supervised"},
    {"chc_involvement", "CHC doctors and staff take part"},
    {"records_review", "Records are kept and reviewed"},
    {NULL, NULL},
};

static const char *const level_names[IMPL_LEVEL__COUNT] = {"low", "medium", "high"};

const char *impl_level_name(impl_level l)
{
    return (int)l >= 0 && l < IMPL_LEVEL__COUNT ? level_names[l] : NULL;
}

pl_status impl_level_of(double mean, impl_level *out)
{
    if (!(mean >= IMPL_SCORE_MIN && mean <= IMPL_SCORE_MAX))
        return PL_INVALID;
    *out = mean < 3.0 ? IMPL_LOW : mean < 4.0 ? IMPL_MEDIUM : IMPL_HIGH;
    return PL_OK;
}

pl_status impl_scores_check(const int *scores, int n, int nfeatures, double *mean, pl_err *err)
{
    int before = err->nfields + err->truncated;
    if (n != nfeatures)
        pl_err_field(err, "scores", "must have %d scores, one per feature in order (got %d)",
                     nfeatures, n);
    double sum = 0;
    for (int i = 0; i < n; i++) {
        if (scores[i] < IMPL_SCORE_MIN || scores[i] > IMPL_SCORE_MAX) {
            char field[32];
            snprintf(field, sizeof field, "scores[%d]", i);
            pl_err_field(err, field, "must be between %d and %d", IMPL_SCORE_MIN, IMPL_SCORE_MAX);
        }
        sum += scores[i];
    }
    if (err->nfields + err->truncated != before)
        return pl_err_set(err, PL_INVALID, "the rating is not valid");
    *mean = n ? sum / n : NAN;
    return PL_OK;
}
