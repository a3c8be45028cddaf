/*
 * store_eval.h - the storage interface of the evaluation layer (src/eval):
 * studies (a program's evaluation design: assessment waves, recruitment
 * targets, an arm per community) and the streaming reads the outcome report
 * and the research exports are computed from. Implemented by sqlite_eval.c;
 * kept apart from store.h so that the evaluation's part of the interface is
 * found in one place.
 *
 * The analysis reads stream rows to a callback in batches rather than
 * filling arena lists: a program of 1,000,000 participants has 20,000,000
 * and more readings. Each runs on one covering index range, in the order
 * the callback is promised (docs/EVALUATION.md, "Reading the data").
 */
#ifndef PL_STORE_STORE_EVAL_H
#define PL_STORE_STORE_EVAL_H

#include "store.h"

/* ---- studies ------------------------------------------------------------ */

#define STORE_STUDY_WAVES_MAX 12

typedef struct store_study_wave {
    int month;       /* months after each participant's enrolment: 0, 6, 12 ... */
    int window_days; /* a reading counts for the wave within +- this many days */
} store_study_wave;

typedef struct store_study {
    pl_id id;
    pl_id program_id;
    const char *name;
    const char *description;   /* NULL when none */
    const char *allocation;    /* "none", "entered", "imported", "randomised", "org_units" */
    int64_t seed;              /* randomised: the seed drawn with; 0 otherwise */
    double subgroup_threshold; /* HbA1c (%) at or above which a participant is in the subgroup */
    int target_intervention;   /* recruitment targets; -1 when not set */
    int target_control;
    int nwaves;
    store_study_wave waves[STORE_STUDY_WAVES_MAX]; /* ascending month */
    pl_id created_by;                              /* 0 when created from the command line */
    pl_time created_at;
    pl_time updated_at;
    int version;
} store_study;

typedef struct store_study_arm {
    pl_id unit_id; /* a community of the study's program */
    pl_arm arm;    /* PL_ARM_INTERVENTION or PL_ARM_CONTROL */
} store_study_arm;

/* Inserts the study and its waves (allocation "none", version 1); sets st->id. */
pl_status store_study_insert(store_tx *tx, store_study *st, pl_err *err);
pl_status store_study_get(store *s, pl_id id, pl_arena *a, store_study *out, pl_err *err);
pl_status store_tx_study_get(store_tx *tx, pl_id id, pl_arena *a, store_study *out, pl_err *err);
/* Studies whose program lies in the subtree of scope_unit (0: all), key-paged by id. */
pl_status store_study_list(store *s, pl_id scope_unit, store_page pg, pl_arena *a,
                           store_study **items, int *n, pl_err *err);

/*
 * Replaces every arm of the study by arms[0..n) and records how they were
 * allocated (and the seed, for "randomised"); increments the version.
 * PL_STALE when the study's version is no longer expected_version.
 */
pl_status store_study_arms_set(store_tx *tx, pl_id study_id, const store_study_arm *arms, int n,
                               const char *allocation, int64_t seed, int expected_version,
                               pl_err *err);
/* The study's arms, ascending unit id, in the arena. */
pl_status store_study_arms_get(store *s, pl_id study_id, pl_arena *a, store_study_arm **arms,
                               int *n, pl_err *err);

/* ---- the program's units ------------------------------------------------ */

typedef struct store_eval_unit {
    pl_id id;
    pl_id parent_id; /* 0 for the program */
    pl_org_kind kind;
    const char *code; /* NULL when none */
    const char *name;
    pl_arm arm; /* the org unit's own arm field */
} store_eval_unit;

/* Every unit of the program (the program itself included), ascending id, in the arena. */
pl_status store_eval_units(store *s, pl_id program_id, pl_arena *a, store_eval_unit **items, int *n,
                           pl_err *err);

/* ---- streaming analysis reads -------------------------------------------- */

#define STORE_EVAL_BATCH 4096 /* rows per callback */

typedef struct store_eval_participant {
    pl_id id;
    pl_id home_unit_id;
    pl_date enrol_date;
    pl_enrol_status status;
    pl_date status_date; /* PL_DATE_NONE when none */
    pl_sex sex;
    pl_date birth_date; /* PL_DATE_NONE when unknown */
} store_eval_participant;

typedef pl_status (*store_eval_participant_fn)(void *ctx, const store_eval_participant *rows, int n,
                                               pl_err *err);

/* The program's participants in ascending id, in batches; sex and birth date only when
 * with_person (the join with person costs a look-up per participant), else unknown. */
pl_status store_eval_participants(store *s, pl_id program_id, bool with_person,
                                  store_eval_participant_fn fn, void *ctx, pl_err *err);

typedef struct store_eval_reading {
    pl_id participant_id;
    int analyte; /* index into the caller's analyte list */
    pl_time at;
    double value; /* canonical unit (measurements) or score (questionnaires) */
} store_eval_reading;

typedef pl_status (*store_eval_reading_fn)(void *ctx, const store_eval_reading *rows, int n,
                                           pl_err *err);

/*
 * Measurements of participants first_id..last_id whose analyte is one of
 * analytes[0..nanalytes) (at most 16), ordered by participant, analyte, time
 * and id: one range scan of the covering index
 * measurement_participant(participant_id, analyte, effective_at, value).
 */
pl_status store_eval_measurements(store *s, pl_id first_id, pl_id last_id,
                                  const char *const *analytes, int nanalytes,
                                  store_eval_reading_fn fn, void *ctx, pl_err *err);

/* Scored questionnaires of participants first_id..last_id whose instrument is one of
 * instruments[0..n), ordered by participant, then id (not by time). */
pl_status store_eval_questionnaires(store *s, pl_id first_id, pl_id last_id,
                                    const char *const *instruments, int ninstruments,
                                    store_eval_reading_fn fn, void *ctx, pl_err *err);

typedef struct store_eval_contact {
    pl_id participant_id;
    pl_time at;
    bool session; /* attendance at a group session (a contact linked to the session) */
} store_eval_contact;

typedef pl_status (*store_eval_contact_fn)(void *ctx, const store_eval_contact *rows, int n,
                                           pl_err *err);

/* Contacts of participants first_id..last_id ordered by participant and time, voided ones left
 * out (the covering index contact_participant). */
pl_status store_eval_contacts(store *s, pl_id first_id, pl_id last_id, store_eval_contact_fn fn,
                              void *ctx, pl_err *err);

/*
 * Ends the calling thread's use of the store: its reader connection (made by
 * its first read) is closed. A worker thread that read through the store
 * calls this before it ends, or the connection would stay open until
 * store_close.
 */
void store_eval_thread_done(store *s);

/*
 * What a cached report depends on, read in microseconds: the largest ids of
 * the insert-only tables (participant, measurement, contact, questionnaire
 * response, org unit), a counter every participant update bumps, and the
 * study's version. Equal fingerprints: the same data.
 */
typedef struct store_eval_fingerprint {
    int64_t v[7];
} store_eval_fingerprint;

pl_status store_eval_fingerprint_get(store *s, pl_id study_id, store_eval_fingerprint *out,
                                     pl_err *err);

#endif
