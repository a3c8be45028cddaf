/*
 * test_stats.c - the statistics library (src/stats) against R.
 *
 * tests/data/stats/cases.tsv lists one case a row (kind, dataset, spec) and
 * expected.tsv what R computed for it; both, and the datasets, come from
 * tests/stats/make_expected.R, so this test needs no R. One loop runs every
 * case, collects what the C function reports as (quantity, term, value)
 * and compares each expected row by its class:
 *   est   |got - want| <= 1e-6 |want|, or <= 1e-9 absolute (values near 0)
 *   p     |got - want| <= 1e-4 |want|, or <= 1e-12 absolute (tiny p-values)
 *   int, flag   exactly
 * errors.tsv lists the refusals (status and a substring of the message)
 * and a second loop checks them. A few properties that no table states -
 * ceilings, row order and cluster ids not mattering - are plain cases below.
 * STATS_VERBOSE=1 in the environment prints every value that differs from
 * R's at all, with its relative difference.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "test.h"

#include "stats/stats.h"

#define EST_REL  1e-6
#define EST_ABS  1e-9
#define P_REL    1e-4
#define P_ABS    1e-12
#define MAX_COLS 32
#define MAX_ROWS 100000
#define MAX_VALS 400

/* ---- datasets: TSV with a header of column names, "NA" for missing --------- */

typedef struct dataset {
    char name[32];
    int ncols, nrows;
    char cols[MAX_COLS][32];
    double *v[MAX_COLS]; /* column-major, heap */
} dataset;

static dataset datasets[128];
static int ndatasets;

static double parse_num(const char *s)
{
    if (strcmp(s, "NA") == 0 || strcmp(s, "nan") == 0)
        return NAN;
    if (strcmp(s, "inf") == 0)
        return INFINITY;
    if (strcmp(s, "-inf") == 0)
        return -INFINITY;
    char *end;
    double v = strtod(s, &end);
    if (*end != '\0' || end == s)
        fail_msg("bad number '%s'", s);
    return v;
}

static const dataset *get_dataset(const char *name)
{
    for (int i = 0; i < ndatasets; i++)
        if (strcmp(datasets[i].name, name) == 0)
            return &datasets[i];
    if (ndatasets == (int)(sizeof datasets / sizeof datasets[0]))
        fail_msg("too many datasets");
    dataset *d = &datasets[ndatasets++];
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s", name);
    char file[64], path[1024], line[4096];
    snprintf(file, sizeof file, "stats/%s.tsv", name);
    FILE *f = fopen(test_data_path(file, path, sizeof path), "r");
    if (!f)
        fail_msg("cannot open %s", path);
    int rows = 0; /* first pass: count the rows, so each column is allocated once */
    while (fgets(line, sizeof line, f))
        rows += line[0] != '#' && line[0] != '\n';
    if (rows - 1 > MAX_ROWS)
        fail_msg("%s has more than %d rows", path, MAX_ROWS);
    rewind(f);
    for (int c = 0; c < MAX_COLS; c++)
        d->v[c] = calloc((size_t)(rows > 1 ? rows : 1), sizeof(double));
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *part[MAX_COLS];
        int k = test_split(line, '\t', part, MAX_COLS);
        if (d->ncols == 0) {
            d->ncols = k;
            for (int c = 0; c < k; c++)
                snprintf(d->cols[c], sizeof d->cols[c], "%s", part[c]);
            continue;
        }
        if (k != d->ncols || d->nrows == rows - 1)
            fail_msg("%s: row %d has %d columns, want %d", path, d->nrows + 1, k, d->ncols);
        for (int c = 0; c < k; c++)
            d->v[c][d->nrows] = parse_num(part[c]);
        d->nrows++;
    }
    fclose(f);
    return d;
}

static void free_datasets(void)
{
    for (int i = 0; i < ndatasets; i++)
        for (int c = 0; c < MAX_COLS; c++)
            free(datasets[i].v[c]);
    ndatasets = 0;
}

static const double *column(const dataset *d, const char *name)
{
    for (int c = 0; c < d->ncols; c++)
        if (strcmp(d->cols[c], name) == 0)
            return d->v[c];
    fail_msg("dataset %s has no column '%s'", d->name, name);
    return NULL;
}

/* ---- specs: "key=value;key=value" ----------------------------------------- */

/* The value of key in spec, copied into buf; NULL if absent. */
static const char *spec_get(const char *spec, const char *key, char *buf, size_t n)
{
    size_t klen = strlen(key);
    for (const char *p = spec; p && *p;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            snprintf(buf, n, "%.*s", (int)(len - klen - 1), p + klen + 1);
            return buf;
        }
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

/* "a,b,c/d,e,f" into counts (row-major); returns k, the columns. */
static int parse_counts(const char *s, int64_t *counts, int max)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s);
    char *rows[2], *cells[64];
    if (test_split(buf, '/', rows, 2) != 2)
        fail_msg("counts '%s' need two rows", s);
    int k = test_split(rows[0], ',', cells, 64);
    for (int c = 0; c < k && c < max; c++)
        counts[c] = (int64_t)parse_num(cells[c]);
    if (test_split(rows[1], ',', cells, 64) != k)
        fail_msg("counts '%s': rows of unequal length", s);
    for (int c = 0; c < k && c < max / 2; c++)
        counts[k + c] = (int64_t)parse_num(cells[c]);
    return k;
}

/* A design built from a spec; complete rows only, as R's na.omit. */
typedef struct built_design {
    stats_design d;
    int p;
    char terms[MAX_COLS][32];
    const char *names[MAX_COLS];
    double *x, *y;
    int64_t *cluster;
} built_design;

static void build_design(const dataset *ds, const char *spec, built_design *b)
{
    char ybuf[64], xbuf[512], cbuf[64];
    memset(b, 0, sizeof *b);
    if (!spec_get(spec, "y", ybuf, sizeof ybuf) || !spec_get(spec, "x", xbuf, sizeof xbuf))
        fail_msg("model spec '%s' needs y= and x=", spec);
    const char *cl = spec_get(spec, "cluster", cbuf, sizeof cbuf);
    char *terms[MAX_COLS];
    b->p = test_split(xbuf, ',', terms, MAX_COLS);
    const double *factor[MAX_COLS][2];
    for (int j = 0; j < b->p; j++) {
        snprintf(b->terms[j], sizeof b->terms[j], "%s", terms[j]);
        b->names[j] = b->terms[j];
        char t[32], *parts[2];
        snprintf(t, sizeof t, "%s", terms[j]);
        int k = test_split(t, ':', parts, 2);
        factor[j][0] = strcmp(parts[0], "1") == 0 ? NULL : column(ds, parts[0]);
        factor[j][1] = k == 2 ? column(ds, parts[1]) : NULL;
    }
    const double *y = column(ds, ybuf), *c = cl ? column(ds, cl) : NULL;
    b->x = calloc((size_t)ds->nrows * (size_t)b->p, sizeof(double));
    b->y = calloc((size_t)ds->nrows, sizeof(double));
    b->cluster = calloc((size_t)ds->nrows, sizeof(int64_t));
    size_t n = 0;
    for (int i = 0; i < ds->nrows; i++) {
        double row[MAX_COLS];
        bool ok = !isnan(y[i]) && (!c || !isnan(c[i]));
        for (int j = 0; j < b->p && ok; j++) {
            row[j] = factor[j][0] ? factor[j][0][i] : 1.0;
            if (factor[j][1])
                row[j] *= factor[j][1][i];
            ok = !isnan(row[j]);
        }
        if (!ok)
            continue;
        memcpy(b->x + n * (size_t)b->p, row, (size_t)b->p * sizeof(double));
        b->y[n] = y[i];
        b->cluster[n] = c ? (int64_t)c[i] : 0;
        n++;
    }
    b->d = (stats_design){.n = n,
                          .p = (size_t)b->p,
                          .x = b->x,
                          .y = b->y,
                          .cluster = c ? b->cluster : NULL,
                          .names = b->names};
}

static void free_design(built_design *b)
{
    free(b->x);
    free(b->y);
    free(b->cluster);
}

/* ---- what a case reports ------------------------------------------------- */

typedef struct reported {
    int n;
    char quantity[MAX_VALS][24];
    char term[MAX_VALS][32];
    double value[MAX_VALS];
} reported;

static void put(reported *r, const char *quantity, const char *term, double v)
{
    if (r->n == MAX_VALS)
        fail_msg("too many reported values");
    snprintf(r->quantity[r->n], sizeof r->quantity[0], "%s", quantity);
    snprintf(r->term[r->n], sizeof r->term[0], "%s", term);
    r->value[r->n++] = v;
}

static void put_coefs(reported *r, const built_design *b, const stats_coef *c, const char *prefix,
                      int with_df)
{
    char q[24];
    for (int j = 0; j < b->p; j++) {
        const char *t = b->terms[j];
        snprintf(q, sizeof q, "%s", prefix[0] ? "se_cl" : "se");
        if (!prefix[0])
            put(r, "estimate", t, c[j].estimate);
        put(r, q, t, c[j].se);
        snprintf(q, sizeof q, "t%s", prefix);
        put(r, q, t, c[j].t);
        snprintf(q, sizeof q, "p%s", prefix);
        put(r, q, t, c[j].p);
        if (with_df)
            put(r, "df", t, c[j].df);
    }
}

static void two_samples(const dataset *ds, const char *spec, double **x, size_t *nx, double **y,
                        size_t *ny)
{
    char a[64], b[64];
    if (!spec_get(spec, "x", a, sizeof a))
        fail_msg("spec '%s' needs x=", spec);
    const double *xs = column(ds, a);
    *x = calloc((size_t)ds->nrows, sizeof(double));
    *y = calloc((size_t)ds->nrows, sizeof(double));
    *nx = *ny = 0;
    if (spec_get(spec, "by", b, sizeof b)) {
        const double *by = column(ds, b);
        for (int i = 0; i < ds->nrows; i++) {
            if (by[i] == 1.0)
                (*x)[(*nx)++] = xs[i];
            else if (by[i] == 0.0)
                (*y)[(*ny)++] = xs[i];
        }
        return;
    }
    if (!spec_get(spec, "y", b, sizeof b))
        fail_msg("spec '%s' needs y= or by=", spec);
    const double *ys = column(ds, b);
    memcpy(*x, xs, (size_t)ds->nrows * sizeof(double));
    memcpy(*y, ys, (size_t)ds->nrows * sizeof(double));
    *nx = *ny = (size_t)ds->nrows;
}

/* Runs one case; PL_OK with what it reports in r, or the error in err. */
static pl_status run_case(const char *kind, const char *dsname, const char *spec, reported *r,
                          pl_err *err)
{
    char a[64], b[64], cbuf[512];
    const dataset *ds = strcmp(dsname, "-") == 0 ? NULL : get_dataset(dsname);
    pl_status st;
    r->n = 0;
    pl_err_clear(err);
    if (strcmp(kind, "describe") == 0) {
        stats_summary s;
        spec_get(spec, "x", a, sizeof a);
        st = stats_describe(column(ds, a), (size_t)ds->nrows, &s, err);
        if (st == PL_OK) {
            put(r, "n", "-", (double)s.n);
            put(r, "n_missing", "-", (double)s.n_missing);
            put(r, "mean", "-", s.mean);
            put(r, "sd", "-", s.sd);
            put(r, "median", "-", s.median);
            put(r, "q1", "-", s.q1);
            put(r, "q3", "-", s.q3);
            put(r, "iqr", "-", s.iqr);
            put(r, "min", "-", s.min);
            put(r, "max", "-", s.max);
        }
        return st;
    }
    if (strcmp(kind, "paired_t") == 0 || strcmp(kind, "wilcoxon") == 0) {
        spec_get(spec, "x", a, sizeof a);
        spec_get(spec, "y", b, sizeof b);
        const double *x = column(ds, a), *y = column(ds, b);
        if (kind[0] == 'p') {
            stats_ttest t;
            st = stats_paired_t(x, y, (size_t)ds->nrows, &t, err);
            if (st == PL_OK) {
                put(r, "n", "-", (double)t.n_x);
                put(r, "estimate", "-", t.estimate);
                put(r, "se", "-", t.se);
                put(r, "t", "-", t.t);
                put(r, "df", "-", t.df);
                put(r, "p", "-", t.p);
                put(r, "ci_lo", "-", t.ci_lo);
                put(r, "ci_hi", "-", t.ci_hi);
            }
            return st;
        }
        stats_signrank w;
        st = stats_signrank_paired(x, y, (size_t)ds->nrows, &w, err);
        if (st == PL_OK) {
            put(r, "n", "-", (double)w.n);
            put(r, "n_zero", "-", (double)w.n_zero);
            put(r, "v", "-", w.v);
            put(r, "exact", "-", w.exact);
            put(r, "p", "-", w.p);
        }
        return st;
    }
    if (strcmp(kind, "welch_t") == 0) {
        double *x, *y;
        size_t nx, ny;
        stats_ttest t;
        two_samples(ds, spec, &x, &nx, &y, &ny);
        st = stats_welch_t(x, nx, y, ny, &t, err);
        free(x);
        free(y);
        if (st == PL_OK) {
            put(r, "n_x", "-", (double)t.n_x);
            put(r, "n_y", "-", (double)t.n_y);
            put(r, "mean_x", "-", t.mean_x);
            put(r, "mean_y", "-", t.mean_y);
            put(r, "estimate", "-", t.estimate);
            put(r, "se", "-", t.se);
            put(r, "t", "-", t.t);
            put(r, "df", "-", t.df);
            put(r, "p", "-", t.p);
            put(r, "ci_lo", "-", t.ci_lo);
            put(r, "ci_hi", "-", t.ci_hi);
        }
        return st;
    }
    if (strcmp(kind, "chisq") == 0 || strcmp(kind, "fisher") == 0) {
        int64_t counts[128];
        if (!spec_get(spec, "counts", cbuf, sizeof cbuf))
            fail_msg("spec '%s' needs counts=", spec);
        int k = parse_counts(cbuf, counts, 128);
        if (kind[0] == 'f') {
            stats_fisher f;
            if (k != 2)
                fail_msg("Fisher's test takes a 2x2 table");
            st = stats_fisher_2x2(counts, &f, err);
            if (st == PL_OK)
                put(r, "p", "-", f.p);
            return st;
        }
        stats_chisq c;
        st = stats_chisq_2xk(counts, k, &c, err);
        if (st == PL_OK) {
            put(r, "statistic", "-", c.statistic);
            put(r, "df", "-", c.df);
            put(r, "p", "-", c.p);
            put(r, "yates", "-", c.yates);
            put(r, "low_expected", "-", c.low_expected);
        }
        return st;
    }
    if (strcmp(kind, "ols") == 0 || strcmp(kind, "lmm") == 0) {
        built_design bd;
        build_design(ds, spec, &bd);
        if (kind[0] == 'o') {
            stats_ols o;
            st = stats_ols_fit(&bd.d, &o, err);
            if (st == PL_OK) {
                put(r, "n", "-", (double)o.n);
                put(r, "sigma", "-", o.sigma);
                put(r, "df_resid", "-", o.df_resid);
                put_coefs(r, &bd, o.coef, "", 0);
                if (bd.d.cluster) {
                    put(r, "nclusters", "-", (double)o.nclusters);
                    put_coefs(r, &bd, o.robust, "_cl", 0);
                }
            }
        } else {
            stats_lmm m;
            st = stats_lmm_fit(&bd.d, &m, err);
            if (st == PL_OK) {
                put(r, "n", "-", (double)m.n);
                put(r, "nclusters", "-", (double)m.nclusters);
                put(r, "singular", "-", m.singular);
                put(r, "theta", "-", m.theta);
                put(r, "reml_crit", "-", m.reml_crit);
                put(r, "var_cluster", "-", m.var_cluster);
                put(r, "var_resid", "-", m.var_resid);
                put(r, "icc", "-", m.icc);
                put_coefs(r, &bd, m.coef, "", 1);
                if (m.singular && !strstr(m.note, "singular"))
                    fail_msg("a singular fit without its note");
            }
        }
        free_design(&bd);
        return st;
    }
    fail_msg("unknown kind '%s'", kind);
    return PL_INVALID;
}

/* ---- the expected values ------------------------------------------------- */

typedef struct expected_row {
    char case_[48], quantity[24], term[32], class_[8];
    double value;
    int lineno;
    bool used;
} expected_row;

static const char *const expected_header[] = {"case", "quantity", "term", "class", "value"};

static expected_row *load_expected(int *count)
{
    test_table t;
    char *col[8];
    int n = 0, cap = 0;
    expected_row *rows = NULL;
    test_table_open(&t, "stats/expected.tsv", expected_header, 5);
    while (test_table_next(&t, col, 8) >= 0) {
        if (n == cap) { /* doubling, up to a ceiling far above the table's size */
            if (cap >= 1 << 20)
                fail_msg("expected.tsv has more than %d rows", cap);
            cap = cap ? 2 * cap : 1024;
            expected_row *grown = realloc(rows, (size_t)cap * sizeof *rows);
            if (!grown)
                fail_msg("out of memory for expected.tsv");
            rows = grown;
        }
        expected_row *e = &rows[n++];
        memset(e, 0, sizeof *e);
        snprintf(e->case_, sizeof e->case_, "%s", col[0]);
        snprintf(e->quantity, sizeof e->quantity, "%s", col[1]);
        snprintf(e->term, sizeof e->term, "%s", col[2]);
        snprintf(e->class_, sizeof e->class_, "%s", col[3]);
        e->value = parse_num(col[4]);
        e->lineno = t.lineno;
    }
    test_table_close(&t);
    *count = n;
    return rows;
}

static bool close_enough(const char *class_, double got, double want)
{
    if (isnan(want))
        return isnan(got);
    if (strcmp(class_, "int") == 0 || strcmp(class_, "flag") == 0)
        return got == want;
    double rel = strcmp(class_, "p") == 0 ? P_REL : EST_REL;
    double abs_floor = strcmp(class_, "p") == 0 ? P_ABS : EST_ABS;
    double diff = fabs(got - want);
    return diff <= rel * fabs(want) || diff <= abs_floor;
}

static const char *const cases_header[] = {"case", "kind", "dataset", "spec"};

static void test_against_r(void **state)
{
    int nexp, failures = 0, ncases = 0, checked = 0;
    bool verbose = getenv("STATS_VERBOSE") != NULL; /* print every difference */
    double worst[2] = {0, 0};                       /* largest relative difference: est, p */
    const expected_row *worst_row[2] = {NULL, NULL};
    expected_row *exp = load_expected(&nexp);
    reported *r = calloc(1, sizeof *r);
    test_table t;
    char *col[8];
    pl_err err;
    test_table_open(&t, "stats/cases.tsv", cases_header, 4);
    while (test_table_next(&t, col, 8) >= 0) {
        ncases++;
        pl_status st = run_case(col[1], col[2], col[3], r, &err);
        if (st != PL_OK) {
            printf("# cases.tsv line %d (%s): %s: %s\n", t.lineno, col[0], pl_status_name(st),
                   err.message);
            failures++;
            continue;
        }
        int rows = 0;
        for (int i = 0; i < nexp; i++) {
            expected_row *e = &exp[i];
            if (strcmp(e->case_, col[0]) != 0)
                continue;
            e->used = true;
            rows++;
            checked++;
            int k = 0;
            while (k < r->n &&
                   (strcmp(r->quantity[k], e->quantity) != 0 || strcmp(r->term[k], e->term) != 0))
                k++;
            if (k == r->n) {
                printf("# expected.tsv line %d: %s does not report %s[%s]\n", e->lineno, e->case_,
                       e->quantity, e->term);
                failures++;
                continue;
            }
            int cls = strcmp(e->class_, "p") == 0;
            if ((cls || strcmp(e->class_, "est") == 0) && e->value != 0.0 && !isnan(e->value)) {
                double rel = fabs(r->value[k] - e->value) / fabs(e->value);
                if (rel > worst[cls]) {
                    worst[cls] = rel;
                    worst_row[cls] = e;
                }
            }
            if (verbose && e->value != 0.0 && r->value[k] != e->value)
                printf("#   %s %s[%s] = %.17g, R %.17g, rel %.1e\n", e->case_, e->quantity, e->term,
                       r->value[k], e->value, fabs(r->value[k] - e->value) / fabs(e->value));
            if (!close_enough(e->class_, r->value[k], e->value)) {
                printf("# expected.tsv line %d: %s %s[%s] = %.17g, R says %.17g (rel %.2e)\n",
                       e->lineno, e->case_, e->quantity, e->term, r->value[k], e->value,
                       fabs(r->value[k] - e->value) / fabs(e->value));
                failures++;
            }
        }
        if (rows == 0) {
            printf("# cases.tsv line %d: %s has no expected values\n", t.lineno, col[0]);
            failures++;
        }
    }
    test_table_close(&t);
    for (int i = 0; i < nexp; i++)
        if (!exp[i].used) {
            printf("# expected.tsv line %d: no case '%s'\n", exp[i].lineno, exp[i].case_);
            failures++;
        }
    printf("# %d cases, %d values checked against R, %d failed\n", ncases, checked, failures);
    for (int c = 0; c < 2; c++)
        if (worst_row[c])
            printf("# largest relative difference (%s): %.1e, %s %s[%s]\n", c ? "p" : "est",
                   worst[c], worst_row[c]->case_, worst_row[c]->quantity, worst_row[c]->term);
    free(r);
    free(exp);
    free_datasets();
    assert_true(ncases >= 40);
    assert_int_equal(failures, 0);
}

/* ---- refusals ------------------------------------------------------------ */

static const char *const errors_header[] = {"case", "kind", "dataset", "spec", "status", "message"};

static void test_refusals(void **state)
{
    int failures = 0, rows = 0;
    reported *r = calloc(1, sizeof *r);
    test_table t;
    char *col[8];
    pl_err err;
    test_table_open(&t, "stats/errors.tsv", errors_header, 6);
    while (test_table_next(&t, col, 8) >= 0) {
        rows++;
        pl_status st = run_case(col[1], col[2], col[3], r, &err);
        if (strcmp(pl_status_name(st), col[4]) != 0 || !strstr(err.message, col[5])) {
            printf("# errors.tsv line %d (%s): got %s '%s', want %s '%s'\n", t.lineno, col[0],
                   pl_status_name(st), err.message, col[4], col[5]);
            failures++;
        }
    }
    test_table_close(&t);
    printf("# %d refusals checked, %d failed\n", rows, failures);
    free(r);
    free_datasets();
    assert_true(rows >= 10);
    assert_int_equal(failures, 0);
}

/* ---- properties no table states --------------------------------------------- */

static void test_ceilings(void **state)
{
    pl_err err;
    stats_summary s;
    stats_ttest t;
    double one = 1.0;
    /* the count is checked before any value is read */
    pl_err_clear(&err);
    assert_int_equal(stats_describe(&one, (size_t)STATS_N_MAX + 1, &s, &err), PL_LIMIT);
    assert_int_equal(stats_welch_t(&one, (size_t)STATS_N_MAX + 1, &one, 1, &t, &err), PL_LIMIT);

    double x[4] = {1, 2, 3, 4}, y[2] = {1, 2};
    const char *names[STATS_COLS_MAX + 1] = {0};
    stats_design d = {.n = 2, .p = STATS_COLS_MAX + 1, .x = x, .y = y, .names = names};
    stats_ols o;
    pl_err_clear(&err);
    assert_int_equal(stats_ols_fit(&d, &o, &err), PL_LIMIT);
    assert_non_null(strstr(err.message, "columns"));
    d.p = 2;
    d.n = STATS_CELLS_MAX; /* n x p over the cells ceiling */
    pl_err_clear(&err);
    assert_int_equal(stats_ols_fit(&d, &o, &err), PL_LIMIT);

    int64_t big[4] = {STATS_FISHER_N_MAX, 1, 1, 1};
    stats_fisher f;
    assert_int_equal(stats_fisher_2x2(big, &f, &err), PL_LIMIT);
    int64_t wide[2 * (STATS_TABLE_COLS_MAX + 1)];
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
        wide[i] = 1;
    stats_chisq c;
    assert_int_equal(stats_chisq_2xk(wide, STATS_TABLE_COLS_MAX + 1, &c, &err), PL_LIMIT);
    /* infinite values and NaN in a design are refused, naming where */
    double inf_x[3] = {1, INFINITY, 2};
    pl_err_clear(&err);
    assert_int_equal(stats_describe(inf_x, 3, &s, &err), PL_INVALID);
    assert_non_null(strstr(err.message, "value 2 is infinite"));
    double dx[6] = {1, 0.5, 1, NAN, 1, 2}, dy[3] = {1, 2, 3};
    const char *dnames[2] = {"(intercept)", "dose"};
    stats_design dn = {.n = 3, .p = 2, .x = dx, .y = dy, .names = dnames};
    pl_err_clear(&err);
    assert_int_equal(stats_ols_fit(&dn, &o, &err), PL_INVALID);
    assert_non_null(strstr(err.message, "row 2: dose is missing"));
    /* NULL data is refused, not dereferenced */
    assert_int_equal(stats_describe(NULL, 3, &s, &err), PL_INVALID);
    assert_int_equal(stats_ols_fit(NULL, &o, &err), PL_INVALID);
}

static void test_quantile_type7(void **state)
{
    const double v[] = {1, 2, 4, 8};
    assert_true(stats_quantile_sorted(v, 4, 0.0) == 1.0);
    assert_true(stats_quantile_sorted(v, 4, 1.0) == 8.0);
    assert_true(fabs(stats_quantile_sorted(v, 4, 0.5) - 3.0) < 1e-15);
    assert_true(fabs(stats_quantile_sorted(v, 4, 0.25) - 1.75) < 1e-15); /* h = 0.75 */
    assert_true(stats_quantile_sorted(v, 1, 0.3) == 1.0);
}

/* The mixed model and the clustered OLS must not depend on row order or on
 * the values of the cluster ids, only on which rows share one. */
static void test_order_and_ids(void **state)
{
    const dataset *ds = get_dataset("rct");
    built_design b;
    build_design(ds, "y=change;x=1,arm,pre;cluster=community", &b);
    size_t n = b.d.n, p = b.d.p;
    double *x2 = malloc(n * p * sizeof(double)), *y2 = malloc(n * sizeof(double));
    int64_t *c2 = malloc(n * sizeof(int64_t));
    for (size_t i = 0; i < n; i++) { /* reversed rows, ids scattered over int64 */
        size_t from = n - 1 - i;
        memcpy(x2 + i * p, b.x + from * p, p * sizeof(double));
        y2[i] = b.y[from];
        c2[i] = -b.cluster[from] * INT64_C(1000000007) + INT64_C(4611686018427387904);
    }
    stats_design d2 = b.d;
    d2.x = x2;
    d2.y = y2;
    d2.cluster = c2;
    stats_lmm m1, m2;
    stats_ols o1, o2;
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(stats_lmm_fit(&b.d, &m1, &err), PL_OK);
    assert_int_equal(stats_lmm_fit(&d2, &m2, &err), PL_OK);
    assert_int_equal(stats_ols_fit(&b.d, &o1, &err), PL_OK);
    assert_int_equal(stats_ols_fit(&d2, &o2, &err), PL_OK);
    for (size_t j = 0; j < p; j++) {
        assert_true(fabs(m1.coef[j].estimate - m2.coef[j].estimate) <=
                    1e-10 * fabs(m1.coef[j].estimate));
        assert_true(fabs(m1.coef[j].df - m2.coef[j].df) <= 1e-8 * m1.coef[j].df);
        assert_true(fabs(o1.robust[j].se - o2.robust[j].se) <= 1e-10 * o1.robust[j].se);
    }
    assert_true(fabs(m1.icc - m2.icc) <= 1e-10);
    free(x2);
    free(y2);
    free(c2);
    free_design(&b);
    free_datasets();
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A value for large-sample checks: signs, ties, -0.0, tiny and huge magnitudes. */
static double awkward(uint64_t *state, size_t i)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    double u = (double)(*state >> 11) * 0x1.0p-53;
    switch (i % 7) {
    case 0:
        return round(u * 40) / 4 - 5; /* ties */
    case 1:
        return -0.0;
    case 2:
        return (u - 0.5) * 1e-300;
    case 3:
        return (u - 0.5) * 1e300;
    default:
        return (u - 0.3) * 10;
    }
}

/* Samples large enough for the radix sort (4,096 values and more) give exactly what a
 * comparison sort gives: quartiles of describe, V and p of the signed-rank test. */
static void test_large_samples(void **state)
{
    (void)state;
    enum { N = 200003, M = 60000 };
    double *x = malloc(N * sizeof(double)), *sorted = malloc(N * sizeof(double));
    assert_non_null(x);
    assert_non_null(sorted);
    uint64_t st = 42;
    for (size_t i = 0; i < N; i++)
        x[i] = sorted[i] = awkward(&st, i);
    qsort(sorted, N, sizeof(double), cmp_dbl);
    stats_summary s;
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(stats_describe(x, N, &s, &err), PL_OK);
    assert_true(s.min == sorted[0] && s.max == sorted[N - 1]);
    assert_true(s.median == stats_quantile_sorted(sorted, N, 0.5));
    assert_true(s.q1 == stats_quantile_sorted(sorted, N, 0.25));
    assert_true(s.q3 == stats_quantile_sorted(sorted, N, 0.75));

    /* signed-rank: x against x shifted, with ties and zero differences */
    double *y = malloc(M * sizeof(double)), *d = malloc(M * sizeof(double));
    assert_non_null(y);
    assert_non_null(d);
    size_t m = 0;
    for (size_t i = 0; i < M; i++) {
        double a = round(x[i] * 100) / 100;
        if (!isfinite(a) || fabs(a) > 1e6)
            a = (double)(i % 17);
        x[i] = a;
        y[i] = a + ((int)(i % 11) - 5) * 0.25;
        if (x[i] - y[i] != 0)
            d[m++] = fabs(x[i] - y[i]);
    }
    qsort(d, m, sizeof(double), cmp_dbl);
    double v = 0;
    for (size_t i = 0; i < m;) {
        size_t j = i;
        while (j < m && d[j] == d[i])
            j++;
        double rank = (double)i + ((double)(j - i) + 1) / 2;
        for (size_t k = 0; k < M; k++)
            if (x[k] - y[k] > 0 && fabs(x[k] - y[k]) == d[i])
                v += rank;
        i = j;
    }
    stats_signrank w;
    assert_int_equal(stats_signrank_paired(x, y, M, &w, &err), PL_OK);
    assert_int_equal(w.n, m);
    assert_true(w.v == v);
    free(x);
    free(sorted);
    free(y);
    free(d);
}

PL_TEST_MAIN(cmocka_unit_test(test_against_r), cmocka_unit_test(test_refusals),
             cmocka_unit_test(test_ceilings), cmocka_unit_test(test_quantile_type7),
             cmocka_unit_test(test_order_and_ids), cmocka_unit_test(test_large_samples))
