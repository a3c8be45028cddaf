/*
 * fhir_bundle.c - POST /fhir: transaction and batch Bundles.
 *
 * The handler reads every entry first (outside the write): Patients are
 * mapped and given their home unit, Observations are mapped, and anything
 * else is marked "not kept" (docs/FHIR.md, import policy). Then one
 * api_write() runs the plan in one transaction: Patients first (an entry
 * whose source id, ifNoneExist or identifier is already known is matched,
 * not created again), then Observations, whose subject may be a urn:uuid
 * fullUrl of this Bundle, Patient/id or a conditional Patient?identifier=.
 * An Observation already imported (same source id) is matched, so sending
 * a Bundle twice creates nothing the second time.
 *
 * transaction: any entry error fails the whole Bundle (nothing written), an
 * OperationOutcome naming entry[i]. batch: an entry that cannot be read or
 * whose subject does not resolve answers its own 4xx in its response entry
 * while the others are written (checks run before any insert, so a failed
 * entry leaves nothing behind). The response lists the entries in request
 * order; an entry not kept answers 200 with an OperationOutcome
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

#include "fhir/fhir_import.h"
#include "fhir_int.h"

#define BUNDLE_ENTRIES_MAX 50000

typedef enum entry_kind { E_PATIENT, E_OBSERVATION, E_NOT_KEPT, E_FAILED } entry_kind;

typedef struct plan_entry {
    entry_kind kind;
    const char *full_url;
    const char *if_none_exist;
    const char *type;
    fhir_patient *fp;
    fhir_observation *fo;
    const char *note; /* not kept / failed: why */
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

static const char *str_at(json_object *o, const char *name)
{
    json_object *v;
    return json_object_object_get_ex(o, name, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
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
    if (st == PL_NOTFOUND && pe->if_none_exist &&
        strncmp(pe->if_none_exist, "identifier=", 11) == 0) {
        pl_err_clear(err);
        st = fhir_api_resolve_patient(
            req, tx, pl_arena_printf(&req->arena, "Patient?%s", pe->if_none_exist), id, err);
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

/* Marks a batch entry failed, or fails the transaction naming the entry. */
static pl_status entry_failed(http_request *req, bundle_plan *bp, int i, int status,
                              const pl_err *cause, pl_err *err)
{
    const char *text = describe(req, cause);
    if (!bp->batch)
        return pl_err_set(err, cause->status == PL_OK ? PL_INVALID : cause->status,
                          "entry[%d] (%s): %s", i, bp->e[i].type, text);
    plan_entry *pe = &bp->e[i];
    pe->kind = E_FAILED;
    pe->status = status;
    pe->note = text;
    return PL_OK;
}

static pl_status run_patients(store_tx *tx, http_request *req, bundle_plan *bp, pl_err *err)
{
    api_context *app = req->app;
    store_scope sc;
    sc.unit_id = api_scope_unit(req);
    sc.peer_leader_id = 0;
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

static pl_status run_observations(store_tx *tx, http_request *req, bundle_plan *bp, pl_err *err)
{
    api_context *app = req->app;
    store_scope sc = {.unit_id = api_scope_unit(req)};
    for (int i = 0; i < bp->n; i++) {
        plan_entry *pe = &bp->e[i];
        if (pe->kind != E_OBSERVATION)
            continue;
        fhir_observation *fo = pe->fo;
        pl_err e;
        pl_err_clear(&e);
        pl_id existing;
        if (fo->id) {
            pl_status st = store_tx_fhir_ident_find(
                tx, "Observation", FHIR_SYS_SOURCE,
                pl_arena_printf(&req->arena, "Observation/%s", fo->id), &existing, &e);
            if (st == PL_OK) {
                pe->id = existing;
                pe->version = 1;
                pe->status = 200;
                continue;
            }
            if (st != PL_NOTFOUND)
                return pl_err_set(err, st, "entry[%d]: %s", i, e.message);
            pl_err_clear(&e);
        }
        pl_id pid = 0;
        bool found = false;
        for (int j = 0; j < bp->n && !found; j++)
            if (bp->e[j].kind == E_PATIENT && bp->e[j].full_url &&
                strcmp(bp->e[j].full_url, fo->subject) == 0) {
                pid = bp->e[j].id;
                found = true;
            }
        pl_status st = found ? PL_OK : fhir_api_resolve_patient(req, tx, fo->subject, &pid, &e);
        if (st == PL_OK && !found && store_participant_visible(app->store, &sc, pid, &e) != PL_OK) {
            pl_err_clear(&e);
            st = pl_err_set(&e, PL_INVALID, "subject.reference %s names no known Patient",
                            fo->subject);
        }
        if (st == PL_OK && pid <= 0)
            st = pl_err_set(&e, PL_INVALID, "its subject entry failed");
        if (st == PL_OK && !fhir_api_observation_prepare(req, fo, pid, &e))
            st = PL_INVALID;
        if (st == PL_INVALID) {
            if ((st = entry_failed(req, bp, i, 422, &e, err)) != PL_OK)
                return st;
            continue;
        }
        if (st != PL_OK || (st = fhir_api_record(tx, req, fo, &e)) != PL_OK)
            return pl_err_set(err, st, "entry[%d]: %s", i, describe(req, &e));
        pe->id = fo->m[0].id;
        pe->version = 1;
        pe->status = 201;
    }
    return PL_OK;
}

static const char *status_text(http_request *req, int status)
{
    const char *reason = status == 200   ? "OK"
                         : status == 201 ? "Created"
                         : status == 409 ? "Conflict"
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
        st = run_observations(tx, req, bp, err);
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
        case E_PATIENT:
        case E_OBSERVATION: {
            const char *type = pe->kind == E_PATIENT ? "Patient" : "Observation";
            json_object_object_add(r, "status",
                                   json_object_new_string(status_text(req, pe->status)));
            json_object_object_add(
                r, "location",
                json_object_new_string(pl_arena_printf(&req->arena, "%s/%lld/_history/%d", type,
                                                       (long long)pe->id, pe->version)));
            json_object_object_add(
                r, "etag",
                json_object_new_string(pl_arena_printf(&req->arena, "W/\"%d\"", pe->version)));
            break;
        }
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
            json_object_object_add(r, "outcome", info_outcome("error", "processing", pe->note));
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

/* Reads entry i into pe; false with err set when it cannot be read. */
static bool read_entry(http_request *req, json_object *entry, plan_entry *pe, pl_err *err)
{
    json_object *res, *rq;
    memset(pe, 0, sizeof *pe);
    pe->type = "?";
    if (!json_object_is_type(entry, json_type_object) ||
        !json_object_object_get_ex(entry, "resource", &res) ||
        !json_object_is_type(res, json_type_object)) {
        pl_err_set(err, PL_INVALID, "resource is required: an object");
        return false;
    }
    const char *type = fhir_resource_type(res);
    pe->type = type ? pl_arena_strdup(&req->arena, type) : "?";
    const char *url = str_at(entry, "fullUrl");
    pe->full_url = url ? pl_arena_strdup(&req->arena, url) : NULL;
    if (json_object_object_get_ex(entry, "request", &rq)) {
        const char *method = str_at(rq, "method");
        if (!method || (strcmp(method, "POST") != 0 && strcmp(method, "PUT") != 0)) {
            pl_err_set(err, PL_INVALID,
                       "request.method must be POST or PUT (peerlink imports; it does not "
                       "delete or read in Bundles)");
            return false;
        }
        const char *ine = str_at(rq, "ifNoneExist");
        pe->if_none_exist = ine ? pl_arena_strdup(&req->arena, ine) : NULL;
    }
    if (!type) {
        pl_err_set(err, PL_INVALID, "resource.resourceType is required");
        return false;
    }
    if (strcmp(type, "Patient") == 0) {
        pe->kind = E_PATIENT;
        pe->fp = pl_arena_alloc(&req->arena, sizeof *pe->fp);
        if (!pe->fp) {
            pl_err_set(err, PL_LIMIT, "the Bundle needs more memory than a request may use");
            return false;
        }
        return fhir_api_patient_prepare(req, res, pe->fp, err);
    }
    if (strcmp(type, "Observation") == 0) {
        pe->fo = pl_arena_alloc(&req->arena, sizeof *pe->fo);
        if (!pe->fo) {
            pl_err_set(err, PL_LIMIT, "the Bundle needs more memory than a request may use");
            return false;
        }
        if (fhir_observation_from_json(res, &req->arena, pe->fo, err) != PL_OK)
            return false;
        pe->kind = pe->fo->not_kept ? E_NOT_KEPT : E_OBSERVATION;
        pe->note = pe->fo->not_kept;
        return true;
    }
    pe->kind = E_NOT_KEPT;
    pe->note = pl_arena_printf(&req->arena, "peerlink does not keep %s resources", type);
    return true;
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
        if (read_entry(req, json_object_array_get_idx(entries, (size_t)i), &bp.e[i], &err))
            continue;
        if (!bp.batch) {
            json_object_put(o);
            fhir_api_outcome(res, err.status == PL_LIMIT ? 413 : 400,
                             pl_arena_printf(&req->arena, "entry[%d] (%s): %s", i, bp.e[i].type,
                                             describe(req, &err)));
            api_audit(req, "create", "fhir_bundle", 0, 0, res->status);
            return;
        }
        bp.e[i].kind = E_FAILED;
        bp.e[i].status = 400;
        bp.e[i].note = describe(req, &err);
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
    ndjson_ctx *c = pl_arena_alloc(&req->arena, sizeof *c);
    if (!c) {
        fhir_api_outcome(res, 413, "the request needs more memory than a request may use");
        return;
    }
    c->errors = json_object_new_array();
    fhir_import_options opt = {.home_unit_id = unit,
                               .account_id = req->account.id,
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
