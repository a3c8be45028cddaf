/*
 * fhir_obs.c - FHIR Observation update and delete: a correction of a
 * measurement (PUT /fhir/Observation/{id}) and its voiding (DELETE, or a
 * PUT with status entered-in-error).
 *
 * A measurement is versioned since migration 16 (store_measurement.h). PUT
 * reads the Observation as a create does, keeps what a correction may not
 * change (the participant, what was measured: a value of the same LOINC
 * code), measurement_prepare()s the new value and writes it through the
 * JSON API's measurement step api_measurement_correct_tx (the old version
 * kept, audited, the escalation rules and the risk tier run again) under
 * If-Match (412 when stale). A corrected measurement reads back with status
 * corrected and its new version; vread answers every earlier version as it
 * was. DELETE voids it through api_measurement_void_tx (audited, the risk
 * tier refreshed without it): afterwards a read, vread or PUT answers 410
 * Gone, searches and every count of measurements leave it out, and deleting
 * it again answers 204. Score Observations (qr-N-total) follow their
 * questionnaire response and are not written here: their ids are not
 * measurement ids, so PUT and DELETE of them answer 404.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/measure.h"
#include "fhir/fhir_bundle.h"
#include "fhir_int.h"
#include "store/store_measurement.h"

#define ENTITY "measurement"

/* If-Match as a version (-1: none); 412 written and false when it is not an ETag. */
static bool if_match(http_request *req, http_response *res, int *v)
{
    const char *im = http_header_get(req, "If-Match");
    *v = im ? fhir_bundle_etag(im) : -1;
    if (im && *v < 0) {
        fhir_api_outcome(res, 412, "If-Match must be an ETag such as W/\"3\"");
        return false;
    }
    return true;
}

typedef struct obs_write {
    pl_measurement m; /* the corrected values (id, participant, source, wave kept) */
    int if_match;
    bool void_it; /* entered-in-error */
} obs_write;

/* The version the write runs at: If-Match's, which must be current (PL_STALE), else current. */
static pl_status current(store_tx *tx, http_request *req, obs_write *w, int *version, pl_err *err)
{
    pl_measurement cur;
    store_measurement_meta meta;
    pl_status st = store_tx_measurement_meta_get(tx, w->m.id, &req->arena, &cur, &meta, err);
    if (st != PL_OK)
        return st;
    if (meta.voided)
        return pl_err_set(err, PL_NOTFOUND, "Observation/%lld was deleted", (long long)w->m.id);
    if (w->if_match >= 0 && w->if_match != meta.version)
        return pl_err_set(err, PL_STALE,
                          "If-Match names version %d but Observation/%lld is at version %d; "
                          "read it again and retry",
                          w->if_match, (long long)w->m.id, meta.version);
    *version = meta.version;
    return PL_OK;
}

static pl_status update_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    obs_write *w = ctx;
    int version = 0;
    pl_status st = current(tx, req, w, &version, err);
    if (st != PL_OK)
        return st;
    json_object *scratch = json_object_new_object();
    st = w->void_it ? api_measurement_void_tx(tx, req, w->m.id, w->m.participant_id, version, err)
                    : api_measurement_correct_tx(tx, req, &w->m, version, scratch, err);
    json_object_put(scratch);
    if (st != PL_OK)
        return st;
    w->m.version = version + 1;
    json_object *o = fhir_observation_json(&w->m, (pl_time)time(NULL));
    if (w->void_it)
        json_object_object_add(o, "status", json_object_new_string("entered-in-error"));
    out->status = 200;
    out->body = api_json_text(req, o);
    out->version = version + 1;
    return PL_OK;
}

/* "field message" of a correction PUT refused (422), audited. */
static void refuse(http_request *req, http_response *res, pl_id id, pl_id pid, pl_err *err)
{
    err->status = PL_INVALID;
    api_fhir_fail(res, err);
    api_audit(req, "update", ENTITY, id, pid, res->status);
}

void api_fhir_observation_update(http_request *req, http_response *res)
{
    obs_write w = {0};
    pl_id id;
    pl_measurement cur;
    store_measurement_meta meta;
    if (!fhir_api_negotiate(req, res) || !fhir_api_path_id(req, res, 0, "Observation", &id) ||
        !fhir_api_load_observation(req, res, "update", id, &cur, &meta))
        return;
    if (meta.voided) {
        fhir_api_outcome(
            res, 410, pl_arena_printf(&req->arena, "Observation/%lld was deleted", (long long)id));
        api_audit(req, "update", ENTITY, id, cur.participant_id, 410);
        return;
    }
    if (!if_match(req, res, &w.if_match))
        return;
    json_object *o = fhir_api_body(req, res);
    if (!o)
        return;
    fhir_observation fo;
    pl_err err;
    pl_err_clear(&err);
    pl_status st = fhir_observation_from_json(o, &req->arena, &fo, &err);
    json_object_put(o);
    if (st != PL_OK) {
        refuse(req, res, id, cur.participant_id, &err);
        return;
    }
    if (fo.id && strcmp(fo.id, req->params[0]) != 0)
        pl_err_field(&err, "id", "must be %s, the id of the URL", req->params[0]);
    pl_id pid = 0;
    pl_err ignore;
    pl_err_clear(&ignore);
    if (fhir_api_resolve_patient(req, NULL, fo.subject, &pid, &ignore) != PL_OK ||
        pid != cur.participant_id)
        pl_err_field(&err, "subject.reference",
                     "must stay Patient/%lld: a value does not move to another person",
                     (long long)cur.participant_id);
    w.m = cur;
    w.void_it = fo.entered_in_error;
    if (!w.void_it && fo.not_kept)
        pl_err_field(&err, "code", "%s", fo.not_kept);
    else if (!w.void_it && fo.nm != 1)
        pl_err_field(&err, "component",
                     "a blood-pressure panel is two measurements: correct each Observation");
    else if (!w.void_it && strcmp(fo.m[0].code, cur.code) != 0)
        pl_err_field(&err, "code",
                     "must stay %s: a correction changes the value, not what was measured",
                     cur.code);
    if (!err.nfields && !w.void_it) {
        w.m.code = fo.m[0].code;
        w.m.entered_value = fo.m[0].entered_value;
        w.m.entered_unit = fo.m[0].entered_unit;
        w.m.effective_at = fo.m[0].effective_at;
        measurement_prepare(&w.m, (pl_time)time(NULL), &err);
    }
    if (err.nfields) {
        refuse(req, res, id, cur.participant_id, &err);
        return;
    }
    api_write(req, res, update_write, &w, sizeof w, ENTITY, cur.participant_id);
}

static pl_status delete_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    obs_write *w = ctx;
    int version = 0;
    pl_status st = current(tx, req, w, &version, err);
    if (st == PL_NOTFOUND && strstr(err->message, "was deleted")) {
        out->status = 204; /* deleting what is deleted changes nothing */
        return PL_OK;
    }
    if (st == PL_OK)
        st = api_measurement_void_tx(tx, req, w->m.id, w->m.participant_id, version, err);
    if (st == PL_OK)
        out->status = 204;
    return st;
}

void api_fhir_observation_delete(http_request *req, http_response *res)
{
    obs_write w = {0};
    pl_id id;
    store_measurement_meta meta;
    if (!fhir_api_negotiate(req, res) || !fhir_api_path_id(req, res, 0, "Observation", &id) ||
        !fhir_api_load_observation(req, res, "delete", id, &w.m, &meta) ||
        !if_match(req, res, &w.if_match))
        return;
    api_write(req, res, delete_write, &w, sizeof w, ENTITY, w.m.participant_id);
}
