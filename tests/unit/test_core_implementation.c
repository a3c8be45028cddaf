/*
 * test_core_implementation.c - implementation ratings: the level rule and
 * score checks (tests/data/implementation_cases.tsv, one row a case) and
 * the default feature list.
 */
#include <math.h>

#include "test.h"

#include "core/implementation.h"

static void test_cases_table(void **state)
{
    (void)state;
    static const char *const header[] = {"features", "scores", "mean", "level", "error_field"};
    test_table t;
    test_table_open(&t, "implementation_cases.tsv", header, 5);
    char *col[5];
    int rows = 0, failures = 0;
    while (test_table_next(&t, col, 5) == 5) {
        rows++;
        int scores[IMPL_FEATURES_MAX + 1];
        char *parts[IMPL_FEATURES_MAX + 1];
        int n = test_split(col[1], ',', parts, IMPL_FEATURES_MAX + 1);
        for (int i = 0; i < n; i++)
            scores[i] = (int)strtol(parts[i], NULL, 10);
        pl_err err;
        pl_err_clear(&err);
        double mean = NAN;
        pl_status st = impl_scores_check(scores, n, (int)strtol(col[0], NULL, 10), &mean, &err);
        bool ok;
        if (strcmp(col[4], "-") == 0) {
            impl_level level;
            ok = st == PL_OK && fabs(mean - strtod(col[2], NULL)) < 1e-12 &&
                 impl_level_of(mean, &level) == PL_OK &&
                 strcmp(impl_level_name(level), col[3]) == 0;
        } else {
            ok = st == PL_INVALID && test_field_error(&err, col[4], NULL);
        }
        if (!ok) {
            printf("# line %d: scores %s: status %d mean %g\n", t.lineno, col[1], st, mean);
            test_dump_err(&err);
            failures++;
        }
    }
    test_table_close(&t);
    assert_true(rows >= 10);
    assert_int_equal(failures, 0);
}

static void test_levels_and_defaults(void **state)
{
    (void)state;
    impl_level l;
    assert_int_equal(impl_level_of(0.99, &l), PL_INVALID);
    assert_int_equal(impl_level_of(5.01, &l), PL_INVALID);
    assert_int_equal(impl_level_of(NAN, &l), PL_INVALID);
    assert_null(impl_level_name(IMPL_LEVEL__COUNT));
    int n = 0;
    for (; impl_default_features[n].code; n++) {
        /* a label fits the API's 64-byte list items, so the defaults can be sent back */
        assert_true(strlen(impl_default_features[n].label) <= 64);
        for (int j = 0; j < n; j++)
            assert_string_not_equal(impl_default_features[j].code, impl_default_features[n].code);
    }
    assert_int_equal(n, 10);
}

PL_TEST_MAIN(cmocka_unit_test(test_cases_table), cmocka_unit_test(test_levels_and_defaults))
