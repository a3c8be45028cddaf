/*
 * test_core_rules.c - program rules: settings, alerts, risk tier, contact
 * cadence and worklist order (src/core/rules.c).
 *
 * Alerts and due dates are table-driven: tests/data/rules_alert_cases.tsv
 * and tests/data/rules_due_cases.tsv hold one case a row, every threshold
 * at its boundary, and one loop each checks every row, naming a failing
 * row by its line number.
 */
#include <math.h>
#include <string.h>

#include "test.h"

#include "core/rules.h"
#include "core/time.h"

#define MAX_COLS 12

typedef bool (*row_fn)(int lineno, char **col);

/* Runs check on every data row of a TSV file whose header must match; returns the row count. */
static int run_table(const char *name, const char *const *header, int ncols, row_fn check,
                     int *failures)
{
    test_table t;
    test_table_open(&t, name, header, ncols);
    int rows = 0;
    char *col[MAX_COLS];
    int got;
    while ((got = test_table_next(&t, col, MAX_COLS)) >= 0) {
        rows++;
        if (got < ncols - 1) { /* the note column may be missing */
            printf("# %s line %d: %d columns, want %d\n", name, t.lineno, got, ncols);
            (*failures)++;
            continue;
        }
        if (!check(t.lineno, col))
            (*failures)++;
    }
    test_table_close(&t);
    printf("# %s: %d rows checked, %d failed\n", name, rows, *failures);
    return rows;
}

static double num(const char *s)
{
    if (strcmp(s, "nan") == 0)
        return NAN;
    char *end;
    double v = strtod(s, &end);
    if (*end != '\0')
        fail_msg("bad number '%s' in table", s);
    return v;
}

/* ---- settings ------------------------------------------------------------ */

static void test_settings_defaults(void **state)
{
    rules_settings s;
    rules_settings_default(&s);
    assert_true(s.hba1c_goal == 7.0 && s.hba1c_poor == 9.0 && s.hba1c_subgroup == 8.0);
    assert_true(s.hba1c_urgent == 12.0);
    assert_true(s.bp_goal_sbp == 140 && s.bp_goal_dbp == 90);
    assert_true(s.bp_urgent_sbp == 180 && s.bp_urgent_dbp == 110);
    assert_true(s.glucose_low == 3.9 && s.glucose_high == 16.7);
    assert_int_equal(s.cadence_days[PL_RISK_STANDARD], 14);
    assert_int_equal(s.cadence_days[PL_RISK_HIGH_NEED], 7);
    assert_int_equal(s.grace_days, 3);
    assert_true(s.high_need_hba1c == 9.0 && s.high_need_dds == 3.0);
    assert_int_equal(s.high_need_phq9, 10);
    assert_int_equal(s.referral_days, 14);

    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(rules_settings_validate(&s, &err), PL_OK);
    assert_int_equal(err.nfields, 0);

    /* control bands at their boundaries */
    assert_true(rules_hba1c_at_goal(&s, 6.99));
    assert_false(rules_hba1c_at_goal(&s, 7.0));
    assert_false(rules_hba1c_poor(&s, 9.0));
    assert_true(rules_hba1c_poor(&s, 9.01));
    assert_false(rules_hba1c_subgroup(&s, 7.99));
    assert_true(rules_hba1c_subgroup(&s, 8.0));
    assert_true(rules_bp_controlled(&s, 139, 89));
    assert_false(rules_bp_controlled(&s, 140, 89));
    assert_false(rules_bp_controlled(&s, 139, 90));
    assert_true(rules_bp_controlled(&s, 135, 85));

    rules_settings_bp_goal_130_80(&s);
    assert_true(s.bp_goal_sbp == 130 && s.bp_goal_dbp == 80);
    assert_false(rules_bp_controlled(&s, 135, 75));
    assert_false(rules_bp_controlled(&s, 125, 80));
    assert_true(rules_bp_controlled(&s, 129, 79));
    pl_err_clear(&err);
    assert_int_equal(rules_settings_validate(&s, &err), PL_OK);
}

/* Every setting is reachable by name, and names match the validation's field names. */
static void test_settings_by_name(void **state)
{
    rules_settings s;
    rules_settings_default(&s);
    int count = 0;
    for (const rules_setting_field *f = rules_setting_fields; f->name; f++, count++) {
        assert_ptr_equal(rules_setting_find(f->name), f);
        rules_settings t = s;
        /* 1000 breaks every range: validation must name this very field */
        assert_int_equal(rules_setting_set(&t, f, 1000), PL_OK);
        assert_true(rules_setting_get(&t, f) == 1000);
        pl_err err;
        pl_err_clear(&err);
        assert_int_equal(rules_settings_validate(&t, &err), PL_INVALID);
        bool named = false;
        for (int i = 0; i < err.nfields; i++)
            named |= strcmp(err.fields[i].field, f->name) == 0;
        if (!named)
            fail_msg("setting %s out of range was not reported under its own name", f->name);
        if (f->integer)
            assert_int_equal(rules_setting_set(&t, f, 7.5), PL_INVALID);
        assert_int_equal(rules_setting_set(&t, f, NAN), PL_INVALID);
    }
    assert_int_equal(count, 19);
    assert_null(rules_setting_find("no_such_setting"));
    assert_true(rules_setting_get(&s, rules_setting_find("cadence_days.high_need")) == 7);
    assert_true(rules_setting_get(&s, rules_setting_find("glucose_low")) == 3.9);
}

static void set_cadence_std(rules_settings *s, double v)
{
    s->cadence_days[PL_RISK_STANDARD] = (int)v;
}
static void set_cadence_high(rules_settings *s, double v)
{
    s->cadence_days[PL_RISK_HIGH_NEED] = (int)v;
}
static void set_grace(rules_settings *s, double v)
{
    s->grace_days = (int)v;
}
static void set_sbp_urgent(rules_settings *s, double v)
{
    s->bp_urgent_sbp = v;
}
static void set_dbp_urgent(rules_settings *s, double v)
{
    s->bp_urgent_dbp = v;
}
static void set_goal(rules_settings *s, double v)
{
    s->hba1c_goal = v;
}
static void set_hba1c_urgent(rules_settings *s, double v)
{
    s->hba1c_urgent = v;
}
static void set_glucose_low(rules_settings *s, double v)
{
    s->glucose_low = v;
}
static void set_glucose_high(rules_settings *s, double v)
{
    s->glucose_high = v;
}
static void set_dds(rules_settings *s, double v)
{
    s->high_need_dds = v;
}
static void set_phq9(rules_settings *s, double v)
{
    s->high_need_phq9 = (int)v;
}
static void set_referral(rules_settings *s, double v)
{
    s->referral_days = (int)v;
}
static void set_subgroup(rules_settings *s, double v)
{
    s->hba1c_subgroup = v;
}

static void test_settings_validate(void **state)
{
    static const struct {
        void (*set)(rules_settings *, double);
        double v;
        const char *field; /* NULL: accepted */
        const char *msg;
    } cases[] = {
        {set_cadence_std, 1, "cadence_days.high_need", "longer than the standard"},
        {set_cadence_std, 0, "cadence_days.standard", "between 1 and 90 days"},
        {set_cadence_std, 90, NULL, NULL},
        {set_cadence_std, 91, "cadence_days.standard", "between 1 and 90 days"},
        {set_cadence_high, 1, NULL, NULL},
        {set_cadence_high, 0, "cadence_days.high_need", "between 1 and 90 days"},
        {set_cadence_high, 14, NULL, NULL}, /* equal to standard is allowed */
        {set_cadence_high, 15, "cadence_days.high_need", "longer than the standard"},
        {set_grace, 0, NULL, NULL},
        {set_grace, 30, NULL, NULL},
        {set_grace, -1, "grace_days", "between 0 and 30"},
        {set_grace, 31, "grace_days", "between 0 and 30"},
        {set_sbp_urgent, 141, NULL, NULL},
        {set_sbp_urgent, 140, "bp_urgent_sbp", "above the systolic goal (140 mm[Hg])"},
        {set_sbp_urgent, 260, "bp_urgent_sbp", "between 140 and 250"},
        {set_dbp_urgent, 90, "bp_urgent_dbp", "above the diastolic goal (90 mm[Hg])"},
        {set_dbp_urgent, NAN, "bp_urgent_dbp", "between 80 and 150"},
        {set_goal, 4.9, "hba1c_goal", "between 5 and 10 %"},
        {set_goal, 8.5, "hba1c_subgroup", "below the HbA1c goal (8.5 %)"},
        {set_subgroup, 9.5, "hba1c_poor", "below the subgroup threshold (9.5 %)"},
        {set_hba1c_urgent, 9, "hba1c_urgent", "above the poor-control threshold (9 %)"},
        {set_hba1c_urgent, 9.1, NULL, NULL},
        {set_hba1c_urgent, 20.5, "hba1c_urgent", "between 9 and 20 %"},
        {set_glucose_low, 2.4, "glucose_low", "between 2.5 and 5.6 mmol/L"},
        {set_glucose_low, 5.6, NULL, NULL},
        {set_glucose_high, 9.9, "glucose_high", "between 10 and 35 mmol/L"},
        {set_glucose_high, INFINITY, "glucose_high", "between 10 and 35"},
        {set_dds, 6.5, "high_need_dds", "between 1 and 6"},
        {set_dds, 2.0, NULL, NULL},
        {set_phq9, 0, "high_need_phq9", "between 1 and 27"},
        {set_phq9, 27, NULL, NULL},
        {set_phq9, 28, "high_need_phq9", "between 1 and 27"},
        {set_referral, 1, NULL, NULL},
        {set_referral, 0, "referral_days", "between 1 and 90 days"},
        {set_referral, 91, "referral_days", "between 1 and 90 days"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rules_settings s;
        rules_settings_default(&s);
        cases[i].set(&s, cases[i].v);
        pl_err err;
        pl_err_clear(&err);
        pl_status st = rules_settings_validate(&s, &err);
        if (!cases[i].field) {
            if (st != PL_OK)
                fail_msg("case %zu: should be accepted, got %s", i, pl_err_text(&err));
        } else if (st != PL_INVALID || err.status != PL_INVALID ||
                   !test_field_error(&err, cases[i].field, cases[i].msg)) {
            fail_msg("case %zu: want %s error containing \"%s\", got \"%s\"", i, cases[i].field,
                     cases[i].msg, pl_err_text(&err));
        }
    }

    /* every broken field is reported, not just the first */
    rules_settings s;
    rules_settings_default(&s);
    s.cadence_days[PL_RISK_STANDARD] = 0;
    s.cadence_days[PL_RISK_HIGH_NEED] = 100;
    s.grace_days = -5;
    s.high_need_phq9 = 0;
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(rules_settings_validate(&s, &err), PL_INVALID);
    assert_true(test_field_error(&err, "cadence_days.standard", NULL));
    assert_true(test_field_error(&err, "cadence_days.high_need", "between 1 and 90"));
    assert_true(test_field_error(&err, "grace_days", NULL));
    assert_true(test_field_error(&err, "high_need_phq9", NULL));
}

/* ---- alerts (table) ------------------------------------------------------ */

enum { A_ANALYTE, A_VALUE, A_VALUE2, A_EXPECT, A_SEVERITY, A_MESSAGE, A_NCOLS = 7 };
static const char *const alert_header[] = {"analyte",  "value",   "value2", "expect",
                                           "severity", "message", "note"};

static bool check_alert_row(int lineno, char **col)
{
    rules_settings s;
    rules_settings_default(&s);
    rules_alert out[4];
    memset(out, 0, sizeof out);
    int n = -1;
    pl_status st;
    const char *an = col[A_ANALYTE];
    if (strcmp(an, "bp") == 0) {
        st = rules_bp_alerts(&s, num(col[A_VALUE]), num(col[A_VALUE2]), out, 4, &n);
    } else if (strcmp(an, "phq9_item9") == 0) {
        st = rules_phq9_item9_alert((int)num(col[A_VALUE]), out, 4, &n);
    } else {
        pl_measurement m = {0};
        m.analyte = an;
        m.value = num(col[A_VALUE]);
        st = rules_measurement_alerts(&s, &m, out, 4, &n);
    }
    const char *expect = col[A_EXPECT];
    if (strcmp(expect, "invalid") == 0) {
        if (st != PL_INVALID || n != 0) {
            printf("# line %d: %s %s should be refused, got %s with %d alerts\n", lineno, an,
                   col[A_VALUE], pl_status_name(st), n);
            return false;
        }
        return true;
    }
    if (st != PL_OK) {
        printf("# line %d: %s %s: status %s\n", lineno, an, col[A_VALUE], pl_status_name(st));
        return false;
    }
    if (strcmp(expect, "none") == 0) {
        if (n != 0) {
            printf("# line %d: %s %s: want no alert, got %s (%s)\n", lineno, an, col[A_VALUE],
                   rules_alert_kind_name(out[0].kind), out[0].message);
            return false;
        }
        return true;
    }
    if (n != 1 || strcmp(rules_alert_kind_name(out[0].kind), expect) != 0) {
        printf("# line %d: %s %s: want one %s alert, got %d (%s)\n", lineno, an, col[A_VALUE],
               expect, n, n > 0 ? rules_alert_kind_name(out[0].kind) : "-");
        return false;
    }
    if (strcmp(col[A_SEVERITY], "-") != 0 &&
        strcmp(rules_severity_name(out[0].severity), col[A_SEVERITY]) != 0) {
        printf("# line %d: severity %s, want %s\n", lineno, rules_severity_name(out[0].severity),
               col[A_SEVERITY]);
        return false;
    }
    if (strcmp(col[A_MESSAGE], "-") != 0 && !strstr(out[0].message, col[A_MESSAGE])) {
        printf("# line %d: message \"%s\" lacks \"%s\"\n", lineno, out[0].message, col[A_MESSAGE]);
        return false;
    }
    if (!out[0].analyte || out[0].message[0] == '\0') {
        printf("# line %d: alert without analyte or message\n", lineno);
        return false;
    }
    return true;
}

static void test_alert_cases_table(void **state)
{
    int failures = 0;
    int rows =
        run_table("rules_alert_cases.tsv", alert_header, A_NCOLS, check_alert_row, &failures);
    assert_true(rows >= 40);
    assert_int_equal(failures, 0);
}

static void test_alert_limits_and_names(void **state)
{
    rules_settings s;
    rules_settings_default(&s);
    rules_alert out[1];
    int n = -1;
    /* no room: PL_LIMIT, nothing written */
    assert_int_equal(rules_bp_alerts(&s, 200, 120, out, 0, &n), PL_LIMIT);
    assert_int_equal(n, 0);
    assert_int_equal(rules_phq9_item9_alert(2, out, 0, &n), PL_LIMIT);
    assert_int_equal(n, 0);
    /* no room needed: fine */
    assert_int_equal(rules_bp_alerts(&s, 120, 80, out, 0, &n), PL_OK);
    assert_int_equal(n, 0);

    /* the alert carries value and threshold */
    assert_int_equal(rules_bp_alerts(&s, 150, 115, out, 1, &n), PL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].analyte, "bp");
    assert_true(out[0].value == 115 && out[0].threshold == 110);

    /* a measurement without an analyte (not prepared) is refused */
    pl_measurement m = {0};
    m.value = 2.0;
    assert_int_equal(rules_measurement_alerts(&s, &m, out, 1, &n), PL_INVALID);

    /* thresholds follow the program's settings */
    s.glucose_low = 4.0;
    s.hba1c_urgent = 11;
    m.analyte = "glucose";
    m.value = 3.95;
    assert_int_equal(rules_measurement_alerts(&s, &m, out, 1, &n), PL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].message, "glucose 3.95 mmol/L is below 4 mmol/L (hypoglycaemia)");
    m.analyte = "hba1c";
    m.value = 11;
    assert_int_equal(rules_measurement_alerts(&s, &m, out, 1, &n), PL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].kind, RULES_ALERT_VERY_HIGH_HBA1C);

    assert_string_equal(rules_alert_kind_name(RULES_ALERT_URGENT_HIGH_BP), "urgent_high_bp");
    assert_string_equal(rules_alert_kind_name(RULES_ALERT_SELF_HARM_RISK), "self_harm_risk");
    assert_null(rules_alert_kind_name(RULES_ALERT__COUNT));
    assert_null(rules_alert_kind_name((rules_alert_kind)-1));
    assert_string_equal(rules_severity_name(RULES_SEV_ATTENTION), "attention");
    assert_null(rules_severity_name(RULES_SEV__COUNT));
    assert_string_equal(rules_due_status_name(RULES_DUE_TODAY), "due_today");
    assert_null(rules_due_status_name(RULES_DUE__COUNT));
}

/* ---- risk tier ------------------------------------------------------------ */

static void test_risk_tier(void **state)
{
    static const struct {
        double hba1c, dds;
        int phq9;
        pl_status st;
        pl_risk_tier tier;
        const char *reason; /* exact */
    } cases[] = {
        {NAN, NAN, -1, PL_OK, PL_RISK_STANDARD, "no high-need threshold met"},
        {8.99, 2.99, 9, PL_OK, PL_RISK_STANDARD, "no high-need threshold met"},
        {9.0, NAN, -1, PL_OK, PL_RISK_HIGH_NEED, "HbA1c 9 % >= 9 %"},
        {NAN, 3.0, -1, PL_OK, PL_RISK_HIGH_NEED, "DDS 3 >= 3"},
        {NAN, NAN, 10, PL_OK, PL_RISK_HIGH_NEED, "PHQ-9 10 >= 10"},
        {7.2, 2.5, 10, PL_OK, PL_RISK_HIGH_NEED, "PHQ-9 10 >= 10"},
        {9.4, 3.2, 12, PL_OK, PL_RISK_HIGH_NEED,
         "HbA1c 9.4 % >= 9 %; DDS 3.2 >= 3; PHQ-9 12 >= 10"},
        {10.1, NAN, 0, PL_OK, PL_RISK_HIGH_NEED, "HbA1c 10.1 % >= 9 %"},
        {NAN, 1.0, 0, PL_OK, PL_RISK_STANDARD, "no high-need threshold met"},
        {2.9, NAN, -1, PL_INVALID, PL_RISK_STANDARD, ""},
        {INFINITY, NAN, -1, PL_INVALID, PL_RISK_STANDARD, ""},
        {NAN, 6.1, -1, PL_INVALID, PL_RISK_STANDARD, ""},
        {NAN, NAN, 28, PL_INVALID, PL_RISK_STANDARD, ""},
        {NAN, NAN, -2, PL_INVALID, PL_RISK_STANDARD, ""},
    };
    rules_settings s;
    rules_settings_default(&s);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rules_inputs in = {cases[i].hba1c, cases[i].dds, cases[i].phq9};
        pl_risk_tier tier = (pl_risk_tier)99;
        char reason[128];
        pl_status st = rules_risk_tier(&s, &in, &tier, reason, sizeof reason);
        if (st != cases[i].st)
            fail_msg("case %zu: status %s, want %s", i, pl_status_name(st),
                     pl_status_name(cases[i].st));
        if (st != PL_OK)
            continue;
        if (tier != cases[i].tier || strcmp(reason, cases[i].reason) != 0)
            fail_msg("case %zu: %s \"%s\", want %s \"%s\"", i, pl_risk_tier_name(tier), reason,
                     pl_risk_tier_name(cases[i].tier), cases[i].reason);
    }

    /* the thresholds are the program's; a short reason buffer is truncated, not overrun */
    s.high_need_phq9 = 15;
    rules_inputs in = {NAN, NAN, 12};
    pl_risk_tier tier;
    char reason[8];
    assert_int_equal(rules_risk_tier(&s, &in, &tier, reason, sizeof reason), PL_OK);
    assert_int_equal(tier, PL_RISK_STANDARD);
    assert_string_equal(reason, "no high");
    in = (rules_inputs){9.5, 4.0, 20};
    assert_int_equal(rules_risk_tier(&s, &in, &tier, reason, sizeof reason), PL_OK);
    assert_int_equal(tier, PL_RISK_HIGH_NEED);
    assert_string_equal(reason, "HbA1c 9");
}

/* ---- contact cadence (table) ------------------------------------------- */

enum { D_TIER, D_LAST, D_ENROL, D_TODAY, D_DUE, D_STATUS, D_DAYS, D_NCOLS = 8 };
static const char *const due_header[] = {"tier", "last_contact", "enrol_date",   "today",
                                         "due",  "status",       "days_overdue", "note"};

static bool date_cell(const char *s, pl_date *out)
{
    if (strcmp(s, "-") == 0) {
        *out = PL_DATE_NONE;
        return true;
    }
    return pl_date_parse(s, out) == PL_OK;
}

static bool check_due_row(int lineno, char **col)
{
    pl_risk_tier tier;
    pl_date last, enrol, today;
    if (pl_risk_tier_parse(col[D_TIER], &tier) != PL_OK || !date_cell(col[D_LAST], &last) ||
        !date_cell(col[D_ENROL], &enrol) || !date_cell(col[D_TODAY], &today)) {
        printf("# line %d: bad tier or date\n", lineno);
        return false;
    }
    rules_settings s;
    rules_settings_default(&s);
    rules_due d;
    memset(&d, 0, sizeof d);
    pl_status st = rules_contact_due(&s, tier, last, enrol, today, &d);
    if (strcmp(col[D_DUE], "invalid") == 0) {
        if (st != PL_INVALID) {
            printf("# line %d: should be refused, got %s\n", lineno, pl_status_name(st));
            return false;
        }
        return true;
    }
    pl_date want_due;
    if (pl_date_parse(col[D_DUE], &want_due) != PL_OK) {
        printf("# line %d: bad due date '%s'\n", lineno, col[D_DUE]);
        return false;
    }
    char got[PL_DATE_STRLEN] = "";
    if (st == PL_OK)
        pl_date_format(d.due, got);
    if (st != PL_OK || d.due != want_due ||
        strcmp(rules_due_status_name(d.status), col[D_STATUS]) ||
        d.days_overdue != (int)num(col[D_DAYS])) {
        printf("# line %d: got %s %s %s %d, want %s %s %s\n", lineno, pl_status_name(st), got,
               st == PL_OK ? rules_due_status_name(d.status) : "-", d.days_overdue, col[D_DUE],
               col[D_STATUS], col[D_DAYS]);
        return false;
    }
    return true;
}

static void test_due_cases_table(void **state)
{
    int failures = 0;
    int rows = run_table("rules_due_cases.tsv", due_header, D_NCOLS, check_due_row, &failures);
    assert_true(rows >= 20);
    assert_int_equal(failures, 0);
}

static void test_due_settings_and_refusals(void **state)
{
    rules_settings s;
    rules_settings_default(&s);
    s.cadence_days[PL_RISK_STANDARD] = 30;
    s.grace_days = 0;
    pl_date d0 = pl_date_from_ymd(2025, 1, 1);
    rules_due d;
    assert_int_equal(rules_contact_due(&s, PL_RISK_STANDARD, d0, d0, d0 + 31, &d), PL_OK);
    assert_int_equal(d.due, d0 + 30);
    assert_int_equal(d.status, RULES_DUE_OVERDUE); /* no grace: overdue the day after due */
    assert_int_equal(d.days_overdue, 1);
    assert_int_equal(rules_contact_due(&s, PL_RISK__COUNT, d0, d0, d0, &d), PL_INVALID);
    assert_int_equal(rules_contact_due(&s, (pl_risk_tier)-1, d0, d0, d0, &d), PL_INVALID);
}

/* ---- worklist order ------------------------------------------------------ */

static int cmp_items(const void *a, const void *b)
{
    return rules_worklist_compare(a, b);
}

static void test_worklist_order(void **state)
{
    const pl_date T = pl_date_from_ymd(2025, 6, 15);
    /* the expected order; shuffled below before sorting */
    const rules_work_item want[] = {
        {7, 2, 0, {T + 5, RULES_DUE_UPCOMING, 0}}, /* urgent alert, even though upcoming */
        {3, 1, 4, {T + 9, RULES_DUE_UPCOMING, 0}},
        {9, 1, 0, {T + 9, RULES_DUE_UPCOMING, 0}}, /* tie by id */
        {4, 0, 1, {T - 20, RULES_DUE_OVERDUE, 20}},
        {2, 0, 3, {T, RULES_DUE_TODAY, 0}},
        {12, 0, 0, {T - 30, RULES_DUE_OVERDUE, 30}}, /* most overdue first */
        {5, 0, 0, {T - 4, RULES_DUE_OVERDUE, 4}},
        {8, 0, 0, {T - 4, RULES_DUE_OVERDUE, 4}},
        {1, 0, 0, {T - 3, RULES_DUE_LATE, 0}},
        {6, 0, 0, {T - 1, RULES_DUE_LATE, 0}},
        {10, 0, 0, {T, RULES_DUE_TODAY, 0}},
        {11, 0, 0, {T, RULES_DUE_TODAY, 0}},
        {15, 0, 0, {T + 1, RULES_DUE_UPCOMING, 0}}, /* soonest first */
        {13, 0, 0, {T + 6, RULES_DUE_UPCOMING, 0}},
        {14, 0, 0, {PL_DATE_NONE, RULES_DUE_UPCOMING, 0}}, /* nothing scheduled: last */
    };
    enum { N = sizeof want / sizeof want[0] };
    static const int shuffle[N] = {14, 3, 10, 0, 7, 12, 1, 5, 9, 2, 13, 6, 11, 4, 8};
    rules_work_item items[N];
    for (int i = 0; i < N; i++)
        items[i] = want[shuffle[i]];
    qsort(items, N, sizeof items[0], cmp_items);
    for (int i = 0; i < N; i++)
        if (items[i].participant_id != want[i].participant_id)
            fail_msg("position %d: participant %lld, want %lld", i,
                     (long long)items[i].participant_id, (long long)want[i].participant_id);

    /* reverse order sorts the same way, and the comparator is antisymmetric */
    for (int i = 0; i < N; i++)
        items[i] = want[N - 1 - i];
    qsort(items, N, sizeof items[0], cmp_items);
    for (int i = 0; i < N; i++)
        assert_int_equal(items[i].participant_id, want[i].participant_id);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int ab = rules_worklist_compare(&want[i], &want[j]);
            int ba = rules_worklist_compare(&want[j], &want[i]);
            assert_int_equal(ab, -ba);
            assert_int_equal(ab, i < j ? -1 : i > j ? 1 : 0);
        }
}

PL_TEST_MAIN(cmocka_unit_test(test_settings_defaults), cmocka_unit_test(test_settings_validate),
             cmocka_unit_test(test_settings_by_name), cmocka_unit_test(test_alert_cases_table),
             cmocka_unit_test(test_alert_limits_and_names), cmocka_unit_test(test_risk_tier),
             cmocka_unit_test(test_due_cases_table),
             cmocka_unit_test(test_due_settings_and_refusals),
             cmocka_unit_test(test_worklist_order))
