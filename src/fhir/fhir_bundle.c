/*
 * fhir_bundle.c - a transaction or batch Bundle entry read (fhir_bundle.h).
 *
 * The entry's request says what to do (POST: create or match, PUT Type/N:
 * update record N under ifMatch); the resource's type and a few of its
 * fields say whether peerlink keeps it at all. The policy is a table of the
 * kept types, each with an optional test of the resource (does this
 * Encounter describe a peer-support contact, does peerlink score this
 * questionnaire...) and whether PUT Type/N updates it. Everything else is
 * accepted and counted as not kept with a reason, never silently dropped.
 */
#include "fhir_bundle.h"

#include <stdio.h>
#include <string.h>

#include "fhir.h"
#include "fhir_entities.h"
#include "fhir_qr.h"
#include "fhir_referral.h"

/* o's member name of the type (name NULL: o itself when of the type); NULL otherwise. */
static json_object *member(json_object *o, const char *name, json_type type)
{
    json_object *v = o;
    if (name && (!o || !json_object_is_type(o, json_type_object) ||
                 !json_object_object_get_ex(o, name, &v)))
        return NULL;
    return v && json_object_is_type(v, type) ? v : NULL;
}

static const char *str(json_object *o, const char *name)
{
    json_object *v = member(o, name, json_type_string);
    return v ? json_object_get_string(v) : NULL;
}

/* True when a coding of concept array (or object) field of o has one of the systems. */
static bool has_system(json_object *o, const char *field, const char *const *systems)
{
    json_object *arr = member(o, field, json_type_array);
    size_t n = arr ? json_object_array_length(arr) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *codings = member(json_object_array_get_idx(arr, i), "coding", json_type_array);
        size_t m = codings ? json_object_array_length(codings) : 0;
        for (size_t j = 0; j < m; j++) {
            const char *sys = str(json_object_array_get_idx(codings, j), "system");
            for (const char *const *s = systems; sys && *s; s++)
                if (strcmp(sys, *s) == 0)
                    return true;
        }
    }
    return false;
}

static const char *encounter_kept(json_object *r)
{
    static const char *const kf[] = {FHIR_CS_KEY_FUNCTION, NULL};
    return has_system(r, "type", kf) ? NULL
                                     : "an Encounter without a type of peerlink's key-function "
                                       "code system is a clinic visit, not a peer-support contact";
}

static const char *qr_kept(json_object *r)
{
    const char *q = str(r, "questionnaire");
    return !q || fhir_qr_instrument(q) ? NULL : "peerlink does not score that questionnaire";
}

static const char *sr_kept(json_object *r)
{
    static const char *const needs[] = {FHIR_SYS_NEED, FHIR_SDOH_CAT, NULL};
    json_object *perf = member(r, "performer", json_type_array);
    const char *ref =
        perf && json_object_array_length(perf) > 0
            ? str(member(json_object_array_get_idx(perf, 0), NULL, json_type_object), "reference")
            : NULL;
    if (has_system(r, "category", needs) || (ref && strncmp(ref, "HealthcareService/", 18) == 0))
        return NULL;
    return "a ServiceRequest without a referral need (peerlink's or an SDOH category) or a "
           "HealthcareService performer is not a referral";
}

static const char *task_post(json_object *r)
{
    (void)r;
    return "a referral's Task is made with its ServiceRequest (POST the ServiceRequest; PUT "
           "Task/{id} moves it)";
}

typedef struct kept_type {
    const char *type;
    const char *(*post)(json_object *r); /* why a POST of it is not kept; NULL: kept */
    bool put;                            /* PUT Type/N updates N */
} kept_type;

static const kept_type kept[] = {
    {"Patient", NULL, true},
    {"Observation", NULL, false},
    {"Encounter", encounter_kept, true},
    {"QuestionnaireResponse", qr_kept, false},
    {"ServiceRequest", sr_kept, false},
    {"Task", task_post, true},
};

int fhir_bundle_etag(const char *s)
{
    if (!s)
        return -1;
    if (strncmp(s, "W/", 2) == 0)
        s += 2;
    size_t n = strlen(s);
    if (n < 3 || n > 12 || s[0] != '"' || s[n - 1] != '"')
        return -1;
    long v = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v > 2000000000L ? -1 : (int)v;
}

/* "Type/N" (N a positive id, at most 18 digits) as N; 0 otherwise. */
static pl_id url_id(const char *url, const char *type)
{
    size_t n = strlen(type);
    if (!url || strncmp(url, type, n) != 0 || url[n] != '/')
        return 0;
    const char *c = url + n + 1;
    long long v = 0;
    size_t digits = 0;
    for (; *c >= '0' && *c <= '9' && digits < 18; c++, digits++)
        v = v * 10 + (*c - '0');
    return *c || digits == 0 ? 0 : (pl_id)v;
}

pl_status fhir_bundle_entry_read(json_object *entry, pl_arena *a, fhir_bundle_entry *out,
                                 pl_err *err)
{
    memset(out, 0, sizeof *out);
    out->type = "?";
    out->if_match = -1;
    json_object *res = member(entry, "resource", json_type_object);
    if (!res) {
        pl_err_field(err, "resource", "is required: an object");
        return PL_INVALID;
    }
    out->resource = res;
    const char *type = str(res, "resourceType");
    if (!type || !*type) {
        pl_err_field(err, "resource.resourceType", "is required");
        return PL_INVALID;
    }
    out->type = pl_arena_strdup(a, type);
    const char *url = str(entry, "fullUrl");
    out->full_url = url ? pl_arena_strdup(a, url) : NULL;
    const kept_type *k = NULL;
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        if (strcmp(kept[i].type, type) == 0)
            k = &kept[i];
    json_object *rq = member(entry, "request", json_type_object);
    if (rq) {
        const char *method = str(rq, "method");
        if (!method || (strcmp(method, "POST") != 0 && strcmp(method, "PUT") != 0)) {
            pl_err_field(err, "request.method",
                         "must be POST or PUT (peerlink imports and updates; it does not delete "
                         "or read in Bundles)");
            return PL_INVALID;
        }
        out->put = strcmp(method, "PUT") == 0;
        const char *ine = str(rq, "ifNoneExist");
        out->if_none_exist = ine ? pl_arena_strdup(a, ine) : NULL;
        const char *im = str(rq, "ifMatch");
        if (im && (out->if_match = fhir_bundle_etag(im)) < 0) {
            pl_err_field(err, "request.ifMatch", "must be an ETag such as W/\"3\"");
            return PL_INVALID;
        }
        if (out->put && k && k->put)
            out->target = url_id(str(rq, "url"), type);
        if (out->put && k && !out->target && strcmp(type, "Patient") != 0 &&
            strcmp(type, "Observation") != 0) {
            if (k->put)
                pl_err_field(err, "request.url", "must be %s/{id} of a peerlink record", type);
            else
                pl_err_field(err, "request.method",
                             "PUT: peerlink takes %s by POST only in a Bundle", type);
            return PL_INVALID;
        }
    }
    if (!k)
        out->not_kept = pl_arena_printf(a, "peerlink does not keep %s resources", type);
    else if (!out->target && k->post)
        out->not_kept = k->post(res);
    return PL_OK;
}
