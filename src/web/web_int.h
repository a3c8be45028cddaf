/*
 * web_int.h - what the page files share (internal to src/web): the page
 * table's row, the per-request page context, the layout, the CSRF token,
 * form and table helpers and calls into the API's handlers.
 *
 * A page handler gets a web_ctx whose html writer appends to the
 * response; strings live in the request arena. JSON that an API call
 * answered is owned by the context and released when the page is done.
 */
#ifndef PL_WEB_WEB_INT_H
#define PL_WEB_WEB_INT_H

#include <json-c/json.h>

#include "api/common.h"
#include "form.h"
#include "html.h"
#include "i18n.h"
#include "web.h"

#define WEB_OWNED_MAX 24

typedef struct web_ctx web_ctx;
typedef void (*web_handler)(web_ctx *w);

typedef struct web_page {
    const char *method;
    const char *path;
    web_handler handler;
    uint32_t roles;         /* bit per pl_role; 0: no sign-in needed */
    const http_field *form; /* POST: the fields the form sends, typed as the API's body */
    const char *summary;    /* one line for docs/WEB.md */
} web_page;

extern const web_page web_pages[];

struct web_ctx {
    http_request *req;
    http_response *res;
    const web_page *page;
    const char *path; /* the page's own path and first path parameter (API calls move req's) */
    const char *id;
    web_lang lang;
    html h;
    web_form form;      /* a POST's fields */
    char csrf[65];      /* the token forms of this session carry */
    pl_err err;         /* field errors to show beside the fields */
    web_handler after;  /* a write's continuation: runs once the API answered */
    const char *next;   /* where a successful write goes (303) */
    web_handler reshow; /* the page showing the form again on field errors; NULL: GET of the path */
    json_object *owned[WEB_OWNED_MAX];
    int nowned;
};

/* ---- layout ------------------------------------------------------------- */

/* Opens the page: doctype, head with the inline style, header with navigation, <main>. */
void web_begin(web_ctx *w, const char *title);
/* Closes <main> and the document, and sets the response (status, content type). */
void web_end(web_ctx *w, int status);
/* A hidden input with the CSRF token. */
void web_csrf_input(web_ctx *w);
/* A whole page with one message (403, 404, 500 ...). */
void web_error_page(web_ctx *w, int status, const char *message_key);
/* Answers 303 See Other to a local path. */
void web_redirect(web_ctx *w, const char *location);
/* Translates. */
const char *web_tr(web_ctx *w, const char *key);
const char *web_trk(web_ctx *w, const char *prefix, const char *name);

/* ---- form fields -------------------------------------------------------- */

/* The error message beside a field (escaped), when err names it. */
void web_field_error(web_ctx *w, const char *field);
/* The typed value of a field when re-showing a form, else dflt. */
const char *web_value(web_ctx *w, const char *field, const char *dflt);
/* True when a checkbox value was sent (re-showing a form), or dflt on a fresh form. */
bool web_checked(web_ctx *w, const char *field, const char *value, bool dflt);
/* The first path parameter as a positive id, else 0. */
int64_t web_path_id(web_ctx *w);
/*
 * A POST's fields typed into a JSON body (the caller owns it). On field
 * errors NULL, after form re-showed the page with them: 422 unless form
 * answered an error of its own (404, 403, 500).
 */
json_object *web_form_body(web_ctx *w, web_handler form);
/* The "fix the fields below" summary and the form-wide error, when there are errors. */
void web_form_errors(web_ctx *w);
/* What an input asks of the browser beyond its type. */
typedef enum web_input_hint {
    WEB_INPUT_PLAIN,
    WEB_INPUT_DECIMAL,      /* inputmode="decimal": a number pad with a decimal point */
    WEB_INPUT_NO_AUTOFILL,  /* autocomplete="off" */
    WEB_INPUT_NEW_PASSWORD, /* autocomplete="new-password"; never refilled */
} web_input_hint;
/* A label, an input of type named name (id too) with the kept value, and its field error. */
void web_text_input(web_ctx *w, const char *name, const char *label_key, const char *type,
                    web_input_hint hint);
/* The same with the value shown when no form was posted (an edit form's current value). */
void web_text_input_value(web_ctx *w, const char *name, const char *label_key, const char *type,
                          web_input_hint hint, const char *current);
/* A label and an opening <select>; options follow, web_select_end closes it. */
void web_select_begin(web_ctx *w, const char *id, const char *name, const char *label_key);
/* One <option>; label is shown as it is (escaped). */
void web_option(web_ctx *w, const char *value, const char *label, bool selected);
/* An option per name of a NULL-terminated list, labelled "<prefix>.<name>"; selected may be NULL.
 */
void web_name_options(web_ctx *w, const char *const *names, const char *prefix,
                      const char *selected);
/* Closes a <select> and writes field's error. */
void web_select_end(web_ctx *w, const char *field);
/*
 * Opens a scrolling table with id (NULL: none) and a header row: one cell per
 * entry of the NULL-terminated heads, a catalog key, or, without a '.', shown as it is.
 */
void web_table_begin(web_ctx *w, const char *id, const char *const *heads);

/* ---- the API, called from a page ----------------------------------------- */

/*
 * Runs the API's GET handler of pattern (e.g. "/api/v1/participants/{id}") as
 * the signed-in user, with path params and query name/value pairs, and
 * returns the HTTP status; *out is the parsed body (owned by w) or NULL.
 */
int web_api_get(web_ctx *w, const char *pattern, const char *const *params, int nparams,
                const char *const *query, int nquery, json_object **out);
/*
 * Runs the API's write handler of (method, pattern) with body (released
 * here), as if posted to the API: the body is checked against the route's
 * schema, then the handler writes through api_write(). When the answer is
 * in, w->after runs (on success it usually redirects to w->next).
 */
void web_api_write(web_ctx *w, const char *method, const char *pattern, const char *const *params,
                   int nparams, json_object *body);
/* After a write: 303 to w->next on 2xx, else re-runs the page's GET handler with errors. */
void web_after_write(web_ctx *w);

/* Form fields typed by the page's schema into a JSON body; errors go to w->err. */
json_object *web_form_json(web_ctx *w);

/* ---- JSON reading (NULL-safe) --------------------------------------------- */

const char *web_js(json_object *o, const char *key); /* string value or NULL */
int64_t web_ji(json_object *o, const char *key);     /* integer value or 0 */
double web_jd(json_object *o, const char *key);      /* number value or 0 */
json_object *web_jo(json_object *o, const char *key);
/* A person's name from a participant's JSON (family name first in Chinese); arena memory. */
const char *web_person_name(web_ctx *w, json_object *o);
/* A date/time string formatted for the locale (the date part only). */
const char *web_jdate(web_ctx *w, json_object *o, const char *key);

/* ---- page handlers ------------------------------------------------------- */

void web_home(web_ctx *w);
void web_login_get(web_ctx *w);
void web_login_post(web_ctx *w);
void web_logout(web_ctx *w);
void web_lang_set(web_ctx *w);
void web_worklist(web_ctx *w);
void web_participant(web_ctx *w);
void web_contact_form(web_ctx *w);
void web_contact_post(web_ctx *w);
void web_measurement_form(web_ctx *w);
void web_measurement_post(web_ctx *w);
void web_questionnaire_form(web_ctx *w);
void web_questionnaire_post(web_ctx *w);
void web_questionnaire_result(web_ctx *w);
void web_refer_form(web_ctx *w);
void web_refer_post(web_ctx *w);
void web_sessions(web_ctx *w);
void web_attendance_form(web_ctx *w);
void web_attendance_post(web_ctx *w);
void web_alerts(web_ctx *w);
void web_alert_ack(web_ctx *w);
void web_dashboard(web_ctx *w);
void web_accounts(web_ctx *w);
void web_account_create(web_ctx *w);
void web_account_edit(web_ctx *w);
void web_account_update(web_ctx *w);
void web_account_password(web_ctx *w);
void web_account_disable(web_ctx *w);
void web_account_enable(web_ctx *w);
void web_report(web_ctx *w);

#endif
