/*
 * fuzz_fhir_encounter.c - libFuzzer harness for the FHIR Encounter reader
 * (fhir_encounter_from_json, src/fhir/fhir_entities.c).
 *
 * The input is one FHIR resource as POST/PUT /fhir/Encounter receive it: a
 * pointer and a length, in a buffer of exactly that length, through
 * fhir_parse() and then the Encounter reader. What callers rely on is
 * checked, and any break aborts:
 *
 * - fhir_parse answers PL_OK or PL_USAGE / PL_NOMEM with a message; the
 *   reader answers PL_OK or PL_INVALID naming at least one field;
 * - an accepted Encounter has a subject reference, a start time, 1-600
 *   minutes, a known mode and at least one key function;
 * - one that contact_validate() also accepts, written back as FHIR
 *   (fhir_encounter_json) and read again, keeps its mode, key functions,
 *   topics, start time and minutes exactly (the mapping round-trips).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fhir/fhir.h"
#include "fhir/fhir_entities.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void encounter(json_object *doc, pl_arena *a)
{
    fhir_encounter fe;
    pl_err err;
    pl_err_clear(&err);
    pl_status st = fhir_encounter_from_json(doc, a, &fe, &err);
    if (st == PL_INVALID) {
        if (err.nfields == 0)
            abort();
        return;
    }
    if (st != PL_OK || !fe.subject || fe.c.occurred_at == PL_TIME_NONE || fe.c.minutes < 1 ||
        fe.c.minutes > 600 || fe.c.mode >= PL_MODE__COUNT || !fe.c.key_functions)
        abort();
    pl_contact c = fe.c;
    c.id = 1;
    c.program_id = 1;
    c.participant_id = 1;
    c.peer_leader_id = 1;
    pl_err_clear(&err);
    if (contact_validate(&c, 0xFFF0u, (pl_time)4102444800, &err) != PL_OK)
        return;
    fhir_encounter_view v = {1, PL_TIME_NONE, 1, "A Leader"};
    json_object *out = fhir_encounter_json(&c, &v);
    const char *text = json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN);
    json_object *back = NULL;
    pl_err_clear(&err);
    if (fhir_parse(text, strlen(text), &back, &err) != PL_OK)
        abort();
    json_object_put(out);
    fhir_encounter fb;
    pl_err_clear(&err);
    if (fhir_encounter_from_json(back, a, &fb, &err) != PL_OK || fb.c.mode != c.mode ||
        fb.c.key_functions != c.key_functions || fb.c.topics != c.topics ||
        fb.c.occurred_at != c.occurred_at || fb.c.minutes != c.minutes || !fb.practitioner)
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
    encounter(doc, &a);
    pl_arena_free(&a);
    json_object_put(doc);
    free(text);
    return 0;
}
