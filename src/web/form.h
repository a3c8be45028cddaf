/*
 * form.h - application/x-www-form-urlencoded bodies, parsed with ceilings.
 *
 * A body of at most WEB_FORM_MAX_BYTES is split on '&' into at most
 * WEB_FORM_MAX_FIELDS name=value pairs; '+' becomes a space and %XX its
 * byte. A malformed escape, a NUL byte, a control character other than
 * tab/CR/LF or bytes that are not UTF-8 refuse the whole body (PL_INVALID
 * naming the field); so do too many fields or bytes (PL_LIMIT). Names and
 * values are NUL-terminated copies in the caller's arena; a name may
 * repeat (checkbox lists), in the order sent.
 */
#ifndef PL_WEB_FORM_H
#define PL_WEB_FORM_H

#include <stddef.h>

#include "core/arena.h"
#include "core/status.h"

#define WEB_FORM_MAX_BYTES  (64u * 1024u)
#define WEB_FORM_MAX_FIELDS 128

typedef struct web_form {
    int n;
    const char *names[WEB_FORM_MAX_FIELDS];
    const char *values[WEB_FORM_MAX_FIELDS];
} web_form;

/* Parses body (len bytes, need not be NUL-terminated; NULL with 0 is an empty form). */
pl_status web_form_parse(const char *body, size_t len, pl_arena *a, web_form *out, pl_err *err);
/* The first value of name, or NULL. */
const char *web_form_get(const web_form *f, const char *name);
/* Every value of name in order, up to max; returns how many were written to out. */
int web_form_all(const web_form *f, const char *name, const char **out, int max);

#endif
