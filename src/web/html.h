/*
 * html.h - the one HTML writer: every interpolated value is escaped.
 *
 * Pages write markup through html_out(), whose template must be a string
 * literal (the macro pastes "" around it, so anything else fails to
 * compile): the template is trusted, compile-time markup, and each value
 * it interpolates is escaped for text and attribute context alike
 * (& < > " ' become entities). Directives: %s (a string, NULL writes
 * nothing), %d (int), %D (int64_t, e.g. a pl_id), %% (a percent sign).
 * html_raw() writes a literal alone. There is no way to write an unescaped
 * run-time string: raw output is only for markup known at compile time.
 *
 * The writer appends to a pl_buf with a ceiling; the first failure (the
 * page grew past the ceiling, or memory ran out) sticks in h->status and
 * every later call does nothing, so a page checks once at the end.
 */
#ifndef PL_WEB_HTML_H
#define PL_WEB_HTML_H

#include <stdint.h>

#include "core/buf.h"
#include "core/status.h"

typedef struct html {
    pl_buf *buf;
    pl_status status; /* PL_OK until an append fails */
} html;

void html_init(html *h, pl_buf *buf);

/* Writes template with each directive replaced by its escaped value (see above). */
#define html_out(h, tmpl, ...) html_out_((h), "" tmpl "", __VA_ARGS__)
/* Writes a compile-time literal as it is. */
#define html_raw(h, lit) html_raw_((h), "" lit "")
/* Writes s escaped. */
void html_text(html *h, const char *s);

void html_out_(html *h, const char *tmpl, ...);
void html_raw_(html *h, const char *lit);

#endif
