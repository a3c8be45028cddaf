/*
 * settings.c - /api/v1/programs/{id}/settings: a program's rule settings
 * (core/rules.h, docs/RULES.md).
 *
 * Every identified role may read the settings of a program it can see (the
 * thresholds explain the alerts and the worklist); program managers and
 * admins change them. A PATCH names only the settings it changes; the
 * result is validated as a whole (every broken rule is reported under the
 * setting's name) and written in one transaction with an If-Match check.
 * The settings apply from the next write: alerts already raised and tasks
 * already due are not rewritten.
 */
#include "common.h"
#include "core/measure.h"

#define ENTITY "program_settings"

static json_object *settings_json(pl_id program_id, const rules_settings *rs, int version)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "program_id", json_object_new_int64(program_id));
    json_object_object_add(o, "version", json_object_new_int(version));
    json_object *v = json_object_new_object();
    for (const rules_setting_field *f = rules_setting_fields; f->name; f++) {
        double x = rules_setting_get(rs, f);
        json_object_object_add(
            v, f->name, f->integer ? json_object_new_int((int)x) : json_object_new_double(x));
    }
    json_object_object_add(o, "settings", v);
    return o;
}

void api_settings_get(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_id id;
    if (!api_program_visible(req, res, &id))
        return;
    rules_settings rs;
    int version;
    pl_err err;
    pl_err_clear(&err);
    if (store_program_rules_get(app->store, id, &rs, &version, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    api_send(res, 200, settings_json(id, &rs, version));
    api_etag(req, res, version);
}

typedef struct change_ctx {
    pl_id program_id;
    int if_match;
} change_ctx;

static pl_status change_write(store_tx *tx, http_request *req, void *ctx, api_result *out,
                              pl_err *err)
{
    change_ctx *c = ctx;
    rules_settings rs;
    int version;
    pl_status st = store_tx_program_rules_get(tx, c->program_id, &rs, &version, err);
    if (st != PL_OK)
        return st;
    for (const rules_setting_field *f = rules_setting_fields; f->name; f++) {
        const char *text = api_body_str(req, f->name);
        if (!text)
            continue;
        double v;
        if (measure_parse_decimal(text, &v) != PL_OK || rules_setting_set(&rs, f, v) != PL_OK)
            pl_err_field(err, f->name, f->integer ? "must be a whole number" : "must be a number");
    }
    /* every broken setting is reported, the unparsable and the out-of-range alike */
    if (rules_settings_validate(&rs, err) != PL_OK || err->nfields)
        return pl_err_set(err, PL_INVALID, "the program's rule settings are not valid");
    int new_version;
    if ((st = store_program_rules_put(tx, c->program_id, &rs, c->if_match, req->account.id,
                                      &new_version, err)) != PL_OK ||
        (st = api_audit_tx(tx, req, "update", ENTITY, c->program_id, 0, 200, err)) != PL_OK)
        return st;
    out->status = 200;
    out->body = api_json_text(req, settings_json(c->program_id, &rs, new_version));
    out->version = new_version;
    return PL_OK;
}

void api_settings_update(http_request *req, http_response *res)
{
    change_ctx c;
    if (!api_program_visible(req, res, &c.program_id))
        return;
    c.if_match = api_if_match_version(req, res);
    if (c.if_match == -2)
        return;
    api_write(req, res, change_write, &c, sizeof c, ENTITY, 0);
}
