/*
 * fhir_bundle.h - one entry of a transaction or batch Bundle read for
 * POST /fhir: its request (method, url, ifMatch, ifNoneExist), its resource
 * and whether peerlink keeps it (docs/FHIR.md, "Transaction and batch
 * Bundles"). Mapping only: no HTTP, no store.
 */
#ifndef PL_FHIR_FHIR_BUNDLE_H
#define PL_FHIR_FHIR_BUNDLE_H

#include <json-c/json.h>
#include <stdbool.h>

#include "core/arena.h"
#include "core/domain.h"
#include "core/status.h"

/* One Bundle entry as read (strings in the arena; resource borrowed from the entry). */
typedef struct fhir_bundle_entry {
    json_object *resource;
    const char *type;          /* resource.resourceType */
    const char *full_url;      /* NULL when absent */
    bool put;                  /* request.method PUT (else POST, also when there is no request) */
    pl_id target;              /* PUT Type/N: N (a peerlink id); 0 otherwise */
    int if_match;              /* request.ifMatch W/"n" or "n": n; -1 when absent */
    const char *if_none_exist; /* request.ifNoneExist; NULL when absent */
    const char *not_kept;      /* why peerlink accepts it without keeping it; NULL: kept */
} fhir_bundle_entry;

/*
 * Reads entry (an element of Bundle.entry). The import policy: a resource type peerlink
 * does not keep, an Encounter with no type of peerlink's key-function code system (a clinic
 * visit, not a peer-support contact), a QuestionnaireResponse of a questionnaire peerlink does
 * not score, a ServiceRequest that is not a referral (no referral need or SDOH category and no
 * HealthcareService performer) and a POSTed Task (a referral's Task comes with its
 * ServiceRequest) are not kept: out->not_kept says why. PUT takes Patient/N, Encounter/N and
 * Task/N (N a peerlink id; a Patient PUT to another url is imported as a POST is). PL_INVALID
 * with field errors ("request.url", "resource.resourceType") when the entry cannot be read.
 */
pl_status fhir_bundle_entry_read(json_object *entry, pl_arena *a, fhir_bundle_entry *out,
                                 pl_err *err);

/* An ETag W/"n" or "n" as n; -1 when it is not one. */
int fhir_bundle_etag(const char *s);

#endif
