/*
 * main.c - the `peerlink` command: init, serve, demo, user, import, export; the evaluation
 * commands (study, report, export research) live in evalcmd.c.
 *
 * Each subcommand is a row of `commands`: name, one-line summary, usage
 * text and a function. Options are parsed with getopt_long; every error is
 * one line on stderr starting "peerlink: ". Exit codes (docs/CLI.md):
 * 0 success, 1 runtime failure, 2 usage error.
 *
 * `serve` blocks SIGINT and SIGTERM before any thread starts, so only the
 * main thread receives them (through sigwait); it then stops the HTTP
 * server, which waits for requests in flight, and closes the store, which
 * commits every queued write: no acknowledged write is lost.
 */
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "cli/fhir_cli.h"
#include "cli/cli.h"
#include "cli/hsds_cli.h"
#include "demo.h"
#include "evalcmd.h"
#include "http/auth.h"
#include "http/server.h"
#include "store/store.h"
#include "web/web.h"

static int fail_err(const pl_err *err)
{
    return cli_fail(err->status == PL_USAGE ? EXIT_USAGE : EXIT_RUNTIME, "%s", pl_err_text(err));
}

typedef struct command {
    const char *name;
    const char *summary;
    const char *usage;
    int (*run)(int argc, char **argv);
} command;

static const command commands[];

static int print_usage(const command *c, FILE *f)
{
    fprintf(f, "usage: peerlink %s\n\n%s\n", c->usage, c->summary);
    return 0;
}

/* getopt_long that reports an unknown option or a missing value in one line. */
static int next_opt(int argc, char **argv, const struct option *longopts)
{
    int c = getopt_long(argc, argv, ":h", longopts, NULL);
    if (c == '?')
        cli_fail(EXIT_USAGE, "%s: unknown option '%s'", argv[0], argv[optind - 1]);
    else if (c == ':')
        cli_fail(EXIT_USAGE, "%s: option '%s' needs a value", argv[0], argv[optind - 1]);
    return c == ':' ? '?' : c;
}

/* ---- init --------------------------------------------------------------- */

static int cmd_init(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    const char *db = cli_default_db();
    int c;
    while ((c = next_opt(argc, argv, opts)) != -1) {
        if (c == 'd')
            db = optarg;
        else if (c == 'h')
            return print_usage(&commands[0], stdout);
        else
            return EXIT_USAGE;
    }
    if (optind < argc)
        return cli_fail(EXIT_USAGE, "init: unexpected argument '%s'", argv[optind]);
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    store_options so = {.create = true};
    if (store_open(db, &so, &s, &err) != PL_OK)
        return fail_err(&err);
    printf("%s: peerlink database at schema version %d\n", db, store_schema_version(s));
    store_close(s);
    return EXIT_OK;
}

/* ---- serve -------------------------------------------------------------- */

static int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"listen", required_argument, NULL, 'l'},
                                         {"threads", required_argument, NULL, 't'},
                                         {"session-idle", required_argument, NULL, 'i'},
                                         {"session-max", required_argument, NULL, 'm'},
                                         {"max-body", required_argument, NULL, 'b'},
                                         {"export-dir", required_argument, NULL, 'e'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = cli_default_db();
    const char *listen = "127.0.0.1:8080";
    const char *export_dir = NULL;
    long threads = 0, idle = 1800, max_age = 43200, max_body = 1024 * 1024;
    int c;
    while ((c = next_opt(argc, argv, opts)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'l':
            listen = optarg;
            break;
        case 't':
            if (cli_parse_long(optarg, 1, 256, &threads) != 0)
                return cli_fail(EXIT_USAGE, "serve: --threads must be a number from 1 to 256");
            break;
        case 'i':
            if (cli_parse_long(optarg, 1, 86400, &idle) != 0)
                return cli_fail(EXIT_USAGE, "serve: --session-idle must be 1 to 86400 seconds");
            break;
        case 'm':
            if (cli_parse_long(optarg, 1, 30L * 86400, &max_age) != 0)
                return cli_fail(EXIT_USAGE, "serve: --session-max must be 1 to 2592000 seconds");
            break;
        case 'b':
            if (cli_parse_long(optarg, 256, 256L * 1024 * 1024, &max_body) != 0)
                return cli_fail(EXIT_USAGE, "serve: --max-body must be 256 to 268435456 bytes");
            break;
        case 'e':
            if (!*optarg || strlen(optarg) > 3000)
                return cli_fail(EXIT_USAGE, "serve: --export-dir must be a directory path");
            export_dir = optarg;
            break;
        case 'h':
            return print_usage(&commands[1], stdout);
        default:
            return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_fail(EXIT_USAGE, "serve: unexpected argument '%s'", argv[optind]);
    pl_err err;
    pl_err_clear(&err);
    if (http_listen_check(listen, &err) != PL_OK)
        return cli_fail(EXIT_USAGE, "serve: %s", err.message);

    /* before any thread exists, so that every thread inherits the mask */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    store *s = NULL;
    http_server *srv = NULL;
    http_route *routes = NULL; /* the web pages, then the API */
    api_context app = {0};
    int code = EXIT_OK;
    /* FHIR $export files: beside a SQLite file (DB.export), else ./peerlink-export */
    char default_export[4096];
    if (!export_dir) {
        bool url = strstr(db, "://") != NULL;
        snprintf(default_export, sizeof default_export, "%s%s", url ? "peerlink" : db,
                 url ? "-export" : ".export");
        export_dir = default_export;
    }
    api_options ao = {.session_idle_seconds = (int)idle,
                      .session_max_seconds = (int)max_age,
                      .export_dir = export_dir};
    if (auth_init(&err) != PL_OK || store_open(db, NULL, &s, &err) != PL_OK ||
        api_context_init(&app, s, &ao, &err) != PL_OK) {
        code = fail_err(&err);
        goto done;
    }
    http_server_options ho = {.listen = listen,
                              .threads = (int)threads,
                              .max_body_bytes = (size_t)max_body,
                              .authenticate = api_authenticate,
                              .rejected = api_audit_rejected,
                              .before_send = api_before_send};
    if (web_routes_new(&routes, &err) != PL_OK ||
        http_server_start(&ho, routes, &app, &srv, &err) != PL_OK) {
        code = fail_err(&err);
        goto done;
    }
    char host[64];
    snprintf(host, sizeof host, "%.*s", (int)(strrchr(listen, ':') - listen), listen);
    printf("peerlink %s serving http://%s:%d/ (database %s, schema %d)\n", PEERLINK_VERSION, host,
           http_server_port(srv), db, store_schema_version(s));
    fflush(stdout);
    int sig = 0;
    sigwait(&sigs, &sig);
    fprintf(stderr, "peerlink: %s received, finishing requests in flight\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM");
done:
    http_server_stop(srv);
    web_routes_free(routes);
    api_context_free(&app);
    store_close(s);
    if (code == EXIT_OK)
        fprintf(stderr, "peerlink: stopped cleanly\n");
    return code;
}

/* ---- demo --------------------------------------------------------------- */

typedef struct progress_state {
    time_t started;
    int tty;
} progress_state;

static void demo_progress(void *ctx, int64_t done, int64_t total)
{
    progress_state *p = ctx;
    if (!p->tty)
        return;
    double secs = difftime(time(NULL), p->started);
    double rate = secs > 0 ? (double)done / secs : 0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    fprintf(stderr, "\r  %lld / %lld participants  %.0f/s  ETA %.0f s   ", (long long)done,
            (long long)total, rate, eta);
    if (done >= total)
        fputc('\n', stderr);
}

/* Builds the demo in db; with copy_to, then copies it there (verified) and reports on that. */
static int demo_build(const char *db, long seed, long participants, int accounts,
                      const char *copy_to)
{
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    store_options so = {.create = true};
    if (auth_init(&err) != PL_OK || store_open(db, &so, &s, &err) != PL_OK)
        return fail_err(&err);
    progress_state ps = {.started = time(NULL), .tty = isatty(STDERR_FILENO)};
    demo_options o = {.seed = (uint64_t)seed,
                      .participants = (int)participants,
                      .start_date = PL_DATE_NONE,
                      .with_accounts = accounts,
                      .progress = demo_progress,
                      .progress_ctx = &ps};
    pl_status st = demo_generate(s, &o, &err);
    store_counts n = {0};
    if (st == PL_OK)
        st = store_counts_get(s, &n, &err);
    store_close(s);
    if (st == PL_OK && copy_to) {
        store_copy_report *rep = malloc(sizeof *rep);
        st = rep ? store_copy(db, copy_to, rep, &err)
                 : pl_err_set(&err, PL_NOMEM, "out of memory copying the demo");
        free(rep);
    }
    if (st != PL_OK)
        return fail_err(&err);
    /* a PostgreSQL URL may carry a password: it is never printed */
    printf("%s: %lld programs, %lld participants, %lld peer leaders, %lld contacts, %lld "
           "measurements (%.0f s)\n",
           copy_to ? "the PostgreSQL database" : db, (long long)n.programs,
           (long long)n.participants, (long long)n.peer_leaders, (long long)n.contacts,
           (long long)n.measurements, difftime(time(NULL), ps.started));
    if (accounts) {
        printf("demo logins (username / password / role):\n");
        for (const demo_login *l = demo_logins(); l->username; l++)
            printf("  %-10s %-22s %s\n", l->username, l->password, l->role);
    }
    return EXIT_OK;
}

static int cmd_demo(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"participants", required_argument, NULL, 'p'},
                                         {"force", no_argument, NULL, 'f'},
                                         {"no-accounts", no_argument, NULL, 'n'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = cli_default_db();
    long seed = 0, participants = 0;
    int force = 0, accounts = 1, c;
    while ((c = next_opt(argc, argv, opts)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 's':
            if (cli_parse_long(optarg, 1, 0x7fffffffL, &seed) != 0)
                return cli_fail(EXIT_USAGE, "demo: --seed must be a positive number");
            break;
        case 'p':
            if (cli_parse_long(optarg, 1, 50000000L, &participants) != 0)
                return cli_fail(EXIT_USAGE,
                                "demo: --participants must be a number from 1 to 50000000");
            break;
        case 'f':
            force = 1;
            break;
        case 'n':
            accounts = 0;
            break;
        case 'h':
            return print_usage(&commands[2], stdout);
        default:
            return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_fail(EXIT_USAGE, "demo: unexpected argument '%s'", argv[optind]);
    /* a PostgreSQL database is made by its server's owner; peerlink fills an empty one */
    int pg = strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0;
    if (!pg && access(db, F_OK) == 0) {
        if (!force)
            return cli_fail(EXIT_RUNTIME, "demo: %s already exists; pass --force to replace it",
                            db);
        char side[4096];
        const char *suffixes[] = {"", "-wal", "-shm"};
        for (int i = 0; i < 3; i++) {
            snprintf(side, sizeof side, "%s%s", db, suffixes[i]);
            if (unlink(side) != 0 && errno != ENOENT)
                return cli_fail(EXIT_RUNTIME, "demo: cannot remove %s: %s", side, strerror(errno));
        }
    }
    /* PostgreSQL: the demo is built in a SQLite file, then copied over and verified by
       store_copy (COPY), as `peerlink migrate` does: row by row over the wire takes ~14x as long */
    char staged[4096] = "";
    if (pg) {
        /* refused before the build, not after it */
        pl_err err;
        pl_err_clear(&err);
        store *t = NULL;
        store_counts n = {0};
        store_options so = {.create = true};
        pl_status st = store_open(db, &so, &t, &err);
        if (st == PL_OK) {
            st = store_counts_get(t, &n, &err);
            store_close(t);
        }
        if (st != PL_OK)
            return fail_err(&err);
        if (n.programs > 0 || n.staff_accounts > 0)
            return cli_fail(EXIT_RUNTIME, "demo: the database already holds a program or "
                                          "accounts; give it an empty database");
        const char *tmp = getenv("TMPDIR");
        snprintf(staged, sizeof staged, "%s/peerlink-demo-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        int fd = mkstemp(staged);
        if (fd < 0)
            return cli_fail(EXIT_RUNTIME, "demo: cannot make a temporary file: %s",
                            strerror(errno));
        close(fd);
    }
    int rc =
        demo_build(staged[0] ? staged : db, seed, participants, accounts, staged[0] ? db : NULL);
    if (staged[0]) {
        const char *suffixes[] = {"", "-wal", "-shm"};
        char side[4200];
        for (int i = 0; i < 3; i++) {
            snprintf(side, sizeof side, "%s%s", staged, suffixes[i]);
            unlink(side);
        }
    }
    return rc;
}

/* ---- user add ----------------------------------------------------------- */

/* Reads one line (the password) from stdin, without echo when it is a terminal. */
static int read_password(char *buf, size_t n)
{
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        fprintf(stderr, "password: ");
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *ok = fgets(buf, (int)n, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (!ok)
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

/* A shell change to an account is audited like one made through the API. */
static pl_status audit_cli(store_tx *tx, const char *action, pl_id account_id, pl_err *err)
{
    store_audit_event ev = {.at = (pl_time)time(NULL),
                            .action = action,
                            .entity = "staff_account",
                            .entity_id = account_id,
                            .client_addr = "cli",
                            .status = 200};
    return store_audit_append(tx, &ev, err);
}

typedef struct user_job {
    pl_staff_account *account; /* add: the new account; others: id and username */
    const char *hash;          /* add and passwd */
    const char *action;        /* "add", "passwd", "disable", "enable" */
} user_job;

static pl_status user_write(store_tx *tx, void *ctx, pl_err *err)
{
    user_job *j = ctx;
    pl_staff_account *a = j->account;
    pl_status st;
    if (strcmp(j->action, "add") == 0) {
        if (a->scope_unit_id > 0) {
            pl_arena ar;
            pl_arena_init(&ar, 0);
            pl_org_unit u;
            st = store_tx_org_unit_get(tx, a->scope_unit_id, &ar, &u, err);
            pl_arena_free(&ar);
            if (st == PL_NOTFOUND) {
                pl_err_clear(err);
                pl_err_field(err, "scope_unit_id", "no org unit has id %lld",
                             (long long)a->scope_unit_id);
                return PL_INVALID;
            }
            if (st != PL_OK)
                return st;
        }
        st = store_staff_account_insert(tx, a, j->hash, err);
        return st == PL_OK ? audit_cli(tx, "create", a->id, err) : st;
    }
    if (strcmp(j->action, "passwd") == 0) {
        st = store_staff_password_set(tx, a->id, j->hash, err);
    } else {
        pl_arena ar;
        pl_arena_init(&ar, 0);
        pl_staff_account cur;
        st = store_tx_staff_account_get(tx, a->id, &ar, &cur, err);
        if (st == PL_OK) {
            cur.disabled = strcmp(j->action, "disable") == 0;
            st = store_staff_account_update(tx, &cur, cur.version, err);
        }
        pl_arena_free(&ar);
    }
    /* a new password or a disabled account ends every session of the account */
    if (st == PL_OK && strcmp(j->action, "enable") != 0)
        st = store_session_delete_for_account(tx, a->id, err);
    return st == PL_OK ? audit_cli(tx, "update", a->id, err) : st;
}

/* Hashes a password read from standard input into hash. */
static int read_and_hash(const char *what, char hash[AUTH_HASH_MAX])
{
    char password[512];
    pl_err err;
    pl_err_clear(&err);
    if (read_password(password, sizeof password) != 0)
        return cli_fail(EXIT_USAGE, "%s: no password on standard input", what);
    pl_status st = auth_init(&err);
    if (st == PL_OK)
        st = auth_password_hash(password, hash, &err);
    sodium_memzero(password, sizeof password);
    if (st != PL_OK)
        return cli_fail(st == PL_INVALID ? EXIT_USAGE : EXIT_RUNTIME, "%s: %s %s", what,
                        err.nfields ? err.fields[0].field : "", pl_err_text(&err));
    return EXIT_OK;
}

static int cmd_user(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"username", required_argument, NULL, 'u'},
                                         {"role", required_argument, NULL, 'r'},
                                         {"scope", required_argument, NULL, 's'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_usage(&commands[3], argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    const char *action = argv[1];
    bool add = strcmp(action, "add") == 0;
    if (!add && strcmp(action, "passwd") != 0 && strcmp(action, "disable") != 0 &&
        strcmp(action, "enable") != 0)
        return cli_fail(EXIT_USAGE,
                        "user: unknown action '%s' (expected add, passwd, disable or enable)",
                        action);
    char what[32];
    snprintf(what, sizeof what, "user %s", action);
    argc--;
    argv++;
    const char *db = cli_default_db();
    pl_staff_account a = {.role = PL_ROLE__COUNT};
    const char *role = NULL;
    long scope = 0;
    int c;
    while ((c = next_opt(argc, argv, opts)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'u':
            a.username = optarg;
            break;
        case 'r':
            role = optarg;
            break;
        case 's':
            if (cli_parse_long(optarg, 1, 0x7fffffffL, &scope) != 0)
                return cli_fail(EXIT_USAGE, "%s: --scope must be an org unit id", what);
            break;
        case 'n':
            a.display_name = optarg;
            break;
        case 'h':
            return print_usage(&commands[3], stdout);
        default:
            return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_fail(EXIT_USAGE, "%s: unexpected argument '%s'", what, argv[optind]);
    if (!a.username)
        return cli_fail(EXIT_USAGE, "%s: --username is required", what);
    if (!add && (role || scope || a.display_name))
        return cli_fail(EXIT_USAGE, "%s: takes only --username and --db", what);
    pl_err err;
    pl_err_clear(&err);
    if (add) {
        if (!role)
            return cli_fail(EXIT_USAGE, "user add: --username and --role are required");
        if (pl_role_parse(role, &a.role) != PL_OK)
            return cli_fail(EXIT_USAGE,
                            "user add: --role must be admin, program_manager, clinician, "
                            "peer_leader, navigator or evaluator");
        a.scope_unit_id = scope;
        if (staff_account_validate(&a, &err) != PL_OK)
            return cli_fail(EXIT_USAGE, "user add: %s %s", err.fields[0].field,
                            err.fields[0].message);
    }
    char hash[AUTH_HASH_MAX] = "";
    int rc;
    if ((add || strcmp(action, "passwd") == 0) && (rc = read_and_hash(what, hash)) != EXIT_OK)
        return rc;
    store *s = NULL;
    if (store_open(db, NULL, &s, &err) != PL_OK)
        return fail_err(&err);
    pl_status st = PL_OK;
    if (!add) {
        pl_arena ar;
        pl_arena_init(&ar, 0);
        pl_staff_account found;
        st = store_staff_account_get_by_username(s, a.username, &ar, &found, NULL, &err);
        a.id = found.id;
        pl_arena_free(&ar);
        if (st == PL_NOTFOUND)
            pl_err_set(&err, PL_NOTFOUND, "no account is named '%s'", a.username);
    }
    user_job job = {&a, hash, action};
    if (st == PL_OK)
        st = store_write(s, user_write, &job, &err);
    store_close(s);
    sodium_memzero(hash, sizeof hash);
    if (st != PL_OK)
        return cli_fail(EXIT_RUNTIME, "%s: %s%s%s", what, err.nfields ? err.fields[0].field : "",
                        err.nfields ? " " : "", pl_err_text(&err));
    if (add)
        printf("created %s account '%s' (id %lld)\n", role, a.username, (long long)a.id);
    else if (strcmp(action, "passwd") == 0)
        printf("set a new password for '%s'; its sessions have ended\n", a.username);
    else
        printf("%s '%s'%s\n", strcmp(action, "disable") == 0 ? "disabled" : "enabled", a.username,
               strcmp(action, "disable") == 0 ? "; its sessions have ended" : "");
    return EXIT_OK;
}

/* ---- import / export hsds ----------------------------------------------- */

/* Parses the shared options of import and export: --db, --program (and --output). */
static int directory_options(int argc, char **argv, const command *c, const char **db,
                             long *program, const char **output)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"program", required_argument, NULL, 'p'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    int ch;
    while ((ch = next_opt(argc, argv, opts)) != -1) {
        switch (ch) {
        case 'd':
            *db = optarg;
            break;
        case 'p':
            if (cli_parse_long(optarg, 1, 0x7fffffffL, program) != 0)
                return cli_fail(EXIT_USAGE, "%s: --program must be the id of a program", c->name);
            break;
        case 'o':
            if (!output)
                return cli_fail(EXIT_USAGE, "%s: unknown option '--output'", c->name);
            *output = optarg;
            break;
        case 'h':
            print_usage(c, stdout);
            return -1;
        default:
            return EXIT_USAGE;
        }
    }
    if (*program == 0)
        return cli_fail(EXIT_USAGE, "%s: --program is required", c->name);
    return EXIT_OK;
}

/* Opens the database and checks that program is an org unit of kind program. */
static int open_program(const char *what, const char *db, long program, store **s)
{
    pl_err err;
    pl_err_clear(&err);
    if (store_open(db, NULL, s, &err) != PL_OK)
        return fail_err(&err);
    pl_arena a;
    pl_arena_init(&a, 0);
    pl_org_unit u;
    pl_status st = store_org_unit_get(*s, program, &a, &u, &err);
    pl_arena_free(&a);
    if (st == PL_OK && u.kind == PL_ORG_PROGRAM)
        return EXIT_OK;
    store_close(*s);
    *s = NULL;
    if (st != PL_OK && st != PL_NOTFOUND)
        return fail_err(&err);
    return cli_fail(EXIT_USAGE, "%s: --program %ld is not a program (an org unit of kind program)",
                    what, program);
}

static const command *find_command(const char *name);

static int cmd_import(int argc, char **argv)
{
    const command *c = find_command("import");
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_usage(c, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "fhir") == 0)
        return fhir_cli_import(argc - 1, argv + 1);
    if (strcmp(argv[1], "hsds") != 0)
        return cli_fail(EXIT_USAGE, "import: unknown format '%s' (expected hsds or fhir)", argv[1]);
    const char *db = cli_default_db();
    long program = 0;
    int rc = directory_options(argc - 1, argv + 1, c, &db, &program, NULL);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    int first = optind + 1; /* getopt ran on argv + 1 */
    if (first >= argc)
        return cli_fail(EXIT_USAGE, "import: name at least one HSDS JSON file");
    store *s = NULL;
    if ((rc = open_program("import", db, program, &s)) != EXIT_OK)
        return rc;
    rc = hsds_cli_import(s, (pl_id)program, argv + first, argc - first, stdout);
    store_close(s);
    return rc;
}

static int cmd_export(int argc, char **argv)
{
    const command *c = find_command("export");
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_usage(c, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "research") == 0)
        return evalcmd_export(argc, argv);
    if (strcmp(argv[1], "hsds") != 0)
        return cli_fail(EXIT_USAGE, "export: unknown export '%s' (expected hsds or research)",
                        argv[1]);
    const char *db = cli_default_db(), *output = NULL;
    long program = 0;
    int rc = directory_options(argc - 1, argv + 1, c, &db, &program, &output);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    if (optind + 1 < argc)
        return cli_fail(EXIT_USAGE, "export: unexpected argument '%s'", argv[optind + 1]);
    store *s = NULL;
    if ((rc = open_program("export", db, program, &s)) != EXIT_OK)
        return rc;
    FILE *out = stdout;
    if (output && !(out = fopen(output, "w"))) {
        store_close(s);
        return cli_fail(EXIT_RUNTIME, "export: %s: %s", output, strerror(errno));
    }
    rc = hsds_cli_export(s, (pl_id)program, out);
    if (out != stdout && fclose(out) != 0 && rc == EXIT_OK)
        rc = cli_fail(EXIT_RUNTIME, "export: %s: %s", output, strerror(errno));
    store_close(s);
    return rc;
}

/* ---- migrate ------------------------------------------------------------ */

static const command *find_command(const char *name);

static int cmd_migrate(int argc, char **argv)
{
    static const struct option opts[] = {{"from", required_argument, NULL, 'f'},
                                         {"to", required_argument, NULL, 't'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    const char *from = NULL, *to = NULL;
    int c;
    while ((c = next_opt(argc, argv, opts)) != -1) {
        if (c == 'f')
            from = optarg;
        else if (c == 't')
            to = optarg;
        else if (c == 'h')
            return print_usage(find_command("migrate"), stdout);
        else
            return EXIT_USAGE;
    }
    if (optind < argc)
        return cli_fail(EXIT_USAGE, "migrate: unexpected argument '%s'", argv[optind]);
    if (!from || !to)
        return cli_fail(EXIT_USAGE, "migrate: --from and --to are both required");
    store_copy_report *rep = malloc(sizeof *rep);
    if (!rep)
        return cli_fail(EXIT_RUNTIME, "migrate: out of memory");
    pl_err err;
    pl_err_clear(&err);
    pl_status st = store_copy(from, to, rep, &err);
    if (st != PL_OK) {
        free(rep);
        return fail_err(&err);
    }
    int64_t rows = 0;
    for (int i = 0; i < rep->ntables; i++) {
        printf("%-32s %10lld rows  checksum %016llx  verified\n", rep->tables[i].name,
               (long long)rep->tables[i].rows, (unsigned long long)rep->tables[i].checksum);
        rows += rep->tables[i].rows;
    }
    printf("copied %d tables, %lld rows; every table's count and checksum match the source\n",
           rep->ntables, (long long)rows);
    free(rep);
    return EXIT_OK;
}

/* ---- dispatch ----------------------------------------------------------- */

static const command commands[] = {
    {"init", "Create a peerlink database, or bring an existing one to the current schema.",
     "init [--db FILE]", cmd_init},
    {"serve", "Serve the web app and JSON API until SIGINT or SIGTERM.",
     "serve [--db FILE] [--listen HOST:PORT] [--threads N] [--session-idle SECONDS]\n"
     "      [--session-max SECONDS] [--max-body BYTES] [--export-dir DIR]",
     cmd_serve},
    {"demo",
     "Create a demo database: a Shanghai-shaped study (16 communities, 2,160 participants) and "
     "a Mi Salud-shaped program,\nor with --participants N a city-scale Shanghai-shaped "
     "program for benchmarks. Prints the demo logins.",
     "demo [--db FILE] [--seed N] [--participants N] [--force] [--no-accounts]", cmd_demo},
    {"user",
     "Manage staff accounts: create one, set a new password (both read the password from\n"
     "standard input), or disable / enable one. A new password or disabling ends the\n"
     "account's sessions; every change is audited.",
     "user add --username NAME --role ROLE [--scope UNIT_ID] [--name DISPLAY] [--db FILE]\n"
     "       user passwd|disable|enable --username NAME [--db FILE]",
     cmd_user},
    {"import",
     "Import a program's community resource directory from Open Referral HSDS 3 JSON files\n"
     "(docs/RESOURCES.md): all files in one transaction, or nothing when any is refused.\n"
     "Re-importing updates the records the HSDS ids name; what is not kept is reported.\n"
     "Or import FHIR NDJSON (docs/FHIR.md): Patients and Observations, 2,000 lines a\n"
     "transaction, a refused line reported as FILE:LINE while the others commit.",
     "import hsds --program PROGRAM_ID [--db FILE] FILE...\n"
     "       " FHIR_CLI_USAGE,
     cmd_import},
    {"export",
     "Export a program's community resource directory as HSDS 3 JSON (an array of\n"
     "organizations with their locations and services), which import reads back; or a\n"
     "study's de-identified research export: long and wide CSV, a codebook, and R and Stata\n"
     "scripts that read them with labels.",
     "export hsds --program PROGRAM_ID [--db FILE] [--output FILE]\n"
     "       " EVALCMD_EXPORT_USAGE,
     cmd_export},
    {"study",
     "Design a program's evaluation study: waves, targets, and the arm of each community\n"
     "(adopted from the org units, imported from CSV, or randomised by district); show its\n"
     "CONSORT flow counts.",
     EVALCMD_STUDY_USAGE, evalcmd_study},
    {"report",
     "Write a study's outcome report (aggregates only): JSON by default, or HTML with plots,\n"
     "or CSV; to standard output or --out FILE.",
     EVALCMD_REPORT_USAGE, evalcmd_report},
    {"migrate",
     "Copy a whole installation between databases, SQLite and PostgreSQL either way (--db\n"
     "accepts postgresql://... URLs everywhere): the target must hold no program yet; every\n"
     "table's row count and checksum are compared with the source before the one commit, so a\n"
     "failure leaves the target empty.",
     "migrate --from FILE|URL --to FILE|URL", cmd_migrate},
    {NULL, NULL, NULL, NULL},
};

static const command *find_command(const char *name)
{
    for (const command *c = commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return &commands[0];
}

static void main_usage(FILE *f)
{
    fprintf(f, "usage: peerlink COMMAND [OPTIONS]\n\n"
               "peerlink runs peer-support programs for people with type 2 diabetes.\n\n"
               "commands:\n");
    for (const command *c = commands; c->name; c++)
        fprintf(f, "  %-6s %s\n", c->name, c->usage + strlen(c->name) + 1);
    fprintf(f,
            "\nThe database defaults to $PEERLINK_DB or ./%s.\n"
            "'peerlink COMMAND --help' describes a command. Exit status: 0 ok, 1 failure, "
            "2 usage error.\n",
            CLI_DEFAULT_DB);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        main_usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        main_usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("peerlink %s\n", PEERLINK_VERSION);
        return EXIT_OK;
    }
    for (const command *c = commands; c->name; c++) {
        if (strcmp(argv[1], c->name) == 0) {
            opterr = 0;
            optind = 1;
            int rc = c->run(argc - 1, argv + 1);
            return rc;
        }
    }
    return cli_fail(EXIT_USAGE, "unknown command '%s' (try 'peerlink --help')", argv[1]);
}
