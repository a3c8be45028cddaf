/*
 * fhir_export.h - the outside bytes of a Bulk Data $export kick-off
 * (FHIR Bulk Data Access 2.0): the _type list, the _since instant and the
 * _outputFormat. No HTTP, no store: src/api/fhir_export.c runs the jobs.
 *
 * Parsing fills plain values (a bit set over the caller's list of type
 * names, a pl_time) and, on refusal, a pl_err whose message names the
 * parameter and what was wrong (an unknown type is named), for the caller
 * to answer as a 400 OperationOutcome.
 */
#ifndef PL_FHIR_FHIR_EXPORT_H
#define PL_FHIR_FHIR_EXPORT_H

#include <stdint.h>

#include "core/status.h"
#include "core/time.h"

/* the resource types an export may hold: at most this many (bits of a uint32_t) */
#define FHIR_EXPORT_TYPES_MAX 32
/* a _type value longer than this is refused */
#define FHIR_EXPORT_TYPE_LIST_MAX 1024

/*
 * _type: a comma-separated list of resource type names, each one of
 * names[0..n) (case-sensitive, as FHIR type names are). Sets bit i of *mask
 * for names[i]. Refused (PL_INVALID) when empty, too long, with an empty
 * item, or naming a type outside names (the message names it).
 */
pl_status fhir_export_types_parse(const char *list, const char *const *names, int n, uint32_t *mask,
                                  pl_err *err);

/*
 * _since: an instant with a time zone, "2024-05-01T10:00:00Z" or with an
 * offset (fractions of a second are refused by pl_time_parse). A date alone
 * is refused: the Bulk Data spec makes _since an instant.
 */
pl_status fhir_export_since_parse(const char *s, pl_time *out, pl_err *err);

/* _outputFormat: application/fhir+ndjson, application/ndjson or ndjson; else PL_INVALID. */
pl_status fhir_export_format_check(const char *s, pl_err *err);

#endif
