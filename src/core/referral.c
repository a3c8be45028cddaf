/*
 * referral.c - the referral statuses, needs and transition table of
 * referral.h. The table is the only place the graph is written down; the
 * store and the API ask it, and tests/data/referral_transitions.tsv checks
 * every pair of statuses against it.
 */
#include "referral.h"

#include <stdio.h>
#include <string.h>

const char *const pl_referral_status_names[] = {"proposed", "sent",    "accepted",  "completed",
                                                "declined", "no_show", "cancelled", NULL};
const char *const pl_referral_need_names[] = {"food",      "legal",   "education", "economic",
                                              "childcare", "housing", "transport", "health",
                                              "other",     NULL};

#define P      PL_REFERRAL_PROPOSED
#define S      PL_REFERRAL_SENT
#define A      PL_REFERRAL_ACCEPTED
#define C      PL_REFERRAL_COMPLETED
#define D      PL_REFERRAL_DECLINED
#define N      PL_REFERRAL_NO_SHOW
#define X      PL_REFERRAL_CANCELLED
#define BIT(s) (1u << (s))

/* next[from]: the statuses that may follow `from` */
static const unsigned next[PL_REFERRAL__COUNT] = {
    [P] = BIT(S) | BIT(D) | BIT(X),
    [S] = BIT(A) | BIT(C) | BIT(D) | BIT(X),
    [A] = BIT(C) | BIT(N) | BIT(D) | BIT(X),
    [N] = BIT(S) | BIT(A) | BIT(D) | BIT(X),
    [C] = 0,
    [D] = 0,
    [X] = 0,
};

const char *pl_referral_status_name(pl_referral_status v)
{
    return (int)v >= 0 && v < PL_REFERRAL__COUNT ? pl_referral_status_names[v] : NULL;
}

const char *pl_referral_need_name(pl_referral_need v)
{
    return (int)v >= 0 && v < PL_NEED__COUNT ? pl_referral_need_names[v] : NULL;
}

static int lookup(const char *const *names, const char *s)
{
    for (int i = 0; s && names[i]; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

pl_status pl_referral_status_parse(const char *s, pl_referral_status *out)
{
    int i = lookup(pl_referral_status_names, s);
    if (i < 0)
        return PL_INVALID;
    *out = (pl_referral_status)i;
    return PL_OK;
}

pl_status pl_referral_need_parse(const char *s, pl_referral_need *out)
{
    int i = lookup(pl_referral_need_names, s);
    if (i < 0)
        return PL_INVALID;
    *out = (pl_referral_need)i;
    return PL_OK;
}

static bool valid(pl_referral_status s)
{
    return (int)s >= 0 && s < PL_REFERRAL__COUNT;
}

bool referral_initial_ok(pl_referral_status s)
{
    return s == P || s == S;
}

bool referral_final(pl_referral_status s)
{
    return valid(s) && next[s] == 0;
}

bool referral_linked(pl_referral_status s)
{
    return s == C;
}

bool referral_transition_allowed(pl_referral_status from, pl_referral_status to)
{
    return valid(from) && valid(to) && (next[from] & BIT(to)) != 0;
}

/* "sent, declined or cancelled": the statuses that may follow from. */
static void list_next(pl_referral_status from, char *out, size_t size)
{
    size_t len = 0;
    int total = 0, done = 0;
    out[0] = '\0';
    for (int s = 0; s < PL_REFERRAL__COUNT; s++)
        total += (next[from] & BIT(s)) != 0;
    for (int s = 0; s < PL_REFERRAL__COUNT && len < size; s++) {
        if (!(next[from] & BIT(s)))
            continue;
        const char *sep = done == 0 ? "" : done == total - 1 ? " or " : ", ";
        len += (size_t)snprintf(out + len, size - len, "%s%s", sep, pl_referral_status_names[s]);
        done++;
    }
}

pl_status referral_transition_check(pl_referral_status from, pl_referral_status to,
                                    const char *note, pl_err *err)
{
    if (!valid(from) || !valid(to)) {
        pl_err_field(err, "status", "is not a referral status");
        return PL_INVALID;
    }
    if (from == to) {
        pl_err_field(err, "status", "is already %s", pl_referral_status_names[from]);
        return PL_INVALID;
    }
    if (referral_final(from)) {
        pl_err_field(err, "status",
                     "cannot change from %s to %s: %s is final (a closed referral does not "
                     "reopen; make a new referral)",
                     pl_referral_status_names[from], pl_referral_status_names[to],
                     pl_referral_status_names[from]);
        return PL_INVALID;
    }
    if (!referral_transition_allowed(from, to)) {
        char allowed[96];
        list_next(from, allowed, sizeof allowed);
        pl_err_field(err, "status",
                     "cannot change from %s to %s: after %s a referral can become %s",
                     pl_referral_status_names[from], pl_referral_status_names[to],
                     pl_referral_status_names[from], allowed);
        return PL_INVALID;
    }
    if (to == D || to == X) {
        size_t blank = note ? strspn(note, " \t\r\n") : 0;
        if (!note || note[blank] == '\0') {
            pl_err_field(err, "note", "must say why the referral is %s",
                         pl_referral_status_names[to]);
            return PL_INVALID;
        }
    }
    return PL_OK;
}
