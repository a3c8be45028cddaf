/*
 * test_web.c - the web layer's pure parts: the escaping HTML writer, the
 * form parser, the message catalog and locale formatting.
 *
 * The catalog test reads the page sources (the .c files of src/web under
 * PEERLINK_SOURCE_ROOT) and fails when a key they use is missing from the
 * catalog: every string literal that looks like "<prefix>.<name>" for the
 * prefixes of the catalog, and every "<prefix>.<name>" built from an enum
 * (modes, key functions, topics, alert kinds ...) the pages show.
 */
#include <dirent.h>

#include "test.h"

#include "core/arena.h"
#include "core/domain.h"
#include "core/group.h"
#include "core/instrument.h"
#include "core/referral.h"
#include "core/rules.h"
#include "web/form.h"
#include "web/html.h"
#include "web/i18n.h"

/* ---- the HTML writer ------------------------------------------------------ */

static void test_html_escapes_every_value(void **state)
{
    (void)state;
    pl_buf b;
    pl_buf_init(&b, 0);
    html h;
    html_init(&h, &b);
    html_out(&h, "<a href=\"/p/%D\" title=\"%s\">%s</a> %d%%", (int64_t)42,
             "\"><script>alert(1)</script>", "Tom & Jerry's <b>", 7);
    assert_int_equal(h.status, PL_OK);
    assert_string_equal(b.data, "<a href=\"/p/42\" title=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/"
                                "script&gt;\">Tom &amp; Jerry&#39;s &lt;b&gt;</a> 7%");
    pl_buf_free(&b);
}

static void test_html_null_and_utf8(void **state)
{
    (void)state;
    pl_buf b;
    pl_buf_init(&b, 0);
    html h;
    html_init(&h, &b);
    html_out(&h, "[%s][%s]", (const char *)NULL, "糖化血红蛋白 ñ");
    html_raw(&h, "<br>");
    html_text(&h, "a<b");
    assert_string_equal(b.data, "[][糖化血红蛋白 ñ]<br>a&lt;b");
    pl_buf_free(&b);
}

static void test_html_ceiling_sticks(void **state)
{
    (void)state;
    pl_buf b;
    pl_buf_init(&b, 16);
    html h;
    html_init(&h, &b);
    html_out(&h, "<p>%s</p>", "0123456789abcdef");
    assert_int_equal(h.status, PL_LIMIT);
    size_t len = b.len;
    html_raw(&h, "x");
    assert_int_equal(b.len, len); /* nothing more is written once it failed */
    pl_buf_free(&b);
}

/* ---- the form parser ------------------------------------------------------ */

static pl_status parse(const char *body, pl_arena *a, web_form *f, pl_err *err)
{
    pl_err_clear(err);
    return web_form_parse(body, strlen(body), a, f, err);
}

static void test_form_decodes(void **state)
{
    (void)state;
    pl_arena a;
    pl_arena_init(&a, 0);
    web_form f;
    pl_err err;
    assert_int_equal(parse("mode=phone&note=a+b%20c%26d%3D&key_functions=linkage&key_functions="
                           "ongoing&empty=&flag&note2=%E7%B3%96",
                           &a, &f, &err),
                     PL_OK);
    assert_int_equal(f.n, 7);
    assert_string_equal(web_form_get(&f, "mode"), "phone");
    assert_string_equal(web_form_get(&f, "note"), "a b c&d=");
    assert_string_equal(web_form_get(&f, "empty"), "");
    assert_string_equal(web_form_get(&f, "flag"), "");
    assert_string_equal(web_form_get(&f, "note2"), "糖");
    assert_null(web_form_get(&f, "missing"));
    const char *kf[4];
    assert_int_equal(web_form_all(&f, "key_functions", kf, 4), 2);
    assert_string_equal(kf[0], "linkage");
    assert_string_equal(kf[1], "ongoing");
    /* only len bytes are read */
    assert_int_equal(web_form_parse("a=1&b=2", 3, &a, &f, &err), PL_OK);
    assert_int_equal(f.n, 1);
    assert_string_equal(web_form_get(&f, "a"), "1");
    /* empty pairs are skipped; an empty body is an empty form */
    assert_int_equal(parse("&&a=1&&", &a, &f, &err), PL_OK);
    assert_int_equal(f.n, 1);
    assert_int_equal(web_form_parse(NULL, 0, &a, &f, &err), PL_OK);
    assert_int_equal(f.n, 0);
    pl_arena_free(&a);
}

static void test_form_refuses_bad_bytes(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        const char *field; /* the field the error names */
    } cases[] = {
        {"note=%4", "note"},        /* escape cut short */
        {"note=%zz", "note"},       /* not hex */
        {"note=a%00b", "note"},     /* NUL */
        {"note=%01", "note"},       /* control character */
        {"note=%C3%28", "note"},    /* not UTF-8 */
        {"note=%C0%AF", "note"},    /* overlong */
        {"note=%ED%A0%80", "note"}, /* surrogate */
        {"n%zz=1", "form"},         /* a bad name */
    };
    pl_arena a;
    pl_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        web_form f;
        pl_err err;
        assert_int_equal(parse(cases[i].body, &a, &f, &err), PL_INVALID);
        assert_true(test_field_error(&err, cases[i].field, NULL));
    }
    /* tab, CR and LF are text */
    web_form f;
    pl_err err;
    assert_int_equal(parse("note=a%09b%0D%0Ac", &a, &f, &err), PL_OK);
    assert_string_equal(web_form_get(&f, "note"), "a\tb\r\nc");
    pl_arena_free(&a);
}

static void test_form_ceilings(void **state)
{
    (void)state;
    pl_arena a;
    pl_arena_init(&a, 0);
    pl_buf b;
    pl_buf_init(&b, 0);
    for (int i = 0; i <= WEB_FORM_MAX_FIELDS; i++)
        pl_buf_printf(&b, "f%d=%d&", i, i);
    web_form f;
    pl_err err;
    pl_err_clear(&err);
    assert_int_equal(web_form_parse(b.data, b.len, &a, &f, &err), PL_LIMIT);
    assert_non_null(strstr(err.message, "fields"));
    pl_err_clear(&err);
    assert_int_equal(web_form_parse(b.data, WEB_FORM_MAX_BYTES + 1, &a, &f, &err), PL_LIMIT);
    assert_non_null(strstr(err.message, "bytes"));
    pl_buf_free(&b);
    pl_arena_free(&a);
}

/* ---- the catalog ---------------------------------------------------------- */

static bool in_catalog(const char *key)
{
    for (int i = 0; i < web_catalog_size(); i++)
        if (strcmp(web_catalog_at(i)->key, key) == 0)
            return true;
    return false;
}

static void test_catalog_rows_complete_and_sorted(void **state)
{
    (void)state;
    assert_true(web_catalog_size() > 100);
    for (int i = 0; i < web_catalog_size(); i++) {
        const web_message *m = web_catalog_at(i);
        for (int l = 0; l < WEB_LANG__COUNT; l++)
            if (!m->text[l] || !m->text[l][0])
                fail_msg("catalog key %s has no %s text", m->key, web_lang_code((web_lang)l));
        if (i > 0 && strcmp(web_catalog_at(i - 1)->key, m->key) >= 0)
            fail_msg("catalog keys out of order at %s", m->key);
    }
}

/* Every "prefix.name" string literal in the page sources, for the catalog's prefixes. */
static void test_catalog_has_every_key_the_pages_use(void **state)
{
    (void)state;
    static const char *const prefixes[] = {"nav.",      "login.",  "err.",   "form.",
                                           "worklist.", "record.", "chart.", "contact.",
                                           "measure.",  "alerts.", "dash.",  NULL};
    const char *root = getenv("PEERLINK_SOURCE_ROOT");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/src/web", root ? root : ".");
    DIR *d = opendir(dir);
    assert_non_null(d);
    int files = 0, keys = 0, missing = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 3 || strcmp(e->d_name + n - 2, ".c") != 0 || strcmp(e->d_name, "i18n.c") == 0)
            continue;
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *fp = fopen(path, "r");
        assert_non_null(fp);
        files++;
        char line[4096];
        while (fgets(line, sizeof line, fp)) {
            for (char *q = strchr(line, '"'); q; q = strchr(q, '"')) {
                char *end = strchr(q + 1, '"');
                if (!end)
                    break;
                size_t len = (size_t)(end - q - 1);
                char lit[128];
                /* a file name ("form.h") is not a key */
                bool file =
                    len > 2 && (strncmp(end - 2, ".h", 2) == 0 || strncmp(end - 2, ".c", 2) == 0);
                if (len > 0 && len < sizeof lit && !file) {
                    memcpy(lit, q + 1, len);
                    lit[len] = '\0';
                    for (int p = 0; prefixes[p]; p++)
                        if (strncmp(lit, prefixes[p], strlen(prefixes[p])) == 0 &&
                            strspn(lit, "abcdefghijklmnopqrstuvwxyz0123456789_.") == len) {
                            keys++;
                            if (!in_catalog(lit)) {
                                print_error("%s uses %s, which the catalog lacks\n", e->d_name,
                                            lit);
                                missing++;
                            }
                        }
                }
                q = end + 1;
            }
        }
        fclose(fp);
    }
    closedir(d);
    assert_true(files >= 3);
    assert_true(keys > 50);
    assert_int_equal(missing, 0);
}

static void check_enum(const char *prefix, const char *const *names, int *missing)
{
    for (int i = 0; names[i]; i++) {
        char key[96];
        snprintf(key, sizeof key, "%s.%s", prefix, names[i]);
        if (!in_catalog(key)) {
            print_error("the catalog lacks %s\n", key);
            (*missing)++;
        }
    }
}

static void test_catalog_has_every_enum_value_shown(void **state)
{
    (void)state;
    int missing = 0;
    check_enum("mode", pl_contact_mode_names, &missing);
    check_enum("kf", pl_key_function_names, &missing);
    check_enum("topic", pl_topic_names, &missing);
    check_enum("tier", pl_risk_tier_names, &missing);
    check_enum("arm", pl_arm_names, &missing);
    check_enum("rstatus", pl_referral_status_names, &missing);
    check_enum("attend", pl_attendance_names, &missing);
    check_enum("need", pl_referral_need_names, &missing);
    check_enum("role", pl_role_names, &missing);
    check_enum("sstatus", pl_session_status_names, &missing);
    const char *alerts[RULES_ALERT__COUNT + 2];
    for (int k = 0; k < RULES_ALERT__COUNT; k++)
        alerts[k] = rules_alert_kind_name((rules_alert_kind)k);
    alerts[RULES_ALERT__COUNT] = "peer_concern";
    alerts[RULES_ALERT__COUNT + 1] = NULL;
    check_enum("alert", alerts, &missing);
    const char *due[RULES_DUE__COUNT + 4];
    for (int k = 0; k < RULES_DUE__COUNT; k++)
        due[k] = rules_due_status_name((rules_due_status)k);
    due[RULES_DUE__COUNT] = "urgent_alert";
    due[RULES_DUE__COUNT + 1] = "attention_alert";
    due[RULES_DUE__COUNT + 2] = "none";
    due[RULES_DUE__COUNT + 3] = NULL;
    check_enum("priority", due, &missing);
    static const char *const tasks[] = {"follow_up", "referral", "custom", NULL};
    check_enum("task", tasks, &missing);
    static const char *const astatus[] = {"open", "acknowledged", "resolved", NULL};
    check_enum("astatus", astatus, &missing);
    static const char *const sev[] = {"urgent", "attention", NULL};
    check_enum("severity", sev, &missing);
    static const char *const levels[] = {"low", "medium", "high", NULL};
    check_enum("level", levels, &missing);
    for (int id = 0; id < INSTR__COUNT; id++) {
        const instrument_def *d = instrument_get((instrument_id)id);
        for (int b = 0; d && b < d->nbands; b++) {
            const char *one[2] = {d->bands[b].name, NULL};
            check_enum("band", one, &missing);
        }
    }
    static const char *const months[] = {"1", "2", "3",  "4",  "5",  "6", "7",
                                         "8", "9", "10", "11", "12", NULL};
    check_enum("month", months, &missing);
    assert_int_equal(missing, 0);
}

static void test_lookup_and_fallback(void **state)
{
    (void)state;
    assert_string_equal(web_t(WEB_LANG_ES, "worklist.title"), "Mi lista de trabajo");
    assert_string_equal(web_t(WEB_LANG_ZH, "worklist.title"), "我的工作清单");
    assert_string_equal(web_t(WEB_LANG_EN, "no.such.key"), "no.such.key");
    assert_string_equal(web_tk(WEB_LANG_ES, "mode", "phone"), "Llamada telefónica");
    assert_string_equal(web_tk(WEB_LANG_ES, "mode", "telepathy"), "telepathy");
}

/* ---- language and formats ------------------------------------------------- */

static void test_negotiation(void **state)
{
    (void)state;
    static const struct {
        const char *header;
        web_lang want;
    } cases[] = {
        {NULL, WEB_LANG_EN},
        {"", WEB_LANG_EN},
        {"fr-FR,fr;q=0.9", WEB_LANG_EN},
        {"es-MX,es;q=0.9,en;q=0.5", WEB_LANG_ES},
        {"zh-CN", WEB_LANG_ZH},
        {"zh-Hans-CN;q=0.8, es;q=0.9", WEB_LANG_ES},
        {"fr;q=1, zh;q=0.3, en;q=0.2", WEB_LANG_ZH},
        {"en-GB, es", WEB_LANG_EN}, /* a tie: the first */
        {"de,,;;q=,zh-TW;q=0.1", WEB_LANG_ZH},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        if (web_lang_negotiate(cases[i].header) != cases[i].want)
            fail_msg("Accept-Language '%s'", cases[i].header ? cases[i].header : "(none)");
    assert_int_equal(web_lang_from_code("zh-CN"), WEB_LANG_ZH);
    assert_int_equal(web_lang_from_code("xx"), -1);
    assert_int_equal(web_lang_from_code(NULL), -1);
}

static void test_formats(void **state)
{
    (void)state;
    char d[WEB_DATE_MAX], n[WEB_NUM_MAX];
    pl_date day = pl_date_from_ymd(2026, 3, 7);
    web_fmt_date(WEB_LANG_EN, day, d);
    assert_string_equal(d, "7 Mar 2026");
    web_fmt_date(WEB_LANG_ES, day, d);
    assert_string_equal(d, "07/03/2026");
    web_fmt_date(WEB_LANG_ZH, day, d);
    assert_string_equal(d, "2026年3月7日");
    web_fmt_num(WEB_LANG_EN, 7.26, 1, n);
    assert_string_equal(n, "7.3");
    web_fmt_num(WEB_LANG_ES, 7.35, 2, n);
    assert_string_equal(n, "7,35");
    web_fmt_num(WEB_LANG_ZH, 12, 0, n);
    assert_string_equal(n, "12");
}

PL_TEST_MAIN(cmocka_unit_test(test_html_escapes_every_value),
             cmocka_unit_test(test_html_null_and_utf8), cmocka_unit_test(test_html_ceiling_sticks),
             cmocka_unit_test(test_form_decodes), cmocka_unit_test(test_form_refuses_bad_bytes),
             cmocka_unit_test(test_form_ceilings),
             cmocka_unit_test(test_catalog_rows_complete_and_sorted),
             cmocka_unit_test(test_catalog_has_every_key_the_pages_use),
             cmocka_unit_test(test_catalog_has_every_enum_value_shown),
             cmocka_unit_test(test_lookup_and_fallback), cmocka_unit_test(test_negotiation),
             cmocka_unit_test(test_formats))
