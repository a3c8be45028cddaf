/*
 * evalcmd.c - the evaluation commands of `peerlink` (docs/CLI.md):
 *
 *   study create|list|show|arms|randomise|flow   a program's study design
 *   report                                      the outcome report
 *   export research                             the de-identified exports
 *
 * Each works on the database file directly, as the operator who holds it.
 * Writes go through store_write (one transaction each) and append an audit
 * event with client address "cli", as the API's do; so do reports and
 * exports, which read participant data. Errors are one line on stderr
 * starting "peerlink: ", naming the option or line at fault; exit codes as
 * main.c: 0 ok, 1 failure, 2 usage.
 */
#include "cli/evalcmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/measure.h"
#include "core/time.h"
#include "eval/eval.h"
#include "store/store.h"
#include "store/store_eval.h"

#define FILE_MAX (64u * 1024 * 1024) /* an arms CSV read whole */

/* Every field error of err, one line each, after what failed. */
static int ev_fail_err(const char *what, const pl_err *err)
{
    int code = err->status == PL_USAGE || err->status == PL_INVALID ? EXIT_USAGE : EXIT_RUNTIME;
    if (err->status == PL_NOTFOUND)
        code = EXIT_RUNTIME;
    if (err->nfields == 0)
        return cli_fail(code, "%s: %s", what, err->message);
    for (int i = 0; i < err->nfields; i++)
        fprintf(stderr, "peerlink: %s: %s: %s\n", what, err->fields[i].field,
                err->fields[i].message);
    return code;
}

static int ev_opt(int argc, char **argv, const struct option *longopts, const char *what)
{
    int c = getopt_long(argc, argv, ":h", longopts, NULL);
    if (c == '?')
        cli_fail(EXIT_USAGE, "%s: unknown option '%s'", what, argv[optind - 1]);
    else if (c == ':')
        cli_fail(EXIT_USAGE, "%s: option '%s' needs a value", what, argv[optind - 1]);
    return c == ':' ? '?' : c;
}

static pl_status audit_cli(store_tx *tx, const char *action, const char *entity, pl_id id,
                           pl_err *err)
{
    store_audit_event ev = {.at = (pl_time)time(NULL),
                            .action = action,
                            .entity = entity,
                            .entity_id = id,
                            .client_addr = "cli",
                            .status = 200};
    return store_audit_append(tx, &ev, err);
}

typedef struct audit_job {
    const char *action, *entity;
    pl_id id;
} audit_job;

static pl_status audit_write(store_tx *tx, void *ctx, pl_err *err)
{
    audit_job *j = ctx;
    return audit_cli(tx, j->action, j->entity, j->id, err);
}

static int open_store(const char *db, store **s, pl_err *err)
{
    int pg = strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0;
    if (!pg && access(db, F_OK) != 0)
        return cli_fail(EXIT_RUNTIME, "%s: no such database (create one with peerlink init)", db);
    return store_open(db, NULL, s, err) == PL_OK ? EXIT_OK : ev_fail_err(db, err);
}

/* Reads a whole file (at most FILE_MAX bytes) into a heap string. */
static char *slurp(const char *path, const char *what)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_fail(EXIT_RUNTIME, "%s: cannot open %s: %s", what, path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf)
            break;
        if (len + 1 >= cap) {
            char *grown = cap < FILE_MAX ? realloc(buf, cap * 2) : NULL;
            if (!grown) {
                cli_fail(EXIT_RUNTIME, "%s: %s is larger than %u MiB", what, path, FILE_MAX >> 20);
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
    }
    if (buf)
        buf[len] = '\0';
    fclose(f);
    return buf;
}

/* ---- study -------------------------------------------------------------------- */

/* The program named by an id or a program code; 0 with a message printed when none. */
static pl_id find_program(store *s, const char *name, pl_arena *a)
{
    long id;
    pl_err err;
    pl_err_clear(&err);
    if (cli_parse_long(name, 1, 0x7fffffffL, &id) == 0) {
        pl_org_unit u;
        if (store_org_unit_get(s, id, a, &u, &err) == PL_OK && u.kind == PL_ORG_PROGRAM)
            return id;
    } else {
        store_page pg = {0, 200};
        for (;;) {
            pl_org_unit *items;
            int n;
            if (store_org_unit_list(s, 0, PL_ORG_PROGRAM, 0, pg, a, &items, &n, &err) != PL_OK)
                break;
            for (int i = 0; i < n; i++)
                if (items[i].code && strcmp(items[i].code, name) == 0)
                    return items[i].id;
            if (n < pg.limit)
                break;
            pg.after = items[n - 1].id;
        }
    }
    cli_fail(EXIT_USAGE, "study create: --program: no program has id or code '%s'", name);
    return 0;
}

/* "0:30,6:45,12:45" (month:window; a month alone takes 30 days at 0, else 45). */
static int parse_waves(const char *text, store_study *st)
{
    st->nwaves = 0;
    const char *p = text;
    while (*p) {
        if (st->nwaves == EVAL_WAVES_MAX)
            return cli_fail(EXIT_USAGE, "study create: --waves: at most %d waves", EVAL_WAVES_MAX);
        char *end;
        errno = 0;
        long m = strtol(p, &end, 10), w;
        if (errno || end == p)
            return cli_fail(EXIT_USAGE, "study create: --waves: '%s' is not month[:days],...",
                            text);
        if (*end == ':') {
            const char *q = end + 1;
            errno = 0;
            w = strtol(q, &end, 10);
            if (errno || end == q)
                return cli_fail(EXIT_USAGE, "study create: --waves: '%s' is not month[:days],...",
                                text);
        } else {
            w = m == 0 ? 30 : 45;
        }
        if (m < 0 || m > 240)
            m = -1; /* validation below names it */
        if (w < 0 || w > 366)
            w = -1;
        st->waves[st->nwaves++] = (store_study_wave){(int)m, (int)w};
        if (*end == ',')
            end++;
        else if (*end)
            return cli_fail(EXIT_USAGE, "study create: --waves: '%s' is not month[:days],...",
                            text);
        p = end;
    }
    pl_err err;
    pl_err_clear(&err);
    if (eval_waves_validate(st->waves, st->nwaves, "--waves", "--waves", &err) != PL_OK)
        return ev_fail_err("study create", &err);
    return EXIT_OK;
}

typedef struct create_job {
    store_study *st;
    eval_arms *arms; /* adopted org-unit arms, or NULL */
} create_job;

static pl_status create_write(store_tx *tx, void *ctx, pl_err *err)
{
    create_job *j = ctx;
    pl_status s = store_study_insert(tx, j->st, err);
    if (s == PL_OK && j->arms)
        s = store_study_arms_set(tx, j->st->id, j->arms->arms, j->arms->narms, "org_units", 0, 1,
                                 err);
    return s == PL_OK ? audit_cli(tx, "create", "study", j->st->id, err) : s;
}

static int study_create(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"program", required_argument, NULL, 'p'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"description", required_argument, NULL, 'D'},
                                         {"waves", required_argument, NULL, 'w'},
                                         {"target-intervention", required_argument, NULL, 'i'},
                                         {"target-control", required_argument, NULL, 'c'},
                                         {"threshold", required_argument, NULL, 't'},
                                         {"arms-from-org-units", no_argument, NULL, 'a'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = cli_default_db(), *program = NULL, *waves = NULL;
    store_study st = {.target_intervention = -1, .target_control = -1, .subgroup_threshold = 8};
    long v;
    int adopt = 0, c;
    while ((c = ev_opt(argc, argv, opts, "study create")) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'p':
            program = optarg;
            break;
        case 'n':
            st.name = optarg;
            break;
        case 'D':
            st.description = optarg;
            break;
        case 'w':
            waves = optarg;
            break;
        case 'i':
        case 'c':
            if (cli_parse_long(optarg, 0, 10000000, &v) != 0)
                return cli_fail(EXIT_USAGE, "study create: --target-%s must be 0 to 10000000",
                                c == 'i' ? "intervention" : "control");
            *(c == 'i' ? &st.target_intervention : &st.target_control) = (int)v;
            break;
        case 't':
            if (measure_parse_decimal(optarg, &st.subgroup_threshold) != PL_OK ||
                st.subgroup_threshold < 3 || st.subgroup_threshold > 20)
                return cli_fail(EXIT_USAGE,
                                "study create: --threshold must be an HbA1c (%%) from 3 to 20");
            break;
        case 'a':
            adopt = 1;
            break;
        case 'h':
            printf("usage: peerlink %s\n", EVALCMD_STUDY_USAGE);
            return EXIT_OK;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_fail(EXIT_USAGE, "study create: unexpected argument '%s'", argv[optind]);
    if (!program || !st.name || !*st.name)
        return cli_fail(EXIT_USAGE, "study create: --program and --name are required");
    int rc;
    if (waves) {
        if ((rc = parse_waves(waves, &st)) != EXIT_OK)
            return rc;
    } else {
        eval_default_waves(&st);
    }
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    if ((rc = open_store(db, &s, &err)) != EXIT_OK)
        return rc;
    pl_arena a;
    pl_arena_init(&a, 0);
    rc = EXIT_OK;
    eval_arms arms;
    create_job job = {&st, NULL};
    st.program_id = find_program(s, program, &a);
    if (!st.program_id) {
        rc = EXIT_USAGE;
        goto done;
    }
    if (adopt) {
        eval_unit *units;
        int n;
        if (eval_program_communities(s, st.program_id, &a, &units, &n, &err) != PL_OK ||
            eval_arms_begin(&arms, units, n, st.program_id, &a, &err) != PL_OK) {
            rc = ev_fail_err("study create", &err);
            goto done;
        }
        for (int i = 0; i < n; i++)
            if (units[i].arm != PL_ARM_NONE)
                eval_arms_add(&arms, units[i].id, units[i].arm, units[i].code, &err);
        if (arms.narms == 0) {
            rc = cli_fail(EXIT_USAGE, "study create: --arms-from-org-units: no community of the "
                                      "program has an arm");
            goto done;
        }
        if (eval_arms_finish(&arms, &err) != PL_OK) {
            rc = ev_fail_err("study create", &err);
            goto done;
        }
        job.arms = &arms;
    }
    if (store_write(s, create_write, &job, &err) != PL_OK) {
        rc = ev_fail_err("study create", &err);
        goto done;
    }
    printf("created study %lld \"%s\" (program %lld, %d waves%s)\n", (long long)st.id, st.name,
           (long long)st.program_id, st.nwaves,
           job.arms ? ", arms adopted from the org units" : "");
done:
    pl_arena_free(&a);
    store_close(s);
    return rc;
}

/* Parses --db and --study (required) plus extra options handled by `extra`. */
typedef int (*extra_fn)(int c, void *ctx);

static int study_opts(int argc, char **argv, const char *what, const struct option *opts,
                      const char **db, pl_id *study, extra_fn extra, void *ctx, const char *usage)
{
    int c;
    long v;
    *db = cli_default_db();
    *study = 0;
    while ((c = ev_opt(argc, argv, opts, what)) != -1) {
        if (c == 'd') {
            *db = optarg;
        } else if (c == 's') {
            if (cli_parse_long(optarg, 1, 0x7fffffffL, &v) != 0)
                return cli_fail(EXIT_USAGE, "%s: --study must be a study id", what);
            *study = v;
        } else if (c == 'h') {
            printf("usage: peerlink %s\n", usage);
            return -1;
        } else if (extra && c != '?') {
            int rc = extra(c, ctx);
            if (rc != EXIT_OK)
                return rc;
        } else {
            return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_fail(EXIT_USAGE, "%s: unexpected argument '%s'", what, argv[optind]);
    if (!*study)
        return cli_fail(EXIT_USAGE, "%s: --study is required", what);
    return EXIT_OK;
}

typedef struct arms_job {
    pl_id id;
    const char *allocation;
    int64_t seed;
    eval_arms *b;
} arms_job;

static pl_status arms_write(store_tx *tx, void *ctx, pl_err *err)
{
    arms_job *j = ctx;
    pl_arena a;
    pl_arena_init(&a, 0);
    store_study st;
    pl_status s = store_tx_study_get(tx, j->id, &a, &st, err);
    if (s == PL_OK)
        s = store_study_arms_set(tx, j->id, j->b->arms, j->b->narms, j->allocation, j->seed,
                                 st.version, err);
    pl_arena_free(&a);
    return s == PL_OK ? audit_cli(tx, "update", "study", j->id, err) : s;
}

typedef struct arms_opts {
    const char *csv;
    long seed, control;
} arms_opts;

static int arms_extra(int c, void *ctx)
{
    arms_opts *o = ctx;
    if (c == 'f')
        o->csv = optarg;
    else if (c == 'S' && cli_parse_long(optarg, 1, 0x7fffffffL, &o->seed) != 0)
        return cli_fail(EXIT_USAGE, "study randomise: --seed must be 1 to 2147483647");
    else if (c == 'c' && cli_parse_long(optarg, 1, EVAL_CLUSTERS_MAX, &o->control) != 0)
        return cli_fail(EXIT_USAGE, "study randomise: --control must be a number of communities");
    return EXIT_OK;
}

static int study_allocate(int argc, char **argv, bool randomise)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"study", required_argument, NULL, 's'},
                                         {"csv", required_argument, NULL, 'f'},
                                         {"seed", required_argument, NULL, 'S'},
                                         {"control", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    const char *what = randomise ? "study randomise" : "study arms";
    const char *db;
    pl_id id;
    arms_opts o = {0};
    int rc = study_opts(argc, argv, what, opts, &db, &id, arms_extra, &o, EVALCMD_STUDY_USAGE);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    if (randomise && (!o.seed || !o.control || o.csv))
        return cli_fail(EXIT_USAGE, "study randomise: --seed and --control are required");
    if (!randomise && (!o.csv || o.seed || o.control))
        return cli_fail(EXIT_USAGE, "study arms: --csv FILE is required (community,arm lines)");
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    if ((rc = open_store(db, &s, &err)) != EXIT_OK)
        return rc;
    pl_arena a;
    pl_arena_init(&a, 0);
    char *text = NULL;
    store_study st;
    eval_unit *units;
    int n;
    eval_arms b;
    arms_job job = {id, randomise ? "randomised" : "imported", randomise ? o.seed : 0, &b};
    if (store_study_get(s, id, &a, &st, &err) != PL_OK ||
        eval_program_communities(s, st.program_id, &a, &units, &n, &err) != PL_OK ||
        eval_arms_begin(&b, units, n, st.program_id, &a, &err) != PL_OK) {
        rc = ev_fail_err(what, &err);
        goto done;
    }
    if (randomise) {
        if (eval_arms_randomise(&b, (int)o.control, (uint64_t)o.seed, &a, &err) != PL_OK) {
            rc = ev_fail_err(what, &err);
            goto done;
        }
    } else {
        if (!(text = slurp(o.csv, what))) {
            rc = EXIT_RUNTIME;
            goto done;
        }
        eval_arms_parse_csv(&b, text, &err);
        if (eval_arms_finish(&b, &err) != PL_OK) {
            rc = ev_fail_err(o.csv, &err);
            goto done;
        }
    }
    if (store_write(s, arms_write, &job, &err) != PL_OK) {
        rc = ev_fail_err(what, &err);
        goto done;
    }
    int counts[PL_ARM__COUNT] = {0};
    for (int i = 0; i < b.narms; i++)
        counts[b.arms[i].arm]++;
    printf("study %lld: %d intervention and %d control communities (%s%s)\n", (long long)id,
           counts[PL_ARM_INTERVENTION], counts[PL_ARM_CONTROL], job.allocation,
           randomise ? ", stratified by district" : "");
    if (randomise)
        for (int i = 0; i < b.narms; i++) {
            const eval_unit *u = NULL;
            for (int k = 0; k < n && !u; k++)
                if (units[k].id == b.arms[i].unit_id)
                    u = &units[k];
            printf("  %-12s %-12s %s\n", u ? u->code : "?",
                   u && u->district_code ? u->district_code : "-", pl_arm_name(b.arms[i].arm));
        }
done:
    free(text);
    pl_arena_free(&a);
    store_close(s);
    return rc;
}

static int study_list(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    const char *db = cli_default_db();
    int c, rc;
    while ((c = ev_opt(argc, argv, opts, "study list")) != -1) {
        if (c == 'd')
            db = optarg;
        else if (c == 'h') {
            printf("usage: peerlink %s\n", EVALCMD_STUDY_USAGE);
            return EXIT_OK;
        } else
            return EXIT_USAGE;
    }
    if (optind < argc)
        return cli_fail(EXIT_USAGE, "study list: unexpected argument '%s'", argv[optind]);
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    if ((rc = open_store(db, &s, &err)) != EXIT_OK)
        return rc;
    pl_arena a;
    pl_arena_init(&a, 0);
    store_page pg = {0, 200};
    printf("%-6s %-8s %-11s %-6s %s\n", "id", "program", "allocation", "waves", "name");
    for (;;) {
        store_study *items;
        int n;
        if (store_study_list(s, 0, pg, &a, &items, &n, &err) != PL_OK) {
            rc = ev_fail_err("study list", &err);
            break;
        }
        for (int i = 0; i < n; i++)
            printf("%-6lld %-8lld %-11s %-6d %s\n", (long long)items[i].id,
                   (long long)items[i].program_id, items[i].allocation, items[i].nwaves,
                   items[i].name);
        if (n < pg.limit)
            break;
        pg.after = items[n - 1].id;
        pl_arena_reset(&a);
    }
    pl_arena_free(&a);
    store_close(s);
    return rc;
}

/* Loads the data set and the report of a study; prints the failure. */
static int load_report(store *s, pl_id id, const char *what, eval_data **d, eval_report **r)
{
    pl_err err;
    pl_err_clear(&err);
    *d = NULL;
    *r = NULL;
    if (eval_data_load(s, id, 0, d, &err) != PL_OK)
        return ev_fail_err(what, &err);
    if (eval_report_build(*d, (pl_time)time(NULL), r, &err) != PL_OK)
        return ev_fail_err(what, &err);
    return EXIT_OK;
}

/* Writes a buffer to path (via a temporary file and a rename) or to stdout. */
static int write_out(const char *path, const char *data, size_t n, const char *what)
{
    if (!path) {
        if (fwrite(data, 1, n, stdout) != n || fflush(stdout) != 0)
            return cli_fail(EXIT_RUNTIME, "%s: writing to standard output failed", what);
        return EXIT_OK;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return cli_fail(EXIT_RUNTIME, "%s: cannot write %s: %s", what, tmp, strerror(errno));
    bool ok = fwrite(data, 1, n, f) == n;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return cli_fail(EXIT_RUNTIME, "%s: cannot write %s: %s", what, path, strerror(e));
    }
    return EXIT_OK;
}

static int study_flow(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"study", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    const char *db;
    pl_id id;
    int rc = study_opts(argc, argv, "study flow", opts, &db, &id, NULL, NULL, EVALCMD_STUDY_USAGE);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    if ((rc = open_store(db, &s, &err)) != EXIT_OK)
        return rc;
    eval_data *d;
    eval_report *r;
    pl_buf b;
    pl_buf_init(&b, 0);
    if ((rc = load_report(s, id, "study flow", &d, &r)) == EXIT_OK) {
        if (eval_report_render_flow(r, &b, &err) != PL_OK)
            rc = ev_fail_err("study flow", &err);
        else
            rc = write_out(NULL, b.data, b.len, "study flow");
    }
    audit_job aj = {"read", "study_flow", id};
    if (rc == EXIT_OK && store_write(s, audit_write, &aj, &err) != PL_OK)
        rc = ev_fail_err("study flow", &err);
    pl_buf_free(&b);
    eval_report_free(r);
    eval_data_free(d);
    store_close(s);
    return rc;
}

static int study_show(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"study", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    const char *db;
    pl_id id;
    int rc = study_opts(argc, argv, "study show", opts, &db, &id, NULL, NULL, EVALCMD_STUDY_USAGE);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    if ((rc = open_store(db, &s, &err)) != EXIT_OK)
        return rc;
    pl_arena a;
    pl_arena_init(&a, 0);
    store_study st;
    store_study_arm *arms;
    eval_unit *units;
    int narms, nunits;
    if (store_study_get(s, id, &a, &st, &err) != PL_OK ||
        store_study_arms_get(s, id, &a, &arms, &narms, &err) != PL_OK ||
        eval_program_communities(s, st.program_id, &a, &units, &nunits, &err) != PL_OK) {
        rc = ev_fail_err("study show", &err);
    } else {
        printf("study %lld: %s\nprogram: %lld\nallocation: %s", (long long)st.id, st.name,
               (long long)st.program_id, st.allocation);
        if (st.seed)
            printf(" (seed %lld)", (long long)st.seed);
        printf("\nwaves:");
        for (int w = 0; w < st.nwaves; w++)
            printf(" month %d +-%d days%s", st.waves[w].month, st.waves[w].window_days,
                   w + 1 < st.nwaves ? ";" : "");
        printf("\nsubgroup: HbA1c >= %g %%\ntargets: intervention ", st.subgroup_threshold);
        if (st.target_intervention >= 0)
            printf("%d", st.target_intervention);
        else
            printf("-");
        printf(", control ");
        if (st.target_control >= 0)
            printf("%d", st.target_control);
        else
            printf("-");
        printf("\narms (%d communities):\n", narms);
        for (int i = 0; i < narms; i++) {
            const char *code = "?", *district = "-";
            for (int k = 0; k < nunits; k++)
                if (units[k].id == arms[i].unit_id) {
                    code = units[k].code;
                    district = units[k].district_code ? units[k].district_code : "-";
                }
            printf("  %-12s %-12s %s\n", code, district, pl_arm_name(arms[i].arm));
        }
    }
    pl_arena_free(&a);
    store_close(s);
    return rc;
}

int evalcmd_study(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fprintf(argc < 2 ? stderr : stdout, "usage: peerlink %s\n", EVALCMD_STUDY_USAGE);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    const char *action = argv[1];
    argc--;
    argv++;
    if (strcmp(action, "create") == 0)
        return study_create(argc, argv);
    if (strcmp(action, "list") == 0)
        return study_list(argc, argv);
    if (strcmp(action, "show") == 0)
        return study_show(argc, argv);
    if (strcmp(action, "arms") == 0)
        return study_allocate(argc, argv, false);
    if (strcmp(action, "randomise") == 0)
        return study_allocate(argc, argv, true);
    if (strcmp(action, "flow") == 0)
        return study_flow(argc, argv);
    return cli_fail(EXIT_USAGE,
                    "study: unknown action '%s' (expected create, list, show, arms, randomise or "
                    "flow)",
                    action);
}

/* ---- report ----------------------------------------------------------------------- */

typedef struct report_opts {
    const char *format, *out;
    int timing;
} report_opts;

static int report_extra(int c, void *ctx)
{
    report_opts *o = ctx;
    if (c == 'f')
        o->format = optarg;
    else if (c == 'o')
        o->out = optarg;
    else if (c == 'T')
        o->timing = 1;
    return EXIT_OK;
}

static double ev_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int evalcmd_report(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"study", required_argument, NULL, 's'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"timing", no_argument, NULL, 'T'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    double t_start = ev_now();
    const char *db;
    pl_id id;
    report_opts o = {0};
    int rc =
        study_opts(argc, argv, "report", opts, &db, &id, report_extra, &o, EVALCMD_REPORT_USAGE);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    eval_format f;
    if (eval_format_parse(o.format, &f) != PL_OK)
        return cli_fail(EXIT_USAGE, "report: --format must be html, json or csv");
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    if ((rc = open_store(db, &s, &err)) != EXIT_OK)
        return rc;
    eval_data *d;
    eval_report *r;
    pl_buf b;
    pl_buf_init(&b, 256u * 1024 * 1024);
    double t_open = ev_now(), t_render = 0, t_write = 0;
    if ((rc = load_report(s, id, "report", &d, &r)) == EXIT_OK) {
        if (o.timing)
            fprintf(stderr,
                    "timing: open %.3f s; load %.3f s (participants %.3f, measurements %.3f, "
                    "questionnaires %.3f, contacts %.3f in parallel); report %.3f s",
                    t_open - t_start, d->seconds[EVAL_T_LOAD], d->seconds[EVAL_T_PARTICIPANTS],
                    d->seconds[EVAL_T_MEASUREMENTS], d->seconds[EVAL_T_QUESTIONNAIRES],
                    d->seconds[EVAL_T_CONTACTS], eval_report_seconds(r));
        eval_data_free(d);
        d = NULL;
        t_render = ev_now();
        if (eval_report_render(r, f, &b, &err) != PL_OK)
            rc = ev_fail_err("report", &err);
        else
            rc = write_out(o.out, b.data, b.len, "report");
        t_write = ev_now();
    }
    audit_job aj = {"read", "study_report", id};
    if (rc == EXIT_OK && store_write(s, audit_write, &aj, &err) != PL_OK)
        rc = ev_fail_err("report", &err);
    if (rc == EXIT_OK && o.timing)
        fprintf(stderr, "; render and write %.3f s; total %.3f s\n", t_write - t_render,
                ev_now() - t_start);
    if (rc == EXIT_OK && o.out)
        printf("wrote %s (%zu bytes)\n", o.out, b.len);
    pl_buf_free(&b);
    eval_report_free(r);
    eval_data_free(d);
    store_close(s);
    return rc;
}

/* ---- export research ---------------------------------------------------------------- */

static pl_status to_file(void *ctx, const char *data, size_t n, pl_err *err)
{
    FILE *f = ctx;
    if (fwrite(data, 1, n, f) != n)
        return pl_err_set(err, PL_IO, "writing failed: %s", strerror(errno));
    return PL_OK;
}

typedef struct export_opts {
    const char *dir;
} export_opts;

static int export_extra(int c, void *ctx)
{
    if (c == 'o')
        ((export_opts *)ctx)->dir = optarg;
    return EXIT_OK;
}

int evalcmd_export(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"study", required_argument, NULL, 's'},
                                         {"dir", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fprintf(argc < 2 ? stderr : stdout, "usage: peerlink %s\n", EVALCMD_EXPORT_USAGE);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "research") != 0)
        return cli_fail(EXIT_USAGE, "export: unknown export '%s' (expected research)", argv[1]);
    argc--;
    argv++;
    const char *db;
    pl_id id;
    export_opts o = {0};
    int rc = study_opts(argc, argv, "export research", opts, &db, &id, export_extra, &o,
                        EVALCMD_EXPORT_USAGE);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    if (!o.dir)
        return cli_fail(EXIT_USAGE, "export research: --dir DIR is required");
    if (mkdir(o.dir, 0700) != 0 && errno != EEXIST)
        return cli_fail(EXIT_RUNTIME, "export research: cannot create %s: %s", o.dir,
                        strerror(errno));
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    if ((rc = open_store(db, &s, &err)) != EXIT_OK)
        return rc;
    unsigned char secret[EVAL_SECRET_BYTES];
    eval_data *d = NULL;
    if (store_install_secret(s, secret, &err) != PL_OK ||
        eval_data_load(s, id, EVAL_LOAD_DEMOGRAPHICS, &d, &err) != PL_OK)
        rc = ev_fail_err("export research", &err);
    pl_date today = pl_time_date((pl_time)time(NULL));
    for (int f = 0; rc == EXIT_OK && f < EVAL_EXPORT__COUNT; f++) {
        char path[4096], tmp[4112];
        snprintf(path, sizeof path, "%s/%s", o.dir, eval_export_filename((eval_export_file)f));
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        FILE *fp = fopen(tmp, "wb");
        if (!fp) {
            rc = cli_fail(EXIT_RUNTIME, "export research: cannot write %s: %s", tmp,
                          strerror(errno));
            break;
        }
        pl_status st = eval_export_write(d, secret, (eval_export_file)f, today, to_file, fp, &err);
        if (fclose(fp) != 0 && st == PL_OK)
            st = pl_err_set(&err, PL_IO, "closing failed: %s", strerror(errno));
        if (st == PL_OK && rename(tmp, path) != 0)
            st = pl_err_set(&err, PL_IO, "renaming failed: %s", strerror(errno));
        if (st != PL_OK) {
            unlink(tmp);
            rc = ev_fail_err(path, &err);
        }
    }
    memset(secret, 0, sizeof secret);
    audit_job aj = {"export", "research_export", id};
    if (rc == EXIT_OK && store_write(s, audit_write, &aj, &err) != PL_OK)
        rc = ev_fail_err("export research", &err);
    if (rc == EXIT_OK)
        printf("wrote %s/{long.csv,wide.csv,codebook.csv,read_peerlink.R,read_peerlink.do}: %zu "
               "participants\n",
               o.dir, d ? d->n : 0);
    eval_data_free(d);
    store_close(s);
    return rc;
}
