/*
 * studies.c - /api/v1/studies: a program's evaluation design (waves,
 * recruitment targets, an arm per community entered, imported as CSV or
 * randomised), its CONSORT flow counts, the outcome report and the
 * de-identified research exports (docs/EVALUATION.md).
 *
 * Scope: a study belongs to a program; it is visible to an account whose
 * scope contains the program (admins: every program). Anything else answers
 * 404, as if the study did not exist. The report and the flow hold
 * aggregates only; the exports hold pseudonymised rows (docs/PRIVACY.md).
 * Reports, flows and exports are audited ("read" study_report / study_flow,
 * "export" research_export); study writes append their event in the write's
 * transaction.
 *
 * Reports are cached per study (REPORT_SLOTS, least recently used out),
 * keyed by the store's fingerprint of what a report depends on (largest ids
 * of the insert-only tables, a counter of participant updates, the study's
 * version), with each format's rendering kept once made: a repeated request
 * on unchanged data sends the cached text without reading the data again;
 * any change computes a new report.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "core/measure.h"
#include "core/time.h"
#include "eval/eval.h"

#define ENTITY       "study"
#define REPORT_SLOTS 4
#define EXPORT_MAX   (512u * 1024 * 1024) /* an export answered over HTTP */

/* ---- the report cache ---------------------------------------------------- */

typedef struct report_slot {
    pl_id study_id;
    store_eval_fingerprint fp;
    eval_report *report;
    uint64_t used;
    char *rendered[3]; /* per eval_format, made on first request */
    size_t len[3];
} report_slot;

static void slot_clear(report_slot *s)
{
    eval_report_free(s->report);
    for (int f = 0; f < 3; f++)
        free(s->rendered[f]);
    memset(s, 0, sizeof *s);
}

struct api_report_cache {
    pthread_mutex_t mu;
    pthread_cond_t built; /* a computation ended */
    uint64_t clock;
    report_slot slots[REPORT_SLOTS];
    pl_id building[REPORT_SLOTS]; /* studies whose report a request is computing */
};

api_report_cache *api_report_cache_new(void)
{
    api_report_cache *c = calloc(1, sizeof *c);
    if (c) {
        pthread_mutex_init(&c->mu, NULL);
        pthread_cond_init(&c->built, NULL);
    }
    return c;
}

void api_report_cache_free(api_report_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < REPORT_SLOTS; i++)
        slot_clear(&c->slots[i]);
    pthread_cond_destroy(&c->built);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* ---- shared pieces ------------------------------------------------------- */

static pl_id scope_unit(const http_request *req)
{
    return req->account.role == PL_ROLE_ADMIN ? 0 : req->account.scope_unit_id;
}

/* Reads study {id}; false (404 or failure answered) when absent or out of scope. */
static bool study_visible(http_request *req, http_response *res, pl_id *id, store_study *st)
{
    api_context *app = req->app;
    if (!api_path_id(req, res, 0, id))
        return false;
    pl_err err;
    pl_err_clear(&err);
    pl_status s = store_study_get(app->store, *id, &req->arena, st, &err);
    if (s == PL_OK)
        s = store_unit_in_subtree(app->store, scope_unit(req), st->program_id, &err);
    if (s == PL_NOTFOUND) {
        http_problem(res, 404, "study not found", NULL);
        api_audit(req, "read", ENTITY, *id, 0, 404);
        return false;
    }
    if (s != PL_OK) {
        api_fail(res, &err);
        return false;
    }
    return true;
}

static const eval_unit *find_unit(const eval_unit *u, int n, pl_id id)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (u[mid].id == id)
            return &u[mid];
        if (u[mid].id < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

static json_object *target_json(int t)
{
    return t >= 0 ? json_object_new_int(t) : NULL;
}

static json_object *study_json(const store_study *st, const store_study_arm *arms, int narms,
                               const eval_unit *units, int nunits, bool with_arms)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(st->id));
    json_object_object_add(o, "program_id", json_object_new_int64(st->program_id));
    json_object_object_add(o, "name", api_json_str(st->name));
    json_object_object_add(o, "description", api_json_str(st->description));
    json_object_object_add(o, "allocation", api_json_str(st->allocation));
    json_object_object_add(o, "seed", st->seed ? json_object_new_int64(st->seed) : NULL);
    json_object_object_add(o, "subgroup_threshold", json_object_new_double(st->subgroup_threshold));
    json_object *t = json_object_new_object();
    json_object_object_add(t, "intervention", target_json(st->target_intervention));
    json_object_object_add(t, "control", target_json(st->target_control));
    json_object_object_add(o, "targets", t);
    json_object *ws = json_object_new_array();
    for (int w = 0; w < st->nwaves; w++) {
        json_object *x = json_object_new_object();
        json_object_object_add(x, "month", json_object_new_int(st->waves[w].month));
        json_object_object_add(x, "window_days", json_object_new_int(st->waves[w].window_days));
        json_object_array_add(ws, x);
    }
    json_object_object_add(o, "waves", ws);
    if (with_arms) {
        json_object *as = json_object_new_array();
        int counts[PL_ARM__COUNT] = {0};
        for (int i = 0; i < narms; i++) {
            const eval_unit *u = find_unit(units, nunits, arms[i].unit_id);
            json_object *x = json_object_new_object();
            json_object_object_add(x, "unit_id", json_object_new_int64(arms[i].unit_id));
            json_object_object_add(x, "code", api_json_str(u ? u->code : NULL));
            json_object_object_add(x, "name", api_json_str(u ? u->name : NULL));
            json_object_object_add(x, "district", api_json_str(u ? u->district_code : NULL));
            json_object_object_add(x, "arm", json_object_new_string(pl_arm_name(arms[i].arm)));
            json_object_array_add(as, x);
            if (arms[i].arm < PL_ARM__COUNT)
                counts[arms[i].arm]++;
        }
        json_object_object_add(o, "arms", as);
        json_object *c = json_object_new_object();
        json_object_object_add(c, "intervention", json_object_new_int(counts[PL_ARM_INTERVENTION]));
        json_object_object_add(c, "control", json_object_new_int(counts[PL_ARM_CONTROL]));
        json_object_object_add(o, "communities", c);
    }
    json_object_object_add(o, "created_at", api_json_time(st->created_at));
    json_object_object_add(o, "updated_at", api_json_time(st->updated_at));
    json_object_object_add(o, "version", json_object_new_int(st->version));
    return o;
}

/* ---- list, get ----------------------------------------------------------------- */

void api_study_list(http_request *req, http_response *res)
{
    api_context *app = req->app;
    store_page pg;
    if (!api_page(req, res, &pg))
        return;
    store_study *items;
    int n;
    pl_err err;
    pl_err_clear(&err);
    if (store_study_list(app->store, scope_unit(req), pg, &req->arena, &items, &n, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++)
        json_object_array_add(arr, study_json(&items[i], NULL, 0, NULL, 0, false));
    api_send_list(req, res, arr, n, &pg, n ? items[n - 1].id : 0);
}

void api_study_get(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_id id;
    store_study st;
    if (!study_visible(req, res, &id, &st))
        return;
    store_study_arm *arms;
    eval_unit *units;
    int narms, nunits;
    pl_err err;
    pl_err_clear(&err);
    if (store_study_arms_get(app->store, id, &req->arena, &arms, &narms, &err) != PL_OK ||
        eval_program_communities(app->store, st.program_id, &req->arena, &units, &nunits, &err) !=
            PL_OK) {
        api_fail(res, &err);
        return;
    }
    api_etag(req, res, st.version);
    api_send(res, 200, study_json(&st, arms, narms, units, nunits, true));
}

/* ---- create --------------------------------------------------------------------- */

typedef struct create_ctx {
    store_study st;
    store_study_arm *arms; /* adopted from the org units, or NULL */
    int narms;
    eval_unit *units;
    int nunits;
} create_ctx;

static pl_status create_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    create_ctx *c = ctx;
    c->st.created_by = req->account.id;
    pl_status s = store_study_insert(tx, &c->st, err);
    if (s == PL_OK && c->arms) {
        s = store_study_arms_set(tx, c->st.id, c->arms, c->narms, "org_units", 0, 1, err);
        c->st.allocation = "org_units";
        c->st.version = 2;
    }
    if (s == PL_OK)
        s = api_audit_tx(tx, req, "create", ENTITY, c->st.id, 0, 201, err);
    if (s != PL_OK)
        return s;
    out->status = 201;
    out->body =
        api_json_text(req, study_json(&c->st, c->arms, c->narms, c->units, c->nunits, true));
    out->location = pl_arena_printf(&req->arena, "/api/v1/studies/%lld", (long long)c->st.id);
    out->version = c->st.version;
    return PL_OK;
}

void api_study_create(http_request *req, http_response *res)
{
    api_context *app = req->app;
    create_ctx *c = pl_arena_alloc(&req->arena, sizeof *c);
    if (!c) {
        http_problem(res, 500, "the request memory limit was reached", NULL);
        return;
    }
    store_study *st = &c->st;
    pl_err err;
    pl_err_clear(&err);
    st->program_id = api_body_id(req, "program_id");
    pl_org_unit prog;
    pl_status s = store_unit_in_subtree(app->store, scope_unit(req), st->program_id, &err);
    if (s == PL_OK)
        s = store_org_unit_get(app->store, st->program_id, &req->arena, &prog, &err);
    if (s == PL_NOTFOUND) {
        http_problem(res, 404, "program not found", NULL);
        api_audit(req, "create", ENTITY, 0, 0, 404);
        return;
    }
    if (s != PL_OK) {
        api_fail(res, &err);
        return;
    }
    if (prog.kind != PL_ORG_PROGRAM)
        pl_err_field(&err, "program_id", "must be a program (org unit %lld is a %s)",
                     (long long)prog.id, pl_org_kind_name(prog.kind));
    st->name = api_body_str(req, "name");
    if (!st->name || !*st->name || strspn(st->name, " \t") == strlen(st->name))
        pl_err_field(&err, "name", "must not be blank");
    st->description = api_body_str(req, "description");
    st->target_intervention = (int)api_body_int(req, "target_intervention", -1);
    st->target_control = (int)api_body_int(req, "target_control", -1);
    if (api_body_null(req, "target_intervention"))
        st->target_intervention = -1;
    if (api_body_null(req, "target_control"))
        st->target_control = -1;
    st->subgroup_threshold = 8.0;
    const char *thr = api_body_str(req, "subgroup_threshold");
    if (thr) {
        double v;
        if (measure_parse_decimal(thr, &v) != PL_OK || v < 3 || v > 20)
            pl_err_field(&err, "subgroup_threshold",
                         "must be an HbA1c in %% between 3 and 20 (the plausible range)");
        else
            st->subgroup_threshold = v;
    }
    int nm = 0, nwin = 0;
    int *months = api_body_ints(req, "wave_months", &nm);
    int *windows = api_body_ints(req, "wave_windows", &nwin);
    if (!api_body_has(req, "wave_months") && !api_body_has(req, "wave_windows")) {
        eval_default_waves(st);
    } else if (!api_body_has(req, "wave_months")) {
        pl_err_field(&err, "wave_months", "is required with wave_windows");
    } else {
        if (nwin && nwin != nm)
            pl_err_field(&err, "wave_windows", "must have one window per month (%d), not %d", nm,
                         nwin);
        if (nm > EVAL_WAVES_MAX || nm < 1)
            pl_err_field(&err, "wave_months", "must list 1 to %d waves", EVAL_WAVES_MAX);
        else if (!nwin || nwin == nm) {
            st->nwaves = nm;
            for (int i = 0; i < nm; i++) {
                st->waves[i].month = months[i];
                st->waves[i].window_days = nwin ? windows[i] : months[i] == 0 ? 30 : 45;
            }
            eval_waves_validate(st->waves, nm, "wave_months", "wave_windows", &err);
        }
    }
    if (api_body_bool(req, "arms_from_org_units", false) && err.nfields == 0) {
        if (eval_program_communities(app->store, st->program_id, &req->arena, &c->units, &c->nunits,
                                     &err) != PL_OK) {
            api_fail(res, &err);
            return;
        }
        c->arms = pl_arena_alloc(&req->arena, sizeof *c->arms * (size_t)(c->nunits + 1));
        if (!c->arms) {
            http_problem(res, 500, "the request memory limit was reached", NULL);
            return;
        }
        for (int i = 0; i < c->nunits; i++)
            if (c->units[i].arm != PL_ARM_NONE)
                c->arms[c->narms++] = (store_study_arm){c->units[i].id, c->units[i].arm};
        if (c->narms == 0)
            pl_err_field(&err, "arms_from_org_units",
                         "no community of the program has an arm to adopt");
    }
    if (err.nfields) {
        err.status = PL_INVALID;
        api_fail(res, &err);
        api_audit(req, "create", ENTITY, 0, 0, res->status);
        return;
    }
    api_write(req, res, create_write, c, sizeof *c, ENTITY, 0);
}

/* ---- arms: entered, imported, randomised ------------------------------------------ */

typedef struct arms_ctx {
    pl_id id;
    int if_match;
    const char *allocation;
    int64_t seed;
    eval_arms b;
} arms_ctx;

static pl_status arms_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                            pl_err *err)
{
    arms_ctx *c = ctx;
    store_study st;
    pl_status s = store_tx_study_get(tx, c->id, &req->arena, &st, err);
    if (s != PL_OK)
        return s;
    if ((s = api_version_check(c->if_match, st.version, "study", err)) != PL_OK)
        return s;
    if ((s = store_study_arms_set(tx, c->id, c->b.arms, c->b.narms, c->allocation, c->seed,
                                  st.version, err)) != PL_OK)
        return s;
    if ((s = api_audit_tx(tx, req, "update", ENTITY, c->id, 0, 200, err)) != PL_OK)
        return s;
    st.allocation = c->allocation;
    st.seed = c->seed;
    st.version++;
    out->status = 200;
    out->body =
        api_json_text(req, study_json(&st, c->b.arms, c->b.narms, c->b.units, c->b.nunits, true));
    out->version = st.version;
    return PL_OK;
}

/* Reads the study and its program's communities into a new context; NULL with the failure
 * answered. */
static arms_ctx *arms_prepare(http_request *req, http_response *res, const char *allocation)
{
    api_context *app = req->app;
    arms_ctx *c = pl_arena_alloc(&req->arena, sizeof *c);
    if (!c) {
        http_problem(res, 500, "the request memory limit was reached", NULL);
        return NULL;
    }
    store_study st;
    if (!study_visible(req, res, &c->id, &st))
        return NULL;
    c->if_match = api_if_match_version(req, res);
    if (c->if_match == -2)
        return NULL;
    c->allocation = allocation;
    eval_unit *units;
    int nunits;
    pl_err err;
    pl_err_clear(&err);
    if (eval_program_communities(app->store, st.program_id, &req->arena, &units, &nunits, &err) !=
            PL_OK ||
        eval_arms_begin(&c->b, units, nunits, st.program_id, &req->arena, &err) != PL_OK) {
        api_fail(res, &err);
        return NULL;
    }
    return c;
}

/* Writes the allocation, or answers what was wrong with it. */
static void arms_finish(http_request *req, http_response *res, arms_ctx *c, pl_err *err)
{
    if (err->nfields == 0 && eval_arms_finish(&c->b, err) == PL_OK) {
        api_write(req, res, arms_write, c, sizeof *c, ENTITY, 0);
        return;
    }
    if (err->nfields)
        err->status = PL_INVALID;
    api_fail(res, err);
    api_audit(req, "update", ENTITY, c->id, 0, res->status);
}

void api_study_arms_set(http_request *req, http_response *res)
{
    arms_ctx *c = arms_prepare(req, res, "entered");
    if (!c)
        return;
    pl_err err;
    pl_err_clear(&err);
    static const char *const fields[] = {"intervention", "control"};
    static const pl_arm arms[] = {PL_ARM_INTERVENTION, PL_ARM_CONTROL};
    for (int f = 0; f < 2; f++) {
        int n;
        int *ids = api_body_ints(req, fields[f], &n);
        for (int i = 0; i < n; i++) {
            char name[48];
            snprintf(name, sizeof name, "%s[%d]", fields[f], i);
            eval_arms_add(&c->b, ids[i], arms[f], name, &err);
        }
    }
    arms_finish(req, res, c, &err);
}

void api_study_arms_import(http_request *req, http_response *res)
{
    const char *ct = http_header_get(req, "Content-Type");
    if (!ct || strncasecmp(ct, "text/csv", 8) != 0) {
        http_problem(res, 415,
                     "send the arms as text/csv: a header line community,arm, then one line per "
                     "community (its code or id, intervention or control)",
                     NULL);
        api_audit(req, "update", ENTITY, 0, 0, 415);
        return;
    }
    arms_ctx *c = arms_prepare(req, res, "imported");
    if (!c)
        return;
    char *text = pl_arena_strdup(&req->arena, req->body ? req->body : "");
    if (!text) {
        http_problem(res, 500, "the request memory limit was reached", NULL);
        return;
    }
    pl_err err;
    pl_err_clear(&err);
    eval_arms_parse_csv(&c->b, text, &err);
    arms_finish(req, res, c, &err);
}

void api_study_randomise(http_request *req, http_response *res)
{
    arms_ctx *c = arms_prepare(req, res, "randomised");
    if (!c)
        return;
    pl_err err;
    pl_err_clear(&err);
    c->seed = api_body_int(req, "seed", 0);
    int ncontrol = (int)api_body_int(req, "control", 0);
    if (eval_arms_randomise(&c->b, ncontrol, (uint64_t)c->seed, &req->arena, &err) != PL_OK) {
        api_fail(res, &err);
        api_audit(req, "update", ENTITY, c->id, 0, res->status);
        return;
    }
    api_write(req, res, arms_write, c, sizeof *c, ENTITY, 0);
}

/* ---- flow and report ------------------------------------------------------------------ */

typedef void (*report_fn)(http_request *req, http_response *res, report_slot *slot, void *ctx);

/* Finds or computes the study's report and calls fn with it (under the cache's lock). */
/* The slot holding the study's report for fp, or NULL (the cache's lock held). */
static report_slot *cached(api_report_cache *cache, pl_id id, const store_eval_fingerprint *fp)
{
    for (int i = 0; i < REPORT_SLOTS; i++) {
        report_slot *s = &cache->slots[i];
        if (s->report && s->study_id == id && memcmp(&s->fp, fp, sizeof *fp) == 0)
            return s;
    }
    return NULL;
}

/* True when another request is computing the study's report (the cache's lock held). */
static bool building(const api_report_cache *cache, pl_id id)
{
    for (int i = 0; i < REPORT_SLOTS; i++)
        if (cache->building[i] == id)
            return true;
    return false;
}

/*
 * Finds or computes the study's report and calls fn with its slot (under
 * the cache's lock). One request computes a study's report at a time: the
 * others wait for it and use its result (single flight), so a burst of
 * requests on a large study costs one computation, not one each.
 */
static bool with_report(http_request *req, http_response *res, pl_id id, report_fn fn, void *ctx)
{
    api_context *app = req->app;
    api_report_cache *cache = app->reports;
    pl_err err;
    pl_err_clear(&err);
    store_eval_fingerprint fp;
    if (store_eval_fingerprint_get(app->store, id, &fp, &err) != PL_OK) {
        api_fail(res, &err);
        return false;
    }
    pthread_mutex_lock(&cache->mu);
    report_slot *hit;
    while (!(hit = cached(cache, id, &fp)) && building(cache, id))
        pthread_cond_wait(&cache->built, &cache->mu);
    int mark = -1;
    for (int i = 0; !hit && i < REPORT_SLOTS && mark < 0; i++)
        if (cache->building[i] == 0)
            mark = i;
    if (hit) {
        hit->used = ++cache->clock;
        fn(req, res, hit, ctx);
        pthread_mutex_unlock(&cache->mu);
        return true;
    }
    if (mark >= 0)
        cache->building[mark] = id; /* else: many studies at once; compute unannounced */
    pthread_mutex_unlock(&cache->mu);

    eval_data *d = NULL;
    eval_report *r = NULL;
    pl_status st = eval_data_load(app->store, id, 0, &d, &err);
    if (st == PL_OK)
        st = eval_report_build(d, (pl_time)time(NULL), &r, &err);
    eval_data_free(d);

    pthread_mutex_lock(&cache->mu);
    if (mark >= 0)
        cache->building[mark] = 0;
    pthread_cond_broadcast(&cache->built);
    if (st != PL_OK) {
        pthread_mutex_unlock(&cache->mu);
        api_fail(res, &err);
        return false;
    }
    report_slot *victim = &cache->slots[0];
    for (int i = 0; i < REPORT_SLOTS; i++) {
        report_slot *s = &cache->slots[i];
        if (s->report && s->study_id == id) {
            victim = s; /* an older report of the same study */
            break;
        }
        if (!s->report || s->used < victim->used)
            victim = s;
    }
    slot_clear(victim);
    *victim = (report_slot){.study_id = id, .fp = fp, .report = r, .used = ++cache->clock};
    fn(req, res, victim, ctx);
    pthread_mutex_unlock(&cache->mu);
    return true;
}

static void send_flow(http_request *req, http_response *res, report_slot *slot, void *ctx)
{
    (void)req;
    (void)ctx;
    pl_err err;
    pl_err_clear(&err);
    if (eval_report_render_flow(slot->report, &res->body, &err) != PL_OK) {
        pl_buf_free(&res->body);
        api_fail(res, &err);
        return;
    }
    res->status = 200;
    res->content_type = "application/json";
}

void api_study_flow(http_request *req, http_response *res)
{
    pl_id id;
    store_study st;
    if (!study_visible(req, res, &id, &st))
        return;
    if (with_report(req, res, id, send_flow, NULL))
        api_audit(req, "read", "study_flow", id, 0, res->status);
}

/* Sends the slot's report in format f, rendered once per slot and format. */
static void send_report(http_request *req, http_response *res, report_slot *slot, void *ctx)
{
    (void)req;
    eval_format f = *(const eval_format *)ctx;
    pl_err err;
    pl_err_clear(&err);
    if (!slot->rendered[f]) {
        pl_buf b;
        pl_buf_init(&b, 0);
        if (eval_report_render(slot->report, f, &b, &err) != PL_OK) {
            pl_buf_free(&b);
            api_fail(res, &err);
            return;
        }
        slot->len[f] = b.len;
        slot->rendered[f] = pl_buf_steal(&b);
    }
    if (!slot->rendered[f] || pl_buf_append(&res->body, slot->rendered[f], slot->len[f]) != PL_OK) {
        pl_buf_free(&res->body);
        pl_err_set(&err, PL_NOMEM, "out of memory sending the report");
        api_fail(res, &err);
        return;
    }
    res->status = 200;
    res->content_type = eval_format_content_type(f);
}

void api_study_report(http_request *req, http_response *res)
{
    pl_id id;
    store_study st;
    if (!study_visible(req, res, &id, &st))
        return;
    eval_format f;
    if (eval_format_parse(http_query_get(req, "format"), &f) != PL_OK) {
        pl_err err;
        pl_err_clear(&err);
        pl_err_field(&err, "format", "must be json, html or csv");
        err.status = PL_INVALID;
        http_problem(res, 400, "the format parameter is not valid", &err);
        return;
    }
    if (with_report(req, res, id, send_report, &f))
        api_audit(req, "read", "study_report", id, 0, res->status);
}

/* ---- research exports -------------------------------------------------------------------- */

static pl_status to_body(void *ctx, const char *data, size_t n, pl_err *err)
{
    http_response *res = ctx;
    if (pl_buf_append(&res->body, data, n) != PL_OK)
        return pl_err_set(err, PL_LIMIT,
                          "the export is larger than %u MiB; use `peerlink export research`",
                          EXPORT_MAX >> 20);
    return PL_OK;
}

void api_study_export(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_id id;
    store_study st;
    if (!study_visible(req, res, &id, &st))
        return;
    eval_export_file f;
    if (eval_export_parse(http_query_get(req, "file"), &f) != PL_OK) {
        pl_err err;
        pl_err_clear(&err);
        pl_err_field(&err, "file", "must be long, wide, codebook, r or stata");
        err.status = PL_INVALID;
        http_problem(res, 400, "the file parameter is not valid", &err);
        return;
    }
    pl_err err;
    pl_err_clear(&err);
    eval_data *d = NULL;
    pl_status s = eval_data_load(app->store, id, EVAL_LOAD_DEMOGRAPHICS, &d, &err);
    if (s == PL_OK) {
        res->body.max = EXPORT_MAX;
        s = eval_export_write(d, app->secret, f, pl_time_date((pl_time)time(NULL)), to_body, res,
                              &err);
    }
    eval_data_free(d);
    if (s != PL_OK) {
        pl_buf_free(&res->body);
        res->body.max = 0;
        api_fail(res, &err);
        api_audit(req, "export", "research_export", id, 0, res->status);
        return;
    }
    res->status = 200;
    res->content_type = eval_export_content_type(f);
    http_header(res, "Content-Disposition",
                pl_arena_printf(&req->arena, "attachment; filename=\"study-%lld-%s\"",
                                (long long)id, eval_export_filename(f)));
    api_audit(req, "export", "research_export", id, 0, 200);
}
