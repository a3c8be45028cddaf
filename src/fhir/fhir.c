/*
 * fhir.c - the FHIR R4 JSON mapping of fhir.h.
 *
 * Reading walks the json-c tree with small typed getters that record a
 * field error naming the FHIR path when a value has the wrong type, so one
 * bad resource answers every problem at once. Strings are copied into the
 * caller's arena (the tree is freed by the caller). Writing builds json-c
 * objects; a quantity's value is emitted with json_object_new_double_s so
 * that the text as entered ("7.50") is what goes out.
 *
 * Which LOINC codes become measurements, and in which units, is the table
 * of core/measure.c; the two blood-pressure panels (85354-9, 55284-4) give
 * their systolic (8480-6) and diastolic (8462-4) components.
 */
#include "fhir.h"

#include <stdio.h>
#include <string.h>

#include "core/json_check.h"
#include "core/measure.h"
#include "core/time.h"

/* ---- parsing ---------------------------------------------------------------- */

static size_t count_members(json_object *o)
{
    size_t n = 0;
    if (json_object_is_type(o, json_type_object)) {
        json_object_object_foreach(o, k, v)
        {
            (void)k;
            n += 1 + count_members(v);
        }
    } else if (json_object_is_type(o, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(o); i++)
            n += count_members(json_object_array_get_idx(o, i));
    }
    return n;
}

pl_status fhir_parse(const char *text, size_t len, json_object **out, pl_err *err)
{
    *out = NULL;
    pl_json_check chk = {.max_depth = FHIR_MAX_DEPTH};
    if (!pl_json_check_text(&chk, text, len))
        return pl_err_set(err, PL_USAGE, "the resource is not valid JSON: %s at offset %zu",
                          chk.problem, chk.offset);
    json_tokener *tok = json_tokener_new_ex(FHIR_MAX_DEPTH + 1);
    if (!tok)
        return pl_err_set(err, PL_NOMEM, "out of memory reading the resource");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *doc = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    json_tokener_free(tok);
    if (!doc || jerr != json_tokener_success || !json_object_is_type(doc, json_type_object)) {
        json_object_put(doc);
        return pl_err_set(err, PL_USAGE, "the body must be a FHIR resource: a JSON object");
    }
    if (count_members(doc) != chk.members) {
        json_object_put(doc);
        return pl_err_set(err, PL_USAGE,
                          "a key appears twice in one object; FHIR JSON forbids repeated keys");
    }
    if (!fhir_resource_type(doc)) {
        json_object_put(doc);
        return pl_err_set(err, PL_USAGE, "resourceType is required: a string such as \"Patient\"");
    }
    *out = doc;
    return PL_OK;
}

const char *fhir_resource_type(json_object *o)
{
    json_object *t;
    if (!json_object_object_get_ex(o, "resourceType", &t) ||
        !json_object_is_type(t, json_type_string))
        return NULL;
    return json_object_get_string(t);
}

/* Member `name` of o when it has type `type`; NULL when absent; a field error when mistyped. */
static json_object *member(json_object *o, const char *name, json_type type, const char *path,
                           pl_err *err)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, name, &v) || json_object_is_type(v, json_type_null))
        return NULL;
    if (!json_object_is_type(v, type)) {
        static const char *const type_names[] = {"null",      "a boolean", "a number", "a number",
                                                 "an object", "an array",  "a string"};
        pl_err_field(err, path, "must be %s", type_names[type]);
        return NULL;
    }
    return v;
}

/* A string member copied into the arena; NULL when absent or mistyped. */
static const char *str_member(json_object *o, const char *name, const char *path, pl_arena *a,
                              pl_err *err)
{
    json_object *v = member(o, name, json_type_string, path, err);
    return v ? pl_arena_strdup(a, json_object_get_string(v)) : NULL;
}

/* "base[i]rest", e.g. "identifier[2].system", in the arena. */
static const char *pathf(pl_arena *a, const char *base, int i, const char *rest)
{
    return pl_arena_printf(a, "%s[%d]%s", base, i, rest);
}

/* The identifiers of a resource (system required when a value is given). */
static void read_idents(json_object *o, pl_arena *a, fhir_ident *out, int *n, pl_err *err)
{
    *n = 0;
    json_object *arr = member(o, "identifier", json_type_array, "identifier", err);
    for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
        json_object *id = json_object_array_get_idx(arr, i);
        const char *sys =
            str_member(id, "system", pathf(a, "identifier", (int)i, ".system"), a, err);
        const char *val = str_member(id, "value", pathf(a, "identifier", (int)i, ".value"), a, err);
        if (!val || !*val)
            continue;
        if (*n == FHIR_IDENTS_MAX) {
            pl_err_field(err, "identifier", "at most %d identifiers are kept", FHIR_IDENTS_MAX);
            return;
        }
        out[*n].system = sys && *sys ? sys : "urn:peerlink:no-system";
        out[(*n)++].value = val;
    }
}

pl_status fhir_time_parse(const char *s, pl_time *out)
{
    if (!s)
        return PL_INVALID;
    if (strlen(s) == 10) {
        pl_date d;
        if (pl_date_parse(s, &d) != PL_OK)
            return PL_INVALID;
        *out = pl_date_time(d);
        return PL_OK;
    }
    return pl_time_parse(s, out);
}

/* ---- OperationOutcome and CapabilityStatement -------------------------------- */

static json_object *issue(const char *code, const char *diagnostics, const char *expression)
{
    json_object *is = json_object_new_object();
    json_object_object_add(is, "severity", json_object_new_string("error"));
    json_object_object_add(is, "code", json_object_new_string(code));
    json_object_object_add(is, "diagnostics", json_object_new_string(diagnostics));
    if (expression) {
        json_object *ex = json_object_new_array();
        json_object_array_add(ex, json_object_new_string(expression));
        json_object_object_add(is, "expression", ex);
    }
    return is;
}

json_object *fhir_outcome(const char *code, const char *diagnostics)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "resourceType", json_object_new_string("OperationOutcome"));
    json_object *issues = json_object_new_array();
    json_object_array_add(issues, issue(code, diagnostics, NULL));
    json_object_object_add(o, "issue", issues);
    return o;
}

json_object *fhir_outcome_err(const char *code, const pl_err *err)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "resourceType", json_object_new_string("OperationOutcome"));
    json_object *issues = json_object_new_array();
    if (err->nfields == 0)
        json_object_array_add(issues,
                              issue(code, err->message[0] ? err->message : "invalid", NULL));
    for (int i = 0; i < err->nfields; i++) {
        char text[512];
        snprintf(text, sizeof text, "%s %s", err->fields[i].field, err->fields[i].message);
        json_object_array_add(issues, issue(code, text, err->fields[i].field));
    }
    json_object_object_add(o, "issue", issues);
    return o;
}

static json_object *strings(const char *const *v)
{
    json_object *a = json_object_new_array();
    for (; *v; v++)
        json_object_array_add(a, json_object_new_string(*v));
    return a;
}

static json_object *search_param(const char *name, const char *type, const char *doc)
{
    json_object *p = json_object_new_object();
    json_object_object_add(p, "name", json_object_new_string(name));
    json_object_object_add(p, "type", json_object_new_string(type));
    json_object_object_add(p, "documentation", json_object_new_string(doc));
    return p;
}

static json_object *interactions(const char *const *codes)
{
    json_object *a = json_object_new_array();
    for (; *codes; codes++) {
        json_object *i = json_object_new_object();
        json_object_object_add(i, "code", json_object_new_string(*codes));
        json_object_array_add(a, i);
    }
    return a;
}

/*
 * The CapabilityStatement's resources, one row each: what the routes in
 * src/api/routes.c serve for that type. A new resource adds its row here.
 */
typedef struct cap_param {
    const char *name, *type, *doc;
} cap_param;

typedef struct cap_resource {
    const char *type;
    const char *const *interactions; /* NULL-ended */
    const char *versioning;
    const char *const *includes; /* NULL-ended; NULL: none */
    cap_param params[16];        /* ended by a NULL name */
    bool read_history;           /* vread serves earlier versions too */
} cap_resource;

#define STRS(...) ((const char *const[]){__VA_ARGS__, NULL})

static const cap_resource cap_resources[] = {
    {"Patient",
     STRS("read", "vread", "create", "update", "history-instance", "search-type"),
     "versioned-update",
     NULL,
     {{"_id", "token", "the participant id"},
      {"identifier", "token", "system|value or value"},
      {"_lastUpdated", "date", "eq ne gt lt ge le"}},
     true},
    {"Observation",
     STRS("read", "vread", "create", "update", "delete", "search-type"),
     "versioned-update",
     STRS("Observation:patient"),
     {{"_id", "token", "the measurement id, or qr-<response id>-total for a score"},
      {"patient", "reference", "Patient/id"},
      {"subject", "reference", "Patient/id"},
      {"code", "token", "system|code, comma for OR"},
      {"date", "date", "eq ne gt lt ge le; _sort=date/-date"},
      {"_lastUpdated", "date", "eq ne gt lt ge le"}},
     true},
    {"QuestionnaireResponse",
     STRS("read", "vread", "create", "search-type"),
     "versioned",
     NULL,
     {{"_id", "token", "the response id"},
      {"patient", "reference", "Patient/id"},
      {"subject", "reference", "Patient/id"},
      {"questionnaire", "reference",
       "urn:peerlink:questionnaire:<code> or http://loinc.org/q/<panel>"},
      {"authored", "date", "eq ne gt lt ge le; _sort=authored/-authored"},
      {"_lastUpdated", "date", "eq gt lt ge le"}},
     false},
    {"ServiceRequest",
     STRS("read", "vread", "create", "update", "search-type"),
     "versioned",
     NULL,
     {{"_id", "token", "the referral id"},
      {"patient", "reference", "Patient/id"},
      {"subject", "reference", "Patient/id"},
      {"status", "token", "draft active completed revoked, comma for OR"},
      {"_lastUpdated", "date", "the last status change; eq gt lt ge le"}},
     false},
    {"Task",
     STRS("read", "vread", "update", "search-type"),
     "versioned-update",
     NULL,
     {{"_id", "token", "the referral id"},
      {"patient", "reference", "Patient/id"},
      {"subject", "reference", "Patient/id"},
      {"focus", "reference", "ServiceRequest/id"},
      {"status", "token", "draft requested accepted completed rejected failed cancelled"},
      {"_lastUpdated", "date", "the last status change; eq gt lt ge le"}},
     false},
    /* contacts (src/api/fhir_entities.c); DELETE voids the contact, a read then answers 410 */
    {"Encounter",
     STRS("read", "vread", "create", "update", "delete", "search-type"),
     "versioned-update",
     STRS("Encounter:patient"),
     {{"_id", "token", "the contact id"},
      {"patient", "reference", "Patient/id"},
      {"subject", "reference", "Patient/id"},
      {"type", "token", "http://peerlink.example/fhir/CodeSystem/key-function|code, comma for OR"},
      {"date", "date", "eq ne gt lt ge le on period.start; _sort=date/-date"},
      {"part-of", "reference", "Encounter/session-N: the attendance contacts of a group session"},
      {"_lastUpdated", "date", "eq gt lt ge le"}},
     false},
    /* org units: written through the JSON API's steps (networks and programs there only) */
    {"Organization",
     STRS("read", "vread", "create", "update", "search-type"),
     "versioned-update",
     NULL,
     {{"_id", "token", "the org unit id"},
      {"name", "string", "the start of the name or of a word of it"},
      {"partof", "reference", "Organization/id of the parent unit"},
      {"_lastUpdated", "date", "eq gt lt ge le"}},
     false},
    /* staff accounts: created without a password (set through POST /api/v1/staff/{id}/password) */
    {"Practitioner",
     STRS("read", "vread", "create", "update", "search-type"),
     "versioned-update",
     NULL,
     {{"_id", "token", "the staff account id"},
      {"identifier", "token", "urn:peerlink:staff-account|username"},
      {"name", "string", "the start of the display name or of a word of it"},
      {"_lastUpdated", "date", "when the account was created"}},
     false},
    {"PractitionerRole",
     STRS("read", "vread", "create", "update", "search-type"),
     "versioned-update",
     NULL,
     {{"_id", "token", "the staff account id"},
      {"practitioner", "reference", "Practitioner/id"},
      {"_lastUpdated", "date", "when the account was created"}},
     false},
    /* groups: an update's member list becomes dated joins and ends (kept, never deleted) */
    {"Group",
     STRS("read", "vread", "create", "update", "search-type"),
     "versioned-update",
     NULL,
     {{"_id", "token", "the group id"},
      {"member", "reference", "Patient/id of a member, past or present"},
      {"_lastUpdated", "date", "eq gt lt ge le"}},
     false},
};

static json_object *cap_resource_json(const cap_resource *r)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "type", json_object_new_string(r->type));
    json_object_object_add(o, "interaction", interactions(r->interactions));
    json_object_object_add(o, "versioning", json_object_new_string(r->versioning));
    json_object_object_add(o, "readHistory", json_object_new_boolean(r->read_history));
    json_object_object_add(o, "updateCreate", json_object_new_boolean(0));
    if (r->includes)
        json_object_object_add(o, "searchInclude", strings(r->includes));
    json_object *params = json_object_new_array();
    for (const cap_param *p = r->params; p->name; p++)
        json_object_array_add(params, search_param(p->name, p->type, p->doc));
    json_object_object_add(o, "searchParam", params);
    return o;
}

/*
 * The operations, one row each: at system level (type NULL) or on a
 * resource type. A type without a row in cap_resources (Group, until it is
 * served) is listed with its operations only.
 */
typedef struct cap_operation {
    const char *type; /* NULL: system level */
    const char *name, *definition;
} cap_operation;

#define BULK_DATA "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/"

static const cap_operation cap_operations[] = {
    {NULL, "export", BULK_DATA "export"},
    {"Patient", "export", BULK_DATA "patient-export"},
    {"Group", "export", BULK_DATA "group-export"},
};

static json_object *operation_json(const cap_operation *op)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(op->name));
    json_object_object_add(o, "definition", json_object_new_string(op->definition));
    return o;
}

/* Adds each operation to rest (system) or to its type's entry of resources. */
static void add_operations(json_object *rest, json_object *resources)
{
    for (size_t i = 0; i < sizeof cap_operations / sizeof cap_operations[0]; i++) {
        const cap_operation *op = &cap_operations[i];
        json_object *owner = rest, *list = NULL;
        for (size_t k = 0; op->type && k < json_object_array_length(resources); k++) {
            json_object *r = json_object_array_get_idx(resources, k), *t;
            if (json_object_object_get_ex(r, "type", &t) &&
                strcmp(json_object_get_string(t), op->type) == 0)
                owner = r;
        }
        if (op->type && owner == rest) {
            owner = json_object_new_object();
            json_object_object_add(owner, "type", json_object_new_string(op->type));
            json_object_array_add(resources, owner);
        }
        if (!json_object_object_get_ex(owner, "operation", &list)) {
            list = json_object_new_array();
            json_object_object_add(owner, "operation", list);
        }
        json_object_array_add(list, operation_json(op));
    }
}

json_object *fhir_capability(void)
{
    static const char *const formats[] = {"application/fhir+json", "application/json", NULL};
    static const char *const system_ops[] = {"transaction", "batch", NULL};
    json_object *c = json_object_new_object();
    json_object_object_add(c, "resourceType", json_object_new_string("CapabilityStatement"));
    json_object_object_add(c, "status", json_object_new_string("active"));
    json_object_object_add(c, "date", json_object_new_string("2026-11-24"));
    json_object_object_add(c, "kind", json_object_new_string("instance"));
    json_object *sw = json_object_new_object();
    json_object_object_add(sw, "name", json_object_new_string("peerlink"));
    json_object_object_add(c, "software", sw);
    json_object_object_add(c, "fhirVersion", json_object_new_string(FHIR_VERSION));
    json_object_object_add(c, "format", strings(formats));
    json_object *rest = json_object_new_object();
    json_object_object_add(rest, "mode", json_object_new_string("server"));
    json_object_object_add(
        rest, "documentation",
        json_object_new_string("Bearer token of a peerlink account; the account's role and scope "
                               "limit what it sees. Versions: vread answers a Patient's earlier "
                               "versions (kept from the first update on) and the current version "
                               "of other records (readHistory says which)."));
    json_object *res = json_object_new_array();
    for (size_t i = 0; i < sizeof cap_resources / sizeof cap_resources[0]; i++)
        json_object_array_add(res, cap_resource_json(&cap_resources[i]));
    json_object_object_add(rest, "resource", res);
    json_object_object_add(rest, "interaction", interactions(system_ops));
    add_operations(rest, res);
    json_object *arr = json_object_new_array();
    json_object_array_add(arr, rest);
    json_object_object_add(c, "rest", arr);
    return c;
}

/* ---- Patient ------------------------------------------------------------------ */

/* Joins the strings of an array with spaces into the arena; NULL if none. */
static const char *join_strings(json_object *arr, const char *path, pl_arena *a, pl_err *err)
{
    const char *out = NULL;
    for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
        json_object *v = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(v, json_type_string)) {
            pl_err_field(err, path, "must be an array of strings");
            return NULL;
        }
        out = out ? pl_arena_printf(a, "%s %s", out, json_object_get_string(v))
                  : pl_arena_strdup(a, json_object_get_string(v));
    }
    return out;
}

static bool is_mrn(json_object *id)
{
    json_object *type, *coding;
    if (!json_object_object_get_ex(id, "type", &type) ||
        !json_object_object_get_ex(type, "coding", &coding) ||
        !json_object_is_type(coding, json_type_array))
        return false;
    for (size_t i = 0; i < json_object_array_length(coding); i++) {
        json_object *code;
        if (json_object_object_get_ex(json_object_array_get_idx(coding, i), "code", &code) &&
            json_object_is_type(code, json_type_string) &&
            strcmp(json_object_get_string(code), "MR") == 0)
            return true;
    }
    return false;
}

pl_status fhir_patient_from_json(json_object *o, pl_arena *a, fhir_patient *out, pl_err *err)
{
    memset(out, 0, sizeof *out);
    out->p.person.birth_date = PL_DATE_NONE;
    const char *type = fhir_resource_type(o);
    if (!type || strcmp(type, "Patient") != 0) {
        pl_err_field(err, "resourceType", "must be Patient");
        return PL_INVALID;
    }
    out->id = str_member(o, "id", "id", a, err);
    read_idents(o, a, out->idents, &out->nidents, err);
    json_object *ids = member(o, "identifier", json_type_array, "identifier", err);
    for (size_t i = 0; ids && i < json_object_array_length(ids); i++) {
        json_object *id = json_object_array_get_idx(ids, i);
        json_object *sys, *val;
        if (!json_object_object_get_ex(id, "value", &val) ||
            !json_object_is_type(val, json_type_string))
            continue;
        bool own = json_object_object_get_ex(id, "system", &sys) &&
                   json_object_is_type(sys, json_type_string) &&
                   strcmp(json_object_get_string(sys), FHIR_SYS_PARTICIPANT) == 0;
        if (own)
            out->p.program_ident = pl_arena_strdup(a, json_object_get_string(val));
        else if (is_mrn(id) && !out->p.mrn)
            out->p.mrn = pl_arena_strdup(a, json_object_get_string(val));
    }
    json_object *names = member(o, "name", json_type_array, "name", err);
    json_object *name = NULL;
    for (size_t i = 0; names && i < json_object_array_length(names); i++) {
        json_object *n = json_object_array_get_idx(names, i), *use;
        bool official = json_object_object_get_ex(n, "use", &use) &&
                        json_object_is_type(use, json_type_string) &&
                        strcmp(json_object_get_string(use), "official") == 0;
        if (!name || official)
            name = n;
        if (official)
            break;
    }
    if (name && !json_object_is_type(name, json_type_object)) {
        pl_err_field(err, "name", "must be an array of HumanName objects");
        name = NULL;
    }
    if (name) {
        out->p.person.family_name = str_member(name, "family", "name.family", a, err);
        out->p.person.given_name = join_strings(
            member(name, "given", json_type_array, "name.given", err), "name.given", a, err);
    }
    const char *gender = str_member(o, "gender", "gender", a, err);
    if (gender && pl_sex_parse(gender, &out->p.person.sex) != PL_OK)
        pl_err_field(err, "gender", "must be male, female, other or unknown");
    const char *birth = str_member(o, "birthDate", "birthDate", a, err);
    if (birth && pl_date_parse(birth, &out->p.person.birth_date) != PL_OK)
        pl_err_field(err, "birthDate", "must be a full date YYYY-MM-DD");
    json_object *telecom = member(o, "telecom", json_type_array, "telecom", err);
    for (size_t i = 0; telecom && i < json_object_array_length(telecom); i++) {
        json_object *t = json_object_array_get_idx(telecom, i), *sys, *val;
        if (json_object_object_get_ex(t, "system", &sys) &&
            json_object_is_type(sys, json_type_string) &&
            strcmp(json_object_get_string(sys), "phone") == 0 &&
            json_object_object_get_ex(t, "value", &val) &&
            json_object_is_type(val, json_type_string)) {
            out->p.person.phone = pl_arena_strdup(a, json_object_get_string(val));
            break;
        }
    }
    json_object *addrs = member(o, "address", json_type_array, "address", err);
    if (addrs && json_object_array_length(addrs) > 0) {
        json_object *ad = json_object_array_get_idx(addrs, 0);
        const char *text = str_member(ad, "text", "address[0].text", a, err);
        if (!text) {
            const char *line =
                join_strings(member(ad, "line", json_type_array, "address[0].line", err),
                             "address[0].line", a, err);
            const char *parts[] = {line, str_member(ad, "city", "address[0].city", a, err),
                                   str_member(ad, "state", "address[0].state", a, err),
                                   str_member(ad, "postalCode", "address[0].postalCode", a, err)};
            for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
                if (parts[i] && *parts[i])
                    text = text ? pl_arena_printf(a, "%s, %s", text, parts[i]) : parts[i];
        }
        out->p.person.address = text;
    }
    json_object *comm = member(o, "communication", json_type_array, "communication", err);
    if (comm && json_object_array_length(comm) > 0) {
        json_object *lang, *coding;
        if (json_object_object_get_ex(json_object_array_get_idx(comm, 0), "language", &lang) &&
            json_object_object_get_ex(lang, "coding", &coding) &&
            json_object_is_type(coding, json_type_array) && json_object_array_length(coding) > 0)
            out->p.person.language = str_member(json_object_array_get_idx(coding, 0), "code",
                                                "communication[0].language.coding[0].code", a, err);
        /* a regional tag peerlink has no catalog for falls back to its language ("en-US" is
           "en"); a language without a catalog is left out rather than refusing the Patient */
        const char *tag = out->p.person.language;
        if (tag && !pl_language_ok(tag)) {
            const char *dash = strchr(tag, '-');
            const char *primary = dash ? pl_arena_strndup(a, tag, (size_t)(dash - tag)) : NULL;
            out->p.person.language = primary && pl_language_ok(primary) ? primary : NULL;
        }
    }
    json_object *org =
        member(o, "managingOrganization", json_type_object, "managingOrganization", err);
    if (org)
        out->managing_org = str_member(org, "reference", "managingOrganization.reference", a, err);
    return err->nfields ? PL_INVALID : PL_OK;
}

static json_object *meta(int version, pl_time last_updated)
{
    json_object *m = json_object_new_object();
    char v[24];
    snprintf(v, sizeof v, "%d", version);
    json_object_object_add(m, "versionId", json_object_new_string(v));
    if (last_updated != PL_TIME_NONE) {
        char t[PL_TIME_STRLEN];
        pl_time_format(last_updated, t);
        json_object_object_add(m, "lastUpdated", json_object_new_string(t));
    }
    return m;
}

static json_object *ident_json(const char *system, const char *value, bool mrn)
{
    json_object *i = json_object_new_object();
    if (mrn) {
        json_object *type = json_object_new_object(), *coding = json_object_new_array(),
                    *c = json_object_new_object();
        json_object_object_add(
            c, "system", json_object_new_string("http://terminology.hl7.org/CodeSystem/v2-0203"));
        json_object_object_add(c, "code", json_object_new_string("MR"));
        json_object_array_add(coding, c);
        json_object_object_add(type, "coding", coding);
        json_object_object_add(i, "type", type);
    }
    json_object_object_add(i, "system", json_object_new_string(system));
    json_object_object_add(i, "value", json_object_new_string(value));
    return i;
}

json_object *fhir_patient_json(const pl_participant *p, const store_fhir_ident *idents, int nidents,
                               pl_time last_updated)
{
    json_object *o = json_object_new_object();
    char buf[32];
    json_object_object_add(o, "resourceType", json_object_new_string("Patient"));
    snprintf(buf, sizeof buf, "%lld", (long long)p->id);
    json_object_object_add(o, "id", json_object_new_string(buf));
    json_object_object_add(o, "meta", meta(p->version, last_updated));
    json_object *ids = json_object_new_array();
    if (p->program_ident && *p->program_ident)
        json_object_array_add(ids, ident_json(FHIR_SYS_PARTICIPANT, p->program_ident, false));
    bool mrn_listed = false;
    for (int i = 0; i < nidents; i++) {
        if (strcmp(idents[i].system, FHIR_SYS_SOURCE) == 0 ||
            strcmp(idents[i].system, FHIR_SYS_PARTICIPANT) == 0)
            continue;
        bool mrn = p->mrn && strcmp(idents[i].value, p->mrn) == 0;
        mrn_listed |= mrn;
        json_object_array_add(ids, ident_json(idents[i].system, idents[i].value, mrn));
    }
    if (p->mrn && *p->mrn && !mrn_listed)
        json_object_array_add(ids, ident_json(FHIR_SYS_MRN, p->mrn, true));
    if (json_object_array_length(ids))
        json_object_object_add(o, "identifier", ids);
    else
        json_object_put(ids);
    json_object_object_add(o, "active", json_object_new_boolean(p->status == PL_ENROL_ENROLLED));
    json_object *name = json_object_new_object();
    if (p->person.family_name && *p->person.family_name)
        json_object_object_add(name, "family", json_object_new_string(p->person.family_name));
    if (p->person.given_name && *p->person.given_name) {
        json_object *given = json_object_new_array();
        json_object_array_add(given, json_object_new_string(p->person.given_name));
        json_object_object_add(name, "given", given);
    }
    json_object *names = json_object_new_array();
    json_object_array_add(names, name);
    json_object_object_add(o, "name", names);
    if (p->person.phone && *p->person.phone) {
        json_object *tel = json_object_new_array(), *t = json_object_new_object();
        json_object_object_add(t, "system", json_object_new_string("phone"));
        json_object_object_add(t, "value", json_object_new_string(p->person.phone));
        json_object_array_add(tel, t);
        json_object_object_add(o, "telecom", tel);
    }
    json_object_object_add(o, "gender", json_object_new_string(pl_sex_name(p->person.sex)));
    if (p->person.birth_date != PL_DATE_NONE) {
        char d[PL_DATE_STRLEN];
        pl_date_format(p->person.birth_date, d);
        json_object_object_add(o, "birthDate", json_object_new_string(d));
    }
    if (p->person.address && *p->person.address) {
        json_object *arr = json_object_new_array(), *ad = json_object_new_object();
        json_object_object_add(ad, "text", json_object_new_string(p->person.address));
        json_object_array_add(arr, ad);
        json_object_object_add(o, "address", arr);
    }
    if (p->person.language && *p->person.language) {
        json_object *arr = json_object_new_array(), *cm = json_object_new_object(),
                    *lang = json_object_new_object(), *coding = json_object_new_array(),
                    *c = json_object_new_object();
        json_object_object_add(c, "system", json_object_new_string("urn:ietf:bcp:47"));
        json_object_object_add(c, "code", json_object_new_string(p->person.language));
        json_object_array_add(coding, c);
        json_object_object_add(lang, "coding", coding);
        json_object_object_add(cm, "language", lang);
        json_object_array_add(arr, cm);
        json_object_object_add(o, "communication", arr);
    }
    return o;
}

/* ---- Observation ------------------------------------------------------------- */

/* The LOINC code of a CodeableConcept that peerlink records (or a BP panel); else the first
 * LOINC code seen (for the not-kept reason), else NULL. *kept tells which. */
static const char *loinc_code(json_object *cc, const char *path, pl_arena *a, bool *kept,
                              pl_err *err)
{
    *kept = false;
    const char *first = NULL;
    json_object *coding = member(cc, "coding", json_type_array, path, err);
    for (size_t i = 0; coding && i < json_object_array_length(coding); i++) {
        json_object *c = json_object_array_get_idx(coding, i), *sys, *code;
        if (!json_object_object_get_ex(c, "system", &sys) ||
            !json_object_is_type(sys, json_type_string) ||
            strcmp(json_object_get_string(sys), FHIR_LOINC) != 0 ||
            !json_object_object_get_ex(c, "code", &code) ||
            !json_object_is_type(code, json_type_string))
            continue;
        const char *s = json_object_get_string(code);
        if (measure_def_find(s) || measure_is_bp_panel(s)) {
            *kept = true;
            return pl_arena_strdup(a, s);
        }
        if (!first)
            first = pl_arena_strdup(a, s);
    }
    return first;
}

/* Reads valueQuantity into m (entered_value as written, entered_unit from code or unit). */
static void read_quantity(json_object *holder, const char *path, pl_arena *a, pl_measurement *m,
                          pl_err *err)
{
    json_object *q = member(holder, "valueQuantity", json_type_object, path, err);
    if (!q) {
        if (!err->nfields)
            pl_err_field(err, path, "is required: the measured value");
        return;
    }
    json_object *v;
    if (!json_object_object_get_ex(q, "value", &v) ||
        !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int))) {
        pl_err_field(err, pl_arena_printf(a, "%s.value", path), "must be a number");
        return;
    }
    /* json-c keeps the text of a parsed number: 7.50 stays "7.50" */
    m->entered_value =
        pl_arena_strdup(a, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
    json_object *sys, *code;
    bool ucum = json_object_object_get_ex(q, "system", &sys) &&
                json_object_is_type(sys, json_type_string) &&
                strcmp(json_object_get_string(sys), FHIR_UCUM) == 0;
    if (ucum && json_object_object_get_ex(q, "code", &code) &&
        json_object_is_type(code, json_type_string))
        m->entered_unit = pl_arena_strdup(a, json_object_get_string(code));
    else
        m->entered_unit = str_member(q, "unit", pl_arena_printf(a, "%s.unit", path), a, err);
}

pl_status fhir_observation_from_json(json_object *o, pl_arena *a, fhir_observation *out,
                                     pl_err *err)
{
    memset(out, 0, sizeof *out);
    const char *type = fhir_resource_type(o);
    if (!type || strcmp(type, "Observation") != 0) {
        pl_err_field(err, "resourceType", "must be Observation");
        return PL_INVALID;
    }
    out->id = str_member(o, "id", "id", a, err);
    read_idents(o, a, out->idents, &out->nidents, err);
    const char *status = str_member(o, "status", "status", a, err);
    if (!status) {
        pl_err_field(err, "status", "is required (final, amended, corrected, preliminary ...)");
        return PL_INVALID;
    }
    json_object *code = member(o, "code", json_type_object, "code", err);
    if (!code) {
        if (!err->nfields)
            pl_err_field(err, "code", "is required: a LOINC coding");
        return PL_INVALID;
    }
    bool kept;
    const char *loinc = loinc_code(code, "code.coding", a, &kept, err);
    json_object *subj = member(o, "subject", json_type_object, "subject", err);
    out->subject = subj ? str_member(subj, "reference", "subject.reference", a, err) : NULL;
    if (!out->subject && !err->nfields)
        pl_err_field(err, "subject.reference", "is required: the Patient the value belongs to");
    if (err->nfields)
        return PL_INVALID;
    if (strcmp(status, "final") != 0 && strcmp(status, "amended") != 0 &&
        strcmp(status, "corrected") != 0 && strcmp(status, "preliminary") != 0) {
        out->entered_in_error = strcmp(status, "entered-in-error") == 0;
        out->not_kept = pl_arena_printf(a, "status %s is not a result peerlink keeps", status);
        return PL_OK;
    }
    if (!kept) {
        out->not_kept = pl_arena_printf(a, "code %s is not a measurement peerlink records",
                                        loinc ? loinc : "(no LOINC coding)");
        return PL_OK;
    }
    pl_time at = PL_TIME_NONE;
    const char *eff = str_member(o, "effectiveDateTime", "effectiveDateTime", a, err);
    if (!eff) {
        json_object *per = member(o, "effectivePeriod", json_type_object, "effectivePeriod", err);
        eff = per ? str_member(per, "start", "effectivePeriod.start", a, err) : NULL;
    }
    if (!eff && !err->nfields)
        pl_err_field(err, "effectiveDateTime", "is required: when the value was measured");
    else if (eff && fhir_time_parse(eff, &at) != PL_OK)
        pl_err_field(err, "effectiveDateTime",
                     "must be a dateTime with seconds and a time zone, or a date");
    if (measure_is_bp_panel(loinc)) {
        json_object *comps = member(o, "component", json_type_array, "component", err);
        for (size_t i = 0; comps && i < json_object_array_length(comps); i++) {
            json_object *c = json_object_array_get_idx(comps, i);
            const char *cpath = pathf(a, "component", (int)i, "");
            bool ck;
            const char *cc = loinc_code(member(c, "code", json_type_object, cpath, err),
                                        pl_arena_printf(a, "%s.code.coding", cpath), a, &ck, err);
            if (!cc || (strcmp(cc, "8480-6") != 0 && strcmp(cc, "8462-4") != 0))
                continue;
            if (out->nm == FHIR_OBS_VALUES_MAX) {
                pl_err_field(err, "component", "must have one systolic and one diastolic value");
                break;
            }
            pl_measurement *m = &out->m[out->nm++];
            m->code = cc;
            m->wave = -1;
            m->source = PL_SOURCE_EMR;
            m->effective_at = at;
            read_quantity(c, pl_arena_printf(a, "%s.valueQuantity", cpath), a, m, err);
        }
        if (out->nm == 0 && !err->nfields)
            pl_err_field(err, "component",
                         "a blood-pressure panel needs its systolic (8480-6) and diastolic "
                         "(8462-4) components");
    } else {
        pl_measurement *m = &out->m[out->nm++];
        m->code = loinc;
        m->wave = -1;
        m->source = PL_SOURCE_EMR;
        m->effective_at = at;
        read_quantity(o, "valueQuantity", a, m, err);
    }
    return err->nfields ? PL_INVALID : PL_OK;
}

static const char *category_of(const char *analyte)
{
    static const char *const vitals[] = {"sbp", "dbp", "weight", "height", "bmi", "waist", NULL};
    for (const char *const *v = vitals; *v; v++)
        if (strcmp(*v, analyte) == 0)
            return "vital-signs";
    return strncmp(analyte, "phq", 3) == 0 || strncmp(analyte, "dds", 3) == 0 ? "survey"
                                                                              : "laboratory";
}

json_object *fhir_observation_json(const pl_measurement *m, pl_time last_updated)
{
    json_object *o = json_object_new_object();
    char buf[48];
    json_object_object_add(o, "resourceType", json_object_new_string("Observation"));
    snprintf(buf, sizeof buf, "%lld", (long long)m->id);
    json_object_object_add(o, "id", json_object_new_string(buf));
    /* a measurement corrected since it was recorded (version 2 on) reads as corrected */
    json_object_object_add(o, "meta", meta(m->version > 1 ? m->version : 1, last_updated));
    json_object_object_add(o, "status",
                           json_object_new_string(m->version > 1 ? "corrected" : "final"));
    json_object *cat = json_object_new_array(), *cc = json_object_new_object(),
                *ccoding = json_object_new_array(), *c = json_object_new_object();
    json_object_object_add(
        c, "system",
        json_object_new_string("http://terminology.hl7.org/CodeSystem/observation-category"));
    json_object_object_add(c, "code", json_object_new_string(category_of(m->analyte)));
    json_object_array_add(ccoding, c);
    json_object_object_add(cc, "coding", ccoding);
    json_object_array_add(cat, cc);
    json_object_object_add(o, "category", cat);
    const measure_def *d = measure_def_find(m->code);
    json_object *code = json_object_new_object(), *coding = json_object_new_array(),
                *lc = json_object_new_object();
    json_object_object_add(lc, "system", json_object_new_string(FHIR_LOINC));
    json_object_object_add(lc, "code", json_object_new_string(m->code));
    if (d)
        json_object_object_add(lc, "display", json_object_new_string(d->display));
    json_object_array_add(coding, lc);
    json_object_object_add(code, "coding", coding);
    json_object_object_add(o, "code", code);
    json_object *subj = json_object_new_object();
    snprintf(buf, sizeof buf, "Patient/%lld", (long long)m->participant_id);
    json_object_object_add(subj, "reference", json_object_new_string(buf));
    json_object_object_add(o, "subject", subj);
    char t[PL_TIME_STRLEN];
    pl_time_format(m->effective_at, t);
    json_object_object_add(o, "effectiveDateTime", json_object_new_string(t));
    json_object *q = json_object_new_object();
    double v = 0;
    if (measure_parse_decimal(m->entered_value, &v) != PL_OK)
        v = m->value;
    json_object_object_add(q, "value", json_object_new_double_s(v, m->entered_value));
    json_object_object_add(q, "unit", json_object_new_string(m->entered_unit));
    json_object_object_add(q, "system", json_object_new_string(FHIR_UCUM));
    json_object_object_add(q, "code", json_object_new_string(m->entered_unit));
    json_object_object_add(o, "valueQuantity", q);
    return o;
}

/* ---- search dates -------------------------------------------------------------- */

pl_status fhir_date_param(const char *s, char prefix[3], pl_time *lo, pl_time *hi)
{
    static const char *const prefixes[] = {"eq", "ne", "gt", "lt", "ge", "le", NULL};
    memcpy(prefix, "eq", 3);
    for (const char *const *p = prefixes; *p; p++)
        if (strncmp(s, *p, 2) == 0) {
            memcpy(prefix, *p, 3);
            s += 2;
            break;
        }
    size_t n = strlen(s);
    int y, m = 1;
    char tail;
    if (n == 4 && sscanf(s, "%4d%c", &y, &tail) == 1) {
        *lo = pl_date_time(pl_date_from_ymd(y, 1, 1));
        *hi = pl_date_time(pl_date_from_ymd(y + 1, 1, 1));
        return y >= 1 ? PL_OK : PL_INVALID;
    }
    if (n == 7 && sscanf(s, "%4d-%2d%c", &y, &m, &tail) == 2 && m >= 1 && m <= 12) {
        *lo = pl_date_time(pl_date_from_ymd(y, m, 1));
        *hi = pl_date_time(m == 12 ? pl_date_from_ymd(y + 1, 1, 1) : pl_date_from_ymd(y, m + 1, 1));
        return PL_OK;
    }
    if (n == 10) {
        pl_date day;
        if (pl_date_parse(s, &day) != PL_OK)
            return PL_INVALID;
        *lo = pl_date_time(day);
        *hi = pl_date_time(day + 1);
        return PL_OK;
    }
    if (pl_time_parse(s, lo) != PL_OK)
        return PL_INVALID;
    *hi = *lo + 1;
    return PL_OK;
}
