/*
 * store_fhir_export.h - the Bulk Data export jobs in the database
 * (src/api/fhir_export.c runs them; docs/FHIR.md, "Bulk export").
 *
 * A job is one row of fhir_export_job, so every server on the database
 * sees it: any server's export threads may claim a queued job, any server
 * answers its status, and a restart forgets nothing. The states run
 * queued -> running -> done | failed; a DELETE of a running job marks it
 * cancelled and its runner removes it. A runner writes its progress and
 * its files so far (heartbeat_at) as it goes; a running or cancelled job
 * whose heartbeat is older than a limit lost its runner (a server died)
 * and is queued again or removed by whichever server looks next; a
 * server that stops queues its running jobs again itself.
 * Strings read live in the caller's arena.
 */
#ifndef PL_STORE_STORE_FHIR_EXPORT_H
#define PL_STORE_STORE_FHIR_EXPORT_H

#include "store.h"

typedef enum store_export_state {
    STORE_EXPORT_QUEUED,
    STORE_EXPORT_RUNNING,
    STORE_EXPORT_DONE,
    STORE_EXPORT_FAILED,
    STORE_EXPORT_CANCELLED,
} store_export_state;

typedef struct store_export_job {
    const char *id; /* 32 hex digits */
    pl_id account_id;
    int role; /* pl_role */
    store_scope scope;
    int level; /* the API's job level */
    pl_id group_id;
    uint32_t types; /* the API's type rows, a bit each */
    pl_time since;  /* PL_TIME_NONE: everything */
    pl_time kicked_off;
    const char *request;     /* the kick-off URL */
    const char *client_addr; /* of the kick-off, for the audit */
    const char *dir;         /* where its files are: the export directory of its runner */
    store_export_state state;
    const char *progress;
    const char *error;   /* failed: why */
    const char *outputs; /* the API's encoding of the files written so far */
    pl_time finished_at; /* done or failed */
    pl_time heartbeat_at;
} store_export_job;

/* Inserts a queued job unless active_max jobs are queued or running or kept_max are kept
   (PL_LIMIT, the message saying which); the counts are taken in the same transaction. */
pl_status store_export_insert(store_tx *tx, const store_export_job *j, int active_max, int kept_max,
                              pl_err *err);
/* The job of that id; PL_NOTFOUND if none. */
pl_status store_export_get(store *s, const char *id, pl_arena *a, store_export_job *out,
                           pl_err *err);
/* Whether a job is queued (a runner looks before it claims, so an idle server only reads). */
pl_status store_export_any_queued(store *s, bool *any, pl_err *err);
/* Takes the oldest queued job for a runner writing into dir: it becomes running, *out is it;
   PL_NOTFOUND when none is queued. */
pl_status store_export_claim(store_tx *tx, const char *dir, pl_time now, pl_arena *a,
                             store_export_job *out, pl_err *err);
/* A running job's progress and files so far, and its heartbeat; PL_STALE when the job is no
   longer running (cancelled, or taken for lost): the runner stops. */
pl_status store_export_progress(store_tx *tx, const char *id, const char *progress,
                                const char *outputs, pl_time now, pl_err *err);
/* A running job's end: done or failed (with error), its files; PL_STALE when it was cancelled
   meanwhile. */
pl_status store_export_finish(store_tx *tx, const char *id, store_export_state state,
                              const char *error, const char *outputs, pl_time now, pl_err *err);
/* A running job back in the queue (its runner stops, or was lost; its files are the caller's
   to delete): another runner starts it again. PL_STALE when it is not running. */
pl_status store_export_requeue(store_tx *tx, const char *id, pl_err *err);
/* Removes the job's row (its files are the caller's to delete first). */
pl_status store_export_delete(store_tx *tx, const char *id, pl_err *err);
/* Marks a queued or running job cancelled; PL_NOTFOUND if it is not one of those. */
pl_status store_export_cancel(store_tx *tx, const char *id, pl_err *err);
/* Jobs to clean up, at most max: finished before kept_before, or running / cancelled with a
   heartbeat before lost_before (the runner is gone). */
pl_status store_export_stale(store *s, pl_time kept_before, pl_time lost_before, int max,
                             pl_arena *a, store_export_job **items, int *n, pl_err *err);

#endif
