/*
 * fhir_referral.h - a peerlink referral (core/referral.h) as the HL7 Gravity
 * SDOH closed-loop pair: a ServiceRequest (the referral) and a Task (its
 * fulfilment), both with the referral's id and version. No HTTP and no
 * store writes; the status tables are in fhir_referral.c and docs/FHIR.md.
 *
 * A ServiceRequest is read for creating a referral (subject, performer
 * HealthcareService/<directory service id> or code.text for a resource in
 * words, category need, note, status draft/active); a Task for a status
 * change (status, and statusReason.text or note[0].text as the note).
 */
#ifndef PL_FHIR_FHIR_REFERRAL_H
#define PL_FHIR_FHIR_REFERRAL_H

#include <json-c/json.h>

#include "core/arena.h"
#include "store/store.h"

#define FHIR_SYS_NEED    "urn:peerlink:referral-need"
#define FHIR_SYS_RSTATUS "urn:peerlink:referral-status"
#define FHIR_SDOH_CAT                                                                              \
    "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"

/* A ServiceRequest read for a new referral (strings in the arena). */
typedef struct fhir_service_request {
    const char *subject;       /* reference text */
    pl_id service_id;          /* performer HealthcareService/<id>; 0 none */
    const char *resource_text; /* code.text; NULL none */
    const char *need;          /* peerlink need name */
    const char *notes;
    const char *status; /* proposed or sent */
} fhir_service_request;

/* A Task read for a status change. */
typedef struct fhir_task_change {
    const char *id;     /* as sent; NULL when absent */
    const char *status; /* the peerlink referral status it maps to */
    const char *note;   /* statusReason.text or note[0].text; NULL none */
} fhir_task_change;

/*
 * A ServiceRequest read for an update of a referral whose status is current: the referral
 * status its status asks (draft proposed, active sent, completed completed, revoked
 * cancelled; the status current already shows: current, no change) and the note (the last
 * note[].text: the reason). Every other field is peerlink's and is not read. PL_INVALID with
 * field errors.
 */
pl_status fhir_service_request_change_from_json(json_object *o, pl_arena *a, const char *current,
                                                fhir_task_change *out, pl_err *err);

/* The FHIR statuses of a referral status (NULL for an unknown one). */
const char *fhir_referral_sr_status(const char *status);
const char *fhir_referral_task_status(const char *status);
/* The referral status a Task status sets, or NULL when it sets none (documented table). */
const char *fhir_referral_from_task_status(const char *task_status);

/* The referral statuses shown as this ServiceRequest (task false) or Task (task true) status,
 * into out[0..max); how many (0: none). */
int fhir_referral_statuses(bool task, const char *fhir_status, const char **out, int max);

pl_status fhir_service_request_from_json(json_object *o, pl_arena *a, fhir_service_request *out,
                                         pl_err *err);
pl_status fhir_task_from_json(json_object *o, pl_arena *a, fhir_task_change *out, pl_err *err);

json_object *fhir_service_request_json(const store_referral *r);
json_object *fhir_task_json(const store_referral *r);

#endif
