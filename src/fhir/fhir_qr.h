/*
 * fhir_qr.h - FHIR R4 QuestionnaireResponse to and from peerlink's scored
 * questionnaires (core/instrument.h), and the score Observation each scored
 * response shows as. No HTTP and no store writes (docs/FHIR.md,
 * "Questionnaires and referrals", has the mapping tables).
 *
 * An instrument is named by its peerlink canonical
 * (FHIR_QR_CANONICAL "phq9") or, where LOINC has a panel, by LOINC's
 * (http://loinc.org/q/44249-1); item linkIds are the one-based item numbers
 * ("1" ... "9"). A score Observation's id is "qr-<response id>-total"; its
 * code is the instrument's LOINC total code where one exists plus the
 * peerlink code "<instrument>-total"; subscales are its components.
 */
#ifndef PL_FHIR_FHIR_QR_H
#define PL_FHIR_FHIR_QR_H

#include <json-c/json.h>

#include "core/arena.h"
#include "core/instrument.h"
#include "store/store.h"

#define FHIR_QR_CANONICAL "urn:peerlink:questionnaire:"
#define FHIR_LOINC_Q      "http://loinc.org/q/"
#define FHIR_SYS_SCORE    "urn:peerlink:instrument-score"
#define FHIR_SCORE_PREFIX "qr-"
#define FHIR_SCORE_SUFFIX "-total"

/* A QuestionnaireResponse read for recording. */
typedef struct fhir_qr {
    const instrument_def *def;
    const char *subject;  /* reference text */
    pl_time authored;     /* PL_TIME_NONE when absent */
    const char *language; /* NULL when absent */
    int answers[INSTR_ITEMS_MAX];
    int n; /* def->nitems */
} fhir_qr;

/* The instrument a questionnaire canonical names (peerlink's or LOINC's, "|version" ignored). */
const instrument_def *fhir_qr_instrument(const char *canonical);

/*
 * Reads a QuestionnaireResponse: status completed, a known questionnaire,
 * subject, every item of the instrument once (linkId "1".."n", top level),
 * at most one answer each (valueInteger, or valueCoding whose code is the
 * number) within the instrument's range; an item without answer is a blank.
 * PL_INVALID with one field error per fault, named by its FHIR path
 * ("item[3].answer[0].valueInteger").
 */
pl_status fhir_qr_from_json(json_object *o, pl_arena *a, fhir_qr *out, pl_err *err);
/* A stored response as a QuestionnaireResponse. */
json_object *fhir_qr_json(const store_questionnaire *q);

/* The response id of a score Observation id "qr-<id>-total"; 0 when s is not one. */
pl_id fhir_score_id(const char *s);
/* The score Observation of a scored response. */
json_object *fhir_score_json(const store_questionnaire *q);
/*
 * The instrument a score Observation code token names ("system|code" or
 * "code"): LOINC's total code or peerlink's "<instrument>-total"; NULL if none.
 */
const instrument_def *fhir_score_code(const char *token);

#endif
