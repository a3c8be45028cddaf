/*
 * test_routes.c - the route table and docs/openapi.yaml agree: every routed
 * method and path is documented with the route's summary, every route has a
 * summary and handler, and every request-body schema is a component schema
 * of the same name with the same fields (required list, nullability, type,
 * lengths and ranges).
 *
 * The YAML is read as text, relying on the document's layout: paths at two
 * spaces and methods at four; component schemas at four spaces under
 * "components:" / "  schemas:", their keys at six, properties at eight, and
 * each property's constraints on its own line or on deeper-indented lines.
 */
#include <ctype.h>
#include <string.h>

#include "test.h"

#include "api/api.h"
#include "http/body.h"

static char *read_openapi(void)
{
    const char *root = getenv("PEERLINK_SOURCE_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/docs/openapi.yaml", root ? root : ".");
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* Finds "  PATH:" at the path indentation, then "    method:" before the next path. */
static int documented(const char *doc, const char *path, const char *method)
{
    char key[256], lower[16];
    snprintf(key, sizeof key, "\n  %s:\n", path);
    const char *p = strstr(doc, key);
    if (!p)
        return 0;
    p += strlen(key);
    size_t i = 0;
    for (; i < sizeof lower - 1 && method[i]; i++)
        lower[i] = (char)tolower((unsigned char)method[i]);
    lower[i] = '\0';
    char want[32];
    snprintf(want, sizeof want, "    %s:\n", lower);
    while (*p == ' ' && p[1] == ' ' && p[2] == ' ') {
        if (strncmp(p, want, strlen(want)) == 0)
            return 1;
        p = strchr(p, '\n');
        if (!p)
            return 0;
        p++;
    }
    return 0;
}

/* ---- body schemas against components.schemas ----------------------------- */

/* A run of whole lines of the document: [p, end). */
typedef struct span {
    const char *p, *end;
} span;

static int indent_of(const char *line)
{
    int n = 0;
    while (line[n] == ' ')
        n++;
    return n;
}

static const char *next_line(const char *line, const char *end)
{
    const char *nl = memchr(line, '\n', (size_t)(end - line));
    return nl ? nl + 1 : end;
}

/*
 * The mapping entry "KEY:" at exactly `indent` spaces inside s, with the
 * lines below it that are indented deeper (its value). p is NULL when absent.
 */
static span yaml_entry(span s, int indent, const char *key)
{
    size_t klen = strlen(key);
    for (const char *q = s.p; q < s.end; q = next_line(q, s.end)) {
        if (indent_of(q) != indent || strncmp(q + indent, key, klen) != 0)
            continue;
        const char *after = q + indent + klen;
        if (after[0] != ':' || (after[1] != ' ' && after[1] != '\n'))
            continue;
        const char *e = next_line(q, s.end);
        while (e < s.end && (*e == '\n' || indent_of(e) > indent))
            e = next_line(e, s.end);
        return (span){q, e};
    }
    return (span){NULL, NULL};
}

static bool word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-';
}

/* True when s holds text not glued to a word on either side ("format: date" is not in
 * "format: date-time", "maxLength: 4" is not in "maxLength: 40"). */
static bool has_token(span s, const char *text)
{
    size_t n = strlen(text);
    for (const char *q = s.p; q && q + n <= s.end; q++) {
        if (strncmp(q, text, n) != 0)
            continue;
        bool left = q > s.p && word_char(q[-1]) && word_char(text[0]);
        bool right = q + n < s.end && word_char(q[n]) && word_char(text[n - 1]);
        if (!left && !right)
            return true;
    }
    return false;
}

/* True when the first "type:" of s names t: "type: t" or "type: [t, ...]". */
static bool has_type(span s, const char *t)
{
    for (const char *q = s.p; q && q + 5 < s.end; q++) {
        if (strncmp(q, "type:", 5) != 0 || (q > s.p && word_char(q[-1])))
            continue;
        const char *v = q + 5;
        while (v < s.end && *v == ' ')
            v++;
        const char *e = v;
        if (*v == '[') {
            while (e < s.end && *e != ']' && *e != '\n')
                e++;
        } else {
            while (e < s.end && *e != ',' && *e != '}' && *e != '\n')
                e++;
        }
        return has_token((span){v, e}, t);
    }
    return false;
}

static const char *field_type_name(http_field_type t)
{
    switch (t) {
    case HTTP_F_STRING:
    case HTTP_F_TEXT:
    case HTTP_F_DATE:
    case HTTP_F_TIME:
        return "string";
    case HTTP_F_INT:
    case HTTP_F_ID:
        return "integer";
    case HTTP_F_BOOL:
        return "boolean";
    case HTTP_F_DECIMAL:
        return "number";
    case HTTP_F_STRINGS:
    case HTTP_F_INTS:
    case HTTP_F_OBJECTS:
        return "array";
    }
    return "?";
}

static int fields_mismatch(span sc, int indent, const char *name, const http_field *fields,
                           char *why, size_t n);

/*
 * Checks one field against its property (its key at `indent` spaces); false with why filled
 * when they differ. An OBJECTS property lists "items:" last, two spaces deeper, with the
 * item's own type, additionalProperties, required and properties.
 */
static bool field_matches(span prop, int indent, span required, const http_field *f, char *why,
                          size_t n)
{
    char t[64];
    span items = {NULL, NULL};
    if (f->type == HTTP_F_OBJECTS) {
        items = yaml_entry(prop, indent + 2, "items");
        if (!items.p) {
            snprintf(why, n, "%s: an array of objects without items", f->name);
            return false;
        }
        prop.end = items.p; /* the array's own constraints, not its items' */
    }
    if (!has_type(prop, field_type_name(f->type)) ||
        (f->type == HTTP_F_DECIMAL && !has_type(prop, "string"))) {
        snprintf(why, n, "%s: type is not %s", f->name, field_type_name(f->type));
        return false;
    }
    if (f->type == HTTP_F_DATE && !has_token(prop, "format: date")) {
        snprintf(why, n, "%s: missing format: date", f->name);
        return false;
    }
    if (f->type == HTTP_F_TIME && !has_token(prop, "format: date-time")) {
        snprintf(why, n, "%s: missing format: date-time", f->name);
        return false;
    }
    if (has_token(prop, "'null'") != f->nullable) {
        snprintf(why, n, "%s: %s", f->name,
                 f->nullable ? "is nullable but 'null' is not a type"
                             : "is not nullable but 'null' is a type");
        return false;
    }
    bool listed = required.p && has_token(required, f->name);
    if (listed != f->required) {
        snprintf(why, n, "%s: %s", f->name,
                 f->required ? "is required but not in required" : "is optional but in required");
        return false;
    }
    if ((f->type == HTTP_F_STRING || f->type == HTTP_F_TEXT) && f->max > 0) {
        snprintf(t, sizeof t, "maxLength: %ld", f->max);
        if (!has_token(prop, t)) {
            snprintf(why, n, "%s: missing %s", f->name, t);
            return false;
        }
    }
    if (f->type == HTTP_F_INT) {
        char hi[64];
        snprintf(t, sizeof t, "minimum: %ld", f->min);
        snprintf(hi, sizeof hi, "maximum: %ld", f->max);
        if (!has_token(prop, t) || !has_token(prop, hi)) {
            snprintf(why, n, "%s: missing %s or %s", f->name, t, hi);
            return false;
        }
    }
    if (f->type == HTTP_F_ID && !has_token(prop, "minimum: 1")) {
        snprintf(why, n, "%s: missing minimum: 1", f->name);
        return false;
    }
    if (f->type == HTTP_F_STRINGS && !has_token(prop, "maxItems: 32")) {
        snprintf(why, n, "%s: missing maxItems: 32", f->name);
        return false;
    }
    if (f->type == HTTP_F_INTS) {
        char lo[64], hi[64];
        snprintf(lo, sizeof lo, "minimum: %ld", f->min);
        snprintf(hi, sizeof hi, "maximum: %ld", f->max);
        if (!has_token(prop, "maxItems: 64") || !has_token(prop, "type: integer") ||
            (f->min < f->max && (!has_token(prop, lo) || !has_token(prop, hi)))) {
            snprintf(why, n, "%s: missing maxItems: 64, items type: integer, %s or %s", f->name, lo,
                     hi);
            return false;
        }
    }
    if (f->type == HTTP_F_OBJECTS) {
        snprintf(t, sizeof t, "maxItems: %ld", f->max > 0 ? f->max : 64);
        if (!has_token(prop, t) || !has_type(items, "object")) {
            snprintf(why, n, "%s: missing %s or items type: object", f->name, t);
            return false;
        }
        if (fields_mismatch(items, indent + 4, f->name, http_field_items(f), why, n))
            return false;
    }
    return true;
}

/*
 * 0 when the object described by sc (its keys at `indent` spaces) has exactly these
 * fields (no more: the server refuses unknown fields), each described as declared;
 * else 1 with why filled.
 */
static int fields_mismatch(span sc, int indent, const char *name, const http_field *fields,
                           char *why, size_t n)
{
    span props = yaml_entry(sc, indent, "properties");
    if (!props.p || !has_token(sc, "additionalProperties: false")) {
        snprintf(why, n, "%s: no properties, or not additionalProperties: false", name);
        return 1;
    }
    span required = yaml_entry(sc, indent, "required");
    int declared = 0;
    for (const http_field *f = fields; f && f->name; f++, declared++) {
        span prop = yaml_entry(props, indent + 2, f->name);
        if (!prop.p) {
            snprintf(why, n, "%s: no property %s", name, f->name);
            return 1;
        }
        char detail[200];
        if (!field_matches(prop, indent + 2, required, f, detail, sizeof detail)) {
            snprintf(why, n, "%s.%s", name, detail);
            return 1;
        }
    }
    int documented = 0;
    for (const char *q = next_line(props.p, props.end); q < props.end; q = next_line(q, props.end))
        documented += indent_of(q) == indent + 2;
    if (documented != declared) {
        snprintf(why, n, "%s: %d properties documented, %d fields declared", name, documented,
                 declared);
        return 1;
    }
    return 0;
}

/*
 * 0 when components.schemas has schema->name with exactly the schema's
 * fields (no more: the server refuses unknown fields), each described as
 * the field is declared; else 1 with why filled.
 */
static int schema_mismatch(const char *doc, const http_body_schema *schema, char *why, size_t n)
{
    span all = {doc, doc + strlen(doc)};
    span schemas = yaml_entry(yaml_entry(all, 0, "components"), 2, "schemas");
    if (!schemas.p) {
        snprintf(why, n, "no components.schemas");
        return 1;
    }
    span sc = yaml_entry(schemas, 4, schema->name);
    if (!sc.p) {
        snprintf(why, n, "no schema %s", schema->name);
        return 1;
    }
    return fields_mismatch(sc, 6, schema->name, schema->fields, why, n);
}

static void test_every_route_is_documented(void **state)
{
    (void)state;
    const char *doc = read_openapi();
    int n = 0;
    for (const http_route *r = api_routes; r->method; r++, n++) {
        if (!documented(doc, r->path, r->method))
            fail_msg("%s %s is routed but missing from docs/openapi.yaml", r->method, r->path);
    }
    assert_true(n > 0);
}

static void test_routes_are_complete(void **state)
{
    (void)state;
    for (const http_route *r = api_routes; r->method; r++) {
        assert_non_null(r->handler);
        assert_non_null(r->summary);
        assert_true(strlen(r->summary) > 10);
        assert_int_equal(r->path[0], '/');
        for (const http_route *q = r + 1; q->method; q++)
            if (strcmp(r->method, q->method) == 0 && strcmp(r->path, q->path) == 0)
                fail_msg("%s %s is routed twice", r->method, r->path);
    }
}

static void test_detects_a_missing_route(void **state)
{
    (void)state;
    const char *doc = read_openapi();
    assert_false(documented(doc, "/api/v1/never-routed", "GET"));
    assert_false(documented(doc, "/healthz", "DELETE"));
}

static void test_summaries_match(void **state)
{
    (void)state;
    const char *doc = read_openapi();
    span all = {doc, doc + strlen(doc)};
    span paths = yaml_entry(all, 0, "paths");
    assert_non_null(paths.p);
    for (const http_route *r = api_routes; r->method; r++) {
        char method[16], want[300];
        size_t i = 0;
        for (; i < sizeof method - 1 && r->method[i]; i++)
            method[i] = (char)tolower((unsigned char)r->method[i]);
        method[i] = '\0';
        span op = yaml_entry(yaml_entry(paths, 2, r->path), 4, method);
        snprintf(want, sizeof want, "\n      summary: %s\n", r->summary);
        if (!op.p || !has_token(op, want))
            fail_msg("%s %s: docs/openapi.yaml lacks \"summary: %s\"", r->method, r->path,
                     r->summary);
    }
}

static void test_every_body_schema_is_documented(void **state)
{
    (void)state;
    const char *doc = read_openapi();
    int n = 0;
    for (const http_route *r = api_routes; r->method; r++) {
        if (!r->body_schema)
            continue;
        char why[300];
        if (schema_mismatch(doc, r->body_schema, why, sizeof why))
            fail_msg("%s %s: docs/openapi.yaml: %s", r->method, r->path, why);
        n++;
    }
    assert_true(n > 0);
}

static void test_detects_a_mismatched_schema(void **state)
{
    (void)state;
    const char *doc = read_openapi();
    char why[300];

    /* a faithful copy of LoginRequest passes, so each failure below is the one planted */
    static const http_field login[] = {
        {.name = "username", .type = HTTP_F_STRING, .required = true, .max = 64},
        {.name = "password", .type = HTTP_F_STRING, .required = true, .max = 256},
        {.name = NULL},
    };
    assert_int_equal(
        schema_mismatch(doc, &(http_body_schema){"LoginRequest", login}, why, sizeof why), 0);

    static const http_field extra[] = {
        {.name = "username", .type = HTTP_F_STRING, .required = true, .max = 64},
        {.name = "password", .type = HTTP_F_STRING, .required = true, .max = 256},
        {.name = "never_a_field", .type = HTTP_F_STRING},
        {.name = NULL},
    };
    static const http_field fewer[] = {
        {.name = "username", .type = HTTP_F_STRING, .required = true, .max = 64},
        {.name = NULL},
    };
    static const http_field longer[] = {
        {.name = "username", .type = HTTP_F_STRING, .required = true, .max = 65},
        {.name = "password", .type = HTTP_F_STRING, .required = true, .max = 256},
        {.name = NULL},
    };
    static const http_field nullable[] = {
        {.name = "username", .type = HTTP_F_STRING, .required = true, .nullable = true, .max = 64},
        {.name = "password", .type = HTTP_F_STRING, .required = true, .max = 256},
        {.name = NULL},
    };
    static const http_field optional[] = {
        {.name = "username", .type = HTTP_F_STRING, .max = 64},
        {.name = "password", .type = HTTP_F_STRING, .required = true, .max = 256},
        {.name = NULL},
    };
    static const http_field integer[] = {
        {.name = "username", .type = HTTP_F_INT, .required = true, .min = 0, .max = 64},
        {.name = "password", .type = HTTP_F_STRING, .required = true, .max = 256},
        {.name = NULL},
    };
    const http_body_schema wrong[] = {
        {"NeverDocumented", login}, {"LoginRequest", extra},    {"LoginRequest", fewer},
        {"LoginRequest", longer},   {"LoginRequest", nullable}, {"LoginRequest", optional},
        {"LoginRequest", integer},
    };
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
        if (!schema_mismatch(doc, &wrong[i], why, sizeof why))
            fail_msg("mismatch %zu of %s went unnoticed", i, wrong[i].name);

    /* a method key or a response is not a schema */
    static const http_field none[] = {{.name = NULL}};
    assert_int_equal(schema_mismatch(doc, &(http_body_schema){"post", none}, why, sizeof why), 1);
    assert_int_equal(schema_mismatch(doc, &(http_body_schema){"BadRequest", none}, why, sizeof why),
                     1);
}

PL_TEST_MAIN(cmocka_unit_test(test_every_route_is_documented),
             cmocka_unit_test(test_routes_are_complete),
             cmocka_unit_test(test_detects_a_missing_route), cmocka_unit_test(test_summaries_match),
             cmocka_unit_test(test_every_body_schema_is_documented),
             cmocka_unit_test(test_detects_a_mismatched_schema))
