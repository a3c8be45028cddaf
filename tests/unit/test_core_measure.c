/*
 * test_core_measure.c - measurement codes, units, ranges (src/core/measure.c).
 *
 * The bulk of the cases live in tests/data/measure_cases.tsv: one row per
 * (code, value, unit) with the stored value worked out by hand from the
 * conversion rules of DESIGN.md section 7, or the field and message a person
 * must see. One loop checks every row through measurement_prepare() and
 * names each failing row by its line number.
 */
#include <math.h>
#include <string.h>

#include "test.h"

#include "core/measure.h"

/* 2025-06-15T12:00:00Z: day 20254 (2025-01-01 = 20089, + 151 + 14) x 86400 + 12 h */
#define NOW 1749988800LL

#define NCOLS 10

enum { C_CODE, C_VALUE, C_UNIT, C_EXPECT, C_CANON, C_CANON_UNIT, C_ANALYTE, C_FIELD, C_MSG };

static const char *const header[] = {"code",           "value",   "unit",  "expect",  "canonical",
                                     "canonical_unit", "analyte", "field", "message", "note"};

/* "NULL" is a NULL pointer, "\"\"" an empty string. */
static const char *cell(const char *s)
{
    if (strcmp(s, "NULL") == 0)
        return NULL;
    if (strcmp(s, "\"\"") == 0)
        return "";
    return s;
}

/* Splits line in place on tabs; returns the number of columns. */
static pl_measurement valid_measurement(const char *code, const char *value, const char *unit)
{
    pl_measurement m = {0};
    m.participant_id = 42;
    m.code = code;
    m.entered_value = value;
    m.entered_unit = unit;
    m.effective_at = NOW - 3600;
    m.source = PL_SOURCE_LAB;
    m.wave = 6;
    m.value = -999;
    return m;
}

/* Checks one data row; returns false (after saying why) when it fails. */
static bool check_row(int lineno, char **col)
{
    const char *code = cell(col[C_CODE]);
    const char *value = cell(col[C_VALUE]);
    const char *unit = cell(col[C_UNIT]);
    bool want_ok = strcmp(col[C_EXPECT], "ok") == 0;
    if (!want_ok && strcmp(col[C_EXPECT], "invalid") != 0) {
        printf("# line %d: expect must be ok or invalid, not '%s'\n", lineno, col[C_EXPECT]);
        return false;
    }
    pl_measurement m = valid_measurement(code, value, unit);
    pl_err err;
    pl_err_clear(&err);
    pl_status st = measurement_prepare(&m, NOW, &err);

    if (want_ok) {
        char *end;
        double want = strtod(col[C_CANON], &end);
        if (*end != '\0') {
            printf("# line %d: bad canonical column '%s'\n", lineno, col[C_CANON]);
            return false;
        }
        if (st != PL_OK || err.nfields != 0) {
            printf("# line %d: %s %s %s should be accepted, got %s\n", lineno, col[C_CODE],
                   col[C_VALUE], col[C_UNIT], pl_status_name(st));
            test_dump_err(&err);
            return false;
        }
        double tol = 1e-9 * fmax(1.0, fabs(want));
        if (fabs(m.value - want) > tol) {
            printf("# line %d: %s %s %s stored as %.12g, want %.12g\n", lineno, col[C_CODE],
                   col[C_VALUE], col[C_UNIT], m.value, want);
            return false;
        }
        if (!m.unit || strcmp(m.unit, col[C_CANON_UNIT]) != 0 || !m.analyte ||
            strcmp(m.analyte, col[C_ANALYTE]) != 0) {
            printf("# line %d: stored as %s in %s, want %s in %s\n", lineno,
                   m.analyte ? m.analyte : "(null)", m.unit ? m.unit : "(null)", col[C_ANALYTE],
                   col[C_CANON_UNIT]);
            return false;
        }
        /* the unit as entered is kept; no unit means the code's own (first listed) unit */
        const char *want_entered =
            unit && *unit ? unit : measure_def_find(col[C_CODE])->units[0].ucum;
        if (!m.entered_unit || strcmp(m.entered_unit, want_entered) != 0) {
            printf("# line %d: entered unit kept as %s, want %s\n", lineno,
                   m.entered_unit ? m.entered_unit : "(null)", want_entered);
            return false;
        }
        if (m.entered_value != value) {
            printf("# line %d: the value as written was not kept\n", lineno);
            return false;
        }
        return true;
    }

    if (st != PL_INVALID || err.status != PL_INVALID) {
        printf("# line %d: %s %s %s should be refused, got %s\n", lineno, col[C_CODE], col[C_VALUE],
               col[C_UNIT], pl_status_name(st));
        return false;
    }
    if (!test_field_error(&err, col[C_FIELD], col[C_MSG])) {
        printf("# line %d: no error on '%s' containing \"%s\"; got:\n", lineno, col[C_FIELD],
               col[C_MSG]);
        test_dump_err(&err);
        return false;
    }
    /* a refused measurement is not half-filled */
    if (m.analyte != NULL || m.unit != NULL || m.value != -999) {
        printf("# line %d: refused measurement was still filled in\n", lineno);
        return false;
    }
    return true;
}

typedef struct coverage {
    int ok_rows;
    int range_refusals;
    bool unit_ok[MEASURE_UNITS_MAX];
} coverage;

static void test_measure_cases_table(void **state)
{
    test_table t;
    test_table_open(&t, "measure_cases.tsv", header, NCOLS);

    coverage cov[64] = {{0}};
    int ndefs = 0;
    while (measure_def_at(ndefs))
        ndefs++;
    assert_true(ndefs > 0 && ndefs <= 64);
    bool bp_panel_seen[2] = {false, false};

    int lineno = 0, rows = 0, failures = 0;
    char *col[NCOLS];
    int ncols;
    while ((ncols = test_table_next(&t, col, NCOLS)) >= 0) {
        lineno = t.lineno;
        if (ncols < C_MSG + 1) {
            printf("# line %d: %d columns, want at least %d\n", lineno, ncols, C_MSG + 1);
            failures++;
            continue;
        }
        rows++;
        if (!check_row(lineno, col))
            failures++;

        /* what the table covers, per code */
        const measure_def *d = measure_def_find(col[C_CODE]);
        if (d) {
            coverage *c = &cov[d - measure_def_at(0)];
            if (strcmp(col[C_EXPECT], "ok") == 0) {
                c->ok_rows++;
                const char *u = cell(col[C_UNIT]);
                for (int j = 0; j < MEASURE_UNITS_MAX && d->units[j].ucum; j++)
                    if (u && strcmp(u, d->units[j].ucum) == 0)
                        c->unit_ok[j] = true;
            } else if (strstr(col[C_MSG], "outside")) {
                c->range_refusals++;
            }
        }
        if (strcmp(col[C_CODE], "85354-9") == 0)
            bp_panel_seen[0] = true;
        if (strcmp(col[C_CODE], "55284-4") == 0)
            bp_panel_seen[1] = true;
    }
    test_table_close(&t);
    printf("# %d rows checked, %d failed\n", rows, failures);
    assert_true(rows >= 150);

    /* every code peerlink records is exercised at both ends of its range and in every unit */
    for (int i = 0; i < ndefs; i++) {
        const measure_def *d = measure_def_at(i);
        if (cov[i].ok_rows < 2 || cov[i].range_refusals < 2) {
            printf("# code %s lacks boundary rows (%d ok, %d out of range)\n", d->code,
                   cov[i].ok_rows, cov[i].range_refusals);
            failures++;
        }
        for (int j = 0; j < MEASURE_UNITS_MAX && d->units[j].ucum; j++)
            if (!cov[i].unit_ok[j]) {
                printf("# code %s has no accepted row in unit %s\n", d->code, d->units[j].ucum);
                failures++;
            }
    }
    assert_true(bp_panel_seen[0] && bp_panel_seen[1]);
    assert_int_equal(failures, 0);
}

/* ---- the other rules of measurement_prepare ---------------------------- */

static void test_prepare_other_fields(void **state)
{
    static const struct {
        const char *name;
        pl_id participant;
        pl_source source;
        int wave;
        pl_time at;
        const char *field; /* NULL: accepted */
        const char *msg;
    } cases[] = {
        {"baseline", 42, PL_SOURCE_EMR, 0, NOW - 60, NULL, NULL},
        {"no wave", 42, PL_SOURCE_SELF, -1, NOW - 60, NULL, NULL},
        {"wave 120", 42, PL_SOURCE_PEER, 120, NOW - 60, NULL, NULL},
        {"wave 121", 42, PL_SOURCE_PEER, 121, NOW - 60, "wave", "between 0 and 120"},
        {"wave -2", 42, PL_SOURCE_PEER, -2, NOW - 60, "wave", "between 0 and 120"},
        {"no participant", 0, PL_SOURCE_LAB, 0, NOW - 60, "participant_id", "is required"},
        {"bad source", 42, PL_SOURCE__COUNT, 0, NOW - 60, "source", "emr, lab, point_of_care"},
        {"negative source", 42, (pl_source)-1, 0, NOW - 60, "source", "emr, lab"},
        {"no time", 42, PL_SOURCE_LAB, 0, PL_TIME_NONE, "effective_at", "is required"},
        {"clock skew 600 s", 42, PL_SOURCE_POINT_OF_CARE, 0, NOW + 600, NULL, NULL},
        {"601 s ahead", 42, PL_SOURCE_LAB, 0, NOW + 601, "effective_at", "future"},
        /* 1950-01-01T00:00:00Z is -7305 days = -631152000 s */
        {"1950-01-01", 42, PL_SOURCE_LAB, 0, -631152000LL, NULL, NULL},
        {"1949-12-31T23:59:59Z", 42, PL_SOURCE_LAB, 0, -631152001LL, "effective_at",
         "before 1950-01-01"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pl_measurement m = valid_measurement("4548-4", "7.1", "%");
        m.participant_id = cases[i].participant;
        m.source = cases[i].source;
        m.wave = cases[i].wave;
        m.effective_at = cases[i].at;
        pl_err err;
        pl_err_clear(&err);
        pl_status st = measurement_prepare(&m, NOW, &err);
        if (!cases[i].field) {
            if (st != PL_OK)
                fail_msg("%s: should be accepted, got %s", cases[i].name, pl_err_text(&err));
        } else {
            if (st != PL_INVALID || !test_field_error(&err, cases[i].field, cases[i].msg))
                fail_msg("%s: want %s error containing \"%s\", got \"%s\"", cases[i].name,
                         cases[i].field, cases[i].msg, pl_err_text(&err));
            assert_int_equal(err.nfields, 1);
        }
    }
}

static void test_prepare_reports_every_field(void **state)
{
    pl_measurement m = valid_measurement("29463-7", "7,5", "stone");
    m.participant_id = 0;
    m.effective_at = NOW + 3600;
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(measurement_prepare(&m, NOW, &err), PL_INVALID);
    assert_int_equal(err.nfields, 4);
    assert_true(test_field_error(&err, "participant_id", "required"));
    assert_true(test_field_error(&err, "effective_at", "future"));
    assert_true(test_field_error(&err, "unit", "must be one of kg, [lb_av], g"));
    assert_true(test_field_error(&err, "value", "decimal number"));
    assert_int_equal(err.truncated, 0);

    /* an unknown code still reports the other broken fields */
    m = valid_measurement("0000-0", "7", "%");
    m.wave = 500;
    pl_err_clear(&err);
    assert_int_equal(measurement_prepare(&m, NOW, &err), PL_INVALID);
    assert_int_equal(err.nfields, 2);
    assert_true(test_field_error(&err, "wave", NULL));
    assert_true(test_field_error(&err, "code", "LOINC"));
}

static void test_convert_for_display(void **state)
{
    const measure_def *d = measure_def_find("4548-4");
    assert_non_null(d);
    double out;
    /* 7 % is 10.929 x (7 - 2.15) = 53.00565 mmol/mol */
    assert_int_equal(measure_convert_from_canonical(d, 7.0, "mmol/mol", &out), PL_OK);
    assert_true(fabs(out - 53.00565) < 1e-9);
    assert_int_equal(measure_convert_from_canonical(d, 7.0, "%", &out), PL_OK);
    assert_true(fabs(out - 7.0) < 1e-12);
    assert_int_equal(measure_convert_from_canonical(d, 7.0, "mg/dL", &out), PL_INVALID);

    d = measure_def_find("2093-3");
    assert_non_null(d);
    /* 5.172 mmol/L / 0.02586 = 200 mg/dL */
    assert_int_equal(measure_convert_from_canonical(d, 5.172, "mg/dL", &out), PL_OK);
    assert_true(fabs(out - 200.0) < 1e-9);
    assert_int_equal(measure_convert(d, 200.0, "mg/dL", &out), PL_OK);
    assert_true(fabs(out - 5.172) < 1e-12);
    assert_int_equal(measure_convert(d, 200.0, "mg/dl ", &out), PL_INVALID);

    assert_null(measure_def_find("85354-9"));
    assert_true(measure_is_bp_panel("85354-9"));
    assert_true(measure_is_bp_panel("55284-4"));
    assert_false(measure_is_bp_panel("8480-6"));
    assert_false(measure_is_bp_panel(NULL));
}

/* ---- blood-pressure pairs --------------------------------------------- */

static void test_bp_validate(void **state)
{
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(measure_bp_validate(120, 80, &err), PL_OK);
    assert_int_equal(err.nfields, 0);
    assert_int_equal(measure_bp_validate(81, 80, &err), PL_OK);

    pl_err_clear(&err);
    assert_int_equal(measure_bp_validate(80, 80, &err), PL_INVALID); /* equal is refused */
    assert_int_equal(err.nfields, 1);
    assert_string_equal(err.fields[0].field, "value");
    assert_non_null(strstr(err.fields[0].message, "must be above diastolic"));

    pl_err_clear(&err);
    assert_int_equal(measure_bp_validate(80, 120, &err), PL_INVALID); /* swapped */
    assert_string_equal(err.fields[0].message,
                        "systolic pressure (80) must be above diastolic (120)");
    assert_int_equal(err.status, PL_INVALID);
}

/* ---- strict decimals --------------------------------------------------- */

static void test_parse_decimal(void **state)
{
    static const struct {
        const char *s;
        double v;
    } good[] = {
        {"0", 0},
        {"7", 7},
        {"7.50", 7.5},
        {"-12.25", -12.25},
        {"0.001", 0.001},
        {"1e3", 1000},
        {"1E-2", 0.01},
        {"2.5e+1", 25},
        {"-0.5", -0.5},
        {"120", 120},
        {"100000", 1e5},
        {"0e0", 0},
        {"12345678901234567890123456789012", 12345678901234567890123456789012.0},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double v = -1;
        if (measure_parse_decimal(good[i].s, &v) != PL_OK)
            fail_msg("\"%s\" should parse", good[i].s);
        if (v != good[i].v)
            fail_msg("\"%s\" parsed as %.17g, want %.17g", good[i].s, v, good[i].v);
    }
    static const char *const bad[] = {
        "",      "-",     "+1",     "--1",
        ".5",    "-.5",   "5.",     "1e",
        "1e+",   "1e-",   "e5",     "07",
        "00",    "-07",   "7,5",    "1 000",
        " 7",    "7 ",    "7\n",    "NaN",
        "nan",   "inf",   "-inf",   "Infinity",
        "0x1A",  "1.2.3", "1e5.5",  "7%",
        "seven", "1e999", "-1e999", "123456789012345678901234567890123", /* 33 bytes */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v = 3.25;
        if (measure_parse_decimal(bad[i], &v) != PL_INVALID)
            fail_msg("\"%s\" should be refused", bad[i]);
    }
}

PL_TEST_MAIN(cmocka_unit_test(test_measure_cases_table),
             cmocka_unit_test(test_prepare_other_fields),
             cmocka_unit_test(test_prepare_reports_every_field),
             cmocka_unit_test(test_convert_for_display), cmocka_unit_test(test_bp_validate),
             cmocka_unit_test(test_parse_decimal))
