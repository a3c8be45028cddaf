/*
 * instrument.h - the questionnaires peerlink scores: DDS-17, DDS2, PHQ-9,
 * PHQ-8, PHQ-2 and the Stanford diabetes self-efficacy scale.
 *
 * One table row per instrument carries its items, answer range, scoring
 * (sum or mean), bands, subscales, missing-item rule, LOINC codes where
 * LOINC has them, and short item labels in English, Spanish and Chinese.
 * instrument_score() is pure: no I/O, no allocation. Answers are given in
 * item order, -1 for an item not answered. A wrong number of answers or an
 * answer out of range is refused (PL_INVALID, one field error per answer,
 * "answers[3]": item 4, zero-based like every JSON path); too many missing
 * answers is not an error but a result with scored = false. The rules and
 * their references are in instrument.c and docs/INSTRUMENTS.md.
 */
#ifndef PL_CORE_INSTRUMENT_H
#define PL_CORE_INSTRUMENT_H

#include <stdbool.h>

#include "status.h"

typedef enum instrument_id {
    INSTR_DDS17,
    INSTR_DDS2,
    INSTR_PHQ9,
    INSTR_PHQ8,
    INSTR_PHQ2,
    INSTR_SES8,
    INSTR__COUNT
} instrument_id;

#define INSTR_ITEMS_MAX     17
#define INSTR_SUBSCALES_MAX 4
#define INSTR_BANDS_MAX     5
#define INSTR_MISSING       (-1) /* an item not answered */

/* A short neutral label for an item, not the instrument's own wording. */
typedef struct instrument_label {
    const char *en;
    const char *es;
    const char *zh; /* zh-CN, simplified */
} instrument_label;

/* A score at or above `lo` (and below the next band's lo) falls in `name`. */
typedef struct instrument_band {
    double lo;
    const char *name;
} instrument_band;

typedef struct instrument_subscale_def {
    const char *name;
    int nitems;
    unsigned char items[INSTR_ITEMS_MAX]; /* one-based item numbers */
} instrument_subscale_def;

typedef struct instrument_def {
    instrument_id id;
    const char *code;        /* "phq9": stable, used in the API and exports */
    const char *name;        /* "PHQ-9" */
    const char *loinc_panel; /* NULL where LOINC has no code (or none verified) */
    const char *loinc_total;
    int nitems;
    int item_min, item_max;
    bool mean;            /* score is the mean of the answered items, else the (prorated) sum */
    int max_missing;      /* most items that may be missing and still give a score */
    int min_answered_pct; /* and at least this share answered, in total and per subscale */
    double positive_at;   /* positive screen at score >= this; 0: not a screen */
    int safety_item;      /* one-based item whose answer > 0 is urgent; 0: none */
    int nbands;           /* 0: no published bands */
    instrument_band bands[INSTR_BANDS_MAX];
    int nsubscales;
    instrument_subscale_def subscales[INSTR_SUBSCALES_MAX];
    const instrument_label *labels; /* nitems entries */
} instrument_def;

typedef struct instrument_subscale_result {
    const char *name;
    bool scored;
    double score; /* mean of the answered items of the subscale */
    int answered;
    const char *band; /* NULL when not scored */
} instrument_subscale_result;

typedef struct instrument_result {
    const instrument_def *def;
    bool scored;      /* false when too many items are missing */
    double score;     /* PHQ: total (prorated and rounded if items are missing); others: mean */
    int answered;     /* items answered */
    int raw_sum;      /* sum of the answered items */
    bool prorated;    /* a sum instrument scored with items missing */
    const char *band; /* stable lower-case name, e.g. "moderately_severe"; NULL if none */
    bool positive_screen;
    bool urgent;              /* PHQ-9 item 9 answered above 0 */
    bool safety_item_missing; /* PHQ-9 item 9 left blank: ask it again, never assume 0 */
    int nsubscales;
    instrument_subscale_result subscales[INSTR_SUBSCALES_MAX];
} instrument_result;

/* The instrument with this code ("dds17", "dds2", "phq9", "phq8", "phq2", "stanford_ses"), or
 * NULL. */
const instrument_def *instrument_find(const char *code);
/* The instrument with this id, or NULL. */
const instrument_def *instrument_get(instrument_id id);

/* Label of one-based item `item` in lang "en", "es" or "zh-CN" (English for any other); NULL
 * when there is no such item. */
const char *instrument_item_label(const instrument_def *d, int item, const char *lang);

/*
 * Scores n answers (item order, INSTR_MISSING for a blank). PL_OK fills *out
 * (check out->scored); PL_INVALID when d or answers is NULL, n is not the
 * instrument's item count, or an answer is out of range, with a field error
 * per fault, and *out is left zeroed.
 */
pl_status instrument_score(const instrument_def *d, const int *answers, int n,
                           instrument_result *out, pl_err *err);

#endif
