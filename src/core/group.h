/*
 * group.h - group peer support as plain C values: groups (CSMGs, DSME
 * classes, neighbourhood clubs, peer groups), their time-bounded
 * memberships, sessions with per-member attendance, and course templates
 * (a named series of sessions a program runs again and again).
 *
 * The rules live here so the store, the API and the demo apply the same
 * ones; docs/GROUPS.md describes the model. Like domain.h, strings are
 * borrowed, dates are pl_date and instants pl_time.
 *
 * Membership is the half-open interval [joined_on, left_on): a participant
 * is a member on day D when joined_on <= D and (left_on is none or
 * D < left_on), so left_on is the first day they are no longer one and a
 * re-join may start on the day the last membership ended. A session's day
 * is the UTC calendar day of its scheduled_at.
 */
#ifndef PL_CORE_GROUP_H
#define PL_CORE_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "domain.h"

typedef enum pl_group_kind {
    PL_GROUP_CSMG,               /* chronic disease self-management group */
    PL_GROUP_DSME_CLASS,         /* diabetes self-management education class */
    PL_GROUP_NEIGHBOURHOOD_CLUB, /* neighbourhood activity club */
    PL_GROUP_PEER_GROUP,         /* any other peer group */
    PL_GROUP__COUNT
} pl_group_kind;

typedef enum pl_session_status {
    PL_SESSION_SCHEDULED,
    PL_SESSION_HELD,
    PL_SESSION_CANCELLED,
    PL_SESSION__COUNT
} pl_session_status;

typedef enum pl_attendance {
    PL_ATTEND_ATTENDED,
    PL_ATTEND_ABSENT,
    PL_ATTEND_EXCUSED,
    PL_ATTEND__COUNT
} pl_attendance;

extern const char *const pl_group_kind_names[], *const pl_session_status_names[],
                                                    *const pl_attendance_names[];

const char *pl_group_kind_name(pl_group_kind v);
const char *pl_session_status_name(pl_session_status v);
const char *pl_attendance_name(pl_attendance v);
pl_status pl_group_kind_parse(const char *s, pl_group_kind *out);
pl_status pl_session_status_parse(const char *s, pl_session_status *out);
pl_status pl_attendance_parse(const char *s, pl_attendance *out);

#define PL_GROUP_NOTES_MAX     4000
#define PL_COURSE_SESSIONS_MAX 32
#define PL_COURSE_MODULE_MAX   64 /* bytes of one module title */
#define PL_ATTENDANCE_MAX      200

typedef struct pl_group {
    pl_id id;
    pl_id program_id; /* the program of unit_id */
    pl_id unit_id;    /* the community, CHC, practice ... it meets in */
    pl_group_kind kind;
    const char *name;
    pl_id peer_leader_id; /* the peer leader who leads it */
    pl_id co_leader_id;   /* a staff account co-leading it (e.g. a CHC clinician); 0 none */
    const char *language; /* "zh-CN", "es", "en"; NULL: the program's */
    const char *location; /* where it usually meets; NULL when not said */
    bool active;
    int version;
} pl_group;

typedef struct pl_group_member {
    pl_id id; /* the membership */
    pl_id group_id;
    pl_id participant_id;
    pl_date joined_on;
    pl_date left_on; /* PL_DATE_NONE while a member */
    const char *left_reason;
    /* read-only, filled by the store for rosters */
    const char *given_name;
    const char *family_name;
} pl_group_member;

typedef struct pl_group_session {
    pl_id id;
    pl_id group_id;
    pl_id peer_leader_id; /* who leads it: the group's leader when it was created */
    pl_session_status status;
    pl_time scheduled_at;
    int minutes;
    const char *topic;       /* the module title or the topic of a one-off session */
    const char *module_code; /* e.g. "sh-basic-3" for module 3 of template "sh-basic"; NULL */
    pl_id template_id;       /* the course template it came from; 0 none */
    int module_no;           /* 1-based module of that template; 0 none */
    const char *location;
    const char *notes;         /* minutes of the meeting, multi-line */
    uint32_t key_functions;    /* PL_KF_* bits, as on contacts */
    uint32_t topics;           /* 1u << pl_topic, as on contacts */
    const char *cancel_reason; /* set exactly when cancelled */
    int version;
    /* read-only, filled by the store: the group's program, attendance recorded so far */
    pl_id program_id;
    int attended, absent, excused;
} pl_group_session;

typedef struct pl_course_template {
    pl_id id;
    pl_id program_id;
    const char *code; /* unique in the program: a-z, 0-9 and '-', e.g. "msp-dsme" */
    const char *name;
    int sessions;      /* 1-32 */
    int interval_days; /* between two sessions, 1-365 */
    int minutes;       /* of each session, 1-600 */
    uint32_t key_functions;
    const char *modules; /* one title per session, joined by '\n' */
} pl_course_template;

/* ---- validation ----------------------------------------------------------
 * Each returns PL_OK or PL_INVALID with one field error per broken rule.
 * program_kf_mask: the program-defined key-function bits the program enabled.
 */
pl_status pl_group_validate(const pl_group *g, pl_err *err);
pl_status pl_group_session_validate(const pl_group_session *s, uint32_t program_kf_mask,
                                    pl_err *err);
pl_status pl_course_template_validate(const pl_course_template *t, uint32_t program_kf_mask,
                                      pl_err *err);

/* True when a participant with this membership is a member on `day`. */
bool pl_group_member_on(const pl_group_member *m, pl_date day);

/*
 * A session may go scheduled -> held, scheduled -> cancelled and cancelled
 * -> scheduled (rescheduled); held stays held. PL_INVALID with a field error
 * on "status" otherwise.
 */
pl_status pl_session_transition(pl_session_status from, pl_session_status to, pl_err *err);

/* The n-th (0-based) module title of t into out (at most PL_COURSE_MODULE_MAX bytes + NUL). */
bool pl_course_module(const pl_course_template *t, int n, char out[PL_COURSE_MODULE_MAX + 1]);

#endif
