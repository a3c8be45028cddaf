/*
 * store_measurement.h - a measurement's versions and its voiding
 * (migration 16): the store side of FHIR Observation update, vread and
 * delete (src/api/fhir_obs.c). A correction copies the version it replaces
 * into measurement_version and bumps measurement.version; a void sets
 * measurement.voided_at, after which the measurement counts nowhere (every
 * read of measurements leaves voided ones out; store_measurement_get answers
 * PL_NOTFOUND). Records live in the caller's arena.
 */
#ifndef PL_STORE_MEASUREMENT_H
#define PL_STORE_MEASUREMENT_H

#include "store.h"

/* A measurement's version (1 when recorded), when it last changed (its creation until it is
 * first changed) and whether it was voided. */
typedef struct store_measurement_meta {
    int version;
    pl_time updated;
    bool voided;
} store_measurement_meta;

/* The row (voided ones too) and its meta, through the reader or inside a write. */
pl_status store_measurement_meta_get(store *s, pl_id id, pl_arena *a, pl_measurement *m,
                                     store_measurement_meta *meta, pl_err *err);
pl_status store_tx_measurement_meta_get(store_tx *tx, pl_id id, pl_arena *a, pl_measurement *m,
                                        store_measurement_meta *meta, pl_err *err);
/* Replaces the values of measurement m->id (code, analyte, value, unit, entered value and
 * unit, effective time) when it is at expected_version and not voided, keeping the version it
 * replaces; PL_STALE otherwise. */
pl_status store_measurement_update(store_tx *tx, const pl_measurement *m, int expected_version,
                                   pl_err *err);
/* Voids measurement id (at expected_version, -1: any); PL_NOTFOUND when already void. */
pl_status store_measurement_void(store_tx *tx, pl_id id, int expected_version, pl_err *err);
/* An earlier version of measurement id as it was, and its lastUpdated; PL_NOTFOUND when not
 * kept. */
pl_status store_measurement_version_get(store *s, pl_id id, int version, pl_arena *a,
                                        pl_measurement *out, pl_time *updated, pl_err *err);

#endif
