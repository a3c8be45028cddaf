/*
 * questionnaire.c - turns a scored questionnaire (core/instrument.h) into
 * the stored record's text fields, for every writer of responses: the API
 * and the demo generator store exactly the same shape.
 *
 * The answers become a comma list in item order (-1 for a blank), the
 * result's flags the STORE_QR_* bits, and its subscales a JSON array text
 * of {name, scored, score, answered, band}, the shape the API reads back.
 * Backend-neutral: no SQL, only the arena.
 */
#include <stdio.h>

#include "store.h"

/* A JSON string of a catalogue name (instrument names and bands need no escaping). */
static int json_name(char *out, size_t cap, const char *s)
{
    return s ? snprintf(out, cap, "\"%s\"", s) : snprintf(out, cap, "null");
}

pl_status store_questionnaire_set_result(store_questionnaire *q, const instrument_result *r,
                                         const int *answers, int n, pl_arena *a, pl_err *err)
{
    size_t cap = (size_t)n * 4 + 1;
    char *text = pl_arena_alloc(a, cap);
    char *subs = NULL;
    size_t scap = 160 * (size_t)(r->nsubscales + 1);
    if (!text || (r->nsubscales > 0 && !(subs = pl_arena_alloc(a, scap))))
        return pl_err_set(err, PL_LIMIT, "the questionnaire is larger than the memory limit");
    size_t len = 0;
    text[0] = '\0';
    for (int i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(text + len, cap - len, "%s%d", i ? "," : "", answers[i]);
    len = 0;
    for (int i = 0; subs && i < r->nsubscales && len < scap; i++) {
        const instrument_subscale_result *sr = &r->subscales[i];
        len += (size_t)snprintf(subs + len, scap - len, "%s{\"name\":", i ? "," : "[");
        len += (size_t)json_name(subs + len, scap - len, sr->name);
        len += (size_t)snprintf(subs + len, scap - len,
                                ",\"scored\":%s,\"score\":", sr->scored ? "true" : "false");
        len += (size_t)(sr->scored ? snprintf(subs + len, scap - len, "%.17g", sr->score)
                                   : snprintf(subs + len, scap - len, "null"));
        len += (size_t)snprintf(subs + len, scap - len, ",\"answered\":%d,\"band\":", sr->answered);
        len += (size_t)json_name(subs + len, scap - len, sr->band);
        len += (size_t)snprintf(subs + len, scap - len, "}%s", i + 1 == r->nsubscales ? "]" : "");
    }
    if (subs && len >= scap)
        return pl_err_set(err, PL_LIMIT, "the questionnaire's subscales exceed their buffer");
    q->answers = text;
    q->scored = r->scored;
    q->score = r->score;
    q->band = r->band;
    q->flags = (r->positive_screen ? STORE_QR_POSITIVE_SCREEN : 0) |
               (r->urgent ? STORE_QR_URGENT : 0) |
               (r->safety_item_missing ? STORE_QR_SAFETY_ITEM_MISSING : 0) |
               (r->prorated ? STORE_QR_PRORATED : 0);
    q->subscales = subs;
    return PL_OK;
}
