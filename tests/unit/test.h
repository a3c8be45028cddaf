/*
 * test.h - shared helpers for peerlink's cmocka tests.
 *
 * PL_TEST_MAIN runs a cmocka group with TAP output, so meson counts every
 * case. test_data_path() finds files under tests/data from the source root
 * that meson passes in PEERLINK_SOURCE_ROOT. test_table_* read the
 * tab-separated case tables there: blank lines and '#' comments are
 * skipped, the first row must name the expected columns, and every other
 * row comes back split into its columns.
 */
#ifndef PL_TEST_H
#define PL_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/status.h"

static inline const char *test_data_path(const char *name, char *buf, size_t n)
{
    const char *root = getenv("PEERLINK_SOURCE_ROOT");
    snprintf(buf, n, "%s/tests/data/%s", root ? root : ".", name);
    return buf;
}

/* True when e has an error on field whose message contains substr (any message if NULL). */
static inline bool test_field_error(const pl_err *e, const char *field, const char *substr)
{
    for (int i = 0; i < e->nfields; i++)
        if (strcmp(e->fields[i].field, field) == 0 &&
            (!substr || strstr(e->fields[i].message, substr)))
            return true;
    return false;
}

/* Prints e's field errors as TAP comments, to explain a failed case. */
static inline void test_dump_err(const pl_err *e)
{
    for (int i = 0; i < e->nfields; i++)
        printf("#     %s: %s\n", e->fields[i].field, e->fields[i].message);
}

/* Splits s in place at each sep; returns the number of parts (at most max). */
static inline int test_split(char *s, char sep, char **out, int max)
{
    int n = 0;
    char *p = s;
    while (n < max) {
        out[n++] = p;
        char *c = strchr(p, sep);
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

typedef struct test_table {
    FILE *f;
    char path[1024];
    char line[8192];
    int lineno; /* of the row last returned, for messages */
    const char *const *header;
    int ncols;
    bool seen_header;
} test_table;

/* Opens tests/data/<name>, whose header row must be the ncols names of header. */
static inline void test_table_open(test_table *t, const char *name, const char *const *header,
                                   int ncols)
{
    t->f = fopen(test_data_path(name, t->path, sizeof t->path), "r");
    if (!t->f)
        fail_msg("cannot open %s (set PEERLINK_SOURCE_ROOT)", t->path);
    t->lineno = 0;
    t->header = header;
    t->ncols = ncols;
    t->seen_header = false;
}

/* The next data row split at tabs into cols (up to max); its column count, or -1 at the end. */
static inline int test_table_next(test_table *t, char **cols, int max)
{
    while (fgets(t->line, sizeof t->line, t->f)) {
        t->lineno++;
        size_t n = strlen(t->line);
        if (n == sizeof t->line - 1 && t->line[n - 1] != '\n')
            fail_msg("%s: line %d is too long", t->path, t->lineno);
        while (n > 0 && (t->line[n - 1] == '\n' || t->line[n - 1] == '\r'))
            t->line[--n] = '\0';
        if (n == 0 || t->line[0] == '#')
            continue;
        int ncols = test_split(t->line, '\t', cols, max);
        if (!t->seen_header) {
            for (int i = 0; i < t->ncols; i++)
                if (i >= ncols || strcmp(cols[i], t->header[i]) != 0)
                    fail_msg("%s: header column %d should be '%s'", t->path, i + 1, t->header[i]);
            t->seen_header = true;
            continue;
        }
        return ncols;
    }
    if (!t->seen_header)
        fail_msg("%s has no header row", t->path);
    return -1;
}

static inline void test_table_close(test_table *t)
{
    fclose(t->f);
}

#define PL_TEST_MAIN(...)                                                                          \
    int main(void)                                                                                 \
    {                                                                                              \
        const struct CMUnitTest tests[] = {__VA_ARGS__};                                           \
        cmocka_set_message_output(CM_OUTPUT_TAP);                                                  \
        return cmocka_run_group_tests(tests, NULL, NULL);                                          \
    }

/* The same with a teardown run once after the last test (shared fixtures). */
#define PL_TEST_MAIN_TEARDOWN(teardown, ...)                                                       \
    int main(void)                                                                                 \
    {                                                                                              \
        const struct CMUnitTest tests[] = {__VA_ARGS__};                                           \
        cmocka_set_message_output(CM_OUTPUT_TAP);                                                  \
        return cmocka_run_group_tests(tests, NULL, teardown);                                      \
    }

#endif
