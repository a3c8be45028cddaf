/*
 * store_fhir_qr.h - the FHIR searches of questionnaire responses, score
 * Observations and referrals (ServiceRequest and Task), beside
 * store_fhir.h's. They take a store_fhir_query whose codes mean, per
 * search: instrument codes ("phq9") for responses and scores, referral
 * statuses for referrals; date is the response's completed_at (ignored for
 * referrals); updated is created_at for responses, status_changed_at for
 * referrals. Ids come back a page at a time (offset and count), in the
 * caller's scope; *more when another page follows.
 */
#ifndef PL_STORE_STORE_FHIR_QR_H
#define PL_STORE_STORE_FHIR_QR_H

#include "store_fhir.h"

/* Questionnaire response ids (scored_only: those with a score, the score Observations). */
pl_status store_fhir_qr_search(store *s, const store_fhir_query *q, bool scored_only, pl_arena *a,
                               pl_id **ids, int *n, bool *more, pl_err *err);
/* Referral ids matching q, ascending. */
pl_status store_fhir_referral_search(store *s, const store_fhir_query *q, pl_arena *a, pl_id **ids,
                                     int *n, bool *more, pl_err *err);

#endif
