/*
 * fhir_import.c - NDJSON import of FHIR resources (fhir_import.h).
 *
 * Each line is parsed and mapped as it is read (fhir.c), into a batch
 * whose strings live in an arena that is reset once the batch is written:
 * memory stays that of one batch whatever the file's length. The write of
 * a batch checks each item before inserting anything of it (participant
 * rules, the subject of an Observation), so an item refused inside the
 * transaction leaves nothing behind and the others still commit; every
 * insert appends its audit event in the same transaction, as the API does.
 * Source ids (FHIR_SYS_SOURCE "Type/id") are recorded for what is created,
 * which is what makes a second import of the same lines create nothing.
 */
#include "fhir/fhir_import.h"

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

struct fhir_import {
    store *s;
    fhir_import_options opt;
    pl_id program_id;
    pl_arena batch; /* strings and records of the pending items */
    pl_arena names; /* resource type names of the report */
    item *items;
    int n, cap;
    fhir_import_report report;
};

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
    pl_arena_init(&im->batch, 256u * 1024u * 1024u);
    pl_arena_init(&im->names, 1u << 16);
    *out = im;
    return PL_OK;
}

void fhir_import_free(fhir_import *im)
{
    if (!im)
        return;
    pl_arena_free(&im->batch);
    pl_arena_free(&im->names);
    free(im->items);
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

static item *push(fhir_import *im, pl_err *err)
{
    if (im->n == im->cap) {
        int cap = im->cap ? im->cap * 2 : 256;
        if (cap > BATCH_ITEMS_MAX) {
            pl_err_set(err, PL_LIMIT, "an import batch holds at most %d resources",
                       BATCH_ITEMS_MAX);
            return NULL;
        }
        item *n = realloc(im->items, sizeof *n * (size_t)cap);
        if (!n) {
            pl_err_set(err, PL_NOMEM, "out of memory reading the import");
            return NULL;
        }
        im->items = n;
        im->cap = cap;
    }
    item *it = &im->items[im->n++];
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
    pl_arena *a = &im->batch;
    bool patient = strcmp(type, "Patient") == 0, obs = strcmp(type, "Observation") == 0;
    if (!patient && !obs) {
        not_kept(im, type);
        json_object_put(o);
        return PL_OK;
    }
    item *it = push(im, err);
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
            im->n--;
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
        im->n--;
        return pl_err_set(err, PL_LIMIT, "%s:%ld: the batch is larger than its memory limit", file,
                          lineno);
    }
    if (st != PL_OK) {
        im->n--;
        refuse(im, file, lineno, describe(a, &e));
        return PL_OK;
    }
    if (im->opt.batch_lines > 0 && im->n >= im->opt.batch_lines)
        return fhir_import_flush(im, err);
    return PL_OK;
}

static pl_status audit(store_tx *tx, fhir_import *im, const char *entity, pl_id id, pl_id pid,
                       pl_err *err)
{
    store_audit_event ev = {.at = (pl_time)time(NULL),
                            .account_id = im->opt.account_id,
                            .action = "create",
                            .entity = entity,
                            .entity_id = id,
                            .participant_id = pid,
                            .client_addr = im->opt.client_addr,
                            .status = 201};
    return store_audit_append(tx, &ev, err);
}

static pl_status put_idents(store_tx *tx, fhir_import *im, const char *type, const char *source,
                            const fhir_ident *ids, int n, pl_id local, pl_err *err)
{
    pl_status st = PL_OK;
    for (int i = 0; i < n && st == PL_OK; i++)
        st = store_fhir_ident_put(tx, type, ids[i].system, ids[i].value, local, err);
    if (st == PL_OK && source)
        st = store_fhir_ident_put(tx, type, FHIR_SYS_SOURCE,
                                  pl_arena_printf(&im->batch, "%s/%s", type, source), local, err);
    return st;
}

static pl_status write_patient(store_tx *tx, fhir_import *im, item *it, pl_err *err)
{
    fhir_patient *fp = it->fp;
    pl_id id = 0;
    pl_status st = PL_NOTFOUND;
    if (fp->id)
        st = store_tx_fhir_ident_find(tx, "Patient", FHIR_SYS_SOURCE,
                                      pl_arena_printf(&im->batch, "Patient/%s", fp->id), &id, err);
    for (int i = 0; st == PL_NOTFOUND && i < fp->nidents; i++)
        st = store_tx_fhir_ident_find(tx, "Patient", fp->idents[i].system, fp->idents[i].value, &id,
                                      err);
    if (st == PL_OK) {
        im->report.patients_matched++;
        return put_idents(tx, im, "Patient", fp->id, NULL, 0, id, err);
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
    if ((st = audit(tx, im, "participant", fp->p.id, fp->p.id, err)) != PL_OK ||
        (st = store_risk_change_insert(tx, &rc, err)) != PL_OK ||
        (st = store_followup_refresh(tx, fp->p.id, err)) != PL_OK ||
        (st = put_idents(tx, im, "Patient", fp->id, fp->idents, fp->nidents, fp->p.id, err)) !=
            PL_OK)
        return st;
    im->report.patients_created++;
    return PL_OK;
}

/* The participant an Observation's subject names; PL_NOTFOUND with it->error when none. */
static pl_status subject_of(store_tx *tx, fhir_import *im, item *it, pl_id *pid, pl_err *err)
{
    const char *ref = it->fo->subject;
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
            st = store_tx_participant_get(tx, (pl_id)v, &im->batch, &p, err);
            if (st == PL_OK && p.program_id != im->program_id)
                st = PL_NOTFOUND;
            *pid = (pl_id)v;
        }
    } else if (strncmp(ref, "urn:uuid:", 9) == 0) {
        st = store_tx_fhir_ident_find(tx, "Patient", FHIR_SYS_SOURCE,
                                      pl_arena_printf(&im->batch, "Patient/%s", ref + 9), pid, err);
    }
    if (st == PL_NOTFOUND) {
        pl_err_clear(err);
        it->error = pl_arena_printf(&im->batch,
                                    "subject.reference %s names no Patient of this import or of "
                                    "the program",
                                    ref);
    }
    return st;
}

static pl_status write_observation(store_tx *tx, fhir_import *im, item *it, pl_id *last_pid,
                                   pl_err *err)
{
    fhir_observation *fo = it->fo;
    pl_id existing;
    pl_status st = PL_NOTFOUND;
    if (fo->id)
        st = store_tx_fhir_ident_find(tx, "Observation", FHIR_SYS_SOURCE,
                                      pl_arena_printf(&im->batch, "Observation/%s", fo->id),
                                      &existing, err);
    if (st == PL_OK) {
        im->report.observations_matched++;
        return PL_OK;
    }
    if (st != PL_NOTFOUND)
        return st;
    pl_err_clear(err);
    pl_id pid = 0;
    if ((st = subject_of(tx, im, it, &pid, err)) == PL_NOTFOUND)
        return PL_OK;
    if (st != PL_OK)
        return st;
    for (int k = 0; k < fo->nm; k++) {
        fo->m[k].participant_id = pid;
        if ((st = store_measurement_insert(tx, &fo->m[k], err)) != PL_OK ||
            (st = audit(tx, im, "measurement", fo->m[k].id, pid, err)) != PL_OK)
            return st;
        im->report.values++;
    }
    if ((st = put_idents(tx, im, "Observation", fo->id, fo->idents, fo->nidents, fo->m[0].id,
                         err)) != PL_OK)
        return st;
    /* the tier follows the newest values: refreshed once per run of one participant's lines */
    if (*last_pid != pid && *last_pid > 0 &&
        (st = store_risk_refresh(tx, *last_pid, "measurement", 0, 0, NULL, err)) != PL_OK)
        return st;
    *last_pid = pid;
    im->report.observations_created++;
    return PL_OK;
}

pl_status fhir_import_write(store_tx *tx, fhir_import *im, pl_err *err)
{
    pl_status st = PL_OK;
    pl_id last_pid = 0;
    fhir_import_report saved = im->report;
    for (int pass = 0; pass < 2 && st == PL_OK; pass++)
        for (int i = 0; i < im->n && st == PL_OK; i++) {
            item *it = &im->items[i];
            if (pass == 0 && it->kind == ITEM_PATIENT)
                st = write_patient(tx, im, it, err);
            else if (pass == 1 && it->kind == ITEM_OBSERVATION)
                st = write_observation(tx, im, it, &last_pid, err);
        }
    if (st == PL_OK && last_pid > 0)
        st = store_risk_refresh(tx, last_pid, "measurement", 0, 0, NULL, err);
    if (st != PL_OK) {
        im->report = saved; /* the transaction rolls back: nothing of the batch was written */
        for (int i = 0; i < im->n; i++)
            im->items[i].error = NULL;
    }
    return st;
}

void fhir_import_done(fhir_import *im)
{
    for (int i = 0; i < im->n; i++)
        if (im->items[i].error)
            refuse(im, im->items[i].file, im->items[i].line, im->items[i].error);
    im->n = 0;
    pl_arena_reset(&im->batch);
}

static pl_status batch_job(store_tx *tx, void *ctx, pl_err *err)
{
    return fhir_import_write(tx, ctx, err);
}

pl_status fhir_import_flush(fhir_import *im, pl_err *err)
{
    if (im->n == 0)
        return PL_OK;
    pl_status st = store_write(im->s, batch_job, im, err);
    if (st != PL_OK) {
        const char *file = im->items[0].file;
        long first = im->items[0].line, last = im->items[im->n - 1].line;
        char msg[400];
        snprintf(msg, sizeof msg, "lines %ld-%ld not written: %s", first, last,
                 err->nfields ? err->fields[0].message : err->message);
        im->report.refused += im->n;
        if (im->opt.on_error)
            im->opt.on_error(im->opt.ctx, file, first, msg);
        im->n = 0;
        pl_arena_reset(&im->batch);
        pl_err_clear(err);
        return PL_OK;
    }
    fhir_import_done(im);
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
