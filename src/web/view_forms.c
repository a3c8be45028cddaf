/*
 * view_forms.c - filling in a questionnaire and seeing its score at once.
 *
 * The form lists the instrument's items with the short neutral labels of
 * core/instrument.c in the page's language, each answered by one radio
 * group (items left blank are sent as missing: the instrument's own rule
 * decides whether it can still be scored). The answers are posted to the
 * API's questionnaire handler, which scores, stores and audits them and
 * opens the alerts the answers call for; the page then shows the response
 * with its score, band and screen result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/instrument.h"
#include "web_int.h"

static const char *const instruments[] = {"phq9", "phq2", "dds17", "dds2", "stanford_ses", NULL};

static int64_t path_id(web_ctx *w)
{
    char *end;
    long long v = w->id ? strtoll(w->id, &end, 10) : 0;
    return w->id && *end == '\0' && v > 0 ? (int64_t)v : 0;
}

void web_questionnaire_form(web_ctx *w)
{
    const char *params[1] = {w->id};
    json_object *p = NULL;
    int status = web_api_get(w, "/api/v1/participants/{id}", params, 1, NULL, 0, &p);
    if (status != 200) {
        web_error_page(w, status, status == 404 ? "err.notfound" : "err.forbidden");
        return;
    }
    const char *code =
        w->form.n ? web_form_get(&w->form, "instrument") : http_query_get(w->req, "instrument");
    const instrument_def *d = code ? instrument_find(code) : NULL;
    int st = w->res->status;
    web_begin(w, web_tr(w, "quest.title"));
    w->res->status = st;
    html_out(&w->h, "<h1>%s</h1><p><a href=\"/participants/%s\">%s %s</a></p>",
             web_tr(w, "quest.title"), w->id, web_js(p, "family_name"), web_js(p, "given_name"));
    if (!d) {
        html_raw(&w->h, "<ul class=\"plain\">");
        for (int i = 0; instruments[i]; i++) {
            const instrument_def *x = instrument_find(instruments[i]);
            html_out(&w->h,
                     "<li class=\"card\"><a href=\"/participants/%s/questionnaire?instrument=%s\">"
                     "%s</a></li>",
                     w->id, x->code, x->name);
        }
        html_raw(&w->h, "</ul>");
        web_end(w, 200);
        return;
    }
    if (w->err.nfields)
        html_out(&w->h, "<div class=\"card err\" role=\"alert\">%s</div>",
                 web_tr(w, "err.summary"));
    web_field_error(w, "form");
    html_out(&w->h,
             "<form method=\"post\" action=\"/participants/%s/questionnaire\" class=\"card\">"
             "<h2>%s</h2><input type=\"hidden\" name=\"instrument\" value=\"%s\">",
             w->id, d->name, d->code);
    web_csrf_input(w);
    const char *lang = web_lang_code(w->lang);
    for (int i = 1; i <= d->nitems; i++) {
        char name[16];
        snprintf(name, sizeof name, "item%d", i);
        const char *typed = web_value(w, name, "");
        html_out(&w->h, "<fieldset><legend>%d. %s</legend>", i, instrument_item_label(d, i, lang));
        for (int v = d->item_min; v <= d->item_max; v++) {
            char val[8];
            snprintf(val, sizeof val, "%d", v);
            html_out(&w->h, "<label><input type=\"radio\" name=\"%s\" value=\"%d\"%s>%d</label>",
                     name, v, strcmp(typed, val) == 0 ? " checked" : "", v);
        }
        html_raw(&w->h, "</fieldset>");
        web_field_error(w, name);
    }
    html_out(&w->h, "<p><button type=\"submit\">%s</button></p></form>", web_tr(w, "form.save"));
    web_end(w, w->err.nfields ? 422 : 200);
}

static void questionnaire_after(web_ctx *w)
{
    if (w->res->status == 201) {
        json_object *r = w->res->body.data ? json_tokener_parse(w->res->body.data) : NULL;
        int64_t id = web_ji(r, "id");
        json_object_put(r);
        web_redirect(w, pl_arena_printf(&w->req->arena, "/questionnaires/%lld", (long long)id));
        return;
    }
    web_after_write(w);
}

void web_questionnaire_post(web_ctx *w)
{
    int64_t pid = path_id(w);
    const char *code = web_form_get(&w->form, "instrument");
    const instrument_def *d = code ? instrument_find(code) : NULL;
    if (!pid || !d) {
        web_error_page(w, 404, "err.notfound");
        return;
    }
    json_object *body = json_object_new_object();
    json_object *answers = json_object_new_array();
    for (int i = 1; i <= d->nitems; i++) {
        char name[16];
        snprintf(name, sizeof name, "item%d", i);
        const char *v = web_form_get(&w->form, name);
        char *end = NULL;
        long n = v && *v ? strtol(v, &end, 10) : INSTR_MISSING;
        if (v && *v && (*end || n < d->item_min || n > d->item_max)) {
            pl_err_field(&w->err, name, "%s", web_tr(w, "err.invalid"));
            n = INSTR_MISSING;
        }
        json_object_array_add(answers, json_object_new_int((int)n));
    }
    if (w->err.nfields) {
        json_object_put(answers);
        json_object_put(body);
        web_questionnaire_form(w);
        w->res->status = 422;
        return;
    }
    char now[PL_TIME_STRLEN];
    pl_time_format((pl_time)time(NULL), now);
    json_object_object_add(body, "participant_id", json_object_new_int64(pid));
    json_object_object_add(body, "instrument", json_object_new_string(d->code));
    json_object_object_add(body, "answers", answers);
    json_object_object_add(body, "language", json_object_new_string(web_lang_code(w->lang)));
    json_object_object_add(body, "completed_at", json_object_new_string(now));
    w->after = questionnaire_after;
    web_api_write(w, "POST", "/api/v1/questionnaire-responses", NULL, 0, body);
}

void web_questionnaire_result(web_ctx *w)
{
    const char *params[1] = {w->id};
    json_object *q = NULL;
    int status = web_api_get(w, "/api/v1/questionnaire-responses/{id}", params, 1, NULL, 0, &q);
    if (status != 200) {
        web_error_page(w, status, status == 404 ? "err.notfound" : "err.forbidden");
        return;
    }
    const instrument_def *d = instrument_find(web_js(q, "instrument"));
    web_begin(w, web_tr(w, "quest.result"));
    html_out(&w->h, "<h1>%s · %s</h1><div class=\"card\" id=\"score\">", d ? d->name : "",
             web_tr(w, "quest.result"));
    json_object *scored = web_jo(q, "scored");
    if (scored && json_object_get_boolean(scored)) {
        char sc[WEB_NUM_MAX];
        web_fmt_num(w->lang, web_jd(q, "score"), d && d->mean ? 1 : 0, sc);
        html_out(&w->h, "<p><strong>%s: %s</strong></p>", web_tr(w, "record.score"), sc);
        if (web_js(q, "band"))
            html_out(&w->h, "<p>%s: %s</p>", web_tr(w, "quest.band"),
                     web_trk(w, "band", web_js(q, "band")));
    } else {
        html_out(&w->h, "<p>%s</p>", web_tr(w, "quest.unscored"));
    }
    json_object *urgent = web_jo(q, "urgent");
    if (urgent && json_object_get_boolean(urgent))
        html_out(&w->h, "<p class=\"urgent\">⚠ %s</p>", web_tr(w, "quest.urgent"));
    html_out(&w->h, "</div><p><a href=\"/participants/%D\">%s</a></p>", web_ji(q, "participant_id"),
             web_tr(w, "quest.back"));
    web_end(w, 200);
}
