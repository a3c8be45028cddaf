/*
 * fhir_int.h - what fhir.c (REST) and fhir_bundle.c (transactions) share.
 * Internal to src/api. Strings and records live in the request arena.
 */
#ifndef PL_API_FHIR_INT_H
#define PL_API_FHIR_INT_H

#include "common.h"
#include "fhir/fhir.h"
#include "store/store_measurement.h"

/* Serialises o (released) with Content-Type application/fhir+json. */
void fhir_api_send(http_response *res, int status, json_object *o);
/* An OperationOutcome (severity error) answer. */
void fhir_api_outcome(http_response *res, int status, const char *diagnostics);
/* "http://HOST/fhir" from the Host header. */
const char *fhir_api_base(http_request *req);
/* Accept / _format allow JSON; else 406 written and false. */
bool fhir_api_negotiate(http_request *req, http_response *res);
/* The parsed body (Content-Type checked: 415; JSON checked: 400); NULL with the answer written. */
json_object *fhir_api_body(http_request *req, http_response *res);

/* {id} (path parameter i): a positive integer, else 404 naming the type written and false. */
bool fhir_api_path_id(http_request *req, http_response *res, int i, const char *type, pl_id *out);
/* A vread's {vid} (path parameter 1) is the current version; else 404 written and false
 * (history is not kept). */
bool fhir_api_version_kept(http_request *req, http_response *res, const char *type, pl_id id,
                           int current);

/* ---- search: the query string, the shared parameters, the searchset Bundle ---- */

#define FHIR_QPARAMS_MAX 32

/* A search's parameters in the order written (strings in the request arena). */
typedef struct fhir_qparams {
    http_request *req;
    const char *name[FHIR_QPARAMS_MAX];
    const char *value[FHIR_QPARAMS_MAX];
    int n;
    bool overflow;
} fhir_qparams;

/* Collects the query string; 400 written and false past FHIR_QPARAMS_MAX parameters. */
bool fhir_api_gather(http_request *req, http_response *res, fhir_qparams *qp);
/* Defaults: every range open, 50 a page. */
void fhir_api_init_query(store_fhir_query *q);
/* _id, _lastUpdated, _count, _offset, _format, _pretty into q (*handled); *none when _id can
 * match nothing. False with 400 written when a value is malformed. */
bool fhir_api_common_param(http_request *req, http_response *res, const char *name,
                           const char *value, store_fhir_query *q, bool *handled, bool *none);
/* Narrows r by one date parameter ([eq|ne|gt|lt|ge|le]value); false when malformed. */
bool fhir_api_apply_date(store_fhir_range *r, const char *value, bool allow_ne);
/* patient / subject (Patient/id, id, or what fhir_api_resolve_patient takes) into
 * q->participant_id; *none when it names no patient or another than one given before. */
void fhir_api_patient_param(http_request *req, const char *value, store_fhir_query *q, bool *none);
/* A search's time parameter field ("date", "authored": [eq|ne|gt|lt|ge|le]value into q->date)
 * and _sort (field, -field or _id) into q (*handled); false with 400 written when malformed. */
bool fhir_api_time_param(http_request *req, http_response *res, const char *name, const char *value,
                         const char *field, store_fhir_query *q, bool *handled);
/* 400 OperationOutcome "search parameter name=value: rule". */
void fhir_api_bad_param(http_request *req, http_response *res, const char *name, const char *value,
                        const char *rule);
/* A searchset Bundle of entries (taken) with self and, when more, next links. */
json_object *fhir_api_searchset(http_request *req, const fhir_qparams *qp,
                                const store_fhir_query *q, json_object *entries, bool more);

/*
 * The end of every FHIR read's load: st is the record's get; when found, its participant must
 * be in the caller's scope. Otherwise 404 "<shown> is not known" (out of scope is not found) or
 * the failure is written, audited as action of entity, and false returned.
 */
bool fhir_api_found(http_request *req, http_response *res, pl_status st, pl_err *err,
                    const char *shown, pl_id id, const char *action, const char *entity,
                    pl_id participant_id);
/* A participant in scope; 404 (audited) written and false otherwise. */
bool fhir_api_load_patient(http_request *req, http_response *res, pl_id id, pl_participant *p);
/* A measurement in scope (voided ones too: *meta says so); 404 (audited as action) otherwise. */
bool fhir_api_load_observation(http_request *req, http_response *res, const char *action, pl_id id,
                               pl_measurement *m, store_measurement_meta *meta);
json_object *fhir_api_patient_json(http_request *req, const pl_participant *p);
json_object *fhir_api_observation_json(http_request *req, const pl_measurement *m);
/* Contact id as its Encounter (as the REST read answers it) and its participant; PL_NOTFOUND
 * when it was never a contact. No scope check and no audit: the caller's. */
pl_status fhir_api_encounter_resource(http_request *req, pl_id id, json_object **out, pl_id *pid,
                                      pl_err *err);
/* A Bundle entry {fullUrl, resource, search.mode} (mode NULL: none). */
json_object *fhir_api_entry(http_request *req, const char *type, pl_id id, json_object *resource,
                            const char *mode);

/* Patient/N, Patient/<source id>, Patient?identifier=[system|]value to a participant id (tx:
 * inside a write, NULL: the reader). PL_INVALID with a message when nothing matches. */
pl_status fhir_api_resolve_patient(http_request *req, store_tx *tx, const char *ref, pl_id *id,
                                   pl_err *err);
/* Records ids (and "Type/source_id" under FHIR_SYS_SOURCE when source_id) for a local record. */
pl_status fhir_api_put_idents(store_tx *tx, const char *type, const char *source_id,
                              const fhir_ident *ids, int n, pl_id local_id, http_request *req,
                              pl_err *err);

/* Reads a Patient for enrolment: today's enrolment, the home unit (managingOrganization or the
 * first unit below a program in scope). False with field errors. */
bool fhir_api_patient_prepare(http_request *req, json_object *o, fhir_patient *fp, pl_err *err);
/* Enrols the prepared patient and records its identifiers (inside a write). */
pl_status fhir_api_enrol(store_tx *tx, http_request *req, fhir_patient *fp, pl_err *err);
/* measurement_prepare()s the Observation's values for a participant (and the BP rule). */
bool fhir_api_observation_prepare(http_request *req, fhir_observation *fo, pl_id participant_id,
                                  pl_err *err);
/* Records the prepared values (alerts and tier as the JSON API) and the identifiers. */
pl_status fhir_api_record(store_tx *tx, http_request *req, fhir_observation *fo, pl_err *err);

#endif
