/*
 * fhir.h - FHIR R4 (4.0.1) JSON to and from peerlink's records: Patient
 * (participants) and Observation (measurements), the CapabilityStatement
 * and OperationOutcome. No HTTP and no store writes: the API and the CLI
 * both map through here (docs/FHIR.md has the mapping tables).
 *
 * Outside bytes are checked by core/json_check.c before json-c sees them
 * (fhir_parse). Parsing fills records whose strings point into the given
 * arena; references (subject, managingOrganization) are returned as the
 * text written, for the caller to resolve against the store. A value's
 * decimal is kept exactly as written (entered_value) and written back
 * verbatim, so 7.50 stays 7.50.
 */
#ifndef PL_FHIR_FHIR_H
#define PL_FHIR_FHIR_H

#include <json-c/json.h>

#include "core/arena.h"
#include "core/domain.h"
#include "store/store_fhir.h"

#define FHIR_VERSION "4.0.1"
#define FHIR_LOINC   "http://loinc.org"
#define FHIR_UCUM    "http://unitsofmeasure.org"
/* identifier systems of peerlink's own numbers */
#define FHIR_SYS_PARTICIPANT "urn:peerlink:participant"
#define FHIR_SYS_MRN         "urn:peerlink:mrn"
/* the id a resource had in the system it came from, as "Type/id" (import, bundles) */
#define FHIR_SYS_SOURCE "urn:peerlink:fhir-source"
#define FHIR_MAX_DEPTH  64
#define FHIR_IDENTS_MAX 8

/*
 * Checks text as RFC 8259 JSON (core/json_check.c), parses it and checks
 * it is an object with a string resourceType. *out is the caller's to
 * json_object_put. PL_USAGE with the reason (and offset) otherwise.
 */
pl_status fhir_parse(const char *text, size_t len, json_object **out, pl_err *err);
/* The resourceType of o, or NULL. */
const char *fhir_resource_type(json_object *o);

/* An OperationOutcome with one issue of severity error (code: "invalid", "not-found" ...). */
json_object *fhir_outcome(const char *code, const char *diagnostics);
/* The OperationOutcome of a pl_err: its message, then one issue per field error. */
json_object *fhir_outcome_err(const char *code, const pl_err *err);
/* The CapabilityStatement: exactly what src/api/fhir.c serves. */
json_object *fhir_capability(void);

/* ---- Patient -------------------------------------------------------------- */

typedef struct fhir_ident {
    const char *system;
    const char *value;
} fhir_ident;

typedef struct fhir_patient {
    const char *id;   /* as sent; NULL when absent */
    pl_participant p; /* person fields, mrn and program_ident; the rest is the caller's */
    fhir_ident idents[FHIR_IDENTS_MAX];
    int nidents;
    const char *managing_org; /* reference text, NULL when none */
} fhir_patient;

/* Reads a Patient; field errors name the FHIR path (e.g. "name[0].given"). */
pl_status fhir_patient_from_json(json_object *o, pl_arena *a, fhir_patient *out, pl_err *err);
/* A participant as a Patient; idents are the outside identifiers kept for it. */
json_object *fhir_patient_json(const pl_participant *p, const store_fhir_ident *idents, int nidents,
                               pl_time last_updated);

/* ---- Observation ---------------------------------------------------------- */

#define FHIR_OBS_VALUES_MAX 2

typedef struct fhir_observation {
    const char *id;      /* as sent; NULL when absent */
    const char *subject; /* reference text */
    fhir_ident idents[FHIR_IDENTS_MAX];
    int nidents;
    /* the measurements it becomes (a blood-pressure panel: systolic and diastolic) */
    pl_measurement m[FHIR_OBS_VALUES_MAX];
    int nm;
    /* NULL: kept; else why peerlink does not keep it (a code it does not record ...) */
    const char *not_kept;
    bool entered_in_error; /* status entered-in-error (not kept; a PUT of it voids) */
} fhir_observation;

/*
 * Reads an Observation. Structure errors are PL_INVALID with field errors;
 * an Observation that is well formed but of a code (or status) peerlink
 * does not record is PL_OK with not_kept set. The measurements are not yet
 * measurement_prepare()d (participant_id is the caller's).
 */
pl_status fhir_observation_from_json(json_object *o, pl_arena *a, fhir_observation *out,
                                     pl_err *err);
/* A measurement as an Observation: meta.versionId m->version (at least 1); status corrected
 * from version 2 on, else final. */
json_object *fhir_observation_json(const pl_measurement *m, pl_time last_updated);

/* ---- helpers -------------------------------------------------------------- */

/* "2024-05-01T10:00:00Z" or a date alone (midnight UTC); PL_INVALID otherwise. */
pl_status fhir_time_parse(const char *s, pl_time *out);
/*
 * A search date "[prefix]value" (eq ne gt lt ge le; a date, a year-month, a
 * year or a dateTime) as the range it denotes: [lo, hi) for eq, and the
 * prefix to apply. PL_INVALID when malformed.
 */
pl_status fhir_date_param(const char *s, char prefix[3], pl_time *lo, pl_time *hi);

#endif
