/*
 * bench_fhir_import.c - FHIR NDJSON Observation import rate (issue 6),
 * against parsing alone and a raw SQLite bulk insert of the same rows, in
 * the same run.
 *
 *   bench_fhir_import DEMO_DB [OBSERVATIONS] [ROUNDS]
 *   bench_fhir_import --write FILE [OBSERVATIONS]   (the file alone)
 *
 * Writes an NDJSON file next to DEMO_DB: OBSERVATIONS / 50 Patients, then
 * OBSERVATIONS Observations (HbA1c, weight, BMI with decimals as a clinic
 * sends them; default 5,000,000). Each round, on a fresh copy of the demo
 * database:
 *  - parse: every line through fhir_parse, fhir_*_from_json and
 *    measurement_prepare, nothing written;
 *  - import: fhir_import as `peerlink import fhir` runs it
 *    (FHIR_IMPORT_BATCH_LINES a transaction, written on a thread of its own
 *    while the next batch is parsed, synchronous=FULL, audit events and
 *    source ids included);
 *  - raw: the same measurement rows (participants, codes, times) inserted
 *    with plain sqlite3 prepared statements, as many a transaction, WAL and
 *    synchronous=FULL (no foreign keys, no source id, no audit, no tier).
 * Prints the median of each rate (observations/s, MB/s for the file)
 * next to the 200,000 observations/s target. Timing lives here only.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/measure.h"
#include "fhir/fhir_import.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The load average now (the machine is shared: the rates mean little without it). */
static void print_load(const char *when)
{
    FILE *f = fopen("/proc/loadavg", "r");
    char buf[128] = "";
    if (f) {
        if (!fgets(buf, sizeof buf, f))
            buf[0] = '\0';
        fclose(f);
    }
    fprintf(stderr, "load average %s: %s", when, buf[0] ? buf : "unknown\n");
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

static const struct {
    const char *code, *unit;
    double base, spread;
} kinds[] = {
    {"4548-4", "%", 6.0, 4.0}, {"29463-7", "kg", 60.0, 50.0}, {"39156-5", "kg/m2", 20, 15}};

static double value_of(long i, int k)
{
    return kinds[k].base + (double)((i * 7919) % 1000) / 1000.0 * kinds[k].spread;
}

static int write_file(const char *path, long nobs, long *bytes)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    long npat = nobs / 50 + 1;
    for (long p = 0; p < npat; p++)
        fprintf(
            f,
            "{\"resourceType\":\"Patient\",\"id\":\"bench-%ld\",\"name\":[{\"family\":\"Bench\","
            "\"given\":[\"P%ld\"]}],\"gender\":\"female\",\"birthDate\":\"1960-01-01\"}\n",
            p, p);
    for (long i = 0; i < nobs; i++) {
        int k = (int)(i % 3);
        long day = i % 3650;
        fprintf(f,
                "{\"resourceType\":\"Observation\",\"id\":\"obs-%ld\",\"status\":\"final\","
                "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"%s\"}]},"
                "\"subject\":{\"reference\":\"Patient/bench-%ld\"},\"effectiveDateTime\":"
                "\"%04ld-%02ld-%02ldT09:%02ld:00Z\",\"valueQuantity\":{\"value\":%.2f,\"unit\":"
                "\"%s\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"%s\"}}\n",
                i, kinds[k].code, i / 50, 2010 + day / 365, 1 + (day % 365) / 31,
                1 + (day % 365) % 28, i % 60, value_of(i, k), kinds[k].unit, kinds[k].unit);
    }
    *bytes = ftell(f);
    return fclose(f);
}

static int copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    char buf[1 << 16];
    size_t n;
    int rc = a && b ? 0 : -1;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, a)) > 0)
        if (fwrite(buf, 1, n, b) != n)
            rc = -1;
    if (a)
        fclose(a);
    if (b && fclose(b) != 0)
        rc = -1;
    return rc;
}

/* Reads path line by line into fn; returns the lines seen. */
static long each_line(const char *path, char *line, void (*fn)(void *, char *, size_t, long),
                      void *ctx)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    long n = 0;
    while (fgets(line, (int)FHIR_IMPORT_LINE_MAX, f)) {
        size_t len = strlen(line);
        if (len && line[len - 1] == '\n')
            line[--len] = '\0';
        fn(ctx, line, len, ++n);
    }
    fclose(f);
    return n;
}

static void parse_line(void *ctx, char *line, size_t len, long no)
{
    pl_arena *a = ctx;
    json_object *o;
    pl_err err;
    pl_err_clear(&err);
    (void)no;
    if (fhir_parse(line, len, &o, &err) != PL_OK)
        return;
    if (strcmp(fhir_resource_type(o), "Observation") == 0) {
        fhir_observation fo;
        if (fhir_observation_from_json(o, a, &fo, &err) == PL_OK && fo.nm == 1) {
            fo.m[0].participant_id = 1;
            measurement_prepare(&fo.m[0], (pl_time)time(NULL), &err);
        }
    }
    json_object_put(o);
    pl_arena_reset(a);
}

typedef struct import_ctx {
    fhir_import *im;
    const char *path;
    int failed;
} import_ctx;

static void import_line(void *ctx, char *line, size_t len, long no)
{
    import_ctx *c = ctx;
    pl_err err;
    pl_err_clear(&err);
    if (fhir_import_line(c->im, line, len, c->path, no, &err) != PL_OK)
        c->failed = 1;
}

static void on_error(void *ctx, const char *file, long line, const char *message)
{
    (void)ctx;
    fprintf(stderr, "%s:%ld: %s\n", file, line, message);
}

/* Observation i's effective time, as write_file writes it. */
static sqlite3_int64 effective_of(long i)
{
    long day = i % 3650;
    struct tm tm = {.tm_year = (int)(2010 + day / 365 - 1900),
                    .tm_mon = (int)((day % 365) / 31),
                    .tm_mday = (int)(1 + (day % 365) % 28),
                    .tm_hour = 9,
                    .tm_min = (int)(i % 60)};
    return (sqlite3_int64)timegm(&tm);
}

/*
 * The same rows as the import's, in the same order: the demo's participants
 * in turn, 50 rows each, with the file's codes and times (so every index is
 * grown at the same places), the analyte per code.
 */
static double raw_insert(const char *db, long nobs)
{
    static const char *const analytes[] = {"hba1c", "weight", "bmi"};
    sqlite3 *h;
    if (sqlite3_open(db, &h) != SQLITE_OK)
        return -1;
    sqlite3_exec(h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, NULL);
    sqlite3_int64 *pids = malloc(sizeof *pids * 100000);
    long npids = 0;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(h, "SELECT id FROM participant ORDER BY id LIMIT 100000", -1, &st, NULL);
    while (pids && sqlite3_step(st) == SQLITE_ROW)
        pids[npids++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (npids == 0) {
        free(pids);
        sqlite3_close(h);
        return -1;
    }
    sqlite3_prepare_v2(h,
                       "INSERT INTO measurement (participant_id, code, analyte, value, unit, "
                       "entered_value, entered_unit, effective_at, source, created_at) VALUES "
                       "(?1, ?2, ?8, ?3, ?4, ?5, ?4, ?6, 'emr', ?7)",
                       -1, &st, NULL);
    double t0 = now_s();
    sqlite3_exec(h, "BEGIN", NULL, NULL, NULL);
    for (long i = 0; i < nobs; i++) {
        int k = (int)(i % 3);
        char v[32];
        snprintf(v, sizeof v, "%.2f", value_of(i, k));
        sqlite3_bind_int64(st, 1, pids[(i / 50) % npids]);
        sqlite3_bind_text(st, 2, kinds[k].code, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 3, value_of(i, k));
        sqlite3_bind_text(st, 4, kinds[k].unit, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, v, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 6, effective_of(i));
        sqlite3_bind_int64(st, 7, (sqlite3_int64)time(NULL));
        sqlite3_bind_text(st, 8, analytes[k], -1, SQLITE_STATIC);
        sqlite3_step(st);
        sqlite3_reset(st);
        if (i % FHIR_IMPORT_BATCH_LINES == FHIR_IMPORT_BATCH_LINES - 1) {
            sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
            sqlite3_exec(h, "BEGIN", NULL, NULL, NULL);
        }
    }
    sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
    double el = now_s() - t0;
    sqlite3_finalize(st);
    sqlite3_close(h);
    free(pids);
    return (double)nobs / el;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_fhir_import DEMO_DB [OBSERVATIONS] [ROUNDS]\n"
                        "       bench_fhir_import --write FILE [OBSERVATIONS]\n");
        return 2;
    }
    if (strcmp(argv[1], "--write") == 0) {
        /* the NDJSON file alone, for `peerlink import fhir` on any backend (bench/pg.sh) */
        long n = argc > 3 ? strtol(argv[3], NULL, 10) : 5000000, bytes = 0;
        if (argc < 3 || n < 1 || write_file(argv[2], n, &bytes) != 0) {
            fprintf(stderr, "bench: cannot write the NDJSON file\n");
            return 1;
        }
        printf("%ld observations, %ld bytes\n", n, bytes);
        return 0;
    }
    long nobs = argc > 2 ? strtol(argv[2], NULL, 10) : 5000000;
    int rounds = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 3;
    if (nobs < 1 || rounds < 1 || rounds > 20)
        return 2;
    char file[4096], copy[4096];
    snprintf(file, sizeof file, "%s.bench.ndjson", argv[1]);
    snprintf(copy, sizeof copy, "%s.bench-copy.db", argv[1]);
    long bytes = 0;
    if (write_file(file, nobs, &bytes) != 0) {
        fprintf(stderr, "bench: cannot write %s\n", file);
        return 1;
    }
    char *line = malloc(FHIR_IMPORT_LINE_MAX);
    double parse[20], import[20], mbs[20], raw[20];
    print_load("before");
    for (int r = 0; r < rounds; r++) {
        pl_arena a;
        pl_arena_init(&a, 1u << 24);
        double t0 = now_s();
        each_line(file, line, parse_line, &a);
        parse[r] = (double)nobs / (now_s() - t0);
        pl_arena_free(&a);

        for (int pass = 0; pass < 2; pass++) {
            char side[4200];
            snprintf(side, sizeof side, "%s-wal", copy);
            remove(side);
            snprintf(side, sizeof side, "%s-shm", copy);
            remove(side);
            if (copy_file(argv[1], copy) != 0) {
                fprintf(stderr, "bench: cannot copy %s\n", argv[1]);
                return 1;
            }
            if (pass == 1) {
                raw[r] = raw_insert(copy, nobs);
                continue;
            }
            store *s;
            pl_err err;
            pl_err_clear(&err);
            store_options so = {0};
            pl_id unit = 0;
            fhir_import *im = NULL;
            if (store_open(copy, &so, &s, &err) != PL_OK ||
                store_fhir_intake_unit(s, 0, &unit, &err) != PL_OK) {
                fprintf(stderr, "bench: %s\n", err.message);
                return 1;
            }
            fhir_import_options opt = {.home_unit_id = unit,
                                       .client_addr = "bench",
                                       .batch_lines = FHIR_IMPORT_BATCH_LINES,
                                       .background = true,
                                       .on_error = on_error};
            if (fhir_import_new(s, &opt, &im, &err) != PL_OK) {
                fprintf(stderr, "bench: %s\n", err.message);
                return 1;
            }
            import_ctx c = {im, file, 0};
            t0 = now_s();
            each_line(file, line, import_line, &c);
            fhir_import_flush(im, &err);
            double el = now_s() - t0;
            const fhir_import_report *rep = fhir_import_result(im);
            import[r] = (double)rep->observations_created / el;
            mbs[r] = (double)bytes / 1e6 / el;
            if (rep->observations_created != nobs)
                fprintf(stderr, "bench: %ld of %ld observations imported\n",
                        rep->observations_created, nobs);
            fhir_import_free(im);
            store_close(s);
        }
        fprintf(stderr,
                "round %d: parse %.0f obs/s, import %.0f obs/s (%.1f MB/s), raw %.0f rows/s\n",
                r + 1, parse[r], import[r], mbs[r], raw[r]);
    }
    print_load("after");
    printf("FHIR NDJSON import, %ld observations (%.1f MB), median of %d rounds:\n", nobs,
           (double)bytes / 1e6, rounds);
    /* MB/s of the file: the parse and the raw insert at the file's bytes per observation */
    double mb_per_obs = (double)bytes / 1e6 / (double)nobs;
    printf("  parse only (json check, json-c, mapping, units): %10.0f obs/s  %6.1f MB/s\n",
           median(parse, rounds), median(parse, rounds) * mb_per_obs);
    printf("  import (peerlink import fhir path):              %10.0f obs/s  %6.1f MB/s\n",
           median(import, rounds), median(mbs, rounds));
    printf("  raw SQLite insert of the same rows:              %10.0f rows/s %6.1f MB/s\n",
           median(raw, rounds), median(raw, rounds) * mb_per_obs);
    printf("  target:                                          %10d obs/s\n", 200000);
    free(line);
    remove(file);
    remove(copy);
    return 0;
}
