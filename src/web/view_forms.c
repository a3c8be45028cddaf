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

#include "core/group.h"
#include "core/instrument.h"
#include "core/referral.h"
#include "web_int.h"

static const char *const instruments[] = {"phq9", "phq2", "dds17", "dds2", "stanford_ses", NULL};

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
    web_form_errors(w);
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
    int64_t pid = web_path_id(w);
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

/* ---- group sessions and attendance ----------------------------------------- */

void web_sessions(web_ctx *w)
{
    char since[PL_TIME_STRLEN];
    pl_time_format((pl_time)time(NULL) - 60 * 86400, since);
    const char *q[] = {"since", since, "limit", "100"};
    json_object *ss = NULL;
    int status = web_api_get(w, "/api/v1/group-sessions", NULL, 0, q, 2, &ss);
    if (status != 200) {
        web_error_page(w, status, status == 403 ? "err.forbidden" : "err.server");
        return;
    }
    web_begin(w, web_tr(w, "group.sessions"));
    html_out(&w->h, "<h1>%s</h1>", web_tr(w, "group.sessions"));
    json_object *items = web_jo(ss, "items");
    int n = items ? (int)json_object_array_length(items) : 0;
    if (n == 0)
        html_out(&w->h, "<p class=\"card\">%s</p>", web_tr(w, "record.none"));
    html_raw(&w->h, "<ul class=\"plain\" id=\"sessions\">");
    for (int i = 0; i < n; i++) {
        json_object *s = json_object_array_get_idx(items, (size_t)i);
        json_object *att = web_jo(s, "attendance");
        html_out(&w->h,
                 "<li class=\"card\"><a href=\"/sessions/%D/attendance\">%s</a><br>%s · %s · "
                 "%s %D</li>",
                 web_ji(s, "id"), web_js(s, "topic") ? web_js(s, "topic") : "–",
                 web_jdate(w, s, "scheduled_at"),
                 web_trk(w, "sstatus", web_js(s, "status") ? web_js(s, "status") : "scheduled"),
                 web_tr(w, "group.attended"), web_ji(att, "attended"));
    }
    html_raw(&w->h, "</ul>");
    web_end(w, 200);
}

/* The participant's recorded attendance status in the session's roll, or NULL. */
static const char *recorded(json_object *roll, int64_t participant)
{
    int n = roll ? (int)json_object_array_length(roll) : 0;
    for (int i = 0; i < n; i++) {
        json_object *r = json_object_array_get_idx(roll, (size_t)i);
        if (web_ji(r, "participant_id") == participant)
            return web_js(r, "status");
    }
    return NULL;
}

void web_attendance_form(web_ctx *w)
{
    const char *params[1] = {w->id};
    json_object *a = NULL, *ms = NULL;
    int status = web_api_get(w, "/api/v1/group-sessions/{id}/attendance", params, 1, NULL, 0, &a);
    if (status != 200) {
        web_error_page(w, status, status == 404 ? "err.notfound" : "err.forbidden");
        return;
    }
    json_object *s = web_jo(a, "session");
    char gid[24];
    snprintf(gid, sizeof gid, "%lld", (long long)web_ji(s, "group_id"));
    const char *gp[1] = {gid};
    const char *q[] = {"limit", "200"};
    web_api_get(w, "/api/v1/groups/{id}/members", gp, 1, q, 1, &ms);
    const char *day = web_js(s, "scheduled_at");
    char date[11] = "";
    if (day)
        snprintf(date, sizeof date, "%.10s", day);
    int st = w->res->status;
    web_begin(w, web_tr(w, "group.attendance"));
    w->res->status = st;
    html_out(&w->h, "<h1>%s</h1><p>%s · %s</p>", web_tr(w, "group.attendance"),
             web_js(s, "topic") ? web_js(s, "topic") : "", web_jdate(w, s, "scheduled_at"));
    web_form_errors(w);
    html_out(&w->h, "<form method=\"post\" action=\"/sessions/%s/attendance\" class=\"card\">",
             w->id);
    web_csrf_input(w);
    json_object *items = web_jo(ms, "items");
    int n = items ? (int)json_object_array_length(items) : 0;
    int shown = 0;
    for (int i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(items, (size_t)i);
        const char *joined = web_js(m, "joined_on"), *left = web_js(m, "left_on");
        /* the roll: members on the session's day */
        if (date[0] && ((joined && strcmp(joined, date) > 0) || (left && strcmp(left, date) < 0)))
            continue;
        int64_t pid = web_ji(m, "participant_id");
        char name[24];
        snprintf(name, sizeof name, "p%lld", (long long)pid);
        const char *cur = web_value(w, name, recorded(web_jo(a, "items"), pid));
        html_out(&w->h, "<fieldset data-participant=\"%D\"><legend>%s%s</legend>", pid,
                 web_js(m, "family_name") ? web_js(m, "family_name") : "",
                 web_js(m, "given_name") ? web_js(m, "given_name") : "");
        for (int k = 0; pl_attendance_names[k]; k++)
            html_out(&w->h, "<label><input type=\"radio\" name=\"%s\" value=\"%s\"%s>%s</label>",
                     name, pl_attendance_names[k],
                     cur && strcmp(cur, pl_attendance_names[k]) == 0 ? " checked" : "",
                     web_trk(w, "attend", pl_attendance_names[k]));
        html_raw(&w->h, "</fieldset>");
        shown++;
    }
    if (shown == 0)
        html_out(&w->h, "<p class=\"muted\">%s</p>", web_tr(w, "record.none"));
    html_out(&w->h, "<p><button type=\"submit\">%s</button></p></form>", web_tr(w, "form.save"));
    web_end(w, w->err.nfields ? 422 : 200);
}

void web_attendance_post(web_ctx *w)
{
    json_object *arr = json_object_new_array();
    for (int i = 0; i < w->form.n; i++) {
        const char *name = w->form.names[i];
        char *end;
        long long pid = name[0] == 'p' ? strtoll(name + 1, &end, 10) : 0;
        if (pid <= 0 || *end)
            continue;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "participant_id", json_object_new_int64(pid));
        json_object_object_add(o, "status", json_object_new_string(w->form.values[i]));
        json_object_array_add(arr, o);
    }
    json_object *body = json_object_new_object();
    json_object_object_add(body, "attendance", arr);
    const char *params[1] = {w->id};
    w->after = web_after_write;
    w->next = pl_arena_printf(&w->req->arena, "/sessions/%s/attendance", w->id);
    web_api_write(w, "PUT", "/api/v1/group-sessions/{id}/attendance", params, 1, body);
}

/* ---- the resource directory: search and refer ------------------------------- */

void web_refer_form(web_ctx *w)
{
    const char *params[1] = {w->id};
    json_object *p = NULL, *rs = NULL;
    int status = web_api_get(w, "/api/v1/participants/{id}", params, 1, NULL, 0, &p);
    if (status != 200) {
        web_error_page(w, status, status == 404 ? "err.notfound" : "err.forbidden");
        return;
    }
    const char *text = http_query_get(w->req, "q");
    if (w->form.n)
        text = web_form_get(&w->form, "q");
    char program[24];
    snprintf(program, sizeof program, "%lld", (long long)web_ji(p, "program_id"));
    const char *q[] = {"program_id", program, "q", text ? text : "", "limit", "20"};
    status = web_api_get(w, "/api/v1/resources", NULL, 0, q, text && *text ? 3 : 1, &rs);
    if (status == 200 && (!text || !*text)) {
        /* no words yet: the directory's first entries */
        const char *q2[] = {"program_id", program, "limit", "20"};
        web_api_get(w, "/api/v1/resources", NULL, 0, q2, 2, &rs);
    }
    int st = w->res->status;
    web_begin(w, web_tr(w, "refer.title"));
    w->res->status = st;
    html_out(&w->h, "<h1>%s</h1><p><a href=\"/participants/%s\">%s%s</a></p>",
             web_tr(w, "refer.title"), w->id, web_js(p, "family_name"), web_js(p, "given_name"));
    web_form_errors(w);
    html_out(&w->h,
             "<form method=\"get\" action=\"/participants/%s/refer\" class=\"card\" "
             "role=\"search\"><label for=\"q\">%s</label><input type=\"text\" id=\"q\" name=\"q\" "
             "value=\"%s\"><p><button type=\"submit\">%s</button></p></form>",
             w->id, web_tr(w, "refer.search"), text ? text : "", web_tr(w, "refer.find"));
    json_object *items = web_jo(rs, "items");
    int n = items ? (int)json_object_array_length(items) : 0;
    if (n == 0)
        html_out(&w->h, "<p class=\"muted\">%s</p>", web_tr(w, "record.none"));
    html_raw(&w->h, "<ul class=\"plain\" id=\"resources\">");
    for (int i = 0; i < n; i++) {
        json_object *r = json_object_array_get_idx(items, (size_t)i);
        int64_t sid = web_ji(r, "id");
        html_out(&w->h,
                 "<li class=\"card\" data-service=\"%D\"><strong>%s</strong><br>%s<br>"
                 "<span class=\"muted\">%s</span>",
                 sid, web_js(r, "name"), web_js(web_jo(r, "organization"), "name"),
                 web_js(r, "description"));
        html_out(&w->h,
                 "<form method=\"post\" action=\"/participants/%s/refer\">"
                 "<input type=\"hidden\" name=\"service_id\" value=\"%D\">",
                 w->id, sid);
        web_csrf_input(w);
        web_select_begin(w, pl_arena_printf(&w->req->arena, "need-%lld", (long long)sid), "need",
                         "refer.need");
        web_name_options(w, pl_referral_need_names, "need", NULL);
        html_out(&w->h,
                 "</select><label for=\"notes-%D\">%s</label><textarea id=\"notes-%D\" "
                 "name=\"notes\" rows=\"2\"></textarea><p><button type=\"submit\">%s</button></p>"
                 "</form></li>",
                 sid, web_tr(w, "contact.note"), sid, web_tr(w, "refer.submit"));
    }
    html_raw(&w->h, "</ul>");
    web_end(w, w->err.nfields ? 422 : 200);
}

void web_refer_post(web_ctx *w)
{
    int64_t pid = web_path_id(w);
    if (!pid) {
        web_error_page(w, 404, "err.notfound");
        return;
    }
    json_object *body = web_form_body(w, web_refer_form);
    if (!body)
        return;
    json_object_object_add(body, "participant_id", json_object_new_int64(pid));
    json_object_object_add(body, "status", json_object_new_string("sent"));
    w->after = web_after_write;
    w->next = pl_arena_printf(&w->req->arena, "/participants/%lld", (long long)pid);
    web_api_write(w, "POST", "/api/v1/referrals", NULL, 0, body);
}
