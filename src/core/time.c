/*
 * time.c - date arithmetic (Hinnant's days_from_civil) and strict parsers.
 *
 * The parsers read digits at fixed offsets and check each separator, so
 * they never call strtol on outside bytes and never read past the NUL.
 */
#include "time.h"

#include <stdio.h>

pl_date pl_date_from_ymd(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void pl_date_to_ymd(pl_date days, int *y, int *m, int *d)
{
    int z = days + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int y, int m)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dim[m - 1];
}

/* Reads n decimal digits at s; -1 if any is not a digit (including NUL). */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static pl_status parse_ymd(const char *s, pl_date *out)
{
    int y = digits(s, 4);
    if (y < 0 || s[4] != '-')
        return PL_INVALID;
    int m = digits(s + 5, 2);
    if (m < 0 || s[7] != '-')
        return PL_INVALID;
    int d = digits(s + 8, 2);
    if (d < 0 || y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return PL_INVALID;
    *out = pl_date_from_ymd(y, m, d);
    return PL_OK;
}

pl_status pl_date_parse(const char *s, pl_date *out)
{
    pl_date d;
    if (parse_ymd(s, &d) != PL_OK || s[10] != '\0')
        return PL_INVALID;
    *out = d;
    return PL_OK;
}

pl_status pl_time_parse(const char *s, pl_time *out)
{
    pl_date d;
    if (parse_ymd(s, &d) != PL_OK || (s[10] != 'T' && s[10] != 't'))
        return PL_INVALID;
    const char *p = s + 11;
    int hh = digits(p, 2);
    if (hh < 0 || p[2] != ':')
        return PL_INVALID;
    int mi = digits(p + 3, 2);
    if (mi < 0 || p[5] != ':')
        return PL_INVALID;
    int ss = digits(p + 6, 2);
    if (ss < 0 || hh > 23 || mi > 59 || ss > 60)
        return PL_INVALID;
    p += 8;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return PL_INVALID;
        for (int n = 0; *p >= '0' && *p <= '9'; p++)
            if (++n > 9)
                return PL_INVALID;
    }
    int offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh = digits(p + 1, 2);
        if (oh < 0 || p[3] != ':')
            return PL_INVALID;
        int om = digits(p + 4, 2);
        if (om < 0 || oh > 23 || om > 59)
            return PL_INVALID;
        offset = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return PL_INVALID;
    }
    if (*p != '\0')
        return PL_INVALID;
    if (ss == 60)
        ss = 59; /* a leap second is recorded as the second before it */
    *out = (pl_time)d * 86400 + hh * 3600 + mi * 60 + ss - offset;
    return PL_OK;
}

void pl_date_format(pl_date d, char out[PL_DATE_STRLEN])
{
    int y, m, dd;
    pl_date_to_ymd(d, &y, &m, &dd);
    /* unsigned remainders bound each field's width for the compiler */
    snprintf(out, PL_DATE_STRLEN, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)dd % 100u);
}

pl_date pl_time_date(pl_time t)
{
    pl_time days = t / 86400;
    if (t % 86400 < 0)
        days--;
    return (pl_date)days;
}

pl_time pl_date_time(pl_date d)
{
    return (pl_time)d * 86400;
}

void pl_time_format(pl_time t, char out[PL_TIME_STRLEN])
{
    pl_date d = pl_time_date(t);
    int secs = (int)(t - (pl_time)d * 86400);
    int y, m, dd;
    pl_date_to_ymd(d, &y, &m, &dd);
    snprintf(out, PL_TIME_STRLEN, "%04u-%02u-%02uT%02u:%02u:%02uZ", (unsigned)y % 10000u,
             (unsigned)m % 100u, (unsigned)dd % 100u, (unsigned)secs / 3600u % 100u,
             (unsigned)secs / 60u % 60u, (unsigned)secs % 60u);
}
