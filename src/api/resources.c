/*
 * resources.c - /api/v1/resources: a program's community resource
 * directory (Open Referral HSDS 3, docs/RESOURCES.md): search, one
 * service, HSDS import and export.
 *
 * The directory is not patient data: every signed-in role may search and
 * read it (evaluators too), without audit events for reads. A caller sees
 * the directories of the programs above and below their scope unit.
 * Import (admins and program managers, into a program inside their scope)
 * reads the body with src/hsds, then writes everything in one transaction
 * with an audit event of entity "resource_directory"; the answer counts
 * what was created, updated and not kept.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "hsds/hsds.h"

#define ENTITY "resource_directory"

static pl_id scope_unit(const http_request *req)
{
    return req->account.role == PL_ROLE_ADMIN ? 0 : req->account.scope_unit_id;
}

/* ---- which program ------------------------------------------------------- */

/*
 * The program a request is about: ?program_id=, else the program of the
 * caller's scope unit. required: answer 400 when neither names one.
 * Out of the caller's sight: 404. *program 0 when none and not required.
 */
static bool request_program(http_request *req, http_response *res, bool required, bool write,
                            pl_id *program)
{
    api_context *app = req->app;
    pl_err err;
    pl_err_clear(&err);
    *program = 0;
    if (!api_query_id(req, res, "program_id", program))
        return false;
    pl_id scope = scope_unit(req);
    pl_org_unit u;
    if (*program == 0 && scope > 0) {
        if (store_org_unit_get(app->store, scope, &req->arena, &u, &err) != PL_OK) {
            api_fail(res, &err);
            return false;
        }
        *program = u.kind == PL_ORG_PROGRAM ? u.id : u.program_id;
    }
    if (*program == 0) {
        if (!required)
            return true;
        pl_err_field(&err, "program_id", "is required: name the program whose directory this is");
        http_problem(res, 400, "a query parameter is missing", &err);
        return false;
    }
    pl_status st = write ? store_unit_in_subtree(app->store, scope, *program, &err)
                         : store_unit_visible(app->store, scope, *program, &err);
    if (st == PL_OK)
        st = store_org_unit_get(app->store, *program, &req->arena, &u, &err);
    if (st == PL_NOTFOUND) {
        http_problem(res, 404, "program not found", NULL);
        return false;
    }
    if (st != PL_OK) {
        api_fail(res, &err);
        return false;
    }
    if (u.kind != PL_ORG_PROGRAM) {
        pl_err_clear(&err);
        pl_err_field(&err, "program_id",
                     "must be the id of a program (an org unit of kind program)");
        http_problem(res, 400, "a query parameter is malformed", &err);
        return false;
    }
    return true;
}

/* ---- JSON ------------------------------------------------------------------ */

static json_object *address_line(const store_rsc_address *ad)
{
    char line[1024];
    snprintf(line, sizeof line, "%s%s%s, %s, %s %s, %s", ad->address_1 ? ad->address_1 : "",
             ad->address_2 ? ", " : "", ad->address_2 ? ad->address_2 : "",
             ad->city ? ad->city : "", ad->state_province ? ad->state_province : "",
             ad->postal_code ? ad->postal_code : "", ad->country ? ad->country : "");
    return json_object_new_string(line);
}

static json_object *schedules_json(const store_rsc_schedule *s, int n)
{
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "freq", api_json_str(s[i].freq));
        json_object_object_add(o, "byday", api_json_str(s[i].byday));
        json_object_object_add(o, "opens_at", api_json_str(s[i].opens_at));
        json_object_object_add(o, "closes_at", api_json_str(s[i].closes_at));
        json_object_object_add(o, "valid_from", api_json_date(s[i].valid_from));
        json_object_object_add(o, "valid_to", api_json_date(s[i].valid_to));
        json_object_object_add(o, "description", api_json_str(s[i].description));
        json_object_array_add(arr, o);
    }
    return arr;
}

static json_object *phones_json(const store_rsc_phone *p, int n)
{
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "number", api_json_str(p[i].number));
        json_object_object_add(o, "extension",
                               p[i].extension >= 0 ? json_object_new_int(p[i].extension) : NULL);
        json_object_object_add(o, "type", api_json_str(p[i].type));
        json_object_object_add(o, "description", api_json_str(p[i].description));
        json_object_array_add(arr, o);
    }
    return arr;
}

/* A coordinate as its shortest faithful decimal (41.8565, not 41.856499999999997). */
static json_object *coordinate_json(bool present, double v)
{
    if (!present)
        return NULL;
    char text[32];
    snprintf(text, sizeof text, "%.15g", v);
    return json_object_new_double_s(v, text);
}

json_object *api_resource_json(const store_rsc_service *s)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(s->id));
    json_object_object_add(o, "hsds_id", api_json_str(s->hsds_id));
    json_object_object_add(o, "program_id", json_object_new_int64(s->program_id));
    json_object_object_add(o, "name", api_json_str(s->name));
    json_object_object_add(o, "alternate_name", api_json_str(s->alternate_name));
    json_object_object_add(o, "description", api_json_str(s->description));
    json_object_object_add(o, "status", api_json_str(s->status));
    json_object_object_add(o, "url", api_json_str(s->url));
    json_object_object_add(o, "email", api_json_str(s->email));
    json_object_object_add(o, "fees_description", api_json_str(s->fees_description));
    json_object_object_add(o, "eligibility_description", api_json_str(s->eligibility_description));
    json_object_object_add(o, "application_process", api_json_str(s->application_process));
    json_object_object_add(o, "interpretation_services", api_json_str(s->interpretation_services));
    json_object *org = json_object_new_object();
    json_object_object_add(org, "id", json_object_new_int64(s->organization_id));
    json_object_object_add(org, "hsds_id", api_json_str(s->organization_hsds_id));
    json_object_object_add(org, "name", api_json_str(s->organization_name));
    json_object_object_add(o, "organization", org);
    json_object *cats = json_object_new_array();
    for (int i = 0; i < s->nattributes; i++) {
        const store_rsc_term *t = &s->attributes[i].term;
        json_object *c = json_object_new_object();
        json_object_object_add(c, "code", api_json_str(t->code));
        json_object_object_add(c, "name", api_json_str(t->name));
        json_object_object_add(c, "taxonomy", api_json_str(t->taxonomy));
        json_object_array_add(cats, c);
    }
    json_object_object_add(o, "categories", cats);
    json_object *langs = json_object_new_array();
    for (int i = 0; i < s->nlanguages; i++)
        if (s->languages[i].code || s->languages[i].name)
            json_object_array_add(langs, api_json_str(s->languages[i].code ? s->languages[i].code
                                                                           : s->languages[i].name));
    json_object_object_add(o, "languages", langs);
    json_object *locs = json_object_new_array();
    for (int i = 0; i < s->nlocations; i++) {
        const store_rsc_location *l = &s->locations[i];
        json_object *lo = json_object_new_object();
        json_object_object_add(lo, "id", json_object_new_int64(l->id));
        json_object_object_add(lo, "hsds_id", api_json_str(l->hsds_id));
        json_object_object_add(lo, "name", api_json_str(l->name));
        json_object_object_add(lo, "location_type", api_json_str(l->location_type));
        json_object_object_add(lo, "address",
                               l->naddresses ? address_line(&l->addresses[0]) : NULL);
        json_object_object_add(lo, "latitude", coordinate_json(l->has_coordinates, l->latitude));
        json_object_object_add(lo, "longitude", coordinate_json(l->has_coordinates, l->longitude));
        json_object_array_add(locs, lo);
    }
    json_object_object_add(o, "locations", locs);
    json_object_object_add(o, "phones", phones_json(s->phones, s->nphones));
    json_object_object_add(o, "schedules", schedules_json(s->schedules, s->nschedules));
    json_object_object_add(o, "updated_at", api_json_time(s->updated_at));
    return o;
}

/* ---- search and read ----------------------------------------------------------- */

static bool bad_query(http_response *res, const char *name, const char *rule)
{
    pl_err err;
    pl_err_clear(&err);
    pl_err_field(&err, name, "%s", rule);
    http_problem(res, 400, "a query parameter is malformed", &err);
    return false;
}

/* An optional text query parameter of at most max bytes of one-line UTF-8. */
static bool query_text(http_request *req, http_response *res, const char *name, size_t max,
                       const char **out)
{
    *out = http_query_get(req, name);
    if (!*out)
        return true;
    size_t n = strlen(*out);
    if (n == 0 || n > max || !pl_text_ok(*out, false)) {
        char rule[96];
        snprintf(rule, sizeof rule, "must be 1 to %zu bytes of text on one line", max);
        return bad_query(res, name, rule);
    }
    return true;
}

void api_resource_list(http_request *req, http_response *res)
{
    api_context *app = req->app;
    store_rsc_filter f = {.scope_unit = scope_unit(req)};
    store_page pg;
    if (!api_page(req, res, &pg) || !api_query_id(req, res, "program_id", &f.program_id) ||
        !query_text(req, res, "category", 200, &f.category) ||
        !query_text(req, res, "q", 200, &f.text) ||
        !query_text(req, res, "language", 35, &f.language) ||
        !query_text(req, res, "status", 40, &f.status))
        return;
    if (f.status && strcmp(f.status, "active") != 0 && strcmp(f.status, "inactive") != 0 &&
        strcmp(f.status, "defunct") != 0 && strcmp(f.status, "temporarily closed") != 0) {
        bad_query(res, "status", "must be active, inactive, defunct or temporarily closed");
        return;
    }
    store_rsc_service *items;
    int n;
    pl_err err;
    pl_err_clear(&err);
    if (store_resource_search(app->store, &f, pg, &req->arena, &items, &n, &err) != PL_OK) {
        if (err.status == PL_INVALID)
            http_problem(res, 400, "a query parameter is malformed", &err);
        else
            api_fail(res, &err);
        return;
    }
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++)
        json_object_array_add(arr, api_resource_json(&items[i]));
    api_send_list(req, res, arr, n, &pg, n ? items[n - 1].id : 0);
}

void api_resource_get(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_id id;
    if (!api_path_id(req, res, 0, &id))
        return;
    store_rsc_service s;
    pl_err err;
    pl_err_clear(&err);
    pl_status st = store_resource_service_get(app->store, id, &req->arena, &s, &err);
    if (st == PL_OK && store_unit_visible(app->store, scope_unit(req), s.program_id, &err) != PL_OK)
        st = PL_NOTFOUND;
    if (st == PL_NOTFOUND) {
        http_problem(res, 404, "resource not found", NULL);
        return;
    }
    if (st != PL_OK) {
        api_fail(res, &err);
        return;
    }
    api_send(res, 200, api_resource_json(&s));
}

/* ---- export ---------------------------------------------------------------------- */

void api_resource_export(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_id program;
    if (!request_program(req, res, true, false, &program))
        return;
    store_rsc_dir dir;
    pl_err err;
    pl_err_clear(&err);
    if (store_resource_dir_load(app->store, program, &req->arena, &dir, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    json_object *doc = hsds_export(&dir);
    if (!doc) {
        http_problem(res, 500, "the server could not complete the request", NULL);
        return;
    }
    const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE);
    res->status = 200;
    res->content_type = "application/json";
    pl_status st = pl_buf_puts(&res->body, text);
    json_object_put(doc);
    if (st != PL_OK) {
        res->body.len = 0;
        http_problem(res, 500,
                     "the directory is larger than one response may be; export it with "
                     "`peerlink export hsds`",
                     NULL);
    }
}

/* ---- import ---------------------------------------------------------------------- */

typedef struct import_ctx {
    pl_id program_id;
    hsds_import *im;
} import_ctx;

static const char *const kind_keys[STORE_RSC__KINDS] = {"organizations", "locations", "services",
                                                        "service_at_locations", "taxonomy_terms"};

static json_object *counts_json(const hsds_count *c, int n, const char *key)
{
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, key, json_object_new_string(c[i].name));
        json_object_object_add(o, "count", json_object_new_int(c[i].count));
        json_object_array_add(arr, o);
    }
    return arr;
}

/* The import's answer: per kind created / updated / not kept, children, what was dropped. */
static json_object *report_json(pl_id program, const hsds_report *rep,
                                const store_rsc_import_counts *c)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "program_id", json_object_new_int64(program));
    json_object_object_add(o, "objects", json_object_new_int(rep->objects));
    for (int k = 0; k < STORE_RSC__KINDS; k++) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "created", json_object_new_int(c->created[k]));
        json_object_object_add(e, "updated", json_object_new_int(c->updated[k]));
        json_object_object_add(e, "not_kept", json_object_new_int(c->not_kept[k]));
        json_object_object_add(o, kind_keys[k], e);
    }
    json_object *kids = json_object_new_object();
    json_object_object_add(kids, "phones", json_object_new_int(c->phones));
    json_object_object_add(kids, "languages", json_object_new_int(c->languages));
    json_object_object_add(kids, "schedules", json_object_new_int(c->schedules));
    json_object_object_add(kids, "addresses", json_object_new_int(c->addresses));
    json_object_object_add(kids, "attributes", json_object_new_int(c->attributes));
    json_object_object_add(o, "children", kids);
    json_object_object_add(o, "ignored_entities",
                           counts_json(rep->ignored_entities, rep->nignored_entities, "entity"));
    json_object_object_add(o, "ignored_fields",
                           counts_json(rep->ignored_fields, rep->nignored_fields, "field"));
    json_object *w = json_object_new_array();
    for (int i = 0; i < rep->nwarnings; i++)
        json_object_array_add(w, json_object_new_string(rep->warnings[i]));
    json_object_object_add(o, "warnings", w);
    json_object_object_add(o, "warnings_not_listed", json_object_new_int(rep->warnings_dropped));
    return o;
}

static pl_status import_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    import_ctx *c = ctx;
    store_rsc_import_counts counts;
    pl_status st =
        store_resource_import(tx, c->program_id, &c->im->dir, (pl_time)time(NULL), &counts, err);
    if (st == PL_OK)
        st = api_audit_tx(tx, req, "import", ENTITY, c->program_id, 0, 200, err);
    if (st != PL_OK)
        return st;
    out->status = 200;
    out->body = api_json_text(req, report_json(c->program_id, &c->im->report, &counts));
    return PL_OK;
}

void api_resource_import(http_request *req, http_response *res)
{
    pl_id program;
    if (!request_program(req, res, true, true, &program)) {
        api_audit(req, "import", ENTITY, 0, 0, res->status);
        return;
    }
    pl_err err;
    int status = http_content_type_check(http_header_get(req, "Content-Type"), &err);
    hsds_import *im = pl_arena_alloc(&req->arena, sizeof *im);
    if (status == 0 && !im) {
        pl_err_set(&err, PL_LIMIT, "the request needs more memory than a request may use");
        status = 413;
    }
    if (status == 0) {
        pl_err_clear(&err);
        hsds_import_init(im, &req->arena);
        pl_status st = hsds_import_add(im, req->body ? req->body : "", req->body_len, &err);
        status = st == PL_OK ? 0 : st == PL_USAGE ? 400 : http_status_for(st);
    }
    if (status != 0) {
        if (status >= 500)
            api_fail(res, &err);
        else
            http_problem(res, status, err.message, &err);
        api_audit(req, "import", ENTITY, program, 0, res->status);
        return;
    }
    hsds_import_finish(im);
    import_ctx c = {.program_id = program, .im = im};
    api_write(req, res, import_write, &c, sizeof c, ENTITY, 0);
}
