/*
 * workflow.c - the workflow steps that ride inside other writes: reading a
 * program's rule settings in the transaction, and re-evaluating a
 * participant's risk tier after a record that feeds it.
 *
 * The follow-up task and the tier are kept by the store (store/followup.c)
 * so the demo generator and the API keep them the same way; here they are
 * audited as the API audits every change of a participant's record.
 */
#include "common.h"

pl_status api_tx_rules(store_tx *tx, http_request *req, pl_id participant_id, rules_settings *out,
                       pl_err *err)
{
    pl_participant p;
    int version;
    pl_status st = store_tx_participant_get(tx, participant_id, &req->arena, &p, err);
    if (st != PL_OK)
        return st;
    return store_tx_program_rules_get(tx, p.program_id, out, &version, err);
}

pl_status api_tx_risk_refresh(store_tx *tx, http_request *req, pl_id participant_id,
                              const char *entity, pl_id id, json_object *body, pl_err *err)
{
    bool changed = false;
    pl_status st = store_risk_refresh(tx, participant_id, entity, id, 0, &changed, err);
    if (st == PL_OK && changed)
        st = api_audit_tx(tx, req, "update", "participant", participant_id, participant_id, 200,
                          err);
    if (st == PL_OK)
        json_object_object_add(body, "risk_tier_changed", json_object_new_boolean(changed));
    return st;
}
