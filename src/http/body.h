/*
 * body.h - request bodies checked against a declared schema.
 *
 * Each route may name an http_body_schema: the fields a JSON object body
 * may carry, each with a type, and whether it is required or may be null.
 * The router checks a body before the handler sees it, so every endpoint
 * answers alike: 415 for a body that is not application/json, 400 for
 * malformed JSON, a body that is not an object, or an unknown or repeated
 * field (each listed), 422 for a field of the wrong type or format or a
 * missing required field (each listed). All problems are listed at once;
 * when a body has both kinds, the answer is 400. The OpenAPI document names
 * the same schemas.
 *
 * JSON is checked against RFC 8259 and nested at most 16 deep, then parsed
 * by json-c in strict mode; numbers keep the text they were written with (a
 * value of 7.50 is read back as "7.50"; only an integer -0 reads back as 0).
 */
#ifndef PL_HTTP_BODY_H
#define PL_HTTP_BODY_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "core/status.h"

typedef enum http_field_type {
    HTTP_F_STRING,  /* single-line UTF-8 text, no control characters */
    HTTP_F_TEXT,    /* multi-line UTF-8 text (\n \r \t allowed) */
    HTTP_F_INT,     /* a JSON integer, within [min, max] when min < max */
    HTTP_F_ID,      /* a JSON integer in 1..2^53 */
    HTTP_F_BOOL,    /* true or false */
    HTTP_F_DATE,    /* "YYYY-MM-DD" */
    HTTP_F_TIME,    /* RFC 3339 instant */
    HTTP_F_DECIMAL, /* a JSON number, or a string holding a decimal; kept as written */
    HTTP_F_STRINGS, /* an array of at most 32 single-line strings of at most 64 bytes */
    HTTP_F_INTS,    /* an array of at most 64 integers, each within [min, max] when min < max */
    HTTP_F_OBJECTS, /* an array of at most max (64 when 0) objects, each checked against items */
} http_field_type;

typedef struct http_field {
    const char *name;
    http_field_type type;
    bool required;
    bool nullable;
    long min, max; /* HTTP_F_INT (and each HTTP_F_INTS item) range; STRING/TEXT maximum length in
                      bytes when max > 0 */
    /* STRING, and each item of STRINGS: the allowed values, NULL-terminated (NULL: any).
       OBJECTS: the fields of each item instead, given as HTTP_ITEMS(fields) (see below) */
    const char *const *one_of;
} http_field;

/*
 * An OBJECTS field's item fields (an array terminated by an entry with name NULL), carried
 * in one_of so that every other field keeps its seven-value initializer; http_field_items()
 * gives them back. An unknown or wrong field inside an item is a 422 field error named
 * "field[i].name"; a key repeated inside an item is not detected (json-c keeps the last).
 */
#define HTTP_ITEMS(fields) ((const char *const *)(const void *)(fields))
static inline const http_field *http_field_items(const http_field *f)
{
    return f->type == HTTP_F_OBJECTS ? (const http_field *)(const void *)f->one_of : NULL;
}

typedef struct http_body_schema {
    const char *name;         /* the OpenAPI component name, e.g. "ContactCreate" */
    const http_field *fields; /* terminated by an entry with name NULL */
} http_body_schema;

/*
 * Checks content type, parses and checks body against schema. On success
 * *out is the parsed object (the caller json_object_put()s it) and the
 * result is 0. On failure returns the HTTP status (400, 415 or 422), fills
 * err (message plus one field error per problem) and *out is NULL.
 * content_type may be NULL (treated as missing: 415).
 */
int http_body_check(const http_body_schema *schema, const char *content_type, const char *body,
                    size_t len, json_object **out, pl_err *err);

/*
 * Step 1 alone, for routes whose body is richer than a flat schema (an HSDS
 * document): 0 when content_type is application/json (charset utf-8 if
 * any), else 415 with err set.
 */
int http_content_type_check(const char *content_type, pl_err *err);

#endif
