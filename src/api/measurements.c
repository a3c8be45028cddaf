/*
 * measurements.c - /api/v1/measurements: record a LOINC-coded value, read,
 * list.
 *
 * The value is taken exactly as written (a JSON number keeps its text, so
 * 7.50 stays "7.50"), converted to the analyte's canonical unit and
 * range-checked by measurement_prepare() (docs/MEASUREMENTS.md). The
 * participant must be in the caller's scope, else 404.
 *
 * Recording a value that breaks an escalation rule (core/rules.h) opens one
 * alert per rule in the same transaction, listed in the 201 body as
 * "alerts". The thresholds are the program's settings (settings.c). A new
 * HbA1c re-evaluates the participant's risk tier in the same write.
 *
 * The steps run inside a write are shared with FHIR (fhir.c, fhir_obs.c):
 * recording, correcting (the old version kept; the rules and the tier run
 * again on the new value) and voiding a value (it then counts nowhere; the
 * tier is refreshed without it).
 */
#include "common.h"
#include "core/measure.h"
#include "core/rules.h"
#include "store/store_measurement.h"

#define ENTITY "measurement"

/* The escalation rules on m's value (one alert per broken rule, listed in body "alerts") and
 * the risk tier refresh: what follows a value recorded or corrected. */
static pl_status after_value_tx(store_tx *tx, http_request *req, const pl_measurement *m,
                                json_object *body, pl_err *err)
{
    rules_settings rs;
    pl_status st = api_tx_rules(tx, req, m->participant_id, &rs, err);
    if (st != PL_OK)
        return st;
    rules_alert found[RULES_ALERT__COUNT];
    int nfound = 0;
    if ((st = rules_measurement_alerts(&rs, m, found, RULES_ALERT__COUNT, &nfound)) != PL_OK)
        return pl_err_set(err, st, "measurement: the escalation rules could not be applied");
    json_object *alerts = json_object_new_array();
    json_object_object_add(body, "alerts", alerts);
    for (int i = 0; i < nfound && st == PL_OK; i++) {
        store_alert al = {.participant_id = m->participant_id,
                          .kind = rules_alert_kind_name(found[i].kind),
                          .severity = rules_severity_name(found[i].severity),
                          .message = found[i].message,
                          .source_entity = ENTITY,
                          .source_id = m->id};
        st = api_alert_open(tx, req, &al, alerts, err);
    }
    if (st == PL_OK)
        st = api_tx_risk_refresh(tx, req, m->participant_id, ENTITY, m->id, body, err);
    return st;
}

pl_status api_measurement_record_tx(store_tx *tx, http_request *req, pl_measurement *m,
                                    json_object *body, pl_err *err)
{
    pl_status st = store_measurement_insert(tx, m, err);
    if (st == PL_OK)
        st = api_audit_tx(tx, req, "create", ENTITY, m->id, m->participant_id, 201, err);
    return st == PL_OK ? after_value_tx(tx, req, m, body, err) : st;
}

pl_status api_measurement_correct_tx(store_tx *tx, http_request *req, const pl_measurement *m,
                                     int version, json_object *body, pl_err *err)
{
    pl_status st = store_measurement_update(tx, m, version, err);
    if (st == PL_OK)
        st = api_audit_tx(tx, req, "update", ENTITY, m->id, m->participant_id, 200, err);
    return st == PL_OK ? after_value_tx(tx, req, m, body, err) : st;
}

pl_status api_measurement_void_tx(store_tx *tx, http_request *req, pl_id id, pl_id participant_id,
                                  int version, pl_err *err)
{
    pl_status st = store_measurement_void(tx, id, version, err);
    if (st == PL_OK)
        st = api_audit_tx(tx, req, "delete", ENTITY, id, participant_id, 204, err);
    /* an alert the value raised has no reason left: the care team's list drops it */
    pl_id *alerts = NULL;
    int nalerts = 0;
    if (st == PL_OK)
        st = store_alert_resolve_raised(tx, participant_id, ENTITY, id, req->account.id,
                                        "resolved by itself: the measurement that raised it was "
                                        "voided as entered in error",
                                        &req->arena, &alerts, &nalerts, err);
    for (int i = 0; i < nalerts && st == PL_OK; i++)
        st = api_audit_tx(tx, req, "resolve", "alert", alerts[i], participant_id, 200, err);
    json_object *scratch = json_object_new_object();
    if (st == PL_OK)
        st = api_tx_risk_refresh(tx, req, participant_id, ENTITY, id, scratch, err);
    json_object_put(scratch);
    return st;
}

static pl_status create_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    pl_measurement *m = ctx;
    /* alerts and the tier change are gathered first, then follow the record (with its id) */
    json_object *extra = json_object_new_object();
    pl_status st = api_measurement_record_tx(tx, req, m, extra, err);
    if (st != PL_OK) {
        json_object_put(extra);
        return st;
    }
    json_object *body = api_measurement_json(req, m);
    json_object_object_foreach(extra, key, val)
    {
        json_object_object_add(body, key, json_object_get(val));
    }
    json_object_put(extra);
    out->status = 201;
    out->body = api_json_text(req, body);
    out->location = pl_arena_printf(&req->arena, "/api/v1/measurements/%lld", (long long)m->id);
    return PL_OK;
}

void api_measurement_create(http_request *req, http_response *res)
{
    pl_measurement m = {.wave = -1};
    m.participant_id = api_body_id(req, "participant_id");
    if (!api_participant_in_scope(req, res, m.participant_id, ENTITY, 0))
        return;
    pl_err err;
    pl_err_clear(&err);
    m.code = api_body_str(req, "code");
    m.entered_value = api_body_str(req, "value");
    m.entered_unit = api_body_str(req, "unit");
    m.effective_at = api_body_time(req, "effective_at");
    if (pl_source_parse(api_body_str(req, "source"), &m.source) != PL_OK)
        pl_err_field(&err, "source", "must be emr, lab, point_of_care, self or peer");
    m.wave = (int)api_body_int(req, "wave", -1);
    m.recorded_by = req->account.id;
    if (err.nfields || measurement_prepare(&m, (pl_time)time(NULL), &err) != PL_OK) {
        api_fail(res, &err);
        api_audit(req, "create", ENTITY, 0, m.participant_id, res->status);
        return;
    }
    api_write(req, res, create_write, &m, sizeof m, ENTITY, m.participant_id);
}

void api_measurement_get(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_id id;
    if (!api_path_id(req, res, 0, &id))
        return;
    pl_measurement m = {0}; /* read below even when the store found nothing */
    pl_err err;
    pl_err_clear(&err);
    pl_status st = store_measurement_get(app->store, id, &req->arena, &m, &err);
    if (!api_record_readable(req, res, st, &err, ENTITY, id, m.participant_id))
        return;
    api_send_read(req, res, api_measurement_json(req, &m), ENTITY, id, m.participant_id);
}

void api_measurement_list(http_request *req, http_response *res)
{
    api_context *app = req->app;
    store_measurement_filter f = {.wave = -1};
    store_page pg;
    if (!api_scope(req, res, &f.scope) || !api_page(req, res, &pg) ||
        !api_query_id(req, res, "participant_id", &f.participant_id) ||
        !api_query_int(req, res, "wave", 0, 120, &f.wave))
        return;
    f.analyte = http_query_get(req, "analyte");
    f.code = http_query_get(req, "code");
    pl_measurement *items;
    int n;
    pl_err err;
    pl_err_clear(&err);
    if (store_measurement_list(app->store, &f, pg, &req->arena, &items, &n, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    json_object *arr = json_object_new_array();
    pl_id *ids = pl_arena_alloc(&req->arena, sizeof *ids * 2 * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        json_object_array_add(arr, api_measurement_json(req, &items[i]));
        if (ids) {
            ids[i] = items[i].id;
            ids[n + i] = items[i].participant_id;
        }
    }
    if (ids)
        api_audit_reads(req, ENTITY, ids, ids + n, n);
    api_send_list(req, res, arr, n, &pg, n ? items[n - 1].id : 0);
}
