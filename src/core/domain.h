/*
 * domain.h - the records of a peer-support program, as plain C values.
 *
 * These are the nouns of DESIGN.md §3: org units, persons, participants,
 * peer leaders, contacts, measurements and staff accounts. Each enum has a
 * stable lower-case spelling (its wire and database form) through the
 * *_name / *_parse pairs, so the JSON API, the database and the CLI all
 * speak the same words.
 *
 * Ownership: string fields are borrowed. Whoever builds a record keeps the
 * strings alive (usually in a request arena; the store fills records it
 * reads from the caller's arena). NULL means "not given".
 *
 * Time: dates are pl_date (days since 1970-01-01, PL_DATE_NONE when absent)
 * and instants are pl_time (seconds since the epoch, UTC). Parsing and
 * formatting live in time.h.
 */
#ifndef PL_CORE_DOMAIN_H
#define PL_CORE_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "status.h"

typedef int64_t pl_id; /* 0 means "none" */
typedef int32_t pl_date;
typedef int64_t pl_time;

#define PL_DATE_NONE INT32_MIN
#define PL_TIME_NONE INT64_MIN

/* ---- enums with stable names ------------------------------------------ */

typedef enum pl_org_kind {
    PL_ORG_NETWORK,
    PL_ORG_PROGRAM,
    PL_ORG_SITE,
    PL_ORG_DISTRICT,
    PL_ORG_COMMUNITY,
    PL_ORG_CHC,
    PL_ORG_RESIDENTIAL_COMMITTEE,
    PL_ORG_PRACTICE,
    PL_ORG_HOSPITAL,
    PL_ORG_NGO,
    PL_ORG__COUNT
} pl_org_kind;

typedef enum pl_arm { PL_ARM_NONE, PL_ARM_INTERVENTION, PL_ARM_CONTROL, PL_ARM__COUNT } pl_arm;

typedef enum pl_sex {
    PL_SEX_UNKNOWN,
    PL_SEX_FEMALE,
    PL_SEX_MALE,
    PL_SEX_OTHER,
    PL_SEX__COUNT
} pl_sex;

typedef enum pl_enrol_status {
    PL_ENROL_ENROLLED,
    PL_ENROL_WITHDRAWN,
    PL_ENROL_COMPLETED,
    PL_ENROL_DECEASED,
    PL_ENROL_LOST,
    PL_ENROL__COUNT
} pl_enrol_status;

typedef enum pl_treatment {
    PL_TREAT_UNKNOWN,
    PL_TREAT_LIFESTYLE,
    PL_TREAT_ORAL,
    PL_TREAT_INSULIN,
    PL_TREAT_ORAL_AND_INSULIN,
    PL_TREAT_OTHER_INJECTABLE,
    PL_TREAT__COUNT
} pl_treatment;

typedef enum pl_risk_tier { PL_RISK_STANDARD, PL_RISK_HIGH_NEED, PL_RISK__COUNT } pl_risk_tier;

typedef enum pl_leader_kind {
    PL_LEADER_PEER_LEADER,
    PL_LEADER_PROMOTOR,
    PL_LEADER_COMMUNITY_HEALTH_WORKER,
    PL_LEADER_NAVIGATOR,
    PL_LEADER__COUNT
} pl_leader_kind;

typedef enum pl_contact_mode {
    PL_MODE_ONE_ON_ONE,
    PL_MODE_HOME_VISIT,
    PL_MODE_PHONE,
    PL_MODE_TEXT,
    PL_MODE_GROUP,
    PL_MODE_CLINIC_ACCOMPANIMENT,
    PL_MODE_NEIGHBOURHOOD_ACTIVITY,
    PL_MODE__COUNT
} pl_contact_mode;

typedef enum pl_source {
    PL_SOURCE_EMR,
    PL_SOURCE_LAB,
    PL_SOURCE_POINT_OF_CARE,
    PL_SOURCE_SELF,
    PL_SOURCE_PEER,
    PL_SOURCE__COUNT
} pl_source;

typedef enum pl_role {
    PL_ROLE_ADMIN,
    PL_ROLE_PROGRAM_MANAGER,
    PL_ROLE_CLINICIAN,
    PL_ROLE_PEER_LEADER,
    PL_ROLE_NAVIGATOR,
    PL_ROLE_EVALUATOR,
    PL_ROLE__COUNT
} pl_role;

/*
 * Key functions are a bit set. Bits 0-3 are the Four Key Functions of peer
 * support; bits 4-15 are program-defined (e.g. "being there"), enabled per
 * program by a mask.
 */
enum {
    PL_KF_DAILY_MANAGEMENT = 1u << 0,
    PL_KF_SOCIAL_EMOTIONAL = 1u << 1,
    PL_KF_LINKAGE = 1u << 2,
    PL_KF_ONGOING = 1u << 3,
};
#define PL_KF_STANDARD_MASK     0x000Fu
#define PL_KF_PROGRAM_FIRST_BIT 4
#define PL_KF_MAX_BITS          16

/* Contact topics: the ADCES7 self-care behaviours plus the peer-support extras. */
typedef enum pl_topic {
    PL_TOPIC_HEALTHY_EATING,
    PL_TOPIC_BEING_ACTIVE,
    PL_TOPIC_MONITORING,
    PL_TOPIC_TAKING_MEDICATION,
    PL_TOPIC_PROBLEM_SOLVING,
    PL_TOPIC_HEALTHY_COPING,
    PL_TOPIC_REDUCING_RISKS,
    PL_TOPIC_CLINIC_VISITS,
    PL_TOPIC_COMMUNITY_RESOURCES,
    PL_TOPIC_FAMILY,
    PL_TOPIC_OTHER,
    PL_TOPIC__COUNT
} pl_topic;

/* Each enum's names in value order, ending with NULL (for schemas and documentation). */
extern const char *const pl_org_kind_names[],
    *const pl_arm_names[], *const pl_sex_names[],
                               *const pl_enrol_status_names[],
                                   *const pl_treatment_names[],
                                       *const pl_risk_tier_names[],
                                           *const pl_leader_kind_names[],
                                               *const pl_contact_mode_names[],
                                                   *const pl_source_names[],
                                                       *const pl_role_names[],
                                                           *const pl_topic_names[],
                                                               *const pl_key_function_names[];
/* The languages peerlink ships catalogs for (BCP 47), ending with NULL. */
extern const char *const pl_language_names[];

/* Name of value v in an enum table, or NULL when out of range. */
const char *pl_org_kind_name(pl_org_kind v);
const char *pl_arm_name(pl_arm v);
const char *pl_sex_name(pl_sex v);
const char *pl_enrol_status_name(pl_enrol_status v);
const char *pl_treatment_name(pl_treatment v);
const char *pl_risk_tier_name(pl_risk_tier v);
const char *pl_leader_kind_name(pl_leader_kind v);
const char *pl_contact_mode_name(pl_contact_mode v);
const char *pl_source_name(pl_source v);
const char *pl_role_name(pl_role v);
const char *pl_topic_name(pl_topic v);
const char *pl_key_function_name(int bit); /* standard bits only */

/* Parses a name into *out; PL_INVALID (and *out untouched) when unknown. */
pl_status pl_org_kind_parse(const char *s, pl_org_kind *out);
pl_status pl_arm_parse(const char *s, pl_arm *out);
pl_status pl_sex_parse(const char *s, pl_sex *out);
pl_status pl_enrol_status_parse(const char *s, pl_enrol_status *out);
pl_status pl_treatment_parse(const char *s, pl_treatment *out);
pl_status pl_risk_tier_parse(const char *s, pl_risk_tier *out);
pl_status pl_leader_kind_parse(const char *s, pl_leader_kind *out);
pl_status pl_contact_mode_parse(const char *s, pl_contact_mode *out);
pl_status pl_source_parse(const char *s, pl_source *out);
pl_status pl_role_parse(const char *s, pl_role *out);
/* True for a BCP 47 tag peerlink ships catalogs for ("en", "es", "zh-CN"). */
bool pl_language_ok(const char *s);
pl_status pl_topic_parse(const char *s, pl_topic *out);
pl_status pl_key_function_parse(const char *s, int *bit);

/* ---- records ------------------------------------------------------------ */

typedef struct pl_org_unit {
    pl_id id;
    pl_id parent_id;  /* 0 for a root (network or program) */
    pl_id program_id; /* the program this unit belongs to; itself for a program */
    pl_org_kind kind;
    const char *name;
    const char *code;     /* short code unique within the program, e.g. "PD-03" */
    pl_arm arm;           /* communities only */
    const char *language; /* programs: default language, e.g. "zh-CN" */
    int version;
} pl_org_unit;

typedef struct pl_person {
    pl_id id;
    pl_id program_id;
    const char *given_name;
    const char *family_name;
    pl_sex sex;
    pl_date birth_date;
    const char *phone;
    const char *address;
    const char *language; /* BCP 47: "en", "es", "zh-CN" */
} pl_person;

typedef struct pl_participant {
    pl_id id;
    pl_person person; /* a participant is a person; person.id may be shared with a peer leader */
    pl_id program_id;
    const char *program_ident; /* the program's own participant number */
    const char *mrn;           /* EMR medical record number */
    int diagnosis_year;        /* 0 when unknown */
    pl_treatment treatment;
    pl_date enrol_date;
    pl_enrol_status status;
    pl_date status_date; /* when status last changed */
    const char *status_reason;
    bool consent;
    pl_date consent_date;
    pl_id home_unit_id;
    pl_id peer_leader_id; /* 0 when unassigned */
    pl_risk_tier risk_tier;
    int version; /* increments on every update; the ETag */
} pl_participant;

typedef struct pl_peer_leader {
    pl_id id;
    pl_person person;
    pl_id program_id;
    pl_id home_unit_id;
    pl_leader_kind kind;
    bool paid;             /* false: volunteer */
    const char *languages; /* comma-separated BCP 47 tags, e.g. "es,en" */
    pl_date trained_on;
    int training_hours;
    bool active;
    int version;
} pl_peer_leader;

#define PL_CONTACT_NOTE_MAX 4000

typedef struct pl_contact {
    pl_id id;
    pl_id program_id;
    pl_id participant_id;
    pl_id peer_leader_id; /* who delivered it */
    pl_time occurred_at;
    int minutes;
    pl_contact_mode mode;
    uint32_t key_functions; /* PL_KF_* bits */
    uint32_t topics;        /* 1u << pl_topic */
    bool proactive;         /* initiated by the peer leader, not on request */
    int family_members;     /* family or household members also present (0-20) */
    const char *note;
    pl_date follow_up_date;
    pl_id group_session_id; /* the group session whose attendance made it (read-only); 0 none */
} pl_contact;

typedef struct pl_measurement {
    pl_id id;
    pl_id participant_id;
    const char *code;          /* LOINC, as entered */
    const char *analyte;       /* canonical short name, e.g. "hba1c" (set by measure_normalise) */
    double value;              /* in the analyte's canonical unit */
    const char *unit;          /* canonical UCUM unit */
    const char *entered_value; /* the value as written, e.g. "7.50" */
    const char *entered_unit;  /* UCUM unit as entered */
    pl_time effective_at;
    pl_source source;
    int wave;          /* assessment wave in months (0, 6, 12...), -1 if none */
    pl_id recorded_by; /* staff account, 0 for imports */
    int version;       /* 1 when recorded, +1 per correction (store_measurement.h); 0: not read */
} pl_measurement;

typedef struct pl_staff_account {
    pl_id id;
    const char *username;
    const char *display_name;
    pl_role role;
    pl_id scope_unit_id; /* 0: the whole installation (admins) */
    pl_id person_id;     /* the peer leader or clinician behind the login, if any */
    bool disabled;
    const char *language; /* the pages' language: "en", "es", "zh-CN"; NULL: the browser's */
    pl_time created_at;
    int version;
} pl_staff_account;

/* ---- validation ----------------------------------------------------------
 * Each returns PL_OK or PL_INVALID with one field error per broken rule.
 * `now` is passed in (core does no I/O) so that "not in the future" rules
 * are testable.
 */
pl_status org_unit_validate(const pl_org_unit *u, const pl_org_unit *parent, pl_err *err);
pl_status person_validate(const pl_person *p, pl_date today, pl_err *err);
pl_status participant_validate(const pl_participant *p, pl_date today, pl_err *err);
pl_status peer_leader_validate(const pl_peer_leader *l, pl_date today, pl_err *err);
/* program_kf_mask: the program-defined key-function bits the program enabled. */
pl_status contact_validate(const pl_contact *c, uint32_t program_kf_mask, pl_time now, pl_err *err);
pl_status staff_account_validate(const pl_staff_account *a, pl_err *err);
/* Rules on a password before it is hashed: 10-256 bytes. */
pl_status password_validate(const char *password, pl_err *err);

/* True when s is valid UTF-8 without control characters (C0, DEL, C1); multiline
 * text may also hold \n, \r and \t. */
bool pl_text_ok(const char *s, bool multiline);

#endif
