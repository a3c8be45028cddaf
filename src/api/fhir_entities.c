/*
 * fhir_entities.c - the FHIR R4 REST side of Encounter (contacts: read,
 * vread, search, create, update, delete), Organization (org units),
 * Practitioner and PractitionerRole (staff accounts) and Group (groups with
 * their members): read, vread, search, create, update (at the end of this
 * file: each runs the JSON API's own write step).
 *
 * Mapping is src/fhir/fhir_entities.c, SQL src/store/sqlite_fhir_entities.c;
 * this file does scope, audit and the writes. It uses fhir_int.h's shared
 * pieces (negotiation, OperationOutcome, path ids, the search parameters
 * and searchset Bundles with next links) like fhir.c does.
 *
 * An Encounter written through FHIR becomes a contact through
 * api_contact_record_tx, the JSON API's own write step, so its follow-up
 * task closes and the next opens exactly as for POST /api/v1/contacts. PUT
 * replaces the delivered fields under If-Match (contact.version), DELETE
 * voids the contact (contact.voided_at, as a withdrawn attendance does):
 * a later read answers 410 Gone and searches leave it out. The follow-up
 * task is refreshed after both, since the latest contact may have changed.
 * Contacts made by a group session's attendance follow their session and
 * are not changed here (409).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/time.h"
#include "fhir/fhir_entities.h"
#include "fhir_int.h"
#include "fhir_steps.h"
#include "store/store_fhir_entities.h"

#define ENTITY "contact"

/* ---- shared --------------------------------------------------------------------- */

/* "Type/N" with N a positive id; 0 otherwise. */
static pl_id ref_id(const char *ref, const char *type)
{
    size_t n = strlen(type);
    if (!ref || strncmp(ref, type, n) != 0 || ref[n] != '/')
        return 0;
    long long v = 0;
    const char *c = ref + n + 1;
    for (; *c >= '0' && *c <= '9' && v < 1000000000000LL; c++)
        v = v * 10 + (*c - '0');
    return *c || c == ref + n + 1 ? 0 : (pl_id)v;
}

static void send_read(http_request *req, http_response *res, json_object *o, int version)
{
    fhir_api_send(res, 200, o);
    api_etag(req, res, version > 0 ? version : 1);
}

/* Parses If-Match (W/"n" or "n") into *v (-1 when absent); 412 written and false if malformed. */
static bool if_match(http_request *req, http_response *res, int *v)
{
    const char *im = http_header_get(req, "If-Match");
    *v = -1;
    if (!im)
        return true;
    const char *p = strncmp(im, "W/", 2) == 0 ? im + 2 : im;
    size_t n = strlen(p);
    long val = 0;
    bool ok = n >= 3 && n < 12 && p[0] == '"' && p[n - 1] == '"';
    for (size_t i = 1; ok && i + 1 < n; i++) {
        ok = p[i] >= '0' && p[i] <= '9';
        val = val * 10 + (p[i] - '0');
    }
    if (!ok) {
        fhir_api_outcome(res, 412, "If-Match must be an ETag such as W/\"3\"");
        return false;
    }
    *v = (int)val;
    return true;
}

/* A name search value: letters and spaces, no LIKE wildcards; else 400 written. */
static bool name_ok(http_request *req, http_response *res, const char *name, const char *value)
{
    if (*value && !strpbrk(value, "%_\\") && strlen(value) <= 100)
        return true;
    fhir_api_bad_param(req, res, name, value, "must be 1-100 characters without % _ or \\");
    return false;
}

/* A version number of at most 9 digits, or -1. */
static int version_number(const char *s)
{
    int v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

/* ---- Encounter: reading ---------------------------------------------------------- */

static fhir_encounter_view leader_view(http_request *req, pl_id leader, int version,
                                       pl_time updated)
{
    api_context *app = req->app;
    fhir_encounter_view v = {version, updated, 0, NULL};
    pl_err err;
    pl_err_clear(&err);
    pl_peer_leader l;
    if (store_peer_leader_get(app->store, leader, &req->arena, &l, &err) == PL_OK)
        v.leader_name =
            pl_arena_printf(&req->arena, "%s %s", l.person.given_name ? l.person.given_name : "",
                            l.person.family_name ? l.person.family_name : "");
    if (store_fhir_leader_account(app->store, leader, &v.practitioner, &err) != PL_OK)
        v.practitioner = 0;
    return v;
}

static fhir_encounter_view encounter_view(http_request *req, const pl_contact *c,
                                          const store_fhir_contact_meta *m)
{
    return leader_view(req, c->peer_leader_id, m->version, m->updated);
}

pl_status fhir_api_encounter_resource(http_request *req, pl_id id, json_object **out, pl_id *pid,
                                      pl_err *err)
{
    api_context *app = req->app;
    pl_contact c;
    store_fhir_contact_meta meta;
    pl_status st = store_fhir_contact_get(app->store, id, &req->arena, &c, &meta, err);
    if (st == PL_OK) {
        fhir_encounter_view v = encounter_view(req, &c, &meta);
        *out = fhir_encounter_json(&c, &v);
        *pid = c.participant_id;
    }
    return st;
}

/* "session-N" (a group session's Encounter): N, else 0. */
static pl_id session_ref(const char *s)
{
    size_t n = strlen(FHIR_SESSION_PREFIX);
    if (!s || strncmp(s, FHIR_SESSION_PREFIX, n) != 0)
        return 0;
    long long v = 0;
    const char *c = s + n;
    for (; *c >= '0' && *c <= '9' && v < 1000000000000LL; c++)
        v = v * 10 + (*c - '0');
    return *c || c == s + n ? 0 : (pl_id)v;
}

/* GET /fhir/Encounter/session-N: the session of a group visible to the caller, else 404. */
static void read_session(http_request *req, http_response *res, pl_id id, bool vread)
{
    api_context *app = req->app;
    store_scope sc;
    if (!api_scope(req, res, &sc))
        return;
    pl_group_session gs;
    pl_err err;
    pl_err_clear(&err);
    pl_status st = store_group_session_get(app->store, id, &req->arena, &gs, &err);
    if (st == PL_OK)
        st = store_group_visible(app->store, &sc, gs.group_id, &err);
    if (st == PL_NOTFOUND) {
        fhir_api_outcome(res, 404,
                         pl_arena_printf(&req->arena,
                                         "Encounter/" FHIR_SESSION_PREFIX "%lld is not known",
                                         (long long)id));
        return;
    }
    if (st != PL_OK) {
        api_fhir_fail(res, &err);
        return;
    }
    const char *v = req->nparams > 1 ? req->params[1] : "";
    if (vread && (strlen(v) > 9 || version_number(v) != gs.version)) {
        fhir_api_outcome(res, 404,
                         pl_arena_printf(&req->arena,
                                         "Encounter/" FHIR_SESSION_PREFIX
                                         "%lld/_history/%s is not kept: peerlink keeps the "
                                         "current version only, which is %d",
                                         (long long)id, v, gs.version));
        return;
    }
    fhir_encounter_view view = leader_view(req, gs.peer_leader_id, gs.version, PL_TIME_NONE);
    send_read(req, res, fhir_session_encounter_json(&gs, &view), gs.version);
}

/* The contact {id} in scope (voided ones too: *meta says); 404 written (audited) otherwise. */
static bool load_contact(http_request *req, http_response *res, pl_id id, pl_contact *c,
                         store_fhir_contact_meta *meta)
{
    api_context *app = req->app;
    pl_err err;
    pl_err_clear(&err);
    memset(c, 0, sizeof *c);
    pl_status st = store_fhir_contact_get(app->store, id, &req->arena, c, meta, &err);
    return fhir_api_found(req, res, st, &err,
                          pl_arena_printf(&req->arena, "Encounter/%lld", (long long)id), id, "read",
                          ENTITY, c->participant_id);
}

static bool gone(http_request *req, http_response *res, pl_id id, const pl_contact *c,
                 const store_fhir_contact_meta *meta)
{
    if (!meta->voided)
        return false;
    fhir_api_outcome(res, 410,
                     pl_arena_printf(&req->arena,
                                     "Encounter/%lld was deleted: the contact is voided",
                                     (long long)id));
    api_audit(req, "read", ENTITY, id, c->participant_id, 410);
    return true;
}

static void read_encounter(http_request *req, http_response *res, bool vread)
{
    pl_id id = req->nparams > 0 ? session_ref(req->params[0]) : 0;
    if (id) {
        if (fhir_api_negotiate(req, res))
            read_session(req, res, id, vread);
        return;
    }
    pl_contact c;
    store_fhir_contact_meta meta = {0};
    if (!fhir_api_negotiate(req, res) || !fhir_api_path_id(req, res, 0, "Encounter", &id) ||
        !load_contact(req, res, id, &c, &meta) || gone(req, res, id, &c, &meta))
        return;
    if (vread && !fhir_api_version_kept(req, res, "Encounter", id, meta.version)) {
        api_audit(req, "read", ENTITY, id, c.participant_id, 404);
        return;
    }
    fhir_encounter_view v = encounter_view(req, &c, &meta);
    send_read(req, res, fhir_encounter_json(&c, &v), meta.version);
    api_audit(req, "read", ENTITY, id, c.participant_id, 200);
}

void api_fhir_encounter_read(http_request *req, http_response *res)
{
    read_encounter(req, res, false);
}

void api_fhir_encounter_vread(http_request *req, http_response *res)
{
    read_encounter(req, res, true);
}

/* type=[system|]code,...: the key-function bits (OR); false with 400 written. */
static bool type_param(http_request *req, http_response *res, const char *value, uint32_t *mask,
                       bool *none)
{
    const char *p = value;
    uint32_t m = 0;
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *tok = pl_arena_strndup(&req->arena, p, len);
        const char *bar = strchr(tok, '|');
        const char *code = bar ? bar + 1 : tok;
        size_t syslen = bar ? (size_t)(bar - tok) : 0;
        bool ours = !bar || syslen == 0 ||
                    (syslen == strlen(FHIR_CS_KEY_FUNCTION) &&
                     strncmp(tok, FHIR_CS_KEY_FUNCTION, syslen) == 0);
        int bit = ours ? fhir_key_function_bit(code) : -1;
        if (ours && bit < 0) {
            fhir_api_bad_param(req, res, "type", value,
                               "codes are daily_management, social_emotional, linkage, ongoing "
                               "or program-N of " FHIR_CS_KEY_FUNCTION);
            return false;
        }
        if (bit >= 0)
            m |= 1u << bit;
        p += len;
        if (*p == ',')
            p++;
    }
    if (!m)
        *none = true;
    *mask = m;
    return true;
}

void api_fhir_encounter_search(http_request *req, http_response *res)
{
    api_context *app = req->app;
    fhir_qparams qp;
    store_fhir_query q;
    fhir_api_init_query(&q);
    if (!fhir_api_negotiate(req, res) || !fhir_api_gather(req, res, &qp) ||
        !api_scope(req, res, &q.scope))
        return;
    bool none = false, include = false, typed = false;
    uint32_t kf = 0;
    pl_id session = 0;
    pl_err err;
    pl_err_clear(&err);
    for (int i = 0; i < qp.n; i++) {
        const char *name = qp.name[i], *value = qp.value[i];
        bool handled;
        if (!fhir_api_common_param(req, res, name, value, &q, &handled, &none))
            return;
        if (handled)
            continue;
        if (strcmp(name, "patient") == 0 || strcmp(name, "subject") == 0) {
            fhir_api_patient_param(req, value, &q, &none);
        } else if (strcmp(name, "part-of") == 0) {
            const char *v = strncmp(value, "Encounter/", 10) == 0 ? value + 10 : value;
            session = session_ref(v);
            if (!session)
                none = true;
        } else if (strcmp(name, "type") == 0) {
            if (typed) {
                fhir_api_bad_param(req, res, name, value,
                                   "give one type parameter; a comma means OR");
                return;
            }
            typed = true;
            if (!type_param(req, res, value, &kf, &none))
                return;
        } else if (!fhir_api_time_param(req, res, name, value, "date", &q, &handled)) {
            return;
        } else if (handled) {
            continue;
        } else if (strcmp(name, "_include") == 0) {
            if (strcmp(value, "Encounter:patient") != 0 &&
                strcmp(value, "Encounter:subject") != 0) {
                fhir_api_bad_param(req, res, name, value, "only Encounter:patient is supported");
                return;
            }
            include = true;
        } else {
            fhir_api_bad_param(req, res, name, value,
                               "not an Encounter search parameter peerlink supports (_id, "
                               "patient, subject, type, date, part-of, _lastUpdated, _count, "
                               "_sort, _include)");
            return;
        }
    }
    pl_id *ids = NULL;
    int n = 0;
    bool more = false;
    if (!none && store_fhir_encounter_search(app->store, &q, kf, session, &req->arena, &ids, &n,
                                             &more, &err) != PL_OK) {
        api_fhir_fail(res, &err);
        return;
    }
    json_object *entries = json_object_new_array();
    pl_id *pids = pl_arena_alloc(&req->arena, sizeof *pids * (size_t)(n ? n : 1));
    pl_id *included = pl_arena_alloc(&req->arena, sizeof *included * (size_t)(n ? n : 1));
    int nincluded = 0;
    for (int i = 0; i < n && pids && included; i++) {
        json_object *e = NULL;
        pids[i] = 0;
        if (fhir_api_encounter_resource(req, ids[i], &e, &pids[i], &err) == PL_OK)
            json_object_array_add(entries, fhir_api_entry(req, "Encounter", ids[i], e, "match"));
    }
    for (int i = 0; include && pids && included && i < n; i++) {
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
        api_audit_reads(req, ENTITY, ids, pids, n);
    if (nincluded)
        api_audit_reads(req, "participant", included, included, nincluded);
    fhir_api_send(res, 200, fhir_api_searchset(req, &qp, &q, entries, more));
}

/* ---- Encounter: writing ------------------------------------------------------------ */

/* contact_validate's JSON field names as the Encounter's FHIR paths. */
static void fhir_paths(pl_err *err)
{
    static const char *const map[][2] = {
        {"occurred_at", "period.start"},
        {"minutes", "length"},
        {"mode", "class"},
        {"key_functions", "type"},
        {"topics", "reasonCode"},
        {"participant_id", "subject"},
        {"peer_leader_id", "participant[0].individual"},
    };
    for (int i = 0; i < err->nfields; i++)
        for (size_t j = 0; j < sizeof map / sizeof map[0]; j++)
            if (strcmp(err->fields[i].field, map[j][0]) == 0) {
                snprintf(err->fields[i].field, sizeof err->fields[i].field, "%s", map[j][1]);
                break;
            }
}

typedef struct encounter_write {
    pl_contact c;
    pl_id id;     /* update, delete: the contact */
    int if_match; /* -1: none */
    fhir_encounter_view view;
} encounter_write;

/*
 * The peer leader who delivered it: participant[0].individual (the Practitioner of a peer
 * leader of the participant's program) or the caller's own peer-leader record. Field errors
 * into err; false when a peer leader names another (a peer leader logs as themselves).
 */
static bool encounter_leader(http_request *req, const fhir_encounter *fe, pl_contact *c,
                             pl_err *err)
{
    api_context *app = req->app;
    pl_err ignore;
    pl_err_clear(&ignore);
    pl_id own = 0, named = 0;
    if (req->account.person_id > 0)
        store_peer_leader_by_person(app->store, req->account.person_id, &own, &ignore);
    if (fe->practitioner) {
        pl_id acc = ref_id(fe->practitioner, "Practitioner");
        pl_staff_account a;
        pl_err_clear(&ignore);
        if (acc && store_staff_account_get(app->store, acc, &req->arena, &a, &ignore) == PL_OK &&
            a.person_id > 0)
            store_peer_leader_by_person(app->store, a.person_id, &named, &ignore);
        if (!named) {
            pl_err_field(err, "participant[0].individual.reference",
                         "must be Practitioner/id of a peer leader's account, not %s",
                         fe->practitioner);
            return true;
        }
    }
    if (req->account.role == PL_ROLE_PEER_LEADER && named && named != own)
        return false;
    c->peer_leader_id = named ? named : own;
    pl_peer_leader l;
    pl_err_clear(&ignore);
    if (!c->peer_leader_id)
        pl_err_field(err, "participant[0].individual",
                     "is required: your account is not a peer leader; name the Practitioner of "
                     "the peer leader who delivered it");
    else if (store_peer_leader_get(app->store, c->peer_leader_id, &req->arena, &l, &ignore) !=
                 PL_OK ||
             l.program_id != c->program_id)
        pl_err_field(err, "participant[0].individual",
                     "must be a peer leader of the participant's program");
    return true;
}

pl_status fhir_api_encounter_check(http_request *req, const fhir_encounter *fe,
                                   const pl_participant *p, pl_contact *c,
                                   fhir_encounter_view *view, bool *forbidden, pl_err *err)
{
    *forbidden = false;
    if (p) {
        c->participant_id = p->id;
        c->program_id = p->program_id;
        if (!encounter_leader(req, fe, c, err)) {
            *forbidden = true;
            return pl_err_set(err, PL_INVALID, "a peer leader logs contacts as themselves");
        }
    }
    if (!err->nfields && err->status == PL_OK) {
        c->occurred_at = fe->c.occurred_at;
        c->minutes = fe->c.minutes;
        c->mode = fe->c.mode;
        c->key_functions = fe->c.key_functions;
        c->topics = fe->c.topics;
        uint32_t mask = api_program_kf_mask(req, c->program_id);
        contact_validate(c, mask, (pl_time)time(NULL), err);
    }
    if (err->nfields || err->status != PL_OK) {
        if (err->nfields)
            err->status = PL_INVALID;
        fhir_paths(err);
        if (!err->message[0])
            snprintf(err->message, sizeof err->message, "the Encounter cannot be recorded");
        return err->status;
    }
    store_fhir_contact_meta m = {1, (pl_time)time(NULL), false};
    *view = encounter_view(req, c, &m);
    return PL_OK;
}

/*
 * Reads the body into w->c for the participant pid (0: from the subject, which must be in
 * scope) and checks it as POST /contacts does. False with the answer written and audited.
 */
static bool encounter_prepare(http_request *req, http_response *res, const char *action,
                              encounter_write *w, pl_id pid)
{
    api_context *app = req->app;
    json_object *o = fhir_api_body(req, res);
    if (!o)
        return false;
    fhir_encounter fe;
    pl_err err;
    pl_err_clear(&err);
    pl_status st = fhir_encounter_from_json(o, &req->arena, &fe, &err);
    json_object_put(o);
    pl_id subject = 0;
    if (fe.subject) {
        pl_err e2;
        pl_err_clear(&e2);
        store_scope sc;
        if (!api_scope(req, res, &sc))
            return false;
        if (fhir_api_resolve_patient(req, NULL, fe.subject, &subject, &e2) != PL_OK ||
            store_participant_visible(app->store, &sc, subject, &e2) != PL_OK) {
            subject = 0;
            pl_err_field(&err, "subject.reference", "names no known Patient: %s", fe.subject);
        } else if (pid && subject != pid) {
            pl_err_field(&err, "subject.reference",
                         "must stay Patient/%lld: a contact does not move to another person",
                         (long long)pid);
        }
    }
    if (st == PL_OK && fe.id && w->id && strcmp(fe.id, req->params[0]) != 0)
        pl_err_field(&err, "id", "must be the id of the URL, %s", req->params[0]);
    pl_participant p;
    if (subject && store_participant_get(app->store, subject, &req->arena, &p, &err) != PL_OK) {
        api_fhir_fail(res, &err);
        return false;
    }
    bool forbidden;
    if (fhir_api_encounter_check(req, &fe, subject ? &p : NULL, &w->c, &w->view, &forbidden,
                                 &err) == PL_OK)
        return true;
    if (forbidden)
        fhir_api_outcome(res, 403, err.message);
    else
        api_fhir_fail(res, &err);
    api_audit(req, action, ENTITY, w->id, w->c.participant_id ? w->c.participant_id : pid,
              res->status);
    return false;
}

pl_status fhir_api_encounter_create_tx(store_tx *tx, http_request *req, pl_contact *c,
                                       fhir_encounter_view *view, pl_err *err)
{
    pl_status st = api_contact_record_tx(tx, req, c, err);
    if (st == PL_OK)
        view->version = 1;
    return st;
}

static pl_status encounter_create_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                                        pl_err *err)
{
    encounter_write *w = ctx;
    pl_status st = fhir_api_encounter_create_tx(tx, req, &w->c, &w->view, err);
    if (st != PL_OK)
        return st;
    out->status = 201;
    out->body = api_json_text(req, fhir_encounter_json(&w->c, &w->view));
    out->version = 1;
    out->location =
        pl_arena_printf(&req->arena, "/fhir/Encounter/%lld/_history/1", (long long)w->c.id);
    return PL_OK;
}

void api_fhir_encounter_create(http_request *req, http_response *res)
{
    encounter_write w = {.c = {.follow_up_date = PL_DATE_NONE}, .if_match = -1};
    if (!fhir_api_negotiate(req, res) || !encounter_prepare(req, res, "create", &w, 0))
        return;
    api_write(req, res, encounter_create_write, &w, sizeof w, ENTITY, w.c.participant_id);
}

/* The contact under change, at the version If-Match names (or its current one). */
static pl_status current(store_tx *tx, http_request *req, pl_id id, int if_match, pl_contact *c,
                         store_fhir_contact_meta *meta, pl_err *err)
{
    pl_status st = store_tx_fhir_contact_get(tx, id, &req->arena, c, meta, err);
    if (st != PL_OK)
        return st;
    if (meta->voided)
        return pl_err_set(err, PL_NOTFOUND, "Encounter/%lld was deleted", (long long)id);
    if (c->group_session_id)
        return pl_err_set(err, PL_CONFLICT,
                          "Encounter/%lld was made by a group session's attendance: change the "
                          "attendance instead",
                          (long long)id);
    if (if_match >= 0 && if_match != meta->version)
        return pl_err_set(err, PL_STALE,
                          "If-Match names version %d but Encounter/%lld is at version %d; read "
                          "it again and retry",
                          if_match, (long long)id, meta->version);
    return PL_OK;
}

pl_status fhir_api_encounter_update_tx(store_tx *tx, http_request *req, pl_id id, int if_match,
                                       pl_contact *c, fhir_encounter_view *view, pl_err *err)
{
    pl_contact cur;
    store_fhir_contact_meta meta = {0};
    pl_status st = current(tx, req, id, if_match, &cur, &meta, err);
    if (st != PL_OK)
        return st;
    c->id = id;
    if ((st = store_fhir_contact_update(tx, c, meta.version, err)) != PL_OK ||
        (st = api_audit_tx(tx, req, "update", ENTITY, id, c->participant_id, 200, err)) != PL_OK ||
        (st = store_followup_refresh(tx, c->participant_id, err)) != PL_OK)
        return st;
    /* the fields PUT does not carry stay as they were */
    c->proactive = cur.proactive;
    c->family_members = cur.family_members;
    view->version = meta.version + 1;
    return PL_OK;
}

static pl_status encounter_update_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                                        pl_err *err)
{
    encounter_write *w = ctx;
    pl_status st = fhir_api_encounter_update_tx(tx, req, w->id, w->if_match, &w->c, &w->view, err);
    if (st != PL_OK)
        return st;
    out->status = 200;
    out->body = api_json_text(req, fhir_encounter_json(&w->c, &w->view));
    out->version = w->view.version;
    return PL_OK;
}

void api_fhir_encounter_update(http_request *req, http_response *res)
{
    encounter_write w = {.c = {.follow_up_date = PL_DATE_NONE}};
    pl_contact cur;
    store_fhir_contact_meta meta = {0};
    if (!fhir_api_negotiate(req, res) || !fhir_api_path_id(req, res, 0, "Encounter", &w.id) ||
        !load_contact(req, res, w.id, &cur, &meta) || gone(req, res, w.id, &cur, &meta) ||
        !if_match(req, res, &w.if_match) ||
        !encounter_prepare(req, res, "update", &w, cur.participant_id))
        return;
    api_write(req, res, encounter_update_write, &w, sizeof w, ENTITY, cur.participant_id);
}

static pl_status encounter_delete_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                                        pl_err *err)
{
    encounter_write *w = ctx;
    pl_contact cur;
    store_fhir_contact_meta meta = {0};
    pl_status st = current(tx, req, w->id, w->if_match, &cur, &meta, err);
    if (st == PL_NOTFOUND && meta.voided) {
        out->status = 204; /* deleting what is deleted changes nothing */
        return PL_OK;
    }
    if (st != PL_OK || (st = store_fhir_contact_void(tx, w->id, err)) != PL_OK ||
        (st = api_audit_tx(tx, req, "delete", ENTITY, w->id, cur.participant_id, 204, err)) !=
            PL_OK ||
        (st = store_followup_refresh(tx, cur.participant_id, err)) != PL_OK)
        return st;
    out->status = 204;
    return PL_OK;
}

void api_fhir_encounter_delete(http_request *req, http_response *res)
{
    encounter_write w = {.if_match = -1};
    pl_contact cur;
    store_fhir_contact_meta meta = {0};
    if (!fhir_api_negotiate(req, res) || !fhir_api_path_id(req, res, 0, "Encounter", &w.id) ||
        !load_contact(req, res, w.id, &cur, &meta) || !if_match(req, res, &w.if_match))
        return;
    api_write(req, res, encounter_delete_write, &w, sizeof w, ENTITY, cur.participant_id);
}

/* ---- Organization --------------------------------------------------------------------- */

static bool load_org(http_request *req, http_response *res, pl_id id, pl_org_unit *u)
{
    api_context *app = req->app;
    pl_err err;
    pl_err_clear(&err);
    pl_status st = store_unit_visible(app->store, api_scope_unit(req), id, &err);
    if (st == PL_OK)
        st = store_org_unit_get(app->store, id, &req->arena, u, &err);
    if (st == PL_NOTFOUND)
        fhir_api_outcome(
            res, 404,
            pl_arena_printf(&req->arena, "Organization/%lld is not known", (long long)id));
    else if (st != PL_OK)
        api_fhir_fail(res, &err);
    return st == PL_OK;
}

static json_object *org_json(http_request *req, const pl_org_unit *u)
{
    api_context *app = req->app;
    pl_err err;
    pl_time at = PL_TIME_NONE;
    if (store_fhir_org_updated(app->store, u->id, &at, &err) != PL_OK)
        at = PL_TIME_NONE;
    return fhir_organization_json(u, at);
}

static void read_org(http_request *req, http_response *res, bool vread)
{
    pl_id id;
    pl_org_unit u;
    if (!fhir_api_negotiate(req, res) || !fhir_api_path_id(req, res, 0, "Organization", &id) ||
        !load_org(req, res, id, &u) ||
        (vread && !fhir_api_version_kept(req, res, "Organization", id, u.version)))
        return;
    send_read(req, res, org_json(req, &u), u.version);
}

void api_fhir_organization_read(http_request *req, http_response *res)
{
    read_org(req, res, false);
}

void api_fhir_organization_vread(http_request *req, http_response *res)
{
    read_org(req, res, true);
}

void api_fhir_organization_search(http_request *req, http_response *res)
{
    api_context *app = req->app;
    fhir_qparams qp;
    store_fhir_query q;
    fhir_api_init_query(&q);
    if (!fhir_api_negotiate(req, res) || !fhir_api_gather(req, res, &qp))
        return;
    q.scope.unit_id = api_scope_unit(req);
    bool none = false;
    pl_id parent = 0;
    const char *name = NULL;
    for (int i = 0; i < qp.n; i++) {
        bool handled;
        if (!fhir_api_common_param(req, res, qp.name[i], qp.value[i], &q, &handled, &none))
            return;
        if (handled)
            continue;
        if (strcmp(qp.name[i], "partof") == 0) {
            const char *v = qp.value[i];
            parent =
                strncmp(v, "Organization/", 13) == 0
                    ? ref_id(v, "Organization")
                    : ref_id(pl_arena_printf(&req->arena, "Organization/%s", v), "Organization");
            if (!parent)
                none = true;
        } else if (strcmp(qp.name[i], "name") == 0) {
            if (!name_ok(req, res, qp.name[i], qp.value[i]))
                return;
            name = qp.value[i];
        } else {
            fhir_api_bad_param(req, res, qp.name[i], qp.value[i],
                               "not an Organization search parameter peerlink supports (_id, "
                               "name, partof, _lastUpdated, _count)");
            return;
        }
    }
    pl_id *ids = NULL;
    int n = 0;
    bool more = false;
    pl_err err;
    pl_err_clear(&err);
    if (!none && store_fhir_org_search(app->store, &q, parent, name, &req->arena, &ids, &n, &more,
                                       &err) != PL_OK) {
        api_fhir_fail(res, &err);
        return;
    }
    json_object *entries = json_object_new_array();
    for (int i = 0; i < n; i++) {
        pl_org_unit u;
        if (store_org_unit_get(app->store, ids[i], &req->arena, &u, &err) == PL_OK)
            json_object_array_add(
                entries, fhir_api_entry(req, "Organization", u.id, org_json(req, &u), "match"));
    }
    fhir_api_send(res, 200, fhir_api_searchset(req, &qp, &q, entries, more));
}

/* ---- Practitioner and PractitionerRole ------------------------------------------------- */

/* An account the caller may see: admins every one; others those scoped inside their scope. */
static bool load_account(http_request *req, http_response *res, const char *type, pl_id id,
                         pl_staff_account *a)
{
    api_context *app = req->app;
    pl_err err;
    pl_err_clear(&err);
    pl_id scope = api_scope_unit(req);
    pl_status st = store_staff_account_get(app->store, id, &req->arena, a, &err);
    if (st == PL_OK && scope > 0)
        st = a->scope_unit_id > 0 ? store_unit_visible(app->store, scope, a->scope_unit_id, &err)
                                  : PL_NOTFOUND;
    if (st == PL_NOTFOUND)
        fhir_api_outcome(res, 404,
                         pl_arena_printf(&req->arena, "%s/%lld is not known", type, (long long)id));
    else if (st != PL_OK)
        api_fhir_fail(res, &err);
    return st == PL_OK;
}

/* A staff account's resource; its username (the identifier, half a login) only for admins,
 * as GET /api/v1/staff is theirs alone. */
static json_object *account_json(http_request *req, const pl_staff_account *a, bool role)
{
    json_object *o = role ? fhir_practitioner_role_json(a) : fhir_practitioner_json(a);
    if (!role && req->account.role != PL_ROLE_ADMIN)
        json_object_object_del(o, "identifier");
    return o;
}

static void read_account(http_request *req, http_response *res, bool role, bool vread)
{
    const char *type = role ? "PractitionerRole" : "Practitioner";
    pl_id id;
    pl_staff_account a;
    if (!fhir_api_negotiate(req, res) || !fhir_api_path_id(req, res, 0, type, &id) ||
        !load_account(req, res, type, id, &a) ||
        (vread && !fhir_api_version_kept(req, res, type, id, a.version)))
        return;
    send_read(req, res, account_json(req, &a, role), a.version);
}

void api_fhir_practitioner_read(http_request *req, http_response *res)
{
    read_account(req, res, false, false);
}

void api_fhir_practitioner_vread(http_request *req, http_response *res)
{
    read_account(req, res, false, true);
}

void api_fhir_practitioner_role_read(http_request *req, http_response *res)
{
    read_account(req, res, true, false);
}

void api_fhir_practitioner_role_vread(http_request *req, http_response *res)
{
    read_account(req, res, true, true);
}

static void search_accounts(http_request *req, http_response *res, bool role)
{
    api_context *app = req->app;
    const char *type = role ? "PractitionerRole" : "Practitioner";
    fhir_qparams qp;
    store_fhir_query q;
    fhir_api_init_query(&q);
    if (!fhir_api_negotiate(req, res) || !fhir_api_gather(req, res, &qp))
        return;
    q.scope.unit_id = api_scope_unit(req);
    bool none = false;
    const char *username = NULL, *name = NULL;
    for (int i = 0; i < qp.n; i++) {
        const char *pn = qp.name[i], *v = qp.value[i];
        bool handled;
        if (!fhir_api_common_param(req, res, pn, v, &q, &handled, &none))
            return;
        if (handled)
            continue;
        if (!role && strcmp(pn, "identifier") == 0) {
            if (req->account.role != PL_ROLE_ADMIN) {
                fhir_api_outcome(res, 403,
                                 "search parameter identifier: usernames are for admins only "
                                 "(search by name instead)");
                return;
            }
            const char *bar = strchr(v, '|');
            if (bar && !(bar - v == (long)strlen(FHIR_SYS_STAFF) &&
                         strncmp(v, FHIR_SYS_STAFF, strlen(FHIR_SYS_STAFF)) == 0))
                none = true;
            username = bar ? bar + 1 : v;
        } else if (!role && strcmp(pn, "name") == 0) {
            if (!name_ok(req, res, pn, v))
                return;
            name = v;
        } else if (role && strcmp(pn, "practitioner") == 0) {
            pl_id pid =
                strncmp(v, "Practitioner/", 13) == 0
                    ? ref_id(v, "Practitioner")
                    : ref_id(pl_arena_printf(&req->arena, "Practitioner/%s", v), "Practitioner");
            if (!pid || (q.id && q.id != pid))
                none = true;
            else
                q.id = pid;
        } else {
            fhir_api_bad_param(req, res, pn, v,
                               role ? "not a PractitionerRole search parameter peerlink supports "
                                      "(_id, practitioner, _lastUpdated, _count)"
                                    : "not a Practitioner search parameter peerlink supports "
                                      "(_id, identifier, name, _lastUpdated, _count)");
            return;
        }
    }
    pl_id *ids = NULL;
    int n = 0;
    bool more = false;
    pl_err err;
    pl_err_clear(&err);
    if (!none && store_fhir_staff_search(app->store, &q, username, name, &req->arena, &ids, &n,
                                         &more, &err) != PL_OK) {
        api_fhir_fail(res, &err);
        return;
    }
    json_object *entries = json_object_new_array();
    for (int i = 0; i < n; i++) {
        pl_staff_account a;
        if (store_staff_account_get(app->store, ids[i], &req->arena, &a, &err) == PL_OK)
            json_object_array_add(
                entries, fhir_api_entry(req, type, a.id, account_json(req, &a, role), "match"));
    }
    fhir_api_send(res, 200, fhir_api_searchset(req, &qp, &q, entries, more));
}

void api_fhir_practitioner_search(http_request *req, http_response *res)
{
    search_accounts(req, res, false);
}

void api_fhir_practitioner_role_search(http_request *req, http_response *res)
{
    search_accounts(req, res, true);
}

/* ---- Group ---------------------------------------------------------------------------- */

#define GROUP_MEMBERS_MAX 2000

/* The group as a FHIR Group with its memberships in the caller's scope (audited as reads of
 * the members); NULL with the answer written when the roster is over GROUP_MEMBERS_MAX. */
static json_object *group_json(http_request *req, http_response *res, const pl_group *g,
                               const store_scope *sc)
{
    api_context *app = req->app;
    store_group_member_filter f = {*sc, g->id, 0, -1};
    pl_group_member *all = pl_arena_alloc(&req->arena, sizeof *all * GROUP_MEMBERS_MAX);
    pl_id *pids = pl_arena_alloc(&req->arena, sizeof *pids * GROUP_MEMBERS_MAX);
    int total = 0;
    store_page pg = {0, 200};
    pl_err err;
    pl_err_clear(&err);
    for (;;) {
        pl_group_member *items;
        int n = 0;
        if (!all || !pids ||
            store_group_member_list(app->store, &f, pg, &req->arena, &items, &n, &err) != PL_OK) {
            api_fhir_fail(res, &err);
            return NULL;
        }
        if (total + n > GROUP_MEMBERS_MAX) {
            fhir_api_outcome(res, 500,
                             "the group has more than 2000 memberships, more than a "
                             "FHIR Group answer may hold");
            return NULL;
        }
        for (int i = 0; i < n; i++) {
            pids[total] = items[i].participant_id;
            all[total++] = items[i];
        }
        if (n < pg.limit)
            break;
        pg.after = items[n - 1].id;
    }
    if (total)
        api_audit_reads(req, "participant", pids, pids, total);
    pl_time at = PL_TIME_NONE;
    if (store_fhir_group_updated(app->store, g->id, &at, &err) != PL_OK)
        at = PL_TIME_NONE;
    pl_id leader = 0;
    if (store_fhir_leader_account(app->store, g->peer_leader_id, &leader, &err) != PL_OK)
        leader = 0;
    return fhir_group_json(g, all, total, at, leader);
}

static void read_group(http_request *req, http_response *res, bool vread)
{
    api_context *app = req->app;
    pl_id id;
    store_scope sc;
    if (!fhir_api_negotiate(req, res) || !fhir_api_path_id(req, res, 0, "Group", &id) ||
        !api_scope(req, res, &sc))
        return;
    pl_group g;
    pl_err err;
    pl_err_clear(&err);
    pl_status st = store_group_visible(app->store, &sc, id, &err);
    if (st == PL_OK)
        st = store_group_get(app->store, id, &req->arena, &g, &err);
    if (st == PL_NOTFOUND) {
        fhir_api_outcome(res, 404,
                         pl_arena_printf(&req->arena, "Group/%lld is not known", (long long)id));
        return;
    }
    if (st != PL_OK) {
        api_fhir_fail(res, &err);
        return;
    }
    if (vread && !fhir_api_version_kept(req, res, "Group", id, g.version))
        return;
    json_object *o = group_json(req, res, &g, &sc);
    if (o)
        send_read(req, res, o, g.version);
}

void api_fhir_group_read(http_request *req, http_response *res)
{
    read_group(req, res, false);
}

void api_fhir_group_vread(http_request *req, http_response *res)
{
    read_group(req, res, true);
}

void api_fhir_group_search(http_request *req, http_response *res)
{
    api_context *app = req->app;
    fhir_qparams qp;
    store_fhir_query q;
    fhir_api_init_query(&q);
    if (!fhir_api_negotiate(req, res) || !fhir_api_gather(req, res, &qp) ||
        !api_scope(req, res, &q.scope))
        return;
    bool none = false;
    pl_id member = 0;
    for (int i = 0; i < qp.n; i++) {
        bool handled;
        if (!fhir_api_common_param(req, res, qp.name[i], qp.value[i], &q, &handled, &none))
            return;
        if (handled)
            continue;
        if (strcmp(qp.name[i], "member") == 0) {
            const char *v = qp.value[i];
            member = strncmp(v, "Patient/", 8) == 0
                         ? ref_id(v, "Patient")
                         : ref_id(pl_arena_printf(&req->arena, "Patient/%s", v), "Patient");
            if (!member)
                none = true;
        } else {
            fhir_api_bad_param(req, res, qp.name[i], qp.value[i],
                               "not a Group search parameter peerlink supports (_id, member, "
                               "_lastUpdated, _count)");
            return;
        }
    }
    pl_id *ids = NULL;
    int n = 0;
    bool more = false;
    pl_err err;
    pl_err_clear(&err);
    if (!none && store_fhir_group_search(app->store, &q, member, &req->arena, &ids, &n, &more,
                                         &err) != PL_OK) {
        api_fhir_fail(res, &err);
        return;
    }
    json_object *entries = json_object_new_array();
    for (int i = 0; i < n; i++) {
        pl_group g;
        if (store_group_get(app->store, ids[i], &req->arena, &g, &err) != PL_OK)
            continue;
        json_object *o = group_json(req, res, &g, &q.scope);
        if (!o) {
            json_object_put(entries);
            return;
        }
        json_object_array_add(entries, fhir_api_entry(req, "Group", g.id, o, "match"));
    }
    fhir_api_send(res, 200, fhir_api_searchset(req, &qp, &q, entries, more));
}

/* ---- Organization, Practitioner, PractitionerRole, Group: writing ----------------------
 * Each write reads the body with its fhir_*_from_json reader, then runs the JSON API's own
 * step (api_org_unit_*_tx, api_staff_*_tx, api_group_*_tx) in one api_write transaction, so
 * the rules, scope checks and audit are those of the JSON API; the domain's field names in
 * its errors become the resource's FHIR paths (rename_fields()). */

typedef const char *const field_map[2];

/* Renames err's fields by map (domain name -> FHIR path), prefixing prefix to each. */
static void rename_fields(pl_err *err, field_map *map, size_t n, const char *prefix)
{
    for (int i = 0; i < err->nfields; i++) {
        const char *to = err->fields[i].field;
        for (size_t j = 0; j < n; j++)
            if (strcmp(to, map[j][0]) == 0) {
                to = map[j][1];
                break;
            }
        char named[sizeof err->fields[i].field];
        snprintf(named, sizeof named, "%s%s", prefix ? prefix : "", to);
        memcpy(err->fields[i].field, named, sizeof named);
    }
}

static field_map org_fields[] = {
    {"parent_id", "partOf"}, {"kind", "type"}, {"code", "identifier"}, {"name", "name"}};
static field_map staff_fields[] = {
    {"username", "identifier"}, {"display_name", "name"}, {"language", "communication"},
    {"disabled", "active"},     {"role", "code"},         {"scope_unit_id", "organization"}};
static field_map group_fields[] = {{"unit_id", "managingEntity"},
                                   {"kind", "code"},
                                   {"name", "name"},
                                   {"peer_leader_id", "extension"},
                                   {"participant_id", "entity"},
                                   {"joined_on", "period.start"},
                                   {"left_on", "period.end"}};
#define NMAP(m) (sizeof(m) / sizeof((m)[0]))

/*
 * The body as one resource of `type` read by reader; false with the answer written (400 or
 * 422 naming the FHIR paths) and audited. On update (id > 0) an id in the body must be the
 * URL's.
 */
typedef pl_status (*reader_fn)(json_object *o, pl_arena *a, void *out, pl_err *err);

static bool read_body(http_request *req, http_response *res, const char *type, pl_id id,
                      reader_fn reader, void *out, const char **body_id, const char *entity)
{
    json_object *o = fhir_api_body(req, res);
    if (!o)
        return false;
    pl_err err;
    pl_err_clear(&err);
    pl_status st = reader(o, &req->arena, out, &err);
    json_object_put(o);
    char want[24];
    snprintf(want, sizeof want, "%lld", (long long)id);
    if (st == PL_OK && id > 0 && *body_id && strcmp(*body_id, want) != 0)
        pl_err_field(&err, "id", "must be the id of the URL, %lld", (long long)id);
    if (err.nfields || st != PL_OK) {
        if (err.nfields)
            err.status = PL_INVALID;
        if (!err.message[0])
            snprintf(err.message, sizeof err.message, "the %s cannot be written", type);
        api_fhir_fail(res, &err);
        api_audit(req, id > 0 ? "update" : "create", entity, id, 0, res->status);
        return false;
    }
    return true;
}

static pl_status read_org_body(json_object *o, pl_arena *a, void *out, pl_err *err)
{
    return fhir_organization_from_json(o, a, out, err);
}

static pl_status read_practitioner_body(json_object *o, pl_arena *a, void *out, pl_err *err)
{
    return fhir_practitioner_from_json(o, a, out, err);
}

static pl_status read_role_body(json_object *o, pl_arena *a, void *out, pl_err *err)
{
    return fhir_practitioner_role_from_json(o, a, out, err);
}

static pl_status read_group_body(json_object *o, pl_arena *a, void *out, pl_err *err)
{
    return fhir_group_from_json(o, a, out, err);
}

/* A write's answer: the resource, its version as ETag, Location on create. */
static void answer_resource(http_request *req, api_result *out, const char *type, pl_id id,
                            json_object *o, int version, bool created)
{
    out->status = created ? 201 : 200;
    out->body = api_json_text(req, o);
    out->version = version;
    if (created)
        out->location =
            pl_arena_printf(&req->arena, "/fhir/%s/%lld/_history/%d", type, (long long)id, version);
}

/* ---- Organization ---------------------------------------------------------------------- */

typedef struct org_write {
    pl_org_unit u;
    int if_match;
    bool create;
} org_write;

static pl_status org_write_fn(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    org_write *w = ctx;
    pl_status st = w->create ? api_org_unit_create_tx(tx, req, &w->u, err)
                             : api_org_unit_update_tx(tx, req, &w->u, w->if_match, err);
    if (st != PL_OK) {
        rename_fields(err, org_fields, NMAP(org_fields), "");
        return st;
    }
    answer_resource(req, out, "Organization", w->u.id,
                    fhir_organization_json(&w->u, (pl_time)time(NULL)), w->u.version, w->create);
    return PL_OK;
}

static bool org_prepare(http_request *req, http_response *res, pl_id id, org_write *w)
{
    fhir_organization fo;
    if (!read_body(req, res, "Organization", id, read_org_body, &fo, &fo.id, "org_unit"))
        return false;
    w->u = fo.u;
    w->u.id = id;
    w->u.parent_id = fo.parent;
    if (w->create && (fo.u.kind == PL_ORG_NETWORK || fo.u.kind == PL_ORG_PROGRAM)) {
        pl_err err;
        pl_err_clear(&err);
        pl_err_field(&err, "type",
                     "a network or program is created through the JSON API (a program "
                     "carries its language, key functions and settings)");
        api_fhir_fail(res, &err);
        api_audit(req, "create", "org_unit", 0, 0, res->status);
        return false;
    }
    return true;
}

void api_fhir_organization_create(http_request *req, http_response *res)
{
    org_write w = {.if_match = -1, .create = true};
    if (!fhir_api_negotiate(req, res) || !org_prepare(req, res, 0, &w))
        return;
    api_write(req, res, org_write_fn, &w, sizeof w, "org_unit", 0);
}

void api_fhir_organization_update(http_request *req, http_response *res)
{
    org_write w = {.create = false};
    pl_id id;
    pl_org_unit cur;
    if (!fhir_api_negotiate(req, res) || !fhir_api_path_id(req, res, 0, "Organization", &id) ||
        !load_org(req, res, id, &cur) || !if_match(req, res, &w.if_match) ||
        !org_prepare(req, res, id, &w))
        return;
    api_write(req, res, org_write_fn, &w, sizeof w, "org_unit", 0);
}

/* ---- Practitioner and PractitionerRole ---------------------------------------------------- */

/* A Practitioner made through FHIR has no password (FHIR carries no secret): no argon2id
 * string matches this one, so the account cannot log in until an admin sets a password
 * (POST /api/v1/staff/{id}/password). */
#define NO_PASSWORD "!unset: no password yet"

typedef struct staff_write {
    pl_staff_account a; /* create */
    pl_id id;           /* update */
    int if_match;
    api_staff_change ch;
    bool role; /* answer as PractitionerRole */
    bool create;
} staff_write;

static pl_status staff_write_fn(store_tx *tx, http_request *req, void *ctx, api_result *out,
                                pl_err *err)
{
    staff_write *w = ctx;
    pl_staff_account a = w->a;
    pl_status st = w->create && !w->role
                       ? api_staff_create_tx(tx, req, &a, NO_PASSWORD, err)
                       : api_staff_update_tx(tx, req, w->id, w->if_match, &w->ch, &a, err);
    if (st != PL_OK) {
        rename_fields(err, staff_fields, NMAP(staff_fields), "");
        return st;
    }
    if (w->create && !w->role)
        a.version = 1;
    answer_resource(req, out, w->role ? "PractitionerRole" : "Practitioner", a.id,
                    w->role ? fhir_practitioner_role_json(&a) : fhir_practitioner_json(&a),
                    a.version, w->create);
    return PL_OK;
}

static void staff_refuse(http_request *req, http_response *res, pl_id id, const char *field,
                         const char *rule)
{
    pl_err err;
    pl_err_clear(&err);
    pl_err_field(&err, field, "%s", rule);
    api_fhir_fail(res, &err);
    api_audit(req, id ? "update" : "create", "staff_account", id, 0, res->status);
}

/*
 * A new account waits for its role: until a PractitionerRole names one (and a scope) it is
 * disabled, an evaluator scoped to the first unit (the root), the least an account can be.
 */
void api_fhir_practitioner_create(http_request *req, http_response *res)
{
    api_context *app = req->app;
    staff_write w = {.if_match = -1, .create = true};
    fhir_practitioner fp;
    if (!fhir_api_negotiate(req, res) ||
        !read_body(req, res, "Practitioner", 0, read_practitioner_body, &fp, &fp.id,
                   "staff_account"))
        return;
    if (!fp.username) {
        staff_refuse(req, res, 0, "identifier",
                     "is required: the username, an identifier of system " FHIR_SYS_STAFF);
        return;
    }
    pl_org_unit *root = NULL;
    int n = 0;
    pl_err err;
    pl_err_clear(&err);
    store_page pg = {0, 1};
    if (store_org_unit_list(app->store, 0, -1, 0, pg, &req->arena, &root, &n, &err) != PL_OK ||
        n < 1) {
        staff_refuse(req, res, 0, "identifier", "an account needs an org unit to exist first");
        return;
    }
    w.a = (pl_staff_account){.username = fp.username,
                             .display_name = fp.display_name,
                             .language = fp.language,
                             .role = PL_ROLE_EVALUATOR,
                             .scope_unit_id = root[0].id,
                             .disabled = true};
    pl_err_clear(&err);
    if (staff_account_validate(&w.a, &err) != PL_OK) {
        rename_fields(&err, staff_fields, NMAP(staff_fields), "");
        api_fhir_fail(res, &err);
        api_audit(req, "create", "staff_account", 0, 0, res->status);
        return;
    }
    api_write(req, res, staff_write_fn, &w, sizeof w, "staff_account", 0);
}

void api_fhir_practitioner_update(http_request *req, http_response *res)
{
    staff_write w = {.create = false};
    fhir_practitioner fp;
    pl_staff_account cur;
    if (!fhir_api_negotiate(req, res) || !fhir_api_path_id(req, res, 0, "Practitioner", &w.id) ||
        !load_account(req, res, "Practitioner", w.id, &cur) || !if_match(req, res, &w.if_match) ||
        !read_body(req, res, "Practitioner", w.id, read_practitioner_body, &fp, &fp.id,
                   "staff_account"))
        return;
    if (fp.username && strcmp(fp.username, cur.username) != 0) {
        staff_refuse(req, res, w.id, "identifier",
                     "a username does not change: the identifier of " FHIR_SYS_STAFF
                     " must stay the account's");
        return;
    }
    if (fp.active && cur.disabled) {
        staff_refuse(req, res, w.id, "active",
                     "turning an account on is its PractitionerRole's (PUT PractitionerRole "
                     "with active true), which names the role and scope it gets");
        return;
    }
    w.ch = (api_staff_change){.set_display_name = true,
                              .display_name = fp.display_name,
                              .set_language = true,
                              .language = fp.language,
                              .set_disabled = !fp.active,
                              .disabled = true};
    api_write(req, res, staff_write_fn, &w, sizeof w, "staff_account", 0);
}

static void role_write(http_request *req, http_response *res, pl_id id)
{
    staff_write w = {.role = true, .create = id == 0, .if_match = -1};
    fhir_practitioner_role fr;
    if (!fhir_api_negotiate(req, res) ||
        (id && !fhir_api_path_id(req, res, 0, "PractitionerRole", &id)) ||
        !if_match(req, res, &w.if_match) ||
        !read_body(req, res, "PractitionerRole", id, read_role_body, &fr, &fr.id, "staff_account"))
        return;
    if (id && fr.practitioner != id) {
        staff_refuse(req, res, id, "practitioner.reference",
                     pl_arena_printf(&req->arena,
                                     "must be Practitioner/%lld: a PractitionerRole is its "
                                     "account's role",
                                     (long long)id));
        return;
    }
    w.id = fr.practitioner;
    pl_staff_account cur;
    pl_err err;
    pl_err_clear(&err);
    if (store_staff_account_get(((api_context *)req->app)->store, w.id, &req->arena, &cur, &err) !=
        PL_OK) {
        if (id)
            fhir_api_outcome(
                res, 404,
                pl_arena_printf(&req->arena, "PractitionerRole/%lld is not known", (long long)id));
        else
            staff_refuse(req, res, 0, "practitioner.reference", "names no Practitioner");
        return;
    }
    w.ch = (api_staff_change){.set_role = true,
                              .role = fr.role,
                              .set_scope = true,
                              .scope_unit_id = fr.organization,
                              /* without active the account keeps its state: a scope fixed
                                 on a disabled account must not turn it back on */
                              .set_disabled = fr.active_given,
                              .disabled = !fr.active};
    api_write(req, res, staff_write_fn, &w, sizeof w, "staff_account", 0);
}

void api_fhir_practitioner_role_create(http_request *req, http_response *res)
{
    role_write(req, res, 0);
}

void api_fhir_practitioner_role_update(http_request *req, http_response *res)
{
    role_write(req, res, 1);
}

/* ---- Group ------------------------------------------------------------------------------- */

typedef struct group_write {
    fhir_group fg;
    pl_id id; /* update */
    int if_match;
    bool create;
    pl_id leader;         /* the peer leader named by the extension; 0: kept */
    const pl_id *visible; /* the participants of current memberships the caller sees */
    int nvisible;
} group_write;

static pl_date today(void)
{
    return pl_time_date((pl_time)time(NULL));
}

static bool listed(const pl_id *ids, int n, pl_id id)
{
    for (int i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

/* The entry for participant p that is current (want_current) or ended, preferring the one
 * that began on `start`; -1 when none. */
static int entry_for(const fhir_group *fg, pl_id p, bool want_current, pl_date start)
{
    int found = -1;
    for (int i = 0; i < fg->nmembers; i++) {
        const fhir_group_entry *e = &fg->members[i];
        if (e->participant != p || e->current != want_current)
            continue;
        if (found < 0 || e->start == start)
            found = i;
    }
    return found;
}

/*
 * The member list as a diff against the group's memberships: an open membership of a
 * participant the caller sees ends (period.end, else today) unless the list has them as a
 * current member; a current member without an open membership joins (period.start, else
 * today). On create an ended entry with a start is recorded as history. Nothing is deleted.
 */
/* Whether entry a joins before b: past memberships before current ones, each by start. */
static bool entry_before(const fhir_group_entry *a, const fhir_group_entry *b)
{
    if (a->current != b->current)
        return !a->current;
    return a->start != PL_DATE_NONE && (b->start == PL_DATE_NONE || a->start < b->start);
}

static pl_status apply_members(store_tx *tx, http_request *req, group_write *w, pl_id gid,
                               pl_err *err)
{
    pl_group_member *cur;
    int n;
    pl_status st =
        store_tx_fhir_group_members(tx, gid, FHIR_GROUP_MEMBERS_MAX, &req->arena, &cur, &n, err);
    if (st != PL_OK)
        return st;
    pl_date now = today();
    for (int i = 0; i < n; i++) {
        pl_group_member *m = &cur[i];
        if (m->left_on != PL_DATE_NONE || !listed(w->visible, w->nvisible, m->participant_id) ||
            entry_for(&w->fg, m->participant_id, true, m->joined_on) >= 0)
            continue;
        int e = entry_for(&w->fg, m->participant_id, false, m->joined_on);
        pl_date end = e >= 0 && w->fg.members[e].end != PL_DATE_NONE ? w->fg.members[e].end : now;
        if ((st = api_group_member_end_tx(tx, req, gid, m->id, end, NULL, m, err)) != PL_OK) {
            rename_fields(err, group_fields, NMAP(group_fields),
                          e >= 0 ? pl_arena_printf(&req->arena, "member[%d].", e) : "member.");
            return st;
        }
    }
    /* joins in time order, past memberships first: a person's earlier period must be in before
       a later or current one is (store_group_member_add), whatever the body's order */
    int *order = pl_arena_alloc(&req->arena, sizeof *order * (size_t)(w->fg.nmembers + 1));
    if (!order)
        return pl_err_set(err, PL_LIMIT, "the request needs more memory than a request may use");
    for (int i = 0; i < w->fg.nmembers; i++) {
        int j = i;
        for (; j > 0 && entry_before(&w->fg.members[i], &w->fg.members[order[j - 1]]); j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    for (int oi = 0; oi < w->fg.nmembers; oi++) {
        int i = order[oi];
        const fhir_group_entry *e = &w->fg.members[i];
        bool open = false;
        for (int j = 0; j < n && !open; j++)
            open = cur[j].participant_id == e->participant && cur[j].left_on == PL_DATE_NONE;
        if (open || (!e->current && !w->create))
            continue;
        if (!e->current && e->start == PL_DATE_NONE) {
            char field[48];
            snprintf(field, sizeof field, "member[%d].period.start", i);
            pl_err_field(err, field, "is required for a past membership");
            return PL_INVALID;
        }
        pl_group_member m = {.group_id = gid,
                             .participant_id = e->participant,
                             .joined_on = e->start != PL_DATE_NONE ? e->start : now,
                             .left_on = e->current ? PL_DATE_NONE : e->end};
        if ((st = api_group_member_add_tx(tx, req, &m, err)) != PL_OK) {
            rename_fields(err, group_fields, NMAP(group_fields),
                          pl_arena_printf(&req->arena, "member[%d].", i));
            return st;
        }
    }
    return PL_OK;
}

static pl_status group_write_fn(store_tx *tx, http_request *req, void *ctx, api_result *out,
                                pl_err *err)
{
    group_write *w = ctx;
    pl_group g = {0}, before;
    pl_status st;
    if (w->create) {
        g = w->fg.g;
        g.unit_id = w->fg.unit;
        g.peer_leader_id = w->leader;
    } else {
        if ((st = store_tx_group_get(tx, w->id, &req->arena, &before, err)) != PL_OK ||
            (st = api_version_check(w->if_match, before.version, "group", err)) != PL_OK)
            return st;
        if (w->fg.unit && w->fg.unit != before.unit_id) {
            pl_err_field(err, "managingEntity",
                         "must stay Organization/%lld: a group does not move to another unit",
                         (long long)before.unit_id);
            return PL_INVALID;
        }
        g = before;
        g.kind = w->fg.g.kind;
        g.name = w->fg.g.name;
        g.active = w->fg.g.active;
        if (w->leader)
            g.peer_leader_id = w->leader;
    }
    if ((st = api_group_save_tx(tx, req, &g, w->create ? NULL : &before, err)) != PL_OK) {
        rename_fields(err, group_fields, NMAP(group_fields), "");
        return st;
    }
    if ((st = apply_members(tx, req, w, g.id, err)) != PL_OK)
        return st;
    pl_group_member *all;
    int n;
    if ((st = store_tx_fhir_group_members(tx, g.id, FHIR_GROUP_MEMBERS_MAX, &req->arena, &all, &n,
                                          err)) != PL_OK)
        return st;
    /* the answer shows the memberships the caller sees, as a read would */
    int k = 0;
    for (int i = 0; i < n; i++)
        if (listed(w->visible, w->nvisible, all[i].participant_id) ||
            entry_for(&w->fg, all[i].participant_id, true, PL_DATE_NONE) >= 0 ||
            entry_for(&w->fg, all[i].participant_id, false, PL_DATE_NONE) >= 0)
            all[k++] = all[i];
    /* and audits them as a read does: the answer shows each of those participants */
    for (int i = 0; i < k && st == PL_OK; i++)
        st = api_audit_tx(tx, req, "read", "participant", all[i].participant_id,
                          all[i].participant_id, 200, err);
    if (st != PL_OK)
        return st;
    pl_id account = 0;
    pl_err ignore;
    pl_err_clear(&ignore);
    if (store_fhir_leader_account(((api_context *)req->app)->store, g.peer_leader_id, &account,
                                  &ignore) != PL_OK)
        account = 0;
    answer_resource(req, out, "Group", g.id,
                    fhir_group_json(&g, all, k, (pl_time)time(NULL), account), g.version,
                    w->create);
    return PL_OK;
}

/* Fails the Group write with one field error (audited); false. */
static bool group_refuse(http_request *req, http_response *res, pl_id id, const char *field,
                         const char *rule)
{
    pl_err err;
    pl_err_clear(&err);
    pl_err_field(&err, field, "%s", rule);
    api_fhir_fail(res, &err);
    api_audit(req, id ? "update" : "create", "group", id, 0, res->status);
    return false;
}

/*
 * Checks what needs the store before the write: the leader's account names a peer leader,
 * every listed Patient is in the caller's scope (422 naming member[i].entity otherwise), and
 * collects the participants of the group's memberships the caller sees. False with the
 * answer written.
 */
static bool group_prepare(http_request *req, http_response *res, group_write *w,
                          const store_scope *sc)
{
    api_context *app = req->app;
    pl_err err;
    pl_err_clear(&err);
    if (w->fg.leader) {
        pl_staff_account a;
        if (store_staff_account_get(app->store, w->fg.leader, &req->arena, &a, &err) != PL_OK ||
            a.person_id <= 0 ||
            store_peer_leader_by_person(app->store, a.person_id, &w->leader, &err) != PL_OK ||
            !w->leader)
            return group_refuse(req, res, w->id, "extension",
                                "the " FHIR_EXT_GROUP_LEADER
                                " extension must name the Practitioner of a peer leader");
    } else if (w->create) {
        return group_refuse(req, res, 0, "extension",
                            "is required: the " FHIR_EXT_GROUP_LEADER
                            " extension with the Practitioner of the peer leader who leads it");
    }
    if (w->create && !w->fg.unit)
        return group_refuse(req, res, 0, "managingEntity",
                            "is required: Organization/id of the unit the group meets in");
    for (int i = 0; i < w->fg.nmembers; i++) {
        pl_err_clear(&err);
        char field[48], rule[96];
        snprintf(field, sizeof field, "member[%d].entity", i);
        snprintf(rule, sizeof rule, "names no Patient in your scope: Patient/%lld",
                 (long long)w->fg.members[i].participant);
        if (store_participant_visible(app->store, sc, w->fg.members[i].participant, &err) != PL_OK)
            return group_refuse(req, res, w->id, field, rule);
    }
    if (w->create)
        return true;
    store_group_member_filter f = {*sc, w->id, 0, -1};
    pl_id *vis = pl_arena_alloc(&req->arena, sizeof *vis * FHIR_GROUP_MEMBERS_MAX);
    store_page pg = {0, 200};
    int total = 0;
    for (;;) {
        pl_group_member *items;
        int n = 0;
        pl_err_clear(&err);
        if (!vis ||
            store_group_member_list(app->store, &f, pg, &req->arena, &items, &n, &err) != PL_OK ||
            total + n > FHIR_GROUP_MEMBERS_MAX) {
            if (err.status == PL_OK)
                pl_err_set(&err, PL_LIMIT, "the group has more memberships than a Group holds");
            api_fhir_fail(res, &err);
            return false;
        }
        for (int i = 0; i < n; i++)
            vis[total++] = items[i].participant_id;
        if (n < pg.limit)
            break;
        pg.after = items[n - 1].id;
    }
    w->visible = vis;
    w->nvisible = total;
    return true;
}

void api_fhir_group_create(http_request *req, http_response *res)
{
    group_write w = {.if_match = -1, .create = true};
    store_scope sc;
    if (!fhir_api_negotiate(req, res) || !api_scope(req, res, &sc) ||
        !read_body(req, res, "Group", 0, read_group_body, &w.fg, &w.fg.id, "group") ||
        !group_prepare(req, res, &w, &sc))
        return;
    api_write(req, res, group_write_fn, &w, sizeof w, "group", 0);
}

void api_fhir_group_update(http_request *req, http_response *res)
{
    api_context *app = req->app;
    group_write w = {.create = false};
    store_scope sc;
    if (!fhir_api_negotiate(req, res) || !fhir_api_path_id(req, res, 0, "Group", &w.id) ||
        !api_scope(req, res, &sc))
        return;
    pl_err err;
    pl_err_clear(&err);
    if (store_group_visible(app->store, &sc, w.id, &err) != PL_OK) {
        fhir_api_outcome(res, 404,
                         pl_arena_printf(&req->arena, "Group/%lld is not known", (long long)w.id));
        api_audit(req, "update", "group", w.id, 0, 404);
        return;
    }
    if (!if_match(req, res, &w.if_match) ||
        !read_body(req, res, "Group", w.id, read_group_body, &w.fg, &w.fg.id, "group") ||
        !group_prepare(req, res, &w, &sc))
        return;
    api_write(req, res, group_write_fn, &w, sizeof w, "group", 0);
}
