/*
 * throttle.c - per-key failure counters in a fixed open-addressing table.
 *
 * The table has a power-of-two number of slots, at least twice the
 * capacity, so linear probing stays short; at most `capacity` of them are
 * used. A key is hashed with 64-bit FNV-1a and kept in a fixed 96-byte slot
 * (longer keys are cut to 95 bytes, so two keys differing only past that
 * point share a counter). Removing an entry (a success, or eviction) shifts
 * the entries after it back into place, so no tombstones are needed. When a
 * new key arrives and `capacity` entries are in use, the entry whose last
 * failure is oldest is evicted: a linear scan, paid only while the table is
 * full.
 *
 * Per key: a failure more than window_seconds after the previous one starts
 * the count again; each failure counts one; from the limit-th failure on,
 * the key is locked until last_failure + min(base << (count - limit), max).
 * Waits are also capped at max_lock_seconds, so a clock stepped backwards
 * cannot lock a key for longer than the longest lock. One mutex guards the
 * table: every operation is a probe of a few slots.
 *
 * Options out of range are brought into range rather than refused:
 * capacity <= 0 means 4096, limit < 1 means 1, negative times mean 0, and a
 * maximum below the base lock is raised to it.
 */
#include "throttle.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define KEY_SLOT_BYTES   96
#define DEFAULT_CAPACITY 4096

typedef struct entry {
    bool used;
    uint64_t hash;
    int count;
    int64_t last_failure;
    int64_t locked_until;
    char key[KEY_SLOT_BYTES];
} entry;

struct throttle {
    pthread_mutex_t lock;
    throttle_options opt;
    size_t nslots; /* a power of two */
    size_t used;
    entry *slots;
};

/* FNV-1a over the first KEY_SLOT_BYTES - 1 bytes; *len gets the length kept. */
static uint64_t key_hash(const char *key, size_t *len)
{
    uint64_t h = 14695981039346656037ULL;
    size_t n = 0;
    for (; n < KEY_SLOT_BYTES - 1 && key[n]; n++) {
        h ^= (unsigned char)key[n];
        h *= 1099511628211ULL;
    }
    *len = n;
    return h;
}

throttle *throttle_new(const throttle_options *opt)
{
    if (!opt)
        return NULL;
    throttle *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->opt = *opt;
    if (t->opt.capacity <= 0)
        t->opt.capacity = DEFAULT_CAPACITY;
    if (t->opt.limit < 1)
        t->opt.limit = 1;
    if (t->opt.window_seconds < 0)
        t->opt.window_seconds = 0;
    if (t->opt.base_lock_seconds < 0)
        t->opt.base_lock_seconds = 0;
    if (t->opt.max_lock_seconds < t->opt.base_lock_seconds)
        t->opt.max_lock_seconds = t->opt.base_lock_seconds;
    t->nslots = 2;
    while (t->nslots < 2 * (size_t)t->opt.capacity)
        t->nslots *= 2;
    t->slots = calloc(t->nslots, sizeof *t->slots);
    if (!t->slots || pthread_mutex_init(&t->lock, NULL) != 0)
        goto fail;
    return t;
fail:
    free(t->slots);
    free(t);
    return NULL;
}

void throttle_free(throttle *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t->slots);
    free(t);
}

/* The slot holding key, or NULL; *home gets where a new entry would go. */
static entry *find(throttle *t, const char *key, uint64_t h, size_t len, size_t *home)
{
    size_t mask = t->nslots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        entry *e = &t->slots[i];
        if (!e->used) {
            if (home)
                *home = i;
            return NULL;
        }
        if (e->hash == h && strncmp(e->key, key, len) == 0 && e->key[len] == '\0')
            return e;
    }
}

/* Empties slot i and moves later entries of its probe run back (no tombstones). */
static void remove_at(throttle *t, size_t i)
{
    size_t mask = t->nslots - 1;
    t->slots[i].used = false;
    t->used--;
    size_t hole = i;
    for (size_t j = (i + 1) & mask; t->slots[j].used; j = (j + 1) & mask) {
        size_t want = t->slots[j].hash & mask;
        /* entry j may fill the hole when its home is not cyclically in (hole, j] */
        bool stays = hole <= j ? (want > hole && want <= j) : (want > hole || want <= j);
        if (stays)
            continue;
        t->slots[hole] = t->slots[j];
        t->slots[j].used = false;
        hole = j;
    }
}

static void evict_oldest(throttle *t)
{
    size_t oldest = t->nslots;
    for (size_t i = 0; i < t->nslots; i++)
        if (t->slots[i].used &&
            (oldest == t->nslots || t->slots[i].last_failure < t->slots[oldest].last_failure))
            oldest = i;
    if (oldest < t->nslots)
        remove_at(t, oldest);
}

/* a + b without overflow (b >= 0) */
static int64_t add_sat(int64_t a, int64_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

static int64_t lock_seconds(const throttle_options *o, int count)
{
    int shift = count - o->limit;
    int64_t lock = o->base_lock_seconds;
    for (int i = 0; i < shift && lock > 0 && lock < o->max_lock_seconds; i++)
        lock *= 2;
    return lock < o->max_lock_seconds ? lock : o->max_lock_seconds;
}

int64_t throttle_wait(throttle *t, const char *key, int64_t now)
{
    if (!t || !key)
        return 0;
    size_t len;
    uint64_t h = key_hash(key, &len);
    int64_t wait = 0;
    pthread_mutex_lock(&t->lock);
    const entry *e = find(t, key, h, len, NULL);
    if (e && e->locked_until > now) {
        /* the true difference is positive and below 2^64: exact in unsigned arithmetic */
        uint64_t diff = (uint64_t)e->locked_until - (uint64_t)now;
        wait = diff < (uint64_t)t->opt.max_lock_seconds ? (int64_t)diff : t->opt.max_lock_seconds;
    }
    pthread_mutex_unlock(&t->lock);
    return wait;
}

void throttle_failure(throttle *t, const char *key, int64_t now)
{
    if (!t || !key)
        return;
    size_t len;
    uint64_t h = key_hash(key, &len);
    pthread_mutex_lock(&t->lock);
    size_t home;
    entry *e = find(t, key, h, len, &home);
    if (!e) {
        if (t->used >= (size_t)t->opt.capacity) {
            evict_oldest(t);
            find(t, key, h, len, &home); /* eviction may have moved the free slot */
        }
        e = &t->slots[home];
        memset(e, 0, sizeof *e);
        e->used = true;
        e->hash = h;
        memcpy(e->key, key, len);
        e->key[len] = '\0';
        e->last_failure = now;
        t->used++;
    }
    /* a window in the past: counts restart; a clock stepped back keeps counting */
    if (now > e->last_failure &&
        (uint64_t)now - (uint64_t)e->last_failure > (uint64_t)t->opt.window_seconds)
        e->count = 0;
    if (e->count < INT32_MAX)
        e->count++;
    if (now > e->last_failure)
        e->last_failure = now;
    e->locked_until = 0;
    if (e->count >= t->opt.limit)
        e->locked_until = add_sat(e->last_failure, lock_seconds(&t->opt, e->count));
    pthread_mutex_unlock(&t->lock);
}

void throttle_success(throttle *t, const char *key)
{
    if (!t || !key)
        return;
    size_t len;
    uint64_t h = key_hash(key, &len);
    pthread_mutex_lock(&t->lock);
    const entry *e = find(t, key, h, len, NULL);
    if (e)
        remove_at(t, (size_t)(e - t->slots));
    pthread_mutex_unlock(&t->lock);
}
