/*
 * test_core_validate.c - record validation rules and enum spellings (src/core/domain.c).
 *
 * Table-driven: every case starts from a valid record of its kind, changes
 * one thing with its setup function and states what a person must see: no
 * error, or an error on one field whose message names the rule. Cases that
 * break a rule expect exactly that one error (or `nerr` when one change
 * breaks two rules), so a case also proves the untouched fields stay valid.
 */
#include <string.h>

#include "test.h"

#include "core/domain.h"
#include "core/time.h"

/* 2025-06-15 is day 20254 (2025-01-01 = 20089, + 151 + 14); noon that day: */
#define TODAY 20254
#define NOW   (20254LL * 86400 + 12 * 3600)

static pl_date D(int y, int m, int d)
{
    return pl_date_from_ymd(y, m, d);
}

typedef enum vkind {
    V_ORG,
    V_PARTICIPANT,
    V_LEADER,
    V_CONTACT,
    V_STAFF,
    V_PASSWORD,
    V__COUNT
} vkind;

typedef struct fx {
    pl_org_unit unit, parent;
    bool has_parent;
    pl_participant part;
    pl_peer_leader leader;
    pl_contact contact;
    uint32_t kf_mask;
    pl_staff_account account;
    const char *password;
    char pool[16384];
    size_t used;
} fx;

/* A string of n copies of c that lives as long as the fixture. */
static const char *rep(fx *f, char c, size_t n)
{
    assert_true(f->used + n + 1 <= sizeof f->pool);
    char *p = f->pool + f->used;
    memset(p, c, n);
    p[n] = '\0';
    f->used += n + 1;
    return p;
}

static void base(fx *f)
{
    memset(f, 0, sizeof *f);

    f->parent = (pl_org_unit){
        .id = 3, .parent_id = 2, .program_id = 2, .kind = PL_ORG_DISTRICT, .name = "Pudong"};
    f->has_parent = true;
    f->unit = (pl_org_unit){.id = 4,
                            .parent_id = 3,
                            .program_id = 2,
                            .kind = PL_ORG_COMMUNITY,
                            .name = "Pudong Community 3",
                            .code = "PD-03",
                            .arm = PL_ARM_INTERVENTION};

    f->part.person = (pl_person){.given_name = "Mei",
                                 .family_name = "Chen",
                                 .sex = PL_SEX_FEMALE,
                                 .birth_date = D(1960, 5, 1),
                                 .phone = "+86 21 5555 1234",
                                 .language = "zh-CN"};
    f->part.program_id = 2;
    f->part.program_ident = "SH-0001";
    f->part.mrn = "MRN-778812";
    f->part.diagnosis_year = 2015;
    f->part.treatment = PL_TREAT_ORAL;
    f->part.enrol_date = D(2024, 3, 1);
    f->part.status = PL_ENROL_ENROLLED;
    f->part.status_date = PL_DATE_NONE;
    f->part.consent = true;
    f->part.consent_date = D(2024, 3, 1);
    f->part.home_unit_id = 4;
    f->part.peer_leader_id = 7;
    f->part.risk_tier = PL_RISK_STANDARD;

    f->leader.person = (pl_person){.given_name = "Rosa",
                                   .family_name = "Martinez",
                                   .sex = PL_SEX_FEMALE,
                                   .birth_date = D(1971, 8, 9),
                                   .language = "es"};
    f->leader.program_id = 5;
    f->leader.home_unit_id = 9;
    f->leader.kind = PL_LEADER_PROMOTOR;
    f->leader.paid = true;
    f->leader.languages = "es,en";
    f->leader.trained_on = D(2024, 1, 10);
    f->leader.training_hours = 40;
    f->leader.active = true;

    f->contact =
        (pl_contact){.program_id = 2,
                     .participant_id = 10,
                     .peer_leader_id = 7,
                     .occurred_at = NOW - 3600,
                     .minutes = 30,
                     .mode = PL_MODE_PHONE,
                     .key_functions = PL_KF_DAILY_MANAGEMENT | PL_KF_SOCIAL_EMOTIONAL,
                     .topics = 1u << PL_TOPIC_HEALTHY_EATING | 1u << PL_TOPIC_HEALTHY_COPING,
                     .proactive = true,
                     .note = "Talked about meal planning.",
                     .follow_up_date = TODAY + 7};
    f->kf_mask = 1u << 4; /* the program added "being there" as bit 4 */

    f->account = (pl_staff_account){.username = "rosa.m",
                                    .display_name = "Rosa M.",
                                    .role = PL_ROLE_PEER_LEADER,
                                    .scope_unit_id = 9};
    f->password = "correct horse battery";
}

/* ---- setups: org units ------------------------------------------------- */

static void nop(fx *f)
{
}
static void org_control_arm(fx *f)
{
    f->unit.arm = PL_ARM_CONTROL;
}
static void org_no_arm(fx *f)
{
    f->unit.arm = PL_ARM_NONE;
}
static void org_chc(fx *f)
{
    f->unit.kind = PL_ORG_CHC;
    f->unit.arm = PL_ARM_NONE;
}
static void org_arm_on_chc(fx *f)
{
    f->unit.kind = PL_ORG_CHC;
}
static void org_arm_on_district(fx *f)
{
    f->unit.kind = PL_ORG_DISTRICT;
    f->unit.arm = PL_ARM_CONTROL;
}
static void org_arm_unknown(fx *f)
{
    f->unit.arm = PL_ARM__COUNT;
}
static void org_kind_unknown(fx *f)
{
    f->unit.kind = PL_ORG__COUNT;
    f->unit.arm = PL_ARM_NONE;
}
static void org_program_root(fx *f)
{
    f->unit.kind = PL_ORG_PROGRAM;
    f->unit.arm = PL_ARM_NONE;
    f->unit.language = "zh-CN";
    f->has_parent = false;
}
static void org_program_under_network(fx *f)
{
    org_program_root(f);
    f->has_parent = true;
    f->parent.kind = PL_ORG_NETWORK;
}
static void org_program_under_district(fx *f)
{
    org_program_root(f);
    f->has_parent = true;
}
static void org_network_root(fx *f)
{
    f->unit.kind = PL_ORG_NETWORK;
    f->unit.arm = PL_ARM_NONE;
    f->has_parent = false;
}
static void org_network_with_parent(fx *f)
{
    org_network_root(f);
    f->has_parent = true;
    f->parent.kind = PL_ORG_NETWORK;
}
static void org_chc_under_network(fx *f)
{
    org_chc(f);
    f->parent.kind = PL_ORG_NETWORK;
}
static void org_no_parent(fx *f)
{
    f->has_parent = false;
}
static void org_program_no_language(fx *f)
{
    org_program_root(f);
    f->unit.language = NULL;
}
static void org_program_french(fx *f)
{
    org_program_root(f);
    f->unit.language = "fr";
}
static void org_program_spanish(fx *f)
{
    org_program_root(f);
    f->unit.language = "es";
}
static void org_community_spanish(fx *f)
{
    f->unit.language = "es";
}
static void org_community_german(fx *f)
{
    f->unit.language = "de";
}
static void org_name_null(fx *f)
{
    f->unit.name = NULL;
}
static void org_name_empty(fx *f)
{
    f->unit.name = "";
}
static void org_name_200(fx *f)
{
    f->unit.name = rep(f, 'n', 200);
}
static void org_name_201(fx *f)
{
    f->unit.name = rep(f, 'n', 201);
}
static void org_name_newline(fx *f)
{
    f->unit.name = "Pudong\nCommunity";
}
static void org_name_bad_utf8(fx *f)
{
    f->unit.name = "Pudong \xC3\x28";
}
static void org_name_chinese(fx *f)
{
    f->unit.name = "浦东新区第三社区";
}
static void org_code_40(fx *f)
{
    f->unit.code = rep(f, 'C', 40);
}
static void org_code_41(fx *f)
{
    f->unit.code = rep(f, 'C', 41);
}
static void org_code_null(fx *f)
{
    f->unit.code = NULL;
}

/* ---- setups: participants ---------------------------------------------- */

static void p_no_consent(fx *f)
{
    f->part.consent = false;
}
static void p_consent_no_date(fx *f)
{
    f->part.consent_date = PL_DATE_NONE;
}
static void p_consent_future(fx *f)
{
    f->part.consent_date = TODAY + 1;
}
static void p_withdrawn(fx *f)
{
    f->part.status = PL_ENROL_WITHDRAWN;
    f->part.status_date = D(2025, 1, 10);
    f->part.status_reason = "moved to another city";
}
static void p_withdrawn_no_reason(fx *f)
{
    p_withdrawn(f);
    f->part.status_reason = NULL;
}
static void p_withdrawn_empty_reason(fx *f)
{
    p_withdrawn(f);
    f->part.status_reason = "";
}
static void p_withdrawn_no_date(fx *f)
{
    p_withdrawn(f);
    f->part.status_date = PL_DATE_NONE;
}
static void p_reason_501(fx *f)
{
    p_withdrawn(f);
    f->part.status_reason = rep(f, 'r', 501);
}
static void p_lost(fx *f)
{
    f->part.status = PL_ENROL_LOST;
    f->part.status_date = D(2025, 5, 1);
}
static void p_completed_no_date(fx *f)
{
    f->part.status = PL_ENROL_COMPLETED;
}
static void p_status_before_enrol(fx *f)
{
    p_lost(f);
    f->part.status_date = D(2024, 2, 29);
}
static void p_status_on_enrol(fx *f)
{
    p_lost(f);
    f->part.status_date = D(2024, 3, 1);
}
static void p_status_future(fx *f)
{
    p_lost(f);
    f->part.status_date = TODAY + 1;
}
static void p_status_unknown(fx *f)
{
    f->part.status = PL_ENROL__COUNT;
    f->part.status_date = TODAY;
}
static void p_no_enrol(fx *f)
{
    f->part.enrol_date = PL_DATE_NONE;
}
static void p_enrol_today(fx *f)
{
    f->part.enrol_date = TODAY;
    f->part.consent_date = TODAY;
}
static void p_enrol_tomorrow(fx *f)
{
    f->part.enrol_date = TODAY + 1;
}
static void p_enrol_1899(fx *f)
{
    f->part.enrol_date = D(1899, 12, 31);
    f->part.person.birth_date = PL_DATE_NONE;
}
static void p_eighteenth_birthday(fx *f)
{
    f->part.person.birth_date = D(2006, 3, 1);
    f->part.diagnosis_year = 2020;
}
static void p_one_day_short_of_18(fx *f)
{
    /* 2006-03-02 to 2024-03-01 is 6574 days, more than 18 x 365, yet only 17 years */
    f->part.person.birth_date = D(2006, 3, 2);
    f->part.diagnosis_year = 2020;
}
static void p_leapling_adult(fx *f)
{
    /* born on 29 February: 18 on 1 March of a common year */
    f->part.person.birth_date = D(2004, 2, 29);
    f->part.enrol_date = D(2022, 3, 1);
    f->part.diagnosis_year = 2020;
}
static void p_leapling_minor(fx *f)
{
    p_leapling_adult(f);
    f->part.enrol_date = D(2022, 2, 28);
}
static void p_birth_1899(fx *f)
{
    f->part.person.birth_date = D(1899, 12, 31);
}
static void p_birth_1900(fx *f)
{
    f->part.person.birth_date = D(1900, 1, 1);
}
static void p_birth_tomorrow(fx *f)
{
    f->part.person.birth_date = TODAY + 1;
    f->part.diagnosis_year = 0;
}
static void p_diag_unknown(fx *f)
{
    f->part.diagnosis_year = 0;
}
static void p_diag_1919(fx *f)
{
    f->part.person.birth_date = D(1910, 1, 1);
    f->part.diagnosis_year = 1919;
}
static void p_diag_1920(fx *f)
{
    f->part.person.birth_date = D(1910, 1, 1);
    f->part.diagnosis_year = 1920;
}
static void p_diag_this_year(fx *f)
{
    f->part.diagnosis_year = 2025;
}
static void p_diag_next_year(fx *f)
{
    f->part.diagnosis_year = 2026;
}
static void p_diag_before_birth(fx *f)
{
    f->part.diagnosis_year = 1959;
}
static void p_diag_birth_year(fx *f)
{
    f->part.diagnosis_year = 1960;
}
static void p_treatment_unknown(fx *f)
{
    f->part.treatment = PL_TREAT__COUNT;
}
static void p_high_need(fx *f)
{
    f->part.risk_tier = PL_RISK_HIGH_NEED;
}
static void p_risk_unknown(fx *f)
{
    f->part.risk_tier = PL_RISK__COUNT;
}
static void p_no_program(fx *f)
{
    f->part.program_id = 0;
}
static void p_no_home(fx *f)
{
    f->part.home_unit_id = 0;
}
static void p_no_given_name(fx *f)
{
    f->part.person.given_name = NULL;
}
static void p_no_family_name(fx *f)
{
    f->part.person.family_name = NULL;
}
static void p_sex_unknown_value(fx *f)
{
    f->part.person.sex = PL_SEX__COUNT;
}
static void p_phone_5_digits(fx *f)
{
    f->part.person.phone = "12345";
}
static void p_phone_4_digits(fx *f)
{
    f->part.person.phone = "1234";
}
static void p_phone_15_digits(fx *f)
{
    f->part.person.phone = "+123 456 789 012 345";
}
static void p_phone_16_digits(fx *f)
{
    f->part.person.phone = "1234567890123456";
}
static void p_phone_letters(fx *f)
{
    f->part.person.phone = "555-CALL-NOW";
}
static void p_phone_us(fx *f)
{
    f->part.person.phone = "(312) 555-0199";
}
static void p_language_fr(fx *f)
{
    f->part.person.language = "fr";
}
static void p_language_none(fx *f)
{
    f->part.person.language = NULL;
}
static void p_ident_40(fx *f)
{
    f->part.program_ident = rep(f, '7', 40);
}
static void p_ident_41(fx *f)
{
    f->part.program_ident = rep(f, '7', 41);
}
static void p_mrn_64(fx *f)
{
    f->part.mrn = rep(f, 'M', 64);
}
static void p_mrn_65(fx *f)
{
    f->part.mrn = rep(f, 'M', 65);
}
static void p_address_lines(fx *f)
{
    f->part.person.address = "Apt 3\n1200 W 18th St\nChicago";
}
static void p_address_501(fx *f)
{
    f->part.person.address = rep(f, 'a', 501);
}
static void p_address_control(fx *f)
{
    f->part.person.address = "Apt 3\x01";
}

/* ---- setups: peer leaders ---------------------------------------------- */

static void l_languages(fx *f, const char *s)
{
    f->leader.languages = s;
}
static void l_lang_zh(fx *f)
{
    l_languages(f, "zh-CN");
}
static void l_lang_three(fx *f)
{
    l_languages(f, "en,es,zh-CN");
}
static void l_lang_trailing_comma(fx *f)
{
    l_languages(f, "es,");
}
static void l_lang_leading_comma(fx *f)
{
    l_languages(f, ",es");
}
static void l_lang_double_comma(fx *f)
{
    l_languages(f, "es,,en");
}
static void l_lang_fr(fx *f)
{
    l_languages(f, "fr");
}
static void l_lang_es_fr(fx *f)
{
    l_languages(f, "es,fr");
}
static void l_lang_semicolon(fx *f)
{
    l_languages(f, "es;en");
}
static void l_lang_space(fx *f)
{
    l_languages(f, "es, en");
}
static void l_lang_null(fx *f)
{
    l_languages(f, NULL);
}
static void l_lang_empty(fx *f)
{
    l_languages(f, "");
}
static void l_kind_unknown(fx *f)
{
    f->leader.kind = PL_LEADER__COUNT;
}
static void l_volunteer(fx *f)
{
    f->leader.paid = false;
    f->leader.kind = PL_LEADER_PEER_LEADER;
}
static void l_hours_neg(fx *f)
{
    f->leader.training_hours = -1;
}
static void l_hours_0(fx *f)
{
    f->leader.training_hours = 0;
}
static void l_hours_1000(fx *f)
{
    f->leader.training_hours = 1000;
}
static void l_hours_1001(fx *f)
{
    f->leader.training_hours = 1001;
}
static void l_trained_today(fx *f)
{
    f->leader.trained_on = TODAY;
}
static void l_trained_tomorrow(fx *f)
{
    f->leader.trained_on = TODAY + 1;
}
static void l_not_trained(fx *f)
{
    f->leader.trained_on = PL_DATE_NONE;
}
static void l_no_program(fx *f)
{
    f->leader.program_id = 0;
}
static void l_no_home(fx *f)
{
    f->leader.home_unit_id = 0;
}
static void l_no_name(fx *f)
{
    f->leader.person.given_name = "";
}

/* ---- setups: contacts -------------------------------------------------- */

static void c_minutes(fx *f, int m)
{
    f->contact.minutes = m;
}
static void c_min_0(fx *f)
{
    c_minutes(f, 0);
}
static void c_min_1(fx *f)
{
    c_minutes(f, 1);
}
static void c_min_600(fx *f)
{
    c_minutes(f, 600);
}
static void c_min_601(fx *f)
{
    c_minutes(f, 601);
}
static void c_min_neg(fx *f)
{
    c_minutes(f, -5);
}
static void c_skew_600(fx *f)
{
    f->contact.occurred_at = NOW + 600;
}
static void c_future_601(fx *f)
{
    f->contact.occurred_at = NOW + 601;
}
static void c_no_time(fx *f)
{
    f->contact.occurred_at = PL_TIME_NONE;
}
static void c_y2000(fx *f)
{
    f->contact.occurred_at = 946684800; /* 2000-01-01T00:00:00Z = 10957 days */
    f->contact.follow_up_date = PL_DATE_NONE;
}
static void c_y1999(fx *f)
{
    f->contact.occurred_at = 946684799;
    f->contact.follow_up_date = PL_DATE_NONE;
}
static void c_follow_same_day(fx *f)
{
    f->contact.follow_up_date = TODAY;
}
static void c_follow_366(fx *f)
{
    f->contact.follow_up_date = TODAY + 366;
}
static void c_follow_367(fx *f)
{
    f->contact.follow_up_date = TODAY + 367;
}
static void c_follow_before(fx *f)
{
    f->contact.follow_up_date = TODAY - 1;
}
static void c_follow_none(fx *f)
{
    f->contact.follow_up_date = PL_DATE_NONE;
}
static void c_follow_utc_day(fx *f)
{
    /* 23:30 UTC the day before; a follow-up on that UTC day is allowed */
    f->contact.occurred_at = (pl_time)(TODAY - 1) * 86400 + 23 * 3600 + 1800;
    f->contact.follow_up_date = TODAY - 1;
}
static void c_kf_none(fx *f)
{
    f->contact.key_functions = 0;
}
static void c_kf_all_four(fx *f)
{
    f->contact.key_functions = PL_KF_STANDARD_MASK;
}
static void c_kf_program_enabled(fx *f)
{
    f->contact.key_functions = PL_KF_ONGOING | 1u << 4;
}
static void c_kf_program_not_enabled(fx *f)
{
    f->contact.key_functions = PL_KF_ONGOING | 1u << 5;
}
static void c_kf_program_no_mask(fx *f)
{
    f->contact.key_functions = 1u << 4;
    f->kf_mask = 0;
}
static void c_kf_bit15(fx *f)
{
    f->contact.key_functions = 1u << 15;
    f->kf_mask = 0xFFFFu;
}
static void c_kf_bit16(fx *f)
{
    f->contact.key_functions = 1u << 16;
    f->kf_mask = 0xFFFFFFFFu;
}
static void c_topics_all(fx *f)
{
    f->contact.topics = (1u << PL_TOPIC__COUNT) - 1;
}
static void c_topics_none(fx *f)
{
    f->contact.topics = 0;
}
static void c_topic_unknown(fx *f)
{
    f->contact.topics = 1u << PL_TOPIC__COUNT;
}
static void c_mode_unknown(fx *f)
{
    f->contact.mode = PL_MODE__COUNT;
}
static void c_mode_neighbourhood(fx *f)
{
    f->contact.mode = PL_MODE_NEIGHBOURHOOD_ACTIVITY;
}
static void c_note_4000(fx *f)
{
    f->contact.note = rep(f, 'x', PL_CONTACT_NOTE_MAX);
}
static void c_note_4001(fx *f)
{
    f->contact.note = rep(f, 'x', PL_CONTACT_NOTE_MAX + 1);
}
static void c_note_lines(fx *f)
{
    f->contact.note = "Glucose log reviewed.\n\tNext: walk group on Tuesday.\r\n";
}
static void c_note_bad_utf8(fx *f)
{
    f->contact.note = "caf\xE9"; /* Latin-1, not UTF-8 */
}
static void c_note_bell(fx *f)
{
    f->contact.note = "ring\x07";
}
static void c_note_null(fx *f)
{
    f->contact.note = NULL;
}
static void c_no_participant(fx *f)
{
    f->contact.participant_id = 0;
}
static void c_no_leader(fx *f)
{
    f->contact.peer_leader_id = -1;
}

/* ---- setups: staff accounts and passwords ------------------------------ */

static void s_user(fx *f, const char *u)
{
    f->account.username = u;
}
static void s_user_3(fx *f)
{
    s_user(f, "abc");
}
static void s_user_2(fx *f)
{
    s_user(f, "ab");
}
static void s_user_64(fx *f)
{
    s_user(f, rep(f, 'u', 64));
}
static void s_user_65(fx *f)
{
    s_user(f, rep(f, 'u', 65));
}
static void s_user_upper(fx *f)
{
    s_user(f, "Rosa");
}
static void s_user_space(fx *f)
{
    s_user(f, "rosa m");
}
static void s_user_email(fx *f)
{
    s_user(f, "rosa@alivio.org");
}
static void s_user_punct(fx *f)
{
    s_user(f, "ro_sa-1.m");
}
static void s_user_bang(fx *f)
{
    s_user(f, "rosa!");
}
static void s_user_accent(fx *f)
{
    s_user(f, "rosá");
}
static void s_user_null(fx *f)
{
    s_user(f, NULL);
}
static void s_user_empty(fx *f)
{
    s_user(f, "");
}
static void s_admin_unscoped(fx *f)
{
    f->account.role = PL_ROLE_ADMIN;
    f->account.scope_unit_id = 0;
}
static void s_clinician_unscoped(fx *f)
{
    f->account.role = PL_ROLE_CLINICIAN;
    f->account.scope_unit_id = 0;
}
static void s_role_unknown(fx *f)
{
    f->account.role = PL_ROLE__COUNT;
}
static void s_display_200(fx *f)
{
    f->account.display_name = rep(f, 'd', 200);
}
static void s_display_201(fx *f)
{
    f->account.display_name = rep(f, 'd', 201);
}
static void s_display_tab(fx *f)
{
    f->account.display_name = "Rosa\tM.";
}
static void s_disabled(fx *f)
{
    f->account.disabled = true;
}
static void pw_null(fx *f)
{
    f->password = NULL;
}
static void pw_empty(fx *f)
{
    f->password = "";
}
static void pw_9(fx *f)
{
    f->password = "123456789";
}
static void pw_10(fx *f)
{
    f->password = "1234567890";
}
/* 4 Chinese characters are 12 bytes but still too short; 10 of them are enough */
static void pw_cjk_4(fx *f)
{
    f->password = "糖尿病友";
}
static void pw_cjk_10(fx *f)
{
    f->password = "糖尿病友同伴支持健康";
}
static void pw_256(fx *f)
{
    f->password = rep(f, 'p', 256);
}
static void pw_257(fx *f)
{
    f->password = rep(f, 'p', 257);
}

/* ---- the table ---------------------------------------------------------- */

typedef struct vcase {
    vkind kind;
    const char *name;
    void (*setup)(fx *f);
    const char *field; /* NULL: the record is valid */
    const char *msg;   /* substring of that field's message */
    int nerr;          /* errors expected when invalid; 0 means 1 */
} vcase;

static const vcase cases[] = {
    /* org units */
    {V_ORG, "community in intervention arm", nop, NULL, NULL, 0},
    {V_ORG, "community in control arm", org_control_arm, NULL, NULL, 0},
    {V_ORG, "community with no arm", org_no_arm, NULL, NULL, 0},
    {V_ORG, "chc without arm", org_chc, NULL, NULL, 0},
    {V_ORG, "arm on a chc", org_arm_on_chc, "arm", "may be set on communities only", 0},
    {V_ORG, "arm on a district", org_arm_on_district, "arm", "communities only", 0},
    {V_ORG, "unknown arm", org_arm_unknown, "arm", "must be none, intervention or control", 0},
    {V_ORG, "unknown kind", org_kind_unknown, "kind", "must be a known org-unit kind", 0},
    {V_ORG, "program as a root", org_program_root, NULL, NULL, 0},
    {V_ORG, "program under a network", org_program_under_network, NULL, NULL, 0},
    {V_ORG, "program under a district", org_program_under_district, "parent_id",
     "a program's parent must be a network", 0},
    {V_ORG, "network as a root", org_network_root, NULL, NULL, 0},
    {V_ORG, "network with a parent", org_network_with_parent, "parent_id",
     "a network is always a root", 0},
    {V_ORG, "chc directly under a network", org_chc_under_network, "parent_id",
     "only programs sit directly under a network", 0},
    {V_ORG, "community without a parent", org_no_parent, "parent_id", "is required for a community",
     0},
    {V_ORG, "program without language", org_program_no_language, "language", "is required", 0},
    {V_ORG, "program in French", org_program_french, "language", "must be one of en, es, zh-CN", 0},
    {V_ORG, "program in Spanish", org_program_spanish, NULL, NULL, 0},
    {V_ORG, "community with its own language", org_community_spanish, NULL, NULL, 0},
    {V_ORG, "community in German", org_community_german, "language", "en, es, zh-CN", 0},
    {V_ORG, "no name", org_name_null, "name", "is required", 0},
    {V_ORG, "empty name", org_name_empty, "name", "is required", 0},
    {V_ORG, "name of 200 bytes", org_name_200, NULL, NULL, 0},
    {V_ORG, "name of 201 bytes", org_name_201, "name", "at most 200 bytes", 0},
    {V_ORG, "name with a newline", org_name_newline, "name", "without control characters", 0},
    {V_ORG, "name not UTF-8", org_name_bad_utf8, "name", "valid UTF-8", 0},
    {V_ORG, "name in Chinese", org_name_chinese, NULL, NULL, 0},
    {V_ORG, "code of 40 bytes", org_code_40, NULL, NULL, 0},
    {V_ORG, "code of 41 bytes", org_code_41, "code", "at most 40 bytes", 0},
    {V_ORG, "no code", org_code_null, NULL, NULL, 0},

    /* participants */
    {V_PARTICIPANT, "valid participant", nop, NULL, NULL, 0},
    {V_PARTICIPANT, "no consent", p_no_consent, "consent", "only with consent", 0},
    {V_PARTICIPANT, "consent without date", p_consent_no_date, "consent_date", "is required", 0},
    {V_PARTICIPANT, "consent dated tomorrow", p_consent_future, "consent_date",
     "must not be in the future", 0},
    {V_PARTICIPANT, "withdrawn with reason", p_withdrawn, NULL, NULL, 0},
    {V_PARTICIPANT, "withdrawn without reason", p_withdrawn_no_reason, "status_reason",
     "is required when a participant withdraws", 0},
    {V_PARTICIPANT, "withdrawn with empty reason", p_withdrawn_empty_reason, "status_reason",
     "withdraws", 0},
    {V_PARTICIPANT, "withdrawn without date", p_withdrawn_no_date, "status_date",
     "is required when status is not enrolled", 0},
    {V_PARTICIPANT, "reason of 501 bytes", p_reason_501, "status_reason", "at most 500 bytes", 0},
    {V_PARTICIPANT, "lost to follow-up", p_lost, NULL, NULL, 0},
    {V_PARTICIPANT, "completed without date", p_completed_no_date, "status_date",
     "is required when status is not enrolled", 0},
    {V_PARTICIPANT, "status before enrolment", p_status_before_enrol, "status_date",
     "must not be before enrol_date", 0},
    {V_PARTICIPANT, "status on enrolment day", p_status_on_enrol, NULL, NULL, 0},
    {V_PARTICIPANT, "status tomorrow", p_status_future, "status_date", "future", 0},
    {V_PARTICIPANT, "unknown status", p_status_unknown, "status",
     "must be enrolled, withdrawn, completed, deceased or lost", 0},
    {V_PARTICIPANT, "no enrolment date", p_no_enrol, "enrol_date", "is required", 0},
    {V_PARTICIPANT, "enrolled today", p_enrol_today, NULL, NULL, 0},
    {V_PARTICIPANT, "enrolled tomorrow", p_enrol_tomorrow, "enrol_date",
     "must not be in the future", 0},
    {V_PARTICIPANT, "enrolled in 1899", p_enrol_1899, "enrol_date", "must not be before 1900-01-01",
     0},
    {V_PARTICIPANT, "enrolled on 18th birthday", p_eighteenth_birthday, NULL, NULL, 0},
    {V_PARTICIPANT, "enrolled a day before 18", p_one_day_short_of_18, "birth_date",
     "participants must be adults (18 or older) at enrolment", 0},
    {V_PARTICIPANT, "born 29 Feb, enrolled 1 Mar at 18", p_leapling_adult, NULL, NULL, 0},
    {V_PARTICIPANT, "born 29 Feb, enrolled 28 Feb at 17", p_leapling_minor, "birth_date",
     "18 or older", 0},
    {V_PARTICIPANT, "born 1899", p_birth_1899, "birth_date", "must not be before 1900-01-01", 0},
    {V_PARTICIPANT, "born 1900-01-01", p_birth_1900, NULL, NULL, 0},
    {V_PARTICIPANT, "born tomorrow", p_birth_tomorrow, "birth_date", "must not be in the future",
     2},
    {V_PARTICIPANT, "diagnosis year unknown", p_diag_unknown, NULL, NULL, 0},
    {V_PARTICIPANT, "diagnosed 1919", p_diag_1919, "diagnosis_year", "between 1920 and 2025", 0},
    {V_PARTICIPANT, "diagnosed 1920", p_diag_1920, NULL, NULL, 0},
    {V_PARTICIPANT, "diagnosed this year", p_diag_this_year, NULL, NULL, 0},
    {V_PARTICIPANT, "diagnosed next year", p_diag_next_year, "diagnosis_year",
     "between 1920 and 2025", 0},
    {V_PARTICIPANT, "diagnosed before birth", p_diag_before_birth, "diagnosis_year",
     "must not be before the year of birth", 0},
    {V_PARTICIPANT, "diagnosed in birth year", p_diag_birth_year, NULL, NULL, 0},
    {V_PARTICIPANT, "unknown treatment", p_treatment_unknown, "treatment",
     "must be a known treatment", 0},
    {V_PARTICIPANT, "high-need tier", p_high_need, NULL, NULL, 0},
    {V_PARTICIPANT, "unknown tier", p_risk_unknown, "risk_tier", "must be standard or high_need",
     0},
    {V_PARTICIPANT, "no program", p_no_program, "program_id", "is required", 0},
    {V_PARTICIPANT, "no home unit", p_no_home, "home_unit_id", "is required", 0},
    {V_PARTICIPANT, "no given name", p_no_given_name, "given_name", "is required", 0},
    {V_PARTICIPANT, "no family name", p_no_family_name, NULL, NULL, 0},
    {V_PARTICIPANT, "unknown sex value", p_sex_unknown_value, "sex",
     "must be unknown, female, male or other", 0},
    {V_PARTICIPANT, "phone of 5 digits", p_phone_5_digits, NULL, NULL, 0},
    {V_PARTICIPANT, "phone of 4 digits", p_phone_4_digits, "phone", "must be 5 to 15 digits", 0},
    {V_PARTICIPANT, "phone of 15 digits", p_phone_15_digits, NULL, NULL, 0},
    {V_PARTICIPANT, "phone of 16 digits", p_phone_16_digits, "phone", "5 to 15 digits", 0},
    {V_PARTICIPANT, "phone with letters", p_phone_letters, "phone", "5 to 15 digits", 0},
    {V_PARTICIPANT, "US phone style", p_phone_us, NULL, NULL, 0},
    {V_PARTICIPANT, "language fr", p_language_fr, "language", "must be one of en, es, zh-CN", 0},
    {V_PARTICIPANT, "no language", p_language_none, NULL, NULL, 0},
    {V_PARTICIPANT, "program ident of 40 bytes", p_ident_40, NULL, NULL, 0},
    {V_PARTICIPANT, "program ident of 41 bytes", p_ident_41, "program_ident", "at most 40 bytes",
     0},
    {V_PARTICIPANT, "MRN of 64 bytes", p_mrn_64, NULL, NULL, 0},
    {V_PARTICIPANT, "MRN of 65 bytes", p_mrn_65, "mrn", "at most 64 bytes", 0},
    {V_PARTICIPANT, "address on three lines", p_address_lines, NULL, NULL, 0},
    {V_PARTICIPANT, "address of 501 bytes", p_address_501, "address", "at most 500 bytes", 0},
    {V_PARTICIPANT, "address with control char", p_address_control, "address", "valid UTF-8 text",
     0},

    /* peer leaders */
    {V_LEADER, "speaks es,en", nop, NULL, NULL, 0},
    {V_LEADER, "speaks zh-CN", l_lang_zh, NULL, NULL, 0},
    {V_LEADER, "speaks all three", l_lang_three, NULL, NULL, 0},
    {V_LEADER, "languages \"es,\"", l_lang_trailing_comma, "languages",
     "must be a comma-separated list of en, es, zh-CN", 0},
    {V_LEADER, "languages \",es\"", l_lang_leading_comma, "languages", "comma-separated list", 0},
    {V_LEADER, "languages \"es,,en\"", l_lang_double_comma, "languages", "comma-separated list", 0},
    {V_LEADER, "languages \"fr\"", l_lang_fr, "languages", "comma-separated list of en, es, zh-CN",
     0},
    {V_LEADER, "languages \"es,fr\"", l_lang_es_fr, "languages", "comma-separated list", 0},
    {V_LEADER, "languages \"es;en\"", l_lang_semicolon, "languages", "comma-separated list", 0},
    {V_LEADER, "languages \"es, en\"", l_lang_space, "languages", "comma-separated list", 0},
    {V_LEADER, "no languages", l_lang_null, "languages", "must list at least one language", 0},
    {V_LEADER, "empty languages", l_lang_empty, "languages", "at least one language", 0},
    {V_LEADER, "unknown kind", l_kind_unknown, "kind",
     "must be peer_leader, promotor, community_health_worker or navigator", 0},
    {V_LEADER, "volunteer peer leader", l_volunteer, NULL, NULL, 0},
    {V_LEADER, "training hours -1", l_hours_neg, "training_hours", "between 0 and 1000", 0},
    {V_LEADER, "training hours 0", l_hours_0, NULL, NULL, 0},
    {V_LEADER, "training hours 1000", l_hours_1000, NULL, NULL, 0},
    {V_LEADER, "training hours 1001", l_hours_1001, "training_hours", "between 0 and 1000", 0},
    {V_LEADER, "trained today", l_trained_today, NULL, NULL, 0},
    {V_LEADER, "trained tomorrow", l_trained_tomorrow, "trained_on", "must not be in the future",
     0},
    {V_LEADER, "not yet trained", l_not_trained, NULL, NULL, 0},
    {V_LEADER, "no program", l_no_program, "program_id", "is required", 0},
    {V_LEADER, "no home unit", l_no_home, "home_unit_id", "is required", 0},
    {V_LEADER, "no given name", l_no_name, "given_name", "is required", 0},

    /* contacts */
    {V_CONTACT, "phone call yesterday-ish", nop, NULL, NULL, 0},
    {V_CONTACT, "0 minutes", c_min_0, "minutes", "must be between 1 and 600", 0},
    {V_CONTACT, "1 minute", c_min_1, NULL, NULL, 0},
    {V_CONTACT, "600 minutes", c_min_600, NULL, NULL, 0},
    {V_CONTACT, "601 minutes", c_min_601, "minutes", "must be between 1 and 600", 0},
    {V_CONTACT, "-5 minutes", c_min_neg, "minutes", "between 1 and 600", 0},
    {V_CONTACT, "phone clock 600 s ahead", c_skew_600, NULL, NULL, 0},
    {V_CONTACT, "601 s in the future", c_future_601, "occurred_at", "must not be in the future", 0},
    {V_CONTACT, "no time", c_no_time, "occurred_at", "is required", 0},
    {V_CONTACT, "2000-01-01T00:00:00Z", c_y2000, NULL, NULL, 0},
    {V_CONTACT, "1999-12-31T23:59:59Z", c_y1999, "occurred_at", "must not be before 2000-01-01", 0},
    {V_CONTACT, "follow-up same day", c_follow_same_day, NULL, NULL, 0},
    {V_CONTACT, "follow-up +366 days", c_follow_366, NULL, NULL, 0},
    {V_CONTACT, "follow-up +367 days", c_follow_367, "follow_up_date",
     "must be within a year of the contact", 0},
    {V_CONTACT, "follow-up before contact", c_follow_before, "follow_up_date",
     "must not be before the contact", 0},
    {V_CONTACT, "no follow-up", c_follow_none, NULL, NULL, 0},
    {V_CONTACT, "follow-up on the contact's UTC day", c_follow_utc_day, NULL, NULL, 0},
    {V_CONTACT, "no key function", c_kf_none, "key_functions",
     "must name at least one key function", 0},
    {V_CONTACT, "all four key functions", c_kf_all_four, NULL, NULL, 0},
    {V_CONTACT, "program key function enabled", c_kf_program_enabled, NULL, NULL, 0},
    {V_CONTACT, "program key function not enabled", c_kf_program_not_enabled, "key_functions",
     "contains a key function this program does not use", 0},
    {V_CONTACT, "program key function, no mask", c_kf_program_no_mask, "key_functions",
     "does not use", 0},
    {V_CONTACT, "bit 15 enabled", c_kf_bit15, NULL, NULL, 0},
    {V_CONTACT, "bit 16 never allowed", c_kf_bit16, "key_functions", "does not use", 0},
    {V_CONTACT, "every topic", c_topics_all, NULL, NULL, 0},
    {V_CONTACT, "no topic", c_topics_none, NULL, NULL, 0},
    {V_CONTACT, "unknown topic bit", c_topic_unknown, "topics", "contains an unknown topic", 0},
    {V_CONTACT, "unknown mode", c_mode_unknown, "mode", "must be a known contact mode", 0},
    {V_CONTACT, "neighbourhood activity", c_mode_neighbourhood, NULL, NULL, 0},
    {V_CONTACT, "note of 4000 bytes", c_note_4000, NULL, NULL, 0},
    {V_CONTACT, "note of 4001 bytes", c_note_4001, "note", "must be at most 4000 bytes", 0},
    {V_CONTACT, "note with lines and tabs", c_note_lines, NULL, NULL, 0},
    {V_CONTACT, "note in Latin-1", c_note_bad_utf8, "note", "must be valid UTF-8 text", 0},
    {V_CONTACT, "note with a bell", c_note_bell, "note", "valid UTF-8 text", 0},
    {V_CONTACT, "no note", c_note_null, NULL, NULL, 0},
    {V_CONTACT, "no participant", c_no_participant, "participant_id", "is required", 0},
    {V_CONTACT, "no peer leader", c_no_leader, "peer_leader_id", "is required", 0},

    /* staff accounts */
    {V_STAFF, "peer leader account", nop, NULL, NULL, 0},
    {V_STAFF, "username of 3", s_user_3, NULL, NULL, 0},
    {V_STAFF, "username of 2", s_user_2, "username",
     "must be 3-64 characters of a-z, 0-9, '.', '_', '-' or '@'", 0},
    {V_STAFF, "username of 64", s_user_64, NULL, NULL, 0},
    {V_STAFF, "username of 65", s_user_65, "username", "3-64 characters", 0},
    {V_STAFF, "username with capitals", s_user_upper, "username", "a-z", 0},
    {V_STAFF, "username with a space", s_user_space, "username", "3-64 characters", 0},
    {V_STAFF, "username as e-mail", s_user_email, NULL, NULL, 0},
    {V_STAFF, "username with . _ -", s_user_punct, NULL, NULL, 0},
    {V_STAFF, "username with !", s_user_bang, "username", "3-64 characters", 0},
    {V_STAFF, "username with an accent", s_user_accent, "username", "3-64 characters", 0},
    {V_STAFF, "no username", s_user_null, "username", "is required", 0},
    {V_STAFF, "empty username", s_user_empty, "username", "is required", 0},
    {V_STAFF, "admin without scope", s_admin_unscoped, NULL, NULL, 0},
    {V_STAFF, "clinician without scope", s_clinician_unscoped, "scope_unit_id",
     "is required for every role but admin", 0},
    {V_STAFF, "unknown role", s_role_unknown, "role", "must be admin, program_manager", 0},
    {V_STAFF, "display name of 200", s_display_200, NULL, NULL, 0},
    {V_STAFF, "display name of 201", s_display_201, "display_name", "at most 200 bytes", 0},
    {V_STAFF, "display name with tab", s_display_tab, "display_name", "control characters", 0},
    {V_STAFF, "disabled account", s_disabled, NULL, NULL, 0},

    /* passwords */
    {V_PASSWORD, "good password", nop, NULL, NULL, 0},
    {V_PASSWORD, "no password", pw_null, "password", "must be at least 10 characters", 0},
    {V_PASSWORD, "empty password", pw_empty, "password", "at least 10", 0},
    {V_PASSWORD, "9 characters", pw_9, "password", "at least 10", 0},
    {V_PASSWORD, "10 characters", pw_10, NULL, NULL, 0},
    {V_PASSWORD, "4 Chinese characters (12 bytes)", pw_cjk_4, "password", "at least 10", 0},
    {V_PASSWORD, "10 Chinese characters", pw_cjk_10, NULL, NULL, 0},
    {V_PASSWORD, "256 bytes", pw_256, NULL, NULL, 0},
    {V_PASSWORD, "257 bytes", pw_257, "password", "must be at most 256 bytes", 0},
};

static pl_status run_validator(vkind kind, fx *f, pl_err *err)
{
    switch (kind) {
    case V_ORG:
        return org_unit_validate(&f->unit, f->has_parent ? &f->parent : NULL, err);
    case V_PARTICIPANT:
        return participant_validate(&f->part, TODAY, err);
    case V_LEADER:
        return peer_leader_validate(&f->leader, TODAY, err);
    case V_CONTACT:
        return contact_validate(&f->contact, f->kf_mask, NOW, err);
    case V_STAFF:
        return staff_account_validate(&f->account, err);
    case V_PASSWORD:
        return password_validate(f->password, err);
    case V__COUNT:
        break;
    }
    return PL_USAGE;
}

static void test_validation_table(void **state)
{
    static fx f;
    int failures = 0;
    int per_kind[V__COUNT] = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const vcase *c = &cases[i];
        base(&f);
        c->setup(&f);
        pl_err err;
        pl_err_clear(&err);
        pl_status st = run_validator(c->kind, &f, &err);
        assert_true((unsigned)c->kind < V__COUNT);
        per_kind[c->kind]++;
        bool ok;
        if (!c->field) {
            ok = st == PL_OK && err.status == PL_OK && err.nfields == 0;
        } else {
            int want_n = c->nerr ? c->nerr : 1;
            ok = st == PL_INVALID && err.status == PL_INVALID && err.nfields == want_n &&
                 test_field_error(&err, c->field, c->msg);
        }
        if (!ok) {
            failures++;
            printf("# case %zu \"%s\": want %s%s%s%s, got %s with %d error(s)\n", i, c->name,
                   c->field ? "error on " : "valid", c->field ? c->field : "",
                   c->field ? " containing " : "", c->msg ? c->msg : "", pl_status_name(st),
                   err.nfields);
            for (int j = 0; j < err.nfields; j++)
                printf("#     %s: %s\n", err.fields[j].field, err.fields[j].message);
        }
    }
    printf("# %zu validation cases\n", sizeof cases / sizeof cases[0]);
    for (int k = 0; k < V__COUNT; k++)
        assert_true(per_kind[k] >= 5);
    assert_int_equal(failures, 0);
}

/* ---- several broken fields are reported together ----------------------- */

static void test_contact_reports_every_field(void **state)
{
    static fx f;
    base(&f);
    f.contact.participant_id = 0;
    f.contact.peer_leader_id = 0;
    f.contact.minutes = 0;
    f.contact.key_functions = 0;
    f.contact.mode = PL_MODE__COUNT;
    f.contact.follow_up_date = TODAY - 3;
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(contact_validate(&f.contact, f.kf_mask, NOW, &err), PL_INVALID);
    assert_int_equal(err.nfields, 6);
    assert_int_equal(err.truncated, 0);
    const char *const fields[] = {"participant_id", "peer_leader_id", "minutes",
                                  "mode",           "key_functions",  "follow_up_date"};
    for (int i = 0; i < 6; i++)
        if (!test_field_error(&err, fields[i], NULL))
            fail_msg("no error on %s", fields[i]);
    assert_string_equal(err.message, "the request has invalid fields");
}

static void test_participant_reports_every_field(void **state)
{
    static fx f;
    base(&f);
    f.part.person.given_name = NULL;
    f.part.program_id = 0;
    f.part.home_unit_id = 0;
    f.part.consent = false;
    f.part.treatment = PL_TREAT__COUNT;
    f.part.person.language = "fr";
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(participant_validate(&f.part, TODAY, &err), PL_INVALID);
    assert_int_equal(err.nfields, 6);
    assert_true(test_field_error(&err, "given_name", "is required"));
    assert_true(test_field_error(&err, "program_id", "is required"));
    assert_true(test_field_error(&err, "home_unit_id", "is required"));
    assert_true(test_field_error(&err, "consent", "consent"));
    assert_true(test_field_error(&err, "treatment", "treatment"));
    assert_true(test_field_error(&err, "language", "en, es, zh-CN"));
}

static void test_org_and_account_report_every_field(void **state)
{
    static fx f;
    base(&f);
    f.unit.kind = PL_ORG_CHC; /* keeps the intervention arm */
    f.unit.name = "";
    f.has_parent = false;
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(org_unit_validate(&f.unit, NULL, &err), PL_INVALID);
    assert_int_equal(err.nfields, 3);
    assert_true(test_field_error(&err, "name", "is required"));
    assert_true(test_field_error(&err, "arm", "communities only"));
    assert_true(test_field_error(&err, "parent_id", "is required for a chc"));

    base(&f);
    f.account.username = "X";
    f.account.display_name = "bad\x01";
    f.account.role = PL_ROLE_EVALUATOR;
    f.account.scope_unit_id = 0;
    pl_err_clear(&err);
    assert_int_equal(staff_account_validate(&f.account, &err), PL_INVALID);
    assert_int_equal(err.nfields, 3);
    assert_true(test_field_error(&err, "username", NULL));
    assert_true(test_field_error(&err, "display_name", NULL));
    assert_true(test_field_error(&err, "scope_unit_id", NULL));
}

static void test_person_validate(void **state)
{
    static fx f;
    base(&f);
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(person_validate(&f.part.person, TODAY, &err), PL_OK);
    f.part.person.phone = "12";
    f.part.person.birth_date = TODAY + 1;
    assert_int_equal(person_validate(&f.part.person, TODAY, &err), PL_INVALID);
    assert_int_equal(err.nfields, 2);
    assert_true(test_field_error(&err, "phone", "5 to 15 digits"));
    assert_true(test_field_error(&err, "birth_date", "future"));
}

/* ---- enum spellings ---------------------------------------------------- */

/* The wire and database spellings, written out: changing one breaks stored data. */
typedef struct enum_table {
    const char *what;
    const char *const *names;
    int count;
    const char *(*name)(int);
    pl_status (*parse)(const char *, int *);
} enum_table;

#define ENUM_ADAPTERS(prefix, type)                                                                \
    static const char *prefix##_name_i(int v)                                                      \
    {                                                                                              \
        return prefix##_name((type)v);                                                             \
    }                                                                                              \
    static pl_status prefix##_parse_i(const char *s, int *out)                                     \
    {                                                                                              \
        type v = (type)77;                                                                         \
        pl_status st = prefix##_parse(s, &v);                                                      \
        *out = (int)v;                                                                             \
        return st;                                                                                 \
    }

ENUM_ADAPTERS(pl_org_kind, pl_org_kind)
ENUM_ADAPTERS(pl_arm, pl_arm)
ENUM_ADAPTERS(pl_sex, pl_sex)
ENUM_ADAPTERS(pl_enrol_status, pl_enrol_status)
ENUM_ADAPTERS(pl_treatment, pl_treatment)
ENUM_ADAPTERS(pl_risk_tier, pl_risk_tier)
ENUM_ADAPTERS(pl_leader_kind, pl_leader_kind)
ENUM_ADAPTERS(pl_contact_mode, pl_contact_mode)
ENUM_ADAPTERS(pl_source, pl_source)
ENUM_ADAPTERS(pl_role, pl_role)
ENUM_ADAPTERS(pl_topic, pl_topic)

static pl_status pl_key_function_parse_i(const char *s, int *out)
{
    *out = 77;
    return pl_key_function_parse(s, out);
}

static const char *const org_kinds[] = {
    "network",  "program",  "site", "district", "community", "chc", "residential_committee",
    "practice", "hospital", "ngo"};
static const char *const arms[] = {"none", "intervention", "control"};
static const char *const sexes[] = {"unknown", "female", "male", "other"};
static const char *const statuses[] = {"enrolled", "withdrawn", "completed", "deceased", "lost"};
static const char *const treatments[] = {"unknown", "lifestyle",        "oral",
                                         "insulin", "oral_and_insulin", "other_injectable"};
static const char *const tiers[] = {"standard", "high_need"};
static const char *const leader_kinds[] = {"peer_leader", "promotor", "community_health_worker",
                                           "navigator"};
static const char *const modes[] = {"one_on_one",
                                    "home_visit",
                                    "phone",
                                    "text",
                                    "group",
                                    "clinic_accompaniment",
                                    "neighbourhood_activity"};
static const char *const sources[] = {"emr", "lab", "point_of_care", "self", "peer"};
static const char *const roles[] = {"admin",       "program_manager", "clinician",
                                    "peer_leader", "navigator",       "evaluator"};
static const char *const topics[] = {
    "healthy_eating",      "being_active",   "monitoring",     "taking_medication",
    "problem_solving",     "healthy_coping", "reducing_risks", "clinic_visits",
    "community_resources", "family",         "other"};
static const char *const key_functions[] = {"daily_management", "social_emotional", "linkage",
                                            "ongoing"};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void test_enum_round_trip(void **state)
{
    const enum_table tables[] = {
        {"org_kind", org_kinds, N(org_kinds), pl_org_kind_name_i, pl_org_kind_parse_i},
        {"arm", arms, N(arms), pl_arm_name_i, pl_arm_parse_i},
        {"sex", sexes, N(sexes), pl_sex_name_i, pl_sex_parse_i},
        {"enrol_status", statuses, N(statuses), pl_enrol_status_name_i, pl_enrol_status_parse_i},
        {"treatment", treatments, N(treatments), pl_treatment_name_i, pl_treatment_parse_i},
        {"risk_tier", tiers, N(tiers), pl_risk_tier_name_i, pl_risk_tier_parse_i},
        {"leader_kind", leader_kinds, N(leader_kinds), pl_leader_kind_name_i,
         pl_leader_kind_parse_i},
        {"contact_mode", modes, N(modes), pl_contact_mode_name_i, pl_contact_mode_parse_i},
        {"source", sources, N(sources), pl_source_name_i, pl_source_parse_i},
        {"role", roles, N(roles), pl_role_name_i, pl_role_parse_i},
        {"topic", topics, N(topics), pl_topic_name_i, pl_topic_parse_i},
        {"key_function", key_functions, N(key_functions), pl_key_function_name,
         pl_key_function_parse_i},
    };
    /* the C enums and these lists have the same length */
    assert_int_equal(N(org_kinds), PL_ORG__COUNT);
    assert_int_equal(N(arms), PL_ARM__COUNT);
    assert_int_equal(N(sexes), PL_SEX__COUNT);
    assert_int_equal(N(statuses), PL_ENROL__COUNT);
    assert_int_equal(N(treatments), PL_TREAT__COUNT);
    assert_int_equal(N(tiers), PL_RISK__COUNT);
    assert_int_equal(N(leader_kinds), PL_LEADER__COUNT);
    assert_int_equal(N(modes), PL_MODE__COUNT);
    assert_int_equal(N(sources), PL_SOURCE__COUNT);
    assert_int_equal(N(roles), PL_ROLE__COUNT);
    assert_int_equal(N(topics), PL_TOPIC__COUNT);
    assert_int_equal(N(key_functions), PL_KF_PROGRAM_FIRST_BIT);

    int checked = 0;
    for (int t = 0; t < N(tables); t++) {
        const enum_table *e = &tables[t];
        for (int v = 0; v < e->count; v++) {
            const char *name = e->name(v);
            if (!name || strcmp(name, e->names[v]) != 0)
                fail_msg("%s %d is spelled %s, want %s", e->what, v, name ? name : "(null)",
                         e->names[v]);
            int back = -1;
            if (e->parse(name, &back) != PL_OK || back != v)
                fail_msg("%s \"%s\" does not parse back to %d", e->what, name, v);
            checked++;
        }
        if (e->name(e->count) != NULL || e->name(-1) != NULL)
            fail_msg("%s: out-of-range values must have no name", e->what);
        int out;
        static const char *const junk[] = {"", "bogus", "Admin", " phone", "phone ", "PHONE"};
        for (int j = 0; j < N(junk); j++) {
            if (e->parse(junk[j], &out) != PL_INVALID)
                fail_msg("%s: \"%s\" should not parse", e->what, junk[j]);
            if (out != 77)
                fail_msg("%s: a failed parse changed the output", e->what);
        }
        if (e->parse(NULL, &out) != PL_INVALID || out != 77)
            fail_msg("%s: NULL should not parse", e->what);
    }
    assert_int_equal(checked, 10 + 3 + 4 + 5 + 6 + 2 + 4 + 7 + 5 + 6 + 11 + 4);
}

PL_TEST_MAIN(cmocka_unit_test(test_validation_table),
             cmocka_unit_test(test_contact_reports_every_field),
             cmocka_unit_test(test_participant_reports_every_field),
             cmocka_unit_test(test_org_and_account_report_every_field),
             cmocka_unit_test(test_person_validate), cmocka_unit_test(test_enum_round_trip))
