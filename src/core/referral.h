/*
 * referral.h - closed-loop referrals to community resources: the statuses a
 * referral moves through, the need it answers, and the one table of allowed
 * transitions (docs/RESOURCES.md draws it).
 *
 * The loop follows the HL7 Gravity closed-loop referral pattern, where a
 * ServiceRequest and the Task that carries it to the service provider move
 * through draft / requested / accepted / in-progress / completed (or
 * rejected, cancelled, failed):
 *
 *   proposed  -> sent, declined, cancelled
 *   sent      -> accepted, completed, declined, cancelled
 *   accepted  -> completed, no_show, declined, cancelled
 *   no_show   -> sent, accepted, declined, cancelled
 *   completed, declined, cancelled: final
 *
 * A referral is "open" until it reaches a final status. Completion is the
 * participant's linkage to the resource (referral_linked()).
 *
 * Pure: no I/O, no allocation.
 */
#ifndef PL_CORE_REFERRAL_H
#define PL_CORE_REFERRAL_H

#include <stdbool.h>

#include "domain.h"
#include "status.h"

typedef enum pl_referral_status {
    PL_REFERRAL_PROPOSED,  /* drafted with the participant, not yet sent (Gravity: draft) */
    PL_REFERRAL_SENT,      /* sent to the service (Task requested) */
    PL_REFERRAL_ACCEPTED,  /* the service took it on (Task accepted / in-progress) */
    PL_REFERRAL_COMPLETED, /* the participant received the service (Task completed) */
    PL_REFERRAL_DECLINED,  /* the service or the participant said no (Task rejected) */
    PL_REFERRAL_NO_SHOW,   /* the participant missed the appointment (Task failed) */
    PL_REFERRAL_CANCELLED, /* withdrawn by the referrer (Task cancelled) */
    PL_REFERRAL__COUNT
} pl_referral_status;

typedef enum pl_referral_need {
    PL_NEED_FOOD,
    PL_NEED_LEGAL,
    PL_NEED_EDUCATION,
    PL_NEED_ECONOMIC,
    PL_NEED_CHILDCARE,
    PL_NEED_HOUSING,
    PL_NEED_TRANSPORT,
    PL_NEED_HEALTH,
    PL_NEED_OTHER,
    PL_NEED__COUNT
} pl_referral_need;

/* Names in value order, NULL-terminated (schemas and documentation). */
extern const char *const pl_referral_status_names[], *const pl_referral_need_names[];

const char *pl_referral_status_name(pl_referral_status v);
const char *pl_referral_need_name(pl_referral_need v);
pl_status pl_referral_status_parse(const char *s, pl_referral_status *out);
pl_status pl_referral_need_parse(const char *s, pl_referral_need *out);

/* The statuses a new referral may start in: proposed or sent. */
bool referral_initial_ok(pl_referral_status s);
/* True for completed, declined and cancelled: nothing follows them. */
bool referral_final(pl_referral_status s);
/* True when completion links the participant to the resource (status completed). */
bool referral_linked(pl_referral_status s);
/* True when the table allows from -> to. */
bool referral_transition_allowed(pl_referral_status from, pl_referral_status to);

/*
 * PL_OK when from -> to is allowed; otherwise PL_INVALID with a field error
 * on "status" saying why and what may follow `from`. A transition into
 * declined or cancelled needs a note that is not blank (field "note").
 */
pl_status referral_transition_check(pl_referral_status from, pl_referral_status to,
                                    const char *note, pl_err *err);

#endif
