/*
 * throttle.h - slowing down repeated failures (failed logins), per key.
 *
 * A fixed-size table of counters keyed by a string (e.g. "u:alice" or
 * "a:127.0.0.1"). Each failure inside the window increments the key's
 * count; once the count reaches `limit`, the key is locked for
 * base_lock_seconds, doubling with each further failure up to
 * max_lock_seconds. A success clears the key. The table never grows: when
 * full, the entry with the oldest activity is reused (its count is lost,
 * which errs towards letting a person in, never towards a crash).
 * Thread-safe.
 */
#ifndef PL_HTTP_THROTTLE_H
#define PL_HTTP_THROTTLE_H

#include <stdint.h>

typedef struct throttle throttle;

typedef struct throttle_options {
    int limit;             /* failures before locking */
    int window_seconds;    /* failures older than this are forgotten */
    int base_lock_seconds; /* the first lock */
    int max_lock_seconds;  /* the longest lock */
    int capacity;          /* entries in the table */
} throttle_options;

/* NULL when out of memory. */
throttle *throttle_new(const throttle_options *opt);
void throttle_free(throttle *t);

/* Seconds until key may try again (0: allowed now). */
int64_t throttle_wait(throttle *t, const char *key, int64_t now);
void throttle_failure(throttle *t, const char *key, int64_t now);
void throttle_success(throttle *t, const char *key);

#endif
