/*
 * test_store.c - the SQLite store: migrations, refusals, round trips and
 * group commit, on real database files in a temporary directory.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "test.h"

#include "core/measure.h"
#include "core/time.h"
#include "store/store.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/pl-store-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/test.db", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[160];
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
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
    sqlite3 *db;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, script, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* ---- opening ------------------------------------------------------------ */

static void test_migrates_empty_database(void **state)
{
    (void)state;
    store *s = open_new();
    assert_int_equal(store_schema_version(s), store_schema_version_latest());
    assert_string_equal(store_backend_name(s), "sqlite");
    store_close(s);
    /* reopening applies nothing twice */
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(store_open(path, NULL, &s, &err), PL_OK);
    assert_int_equal(store_schema_version(s), store_schema_version_latest());
    store_close(s);
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM schema_version", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), store_schema_version_latest());
    sqlite3_finalize(st);
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
    assert_int_equal(access(path, F_OK), -1);
}

static void test_refuses_newer_schema(void **state)
{
    (void)state;
    store_close(open_new());
    raw_exec(path, "INSERT INTO schema_version VALUES (999, 0)");
    uint64_t before = file_hash(path);
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    assert_int_equal(store_open(path, NULL, &s, &err), PL_SCHEMA);
    assert_null(s);
    assert_non_null(strstr(err.message, "schema version 999"));
    assert_non_null(strstr(err.message, "upgrade peerlink"));
    assert_int_equal(file_hash(path), before);
}

static void test_refuses_non_database(void **state)
{
    (void)state;
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
    uint64_t before = file_hash(path);
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    assert_int_equal(store_open(path, NULL, &s, &err), PL_SCHEMA);
    assert_non_null(strstr(err.message, "not a peerlink database"));
    assert_int_equal(file_hash(path), before);
}

static void test_refuses_locked_database(void **state)
{
    (void)state;
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

static void test_postgres_location_reserved(void **state)
{
    (void)state;
    pl_err err;
    pl_err_clear(&err);
    store *s = NULL;
    assert_int_equal(store_open("postgresql://localhost/peerlink", NULL, &s, &err), PL_USAGE);
    assert_non_null(strstr(err.message, "PostgreSQL"));
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
    /* every acknowledged write is in the file, seen by an independent connection */
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT count(*) FROM org_unit WHERE code LIKE 'T%'", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 32);
    sqlite3_finalize(st);
    sqlite3_close(db);
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

PL_TEST_MAIN(cmocka_unit_test_setup_teardown(test_migrates_empty_database, setup, teardown),
             cmocka_unit_test_setup_teardown(test_missing_file_without_create, setup, teardown),
             cmocka_unit_test_setup_teardown(test_refuses_newer_schema, setup, teardown),
             cmocka_unit_test_setup_teardown(test_refuses_non_database, setup, teardown),
             cmocka_unit_test_setup_teardown(test_refuses_foreign_database, setup, teardown),
             cmocka_unit_test_setup_teardown(test_refuses_locked_database, setup, teardown),
             cmocka_unit_test_setup_teardown(test_postgres_location_reserved, setup, teardown),
             cmocka_unit_test_setup_teardown(test_round_trip_every_entity, setup, teardown),
             cmocka_unit_test_setup_teardown(test_failed_write_changes_nothing, setup, teardown),
             cmocka_unit_test_setup_teardown(test_group_commit_isolates_failures, setup, teardown),
             cmocka_unit_test_setup_teardown(test_contact_needs_participant, setup, teardown))
