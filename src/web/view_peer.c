/*
 * view_peer.c - the peer leader's pages: the worklist, the participant
 * record (with SVG trend charts), logging a contact and recording a
 * measurement.
 *
 * Every read goes through the API's GET handlers (web_api_get), so scope
 * checks and the audit trail are the API's; every write through its POST
 * handlers (web_api_write), so validation, the workflow rules and the one
 * transaction are too. Charts are drawn here as inline SVG: a polyline of
 * the readings over time, the goal band shaded, every point also listed
 * in a table so nothing depends on seeing the chart.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/instrument.h"
#include "core/measure.h"
#include "core/rules.h"
#include "web_int.h"

/* ---- the program's units -------------------------------------------------- */

/*
 * The unit the participant's program shows an analyte in (settings
 * hba1c_mmol_mol and glucose_mg_dl, docs/RULES.md), or NULL to keep the
 * analyte's canonical unit.
 */
typedef struct program_units {
    bool hba1c_mmol_mol;
    bool glucose_mg_dl;
} program_units;

static program_units units_of(web_ctx *w, int64_t program_id)
{
    program_units u = {false, false};
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)program_id);
    const char *params[1] = {id};
    json_object *s = NULL;
    if (web_api_get(w, "/api/v1/programs/{id}/settings", params, 1, NULL, 0, &s) == 200) {
        json_object *set = web_jo(s, "settings");
        u.hba1c_mmol_mol = web_jd(set, "hba1c_mmol_mol") == 1;
        u.glucose_mg_dl = web_jd(set, "glucose_mg_dl") == 1;
    }
    return u;
}

static const char *display_unit(program_units u, const measure_def *d)
{
    if (!d)
        return NULL;
    if (strcmp(d->analyte, "hba1c") == 0)
        return u.hba1c_mmol_mol ? "mmol/mol" : "%";
    for (int i = 0; i < MEASURE_UNITS_MAX && d->units[i].ucum; i++)
        if (strcmp(d->units[i].ucum, "mg/dL") == 0)
            return u.glucose_mg_dl ? "mg/dL" : "mmol/L";
    return NULL;
}

/* A canonical value in the program's unit; *unit is set to the unit written. */
static double in_program_unit(program_units u, const measure_def *d, double canonical,
                              const char **unit)
{
    const char *want = display_unit(u, d);
    double out;
    if (want && measure_convert_from_canonical(d, canonical, want, &out) == PL_OK) {
        *unit = want;
        return out;
    }
    *unit = d ? d->unit : NULL;
    return canonical;
}

/* ---- the worklist --------------------------------------------------------- */

void web_worklist(web_ctx *w)
{
    json_object *wl = NULL;
    int status = web_api_get(w, "/api/v1/worklist", NULL, 0, NULL, 0, &wl);
    if (status != 200) {
        web_error_page(w, status, status == 403 ? "err.forbidden" : "err.server");
        return;
    }
    web_begin(w, web_tr(w, "worklist.title"));
    html_out(&w->h, "<h1>%s</h1>", web_tr(w, "worklist.title"));
    json_object *counts = web_jo(wl, "counts");
    static const char *const buckets[] = {"alerts", "overdue", "late", "due_today", "upcoming"};
    html_raw(&w->h, "<p>");
    for (int i = 0; i < 5; i++)
        html_out(&w->h, "<span class=\"tag\">%s: %D</span> ", web_trk(w, "priority", buckets[i]),
                 web_ji(counts, buckets[i]));
    html_raw(&w->h, "</p>");
    json_object *items = web_jo(wl, "items");
    int n = items ? (int)json_object_array_length(items) : 0;
    if (n == 0)
        html_out(&w->h, "<p class=\"card\">%s</p>", web_tr(w, "worklist.empty"));
    html_raw(&w->h, "<ul class=\"plain\" id=\"worklist\">");
    for (int i = 0; i < n; i++) {
        json_object *it = json_object_array_get_idx(items, (size_t)i);
        int64_t pid = web_ji(it, "participant_id");
        const char *prio = web_js(it, "priority");
        const char *cls =
            !prio                                                               ? "ok"
            : strcmp(prio, "urgent_alert") == 0 || strcmp(prio, "overdue") == 0 ? "urgent"
            : strcmp(prio, "attention_alert") == 0 || strcmp(prio, "late") == 0 ? "attention"
                                                                                : "ok";
        html_out(&w->h,
                 "<li class=\"card\" data-participant=\"%D\"><strong><a "
                 "href=\"/participants/%D\">%s</a></strong> "
                 "<span class=\"tag %s\">%s</span>",
                 pid, pid, web_person_name(w, it), cls,
                 web_trk(w, "priority", prio ? prio : "upcoming"));
        if (web_js(it, "risk_tier") && strcmp(web_js(it, "risk_tier"), "high_need") == 0)
            html_out(&w->h, "<span class=\"tag attention\">%s</span>",
                     web_trk(w, "tier", "high_need"));
        html_out(&w->h, "<br><span class=\"muted\">%s %s</span>", web_tr(w, "worklist.due"),
                 web_jdate(w, it, "due_date"));
        if (web_js(it, "phone"))
            html_out(&w->h, " · <a href=\"tel:%s\">%s</a>", web_js(it, "phone"),
                     web_js(it, "phone"));
        json_object *tasks = web_jo(it, "tasks");
        int nt = tasks ? (int)json_object_array_length(tasks) : 0;
        html_raw(&w->h, "<ul>");
        for (int k = 0; k < nt; k++) {
            json_object *t = json_object_array_get_idx(tasks, (size_t)k);
            html_out(&w->h, "<li data-task=\"%D\">%s · %s</li>", web_ji(t, "id"),
                     web_trk(w, "task", web_js(t, "kind") ? web_js(t, "kind") : "manual"),
                     web_jdate(w, t, "due_date"));
        }
        json_object *alerts = web_jo(it, "alerts");
        int na = alerts ? (int)json_object_array_length(alerts) : 0;
        for (int k = 0; k < na; k++) {
            json_object *a = json_object_array_get_idx(alerts, (size_t)k);
            html_out(&w->h, "<li class=\"urgent\">⚠ %s</li>",
                     web_trk(w, "alert", web_js(a, "kind") ? web_js(a, "kind") : "peer_concern"));
        }
        html_out(&w->h, "</ul><a class=\"button\" href=\"/participants/%D/contact\">%s</a></li>",
                 pid, web_tr(w, "contact.log"));
    }
    html_raw(&w->h, "</ul>");
    web_end(w, 200);
}

/* ---- the participant record ---------------------------------------------- */

/* Orders records by an RFC 3339 field (which sorts as text), oldest first; one comparator
   per field, as json_object_array_sort passes no context and pages run on many threads. */
static int cmp_field(const void *a, const void *b, const char *key)
{
    const char *x = web_js(*(json_object *const *)a, key);
    const char *y = web_js(*(json_object *const *)b, key);
    return strcmp(x ? x : "", y ? y : "");
}

static int by_effective(const void *a, const void *b)
{
    return cmp_field(a, b, "effective_at");
}

static int by_occurred(const void *a, const void *b)
{
    return cmp_field(a, b, "occurred_at");
}

static void sort_items(json_object *arr, int (*cmp)(const void *, const void *))
{
    if (arr && json_object_is_type(arr, json_type_array))
        json_object_array_sort(arr, cmp);
}

typedef struct series {
    double t[200]; /* days since the epoch */
    double v[200];
    int n;
} series;

/*
 * An SVG line chart of one or two series (a second one dashed), with the
 * goal band [glo, ghi] shaded, y from ylo to yhi, and axis labels.
 */
static void chart(web_ctx *w, const char *title, const series *a, const series *b, double ylo,
                  double yhi, double glo, double ghi)
{
    const double W = 600, H = 220, L = 44, Rm = 12, Tm = 12, B = 28;
    double t0 = 1e18, t1 = -1e18;
    const series *all[2] = {a, b};
    for (int s = 0; s < 2; s++)
        for (int i = 0; all[s] && i < all[s]->n; i++) {
            if (all[s]->t[i] < t0)
                t0 = all[s]->t[i];
            if (all[s]->t[i] > t1)
                t1 = all[s]->t[i];
            if (all[s]->v[i] < ylo)
                ylo = floor(all[s]->v[i]);
            if (all[s]->v[i] > yhi)
                yhi = ceil(all[s]->v[i]);
        }
    if (t1 <= t0)
        t1 = t0 + 1;
#define X(t) (L + ((t)-t0) / (t1 - t0) * (W - L - Rm))
#define Y(v) (Tm + (1 - ((v)-ylo) / (yhi - ylo)) * (H - Tm - B))
    char buf[96];
    html_out(&w->h,
             "<figure class=\"card\"><figcaption><strong>%s</strong></figcaption>"
             "<svg viewBox=\"0 0 600 220\" role=\"img\" aria-label=\"%s\">",
             title, title);
    double gy0 = Y(ghi < yhi ? ghi : yhi), gy1 = Y(glo > ylo ? glo : ylo);
    snprintf(buf, sizeof buf, "%.1f", gy0);
    char h2[32], wv[32];
    snprintf(h2, sizeof h2, "%.1f", gy1 - gy0);
    snprintf(wv, sizeof wv, "%.1f", W - L - Rm);
    html_out(&w->h,
             "<rect x=\"44\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"#d8efdf\"><title>%s</title>"
             "</rect>",
             buf, wv, h2, web_tr(w, "chart.goal"));
    for (int k = 0; k <= 4; k++) {
        double v = ylo + (yhi - ylo) * k / 4.0;
        char y[32], lab[WEB_NUM_MAX];
        snprintf(y, sizeof y, "%.1f", Y(v));
        web_fmt_num(w->lang, v, (yhi - ylo) < 8 ? 1 : 0, lab);
        html_out(&w->h,
                 "<line x1=\"44\" x2=\"588\" y1=\"%s\" y2=\"%s\" stroke=\"#e1e4e8\"/>"
                 "<text x=\"40\" y=\"%s\" font-size=\"11\" text-anchor=\"end\">%s</text>",
                 y, y, y, lab);
    }
    char d0[WEB_DATE_MAX], d1[WEB_DATE_MAX];
    web_fmt_date(w->lang, (pl_date)t0, d0);
    web_fmt_date(w->lang, (pl_date)t1, d1);
    html_out(&w->h,
             "<text x=\"44\" y=\"214\" font-size=\"11\">%s</text>"
             "<text x=\"588\" y=\"214\" font-size=\"11\" text-anchor=\"end\">%s</text>",
             d0, d1);
    for (int s = 0; s < 2; s++) {
        if (!all[s] || all[s]->n == 0)
            continue;
        pl_buf pts;
        pl_buf_init(&pts, 16384);
        for (int i = 0; i < all[s]->n; i++)
            pl_buf_printf(&pts, "%.1f,%.1f ", X(all[s]->t[i]), Y(all[s]->v[i]));
        html_out(&w->h,
                 "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" %s points=\"%s\"/>",
                 s == 0 ? "#0b5c8a" : "#8a4b00", s == 0 ? "" : "stroke-dasharray=\"6 4\"",
                 pts.data ? pts.data : "");
        for (int i = 0; i < all[s]->n; i++) {
            char cx[32], cy[32];
            snprintf(cx, sizeof cx, "%.1f", X(all[s]->t[i]));
            snprintf(cy, sizeof cy, "%.1f", Y(all[s]->v[i]));
            html_out(&w->h, "<circle cx=\"%s\" cy=\"%s\" r=\"3\" fill=\"%s\"/>", cx, cy,
                     s == 0 ? "#0b5c8a" : "#8a4b00");
        }
        pl_buf_free(&pts);
    }
#undef X
#undef Y
    html_raw(&w->h, "</svg></figure>");
}

static void add_point(series *s, json_object *m, program_units u)
{
    if (s->n >= 200)
        return;
    pl_time t;
    const char *at = web_js(m, "effective_at");
    if (!at || pl_time_parse(at, &t) != PL_OK)
        return;
    s->t[s->n] = (double)pl_time_date(t);
    const char *unit;
    s->v[s->n] = in_program_unit(u, measure_def_find(web_js(m, "code")),
                                 web_jd(m, "canonical_value"), &unit);
    s->n++;
}

static void section(web_ctx *w, const char *key)
{
    html_out(&w->h, "<h2>%s</h2>", web_tr(w, key));
}

/*
 * A list section of the record: the heading, "none" when the API list is
 * empty, and the list's opening tag (the caller closes it). Returns the
 * list's items (NULL when none) and their count in *n.
 */
static json_object *list_section(web_ctx *w, const char *key, json_object *list, bool ordered,
                                 int *n)
{
    section(w, key);
    json_object *items = web_jo(list, "items");
    *n = items ? (int)json_object_array_length(items) : 0;
    if (*n == 0)
        html_out(&w->h, "<p class=\"muted\">%s</p>", web_tr(w, "record.none"));
    if (ordered)
        html_raw(&w->h, "<ol class=\"plain\">");
    else
        html_raw(&w->h, "<ul>");
    return items;
}

void web_participant(web_ctx *w)
{
    const char *id = w->id;
    const char *params[1] = {id};
    json_object *p = NULL, *ms = NULL, *cs = NULL, *ts = NULL, *as = NULL, *rs = NULL, *qs = NULL;
    int status = web_api_get(w, "/api/v1/participants/{id}", params, 1, NULL, 0, &p);
    if (status != 200) {
        web_error_page(w, status, status == 404 ? "err.notfound" : "err.forbidden");
        return;
    }
    const char *q[] = {"participant_id", id, "limit", "200"};
    web_api_get(w, "/api/v1/measurements", NULL, 0, q, 2, &ms);
    web_api_get(w, "/api/v1/contacts", NULL, 0, q, 2, &cs);
    const char *qt[] = {"participant_id", id, "status", "open", "limit", "50"};
    web_api_get(w, "/api/v1/tasks", NULL, 0, qt, 3, &ts);
    web_api_get(w, "/api/v1/alerts", NULL, 0, q, 2, &as);
    web_api_get(w, "/api/v1/referrals", NULL, 0, q, 2, &rs);
    web_api_get(w, "/api/v1/questionnaire-responses", NULL, 0, q, 2, &qs);

    const char *name = web_person_name(w, p);
    web_begin(w, name);
    html_out(&w->h, "<h1>%s</h1>", name);
    html_out(&w->h,
             "<p><a class=\"button\" href=\"/participants/%s/contact\">%s</a> "
             "<a class=\"button\" href=\"/participants/%s/measurement\">%s</a> "
             "<a class=\"button\" href=\"/participants/%s/questionnaire\">%s</a> "
             "<a class=\"button\" href=\"/participants/%s/refer\">%s</a></p>",
             id, web_tr(w, "contact.log"), id, web_tr(w, "measure.record"), id,
             web_tr(w, "quest.fill"), id, web_tr(w, "refer.open"));
    const char *tier = web_js(p, "risk_tier");
    html_out(&w->h,
             "<div class=\"card grid\"><div><strong>%s</strong><br>%s</div>"
             "<div><strong>%s</strong><br>%s</div><div><strong>%s</strong><br>%s</div>"
             "<div><strong>%s</strong><br>%s</div></div>",
             web_tr(w, "record.ident"), web_js(p, "program_ident"), web_tr(w, "record.phone"),
             web_js(p, "phone"), web_tr(w, "record.enrolled"), web_jdate(w, p, "enrol_date"),
             web_tr(w, "record.tier"), web_trk(w, "tier", tier ? tier : "standard"));

    /* trends */
    program_units pu = units_of(w, web_ji(p, "program_id"));
    series *sh = pl_arena_alloc(&w->req->arena, 4 * sizeof(series));
    if (sh) {
        memset(sh, 0, 4 * sizeof(series));
        json_object *items = web_jo(ms, "items");
        sort_items(items, by_effective);
        int n = items ? (int)json_object_array_length(items) : 0;
        for (int i = 0; i < n; i++) {
            json_object *m = json_object_array_get_idx(items, (size_t)i);
            const char *an = web_js(m, "analyte");
            if (!an)
                continue;
            if (strcmp(an, "hba1c") == 0)
                add_point(&sh[0], m, pu);
            else if (strcmp(an, "sbp") == 0)
                add_point(&sh[1], m, pu);
            else if (strcmp(an, "dbp") == 0)
                add_point(&sh[2], m, pu);
            else if (strcmp(an, "weight") == 0)
                add_point(&sh[3], m, pu);
        }
        section(w, "record.trends");
        html_raw(&w->h, "<div class=\"grid\">");
        if (pu.hba1c_mmol_mol) /* 20-86 mmol/mol, goal below 53 (7 %) */
            chart(w, web_tr(w, "chart.hba1c_ifcc"), &sh[0], NULL, 31, 86, 20, 53);
        else
            chart(w, web_tr(w, "chart.hba1c"), &sh[0], NULL, 5, 10, 4, 7);
        chart(w, web_tr(w, "chart.bp"), &sh[1], &sh[2], 60, 160, 60, 130);
        chart(w, web_tr(w, "chart.weight"), &sh[3], NULL, 50, 90, 0, 0);
        html_raw(&w->h, "</div>");
        /* the latest readings as text, for anyone who cannot see the chart */
        html_out(&w->h, "<div class=\"scroll\"><table><caption class=\"muted\">%s</caption>",
                 web_tr(w, "record.latest"));
        html_out(&w->h, "<tr><th>%s</th><th>%s</th><th>%s</th></tr>", web_tr(w, "measure.what"),
                 web_tr(w, "measure.value"), web_tr(w, "record.date"));
        for (int i = n - 1, shown = 0; i >= 0 && shown < 8; i--, shown++) {
            json_object *m = json_object_array_get_idx(items, (size_t)i);
            char v[WEB_NUM_MAX];
            const char *unit;
            double val = in_program_unit(pu, measure_def_find(web_js(m, "code")),
                                         web_jd(m, "canonical_value"), &unit);
            web_fmt_num(w->lang, val, 1, v);
            html_out(&w->h, "<tr><td>%s</td><td>%s %s</td><td>%s</td></tr>",
                     web_trk(w, "analyte", web_js(m, "analyte") ? web_js(m, "analyte") : "other"),
                     v, web_trk(w, "unit", unit), web_jdate(w, m, "effective_at"));
        }
        html_raw(&w->h, "</table></div>");
    }

    /* alerts */
    int n;
    json_object *items = list_section(w, "record.alerts", as, false, &n);
    for (int i = 0; i < n; i++) {
        json_object *a = json_object_array_get_idx(items, (size_t)i);
        const char *sev = web_js(a, "severity");
        html_out(&w->h, "<li class=\"%s\">%s %s · %s · %s</li>",
                 sev && strcmp(sev, "urgent") == 0 ? "urgent" : "attention",
                 sev && strcmp(sev, "urgent") == 0 ? "⚠" : "●",
                 web_trk(w, "alert", web_js(a, "kind") ? web_js(a, "kind") : "peer_concern"),
                 web_trk(w, "astatus", web_js(a, "status") ? web_js(a, "status") : "open"),
                 web_jdate(w, a, "created_at"));
    }
    html_raw(&w->h, "</ul>");

    /* tasks */
    items = list_section(w, "record.tasks", ts, false, &n);
    for (int i = 0; i < n; i++) {
        json_object *t = json_object_array_get_idx(items, (size_t)i);
        html_out(&w->h, "<li>%s · %s %s</li>",
                 web_trk(w, "task", web_js(t, "kind") ? web_js(t, "kind") : "manual"),
                 web_tr(w, "worklist.due"), web_jdate(w, t, "due_date"));
    }
    html_raw(&w->h, "</ul>");

    /* contacts, newest first */
    items = list_section(w, "record.contacts", cs, true, &n);
    sort_items(items, by_occurred);
    for (int i = n - 1, shown = 0; i >= 0 && shown < 30; i--, shown++) {
        json_object *c = json_object_array_get_idx(items, (size_t)i);
        html_out(&w->h, "<li class=\"card\"><strong>%s</strong> · %s · %D %s<br>",
                 web_jdate(w, c, "occurred_at"),
                 web_trk(w, "mode", web_js(c, "mode") ? web_js(c, "mode") : "other"),
                 web_ji(c, "minutes"), web_tr(w, "contact.min"));
        json_object *kf = web_jo(c, "key_functions");
        int nk = kf ? (int)json_object_array_length(kf) : 0;
        for (int k = 0; k < nk; k++)
            html_out(
                &w->h, "<span class=\"tag\">%s</span>",
                web_trk(w, "kf", json_object_get_string(json_object_array_get_idx(kf, (size_t)k))));
        if (web_js(c, "note"))
            html_out(&w->h, "<br>%s", web_js(c, "note"));
        html_raw(&w->h, "</li>");
    }
    html_raw(&w->h, "</ol>");

    /* referrals */
    items = list_section(w, "record.referrals", rs, false, &n);
    for (int i = 0; i < n; i++) {
        json_object *r = json_object_array_get_idx(items, (size_t)i);
        html_out(&w->h, "<li>%s · %s · %s</li>", web_js(web_jo(r, "service"), "name"),
                 web_trk(w, "rstatus", web_js(r, "status") ? web_js(r, "status") : "made"),
                 web_jdate(w, r, "created_at"));
    }
    html_raw(&w->h, "</ul>");

    /* questionnaires with their scores */
    items = list_section(w, "record.questionnaires", qs, false, &n);
    for (int i = 0; i < n; i++) {
        json_object *r = json_object_array_get_idx(items, (size_t)i);
        char sc[WEB_NUM_MAX];
        web_fmt_num(w->lang, web_jd(r, "score"), 1, sc);
        const instrument_def *def = instrument_find(web_js(r, "instrument"));
        html_out(&w->h, "<li><a href=\"/questionnaires/%D\">%s</a> · %s %s · %s</li>",
                 web_ji(r, "id"), def ? def->name : web_js(r, "instrument"),
                 web_tr(w, "record.score"), sc, web_jdate(w, r, "completed_at"));
    }
    html_raw(&w->h, "</ul>");
    web_end(w, 200);
}

/* ---- log a contact ------------------------------------------------------- */

static bool participant_header(web_ctx *w, const char *title_key)
{
    const char *params[1] = {w->id};
    json_object *p = NULL;
    int status = web_api_get(w, "/api/v1/participants/{id}", params, 1, NULL, 0, &p);
    if (status != 200) {
        web_error_page(w, status, status == 404 ? "err.notfound" : "err.forbidden");
        return false;
    }
    int st = w->res->status;
    web_begin(w, web_tr(w, title_key));
    w->res->status = st;
    html_out(&w->h, "<h1>%s</h1><p><a href=\"/participants/%s\">%s</a></p>", web_tr(w, title_key),
             w->id, web_person_name(w, p));
    return true;
}

void web_contact_form(web_ctx *w)
{
    if (!participant_header(w, "contact.title"))
        return;
    web_form_errors(w);
    html_out(&w->h, "<form method=\"post\" action=\"/participants/%s/contact\" class=\"card\">",
             w->id);
    web_csrf_input(w);
    const char *mode = web_value(w, "mode", "phone");
    web_select_begin(w, "mode", "mode", "contact.mode");
    for (int i = 0; pl_contact_mode_names[i]; i++) {
        const char *m = pl_contact_mode_names[i];
        if (strcmp(m, "group") == 0)
            continue; /* group contacts come from attendance */
        web_option(w, m, web_trk(w, "mode", m), strcmp(m, mode) == 0);
    }
    web_select_end(w, "mode");
    html_out(&w->h,
             "<label for=\"minutes\">%s</label><input type=\"number\" id=\"minutes\" "
             "name=\"minutes\" min=\"1\" max=\"600\" inputmode=\"numeric\" value=\"%s\">",
             web_tr(w, "contact.minutes"), web_value(w, "minutes", "15"));
    web_field_error(w, "minutes");
    html_out(&w->h, "<fieldset><legend>%s</legend>", web_tr(w, "contact.kf"));
    for (int i = 0; pl_key_function_names[i]; i++) {
        const char *k = pl_key_function_names[i];
        html_out(&w->h,
                 "<label><input type=\"checkbox\" name=\"key_functions\" value=\"%s\"%s>%s</label>",
                 k, web_checked(w, "key_functions", k, false) ? " checked" : "",
                 web_trk(w, "kf", k));
    }
    html_raw(&w->h, "</fieldset>");
    web_field_error(w, "key_functions");
    html_out(&w->h, "<fieldset><legend>%s</legend>", web_tr(w, "contact.topics"));
    for (int i = 0; pl_topic_names[i]; i++) {
        const char *k = pl_topic_names[i];
        html_out(&w->h, "<label><input type=\"checkbox\" name=\"topics\" value=\"%s\"%s>%s</label>",
                 k, web_checked(w, "topics", k, false) ? " checked" : "", web_trk(w, "topic", k));
    }
    html_raw(&w->h, "</fieldset>");
    web_field_error(w, "topics");
    html_out(&w->h,
             "<label for=\"note\">%s</label><textarea id=\"note\" name=\"note\" rows=\"3\" "
             "maxlength=\"4000\">%s</textarea>",
             web_tr(w, "contact.note"), web_value(w, "note", ""));
    web_field_error(w, "note");
    web_text_input(w, "follow_up_date", "contact.followup", "date", WEB_INPUT_PLAIN);
    html_out(&w->h, "<p><button type=\"submit\">%s</button></p></form>", web_tr(w, "form.save"));
    web_end(w, w->err.nfields ? 422 : 200);
}

static const char *now_rfc3339(web_ctx *w)
{
    char *out = pl_arena_alloc(&w->req->arena, PL_TIME_STRLEN);
    if (out)
        pl_time_format((pl_time)time(NULL), out);
    return out;
}

void web_contact_post(web_ctx *w)
{
    int64_t pid = web_path_id(w);
    if (!pid) {
        web_error_page(w, 404, "err.notfound");
        return;
    }
    json_object *body = web_form_body(w, web_contact_form);
    if (!body)
        return;
    json_object_object_add(body, "participant_id", json_object_new_int64(pid));
    json_object_object_add(body, "occurred_at", json_object_new_string(now_rfc3339(w)));
    w->after = web_after_write;
    w->next = "/worklist";
    web_api_write(w, "POST", "/api/v1/contacts", NULL, 0, body);
}

/* ---- record a measurement ------------------------------------------------- */

static const char *const measure_codes[] = {"4548-4",  "8480-6", "8462-4",
                                            "29463-7", "1558-6", NULL};

void web_measurement_form(web_ctx *w)
{
    if (!participant_header(w, "measure.title"))
        return;
    web_form_errors(w);
    html_out(&w->h, "<form method=\"post\" action=\"/participants/%s/measurement\" class=\"card\">",
             w->id);
    web_csrf_input(w);
    const char *code = web_value(w, "code", "4548-4");
    web_select_begin(w, "code", "code", "measure.what");
    for (int i = 0; measure_codes[i]; i++) {
        const measure_def *d = measure_def_find(measure_codes[i]);
        web_option(w, d->code, web_trk(w, "analyte", d->analyte), strcmp(d->code, code) == 0);
    }
    web_select_end(w, "code");
    web_text_input(w, "value", "measure.value", "text", WEB_INPUT_DECIMAL);
    web_select_begin(w, "unit", "unit", "measure.unit");
    web_option(w, "", web_tr(w, "measure.unit_default"), false);
    static const char *const units[] = {"%",       "mmol/mol", "mm[Hg]", "kg",
                                        "[lb_av]", "mmol/L",   "mg/dL",  NULL};
    web_name_options(w, units, "unit", web_value(w, "unit", ""));
    web_select_end(w, "unit");
    html_out(&w->h, "<p><button type=\"submit\">%s</button></p></form>", web_tr(w, "form.save"));
    web_end(w, w->err.nfields ? 422 : 200);
}

void web_measurement_post(web_ctx *w)
{
    int64_t pid = web_path_id(w);
    if (!pid) {
        web_error_page(w, 404, "err.notfound");
        return;
    }
    json_object *body = web_form_body(w, web_measurement_form);
    if (!body)
        return;
    const char *unit = web_form_get(&w->form, "unit");
    if (!unit || !*unit) {
        /* no unit chosen: the program's unit for this analyte */
        const char *params[1] = {w->id};
        json_object *p = NULL;
        web_api_get(w, "/api/v1/participants/{id}", params, 1, NULL, 0, &p);
        const char *want = display_unit(units_of(w, web_ji(p, "program_id")),
                                        measure_def_find(web_js(body, "code")));
        if (want)
            json_object_object_add(body, "unit", json_object_new_string(want));
    }
    json_object_object_add(body, "participant_id", json_object_new_int64(pid));
    json_object_object_add(body, "effective_at", json_object_new_string(now_rfc3339(w)));
    json_object_object_add(body, "source",
                           json_object_new_string(w->req->account.role == PL_ROLE_CLINICIAN
                                                      ? "point_of_care"
                                                      : "peer"));
    w->after = web_after_write;
    w->next = pl_arena_printf(&w->req->arena, "/participants/%lld", (long long)pid);
    web_api_write(w, "POST", "/api/v1/measurements", NULL, 0, body);
}
