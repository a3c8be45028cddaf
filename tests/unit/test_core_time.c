/*
 * test_core_time.c - strict dates and RFC 3339 instants (src/core/time.c).
 *
 * Expected day and second counts are worked out by hand from the calendar:
 * 2024-01-01 is 54 years after 1970 with 13 leap days (1972..2020), so day
 * 54 * 365 + 13 = 19723; every other figure is derived from such anchors in
 * the comment beside it.
 */
#include <string.h>

#include "test.h"

#include "core/time.h"

#define DAY 86400

/* ---- dates ------------------------------------------------------------- */

static void date_ok(const char *s, pl_date want)
{
    pl_date d = 12345;
    if (pl_date_parse(s, &d) != PL_OK)
        fail_msg("\"%s\" should parse as a date", s);
    if (d != want)
        fail_msg("\"%s\" parsed as day %d, want %d", s, (int)d, (int)want);
}

static void date_bad(const char *s)
{
    pl_date d = 12345;
    if (pl_date_parse(s, &d) != PL_INVALID)
        fail_msg("\"%s\" should be refused as a date", s);
    assert_int_equal(d, 12345); /* nothing half-written on failure */
}

static void test_date_valid(void **state)
{
    date_ok("1970-01-01", 0);
    date_ok("1970-01-02", 1);
    date_ok("1969-12-31", -1);
    date_ok("2024-01-01", 19723);
    date_ok("2024-03-15", 19797);  /* 19723 + 31 + 29 + 14 */
    date_ok("2024-12-31", 20088);  /* 19723 + 366 - 1 */
    date_ok("1900-01-01", -25567); /* 70 years, 17 leap days (1904..1968) */
    date_ok("2199-12-31", 84005);  /* 2200-01-01 = 230 * 365 + 56 leap days, minus one */
    date_ok("2038-01-19", 24855);  /* 2^31 s after the epoch falls on this day */
}

static void test_date_leap_years(void **state)
{
    date_ok("2024-02-29", 19782); /* 19723 + 31 + 28 */
    date_ok("2000-02-29", 11016); /* divisible by 400: a leap year */
    date_bad("2023-02-29");
    date_bad("1900-02-29"); /* divisible by 100, not 400: no leap day */
    date_bad("2100-02-29");
    date_bad("2024-02-30");
    date_ok("2023-02-28", 19416); /* 2023-01-01 = 19723 - 365 = 19358; + 31 + 27 */
}

static void test_date_month_lengths(void **state)
{
    date_ok("2023-04-30", 19477); /* 19358 + 31 + 28 + 31 + 29 */
    date_bad("2023-04-31");
    date_bad("2023-06-31");
    date_bad("2023-09-31");
    date_bad("2023-11-31");
    date_ok("2023-12-31", 19722);
    date_bad("2023-12-32");
    date_bad("2023-13-01");
    date_bad("2023-00-10");
    date_bad("2023-01-00");
}

static void test_date_year_range(void **state)
{
    date_bad("1899-12-31");
    date_bad("2200-01-01");
    date_bad("0000-01-01");
    date_bad("9999-12-31");
}

static void test_date_bad_syntax(void **state)
{
    date_bad("");
    date_bad("2024/03/15");
    date_bad("2024-03/15");
    date_bad("2024.03.15");
    date_bad("20240315");
    date_bad("2024-3-15");
    date_bad("2024-03-5");
    date_bad("24-03-15");
    date_bad("+2024-03-15");
    date_bad("-2024-03-15");
    date_bad("03/04/2025"); /* never guess day/month order */
    date_bad("15-03-2024");
    date_bad("2024-03-1");
    date_bad("2024-03");
    date_bad("2024");
    date_bad("2O24-03-15"); /* letter O */
    date_bad("2024-0a-15");
    date_bad("２０２４-03-15"); /* full-width digits */
}

static void test_date_trailing_and_leading_junk(void **state)
{
    date_bad(" 2024-03-15");
    date_bad("2024-03-15 ");
    date_bad("2024-03-15x");
    date_bad("2024-03-150");
    date_bad("2024-03-15\n");
    date_bad("2024-03-15T00:00:00Z"); /* an instant is not a date */
}

static void test_date_format(void **state)
{
    char out[PL_DATE_STRLEN];
    pl_date_format(0, out);
    assert_string_equal(out, "1970-01-01");
    pl_date_format(-1, out);
    assert_string_equal(out, "1969-12-31");
    pl_date_format(19782, out);
    assert_string_equal(out, "2024-02-29");
    pl_date_format(-25567, out);
    assert_string_equal(out, "1900-01-01");
    pl_date_format(84005, out);
    assert_string_equal(out, "2199-12-31");
}

/* Walks every day from 1900-01-01 to 2199-12-31 with its own month table and
 * checks from_ymd, to_ymd, format and parse agree with the walk. */
static void test_date_every_day_round_trip(void **state)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    pl_date day = -25567;
    int checked = 0;
    for (int y = 1900; y <= 2199; y++) {
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        for (int m = 1; m <= 12; m++) {
            int n = dim[m - 1] + (m == 2 && leap);
            for (int d = 1; d <= n; d++, day++) {
                char want[32], got[PL_DATE_STRLEN];
                snprintf(want, sizeof want, "%04d-%02d-%02d", y, m, d);
                if (pl_date_from_ymd(y, m, d) != day)
                    fail_msg("from_ymd(%s) != %d", want, (int)day);
                int yy, mm, dd;
                pl_date_to_ymd(day, &yy, &mm, &dd);
                if (yy != y || mm != m || dd != d)
                    fail_msg("to_ymd(%d) = %d-%d-%d, want %s", (int)day, yy, mm, dd, want);
                pl_date_format(day, got);
                if (strcmp(got, want) != 0)
                    fail_msg("format(%d) = %s, want %s", (int)day, got, want);
                pl_date parsed;
                if (pl_date_parse(want, &parsed) != PL_OK || parsed != day)
                    fail_msg("parse(%s) did not give %d", want, (int)day);
                checked++;
            }
        }
    }
    assert_int_equal(day, 84006);
    assert_int_equal(checked, 84006 + 25567); /* 300 years of days */
}

/* ---- instants ---------------------------------------------------------- */

static void time_ok(const char *s, pl_time want)
{
    pl_time t = 12345;
    if (pl_time_parse(s, &t) != PL_OK)
        fail_msg("\"%s\" should parse as an instant", s);
    if (t != want)
        fail_msg("\"%s\" parsed as %lld, want %lld", s, (long long)t, (long long)want);
}

static void time_bad(const char *s)
{
    pl_time t = 12345;
    if (pl_time_parse(s, &t) != PL_INVALID)
        fail_msg("\"%s\" should be refused as an instant", s);
    assert_int_equal(t, 12345);
}

/* 2024-03-15 is day 19797: 19797 * 86400 = 1710460800. */
#define T20240315 1710460800LL

static void test_time_utc(void **state)
{
    time_ok("1970-01-01T00:00:00Z", 0);
    time_ok("1969-12-31T23:59:59Z", -1);
    time_ok("2024-03-15T00:00:00Z", T20240315);
    time_ok("2024-03-15T10:20:30Z", T20240315 + 10 * 3600 + 20 * 60 + 30);
    time_ok("2024-03-15T23:59:59Z", T20240315 + DAY - 1);
    time_ok("1900-01-01T00:00:00Z", -25567LL * DAY);
    time_ok("2199-12-31T23:59:59Z", 84006LL * DAY - 1);
    time_ok("2038-01-19T03:14:08Z", 2147483648LL); /* past 32-bit time_t */
    /* RFC 3339 allows lower-case t and z */
    time_ok("2024-03-15t10:20:30z", T20240315 + 37230);
}

static void test_time_offsets(void **state)
{
    /* 10:20:30 at +08:00 (Shanghai) is 02:20:30 UTC */
    time_ok("2024-03-15T10:20:30+08:00", T20240315 + 2 * 3600 + 20 * 60 + 30);
    /* 10:20:30 at -05:00 (Chicago, CDT is -05:00) is 15:20:30 UTC */
    time_ok("2024-03-15T10:20:30-05:00", T20240315 + 15 * 3600 + 20 * 60 + 30);
    /* half-hour offsets: 10:20:30 at +05:30 is 04:50:30 UTC */
    time_ok("2024-03-15T10:20:30+05:30", T20240315 + 4 * 3600 + 50 * 60 + 30);
    time_ok("2024-03-15T10:20:30-00:00", T20240315 + 37230);
    time_ok("2024-03-15T10:20:30+00:00", T20240315 + 37230);
    /* crossing midnight backwards into a leap day: 03:00 +08:00 on 1 March is
     * 19:00 UTC on 29 February */
    time_ok("2024-03-01T03:00:00+08:00", 19782LL * DAY + 19 * 3600);
    /* and forwards across a year end: 20:00 -05:00 on 31 Dec is 01:00 UTC 1 Jan */
    time_ok("2024-12-31T20:00:00-05:00", 20089LL * DAY + 3600);
    time_ok("2024-03-15T00:00:00+23:59", T20240315 - (23 * 3600 + 59 * 60));
}

static void test_time_fractions(void **state)
{
    /* fractions are accepted and dropped, never rounded up */
    time_ok("2024-03-15T10:20:30.5Z", T20240315 + 37230);
    time_ok("2024-03-15T10:20:30.999Z", T20240315 + 37230);
    time_ok("2024-03-15T10:20:30.000000001Z", T20240315 + 37230);
    time_ok("2024-03-15T10:20:30.123+08:00", T20240315 + 37230 - 8 * 3600);
    time_bad("2024-03-15T10:20:30.Z");
    time_bad("2024-03-15T10:20:30.");
    time_bad("2024-03-15T10:20:30,5Z");
    time_bad("2024-03-15T10:20:30.5");
    time_bad("2024-03-15T10:20:30.-5Z");
    time_bad("2024-03-15T10:20:30..5Z");
}

static void test_time_field_ranges(void **state)
{
    time_bad("2024-03-15T24:00:00Z");
    time_bad("2024-03-15T23:60:00Z");
    time_bad("2024-03-15T23:59:61Z");
    /* a leap second is kept as the second before it, not the next minute */
    time_ok("2016-12-31T23:59:60Z", 17166LL * DAY + DAY - 1); /* 2016-12-31 = 19723 - 2557 */
    time_bad("2023-02-29T12:00:00Z");
    time_bad("1899-12-31T23:59:59Z");
    time_bad("2200-01-01T00:00:00Z");
    time_bad("2024-03-15T10:20:30+24:00");
    time_bad("2024-03-15T10:20:30+08:60");
}

static void test_time_bad_syntax(void **state)
{
    time_bad("");
    time_bad("2024-03-15");
    time_bad("2024-03-15T");
    time_bad("2024-03-15T10:20:30"); /* no offset: local time is never guessed */
    time_bad("2024-03-15 10:20:30Z");
    time_bad("2024-03-15T10:20Z");
    time_bad("2024-03-15T10-20-30Z");
    time_bad("2024-03-15T1:20:30Z");
    time_bad("2024-03-15T10:20:3Z");
    time_bad("2024-03-15T10:20:30+8:00");
    time_bad("2024-03-15T10:20:30+0800");
    time_bad("2024-03-15T10:20:30+08");
    time_bad("2024-03-15T10:20:30+08:0");
    time_bad("2024-03-15T10:20:30 +08:00");
    time_bad("2024-03-15T10:20:30UTC");
    time_bad("2024/03/15T10:20:30Z");
    time_bad("1710498030");
}

static void test_time_trailing_junk(void **state)
{
    time_bad("2024-03-15T10:20:30Zx");
    time_bad("2024-03-15T10:20:30Z ");
    time_bad("2024-03-15T10:20:30ZZ");
    time_bad("2024-03-15T10:20:30+08:00Z");
    time_bad("2024-03-15T10:20:30+08:000");
    time_bad(" 2024-03-15T10:20:30Z");
}

static void test_time_format(void **state)
{
    char out[PL_TIME_STRLEN];
    pl_time_format(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00Z");
    pl_time_format(T20240315 + 37230, out);
    assert_string_equal(out, "2024-03-15T10:20:30Z");
    pl_time_format(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59Z");
    pl_time_format(-DAY, out);
    assert_string_equal(out, "1969-12-31T00:00:00Z");
    pl_time_format(-DAY - 1, out);
    assert_string_equal(out, "1969-12-30T23:59:59Z");
    pl_time_format(-25567LL * DAY, out);
    assert_string_equal(out, "1900-01-01T00:00:00Z");
    pl_time_format(84006LL * DAY - 1, out);
    assert_string_equal(out, "2199-12-31T23:59:59Z");
}

static void test_time_round_trip(void **state)
{
    static const struct {
        const char *in, *utc;
    } cases[] = {
        {"2024-03-15T10:20:30Z", "2024-03-15T10:20:30Z"},
        {"1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"},
        {"1900-01-01T00:00:00Z", "1900-01-01T00:00:00Z"},
        {"2199-12-31T23:59:59Z", "2199-12-31T23:59:59Z"},
        {"2024-02-29T12:00:00Z", "2024-02-29T12:00:00Z"},
        {"2024-03-15T10:20:30+08:00", "2024-03-15T02:20:30Z"},
        {"2024-03-01T03:00:00+08:00", "2024-02-29T19:00:00Z"},
        {"2024-12-31T20:00:00-05:00", "2025-01-01T01:00:00Z"},
        {"2024-03-15T10:20:30.75-05:30", "2024-03-15T15:50:30Z"},
        {"1970-01-01T00:00:00+01:00", "1969-12-31T23:00:00Z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pl_time t, t2;
        char out[PL_TIME_STRLEN];
        assert_int_equal(pl_time_parse(cases[i].in, &t), PL_OK);
        pl_time_format(t, out);
        if (strcmp(out, cases[i].utc) != 0)
            fail_msg("format(parse(%s)) = %s, want %s", cases[i].in, out, cases[i].utc);
        assert_int_equal(pl_time_parse(out, &t2), PL_OK);
        assert_int_equal(t2, t);
    }
}

static void test_time_date_negative(void **state)
{
    /* the calendar day of an instant floors towards the past */
    assert_int_equal(pl_time_date(0), 0);
    assert_int_equal(pl_time_date(DAY - 1), 0);
    assert_int_equal(pl_time_date(DAY), 1);
    assert_int_equal(pl_time_date(-1), -1);
    assert_int_equal(pl_time_date(-DAY + 1), -1);
    assert_int_equal(pl_time_date(-DAY), -1);
    assert_int_equal(pl_time_date(-DAY - 1), -2);
    assert_int_equal(pl_time_date(-25567LL * DAY), -25567);
    assert_int_equal(pl_time_date(-25567LL * DAY + 1), -25567);
    assert_int_equal(pl_time_date(-25567LL * DAY - 1), -25568);
    assert_int_equal(pl_time_date(T20240315 + 37230), 19797);
}

static void test_date_time_midnight(void **state)
{
    assert_int_equal(pl_date_time(0), 0);
    assert_int_equal(pl_date_time(-1), -DAY);
    assert_int_equal(pl_date_time(19797), T20240315);
    assert_int_equal(pl_date_time(84005), 84005LL * DAY); /* no 32-bit overflow */
    for (pl_date d = -30000; d <= 90000; d += 7)
        if (pl_time_date(pl_date_time(d)) != d || pl_time_date(pl_date_time(d) + DAY - 1) != d)
            fail_msg("day %d does not own its own midnight..23:59:59", (int)d);
}

PL_TEST_MAIN(cmocka_unit_test(test_date_valid), cmocka_unit_test(test_date_leap_years),
             cmocka_unit_test(test_date_month_lengths), cmocka_unit_test(test_date_year_range),
             cmocka_unit_test(test_date_bad_syntax),
             cmocka_unit_test(test_date_trailing_and_leading_junk),
             cmocka_unit_test(test_date_format), cmocka_unit_test(test_date_every_day_round_trip),
             cmocka_unit_test(test_time_utc), cmocka_unit_test(test_time_offsets),
             cmocka_unit_test(test_time_fractions), cmocka_unit_test(test_time_field_ranges),
             cmocka_unit_test(test_time_bad_syntax), cmocka_unit_test(test_time_trailing_junk),
             cmocka_unit_test(test_time_format), cmocka_unit_test(test_time_round_trip),
             cmocka_unit_test(test_time_date_negative), cmocka_unit_test(test_date_time_midnight))
