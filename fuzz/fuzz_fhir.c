/*
 * fuzz_fhir.c - libFuzzer harness for the FHIR JSON mapping (src/fhir/fhir.c).
 *
 * The input is one FHIR resource as the API receives it: a pointer and a
 * length, in a buffer of exactly that length. It goes through fhir_parse()
 * and, by its resourceType, fhir_patient_from_json() or
 * fhir_observation_from_json(). What callers rely on is checked, and any
 * break aborts:
 *
 * - fhir_parse answers PL_OK (an object with a resourceType) or PL_USAGE /
 *   PL_NOMEM with a message; a mapping answers PL_OK or PL_INVALID naming
 *   at least one field;
 * - an Observation kept gives 1 or 2 values, each with a code and the value
 *   as written; one not kept says why;
 * - a value that measurement_prepare() accepts, written back as FHIR and
 *   read again, keeps its code, its decimal text and its unit exactly;
 *   a Patient written back and read again keeps its names and birth date.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/measure.h"
#include "fhir/fhir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static json_object *reparse(json_object *o, pl_err *err)
{
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    json_object *back = NULL;
    if (fhir_parse(text, strlen(text), &back, err) != PL_OK)
        abort();
    return back;
}

static void observation(json_object *doc, pl_arena *a)
{
    fhir_observation fo;
    pl_err err;
    pl_err_clear(&err);
    pl_status st = fhir_observation_from_json(doc, a, &fo, &err);
    if (st == PL_INVALID) {
        if (err.nfields == 0)
            abort();
        return;
    }
    if (st != PL_OK)
        abort();
    if (fo.not_kept) {
        if (!*fo.not_kept)
            abort();
        return;
    }
    if (fo.nm < 1 || fo.nm > FHIR_OBS_VALUES_MAX || !fo.subject)
        abort();
    for (int i = 0; i < fo.nm; i++) {
        pl_measurement m = fo.m[i];
        if (!m.code || !m.entered_value)
            abort();
        m.participant_id = 1;
        pl_err_clear(&err);
        if (measurement_prepare(&m, (pl_time)4102444800, &err) != PL_OK)
            continue;
        m.id = 1;
        json_object *out = fhir_observation_json(&m, PL_TIME_NONE);
        json_object *back = reparse(out, &err);
        json_object_put(out);
        fhir_observation fb;
        pl_err_clear(&err);
        if (fhir_observation_from_json(back, a, &fb, &err) != PL_OK || fb.not_kept || fb.nm != 1 ||
            !same(fb.m[0].code, m.code) || !same(fb.m[0].entered_value, m.entered_value) ||
            !same(fb.m[0].entered_unit, m.entered_unit))
            abort();
        json_object_put(back);
    }
}

static void patient(json_object *doc, pl_arena *a)
{
    fhir_patient fp;
    pl_err err;
    pl_err_clear(&err);
    pl_status st = fhir_patient_from_json(doc, a, &fp, &err);
    if (st == PL_INVALID) {
        if (err.nfields == 0)
            abort();
        return;
    }
    if (st != PL_OK)
        abort();
    fp.p.id = 1;
    fp.p.version = 1;
    json_object *out = fhir_patient_json(&fp.p, NULL, 0, PL_TIME_NONE);
    json_object *back = reparse(out, &err);
    json_object_put(out);
    fhir_patient fb;
    pl_err_clear(&err);
    if (fhir_patient_from_json(back, a, &fb, &err) != PL_OK)
        abort();
    bool empty_given = !fp.p.person.given_name || !*fp.p.person.given_name;
    bool empty_family = !fp.p.person.family_name || !*fp.p.person.family_name;
    if ((!empty_given && !same(fb.p.person.given_name, fp.p.person.given_name)) ||
        (!empty_family && !same(fb.p.person.family_name, fp.p.person.family_name)) ||
        fb.p.person.birth_date != fp.p.person.birth_date)
        abort();
    json_object_put(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    json_object *doc = NULL;
    pl_err err;
    pl_err_clear(&err);
    pl_status st = fhir_parse(text, size, &doc, &err);
    if (st != PL_OK) {
        if ((st != PL_USAGE && st != PL_NOMEM) || !err.message[0] || doc)
            abort();
        free(text);
        return 0;
    }
    pl_arena a;
    pl_arena_init(&a, 1u << 22);
    const char *type = fhir_resource_type(doc);
    if (strcmp(type, "Observation") == 0)
        observation(doc, &a);
    else if (strcmp(type, "Patient") == 0)
        patient(doc, &a);
    pl_arena_free(&a);
    json_object_put(doc);
    free(text);
    return 0;
}
