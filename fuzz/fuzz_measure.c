/*
 * fuzz_measure.c - libFuzzer harness for measurement parsing and checks.
 *
 * The input is split on tabs into code, value and unit (a missing unit is
 * NULL, as when an API client leaves it out) and run through
 * measurement_prepare; the whole input also goes to measure_parse_decimal
 * and pl_text_ok. A measurement that is accepted must be stored inside its
 * plausible range in the canonical unit; anything else aborts.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/domain.h"
#include "core/measure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1750000000LL

static void check_decimal(const char *s)
{
    double v;
    if (measure_parse_decimal(s, &v) != PL_OK)
        return;
    if (!isfinite(v) || strlen(s) > 32)
        abort();
}

static void check_measurement(char *s)
{
    char *code = s, *value = NULL, *unit = NULL;
    char *tab = strchr(code, '\t');
    if (tab) {
        *tab = '\0';
        value = tab + 1;
        tab = strchr(value, '\t');
        if (tab) {
            *tab = '\0';
            unit = tab + 1;
        }
    }
    pl_measurement m = {0};
    m.participant_id = 1;
    m.code = code;
    m.entered_value = value;
    m.entered_unit = unit;
    m.effective_at = NOW - 60;
    m.source = PL_SOURCE_LAB;
    m.wave = 0;
    pl_err err;
    pl_err_clear(&err);
    pl_status st = measurement_prepare(&m, NOW, &err);
    if (st != PL_OK) {
        /* a refusal always says which field and why */
        if (st != PL_INVALID || err.nfields < 1 || !err.fields[0].message[0])
            abort();
        return;
    }
    const measure_def *d = measure_def_find(code);
    if (!d || !m.analyte || strcmp(m.analyte, d->analyte) != 0 || strcmp(m.unit, d->unit) != 0)
        abort();
    if (!(m.value >= d->lo && m.value <= d->hi))
        abort();
    if (d->integer && m.value != floor(m.value))
        abort();
    /* the canonical value converts back to what was entered */
    double back;
    if (measure_convert_from_canonical(d, m.value, m.entered_unit, &back) != PL_OK)
        abort();
    double entered;
    if (measure_parse_decimal(value, &entered) != PL_OK)
        abort();
    if (fabs(back - entered) > 1e-9 * fmax(1.0, fabs(entered)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    check_decimal(s);
    (void)pl_text_ok(s, false);
    (void)pl_text_ok(s, true);
    check_measurement(s); /* splits s in place: last */
    free(s);
    return 0;
}
