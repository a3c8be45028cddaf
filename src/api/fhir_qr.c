/*
 * fhir_qr.c - /fhir/QuestionnaireResponse (read, vread, search, create)
 * and the score Observations that fhir.c's Observation read and search
 * serve beside the measurements (fhir_qr_int.h).
 *
 * A response is participant data: out of scope answers 404 as if unknown,
 * every read is audited as the JSON API audits questionnaire responses
 * (entity "questionnaire_response"), and a create goes through
 * api_questionnaire_score() and api_questionnaire_record_tx(), the steps
 * of POST /api/v1/questionnaire-responses, so the score, the self-harm
 * alert and the risk tier follow exactly as for a JSON submission.
 * Responses are never changed, so each has version 1 and lastUpdated is
 * when it was recorded.
 *
 * Observation search pages over measurements then scores: the page at
 * _offset o of _count c takes measurements [o, o+c) and, once those run
 * out, scores from o - M (M: how many measurements match), so each page
 * continues the last and _offset paging neither skips nor repeats
 * (docs/FHIR.md).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fhir/fhir_qr.h"
#include "fhir_qr_int.h"
#include "fhir_steps.h"
#include "store/store_fhir_qr.h"

#define ENTITY "questionnaire_response"

/* The response if it is in the caller's scope; 404 (audited) written otherwise. */
static bool load_response(http_request *req, http_response *res, pl_id id, const char *shown,
                          store_questionnaire *q)
{
    api_context *app = req->app;
    pl_err err;
    pl_err_clear(&err);
    memset(q, 0, sizeof *q);
    pl_status st = store_questionnaire_get(app->store, id, &req->arena, q, &err);
    return fhir_api_found(req, res, st, &err, shown, id, "read", ENTITY, q->participant_id);
}

/* A vread's {vid} must be 1 (responses never change). */
static bool version_one(http_request *req, http_response *res, const char *shown)
{
    const char *v = req->nparams > 1 ? req->params[1] : "";
    if (strcmp(v, "1") == 0)
        return true;
    fhir_api_outcome(res, 404,
                     pl_arena_printf(&req->arena,
                                     "%s/_history/%s is not kept: a questionnaire response "
                                     "never changes, its one version is 1",
                                     shown, v));
    return false;
}

static void read_qr(http_request *req, http_response *res, bool vread)
{
    pl_id id;
    store_questionnaire q;
    if (!fhir_api_negotiate(req, res) ||
        !fhir_api_path_id(req, res, 0, "QuestionnaireResponse", &id))
        return;
    const char *shown = pl_arena_printf(&req->arena, "QuestionnaireResponse/%lld", (long long)id);
    if (!load_response(req, res, id, shown, &q))
        return;
    if (vread && !version_one(req, res, shown)) {
        api_audit(req, "read", ENTITY, id, q.participant_id, 404);
        return;
    }
    fhir_api_send(res, 200, fhir_qr_json(&q));
    api_etag(req, res, 1);
    api_audit(req, "read", ENTITY, id, q.participant_id, 200);
}

void api_fhir_qr_read(http_request *req, http_response *res)
{
    read_qr(req, res, false);
}

void api_fhir_qr_vread(http_request *req, http_response *res)
{
    read_qr(req, res, true);
}

void fhir_qr_api_score_read(http_request *req, http_response *res, bool vread)
{
    const char *raw = req->params[0];
    pl_id id = fhir_score_id(raw);
    const char *shown = pl_arena_printf(&req->arena, "Observation/%s", raw);
    store_questionnaire q;
    if (!fhir_api_negotiate(req, res) || !load_response(req, res, id, shown, &q))
        return;
    if (!q.scored) {
        fhir_api_outcome(res, 404,
                         pl_arena_printf(&req->arena,
                                         "%s is not known: the response has too many items "
                                         "unanswered to be scored",
                                         shown));
        api_audit(req, "read", ENTITY, id, q.participant_id, 404);
        return;
    }
    if (vread && !version_one(req, res, shown)) {
        api_audit(req, "read", ENTITY, id, q.participant_id, 404);
        return;
    }
    fhir_api_send(res, 200, fhir_score_json(&q));
    api_etag(req, res, 1);
    api_audit(req, "read", ENTITY, id, q.participant_id, 200);
}

/* ---- search ------------------------------------------------------------------ */

static json_object *entry(http_request *req, const char *type, const char *id,
                          json_object *resource)
{
    json_object *e = json_object_new_object();
    json_object_object_add(e, "fullUrl",
                           json_object_new_string(pl_arena_printf(&req->arena, "%s/%s/%s",
                                                                  fhir_api_base(req), type, id)));
    json_object_object_add(e, "resource", resource);
    json_object *s = json_object_new_object();
    json_object_object_add(s, "mode", json_object_new_string("match"));
    json_object_object_add(e, "search", s);
    return e;
}

/* patient=/subject= into q->participant_id; *none when it names no one (or another). */
void api_fhir_qr_search(http_request *req, http_response *res)
{
    api_context *app = req->app;
    fhir_qparams qp;
    store_fhir_query q;
    fhir_api_init_query(&q);
    if (!fhir_api_negotiate(req, res) || !fhir_api_gather(req, res, &qp) ||
        !api_scope(req, res, &q.scope))
        return;
    bool none = false, have_q = false;
    for (int i = 0; i < qp.n; i++) {
        const char *name = qp.name[i], *value = qp.value[i];
        bool handled;
        if (!fhir_api_common_param(req, res, name, value, &q, &handled, &none))
            return;
        if (handled)
            continue;
        if (strcmp(name, "patient") == 0 || strcmp(name, "subject") == 0) {
            fhir_api_patient_param(req, value, &q, &none);
        } else if (strcmp(name, "questionnaire") == 0) {
            if (have_q) {
                fhir_api_bad_param(req, res, name, value,
                                   "give one questionnaire parameter; a comma means OR");
                return;
            }
            have_q = true;
            for (const char *p = value; *p;) {
                size_t len = strcspn(p, ",");
                const instrument_def *d = fhir_qr_instrument(pl_arena_strndup(&req->arena, p, len));
                if (d && q.ncodes < STORE_FHIR_CODES_MAX)
                    q.codes[q.ncodes++] = d->code;
                p += len;
                if (*p == ',')
                    p++;
            }
            if (!q.ncodes)
                none = true;
        } else if (!fhir_api_time_param(req, res, name, value, "authored", &q, &handled)) {
            return;
        } else if (!handled) {
            fhir_api_bad_param(req, res, name, value,
                               "not a QuestionnaireResponse search parameter peerlink supports "
                               "(_id, patient, subject, questionnaire, authored, _lastUpdated, "
                               "_count, _sort)");
            return;
        }
    }
    pl_id *ids = NULL;
    int n = 0;
    bool more = false;
    pl_err err;
    pl_err_clear(&err);
    if (!none &&
        store_fhir_qr_search(app->store, &q, false, &req->arena, &ids, &n, &more, &err) != PL_OK) {
        api_fhir_fail(res, &err);
        return;
    }
    json_object *entries = json_object_new_array();
    pl_id *pids = pl_arena_alloc(&req->arena, sizeof *pids * (size_t)(n ? n : 1));
    for (int i = 0; i < n && pids; i++) {
        store_questionnaire r;
        pids[i] = 0;
        if (store_questionnaire_get(app->store, ids[i], &req->arena, &r, &err) != PL_OK)
            continue;
        pids[i] = r.participant_id;
        json_object_array_add(
            entries, fhir_api_entry(req, "QuestionnaireResponse", r.id, fhir_qr_json(&r), "match"));
    }
    if (n && pids)
        api_audit_reads(req, ENTITY, ids, pids, n);
    fhir_api_send(res, 200, fhir_api_searchset(req, &qp, &q, entries, more));
}

bool fhir_qr_api_observation_page(http_request *req, http_response *res, const store_fhir_query *q,
                                  bool mnone, store_fhir_query *sq, bool snone, pl_id **mids,
                                  int *nm, pl_id **sids, int *ns, bool *more)
{
    api_context *app = req->app;
    pl_err err;
    pl_err_clear(&err);
    *nm = *ns = 0;
    *mids = *sids = NULL;
    *more = false;
    int64_t matched = 0; /* measurements that match, when this page reaches past them */
    if (!mnone) {
        bool mmore = false;
        if (store_fhir_observation_search(app->store, q, &req->arena, mids, nm, &mmore, &err) !=
            PL_OK)
            goto fail;
        if (mmore) {
            *more = true;
            return true;
        }
        if (*nm > 0 || q->offset == 0)
            matched = q->offset + *nm;
        else if (store_fhir_measurement_count(app->store, q, &matched, &err) != PL_OK)
            goto fail;
    }
    if (snone)
        return true;
    int room = q->count - *nm;
    int64_t from = q->offset - matched;
    sq->offset = from > 0 ? (int)from : 0;
    sq->count = room > 0 ? room : 1;
    bool smore = false;
    pl_id *found;
    int nfound;
    if (store_fhir_qr_search(app->store, sq, true, &req->arena, &found, &nfound, &smore, &err) !=
        PL_OK)
        goto fail;
    if (room <= 0) {
        *more = nfound > 0;
        return true;
    }
    *sids = found;
    *ns = nfound;
    *more = smore;
    return true;
fail:
    api_fhir_fail(res, &err);
    return false;
}

void fhir_qr_api_score_entries(http_request *req, const pl_id *sids, int ns, json_object *entries,
                               pl_id *pids)
{
    api_context *app = req->app;
    pl_err err;
    pl_err_clear(&err);
    for (int i = 0; i < ns; i++) {
        store_questionnaire r;
        pids[i] = 0;
        if (store_questionnaire_get(app->store, sids[i], &req->arena, &r, &err) != PL_OK)
            continue;
        pids[i] = r.participant_id;
        const char *id = pl_arena_printf(&req->arena, FHIR_SCORE_PREFIX "%lld" FHIR_SCORE_SUFFIX,
                                         (long long)r.id);
        json_object_array_add(entries, entry(req, "Observation", id, fhir_score_json(&r)));
    }
    if (ns)
        api_audit_reads(req, ENTITY, sids, pids, ns);
}

/* ---- create ------------------------------------------------------------------ */

pl_status fhir_api_qr_record_tx(store_tx *tx, http_request *req, store_questionnaire *q,
                                pl_err *err)
{
    json_object *scratch = json_object_new_object();
    pl_status st = api_questionnaire_record_tx(tx, req, q, scratch, err);
    json_object_put(scratch);
    if (st == PL_OK && (q->created_at == PL_TIME_NONE || q->created_at == 0))
        q->created_at = (pl_time)time(NULL);
    return st;
}

static pl_status create_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    store_questionnaire *q = ctx;
    pl_status st = fhir_api_qr_record_tx(tx, req, q, err);
    if (st != PL_OK)
        return st;
    out->status = 201;
    out->body = api_json_text(req, fhir_qr_json(q));
    out->version = 1;
    out->location = pl_arena_printf(&req->arena, "/fhir/QuestionnaireResponse/%lld/_history/1",
                                    (long long)q->id);
    return PL_OK;
}

/* A field error of the JSON API's scoring step under its FHIR name. */
static void fhir_names(pl_err *err)
{
    for (int i = 0; i < err->nfields; i++)
        if (strcmp(err->fields[i].field, "completed_at") == 0)
            snprintf(err->fields[i].field, sizeof err->fields[i].field, "authored");
}

pl_status fhir_api_qr_check(http_request *req, const fhir_qr *fq, pl_id pid, store_questionnaire *q,
                            pl_err *err)
{
    memset(q, 0, sizeof *q);
    q->participant_id = pid;
    q->instrument = fq->def->code;
    q->language = fq->language;
    q->completed_at = fq->authored != PL_TIME_NONE ? fq->authored : (pl_time)time(NULL);
    q->recorded_by = req->account.id;
    if (api_questionnaire_score(q, fq->answers, fq->n, &req->arena, err))
        return PL_OK;
    fhir_names(err);
    return err->status != PL_OK ? err->status : PL_INVALID;
}

void api_fhir_qr_create(http_request *req, http_response *res)
{
    api_context *app = req->app;
    if (!fhir_api_negotiate(req, res))
        return;
    json_object *o = fhir_api_body(req, res);
    if (!o)
        return;
    fhir_qr fq;
    pl_err err;
    pl_err_clear(&err);
    pl_status st = fhir_qr_from_json(o, &req->arena, &fq, &err);
    json_object_put(o);
    if (st != PL_OK) {
        api_fhir_fail(res, &err);
        api_audit(req, "create", ENTITY, 0, 0, res->status);
        return;
    }
    pl_id pid = 0;
    store_scope sc;
    if (!api_scope(req, res, &sc))
        return;
    if (fhir_api_resolve_patient(req, NULL, fq.subject, &pid, &err) != PL_OK ||
        store_participant_visible(app->store, &sc, pid, &err) != PL_OK) {
        fhir_api_outcome(res, 422,
                         pl_arena_printf(&req->arena, "subject.reference %s names no known Patient",
                                         fq.subject));
        api_audit(req, "create", ENTITY, 0, pid, 422);
        return;
    }
    store_questionnaire q;
    pl_err_clear(&err);
    if (fhir_api_qr_check(req, &fq, pid, &q, &err) != PL_OK) {
        api_fhir_fail(res, &err);
        api_audit(req, "create", ENTITY, 0, pid, res->status);
        return;
    }
    api_write(req, res, create_write, &q, sizeof q, ENTITY, pid);
}
