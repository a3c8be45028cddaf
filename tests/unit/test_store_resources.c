/*
 * test_store_resources.c - the resource directory and referrals of the
 * SQLite store (sqlite_resources.c, sqlite_referrals.c) on real database
 * files: import by HSDS id (again: updates, no duplicates), child lists
 * replaced only when given, references and the program checked, nothing
 * written by a refused import, orphans not kept, the whole directory read
 * back, search by category, text, language and status within the visible
 * programs, and referrals with their closed-loop history, versions, scope,
 * the worklist's stale query and the linkage counts.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "test_db.h"

#include "core/time.h"
#include "store/store.h"

static char dir[64];
static char file[128];
static char path[256]; /* file, or a PostgreSQL URL (test_db.h) */

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/pl-rsc-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(file, sizeof file, "%s/test.db", dir);
    test_db_fresh(file, path, sizeof path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[160];
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", file, suffix[i]);
        unlink(p);
    }
    rmdir(dir);
    test_db_drop(path);
    return 0;
}

/* ---- fixture: two programs, a community, two participants, a peer leader ---- */

typedef struct world {
    pl_org_unit program, other, community, other_community;
    pl_participant p1, p2, p3; /* p1, p2 in community (p1 assigned to leader); p3 in other */
    pl_peer_leader leader;
    pl_staff_account account;
} world;

static pl_status world_write(store_tx *tx, void *ctx, pl_err *err)
{
    world *w = ctx;
    pl_status st;
    if ((st = store_org_unit_insert(tx, &w->program, err)) != PL_OK ||
        (st = store_org_unit_insert(tx, &w->other, err)) != PL_OK)
        return st;
    w->community.parent_id = w->community.program_id = w->program.id;
    w->other_community.parent_id = w->other_community.program_id = w->other.id;
    if ((st = store_org_unit_insert(tx, &w->community, err)) != PL_OK ||
        (st = store_org_unit_insert(tx, &w->other_community, err)) != PL_OK)
        return st;
    w->leader.program_id = w->program.id;
    w->leader.home_unit_id = w->community.id;
    if ((st = store_peer_leader_insert(tx, &w->leader, err)) != PL_OK)
        return st;
    pl_participant *ps[] = {&w->p1, &w->p2, &w->p3};
    for (int i = 0; i < 3; i++) {
        ps[i]->program_id = i < 2 ? w->program.id : w->other.id;
        ps[i]->home_unit_id = i < 2 ? w->community.id : w->other_community.id;
        ps[i]->peer_leader_id = i == 0 ? w->leader.id : 0;
        if ((st = store_participant_insert(tx, ps[i], err)) != PL_OK)
            return st;
    }
    return store_staff_account_insert(tx, &w->account, "$argon2id$v=19$fake", err);
}

static store *open_world(world *w)
{
    memset(w, 0, sizeof *w);
    w->program = (pl_org_unit){.kind = PL_ORG_PROGRAM, .name = "Mi Salud", .language = "es"};
    w->other = (pl_org_unit){.kind = PL_ORG_PROGRAM, .name = "Shanghai", .language = "zh-CN"};
    w->community = (pl_org_unit){.kind = PL_ORG_PRACTICE, .name = "Alivio", .code = "AMC"};
    w->other_community = (pl_org_unit){.kind = PL_ORG_COMMUNITY, .name = "Tianping", .code = "TP"};
    w->leader = (pl_peer_leader){.kind = PL_LEADER_PROMOTOR,
                                 .languages = "es,en",
                                 .training_hours = 40,
                                 .active = true,
                                 .person = {.given_name = "Rosa", .sex = PL_SEX_FEMALE}};
    const char *names[] = {"Ana", "Beto", "Chen"};
    pl_participant *ps[] = {&w->p1, &w->p2, &w->p3};
    for (int i = 0; i < 3; i++)
        *ps[i] = (pl_participant){.person = {.given_name = names[i], .sex = PL_SEX_FEMALE},
                                  .treatment = PL_TREAT_ORAL,
                                  .enrol_date = pl_date_from_ymd(2025, 3, 1),
                                  .status = PL_ENROL_ENROLLED,
                                  .consent = true,
                                  .risk_tier = PL_RISK_STANDARD};
    w->account = (pl_staff_account){.username = "nav", .role = PL_ROLE_NAVIGATOR};
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    store_options o = {.create = true, .synchronous_normal = true};
    if (store_open(path, &o, &s, &err) != PL_OK)
        fail_msg("store_open: %s", err.message);
    w->account.scope_unit_id = 0;
    if (store_write(s, world_write, w, &err) != PL_OK)
        fail_msg("world: %s (%s)", err.message, pl_err_text(&err));
    return s;
}

/* ---- a small directory ---------------------------------------------------------- */

typedef struct sample {
    store_rsc_term terms[2];
    store_rsc_org orgs[2];
    store_rsc_location locations[3];
    store_rsc_service services[3];
    store_rsc_sal sals[2];
    store_rsc_phone phones[2];
    store_rsc_language langs[2], loc_langs[1];
    store_rsc_schedule schedules[1];
    store_rsc_address addresses[1];
    store_rsc_attribute attrs[2], attrs2[1];
    store_rsc_dir dir;
} sample;

static void sample_init(sample *x)
{
    memset(x, 0, sizeof *x);
    x->terms[0] = (store_rsc_term){
        .hsds_id = "t-food", .code = "food", .name = "Food", .taxonomy = "peerlink needs"};
    x->terms[1] = (store_rsc_term){.hsds_id = "t-legal", .code = "legal", .name = "Legal help"};
    x->langs[0] = (store_rsc_language){.hsds_id = "lang-1", .name = "Spanish", .code = "es-MX"};
    x->langs[1] = (store_rsc_language){.hsds_id = "lang-2", .name = "English", .code = "en"};
    x->loc_langs[0] = (store_rsc_language){.hsds_id = "lang-3", .name = "Polish", .code = "pl"};
    x->phones[0] = (store_rsc_phone){.hsds_id = "ph-1",
                                     .number = "+1 312 555 0141",
                                     .extension = 12,
                                     .type = "voice",
                                     .languages = x->langs,
                                     .nlanguages = 1};
    x->phones[1] =
        (store_rsc_phone){.hsds_id = "ph-2", .number = "+1 312 555 0199", .extension = -1};
    x->schedules[0] = (store_rsc_schedule){.hsds_id = "sch-1",
                                           .freq = "WEEKLY",
                                           .interval = 1,
                                           .byday = "WE,SA",
                                           .opens_at = "09:00",
                                           .closes_at = "12:00",
                                           .valid_from = pl_date_from_ymd(2026, 1, 1),
                                           .valid_to = PL_DATE_NONE,
                                           .description = "Mornings"};
    x->addresses[0] = (store_rsc_address){.hsds_id = "addr-1",
                                          .address_1 = "1850 S Blue Island Ave",
                                          .city = "Chicago",
                                          .state_province = "IL",
                                          .postal_code = "60608",
                                          .country = "US",
                                          .address_type = "physical"};
    x->attrs[0] =
        (store_rsc_attribute){.hsds_id = "at-1", .term = {.hsds_id = "t-food"}, .value = "pantry"};
    x->attrs2[0] = (store_rsc_attribute){.hsds_id = "at-2", .term = {.hsds_id = "t-legal"}};
    x->orgs[0] = (store_rsc_org){.hsds_id = "org-a",
                                 .name = "Pilsen Food Network",
                                 .description = "Food pantries",
                                 .phones = x->phones,
                                 .nphones = 1,
                                 .has_phones = true,
                                 .path = "[0]"};
    x->orgs[1] = (store_rsc_org){.hsds_id = "org-b", .name = "Legal Clinic", .path = "[1]"};
    x->locations[0] = (store_rsc_location){.hsds_id = "loc-1",
                                           .organization_hsds_id = "org-a",
                                           .location_type = "physical",
                                           .name = "Pantry",
                                           .has_coordinates = true,
                                           .latitude = 41.8565,
                                           .longitude = -87.66,
                                           .addresses = x->addresses,
                                           .naddresses = 1,
                                           .has_addresses = true,
                                           .languages = x->loc_langs,
                                           .nlanguages = 1,
                                           .has_languages = true};
    /* no organization, but a service_at_location uses it: kept */
    x->locations[1] = (store_rsc_location){
        .hsds_id = "loc-2", .location_type = "virtual", .name = "Hotline", .path = "[9]"};
    /* no organization and nothing uses it: an orphan */
    x->locations[2] = (store_rsc_location){
        .hsds_id = "loc-3", .location_type = "postal", .orphan = true, .path = "[8]"};
    x->services[0] = (store_rsc_service){.hsds_id = "svc-1",
                                         .organization_hsds_id = "org-a",
                                         .name = "Despensa comunitaria",
                                         .description = "Alimentación para familias",
                                         .status = "active",
                                         .phones = x->phones + 1,
                                         .nphones = 1,
                                         .has_phones = true,
                                         .languages = x->langs,
                                         .nlanguages = 2,
                                         .has_languages = true,
                                         .schedules = x->schedules,
                                         .nschedules = 1,
                                         .has_schedules = true,
                                         .attributes = x->attrs,
                                         .nattributes = 1,
                                         .has_attributes = true,
                                         .path = "[0].services[0]"};
    x->services[1] = (store_rsc_service){.hsds_id = "svc-2",
                                         .organization_hsds_id = "org-b",
                                         .name = "Eviction defence",
                                         .description = "Lawyers for tenants",
                                         .status = "active",
                                         .attributes = x->attrs2,
                                         .nattributes = 1,
                                         .has_attributes = true,
                                         .path = "[1].services[0]"};
    x->services[2] = (store_rsc_service){.hsds_id = "svc-3",
                                         .organization_hsds_id = "org-a",
                                         .name = "Old soup kitchen",
                                         .description = "Closed since 2020",
                                         .status = "defunct",
                                         .path = "[0].services[1]"};
    x->sals[0] = (store_rsc_sal){.hsds_id = "sal-1",
                                 .service_hsds_id = "svc-1",
                                 .location_hsds_id = "loc-1",
                                 .schedules = x->schedules,
                                 .nschedules = 1,
                                 .has_schedules = true};
    x->sals[1] = (store_rsc_sal){
        .hsds_id = "sal-2", .service_hsds_id = "svc-2", .location_hsds_id = "loc-2"};
    x->dir = (store_rsc_dir){.terms = x->terms,
                             .nterms = 2,
                             .orgs = x->orgs,
                             .norgs = 2,
                             .locations = x->locations,
                             .nlocations = 3,
                             .services = x->services,
                             .nservices = 3,
                             .sals = x->sals,
                             .nsals = 2};
}

typedef struct import_job {
    pl_id program_id;
    const store_rsc_dir *dir;
    store_rsc_import_counts counts;
} import_job;

static pl_status import_write(store_tx *tx, void *ctx, pl_err *err)
{
    import_job *j = ctx;
    return store_resource_import(tx, j->program_id, j->dir, 1760000000, &j->counts, err);
}

static pl_status import(store *s, pl_id program, const store_rsc_dir *d, import_job *j, pl_err *err)
{
    memset(j, 0, sizeof *j);
    j->program_id = program;
    j->dir = d;
    pl_err_clear(err);
    return store_write(s, import_write, j, err);
}

static int count_rows(const char *table)
{
    char q[128];
    snprintf(q, sizeof q, "SELECT count(*) FROM %s", table);
    int n = (int)test_db_int(path, q);
    assert_true(n >= 0);
    return n;
}

static const store_rsc_service *find_service(const store_rsc_dir *d, const char *id)
{
    for (int i = 0; i < d->nservices; i++)
        if (strcmp(d->services[i].hsds_id, id) == 0)
            return &d->services[i];
    fail_msg("service %s not loaded", id);
    return NULL;
}

/* ---- import ------------------------------------------------------------------------- */

static void test_import_round_trip(void **state)
{
    (void)state;
    world w;
    store *s = open_world(&w);
    sample x;
    sample_init(&x);
    import_job j;
    pl_err err;
    if (import(s, w.program.id, &x.dir, &j, &err) != PL_OK)
        fail_msg("import: %s (%s)", err.message, pl_err_text(&err));
    assert_int_equal(j.counts.created[STORE_RSC_ORGANIZATION], 2);
    assert_int_equal(j.counts.created[STORE_RSC_LOCATION], 2);
    assert_int_equal(j.counts.not_kept[STORE_RSC_LOCATION], 1);
    assert_int_equal(j.counts.created[STORE_RSC_SERVICE], 3);
    assert_int_equal(j.counts.created[STORE_RSC_SERVICE_AT_LOCATION], 2);
    assert_int_equal(j.counts.created[STORE_RSC_TERM], 2);
    assert_int_equal(j.counts.phones, 2);
    assert_int_equal(j.counts.languages, 4); /* service 2, location 1, phone 1 */
    assert_int_equal(j.counts.schedules, 2);
    assert_int_equal(j.counts.addresses, 1);
    assert_int_equal(j.counts.attributes, 2);

    /* the same directory again: everything updated, nothing new */
    if (import(s, w.program.id, &x.dir, &j, &err) != PL_OK)
        fail_msg("re-import: %s", err.message);
    for (int k = 0; k < STORE_RSC__KINDS; k++)
        assert_int_equal(j.counts.created[k], 0);
    assert_int_equal(j.counts.updated[STORE_RSC_SERVICE], 3);
    assert_int_equal(count_rows("resource_service"), 3);
    assert_int_equal(count_rows("resource_phone"), 2);
    assert_int_equal(count_rows("resource_language"), 4);
    assert_int_equal(count_rows("resource_attribute"), 2);

    /* the same file into another program: a directory of its own */
    if (import(s, w.other.id, &x.dir, &j, &err) != PL_OK)
        fail_msg("other program: %s", err.message);
    assert_int_equal(j.counts.created[STORE_RSC_SERVICE], 3);
    assert_int_equal(count_rows("resource_service"), 6);

    /* read back whole, in hsds_id order, with every child */
    pl_arena a;
    pl_arena_init(&a, 0);
    store_rsc_dir d;
    pl_err_clear(&err);
    assert_int_equal(store_resource_dir_load(s, w.program.id, &a, &d, &err), PL_OK);
    assert_int_equal(d.norgs, 2);
    assert_int_equal(d.nlocations, 2);
    assert_int_equal(d.nservices, 3);
    assert_int_equal(d.nsals, 2);
    assert_int_equal(d.nterms, 2);
    assert_string_equal(d.orgs[0].hsds_id, "org-a");
    assert_int_equal(d.orgs[0].nphones, 1);
    assert_int_equal(d.orgs[0].phones[0].extension, 12);
    assert_int_equal(d.orgs[0].phones[0].nlanguages, 1);
    assert_string_equal(d.orgs[0].phones[0].languages[0].code, "es-MX");
    assert_string_equal(d.locations[0].hsds_id, "loc-1");
    assert_true(d.locations[0].has_coordinates);
    assert_true(d.locations[0].latitude == 41.8565);
    assert_string_equal(d.locations[0].organization_hsds_id, "org-a");
    assert_string_equal(d.locations[0].addresses[0].postal_code, "60608");
    assert_null(d.locations[1].organization_hsds_id);
    assert_false(d.locations[1].has_coordinates);
    const store_rsc_service *s1 = find_service(&d, "svc-1");
    assert_string_equal(s1->organization_hsds_id, "org-a");
    assert_string_equal(s1->description, "Alimentación para familias");
    assert_int_equal(s1->nlanguages, 2);
    assert_string_equal(s1->languages[1].code, "en");
    assert_int_equal(s1->nschedules, 1);
    assert_string_equal(s1->schedules[0].byday, "WE,SA");
    assert_int_equal(s1->schedules[0].valid_from, pl_date_from_ymd(2026, 1, 1));
    assert_true(s1->schedules[0].valid_to == PL_DATE_NONE);
    assert_int_equal(s1->nattributes, 1);
    assert_string_equal(s1->attributes[0].term.code, "food");
    assert_string_equal(s1->attributes[0].term.taxonomy, "peerlink needs");
    assert_string_equal(s1->attributes[0].value, "pantry");
    assert_string_equal(d.sals[0].service_hsds_id, "svc-1");
    assert_string_equal(d.sals[0].location_hsds_id, "loc-1");
    assert_int_equal(d.sals[0].nschedules, 1);
    assert_string_equal(d.sals[1].location_hsds_id, "loc-2");

    /* a child list not given is left as it was; a given one is replaced whole */
    x.services[0].has_languages = false;
    x.services[0].nphones = 0;
    x.services[0].name = "Despensa (renamed)";
    if (import(s, w.program.id, &x.dir, &j, &err) != PL_OK)
        fail_msg("partial: %s", err.message);
    pl_arena_reset(&a);
    assert_int_equal(store_resource_dir_load(s, w.program.id, &a, &d, &err), PL_OK);
    s1 = find_service(&d, "svc-1");
    assert_string_equal(s1->name, "Despensa (renamed)");
    assert_int_equal(s1->nlanguages, 2);
    assert_int_equal(s1->nphones, 0);

    /* a location imported without an organization keeps the one it has */
    x.locations[0].organization_hsds_id = NULL;
    x.locations[0].orphan = false;
    if (import(s, w.program.id, &x.dir, &j, &err) != PL_OK)
        fail_msg("location: %s", err.message);
    pl_arena_reset(&a);
    assert_int_equal(store_resource_dir_load(s, w.program.id, &a, &d, &err), PL_OK);
    assert_string_equal(d.locations[0].organization_hsds_id, "org-a");
    /* an orphan already in the directory is updated */
    store_rsc_location again = x.locations[1];
    again.orphan = true;
    again.name = "Hotline 24/7";
    store_rsc_dir one = {.locations = &again, .nlocations = 1};
    if (import(s, w.program.id, &one, &j, &err) != PL_OK)
        fail_msg("orphan update: %s", err.message);
    assert_int_equal(j.counts.updated[STORE_RSC_LOCATION], 1);
    assert_int_equal(j.counts.not_kept[STORE_RSC_LOCATION], 0);

    pl_arena_free(&a);
    store_close(s);
}

static void test_import_refusals_change_nothing(void **state)
{
    (void)state;
    world w;
    store *s = open_world(&w);
    sample x;
    sample_init(&x);
    import_job j;
    pl_err err;

    /* a service naming an organization nobody has: the whole import is refused */
    x.services[1].organization_hsds_id = "org-missing";
    assert_int_equal(import(s, w.program.id, &x.dir, &j, &err), PL_INVALID);
    assert_true(test_field_error(&err, "[1].services[0].organization_id", "org-missing"));
    assert_int_equal(count_rows("resource_organization"), 0);
    assert_int_equal(count_rows("resource_service"), 0);
    assert_int_equal(count_rows("resource_term"), 0);

    /* an attribute naming a term nobody has */
    sample_init(&x);
    x.attrs[0].term.hsds_id = "t-none";
    assert_int_equal(import(s, w.program.id, &x.dir, &j, &err), PL_INVALID);
    assert_true(test_field_error(&err, "[0].services[0].attributes[0].taxonomy_term_id", "t-none"));
    assert_int_equal(count_rows("resource_service"), 0);

    /* a service_at_location naming an unknown location */
    sample_init(&x);
    x.sals[1].location_hsds_id = "loc-none";
    assert_int_equal(import(s, w.program.id, &x.dir, &j, &err), PL_INVALID);
    assert_int_equal(count_rows("resource_service_at_location"), 0);

    /* a directory belongs to a program, not to a community */
    sample_init(&x);
    assert_int_equal(import(s, w.community.id, &x.dir, &j, &err), PL_INVALID);
    assert_true(test_field_error(&err, "program_id", "program"));
    assert_int_equal(import(s, 999, &x.dir, &j, &err), PL_INVALID);
    assert_int_equal(count_rows("resource_organization"), 0);

    /* out-of-range coordinates are refused by the database itself */
    sample_init(&x);
    x.locations[0].latitude = 100;
    assert_int_equal(import(s, w.program.id, &x.dir, &j, &err), PL_INVALID);
    assert_int_equal(count_rows("resource_location"), 0);
    store_close(s);
}

/* ---- search ------------------------------------------------------------------------ */

static int search(store *s, store_rsc_filter f, const char *want_first)
{
    pl_arena a;
    pl_arena_init(&a, 0);
    store_rsc_service *items;
    int n;
    pl_err err;
    pl_err_clear(&err);
    if (store_resource_search(s, &f, (store_page){0, 50}, &a, &items, &n, &err) != PL_OK)
        fail_msg("search: %s", pl_err_text(&err));
    if (want_first) {
        if (n == 0)
            fail_msg("no result for category %s, text %s, language %s, status %s, unit %lld",
                     f.category ? f.category : "-", f.text ? f.text : "-",
                     f.language ? f.language : "-", f.status ? f.status : "-",
                     (long long)f.scope_unit);
        assert_string_equal(items[0].hsds_id, want_first);
    }
    pl_arena_free(&a);
    return n;
}

static void test_search(void **state)
{
    (void)state;
    world w;
    store *s = open_world(&w);
    sample x;
    sample_init(&x);
    import_job j;
    pl_err err;
    if (import(s, w.program.id, &x.dir, &j, &err) != PL_OK)
        fail_msg("import: %s", err.message);
    pl_id p = w.program.id;

    assert_int_equal(search(s, (store_rsc_filter){.program_id = p}, "svc-1"), 3);
    /* category: a term's code, or its name in any case */
    assert_int_equal(search(s, (store_rsc_filter){.category = "food"}, "svc-1"), 1);
    assert_int_equal(search(s, (store_rsc_filter){.category = "legal HELP"}, "svc-2"), 1);
    assert_int_equal(search(s, (store_rsc_filter){.category = "housing"}, NULL), 0);
    /* text: words as prefixes, case and accents folded, all required */
    assert_int_equal(search(s, (store_rsc_filter){.text = "alimentacion"}, "svc-1"), 1);
    assert_int_equal(search(s, (store_rsc_filter){.text = "DESPENS"}, "svc-1"), 1);
    assert_int_equal(search(s, (store_rsc_filter){.text = "lawyers tenants"}, "svc-2"), 1);
    assert_int_equal(search(s, (store_rsc_filter){.text = "lawyers food"}, NULL), 0);
    /* FTS5 syntax in the text is only punctuation: no operator, no error */
    assert_int_equal(search(s, (store_rsc_filter){.text = "\"tenant*)( ^:"}, "svc-2"), 1);
    assert_int_equal(search(s, (store_rsc_filter){.text = "tenant OR food"}, NULL), 0);
    /* language: the service's or a location's, by primary subtag, any case */
    assert_int_equal(search(s, (store_rsc_filter){.language = "ES"}, "svc-1"), 1);
    assert_int_equal(search(s, (store_rsc_filter){.language = "es-mx"}, "svc-1"), 1);
    assert_int_equal(search(s, (store_rsc_filter){.language = "pl"}, "svc-1"), 1);
    assert_int_equal(search(s, (store_rsc_filter){.language = "zh"}, NULL), 0);
    /* status, and every filter together */
    assert_int_equal(search(s, (store_rsc_filter){.status = "defunct"}, "svc-3"), 1);
    assert_int_equal(search(s,
                            (store_rsc_filter){.program_id = p,
                                               .category = "food",
                                               .text = "familias",
                                               .language = "en",
                                               .status = "active"},
                            "svc-1"),
                     1);
    /* scope: a unit sees the directories of its program, not another's */
    assert_int_equal(search(s, (store_rsc_filter){.scope_unit = w.community.id}, "svc-1"), 3);
    assert_int_equal(search(s, (store_rsc_filter){.scope_unit = w.other_community.id}, NULL), 0);
    assert_int_equal(search(s, (store_rsc_filter){.program_id = w.other.id}, NULL), 0);

    /* a text without a word is refused on q */
    pl_arena a;
    pl_arena_init(&a, 0);
    store_rsc_service *items;
    int n;
    pl_err_clear(&err);
    store_rsc_filter bad = {.text = " -- ! "};
    assert_int_equal(store_resource_search(s, &bad, (store_page){0, 10}, &a, &items, &n, &err),
                     PL_INVALID);
    assert_true(test_field_error(&err, "q", "letter"));

    /* paging, and the children of each item */
    store_rsc_filter all = {.program_id = p};
    pl_err_clear(&err);
    assert_int_equal(store_resource_search(s, &all, (store_page){0, 2}, &a, &items, &n, &err),
                     PL_OK);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].organization_name, "Pilsen Food Network");
    assert_int_equal(items[0].nlocations, 1);
    assert_string_equal(items[0].locations[0].addresses[0].city, "Chicago");
    assert_int_equal(items[0].nattributes, 1);
    pl_id last = items[1].id;
    assert_int_equal(store_resource_search(s, &all, (store_page){last, 2}, &a, &items, &n, &err),
                     PL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].hsds_id, "svc-3");

    /* one service */
    store_rsc_service one;
    assert_int_equal(store_resource_service_get(s, items[0].id, &a, &one, &err), PL_OK);
    assert_string_equal(one.status, "defunct");
    assert_int_equal(store_resource_service_get(s, 9999, &a, &one, &err), PL_NOTFOUND);
    pl_arena_free(&a);
    store_close(s);
}

/* ---- referrals ----------------------------------------------------------------------- */

typedef struct ref_job {
    store_referral r[4];
    int n;
    const char *note;
} ref_job;

static pl_status ref_insert(store_tx *tx, void *ctx, pl_err *err)
{
    ref_job *j = ctx;
    for (int i = 0; i < j->n; i++) {
        pl_status st = store_referral_insert(tx, &j->r[i], j->note, err);
        if (st != PL_OK)
            return st;
    }
    return PL_OK;
}

typedef struct move_job {
    store_referral *r;
    store_referral_event ev;
    int expected;
} move_job;

static pl_status ref_move(store_tx *tx, void *ctx, pl_err *err)
{
    move_job *m = ctx;
    return store_referral_transition(tx, m->r, &m->ev, m->expected, err);
}

static pl_status move(store *s, store_referral *r, const char *to, pl_time at, int expected,
                      pl_err *err)
{
    move_job m = {.r = r,
                  .ev = {.to_status = to, .at = at, .actor_id = 1, .note = "step"},
                  .expected = expected};
    pl_err_clear(err);
    return store_write(s, ref_move, &m, err);
}

static void test_referrals(void **state)
{
    (void)state;
    world w;
    store *s = open_world(&w);
    sample x;
    sample_init(&x);
    import_job ij;
    pl_err err;
    if (import(s, w.program.id, &x.dir, &ij, &err) != PL_OK)
        fail_msg("import: %s", err.message);
    pl_arena a;
    pl_arena_init(&a, 0);
    store_rsc_service *svc;
    int nsvc;
    store_rsc_filter f = {.category = "food"};
    assert_int_equal(store_resource_search(s, &f, (store_page){0, 5}, &a, &svc, &nsvc, &err),
                     PL_OK);
    pl_time t0 = 1760000000;
    ref_job j = {.n = 3, .note = "referral made"};
    j.r[0] = (store_referral){.program_id = w.program.id,
                              .participant_id = w.p1.id,
                              .service_id = svc[0].id,
                              .need = "food",
                              .notes = "family of five",
                              .status = "proposed",
                              .referred_by = w.account.id,
                              .created_at = t0};
    j.r[1] = (store_referral){.program_id = w.program.id,
                              .participant_id = w.p2.id,
                              .resource_text = "Parish food drive",
                              .need = "food",
                              .status = "sent",
                              .created_at = t0 + 86400};
    j.r[2] = (store_referral){.program_id = w.other.id,
                              .participant_id = w.p3.id,
                              .resource_text = "Legal aid office",
                              .need = "legal",
                              .status = "proposed",
                              .created_at = t0 + 2 * 86400};
    pl_err_clear(&err);
    if (store_write(s, ref_insert, &j, &err) != PL_OK)
        fail_msg("insert: %s", err.message);
    assert_int_equal(j.r[0].version, 1);
    assert_true(j.r[0].closed_at == PL_TIME_NONE);

    store_referral r;
    assert_int_equal(store_referral_get(s, j.r[0].id, &a, &r, &err), PL_OK);
    assert_string_equal(r.status, "proposed");
    assert_string_equal(r.service_name, "Despensa comunitaria");
    assert_string_equal(r.organization_name, "Pilsen Food Network");
    assert_int_equal(r.referred_by, w.account.id);
    assert_int_equal(r.status_changed_at, t0);
    assert_int_equal(store_referral_get(s, j.r[1].id, &a, &r, &err), PL_OK);
    assert_int_equal(r.service_id, 0);
    assert_null(r.service_name);
    assert_string_equal(r.resource_text, "Parish food drive");
    assert_int_equal(store_referral_get(s, 9999, &a, &r, &err), PL_NOTFOUND);

    /* neither a service nor a text: refused by the database */
    ref_job bad = {.n = 1};
    bad.r[0] = (store_referral){.program_id = w.program.id,
                                .participant_id = w.p1.id,
                                .need = "food",
                                .status = "proposed",
                                .created_at = t0};
    pl_err_clear(&err);
    assert_int_equal(store_write(s, ref_insert, &bad, &err), PL_INVALID);

    /* the closed loop: proposed -> sent -> accepted -> completed, each an event */
    store_referral *r0 = &j.r[0];
    assert_int_equal(move(s, r0, "sent", t0 + 100, 1, &err), PL_OK);
    assert_int_equal(r0->version, 2);
    assert_int_equal(move(s, r0, "accepted", t0 + 200, 1, &err), PL_STALE);
    assert_int_equal(move(s, r0, "accepted", t0 + 200, 2, &err), PL_OK);
    assert_int_equal(move(s, r0, "completed", t0 + 300, 3, &err), PL_OK);
    assert_int_equal(store_referral_get(s, r0->id, &a, &r, &err), PL_OK);
    assert_string_equal(r.status, "completed");
    assert_int_equal(r.version, 4);
    assert_int_equal(r.status_changed_at, t0 + 300);
    assert_int_equal(r.closed_at, t0 + 300);
    store_referral_event *ev;
    int nev;
    assert_int_equal(store_referral_events(s, r0->id, &a, &ev, &nev, &err), PL_OK);
    assert_int_equal(nev, 4);
    assert_null(ev[0].from_status);
    assert_string_equal(ev[0].to_status, "proposed");
    assert_string_equal(ev[0].note, "referral made");
    assert_int_equal(ev[0].actor_id, w.account.id);
    assert_string_equal(ev[1].from_status, "proposed");
    assert_string_equal(ev[3].from_status, "accepted");
    assert_string_equal(ev[3].to_status, "completed");
    assert_int_equal(ev[3].at, t0 + 300);

    /* lists: scope, participant, status, need, open longer than */
    store_referral *items;
    int n;
    store_referral_filter lf = {0};
    assert_int_equal(store_referral_list(s, &lf, (store_page){0, 50}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, 3);
    lf = (store_referral_filter){.scope = {.unit_id = w.community.id}};
    assert_int_equal(store_referral_list(s, &lf, (store_page){0, 50}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, 2);
    lf = (store_referral_filter){.scope = {.peer_leader_id = w.leader.id}};
    assert_int_equal(store_referral_list(s, &lf, (store_page){0, 50}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].participant_id, w.p1.id);
    lf = (store_referral_filter){.scope = {.peer_leader_id = -1}};
    assert_int_equal(store_referral_list(s, &lf, (store_page){0, 50}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, 0);
    lf = (store_referral_filter){.status = "completed"};
    assert_int_equal(store_referral_list(s, &lf, (store_page){0, 50}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, 1);
    lf = (store_referral_filter){.need = "legal", .participant_id = w.p3.id};
    assert_int_equal(store_referral_list(s, &lf, (store_page){0, 50}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, 1);
    /* open and made before t0 + 1.5 days: the sent one only (the first is completed) */
    lf = (store_referral_filter){.created_before = t0 + 86400 + 43200};
    assert_int_equal(store_referral_list(s, &lf, (store_page){0, 50}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, j.r[1].id);

    /* the worklist: open, untouched since before a time, of a participant or leader */
    store_referral_stale_filter sf = {.changed_before = t0 + 3 * 86400};
    assert_int_equal(store_referral_stale_list(s, &sf, (store_page){0, 50}, &a, &items, &n, &err),
                     PL_OK);
    assert_int_equal(n, 2);
    sf.changed_before = t0 + 86400; /* the second changed exactly then: not before */
    assert_int_equal(store_referral_stale_list(s, &sf, (store_page){0, 50}, &a, &items, &n, &err),
                     PL_OK);
    assert_int_equal(n, 0);
    sf = (store_referral_stale_filter){.participant_id = w.p2.id, .changed_before = t0 + 7 * 86400};
    assert_int_equal(store_referral_stale_list(s, &sf, (store_page){0, 50}, &a, &items, &n, &err),
                     PL_OK);
    assert_int_equal(n, 1);
    sf = (store_referral_stale_filter){.peer_leader_id = w.leader.id,
                                       .changed_before = t0 + 7 * 86400};
    assert_int_equal(store_referral_stale_list(s, &sf, (store_page){0, 50}, &a, &items, &n, &err),
                     PL_OK);
    assert_int_equal(n, 0); /* the leader's participant's referral is completed */

    /* linkage for the evaluation */
    store_referral_linkage lk;
    assert_int_equal(store_referral_linkage_get(s, w.program.id, &lk, &err), PL_OK);
    assert_int_equal(lk.referrals, 2);
    assert_int_equal(lk.completed, 1);
    assert_int_equal(lk.participants_linked, 1);
    assert_int_equal(store_referral_linkage_get(s, 0, &lk, &err), PL_OK);
    assert_int_equal(lk.referrals, 3);

    /* the history is append-only */
    char msg[256];
    assert_int_not_equal(
        test_db_exec(path, "UPDATE referral_event SET note = 'x'", msg, sizeof msg), 0);
    assert_non_null(strstr(msg, "append-only"));
    assert_int_not_equal(test_db_exec(path, "DELETE FROM referral_event", msg, sizeof msg), 0);
    assert_non_null(strstr(msg, "append-only"));
    assert_int_equal(count_rows("referral_event"), 6);
    pl_arena_free(&a);
    store_close(s);
}

PL_TEST_MAIN(cmocka_unit_test_setup_teardown(test_import_round_trip, setup, teardown),
             cmocka_unit_test_setup_teardown(test_import_refusals_change_nothing, setup, teardown),
             cmocka_unit_test_setup_teardown(test_search, setup, teardown),
             cmocka_unit_test_setup_teardown(test_referrals, setup, teardown))
