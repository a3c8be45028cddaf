/*
 * test_fhir.c - the FHIR R4 mapping (src/fhir): which Observations become
 * which measurements (a table: LOINC code, value and unit in, analyte and
 * canonical value out, or not kept and why), blood-pressure panels split
 * into their components, decimals written back as written, Patients read
 * from Synthea's shape, refusals naming the FHIR path, and search dates.
 */
#include <stdio.h>
#include <string.h>

#include "test.h"

#include "core/measure.h"
#include "core/time.h"
#include "fhir/fhir.h"

static json_object *parse(const char *text)
{
    json_object *o = NULL;
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(fhir_parse(text, strlen(text), &o, &err), PL_OK);
    return o;
}

/* An Observation of one LOINC code and valueQuantity (value as JSON text). */
static json_object *obs(const char *code, const char *value, const char *unit)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{"
             "\"system\":\"http://loinc.org\",\"code\":\"%s\"}]},\"subject\":{\"reference\":"
             "\"Patient/1\"},\"effectiveDateTime\":\"2024-03-01T09:00:00+02:00\","
             "\"valueQuantity\":{\"value\":%s,\"unit\":\"%s\",\"system\":"
             "\"http://unitsofmeasure.org\",\"code\":\"%s\"}}",
             code, value, unit, unit);
    return parse(text);
}

static void test_observation_table(void **state)
{
    (void)state;
    static const struct {
        const char *code, *value, *unit;
        const char *analyte; /* NULL: not kept */
        double canonical;
    } rows[] = {
        {"4548-4", "7.50", "%", "hba1c", 7.5},
        {"59261-8", "58", "mmol/mol", "hba1c", 7.46},
        {"29463-7", "81.3", "kg", "weight", 81.3},
        {"8302-2", "172.5", "cm", "height", 172.5},
        {"39156-5", "27.4", "kg/m2", "bmi", 27.4},
        /* lipids as Synthea sends them, in mg/dL, kept in mmol/L */
        {"2093-3", "193.2", "mg/dL", "total_cholesterol", 4.996},
        {"18262-6", "101.0", "mg/dL", "ldl", 2.612},
        {"2085-9", "48.7", "mg/dL", "hdl", 1.259},
        {"2571-8", "140.1", "mg/dL", "triglycerides", 1.582},
        {"2085-9", "1.30", "mmol/L", "hdl", 1.30},
        {"72514-3", "2", "{score}", NULL, 0}, /* pain severity: not a peerlink measurement */
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        json_object *o = obs(rows[i].code, rows[i].value, rows[i].unit);
        pl_arena a;
        pl_arena_init(&a, 1 << 20);
        fhir_observation fo;
        pl_err err;
        pl_err_clear(&err);
        assert_int_equal(fhir_observation_from_json(o, &a, &fo, &err), PL_OK);
        if (!rows[i].analyte) {
            assert_non_null(fo.not_kept);
            assert_non_null(strstr(fo.not_kept, rows[i].code));
        } else {
            assert_null(fo.not_kept);
            assert_int_equal(fo.nm, 1);
            assert_string_equal(fo.m[0].entered_value, rows[i].value);
            fo.m[0].participant_id = 1;
            assert_int_equal(measurement_prepare(&fo.m[0], (pl_time)4102444800, &err), PL_OK);
            const measure_def *d = measure_def_find(rows[i].code);
            assert_non_null(d);
            if (strcmp(d->analyte, rows[i].analyte) != 0)
                fail_msg("%s: analyte %s, want %s", rows[i].code, d->analyte, rows[i].analyte);
            if (!(fo.m[0].value > rows[i].canonical - 0.01 &&
                  fo.m[0].value < rows[i].canonical + 0.01))
                fail_msg("%s %s %s: canonical %g, want %g", rows[i].code, rows[i].value,
                         rows[i].unit, fo.m[0].value, rows[i].canonical);
            /* 2024-03-01T09:00:00+02:00 is 07:00 UTC */
            char t[PL_TIME_STRLEN];
            pl_time_format(fo.m[0].effective_at, t);
            assert_string_equal(t, "2024-03-01T07:00:00Z");
            /* written back: the value exactly as entered */
            fo.m[0].id = 9;
            json_object *back = fhir_observation_json(&fo.m[0], PL_TIME_NONE);
            char want[64];
            snprintf(want, sizeof want, "\"value\":%s,", rows[i].value);
            assert_non_null(
                strstr(json_object_to_json_string_ext(back, JSON_C_TO_STRING_PLAIN), want));
            json_object_put(back);
        }
        pl_arena_free(&a);
        json_object_put(o);
    }
}

static void test_bp_panels(void **state)
{
    (void)state;
    static const char *const panels[] = {"85354-9", "55284-4"};
    for (int i = 0; i < 2; i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{"
                 "\"system\":\"http://loinc.org\",\"code\":\"%s\"}]},\"subject\":{\"reference\":"
                 "\"urn:uuid:x\"},\"effectiveDateTime\":\"2020-01-01T00:00:00Z\",\"component\":["
                 "{\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8462-4\"}]},"
                 "\"valueQuantity\":{\"value\":82,\"unit\":\"mm[Hg]\"}},"
                 "{\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8480-6\"}]},"
                 "\"valueQuantity\":{\"value\":131,\"unit\":\"mm[Hg]\"}}]}",
                 panels[i]);
        json_object *o = parse(text);
        pl_arena a;
        pl_arena_init(&a, 1 << 20);
        fhir_observation fo;
        pl_err err;
        pl_err_clear(&err);
        assert_int_equal(fhir_observation_from_json(o, &a, &fo, &err), PL_OK);
        assert_int_equal(fo.nm, 2);
        assert_string_equal(fo.m[0].code, "8462-4");
        assert_string_equal(fo.m[0].entered_value, "82");
        assert_string_equal(fo.m[1].code, "8480-6");
        assert_string_equal(fo.m[1].entered_value, "131");
        assert_string_equal(fo.subject, "urn:uuid:x");
        pl_arena_free(&a);
        json_object_put(o);
    }
}

static void test_refusals_name_the_path(void **state)
{
    (void)state;
    static const struct {
        const char *text, *field;
    } rows[] = {
        {"{\"resourceType\":\"Observation\",\"code\":{}}", "status"},
        {"{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":"
         "\"http://loinc.org\",\"code\":\"4548-4\"}]},\"subject\":{\"reference\":\"Patient/1\"},"
         "\"effectiveDateTime\":\"yesterday\",\"valueQuantity\":{\"value\":7}}",
         "effectiveDateTime"},
        {"{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":"
         "\"http://loinc.org\",\"code\":\"4548-4\"}]},\"subject\":{\"reference\":\"Patient/1\"},"
         "\"effectiveDateTime\":\"2020-01-01\",\"valueQuantity\":{\"value\":\"7\"}}",
         "valueQuantity.value"},
        {"{\"resourceType\":\"Patient\",\"gender\":\"f\"}", "gender"},
        {"{\"resourceType\":\"Patient\",\"birthDate\":\"1960\"}", "birthDate"},
        {"{\"resourceType\":\"Patient\",\"name\":[{\"given\":[1]}]}", "name.given"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        json_object *o = parse(rows[i].text);
        pl_arena a;
        pl_arena_init(&a, 1 << 20);
        pl_err err;
        pl_err_clear(&err);
        pl_status st;
        if (strcmp(fhir_resource_type(o), "Patient") == 0) {
            fhir_patient fp;
            st = fhir_patient_from_json(o, &a, &fp, &err);
        } else {
            fhir_observation fo;
            st = fhir_observation_from_json(o, &a, &fo, &err);
        }
        assert_int_equal(st, PL_INVALID);
        assert_true(err.nfields > 0);
        if (strcmp(err.fields[0].field, rows[i].field) != 0)
            fail_msg("row %zu: field %s, want %s", i, err.fields[0].field, rows[i].field);
        pl_arena_free(&a);
        json_object_put(o);
    }
    /* not JSON, repeated keys, no resourceType: PL_USAGE with the reason */
    static const char *const bad[] = {"{\"resourceType\":\"Patient\",", "[1]",
                                      "{\"resourceType\":\"Patient\",\"resourceType\":\"X\"}",
                                      "{\"id\":\"1\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_object *o = NULL;
        pl_err err;
        pl_err_clear(&err);
        assert_int_equal(fhir_parse(bad[i], strlen(bad[i]), &o, &err), PL_USAGE);
        assert_null(o);
        assert_true(err.message[0] != '\0');
    }
}

static void test_synthea_patient(void **state)
{
    (void)state;
    json_object *o = parse(
        "{\"resourceType\":\"Patient\",\"id\":\"abc\",\"identifier\":[{\"system\":"
        "\"https://github.com/synthetichealth/synthea\",\"value\":\"abc\"},{\"type\":{\"coding\":[{"
        "\"system\":\"http://terminology.hl7.org/CodeSystem/v2-0203\",\"code\":\"MR\"}]},"
        "\"system\":\"http://hospital.smarthealthit.org\",\"value\":\"m-1\"}],\"name\":[{\"use\":"
        "\"official\",\"family\":\"Purdy\",\"given\":[\"Emery\",\"J\"]}],\"telecom\":[{\"system\":"
        "\"phone\",\"value\":\"555-253-5563\"}],\"gender\":\"male\",\"birthDate\":\"1957-06-09\","
        "\"address\":[{\"line\":[\"1 Main St\"],\"city\":\"Boston\",\"state\":\"MA\"}],"
        "\"communication\":[{\"language\":{\"coding\":[{\"system\":\"urn:ietf:bcp:47\",\"code\":"
        "\"en-US\"}]}}]}");
    pl_arena a;
    pl_arena_init(&a, 1 << 20);
    fhir_patient fp;
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(fhir_patient_from_json(o, &a, &fp, &err), PL_OK);
    assert_string_equal(fp.id, "abc");
    assert_string_equal(fp.p.person.given_name, "Emery J");
    assert_string_equal(fp.p.person.family_name, "Purdy");
    assert_int_equal(fp.p.person.sex, PL_SEX_MALE);
    assert_string_equal(fp.p.mrn, "m-1");
    assert_string_equal(fp.p.person.language, "en"); /* en-US has no catalog; en has */
    assert_string_equal(fp.p.person.address, "1 Main St, Boston, MA");
    assert_int_equal(fp.nidents, 2);
    pl_arena_free(&a);
    json_object_put(o);
}

static void test_search_dates(void **state)
{
    (void)state;
    static const struct {
        const char *param, *prefix, *lo, *hi;
    } rows[] = {
        {"2024", "eq", "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"},
        {"ge2024-02", "ge", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"},
        {"lt2024-12-31", "lt", "2024-12-31T00:00:00Z", "2025-01-01T00:00:00Z"},
        {"ne2024-02-29T10:00:00Z", "ne", "2024-02-29T10:00:00Z", "2024-02-29T10:00:01Z"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char prefix[3], lo[PL_TIME_STRLEN], hi[PL_TIME_STRLEN];
        pl_time l, h;
        assert_int_equal(fhir_date_param(rows[i].param, prefix, &l, &h), PL_OK);
        pl_time_format(l, lo);
        pl_time_format(h, hi);
        assert_string_equal(prefix, rows[i].prefix);
        assert_string_equal(lo, rows[i].lo);
        assert_string_equal(hi, rows[i].hi);
    }
    char prefix[3];
    pl_time l, h;
    assert_int_equal(fhir_date_param("gt2024-13", prefix, &l, &h), PL_INVALID);
    assert_int_equal(fhir_date_param("soon", prefix, &l, &h), PL_INVALID);
}

PL_TEST_MAIN(cmocka_unit_test(test_observation_table), cmocka_unit_test(test_bp_panels),
             cmocka_unit_test(test_refusals_name_the_path), cmocka_unit_test(test_synthea_patient),
             cmocka_unit_test(test_search_dates))
