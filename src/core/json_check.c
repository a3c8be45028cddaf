/*
 * json_check.c - the RFC 8259 syntax checker of json_check.h: one
 * recursive-descent pass over the bytes, refusing what the grammar
 * refuses (and what json-c would wrongly accept), limiting nesting, and
 * counting object members.
 */
#include "json_check.h"

#include <stdio.h>
#include <string.h>

static bool fail(pl_json_check *c, size_t pos, const char *problem)
{
    c->problem = problem;
    c->offset = pos;
    return false;
}

static void skip_ws(const pl_json_check *c, size_t *pos)
{
    while (*pos < c->len) {
        unsigned char ch = c->s[*pos];
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r')
            break;
        (*pos)++;
    }
}

static int hex_value(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Reads a \u escape with its four hex digits at pos (the backslash); -1 when malformed. */
static long read_u_escape(const pl_json_check *c, size_t pos)
{
    if (pos + 6 > c->len || c->s[pos] != '\\' || c->s[pos + 1] != 'u')
        return -1;
    long v = 0;
    for (size_t i = pos + 2; i < pos + 6; i++) {
        int h = hex_value(c->s[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* One UTF-8 sequence at pos (lead byte >= 0x80): its length, or 0 when invalid. */
static size_t utf8_length(const pl_json_check *c, size_t pos)
{
    const unsigned char *p = c->s + pos;
    size_t left = c->len - pos;
    unsigned char ch = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (ch >= 0xC2 && ch <= 0xDF) {
        n = 2;
    } else if (ch >= 0xE0 && ch <= 0xEF) {
        n = 3;
        if (ch == 0xE0)
            lo = 0xA0; /* overlong */
        else if (ch == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (ch >= 0xF0 && ch <= 0xF4) {
        n = 4;
        if (ch == 0xF0)
            lo = 0x90; /* overlong */
        else if (ch == 0xF4)
            hi = 0x8F; /* past U+10FFFF */
    } else {
        return 0;
    }
    if (left < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

static bool scan_string(pl_json_check *c, size_t *pos)
{
    (*pos)++; /* the opening quote */
    for (;;) {
        if (*pos >= c->len)
            return fail(c, *pos, "unterminated string");
        unsigned char ch = c->s[*pos];
        if (ch == '"') {
            (*pos)++;
            return true;
        }
        if (ch < 0x20)
            return fail(c, *pos, "control character in a string (escape it)");
        if (ch >= 0x80) {
            size_t n = utf8_length(c, *pos);
            if (n == 0)
                return fail(c, *pos, "invalid UTF-8");
            *pos += n;
            continue;
        }
        if (ch != '\\') {
            (*pos)++;
            continue;
        }
        if (*pos + 1 >= c->len)
            return fail(c, *pos, "unterminated string");
        unsigned char e = c->s[*pos + 1];
        if (e != 'u') {
            if (e == '\0' || !strchr("\"\\/bfnrt", e))
                return fail(c, *pos, "invalid escape in a string");
            *pos += 2;
            continue;
        }
        long u = read_u_escape(c, *pos);
        if (u < 0)
            return fail(c, *pos, "invalid \\u escape");
        if (u >= 0xDC00 && u <= 0xDFFF)
            return fail(c, *pos, "unpaired surrogate in a \\u escape");
        if (u >= 0xD800 && u <= 0xDBFF) {
            long low = read_u_escape(c, *pos + 6);
            if (low < 0xDC00 || low > 0xDFFF)
                return fail(c, *pos, "unpaired surrogate in a \\u escape");
            *pos += 6;
        }
        *pos += 6;
    }
}

static bool scan_digits(const pl_json_check *c, size_t *pos)
{
    size_t start = *pos;
    while (*pos < c->len && c->s[*pos] >= '0' && c->s[*pos] <= '9')
        (*pos)++;
    return *pos > start;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool scan_number(pl_json_check *c, size_t *pos)
{
    if (c->s[*pos] == '-')
        (*pos)++;
    if (*pos < c->len && c->s[*pos] == '0') {
        (*pos)++;
    } else if (!scan_digits(c, pos)) {
        return fail(c, *pos, "invalid number");
    }
    if (*pos < c->len && c->s[*pos] == '.') {
        (*pos)++;
        if (!scan_digits(c, pos))
            return fail(c, *pos, "invalid number");
    }
    if (*pos < c->len && (c->s[*pos] == 'e' || c->s[*pos] == 'E')) {
        (*pos)++;
        if (*pos < c->len && (c->s[*pos] == '+' || c->s[*pos] == '-'))
            (*pos)++;
        if (!scan_digits(c, pos))
            return fail(c, *pos, "invalid number");
    }
    if (*pos < c->len && c->s[*pos] >= '0' && c->s[*pos] <= '9')
        return fail(c, *pos, "invalid number");
    return true;
}

static bool scan_literal(pl_json_check *c, size_t *pos, const char *word)
{
    size_t n = strlen(word);
    if (c->len - *pos < n || memcmp(c->s + *pos, word, n) != 0)
        return fail(c, *pos, "unexpected character");
    *pos += n;
    return true;
}

static bool too_deep(pl_json_check *c, size_t pos)
{
    snprintf(c->buf, sizeof c->buf, "nested more than %d levels deep", c->max_depth);
    return fail(c, pos, c->buf);
}

static bool scan_value(pl_json_check *c, size_t *pos, int depth);

static bool scan_object(pl_json_check *c, size_t *pos, int depth)
{
    if (depth > c->max_depth)
        return too_deep(c, *pos);
    (*pos)++;
    skip_ws(c, pos);
    if (*pos < c->len && c->s[*pos] == '}') {
        (*pos)++;
        return true;
    }
    for (;;) {
        skip_ws(c, pos);
        if (*pos >= c->len || c->s[*pos] != '"')
            return fail(c, *pos,
                        *pos >= c->len ? "unexpected end" : "expected a quoted field name");
        size_t key_start = *pos;
        if (!scan_string(c, pos))
            return false;
        c->members++;
        if (depth == 1)
            c->top_members++;
        if (c->on_key)
            c->on_key(c->ctx, depth, (const char *)c->s + key_start, *pos - key_start);
        skip_ws(c, pos);
        if (*pos >= c->len || c->s[*pos] != ':')
            return fail(c, *pos, *pos >= c->len ? "unexpected end" : "expected ':'");
        (*pos)++;
        if (!scan_value(c, pos, depth))
            return false;
        skip_ws(c, pos);
        if (*pos >= c->len)
            return fail(c, *pos, "unexpected end");
        unsigned char ch = c->s[(*pos)++];
        if (ch == '}')
            return true;
        if (ch != ',')
            return fail(c, *pos - 1, "expected ',' or '}'");
    }
}

static bool scan_array(pl_json_check *c, size_t *pos, int depth)
{
    if (depth > c->max_depth)
        return too_deep(c, *pos);
    (*pos)++;
    skip_ws(c, pos);
    if (*pos < c->len && c->s[*pos] == ']') {
        (*pos)++;
        return true;
    }
    for (;;) {
        if (!scan_value(c, pos, depth))
            return false;
        skip_ws(c, pos);
        if (*pos >= c->len)
            return fail(c, *pos, "unexpected end");
        unsigned char ch = c->s[(*pos)++];
        if (ch == ']')
            return true;
        if (ch != ',')
            return fail(c, *pos - 1, "expected ',' or ']'");
    }
}

static bool scan_value(pl_json_check *c, size_t *pos, int depth)
{
    skip_ws(c, pos);
    if (*pos >= c->len)
        return fail(c, *pos, "unexpected end");
    unsigned char ch = c->s[*pos];
    switch (ch) {
    case '{':
        return scan_object(c, pos, depth + 1);
    case '[':
        return scan_array(c, pos, depth + 1);
    case '"':
        return scan_string(c, pos);
    case 't':
        return scan_literal(c, pos, "true");
    case 'f':
        return scan_literal(c, pos, "false");
    case 'n':
        return scan_literal(c, pos, "null");
    default:
        if (ch == '-' || (ch >= '0' && ch <= '9'))
            return scan_number(c, pos);
        return fail(c, *pos, "unexpected character");
    }
}

bool pl_json_check_text(pl_json_check *c, const char *text, size_t len)
{
    c->problem = NULL;
    c->offset = 0;
    c->top_members = c->members = 0;
    c->s = (const unsigned char *)(text ? text : "");
    c->len = text ? len : 0;
    size_t pos = 0;
    if (!scan_value(c, &pos, 0))
        return false;
    skip_ws(c, &pos);
    if (pos != c->len)
        return fail(c, pos, "unexpected data after the JSON value");
    return true;
}
