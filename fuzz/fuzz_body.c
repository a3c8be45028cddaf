/*
 * fuzz_body.c - libFuzzer harness for request bodies (src/http/body.c).
 *
 * The first input byte picks a Content-Type (most choices are JSON, some
 * are not, one is missing); the rest is the body, handed over exactly as
 * the server would: a pointer and a length, in a buffer of that length so
 * AddressSanitizer catches a read past it. The schema has a field of every
 * type. What a caller relies on is checked, and any break aborts:
 *
 * - the answer is 0, 400, 415 or 422, with a message unless it is 0;
 * - a refusal hands back no object; 422 lists at least one field, 415 none;
 * - an accepted body is an object holding only declared fields, each of
 *   the declared JSON type (or null where allowed), required ones present;
 * - json-c's own serialisation of an accepted object is accepted again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const http_field fields[] = {
    {"name", HTTP_F_STRING, true, false, 0, 40, NULL},
    {"note", HTTP_F_TEXT, false, true, 0, 200, NULL},
    {"minutes", HTTP_F_INT, false, false, 1, 600, NULL},
    {"count", HTTP_F_INT, false, true, 0, 0, NULL},
    {"participant_id", HTTP_F_ID, true, false, 0, 0, NULL},
    {"proactive", HTTP_F_BOOL, false, false, 0, 0, NULL},
    {"follow_up_date", HTTP_F_DATE, false, true, 0, 0, NULL},
    {"occurred_at", HTTP_F_TIME, false, false, 0, 0, NULL},
    {"value", HTTP_F_DECIMAL, false, true, 0, 0, NULL},
    {"topics", HTTP_F_STRINGS, false, true, 0, 0, NULL},
    {NULL, HTTP_F_STRING, false, false, 0, 0, NULL},
};
static const http_body_schema schema = {"Fuzz", fields};

static const char *const content_types[] = {
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON;CHARSET=\"UTF-8\"",
    "application/json; q=1",
    "application/json; charset=latin1",
    "text/plain",
    NULL,
    "application/json;",
};

static bool type_ok(const http_field *f, json_object *v)
{
    switch (f->type) {
    case HTTP_F_STRING:
    case HTTP_F_TEXT:
    case HTTP_F_DATE:
    case HTTP_F_TIME:
        return json_object_is_type(v, json_type_string);
    case HTTP_F_INT:
    case HTTP_F_ID:
        return json_object_is_type(v, json_type_int);
    case HTTP_F_BOOL:
        return json_object_is_type(v, json_type_boolean);
    case HTTP_F_DECIMAL:
        return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double) ||
               json_object_is_type(v, json_type_string);
    case HTTP_F_STRINGS:
        return json_object_is_type(v, json_type_array) && json_object_array_length(v) <= 32;
    case HTTP_F_INTS:
        return json_object_is_type(v, json_type_array) && json_object_array_length(v) <= 64;
    }
    return false;
}

static void check_accepted(json_object *obj)
{
    if (!json_object_is_type(obj, json_type_object))
        abort();
    json_object_object_foreach(obj, key, val)
    {
        const http_field *f = fields;
        while (f->name && strcmp(f->name, key) != 0)
            f++;
        if (!f->name)
            abort(); /* an unknown field got through */
        if (val ? !type_ok(f, val) : !f->nullable)
            abort();
    }
    for (const http_field *f = fields; f->name; f++) {
        json_object *v;
        if (f->required && !json_object_object_get_ex(obj, f->name, &v))
            abort();
    }
    /* what json-c writes back is accepted again */
    size_t len;
    const char *text = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN, &len);
    json_object *again = NULL;
    pl_err err;
    if (!text || http_body_check(&schema, "application/json", text, len, &again, &err) != 0)
        abort();
    json_object_put(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *ct = content_types[data[0] % (sizeof content_types / sizeof content_types[0])];
    size_t len = size - 1;
    char *body = malloc(len ? len : 1);
    if (!body)
        return 0;
    memcpy(body, data + 1, len);

    json_object *obj = NULL;
    pl_err err;
    int status = http_body_check(&schema, ct, body, len, &obj, &err);
    switch (status) {
    case 0:
        if (!obj || err.nfields != 0)
            abort();
        check_accepted(obj);
        json_object_put(obj);
        break;
    case 400:
    case 415:
    case 422:
        if (obj || !err.message[0] || err.status != PL_INVALID)
            abort();
        if ((status == 422 && err.nfields < 1) || (status == 415 && err.nfields != 0))
            abort();
        break;
    default:
        abort();
    }
    free(body);
    return 0;
}
