/*
 * pages.c - the page table, the dispatcher every page runs through, the
 * layout, sign-in and CSRF, and the form and table helpers every page
 * writes its fields and tables with.
 *
 * web_pages is the single declaration of the web app: each row is turned
 * into an http_route whose handler is web_dispatch(), which finds the row
 * again by the route's position in the table web_routes_new() built. The
 * dispatcher signs the request in with the API's own session cookie
 * (pl_session; a page needing a role redirects to /login otherwise),
 * answers a role outside the row's set with an HTML 403, picks the
 * language (the pl_lang cookie set by the language links, else
 * Accept-Language, else English), parses a POST's form and refuses it with
 * 403 unless it carries the CSRF token: a keyed BLAKE2b of the session
 * hash under the installation secret (before sign-in, of the random
 * pl_pre cookie), so a token is good for one session only.
 *
 * Writes are handed to the API's handlers (web_api_write); the answer
 * arrives through the request's finish hook, which turns it into a
 * redirect or the same form again with the errors beside the fields.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/referral.h"
#include "web_int.h"

#define R(role) (1u << PL_ROLE_##role)
#define ALL                                                                                        \
    (R(ADMIN) | R(PROGRAM_MANAGER) | R(CLINICIAN) | R(PEER_LEADER) | R(NAVIGATOR) | R(EVALUATOR))
#define IDENTIFIED (ALL & ~R(EVALUATOR))
#define MANAGERS   (R(ADMIN) | R(PROGRAM_MANAGER))
#define PRE_COOKIE "pl_pre"

/* ---- form schemas (typed as the API bodies they become) ------------------ */

static const http_field login_form[] = {
    {"username", HTTP_F_STRING, true, false, 0, 64, NULL},
    {"password", HTTP_F_STRING, true, false, 0, 256, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
static const http_field contact_form[] = {
    {"mode", HTTP_F_STRING, true, false, 0, 40, pl_contact_mode_names},
    {"minutes", HTTP_F_INT, true, false, 1, 600, NULL},
    {"key_functions", HTTP_F_STRINGS, true, false, 0, 0, NULL},
    {"topics", HTTP_F_STRINGS, false, false, 0, 0, pl_topic_names},
    {"note", HTTP_F_TEXT, false, true, 0, 4000, NULL},
    {"follow_up_date", HTTP_F_DATE, false, true, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
static const http_field measurement_form[] = {
    {"code", HTTP_F_STRING, true, false, 0, 20, NULL},
    {"value", HTTP_F_DECIMAL, true, false, 0, 0, NULL},
    {"unit", HTTP_F_STRING, false, true, 0, 20, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
static const http_field questionnaire_form[] = {
    {"instrument", HTTP_F_STRING, true, false, 0, 20, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
static const http_field refer_form[] = {
    {"service_id", HTTP_F_ID, true, false, 0, 0, NULL},
    {"need", HTTP_F_STRING, true, false, 0, 20, pl_referral_need_names},
    {"notes", HTTP_F_TEXT, false, true, 0, 4000, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
static const http_field account_form[] = {
    {"username", HTTP_F_STRING, true, false, 0, 64, NULL},
    {"display_name", HTTP_F_STRING, false, true, 0, 200, NULL},
    {"role", HTTP_F_STRING, true, false, 0, 40, pl_role_names},
    {"scope_unit_id", HTTP_F_ID, false, true, 0, 0, NULL},
    {"password", HTTP_F_STRING, true, false, 0, 256, NULL},
    {"language", HTTP_F_STRING, false, true, 0, 16, pl_language_names},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
static const http_field account_edit_form[] = {
    {"display_name", HTTP_F_STRING, false, true, 0, 200, NULL},
    {"role", HTTP_F_STRING, true, false, 0, 40, pl_role_names},
    {"scope_unit_id", HTTP_F_ID, false, true, 0, 0, NULL},
    {"language", HTTP_F_STRING, false, true, 0, 16, pl_language_names},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
static const http_field password_form[] = {
    {"password", HTTP_F_STRING, true, false, 0, 256, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
static const http_field empty_form[] = {
    {NULL, 0, 0, 0, 0, 0, NULL},
};

/* ---- the page table ------------------------------------------------------ */

const web_page web_pages[] = {
    {"GET", "/", web_home, ALL, NULL, "Home: the worklist, the alert inbox or the dashboard"},
    {"GET", "/login", web_login_get, 0, NULL, "The sign-in form"},
    {"POST", "/login", web_login_post, 0, login_form, "Sign in with username and password"},
    {"POST", "/logout", web_logout, ALL, empty_form, "Sign out"},
    {"GET", "/lang/{code}", web_lang_set, 0, NULL, "Choose the language (en, es, zh-CN)"},
    {"GET", "/worklist", web_worklist, IDENTIFIED, NULL, "The peer leader's worklist"},
    {"GET", "/participants/{id}", web_participant, IDENTIFIED, NULL,
     "A participant's record with trends, contacts, tasks, alerts and referrals"},
    {"GET", "/participants/{id}/contact", web_contact_form,
     MANAGERS | R(PEER_LEADER) | R(NAVIGATOR), NULL, "The form to log a contact"},
    {"POST", "/participants/{id}/contact", web_contact_post,
     MANAGERS | R(PEER_LEADER) | R(NAVIGATOR), contact_form, "Log a contact"},
    {"GET", "/participants/{id}/measurement", web_measurement_form,
     MANAGERS | R(CLINICIAN) | R(PEER_LEADER), NULL, "The form to record a measurement"},
    {"POST", "/participants/{id}/measurement", web_measurement_post,
     MANAGERS | R(CLINICIAN) | R(PEER_LEADER), measurement_form, "Record a measurement"},
    {"GET", "/participants/{id}/questionnaire", web_questionnaire_form,
     MANAGERS | R(CLINICIAN) | R(PEER_LEADER) | R(NAVIGATOR), NULL,
     "Choose a questionnaire, then its form with the items in the page's language"},
    {"POST", "/participants/{id}/questionnaire", web_questionnaire_post,
     MANAGERS | R(CLINICIAN) | R(PEER_LEADER) | R(NAVIGATOR), questionnaire_form,
     "Record a questionnaire; shows its score"},
    {"GET", "/questionnaires/{id}", web_questionnaire_result, IDENTIFIED, NULL,
     "A questionnaire response with its score, band and screen result"},
    {"GET", "/participants/{id}/refer", web_refer_form, IDENTIFIED, NULL,
     "Search the participant's program's resource directory (?q=)"},
    {"POST", "/participants/{id}/refer", web_refer_post, IDENTIFIED, refer_form,
     "Refer the participant to a service of the directory"},
    {"GET", "/sessions", web_sessions, IDENTIFIED, NULL,
     "Group sessions of the last 60 days and upcoming, of the groups in scope"},
    {"GET", "/sessions/{id}/attendance", web_attendance_form, IDENTIFIED, NULL,
     "A session's roll: one tap per member (attended, absent, excused)"},
    {"POST", "/sessions/{id}/attendance", web_attendance_post,
     MANAGERS | R(CLINICIAN) | R(PEER_LEADER), empty_form,
     "Record a session's attendance; attendees get a group contact"},
    {"GET", "/alerts", web_alerts, IDENTIFIED, NULL, "The alert inbox"},
    {"POST", "/alerts/{id}/acknowledge", web_alert_ack, MANAGERS | R(CLINICIAN), empty_form,
     "Acknowledge an alert"},
    {"GET", "/dashboard", web_dashboard, MANAGERS | R(EVALUATOR), NULL,
     "The program dashboard: communities, contacts, key functions, caseloads, ratings, HbA1c"},
    {"GET", "/admin/accounts", web_accounts, R(ADMIN), NULL,
     "Staff accounts, and the form to create one"},
    {"POST", "/admin/accounts", web_account_create, R(ADMIN), account_form,
     "Create a staff account"},
    {"GET", "/admin/accounts/{id}", web_account_edit, R(ADMIN), NULL,
     "One staff account, to change its name, role, scope, language or password"},
    {"POST", "/admin/accounts/{id}", web_account_update, R(ADMIN), account_edit_form,
     "Change a staff account's name, role, scope or language"},
    {"POST", "/admin/accounts/{id}/password", web_account_password, R(ADMIN), password_form,
     "Set a staff account's new password; its sessions end"},
    {"POST", "/admin/accounts/{id}/disable", web_account_disable, R(ADMIN), empty_form,
     "Disable a staff account"},
    {"POST", "/admin/accounts/{id}/enable", web_account_enable, R(ADMIN), empty_form,
     "Enable a staff account"},
    {"GET", "/studies/{id}/report", web_report, MANAGERS | R(EVALUATOR), NULL,
     "A study's outcome report (HTML)"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};

/* ---- the route table ----------------------------------------------------- */

static void web_dispatch(http_request *req, http_response *res);

static const http_route *page_routes; /* the table web_routes_new built: rows 0..npages-1 */
static int npages;

pl_status web_routes_new(http_route **out, pl_err *err)
{
    int np = 0, na = 0;
    while (web_pages[np].method)
        np++;
    while (api_routes[na].method)
        na++;
    http_route *t = calloc((size_t)np + (size_t)na + 1, sizeof *t);
    if (!t)
        return pl_err_set(err, PL_NOMEM, "out of memory building the route table");
    for (int i = 0; i < np; i++)
        t[i] = (http_route){web_pages[i].method, web_pages[i].path, web_dispatch, 0, NULL,
                            web_pages[i].summary};
    for (int i = 0; i < na; i++)
        t[np + i] = api_routes[i];
    page_routes = t;
    npages = np;
    *out = t;
    return PL_OK;
}

void web_routes_free(http_route *routes)
{
    if (routes == page_routes) {
        page_routes = NULL;
        npages = 0;
    }
    free(routes);
}

/* ---- small helpers ------------------------------------------------------- */

const char *web_tr(web_ctx *w, const char *key)
{
    return web_t(w->lang, key);
}

const char *web_trk(web_ctx *w, const char *prefix, const char *name)
{
    return web_tk(w->lang, prefix, name);
}

static void csrf_token(const api_context *app, const char *purpose, const unsigned char *msg,
                       size_t len, char out[65])
{
    unsigned char mac[32];
    crypto_generichash_state st;
    crypto_generichash_init(&st, app->secret, sizeof app->secret, sizeof mac);
    crypto_generichash_update(&st, (const unsigned char *)purpose, strlen(purpose) + 1);
    crypto_generichash_update(&st, msg, len);
    crypto_generichash_final(&st, mac, sizeof mac);
    sodium_bin2hex(out, 65, mac, sizeof mac);
}

void web_csrf_input(web_ctx *w)
{
    html_out(&w->h, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", w->csrf);
}

void web_redirect(web_ctx *w, const char *location)
{
    w->res->status = 303;
    w->res->content_type = NULL;
    w->res->body.len = 0;
    http_header(w->res, "Location", location);
}

/* ---- layout -------------------------------------------------------------- */

static const char style[] =
    "<style>"
    "*{box-sizing:border-box}"
    "body{margin:0;font:16px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans',"
    "'Noto Sans CJK SC',sans-serif;color:#1b1b1b;background:#f6f7f9}"
    "header{background:#0b4f6c;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;"
    "gap:.5rem 1rem;align-items:center}"
    "header a,header button{color:#fff}"
    "header nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem;flex:1}"
    "header form{margin:0}"
    ".brand{font-weight:700;text-decoration:none}"
    "main{max-width:72rem;margin:0 auto;padding:1rem}"
    "h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}"
    "a{color:#0b5c8a}a:focus,button:focus,input:focus,select:focus,textarea:focus{"
    "outline:3px solid #f2a900;outline-offset:2px}"
    ".card{background:#fff;border:1px solid #d5d9de;border-radius:6px;padding:.75rem 1rem;"
    "margin:.5rem 0}"
    ".grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr))}"
    "table{border-collapse:collapse;width:100%;background:#fff}"
    "th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e1e4e8;vertical-align:top}"
    ".scroll{overflow-x:auto}"
    "label{display:block;font-weight:600;margin:.75rem 0 .25rem}"
    "fieldset{border:1px solid #d5d9de;border-radius:6px;margin:.75rem 0;padding:.5rem .75rem}"
    "fieldset label{display:inline-flex;gap:.35rem;font-weight:400;margin:.25rem 1rem .25rem 0}"
    "legend{font-weight:600}"
    "input,select,textarea{font:inherit;padding:.45rem;border:1px solid #6b7580;border-radius:4px;"
    "max-width:100%}"
    "input[type=text],input[type=password],input[type=number],input[type=date],select,textarea{"
    "width:100%}"
    "input[type=checkbox]{width:1.2rem;height:1.2rem}"
    "button,.button{font:inherit;background:#0b5c8a;color:#fff;border:0;border-radius:4px;"
    "padding:.55rem 1rem;cursor:pointer;text-decoration:none;display:inline-block}"
    "header button{background:transparent;border:1px solid #fff;padding:.25rem .6rem}"
    ".err{color:#a4000f;font-weight:600;margin:.25rem 0}"
    ".err::before{content:'\\26A0  '}"
    ".tag{display:inline-block;border:1px solid currentColor;border-radius:3px;padding:0 .35rem;"
    "font-size:.85rem;margin-right:.25rem}"
    ".urgent{color:#a4000f}.attention{color:#8a4b00}.ok{color:#1e6b33}"
    ".muted{color:#59636e}"
    ".langs a{margin-right:.5rem}"
    "svg{max-width:100%;height:auto;background:#fff}"
    "ul.plain{list-style:none;padding:0;margin:0}"
    "@media(max-width:40rem){main{padding:.5rem}h1{font-size:1.3rem}}"
    "</style>";

static void nav_link(web_ctx *w, const char *href, const char *key)
{
    html_out(&w->h, "<a href=\"%s\">%s</a>", href, web_tr(w, key));
}

void web_begin(web_ctx *w, const char *title)
{
    http_request *req = w->req;
    html_out(&w->h,
             "<!doctype html><html lang=\"%s\"><head><meta charset=\"utf-8\">"
             "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
             "<title>%s · peerlink</title>",
             web_lang_code(w->lang), title);
    html_raw_(&w->h, style); /* compile-time markup */
    html_raw(&w->h, "</head><body><header><a class=\"brand\" href=\"/\">peerlink</a>");
    if (req->signed_in) {
        html_raw(&w->h, "<nav aria-label=\"main\">");
        uint32_t role = 1u << req->account.role;
        if (role & IDENTIFIED)
            nav_link(w, "/worklist", "nav.worklist");
        if (role & IDENTIFIED)
            nav_link(w, "/sessions", "nav.sessions");
        if (role & IDENTIFIED)
            nav_link(w, "/alerts", "nav.alerts");
        if (role & (MANAGERS | R(EVALUATOR)))
            nav_link(w, "/dashboard", "nav.dashboard");
        if (role & R(ADMIN))
            nav_link(w, "/admin/accounts", "nav.accounts");
        html_raw(&w->h, "</nav>");
    }
    html_out(&w->h, "<span class=\"langs\" aria-label=\"%s\">", web_tr(w, "nav.language"));
    for (int i = 0; i < WEB_LANG__COUNT; i++)
        html_out(&w->h, "<a href=\"/lang/%s?back=%s\" lang=\"%s\">%s</a>",
                 web_lang_code((web_lang)i), w->path, web_lang_code((web_lang)i),
                 web_lang_name((web_lang)i));
    html_raw(&w->h, "</span>");
    if (req->signed_in) {
        html_out(&w->h, "<span>%s</span>",
                 req->account.display_name ? req->account.display_name : req->account.username);
        html_raw(&w->h, "<form method=\"post\" action=\"/logout\">");
        web_csrf_input(w);
        html_out(&w->h, "<button type=\"submit\">%s</button></form>", web_tr(w, "nav.logout"));
    }
    html_raw(&w->h, "</header><main id=\"main\">");
}

void web_end(web_ctx *w, int status)
{
    html_raw(&w->h, "</main></body></html>");
    w->res->status = status;
    w->res->content_type = "text/html; charset=utf-8";
    if (w->h.status != PL_OK) {
        w->res->body.len = 0;
        w->h.status = PL_OK;
        html_raw(&w->h, "<!doctype html><title>peerlink</title><p>The page is too large.</p>");
        w->res->status = 500;
    }
}

void web_error_page(web_ctx *w, int status, const char *message_key)
{
    w->res->body.len = 0;
    web_begin(w, web_tr(w, message_key));
    html_out(&w->h, "<h1>%s</h1><p><a href=\"/\">%s</a></p>", web_tr(w, message_key),
             web_tr(w, "nav.home"));
    web_end(w, status);
}

/* ---- form fields --------------------------------------------------------- */

void web_field_error(web_ctx *w, const char *field)
{
    for (int i = 0; i < w->err.nfields; i++)
        if (strcmp(w->err.fields[i].field, field) == 0) {
            html_out(&w->h, "<p class=\"err\" id=\"err-%s\">%s</p>", field,
                     w->err.fields[i].message);
            return;
        }
}

const char *web_value(web_ctx *w, const char *field, const char *dflt)
{
    /* a field the posted form did not carry (another form's, on a page with two) keeps dflt */
    const char *v = w->form.n > 0 ? web_form_get(&w->form, field) : NULL;
    return v ? v : dflt;
}

bool web_checked(web_ctx *w, const char *field, const char *value, bool dflt)
{
    if (w->form.n == 0)
        return dflt;
    for (int i = 0; i < w->form.n; i++)
        if (strcmp(w->form.names[i], field) == 0 && strcmp(w->form.values[i], value) == 0)
            return true;
    return false;
}

int64_t web_path_id(web_ctx *w)
{
    char *end;
    long long v = w->id ? strtoll(w->id, &end, 10) : 0;
    return w->id && *end == '\0' && v > 0 ? (int64_t)v : 0;
}

json_object *web_form_body(web_ctx *w, web_handler form)
{
    json_object *body = web_form_json(w);
    if (w->err.nfields == 0)
        return body;
    json_object_put(body);
    form(w);
    if (w->res->status < 400)
        w->res->status = 422;
    return NULL;
}

void web_form_errors(web_ctx *w)
{
    if (w->err.nfields == 0)
        return;
    html_out(&w->h, "<div class=\"card err\" role=\"alert\">%s</div>", web_tr(w, "err.summary"));
    web_field_error(w, "form");
}

void web_text_input_value(web_ctx *w, const char *name, const char *label_key, const char *type,
                          web_input_hint hint, const char *current)
{
    html_out(&w->h, "<label for=\"%s\">%s</label><input type=\"%s\" id=\"%s\" name=\"%s\"", name,
             web_tr(w, label_key), type, name, name);
    if (hint == WEB_INPUT_DECIMAL)
        html_raw(&w->h, " inputmode=\"decimal\"");
    if (hint != WEB_INPUT_NEW_PASSWORD)
        html_out(&w->h, " value=\"%s\"", web_value(w, name, current ? current : ""));
    if (hint == WEB_INPUT_NO_AUTOFILL)
        html_raw(&w->h, " autocomplete=\"off\"");
    if (hint == WEB_INPUT_NEW_PASSWORD)
        html_raw(&w->h, " autocomplete=\"new-password\"");
    html_raw(&w->h, ">");
    web_field_error(w, name);
}

void web_text_input(web_ctx *w, const char *name, const char *label_key, const char *type,
                    web_input_hint hint)
{
    web_text_input_value(w, name, label_key, type, hint, "");
}

void web_select_begin(web_ctx *w, const char *id, const char *name, const char *label_key)
{
    html_out(&w->h, "<label for=\"%s\">%s</label><select id=\"%s\" name=\"%s\">", id,
             web_tr(w, label_key), id, name);
}

void web_option(web_ctx *w, const char *value, const char *label, bool selected)
{
    html_out(&w->h, "<option value=\"%s\"%s>%s</option>", value, selected ? " selected" : "",
             label);
}

void web_name_options(web_ctx *w, const char *const *names, const char *prefix,
                      const char *selected)
{
    for (int i = 0; names[i]; i++)
        web_option(w, names[i], web_trk(w, prefix, names[i]),
                   selected && strcmp(names[i], selected) == 0);
}

void web_select_end(web_ctx *w, const char *field)
{
    html_raw(&w->h, "</select>");
    web_field_error(w, field);
}

void web_table_begin(web_ctx *w, const char *id, const char *const *heads)
{
    if (id)
        html_out(&w->h, "<div class=\"scroll\"><table id=\"%s\"><tr>", id);
    else
        html_raw(&w->h, "<div class=\"scroll\"><table><tr>");
    for (int i = 0; heads[i]; i++)
        html_out(&w->h, "<th>%s</th>", strchr(heads[i], '.') ? web_tr(w, heads[i]) : heads[i]);
    html_raw(&w->h, "</tr>");
}

/* The localized message for a field error of the given type. */
static const char *type_message(web_ctx *w, const http_field *f)
{
    if (!f)
        return web_tr(w, "err.invalid");
    switch (f->type) {
    case HTTP_F_INT:
        return web_tr(w, "err.int");
    case HTTP_F_DECIMAL:
        return web_tr(w, "err.number");
    case HTTP_F_DATE:
        return web_tr(w, "err.date");
    case HTTP_F_STRINGS:
        return web_tr(w, "err.choose");
    default:
        return web_tr(w, "err.invalid");
    }
}

static const http_field *form_field(web_ctx *w, const char *name)
{
    for (const http_field *f = w->page->form; f && f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

/* Adds a localized field error (one per field). */
static void add_error(web_ctx *w, const char *field, const char *message)
{
    for (int i = 0; i < w->err.nfields; i++)
        if (strcmp(w->err.fields[i].field, field) == 0)
            return;
    pl_err_field(&w->err, field, "%s", message);
}

json_object *web_form_json(web_ctx *w)
{
    json_object *o = json_object_new_object();
    for (const http_field *f = w->page->form; f && f->name; f++) {
        if (f->type == HTTP_F_STRINGS) {
            const char *vals[32];
            int n = web_form_all(&w->form, f->name, vals, 32);
            if (n == 0 && !f->required)
                continue;
            json_object *arr = json_object_new_array();
            for (int i = 0; i < n; i++)
                json_object_array_add(arr, json_object_new_string(vals[i]));
            json_object_object_add(o, f->name, arr);
            if (n == 0)
                add_error(w, f->name, web_tr(w, "err.choose"));
            continue;
        }
        const char *v = web_form_get(&w->form, f->name);
        if (!v || !*v) {
            if (f->required)
                add_error(w, f->name, web_tr(w, "err.required"));
            else if (f->nullable)
                json_object_object_add(o, f->name, NULL);
            continue;
        }
        if (f->type == HTTP_F_INT || f->type == HTTP_F_ID) {
            char *end;
            long long n = strtoll(v, &end, 10);
            if (*end || end == v || (f->min < f->max && (n < f->min || n > f->max))) {
                add_error(w, f->name, type_message(w, f));
                continue;
            }
            json_object_object_add(o, f->name, json_object_new_int64(n));
        } else if (f->type == HTTP_F_DECIMAL) {
            /* a decimal comma (es) is the same number */
            char *d = pl_arena_strdup(&w->req->arena, v);
            for (char *c = d; c && *c; c++)
                if (*c == ',')
                    *c = '.';
            json_object_object_add(o, f->name, json_object_new_string(d ? d : v));
        } else if (f->type == HTTP_F_BOOL) {
            json_object_object_add(o, f->name, json_object_new_boolean(true));
        } else {
            json_object_object_add(o, f->name, json_object_new_string(v));
        }
    }
    return o;
}

/* ---- JSON reading -------------------------------------------------------- */

json_object *web_jo(json_object *o, const char *key)
{
    json_object *v = NULL;
    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

const char *web_js(json_object *o, const char *key)
{
    json_object *v = web_jo(o, key);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

int64_t web_ji(json_object *o, const char *key)
{
    json_object *v = web_jo(o, key);
    return v ? json_object_get_int64(v) : 0;
}

double web_jd(json_object *o, const char *key)
{
    json_object *v = web_jo(o, key);
    if (!v)
        return 0;
    if (json_object_is_type(v, json_type_string))
        return strtod(json_object_get_string(v), NULL);
    return json_object_get_double(v);
}

const char *web_person_name(web_ctx *w, json_object *o)
{
    const char *g = web_js(o, "given_name"), *f = web_js(o, "family_name");
    /* family name first in Chinese, and for names written in CJK characters */
    if (w->lang == WEB_LANG_ZH || (g && (unsigned char)g[0] >= 0xe0))
        return pl_arena_printf(&w->req->arena, "%s%s", f ? f : "", g ? g : "");
    return pl_arena_printf(&w->req->arena, "%s %s", g ? g : "", f ? f : "");
}

const char *web_jdate(web_ctx *w, json_object *o, const char *key)
{
    const char *s = web_js(o, key);
    pl_date d;
    char ymd[11];
    if (!s || strlen(s) < 10)
        return "";
    snprintf(ymd, sizeof ymd, "%.10s", s);
    if (pl_date_parse(ymd, &d) != PL_OK)
        return s;
    char *out = pl_arena_alloc(&w->req->arena, WEB_DATE_MAX);
    if (!out)
        return ymd[0] ? s : "";
    web_fmt_date(w->lang, d, out);
    return out;
}

/* ---- calling the API ----------------------------------------------------- */

static const http_route *api_route(const char *method, const char *pattern)
{
    for (const http_route *r = api_routes; r->method; r++)
        if (strcmp(r->method, method) == 0 && strcmp(r->path, pattern) == 0)
            return r;
    return NULL;
}

/* Points the request at an API path (for the handler, its audit and its links). */
static void aim(http_request *req, const char *pattern, const char *const *params, int nparams)
{
    pl_buf b;
    pl_buf_init(&b, 1024);
    int k = 0;
    for (const char *p = pattern; *p; p++) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            pl_buf_puts(&b, k < nparams ? params[k] : "0");
            k++;
            p = close ? close : p;
        } else {
            pl_buf_append(&b, p, 1);
        }
    }
    req->path = pl_arena_strdup(&req->arena, b.data ? b.data : pattern);
    pl_buf_free(&b);
    for (int i = 0; i < nparams && i < HTTP_PATH_PARAMS_MAX; i++)
        req->params[i] = params[i];
    req->nparams = nparams;
}

static json_object *own(web_ctx *w, json_object *o)
{
    if (o && w->nowned < WEB_OWNED_MAX)
        w->owned[w->nowned++] = o;
    else if (o) {
        json_object_put(o);
        o = NULL;
    }
    return o;
}

int web_api_get(web_ctx *w, const char *pattern, const char *const *params, int nparams,
                const char *const *query, int nquery, json_object **out)
{
    http_request *req = w->req;
    *out = NULL;
    const http_route *r = api_route("GET", pattern);
    if (!r)
        return 404;
    if (!(r->roles & (1u << req->account.role)))
        return 403;
    const char *path = req->path, *method = req->method;
    const char *saved[HTTP_PATH_PARAMS_MAX];
    int nsaved = req->nparams;
    memcpy(saved, req->params, sizeof saved);
    aim(req, pattern, params, nparams);
    req->method = "GET";
    req->query_set = true;
    req->query = query;
    req->nquery = nquery;
    http_response tmp = {.status = 200};
    pl_buf_init(&tmp.body, 0);
    r->handler(req, &tmp);
    req->query_set = false;
    req->path = path;
    req->method = method;
    memcpy(req->params, saved, sizeof saved);
    req->nparams = nsaved;
    if (tmp.status < 300 && tmp.body.data)
        *out = own(w, json_tokener_parse(tmp.body.data));
    pl_buf_free(&tmp.body);
    return tmp.status;
}

/* The finish hook: the API answered a write. */
static void write_finished(http_request *req, http_response *res)
{
    web_ctx *w = req->view;
    req->finish = NULL;
    res->nheaders = 0;
    if (w->after)
        w->after(w);
    for (int i = 0; i < w->nowned; i++)
        json_object_put(w->owned[i]);
    w->nowned = 0;
}

/*
 * The message beside a field: the API's own rule ("must be between 4 and
 * 20") on English pages, where it is already in the reader's language;
 * elsewhere the catalog's message for the kind of field, since the API's
 * rules are written in English.
 */
static const char *field_message(web_ctx *w, const http_field *f, const char *api_message)
{
    if (w->lang == WEB_LANG_EN && f && api_message && *api_message)
        return api_message;
    return type_message(w, f);
}

/* Field errors of an API problem answer, as localized messages beside the fields. */
static void problem_errors(web_ctx *w)
{
    json_object *p = w->res->body.data ? json_tokener_parse(w->res->body.data) : NULL;
    json_object *errs = web_jo(p, "errors");
    int n = errs && json_object_is_type(errs, json_type_array) ? (int)json_object_array_length(errs)
                                                               : 0;
    for (int i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(errs, (size_t)i);
        const char *field = web_js(e, "field");
        if (!field)
            continue;
        const http_field *f = form_field(w, field);
        add_error(w, f ? field : "form",
                  f ? field_message(w, f, web_js(e, "message")) : web_tr(w, "err.form"));
    }
    if (w->err.nfields == 0)
        add_error(w, "form", web_tr(w, "err.form"));
    json_object_put(p);
}

void web_after_write(web_ctx *w)
{
    int status = w->res->status;
    if (status >= 200 && status < 300) {
        web_redirect(w, w->next ? w->next : "/");
        return;
    }
    if (status == 412)
        add_error(w, "form", web_tr(w, "err.stale"));
    if (status == 422 || status == 400 || status == 412) {
        if (status != 412)
            problem_errors(w);
        w->res->body.len = 0;
        /* the form again, as GET would show it, with what was typed and the errors */
        int shown = status == 412 ? 409 : 422;
        if (w->reshow) {
            w->reshow(w);
            w->res->status = shown;
            return;
        }
        for (const web_page *p = web_pages; p->method; p++)
            if (strcmp(p->method, "GET") == 0 && strcmp(p->path, w->page->path) == 0) {
                p->handler(w);
                w->res->status = shown;
                return;
            }
    }
    web_error_page(w, status,
                   status == 404   ? "err.notfound"
                   : status == 403 ? "err.forbidden"
                                   : "err.server");
}

void web_api_write(web_ctx *w, const char *method, const char *pattern, const char *const *params,
                   int nparams, json_object *body)
{
    http_request *req = w->req;
    const http_route *r = api_route(method, pattern);
    if (!r || !(r->roles & (1u << req->account.role))) {
        json_object_put(body);
        web_error_page(w, 403, "err.forbidden");
        return;
    }
    aim(req, pattern, params, nparams);
    req->method = method;
    if (r->body_schema) {
        const char *text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
        pl_err err;
        pl_err_clear(&err);
        if (req->json) {
            json_object_put(req->json);
            req->json = NULL;
        }
        int status = http_body_check(r->body_schema, "application/json", text, strlen(text),
                                     &req->json, &err);
        json_object_put(body);
        if (status != 0) {
            /* a form field of the wrong shape: shown beside its field */
            for (int i = 0; i < err.nfields; i++) {
                const http_field *f = form_field(w, err.fields[i].field);
                add_error(w, f ? err.fields[i].field : "form",
                          field_message(w, f, err.fields[i].message));
            }
            w->res->status = 422;
            w->res->body.len = 0;
            req->finish = write_finished;
            return;
        }
    } else {
        json_object_put(body);
    }
    req->finish = write_finished;
    r->handler(req, w->res);
}

/* ---- dispatch ------------------------------------------------------------ */

/*
 * The page's language: a choice made with the language links on this
 * device (the pl_lang cookie), else the signed-in account's own language,
 * else the browser's Accept-Language, else English.
 */
static web_lang pick_lang(http_request *req)
{
    int l = web_lang_from_code(http_cookie_get(req, "pl_lang"));
    if (l < 0 && req->signed_in)
        l = web_lang_from_code(req->account.language);
    if (l >= 0)
        return (web_lang)l;
    return web_lang_negotiate(http_header_get(req, "Accept-Language"));
}

static void release(web_ctx *w)
{
    for (int i = 0; i < w->nowned; i++)
        json_object_put(w->owned[i]);
    w->nowned = 0;
}

static void web_dispatch(http_request *req, http_response *res)
{
    int idx = (int)(req->route - page_routes);
    if (!page_routes || idx < 0 || idx >= npages) {
        http_problem(res, 500, "the page table is not set up", NULL);
        return;
    }
    web_ctx *w = pl_arena_alloc(&req->arena, sizeof *w);
    if (!w) {
        http_problem(res, 413, "the request needs more memory than a request may use", NULL);
        return;
    }
    memset(w, 0, sizeof *w);
    w->req = req;
    w->res = res;
    w->page = &web_pages[idx];
    w->path = req->path;
    w->id = req->nparams > 0 ? req->params[0] : NULL;
    pl_err_clear(&w->err);
    req->view = w;
    res->body.len = 0;
    res->body.max = 100u * 1024u; /* the ceiling on a page's size */
    html_init(&w->h, &res->body);
    api_context *app = req->app;

    /* signed in by the same session cookie as the API; pages without roles try quietly */
    if (http_cookie_get(req, "pl_session")) {
        http_response tmp = {.status = 200};
        pl_buf_init(&tmp.body, 0);
        if (!api_authenticate(req, &tmp))
            req->signed_in = false;
        pl_buf_free(&tmp.body);
    }
    w->lang = pick_lang(req); /* after sign-in: the account's language counts */
    if (w->page->roles && !req->signed_in) {
        web_redirect(w, strcmp(req->method, "GET") == 0
                            ? pl_arena_printf(&req->arena, "/login?next=%s", req->path)
                            : "/login");
        return;
    }
    if (req->signed_in)
        csrf_token(app, "csrf", req->session_hash, sizeof req->session_hash, w->csrf);
    if (w->page->roles && !(w->page->roles & (1u << req->account.role))) {
        api_audit(req, "read", "page", 0, 0, 403);
        web_error_page(w, 403, "err.forbidden");
        return;
    }
    if (strcmp(req->method, "POST") == 0) {
        pl_err err;
        pl_err_clear(&err);
        const char *ct = http_header_get(req, "Content-Type");
        if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
            web_error_page(w, 415, "err.form");
            return;
        }
        if (web_form_parse(req->body, req->body_len, &req->arena, &w->form, &err) != PL_OK) {
            web_error_page(w, err.status == PL_LIMIT ? 413 : 400, "err.form");
            return;
        }
        const char *token = web_form_get(&w->form, "csrf");
        char expect[65];
        if (req->signed_in && w->page->roles) {
            memcpy(expect, w->csrf, sizeof expect);
        } else {
            const char *pre = http_cookie_get(req, PRE_COOKIE);
            if (!pre) {
                expect[0] = '\0';
            } else {
                csrf_token(app, "pre", (const unsigned char *)pre, strlen(pre), expect);
            }
        }
        if (!token || !expect[0] || strlen(token) != 64 || sodium_memcmp(token, expect, 64) != 0) {
            api_audit(req, "create", "page", 0, 0, 403);
            web_error_page(w, 403, "err.csrf");
            return;
        }
    }
    w->page->handler(w);
    if (!req->finish)
        release(w);
}

/* ---- sign-in, sign-out, language ---------------------------------------- */

/* A local path to return to, or "/". */
static const char *local_path(const char *p)
{
    return p && p[0] == '/' && p[1] != '/' && p[1] != '\\' && !strpbrk(p, "\r\n") ? p : "/";
}

void web_login_get(web_ctx *w)
{
    http_request *req = w->req;
    const char *pre = http_cookie_get(req, PRE_COOKIE);
    char fresh[33];
    if (!pre || strlen(pre) != 32) {
        unsigned char raw[16];
        randombytes_buf(raw, sizeof raw);
        sodium_bin2hex(fresh, sizeof fresh, raw, sizeof raw);
        pre = pl_arena_strdup(&req->arena, fresh);
        http_header(w->res, "Set-Cookie",
                    pl_arena_printf(&req->arena,
                                    PRE_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict", fresh));
    }
    char token[65];
    csrf_token(req->app, "pre", (const unsigned char *)pre, strlen(pre), token);
    const char *next =
        local_path(w->form.n ? web_form_get(&w->form, "next") : http_query_get(req, "next"));
    web_begin(w, web_tr(w, "login.title"));
    html_out(&w->h, "<h1>%s</h1><div class=\"card\"><form method=\"post\" action=\"/login\">",
             web_tr(w, "login.title"));
    web_field_error(w, "form");
    html_out(&w->h,
             "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
             "<input type=\"hidden\" name=\"next\" value=\"%s\">"
             "<label for=\"username\">%s</label>"
             "<input type=\"text\" id=\"username\" name=\"username\" value=\"%s\" "
             "autocomplete=\"username\" required>",
             token, next, web_tr(w, "login.username"), web_value(w, "username", ""));
    web_field_error(w, "username");
    html_out(&w->h,
             "<label for=\"password\">%s</label>"
             "<input type=\"password\" id=\"password\" name=\"password\" "
             "autocomplete=\"current-password\" required>",
             web_tr(w, "login.password"));
    web_field_error(w, "password");
    html_out(&w->h, "<p><button type=\"submit\">%s</button></p></form></div>",
             web_tr(w, "login.submit"));
    web_end(w, 200);
}

static void login_after(web_ctx *w)
{
    if (w->res->status == 200) {
        /* keep the session cookie the API set; drop the pre-login one */
        const char *cookie = NULL;
        for (int i = 0; i < w->res->nheaders; i++)
            if (strcmp(w->res->header_names[i], "Set-Cookie") == 0)
                cookie = w->res->header_values[i];
        w->res->nheaders = 0;
        if (cookie)
            http_header(w->res, "Set-Cookie", cookie);
        http_header(w->res, "Set-Cookie",
                    PRE_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
        web_redirect(w, local_path(web_form_get(&w->form, "next")));
        return;
    }
    w->res->nheaders = 0;
    add_error(w, "form", web_tr(w, w->res->status == 429 ? "login.throttled" : "login.failed"));
    w->res->body.len = 0;
    web_login_get(w);
    w->res->status = w->res->status == 429 ? 429 : 401;
}

void web_login_post(web_ctx *w)
{
    http_request *req = w->req;
    json_object *body = web_form_body(w, web_login_get);
    if (!body)
        return;
    const http_route *r = api_route("POST", "/api/v1/login");
    const char *text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
    pl_err err;
    pl_err_clear(&err);
    int status = r ? http_body_check(r->body_schema, "application/json", text, strlen(text),
                                     &req->json, &err)
                   : 500;
    json_object_put(body);
    if (status != 0) {
        add_error(w, "form", web_tr(w, "login.failed"));
        web_login_get(w);
        w->res->status = 422;
        return;
    }
    req->path = "/api/v1/login";
    r->handler(req, w->res); /* signs in synchronously (store_write) */
    login_after(w);
}

static void logout_after(web_ctx *w)
{
    const char *cookie = NULL;
    for (int i = 0; i < w->res->nheaders; i++)
        if (strcmp(w->res->header_names[i], "Set-Cookie") == 0)
            cookie = w->res->header_values[i];
    w->res->nheaders = 0;
    if (cookie)
        http_header(w->res, "Set-Cookie", cookie);
    web_redirect(w, "/login");
}

void web_logout(web_ctx *w)
{
    const http_route *r = api_route("POST", "/api/v1/logout");
    w->req->path = "/api/v1/logout";
    r->handler(w->req, w->res);
    logout_after(w);
}

void web_lang_set(web_ctx *w)
{
    int l = web_lang_from_code(w->req->params[0]);
    if (l < 0) {
        web_error_page(w, 404, "err.notfound");
        return;
    }
    http_header(w->res, "Set-Cookie",
                pl_arena_printf(&w->req->arena,
                                "pl_lang=%s; Path=/; SameSite=Strict; Max-Age=31536000",
                                web_lang_code((web_lang)l)));
    web_redirect(w, local_path(http_query_get(w->req, "back")));
}

void web_home(web_ctx *w)
{
    pl_role role = w->req->account.role;
    if (role == PL_ROLE_CLINICIAN)
        web_redirect(w, "/alerts");
    else if (role == PL_ROLE_PROGRAM_MANAGER || role == PL_ROLE_ADMIN || role == PL_ROLE_EVALUATOR)
        web_redirect(w, "/dashboard");
    else
        web_redirect(w, "/worklist");
}
