/*
 * view_manage.c - the clinician's alert inbox and the manager's pages:
 * the program dashboard and a study's outcome report.
 *
 * The inbox and its acknowledge button go through the API's alert
 * handlers. The dashboard reads aggregates only (no participant record):
 * communities and districts, caseloads and ratings through the API, and
 * per-community activity (store_activity_get) and the HbA1c control shares
 * (store_wave_summary_get) from the store, within the manager's scope.
 * Each figure is a table, and the main ones also a bar chart in SVG whose
 * bars carry their number as text. The report page serves the evaluation
 * layer's own HTML report through the API's report handler.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "web_int.h"

/* ---- the alert inbox ------------------------------------------------------ */

void web_alerts(web_ctx *w)
{
    const char *q[] = {"status", "open", "limit", "100"};
    json_object *as = NULL;
    int status = web_api_get(w, "/api/v1/alerts", NULL, 0, q, 2, &as);
    if (status != 200) {
        web_error_page(w, status, status == 403 ? "err.forbidden" : "err.server");
        return;
    }
    web_begin(w, web_tr(w, "alerts.title"));
    html_out(&w->h, "<h1>%s</h1>", web_tr(w, "alerts.title"));
    json_object *items = web_jo(as, "items");
    int n = items ? (int)json_object_array_length(items) : 0;
    if (n == 0)
        html_out(&w->h, "<p class=\"card\">%s</p>", web_tr(w, "alerts.empty"));
    bool can_ack = w->req->account.role == PL_ROLE_CLINICIAN ||
                   w->req->account.role == PL_ROLE_PROGRAM_MANAGER ||
                   w->req->account.role == PL_ROLE_ADMIN;
    html_raw(&w->h, "<ul class=\"plain\" id=\"alerts\">");
    for (int i = n - 1; i >= 0; i--) {
        json_object *a = json_object_array_get_idx(items, (size_t)i);
        const char *sev = web_js(a, "severity");
        bool urgent = sev && strcmp(sev, "urgent") == 0;
        int64_t id = web_ji(a, "id"), pid = web_ji(a, "participant_id");
        /* the clinician acts on a person: their name (a read of the record, audited) */
        const char *params[1] = {pl_arena_printf(&w->req->arena, "%lld", (long long)pid)};
        json_object *p = NULL;
        const char *who =
            params[0] && web_api_get(w, "/api/v1/participants/{id}", params, 1, NULL, 0, &p) == 200
                ? web_person_name(w, p)
                : NULL;
        if (!who)
            who = pl_arena_printf(&w->req->arena, "%s %lld", web_tr(w, "alerts.participant"),
                                  (long long)pid);
        html_out(&w->h,
                 "<li class=\"card\" data-alert=\"%D\"><span class=\"tag %s\">%s %s</span> "
                 "<strong>%s</strong><br><a href=\"/participants/%D\">%s</a> · %s · %s",
                 id, urgent ? "urgent" : "attention", urgent ? "⚠" : "●",
                 web_trk(w, "severity", urgent ? "urgent" : "attention"),
                 web_trk(w, "alert", web_js(a, "kind") ? web_js(a, "kind") : "peer_concern"), pid,
                 who ? who : "", web_jdate(w, a, "created_at"),
                 web_trk(w, "astatus", web_js(a, "status") ? web_js(a, "status") : "open"));
        if (can_ack && web_js(a, "status") && strcmp(web_js(a, "status"), "open") == 0) {
            html_out(&w->h, "<form method=\"post\" action=\"/alerts/%D/acknowledge\">", id);
            web_csrf_input(w);
            html_out(&w->h, "<button type=\"submit\">%s</button></form>", web_tr(w, "alerts.ack"));
        }
        html_raw(&w->h, "</li>");
    }
    html_raw(&w->h, "</ul>");
    web_end(w, 200);
}

static void ack_after(web_ctx *w)
{
    if (w->res->status >= 200 && w->res->status < 300) {
        web_redirect(w, "/alerts");
        return;
    }
    web_error_page(w, w->res->status,
                   w->res->status == 404   ? "err.notfound"
                   : w->res->status == 409 ? "alerts.conflict"
                                           : "err.server");
}

void web_alert_ack(web_ctx *w)
{
    const char *params[1] = {w->id};
    w->after = ack_after;
    web_api_write(w, "POST", "/api/v1/alerts/{id}/acknowledge", params, 1,
                  json_object_new_object());
}

/* ---- the dashboard ------------------------------------------------------- */

#define UNITS_MAX 200

typedef struct unit_row {
    int64_t id, parent;
    const char *name, *arm;
    store_activity act;
    double target;
} unit_row;

/* A horizontal bar chart: one bar per row, the number written beside it. */
static void bars(web_ctx *w, const char *title, const char *const *labels, const double *vals,
                 int n, int decimals)
{
    double max = 0;
    for (int i = 0; i < n; i++)
        if (vals[i] > max)
            max = vals[i];
    if (max <= 0)
        max = 1;
    int h = 22 * n + 10;
    html_out(&w->h,
             "<figure class=\"card\"><figcaption><strong>%s</strong></figcaption>"
             "<svg viewBox=\"0 0 600 %d\" role=\"img\" aria-label=\"%s\">",
             title, h, title);
    for (int i = 0; i < n; i++) {
        char wbar[32], num[WEB_NUM_MAX];
        snprintf(wbar, sizeof wbar, "%.1f", vals[i] / max * 330);
        web_fmt_num(w->lang, vals[i], decimals, num);
        int y = 5 + 22 * i;
        html_out(&w->h,
                 "<text x=\"196\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">%s</text>"
                 "<rect x=\"200\" y=\"%d\" width=\"%s\" height=\"16\" fill=\"#0b5c8a\"/>"
                 "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>",
                 y + 13, labels[i], y, wbar, 206 + (int)(vals[i] / max * 330), y + 13, num);
    }
    html_raw(&w->h, "</svg></figure>");
}

static void dashboard_units(web_ctx *w, pl_time since, pl_time until)
{
    api_context *app = w->req->app;
    json_object *cs = NULL, *ds = NULL, *studies = NULL;
    const char *qc[] = {"kind", "community", "limit", "200"};
    const char *qd[] = {"kind", "district", "limit", "200"};
    web_api_get(w, "/api/v1/org-units", NULL, 0, qc, 2, &cs);
    web_api_get(w, "/api/v1/org-units", NULL, 0, qd, 2, &ds);
    web_api_get(w, "/api/v1/studies", NULL, 0, NULL, 0, &studies);
    json_object *items = web_jo(cs, "items");
    int n = items ? (int)json_object_array_length(items) : 0;
    if (n > UNITS_MAX)
        n = UNITS_MAX;
    unit_row *rows = pl_arena_alloc(&w->req->arena, sizeof(unit_row) * (size_t)(n ? n : 1));
    if (!rows)
        return;
    int per_arm[PL_ARM__COUNT] = {0};
    for (int i = 0; i < n; i++) {
        json_object *u = json_object_array_get_idx(items, (size_t)i);
        rows[i] = (unit_row){.id = web_ji(u, "id"),
                             .parent = web_ji(u, "parent_id"),
                             .name = web_js(u, "name"),
                             .arm = web_js(u, "arm")};
        store_activity *act = NULL;
        int na = 0;
        bool more = false;
        pl_err err;
        pl_err_clear(&err);
        if (store_activity_get(app->store, rows[i].id, since, until, false, 1, &w->req->arena, &act,
                               &na, &more, &err) == PL_OK &&
            na > 0)
            rows[i].act = act[0];
        if (rows[i].arm && strcmp(rows[i].arm, "intervention") == 0)
            per_arm[PL_ARM_INTERVENTION]++;
        else if (rows[i].arm && strcmp(rows[i].arm, "control") == 0)
            per_arm[PL_ARM_CONTROL]++;
    }
    /* a study's recruitment target per arm, shared evenly by the arm's communities */
    json_object *sitems = web_jo(studies, "items");
    json_object *st = sitems && json_object_array_length(sitems) > 0
                          ? json_object_array_get_idx(sitems, 0)
                          : NULL;
    json_object *targets = web_jo(st, "targets");
    for (int i = 0; i < n; i++) {
        if (!rows[i].arm)
            continue;
        int k = strcmp(rows[i].arm, "intervention") == 0 ? PL_ARM_INTERVENTION
                : strcmp(rows[i].arm, "control") == 0    ? PL_ARM_CONTROL
                                                         : 0;
        if (k && per_arm[k] > 0 && web_jo(targets, rows[i].arm))
            rows[i].target = web_jd(targets, rows[i].arm) / per_arm[k];
    }

    html_out(&w->h, "<h2>%s</h2>", web_tr(w, "dash.communities"));
    static const char *const unit_heads[] = {
        "dash.community", "dash.district", "dash.arm",       "dash.enrolled",
        "dash.target",    "dash.contacts", "dash.per_month", NULL};
    web_table_begin(w, "communities", unit_heads);
    const char **labels = pl_arena_alloc(&w->req->arena, sizeof(char *) * (size_t)(n ? n : 1));
    double *vals = pl_arena_alloc(&w->req->arena, sizeof(double) * (size_t)(n ? n : 1));
    double months = (double)(until - since) / (86400.0 * 30.4375);
    double kf[4] = {0};
    json_object *ditems = web_jo(ds, "items");
    int nd = ditems ? (int)json_object_array_length(ditems) : 0;
    for (int i = 0; i < n; i++) {
        const char *district = "";
        for (int d = 0; d < nd; d++)
            if (web_ji(json_object_array_get_idx(ditems, (size_t)d), "id") == rows[i].parent)
                district = web_js(json_object_array_get_idx(ditems, (size_t)d), "name");
        double per = rows[i].act.participants > 0
                         ? (double)rows[i].act.contacts / (double)rows[i].act.participants / months
                         : 0;
        char pm[WEB_NUM_MAX], tg[WEB_NUM_MAX];
        web_fmt_num(w->lang, per, 1, pm);
        web_fmt_num(w->lang, rows[i].target, 0, tg);
        html_out(&w->h,
                 "<tr><td>%s</td><td>%s</td><td>%s</td><td>%D</td><td>%s</td><td>%D</td>"
                 "<td>%s</td></tr>",
                 rows[i].name, district, web_trk(w, "arm", rows[i].arm ? rows[i].arm : "none"),
                 rows[i].act.participants, rows[i].target > 0 ? tg : "–", rows[i].act.contacts, pm);
        if (labels && vals) {
            labels[i] = rows[i].name;
            vals[i] = per;
        }
        for (int k = 0; k < 4; k++)
            kf[k] += (double)rows[i].act.key_function[k];
    }
    html_raw(&w->h, "</table></div>");

    /* districts: the sums of their communities */
    html_out(&w->h, "<h2>%s</h2>", web_tr(w, "dash.districts"));
    static const char *const district_heads[] = {"dash.district", "dash.enrolled", "dash.target",
                                                 "dash.contacts", NULL};
    web_table_begin(w, "districts", district_heads);
    for (int d = 0; d < nd; d++) {
        json_object *du = json_object_array_get_idx(ditems, (size_t)d);
        int64_t enrolled = 0, contacts = 0;
        double target = 0;
        for (int i = 0; i < n; i++)
            if (rows[i].parent == web_ji(du, "id")) {
                enrolled += rows[i].act.participants;
                contacts += rows[i].act.contacts;
                target += rows[i].target;
            }
        char tg[WEB_NUM_MAX];
        web_fmt_num(w->lang, target, 0, tg);
        html_out(&w->h, "<tr><td>%s</td><td>%D</td><td>%s</td><td>%D</td></tr>", web_js(du, "name"),
                 enrolled, target > 0 ? tg : "–", contacts);
    }
    html_raw(&w->h, "</table></div><div class=\"grid\">");
    if (labels && vals && n > 0)
        bars(w, web_tr(w, "dash.per_month"), labels, vals, n, 1);
    static const char *const kfn[] = {"daily_management", "social_emotional", "linkage", "ongoing"};
    const char *kl[4];
    double total = kf[0] + kf[1] + kf[2] + kf[3];
    double share[4];
    for (int k = 0; k < 4; k++) {
        kl[k] = web_trk(w, "kf", kfn[k]);
        share[k] = total > 0 ? 100.0 * kf[k] / total : 0;
    }
    bars(w, web_tr(w, "dash.kf_mix"), kl, share, 4, 0);
    html_raw(&w->h, "</div>");
}

static void dashboard_caseloads(web_ctx *w)
{
    json_object *cl = NULL;
    if (web_api_get(w, "/api/v1/caseloads", NULL, 0, NULL, 0, &cl) != 200)
        return;
    html_out(&w->h, "<h2>%s</h2>", web_tr(w, "dash.caseloads"));
    html_out(&w->h, "<p>%s: %D</p>", web_tr(w, "dash.unassigned"), web_ji(cl, "unassigned"));
    static const char *const heads[] = {"dash.leader", "dash.participants", "dash.high_need",
                                        "dash.overdue", NULL};
    web_table_begin(w, NULL, heads);
    json_object *items = web_jo(cl, "items");
    int n = items ? (int)json_object_array_length(items) : 0;
    for (int i = 0; i < n; i++) {
        json_object *c = json_object_array_get_idx(items, (size_t)i);
        const char *g = web_js(c, "given_name"), *f = web_js(c, "family_name");
        html_out(&w->h, "<tr><td>%s %s</td><td>%D</td><td>%D</td><td>%D</td></tr>", f ? f : "",
                 g ? g : "", web_ji(c, "participants"), web_ji(c, "high_need"),
                 web_ji(c, "overdue_tasks"));
    }
    html_raw(&w->h, "</table></div>");
}

static void dashboard_ratings(web_ctx *w)
{
    const char *q[] = {"limit", "50"};
    json_object *rs = NULL;
    if (web_api_get(w, "/api/v1/implementation-ratings", NULL, 0, q, 1, &rs) != 200)
        return;
    html_out(&w->h, "<h2>%s</h2>", web_tr(w, "dash.ratings"));
    json_object *items = web_jo(rs, "items");
    int n = items ? (int)json_object_array_length(items) : 0;
    if (n == 0) {
        html_out(&w->h, "<p class=\"muted\">%s</p>", web_tr(w, "record.none"));
        return;
    }
    static const char *const heads[] = {"dash.unit", "dash.period", "dash.level", NULL};
    web_table_begin(w, NULL, heads);
    for (int i = 0; i < n; i++) {
        json_object *r = json_object_array_get_idx(items, (size_t)i);
        char mean[WEB_NUM_MAX];
        web_fmt_num(w->lang, web_jd(r, "mean"), 1, mean);
        const char *params[1] = {
            pl_arena_printf(&w->req->arena, "%lld", (long long)web_ji(r, "unit_id"))};
        json_object *u = NULL;
        const char *unit =
            params[0] && web_api_get(w, "/api/v1/org-units/{id}", params, 1, NULL, 0, &u) == 200
                ? web_js(u, "name")
                : params[0];
        html_out(&w->h, "<tr><td>%s</td><td>%s – %s</td><td>%s (%s)</td></tr>", unit ? unit : "",
                 web_jdate(w, r, "period_start"), web_jdate(w, r, "period_end"),
                 web_trk(w, "level", web_js(r, "level") ? web_js(r, "level") : "low"), mean);
    }
    html_raw(&w->h, "</table></div>");
}

/* The share of participants with HbA1c < 7 % and > 9 % at baseline and 12 months, per arm. */
static void dashboard_hba1c(web_ctx *w)
{
    api_context *app = w->req->app;
    json_object *studies = NULL;
    web_api_get(w, "/api/v1/studies", NULL, 0, NULL, 0, &studies);
    json_object *items = web_jo(studies, "items");
    if (!items || json_object_array_length(items) == 0)
        return;
    json_object *st = json_object_array_get_idx(items, 0);
    int64_t program = web_ji(st, "program_id");
    html_out(&w->h, "<h2>%s</h2>", web_tr(w, "dash.hba1c"));
    static const char *const heads[] = {"dash.wave",   "dash.arm",    "n",
                                        "dash.below7", "dash.above9", NULL};
    web_table_begin(w, "hba1c", heads);
    static const int waves[] = {0, 12}; /* months */
    for (int wi = 0; wi < 2; wi++)
        for (int arm = PL_ARM_INTERVENTION; arm <= PL_ARM_CONTROL; arm++) {
            store_wave_summary lo, hi;
            pl_err err;
            pl_err_clear(&err);
            if (store_wave_summary_get(app->store, program, "hba1c", waves[wi], (pl_arm)arm, 7.0,
                                       &lo, &err) != PL_OK ||
                store_wave_summary_get(app->store, program, "hba1c", waves[wi], (pl_arm)arm,
                                       9.000001, &hi, &err) != PL_OK)
                continue;
            char a[WEB_NUM_MAX], b[WEB_NUM_MAX];
            web_fmt_num(w->lang, lo.n ? 100.0 * (1 - lo.share_at_or_above) : 0, 1, a);
            web_fmt_num(w->lang, hi.n ? 100.0 * hi.share_at_or_above : 0, 1, b);
            html_out(&w->h,
                     "<tr><td>%s</td><td>%s</td><td>%D</td><td>%s %%</td><td>%s %%</td></tr>",
                     web_trk(w, "wave", wi == 0 ? "0" : "12"), web_trk(w, "arm", pl_arm_names[arm]),
                     lo.n, a, b);
        }
    html_raw(&w->h, "</table></div>");
    html_out(&w->h, "<p><a href=\"/studies/%D/report\">%s</a></p>", web_ji(st, "id"),
             web_tr(w, "dash.report"));
}

void web_dashboard(web_ctx *w)
{
    pl_time until = (pl_time)time(NULL);
    pl_time since = until - 90 * 86400;
    web_begin(w, web_tr(w, "dash.title"));
    html_out(&w->h, "<h1>%s</h1><p class=\"muted\">%s</p>", web_tr(w, "dash.title"),
             web_tr(w, "dash.period90"));
    dashboard_units(w, since, until);
    dashboard_hba1c(w);
    dashboard_caseloads(w);
    dashboard_ratings(w);
    web_end(w, 200);
}

/* ---- the study report ----------------------------------------------------- */

void web_report(web_ctx *w)
{
    http_request *req = w->req;
    const char *params[1] = {w->id};
    const char *q[] = {"format", "html"};
    /* the report is a whole HTML document of its own: sent as the evaluation layer wrote it */
    const http_route *r = NULL;
    for (const http_route *x = api_routes; x->method; x++)
        if (strcmp(x->path, "/api/v1/studies/{id}/report") == 0)
            r = x;
    if (!r || !(r->roles & (1u << req->account.role))) {
        web_error_page(w, 403, "err.forbidden");
        return;
    }
    req->params[0] = params[0];
    req->nparams = 1;
    req->query_set = true;
    req->query = q;
    req->nquery = 1;
    w->res->body.max = 16u * 1024u * 1024u; /* the report is not a page of ours: its own size */
    w->res->body.len = 0;
    r->handler(req, w->res);
    req->query_set = false;
    if (w->res->status != 200)
        web_error_page(w, w->res->status, w->res->status == 404 ? "err.notfound" : "err.server");
}
