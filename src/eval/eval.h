/*
 * eval.h - the evaluation layer: study design, the analysis data set, the
 * outcome report and the de-identified research exports (docs/EVALUATION.md).
 *
 * It sits on core, store (store_eval.h) and stats, and is used by api and
 * cli (scripts/check-source keeps it that way). Its parts:
 *
 *  - design: the assessment-wave rule (which reading counts for a wave),
 *    wave validation and the seeded cluster randomisation stratified by
 *    district;
 *  - de-identification (docs/PRIVACY.md): pseudonyms, date shifts and the
 *    birth year with 90+, shared by the API's evaluator view and the exports;
 *  - the analysis data set (eval_data): every participant of the study with
 *    their arm, community, status, contact count and, per outcome and wave,
 *    the value the wave rule picked, read from the store in one streaming
 *    pass per table;
 *  - the report: descriptives by arm and wave, the pre/post change (paired
 *    t, Wilcoxon), the baseline subgroup, the mixed models of the arm
 *    comparison, goals, dose-response, flow counts and a methods paragraph,
 *    rendered as JSON, HTML (with inline SVG plots) or CSV; it holds
 *    aggregates only;
 *  - the research exports: long and wide CSV, a codebook, and R and Stata
 *    scripts that read them and attach the labels.
 */
#ifndef PL_EVAL_EVAL_H
#define PL_EVAL_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/domain.h"
#include "core/status.h"
#include "store/store.h"
#include "store/store_eval.h"

#define EVAL_WAVES_MAX STORE_STUDY_WAVES_MAX
/* participants one analysis holds (5 x the 1,000,000 target of DESIGN.md section 9) */
#define EVAL_PARTICIPANTS_MAX 5000000
/* communities (clusters) of one program */
#define EVAL_CLUSTERS_MAX 200000

/* ---- outcomes ------------------------------------------------------------ */

typedef enum eval_outcome {
    EVAL_HBA1C,
    EVAL_SBP,
    EVAL_DBP,
    EVAL_LDL,
    EVAL_WEIGHT,
    EVAL_BMI,
    EVAL_DDS,
    EVAL_PHQ9,
    EVAL_OUTCOME__COUNT
} eval_outcome;

typedef struct eval_outcome_def {
    const char *var;        /* variable stem in exports and JSON: "hba1c" */
    const char *label;      /* "HbA1c" */
    const char *unit;       /* canonical unit: "%", "mm[Hg]", "{score}" ... */
    const char *analyte;    /* measurement analyte, or NULL */
    const char *instrument; /* questionnaire instrument, or NULL */
    const char *lower_is;   /* "better" or "worse": how to read a fall */
} eval_outcome_def;

const eval_outcome_def *eval_outcome_get(eval_outcome k);

/* ---- design -------------------------------------------------------------- */

/* The wave's target day: enrolment + round(month x 30.4375) days (365.25 / 12). */
pl_date eval_wave_target(pl_date enrol, int month);

/* Months 0, 6 and 12 with windows of 30, 45 and 45 days. */
void eval_default_waves(store_study *st);

/*
 * Checks waves[0..n): 1 to EVAL_WAVES_MAX, months 0-240 strictly
 * ascending starting at 0 (the baseline), windows 0-366 days, and no two
 * windows overlapping (so a reading can count for one wave only). Field
 * errors name "<months_field>[i]" for a month and "<windows_field>[i]" for a
 * window (e.g. "wave_months[1]", "wave_windows[2]").
 */
pl_status eval_waves_validate(const store_study_wave *waves, int n, const char *months_field,
                              const char *windows_field, pl_err *err);

/*
 * The wave rule for one participant and one outcome: offer every reading;
 * for each wave the pick is the reading whose UTC day lies within the
 * window around the target day and is nearest to it; at equal distance the
 * earlier reading (at equal instants, the one offered first) wins.
 */
typedef struct eval_pick {
    bool found;
    pl_time at;
    double value;
    int day; /* reading's day - target day */
} eval_pick;

void eval_picks_clear(eval_pick *picks, int nwaves);
/* The wave whose window holds the reading's UTC day, or -1; *dday = day - target day. */
int eval_wave_of(const store_study_wave *waves, int nwaves, pl_date enrol, pl_time at, int *dday);
/* True when a reading (day from target, instant) beats the current pick. */
bool eval_pick_beats(int day_new, pl_time at_new, int day_old, pl_time at_old);
/* Returns the wave the reading became the pick of, or -1. */
int eval_pick_offer(eval_pick *picks, const store_study_wave *waves, int nwaves, pl_date enrol,
                    pl_time at, double value);

/*
 * Seeded cluster randomisation stratified by district (docs/EVALUATION.md):
 * clusters[i].stratum groups the clusters; ncontrol of the n clusters are
 * drawn to control, the rest to intervention (clusters[i].arm is set). The
 * result depends on the seed and the set of (stratum, unit_id) pairs only,
 * never on their order; each stratum gets floor or ceil of its share.
 * Refused: n < 2, ncontrol not in 1..n-1, duplicate unit ids.
 */
typedef struct eval_cluster {
    pl_id unit_id;
    pl_id stratum;
    pl_arm arm;
} eval_cluster;

pl_status eval_randomise(eval_cluster *clusters, int n, int ncontrol, uint64_t seed, pl_err *err);

/* ---- de-identification (docs/PRIVACY.md) --------------------------------- */

#define EVAL_SECRET_BYTES 32
/* "P" + 16 upper-case hex digits + NUL */
#define EVAL_PSEUDONYM_LEN 18
#define EVAL_BIRTH_90PLUS  (-90)

/* HMAC-SHA-256(secret, "<label>:<decimal id>") */
void eval_deid_hmac(const unsigned char secret[EVAL_SECRET_BYTES], const char *label, int64_t id,
                    unsigned char out[32]);
void eval_pseudonym(const unsigned char secret[EVAL_SECRET_BYTES], pl_id participant_id,
                    char out[EVAL_PSEUDONYM_LEN]);
/* The participant's date shift in days, -30..+30. */
int eval_date_shift(const unsigned char secret[EVAL_SECRET_BYTES], pl_id participant_id);
/* The birth year; EVAL_BIRTH_90PLUS when 90 or older on `today`; 0 when unknown. */
int eval_birth_year(pl_date birth, pl_date today);

/* ---- the analysis data set ------------------------------------------------ */

typedef struct eval_unit {
    pl_id id;
    const char *code; /* the unit's code, or "U<id>" when it has none */
    const char *name;
    pl_id district_id; /* the district above it; 0 when none */
    const char *district_code;
    pl_arm arm;    /* the study's arm; PL_ARM_NONE when not allocated */
    int nratings;  /* implementation ratings of this community within the study period */
    double rating; /* their mean score (1-5); NaN when none */
} eval_unit;

/* where eval_data_load spent its time (seconds), for benchmarks */
enum {
    EVAL_T_PARTICIPANTS,
    EVAL_T_MEASUREMENTS,
    EVAL_T_QUESTIONNAIRES,
    EVAL_T_CONTACTS, /* on its own thread, alongside measurements and questionnaires */
    EVAL_T_LOAD,     /* the whole load */
    EVAL_T__COUNT
};

typedef struct eval_data {
    pl_arena arena; /* strings and units */
    double seconds[EVAL_T__COUNT];
    store_study study;
    const char *program_name;
    const char *program_code;
    bool has_arms;                /* the study allocated arms */
    int allocated[PL_ARM__COUNT]; /* communities allocated to each arm */
    int nunits;
    eval_unit *units;     /* clusters: communities (or, where a program has none, home units) */
    size_t n;             /* participants analysed */
    size_t not_allocated; /* program participants outside every allocated community */
    pl_id *pid;
    int32_t *unit; /* index into units */
    uint8_t *arm;  /* pl_arm */
    pl_date *enrol;
    uint8_t *status; /* pl_enrol_status */
    pl_date *status_date;
    uint8_t *sex; /* pl_sex */
    pl_date *birth;
    int32_t *contacts;                /* contacts from enrolment to the last wave's target day */
    int32_t *sessions;                /* of those, attendances at group sessions */
    pl_date period_start, period_end; /* first enrolment to the latest last-wave target day */
    bool present[EVAL_OUTCOME__COUNT];
    /* per outcome and wave: the picked value (NaN: none) and its day from the target */
    double *value[EVAL_OUTCOME__COUNT][EVAL_WAVES_MAX];
    int16_t *day[EVAL_OUTCOME__COUNT][EVAL_WAVES_MAX];
} eval_data;

/*
 * The communities of a program (ascending id) with their district codes, in
 * the arena; `arm` is each org unit's own arm field (what the demo and the
 * org-unit API record), which a study may adopt ("org_units").
 */
pl_status eval_program_communities(store *s, pl_id program_id, pl_arena *a, eval_unit **out, int *n,
                                   pl_err *err);

/*
 * Building an allocation (arms.c): begin with the program's communities,
 * add (unit, arm) pairs, entered or parsed from CSV, each refused with a
 * field error naming it (not a community of the program, given twice),
 * then finish: sorted by unit id, PL_INVALID if any entry was refused or
 * none was given. Memory comes from the arena.
 */
typedef struct eval_arms {
    const eval_unit *units; /* ascending id */
    int nunits;
    pl_id program_id;
    unsigned char *taken;
    store_study_arm *arms;
    int narms;
} eval_arms;

pl_status eval_arms_begin(eval_arms *b, const eval_unit *units, int nunits, pl_id program_id,
                          pl_arena *a, pl_err *err);
void eval_arms_add(eval_arms *b, pl_id unit, pl_arm arm, const char *field, pl_err *err);
/* "community,arm" then a line per community (code or id); text is cut up in place. */
void eval_arms_parse_csv(eval_arms *b, char *text, pl_err *err);
pl_status eval_arms_finish(eval_arms *b, pl_err *err);
/* Every community of b, randomised (eval_randomise with districts as strata), then finished. */
pl_status eval_arms_randomise(eval_arms *b, int ncontrol, uint64_t seed, pl_arena *a, pl_err *err);

/* What eval_data_load reads beyond what the report needs. */
#define EVAL_LOAD_DEMOGRAPHICS 1u /* sex and birth date (the research exports) */

/* Reads the study (PL_NOTFOUND if none) and its data set from the store. */
pl_status eval_data_load(store *s, pl_id study_id, unsigned flags, eval_data **out, pl_err *err);
void eval_data_free(eval_data *d);

/* ---- flow (CONSORT) ------------------------------------------------------- */

#define EVAL_GROUPS_MAX 2

typedef struct eval_flow_group {
    pl_arm arm; /* PL_ARM_NONE: everyone (a study without arms) */
    int communities;
    int target; /* recruitment target; -1 when none */
    int64_t enrolled;
    int64_t active; /* status enrolled or completed */
    int64_t withdrawn, lost, deceased, completed;
    int64_t assessed[EVAL_WAVES_MAX]; /* with a reading of any outcome picked for the wave */
    int64_t analysed;                 /* with baseline and last-wave HbA1c */
} eval_flow_group;

typedef struct eval_flow {
    int ngroups;
    eval_flow_group g[EVAL_GROUPS_MAX];
    int64_t not_allocated;
} eval_flow;

void eval_flow_compute(const eval_data *d, eval_flow *out);

/* ---- the report ------------------------------------------------------------ */

typedef struct eval_report eval_report;

typedef enum eval_format { EVAL_FORMAT_JSON, EVAL_FORMAT_HTML, EVAL_FORMAT_CSV } eval_format;

pl_status eval_format_parse(const char *s, eval_format *out);
const char *eval_format_content_type(eval_format f);

/* Computes every section of the report from d (d may be freed afterwards), the outcomes
 * shared among up to two threads. */
pl_status eval_report_build(const eval_data *d, pl_time now, eval_report **out, pl_err *err);
/* Seconds eval_report_build took. */
double eval_report_seconds(const eval_report *r);
void eval_report_free(eval_report *r);
/* Appends the report in format f to out (PL_LIMIT at the buffer's ceiling). */
pl_status eval_report_render(const eval_report *r, eval_format f, pl_buf *out, pl_err *err);
/* Appends the flow counts alone as JSON: {study_id, waves, participants, groups, not_allocated}. */
pl_status eval_report_render_flow(const eval_report *r, pl_buf *out, pl_err *err);

/* ---- research exports -------------------------------------------------------- */

typedef enum eval_export_file {
    EVAL_EXPORT_LONG,
    EVAL_EXPORT_WIDE,
    EVAL_EXPORT_CODEBOOK,
    EVAL_EXPORT_R,
    EVAL_EXPORT_STATA,
    EVAL_EXPORT__COUNT
} eval_export_file;

/* "long.csv", "wide.csv", "codebook.csv", "read_peerlink.R", "read_peerlink.do" */
const char *eval_export_filename(eval_export_file f);
/* The file for a name ("long", "wide", "codebook", "r", "stata"); PL_INVALID if unknown. */
pl_status eval_export_parse(const char *s, eval_export_file *out);
const char *eval_export_content_type(eval_export_file f);

/* Receives the file's bytes in pieces. */
typedef pl_status (*eval_sink_fn)(void *ctx, const char *data, size_t n, pl_err *err);

/* Writes one export file of d, de-identified with the installation secret. */
pl_status eval_export_write(const eval_data *d, const unsigned char secret[EVAL_SECRET_BYTES],
                            eval_export_file f, pl_date today, eval_sink_fn sink, void *ctx,
                            pl_err *err);

#endif
