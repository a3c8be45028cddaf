/*
 * fhir_cli.c - `peerlink import fhir [--db FILE] [--unit UNIT_ID] FILE|DIR...`
 *
 * Reads FHIR NDJSON (one resource a line) a megabyte at a time into a
 * bounded buffer (a line may be 4 MiB) and hands each line to fhir_import,
 * which writes every FHIR_IMPORT_BATCH_LINES lines in one transaction on a
 * thread of its own while the next batch is read and parsed: memory stays
 * that of two batches whatever the file's size. A directory
 * is read file by file, its *.ndjson files sorted with the Patient files
 * first (so Observations find their subjects). A line that is refused is
 * printed as FILE:LINE: why, and the others are written; the exit code is
 * 1 when any line was refused. On a terminal, standard error shows the rate
 * and the time left from the bytes read, refreshed once a second. New
 * participants join --unit (default: the first unit below a program).
 */
#include "cli/fhir_cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "fhir/fhir_import.h"

#define FILES_MAX  4096
#define READ_CHUNK (1u << 20)

typedef struct progress {
    bool tty;
    long long total, done;
    struct timespec start, last;
    long refused_shown;
    long too_long; /* lines skipped as longer than the limit (not in the import's report) */
} progress;

static double seconds_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void show(progress *p, const fhir_import_report *r, bool final)
{
    if (!p->tty || (!final && seconds_since(&p->last) < 1.0))
        return;
    clock_gettime(CLOCK_MONOTONIC, &p->last);
    double el = seconds_since(&p->start);
    double rate = el > 0 ? (double)r->lines / el : 0;
    double mbs = el > 0 ? (double)p->done / el / 1e6 : 0;
    double eta = p->done > 0 ? el * (double)(p->total - p->done) / (double)p->done : 0;
    fprintf(stderr, "\rimport: %ld lines, %.0f lines/s, %.1f MB/s, %3.0f%%, ETA %.0f s   %s",
            r->lines, rate, mbs, p->total ? 100.0 * (double)p->done / (double)p->total : 100.0, eta,
            final ? "\n" : "");
}

static void on_error(void *ctx, const char *file, long line, const char *message)
{
    progress *p = ctx;
    if (p->tty)
        fputc('\n', stderr);
    fprintf(stderr, "%s:%ld: %s\n", file, line, message);
}

static int cmp_files(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    const char *bx = strrchr(x, '/'), *by = strrchr(y, '/');
    bx = bx ? bx + 1 : x;
    by = by ? by + 1 : y;
    int px = strncmp(bx, "Patient", 7) == 0, py = strncmp(by, "Patient", 7) == 0;
    if (px != py)
        return py - px;
    return strcmp(x, y);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Adds path (a file, or the *.ndjson files of a directory) to files; -1 with a message. */
static int add_path(const char *path, char **files, int *n)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return cli_fail(EXIT_USAGE, "import: %s: %s", path, strerror(errno)), -1;
    if (!S_ISDIR(sb.st_mode)) {
        if (*n == FILES_MAX)
            return cli_fail(EXIT_USAGE, "import: at most %d files", FILES_MAX), -1;
        files[(*n)++] = strdup(path);
        return 0;
    }
    DIR *d = opendir(path);
    if (!d)
        return cli_fail(EXIT_USAGE, "import: %s: %s", path, strerror(errno)), -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!ends_with(e->d_name, ".ndjson") || strcmp(e->d_name, "log.ndjson") == 0)
            continue;
        if (*n == FILES_MAX) {
            closedir(d);
            return cli_fail(EXIT_USAGE, "import: at most %d files", FILES_MAX), -1;
        }
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        char *f = malloc(len);
        if (f)
            snprintf(f, len, "%s/%s", path, e->d_name);
        files[(*n)++] = f;
    }
    closedir(d);
    return 0;
}

/* Hands the line of buf at [start, start + len) to im; -1 on a failure that stops the import. */
static int one_line(fhir_import *im, const char *path, progress *p, const char *line, size_t len,
                    long lineno)
{
    pl_err err;
    pl_err_clear(&err);
    if (len > FHIR_IMPORT_LINE_MAX) {
        p->too_long++;
        on_error(p, path, lineno, "the line is longer than 4 MiB");
        return 0;
    }
    if (fhir_import_line(im, line, len, path, lineno, &err) != PL_OK) {
        fprintf(stderr, "peerlink: import: %s\n", err.message);
        return -1;
    }
    if ((lineno & 1023) == 0)
        show(p, fhir_import_result(im), false);
    return 0;
}

/*
 * Reads one file into im, a chunk at a time into buf (FHIR_IMPORT_LINE_MAX + READ_CHUNK
 * bytes), each line handed over where it lies; a line longer than the limit is reported
 * and skipped to its newline. -1 on a failure that stops the import.
 */
static int import_file(fhir_import *im, const char *path, progress *p, char *buf)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "peerlink: import: %s: %s\n", path, strerror(errno));
        return -1;
    }
    long lineno = 0;
    size_t have = 0;       /* bytes of buf not handed over yet */
    bool skipping = false; /* in the rest of a line already reported too long */
    int rc = 0;
    for (bool eof = false; rc == 0 && !eof;) {
        size_t got = fread(buf + have, 1, READ_CHUNK, f);
        p->done += (long long)got;
        have += got;
        eof = got < READ_CHUNK;
        size_t start = 0;
        const char *nl;
        while (rc == 0 && (nl = memchr(buf + start, '\n', have - start)) != NULL) {
            size_t len = (size_t)(nl - (buf + start));
            lineno++;
            if (!skipping)
                rc = one_line(im, path, p, buf + start, len, lineno);
            skipping = false;
            start += len + 1;
        }
        have -= start;
        memmove(buf, buf + start, have);
        if (rc == 0 && eof && have > 0 && !skipping)
            rc = one_line(im, path, p, buf, have, ++lineno); /* the last line, no newline */
        else if (rc == 0 && have > FHIR_IMPORT_LINE_MAX) {
            if (!skipping) {
                p->too_long++;
                on_error(p, path, lineno + 1, "the line is longer than 4 MiB");
            }
            skipping = true;
            have = 0;
        }
    }
    if (ferror(f)) {
        fprintf(stderr, "peerlink: import: %s: read error\n", path);
        rc = -1;
    }
    fclose(f);
    return rc;
}

int fhir_cli_import(int argc, char **argv)
{
    const char *db = cli_default_db();
    long unit = 0;
    char **files = calloc(FILES_MAX, sizeof *files);
    char *line = malloc(FHIR_IMPORT_LINE_MAX + READ_CHUNK);
    int nfiles = 0, rc = EXIT_OK;
    store *s = NULL;
    fhir_import *im = NULL;
    if (!files || !line) {
        rc = cli_fail(EXIT_RUNTIME, "import: out of memory");
        goto done;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            db = argv[++i];
        } else if (strcmp(argv[i], "--unit") == 0 && i + 1 < argc) {
            if (cli_parse_long(argv[++i], 1, 0x7fffffffL, &unit) != 0) {
                rc = cli_fail(EXIT_USAGE, "import: --unit must be the id of an org unit");
                goto done;
            }
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            rc = cli_fail(EXIT_USAGE, "import: unknown option '%s' (usage: %s)", argv[i],
                          FHIR_CLI_USAGE);
            goto done;
        } else if (add_path(argv[i], files, &nfiles) != 0) {
            rc = EXIT_USAGE;
            goto done;
        }
    }
    if (nfiles == 0) {
        rc = cli_fail(EXIT_USAGE, "import: name at least one NDJSON file or directory");
        goto done;
    }
    qsort(files, (size_t)nfiles, sizeof *files, cmp_files);
    pl_err err;
    pl_err_clear(&err);
    store_options so = {0};
    if (store_open(db, &so, &s, &err) != PL_OK) {
        rc = cli_fail(EXIT_RUNTIME, "import: %s", err.message);
        goto done;
    }
    pl_id home = (pl_id)unit;
    if (home == 0 && store_fhir_intake_unit(s, 0, &home, &err) != PL_OK) {
        rc = cli_fail(EXIT_USAGE, "import: no org unit below a program to enrol into; give --unit");
        goto done;
    }
    progress p = {.tty = isatty(2) != 0};
    for (int i = 0; i < nfiles; i++) {
        struct stat sb;
        if (files[i] && stat(files[i], &sb) == 0)
            p.total += (long long)sb.st_size;
    }
    clock_gettime(CLOCK_MONOTONIC, &p.start);
    p.last = p.start;
    fhir_import_options opt = {.home_unit_id = home,
                               .client_addr = "cli",
                               .batch_lines = FHIR_IMPORT_BATCH_LINES,
                               .background = true,
                               .on_error = on_error,
                               .ctx = &p};
    if (fhir_import_new(s, &opt, &im, &err) != PL_OK) {
        rc = cli_fail(EXIT_USAGE, "import: --unit %ld %s", unit,
                      err.nfields ? err.fields[0].message : err.message);
        goto done;
    }
    for (int i = 0; i < nfiles && rc == EXIT_OK; i++)
        if (!files[i] || import_file(im, files[i], &p, line) != 0)
            rc = EXIT_RUNTIME;
    /* after a stopping error too: the lines read so far are good ones and commit, and the
       report below must wait for the batch the writer thread still holds */
    if (fhir_import_flush(im, &err) != PL_OK && rc == EXIT_OK)
        rc = cli_fail(EXIT_RUNTIME, "import: %s", err.message);
    const fhir_import_report *r = fhir_import_result(im);
    show(&p, r, true);
    json_object *o = fhir_import_report_json(r);
    printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    if (rc == EXIT_OK && (r->refused > 0 || p.too_long > 0))
        rc = EXIT_RUNTIME;
done:
    fhir_import_free(im);
    store_close(s);
    for (int i = 0; files && i < nfiles; i++)
        free(files[i]);
    free(files);
    free(line);
    return rc;
}
