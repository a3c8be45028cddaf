/*
 * fhir_qr.c - QuestionnaireResponse and score Observation mapping
 * (fhir_qr.h).
 *
 * Reading walks the item array once: each linkId must be an item number of
 * the instrument not seen before, its answer a number in the instrument's
 * range; the items never seen are then reported, so one OperationOutcome
 * lists every fault. The answers come out in item order with INSTR_MISSING
 * for a blank, ready for instrument_score(). Writing is the reverse; the
 * stored answers are the comma list of store.h ("-1" for a blank).
 */
#include "fhir_qr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "fhir.h"

const instrument_def *fhir_qr_instrument(const char *canonical)
{
    if (!canonical)
        return NULL;
    size_t len = strcspn(canonical, "|");
    size_t np = strlen(FHIR_QR_CANONICAL), nl = strlen(FHIR_LOINC_Q);
    for (int i = 0; i < INSTR__COUNT; i++) {
        const instrument_def *d = instrument_get((instrument_id)i);
        if (len == np + strlen(d->code) && strncmp(canonical, FHIR_QR_CANONICAL, np) == 0 &&
            strncmp(canonical + np, d->code, len - np) == 0)
            return d;
        if (d->loinc_panel && len == nl + strlen(d->loinc_panel) &&
            strncmp(canonical, FHIR_LOINC_Q, nl) == 0 &&
            strncmp(canonical + nl, d->loinc_panel, len - nl) == 0)
            return d;
    }
    return NULL;
}

/* o[name] when it has this type; NULL when absent; a field error when mistyped. */
static json_object *get(json_object *o, const char *name, json_type type, const char *path,
                        pl_err *err)
{
    json_object *v;
    if (!json_object_object_get_ex(o, name, &v) || json_object_is_type(v, json_type_null))
        return NULL;
    if (json_object_is_type(v, type))
        return v;
    pl_err_field(err, path,
                 type == json_type_string  ? "must be a string"
                 : type == json_type_array ? "must be an array"
                                           : "must be an object");
    return NULL;
}

/* An item's number from its linkId ("1".."n"); 0 when not one. */
static int item_number(const char *s, int n)
{
    int v = 0;
    if (!s || !*s || strlen(s) > 2 || *s == '0')
        return 0;
    for (const char *c = s; *c; c++) {
        if (*c < '0' || *c > '9')
            return 0;
        v = v * 10 + (*c - '0');
    }
    return v <= n ? v : 0;
}

/* One answer's number into *v; false with a field error. */
static bool read_answer(json_object *ans, const instrument_def *d, const char *path, pl_arena *a,
                        int *v, pl_err *err)
{
    json_object *x;
    const char *p;
    long num;
    if (json_object_object_get_ex(ans, "valueInteger", &x)) {
        p = pl_arena_printf(a, "%s.valueInteger", path);
        if (!json_object_is_type(x, json_type_int)) {
            pl_err_field(err, p, "must be an integer");
            return false;
        }
        num = (long)json_object_get_int64(x);
    } else if (json_object_object_get_ex(ans, "valueCoding", &x)) {
        p = pl_arena_printf(a, "%s.valueCoding.code", path);
        json_object *code = json_object_is_type(x, json_type_object)
                                ? get(x, "code", json_type_string, p, err)
                                : NULL;
        char *end;
        const char *s = code ? json_object_get_string(code) : "";
        num = strtol(s, &end, 10);
        if (!*s || *end) {
            pl_err_field(err, p, "must be the answer's number as a code (e.g. \"2\")");
            return false;
        }
    } else {
        pl_err_field(err, pl_arena_printf(a, "%s", path),
                     "must have valueInteger or valueCoding (the answer's number)");
        return false;
    }
    if (num < d->item_min || num > d->item_max) {
        pl_err_field(err, p, "must be %d to %d for %s", d->item_min, d->item_max, d->name);
        return false;
    }
    *v = (int)num;
    return true;
}

pl_status fhir_qr_from_json(json_object *o, pl_arena *a, fhir_qr *out, pl_err *err)
{
    memset(out, 0, sizeof *out);
    out->authored = PL_TIME_NONE;
    const char *rt = fhir_resource_type(o);
    if (!rt || strcmp(rt, "QuestionnaireResponse") != 0)
        pl_err_field(err, "resourceType", "must be QuestionnaireResponse");
    json_object *v = get(o, "status", json_type_string, "status", err);
    if (!v || strcmp(json_object_get_string(v), "completed") != 0)
        pl_err_field(err, "status", "must be completed (peerlink records finished responses)");
    v = get(o, "questionnaire", json_type_string, "questionnaire", err);
    out->def = fhir_qr_instrument(v ? json_object_get_string(v) : NULL);
    if (!out->def)
        pl_err_field(err, "questionnaire",
                     "must name an instrument peerlink scores (" FHIR_QR_CANONICAL
                     "phq9, dds17, dds2, phq8, phq2, stanford_ses, or " FHIR_LOINC_Q
                     "44249-1 / 55757-9)");
    json_object *subj = get(o, "subject", json_type_object, "subject", err);
    v = subj ? get(subj, "reference", json_type_string, "subject.reference", err) : NULL;
    out->subject = v ? pl_arena_strdup(a, json_object_get_string(v)) : NULL;
    if (!out->subject)
        pl_err_field(err, "subject.reference", "is required (Patient/id)");
    v = get(o, "authored", json_type_string, "authored", err);
    if (v && fhir_time_parse(json_object_get_string(v), &out->authored) != PL_OK)
        pl_err_field(err, "authored",
                     "must be a dateTime with a time zone, e.g. 2024-05-01T10:00:00Z");
    v = get(o, "language", json_type_string, "language", err);
    out->language = v ? pl_arena_strdup(a, json_object_get_string(v)) : NULL;
    if (out->language && strcmp(out->language, "en") != 0 && strcmp(out->language, "es") != 0 &&
        strcmp(out->language, "zh-CN") != 0)
        pl_err_field(err, "language", "must be en, es or zh-CN");
    json_object *items = get(o, "item", json_type_array, "item", err);
    const instrument_def *d = out->def;
    if (!d)
        return err->status = PL_INVALID;
    out->n = d->nitems;
    bool seen[INSTR_ITEMS_MAX] = {false};
    size_t nitems = items ? json_object_array_length(items) : 0;
    for (size_t i = 0; i < nitems && i < 64; i++) {
        json_object *it = json_object_array_get_idx(items, i);
        const char *path = pl_arena_printf(a, "item[%zu]", i);
        if (!json_object_is_type(it, json_type_object)) {
            pl_err_field(err, path, "must be an object");
            continue;
        }
        json_object *lid =
            get(it, "linkId", json_type_string, pl_arena_printf(a, "%s.linkId", path), err);
        int k = item_number(lid ? json_object_get_string(lid) : NULL, d->nitems);
        if (!k) {
            pl_err_field(err, pl_arena_printf(a, "%s.linkId", path),
                         "must be an item of %s (\"1\" to \"%d\")", d->name, d->nitems);
            continue;
        }
        if (seen[k - 1]) {
            pl_err_field(err, pl_arena_printf(a, "%s.linkId", path), "item %d is given twice", k);
            continue;
        }
        seen[k - 1] = true;
        out->answers[k - 1] = INSTR_MISSING;
        if (json_object_object_get_ex(it, "item", &v))
            pl_err_field(err, pl_arena_printf(a, "%s.item", path),
                         "must be absent: %s has no nested items", d->name);
        json_object *ans =
            get(it, "answer", json_type_array, pl_arena_printf(a, "%s.answer", path), err);
        size_t na = ans ? json_object_array_length(ans) : 0;
        if (na > 1)
            pl_err_field(err, pl_arena_printf(a, "%s.answer", path), "must hold one answer");
        else if (na == 1) {
            json_object *a0 = json_object_array_get_idx(ans, 0);
            const char *ap = pl_arena_printf(a, "%s.answer[0]", path);
            if (!json_object_is_type(a0, json_type_object))
                pl_err_field(err, ap, "must be an object");
            else
                read_answer(a0, d, ap, a, &out->answers[k - 1], err);
        }
    }
    if (nitems > 64)
        pl_err_field(err, "item", "must hold at most %d items", d->nitems);
    for (int k = 0; k < d->nitems; k++)
        if (!seen[k])
            pl_err_field(err, "item",
                         "lacks item %d of %s (linkId \"%d\"): send it without answer to record "
                         "it as not answered",
                         k + 1, d->name, k + 1);
    if (err->nfields)
        return err->status = PL_INVALID;
    return PL_OK;
}

static json_object *str(const char *s)
{
    return json_object_new_string(s);
}

static json_object *reference(const char *type, pl_id id)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s/%lld", type, (long long)id);
    json_object *r = json_object_new_object();
    json_object_object_add(r, "reference", str(buf));
    return r;
}

static json_object *meta_of(pl_time last_updated)
{
    json_object *m = json_object_new_object();
    json_object_object_add(m, "versionId", str("1"));
    char t[PL_TIME_STRLEN];
    pl_time_format(last_updated, t);
    json_object_object_add(m, "lastUpdated", str(t));
    return m;
}

static json_object *time_json(pl_time t)
{
    char s[PL_TIME_STRLEN];
    pl_time_format(t, s);
    return str(s);
}

json_object *fhir_qr_json(const store_questionnaire *q)
{
    const instrument_def *d = instrument_find(q->instrument);
    json_object *o = json_object_new_object();
    char buf[96];
    json_object_object_add(o, "resourceType", str("QuestionnaireResponse"));
    snprintf(buf, sizeof buf, "%lld", (long long)q->id);
    json_object_object_add(o, "id", str(buf));
    json_object_object_add(o, "meta", meta_of(q->created_at));
    if (q->language)
        json_object_object_add(o, "language", str(q->language));
    snprintf(buf, sizeof buf, "%s%s", FHIR_QR_CANONICAL, q->instrument);
    json_object_object_add(o, "questionnaire", str(buf));
    json_object_object_add(o, "status", str("completed"));
    json_object_object_add(o, "subject", reference("Patient", q->participant_id));
    json_object_object_add(o, "authored", time_json(q->completed_at));
    if (q->recorded_by > 0)
        json_object_object_add(o, "author", reference("Practitioner", q->recorded_by));
    json_object *items = json_object_new_array();
    int k = 1;
    for (const char *p = q->answers; p && *p; k++) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        json_object *it = json_object_new_object();
        snprintf(buf, sizeof buf, "%d", k);
        json_object_object_add(it, "linkId", str(buf));
        const char *label = d ? instrument_item_label(d, k, q->language) : NULL;
        if (label)
            json_object_object_add(it, "text", str(label));
        if (v >= 0) {
            json_object *ans = json_object_new_array(), *a0 = json_object_new_object();
            json_object_object_add(a0, "valueInteger", json_object_new_int((int)v));
            json_object_array_add(ans, a0);
            json_object_object_add(it, "answer", ans);
        }
        json_object_array_add(items, it);
        p = *end == ',' ? end + 1 : end;
    }
    json_object_object_add(o, "item", items);
    return o;
}

pl_id fhir_score_id(const char *s)
{
    size_t np = strlen(FHIR_SCORE_PREFIX), ns = strlen(FHIR_SCORE_SUFFIX);
    if (!s || strncmp(s, FHIR_SCORE_PREFIX, np) != 0)
        return 0;
    const char *c = s + np;
    long long v = 0;
    int digits = 0;
    for (; *c >= '0' && *c <= '9' && digits < 18; c++, digits++)
        v = v * 10 + (*c - '0');
    if (!digits || s[np] == '0' || strlen(c) != ns || strcmp(c, FHIR_SCORE_SUFFIX) != 0)
        return 0;
    return (pl_id)v;
}

const instrument_def *fhir_score_code(const char *token)
{
    const char *bar = strchr(token, '|');
    const char *code = bar ? bar + 1 : token;
    size_t sys_len = bar ? (size_t)(bar - token) : 0;
    bool loinc = !bar || sys_len == 0 ||
                 (sys_len == strlen(FHIR_LOINC) && strncmp(token, FHIR_LOINC, sys_len) == 0);
    bool ours = !bar || sys_len == 0 ||
                (sys_len == strlen(FHIR_SYS_SCORE) && strncmp(token, FHIR_SYS_SCORE, sys_len) == 0);
    size_t ns = strlen(FHIR_SCORE_SUFFIX);
    for (int i = 0; i < INSTR__COUNT; i++) {
        const instrument_def *d = instrument_get((instrument_id)i);
        if (loinc && d->loinc_total && strcmp(code, d->loinc_total) == 0)
            return d;
        size_t nc = strlen(d->code);
        if (ours && strncmp(code, d->code, nc) == 0 && strcmp(code + nc, FHIR_SCORE_SUFFIX) == 0 &&
            strlen(code) == nc + ns)
            return d;
    }
    return NULL;
}

static json_object *coding(const char *system, const char *code, const char *display)
{
    json_object *c = json_object_new_object();
    json_object_object_add(c, "system", str(system));
    json_object_object_add(c, "code", str(code));
    if (display)
        json_object_object_add(c, "display", str(display));
    return c;
}

static json_object *quantity(double v)
{
    json_object *q = json_object_new_object();
    json_object_object_add(q, "value", json_object_new_double(v));
    json_object_object_add(q, "unit", str("{score}"));
    json_object_object_add(q, "system", str(FHIR_UCUM));
    json_object_object_add(q, "code", str("{score}"));
    return q;
}

/* The scored subscales (the stored JSON text of questionnaire.c) as components. */
static json_object *components(const store_questionnaire *q)
{
    json_object *subs = q->subscales ? json_tokener_parse(q->subscales) : NULL;
    json_object *out = json_object_new_array();
    for (size_t i = 0;
         subs && json_object_is_type(subs, json_type_array) && i < json_object_array_length(subs);
         i++) {
        json_object *s = json_object_array_get_idx(subs, i), *name, *scored, *score;
        if (!json_object_object_get_ex(s, "name", &name) ||
            !json_object_object_get_ex(s, "scored", &scored) || !json_object_get_boolean(scored) ||
            !json_object_object_get_ex(s, "score", &score))
            continue;
        char code[96];
        snprintf(code, sizeof code, "%s-%s", q->instrument, json_object_get_string(name));
        json_object *c = json_object_new_object(), *cc = json_object_new_object(),
                    *arr = json_object_new_array();
        json_object_array_add(arr, coding(FHIR_SYS_SCORE, code, NULL));
        json_object_object_add(cc, "coding", arr);
        json_object_object_add(cc, "text", str(json_object_get_string(name)));
        json_object_object_add(c, "code", cc);
        json_object_object_add(c, "valueQuantity", quantity(json_object_get_double(score)));
        json_object_array_add(out, c);
    }
    json_object_put(subs);
    return out;
}

json_object *fhir_score_json(const store_questionnaire *q)
{
    const instrument_def *d = instrument_find(q->instrument);
    json_object *o = json_object_new_object();
    char buf[96];
    json_object_object_add(o, "resourceType", str("Observation"));
    snprintf(buf, sizeof buf, FHIR_SCORE_PREFIX "%lld" FHIR_SCORE_SUFFIX, (long long)q->id);
    json_object_object_add(o, "id", str(buf));
    json_object_object_add(o, "meta", meta_of(q->created_at));
    json_object_object_add(o, "status", str("final"));
    json_object *cat = json_object_new_array(), *cc = json_object_new_object(),
                *ccoding = json_object_new_array();
    json_object_array_add(
        ccoding,
        coding("http://terminology.hl7.org/CodeSystem/observation-category", "survey", NULL));
    json_object_object_add(cc, "coding", ccoding);
    json_object_array_add(cat, cc);
    json_object_object_add(o, "category", cat);
    json_object *code = json_object_new_object(), *codings = json_object_new_array();
    const char *name = d ? d->name : q->instrument;
    snprintf(buf, sizeof buf, "%s total score", name);
    if (d && d->loinc_total)
        json_object_array_add(codings, coding(FHIR_LOINC, d->loinc_total, buf));
    char pcode[64];
    snprintf(pcode, sizeof pcode, "%s" FHIR_SCORE_SUFFIX, q->instrument);
    json_object_array_add(codings, coding(FHIR_SYS_SCORE, pcode, buf));
    json_object_object_add(code, "coding", codings);
    json_object_object_add(code, "text", str(buf));
    json_object_object_add(o, "code", code);
    json_object_object_add(o, "subject", reference("Patient", q->participant_id));
    json_object_object_add(o, "effectiveDateTime", time_json(q->completed_at));
    if (q->recorded_by > 0) {
        json_object *perf = json_object_new_array();
        json_object_array_add(perf, reference("Practitioner", q->recorded_by));
        json_object_object_add(o, "performer", perf);
    }
    json_object_object_add(o, "valueQuantity", quantity(q->score));
    if (q->band) {
        json_object *interp = json_object_new_array(), *ic = json_object_new_object();
        json_object_object_add(ic, "text", str(q->band));
        json_object_array_add(interp, ic);
        json_object_object_add(o, "interpretation", interp);
    }
    json_object *from = json_object_new_array();
    json_object_array_add(from, reference("QuestionnaireResponse", q->id));
    json_object_object_add(o, "derivedFrom", from);
    json_object *comps = components(q);
    if (json_object_array_length(comps))
        json_object_object_add(o, "component", comps);
    else
        json_object_put(comps);
    return o;
}
