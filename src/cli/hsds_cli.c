/*
 * hsds_cli.c - the import and export of a program's resource directory as
 * HSDS JSON from the shell; see hsds_cli.h.
 *
 * Every file is read (through a buffer with the import's ceiling) and
 * checked before anything is written, so a refused file leaves the
 * database as it was, like a refused API request. The write appends an
 * audit event of entity "resource_directory" from client "cli".
 */
#include "cli/hsds_cli.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "hsds/hsds.h"

static const char *const kind_names[STORE_RSC__KINDS] = {"organizations", "locations", "services",
                                                         "service_at_locations", "taxonomy_terms"};

/* Reads a whole file into b (ceiling HSDS_MAX_BYTES); prints the problem and returns -1. */
static int read_file(const char *path, pl_buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "peerlink: import: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char chunk[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (pl_buf_append(b, chunk, n) != PL_OK) {
            fprintf(stderr,
                    "peerlink: import: %s: larger than an import may take (%d MiB); "
                    "split it\n",
                    path, HSDS_MAX_BYTES / (1024 * 1024));
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        fprintf(stderr, "peerlink: import: %s: %s\n", path, strerror(errno));
        rc = -1;
    }
    fclose(f);
    return rc;
}

static void print_err(const char *path, const pl_err *err)
{
    fprintf(stderr, "peerlink: import: %s: %s\n", path, err->message);
    for (int i = 0; i < err->nfields; i++)
        fprintf(stderr, "  %s: %s\n", err->fields[i].field, err->fields[i].message);
    if (err->truncated)
        fprintf(stderr, "  (more problems not listed)\n");
}

typedef struct import_job {
    pl_id program_id;
    const store_rsc_dir *dir;
    store_rsc_import_counts counts;
} import_job;

static pl_status import_write(store_tx *tx, void *ctx, pl_err *err)
{
    import_job *j = ctx;
    pl_time now = (pl_time)time(NULL);
    pl_status st = store_resource_import(tx, j->program_id, j->dir, now, &j->counts, err);
    if (st != PL_OK)
        return st;
    store_audit_event ev = {.at = now,
                            .action = "import",
                            .entity = "resource_directory",
                            .entity_id = j->program_id,
                            .client_addr = "cli",
                            .status = 200};
    return store_audit_append(tx, &ev, err);
}

int hsds_cli_import(store *s, pl_id program_id, char **files, int nfiles, FILE *out)
{
    pl_arena a;
    pl_arena_init(&a, 0);
    hsds_import im;
    hsds_import_init(&im, &a);
    int rc = 0;
    pl_err err;
    for (int i = 0; i < nfiles && rc == 0; i++) {
        pl_buf b;
        pl_buf_init(&b, HSDS_MAX_BYTES);
        pl_err_clear(&err);
        if (read_file(files[i], &b) != 0) {
            rc = 1;
        } else if (hsds_import_add(&im, b.data ? b.data : "", b.len, &err) != PL_OK) {
            print_err(files[i], &err);
            rc = 1;
        }
        pl_buf_free(&b);
    }
    if (rc != 0) {
        fprintf(stderr, "peerlink: import: nothing was written\n");
        pl_arena_free(&a);
        return rc;
    }
    hsds_import_finish(&im);
    import_job job = {.program_id = program_id, .dir = &im.dir};
    pl_err_clear(&err);
    if (store_write(s, import_write, &job, &err) != PL_OK) {
        print_err(nfiles == 1 ? files[0] : "the files", &err);
        fprintf(stderr, "peerlink: import: nothing was written\n");
        pl_arena_free(&a);
        return 1;
    }
    const hsds_report *rep = &im.report;
    fprintf(out, "imported %d document%s into the directory of program %lld\n", rep->documents,
            rep->documents == 1 ? "" : "s", (long long)program_id);
    for (int k = 0; k < STORE_RSC__KINDS; k++)
        fprintf(out, "  %-21s %d created, %d updated%s\n", kind_names[k], job.counts.created[k],
                job.counts.updated[k],
                job.counts.not_kept[k] ? ", some not kept (nothing uses them)" : "");
    fprintf(out,
            "  with %d phones, %d languages, %d schedules, %d addresses, %d taxonomy "
            "attributes\n",
            job.counts.phones, job.counts.languages, job.counts.schedules, job.counts.addresses,
            job.counts.attributes);
    for (int k = 0; k < STORE_RSC__KINDS; k++)
        if (job.counts.not_kept[k])
            fprintf(out, "not kept: %d %s that no organization or service uses\n",
                    job.counts.not_kept[k], kind_names[k]);
    for (int i = 0; i < rep->nignored_entities; i++)
        fprintf(out, "not kept: %d %s\n", rep->ignored_entities[i].count,
                rep->ignored_entities[i].name);
    for (int i = 0; i < rep->nignored_fields; i++)
        fprintf(out, "field not kept: %s (%d)\n", rep->ignored_fields[i].name,
                rep->ignored_fields[i].count);
    for (int i = 0; i < rep->nwarnings; i++)
        fprintf(out, "warning: %s\n", rep->warnings[i]);
    if (rep->warnings_dropped)
        fprintf(out, "warning: %d more warnings\n", rep->warnings_dropped);
    pl_arena_free(&a);
    return 0;
}

int hsds_cli_export(store *s, pl_id program_id, FILE *out)
{
    pl_arena a;
    pl_arena_init(&a, 0);
    store_rsc_dir dir;
    pl_err err;
    pl_err_clear(&err);
    int rc = 0;
    if (store_resource_dir_load(s, program_id, &a, &dir, &err) != PL_OK) {
        fprintf(stderr, "peerlink: export: %s\n", pl_err_text(&err));
        rc = 1;
    } else {
        json_object *doc = hsds_export(&dir);
        if (!doc) {
            fprintf(stderr, "peerlink: export: out of memory\n");
            rc = 1;
        } else {
            fputs(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
                                                          JSON_C_TO_STRING_SPACED |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE),
                  out);
            fputc('\n', out);
            json_object_put(doc);
            if (fflush(out) != 0 || ferror(out)) {
                fprintf(stderr, "peerlink: export: %s\n", strerror(errno));
                rc = 1;
            }
        }
    }
    pl_arena_free(&a);
    return rc;
}
