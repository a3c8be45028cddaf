/*
 * test_http_body.c - request bodies against a schema (src/http/body.c).
 *
 * Most cases live in tests/data/body_cases.tsv: one row per request
 * (content type, body bytes) with the status a client gets back and the
 * field error or message it reads. They run against the schema "Sample"
 * below, which holds one field of every type. One loop checks every row
 * and names each failing row by its line number; the functions after it
 * check what a table cannot say well: the parsed object handed back, the
 * error record's limits, and that only `len` bytes are read.
 */
#include <string.h>

#include "test.h"

#include "http/body.h"

static const char *const sample_modes[] = {"phone", "text", NULL};
static const http_field sample_fields[] = {
    {"name", HTTP_F_STRING, true, false, 0, 20, NULL},
    {"alias", HTTP_F_STRING, false, true, 0, 0, NULL},
    {"note", HTTP_F_TEXT, false, true, 0, 100, NULL},
    {"minutes", HTTP_F_INT, true, false, 1, 600, NULL},
    {"count", HTTP_F_INT, false, true, 0, 0, NULL},
    {"participant_id", HTTP_F_ID, true, false, 0, 0, NULL},
    {"proactive", HTTP_F_BOOL, false, false, 0, 0, NULL},
    {"follow_up_date", HTTP_F_DATE, false, true, 0, 0, NULL},
    {"occurred_at", HTTP_F_TIME, false, false, 0, 0, NULL},
    {"value", HTTP_F_DECIMAL, false, false, 0, 0, NULL},
    {"topics", HTTP_F_STRINGS, false, true, 0, 0, NULL},
    {"mode", HTTP_F_STRING, false, false, 0, 20, sample_modes},
    {"modes", HTTP_F_STRINGS, false, false, 0, 0, sample_modes},
    {"answers", HTTP_F_INTS, false, false, -1, 10, NULL},
    {NULL, HTTP_F_STRING, false, false, 0, 0, NULL},
};
static const http_body_schema sample = {"Sample", sample_fields};

#define JSON  "application/json"
#define NCOLS 7

enum { C_TYPE, C_BODY, C_STATUS, C_NFIELDS, C_FIELD, C_MSG, C_NOTE };
static const char *const header[] = {"content_type", "body",    "status", "nfields",
                                     "field",        "message", "note"};

/* Splits line in place on tabs; returns the number of columns. */
static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Decodes a cell in place: "NULL" is NULL, "\"\"" is empty, \xHH a raw byte.
 * Returns the bytes (maybe holding NULs) and their count in *len; *bad on a broken escape.
 */
static const char *decode_cell(char *s, size_t *len, bool *bad)
{
    *bad = false;
    *len = 0;
    if (strcmp(s, "NULL") == 0)
        return NULL;
    if (strcmp(s, "\"\"") == 0)
        return "";
    size_t n = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '\\' && s[i + 1] == 'x') {
            int hi = s[i + 2] ? hex(s[i + 2]) : -1;
            int lo = hi >= 0 && s[i + 3] ? hex(s[i + 3]) : -1;
            if (lo < 0) {
                *bad = true;
                return s;
            }
            s[n++] = (char)(hi * 16 + lo);
            i += 3;
        } else {
            s[n++] = s[i];
        }
    }
    s[n] = '\0'; /* for cells used as strings; bodies use *len */
    *len = n;
    return s;
}

/* The text json-c gives for a member of an accepted object ("null" for JSON null). */
static const char *member_text(json_object *obj, const char *field)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, field, &v))
        return "(absent)";
    return v ? json_object_get_string(v) : "null";
}

/* Checks one data row; returns false (after saying why) when it fails. */
static bool check_row(int lineno, char **col)
{
    size_t ct_len, body_len;
    bool bad_ct, bad_body;
    const char *ct = decode_cell(col[C_TYPE], &ct_len, &bad_ct);
    const char *body = decode_cell(col[C_BODY], &body_len, &bad_body);
    char *end;
    long want = strtol(col[C_STATUS], &end, 10);
    if (bad_ct || bad_body || *end || (want != 0 && want != 400 && want != 415 && want != 422)) {
        printf("# line %d: bad escape or status column\n", lineno);
        return false;
    }
    long want_nfields = -1;
    if (strcmp(col[C_NFIELDS], "-") != 0) {
        want_nfields = strtol(col[C_NFIELDS], &end, 10);
        if (*end || want_nfields < 0) {
            printf("# line %d: bad nfields column '%s'\n", lineno, col[C_NFIELDS]);
            return false;
        }
    }
    const char *field = col[C_FIELD];
    size_t msg_len;
    bool bad_msg;
    const char *msg = decode_cell(col[C_MSG], &msg_len, &bad_msg);
    if (bad_msg || !msg) {
        printf("# line %d: bad message column\n", lineno);
        return false;
    }

    /* a copy exactly body_len long, so reading past it is caught by ASan */
    char *copy = NULL;
    if (body) {
        copy = malloc(body_len ? body_len : 1);
        assert_non_null(copy);
        memcpy(copy, body, body_len);
    }
    json_object *obj = (json_object *)&obj; /* must be overwritten */
    pl_err err;
    memset(&err, 0x5a, sizeof err); /* must be cleared */
    int got = http_body_check(&sample, ct, copy, body_len, &obj, &err);
    free(copy);

    bool ok = true;
    if (got != want) {
        printf("# line %d: status %d, want %ld\n", lineno, got, want);
        ok = false;
    }
    if (want_nfields >= 0 && err.nfields != want_nfields) {
        printf("# line %d: %d field errors, want %ld\n", lineno, err.nfields, want_nfields);
        ok = false;
    }
    if (got != 0) {
        if (obj != NULL) {
            printf("# line %d: refused, but *out is not NULL\n", lineno);
            ok = false;
            obj = NULL;
        }
        if (!err.message[0] || err.status != PL_INVALID) {
            printf("# line %d: refused without a message\n", lineno);
            ok = false;
        }
    }
    if (want != 0 && strcmp(field, "-") == 0 && !strstr(err.message, msg)) {
        printf("# line %d: message does not contain \"%s\"\n", lineno, msg);
        ok = false;
    }
    if (want != 0 && strcmp(field, "-") != 0 && !test_field_error(&err, field, msg)) {
        printf("# line %d: no error on '%s' containing \"%s\"\n", lineno, field, msg);
        ok = false;
    }
    if (want == 0 && got == 0) {
        if (!obj || !json_object_is_type(obj, json_type_object)) {
            printf("# line %d: accepted, but no object handed back\n", lineno);
            ok = false;
        } else if (strcmp(field, "-") != 0 && strcmp(member_text(obj, field), msg) != 0) {
            printf("# line %d: %s reads back as '%s', want '%s'\n", lineno, field,
                   member_text(obj, field), msg);
            ok = false;
        }
    }
    if (!ok)
        test_dump_err(&err);
    if (got == 0)
        json_object_put(obj);
    return ok;
}

static void test_body_cases_table(void **state)
{
    test_table t;
    test_table_open(&t, "body_cases.tsv", header, NCOLS);
    int lineno = 0, rows = 0, failures = 0;
    int by_status[4] = {0}; /* 0, 400, 415, 422 */
    char *col[NCOLS];
    int ncols;
    while ((ncols = test_table_next(&t, col, NCOLS)) >= 0) {
        lineno = t.lineno;
        if (ncols < C_MSG + 1) {
            printf("# line %d: %d columns, want at least %d\n", lineno, ncols, C_MSG + 1);
            failures++;
            continue;
        }
        rows++;
        long st = strtol(col[C_STATUS], NULL, 10);
        by_status[st == 0 ? 0 : st == 400 ? 1 : st == 415 ? 2 : 3]++;
        if (!check_row(lineno, col))
            failures++;
    }
    test_table_close(&t);
    printf("# %d rows checked (%d accepted, %d 400, %d 415, %d 422), %d failed\n", rows,
           by_status[0], by_status[1], by_status[2], by_status[3], failures);
    assert_true(rows >= 200);
    for (int i = 0; i < 4; i++)
        assert_true(by_status[i] >= 10);
    assert_int_equal(failures, 0);
}

/* ---- what the table cannot say ------------------------------------------ */

static int check(const char *body, json_object **out, pl_err *err)
{
    return http_body_check(&sample, JSON, body, strlen(body), out, err);
}

static void test_accepted_object_is_handed_back(void **state)
{
    json_object *obj = NULL, *v;
    pl_err err;
    const char *body = "{\"name\":\"Ana\",\"minutes\":20,\"participant_id\":7,\"value\":7.50,"
                       "\"topics\":[\"monitoring\",\"family\"],\"note\":null,\"proactive\":true}";
    assert_int_equal(check(body, &obj, &err), 0);
    assert_non_null(obj);
    assert_int_equal(err.nfields, 0);
    assert_int_equal(err.status, PL_OK);

    assert_true(json_object_object_get_ex(obj, "minutes", &v));
    assert_int_equal(json_object_get_int64(v), 20);
    assert_true(json_object_object_get_ex(obj, "participant_id", &v));
    assert_int_equal(json_object_get_int64(v), 7);
    assert_true(json_object_object_get_ex(obj, "value", &v));
    assert_string_equal(json_object_get_string(v), "7.50");
    assert_true(json_object_object_get_ex(obj, "topics", &v));
    assert_int_equal(json_object_array_length(v), 2);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 1)), "family");
    assert_true(json_object_object_get_ex(obj, "note", &v));
    assert_null(v);
    assert_true(json_object_object_get_ex(obj, "proactive", &v));
    assert_true(json_object_get_boolean(v));
    json_object_put(obj);
}

static void test_only_len_bytes_are_read(void **state)
{
    const char *text = "{\"name\":\"Ana\",\"minutes\":20,\"participant_id\":7} trailing junk";
    size_t len = strlen("{\"name\":\"Ana\",\"minutes\":20,\"participant_id\":7}");
    json_object *obj = NULL;
    pl_err err;
    assert_int_equal(http_body_check(&sample, JSON, text, len, &obj, &err), 0);
    json_object_put(obj);
    /* and a length short of the closing brace is incomplete JSON */
    assert_int_equal(http_body_check(&sample, JSON, text, len - 1, &obj, &err), 400);
    assert_null(obj);
    assert_non_null(strstr(err.message, "unexpected end"));
}

static void test_many_problems_are_truncated_not_lost(void **state)
{
    /* 40 unknown fields: 32 listed, the record marked truncated, still 400 */
    char body[2048];
    int n = snprintf(body, sizeof body, "{\"name\":\"Ana\",\"minutes\":20,\"participant_id\":7");
    for (int i = 0; i < 40; i++)
        n += snprintf(body + n, sizeof body - (size_t)n, ",\"extra%d\":%d", i, i);
    snprintf(body + n, sizeof body - (size_t)n, "}");
    json_object *obj = NULL;
    pl_err err;
    assert_int_equal(check(body, &obj, &err), 400);
    assert_null(obj);
    assert_int_equal(err.nfields, PL_ERR_FIELDS_MAX);
    assert_true(err.truncated);
    assert_string_equal(err.fields[0].field, "extra0");
    assert_string_equal(err.fields[31].field, "extra31");

    /* 35 wrong fields and items: 32 listed, truncated, and 422 since nothing is structural */
    n = snprintf(body, sizeof body, "{\"name\":1,\"minutes\":0,\"participant_id\":0,\"topics\":[0");
    for (int i = 1; i < 32; i++)
        n += snprintf(body + n, sizeof body - (size_t)n, ",%d", i);
    snprintf(body + n, sizeof body - (size_t)n, "]}");
    assert_int_equal(check(body, &obj, &err), 422);
    assert_null(obj);
    assert_int_equal(err.nfields, PL_ERR_FIELDS_MAX);
    assert_true(err.truncated);
    assert_string_equal(err.fields[0].field, "name");
    assert_string_equal(err.fields[3].field, "topics[0]");
}

static void test_errors_are_reset_between_calls(void **state)
{
    json_object *obj = NULL;
    pl_err err;
    assert_int_equal(check("{\"bogus\":1}", &obj, &err), 400);
    assert_true(err.nfields > 0);
    assert_int_equal(check("{\"name\":\"Ana\",\"minutes\":20,\"participant_id\":7}", &obj, &err),
                     0);
    assert_int_equal(err.nfields, 0);
    assert_int_equal(err.message[0], '\0');
    json_object_put(obj);
}

static void test_schema_without_fields(void **state)
{
    static const http_field none[] = {{NULL, HTTP_F_STRING, false, false, 0, 0, NULL}};
    static const http_body_schema empty = {"Empty", none};
    json_object *obj = NULL;
    pl_err err;
    assert_int_equal(http_body_check(&empty, JSON, "{}", 2, &obj, &err), 0);
    assert_non_null(obj);
    json_object_put(obj);
    assert_int_equal(http_body_check(&empty, JSON, "{\"a\":1}", 7, &obj, &err), 400);
    assert_true(test_field_error(&err, "a", "is not a field of Empty"));
    /* NULL schema: the same, under a generic name */
    assert_int_equal(http_body_check(NULL, JSON, "{\"a\":1}", 7, &obj, &err), 400);
    assert_true(test_field_error(&err, "a", "is not a field of this request"));
}

static void test_large_valid_body(void **state)
{
    /* 1 MiB, mostly whitespace around one object: no limit of its own below the server's */
    size_t size = 1 << 20;
    char *body = malloc(size);
    assert_non_null(body);
    memset(body, ' ', size);
    const char *obj_text = "{\"name\":\"Ana\",\"minutes\":20,\"participant_id\":7}";
    memcpy(body + size / 2, obj_text, strlen(obj_text));
    json_object *obj = NULL;
    pl_err err;
    assert_int_equal(http_body_check(&sample, JSON, body, size, &obj, &err), 0);
    json_object_put(obj);
    free(body);
}

/* ---- arrays of objects (HTTP_F_OBJECTS) ----------------------------------- */

static const char *const roll_statuses[] = {"attended", "absent", NULL};
static const http_field roll_item[] = {
    {"participant_id", HTTP_F_ID, true, false, 0, 0, NULL},
    {"status", HTTP_F_STRING, true, false, 0, 20, roll_statuses},
    {"note", HTTP_F_TEXT, false, true, 0, 10, NULL},
    {NULL, HTTP_F_STRING, false, false, 0, 0, NULL},
};
static const http_field roll_fields[] = {
    {"roll", HTTP_F_OBJECTS, true, false, 0, 3, HTTP_ITEMS(roll_item)},
    {NULL, HTTP_F_STRING, false, false, 0, 0, NULL},
};
static const http_body_schema roll = {"Roll", roll_fields};

static int check_roll(const char *body, pl_err *err)
{
    json_object *obj = NULL;
    int st = http_body_check(&roll, JSON, body, strlen(body), &obj, err);
    json_object_put(obj);
    return st;
}

static void test_array_of_objects(void **state)
{
    pl_err err;
    assert_int_equal(check_roll("{\"roll\":[]}", &err), 0);
    assert_int_equal(check_roll("{\"roll\":[{\"participant_id\":3,\"status\":\"absent\"},"
                                "{\"participant_id\":4,\"status\":\"attended\",\"note\":null}]}",
                                &err),
                     0);
    /* each problem named by its item and field, all at once, 422 */
    assert_int_equal(check_roll("{\"roll\":[{\"participant_id\":0,\"status\":\"late\"},"
                                "{\"status\":\"absent\",\"extra\":1},7]}",
                                &err),
                     422);
    assert_true(test_field_error(&err, "roll[0].participant_id", "positive"));
    assert_true(test_field_error(&err, "roll[0].status", "attended, absent"));
    assert_true(test_field_error(&err, "roll[1].participant_id", "is required"));
    assert_true(test_field_error(&err, "roll[1].extra", "is not a field"));
    assert_true(test_field_error(&err, "roll[2]", "must be an object"));
    assert_int_equal(err.nfields, 5);
    assert_int_equal(check_roll("{\"roll\":[null]}", &err), 422);
    assert_true(test_field_error(&err, "roll[0]", "must be an object"));
    /* the array's own rules: type and the item ceiling (max) */
    assert_int_equal(check_roll("{\"roll\":{}}", &err), 422);
    assert_true(test_field_error(&err, "roll", "array of objects"));
    assert_int_equal(check_roll("{\"roll\":[{},{},{},{}]}", &err), 422);
    assert_true(test_field_error(&err, "roll", "at most 3 items"));
    assert_int_equal(check_roll("{\"roll\":[{\"participant_id\":1,\"status\":\"absent\","
                                "\"note\":\"much too long\"}]}",
                                &err),
                     422);
    assert_true(test_field_error(&err, "roll[0].note", "at most 10 bytes"));
}

PL_TEST_MAIN(cmocka_unit_test(test_body_cases_table), cmocka_unit_test(test_array_of_objects),
             cmocka_unit_test(test_accepted_object_is_handed_back),
             cmocka_unit_test(test_only_len_bytes_are_read),
             cmocka_unit_test(test_many_problems_are_truncated_not_lost),
             cmocka_unit_test(test_errors_are_reset_between_calls),
             cmocka_unit_test(test_schema_without_fields), cmocka_unit_test(test_large_valid_body))
