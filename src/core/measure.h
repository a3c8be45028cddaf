/*
 * measure.h - LOINC-coded measurements: units, conversion, plausible ranges.
 *
 * One table row per LOINC code peerlink records. Each code belongs to an
 * analyte ("hba1c", "ldl", ...) with one canonical UCUM unit; values are
 * stored in that unit so that reports never mix mmol/mol with %, while the
 * value and unit as entered are kept beside it. A value outside the
 * analyte's plausible range (DESIGN.md §7) is refused with a message that
 * names the range, never silently dropped or clamped.
 */
#ifndef PL_CORE_MEASURE_H
#define PL_CORE_MEASURE_H

#include <stdbool.h>

#include "domain.h"

#define MEASURE_UNITS_MAX 4

typedef struct measure_unit {
    const char *ucum;
    double factor; /* canonical = entered * factor + offset */
    double offset;
} measure_unit;

typedef struct measure_def {
    const char *code;    /* LOINC */
    const char *analyte; /* canonical short name */
    const char *display; /* English name for messages */
    const char *unit;    /* canonical UCUM unit */
    double lo, hi;       /* plausible range, canonical unit, inclusive */
    bool integer;        /* scores: whole numbers only */
    measure_unit units[MEASURE_UNITS_MAX];
} measure_def;

/* The row for a LOINC code, or NULL. */
const measure_def *measure_def_find(const char *code);
/* The i-th row (for documentation and tests); NULL past the end. */
const measure_def *measure_def_at(int i);

/* True for the two blood-pressure panel codes (85354-9, 55284-4). */
bool measure_is_bp_panel(const char *code);

/* Converts `value` in `unit` to the analyte's canonical unit; PL_INVALID if the unit is not
 * accepted. */
pl_status measure_convert(const measure_def *d, double value, const char *unit, double *out);

/* Converts a canonical value to another accepted unit (for display). */
pl_status measure_convert_from_canonical(const measure_def *d, double canonical, const char *unit,
                                         double *out);

/*
 * Strict decimal as FHIR writes it: -?digits[.digits][e[+-]digits], at most
 * 32 bytes, finite. PL_INVALID otherwise.
 */
pl_status measure_parse_decimal(const char *s, double *out);

/*
 * Checks a measurement and fills analyte, value and unit from code,
 * entered_value and entered_unit (entered_unit NULL means the code's own
 * unit, the first it lists: % for 4548-4, mmol/mol for 59261-8; not the canonical
 * unit). Also checks source, wave and that effective_at is not after now.
 * analyte and unit point into the static table.
 */
pl_status measurement_prepare(pl_measurement *m, pl_time now, pl_err *err);

/* A blood-pressure reading must have systolic above diastolic. */
pl_status measure_bp_validate(double sbp, double dbp, pl_err *err);

#endif
