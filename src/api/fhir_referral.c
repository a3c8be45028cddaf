/*
 * fhir_referral.c - /fhir/ServiceRequest and /fhir/Task: a referral and
 * its fulfilment (src/fhir/fhir_referral.h), read, vread and searched;
 * a ServiceRequest created is a new referral, a Task updated is a status
 * change of its referral.
 *
 * Both resources are views of one referral row with its id and version,
 * so an ETag read from either is the If-Match of a Task update. Writes run
 * the JSON API's own steps inside api_write(): api_referral_check() and
 * api_referral_insert_tx() for a create, api_referral_transition_tx() for a
 * status change (If-Match 412, the transition table, the history event,
 * the referral task opened or closed, the audit), so the closed loop
 * follows a FHIR write exactly as it follows POST /api/v1/referrals.
 * Referrals are participant data: out of scope is 404 and every read is
 * audited (entity "referral").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fhir/fhir_referral.h"
#include "fhir/fhir_bundle.h"
#include "fhir_int.h"
#include "fhir_steps.h"
#include "store/store_fhir_qr.h"

#define ENTITY "referral"

/* The referral if it is in the caller's scope; 404 (audited) written otherwise. */
static bool load_referral(http_request *req, http_response *res, const char *type, pl_id id,
                          store_referral *r)
{
    api_context *app = req->app;
    pl_err err;
    pl_err_clear(&err);
    memset(r, 0, sizeof *r);
    pl_status st = store_referral_get(app->store, id, &req->arena, r, &err);
    return fhir_api_found(req, res, st, &err,
                          pl_arena_printf(&req->arena, "%s/%lld", type, (long long)id), id, "read",
                          ENTITY, r->participant_id);
}

static json_object *as(bool task, const store_referral *r)
{
    return task ? fhir_task_json(r) : fhir_service_request_json(r);
}

static void read_referral(http_request *req, http_response *res, bool task, bool vread)
{
    const char *type = task ? "Task" : "ServiceRequest";
    pl_id id;
    store_referral r;
    if (!fhir_api_negotiate(req, res) || !fhir_api_path_id(req, res, 0, type, &id) ||
        !load_referral(req, res, type, id, &r))
        return;
    if (vread && !fhir_api_version_kept(req, res, type, id, r.version)) {
        api_audit(req, "read", ENTITY, id, r.participant_id, 404);
        return;
    }
    fhir_api_send(res, 200, as(task, &r));
    api_etag(req, res, r.version);
    api_audit(req, "read", ENTITY, id, r.participant_id, 200);
}

void api_fhir_sr_read(http_request *req, http_response *res)
{
    read_referral(req, res, false, false);
}

void api_fhir_sr_vread(http_request *req, http_response *res)
{
    read_referral(req, res, false, true);
}

void api_fhir_task_read(http_request *req, http_response *res)
{
    read_referral(req, res, true, false);
}

void api_fhir_task_vread(http_request *req, http_response *res)
{
    read_referral(req, res, true, true);
}

/* ---- search ---------------------------------------------------------------------- */

static void search(http_request *req, http_response *res, bool task)
{
    api_context *app = req->app;
    const char *type = task ? "Task" : "ServiceRequest";
    fhir_qparams qp;
    store_fhir_query q;
    fhir_api_init_query(&q);
    if (!fhir_api_negotiate(req, res) || !fhir_api_gather(req, res, &qp) ||
        !api_scope(req, res, &q.scope))
        return;
    bool none = false, have_status = false;
    pl_err err;
    pl_err_clear(&err);
    for (int i = 0; i < qp.n; i++) {
        const char *name = qp.name[i], *value = qp.value[i];
        bool handled;
        if (!fhir_api_common_param(req, res, name, value, &q, &handled, &none))
            return;
        if (handled)
            continue;
        if (strcmp(name, "patient") == 0 || strcmp(name, "subject") == 0 ||
            (task && strcmp(name, "for") == 0)) {
            fhir_api_patient_param(req, value, &q, &none);
        } else if (task && strcmp(name, "focus") == 0) {
            const char *v = strncmp(value, "ServiceRequest/", 15) == 0 ? value + 15 : value;
            char *end;
            long long id = strtoll(v, &end, 10);
            if (!*v || *end || id <= 0 || (q.id && q.id != id))
                none = true;
            else
                q.id = (pl_id)id;
        } else if (strcmp(name, "status") == 0) {
            if (have_status) {
                fhir_api_bad_param(req, res, name, value,
                                   "give one status parameter; a comma means OR");
                return;
            }
            have_status = true;
            for (const char *p = value; *p;) {
                size_t len = strcspn(p, ",");
                const char *tok = pl_arena_strndup(&req->arena, p, len);
                q.ncodes += fhir_referral_statuses(task, tok, q.codes + q.ncodes,
                                                   STORE_FHIR_CODES_MAX - q.ncodes);
                p += len;
                if (*p == ',')
                    p++;
            }
            if (!q.ncodes)
                none = true;
        } else {
            fhir_api_bad_param(req, res, name, value,
                               task ? "not a Task search parameter peerlink supports (_id, "
                                      "patient, subject, for, focus, status, _lastUpdated, _count)"
                                    : "not a ServiceRequest search parameter peerlink supports "
                                      "(_id, patient, subject, status, _lastUpdated, _count)");
            return;
        }
    }
    pl_id *ids = NULL;
    int n = 0;
    bool more = false;
    if (!none &&
        store_fhir_referral_search(app->store, &q, &req->arena, &ids, &n, &more, &err) != PL_OK) {
        api_fhir_fail(res, &err);
        return;
    }
    json_object *entries = json_object_new_array();
    pl_id *pids = pl_arena_alloc(&req->arena, sizeof *pids * (size_t)(n ? n : 1));
    for (int i = 0; i < n && pids; i++) {
        store_referral r;
        pids[i] = 0;
        if (store_referral_get(app->store, ids[i], &req->arena, &r, &err) != PL_OK)
            continue;
        pids[i] = r.participant_id;
        json_object_array_add(entries, fhir_api_entry(req, type, r.id, as(task, &r), "match"));
    }
    if (n && pids)
        api_audit_reads(req, ENTITY, ids, pids, n);
    fhir_api_send(res, 200, fhir_api_searchset(req, &qp, &q, entries, more));
}

void api_fhir_sr_search(http_request *req, http_response *res)
{
    search(req, res, false);
}

void api_fhir_task_search(http_request *req, http_response *res)
{
    search(req, res, true);
}

/* ---- ServiceRequest create --------------------------------------------------------- */

pl_status fhir_api_sr_insert_tx(store_tx *tx, http_request *req, store_referral *r,
                                store_referral *saved, pl_err *err)
{
    pl_status st = api_referral_insert_tx(tx, req, r, "referral made (FHIR ServiceRequest)", err);
    if (st == PL_OK)
        st = store_tx_referral_get(tx, r->id, &req->arena, saved, err);
    return st;
}

static pl_status sr_create_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                                 pl_err *err)
{
    store_referral *r = ctx;
    store_referral saved;
    pl_status st = fhir_api_sr_insert_tx(tx, req, r, &saved, err);
    if (st != PL_OK)
        return st;
    out->status = 201;
    out->body = api_json_text(req, fhir_service_request_json(&saved));
    out->version = saved.version;
    out->location = pl_arena_printf(&req->arena, "/fhir/ServiceRequest/%lld/_history/%d",
                                    (long long)saved.id, saved.version);
    return PL_OK;
}

/* The JSON API's field names as the ServiceRequest's paths. */
static void sr_names(pl_err *err)
{
    for (int i = 0; i < err->nfields; i++)
        if (strcmp(err->fields[i].field, "service_id") == 0)
            snprintf(err->fields[i].field, sizeof err->fields[i].field, "performer[0].reference");
}

pl_status fhir_api_sr_check(http_request *req, const fhir_service_request *sr,
                            const pl_participant *p, store_referral *r, pl_err *err)
{
    memset(r, 0, sizeof *r);
    r->program_id = p->program_id;
    r->participant_id = p->id;
    r->service_id = sr->service_id;
    r->resource_text = sr->resource_text;
    r->need = sr->need;
    r->notes = sr->notes;
    r->status = sr->status;
    r->referred_by = req->account.id;
    r->created_at = (pl_time)time(NULL);
    if (api_referral_check(req, r, err))
        return PL_OK;
    sr_names(err);
    return err->status != PL_OK ? err->status : PL_INVALID;
}

void api_fhir_sr_create(http_request *req, http_response *res)
{
    api_context *app = req->app;
    if (!fhir_api_negotiate(req, res))
        return;
    json_object *o = fhir_api_body(req, res);
    if (!o)
        return;
    fhir_service_request sr;
    pl_err err;
    pl_err_clear(&err);
    pl_status st = fhir_service_request_from_json(o, &req->arena, &sr, &err);
    json_object_put(o);
    if (st != PL_OK) {
        api_fhir_fail(res, &err);
        api_audit(req, "create", ENTITY, 0, 0, res->status);
        return;
    }
    store_scope sc;
    if (!api_scope(req, res, &sc))
        return;
    pl_id pid = 0;
    pl_participant p;
    if (fhir_api_resolve_patient(req, NULL, sr.subject, &pid, &err) != PL_OK ||
        store_participant_visible(app->store, &sc, pid, &err) != PL_OK ||
        store_participant_get(app->store, pid, &req->arena, &p, &err) != PL_OK) {
        fhir_api_outcome(res, 422,
                         pl_arena_printf(&req->arena, "subject.reference %s names no known Patient",
                                         sr.subject));
        api_audit(req, "create", ENTITY, 0, pid, 422);
        return;
    }
    store_referral r;
    pl_err_clear(&err);
    if (fhir_api_sr_check(req, &sr, &p, &r, &err) != PL_OK) {
        api_fhir_fail(res, &err);
        if (err.nfields)
            api_audit(req, "create", ENTITY, 0, pid, res->status);
        return;
    }
    api_write(req, res, sr_create_write, &r, sizeof r, ENTITY, pid);
}

/* ---- Task and ServiceRequest update: the referral's status change -------------------- */

typedef struct task_ctx {
    pl_id id;
    int if_match;
    bool sr; /* a ServiceRequest PUT (answered as one), else a Task PUT */
    fhir_task_change change;
    const char *note_path; /* where the note came from, for its field errors */
} task_ctx;

pl_status fhir_api_referral_change_tx(store_tx *tx, http_request *req, pl_id id, int if_match,
                                      const fhir_task_change *ch, const char *note_path,
                                      store_referral *r, pl_err *err)
{
    pl_status st = store_tx_referral_get(tx, id, &req->arena, r, err);
    if (st == PL_OK)
        st = api_version_check(if_match, r->version, "referral", err);
    /* a status peerlink already holds (in-progress over accepted ...) changes nothing */
    if (st == PL_OK && strcmp(r->status, ch->status) != 0)
        st = api_referral_transition_tx(tx, req, id, if_match, ch->status, ch->note, r, err);
    if (st != PL_OK) {
        for (int i = 0; i < err->nfields; i++)
            if (strcmp(err->fields[i].field, "note") == 0)
                snprintf(err->fields[i].field, sizeof err->fields[i].field, "%s", note_path);
        return st;
    }
    /* the service's names come with a fresh read */
    return store_tx_referral_get(tx, id, &req->arena, r, err);
}

static pl_status task_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                            pl_err *err)
{
    task_ctx *c = ctx;
    store_referral r;
    pl_status st =
        fhir_api_referral_change_tx(tx, req, c->id, c->if_match, &c->change, c->note_path, &r, err);
    if (st != PL_OK)
        return st;
    out->status = 200;
    out->body = api_json_text(req, c->sr ? fhir_service_request_json(&r) : fhir_task_json(&r));
    out->version = r.version;
    return PL_OK;
}

/*
 * PUT Task/{id} (sr false) or ServiceRequest/{id}: the body read into c->change by its reader,
 * If-Match (412 when not an ETag), then one write through the transition table.
 */
static void referral_update(http_request *req, http_response *res, bool sr)
{
    const char *type = sr ? "ServiceRequest" : "Task";
    task_ctx c = {.sr = sr, .note_path = "statusReason.text"};
    store_referral r;
    if (!fhir_api_negotiate(req, res) || !fhir_api_path_id(req, res, 0, type, &c.id) ||
        !load_referral(req, res, type, c.id, &r))
        return;
    json_object *o = fhir_api_body(req, res);
    if (!o)
        return;
    pl_err err;
    pl_err_clear(&err);
    pl_status st;
    if (sr) {
        st = fhir_service_request_change_from_json(o, &req->arena, r.status, &c.change, &err);
        c.note_path = "note";
    } else {
        st = fhir_task_from_json(o, &req->arena, &c.change, &err);
    }
    json_object_put(o);
    if (st == PL_OK && c.change.id && strcmp(c.change.id, req->params[0]) != 0) {
        pl_err_field(&err, "id", "must be %s, the id of the %s in the URL", req->params[0], type);
        st = err.status = PL_INVALID;
    }
    if (st != PL_OK) {
        api_fhir_fail(res, &err);
        api_audit(req, "transition", ENTITY, c.id, r.participant_id, res->status);
        return;
    }
    const char *im = http_header_get(req, "If-Match");
    c.if_match = im ? fhir_bundle_etag(im) : -1;
    if (im && c.if_match < 0) {
        fhir_api_outcome(res, 412, "If-Match must be an ETag such as W/\"3\"");
        api_audit(req, "transition", ENTITY, c.id, r.participant_id, 412);
        return;
    }
    api_write(req, res, task_write, &c, sizeof c, ENTITY, r.participant_id);
}

void api_fhir_task_update(http_request *req, http_response *res)
{
    referral_update(req, res, false);
}

void api_fhir_sr_update(http_request *req, http_response *res)
{
    referral_update(req, res, true);
}
