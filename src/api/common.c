/*
 * common.c - the helpers every handler shares; see common.h.
 *
 * The write wrapper is the heart of it: api_write() runs a handler's write
 * function in one store_write() (so in one savepoint of a group commit),
 * with the Idempotency-Key check and the stored answer inside the same
 * transaction, so a retried POST either replays or writes, never both.
 */
#include "common.h"

#include <errno.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/time.h"
#include "eval/eval.h"

/* ---- who is asking ------------------------------------------------------ */

pl_id api_scope_unit(const http_request *req)
{
    return req->account.role == PL_ROLE_ADMIN ? 0 : req->account.scope_unit_id;
}

bool api_is_evaluator(const http_request *req)
{
    return req->account.role == PL_ROLE_EVALUATOR;
}

bool api_scope(http_request *req, http_response *res, store_scope *out)
{
    api_context *app = req->app;
    out->unit_id = api_scope_unit(req);
    out->peer_leader_id = 0;
    if (req->account.role != PL_ROLE_PEER_LEADER)
        return true;
    pl_err err;
    pl_err_clear(&err);
    pl_id leader = 0;
    pl_status st =
        req->account.person_id > 0
            ? store_peer_leader_by_person(app->store, req->account.person_id, &leader, &err)
            : PL_NOTFOUND;
    if (st == PL_NOTFOUND) {
        out->peer_leader_id = -1; /* a peer-leader login with no peer leader sees nobody */
        return true;
    }
    if (st != PL_OK) {
        api_fail(res, &err);
        return false;
    }
    out->peer_leader_id = leader;
    return true;
}

bool api_participant_in_scope(http_request *req, http_response *res, pl_id participant_id,
                              const char *entity, pl_id record_id)
{
    api_context *app = req->app;
    store_scope sc;
    if (!api_scope(req, res, &sc))
        return false;
    if (sc.unit_id == 0 && sc.peer_leader_id == 0 && record_id)
        return true; /* unrestricted, and the record was read: its participant exists */
    pl_err err;
    pl_err_clear(&err);
    if (store_participant_visible(app->store, &sc, participant_id, &err) == PL_OK)
        return true;
    if (err.status == PL_NOTFOUND) {
        char detail[64];
        snprintf(detail, sizeof detail, "%s not found", record_id ? entity : "participant");
        http_problem(res, 404, detail, NULL);
    } else {
        api_fail(res, &err);
    }
    api_audit(req, record_id ? "read" : "create", entity, record_id, participant_id, res->status);
    return false;
}

bool api_record_readable(http_request *req, http_response *res, pl_status st, const pl_err *err,
                         const char *entity, pl_id id, pl_id participant_id)
{
    if (st != PL_OK) {
        api_fail(res, err);
        if (st == PL_NOTFOUND)
            api_audit(req, "read", entity, id, 0, 404);
        return false;
    }
    return api_participant_in_scope(req, res, participant_id, entity, id);
}

void api_send_read(http_request *req, http_response *res, json_object *o, const char *entity,
                   pl_id id, pl_id participant_id)
{
    api_send(res, 200, o);
    api_audit(req, "read", entity, id, participant_id, 200);
}

/* ---- answering ---------------------------------------------------------- */

void api_fail(http_response *res, const pl_err *err)
{
    int status = http_status_for(err->status);
    if (status >= 500) {
        fprintf(stderr, "peerlink: %s\n", err->message);
        http_problem(res, status, "the server could not complete the request", NULL);
        return;
    }
    http_problem(res, status, err->message[0] ? err->message : NULL, err);
}

void api_send(http_response *res, int status, json_object *o)
{
    http_json(
        res, status,
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

const char *api_json_text(http_request *req, json_object *o)
{
    const char *s = pl_arena_strdup(
        &req->arena,
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}

void api_etag(http_request *req, http_response *res, int version)
{
    http_header(res, "ETag", pl_arena_printf(&req->arena, "W/\"%d\"", version));
}

int api_if_match_version(http_request *req, http_response *res)
{
    const char *h = http_header_get(req, "If-Match");
    if (!h || strcmp(h, "*") == 0)
        return -1; /* "*" matches any current version (RFC 9110 §13.1.1) */
    if (strncmp(h, "W/", 2) == 0)
        h += 2;
    char *end;
    errno = 0;
    long v = *h == '"' ? strtol(h + 1, &end, 10) : -1;
    if (v < 1 || errno || *end != '"' || end[1] != '\0') {
        http_problem(res, 412, "If-Match must be an ETag this server gave, such as W/\"3\"", NULL);
        return -2;
    }
    return (int)v;
}

pl_status api_version_check(int if_match, int version, const char *what, pl_err *err)
{
    if (if_match >= 0 && if_match != version)
        return pl_err_set(err, PL_STALE,
                          "the %s was changed since you read it; reload and try again", what);
    return PL_OK;
}

bool api_if_match(http_request *req, http_response *res, int version)
{
    int want = api_if_match_version(req, res);
    if (want == -2)
        return false;
    if (want >= 0 && want != version) {
        http_problem(res, 412, "the record was changed since you read it; reload and try again",
                     NULL);
        return false;
    }
    return true;
}

static uint64_t cursor_permute(const api_context *app, uint64_t v, bool inverse);

/* ---- request parameters ------------------------------------------------- */

/* Parses a whole decimal integer in [lo, hi]. */
static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool api_path_id(http_request *req, http_response *res, int i, pl_id *out)
{
    long v;
    if (i >= req->nparams || !parse_long(req->params[i], 1, 0x7fffffffffffffffL, &v)) {
        http_problem(res, 404, "no such resource", NULL);
        return false;
    }
    *out = v;
    return true;
}

static bool bad_query(http_response *res, const char *name, const char *rule)
{
    pl_err err;
    pl_err_clear(&err);
    pl_err_field(&err, name, "%s", rule);
    http_problem(res, 400, "a query parameter is malformed", &err);
    return false;
}

bool api_page(http_request *req, http_response *res, store_page *out)
{
    long v;
    out->after = 0;
    out->limit = 50;
    const char *after = http_query_get(req, "after");
    const char *limit = http_query_get(req, "limit");
    if (after && api_is_evaluator(req)) {
        char *end;
        errno = 0;
        unsigned long long c = strtoull(after, &end, 16);
        if (errno || end == after || *end || strlen(after) != 16)
            return bad_query(res, "after", "must be the cursor of a next link");
        out->after = (pl_id)cursor_permute(req->app, c, true);
        if (out->after < 0)
            return bad_query(res, "after", "must be the cursor of a next link");
    } else if (after) {
        if (!parse_long(after, 0, 0x7fffffffffffffffL, &v))
            return bad_query(res, "after", "must be a record id (a whole number)");
        out->after = v;
    }
    if (limit) {
        if (!parse_long(limit, 1, 200, &v))
            return bad_query(res, "limit", "must be a whole number from 1 to 200");
        out->limit = (int)v;
    }
    return true;
}

/* Filters on identifiers or real times would let an evaluator undo the pseudonyms and shifts. */
static bool evaluator_refused(http_request *req, http_response *res, const char *name)
{
    if (!api_is_evaluator(req) || (strcmp(name, "participant_id") != 0 &&
                                   strcmp(name, "since") != 0 && strcmp(name, "until") != 0))
        return false;
    pl_err err;
    pl_err_clear(&err);
    pl_err_field(&err, name, "is not available on de-identified data");
    http_problem(res, 400, "a query parameter is not available to evaluators", &err);
    return true;
}

bool api_query_id(http_request *req, http_response *res, const char *name, pl_id *out)
{
    const char *s = http_query_get(req, name);
    long v;
    *out = 0;
    if (!s)
        return true;
    if (evaluator_refused(req, res, name))
        return false;
    if (!parse_long(s, 1, 0x7fffffffffffffffL, &v))
        return bad_query(res, name, "must be a record id (a positive whole number)");
    *out = v;
    return true;
}

bool api_query_int(http_request *req, http_response *res, const char *name, long lo, long hi,
                   int *out)
{
    const char *s = http_query_get(req, name);
    long v;
    if (!s)
        return true;
    if (!parse_long(s, lo, hi, &v)) {
        char rule[64];
        snprintf(rule, sizeof rule, "must be a whole number from %ld to %ld", lo, hi);
        return bad_query(res, name, rule);
    }
    *out = (int)v;
    return true;
}

bool api_query_time(http_request *req, http_response *res, const char *name, pl_time *out)
{
    const char *s = http_query_get(req, name);
    *out = PL_TIME_NONE;
    if (!s)
        return true;
    if (evaluator_refused(req, res, name))
        return false;
    if (pl_time_parse(s, out) != PL_OK)
        return bad_query(res, name, "must be an RFC 3339 time such as 2026-11-23T00:00:00Z");
    return true;
}

static json_object *body_field(const http_request *req, const char *name)
{
    json_object *v = NULL;
    if (!req->json || !json_object_object_get_ex(req->json, name, &v))
        return NULL;
    return v;
}

bool api_body_has(const http_request *req, const char *name)
{
    return req->json && json_object_object_get_ex(req->json, name, NULL);
}

bool api_body_null(const http_request *req, const char *name)
{
    return api_body_has(req, name) && body_field(req, name) == NULL;
}

const char *api_body_str(const http_request *req, const char *name)
{
    json_object *v = body_field(req, name);
    return v ? json_object_get_string(v) : NULL;
}

long api_body_int(const http_request *req, const char *name, long absent)
{
    json_object *v = body_field(req, name);
    return v ? (long)json_object_get_int64(v) : absent;
}

bool api_body_bool(const http_request *req, const char *name, bool absent)
{
    json_object *v = body_field(req, name);
    return v ? json_object_get_boolean(v) != 0 : absent;
}

pl_id api_body_id(const http_request *req, const char *name)
{
    json_object *v = body_field(req, name);
    return v ? (pl_id)json_object_get_int64(v) : 0;
}

pl_date api_body_date(const http_request *req, const char *name)
{
    const char *s = api_body_str(req, name);
    pl_date d;
    return s && pl_date_parse(s, &d) == PL_OK ? d : PL_DATE_NONE;
}

pl_time api_body_time(const http_request *req, const char *name)
{
    const char *s = api_body_str(req, name);
    pl_time t;
    return s && pl_time_parse(s, &t) == PL_OK ? t : PL_TIME_NONE;
}

const char **api_body_strings(http_request *req, const char *name, int *n)
{
    json_object *v = body_field(req, name);
    *n = 0;
    if (!v || !json_object_is_type(v, json_type_array))
        return NULL;
    int len = (int)json_object_array_length(v);
    const char **out = pl_arena_alloc(&req->arena, sizeof *out * (size_t)(len ? len : 1));
    if (!out)
        return NULL;
    for (int i = 0; i < len; i++)
        out[i] = json_object_get_string(json_object_array_get_idx(v, (size_t)i));
    *n = len;
    return out;
}

int *api_body_ints(http_request *req, const char *name, int *n)
{
    json_object *v = body_field(req, name);
    *n = 0;
    if (!v || !json_object_is_type(v, json_type_array))
        return NULL;
    int len = (int)json_object_array_length(v);
    int *out = pl_arena_alloc(&req->arena, sizeof *out * (size_t)(len ? len : 1));
    if (!out)
        return NULL;
    for (int i = 0; i < len; i++)
        out[i] = json_object_get_int(json_object_array_get_idx(v, (size_t)i));
    *n = len;
    return out;
}

/* ---- JSON output -------------------------------------------------------- */

json_object *api_json_date(pl_date d)
{
    if (d == PL_DATE_NONE)
        return NULL;
    char s[PL_DATE_STRLEN];
    pl_date_format(d, s);
    return json_object_new_string(s);
}

json_object *api_json_time(pl_time t)
{
    if (t == PL_TIME_NONE)
        return NULL;
    char s[PL_TIME_STRLEN];
    pl_time_format(t, s);
    return json_object_new_string(s);
}

json_object *api_json_str(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

json_object *api_json_id(pl_id id)
{
    return id > 0 ? json_object_new_int64(id) : NULL;
}

#define ADD(o, k, v) json_object_object_add((o), (k), (v))

/* Per-request cache of program-defined key-function codes (req->scratch). */
typedef struct kf_cache {
    pl_id program_id;
    const char *codes[PL_KF_MAX_BITS];
} kf_cache;

const char *const *api_key_function_codes(http_request *req, pl_id program_id)
{
    kf_cache *c = req->scratch;
    if (c && c->program_id == program_id)
        return c->codes;
    if (!c) {
        c = pl_arena_alloc(&req->arena, sizeof *c);
        if (!c)
            return NULL;
        req->scratch = c;
    }
    pl_err err;
    pl_err_clear(&err);
    api_context *app = req->app;
    if (store_key_function_codes(app->store, program_id, &req->arena, c->codes, &err) != PL_OK)
        return NULL;
    c->program_id = program_id;
    return c->codes;
}

json_object *api_participant_json(http_request *req, const pl_participant *p)
{
    api_context *app = req->app;
    json_object *o = json_object_new_object();
    if (api_is_evaluator(req)) {
        char pseudonym[API_PSEUDONYM_LEN];
        api_pseudonym(app, p->id, pseudonym);
        int shift = api_date_shift(app, p->id);
        ADD(o, "pseudonym", json_object_new_string(pseudonym));
        ADD(o, "program_id", api_json_id(p->program_id));
        ADD(o, "sex", json_object_new_string(pl_sex_name(p->person.sex)));
        int by = eval_birth_year(p->person.birth_date, pl_time_date((pl_time)time(NULL)));
        ADD(o, "birth_year",
            by == EVAL_BIRTH_90PLUS ? json_object_new_string("90+")
            : by                    ? json_object_new_int(by)
                                    : NULL);
        ADD(o, "language", api_json_str(p->person.language));
        ADD(o, "diagnosis_year", p->diagnosis_year ? json_object_new_int(p->diagnosis_year) : NULL);
        ADD(o, "treatment", json_object_new_string(pl_treatment_name(p->treatment)));
        ADD(o, "enrol_date", api_json_date(p->enrol_date + shift));
        ADD(o, "status", json_object_new_string(pl_enrol_status_name(p->status)));
        ADD(o, "status_date",
            api_json_date(p->status_date == PL_DATE_NONE ? PL_DATE_NONE : p->status_date + shift));
        ADD(o, "consent", json_object_new_boolean(p->consent));
        ADD(o, "consent_date",
            api_json_date(p->consent_date == PL_DATE_NONE ? PL_DATE_NONE
                                                          : p->consent_date + shift));
        ADD(o, "home_unit_id", api_json_id(p->home_unit_id));
        ADD(o, "peer_leader_id", api_json_id(p->peer_leader_id));
        ADD(o, "risk_tier", json_object_new_string(pl_risk_tier_name(p->risk_tier)));
        return o;
    }
    ADD(o, "id", json_object_new_int64(p->id));
    ADD(o, "version", json_object_new_int(p->version));
    ADD(o, "program_id", api_json_id(p->program_id));
    ADD(o, "program_ident", api_json_str(p->program_ident));
    ADD(o, "mrn", api_json_str(p->mrn));
    ADD(o, "given_name", api_json_str(p->person.given_name));
    ADD(o, "family_name", api_json_str(p->person.family_name));
    ADD(o, "sex", json_object_new_string(pl_sex_name(p->person.sex)));
    ADD(o, "birth_date", api_json_date(p->person.birth_date));
    ADD(o, "phone", api_json_str(p->person.phone));
    ADD(o, "address", api_json_str(p->person.address));
    ADD(o, "language", api_json_str(p->person.language));
    ADD(o, "diagnosis_year", p->diagnosis_year ? json_object_new_int(p->diagnosis_year) : NULL);
    ADD(o, "treatment", json_object_new_string(pl_treatment_name(p->treatment)));
    ADD(o, "enrol_date", api_json_date(p->enrol_date));
    ADD(o, "status", json_object_new_string(pl_enrol_status_name(p->status)));
    ADD(o, "status_date", api_json_date(p->status_date));
    ADD(o, "status_reason", api_json_str(p->status_reason));
    ADD(o, "consent", json_object_new_boolean(p->consent));
    ADD(o, "consent_date", api_json_date(p->consent_date));
    ADD(o, "home_unit_id", api_json_id(p->home_unit_id));
    ADD(o, "peer_leader_id", api_json_id(p->peer_leader_id));
    ADD(o, "risk_tier", json_object_new_string(pl_risk_tier_name(p->risk_tier)));
    return o;
}

json_object *api_contact_json(http_request *req, const pl_contact *c)
{
    api_context *app = req->app;
    bool deid = api_is_evaluator(req);
    int shift = deid ? api_date_shift(app, c->participant_id) : 0;
    json_object *o = json_object_new_object();
    if (deid) {
        char pseudonym[API_PSEUDONYM_LEN];
        api_pseudonym(app, c->participant_id, pseudonym);
        ADD(o, "pseudonym", json_object_new_string(pseudonym));
    } else {
        ADD(o, "id", json_object_new_int64(c->id));
        ADD(o, "participant_id", json_object_new_int64(c->participant_id));
    }
    ADD(o, "program_id", api_json_id(c->program_id));
    ADD(o, "peer_leader_id", api_json_id(c->peer_leader_id));
    ADD(o, "occurred_at", api_json_time(c->occurred_at + (pl_time)shift * 86400));
    ADD(o, "minutes", json_object_new_int(c->minutes));
    ADD(o, "mode", json_object_new_string(pl_contact_mode_name(c->mode)));
    json_object *kf = json_object_new_array();
    const char *const *codes = api_key_function_codes(req, c->program_id);
    for (int bit = 0; bit < PL_KF_MAX_BITS; bit++) {
        if (!(c->key_functions & (1u << bit)))
            continue;
        const char *name = bit < PL_KF_PROGRAM_FIRST_BIT ? pl_key_function_name(bit)
                           : codes                       ? codes[bit]
                                                         : NULL;
        json_object_array_add(kf, name ? json_object_new_string(name)
                                       : json_object_new_string("unknown"));
    }
    ADD(o, "key_functions", kf);
    json_object *topics = json_object_new_array();
    for (int t = 0; t < PL_TOPIC__COUNT; t++)
        if (c->topics & (1u << t))
            json_object_array_add(topics, json_object_new_string(pl_topic_name((pl_topic)t)));
    ADD(o, "topics", topics);
    ADD(o, "proactive", json_object_new_boolean(c->proactive));
    ADD(o, "family_members", json_object_new_int(c->family_members));
    if (!deid)
        ADD(o, "note", api_json_str(c->note));
    ADD(o, "follow_up_date",
        api_json_date(c->follow_up_date == PL_DATE_NONE ? PL_DATE_NONE
                                                        : c->follow_up_date + shift));
    if (!deid)
        ADD(o, "group_session_id", api_json_id(c->group_session_id));
    return o;
}

json_object *api_measurement_json(http_request *req, const pl_measurement *m)
{
    api_context *app = req->app;
    bool deid = api_is_evaluator(req);
    json_object *o = json_object_new_object();
    if (deid) {
        char pseudonym[API_PSEUDONYM_LEN];
        api_pseudonym(app, m->participant_id, pseudonym);
        ADD(o, "pseudonym", json_object_new_string(pseudonym));
    } else {
        ADD(o, "id", json_object_new_int64(m->id));
        ADD(o, "participant_id", json_object_new_int64(m->participant_id));
    }
    ADD(o, "code", api_json_str(m->code));
    ADD(o, "analyte", api_json_str(m->analyte));
    ADD(o, "value", api_json_str(m->entered_value));
    ADD(o, "unit", api_json_str(m->entered_unit));
    char canon[32];
    snprintf(canon, sizeof canon, "%.6g", m->value);
    ADD(o, "canonical_value", json_object_new_double_s(m->value, canon));
    ADD(o, "canonical_unit", api_json_str(m->unit));
    int shift = deid ? api_date_shift(app, m->participant_id) : 0;
    ADD(o, "effective_at", api_json_time(m->effective_at + (pl_time)shift * 86400));
    ADD(o, "source", json_object_new_string(pl_source_name(m->source)));
    ADD(o, "wave", m->wave >= 0 ? json_object_new_int(m->wave) : NULL);
    if (!deid)
        ADD(o, "recorded_by", api_json_id(m->recorded_by));
    return o;
}

json_object *api_org_unit_json(const pl_org_unit *u)
{
    json_object *o = json_object_new_object();
    ADD(o, "id", json_object_new_int64(u->id));
    ADD(o, "version", json_object_new_int(u->version));
    ADD(o, "parent_id", api_json_id(u->parent_id));
    ADD(o, "program_id", api_json_id(u->program_id));
    ADD(o, "kind", json_object_new_string(pl_org_kind_name(u->kind)));
    ADD(o, "name", api_json_str(u->name));
    ADD(o, "code", api_json_str(u->code));
    ADD(o, "arm", json_object_new_string(pl_arm_name(u->arm)));
    ADD(o, "language", api_json_str(u->language));
    return o;
}

json_object *api_peer_leader_json(const pl_peer_leader *l)
{
    json_object *o = json_object_new_object();
    ADD(o, "id", json_object_new_int64(l->id));
    ADD(o, "version", json_object_new_int(l->version));
    ADD(o, "person_id", json_object_new_int64(l->person.id));
    ADD(o, "program_id", api_json_id(l->program_id));
    ADD(o, "home_unit_id", api_json_id(l->home_unit_id));
    ADD(o, "given_name", api_json_str(l->person.given_name));
    ADD(o, "family_name", api_json_str(l->person.family_name));
    ADD(o, "sex", json_object_new_string(pl_sex_name(l->person.sex)));
    ADD(o, "phone", api_json_str(l->person.phone));
    ADD(o, "language", api_json_str(l->person.language));
    ADD(o, "kind", json_object_new_string(pl_leader_kind_name(l->kind)));
    ADD(o, "paid", json_object_new_boolean(l->paid));
    json_object *langs = json_object_new_array();
    for (const char *s = l->languages; s && *s;) {
        size_t n = strcspn(s, ",");
        json_object_array_add(langs, json_object_new_string_len(s, (int)n));
        s += n;
        if (*s == ',')
            s++;
    }
    ADD(o, "languages", langs);
    ADD(o, "trained_on", api_json_date(l->trained_on));
    ADD(o, "training_hours", json_object_new_int(l->training_hours));
    ADD(o, "active", json_object_new_boolean(l->active));
    return o;
}

json_object *api_staff_json(const pl_staff_account *a)
{
    json_object *o = json_object_new_object();
    ADD(o, "id", json_object_new_int64(a->id));
    ADD(o, "version", json_object_new_int(a->version));
    ADD(o, "username", api_json_str(a->username));
    ADD(o, "display_name", api_json_str(a->display_name));
    ADD(o, "role", json_object_new_string(pl_role_name(a->role)));
    ADD(o, "scope_unit_id", api_json_id(a->scope_unit_id));
    ADD(o, "person_id", api_json_id(a->person_id));
    ADD(o, "disabled", json_object_new_boolean(a->disabled));
    ADD(o, "language", api_json_str(a->language));
    ADD(o, "created_at", api_json_time(a->created_at));
    return o;
}

/* Appends s to b percent-encoded for a query string. */
static void url_encode(pl_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p))
            pl_buf_append(b, p, 1);
        else
            pl_buf_printf(b, "%%%02X", *p);
    }
}

static enum MHD_Result copy_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    pl_buf *b = cls;
    (void)kind;
    if (strcmp(key, "after") == 0 || strcmp(key, "limit") == 0)
        return MHD_YES;
    url_encode(b, key);
    pl_buf_puts(b, "=");
    url_encode(b, value ? value : "");
    pl_buf_puts(b, "&");
    return MHD_YES;
}

void api_send_list(http_request *req, http_response *res, json_object *items, int n,
                   const store_page *pg, pl_id last_id)
{
    json_object *o = json_object_new_object();
    ADD(o, "items", items);
    json_object *next = NULL;
    if (n == pg->limit && n > 0) {
        pl_buf b;
        pl_buf_init(&b, 8192);
        pl_buf_printf(&b, "%s?", req->path);
        MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, copy_query_arg, &b);
        if (api_is_evaluator(req))
            pl_buf_printf(&b, "after=%016llx&limit=%d",
                          (unsigned long long)cursor_permute(req->app, (uint64_t)last_id, false),
                          pg->limit);
        else
            pl_buf_printf(&b, "after=%lld&limit=%d", (long long)last_id, pg->limit);
        next = json_object_new_string(b.data ? b.data : "");
        pl_buf_free(&b);
    }
    ADD(o, "next", next);
    api_send(res, 200, o);
}

bool api_program_visible(http_request *req, http_response *res, pl_id *id)
{
    api_context *app = req->app;
    if (!api_path_id(req, res, 0, id))
        return false;
    pl_err err;
    pl_err_clear(&err);
    pl_org_unit u;
    if (store_org_unit_get(app->store, *id, &req->arena, &u, &err) != PL_OK ||
        u.kind != PL_ORG_PROGRAM ||
        store_unit_visible(app->store, api_scope_unit(req), *id, &err) != PL_OK) {
        http_problem(res, 404, "program not found", NULL);
        return false;
    }
    return true;
}

/* ---- body fields shared by contacts, sessions and templates ---------- */

uint32_t api_body_key_functions(http_request *req, pl_id program_id, pl_err *err)
{
    int n;
    const char **names = api_body_strings(req, "key_functions", &n);
    const char *const *codes = api_key_function_codes(req, program_id);
    uint32_t bits = 0;
    for (int i = 0; i < n; i++) {
        int bit = -1;
        if (pl_key_function_parse(names[i], &bit) != PL_OK)
            for (int b = PL_KF_PROGRAM_FIRST_BIT; b < PL_KF_MAX_BITS; b++)
                if (codes && codes[b] && strcmp(codes[b], names[i]) == 0)
                    bit = b;
        if (bit < 0)
            pl_err_field(err, "key_functions",
                         "'%s' is not a key function of this program (daily_management, "
                         "social_emotional, linkage, ongoing or the program's own)",
                         names[i]);
        else
            bits |= 1u << bit;
    }
    return bits;
}

uint32_t api_body_topics(http_request *req, pl_err *err)
{
    int n;
    const char **names = api_body_strings(req, "topics", &n);
    uint32_t bits = 0;
    for (int i = 0; i < n; i++) {
        pl_topic t;
        if (pl_topic_parse(names[i], &t) != PL_OK)
            pl_err_field(err, "topics", "'%s' is not a known topic", names[i]);
        else
            bits |= 1u << t;
    }
    return bits;
}

uint32_t api_program_kf_mask(http_request *req, pl_id program_id)
{
    uint32_t mask = 0;
    const char *const *codes = api_key_function_codes(req, program_id);
    for (int b = PL_KF_PROGRAM_FIRST_BIT; codes && b < PL_KF_MAX_BITS; b++)
        if (codes[b])
            mask |= 1u << b;
    return mask;
}

/* ---- de-identification -------------------------------------------------- */

static void hmac(const api_context *app, const char *label, pl_id id,
                 unsigned char out[crypto_auth_hmacsha256_BYTES])
{
    eval_deid_hmac(app->secret, label, id, out);
}

void api_pseudonym(const api_context *app, pl_id participant_id, char out[API_PSEUDONYM_LEN])
{
    eval_pseudonym(app->secret, participant_id, out);
}

/*
 * Evaluators page with opaque cursors: the record id passed through a
 * 4-round Feistel permutation keyed by the installation secret, so a
 * cursor does not link a pseudonym to an internal id.
 */
static uint32_t feistel_round(const api_context *app, int round, uint32_t half)
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    hmac(app,
         round == 0   ? "cursor0"
         : round == 1 ? "cursor1"
         : round == 2 ? "cursor2"
                      : "cursor3",
         half, mac);
    return (uint32_t)mac[0] << 24 | (uint32_t)mac[1] << 16 | (uint32_t)mac[2] << 8 | mac[3];
}

static uint64_t cursor_permute(const api_context *app, uint64_t v, bool inverse)
{
    uint32_t l = (uint32_t)(v >> 32), r = (uint32_t)v;
    for (int i = 0; i < 4; i++) {
        int round = inverse ? 3 - i : i;
        if (!inverse) {
            uint32_t t = r;
            r = l ^ feistel_round(app, round, r);
            l = t;
        } else {
            uint32_t t = l;
            l = r ^ feistel_round(app, round, l);
            r = t;
        }
    }
    return (uint64_t)l << 32 | r;
}

int api_date_shift(const api_context *app, pl_id participant_id)
{
    return eval_date_shift(app->secret, participant_id);
}

/* ---- audit trail -------------------------------------------------------- */

static store_audit_event audit_event(http_request *req, const char *action, const char *entity,
                                     pl_id entity_id, pl_id participant_id, int status)
{
    return (store_audit_event){.at = (pl_time)time(NULL),
                               .account_id = req->signed_in ? req->account.id : 0,
                               .action = action,
                               .entity = entity,
                               .entity_id = entity_id,
                               .participant_id = participant_id,
                               .client_addr = req->client_addr,
                               .status = status};
}

void api_audit(http_request *req, const char *action, const char *entity, pl_id entity_id,
               pl_id participant_id, int status)
{
    api_context *app = req->app;
    store_audit_event ev = audit_event(req, action, entity, entity_id, participant_id, status);
    pl_err err;
    pl_err_clear(&err);
    if (store_audit_enqueue(app->store, &ev, 1, &err) != PL_OK)
        fprintf(stderr, "peerlink: audit event lost: %s\n", err.message);
}

void api_audit_reads(http_request *req, const char *entity, const pl_id *entity_ids,
                     const pl_id *participant_ids, int n)
{
    api_context *app = req->app;
    if (n <= 0)
        return;
    store_audit_event *ev = pl_arena_alloc(&req->arena, sizeof *ev * (size_t)n);
    pl_err err;
    pl_err_clear(&err);
    if (!ev) {
        fprintf(stderr, "peerlink: audit events lost: out of request memory\n");
        return;
    }
    for (int i = 0; i < n; i++)
        ev[i] = audit_event(req, "read", entity, entity_ids[i], participant_ids[i], 200);
    if (store_audit_enqueue(app->store, ev, n, &err) != PL_OK)
        fprintf(stderr, "peerlink: audit events lost: %s\n", err.message);
}

void api_audit_rejected(http_request *req, http_response *res)
{
    /* the entity is the resource segment of /api/v1/<resource>[/{id}[/action]] */
    static const struct {
        const char *segment, *entity;
    } entities[] = {{"participants", "participant"},
                    {"contacts", "contact"},
                    {"measurements", "measurement"},
                    {"staff", "staff_account"},
                    {"peer-leaders", "peer_leader"},
                    {"org-units", "org_unit"},
                    {"audit", "audit_event"},
                    {"alerts", "alert"},
                    {"groups", "group"},
                    {"group-sessions", "group_session"},
                    {"course-templates", "course_template"},
                    {"tasks", "task"},
                    {"worklist", "worklist"},
                    {"caseloads", "participant"},
                    {"programs", "program"},
                    {"implementation-ratings", "implementation_rating"},
                    {"referrals", "referral"},
                    {"resources", "resource_directory"}};
    const char *rest = strncmp(req->path, "/api/v1/", 8) == 0 ? req->path + 8 : req->path;
    const char *entity = "request";
    for (size_t i = 0; i < sizeof entities / sizeof *entities; i++) {
        size_t n = strlen(entities[i].segment);
        if (strncmp(rest, entities[i].segment, n) == 0 && (rest[n] == '/' || rest[n] == '\0'))
            entity = entities[i].entity;
    }
    pl_id id = 0;
    if (req->nparams > 0) {
        char *end;
        long long v = strtoll(req->params[0], &end, 10);
        id = *end == '\0' && v > 0 ? (pl_id)v : 0;
    }
    const char *action = strcmp(req->method, "GET") == 0    ? "read"
                         : strcmp(req->method, "POST") == 0 ? "create"
                                                            : "update";
    api_audit(req, action, entity, id, strcmp(entity, "participant") == 0 ? id : 0, res->status);
}

pl_status api_audit_tx(store_tx *tx, http_request *req, const char *action, const char *entity,
                       pl_id entity_id, pl_id participant_id, int status, pl_err *err)
{
    store_audit_event ev = audit_event(req, action, entity, entity_id, participant_id, status);
    return store_audit_append(tx, &ev, err);
}

/* ---- writes ------------------------------------------------------------- */

typedef struct write_ctx {
    http_request *req;
    http_response *res;
    api_write_fn fn;
    void *ctx;
    api_result out;
    const char *key;
    unsigned char hash[32];
    bool replayed;
    const char *entity;
    pl_id participant_id;
    pl_err err;
} write_ctx;

static pl_status write_job(store_tx *tx, void *p, pl_err *err)
{
    write_ctx *w = p;
    pl_id account = w->req->account.id;
    if (w->key) {
        store_idempotency prev;
        pl_status st = store_idempotency_get(tx, account, w->key, &w->req->arena, &prev, err);
        if (st == PL_OK) {
            if (sodium_memcmp(prev.request_hash, w->hash, sizeof w->hash) != 0) {
                pl_err_field(err, "Idempotency-Key",
                             "was already used with a different request; use a new key");
                return PL_INVALID;
            }
            w->out = (api_result){prev.status, prev.body, prev.location, 0};
            w->replayed = true;
            return PL_OK;
        }
        if (st != PL_NOTFOUND)
            return st;
        pl_err_clear(err);
    }
    pl_status st = w->fn(tx, w->req, w->ctx, &w->out, err);
    if (st != PL_OK || !w->key)
        return st;
    store_idempotency rec = {
        .status = w->out.status, .body = w->out.body, .location = w->out.location};
    memcpy(rec.request_hash, w->hash, sizeof rec.request_hash);
    return store_idempotency_put(tx, account, w->key, &rec, (pl_time)time(NULL), err);
}

/* Fills the response from the write's outcome. */
static void write_answer(write_ctx *w, pl_status st)
{
    http_request *req = w->req;
    http_response *res = w->res;
    if (st != PL_OK) {
        if (api_is_fhir(req))
            api_fhir_fail(res, &w->err);
        else
            api_fail(res, &w->err);
        api_audit(req,
                  strcmp(req->method, "POST") == 0     ? "create"
                  : strcmp(req->method, "DELETE") == 0 ? "delete"
                                                       : "update",
                  w->entity, 0, w->participant_id, res->status);
        return;
    }
    http_json(res, w->out.status, w->out.body ? w->out.body : "");
    if (!w->out.body || !*w->out.body)
        res->content_type = NULL;
    else if (api_is_fhir(req))
        res->content_type = "application/fhir+json";
    if (w->out.location)
        http_header(res, "Location", w->out.location);
    if (w->out.version > 0)
        api_etag(req, res, w->out.version);
    if (w->replayed)
        http_header(res, "Idempotent-Replayed", "true");
}

/* Runs on the writer thread once the commit is durable (or the write failed). */
static void write_done(void *p, pl_status st)
{
    write_ctx *w = p;
    write_answer(w, st);
    http_resume(w->req);
}

/* 1-255 printable ASCII characters. */
static bool key_ok(const char *k)
{
    size_t n = strlen(k);
    if (n < 1 || n > 255)
        return false;
    for (const char *c = k; *c; c++)
        if (*c < 0x20 || *c > 0x7e)
            return false;
    return true;
}

void api_write(http_request *req, http_response *res, api_write_fn fn, const void *ctx,
               size_t ctx_size, const char *entity, pl_id participant_id)
{
    api_context *app = req->app;
    /* the handler returns before the write runs: everything it needs lives in the arena */
    write_ctx *w = pl_arena_alloc(&req->arena, sizeof *w);
    void *copy = pl_arena_alloc(&req->arena, ctx_size ? ctx_size : 1);
    if (!w || !copy) {
        http_problem(res, 413, "the request needs more memory than a request may use", NULL);
        return;
    }
    if (ctx_size)
        memcpy(copy, ctx, ctx_size);
    *w = (write_ctx){.req = req,
                     .res = res,
                     .fn = fn,
                     .ctx = copy,
                     .entity = entity,
                     .participant_id = participant_id};
    pl_err_clear(&w->err);
    if (strcmp(req->method, "POST") == 0) {
        w->key = http_header_get(req, "Idempotency-Key");
        if (w->key && !key_ok(w->key)) {
            pl_err_field(&w->err, "Idempotency-Key", "must be 1-255 printable ASCII characters");
            http_problem(res, 400, "the Idempotency-Key header is malformed", &w->err);
            return;
        }
        if (w->key) {
            crypto_generichash_state h;
            crypto_generichash_init(&h, NULL, 0, sizeof w->hash);
            crypto_generichash_update(&h, (const unsigned char *)req->path, strlen(req->path) + 1);
            if (req->body)
                crypto_generichash_update(&h, (const unsigned char *)req->body, req->body_len);
            crypto_generichash_final(&h, w->hash, sizeof w->hash);
        }
    }
    /* suspend first, so the commit's resume can never come before it */
    http_suspend(req);
    if (store_write_submit(app->store, write_job, w, &w->err, write_done, w) != PL_OK) {
        write_answer(w, w->err.status);
        http_resume(req);
    }
}
