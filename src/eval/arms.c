/*
 * arms.c - building a study's allocation (an arm per community) from what a
 * person entered or imported, with a message naming each bad entry: every
 * unit must be a community of the study's program and be given one arm
 * once. Shared by the API (JSON lists, CSV upload) and the command line
 * (CSV file).
 *
 * The CSV form is a header line "community,arm" and one line per community:
 * its code (or id) and "intervention" or "control". Blank lines are
 * skipped, fields may be quoted, CRLF is accepted. Errors name "line N".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"

pl_status eval_arms_begin(eval_arms *b, const eval_unit *units, int nunits, pl_id program_id,
                          pl_arena *a, pl_err *err)
{
    memset(b, 0, sizeof *b);
    b->units = units;
    b->nunits = nunits;
    b->program_id = program_id;
    b->taken = pl_arena_alloc(a, (size_t)nunits + 1);
    b->arms = pl_arena_alloc(a, sizeof *b->arms * ((size_t)nunits + 1));
    if (!b->taken || !b->arms)
        return pl_err_set(err, PL_LIMIT, "%d communities exceed the memory limit", nunits);
    return PL_OK;
}

static const eval_unit *by_id(const eval_arms *b, pl_id id)
{
    int lo = 0, hi = b->nunits - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (b->units[mid].id == id)
            return &b->units[mid];
        if (b->units[mid].id < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

void eval_arms_add(eval_arms *b, pl_id unit, pl_arm arm, const char *field, pl_err *err)
{
    const eval_unit *u = by_id(b, unit);
    if (!u) {
        pl_err_field(err, field, "unit %lld is not a community of program %lld", (long long)unit,
                     (long long)b->program_id);
        return;
    }
    if (arm != PL_ARM_INTERVENTION && arm != PL_ARM_CONTROL) {
        pl_err_field(err, field, "the arm must be intervention or control");
        return;
    }
    size_t k = (size_t)(u - b->units);
    if (b->taken[k]) {
        pl_err_field(err, field, "community %s is given an arm twice", u->code);
        return;
    }
    b->taken[k] = 1;
    b->arms[b->narms++] = (store_study_arm){unit, arm};
}

/* The next line at *p, cut out (line break and CR removed); NULL at the end. */
static char *next_line(char **p)
{
    if (!*p || !**p)
        return NULL;
    char *line = *p, *nl = strchr(line, '\n');
    if (nl) {
        *nl = '\0';
        *p = nl + 1;
    } else {
        *p = line + strlen(line);
    }
    size_t n = strlen(line);
    if (n && line[n - 1] == '\r')
        line[n - 1] = '\0';
    return line;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s[n - 1] = '\0';
        s++;
    }
    return s;
}

void eval_arms_parse_csv(eval_arms *b, char *text, pl_err *err)
{
    char *p = text, *line;
    int lineno = 0, rows = 0;
    bool header = false;
    while ((line = next_line(&p)) != NULL && err->nfields < PL_ERR_FIELDS_MAX) {
        char field[32];
        snprintf(field, sizeof field, "line %d", ++lineno);
        line = trim(line);
        if (!*line)
            continue;
        char *comma = strchr(line, ',');
        if (!comma || strchr(comma + 1, ',')) {
            pl_err_field(err, field, "must have two columns: community,arm");
            continue;
        }
        *comma = '\0';
        char *who = trim(line), *arm = trim(comma + 1);
        if (!header) {
            header = true;
            if (strcmp(who, "community") != 0 || strcmp(arm, "arm") != 0)
                pl_err_field(err, field, "the header must be community,arm");
            continue;
        }
        if (++rows > EVAL_CLUSTERS_MAX) {
            pl_err_field(err, field, "at most %d communities can be imported", EVAL_CLUSTERS_MAX);
            break;
        }
        pl_arm a;
        if (pl_arm_parse(arm, &a) != PL_OK || a == PL_ARM_NONE) {
            pl_err_field(err, field, "the arm must be intervention or control, not '%.40s'", arm);
            continue;
        }
        pl_id unit = 0;
        for (int i = 0; i < b->nunits && !unit; i++)
            if (strcmp(b->units[i].code, who) == 0)
                unit = b->units[i].id;
        if (!unit) {
            char *end;
            errno = 0;
            long long v = strtoll(who, &end, 10);
            if (!errno && end != who && !*end && v > 0)
                unit = (pl_id)v;
        }
        if (!unit) {
            pl_err_field(err, field, "'%.40s' is not the code or id of a community of program %lld",
                         who, (long long)b->program_id);
            continue;
        }
        eval_arms_add(b, unit, a, field, err);
    }
    if (!header)
        pl_err_field(err, "csv",
                     "is empty: give a header line community,arm and one line per community");
}

static int cmp_arm(const void *a, const void *b)
{
    const store_study_arm *x = a, *y = b;
    return (x->unit_id > y->unit_id) - (x->unit_id < y->unit_id);
}

pl_status eval_arms_finish(eval_arms *b, pl_err *err)
{
    if (err->nfields == 0 && b->narms == 0)
        pl_err_field(err, "arms", "allocate at least one community");
    if (err->nfields) {
        err->status = PL_INVALID;
        return PL_INVALID;
    }
    qsort(b->arms, (size_t)b->narms, sizeof *b->arms, cmp_arm);
    return PL_OK;
}

pl_status eval_arms_randomise(eval_arms *b, int ncontrol, uint64_t seed, pl_arena *a, pl_err *err)
{
    eval_cluster *cl = pl_arena_alloc(a, sizeof *cl * ((size_t)b->nunits + 1));
    if (!cl)
        return pl_err_set(err, PL_LIMIT, "%d communities exceed the memory limit", b->nunits);
    for (int i = 0; i < b->nunits; i++)
        cl[i] = (eval_cluster){b->units[i].id, b->units[i].district_id, PL_ARM_NONE};
    pl_status st = eval_randomise(cl, b->nunits, ncontrol, seed, err);
    if (st != PL_OK)
        return st;
    for (int i = 0; i < b->nunits; i++)
        eval_arms_add(b, cl[i].unit_id, cl[i].arm, "control", err);
    return eval_arms_finish(b, err);
}
