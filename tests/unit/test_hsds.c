/*
 * test_hsds.c - the HSDS reader and writer (src/hsds): the shared Open
 * Referral 3.1 examples read with what is kept, dropped and warned about;
 * every refusal named by its path in the document; syntax, shape and size
 * limits; entities met twice merged; the 1.1 taxonomy; and export read back
 * giving the same export.
 */
#include <string.h>

#include "test.h"

#include "core/buf.h"
#include "hsds/hsds.h"

static pl_status add(hsds_import *im, const char *text, pl_err *err)
{
    pl_err_clear(err);
    return hsds_import_add(im, text, strlen(text), err);
}

static int ignored(const hsds_count *c, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(c[i].name, name) == 0)
            return c[i].count;
    return 0;
}

/* Reads ../shared/data/hsds/3.1-examples/examples/<name> next to the source tree; NULL if absent.
 */
static char *read_example(const char *name, size_t *len)
{
    const char *root = getenv("PEERLINK_SOURCE_ROOT");
    char p[1024];
    snprintf(p, sizeof p, "%s/../shared/data/hsds/3.1-examples/examples/%s", root ? root : ".",
             name);
    FILE *f = fopen(p, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 20];
    *len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[*len] = '\0';
    return buf;
}

static void test_shared_examples(void **state)
{
    (void)state;
    size_t len;
    char *text = read_example("organization_full.json", &len);
    if (!text) {
        printf("# the shared HSDS examples are not next to the source tree\n");
        skip();
    }
    pl_arena a;
    pl_arena_init(&a, 0);
    hsds_import im;
    hsds_import_init(&im, &a);
    pl_err err;
    pl_err_clear(&err);
    if (hsds_import_add(&im, text, len, &err) != PL_OK) {
        test_dump_err(&err);
        fail_msg("organization_full.json: %s", err.message);
    }
    hsds_import_finish(&im);
    const store_rsc_dir *d = &im.dir;
    /* the location is listed under the organization and nested in the service_at_location */
    assert_int_equal(d->norgs, 1);
    assert_int_equal(d->nlocations, 1);
    assert_int_equal(d->nservices, 1);
    assert_int_equal(d->nsals, 1);
    assert_int_equal(d->nterms, 1);
    assert_string_equal(d->orgs[0].hsds_id, "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610");
    assert_string_equal(d->locations[0].organization_hsds_id, d->orgs[0].hsds_id);
    assert_false(d->locations[0].orphan);
    /* latitude 100 is not a latitude: warned about, not kept */
    assert_false(d->locations[0].has_coordinates);
    assert_int_equal(im.report.nwarnings, 2);
    assert_non_null(strstr(im.report.warnings[0], "latitude 100"));
    const store_rsc_service *s = &d->services[0];
    assert_string_equal(s->organization_hsds_id, d->orgs[0].hsds_id);
    assert_string_equal(s->status, "active");
    assert_non_null(strstr(s->fees_description, "flat rate"));
    assert_int_equal(s->nattributes, 1);
    assert_string_equal(s->attributes[0].term.hsds_id, "3f7b145d-84af-42d7-8fae-eaca714b02b2");
    assert_int_equal(s->nlanguages, 1);
    assert_string_equal(s->languages[0].code, "ur");
    assert_string_equal(s->schedules[0].byday, "TH,FR");
    assert_string_equal(s->schedules[0].opens_at, "10:00:00");
    assert_int_equal(s->phones[0].extension, 100);
    assert_string_equal(d->sals[0].location_hsds_id, d->locations[0].hsds_id);
    assert_string_equal(d->terms[0].taxonomy, "taxonomy");
    assert_false(d->terms[0].orphan);
    /* nothing dropped silently */
    const hsds_report *r = &im.report;
    assert_int_equal(ignored(r->ignored_entities, r->nignored_entities, "contact"), 5);
    assert_int_equal(ignored(r->ignored_entities, r->nignored_entities, "funding"), 2);
    assert_int_equal(ignored(r->ignored_entities, r->nignored_entities, "taxonomy"), 1);
    assert_int_equal(ignored(r->ignored_fields, r->nignored_fields, "service.wait_time"), 1);
    assert_int_equal(ignored(r->ignored_fields, r->nignored_fields, "schedule.timezone"), 4);
    assert_int_equal(ignored(r->ignored_fields, r->nignored_fields, "service.fees"), 1);
    assert_int_equal(ignored(r->ignored_fields, r->nignored_fields, "organization.logo"), 1);

    /* the other examples read into the same entities */
    const char *more[] = {"service_full.json",
                          "service_at_location_full.json",
                          "organization_list.json",
                          "service_list.json",
                          "service_at_location_list.json",
                          "taxonomy_term.json",
                          "taxonomy_term_list.json",
                          "location.json",
                          "base.json",
                          "taxonomy.json"};
    for (size_t i = 0; i < sizeof more / sizeof *more; i++) {
        text = read_example(more[i], &len);
        assert_non_null(text);
        pl_err_clear(&err);
        if (hsds_import_add(&im, text, len, &err) != PL_OK) {
            test_dump_err(&err);
            fail_msg("%s: %s", more[i], err.message);
        }
    }
    hsds_import_finish(&im);
    assert_int_equal(d->norgs, 1);
    assert_int_equal(d->nlocations, 1);
    assert_int_equal(d->nservices, 1);
    assert_int_equal(d->nsals, 1);
    assert_int_equal(d->nterms, 1);
    assert_int_equal(im.report.documents, 11);
    /* the abbreviated list items kept the lists the full objects brought */
    assert_int_equal(d->services[0].nattributes, 1);
    assert_int_equal(d->locations[0].naddresses, 1);
    assert_int_equal(ignored(r->ignored_entities, r->nignored_entities, "api_description"), 1);

    /* the tabular form is named, not misread */
    text = read_example("tabular.json", &len);
    pl_err_clear(&err);
    assert_int_equal(hsds_import_add(&im, text, len, &err), PL_USAGE);
    assert_non_null(strstr(err.message, "tabular"));
    pl_arena_free(&a);
}

static void test_field_errors_name_their_path(void **state)
{
    (void)state;
    pl_arena a;
    pl_arena_init(&a, 0);
    hsds_import im;
    hsds_import_init(&im, &a);
    pl_err err;
    const char *doc =
        "{\"id\": \"org-1\", \"name\": \"Org\", \"description\": \"d\", \"email\": \"nobody\","
        " \"website\": \"ftp://x\","
        " \"services\": ["
        "  {\"id\": \"s-1\", \"name\": \"Fine\", \"status\": \"active\"},"
        "  {\"id\": \"s-2\", \"status\": \"open\", \"url\": \"http://a b\","
        "   \"schedules\": [{\"id\": \"sc\", \"byday\": \"Monday\", \"opens_at\": \"9am\","
        "                    \"valid_from\": \"2026-02-30\", \"freq\": \"DAILY\"}],"
        "   \"languages\": [{\"id\": \"l\", \"code\": \"español\"}],"
        "   \"phones\": [{\"id\": \"p\", \"type\": \"walkie-talkie\", \"extension\": -1}]"
        "  },"
        "  {\"id\": \"has space\", \"name\": \"\", \"status\": \"active\", \"description\": 7}"
        " ],"
        " \"locations\": [{\"id\": \"loc\", \"location_type\": \"physical\", \"latitude\": \"41\","
        "   \"addresses\": [{\"id\": \"ad\", \"address_1\": \"1 Main\", \"city\": \"C\","
        "     \"state_province\": \"IL\", \"postal_code\": \"1\", \"country\": \"USA\","
        "     \"address_type\": \"physical\"}]}]"
        "}";
    assert_int_equal(add(&im, doc, &err), PL_INVALID);
    const struct {
        const char *field, *msg;
    } want[] = {
        {"email", "email address"},
        {"website", "http"},
        {"services[1].name", "is required"},
        {"services[1].status", "one of active"},
        {"services[1].url", "URL"},
        {"services[1].schedules[0].byday", "BYDAY"},
        {"services[1].schedules[0].opens_at", "time of day"},
        {"services[1].schedules[0].valid_from", "YYYY-MM-DD"},
        {"services[1].schedules[0].freq", "WEEKLY"},
        {"services[1].languages[0].code", "language code"},
        {"services[1].phones[0].number", "is required"},
        {"services[1].phones[0].type", "one of"},
        {"services[1].phones[0].extension", "whole number"},
        {"services[2].id", "HSDS id"},
        {"services[2].name", "blank"},
        {"services[2].description", "string"},
        {"locations[0].latitude", "number"},
        {"locations[0].addresses[0].country", "ISO 3166"},
    };
    bool bad = false;
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!test_field_error(&err, want[i].field, want[i].msg)) {
            printf("# no error on %s containing \"%s\"\n", want[i].field, want[i].msg);
            bad = true;
        }
    if (bad) {
        test_dump_err(&err);
        fail();
    }

    /* a service must say whose it is */
    hsds_import_init(&im, &a);
    assert_int_equal(add(&im, "{\"id\": \"s\", \"name\": \"n\", \"status\": \"active\"}", &err),
                     PL_INVALID);
    assert_true(test_field_error(&err, "organization_id", "provided by an organization"));
    /* and nested, must agree with its organization */
    hsds_import_init(&im, &a);
    assert_int_equal(add(&im,
                         "{\"id\": \"o\", \"name\": \"n\", \"description\": \"d\", \"services\":"
                         " [{\"id\": \"s\", \"name\": \"n\", \"status\": \"active\","
                         " \"organization_id\": \"other\"}]}",
                         &err),
                     PL_INVALID);
    assert_true(test_field_error(&err, "services[0].organization_id", "nested in o"));
    /* a service_at_location needs a location */
    hsds_import_init(&im, &a);
    assert_int_equal(add(&im, "[{\"id\": \"sal\", \"service_id\": \"s\"}]", &err), PL_INVALID);
    assert_true(test_field_error(&err, "[0].location_id", "required"));
    /* something that is no HSDS object */
    hsds_import_init(&im, &a);
    assert_int_equal(add(&im, "{\"hello\": \"world\"}", &err), PL_INVALID);
    assert_true(test_field_error(&err, "(document)", "not an HSDS"));
    assert_int_equal(add(&im, "[1, {\"id\": \"x\"}]", &err), PL_INVALID);
    assert_true(test_field_error(&err, "[0]", "must be an object"));
    pl_arena_free(&a);
}

static void test_syntax_and_limits(void **state)
{
    (void)state;
    pl_arena a;
    pl_arena_init(&a, 0);
    hsds_import im;
    hsds_import_init(&im, &a);
    pl_err err;
    assert_int_equal(add(&im, "{\"id\": 'o'}", &err), PL_USAGE);
    assert_non_null(strstr(err.message, "offset 7"));
    assert_int_equal(add(&im, "[{\"id\": \"o\"}] x", &err), PL_USAGE);
    assert_int_equal(add(&im, "", &err), PL_USAGE);
    assert_int_equal(add(&im, "42", &err), PL_USAGE);
    assert_int_equal(add(&im, "{\"id\": \"a\\ud800\"}", &err), PL_USAGE);
    /* a key twice in a nested object: refused, not one of them kept */
    assert_int_equal(add(&im,
                         "{\"id\": \"o\", \"name\": \"n\", \"description\": \"d\", \"phones\":"
                         " [{\"id\": \"p\", \"number\": \"1\", \"number\": \"2\"}]}",
                         &err),
                     PL_USAGE);
    assert_non_null(strstr(err.message, "twice"));
    /* nesting */
    char deep[200];
    size_t k = 0;
    for (int i = 0; i < 40; i++)
        deep[k++] = '[';
    for (int i = 0; i < 40; i++)
        deep[k++] = ']';
    deep[k] = '\0';
    assert_int_equal(add(&im, deep, &err), PL_USAGE);
    assert_non_null(strstr(err.message, "nested more than 32"));
    /* size: refused before a byte is read */
    pl_err_clear(&err);
    assert_int_equal(hsds_import_add(&im, "[]", (size_t)HSDS_MAX_BYTES + 1, &err), PL_LIMIT);
    /* a list longer than a list may be */
    pl_buf b;
    pl_buf_init(&b, 0);
    pl_buf_puts(&b, "{\"id\": \"o\", \"name\": \"n\", \"description\": \"d\", \"phones\": [");
    for (int i = 0; i <= STORE_RSC_MAX_CHILDREN; i++)
        pl_buf_printf(&b, "%s{\"id\": \"p%d\", \"number\": \"1\"}", i ? "," : "", i);
    pl_buf_puts(&b, "]}");
    hsds_import_init(&im, &a);
    assert_int_equal(add(&im, b.data, &err), PL_INVALID);
    assert_true(test_field_error(&err, "phones", "at most 200"));
    /* more entities than an import may hold */
    b.len = 0;
    pl_buf_puts(&b, "[");
    for (int i = 0; i <= STORE_RSC_MAX_ENTITIES; i++)
        pl_buf_printf(&b, "%s{\"id\":\"o%d\",\"name\":\"n\",\"description\":\"d\"}", i ? "," : "",
                      i);
    pl_buf_puts(&b, "]");
    hsds_import_init(&im, &a);
    assert_int_equal(add(&im, b.data, &err), PL_LIMIT);
    assert_non_null(strstr(err.message, "more than 20000"));
    pl_buf_free(&b);
    pl_arena_free(&a);
}

static void test_merges_orphans_and_v11(void **state)
{
    (void)state;
    pl_arena a;
    pl_arena_init(&a, 0);
    hsds_import im;
    hsds_import_init(&im, &a);
    pl_err err;
    const char *doc =
        "[{\"id\": \"o\", \"name\": \"n\", \"description\": \"d\","
        "  \"locations\": [{\"id\": \"l1\", \"location_type\": \"physical\","
        "    \"languages\": [{\"id\": \"la\", \"code\": \"es\"}]}],"
        "  \"services\": [{\"id\": \"s\", \"name\": \"Food\", \"status\": \"active\","
        "    \"taxonomy\": [{\"id\": \"t1\", \"name\": \"Food Pantry\", \"vocabulary\": \"AIRS\","
        "                   \"parent_name\": \"Food\"}],"
        "    \"service_at_locations\": [{\"id\": \"sal\", \"location\":"
        "       {\"id\": \"l1\", \"location_type\": \"physical\", \"name\": \"Later name\"}},"
        "       {\"id\": \"sal2\", \"location\": {\"id\": \"l2\", \"location_type\": \"virtual\"}}]"
        "  }]},"
        " {\"id\": \"l3\", \"location_type\": \"postal\"},"
        " {\"id\": \"t2\", \"name\": \"Unused\", \"code\": \"u\"}]";
    if (add(&im, doc, &err) != PL_OK) {
        test_dump_err(&err);
        fail_msg("%s", err.message);
    }
    hsds_import_finish(&im);
    const store_rsc_dir *d = &im.dir;
    assert_int_equal(d->nlocations, 3);
    /* l1: the later occurrence's fields, the earlier one's organization and languages */
    assert_string_equal(d->locations[0].hsds_id, "l1");
    assert_string_equal(d->locations[0].name, "Later name");
    assert_string_equal(d->locations[0].organization_hsds_id, "o");
    assert_int_equal(d->locations[0].nlanguages, 1);
    assert_false(d->locations[0].orphan);
    /* l2 has no organization but a service_at_location uses it; l3 nothing uses */
    assert_false(d->locations[1].orphan);
    assert_true(d->locations[2].orphan);
    /* 1.1 taxonomy: a term (vocabulary as taxonomy) and an attribute tying it to the service */
    assert_int_equal(d->services[0].nattributes, 1);
    assert_string_equal(d->services[0].attributes[0].hsds_id, "s:t1");
    assert_string_equal(d->services[0].attributes[0].term.hsds_id, "t1");
    assert_string_equal(d->terms[0].taxonomy, "AIRS");
    assert_false(d->terms[0].orphan);
    assert_true(d->terms[1].orphan);
    assert_int_equal(
        ignored(im.report.ignored_fields, im.report.nignored_fields, "taxonomy_term.parent_name"),
        1);
    pl_arena_free(&a);
}

static void test_export_reads_back(void **state)
{
    (void)state;
    pl_arena a;
    pl_arena_init(&a, 0);
    hsds_import im;
    hsds_import_init(&im, &a);
    pl_err err;
    const char *doc =
        "[{\"id\": \"o2\", \"name\": \"Zeta\", \"description\": \"d\", \"website\":"
        "  \"https://z.example\", \"phones\": [{\"id\": \"p\", \"number\": \"555\", \"extension\":"
        "  7, \"languages\": [{\"id\": \"pl\", \"code\": \"zh-CN\", \"name\": \"Chinese\"}]}],"
        "  \"locations\": [{\"id\": \"l1\", \"location_type\": \"physical\", \"latitude\": 31.2018,"
        "   \"longitude\": 121.438, \"addresses\": [{\"id\": \"a\", \"address_1\": \"天平路 88 "
        "号\","
        "   \"city\": \"上海市\", \"state_province\": \"上海市\", \"postal_code\": \"200030\","
        "   \"country\": \"CN\", \"address_type\": \"physical\"}]}],"
        "  \"services\": [{\"id\": \"s1\", \"name\": \"食堂\", \"status\": \"active\","
        "   \"schedules\": [{\"id\": \"sc\", \"freq\": \"WEEKLY\", \"byday\": \"MO,TU\","
        "     \"opens_at\": \"11:00\", \"closes_at\": \"13:00\", \"valid_from\": \"2026-01-01\"}],"
        "   \"attributes\": [{\"id\": \"at\", \"taxonomy_term\": {\"id\": \"t\", \"code\": "
        "     \"food\", \"name\": \"Food\"}}],"
        "   \"service_at_locations\": [{\"id\": \"sal1\", \"location_id\": \"l1\"},"
        "     {\"id\": \"sal2\", \"location\": {\"id\": \"lv\", \"location_type\": "
        "\"virtual\"}}]}]},"
        " {\"id\": \"o1\", \"name\": \"Alpha\", \"description\": \"d\"}]";
    if (add(&im, doc, &err) != PL_OK) {
        test_dump_err(&err);
        fail_msg("%s", err.message);
    }
    hsds_import_finish(&im);
    json_object *first = hsds_export(&im.dir);
    assert_non_null(first);
    const char *text1 = pl_arena_strdup(&a, json_object_to_json_string_ext(first, 0));
    json_object_put(first);
    /* organizations in id order; the SAL names an owned location, nests an unowned one */
    assert_true(strstr(text1, "\"o1\"") < strstr(text1, "\"o2\""));
    assert_non_null(strstr(text1, "\"location_id\":\"l1\""));
    assert_non_null(strstr(text1, "\"location\":{\"id\":\"lv\""));
    assert_non_null(strstr(text1, "\"latitude\":31.2018"));

    hsds_import back;
    hsds_import_init(&back, &a);
    if (add(&back, text1, &err) != PL_OK) {
        test_dump_err(&err);
        fail_msg("export read back: %s", err.message);
    }
    hsds_import_finish(&back);
    assert_int_equal(back.report.nignored_fields, 0);
    assert_int_equal(back.report.nignored_entities, 0);
    assert_int_equal(back.report.nwarnings, 0);
    json_object *second = hsds_export(&back.dir);
    assert_string_equal(json_object_to_json_string_ext(second, 0), text1);
    json_object_put(second);
    pl_arena_free(&a);
}

PL_TEST_MAIN(cmocka_unit_test(test_shared_examples),
             cmocka_unit_test(test_field_errors_name_their_path),
             cmocka_unit_test(test_syntax_and_limits),
             cmocka_unit_test(test_merges_orphans_and_v11),
             cmocka_unit_test(test_export_reads_back))
