/*
 * rules.h - the program-configurable clinical rules (DESIGN.md section 7).
 *
 * A program's thresholds live in one rules_settings value: HbA1c goal,
 * blood-pressure control, the urgent escalation levels, the contact cadence
 * per risk tier and the high-need rule. From those the functions here derive
 * escalation alerts for a measurement or a PHQ-9 item 9 answer, a
 * participant's risk tier, when the next contact is due, and the order of a
 * peer leader's worklist. docs/RULES.md states every rule and default.
 *
 * Pure functions: no I/O, no allocation; messages go into fixed buffers.
 * Measurement values are in the canonical units of measure.h (HbA1c %,
 * blood pressure mm[Hg], glucose mmol/L).
 */
#ifndef PL_CORE_RULES_H
#define PL_CORE_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "domain.h"
#include "status.h"

/* ---- settings ----------------------------------------------------------- */

typedef struct rules_settings {
    /* HbA1c, %: goal is value < hba1c_goal, poor control value > hba1c_poor,
     * the "subgroup" (intensified follow-up) value >= hba1c_subgroup. */
    double hba1c_goal;     /* 7 */
    double hba1c_poor;     /* 9 */
    double hba1c_subgroup; /* 8 */
    double hba1c_urgent;   /* 12: very_high_hba1c alert when value >= this */
    /* Blood pressure, mm[Hg]: controlled when SBP < goal_sbp and DBP < goal_dbp. */
    double bp_goal_sbp;   /* 140 (or 130) */
    double bp_goal_dbp;   /* 90 (or 80) */
    double bp_urgent_sbp; /* 180: urgent when SBP >= this */
    double bp_urgent_dbp; /* 110: urgent when DBP >= this */
    /* Glucose, mmol/L: hypoglycaemia when value < low, hyperglycaemia when value > high. */
    double glucose_low;  /* 3.9 */
    double glucose_high; /* 16.7 */
    /* Contact cadence in days per risk tier, and days past due before "overdue". */
    int cadence_days[PL_RISK__COUNT]; /* standard 14, high_need 7 */
    int grace_days;                   /* 3 */
    /* High-need tier when any is met: HbA1c >= , DDS mean >= , PHQ-9 total >= . */
    double high_need_hba1c; /* 9 */
    double high_need_dds;   /* 3.0 */
    int high_need_phq9;     /* 10 */
    /* A referral still open this many days after its last change gets a follow-up task. */
    int referral_days; /* 14 */
    /* The units the program shows and enters readings in (the web app): 0 or 1. */
    int hba1c_mmol_mol; /* 0: HbA1c in % (NGSP); 1: in mmol/mol (IFCC) */
    int glucose_mg_dl;  /* 0: glucose and lipids in mmol/L; 1: in mg/dL */
} rules_settings;

/*
 * The settings by name, for storage and the API: one row per setting, in
 * docs/RULES.md order; names are the ones validation errors use
 * ("cadence_days.standard"). NULL-terminated by name.
 */
typedef struct rules_setting_field {
    const char *name;
    size_t offset; /* of a double, or of an int when integer */
    bool integer;  /* whole numbers only */
} rules_setting_field;

extern const rules_setting_field rules_setting_fields[];

double rules_setting_get(const rules_settings *s, const rules_setting_field *f);
/* PL_INVALID when an integer setting is given a fraction or v is not finite. */
pl_status rules_setting_set(rules_settings *s, const rules_setting_field *f, double v);
/* The field called name, or NULL. */
const rules_setting_field *rules_setting_find(const char *name);

/* Fills *out with peerlink's defaults (BP goal 140/90). */
void rules_settings_default(rules_settings *out);

/* Switches the blood-pressure goal to the stricter 130/80. */
void rules_settings_bp_goal_130_80(rules_settings *s);

/* PL_OK, or PL_INVALID with one field error (named after the struct member,
 * e.g. "cadence_days.high_need") per broken rule. */
pl_status rules_settings_validate(const rules_settings *s, pl_err *err);

/* Control bands for reports and the participant view. */
bool rules_hba1c_at_goal(const rules_settings *s, double hba1c);  /* < goal */
bool rules_hba1c_poor(const rules_settings *s, double hba1c);     /* > poor */
bool rules_hba1c_subgroup(const rules_settings *s, double hba1c); /* >= subgroup */
bool rules_bp_controlled(const rules_settings *s, double sbp, double dbp);

/* ---- escalation alerts ------------------------------------------------- */

typedef enum rules_alert_kind {
    RULES_ALERT_URGENT_HIGH_BP,
    RULES_ALERT_HYPOGLYCAEMIA,
    RULES_ALERT_HYPERGLYCAEMIA,
    RULES_ALERT_VERY_HIGH_HBA1C,
    RULES_ALERT_SELF_HARM_RISK,
    RULES_ALERT__COUNT
} rules_alert_kind;

typedef enum rules_severity {
    RULES_SEV_URGENT,
    RULES_SEV_ATTENTION,
    RULES_SEV__COUNT
} rules_severity;

#define RULES_MESSAGE_MAX 160

typedef struct rules_alert {
    rules_alert_kind kind;
    rules_severity severity;
    const char *analyte; /* "sbp", "dbp", "bp" (a pair), "glucose", "hba1c", "phq9" ... static */
    double value;        /* the value that broke the rule (SBP for a pair that broke on SBP) */
    double threshold;
    char message[RULES_MESSAGE_MAX]; /* short English sentence naming value and threshold */
} rules_alert;

/* Stable names: "urgent_high_bp", "hypoglycaemia", "hyperglycaemia", "very_high_hba1c",
 * "self_harm_risk"; "urgent", "attention". NULL when out of range. */
const char *rules_alert_kind_name(rules_alert_kind k);
const char *rules_severity_name(rules_severity s);

/*
 * Alerts for one prepared measurement (analyte and canonical value set by
 * measurement_prepare). Analytes without a rule give none. Writes at most
 * max alerts and sets *n to the number written; PL_LIMIT when more were due
 * than fit, PL_INVALID when m has no analyte or a non-finite value.
 */
pl_status rules_measurement_alerts(const rules_settings *s, const pl_measurement *m,
                                   rules_alert out[], int max, int *n);

/* Alerts for a blood-pressure pair (at most one urgent_high_bp). */
pl_status rules_bp_alerts(const rules_settings *s, double sbp, double dbp, rules_alert out[],
                          int max, int *n);

/* PHQ-9 item 9 ("thoughts that you would be better off dead or of hurting
 * yourself"): any answer above 0 is an urgent self_harm_risk. item9 is 0-3,
 * or -1 when unanswered (no alert); anything else is PL_INVALID. */
pl_status rules_phq9_item9_alert(int item9, rules_alert out[], int max, int *n);

/* ---- risk tier ------------------------------------------------------------ */

typedef struct rules_inputs {
    double hba1c;   /* latest HbA1c in %, NAN when unknown */
    double dds;     /* latest DDS-17 mean 1-6, NAN when unknown */
    int phq9_total; /* latest PHQ-9 total 0-27, -1 when unknown */
} rules_inputs;

/* high_need when any high-need threshold is met, with reason naming each
 * one met ("HbA1c 9.4 % >= 9 %; PHQ-9 12 >= 10"); standard otherwise.
 * PL_INVALID for inputs outside their ranges. */
pl_status rules_risk_tier(const rules_settings *s, const rules_inputs *in, pl_risk_tier *tier,
                          char reason[], size_t reason_size);

/* ---- follow-up cadence --------------------------------------------------- */

typedef enum rules_due_status {
    RULES_DUE_OVERDUE,  /* today > due + grace */
    RULES_DUE_LATE,     /* due < today <= due + grace: past due, within the grace period */
    RULES_DUE_TODAY,    /* today == due */
    RULES_DUE_UPCOMING, /* today < due */
    RULES_DUE__COUNT
} rules_due_status;

typedef struct rules_due {
    pl_date due; /* last contact (or enrolment) + cadence */
    rules_due_status status;
    int days_overdue; /* today - due when overdue, else 0 */
} rules_due;

/* "overdue", "late", "due_today", "upcoming"; NULL when out of range. */
const char *rules_due_status_name(rules_due_status s);

/* Where today stands against a due date (any task's); PL_INVALID when either is absent. */
pl_status rules_due_classify(const rules_settings *s, pl_date due, pl_date today, rules_due *out);

/* last_contact is PL_DATE_NONE when there has been none; then the cadence
 * runs from enrol_date. PL_INVALID when both are absent, today is absent
 * or the tier is out of range. */
pl_status rules_contact_due(const rules_settings *s, pl_risk_tier tier, pl_date last_contact,
                            pl_date enrol_date, pl_date today, rules_due *out);

/* ---- worklist ------------------------------------------------------------ */

typedef struct rules_work_item {
    pl_id participant_id;
    int urgent_alerts;    /* open (unacknowledged) urgent alerts */
    int attention_alerts; /* open attention alerts */
    rules_due due;        /* due.due == PL_DATE_NONE: no contact scheduled (sorts last) */
} rules_work_item;

/*
 * qsort comparator (cast the pointers): open urgent alerts first, then
 * attention alerts, then overdue, late, due today, upcoming; within a
 * group the earliest due date first (most overdue, soonest upcoming);
 * ties by participant id.
 */
int rules_worklist_compare(const rules_work_item *a, const rules_work_item *b);

#endif
