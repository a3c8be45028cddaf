/*
 * test_throttle.c - failed-login throttling per key (src/http/throttle.c).
 *
 * Each case plays a sequence of failures at chosen times and asks what a
 * client would be told: how many seconds until it may try again. The
 * options mirror docs/API.md (5 failures in 15 minutes, lock doubling up to
 * 15 minutes) with a small base lock so the doubling is easy to follow.
 */
#include <pthread.h>
#include <string.h>

#include "test.h"

#include "http/throttle.h"

#define T0 1750000000LL

static throttle *make(int limit, int window, int base, int max, int capacity)
{
    throttle_options o = {limit, window, base, max, capacity};
    throttle *t = throttle_new(&o);
    assert_non_null(t);
    return t;
}

static void test_allowed_until_limit(void **state)
{
    throttle *t = make(5, 900, 60, 900, 0);
    assert_int_equal(throttle_wait(t, "u:alice", T0), 0);
    for (int i = 0; i < 4; i++) {
        throttle_failure(t, "u:alice", T0 + i);
        assert_int_equal(throttle_wait(t, "u:alice", T0 + i), 0);
    }
    throttle_failure(t, "u:alice", T0 + 4); /* the fifth */
    assert_int_equal(throttle_wait(t, "u:alice", T0 + 4), 60);
    assert_int_equal(throttle_wait(t, "u:alice", T0 + 14), 50); /* counts down */
    assert_int_equal(throttle_wait(t, "u:alice", T0 + 63), 1);
    assert_int_equal(throttle_wait(t, "u:alice", T0 + 64), 0); /* passed */
    throttle_free(t);
}

static void test_lock_doubles_up_to_max(void **state)
{
    throttle *t = make(3, 900, 60, 900, 0);
    static const int64_t want[] = {0, 0, 60, 120, 240, 480, 900, 900, 900};
    for (int i = 0; i < (int)(sizeof want / sizeof want[0]); i++) {
        throttle_failure(t, "a:10.0.0.1", T0 + i);
        assert_int_equal(throttle_wait(t, "a:10.0.0.1", T0 + i), want[i]);
    }
    throttle_free(t);
}

static void test_lock_counts_from_last_failure(void **state)
{
    throttle *t = make(2, 900, 100, 900, 0);
    throttle_failure(t, "k", T0);
    throttle_failure(t, "k", T0 + 50); /* locked until T0 + 150 */
    assert_int_equal(throttle_wait(t, "k", T0 + 60), 90);
    throttle_free(t);
}

static void test_window_expiry_forgets(void **state)
{
    throttle *t = make(3, 900, 60, 900, 0);
    throttle_failure(t, "k", T0);
    throttle_failure(t, "k", T0 + 100);
    /* exactly 900 s after the last failure is not older than the window: still counts */
    throttle_failure(t, "k", T0 + 1000);
    assert_int_equal(throttle_wait(t, "k", T0 + 1000), 60);

    throttle *u = make(3, 900, 60, 900, 0);
    throttle_failure(u, "k", T0);
    throttle_failure(u, "k", T0 + 100);
    throttle_failure(u, "k", T0 + 1001); /* 901 s later: the earlier two are forgotten */
    assert_int_equal(throttle_wait(u, "k", T0 + 1001), 0);
    throttle_failure(u, "k", T0 + 1002);
    assert_int_equal(throttle_wait(u, "k", T0 + 1002), 0);
    throttle_failure(u, "k", T0 + 1003); /* third in the new window */
    assert_int_equal(throttle_wait(u, "k", T0 + 1003), 60);
    throttle_free(t);
    throttle_free(u);
}

static void test_failure_after_lock_and_window_starts_over(void **state)
{
    throttle *t = make(2, 900, 900, 900, 0);
    throttle_failure(t, "k", T0);
    throttle_failure(t, "k", T0 + 1); /* locked 900 s */
    assert_int_equal(throttle_wait(t, "k", T0 + 901), 0);
    throttle_failure(t, "k", T0 + 902); /* a fresh first failure, not a doubled lock */
    assert_int_equal(throttle_wait(t, "k", T0 + 902), 0);
    throttle_free(t);
}

static void test_success_clears(void **state)
{
    throttle *t = make(3, 900, 60, 900, 0);
    for (int i = 0; i < 4; i++)
        throttle_failure(t, "u:bob", T0 + i);
    assert_int_equal(throttle_wait(t, "u:bob", T0 + 4), 119);
    throttle_success(t, "u:bob");
    assert_int_equal(throttle_wait(t, "u:bob", T0 + 4), 0);
    throttle_failure(t, "u:bob", T0 + 5); /* counting starts again at one */
    throttle_failure(t, "u:bob", T0 + 6);
    assert_int_equal(throttle_wait(t, "u:bob", T0 + 6), 0);
    throttle_success(t, "u:nobody"); /* an unknown key is no error */
    throttle_free(t);
}

static void test_keys_independent(void **state)
{
    throttle *t = make(1, 900, 60, 900, 0);
    throttle_failure(t, "u:alice", T0);
    assert_int_equal(throttle_wait(t, "u:alice", T0), 60);
    assert_int_equal(throttle_wait(t, "u:Alice", T0), 0);
    assert_int_equal(throttle_wait(t, "u:alic", T0), 0);
    assert_int_equal(throttle_wait(t, "a:alice", T0), 0);
    assert_int_equal(throttle_wait(t, "", T0), 0);
    throttle_success(t, "u:alicex");
    assert_int_equal(throttle_wait(t, "u:alice", T0), 60);
    throttle_free(t);
}

static void test_long_keys_cut_at_95_bytes(void **state)
{
    char a[200], b[200];
    memset(a, 'x', sizeof a - 1);
    a[sizeof a - 1] = '\0';
    memcpy(b, a, sizeof b);
    b[150] = 'y'; /* differs past byte 95: the same counter */
    throttle *t = make(1, 900, 60, 900, 0);
    throttle_failure(t, a, T0);
    assert_int_equal(throttle_wait(t, b, T0), 60);
    b[150] = 'x';
    b[94] = 'y'; /* differs inside the kept part: another counter */
    assert_int_equal(throttle_wait(t, b, T0), 0);
    throttle_free(t);
}

static void test_eviction_at_capacity(void **state)
{
    throttle *t = make(1, 900, 600, 600, 4);
    char key[16];
    for (int i = 0; i < 4; i++) {
        snprintf(key, sizeof key, "k%d", i);
        throttle_failure(t, key, T0 + i);
    }
    throttle_failure(t, "k0", T0 + 10); /* k0 is now the most recent */
    throttle_failure(t, "k4", T0 + 11); /* table full: k1, the least recent, goes */
    assert_int_equal(throttle_wait(t, "k1", T0 + 12), 0);
    assert_int_equal(throttle_wait(t, "k0", T0 + 12), 598);
    assert_int_equal(throttle_wait(t, "k2", T0 + 12), 590);
    assert_int_equal(throttle_wait(t, "k3", T0 + 12), 591);
    assert_int_equal(throttle_wait(t, "k4", T0 + 12), 599);
    throttle_failure(t, "k5", T0 + 13); /* then k2 */
    assert_int_equal(throttle_wait(t, "k2", T0 + 14), 0);
    assert_int_equal(throttle_wait(t, "k3", T0 + 14), 589);
    throttle_free(t);
}

/* Many keys in and out of a small table: every key still present is still found. */
static void test_table_churn(void **state)
{
    enum { CAP = 64, KEYS = 5000 };
    throttle *t = make(1, 900, 900, 900, CAP);
    char key[32];
    for (int i = 0; i < KEYS; i++) {
        snprintf(key, sizeof key, "a:192.0.2.%d", i);
        throttle_failure(t, key, T0 + i);
        if (i % 3 == 0) { /* remove every third key again */
            throttle_success(t, key);
            assert_int_equal(throttle_wait(t, key, T0 + i), 0);
        }
    }
    /* the last CAP kept keys are all present (older ones were evicted) */
    int found = 0, checked = 0;
    for (int i = KEYS - 1; i >= 0 && checked < CAP; i--) {
        if (i % 3 == 0)
            continue;
        snprintf(key, sizeof key, "a:192.0.2.%d", i);
        checked++;
        int64_t w = throttle_wait(t, key, T0 + KEYS);
        if (w == 900 - (KEYS - i))
            found++;
    }
    assert_int_equal(found, CAP);
    /* and one older than those was evicted */
    snprintf(key, sizeof key, "a:192.0.2.%d", KEYS - 199); /* a kept key */
    assert_int_equal(throttle_wait(t, key, T0 + KEYS), 0);
    throttle_free(t);
}

static void test_clock_stepped_back(void **state)
{
    throttle *t = make(1, 900, 900, 900, 0);
    throttle_failure(t, "k", T0);
    /* the clock went back an hour: the wait is never longer than the longest lock */
    assert_int_equal(throttle_wait(t, "k", T0 - 3600), 900);
    assert_int_equal(throttle_wait(t, "k", INT64_MIN), 900);
    throttle_failure(t, "k", INT64_MAX); /* no overflow at the edges */
    assert_int_equal(throttle_wait(t, "k", INT64_MAX), 0);
    throttle_free(t);
}

static void test_options_brought_into_range(void **state)
{
    assert_null(throttle_new(NULL));
    throttle *t = make(0, -5, 30, 10, -1); /* limit 1, window 0, max raised to 30, 4096 */
    throttle_failure(t, "k", T0);
    assert_int_equal(throttle_wait(t, "k", T0), 30);
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        throttle_failure(t, key, T0 + 1 + i);
    }
    assert_int_equal(throttle_wait(t, "k4999", T0 + 5000), 30);
    throttle_free(t);
    throttle_free(NULL);
}

typedef struct hammer {
    throttle *t;
    int n;
} hammer;

static void *hammer_run(void *arg)
{
    hammer *h = arg;
    for (int i = 0; i < h->n; i++)
        throttle_failure(h->t, "u:shared", T0);
    return NULL;
}

static void test_threads_lose_no_failures(void **state)
{
    /* 4 threads x 2500 failures; locked only if all 10000 were counted */
    throttle *t = make(10000, 900, 60, 900, 0);
    pthread_t th[4];
    hammer h = {t, 2500};
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, hammer_run, &h), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(throttle_wait(t, "u:shared", T0), 60);
    throttle_free(t);
}

PL_TEST_MAIN(cmocka_unit_test(test_allowed_until_limit),
             cmocka_unit_test(test_lock_doubles_up_to_max),
             cmocka_unit_test(test_lock_counts_from_last_failure),
             cmocka_unit_test(test_window_expiry_forgets),
             cmocka_unit_test(test_failure_after_lock_and_window_starts_over),
             cmocka_unit_test(test_success_clears), cmocka_unit_test(test_keys_independent),
             cmocka_unit_test(test_long_keys_cut_at_95_bytes),
             cmocka_unit_test(test_eviction_at_capacity), cmocka_unit_test(test_table_churn),
             cmocka_unit_test(test_clock_stepped_back),
             cmocka_unit_test(test_options_brought_into_range),
             cmocka_unit_test(test_threads_lose_no_failures))
