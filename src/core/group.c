/*
 * group.c - names and rules of groups, sessions, attendance and course
 * templates (see group.h).
 */
#include "group.h"

#include <stdio.h>
#include <string.h>

#include "time.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

const char *const pl_group_kind_names[] = {"csmg", "dsme_class", "neighbourhood_club", "peer_group",
                                           NULL};
const char *const pl_session_status_names[] = {"scheduled", "held", "cancelled", NULL};
const char *const pl_attendance_names[] = {"attended", "absent", "excused", NULL};

static int lookup(const char *const *names, int n, const char *s)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

const char *pl_group_kind_name(pl_group_kind v)
{
    return (int)v >= 0 && (int)v < PL_GROUP__COUNT ? pl_group_kind_names[v] : NULL;
}

const char *pl_session_status_name(pl_session_status v)
{
    return (int)v >= 0 && (int)v < PL_SESSION__COUNT ? pl_session_status_names[v] : NULL;
}

const char *pl_attendance_name(pl_attendance v)
{
    return (int)v >= 0 && (int)v < PL_ATTEND__COUNT ? pl_attendance_names[v] : NULL;
}

pl_status pl_group_kind_parse(const char *s, pl_group_kind *out)
{
    int i = lookup(pl_group_kind_names, COUNT(pl_group_kind_names), s);
    if (i < 0)
        return PL_INVALID;
    *out = (pl_group_kind)i;
    return PL_OK;
}

pl_status pl_session_status_parse(const char *s, pl_session_status *out)
{
    int i = lookup(pl_session_status_names, COUNT(pl_session_status_names), s);
    if (i < 0)
        return PL_INVALID;
    *out = (pl_session_status)i;
    return PL_OK;
}

pl_status pl_attendance_parse(const char *s, pl_attendance *out)
{
    int i = lookup(pl_attendance_names, COUNT(pl_attendance_names), s);
    if (i < 0)
        return PL_INVALID;
    *out = (pl_attendance)i;
    return PL_OK;
}

/* A required or optional text of at most max bytes (multi-line when allowed). */
static void check_text(pl_err *err, const char *field, const char *s, size_t max, bool required,
                       bool multiline)
{
    if (!s || !*s) {
        if (required)
            pl_err_field(err, field, "is required");
        return;
    }
    if (strlen(s) > max)
        pl_err_field(err, field, "must be at most %zu bytes", max);
    else if (!pl_text_ok(s, multiline))
        pl_err_field(err, field, "must be valid UTF-8 text without control characters");
}

static void check_key_functions(pl_err *err, uint32_t kf, uint32_t program_kf_mask)
{
    uint32_t allowed = PL_KF_STANDARD_MASK | (program_kf_mask & 0xFFF0u);
    if (kf == 0)
        pl_err_field(err, "key_functions", "must name at least one key function");
    else if (kf & ~allowed)
        pl_err_field(err, "key_functions", "contains a key function this program does not use");
}

pl_status pl_group_validate(const pl_group *g, pl_err *err)
{
    if (!pl_group_kind_name(g->kind))
        pl_err_field(err, "kind", "must be csmg, dsme_class, neighbourhood_club or peer_group");
    check_text(err, "name", g->name, 200, true, false);
    if (g->unit_id <= 0)
        pl_err_field(err, "unit_id", "is required");
    if (g->program_id <= 0)
        pl_err_field(err, "program_id", "is required");
    if (g->peer_leader_id <= 0)
        pl_err_field(err, "peer_leader_id", "is required");
    if (g->language && *g->language && strcmp(g->language, "en") != 0 &&
        strcmp(g->language, "es") != 0 && strcmp(g->language, "zh-CN") != 0)
        pl_err_field(err, "language", "must be en, es or zh-CN");
    check_text(err, "location", g->location, 200, false, false);
    return err->status == PL_OK ? PL_OK : PL_INVALID;
}

pl_status pl_group_session_validate(const pl_group_session *s, uint32_t program_kf_mask,
                                    pl_err *err)
{
    if (!pl_session_status_name(s->status))
        pl_err_field(err, "status", "must be scheduled, held or cancelled");
    if (s->scheduled_at == PL_TIME_NONE)
        pl_err_field(err, "scheduled_at", "is required");
    else if (s->scheduled_at < pl_date_time(pl_date_from_ymd(2000, 1, 1)) ||
             s->scheduled_at >= pl_date_time(pl_date_from_ymd(2200, 1, 1)))
        pl_err_field(err, "scheduled_at", "must be between 2000-01-01 and 2199-12-31");
    if (s->minutes < 1 || s->minutes > 600)
        pl_err_field(err, "minutes", "must be between 1 and 600");
    check_text(err, "topic", s->topic, 200, true, false);
    check_text(err, "module_code", s->module_code, 40, false, false);
    check_text(err, "location", s->location, 200, false, false);
    check_text(err, "notes", s->notes, PL_GROUP_NOTES_MAX, false, true);
    check_key_functions(err, s->key_functions, program_kf_mask);
    if (s->topics & ~((1u << PL_TOPIC__COUNT) - 1))
        pl_err_field(err, "topics", "contains an unknown topic");
    bool reason = s->cancel_reason && *s->cancel_reason;
    if (s->status == PL_SESSION_CANCELLED && !reason)
        pl_err_field(err, "cancel_reason", "is required when a session is cancelled");
    else if (s->status != PL_SESSION_CANCELLED && reason)
        pl_err_field(err, "cancel_reason", "is only for a cancelled session");
    else
        check_text(err, "cancel_reason", s->cancel_reason, 500, false, false);
    return err->status == PL_OK ? PL_OK : PL_INVALID;
}

bool pl_course_module(const pl_course_template *t, int n, char out[PL_COURSE_MODULE_MAX + 1])
{
    const char *p = t->modules;
    out[0] = '\0';
    for (int i = 0; p && i < n; i++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (!p)
        return false;
    size_t len = strcspn(p, "\n");
    if (len > PL_COURSE_MODULE_MAX)
        return false;
    memcpy(out, p, len);
    out[len] = '\0';
    return true;
}

pl_status pl_course_template_validate(const pl_course_template *t, uint32_t program_kf_mask,
                                      pl_err *err)
{
    if (t->program_id <= 0)
        pl_err_field(err, "program_id", "is required");
    const char *c = t->code;
    if (!c || !*c) {
        pl_err_field(err, "code", "is required");
    } else {
        bool ok = strlen(c) <= 40 && *c != '-';
        for (; ok && *c; c++)
            ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-';
        if (!ok)
            pl_err_field(err, "code",
                         "must be 1-40 characters of a-z, 0-9 and '-', not starting with '-'");
    }
    check_text(err, "name", t->name, 200, true, false);
    if (t->sessions < 1 || t->sessions > PL_COURSE_SESSIONS_MAX)
        pl_err_field(err, "sessions", "must be between 1 and %d", PL_COURSE_SESSIONS_MAX);
    if (t->interval_days < 1 || t->interval_days > 365)
        pl_err_field(err, "interval_days", "must be between 1 and 365");
    if (t->minutes < 1 || t->minutes > 600)
        pl_err_field(err, "minutes", "must be between 1 and 600");
    check_key_functions(err, t->key_functions, program_kf_mask);
    int n = 0;
    if (t->modules && *t->modules) {
        n = 1;
        for (const char *p = t->modules; *p; p++)
            n += *p == '\n';
    }
    if (n != t->sessions && t->sessions >= 1) {
        pl_err_field(err, "modules", "must have one title per session (%d sessions, %d titles)",
                     t->sessions, n);
    } else {
        char title[PL_COURSE_MODULE_MAX + 1];
        for (int i = 0; i < n; i++) {
            char field[32];
            snprintf(field, sizeof field, "modules[%d]", i);
            if (!pl_course_module(t, i, title))
                pl_err_field(err, field, "must be at most %d bytes", PL_COURSE_MODULE_MAX);
            else if (!title[0])
                pl_err_field(err, field, "must not be empty");
            else if (!pl_text_ok(title, false))
                pl_err_field(err, field, "must be valid UTF-8 text without control characters");
        }
    }
    return err->status == PL_OK ? PL_OK : PL_INVALID;
}

bool pl_group_member_on(const pl_group_member *m, pl_date day)
{
    return m->joined_on != PL_DATE_NONE && m->joined_on <= day &&
           (m->left_on == PL_DATE_NONE || day < m->left_on);
}

pl_status pl_session_transition(pl_session_status from, pl_session_status to, pl_err *err)
{
    bool ok = from == to || (from == PL_SESSION_SCHEDULED && to != PL_SESSION_SCHEDULED) ||
              (from == PL_SESSION_CANCELLED && to == PL_SESSION_SCHEDULED);
    if (ok)
        return PL_OK;
    pl_err_field(err, "status", "is %s: a %s session cannot become %s",
                 pl_session_status_name(from) ? pl_session_status_name(from) : "unknown",
                 pl_session_status_name(from) ? pl_session_status_name(from) : "unknown",
                 pl_session_status_name(to) ? pl_session_status_name(to) : "unknown");
    return PL_INVALID;
}
