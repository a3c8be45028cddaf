/*
 * fuzz_fhir_entities.c - libFuzzer harness for the FHIR Organization,
 * Practitioner, PractitionerRole and Group readers (src/fhir/fhir_entities.c),
 * the bodies of POST and PUT /fhir/Organization, /fhir/Practitioner,
 * /fhir/PractitionerRole and /fhir/Group.
 *
 * The input is one FHIR resource, a pointer and a length in a buffer of
 * exactly that length, through fhir_parse() and then the reader its
 * resourceType names. What callers rely on is checked, and any break aborts:
 *
 * - fhir_parse answers PL_OK or PL_USAGE / PL_NOMEM with a message; a reader
 *   answers PL_OK or PL_INVALID naming at least one field (PL_NOMEM for a
 *   Group's members, with a message);
 * - an accepted resource holds what the write step needs: an Organization a
 *   name and a known kind; a PractitionerRole a practitioner and a known
 *   role; a Group a name, a known kind, at most FHIR_GROUP_MEMBERS_MAX
 *   members each with a Patient, `current` exactly when neither inactive nor
 *   ended, an end never before its start, no participant current twice;
 * - written back (fhir_*_json) and read again, each keeps what it carried:
 *   an Organization its name, code, kind and parent; a Practitioner its
 *   username, name and active flag; a PractitionerRole its practitioner,
 *   organization, role and active flag; a Group its name, kind, active flag,
 *   unit, leader and its dated memberships.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fhir/fhir.h"
#include "fhir/fhir_entities.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* o written as text and parsed again (o released). */
static json_object *again(json_object *o)
{
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    json_object *back = NULL;
    pl_err err;
    pl_err_clear(&err);
    if (fhir_parse(text, strlen(text), &back, &err) != PL_OK)
        abort();
    json_object_put(o);
    return back;
}

static bool checked(pl_status st, const pl_err *err)
{
    if (st == PL_INVALID && err->nfields == 0)
        abort();
    if (st == PL_NOMEM && !err->message[0])
        abort();
    if (st != PL_OK && st != PL_INVALID && st != PL_NOMEM)
        abort();
    return st == PL_OK;
}

static void organization(json_object *doc, pl_arena *a)
{
    fhir_organization f, b;
    pl_err err;
    pl_err_clear(&err);
    if (!checked(fhir_organization_from_json(doc, a, &f, &err), &err))
        return;
    if (!f.u.name || !pl_org_kind_name(f.u.kind) || f.parent < 0)
        abort();
    pl_org_unit u = f.u;
    u.id = 7;
    u.parent_id = f.parent;
    json_object *back = again(fhir_organization_json(&u, PL_TIME_NONE));
    pl_err_clear(&err);
    if (fhir_organization_from_json(back, a, &b, &err) != PL_OK || !same(b.u.name, u.name) ||
        !same(b.u.code && *b.u.code ? b.u.code : NULL, u.code && *u.code ? u.code : NULL) ||
        b.u.kind != u.kind || b.parent != u.parent_id)
        abort();
    json_object_put(back);
}

static void practitioner(json_object *doc, pl_arena *a)
{
    fhir_practitioner f, b;
    pl_err err;
    pl_err_clear(&err);
    if (!checked(fhir_practitioner_from_json(doc, a, &f, &err), &err) || !f.username ||
        !*f.username)
        return;
    pl_staff_account acc = {.id = 3,
                            .username = f.username,
                            .display_name = f.display_name,
                            .disabled = !f.active,
                            .role = PL_ROLE_NAVIGATOR};
    json_object *back = again(fhir_practitioner_json(&acc));
    pl_err_clear(&err);
    const char *shown = f.display_name && *f.display_name ? f.display_name : f.username;
    if (fhir_practitioner_from_json(back, a, &b, &err) != PL_OK || !same(b.username, f.username) ||
        !same(b.display_name, shown) || b.active != f.active)
        abort();
    json_object_put(back);
}

static void practitioner_role(json_object *doc, pl_arena *a)
{
    fhir_practitioner_role f, b;
    pl_err err;
    pl_err_clear(&err);
    if (!checked(fhir_practitioner_role_from_json(doc, a, &f, &err), &err))
        return;
    if (f.practitioner <= 0 || !pl_role_name(f.role) || f.organization < 0)
        abort();
    pl_staff_account acc = {.id = f.practitioner,
                            .username = "u",
                            .role = f.role,
                            .scope_unit_id = f.organization,
                            .disabled = !f.active};
    json_object *back = again(fhir_practitioner_role_json(&acc));
    pl_err_clear(&err);
    if (fhir_practitioner_role_from_json(back, a, &b, &err) != PL_OK ||
        b.practitioner != f.practitioner || b.organization != f.organization || b.role != f.role ||
        b.active != f.active)
        abort();
    json_object_put(back);
}

static void group(json_object *doc, pl_arena *a)
{
    fhir_group f, b;
    pl_err err;
    pl_err_clear(&err);
    if (!checked(fhir_group_from_json(doc, a, &f, &err), &err))
        return;
    if (!f.g.name || !pl_group_kind_name(f.g.kind) || f.nmembers < 0 ||
        f.nmembers > FHIR_GROUP_MEMBERS_MAX || f.unit < 0 || f.leader < 0)
        abort();
    /* the memberships a store could hold: a start, and an end unless current */
    pl_group_member *m = pl_arena_alloc(a, sizeof *m * (size_t)(f.nmembers + 1));
    int n = 0;
    for (int i = 0; i < f.nmembers; i++) {
        const fhir_group_entry *e = &f.members[i];
        if (e->participant <= 0 || e->current != (e->end == PL_DATE_NONE && e->current) ||
            (e->start != PL_DATE_NONE && e->end != PL_DATE_NONE && e->end < e->start))
            abort();
        if (e->current && e->end != PL_DATE_NONE)
            abort();
        for (int j = 0; j < i && e->current; j++)
            if (f.members[j].current && f.members[j].participant == e->participant)
                abort();
        if (e->start != PL_DATE_NONE && (e->current || e->end != PL_DATE_NONE))
            m[n++] = (pl_group_member){.participant_id = e->participant,
                                       .joined_on = e->start,
                                       .left_on = e->current ? PL_DATE_NONE : e->end};
    }
    pl_group g = f.g;
    g.id = 5;
    g.unit_id = f.unit;
    json_object *back = again(fhir_group_json(&g, m, n, PL_TIME_NONE, f.leader));
    pl_err_clear(&err);
    pl_status st = fhir_group_from_json(back, a, &b, &err);
    /* a list the reader refused (one participant current twice) is not written back */
    if (st != PL_OK || !same(b.g.name, g.name) || b.g.kind != g.kind || b.g.active != g.active ||
        b.unit != f.unit || b.leader != f.leader || b.nmembers != n)
        abort();
    for (int i = 0; i < n; i++)
        if (b.members[i].participant != m[i].participant_id ||
            b.members[i].start != m[i].joined_on || b.members[i].end != m[i].left_on ||
            b.members[i].current != (m[i].left_on == PL_DATE_NONE))
            abort();
    json_object_put(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    json_object *doc = NULL;
    pl_err err;
    pl_err_clear(&err);
    pl_status st = fhir_parse(text, size, &doc, &err);
    if (st != PL_OK) {
        if ((st != PL_USAGE && st != PL_NOMEM) || !err.message[0] || doc)
            abort();
        free(text);
        return 0;
    }
    json_object *rt;
    const char *type = json_object_object_get_ex(doc, "resourceType", &rt) &&
                               json_object_is_type(rt, json_type_string)
                           ? json_object_get_string(rt)
                           : "";
    pl_arena a;
    pl_arena_init(&a, 1u << 22);
    if (strcmp(type, "Organization") == 0)
        organization(doc, &a);
    else if (strcmp(type, "Practitioner") == 0)
        practitioner(doc, &a);
    else if (strcmp(type, "PractitionerRole") == 0)
        practitioner_role(doc, &a);
    else
        group(doc, &a); /* Group, and anything else (the reader must refuse it) */
    pl_arena_free(&a);
    json_object_put(doc);
    free(text);
    return 0;
}
