/*
 * export.c - the de-identified research exports of a study
 * (docs/EVALUATION.md, "Research exports"):
 *
 *  long.csv      one row per participant, outcome and wave with a value;
 *  wide.csv      one row per participant, a column per outcome and wave;
 *  codebook.csv  file, variable, label, type, unit, value labels;
 *  read_peerlink.R, read_peerlink.do
 *                read both files and attach the codebook's labels (R: no
 *                package; Stata 14 or later).
 *
 * What identifies nobody and is kept: the pseudonym (docs/PRIVACY.md, the
 * same the API shows evaluators), community and district as their codes,
 * arm, sex, birth year (90+ for the oldest), status, contact count and the
 * values. Calendar dates are not exported at all: a reading is placed by
 * its days from the wave's target day and from enrolment, exact intervals
 * that need no date shift. Numbers are written with the fewest digits that
 * read back as the stored double, so R and Stata see the values peerlink
 * analysed.
 *
 * Output goes to a sink in pieces of at most CHUNK bytes, so a
 * million-participant wide file never sits in memory whole.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"

#define CHUNK 65536

typedef struct out {
    char buf[CHUNK];
    size_t len;
    eval_sink_fn sink;
    void *ctx;
    pl_err *err;
    pl_status st;
} out;

static void flush(out *o)
{
    if (o->st == PL_OK && o->len > 0)
        o->st = o->sink(o->ctx, o->buf, o->len, o->err);
    o->len = 0;
}

static void put(out *o, const char *s, size_t n)
{
    while (n > 0 && o->st == PL_OK) {
        size_t room = CHUNK - o->len;
        size_t k = n < room ? n : room;
        memcpy(o->buf + o->len, s, k);
        o->len += k;
        s += k;
        n -= k;
        if (o->len == CHUNK)
            flush(o);
    }
}

static void puts_(out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void putf(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(out *o, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A CSV field: quoted when it holds a comma, quote or line break. */
static void field(out *o, const char *s)
{
    if (!s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        puts_(o, s);
        return;
    }
    put(o, "\"", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            put(o, "\"", 1);
        put(o, p, 1);
    }
    put(o, "\"", 1);
}

/* An integer in decimal. */
static void put_int(out *o, int64_t v)
{
    char buf[24], *p = buf + sizeof buf;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    put(o, p, (size_t)(buf + sizeof buf - p));
}

/*
 * v with the fewest digits that read back as the same double. Most values
 * were entered with a few decimals: if r / 10^k equals v for an integer r
 * and k <= 4, the decimal r x 10^-k is exact text for v (r and 10^k are
 * exact doubles and IEEE division rounds correctly, as strtod does), and the
 * smallest such k is the shortest; anything else goes through %.*g.
 */
static void num(out *o, double v)
{
    static const double p10[] = {1, 10, 100, 1000, 10000};
    if (fabs(v) < 1e11) {
        for (int k = 0; k <= 4; k++) {
            double r = nearbyint(v * p10[k]);
            if (r / p10[k] != v)
                continue;
            int64_t ir = (int64_t)r;
            uint64_t u = ir < 0 ? 0 - (uint64_t)ir : (uint64_t)ir;
            char buf[32], *p = buf + sizeof buf;
            for (int digit = 0; digit < k || u || digit <= k; digit++) {
                if (digit == k && k > 0)
                    *--p = '.';
                *--p = (char)('0' + u % 10);
                u /= 10;
            }
            if (ir < 0)
                *--p = '-';
            put(o, p, (size_t)(buf + sizeof buf - p));
            return;
        }
    }
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    puts_(o, buf);
}

/* ---- the codebook --------------------------------------------------------------- */

typedef enum vtype { V_STRING, V_INTEGER, V_NUMERIC, V_CATEGORICAL } vtype;
static const char *const vtype_names[] = {"string", "integer", "numeric", "categorical"};

typedef struct var {
    const char *file; /* "wide", "long" or "both" */
    char name[40];
    char label[120];
    vtype type;
    const char *unit;
    const char *labels; /* "code=Label;code=Label" for categorical variables */
} var;

#define VARS_MAX (20 + EVAL_OUTCOME__COUNT * EVAL_WAVES_MAX)

static const char arm_labels[] = "intervention=Intervention;control=Control";
static const char no_arm_labels[] = "none=No arm (a study without arms)";
static const char sex_labels[] = "female=Female;male=Male;other=Other;unknown=Unknown";
static const char status_labels[] =
    "enrolled=Enrolled;withdrawn=Withdrawn;completed=Completed;deceased=Deceased;lost=Lost to "
    "follow-up";

static int add(var *v, int n, const char *file, const char *name, const char *label, vtype type,
               const char *unit, const char *labels)
{
    var *x = &v[n];
    x->file = file;
    snprintf(x->name, sizeof x->name, "%s", name);
    snprintf(x->label, sizeof x->label, "%s", label);
    x->type = type;
    x->unit = unit;
    x->labels = labels;
    return n + 1;
}

/* The outcome value labels of the long file: "hba1c=HbA1c;...", present outcomes only. */
static void outcome_labels(const eval_data *d, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int k = 0; k < EVAL_OUTCOME__COUNT; k++) {
        if (!d->present[k])
            continue;
        const eval_outcome_def *def = eval_outcome_get((eval_outcome)k);
        int w = snprintf(buf + len, n - len, "%s%s=%s", len ? ";" : "", def->var, def->label);
        if (w < 0 || (size_t)w >= n - len)
            break;
        len += (size_t)w;
    }
}

static int codebook(const eval_data *d, var *v, char *olabels, size_t olabels_n)
{
    int n = 0;
    outcome_labels(d, olabels, olabels_n);
    n = add(v, n, "both", "pseudonym",
            "Participant pseudonym (HMAC of the record id; the same in every export)", V_STRING,
            NULL, NULL);
    n = add(v, n, "both", "community", "Community (cluster) code", V_STRING, NULL, NULL);
    n = add(v, n, "both", "district", "District code (stratum)", V_STRING, NULL, NULL);
    n = add(v, n, "both", "arm", "Study arm of the participant's community", V_CATEGORICAL, NULL,
            d->has_arms ? arm_labels : no_arm_labels);
    n = add(v, n, "wide", "sex", "Sex", V_CATEGORICAL, NULL, sex_labels);
    n = add(v, n, "wide", "birth_year", "Year of birth (90+: aged 90 or older)", V_STRING, NULL,
            NULL);
    n = add(v, n, "wide", "status", "Participation status", V_CATEGORICAL, NULL, status_labels);
    n = add(v, n, "wide", "status_day", "Days from enrolment to the status change", V_INTEGER, "d",
            NULL);
    n = add(v, n, "wide", "contacts", "Contacts from enrolment to the last wave's target day",
            V_INTEGER, NULL, NULL);
    n = add(v, n, "wide", "sessions", "Group sessions attended in the same time (of the contacts)",
            V_INTEGER, NULL, NULL);
    n = add(v, n, "wide", "impl_rating",
            "Community's mean implementation rating in the study period (1-5; empty: not rated)",
            V_NUMERIC, "{score}", NULL);
    for (int k = 0; k < EVAL_OUTCOME__COUNT; k++) {
        if (!d->present[k])
            continue;
        const eval_outcome_def *def = eval_outcome_get((eval_outcome)k);
        for (int w = 0; w < d->study.nwaves; w++) {
            char name[40], label[120];
            snprintf(name, sizeof name, "%s_m%d", def->var, d->study.waves[w].month);
            snprintf(label, sizeof label, "%s at month %d", def->label, d->study.waves[w].month);
            n = add(v, n, "wide", name, label, V_NUMERIC, def->unit, NULL);
        }
    }
    n = add(v, n, "long", "outcome", "Outcome", V_CATEGORICAL, NULL, olabels);
    n = add(v, n, "long", "month", "Assessment wave (months after enrolment)", V_INTEGER, "mo",
            NULL);
    n = add(v, n, "long", "value", "Value (in the unit column)", V_NUMERIC, NULL, NULL);
    n = add(v, n, "long", "unit", "Unit of the value (UCUM)", V_STRING, NULL, NULL);
    n = add(v, n, "long", "days_from_target", "Days from the wave's target day to the reading",
            V_INTEGER, "d", NULL);
    n = add(v, n, "long", "days_from_enrolment", "Days from enrolment to the reading", V_INTEGER,
            "d", NULL);
    return n;
}

static bool in_file(const var *v, const char *file)
{
    return strcmp(v->file, "both") == 0 || strcmp(v->file, file) == 0;
}

/* ---- the data files --------------------------------------------------------------- */

static const char *arm_name(const eval_data *d, size_t i)
{
    return pl_arm_name((pl_arm)d->arm[i]);
}

/* s as a CSV field into buf (quoted when it holds a comma, quote or line break). */
static void quoted(const char *s, char *buf, size_t n)
{
    size_t k = 0;
    bool q = s && strpbrk(s, ",\"\r\n");
    if (q && k + 1 < n)
        buf[k++] = '"';
    for (const char *p = s ? s : ""; *p && k + 3 < n; p++) {
        if (*p == '"')
            buf[k++] = '"';
        buf[k++] = *p;
    }
    if (q && k + 1 < n)
        buf[k++] = '"';
    buf[k] = '\0';
}

/* "pseudonym,community,district,arm" of participant i: the start of each of its rows. */
static void ids_text(const eval_data *d, const unsigned char *secret, size_t i, char *buf, size_t n)
{
    char ps[EVAL_PSEUDONYM_LEN], code[96], district[96];
    eval_pseudonym(secret, d->pid[i], ps);
    const eval_unit *u = &d->units[d->unit[i]];
    quoted(u->code, code, sizeof code);
    quoted(u->district_code, district, sizeof district);
    snprintf(buf, n, "%s,%s,%s,%s", ps, code, district, arm_name(d, i));
}

static void write_wide(out *o, const eval_data *d, const unsigned char *secret, pl_date today)
{
    puts_(o, "pseudonym,community,district,arm,sex,birth_year,status,status_day,contacts,sessions,"
             "impl_rating");
    for (int k = 0; k < EVAL_OUTCOME__COUNT; k++)
        if (d->present[k])
            for (int w = 0; w < d->study.nwaves; w++)
                putf(o, ",%s_m%d", eval_outcome_get((eval_outcome)k)->var, d->study.waves[w].month);
    puts_(o, "\n");
    char prefix[320];
    for (size_t i = 0; i < d->n && o->st == PL_OK; i++) {
        const eval_unit *u = &d->units[d->unit[i]];
        ids_text(d, secret, i, prefix, sizeof prefix);
        puts_(o, prefix);
        putf(o, ",%s,", pl_sex_name((pl_sex)d->sex[i]));
        int by = eval_birth_year(d->birth[i], today);
        if (by == EVAL_BIRTH_90PLUS)
            puts_(o, "90+");
        else if (by != 0)
            putf(o, "%d", by);
        putf(o, ",%s,", pl_enrol_status_name((pl_enrol_status)d->status[i]));
        if (d->status_date[i] != PL_DATE_NONE && d->status[i] != PL_ENROL_ENROLLED)
            putf(o, "%d", d->status_date[i] - d->enrol[i]);
        putf(o, ",%d,%d,", d->contacts[i], d->sessions[i]);
        if (u->nratings > 0)
            num(o, u->rating);
        for (int k = 0; k < EVAL_OUTCOME__COUNT; k++)
            if (d->present[k])
                for (int w = 0; w < d->study.nwaves; w++) {
                    put(o, ",", 1);
                    if (!isnan(d->value[k][w][i]))
                        num(o, d->value[k][w][i]);
                }
        puts_(o, "\n");
    }
}

static void write_long(out *o, const eval_data *d, const unsigned char *secret)
{
    puts_(o, "pseudonym,community,district,arm,outcome,month,value,unit,days_from_target,"
             "days_from_enrolment\n");
    char prefix[320];
    for (size_t i = 0; i < d->n && o->st == PL_OK; i++) {
        ids_text(d, secret, i, prefix, sizeof prefix); /* one HMAC per participant */
        for (int k = 0; k < EVAL_OUTCOME__COUNT; k++) {
            if (!d->present[k])
                continue;
            const eval_outcome_def *def = eval_outcome_get((eval_outcome)k);
            for (int w = 0; w < d->study.nwaves; w++) {
                double v = d->value[k][w][i];
                if (isnan(v))
                    continue;
                int day = d->day[k][w][i];
                puts_(o, prefix);
                put(o, ",", 1);
                puts_(o, def->var);
                put(o, ",", 1);
                put_int(o, d->study.waves[w].month);
                put(o, ",", 1);
                num(o, v);
                put(o, ",", 1);
                field(o, def->unit);
                put(o, ",", 1);
                put_int(o, day);
                put(o, ",", 1);
                put_int(o, eval_wave_target(0, d->study.waves[w].month) + day);
                put(o, "\n", 1);
            }
        }
    }
}

static void write_codebook(out *o, const var *v, int n)
{
    puts_(o, "file,variable,label,type,unit,value_labels\n");
    for (int i = 0; i < n; i++) {
        field(o, v[i].file);
        put(o, ",", 1);
        field(o, v[i].name);
        put(o, ",", 1);
        field(o, v[i].label);
        put(o, ",", 1);
        field(o, vtype_names[v[i].type]);
        put(o, ",", 1);
        field(o, v[i].unit);
        put(o, ",", 1);
        field(o, v[i].labels);
        put(o, "\n", 1);
    }
}

/* ---- the scripts ---------------------------------------------------------------------- */

/* s with quotes and backslashes escaped for an R or Stata string literal. */
static void lit(out *o, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '"' || *p == '\\')
            put(o, "\\", 1);
        put(o, p, 1);
    }
}

/* Calls fn(code, label) for each "code=label" of a value-label list. */
typedef void (*pair_fn)(out *o, int index, const char *code, size_t code_n, const char *label,
                        size_t label_n, void *ctx);

static void each_pair(out *o, const char *labels, pair_fn fn, void *ctx)
{
    int i = 0;
    for (const char *p = labels; p && *p;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (eq)
            fn(o, i++, p, (size_t)(eq - p), eq + 1, len - (size_t)(eq - p) - 1, ctx);
        p += len + (end ? 1 : 0);
    }
}

static void r_code(out *o, int i, const char *c, size_t cn, const char *l, size_t ln, void *ctx)
{
    (void)l;
    (void)ln;
    (void)ctx;
    putf(o, "%s\"%.*s\"", i ? ", " : "", (int)cn, c);
}

static void r_label(out *o, int i, const char *c, size_t cn, const char *l, size_t ln, void *ctx)
{
    (void)c;
    (void)cn;
    (void)ctx;
    putf(o, "%s\"%.*s\"", i ? ", " : "", (int)ln, l);
}

static void r_frame(out *o, const var *v, int n, const char *file, const char *frame)
{
    putf(o, "%s <- read_peerlink_csv(\"%s.csv\", c(", frame, file);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (in_file(&v[i], file) && (v[i].type == V_STRING || v[i].type == V_CATEGORICAL))
            putf(o, "%s\"%s\"", k++ ? ", " : "", v[i].name);
    puts_(o, "))\n");
    for (int i = 0; i < n; i++) {
        if (!in_file(&v[i], file))
            continue;
        if (v[i].type == V_CATEGORICAL) {
            putf(o, "%s$%s <- factor(%s$%s, levels = c(", frame, v[i].name, frame, v[i].name);
            each_pair(o, v[i].labels, r_code, NULL);
            puts_(o, "), labels = c(");
            each_pair(o, v[i].labels, r_label, NULL);
            puts_(o, "))\n");
        }
        putf(o, "attr(%s$%s, \"label\") <- \"", frame, v[i].name);
        lit(o, v[i].label);
        puts_(o, "\"\n");
        if (v[i].unit) {
            putf(o, "attr(%s$%s, \"unit\") <- \"", frame, v[i].name);
            lit(o, v[i].unit);
            puts_(o, "\"\n");
        }
    }
}

static void write_r(out *o, const eval_data *d, const var *v, int n)
{
    puts_(o, "# read_peerlink.R - reads the de-identified research export of peerlink study ");
    putf(o, "%lld (\"", (long long)d->study.id);
    lit(o, d->study.name);
    puts_(o, "\")\n# and attaches the labels of codebook.csv. It needs no package.\n"
             "# Usage: source(\"read_peerlink.R\") in the export's directory (or set peerlink_dir "
             "first).\n"
             "# It defines the data frames `wide` (one row per participant) and `long` (one row "
             "per\n# participant, outcome and wave); each column carries attr(, \"label\") and, "
             "where it\n# has one, attr(, \"unit\"); categorical columns are factors.\n\n"
             "if (!exists(\"peerlink_dir\")) peerlink_dir <- \".\"\n"
             "read_peerlink_csv <- function(name, character_columns) {\n"
             "  header <- names(read.csv(file.path(peerlink_dir, name), nrows = 1,\n"
             "                           check.names = FALSE))\n"
             "  classes <- ifelse(header %in% character_columns, \"character\", NA)\n"
             "  read.csv(file.path(peerlink_dir, name), colClasses = classes, na.strings = \"\",\n"
             "           check.names = FALSE, encoding = \"UTF-8\")\n"
             "}\n\n");
    r_frame(o, v, n, "wide", "wide");
    puts_(o, "\n");
    r_frame(o, v, n, "long", "long");
    puts_(o, "\npeerlink_codebook <- read.csv(file.path(peerlink_dir, \"codebook.csv\"),\n"
             "                              na.strings = \"\", stringsAsFactors = FALSE)\n");
}

typedef struct stata_ctx {
    const char *name;
} stata_ctx;

static void st_define(out *o, int i, const char *c, size_t cn, const char *l, size_t ln, void *ctx)
{
    (void)c;
    (void)cn;
    const stata_ctx *s = ctx;
    putf(o, "label define %s_lbl %d \"%.*s\", add\n", s->name, i + 1, (int)ln, l);
}

static void st_code(out *o, int i, const char *c, size_t cn, const char *l, size_t ln, void *ctx)
{
    (void)l;
    (void)ln;
    const stata_ctx *s = ctx;
    putf(o, "replace %s_n = %d if %s == \"%.*s\"\n", s->name, i + 1, s->name, (int)cn, c);
}

static void stata_frame(out *o, const var *v, int n, const char *file)
{
    /* string columns by position, so codes such as "D01-C02" and "90+" stay text */
    int col = 0, k = 0;
    putf(o,
         "import delimited using \"`c(pwd)'/%s.csv\", clear varnames(1) encoding(\"utf-8\") "
         "bindquotes(strict) stringcols(",
         file);
    for (int i = 0; i < n; i++) {
        if (!in_file(&v[i], file))
            continue;
        col++;
        if (v[i].type == V_STRING || v[i].type == V_CATEGORICAL)
            putf(o, "%s%d", k++ ? " " : "", col);
    }
    puts_(o, ")\n");
    for (int i = 0; i < n; i++) {
        if (!in_file(&v[i], file))
            continue;
        if (v[i].type == V_CATEGORICAL) {
            stata_ctx s = {v[i].name};
            putf(o, "capture label drop %s_lbl\n", v[i].name);
            each_pair(o, v[i].labels, st_define, &s);
            putf(o, "generate byte %s_n = .\n", v[i].name);
            each_pair(o, v[i].labels, st_code, &s);
            putf(o, "drop %s\nrename %s_n %s\nlabel values %s %s_lbl\n", v[i].name, v[i].name,
                 v[i].name, v[i].name, v[i].name);
        }
        putf(o, "label variable %s \"", v[i].name);
        lit(o, v[i].label);
        if (v[i].unit)
            putf(o, " (%s)", v[i].unit);
        puts_(o, "\"\n");
    }
    puts_(o, "order");
    for (int i = 0; i < n; i++)
        if (in_file(&v[i], file))
            putf(o, " %s", v[i].name);
    putf(o, "\ncompress\nsave \"peerlink_%s.dta\", replace\n", file);
}

static void write_stata(out *o, const eval_data *d, const var *v, int n)
{
    puts_(o, "* read_peerlink.do - reads the de-identified research export of peerlink study ");
    putf(o, "%lld (\"", (long long)d->study.id);
    lit(o, d->study.name);
    puts_(o, "\")\n* and attaches the labels of codebook.csv (Stata 14 or later).\n"
             "* Usage: cd to the export's directory, then: do read_peerlink.do\n"
             "* It saves peerlink_wide.dta (one row per participant) and peerlink_long.dta (one "
             "row\n* per participant, outcome and wave), and leaves the long file in memory.\n"
             "version 14\n\n");
    stata_frame(o, v, n, "wide");
    puts_(o, "\n");
    stata_frame(o, v, n, "long");
}

/* ---- entry points ------------------------------------------------------------------------ */

static const char *const filenames[EVAL_EXPORT__COUNT] = {"long.csv", "wide.csv", "codebook.csv",
                                                          "read_peerlink.R", "read_peerlink.do"};
static const char *const keys[EVAL_EXPORT__COUNT] = {"long", "wide", "codebook", "r", "stata"};

const char *eval_export_filename(eval_export_file f)
{
    return (int)f >= 0 && f < EVAL_EXPORT__COUNT ? filenames[f] : NULL;
}

pl_status eval_export_parse(const char *s, eval_export_file *out_)
{
    for (int i = 0; s && i < EVAL_EXPORT__COUNT; i++)
        if (strcmp(s, keys[i]) == 0) {
            *out_ = (eval_export_file)i;
            return PL_OK;
        }
    return PL_INVALID;
}

const char *eval_export_content_type(eval_export_file f)
{
    return f == EVAL_EXPORT_R || f == EVAL_EXPORT_STATA ? "text/plain; charset=utf-8"
                                                        : "text/csv; charset=utf-8";
}

pl_status eval_export_write(const eval_data *d, const unsigned char secret[EVAL_SECRET_BYTES],
                            eval_export_file f, pl_date today, eval_sink_fn sink, void *ctx,
                            pl_err *err)
{
    out *o = malloc(sizeof *o);
    var *v = malloc(sizeof *v * VARS_MAX);
    char *olabels = malloc(2048);
    if (!o || !v || !olabels) {
        free(o);
        free(v);
        free(olabels);
        return pl_err_set(err, PL_NOMEM, "out of memory writing the export");
    }
    o->len = 0;
    o->sink = sink;
    o->ctx = ctx;
    o->err = err;
    o->st = PL_OK;
    int n = codebook(d, v, olabels, 2048);
    switch (f) {
    case EVAL_EXPORT_LONG:
        write_long(o, d, secret);
        break;
    case EVAL_EXPORT_WIDE:
        write_wide(o, d, secret, today);
        break;
    case EVAL_EXPORT_CODEBOOK:
        write_codebook(o, v, n);
        break;
    case EVAL_EXPORT_R:
        write_r(o, d, v, n);
        break;
    case EVAL_EXPORT_STATA:
        write_stata(o, d, v, n);
        break;
    default:
        o->st = pl_err_set(err, PL_INVALID, "unknown export file");
    }
    flush(o);
    pl_status st = o->st;
    free(o);
    free(v);
    free(olabels);
    return st;
}
