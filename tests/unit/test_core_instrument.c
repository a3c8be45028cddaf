/*
 * test_core_instrument.c - questionnaire scoring (src/core/instrument.c).
 *
 * The cases live in tests/data/instrument_cases.tsv: one row per set of
 * answers with the score worked out by hand (as a fraction where it is a
 * mean), whether it is scored, the band, the flags, the subscales, or the
 * field and message a person must see. One loop checks every row through
 * instrument_score() and names a failing row by its line number; it then
 * checks that the table reaches every band of every instrument at its lower
 * edge, every subscale scored and unscored, and every flag.
 */
#include <math.h>
#include <string.h>

#include "test.h"

#include "core/instrument.h"

#define NCOLS       11
#define ANSWERS_MAX 32

enum { C_INSTR, C_ANSWERS, C_EXPECT, C_SCORE, C_SCORED, C_BAND, C_FLAGS, C_SUBS, C_FIELD, C_MSG };

static const char *const header[] = {"instrument", "answers", "expect", "score",
                                     "scored",     "band",    "flags",  "subscales",
                                     "field",      "message", "note"};

static const char *const flag_names[] = {"urgent", "positive_screen", "safety_item_missing",
                                         "prorated"};
#define NFLAGS 4

/* Splits s in place on sep; returns the number of pieces. */
/* "a/b" or a decimal; false if neither. */
static bool parse_number(const char *s, double *out)
{
    char *end;
    double a = strtod(s, &end);
    if (end == s)
        return false;
    if (*end == '/') {
        const char *b = end + 1;
        double den = strtod(b, &end);
        if (end == b || den == 0)
            return false;
        a /= den;
    }
    *out = a;
    return *end == '\0';
}

/* "NULL": no array; "\"\"": zero answers; else comma list with - for a blank. */
static bool parse_answers(char *s, int *answers, int *n, bool *null)
{
    *null = strcmp(s, "NULL") == 0;
    *n = 0;
    if (*null || strcmp(s, "\"\"") == 0)
        return true;
    char *parts[ANSWERS_MAX];
    int np = test_split(s, ',', parts, ANSWERS_MAX);
    for (int i = 0; i < np; i++) {
        if (strcmp(parts[i], "-") == 0) {
            answers[i] = INSTR_MISSING;
            continue;
        }
        char *end;
        long v = strtol(parts[i], &end, 10);
        if (end == parts[i] || *end != '\0')
            return false;
        answers[i] = (int)v;
    }
    *n = np;
    return true;
}

static bool close_to(double got, double want)
{
    return fabs(got - want) <= 1e-9 * fmax(1.0, fabs(want));
}

static bool result_flag(const instrument_result *r, int i)
{
    switch (i) {
    case 0:
        return r->urgent;
    case 1:
        return r->positive_screen;
    case 2:
        return r->safety_item_missing;
    default:
        return r->prorated;
    }
}

/* Coverage, per instrument: which bands were met at their lower edge, which subscales were
 * scored and unscored, which flags were raised. */
typedef struct coverage {
    int band_rows[INSTR_BANDS_MAX];
    bool band_edge[INSTR_BANDS_MAX];
    bool sub_scored[INSTR_SUBSCALES_MAX], sub_unscored[INSTR_SUBSCALES_MAX];
    bool scored, unscored, refused;
} coverage;

static coverage cov[INSTR__COUNT];
static bool flag_seen[NFLAGS];

/* Checks "name=score[:band]" or "name=-" entries against the result. */
static bool check_subscales(int lineno, char *spec, const instrument_result *r)
{
    if (strcmp(spec, "-") == 0)
        return true;
    char *entries[INSTR_SUBSCALES_MAX + 1];
    int ne = test_split(spec, ',', entries, INSTR_SUBSCALES_MAX + 1);
    if (ne != r->nsubscales) {
        printf("# line %d: %d subscales listed, result has %d\n", lineno, ne, r->nsubscales);
        return false;
    }
    for (int i = 0; i < ne; i++) {
        char *eq = strchr(entries[i], '=');
        if (!eq) {
            printf("# line %d: subscale entry '%s' lacks '='\n", lineno, entries[i]);
            return false;
        }
        *eq = '\0';
        const instrument_subscale_result *s = NULL;
        for (int k = 0; k < r->nsubscales; k++)
            if (strcmp(r->subscales[k].name, entries[i]) == 0)
                s = &r->subscales[k];
        if (!s) {
            printf("# line %d: no subscale '%s'\n", lineno, entries[i]);
            return false;
        }
        int idx = (int)(s - r->subscales);
        char *val = eq + 1;
        if (strcmp(val, "-") == 0) {
            if (s->scored) {
                printf("# line %d: subscale %s scored %.6g, want unscored\n", lineno, s->name,
                       s->score);
                return false;
            }
            cov[r->def->id].sub_unscored[idx] = true;
            continue;
        }
        char *colon = strchr(val, ':');
        const char *band = NULL;
        if (colon) {
            *colon = '\0';
            band = colon + 1;
        }
        double want;
        if (!parse_number(val, &want)) {
            printf("# line %d: bad subscale score '%s'\n", lineno, val);
            return false;
        }
        if (!s->scored || !close_to(s->score, want)) {
            printf("# line %d: subscale %s %s %.12g, want %.12g\n", lineno, s->name,
                   s->scored ? "scored" : "unscored", s->score, want);
            return false;
        }
        if (band && (!s->band || strcmp(s->band, band) != 0)) {
            printf("# line %d: subscale %s band %s, want %s\n", lineno, s->name,
                   s->band ? s->band : "(none)", band);
            return false;
        }
        cov[r->def->id].sub_scored[idx] = true;
    }
    return true;
}

static bool check_row(int lineno, char **col)
{
    const instrument_def *d = instrument_find(col[C_INSTR]);
    int answers[ANSWERS_MAX];
    int n;
    bool null_answers;
    if (!parse_answers(col[C_ANSWERS], answers, &n, &null_answers)) {
        printf("# line %d: bad answers column\n", lineno);
        return false;
    }
    bool want_ok = strcmp(col[C_EXPECT], "ok") == 0;
    if (!want_ok && strcmp(col[C_EXPECT], "invalid") != 0) {
        printf("# line %d: expect must be ok or invalid, not '%s'\n", lineno, col[C_EXPECT]);
        return false;
    }
    instrument_result r;
    memset(&r, 0xA5, sizeof r);
    pl_err err;
    pl_err_clear(&err);
    pl_status st = instrument_score(d, null_answers ? NULL : answers, n, &r, &err);

    if (!want_ok) {
        if (st != PL_INVALID || err.status != PL_INVALID) {
            printf("# line %d: should be refused, got %s\n", lineno, pl_status_name(st));
            return false;
        }
        if (!test_field_error(&err, col[C_FIELD], col[C_MSG])) {
            printf("# line %d: no error on '%s' containing \"%s\"; got:\n", lineno, col[C_FIELD],
                   col[C_MSG]);
            test_dump_err(&err);
            return false;
        }
        if (r.def || r.scored || r.band || r.urgent || r.nsubscales) {
            printf("# line %d: refused answers still gave a result\n", lineno);
            return false;
        }
        if (d)
            cov[d->id].refused = true;
        return true;
    }

    if (st != PL_OK || err.nfields != 0) {
        printf("# line %d: should be scored, got %s\n", lineno, pl_status_name(st));
        test_dump_err(&err);
        return false;
    }
    if (r.def != d) {
        printf("# line %d: result does not point at its instrument\n", lineno);
        return false;
    }
    bool want_scored = strcmp(col[C_SCORED], "y") == 0;
    if (r.scored != want_scored) {
        printf("# line %d: scored is %c, want %s\n", lineno, r.scored ? 'y' : 'n', col[C_SCORED]);
        return false;
    }
    if (want_scored) {
        double want;
        if (!parse_number(col[C_SCORE], &want)) {
            printf("# line %d: bad score column '%s'\n", lineno, col[C_SCORE]);
            return false;
        }
        if (!close_to(r.score, want)) {
            printf("# line %d: score %.12g, want %.12g\n", lineno, r.score, want);
            return false;
        }
    } else if (strcmp(col[C_SCORE], "-") != 0) {
        printf("# line %d: an unscored row must have score -\n", lineno);
        return false;
    }
    const char *want_band = strcmp(col[C_BAND], "-") == 0 ? NULL : col[C_BAND];
    if ((want_band == NULL) != (r.band == NULL) || (want_band && strcmp(want_band, r.band) != 0)) {
        printf("# line %d: band %s, want %s\n", lineno, r.band ? r.band : "-", col[C_BAND]);
        return false;
    }
    bool want_flag[NFLAGS] = {false};
    if (strcmp(col[C_FLAGS], "-") != 0) {
        char *fl[NFLAGS + 1];
        int nf = test_split(col[C_FLAGS], ',', fl, NFLAGS + 1);
        for (int i = 0; i < nf; i++) {
            int k = 0;
            while (k < NFLAGS && strcmp(fl[i], flag_names[k]) != 0)
                k++;
            if (k == NFLAGS) {
                printf("# line %d: unknown flag '%s'\n", lineno, fl[i]);
                return false;
            }
            want_flag[k] = true;
        }
    }
    for (int k = 0; k < NFLAGS; k++) {
        if (result_flag(&r, k) != want_flag[k]) {
            printf("# line %d: flag %s is %s\n", lineno, flag_names[k],
                   want_flag[k] ? "not raised" : "raised");
            return false;
        }
        if (want_flag[k])
            flag_seen[k] = true;
    }
    if (!check_subscales(lineno, col[C_SUBS], &r))
        return false;

    coverage *c = &cov[d->id];
    if (r.scored) {
        c->scored = true;
        for (int b = 0; b < d->nbands; b++)
            if (r.band && strcmp(r.band, d->bands[b].name) == 0) {
                c->band_rows[b]++;
                if (r.score == d->bands[b].lo)
                    c->band_edge[b] = true;
            }
    } else {
        c->unscored = true;
    }
    return true;
}

static void test_instrument_cases_table(void **state)
{
    test_table t;
    test_table_open(&t, "instrument_cases.tsv", header, NCOLS);
    int lineno = 0, rows = 0, failures = 0;
    char *col[NCOLS];
    int ncols;
    while ((ncols = test_table_next(&t, col, NCOLS)) >= 0) {
        lineno = t.lineno;
        if (ncols < C_MSG + 1) {
            printf("# line %d: %d columns, want at least %d\n", lineno, ncols, C_MSG + 1);
            failures++;
            continue;
        }
        rows++;
        if (!check_row(lineno, col))
            failures++;
    }
    test_table_close(&t);
    printf("# %d rows checked, %d failed\n", rows, failures);
    assert_true(rows >= 100);

    /* every band of every instrument is met at its lower edge and in at least two rows; every
     * subscale is seen scored and unscored; every instrument scored, unscored and refused */
    for (int i = 0; i < INSTR__COUNT; i++) {
        const instrument_def *d = instrument_get((instrument_id)i);
        const coverage *c = &cov[i];
        for (int b = 0; b < d->nbands; b++)
            if (c->band_rows[b] < 2 || (b > 0 && !c->band_edge[b])) {
                printf("# %s band %s: %d rows, lower edge %s\n", d->code, d->bands[b].name,
                       c->band_rows[b], c->band_edge[b] ? "met" : "not met");
                failures++;
            }
        for (int s = 0; s < d->nsubscales; s++)
            if (!c->sub_scored[s] || !c->sub_unscored[s]) {
                printf("# %s subscale %s lacks a scored or an unscored row\n", d->code,
                       d->subscales[s].name);
                failures++;
            }
        if (!c->scored || !c->unscored || !c->refused) {
            printf("# %s lacks a scored, unscored or refused row\n", d->code);
            failures++;
        }
    }
    for (int k = 0; k < NFLAGS; k++)
        if (!flag_seen[k]) {
            printf("# no row raises %s\n", flag_names[k]);
            failures++;
        }
    assert_int_equal(failures, 0);
}

/* ---- the table itself ------------------------------------------------- */

static void test_instrument_table(void **state)
{
    static const struct {
        const char *code, *name, *panel, *total;
        int nitems, lo, hi;
    } want[] = {
        {"dds17", "DDS-17", NULL, NULL, 17, 1, 6},
        {"dds2", "DDS2", NULL, NULL, 2, 1, 6},
        {"phq9", "PHQ-9", "44249-1", "44261-6", 9, 0, 3},
        {"phq8", "PHQ-8", NULL, NULL, 8, 0, 3},
        {"phq2", "PHQ-2", "55757-9", "55758-7", 2, 0, 3},
        {"stanford_ses", "Stanford Diabetes Self-Efficacy", NULL, NULL, 8, 1, 10},
    };
    assert_int_equal(sizeof want / sizeof want[0], INSTR__COUNT);
    for (int i = 0; i < INSTR__COUNT; i++) {
        const instrument_def *d = instrument_find(want[i].code);
        assert_non_null(d);
        assert_ptr_equal(d, instrument_get((instrument_id)i));
        assert_int_equal(d->id, i);
        assert_string_equal(d->name, want[i].name);
        assert_int_equal(d->nitems, want[i].nitems);
        assert_int_equal(d->item_min, want[i].lo);
        assert_int_equal(d->item_max, want[i].hi);
        if (want[i].panel) {
            assert_string_equal(d->loinc_panel, want[i].panel);
            assert_string_equal(d->loinc_total, want[i].total);
        } else {
            assert_null(d->loinc_panel);
            assert_null(d->loinc_total);
        }
        /* bands rise; subscale items are in range and, for DDS-17, cover every item once */
        for (int b = 1; b < d->nbands; b++)
            assert_true(d->bands[b].lo > d->bands[b - 1].lo);
        int seen[INSTR_ITEMS_MAX + 1] = {0};
        for (int s = 0; s < d->nsubscales; s++)
            for (int k = 0; k < d->subscales[s].nitems; k++) {
                int item = d->subscales[s].items[k];
                assert_true(item >= 1 && item <= d->nitems);
                seen[item]++;
            }
        if (d->nsubscales)
            for (int item = 1; item <= d->nitems; item++)
                assert_int_equal(seen[item], 1);
        /* every item has a label in all three languages, each naming its item number */
        for (int item = 1; item <= d->nitems; item++) {
            char prefix[32];
            snprintf(prefix, sizeof prefix, "Item %d:", item);
            const char *en = instrument_item_label(d, item, "en");
            const char *es = instrument_item_label(d, item, "es");
            const char *zh = instrument_item_label(d, item, "zh-CN");
            assert_non_null(en);
            assert_non_null(es);
            assert_non_null(zh);
            assert_true(strncmp(en, prefix, strlen(prefix)) == 0);
            snprintf(prefix, sizeof prefix, "Ítem %d:", item);
            assert_true(strncmp(es, prefix, strlen(prefix)) == 0);
            snprintf(prefix, sizeof prefix, "第%d项：", item);
            assert_true(strncmp(zh, prefix, strlen(prefix)) == 0);
            assert_string_equal(instrument_item_label(d, item, "fr"), en);
            assert_string_equal(instrument_item_label(d, item, NULL), en);
        }
        assert_null(instrument_item_label(d, 0, "en"));
        assert_null(instrument_item_label(d, d->nitems + 1, "en"));
    }
    assert_null(instrument_find("PHQ9"));
    assert_null(instrument_find("dds"));
    assert_null(instrument_find(""));
    assert_null(instrument_find(NULL));
    assert_null(instrument_get(INSTR__COUNT));
    assert_null(instrument_get((instrument_id)-1));
    assert_null(instrument_item_label(NULL, 1, "en"));
}

/* every bad answer is reported, not only the first; the message names the range */
static void test_reports_every_answer(void **state)
{
    const instrument_def *d = instrument_find("phq9");
    int answers[9] = {0, 4, 0, -2, 0, 0, 0, 0, 9};
    instrument_result r;
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(instrument_score(d, answers, 9, &r, &err), PL_INVALID);
    assert_int_equal(err.nfields, 3);
    assert_string_equal(err.fields[0].field, "answers[1]");
    assert_string_equal(err.fields[0].message,
                        "PHQ-9 item 2 must be between 0 and 3 (or -1 if not answered), not 4");
    assert_string_equal(err.fields[1].field, "answers[3]");
    assert_string_equal(err.fields[2].field, "answers[8]");

    /* a wrong count and a bad answer are both reported */
    int eight[8] = {0, 0, 0, 0, 0, 0, 0, 7};
    pl_err_clear(&err);
    assert_int_equal(instrument_score(d, eight, 8, &r, &err), PL_INVALID);
    assert_int_equal(err.nfields, 2);
    assert_string_equal(err.fields[0].field, "answers");
    assert_string_equal(err.fields[0].message,
                        "PHQ-9 has 9 items: give 9 answers (-1 for a blank), not 8");
    assert_string_equal(err.fields[1].field, "answers[7]");
}

PL_TEST_MAIN(cmocka_unit_test(test_instrument_cases_table), cmocka_unit_test(test_instrument_table),
             cmocka_unit_test(test_reports_every_answer))
