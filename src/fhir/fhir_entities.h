/*
 * fhir_entities.h - FHIR R4 Encounter (contacts), Organization (org units),
 * Practitioner and PractitionerRole (staff accounts) and Group (groups with
 * their members), mapped to and from peerlink's records. No HTTP and no
 * store writes; docs/FHIR.md ("Encounters, people, places and groups") has
 * the mapping tables.
 *
 * peerlink's own codes are written in code systems under FHIR_CS_BASE; the
 * key functions of a contact are Encounter.type codings in
 * FHIR_CS_KEY_FUNCTION, one CodeableConcept per key function. A contact's
 * mode is Encounter.class: a v3 ActCode where one says the same thing (home
 * visit HH, phone VR, in person FLD, clinic accompaniment AMB), else a code
 * of FHIR_CS_CONTACT_MODE; both read back to the same mode, so a contact
 * written as FHIR and read again keeps its mode, key functions and times.
 */
#ifndef PL_FHIR_FHIR_ENTITIES_H
#define PL_FHIR_FHIR_ENTITIES_H

#include <json-c/json.h>

#include "core/arena.h"
#include "core/domain.h"
#include "core/group.h"

#define FHIR_CS_BASE         "http://peerlink.example/fhir/CodeSystem/"
#define FHIR_CS_KEY_FUNCTION FHIR_CS_BASE "key-function"
#define FHIR_CS_CONTACT_MODE FHIR_CS_BASE "contact-mode"
#define FHIR_CS_TOPIC        FHIR_CS_BASE "contact-topic"
#define FHIR_CS_STAFF_ROLE   FHIR_CS_BASE "staff-role"
#define FHIR_CS_ORG_KIND     FHIR_CS_BASE "org-unit-kind"
#define FHIR_CS_GROUP_KIND   FHIR_CS_BASE "group-kind"
#define FHIR_V3_ACT_CODE     "http://terminology.hl7.org/CodeSystem/v3-ActCode"
#define FHIR_SYS_STAFF       "urn:peerlink:staff-account"
#define FHIR_SYS_ORG_CODE    "urn:peerlink:org-unit-code"

/* ---- Encounter (contact) ------------------------------------------------------ */

typedef struct fhir_encounter {
    const char *id;           /* as sent; NULL when absent */
    const char *subject;      /* subject.reference; NULL when absent */
    const char *practitioner; /* participant[0].individual.reference; NULL: the caller */
    /* occurred_at, minutes, mode, key_functions, topics; the rest is the caller's */
    pl_contact c;
} fhir_encounter;

/*
 * Reads an Encounter for a contact. Field errors name the FHIR path
 * ("type[1].coding[0].system", "period.start", "subject"): status must be
 * finished (or absent), class a contact mode, each type coding of
 * FHIR_CS_KEY_FUNCTION, at least one key function, period.start required,
 * the minutes from length or else period.end - period.start.
 */
pl_status fhir_encounter_from_json(json_object *o, pl_arena *a, fhir_encounter *out, pl_err *err);

/* What a contact's Encounter shows beyond the contact itself. */
typedef struct fhir_encounter_view {
    int version;
    pl_time updated;
    pl_id practitioner;      /* the staff account of the peer leader; 0: none, display only */
    const char *leader_name; /* the peer leader's name; NULL when not known */
} fhir_encounter_view;

/* A contact as an Encounter; an attendance contact is partOf its session's Encounter. */
json_object *fhir_encounter_json(const pl_contact *c, const fhir_encounter_view *v);

/* A group session's Encounter has the id "session-N" (N the session id): class group, subject
 * the Group, status planned / finished / cancelled; its attendees' contacts are partOf it. */
#define FHIR_SESSION_PREFIX "session-"
json_object *fhir_session_encounter_json(const pl_group_session *s, const fhir_encounter_view *v);

#define FHIR_KF_CODE_LEN 16
/* A key function's code (standard names; program-defined bits "program-N" written into buf). */
const char *fhir_key_function_code(int bit, char buf[FHIR_KF_CODE_LEN]);
/* The bit of a key-function code, or -1. */
int fhir_key_function_bit(const char *code);

/* ---- Organization, Practitioner, PractitionerRole, Group ------------------------ */

json_object *fhir_organization_json(const pl_org_unit *u, pl_time updated);
/* Never the password hash nor a token: the account's name, username and active flag. */
json_object *fhir_practitioner_json(const pl_staff_account *a);
/* The account's role at its scope unit (Organization); admins have no organization. */
json_object *fhir_practitioner_role_json(const pl_staff_account *a);
/* A group and its memberships (ended ones inactive, with their period); leader_account > 0:
 * the peer leader's staff account, as the FHIR_EXT_GROUP_LEADER extension. */
json_object *fhir_group_json(const pl_group *g, const pl_group_member *m, int n, pl_time updated,
                             pl_id leader_account);

/* ---- reading Organization, Practitioner, PractitionerRole, Group -------------------
 * Each reader checks the shape and the codes and names every bad field by its FHIR path;
 * the domain rules (org_unit_validate, staff_account_validate, pl_group_validate) and the
 * rules that need the store are the caller's, through the JSON API's own write steps.
 * References are "Type/N" with N a positive id: *_ref members hold N (0 when absent). */

#define FHIR_EXT_GROUP_LEADER  "http://peerlink.example/fhir/StructureDefinition/group-peer-leader"
#define FHIR_GROUP_MEMBERS_MAX 2000

typedef struct fhir_organization {
    const char *id; /* as sent; NULL when absent */
    pl_id parent;   /* partOf; 0 when absent */
    pl_org_unit u;  /* name, code (identifier), kind (type) */
} fhir_organization;
pl_status fhir_organization_from_json(json_object *o, pl_arena *a, fhir_organization *out,
                                      pl_err *err);

typedef struct fhir_practitioner {
    const char *id;
    const char *username;     /* identifier of FHIR_SYS_STAFF; NULL when absent */
    const char *display_name; /* name[0].text, else given and family joined */
    const char *language;     /* communication[0] (BCP 47); NULL when absent */
    bool active;              /* absent: true */
} fhir_practitioner;
pl_status fhir_practitioner_from_json(json_object *o, pl_arena *a, fhir_practitioner *out,
                                      pl_err *err);

typedef struct fhir_practitioner_role {
    const char *id;
    pl_id practitioner; /* required */
    pl_id organization; /* the scope unit; 0 when absent (admins) */
    pl_role role;       /* code[0] of FHIR_CS_STAFF_ROLE, required */
    bool active;        /* absent: true */
    bool active_given;  /* active was in the body (absent: the account keeps its state) */
} fhir_practitioner_role;
pl_status fhir_practitioner_role_from_json(json_object *o, pl_arena *a, fhir_practitioner_role *out,
                                           pl_err *err);

typedef struct fhir_group_entry {
    pl_id participant; /* member[i].entity Patient/N */
    pl_date start;     /* period.start; PL_DATE_NONE when absent */
    pl_date end;       /* period.end; PL_DATE_NONE when absent */
    bool current;      /* neither inactive nor ended: a member now */
} fhir_group_entry;

typedef struct fhir_group {
    const char *id;
    pl_id unit;   /* managingEntity Organization/N; 0 when absent */
    pl_id leader; /* the FHIR_EXT_GROUP_LEADER extension's Practitioner/N; 0 when absent */
    pl_group g;   /* kind (code), name, active (absent: true) */
    fhir_group_entry *members;
    int nmembers;
} fhir_group;
/* Also refuses one participant listed as a current member twice. */
pl_status fhir_group_from_json(json_object *o, pl_arena *a, fhir_group *out, pl_err *err);

#endif
