/*
 * demo.h - the deterministic demo and benchmark population generator.
 *
 * demo_generate() writes two programs into an empty store from a seed:
 *  - "Shanghai Integration Model" shaped like the expansion study: 6
 *    districts, 16 communities (12 intervention, 4 control), a CHC and a
 *    Residential Committee in each, ~100 peer leaders, 2,160 participants
 *    (120 per intervention community, 180 per control community), 12 months
 *    of contacts and monthly group sessions (intervention arm), and HbA1c,
 *    blood pressure, lipids and weight at months 0, 6 and 12 with plausible
 *    distributions and a modest intervention effect;
 *  - "Mi Salud Es Primero", a smaller English/Spanish program with
 *    promotores and a high-need tier (skipped when participants is set);
 *  - for both (not with participants set): a community resource directory
 *    each and referrals in every state of the closed loop (demo_resources.h).
 * With opt->participants > 0 only the Shanghai-shaped program is built, scaled to that
 * many participants (communities and peer leaders grow in proportion), for
 * city-scale benchmarks. The same seed always gives the same data.
 */
#ifndef PL_CLI_DEMO_H
#define PL_CLI_DEMO_H

#include <stdint.h>

#include "store/store.h"

typedef struct demo_options {
    uint64_t seed;      /* 0 means 20261123 */
    int participants;   /* 0: the two reference-shaped programs */
    pl_date start_date; /* first enrolment day; PL_DATE_NONE: 445 days before today, so 60 days
                           of enrolment and 12 months of follow-up are complete */
    bool with_accounts; /* create the demo staff logins (slow: argon2id) */
    /* called after each committed batch; may be NULL */
    void (*progress)(void *ctx, int64_t done, int64_t total);
    void *progress_ctx;
} demo_options;

typedef struct demo_login {
    const char *username;
    const char *password;
    const char *role;
} demo_login;

/* The demo logins created when with_accounts is set (static strings), terminated by {NULL}. */
const demo_login *demo_logins(void);

pl_status demo_generate(store *s, const demo_options *opt, pl_err *err);

#endif
