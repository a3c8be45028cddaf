/*
 * fhir_referral.c - referral <-> ServiceRequest + Task (fhir_referral.h).
 *
 * One table row per referral status gives its ServiceRequest status, its
 * Task status and its SDOH category is a second table per need; reading a
 * Task status walks a third table (Task status -> referral status), where
 * in-progress and received fold into accepted and sent, the statuses
 * peerlink keeps. Whether the change is allowed is core/referral.c's rule,
 * checked by the caller inside its write.
 */
#include "fhir_referral.h"

#include <stdio.h>
#include <string.h>

#include "core/referral.h"
#include "core/time.h"
#include "fhir.h"

typedef struct status_row {
    const char *referral, *sr, *task;
} status_row;

static const status_row status_rows[] = {
    {"proposed", "draft", "draft"},        {"sent", "active", "requested"},
    {"accepted", "active", "accepted"},    {"completed", "completed", "completed"},
    {"declined", "revoked", "rejected"},   {"no_show", "active", "failed"},
    {"cancelled", "revoked", "cancelled"},
};

static const struct {
    const char *task, *referral;
} task_in[] = {
    {"draft", "proposed"},    {"requested", "sent"},       {"received", "sent"},
    {"accepted", "accepted"}, {"in-progress", "accepted"}, {"completed", "completed"},
    {"rejected", "declined"}, {"failed", "no_show"},       {"cancelled", "cancelled"},
};

/* need -> SDOH category code (Gravity's temporary code system) */
static const struct {
    const char *need, *sdoh;
} needs[] = {
    {"food", "food-insecurity"},
    {"housing", "housing-instability"},
    {"transport", "transportation-insecurity"},
    {"economic", "financial-insecurity"},
    {"education", "educational-attainment"},
};

static const status_row *row_of(const char *status)
{
    for (size_t i = 0; status && i < sizeof status_rows / sizeof status_rows[0]; i++)
        if (strcmp(status_rows[i].referral, status) == 0)
            return &status_rows[i];
    return NULL;
}

const char *fhir_referral_sr_status(const char *status)
{
    const status_row *r = row_of(status);
    return r ? r->sr : NULL;
}

const char *fhir_referral_task_status(const char *status)
{
    const status_row *r = row_of(status);
    return r ? r->task : NULL;
}

const char *fhir_referral_from_task_status(const char *task_status)
{
    for (size_t i = 0; task_status && i < sizeof task_in / sizeof task_in[0]; i++)
        if (strcmp(task_in[i].task, task_status) == 0)
            return task_in[i].referral;
    return NULL;
}

int fhir_referral_statuses(bool task, const char *fhir_status, const char **out, int max)
{
    int n = 0;
    for (size_t i = 0; i < sizeof status_rows / sizeof status_rows[0] && n < max; i++)
        if (strcmp(task ? status_rows[i].task : status_rows[i].sr, fhir_status) == 0)
            out[n++] = status_rows[i].referral;
    return n;
}

static json_object *get(json_object *o, const char *name, json_type type, const char *path,
                        pl_err *err)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, name, &v) || json_object_is_type(v, json_type_null))
        return NULL;
    if (json_object_is_type(v, type))
        return v;
    pl_err_field(err, path,
                 type == json_type_string  ? "must be a string"
                 : type == json_type_array ? "must be an array"
                                           : "must be an object");
    return NULL;
}

static const char *get_str(json_object *o, const char *name, const char *path, pl_arena *a,
                           pl_err *err)
{
    json_object *v = get(o, name, json_type_string, path, err);
    return v ? pl_arena_strdup(a, json_object_get_string(v)) : NULL;
}

/* The first note's text, or NULL. */
static const char *first_note(json_object *o, pl_arena *a, pl_err *err)
{
    json_object *notes = get(o, "note", json_type_array, "note", err);
    json_object *n0 =
        notes && json_object_array_length(notes) ? json_object_array_get_idx(notes, 0) : NULL;
    return n0 && json_object_is_type(n0, json_type_object)
               ? get_str(n0, "text", "note[0].text", a, err)
               : NULL;
}

/* The need of category[*].coding[*] (peerlink's code or an SDOH category); "other" if none. */
static const char *read_need(json_object *o, pl_arena *a, pl_err *err)
{
    json_object *cats = get(o, "category", json_type_array, "category", err);
    for (size_t i = 0; cats && i < json_object_array_length(cats) && i < 16; i++) {
        json_object *codings = get(json_object_array_get_idx(cats, i), "coding", json_type_array,
                                   pl_arena_printf(a, "category[%zu].coding", i), err);
        for (size_t j = 0; codings && j < json_object_array_length(codings) && j < 16; j++) {
            json_object *c = json_object_array_get_idx(codings, j);
            const char *path = pl_arena_printf(a, "category[%zu].coding[%zu]", i, j);
            if (!json_object_is_type(c, json_type_object))
                continue;
            const char *sys = get_str(c, "system", path, a, err);
            const char *code = get_str(c, "code", path, a, err);
            if (!sys || !code)
                continue;
            pl_referral_need nd;
            if (strcmp(sys, FHIR_SYS_NEED) == 0) {
                if (pl_referral_need_parse(code, &nd) == PL_OK)
                    return pl_referral_need_name(nd);
                pl_err_field(err, pl_arena_printf(a, "%s.code", path),
                             "must be food, legal, education, economic, childcare, housing, "
                             "transport, health or other");
                return NULL;
            }
            for (size_t k = 0;
                 strcmp(sys, FHIR_SDOH_CAT) == 0 && k < sizeof needs / sizeof needs[0]; k++)
                if (strcmp(needs[k].sdoh, code) == 0)
                    return needs[k].need;
        }
    }
    return "other";
}

/* The JSON API's length rule for a text (POST /referrals, /transition), on its FHIR path. */
static void check_length(const char *s, size_t max, const char *path, pl_err *err)
{
    if (s && strlen(s) > max)
        pl_err_field(err, path, "must be at most %zu characters", max);
}

pl_status fhir_service_request_from_json(json_object *o, pl_arena *a, fhir_service_request *out,
                                         pl_err *err)
{
    memset(out, 0, sizeof *out);
    const char *rt = fhir_resource_type(o);
    if (!rt || strcmp(rt, "ServiceRequest") != 0)
        pl_err_field(err, "resourceType", "must be ServiceRequest");
    const char *status = get_str(o, "status", "status", a, err);
    if (status && strcmp(status, "draft") == 0)
        out->status = "proposed";
    else if (status && strcmp(status, "active") == 0)
        out->status = "sent";
    else
        pl_err_field(err, "status",
                     "must be draft (a referral proposed) or active (a referral sent)");
    const char *intent = get_str(o, "intent", "intent", a, err);
    if (!intent || (strcmp(intent, "order") != 0 && strcmp(intent, "plan") != 0 &&
                    strcmp(intent, "proposal") != 0))
        pl_err_field(err, "intent", "must be order, plan or proposal");
    json_object *subj = get(o, "subject", json_type_object, "subject", err);
    out->subject = get_str(subj, "reference", "subject.reference", a, err);
    if (!out->subject)
        pl_err_field(err, "subject.reference", "is required (Patient/id)");
    json_object *perf = get(o, "performer", json_type_array, "performer", err);
    if (perf && json_object_array_length(perf) > 1)
        pl_err_field(err, "performer", "must name one HealthcareService at most");
    json_object *p0 =
        perf && json_object_array_length(perf) == 1 ? json_object_array_get_idx(perf, 0) : NULL;
    const char *ref = p0 && json_object_is_type(p0, json_type_object)
                          ? get_str(p0, "reference", "performer[0].reference", a, err)
                          : NULL;
    if (ref) {
        long long v = 0;
        const char *c = strncmp(ref, "HealthcareService/", 18) == 0 ? ref + 18 : "";
        bool ok = *c && strlen(c) <= 18;
        for (; ok && *c; c++) {
            ok = *c >= '0' && *c <= '9';
            v = v * 10 + (*c - '0');
        }
        if (!ok || v <= 0)
            pl_err_field(err, "performer[0].reference",
                         "must be HealthcareService/<id of a service of the directory>");
        out->service_id = (pl_id)v;
    }
    json_object *code = get(o, "code", json_type_object, "code", err);
    out->resource_text = get_str(code, "text", "code.text", a, err);
    check_length(out->resource_text, 500, "code.text", err);
    out->need = read_need(o, a, err);
    out->notes = first_note(o, a, err);
    check_length(out->notes, 4000, "note[0].text", err);
    if (err->nfields)
        return err->status = PL_INVALID;
    return PL_OK;
}

pl_status fhir_task_from_json(json_object *o, pl_arena *a, fhir_task_change *out, pl_err *err)
{
    memset(out, 0, sizeof *out);
    const char *rt = fhir_resource_type(o);
    if (!rt || strcmp(rt, "Task") != 0)
        pl_err_field(err, "resourceType", "must be Task");
    out->id = get_str(o, "id", "id", a, err);
    const char *status = get_str(o, "status", "status", a, err);
    out->status = fhir_referral_from_task_status(status);
    if (!out->status)
        pl_err_field(err, "status",
                     "must be draft, requested, received, accepted, in-progress, completed, "
                     "rejected, failed or cancelled");
    json_object *reason = get(o, "statusReason", json_type_object, "statusReason", err);
    out->note = get_str(reason, "text", "statusReason.text", a, err);
    if (!out->note)
        out->note = first_note(o, a, err);
    check_length(out->note, 1000, reason ? "statusReason.text" : "note[0].text", err);
    if (err->nfields)
        return err->status = PL_INVALID;
    return PL_OK;
}

/* The last note's text (a reason appended to the notes read back), or NULL. */
static const char *last_note(json_object *o, pl_arena *a, const char **path, pl_err *err)
{
    json_object *notes = get(o, "note", json_type_array, "note", err);
    size_t n = notes ? json_object_array_length(notes) : 0;
    json_object *last = n ? json_object_array_get_idx(notes, n - 1) : NULL;
    *path = pl_arena_printf(a, "note[%zu].text", n ? n - 1 : 0);
    return last && json_object_is_type(last, json_type_object)
               ? get_str(last, "text", *path, a, err)
               : NULL;
}

pl_status fhir_service_request_change_from_json(json_object *o, pl_arena *a, const char *current,
                                                fhir_task_change *out, pl_err *err)
{
    memset(out, 0, sizeof *out);
    const char *rt = fhir_resource_type(o);
    if (!rt || strcmp(rt, "ServiceRequest") != 0)
        pl_err_field(err, "resourceType", "must be ServiceRequest");
    out->id = get_str(o, "id", "id", a, err);
    const char *status = get_str(o, "status", "status", a, err);
    const char *shown = fhir_referral_sr_status(current);
    if (status && shown && strcmp(status, shown) == 0)
        out->status = current; /* the status it shows already: no change */
    else if (status && strcmp(status, "draft") == 0)
        out->status = "proposed";
    else if (status && strcmp(status, "active") == 0)
        out->status = "sent";
    else if (status && strcmp(status, "completed") == 0)
        out->status = "completed";
    else if (status && strcmp(status, "revoked") == 0)
        out->status = "cancelled";
    else
        pl_err_field(err, "status", "must be draft, active, completed or revoked");
    const char *path = "note";
    out->note = last_note(o, a, &path, err);
    check_length(out->note, 1000, path, err);
    if (err->nfields)
        return err->status = PL_INVALID;
    return PL_OK;
}

/* ---- writing ------------------------------------------------------------------- */

static json_object *str(const char *s)
{
    return json_object_new_string(s);
}

static json_object *ref_json(const char *type, pl_id id, const char *display)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s/%lld", type, (long long)id);
    json_object *r = json_object_new_object();
    json_object_object_add(r, "reference", str(buf));
    if (display)
        json_object_object_add(r, "display", str(display));
    return r;
}

static json_object *time_json(pl_time t)
{
    char s[PL_TIME_STRLEN];
    pl_time_format(t, s);
    return str(s);
}

static json_object *meta_of(const store_referral *r)
{
    json_object *m = json_object_new_object();
    char v[24];
    snprintf(v, sizeof v, "%d", r->version);
    json_object_object_add(m, "versionId", str(v));
    json_object_object_add(m, "lastUpdated", time_json(r->status_changed_at));
    return m;
}

static json_object *coding(const char *system, const char *code)
{
    json_object *c = json_object_new_object();
    json_object_object_add(c, "system", str(system));
    json_object_object_add(c, "code", str(code));
    return c;
}

static json_object *concept(json_object *coding1, json_object *coding2, const char *text)
{
    json_object *cc = json_object_new_object(), *arr = json_object_new_array();
    if (coding1)
        json_object_array_add(arr, coding1);
    if (coding2)
        json_object_array_add(arr, coding2);
    json_object_object_add(cc, "coding", arr);
    if (text)
        json_object_object_add(cc, "text", str(text));
    return cc;
}

/* What the referral is for: the service's name, or the resource in words. */
static const char *what(const store_referral *r)
{
    return r->service_name ? r->service_name : r->resource_text ? r->resource_text : "referral";
}

static void add_common(json_object *o, const char *type, const store_referral *r)
{
    char buf[32];
    json_object_object_add(o, "resourceType", str(type));
    snprintf(buf, sizeof buf, "%lld", (long long)r->id);
    json_object_object_add(o, "id", str(buf));
    json_object_object_add(o, "meta", meta_of(r));
}

json_object *fhir_service_request_json(const store_referral *r)
{
    json_object *o = json_object_new_object();
    add_common(o, "ServiceRequest", r);
    const char *st = fhir_referral_sr_status(r->status);
    json_object_object_add(o, "status", str(st ? st : "unknown"));
    json_object_object_add(o, "intent", str("order"));
    const char *sdoh = "sdoh-category-unspecified";
    for (size_t k = 0; r->need && k < sizeof needs / sizeof needs[0]; k++)
        if (strcmp(needs[k].need, r->need) == 0)
            sdoh = needs[k].sdoh;
    json_object *cats = json_object_new_array();
    json_object_array_add(cats, concept(coding(FHIR_SDOH_CAT, sdoh),
                                        r->need ? coding(FHIR_SYS_NEED, r->need) : NULL, NULL));
    json_object_object_add(o, "category", cats);
    json_object_object_add(o, "code", concept(NULL, NULL, what(r)));
    json_object_object_add(o, "subject", ref_json("Patient", r->participant_id, NULL));
    json_object_object_add(o, "authoredOn", time_json(r->created_at));
    if (r->referred_by > 0)
        json_object_object_add(o, "requester", ref_json("Practitioner", r->referred_by, NULL));
    if (r->service_id) {
        json_object *perf = json_object_new_array();
        json_object_array_add(perf, ref_json("HealthcareService", r->service_id, r->service_name));
        json_object_object_add(o, "performer", perf);
    }
    if (r->notes) {
        json_object *notes = json_object_new_array(), *n = json_object_new_object();
        json_object_object_add(n, "text", str(r->notes));
        json_object_array_add(notes, n);
        json_object_object_add(o, "note", notes);
    }
    return o;
}

json_object *fhir_task_json(const store_referral *r)
{
    json_object *o = json_object_new_object();
    add_common(o, "Task", r);
    const char *st = fhir_referral_task_status(r->status);
    json_object_object_add(o, "status", str(st ? st : "draft"));
    json_object_object_add(o, "businessStatus",
                           concept(coding(FHIR_SYS_RSTATUS, r->status), NULL, r->status));
    json_object_object_add(o, "intent", str("order"));
    json_object_object_add(
        o, "code",
        concept(coding("http://hl7.org/fhir/CodeSystem/task-code", "fulfill"), NULL, NULL));
    json_object_object_add(o, "focus", ref_json("ServiceRequest", r->id, NULL));
    json_object_object_add(o, "for", ref_json("Patient", r->participant_id, NULL));
    json_object_object_add(o, "authoredOn", time_json(r->created_at));
    json_object_object_add(o, "lastModified", time_json(r->status_changed_at));
    if (r->referred_by > 0)
        json_object_object_add(o, "requester", ref_json("Practitioner", r->referred_by, NULL));
    if (r->service_id)
        json_object_object_add(o, "owner",
                               ref_json("HealthcareService", r->service_id, r->service_name));
    if (strcmp(r->status, "completed") == 0 && r->closed_at != PL_TIME_NONE) {
        json_object *outs = json_object_new_array(), *out = json_object_new_object();
        json_object_object_add(out, "type",
                               concept(coding(FHIR_SYS_RSTATUS, "completed"), NULL,
                                       "the participant received the service"));
        json_object_object_add(out, "valueDateTime", time_json(r->closed_at));
        json_object_array_add(outs, out);
        json_object_object_add(o, "output", outs);
    }
    return o;
}
