/*
 * fuzz_fhir_bundle.c - libFuzzer harness for the Bundle entry reader
 * (src/fhir/fhir_bundle.c: fhir_bundle_entry_read, fhir_bundle_etag).
 *
 * The input is one Bundle (or a bare entry) as POST /fhir receives it, in a
 * buffer of exactly its length. It goes through fhir_parse(); then each
 * element of "entry" (or the document itself when it has no entry array) is
 * read. What callers rely on is checked, and any break aborts:
 *
 * - the answer is PL_OK, or PL_INVALID naming at least one field;
 * - an entry read has a resource object, a non-empty type, if_match -1 or
 *   at least 0; a target only for PUT of Patient, Encounter or Task, and
 *   every PUT of Encounter or Task has one; a kept entry (not_kept NULL) is
 *   of a type peerlink keeps;
 * - fhir_bundle_etag of the ETag written back from if_match gives it again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fhir/fhir.h"
#include "fhir/fhir_bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool kept_type(const char *t)
{
    static const char *const kept[] = {
        "Patient", "Observation", "Encounter", "QuestionnaireResponse", "ServiceRequest", "Task"};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        if (strcmp(t, kept[i]) == 0)
            return true;
    return false;
}

static void one(json_object *entry, pl_arena *a)
{
    fhir_bundle_entry be;
    pl_err err;
    pl_err_clear(&err);
    pl_status st = fhir_bundle_entry_read(entry, a, &be, &err);
    if (st != PL_OK) {
        if (st != PL_INVALID || err.nfields == 0)
            abort();
        return;
    }
    if (!be.resource || !json_object_is_type(be.resource, json_type_object) || !be.type ||
        !*be.type || be.if_match < -1)
        abort();
    bool puttable = strcmp(be.type, "Patient") == 0 || strcmp(be.type, "Encounter") == 0 ||
                    strcmp(be.type, "Task") == 0;
    if (be.target && (!be.put || !puttable || be.target < 0))
        abort();
    if (be.put && !be.target && (strcmp(be.type, "Encounter") == 0 || strcmp(be.type, "Task") == 0))
        abort();
    if (!be.not_kept && !kept_type(be.type))
        abort();
    if (be.if_match >= 0) {
        char tag[24];
        snprintf(tag, sizeof tag, "W/\"%d\"", be.if_match);
        if (fhir_bundle_etag(tag) != be.if_match)
            abort();
    }
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
    if (fhir_parse(text, size, &doc, &err) != PL_OK) {
        free(text);
        return 0;
    }
    pl_arena a;
    pl_arena_init(&a, 1u << 22);
    json_object *entries;
    if (json_object_object_get_ex(doc, "entry", &entries) &&
        json_object_is_type(entries, json_type_array)) {
        size_t n = json_object_array_length(entries);
        for (size_t i = 0; i < n && i < 64; i++)
            one(json_object_array_get_idx(entries, i), &a);
    } else {
        one(doc, &a);
    }
    pl_arena_free(&a);
    json_object_put(doc);
    free(text);
    return 0;
}
