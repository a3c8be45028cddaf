/*
 * fhir_import.c - NDJSON import of FHIR resources (fhir_import.h).
 *
 * Each line is parsed and mapped as it is read (fhir.c), into a batch
 * whose strings live in an arena that is reset once the batch is written:
 * memory stays that of one batch whatever the file's length. The write of
 * a batch checks each item before inserting anything of it (participant
 * rules, the subject of an Observation), so an item refused inside the
 * transaction leaves nothing behind and the others still commit.
 *
 * Source ids (FHIR_SYS_SOURCE "Type/id") are recorded for what is created,
 * which is what makes a second import of the same lines create nothing; an
 * Observation's is written in its measurement row (store_fhir.h), so each
 * value is one row, and the insert itself is the dedupe (a source id already
 * there inserts nothing: one statement per value, no look-up before). Per batch, each subject
 * reference is resolved once (a small hash table in the batch's arena), and
 * the audit trail gets one `import` event per participant (entity
 * `measurement`, entity id the participant's first measurement of the
 * batch, which all carry the event's time as created_at) instead of one per
 * value; a created participant keeps its own `create` event. The risk tier
 * is refreshed once per participant per batch.
 *
 * With the background option, a full batch is written on a thread of its
 * own while the caller's thread reads the next: two batches at most, so
 * memory stays constant. Only that thread touches the store; the caller
 * collects its result (counts, refusals for on_error) before handing over
 * the next batch, so on_error and the report are only touched by the
 * caller's thread.
 */
#include "fhir/fhir_import.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/measure.h"
#include "core/time.h"

#define BATCH_ITEMS_MAX 1000000

typedef enum item_kind { ITEM_PATIENT, ITEM_OBSERVATION } item_kind;

typedef struct item {
    item_kind kind;
    const char *file;
    long line;
    fhir_patient *fp;
    fhir_observation *fo;
    const char *error; /* set when refused inside the write */
} item;

/* What a batch's write adds to the report. */
typedef struct written {
    long patients_created, patients_matched;
    long observations_created, observations_matched;
    long values;
} written;

typedef struct batch {
    pl_arena arena; /* strings and records of the items, the write's tables */
    item *items;
    int n, cap;
    written w;
    pl_status result; /* of a background write */
    pl_err err;
} batch;

/* A participant's share of a batch: one audit event and one tier refresh. */
typedef struct tally {
    pl_id pid;
    pl_id first; /* its first measurement of the batch */
} tally;

/* Subject references resolved in this batch (pid 0: none). */
typedef struct subject {
    const char *ref;
    pl_id pid;
} subject;

typedef struct tables {
    subject *subjects;
    tally *tallies;
    int *order; /* tallies' slots in first-seen order */
    int norder;
    size_t mask;
} tables;

struct fhir_import {
    store *s;
    fhir_import_options opt;
    pl_id program_id;
    pl_arena names; /* resource type names of the report */
    batch b[2];
    batch *cur;     /* read into */
    batch *writing; /* on the writer thread; NULL when none */
    pthread_t writer;
    fhir_import_report report;
};

static void batch_init(batch *b)
{
    pl_arena_init(&b->arena, 256u * 1024u * 1024u);
}

static void batch_free(batch *b)
{
    pl_arena_free(&b->arena);
    free(b->items);
}

pl_status fhir_import_new(store *s, const fhir_import_options *opt, fhir_import **out, pl_err *err)
{
    *out = NULL;
    pl_arena a;
    pl_arena_init(&a, 1u << 16);
    pl_org_unit u;
    pl_status st = store_org_unit_get(s, opt->home_unit_id, &a, &u, err);
    pl_arena_free(&a);
    if (st == PL_NOTFOUND ||
        (st == PL_OK && (u.kind == PL_ORG_NETWORK || u.kind == PL_ORG_PROGRAM))) {
        pl_err_clear(err);
        pl_err_field(err, "home_unit_id", "must be an org unit below a program");
        return PL_INVALID;
    }
    if (st != PL_OK)
        return st;
    fhir_import *im = calloc(1, sizeof *im);
    if (!im)
        return pl_err_set(err, PL_NOMEM, "out of memory starting the import");
    im->s = s;
    im->opt = *opt;
    im->program_id = u.program_id;
    batch_init(&im->b[0]);
    batch_init(&im->b[1]);
    im->cur = &im->b[0];
    pl_arena_init(&im->names, 1u << 16);
    *out = im;
    return PL_OK;
}

static void collect(fhir_import *im);
static void hand_over(fhir_import *im);

void fhir_import_free(fhir_import *im)
{
    if (!im)
        return;
    collect(im);
    batch_free(&im->b[0]);
    batch_free(&im->b[1]);
    pl_arena_free(&im->names);
    free(im);
}

const fhir_import_report *fhir_import_result(const fhir_import *im)
{
    return &im->report;
}

static void not_kept(fhir_import *im, const char *type)
{
    fhir_import_report *r = &im->report;
    for (int i = 0; i < r->nnot_kept; i++)
        if (strcmp(r->not_kept[i].name, type) == 0) {
            r->not_kept[i].count++;
            return;
        }
    const char *name =
        r->nnot_kept < FHIR_IMPORT_KINDS_MAX - 1 ? pl_arena_strdup(&im->names, type) : NULL;
    if (!name) {
        /* the last slot gathers every further type */
        int last = FHIR_IMPORT_KINDS_MAX - 1;
        if (r->nnot_kept <= last) {
            r->not_kept[last].name = "other";
            r->nnot_kept = last + 1;
        }
        r->not_kept[last].count++;
        return;
    }
    r->not_kept[r->nnot_kept++] = (fhir_import_count){name, 1};
}

static void refuse(fhir_import *im, const char *file, long line, const char *message)
{
    im->report.refused++;
    if (im->opt.on_error)
        im->opt.on_error(im->opt.ctx, file, line, message);
}

static const char *describe(pl_arena *a, const pl_err *e)
{
    if (e->nfields)
        return pl_arena_printf(a, "%s %s", e->fields[0].field, e->fields[0].message);
    return e->message;
}

static item *push(batch *b, pl_err *err)
{
    if (b->n == b->cap) {
        int cap = b->cap ? b->cap * 2 : 256;
        if (cap > BATCH_ITEMS_MAX) {
            pl_err_set(err, PL_LIMIT, "an import batch holds at most %d resources",
                       BATCH_ITEMS_MAX);
            return NULL;
        }
        item *n = realloc(b->items, sizeof *n * (size_t)cap);
        if (!n) {
            pl_err_set(err, PL_NOMEM, "out of memory reading the import");
            return NULL;
        }
        b->items = n;
        b->cap = cap;
    }
    item *it = &b->items[b->n++];
    memset(it, 0, sizeof *it);
    return it;
}

pl_status fhir_import_line(fhir_import *im, const char *line, size_t len, const char *file,
                           long lineno, pl_err *err)
{
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
        i++;
    if (i == len)
        return PL_OK;
    im->report.lines++;
    pl_err e;
    pl_err_clear(&e);
    json_object *o = NULL;
    if (fhir_parse(line, len, &o, &e) != PL_OK) {
        refuse(im, file, lineno, e.message);
        return PL_OK;
    }
    const char *type = fhir_resource_type(o);
    batch *b = im->cur;
    pl_arena *a = &b->arena;
    bool patient = strcmp(type, "Patient") == 0, obs = strcmp(type, "Observation") == 0;
    if (!patient && !obs) {
        not_kept(im, type);
        json_object_put(o);
        return PL_OK;
    }
    item *it = push(b, err);
    if (!it) {
        json_object_put(o);
        return err->status;
    }
    it->file = file;
    it->line = lineno;
    pl_status st;
    if (patient) {
        it->kind = ITEM_PATIENT;
        it->fp = pl_arena_alloc(a, sizeof *it->fp);
        st = it->fp ? fhir_patient_from_json(o, a, it->fp, &e) : PL_LIMIT;
        if (st == PL_OK) {
            pl_participant *p = &it->fp->p;
            pl_date today = pl_time_date((pl_time)time(NULL));
            p->program_id = im->program_id;
            p->home_unit_id = im->opt.home_unit_id;
            p->enrol_date = today;
            p->status = PL_ENROL_ENROLLED;
            p->status_date = PL_DATE_NONE;
            p->consent = true; /* the importer vouches for consent, as the API's enrolment */
            p->consent_date = today;
            if (participant_validate(p, today, &e) != PL_OK)
                st = PL_INVALID;
        }
    } else {
        it->kind = ITEM_OBSERVATION;
        it->fo = pl_arena_alloc(a, sizeof *it->fo);
        st = it->fo ? fhir_observation_from_json(o, a, it->fo, &e) : PL_LIMIT;
        if (st == PL_OK && it->fo->not_kept) {
            not_kept(im, "Observation");
            b->n--;
            json_object_put(o);
            return PL_OK;
        }
        pl_time now = (pl_time)time(NULL);
        for (int k = 0; st == PL_OK && k < it->fo->nm; k++) {
            pl_measurement *m = &it->fo->m[k];
            m->participant_id = 1; /* resolved when written */
            m->recorded_by = im->opt.account_id;
            if (measurement_prepare(m, now, &e) != PL_OK)
                st = PL_INVALID;
        }
    }
    json_object_put(o);
    if (st == PL_LIMIT) {
        b->n--;
        return pl_err_set(err, PL_LIMIT, "%s:%ld: the batch is larger than its memory limit", file,
                          lineno);
    }
    if (st != PL_OK) {
        b->n--;
        refuse(im, file, lineno, describe(a, &e));
        return PL_OK;
    }
    if (im->opt.batch_lines > 0 && b->n >= im->opt.batch_lines)
        hand_over(im);
    return PL_OK;
}

static pl_status audit(store_tx *tx, fhir_import *im, const char *action, const char *entity,
                       pl_id id, pl_id pid, pl_time at, pl_err *err)
{
    store_audit_event ev = {.at = at,
                            .account_id = im->opt.account_id,
                            .action = action,
                            .entity = entity,
                            .entity_id = id,
                            .participant_id = pid,
                            .client_addr = im->opt.client_addr,
                            .status = 201};
    return store_audit_append(tx, &ev, err);
}

static pl_status put_idents(store_tx *tx, batch *b, const char *type, const char *source,
                            const fhir_ident *ids, int n, pl_id local, pl_err *err)
{
    pl_status st = PL_OK;
    for (int i = 0; i < n && st == PL_OK; i++)
        st = store_fhir_ident_put(tx, type, ids[i].system, ids[i].value, local, err);
    if (st == PL_OK && source)
        st = store_fhir_ident_put(tx, type, FHIR_SYS_SOURCE,
                                  pl_arena_printf(&b->arena, "%s/%s", type, source), local, err);
    return st;
}

static pl_status write_patient(store_tx *tx, fhir_import *im, batch *b, item *it, pl_time at,
                               pl_err *err)
{
    fhir_patient *fp = it->fp;
    pl_id id = 0;
    pl_status st = PL_NOTFOUND;
    if (fp->id)
        st = store_tx_fhir_ident_find(tx, "Patient", FHIR_SYS_SOURCE,
                                      pl_arena_printf(&b->arena, "Patient/%s", fp->id), &id, err);
    for (int i = 0; st == PL_NOTFOUND && i < fp->nidents; i++)
        st = store_tx_fhir_ident_find(tx, "Patient", fp->idents[i].system, fp->idents[i].value, &id,
                                      err);
    if (st == PL_OK) {
        b->w.patients_matched++;
        return put_idents(tx, b, "Patient", fp->id, NULL, 0, id, err);
    }
    if (st != PL_NOTFOUND)
        return st;
    pl_err_clear(err);
    if ((st = store_participant_insert(tx, &fp->p, err)) != PL_OK)
        return st;
    store_risk_change rc = {.participant_id = fp->p.id,
                            .tier = pl_risk_tier_name(fp->p.risk_tier),
                            .reason = "at enrolment",
                            .changed_by = im->opt.account_id};
    if ((st = audit(tx, im, "create", "participant", fp->p.id, fp->p.id, at, err)) != PL_OK ||
        (st = store_risk_change_insert(tx, &rc, err)) != PL_OK ||
        (st = store_followup_refresh(tx, fp->p.id, err)) != PL_OK ||
        (st = put_idents(tx, b, "Patient", fp->id, fp->idents, fp->nidents, fp->p.id, err)) !=
            PL_OK)
        return st;
    b->w.patients_created++;
    return PL_OK;
}

/* FNV-1a: the slot of a subject reference. */
static size_t hash_text(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (size_t)h;
}

static size_t hash_id(pl_id id)
{
    return (size_t)((uint64_t)id * 11400714819323198485u >> 17);
}

/* The participant a subject reference names; PL_NOTFOUND when none. */
static pl_status resolve(store_tx *tx, fhir_import *im, batch *b, const char *ref, pl_id *pid,
                         pl_err *err)
{
    pl_status st = PL_NOTFOUND;
    if (strncmp(ref, "Patient/", 8) == 0) {
        /* the id the Patient had where it came from first: an export of another peerlink
           names its own participant ids, which mean someone else here */
        st = store_tx_fhir_ident_find(tx, "Patient", FHIR_SYS_SOURCE, ref, pid, err);
        const char *rest = ref + 8;
        char *end;
        long long v = strtoll(rest, &end, 10);
        if (st == PL_NOTFOUND && *rest >= '0' && *rest <= '9' && *end == '\0' && v > 0) {
            pl_err_clear(err);
            pl_participant p;
            st = store_tx_participant_get(tx, (pl_id)v, &b->arena, &p, err);
            if (st == PL_OK && p.program_id != im->program_id)
                st = PL_NOTFOUND;
            *pid = (pl_id)v;
        }
    } else if (strncmp(ref, "urn:uuid:", 9) == 0) {
        st = store_tx_fhir_ident_find(tx, "Patient", FHIR_SYS_SOURCE,
                                      pl_arena_printf(&b->arena, "Patient/%s", ref + 9), pid, err);
    }
    /* a subject outside the importer's scope is not known to it, as everywhere */
    if (st == PL_OK)
        st = store_tx_participant_visible(tx, &im->opt.scope, *pid, err);
    if (st == PL_NOTFOUND)
        pl_err_clear(err);
    return st;
}

/* The participant an Observation's subject names, once per reference and batch; PL_NOTFOUND
   with it->error when none. */
static pl_status subject_of(store_tx *tx, fhir_import *im, batch *b, tables *t, item *it,
                            pl_id *pid, pl_err *err)
{
    const char *ref = it->fo->subject;
    size_t i = hash_text(ref) & t->mask;
    while (t->subjects[i].ref && strcmp(t->subjects[i].ref, ref) != 0)
        i = (i + 1) & t->mask;
    pl_status st;
    if (t->subjects[i].ref) {
        *pid = t->subjects[i].pid;
        st = *pid ? PL_OK : PL_NOTFOUND;
    } else {
        *pid = 0;
        st = resolve(tx, im, b, ref, pid, err);
        if (st != PL_OK && st != PL_NOTFOUND)
            return st;
        t->subjects[i] = (subject){ref, st == PL_OK ? *pid : 0};
    }
    if (st == PL_NOTFOUND) {
        pl_err_clear(err);
        it->error = pl_arena_printf(&b->arena,
                                    "subject.reference %s names no Patient of this import or of "
                                    "the program",
                                    ref);
    }
    return st;
}

/* Counts a participant's measurement: its first one opens its tally. */
static void tally_of(tables *t, pl_id pid, pl_id mid)
{
    size_t i = hash_id(pid) & t->mask;
    while (t->tallies[i].pid && t->tallies[i].pid != pid)
        i = (i + 1) & t->mask;
    if (!t->tallies[i].pid) {
        t->tallies[i] = (tally){pid, mid};
        t->order[t->norder++] = (int)i;
    }
}

static pl_status write_observation(store_tx *tx, fhir_import *im, batch *b, tables *t, item *it,
                                   pl_time at, pl_err *err)
{
    fhir_observation *fo = it->fo;
    const char *source = fo->id ? pl_arena_printf(&b->arena, "Observation/%s", fo->id) : NULL;
    pl_id pid = 0;
    pl_status st = subject_of(tx, im, b, t, it, &pid, err);
    if (st == PL_NOTFOUND && source) {
        /* imported before, its subject since gone from this program: matched all the same */
        pl_id existing;
        st = store_tx_fhir_ident_find(tx, "Observation", FHIR_SYS_SOURCE, source, &existing, err);
        if (st == PL_OK) {
            it->error = NULL;
            b->w.observations_matched++;
            return PL_OK;
        }
    }
    if (st == PL_NOTFOUND) {
        pl_err_clear(err);
        return PL_OK;
    }
    if (st != PL_OK)
        return st;
    for (int k = 0; k < fo->nm; k++) {
        fo->m[k].participant_id = pid;
        if ((st = store_fhir_measurement_insert(tx, &fo->m[k], k == 0 ? source : NULL, at, err)) !=
            PL_OK)
            return st;
        if (fo->m[k].id == 0) { /* its source id is taken: imported before */
            b->w.observations_matched++;
            return PL_OK;
        }
        b->w.values++;
    }
    if ((st = put_idents(tx, b, "Observation", NULL, fo->idents, fo->nidents, fo->m[0].id, err)) !=
        PL_OK)
        return st;
    tally_of(t, pid, fo->m[0].id);
    b->w.observations_created++;
    return PL_OK;
}

static pl_status write_batch(store_tx *tx, fhir_import *im, batch *b, pl_err *err)
{
    pl_time at = (pl_time)time(NULL);
    tables t = {0};
    size_t slots = 16;
    while (slots < (size_t)b->n * 2)
        slots *= 2;
    t.mask = slots - 1;
    t.subjects = pl_arena_alloc(&b->arena, sizeof *t.subjects * slots);
    t.tallies = pl_arena_alloc(&b->arena, sizeof *t.tallies * slots);
    t.order = pl_arena_alloc(&b->arena, sizeof *t.order * slots);
    if (!t.subjects || !t.tallies || !t.order)
        return pl_err_set(err, PL_LIMIT, "the batch is larger than its memory limit");
    memset(t.subjects, 0, sizeof *t.subjects * slots);
    memset(t.tallies, 0, sizeof *t.tallies * slots);
    pl_status st = PL_OK;
    for (int pass = 0; pass < 2 && st == PL_OK; pass++)
        for (int i = 0; i < b->n && st == PL_OK; i++) {
            item *it = &b->items[i];
            if (pass == 0 && it->kind == ITEM_PATIENT)
                st = write_patient(tx, im, b, it, at, err);
            else if (pass == 1 && it->kind == ITEM_OBSERVATION)
                st = write_observation(tx, im, b, &t, it, at, err);
        }
    /* per participant: one audit event naming the batch's first measurement, the tier once */
    for (int i = 0; i < t.norder && st == PL_OK; i++) {
        const tally *ta = &t.tallies[t.order[i]];
        if ((st = audit(tx, im, "import", "measurement", ta->first, ta->pid, at, err)) == PL_OK)
            st = store_risk_refresh(tx, ta->pid, "measurement", 0, 0, NULL, err);
    }
    if (st != PL_OK) {
        b->w = (written){0}; /* the transaction rolls back: nothing of the batch was written */
        for (int i = 0; i < b->n; i++)
            b->items[i].error = NULL;
    }
    return st;
}

pl_status fhir_import_write(store_tx *tx, fhir_import *im, pl_err *err)
{
    return write_batch(tx, im, im->cur, err);
}

/* Adds a written batch to the report, reports its refusals and empties it. */
static void settle(fhir_import *im, batch *b)
{
    im->report.patients_created += b->w.patients_created;
    im->report.patients_matched += b->w.patients_matched;
    im->report.observations_created += b->w.observations_created;
    im->report.observations_matched += b->w.observations_matched;
    im->report.values += b->w.values;
    for (int i = 0; i < b->n; i++)
        if (b->items[i].error)
            refuse(im, b->items[i].file, b->items[i].line, b->items[i].error);
    b->w = (written){0};
    b->n = 0;
    pl_arena_reset(&b->arena);
}

void fhir_import_done(fhir_import *im)
{
    settle(im, im->cur);
}

typedef struct job {
    fhir_import *im;
    batch *b;
} job;

static pl_status batch_job(store_tx *tx, void *ctx, pl_err *err)
{
    job *j = ctx;
    return write_batch(tx, j->im, j->b, err);
}

/* Writes b in one transaction; a failure refuses its lines (on the caller's thread). */
static void write_now(fhir_import *im, batch *b)
{
    job j = {im, b};
    pl_err_clear(&b->err);
    b->result = store_write(im->s, batch_job, &j, &b->err);
}

static void finish(fhir_import *im, batch *b)
{
    if (b->result != PL_OK) {
        const char *file = b->items[0].file;
        long first = b->items[0].line, last = b->items[b->n - 1].line;
        char msg[400];
        snprintf(msg, sizeof msg, "lines %ld-%ld not written: %s", first, last,
                 b->err.nfields ? b->err.fields[0].message : b->err.message);
        im->report.refused += b->n;
        if (im->opt.on_error)
            im->opt.on_error(im->opt.ctx, file, first, msg);
        b->w = (written){0};
        b->n = 0;
        b->result = PL_OK;
        pl_arena_reset(&b->arena);
        return;
    }
    settle(im, b);
}

static void *writer_main(void *arg)
{
    fhir_import *im = arg;
    write_now(im, im->writing);
    return NULL;
}

/* Waits for the batch on the writer thread, if any, and settles it. */
static void collect(fhir_import *im)
{
    if (!im->writing)
        return;
    pthread_join(im->writer, NULL);
    batch *b = im->writing;
    im->writing = NULL;
    finish(im, b);
}

/* Writes the pending batch: on the writer thread (background) or here. */
static void hand_over(fhir_import *im)
{
    batch *b = im->cur;
    collect(im);
    if (b->n == 0)
        return;
    if (im->opt.background) {
        im->writing = b;
        im->cur = b == &im->b[0] ? &im->b[1] : &im->b[0];
        if (pthread_create(&im->writer, NULL, writer_main, im) == 0)
            return;
        im->cur = b; /* no thread: written here */
        im->writing = NULL;
    }
    write_now(im, b);
    finish(im, b);
}

pl_status fhir_import_flush(fhir_import *im, pl_err *err)
{
    (void)err;
    hand_over(im);
    collect(im);
    return PL_OK;
}

json_object *fhir_import_report_json(const fhir_import_report *r)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "lines", json_object_new_int64(r->lines));
    json_object_object_add(o, "patients_created", json_object_new_int64(r->patients_created));
    json_object_object_add(o, "patients_matched", json_object_new_int64(r->patients_matched));
    json_object_object_add(o, "observations_created",
                           json_object_new_int64(r->observations_created));
    json_object_object_add(o, "observations_matched",
                           json_object_new_int64(r->observations_matched));
    json_object_object_add(o, "values", json_object_new_int64(r->values));
    json_object_object_add(o, "refused", json_object_new_int64(r->refused));
    json_object *nk = json_object_new_object();
    for (int i = 0; i < r->nnot_kept; i++)
        json_object_object_add(nk, r->not_kept[i].name,
                               json_object_new_int64(r->not_kept[i].count));
    json_object_object_add(o, "not_kept", nk);
    return o;
}
