/*
 * fhir_entities.c - Encounter (contacts), Organization (org units),
 * Practitioner / PractitionerRole (staff accounts) and Group (groups) as
 * FHIR R4 JSON, and an Encounter read back into a contact
 * (fhir_entities.h; the tables are in docs/FHIR.md).
 *
 * Reading walks the json-c tree the caller parsed with fhir_parse() (which
 * checked the bytes first) and collects every field error with its FHIR
 * path, so one answer names everything that is wrong. Writing builds the
 * resources member by member; a contact's mode maps to one class coding
 * and back through one table (modes[]), so the round trip is exact.
 */
#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "fhir/fhir.h"
#include "fhir/fhir_entities.h"

#define FHIR_UCUM_SYS      "http://unitsofmeasure.org"
#define FHIR_PARTICIPATION "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"

/* A contact mode as Encounter.class: the v3 ActCode that says the same, else peerlink's. */
static const struct {
    pl_contact_mode mode;
    const char *v3, *display;
} modes[] = {
    {PL_MODE_ONE_ON_ONE, "FLD", "field"},
    {PL_MODE_HOME_VISIT, "HH", "home health"},
    {PL_MODE_PHONE, "VR", "virtual"},
    {PL_MODE_TEXT, NULL, "text messages"},
    {PL_MODE_GROUP, NULL, "group session"},
    {PL_MODE_CLINIC_ACCOMPANIMENT, "AMB", "ambulatory"},
    {PL_MODE_NEIGHBOURHOOD_ACTIVITY, NULL, "neighbourhood activity"},
};

/* ---- reading -------------------------------------------------------------------- */

static json_object *get(json_object *o, const char *name, json_type type, const char *path,
                        pl_err *err)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, name, &v) || json_object_is_type(v, json_type_null))
        return NULL;
    if (!json_object_is_type(v, type)) {
        pl_err_field(err, path, "must be %s",
                     type == json_type_array    ? "an array"
                     : type == json_type_object ? "an object"
                     : type == json_type_string ? "a string"
                                                : "a number");
        return NULL;
    }
    return v;
}

static const char *get_str(json_object *o, const char *name, const char *path, pl_arena *a,
                           pl_err *err)
{
    json_object *v = get(o, name, json_type_string, path, err);
    return v ? pl_arena_strdup(a, json_object_get_string(v)) : NULL;
}

int fhir_key_function_bit(const char *code)
{
    int bit;
    if (!code)
        return -1;
    if (pl_key_function_parse(code, &bit) == PL_OK)
        return bit;
    if (strncmp(code, "program-", 8) == 0) {
        int n = 0;
        const char *c = code + 8;
        for (; *c >= '0' && *c <= '9' && n < 100; c++)
            n = n * 10 + (*c - '0');
        if (!*c && c > code + 8 && n >= PL_KF_PROGRAM_FIRST_BIT && n < PL_KF_MAX_BITS)
            return n;
    }
    return -1;
}

const char *fhir_key_function_code(int bit, char buf[FHIR_KF_CODE_LEN])
{
    if (bit < 0 || bit >= PL_KF_MAX_BITS)
        return NULL;
    const char *std = pl_key_function_name(bit);
    if (std)
        return std;
    snprintf(buf, FHIR_KF_CODE_LEN, "program-%d", bit);
    return buf;
}

static void read_class(json_object *o, pl_arena *a, pl_contact *c, pl_err *err)
{
    json_object *cls = get(o, "class", json_type_object, "class", err);
    if (!cls) {
        if (!err->nfields)
            pl_err_field(err, "class",
                         "is required: the contact's mode (a v3 ActCode or a code "
                         "of " FHIR_CS_CONTACT_MODE ")");
        return;
    }
    const char *sys = get_str(cls, "system", "class.system", a, err);
    const char *code = get_str(cls, "code", "class.code", a, err);
    for (size_t i = 0; sys && code && i < sizeof modes / sizeof modes[0]; i++) {
        if ((strcmp(sys, FHIR_V3_ACT_CODE) == 0 && modes[i].v3 && strcmp(code, modes[i].v3) == 0) ||
            (strcmp(sys, FHIR_CS_CONTACT_MODE) == 0 &&
             strcmp(code, pl_contact_mode_name(modes[i].mode)) == 0)) {
            c->mode = modes[i].mode;
            return;
        }
    }
    pl_err_field(err, "class",
                 "must be a v3 ActCode FLD, HH, VR or AMB, or a code of " FHIR_CS_CONTACT_MODE
                 " (one_on_one, home_visit, phone, text, group, clinic_accompaniment, "
                 "neighbourhood_activity)");
}

static void read_types(json_object *o, pl_arena *a, pl_contact *c, pl_err *err)
{
    json_object *types = get(o, "type", json_type_array, "type", err);
    for (size_t i = 0; types && i < json_object_array_length(types); i++) {
        json_object *t = json_object_array_get_idx(types, i);
        const char *tp = pl_arena_printf(a, "type[%zu]", i);
        json_object *codings =
            get(t, "coding", json_type_array, pl_arena_printf(a, "%s.coding", tp), err);
        for (size_t j = 0; codings && j < json_object_array_length(codings); j++) {
            json_object *cd = json_object_array_get_idx(codings, j);
            const char *cp = pl_arena_printf(a, "%s.coding[%zu]", tp, j);
            const char *sys = get_str(cd, "system", pl_arena_printf(a, "%s.system", cp), a, err);
            const char *code = get_str(cd, "code", pl_arena_printf(a, "%s.code", cp), a, err);
            if (!sys || strcmp(sys, FHIR_CS_KEY_FUNCTION) != 0) {
                pl_err_field(err, pl_arena_printf(a, "%s.system", cp),
                             "must be " FHIR_CS_KEY_FUNCTION " (the Four Key Functions), not %s",
                             sys ? sys : "absent");
                continue;
            }
            int bit = fhir_key_function_bit(code);
            if (bit < 0)
                pl_err_field(err, pl_arena_printf(a, "%s.code", cp),
                             "must be daily_management, social_emotional, linkage, ongoing or "
                             "program-N, not %s",
                             code ? code : "absent");
            else
                c->key_functions |= 1u << bit;
        }
    }
    if (!err->nfields && !c->key_functions)
        pl_err_field(err, "type",
                     "is required: at least one key function coded in " FHIR_CS_KEY_FUNCTION);
}

static void read_topics(json_object *o, pl_arena *a, pl_contact *c, pl_err *err)
{
    json_object *reasons = get(o, "reasonCode", json_type_array, "reasonCode", err);
    for (size_t i = 0; reasons && i < json_object_array_length(reasons); i++) {
        json_object *codings = get(json_object_array_get_idx(reasons, i), "coding", json_type_array,
                                   pl_arena_printf(a, "reasonCode[%zu].coding", i), err);
        for (size_t j = 0; codings && j < json_object_array_length(codings); j++) {
            json_object *cd = json_object_array_get_idx(codings, j);
            const char *cp = pl_arena_printf(a, "reasonCode[%zu].coding[%zu]", i, j);
            const char *sys = get_str(cd, "system", pl_arena_printf(a, "%s.system", cp), a, err);
            const char *code = get_str(cd, "code", pl_arena_printf(a, "%s.code", cp), a, err);
            pl_topic t;
            if (!sys || strcmp(sys, FHIR_CS_TOPIC) != 0)
                continue; /* other systems' reasons are not peerlink's topics */
            if (pl_topic_parse(code, &t) != PL_OK)
                pl_err_field(err, pl_arena_printf(a, "%s.code", cp), "is not a topic of %s",
                             FHIR_CS_TOPIC);
            else
                c->topics |= 1u << t;
        }
    }
}

static void read_times(json_object *o, pl_arena *a, pl_contact *c, pl_err *err)
{
    json_object *period = get(o, "period", json_type_object, "period", err);
    const char *start = get_str(period, "start", "period.start", a, err);
    const char *end = get_str(period, "end", "period.end", a, err);
    pl_time t0 = PL_TIME_NONE, t1 = PL_TIME_NONE;
    if (!start)
        pl_err_field(err, "period.start", "is required: when the contact took place");
    else if (fhir_time_parse(start, &t0) != PL_OK)
        pl_err_field(err, "period.start", "must be a dateTime such as 2024-05-01T10:00:00Z");
    if (end && fhir_time_parse(end, &t1) != PL_OK)
        pl_err_field(err, "period.end", "must be a dateTime such as 2024-05-01T10:20:00Z");
    c->occurred_at = t0;
    json_object *length = get(o, "length", json_type_object, "length", err);
    if (length) {
        json_object *v;
        const char *code = get_str(length, "code", "length.code", a, err);
        if (!json_object_object_get_ex(length, "value", &v) ||
            !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
            pl_err_field(err, "length.value", "must be a number of minutes");
        else if (code && strcmp(code, "min") != 0)
            pl_err_field(err, "length.code", "must be min (UCUM minutes)");
        else {
            double m = json_object_get_double(v);
            if (m < 1 || m > 600 || m != (double)(int)m)
                pl_err_field(err, "length.value", "must be whole minutes from 1 to 600");
            else
                c->minutes = (int)m;
        }
    } else if (t0 != PL_TIME_NONE && t1 != PL_TIME_NONE) {
        if (t1 <= t0 || t1 - t0 > 600 * 60 || (t1 - t0) % 60)
            pl_err_field(err, "period.end", "must be 1 to 600 whole minutes after period.start");
        else
            c->minutes = (int)((t1 - t0) / 60);
    } else if (start && !err->nfields) {
        pl_err_field(err, "length", "is required (or period.end): how many minutes it lasted");
    }
}

pl_status fhir_encounter_from_json(json_object *o, pl_arena *a, fhir_encounter *out, pl_err *err)
{
    memset(out, 0, sizeof *out);
    out->c.occurred_at = PL_TIME_NONE;
    out->c.follow_up_date = PL_DATE_NONE;
    json_object *rt;
    if (!json_object_object_get_ex(o, "resourceType", &rt) ||
        !json_object_is_type(rt, json_type_string) ||
        strcmp(json_object_get_string(rt), "Encounter") != 0) {
        pl_err_field(err, "resourceType", "must be Encounter");
        return PL_INVALID;
    }
    out->id = get_str(o, "id", "id", a, err);
    const char *status = get_str(o, "status", "status", a, err);
    if (status && strcmp(status, "finished") != 0)
        pl_err_field(err, "status", "must be finished: peerlink records contacts that took place");
    read_class(o, a, &out->c, err);
    read_types(o, a, &out->c, err);
    read_topics(o, a, &out->c, err);
    read_times(o, a, &out->c, err);
    json_object *subject = get(o, "subject", json_type_object, "subject", err);
    out->subject = get_str(subject, "reference", "subject.reference", a, err);
    if (!out->subject)
        pl_err_field(err, "subject", "is required: a reference to the Patient (Patient/id)");
    json_object *parts = get(o, "participant", json_type_array, "participant", err);
    for (size_t i = 0; parts && i < json_object_array_length(parts) && !out->practitioner; i++) {
        json_object *ind = get(json_object_array_get_idx(parts, i), "individual", json_type_object,
                               pl_arena_printf(a, "participant[%zu].individual", i), err);
        out->practitioner =
            get_str(ind, "reference",
                    pl_arena_printf(a, "participant[%zu].individual.reference", i), a, err);
    }
    return err->nfields ? PL_INVALID : PL_OK;
}

/* ---- writing -------------------------------------------------------------------- */

static void add_str(json_object *o, const char *name, const char *v)
{
    if (v && *v)
        json_object_object_add(o, name, json_object_new_string(v));
}

static json_object *meta(int version, pl_time updated)
{
    json_object *m = json_object_new_object();
    char v[24];
    snprintf(v, sizeof v, "%d", version > 0 ? version : 1);
    json_object_object_add(m, "versionId", json_object_new_string(v));
    if (updated != PL_TIME_NONE) {
        char t[PL_TIME_STRLEN];
        pl_time_format(updated, t);
        json_object_object_add(m, "lastUpdated", json_object_new_string(t));
    }
    return m;
}

static json_object *coding(const char *system, const char *code, const char *display)
{
    json_object *c = json_object_new_object();
    add_str(c, "system", system);
    add_str(c, "code", code);
    add_str(c, "display", display);
    return c;
}

/* A CodeableConcept of one coding. */
static json_object *concept(const char *system, const char *code, const char *display)
{
    json_object *cc = json_object_new_object(), *arr = json_object_new_array();
    json_object_array_add(arr, coding(system, code, display));
    json_object_object_add(cc, "coding", arr);
    return cc;
}

static json_object *ref(const char *type, pl_id id, const char *display)
{
    json_object *r = json_object_new_object();
    if (id > 0) {
        char s[64];
        snprintf(s, sizeof s, "%s/%lld", type, (long long)id);
        json_object_object_add(r, "reference", json_object_new_string(s));
    }
    add_str(r, "display", display);
    return r;
}

static json_object *resource(const char *type, pl_id id, int version, pl_time updated)
{
    json_object *o = json_object_new_object();
    char s[24];
    snprintf(s, sizeof s, "%lld", (long long)id);
    json_object_object_add(o, "resourceType", json_object_new_string(type));
    json_object_object_add(o, "id", json_object_new_string(s));
    json_object_object_add(o, "meta", meta(version, updated));
    return o;
}

static void add_time(json_object *o, const char *name, pl_time t)
{
    char s[PL_TIME_STRLEN];
    pl_time_format(t, s);
    json_object_object_add(o, name, json_object_new_string(s));
}

/* What a contact's and a session's Encounter share, after status and before subject. */
typedef struct encounter_core {
    pl_contact_mode mode;
    pl_time at;
    int minutes;
    uint32_t key_functions, topics;
    pl_id program_id;
} encounter_core;

static void add_class_and_type(json_object *o, const encounter_core *e)
{
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        if (modes[i].mode != e->mode)
            continue;
        json_object_object_add(
            o, "class",
            modes[i].v3
                ? coding(FHIR_V3_ACT_CODE, modes[i].v3, modes[i].display)
                : coding(FHIR_CS_CONTACT_MODE, pl_contact_mode_name(e->mode), modes[i].display));
    }
    json_object *types = json_object_new_array();
    char buf[FHIR_KF_CODE_LEN];
    for (int bit = 0; bit < PL_KF_MAX_BITS; bit++)
        if (e->key_functions & (1u << bit))
            json_object_array_add(
                types, concept(FHIR_CS_KEY_FUNCTION, fhir_key_function_code(bit, buf), NULL));
    if (json_object_array_length(types))
        json_object_object_add(o, "type", types);
    else
        json_object_put(types);
}

static void add_rest(json_object *o, const encounter_core *e, const fhir_encounter_view *v)
{
    json_object *part = json_object_new_object(), *ptype = json_object_new_array(),
                *parts = json_object_new_array();
    json_object_array_add(ptype, concept(FHIR_PARTICIPATION, "PPRF", "primary performer"));
    json_object_object_add(part, "type", ptype);
    json_object_object_add(
        part, "individual",
        ref("Practitioner", v->practitioner, v->leader_name ? v->leader_name : "peer leader"));
    json_object_array_add(parts, part);
    json_object_object_add(o, "participant", parts);
    json_object *period = json_object_new_object();
    add_time(period, "start", e->at);
    add_time(period, "end", e->at + (pl_time)e->minutes * 60);
    json_object_object_add(o, "period", period);
    json_object *len = json_object_new_object();
    json_object_object_add(len, "value", json_object_new_int(e->minutes));
    json_object_object_add(len, "unit", json_object_new_string("min"));
    json_object_object_add(len, "system", json_object_new_string(FHIR_UCUM_SYS));
    json_object_object_add(len, "code", json_object_new_string("min"));
    json_object_object_add(o, "length", len);
    if (e->topics) {
        json_object *reasons = json_object_new_array();
        for (int t = 0; t < PL_TOPIC__COUNT; t++)
            if (e->topics & (1u << t))
                json_object_array_add(reasons,
                                      concept(FHIR_CS_TOPIC, pl_topic_name((pl_topic)t), NULL));
        json_object_object_add(o, "reasonCode", reasons);
    }
    json_object_object_add(o, "serviceProvider", ref("Organization", e->program_id, NULL));
}

json_object *fhir_encounter_json(const pl_contact *c, const fhir_encounter_view *v)
{
    encounter_core e = {c->mode,          c->occurred_at, c->minutes,
                        c->key_functions, c->topics,      c->program_id};
    json_object *o = resource("Encounter", c->id, v->version, v->updated);
    json_object_object_add(o, "status", json_object_new_string("finished"));
    add_class_and_type(o, &e);
    json_object_object_add(o, "subject", ref("Patient", c->participant_id, NULL));
    add_rest(o, &e, v);
    if (c->group_session_id > 0) {
        char s[64];
        snprintf(s, sizeof s, "Encounter/" FHIR_SESSION_PREFIX "%lld",
                 (long long)c->group_session_id);
        json_object *p = json_object_new_object();
        json_object_object_add(p, "reference", json_object_new_string(s));
        json_object_object_add(o, "partOf", p);
    }
    return o;
}

json_object *fhir_session_encounter_json(const pl_group_session *s, const fhir_encounter_view *v)
{
    static const char *const status[] = {"planned", "finished", "cancelled"};
    encounter_core e = {PL_MODE_GROUP,    s->scheduled_at, s->minutes,
                        s->key_functions, s->topics,       s->program_id};
    json_object *o = resource("Encounter", s->id, v->version, v->updated);
    char id[40];
    snprintf(id, sizeof id, FHIR_SESSION_PREFIX "%lld", (long long)s->id);
    json_object_object_add(o, "id", json_object_new_string(id));
    json_object_object_add(
        o, "status",
        json_object_new_string(s->status < PL_SESSION__COUNT ? status[s->status] : "unknown"));
    add_class_and_type(o, &e);
    json_object_object_add(o, "subject", ref("Group", s->group_id, NULL));
    add_rest(o, &e, v);
    if (s->location && *s->location) {
        json_object *locs = json_object_new_array(), *l = json_object_new_object();
        json_object_object_add(l, "location", ref("Location", 0, s->location));
        json_object_array_add(locs, l);
        json_object_object_add(o, "location", locs);
    }
    return o;
}

json_object *fhir_organization_json(const pl_org_unit *u, pl_time updated)
{
    json_object *o = resource("Organization", u->id, u->version, updated);
    if (u->code && *u->code) {
        json_object *ids = json_object_new_array(), *id = json_object_new_object();
        add_str(id, "system", FHIR_SYS_ORG_CODE);
        add_str(id, "value", u->code);
        json_object_array_add(ids, id);
        json_object_object_add(o, "identifier", ids);
    }
    json_object_object_add(o, "active", json_object_new_boolean(1));
    json_object *types = json_object_new_array();
    json_object_array_add(types, concept(FHIR_CS_ORG_KIND, pl_org_kind_name(u->kind), NULL));
    json_object_object_add(o, "type", types);
    add_str(o, "name", u->name);
    if (u->parent_id > 0)
        json_object_object_add(o, "partOf", ref("Organization", u->parent_id, NULL));
    return o;
}

json_object *fhir_practitioner_json(const pl_staff_account *a)
{
    json_object *o = resource("Practitioner", a->id, a->version, a->created_at);
    json_object *ids = json_object_new_array(), *id = json_object_new_object();
    add_str(id, "system", FHIR_SYS_STAFF);
    add_str(id, "value", a->username);
    json_object_array_add(ids, id);
    json_object_object_add(o, "identifier", ids);
    json_object_object_add(o, "active", json_object_new_boolean(!a->disabled));
    json_object *names = json_object_new_array(), *n = json_object_new_object();
    add_str(n, "text", a->display_name && *a->display_name ? a->display_name : a->username);
    json_object_array_add(names, n);
    json_object_object_add(o, "name", names);
    if (a->language && *a->language) {
        json_object *comm = json_object_new_array();
        json_object_array_add(comm, concept("urn:ietf:bcp:47", a->language, NULL));
        json_object_object_add(o, "communication", comm);
    }
    return o;
}

json_object *fhir_practitioner_role_json(const pl_staff_account *a)
{
    json_object *o = resource("PractitionerRole", a->id, a->version, a->created_at);
    json_object_object_add(o, "active", json_object_new_boolean(!a->disabled));
    json_object_object_add(o, "practitioner", ref("Practitioner", a->id, NULL));
    if (a->scope_unit_id > 0)
        json_object_object_add(o, "organization", ref("Organization", a->scope_unit_id, NULL));
    json_object *codes = json_object_new_array();
    json_object_array_add(codes, concept(FHIR_CS_STAFF_ROLE, pl_role_name(a->role), NULL));
    json_object_object_add(o, "code", codes);
    return o;
}

json_object *fhir_group_json(const pl_group *g, const pl_group_member *m, int n, pl_time updated,
                             pl_id leader_account)
{
    json_object *o = resource("Group", g->id, g->version, updated);
    if (leader_account > 0) {
        json_object *exts = json_object_new_array(), *ext = json_object_new_object();
        json_object_object_add(ext, "url", json_object_new_string(FHIR_EXT_GROUP_LEADER));
        json_object_object_add(ext, "valueReference", ref("Practitioner", leader_account, NULL));
        json_object_array_add(exts, ext);
        json_object_object_add(o, "extension", exts);
    }
    json_object_object_add(o, "active", json_object_new_boolean(g->active));
    json_object_object_add(o, "type", json_object_new_string("person"));
    json_object_object_add(o, "actual", json_object_new_boolean(1));
    json_object_object_add(o, "code",
                           concept(FHIR_CS_GROUP_KIND, pl_group_kind_name(g->kind), NULL));
    add_str(o, "name", g->name);
    json_object_object_add(o, "quantity", json_object_new_int(n));
    json_object_object_add(o, "managingEntity", ref("Organization", g->unit_id, NULL));
    if (n > 0) {
        json_object *members = json_object_new_array();
        for (int i = 0; i < n; i++) {
            json_object *e = json_object_new_object(), *period = json_object_new_object();
            json_object_object_add(e, "entity", ref("Patient", m[i].participant_id, NULL));
            char d[PL_DATE_STRLEN];
            pl_date_format(m[i].joined_on, d);
            json_object_object_add(period, "start", json_object_new_string(d));
            if (m[i].left_on != PL_DATE_NONE) {
                pl_date_format(m[i].left_on, d);
                json_object_object_add(period, "end", json_object_new_string(d));
            }
            json_object_object_add(e, "period", period);
            json_object_object_add(e, "inactive",
                                   json_object_new_boolean(m[i].left_on != PL_DATE_NONE));
            json_object_array_add(members, e);
        }
        json_object_object_add(o, "member", members);
    }
    return o;
}

/* ---- reading Organization, Practitioner, PractitionerRole, Group ------------------- */

static bool resource_type(json_object *o, const char *type, pl_err *err)
{
    json_object *rt;
    if (json_object_object_get_ex(o, "resourceType", &rt) &&
        json_object_is_type(rt, json_type_string) && strcmp(json_object_get_string(rt), type) == 0)
        return true;
    pl_err_field(err, "resourceType", "must be %s", type);
    return false;
}

/* A boolean member; absent when unset. */
static bool get_bool(json_object *o, const char *name, bool absent, pl_err *err)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, name, &v) || json_object_is_type(v, json_type_null))
        return absent;
    if (!json_object_is_type(v, json_type_boolean)) {
        pl_err_field(err, name, "must be true or false");
        return absent;
    }
    return json_object_get_boolean(v);
}

/* "Type/N" (N a positive id) as N; 0 when not of that form. */
static pl_id parse_ref(const char *r, const char *type)
{
    size_t n = strlen(type);
    if (!r || strncmp(r, type, n) != 0 || r[n] != '/')
        return 0;
    long long v = 0;
    const char *c = r + n + 1;
    for (; *c >= '0' && *c <= '9' && v < 1000000000000LL; c++)
        v = v * 10 + (*c - '0');
    return *c || c == r + n + 1 ? 0 : (pl_id)v;
}

/* member path.reference as "Type/N": N; 0 when absent; a field error when malformed. */
static pl_id get_ref(json_object *o, const char *name, const char *path, const char *type,
                     pl_arena *a, pl_err *err)
{
    json_object *r = get(o, name, json_type_object, path, err);
    const char *rp = pl_arena_printf(a, "%s.reference", path);
    const char *s = get_str(r, "reference", rp, a, err);
    if (!s)
        return 0;
    pl_id id = parse_ref(s, type);
    if (!id)
        pl_err_field(err, rp, "must be %s/id, not %s", type, s);
    return id;
}

/* The code of the first coding of `system` in CodeableConcept cc (at path); NULL if none. */
static const char *concept_code(json_object *cc, const char *path, const char *system, pl_arena *a,
                                pl_err *err)
{
    json_object *codings =
        get(cc, "coding", json_type_array, pl_arena_printf(a, "%s.coding", path), err);
    for (size_t i = 0; codings && i < json_object_array_length(codings); i++) {
        json_object *cd = json_object_array_get_idx(codings, i);
        const char *cp = pl_arena_printf(a, "%s.coding[%zu]", path, i);
        const char *sys = get_str(cd, "system", pl_arena_printf(a, "%s.system", cp), a, err);
        if (!sys || strcmp(sys, system) != 0)
            continue;
        const char *code = get_str(cd, "code", pl_arena_printf(a, "%s.code", cp), a, err);
        if (!code)
            pl_err_field(err, pl_arena_printf(a, "%s.code", cp), "is required");
        return code;
    }
    return NULL;
}

/* The value of the identifier of `system` (at most one); NULL when none. */
static const char *identifier_value(json_object *o, const char *system, pl_arena *a, pl_err *err)
{
    json_object *ids = get(o, "identifier", json_type_array, "identifier", err);
    const char *found = NULL;
    for (size_t i = 0; ids && i < json_object_array_length(ids); i++) {
        json_object *id = json_object_array_get_idx(ids, i);
        const char *ip = pl_arena_printf(a, "identifier[%zu]", i);
        const char *sys = get_str(id, "system", pl_arena_printf(a, "%s.system", ip), a, err);
        if (!sys || strcmp(sys, system) != 0)
            continue;
        const char *v = get_str(id, "value", pl_arena_printf(a, "%s.value", ip), a, err);
        if (!v)
            pl_err_field(err, pl_arena_printf(a, "%s.value", ip), "is required");
        else if (found)
            pl_err_field(err, ip, "repeats the %s identifier: give one", system);
        else
            found = v;
    }
    return found;
}

pl_status fhir_organization_from_json(json_object *o, pl_arena *a, fhir_organization *out,
                                      pl_err *err)
{
    memset(out, 0, sizeof *out);
    if (!resource_type(o, "Organization", err))
        return PL_INVALID;
    out->id = get_str(o, "id", "id", a, err);
    if (!get_bool(o, "active", true, err))
        pl_err_field(err, "active",
                     "must be true: peerlink keeps no inactive org units (their records stay "
                     "with them)");
    out->u.name = get_str(o, "name", "name", a, err);
    if (!out->u.name || !*out->u.name)
        pl_err_field(err, "name", "is required");
    out->u.code = identifier_value(o, FHIR_SYS_ORG_CODE, a, err);
    json_object *types = get(o, "type", json_type_array, "type", err);
    const char *kind = NULL;
    for (size_t i = 0; types && !kind && i < json_object_array_length(types); i++)
        kind = concept_code(json_object_array_get_idx(types, i), pl_arena_printf(a, "type[%zu]", i),
                            FHIR_CS_ORG_KIND, a, err);
    if (!kind)
        pl_err_field(err, "type", "is required: the unit's kind as a coding of " FHIR_CS_ORG_KIND);
    else if (pl_org_kind_parse(kind, &out->u.kind) != PL_OK)
        pl_err_field(err, "type",
                     "must be a code of " FHIR_CS_ORG_KIND
                     " (site, district, community, chc, residential_committee, practice, "
                     "hospital, ngo), not %s",
                     kind);
    out->parent = get_ref(o, "partOf", "partOf", "Organization", a, err);
    return err->nfields ? PL_INVALID : PL_OK;
}

pl_status fhir_practitioner_from_json(json_object *o, pl_arena *a, fhir_practitioner *out,
                                      pl_err *err)
{
    memset(out, 0, sizeof *out);
    if (!resource_type(o, "Practitioner", err))
        return PL_INVALID;
    out->id = get_str(o, "id", "id", a, err);
    out->active = get_bool(o, "active", true, err);
    out->username = identifier_value(o, FHIR_SYS_STAFF, a, err);
    json_object *names = get(o, "name", json_type_array, "name", err);
    json_object *n =
        names && json_object_array_length(names) ? json_object_array_get_idx(names, 0) : NULL;
    out->display_name = get_str(n, "text", "name[0].text", a, err);
    if (n && !out->display_name) {
        json_object *given = get(n, "given", json_type_array, "name[0].given", err);
        const char *family = get_str(n, "family", "name[0].family", a, err);
        const char *g0 = NULL;
        if (given && json_object_array_length(given)) {
            json_object *g = json_object_array_get_idx(given, 0);
            if (json_object_is_type(g, json_type_string))
                g0 = json_object_get_string(g);
            else
                pl_err_field(err, "name[0].given[0]", "must be a string");
        }
        if (g0 || family)
            out->display_name = pl_arena_printf(a, "%s%s%s", g0 ? g0 : "", g0 && family ? " " : "",
                                                family ? family : "");
    }
    json_object *comm = get(o, "communication", json_type_array, "communication", err);
    if (comm && json_object_array_length(comm)) {
        out->language = concept_code(json_object_array_get_idx(comm, 0), "communication[0]",
                                     "urn:ietf:bcp:47", a, err);
        if (!out->language)
            pl_err_field(err, "communication[0]", "must be a coding of urn:ietf:bcp:47");
    }
    return err->nfields ? PL_INVALID : PL_OK;
}

pl_status fhir_practitioner_role_from_json(json_object *o, pl_arena *a, fhir_practitioner_role *out,
                                           pl_err *err)
{
    memset(out, 0, sizeof *out);
    out->role = PL_ROLE__COUNT;
    if (!resource_type(o, "PractitionerRole", err))
        return PL_INVALID;
    out->id = get_str(o, "id", "id", a, err);
    out->active = get_bool(o, "active", true, err);
    json_object *given;
    out->active_given = json_object_object_get_ex(o, "active", &given) &&
                        !json_object_is_type(given, json_type_null);
    out->practitioner = get_ref(o, "practitioner", "practitioner", "Practitioner", a, err);
    if (!out->practitioner && !err->nfields)
        pl_err_field(err, "practitioner", "is required: Practitioner/id of the staff account");
    out->organization = get_ref(o, "organization", "organization", "Organization", a, err);
    json_object *codes = get(o, "code", json_type_array, "code", err);
    const char *code = NULL;
    for (size_t i = 0; codes && !code && i < json_object_array_length(codes); i++)
        code = concept_code(json_object_array_get_idx(codes, i), pl_arena_printf(a, "code[%zu]", i),
                            FHIR_CS_STAFF_ROLE, a, err);
    if (!code || pl_role_parse(code, &out->role) != PL_OK)
        pl_err_field(err, "code",
                     "must hold a coding of " FHIR_CS_STAFF_ROLE
                     " (admin, program_manager, clinician, peer_leader, navigator, evaluator)");
    return err->nfields ? PL_INVALID : PL_OK;
}

/* A date or dateTime as its day; PL_DATE_NONE (and a field error) when neither. */
static pl_date get_day(json_object *o, const char *name, const char *path, pl_arena *a, pl_err *err)
{
    const char *s = get_str(o, name, path, a, err);
    pl_date d = PL_DATE_NONE;
    pl_time t;
    if (!s)
        return PL_DATE_NONE;
    if (strlen(s) == 10 && pl_date_parse(s, &d) == PL_OK)
        return d;
    if (strlen(s) > 10 && fhir_time_parse(s, &t) == PL_OK)
        return pl_time_date(t);
    pl_err_field(err, path, "must be a date such as 2024-05-01");
    return PL_DATE_NONE;
}

static void read_members(json_object *o, pl_arena *a, fhir_group *out, pl_err *err)
{
    json_object *members = get(o, "member", json_type_array, "member", err);
    size_t n = members ? json_object_array_length(members) : 0;
    if (n > FHIR_GROUP_MEMBERS_MAX) {
        pl_err_field(err, "member", "may list at most %d memberships", FHIR_GROUP_MEMBERS_MAX);
        return;
    }
    out->members = n ? pl_arena_alloc(a, sizeof *out->members * n) : NULL;
    if (n && !out->members) {
        pl_err_set(err, PL_NOMEM, "the Group's member list does not fit in memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(members, i);
        const char *mp = pl_arena_printf(a, "member[%zu]", i);
        fhir_group_entry *e = &out->members[out->nmembers];
        json_object *period =
            get(m, "period", json_type_object, pl_arena_printf(a, "%s.period", mp), err);
        e->participant =
            get_ref(m, "entity", pl_arena_printf(a, "%s.entity", mp), "Patient", a, err);
        if (!e->participant) {
            if (json_object_is_type(m, json_type_object) && !err->nfields)
                pl_err_field(err, pl_arena_printf(a, "%s.entity", mp),
                             "is required: Patient/id of the participant");
            else if (!json_object_is_type(m, json_type_object))
                pl_err_field(err, mp, "must be an object");
            continue;
        }
        e->start = get_day(period, "start", pl_arena_printf(a, "%s.period.start", mp), a, err);
        e->end = get_day(period, "end", pl_arena_printf(a, "%s.period.end", mp), a, err);
        bool inactive = false;
        json_object *v;
        if (json_object_object_get_ex(m, "inactive", &v) &&
            !json_object_is_type(v, json_type_null)) {
            if (json_object_is_type(v, json_type_boolean))
                inactive = json_object_get_boolean(v);
            else
                pl_err_field(err, pl_arena_printf(a, "%s.inactive", mp), "must be true or false");
        }
        if (e->start != PL_DATE_NONE && e->end != PL_DATE_NONE && e->end < e->start)
            pl_err_field(err, pl_arena_printf(a, "%s.period.end", mp),
                         "must not be before period.start");
        e->current = !inactive && e->end == PL_DATE_NONE;
        for (int j = 0; e->current && j < out->nmembers; j++)
            if (out->members[j].current && out->members[j].participant == e->participant)
                pl_err_field(err, pl_arena_printf(a, "%s.entity", mp),
                             "Patient/%lld is listed as a current member twice",
                             (long long)e->participant);
        out->nmembers++;
    }
}

pl_status fhir_group_from_json(json_object *o, pl_arena *a, fhir_group *out, pl_err *err)
{
    memset(out, 0, sizeof *out);
    if (!resource_type(o, "Group", err))
        return PL_INVALID;
    out->id = get_str(o, "id", "id", a, err);
    out->g.active = get_bool(o, "active", true, err);
    const char *type = get_str(o, "type", "type", a, err);
    if (type && strcmp(type, "person") != 0)
        pl_err_field(err, "type", "must be person: peerlink's groups are of participants");
    if (!get_bool(o, "actual", true, err))
        pl_err_field(err, "actual", "must be true: a peerlink group lists its members");
    out->g.name = get_str(o, "name", "name", a, err);
    if (!out->g.name || !*out->g.name)
        pl_err_field(err, "name", "is required");
    json_object *code = get(o, "code", json_type_object, "code", err);
    const char *kind = concept_code(code, "code", FHIR_CS_GROUP_KIND, a, err);
    if (!kind || pl_group_kind_parse(kind, &out->g.kind) != PL_OK)
        pl_err_field(err, "code",
                     "must hold a coding of " FHIR_CS_GROUP_KIND
                     " (csmg, dsme_class, neighbourhood_club, peer_group)");
    out->unit = get_ref(o, "managingEntity", "managingEntity", "Organization", a, err);
    json_object *exts = get(o, "extension", json_type_array, "extension", err);
    for (size_t i = 0; exts && i < json_object_array_length(exts); i++) {
        json_object *x = json_object_array_get_idx(exts, i);
        const char *xp = pl_arena_printf(a, "extension[%zu]", i);
        const char *url = get_str(x, "url", pl_arena_printf(a, "%s.url", xp), a, err);
        if (url && strcmp(url, FHIR_EXT_GROUP_LEADER) == 0)
            out->leader = get_ref(x, "valueReference", pl_arena_printf(a, "%s.valueReference", xp),
                                  "Practitioner", a, err);
    }
    read_members(o, a, out, err);
    return err->nfields || err->status != PL_OK ? (err->status == PL_NOMEM ? PL_NOMEM : PL_INVALID)
                                                : PL_OK;
}
