/*
 * common.h - what every API handler shares: scope, parameters, JSON
 * output, de-identification, the audit trail and the write wrapper.
 *
 * Internal to src/api. Strings returned here live in the request arena
 * (or in req->json, which lives as long as the request).
 */
#ifndef PL_API_COMMON_H
#define PL_API_COMMON_H

#include <json-c/json.h>

#include "api.h"

/* ---- who is asking ------------------------------------------------------ */

/* The caller's scope; false (with a 500 written) if it cannot be worked out. */
bool api_scope(http_request *req, http_response *res, store_scope *out);
bool api_is_evaluator(const http_request *req);
/* The root of the caller's org-unit scope: 0 (everywhere) for an admin. */
pl_id api_scope_unit(const http_request *req);
/* The program {id} of the path when the caller may see it; else 404 written and false. */
bool api_program_visible(http_request *req, http_response *res, pl_id *id);
/*
 * True if the participant of a record is in the caller's scope. Otherwise
 * answers 404 ("<entity> not found", or "participant not found" when
 * record_id is 0: a record being created), audits the refusal and returns
 * false.
 */
bool api_participant_in_scope(http_request *req, http_response *res, pl_id participant_id,
                              const char *entity, pl_id record_id);

/*
 * After reading one record of a participant (st, err: the store's answer):
 * true when it may be sent. Otherwise the failure is answered (a 404 is
 * audited) or the participant is out of scope (404, audited) and false.
 */
bool api_record_readable(http_request *req, http_response *res, pl_status st, const pl_err *err,
                         const char *entity, pl_id id, pl_id participant_id);
/* Sends a participant's record (200) and audits the read. */
void api_send_read(http_request *req, http_response *res, json_object *o, const char *entity,
                   pl_id id, pl_id participant_id);

/* ---- answering ---------------------------------------------------------- */

/* Answers a pl_err with the status its code maps to (422 with field errors, ...). */
void api_fail(http_response *res, const pl_err *err);
/* Serialises o (and releases it) as the body with the given status. */
void api_send(http_response *res, int status, json_object *o);
/* Sets ETag: W/"version". */
void api_etag(http_request *req, http_response *res, int version);
/* True when If-Match is absent or names `version`; else writes 412 and returns false. */
bool api_if_match(http_request *req, http_response *res, int version);
/* The version If-Match names, or -1 when absent (or unparsable: then 412 is written, -2). */
int api_if_match_version(http_request *req, http_response *res);
/*
 * Inside a write: PL_OK when if_match is -1 (none sent) or the record's
 * version; else PL_STALE with "the <what> was changed since you read it".
 */
pl_status api_version_check(int if_match, int version, const char *what, pl_err *err);

/* ---- request parameters ------------------------------------------------- */

/* The i-th {id} of the path; false (404 written) if it is not a positive integer. */
bool api_path_id(http_request *req, http_response *res, int i, pl_id *out);
/* ?after= and ?limit= (1-200, default 50); false with 400 written when malformed. */
bool api_page(http_request *req, http_response *res, store_page *out);
/* An optional positive-integer query parameter (0 when absent). */
bool api_query_id(http_request *req, http_response *res, const char *name, pl_id *out);
/* An optional integer query parameter in [lo, hi] (absent: *out untouched). */
bool api_query_int(http_request *req, http_response *res, const char *name, long lo, long hi,
                   int *out);
/* An optional RFC 3339 query parameter (absent: PL_TIME_NONE). */
bool api_query_time(http_request *req, http_response *res, const char *name, pl_time *out);

/* Body fields of a schema-checked request (types already checked by the router). */
bool api_body_has(const http_request *req, const char *name);
bool api_body_null(const http_request *req, const char *name);
const char *api_body_str(const http_request *req, const char *name); /* NULL if absent/null */
long api_body_int(const http_request *req, const char *name, long absent);
bool api_body_bool(const http_request *req, const char *name, bool absent);
pl_id api_body_id(const http_request *req, const char *name); /* 0 if absent or null */
pl_date api_body_date(const http_request *req, const char *name);
pl_time api_body_time(const http_request *req, const char *name);
/* The strings of an array field (arena copy); *n = 0 if absent. */
const char **api_body_strings(http_request *req, const char *name, int *n);
/* The integers of an array field (arena copy); *n = 0 if absent. */
int *api_body_ints(http_request *req, const char *name, int *n);
/* "key_functions" to PL_KF_* bits: the standard names, then the program's own codes; each
 * unknown name is a field error. */
uint32_t api_body_key_functions(http_request *req, pl_id program_id, pl_err *err);
/* "topics" to 1u << pl_topic bits; each unknown name is a field error. */
uint32_t api_body_topics(http_request *req, pl_err *err);
/* The bits of the key functions the program declared (for *_validate). */
uint32_t api_program_kf_mask(http_request *req, pl_id program_id);

/* ---- JSON output -------------------------------------------------------- */

json_object *api_json_date(pl_date d);
json_object *api_json_time(pl_time t);
json_object *api_json_str(const char *s);
json_object *api_json_id(pl_id id);

json_object *api_participant_json(http_request *req, const pl_participant *p);
json_object *api_contact_json(http_request *req, const pl_contact *c);
json_object *api_measurement_json(http_request *req, const pl_measurement *m);
json_object *api_org_unit_json(const pl_org_unit *u);
json_object *api_peer_leader_json(const pl_peer_leader *l);
json_object *api_staff_json(const pl_staff_account *a);
json_object *api_alert_json(const store_alert *al);
json_object *api_questionnaire_json(http_request *req, const store_questionnaire *q);
json_object *api_task_json(const store_task *t);
/* A directory service with its organization, categories, languages, locations, phones, hours. */
json_object *api_resource_json(const store_rsc_service *s);

/* codes[bit] of a program's own key functions, cached for the request; NULL on failure. */
const char *const *api_key_function_codes(http_request *req, pl_id program_id);

/* {"items": items, "next": link or null}; next is set when the page is full. */
void api_send_list(http_request *req, http_response *res, json_object *items, int n,
                   const store_page *pg, pl_id last_id);

/* ---- de-identification (docs/PRIVACY.md; computed by src/eval/deid.c) --- */

/* "P" + 16 upper-case hex digits (64 bits) of HMAC-SHA-256(secret, "participant:<id>"). */
#define API_PSEUDONYM_LEN 18
void api_pseudonym(const api_context *app, pl_id participant_id, char out[API_PSEUDONYM_LEN]);
/* The participant's date shift in days, -30..+30. */
int api_date_shift(const api_context *app, pl_id participant_id);

/* ---- the report cache (studies.c) --------------------------------------- */

api_report_cache *api_report_cache_new(void);
void api_report_cache_free(api_report_cache *c);

/* ---- audit trail -------------------------------------------------------- */

/* Queues an event for a read (or a refused request) without waiting. */
void api_audit(http_request *req, const char *action, const char *entity, pl_id entity_id,
               pl_id participant_id, int status);
/* Queues one read event per listed record (entity_ids[i] of participant_ids[i]). */
void api_audit_reads(http_request *req, const char *entity, const pl_id *entity_ids,
                     const pl_id *participant_ids, int n);
/* Appends an event inside a write's transaction. */
pl_status api_audit_tx(store_tx *tx, http_request *req, const char *action, const char *entity,
                       pl_id entity_id, pl_id participant_id, int status, pl_err *err);

/* ---- writes ------------------------------------------------------------- */

/* What a write answers: status, body (JSON text in the arena), Location, ETag version. */
typedef struct api_result {
    int status;
    const char *body;
    const char *location;
    int version; /* > 0: sent as ETag */
} api_result;

/* Does the write inside the transaction and fills out (body in req's arena). */
typedef pl_status (*api_write_fn)(store_tx *tx, http_request *req, void *ctx, api_result *out,
                                  pl_err *err);

/*
 * Runs fn in one transaction and answers its result, without holding the
 * worker thread: the request is suspended until the commit is durable,
 * then answered from the writer thread. ctx (ctx_size bytes) is copied
 * into the request arena; it may point at request memory, not at the
 * handler's stack. For POST it honours
 * Idempotency-Key: a repeated key with the same body replays the stored
 * answer (Idempotent-Replayed: true) and writes nothing; with another body
 * it answers 422. A failed write is audited (entity, participant_id) with
 * its status, outside the rolled-back transaction.
 */
void api_write(http_request *req, http_response *res, api_write_fn fn, const void *ctx,
               size_t ctx_size, const char *entity, pl_id participant_id);

/* Serialises o into the arena (for api_result.body) and releases o. */
const char *api_json_text(http_request *req, json_object *o);

/* ---- the workflow inside a write ---------------------------------------- */

/* Enrols p (home unit and leader checked against the caller's scope, validated, inserted,
 * audited, tier history and follow-up task started): the steps of POST /participants. */
pl_status api_participant_enrol_tx(store_tx *tx, http_request *req, pl_participant *p, pl_err *err);
/* Records a prepared measurement as POST /measurements does: insert, audit, one alert per
 * broken escalation rule (listed in body "alerts"), risk tier refresh (body gets
 * "risk_tier_changed"). Sets m->id. */
pl_status api_measurement_record_tx(store_tx *tx, http_request *req, pl_measurement *m,
                                    json_object *body, pl_err *err);
/* Corrects measurement m->id (prepared values; at version, else PL_STALE) as a FHIR PUT does:
 * the old version kept, audited, the escalation rules and the risk tier run on the new value. */
pl_status api_measurement_correct_tx(store_tx *tx, http_request *req, const pl_measurement *m,
                                     int version, json_object *body, pl_err *err);
/* Voids measurement id (entered in error; at version): audited, the risk tier refreshed. */
pl_status api_measurement_void_tx(store_tx *tx, http_request *req, pl_id id, pl_id participant_id,
                                  int version, pl_err *err);

/* Scores q's answers (instrument, range, count; completed_at not in the future) and sets its
 * result as POST /questionnaire-responses does; false with field errors ("answers[3]"). */
bool api_questionnaire_score(store_questionnaire *q, const int *answers, int n, pl_arena *a,
                             pl_err *err);
/* Records a scored response as POST /questionnaire-responses does: insert, audit, the
 * self-harm alert (body "alerts"), risk tier refresh (body "risk_tier_changed"). Sets q->id. */
pl_status api_questionnaire_record_tx(store_tx *tx, http_request *req, store_questionnaire *q,
                                      json_object *body, pl_err *err);
/* Checks a new referral as POST /referrals does (a resource named, the service in the
 * participant's program); false with field errors, or with err->status set on a store error. */
bool api_referral_check(http_request *req, store_referral *r, pl_err *err);
/* Inserts a checked referral and audits it, as POST /referrals does (its task follows). */
pl_status api_referral_insert_tx(store_tx *tx, http_request *req, store_referral *r,
                                 const char *note, pl_err *err);
/* Moves referral id to status as POST /referrals/{id}/transition does: If-Match (if_match -1:
 * none), the transition table, the history event, the referral task, the audit. *r is the
 * referral after the change. */
pl_status api_referral_transition_tx(store_tx *tx, http_request *req, pl_id id, int if_match,
                                     const char *status, const char *note, store_referral *r,
                                     pl_err *err);
/* Records a validated contact as POST /contacts does: insert, audit, and the follow-up task
 * it closes and the next it opens (store_followup_refresh). Sets c->id. */
pl_status api_contact_record_tx(store_tx *tx, http_request *req, pl_contact *c, pl_err *err);

/* Creates org unit u under u->parent_id as POST /org-units does: the parent in the caller's
 * scope, the program taken from it, validated, inserted, audited. Sets u->id and version. */
pl_status api_org_unit_create_tx(store_tx *tx, http_request *req, pl_org_unit *u, pl_err *err);
/* Changes org unit u->id to *u (name, code, kind, parent; program and arm kept from it) under
 * If-Match (if_match -1: none): the unit and a new parent in the caller's scope, the kind
 * staying inside the hierarchy's rules (a network or program stays one; no unit becomes
 * one), the parent in the same program and not below the unit, validated, audited. */
pl_status api_org_unit_update_tx(store_tx *tx, http_request *req, pl_org_unit *u, int if_match,
                                 pl_err *err);

/* What a staff change sets (the set_* flags say which); password_hash non-NULL: a reset. */
typedef struct api_staff_change {
    bool set_display_name, set_role, set_scope, set_language, set_disabled;
    const char *display_name;
    pl_role role;
    pl_id scope_unit_id;
    const char *language;
    bool disabled;
    const char *password_hash;
} api_staff_change;
/* Creates account a (validated) with password_hash as POST /staff does: scope checked,
 * inserted, audited. Sets a->id. */
pl_status api_staff_create_tx(store_tx *tx, http_request *req, pl_staff_account *a,
                              const char *password_hash, pl_err *err);
/* Changes account id as PATCH /staff/{id} (or POST .../password) does: If-Match (-1: none),
 * validated, scope checked, sessions ended when disabled or reset, audited. *out is the
 * account after the change. */
pl_status api_staff_update_tx(store_tx *tx, http_request *req, pl_id id, int if_match,
                              const api_staff_change *ch, pl_staff_account *out, pl_err *err);

/* Creates (before NULL) or updates group g as POST/PATCH /groups do: unit in scope, peer
 * leader of its program, co-leader of the care team, validated, inserted or updated at
 * before->version, audited. */
pl_status api_group_save_tx(store_tx *tx, http_request *req, pl_group *g, const pl_group *before,
                            pl_err *err);
/* Adds membership m (participant in the caller's scope: the caller checked) as POST
 * /groups/{id}/members does: no overlapping membership, audited. Sets m->id. */
pl_status api_group_member_add_tx(store_tx *tx, http_request *req, pl_group_member *m, pl_err *err);
/* Ends membership id of group_id on left_on as POST .../members/{id}/end does (kept, dated),
 * audited; *out is the membership after. */
pl_status api_group_member_end_tx(store_tx *tx, http_request *req, pl_id group_id, pl_id id,
                                  pl_date left_on, const char *reason, pl_group_member *out,
                                  pl_err *err);

/* ---- FHIR (fhir.c) ------------------------------------------------------- */

/* True for a request under /fhir: its errors are OperationOutcome, its bodies fhir+json. */
bool api_is_fhir(const http_request *req);
/* Answers a pl_err as an OperationOutcome with the status its code maps to. */
void api_fhir_fail(http_response *res, const pl_err *err);

/* Inserts an open alert, audits it and appends {id, kind, severity} to list. */
pl_status api_alert_open(store_tx *tx, http_request *req, store_alert *al, json_object *list,
                         pl_err *err);
/* The rule settings of the participant's program, read inside the transaction. */
pl_status api_tx_rules(store_tx *tx, http_request *req, pl_id participant_id, rules_settings *out,
                       pl_err *err);
/*
 * After a record that feeds the risk rule (a measurement or questionnaire)
 * was written: re-evaluates the tier (store_risk_refresh; the participant's
 * update is audited when it changed) and adds "risk_tier_changed" to body.
 */
pl_status api_tx_risk_refresh(store_tx *tx, http_request *req, pl_id participant_id,
                              const char *entity, pl_id id, json_object *body, pl_err *err);

#endif
