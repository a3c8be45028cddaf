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
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/domain.h"
#include "core/group.h"
#include "core/implementation.h"
#include "core/instrument.h"
#include "core/rules.h"
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
/* Inserts the peer leader's person unless person.id is set (a participant who also leads). */
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
/* codes[bit] is the code of each program-defined key function (NULL where none); arena strings. */
pl_status store_key_function_codes(store *s, pl_id program_id, pl_arena *a,
                                   const char *codes[PL_KF_MAX_BITS], pl_err *err);
/* The program-defined key-function bits a program enabled. */
pl_status store_program_kf_mask(store *s, pl_id program_id, uint32_t *mask, pl_err *err);

/* Updates use the record's version: PL_STALE when it is no longer expected_version. */
pl_status store_tx_participant_get(store_tx *tx, pl_id id, pl_arena *a, pl_participant *out,
                                   pl_err *err);
/* Writes every mutable field of p (person included) and increments p->version; the version
 * replaced is kept (participant_version). */
pl_status store_participant_update(store_tx *tx, pl_participant *p, int expected_version,
                                   pl_err *err);
/* An earlier version of a participant as it was, and when it was written; PL_NOTFOUND when
 * that version is not kept (the current one, or one older than migration 14). */
pl_status store_participant_version_get(store *s, pl_id id, int version, pl_arena *a,
                                        pl_participant *p, pl_time *updated_at, pl_err *err);
/* The earlier versions kept of a participant, newest first, at most max (arena arrays). */
pl_status store_participant_versions(store *s, pl_id id, int max, pl_arena *a,
                                     pl_participant **items, pl_time **updated_at, int *n,
                                     pl_err *err);
pl_status store_staff_account_get(store *s, pl_id id, pl_arena *a, pl_staff_account *out,
                                  pl_err *err);
pl_status store_tx_staff_account_get(store_tx *tx, pl_id id, pl_arena *a, pl_staff_account *out,
                                     pl_err *err);
/* Writes display_name, role, scope_unit_id and disabled; increments a->version. */
pl_status store_staff_account_update(store_tx *tx, pl_staff_account *a, int expected_version,
                                     pl_err *err);
pl_status store_staff_password_set(store_tx *tx, pl_id id, const char *password_hash, pl_err *err);
pl_status store_person_get(store *s, pl_id id, pl_arena *a, pl_person *out, pl_err *err);
/* The peer-leader record of a person (PL_NOTFOUND if the person leads nobody). */
pl_status store_peer_leader_by_person(store *s, pl_id person_id, pl_id *leader_id, pl_err *err);

/* ---- scope ---------------------------------------------------------------
 * What an account may see: participants whose home unit lies in the subtree
 * of unit_id (0: everywhere) and, for peer leaders, only those assigned to
 * peer_leader_id (0: no such restriction; -1: nobody).
 */
typedef struct store_scope {
    pl_id unit_id;
    pl_id peer_leader_id;
} store_scope;

/* PL_OK if the participant exists and is in scope, else PL_NOTFOUND. */
pl_status store_participant_visible(store *s, const store_scope *sc, pl_id participant_id,
                                    pl_err *err);
/* The same inside a write: what the transaction wrote so far counts. */
pl_status store_tx_participant_visible(store_tx *tx, const store_scope *sc, pl_id participant_id,
                                       pl_err *err);
/* PL_OK if unit lies in the subtree of scope_unit (or scope_unit is 0), else PL_NOTFOUND. */
pl_status store_unit_in_subtree(store *s, pl_id scope_unit, pl_id unit, pl_err *err);
pl_status store_tx_unit_in_subtree(store_tx *tx, pl_id scope_unit, pl_id unit, pl_err *err);
/* PL_OK if unit is in the subtree of scope_unit or is one of its ancestors. */
pl_status store_unit_visible(store *s, pl_id scope_unit, pl_id unit, pl_err *err);

/* ---- lists ---------------------------------------------------------------
 * Key-paged: rows with id > after, ascending, at most limit (1-200). Each
 * fills *items (allocated in the arena) and *n. Absent filters are 0 / NULL
 * / -1 as noted; every combination runs on an index.
 */
typedef struct store_page {
    pl_id after;
    int limit;
} store_page;

typedef struct store_participant_filter {
    store_scope scope;
    int status;           /* pl_enrol_status, -1 any */
    int risk_tier;        /* pl_risk_tier, -1 any */
    pl_id home_unit_id;   /* subtree; 0 any */
    pl_id peer_leader_id; /* 0 any */
} store_participant_filter;

pl_status store_participant_list(store *s, const store_participant_filter *f, store_page pg,
                                 pl_arena *a, pl_participant **items, int *n, pl_err *err);

typedef struct store_contact_filter {
    store_scope scope;
    pl_id participant_id; /* 0 any */
    pl_id peer_leader_id; /* 0 any */
    pl_time since, until; /* PL_TIME_NONE: open */
} store_contact_filter;

pl_status store_contact_list(store *s, const store_contact_filter *f, store_page pg, pl_arena *a,
                             pl_contact **items, int *n, pl_err *err);

typedef struct store_measurement_filter {
    store_scope scope;
    pl_id participant_id; /* 0 any */
    const char *analyte;  /* NULL any */
    const char *code;     /* NULL any */
    int wave;             /* -1 any */
} store_measurement_filter;

pl_status store_measurement_list(store *s, const store_measurement_filter *f, store_page pg,
                                 pl_arena *a, pl_measurement **items, int *n, pl_err *err);

/* Units in the subtree of scope_unit (0: all); kind -1 any; parent_id 0 any. */
pl_status store_org_unit_list(store *s, pl_id scope_unit, int kind, pl_id parent_id, store_page pg,
                              pl_arena *a, pl_org_unit **items, int *n, pl_err *err);
/* Peer leaders whose home unit is in the subtree of scope_unit (0: all). */
pl_status store_peer_leader_list(store *s, pl_id scope_unit, store_page pg, pl_arena *a,
                                 pl_peer_leader **items, int *n, pl_err *err);
pl_status store_staff_account_list(store *s, store_page pg, pl_arena *a, pl_staff_account **items,
                                   int *n, pl_err *err);

/* ---- escalation alerts ---------------------------------------------------
 * An alert raised by a rule (core/rules.h) on a participant's record, worked
 * open -> acknowledged -> resolved (or open -> resolved). Text fields hold the
 * stable names: kind ("very_high_hba1c" ...), severity ("urgent",
 * "attention"), status ("open", "acknowledged", "resolved").
 */
typedef struct store_alert {
    pl_id id;
    pl_id participant_id;
    const char *kind;
    const char *severity;
    const char *message;
    const char *source_entity; /* "measurement" ...; NULL when none */
    pl_id source_id;           /* 0 when none */
    const char *status;
    pl_time created_at;
    pl_id acknowledged_by;   /* 0 when not acknowledged */
    pl_time acknowledged_at; /* PL_TIME_NONE when not acknowledged */
    pl_id resolved_by;
    pl_time resolved_at;
    const char *resolution_note;
    bool linked_to_care;
    int version;
} store_alert;

/* Inserts an open alert (status, timestamps and version are set); sets al->id. */
pl_status store_alert_insert(store_tx *tx, store_alert *al, pl_err *err);
pl_status store_alert_get(store *s, pl_id id, pl_arena *a, store_alert *out, pl_err *err);
pl_status store_tx_alert_get(store_tx *tx, pl_id id, pl_arena *a, store_alert *out, pl_err *err);
/* Writes status, the acknowledged and resolved fields, the note and linked_to_care;
 * increments al->version. PL_STALE when the version is no longer expected_version. */
pl_status store_alert_update(store_tx *tx, store_alert *al, int expected_version, pl_err *err);

/* Resolves the participant's alerts not yet resolved that the record (entity, source_id)
 * raised, by account `by` now with note: what raised them is gone (a measurement voided as
 * entered in error). Their ids go into *ids (in a; the first STORE_ALERTS_RAISED_MAX, which is
 * more than the rules raise on one record), *n how many. */
#define STORE_ALERTS_RAISED_MAX 16
pl_status store_alert_resolve_raised(store_tx *tx, pl_id participant_id, const char *entity,
                                     pl_id source_id, pl_id by, const char *note, pl_arena *a,
                                     pl_id **ids, int *n, pl_err *err);

typedef struct store_alert_filter {
    store_scope scope;
    pl_id participant_id; /* 0 any */
    const char *status;   /* NULL any */
} store_alert_filter;

pl_status store_alert_list(store *s, const store_alert_filter *f, store_page pg, pl_arena *a,
                           store_alert **items, int *n, pl_err *err);

/* ---- questionnaire responses ---------------------------------------------
 * One scored questionnaire (core/instrument.h). answers is the comma list of
 * the answers in item order (-1: not answered); subscales is a JSON array
 * text or NULL; flags is STORE_QR_* bits.
 */
#define STORE_QR_POSITIVE_SCREEN     1
#define STORE_QR_URGENT              2
#define STORE_QR_SAFETY_ITEM_MISSING 4
#define STORE_QR_PRORATED            8

typedef struct store_questionnaire {
    pl_id id;
    pl_id participant_id;
    const char *instrument; /* "phq9" ... */
    const char *language;   /* NULL when not given */
    const char *answers;
    bool scored;
    double score;     /* meaningful only when scored */
    const char *band; /* NULL when none */
    int flags;
    const char *subscales; /* NULL when none */
    pl_time completed_at;
    pl_id recorded_by;
    pl_time created_at;
} store_questionnaire;

/* Inserts; sets q->id and q->created_at. */
pl_status store_questionnaire_insert(store_tx *tx, store_questionnaire *q, pl_err *err);
/*
 * Sets q's answers, scored, score, band, flags and subscales from a scored
 * result of answers[0..n) (questionnaire.c); the texts go into the arena.
 */
pl_status store_questionnaire_set_result(store_questionnaire *q, const instrument_result *r,
                                         const int *answers, int n, pl_arena *a, pl_err *err);
pl_status store_questionnaire_get(store *s, pl_id id, pl_arena *a, store_questionnaire *out,
                                  pl_err *err);

typedef struct store_questionnaire_filter {
    store_scope scope;
    pl_id participant_id;   /* 0 any */
    const char *instrument; /* NULL any */
} store_questionnaire_filter;

pl_status store_questionnaire_list(store *s, const store_questionnaire_filter *f, store_page pg,
                                   pl_arena *a, store_questionnaire **items, int *n, pl_err *err);

/* ---- program rule settings -----------------------------------------------
 * A program's rules_settings (core/rules.h), stored by setting name; names
 * never set keep the defaults. A program that never changed its settings
 * has the defaults at version 1; each change increments it.
 */
pl_status store_program_rules_get(store *s, pl_id program_id, rules_settings *out, int *version,
                                  pl_err *err);
pl_status store_tx_program_rules_get(store_tx *tx, pl_id program_id, rules_settings *out,
                                     int *version, pl_err *err);
/* Writes every setting; PL_STALE when the version is no longer expected_version (-1: any). */
pl_status store_program_rules_put(store_tx *tx, pl_id program_id, const rules_settings *rs,
                                  int expected_version, pl_id updated_by, int *new_version,
                                  pl_err *err);

/* ---- tasks ---------------------------------------------------------------
 * Follow-up work on a participant, assigned to their peer leader. Kinds:
 * "follow_up" (the cadence rule: at most one open per participant,
 * maintained by store_followup_refresh), "referral" (a referral left open
 * too long) and "custom" (added by a person). Status "open", "done",
 * "cancelled".
 */
typedef struct store_task {
    pl_id id;
    pl_id participant_id;
    pl_id peer_leader_id; /* 0: nobody (the participant has no leader) */
    const char *kind;
    const char *title;
    const char *note;
    pl_date due_date;
    const char *status;
    const char *source_entity; /* NULL when none */
    pl_id source_id;
    pl_id basis_contact_id; /* follow_up: the contact its due date counts from; 0: enrolment */
    pl_id created_by;
    pl_time created_at;
    pl_time closed_at; /* PL_TIME_NONE while open */
    pl_id closed_by;
    pl_id closed_contact_id; /* the contact that closed a follow_up */
    const char *close_note;
    int version;
} store_task;

/* Inserts an open task (status, created_at, version set); sets t->id. */
pl_status store_task_insert(store_tx *tx, store_task *t, pl_err *err);
pl_status store_task_get(store *s, pl_id id, pl_arena *a, store_task *out, pl_err *err);
pl_status store_tx_task_get(store_tx *tx, pl_id id, pl_arena *a, store_task *out, pl_err *err);
/* Writes peer_leader_id, title, note, due_date, status and the closing fields; increments
 * t->version. PL_STALE when the version is no longer expected_version. */
pl_status store_task_update(store_tx *tx, store_task *t, int expected_version, pl_err *err);
/* Gives every open task of the participant to peer_leader_id (0: nobody). */
pl_status store_tasks_reassign(store_tx *tx, pl_id participant_id, pl_id peer_leader_id,
                               pl_err *err);

typedef struct store_task_filter {
    store_scope scope;
    pl_id participant_id; /* 0 any */
    pl_id peer_leader_id; /* 0 any */
    const char *status;   /* NULL any */
    const char *kind;     /* NULL any */
} store_task_filter;

pl_status store_task_list(store *s, const store_task_filter *f, store_page pg, pl_arena *a,
                          store_task **items, int *n, pl_err *err);

/*
 * A peer leader's open tasks due on or before due_by, earliest first, at
 * most max (1-1000): one range of the (peer_leader_id, due_date) index.
 * *more is set when tasks were left out.
 */
pl_status store_worklist_tasks(store *s, pl_id peer_leader_id, pl_date due_by, int max, pl_arena *a,
                               store_task **items, int *n, bool *more, pl_err *err);
/* Alerts not yet resolved of the participants assigned to a peer leader, at most max. */
pl_status store_worklist_alerts(store *s, pl_id peer_leader_id, int max, pl_arena *a,
                                store_alert **items, int *n, bool *more, pl_err *err);

/* ---- follow-up and risk tier ---------------------------------------------
 * Derived records kept current inside the write that changes their inputs
 * (store/followup.c, backend-neutral: it uses only the functions above and
 * core/rules.h).
 *
 * store_followup_refresh: the participant's one open follow_up task is due
 * a cadence (of their risk tier) after their latest contact, or after
 * enrolment when there is none; a follow_up_date set at that contact (after
 * its day) wins over the cadence. A contact newer than the one the open task counted from closes it
 * as done (closed by that contact) and opens the next; a changed tier or
 * leader moves the open task; a participant no longer enrolled has it
 * cancelled. Idempotent.
 *
 * store_risk_refresh: re-evaluates the participant's tier from the latest
 * HbA1c, DDS-17 and PHQ-9 with the program's rule; a change updates the
 * participant (its version increments), appends a risk_tier_change naming
 * the reason and the record that caused it, and refreshes the follow-up.
 * *changed (may be NULL) tells whether the tier changed.
 */
pl_status store_followup_refresh(store_tx *tx, pl_id participant_id, pl_err *err);
pl_status store_risk_refresh(store_tx *tx, pl_id participant_id, const char *source_entity,
                             pl_id source_id, pl_id changed_by, bool *changed, pl_err *err);

/*
 * store_referral_task_refresh: an open referral has one open "referral"
 * task for the participant's peer leader, due `referral_days` (program
 * setting) after the referral's last status change, so a referral left
 * open too long comes up on the worklist; a final status closes the task
 * (done when completed, cancelled otherwise). Run by store_referral_insert
 * and store_referral_transition in the same transaction. Idempotent.
 */
pl_status store_referral_task_refresh(store_tx *tx, pl_id referral_id, pl_err *err);
/* The open task made for a source record (e.g. "referral", id); PL_NOTFOUND if none. */
pl_status store_tx_task_by_source(store_tx *tx, const char *source_entity, pl_id source_id,
                                  pl_arena *a, store_task *out, pl_err *err);

/* The participant's latest contact by occurred_at (ties: the later id); PL_NOTFOUND if none. */
pl_status store_tx_last_contact(store_tx *tx, pl_id participant_id, pl_arena *a, pl_contact *out,
                                pl_err *err);
/* The open follow_up task of a participant; PL_NOTFOUND if none. */
pl_status store_tx_open_follow_up(store_tx *tx, pl_id participant_id, pl_arena *a, store_task *out,
                                  pl_err *err);
/* Latest canonical value of an analyte by effective_at; PL_NOTFOUND if none. */
pl_status store_tx_latest_value(store_tx *tx, pl_id participant_id, const char *analyte,
                                double *value, pl_err *err);
/* Latest scored response of an instrument by completed_at; PL_NOTFOUND if none. */
pl_status store_tx_latest_score(store_tx *tx, pl_id participant_id, const char *instrument,
                                double *score, pl_err *err);

typedef struct store_risk_change {
    pl_id id;
    pl_id participant_id;
    const char *tier;
    const char *previous_tier; /* NULL for the first record */
    const char *reason;
    const char *source_entity; /* NULL when set by hand */
    pl_id source_id;
    pl_id changed_by; /* 0: by a rule */
    pl_time changed_at;
} store_risk_change;

pl_status store_risk_change_insert(store_tx *tx, store_risk_change *c, pl_err *err);
/* The participant's tier history, oldest first, at most max (1-1000). */
pl_status store_risk_change_list(store *s, pl_id participant_id, int max, pl_arena *a,
                                 store_risk_change **items, int *n, pl_err *err);

/* ---- caseloads ------------------------------------------------------------ */

typedef struct store_caseload {
    pl_id peer_leader_id;
    const char *given_name;
    const char *family_name;
    pl_id home_unit_id;
    bool active;
    int64_t participants; /* enrolled participants assigned */
    int64_t high_need;
    int64_t open_tasks;
    int64_t overdue_tasks; /* open tasks due before the overdue_before date */
} store_caseload;

/* One row per peer leader whose home unit lies in the subtree of scope_unit (0: all), key-paged
 * by leader id. */
pl_status store_caseload_list(store *s, pl_id scope_unit, pl_date overdue_before, store_page pg,
                              pl_arena *a, store_caseload **items, int *n, pl_err *err);
/* Enrolled participants in the subtree of scope_unit (0: all) with no peer leader. */
pl_status store_unassigned_list(store *s, pl_id scope_unit, store_page pg, pl_arena *a,
                                pl_participant **items, int *n, pl_err *err);
/* How many enrolled participants in the subtree have no peer leader. */
pl_status store_unassigned_count(store *s, pl_id scope_unit, int64_t *count, pl_err *err);

/* ---- implementation ratings and activity ----------------------------------
 * A program's feature list (core/implementation.h; the defaults until a
 * manager sets one), ratings of a unit for a period, and the objective
 * activity counts the fidelity indicators are computed from.
 */
/* The program's features in order (arena strings); the default ten when none are stored. */
pl_status store_impl_features_get(store *s, pl_id program_id, pl_arena *a, impl_feature **items,
                                  int *n, pl_err *err);
pl_status store_tx_impl_features_get(store_tx *tx, pl_id program_id, pl_arena *a,
                                     impl_feature **items, int *n, pl_err *err);
/* Replaces the program's feature list (1 to IMPL_FEATURES_MAX). Ratings keep their own copy. */
pl_status store_impl_features_put(store_tx *tx, pl_id program_id, const impl_feature *items, int n,
                                  pl_err *err);

typedef struct store_impl_rating {
    pl_id id;
    pl_id program_id;
    pl_id unit_id;
    pl_date period_start, period_end;
    pl_id rater_id;
    const char *features; /* the feature codes rated, comma-separated, in order */
    const char *scores;   /* their scores, comma-separated */
    double mean;
    const char *level; /* "low", "medium", "high" */
    const char *note;
    pl_time created_at;
} store_impl_rating;

pl_status store_impl_rating_insert(store_tx *tx, store_impl_rating *r, pl_err *err);
pl_status store_impl_rating_get(store *s, pl_id id, pl_arena *a, store_impl_rating *out,
                                pl_err *err);
/* Ratings of units in the subtree of scope_unit (0: all); unit_id 0 any, program_id 0 any. */
pl_status store_impl_rating_list(store *s, pl_id scope_unit, pl_id unit_id, pl_id program_id,
                                 store_page pg, pl_arena *a, store_impl_rating **items, int *n,
                                 pl_err *err);

/* What a unit's (or a peer leader's) records hold for a period. */
typedef struct store_activity {
    pl_id peer_leader_id; /* by-leader rows; 0 for a unit's total */
    int64_t participants; /* enrolled at some time in the period */
    int64_t contacts;
    int64_t contact_minutes;
    int64_t key_function[4]; /* contacts with each standard key function, PL_KF_* bit order */
    int64_t sessions_held;   /* group sessions scheduled in the period, by status */
    int64_t sessions_cancelled;
    int64_t attendance_records; /* attendance recorded at those sessions */
    int64_t attended;
    int64_t referrals_made;      /* referrals of the participants made in the period */
    int64_t referrals_completed; /* referrals of the participants completed in the period */
} store_activity;

/*
 * Contacts in [since, until) with participants whose home unit is in the
 * subtree of unit_id, the participants enrolled at some time in the
 * period, and the sessions of the groups of that subtree scheduled in it
 * with their attendance. by_leader: one row per peer leader who made
 * contacts there (at most max, *more when cut), participants counted per
 * assigned leader and sessions per leading peer leader; else one row.
 */
pl_status store_activity_get(store *s, pl_id unit_id, pl_time since, pl_time until, bool by_leader,
                             int max, pl_arena *a, store_activity **rows, int *n, bool *more,
                             pl_err *err);

/* ---- groups, sessions, attendance and course templates -------------------
 * (core/group.h, docs/GROUPS.md; implemented in sqlite_groups.c.) A group
 * is visible to a scope when its unit lies in the scope's subtree and, for
 * a peer leader, when they lead it. Participant rows (members, attendance)
 * are further limited to the participants the scope sees.
 */
pl_status store_group_insert(store_tx *tx, pl_group *g, pl_err *err);
pl_status store_group_get(store *s, pl_id id, pl_arena *a, pl_group *out, pl_err *err);
pl_status store_tx_group_get(store_tx *tx, pl_id id, pl_arena *a, pl_group *out, pl_err *err);
/* Writes kind, name, leaders, language, location and active; increments g->version. */
pl_status store_group_update(store_tx *tx, pl_group *g, int expected_version, pl_err *err);
/* PL_OK if the group exists and is visible to sc, else PL_NOTFOUND. */
pl_status store_group_visible(store *s, const store_scope *sc, pl_id group_id, pl_err *err);

typedef struct store_group_filter {
    store_scope scope;
    pl_id unit_id;        /* subtree; 0 any */
    pl_id peer_leader_id; /* 0 any */
    pl_id co_leader_id;   /* 0 any */
    int kind;             /* pl_group_kind, -1 any */
} store_group_filter;

pl_status store_group_list(store *s, const store_group_filter *f, store_page pg, pl_arena *a,
                           pl_group **items, int *n, pl_err *err);

/*
 * Adds a membership (sets m->id). Refused with a field error: a participant
 * of another program or not enrolled (participant_id), one who is a member
 * already or whose earlier membership ends after joined_on, a joined_on
 * before their enrolment (joined_on). A membership given with left_on (and
 * left_reason) is recorded as already ended, history such as the demo's or
 * an import's, and then the participant need not be enrolled any more.
 * Callers set left_on to PL_DATE_NONE for an open membership.
 */
pl_status store_group_member_add(store_tx *tx, pl_group_member *m, pl_err *err);
/*
 * Ends membership `id` of group `group_id` on left_on with an optional
 * reason; *out is the ended membership. Refused: no such membership in the
 * group (PL_NOTFOUND), already ended, left_on before joined_on, attendance
 * recorded on or after left_on (left_on).
 */
pl_status store_group_member_end(store_tx *tx, pl_id group_id, pl_id id, pl_date left_on,
                                 const char *reason, pl_arena *a, pl_group_member *out,
                                 pl_err *err);
pl_status store_group_member_get(store *s, pl_id id, pl_arena *a, pl_group_member *out,
                                 pl_err *err);

typedef struct store_group_member_filter {
    store_scope scope;
    pl_id group_id;       /* 0 any */
    pl_id participant_id; /* 0 any */
    int current;          /* 1: open memberships only, 0: ended only, -1 any */
} store_group_member_filter;

pl_status store_group_member_list(store *s, const store_group_member_filter *f, store_page pg,
                                  pl_arena *a, pl_group_member **items, int *n, pl_err *err);

/* Inserts a session (sets s->id and version); its counts are ignored. */
pl_status store_group_session_insert(store_tx *tx, pl_group_session *s, pl_err *err);
pl_status store_group_session_get(store *s, pl_id id, pl_arena *a, pl_group_session *out,
                                  pl_err *err);
pl_status store_tx_group_session_get(store_tx *tx, pl_id id, pl_arena *a, pl_group_session *out,
                                     pl_err *err);
/*
 * Writes every mutable field (status, time, minutes, topic, module, location,
 * notes, key functions, topics, cancel reason) and increments s->version;
 * the contacts its attendance made follow the new time, minutes, key
 * functions and topics.
 */
pl_status store_group_session_update(store_tx *tx, pl_group_session *s, int expected_version,
                                     pl_err *err);

typedef struct store_group_session_filter {
    store_scope scope;
    pl_id group_id;       /* 0 any */
    pl_time since, until; /* scheduled_at in [since, until); PL_TIME_NONE: open */
    int status;           /* pl_session_status, -1 any */
} store_group_session_filter;

pl_status store_group_session_list(store *s, const store_group_session_filter *f, store_page pg,
                                   pl_arena *a, pl_group_session **items, int *n, pl_err *err);

/* One member's attendance at a session. */
typedef struct store_attendance {
    pl_id session_id;
    pl_id participant_id;
    pl_attendance status;
    pl_id contact_id; /* the contact it made (attended only); 0 none */
    pl_id recorded_by;
    pl_time recorded_at;
} store_attendance;

/* What recording changed for one participant, for the audit trail. */
typedef struct store_attendance_change {
    pl_id participant_id;
    pl_id contact_created;  /* 0 none */
    pl_id contact_restored; /* a voided contact made active again; 0 none */
    pl_id contact_voided;   /* 0 none */
    bool removed;           /* the row was dropped: the participant was not in the new list */
} store_attendance_change;

/*
 * Records the attendance of a whole session in one go (entries[i].status
 * for entries[i].participant_id), replacing what was recorded before for
 * the participants the scope sees (rows of others stay). Every listed
 * participant must be seen by the scope and a member of the group on the
 * session's day (else a field error "attendance[i].participant_id"); the
 * session must not be cancelled ("status") nor in the future
 * ("scheduled_at", with now). Each attended member gets one contact (mode
 * group, the session's time, minutes, key functions, topics and peer
 * leader, note: the topic) linked to the session; re-recording keeps it,
 * and a member no longer attended loses it: the contact is voided (no read
 * returns it; its id is never reused) and restored if they are recorded as
 * attended again. The session becomes held. *changes (arena, *nchanges)
 * lists what changed.
 */
pl_status store_group_attendance_record(store_tx *tx, pl_id session_id, const store_scope *sc,
                                        const store_attendance *entries, int n, pl_id recorded_by,
                                        pl_time now, pl_arena *a, store_attendance_change **changes,
                                        int *nchanges, pl_err *err);
/*
 * Sets one member's attendance at session s (as read or just inserted in this
 * transaction) without touching the others', with the same contact rules as
 * store_group_attendance_record (the demo's and an import's way in); marks
 * the session held. *contact_id: the attendee's contact, 0 otherwise.
 * PL_INVALID when not a member on the session's day, or the session is
 * cancelled or in the future.
 */
pl_status store_group_attendance_set(store_tx *tx, const pl_group_session *s, pl_id participant_id,
                                     pl_attendance status, pl_id recorded_by, pl_time now,
                                     pl_id *contact_id, pl_err *err);
/* The attendance of a session for the participants the scope sees, by participant id. */
pl_status store_group_attendance_list(store *s, pl_id session_id, const store_scope *sc,
                                      pl_arena *a, store_attendance **items, int *n, pl_err *err);
pl_status store_tx_group_attendance_list(store_tx *tx, pl_id session_id, const store_scope *sc,
                                         pl_arena *a, store_attendance **items, int *n,
                                         pl_err *err);

pl_status store_course_template_insert(store_tx *tx, pl_course_template *t, pl_err *err);
pl_status store_course_template_get(store *s, pl_id id, pl_arena *a, pl_course_template *out,
                                    pl_err *err);
pl_status store_tx_course_template_get(store_tx *tx, pl_id id, pl_arena *a, pl_course_template *out,
                                       pl_err *err);
/* Templates of the programs above or below scope_unit (0: all); program_id 0 any. */
pl_status store_course_template_list(store *s, pl_id scope_unit, pl_id program_id, store_page pg,
                                     pl_arena *a, pl_course_template **items, int *n, pl_err *err);
/*
 * Schedules template t for group_id: t.sessions sessions from first_at,
 * interval_days apart, each with the template's minutes and key functions,
 * module title as topic, module code "<code>-<n>" and the group's leader.
 * *out (arena, t.sessions of them) receives the sessions made.
 */
pl_status store_group_schedule_course(store_tx *tx, pl_id group_id, const pl_course_template *t,
                                      pl_time first_at, const char *location, pl_arena *a,
                                      pl_group_session **out, pl_err *err);
/* ---- community resource directory (Open Referral HSDS 3) ------------------
 * docs/RESOURCES.md maps HSDS onto these records (src/hsds reads and writes
 * the JSON). A directory belongs to one program (an org unit of kind
 * program); every entity keeps its HSDS id (hsds_id) as its stable external
 * id, unique per kind within the program, so importing a file again updates
 * what the first import created. Child lists (phones, languages, schedules,
 * addresses, attributes) belong to their owner: each has a has_* flag, and
 * an import replaces the stored list only when the flag is set (an
 * abbreviated object, as the HSDS list endpoints return, leaves them be).
 * Strings are borrowed (arena) as everywhere; NULL is "not given".
 */
#define STORE_RSC_MAX_ENTITIES 20000 /* per import, and per export */
#define STORE_RSC_MAX_CHILDREN 200   /* per list of one owner */

typedef struct store_rsc_language {
    const char *hsds_id, *name, *code, *note;
} store_rsc_language;

typedef struct store_rsc_phone {
    pl_id id; /* the row's own id (reads); ignored by writes */
    const char *hsds_id, *number;
    int extension; /* -1: none */
    const char *type, *description;
    store_rsc_language *languages;
    int nlanguages;
} store_rsc_phone;

typedef struct store_rsc_schedule {
    const char *hsds_id;
    const char *freq; /* "WEEKLY", "MONTHLY" or NULL */
    int interval;     /* 0: none */
    const char *byday, *opens_at, *closes_at;
    pl_date valid_from, valid_to; /* PL_DATE_NONE: none */
    const char *description;
} store_rsc_schedule;

typedef struct store_rsc_address {
    const char *hsds_id, *attention, *address_1, *address_2, *city, *region, *state_province,
        *postal_code, *country, *address_type;
} store_rsc_address;

typedef struct store_rsc_term {
    pl_id id;
    const char *hsds_id, *code, *name, *description;
    const char *parent_id; /* the parent term's HSDS id */
    const char *taxonomy;  /* e.g. "AIRS", "Open Eligibility"; 1.1's vocabulary */
    const char *language, *term_uri;
    bool orphan; /* import: no attribute of the document uses it (kept only if it exists) */
    const char *path;
} store_rsc_term;

/* An HSDS 3 attribute of a service: the service tagged with a taxonomy term. */
typedef struct store_rsc_attribute {
    const char *hsds_id;
    store_rsc_term term; /* import: term.hsds_id names it; read: the whole term */
    const char *value, *label;
} store_rsc_attribute;

typedef struct store_rsc_org {
    pl_id id;
    const char *hsds_id, *name, *alternate_name, *description, *email, *website;
    store_rsc_phone *phones;
    int nphones;
    bool has_phones;
    const char *path; /* import: where the document holds it, for messages ("[0]") */
} store_rsc_org;

typedef struct store_rsc_location {
    pl_id id;
    const char *hsds_id;
    const char *organization_hsds_id; /* NULL: operated by no organization of the directory */
    const char *location_type;        /* physical, postal, virtual */
    const char *name, *alternate_name, *description, *transportation;
    bool has_coordinates;
    double latitude, longitude;
    store_rsc_phone *phones;
    store_rsc_language *languages;
    store_rsc_schedule *schedules;
    store_rsc_address *addresses;
    int nphones, nlanguages, nschedules, naddresses;
    bool has_phones, has_languages, has_schedules, has_addresses;
    bool orphan; /* import: no organization and no service of the document uses it */
    const char *path;
} store_rsc_location;

typedef struct store_rsc_service {
    pl_id id;
    pl_id program_id;
    const char *hsds_id;
    const char *organization_hsds_id;
    const char *name, *alternate_name, *description, *url, *email;
    const char *status; /* active, inactive, defunct, temporarily closed */
    const char *interpretation_services, *application_process, *fees_description,
        *eligibility_description;
    store_rsc_phone *phones;
    store_rsc_language *languages;
    store_rsc_schedule *schedules;
    store_rsc_attribute *attributes;
    int nphones, nlanguages, nschedules, nattributes;
    bool has_phones, has_languages, has_schedules, has_attributes;
    pl_time updated_at;
    /* reads only */
    pl_id organization_id;
    const char *organization_name;
    struct store_rsc_location *locations; /* where it is offered (addresses filled) */
    int nlocations;
    const char *path;
} store_rsc_service;

typedef struct store_rsc_sal {
    pl_id id;
    const char *hsds_id, *service_hsds_id, *location_hsds_id, *description;
    store_rsc_phone *phones;
    store_rsc_schedule *schedules;
    int nphones, nschedules;
    bool has_phones, has_schedules;
    const char *path;
} store_rsc_sal;

/* A whole directory, or what one import document holds (each hsds_id once per kind). */
typedef struct store_rsc_dir {
    store_rsc_org *orgs;
    store_rsc_location *locations;
    store_rsc_service *services;
    store_rsc_sal *sals;
    store_rsc_term *terms;
    int norgs, nlocations, nservices, nsals, nterms;
} store_rsc_dir;

typedef enum store_rsc_kind {
    STORE_RSC_ORGANIZATION,
    STORE_RSC_LOCATION,
    STORE_RSC_SERVICE,
    STORE_RSC_SERVICE_AT_LOCATION,
    STORE_RSC_TERM,
    STORE_RSC__KINDS
} store_rsc_kind;

typedef struct store_rsc_import_counts {
    int created[STORE_RSC__KINDS];
    int updated[STORE_RSC__KINDS];
    int not_kept[STORE_RSC__KINDS]; /* orphans that were not already in the directory */
    int phones, languages, schedules, addresses, attributes; /* child records written */
} store_rsc_import_counts;

/*
 * Writes dir into the directory of program_id inside the caller's
 * transaction: terms, organizations, locations, services, then
 * service-at-locations, each created or updated by its hsds_id. A reference
 * (organization, location, service, taxonomy term) must name an entity of
 * the same document or already in the directory, else PL_INVALID with a
 * field error at the entity's path. Nothing is ever deleted but the child
 * lists an entity brings. program_id must be a program (else PL_INVALID on
 * field program_id).
 */
pl_status store_resource_import(store_tx *tx, pl_id program_id, const store_rsc_dir *dir,
                                pl_time now, store_rsc_import_counts *out, pl_err *err);

/*
 * The whole directory of a program, every list ordered by hsds_id and every
 * child list in its stored order, read in one snapshot; PL_LIMIT past
 * STORE_RSC_MAX_ENTITIES entities. Services carry organization_hsds_id,
 * SALs their service and location hsds ids, locations their organization's.
 */
pl_status store_resource_dir_load(store *s, pl_id program_id, pl_arena *a, store_rsc_dir *out,
                                  pl_err *err);

/* One service with its children, organization name and locations. */
pl_status store_resource_service_get(store *s, pl_id id, pl_arena *a, store_rsc_service *out,
                                     pl_err *err);

typedef struct store_rsc_filter {
    pl_id scope_unit;     /* directories of programs visible from this unit; 0 all */
    pl_id program_id;     /* 0 any */
    const char *category; /* a taxonomy term's code, or its name (any case); NULL any */
    const char *text;     /* words, each matched as a prefix in name and description; NULL */
    const char *language; /* a language code of the service or a location of it; NULL */
    const char *status;   /* NULL any */
} store_rsc_filter;

/* Services matching every given filter, key-paged, each with its children. A text with
 * no letter or digit is PL_INVALID on field q. */
pl_status store_resource_search(store *s, const store_rsc_filter *f, store_page pg, pl_arena *a,
                                store_rsc_service **items, int *n, pl_err *err);

/* ---- referrals -------------------------------------------------------------
 * A participant referred to a directory service or a free-text resource,
 * with its closed-loop history (core/referral.h). Text fields hold the
 * stable names of pl_referral_status and pl_referral_need.
 */
typedef struct store_referral {
    pl_id id;
    pl_id program_id;
    pl_id participant_id;
    pl_id service_id;          /* 0: a free-text resource */
    const char *resource_text; /* NULL when service_id is set and nothing was added */
    const char *need;
    const char *notes;
    const char *status;
    pl_id referred_by; /* staff account; 0 for seeded data */
    pl_time created_at;
    pl_time status_changed_at; /* the last transition (or creation) */
    pl_time closed_at;         /* PL_TIME_NONE while open */
    int version;
    /* reads only: the service's name and organization's name (NULL for free text) */
    const char *service_name;
    const char *organization_name;
} store_referral;

typedef struct store_referral_event {
    pl_id id;
    pl_id referral_id;
    const char *from_status; /* NULL for the creation */
    const char *to_status;
    pl_time at;
    pl_id actor_id;
    const char *note;
} store_referral_event;

/*
 * Inserts r with its first history event (from NULL to r->status, at
 * r->created_at, by r->referred_by, with note); sets r->id and version 1.
 * status_changed_at is created_at; closed_at is set when status is final.
 */
pl_status store_referral_insert(store_tx *tx, store_referral *r, const char *note, pl_err *err);
pl_status store_referral_get(store *s, pl_id id, pl_arena *a, store_referral *out, pl_err *err);
pl_status store_tx_referral_get(store_tx *tx, pl_id id, pl_arena *a, store_referral *out,
                                pl_err *err);
/*
 * Moves r to ev->to_status at ev->at: writes status, status_changed_at,
 * closed_at (when final) and version + 1, and appends ev (from_status is
 * r's status before). PL_STALE when r is no longer at expected_version. The
 * caller checks the transition with referral_transition_check() first.
 */
pl_status store_referral_transition(store_tx *tx, store_referral *r, store_referral_event *ev,
                                    int expected_version, pl_err *err);
/* The history of a referral, oldest first (at most STORE_RSC_MAX_CHILDREN events). */
pl_status store_referral_events(store *s, pl_id referral_id, pl_arena *a,
                                store_referral_event **items, int *n, pl_err *err);
pl_status store_tx_referral_events(store_tx *tx, pl_id referral_id, pl_arena *a,
                                   store_referral_event **items, int *n, pl_err *err);

typedef struct store_referral_filter {
    store_scope scope;
    pl_id participant_id;   /* 0 any */
    const char *status;     /* NULL any */
    const char *need;       /* NULL any */
    pl_time created_before; /* open referrals created before this instant; 0 any */
} store_referral_filter;

pl_status store_referral_list(store *s, const store_referral_filter *f, store_page pg, pl_arena *a,
                              store_referral **items, int *n, pl_err *err);

/*
 * For the worklist (docs/RESOURCES.md): open referrals (not completed,
 * declined or cancelled) whose last transition is older than
 * changed_before, of one participant or of the participants of one peer
 * leader (either may be 0: any), in scope, key-paged by id.
 */
typedef struct store_referral_stale_filter {
    store_scope scope;
    pl_id participant_id;
    pl_id peer_leader_id;
    pl_time changed_before; /* 0: any open referral */
} store_referral_stale_filter;

pl_status store_referral_stale_list(store *s, const store_referral_stale_filter *f, store_page pg,
                                    pl_arena *a, store_referral **items, int *n, pl_err *err);

/* Linkage to community resources for the evaluation: referrals made, completed, and the
 * participants with at least one completed referral, in a program (0: all). */
typedef struct store_referral_linkage {
    int64_t referrals;
    int64_t completed;
    int64_t participants_linked;
} store_referral_linkage;

pl_status store_referral_linkage_get(store *s, pl_id program_id, store_referral_linkage *out,
                                     pl_err *err);

/* ---- sessions ------------------------------------------------------------
 * Only the hash of a session token is stored (STORE_TOKEN_HASH_BYTES).
 */
#define STORE_TOKEN_HASH_BYTES 32

typedef struct store_session {
    pl_id account_id;
    pl_time created_at;
    pl_time last_seen_at;
    pl_time expires_at; /* absolute expiry */
} store_session;

pl_status store_session_insert(store_tx *tx, const unsigned char *hash, const store_session *se,
                               const char *client_addr, pl_err *err);
/* The session and its account; PL_NOTFOUND when unknown. */
pl_status store_session_get(store *s, const unsigned char *hash, pl_arena *a, store_session *se,
                            pl_staff_account *account, pl_err *err);
pl_status store_session_delete(store_tx *tx, const unsigned char *hash, pl_err *err);
pl_status store_session_delete_for_account(store_tx *tx, pl_id account_id, pl_err *err);
/* Records activity without waiting for the commit. */
void store_session_touch(store *s, const unsigned char *hash, pl_time now);

/* ---- audit trail ---------------------------------------------------------
 * Append-only: the database refuses UPDATE and DELETE on it.
 */
typedef struct store_audit_event {
    pl_id id;
    pl_time at;
    pl_id account_id; /* 0 when nobody is signed in (e.g. a failed login) */
    const char *action;
    const char *entity;
    pl_id entity_id;
    pl_id participant_id;
    const char *client_addr;
    int status; /* the HTTP status answered */
} store_audit_event;

/* Appends inside the caller's transaction. */
pl_status store_audit_append(store_tx *tx, const store_audit_event *ev, pl_err *err);
/* Appends n events in the writer's next commit, without waiting (strings are copied). */
pl_status store_audit_enqueue(store *s, const store_audit_event *ev, int n, pl_err *err);

typedef struct store_audit_filter {
    pl_id account_id;     /* 0 any */
    pl_id participant_id; /* 0 any */
    const char *entity;   /* NULL any */
    const char *action;   /* NULL any */
    pl_time since, until; /* PL_TIME_NONE: open */
} store_audit_filter;

pl_status store_audit_list(store *s, const store_audit_filter *f, store_page pg, pl_arena *a,
                           store_audit_event **items, int *n, pl_err *err);

/* ---- idempotent retries --------------------------------------------------- */

typedef struct store_idempotency {
    unsigned char request_hash[32];
    int status;
    const char *body;
    const char *location; /* NULL when none */
} store_idempotency;

/* PL_NOTFOUND when the key is new (or older than 24 hours) for this account. */
pl_status store_idempotency_get(store_tx *tx, pl_id account_id, const char *key, pl_arena *a,
                                store_idempotency *out, pl_err *err);
pl_status store_idempotency_put(store_tx *tx, pl_id account_id, const char *key,
                                const store_idempotency *in, pl_time now, pl_err *err);

/* The installation's 32-byte secret (pseudonyms, date shifts). */
pl_status store_install_secret(store *s, unsigned char out[32], pl_err *err);

/*
 * Like store_write, but returns at once: done(done_ctx, result) runs on the
 * writer thread after the commit holding fn's writes is durable (or after
 * fn failed, with err filled). ctx and err must stay valid until then;
 * done must not block. PL_IO (and no call to done) if the store is closing.
 */
typedef void (*store_done_fn)(void *done_ctx, pl_status result);
pl_status store_write_submit(store *s, store_write_fn fn, void *ctx, pl_err *err,
                             store_done_fn done, void *done_ctx);

/* Runs fn in the writer's next commit without waiting; ctx (ctx_size bytes) is copied. */
pl_status store_write_async(store *s, store_write_fn fn, const void *ctx, size_t ctx_size,
                            pl_err *err);

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

/* ---- moving an installation between backends (copy.c) ---- */

#define STORE_COPY_TABLES_MAX 128

typedef struct store_copy_table {
    char name[64];
    int64_t rows;
    uint64_t checksum; /* the sum of every row's FNV-1a hash: order does not matter */
} store_copy_table;

typedef struct store_copy_report {
    store_copy_table tables[STORE_COPY_TABLES_MAX];
    int ntables;
} store_copy_report;

/*
 * Copies the whole installation at `from` into `to` (SQLite paths or
 * PostgreSQL URLs; `to` is created or migrated and must hold no program
 * yet), in one transaction, then compares every table's row count and
 * checksum with the source's before committing. On any failure or
 * difference nothing is left in `to`. rep lists the tables copied.
 */
pl_status store_copy(const char *from, const char *to, store_copy_report *rep, pl_err *err);

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
