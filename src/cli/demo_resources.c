/*
 * demo_resources.c - the demo's community resource directories and
 * referrals (see demo_resources.h).
 *
 * Mi Salud's directory holds resources of the kinds its promotores link
 * participants to (food, legal, education, economic, childcare, housing,
 * transport, health) around Pilsen and Little Village in Chicago; the
 * Shanghai program's holds a few around its subdistricts. Names, hours and
 * phone numbers (555 numbers in Chicago) are illustrative, not a real
 * directory. Each program's services are tagged with a small local
 * taxonomy whose codes are the referral needs (core/referral.h), so
 * searching category=food finds what a food referral needs. The HSDS ids
 * are fixed, so the same demo always gives the same directory.
 *
 * Referrals: the first participants of Mi Salud's practice get referrals
 * in every status of the closed loop, with a history spread over the last
 * weeks, made by the navigator account when accounts exist; the demo peer
 * leader's first participants get three. Each history step is checked with
 * referral_transition_check(): a refusal is a generator bug.
 */
#include "cli/demo_resources.h"

#include <stdio.h>
#include <string.h>

#include "core/referral.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

typedef struct demo_rsc {
    const char *org, *org_description, *service, *description;
    const char *need; /* the category code */
    const char *languages;
    const char *address_1, *city, *state, *postal, *country;
    double lat, lon;
    const char *phone, *byday, *opens, *closes;
    const char *fees, *eligibility, *application, *url;
} demo_rsc;

static const demo_rsc chicago[] = {
    {"Pilsen Neighbors Food Network",
     "A volunteer network running food pantries and a community kitchen in Pilsen.",
     "Despensa comunitaria (weekly food pantry)",
     "Fresh produce, canned goods and diabetes-friendly boxes once a week; bilingual volunteers.",
     "food",
     "es,en",
     "1850 S Blue Island Ave",
     "Chicago",
     "IL",
     "60608",
     "US",
     41.8565,
     -87.6600,
     "+1 312 555 0141",
     "WE,SA",
     "09:00",
     "12:00",
     "Free",
     "Residents of 60608, 60623 and 60632; one visit a week per household",
     "Walk in with a photo ID; the first visit registers the household",
     NULL},
    {"Little Village Legal Clinic",
     "Free civil legal help for low-income families on Chicago's Southwest Side.",
     "Immigration, housing and benefits legal clinic",
     "Consultations with attorneys and accredited representatives on immigration, eviction "
     "and public benefits.",
     "legal",
     "es,en",
     "3110 W 26th St",
     "Chicago",
     "IL",
     "60623",
     "US",
     41.8445,
     -87.7035,
     "+1 773 555 0172",
     "TU,TH",
     "17:00",
     "20:00",
     "Free for households under 200 % of the federal poverty line",
     "Cook County residents",
     "Call for an appointment; bring any letters or notices you received",
     NULL},
    {"Centro Educativo Latino",
     "Adult education for Spanish-speaking families: English, high-school equivalency, "
     "computers.",
     "English (ESL) and high-school equivalency classes",
     "Evening English classes at four levels and Spanish-language HSE (GED) preparation.",
     "education",
     "es,en",
     "2700 S Blue Island Ave",
     "Chicago",
     "IL",
     "60608",
     "US",
     41.8430,
     -87.6720,
     "+1 312 555 0190",
     "MO,WE",
     "18:00",
     "20:30",
     "Free; books lent",
     "Adults 18 and over",
     "Enrol in person on Mondays; a placement test sets the level",
     "https://example.org/centro-educativo"},
    {"Southwest Side Financial Opportunity Center",
     "Financial coaching, job placement and benefits access for working families.",
     "Free tax preparation and benefits screening",
     "Volunteer tax preparers file returns and check eligibility for SNAP, LIHEAP and the "
     "earned income credit.",
     "economic",
     "es,en",
     "3400 W Cermak Rd",
     "Chicago",
     "IL",
     "60623",
     "US",
     41.8518,
     -87.7095,
     "+1 773 555 0123",
     "MO,TU,WE,TH,FR",
     "10:00",
     "18:00",
     "Free",
     "Household income under USD 67,000",
     "Call to book; bring ID, Social Security or ITIN "
     "letters and last year's return",
     NULL},
    {"Casa de los Niños Child Development Center",
     "Bilingual early-childhood education and childcare for infants to five-year-olds.",
     "Subsidised childcare (Illinois CCAP)",
     "Full-day care while parents attend classes, appointments or work; help with the state "
     "childcare assistance application.",
     "childcare",
     "es,en",
     "1900 W Cermak Rd",
     "Chicago",
     "IL",
     "60608",
     "US",
     41.8524,
     -87.6745,
     "+1 312 555 0155",
     "MO,TU,WE,TH,FR",
     "07:00",
     "18:00",
     "Sliding scale; CCAP co-pay for eligible families",
     "Children 6 weeks to 5 years",
     "Visit with the child's birth certificate and proof of income",
     NULL},
    {"Pilsen Housing Resource Center",
     "Tenant counselling, rental assistance and home repair programs.",
     "Emergency rental assistance and weatherization",
     "One-time help with back rent or utilities, and free weatherization for owner-occupied "
     "homes.",
     "housing",
     "es,en",
     "1805 S Paulina St",
     "Chicago",
     "IL",
     "60608",
     "US",
     41.8570,
     -87.6680,
     "+1 312 555 0167",
     "MO,WE,FR",
     "09:00",
     "16:00",
     "Free",
     "Tenants behind on rent, or owner-occupants, in the 25th and 12th wards",
     "Call for an intake interview",
     NULL},
    {"Ride to Care Southwest",
     "Non-emergency medical transportation for Medicaid managed-care members.",
     "Free rides to medical appointments",
     "Door-to-door rides to clinic, lab and pharmacy visits, booked two days ahead.",
     "transport",
     "es,en",
     "2600 S California Ave",
     "Chicago",
     "IL",
     "60608",
     "US",
     41.8440,
     -87.6950,
     "+1 773 555 0188",
     "MO,TU,WE,TH,FR",
     "08:00",
     "17:00",
     "Free for members",
     "Members of a Medicaid managed-care plan",
     "Call at least 48 hours before the appointment",
     NULL},
    {"Southwest Wellness Center",
     "A community wellness center with exercise programs for adults with chronic conditions.",
     "Walking club and exercise classes for people with diabetes",
     "Led walks, chair exercise and cooking demonstrations in Spanish, in partnership with "
     "local clinics.",
     "health",
     "es,en",
     "2900 W 24th Blvd",
     "Chicago",
     "IL",
     "60623",
     "US",
     41.8480,
     -87.6990,
     "+1 773 555 0110",
     "TU,TH,SA",
     "08:30",
     "10:00",
     "Free with a clinic referral",
     "Adults with type 2 diabetes or prediabetes",
     "Bring the referral letter to the front "
     "desk",
     NULL},
};

static const demo_rsc shanghai[] = {
    {"天平街道社区食堂 Tianping Community Canteen",
     "A subdistrict canteen serving older residents, run with the Residential Committees.",
     "低盐低糖午餐 Low-salt, low-sugar lunches",
     "Subsidised lunches planned with the Community Health Center's dietitian.",
     "food",
     "zh-CN",
     "天平路 88 号",
     "上海市",
     "上海市",
     "200030",
     "CN",
     31.2018,
     121.4380,
     "+86 21 5555 0101",
     "MO,TU,WE,TH,FR",
     "11:00",
     "13:00",
     "每餐 12 元 (CNY 12 a meal)",
     "Residents aged 60 and over of Tianping subdistrict",
     "Register at the canteen with a "
     "resident card",
     NULL},
    {"黄浦区法律援助中心 Huangpu District Legal Aid Center",
     "The district's legal aid office for residents with low income.",
     "法律咨询 Free legal consultation",
     "Advice on pensions, medical insurance claims, family and housing disputes.",
     "legal",
     "zh-CN",
     "西藏南路 1200 号",
     "上海市",
     "上海市",
     "200011",
     "CN",
     31.2150,
     121.4830,
     "+86 21 5555 0102",
     "MO,WE,FR",
     "09:00",
     "16:30",
     "免费 Free",
     "Huangpu residents with low income or in hardship",
     "Walk in; bring a resident card",
     NULL},
    {"徐汇区社区老年大学 Xuhui Community Seniors' University",
     "Courses for retired residents in every subdistrict of Xuhui.",
     "健康与烹饪课程 Health and cooking courses",
     "Weekly courses on cooking for diabetes, tai chi and using a smartphone.",
     "education",
     "zh-CN",
     "漕溪北路 595 号",
     "上海市",
     "上海市",
     "200030",
     "CN",
     31.1930,
     121.4370,
     "+86 21 5555 0103",
     "TU,TH",
     "09:00",
     "11:00",
     "每学期 100 元 (CNY 100 a term)",
     "Retired residents of Xuhui",
     "Enrol at the start of each term",
     NULL},
    {"五里桥街道社会救助事务所 Wuliqiao Social Assistance Office",
     "The subdistrict office for minimum living allowance (dibao) and medical assistance.",
     "低保和医疗救助申请 Minimum living allowance and medical assistance",
     "Applications for the minimum living allowance and help with medical costs.",
     "economic",
     "zh-CN",
     "瞿溪路 1111 号",
     "上海市",
     "上海市",
     "200023",
     "CN",
     31.2010,
     121.4820,
     "+86 21 5555 0104",
     "MO,TU,WE,TH,FR",
     "09:00",
     "17:00",
     "免费 Free",
     "Households below the Shanghai minimum living standard",
     "Apply at the office with household register and income papers",
     NULL},
};

#define TERM_BASE     "0f6d2c5a-4b1e-4f7a-9c3d-8e2b"
#define CHICAGO_BASE  "9dc8cd3e-5539-4825-b1f8-b214"
#define SHANGHAI_BASE "4a95c9ec-8b1f-4e66-be6c-ba5f"

enum {
    ID_ORG = 1,
    ID_SERVICE,
    ID_LOCATION,
    ID_SAL,
    ID_PHONE,
    ID_SCHEDULE,
    ID_ADDRESS,
    ID_LANG,
    ID_ATTR
};

static const char *const need_labels[] = {
    "Food",      "Legal help", "Education", "Money and benefits", "Childcare", "Housing",
    "Transport", "Health",     "Other"};

typedef struct builder {
    pl_arena *a;
    const char *base;
    store_rsc_dir dir;
    store_rsc_term terms[PL_NEED__COUNT];
} builder;

/* The fixed HSDS id of one piece of resource row. */
static const char *make_id(builder *b, int kind, int row, int k)
{
    return pl_arena_printf(b->a, "%s%02x%02x%04x", b->base, kind, k, row);
}

static pl_status build(builder *b, const demo_rsc *rows, int n, pl_err *err)
{
    pl_arena *a = b->a;
    store_rsc_dir *d = &b->dir;
    memset(d, 0, sizeof *d);
    d->orgs = pl_arena_alloc(a, sizeof *d->orgs * (size_t)n);
    d->services = pl_arena_alloc(a, sizeof *d->services * (size_t)n);
    d->locations = pl_arena_alloc(a, sizeof *d->locations * (size_t)n);
    d->sals = pl_arena_alloc(a, sizeof *d->sals * (size_t)n);
    if (!d->orgs || !d->services || !d->locations || !d->sals)
        return pl_err_set(err, PL_NOMEM, "demo: out of memory");
    for (int k = 0; k < PL_NEED__COUNT; k++) {
        const char *code = pl_referral_need_name((pl_referral_need)k);
        b->terms[k] = (store_rsc_term){
            .hsds_id = pl_arena_printf(a, "%s%08x", TERM_BASE, k + 1),
            .code = code,
            .name = need_labels[k],
            .description = pl_arena_printf(a, "Resources for the need \"%s\"", code),
            .taxonomy = "peerlink needs",
            .language = "en"};
    }
    d->terms = b->terms;
    d->nterms = PL_NEED__COUNT;
    for (int i = 0; i < n; i++) {
        const demo_rsc *r = &rows[i];
        pl_referral_need need;
        if (pl_referral_need_parse(r->need, &need) != PL_OK)
            return pl_err_set(err, PL_INVALID, "demo: resource %s has an unknown need", r->org);
        const char *org_id = make_id(b, ID_ORG, i, 0);
        const char *svc_id = make_id(b, ID_SERVICE, i, 0);
        const char *loc_id = make_id(b, ID_LOCATION, i, 0);
        store_rsc_phone *ph = pl_arena_alloc(a, sizeof *ph);
        store_rsc_schedule *sc = pl_arena_alloc(a, sizeof *sc);
        store_rsc_address *ad = pl_arena_alloc(a, sizeof *ad);
        store_rsc_attribute *at = pl_arena_alloc(a, sizeof *at);
        store_rsc_language *lg = pl_arena_alloc(a, sizeof *lg * 4);
        if (!ph || !sc || !ad || !at || !lg || !org_id || !svc_id || !loc_id)
            return pl_err_set(err, PL_NOMEM, "demo: out of memory");
        *ph = (store_rsc_phone){.hsds_id = make_id(b, ID_PHONE, i, 0),
                                .number = r->phone,
                                .extension = -1,
                                .type = "voice"};
        *sc = (store_rsc_schedule){.hsds_id = make_id(b, ID_SCHEDULE, i, 0),
                                   .freq = "WEEKLY",
                                   .byday = r->byday,
                                   .opens_at = r->opens,
                                   .closes_at = r->closes,
                                   .valid_from = PL_DATE_NONE,
                                   .valid_to = PL_DATE_NONE};
        *ad = (store_rsc_address){.hsds_id = make_id(b, ID_ADDRESS, i, 0),
                                  .address_1 = r->address_1,
                                  .city = r->city,
                                  .state_province = r->state,
                                  .postal_code = r->postal,
                                  .country = r->country,
                                  .address_type = "physical"};
        *at = (store_rsc_attribute){.hsds_id = make_id(b, ID_ATTR, i, 0),
                                    .term = {.hsds_id = b->terms[need].hsds_id}};
        int nl = 0;
        for (const char *p = r->languages; *p && nl < 4;) {
            size_t len = strcspn(p, ",");
            lg[nl] = (store_rsc_language){.hsds_id = make_id(b, ID_LANG, i, nl),
                                          .code = pl_arena_strndup(a, p, len)};
            lg[nl].name = strncmp(p, "es", 2) == 0   ? "Spanish"
                          : strncmp(p, "zh", 2) == 0 ? "Chinese"
                                                     : "English";
            nl++;
            p += len;
            if (*p == ',')
                p++;
        }
        d->orgs[i] = (store_rsc_org){.hsds_id = org_id,
                                     .name = r->org,
                                     .description = r->org_description,
                                     .phones = ph,
                                     .nphones = 1,
                                     .has_phones = true};
        d->locations[i] = (store_rsc_location){.hsds_id = loc_id,
                                               .organization_hsds_id = org_id,
                                               .location_type = "physical",
                                               .name = r->org,
                                               .has_coordinates = true,
                                               .latitude = r->lat,
                                               .longitude = r->lon,
                                               .languages = lg,
                                               .nlanguages = nl,
                                               .has_languages = true,
                                               .addresses = ad,
                                               .naddresses = 1,
                                               .has_addresses = true,
                                               .has_phones = true,
                                               .has_schedules = true};
        d->services[i] = (store_rsc_service){.hsds_id = svc_id,
                                             .organization_hsds_id = org_id,
                                             .name = r->service,
                                             .description = r->description,
                                             .url = r->url,
                                             .status = "active",
                                             .application_process = r->application,
                                             .fees_description = r->fees,
                                             .eligibility_description = r->eligibility,
                                             .phones = ph,
                                             .nphones = 1,
                                             .has_phones = true,
                                             .schedules = sc,
                                             .nschedules = 1,
                                             .has_schedules = true,
                                             .languages = lg,
                                             .nlanguages = nl,
                                             .has_languages = true,
                                             .attributes = at,
                                             .nattributes = 1,
                                             .has_attributes = true};
        d->sals[i] = (store_rsc_sal){.hsds_id = make_id(b, ID_SAL, i, 0),
                                     .service_hsds_id = svc_id,
                                     .location_hsds_id = loc_id,
                                     .has_phones = true,
                                     .has_schedules = true};
    }
    d->norgs = d->nservices = d->nlocations = d->nsals = n;
    return PL_OK;
}

typedef struct import_job {
    pl_id program_id;
    const store_rsc_dir *dir;
    pl_time now;
} import_job;

static pl_status import_write(store_tx *tx, void *ctx, pl_err *err)
{
    import_job *j = ctx;
    store_rsc_import_counts counts;
    return store_resource_import(tx, j->program_id, j->dir, j->now, &counts, err);
}

/* ---- referrals ------------------------------------------------------------ */

typedef struct demo_referral {
    const char *need;
    const char *resource_text; /* when service is -1 */
    const char *notes;
    const char *steps[5]; /* statuses in order; the first is the initial one */
    const char *notes_at[5];
    int service;     /* row of the program's resources; -1: free text */
    int days_ago[5]; /* when each step happened */
} demo_referral;

static const demo_referral misalud_referrals[] = {
    {.need = "food",
     .service = 0,
     .resource_text = NULL,
     .notes = "Family of five; runs out of food the last week of the month.",
     .steps = {"proposed", "sent", "accepted", "completed"},
     .days_ago = {40, 39, 37, 30},
     .notes_at = {"talked it through at the clinic", "called the pantry",
                  "registered for Wednesdays", "picked up two boxes"}},
    {.need = "legal",
     .service = 1,
     .resource_text = NULL,
     .notes = "Landlord notice about the lease; wants advice.",
     .steps = {"proposed", "sent", "accepted"},
     .days_ago = {20, 19, 12},
     .notes_at = {"referral made", "appointment requested", "consultation booked"}},
    {.need = "education",
     .service = 2,
     .resource_text = NULL,
     .notes = "Wants English classes to talk with the doctor alone.",
     .steps = {"proposed", "sent"},
     .days_ago = {15, 14},
     .notes_at = {"referral made", "enrolment form sent"}},
    {.need = "economic",
     .service = 3,
     .resource_text = NULL,
     .notes = "Tax return not filed for two years.",
     .steps = {"proposed"},
     .days_ago = {3},
     .notes_at = {"referral made"}},
    {.need = "childcare",
     .service = 4,
     .resource_text = NULL,
     .notes = "Needs care for a toddler to attend the DSME classes.",
     .steps = {"proposed", "sent", "declined"},
     .days_ago = {25, 24, 20},
     .notes_at = {"referral made", "application sent", "no openings until spring"}},
    {.need = "health",
     .service = 7,
     .resource_text = NULL,
     .notes = "Walking club to go with the DSME classes.",
     .steps = {"proposed", "sent", "accepted", "no_show"},
     .days_ago = {18, 17, 14, 10},
     .notes_at = {"referral made", "referral letter given", "first class booked",
                  "did not come; will call"}},
    {.need = "housing",
     .service = 5,
     .resource_text = NULL,
     .notes = "Behind on the gas bill.",
     .steps = {"proposed", "cancelled"},
     .days_ago = {30, 29},
     .notes_at = {"referral made", "moved in with family; no longer needed"}},
    {.need = "food",
     .service = -1,
     .resource_text = "St. Pius V parish food drive (Saturdays)",
     .notes = "Asked for a closer pantry.",
     .steps = {"proposed", "sent", "completed"},
     .days_ago = {9, 9, 5},
     .notes_at = {"referral made", "gave the address", "went on Saturday"}},
};

static const demo_referral shanghai_referrals[] = {
    {.need = "food",
     .service = 0,
     .resource_text = NULL,
     .notes = "Lives alone; skips lunch.",
     .steps = {"proposed", "sent", "accepted"},
     .days_ago = {21, 20, 16},
     .notes_at = {"discussed at the CSMG", "canteen contacted", "registered for lunches"}},
    {.need = "economic",
     .service = 3,
     .resource_text = NULL,
     .notes = "Medical costs after hospital stay.",
     .steps = {"proposed", "sent"},
     .days_ago = {11, 10},
     .notes_at = {"referral made", "papers prepared with the family"}},
    {.need = "education",
     .service = 2,
     .resource_text = NULL,
     .notes = "Cooking for diabetes course.",
     .steps = {"proposed", "sent", "completed"},
     .days_ago = {35, 34, 6},
     .notes_at = {"referral made", "enrolled", "finished the course"}},
};

typedef struct referral_job {
    const demo_referral *list;
    int n;
    const pl_participant *parts;
    int nparts;
    pl_id service_ids[16];
    pl_id actor;
    pl_time now;
    pl_arena *a;
} referral_job;

static pl_status referral_write(store_tx *tx, void *ctx, pl_err *err)
{
    referral_job *j = ctx;
    for (int i = 0; i < j->n && i < j->nparts; i++) {
        const demo_referral *d = &j->list[i];
        store_referral r = {.program_id = j->parts[i].program_id,
                            .participant_id = j->parts[i].id,
                            .service_id = d->service >= 0 ? j->service_ids[d->service] : 0,
                            .resource_text = d->resource_text,
                            .need = d->need,
                            .notes = d->notes,
                            .status = d->steps[0],
                            .referred_by = j->actor,
                            .created_at = j->now - (pl_time)d->days_ago[0] * 86400};
        pl_referral_status cur;
        if (pl_referral_status_parse(r.status, &cur) != PL_OK || !referral_initial_ok(cur))
            return pl_err_set(err, PL_INVALID, "demo: referral %d starts as %s", i, r.status);
        pl_status st = store_referral_insert(tx, &r, d->notes_at[0], err);
        for (int k = 1; k < 5 && d->steps[k] && st == PL_OK; k++) {
            pl_referral_status to;
            pl_err v;
            pl_err_clear(&v);
            if (pl_referral_status_parse(d->steps[k], &to) != PL_OK ||
                referral_transition_check(cur, to, d->notes_at[k], &v) != PL_OK)
                return pl_err_set(err, PL_INVALID, "demo: referral %d: %s", i, pl_err_text(&v));
            store_referral_event ev = {.to_status = d->steps[k],
                                       .at = j->now - (pl_time)d->days_ago[k] * 86400,
                                       .actor_id = j->actor,
                                       .note = d->notes_at[k]};
            st = store_referral_transition(tx, &r, &ev, r.version, err);
            cur = to;
        }
        if (st != PL_OK)
            return st;
    }
    return PL_OK;
}

/* Imports rows into program's directory and writes the referrals for participants of unit. */
static pl_status seed_program(store *s, pl_arena *a, const char *base, pl_id program,
                              const demo_rsc *rows, int nrows, const demo_referral *refs, int nrefs,
                              const store_participant_filter *who, pl_id actor, pl_time now,
                              pl_err *err)
{
    builder b = {.a = a, .base = base};
    pl_status st = build(&b, rows, nrows, err);
    import_job ij = {.program_id = program, .dir = &b.dir, .now = now};
    if (st == PL_OK)
        st = store_write(s, import_write, &ij, err);
    if (st != PL_OK || nrefs == 0)
        return st;
    referral_job rj = {.list = refs, .n = nrefs, .actor = actor, .now = now, .a = a};
    /* the services' row ids, found by their HSDS ids */
    store_rsc_filter f = {.program_id = program};
    store_rsc_service *items;
    int n;
    if ((st = store_resource_search(s, &f, (store_page){0, 200}, a, &items, &n, err)) != PL_OK)
        return st;
    for (int i = 0; i < nrows && i < COUNT(rj.service_ids); i++)
        for (int k = 0; k < n; k++)
            if (strcmp(items[k].hsds_id, b.dir.services[i].hsds_id) == 0)
                rj.service_ids[i] = items[k].id;
    pl_participant *parts;
    int nparts;
    if ((st = store_participant_list(s, who, (store_page){0, nrefs}, a, &parts, &nparts, err)) !=
        PL_OK)
        return st;
    rj.parts = parts;
    rj.nparts = nparts;
    return store_write(s, referral_write, &rj, err);
}

pl_status demo_resources_generate(store *s, const demo_resources_options *o, pl_err *err)
{
    pl_arena a;
    pl_arena_init(&a, 0);
    pl_status st = PL_OK;
    if (o->misalud_program) {
        store_participant_filter who = {
            .status = -1, .risk_tier = -1, .home_unit_id = o->misalud_practice};
        st = seed_program(s, &a, CHICAGO_BASE, o->misalud_program, chicago, COUNT(chicago),
                          misalud_referrals, COUNT(misalud_referrals), &who, o->navigator_account,
                          o->now, err);
    }
    if (st == PL_OK && o->shanghai_program) {
        store_participant_filter who = {
            .status = -1, .risk_tier = -1, .peer_leader_id = o->shanghai_peer_leader};
        st = seed_program(s, &a, SHANGHAI_BASE, o->shanghai_program, shanghai, COUNT(shanghai),
                          shanghai_referrals,
                          o->shanghai_peer_leader ? COUNT(shanghai_referrals) : 0, &who,
                          o->peer_account, o->now, err);
    }
    pl_arena_free(&a);
    return st;
}
