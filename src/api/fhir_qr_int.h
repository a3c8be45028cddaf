/*
 * fhir_qr_int.h - what fhir.c's Observation read and search take from
 * fhir_qr.c: the score Observations (one per scored questionnaire
 * response, id "qr-<response id>-total"). Internal to src/api.
 */
#ifndef PL_API_FHIR_QR_INT_H
#define PL_API_FHIR_QR_INT_H

#include "fhir_int.h"

/* GET /fhir/Observation/qr-N-total (and its _history/1): the score Observation, audited. */
void fhir_qr_api_score_read(http_request *req, http_response *res, bool vread);

/*
 * One page of an Observation search over measurements (q; mnone: none can
 * match) followed by score Observations (sq; snone). The page covers
 * [q->offset, q->offset + q->count) of the concatenation: measurement ids
 * into *mids (*nm), response ids into *sids (*ns), *more when a next page
 * exists. False with the answer written on a store error.
 */
bool fhir_qr_api_observation_page(http_request *req, http_response *res, const store_fhir_query *q,
                                  bool mnone, store_fhir_query *sq, bool snone, pl_id **mids,
                                  int *nm, pl_id **sids, int *ns, bool *more);

/* Appends the score Observations of response ids to entries (search mode "match"), audits the
 * reads and puts each participant into pids[0..ns) (0 when unreadable). */
void fhir_qr_api_score_entries(http_request *req, const pl_id *sids, int ns, json_object *entries,
                               pl_id *pids);

#endif
