/*
 * test_store.c - the store: migrations, refusals, round trips and group
 * commit, on real database files in a temporary directory, or on new
 * PostgreSQL databases when PEERLINK_TEST_PG is set (test_db.h); the few
 * cases about SQLite files alone are skipped there.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "test_db.h"

#include "core/measure.h"
#include "core/time.h"
#include "store/db.h"
#include "store/schema_pg.h"
#include "store/schema_sqlite.h"
#include "store/store.h"
#include "store/store_fhir_export.h"

static char dir[64];
static char file[128], file2[128];
static char path[256];  /* the database: file, or a PostgreSQL URL */
static char path2[256]; /* a second database, for what must differ between installations */

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/pl-store-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(file, sizeof file, "%s/test.db", dir);
    snprintf(file2, sizeof file2, "%s/other.db", dir);
    test_db_fresh(file, path, sizeof path);
    test_db_fresh(file2, path2, sizeof path2);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    const char *base[] = {file, file2};
    test_db_drop(path);
    test_db_drop(path2);
    char p[160];
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < 4; i++) {
            snprintf(p, sizeof p, "%s%s", base[b], suffix[i]);
            unlink(p);
        }
    rmdir(dir);
    return 0;
}

static store *open_new(void)
{
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    store_options o = {.create = true};
    assert_int_equal(store_open(path, &o, &s, &err), PL_OK);
    return s;
}

/* A 64-bit FNV-1a of a whole file, to prove it was not touched. */
static uint64_t file_hash(const char *p)
{
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    uint64_t h = 1469598103934665603ull;
    int c;
    while ((c = fgetc(f)) != EOF)
        h = (h ^ (uint64_t)c) * 1099511628211ull;
    fclose(f);
    return h;
}

static void raw_exec(const char *p, const char *script)
{
    char msg[512];
    if (test_db_exec(p, script, msg, sizeof msg) != 0)
        fail_msg("%s: %s", script, msg);
}

/* ---- opening ------------------------------------------------------------ */

static void test_migrates_empty_database(void **state)
{
    (void)state;
    store *s = open_new();
    assert_int_equal(store_schema_version(s), store_schema_version_latest());
    assert_string_equal(store_backend_name(s), test_db_pg() ? "postgresql" : "sqlite");
    store_close(s);
    /* reopening applies nothing twice */
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(store_open(path, NULL, &s, &err), PL_OK);
    assert_int_equal(store_schema_version(s), store_schema_version_latest());
    store_close(s);
    assert_int_equal(test_db_int(path, "SELECT count(*) FROM schema_version"),
                     store_schema_version_latest());
    if (test_db_pg())
        return;
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    /* the pragmas that durability depends on */
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_missing_file_without_create(void **state)
{
    (void)state;
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    assert_int_equal(store_open(path, NULL, &s, &err), PL_NOTFOUND);
    assert_null(s);
    assert_non_null(strstr(err.message, "peerlink init"));
    if (!test_db_pg())
        assert_int_equal(access(path, F_OK), -1);
}

static void test_refuses_newer_schema(void **state)
{
    (void)state;
    store_close(open_new());
    raw_exec(path, "INSERT INTO schema_version VALUES (999, 0)");
    uint64_t before = test_db_pg() ? 0 : file_hash(path);
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    assert_int_equal(store_open(path, NULL, &s, &err), PL_SCHEMA);
    assert_null(s);
    assert_non_null(strstr(err.message, "schema version 999"));
    assert_non_null(strstr(err.message, "upgrade peerlink"));
    if (!test_db_pg())
        assert_int_equal(file_hash(path), before);
}

static void test_refuses_non_database(void **state)
{
    (void)state;
    if (test_db_pg())
        return; /* about files alone: nothing to check on PostgreSQL */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 200; i++)
        fputs("this is a spreadsheet export, not a database\n", f);
    fclose(f);
    uint64_t before = file_hash(path);
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    assert_int_equal(store_open(path, NULL, &s, &err), PL_SCHEMA);
    assert_non_null(strstr(err.message, "not a SQLite database"));
    assert_int_equal(file_hash(path), before);
}

static void test_refuses_foreign_database(void **state)
{
    (void)state;
    raw_exec(path, "CREATE TABLE patients (id INTEGER PRIMARY KEY, name TEXT)");
    uint64_t before = test_db_pg() ? 0 : file_hash(path);
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    assert_int_equal(store_open(path, NULL, &s, &err), PL_SCHEMA);
    assert_non_null(strstr(err.message, "not a peerlink database"));
    if (!test_db_pg())
        assert_int_equal(file_hash(path), before);
}

static void test_refuses_locked_database(void **state)
{
    (void)state;
    if (test_db_pg())
        return; /* SQLite has one writer per file; PostgreSQL takes many */
    store_close(open_new());
    sqlite3 *holder;
    assert_int_equal(sqlite3_open(path, &holder), SQLITE_OK);
    assert_int_equal(sqlite3_exec(holder, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
    uint64_t before = file_hash(path);
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    store_options o = {.busy_timeout_ms = 50};
    assert_int_equal(store_open(path, &o, &s, &err), PL_BUSY);
    assert_non_null(strstr(err.message, "locked by another process"));
    assert_int_equal(file_hash(path), before);
    sqlite3_exec(holder, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(holder);
    /* once released, it opens */
    assert_int_equal(store_open(path, &o, &s, &err), PL_OK);
    store_close(s);
}

static void test_postgres_unreachable(void **state)
{
    (void)state;
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    /* nothing listens on port 1; the message names the backend but never the URL's password */
    assert_int_equal(
        store_open("postgresql://peerlink:hunter2@127.0.0.1:1/peerlink", NULL, &s, &err), PL_IO);
    assert_null(s);
    assert_non_null(strstr(err.message, "PostgreSQL"));
    assert_null(strstr(err.message, "hunter2"));
}

/* ---- round trips -------------------------------------------------------- */

typedef struct fixture {
    pl_org_unit program, district, community;
    pl_participant participant;
    pl_peer_leader leader;
    pl_contact contact;
    pl_measurement measurement;
    pl_staff_account account;
} fixture;

static pl_status fixture_write(store_tx *tx, void *ctx, pl_err *err)
{
    fixture *f = ctx;
    pl_status st;
    if ((st = store_org_unit_insert(tx, &f->program, err)) != PL_OK)
        return st;
    f->district.parent_id = f->program.id;
    f->district.program_id = f->program.id;
    if ((st = store_org_unit_insert(tx, &f->district, err)) != PL_OK)
        return st;
    f->community.parent_id = f->district.id;
    f->community.program_id = f->program.id;
    if ((st = store_org_unit_insert(tx, &f->community, err)) != PL_OK)
        return st;
    if ((st = store_key_function_insert(tx, f->program.id, 4, "being_there", "Being there", err)) !=
        PL_OK)
        return st;
    f->participant.program_id = f->program.id;
    f->participant.home_unit_id = f->community.id;
    if ((st = store_participant_insert(tx, &f->participant, err)) != PL_OK)
        return st;
    /* the peer leader is the same person as the participant */
    f->leader.person = f->participant.person;
    f->leader.program_id = f->program.id;
    f->leader.home_unit_id = f->community.id;
    if ((st = store_peer_leader_insert(tx, &f->leader, err)) != PL_OK)
        return st;
    f->contact.participant_id = f->participant.id;
    f->contact.peer_leader_id = f->leader.id;
    if ((st = store_contact_insert(tx, &f->contact, err)) != PL_OK)
        return st;
    f->measurement.participant_id = f->participant.id;
    if ((st = measurement_prepare(&f->measurement, 1740900000, err)) != PL_OK)
        return st;
    if ((st = store_measurement_insert(tx, &f->measurement, err)) != PL_OK)
        return st;
    f->account.scope_unit_id = f->community.id;
    f->account.person_id = f->leader.person.id;
    return store_staff_account_insert(tx, &f->account, "$argon2id$v=19$fake", err);
}

static void fixture_init(fixture *f)
{
    memset(f, 0, sizeof *f);
    f->program = (pl_org_unit){.kind = PL_ORG_PROGRAM, .name = "Shanghai", .language = "zh-CN"};
    f->district = (pl_org_unit){.kind = PL_ORG_DISTRICT, .name = "徐汇区", .code = "D01"};
    f->community = (pl_org_unit){
        .kind = PL_ORG_COMMUNITY, .name = "Tianping", .code = "D01-C01", .arm = PL_ARM_CONTROL};
    f->participant = (pl_participant){.person = {.given_name = "美玲",
                                                 .family_name = "王",
                                                 .sex = PL_SEX_FEMALE,
                                                 .birth_date = pl_date_from_ymd(1958, 4, 2),
                                                 .phone = "+86 21 5555 0101",
                                                 .address = "12 Tianping Rd\nApt 3",
                                                 .language = "zh-CN"},
                                      .program_ident = "SH-000001",
                                      .mrn = "MRN-77",
                                      .diagnosis_year = 2011,
                                      .treatment = PL_TREAT_ORAL_AND_INSULIN,
                                      .enrol_date = pl_date_from_ymd(2025, 3, 1),
                                      .status = PL_ENROL_WITHDRAWN,
                                      .status_date = pl_date_from_ymd(2025, 9, 9),
                                      .status_reason = "moved away",
                                      .consent = true,
                                      .consent_date = pl_date_from_ymd(2025, 3, 1),
                                      .risk_tier = PL_RISK_HIGH_NEED};
    f->leader = (pl_peer_leader){.kind = PL_LEADER_PEER_LEADER,
                                 .paid = false,
                                 .languages = "zh-CN,en",
                                 .trained_on = pl_date_from_ymd(2025, 1, 5),
                                 .training_hours = 24,
                                 .active = true};
    f->contact = (pl_contact){.occurred_at = 1740823200,
                              .minutes = 25,
                              .mode = PL_MODE_HOME_VISIT,
                              .key_functions = PL_KF_DAILY_MANAGEMENT | PL_KF_LINKAGE | (1u << 4),
                              .topics = 1u << PL_TOPIC_TAKING_MEDICATION,
                              .proactive = true,
                              .note = "Reviewed insulin timing; 下周再来",
                              .follow_up_date = pl_date_from_ymd(2025, 3, 15)};
    f->measurement = (pl_measurement){.code = "59261-8",
                                      .entered_value = "64.0",
                                      .entered_unit = "mmol/mol",
                                      .effective_at = 1740823200,
                                      .source = PL_SOURCE_LAB,
                                      .wave = 0};
    f->account = (pl_staff_account){
        .username = "wang.peer", .display_name = "Wang Meiling", .role = PL_ROLE_PEER_LEADER};
}

static void test_round_trip_every_entity(void **state)
{
    (void)state;
    store *s = open_new();
    fixture f;
    fixture_init(&f);
    pl_err err;
    pl_err_clear(&err);
    if (store_write(s, fixture_write, &f, &err) != PL_OK)
        fail_msg("%s", err.message);

    pl_arena a;
    pl_arena_init(&a, 0);
    pl_org_unit u;
    assert_int_equal(store_org_unit_get(s, f.community.id, &a, &u, &err), PL_OK);
    assert_string_equal(u.name, "Tianping");
    assert_string_equal(u.code, "D01-C01");
    assert_int_equal(u.kind, PL_ORG_COMMUNITY);
    assert_int_equal(u.arm, PL_ARM_CONTROL);
    assert_int_equal(u.parent_id, f.district.id);
    assert_int_equal(u.program_id, f.program.id);
    assert_int_equal(store_org_unit_get(s, f.program.id, &a, &u, &err), PL_OK);
    assert_int_equal(u.program_id, f.program.id); /* a program is its own program */
    assert_int_equal(u.parent_id, 0);

    pl_participant p;
    assert_int_equal(store_participant_get(s, f.participant.id, &a, &p, &err), PL_OK);
    assert_string_equal(p.person.given_name, "美玲");
    assert_string_equal(p.person.family_name, "王");
    assert_int_equal(p.person.sex, PL_SEX_FEMALE);
    assert_int_equal(p.person.birth_date, pl_date_from_ymd(1958, 4, 2));
    assert_string_equal(p.person.address, "12 Tianping Rd\nApt 3");
    assert_string_equal(p.program_ident, "SH-000001");
    assert_string_equal(p.mrn, "MRN-77");
    assert_int_equal(p.diagnosis_year, 2011);
    assert_int_equal(p.treatment, PL_TREAT_ORAL_AND_INSULIN);
    assert_int_equal(p.status, PL_ENROL_WITHDRAWN);
    assert_string_equal(p.status_reason, "moved away");
    assert_int_equal(p.status_date, pl_date_from_ymd(2025, 9, 9));
    assert_true(p.consent);
    assert_int_equal(p.risk_tier, PL_RISK_HIGH_NEED);
    assert_int_equal(p.home_unit_id, f.community.id);
    assert_int_equal(p.peer_leader_id, 0);

    pl_peer_leader l;
    assert_int_equal(store_peer_leader_get(s, f.leader.id, &a, &l, &err), PL_OK);
    assert_int_equal(l.person.id, p.person.id); /* one person, two roles */
    assert_string_equal(l.languages, "zh-CN,en");
    assert_int_equal(l.training_hours, 24);
    assert_false(l.paid);
    assert_true(l.active);

    pl_contact c;
    assert_int_equal(store_contact_get(s, f.contact.id, &a, &c, &err), PL_OK);
    assert_int_equal(c.program_id, f.program.id);
    assert_int_equal(c.occurred_at, 1740823200);
    assert_int_equal(c.minutes, 25);
    assert_int_equal(c.mode, PL_MODE_HOME_VISIT);
    assert_int_equal(c.key_functions, PL_KF_DAILY_MANAGEMENT | PL_KF_LINKAGE | (1u << 4));
    assert_int_equal(c.topics, 1u << PL_TOPIC_TAKING_MEDICATION);
    assert_true(c.proactive);
    assert_string_equal(c.note, "Reviewed insulin timing; 下周再来");
    assert_int_equal(c.follow_up_date, pl_date_from_ymd(2025, 3, 15));

    pl_measurement m;
    assert_int_equal(store_measurement_get(s, f.measurement.id, &a, &m, &err), PL_OK);
    assert_string_equal(m.code, "59261-8");
    assert_string_equal(m.analyte, "hba1c");
    assert_string_equal(m.unit, "%");
    assert_string_equal(m.entered_value, "64.0"); /* as written, not reformatted */
    assert_string_equal(m.entered_unit, "mmol/mol");
    assert_true(m.value > 8.0059 && m.value < 8.0061); /* 64/10.929 + 2.15 = 8.00601 */
    assert_int_equal(m.wave, 0);
    assert_int_equal(m.source, PL_SOURCE_LAB);

    pl_staff_account acct;
    char *hash = NULL;
    assert_int_equal(store_staff_account_get_by_username(s, "wang.peer", &a, &acct, &hash, &err),
                     PL_OK);
    assert_string_equal(hash, "$argon2id$v=19$fake");
    assert_int_equal(acct.role, PL_ROLE_PEER_LEADER);
    assert_int_equal(acct.scope_unit_id, f.community.id);
    assert_int_equal(acct.person_id, f.leader.person.id);
    assert_int_equal(store_staff_account_get_by_username(s, "nobody", &a, &acct, &hash, &err),
                     PL_NOTFOUND);

    uint32_t mask = 0;
    assert_int_equal(store_program_kf_mask(s, f.program.id, &mask, &err), PL_OK);
    assert_int_equal(mask, 1u << 4);

    store_counts n;
    assert_int_equal(store_counts_get(s, &n, &err), PL_OK);
    assert_int_equal(n.programs, 1);
    assert_int_equal(n.org_units, 3);
    assert_int_equal(n.participants, 1);
    assert_int_equal(n.peer_leaders, 1);
    assert_int_equal(n.contacts, 1);
    assert_int_equal(n.measurements, 1);
    assert_int_equal(n.staff_accounts, 1);

    assert_int_equal(store_participant_get(s, 9999, &a, &p, &err), PL_NOTFOUND);
    pl_arena_free(&a);
    store_close(s);
}

/* ---- write semantics ---------------------------------------------------- */

typedef struct unit_job {
    pl_id program_id;
    const char *code;
    int fail_after_insert;
} unit_job;

static pl_status unit_write(store_tx *tx, void *ctx, pl_err *err)
{
    unit_job *j = ctx;
    pl_org_unit u = {.kind = PL_ORG_DISTRICT,
                     .name = "d",
                     .code = j->code,
                     .parent_id = j->program_id,
                     .program_id = j->program_id};
    pl_status st = store_org_unit_insert(tx, &u, err);
    if (st == PL_OK && j->fail_after_insert)
        return pl_err_set(err, PL_INVALID, "this job changed its mind");
    return st;
}

static pl_status program_write(store_tx *tx, void *ctx, pl_err *err)
{
    pl_org_unit *u = ctx;
    return store_org_unit_insert(tx, u, err);
}

static int64_t count_units(store *s)
{
    pl_err err;
    pl_err_clear(&err);
    store_counts n;
    assert_int_equal(store_counts_get(s, &n, &err), PL_OK);
    return n.org_units;
}

static void test_failed_write_changes_nothing(void **state)
{
    (void)state;
    store *s = open_new();
    pl_org_unit prog = {.kind = PL_ORG_PROGRAM, .name = "P", .language = "en"};
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(store_write(s, program_write, &prog, &err), PL_OK);
    unit_job bad = {prog.id, "X1", 1};
    assert_int_equal(store_write(s, unit_write, &bad, &err), PL_INVALID);
    assert_int_equal(count_units(s), 1);
    unit_job ok = {prog.id, "X1", 0};
    pl_err_clear(&err);
    assert_int_equal(store_write(s, unit_write, &ok, &err), PL_OK);
    unit_job dup = {prog.id, "X1", 0};
    pl_err_clear(&err);
    assert_int_equal(store_write(s, unit_write, &dup, &err), PL_CONFLICT);
    assert_non_null(strstr(err.message, "already exists"));
    assert_int_equal(count_units(s), 2);
    store_close(s);
}

typedef struct thread_arg {
    store *s;
    pl_id program_id;
    int index;
    pl_status result;
} thread_arg;

static void *writer_thread(void *p)
{
    thread_arg *t = p;
    char code[16];
    snprintf(code, sizeof code, "T%03d", t->index);
    unit_job j = {t->program_id, code, t->index % 3 == 0};
    pl_err err;
    pl_err_clear(&err);
    t->result = store_write(t->s, unit_write, &j, &err);
    return NULL;
}

static void test_group_commit_isolates_failures(void **state)
{
    (void)state;
    store *s = open_new();
    pl_org_unit prog = {.kind = PL_ORG_PROGRAM, .name = "P", .language = "en"};
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(store_write(s, program_write, &prog, &err), PL_OK);
    enum { N = 48 };
    pthread_t th[N];
    thread_arg args[N];
    for (int i = 0; i < N; i++) {
        args[i] = (thread_arg){s, prog.id, i, PL_IO};
        assert_int_equal(pthread_create(&th[i], NULL, writer_thread, &args[i]), 0);
    }
    int ok = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].result, i % 3 == 0 ? PL_INVALID : PL_OK);
        ok += args[i].result == PL_OK;
    }
    assert_int_equal(ok, 32);
    assert_int_equal(count_units(s), 1 + 32);
    store_close(s);
    /* every acknowledged write is in the database, seen by an independent connection */
    assert_int_equal(test_db_int(path, "SELECT count(*) FROM org_unit WHERE code LIKE 'T%'"), 32);
}

static pl_status orphan_contact_write(store_tx *tx, void *ctx, pl_err *err)
{
    pl_contact *c = ctx;
    return store_contact_insert(tx, c, err);
}

static void test_contact_needs_participant(void **state)
{
    (void)state;
    store *s = open_new();
    pl_contact c = {.participant_id = 42,
                    .peer_leader_id = 7,
                    .occurred_at = 1740823200,
                    .minutes = 10,
                    .mode = PL_MODE_PHONE,
                    .key_functions = PL_KF_ONGOING,
                    .follow_up_date = PL_DATE_NONE};
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(store_write(s, orphan_contact_write, &c, &err), PL_INVALID);
    assert_non_null(strstr(err.message, "does not exist"));
    store_close(s);
}

/* ---- migration 2 -------------------------------------------------------- */

/* A database exactly as a version-1 peerlink left it, with data in it. */
static void make_v1_database(const char *p)
{
    raw_exec(p, test_db_pg() ? store_pg_migrations[0] : store_sqlite_migrations[0]);
    const char *data =
        "INSERT INTO schema_version (version, applied_at) VALUES (1, 1700000000);\n"
        "INSERT INTO org_unit (id, parent_id, program_id, kind, name, code, updated_at) VALUES\n"
        "  (1, NULL, 1, 'program', 'Old program', NULL, 0),\n"
        "  (2, 1, 1, 'district', 'North', 'D1', 0),\n"
        "  (3, 2, 1, 'community', 'Alder', 'D1-C1', 0),\n"
        "  (4, 2, 1, 'community', 'Birch', 'D1-C2', 0);\n"
        "INSERT INTO person (id, program_id, given_name, family_name, sex) VALUES\n"
        "  (1, 1, 'Rosa', 'Diaz', 'female');\n"
        "INSERT INTO participant (id, person_id, program_id, treatment, enrol_date, status,\n"
        "  consent, home_unit_id, risk_tier, updated_at) VALUES\n"
        "  (1, 1, 1, 'oral', 20000, 'enrolled', 1, 3, 'standard', 0);\n"
        "INSERT INTO staff_account (id, username, password_hash, role, created_at) VALUES\n"
        "  (1, 'admin', '$argon2id$old', 'admin', 0);\n";
    raw_exec(p, data);
    if (test_db_pg()) /* ids given explicitly leave the identity sequences behind */
        raw_exec(p, "SELECT setval(pg_get_serial_sequence(t, 'id'), 10) FROM unnest(ARRAY["
                    "'org_unit', 'person', 'participant', 'staff_account']) t");
}

typedef struct child_job {
    pl_id parent_id, program_id;
    pl_org_kind kind;
    const char *code;
    pl_id id; /* out */
} child_job;

static pl_status child_write(store_tx *tx, void *ctx, pl_err *err)
{
    child_job *j = ctx;
    pl_org_unit u = {.kind = j->kind,
                     .name = "child",
                     .code = j->code,
                     .parent_id = j->parent_id,
                     .program_id = j->program_id};
    pl_status st = store_org_unit_insert(tx, &u, err);
    j->id = u.id;
    return st;
}

static void test_migrates_version_1_database(void **state)
{
    (void)state;
    make_v1_database(path);
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    if (store_open(path, NULL, &s, &err) != PL_OK)
        fail_msg("%s", err.message);
    assert_int_equal(store_schema_version(s), store_schema_version_latest());

    /* the closure was backfilled from the parent links */
    assert_int_equal(store_unit_in_subtree(s, 1, 3, &err), PL_OK);
    assert_int_equal(store_unit_in_subtree(s, 1, 4, &err), PL_OK);
    assert_int_equal(store_unit_in_subtree(s, 2, 3, &err), PL_OK);
    assert_int_equal(store_unit_in_subtree(s, 3, 3, &err), PL_OK);
    assert_int_equal(store_unit_in_subtree(s, 3, 1, &err), PL_NOTFOUND);
    assert_int_equal(store_unit_in_subtree(s, 3, 4, &err), PL_NOTFOUND);
    assert_int_equal(store_unit_in_subtree(s, 4, 3, &err), PL_NOTFOUND);
    store_scope district = {2, 0}, other_community = {4, 0};
    assert_int_equal(store_participant_visible(s, &district, 1, &err), PL_OK);
    assert_int_equal(store_participant_visible(s, &other_community, 1, &err), PL_NOTFOUND);

    /* old rows read back; old accounts start at version 1 */
    pl_arena a;
    pl_arena_init(&a, 0);
    pl_participant p;
    assert_int_equal(store_participant_get(s, 1, &a, &p, &err), PL_OK);
    assert_string_equal(p.person.given_name, "Rosa");
    assert_int_equal(p.home_unit_id, 3);
    pl_staff_account acct;
    assert_int_equal(store_staff_account_get(s, 1, &a, &acct, &err), PL_OK);
    assert_string_equal(acct.username, "admin");
    assert_int_equal(acct.version, 1);

    /* a unit added after the migration extends the backfilled closure */
    child_job j = {.parent_id = 3, .program_id = 1, .kind = PL_ORG_RESIDENTIAL_COMMITTEE};
    assert_int_equal(store_write(s, child_write, &j, &err), PL_OK);
    assert_int_equal(store_unit_in_subtree(s, 1, j.id, &err), PL_OK);
    assert_int_equal(store_unit_in_subtree(s, 2, j.id, &err), PL_OK);
    assert_int_equal(store_unit_in_subtree(s, 4, j.id, &err), PL_NOTFOUND);

    /* the installation secret: 32 bytes, not blank, stable, per database */
    unsigned char secret[32], again[32], other[32], zero[32] = {0};
    assert_int_equal(store_install_secret(s, secret, &err), PL_OK);
    assert_memory_not_equal(secret, zero, 32);
    store_close(s);
    assert_int_equal(store_open(path, NULL, &s, &err), PL_OK);
    assert_int_equal(store_install_secret(s, again, &err), PL_OK);
    assert_memory_equal(secret, again, 32);
    assert_int_equal(store_schema_version(s), store_schema_version_latest());
    store_close(s);
    store_options o = {.create = true};
    assert_int_equal(store_open(path2, &o, &s, &err), PL_OK);
    assert_int_equal(store_install_secret(s, other, &err), PL_OK);
    assert_memory_not_equal(secret, other, 32);
    store_close(s);
    pl_arena_free(&a);
}

/* ---- org-unit closure --------------------------------------------------- */

typedef struct tree {
    pl_org_unit program, d1, d2, c1, c2, rc;
    pl_id late_id;
    pl_status late_in_program, late_in_d2, rc_in_d1, rc_in_program, program_in_rc;
} tree;

static pl_status tree_write(store_tx *tx, void *ctx, pl_err *err)
{
    tree *t = ctx;
    pl_status st;
    pl_org_unit *parent_of[] = {&t->program, &t->program, &t->d1, &t->d2, &t->c1};
    pl_org_unit *unit[] = {&t->d1, &t->d2, &t->c1, &t->c2, &t->rc};
    if ((st = store_org_unit_insert(tx, &t->program, err)) != PL_OK)
        return st;
    for (int i = 0; i < 5; i++) {
        unit[i]->parent_id = parent_of[i]->id;
        unit[i]->program_id = t->program.id;
        if ((st = store_org_unit_insert(tx, unit[i], err)) != PL_OK)
            return st;
    }
    /* the transaction sees its own inserts */
    pl_err ignore;
    pl_err_clear(&ignore);
    t->rc_in_d1 = store_tx_unit_in_subtree(tx, t->d1.id, t->rc.id, &ignore);
    t->rc_in_program = store_tx_unit_in_subtree(tx, t->program.id, t->rc.id, &ignore);
    t->program_in_rc = store_tx_unit_in_subtree(tx, t->rc.id, t->program.id, &ignore);
    pl_org_unit late = {.kind = PL_ORG_CHC,
                        .name = "late",
                        .code = "LATE",
                        .parent_id = t->c2.id,
                        .program_id = t->program.id};
    if ((st = store_org_unit_insert(tx, &late, err)) != PL_OK)
        return st;
    t->late_id = late.id;
    t->late_in_program = store_tx_unit_in_subtree(tx, t->program.id, late.id, &ignore);
    t->late_in_d2 = store_tx_unit_in_subtree(tx, t->d2.id, late.id, &ignore);
    return PL_OK;
}

static void tree_init(tree *t)
{
    memset(t, 0, sizeof *t);
    t->program = (pl_org_unit){.kind = PL_ORG_PROGRAM, .name = "P", .language = "en"};
    t->d1 = (pl_org_unit){.kind = PL_ORG_DISTRICT, .name = "D1", .code = "D1"};
    t->d2 = (pl_org_unit){.kind = PL_ORG_DISTRICT, .name = "D2", .code = "D2"};
    t->c1 = (pl_org_unit){.kind = PL_ORG_COMMUNITY, .name = "C1", .code = "D1-C1"};
    t->c2 = (pl_org_unit){.kind = PL_ORG_COMMUNITY, .name = "C2", .code = "D2-C1"};
    t->rc = (pl_org_unit){.kind = PL_ORG_RESIDENTIAL_COMMITTEE, .name = "RC", .code = "D1-C1-R1"};
    t->late_in_program = t->late_in_d2 = t->rc_in_d1 = t->rc_in_program = t->program_in_rc = PL_IO;
}

static void test_org_unit_closure(void **state)
{
    (void)state;
    store *s = open_new();
    tree t;
    tree_init(&t);
    pl_err err;
    pl_err_clear(&err);
    if (store_write(s, tree_write, &t, &err) != PL_OK)
        fail_msg("%s", err.message);
    assert_int_equal(t.rc_in_d1, PL_OK);
    assert_int_equal(t.rc_in_program, PL_OK);
    assert_int_equal(t.program_in_rc, PL_NOTFOUND);
    assert_int_equal(t.late_in_program, PL_OK);
    assert_int_equal(t.late_in_d2, PL_OK);

    /* depth 3: program > d1 > c1 > rc */
    assert_int_equal(store_unit_in_subtree(s, t.program.id, t.rc.id, &err), PL_OK);
    assert_int_equal(store_unit_in_subtree(s, t.d1.id, t.rc.id, &err), PL_OK);
    assert_int_equal(store_unit_in_subtree(s, t.c1.id, t.rc.id, &err), PL_OK);
    assert_int_equal(store_unit_in_subtree(s, t.rc.id, t.rc.id, &err), PL_OK);
    assert_int_equal(store_unit_in_subtree(s, 0, t.rc.id, &err), PL_OK);
    assert_int_equal(store_unit_in_subtree(s, t.rc.id, t.c1.id, &err), PL_NOTFOUND);
    assert_int_equal(store_unit_in_subtree(s, t.rc.id, t.program.id, &err), PL_NOTFOUND);
    assert_int_equal(store_unit_in_subtree(s, t.d2.id, t.rc.id, &err), PL_NOTFOUND);
    assert_int_equal(store_unit_in_subtree(s, t.c2.id, t.rc.id, &err), PL_NOTFOUND);
    assert_int_equal(store_unit_in_subtree(s, t.d1.id, t.late_id, &err), PL_NOTFOUND);
    assert_int_equal(store_unit_in_subtree(s, t.d2.id, t.late_id, &err), PL_OK);
    assert_int_equal(store_unit_in_subtree(s, t.program.id, 9999, &err), PL_NOTFOUND);

    /* visible: the subtree and the path up to the root, never a sibling branch */
    assert_int_equal(store_unit_visible(s, t.c1.id, t.c1.id, &err), PL_OK);
    assert_int_equal(store_unit_visible(s, t.c1.id, t.rc.id, &err), PL_OK);
    assert_int_equal(store_unit_visible(s, t.c1.id, t.d1.id, &err), PL_OK);
    assert_int_equal(store_unit_visible(s, t.c1.id, t.program.id, &err), PL_OK);
    assert_int_equal(store_unit_visible(s, t.rc.id, t.program.id, &err), PL_OK);
    assert_int_equal(store_unit_visible(s, t.c1.id, t.d2.id, &err), PL_NOTFOUND);
    assert_int_equal(store_unit_visible(s, t.c1.id, t.c2.id, &err), PL_NOTFOUND);
    assert_int_equal(store_unit_visible(s, t.d1.id, t.d2.id, &err), PL_NOTFOUND);
    assert_int_equal(store_unit_visible(s, t.d2.id, t.rc.id, &err), PL_NOTFOUND);
    assert_int_equal(store_unit_visible(s, t.rc.id, t.c2.id, &err), PL_NOTFOUND);
    assert_int_equal(store_unit_visible(s, 0, t.c2.id, &err), PL_OK);
    store_close(s);
}

/* ---- a populated program, for scope and lists --------------------------- */

enum { WP = 12 };
#define W_T0 ((pl_time)1740000000)

/*
 * program > d1 > {c1, c2}; program > d2 > c3. Participant i lives in
 * c1/c2/c3 by i % 3, is led by l1 (i % 4 == 0), l2 (i % 4 == 1) or nobody,
 * is withdrawn (i % 5 == 0), completed (i % 5 == 1) or enrolled, and high
 * need when i is odd. Contact i is participant i's, delivered by l2 when i
 * is odd else l1, i hours after W_T0. Each participant has an HbA1c at wave
 * 0 (4548-4); even ones one at wave 6 (59261-8); every third a systolic
 * pressure without a wave.
 */
typedef struct world {
    pl_org_unit program, d1, d2, c1, c2, c3;
    pl_peer_leader l1, l2;
    pl_participant p[WP];
    pl_contact c[WP];
    pl_measurement m[3 * WP];
    int m_of[3 * WP]; /* participant index of each measurement */
    int nm;
} world;

static pl_id world_home(const world *w, int i)
{
    const pl_id homes[3] = {w->c1.id, w->c2.id, w->c3.id};
    return homes[i % 3];
}

static pl_id world_leader(const world *w, int i)
{
    return i % 4 == 0 ? w->l1.id : i % 4 == 1 ? w->l2.id : 0;
}

/* The model of the tree: is unit x in the subtree of `unit` (0: everywhere)? */
static bool world_contains(const world *w, pl_id unit, pl_id x)
{
    if (unit == 0 || unit == w->program.id || unit == x)
        return true;
    if (unit == w->d1.id)
        return x == w->c1.id || x == w->c2.id;
    if (unit == w->d2.id)
        return x == w->c3.id;
    return false;
}

static bool world_in_scope(const world *w, const store_scope *sc, int i)
{
    if (sc->peer_leader_id < 0)
        return false;
    if (sc->peer_leader_id > 0 && world_leader(w, i) != sc->peer_leader_id)
        return false;
    return world_contains(w, sc->unit_id, world_home(w, i));
}

static pl_status world_write(store_tx *tx, void *ctx, pl_err *err)
{
    world *w = ctx;
    pl_status st;
    if ((st = store_org_unit_insert(tx, &w->program, err)) != PL_OK)
        return st;
    pl_org_unit *parent_of[] = {&w->program, &w->program, &w->d1, &w->d1, &w->d2};
    pl_org_unit *unit[] = {&w->d1, &w->d2, &w->c1, &w->c2, &w->c3};
    for (int i = 0; i < 5; i++) {
        unit[i]->parent_id = parent_of[i]->id;
        unit[i]->program_id = w->program.id;
        if ((st = store_org_unit_insert(tx, unit[i], err)) != PL_OK)
            return st;
    }
    pl_peer_leader *leaders[] = {&w->l1, &w->l2};
    pl_id leader_home[] = {w->c1.id, w->c3.id};
    for (int i = 0; i < 2; i++) {
        leaders[i]->program_id = w->program.id;
        leaders[i]->home_unit_id = leader_home[i];
        if ((st = store_peer_leader_insert(tx, leaders[i], err)) != PL_OK)
            return st;
    }
    for (int i = 0; i < WP; i++) {
        pl_participant *p = &w->p[i];
        p->program_id = w->program.id;
        p->home_unit_id = world_home(w, i);
        p->peer_leader_id = world_leader(w, i);
        if ((st = store_participant_insert(tx, p, err)) != PL_OK)
            return st;
    }
    for (int i = 0; i < WP; i++) {
        w->c[i].participant_id = w->p[i].id;
        w->c[i].peer_leader_id = i % 2 ? w->l2.id : w->l1.id;
        if ((st = store_contact_insert(tx, &w->c[i], err)) != PL_OK)
            return st;
    }
    for (int k = 0; k < w->nm; k++) {
        w->m[k].participant_id = w->p[w->m_of[k]].id;
        if ((st = measurement_prepare(&w->m[k], W_T0 + 86400 * 400, err)) != PL_OK)
            return st;
        if ((st = store_measurement_insert(tx, &w->m[k], err)) != PL_OK)
            return st;
    }
    return PL_OK;
}

static const char *const world_names[WP] = {"Ana", "Bea",  "Cruz", "Dara", "Eli",  "Fen",
                                            "Gus", "Hana", "Ines", "Joss", "Kemi", "Lior"};

static void world_init(world *w)
{
    memset(w, 0, sizeof *w);
    w->program = (pl_org_unit){.kind = PL_ORG_PROGRAM, .name = "World", .language = "en"};
    w->d1 = (pl_org_unit){.kind = PL_ORG_DISTRICT, .name = "D1", .code = "D1"};
    w->d2 = (pl_org_unit){.kind = PL_ORG_DISTRICT, .name = "D2", .code = "D2"};
    w->c1 = (pl_org_unit){.kind = PL_ORG_COMMUNITY, .name = "C1", .code = "D1-C1"};
    w->c2 = (pl_org_unit){.kind = PL_ORG_COMMUNITY, .name = "C2", .code = "D1-C2"};
    w->c3 = (pl_org_unit){.kind = PL_ORG_COMMUNITY, .name = "C3", .code = "D2-C1"};
    pl_peer_leader *leaders[] = {&w->l1, &w->l2};
    const char *leader_names[] = {"Leader One", "Leader Two"};
    for (int i = 0; i < 2; i++)
        *leaders[i] = (pl_peer_leader){.person = {.given_name = leader_names[i],
                                                  .sex = PL_SEX_OTHER,
                                                  .birth_date = PL_DATE_NONE},
                                       .kind = PL_LEADER_PROMOTOR,
                                       .paid = i == 1,
                                       .languages = "es,en",
                                       .trained_on = PL_DATE_NONE,
                                       .training_hours = 10 + i,
                                       .active = true};
    for (int i = 0; i < WP; i++) {
        w->p[i] = (pl_participant){.person = {.given_name = world_names[i],
                                              .sex = PL_SEX_FEMALE,
                                              .birth_date = pl_date_from_ymd(1950 + i, 1, 1)},
                                   .treatment = PL_TREAT_ORAL,
                                   .enrol_date = pl_date_from_ymd(2025, 1, 1 + i),
                                   .status = i % 5 == 0   ? PL_ENROL_WITHDRAWN
                                             : i % 5 == 1 ? PL_ENROL_COMPLETED
                                                          : PL_ENROL_ENROLLED,
                                   .status_date = PL_DATE_NONE,
                                   .consent = true,
                                   .consent_date = PL_DATE_NONE,
                                   .risk_tier = i % 2 ? PL_RISK_HIGH_NEED : PL_RISK_STANDARD};
        w->c[i] = (pl_contact){.occurred_at = W_T0 + 3600 * i,
                               .minutes = 10 + i,
                               .mode = PL_MODE_PHONE,
                               .key_functions = PL_KF_ONGOING,
                               .follow_up_date = PL_DATE_NONE};
        w->m_of[w->nm] = i;
        w->m[w->nm++] = (pl_measurement){.code = "4548-4",
                                         .entered_value = "7.5",
                                         .effective_at = W_T0,
                                         .source = PL_SOURCE_LAB,
                                         .wave = 0};
        if (i % 2 == 0) {
            w->m_of[w->nm] = i;
            w->m[w->nm++] = (pl_measurement){.code = "59261-8",
                                             .entered_value = "58",
                                             .effective_at = W_T0 + 86400 * 180,
                                             .source = PL_SOURCE_LAB,
                                             .wave = 6};
        }
        if (i % 3 == 0) {
            w->m_of[w->nm] = i;
            w->m[w->nm++] = (pl_measurement){.code = "8480-6",
                                             .entered_value = "130",
                                             .effective_at = W_T0 + 60,
                                             .source = PL_SOURCE_POINT_OF_CARE,
                                             .wave = -1};
        }
    }
}

static store *open_world(world *w)
{
    store *s = open_new();
    world_init(w);
    pl_err err;
    pl_err_clear(&err);
    if (store_write(s, world_write, w, &err) != PL_OK)
        fail_msg("%s", err.message);
    return s;
}

/* Scopes worth trying in a world: everything, a community, a district, the program, a leader,
 * both, and nobody. */
enum { W_SCOPES = 8 };
static void world_scopes(const world *w, store_scope sc[W_SCOPES])
{
    sc[0] = (store_scope){0, 0};
    sc[1] = (store_scope){w->c1.id, 0};
    sc[2] = (store_scope){w->d1.id, 0};
    sc[3] = (store_scope){w->program.id, 0};
    sc[4] = (store_scope){0, w->l1.id};
    sc[5] = (store_scope){w->d1.id, w->l1.id};
    sc[6] = (store_scope){w->c3.id, w->l2.id};
    sc[7] = (store_scope){0, -1};
}

/* ---- key-paged lists: walking and checking ------------------------------ */

/* Lists one page of some list into ids[]. */
typedef pl_status (*fetch_fn)(store *s, const void *filter, store_page pg, pl_arena *a, pl_id *ids,
                              int *n, pl_err *err);

/* Walks every page of a list, checking ids ascend without repeats; returns the count. */
static int walk(store *s, fetch_fn fetch, const void *filter, int limit, pl_id *out, int max)
{
    pl_arena a;
    pl_arena_init(&a, 0);
    pl_err err;
    pl_err_clear(&err);
    store_page pg = {.after = 0, .limit = limit};
    pl_id page[200];
    int total = 0;
    for (int pages = 0;; pages++) {
        assert_true(pages <= 1000);
        int n = -1;
        if (fetch(s, filter, pg, &a, page, &n, &err) != PL_OK)
            fail_msg("list: %s", err.message);
        assert_true(n >= 0 && n <= limit);
        for (int i = 0; i < n; i++) {
            if (total > 0 && page[i] <= out[total - 1])
                fail_msg("list: id %lld after %lld", (long long)page[i], (long long)out[total - 1]);
            if (total == max)
                fail_msg("list: more than %d rows", max);
            out[total++] = page[i];
        }
        if (n < limit)
            break;
        pg.after = page[n - 1];
        pl_arena_reset(&a);
    }
    pl_arena_free(&a);
    return total;
}

static void assert_ids(const char *what, int combo, const pl_id *got, int ngot, const pl_id *want,
                       int nwant)
{
    if (ngot != nwant)
        fail_msg("%s #%d: %d rows, expected %d", what, combo, ngot, nwant);
    for (int i = 0; i < ngot; i++)
        if (got[i] != want[i])
            fail_msg("%s #%d: row %d is id %lld, expected %lld", what, combo, i, (long long)got[i],
                     (long long)want[i]);
}

static pl_status fetch_participants(store *s, const void *f, store_page pg, pl_arena *a, pl_id *ids,
                                    int *n, pl_err *err)
{
    pl_participant *items = NULL;
    pl_status st = store_participant_list(s, f, pg, a, &items, n, err);
    for (int i = 0; st == PL_OK && i < *n; i++)
        ids[i] = items[i].id;
    return st;
}

static pl_status fetch_contacts(store *s, const void *f, store_page pg, pl_arena *a, pl_id *ids,
                                int *n, pl_err *err)
{
    pl_contact *items = NULL;
    pl_status st = store_contact_list(s, f, pg, a, &items, n, err);
    for (int i = 0; st == PL_OK && i < *n; i++)
        ids[i] = items[i].id;
    return st;
}

static pl_status fetch_measurements(store *s, const void *f, store_page pg, pl_arena *a, pl_id *ids,
                                    int *n, pl_err *err)
{
    pl_measurement *items = NULL;
    pl_status st = store_measurement_list(s, f, pg, a, &items, n, err);
    for (int i = 0; st == PL_OK && i < *n; i++)
        ids[i] = items[i].id;
    return st;
}

typedef struct org_filter {
    pl_id scope;
    int kind;
    pl_id parent;
} org_filter;

static pl_status fetch_org_units(store *s, const void *f, store_page pg, pl_arena *a, pl_id *ids,
                                 int *n, pl_err *err)
{
    const org_filter *o = f;
    pl_org_unit *items = NULL;
    pl_status st = store_org_unit_list(s, o->scope, o->kind, o->parent, pg, a, &items, n, err);
    for (int i = 0; st == PL_OK && i < *n; i++)
        ids[i] = items[i].id;
    return st;
}

static pl_status fetch_leaders(store *s, const void *f, store_page pg, pl_arena *a, pl_id *ids,
                               int *n, pl_err *err)
{
    pl_peer_leader *items = NULL;
    pl_status st = store_peer_leader_list(s, *(const pl_id *)f, pg, a, &items, n, err);
    for (int i = 0; st == PL_OK && i < *n; i++)
        ids[i] = items[i].id;
    return st;
}

static pl_status fetch_staff(store *s, const void *f, store_page pg, pl_arena *a, pl_id *ids,
                             int *n, pl_err *err)
{
    (void)f;
    pl_staff_account *items = NULL;
    pl_status st = store_staff_account_list(s, pg, a, &items, n, err);
    for (int i = 0; st == PL_OK && i < *n; i++)
        ids[i] = items[i].id;
    return st;
}

static pl_status fetch_audit(store *s, const void *f, store_page pg, pl_arena *a, pl_id *ids,
                             int *n, pl_err *err)
{
    store_audit_event *items = NULL;
    pl_status st = store_audit_list(s, f, pg, a, &items, n, err);
    for (int i = 0; st == PL_OK && i < *n; i++)
        ids[i] = items[i].id;
    return st;
}

/* ---- scope -------------------------------------------------------------- */

static void test_participant_visible_scope(void **state)
{
    (void)state;
    world w;
    store *s = open_world(&w);
    pl_err err;
    pl_err_clear(&err);
    store_scope sc[W_SCOPES];
    world_scopes(&w, sc);
    for (int k = 0; k < W_SCOPES; k++) {
        int seen = 0;
        for (int i = 0; i < WP; i++) {
            pl_status want = world_in_scope(&w, &sc[k], i) ? PL_OK : PL_NOTFOUND;
            pl_status got = store_participant_visible(s, &sc[k], w.p[i].id, &err);
            if (got != want)
                fail_msg("scope #%d participant %d: %s, expected %s", k, i, pl_status_name(got),
                         pl_status_name(want));
            seen += got == PL_OK;
        }
        /* the scopes are chosen so that each but "nobody" shows some and hides others */
        if (k == 0 || k == 3)
            assert_int_equal(seen, WP);
        else if (k == 7)
            assert_int_equal(seen, 0);
        else
            assert_true(seen > 0 && seen < WP);
        assert_int_equal(store_participant_visible(s, &sc[k], 9999, &err), PL_NOTFOUND);
    }
    /* by hand: participant 4 lives in c2 (d1) and is led by l1 */
    store_scope c1 = {w.c1.id, 0}, d1 = {w.d1.id, 0}, d2 = {w.d2.id, 0};
    store_scope l1 = {0, w.l1.id}, l2 = {0, w.l2.id}, nobody = {0, -1}, all = {0, 0};
    assert_int_equal(store_participant_visible(s, &c1, w.p[4].id, &err), PL_NOTFOUND);
    assert_int_equal(store_participant_visible(s, &d1, w.p[4].id, &err), PL_OK);
    assert_int_equal(store_participant_visible(s, &d2, w.p[4].id, &err), PL_NOTFOUND);
    assert_int_equal(store_participant_visible(s, &l1, w.p[4].id, &err), PL_OK);
    assert_int_equal(store_participant_visible(s, &l2, w.p[4].id, &err), PL_NOTFOUND);
    assert_int_equal(store_participant_visible(s, &nobody, w.p[4].id, &err), PL_NOTFOUND);
    assert_int_equal(store_participant_visible(s, &all, w.p[4].id, &err), PL_OK);
    /* participant 2 has no peer leader: no leader's scope reaches it */
    assert_int_equal(store_participant_visible(s, &l1, w.p[2].id, &err), PL_NOTFOUND);
    assert_int_equal(store_participant_visible(s, &l2, w.p[2].id, &err), PL_NOTFOUND);
    store_close(s);
}

/* ---- lists -------------------------------------------------------------- */

static void test_participant_list_filters(void **state)
{
    (void)state;
    world w;
    store *s = open_world(&w);
    pl_err err;
    pl_err_clear(&err);
    store_scope sc[W_SCOPES];
    world_scopes(&w, sc);
    const int statuses[] = {-1, PL_ENROL_ENROLLED, PL_ENROL_WITHDRAWN};
    const int tiers[] = {-1, PL_RISK_HIGH_NEED};
    const pl_id homes[] = {0, w.d1.id, w.c3.id};
    const pl_id leaders[] = {0, w.l2.id};
    int combo = 0, partial = 0;
    for (int a = 0; a < W_SCOPES; a++)
        for (int b = 0; b < 3; b++)
            for (int c = 0; c < 2; c++)
                for (int d = 0; d < 3; d++)
                    for (int e = 0; e < 2; e++, combo++) {
                        store_participant_filter f = {.scope = sc[a],
                                                      .status = statuses[b],
                                                      .risk_tier = tiers[c],
                                                      .home_unit_id = homes[d],
                                                      .peer_leader_id = leaders[e]};
                        pl_id want[WP], got[WP];
                        int nwant = 0;
                        for (int i = 0; i < WP; i++)
                            if (world_in_scope(&w, &f.scope, i) &&
                                (f.status < 0 || (int)w.p[i].status == f.status) &&
                                (f.risk_tier < 0 || (int)w.p[i].risk_tier == f.risk_tier) &&
                                world_contains(&w, f.home_unit_id, world_home(&w, i)) &&
                                (!f.peer_leader_id || world_leader(&w, i) == f.peer_leader_id))
                                want[nwant++] = w.p[i].id;
                        partial += nwant > 0 && nwant < WP;
                        int ngot = walk(s, fetch_participants, &f, 3, got, WP);
                        assert_ids("participants", combo, got, ngot, want, nwant);
                    }
    assert_true(partial > 50);

    /* by hand: enrolled, high need, in d1 are 3 (c1), 7 (c2) and 9 (c1) */
    store_participant_filter f = {
        .status = PL_ENROL_ENROLLED, .risk_tier = PL_RISK_HIGH_NEED, .home_unit_id = w.d1.id};
    pl_id got[WP];
    assert_int_equal(walk(s, fetch_participants, &f, 200, got, WP), 3);
    assert_int_equal(got[0], w.p[3].id);
    assert_int_equal(got[1], w.p[7].id);
    assert_int_equal(got[2], w.p[9].id);

    /* the rows carry the records, person included */
    pl_arena a;
    pl_arena_init(&a, 0);
    store_participant_filter any = {.status = -1, .risk_tier = -1};
    pl_participant *items = NULL;
    int n = 0;
    assert_int_equal(store_participant_list(s, &any, (store_page){0, 200}, &a, &items, &n, &err),
                     PL_OK);
    assert_int_equal(n, WP);
    for (int i = 0; i < WP; i++) {
        assert_int_equal(items[i].id, w.p[i].id);
        assert_string_equal(items[i].person.given_name, world_names[i]);
        assert_int_equal(items[i].person.birth_date, pl_date_from_ymd(1950 + i, 1, 1));
        assert_int_equal(items[i].status, w.p[i].status);
        assert_int_equal(items[i].risk_tier, w.p[i].risk_tier);
        assert_int_equal(items[i].home_unit_id, world_home(&w, i));
        assert_int_equal(items[i].peer_leader_id, world_leader(&w, i));
        assert_int_equal(items[i].version, 1);
    }
    /* after the last id: nothing */
    assert_int_equal(
        store_participant_list(s, &any, (store_page){w.p[WP - 1].id, 10}, &a, &items, &n, &err),
        PL_OK);
    assert_int_equal(n, 0);
    /* limits outside 1-200 are refused */
    assert_int_equal(store_participant_list(s, &any, (store_page){0, 0}, &a, &items, &n, &err),
                     PL_INVALID);
    assert_int_equal(store_participant_list(s, &any, (store_page){0, 201}, &a, &items, &n, &err),
                     PL_INVALID);
    assert_int_equal(store_participant_list(s, &any, (store_page){0, -1}, &a, &items, &n, &err),
                     PL_INVALID);
    assert_int_equal(store_participant_list(s, &any, (store_page){0, 200}, &a, &items, &n, &err),
                     PL_OK);
    pl_arena_free(&a);
    store_close(s);
}

static void test_participant_list_pages(void **state)
{
    (void)state;
    world w;
    store *s = open_world(&w);
    pl_err err;
    pl_err_clear(&err);
    /* a second program's worth of participants makes the walk longer than a few pages */
    world more;
    world_init(&more);
    more.program.name = "Second";
    if (store_write(s, world_write, &more, &err) != PL_OK)
        fail_msg("%s", err.message);
    store_participant_filter any = {.status = -1, .risk_tier = -1};
    pl_id want[2 * WP], got[2 * WP];
    for (int i = 0; i < WP; i++) {
        want[i] = w.p[i].id;
        want[WP + i] = more.p[i].id;
    }
    int limits[] = {1, 3, 5, 23, 24, 25, 200};
    for (int k = 0; k < 7; k++) {
        int n = walk(s, fetch_participants, &any, limits[k], got, 2 * WP);
        assert_ids("paged participants", limits[k], got, n, want, 2 * WP);
    }
    /* the second program's subtree, three at a time */
    store_participant_filter second = {
        .scope = {more.program.id, 0}, .status = -1, .risk_tier = -1};
    int n = walk(s, fetch_participants, &second, 3, got, 2 * WP);
    assert_ids("second program", 0, got, n, want + WP, WP);
    store_close(s);
}

static void test_contact_list_filters(void **state)
{
    (void)state;
    world w;
    store *s = open_world(&w);
    store_scope sc[W_SCOPES];
    world_scopes(&w, sc);
    const pl_id participants[] = {0, w.p[3].id};
    const pl_id leaders[] = {0, w.l1.id};
    const pl_time since[] = {PL_TIME_NONE, W_T0 + 2 * 3600, W_T0 + 2 * 3600, PL_TIME_NONE};
    const pl_time until[] = {PL_TIME_NONE, W_T0 + 5 * 3600, PL_TIME_NONE, W_T0 + 5 * 3600};
    int combo = 0, partial = 0;
    for (int a = 0; a < W_SCOPES; a++)
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 2; c++)
                for (int d = 0; d < 4; d++, combo++) {
                    store_contact_filter f = {.scope = sc[a],
                                              .participant_id = participants[b],
                                              .peer_leader_id = leaders[c],
                                              .since = since[d],
                                              .until = until[d]};
                    pl_id want[WP], got[WP];
                    int nwant = 0;
                    for (int i = 0; i < WP; i++)
                        if (world_in_scope(&w, &f.scope, i) &&
                            (!f.participant_id || w.c[i].participant_id == f.participant_id) &&
                            (!f.peer_leader_id || w.c[i].peer_leader_id == f.peer_leader_id) &&
                            (f.since == PL_TIME_NONE || w.c[i].occurred_at >= f.since) &&
                            (f.until == PL_TIME_NONE || w.c[i].occurred_at < f.until))
                            want[nwant++] = w.c[i].id;
                    partial += nwant > 0 && nwant < WP;
                    int ngot = walk(s, fetch_contacts, &f, 3, got, WP);
                    assert_ids("contacts", combo, got, ngot, want, nwant);
                }
    assert_true(partial > 20);

    /* by hand: [since, until) takes the contact at since and leaves the one at until */
    store_contact_filter f = {.since = W_T0 + 2 * 3600, .until = W_T0 + 5 * 3600};
    pl_id got[WP];
    assert_int_equal(walk(s, fetch_contacts, &f, 200, got, WP), 3);
    assert_int_equal(got[0], w.c[2].id);
    assert_int_equal(got[2], w.c[4].id);
    /* an empty interval is empty */
    f.until = f.since;
    assert_int_equal(walk(s, fetch_contacts, &f, 200, got, WP), 0);

    /* rows carry the contact */
    pl_arena a;
    pl_arena_init(&a, 0);
    pl_err err;
    pl_err_clear(&err);
    store_contact_filter one = {
        .participant_id = w.p[5].id, .since = PL_TIME_NONE, .until = PL_TIME_NONE};
    pl_contact *items = NULL;
    int n = 0;
    assert_int_equal(store_contact_list(s, &one, (store_page){0, 10}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].peer_leader_id, w.l2.id);
    assert_int_equal(items[0].occurred_at, W_T0 + 5 * 3600);
    assert_int_equal(items[0].minutes, 15);
    assert_int_equal(items[0].program_id, w.program.id);
    assert_int_equal(store_contact_list(s, &one, (store_page){0, 201}, &a, &items, &n, &err),
                     PL_INVALID);
    pl_arena_free(&a);
    store_close(s);
}

static void test_measurement_list_filters(void **state)
{
    (void)state;
    world w;
    store *s = open_world(&w);
    store_scope sc[W_SCOPES];
    world_scopes(&w, sc);
    const pl_id participants[] = {0, w.p[2].id, w.p[3].id};
    const char *analytes[] = {NULL, "hba1c", "sbp"};
    const char *codes[] = {NULL, "59261-8"};
    const int waves[] = {-1, 0, 6};
    int combo = 0, partial = 0;
    enum { MAXM = 3 * WP };
    for (int a = 0; a < W_SCOPES; a++)
        for (int b = 0; b < 3; b++)
            for (int c = 0; c < 3; c++)
                for (int d = 0; d < 2; d++)
                    for (int e = 0; e < 3; e++, combo++) {
                        store_measurement_filter f = {.scope = sc[a],
                                                      .participant_id = participants[b],
                                                      .analyte = analytes[c],
                                                      .code = codes[d],
                                                      .wave = waves[e]};
                        pl_id want[MAXM], got[MAXM];
                        int nwant = 0;
                        for (int k = 0; k < w.nm; k++) {
                            const pl_measurement *m = &w.m[k];
                            if (world_in_scope(&w, &f.scope, w.m_of[k]) &&
                                (!f.participant_id || m->participant_id == f.participant_id) &&
                                (!f.analyte || strcmp(m->analyte, f.analyte) == 0) &&
                                (!f.code || strcmp(m->code, f.code) == 0) &&
                                (f.wave < 0 || m->wave == f.wave))
                                want[nwant++] = m->id;
                        }
                        partial += nwant > 0 && nwant < w.nm;
                        int ngot = walk(s, fetch_measurements, &f, 3, got, MAXM);
                        assert_ids("measurements", combo, got, ngot, want, nwant);
                    }
    assert_true(partial > 50);

    /* by hand: hba1c covers both of its codes; a code picks one */
    store_measurement_filter f = {.participant_id = w.p[0].id, .analyte = "hba1c", .wave = -1};
    pl_id got[MAXM];
    assert_int_equal(walk(s, fetch_measurements, &f, 200, got, MAXM), 2);
    f.code = "4548-4";
    assert_int_equal(walk(s, fetch_measurements, &f, 200, got, MAXM), 1);
    assert_int_equal(got[0], w.m[0].id);

    pl_arena a;
    pl_arena_init(&a, 0);
    pl_err err;
    pl_err_clear(&err);
    store_measurement_filter sbp = {.participant_id = w.p[3].id, .analyte = "sbp", .wave = -1};
    pl_measurement *items = NULL;
    int n = 0;
    assert_int_equal(store_measurement_list(s, &sbp, (store_page){0, 5}, &a, &items, &n, &err),
                     PL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].code, "8480-6");
    assert_string_equal(items[0].entered_value, "130");
    assert_int_equal(items[0].wave, -1);
    assert_int_equal(items[0].source, PL_SOURCE_POINT_OF_CARE);
    assert_true(items[0].value > 129.99 && items[0].value < 130.01);
    assert_int_equal(store_measurement_list(s, &sbp, (store_page){0, 0}, &a, &items, &n, &err),
                     PL_INVALID);
    pl_arena_free(&a);
    store_close(s);
}

typedef struct accounts_job {
    int n;
    pl_staff_account acct[8];
} accounts_job;

static pl_status accounts_write(store_tx *tx, void *ctx, pl_err *err)
{
    accounts_job *j = ctx;
    for (int i = 0; i < j->n; i++) {
        pl_status st = store_staff_account_insert(tx, &j->acct[i], "$argon2id$h", err);
        if (st != PL_OK)
            return st;
    }
    return PL_OK;
}

static void test_org_leader_staff_lists(void **state)
{
    (void)state;
    world w;
    store *s = open_world(&w);
    pl_err err;
    pl_err_clear(&err);

    /* org units: scope x kind x parent against the model */
    const pl_org_unit *units[] = {&w.program, &w.d1, &w.d2, &w.c1, &w.c2, &w.c3};
    const pl_id scopes[] = {0, w.program.id, w.d1.id, w.c3.id};
    const int kinds[] = {-1, PL_ORG_COMMUNITY, PL_ORG_DISTRICT};
    const pl_id parents[] = {0, w.d1.id, w.program.id};
    int combo = 0;
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 3; b++)
            for (int c = 0; c < 3; c++, combo++) {
                org_filter f = {scopes[a], kinds[b], parents[c]};
                pl_id want[6], got[6];
                int nwant = 0;
                for (int i = 0; i < 6; i++)
                    if (world_contains(&w, f.scope, units[i]->id) &&
                        (f.kind < 0 || (int)units[i]->kind == f.kind) &&
                        (!f.parent || units[i]->parent_id == f.parent))
                        want[nwant++] = units[i]->id;
                int ngot = walk(s, fetch_org_units, &f, 2, got, 6);
                assert_ids("org units", combo, got, ngot, want, nwant);
            }
    /* by hand */
    pl_id got[8];
    org_filter communities_of_d1 = {0, PL_ORG_COMMUNITY, w.d1.id};
    assert_int_equal(walk(s, fetch_org_units, &communities_of_d1, 200, got, 8), 2);
    assert_int_equal(got[0], w.c1.id);
    assert_int_equal(got[1], w.c2.id);
    org_filter under_c3 = {w.c3.id, -1, 0};
    assert_int_equal(walk(s, fetch_org_units, &under_c3, 200, got, 8), 1);
    assert_int_equal(got[0], w.c3.id);

    pl_arena a;
    pl_arena_init(&a, 0);
    pl_org_unit *units_out = NULL;
    int n = 0;
    assert_int_equal(store_org_unit_list(s, w.d1.id, PL_ORG_DISTRICT, 0, (store_page){0, 5}, &a,
                                         &units_out, &n, &err),
                     PL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(units_out[0].name, "D1");
    assert_string_equal(units_out[0].code, "D1");
    assert_int_equal(units_out[0].parent_id, w.program.id);
    assert_int_equal(
        store_org_unit_list(s, 0, -1, 0, (store_page){0, 201}, &a, &units_out, &n, &err),
        PL_INVALID);

    /* peer leaders by the subtree of their home unit */
    pl_id lscope[] = {0, w.program.id, w.d1.id, w.d2.id, w.c2.id, w.c1.id};
    int lwant[] = {2, 2, 1, 1, 0, 1};
    for (int i = 0; i < 6; i++) {
        int got_n = walk(s, fetch_leaders, &lscope[i], 1, got, 8);
        assert_int_equal(got_n, lwant[i]);
        if (lscope[i] == w.d2.id)
            assert_int_equal(got[0], w.l2.id);
        if (lscope[i] == w.d1.id || lscope[i] == w.c1.id)
            assert_int_equal(got[0], w.l1.id);
    }
    pl_peer_leader *leaders = NULL;
    assert_int_equal(
        store_peer_leader_list(s, w.d2.id, (store_page){0, 10}, &a, &leaders, &n, &err), PL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(leaders[0].person.given_name, "Leader Two");
    assert_true(leaders[0].paid);
    assert_int_equal(leaders[0].training_hours, 11);
    assert_int_equal(leaders[0].home_unit_id, w.c3.id);
    assert_int_equal(store_peer_leader_list(s, 0, (store_page){0, 0}, &a, &leaders, &n, &err),
                     PL_INVALID);

    /* staff accounts: all of them, in id order, over pages of two */
    accounts_job j = {.n = 5};
    const char *names[] = {"ana", "bo", "cy", "di", "ed"};
    for (int i = 0; i < 5; i++)
        j.acct[i] = (pl_staff_account){.username = names[i],
                                       .display_name = names[4 - i],
                                       .role = (pl_role)(i % PL_ROLE__COUNT),
                                       .scope_unit_id = i ? w.c1.id : 0,
                                       .disabled = i == 4};
    assert_int_equal(store_write(s, accounts_write, &j, &err), PL_OK);
    assert_int_equal(walk(s, fetch_staff, NULL, 2, got, 8), 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(got[i], j.acct[i].id);
    pl_staff_account *accts = NULL;
    assert_int_equal(
        store_staff_account_list(s, (store_page){j.acct[1].id, 2}, &a, &accts, &n, &err), PL_OK);
    assert_int_equal(n, 2);
    assert_string_equal(accts[0].username, "cy");
    assert_string_equal(accts[0].display_name, "cy");
    assert_int_equal(accts[0].role, PL_ROLE_CLINICIAN);
    assert_int_equal(accts[0].scope_unit_id, w.c1.id);
    assert_string_equal(accts[1].username, "di");
    assert_int_equal(accts[1].version, 1);
    assert_int_equal(
        store_staff_account_list(s, (store_page){j.acct[3].id, 2}, &a, &accts, &n, &err), PL_OK);
    assert_int_equal(n, 1);
    assert_true(accts[0].disabled);
    assert_int_equal(store_staff_account_list(s, (store_page){0, 201}, &a, &accts, &n, &err),
                     PL_INVALID);
    pl_arena_free(&a);
    store_close(s);
}

/* ---- versioned updates -------------------------------------------------- */

typedef struct participant_update_job {
    pl_participant p;
    int expected;
    pl_arena *a;
    int seen_version; /* read back inside the same write */
    const char *seen_name;
} participant_update_job;

static pl_status participant_update_write(store_tx *tx, void *ctx, pl_err *err)
{
    participant_update_job *j = ctx;
    pl_status st = store_participant_update(tx, &j->p, j->expected, err);
    if (st != PL_OK)
        return st;
    pl_participant seen;
    if ((st = store_tx_participant_get(tx, j->p.id, j->a, &seen, err)) != PL_OK)
        return st;
    j->seen_version = seen.version;
    j->seen_name = seen.person.given_name;
    return PL_OK;
}

static store *open_fixture(fixture *f)
{
    store *s = open_new();
    fixture_init(f);
    pl_err err;
    pl_err_clear(&err);
    if (store_write(s, fixture_write, f, &err) != PL_OK)
        fail_msg("%s", err.message);
    return s;
}

static void test_participant_update_versions(void **state)
{
    (void)state;
    fixture f;
    store *s = open_fixture(&f);
    pl_err err;
    pl_err_clear(&err);
    pl_arena a;
    pl_arena_init(&a, 0);
    participant_update_job j = {.expected = 1, .a = &a};
    assert_int_equal(store_participant_get(s, f.participant.id, &a, &j.p, &err), PL_OK);
    assert_int_equal(j.p.version, 1);
    pl_participant original = j.p;

    j.p.status = PL_ENROL_ENROLLED;
    j.p.status_reason = "came back";
    j.p.status_date = pl_date_from_ymd(2025, 10, 1);
    j.p.risk_tier = PL_RISK_STANDARD;
    j.p.treatment = PL_TREAT_INSULIN;
    j.p.mrn = "MRN-78";
    j.p.diagnosis_year = 2012;
    j.p.home_unit_id = f.district.id;
    j.p.peer_leader_id = f.leader.id;
    j.p.person.given_name = "Meiling";
    j.p.person.family_name = NULL;
    j.p.person.phone = "+86 21 5555 0199";
    j.p.person.sex = PL_SEX_OTHER;
    j.p.person.birth_date = pl_date_from_ymd(1958, 4, 3);
    if (store_write(s, participant_update_write, &j, &err) != PL_OK)
        fail_msg("%s", err.message);
    assert_int_equal(j.p.version, 2);
    assert_int_equal(j.seen_version, 2);
    assert_string_equal(j.seen_name, "Meiling");

    pl_participant p;
    assert_int_equal(store_participant_get(s, f.participant.id, &a, &p, &err), PL_OK);
    assert_int_equal(p.version, 2);
    assert_int_equal(p.status, PL_ENROL_ENROLLED);
    assert_string_equal(p.status_reason, "came back");
    assert_int_equal(p.status_date, pl_date_from_ymd(2025, 10, 1));
    assert_int_equal(p.risk_tier, PL_RISK_STANDARD);
    assert_int_equal(p.treatment, PL_TREAT_INSULIN);
    assert_string_equal(p.mrn, "MRN-78");
    assert_string_equal(p.program_ident, "SH-000001");
    assert_int_equal(p.diagnosis_year, 2012);
    assert_int_equal(p.home_unit_id, f.district.id);
    assert_int_equal(p.peer_leader_id, f.leader.id);
    assert_string_equal(p.person.given_name, "Meiling");
    assert_null(p.person.family_name);
    assert_string_equal(p.person.phone, "+86 21 5555 0199");
    assert_int_equal(p.person.sex, PL_SEX_OTHER);
    assert_int_equal(p.person.birth_date, pl_date_from_ymd(1958, 4, 3));
    assert_string_equal(p.person.address, "12 Tianping Rd\nApt 3");
    /* the person is shared: the peer leader record sees the new name too */
    pl_peer_leader l;
    assert_int_equal(store_peer_leader_get(s, f.leader.id, &a, &l, &err), PL_OK);
    assert_string_equal(l.person.given_name, "Meiling");

    /* a second writer still holding version 1 is refused and changes nothing */
    participant_update_job stale = {.p = original, .expected = 1, .a = &a};
    stale.p.status = PL_ENROL_LOST;
    stale.p.mrn = "MRN-STALE";
    stale.p.person.given_name = "Stale";
    stale.p.person.phone = "000";
    pl_err_clear(&err);
    assert_int_equal(store_write(s, participant_update_write, &stale, &err), PL_STALE);
    assert_int_equal(err.status, PL_STALE);
    assert_int_equal(store_participant_get(s, f.participant.id, &a, &p, &err), PL_OK);
    assert_int_equal(p.version, 2);
    assert_int_equal(p.status, PL_ENROL_ENROLLED);
    assert_string_equal(p.mrn, "MRN-78");
    assert_string_equal(p.person.given_name, "Meiling");
    assert_string_equal(p.person.phone, "+86 21 5555 0199");

    /* with the current version it goes through, and the version moves on again */
    stale.expected = 2;
    pl_err_clear(&err);
    assert_int_equal(store_write(s, participant_update_write, &stale, &err), PL_OK);
    assert_int_equal(stale.p.version, 3);
    assert_int_equal(store_participant_get(s, f.participant.id, &a, &p, &err), PL_OK);
    assert_int_equal(p.version, 3);
    assert_int_equal(p.status, PL_ENROL_LOST);
    assert_string_equal(p.person.given_name, "Stale");

    /* the versions replaced are kept as they were (FHIR vread); the refused write kept none */
    pl_time at = 0;
    assert_int_equal(store_participant_version_get(s, f.participant.id, 1, &a, &p, &at, &err),
                     PL_OK);
    assert_int_equal(p.version, 1);
    assert_int_equal(p.id, f.participant.id);
    assert_string_equal(p.person.given_name, original.person.given_name);
    assert_string_equal(p.mrn, original.mrn);
    assert_int_equal(p.treatment, original.treatment);
    assert_true(at > 0);
    assert_int_equal(store_participant_version_get(s, f.participant.id, 2, &a, &p, &at, &err),
                     PL_OK);
    assert_int_equal(p.version, 2);
    assert_string_equal(p.person.given_name, "Meiling");
    assert_string_equal(p.mrn, "MRN-78");
    assert_int_equal(p.home_unit_id, f.district.id);
    assert_int_equal(store_participant_version_get(s, f.participant.id, 3, &a, &p, &at, &err),
                     PL_NOTFOUND);
    pl_arena_free(&a);
    store_close(s);
}

typedef struct staff_update_job {
    pl_staff_account acct;
    int expected;
    const char *password_hash; /* set: change the password instead */
    pl_arena *a;
    int seen_version;
} staff_update_job;

static pl_status staff_update_write(store_tx *tx, void *ctx, pl_err *err)
{
    staff_update_job *j = ctx;
    if (j->password_hash)
        return store_staff_password_set(tx, j->acct.id, j->password_hash, err);
    pl_status st = store_staff_account_update(tx, &j->acct, j->expected, err);
    if (st != PL_OK)
        return st;
    pl_staff_account seen;
    if ((st = store_tx_staff_account_get(tx, j->acct.id, j->a, &seen, err)) != PL_OK)
        return st;
    j->seen_version = seen.version;
    return PL_OK;
}

/* ---- escalation alerts --------------------------------------------------- */

typedef struct alert_job {
    store_alert al[2];
    int n;
    int expected;
    pl_arena *a;
    int seen_version;
} alert_job;

static pl_status alert_insert_write(store_tx *tx, void *ctx, pl_err *err)
{
    alert_job *j = ctx;
    for (int i = 0; i < j->n; i++) {
        pl_status st = store_alert_insert(tx, &j->al[i], err);
        if (st != PL_OK)
            return st;
    }
    return PL_OK;
}

static pl_status alert_update_write(store_tx *tx, void *ctx, pl_err *err)
{
    alert_job *j = ctx;
    pl_status st = store_alert_update(tx, &j->al[0], j->expected, err);
    if (st != PL_OK)
        return st;
    store_alert seen;
    if ((st = store_tx_alert_get(tx, j->al[0].id, j->a, &seen, err)) != PL_OK)
        return st;
    j->seen_version = seen.version;
    return PL_OK;
}

static void test_alert_round_trip(void **state)
{
    (void)state;
    fixture f;
    store *s = open_fixture(&f);
    pl_err err;
    pl_err_clear(&err);
    pl_arena a;
    pl_arena_init(&a, 0);
    alert_job j = {.n = 2, .a = &a};
    j.al[0] = (store_alert){.participant_id = f.participant.id,
                            .kind = "very_high_hba1c",
                            .severity = "attention",
                            .message = "HbA1c 13 % is at or above 12 %",
                            .source_entity = "measurement",
                            .source_id = f.measurement.id};
    j.al[1] = (store_alert){.participant_id = f.participant.id,
                            .kind = "urgent_high_bp",
                            .severity = "urgent",
                            .message = "SBP 185"};
    if (store_write(s, alert_insert_write, &j, &err) != PL_OK)
        fail_msg("%s", err.message);
    assert_true(j.al[0].id > 0);
    assert_true(j.al[1].id > j.al[0].id);
    assert_int_equal(j.al[0].version, 1);

    store_alert al;
    assert_int_equal(store_alert_get(s, j.al[0].id, &a, &al, &err), PL_OK);
    assert_int_equal(al.participant_id, f.participant.id);
    assert_string_equal(al.kind, "very_high_hba1c");
    assert_string_equal(al.severity, "attention");
    assert_string_equal(al.message, "HbA1c 13 % is at or above 12 %");
    assert_string_equal(al.source_entity, "measurement");
    assert_int_equal(al.source_id, f.measurement.id);
    assert_string_equal(al.status, "open");
    assert_true(al.created_at > 0);
    assert_int_equal(al.acknowledged_by, 0);
    assert_true(al.acknowledged_at == PL_TIME_NONE);
    assert_true(al.resolved_at == PL_TIME_NONE);
    assert_null(al.resolution_note);
    assert_false(al.linked_to_care);
    assert_int_equal(al.version, 1);
    assert_int_equal(store_alert_get(s, j.al[1].id, &a, &al, &err), PL_OK);
    assert_null(al.source_entity);
    assert_int_equal(al.source_id, 0);
    assert_int_equal(store_alert_get(s, 9999, &a, &al, &err), PL_NOTFOUND);

    /* lists: status, participant and scope filters */
    store_alert *items;
    int n;
    store_alert_filter fl = {.status = "open"};
    assert_int_equal(store_alert_list(s, &fl, (store_page){0, 50}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(items[0].id, j.al[0].id);
    fl = (store_alert_filter){.scope = {.unit_id = f.community.id},
                              .participant_id = f.participant.id};
    assert_int_equal(store_alert_list(s, &fl, (store_page){j.al[0].id, 50}, &a, &items, &n, &err),
                     PL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, j.al[1].id);
    fl = (store_alert_filter){.scope = {.peer_leader_id = -1}};
    assert_int_equal(store_alert_list(s, &fl, (store_page){0, 50}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, 0);
    fl = (store_alert_filter){.status = "resolved"};
    assert_int_equal(store_alert_list(s, &fl, (store_page){0, 50}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, 0);

    /* acknowledge, then resolve; a stale version changes nothing */
    j.al[0].status = "acknowledged";
    j.al[0].acknowledged_by = f.account.id;
    j.al[0].acknowledged_at = 1760000000;
    j.expected = 1;
    if (store_write(s, alert_update_write, &j, &err) != PL_OK)
        fail_msg("%s", err.message);
    assert_int_equal(j.al[0].version, 2);
    assert_int_equal(j.seen_version, 2);
    j.al[0].status = "resolved";
    j.al[0].resolved_by = f.account.id;
    j.al[0].resolved_at = 1760000100;
    j.al[0].resolution_note = "referred to the clinic";
    j.al[0].linked_to_care = true;
    j.expected = 1;
    assert_int_equal(store_write(s, alert_update_write, &j, &err), PL_STALE);
    pl_err_clear(&err);
    j.expected = 2;
    if (store_write(s, alert_update_write, &j, &err) != PL_OK)
        fail_msg("%s", err.message);
    assert_int_equal(store_alert_get(s, j.al[0].id, &a, &al, &err), PL_OK);
    assert_string_equal(al.status, "resolved");
    assert_int_equal(al.version, 3);
    assert_int_equal(al.acknowledged_by, f.account.id);
    assert_int_equal(al.acknowledged_at, 1760000000);
    assert_int_equal(al.resolved_by, f.account.id);
    assert_int_equal(al.resolved_at, 1760000100);
    assert_string_equal(al.resolution_note, "referred to the clinic");
    assert_true(al.linked_to_care);
    fl = (store_alert_filter){.status = "open"};
    assert_int_equal(store_alert_list(s, &fl, (store_page){0, 50}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, j.al[1].id);

    pl_arena_free(&a);
    store_close(s);
}

/* ---- questionnaire responses --------------------------------------------- */

static pl_status qr_insert_write(store_tx *tx, void *ctx, pl_err *err)
{
    store_questionnaire *q = ctx;
    for (int i = 0; i < 2; i++) {
        pl_status st = store_questionnaire_insert(tx, &q[i], err);
        if (st != PL_OK)
            return st;
    }
    return PL_OK;
}

static void test_questionnaire_round_trip(void **state)
{
    (void)state;
    fixture f;
    store *s = open_fixture(&f);
    pl_err err;
    pl_err_clear(&err);
    pl_arena a;
    pl_arena_init(&a, 0);
    store_questionnaire q[2] = {
        {.participant_id = f.participant.id,
         .instrument = "phq9",
         .language = "es",
         .answers = "2,2,2,2,1,1,1,1,-1",
         .scored = true,
         .score = 12.5,
         .band = "moderate",
         .flags = STORE_QR_PRORATED | STORE_QR_SAFETY_ITEM_MISSING,
         .completed_at = 1760000000,
         .recorded_by = f.account.id},
        {.participant_id = f.participant.id,
         .instrument = "dds17",
         .answers = "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1",
         .scored = false,
         .subscales = "[{\"name\":\"emotional_burden\"}]",
         .completed_at = 1760000100},
    };
    if (store_write(s, qr_insert_write, q, &err) != PL_OK)
        fail_msg("%s", err.message);
    assert_true(q[0].id > 0);
    assert_true(q[1].id > q[0].id);
    assert_true(q[0].created_at > 0);

    store_questionnaire g;
    assert_int_equal(store_questionnaire_get(s, q[0].id, &a, &g, &err), PL_OK);
    assert_int_equal(g.participant_id, f.participant.id);
    assert_string_equal(g.instrument, "phq9");
    assert_string_equal(g.language, "es");
    assert_string_equal(g.answers, "2,2,2,2,1,1,1,1,-1");
    assert_true(g.scored);
    assert_true(g.score == 12.5);
    assert_string_equal(g.band, "moderate");
    assert_int_equal(g.flags, STORE_QR_PRORATED | STORE_QR_SAFETY_ITEM_MISSING);
    assert_null(g.subscales);
    assert_int_equal(g.completed_at, 1760000000);
    assert_int_equal(g.recorded_by, f.account.id);
    assert_int_equal(g.created_at, q[0].created_at);
    assert_int_equal(store_questionnaire_get(s, q[1].id, &a, &g, &err), PL_OK);
    assert_false(g.scored);
    assert_null(g.band);
    assert_null(g.language);
    assert_int_equal(g.recorded_by, 0);
    assert_string_equal(g.subscales, "[{\"name\":\"emotional_burden\"}]");
    assert_int_equal(store_questionnaire_get(s, 9999, &a, &g, &err), PL_NOTFOUND);

    store_questionnaire *items;
    int n;
    store_questionnaire_filter fl = {.participant_id = f.participant.id};
    assert_int_equal(store_questionnaire_list(s, &fl, (store_page){0, 50}, &a, &items, &n, &err),
                     PL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(items[0].id, q[0].id);
    fl = (store_questionnaire_filter){.scope = {.unit_id = f.community.id}, .instrument = "dds17"};
    assert_int_equal(store_questionnaire_list(s, &fl, (store_page){0, 50}, &a, &items, &n, &err),
                     PL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, q[1].id);
    assert_int_equal(
        store_questionnaire_list(s, &fl, (store_page){q[1].id, 50}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, 0);
    fl = (store_questionnaire_filter){.scope = {.peer_leader_id = -1}};
    assert_int_equal(store_questionnaire_list(s, &fl, (store_page){0, 50}, &a, &items, &n, &err),
                     PL_OK);
    assert_int_equal(n, 0);

    pl_arena_free(&a);
    store_close(s);
}

static void test_staff_account_update_versions(void **state)
{
    (void)state;
    fixture f;
    store *s = open_fixture(&f);
    pl_err err;
    pl_err_clear(&err);
    pl_arena a;
    pl_arena_init(&a, 0);
    staff_update_job j = {.expected = 1, .a = &a};
    assert_int_equal(store_staff_account_get(s, f.account.id, &a, &j.acct, &err), PL_OK);
    assert_int_equal(j.acct.version, 1);
    pl_staff_account original = j.acct;
    j.acct.display_name = "Wang M.";
    j.acct.role = PL_ROLE_CLINICIAN;
    j.acct.scope_unit_id = f.district.id;
    j.acct.disabled = true;
    if (store_write(s, staff_update_write, &j, &err) != PL_OK)
        fail_msg("%s", err.message);
    assert_int_equal(j.acct.version, 2);
    assert_int_equal(j.seen_version, 2);

    pl_staff_account got;
    char *hash = NULL;
    assert_int_equal(store_staff_account_get_by_username(s, "wang.peer", &a, &got, &hash, &err),
                     PL_OK);
    assert_int_equal(got.id, f.account.id);
    assert_int_equal(got.version, 2);
    assert_string_equal(got.display_name, "Wang M.");
    assert_int_equal(got.role, PL_ROLE_CLINICIAN);
    assert_int_equal(got.scope_unit_id, f.district.id);
    assert_true(got.disabled);
    assert_int_equal(got.person_id, f.leader.person.id);
    assert_string_equal(hash, "$argon2id$v=19$fake");

    staff_update_job stale = {.acct = original, .expected = 1, .a = &a};
    stale.acct.display_name = "Stale";
    stale.acct.role = PL_ROLE_ADMIN;
    stale.acct.scope_unit_id = 0;
    stale.acct.disabled = false;
    pl_err_clear(&err);
    assert_int_equal(store_write(s, staff_update_write, &stale, &err), PL_STALE);
    assert_int_equal(store_staff_account_get(s, f.account.id, &a, &got, &err), PL_OK);
    assert_int_equal(got.version, 2);
    assert_string_equal(got.display_name, "Wang M.");
    assert_int_equal(got.role, PL_ROLE_CLINICIAN);
    assert_int_equal(got.scope_unit_id, f.district.id);
    assert_true(got.disabled);

    /* the password: only the hash changes */
    staff_update_job pw = {.acct = {.id = f.account.id}, .password_hash = "$argon2id$v=19$new"};
    pl_err_clear(&err);
    assert_int_equal(store_write(s, staff_update_write, &pw, &err), PL_OK);
    assert_int_equal(store_staff_account_get_by_username(s, "wang.peer", &a, &got, &hash, &err),
                     PL_OK);
    assert_string_equal(hash, "$argon2id$v=19$new");
    assert_string_equal(got.display_name, "Wang M.");
    assert_int_equal(got.role, PL_ROLE_CLINICIAN);
    staff_update_job nobody = {.acct = {.id = 9999}, .password_hash = "$argon2id$v=19$x"};
    pl_err_clear(&err);
    assert_int_equal(store_write(s, staff_update_write, &nobody, &err), PL_NOTFOUND);
    assert_int_equal(store_staff_account_get_by_username(s, "wang.peer", &a, &got, &hash, &err),
                     PL_OK);
    assert_string_equal(hash, "$argon2id$v=19$new");
    pl_arena_free(&a);
    store_close(s);
}

/* ---- holding the writer ----------------------------------------------- */

/*
 * A background write that holds the writer thread until released (or 5 s),
 * so a test can prove that a call returned without waiting for its write,
 * and can change the caller's memory before the write runs.
 */
typedef struct gate {
    atomic_int entered, released, exited;
} gate;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static pl_status gate_write(store_tx *tx, void *ctx, pl_err *err)
{
    (void)tx;
    (void)err;
    gate *g = *(gate **)ctx;
    atomic_store(&g->entered, 1);
    for (int i = 0; i < 5000 && !atomic_load(&g->released); i++)
        sleep_ms(1);
    atomic_store(&g->exited, 1);
    return PL_OK;
}

static void gate_close(store *s, gate *g)
{
    atomic_init(&g->entered, 0);
    atomic_init(&g->released, 0);
    atomic_init(&g->exited, 0);
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(store_write_async(s, gate_write, &g, sizeof g, &err), PL_OK);
    for (int i = 0; i < 5000 && !atomic_load(&g->entered); i++)
        sleep_ms(1);
    assert_true(atomic_load(&g->entered));
}

static void gate_open(gate *g)
{
    atomic_store(&g->released, 1);
}

/* ---- sessions ----------------------------------------------------------- */

typedef struct session_job {
    enum { SESSION_INSERT, SESSION_DELETE, SESSION_DELETE_ACCOUNT } op;
    const unsigned char *hash;
    store_session se;
    const char *client_addr;
    pl_id account_id;
} session_job;

static pl_status session_write(store_tx *tx, void *ctx, pl_err *err)
{
    session_job *j = ctx;
    switch (j->op) {
    case SESSION_INSERT:
        return store_session_insert(tx, j->hash, &j->se, j->client_addr, err);
    case SESSION_DELETE:
        return store_session_delete(tx, j->hash, err);
    default:
        return store_session_delete_for_account(tx, j->account_id, err);
    }
}

static pl_status session_do(store *s, session_job j)
{
    pl_err err;
    pl_err_clear(&err);
    return store_write(s, session_write, &j, &err);
}

static pl_status session_insert(store *s, const unsigned char *hash, pl_id account, pl_time seen)
{
    return session_do(s, (session_job){.op = SESSION_INSERT,
                                       .hash = hash,
                                       .se = {.account_id = account,
                                              .created_at = 1000,
                                              .last_seen_at = seen,
                                              .expires_at = 1000 + 8 * 3600},
                                       .client_addr = "203.0.113.5"});
}

static pl_status session_get(store *s, const unsigned char *hash, store_session *se,
                             pl_staff_account *acct, pl_arena *a)
{
    pl_err err;
    pl_err_clear(&err);
    return store_session_get(s, hash, a, se, acct, &err);
}

static void test_sessions(void **state)
{
    (void)state;
    fixture f;
    store *s = open_fixture(&f);
    pl_err err;
    pl_err_clear(&err);
    accounts_job other = {
        .n = 1, .acct = {{.username = "li.admin", .display_name = "Li", .role = PL_ROLE_ADMIN}}};
    assert_int_equal(store_write(s, accounts_write, &other, &err), PL_OK);
    pl_id a_id = f.account.id, b_id = other.acct[0].id;

    unsigned char h1[STORE_TOKEN_HASH_BYTES], h2[STORE_TOKEN_HASH_BYTES],
        h3[STORE_TOKEN_HASH_BYTES], unknown[STORE_TOKEN_HASH_BYTES];
    memset(h1, 0x5a, sizeof h1);
    memcpy(h2, h1, sizeof h2);
    h2[STORE_TOKEN_HASH_BYTES - 1] ^= 1; /* differs in the last byte only */
    memset(h3, 0xc3, sizeof h3);
    memcpy(unknown, h1, sizeof unknown);
    unknown[0] ^= 1;
    assert_int_equal(session_insert(s, h1, a_id, 1000), PL_OK);
    assert_int_equal(session_insert(s, h2, a_id, 1100), PL_OK);
    assert_int_equal(session_insert(s, h3, b_id, 1200), PL_OK);
    assert_int_equal(session_insert(s, h3, a_id, 1300), PL_CONFLICT);

    pl_arena a;
    pl_arena_init(&a, 0);
    store_session se;
    pl_staff_account acct;
    assert_int_equal(session_get(s, h1, &se, &acct, &a), PL_OK);
    assert_int_equal(se.account_id, a_id);
    assert_int_equal(se.created_at, 1000);
    assert_int_equal(se.last_seen_at, 1000);
    assert_int_equal(se.expires_at, 1000 + 8 * 3600);
    assert_int_equal(acct.id, a_id);
    assert_string_equal(acct.username, "wang.peer");
    assert_string_equal(acct.display_name, "Wang Meiling");
    assert_int_equal(acct.role, PL_ROLE_PEER_LEADER);
    assert_int_equal(acct.scope_unit_id, f.community.id);
    assert_int_equal(acct.person_id, f.leader.person.id);
    assert_false(acct.disabled);
    assert_int_equal(acct.version, 1);
    assert_int_equal(session_get(s, h2, &se, &acct, &a), PL_OK);
    assert_int_equal(se.last_seen_at, 1100);
    assert_int_equal(session_get(s, h3, &se, &acct, &a), PL_OK);
    assert_int_equal(acct.id, b_id);
    assert_string_equal(acct.username, "li.admin");
    assert_int_equal(acct.role, PL_ROLE_ADMIN);
    assert_int_equal(acct.scope_unit_id, 0);
    assert_int_equal(session_get(s, unknown, &se, &acct, &a), PL_NOTFOUND);

    /* signing out ends one session */
    assert_int_equal(session_do(s, (session_job){.op = SESSION_DELETE, .hash = h1}), PL_OK);
    assert_int_equal(session_get(s, h1, &se, &acct, &a), PL_NOTFOUND);
    assert_int_equal(session_get(s, h2, &se, &acct, &a), PL_OK);
    assert_int_equal(session_get(s, h3, &se, &acct, &a), PL_OK);
    /* deleting an unknown session is not an error */
    assert_int_equal(session_do(s, (session_job){.op = SESSION_DELETE, .hash = unknown}), PL_OK);

    /* ending an account's sessions leaves other accounts signed in */
    assert_int_equal(session_do(s, (session_job){.op = SESSION_DELETE_ACCOUNT, .account_id = a_id}),
                     PL_OK);
    assert_int_equal(session_get(s, h2, &se, &acct, &a), PL_NOTFOUND);
    assert_int_equal(session_get(s, h3, &se, &acct, &a), PL_OK);
    assert_int_equal(se.account_id, b_id);
    pl_arena_free(&a);
    store_close(s);
}

static void test_session_touch_is_asynchronous(void **state)
{
    (void)state;
    fixture f;
    store *s = open_fixture(&f);
    unsigned char h[STORE_TOKEN_HASH_BYTES];
    memset(h, 0x77, sizeof h);
    assert_int_equal(session_insert(s, h, f.account.id, 1000), PL_OK);

    gate g;
    gate_close(s, &g);
    store_session_touch(s, h, 5000);
    /* it returned while the writer was busy: it did not wait for its write */
    assert_false(atomic_load(&g.exited));
    pl_arena a;
    pl_arena_init(&a, 0);
    store_session se;
    pl_staff_account acct;
    assert_int_equal(session_get(s, h, &se, &acct, &a), PL_OK);
    assert_int_equal(se.last_seen_at, 1000);
    gate_open(&g);
    /* a late touch from a slower request does not move the time back */
    store_session_touch(s, h, 3000);
    store_close(s);

    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(store_open(path, NULL, &s, &err), PL_OK);
    assert_int_equal(session_get(s, h, &se, &acct, &a), PL_OK);
    assert_int_equal(se.last_seen_at, 5000);
    assert_int_equal(se.created_at, 1000);
    assert_int_equal(acct.id, f.account.id);
    pl_arena_free(&a);
    store_close(s);
}

/* ---- audit trail -------------------------------------------------------- */

enum { NEV = 8 };
#define EV_T0 ((pl_time)1750000000)

typedef struct audit_job {
    int n;
    store_audit_event ev[NEV];
    int fail; /* fail the write after appending */
} audit_job;

static pl_status audit_write(store_tx *tx, void *ctx, pl_err *err)
{
    audit_job *j = ctx;
    for (int i = 0; i < j->n; i++) {
        pl_status st = store_audit_append(tx, &j->ev[i], err);
        if (st != PL_OK)
            return st;
    }
    return j->fail ? pl_err_set(err, PL_INVALID, "the request failed after all") : PL_OK;
}

/* Event k: account 7/8/none by k % 3, participant 101 when k is odd, entity by k % 4, action
 * "create" then "read" in pairs, one minute apart. */
static void audit_events(audit_job *j)
{
    static const char *const entities[] = {"participant", "contact", "participant", "session"};
    static const pl_id accounts[] = {7, 8, 0};
    memset(j, 0, sizeof *j);
    j->n = NEV;
    for (int k = 0; k < NEV; k++)
        j->ev[k] = (store_audit_event){.at = EV_T0 + 60 * k,
                                       .account_id = accounts[k % 3],
                                       .action = (k / 2) % 2 ? "read" : "create",
                                       .entity = entities[k % 4],
                                       .entity_id = k % 4 == 3 ? 0 : 500 + k,
                                       .participant_id = k % 2 ? 101 : 0,
                                       .client_addr = k % 3 == 2 ? NULL : "198.51.100.7",
                                       .status = 200 + k};
}

static store *open_audited(audit_job *j)
{
    store *s = open_new();
    audit_events(j);
    pl_err err;
    pl_err_clear(&err);
    if (store_write(s, audit_write, j, &err) != PL_OK)
        fail_msg("%s", err.message);
    return s;
}

static void test_audit_append_and_list(void **state)
{
    (void)state;
    audit_job j;
    store *s = open_audited(&j);
    pl_err err;
    pl_err_clear(&err);

    pl_id ids[NEV];
    store_audit_filter all = {.since = PL_TIME_NONE, .until = PL_TIME_NONE};
    assert_int_equal(walk(s, fetch_audit, &all, 3, ids, NEV), NEV);

    const pl_id accounts[] = {0, 7, 8};
    const pl_id participants[] = {0, 101};
    const char *entities[] = {NULL, "participant"};
    const char *actions[] = {NULL, "read"};
    const pl_time since[] = {PL_TIME_NONE, EV_T0 + 60, EV_T0 + 60, PL_TIME_NONE};
    const pl_time until[] = {PL_TIME_NONE, EV_T0 + 300, PL_TIME_NONE, EV_T0 + 300};
    int combo = 0, partial = 0;
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 2; c++)
                for (int d = 0; d < 2; d++)
                    for (int e = 0; e < 4; e++, combo++) {
                        store_audit_filter f = {.account_id = accounts[a],
                                                .participant_id = participants[b],
                                                .entity = entities[c],
                                                .action = actions[d],
                                                .since = since[e],
                                                .until = until[e]};
                        pl_id want[NEV], got[NEV];
                        int nwant = 0;
                        for (int k = 0; k < NEV; k++) {
                            const store_audit_event *ev = &j.ev[k];
                            if ((!f.account_id || ev->account_id == f.account_id) &&
                                (!f.participant_id || ev->participant_id == f.participant_id) &&
                                (!f.entity || strcmp(ev->entity, f.entity) == 0) &&
                                (!f.action || strcmp(ev->action, f.action) == 0) &&
                                (f.since == PL_TIME_NONE || ev->at >= f.since) &&
                                (f.until == PL_TIME_NONE || ev->at < f.until))
                                want[nwant++] = ids[k];
                        }
                        partial += nwant > 0 && nwant < NEV;
                        int ngot = walk(s, fetch_audit, &f, 2, got, NEV);
                        assert_ids("audit", combo, got, ngot, want, nwant);
                    }
    assert_true(partial > 40);

    /* by hand: account 7 made events 0, 3 and 6; events 2, 3, 6 and 7 are reads */
    store_audit_filter reads7 = {
        .account_id = 7, .action = "read", .since = PL_TIME_NONE, .until = PL_TIME_NONE};
    pl_id got[NEV];
    assert_int_equal(walk(s, fetch_audit, &reads7, 200, got, NEV), 2);
    assert_int_equal(got[0], ids[3]);
    assert_int_equal(got[1], ids[6]);

    /* the rows carry every field; absent ones read back absent */
    pl_arena a;
    pl_arena_init(&a, 0);
    store_audit_event *items = NULL;
    int n = 0;
    assert_int_equal(store_audit_list(s, &all, (store_page){0, NEV}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, NEV);
    for (int k = 0; k < NEV; k++) {
        assert_int_equal(items[k].at, j.ev[k].at);
        assert_int_equal(items[k].account_id, j.ev[k].account_id);
        assert_string_equal(items[k].action, j.ev[k].action);
        assert_string_equal(items[k].entity, j.ev[k].entity);
        assert_int_equal(items[k].entity_id, j.ev[k].entity_id);
        assert_int_equal(items[k].participant_id, j.ev[k].participant_id);
        if (j.ev[k].client_addr)
            assert_string_equal(items[k].client_addr, j.ev[k].client_addr);
        else
            assert_null(items[k].client_addr);
        assert_int_equal(items[k].status, 200 + k);
    }
    assert_int_equal(store_audit_list(s, &all, (store_page){0, 201}, &a, &items, &n, &err),
                     PL_INVALID);

    /* appended inside the caller's transaction: a write that fails leaves no event */
    audit_job failing;
    audit_events(&failing);
    failing.n = 2;
    failing.fail = 1;
    pl_err_clear(&err);
    assert_int_equal(store_write(s, audit_write, &failing, &err), PL_INVALID);
    assert_int_equal(walk(s, fetch_audit, &all, 200, got, NEV), NEV);
    pl_arena_free(&a);
    store_close(s);
}

/* A heap copy, so that a store keeping the caller's pointer would read freed memory. */
static char *heap_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    assert_non_null(p);
    memcpy(p, s, n);
    return p;
}

static void test_audit_enqueue_copies(void **state)
{
    (void)state;
    store *s = open_new();
    pl_err err;
    pl_err_clear(&err);
    gate g;
    gate_close(s, &g);

    store_audit_event ev[3];
    char *strings[3][3];
    const char *actions[] = {"read", "login_failed", "export"};
    for (int i = 0; i < 3; i++) {
        strings[i][0] = heap_str(actions[i]);
        strings[i][1] = heap_str(i == 1 ? "session" : "participant");
        strings[i][2] = heap_str("192.0.2.44");
        ev[i] = (store_audit_event){.at = EV_T0 + i,
                                    .account_id = i == 1 ? 0 : 3,
                                    .action = strings[i][0],
                                    .entity = strings[i][1],
                                    .entity_id = i == 1 ? 0 : 40 + i,
                                    .participant_id = i == 1 ? 0 : 40 + i,
                                    .client_addr = i == 2 ? NULL : strings[i][2],
                                    .status = i == 1 ? 401 : 200};
    }
    assert_int_equal(store_audit_enqueue(s, ev, 3, &err), PL_OK);
    assert_int_equal(store_audit_enqueue(s, ev, 0, &err), PL_OK);
    /* it returned while the writer was held: the events are queued, not written */
    assert_false(atomic_load(&g.exited));
    /* the caller's memory is its own again at once */
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 3; k++) {
            memset(strings[i][k], 'X', strlen(strings[i][k]));
            free(strings[i][k]);
        }
    memset(ev, 0, sizeof ev);
    gate_open(&g);
    store_close(s);

    assert_int_equal(store_open(path, NULL, &s, &err), PL_OK);
    pl_arena a;
    pl_arena_init(&a, 0);
    store_audit_filter all = {.since = PL_TIME_NONE, .until = PL_TIME_NONE};
    store_audit_event *items = NULL;
    int n = 0;
    assert_int_equal(store_audit_list(s, &all, (store_page){0, 10}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(items[i].at, EV_T0 + i);
        assert_string_equal(items[i].action, actions[i]);
        assert_string_equal(items[i].entity, i == 1 ? "session" : "participant");
        if (i == 2)
            assert_null(items[i].client_addr);
        else
            assert_string_equal(items[i].client_addr, "192.0.2.44");
        assert_int_equal(items[i].account_id, i == 1 ? 0 : 3);
        assert_int_equal(items[i].participant_id, i == 1 ? 0 : 40 + i);
        assert_int_equal(items[i].status, i == 1 ? 401 : 200);
    }
    pl_arena_free(&a);
    store_close(s);
}

/* Runs sql on a fresh connection; returns the SQLite result and copies the message. */
static int raw_try(const char *p, const char *sqltext, char *msg, size_t n)
{
    return test_db_exec(p, sqltext, msg, n);
}

static int64_t raw_int(const char *p, const char *sqltext)
{
    int64_t v = test_db_int(p, sqltext);
    assert_true(v >= 0);
    return v;
}

static void test_audit_is_append_only(void **state)
{
    (void)state;
    audit_job j;
    store *s = open_audited(&j);
    store_close(s);
    const char *digest = "SELECT count(*) * 1000000 + sum(status) + sum(at % 1000) + "
                         "sum(length(action)) FROM audit_event";
    int64_t before = raw_int(path, digest);
    char msg[256];
    const char *attempts[] = {"UPDATE audit_event SET status = 500",
                              "UPDATE audit_event SET action = 'nothing' WHERE id = 1",
                              "DELETE FROM audit_event", "DELETE FROM audit_event WHERE id = 2",
                              /* REPLACE deletes without firing delete triggers */
                              "INSERT OR REPLACE INTO audit_event (id, at, action, entity, status) "
                              "VALUES (1, 0, 'forged', 'participant', 200)"};
    /* PostgreSQL has no REPLACE: the last attempt is SQLite's alone */
    size_t tries = sizeof attempts / sizeof *attempts - (test_db_pg() ? 1 : 0);
    for (size_t i = 0; i < tries; i++) {
        int rc = raw_try(path, attempts[i], msg, sizeof msg);
        if (rc == 0)
            fail_msg("'%s' was allowed", attempts[i]);
        if (!strstr(msg, "append-only"))
            fail_msg("'%s': %s", attempts[i], msg);
    }
    assert_int_equal(raw_int(path, digest), before);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM audit_event"), NEV);

    /* and through the store, every event is as written */
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(store_open(path, NULL, &s, &err), PL_OK);
    pl_arena a;
    pl_arena_init(&a, 0);
    store_audit_filter all = {.since = PL_TIME_NONE, .until = PL_TIME_NONE};
    store_audit_event *items = NULL;
    int n = 0;
    assert_int_equal(store_audit_list(s, &all, (store_page){0, 20}, &a, &items, &n, &err), PL_OK);
    assert_int_equal(n, NEV);
    assert_string_equal(items[0].action, "create");
    assert_int_equal(items[0].status, 200);
    assert_int_equal(items[1].id, items[0].id + 1);
    pl_arena_free(&a);
    store_close(s);
}

/* ---- idempotent retries ------------------------------------------------- */

typedef struct idem_job {
    int put;
    pl_id account;
    const char *key;
    store_idempotency in, out;
    pl_time now;
    pl_arena *a;
} idem_job;

static pl_status idem_write(store_tx *tx, void *ctx, pl_err *err)
{
    idem_job *j = ctx;
    if (j->put)
        return store_idempotency_put(tx, j->account, j->key, &j->in, j->now, err);
    return store_idempotency_get(tx, j->account, j->key, j->a, &j->out, err);
}

static pl_status idem_put(store *s, pl_id account, const char *key, const store_idempotency *in,
                          pl_time now)
{
    idem_job j = {.put = 1, .account = account, .key = key, .in = *in, .now = now};
    pl_err err;
    pl_err_clear(&err);
    return store_write(s, idem_write, &j, &err);
}

static pl_status idem_get(store *s, pl_id account, const char *key, pl_arena *a,
                          store_idempotency *out)
{
    idem_job j = {.account = account, .key = key, .a = a};
    pl_err err;
    pl_err_clear(&err);
    pl_status st = store_write(s, idem_write, &j, &err);
    *out = j.out;
    return st;
}

static void test_idempotency(void **state)
{
    (void)state;
    store *s = open_new();
    pl_arena a;
    pl_arena_init(&a, 0);
    pl_time now = (pl_time)time(NULL);
    store_idempotency got;
    assert_int_equal(idem_get(s, 1, "k-1", &a, &got), PL_NOTFOUND);

    store_idempotency created = {.status = 201,
                                 .body = "{\"id\":5,\"given_name\":\"Ana\"}",
                                 .location = "/v1/participants/5"};
    for (int i = 0; i < 32; i++)
        created.request_hash[i] = (unsigned char)(i * 7 + 1);
    assert_int_equal(idem_put(s, 1, "k-1", &created, now), PL_OK);
    assert_int_equal(idem_get(s, 1, "k-1", &a, &got), PL_OK);
    assert_memory_equal(got.request_hash, created.request_hash, 32);
    assert_int_equal(got.status, 201);
    assert_string_equal(got.body, created.body);
    assert_string_equal(got.location, "/v1/participants/5");

    /* keys belong to an account */
    assert_int_equal(idem_get(s, 2, "k-1", &a, &got), PL_NOTFOUND);
    assert_int_equal(idem_get(s, 1, "k-2", &a, &got), PL_NOTFOUND);
    store_idempotency other = {.status = 200, .body = "{}", .location = NULL};
    memset(other.request_hash, 0xee, 32);
    assert_int_equal(idem_put(s, 2, "k-1", &other, now), PL_OK);
    assert_int_equal(idem_get(s, 2, "k-1", &a, &got), PL_OK);
    assert_int_equal(got.status, 200);
    assert_string_equal(got.body, "{}");
    assert_null(got.location);
    assert_memory_equal(got.request_hash, other.request_hash, 32);
    assert_int_equal(idem_get(s, 1, "k-1", &a, &got), PL_OK);
    assert_int_equal(got.status, 201);
    assert_string_equal(got.body, created.body);

    /* an hour old is still answered; older than 24 hours is forgotten */
    assert_int_equal(idem_put(s, 1, "hour-old", &created, now - 3600), PL_OK);
    assert_int_equal(idem_get(s, 1, "hour-old", &a, &got), PL_OK);
    assert_int_equal(idem_put(s, 1, "day-old", &created, now - 90000), PL_OK);
    assert_int_equal(idem_get(s, 1, "day-old", &a, &got), PL_NOTFOUND);

    /* kept across a restart */
    store_close(s);
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(store_open(path, NULL, &s, &err), PL_OK);
    assert_int_equal(idem_get(s, 1, "k-1", &a, &got), PL_OK);
    assert_string_equal(got.location, "/v1/participants/5");
    pl_arena_free(&a);
    store_close(s);
}

/* ---- background writes -------------------------------------------------- */

typedef struct async_unit {
    pl_id program_id;
    char code[16];
    char name[16];
} async_unit;

static pl_status async_unit_write(store_tx *tx, void *ctx, pl_err *err)
{
    async_unit *u = ctx;
    pl_org_unit o = {.kind = PL_ORG_DISTRICT,
                     .name = u->name,
                     .code = u->code,
                     .parent_id = u->program_id,
                     .program_id = u->program_id};
    return store_org_unit_insert(tx, &o, err);
}

static void test_write_async_copies_ctx(void **state)
{
    (void)state;
    store *s = open_new();
    pl_org_unit prog = {.kind = PL_ORG_PROGRAM, .name = "P", .language = "en"};
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(store_write(s, program_write, &prog, &err), PL_OK);

    gate g;
    gate_close(s, &g);
    async_unit u = {.program_id = prog.id};
    snprintf(u.code, sizeof u.code, "A1");
    snprintf(u.name, sizeof u.name, "first");
    assert_int_equal(store_write_async(s, async_unit_write, &u, sizeof u, &err), PL_OK);
    snprintf(u.code, sizeof u.code, "B2");
    snprintf(u.name, sizeof u.name, "second");
    assert_int_equal(store_write_async(s, async_unit_write, &u, sizeof u, &err), PL_OK);
    assert_false(atomic_load(&g.exited));
    /* scribble over the caller's copy before either write runs */
    memset(&u, 0x7f, sizeof u);
    u.code[0] = '\0';
    gate_open(&g);
    store_close(s);

    assert_int_equal(store_open(path, NULL, &s, &err), PL_OK);
    pl_arena a;
    pl_arena_init(&a, 0);
    pl_org_unit *units = NULL;
    int n = 0;
    assert_int_equal(store_org_unit_list(s, prog.id, PL_ORG_DISTRICT, 0, (store_page){0, 10}, &a,
                                         &units, &n, &err),
                     PL_OK);
    assert_int_equal(n, 2);
    assert_string_equal(units[0].code, "A1");
    assert_string_equal(units[0].name, "first");
    assert_string_equal(units[1].code, "B2");
    assert_string_equal(units[1].name, "second");
    assert_int_equal(store_unit_in_subtree(s, prog.id, units[1].id, &err), PL_OK);
    pl_arena_free(&a);
    store_close(s);
}

/* ---- key functions and persons ------------------------------------------ */

typedef struct kf_job {
    pl_id program_id, second_program_id;
    pl_org_unit second;
    pl_participant other;
    pl_status bit3, bit16, dup_code, dup_bit;
} kf_job;

static pl_status kf_write(store_tx *tx, void *ctx, pl_err *err)
{
    kf_job *j = ctx;
    pl_status st;
    if ((st = store_key_function_insert(tx, j->program_id, 7, "coffee", "Coffee mornings", err)) !=
            PL_OK ||
        (st = store_key_function_insert(tx, j->program_id, 15, "walks", "Walking group", err)) !=
            PL_OK)
        return st;
    if ((st = store_org_unit_insert(tx, &j->second, err)) != PL_OK)
        return st;
    j->second_program_id = j->second.id;
    if ((st = store_key_function_insert(tx, j->second.id, 4, "other", "Other program's", err)) !=
        PL_OK)
        return st;
    if ((st = store_participant_insert(tx, &j->other, err)) != PL_OK)
        return st;
    return PL_OK;
}

static pl_status kf_bad_write(store_tx *tx, void *ctx, pl_err *err)
{
    const int *which = ctx;
    pl_id program = (pl_id)which[1];
    switch (which[0]) {
    case 0:
        return store_key_function_insert(tx, program, 3, "low", "Too low", err);
    case 1:
        return store_key_function_insert(tx, program, 16, "high", "Too high", err);
    case 2:
        return store_key_function_insert(tx, program, 9, "being_there", "Same code", err);
    default:
        return store_key_function_insert(tx, program, 4, "fresh", "Same bit", err);
    }
}

static void test_key_function_codes_and_person_get(void **state)
{
    (void)state;
    fixture f;
    store *s = open_fixture(&f);
    pl_err err;
    pl_err_clear(&err);
    kf_job j = {
        .program_id = f.program.id,
        .second = {.kind = PL_ORG_PROGRAM, .name = "Second", .language = "es"},
        .other = {.person = {.given_name = "Otro", .sex = PL_SEX_MALE, .birth_date = PL_DATE_NONE},
                  .program_id = f.program.id,
                  .home_unit_id = f.community.id,
                  .treatment = PL_TREAT_UNKNOWN,
                  .enrol_date = pl_date_from_ymd(2025, 5, 5),
                  .status_date = PL_DATE_NONE,
                  .consent_date = PL_DATE_NONE}};
    if (store_write(s, kf_write, &j, &err) != PL_OK)
        fail_msg("%s", err.message);
    pl_status want[] = {PL_INVALID, PL_INVALID, PL_CONFLICT, PL_CONFLICT};
    for (int i = 0; i < 4; i++) {
        int which[2] = {i, (int)f.program.id};
        pl_err_clear(&err);
        assert_int_equal(store_write(s, kf_bad_write, which, &err), want[i]);
    }

    pl_arena a;
    pl_arena_init(&a, 0);
    const char *codes[PL_KF_MAX_BITS];
    for (int i = 0; i < PL_KF_MAX_BITS; i++)
        codes[i] = "junk";
    assert_int_equal(store_key_function_codes(s, f.program.id, &a, codes, &err), PL_OK);
    for (int i = 0; i < PL_KF_MAX_BITS; i++) {
        const char *expect = i == 4 ? "being_there" : i == 7 ? "coffee" : i == 15 ? "walks" : NULL;
        if (expect)
            assert_string_equal(codes[i], expect);
        else
            assert_null(codes[i]);
    }
    assert_int_equal(store_key_function_codes(s, j.second_program_id, &a, codes, &err), PL_OK);
    for (int i = 0; i < PL_KF_MAX_BITS; i++)
        if (i == 4)
            assert_string_equal(codes[i], "other");
        else
            assert_null(codes[i]);
    codes[5] = "junk";
    assert_int_equal(store_key_function_codes(s, 9999, &a, codes, &err), PL_OK);
    for (int i = 0; i < PL_KF_MAX_BITS; i++)
        assert_null(codes[i]);
    uint32_t mask = 0;
    assert_int_equal(store_program_kf_mask(s, f.program.id, &mask, &err), PL_OK);
    assert_int_equal(mask, (1u << 4) | (1u << 7) | (1u << 15));

    /* a person on their own, whichever role they have */
    pl_person pe;
    memset(&pe, 0x55, sizeof pe);
    assert_int_equal(store_person_get(s, f.participant.person.id, &a, &pe, &err), PL_OK);
    assert_int_equal(pe.id, f.participant.person.id);
    assert_int_equal(pe.program_id, f.program.id);
    assert_string_equal(pe.given_name, "美玲");
    assert_string_equal(pe.family_name, "王");
    assert_int_equal(pe.sex, PL_SEX_FEMALE);
    assert_int_equal(pe.birth_date, pl_date_from_ymd(1958, 4, 2));
    assert_string_equal(pe.phone, "+86 21 5555 0101");
    assert_string_equal(pe.address, "12 Tianping Rd\nApt 3");
    assert_string_equal(pe.language, "zh-CN");
    assert_int_equal(store_person_get(s, j.other.person.id, &a, &pe, &err), PL_OK);
    assert_string_equal(pe.given_name, "Otro");
    assert_null(pe.family_name);
    assert_null(pe.phone);
    assert_int_equal(pe.sex, PL_SEX_MALE);
    assert_int_equal(pe.birth_date, PL_DATE_NONE);
    assert_int_equal(store_person_get(s, 9999, &a, &pe, &err), PL_NOTFOUND);

    pl_id leader = 0;
    assert_int_equal(store_peer_leader_by_person(s, f.participant.person.id, &leader, &err), PL_OK);
    assert_int_equal(leader, f.leader.id);
    assert_int_equal(store_peer_leader_by_person(s, j.other.person.id, &leader, &err), PL_NOTFOUND);
    pl_arena_free(&a);
    store_close(s);
}

/* ---- copying an installation between databases (store_copy) ------------- */

static void secret_of(const char *location, unsigned char out[32])
{
    store *s = NULL;
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(store_open(location, NULL, &s, &err), PL_OK);
    assert_int_equal(store_install_secret(s, out, &err), PL_OK);
    store_close(s);
}

static void test_copy_verified_all_or_nothing(void **state)
{
    (void)state;
    /* the source is always a SQLite file; the targets are this run's backend */
    char src[160];
    snprintf(src, sizeof src, "%s/source.db", dir);
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    store_options o = {.create = true};
    assert_int_equal(store_open(src, &o, &s, &err), PL_OK);
    store_close(s);
    raw_exec(src, "INSERT INTO org_unit (id, parent_id, program_id, kind, name, updated_at) VALUES "
                  "(1, NULL, 1, 'program', 'Copied program', 0), "
                  "(2, 1, 1, 'community', 'Tab\tand\nnewline \\ community', 0);"
                  "INSERT INTO org_unit_ancestor (unit_id, ancestor_id, depth) VALUES "
                  "(1, 1, 0), (2, 2, 0), (2, 1, 1);"
                  "INSERT INTO person (id, program_id, given_name, sex) VALUES "
                  "(1, 1, 'Rosa', 'female');"
                  "INSERT INTO participant (id, person_id, program_id, treatment, enrol_date, "
                  "status, consent, home_unit_id, risk_tier, updated_at) VALUES "
                  "(1, 1, 1, 'oral', 20000, 'enrolled', 1, 2, 'standard', 0);"
                  "INSERT INTO measurement (participant_id, code, analyte, value, unit, "
                  "entered_value, entered_unit, effective_at, source, created_at) VALUES "
                  "(1, '4548-4', 'hba1c', 7.123456789012345, '%', '7.1', '%', 0, 'lab', 0);");

    store_copy_report rep;
    assert_int_equal(store_copy(src, path2, &rep, &err), PL_OK);
    assert_true(rep.ntables > 30);
    int64_t rows = 0;
    for (int i = 0; i < rep.ntables; i++)
        if (strcmp(rep.tables[i].name, "org_unit") == 0 ||
            strcmp(rep.tables[i].name, "participant") == 0)
            rows += rep.tables[i].rows;
    assert_int_equal(rows, 3);
    /* what the copy holds reads back through the store, pseudonym secret included */
    assert_int_equal(test_db_int(path2, "SELECT count(*) FROM measurement WHERE value = "
                                        "7.123456789012345"),
                     1);
    unsigned char a[32], b[32];
    secret_of(src, a);
    secret_of(path2, b);
    assert_memory_equal(a, b, 32);
    assert_int_equal(store_open(path2, NULL, &s, &err), PL_OK);
    pl_arena ar;
    pl_arena_init(&ar, 0);
    pl_participant p;
    assert_int_equal(store_participant_get(s, 1, &ar, &p, &err), PL_OK);
    assert_string_equal(p.person.given_name, "Rosa");
    pl_org_unit u;
    assert_int_equal(store_org_unit_get(s, 2, &ar, &u, &err), PL_OK);
    assert_string_equal(u.name, "Tab\tand\nnewline \\ community");
    /* new rows after a copy get new ids, past the copied ones */
    child_job j = {.parent_id = 2, .program_id = 1, .kind = PL_ORG_RESIDENTIAL_COMMITTEE};
    assert_int_equal(store_write(s, child_write, &j, &err), PL_OK);
    assert_true(j.id > 2);
    store_close(s);
    pl_arena_free(&ar);

    /* a target that already holds a program is refused, untouched */
    assert_int_equal(store_copy(src, path2, &rep, &err), PL_CONFLICT);
    assert_int_equal(test_db_int(path2, "SELECT count(*) FROM org_unit"), 3);

    /* a row the target refuses (a contact of nobody, which SQLite let in with its foreign
       keys off) fails the copy part-way: the target keeps no row at all */
    raw_exec(src, "INSERT INTO contact (program_id, participant_id, peer_leader_id, occurred_at, "
                  "minutes, mode, key_functions, topics, proactive, created_at) VALUES "
                  "(1, 999, 999, 0, 10, 'phone', 1, 0, 0, 0)");
    pl_err_clear(&err);
    assert_int_not_equal(store_copy(src, path, &rep, &err), PL_OK);
    assert_int_equal(rep.ntables, 0);
    assert_true(err.message[0] != '\0');
    assert_int_equal(test_db_int(path, "SELECT count(*) FROM org_unit"), 0);
    assert_int_equal(test_db_int(path, "SELECT count(*) FROM participant"), 0);
    assert_int_equal(test_db_int(path, "SELECT count(*) FROM measurement"), 0);
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char f[200];
        snprintf(f, sizeof f, "%s%s", src, suffix[i]);
        unlink(f);
    }
}

/* 1 when table holds the same rows in SQLite files a and b, column col of the same type in each. */
static int same_rows(const char *a, const char *b, const char *table, const char *col)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT (SELECT count(*) FROM (SELECT * FROM main.%s EXCEPT SELECT * FROM b.%s)) + "
             "(SELECT count(*) FROM (SELECT * FROM b.%s EXCEPT SELECT * FROM main.%s)) + "
             "(SELECT count(*) FROM main.%s x JOIN b.%s y ON x.rowid = y.rowid WHERE "
             "typeof(x.%s) <> typeof(y.%s)) + "
             "((SELECT count(*) FROM main.%s) <> (SELECT count(*) FROM b.%s))",
             table, table, table, table, table, table, col, col, table, table);
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    char attach[300];
    snprintf(attach, sizeof attach, "ATTACH '%s' AS b", b);
    int same = sqlite3_open(a, &h) == SQLITE_OK &&
               sqlite3_exec(h, attach, NULL, NULL, NULL) == SQLITE_OK &&
               sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
               sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0;
    sqlite3_finalize(st);
    sqlite3_close(h);
    return same;
}

/*
 * Values COPY's text format must escape, and values whose type or precision
 * a careless copy loses, go to this run's backend and back to a new SQLite
 * file, and arrive equal both ways.
 */
static void test_copy_awkward_values(void **state)
{
    (void)state;
    char src[160], back[160];
    snprintf(src, sizeof src, "%s/awkward.db", dir);
    snprintf(back, sizeof back, "%s/back.db", dir);
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    store_options o = {.create = true};
    assert_int_equal(store_open(src, &o, &s, &err), PL_OK);
    store_close(s);
    assert_int_equal(store_open(back, &o, &s, &err), PL_OK);
    store_close(s);
    raw_exec(src,
             "INSERT INTO org_unit (id, parent_id, program_id, kind, name, updated_at) VALUES "
             "(1, NULL, 1, 'program', 'O''Brien \"quoted\" program', 0);"
             "INSERT INTO org_unit_ancestor (unit_id, ancestor_id, depth) VALUES (1, 1, 0);"
             "INSERT INTO person (id, program_id, given_name, family_name, sex, birth_date, phone, "
             "address, language) VALUES "
             "(1, 1, 'Tab\there', 'new\nline', 'female', 9223372036854775807, NULL, "
             "'back\\slash \\N \\. and \\\\x00', NULL),"
             "(2, 1, '\xe5\xbc\xa0\xe4\xbc\x9f \xf0\x9f\x98\x80 Jos\xc3\xa9', 'cr\r\nlf', "
             "'male', -9223372036854775807, '+86 021-1234', '\\.', 'zh'),"
             "(3, 1, '', NULL, 'other', 0, '', '\t\t', '');"
             "INSERT INTO participant (id, person_id, program_id, treatment, enrol_date, status, "
             "consent, home_unit_id, risk_tier, updated_at) VALUES "
             "(1, 1, 1, 'oral', 20000, 'enrolled', 1, 1, 'standard', 0);"
             "INSERT INTO measurement (id, participant_id, code, analyte, value, unit, "
             "entered_value, entered_unit, effective_at, source, created_at) VALUES "
             "(1, 1, '4548-4', 'hba1c', 0.1, '%', '0.1', '%', 0, 'lab', 0),"
             "(2, 1, '4548-4', 'hba1c', 1e-300, '%', 'tiny', '%', 1, 'lab', 0),"
             "(3, 1, '4548-4', 'hba1c', -2.5e300, '%', 'huge', '%', 2, 'lab', 0),"
             "(4, 1, '4548-4', 'hba1c', 123456789.12345679, '%', '123456789.123456789', '%', 3, "
             "'lab', 0),"
             "(5, 1, '4548-4', 'hba1c', 7.0, '%', '7', '%', 4, 'lab', 9007199254740993);"
             "INSERT INTO setting (key, value) VALUES "
             "('awkward', X'00FF5C090A0D5C4E2C22275C2E0A'), ('empty', X'');");

    store_copy_report rep;
    assert_int_equal(store_copy(src, path2, &rep, &err), PL_OK);
    /* on the target, read with its own SQL */
    assert_int_equal(test_db_int(path2, "SELECT count(*) FROM person WHERE given_name = "
                                        "'Tab\there' AND family_name = 'new\nline' AND "
                                        "birth_date = 9223372036854775807 AND phone IS NULL AND "
                                        "address = 'back\\slash \\N \\. and \\\\x00'"),
                     1);
    assert_int_equal(test_db_int(path2, "SELECT count(*) FROM person WHERE given_name = "
                                        "'\xe5\xbc\xa0\xe4\xbc\x9f \xf0\x9f\x98\x80 Jos\xc3\xa9' "
                                        "AND family_name = 'cr\r\nlf' AND birth_date = "
                                        "-9223372036854775807 AND address = '\\.'"),
                     1);
    assert_int_equal(test_db_int(path2, "SELECT count(*) FROM person WHERE id = 3 AND "
                                        "given_name = '' AND family_name IS NULL AND phone = '' "
                                        "AND address = '\t\t'"),
                     1);
    assert_int_equal(test_db_int(path2, "SELECT count(*) FROM org_unit WHERE name = "
                                        "'O''Brien \"quoted\" program'"),
                     1);
    assert_int_equal(test_db_int(path2, "SELECT count(*) FROM measurement WHERE (id = 1 AND value "
                                        "= 0.1) OR (id = 2 AND value = 1e-300) OR (id = 3 AND "
                                        "value = -2.5e300) OR (id = 4 AND value = "
                                        "123456789.12345679) OR (id = 5 AND created_at = "
                                        "9007199254740993)"),
                     5);
    assert_int_equal(test_db_int(path2, test_db_pg() ? "SELECT count(*) FROM setting WHERE key = "
                                                       "'awkward' AND value = "
                                                       "'\\x00ff5c090a0d5c4e2c22275c2e0a'::bytea"
                                                     : "SELECT count(*) FROM setting WHERE key = "
                                                       "'awkward' AND value = "
                                                       "X'00FF5C090A0D5C4E2C22275C2E0A'"),
                     1);
    assert_int_equal(test_db_int(path2, "SELECT count(*) FROM setting WHERE key = 'empty' AND "
                                        "length(value) = 0"),
                     1);

    /* and back to a SQLite file: every row equal to the source's, value types included */
    assert_int_equal(store_copy(path2, back, &rep, &err), PL_OK);
    assert_true(same_rows(src, back, "person", "birth_date"));
    assert_true(same_rows(src, back, "measurement", "value"));
    assert_true(same_rows(src, back, "setting", "value"));
    assert_true(same_rows(src, back, "org_unit", "name"));
    const char *files[] = {src, back};
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int f = 0; f < 2; f++)
        for (int i = 0; i < 3; i++) {
            char p[200];
            snprintf(p, sizeof p, "%s%s", files[f], suffix[i]);
            unlink(p);
        }
}

/*
 * A streamed read (db_prepare_stream: single-row mode on PostgreSQL) sees
 * every row, and one left part-way leaves its connection usable.
 */
static void test_stream_reads(void **state)
{
    (void)state;
    store *s = open_new();
    store_close(s);
    db_conn *c = NULL;
    assert_int_equal(db_open(path, SQLITE_OPEN_READWRITE, &c), DB_OK);
    static const char series[] = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                                 "WHERE i < 5000) SELECT i, 'row ' || i FROM n";
    db_stmt *st = NULL;
    assert_int_equal(db_prepare_stream(c, series, &st), DB_OK);
    for (int i = 1; i <= 10; i++) {
        assert_int_equal(db_step(st), DB_ROW);
        assert_int_equal(db_column_int64(st, 0), i);
    }
    db_reset(st); /* 4,990 rows never read */
    assert_int_equal(db_exec(c, "CREATE TABLE stream_probe (x INTEGER)"), DB_OK);
    int64_t n = 0, sum = 0;
    while (db_step(st) == DB_ROW) {
        n++;
        sum += db_column_int64(st, 0);
    }
    assert_int_equal(n, 5000);
    assert_int_equal(sum, 5000 * 5001 / 2);
    assert_int_equal(db_column_count(st), 2);
    db_finalize(st);
    assert_int_equal(db_exec(c, "DROP TABLE stream_probe"), DB_OK);
    db_close(c);
}

/*
 * The Bulk export jobs' rows (store_fhir_export.h): the ceilings counted in
 * the insert's transaction, claims oldest first, a cancel seen by the
 * runner's next write, a job finished once, a requeue, and the clean-up's
 * choice of finished and lost jobs.
 */
typedef struct export_op {
    enum { EX_INSERT, EX_CLAIM, EX_PROGRESS, EX_FINISH, EX_CANCEL, EX_REQUEUE, EX_DELETE } op;
    const char *id;
    pl_time at;
    int active_max, kept_max;
    pl_arena *a;
    store_export_job job;
} export_op;

static pl_status export_tx(store_tx *tx, void *ctx, pl_err *err)
{
    export_op *o = ctx;
    switch (o->op) {
    case EX_INSERT:
        return store_export_insert(tx, &o->job, o->active_max, o->kept_max, err);
    case EX_CLAIM:
        return store_export_claim(tx, "/srv/exports", o->at, o->a, &o->job, err);
    case EX_PROGRESS:
        return store_export_progress(tx, o->id, "Patient 5/9", "0:1:5", o->at, err);
    case EX_FINISH:
        return store_export_finish(tx, o->id, STORE_EXPORT_DONE, NULL, "0:1:9", o->at, err);
    case EX_CANCEL:
        return store_export_cancel(tx, o->id, err);
    case EX_REQUEUE:
        return store_export_requeue(tx, o->id, err);
    case EX_DELETE:
        return store_export_delete(tx, o->id, err);
    }
    return PL_OK;
}

static pl_status export_do(store *s, export_op o)
{
    pl_err err;
    pl_err_clear(&err);
    return store_write(s, export_tx, &o, &err);
}

static void test_export_jobs(void **state)
{
    (void)state;
    store *s = open_new();
    pl_arena a;
    pl_arena_init(&a, 1u << 20);
    pl_err err;
    pl_err_clear(&err);
    const char *ids[] = {"aaaa", "bbbb", "cccc", "dddd"};
    for (int i = 0; i < 3; i++) {
        export_op o = {.op = EX_INSERT, .active_max = 3, .kept_max = 5};
        o.job = (store_export_job){.id = ids[i],
                                   .account_id = 1,
                                   .role = 1,
                                   .types = 3,
                                   .since = PL_TIME_NONE,
                                   .kicked_off = 1000 - i,
                                   .request = "http://h/fhir/$export",
                                   .client_addr = "::1"};
        assert_int_equal(export_do(s, o), PL_OK);
    }
    export_op more = {.op = EX_INSERT, .active_max = 3, .kept_max = 5};
    more.job = (store_export_job){.id = ids[3],
                                  .account_id = 1,
                                  .kicked_off = 2000,
                                  .since = PL_TIME_NONE,
                                  .request = "r",
                                  .client_addr = "a"};
    assert_int_equal(export_do(s, more), PL_LIMIT); /* three queued */
    more.active_max = 10;
    more.kept_max = 3;
    assert_int_equal(export_do(s, more), PL_LIMIT); /* three kept */

    /* claims: the oldest kick-off first (cccc was kicked off first) */
    export_op claim = {.op = EX_CLAIM, .at = 5000, .a = &a};
    pl_status st = store_write(s, export_tx, &claim, &err);
    assert_int_equal(st, PL_OK);
    assert_string_equal(claim.job.id, "cccc");
    assert_int_equal(claim.job.state, STORE_EXPORT_RUNNING);
    assert_string_equal(claim.job.dir, "/srv/exports");
    assert_int_equal(claim.job.types, 3);
    assert_int_equal(claim.job.since, PL_TIME_NONE);
    assert_int_equal(store_write(s, export_tx, &claim, &err), PL_OK);
    assert_string_equal(claim.job.id, "bbbb");

    /* progress on a running job; after a cancel the runner's next write is refused */
    assert_int_equal(export_do(s, (export_op){.op = EX_PROGRESS, .id = "cccc", .at = 5001}), PL_OK);
    store_export_job got;
    assert_int_equal(store_export_get(s, "cccc", &a, &got, &err), PL_OK);
    assert_string_equal(got.progress, "Patient 5/9");
    assert_string_equal(got.outputs, "0:1:5");
    assert_int_equal(got.heartbeat_at, 5001);
    assert_int_equal(export_do(s, (export_op){.op = EX_CANCEL, .id = "cccc"}), PL_OK);
    assert_int_equal(export_do(s, (export_op){.op = EX_PROGRESS, .id = "cccc", .at = 5002}),
                     PL_STALE);
    assert_int_equal(export_do(s, (export_op){.op = EX_FINISH, .id = "cccc", .at = 5002}),
                     PL_STALE);

    /* a job finishes once; a queued one cannot be requeued, a running one can */
    assert_int_equal(export_do(s, (export_op){.op = EX_FINISH, .id = "bbbb", .at = 6000}), PL_OK);
    assert_int_equal(export_do(s, (export_op){.op = EX_FINISH, .id = "bbbb", .at = 6001}),
                     PL_STALE);
    assert_int_equal(store_export_get(s, "bbbb", &a, &got, &err), PL_OK);
    assert_int_equal(got.state, STORE_EXPORT_DONE);
    assert_int_equal(got.finished_at, 6000);
    assert_string_equal(got.outputs, "0:1:9");
    assert_int_equal(export_do(s, (export_op){.op = EX_REQUEUE, .id = "aaaa"}), PL_STALE);
    assert_int_equal(store_write(s, export_tx, &claim, &err), PL_OK);
    assert_string_equal(claim.job.id, "aaaa");
    assert_int_equal(export_do(s, (export_op){.op = EX_REQUEUE, .id = "aaaa"}), PL_OK);
    assert_int_equal(store_export_get(s, "aaaa", &a, &got, &err), PL_OK);
    assert_int_equal(got.state, STORE_EXPORT_QUEUED);
    assert_null(got.dir);

    /* the clean-up: bbbb finished before 6500, cccc cancelled with no heartbeat since 5001;
       aaaa is queued and stays */
    store_export_job *stale;
    int n = 0;
    assert_int_equal(store_export_stale(s, 6500, 5500, 10, &a, &stale, &n, &err), PL_OK);
    assert_int_equal(n, 2);
    assert_string_equal(stale[0].id, "cccc");
    assert_string_equal(stale[1].id, "bbbb");
    assert_int_equal(store_export_stale(s, 5999, 5000, 10, &a, &stale, &n, &err), PL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(export_do(s, (export_op){.op = EX_DELETE, .id = "cccc"}), PL_OK);
    assert_int_equal(store_export_get(s, "cccc", &a, &got, &err), PL_NOTFOUND);
    pl_arena_free(&a);
    store_close(s);
}

PL_TEST_MAIN(cmocka_unit_test_setup_teardown(test_migrates_empty_database, setup, teardown),
             cmocka_unit_test_setup_teardown(test_missing_file_without_create, setup, teardown),
             cmocka_unit_test_setup_teardown(test_refuses_newer_schema, setup, teardown),
             cmocka_unit_test_setup_teardown(test_refuses_non_database, setup, teardown),
             cmocka_unit_test_setup_teardown(test_refuses_foreign_database, setup, teardown),
             cmocka_unit_test_setup_teardown(test_refuses_locked_database, setup, teardown),
             cmocka_unit_test_setup_teardown(test_postgres_unreachable, setup, teardown),
             cmocka_unit_test_setup_teardown(test_round_trip_every_entity, setup, teardown),
             cmocka_unit_test_setup_teardown(test_failed_write_changes_nothing, setup, teardown),
             cmocka_unit_test_setup_teardown(test_group_commit_isolates_failures, setup, teardown),
             cmocka_unit_test_setup_teardown(test_contact_needs_participant, setup, teardown),
             cmocka_unit_test_setup_teardown(test_migrates_version_1_database, setup, teardown),
             cmocka_unit_test_setup_teardown(test_org_unit_closure, setup, teardown),
             cmocka_unit_test_setup_teardown(test_participant_visible_scope, setup, teardown),
             cmocka_unit_test_setup_teardown(test_participant_list_filters, setup, teardown),
             cmocka_unit_test_setup_teardown(test_participant_list_pages, setup, teardown),
             cmocka_unit_test_setup_teardown(test_contact_list_filters, setup, teardown),
             cmocka_unit_test_setup_teardown(test_measurement_list_filters, setup, teardown),
             cmocka_unit_test_setup_teardown(test_org_leader_staff_lists, setup, teardown),
             cmocka_unit_test_setup_teardown(test_participant_update_versions, setup, teardown),
             cmocka_unit_test_setup_teardown(test_staff_account_update_versions, setup, teardown),
             cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
             cmocka_unit_test_setup_teardown(test_session_touch_is_asynchronous, setup, teardown),
             cmocka_unit_test_setup_teardown(test_audit_append_and_list, setup, teardown),
             cmocka_unit_test_setup_teardown(test_audit_enqueue_copies, setup, teardown),
             cmocka_unit_test_setup_teardown(test_audit_is_append_only, setup, teardown),
             cmocka_unit_test_setup_teardown(test_idempotency, setup, teardown),
             cmocka_unit_test_setup_teardown(test_alert_round_trip, setup, teardown),
             cmocka_unit_test_setup_teardown(test_questionnaire_round_trip, setup, teardown),
             cmocka_unit_test_setup_teardown(test_write_async_copies_ctx, setup, teardown),
             cmocka_unit_test_setup_teardown(test_key_function_codes_and_person_get, setup,
                                             teardown),
             cmocka_unit_test_setup_teardown(test_copy_verified_all_or_nothing, setup, teardown),
             cmocka_unit_test_setup_teardown(test_copy_awkward_values, setup, teardown),
             cmocka_unit_test_setup_teardown(test_stream_reads, setup, teardown),
             cmocka_unit_test_setup_teardown(test_export_jobs, setup, teardown))
