/*
 * store_fhir.h - what the FHIR layer needs of the store beyond store.h:
 * outside identifiers of records and the FHIR searches.
 *
 * fhir_identifier keeps, per FHIR resource kind ("Patient", "Observation"),
 * the identifiers a record arrived with (system, value) and the id it had
 * in the system it came from (system FHIR source id, see src/fhir/fhir.h),
 * so that conditional references (Patient?identifier=...) resolve and a
 * re-import finds what an earlier import created instead of duplicating it.
 * An Observation's source id is kept in its first measurement row instead
 * (the column source_id), which the identifier calls below read and write.
 *
 * The searches return ids (ascending, or by date) of records in the
 * caller's scope, a page at a time (offset and count, or after the last id
 * of the page before when the order is by id); the caller reads
 * each record with the ordinary store_*_get. Strings live in the arena.
 */
#ifndef PL_STORE_STORE_FHIR_H
#define PL_STORE_STORE_FHIR_H

#include "store.h"

/* The system of a record's id where it came from ("Type/id"): fhir.h's FHIR_SYS_SOURCE. */
#define STORE_FHIR_SOURCE_SYSTEM "urn:peerlink:fhir-source"

/* Records an identifier of a local record; an identifier already taken is left as it was. */
pl_status store_fhir_ident_put(store_tx *tx, const char *kind, const char *system,
                               const char *value, pl_id local_id, pl_err *err);
/* The record an identifier names (system NULL: any system); PL_NOTFOUND if none. */
pl_status store_fhir_ident_find(store *s, const char *kind, const char *system, const char *value,
                                pl_id *local_id, pl_err *err);
pl_status store_tx_fhir_ident_find(store_tx *tx, const char *kind, const char *system,
                                   const char *value, pl_id *local_id, pl_err *err);

/*
 * Inserts a prepared measurement (store_measurement_insert) with the source
 * id of the Observation it came from ("Observation/<id>"; NULL: none) and
 * the given created_at (an import's batch shares one, which its audit
 * events name). A source id already taken inserts nothing and sets m->id to
 * 0: a re-import's dedupe is the insert itself (one statement, one round
 * trip on PostgreSQL).
 */
pl_status store_fhir_measurement_insert(store_tx *tx, pl_measurement *m, const char *source_id,
                                        pl_time created_at, pl_err *err);

typedef struct store_fhir_ident {
    const char *system;
    const char *value;
} store_fhir_ident;

/* Every identifier of a record (at most 16), oldest first. */
pl_status store_fhir_idents(store *s, const char *kind, pl_id local_id, pl_arena *a,
                            store_fhir_ident **items, int *n, pl_err *err);

/* The participant with this MRN (mrn true) or program number; PL_NOTFOUND if none. */
pl_status store_fhir_participant_by_number(store *s, bool mrn, const char *value, pl_id *id,
                                           pl_err *err);

/* The unit new participants from FHIR join: the first unit below a program in the subtree. */
pl_status store_fhir_intake_unit(store *s, pl_id scope_unit, pl_id *unit, pl_err *err);

#define STORE_FHIR_CODES_MAX 8

/* A time range: [lo, hi) minus [ne_lo, ne_hi); PL_TIME_NONE ends are open (ne: none). */
typedef struct store_fhir_range {
    pl_time lo, hi;
    pl_time ne_lo, ne_hi;
} store_fhir_range;

typedef struct store_fhir_query {
    store_scope scope;
    pl_id id;                                /* _id; 0 any */
    pl_id participant_id;                    /* patient/subject; 0 any */
    const char *codes[STORE_FHIR_CODES_MAX]; /* LOINC codes, OR; ncodes 0 any */
    int ncodes;
    store_fhir_range date;    /* effective time */
    store_fhir_range updated; /* _lastUpdated (ne ignored) */
    int sort;                 /* 0: id; 1: date ascending; -1: date descending */
    int offset;               /* rows skipped */
    pl_id after;              /* keyset paging: only ids above it (sort 0); 0 from the first */
    int count;                /* 1-1000 */
} store_fhir_query;

/* Measurement ids matching q (participant in scope); *more when another page follows. */
pl_status store_fhir_observation_search(store *s, const store_fhir_query *q, pl_arena *a,
                                        pl_id **ids, int *n, bool *more, pl_err *err);
/* How many measurements store_fhir_observation_search matches (offset, count, after ignored). */
pl_status store_fhir_measurement_count(store *s, const store_fhir_query *q, int64_t *count,
                                       pl_err *err);
/* Participant ids matching q (id, participant_id as _id, updated); codes/date are ignored. */
pl_status store_fhir_patient_search(store *s, const store_fhir_query *q, pl_arena *a, pl_id **ids,
                                    int *n, bool *more, pl_err *err);
/* When a participant last changed (its lastUpdated). */
pl_status store_fhir_participant_updated(store *s, pl_id id, pl_time *at, pl_err *err);

#endif
