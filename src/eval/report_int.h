/*
 * report_int.h - the computed report, shared by report.c (which fills it)
 * and render.c (which writes it as JSON, HTML or CSV). Internal to src/eval.
 *
 * Every section either holds its numbers (ok) or a message for a person
 * saying why there are none: a statistic the stats layer refused, a
 * comparison that needs two arms, an empty cell. Only aggregates live here;
 * nothing identifies a participant.
 */
#ifndef PL_EVAL_REPORT_INT_H
#define PL_EVAL_REPORT_INT_H

#include "eval.h"
#include "stats/stats.h"

#define RP_MSG       256
#define RP_TERMS_MAX 4
#define RP_GOALS     3

typedef struct rp_desc {
    bool ok;
    size_t n;
    double mean, sd, ci_lo, ci_hi; /* t-based 95 % interval of the mean (n >= 2) */
    double median, q1, q3;
    char msg[RP_MSG];
} rp_desc;

typedef struct rp_change {
    size_t n; /* complete pairs: baseline and last wave */
    double base_mean, last_mean;
    bool t_ok;
    stats_ttest t; /* last - baseline */
    char t_msg[RP_MSG];
    bool w_ok;
    stats_signrank w;
    char w_msg[RP_MSG];
} rp_change;

typedef struct rp_fit {
    bool ok;
    char msg[RP_MSG]; /* why it was not computed, when !ok */
    const char *formula;
    bool lmm;    /* mixed model (else OLS) */
    bool robust; /* OLS with cluster-robust SEs */
    size_t n, nclusters;
    int p;
    const char *terms[RP_TERMS_MAX];
    stats_coef coef[RP_TERMS_MAX];
    double ci_lo[RP_TERMS_MAX], ci_hi[RP_TERMS_MAX];
    double var_cluster, var_resid, icc;
    bool singular;
    char note[192];
} rp_fit;

typedef struct rp_goal {
    int64_t met[EVAL_GROUPS_MAX], n[EVAL_GROUPS_MAX];
    bool tested; /* two arms with values */
    bool ok;
    bool fisher; /* an expected count below 5: Fisher's exact test */
    stats_chisq chisq;
    double p; /* of the test used */
    char msg[RP_MSG];
} rp_goal;

typedef struct rp_outcome {
    bool present;
    size_t n_any; /* participants with a value at any wave */
    rp_desc desc[EVAL_GROUPS_MAX][EVAL_WAVES_MAX];
    rp_change change[EVAL_GROUPS_MAX];
    bool has_subgroup;
    double threshold;
    rp_change sub[EVAL_GROUPS_MAX];
    rp_fit icc_base, ancova, did, dose, dose_sessions, impl;
    bool has_goals;
    rp_goal goals[RP_GOALS][EVAL_WAVES_MAX];
} rp_outcome;

/* The implementation ratings of the group the association is fitted in (intervention, or all). */
typedef struct rp_impl {
    int communities; /* of the group, with participants */
    int rated;       /* of those, with a rating in the study period */
    int ratings;
    double mean, lo, hi; /* over the rated communities' mean ratings */
} rp_impl;

extern const char *const rp_goal_labels[RP_GOALS]; /* "< 7 %", "< 8 %", "> 9 %" */
extern const char *const rp_goal_keys[RP_GOALS];   /* "lt7", "lt8", "gt9" */

struct eval_report {
    pl_arena arena; /* the strings below */
    pl_id study_id;
    const char *study_name;
    const char *study_description;
    pl_id program_id;
    const char *program_name;
    const char *program_code;
    const char *allocation;
    int64_t seed;
    int nwaves;
    store_study_wave waves[EVAL_WAVES_MAX];
    double threshold;
    bool has_arms;
    int ngroups;
    pl_arm group_arm[EVAL_GROUPS_MAX];
    int nclusters[EVAL_GROUPS_MAX]; /* communities with participants, per group */
    size_t n;
    size_t not_allocated;
    eval_flow flow;
    rp_outcome out[EVAL_OUTCOME__COUNT];
    rp_impl impl;
    char implementation[2 * RP_MSG]; /* the implementation section's summary, for people */
    char methods[6144];
    pl_time generated_at;
    double seconds; /* eval_report_build's time */
};

/* "intervention", "control" or "all" */
const char *rp_group_name(const eval_report *r, int g);

#endif
