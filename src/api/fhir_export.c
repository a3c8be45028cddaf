/*
 * fhir_export.c - FHIR Bulk Data 2.0 $export at system (/fhir/$export),
 * Patient (/fhir/Patient/$export) and Group (/fhir/Group/{id}/$export)
 * level: kick-off, status polling, the NDJSON files, cancel (docs/FHIR.md,
 * "Bulk export").
 *
 * Jobs. A kick-off checks its parameters (src/fhir/fhir_export.c parses
 * _type, _since, _outputFormat) and inserts the job, with the caller's
 * scope and account, as a row of the database (store_fhir_export.h), so
 * every server on the database answers its status, a restart forgets
 * nothing and jobs are counted across servers: at most EXPORT_ACTIVE_MAX
 * queued or running and EXPORT_JOBS_MAX kept, past either a kick-off
 * answers 429 with Retry-After. EXPORT_WORKERS threads per server claim
 * the oldest queued job of the database (woken by a kick-off here, and
 * every EXPORT_POLL_SECONDS for those kicked off on other servers) and
 * write its files under this server's export directory, <dir>/<job id>;
 * each reads through the store's reader API (a connection of its own
 * thread), so an export never holds a request's worker thread nor the
 * writer for long.
 *
 * While it runs, the runner writes its progress and its files so far into
 * the row at most once a second (the heartbeat). That write is also how
 * it learns of a DELETE (the row is no longer running: it removes its files
 * and the row). A server that stops puts its running jobs back in the
 * queue, their files removed; a job whose heartbeat is older than
 * EXPORT_LOST_SECONDS lost its server and is queued again by the next
 * kick-off anywhere (clean_up), which also deletes finished jobs and their
 * files EXPORT_KEEP_SECONDS after they finished. A file is served by any
 * server that can read the runner's directory (one shared --export-dir);
 * another answers 404 saying where the file is.
 *
 * Running a job. For each resource type asked for, in the order of the
 * table below: a first pass pages through the type's search counting ids
 * (the progress total), a second pages again, reads each resource, writes
 * it as one line of <job dir>/<Type>-<n>.ndjson (a new file past
 * EXPORT_FILE_MAX bytes) and queues one audit read event per record
 * exported, exactly as a search does (api_audit_reads). A Group-level job
 * runs the same searches once per current member of the group
 * (q.participant_id). The status URL shows "Type done/total" while running;
 * the stop and cancel flags are looked at between records.
 *
 * The row contract of export_types[]: one row per resource type.
 *  - name: the FHIR type, as in _type and the output's "type";
 *  - search: a store search with store_fhir_query's signature, the one the
 *    REST search of that type uses; it must honour q->scope (only what the
 *    caller may see), q->participant_id (the patient compartment: records
 *    of that participant; for Patient the participant itself), q->updated.lo
 *    (_since: lastUpdated >= lo), q->after and q->count (the keyset: ids
 *    ascending above q->after, with q->sort 0), setting *more when another
 *    page follows;
 *  - read: one id to its resource JSON (the same function the REST read
 *    uses), *participant_id set for the audit; PL_NOTFOUND skips the id;
 *  - audit_entity: the audit trail's entity of a read of that record.
 * Two rows may share a name (Observation: the measurements, then the score
 * Observations of scored questionnaire responses): _type takes both, and
 * the files of the name are numbered on across them.
 * Adding a type (Encounter, Group, QuestionnaireResponse ...) is one row
 * and its read function; nothing else here changes.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/time.h"
#include "fhir/fhir_export.h"
#include "fhir/fhir_qr.h"
#include "fhir/fhir_referral.h"
#include "fhir_int.h"
#include "store/store_fhir_entities.h"
#include "store/store_fhir_export.h"
#include "store/store_fhir_qr.h"

#define EXPORT_WORKERS      2
#define EXPORT_ACTIVE_MAX   4  /* queued or running jobs */
#define EXPORT_JOBS_MAX     32 /* kept jobs, finished ones included */
#define EXPORT_KEEP_SECONDS 86400
#define EXPORT_LOST_SECONDS                                                                        \
    120 /* a running job's heartbeat older than this: its server is gone                           \
         */
#define EXPORT_POLL_SECONDS 2
#define EXPORT_FILE_MAX     (64L * 1024 * 1024)
#define EXPORT_FILES_MAX    256
#define EXPORT_PAGE         500
#define EXPORT_MEMBERS_MAX  100000
#define EXPORT_ARENA_MAX    (64u * 1024u * 1024u)
#define EXPORT_RETRY_AFTER  "2"
#define EXPORT_ID_HEX       32

#define BULK_OP "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/"

typedef pl_status (*export_search_fn)(store *s, const store_fhir_query *q, pl_arena *a, pl_id **ids,
                                      int *n, bool *more, pl_err *err);
typedef pl_status (*export_read_fn)(http_request *req, pl_id id, json_object **out,
                                    pl_id *participant_id, pl_err *err);

typedef struct export_type {
    const char *name;
    export_search_fn search;
    export_read_fn read;
    const char *audit_entity;
} export_type;

static pl_status read_patient(http_request *req, pl_id id, json_object **out, pl_id *pid,
                              pl_err *err)
{
    api_context *app = req->app;
    pl_participant p;
    pl_status st = store_participant_get(app->store, id, &req->arena, &p, err);
    if (st == PL_OK) {
        *out = fhir_api_patient_json(req, &p);
        *pid = p.id;
    }
    return st;
}

static pl_status read_observation(http_request *req, pl_id id, json_object **out, pl_id *pid,
                                  pl_err *err)
{
    api_context *app = req->app;
    pl_measurement m;
    memset(&m, 0, sizeof m);
    pl_status st = store_measurement_get(app->store, id, &req->arena, &m, err);
    if (st == PL_OK) {
        *out = fhir_api_observation_json(req, &m);
        *pid = m.participant_id;
    }
    return st;
}

static pl_status read_qr(http_request *req, pl_id id, json_object **out, pl_id *pid, pl_err *err)
{
    api_context *app = req->app;
    store_questionnaire q;
    memset(&q, 0, sizeof q);
    pl_status st = store_questionnaire_get(app->store, id, &req->arena, &q, err);
    if (st == PL_OK) {
        *out = fhir_qr_json(&q);
        *pid = q.participant_id;
    }
    return st;
}

/* A scored questionnaire response as its score Observation (qr-<id>-total). */
static pl_status read_score(http_request *req, pl_id id, json_object **out, pl_id *pid, pl_err *err)
{
    api_context *app = req->app;
    store_questionnaire q;
    memset(&q, 0, sizeof q);
    pl_status st = store_questionnaire_get(app->store, id, &req->arena, &q, err);
    if (st == PL_OK && !q.scored)
        st = PL_NOTFOUND;
    if (st == PL_OK) {
        *out = fhir_score_json(&q);
        *pid = q.participant_id;
    }
    return st;
}

/* A referral as its ServiceRequest (task false) or its Task. */
static pl_status read_referral(http_request *req, pl_id id, bool task, json_object **out,
                               pl_id *pid, pl_err *err)
{
    api_context *app = req->app;
    store_referral r;
    memset(&r, 0, sizeof r);
    pl_status st = store_referral_get(app->store, id, &req->arena, &r, err);
    if (st == PL_OK) {
        *out = task ? fhir_task_json(&r) : fhir_service_request_json(&r);
        *pid = r.participant_id;
    }
    return st;
}

static pl_status read_service_request(http_request *req, pl_id id, json_object **out, pl_id *pid,
                                      pl_err *err)
{
    return read_referral(req, id, false, out, pid, err);
}

static pl_status read_task(http_request *req, pl_id id, json_object **out, pl_id *pid, pl_err *err)
{
    return read_referral(req, id, true, out, pid, err);
}

/* Every questionnaire response (the REST search's, scored or not). */
static pl_status search_qr(store *s, const store_fhir_query *q, pl_arena *a, pl_id **ids, int *n,
                           bool *more, pl_err *err)
{
    return store_fhir_qr_search(s, q, false, a, ids, n, more, err);
}

/* The scored responses: their score Observations, after the measurements. */
static pl_status search_scores(store *s, const store_fhir_query *q, pl_arena *a, pl_id **ids,
                               int *n, bool *more, pl_err *err)
{
    return store_fhir_qr_search(s, q, true, a, ids, n, more, err);
}

/* Every contact (not voided) as an Encounter; sessions are not exported themselves. */
static pl_status search_encounters(store *s, const store_fhir_query *q, pl_arena *a, pl_id **ids,
                                   int *n, bool *more, pl_err *err)
{
    return store_fhir_encounter_search(s, q, 0, 0, a, ids, n, more, err);
}

/* The exported types (the row contract is in the header comment). */
static const export_type export_types[] = {
    {"Patient", store_fhir_patient_search, read_patient, "participant"},
    {"Observation", store_fhir_observation_search, read_observation, "measurement"},
    {"Observation", search_scores, read_score, "questionnaire_response"},
    {"QuestionnaireResponse", search_qr, read_qr, "questionnaire_response"},
    {"ServiceRequest", store_fhir_referral_search, read_service_request, "referral"},
    {"Task", store_fhir_referral_search, read_task, "referral"},
    {"Encounter", search_encounters, fhir_api_encounter_resource, "contact"},
};
#define NTYPES ((int)(sizeof export_types / sizeof export_types[0]))

typedef enum job_level { LEVEL_SYSTEM, LEVEL_PATIENT, LEVEL_GROUP } job_level;

typedef struct job_output {
    int type; /* index in export_types */
    int part; /* the n of <Type>-<n>.ndjson */
    long count;
} job_output;

/* A job as its runner or a request holds it: the row (store_fhir_export.h) and its files. */
typedef struct export_job {
    store_export_job row;
    char dir[4096]; /* its files' directory: <the runner's export directory>/<id>; "" if none */
    int noutputs;
    job_output outputs[EXPORT_FILES_MAX];
    char progress[160];
} export_job;

struct api_fhir_exports {
    api_context *app;
    char *dir;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stopping;
    atomic_bool stop; /* read by runners between records */
    pthread_t workers[EXPORT_WORKERS];
    int nworkers;
};

/* ---- files ------------------------------------------------------------------------ */

/* The outputs column: "type:part:count" items, comma-separated. */
static const char *outputs_encode(pl_arena *a, const export_job *j)
{
    const char *s = "";
    for (int i = 0; i < j->noutputs && s; i++)
        s = pl_arena_printf(a, "%s%s%d:%d:%ld", s, i ? "," : "", j->outputs[i].type,
                            j->outputs[i].part, j->outputs[i].count);
    return s ? s : "";
}

static void outputs_decode(export_job *j)
{
    j->noutputs = 0;
    const char *p = j->row.outputs ? j->row.outputs : "";
    while (*p && j->noutputs < EXPORT_FILES_MAX) {
        job_output o;
        char *end;
        o.type = (int)strtol(p, &end, 10);
        if (*end != ':')
            return;
        o.part = (int)strtol(end + 1, &end, 10);
        if (*end != ':')
            return;
        o.count = strtol(end + 1, &end, 10);
        if (o.type < 0 || o.type >= NTYPES || (*end != ',' && *end != '\0'))
            return;
        j->outputs[j->noutputs++] = o;
        p = *end ? end + 1 : end;
    }
}

/* j from its row: the files decoded, the directory named (the row's strings stay the row's). */
static void job_from_row(export_job *j, const store_export_job *row)
{
    memset(j, 0, sizeof *j);
    j->row = *row;
    outputs_decode(j);
    if (row->dir)
        snprintf(j->dir, sizeof j->dir, "%s/%s", row->dir, row->id);
}

static void output_path(const export_job *j, const job_output *o, char *out, size_t n)
{
    snprintf(out, n, "%s/%s-%d.ndjson", j->dir, export_types[o->type].name, o->part);
}

static void job_delete_files(const export_job *j)
{
    if (!j->dir[0])
        return;
    char path[4200];
    for (int i = 0; i < j->noutputs; i++) {
        output_path(j, &j->outputs[i], path, sizeof path);
        unlink(path);
    }
    rmdir(j->dir);
}

/* ---- the jobs' rows ------------------------------------------------------------------ */

typedef struct job_write {
    export_job *job;
    const char *progress, *outputs, *error;
    store_export_state state;
    enum { W_PROGRESS, W_FINISH, W_REQUEUE, W_CANCEL, W_DELETE } what;
} job_write;

static pl_status job_write_tx(store_tx *tx, void *ctx, pl_err *err)
{
    job_write *w = ctx;
    const char *id = w->job->row.id;
    pl_time now = (pl_time)time(NULL);
    switch (w->what) {
    case W_PROGRESS:
        return store_export_progress(tx, id, w->progress, w->outputs, now, err);
    case W_FINISH:
        return store_export_finish(tx, id, w->state, w->error, w->outputs, now, err);
    case W_REQUEUE:
        return store_export_requeue(tx, id, err);
    case W_CANCEL:
        return store_export_cancel(tx, id, err);
    case W_DELETE:
        return store_export_delete(tx, id, err);
    }
    return PL_OK;
}

static pl_status job_change(api_context *app, export_job *j, job_write w, pl_err *err)
{
    w.job = j;
    return store_write(app->store, job_write_tx, &w, err);
}

/* Files of lost runners and of jobs kept long enough, with their rows: a finished job kept
   past EXPORT_KEEP_SECONDS goes; a running one whose runner stopped beating is queued again;
   a cancelled one whose runner is gone goes. */
static void clean_up(api_context *app)
{
    pl_arena a;
    pl_arena_init(&a, 1u << 20);
    pl_err err;
    pl_err_clear(&err);
    pl_time now = (pl_time)time(NULL);
    store_export_job *rows;
    int n = 0;
    if (store_export_stale(app->store, now - EXPORT_KEEP_SECONDS, now - EXPORT_LOST_SECONDS, 64, &a,
                           &rows, &n, &err) == PL_OK) {
        for (int i = 0; i < n; i++) {
            export_job *j = pl_arena_alloc(&a, sizeof *j);
            if (!j)
                break;
            job_from_row(j, &rows[i]);
            job_delete_files(j);
            job_write w = {.what = rows[i].state == STORE_EXPORT_RUNNING ? W_REQUEUE : W_DELETE};
            pl_err_clear(&err);
            job_change(app, j, w, &err);
        }
    }
    pl_arena_free(&a);
}

/* ---- running a job ------------------------------------------------------------------ */

typedef struct job_run {
    api_fhir_exports *ex;
    export_job *job;
    http_request req; /* a request of the job's account: arena, app, audit identity */
    pl_arena scratch; /* the progress writes' strings */
    pl_id *members;   /* Group level: the current members (malloc); else NULL */
    int nmembers;
    FILE *out;
    long out_bytes;
    job_output *cur;
    time_t beat;    /* when the progress was last written */
    bool cancelled; /* the row is no longer running: DELETEd (or taken for lost) */
    pl_err err;
} job_run;

static bool stopped(const job_run *r)
{
    return r->cancelled || atomic_load(&r->ex->stop);
}

/* Writes the progress and the files so far, at most once a second; a row no longer running
   marks the run cancelled. */
static void heartbeat(job_run *r)
{
    time_t now = time(NULL);
    if (r->cancelled || now - r->beat < 1)
        return;
    r->beat = now;
    pl_arena_reset(&r->scratch);
    pl_err err;
    pl_err_clear(&err);
    job_write w = {.what = W_PROGRESS,
                   .progress = r->job->progress,
                   .outputs = outputs_encode(&r->scratch, r->job)};
    if (job_change(r->ex->app, r->job, w, &err) == PL_STALE)
        r->cancelled = true;
}

static void set_progress(job_run *r, const char *type, long done, long total)
{
    snprintf(r->job->progress, sizeof r->job->progress, "%s %ld/%ld", type, done, total);
    heartbeat(r);
}
static int cmp_id(const void *a, const void *b)
{
    pl_id x = *(const pl_id *)a, y = *(const pl_id *)b;
    return (x > y) - (x < y);
}

/* The group's current members, ascending and each once (a person may hold two memberships). */
static pl_status load_members(job_run *r)
{
    api_context *app = r->ex->app;
    store_group_member_filter f = {
        .scope = r->job->row.scope, .group_id = r->job->row.group_id, .current = 1};
    store_page pg = {0, 200};
    int cap = 0;
    for (;;) {
        pl_group_member *items;
        int n;
        pl_arena_reset(&r->req.arena);
        pl_status st =
            store_group_member_list(app->store, &f, pg, &r->req.arena, &items, &n, &r->err);
        if (st != PL_OK)
            return st;
        for (int i = 0; i < n; i++) {
            if (r->nmembers == EXPORT_MEMBERS_MAX)
                return pl_err_set(&r->err, PL_LIMIT, "a Group export takes at most %d members",
                                  EXPORT_MEMBERS_MAX);
            if (r->nmembers == cap) {
                int ncap = cap ? cap * 2 : 256;
                pl_id *m = realloc(r->members, sizeof *m * (size_t)ncap);
                if (!m)
                    return pl_err_set(&r->err, PL_NOMEM, "out of memory");
                r->members = m;
                cap = ncap;
            }
            r->members[r->nmembers++] = items[i].participant_id;
        }
        if (n < pg.limit)
            break;
        pg.after = items[n - 1].id;
    }
    if (r->nmembers > 1) {
        qsort(r->members, (size_t)r->nmembers, sizeof *r->members, cmp_id);
        int k = 1;
        for (int i = 1; i < r->nmembers; i++)
            if (r->members[i] != r->members[k - 1])
                r->members[k++] = r->members[i];
        r->nmembers = k;
    }
    return PL_OK;
}

static pl_status close_output(job_run *r)
{
    if (!r->out)
        return PL_OK;
    int bad = ferror(r->out);
    bad |= fclose(r->out) != 0;
    r->out = NULL;
    if (bad)
        return pl_err_set(&r->err, PL_IO, "writing the export file of %s failed",
                          export_types[r->cur->type].name);
    return PL_OK;
}

/* Opens the next file of the type (the first, or one past the size ceiling). */
static pl_status open_output(job_run *r, int type)
{
    pl_status st = close_output(r);
    if (st != PL_OK)
        return st;
    export_job *j = r->job;
    if (j->noutputs == EXPORT_FILES_MAX)
        return pl_err_set(&r->err, PL_LIMIT, "an export holds at most %d files", EXPORT_FILES_MAX);
    /* the parts of a type name run on across its rows (Observation: measurements, then scores) */
    int part = 1;
    for (int i = 0; i < j->noutputs; i++)
        if (strcmp(export_types[j->outputs[i].type].name, export_types[type].name) == 0 &&
            j->outputs[i].part >= part)
            part = j->outputs[i].part + 1;
    j->outputs[j->noutputs] = (job_output){type, part, 0};
    r->cur = &j->outputs[j->noutputs++];
    char path[4200];
    output_path(j, r->cur, path, sizeof path);
    /* participants' records: readable by the server's user only */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    r->out = fd >= 0 ? fdopen(fd, "w") : NULL;
    r->out_bytes = 0;
    if (!r->out) {
        if (fd >= 0)
            close(fd);
        return pl_err_set(&r->err, PL_IO, "cannot write %s: %s", path, strerror(errno));
    }
    return PL_OK;
}

static pl_status write_line(job_run *r, int type, const char *text)
{
    size_t len = strlen(text);
    if (!r->out || r->cur->type != type ||
        (r->out_bytes > 0 && r->out_bytes + (long)len + 1 > EXPORT_FILE_MAX)) {
        pl_status st = open_output(r, type);
        if (st != PL_OK)
            return st;
    }
    if (fwrite(text, 1, len, r->out) != len || fputc('\n', r->out) == EOF)
        return pl_err_set(&r->err, PL_IO, "writing the export file of %s failed: %s",
                          export_types[type].name, strerror(errno));
    r->out_bytes += (long)len + 1;
    r->cur->count++;
    return PL_OK;
}

/* One pass over a type's search results: counting (write false) or exporting. */
static pl_status pass(job_run *r, int type, bool write, long *done, long total)
{
    api_context *app = r->ex->app;
    const export_type *t = &export_types[type];
    store_fhir_query q;
    fhir_api_init_query(&q);
    q.scope = r->job->row.scope;
    q.count = EXPORT_PAGE;
    if (r->job->row.since != PL_TIME_NONE)
        q.updated.lo = r->job->row.since + 1; /* after the instant; times are whole seconds */
    int rounds = r->members ? r->nmembers : (r->job->row.level == LEVEL_GROUP ? 0 : 1);
    for (int m = 0; m < rounds; m++) {
        q.participant_id = r->members ? r->members[m] : 0;
        bool more = true;
        for (q.after = 0; more;) {
            if (stopped(r))
                return PL_OK;
            pl_arena_reset(&r->req.arena);
            pl_id *ids = NULL;
            int n = 0;
            pl_status st = t->search(app->store, &q, &r->req.arena, &ids, &n, &more, &r->err);
            if (st != PL_OK)
                return st;
            if (n > 0)
                q.after = ids[n - 1];
            if (!write) {
                *done += n;
                heartbeat(r);
                continue;
            }
            pl_id *pids = pl_arena_alloc(&r->req.arena, sizeof *pids * (size_t)(n ? n : 1));
            pl_id *got = pl_arena_alloc(&r->req.arena, sizeof *got * (size_t)(n ? n : 1));
            if (!pids || !got)
                return pl_err_set(&r->err, PL_LIMIT, "an export page needs too much memory");
            int k = 0;
            for (int i = 0; i < n && !stopped(r); i++) {
                json_object *o = NULL;
                pl_id pid = 0;
                st = t->read(&r->req, ids[i], &o, &pid, &r->err);
                if (st == PL_NOTFOUND) {
                    pl_err_clear(&r->err);
                    continue;
                }
                if (st != PL_OK)
                    return st;
                st = write_line(r, type,
                                json_object_to_json_string_ext(
                                    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(o);
                if (st != PL_OK)
                    return st;
                got[k] = ids[i];
                pids[k++] = pid;
            }
            api_audit_reads(&r->req, t->audit_entity, got, pids, k);
            *done += k;
            set_progress(r, t->name, *done, total);
        }
    }
    return PL_OK;
}

static pl_status run_job(job_run *r)
{
    export_job *j = r->job;
    if (mkdir(r->ex->dir, 0700) != 0 && errno != EEXIST)
        return pl_err_set(&r->err, PL_IO, "cannot make the export directory %s: %s", r->ex->dir,
                          strerror(errno));
    if (mkdir(j->dir, 0700) != 0 && errno != EEXIST)
        return pl_err_set(&r->err, PL_IO, "cannot make %s: %s", j->dir, strerror(errno));
    pl_status st = j->row.level == LEVEL_GROUP ? load_members(r) : PL_OK;
    for (int t = 0; t < NTYPES && st == PL_OK && !stopped(r); t++) {
        if (!(j->row.types & (1u << t)))
            continue;
        long total = 0, done = 0;
        st = pass(r, t, false, &total, 0);
        set_progress(r, export_types[t].name, 0, total);
        if (st == PL_OK)
            st = pass(r, t, true, &done, total);
    }
    pl_status cst = close_output(r);
    return st != PL_OK ? st : cst;
}

/* The runner of j learnt that its row is no longer running. A DELETE (the row cancelled, or
   already removed) takes the files and the row with it; a row queued again, or claimed by
   another runner, was taken for lost and is theirs. */
static void gone(api_fhir_exports *ex, export_job *j, pl_arena *a)
{
    store_export_job row;
    pl_err err;
    pl_err_clear(&err);
    pl_status st = store_export_get(ex->app->store, j->row.id, a, &row, &err);
    if ((st == PL_OK && row.state != STORE_EXPORT_CANCELLED) || (st != PL_OK && st != PL_NOTFOUND))
        return;
    job_delete_files(j);
    if (st == PL_OK) {
        pl_err_clear(&err);
        job_change(ex->app, j, (job_write){.what = W_DELETE}, &err);
    }
}

/* Runs the claimed job j and records its end: done or failed; cancelled (its row is deleted), or
 * queued again when this server stops first, its files removed in both cases. */
static void run(api_fhir_exports *ex, export_job *j)
{
    job_run r;
    memset(&r, 0, sizeof r);
    r.ex = ex;
    r.job = j;
    pl_arena_init(&r.req.arena, EXPORT_ARENA_MAX);
    pl_arena_init(&r.scratch, 1u << 16);
    r.req.app = ex->app;
    r.req.signed_in = true;
    r.req.account.id = j->row.account_id;
    r.req.account.role = (pl_role)j->row.role;
    snprintf(r.req.client_addr, sizeof r.req.client_addr, "%s",
             j->row.client_addr ? j->row.client_addr : "");
    r.beat = time(NULL);
    pl_err_clear(&r.err);
    pl_status st = run_job(&r);
    if (r.out)
        fclose(r.out);
    pl_err err;
    pl_err_clear(&err);
    job_write w = {.outputs = outputs_encode(&r.scratch, j)};
    if (!r.cancelled && !atomic_load(&ex->stop)) {
        w.what = W_FINISH;
        w.state = st == PL_OK ? STORE_EXPORT_DONE : STORE_EXPORT_FAILED;
        w.error = st == PL_OK ? NULL : r.err.message;
    } else if (!r.cancelled) {
        job_delete_files(j);
        w.what = W_REQUEUE;
    }
    if (!r.cancelled && job_change(ex->app, j, w, &err) == PL_STALE)
        r.cancelled = true; /* DELETEd meanwhile */
    if (r.cancelled)
        gone(ex, j, &r.scratch);
    free(r.members);
    pl_arena_free(&r.scratch);
    pl_arena_free(&r.req.arena);
}

typedef struct claim_ctx {
    const char *dir;
    pl_arena *a;
    store_export_job row;
} claim_ctx;

static pl_status claim_tx(store_tx *tx, void *ctx, pl_err *err)
{
    claim_ctx *c = ctx;
    return store_export_claim(tx, c->dir, (pl_time)time(NULL), c->a, &c->row, err);
}

/* Claims the oldest queued job of the database into j (strings in a); false when none. */
static bool claim(api_fhir_exports *ex, export_job *j, pl_arena *a)
{
    claim_ctx c = {.dir = ex->dir, .a = a};
    pl_err err;
    pl_err_clear(&err);
    bool any = false;
    if (store_export_any_queued(ex->app->store, &any, &err) != PL_OK || !any ||
        store_write(ex->app->store, claim_tx, &c, &err) != PL_OK)
        return false;
    job_from_row(j, &c.row);
    snprintf(j->progress, sizeof j->progress, "starting");
    return true;
}

static void *worker(void *arg)
{
    api_fhir_exports *ex = arg;
    export_job *j = malloc(sizeof *j);
    pl_arena a;
    pl_arena_init(&a, 1u << 16);
    pthread_mutex_lock(&ex->mu);
    while (j && !ex->stopping) {
        pthread_mutex_unlock(&ex->mu);
        pl_arena_reset(&a);
        bool got = claim(ex, j, &a);
        if (got)
            run(ex, j);
        pthread_mutex_lock(&ex->mu);
        if (!got && !ex->stopping) {
            /* woken by a kick-off here; jobs queued by other servers are looked for anyway */
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += EXPORT_POLL_SECONDS;
            pthread_cond_timedwait(&ex->cv, &ex->mu, &until);
        }
    }
    pthread_mutex_unlock(&ex->mu);
    pl_arena_free(&a);
    free(j);
    return NULL;
}

/* ---- the threads ------------------------------------------------------------------------ */

pl_status api_fhir_exports_start(api_context *app, const char *dir, pl_err *err)
{
    app->exports = NULL;
    if (!dir)
        return PL_OK;
    api_fhir_exports *ex = calloc(1, sizeof *ex);
    if (!ex || !(ex->dir = strdup(dir))) {
        free(ex);
        return pl_err_set(err, PL_NOMEM, "out of memory");
    }
    ex->app = app;
    atomic_init(&ex->stop, false);
    pthread_mutex_init(&ex->mu, NULL);
    pthread_cond_init(&ex->cv, NULL);
    for (int i = 0; i < EXPORT_WORKERS; i++) {
        if (pthread_create(&ex->workers[i], NULL, worker, ex) != 0)
            break;
        ex->nworkers++;
    }
    app->exports = ex;
    if (ex->nworkers < EXPORT_WORKERS) {
        api_fhir_exports_stop(app);
        return pl_err_set(err, PL_IO, "cannot start the export threads");
    }
    return PL_OK;
}

void api_fhir_exports_stop(api_context *app)
{
    api_fhir_exports *ex = app->exports;
    if (!ex)
        return;
    pthread_mutex_lock(&ex->mu);
    ex->stopping = true;
    atomic_store(&ex->stop, true);
    pthread_cond_broadcast(&ex->cv);
    pthread_mutex_unlock(&ex->mu);
    /* each runner queues its job again (another server, or this one restarted, runs it) */
    for (int i = 0; i < ex->nworkers; i++)
        pthread_join(ex->workers[i], NULL);
    pthread_cond_destroy(&ex->cv);
    pthread_mutex_destroy(&ex->mu);
    free(ex->dir);
    free(ex);
    app->exports = NULL;
}

/* ---- kick-off --------------------------------------------------------------------------- */

static const char *url_part(pl_arena *a, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = pl_arena_alloc(a, strlen(s) * 3 + 1);
    if (!out)
        return "";
    char *o = out;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
            strchr("-._~:,$", *c)) {
            *o++ = (char)*c;
        } else {
            *o++ = '%';
            *o++ = hex[*c >> 4];
            *o++ = hex[*c & 15];
        }
    }
    *o = '\0';
    return out;
}

typedef struct kickoff_ctx {
    store_export_job row;
} kickoff_ctx;

static pl_status kickoff_tx(store_tx *tx, void *ctx, pl_err *err)
{
    kickoff_ctx *k = ctx;
    return store_export_insert(tx, &k->row, EXPORT_ACTIVE_MAX, EXPORT_JOBS_MAX, err);
}

static void kick_off(http_request *req, http_response *res, job_level level)
{
    api_context *app = req->app;
    api_fhir_exports *ex = app->exports;
    fhir_qparams qp;
    store_scope sc;
    if (!fhir_api_negotiate(req, res) || !fhir_api_gather(req, res, &qp) ||
        !api_scope(req, res, &sc))
        return;
    pl_err err;
    pl_err_clear(&err);
    const char *prefer = http_header_get(req, "Prefer");
    if (!prefer || !strstr(prefer, "respond-async")) {
        pl_err_set(&err, PL_INVALID,
                   "a Bulk Data export needs the header Prefer: respond-async (it runs in the "
                   "background; poll the Content-Location it answers)");
        fhir_api_outcome(res, 400, err.message);
        return;
    }
    pl_id group_id = 0;
    if (level == LEVEL_GROUP) {
        if (!fhir_api_path_id(req, res, 0, "Group", &group_id))
            return;
        pl_status st = store_group_visible(app->store, &sc, group_id, &err);
        if (st == PL_NOTFOUND)
            fhir_api_outcome(
                res, 404,
                pl_arena_printf(&req->arena, "Group/%lld is not known", (long long)group_id));
        else if (st != PL_OK)
            api_fhir_fail(res, &err);
        if (st != PL_OK)
            return;
    }
    const char *names[NTYPES];
    for (int i = 0; i < NTYPES; i++)
        names[i] = export_types[i].name;
    uint32_t types = 0;
    pl_time since = PL_TIME_NONE;
    for (int i = 0; i < qp.n; i++) {
        const char *name = qp.name[i], *value = qp.value[i];
        uint32_t mask;
        pl_status st = PL_OK;
        if (strcmp(name, "_type") == 0) {
            st = fhir_export_types_parse(value, names, NTYPES, &mask, &err);
            types |= mask;
        } else if (strcmp(name, "_since") == 0) {
            st = fhir_export_since_parse(value, &since, &err);
        } else if (strcmp(name, "_outputFormat") == 0) {
            st = fhir_export_format_check(value, &err);
        } else if (strcmp(name, "_format") != 0) {
            st = pl_err_set(&err, PL_INVALID,
                            "%s is not an export parameter peerlink supports (_type, _since, "
                            "_outputFormat)",
                            name);
        }
        if (st != PL_OK) {
            fhir_api_outcome(res, 400, err.message);
            return;
        }
    }
    if (!types)
        types = (1u << NTYPES) - 1;
    /* a name asked for takes every row of that name (the parser marks the first) */
    for (int i = 0; i < NTYPES; i++)
        for (int k = 0; k < i; k++)
            if ((types & (1u << k)) && strcmp(export_types[i].name, export_types[k].name) == 0)
                types |= 1u << i;
    if (!ex) {
        fhir_api_outcome(res, 503, "this server was started without an export directory");
        return;
    }
    const char *url = pl_arena_printf(&req->arena, "%s%s", fhir_api_base(req), req->path + 5);
    for (int i = 0; i < qp.n; i++)
        url =
            pl_arena_printf(&req->arena, "%s%c%s=%s", url, i ? '&' : '?',
                            url_part(&req->arena, qp.name[i]), url_part(&req->arena, qp.value[i]));
    unsigned char raw[EXPORT_ID_HEX / 2];
    char id[EXPORT_ID_HEX + 1];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(id, sizeof id, raw, sizeof raw);
    kickoff_ctx k = {.row = {.id = id,
                             .account_id = req->account.id,
                             .role = (int)req->account.role,
                             .scope = sc,
                             .level = (int)level,
                             .group_id = group_id,
                             .types = types,
                             .since = since,
                             .kicked_off = (pl_time)time(NULL),
                             .request = url,
                             .client_addr = req->client_addr}};
    clean_up(app);
    pl_status st = store_write(app->store, kickoff_tx, &k, &err);
    if (st == PL_LIMIT) {
        fhir_api_outcome(res, 429, err.message);
        http_header(res, "Retry-After", "30");
        return;
    }
    if (st != PL_OK) {
        api_fhir_fail(res, &err);
        return;
    }
    pthread_mutex_lock(&ex->mu);
    pthread_cond_signal(&ex->cv);
    pthread_mutex_unlock(&ex->mu);
    res->status = 202;
    res->content_type = NULL;
    http_header(res, "Content-Location",
                pl_arena_printf(&req->arena, "%s/$export-status/%s", fhir_api_base(req), id));
}

void api_fhir_export_system(http_request *req, http_response *res)
{
    kick_off(req, res, LEVEL_SYSTEM);
}

void api_fhir_export_patient(http_request *req, http_response *res)
{
    kick_off(req, res, LEVEL_PATIENT);
}

void api_fhir_export_group(http_request *req, http_response *res)
{
    kick_off(req, res, LEVEL_GROUP);
}

/* ---- status, files, cancel ------------------------------------------------------------------ */

/* The job of path parameter 0 into j when the caller started it or is an admin; else false
 * with 404 written (other accounts' jobs are not shown to exist, nor are cancelled ones). */
static bool find_job(http_request *req, http_response *res, export_job *j)
{
    api_context *app = req->app;
    const char *id = req->nparams > 0 ? req->params[0] : "";
    store_export_job row;
    pl_err err;
    pl_err_clear(&err);
    pl_status st =
        app->exports ? store_export_get(app->store, id, &req->arena, &row, &err) : PL_NOTFOUND;
    if (st == PL_OK && row.state != STORE_EXPORT_CANCELLED &&
        (row.account_id == req->account.id || req->account.role == PL_ROLE_ADMIN)) {
        job_from_row(j, &row);
        return true;
    }
    if (st != PL_OK && st != PL_NOTFOUND)
        api_fhir_fail(res, &err);
    else
        fhir_api_outcome(
            res, 404, pl_arena_printf(&req->arena, "no export %.40s of yours is known here", id));
    return false;
}

/* The job of the request, in the request's arena (NULL: 404 or 500 written). */
static export_job *request_job(http_request *req, http_response *res)
{
    export_job *j = pl_arena_alloc(&req->arena, sizeof *j);
    if (!j) {
        fhir_api_outcome(res, 500, "the request needs more memory than a request may use");
        return NULL;
    }
    return find_job(req, res, j) ? j : NULL;
}

static json_object *manifest(http_request *req, const export_job *j)
{
    json_object *m = json_object_new_object();
    char at[PL_TIME_STRLEN];
    /* a second before the kick-off: times are whole seconds, and a record changed in the
       kick-off's second after the job read it must fall after the next export's _since */
    pl_time_format(j->row.kicked_off - 1, at);
    json_object_object_add(m, "transactionTime", json_object_new_string(at));
    json_object_object_add(m, "request", json_object_new_string(j->row.request));
    json_object_object_add(m, "requiresAccessToken", json_object_new_boolean(1));
    json_object *out = json_object_new_array();
    for (int i = 0; i < j->noutputs; i++) {
        const job_output *o = &j->outputs[i];
        if (o->count == 0)
            continue;
        json_object *f = json_object_new_object();
        json_object_object_add(f, "type", json_object_new_string(export_types[o->type].name));
        json_object_object_add(
            f, "url",
            json_object_new_string(pl_arena_printf(&req->arena, "%s/$export-file/%s/%s-%d.ndjson",
                                                   fhir_api_base(req), j->row.id,
                                                   export_types[o->type].name, o->part)));
        json_object_object_add(f, "count", json_object_new_int64(o->count));
        json_object_array_add(out, f);
    }
    json_object_object_add(m, "output", out);
    json_object_object_add(m, "error", json_object_new_array());
    return m;
}

void api_fhir_export_status(http_request *req, http_response *res)
{
    export_job *j = request_job(req, res);
    if (!j)
        return;
    if (j->row.state == STORE_EXPORT_QUEUED || j->row.state == STORE_EXPORT_RUNNING) {
        res->status = 202;
        res->content_type = NULL;
        http_header(res, "X-Progress", j->row.progress ? j->row.progress : "queued");
        http_header(res, "Retry-After", EXPORT_RETRY_AFTER);
    } else if (j->row.state == STORE_EXPORT_FAILED) {
        fhir_api_outcome(res, 500,
                         pl_arena_printf(&req->arena, "the export failed: %s",
                                         j->row.error ? j->row.error : "no reason recorded"));
    } else {
        api_send(res, 200, manifest(req, j));
    }
}

void api_fhir_export_cancel(http_request *req, http_response *res)
{
    api_context *app = req->app;
    export_job *j = request_job(req, res);
    if (!j)
        return;
    pl_err err;
    pl_err_clear(&err);
    /* a running job's runner sees the cancel at its next progress write, removes its files
       and the row; any other is removed here */
    job_write w = {.what = j->row.state == STORE_EXPORT_RUNNING ? W_CANCEL : W_DELETE};
    pl_status st = job_change(app, j, w, &err);
    if (st == PL_NOTFOUND && w.what == W_CANCEL) {
        /* it finished meanwhile: removed as a finished one, with the files it now has */
        pl_err_clear(&err);
        store_export_job row;
        st = store_export_get(app->store, j->row.id, &req->arena, &row, &err);
        if (st == PL_OK) {
            job_from_row(j, &row);
            w.what = W_DELETE;
            st = job_change(app, j, w, &err);
        }
    }
    if (st != PL_OK) {
        api_fhir_fail(res, &err);
        return;
    }
    if (w.what == W_DELETE)
        job_delete_files(j);
    res->status = 202;
    res->content_type = NULL;
}

void api_fhir_export_file(http_request *req, http_response *res)
{
    const char *name = req->nparams > 1 ? req->params[1] : "";
    export_job *j = request_job(req, res);
    if (!j)
        return;
    const job_output *o = NULL;
    for (int i = 0; j->row.state == STORE_EXPORT_DONE && i < j->noutputs && !o; i++) {
        char want[96];
        snprintf(want, sizeof want, "%s-%d.ndjson", export_types[j->outputs[i].type].name,
                 j->outputs[i].part);
        if (strcmp(want, name) == 0)
            o = &j->outputs[i];
    }
    char path[4200];
    if (o)
        output_path(j, o, path, sizeof path);
    if (!o) {
        fhir_api_outcome(
            res, 404, pl_arena_printf(&req->arena, "export %s has no file %.80s", j->row.id, name));
    } else if (access(path, R_OK) != 0) {
        /* another server ran it into a directory this one does not share */
        fhir_api_outcome(res, 404,
                         pl_arena_printf(&req->arena,
                                         "the file %.80s of export %s is not in this server's "
                                         "export directory: the server that ran it keeps it",
                                         name, j->row.id));
    } else {
        http_file(res, 200, pl_arena_strdup(&req->arena, path), "application/fhir+ndjson");
        /* the moment the data leaves: audited under whoever downloads it (the records were
           audited one by one under the account that started the export) */
        api_audit(req, "read", "export_file", 0, 0, 200);
    }
}
