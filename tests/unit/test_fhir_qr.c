/*
 * test_fhir_qr.c - the questionnaire and referral mapping (src/fhir/fhir_qr.c,
 * fhir_referral.c) as tables: which questionnaire canonicals and score codes
 * name which instrument, which score ids are ids, the referral status table
 * both ways (every peerlink status shows as a Task status that maps back to
 * it), and the FHIR paths a bad QuestionnaireResponse or Task is refused by.
 */
#include <stdio.h>
#include <string.h>

#include "test.h"

#include "core/referral.h"
#include "fhir/fhir.h"
#include "fhir/fhir_qr.h"
#include "fhir/fhir_referral.h"

static json_object *parse(const char *text)
{
    json_object *o = NULL;
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(fhir_parse(text, strlen(text), &o, &err), PL_OK);
    return o;
}

static void test_instruments(void **state)
{
    (void)state;
    static const struct {
        const char *canonical, *code; /* code NULL: none */
    } rows[] = {
        {"urn:peerlink:questionnaire:phq9", "phq9"},
        {"urn:peerlink:questionnaire:phq9|1.0", "phq9"},
        {"urn:peerlink:questionnaire:dds17", "dds17"},
        {"urn:peerlink:questionnaire:stanford_ses", "stanford_ses"},
        {"http://loinc.org/q/44249-1", "phq9"},
        {"http://loinc.org/q/55757-9", "phq2"},
        {"urn:peerlink:questionnaire:phq", NULL},
        {"urn:peerlink:questionnaire:phq99", NULL},
        {"http://loinc.org/q/44261-6", NULL},
        {"phq9", NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const instrument_def *d = fhir_qr_instrument(rows[i].canonical);
        if (rows[i].code) {
            assert_non_null(d);
            assert_string_equal(d->code, rows[i].code);
        } else {
            assert_null(d);
        }
    }
    static const struct {
        const char *token, *code;
    } codes[] = {
        {"http://loinc.org|44261-6", "phq9"},
        {"44261-6", "phq9"},
        {"55758-7", "phq2"},
        {"urn:peerlink:instrument-score|dds17-total", "dds17"},
        {"dds2-total", "dds2"},
        {"http://loinc.org|dds17-total", NULL},
        {"urn:peerlink:instrument-score|44261-6", NULL},
        {"4548-4", NULL},
        {"dds17-totals", NULL},
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const instrument_def *d = fhir_score_code(codes[i].token);
        if (codes[i].code) {
            assert_non_null(d);
            assert_string_equal(d->code, codes[i].code);
        } else {
            assert_null(d);
        }
    }
}

static void test_score_ids(void **state)
{
    (void)state;
    assert_int_equal(fhir_score_id("qr-12-total"), 12);
    assert_int_equal(fhir_score_id("qr-1-total"), 1);
    assert_int_equal(fhir_score_id("qr-012-total"), 0);
    assert_int_equal(fhir_score_id("qr--total"), 0);
    assert_int_equal(fhir_score_id("qr-12-totals"), 0);
    assert_int_equal(fhir_score_id("12"), 0);
    assert_int_equal(fhir_score_id("qr-12"), 0);
}

static void test_status_table(void **state)
{
    (void)state;
    static const struct {
        const char *referral, *sr, *task;
    } rows[] = {
        {"proposed", "draft", "draft"},        {"sent", "active", "requested"},
        {"accepted", "active", "accepted"},    {"completed", "completed", "completed"},
        {"declined", "revoked", "rejected"},   {"no_show", "active", "failed"},
        {"cancelled", "revoked", "cancelled"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_string_equal(fhir_referral_sr_status(rows[i].referral), rows[i].sr);
        assert_string_equal(fhir_referral_task_status(rows[i].referral), rows[i].task);
        assert_string_equal(fhir_referral_from_task_status(rows[i].task), rows[i].referral);
    }
    assert_int_equal(sizeof rows / sizeof rows[0], PL_REFERRAL__COUNT);
    assert_string_equal(fhir_referral_from_task_status("in-progress"), "accepted");
    assert_string_equal(fhir_referral_from_task_status("received"), "sent");
    assert_null(fhir_referral_from_task_status("on-hold"));
    assert_null(fhir_referral_from_task_status("entered-in-error"));
    const char *out[8];
    assert_int_equal(fhir_referral_statuses(false, "active", out, 8), 3);
    assert_int_equal(fhir_referral_statuses(false, "revoked", out, 8), 2);
    assert_int_equal(fhir_referral_statuses(true, "failed", out, 8), 1);
    assert_string_equal(out[0], "no_show");
    assert_int_equal(fhir_referral_statuses(true, "active", out, 8), 0);
}

/* The field errors of reading text, joined by "; ". */
static const char *refusal(const char *text, bool task, char *buf, size_t cap)
{
    json_object *o = parse(text);
    pl_arena a;
    pl_arena_init(&a, 1u << 20);
    pl_err err;
    pl_err_clear(&err);
    fhir_qr fq;
    fhir_task_change tc;
    pl_status st =
        task ? fhir_task_from_json(o, &a, &tc, &err) : fhir_qr_from_json(o, &a, &fq, &err);
    assert_int_equal(st, PL_INVALID);
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < err.nfields && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? "; " : "", err.fields[i].field);
    pl_arena_free(&a);
    json_object_put(o);
    return buf;
}

#define QR_HEAD                                                                                    \
    "{\"resourceType\":\"QuestionnaireResponse\",\"status\":\"completed\",\"questionnaire\":"      \
    "\"urn:peerlink:questionnaire:phq2\",\"subject\":{\"reference\":\"Patient/1\"},"

static void test_refusals_name_the_path(void **state)
{
    (void)state;
    char buf[512];
    static const struct {
        const char *text, *fields;
        bool task;
    } rows[] = {
        {QR_HEAD
         "\"item\":[{\"linkId\":\"1\",\"answer\":[{\"valueInteger\":4}]},{\"linkId\":\"2\"}]}",
         "item[0].answer[0].valueInteger", false},
        {QR_HEAD "\"item\":[{\"linkId\":\"1\"},{\"linkId\":\"3\"}]}", "item[1].linkId; item",
         false},
        {QR_HEAD "\"item\":[{\"linkId\":\"1\"},{\"linkId\":\"1\"},{\"linkId\":\"2\"}]}",
         "item[1].linkId", false},
        {QR_HEAD "\"item\":[{\"linkId\":\"1\",\"answer\":[{\"valueCoding\":{\"code\":\"x\"}}]},"
                 "{\"linkId\":\"2\"}]}",
         "item[0].answer[0].valueCoding.code", false},
        {QR_HEAD "\"authored\":\"yesterday\",\"item\":[{\"linkId\":\"1\"},{\"linkId\":\"2\"}]}",
         "authored", false},
        {"{\"resourceType\":\"Task\",\"status\":\"on-hold\"}", "status", true},
        {"{\"resourceType\":\"Task\",\"status\":\"accepted\",\"statusReason\":\"x\"}",
         "statusReason", true},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        assert_string_equal(refusal(rows[i].text, rows[i].task, buf, sizeof buf), rows[i].fields);
}

PL_TEST_MAIN(cmocka_unit_test(test_instruments), cmocka_unit_test(test_score_ids),
             cmocka_unit_test(test_status_table), cmocka_unit_test(test_refusals_name_the_path))
