/*
 * fhir.c - the FHIR R4 REST interface under /fhir: metadata, Patient
 * (participants) and Observation (measurements): read, vread, create,
 * update (Patient), search. Transaction and batch Bundles are fhir_bundle.c.
 *
 * The routes are lines of the one route table (routes.c), so the accounts,
 * bearer tokens and role checks are the JSON API's; scope is the caller's
 * (out of scope answers 404, as if the record did not exist). Every
 * participant read is audited like the JSON API's, every write goes through
 * api_write() and the same enrol / record steps (api_participant_enrol_tx,
 * api_measurement_record_tx) so escalation alerts and the risk tier follow
 * a FHIR write exactly as they follow a JSON one.
 *
 * Mapping is src/fhir; this file does the HTTP side: content negotiation
 * (application/fhir+json and application/json), OperationOutcome errors,
 * ETag W/"version" on every read, If-Match (412), search parameters into a
 * store_fhir_query, and searchset Bundles paged with _count and _offset
 * (the next link carries every parameter plus the next _offset).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/measure.h"
#include "core/time.h"
#include "fhir/fhir.h"
#include "fhir/fhir_qr.h"
#include "fhir_int.h"
#include "fhir_steps.h"
#include "store/store_measurement.h"
#include "fhir_qr_int.h"

#define CT_FHIR "application/fhir+json"

bool api_is_fhir(const http_request *req)
{
    return req->path && strncmp(req->path, "/fhir", 5) == 0 &&
           (req->path[5] == '\0' || req->path[5] == '/');
}

static const char *issue_code(int status)
{
    switch (status) {
    case 401:
        return "login";
    case 403:
        return "forbidden";
    case 404:
        return "not-found";
    case 409:
    case 412:
        return "conflict";
    case 410:
        return "deleted";
    case 413:
        return "too-costly";
    case 406:
    case 415:
        return "not-supported";
    case 422:
        return "processing";
    default:
        return status >= 500 ? "exception" : "invalid";
    }
}

void fhir_api_send(http_response *res, int status, json_object *o)
{
    api_send(res, status, o);
    res->content_type = CT_FHIR;
}

void fhir_api_outcome(http_response *res, int status, const char *diagnostics)
{
    fhir_api_send(res, status, fhir_outcome(issue_code(status), diagnostics));
}

void api_fhir_fail(http_response *res, const pl_err *err)
{
    int status = http_status_for(err->status);
    fhir_api_send(res, status, fhir_outcome_err(issue_code(status), err));
}

const char *fhir_api_base(http_request *req)
{
    const char *host = http_header_get(req, "Host");
    return pl_arena_printf(&req->arena, "http://%s/fhir", host ? host : "localhost");
}

/* JSON is all peerlink speaks: Accept and _format must allow it, else 406. */
bool fhir_api_negotiate(http_request *req, http_response *res)
{
    const char *accept = http_header_get(req, "Accept");
    const char *format = http_query_get(req, "_format");
    bool ok = !accept || !*accept || strstr(accept, "json") || strstr(accept, "*/*") ||
              strstr(accept, "application/*");
    if (format && strcmp(format, "json") != 0 && strcmp(format, "application/json") != 0 &&
        strcmp(format, CT_FHIR) != 0)
        ok = false;
    if (!ok)
        fhir_api_outcome(res, 406,
                         "peerlink answers JSON only: Accept application/fhir+json or "
                         "application/json (_format=json)");
    return ok;
}

static bool media_is(const char *ct, const char *media)
{
    size_t n = strlen(media);
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return strncasecmp(ct, media, n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}

json_object *fhir_api_body(http_request *req, http_response *res)
{
    const char *ct = http_header_get(req, "Content-Type");
    if (!ct || !(media_is(ct, CT_FHIR) || media_is(ct, "application/json"))) {
        fhir_api_outcome(res, 415,
                         "Content-Type must be application/fhir+json or application/json");
        return NULL;
    }
    json_object *o;
    pl_err err;
    pl_err_clear(&err);
    if (fhir_parse(req->body ? req->body : "", req->body_len, &o, &err) != PL_OK) {
        fhir_api_outcome(res, err.status == PL_NOMEM ? 500 : 400, err.message);
        return NULL;
    }
    return o;
}

/* {id}: a positive integer, else 404 naming the resource. */
bool fhir_api_path_id(http_request *req, http_response *res, int i, const char *type, pl_id *out)
{
    const char *s = i < req->nparams ? req->params[i] : NULL;
    long long v = 0;
    bool ok = s && *s && strlen(s) <= 18;
    for (const char *c = s; ok && *c; c++) {
        ok = *c >= '0' && *c <= '9';
        v = v * 10 + (*c - '0');
    }
    if (!ok || v <= 0) {
        fhir_api_outcome(res, 404,
                         pl_arena_printf(&req->arena, "%s/%s is not known", type, s ? s : ""));
        return false;
    }
    *out = (pl_id)v;
    return true;
}

/* ---- reading one record ------------------------------------------------------- */

bool fhir_api_found(http_request *req, http_response *res, pl_status st, pl_err *err,
                    const char *shown, pl_id id, const char *action, const char *entity,
                    pl_id participant_id)
{
    api_context *app = req->app;
    store_scope sc;
    if (st == PL_OK) {
        if (!api_scope(req, res, &sc))
            return false;
        st = store_participant_visible(app->store, &sc, participant_id, err);
    }
    if (st == PL_NOTFOUND)
        fhir_api_outcome(res, 404, pl_arena_printf(&req->arena, "%s is not known", shown));
    else if (st != PL_OK)
        api_fhir_fail(res, err);
    if (st != PL_OK)
        api_audit(req, action, entity, id, participant_id, res->status);
    return st == PL_OK;
}

/* "Type/id", as a 404 names it. */
static const char *shown(http_request *req, const char *type, pl_id id)
{
    return pl_arena_printf(&req->arena, "%s/%lld", type, (long long)id);
}

bool fhir_api_load_patient(http_request *req, http_response *res, pl_id id, pl_participant *p)
{
    api_context *app = req->app;
    pl_err err;
    pl_err_clear(&err);
    pl_status st = store_participant_get(app->store, id, &req->arena, p, &err);
    return fhir_api_found(req, res, st, &err, shown(req, "Patient", id), id, "read", "participant",
                          id);
}

/* A Patient with its identifiers; upd PL_TIME_NONE: the current version's lastUpdated. */
static json_object *patient_json_at(http_request *req, const pl_participant *p, pl_time upd)
{
    api_context *app = req->app;
    pl_err err;
    pl_err_clear(&err);
    store_fhir_ident *ids = NULL;
    int n = 0;
    if (store_fhir_idents(app->store, "Patient", p->id, &req->arena, &ids, &n, &err) != PL_OK)
        n = 0;
    if (upd == PL_TIME_NONE &&
        store_fhir_participant_updated(app->store, p->id, &upd, &err) != PL_OK)
        upd = PL_TIME_NONE;
    return fhir_patient_json(p, ids, n, upd);
}

json_object *fhir_api_patient_json(http_request *req, const pl_participant *p)
{
    return patient_json_at(req, p, PL_TIME_NONE);
}

bool fhir_api_load_observation(http_request *req, http_response *res, const char *action, pl_id id,
                               pl_measurement *m, store_measurement_meta *meta)
{
    api_context *app = req->app;
    pl_err err;
    pl_err_clear(&err);
    memset(m, 0, sizeof *m);
    pl_status st = store_measurement_meta_get(app->store, id, &req->arena, m, meta, &err);
    return fhir_api_found(req, res, st, &err, shown(req, "Observation", id), id, action,
                          "measurement", m->participant_id);
}

json_object *fhir_api_observation_json(http_request *req, const pl_measurement *m)
{
    api_context *app = req->app;
    pl_err err;
    pl_err_clear(&err);
    pl_measurement cur;
    store_measurement_meta meta = {1, PL_TIME_NONE, false};
    if (store_measurement_meta_get(app->store, m->id, &req->arena, &cur, &meta, &err) != PL_OK)
        meta.version = 1;
    pl_measurement shown = *m;
    shown.version = meta.version;
    return fhir_observation_json(&shown, meta.updated);
}

/* The version of a vread: the current one only (history is not kept). */
bool fhir_api_version_kept(http_request *req, http_response *res, const char *type, pl_id id,
                           int current)
{
    const char *v = req->nparams > 1 ? req->params[1] : "";
    char want[24];
    snprintf(want, sizeof want, "%d", current);
    if (strcmp(v, want) == 0)
        return true;
    fhir_api_outcome(res, 404,
                     pl_arena_printf(&req->arena,
                                     "%s/%lld/_history/%s is not kept: peerlink keeps the current "
                                     "version only, which is %d",
                                     type, (long long)id, v, current));
    return false;
}

/*
 * A Patient's vread: the current version, or an earlier one as it was (kept by every update
 * since migration 14). False with 404 written when that version is not kept.
 */
static bool patient_version(http_request *req, http_response *res, pl_participant *p, pl_time *upd)
{
    api_context *app = req->app;
    const char *v = req->nparams > 1 ? req->params[1] : "";
    char *end;
    long want = strtol(v, &end, 10);
    *upd = PL_TIME_NONE;
    if (*v && !*end && want == p->version)
        return true;
    pl_err err;
    pl_err_clear(&err);
    pl_participant old;
    if (*v && !*end && want > 0 && want < p->version &&
        store_participant_version_get(app->store, p->id, (int)want, &req->arena, &old, upd, &err) ==
            PL_OK) {
        *p = old;
        return true;
    }
    fhir_api_outcome(res, 404,
                     pl_arena_printf(&req->arena,
                                     "Patient/%lld/_history/%s is not known: the current version "
                                     "is %d, and earlier ones are kept from the first update on",
                                     (long long)p->id, v, p->version));
    return false;
}

static void read_patient(http_request *req, http_response *res, bool vread)
{
    pl_id id;
    pl_participant p;
    pl_time upd = PL_TIME_NONE;
    if (!fhir_api_negotiate(req, res) || !fhir_api_path_id(req, res, 0, "Patient", &id) ||
        !fhir_api_load_patient(req, res, id, &p))
        return;
    if (vread && !patient_version(req, res, &p, &upd)) {
        api_audit(req, "read", "participant", id, id, 404);
        return;
    }
    fhir_api_send(res, 200, patient_json_at(req, &p, upd));
    api_etag(req, res, p.version);
    api_audit(req, "read", "participant", id, id, 200);
}

/* One entry of a history Bundle: the version, and the interaction that made it. */
static json_object *history_entry(http_request *req, const pl_participant *p, pl_time upd)
{
    json_object *e = fhir_api_entry(req, "Patient", p->id, patient_json_at(req, p, upd), NULL);
    json_object *rq = json_object_new_object();
    json_object_object_add(rq, "method", json_object_new_string(p->version == 1 ? "POST" : "PUT"));
    json_object_object_add(rq, "url",
                           json_object_new_string(p->version == 1
                                                      ? "Patient"
                                                      : pl_arena_printf(&req->arena, "Patient/%lld",
                                                                        (long long)p->id)));
    json_object_object_add(e, "request", rq);
    json_object *rs = json_object_new_object();
    json_object_object_add(rs, "status", json_object_new_string(p->version == 1 ? "201" : "200"));
    json_object_object_add(
        rs, "etag", json_object_new_string(pl_arena_printf(&req->arena, "W/\"%d\"", p->version)));
    json_object_object_add(e, "response", rs);
    return e;
}

/* The most versions a history Bundle lists (newest first). */
#define HISTORY_MAX 100

void api_fhir_patient_history(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_id id;
    pl_participant p;
    if (!fhir_api_negotiate(req, res) || !fhir_api_path_id(req, res, 0, "Patient", &id) ||
        !fhir_api_load_patient(req, res, id, &p))
        return;
    pl_participant *old = NULL;
    pl_time *at = NULL;
    int n = 0;
    pl_err err;
    pl_err_clear(&err);
    if (store_participant_versions(app->store, id, HISTORY_MAX - 1, &req->arena, &old, &at, &n,
                                   &err) != PL_OK) {
        api_fhir_fail(res, &err);
        api_audit(req, "read", "participant", id, id, res->status);
        return;
    }
    json_object *entries = json_object_new_array();
    json_object_array_add(entries, history_entry(req, &p, PL_TIME_NONE));
    for (int i = 0; i < n; i++)
        json_object_array_add(entries, history_entry(req, &old[i], at[i]));
    json_object *b = json_object_new_object();
    json_object_object_add(b, "resourceType", json_object_new_string("Bundle"));
    json_object_object_add(b, "type", json_object_new_string("history"));
    json_object_object_add(b, "entry", entries);
    fhir_api_send(res, 200, b);
    api_audit(req, "read", "participant", id, id, 200);
}

void api_fhir_patient_read(http_request *req, http_response *res)
{
    read_patient(req, res, false);
}

void api_fhir_patient_vread(http_request *req, http_response *res)
{
    read_patient(req, res, true);
}

/*
 * An Observation's vread: the current version, or an earlier one as it was (kept by every
 * correction since migration 16). False with 404 written when that version is not kept.
 */
static bool observation_version(http_request *req, http_response *res, pl_measurement *m,
                                pl_time *upd)
{
    api_context *app = req->app;
    const char *v = req->nparams > 1 ? req->params[1] : "";
    char *end;
    long want = strtol(v, &end, 10);
    if (*v && !*end && want == m->version)
        return true;
    pl_err err;
    pl_err_clear(&err);
    pl_measurement old;
    if (*v && !*end && want > 0 && want < m->version &&
        store_measurement_version_get(app->store, m->id, (int)want, &req->arena, &old, upd, &err) ==
            PL_OK) {
        *m = old;
        return true;
    }
    fhir_api_outcome(res, 404,
                     pl_arena_printf(&req->arena,
                                     "Observation/%lld/_history/%s is not known: the current "
                                     "version is %d",
                                     (long long)m->id, v, m->version));
    return false;
}

static void read_observation(http_request *req, http_response *res, bool vread)
{
    pl_id id;
    pl_measurement m;
    store_measurement_meta meta;
    if (req->nparams > 0 && fhir_score_id(req->params[0])) {
        fhir_qr_api_score_read(req, res, vread);
        return;
    }
    if (!fhir_api_negotiate(req, res) || !fhir_api_path_id(req, res, 0, "Observation", &id) ||
        !fhir_api_load_observation(req, res, "read", id, &m, &meta))
        return;
    if (meta.voided) {
        fhir_api_outcome(res, 410,
                         pl_arena_printf(&req->arena,
                                         "Observation/%lld was deleted (entered in "
                                         "error)",
                                         (long long)id));
        api_audit(req, "read", "measurement", id, m.participant_id, 410);
        return;
    }
    pl_time upd = meta.updated;
    if (vread && !observation_version(req, res, &m, &upd)) {
        api_audit(req, "read", "measurement", id, m.participant_id, 404);
        return;
    }
    fhir_api_send(res, 200, fhir_observation_json(&m, upd));
    api_etag(req, res, m.version);
    api_audit(req, "read", "measurement", id, m.participant_id, 200);
}

void api_fhir_observation_read(http_request *req, http_response *res)
{
    read_observation(req, res, false);
}

void api_fhir_observation_vread(http_request *req, http_response *res)
{
    read_observation(req, res, true);
}

void api_fhir_metadata(http_request *req, http_response *res)
{
    if (fhir_api_negotiate(req, res))
        fhir_api_send(res, 200, fhir_capability());
}

/* ---- references ------------------------------------------------------------------ */

pl_status fhir_api_resolve_patient(http_request *req, store_tx *tx, const char *ref, pl_id *id,
                                   pl_err *err)
{
    api_context *app = req->app;
    *id = 0;
    if (!ref)
        return pl_err_set(err, PL_INVALID, "subject.reference is required");
    const char *rest = strncmp(ref, "Patient/", 8) == 0 ? ref + 8 : NULL;
    if (rest) {
        bool digits = *rest != '\0' && strlen(rest) <= 18;
        for (const char *c = rest; digits && *c; c++)
            digits = *c >= '0' && *c <= '9';
        long long v = 0;
        for (const char *c = rest; digits && *c; c++)
            v = v * 10 + (*c - '0');
        if (digits && v > 0) {
            *id = (pl_id)v;
            return PL_OK;
        }
        pl_status st =
            tx ? store_tx_fhir_ident_find(tx, "Patient", FHIR_SYS_SOURCE, ref, id, err)
               : store_fhir_ident_find(app->store, "Patient", FHIR_SYS_SOURCE, ref, id, err);
        if (st == PL_NOTFOUND)
            pl_err_set(err, PL_INVALID, "subject.reference %s names no known Patient", ref);
        return st == PL_NOTFOUND ? PL_INVALID : st;
    }
    if (strncmp(ref, "Patient?identifier=", 19) == 0) {
        const char *v = ref + 19, *bar = strchr(v, '|');
        const char *system = bar ? pl_arena_strndup(&req->arena, v, (size_t)(bar - v)) : NULL;
        const char *value = bar ? bar + 1 : v;
        pl_status st =
            tx ? store_tx_fhir_ident_find(tx, "Patient", system && *system ? system : NULL, value,
                                          id, err)
               : store_fhir_ident_find(app->store, "Patient", system && *system ? system : NULL,
                                       value, id, err);
        if (st == PL_NOTFOUND)
            pl_err_set(err, PL_INVALID, "the conditional reference %s matches no Patient", ref);
        return st == PL_NOTFOUND ? PL_INVALID : st;
    }
    return pl_err_set(err, PL_INVALID,
                      "subject.reference must be Patient/id or Patient?identifier=system|value, "
                      "not %s",
                      ref);
}

/* ---- search ------------------------------------------------------------------------ */

static void collect(void *ctx, const char *name, const char *value)
{
    fhir_qparams *q = ctx;
    if (q->n == FHIR_QPARAMS_MAX) {
        q->overflow = true;
        return;
    }
    q->name[q->n] = name;
    q->value[q->n++] = value ? value : "";
}

static const char *url_encode(pl_arena *a, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = pl_arena_alloc(a, n * 3 + 1);
    if (!out)
        return "";
    char *o = out;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
            strchr("-._~:,", *c)) {
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

/* The search URL with its parameters (without _offset), then &_offset=offset when >= 0. */
static const char *search_url(http_request *req, const fhir_qparams *q, int offset)
{
    pl_arena *a = &req->arena;
    const char *url = pl_arena_printf(a, "%s%s", fhir_api_base(req), req->path + 5);
    char sep = '?';
    for (int i = 0; i < q->n; i++) {
        if (strcmp(q->name[i], "_offset") == 0)
            continue;
        url = pl_arena_printf(a, "%s%c%s=%s", url, sep, url_encode(a, q->name[i]),
                              url_encode(a, q->value[i]));
        sep = '&';
    }
    if (offset >= 0)
        url = pl_arena_printf(a, "%s%c_offset=%d", url, sep, offset);
    return url;
}

static json_object *link(const char *relation, const char *url)
{
    json_object *l = json_object_new_object();
    json_object_object_add(l, "relation", json_object_new_string(relation));
    json_object_object_add(l, "url", json_object_new_string(url));
    return l;
}

json_object *fhir_api_entry(http_request *req, const char *type, pl_id id, json_object *resource,
                            const char *mode)
{
    json_object *e = json_object_new_object();
    json_object_object_add(
        e, "fullUrl",
        json_object_new_string(
            pl_arena_printf(&req->arena, "%s/%s/%lld", fhir_api_base(req), type, (long long)id)));
    json_object_object_add(e, "resource", resource);
    if (mode) {
        json_object *s = json_object_new_object();
        json_object_object_add(s, "mode", json_object_new_string(mode));
        json_object_object_add(e, "search", s);
    }
    return e;
}

void fhir_api_bad_param(http_request *req, http_response *res, const char *name, const char *value,
                        const char *rule)
{
    fhir_api_outcome(res, 400,
                     pl_arena_printf(&req->arena, "search parameter %s=%s: %s", name, value, rule));
}

static bool parse_int(const char *s, long lo, long hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

/* Narrows r by one date parameter; false when malformed. */
bool fhir_api_apply_date(store_fhir_range *r, const char *value, bool allow_ne)
{
    char prefix[3];
    pl_time lo, hi;
    if (fhir_date_param(value, prefix, &lo, &hi) != PL_OK)
        return false;
    if (strcmp(prefix, "ne") == 0) {
        if (!allow_ne || r->ne_lo != PL_TIME_NONE)
            return false;
        r->ne_lo = lo;
        r->ne_hi = hi;
        return true;
    }
    pl_time nlo = PL_TIME_NONE, nhi = PL_TIME_NONE;
    if (strcmp(prefix, "eq") == 0) {
        nlo = lo;
        nhi = hi;
    } else if (strcmp(prefix, "ge") == 0) {
        nlo = lo;
    } else if (strcmp(prefix, "gt") == 0) {
        nlo = hi;
    } else if (strcmp(prefix, "le") == 0) {
        nhi = hi;
    } else {
        nhi = lo; /* lt */
    }
    if (nlo != PL_TIME_NONE && (r->lo == PL_TIME_NONE || nlo > r->lo))
        r->lo = nlo;
    if (nhi != PL_TIME_NONE && (r->hi == PL_TIME_NONE || nhi < r->hi))
        r->hi = nhi;
    return true;
}

/* The parameters both searches share; false with 400 written. *none: matches nothing. */
bool fhir_api_common_param(http_request *req, http_response *res, const char *name,
                           const char *value, store_fhir_query *q, bool *handled, bool *none)
{
    *handled = true;
    if (strcmp(name, "_id") == 0) {
        int v;
        if (!parse_int(value, 1, 2000000000, &v))
            *none = true;
        else
            q->id = v;
    } else if (strcmp(name, "_lastUpdated") == 0) {
        if (!fhir_api_apply_date(&q->updated, value, false)) {
            fhir_api_bad_param(req, res, name, value, "must be [eq|gt|lt|ge|le]date or dateTime");
            return false;
        }
    } else if (strcmp(name, "_count") == 0) {
        if (!parse_int(value, 1, 1000, &q->count)) {
            fhir_api_bad_param(req, res, name, value, "must be 1 to 1000");
            return false;
        }
    } else if (strcmp(name, "_offset") == 0) {
        if (!parse_int(value, 0, 100000000, &q->offset)) {
            fhir_api_bad_param(req, res, name, value, "must be a whole number from 0");
            return false;
        }
    } else if (strcmp(name, "_format") != 0 && strcmp(name, "_pretty") != 0) {
        *handled = false;
    }
    return true;
}

void fhir_api_patient_param(http_request *req, const char *value, store_fhir_query *q, bool *none)
{
    const char *ref = strncmp(value, "Patient/", 8) == 0
                          ? value
                          : pl_arena_printf(&req->arena, "Patient/%s", value);
    pl_id id;
    pl_err err;
    pl_err_clear(&err);
    if (fhir_api_resolve_patient(req, NULL, ref, &id, &err) != PL_OK ||
        (q->participant_id && q->participant_id != id))
        *none = true;
    else
        q->participant_id = id;
}

bool fhir_api_time_param(http_request *req, http_response *res, const char *name, const char *value,
                         const char *field, store_fhir_query *q, bool *handled)
{
    *handled = true;
    if (strcmp(name, field) == 0) {
        if (!fhir_api_apply_date(&q->date, value, true)) {
            fhir_api_bad_param(
                req, res, name, value,
                "must be [eq|ne|gt|lt|ge|le] and a date or dateTime (one ne at most)");
            return false;
        }
    } else if (strcmp(name, "_sort") == 0) {
        if (strcmp(value, field) == 0)
            q->sort = 1;
        else if (value[0] == '-' && strcmp(value + 1, field) == 0)
            q->sort = -1;
        else if (strcmp(value, "_id") == 0)
            q->sort = 0;
        else {
            fhir_api_bad_param(
                req, res, name, value,
                pl_arena_printf(&req->arena, "must be %s, -%s or _id", field, field));
            return false;
        }
    } else {
        *handled = false;
    }
    return true;
}

void fhir_api_init_query(store_fhir_query *q)
{
    memset(q, 0, sizeof *q);
    q->date = (store_fhir_range){PL_TIME_NONE, PL_TIME_NONE, PL_TIME_NONE, PL_TIME_NONE};
    q->updated = q->date;
    q->count = 50;
}

bool fhir_api_gather(http_request *req, http_response *res, fhir_qparams *qp)
{
    memset(qp, 0, sizeof *qp);
    qp->req = req;
    http_query_each(req, collect, qp);
    if (qp->overflow) {
        fhir_api_outcome(res, 400, "a search takes at most 32 parameters");
        return false;
    }
    return true;
}

json_object *fhir_api_searchset(http_request *req, const fhir_qparams *qp,
                                const store_fhir_query *q, json_object *entries, bool more)
{
    json_object *b = json_object_new_object();
    json_object_object_add(b, "resourceType", json_object_new_string("Bundle"));
    json_object_object_add(b, "type", json_object_new_string("searchset"));
    json_object *links = json_object_new_array();
    json_object_array_add(links, link("self", search_url(req, qp, q->offset ? q->offset : -1)));
    if (more)
        json_object_array_add(links, link("next", search_url(req, qp, q->offset + q->count)));
    json_object_object_add(b, "link", links);
    json_object_object_add(b, "entry", entries);
    return b;
}

void api_fhir_patient_search(http_request *req, http_response *res)
{
    api_context *app = req->app;
    fhir_qparams qp;
    store_fhir_query q;
    fhir_api_init_query(&q);
    if (!fhir_api_negotiate(req, res) || !fhir_api_gather(req, res, &qp) ||
        !api_scope(req, res, &q.scope))
        return;
    bool none = false;
    pl_err err;
    pl_err_clear(&err);
    for (int i = 0; i < qp.n; i++) {
        bool handled;
        if (!fhir_api_common_param(req, res, qp.name[i], qp.value[i], &q, &handled, &none))
            return;
        if (handled)
            continue;
        if (strcmp(qp.name[i], "identifier") == 0) {
            const char *v = qp.value[i], *bar = strchr(v, '|');
            const char *sys = bar ? pl_arena_strndup(&req->arena, v, (size_t)(bar - v)) : NULL;
            const char *val = bar ? bar + 1 : v;
            pl_id id = 0;
            pl_status st = PL_NOTFOUND;
            if (sys && strcmp(sys, FHIR_SYS_MRN) == 0)
                st = store_fhir_participant_by_number(app->store, true, val, &id, &err);
            else if (sys && strcmp(sys, FHIR_SYS_PARTICIPANT) == 0)
                st = store_fhir_participant_by_number(app->store, false, val, &id, &err);
            else
                st = store_fhir_ident_find(app->store, "Patient", sys && *sys ? sys : NULL, val,
                                           &id, &err);
            if (st == PL_NOTFOUND && (!sys || !*sys) &&
                store_fhir_participant_by_number(app->store, true, val, &id, &err) != PL_OK &&
                store_fhir_participant_by_number(app->store, false, val, &id, &err) != PL_OK)
                id = 0;
            if (id <= 0 || (q.id && q.id != id))
                none = true;
            else
                q.id = id;
        } else {
            fhir_api_bad_param(req, res, qp.name[i], qp.value[i],
                               "not a Patient search parameter peerlink supports (_id, identifier, "
                               "_lastUpdated, _count)");
            return;
        }
    }
    pl_id *ids = NULL;
    int n = 0;
    bool more = false;
    if (!none &&
        store_fhir_patient_search(app->store, &q, &req->arena, &ids, &n, &more, &err) != PL_OK) {
        api_fhir_fail(res, &err);
        return;
    }
    json_object *entries = json_object_new_array();
    for (int i = 0; i < n; i++) {
        pl_participant p;
        if (store_participant_get(app->store, ids[i], &req->arena, &p, &err) != PL_OK)
            continue;
        json_object_array_add(
            entries, fhir_api_entry(req, "Patient", p.id, fhir_api_patient_json(req, &p), "match"));
    }
    if (n)
        api_audit_reads(req, "participant", ids, ids, n);
    fhir_api_send(res, 200, fhir_api_searchset(req, &qp, &q, entries, more));
}

void api_fhir_observation_search(http_request *req, http_response *res)
{
    api_context *app = req->app;
    fhir_qparams qp;
    store_fhir_query q;
    fhir_api_init_query(&q);
    if (!fhir_api_negotiate(req, res) || !fhir_api_gather(req, res, &qp) ||
        !api_scope(req, res, &q.scope))
        return;
    /* score Observations: the same query but for _id and code (instrument codes) */
    bool none = false, include = false, snone = false, have_code = false;
    pl_id score_id = 0;
    const char *score_codes[STORE_FHIR_CODES_MAX];
    int nscore_codes = 0;
    pl_err err;
    pl_err_clear(&err);
    for (int i = 0; i < qp.n; i++) {
        const char *name = qp.name[i], *value = qp.value[i];
        bool handled;
        if (strcmp(name, "_id") == 0 && fhir_score_id(value)) {
            if (score_id && score_id != fhir_score_id(value))
                snone = true;
            score_id = fhir_score_id(value);
            none = true;
            continue;
        }
        if (strcmp(name, "_id") == 0)
            snone = true;
        if (!fhir_api_common_param(req, res, name, value, &q, &handled, &none))
            return;
        if (handled)
            continue;
        if (strcmp(name, "patient") == 0 || strcmp(name, "subject") == 0) {
            bool nobody = false;
            fhir_api_patient_param(req, value, &q, &nobody);
            if (nobody)
                none = snone = true;
        } else if (strcmp(name, "code") == 0) {
            if (have_code) {
                fhir_api_bad_param(req, res, name, value,
                                   "give one code parameter; a comma means OR");
                return;
            }
            have_code = true;
            const char *p = value;
            bool any = false;
            while (*p) {
                size_t len = strcspn(p, ",");
                const char *tok = pl_arena_strndup(&req->arena, p, len);
                const instrument_def *sd = fhir_score_code(tok);
                if (sd && nscore_codes < STORE_FHIR_CODES_MAX)
                    score_codes[nscore_codes++] = sd->code;
                const char *bar = strchr(tok, '|');
                const char *code = bar ? bar + 1 : tok;
                bool loinc = !bar || bar == tok || strncmp(tok, FHIR_LOINC "|", 17) == 0;
                if (loinc && *code) {
                    if (q.ncodes == STORE_FHIR_CODES_MAX) {
                        fhir_api_bad_param(req, res, name, value, "at most 8 codes");
                        return;
                    }
                    q.codes[q.ncodes++] = code;
                    any = true;
                }
                p += len;
                if (*p == ',')
                    p++;
            }
            if (!any)
                none = true;
            if (!nscore_codes)
                snone = true;
        } else if (!fhir_api_time_param(req, res, name, value, "date", &q, &handled)) {
            return;
        } else if (handled) {
            continue;
        } else if (strcmp(name, "_include") == 0) {
            if (strcmp(value, "Observation:patient") != 0 &&
                strcmp(value, "Observation:subject") != 0) {
                fhir_api_bad_param(req, res, name, value, "only Observation:patient is supported");
                return;
            }
            include = true;
        } else {
            fhir_api_bad_param(
                req, res, name, value,
                "not an Observation search parameter peerlink supports (_id, patient, "
                "subject, code, date, _lastUpdated, _count, _sort, _include)");
            return;
        }
    }
    store_fhir_query sq = q;
    sq.id = score_id;
    sq.ncodes = nscore_codes;
    for (int i = 0; i < nscore_codes; i++)
        sq.codes[i] = score_codes[i];
    pl_id *ids = NULL, *sids = NULL;
    int n = 0, ns = 0;
    bool more = false;
    if (!fhir_qr_api_observation_page(req, res, &q, none, &sq, snone, &ids, &n, &sids, &ns, &more))
        return;
    json_object *entries = json_object_new_array();
    pl_id *pids = pl_arena_alloc(&req->arena, sizeof *pids * (size_t)(n + ns + 1));
    pl_id *included = pl_arena_alloc(&req->arena, sizeof *included * (size_t)(n + ns + 1));
    int nincluded = 0;
    for (int i = 0; i < n && pids && included; i++) {
        pl_measurement m;
        pids[i] = 0;
        if (store_measurement_get(app->store, ids[i], &req->arena, &m, &err) != PL_OK)
            continue;
        pids[i] = m.participant_id;
        json_object_array_add(entries, fhir_api_entry(req, "Observation", m.id,
                                                      fhir_api_observation_json(req, &m), "match"));
    }
    if (pids && ns)
        fhir_qr_api_score_entries(req, sids, ns, entries, pids + n);
    for (int i = 0; include && pids && included && i < n + ns; i++) {
        bool seen = pids[i] == 0;
        for (int j = 0; j < nincluded && !seen; j++)
            seen = included[j] == pids[i];
        pl_participant p;
        if (seen || store_participant_get(app->store, pids[i], &req->arena, &p, &err) != PL_OK)
            continue;
        included[nincluded++] = p.id;
        json_object_array_add(entries, fhir_api_entry(req, "Patient", p.id,
                                                      fhir_api_patient_json(req, &p), "include"));
    }
    if (n && pids)
        api_audit_reads(req, "measurement", ids, pids, n);
    if (nincluded)
        api_audit_reads(req, "participant", included, included, nincluded);
    fhir_api_send(res, 200, fhir_api_searchset(req, &qp, &q, entries, more));
}

/* ---- Patient create and update ---------------------------------------------------- */

static pl_date today(void)
{
    return pl_time_date((pl_time)time(NULL));
}

pl_status fhir_api_put_idents(store_tx *tx, const char *type, const char *source_id,
                              const fhir_ident *ids, int n, pl_id local_id, http_request *req,
                              pl_err *err)
{
    pl_status st = PL_OK;
    for (int i = 0; i < n && st == PL_OK; i++)
        st = store_fhir_ident_put(tx, type, ids[i].system, ids[i].value, local_id, err);
    if (st == PL_OK && source_id)
        st = store_fhir_ident_put(tx, type, FHIR_SYS_SOURCE,
                                  pl_arena_printf(&req->arena, "%s/%s", type, source_id), local_id,
                                  err);
    return st;
}

/* The body of a written Patient: the record as read back (identifiers included). */
static json_object *written_patient(const fhir_patient *fp, const pl_participant *p)
{
    store_fhir_ident ids[FHIR_IDENTS_MAX];
    for (int i = 0; i < fp->nidents; i++)
        ids[i] = (store_fhir_ident){fp->idents[i].system, fp->idents[i].value};
    return fhir_patient_json(p, ids, fp->nidents, (pl_time)time(NULL));
}

static pl_status patient_create_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                                      pl_err *err)
{
    fhir_patient *fp = ctx;
    pl_status st = fhir_api_enrol(tx, req, fp, err);
    if (st != PL_OK)
        return st;
    out->status = 201;
    out->body = api_json_text(req, written_patient(fp, &fp->p));
    out->version = fp->p.version;
    out->location = pl_arena_printf(&req->arena, "/fhir/Patient/%lld/_history/%d",
                                    (long long)fp->p.id, fp->p.version);
    return PL_OK;
}

pl_status fhir_api_enrol(store_tx *tx, http_request *req, fhir_patient *fp, pl_err *err)
{
    pl_status st = api_participant_enrol_tx(tx, req, &fp->p, err);
    if (st == PL_OK)
        st =
            fhir_api_put_idents(tx, "Patient", fp->id, fp->idents, fp->nidents, fp->p.id, req, err);
    if (st == PL_OK && fp->p.version == 0)
        fp->p.version = 1;
    return st;
}

bool fhir_api_patient_prepare(http_request *req, json_object *o, fhir_patient *fp, pl_err *err)
{
    api_context *app = req->app;
    if (fhir_patient_from_json(o, &req->arena, fp, err) != PL_OK)
        return false;
    pl_participant *p = &fp->p;
    p->enrol_date = today();
    p->status = PL_ENROL_ENROLLED;
    p->status_date = PL_DATE_NONE;
    /* FHIR Patient carries no consent: the manager who sends it enrols the person, as
       POST /participants with consent true does (docs/FHIR.md, "Enrolment") */
    p->consent = true;
    p->consent_date = p->enrol_date;
    p->treatment = PL_TREAT_UNKNOWN;
    if (fp->managing_org) {
        int v;
        if (strncmp(fp->managing_org, "Organization/", 13) != 0 ||
            !parse_int(fp->managing_org + 13, 1, 2000000000, &v)) {
            pl_err_field(err, "managingOrganization.reference",
                         "must be Organization/id of a peerlink org unit");
            return false;
        }
        p->home_unit_id = v;
    } else if (store_fhir_intake_unit(app->store, api_scope_unit(req), &p->home_unit_id, err) !=
               PL_OK) {
        pl_err_clear(err);
        pl_err_field(err, "managingOrganization",
                     "is required: no org unit below a program in your scope to enrol into");
        return false;
    }
    return true;
}

void api_fhir_patient_create(http_request *req, http_response *res)
{
    if (!fhir_api_negotiate(req, res))
        return;
    json_object *o = fhir_api_body(req, res);
    if (!o)
        return;
    fhir_patient fp;
    pl_err err;
    pl_err_clear(&err);
    bool ok = fhir_api_patient_prepare(req, o, &fp, &err);
    json_object_put(o);
    if (!ok) {
        api_fhir_fail(res, &err);
        api_audit(req, "create", "participant", 0, 0, res->status);
        return;
    }
    api_write(req, res, patient_create_write, &fp, sizeof fp, "participant", 0);
}

typedef struct patient_update_ctx {
    pl_id id;
    int if_match;
    fhir_patient fp;
} patient_update_ctx;

pl_status fhir_api_patient_update_tx(store_tx *tx, http_request *req, pl_id id, int if_match,
                                     const fhir_patient *fp, pl_participant *p, pl_err *err)
{
    pl_status st = store_tx_participant_get(tx, id, &req->arena, p, err);
    if (st != PL_OK)
        return st;
    if (if_match >= 0 && if_match != p->version)
        return pl_err_set(err, PL_STALE,
                          "If-Match names version %d but Patient/%lld is at version %d; read it "
                          "again and retry",
                          if_match, (long long)id, p->version);
    const pl_person *np = &fp->p.person;
    p->person.given_name = np->given_name;
    p->person.family_name = np->family_name;
    p->person.sex = np->sex;
    p->person.birth_date = np->birth_date;
    p->person.phone = np->phone;
    p->person.address = np->address;
    p->person.language = np->language;
    if (fp->p.mrn)
        p->mrn = fp->p.mrn;
    if (fp->p.program_ident)
        p->program_ident = fp->p.program_ident;
    int version = p->version;
    if (participant_validate(p, today(), err) != PL_OK)
        return PL_INVALID;
    if ((st = store_participant_update(tx, p, version, err)) != PL_OK ||
        (st = api_audit_tx(tx, req, "update", "participant", p->id, p->id, 200, err)) != PL_OK)
        return st;
    return fhir_api_put_idents(tx, "Patient", NULL, fp->idents, fp->nidents, p->id, req, err);
}

static pl_status patient_update_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                                      pl_err *err)
{
    patient_update_ctx *c = ctx;
    pl_participant p;
    pl_status st = fhir_api_patient_update_tx(tx, req, c->id, c->if_match, &c->fp, &p, err);
    if (st != PL_OK)
        return st;
    out->status = 200;
    out->body = api_json_text(req, written_patient(&c->fp, &p));
    out->version = p.version;
    return PL_OK;
}

void api_fhir_patient_update(http_request *req, http_response *res)
{
    patient_update_ctx c = {0};
    if (!fhir_api_negotiate(req, res) || !fhir_api_path_id(req, res, 0, "Patient", &c.id))
        return;
    pl_participant cur;
    if (!fhir_api_load_patient(req, res, c.id, &cur))
        return;
    const char *im = http_header_get(req, "If-Match");
    c.if_match = -1;
    if (im) {
        int v;
        const char *p = im;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        size_t n = strlen(p);
        if (n < 3 || p[0] != '"' || p[n - 1] != '"' ||
            !parse_int(pl_arena_strndup(&req->arena, p + 1, n - 2), 0, 2000000000, &v)) {
            fhir_api_outcome(res, 412, "If-Match must be an ETag such as W/\"3\"");
            return;
        }
        c.if_match = v;
    }
    json_object *o = fhir_api_body(req, res);
    if (!o)
        return;
    pl_err err;
    pl_err_clear(&err);
    bool ok = fhir_patient_from_json(o, &req->arena, &c.fp, &err) == PL_OK;
    json_object_put(o);
    if (ok && c.fp.id && strcmp(c.fp.id, req->params[0]) != 0) {
        fhir_api_outcome(res, 400,
                         pl_arena_printf(&req->arena,
                                         "id %s in the body must be the id of the URL, %s", c.fp.id,
                                         req->params[0]));
        api_audit(req, "update", "participant", c.id, c.id, 400);
        return;
    }
    if (!ok) {
        api_fhir_fail(res, &err);
        api_audit(req, "update", "participant", c.id, c.id, res->status);
        return;
    }
    api_write(req, res, patient_update_write, &c, sizeof c, "participant", c.id);
}

/* ---- Observation create -------------------------------------------------------------- */

bool fhir_api_observation_prepare(http_request *req, fhir_observation *fo, pl_id participant_id,
                                  pl_err *err)
{
    pl_time now = (pl_time)time(NULL);
    double sbp = -1, dbp = -1;
    for (int i = 0; i < fo->nm; i++) {
        pl_measurement *m = &fo->m[i];
        m->participant_id = participant_id;
        m->recorded_by = req->account.id;
        if (measurement_prepare(m, now, err) != PL_OK)
            return false;
        if (strcmp(m->analyte, "sbp") == 0)
            sbp = m->value;
        else if (strcmp(m->analyte, "dbp") == 0)
            dbp = m->value;
    }
    return !(sbp >= 0 && dbp >= 0 && measure_bp_validate(sbp, dbp, err) != PL_OK);
}

pl_status fhir_api_record(store_tx *tx, http_request *req, fhir_observation *fo, pl_err *err)
{
    pl_status st = PL_OK;
    for (int i = 0; i < fo->nm && st == PL_OK; i++) {
        json_object *scratch = json_object_new_object();
        st = api_measurement_record_tx(tx, req, &fo->m[i], scratch, err);
        json_object_put(scratch);
    }
    if (st == PL_OK && fo->nm > 0)
        st = fhir_api_put_idents(tx, "Observation", fo->id, fo->idents, fo->nidents, fo->m[0].id,
                                 req, err);
    return st;
}

static pl_status observation_create_write(store_tx *tx, http_request *req, void *ctx,
                                          api_result *out, pl_err *err)
{
    fhir_observation *fo = ctx;
    pl_status st = fhir_api_record(tx, req, fo, err);
    if (st != PL_OK)
        return st;
    out->status = 201;
    out->body = api_json_text(req, fhir_observation_json(&fo->m[0], (pl_time)time(NULL)));
    out->version = 1;
    out->location =
        pl_arena_printf(&req->arena, "/fhir/Observation/%lld/_history/1", (long long)fo->m[0].id);
    return PL_OK;
}

void api_fhir_observation_create(http_request *req, http_response *res)
{
    if (!fhir_api_negotiate(req, res))
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
        api_fhir_fail(res, &err);
        api_audit(req, "create", "measurement", 0, 0, res->status);
        return;
    }
    if (fo.not_kept) {
        fhir_api_outcome(res, 422, pl_arena_printf(&req->arena, "not kept: %s", fo.not_kept));
        api_audit(req, "create", "measurement", 0, 0, 422);
        return;
    }
    pl_id pid;
    if (fhir_api_resolve_patient(req, NULL, fo.subject, &pid, &err) != PL_OK) {
        api_fhir_fail(res, &err);
        api_audit(req, "create", "measurement", 0, 0, res->status);
        return;
    }
    api_context *app = req->app;
    store_scope sc;
    if (!api_scope(req, res, &sc))
        return;
    if (store_participant_visible(app->store, &sc, pid, &err) != PL_OK) {
        fhir_api_outcome(res, 422,
                         pl_arena_printf(&req->arena, "subject.reference %s names no known Patient",
                                         fo.subject));
        api_audit(req, "create", "measurement", 0, pid, 422);
        return;
    }
    if (!fhir_api_observation_prepare(req, &fo, pid, &err)) {
        api_fhir_fail(res, &err);
        api_audit(req, "create", "measurement", 0, pid, res->status);
        return;
    }
    api_write(req, res, observation_create_write, &fo, sizeof fo, "measurement", pid);
}
