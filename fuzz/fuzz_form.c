/*
 * fuzz_form.c - libFuzzer harness for form bodies (src/web/form.c).
 *
 * The input is an application/x-www-form-urlencoded body, handed over as
 * the server would: a pointer and a length, in a buffer of exactly that
 * length so AddressSanitizer catches a read past it. Then each parsed value
 * is written through the HTML writer (src/web/html.c). What callers rely
 * on is checked, and any break aborts:
 *
 * - the answer is PL_OK, PL_INVALID (naming a field) or PL_LIMIT;
 * - an accepted form has at most WEB_FORM_MAX_FIELDS fields, each name and
 *   value NUL-terminated text no longer than the body, without NUL or
 *   control characters other than tab, CR and LF;
 * - web_form_get finds the first value of every name;
 * - escaped output never holds a raw < > " ' or a & that does not start
 *   one of the writer's entities.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "web/form.h"
#include "web/html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_escaped(const char *s)
{
    for (const char *c = s; *c; c++) {
        if (*c == '<' || *c == '>' || *c == '"' || *c == '\'')
            abort();
        if (*c == '&' && strncmp(c, "&amp;", 5) != 0 && strncmp(c, "&lt;", 4) != 0 &&
            strncmp(c, "&gt;", 4) != 0 && strncmp(c, "&quot;", 6) != 0 &&
            strncmp(c, "&#39;", 5) != 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = malloc(size ? size : 1);
    if (!body)
        return 0;
    if (size)
        memcpy(body, data, size);
    pl_arena a;
    pl_arena_init(&a, 0);
    web_form f;
    pl_err err;
    pl_err_clear(&err);
    pl_status st = web_form_parse(body, size, &a, &f, &err);
    if (st != PL_OK && st != PL_INVALID && st != PL_LIMIT)
        abort();
    if (st == PL_INVALID && err.nfields < 1)
        abort();
    if (st == PL_OK) {
        if (f.n < 0 || f.n > WEB_FORM_MAX_FIELDS)
            abort();
        for (int i = 0; i < f.n; i++) {
            const char *texts[2] = {f.names[i], f.values[i]};
            for (int k = 0; k < 2; k++) {
                size_t len = strlen(texts[k]);
                if (len > size)
                    abort();
                for (size_t j = 0; j < len; j++) {
                    unsigned char c = (unsigned char)texts[k][j];
                    if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
                        abort();
                }
            }
            const char *first = web_form_get(&f, f.names[i]);
            if (!first)
                abort();
            pl_buf b;
            pl_buf_init(&b, 0);
            html h;
            html_init(&h, &b);
            html_text(&h, f.values[i]);
            if (h.status == PL_OK && b.data)
                check_escaped(b.data);
            pl_buf_free(&b);
        }
    }
    pl_arena_free(&a);
    free(body);
    return 0;
}
