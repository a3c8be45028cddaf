/*
 * test_core_referral.c - the closed-loop referral graph of core/referral.h:
 * every row of tests/data/referral_transitions.tsv through
 * referral_transition_check() in one loop, plus the names, the final and
 * linked statuses and the statuses a referral may start in.
 */
#include "test.h"

#include "core/referral.h"

static pl_referral_status status_or_bad(const char *s)
{
    pl_referral_status v;
    return pl_referral_status_parse(s, &v) == PL_OK ? v : (pl_referral_status)99;
}

static void test_transition_table(void **state)
{
    (void)state;
    static const char *const header[] = {"from", "to", "note", "result", "message"};
    test_table t;
    test_table_open(&t, "referral_transitions.tsv", header, 5);
    char *col[8];
    int rows = 0, failures = 0, pairs = 0;
    int n;
    while ((n = test_table_next(&t, col, 8)) >= 0) {
        if (n != 5)
            fail_msg("%s:%d: expected 5 columns, got %d", t.path, t.lineno, n);
        rows++;
        const char *note = strcmp(col[2], "-") == 0      ? NULL
                           : strcmp(col[2], "\"\"") == 0 ? ""
                                                         : col[2];
        pl_referral_status from = status_or_bad(col[0]), to = status_or_bad(col[1]);
        pl_err err;
        pl_err_clear(&err);
        pl_status st = referral_transition_check(from, to, note, &err);
        bool want_ok = strcmp(col[3], "ok") == 0;
        bool good;
        if (want_ok)
            good = st == PL_OK && err.nfields == 0;
        else
            good = st == PL_INVALID && err.nfields == 1 && test_field_error(&err, col[3], col[4]);
        /* the boolean table agrees with the checker wherever a note was given */
        if (note && from < PL_REFERRAL__COUNT && to < PL_REFERRAL__COUNT) {
            pairs++;
            if (referral_transition_allowed(from, to) != (want_ok || strcmp(col[3], "note") == 0))
                good = false;
        }
        if (!good) {
            failures++;
            printf("# %s:%d: %s -> %s (note %s): expected %s \"%s\", got %s\n", t.path, t.lineno,
                   col[0], col[1], note ? note : "none", col[3], col[4], pl_status_name(st));
            test_dump_err(&err);
        }
    }
    test_table_close(&t);
    assert_true(rows >= 49);
    assert_true(pairs >= 49);
    assert_int_equal(failures, 0);
}

static void test_names_and_kinds(void **state)
{
    (void)state;
    for (int s = 0; s < PL_REFERRAL__COUNT; s++) {
        pl_referral_status back;
        assert_int_equal(pl_referral_status_parse(pl_referral_status_name(s), &back), PL_OK);
        assert_int_equal(back, s);
    }
    for (int nd = 0; nd < PL_NEED__COUNT; nd++) {
        pl_referral_need back;
        assert_int_equal(pl_referral_need_parse(pl_referral_need_name(nd), &back), PL_OK);
        assert_int_equal(back, nd);
    }
    assert_null(pl_referral_status_name(PL_REFERRAL__COUNT));
    assert_null(pl_referral_need_name(PL_NEED__COUNT));
    pl_referral_need need;
    assert_int_equal(pl_referral_need_parse("Food", &need), PL_INVALID);
    assert_int_equal(pl_referral_need_parse(NULL, &need), PL_INVALID);
    assert_string_equal(pl_referral_need_name(PL_NEED_CHILDCARE), "childcare");

    /* final: nothing follows; open: something does */
    for (int s = 0; s < PL_REFERRAL__COUNT; s++) {
        bool any = false;
        for (int to = 0; to < PL_REFERRAL__COUNT; to++)
            any = any || referral_transition_allowed(s, to);
        assert_int_equal(referral_final(s), !any);
    }
    assert_true(referral_final(PL_REFERRAL_COMPLETED));
    assert_true(referral_final(PL_REFERRAL_DECLINED));
    assert_true(referral_final(PL_REFERRAL_CANCELLED));
    assert_false(referral_final(PL_REFERRAL_NO_SHOW));
    assert_true(referral_linked(PL_REFERRAL_COMPLETED));
    assert_false(referral_linked(PL_REFERRAL_ACCEPTED));
    assert_true(referral_initial_ok(PL_REFERRAL_PROPOSED));
    assert_true(referral_initial_ok(PL_REFERRAL_SENT));
    assert_false(referral_initial_ok(PL_REFERRAL_ACCEPTED));
    assert_false(referral_initial_ok(PL_REFERRAL_COMPLETED));
}

PL_TEST_MAIN(cmocka_unit_test(test_transition_table), cmocka_unit_test(test_names_and_kinds))
