/*
 * fuzz_fhir_export.c - libFuzzer harness for the Bulk Data $export kick-off
 * parameters (src/fhir/fhir_export.c): _type, _since and _outputFormat.
 *
 * The first byte chooses the parser (0: _type, 1: _since, 2: _outputFormat,
 * by its value modulo 3); the rest is copied into a NUL-terminated string,
 * as the HTTP layer hands query values over. What callers rely on is
 * checked, and any break aborts:
 *
 * - every answer is PL_OK or PL_INVALID with a message;
 * - an accepted _type sets at least one bit, only bits of known names, and
 *   every comma-separated item of the input is one of the names (and each
 *   name's bit is set exactly when it is listed);
 * - an accepted _since formats to an instant that parses back to the same
 *   second;
 * - an accepted _outputFormat is one of the three ndjson spellings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fhir/fhir_export.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"Patient", "Observation", "Encounter", "Group"};
#define NNAMES 4

static void check_types(const char *s)
{
    pl_err err;
    pl_err_clear(&err);
    uint32_t mask = 0xffffffffu;
    pl_status st = fhir_export_types_parse(s, names, NNAMES, &mask, &err);
    if (st != PL_OK) {
        if (st != PL_INVALID || !err.message[0])
            abort();
        return;
    }
    if (mask == 0 || (mask >> NNAMES) != 0)
        abort();
    uint32_t seen = 0;
    for (const char *p = s;;) {
        size_t len = strcspn(p, ",");
        int found = -1;
        for (int i = 0; i < NNAMES; i++)
            if (strlen(names[i]) == len && memcmp(names[i], p, len) == 0)
                found = i;
        if (found < 0)
            abort();
        seen |= 1u << found;
        p += len;
        if (!*p)
            break;
        p++;
    }
    if (seen != mask)
        abort();
}

static void check_since(const char *s)
{
    pl_err err;
    pl_err_clear(&err);
    pl_time t = 0, back = 0;
    pl_status st = fhir_export_since_parse(s, &t, &err);
    if (st != PL_OK) {
        if (st != PL_INVALID || !err.message[0])
            abort();
        return;
    }
    char text[PL_TIME_STRLEN];
    pl_time_format(t, text);
    if (pl_time_parse(text, &back) != PL_OK || back != t)
        abort();
}

static void check_format(const char *s)
{
    pl_err err;
    pl_err_clear(&err);
    pl_status st = fhir_export_format_check(s, &err);
    bool known = strcmp(s, "application/fhir+ndjson") == 0 ||
                 strcmp(s, "application/ndjson") == 0 || strcmp(s, "ndjson") == 0;
    if ((st == PL_OK) != known || (st != PL_OK && (st != PL_INVALID || !err.message[0])))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *s = malloc(size);
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    switch (data[0] % 3) {
    case 0:
        check_types(s);
        break;
    case 1:
        check_since(s);
        break;
    default:
        check_format(s);
        break;
    }
    free(s);
    return 0;
}
