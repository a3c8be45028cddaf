/*
 * fhir_import.h - NDJSON import of FHIR resources (one resource a line)
 * into the store, shared by `peerlink import fhir` and POST /fhir/$import.
 *
 * Lines are read one at a time (fhir_import_line) into a batch; a batch is
 * written in one transaction (fhir_import_write, or fhir_import_flush which
 * runs it through store_write), then its memory is reused, so a file of any
 * length is imported in constant memory. A line that cannot be read, or
 * whose record is refused, is reported through the on_error callback with
 * its file and line number while the other lines are written.
 *
 * What becomes what: a Patient enrols a participant in the import's home
 * unit (or matches one already imported: same source id or identifier);
 * an Observation of a LOINC code peerlink records becomes measurements of
 * the participant its subject names (Patient/<source id> of an earlier
 * line or import, or Patient/<peerlink id>); an Observation already
 * imported (same source id) is skipped. Other resource types and codes are
 * counted as not kept. Re-importing a file therefore creates nothing.
 */
#ifndef PL_FHIR_FHIR_IMPORT_H
#define PL_FHIR_FHIR_IMPORT_H

#include <stdio.h>

#include "fhir/fhir.h"

#define FHIR_IMPORT_LINE_MAX  (4u * 1024u * 1024u) /* one resource */
#define FHIR_IMPORT_KINDS_MAX 48                   /* resource types counted as not kept */
/* lines per transaction of `peerlink import fhir`: fewer commits (each one rewrites the
   indexes' touched pages into the WAL), while two batches' memory stays small */
#define FHIR_IMPORT_BATCH_LINES 10000

typedef struct fhir_import_count {
    const char *name;
    long count;
} fhir_import_count;

typedef struct fhir_import_report {
    long lines;
    long patients_created, patients_matched;
    long observations_created, observations_matched;
    long values; /* measurements written (a blood-pressure panel gives two) */
    long refused;
    fhir_import_count not_kept[FHIR_IMPORT_KINDS_MAX]; /* by resourceType (or "Observation") */
    int nnot_kept;
} fhir_import_report;

typedef struct fhir_import_options {
    pl_id home_unit_id;      /* where new participants are enrolled (below a program) */
    pl_id account_id;        /* who imports (audit); 0 for the CLI */
    store_scope scope;       /* whose participants a subject may name ({0, 0}: all, the CLI) */
    const char *client_addr; /* audit: "cli" or the caller's address */
    int batch_lines;         /* lines per transaction; 0: never flush by itself */
    bool background;         /* write full batches on a thread while the next is read */
    void (*on_error)(void *ctx, const char *file, long line, const char *message);
    void *ctx;
} fhir_import_options;

typedef struct fhir_import fhir_import;

/* Checks the home unit (PL_INVALID naming it) and prepares an import. */
pl_status fhir_import_new(store *s, const fhir_import_options *opt, fhir_import **out, pl_err *err);
void fhir_import_free(fhir_import *im);

/*
 * Reads one line (without its newline) of file at lineno. A blank line is
 * skipped; a line that cannot be read is reported (on_error) and counted,
 * and the import goes on (PL_OK). With batch_lines set, a full batch is
 * written (or handed to the writer thread); a batch whose transaction fails
 * is reported (on_error: its line range) and counted as refused.
 */
pl_status fhir_import_line(fhir_import *im, const char *line, size_t len, const char *file,
                           long lineno, pl_err *err);
/* Writes the pending batch through store_write, waits for the writer thread, starts anew. */
pl_status fhir_import_flush(fhir_import *im, pl_err *err);
/* Writes the pending batch inside the caller's transaction (the API's api_write). */
pl_status fhir_import_write(store_tx *tx, fhir_import *im, pl_err *err);
/* Reports the refusals of the last batch written by fhir_import_write and starts a new one. */
void fhir_import_done(fhir_import *im);

const fhir_import_report *fhir_import_result(const fhir_import *im);
/* The report as JSON ({lines, patients_created, ..., not_kept: {type: n}}). */
json_object *fhir_import_report_json(const fhir_import_report *r);

#endif
