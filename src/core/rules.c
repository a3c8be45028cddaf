/*
 * rules.c - program-configurable clinical rules: settings, escalation
 * alerts, risk tier, contact cadence and worklist order (see rules.h and
 * docs/RULES.md).
 */
#include "rules.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* ---- settings ----------------------------------------------------------- */

void rules_settings_default(rules_settings *out)
{
    memset(out, 0, sizeof *out);
    out->hba1c_goal = 7.0;
    out->hba1c_poor = 9.0;
    out->hba1c_subgroup = 8.0;
    out->hba1c_urgent = 12.0;
    out->bp_goal_sbp = 140;
    out->bp_goal_dbp = 90;
    out->bp_urgent_sbp = 180;
    out->bp_urgent_dbp = 110;
    out->glucose_low = 3.9;
    out->glucose_high = 16.7;
    out->cadence_days[PL_RISK_STANDARD] = 14;
    out->cadence_days[PL_RISK_HIGH_NEED] = 7;
    out->grace_days = 3;
    out->high_need_hba1c = 9.0;
    out->high_need_dds = 3.0;
    out->high_need_phq9 = 10;
    out->referral_days = 14;
}

void rules_settings_bp_goal_130_80(rules_settings *s)
{
    s->bp_goal_sbp = 130;
    s->bp_goal_dbp = 80;
}

#define DBL(m)                                                                                     \
    {                                                                                              \
#m, offsetof(rules_settings, m), false                                                     \
    }
#define INT(m)                                                                                     \
    {                                                                                              \
#m, offsetof(rules_settings, m), true                                                      \
    }
const rules_setting_field rules_setting_fields[] = {
    DBL(hba1c_goal),
    DBL(hba1c_subgroup),
    DBL(hba1c_poor),
    DBL(hba1c_urgent),
    DBL(bp_goal_sbp),
    DBL(bp_goal_dbp),
    DBL(bp_urgent_sbp),
    DBL(bp_urgent_dbp),
    DBL(glucose_low),
    DBL(glucose_high),
    {"cadence_days.standard",
     offsetof(rules_settings, cadence_days) + PL_RISK_STANDARD * sizeof(int), true},
    {"cadence_days.high_need",
     offsetof(rules_settings, cadence_days) + PL_RISK_HIGH_NEED * sizeof(int), true},
    INT(grace_days),
    DBL(high_need_hba1c),
    DBL(high_need_dds),
    INT(high_need_phq9),
    INT(referral_days),
    INT(hba1c_mmol_mol),
    INT(glucose_mg_dl),
    {NULL, 0, false},
};
#undef DBL
#undef INT

double rules_setting_get(const rules_settings *s, const rules_setting_field *f)
{
    const char *base = (const char *)s + f->offset;
    if (f->integer) {
        int v;
        memcpy(&v, base, sizeof v);
        return v;
    }
    double v;
    memcpy(&v, base, sizeof v);
    return v;
}

pl_status rules_setting_set(rules_settings *s, const rules_setting_field *f, double v)
{
    char *base = (char *)s + f->offset;
    if (!isfinite(v))
        return PL_INVALID;
    if (f->integer) {
        if (v != floor(v) || v < -1e6 || v > 1e6)
            return PL_INVALID;
        int i = (int)v;
        memcpy(base, &i, sizeof i);
    } else {
        memcpy(base, &v, sizeof v);
    }
    return PL_OK;
}

const rules_setting_field *rules_setting_find(const char *name)
{
    for (const rules_setting_field *f = rules_setting_fields; name && f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

/* NaN fails every range. */
static bool in_range(double v, double lo, double hi)
{
    return v >= lo && v <= hi;
}

static void check_range(pl_err *err, const char *field, double v, double lo, double hi,
                        const char *unit)
{
    if (!in_range(v, lo, hi))
        pl_err_field(err, field, "must be between %g and %g%s", lo, hi, unit);
}

pl_status rules_settings_validate(const rules_settings *s, pl_err *err)
{
    int before = err->nfields + err->truncated;

    check_range(err, "hba1c_goal", s->hba1c_goal, 5, 10, " %");
    check_range(err, "hba1c_subgroup", s->hba1c_subgroup, 5, 14, " %");
    check_range(err, "hba1c_poor", s->hba1c_poor, 6, 14, " %");
    check_range(err, "hba1c_urgent", s->hba1c_urgent, 9, 20, " %");
    if (s->hba1c_subgroup < s->hba1c_goal)
        pl_err_field(err, "hba1c_subgroup", "must not be below the HbA1c goal (%g %%)",
                     s->hba1c_goal);
    if (s->hba1c_poor < s->hba1c_subgroup)
        pl_err_field(err, "hba1c_poor", "must not be below the subgroup threshold (%g %%)",
                     s->hba1c_subgroup);
    if (s->hba1c_urgent <= s->hba1c_poor)
        pl_err_field(err, "hba1c_urgent", "must be above the poor-control threshold (%g %%)",
                     s->hba1c_poor);

    check_range(err, "bp_goal_sbp", s->bp_goal_sbp, 100, 180, " mm[Hg]");
    check_range(err, "bp_goal_dbp", s->bp_goal_dbp, 60, 110, " mm[Hg]");
    check_range(err, "bp_urgent_sbp", s->bp_urgent_sbp, 140, 250, " mm[Hg]");
    check_range(err, "bp_urgent_dbp", s->bp_urgent_dbp, 80, 150, " mm[Hg]");
    if (s->bp_goal_dbp >= s->bp_goal_sbp)
        pl_err_field(err, "bp_goal_dbp", "must be below the systolic goal (%g mm[Hg])",
                     s->bp_goal_sbp);
    if (s->bp_urgent_sbp <= s->bp_goal_sbp)
        pl_err_field(err, "bp_urgent_sbp", "must be above the systolic goal (%g mm[Hg])",
                     s->bp_goal_sbp);
    if (s->bp_urgent_dbp <= s->bp_goal_dbp)
        pl_err_field(err, "bp_urgent_dbp", "must be above the diastolic goal (%g mm[Hg])",
                     s->bp_goal_dbp);

    check_range(err, "glucose_low", s->glucose_low, 2.5, 5.6, " mmol/L");
    check_range(err, "glucose_high", s->glucose_high, 10, 35, " mmol/L");

    static const char *const cadence_field[PL_RISK__COUNT] = {"cadence_days.standard",
                                                              "cadence_days.high_need"};
    for (int t = 0; t < PL_RISK__COUNT; t++)
        if (s->cadence_days[t] < 1 || s->cadence_days[t] > 90)
            pl_err_field(err, cadence_field[t], "must be between 1 and 90 days");
    if (s->cadence_days[PL_RISK_HIGH_NEED] > s->cadence_days[PL_RISK_STANDARD])
        pl_err_field(err, "cadence_days.high_need",
                     "must not be longer than the standard cadence (%d days)",
                     s->cadence_days[PL_RISK_STANDARD]);
    if (s->grace_days < 0 || s->grace_days > 30)
        pl_err_field(err, "grace_days", "must be between 0 and 30 days");

    check_range(err, "high_need_hba1c", s->high_need_hba1c, 6, 20, " %");
    check_range(err, "high_need_dds", s->high_need_dds, 1, 6, "");
    if (s->high_need_phq9 < 1 || s->high_need_phq9 > 27)
        pl_err_field(err, "high_need_phq9", "must be between 1 and 27");
    if (s->referral_days < 1 || s->referral_days > 90)
        pl_err_field(err, "referral_days", "must be between 1 and 90 days");
    if (s->hba1c_mmol_mol != 0 && s->hba1c_mmol_mol != 1)
        pl_err_field(err, "hba1c_mmol_mol", "must be 0 (%%) or 1 (mmol/mol)");
    if (s->glucose_mg_dl != 0 && s->glucose_mg_dl != 1)
        pl_err_field(err, "glucose_mg_dl", "must be 0 (mmol/L) or 1 (mg/dL)");

    if (err->nfields + err->truncated != before) {
        pl_err_set(err, PL_INVALID, "the program's rule settings are not valid");
        return PL_INVALID;
    }
    return PL_OK;
}

bool rules_hba1c_at_goal(const rules_settings *s, double hba1c)
{
    return hba1c < s->hba1c_goal;
}

bool rules_hba1c_poor(const rules_settings *s, double hba1c)
{
    return hba1c > s->hba1c_poor;
}

bool rules_hba1c_subgroup(const rules_settings *s, double hba1c)
{
    return hba1c >= s->hba1c_subgroup;
}

bool rules_bp_controlled(const rules_settings *s, double sbp, double dbp)
{
    return sbp < s->bp_goal_sbp && dbp < s->bp_goal_dbp;
}

/* ---- alerts --------------------------------------------------------------- */

static const char *const alert_kind_names[RULES_ALERT__COUNT] = {
    "urgent_high_bp", "hypoglycaemia", "hyperglycaemia", "very_high_hba1c", "self_harm_risk"};
static const char *const severity_names[RULES_SEV__COUNT] = {"urgent", "attention"};

const char *rules_alert_kind_name(rules_alert_kind k)
{
    return (int)k >= 0 && k < RULES_ALERT__COUNT ? alert_kind_names[k] : NULL;
}

const char *rules_severity_name(rules_severity s)
{
    return (int)s >= 0 && s < RULES_SEV__COUNT ? severity_names[s] : NULL;
}

/* Appends an alert when there is room; counts it either way. */
static rules_alert *add_alert(rules_alert out[], int max, int *n, int *wanted, rules_alert_kind k,
                              rules_severity sev, const char *analyte, double value,
                              double threshold)
{
    (*wanted)++;
    if (*n >= max)
        return NULL;
    rules_alert *a = &out[(*n)++];
    a->kind = k;
    a->severity = sev;
    a->analyte = analyte;
    a->value = value;
    a->threshold = threshold;
    a->message[0] = '\0';
    return a;
}

static pl_status alerts_done(int n, int wanted)
{
    return wanted > n ? PL_LIMIT : PL_OK;
}

static void bp_alert(const rules_settings *s, double sbp, double dbp, rules_alert out[], int max,
                     int *n, int *wanted)
{
    bool hi_s = sbp >= s->bp_urgent_sbp, hi_d = dbp >= s->bp_urgent_dbp;
    if (!hi_s && !hi_d)
        return;
    rules_alert *a = add_alert(out, max, n, wanted, RULES_ALERT_URGENT_HIGH_BP, RULES_SEV_URGENT,
                               "bp", hi_s ? sbp : dbp, hi_s ? s->bp_urgent_sbp : s->bp_urgent_dbp);
    if (!a)
        return;
    if (hi_s && hi_d)
        snprintf(a->message, sizeof a->message,
                 "blood pressure %g/%g mm[Hg] is at or above the urgent level %g/%g mm[Hg]", sbp,
                 dbp, s->bp_urgent_sbp, s->bp_urgent_dbp);
    else if (hi_s)
        snprintf(a->message, sizeof a->message,
                 "blood pressure %g/%g mm[Hg]: systolic at or above the urgent level %g mm[Hg]",
                 sbp, dbp, s->bp_urgent_sbp);
    else
        snprintf(a->message, sizeof a->message,
                 "blood pressure %g/%g mm[Hg]: diastolic at or above the urgent level %g mm[Hg]",
                 sbp, dbp, s->bp_urgent_dbp);
}

pl_status rules_bp_alerts(const rules_settings *s, double sbp, double dbp, rules_alert out[],
                          int max, int *n)
{
    *n = 0;
    if (!isfinite(sbp) || !isfinite(dbp))
        return PL_INVALID;
    int wanted = 0;
    bp_alert(s, sbp, dbp, out, max, n, &wanted);
    return alerts_done(*n, wanted);
}

pl_status rules_measurement_alerts(const rules_settings *s, const pl_measurement *m,
                                   rules_alert out[], int max, int *n)
{
    *n = 0;
    if (!m->analyte || !isfinite(m->value))
        return PL_INVALID;
    int wanted = 0;
    double v = m->value;
    const char *an = m->analyte;
    rules_alert *a = NULL;

    if (strcmp(an, "sbp") == 0 && v >= s->bp_urgent_sbp) {
        a = add_alert(out, max, n, &wanted, RULES_ALERT_URGENT_HIGH_BP, RULES_SEV_URGENT, "sbp", v,
                      s->bp_urgent_sbp);
        if (a)
            snprintf(a->message, sizeof a->message,
                     "systolic blood pressure %g mm[Hg] is at or above the urgent level %g mm[Hg]",
                     v, s->bp_urgent_sbp);
    } else if (strcmp(an, "dbp") == 0 && v >= s->bp_urgent_dbp) {
        a = add_alert(out, max, n, &wanted, RULES_ALERT_URGENT_HIGH_BP, RULES_SEV_URGENT, "dbp", v,
                      s->bp_urgent_dbp);
        if (a)
            snprintf(a->message, sizeof a->message,
                     "diastolic blood pressure %g mm[Hg] is at or above the urgent level %g mm[Hg]",
                     v, s->bp_urgent_dbp);
    } else if (strcmp(an, "glucose") == 0 || strcmp(an, "fasting_glucose") == 0) {
        const char *what = an[0] == 'f' ? "fasting glucose" : "glucose";
        if (v < s->glucose_low) {
            a = add_alert(out, max, n, &wanted, RULES_ALERT_HYPOGLYCAEMIA, RULES_SEV_URGENT, an, v,
                          s->glucose_low);
            if (a)
                snprintf(a->message, sizeof a->message,
                         "%s %g mmol/L is below %g mmol/L (hypoglycaemia)", what, v,
                         s->glucose_low);
        } else if (v > s->glucose_high) {
            a = add_alert(out, max, n, &wanted, RULES_ALERT_HYPERGLYCAEMIA, RULES_SEV_URGENT, an, v,
                          s->glucose_high);
            if (a)
                snprintf(a->message, sizeof a->message,
                         "%s %g mmol/L is above %g mmol/L (hyperglycaemia)", what, v,
                         s->glucose_high);
        }
    } else if (strcmp(an, "hba1c") == 0 && v >= s->hba1c_urgent) {
        a = add_alert(out, max, n, &wanted, RULES_ALERT_VERY_HIGH_HBA1C, RULES_SEV_ATTENTION,
                      "hba1c", v, s->hba1c_urgent);
        if (a)
            snprintf(a->message, sizeof a->message, "HbA1c %g %% is at or above %g %% (very high)",
                     v, s->hba1c_urgent);
    }
    return alerts_done(*n, wanted);
}

pl_status rules_phq9_item9_alert(int item9, rules_alert out[], int max, int *n)
{
    *n = 0;
    if (item9 < -1 || item9 > 3)
        return PL_INVALID;
    int wanted = 0;
    if (item9 > 0) {
        rules_alert *a = add_alert(out, max, n, &wanted, RULES_ALERT_SELF_HARM_RISK,
                                   RULES_SEV_URGENT, "phq9", item9, 0);
        if (a)
            snprintf(a->message, sizeof a->message,
                     "PHQ-9 item 9 (thoughts of self-harm) answered %d, above 0", item9);
    }
    return alerts_done(*n, wanted);
}

/* ---- risk tier ----------------------------------------------------------- */

/* Appends "; " (unless first) and text to buf, truncating safely. */
static void reason_add(char *buf, size_t size, size_t *len, const char *text)
{
    const char *parts[2] = {*len ? "; " : "", text};
    for (int i = 0; i < 2; i++)
        for (const char *p = parts[i]; *p && *len + 1 < size; p++)
            buf[(*len)++] = *p;
    if (size > 0)
        buf[*len] = '\0';
}

pl_status rules_risk_tier(const rules_settings *s, const rules_inputs *in, pl_risk_tier *tier,
                          char reason[], size_t reason_size)
{
    if (reason_size > 0)
        reason[0] = '\0';
    if ((!isnan(in->hba1c) && !in_range(in->hba1c, 3, 20)) ||
        (!isnan(in->dds) && !in_range(in->dds, 1, 6)) || in->phq9_total < -1 || in->phq9_total > 27)
        return PL_INVALID;

    size_t len = 0;
    char part[96];
    bool high = false;
    if (!isnan(in->hba1c) && in->hba1c >= s->high_need_hba1c) {
        snprintf(part, sizeof part, "HbA1c %g %% >= %g %%", in->hba1c, s->high_need_hba1c);
        reason_add(reason, reason_size, &len, part);
        high = true;
    }
    if (!isnan(in->dds) && in->dds >= s->high_need_dds) {
        snprintf(part, sizeof part, "DDS %g >= %g", in->dds, s->high_need_dds);
        reason_add(reason, reason_size, &len, part);
        high = true;
    }
    if (in->phq9_total >= 0 && in->phq9_total >= s->high_need_phq9) {
        snprintf(part, sizeof part, "PHQ-9 %d >= %d", in->phq9_total, s->high_need_phq9);
        reason_add(reason, reason_size, &len, part);
        high = true;
    }
    if (!high)
        reason_add(reason, reason_size, &len, "no high-need threshold met");
    *tier = high ? PL_RISK_HIGH_NEED : PL_RISK_STANDARD;
    return PL_OK;
}

/* ---- cadence -------------------------------------------------------------- */

static const char *const due_status_names[RULES_DUE__COUNT] = {"overdue", "late", "due_today",
                                                               "upcoming"};

const char *rules_due_status_name(rules_due_status st)
{
    return (int)st >= 0 && st < RULES_DUE__COUNT ? due_status_names[st] : NULL;
}

pl_status rules_due_classify(const rules_settings *s, pl_date due, pl_date today, rules_due *out)
{
    if (due == PL_DATE_NONE || today == PL_DATE_NONE)
        return PL_INVALID;
    out->due = due;
    out->days_overdue = 0;
    if (today < due) {
        out->status = RULES_DUE_UPCOMING;
    } else if (today == due) {
        out->status = RULES_DUE_TODAY;
    } else if (today - due <= s->grace_days) {
        out->status = RULES_DUE_LATE;
    } else {
        out->status = RULES_DUE_OVERDUE;
        out->days_overdue = today - due;
    }
    return PL_OK;
}

pl_status rules_contact_due(const rules_settings *s, pl_risk_tier tier, pl_date last_contact,
                            pl_date enrol_date, pl_date today, rules_due *out)
{
    pl_date base = last_contact != PL_DATE_NONE ? last_contact : enrol_date;
    if ((int)tier < 0 || tier >= PL_RISK__COUNT || base == PL_DATE_NONE)
        return PL_INVALID;
    return rules_due_classify(s, base + s->cadence_days[tier], today, out);
}

/* ---- worklist ------------------------------------------------------------- */

static int alert_rank(const rules_work_item *w)
{
    return w->urgent_alerts > 0 ? 0 : w->attention_alerts > 0 ? 1 : 2;
}

static int due_rank(const rules_work_item *w)
{
    if (w->due.due == PL_DATE_NONE || (int)w->due.status < 0 || w->due.status >= RULES_DUE__COUNT)
        return RULES_DUE__COUNT;
    return (int)w->due.status;
}

#define CMP(x, y)                                                                                  \
    do {                                                                                           \
        if ((x) != (y))                                                                            \
            return (x) < (y) ? -1 : 1;                                                             \
    } while (0)

int rules_worklist_compare(const rules_work_item *a, const rules_work_item *b)
{
    CMP(alert_rank(a), alert_rank(b));
    int ra = due_rank(a), rb = due_rank(b);
    CMP(ra, rb);
    if (ra != RULES_DUE__COUNT)
        CMP(a->due.due, b->due.due);
    CMP(a->participant_id, b->participant_id);
    return 0;
}
