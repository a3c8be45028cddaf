/*
 * body.c - checking a request body against its declared schema.
 *
 * Four steps, each answering the client alike on every endpoint:
 *
 * 1. The Content-Type must be application/json (any case), optionally
 *    with parameters; a charset other than utf-8 is refused (415).
 * 2. The bytes are scanned once by the RFC 8259 checker of
 *    core/json_check.h before json-c sees them, because json-c 0.16 even in
 *    strict mode lets through single-quoted strings, NaN, "1.", raw control
 *    characters in strings, lone \ud800 escapes and data after a NUL byte.
 *    The checker also limits nesting (16 levels), checks UTF-8 inside
 *    strings, refuses anything after the value, and counts the members of
 *    the top-level object. json-c (JSON_TOKENER_STRICT | VALIDATE_UTF8)
 *    then builds the object; when it holds fewer keys than the checker
 *    counted, a key was repeated (json-c keeps the last), and a second scan
 *    names it.
 * 3. Structure (400): the body must be an object; every key must be a
 *    declared field; no key may repeat.
 * 4. Fields (422): each declared field is checked for presence, null, JSON
 *    type and format. Every problem is recorded, so a client sees all of
 *    them at once; 400-class problems decide the status when both occur.
 *
 * Integers beyond int64 are clamped by json-c to INT64_MIN/INT64_MAX, so
 * those two values are treated as out of range. Numbers written with a
 * fraction or exponent keep their text in json-c, which is what DECIMAL
 * fields hand on ("7.50" stays "7.50"); integers are formatted back from
 * their value, which is the text written except that -0 becomes 0.
 */
#include "body.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/domain.h"
#include "core/json_check.h"
#include "core/measure.h"
#include "core/time.h"

#define BODY_MAX_DEPTH         16
#define STRINGS_MAX_ITEMS      32
#define STRINGS_ITEM_MAX_BYTES 64
#define INTS_MAX_ITEMS         64
#define OBJECTS_MAX_ITEMS      64
#define ID_MAX                 ((int64_t)1 << 53)

/* ---- content type ------------------------------------------------------- */

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* RFC 9110 token characters. */
static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Checks "application/json[; name=value]..."; 0 when acceptable, else 415 with err set. */
static int content_type_check(const char *ct, pl_err *err)
{
    static const char media[] = "application/json";
    if (!ct)
        goto not_json;
    const char *p = ct;
    while (is_ows(*p))
        p++;
    if (strncasecmp(p, media, sizeof media - 1) != 0)
        goto not_json;
    p += sizeof media - 1;
    while (is_ows(*p))
        p++;
    while (*p == ';') {
        p++;
        while (is_ows(*p))
            p++;
        if (*p == '\0')
            break;
        const char *name = p;
        while (is_tchar(*p))
            p++;
        size_t name_len = (size_t)(p - name);
        if (name_len == 0 || *p != '=')
            goto malformed;
        p++;
        char value[16];
        size_t n = 0;
        bool fits = true;
        if (*p == '"') {
            for (p++; *p != '"'; p++) {
                if (*p == '\\' && p[1] != '\0')
                    p++;
                else if (*p == '\0' || *p == '\\')
                    goto malformed;
                if (n + 1 < sizeof value)
                    value[n++] = *p;
                else
                    fits = false;
            }
            p++;
        } else {
            for (; is_tchar(*p); p++) {
                if (n + 1 < sizeof value)
                    value[n++] = *p;
                else
                    fits = false;
            }
            if (n == 0 && fits)
                goto malformed;
        }
        value[n] = '\0';
        if (name_len == 7 && strncasecmp(name, "charset", 7) == 0 &&
            (!fits || strcasecmp(value, "utf-8") != 0)) {
            pl_err_set(err, PL_INVALID,
                       "the request body must be encoded as UTF-8 (charset=utf-8)");
            return 415;
        }
        while (is_ows(*p))
            p++;
    }
    if (*p != '\0')
        goto not_json;
    return 0;
malformed:
    pl_err_set(err, PL_INVALID, "the Content-Type header is malformed");
    return 415;
not_json:
    pl_err_set(err, PL_INVALID, "the request body must be sent as Content-Type: application/json");
    return 415;
}

int http_content_type_check(const char *content_type, pl_err *err)
{
    pl_err_clear(err);
    return content_type_check(content_type, err);
}

/* ---- repeated keys --------------------------------------------------------- */

/* Field names are client text: shown shortened and without control characters. */
static void display_name(const char *key, char *out, size_t size)
{
    size_t n = 0, limit = size - 4; /* room for "..." and NUL */
    const unsigned char *p = (const unsigned char *)key;
    while (*p && n < limit) {
        size_t len = 1;
        if (*p >= 0xF0)
            len = 4;
        else if (*p >= 0xE0)
            len = 3;
        else if (*p >= 0xC0)
            len = 2;
        if (n + len > limit)
            break;
        for (size_t i = 0; i < len; i++)
            out[n + i] = (char)p[i];
        if (len == 1 && (*p < 0x20 || *p == 0x7f))
            out[n] = '?';
        n += len;
        p += len;
    }
    if (*p)
        for (int i = 0; i < 3; i++)
            out[n++] = '.';
    out[n] = '\0';
}

typedef struct repeats {
    json_tokener *tok;
    json_object *seen; /* key -> number of occurrences */
    pl_err *err;
} repeats;

/* Decodes one top-level key and reports its second occurrence. */
static void count_key(void *ctx, int depth, const char *key_json, size_t len)
{
    repeats *r = ctx;
    if (depth != 1)
        return;
    json_tokener_reset(r->tok);
    json_object *k = json_tokener_parse_ex(r->tok, key_json, (int)len);
    if (!k)
        return;
    const char *key = json_object_get_string(k);
    json_object *count;
    if (json_object_object_get_ex(r->seen, key, &count)) {
        if (json_object_get_int(count) == 1) {
            char name[sizeof r->err->fields[0].field];
            display_name(key, name, sizeof name);
            pl_err_field(r->err, name, "appears more than once");
        }
        json_object_int_inc(count, 1);
    } else {
        json_object *one = json_object_new_int(1);
        if (one && json_object_object_add(r->seen, key, one) != 0)
            json_object_put(one);
    }
    json_object_put(k);
}

/* Names repeated top-level keys in err (when memory allows), with a second scan. */
static void name_repeats(const char *body, size_t len, pl_err *err)
{
    repeats r = {.tok = json_tokener_new(), .seen = json_object_new_object(), .err = err};
    pl_json_check c = {.max_depth = BODY_MAX_DEPTH, .on_key = count_key, .ctx = &r};
    if (r.tok && r.seen)
        pl_json_check_text(&c, body, len);
    json_object_put(r.seen);
    if (r.tok)
        json_tokener_free(r.tok);
}

/* ---- field checks ---------------------------------------------------------- */

/* The string of a JSON string value, or NULL when v is not one or holds a NUL. */
static const char *string_of(json_object *v, size_t *len)
{
    if (!json_object_is_type(v, json_type_string))
        return NULL;
    const char *s = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    if (strlen(s) != n)
        return NULL;
    if (len)
        *len = n;
    return s;
}

/* True when v is a JSON integer json-c did not clamp. */
static bool int_of(json_object *v, int64_t *out)
{
    if (!json_object_is_type(v, json_type_int))
        return false;
    *out = json_object_get_int64(v);
    return true;
}

static bool clamped(int64_t i)
{
    return i == INT64_MIN || i == INT64_MAX;
}

static void check_text(const char *field, json_object *v, bool multiline, long max, pl_err *err)
{
    if (!json_object_is_type(v, json_type_string)) {
        pl_err_field(err, field, "must be a string");
        return;
    }
    size_t n;
    const char *s = string_of(v, &n);
    if (!s || !pl_text_ok(s, multiline))
        pl_err_field(err, field,
                     multiline ? "must be valid UTF-8 text without control characters"
                               : "must be valid UTF-8 text on one line without control characters");
    else if (max > 0 && n > (size_t)max)
        pl_err_field(err, field, "must be at most %ld bytes", max);
}

static void check_int_named(const http_field *f, const char *name, json_object *v, pl_err *err)
{
    int64_t i;
    if (!int_of(v, &i)) {
        pl_err_field(err, name, "must be an integer");
    } else if (f->min < f->max) {
        if (clamped(i) || i < f->min || i > f->max)
            pl_err_field(err, name, "must be between %ld and %ld", f->min, f->max);
    } else if (clamped(i)) {
        pl_err_field(err, name, "must be between %lld and %lld", (long long)INT64_MIN + 1,
                     (long long)INT64_MAX - 1);
    }
}

static void check_int(const http_field *f, const char *name, json_object *v, pl_err *err)
{
    check_int_named(f, name, v, err);
}

/* An array of at most INTS_MAX_ITEMS integers, each checked like an INT (null items refused). */
static void check_ints(const http_field *f, const char *name, json_object *v, pl_err *err)
{
    if (!json_object_is_type(v, json_type_array)) {
        pl_err_field(err, name, "must be an array of integers");
        return;
    }
    size_t n = json_object_array_length(v);
    if (n > INTS_MAX_ITEMS) {
        pl_err_field(err, name, "must have at most %d items", INTS_MAX_ITEMS);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char item[sizeof err->fields[0].field];
        snprintf(item, sizeof item, "%s[%zu]", name, i);
        json_object *iv = json_object_array_get_idx(v, i);
        if (!iv)
            pl_err_field(err, item, "must not be null");
        else
            check_int_named(f, item, iv, err);
    }
}

static void check_id(const char *name, json_object *v, pl_err *err)
{
    int64_t i;
    if (!int_of(v, &i))
        pl_err_field(err, name, "must be an integer");
    else if (i < 1)
        pl_err_field(err, name, "must be a positive integer");
    else if (i > ID_MAX)
        pl_err_field(err, name, "must be at most %lld", (long long)ID_MAX);
}

static void check_decimal(const char *name, json_object *v, pl_err *err)
{
    const char *s = NULL;
    int64_t i;
    if (json_object_is_type(v, json_type_double))
        s = json_object_get_string(v); /* the text as written */
    else if (int_of(v, &i))
        s = clamped(i) ? NULL : json_object_get_string(v);
    else
        s = string_of(v, NULL);
    double d;
    if (!s || measure_parse_decimal(s, &d) != PL_OK)
        pl_err_field(err, name, "must be a decimal number such as 7.2");
}

/* A string (already checked as text) must be one of the field's values, if it lists them. */
static void check_one_of(const http_field *f, const char *field, json_object *v, pl_err *err)
{
    if (!f->one_of || !json_object_is_type(v, json_type_string))
        return;
    const char *s = json_object_get_string(v);
    for (const char *const *o = f->one_of; *o; o++)
        if (strcmp(*o, s) == 0)
            return;
    char list[160] = "";
    size_t len = 0;
    for (const char *const *o = f->one_of; *o && len < sizeof list; o++)
        len +=
            (size_t)snprintf(list + len, sizeof list - len, "%s%s", o == f->one_of ? "" : ", ", *o);
    pl_err_field(err, field, "must be one of %s", list);
}

static void check_strings(const http_field *f, const char *name, json_object *v, pl_err *err)
{
    if (!json_object_is_type(v, json_type_array)) {
        pl_err_field(err, name, "must be an array of strings");
        return;
    }
    size_t n = json_object_array_length(v);
    if (n > STRINGS_MAX_ITEMS) {
        pl_err_field(err, name, "must have at most %d items", STRINGS_MAX_ITEMS);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char item[sizeof err->fields[0].field];
        snprintf(item, sizeof item, "%s[%zu]", name, i);
        int before = err->nfields;
        json_object *iv = json_object_array_get_idx(v, i);
        check_text(item, iv, false, STRINGS_ITEM_MAX_BYTES, err);
        if (err->nfields == before)
            check_one_of(f, item, iv, err);
    }
}

static void check_objects(const http_field *f, const char *name, json_object *v, pl_err *err);

/* Checks field f of obj; name is how errors call it ("attendance[2].status" inside an array). */
static void check_field(const http_field *f, const char *name, json_object *obj, pl_err *err)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, f->name, &v)) {
        if (f->required)
            pl_err_field(err, name, "is required");
        return;
    }
    if (!v) {
        if (!f->nullable)
            pl_err_field(err, name, "must not be null");
        return;
    }
    const char *s;
    pl_date day;
    pl_time t;
    switch (f->type) {
    case HTTP_F_STRING: {
        int before = err->nfields;
        check_text(name, v, false, f->max, err);
        if (err->nfields == before)
            check_one_of(f, name, v, err);
        break;
    }
    case HTTP_F_TEXT:
        check_text(name, v, true, f->max, err);
        break;
    case HTTP_F_INT:
        check_int(f, name, v, err);
        break;
    case HTTP_F_ID:
        check_id(name, v, err);
        break;
    case HTTP_F_BOOL:
        if (!json_object_is_type(v, json_type_boolean))
            pl_err_field(err, name, "must be true or false");
        break;
    case HTTP_F_DATE:
        s = string_of(v, NULL);
        if (!s || pl_date_parse(s, &day) != PL_OK)
            pl_err_field(err, name, "must be a date YYYY-MM-DD");
        break;
    case HTTP_F_TIME:
        s = string_of(v, NULL);
        if (!s || pl_time_parse(s, &t) != PL_OK)
            pl_err_field(err, name, "must be an RFC 3339 time such as 2026-11-23T14:05:00Z");
        break;
    case HTTP_F_DECIMAL:
        check_decimal(name, v, err);
        break;
    case HTTP_F_STRINGS:
        check_strings(f, name, v, err);
        break;
    case HTTP_F_INTS:
        check_ints(f, name, v, err);
        break;
    case HTTP_F_OBJECTS:
        check_objects(f, name, v, err);
        break;
    }
}

/*
 * An array of at most f->max (OBJECTS_MAX_ITEMS when 0) objects, each holding only the
 * fields of f->items, checked like a body's fields; errors are named "name[i].field".
 */
static void check_objects(const http_field *f, const char *name, json_object *v, pl_err *err)
{
    long max = f->max > 0 ? f->max : OBJECTS_MAX_ITEMS;
    if (!json_object_is_type(v, json_type_array)) {
        pl_err_field(err, name, "must be an array of objects");
        return;
    }
    size_t n = json_object_array_length(v);
    if (n > (size_t)max) {
        pl_err_field(err, name, "must have at most %ld items", max);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char item[sizeof err->fields[0].field];
        snprintf(item, sizeof item, "%s[%zu]", name, i);
        json_object *iv = json_object_array_get_idx(v, i);
        if (!iv || !json_object_is_type(iv, json_type_object)) {
            pl_err_field(err, item, "must be an object");
            continue;
        }
        json_object_object_foreach(iv, key, val)
        {
            (void)val;
            const http_field *g = http_field_items(f);
            while (g && g->name && strcmp(g->name, key) != 0)
                g++;
            if (!g || !g->name) {
                char shown[sizeof err->fields[0].field], sub[sizeof err->fields[0].field];
                display_name(key, shown, sizeof shown);
                if (snprintf(sub, sizeof sub, "%s.%s", item, shown) < 0)
                    sub[0] = '\0';
                pl_err_field(err, sub, "is not a field of this item");
            }
        }
        for (const http_field *g = http_field_items(f); g && g->name; g++) {
            char sub[sizeof err->fields[0].field];
            if (snprintf(sub, sizeof sub, "%s.%s", item, g->name) < 0)
                sub[0] = '\0';
            check_field(g, sub, iv, err);
        }
    }
}

static const http_field *find_field(const http_body_schema *schema, const char *name)
{
    if (!schema || !schema->fields)
        return NULL;
    for (const http_field *f = schema->fields; f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

/* ---- the whole check ------------------------------------------------------- */

int http_body_check(const http_body_schema *schema, const char *content_type, const char *body,
                    size_t len, json_object **out, pl_err *err)
{
    json_tokener *tok = NULL;
    json_object *obj = NULL;
    pl_json_check chk = {.max_depth = BODY_MAX_DEPTH};
    int status, unknown = 0;
    bool repeated = false;
    *out = NULL;
    pl_err_clear(err);

    status = content_type_check(content_type, err);
    if (status != 0)
        goto done;

    status = 400;
    if (!body)
        len = 0;
    size_t ws = 0;
    while (ws < len && strchr(" \t\r\n", body[ws]) && body[ws] != '\0')
        ws++;
    if (ws == len) {
        pl_err_set(err, PL_INVALID, "the request body is empty");
        goto done;
    }
    if (len > INT_MAX) {
        pl_err_set(err, PL_INVALID, "the request body is too large");
        goto done;
    }
    if (!pl_json_check_text(&chk, body, len)) {
        pl_err_set(err, PL_INVALID, "the request body is not valid JSON: %s at offset %zu",
                   chk.problem, chk.offset);
        goto done;
    }

    tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
    if (!tok) {
        pl_err_set(err, PL_NOMEM, "out of memory reading the request body");
        goto done;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    obj = json_tokener_parse_ex(tok, body, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    if (!obj || jerr != json_tokener_success) {
        /* the scanner accepted it, so only a lone top-level literal or number gets here */
        if (jerr == json_tokener_continue || jerr == json_tokener_success)
            pl_err_set(err, PL_INVALID, "the request body must be a JSON object");
        else
            pl_err_set(err, PL_INVALID, "the request body is not valid JSON: %s",
                       json_tokener_error_desc(jerr));
        goto done;
    }
    if (!json_object_is_type(obj, json_type_object)) {
        pl_err_set(err, PL_INVALID, "the request body must be a JSON object");
        goto done;
    }

    /* structure: unknown and repeated keys */
    const char *schema_name = schema && schema->name ? schema->name : "this request";
    json_object_object_foreach(obj, key, val)
    {
        (void)val;
        if (!find_field(schema, key)) {
            char name[sizeof err->fields[0].field];
            display_name(key, name, sizeof name);
            pl_err_field(err, name, "is not a field of %s", schema_name);
            unknown++;
        }
    }
    if ((size_t)json_object_object_length(obj) != chk.top_members) {
        repeated = true;
        name_repeats(body, len, err);
    }

    /* fields */
    if (schema && schema->fields)
        for (const http_field *f = schema->fields; f->name; f++)
            check_field(f, f->name, obj, err);

    if (unknown > 0 || repeated) {
        if (unknown == 0)
            pl_err_set(err, PL_INVALID, "the request body repeats a field");
        else
            pl_err_set(err, PL_INVALID, "the request body has %s",
                       unknown == 1 ? "an unknown field" : "unknown fields");
        goto done;
    }
    if (err->nfields > 0 || err->truncated) {
        status = 422;
        pl_err_set(err, PL_INVALID, "the request has invalid fields");
        goto done;
    }
    status = 0;
    *out = obj;
    obj = NULL;
done:
    json_object_put(obj);
    if (tok)
        json_tokener_free(tok);
    return status;
}
