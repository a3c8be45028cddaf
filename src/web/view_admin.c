/*
 * view_admin.c - account administration for admins: the staff accounts,
 * creating one, and disabling or enabling one.
 *
 * Through the API's staff handlers (admin only there as here): creating
 * hashes the password with argon2id, and every change is audited in the
 * write's transaction. Passwords are never shown or kept in the form.
 */
#include <stdio.h>
#include <string.h>

#include "web_int.h"

void web_accounts(web_ctx *w)
{
    const char *q[] = {"limit", "200"};
    json_object *as = NULL, *units = NULL;
    int status = web_api_get(w, "/api/v1/staff", NULL, 0, q, 1, &as);
    if (status != 200) {
        web_error_page(w, status, status == 403 ? "err.forbidden" : "err.server");
        return;
    }
    web_api_get(w, "/api/v1/org-units", NULL, 0, q, 1, &units);
    int st = w->res->status;
    web_begin(w, web_tr(w, "admin.title"));
    w->res->status = st;
    html_out(&w->h, "<h1>%s</h1>", web_tr(w, "admin.title"));
    static const char *const heads[] = {"login.username", "admin.name", "admin.role",
                                        "admin.state",    "",           NULL};
    web_table_begin(w, "accounts", heads);
    json_object *items = web_jo(as, "items");
    int n = items ? (int)json_object_array_length(items) : 0;
    for (int i = 0; i < n; i++) {
        json_object *a = json_object_array_get_idx(items, (size_t)i);
        json_object *dis = web_jo(a, "disabled");
        bool disabled = dis && json_object_get_boolean(dis);
        html_out(&w->h,
                 "<tr data-account=\"%s\"><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>"
                 "<form method=\"post\" action=\"/admin/accounts/%D/%s\">",
                 web_js(a, "username"), web_js(a, "username"), web_js(a, "display_name"),
                 web_trk(w, "role", web_js(a, "role") ? web_js(a, "role") : "admin"),
                 web_tr(w, disabled ? "admin.disabled" : "admin.active"), web_ji(a, "id"),
                 disabled ? "enable" : "disable");
        web_csrf_input(w);
        html_out(&w->h, "<button type=\"submit\">%s</button></form></td></tr>",
                 web_tr(w, disabled ? "admin.enable" : "admin.disable"));
    }
    html_raw(&w->h, "</table></div>");

    html_out(&w->h, "<h2>%s</h2>", web_tr(w, "admin.new"));
    web_form_errors(w);
    html_raw(&w->h, "<form method=\"post\" action=\"/admin/accounts\" class=\"card\">");
    web_csrf_input(w);
    web_text_input(w, "username", "login.username", "text", WEB_INPUT_NO_AUTOFILL);
    web_text_input(w, "display_name", "admin.name", "text", WEB_INPUT_PLAIN);
    web_select_begin(w, "role", "role", "admin.role");
    web_name_options(w, pl_role_names, "role", web_value(w, "role", "peer_leader"));
    web_select_end(w, "role");
    const char *scope = web_value(w, "scope_unit_id", "");
    web_select_begin(w, "scope_unit_id", "scope_unit_id", "admin.scope");
    web_option(w, "", web_tr(w, "admin.everywhere"), false);
    json_object *uitems = web_jo(units, "items");
    int nu = uitems ? (int)json_object_array_length(uitems) : 0;
    for (int i = 0; i < nu; i++) {
        json_object *u = json_object_array_get_idx(uitems, (size_t)i);
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)web_ji(u, "id"));
        web_option(w, id, web_js(u, "name"), strcmp(id, scope) == 0);
    }
    web_select_end(w, "scope_unit_id");
    const char *lang = web_value(w, "language", "");
    web_select_begin(w, "language", "language", "admin.language");
    web_option(w, "", web_tr(w, "admin.language_browser"), false);
    for (int i = 0; i < WEB_LANG__COUNT; i++)
        web_option(w, web_lang_code((web_lang)i), web_lang_name((web_lang)i),
                   strcmp(lang, web_lang_code((web_lang)i)) == 0);
    web_select_end(w, "language");
    html_out(&w->h,
             "<label for=\"password\">%s</label><input type=\"password\" id=\"password\" "
             "name=\"password\" autocomplete=\"new-password\">",
             web_tr(w, "login.password"));
    web_field_error(w, "password");
    html_out(&w->h, "<p><button type=\"submit\">%s</button></p></form>", web_tr(w, "form.save"));
    web_end(w, w->err.nfields ? 422 : 200);
}

void web_account_create(web_ctx *w)
{
    json_object *body = web_form_body(w, web_accounts);
    if (!body)
        return;
    w->after = web_after_write;
    w->next = "/admin/accounts";
    web_api_write(w, "POST", "/api/v1/staff", NULL, 0, body);
}

static void set_disabled(web_ctx *w, bool disabled)
{
    const char *params[1] = {w->id};
    json_object *body = json_object_new_object();
    json_object_object_add(body, "disabled", json_object_new_boolean(disabled));
    w->after = web_after_write;
    w->next = "/admin/accounts";
    web_api_write(w, "PATCH", "/api/v1/staff/{id}", params, 1, body);
}

void web_account_disable(web_ctx *w)
{
    set_disabled(w, true);
}

void web_account_enable(web_ctx *w)
{
    set_disabled(w, false);
}
