/*
 * fhir_bundle.c - POST /fhir: transaction and batch Bundles.
 *
 * The handler reads every entry first (outside the write) through
 * src/fhir/fhir_bundle.h, which says what the entry asks (POST, PUT Type/N
 * under ifMatch) and whether peerlink keeps it (docs/FHIR.md, import
 * policy), and maps each kept resource with its type's reader. Then one
 * api_write() runs the plan in one transaction: POSTed Patients first (an
 * entry whose source id, ifNoneExist or identifier is already known is
 * matched, not created again), then every other entry in request order
 * through the very steps its single-resource handler runs (fhir_steps.h:
 * Patient and Encounter and Task updates, Encounter, QuestionnaireResponse
 * and ServiceRequest creates; Observations through fhir_api_record), so the
 * workflow (follow-up tasks, alerts, risk tiers, referral tasks) follows a
 * Bundle exactly as it follows the same resources sent one by one. A
 * subject may be a urn:uuid fullUrl of a Patient of this Bundle,
 * Patient/id or a conditional Patient?identifier= (which also finds a
 * Patient created earlier in the Bundle). An Observation already imported
 * (same source id) is matched, so sending a Bundle twice creates no
 * measurement twice. An entry type the caller's role may not write alone
 * (the route table's roles) is refused in a Bundle too, but for POSTed
 * Patients, which every Bundle writer imports.
 *
 * transaction: any entry error fails the whole Bundle (nothing written), an
 * OperationOutcome naming entry[i] and the field (expression
 * entry[i].resource.<path>). batch: a failing entry answers its own 4xx
 * (with an OperationOutcome) in its response entry while the others are
 * written; every refusal is found before anything of that entry is written,
 * so a failed entry leaves nothing behind. The response lists the entries in
 * request order; an entry not kept answers 200 with an OperationOutcome
 * (information) saying why.
 *
 * POST /fhir/$import takes NDJSON (one resource a line) through
 * src/fhir/fhir_import.h in one transaction: refused lines are listed with
 * their line numbers while the good ones are written, and a line already
 * imported is matched, not created again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fhir/fhir_bundle.h"
#include "fhir/fhir_import.h"
#include "fhir_int.h"
#include "fhir_steps.h"
#include "store/store_fhir_entities.h"

#define BUNDLE_ENTRIES_MAX 50000

typedef enum entry_kind {
    E_PATIENT,
    E_PATIENT_PUT,
    E_OBSERVATION,
    E_ENCOUNTER,
    E_ENCOUNTER_PUT,
    E_QR,
    E_SR,
    E_TASK_PUT,
    E_NOT_KEPT,
    E_FAILED
} entry_kind;

typedef struct plan_entry {
    entry_kind kind;
    fhir_bundle_entry be; /* type, fullUrl, PUT target, ifMatch, ifNoneExist */
    fhir_patient *fp;
    fhir_observation *fo;
    fhir_encounter *fe;
    fhir_qr *fq;
    fhir_service_request *sr;
    fhir_task_change *tc;
    const char *note; /* not kept: why */
    pl_err *fail;     /* failed: why, fields named from the entry */
    int status;       /* answered HTTP status */
    pl_id id;
    int version;
} plan_entry;

typedef struct bundle_plan {
    plan_entry *e;
    int n;
    bool batch;
} bundle_plan;

static json_object *info_outcome(const char *severity, const char *code, const char *text)
{
    json_object *o = json_object_new_object(), *issues = json_object_new_array(),
                *is = json_object_new_object();
    json_object_object_add(o, "resourceType", json_object_new_string("OperationOutcome"));
    json_object_object_add(is, "severity", json_object_new_string(severity));
    json_object_object_add(is, "code", json_object_new_string(code));
    json_object_object_add(is, "diagnostics", json_object_new_string(text));
    json_object_array_add(issues, is);
    json_object_object_add(o, "issue", issues);
    return o;
}

/* "field message" of the first field error, else the message (arena). */
static const char *describe(http_request *req, const pl_err *e)
{
    if (e->nfields)
        return pl_arena_printf(&req->arena, "%s %s", e->fields[0].field, e->fields[0].message);
    return pl_arena_strdup(&req->arena, e->message);
}

/*
 * cause as the error of entry i: its message "entry[i] (Type): why" and its fields renamed
 * entry[i].resource.<field> (entry[i].<field> for the entry's own request.* fields).
 */
static void entry_err(const bundle_plan *bp, int i, const pl_err *cause, pl_err *out)
{
    char why[512];
    if (cause->nfields)
        snprintf(why, sizeof why, "%s %s", cause->fields[0].field, cause->fields[0].message);
    else
        snprintf(why, sizeof why, "%s", cause->message[0] ? cause->message : "refused");
    pl_err_clear(out);
    pl_err_set(out, cause->status == PL_OK ? PL_INVALID : cause->status, "entry[%d] (%s): %s", i,
               bp->e[i].be.type, why);
    for (int f = 0; f < cause->nfields && f < PL_ERR_FIELDS_MAX; f++) {
        const char *name = cause->fields[f].field;
        bool own = strncmp(name, "request.", 8) == 0 || strncmp(name, "resource", 8) == 0;
        char path[128];
        snprintf(path, sizeof path, "entry[%d].%s%s", i, own ? "" : "resource.", name);
        size_t len = strlen(path);
        if (len >= sizeof out->fields[f].field)
            len = sizeof out->fields[f].field - 1;
        memcpy(out->fields[f].field, path, len);
        out->fields[f].field[len] = '\0';
        snprintf(out->fields[f].message, sizeof out->fields[f].message, "%s",
                 cause->fields[f].message);
        out->nfields = f + 1;
    }
}

/* Marks a batch entry failed with its status, or fails the transaction naming the entry. */
static pl_status entry_failed(http_request *req, bundle_plan *bp, int i, int status,
                              const pl_err *cause, pl_err *err)
{
    plan_entry *pe = &bp->e[i];
    if (!bp->batch) {
        entry_err(bp, i, cause, err);
        return err->status;
    }
    pe->fail = pl_arena_alloc(&req->arena, sizeof *pe->fail);
    if (!pe->fail)
        return pl_err_set(err, PL_LIMIT, "the Bundle needs more memory than a request may use");
    entry_err(bp, i, cause, pe->fail);
    pe->kind = E_FAILED;
    pe->status = status;
    return PL_OK;
}

/* The HTTP status of an entry refused by a check (a store failure is not an entry's). */
static int refusal_status(pl_status st, const pl_err *e)
{
    switch (st) {
    case PL_INVALID:
        return 422;
    case PL_STALE:
        return 412;
    case PL_CONFLICT:
        return 409;
    case PL_NOTFOUND:
        return strstr(e->message, "was deleted") ? 410 : 404;
    default:
        return 0;
    }
}

/* Fails entry i for st when st is a refusal (PL_OK back: go on with the next entry). */
static pl_status refuse(http_request *req, bundle_plan *bp, int i, pl_status st, const pl_err *e,
                        pl_err *err)
{
    int status = refusal_status(st, e);
    if (!status)
        return pl_err_set(err, st, "entry[%d]: %s", i, describe(req, e));
    return entry_failed(req, bp, i, status, e, err);
}

/* A Patient of the plan already known: by source id, ifNoneExist or an identifier. */
static pl_status match_patient(store_tx *tx, http_request *req, plan_entry *pe, pl_id *id,
                               pl_err *err)
{
    pl_status st = PL_NOTFOUND;
    if (pe->fp->id)
        st = store_tx_fhir_ident_find(tx, "Patient", FHIR_SYS_SOURCE,
                                      pl_arena_printf(&req->arena, "Patient/%s", pe->fp->id), id,
                                      err);
    if (st == PL_NOTFOUND && pe->be.if_none_exist &&
        strncmp(pe->be.if_none_exist, "identifier=", 11) == 0) {
        pl_err_clear(err);
        st = fhir_api_resolve_patient(
            req, tx, pl_arena_printf(&req->arena, "Patient?%s", pe->be.if_none_exist), id, err);
        if (st == PL_INVALID)
            st = PL_NOTFOUND;
    }
    for (int i = 0; st == PL_NOTFOUND && i < pe->fp->nidents; i++) {
        pl_err_clear(err);
        st = store_tx_fhir_ident_find(tx, "Patient", pe->fp->idents[i].system,
                                      pe->fp->idents[i].value, id, err);
    }
    if (st == PL_NOTFOUND)
        pl_err_clear(err);
    return st;
}

static store_scope bundle_scope(http_request *req)
{
    store_scope sc = {.unit_id = api_scope_unit(req)};
    return sc;
}

static pl_status run_patients(store_tx *tx, http_request *req, bundle_plan *bp, pl_err *err)
{
    api_context *app = req->app;
    store_scope sc = bundle_scope(req);
    for (int i = 0; i < bp->n; i++) {
        plan_entry *pe = &bp->e[i];
        if (pe->kind != E_PATIENT)
            continue;
        pl_err e;
        pl_err_clear(&e);
        pl_id id = 0;
        pl_status st = match_patient(tx, req, pe, &id, &e);
        if (st == PL_OK) {
            pl_participant p;
            if (store_participant_visible(app->store, &sc, id, &e) != PL_OK ||
                store_tx_participant_get(tx, id, &req->arena, &p, &e) != PL_OK) {
                pl_err_clear(&e);
                pl_err_set(&e, PL_INVALID, "matches a Patient outside your scope");
                if ((st = entry_failed(req, bp, i, 422, &e, err)) != PL_OK)
                    return st;
                continue;
            }
            pe->id = id;
            pe->version = p.version;
            pe->status = 200;
            continue;
        }
        if (st != PL_NOTFOUND)
            return pl_err_set(err, st, "entry[%d]: %s", i, e.message);
        st = fhir_api_enrol(tx, req, pe->fp, &e);
        if (st == PL_INVALID || st == PL_CONFLICT) {
            if ((st = entry_failed(req, bp, i, st == PL_CONFLICT ? 409 : 422, &e, err)) != PL_OK)
                return st;
            continue;
        }
        if (st != PL_OK)
            return pl_err_set(err, st, "entry[%d]: %s", i, describe(req, &e));
        pe->id = pe->fp->p.id;
        pe->version = pe->fp->p.version;
        pe->status = 201;
    }
    return PL_OK;
}

/* A Patient of this Bundle (POSTed, written) with participant id pid, or fullUrl ref. */
static bool bundle_patient(const bundle_plan *bp, const char *ref, pl_id pid)
{
    for (int j = 0; j < bp->n; j++) {
        const plan_entry *o = &bp->e[j];
        if (o->kind == E_PATIENT && o->id > 0 &&
            ((ref && o->be.full_url && strcmp(o->be.full_url, ref) == 0) || (pid && o->id == pid)))
            return true;
    }
    return false;
}

/*
 * The participant a subject reference (field, e.g. "subject.reference") names: a Patient
 * entry of this Bundle by fullUrl, else Patient/id or Patient?identifier= (a Patient this
 * Bundle created included), in the caller's scope. PL_INVALID with the field error.
 */
static pl_status subject_of(store_tx *tx, http_request *req, const bundle_plan *bp,
                            const char *field, const char *ref, pl_participant *p, pl_err *e)
{
    api_context *app = req->app;
    memset(p, 0, sizeof *p);
    pl_id pid = 0;
    if (!ref) {
        pl_err_field(e, field, "is required");
        return PL_INVALID;
    }
    for (int j = 0; j < bp->n; j++)
        if (bp->e[j].kind == E_FAILED && bp->e[j].be.full_url &&
            strcmp(bp->e[j].be.full_url, ref) == 0) {
            pl_err_field(e, field, "names %s, an entry of this Bundle that failed", ref);
            return PL_INVALID;
        }
    for (int j = 0; j < bp->n && !pid; j++)
        if (bp->e[j].kind == E_PATIENT && bp->e[j].be.full_url &&
            strcmp(bp->e[j].be.full_url, ref) == 0)
            pid = bp->e[j].id;
    pl_err ignore;
    pl_err_clear(&ignore);
    store_scope sc = bundle_scope(req);
    if (!pid) {
        pl_status st = fhir_api_resolve_patient(req, tx, ref, &pid, &ignore);
        if (st != PL_OK && st != PL_INVALID)
            return pl_err_set(e, st, "%s", ignore.message);
        if (st == PL_OK && !bundle_patient(bp, NULL, pid) &&
            store_participant_visible(app->store, &sc, pid, &ignore) != PL_OK)
            st = PL_INVALID;
        if (st != PL_OK) {
            pl_err_field(e, field, "names no known Patient: %s", ref);
            return PL_INVALID;
        }
    }
    pl_status st = store_tx_participant_get(tx, pid, &req->arena, p, &ignore);
    if (st == PL_NOTFOUND) {
        pl_err_field(e, field, "names no known Patient: %s", ref);
        return PL_INVALID;
    }
    return st == PL_OK ? PL_OK : pl_err_set(e, st, "%s", ignore.message);
}

static pl_status do_observation(store_tx *tx, http_request *req, bundle_plan *bp, plan_entry *pe,
                                pl_err *e)
{
    fhir_observation *fo = pe->fo;
    if (fo->id) {
        pl_id existing;
        pl_status st = store_tx_fhir_ident_find(
            tx, "Observation", FHIR_SYS_SOURCE,
            pl_arena_printf(&req->arena, "Observation/%s", fo->id), &existing, e);
        if (st == PL_OK) {
            pe->id = existing;
            pe->version = 1;
            pe->status = 200;
            return PL_OK;
        }
        if (st != PL_NOTFOUND)
            return st;
        pl_err_clear(e);
    }
    pl_participant p;
    pl_status st = subject_of(tx, req, bp, "subject.reference", fo->subject, &p, e);
    if (st != PL_OK)
        return st;
    if (!fhir_api_observation_prepare(req, fo, p.id, e))
        return PL_INVALID;
    if (fhir_api_record(tx, req, fo, e) != PL_OK)
        return pl_err_set(e, PL_IO, "%s", describe(req, e));
    pe->id = fo->m[0].id;
    pe->version = 1;
    pe->status = 201;
    return PL_OK;
}

/* The write's own failure (a store error), never an entry's refusal. */
static pl_status written(pl_status st, pl_err *e)
{
    return st == PL_OK || refusal_status(st, e) == 0 ? st : pl_err_set(e, PL_IO, "%s", e->message);
}

static pl_status do_encounter(store_tx *tx, http_request *req, bundle_plan *bp, plan_entry *pe,
                              pl_err *e)
{
    fhir_encounter *fe = pe->fe;
    pl_participant p;
    pl_contact c = {.follow_up_date = PL_DATE_NONE};
    fhir_encounter_view view;
    pl_status st;
    if (pe->kind == E_ENCOUNTER_PUT) {
        pl_contact cur;
        store_fhir_contact_meta meta = {0};
        store_scope sc = bundle_scope(req);
        api_context *app = req->app;
        st = store_tx_fhir_contact_get(tx, pe->be.target, &req->arena, &cur, &meta, e);
        if (st == PL_OK &&
            store_participant_visible(app->store, &sc, cur.participant_id, e) != PL_OK)
            st = PL_NOTFOUND;
        if (st == PL_NOTFOUND) {
            pl_err_clear(e);
            return pl_err_set(e, PL_NOTFOUND, "Encounter/%lld is not known",
                              (long long)pe->be.target);
        }
        if (st != PL_OK)
            return st;
        if (meta.voided)
            return pl_err_set(e, PL_NOTFOUND, "Encounter/%lld was deleted",
                              (long long)pe->be.target);
        if ((st = subject_of(tx, req, bp, "subject.reference", fe->subject, &p, e)) != PL_OK)
            return st;
        if (p.id != cur.participant_id) {
            pl_err_field(e, "subject.reference",
                         "must stay Patient/%lld: a contact does not move to another person",
                         (long long)cur.participant_id);
            return PL_INVALID;
        }
    } else if ((st = subject_of(tx, req, bp, "subject.reference", fe->subject, &p, e)) != PL_OK) {
        return st;
    }
    bool forbidden;
    if ((st = fhir_api_encounter_check(req, fe, &p, &c, &view, &forbidden, e)) != PL_OK)
        return st;
    if (pe->kind == E_ENCOUNTER_PUT) {
        st = fhir_api_encounter_update_tx(tx, req, pe->be.target, pe->be.if_match, &c, &view, e);
        pe->status = 200;
    } else {
        st = written(fhir_api_encounter_create_tx(tx, req, &c, &view, e), e);
        pe->status = 201;
    }
    if (st != PL_OK)
        return st;
    pe->id = c.id;
    pe->version = view.version;
    return st;
}

static pl_status do_qr(store_tx *tx, http_request *req, bundle_plan *bp, plan_entry *pe, pl_err *e)
{
    pl_participant p;
    store_questionnaire q;
    pl_status st = subject_of(tx, req, bp, "subject.reference", pe->fq->subject, &p, e);
    if (st == PL_OK)
        st = fhir_api_qr_check(req, pe->fq, p.id, &q, e);
    if (st == PL_OK)
        st = written(fhir_api_qr_record_tx(tx, req, &q, e), e);
    if (st != PL_OK)
        return st;
    pe->id = q.id;
    pe->version = 1;
    pe->status = 201;
    return st;
}

static pl_status do_sr(store_tx *tx, http_request *req, bundle_plan *bp, plan_entry *pe, pl_err *e)
{
    pl_participant p;
    store_referral r, saved;
    pl_status st = subject_of(tx, req, bp, "subject.reference", pe->sr->subject, &p, e);
    if (st == PL_OK)
        st = fhir_api_sr_check(req, pe->sr, &p, &r, e);
    if (st == PL_OK)
        st = written(fhir_api_sr_insert_tx(tx, req, &r, &saved, e), e);
    if (st != PL_OK)
        return st;
    pe->id = saved.id;
    pe->version = saved.version;
    pe->status = 201;
    return PL_OK;
}

static pl_status do_patient_put(store_tx *tx, http_request *req, plan_entry *pe, pl_err *e)
{
    api_context *app = req->app;
    store_scope sc = bundle_scope(req);
    pl_participant p;
    if (store_participant_visible(app->store, &sc, pe->be.target, e) != PL_OK) {
        pl_err_clear(e);
        return pl_err_set(e, PL_NOTFOUND, "Patient/%lld is not known", (long long)pe->be.target);
    }
    pl_status st =
        fhir_api_patient_update_tx(tx, req, pe->be.target, pe->be.if_match, pe->fp, &p, e);
    if (st != PL_OK)
        return st;
    pe->id = p.id;
    pe->version = p.version;
    pe->status = 200;
    return st;
}

static pl_status do_task_put(store_tx *tx, http_request *req, plan_entry *pe, pl_err *e)
{
    api_context *app = req->app;
    store_scope sc = bundle_scope(req);
    store_referral r;
    pl_status st = store_tx_referral_get(tx, pe->be.target, &req->arena, &r, e);
    if (st == PL_OK && store_participant_visible(app->store, &sc, r.participant_id, e) != PL_OK)
        st = PL_NOTFOUND;
    if (st == PL_NOTFOUND) {
        pl_err_clear(e);
        return pl_err_set(e, PL_NOTFOUND, "Task/%lld is not known", (long long)pe->be.target);
    }
    if (st == PL_OK)
        st = fhir_api_referral_change_tx(tx, req, pe->be.target, pe->be.if_match, pe->tc,
                                         "statusReason.text", &r, e);
    if (st != PL_OK)
        return st;
    pe->id = r.id;
    pe->version = r.version;
    pe->status = 200;
    return st;
}

/* Every entry but POSTed Patients, in request order. */
static pl_status run_entries(store_tx *tx, http_request *req, bundle_plan *bp, pl_err *err)
{
    for (int i = 0; i < bp->n; i++) {
        plan_entry *pe = &bp->e[i];
        pl_err e;
        pl_err_clear(&e);
        pl_status st;
        switch (pe->kind) {
        case E_PATIENT_PUT:
            st = do_patient_put(tx, req, pe, &e);
            break;
        case E_OBSERVATION:
            st = do_observation(tx, req, bp, pe, &e);
            break;
        case E_ENCOUNTER:
        case E_ENCOUNTER_PUT:
            st = do_encounter(tx, req, bp, pe, &e);
            break;
        case E_QR:
            st = do_qr(tx, req, bp, pe, &e);
            break;
        case E_SR:
            st = do_sr(tx, req, bp, pe, &e);
            break;
        case E_TASK_PUT:
            st = do_task_put(tx, req, pe, &e);
            break;
        default:
            continue;
        }
        if (st != PL_OK && (st = refuse(req, bp, i, st, &e, err)) != PL_OK)
            return st;
    }
    return PL_OK;
}

static const char *status_text(http_request *req, int status)
{
    const char *reason = status == 200   ? "OK"
                         : status == 201 ? "Created"
                         : status == 403 ? "Forbidden"
                         : status == 404 ? "Not Found"
                         : status == 409 ? "Conflict"
                         : status == 410 ? "Gone"
                         : status == 412 ? "Precondition Failed"
                         : status == 422 ? "Unprocessable Entity"
                                         : "Bad Request";
    return pl_arena_printf(&req->arena, "%d %s", status, reason);
}

static pl_status bundle_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    bundle_plan *bp = ctx;
    pl_status st = run_patients(tx, req, bp, err);
    if (st == PL_OK)
        st = run_entries(tx, req, bp, err);
    if (st != PL_OK)
        return st;
    json_object *b = json_object_new_object();
    json_object_object_add(b, "resourceType", json_object_new_string("Bundle"));
    json_object_object_add(
        b, "type", json_object_new_string(bp->batch ? "batch-response" : "transaction-response"));
    json_object *entries = json_object_new_array();
    for (int i = 0; i < bp->n; i++) {
        plan_entry *pe = &bp->e[i];
        json_object *e = json_object_new_object(), *r = json_object_new_object();
        switch (pe->kind) {
        case E_NOT_KEPT:
            json_object_object_add(r, "status", json_object_new_string("200 OK"));
            json_object_object_add(
                r, "outcome",
                info_outcome("information", "informational",
                             pl_arena_printf(&req->arena, "not kept: %s", pe->note)));
            break;
        case E_FAILED:
            json_object_object_add(r, "status",
                                   json_object_new_string(status_text(req, pe->status)));
            json_object_object_add(r, "outcome", fhir_outcome_err("processing", pe->fail));
            break;
        default:
            json_object_object_add(r, "status",
                                   json_object_new_string(status_text(req, pe->status)));
            json_object_object_add(r, "location",
                                   json_object_new_string(pl_arena_printf(
                                       &req->arena, "%s/%lld/_history/%d", pe->be.type,
                                       (long long)pe->id, pe->version)));
            json_object_object_add(
                r, "etag",
                json_object_new_string(pl_arena_printf(&req->arena, "W/\"%d\"", pe->version)));
            break;
        }
        json_object_object_add(e, "response", r);
        json_object_array_add(entries, e);
    }
    json_object_object_add(b, "entry", entries);
    out->status = 200;
    out->body = api_json_text(req, b);
    return PL_OK;
}

/* May the caller's role write this entry alone (the route table's roles)? */
static bool role_allows(const http_request *req, const plan_entry *pe)
{
    if (pe->kind == E_PATIENT)
        return true; /* every Bundle writer imports Patients (docs/FHIR.md, "Roles") */
    char path[96];
    snprintf(path, sizeof path, pe->be.target ? "/fhir/%s/{id}" : "/fhir/%s", pe->be.type);
    const char *method = pe->be.target ? "PUT" : "POST";
    for (const http_route *r = api_routes; r->method; r++)
        if (strcmp(r->method, method) == 0 && strcmp(r->path, path) == 0)
            return (r->roles & (1u << req->account.role)) != 0;
    return false;
}

static void *arena_new(http_request *req, size_t size, pl_err *err)
{
    void *p = pl_arena_alloc(&req->arena, size);
    if (p)
        memset(p, 0, size);
    else
        pl_err_set(err, PL_LIMIT, "the Bundle needs more memory than a request may use");
    return p;
}

/* Maps entry's resource into pe by its type; false with err set when it cannot be read. */
static bool read_entry(http_request *req, json_object *entry, plan_entry *pe, pl_err *err)
{
    memset(pe, 0, sizeof *pe);
    if (fhir_bundle_entry_read(entry, &req->arena, &pe->be, err) != PL_OK)
        return false;
    json_object *res = pe->be.resource;
    const char *type = pe->be.type;
    const char *want =
        pe->be.target ? pl_arena_printf(&req->arena, "%lld", (long long)pe->be.target) : NULL;
    if (pe->be.not_kept) {
        pe->kind = E_NOT_KEPT;
        pe->note = pe->be.not_kept;
        return true;
    }
    if (strcmp(type, "Patient") == 0) {
        if (!(pe->fp = arena_new(req, sizeof *pe->fp, err)))
            return false;
        if (!pe->be.target) {
            pe->kind = E_PATIENT;
            return fhir_api_patient_prepare(req, res, pe->fp, err);
        }
        pe->kind = E_PATIENT_PUT;
        if (fhir_patient_from_json(res, &req->arena, pe->fp, err) != PL_OK)
            return false;
        if (want && pe->fp->id && strcmp(pe->fp->id, want) != 0)
            pl_err_field(err, "id", "must be %s, the id of request.url", want);
        return err->nfields == 0;
    }
    if (strcmp(type, "Observation") == 0) {
        if (!(pe->fo = arena_new(req, sizeof *pe->fo, err)) ||
            fhir_observation_from_json(res, &req->arena, pe->fo, err) != PL_OK)
            return false;
        pe->kind = pe->fo->not_kept ? E_NOT_KEPT : E_OBSERVATION;
        pe->note = pe->fo->not_kept;
        return true;
    }
    if (strcmp(type, "Encounter") == 0) {
        pe->kind = pe->be.target ? E_ENCOUNTER_PUT : E_ENCOUNTER;
        if (!(pe->fe = arena_new(req, sizeof *pe->fe, err)) ||
            fhir_encounter_from_json(res, &req->arena, pe->fe, err) != PL_OK)
            return false;
        if (want && pe->fe->id && strcmp(pe->fe->id, want) != 0)
            pl_err_field(err, "id", "must be %s, the id of request.url", want);
        return err->nfields == 0;
    }
    if (strcmp(type, "QuestionnaireResponse") == 0) {
        pe->kind = E_QR;
        return (pe->fq = arena_new(req, sizeof *pe->fq, err)) &&
               fhir_qr_from_json(res, &req->arena, pe->fq, err) == PL_OK;
    }
    if (strcmp(type, "ServiceRequest") == 0) {
        pe->kind = E_SR;
        return (pe->sr = arena_new(req, sizeof *pe->sr, err)) &&
               fhir_service_request_from_json(res, &req->arena, pe->sr, err) == PL_OK;
    }
    /* Task: fhir_bundle_entry_read keeps only PUT Task/N */
    pe->kind = E_TASK_PUT;
    if (!(pe->tc = arena_new(req, sizeof *pe->tc, err)) ||
        fhir_task_from_json(res, &req->arena, pe->tc, err) != PL_OK)
        return false;
    if (want && pe->tc->id && strcmp(pe->tc->id, want) != 0)
        pl_err_field(err, "id", "must be %s, the id of request.url", want);
    return err->nfields == 0;
}

void api_fhir_bundle(http_request *req, http_response *res)
{
    if (!fhir_api_negotiate(req, res))
        return;
    json_object *o = fhir_api_body(req, res);
    if (!o)
        return;
    const char *type = fhir_resource_type(o);
    json_object *btype = NULL, *entries = NULL;
    bundle_plan bp = {0};
    if (strcmp(type, "Bundle") != 0 || !json_object_object_get_ex(o, "type", &btype) ||
        !json_object_is_type(btype, json_type_string) ||
        (strcmp(json_object_get_string(btype), "transaction") != 0 &&
         strcmp(json_object_get_string(btype), "batch") != 0)) {
        json_object_put(o);
        fhir_api_outcome(res, 400, "POST /fhir takes a Bundle of type transaction or batch");
        return;
    }
    bp.batch = strcmp(json_object_get_string(btype), "batch") == 0;
    size_t n = 0;
    if (json_object_object_get_ex(o, "entry", &entries) &&
        json_object_is_type(entries, json_type_array))
        n = json_object_array_length(entries);
    if (n > BUNDLE_ENTRIES_MAX) {
        json_object_put(o);
        fhir_api_outcome(res, 413, "a Bundle takes at most 50000 entries");
        return;
    }
    bp.n = (int)n;
    bp.e = pl_arena_alloc(&req->arena, sizeof *bp.e * (n ? n : 1));
    if (!bp.e) {
        json_object_put(o);
        fhir_api_outcome(res, 413, "the Bundle needs more memory than a request may use");
        return;
    }
    for (int i = 0; i < bp.n; i++) {
        pl_err err;
        pl_err_clear(&err);
        int status = 400;
        bool ok = read_entry(req, json_object_array_get_idx(entries, (size_t)i), &bp.e[i], &err);
        if (ok && bp.e[i].kind != E_NOT_KEPT && !role_allows(req, &bp.e[i])) {
            ok = false;
            status = 403;
            pl_err_set(&err, PL_INVALID, "your role may not %s %s resources",
                       bp.e[i].be.target ? "update" : "create", bp.e[i].be.type);
        }
        if (ok)
            continue;
        if (err.status == PL_OK)
            err.status = PL_INVALID;
        /* the entry itself unreadable: 400; its resource breaking a rule: 422 */
        if (status == 400 && err.nfields && strncmp(err.fields[0].field, "request.", 8) != 0 &&
            strncmp(err.fields[0].field, "resource", 8) != 0)
            status = 422;
        if (!bp.batch) {
            pl_err named;
            entry_err(&bp, i, &err, &named);
            json_object_put(o);
            fhir_api_send(res, err.status == PL_LIMIT ? 413 : status,
                          fhir_outcome_err(status == 403 ? "forbidden" : "invalid", &named));
            api_audit(req, "create", "fhir_bundle", 0, 0, res->status);
            return;
        }
        bp.e[i].fail = pl_arena_alloc(&req->arena, sizeof *bp.e[i].fail);
        if (!bp.e[i].fail) {
            json_object_put(o);
            fhir_api_outcome(res, 413, "the Bundle needs more memory than a request may use");
            return;
        }
        entry_err(&bp, i, &err, bp.e[i].fail);
        bp.e[i].kind = E_FAILED;
        bp.e[i].status = status;
    }
    json_object_put(o);
    api_write(req, res, bundle_write, &bp, sizeof bp, "fhir_bundle", 0);
}

/* ---- POST /fhir/$import: NDJSON ------------------------------------------------- */

typedef struct ndjson_ctx {
    fhir_import *im;
    json_object *errors; /* [{line, message}] of refused lines */
} ndjson_ctx;

static void collect_error(void *ctx, const char *file, long line, const char *message)
{
    ndjson_ctx *c = ctx;
    (void)file;
    if (json_object_array_length(c->errors) >= 1000)
        return;
    json_object *is = json_object_new_object();
    json_object_object_add(is, "severity", json_object_new_string("error"));
    json_object_object_add(is, "code", json_object_new_string("processing"));
    char text[600];
    snprintf(text, sizeof text, "line %ld: %s", line, message);
    json_object_object_add(is, "diagnostics", json_object_new_string(text));
    json_object_array_add(c->errors, is);
}

/* What api_write copies: the import lives in the request arena, not on the stack. */
typedef struct ndjson_ref {
    ndjson_ctx *c;
} ndjson_ref;

static pl_status ndjson_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    ndjson_ctx *c = ((ndjson_ref *)ctx)->c;
    pl_status st = fhir_import_write(tx, c->im, err);
    if (st == PL_OK) {
        /* an OperationOutcome: a summary, then one issue per refused line; the counts as
           JSON text in an extension */
        fhir_import_done(c->im);
        const fhir_import_report *r = fhir_import_result(c->im);
        json_object *report = fhir_import_report_json(r);
        json_object *body = json_object_new_object(), *ext = json_object_new_array(),
                    *x = json_object_new_object(), *issues = json_object_new_array();
        json_object_object_add(body, "resourceType", json_object_new_string("OperationOutcome"));
        json_object_object_add(x, "url", json_object_new_string("urn:peerlink:fhir:import-report"));
        json_object_object_add(
            x, "valueString",
            json_object_new_string(json_object_to_json_string_ext(report, JSON_C_TO_STRING_PLAIN)));
        json_object_put(report);
        json_object_array_add(ext, x);
        json_object_object_add(body, "extension", ext);
        json_object *sum = json_object_new_object();
        json_object_object_add(sum, "severity", json_object_new_string("information"));
        json_object_object_add(sum, "code", json_object_new_string("informational"));
        json_object_object_add(
            sum, "diagnostics",
            json_object_new_string(pl_arena_printf(
                &req->arena,
                "%ld lines: %ld patients created, %ld matched; %ld observations created, %ld "
                "matched; %ld refused",
                r->lines, r->patients_created, r->patients_matched, r->observations_created,
                r->observations_matched, r->refused)));
        json_object_array_add(issues, sum);
        for (size_t i = 0; i < json_object_array_length(c->errors); i++)
            json_object_array_add(issues, json_object_get(json_object_array_get_idx(c->errors, i)));
        json_object_object_add(body, "issue", issues);
        out->status = 200;
        out->body = api_json_text(req, body);
    }
    json_object_put(c->errors);
    fhir_import_free(c->im);
    c->im = NULL;
    c->errors = NULL;
    return st;
}

void api_fhir_ndjson_import(http_request *req, http_response *res)
{
    api_context *app = req->app;
    if (!fhir_api_negotiate(req, res))
        return;
    const char *ct = http_header_get(req, "Content-Type");
    if (!ct || (strncmp(ct, "application/fhir+ndjson", 23) != 0 &&
                strncmp(ct, "application/x-ndjson", 20) != 0 &&
                strncmp(ct, "application/ndjson", 18) != 0)) {
        fhir_api_outcome(res, 415, "Content-Type must be application/fhir+ndjson");
        return;
    }
    pl_err err;
    pl_err_clear(&err);
    pl_id unit = 0;
    const char *u = http_query_get(req, "unit");
    if (u) {
        char *end;
        long long v = strtoll(u, &end, 10);
        if (!*u || *end || v <= 0) {
            fhir_api_outcome(res, 400, "unit must be the id of an org unit");
            return;
        }
        unit = (pl_id)v;
        if (store_unit_in_subtree(app->store, api_scope_unit(req), unit, &err) != PL_OK) {
            fhir_api_outcome(res, 404, "unit is not an org unit in your scope");
            return;
        }
    } else if (store_fhir_intake_unit(app->store, api_scope_unit(req), &unit, &err) != PL_OK) {
        fhir_api_outcome(res, 422, "no org unit below a program in your scope: give ?unit=");
        return;
    }
    store_scope sc;
    if (!api_scope(req, res, &sc))
        return;
    ndjson_ctx *c = pl_arena_alloc(&req->arena, sizeof *c);
    if (!c) {
        fhir_api_outcome(res, 413, "the request needs more memory than a request may use");
        return;
    }
    c->errors = json_object_new_array();
    fhir_import_options opt = {.home_unit_id = unit,
                               .account_id = req->account.id,
                               .scope = sc,
                               .client_addr = req->client_addr,
                               .on_error = collect_error,
                               .ctx = c};
    if (fhir_import_new(app->store, &opt, &c->im, &err) != PL_OK) {
        json_object_put(c->errors);
        api_fhir_fail(res, &err);
        return;
    }
    const char *p = req->body ? req->body : "", *end = p + req->body_len;
    for (long line = 1; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (fhir_import_line(c->im, p, len, "body", line, &err) != PL_OK) {
            json_object_put(c->errors);
            fhir_import_free(c->im);
            api_fhir_fail(res, &err);
            return;
        }
        p += len + (nl ? 1 : 0);
    }
    ndjson_ref ref = {c};
    api_write(req, res, ndjson_write, &ref, sizeof ref, "fhir_import", 0);
}
