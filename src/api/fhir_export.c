/*
 * fhir_export.c - FHIR Bulk Data 2.0 $export at system (/fhir/$export),
 * Patient (/fhir/Patient/$export) and Group (/fhir/Group/{id}/$export)
 * level: kick-off, status polling, the NDJSON files, cancel (docs/FHIR.md,
 * "Bulk export").
 *
 * Jobs. A kick-off checks its parameters (src/fhir/fhir_export.c parses
 * _type, _since, _outputFormat), records the caller's scope and account in
 * a job and answers 202 with the status URL. Jobs live in memory (the
 * table `api_fhir_exports`, at most EXPORT_JOBS_MAX kept and
 * EXPORT_ACTIVE_MAX queued or running; past either a kick-off answers 429
 * with Retry-After); a restart forgets them (their files stay in the
 * export directory). Finished jobs are forgotten, and their files deleted,
 * EXPORT_KEEP_SECONDS after they finish or on DELETE. EXPORT_WORKERS
 * threads, started with the server, take queued jobs in order; each reads
 * through the store's reader API (a connection of its own thread), so an
 * export never holds a request's worker thread nor the writer.
 *
 * Running a job. For each resource type asked for, in the order of the
 * table below: a first pass pages through the type's search counting ids
 * (the progress total), a second pages again, reads each resource, writes
 * it as one line of <export dir>/<job id>/<Type>-<n>.ndjson (a new file
 * past EXPORT_FILE_MAX bytes) and queues one audit read event per record
 * exported, exactly as a search does (api_audit_reads). A Group-level job
 * runs the same searches once per current member of the group
 * (q.participant_id). The status URL shows "Type done/total" while running;
 * the cancel flag is looked at between records.
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
#include "store/store_fhir_qr.h"

#define EXPORT_WORKERS      2
#define EXPORT_ACTIVE_MAX   4  /* queued or running jobs */
#define EXPORT_JOBS_MAX     32 /* kept jobs, finished ones included */
#define EXPORT_KEEP_SECONDS 86400
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

typedef enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_FAILED } job_state;
typedef enum job_level { LEVEL_SYSTEM, LEVEL_PATIENT, LEVEL_GROUP } job_level;

typedef struct job_output {
    int type; /* index in export_types */
    int part; /* the n of <Type>-<n>.ndjson */
    long count;
} job_output;

typedef struct export_job {
    char *request; /* the kick-off URL (malloc) */
    pl_id account_id;
    pl_id group_id;
    store_scope scope;
    pl_time since; /* PL_TIME_NONE: everything */
    pl_time kicked_off;
    uint32_t types;
    pl_role role;
    job_level level;
    /* from here on: under the table's mutex */
    job_state state;
    int noutputs;
    time_t finished_at;
    job_output outputs[EXPORT_FILES_MAX];
    char id[EXPORT_ID_HEX + 1];
    char client_addr[64];
    char dir[4096];
    char progress[160];
    char error[256];
    bool removed; /* DELETEd while running: the worker deletes its files and frees it */
    atomic_bool cancel;
} export_job;

struct api_fhir_exports {
    api_context *app;
    char *dir;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    export_job *jobs[EXPORT_JOBS_MAX];
    int njobs;
    bool stopping;
    pthread_t workers[EXPORT_WORKERS];
    int nworkers;
};

/* ---- files ------------------------------------------------------------------------ */

static void output_path(const export_job *j, const job_output *o, char *out, size_t n)
{
    snprintf(out, n, "%s/%s-%d.ndjson", j->dir, export_types[o->type].name, o->part);
}

static void job_delete_files(export_job *j)
{
    char path[4200];
    for (int i = 0; i < j->noutputs; i++) {
        output_path(j, &j->outputs[i], path, sizeof path);
        unlink(path);
    }
    rmdir(j->dir);
}

static void job_free(export_job *j)
{
    if (!j)
        return;
    free(j->request);
    free(j);
}

/* Takes j off the table (under mu). */
static void table_remove(api_fhir_exports *ex, export_job *j)
{
    for (int i = 0; i < ex->njobs; i++)
        if (ex->jobs[i] == j) {
            ex->jobs[i] = ex->jobs[--ex->njobs];
            ex->jobs[ex->njobs] = NULL;
            return;
        }
}

/* ---- running a job ------------------------------------------------------------------ */

typedef struct job_run {
    api_fhir_exports *ex;
    export_job *job;
    http_request req; /* a request of the job's account: arena, app, audit identity */
    pl_id *members;   /* Group level: the current members (malloc); else NULL */
    int nmembers;
    FILE *out;
    long out_bytes;
    job_output *cur;
    pl_err err;
} job_run;

static void set_progress(job_run *r, const char *type, long done, long total)
{
    pthread_mutex_lock(&r->ex->mu);
    snprintf(r->job->progress, sizeof r->job->progress, "%s %ld/%ld", type, done, total);
    pthread_mutex_unlock(&r->ex->mu);
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
        .scope = r->job->scope, .group_id = r->job->group_id, .current = 1};
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
    pthread_mutex_lock(&r->ex->mu);
    bool full = j->noutputs == EXPORT_FILES_MAX;
    int part = 1;
    if (!full) {
        /* the parts of a type name run on across its rows (Observation: measurements, then
           scores) */
        for (int i = 0; i < j->noutputs; i++)
            if (strcmp(export_types[j->outputs[i].type].name, export_types[type].name) == 0 &&
                j->outputs[i].part >= part)
                part = j->outputs[i].part + 1;
        j->outputs[j->noutputs] = (job_output){type, part, 0};
        r->cur = &j->outputs[j->noutputs++];
    }
    pthread_mutex_unlock(&r->ex->mu);
    if (full)
        return pl_err_set(&r->err, PL_LIMIT, "an export holds at most %d files", EXPORT_FILES_MAX);
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
    pthread_mutex_lock(&r->ex->mu);
    r->cur->count++;
    pthread_mutex_unlock(&r->ex->mu);
    return PL_OK;
}

/* One pass over a type's search results: counting (write false) or exporting. */
static pl_status pass(job_run *r, int type, bool write, long *done, long total)
{
    api_context *app = r->ex->app;
    const export_type *t = &export_types[type];
    store_fhir_query q;
    fhir_api_init_query(&q);
    q.scope = r->job->scope;
    q.count = EXPORT_PAGE;
    if (r->job->since != PL_TIME_NONE)
        q.updated.lo = r->job->since + 1; /* after the instant; times are whole seconds */
    int rounds = r->members ? r->nmembers : (r->job->level == LEVEL_GROUP ? 0 : 1);
    for (int m = 0; m < rounds; m++) {
        q.participant_id = r->members ? r->members[m] : 0;
        bool more = true;
        for (q.after = 0; more;) {
            if (atomic_load(&r->job->cancel))
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
                continue;
            }
            pl_id *pids = pl_arena_alloc(&r->req.arena, sizeof *pids * (size_t)(n ? n : 1));
            pl_id *got = pl_arena_alloc(&r->req.arena, sizeof *got * (size_t)(n ? n : 1));
            if (!pids || !got)
                return pl_err_set(&r->err, PL_LIMIT, "an export page needs too much memory");
            int k = 0;
            for (int i = 0; i < n && !atomic_load(&r->job->cancel); i++) {
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
    pl_status st = j->level == LEVEL_GROUP ? load_members(r) : PL_OK;
    for (int t = 0; t < NTYPES && st == PL_OK && !atomic_load(&j->cancel); t++) {
        if (!(j->types & (1u << t)))
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

/* Runs j; the outcome is the worker's to record (with the removal check, under one lock). */
static pl_status run(api_fhir_exports *ex, export_job *j, pl_err *err)
{
    job_run r;
    memset(&r, 0, sizeof r);
    r.ex = ex;
    r.job = j;
    pl_arena_init(&r.req.arena, EXPORT_ARENA_MAX);
    r.req.app = ex->app;
    r.req.signed_in = true;
    r.req.account.id = j->account_id;
    r.req.account.role = j->role;
    snprintf(r.req.client_addr, sizeof r.req.client_addr, "%s", j->client_addr);
    pl_err_clear(&r.err);
    pl_status st = run_job(&r);
    if (r.out)
        fclose(r.out);
    free(r.members);
    pl_arena_free(&r.req.arena);
    *err = r.err;
    return st;
}

/* The oldest queued job (under mu), NULL when none. */
static export_job *next_queued(api_fhir_exports *ex)
{
    export_job *best = NULL;
    for (int i = 0; i < ex->njobs; i++) {
        export_job *j = ex->jobs[i];
        if (j->state == JOB_QUEUED && (!best || j->kicked_off < best->kicked_off))
            best = j;
    }
    return best;
}

static void *worker(void *arg)
{
    api_fhir_exports *ex = arg;
    pthread_mutex_lock(&ex->mu);
    for (;;) {
        export_job *j = NULL;
        while (!ex->stopping && !(j = next_queued(ex)))
            pthread_cond_wait(&ex->cv, &ex->mu);
        if (ex->stopping)
            break;
        j->state = JOB_RUNNING;
        snprintf(j->progress, sizeof j->progress, "starting");
        pthread_mutex_unlock(&ex->mu);
        pl_err err;
        pl_status st = run(ex, j, &err);
        pthread_mutex_lock(&ex->mu);
        if (j->removed) {
            job_delete_files(j);
            job_free(j);
            continue;
        }
        if (st == PL_OK && atomic_load(&j->cancel))
            st = pl_err_set(&err, PL_IO, "the server stopped before the export finished");
        j->state = st == PL_OK ? JOB_DONE : JOB_FAILED;
        if (st != PL_OK)
            snprintf(j->error, sizeof j->error, "%s", err.message);
        j->finished_at = time(NULL);
    }
    pthread_mutex_unlock(&ex->mu);
    return NULL;
}

/* ---- the table ------------------------------------------------------------------------ */

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
    for (int i = 0; i < ex->njobs; i++)
        atomic_store(&ex->jobs[i]->cancel, true);
    pthread_cond_broadcast(&ex->cv);
    pthread_mutex_unlock(&ex->mu);
    for (int i = 0; i < ex->nworkers; i++)
        pthread_join(ex->workers[i], NULL);
    /* the files of finished jobs stay (docs/FHIR.md); those cut short by the stop go */
    for (int i = 0; i < ex->njobs; i++) {
        if (ex->jobs[i]->state != JOB_DONE)
            job_delete_files(ex->jobs[i]);
        job_free(ex->jobs[i]);
    }
    pthread_cond_destroy(&ex->cv);
    pthread_mutex_destroy(&ex->mu);
    free(ex->dir);
    free(ex);
    app->exports = NULL;
}

/* Forgets finished jobs past their keeping time, deleting their files (under mu). */
static void expire(api_fhir_exports *ex, time_t now)
{
    for (int i = ex->njobs - 1; i >= 0; i--) {
        export_job *j = ex->jobs[i];
        if ((j->state == JOB_DONE || j->state == JOB_FAILED) &&
            now - j->finished_at > EXPORT_KEEP_SECONDS) {
            job_delete_files(j);
            table_remove(ex, j);
            job_free(j);
        }
    }
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
    export_job *j = calloc(1, sizeof *j);
    const char *url = pl_arena_printf(&req->arena, "%s%s", fhir_api_base(req), req->path + 5);
    for (int i = 0; i < qp.n; i++)
        url =
            pl_arena_printf(&req->arena, "%s%c%s=%s", url, i ? '&' : '?',
                            url_part(&req->arena, qp.name[i]), url_part(&req->arena, qp.value[i]));
    if (!j || !(j->request = strdup(url))) {
        free(j);
        fhir_api_outcome(res, 500, "out of memory");
        return;
    }
    unsigned char raw[EXPORT_ID_HEX / 2];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(j->id, sizeof j->id, raw, sizeof raw);
    j->account_id = req->account.id;
    j->role = req->account.role;
    snprintf(j->client_addr, sizeof j->client_addr, "%s", req->client_addr);
    j->scope = sc;
    j->level = level;
    j->group_id = group_id;
    j->types = types;
    j->since = since;
    j->kicked_off = (pl_time)time(NULL);
    j->state = JOB_QUEUED;
    snprintf(j->progress, sizeof j->progress, "queued");
    snprintf(j->dir, sizeof j->dir, "%s/%s", ex->dir, j->id);
    atomic_init(&j->cancel, false);

    pthread_mutex_lock(&ex->mu);
    expire(ex, time(NULL));
    int active = 0;
    for (int i = 0; i < ex->njobs; i++)
        active += ex->jobs[i]->state == JOB_QUEUED || ex->jobs[i]->state == JOB_RUNNING;
    bool full = active >= EXPORT_ACTIVE_MAX || ex->njobs >= EXPORT_JOBS_MAX;
    if (!full) {
        ex->jobs[ex->njobs++] = j;
        pthread_cond_signal(&ex->cv);
    }
    pthread_mutex_unlock(&ex->mu);
    if (full) {
        job_free(j);
        fhir_api_outcome(res, 429,
                         active >= EXPORT_ACTIVE_MAX
                             ? "too many exports are running; try again shortly"
                             : "too many finished exports are kept; DELETE the ones you have "
                               "downloaded");
        http_header(res, "Retry-After", "30");
        return;
    }
    res->status = 202;
    res->content_type = NULL;
    http_header(res, "Content-Location",
                pl_arena_printf(&req->arena, "%s/$export-status/%s", fhir_api_base(req), j->id));
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

/* The job of path parameter 0 when the caller started it or is an admin (under mu); else NULL
 * with 404 written (other accounts' jobs are not shown to exist). */
static export_job *find_job(http_request *req, http_response *res, api_fhir_exports *ex)
{
    const char *id = req->nparams > 0 ? req->params[0] : "";
    for (int i = 0; ex && i < ex->njobs; i++) {
        export_job *j = ex->jobs[i];
        if (strcmp(j->id, id) == 0 && !j->removed &&
            (j->account_id == req->account.id || req->account.role == PL_ROLE_ADMIN))
            return j;
    }
    fhir_api_outcome(res, 404,
                     pl_arena_printf(&req->arena, "no export %.40s of yours is known here", id));
    return NULL;
}

static json_object *manifest(http_request *req, const export_job *j)
{
    json_object *m = json_object_new_object();
    char at[PL_TIME_STRLEN];
    /* a second before the kick-off: times are whole seconds, and a record changed in the
       kick-off's second after the job read it must fall after the next export's _since */
    pl_time_format(j->kicked_off - 1, at);
    json_object_object_add(m, "transactionTime", json_object_new_string(at));
    json_object_object_add(m, "request", json_object_new_string(j->request));
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
                                                   fhir_api_base(req), j->id,
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
    api_context *app = req->app;
    api_fhir_exports *ex = app->exports;
    if (ex)
        pthread_mutex_lock(&ex->mu);
    export_job *j = find_job(req, res, ex);
    if (j && (j->state == JOB_QUEUED || j->state == JOB_RUNNING)) {
        res->status = 202;
        res->content_type = NULL;
        http_header(res, "X-Progress", pl_arena_strdup(&req->arena, j->progress));
        http_header(res, "Retry-After", EXPORT_RETRY_AFTER);
    } else if (j && j->state == JOB_FAILED) {
        fhir_api_outcome(res, 500, pl_arena_printf(&req->arena, "the export failed: %s", j->error));
    } else if (j) {
        api_send(res, 200, manifest(req, j));
    }
    if (ex)
        pthread_mutex_unlock(&ex->mu);
}

void api_fhir_export_cancel(http_request *req, http_response *res)
{
    api_context *app = req->app;
    api_fhir_exports *ex = app->exports;
    if (ex)
        pthread_mutex_lock(&ex->mu);
    export_job *j = find_job(req, res, ex);
    if (j && ex) {
        table_remove(ex, j);
        if (j->state == JOB_RUNNING) {
            /* the worker deletes the files and frees the job when it sees the flag */
            j->removed = true;
            atomic_store(&j->cancel, true);
        } else {
            job_delete_files(j);
            job_free(j);
        }
        res->status = 202;
        res->content_type = NULL;
    }
    if (ex)
        pthread_mutex_unlock(&ex->mu);
}

void api_fhir_export_file(http_request *req, http_response *res)
{
    api_context *app = req->app;
    api_fhir_exports *ex = app->exports;
    const char *name = req->nparams > 1 ? req->params[1] : "";
    if (ex)
        pthread_mutex_lock(&ex->mu);
    export_job *j = find_job(req, res, ex);
    const job_output *o = NULL;
    for (int i = 0; j && j->state == JOB_DONE && i < j->noutputs && !o; i++) {
        char want[96];
        snprintf(want, sizeof want, "%s-%d.ndjson", export_types[j->outputs[i].type].name,
                 j->outputs[i].part);
        if (strcmp(want, name) == 0)
            o = &j->outputs[i];
    }
    if (o) {
        char path[4200];
        output_path(j, o, path, sizeof path);
        http_file(res, 200, pl_arena_strdup(&req->arena, path), "application/fhir+ndjson");
        /* the moment the data leaves: audited under whoever downloads it (the records were
           audited one by one under the account that started the export) */
        api_audit(req, "read", "export_file", 0, 0, 200);
    } else if (j) {
        fhir_api_outcome(res, 404,
                         pl_arena_printf(&req->arena, "export %s has no file %.80s", j->id, name));
    }
    if (ex)
        pthread_mutex_unlock(&ex->mu);
}
