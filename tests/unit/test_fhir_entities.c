/*
 * test_fhir_entities.c - the Encounter mapping (src/fhir/fhir_entities.c)
 * as tables: every contact mode to its class coding and back, every key
 * function to its type code and back, and Encounters refused with the FHIR
 * path of what is wrong; the Organization, PractitionerRole and Group
 * readers of the FHIR writes refusing with the path, and a Group's dated
 * memberships written and read back.
 */
#include <stdio.h>
#include <string.h>

#include "test.h"

#include "core/time.h"
#include "fhir/fhir.h"
#include "fhir/fhir_entities.h"

static json_object *parse(const char *text)
{
    json_object *o = NULL;
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(fhir_parse(text, strlen(text), &o, &err), PL_OK);
    return o;
}

/* Each mode: the class written, and a contact of it read back with the same mode, key
 * functions, topics, start and minutes. */
static void test_modes_round_trip(void **state)
{
    (void)state;
    static const struct {
        pl_contact_mode mode;
        const char *system, *code;
    } rows[] = {
        {PL_MODE_ONE_ON_ONE, FHIR_V3_ACT_CODE, "FLD"},
        {PL_MODE_HOME_VISIT, FHIR_V3_ACT_CODE, "HH"},
        {PL_MODE_PHONE, FHIR_V3_ACT_CODE, "VR"},
        {PL_MODE_TEXT, FHIR_CS_CONTACT_MODE, "text"},
        {PL_MODE_GROUP, FHIR_CS_CONTACT_MODE, "group"},
        {PL_MODE_CLINIC_ACCOMPANIMENT, FHIR_V3_ACT_CODE, "AMB"},
        {PL_MODE_NEIGHBOURHOOD_ACTIVITY, FHIR_CS_CONTACT_MODE, "neighbourhood_activity"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        pl_contact c = {.id = 7,
                        .program_id = 1,
                        .participant_id = 12,
                        .peer_leader_id = 3,
                        .occurred_at = 1709283600,
                        .minutes = 35,
                        .mode = rows[i].mode,
                        .key_functions = PL_KF_SOCIAL_EMOTIONAL | PL_KF_ONGOING | (1u << 5),
                        .topics = 1u << PL_TOPIC_HEALTHY_COPING};
        fhir_encounter_view v = {2, PL_TIME_NONE, 4, "Li Wei"};
        json_object *o = fhir_encounter_json(&c, &v);
        json_object *cls = json_object_object_get(o, "class");
        assert_string_equal(json_object_get_string(json_object_object_get(cls, "system")),
                            rows[i].system);
        assert_string_equal(json_object_get_string(json_object_object_get(cls, "code")),
                            rows[i].code);
        json_object *back = parse(json_object_to_json_string(o));
        json_object_put(o);
        pl_arena a;
        pl_arena_init(&a, 1u << 16);
        fhir_encounter fe;
        pl_err err;
        pl_err_clear(&err);
        assert_int_equal(fhir_encounter_from_json(back, &a, &fe, &err), PL_OK);
        assert_int_equal(fe.c.mode, rows[i].mode);
        assert_int_equal(fe.c.key_functions, c.key_functions);
        assert_int_equal(fe.c.topics, c.topics);
        assert_int_equal(fe.c.occurred_at, c.occurred_at);
        assert_int_equal(fe.c.minutes, 35);
        assert_string_equal(fe.subject, "Patient/12");
        assert_string_equal(fe.practitioner, "Practitioner/4");
        json_object_put(back);
        pl_arena_free(&a);
    }
}

static void test_key_function_codes(void **state)
{
    (void)state;
    static const struct {
        const char *code;
        int bit;
    } rows[] = {
        {"daily_management", 0}, {"social_emotional", 1}, {"linkage", 2},    {"ongoing", 3},
        {"program-4", 4},        {"program-15", 15},      {"program-3", -1}, {"program-16", -1},
        {"program-", -1},        {"program-5x", -1},      {"Linkage", -1},   {"", -1},
    };
    char buf[FHIR_KF_CODE_LEN];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_int_equal(fhir_key_function_bit(rows[i].code), rows[i].bit);
        if (rows[i].bit >= 0)
            assert_string_equal(fhir_key_function_code(rows[i].bit, buf), rows[i].code);
    }
}

/* A valid Encounter with one member replaced by the given JSON text (NULL: removed). */
static void refused(const char *member, const char *value, const char *path)
{
    json_object *o = parse(
        "{\"resourceType\":\"Encounter\",\"status\":\"finished\",\"class\":{\"system\":"
        "\"http://terminology.hl7.org/CodeSystem/v3-ActCode\",\"code\":\"VR\"},\"type\":[{"
        "\"coding\":[{\"system\":\"" FHIR_CS_KEY_FUNCTION "\",\"code\":\"linkage\"}]}],"
        "\"subject\":{\"reference\":\"Patient/3\"},\"period\":{\"start\":\"2024-03-01T09:00:00Z\"},"
        "\"length\":{\"value\":20,\"code\":\"min\"}}");
    json_object_object_del(o, member);
    if (value)
        json_object_object_add(o, member, json_tokener_parse(value));
    pl_arena a;
    pl_arena_init(&a, 1u << 16);
    fhir_encounter fe;
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(fhir_encounter_from_json(o, &a, &fe, &err), PL_INVALID);
    bool named = false;
    for (int i = 0; i < err.nfields; i++)
        named = named || strcmp(err.fields[i].field, path) == 0;
    if (!named)
        fail_msg("%s=%s: expected an error at %s, first is %s", member, value ? value : "-", path,
                 err.nfields ? err.fields[0].field : "none");
    json_object_put(o);
    pl_arena_free(&a);
}

static void test_refusals_name_the_path(void **state)
{
    (void)state;
    refused("type", "[{\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"1\"}]}]",
            "type[0].coding[0].system");
    refused("type", "[{\"coding\":[{\"system\":\"" FHIR_CS_KEY_FUNCTION "\",\"code\":\"x\"}]}]",
            "type[0].coding[0].code");
    refused("type", NULL, "type");
    refused("subject", NULL, "subject");
    refused("period", NULL, "period.start");
    refused("period", "{\"start\":\"yesterday\"}", "period.start");
    refused("class", "{\"system\":\"urn:x\",\"code\":\"VR\"}", "class");
    refused("class", NULL, "class");
    refused("length", "{\"value\":601,\"code\":\"min\"}", "length.value");
    refused("length", "{\"value\":20,\"code\":\"h\"}", "length.code");
    refused("length", NULL, "length");
    refused("status", "\"planned\"", "status");
    refused("reasonCode", "[{\"coding\":[{\"system\":\"" FHIR_CS_TOPIC "\",\"code\":\"flying\"}]}]",
            "reasonCode[0].coding[0].code");
}

/* The writers' readers: one valid resource per type, a member replaced, the path named. */
static const struct {
    const char *base;
    const char *member, *value, *path;
} writes[] = {
#define ORG                                                                                        \
    "{\"resourceType\":\"Organization\",\"name\":\"A Practice\",\"type\":[{\"coding\":[{"          \
    "\"system\":\"" FHIR_CS_ORG_KIND "\",\"code\":\"practice\"}]}],\"partOf\":{\"reference\":"     \
    "\"Organization/2\"}}"
#define PRAC                                                                                       \
    "{\"resourceType\":\"PractitionerRole\",\"practitioner\":{\"reference\":\"Practitioner/4\"},"  \
    "\"code\":[{\"coding\":[{\"system\":\"" FHIR_CS_STAFF_ROLE "\",\"code\":\"navigator\"}]}]}"
#define GROUP                                                                                      \
    "{\"resourceType\":\"Group\",\"name\":\"Circle\",\"code\":{\"coding\":[{\"system\":"           \
    "\"" FHIR_CS_GROUP_KIND "\",\"code\":\"csmg\"}]},\"member\":[{\"entity\":{\"reference\":"      \
    "\"Patient/1\"}}]}"
    {ORG, "type", "[{\"coding\":[{\"system\":\"" FHIR_CS_ORG_KIND "\",\"code\":\"castle\"}]}]",
     "type"},
    {ORG, "type", NULL, "type"},
    {ORG, "name", "\"\"", "name"},
    {ORG, "partOf", "{\"reference\":\"Location/2\"}", "partOf.reference"},
    {ORG, "active", "false", "active"},
    {ORG, "identifier",
     "[{\"system\":\"urn:peerlink:org-unit-code\",\"value\":\"A\"},{\"system\":"
     "\"urn:peerlink:org-unit-code\",\"value\":\"B\"}]",
     "identifier[1]"},
    {PRAC, "practitioner", NULL, "practitioner"},
    {PRAC, "practitioner", "{\"reference\":\"Patient/4\"}", "practitioner.reference"},
    {PRAC, "code", "[{\"coding\":[{\"system\":\"" FHIR_CS_STAFF_ROLE "\",\"code\":\"wizard\"}]}]",
     "code"},
    {PRAC, "organization", "{\"reference\":\"Organization/x\"}", "organization.reference"},
    {PRAC, "active", "\"yes\"", "active"},
    {GROUP, "code", NULL, "code"},
    {GROUP, "type", "\"animal\"", "type"},
    {GROUP, "actual", "false", "actual"},
    {GROUP, "member", "[{\"entity\":{\"reference\":\"Group/1\"}}]", "member[0].entity.reference"},
    {GROUP, "member", "[{\"period\":{\"start\":\"2024-01-01\"}}]", "member[0].entity"},
    {GROUP, "member",
     "[{\"entity\":{\"reference\":\"Patient/1\"},\"period\":{\"start\":\"2024-05-01\",\"end\":"
     "\"2024-04-01\"}}]",
     "member[0].period.end"},
    {GROUP, "member", "[{\"entity\":{\"reference\":\"Patient/1\"},\"period\":{\"start\":\"May\"}}]",
     "member[0].period.start"},
    {GROUP, "member",
     "[{\"entity\":{\"reference\":\"Patient/1\"}},{\"entity\":{\"reference\":\"Patient/1\"}}]",
     "member[1].entity"},
    {GROUP, "extension",
     "[{\"url\":\"" FHIR_EXT_GROUP_LEADER "\",\"valueReference\":{\"reference\":\"Patient/1\"}}]",
     "extension[0].valueReference.reference"},
#undef ORG
#undef PRAC
#undef GROUP
};

static pl_status read_any(json_object *o, pl_arena *a, pl_err *err)
{
    json_object *rt;
    json_object_object_get_ex(o, "resourceType", &rt);
    const char *type = json_object_get_string(rt);
    if (strcmp(type, "Organization") == 0) {
        fhir_organization f;
        return fhir_organization_from_json(o, a, &f, err);
    }
    if (strcmp(type, "PractitionerRole") == 0) {
        fhir_practitioner_role f;
        return fhir_practitioner_role_from_json(o, a, &f, err);
    }
    fhir_group f;
    return fhir_group_from_json(o, a, &f, err);
}

static void test_write_readers_name_the_path(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
        pl_arena a;
        pl_arena_init(&a, 1u << 16);
        pl_err err;
        pl_err_clear(&err);
        json_object *o = parse(writes[i].base);
        assert_int_equal(read_any(o, &a, &err), PL_OK);
        json_object_object_del(o, writes[i].member);
        if (writes[i].value)
            json_object_object_add(o, writes[i].member, json_tokener_parse(writes[i].value));
        pl_err_clear(&err);
        assert_int_equal(read_any(o, &a, &err), PL_INVALID);
        bool named = false;
        for (int j = 0; j < err.nfields; j++)
            named = named || strcmp(err.fields[j].field, writes[i].path) == 0;
        if (!named)
            fail_msg("%s=%s: expected an error at %s, first is %s", writes[i].member,
                     writes[i].value ? writes[i].value : "-", writes[i].path,
                     err.nfields ? err.fields[0].field : "none");
        json_object_put(o);
        pl_arena_free(&a);
    }
}

/* A Group's dated memberships read back as written: current, ended, and a rejoin. */
static void test_group_round_trip(void **state)
{
    (void)state;
    pl_group g = {.id = 9, .unit_id = 4, .kind = PL_GROUP_CSMG, .name = "Circle", .active = true};
    pl_date d1, d2, d3;
    assert_int_equal(pl_date_parse("2024-01-02", &d1), PL_OK);
    assert_int_equal(pl_date_parse("2024-03-01", &d2), PL_OK);
    assert_int_equal(pl_date_parse("2024-04-01", &d3), PL_OK);
    pl_group_member m[] = {{.participant_id = 1, .joined_on = d1, .left_on = PL_DATE_NONE},
                           {.participant_id = 2, .joined_on = d1, .left_on = d2},
                           {.participant_id = 2, .joined_on = d3, .left_on = PL_DATE_NONE}};
    json_object *o = fhir_group_json(&g, m, 3, PL_TIME_NONE, 12);
    pl_arena a;
    pl_arena_init(&a, 1u << 16);
    fhir_group f;
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(fhir_group_from_json(o, &a, &f, &err), PL_OK);
    assert_string_equal(f.g.name, "Circle");
    assert_int_equal(f.g.kind, PL_GROUP_CSMG);
    assert_int_equal(f.unit, 4);
    assert_int_equal(f.leader, 12);
    assert_int_equal(f.nmembers, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(f.members[i].participant, m[i].participant_id);
        assert_int_equal(f.members[i].start, m[i].joined_on);
        assert_int_equal(f.members[i].end, m[i].left_on);
        assert_int_equal(f.members[i].current, m[i].left_on == PL_DATE_NONE);
    }
    json_object_put(o);
    pl_arena_free(&a);
}

PL_TEST_MAIN(cmocka_unit_test(test_modes_round_trip), cmocka_unit_test(test_key_function_codes),
             cmocka_unit_test(test_refusals_name_the_path),
             cmocka_unit_test(test_write_readers_name_the_path),
             cmocka_unit_test(test_group_round_trip))
