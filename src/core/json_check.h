/*
 * json_check.h - an RFC 8259 syntax check of outside bytes, before a JSON
 * library sees them.
 *
 * json-c 0.16, even in strict mode, lets through single-quoted strings,
 * NaN, "1.", raw control characters in strings, lone \ud800 escapes and
 * data after a NUL byte. Every parser of outside JSON (request bodies in
 * src/http, HSDS directories in src/hsds, later FHIR) therefore scans the
 * text once with this checker and only then hands it to json-c. The check
 * also limits nesting, verifies the UTF-8 inside strings, refuses anything
 * after the value, and counts object members so that a caller can tell
 * when json-c (which keeps the last of a repeated key) dropped one.
 *
 * Pure: no allocation, no I/O.
 */
#ifndef PL_CORE_JSON_CHECK_H
#define PL_CORE_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>

typedef struct pl_json_check {
    /* set by the caller */
    int max_depth; /* objects and arrays nested deeper than this are refused */
    /* called for each member name of an object at `depth` (1: the top-level object) with
       the name as written, quotes included; NULL: not called */
    void (*on_key)(void *ctx, int depth, const char *key, size_t len);
    void *ctx;
    /* filled by pl_json_check_text */
    const char *problem; /* why the text is not JSON; NULL when it is */
    size_t offset;       /* where the problem was found */
    size_t top_members;  /* members of the top-level object (repeats included) */
    size_t members;      /* members of every object (repeats included) */
    /* internal */
    const unsigned char *s;
    size_t len;
    char buf[48];
} pl_json_check;

/* True when text[0..len) is exactly one JSON value (whitespace around it allowed). */
bool pl_json_check_text(pl_json_check *c, const char *text, size_t len);

#endif
