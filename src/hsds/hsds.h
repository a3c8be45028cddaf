/*
 * hsds.h - Open Referral HSDS 3 JSON to and from the directory records of
 * store.h (docs/RESOURCES.md is the mapping, field by field).
 *
 * Import: hsds_import_add() reads one document of outside bytes (checked by
 * core/json_check.h, parsed by json-c in strict mode), finds the HSDS
 * objects in it (an organization, service, location, service_at_location
 * or taxonomy_term; an array of them; or an HSDS list page {"contents":
 * [...]}), validates every kept field (a message per field, named by its
 * path in the document: "services[3].name") and adds the entities to one
 * store_rsc_dir, each HSDS id once per kind. Several documents may be added
 * to one import (the CLI's FILE...). hsds_import_finish() marks the
 * entities nothing refers to. Nothing is dropped silently: every field and
 * entity not kept is counted in the report, and every value that was
 * cleaned (coordinates out of range) is a warning.
 *
 * Export: hsds_export() writes a directory as a JSON array of HSDS 3
 * organizations, each with its phones, locations and services (services
 * with their phones, schedules, languages, attributes and
 * service_at_locations), which hsds_import_add() reads back to the same
 * records.
 *
 * Layer: above store (its record types), below api and cli; uses json-c.
 * Memory: every string of the result lives in the import's arena; json-c's
 * tree is freed before hsds_import_add returns.
 */
#ifndef PL_HSDS_HSDS_H
#define PL_HSDS_HSDS_H

#include <json-c/json.h>

#include "store/store.h"

#define HSDS_MAX_BYTES    (8 * 1024 * 1024) /* one document */
#define HSDS_MAX_DEPTH    32                /* JSON nesting of one document */
#define HSDS_MAX_WARNINGS 50                /* kept in the report; more are counted */
#define HSDS_MAX_NAMES    128 /* distinct ignored field and entity names; more go to "other" */

typedef struct hsds_count {
    const char *name; /* "organization.tax_status", or an entity kind "contact" */
    int count;
} hsds_count;

typedef struct hsds_report {
    int documents; /* documents read */
    int objects;   /* HSDS objects found at the top of the documents */
    hsds_count *ignored_fields;
    int nignored_fields; /* distinct names */
    hsds_count *ignored_entities;
    int nignored_entities;
    const char **warnings;
    int nwarnings;
    int warnings_dropped; /* past HSDS_MAX_WARNINGS */
} hsds_report;

typedef struct hsds_index hsds_index; /* internal: hsds_id -> entity, per kind */

typedef struct hsds_import {
    store_rsc_dir dir;
    hsds_report report;
    /* internal */
    pl_arena *arena;
    hsds_index *index;
    int cap_orgs, cap_locations, cap_services, cap_sals, cap_terms;
    int cap_fields, cap_entities, cap_warnings;
    int entities; /* distinct entities, against STORE_RSC_MAX_ENTITIES */
} hsds_import;

/* Starts an empty import whose records and report live in arena a. */
void hsds_import_init(hsds_import *im, pl_arena *a);

/*
 * Adds one document. PL_OK, or: PL_USAGE (the text is not JSON, or holds
 * no HSDS object: the message says where), PL_INVALID (field errors at
 * their paths), PL_LIMIT (larger than HSDS_MAX_BYTES, more than
 * STORE_RSC_MAX_ENTITIES entities or STORE_RSC_MAX_CHILDREN items in a
 * list, or the arena's ceiling). After a failure the import must not be
 * written.
 */
pl_status hsds_import_add(hsds_import *im, const char *text, size_t len, pl_err *err);

/* Marks locations and taxonomy terms that nothing of the import uses (store_rsc_*.orphan). */
void hsds_import_finish(hsds_import *im);

/* The directory as an HSDS 3 JSON array of organizations (the caller releases it). */
json_object *hsds_export(const store_rsc_dir *dir);

#endif
