/*
 * fuzz_hsds.c - libFuzzer harness for the HSDS reader and writer
 * (src/hsds/hsds.c).
 *
 * The input is one HSDS document, handed over as the API and the CLI do: a
 * pointer and a length, in a buffer of exactly that length so
 * AddressSanitizer catches a read past it. What callers rely on is
 * checked, and any break aborts:
 *
 * - the answer is PL_OK, PL_USAGE, PL_INVALID or PL_LIMIT, with a message
 *   when it is not PL_OK; PL_INVALID names at least one field;
 * - an accepted document gives entities with valid ids (1-64 bytes), each
 *   id once per kind, services with a name, a known status and an
 *   organization, service_at_locations with a service and a location, and
 *   no list longer than STORE_RSC_MAX_CHILDREN;
 * - when every attribute's term is in the document, the export of what was
 *   read is read again without a problem, nothing ignored, and exports to
 *   the same text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hsds/hsds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_id(const char *id)
{
    if (!id || strlen(id) < 1 || strlen(id) > 64)
        abort();
}

static bool has_term(const store_rsc_dir *d, const char *id)
{
    for (int i = 0; i < d->nterms; i++)
        if (strcmp(d->terms[i].hsds_id, id) == 0)
            return true;
    return false;
}

/* The invariants of an accepted document; true when its terms are all in it. */
static bool check_dir(const store_rsc_dir *d)
{
    bool terms_complete = true;
    for (int i = 0; i < d->norgs; i++) {
        check_id(d->orgs[i].hsds_id);
        if (!d->orgs[i].name || d->orgs[i].nphones > STORE_RSC_MAX_CHILDREN)
            abort();
        for (int k = 0; k < i; k++)
            if (strcmp(d->orgs[k].hsds_id, d->orgs[i].hsds_id) == 0)
                abort();
    }
    for (int i = 0; i < d->nlocations; i++) {
        const store_rsc_location *l = &d->locations[i];
        check_id(l->hsds_id);
        if (!l->location_type || l->naddresses > STORE_RSC_MAX_CHILDREN)
            abort();
        if (l->has_coordinates &&
            (l->latitude < -90 || l->latitude > 90 || l->longitude < -180 || l->longitude > 180))
            abort();
    }
    for (int i = 0; i < d->nservices; i++) {
        const store_rsc_service *s = &d->services[i];
        check_id(s->hsds_id);
        check_id(s->organization_hsds_id);
        if (!s->name || !s->status ||
            (strcmp(s->status, "active") != 0 && strcmp(s->status, "inactive") != 0 &&
             strcmp(s->status, "defunct") != 0 && strcmp(s->status, "temporarily closed") != 0))
            abort();
        if (s->nattributes > STORE_RSC_MAX_CHILDREN || s->nphones > STORE_RSC_MAX_CHILDREN)
            abort();
        for (int k = 0; k < s->nattributes; k++) {
            check_id(s->attributes[k].term.hsds_id);
            terms_complete = terms_complete && has_term(d, s->attributes[k].term.hsds_id);
        }
    }
    for (int i = 0; i < d->nsals; i++) {
        check_id(d->sals[i].hsds_id);
        check_id(d->sals[i].service_hsds_id);
        check_id(d->sals[i].location_hsds_id);
    }
    for (int i = 0; i < d->nterms; i++)
        if (!d->terms[i].name)
            abort();
    return terms_complete;
}

static char *export_text(const store_rsc_dir *d)
{
    json_object *doc = hsds_export(d);
    if (!doc)
        abort();
    char *text = strdup(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN));
    json_object_put(doc);
    if (!text)
        abort();
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    pl_arena a;
    pl_arena_init(&a, 64u * 1024 * 1024);
    hsds_import im;
    hsds_import_init(&im, &a);
    pl_err err;
    pl_err_clear(&err);
    pl_status st = hsds_import_add(&im, text, size, &err);
    switch (st) {
    case PL_OK:
        if (err.nfields != 0)
            abort();
        break;
    case PL_INVALID:
        if (err.nfields < 1 || !err.message[0])
            abort();
        break;
    case PL_USAGE:
    case PL_LIMIT:
        if (!err.message[0])
            abort();
        break;
    default:
        abort();
    }
    if (st == PL_OK) {
        hsds_import_finish(&im);
        if (check_dir(&im.dir)) {
            char *first = export_text(&im.dir);
            hsds_import back;
            hsds_import_init(&back, &a);
            pl_err_clear(&err);
            if (hsds_import_add(&back, first, strlen(first), &err) != PL_OK ||
                back.report.nignored_fields || back.report.nignored_entities ||
                back.report.nwarnings)
                abort();
            hsds_import_finish(&back);
            check_dir(&back.dir);
            char *second = export_text(&back.dir);
            if (strcmp(first, second) != 0)
                abort();
            free(first);
            free(second);
        }
    }
    pl_arena_free(&a);
    free(text);
    return 0;
}
