/*
 * bench_store.c - durable write and read throughput of the store, against
 * raw SQLite on the same machine in the same run.
 *
 *   bench_store DB [THREADS] [SECONDS] [ROUNDS]
 *
 * DB must be a demo database (peerlink demo --participants N). Each round:
 *  - store writes: THREADS threads insert contacts through store_write()
 *    (synchronous=FULL, group commit) for SECONDS;
 *  - raw writes: one thread inserts contacts with plain sqlite3, one
 *    transaction (one fsync) per contact, synchronous=FULL, for SECONDS;
 *  - store reads: 2 threads read random participants with
 *    store_participant_get() for SECONDS;
 *  - raw reads: 2 threads run the same SELECT through plain sqlite3.
 * It prints the median over ROUNDS of each rate, next to the DESIGN.md §9
 * target. Timing lives here only: tests never time anything.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rng.h"
#include "store/store.h"

static const char *db_path;
static int seconds = 3;
static int64_t max_participant, max_leader;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct worker {
    store *s;
    uint64_t seed;
    double deadline;
    atomic_long *count;
} worker;

static pl_status contact_write(store_tx *tx, void *ctx, pl_err *err)
{
    pl_contact *c = ctx;
    return store_contact_insert(tx, c, err);
}

static void *store_writer(void *arg)
{
    worker *w = arg;
    pl_rng r;
    pl_rng_seed(&r, w->seed);
    while (now_s() < w->deadline) {
        /* the peer leader need not match: the benchmark measures the write path */
        pl_contact c = {.participant_id = pl_rng_range(&r, 1, (int)max_participant),
                        .peer_leader_id = pl_rng_range(&r, 1, (int)max_leader),
                        .occurred_at = (pl_time)time(NULL) - 3600,
                        .minutes = 15,
                        .mode = PL_MODE_PHONE,
                        .key_functions = PL_KF_ONGOING,
                        .note = "benchmark contact",
                        .follow_up_date = PL_DATE_NONE};
        pl_err err;
        pl_err_clear(&err);
        if (store_write(w->s, contact_write, &c, &err) == PL_OK)
            atomic_fetch_add(w->count, 1);
    }
    return NULL;
}

static void *store_reader(void *arg)
{
    worker *w = arg;
    pl_rng r;
    pl_rng_seed(&r, w->seed);
    pl_arena a;
    pl_arena_init(&a, 0);
    long n = 0;
    while (now_s() < w->deadline) {
        for (int i = 0; i < 256; i++) {
            pl_participant p;
            pl_err err;
            pl_err_clear(&err);
            if (store_participant_get(w->s, pl_rng_range(&r, 1, (int)max_participant), &a, &p,
                                      &err) == PL_OK)
                n++;
            pl_arena_reset(&a);
        }
    }
    pl_arena_free(&a);
    atomic_fetch_add(w->count, n);
    return NULL;
}

static void *raw_reader(void *arg)
{
    worker *w = arg;
    pl_rng r;
    pl_rng_seed(&r, w->seed);
    sqlite3 *db;
    sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db,
                       "SELECT p.*, pe.* FROM participant p JOIN person pe ON pe.id = p.person_id "
                       "WHERE p.id = ?",
                       -1, &st, NULL);
    long n = 0;
    while (now_s() < w->deadline) {
        for (int i = 0; i < 256; i++) {
            sqlite3_bind_int64(st, 1, pl_rng_range(&r, 1, (int)max_participant));
            if (sqlite3_step(st) == SQLITE_ROW) {
                /* copy the text columns, as the store does into its arena */
                for (int c = 0; c < sqlite3_column_count(st); c++)
                    (void)sqlite3_column_text(st, c);
                n++;
            }
            sqlite3_reset(st);
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    atomic_fetch_add(w->count, n);
    return NULL;
}

static double raw_write_rate(void)
{
    sqlite3 *db;
    sqlite3_open(db_path, &db);
    sqlite3_exec(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", NULL, NULL, NULL);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db,
                       "INSERT INTO contact (program_id, participant_id, peer_leader_id, "
                       "occurred_at, minutes, mode, key_functions, topics, proactive, note, "
                       "created_at) VALUES (1, ?, ?, ?, 15, 'phone', 8, 0, 0, 'raw', ?)",
                       -1, &st, NULL);
    pl_rng r;
    pl_rng_seed(&r, 99);
    long n = 0;
    double t0 = now_s(), deadline = t0 + seconds;
    while (now_s() < deadline) {
        sqlite3_bind_int64(st, 1, pl_rng_range(&r, 1, (int)max_participant));
        sqlite3_bind_int64(st, 2, pl_rng_range(&r, 1, (int)max_leader));
        sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL) - 3600);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
        if (sqlite3_step(st) == SQLITE_DONE)
            n++;
        sqlite3_reset(st);
    }
    double rate = (double)n / (now_s() - t0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rate;
}

static double run_threads(store *s, int threads, void *(*fn)(void *))
{
    pthread_t th[256];
    worker w[256];
    atomic_long count = 0;
    double t0 = now_s();
    for (int i = 0; i < threads; i++) {
        w[i] = (worker){s, (uint64_t)i + 1, t0 + seconds, &count};
        pthread_create(&th[i], NULL, fn, &w[i]);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    return (double)count / (now_s() - t0);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_store DB [THREADS] [SECONDS] [ROUNDS]\n");
        return 2;
    }
    db_path = argv[1];
    int threads = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 64;
    seconds = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 3;
    int rounds = argc > 4 ? (int)strtol(argv[4], NULL, 10) : 5;
    if (threads < 1 || threads > 256 || seconds < 1 || rounds < 1 || rounds > 50) {
        fprintf(stderr, "bench_store: THREADS 1-256, SECONDS >= 1, ROUNDS 1-50\n");
        return 2;
    }
    {
        /* a demo database numbers its rows from 1, so counts are the id ranges */
        pl_err err;
        pl_err_clear(&err);
        store *s = NULL;
        store_counts n = {0};
        if (store_open(db_path, NULL, &s, &err) != PL_OK ||
            store_counts_get(s, &n, &err) != PL_OK) {
            fprintf(stderr, "bench_store: %s\n", err.message);
            store_close(s);
            return 1;
        }
        store_close(s);
        max_participant = n.participants;
        max_leader = n.peer_leaders;
        if (max_participant < 1 || max_leader < 1) {
            fprintf(stderr, "bench_store: %s has no participants; run peerlink demo first\n",
                    db_path);
            return 1;
        }
    }
    double sw[50], rw[50], sr[50], rr[50];
    for (int i = 0; i < rounds; i++) {
        pl_err err;
        pl_err_clear(&err);
        store *s = NULL;
        if (store_open(db_path, NULL, &s, &err) != PL_OK) {
            fprintf(stderr, "bench_store: %s\n", err.message);
            return 1;
        }
        sw[i] = run_threads(s, threads, store_writer);
        sr[i] = run_threads(s, 2, store_reader);
        store_close(s);
        /* the raw comparison is SQLite's: on a PostgreSQL URL only the store is measured */
        int pg = strncmp(db_path, "postgres", 8) == 0;
        rw[i] = pg ? 0 : raw_write_rate();
        rr[i] = pg ? 0 : run_threads(NULL, 2, raw_reader);
        fprintf(stderr,
                "round %d: store writes %.0f/s, raw writes %.0f/s, store reads %.0f/s, "
                "raw reads %.0f/s\n",
                i + 1, sw[i], rw[i], sr[i], rr[i]);
    }
    printf(
        "| measure (median of %d x %d s, %lld participants) | peerlink | raw SQLite | target |\n",
        rounds, seconds, (long long)max_participant);
    printf("|---|---|---|---|\n");
    printf("| durable contact writes/s (synchronous=FULL, %d writers) | %.0f | %.0f (one fsync "
           "per insert) | >= 10,000 |\n",
           threads, median(sw, rounds), median(rw, rounds));
    printf("| participant reads/s, 2 threads, store layer only | %.0f | %.0f | (>= 20,000 over "
           "HTTP) |\n",
           median(sr, rounds), median(rr, rounds));
    return 0;
}
