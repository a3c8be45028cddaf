/*
 * test.h - shared helpers for peerlink's cmocka tests.
 *
 * PL_TEST_MAIN runs a cmocka group with TAP output, so meson counts every
 * case. test_data_path() finds files under tests/data from the source root
 * that meson passes in PEERLINK_SOURCE_ROOT.
 */
#ifndef PL_TEST_H
#define PL_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

static inline const char *test_data_path(const char *name, char *buf, size_t n)
{
    const char *root = getenv("PEERLINK_SOURCE_ROOT");
    snprintf(buf, n, "%s/tests/data/%s", root ? root : ".", name);
    return buf;
}

#define PL_TEST_MAIN(...)                                                                          \
    int main(void)                                                                                 \
    {                                                                                              \
        const struct CMUnitTest tests[] = {__VA_ARGS__};                                           \
        cmocka_set_message_output(CM_OUTPUT_TAP);                                                  \
        return cmocka_run_group_tests(tests, NULL, NULL);                                          \
    }

#endif
