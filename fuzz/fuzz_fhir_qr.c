/*
 * fuzz_fhir_qr.c - libFuzzer harness for the QuestionnaireResponse,
 * ServiceRequest and Task readers (src/fhir/fhir_qr.c, fhir_referral.c).
 *
 * The input is one FHIR resource as the API receives it, in a buffer of
 * exactly its length. It goes through fhir_parse() and, by resourceType,
 * fhir_qr_from_json(), fhir_service_request_from_json() or
 * fhir_task_from_json(). What callers rely on is checked, and any break
 * aborts:
 *
 * - a reader answers PL_OK or PL_INVALID naming at least one field;
 * - a QuestionnaireResponse read gives a known instrument, every answer in
 *   its range or INSTR_MISSING, and instrument_score() accepts them; the
 *   response written back (fhir_qr_json) and read again gives the same
 *   instrument and answers;
 * - a ServiceRequest read gives a subject, a known need and status proposed
 *   or sent; its update reader (fhir_service_request_change_from_json), for
 *   every current referral status, gives a known referral status; a Task
 *   read gives a referral status whose Task status, read back through the
 *   table, gives it again (or a status it folds into).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/referral.h"
#include "fhir/fhir.h"
#include "fhir/fhir_qr.h"
#include "fhir/fhir_referral.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void invalid_names_a_field(pl_status st, const pl_err *err)
{
    if (st != PL_OK && (st != PL_INVALID || err->nfields == 0))
        abort();
}

static void questionnaire(json_object *doc, pl_arena *a)
{
    fhir_qr fq;
    pl_err err;
    pl_err_clear(&err);
    pl_status st = fhir_qr_from_json(doc, a, &fq, &err);
    invalid_names_a_field(st, &err);
    if (st != PL_OK)
        return;
    const instrument_def *d = fq.def;
    if (!d || fq.n != d->nitems || !fq.subject)
        abort();
    for (int i = 0; i < fq.n; i++)
        if (fq.answers[i] != INSTR_MISSING &&
            (fq.answers[i] < d->item_min || fq.answers[i] > d->item_max))
            abort();
    instrument_result r;
    pl_err_clear(&err);
    if (instrument_score(d, fq.answers, fq.n, &r, &err) != PL_OK)
        abort();
    /* written back as peerlink stores it, then read again */
    char text[INSTR_ITEMS_MAX * 4 + 1];
    size_t len = 0;
    for (int i = 0; i < fq.n; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%d", i ? "," : "", fq.answers[i]);
    store_questionnaire q = {.id = 1,
                             .participant_id = 1,
                             .instrument = d->code,
                             .answers = text,
                             .completed_at = 0,
                             .created_at = 0};
    json_object *out = fhir_qr_json(&q);
    const char *s = json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN);
    json_object *back = NULL;
    if (fhir_parse(s, strlen(s), &back, &err) != PL_OK)
        abort();
    json_object_put(out);
    fhir_qr fb;
    pl_err_clear(&err);
    if (fhir_qr_from_json(back, a, &fb, &err) != PL_OK || fb.def != d ||
        memcmp(fb.answers, fq.answers, sizeof fq.answers[0] * (size_t)fq.n) != 0)
        abort();
    json_object_put(back);
}

/* The update reader, against every current status: a known referral status comes out. */
static void service_request_change(json_object *doc, pl_arena *a)
{
    static const char *const current[] = {"proposed", "sent",    "accepted", "completed",
                                          "declined", "no_show", "cancelled"};
    for (size_t i = 0; i < sizeof current / sizeof current[0]; i++) {
        fhir_task_change ch;
        pl_err err;
        pl_err_clear(&err);
        pl_status st = fhir_service_request_change_from_json(doc, a, current[i], &ch, &err);
        invalid_names_a_field(st, &err);
        pl_referral_status rs;
        if (st == PL_OK && (!ch.status || pl_referral_status_parse(ch.status, &rs) != PL_OK))
            abort();
    }
}

static void service_request(json_object *doc, pl_arena *a)
{
    fhir_service_request sr;
    pl_err err;
    service_request_change(doc, a);
    pl_err_clear(&err);
    pl_status st = fhir_service_request_from_json(doc, a, &sr, &err);
    invalid_names_a_field(st, &err);
    if (st != PL_OK)
        return;
    pl_referral_need need;
    if (!sr.subject || !sr.need || pl_referral_need_parse(sr.need, &need) != PL_OK ||
        (strcmp(sr.status, "proposed") != 0 && strcmp(sr.status, "sent") != 0) || sr.service_id < 0)
        abort();
}

static void task(json_object *doc, pl_arena *a)
{
    fhir_task_change tc;
    pl_err err;
    pl_err_clear(&err);
    pl_status st = fhir_task_from_json(doc, a, &tc, &err);
    invalid_names_a_field(st, &err);
    if (st != PL_OK)
        return;
    pl_referral_status rs;
    if (!tc.status || pl_referral_status_parse(tc.status, &rs) != PL_OK)
        abort();
    const char *shown = fhir_referral_task_status(tc.status);
    if (!shown || !fhir_referral_from_task_status(shown) ||
        strcmp(fhir_referral_from_task_status(shown), tc.status) != 0)
        abort();
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
    const char *type = fhir_resource_type(doc);
    if (strcmp(type, "QuestionnaireResponse") == 0)
        questionnaire(doc, &a);
    else if (strcmp(type, "ServiceRequest") == 0)
        service_request(doc, &a);
    else if (strcmp(type, "Task") == 0)
        task(doc, &a);
    pl_arena_free(&a);
    json_object_put(doc);
    free(text);
    return 0;
}
