/*
 * domain.c - enum spellings and the validation rules of each record.
 *
 * Each enum's spellings sit in one table; the *_name and *_parse functions
 * are generated from it, so a new value is one line. Validation functions
 * check every rule and report every failure, each message naming the rule
 * in words a peer leader or integrator can act on.
 */
#include "domain.h"

#include <stdio.h>
#include <string.h>

#include "time.h"

/* the tables end with NULL, which is not a value */
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

const char *const pl_org_kind_names[] = {
    "network",  "program",  "site", "district", "community", "chc", "residential_committee",
    "practice", "hospital", "ngo",  NULL};
const char *const pl_arm_names[] = {"none", "intervention", "control", NULL};
const char *const pl_sex_names[] = {"unknown", "female", "male", "other", NULL};
const char *const pl_enrol_status_names[] = {"enrolled", "withdrawn", "completed",
                                             "deceased", "lost",      NULL};
const char *const pl_treatment_names[] = {"unknown",          "lifestyle",        "oral", "insulin",
                                          "oral_and_insulin", "other_injectable", NULL};
const char *const pl_risk_tier_names[] = {"standard", "high_need", NULL};
const char *const pl_leader_kind_names[] = {"peer_leader", "promotor", "community_health_worker",
                                            "navigator", NULL};
const char *const pl_contact_mode_names[] = {"one_on_one",
                                             "home_visit",
                                             "phone",
                                             "text",
                                             "group",
                                             "clinic_accompaniment",
                                             "neighbourhood_activity",
                                             NULL};
const char *const pl_source_names[] = {"emr", "lab", "point_of_care", "self", "peer", NULL};
const char *const pl_role_names[] = {"admin",     "program_manager", "clinician", "peer_leader",
                                     "navigator", "evaluator",       NULL};
const char *const pl_topic_names[] = {
    "healthy_eating",      "being_active",   "monitoring",     "taking_medication",
    "problem_solving",     "healthy_coping", "reducing_risks", "clinic_visits",
    "community_resources", "family",         "other",          NULL};
const char *const pl_key_function_names[] = {"daily_management", "social_emotional", "linkage",
                                             "ongoing", NULL};

static int enum_lookup(const char *const *names, int n, const char *s)
{
    if (!s)
        return -1;
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

/* NOLINTBEGIN(bugprone-macro-parentheses): `type` is a type name, which cannot be parenthesised */
#define ENUM_FUNCS(prefix, type, table)                                                            \
    const char *prefix##_name(type v)                                                              \
    {                                                                                              \
        return (int)v >= 0 && (int)v < COUNT(table) ? table[v] : NULL;                             \
    }                                                                                              \
    pl_status prefix##_parse(const char *s, type *out)                                             \
    {                                                                                              \
        int i = enum_lookup(table, COUNT(table), s);                                               \
        if (i < 0)                                                                                 \
            return PL_INVALID;                                                                     \
        *out = (type)i;                                                                            \
        return PL_OK;                                                                              \
    }

ENUM_FUNCS(pl_org_kind, pl_org_kind, pl_org_kind_names)
ENUM_FUNCS(pl_arm, pl_arm, pl_arm_names)
ENUM_FUNCS(pl_sex, pl_sex, pl_sex_names)
ENUM_FUNCS(pl_enrol_status, pl_enrol_status, pl_enrol_status_names)
ENUM_FUNCS(pl_treatment, pl_treatment, pl_treatment_names)
ENUM_FUNCS(pl_risk_tier, pl_risk_tier, pl_risk_tier_names)
ENUM_FUNCS(pl_leader_kind, pl_leader_kind, pl_leader_kind_names)
ENUM_FUNCS(pl_contact_mode, pl_contact_mode, pl_contact_mode_names)
ENUM_FUNCS(pl_source, pl_source, pl_source_names)
ENUM_FUNCS(pl_role, pl_role, pl_role_names)
ENUM_FUNCS(pl_topic, pl_topic, pl_topic_names)
ENUM_FUNCS(pl_key_function, int, pl_key_function_names)
/* NOLINTEND(bugprone-macro-parentheses) */

/* ---- shared checks ------------------------------------------------------ */

bool pl_text_ok(const char *s, bool multiline)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        int n;
        if (c < 0x80) {
            if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t' || c == '\r'))) || c == 0x7f)
                return false;
            p++;
            continue;
        }
        unsigned cp;
        if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        for (int i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        /* overlong forms, surrogates and values past U+10FFFF */
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return false;
        /* C1 controls (U+0080-U+009F, e.g. NEL) are control characters too */
        if (cp <= 0x9F)
            return false;
        p += n + 1;
    }
    return true;
}

/* A required or optional single-line text of at most max bytes. */
static void check_text(pl_err *err, const char *field, const char *s, size_t max, bool required)
{
    if (!s || !*s) {
        if (required)
            pl_err_field(err, field, "is required");
        return;
    }
    if (strlen(s) > max)
        pl_err_field(err, field, "must be at most %zu bytes", max);
    else if (!pl_text_ok(s, false))
        pl_err_field(err, field, "must be valid UTF-8 text without control characters");
}

/* BCP 47 tags peerlink ships catalogs for; others are refused until translated. */
const char *const pl_language_names[] = {"en", "es", "zh-CN", NULL};

bool pl_language_ok(const char *s)
{
    return enum_lookup(pl_language_names, COUNT(pl_language_names), s) >= 0;
}

static void check_language(pl_err *err, const char *field, const char *s, bool required)
{
    if (!s || !*s) {
        if (required)
            pl_err_field(err, field, "is required");
        return;
    }
    if (!pl_language_ok(s))
        pl_err_field(err, field, "must be one of en, es, zh-CN");
}

static void check_date_range(pl_err *err, const char *field, pl_date d, pl_date today,
                             bool required)
{
    if (d == PL_DATE_NONE) {
        if (required)
            pl_err_field(err, field, "is required");
        return;
    }
    if (d < pl_date_from_ymd(1900, 1, 1))
        pl_err_field(err, field, "must not be before 1900-01-01");
    else if (d > today)
        pl_err_field(err, field, "must not be in the future");
}

/* ---- records ------------------------------------------------------------ */

pl_status org_unit_validate(const pl_org_unit *u, const pl_org_unit *parent, pl_err *err)
{
    if (!pl_org_kind_name(u->kind))
        pl_err_field(err, "kind", "must be a known org-unit kind");
    check_text(err, "name", u->name, 200, true);
    check_text(err, "code", u->code, 40, false);
    if (!pl_arm_name(u->arm))
        pl_err_field(err, "arm", "must be none, intervention or control");
    else if (u->arm != PL_ARM_NONE && u->kind != PL_ORG_COMMUNITY)
        pl_err_field(err, "arm", "may be set on communities only");
    bool root = u->kind == PL_ORG_NETWORK || u->kind == PL_ORG_PROGRAM;
    if (!root && !parent)
        pl_err_field(err, "parent_id", "is required for a %s",
                     pl_org_kind_name(u->kind) ? pl_org_kind_name(u->kind) : "unit");
    if (parent) {
        if (u->kind == PL_ORG_NETWORK)
            pl_err_field(err, "parent_id", "a network is always a root");
        else if (u->kind == PL_ORG_PROGRAM && parent->kind != PL_ORG_NETWORK)
            pl_err_field(err, "parent_id", "a program's parent must be a network");
        else if (u->kind != PL_ORG_PROGRAM && parent->kind == PL_ORG_NETWORK)
            pl_err_field(err, "parent_id", "only programs sit directly under a network");
    }
    if (u->kind == PL_ORG_PROGRAM)
        check_language(err, "language", u->language, true);
    else if (u->language && *u->language)
        check_language(err, "language", u->language, false);
    return err->status == PL_OK ? PL_OK : PL_INVALID;
}

static void person_check(const pl_person *p, const char *prefix, pl_date today, pl_err *err)
{
    char f[64];
#define FIELD(name) (snprintf(f, sizeof f, "%s%s", prefix, name), f)
    check_text(err, FIELD("given_name"), p->given_name, 100, true);
    check_text(err, FIELD("family_name"), p->family_name, 100, false);
    if (!pl_sex_name(p->sex))
        pl_err_field(err, FIELD("sex"), "must be unknown, female, male or other");
    check_date_range(err, FIELD("birth_date"), p->birth_date, today, false);
    if (p->phone && *p->phone) {
        size_t digits = 0;
        bool ok = strlen(p->phone) <= 32;
        for (const char *c = p->phone; ok && *c; c++) {
            if (*c >= '0' && *c <= '9')
                digits++;
            else if (!strchr("+-() .", *c))
                ok = false;
        }
        if (!ok || digits < 5 || digits > 15)
            pl_err_field(err, FIELD("phone"),
                         "must be 5 to 15 digits, optionally with + - ( ) . and spaces");
    }
    if (p->address && *p->address) {
        if (strlen(p->address) > 500)
            pl_err_field(err, FIELD("address"), "must be at most 500 bytes");
        else if (!pl_text_ok(p->address, true))
            pl_err_field(err, FIELD("address"), "must be valid UTF-8 text");
    }
    check_language(err, FIELD("language"), p->language, false);
#undef FIELD
}

pl_status person_validate(const pl_person *p, pl_date today, pl_err *err)
{
    person_check(p, "", today, err);
    return err->status == PL_OK ? PL_OK : PL_INVALID;
}

pl_status participant_validate(const pl_participant *p, pl_date today, pl_err *err)
{
    person_check(&p->person, "", today, err);
    if (p->program_id <= 0)
        pl_err_field(err, "program_id", "is required");
    if (p->home_unit_id <= 0)
        pl_err_field(err, "home_unit_id", "is required");
    check_text(err, "program_ident", p->program_ident, 40, false);
    check_text(err, "mrn", p->mrn, 64, false);
    int y, m, d;
    pl_date_to_ymd(today, &y, &m, &d);
    if (p->diagnosis_year != 0 && (p->diagnosis_year < 1920 || p->diagnosis_year > y))
        pl_err_field(err, "diagnosis_year", "must be between 1920 and %d", y);
    if (p->diagnosis_year != 0 && p->person.birth_date != PL_DATE_NONE) {
        int by, bm, bd;
        pl_date_to_ymd(p->person.birth_date, &by, &bm, &bd);
        if (p->diagnosis_year < by)
            pl_err_field(err, "diagnosis_year", "must not be before the year of birth");
    }
    if (!pl_treatment_name(p->treatment))
        pl_err_field(err, "treatment", "must be a known treatment");
    check_date_range(err, "enrol_date", p->enrol_date, today, true);
    if (p->enrol_date != PL_DATE_NONE && p->person.birth_date != PL_DATE_NONE) {
        /* the 18th birthday by the calendar (18 x 365 days falls short by the
         * leap days); 29 February becomes 1 March in a common year */
        int by, bm, bd;
        pl_date_to_ymd(p->person.birth_date, &by, &bm, &bd);
        if (p->enrol_date < pl_date_from_ymd(by + 18, bm, bd))
            pl_err_field(err, "birth_date",
                         "participants must be adults (18 or older) at enrolment");
    }
    if (!pl_enrol_status_name(p->status))
        pl_err_field(err, "status", "must be enrolled, withdrawn, completed, deceased or lost");
    if (p->status != PL_ENROL_ENROLLED) {
        if (p->status_date == PL_DATE_NONE)
            pl_err_field(err, "status_date", "is required when status is not enrolled");
        if (p->status == PL_ENROL_WITHDRAWN && (!p->status_reason || !*p->status_reason))
            pl_err_field(err, "status_reason", "is required when a participant withdraws");
    }
    check_date_range(err, "status_date", p->status_date, today, false);
    if (p->status_date != PL_DATE_NONE && p->enrol_date != PL_DATE_NONE &&
        p->status_date < p->enrol_date)
        pl_err_field(err, "status_date", "must not be before enrol_date");
    if (p->status_reason && *p->status_reason)
        check_text(err, "status_reason", p->status_reason, 500, false);
    if (!p->consent)
        pl_err_field(err, "consent", "must be true: participants are enrolled only with consent");
    check_date_range(err, "consent_date", p->consent_date, today, p->consent);
    if (!pl_risk_tier_name(p->risk_tier))
        pl_err_field(err, "risk_tier", "must be standard or high_need");
    return err->status == PL_OK ? PL_OK : PL_INVALID;
}

pl_status peer_leader_validate(const pl_peer_leader *l, pl_date today, pl_err *err)
{
    person_check(&l->person, "", today, err);
    if (l->program_id <= 0)
        pl_err_field(err, "program_id", "is required");
    if (l->home_unit_id <= 0)
        pl_err_field(err, "home_unit_id", "is required");
    if (!pl_leader_kind_name(l->kind))
        pl_err_field(err, "kind",
                     "must be peer_leader, promotor, community_health_worker or navigator");
    if (!l->languages || !*l->languages) {
        pl_err_field(err, "languages", "must list at least one language");
    } else {
        char tag[16];
        const char *s = l->languages;
        bool ok = strlen(s) < 64;
        while (ok && *s) {
            size_t n = strcspn(s, ",");
            if (n == 0 || n >= sizeof tag) {
                ok = false;
                break;
            }
            memcpy(tag, s, n);
            tag[n] = '\0';
            ok = pl_language_ok(tag);
            s += n;
            if (*s == ',' && !*++s)
                ok = false;
        }
        if (!ok)
            pl_err_field(err, "languages", "must be a comma-separated list of en, es, zh-CN");
    }
    check_date_range(err, "trained_on", l->trained_on, today, false);
    if (l->training_hours < 0 || l->training_hours > 1000)
        pl_err_field(err, "training_hours", "must be between 0 and 1000");
    return err->status == PL_OK ? PL_OK : PL_INVALID;
}

pl_status contact_validate(const pl_contact *c, uint32_t program_kf_mask, pl_time now, pl_err *err)
{
    if (c->participant_id <= 0)
        pl_err_field(err, "participant_id", "is required");
    if (c->peer_leader_id <= 0)
        pl_err_field(err, "peer_leader_id", "is required");
    if (c->occurred_at == PL_TIME_NONE)
        pl_err_field(err, "occurred_at", "is required");
    else if (c->occurred_at > now + 600)
        pl_err_field(err, "occurred_at", "must not be in the future");
    else if (c->occurred_at < pl_date_time(pl_date_from_ymd(2000, 1, 1)))
        pl_err_field(err, "occurred_at", "must not be before 2000-01-01");
    if (c->minutes < 1 || c->minutes > 600)
        pl_err_field(err, "minutes", "must be between 1 and 600");
    if (c->family_members < 0 || c->family_members > 20)
        pl_err_field(err, "family_members", "must be between 0 and 20");
    if (!pl_contact_mode_name(c->mode))
        pl_err_field(err, "mode", "must be a known contact mode");
    uint32_t allowed = PL_KF_STANDARD_MASK | (program_kf_mask & 0xFFF0u);
    if (c->key_functions == 0)
        pl_err_field(err, "key_functions", "must name at least one key function");
    else if (c->key_functions & ~allowed)
        pl_err_field(err, "key_functions", "contains a key function this program does not use");
    if (c->topics & ~((1u << PL_TOPIC__COUNT) - 1))
        pl_err_field(err, "topics", "contains an unknown topic");
    if (c->note && *c->note) {
        if (strlen(c->note) > PL_CONTACT_NOTE_MAX)
            pl_err_field(err, "note", "must be at most %d bytes", PL_CONTACT_NOTE_MAX);
        else if (!pl_text_ok(c->note, true))
            pl_err_field(err, "note", "must be valid UTF-8 text");
    }
    if (c->follow_up_date != PL_DATE_NONE && c->occurred_at != PL_TIME_NONE) {
        pl_date day = pl_time_date(c->occurred_at);
        if (c->follow_up_date < day)
            pl_err_field(err, "follow_up_date", "must not be before the contact");
        else if (c->follow_up_date > day + 366)
            pl_err_field(err, "follow_up_date", "must be within a year of the contact");
    }
    return err->status == PL_OK ? PL_OK : PL_INVALID;
}

pl_status staff_account_validate(const pl_staff_account *a, pl_err *err)
{
    const char *u = a->username;
    if (!u || !*u) {
        pl_err_field(err, "username", "is required");
    } else {
        size_t n = strlen(u);
        bool ok = n >= 3 && n <= 64;
        for (const char *c = u; ok && *c; c++)
            ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || strchr("._-@", *c);
        if (!ok)
            pl_err_field(err, "username",
                         "must be 3-64 characters of a-z, 0-9, '.', '_', '-' or '@'");
    }
    check_text(err, "display_name", a->display_name, 200, false);
    if (!pl_role_name(a->role))
        pl_err_field(err, "role",
                     "must be admin, program_manager, clinician, peer_leader, navigator or "
                     "evaluator");
    else if (a->role != PL_ROLE_ADMIN && a->scope_unit_id <= 0)
        pl_err_field(err, "scope_unit_id", "is required for every role but admin");
    check_language(err, "language", a->language, false);
    return err->status == PL_OK ? PL_OK : PL_INVALID;
}

pl_status password_validate(const char *password, pl_err *err)
{
    size_t bytes = password ? strlen(password) : 0, n = 0;
    for (size_t i = 0; i < bytes; i++)
        n += ((unsigned char)password[i] & 0xC0) != 0x80; /* count characters, not bytes */
    if (bytes > 256)
        pl_err_field(err, "password", "must be at most 256 bytes");
    else if (n < 10)
        pl_err_field(err, "password", "must be at least 10 characters");
    return err->status == PL_OK ? PL_OK : PL_INVALID;
}
