/*
 * questionnaires.c - /api/v1/questionnaire-responses: record and score a
 * questionnaire (core/instrument.h), read, list.
 *
 * The answers are scored by instrument_score() before anything is written:
 * a wrong number of answers or an answer out of the instrument's range is a
 * 422 naming each answer. The participant must be in the caller's scope,
 * else 404. A PHQ-9 whose item 9 is answered above 0 opens an urgent
 * "self_harm_risk" alert in the same transaction, listed in the 201 body as
 * "alerts". Evaluators see the participant's pseudonym and a shifted
 * completed_at, like every other record (docs/PRIVACY.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "core/instrument.h"

#define ENTITY "questionnaire_response"

static json_object *subscales_json(const char *text)
{
    if (!text)
        return NULL;
    return json_tokener_parse(text);
}

json_object *api_questionnaire_json(http_request *req, const store_questionnaire *q)
{
    api_context *app = req->app;
    bool deid = api_is_evaluator(req);
    json_object *o = json_object_new_object();
    if (deid) {
        char pseudonym[API_PSEUDONYM_LEN];
        api_pseudonym(app, q->participant_id, pseudonym);
        json_object_object_add(o, "pseudonym", json_object_new_string(pseudonym));
    } else {
        json_object_object_add(o, "id", json_object_new_int64(q->id));
        json_object_object_add(o, "participant_id", json_object_new_int64(q->participant_id));
    }
    json_object_object_add(o, "instrument", api_json_str(q->instrument));
    json_object_object_add(o, "language", api_json_str(q->language));
    json_object *answers = json_object_new_array();
    for (const char *p = q->answers; p && *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        json_object_array_add(answers, v < 0 ? NULL : json_object_new_int((int)v));
        p = *end == ',' ? end + 1 : end;
    }
    json_object_object_add(o, "answers", answers);
    json_object_object_add(o, "scored", json_object_new_boolean(q->scored));
    json_object_object_add(o, "score", q->scored ? json_object_new_double(q->score) : NULL);
    json_object_object_add(o, "band", api_json_str(q->band));
    json_object_object_add(o, "subscales", subscales_json(q->subscales));
    json_object_object_add(o, "positive_screen",
                           json_object_new_boolean((q->flags & STORE_QR_POSITIVE_SCREEN) != 0));
    json_object_object_add(o, "urgent", json_object_new_boolean((q->flags & STORE_QR_URGENT) != 0));
    json_object_object_add(o, "safety_item_missing",
                           json_object_new_boolean((q->flags & STORE_QR_SAFETY_ITEM_MISSING) != 0));
    json_object_object_add(o, "prorated",
                           json_object_new_boolean((q->flags & STORE_QR_PRORATED) != 0));
    int shift = deid ? api_date_shift(app, q->participant_id) : 0;
    json_object_object_add(o, "completed_at",
                           api_json_time(q->completed_at + (pl_time)shift * 86400));
    if (!deid) {
        json_object_object_add(o, "recorded_by", api_json_id(q->recorded_by));
        json_object_object_add(o, "created_at", api_json_time(q->created_at));
    }
    return o;
}

pl_status api_questionnaire_record_tx(store_tx *tx, http_request *req, store_questionnaire *q,
                                      json_object *body, pl_err *err)
{
    pl_status st = store_questionnaire_insert(tx, q, err);
    if (st == PL_OK)
        st = api_audit_tx(tx, req, "create", ENTITY, q->id, q->participant_id, 201, err);
    if (st != PL_OK)
        return st;
    json_object *alerts = json_object_new_array();
    json_object_object_add(body, "alerts", alerts);
    if (q->flags & STORE_QR_URGENT) {
        store_alert al = {.participant_id = q->participant_id,
                          .kind = "self_harm_risk",
                          .severity = "urgent",
                          .message = "PHQ-9 item 9 (thoughts of self-harm) was answered above 0: "
                                     "contact the participant today",
                          .source_entity = ENTITY,
                          .source_id = q->id};
        st = api_alert_open(tx, req, &al, alerts, err);
    }
    if (st == PL_OK)
        st = api_tx_risk_refresh(tx, req, q->participant_id, ENTITY, q->id, body, err);
    return st;
}

static pl_status create_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    store_questionnaire *q = ctx;
    json_object *extra = json_object_new_object();
    pl_status st = api_questionnaire_record_tx(tx, req, q, extra, err);
    if (st != PL_OK) {
        json_object_put(extra);
        return st;
    }
    json_object *body = api_questionnaire_json(req, q);
    json_object_object_foreach(extra, key, val)
    {
        json_object_object_add(body, key, json_object_get(val));
    }
    json_object_put(extra);
    out->status = 201;
    out->body = api_json_text(req, body);
    out->location =
        pl_arena_printf(&req->arena, "/api/v1/questionnaire-responses/%lld", (long long)q->id);
    return PL_OK;
}

bool api_questionnaire_score(store_questionnaire *q, const int *answers, int n, pl_arena *a,
                             pl_err *err)
{
    const instrument_def *d = instrument_find(q->instrument);
    instrument_result r;
    memset(&r, 0, sizeof r);
    if (!d)
        pl_err_field(err, "instrument", "is not an instrument peerlink scores");
    else if (instrument_score(d, answers, n, &r, err) != PL_OK && err->nfields == 0)
        pl_err_field(err, "answers", "must have %d answers", d->nitems);
    if (err->nfields == 0 && q->completed_at > (pl_time)time(NULL) + 300)
        pl_err_field(err, "completed_at", "must not be in the future");
    if (err->nfields) {
        err->status = PL_INVALID;
        return false;
    }
    return store_questionnaire_set_result(q, &r, answers, n, a, err) == PL_OK;
}

void api_questionnaire_create(http_request *req, http_response *res)
{
    store_questionnaire q = {0};
    q.participant_id = api_body_id(req, "participant_id");
    if (!api_participant_in_scope(req, res, q.participant_id, ENTITY, 0))
        return;
    pl_err err;
    pl_err_clear(&err);
    q.instrument = api_body_str(req, "instrument");
    q.language = api_body_str(req, "language");
    q.completed_at = api_body_time(req, "completed_at");
    q.recorded_by = req->account.id;
    int n;
    int *answers = api_body_ints(req, "answers", &n);
    if (!api_questionnaire_score(&q, answers, n, &req->arena, &err)) {
        api_fail(res, &err);
        if (err.status == PL_INVALID)
            api_audit(req, "create", ENTITY, 0, q.participant_id, res->status);
        return;
    }
    api_write(req, res, create_write, &q, sizeof q, ENTITY, q.participant_id);
}

void api_questionnaire_get(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_id id;
    if (!api_path_id(req, res, 0, &id))
        return;
    store_questionnaire q = {0}; /* read below even when the store found nothing */
    pl_err err;
    pl_err_clear(&err);
    pl_status st = store_questionnaire_get(app->store, id, &req->arena, &q, &err);
    if (!api_record_readable(req, res, st, &err, ENTITY, id, q.participant_id))
        return;
    api_send_read(req, res, api_questionnaire_json(req, &q), ENTITY, id, q.participant_id);
}

void api_questionnaire_list(http_request *req, http_response *res)
{
    api_context *app = req->app;
    store_questionnaire_filter f = {0};
    store_page pg;
    if (!api_scope(req, res, &f.scope) || !api_page(req, res, &pg) ||
        !api_query_id(req, res, "participant_id", &f.participant_id))
        return;
    f.instrument = http_query_get(req, "instrument");
    store_questionnaire *items;
    int n;
    pl_err err;
    pl_err_clear(&err);
    if (store_questionnaire_list(app->store, &f, pg, &req->arena, &items, &n, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    json_object *arr = json_object_new_array();
    pl_id *ids = pl_arena_alloc(&req->arena, sizeof *ids * 2 * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        json_object_array_add(arr, api_questionnaire_json(req, &items[i]));
        if (ids) {
            ids[i] = items[i].id;
            ids[n + i] = items[i].participant_id;
        }
    }
    if (ids)
        api_audit_reads(req, ENTITY, ids, ids + n, n);
    api_send_list(req, res, arr, n, &pg, n ? items[n - 1].id : 0);
}
