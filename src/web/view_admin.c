/*
 * view_admin.c - account administration for admins: the staff accounts,
 * creating one, changing one (name, role, scope, language), setting its
 * new password, and disabling or enabling one.
 *
 * Through the API's staff handlers (admin only there as here): creating
 * hashes the password with argon2id, and every change is audited in the
 * write's transaction. Passwords are never shown or kept in the form.
 */
#include <stdio.h>
#include <string.h>

#include "web_int.h"

/*
 * The role, scope and language of an account's form: the posted values when
 * the form comes back with errors, else the given ones.
 */
static void account_fields(web_ctx *w, json_object *units, const char *role_now,
                           const char *scope_now, const char *lang_now)
{
    web_select_begin(w, "role", "role", "admin.role");
    web_name_options(w, pl_role_names, "role", web_value(w, "role", role_now));
    web_select_end(w, "role");
    const char *scope = web_value(w, "scope_unit_id", scope_now);
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
    const char *lang = web_value(w, "language", lang_now);
    web_select_begin(w, "language", "language", "admin.language");
    web_option(w, "", web_tr(w, "admin.language_browser"), false);
    for (int i = 0; i < WEB_LANG__COUNT; i++)
        web_option(w, web_lang_code((web_lang)i), web_lang_name((web_lang)i),
                   strcmp(lang, web_lang_code((web_lang)i)) == 0);
    web_select_end(w, "language");
}

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
        html_out(
            &w->h,
            "<tr data-account=\"%s\"><td><a href=\"/admin/accounts/%D\">%s</a></td><td>%s</td>"
            "<td>%s</td><td>%s</td><td><form method=\"post\" action=\"/admin/accounts/%D/%s\">",
            web_js(a, "username"), web_ji(a, "id"), web_js(a, "username"),
            web_js(a, "display_name"),
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
    account_fields(w, units, "peer_leader", "", "");
    web_text_input(w, "password", "login.password", "password", WEB_INPUT_NEW_PASSWORD);
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

void web_account_edit(web_ctx *w)
{
    const char *params[1] = {w->id};
    const char *q[] = {"limit", "200"};
    json_object *a = NULL, *units = NULL;
    int status = web_api_get(w, "/api/v1/staff/{id}", params, 1, NULL, 0, &a);
    if (status != 200) {
        web_error_page(w, status, status == 404 ? "err.notfound" : "err.forbidden");
        return;
    }
    web_api_get(w, "/api/v1/org-units", NULL, 0, q, 1, &units);
    int st = w->res->status;
    web_begin(w, web_tr(w, "admin.edit"));
    w->res->status = st;
    html_out(&w->h, "<h1>%s</h1><p>%s</p>", web_tr(w, "admin.edit"), web_js(a, "username"));
    web_form_errors(w);
    html_out(&w->h, "<form method=\"post\" action=\"/admin/accounts/%D\" class=\"card\">",
             web_ji(a, "id"));
    web_csrf_input(w);
    /* the version read, so that saving over someone else's change is refused (If-Match) */
    html_out(&w->h, "<input type=\"hidden\" name=\"version\" value=\"%D\">", web_ji(a, "version"));
    web_text_input_value(w, "display_name", "admin.name", "text", WEB_INPUT_PLAIN,
                         web_js(a, "display_name"));
    char scope[24] = "";
    if (web_ji(a, "scope_unit_id") > 0)
        snprintf(scope, sizeof scope, "%lld", (long long)web_ji(a, "scope_unit_id"));
    const char *role = web_js(a, "role"), *lang = web_js(a, "language");
    account_fields(w, units, role ? role : "", scope, lang ? lang : "");
    html_out(&w->h, "<p><button type=\"submit\">%s</button></p></form>", web_tr(w, "form.save"));
    html_out(&w->h,
             "<h2>%s</h2><form method=\"post\" action=\"/admin/accounts/%D/password\" "
             "class=\"card\">",
             web_tr(w, "admin.password"), web_ji(a, "id"));
    web_csrf_input(w);
    web_text_input(w, "password", "login.password", "password", WEB_INPUT_NEW_PASSWORD);
    html_out(&w->h, "<p><button type=\"submit\">%s</button></p></form>", web_tr(w, "form.save"));
    web_end(w, w->err.nfields ? 422 : 200);
}

void web_account_update(web_ctx *w)
{
    json_object *body = web_form_body(w, web_account_edit);
    if (!body)
        return;
    const char *params[1] = {w->id};
    const char *version = web_form_get(&w->form, "version");
    if (version && *version)
        w->req->if_match = pl_arena_printf(&w->req->arena, "W/\"%s\"", version);
    w->after = web_after_write;
    w->next = "/admin/accounts";
    web_api_write(w, "PATCH", "/api/v1/staff/{id}", params, 1, body);
}

void web_account_password(web_ctx *w)
{
    json_object *body = web_form_body(w, web_account_edit);
    if (!body)
        return;
    const char *params[1] = {w->id};
    w->after = web_after_write;
    w->reshow = web_account_edit;
    w->next = "/admin/accounts";
    web_api_write(w, "POST", "/api/v1/staff/{id}/password", params, 1, body);
}
