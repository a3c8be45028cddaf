/*
 * followup.c - keeps the derived workflow records current: a participant's
 * open follow-up task, their risk tier, and the task that watches an open
 * referral (store.h, "follow-up and risk tier").
 *
 * Both run inside the write that changed their inputs (a contact, a
 * measurement, a questionnaire, an enrolment, an assignment), so the
 * worklist is never behind the record and a failed write leaves them as
 * they were. They use only store.h functions and core/rules.h, so every
 * backend shares them. Both are idempotent: running them again changes
 * nothing.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/referral.h"
#include "core/time.h"
#include "store.h"

/* The due date the cadence rule gives, and the contact it counts from (0: enrolment). */
static pl_status followup_due(store_tx *tx, const pl_participant *p, const rules_settings *rs,
                              pl_arena *a, pl_date *due, pl_id *basis, pl_err *err)
{
    pl_contact last;
    pl_status st = store_tx_last_contact(tx, p->id, a, &last, err);
    if (st == PL_NOTFOUND) {
        pl_err_clear(err);
        *basis = 0;
        *due = p->enrol_date + rs->cadence_days[p->risk_tier];
        return PL_OK;
    }
    if (st != PL_OK)
        return st;
    *basis = last.id;
    pl_date last_day = pl_time_date(last.occurred_at);
    *due = last_day + rs->cadence_days[p->risk_tier];
    /* the leader's own plan at that contact wins over the cadence, earlier or later */
    if (last.follow_up_date != PL_DATE_NONE && last.follow_up_date > last_day)
        *due = last.follow_up_date;
    return PL_OK;
}

static const char *followup_title(const pl_participant *p)
{
    return p->risk_tier == PL_RISK_HIGH_NEED ? "Follow-up contact (high need)"
                                             : "Follow-up contact";
}

pl_status store_followup_refresh(store_tx *tx, pl_id participant_id, pl_err *err)
{
    pl_arena a;
    pl_arena_init(&a, 16 * 1024);
    pl_participant p;
    store_task open;
    rules_settings rs;
    int version;
    bool has_open = false;
    pl_status st = store_tx_participant_get(tx, participant_id, &a, &p, err);
    if (st != PL_OK)
        goto done;
    st = store_tx_open_follow_up(tx, participant_id, &a, &open, err);
    if (st == PL_OK)
        has_open = true;
    else if (st == PL_NOTFOUND) {
        pl_err_clear(err);
        st = PL_OK;
    } else {
        goto done;
    }

    if (p.status != PL_ENROL_ENROLLED) {
        if (has_open) {
            open.status = "cancelled";
            open.closed_at = (pl_time)time(NULL);
            open.close_note = "the participant is no longer enrolled";
            st = store_task_update(tx, &open, open.version, err);
        }
        goto done;
    }
    if ((st = store_tx_program_rules_get(tx, p.program_id, &rs, &version, err)) != PL_OK)
        goto done;
    pl_date due;
    pl_id basis;
    if ((st = followup_due(tx, &p, &rs, &a, &due, &basis, err)) != PL_OK)
        goto done;

    if (has_open && open.basis_contact_id != basis && basis != 0) {
        /* a newer contact than the one the task counted from: the follow-up happened */
        open.status = "done";
        open.closed_at = (pl_time)time(NULL);
        open.closed_contact_id = basis;
        open.close_note = "closed by a contact";
        if ((st = store_task_update(tx, &open, open.version, err)) != PL_OK)
            goto done;
        has_open = false;
    }
    if (has_open) {
        const char *title = followup_title(&p);
        if (open.due_date == due && open.peer_leader_id == p.peer_leader_id &&
            strcmp(open.title, title) == 0)
            goto done;
        open.due_date = due;
        open.peer_leader_id = p.peer_leader_id;
        open.title = title;
        st = store_task_update(tx, &open, open.version, err);
        goto done;
    }
    store_task t = {.participant_id = p.id,
                    .peer_leader_id = p.peer_leader_id,
                    .kind = "follow_up",
                    .title = followup_title(&p),
                    .due_date = due,
                    .basis_contact_id = basis};
    st = store_task_insert(tx, &t, err);
done:
    pl_arena_free(&a);
    return st;
}

pl_status store_risk_refresh(store_tx *tx, pl_id participant_id, const char *source_entity,
                             pl_id source_id, pl_id changed_by, bool *changed, pl_err *err)
{
    pl_arena a;
    pl_arena_init(&a, 16 * 1024);
    pl_participant p;
    rules_settings rs;
    int version;
    if (changed)
        *changed = false;
    pl_status st = store_tx_participant_get(tx, participant_id, &a, &p, err);
    if (st != PL_OK ||
        (st = store_tx_program_rules_get(tx, p.program_id, &rs, &version, err)) != PL_OK)
        goto done;
    rules_inputs in = {.hba1c = NAN, .dds = NAN, .phq9_total = -1};
    double v;
    static const struct {
        bool score; /* a questionnaire score, else a measurement */
        const char *name;
    } inputs[] = {{false, "hba1c"}, {true, "dds17"}, {true, "phq9"}};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        st = inputs[i].score ? store_tx_latest_score(tx, p.id, inputs[i].name, &v, err)
                             : store_tx_latest_value(tx, p.id, inputs[i].name, &v, err);
        if (st == PL_NOTFOUND) {
            pl_err_clear(err);
            st = PL_OK;
            continue;
        }
        if (st != PL_OK)
            goto done;
        if (i == 0)
            in.hba1c = v;
        else if (i == 1)
            in.dds = v;
        else
            in.phq9_total = (int)lround(v);
    }
    pl_risk_tier tier;
    char reason[256];
    if (rules_risk_tier(&rs, &in, &tier, reason, sizeof reason) != PL_OK) {
        st = pl_err_set(err, PL_INVALID, "participant %lld: the risk rule could not be applied",
                        (long long)p.id);
        goto done;
    }
    if (tier == p.risk_tier)
        goto done;
    store_risk_change rc = {.participant_id = p.id,
                            .tier = pl_risk_tier_name(tier),
                            .previous_tier = pl_risk_tier_name(p.risk_tier),
                            .reason = reason,
                            .source_entity = source_entity,
                            .source_id = source_id,
                            .changed_by = changed_by};
    p.risk_tier = tier;
    if ((st = store_participant_update(tx, &p, p.version, err)) != PL_OK ||
        (st = store_risk_change_insert(tx, &rc, err)) != PL_OK ||
        (st = store_followup_refresh(tx, p.id, err)) != PL_OK)
        goto done;
    if (changed)
        *changed = true;
done:
    pl_arena_free(&a);
    return st;
}

pl_status store_referral_task_refresh(store_tx *tx, pl_id referral_id, pl_err *err)
{
    pl_arena a;
    pl_arena_init(&a, 16 * 1024);
    store_referral r;
    pl_participant p;
    store_task t;
    rules_settings rs;
    int version;
    pl_referral_status status;
    bool has_task = false;
    pl_status st = store_tx_referral_get(tx, referral_id, &a, &r, err);
    if (st != PL_OK || (st = store_tx_participant_get(tx, r.participant_id, &a, &p, err)) != PL_OK)
        goto done;
    if (pl_referral_status_parse(r.status, &status) != PL_OK) {
        st = pl_err_set(err, PL_INVALID, "referral %lld: unknown status", (long long)r.id);
        goto done;
    }
    st = store_tx_task_by_source(tx, "referral", r.id, &a, &t, err);
    if (st == PL_OK) {
        has_task = true;
    } else if (st == PL_NOTFOUND) {
        pl_err_clear(err);
        st = PL_OK;
    } else {
        goto done;
    }
    if (referral_final(status)) {
        if (has_task) {
            t.status = referral_linked(status) ? "done" : "cancelled";
            t.closed_at = (pl_time)time(NULL);
            t.close_note = pl_arena_printf(&a, "the referral was %s", r.status);
            st = store_task_update(tx, &t, t.version, err);
        }
        goto done;
    }
    if ((st = store_tx_program_rules_get(tx, p.program_id, &rs, &version, err)) != PL_OK)
        goto done;
    pl_date due = pl_time_date(r.status_changed_at) + rs.referral_days;
    const char *to = r.service_name ? r.service_name : r.resource_text ? r.resource_text : "?";
    const char *title = pl_arena_printf(&a, "Check on the referral to %.120s (%s)", to, r.status);
    if (!title) {
        st = pl_err_set(err, PL_LIMIT, "referral %lld: out of request memory", (long long)r.id);
        goto done;
    }
    if (has_task) {
        if (t.due_date == due && t.peer_leader_id == p.peer_leader_id && !strcmp(t.title, title))
            goto done;
        t.due_date = due;
        t.peer_leader_id = p.peer_leader_id;
        t.title = title;
        st = store_task_update(tx, &t, t.version, err);
        goto done;
    }
    store_task nt = {.participant_id = p.id,
                     .peer_leader_id = p.peer_leader_id,
                     .kind = "referral",
                     .title = title,
                     .due_date = due,
                     .source_entity = "referral",
                     .source_id = r.id,
                     .created_by = r.referred_by};
    st = store_task_insert(tx, &nt, err);
done:
    pl_arena_free(&a);
    return st;
}
