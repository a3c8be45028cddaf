/*
 * hsds.c - reading HSDS 3 (and 1.1 taxonomy) JSON into store_rsc_dir, and
 * writing a directory back as HSDS 3 JSON; see hsds.h and docs/RESOURCES.md.
 *
 * Reading walks json-c's tree once. Each entity reader takes the object,
 * its path in the document and the id of the entity it is nested in (an
 * organization's services belong to that organization), reads every field
 * it keeps with a check of type, length and format, descends into the
 * child lists it keeps, and counts every other key as ignored
 * ("service.wait_time"), with lists of entities peerlink does not keep
 * (contacts, funding ...) counted by entity. An entity met twice (the HSDS
 * examples repeat a location under its organization and under each
 * service_at_location) is merged: the later occurrence's fields win, and a
 * child list it lacks keeps the earlier one's.
 *
 * Writing builds, for each organization in hsds_id order, its phones,
 * locations and services; a service_at_location names its location by
 * location_id when the location belongs to an organization (it is written
 * there) and nests it whole otherwise.
 */
#include "hsds.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_check.h"
#include "core/time.h"

/* ---- limits of single values ------------------------------------------------ */

#define ID_MAX     64
#define NAME_MAX_B 500
#define TEXT_MAX   10000
#define NOTE_MAX   4000
#define LINE_MAX_B 200
#define URL_MAX    2000
#define EMAIL_MAX  254

/* ---- the index: (kind, hsds_id) -> position in its dir array ------------------- */

typedef struct index_slot {
    const char *id;
    int kind;
    int pos;
} index_slot;

struct hsds_index {
    index_slot *slots;
    int cap, used;
};

static uint64_t key_hash(int kind, const char *id)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)kind;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h;
}

static index_slot *index_find(hsds_index *ix, int kind, const char *id)
{
    size_t mask = (size_t)ix->cap - 1;
    for (size_t i = key_hash(kind, id) & mask;; i = (i + 1) & mask) {
        index_slot *s = &ix->slots[i];
        if (!s->id || (s->kind == kind && strcmp(s->id, id) == 0))
            return s;
    }
}

/* Grows the table past 70 % use; false when the arena is full. */
static bool index_reserve(hsds_index *ix, pl_arena *a)
{
    if (ix->cap && (ix->used + 1) * 10 < ix->cap * 7)
        return true;
    hsds_index bigger = {.cap = ix->cap ? ix->cap * 2 : 256};
    bigger.slots = pl_arena_alloc(a, sizeof *bigger.slots * (size_t)bigger.cap);
    if (!bigger.slots)
        return false;
    for (int i = 0; i < ix->cap; i++)
        if (ix->slots[i].id) {
            *index_find(&bigger, ix->slots[i].kind, ix->slots[i].id) = ix->slots[i];
            bigger.used++;
        }
    *ix = bigger;
    return true;
}

/* ---- the reader ----------------------------------------------------------------- */

typedef struct rd {
    hsds_import *im;
    pl_arena *a;
    pl_err *err;
    bool stop; /* a limit was reached: err holds it */
} rd;

static bool nomem(rd *r)
{
    if (!r->stop)
        pl_err_set(r->err, PL_LIMIT, "the import is larger than the memory an import may use");
    r->stop = true;
    return false;
}

static const char *join(rd *r, const char *path, const char *key, int index)
{
    const char *dot = path && *path && key ? "." : "";
    const char *p = path ? path : "";
    const char *k = key ? key : "";
    char *s = index >= 0 ? pl_arena_printf(r->a, "%s%s%s[%d]", p, dot, k, index)
                         : pl_arena_printf(r->a, "%s%s%s", p, dot, k);
    if (!s)
        nomem(r);
    return s ? s : "";
}

static void field_error(rd *r, const char *path, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void field_error(rd *r, const char *path, const char *key, const char *fmt, ...)
{
    char name[sizeof r->err->fields[0].field];
    snprintf(name, sizeof name, "%s%s%s", path, *path && key ? "." : "", key ? key : "");
    if (!name[0])
        snprintf(name, sizeof name, "(document)");
    va_list ap;
    va_start(ap, fmt);
    pl_err_fieldv(r->err, name, fmt, ap);
    va_end(ap);
}

/* Adds n to the count of name in a report list. */
static void count_name(rd *r, hsds_count **list, int *n, int *cap, const char *name, int add)
{
    for (int i = 0; i < *n; i++)
        if (strcmp((*list)[i].name, name) == 0) {
            (*list)[i].count += add;
            return;
        }
    if (*n >= HSDS_MAX_NAMES) {
        name = "other";
        for (int i = 0; i < *n; i++)
            if (strcmp((*list)[i].name, name) == 0) {
                (*list)[i].count += add;
                return;
            }
    }
    if (*n >= *cap) {
        int ncap = *cap ? *cap * 2 : 16;
        hsds_count *bigger = pl_arena_alloc(r->a, sizeof *bigger * (size_t)ncap);
        if (!bigger) {
            nomem(r);
            return;
        }
        if (*n)
            memcpy(bigger, *list, sizeof *bigger * (size_t)*n);
        *list = bigger;
        *cap = ncap;
    }
    const char *copy = pl_arena_strdup(r->a, name);
    if (!copy) {
        nomem(r);
        return;
    }
    (*list)[*n] = (hsds_count){copy, add};
    (*n)++;
}

static void ignore_field(rd *r, const char *entity, const char *key)
{
    char name[128];
    snprintf(name, sizeof name, "%s.%s", entity, key);
    hsds_report *rep = &r->im->report;
    count_name(r, &rep->ignored_fields, &rep->nignored_fields, &r->im->cap_fields, name, 1);
}

static void ignore_entities(rd *r, const char *kind, int n)
{
    hsds_report *rep = &r->im->report;
    if (n > 0)
        count_name(r, &rep->ignored_entities, &rep->nignored_entities, &r->im->cap_entities, kind,
                   n);
}

static void warn(rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(rd *r, const char *fmt, ...)
{
    hsds_report *rep = &r->im->report;
    if (rep->nwarnings >= HSDS_MAX_WARNINGS) {
        rep->warnings_dropped++;
        return;
    }
    if (!rep->warnings) {
        rep->warnings = pl_arena_alloc(r->a, sizeof *rep->warnings * HSDS_MAX_WARNINGS);
        if (!rep->warnings) {
            nomem(r);
            return;
        }
    }
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    const char *copy = pl_arena_strdup(r->a, text);
    if (!copy) {
        nomem(r);
        return;
    }
    rep->warnings[rep->nwarnings++] = copy;
}

/* The value of key, or NULL when absent or null. */
static json_object *member(json_object *obj, const char *key)
{
    json_object *v = NULL;
    return json_object_object_get_ex(obj, key, &v) ? v : NULL;
}

/* HSDS lists of entities peerlink does not keep, with the entity each holds. */
static const struct {
    const char *key, *kind;
} dropped_lists[] = {
    {"contacts", "contact"},
    {"funding", "funding"},
    {"programs", "program"},
    {"program", "program"},
    {"organization_identifiers", "organization_identifier"},
    {"additional_websites", "url"},
    {"additional_urls", "url"},
    {"service_areas", "service_area"},
    {"cost_options", "cost_option"},
    {"required_documents", "required_document"},
    {"capacities", "service_capacity"},
    {"accessibility", "accessibility"},
    {"metadata", "metadata"},
    {"attributes", "attribute"},
    {"taxonomy_detail", "taxonomy"},
};

/* Counts every key of obj not in kept (NULL-terminated) as ignored, by entity. */
static void ignore_rest(rd *r, json_object *obj, const char *entity, const char *const *kept)
{
    json_object_object_foreach(obj, key, val)
    {
        bool keep = false;
        for (const char *const *k = kept; *k && !keep; k++)
            keep = strcmp(*k, key) == 0;
        if (keep || !val)
            continue;
        const char *kind = NULL;
        for (size_t i = 0; i < sizeof dropped_lists / sizeof *dropped_lists && !kind; i++)
            if (strcmp(dropped_lists[i].key, key) == 0)
                kind = dropped_lists[i].kind;
        if (kind && json_object_is_type(val, json_type_array))
            ignore_entities(r, kind, (int)json_object_array_length(val));
        else if (kind && json_object_is_type(val, json_type_object))
            ignore_entities(r, kind, 1);
        else
            ignore_field(r, entity, key);
    }
}

/* ---- single values ------------------------------------------------------------ */

enum {
    F_REQUIRED = 1, /* present, not null, not blank */
    F_MULTILINE = 2,
};

/* A string field copied into the arena; NULL when absent (or on error, recorded). */
static const char *text_field(rd *r, json_object *obj, const char *path, const char *key,
                              size_t max, int flags)
{
    json_object *v = member(obj, key);
    if (!v) {
        if (flags & F_REQUIRED)
            field_error(r, path, key, "is required");
        return NULL;
    }
    if (!json_object_is_type(v, json_type_string)) {
        field_error(r, path, key, "must be a string");
        return NULL;
    }
    const char *s = json_object_get_string(v);
    size_t len = (size_t)json_object_get_string_len(v);
    if (strlen(s) != len || !pl_text_ok(s, (flags & F_MULTILINE) != 0)) {
        field_error(r, path, key,
                    (flags & F_MULTILINE)
                        ? "must be UTF-8 text without control characters"
                        : "must be UTF-8 text on one line without control characters");
        return NULL;
    }
    if (len > max) {
        field_error(r, path, key, "must be at most %zu bytes", max);
        return NULL;
    }
    if (s[strspn(s, " \t\r\n")] == '\0') {
        if (flags & F_REQUIRED)
            field_error(r, path, key, "must not be blank");
        return NULL; /* blank optional text is the same as none */
    }
    const char *copy = pl_arena_strndup(r->a, s, len);
    if (!copy)
        nomem(r);
    return copy;
}

static bool id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > ID_MAX)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              strchr("._:-", *p)))
            return false;
    return true;
}

/* An HSDS id (normally a UUID): 1-64 letters, digits, '.', '_', ':' or '-'. */
static const char *id_field(rd *r, json_object *obj, const char *path, const char *key, int flags)
{
    const char *s = text_field(r, obj, path, key, 1024, flags);
    if (s && !id_ok(s)) {
        field_error(r, path, key,
                    "must be an HSDS id: 1-64 letters, digits, '.', '_', ':' or '-' (a UUID)");
        return NULL;
    }
    return s;
}

static const char *enum_field(rd *r, json_object *obj, const char *path, const char *key,
                              const char *const *values, int flags)
{
    const char *s = text_field(r, obj, path, key, 64, flags);
    if (!s)
        return NULL;
    for (const char *const *v = values; *v; v++)
        if (strcmp(*v, s) == 0)
            return *v;
    char list[160];
    size_t len = 0;
    list[0] = '\0';
    for (const char *const *v = values; *v && len < sizeof list; v++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", v == values ? "" : ", ", *v);
    field_error(r, path, key, "must be one of %s", list);
    return NULL;
}

static const char *url_field(rd *r, json_object *obj, const char *path, const char *key)
{
    const char *s = text_field(r, obj, path, key, URL_MAX, 0);
    if (s && ((strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0) ||
              strpbrk(s, " \t") != NULL)) {
        field_error(r, path, key, "must be an http:// or https:// URL without spaces");
        return NULL;
    }
    return s;
}

static const char *email_field(rd *r, json_object *obj, const char *path, const char *key)
{
    const char *s = text_field(r, obj, path, key, EMAIL_MAX, 0);
    const char *at = s ? strchr(s, '@') : NULL;
    if (s && (!at || at == s || at[1] == '\0' || strchr(at + 1, '@') || strpbrk(s, " \t"))) {
        field_error(r, path, key, "must be an email address such as name@example.org");
        return NULL;
    }
    return s;
}

/* A language code: a letter, then letters, digits and '-' (BCP 47 / ISO 639), at most 35. */
static const char *code_field(rd *r, json_object *obj, const char *path, const char *key)
{
    const char *s = text_field(r, obj, path, key, 35, 0);
    bool ok = s && ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'));
    for (const char *p = s; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             *p == '-';
    if (s && !ok) {
        field_error(r, path, key, "must be a language code such as es, en or zh-CN");
        return NULL;
    }
    return s;
}

/* An integer in [lo, hi]; *present false when absent. */
static long int_field(rd *r, json_object *obj, const char *path, const char *key, long lo, long hi,
                      bool *present)
{
    json_object *v = member(obj, key);
    *present = false;
    if (!v)
        return 0;
    int64_t i = json_object_get_int64(v);
    if (!json_object_is_type(v, json_type_int) || i == INT64_MIN || i == INT64_MAX || i < lo ||
        i > hi) {
        field_error(r, path, key, "must be a whole number from %ld to %ld", lo, hi);
        return 0;
    }
    *present = true;
    return (long)i;
}

/* A JSON number; *present false when absent. */
static double number_field(rd *r, json_object *obj, const char *path, const char *key,
                           bool *present)
{
    json_object *v = member(obj, key);
    *present = false;
    if (!v)
        return 0;
    if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)) {
        field_error(r, path, key, "must be a number");
        return 0;
    }
    double d = json_object_get_double(v);
    if (!isfinite(d)) {
        field_error(r, path, key, "must be a finite number");
        return 0;
    }
    *present = true;
    return d;
}

static bool two_digits(const char *p, int *out)
{
    if (!(p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9'))
        return false;
    *out = (p[0] - '0') * 10 + (p[1] - '0');
    return true;
}

/* HH:MM or HH:MM:SS, optionally followed by Z or +HH:MM / -HH:MM. */
static bool time_of_day_ok(const char *s)
{
    int h, m, sec = 0, oh, om;
    if (!two_digits(s, &h) || s[2] != ':' || !two_digits(s + 3, &m))
        return false;
    const char *p = s + 5;
    if (*p == ':') {
        if (!two_digits(p + 1, &sec))
            return false;
        p += 3;
    }
    if (h > 24 || m > 59 || sec > 59 || (h == 24 && (m || sec)))
        return false;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        if (!two_digits(p + 1, &oh) || p[3] != ':' || !two_digits(p + 4, &om) || oh > 14 || om > 59)
            return false;
        p += 6;
    }
    return *p == '\0';
}

/* RFC 5545 BYDAY: comma-separated [+-]n?(MO|TU|WE|TH|FR|SA|SU). */
static bool byday_ok(const char *s)
{
    static const char days[] = "MOTUWETHFRSASU";
    const char *p = s;
    for (;;) {
        if (*p == '+' || *p == '-')
            p++;
        int digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 2) {
            p++;
            digits++;
        }
        bool day = false;
        for (int i = 0; i < 14 && !day; i += 2)
            day = p[0] == days[i] && p[1] == days[i + 1];
        if (!day)
            return false;
        p += 2;
        if (*p == '\0')
            return true;
        if (*p++ != ',')
            return false;
    }
}

/* ---- child lists ------------------------------------------------------------- */

typedef void (*item_fn)(rd *r, json_object *obj, const char *path, void *item);

/*
 * Reads the list under key into an arena array of item_size records: absent
 * or null leaves *has false; otherwise every element must be an object.
 */
static void list_field(rd *r, json_object *obj, const char *path, const char *key, size_t item_size,
                       item_fn read, void **items, int *n, bool *has)
{
    json_object *v = member(obj, key);
    *items = NULL;
    *n = 0;
    *has = false;
    if (!v || r->stop)
        return;
    if (!json_object_is_type(v, json_type_array)) {
        field_error(r, path, key, "must be an array of objects");
        return;
    }
    int len = (int)json_object_array_length(v);
    if (len > STORE_RSC_MAX_CHILDREN) {
        field_error(r, path, key, "must have at most %d items", STORE_RSC_MAX_CHILDREN);
        return;
    }
    char *arr = len ? pl_arena_alloc(r->a, item_size * (size_t)len) : NULL;
    if (len && !arr) {
        nomem(r);
        return;
    }
    *has = true;
    for (int i = 0; i < len && !r->stop; i++) {
        json_object *e = json_object_array_get_idx(v, (size_t)i);
        const char *p = join(r, path, key, i);
        if (!e || !json_object_is_type(e, json_type_object)) {
            field_error(r, p, NULL, "must be an object");
            continue;
        }
        read(r, e, p, arr + item_size * (size_t)(*n)++);
    }
    *items = arr;
}

static const char *const phone_types[] = {"text",  "voice", "fax",       "cell",
                                          "video", "pager", "textphone", NULL};

static void read_language(rd *r, json_object *obj, const char *path, void *item)
{
    static const char *const kept[] = {"id", "name", "code", "note", NULL};
    store_rsc_language *l = item;
    l->hsds_id = id_field(r, obj, path, "id", F_REQUIRED);
    l->name = text_field(r, obj, path, "name", 100, 0);
    l->code = code_field(r, obj, path, "code");
    l->note = text_field(r, obj, path, "note", 1000, F_MULTILINE);
    ignore_rest(r, obj, "language", kept);
}

static void read_phone(rd *r, json_object *obj, const char *path, void *item)
{
    static const char *const kept[] = {"id",          "number",    "extension", "type",
                                       "description", "languages", NULL};
    store_rsc_phone *p = item;
    bool present;
    p->hsds_id = id_field(r, obj, path, "id", F_REQUIRED);
    p->number = text_field(r, obj, path, "number", 100, F_REQUIRED);
    p->extension = (int)int_field(r, obj, path, "extension", 0, 99999999, &present);
    if (!present)
        p->extension = -1;
    p->type = enum_field(r, obj, path, "type", phone_types, 0);
    p->description = text_field(r, obj, path, "description", NOTE_MAX, F_MULTILINE);
    bool has;
    list_field(r, obj, path, "languages", sizeof *p->languages, read_language,
               (void **)&p->languages, &p->nlanguages, &has);
    ignore_rest(r, obj, "phone", kept);
}

static const char *const freqs[] = {"WEEKLY", "MONTHLY", NULL};

static void read_schedule(rd *r, json_object *obj, const char *path, void *item)
{
    static const char *const kept[] = {"id",          "freq",      "interval",   "byday",
                                       "opens_at",    "closes_at", "valid_from", "valid_to",
                                       "description", NULL};
    store_rsc_schedule *s = item;
    bool present;
    s->hsds_id = id_field(r, obj, path, "id", F_REQUIRED);
    s->freq = enum_field(r, obj, path, "freq", freqs, 0);
    s->interval = (int)int_field(r, obj, path, "interval", 1, 1000, &present);
    s->byday = text_field(r, obj, path, "byday", 100, 0);
    if (s->byday && !byday_ok(s->byday)) {
        field_error(r, path, "byday", "must be days such as MO,TU,WE (RFC 5545 BYDAY)");
        s->byday = NULL;
    }
    s->opens_at = text_field(r, obj, path, "opens_at", 20, 0);
    s->closes_at = text_field(r, obj, path, "closes_at", 20, 0);
    if (s->opens_at && !time_of_day_ok(s->opens_at)) {
        field_error(r, path, "opens_at", "must be a time of day such as 09:00 or 09:00:00");
        s->opens_at = NULL;
    }
    if (s->closes_at && !time_of_day_ok(s->closes_at)) {
        field_error(r, path, "closes_at", "must be a time of day such as 17:30 or 17:30:00");
        s->closes_at = NULL;
    }
    const char *from = text_field(r, obj, path, "valid_from", 20, 0);
    const char *to = text_field(r, obj, path, "valid_to", 20, 0);
    s->valid_from = s->valid_to = PL_DATE_NONE;
    if (from && pl_date_parse(from, &s->valid_from) != PL_OK)
        field_error(r, path, "valid_from", "must be a date YYYY-MM-DD");
    if (to && pl_date_parse(to, &s->valid_to) != PL_OK)
        field_error(r, path, "valid_to", "must be a date YYYY-MM-DD");
    s->description = text_field(r, obj, path, "description", NOTE_MAX, F_MULTILINE);
    ignore_rest(r, obj, "schedule", kept);
}

static const char *const address_types[] = {"physical", "postal", "virtual", NULL};

static void read_address(rd *r, json_object *obj, const char *path, void *item)
{
    static const char *const kept[] = {
        "id",          "attention", "address_1",    "address_2", "city", "region", "state_province",
        "postal_code", "country",   "address_type", NULL};
    store_rsc_address *ad = item;
    ad->hsds_id = id_field(r, obj, path, "id", F_REQUIRED);
    ad->attention = text_field(r, obj, path, "attention", LINE_MAX_B, 0);
    ad->address_1 = text_field(r, obj, path, "address_1", LINE_MAX_B, F_REQUIRED);
    ad->address_2 = text_field(r, obj, path, "address_2", LINE_MAX_B, 0);
    ad->city = text_field(r, obj, path, "city", 100, F_REQUIRED);
    ad->region = text_field(r, obj, path, "region", 100, 0);
    ad->state_province = text_field(r, obj, path, "state_province", 100, F_REQUIRED);
    ad->postal_code = text_field(r, obj, path, "postal_code", 20, F_REQUIRED);
    ad->country = text_field(r, obj, path, "country", 8, F_REQUIRED);
    if (ad->country && !(strlen(ad->country) == 2 && ad->country[0] >= 'A' &&
                         ad->country[0] <= 'Z' && ad->country[1] >= 'A' && ad->country[1] <= 'Z')) {
        field_error(r, path, "country", "must be an ISO 3166-1 country code such as US or CN");
        ad->country = NULL;
    }
    ad->address_type = enum_field(r, obj, path, "address_type", address_types, F_REQUIRED);
    ignore_rest(r, obj, "address", kept);
}

/* ---- entities ------------------------------------------------------------------- */

/*
 * Finds or makes the slot of (kind, id) in its dir array: *pos is its
 * position; true when it is new (the caller fills it), false when it was
 * met before (the caller merges). False with *pos -1 at a limit.
 */
static bool entity_slot(rd *r, store_rsc_kind kind, const char *id, int *pos)
{
    hsds_import *im = r->im;
    *pos = -1;
    if (r->stop || !index_reserve(im->index, r->a))
        return r->stop ? false : nomem(r);
    index_slot *s = index_find(im->index, (int)kind, id);
    if (s->id) {
        *pos = s->pos;
        return false;
    }
    if (im->entities >= STORE_RSC_MAX_ENTITIES) {
        pl_err_set(r->err, PL_LIMIT, "the import holds more than %d entities; split it",
                   STORE_RSC_MAX_ENTITIES);
        r->stop = true;
        return false;
    }
    void **arr;
    int *n, *cap;
    size_t size;
    store_rsc_dir *d = &im->dir;
    switch (kind) {
    case STORE_RSC_ORGANIZATION:
        arr = (void **)&d->orgs, n = &d->norgs, cap = &im->cap_orgs, size = sizeof *d->orgs;
        break;
    case STORE_RSC_LOCATION:
        arr = (void **)&d->locations, n = &d->nlocations, cap = &im->cap_locations,
        size = sizeof *d->locations;
        break;
    case STORE_RSC_SERVICE:
        arr = (void **)&d->services, n = &d->nservices, cap = &im->cap_services,
        size = sizeof *d->services;
        break;
    case STORE_RSC_SERVICE_AT_LOCATION:
        arr = (void **)&d->sals, n = &d->nsals, cap = &im->cap_sals, size = sizeof *d->sals;
        break;
    default:
        arr = (void **)&d->terms, n = &d->nterms, cap = &im->cap_terms, size = sizeof *d->terms;
        break;
    }
    if (*n >= *cap) {
        int ncap = *cap ? *cap * 2 : 16;
        char *bigger = pl_arena_alloc(r->a, size * (size_t)ncap);
        if (!bigger)
            return nomem(r);
        if (*n)
            memcpy(bigger, *arr, size * (size_t)*n);
        *arr = bigger;
        *cap = ncap;
    }
    memset((char *)*arr + size * (size_t)*n, 0, size);
    s->id = id;
    s->kind = (int)kind;
    s->pos = (*n)++;
    im->index->used++;
    im->entities++;
    *pos = s->pos;
    return true;
}

/* Two references to one entity must agree; a missing one takes the other. */
static const char *same_ref(rd *r, const char *path, const char *key, const char *given,
                            const char *implied, const char *what)
{
    if (given && implied && strcmp(given, implied) != 0) {
        field_error(r, path, key, "is %s, but the %s is nested in %s", given, what, implied);
        return implied;
    }
    return given ? given : implied;
}

static const char *const term_kept[] = {"id",         "code",     "name",     "description",
                                        "parent_id",  "taxonomy", "language", "term_uri",
                                        "vocabulary", NULL};

/* A taxonomy term (HSDS 3 taxonomy_term, or 1.1 taxonomy with its vocabulary); its id. */
static const char *read_term(rd *r, json_object *obj, const char *path)
{
    store_rsc_term t = {.path = path};
    t.hsds_id = id_field(r, obj, path, "id", F_REQUIRED);
    t.code = text_field(r, obj, path, "code", 100, 0);
    t.name = text_field(r, obj, path, "name", NAME_MAX_B, F_REQUIRED);
    t.description = text_field(r, obj, path, "description", TEXT_MAX, F_MULTILINE);
    t.parent_id = id_field(r, obj, path, "parent_id", 0);
    t.taxonomy = text_field(r, obj, path, "taxonomy", LINE_MAX_B, 0);
    const char *vocabulary = text_field(r, obj, path, "vocabulary", LINE_MAX_B, 0);
    if (!t.taxonomy)
        t.taxonomy = vocabulary;
    t.language = code_field(r, obj, path, "language");
    t.term_uri = url_field(r, obj, path, "term_uri");
    ignore_rest(r, obj, "taxonomy_term", term_kept);
    if (!t.hsds_id)
        return NULL;
    int pos;
    if (entity_slot(r, STORE_RSC_TERM, t.hsds_id, &pos) || pos >= 0) {
        store_rsc_term *dst = &r->im->dir.terms[pos];
        const char *first_path = dst->path;
        *dst = t;
        if (first_path)
            dst->path = first_path;
    }
    return t.hsds_id;
}

static void read_attribute(rd *r, json_object *obj, const char *path, void *item)
{
    static const char *const kept[] = {"id",    "taxonomy_term", "taxonomy_term_id",
                                       "value", "label",         NULL};
    store_rsc_attribute *at = item;
    at->hsds_id = id_field(r, obj, path, "id", F_REQUIRED);
    const char *ref = id_field(r, obj, path, "taxonomy_term_id", 0);
    json_object *term = member(obj, "taxonomy_term");
    const char *nested = NULL;
    if (term && !json_object_is_type(term, json_type_object))
        field_error(r, path, "taxonomy_term", "must be an object");
    else if (term)
        nested = read_term(r, term, join(r, path, "taxonomy_term", -1));
    at->term.hsds_id = same_ref(r, path, "taxonomy_term_id", ref, nested, "attribute's term");
    if (!ref && !term)
        field_error(r, path, "taxonomy_term", "is required (or taxonomy_term_id)");
    at->value = text_field(r, obj, path, "value", NAME_MAX_B, 0);
    at->label = text_field(r, obj, path, "label", NAME_MAX_B, 0);
    ignore_rest(r, obj, "attribute", kept);
}

/* 1.1: a service's "taxonomy" list of {id, name, parent_id, parent_name, vocabulary}. */
static void read_v11_taxonomy(rd *r, json_object *obj, const char *path, void *item)
{
    store_rsc_attribute *at = item;
    at->term.hsds_id = read_term(r, obj, path);
    at->hsds_id = NULL; /* made from the service and term ids by the caller */
}

/* 1.1: a service's "service_taxonomy" links {id, taxonomy_id, taxonomy_detail}. */
static void read_v11_link(rd *r, json_object *obj, const char *path, void *item)
{
    static const char *const kept[] = {"id", "taxonomy_id", "taxonomy_detail", "service_id", NULL};
    store_rsc_attribute *at = item;
    at->hsds_id = id_field(r, obj, path, "id", F_REQUIRED);
    at->term.hsds_id = id_field(r, obj, path, "taxonomy_id", F_REQUIRED);
    json_object *detail = member(obj, "taxonomy_detail");
    if (detail && json_object_is_type(detail, json_type_string))
        at->value = text_field(r, obj, path, "taxonomy_detail", NAME_MAX_B, 0);
    else if (detail)
        ignore_entities(r, "taxonomy", 1);
    ignore_rest(r, obj, "service_taxonomy", kept);
}

static void merge_location(store_rsc_location *dst, const store_rsc_location *src)
{
    store_rsc_location old = *dst;
    *dst = *src;
    dst->path = old.path ? old.path : src->path;
    if (!src->organization_hsds_id)
        dst->organization_hsds_id = old.organization_hsds_id;
    if (!src->has_phones)
        dst->phones = old.phones, dst->nphones = old.nphones, dst->has_phones = old.has_phones;
    if (!src->has_languages)
        dst->languages = old.languages, dst->nlanguages = old.nlanguages,
        dst->has_languages = old.has_languages;
    if (!src->has_schedules)
        dst->schedules = old.schedules, dst->nschedules = old.nschedules,
        dst->has_schedules = old.has_schedules;
    if (!src->has_addresses)
        dst->addresses = old.addresses, dst->naddresses = old.naddresses,
        dst->has_addresses = old.has_addresses;
}

static const char *const location_types[] = {"physical", "postal", "virtual", NULL};

/* A location, operated by organization org (NULL: as it says); its id. */
static const char *read_location(rd *r, json_object *obj, const char *path, const char *org)
{
    static const char *const kept[] = {
        "id",          "location_type",  "organization_id", "name",      "alternate_name",
        "description", "transportation", "latitude",        "longitude", "languages",
        "addresses",   "phones",         "schedules",       NULL};
    store_rsc_location l = {.path = path};
    bool has_lat, has_long;
    l.hsds_id = id_field(r, obj, path, "id", F_REQUIRED);
    l.location_type = enum_field(r, obj, path, "location_type", location_types, F_REQUIRED);
    l.organization_hsds_id = same_ref(
        r, path, "organization_id", id_field(r, obj, path, "organization_id", 0), org, "location");
    l.name = text_field(r, obj, path, "name", NAME_MAX_B, 0);
    l.alternate_name = text_field(r, obj, path, "alternate_name", NAME_MAX_B, 0);
    l.description = text_field(r, obj, path, "description", TEXT_MAX, F_MULTILINE);
    l.transportation = text_field(r, obj, path, "transportation", NOTE_MAX, F_MULTILINE);
    l.latitude = number_field(r, obj, path, "latitude", &has_lat);
    l.longitude = number_field(r, obj, path, "longitude", &has_long);
    const char *where = *path ? path : "the location";
    if (has_lat != has_long) {
        warn(r, "%s: a %s without a %s is not kept", where, has_lat ? "latitude" : "longitude",
             has_lat ? "longitude" : "latitude");
    } else if (has_lat &&
               (l.latitude < -90 || l.latitude > 90 || l.longitude < -180 || l.longitude > 180)) {
        warn(r,
             "%s: latitude %g, longitude %g lie outside -90..90 and -180..180; the coordinates "
             "were not kept",
             where, l.latitude, l.longitude);
    } else {
        l.has_coordinates = has_lat;
    }
    list_field(r, obj, path, "languages", sizeof *l.languages, read_language, (void **)&l.languages,
               &l.nlanguages, &l.has_languages);
    list_field(r, obj, path, "addresses", sizeof *l.addresses, read_address, (void **)&l.addresses,
               &l.naddresses, &l.has_addresses);
    list_field(r, obj, path, "phones", sizeof *l.phones, read_phone, (void **)&l.phones, &l.nphones,
               &l.has_phones);
    list_field(r, obj, path, "schedules", sizeof *l.schedules, read_schedule, (void **)&l.schedules,
               &l.nschedules, &l.has_schedules);
    ignore_rest(r, obj, "location", kept);
    if (!l.hsds_id)
        return NULL;
    int pos;
    if (entity_slot(r, STORE_RSC_LOCATION, l.hsds_id, &pos) || pos >= 0)
        merge_location(&r->im->dir.locations[pos], &l);
    return l.hsds_id;
}

static const char *read_org(rd *r, json_object *obj, const char *path);
static const char *read_service(rd *r, json_object *obj, const char *path, const char *org);

static const char *read_sal(rd *r, json_object *obj, const char *path, const char *service)
{
    static const char *const kept[] = {"id",      "description", "service_id",
                                       "service", "location_id", "location",
                                       "phones",  "schedules",   NULL};
    store_rsc_sal s = {.path = path};
    s.hsds_id = id_field(r, obj, path, "id", F_REQUIRED);
    s.description = text_field(r, obj, path, "description", TEXT_MAX, F_MULTILINE);
    const char *svc = id_field(r, obj, path, "service_id", 0);
    json_object *sv = member(obj, "service");
    if (sv && !json_object_is_type(sv, json_type_object))
        field_error(r, path, "service", "must be an object");
    else if (sv)
        svc = same_ref(r, path, "service_id", svc,
                       read_service(r, sv, join(r, path, "service", -1), NULL),
                       "service_at_location");
    s.service_hsds_id = same_ref(r, path, "service_id", svc, service, "service_at_location");
    if (!s.service_hsds_id)
        field_error(r, path, "service_id", "is required (or a nested service)");
    const char *loc = id_field(r, obj, path, "location_id", 0);
    json_object *lv = member(obj, "location");
    if (lv && !json_object_is_type(lv, json_type_object))
        field_error(r, path, "location", "must be an object");
    else if (lv)
        loc = same_ref(r, path, "location_id", loc,
                       read_location(r, lv, join(r, path, "location", -1), NULL),
                       "service_at_location");
    s.location_hsds_id = loc;
    if (!s.location_hsds_id)
        field_error(r, path, "location_id", "is required (or a nested location)");
    list_field(r, obj, path, "phones", sizeof *s.phones, read_phone, (void **)&s.phones, &s.nphones,
               &s.has_phones);
    list_field(r, obj, path, "schedules", sizeof *s.schedules, read_schedule, (void **)&s.schedules,
               &s.nschedules, &s.has_schedules);
    ignore_rest(r, obj, "service_at_location", kept);
    if (!s.hsds_id)
        return NULL;
    int pos;
    if (entity_slot(r, STORE_RSC_SERVICE_AT_LOCATION, s.hsds_id, &pos) || pos >= 0) {
        store_rsc_sal *dst = &r->im->dir.sals[pos];
        store_rsc_sal old = *dst;
        *dst = s;
        dst->path = old.path ? old.path : s.path;
        if (!s.has_phones)
            dst->phones = old.phones, dst->nphones = old.nphones, dst->has_phones = old.has_phones;
        if (!s.has_schedules)
            dst->schedules = old.schedules, dst->nschedules = old.nschedules,
            dst->has_schedules = old.has_schedules;
    }
    return s.hsds_id;
}

static const char *const service_statuses[] = {"active", "inactive", "defunct",
                                               "temporarily closed", NULL};

/* Joins two attribute lists (3.x attributes, then the 1.1 forms) into one. */
static void append_attributes(rd *r, store_rsc_service *s, const store_rsc_attribute *more, int n,
                              const char *path, const char *key)
{
    if (n == 0)
        return;
    if (s->nattributes + n > STORE_RSC_MAX_CHILDREN) {
        field_error(r, path, key, "must have at most %d items with the attributes",
                    STORE_RSC_MAX_CHILDREN);
        return;
    }
    store_rsc_attribute *all = pl_arena_alloc(r->a, sizeof *all * (size_t)(s->nattributes + n));
    if (!all) {
        nomem(r);
        return;
    }
    if (s->nattributes)
        memcpy(all, s->attributes, sizeof *all * (size_t)s->nattributes);
    memcpy(all + s->nattributes, more, sizeof *all * (size_t)n);
    s->attributes = all;
    s->nattributes += n;
    s->has_attributes = true;
}

/* A service provided by organization org (NULL: as it says); its id. */
static const char *read_service(rd *r, json_object *obj, const char *path, const char *org)
{
    static const char *const kept[] = {"id",
                                       "organization_id",
                                       "organization",
                                       "name",
                                       "alternate_name",
                                       "description",
                                       "url",
                                       "email",
                                       "status",
                                       "interpretation_services",
                                       "application_process",
                                       "fees_description",
                                       "fees",
                                       "eligibility_description",
                                       "phones",
                                       "schedules",
                                       "languages",
                                       "attributes",
                                       "taxonomy",
                                       "service_taxonomy",
                                       "service_at_locations",
                                       NULL};
    store_rsc_service s = {.path = path};
    s.hsds_id = id_field(r, obj, path, "id", F_REQUIRED);
    const char *given = id_field(r, obj, path, "organization_id", 0);
    json_object *ov = member(obj, "organization");
    if (ov && !json_object_is_type(ov, json_type_object))
        field_error(r, path, "organization", "must be an object");
    else if (ov)
        given = same_ref(r, path, "organization_id", given,
                         read_org(r, ov, join(r, path, "organization", -1)), "service");
    s.organization_hsds_id = same_ref(r, path, "organization_id", given, org, "service");
    if (!s.organization_hsds_id)
        field_error(r, path, "organization_id",
                    "is required: a service is provided by an organization (list it in the "
                    "organization's services, or give organization or organization_id)");
    s.name = text_field(r, obj, path, "name", NAME_MAX_B, F_REQUIRED);
    s.alternate_name = text_field(r, obj, path, "alternate_name", NAME_MAX_B, 0);
    s.description = text_field(r, obj, path, "description", TEXT_MAX, F_MULTILINE);
    s.url = url_field(r, obj, path, "url");
    s.email = email_field(r, obj, path, "email");
    s.status = enum_field(r, obj, path, "status", service_statuses, F_REQUIRED);
    s.interpretation_services =
        text_field(r, obj, path, "interpretation_services", NOTE_MAX, F_MULTILINE);
    s.application_process = text_field(r, obj, path, "application_process", NOTE_MAX, F_MULTILINE);
    s.fees_description = text_field(r, obj, path, "fees_description", NOTE_MAX, F_MULTILINE);
    /* "fees" is the 3.0 name (deprecated in 3.1): kept only when fees_description is absent */
    const char *fees = text_field(r, obj, path, "fees", NOTE_MAX, F_MULTILINE);
    if (!s.fees_description)
        s.fees_description = fees;
    else if (fees)
        ignore_field(r, "service", "fees");
    s.eligibility_description =
        text_field(r, obj, path, "eligibility_description", NOTE_MAX, F_MULTILINE);
    list_field(r, obj, path, "phones", sizeof *s.phones, read_phone, (void **)&s.phones, &s.nphones,
               &s.has_phones);
    list_field(r, obj, path, "schedules", sizeof *s.schedules, read_schedule, (void **)&s.schedules,
               &s.nschedules, &s.has_schedules);
    list_field(r, obj, path, "languages", sizeof *s.languages, read_language, (void **)&s.languages,
               &s.nlanguages, &s.has_languages);
    list_field(r, obj, path, "attributes", sizeof *s.attributes, read_attribute,
               (void **)&s.attributes, &s.nattributes, &s.has_attributes);
    store_rsc_attribute *more;
    int nmore;
    bool has;
    list_field(r, obj, path, "taxonomy", sizeof *more, read_v11_taxonomy, (void **)&more, &nmore,
               &has);
    for (int i = 0; i < nmore && s.hsds_id; i++) {
        more[i].hsds_id = pl_arena_printf(r->a, "%s:%s", s.hsds_id,
                                          more[i].term.hsds_id ? more[i].term.hsds_id : "");
        if (!more[i].hsds_id || strlen(more[i].hsds_id) > ID_MAX)
            more[i].hsds_id = more[i].term.hsds_id;
    }
    append_attributes(r, &s, more, nmore, path, "taxonomy");
    s.has_attributes = s.has_attributes || has;
    list_field(r, obj, path, "service_taxonomy", sizeof *more, read_v11_link, (void **)&more,
               &nmore, &has);
    append_attributes(r, &s, more, nmore, path, "service_taxonomy");
    s.has_attributes = s.has_attributes || has;
    json_object *sals = member(obj, "service_at_locations");
    if (sals && !json_object_is_type(sals, json_type_array)) {
        field_error(r, path, "service_at_locations", "must be an array of objects");
    } else if (sals) {
        int n = (int)json_object_array_length(sals);
        for (int i = 0; i < n && !r->stop; i++) {
            json_object *e = json_object_array_get_idx(sals, (size_t)i);
            const char *p = join(r, path, "service_at_locations", i);
            if (!e || !json_object_is_type(e, json_type_object))
                field_error(r, p, NULL, "must be an object");
            else
                read_sal(r, e, p, s.hsds_id);
        }
    }
    ignore_rest(r, obj, "service", kept);
    if (!s.hsds_id)
        return NULL;
    int pos;
    if (entity_slot(r, STORE_RSC_SERVICE, s.hsds_id, &pos) || pos >= 0) {
        store_rsc_service *dst = &r->im->dir.services[pos];
        store_rsc_service old = *dst;
        *dst = s;
        dst->path = old.path ? old.path : s.path;
        if (!s.organization_hsds_id)
            dst->organization_hsds_id = old.organization_hsds_id;
        if (!s.has_phones)
            dst->phones = old.phones, dst->nphones = old.nphones, dst->has_phones = old.has_phones;
        if (!s.has_languages)
            dst->languages = old.languages, dst->nlanguages = old.nlanguages,
            dst->has_languages = old.has_languages;
        if (!s.has_schedules)
            dst->schedules = old.schedules, dst->nschedules = old.nschedules,
            dst->has_schedules = old.has_schedules;
        if (!s.has_attributes)
            dst->attributes = old.attributes, dst->nattributes = old.nattributes,
            dst->has_attributes = old.has_attributes;
    }
    return s.hsds_id;
}

/* Reads an organization's "locations" or "services" list. */
static void read_owned(rd *r, json_object *obj, const char *path, const char *key, const char *org,
                       bool services)
{
    json_object *v = member(obj, key);
    if (!v)
        return;
    if (!json_object_is_type(v, json_type_array)) {
        field_error(r, path, key, "must be an array of objects");
        return;
    }
    int n = (int)json_object_array_length(v);
    for (int i = 0; i < n && !r->stop; i++) {
        json_object *e = json_object_array_get_idx(v, (size_t)i);
        const char *p = join(r, path, key, i);
        if (!e || !json_object_is_type(e, json_type_object))
            field_error(r, p, NULL, "must be an object");
        else if (services)
            read_service(r, e, p, org);
        else
            read_location(r, e, p, org);
    }
}

static const char *read_org(rd *r, json_object *obj, const char *path)
{
    static const char *const kept[] = {"id",       "name",    "alternate_name", "description",
                                       "email",    "website", "phones",         "locations",
                                       "services", NULL};
    store_rsc_org o = {.path = path};
    o.hsds_id = id_field(r, obj, path, "id", F_REQUIRED);
    o.name = text_field(r, obj, path, "name", NAME_MAX_B, F_REQUIRED);
    o.alternate_name = text_field(r, obj, path, "alternate_name", NAME_MAX_B, 0);
    o.description = text_field(r, obj, path, "description", TEXT_MAX, F_MULTILINE | F_REQUIRED);
    o.email = email_field(r, obj, path, "email");
    o.website = url_field(r, obj, path, "website");
    list_field(r, obj, path, "phones", sizeof *o.phones, read_phone, (void **)&o.phones, &o.nphones,
               &o.has_phones);
    read_owned(r, obj, path, "locations", o.hsds_id, false);
    read_owned(r, obj, path, "services", o.hsds_id, true);
    ignore_rest(r, obj, "organization", kept);
    if (!o.hsds_id)
        return NULL;
    int pos;
    if (entity_slot(r, STORE_RSC_ORGANIZATION, o.hsds_id, &pos) || pos >= 0) {
        store_rsc_org *dst = &r->im->dir.orgs[pos];
        store_rsc_org old = *dst;
        *dst = o;
        dst->path = old.path ? old.path : o.path;
        if (!o.has_phones)
            dst->phones = old.phones, dst->nphones = old.nphones, dst->has_phones = old.has_phones;
    }
    return o.hsds_id;
}

/* ---- documents -------------------------------------------------------------- */

static bool has(json_object *obj, const char *key)
{
    return member(obj, key) != NULL;
}

/* Which HSDS object obj is (docs/RESOURCES.md, "What a document may hold"). */
static void read_object(rd *r, json_object *obj, const char *path)
{
    r->im->report.objects++;
    if (!has(obj, "name") && (has(obj, "service") || has(obj, "location") ||
                              has(obj, "service_id") || has(obj, "location_id"))) {
        read_sal(r, obj, path, NULL);
    } else if (has(obj, "location_type") || has(obj, "addresses") || has(obj, "latitude") ||
               has(obj, "transportation")) {
        read_location(r, obj, path, NULL);
    } else if (has(obj, "code") || has(obj, "taxonomy_detail") || has(obj, "term_uri") ||
               has(obj, "vocabulary") || has(obj, "parent_name") || has(obj, "parent_id") ||
               (has(obj, "taxonomy") &&
                json_object_is_type(member(obj, "taxonomy"), json_type_string))) {
        read_term(r, obj, path);
    } else if (has(obj, "status") || has(obj, "service_at_locations") || has(obj, "organization") ||
               has(obj, "eligibility_description") || has(obj, "application_process")) {
        read_service(r, obj, path, NULL);
    } else if (has(obj, "openapi_url") || has(obj, "profile")) {
        ignore_entities(r, "api_description", 1);
    } else if ((has(obj, "uri") || has(obj, "version")) && !has(obj, "services") &&
               !has(obj, "locations") && !has(obj, "email") && !has(obj, "website")) {
        ignore_entities(r, "taxonomy", 1);
    } else if (has(obj, "id") && has(obj, "name")) {
        read_org(r, obj, path);
    } else {
        field_error(r, path, NULL,
                    "is not an HSDS organization, service, location, service_at_location or "
                    "taxonomy_term");
    }
}

static void read_array(rd *r, json_object *arr, const char *path, const char *key)
{
    int n = (int)json_object_array_length(arr);
    for (int i = 0; i < n && !r->stop; i++) {
        json_object *e = json_object_array_get_idx(arr, (size_t)i);
        const char *p = join(r, path, key, i);
        if (!e || !json_object_is_type(e, json_type_object))
            field_error(r, p, NULL, "must be an object");
        else
            read_object(r, e, p);
    }
}

/* Members of every object of a tree, to compare with what the checker counted. */
static size_t count_members(json_object *v)
{
    size_t n = 0;
    if (json_object_is_type(v, json_type_object)) {
        json_object_object_foreach(v, key, val)
        {
            (void)key;
            n += 1 + count_members(val);
        }
    } else if (json_object_is_type(v, json_type_array)) {
        size_t len = json_object_array_length(v);
        for (size_t i = 0; i < len; i++)
            n += count_members(json_object_array_get_idx(v, i));
    }
    return n;
}

void hsds_import_init(hsds_import *im, pl_arena *a)
{
    memset(im, 0, sizeof *im);
    im->arena = a;
}

pl_status hsds_import_add(hsds_import *im, const char *text, size_t len, pl_err *err)
{
    if (len > HSDS_MAX_BYTES)
        return pl_err_set(err, PL_LIMIT,
                          "the document is %zu bytes, more than an import may take (%d MiB); "
                          "split it",
                          len, HSDS_MAX_BYTES / (1024 * 1024));
    if (!im->index) {
        im->index = pl_arena_alloc(im->arena, sizeof *im->index);
        if (!im->index)
            return pl_err_set(err, PL_LIMIT, "the import is larger than its memory limit");
    }
    pl_json_check chk = {.max_depth = HSDS_MAX_DEPTH};
    if (!pl_json_check_text(&chk, text, len))
        return pl_err_set(err, PL_USAGE, "the document is not valid JSON: %s at offset %zu",
                          chk.problem, chk.offset);
    json_tokener *tok = json_tokener_new_ex(HSDS_MAX_DEPTH + 1);
    if (!tok)
        return pl_err_set(err, PL_NOMEM, "out of memory reading the document");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *doc = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    json_tokener_free(tok);
    pl_status st = PL_OK;
    if (!doc || jerr != json_tokener_success) {
        st = pl_err_set(err, PL_USAGE,
                        "the document must be an HSDS object or an array of them, not a lone "
                        "value");
        goto done;
    }
    if (count_members(doc) != chk.members) {
        st = pl_err_set(err, PL_USAGE,
                        "a key appears twice in one object of the document; JSON readers "
                        "disagree on which to keep, so peerlink keeps neither");
        goto done;
    }
    im->report.documents++;
    rd r = {.im = im, .a = im->arena, .err = err};
    if (json_object_is_type(doc, json_type_array)) {
        read_array(&r, doc, "", NULL);
    } else if (json_object_is_type(doc, json_type_object) &&
               json_object_is_type(member(doc, "contents"), json_type_array)) {
        /* an HSDS list page: its paging members carry no data */
        read_array(&r, member(doc, "contents"), "", "contents");
        static const char *const kept[] = {"contents", NULL};
        ignore_rest(&r, doc, "page", kept);
    } else if (json_object_is_type(doc, json_type_object) &&
               json_object_is_type(member(doc, "organizations.csv"), json_type_array)) {
        st = pl_err_set(err, PL_USAGE,
                        "this is HSDS's tabular form (one array per CSV table), which peerlink "
                        "does not read: send the nested JSON form (organizations with their "
                        "services and locations)");
        goto done;
    } else if (json_object_is_type(doc, json_type_object)) {
        read_object(&r, doc, "");
    } else {
        st = pl_err_set(err, PL_USAGE,
                        "the document must be an HSDS object or an array of them, not a lone "
                        "value");
        goto done;
    }
    if (r.stop)
        st = err->status;
    else if (err->nfields > 0 || err->truncated)
        st = pl_err_set(err, PL_INVALID, "the document breaks HSDS rules: see errors");
done:
    json_object_put(doc);
    return st;
}

void hsds_import_finish(hsds_import *im)
{
    store_rsc_dir *d = &im->dir;
    for (int i = 0; i < d->nlocations; i++)
        d->locations[i].orphan = d->locations[i].organization_hsds_id == NULL;
    for (int k = 0; k < d->nterms; k++)
        d->terms[k].orphan = true;
    if (!im->index || !im->index->cap)
        return;
    for (int i = 0; i < d->nsals; i++) {
        if (!d->sals[i].location_hsds_id)
            continue;
        index_slot *s = index_find(im->index, STORE_RSC_LOCATION, d->sals[i].location_hsds_id);
        if (s->id)
            d->locations[s->pos].orphan = false;
    }
    for (int i = 0; i < d->nservices; i++)
        for (int j = 0; j < d->services[i].nattributes; j++) {
            const char *t = d->services[i].attributes[j].term.hsds_id;
            index_slot *s = t ? index_find(im->index, STORE_RSC_TERM, t) : NULL;
            if (s && s->id)
                d->terms[s->pos].orphan = false;
        }
}

/* ---- export ------------------------------------------------------------------- */

#define ADD(o, k, v) json_object_object_add((o), (k), (v))

static void add_str(json_object *o, const char *key, const char *v)
{
    if (v)
        ADD(o, key, json_object_new_string(v));
}

static json_object *languages_json(const store_rsc_language *l, int n)
{
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        add_str(o, "id", l[i].hsds_id);
        add_str(o, "name", l[i].name);
        add_str(o, "code", l[i].code);
        add_str(o, "note", l[i].note);
        json_object_array_add(arr, o);
    }
    return arr;
}

static json_object *phones_json(const store_rsc_phone *p, int n)
{
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        add_str(o, "id", p[i].hsds_id);
        add_str(o, "number", p[i].number);
        if (p[i].extension >= 0)
            ADD(o, "extension", json_object_new_int(p[i].extension));
        add_str(o, "type", p[i].type);
        add_str(o, "description", p[i].description);
        ADD(o, "languages", languages_json(p[i].languages, p[i].nlanguages));
        json_object_array_add(arr, o);
    }
    return arr;
}

static json_object *schedules_json(const store_rsc_schedule *s, int n)
{
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        char d[PL_DATE_STRLEN];
        add_str(o, "id", s[i].hsds_id);
        if (s[i].valid_from != PL_DATE_NONE) {
            pl_date_format(s[i].valid_from, d);
            add_str(o, "valid_from", d);
        }
        if (s[i].valid_to != PL_DATE_NONE) {
            pl_date_format(s[i].valid_to, d);
            add_str(o, "valid_to", d);
        }
        add_str(o, "freq", s[i].freq);
        if (s[i].interval > 0)
            ADD(o, "interval", json_object_new_int(s[i].interval));
        add_str(o, "byday", s[i].byday);
        add_str(o, "description", s[i].description);
        add_str(o, "opens_at", s[i].opens_at);
        add_str(o, "closes_at", s[i].closes_at);
        json_object_array_add(arr, o);
    }
    return arr;
}

static json_object *addresses_json(const store_rsc_address *a, int n)
{
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        add_str(o, "id", a[i].hsds_id);
        add_str(o, "attention", a[i].attention);
        add_str(o, "address_1", a[i].address_1);
        add_str(o, "address_2", a[i].address_2);
        add_str(o, "city", a[i].city);
        add_str(o, "region", a[i].region);
        add_str(o, "state_province", a[i].state_province);
        add_str(o, "postal_code", a[i].postal_code);
        add_str(o, "country", a[i].country);
        add_str(o, "address_type", a[i].address_type);
        json_object_array_add(arr, o);
    }
    return arr;
}

/* A coordinate with its shortest faithful decimal text (15 significant digits). */
static json_object *coordinate_json(double v)
{
    char text[32];
    snprintf(text, sizeof text, "%.15g", v);
    return json_object_new_double_s(v, text);
}

static json_object *location_json(const store_rsc_location *l)
{
    json_object *o = json_object_new_object();
    add_str(o, "id", l->hsds_id);
    add_str(o, "location_type", l->location_type);
    add_str(o, "name", l->name);
    add_str(o, "alternate_name", l->alternate_name);
    add_str(o, "description", l->description);
    add_str(o, "transportation", l->transportation);
    if (l->has_coordinates) {
        ADD(o, "latitude", coordinate_json(l->latitude));
        ADD(o, "longitude", coordinate_json(l->longitude));
    }
    ADD(o, "languages", languages_json(l->languages, l->nlanguages));
    ADD(o, "addresses", addresses_json(l->addresses, l->naddresses));
    ADD(o, "phones", phones_json(l->phones, l->nphones));
    ADD(o, "schedules", schedules_json(l->schedules, l->nschedules));
    return o;
}

static json_object *term_json(const store_rsc_term *t)
{
    json_object *o = json_object_new_object();
    add_str(o, "id", t->hsds_id);
    add_str(o, "code", t->code);
    add_str(o, "name", t->name);
    add_str(o, "description", t->description);
    add_str(o, "parent_id", t->parent_id);
    add_str(o, "taxonomy", t->taxonomy);
    add_str(o, "language", t->language);
    add_str(o, "term_uri", t->term_uri);
    return o;
}

/* The element size of the views' arrays of record pointers (every object pointer is this size
 * on the platforms peerlink builds for). */
#define PTR_SIZE sizeof(void *)

/* Sorted views of the directory for the export's look-ups. */
typedef struct views {
    const store_rsc_location **locations; /* by hsds_id */
    const store_rsc_service **services;   /* by organization hsds_id, then hsds_id */
    const store_rsc_location **owned;     /* by organization hsds_id, then hsds_id */
    const store_rsc_sal **sals;           /* by service hsds_id, then hsds_id */
    const store_rsc_term **terms;         /* by hsds_id */
} views;

static int strcmp0(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int by_location_id(const void *a, const void *b)
{
    const store_rsc_location *x = *(const store_rsc_location *const *)a;
    const store_rsc_location *y = *(const store_rsc_location *const *)b;
    return strcmp0(x->hsds_id, y->hsds_id);
}

static int by_location_org(const void *a, const void *b)
{
    const store_rsc_location *x = *(const store_rsc_location *const *)a;
    const store_rsc_location *y = *(const store_rsc_location *const *)b;
    int c = strcmp0(x->organization_hsds_id, y->organization_hsds_id);
    return c ? c : strcmp0(x->hsds_id, y->hsds_id);
}

static int by_service_org(const void *a, const void *b)
{
    const store_rsc_service *x = *(const store_rsc_service *const *)a;
    const store_rsc_service *y = *(const store_rsc_service *const *)b;
    int c = strcmp0(x->organization_hsds_id, y->organization_hsds_id);
    return c ? c : strcmp0(x->hsds_id, y->hsds_id);
}

static int by_sal_service(const void *a, const void *b)
{
    const store_rsc_sal *x = *(const store_rsc_sal *const *)a;
    const store_rsc_sal *y = *(const store_rsc_sal *const *)b;
    int c = strcmp0(x->service_hsds_id, y->service_hsds_id);
    return c ? c : strcmp0(x->hsds_id, y->hsds_id);
}

static int by_term_id(const void *a, const void *b)
{
    const store_rsc_term *x = *(const store_rsc_term *const *)a;
    const store_rsc_term *y = *(const store_rsc_term *const *)b;
    return strcmp0(x->hsds_id, y->hsds_id);
}

/* The directory's own record of an attribute's term (an import's attributes hold its id only). */
static const store_rsc_term *full_term(const views *v, int n, const store_rsc_term *t)
{
    int lo = 0, hi = n - 1;
    while (t->name == NULL && lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp0(v->terms[mid]->hsds_id, t->hsds_id);
        if (c == 0)
            return v->terms[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return t;
}

static int by_org_id(const void *a, const void *b)
{
    const store_rsc_org *x = *(const store_rsc_org *const *)a;
    const store_rsc_org *y = *(const store_rsc_org *const *)b;
    return strcmp0(x->hsds_id, y->hsds_id);
}

/* The first of the sals (sorted by service) that belongs to service id. */
static int first_sal(const views *v, int n, const char *id)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (strcmp0(v->sals[mid]->service_hsds_id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const store_rsc_location *find_location(const views *v, int n, const char *id)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp0(v->locations[mid]->hsds_id, id);
        if (c == 0)
            return v->locations[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

static json_object *service_json(const store_rsc_service *s, const views *v, const store_rsc_dir *d)
{
    json_object *o = json_object_new_object();
    add_str(o, "id", s->hsds_id);
    add_str(o, "name", s->name);
    add_str(o, "alternate_name", s->alternate_name);
    add_str(o, "description", s->description);
    add_str(o, "url", s->url);
    add_str(o, "email", s->email);
    add_str(o, "status", s->status);
    add_str(o, "interpretation_services", s->interpretation_services);
    add_str(o, "application_process", s->application_process);
    add_str(o, "fees_description", s->fees_description);
    add_str(o, "eligibility_description", s->eligibility_description);
    ADD(o, "phones", phones_json(s->phones, s->nphones));
    ADD(o, "schedules", schedules_json(s->schedules, s->nschedules));
    ADD(o, "languages", languages_json(s->languages, s->nlanguages));
    json_object *attrs = json_object_new_array();
    for (int i = 0; i < s->nattributes; i++) {
        const store_rsc_attribute *at = &s->attributes[i];
        json_object *a = json_object_new_object();
        add_str(a, "id", at->hsds_id);
        add_str(a, "taxonomy_term_id", at->term.hsds_id);
        ADD(a, "taxonomy_term", term_json(full_term(v, d->nterms, &at->term)));
        add_str(a, "value", at->value);
        add_str(a, "label", at->label);
        json_object_array_add(attrs, a);
    }
    ADD(o, "attributes", attrs);
    json_object *sals = json_object_new_array();
    for (int i = first_sal(v, d->nsals, s->hsds_id);
         i < d->nsals && strcmp0(v->sals[i]->service_hsds_id, s->hsds_id) == 0; i++) {
        const store_rsc_sal *sal = v->sals[i];
        json_object *so = json_object_new_object();
        add_str(so, "id", sal->hsds_id);
        add_str(so, "description", sal->description);
        ADD(so, "phones", phones_json(sal->phones, sal->nphones));
        ADD(so, "schedules", schedules_json(sal->schedules, sal->nschedules));
        const store_rsc_location *l = find_location(v, d->nlocations, sal->location_hsds_id);
        if (l && !l->organization_hsds_id)
            ADD(so, "location", location_json(l)); /* written nowhere else */
        else
            add_str(so, "location_id", sal->location_hsds_id);
        json_object_array_add(sals, so);
    }
    ADD(o, "service_at_locations", sals);
    return o;
}

json_object *hsds_export(const store_rsc_dir *d)
{
    views v = {0};
    json_object *out = json_object_new_array();
    v.locations = malloc(PTR_SIZE * (size_t)(d->nlocations + 1));
    v.owned = malloc(PTR_SIZE * (size_t)(d->nlocations + 1));
    v.services = malloc(PTR_SIZE * (size_t)(d->nservices + 1));
    v.sals = malloc(PTR_SIZE * (size_t)(d->nsals + 1));
    v.terms = malloc(PTR_SIZE * (size_t)(d->nterms + 1));
    const store_rsc_org **orgs = malloc(PTR_SIZE * (size_t)(d->norgs + 1));
    if (!out || !v.locations || !v.owned || !v.services || !v.sals || !v.terms || !orgs) {
        json_object_put(out);
        out = NULL;
        goto done;
    }
    for (int i = 0; i < d->nlocations; i++)
        v.locations[i] = v.owned[i] = &d->locations[i];
    for (int i = 0; i < d->nservices; i++)
        v.services[i] = &d->services[i];
    for (int i = 0; i < d->nsals; i++)
        v.sals[i] = &d->sals[i];
    for (int i = 0; i < d->norgs; i++)
        orgs[i] = &d->orgs[i];
    for (int i = 0; i < d->nterms; i++)
        v.terms[i] = &d->terms[i];
    qsort(v.terms, (size_t)d->nterms, PTR_SIZE, by_term_id);
    qsort(v.locations, (size_t)d->nlocations, PTR_SIZE, by_location_id);
    qsort(v.owned, (size_t)d->nlocations, PTR_SIZE, by_location_org);
    qsort(v.services, (size_t)d->nservices, PTR_SIZE, by_service_org);
    qsort(v.sals, (size_t)d->nsals, PTR_SIZE, by_sal_service);
    qsort(orgs, (size_t)d->norgs, PTR_SIZE, by_org_id);
    int li = 0, si = 0;
    for (int k = 0; k < d->norgs; k++) {
        const store_rsc_org *org = orgs[k];
        json_object *o = json_object_new_object();
        add_str(o, "id", org->hsds_id);
        add_str(o, "name", org->name);
        add_str(o, "alternate_name", org->alternate_name);
        add_str(o, "description", org->description);
        add_str(o, "email", org->email);
        add_str(o, "website", org->website);
        ADD(o, "phones", phones_json(org->phones, org->nphones));
        json_object *locs = json_object_new_array();
        while (li < d->nlocations && strcmp0(v.owned[li]->organization_hsds_id, org->hsds_id) < 0)
            li++;
        for (; li < d->nlocations && strcmp0(v.owned[li]->organization_hsds_id, org->hsds_id) == 0;
             li++)
            json_object_array_add(locs, location_json(v.owned[li]));
        ADD(o, "locations", locs);
        json_object *svcs = json_object_new_array();
        while (si < d->nservices && strcmp0(v.services[si]->organization_hsds_id, org->hsds_id) < 0)
            si++;
        for (;
             si < d->nservices && strcmp0(v.services[si]->organization_hsds_id, org->hsds_id) == 0;
             si++)
            json_object_array_add(svcs, service_json(v.services[si], &v, d));
        ADD(o, "services", svcs);
        json_object_array_add(out, o);
    }
done:
    free(v.locations);
    free(v.owned);
    free(v.services);
    free(v.sals);
    free(v.terms);
    free(orgs);
    return out;
}
