/*
 * html.c - the escaping HTML writer; see html.h.
 *
 * Escaping replaces the five characters that can end a text run or an
 * attribute value (& < > " ') with character references; everything else,
 * UTF-8 included, passes through. Templates are walked once: literal runs
 * are appended as they are, directives pull the next argument and escape it.
 */
#include "html.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void html_init(html *h, pl_buf *buf)
{
    h->buf = buf;
    h->status = PL_OK;
}

static void put(html *h, const char *p, size_t n)
{
    if (h->status == PL_OK && n > 0)
        h->status = pl_buf_append(h->buf, p, n);
}

void html_text(html *h, const char *s)
{
    if (!s)
        return;
    const char *run = s;
    for (const char *c = s; *c; c++) {
        const char *ent = NULL;
        switch (*c) {
        case '&':
            ent = "&amp;";
            break;
        case '<':
            ent = "&lt;";
            break;
        case '>':
            ent = "&gt;";
            break;
        case '"':
            ent = "&quot;";
            break;
        case '\'':
            ent = "&#39;";
            break;
        default:
            continue;
        }
        put(h, run, (size_t)(c - run));
        put(h, ent, strlen(ent));
        run = c + 1;
    }
    put(h, run, strlen(run));
}

void html_raw_(html *h, const char *lit)
{
    put(h, lit, strlen(lit));
}

void html_out_(html *h, const char *tmpl, ...)
{
    va_list ap;
    va_start(ap, tmpl);
    const char *run = tmpl;
    for (const char *c = tmpl; *c; c++) {
        if (*c != '%')
            continue;
        put(h, run, (size_t)(c - run));
        char num[32];
        switch (c[1]) {
        case 's':
            html_text(h, va_arg(ap, const char *));
            break;
        case 'd':
            snprintf(num, sizeof num, "%d", va_arg(ap, int));
            put(h, num, strlen(num));
            break;
        case 'D':
            snprintf(num, sizeof num, "%lld", (long long)va_arg(ap, int64_t));
            put(h, num, strlen(num));
            break;
        case '%':
            put(h, "%", 1);
            break;
        default: /* an unknown directive is written as it stands */
            put(h, c, c[1] ? 2 : 1);
            break;
        }
        if (!c[1]) {
            run = c + 1;
            break;
        }
        c++;
        run = c + 1;
    }
    if (*run)
        put(h, run, strlen(run));
    va_end(ap);
}
