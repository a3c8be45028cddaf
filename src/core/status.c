/*
 * status.c - status names and the pl_err helpers.
 *
 * Messages are formatted with vsnprintf into the record's fixed buffers and
 * silently shortened when too long: an error report must never itself fail.
 */
#include "status.h"

#include <stdio.h>
#include <string.h>

const char *pl_status_name(pl_status s)
{
    static const char *const names[] = {
        [PL_OK] = "ok",
        [PL_INVALID] = "invalid",
        [PL_NOTFOUND] = "not_found",
        [PL_CONFLICT] = "conflict",
        [PL_LIMIT] = "limit",
        [PL_NOMEM] = "no_memory",
        [PL_IO] = "io",
        [PL_SCHEMA] = "schema",
        [PL_BUSY] = "busy",
        [PL_USAGE] = "usage",
        [PL_STALE] = "stale",
    };
    if ((unsigned)s >= sizeof names / sizeof names[0])
        return "unknown";
    return names[s];
}

void pl_err_clear(pl_err *e)
{
    e->status = PL_OK;
    e->message[0] = '\0';
    e->nfields = 0;
    e->truncated = 0;
}

pl_status pl_err_set(pl_err *e, pl_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    e->status = s;
    return s;
}

void pl_err_fieldv(pl_err *e, const char *field, const char *fmt, va_list ap)
{
    if (e->status == PL_OK) {
        e->status = PL_INVALID;
        snprintf(e->message, sizeof e->message, "the request has invalid fields");
    }
    if (e->nfields >= PL_ERR_FIELDS_MAX) {
        e->truncated = 1;
        return;
    }
    pl_field_error *f = &e->fields[e->nfields++];
    snprintf(f->field, sizeof f->field, "%s", field);
    vsnprintf(f->message, sizeof f->message, fmt, ap);
}

void pl_err_field(pl_err *e, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pl_err_fieldv(e, field, fmt, ap);
    va_end(ap);
}

const char *pl_err_text(const pl_err *e)
{
    return e->nfields > 0 ? e->fields[0].message : e->message;
}
