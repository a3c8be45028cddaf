/*
 * fhir_steps.h - the create and update steps of the FHIR resource types that
 * both a single-resource handler and a transaction or batch Bundle
 * (fhir_bundle.c) run, so that a Bundle entry is checked and written exactly
 * as the same resource sent alone. Internal to src/api.
 *
 * Each type has a check (outside or inside the write: it reads through the
 * reader only what the Bundle cannot have created, such as staff, services and
 * program settings; the participant is passed in, resolved by the caller, who
 * also checks scope) and a *_tx step run inside api_write(). Checks answer
 * PL_INVALID with field errors named by their FHIR path; a *_tx step answers
 * PL_STALE when if_match (-1: none) is not the record's version, PL_NOTFOUND
 * when the record is gone, PL_CONFLICT when it may not change, and writes
 * nothing before those checks. Records live in the request arena.
 */
#ifndef PL_API_FHIR_STEPS_H
#define PL_API_FHIR_STEPS_H

#include "fhir/fhir_entities.h"
#include "fhir/fhir_qr.h"
#include "fhir/fhir_referral.h"
#include "fhir_int.h"

/* ---- Patient (fhir.c) ---- */

/* PUT Patient/id: the person fields of fp (and mrn / program_ident when given) replace the
 * record's, validated, updated (the old version kept), audited, identifiers added; *p is the
 * record after. */
pl_status fhir_api_patient_update_tx(store_tx *tx, http_request *req, pl_id id, int if_match,
                                     const fhir_patient *fp, pl_participant *p, pl_err *err);

/* ---- Encounter (fhir_entities.c) ---- */

/*
 * Checks an Encounter fe of participant p (its subject, resolved and in scope; NULL when the
 * subject names none, err then holding that field error) as POST /contacts does into *c and
 * *view: the peer leader, the program's key functions, contact_validate. Field errors already
 * in err are kept. PL_INVALID with the FHIR paths; *forbidden too when a peer leader names
 * another peer leader.
 */
pl_status fhir_api_encounter_check(http_request *req, const fhir_encounter *fe,
                                   const pl_participant *p, pl_contact *c,
                                   fhir_encounter_view *view, bool *forbidden, pl_err *err);
/* Records a checked contact as POST /contacts does (api_contact_record_tx); view->version 1. */
pl_status fhir_api_encounter_create_tx(store_tx *tx, http_request *req, pl_contact *c,
                                       fhir_encounter_view *view, pl_err *err);
/* PUT Encounter/id: replaces the delivered fields of contact id with c's (checked), the
 * follow-up task refreshed; view->version the new version. PL_NOTFOUND when deleted,
 * PL_CONFLICT for a session's attendance contact. */
pl_status fhir_api_encounter_update_tx(store_tx *tx, http_request *req, pl_id id, int if_match,
                                       pl_contact *c, fhir_encounter_view *view, pl_err *err);

/* ---- QuestionnaireResponse (fhir_qr.c) ---- */

/* Scores fq for participant pid as POST /questionnaire-responses does into *q. */
pl_status fhir_api_qr_check(http_request *req, const fhir_qr *fq, pl_id pid, store_questionnaire *q,
                            pl_err *err);
/* Records a scored response (api_questionnaire_record_tx: the alert, the risk tier). */
pl_status fhir_api_qr_record_tx(store_tx *tx, http_request *req, store_questionnaire *q,
                                pl_err *err);

/* ---- ServiceRequest and Task (fhir_referral.c) ---- */

/* Checks a ServiceRequest sr of participant p as POST /referrals does into *r. */
pl_status fhir_api_sr_check(http_request *req, const fhir_service_request *sr,
                            const pl_participant *p, store_referral *r, pl_err *err);
/* Inserts a checked referral (api_referral_insert_tx; its task opens); *saved as stored. */
pl_status fhir_api_sr_insert_tx(store_tx *tx, http_request *req, store_referral *r,
                                store_referral *saved, pl_err *err);
/* PUT Task/id or ServiceRequest/id: the referral moved to ch's status through the transition
 * table (api_referral_transition_tx); a status it holds already changes nothing. The note's
 * field errors are named note_path ("statusReason.text"). *r after. */
pl_status fhir_api_referral_change_tx(store_tx *tx, http_request *req, pl_id id, int if_match,
                                      const fhir_task_change *ch, const char *note_path,
                                      store_referral *r, pl_err *err);

#endif
