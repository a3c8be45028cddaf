/*
 * time.h - calendar dates and instants: strict parsing and formatting.
 *
 * Dates are "YYYY-MM-DD" (ISO 8601 calendar date, years 1900-2199).
 * Instants are RFC 3339: "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)";
 * fractions are accepted and dropped (peerlink keeps whole seconds), the
 * offset is applied so every pl_time is UTC. Anything else is refused: a
 * health record must not guess what "03/04/2025" meant.
 */
#ifndef PL_CORE_TIME_H
#define PL_CORE_TIME_H

#include <stddef.h>

#include "domain.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (no range check). */
pl_date pl_date_from_ymd(int y, int m, int d);
void pl_date_to_ymd(pl_date days, int *y, int *m, int *d);

pl_status pl_date_parse(const char *s, pl_date *out);
pl_status pl_time_parse(const char *s, pl_time *out);

/* Writes "YYYY-MM-DD" (11 bytes with NUL) / "YYYY-MM-DDTHH:MM:SSZ" (21 bytes). */
#define PL_DATE_STRLEN 11
#define PL_TIME_STRLEN 21
void pl_date_format(pl_date d, char out[PL_DATE_STRLEN]);
void pl_time_format(pl_time t, char out[PL_TIME_STRLEN]);

pl_date pl_time_date(pl_time t); /* the UTC calendar day of an instant */
pl_time pl_date_time(pl_date d); /* midnight UTC of a day */

#endif
