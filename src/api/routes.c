/*
 * routes.c - every endpoint peerlink serves, and the bodies they accept.
 *
 * This table is the single declaration of the API: the router matches on
 * it, checks roles from it (`roles`, a bit set of pl_role; 0 means no login
 * is needed) and checks request bodies against its schemas before a
 * handler runs; tests/unit/test_routes.c fails when docs/openapi.yaml does
 * not describe every route and schema listed here. Adding an endpoint is
 * one line here plus its handler in the resource's file.
 */
#include "api.h"
#include "core/referral.h"

#define R(role) (1u << PL_ROLE_##role)
#define ALL                                                                                        \
    (R(ADMIN) | R(PROGRAM_MANAGER) | R(CLINICIAN) | R(PEER_LEADER) | R(NAVIGATOR) | R(EVALUATOR))
#define IDENTIFIED (ALL & ~R(EVALUATOR))
#define MANAGERS   (R(ADMIN) | R(PROGRAM_MANAGER))
/* who runs a group's sessions: managers, the CHC co-leader (clinician) and the peer leader */
#define SESSION_WRITERS (MANAGERS | R(CLINICIAN) | R(PEER_LEADER))
#define EVALUATION      (R(ADMIN) | R(PROGRAM_MANAGER) | R(EVALUATOR))

/* ---- body schemas ------------------------------------------------------- */

static const http_field login_fields[] = {
    {"username", HTTP_F_STRING, true, false, 0, 64, NULL},
    {"password", HTTP_F_STRING, true, false, 0, 256, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_login = {"LoginRequest", login_fields};

static const http_field org_unit_fields[] = {
    {"parent_id", HTTP_F_ID, true, false, 0, 0, NULL},
    {"kind", HTTP_F_STRING, true, false, 0, 40, pl_org_kind_names},
    {"name", HTTP_F_STRING, true, false, 0, 200, NULL},
    {"code", HTTP_F_STRING, false, true, 0, 40, NULL},
    {"arm", HTTP_F_STRING, false, false, 0, 20, pl_arm_names},
    {"language", HTTP_F_STRING, false, true, 0, 16, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_org_unit_create = {"OrgUnitCreate", org_unit_fields};

static const http_field staff_create_fields[] = {
    {"username", HTTP_F_STRING, true, false, 0, 64, NULL},
    {"display_name", HTTP_F_STRING, false, true, 0, 200, NULL},
    {"role", HTTP_F_STRING, true, false, 0, 40, pl_role_names},
    {"scope_unit_id", HTTP_F_ID, false, true, 0, 0, NULL},
    {"person_id", HTTP_F_ID, false, true, 0, 0, NULL},
    {"password", HTTP_F_STRING, true, false, 0, 256, NULL},
    {"language", HTTP_F_STRING, false, true, 0, 16, pl_language_names},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_staff_create = {"StaffCreate", staff_create_fields};

static const http_field staff_update_fields[] = {
    {"display_name", HTTP_F_STRING, false, true, 0, 200, NULL},
    {"role", HTTP_F_STRING, false, false, 0, 40, pl_role_names},
    {"scope_unit_id", HTTP_F_ID, false, true, 0, 0, NULL},
    {"disabled", HTTP_F_BOOL, false, false, 0, 0, NULL},
    {"language", HTTP_F_STRING, false, true, 0, 16, pl_language_names},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_staff_update = {"StaffUpdate", staff_update_fields};

static const http_field password_fields[] = {
    {"password", HTTP_F_STRING, true, false, 0, 256, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_password = {"PasswordReset", password_fields};

/* person fields shared by participants and peer leaders */
#define PERSON_FIELDS(req)                                                                         \
    {"given_name", HTTP_F_STRING, req, false, 0, 100, NULL},                                       \
        {"family_name", HTTP_F_STRING, false, true, 0, 100, NULL},                                 \
        {"sex", HTTP_F_STRING, false, false, 0, 20, pl_sex_names},                                 \
        {"birth_date", HTTP_F_DATE, false, true, 0, 0, NULL},                                      \
        {"phone", HTTP_F_STRING, false, true, 0, 32, NULL},                                        \
        {"address", HTTP_F_TEXT, false, true, 0, 500, NULL},                                       \
    {                                                                                              \
        "language", HTTP_F_STRING, false, true, 0, 16, NULL                                        \
    }

static const http_field participant_create_fields[] = {
    PERSON_FIELDS(true),
    {"program_ident", HTTP_F_STRING, false, true, 0, 40, NULL},
    {"mrn", HTTP_F_STRING, false, true, 0, 64, NULL},
    {"diagnosis_year", HTTP_F_INT, false, true, 1900, 2200, NULL},
    {"treatment", HTTP_F_STRING, false, false, 0, 40, pl_treatment_names},
    {"enrol_date", HTTP_F_DATE, true, false, 0, 0, NULL},
    {"consent", HTTP_F_BOOL, true, false, 0, 0, NULL},
    {"consent_date", HTTP_F_DATE, false, true, 0, 0, NULL},
    {"home_unit_id", HTTP_F_ID, true, false, 0, 0, NULL},
    {"peer_leader_id", HTTP_F_ID, false, true, 0, 0, NULL},
    {"risk_tier", HTTP_F_STRING, false, false, 0, 20, pl_risk_tier_names},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_participant_create = {"ParticipantCreate",
                                                        participant_create_fields};

static const http_field participant_update_fields[] = {
    PERSON_FIELDS(false),
    {"program_ident", HTTP_F_STRING, false, true, 0, 40, NULL},
    {"mrn", HTTP_F_STRING, false, true, 0, 64, NULL},
    {"diagnosis_year", HTTP_F_INT, false, true, 1900, 2200, NULL},
    {"treatment", HTTP_F_STRING, false, false, 0, 40, pl_treatment_names},
    {"consent", HTTP_F_BOOL, false, false, 0, 0, NULL},
    {"consent_date", HTTP_F_DATE, false, true, 0, 0, NULL},
    {"home_unit_id", HTTP_F_ID, false, false, 0, 0, NULL},
    {"risk_tier", HTTP_F_STRING, false, false, 0, 20, pl_risk_tier_names},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_participant_update = {"ParticipantUpdate",
                                                        participant_update_fields};

static const http_field assign_fields[] = {
    {"peer_leader_id", HTTP_F_ID, true, true, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_assign = {"ParticipantAssign", assign_fields};

static const http_field withdraw_fields[] = {
    {"reason", HTTP_F_STRING, true, false, 0, 500, NULL},
    {"date", HTTP_F_DATE, false, false, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_withdraw = {"ParticipantWithdraw", withdraw_fields};

static const http_field peer_leader_fields[] = {
    PERSON_FIELDS(false),
    {"person_id", HTTP_F_ID, false, true, 0, 0, NULL},
    {"home_unit_id", HTTP_F_ID, true, false, 0, 0, NULL},
    {"kind", HTTP_F_STRING, false, false, 0, 40, pl_leader_kind_names},
    {"paid", HTTP_F_BOOL, false, false, 0, 0, NULL},
    {"languages", HTTP_F_STRINGS, true, false, 0, 0, NULL},
    {"trained_on", HTTP_F_DATE, false, true, 0, 0, NULL},
    {"training_hours", HTTP_F_INT, false, false, 0, 1000, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_peer_leader_create = {"PeerLeaderCreate", peer_leader_fields};

static const http_field contact_fields[] = {
    {"participant_id", HTTP_F_ID, true, false, 0, 0, NULL},
    {"peer_leader_id", HTTP_F_ID, false, true, 0, 0, NULL},
    {"occurred_at", HTTP_F_TIME, true, false, 0, 0, NULL},
    {"minutes", HTTP_F_INT, true, false, 1, 600, NULL},
    {"mode", HTTP_F_STRING, true, false, 0, 40, pl_contact_mode_names},
    {"key_functions", HTTP_F_STRINGS, true, false, 0, 0, NULL},
    {"topics", HTTP_F_STRINGS, false, false, 0, 0, pl_topic_names},
    {"proactive", HTTP_F_BOOL, false, false, 0, 0, NULL},
    {"family_members", HTTP_F_INT, false, false, 0, 20, NULL},
    {"note", HTTP_F_TEXT, false, true, 0, 4000, NULL},
    {"follow_up_date", HTTP_F_DATE, false, true, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_contact_create = {"ContactCreate", contact_fields};

static const http_field measurement_fields[] = {
    {"participant_id", HTTP_F_ID, true, false, 0, 0, NULL},
    {"code", HTTP_F_STRING, true, false, 0, 20, NULL},
    {"value", HTTP_F_DECIMAL, true, false, 0, 0, NULL},
    {"unit", HTTP_F_STRING, false, true, 0, 20, NULL},
    {"effective_at", HTTP_F_TIME, true, false, 0, 0, NULL},
    {"source", HTTP_F_STRING, true, false, 0, 20, pl_source_names},
    {"wave", HTTP_F_INT, false, true, 0, 120, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_measurement_create = {"MeasurementCreate", measurement_fields};

static const http_field alert_resolve_fields[] = {
    {"note", HTTP_F_TEXT, true, false, 0, 1000, NULL},
    {"linked_to_care", HTTP_F_BOOL, false, false, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_alert_resolve = {"AlertResolve", alert_resolve_fields};

static const char *const instrument_codes[] = {"dds17", "dds2",         "phq9", "phq8",
                                               "phq2",  "stanford_ses", NULL};
static const char *const concern_severities[] = {"urgent", "attention", NULL};
static const http_field concern_fields[] = {
    {"participant_id", HTTP_F_ID, true, false, 0, 0, NULL},
    {"severity", HTTP_F_STRING, true, false, 0, 20, concern_severities},
    {"message", HTTP_F_TEXT, true, false, 0, 2000, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_concern_create = {"ConcernCreate", concern_fields};

static const http_field task_create_fields[] = {
    {"participant_id", HTTP_F_ID, true, false, 0, 0, NULL},
    {"title", HTTP_F_STRING, true, false, 0, 200, NULL},
    {"note", HTTP_F_TEXT, false, true, 0, 2000, NULL},
    {"due_date", HTTP_F_DATE, true, false, 0, 0, NULL},
    {"peer_leader_id", HTTP_F_ID, false, true, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_task_create = {"TaskCreate", task_create_fields};

static const http_field task_close_fields[] = {
    {"note", HTTP_F_TEXT, false, true, 0, 2000, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_task_close = {"TaskClose", task_close_fields};

static const http_field task_reschedule_fields[] = {
    {"due_date", HTTP_F_DATE, true, false, 0, 0, NULL},
    {"note", HTTP_F_TEXT, false, true, 0, 2000, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_task_reschedule = {"TaskReschedule", task_reschedule_fields};

/* the names of core/rules.h rules_setting_fields (test_routes checks they agree) */
static const http_field settings_fields[] = {
    {"hba1c_goal", HTTP_F_DECIMAL, false, false, 0, 0, NULL},
    {"hba1c_subgroup", HTTP_F_DECIMAL, false, false, 0, 0, NULL},
    {"hba1c_poor", HTTP_F_DECIMAL, false, false, 0, 0, NULL},
    {"hba1c_urgent", HTTP_F_DECIMAL, false, false, 0, 0, NULL},
    {"bp_goal_sbp", HTTP_F_DECIMAL, false, false, 0, 0, NULL},
    {"bp_goal_dbp", HTTP_F_DECIMAL, false, false, 0, 0, NULL},
    {"bp_urgent_sbp", HTTP_F_DECIMAL, false, false, 0, 0, NULL},
    {"bp_urgent_dbp", HTTP_F_DECIMAL, false, false, 0, 0, NULL},
    {"glucose_low", HTTP_F_DECIMAL, false, false, 0, 0, NULL},
    {"glucose_high", HTTP_F_DECIMAL, false, false, 0, 0, NULL},
    {"cadence_days.standard", HTTP_F_DECIMAL, false, false, 0, 0, NULL},
    {"cadence_days.high_need", HTTP_F_DECIMAL, false, false, 0, 0, NULL},
    {"grace_days", HTTP_F_DECIMAL, false, false, 0, 0, NULL},
    {"high_need_hba1c", HTTP_F_DECIMAL, false, false, 0, 0, NULL},
    {"high_need_dds", HTTP_F_DECIMAL, false, false, 0, 0, NULL},
    {"high_need_phq9", HTTP_F_DECIMAL, false, false, 0, 0, NULL},
    {"referral_days", HTTP_F_DECIMAL, false, false, 0, 0, NULL},
    {"hba1c_mmol_mol", HTTP_F_DECIMAL, false, false, 0, 0, NULL},
    {"glucose_mg_dl", HTTP_F_DECIMAL, false, false, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_settings_update = {"ProgramSettingsUpdate", settings_fields};

static const http_field caseload_assign_fields[] = {
    {"participant_ids", HTTP_F_INTS, true, false, 1, 2147483647, NULL},
    {"peer_leader_id", HTTP_F_ID, true, true, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_caseload_assign = {"CaseloadAssign", caseload_assign_fields};

static const http_field impl_features_fields[] = {
    {"codes", HTTP_F_STRINGS, true, false, 0, 0, NULL},
    {"labels", HTTP_F_STRINGS, true, false, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_impl_features = {"ImplementationFeatures", impl_features_fields};

static const http_field impl_rating_fields[] = {
    {"unit_id", HTTP_F_ID, true, false, 0, 0, NULL},
    {"period_start", HTTP_F_DATE, true, false, 0, 0, NULL},
    {"period_end", HTTP_F_DATE, true, false, 0, 0, NULL},
    {"scores", HTTP_F_INTS, true, false, 1, 5, NULL},
    {"note", HTTP_F_TEXT, false, true, 0, 2000, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_impl_rating = {"ImplementationRatingCreate", impl_rating_fields};

static const char *const questionnaire_languages[] = {"en", "es", "zh-CN", NULL};
static const http_field questionnaire_fields[] = {
    {"participant_id", HTTP_F_ID, true, false, 0, 0, NULL},
    {"instrument", HTTP_F_STRING, true, false, 0, 20, instrument_codes},
    {"answers", HTTP_F_INTS, true, false, -1, 10, NULL},
    {"language", HTTP_F_STRING, false, false, 0, 8, questionnaire_languages},
    {"completed_at", HTTP_F_TIME, true, false, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_questionnaire_create = {"QuestionnaireCreate",
                                                          questionnaire_fields};

/* ---- groups (docs/GROUPS.md) ---- */

static const char *const language_codes[] = {"en", "es", "zh-CN", NULL};

static const http_field group_create_fields[] = {
    {"unit_id", HTTP_F_ID, true, false, 0, 0, NULL},
    {"kind", HTTP_F_STRING, true, false, 0, 40, pl_group_kind_names},
    {"name", HTTP_F_STRING, true, false, 0, 200, NULL},
    {"peer_leader_id", HTTP_F_ID, true, false, 0, 0, NULL},
    {"co_leader_id", HTTP_F_ID, false, true, 0, 0, NULL},
    {"language", HTTP_F_STRING, false, true, 0, 16, language_codes},
    {"location", HTTP_F_STRING, false, true, 0, 200, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_group_create = {"GroupCreate", group_create_fields};

static const http_field group_update_fields[] = {
    {"kind", HTTP_F_STRING, false, false, 0, 40, pl_group_kind_names},
    {"name", HTTP_F_STRING, false, false, 0, 200, NULL},
    {"peer_leader_id", HTTP_F_ID, false, false, 0, 0, NULL},
    {"co_leader_id", HTTP_F_ID, false, true, 0, 0, NULL},
    {"language", HTTP_F_STRING, false, true, 0, 16, language_codes},
    {"location", HTTP_F_STRING, false, true, 0, 200, NULL},
    {"active", HTTP_F_BOOL, false, false, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_group_update = {"GroupUpdate", group_update_fields};

static const http_field member_add_fields[] = {
    {"participant_id", HTTP_F_ID, true, false, 0, 0, NULL},
    {"joined_on", HTTP_F_DATE, false, false, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_member_add = {"GroupMemberAdd", member_add_fields};

static const http_field member_end_fields[] = {
    {"left_on", HTTP_F_DATE, false, false, 0, 0, NULL},
    {"reason", HTTP_F_STRING, false, true, 0, 500, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_member_end = {"GroupMemberEnd", member_end_fields};

static const http_field session_create_fields[] = {
    {"scheduled_at", HTTP_F_TIME, true, false, 0, 0, NULL},
    {"minutes", HTTP_F_INT, true, false, 1, 600, NULL},
    {"topic", HTTP_F_STRING, true, false, 0, 200, NULL},
    {"module_code", HTTP_F_STRING, false, true, 0, 40, NULL},
    {"location", HTTP_F_STRING, false, true, 0, 200, NULL},
    {"notes", HTTP_F_TEXT, false, true, 0, 4000, NULL},
    {"key_functions", HTTP_F_STRINGS, true, false, 0, 0, NULL},
    {"topics", HTTP_F_STRINGS, false, false, 0, 0, pl_topic_names},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_session_create = {"GroupSessionCreate", session_create_fields};

static const http_field session_update_fields[] = {
    {"status", HTTP_F_STRING, false, false, 0, 20, pl_session_status_names},
    {"cancel_reason", HTTP_F_STRING, false, true, 0, 500, NULL},
    {"scheduled_at", HTTP_F_TIME, false, false, 0, 0, NULL},
    {"minutes", HTTP_F_INT, false, false, 1, 600, NULL},
    {"topic", HTTP_F_STRING, false, false, 0, 200, NULL},
    {"module_code", HTTP_F_STRING, false, true, 0, 40, NULL},
    {"location", HTTP_F_STRING, false, true, 0, 200, NULL},
    {"notes", HTTP_F_TEXT, false, true, 0, 4000, NULL},
    {"key_functions", HTTP_F_STRINGS, false, false, 0, 0, NULL},
    {"topics", HTTP_F_STRINGS, false, false, 0, 0, pl_topic_names},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_session_update = {"GroupSessionUpdate", session_update_fields};

static const http_field schedule_course_fields[] = {
    {"template_id", HTTP_F_ID, true, false, 0, 0, NULL},
    {"first_at", HTTP_F_TIME, true, false, 0, 0, NULL},
    {"location", HTTP_F_STRING, false, true, 0, 200, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_schedule_course = {"ScheduleCourse", schedule_course_fields};

static const http_field attendance_item_fields[] = {
    {"participant_id", HTTP_F_ID, true, false, 0, 0, NULL},
    {"status", HTTP_F_STRING, true, false, 0, 20, pl_attendance_names},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
static const http_field attendance_fields[] = {
    {"attendance", HTTP_F_OBJECTS, true, false, 0, PL_ATTENDANCE_MAX,
     HTTP_ITEMS(attendance_item_fields)},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_attendance = {"AttendanceRecord", attendance_fields};

static const http_field template_fields[] = {
    {"program_id", HTTP_F_ID, true, false, 0, 0, NULL},
    {"code", HTTP_F_STRING, true, false, 0, 40, NULL},
    {"name", HTTP_F_STRING, true, false, 0, 200, NULL},
    {"sessions", HTTP_F_INT, true, false, 1, PL_COURSE_SESSIONS_MAX, NULL},
    {"interval_days", HTTP_F_INT, true, false, 1, 365, NULL},
    {"minutes", HTTP_F_INT, true, false, 1, 600, NULL},
    {"key_functions", HTTP_F_STRINGS, true, false, 0, 0, NULL},
    {"modules", HTTP_F_STRINGS, true, false, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_course_template = {"CourseTemplateCreate", template_fields};
static const char *const referral_initial[] = {"proposed", "sent", NULL};
static const http_field referral_create_fields[] = {
    {"participant_id", HTTP_F_ID, true, false, 0, 0, NULL},
    {"service_id", HTTP_F_ID, false, true, 0, 0, NULL},
    {"resource_text", HTTP_F_STRING, false, true, 0, 500, NULL},
    {"need", HTTP_F_STRING, true, false, 0, 20, pl_referral_need_names},
    {"notes", HTTP_F_TEXT, false, true, 0, 4000, NULL},
    {"status", HTTP_F_STRING, false, false, 0, 20, referral_initial},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_referral_create = {"ReferralCreate", referral_create_fields};

static const http_field referral_status_fields[] = {
    {"status", HTTP_F_STRING, true, false, 0, 20, pl_referral_status_names},
    {"note", HTTP_F_TEXT, false, true, 0, 1000, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_referral_status = {"ReferralStatusChange",
                                                     referral_status_fields};
static const http_field study_create_fields[] = {
    {"program_id", HTTP_F_ID, true, false, 0, 0, NULL},
    {"name", HTTP_F_STRING, true, false, 0, 200, NULL},
    {"description", HTTP_F_TEXT, false, true, 0, 2000, NULL},
    {"wave_months", HTTP_F_INTS, false, false, 0, 240, NULL},
    {"wave_windows", HTTP_F_INTS, false, false, 0, 366, NULL},
    {"target_intervention", HTTP_F_INT, false, true, 0, 10000000, NULL},
    {"target_control", HTTP_F_INT, false, true, 0, 10000000, NULL},
    {"subgroup_threshold", HTTP_F_DECIMAL, false, false, 0, 0, NULL},
    {"arms_from_org_units", HTTP_F_BOOL, false, false, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_study_create = {"StudyCreate", study_create_fields};

static const http_field study_arms_fields[] = {
    {"intervention", HTTP_F_INTS, false, false, 1, 2147483647, NULL},
    {"control", HTTP_F_INTS, false, false, 1, 2147483647, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_study_arms = {"StudyArms", study_arms_fields};

static const http_field study_randomise_fields[] = {
    {"seed", HTTP_F_INT, true, false, 1, 2147483647, NULL},
    {"control", HTTP_F_INT, true, false, 1, 200000, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL},
};
const http_body_schema api_schema_study_randomise = {"StudyRandomise", study_randomise_fields};

/* ---- routes ------------------------------------------------------------- */

const http_route api_routes[] = {
    {"GET", "/healthz", api_health_get, 0, NULL,
     "Liveness and the database's version and record counts"},

    {"POST", "/api/v1/login", api_login, 0, &api_schema_login,
     "Sign in; returns a session token and sets the session cookie"},
    {"POST", "/api/v1/logout", api_logout, ALL, NULL, "End the current session"},
    {"GET", "/api/v1/me", api_me_get, ALL, NULL, "The signed-in account"},

    {"GET", "/api/v1/org-units", api_org_unit_list, ALL, NULL, "Org units in the caller's scope"},
    {"POST", "/api/v1/org-units", api_org_unit_create, MANAGERS, &api_schema_org_unit_create,
     "Create an org unit under a parent in scope"},
    {"GET", "/api/v1/org-units/{id}", api_org_unit_get, ALL, NULL, "One org unit"},

    {"GET", "/api/v1/staff", api_staff_list, R(ADMIN), NULL, "Staff accounts"},
    {"POST", "/api/v1/staff", api_staff_create, R(ADMIN), &api_schema_staff_create,
     "Create a staff account"},
    {"GET", "/api/v1/staff/{id}", api_staff_get, R(ADMIN), NULL, "One staff account"},
    {"PATCH", "/api/v1/staff/{id}", api_staff_update, R(ADMIN), &api_schema_staff_update,
     "Change a staff account's name, role, scope or disabled flag"},
    {"POST", "/api/v1/staff/{id}/password", api_staff_password, R(ADMIN), &api_schema_password,
     "Reset a staff account's password and end its sessions"},

    {"GET", "/api/v1/peer-leaders", api_peer_leader_list, MANAGERS | R(CLINICIAN) | R(NAVIGATOR),
     NULL, "Peer leaders whose home unit is in scope"},
    {"POST", "/api/v1/peer-leaders", api_peer_leader_create, MANAGERS,
     &api_schema_peer_leader_create, "Create a peer leader"},
    {"GET", "/api/v1/peer-leaders/{id}", api_peer_leader_get,
     MANAGERS | R(CLINICIAN) | R(NAVIGATOR), NULL, "One peer leader"},

    {"GET", "/api/v1/participants", api_participant_list, ALL, NULL,
     "Participants in scope (de-identified for evaluators)"},
    {"POST", "/api/v1/participants", api_participant_create, MANAGERS,
     &api_schema_participant_create, "Enrol a participant"},
    {"GET", "/api/v1/participants/{id}", api_participant_get, IDENTIFIED, NULL, "One participant"},
    {"PATCH", "/api/v1/participants/{id}", api_participant_update, MANAGERS,
     &api_schema_participant_update, "Change a participant's details"},
    {"POST", "/api/v1/participants/{id}/assign", api_participant_assign, MANAGERS,
     &api_schema_assign, "Assign, reassign or unassign a participant's peer leader"},
    {"POST", "/api/v1/participants/{id}/withdraw", api_participant_withdraw, MANAGERS,
     &api_schema_withdraw, "Withdraw a participant, with a reason"},

    {"GET", "/api/v1/contacts", api_contact_list, ALL, NULL, "Contacts with participants in scope"},
    {"POST", "/api/v1/contacts", api_contact_create, MANAGERS | R(PEER_LEADER) | R(NAVIGATOR),
     &api_schema_contact_create, "Log a contact"},
    {"GET", "/api/v1/contacts/{id}", api_contact_get, IDENTIFIED, NULL, "One contact"},

    {"GET", "/api/v1/measurements", api_measurement_list, ALL, NULL,
     "Measurements of participants in scope"},
    {"POST", "/api/v1/measurements", api_measurement_create,
     MANAGERS | R(CLINICIAN) | R(PEER_LEADER), &api_schema_measurement_create,
     "Record a measurement"},
    {"GET", "/api/v1/measurements/{id}", api_measurement_get, IDENTIFIED, NULL, "One measurement"},

    {"GET", "/api/v1/alerts", api_alert_list, IDENTIFIED, NULL,
     "Escalation alerts of participants in scope"},
    {"GET", "/api/v1/alerts/{id}", api_alert_get, IDENTIFIED, NULL, "One escalation alert"},
    {"POST", "/api/v1/alerts/{id}/acknowledge", api_alert_acknowledge, MANAGERS | R(CLINICIAN),
     NULL, "Acknowledge an open alert"},
    {"POST", "/api/v1/alerts/{id}/resolve", api_alert_resolve, MANAGERS | R(CLINICIAN),
     &api_schema_alert_resolve, "Resolve an alert, with a note"},

    {"GET", "/api/v1/questionnaire-responses", api_questionnaire_list, ALL, NULL,
     "Questionnaire responses of participants in scope"},
    {"POST", "/api/v1/questionnaire-responses", api_questionnaire_create,
     MANAGERS | R(CLINICIAN) | R(PEER_LEADER) | R(NAVIGATOR), &api_schema_questionnaire_create,
     "Record and score a questionnaire"},
    {"GET", "/api/v1/questionnaire-responses/{id}", api_questionnaire_get, IDENTIFIED, NULL,
     "One questionnaire response"},

    {"POST", "/api/v1/alerts", api_alert_create,
     MANAGERS | R(CLINICIAN) | R(PEER_LEADER) | R(NAVIGATOR), &api_schema_concern_create,
     "Raise a concern about a participant for the care team"},
    {"GET", "/api/v1/participants/{id}/risk-history", api_participant_risk_history, IDENTIFIED,
     NULL, "A participant's risk-tier history"},

    {"GET", "/api/v1/worklist", api_worklist_get, IDENTIFIED, NULL,
     "A peer leader's day of alerts and due tasks, by urgency"},
    {"GET", "/api/v1/tasks", api_task_list, IDENTIFIED, NULL, "Tasks of participants in scope"},
    {"POST", "/api/v1/tasks", api_task_create,
     MANAGERS | R(CLINICIAN) | R(PEER_LEADER) | R(NAVIGATOR), &api_schema_task_create,
     "Add a task for a participant"},
    {"GET", "/api/v1/tasks/{id}", api_task_get, IDENTIFIED, NULL, "One task of a participant"},
    {"POST", "/api/v1/tasks/{id}/complete", api_task_complete,
     MANAGERS | R(CLINICIAN) | R(PEER_LEADER) | R(NAVIGATOR), &api_schema_task_close,
     "Mark a task done"},
    {"POST", "/api/v1/tasks/{id}/reschedule", api_task_reschedule,
     MANAGERS | R(CLINICIAN) | R(PEER_LEADER) | R(NAVIGATOR), &api_schema_task_reschedule,
     "Move a task's due date"},
    {"POST", "/api/v1/tasks/{id}/cancel", api_task_cancel,
     MANAGERS | R(CLINICIAN) | R(PEER_LEADER) | R(NAVIGATOR), &api_schema_task_close,
     "Cancel a task, with a reason"},

    {"GET", "/api/v1/programs/{id}/settings", api_settings_get, ALL, NULL,
     "A program's rule settings"},
    {"PATCH", "/api/v1/programs/{id}/settings", api_settings_update, MANAGERS,
     &api_schema_settings_update, "Change a program's rule settings"},

    {"GET", "/api/v1/caseloads", api_caseload_list, MANAGERS | R(NAVIGATOR), NULL,
     "Caseload per peer leader in scope, and how many have no leader"},
    {"GET", "/api/v1/caseloads/unassigned", api_caseload_unassigned, MANAGERS | R(NAVIGATOR), NULL,
     "Enrolled participants with no peer leader"},
    {"POST", "/api/v1/caseloads/assign", api_caseload_assign, MANAGERS, &api_schema_caseload_assign,
     "Assign or reassign up to 64 participants to a peer leader"},

    {"GET", "/api/v1/programs/{id}/implementation-features", api_impl_features_get, ALL, NULL,
     "The features a program rates its implementation on"},
    {"PUT", "/api/v1/programs/{id}/implementation-features", api_impl_features_put, MANAGERS,
     &api_schema_impl_features, "Set the features a program rates"},
    {"GET", "/api/v1/implementation-ratings", api_impl_rating_list, ALL, NULL,
     "Implementation ratings of units in scope"},
    {"POST", "/api/v1/implementation-ratings", api_impl_rating_create,
     MANAGERS | R(CLINICIAN) | R(EVALUATOR), &api_schema_impl_rating,
     "Rate a unit's implementation for a period"},
    {"GET", "/api/v1/implementation-ratings/{id}", api_impl_rating_get, ALL, NULL,
     "One implementation rating"},
    {"GET", "/api/v1/implementation/indicators", api_impl_indicators, ALL, NULL,
     "Fidelity indicators of a unit for a period, from the records"},
    {"GET", "/api/v1/resources", api_resource_list, ALL, NULL,
     "Search the community resource directory (category, text, language)"},
    {"GET", "/api/v1/resources/export", api_resource_export, ALL, NULL,
     "A program's resource directory as Open Referral HSDS 3 JSON"},
    {"POST", "/api/v1/resources/import", api_resource_import, MANAGERS, NULL,
     "Import Open Referral HSDS 3 JSON into a program's resource directory"},
    {"GET", "/api/v1/resources/{id}", api_resource_get, ALL, NULL, "One resource (a service)"},

    {"GET", "/api/v1/referrals", api_referral_list, ALL, NULL,
     "Referrals of participants in scope (de-identified for evaluators)"},
    {"POST", "/api/v1/referrals", api_referral_create, IDENTIFIED, &api_schema_referral_create,
     "Refer a participant to a community resource"},
    {"GET", "/api/v1/referrals/{id}", api_referral_get, IDENTIFIED, NULL,
     "One referral with its status history"},
    {"POST", "/api/v1/referrals/{id}/status", api_referral_transition, IDENTIFIED,
     &api_schema_referral_status, "Move a referral along its closed loop, with a note"},
    {"GET", "/api/v1/studies", api_study_list, EVALUATION, NULL,
     "Studies of the programs in scope"},
    {"POST", "/api/v1/studies", api_study_create, EVALUATION, &api_schema_study_create,
     "Create a study of a program with its waves, targets and optionally the org units' arms"},
    {"GET", "/api/v1/studies/{id}", api_study_get, EVALUATION, NULL,
     "One study with its waves, targets and the arm of each community"},
    {"PUT", "/api/v1/studies/{id}/arms", api_study_arms_set, EVALUATION, &api_schema_study_arms,
     "Enter the arm of each community (replaces every arm)"},
    {"POST", "/api/v1/studies/{id}/arms/import", api_study_arms_import, EVALUATION, NULL,
     "Import the arms from CSV (community,arm; replaces every arm)"},
    {"POST", "/api/v1/studies/{id}/randomise", api_study_randomise, EVALUATION,
     &api_schema_study_randomise,
     "Draw the arms by seeded cluster randomisation stratified by district"},
    {"GET", "/api/v1/studies/{id}/flow", api_study_flow, EVALUATION, NULL,
     "CONSORT flow counts per arm"},
    {"GET", "/api/v1/studies/{id}/report", api_study_report, EVALUATION, NULL,
     "The outcome report (format json, html or csv; aggregates only)"},
    {"GET", "/api/v1/studies/{id}/export", api_study_export, EVALUATION, NULL,
     "One de-identified research export file (long, wide, codebook, r or stata)"},

    {"GET", "/api/v1/audit", api_audit_list, R(ADMIN), NULL, "The audit trail"},

    {"GET", "/api/v1/groups", api_group_list, IDENTIFIED, NULL,
     "Groups in scope (for a peer leader, the groups they lead)"},
    {"POST", "/api/v1/groups", api_group_create, MANAGERS, &api_schema_group_create,
     "Create a group in a unit in scope"},
    {"GET", "/api/v1/groups/{id}", api_group_get, IDENTIFIED, NULL, "One group in scope"},
    {"PATCH", "/api/v1/groups/{id}", api_group_update, MANAGERS, &api_schema_group_update,
     "Change a group's kind, name, leaders, language, place or active flag"},
    {"GET", "/api/v1/groups/{id}/members", api_group_member_list, IDENTIFIED, NULL,
     "A group's memberships, of the participants in scope"},
    {"POST", "/api/v1/groups/{id}/members", api_group_member_add, MANAGERS, &api_schema_member_add,
     "Add a participant to a group"},
    {"POST", "/api/v1/groups/{id}/members/{member_id}/end", api_group_member_end, MANAGERS,
     &api_schema_member_end, "End a membership"},
    {"POST", "/api/v1/groups/{id}/sessions", api_group_session_create, SESSION_WRITERS,
     &api_schema_session_create, "Schedule one session of a group"},
    {"POST", "/api/v1/groups/{id}/schedule-course", api_group_schedule_course, SESSION_WRITERS,
     &api_schema_schedule_course, "Schedule every session of a course template at once"},
    {"GET", "/api/v1/group-sessions", api_group_session_list, IDENTIFIED, NULL,
     "Sessions of the groups in scope; filters group_id, since, until, status"},
    {"GET", "/api/v1/group-sessions/{id}", api_group_session_get, IDENTIFIED, NULL,
     "One group session"},
    {"PATCH", "/api/v1/group-sessions/{id}", api_group_session_update, SESSION_WRITERS,
     &api_schema_session_update,
     "Change a session (held, or cancelled with a reason) or its details"},
    {"GET", "/api/v1/group-sessions/{id}/attendance", api_group_attendance_get, IDENTIFIED, NULL,
     "A session's attendance, of the participants in scope"},
    {"PUT", "/api/v1/group-sessions/{id}/attendance", api_group_attendance_put, SESSION_WRITERS,
     &api_schema_attendance, "Record a session's attendance; attendees get a group contact"},
    {"GET", "/api/v1/course-templates", api_course_template_list, ALL, NULL,
     "Course templates of the programs in scope"},
    {"POST", "/api/v1/course-templates", api_course_template_create, MANAGERS,
     &api_schema_course_template, "Create a course template for a program"},
    {"GET", "/api/v1/course-templates/{id}", api_course_template_get, ALL, NULL,
     "One course template"},
    /* FHIR R4 (docs/FHIR.md): the same accounts and scopes; identified data, so no evaluators;
       bodies are FHIR resources, read and checked by src/fhir rather than a body schema */
    {"GET", "/fhir/metadata", api_fhir_metadata, 0, NULL,
     "The FHIR CapabilityStatement of this server"},
    {"POST", "/fhir", api_fhir_bundle, MANAGERS | R(CLINICIAN), NULL,
     "A FHIR transaction or batch Bundle (Patients and Observations)"},
    {"POST", "/fhir/", api_fhir_bundle, MANAGERS | R(CLINICIAN), NULL,
     "The FHIR base with a slash, as some clients send Bundles"},
    {"POST", "/fhir/$import", api_fhir_ndjson_import, MANAGERS, NULL,
     "Import FHIR NDJSON (Patients and Observations), one resource a line"},
    {"GET", "/fhir/Patient", api_fhir_patient_search, IDENTIFIED, NULL,
     "Search FHIR Patients (participants in scope)"},
    {"POST", "/fhir/Patient", api_fhir_patient_create, MANAGERS, NULL,
     "Enrol a participant from a FHIR Patient"},
    {"GET", "/fhir/Patient/{id}", api_fhir_patient_read, IDENTIFIED, NULL,
     "One participant as a FHIR Patient"},
    {"PUT", "/fhir/Patient/{id}", api_fhir_patient_update, MANAGERS, NULL,
     "Update a participant from a FHIR Patient (If-Match)"},
    {"GET", "/fhir/Patient/{id}/_history", api_fhir_patient_history, IDENTIFIED, NULL,
     "The versions of a FHIR Patient, newest first"},
    {"GET", "/fhir/Patient/{id}/_history/{vid}", api_fhir_patient_vread, IDENTIFIED, NULL,
     "One version of a FHIR Patient, as it was"},
    {"GET", "/fhir/Observation", api_fhir_observation_search, IDENTIFIED, NULL,
     "Search FHIR Observations (measurements in scope)"},
    {"POST", "/fhir/Observation", api_fhir_observation_create,
     MANAGERS | R(CLINICIAN) | R(PEER_LEADER), NULL,
     "Record a measurement from a FHIR Observation"},
    {"GET", "/fhir/Observation/{id}", api_fhir_observation_read, IDENTIFIED, NULL,
     "One measurement as a FHIR Observation"},
    {"GET", "/fhir/Observation/{id}/_history/{vid}", api_fhir_observation_vread, IDENTIFIED, NULL,
     "One version of a FHIR Observation (earlier ones kept)"},
    /* FHIR questionnaires and referrals (src/api/fhir_qr.c, src/api/fhir_referral.c) */
    {"GET", "/fhir/QuestionnaireResponse", api_fhir_qr_search, IDENTIFIED, NULL,
     "Search FHIR QuestionnaireResponses (scored questionnaires in scope)"},
    {"POST", "/fhir/QuestionnaireResponse", api_fhir_qr_create,
     MANAGERS | R(CLINICIAN) | R(PEER_LEADER) | R(NAVIGATOR), NULL,
     "Record and score a questionnaire from a FHIR QuestionnaireResponse"},
    {"GET", "/fhir/QuestionnaireResponse/{id}", api_fhir_qr_read, IDENTIFIED, NULL,
     "One questionnaire response as a FHIR QuestionnaireResponse"},
    {"GET", "/fhir/QuestionnaireResponse/{id}/_history/{vid}", api_fhir_qr_vread, IDENTIFIED, NULL,
     "One version of a FHIR QuestionnaireResponse (always 1)"},
    {"GET", "/fhir/ServiceRequest", api_fhir_sr_search, IDENTIFIED, NULL,
     "Search FHIR ServiceRequests (referrals in scope)"},
    {"POST", "/fhir/ServiceRequest", api_fhir_sr_create, IDENTIFIED, NULL,
     "Refer a participant from a FHIR ServiceRequest"},
    {"GET", "/fhir/ServiceRequest/{id}", api_fhir_sr_read, IDENTIFIED, NULL,
     "One referral as a FHIR ServiceRequest"},
    {"GET", "/fhir/ServiceRequest/{id}/_history/{vid}", api_fhir_sr_vread, IDENTIFIED, NULL,
     "One version of a FHIR ServiceRequest (the current one)"},
    {"GET", "/fhir/Task", api_fhir_task_search, IDENTIFIED, NULL,
     "Search FHIR Tasks (the fulfilment of referrals in scope)"},
    {"GET", "/fhir/Task/{id}", api_fhir_task_read, IDENTIFIED, NULL,
     "The fulfilment of a referral as a FHIR Task"},
    {"PUT", "/fhir/Task/{id}", api_fhir_task_update, IDENTIFIED, NULL,
     "Move a referral along its closed loop by the FHIR Task status (If-Match)"},
    {"GET", "/fhir/Task/{id}/_history/{vid}", api_fhir_task_vread, IDENTIFIED, NULL,
     "One version of a FHIR Task (the current one)"},
    /* FHIR Bulk Data 2.0 $export (docs/FHIR.md, "Bulk export"): jobs in the background */
    {"GET", "/fhir/$export", api_fhir_export_system, IDENTIFIED, NULL,
     "Start a Bulk Data export of everything in scope (Prefer respond-async)"},
    {"GET", "/fhir/Patient/$export", api_fhir_export_patient, IDENTIFIED, NULL,
     "Start a Bulk Data export of the Patients in scope and their data"},
    {"GET", "/fhir/Group/{id}/$export", api_fhir_export_group, IDENTIFIED, NULL,
     "Start a Bulk Data export of a group's current members and their data"},
    {"GET", "/fhir/$export-status/{id}", api_fhir_export_status, IDENTIFIED, NULL,
     "Poll an export (202 with X-Progress while running, then the manifest)"},
    {"DELETE", "/fhir/$export-status/{id}", api_fhir_export_cancel, IDENTIFIED, NULL,
     "Cancel a running export or delete a finished export's files"},
    {"GET", "/fhir/$export-file/{id}/{file}", api_fhir_export_file, IDENTIFIED, NULL,
     "One NDJSON file of a finished export (application/fhir+ndjson)"},
    /* FHIR Encounter (contacts), Organization, Practitioner(Role), Group: fhir_entities.c */
    {"GET", "/fhir/Encounter", api_fhir_encounter_search, IDENTIFIED, NULL,
     "Search FHIR Encounters (contacts in scope)"},
    {"POST", "/fhir/Encounter", api_fhir_encounter_create, MANAGERS | R(PEER_LEADER) | R(NAVIGATOR),
     NULL, "Log a contact from a FHIR Encounter"},
    {"GET", "/fhir/Encounter/{id}", api_fhir_encounter_read, IDENTIFIED, NULL,
     "One contact as a FHIR Encounter"},
    {"PUT", "/fhir/Encounter/{id}", api_fhir_encounter_update,
     MANAGERS | R(PEER_LEADER) | R(NAVIGATOR), NULL,
     "Change a contact from a FHIR Encounter (If-Match)"},
    {"DELETE", "/fhir/Encounter/{id}", api_fhir_encounter_delete,
     MANAGERS | R(PEER_LEADER) | R(NAVIGATOR), NULL, "Void a contact (reads then answer 410 Gone)"},
    {"GET", "/fhir/Encounter/{id}/_history/{vid}", api_fhir_encounter_vread, IDENTIFIED, NULL,
     "One version of a FHIR Encounter (the current one)"},
    {"GET", "/fhir/Organization", api_fhir_organization_search, IDENTIFIED, NULL,
     "Search FHIR Organizations (org units in scope)"},
    {"GET", "/fhir/Organization/{id}", api_fhir_organization_read, IDENTIFIED, NULL,
     "One org unit as a FHIR Organization"},
    {"GET", "/fhir/Organization/{id}/_history/{vid}", api_fhir_organization_vread, IDENTIFIED, NULL,
     "One version of a FHIR Organization (the current one)"},
    {"GET", "/fhir/Practitioner", api_fhir_practitioner_search,
     MANAGERS | R(CLINICIAN) | R(NAVIGATOR), NULL, "Search FHIR Practitioners (staff accounts)"},
    {"GET", "/fhir/Practitioner/{id}", api_fhir_practitioner_read,
     MANAGERS | R(CLINICIAN) | R(NAVIGATOR), NULL, "One staff account as a FHIR Practitioner"},
    {"GET", "/fhir/Practitioner/{id}/_history/{vid}", api_fhir_practitioner_vread,
     MANAGERS | R(CLINICIAN) | R(NAVIGATOR), NULL,
     "One version of a FHIR Practitioner (the current one)"},
    {"GET", "/fhir/PractitionerRole", api_fhir_practitioner_role_search,
     MANAGERS | R(CLINICIAN) | R(NAVIGATOR), NULL,
     "Search FHIR PractitionerRoles (staff roles and units)"},
    {"GET", "/fhir/PractitionerRole/{id}", api_fhir_practitioner_role_read,
     MANAGERS | R(CLINICIAN) | R(NAVIGATOR), NULL,
     "A staff account's role as a FHIR PractitionerRole"},
    {"GET", "/fhir/PractitionerRole/{id}/_history/{vid}", api_fhir_practitioner_role_vread,
     MANAGERS | R(CLINICIAN) | R(NAVIGATOR), NULL,
     "One version of a FHIR PractitionerRole (the current one)"},
    {"GET", "/fhir/Group", api_fhir_group_search, IDENTIFIED, NULL,
     "Search FHIR Groups (groups in scope, with members)"},
    {"GET", "/fhir/Group/{id}", api_fhir_group_read, IDENTIFIED, NULL,
     "One group and its members as a FHIR Group"},
    {"GET", "/fhir/Group/{id}/_history/{vid}", api_fhir_group_vread, IDENTIFIED, NULL,
     "One version of a FHIR Group (the current one)"},
    /* FHIR Organization, Practitioner(Role), Group writes: the JSON API's steps and roles */
    {"POST", "/fhir/Organization", api_fhir_organization_create, MANAGERS, NULL,
     "Create an org unit from a FHIR Organization"},
    {"PUT", "/fhir/Organization/{id}", api_fhir_organization_update, MANAGERS, NULL,
     "Change an org unit from a FHIR Organization (If-Match)"},
    {"POST", "/fhir/Practitioner", api_fhir_practitioner_create, R(ADMIN), NULL,
     "Create a staff account without a password from a FHIR Practitioner"},
    {"PUT", "/fhir/Practitioner/{id}", api_fhir_practitioner_update, R(ADMIN), NULL,
     "Change a staff account's name or turn it off (If-Match)"},
    {"POST", "/fhir/PractitionerRole", api_fhir_practitioner_role_create, R(ADMIN), NULL,
     "Set a staff account's role and scope from a FHIR PractitionerRole"},
    {"PUT", "/fhir/PractitionerRole/{id}", api_fhir_practitioner_role_update, R(ADMIN), NULL,
     "Change a staff account's role and scope (If-Match)"},
    {"POST", "/fhir/Group", api_fhir_group_create, MANAGERS, NULL,
     "Create a group and its members from a FHIR Group"},
    {"PUT", "/fhir/Group/{id}", api_fhir_group_update, MANAGERS, NULL,
     "Change a group; members join and leave by dated memberships (If-Match)"},
    /* FHIR Observation update and delete (measurement corrections and voids): fhir_obs.c;
       ServiceRequest update (the referral's status): fhir_referral.c */
    {"PUT", "/fhir/Observation/{id}", api_fhir_observation_update,
     MANAGERS | R(CLINICIAN) | R(PEER_LEADER), NULL,
     "Correct a measurement from a FHIR Observation (If-Match)"},
    {"DELETE", "/fhir/Observation/{id}", api_fhir_observation_delete,
     MANAGERS | R(CLINICIAN) | R(PEER_LEADER), NULL,
     "Void a measurement entered in error (reads then answer 410 Gone)"},
    {"PUT", "/fhir/ServiceRequest/{id}", api_fhir_sr_update, IDENTIFIED, NULL,
     "Move a referral by its FHIR ServiceRequest status (If-Match)"},

    {NULL, NULL, NULL, 0, NULL, NULL},
};
