/*
 * store_fhir_entities.h - what the FHIR Encounter, Organization,
 * Practitioner and Group resources need of the store beyond store.h
 * (implemented in sqlite_fhir_entities.c, on both backends).
 *
 * Contacts are Encounters: a contact carries a version and an updated_at
 * (migration 15) so an Encounter has an ETag and a lastUpdated; a voided
 * contact (contact.voided_at) is still found by store_fhir_contact_get so
 * that a read can answer 410 Gone, while every search leaves it out.
 * Searches return ids of a page (offset, count) of records in the caller's
 * scope, like store_fhir.h's; strings live in the arena.
 */
#ifndef PL_STORE_STORE_FHIR_ENTITIES_H
#define PL_STORE_STORE_FHIR_ENTITIES_H

#include "store.h"
#include "store_fhir.h"

/* A contact's FHIR bookkeeping. */
typedef struct store_fhir_contact_meta {
    int version;
    pl_time updated; /* updated_at, else created_at */
    bool voided;
} store_fhir_contact_meta;

/* Any contact, voided ones included; PL_NOTFOUND if the id was never a contact. */
pl_status store_fhir_contact_get(store *s, pl_id id, pl_arena *a, pl_contact *c,
                                 store_fhir_contact_meta *meta, pl_err *err);
pl_status store_tx_fhir_contact_get(store_tx *tx, pl_id id, pl_arena *a, pl_contact *c,
                                    store_fhir_contact_meta *meta, pl_err *err);
/*
 * Replaces the delivered fields of contact c->id (time, minutes, mode, key
 * functions, topics, peer leader) when it is at expected_version, not voided
 * and not made by a group session's attendance; version + 1. PL_STALE when
 * the version moved, PL_NOTFOUND otherwise.
 */
pl_status store_fhir_contact_update(store_tx *tx, const pl_contact *c, int expected_version,
                                    pl_err *err);
/* Voids contact id (not a session's attendance; not already voided); PL_NOTFOUND otherwise. */
pl_status store_fhir_contact_void(store_tx *tx, pl_id id, pl_err *err);

/* Contacts (not voided) of participants in q's scope: _id, participant_id, date on occurred_at,
 * updated, sort by date; kf_any (non-zero): at least one of these key-function bits;
 * session_id (non-zero): the attendance contacts of that group session. */
pl_status store_fhir_encounter_search(store *s, const store_fhir_query *q, uint32_t kf_any,
                                      pl_id session_id, pl_arena *a, pl_id **ids, int *n,
                                      bool *more, pl_err *err);

/* Org units in the subtree of q->scope.unit_id (0: all): _id, parent (0 any), name (NULL any:
 * a prefix of the name or of a word of it, any case), updated. */
pl_status store_fhir_org_search(store *s, const store_fhir_query *q, pl_id parent_id,
                                const char *name, pl_arena *a, pl_id **ids, int *n, bool *more,
                                pl_err *err);
pl_status store_fhir_org_updated(store *s, pl_id id, pl_time *at, pl_err *err);
/*
 * Writes u's parent, kind, name, code and language when unit u->id is at expected_version
 * (PL_STALE otherwise); version + 1 (u->version set), updated_at now. When the parent is not
 * old_parent the unit's subtree moves under it in org_unit_ancestor, so scopes follow at
 * once. The rules (same program, not below itself) are the caller's (api_org_unit_update_tx).
 */
pl_status store_org_unit_update(store_tx *tx, pl_org_unit *u, int expected_version,
                                pl_id old_parent, pl_err *err);

/* Staff accounts whose scope unit lies in q->scope.unit_id's subtree (0: all accounts): _id,
 * username (NULL any), name (as for org units, on the display name), created in q->updated. */
pl_status store_fhir_staff_search(store *s, const store_fhir_query *q, const char *username,
                                  const char *name, pl_arena *a, pl_id **ids, int *n, bool *more,
                                  pl_err *err);
/* The (first) staff account of a peer leader's person; PL_NOTFOUND when the leader has none. */
pl_status store_fhir_leader_account(store *s, pl_id peer_leader_id, pl_id *account_id, pl_err *err);

/* Groups visible to q->scope: _id, with participant member (0 any), updated. */
pl_status store_fhir_group_search(store *s, const store_fhir_query *q, pl_id member, pl_arena *a,
                                  pl_id **ids, int *n, bool *more, pl_err *err);
pl_status store_fhir_group_updated(store *s, pl_id id, pl_time *at, pl_err *err);
/* Every membership of group_id, open and ended, oldest first (no names), inside a write (a
 * FHIR Group update diffs its member list against them); PL_LIMIT over max. */
pl_status store_tx_fhir_group_members(store_tx *tx, pl_id group_id, int max, pl_arena *a,
                                      pl_group_member **out, int *n, pl_err *err);

#endif
