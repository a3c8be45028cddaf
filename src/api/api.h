/*
 * api.h - the JSON API: its application context, route table and handlers.
 *
 * api_routes (routes.c) is the one declarative table of every endpoint
 * (method, path, handler, roles, body schema, summary). The HTTP server
 * routes, authenticates, checks roles and checks bodies from it; handlers
 * then parse into domain records, validate with core, check scope, call
 * the store and answer. docs/openapi.yaml is checked against the table.
 */
#ifndef PL_API_API_H
#define PL_API_API_H

#include <pthread.h>
#include <time.h>

#include "http/server.h"
#include "http/throttle.h"
#include "store/store.h"

/* Outcome reports cached per study (studies.c). */
typedef struct api_report_cache api_report_cache;
/* The Bulk Data export jobs and their threads (fhir_export.c). */
typedef struct api_fhir_exports api_fhir_exports;

typedef struct api_context {
    store *store;
    time_t started_at;
    unsigned char secret[32]; /* the installation secret: pseudonyms, date shifts */
    int session_idle_seconds;
    int session_max_seconds;
    throttle *login_by_user;
    throttle *login_by_addr;
    char dummy_hash[128]; /* verified against when a username is unknown */
    /* /healthz counts, refreshed at most every HEALTH_COUNTS_SECONDS: counting millions of
       rows on every probe would make the health check the heaviest request */
    pthread_mutex_t counts_mu;
    store_counts counts;
    time_t counts_at;
    bool counts_busy; /* a request is counting: the others answer the last counts */
    api_report_cache *reports;
    api_fhir_exports *exports; /* NULL: started without an export directory */
} api_context;

typedef struct api_options {
    int session_idle_seconds; /* 0: 1800 */
    int session_max_seconds;  /* 0: 43200 */
    const char *export_dir;   /* FHIR $export files; NULL: exports answer 503 */
} api_options;

/* Prepares the context for a store (reads the installation secret, makes the throttles). */
pl_status api_context_init(api_context *app, store *s, const api_options *opt, pl_err *err);
void api_context_free(api_context *app);

/* The authenticate hook for http_server_options: bearer token or session cookie. */
bool api_authenticate(http_request *req, http_response *res);
/* The rejected hook: audits requests the router refused (role or body) with their status. */
void api_audit_rejected(http_request *req, http_response *res);
/* The before_send hook: under /fhir, the router's problem+json refusals become
 * OperationOutcome (fhir_router.c). */
void api_before_send(http_request *req, http_response *res);
/* Starts the FHIR export threads writing under dir (NULL: none); stops them, cancelling jobs. */
pl_status api_fhir_exports_start(api_context *app, const char *dir, pl_err *err);
void api_fhir_exports_stop(api_context *app);

extern const http_route api_routes[];

/* handlers, one file per resource */
void api_health_get(http_request *req, http_response *res);
void api_login(http_request *req, http_response *res);
void api_logout(http_request *req, http_response *res);
void api_me_get(http_request *req, http_response *res);
void api_org_unit_list(http_request *req, http_response *res);
void api_org_unit_create(http_request *req, http_response *res);
void api_org_unit_get(http_request *req, http_response *res);
void api_staff_list(http_request *req, http_response *res);
void api_staff_create(http_request *req, http_response *res);
void api_staff_get(http_request *req, http_response *res);
void api_staff_update(http_request *req, http_response *res);
void api_staff_password(http_request *req, http_response *res);
void api_peer_leader_list(http_request *req, http_response *res);
void api_peer_leader_create(http_request *req, http_response *res);
void api_peer_leader_get(http_request *req, http_response *res);
void api_participant_list(http_request *req, http_response *res);
void api_participant_create(http_request *req, http_response *res);
void api_participant_get(http_request *req, http_response *res);
void api_participant_update(http_request *req, http_response *res);
void api_participant_assign(http_request *req, http_response *res);
void api_participant_withdraw(http_request *req, http_response *res);
void api_contact_list(http_request *req, http_response *res);
void api_contact_create(http_request *req, http_response *res);
void api_contact_get(http_request *req, http_response *res);
void api_measurement_list(http_request *req, http_response *res);
void api_measurement_create(http_request *req, http_response *res);
void api_measurement_get(http_request *req, http_response *res);
void api_audit_list(http_request *req, http_response *res);
void api_alert_list(http_request *req, http_response *res);
void api_alert_get(http_request *req, http_response *res);
void api_alert_acknowledge(http_request *req, http_response *res);
void api_alert_resolve(http_request *req, http_response *res);
void api_alert_create(http_request *req, http_response *res);
void api_task_list(http_request *req, http_response *res);
void api_task_create(http_request *req, http_response *res);
void api_task_get(http_request *req, http_response *res);
void api_task_complete(http_request *req, http_response *res);
void api_task_reschedule(http_request *req, http_response *res);
void api_task_cancel(http_request *req, http_response *res);
void api_worklist_get(http_request *req, http_response *res);
void api_settings_get(http_request *req, http_response *res);
void api_settings_update(http_request *req, http_response *res);
void api_caseload_list(http_request *req, http_response *res);
void api_caseload_unassigned(http_request *req, http_response *res);
void api_caseload_assign(http_request *req, http_response *res);
void api_participant_risk_history(http_request *req, http_response *res);
void api_impl_features_get(http_request *req, http_response *res);
void api_impl_features_put(http_request *req, http_response *res);
void api_impl_rating_create(http_request *req, http_response *res);
void api_impl_rating_get(http_request *req, http_response *res);
void api_impl_rating_list(http_request *req, http_response *res);
void api_impl_indicators(http_request *req, http_response *res);

void api_questionnaire_list(http_request *req, http_response *res);
void api_questionnaire_create(http_request *req, http_response *res);
void api_questionnaire_get(http_request *req, http_response *res);

void api_group_list(http_request *req, http_response *res);
void api_group_create(http_request *req, http_response *res);
void api_group_get(http_request *req, http_response *res);
void api_group_update(http_request *req, http_response *res);
void api_group_member_list(http_request *req, http_response *res);
void api_group_member_add(http_request *req, http_response *res);
void api_group_member_end(http_request *req, http_response *res);
void api_group_session_create(http_request *req, http_response *res);
void api_group_schedule_course(http_request *req, http_response *res);
void api_group_session_list(http_request *req, http_response *res);
void api_group_session_get(http_request *req, http_response *res);
void api_group_session_update(http_request *req, http_response *res);
void api_group_attendance_get(http_request *req, http_response *res);
void api_group_attendance_put(http_request *req, http_response *res);
void api_course_template_list(http_request *req, http_response *res);
void api_course_template_create(http_request *req, http_response *res);
void api_course_template_get(http_request *req, http_response *res);
void api_resource_list(http_request *req, http_response *res);
void api_resource_get(http_request *req, http_response *res);
void api_resource_export(http_request *req, http_response *res);
void api_resource_import(http_request *req, http_response *res);
void api_referral_list(http_request *req, http_response *res);
void api_referral_create(http_request *req, http_response *res);
void api_referral_get(http_request *req, http_response *res);
void api_referral_transition(http_request *req, http_response *res);
void api_study_list(http_request *req, http_response *res);
void api_study_create(http_request *req, http_response *res);
void api_study_get(http_request *req, http_response *res);
void api_study_arms_set(http_request *req, http_response *res);
void api_study_arms_import(http_request *req, http_response *res);
void api_study_randomise(http_request *req, http_response *res);
void api_study_flow(http_request *req, http_response *res);
void api_study_report(http_request *req, http_response *res);
void api_study_export(http_request *req, http_response *res);

/* FHIR R4 (fhir.c, fhir_bundle.c) */
void api_fhir_metadata(http_request *req, http_response *res);
void api_fhir_patient_search(http_request *req, http_response *res);
void api_fhir_patient_create(http_request *req, http_response *res);
void api_fhir_patient_read(http_request *req, http_response *res);
void api_fhir_patient_vread(http_request *req, http_response *res);
void api_fhir_patient_history(http_request *req, http_response *res);
void api_fhir_patient_update(http_request *req, http_response *res);
void api_fhir_observation_search(http_request *req, http_response *res);
void api_fhir_observation_create(http_request *req, http_response *res);
void api_fhir_observation_read(http_request *req, http_response *res);
void api_fhir_observation_vread(http_request *req, http_response *res);
void api_fhir_observation_update(http_request *req, http_response *res);
void api_fhir_observation_delete(http_request *req, http_response *res);
void api_fhir_sr_update(http_request *req, http_response *res);
void api_fhir_bundle(http_request *req, http_response *res);
void api_fhir_ndjson_import(http_request *req, http_response *res);
/* FHIR questionnaires and referrals (fhir_qr.c, fhir_referral.c) */
void api_fhir_qr_search(http_request *req, http_response *res);
void api_fhir_qr_create(http_request *req, http_response *res);
void api_fhir_qr_read(http_request *req, http_response *res);
void api_fhir_qr_vread(http_request *req, http_response *res);
void api_fhir_sr_search(http_request *req, http_response *res);
void api_fhir_sr_create(http_request *req, http_response *res);
void api_fhir_sr_read(http_request *req, http_response *res);
void api_fhir_sr_vread(http_request *req, http_response *res);
void api_fhir_task_search(http_request *req, http_response *res);
void api_fhir_task_read(http_request *req, http_response *res);
void api_fhir_task_update(http_request *req, http_response *res);
void api_fhir_task_vread(http_request *req, http_response *res);
/* FHIR Bulk Data $export (fhir_export.c) */
void api_fhir_export_system(http_request *req, http_response *res);
void api_fhir_export_patient(http_request *req, http_response *res);
void api_fhir_export_group(http_request *req, http_response *res);
void api_fhir_export_status(http_request *req, http_response *res);
void api_fhir_export_cancel(http_request *req, http_response *res);
void api_fhir_export_file(http_request *req, http_response *res);
/* FHIR Encounter, Organization, Practitioner(Role), Group (fhir_entities.c) */
void api_fhir_encounter_search(http_request *req, http_response *res);
void api_fhir_encounter_create(http_request *req, http_response *res);
void api_fhir_encounter_read(http_request *req, http_response *res);
void api_fhir_encounter_vread(http_request *req, http_response *res);
void api_fhir_encounter_update(http_request *req, http_response *res);
void api_fhir_encounter_delete(http_request *req, http_response *res);
void api_fhir_organization_search(http_request *req, http_response *res);
void api_fhir_organization_read(http_request *req, http_response *res);
void api_fhir_organization_vread(http_request *req, http_response *res);
void api_fhir_practitioner_search(http_request *req, http_response *res);
void api_fhir_practitioner_read(http_request *req, http_response *res);
void api_fhir_practitioner_vread(http_request *req, http_response *res);
void api_fhir_practitioner_role_search(http_request *req, http_response *res);
void api_fhir_practitioner_role_read(http_request *req, http_response *res);
void api_fhir_practitioner_role_vread(http_request *req, http_response *res);
void api_fhir_group_search(http_request *req, http_response *res);
void api_fhir_group_read(http_request *req, http_response *res);
void api_fhir_group_vread(http_request *req, http_response *res);
/* FHIR Organization, Practitioner(Role) and Group writes (fhir_entities.c) */
void api_fhir_organization_create(http_request *req, http_response *res);
void api_fhir_organization_update(http_request *req, http_response *res);
void api_fhir_practitioner_create(http_request *req, http_response *res);
void api_fhir_practitioner_update(http_request *req, http_response *res);
void api_fhir_practitioner_role_create(http_request *req, http_response *res);
void api_fhir_practitioner_role_update(http_request *req, http_response *res);
void api_fhir_group_create(http_request *req, http_response *res);
void api_fhir_group_update(http_request *req, http_response *res);

#endif
