/*
 * form.c - the x-www-form-urlencoded parser; see form.h.
 *
 * One pass over the body: each pair is decoded into a fresh arena copy
 * (decoding only shrinks, so the raw length is enough), then checked as
 * UTF-8 without control characters. Every rejection names the field, so a
 * user-facing error can say which input was wrong.
 */
#include "form.h"

#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..n) into a NUL-terminated arena string; NULL when malformed or on no memory. */
static char *decode(const char *s, size_t n, pl_arena *a, int *nomem)
{
    char *out = pl_arena_alloc(a, n + 1);
    if (!out) {
        *nomem = 1;
        return NULL;
    }
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            out[j++] = ' ';
        } else if (s[i] == '%') {
            if (i + 2 >= n)
                return NULL;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return NULL;
            out[j++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[j++] = s[i];
        }
    }
    out[j] = '\0';
    /* a decoded NUL would end the string early: refused */
    if (memchr(out, '\0', j) != NULL)
        return NULL;
    return out;
}

/* UTF-8 (no overlongs, no surrogates) without control characters other than \t \r \n. */
static int text_ok(const unsigned char *s)
{
    while (*s) {
        unsigned c = *s;
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
                return 0;
            s++;
            continue;
        }
        int n;
        unsigned cp;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        for (int k = 1; k <= n; k++) {
            if ((s[k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[k] & 0x3f);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return 0;
        s += n + 1;
    }
    return 1;
}

pl_status web_form_parse(const char *body, size_t len, pl_arena *a, web_form *out, pl_err *err)
{
    out->n = 0;
    if (len > WEB_FORM_MAX_BYTES)
        return pl_err_set(err, PL_LIMIT, "the form is larger than %u bytes",
                          (unsigned)WEB_FORM_MAX_BYTES);
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        if (end > i) {
            if (out->n == WEB_FORM_MAX_FIELDS)
                return pl_err_set(err, PL_LIMIT, "the form has more than %d fields",
                                  WEB_FORM_MAX_FIELDS);
            const char *eq = memchr(body + i, '=', end - i);
            size_t nlen = eq ? (size_t)(eq - (body + i)) : end - i;
            int nomem = 0;
            char *name = decode(body + i, nlen, a, &nomem);
            char *value = eq ? decode(eq + 1, (size_t)(body + end - (eq + 1)), a, &nomem)
                             : pl_arena_strdup(a, "");
            if (nomem || (!eq && !value))
                return pl_err_set(err, PL_NOMEM, "out of memory reading the form");
            if (!name || !text_ok((const unsigned char *)name)) {
                pl_err_field(err, "form", "has a field name that is not valid text");
                return pl_err_set(err, PL_INVALID, "the form is malformed");
            }
            if (!value || !text_ok((const unsigned char *)value)) {
                pl_err_field(err, name, "is not valid text");
                return pl_err_set(err, PL_INVALID, "the form field %.64s is malformed", name);
            }
            out->names[out->n] = name;
            out->values[out->n] = value;
            out->n++;
        }
        i = end + 1;
    }
    return PL_OK;
}

const char *web_form_get(const web_form *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->names[i], name) == 0)
            return f->values[i];
    return NULL;
}

int web_form_all(const web_form *f, const char *name, const char **out, int max)
{
    int k = 0;
    for (int i = 0; i < f->n && k < max; i++)
        if (strcmp(f->names[i], name) == 0)
            out[k++] = f->values[i];
    return k;
}
