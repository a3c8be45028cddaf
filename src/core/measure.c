/*
 * measure.c - the measurement table and its checks; see measure.h.
 *
 * Conversion factors come from DESIGN.md §7: HbA1c mmol/mol = 10.929 x
 * (% - 2.15) (the IFCC-NGSP master equation), cholesterol mmol/L = mg/dL x
 * 0.02586, triglycerides x 0.01129, glucose mmol/L = mg/dL / 18.016.
 * Ranges without a figure in the design (lipids, random glucose) are
 * peerlink's choice, wide enough for any living patient; docs/MEASUREMENTS.md
 * lists them all.
 */
#include "measure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "time.h"

#define CHOL (0.02586)
#define TRIG (0.01129)
#define GLUC (1.0 / 18.016)
#define IFCC (1.0 / 10.929)

static const measure_def defs[] = {
    {"4548-4", "hba1c", "HbA1c", "%", 3, 20, false, {{"%", 1, 0}, {"mmol/mol", IFCC, 2.15}}},
    {"59261-8", "hba1c", "HbA1c", "%", 3, 20, false, {{"mmol/mol", IFCC, 2.15}, {"%", 1, 0}}},
    {"8480-6", "sbp", "Systolic blood pressure", "mm[Hg]", 60, 280, false, {{"mm[Hg]", 1, 0}}},
    {"8462-4", "dbp", "Diastolic blood pressure", "mm[Hg]", 30, 160, false, {{"mm[Hg]", 1, 0}}},
    {"2093-3",
     "total_cholesterol",
     "Total cholesterol",
     "mmol/L",
     1,
     20,
     false,
     {{"mmol/L", 1, 0}, {"mg/dL", CHOL, 0}}},
    {"13457-7",
     "ldl",
     "LDL cholesterol (calculated)",
     "mmol/L",
     0.2,
     15,
     false,
     {{"mmol/L", 1, 0}, {"mg/dL", CHOL, 0}}},
    {"18262-6",
     "ldl",
     "LDL cholesterol (direct)",
     "mmol/L",
     0.2,
     15,
     false,
     {{"mmol/L", 1, 0}, {"mg/dL", CHOL, 0}}},
    {"2085-9",
     "hdl",
     "HDL cholesterol",
     "mmol/L",
     0.1,
     5,
     false,
     {{"mmol/L", 1, 0}, {"mg/dL", CHOL, 0}}},
    {"2571-8",
     "triglycerides",
     "Triglycerides",
     "mmol/L",
     0.1,
     50,
     false,
     {{"mmol/L", 1, 0}, {"mg/dL", TRIG, 0}}},
    {"29463-7",
     "weight",
     "Body weight",
     "kg",
     25,
     300,
     false,
     {{"kg", 1, 0}, {"[lb_av]", 0.45359237, 0}, {"g", 0.001, 0}}},
    {"8302-2",
     "height",
     "Body height",
     "cm",
     120,
     220,
     false,
     {{"cm", 1, 0}, {"[in_i]", 2.54, 0}, {"m", 100, 0}}},
    {"39156-5", "bmi", "Body mass index", "kg/m2", 12, 70, false, {{"kg/m2", 1, 0}}},
    {"1558-6",
     "fasting_glucose",
     "Fasting glucose",
     "mmol/L",
     1.5,
     35,
     false,
     {{"mmol/L", 1, 0}, {"mg/dL", GLUC, 0}}},
    {"2339-0",
     "glucose",
     "Blood glucose",
     "mmol/L",
     1,
     50,
     false,
     {{"mmol/L", 1, 0}, {"mg/dL", GLUC, 0}}},
    {"44261-6", "phq9", "PHQ-9 total score", "{score}", 0, 27, true, {{"{score}", 1, 0}}},
    {"55758-7", "phq2", "PHQ-2 total score", "{score}", 0, 6, true, {{"{score}", 1, 0}}},
};

#define NDEFS ((int)(sizeof defs / sizeof defs[0]))

const measure_def *measure_def_find(const char *code)
{
    if (!code)
        return NULL;
    for (int i = 0; i < NDEFS; i++)
        if (strcmp(defs[i].code, code) == 0)
            return &defs[i];
    return NULL;
}

const measure_def *measure_def_at(int i)
{
    return i >= 0 && i < NDEFS ? &defs[i] : NULL;
}

bool measure_is_bp_panel(const char *code)
{
    return code && (strcmp(code, "85354-9") == 0 || strcmp(code, "55284-4") == 0);
}

static const measure_unit *unit_find(const measure_def *d, const char *unit)
{
    for (int i = 0; i < MEASURE_UNITS_MAX && d->units[i].ucum; i++)
        if (strcmp(d->units[i].ucum, unit) == 0)
            return &d->units[i];
    return NULL;
}

pl_status measure_convert(const measure_def *d, double value, const char *unit, double *out)
{
    const measure_unit *u = unit_find(d, unit);
    if (!u)
        return PL_INVALID;
    *out = value * u->factor + u->offset;
    return PL_OK;
}

pl_status measure_convert_from_canonical(const measure_def *d, double canonical, const char *unit,
                                         double *out)
{
    const measure_unit *u = unit_find(d, unit);
    if (!u)
        return PL_INVALID;
    *out = (canonical - u->offset) / u->factor;
    return PL_OK;
}

pl_status measure_parse_decimal(const char *s, double *out)
{
    const char *p = s;
    if (strlen(s) > 32)
        return PL_INVALID;
    if (*p == '-')
        p++;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (*p >= '0' && *p <= '9')
            p++;
    } else {
        return PL_INVALID;
    }
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return PL_INVALID;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (*p < '0' || *p > '9')
            return PL_INVALID;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p != '\0')
        return PL_INVALID;
    double v = strtod(s, NULL);
    if (!isfinite(v))
        return PL_INVALID;
    *out = v;
    return PL_OK;
}

/* Lists a definition's accepted units as "%, mmol/mol" for messages. */
static void units_list(const measure_def *d, char *out, size_t n)
{
    out[0] = '\0';
    for (int i = 0; i < MEASURE_UNITS_MAX && d->units[i].ucum; i++) {
        if (i)
            strncat(out, ", ", n - strlen(out) - 1);
        strncat(out, d->units[i].ucum, n - strlen(out) - 1);
    }
}

/*
 * Prints v with the fewest significant digits (at least 3) that keep it
 * outside [lo, hi], so a refused value never reads as a boundary: 9.28
 * mmol/mol is 2.99912 %, shown as "2.999 %", not "3 %".
 */
static void format_outside(double v, double lo, double hi, char *out, size_t n)
{
    for (int prec = 3; prec <= 17; prec++) {
        snprintf(out, n, "%.*g", prec, v);
        double shown = strtod(out, NULL);
        if (shown < lo || shown > hi)
            return;
    }
}

pl_status measurement_prepare(pl_measurement *m, pl_time now, pl_err *err)
{
    if (m->participant_id <= 0)
        pl_err_field(err, "participant_id", "is required");
    if (!pl_source_name(m->source))
        pl_err_field(err, "source", "must be emr, lab, point_of_care, self or peer");
    if (m->wave < -1 || m->wave > 120)
        pl_err_field(err, "wave", "must be a month between 0 and 120");
    if (m->effective_at == PL_TIME_NONE)
        pl_err_field(err, "effective_at", "is required");
    else if (m->effective_at > now + 600)
        pl_err_field(err, "effective_at", "must not be in the future");
    else if (m->effective_at < pl_date_time(pl_date_from_ymd(1950, 1, 1)))
        pl_err_field(err, "effective_at", "must not be before 1950-01-01");

    const measure_def *d = measure_def_find(m->code);
    if (!d) {
        if (measure_is_bp_panel(m->code))
            pl_err_field(err, "code",
                         "%s is a blood-pressure panel: record 8480-6 and 8462-4 separately",
                         m->code);
        else
            pl_err_field(err, "code",
                         "must be a LOINC code peerlink records (see "
                         "docs/MEASUREMENTS.md)");
        return PL_INVALID;
    }
    const char *unit = m->entered_unit && *m->entered_unit ? m->entered_unit : d->units[0].ucum;
    char units[64];
    double entered = 0, canonical = 0;
    if (!unit_find(d, unit)) {
        units_list(d, units, sizeof units);
        pl_err_field(err, "unit", "must be one of %s for %s (%s)", units, m->code, d->display);
    }
    if (!m->entered_value || measure_parse_decimal(m->entered_value, &entered) != PL_OK) {
        pl_err_field(err, "value", "must be a decimal number such as 7.2");
    } else if (unit_find(d, unit)) {
        measure_convert(d, entered, unit, &canonical);
        if (d->integer && entered != floor(entered))
            pl_err_field(err, "value", "%s must be a whole number", d->display);
        else if (canonical < d->lo || canonical > d->hi) {
            if (strcmp(unit, d->unit) == 0)
                pl_err_field(err, "value", "%s %s %s is outside the plausible range %g-%g %s",
                             d->display, m->entered_value, unit, d->lo, d->hi, d->unit);
            else {
                char shown[32];
                format_outside(canonical, d->lo, d->hi, shown, sizeof shown);
                pl_err_field(err, "value",
                             "%s %s %s (%s %s) is outside the plausible range %g-%g %s", d->display,
                             m->entered_value, unit, shown, d->unit, d->lo, d->hi, d->unit);
            }
        }
    }
    if (err->status != PL_OK)
        return PL_INVALID;
    m->analyte = d->analyte;
    m->unit = d->unit;
    m->entered_unit = unit;
    m->value = canonical;
    return PL_OK;
}

pl_status measure_bp_validate(double sbp, double dbp, pl_err *err)
{
    if (sbp <= dbp) {
        pl_err_field(err, "value", "systolic pressure (%g) must be above diastolic (%g)", sbp, dbp);
        return PL_INVALID;
    }
    return PL_OK;
}
