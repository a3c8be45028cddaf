/*
 * fuzz_time.c - libFuzzer harness for the date and instant parsers.
 *
 * Feeds a NUL-terminated copy of the input to pl_date_parse, pl_time_parse
 * and pl_text_ok, and checks what a caller relies on: whatever parses
 * formats to the canonical form, and that form parses back to the same
 * value. Any mismatch aborts, which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/domain.h"
#include "core/time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_date(const char *s)
{
    pl_date d;
    if (pl_date_parse(s, &d) != PL_OK)
        return;
    char out[PL_DATE_STRLEN], again[PL_DATE_STRLEN];
    pl_date_format(d, out);
    /* a date that parsed is written exactly as it was given */
    if (strcmp(out, s) != 0)
        abort();
    pl_date d2;
    if (pl_date_parse(out, &d2) != PL_OK || d2 != d)
        abort();
    pl_date_format(d2, again);
    if (strcmp(again, out) != 0)
        abort();
    if (pl_time_date(pl_date_time(d)) != d)
        abort();
}

static void check_time(const char *s)
{
    pl_time t;
    if (pl_time_parse(s, &t) != PL_OK)
        return;
    /* dates are 1900-2199; an offset moves the instant by less than a day */
    if (t < -25567LL * 86400 - 86400 || t >= 84006LL * 86400 + 86400)
        abort();
    char out[PL_TIME_STRLEN];
    pl_time_format(t, out);
    if (strlen(out) != PL_TIME_STRLEN - 1 || out[10] != 'T' || out[19] != 'Z')
        abort();
    pl_time t2;
    if (pl_time_parse(out, &t2) != PL_OK) {
        /* only an offset pushing the instant out of the 1900-2199 range may do this */
        if (strncmp(out, "1899-12-31", 10) != 0 && strncmp(out, "2200-01-01", 10) != 0)
            abort();
        return;
    }
    if (t2 != t)
        abort();
    /* the UTC day of the instant is the date part of its UTC form */
    pl_date d;
    char day[PL_DATE_STRLEN];
    memcpy(day, out, 10);
    day[10] = '\0';
    if (pl_date_parse(day, &d) != PL_OK || d != pl_time_date(t))
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
    check_date(s);
    check_time(s);
    (void)pl_text_ok(s, false);
    (void)pl_text_ok(s, true);
    free(s);
    return 0;
}
