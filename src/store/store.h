/*
 * store.h - peerlink's storage interface, independent of the database.
 *
 * Callers see opaque handles and domain records only: no SQLite (or, later,
 * PostgreSQL) type crosses this header. A store is opened from a URL-ish
 * location: a file path (SQLite) today; "postgresql://..." is reserved for
 * the PostgreSQL backend.
 *
 * Reads run on a connection private to the calling thread, created on the
 * thread's first read. Records read are filled with strings allocated in
 * the caller's arena.
 *
 * Writes go through store_write(): the caller passes a function that does
 * its inserts through the store_tx handle. One writer thread gathers the
 * functions of concurrent callers into one transaction (group commit), runs
 * each inside its own savepoint, and commits once. A function that fails
 * rolls back its own savepoint only; every caller is answered after the
 * commit that holds its writes is durable (synchronous=FULL by default).
 * A write function must only touch the database through store_tx and must
 * not block on anything else.
 *
 * Every function returns a pl_status and fills the pl_err it is given.
 */
#ifndef PL_STORE_STORE_H
#define PL_STORE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/domain.h"
#include "core/status.h"

typedef struct store store;
typedef struct store_tx store_tx;

typedef struct store_options {
    bool synchronous_normal; /* false (default): fsync every commit (synchronous=FULL) */
    int busy_timeout_ms;     /* waiting for another process's lock; 0 means 2000 */
    bool create;             /* create the database if the file does not exist */
} store_options;

/*
 * Opens (and, with opt->create, creates) the database at `location`, then
 * applies pending migrations. Refuses, leaving the file untouched: a file
 * that is not a database, a database that is not peerlink's, one from a
 * newer peerlink, or one locked by another process.
 */
pl_status store_open(const char *location, const store_options *opt, store **out, pl_err *err);

/* Finishes queued writes, checkpoints and closes. NULL is ignored. */
void store_close(store *s);

const char *store_backend_name(const store *s);
int store_schema_version(const store *s);
int store_schema_version_latest(void);

/* ---- writes ------------------------------------------------------------- */

typedef pl_status (*store_write_fn)(store_tx *tx, void *ctx, pl_err *err);

/* Runs fn in its own savepoint of a group-committed transaction; returns after the commit. */
pl_status store_write(store *s, store_write_fn fn, void *ctx, pl_err *err);

/* Each insert sets the record's id (and person.id where a person is made). */
pl_status store_org_unit_insert(store_tx *tx, pl_org_unit *u, pl_err *err);
/* Inserts the participant's person unless person.id is set (a peer leader who is also a patient).
 */
pl_status store_participant_insert(store_tx *tx, pl_participant *p, pl_err *err);
pl_status store_peer_leader_insert(store_tx *tx, pl_peer_leader *l, pl_err *err);
pl_status store_contact_insert(store_tx *tx, pl_contact *c, pl_err *err);
pl_status store_measurement_insert(store_tx *tx, pl_measurement *m, pl_err *err);
/* password_hash: an argon2id string from libsodium; never the password. */
pl_status store_staff_account_insert(store_tx *tx, pl_staff_account *a, const char *password_hash,
                                     pl_err *err);
/* Declares program-defined key function `bit` (4-15) with a code and a label. */
pl_status store_key_function_insert(store_tx *tx, pl_id program_id, int bit, const char *code,
                                    const char *label, pl_err *err);

/* Reads inside a write function, seeing the transaction's own writes. */
pl_status store_tx_org_unit_get(store_tx *tx, pl_id id, pl_arena *a, pl_org_unit *out, pl_err *err);

/* ---- reads -------------------------------------------------------------- */

pl_status store_org_unit_get(store *s, pl_id id, pl_arena *a, pl_org_unit *out, pl_err *err);
pl_status store_participant_get(store *s, pl_id id, pl_arena *a, pl_participant *out, pl_err *err);
pl_status store_peer_leader_get(store *s, pl_id id, pl_arena *a, pl_peer_leader *out, pl_err *err);
pl_status store_contact_get(store *s, pl_id id, pl_arena *a, pl_contact *out, pl_err *err);
pl_status store_measurement_get(store *s, pl_id id, pl_arena *a, pl_measurement *out, pl_err *err);
/* *password_hash is allocated in the arena. */
pl_status store_staff_account_get_by_username(store *s, const char *username, pl_arena *a,
                                              pl_staff_account *out, char **password_hash,
                                              pl_err *err);
/* The program-defined key-function bits a program enabled. */
pl_status store_program_kf_mask(store *s, pl_id program_id, uint32_t *mask, pl_err *err);

typedef struct store_counts {
    int64_t programs;
    int64_t org_units;
    int64_t participants;
    int64_t peer_leaders;
    int64_t contacts;
    int64_t measurements;
    int64_t staff_accounts;
} store_counts;

pl_status store_counts_get(store *s, store_counts *out, pl_err *err);

/*
 * Baseline summary of one analyte, for the demo's own checks and /healthz:
 * count, mean and the share at or above `threshold` among wave-0 values.
 */
typedef struct store_wave_summary {
    int64_t n;
    double mean;
    double share_at_or_above;
} store_wave_summary;

pl_status store_wave_summary_get(store *s, pl_id program_id, const char *analyte, int wave,
                                 pl_arm arm, double threshold, store_wave_summary *out,
                                 pl_err *err);

#endif
