/*
 * audit.c - GET /api/v1/audit: the audit trail, for admins.
 *
 * Read-only by construction: there is no route that changes or deletes an
 * event, and the database's triggers refuse UPDATE and DELETE on the table.
 */
#include "common.h"

void api_audit_list(http_request *req, http_response *res)
{
    api_context *app = req->app;
    store_audit_filter f = {.entity = http_query_get(req, "entity"),
                            .action = http_query_get(req, "action")};
    store_page pg;
    if (!api_page(req, res, &pg) || !api_query_id(req, res, "account_id", &f.account_id) ||
        !api_query_id(req, res, "participant_id", &f.participant_id) ||
        !api_query_time(req, res, "since", &f.since) ||
        !api_query_time(req, res, "until", &f.until))
        return;
    store_audit_event *items;
    int n;
    pl_err err;
    pl_err_clear(&err);
    if (store_audit_list(app->store, &f, pg, &req->arena, &items, &n, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++) {
        const store_audit_event *e = &items[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_int64(e->id));
        json_object_object_add(o, "at", api_json_time(e->at));
        json_object_object_add(o, "account_id", api_json_id(e->account_id));
        json_object_object_add(o, "action", api_json_str(e->action));
        json_object_object_add(o, "entity", api_json_str(e->entity));
        json_object_object_add(o, "entity_id", api_json_id(e->entity_id));
        json_object_object_add(o, "participant_id", api_json_id(e->participant_id));
        json_object_object_add(o, "client_addr", api_json_str(e->client_addr));
        json_object_object_add(o, "status", json_object_new_int(e->status));
        json_object_array_add(arr, o);
    }
    api_send_list(req, res, arr, n, &pg, n ? items[n - 1].id : 0);
}
