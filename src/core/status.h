/*
 * status.h - status codes and the error record every layer fills in.
 *
 * Every fallible function in peerlink returns a pl_status and, where the
 * caller needs to tell a person what went wrong, fills a pl_err: one
 * message for the whole failure plus one entry per offending field
 * ("minutes: must be between 1 and 600"). Validation collects every failed
 * field rather than stopping at the first, so a form can show them all.
 * The record is a fixed-size value: filling it never allocates, and more
 * than PL_ERR_FIELDS_MAX field errors set `truncated` instead of growing.
 */
#ifndef PL_CORE_STATUS_H
#define PL_CORE_STATUS_H

#include <stdarg.h>

typedef enum pl_status {
    PL_OK = 0,
    PL_INVALID,  /* input broke a rule; see the field errors */
    PL_NOTFOUND, /* no such record (or not visible to the caller) */
    PL_CONFLICT, /* unique key or version conflict */
    PL_LIMIT,    /* a configured ceiling was reached */
    PL_NOMEM,    /* the allocator failed */
    PL_IO,       /* storage or operating-system failure */
    PL_SCHEMA,   /* database is not peerlink's, or from a newer version */
    PL_BUSY,     /* database locked by another process */
    PL_USAGE,    /* wrong arguments to a command */
    PL_STALE,    /* the record changed since the caller read it (If-Match) */
} pl_status;

#define PL_ERR_FIELDS_MAX 32

typedef struct pl_field_error {
    char field[64];
    char message[192];
} pl_field_error;

typedef struct pl_err {
    pl_status status;
    char message[256];
    int nfields;
    int truncated; /* more field errors than fit */
    pl_field_error fields[PL_ERR_FIELDS_MAX];
} pl_err;

/* Stable lower-case name of a status, e.g. "invalid". */
const char *pl_status_name(pl_status s);

void pl_err_clear(pl_err *e);

/* Sets status and message; returns s so callers can `return pl_err_set(...)`. */
pl_status pl_err_set(pl_err *e, pl_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends a field error and marks the record PL_INVALID. */
void pl_err_field(pl_err *e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Field errors are collected by prefixing a path, e.g. "measurements[2].value". */
void pl_err_fieldv(pl_err *e, const char *field, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Returns the message of the first field error if any, else the message. */
const char *pl_err_text(const pl_err *e);

#endif
