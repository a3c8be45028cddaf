/*
 * test_core_memory.c - arena, buffer, error record, text check and seeded
 * random numbers (src/core/arena.c, buf.c, status.c, domain.c, rng.c).
 */
#include <math.h>
#include <string.h>

#include "test.h"

#include "core/arena.h"
#include "core/buf.h"
#include "core/domain.h"
#include "core/rng.h"
#include "core/status.h"

/* ---- arena -------------------------------------------------------------- */

static bool all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static void test_arena_alignment_and_zero(void **state)
{
    pl_arena a;
    pl_arena_init(&a, 0);
    static const size_t sizes[] = {1, 3, 15, 16, 17, 100, 1000, 5, 40000, 2};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *p = pl_arena_alloc(&a, sizes[i]);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        assert_true(all_zero(p, sizes[i]));
        memset(p, 0xAB, sizes[i]); /* the whole request is writable (ASan checks) */
    }
    pl_arena_free(&a);
}

static void test_arena_allocations_do_not_overlap(void **state)
{
    pl_arena a;
    pl_arena_init(&a, 0);
    unsigned char *p[200];
    for (int i = 0; i < 200; i++) {
        p[i] = pl_arena_alloc(&a, 200); /* 40 000 bytes: spans several blocks */
        assert_non_null(p[i]);
        memset(p[i], i, 200);
    }
    for (int i = 0; i < 200; i++)
        for (int j = 0; j < 200; j++)
            if (p[i][j] != (unsigned char)i)
                fail_msg("allocation %d was overwritten", i);
    pl_arena_free(&a);
}

static void test_arena_ceiling(void **state)
{
    pl_arena a;
    pl_arena_init(&a, 1024);
    char *big = pl_arena_alloc(&a, 1000); /* takes 1008 after rounding to 16 */
    assert_non_null(big);
    memset(big, 'b', 1000);
    assert_null(pl_arena_alloc(&a, 32)); /* 1008 + 32 > 1024 */
    char *last = pl_arena_alloc(&a, 16); /* exactly at the ceiling */
    assert_non_null(last);
    assert_null(pl_arena_alloc(&a, 1));
    assert_null(pl_arena_strdup(&a, "x"));
    assert_null(pl_arena_printf(&a, "%d", 1));
    /* what was handed out before the refusal is intact */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(big[i], 'b');
    /* absurd sizes are refused, not wrapped round */
    assert_null(pl_arena_alloc(&a, SIZE_MAX));
    assert_null(pl_arena_alloc(&a, SIZE_MAX - 7));
    pl_arena_free(&a);

    pl_arena_init(&a, 0); /* 0 means the 64 MiB default */
    assert_null(pl_arena_alloc(&a, 64u * 1024 * 1024 + 1));
    assert_non_null(pl_arena_alloc(&a, 1024));
    pl_arena_free(&a);
}

static void test_arena_reset(void **state)
{
    pl_arena a;
    pl_arena_init(&a, 64 * 1024);
    for (int i = 0; i < 4; i++)
        assert_non_null(pl_arena_alloc(&a, 16 * 1024)); /* the whole ceiling */
    assert_null(pl_arena_alloc(&a, 16));
    pl_arena_reset(&a);
    /* the ceiling counts from zero again and memory comes back zeroed */
    for (int i = 0; i < 4; i++) {
        unsigned char *p = pl_arena_alloc(&a, 16 * 1024);
        assert_non_null(p);
        assert_true(all_zero(p, 16 * 1024));
        memset(p, 0xFF, 16 * 1024);
    }
    assert_null(pl_arena_alloc(&a, 16));
    pl_arena_reset(&a);
    pl_arena_reset(&a); /* twice is harmless */
    assert_non_null(pl_arena_alloc(&a, 100));
    pl_arena_free(&a);

    pl_arena_init(&a, 0);
    pl_arena_reset(&a); /* reset of an unused arena */
    assert_non_null(pl_arena_alloc(&a, 10));
    pl_arena_free(&a);
}

static void test_arena_strings(void **state)
{
    pl_arena a;
    pl_arena_init(&a, 0);
    char src[] = "Mi Salud Es Primero";
    char *copy = pl_arena_strdup(&a, src);
    assert_string_equal(copy, "Mi Salud Es Primero");
    assert_ptr_not_equal(copy, src);
    src[0] = 'X'; /* a copy, not a borrow */
    assert_string_equal(copy, "Mi Salud Es Primero");

    assert_string_equal(pl_arena_strndup(&a, "hello world", 5), "hello");
    assert_string_equal(pl_arena_strndup(&a, "abc", 0), "");
    assert_string_equal(pl_arena_strdup(&a, ""), "");
    assert_string_equal(pl_arena_strdup(&a, "中文"), "中文");
    assert_string_equal(pl_arena_printf(&a, "%s-%03d", "PD", 7), "PD-007");
    char *longs = pl_arena_printf(&a, "%05000d", 1);
    assert_int_equal(strlen(longs), 5000);
    assert_int_equal(longs[4999], '1');
    pl_arena_free(&a);
}

/* ---- buffer ------------------------------------------------------------- */

static void test_buf_append_and_printf(void **state)
{
    pl_buf b;
    pl_buf_init(&b, 0);
    assert_int_equal(pl_buf_puts(&b, "{\"id\":"), PL_OK);
    assert_int_equal(pl_buf_printf(&b, "%d,\"name\":\"%s\"}", 42, "Rosa"), PL_OK);
    assert_string_equal(b.data, "{\"id\":42,\"name\":\"Rosa\"}");
    assert_int_equal(b.len, strlen("{\"id\":42,\"name\":\"Rosa\"}"));
    assert_int_equal(pl_buf_append(&b, "ab\0cd", 5), PL_OK); /* bytes, not strings */
    assert_int_equal(b.len, 23 + 5);
    assert_memory_equal(b.data + 23, "ab\0cd", 5);
    assert_int_equal(b.data[b.len], '\0');
    pl_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void test_buf_grows(void **state)
{
    pl_buf b;
    pl_buf_init(&b, 0);
    for (int i = 0; i < 100000; i++) {
        char c = (char)('a' + i % 26);
        assert_int_equal(pl_buf_append(&b, &c, 1), PL_OK);
    }
    assert_int_equal(b.len, 100000);
    assert_int_equal(strlen(b.data), 100000);
    for (int i = 0; i < 100000; i++)
        if (b.data[i] != 'a' + i % 26)
            fail_msg("byte %d lost while growing", i);
    assert_int_equal(pl_buf_printf(&b, "%0300000d", 5), PL_OK);
    assert_int_equal(b.len, 400000);
    assert_int_equal(b.data[399999], '5');
    pl_buf_free(&b);
}

static void test_buf_ceiling(void **state)
{
    pl_buf b;
    pl_buf_init(&b, 16);
    assert_int_equal(pl_buf_puts(&b, "0123456789"), PL_OK);
    /* 7 more would make 17: refused whole, nothing partly written */
    assert_int_equal(pl_buf_puts(&b, "abcdefg"), PL_LIMIT);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    assert_int_equal(pl_buf_printf(&b, "%s", "abcdefg"), PL_LIMIT);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    /* exactly to the ceiling is fine */
    assert_int_equal(pl_buf_printf(&b, "%s", "abcdef"), PL_OK);
    assert_int_equal(b.len, 16);
    assert_string_equal(b.data, "0123456789abcdef");
    assert_int_equal(pl_buf_append(&b, "x", 1), PL_LIMIT);
    assert_int_equal(pl_buf_printf(&b, "%d", 1), PL_LIMIT);
    assert_int_equal(pl_buf_append(&b, "", 0), PL_OK);
    assert_int_equal(b.len, 16);
    assert_string_equal(b.data, "0123456789abcdef");
    pl_buf_free(&b);

    /* 0 means 16 MiB */
    pl_buf_init(&b, 0);
    static char chunk[1024 * 1024];
    memset(chunk, 'z', sizeof chunk);
    for (int i = 0; i < 16; i++)
        assert_int_equal(pl_buf_append(&b, chunk, sizeof chunk), PL_OK);
    assert_int_equal(b.len, 16u * 1024 * 1024);
    assert_int_equal(pl_buf_append(&b, "z", 1), PL_LIMIT);
    assert_int_equal(b.len, 16u * 1024 * 1024);
    pl_buf_free(&b);
}

static void test_buf_steal(void **state)
{
    pl_buf b;
    pl_buf_init(&b, 0);
    assert_int_equal(pl_buf_printf(&b, "report %d of %d", 1, 3), PL_OK);
    char *s = pl_buf_steal(&b);
    assert_string_equal(s, "report 1 of 3");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    /* the buffer is usable again and no longer shares the stolen memory */
    assert_int_equal(pl_buf_puts(&b, "next"), PL_OK);
    assert_string_equal(b.data, "next");
    assert_ptr_not_equal(b.data, s);
    assert_string_equal(s, "report 1 of 3");
    free(s);
    pl_buf_free(&b);
    pl_buf_free(&b); /* freeing twice is harmless */
}

/* ---- error record ------------------------------------------------------- */

static void add_prefixed(pl_err *e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_prefixed(pl_err *e, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pl_err_fieldv(e, field, fmt, ap);
    va_end(ap);
}

static void test_err_basics(void **state)
{
    pl_err e;
    pl_err_clear(&e);
    assert_int_equal(e.status, PL_OK);
    assert_int_equal(e.nfields, 0);
    assert_string_equal(pl_err_text(&e), "");

    assert_int_equal(pl_err_set(&e, PL_NOTFOUND, "no participant %d", 7), PL_NOTFOUND);
    assert_int_equal(e.status, PL_NOTFOUND);
    assert_string_equal(pl_err_text(&e), "no participant 7");

    pl_err_clear(&e);
    pl_err_field(&e, "minutes", "must be between %d and %d", 1, 600);
    assert_int_equal(e.status, PL_INVALID);
    assert_int_equal(e.nfields, 1);
    assert_string_equal(e.fields[0].field, "minutes");
    assert_string_equal(pl_err_text(&e), "must be between 1 and 600");
    assert_string_equal(e.message, "the request has invalid fields");

    add_prefixed(&e, "measurements[2].value", "must be a %s number", "decimal");
    assert_int_equal(e.nfields, 2);
    assert_string_equal(e.fields[1].field, "measurements[2].value");
    assert_string_equal(e.fields[1].message, "must be a decimal number");
    assert_string_equal(pl_err_text(&e), "must be between 1 and 600"); /* the first one */
}

static void test_err_truncation(void **state)
{
    pl_err e;
    pl_err_clear(&e);
    for (int i = 0; i < PL_ERR_FIELDS_MAX; i++)
        pl_err_field(&e, "f", "error %d", i);
    assert_int_equal(e.nfields, PL_ERR_FIELDS_MAX);
    assert_int_equal(e.truncated, 0);
    pl_err_field(&e, "one_too_many", "error %d", PL_ERR_FIELDS_MAX);
    pl_err_field(&e, "two_too_many", "x");
    assert_int_equal(e.nfields, PL_ERR_FIELDS_MAX);
    assert_int_equal(e.truncated, 1);
    assert_string_equal(e.fields[0].message, "error 0");
    assert_string_equal(e.fields[PL_ERR_FIELDS_MAX - 1].message, "error 31");
    assert_int_equal(e.status, PL_INVALID);

    pl_err_clear(&e);
    assert_int_equal(e.truncated, 0);
    assert_int_equal(e.nfields, 0);

    /* overlong names and messages are shortened, never overflow */
    char longname[200], longmsg[1000];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    memset(longmsg, 'm', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = '\0';
    pl_err_field(&e, longname, "%s", longmsg);
    assert_int_equal(strlen(e.fields[0].field), sizeof e.fields[0].field - 1);
    assert_int_equal(strlen(e.fields[0].message), sizeof e.fields[0].message - 1);
    assert_int_equal(pl_err_set(&e, PL_IO, "%s", longmsg), PL_IO);
    assert_int_equal(strlen(e.message), sizeof e.message - 1);
}

static void test_status_names(void **state)
{
    static const char *const names[] = {"ok",    "invalid",   "not_found", "conflict",
                                        "limit", "no_memory", "io",        "schema",
                                        "busy",  "usage",     "stale"};
    for (int s = PL_OK; s <= PL_STALE; s++)
        assert_string_equal(pl_status_name((pl_status)s), names[s]);
    assert_string_equal(pl_status_name((pl_status)(PL_STALE + 1)), "unknown");
    assert_string_equal(pl_status_name((pl_status)-1), "unknown");
}

/* ---- text --------------------------------------------------------------- */

static void test_text_ok(void **state)
{
    static const struct {
        const char *s;
        bool single, multi; /* accepted as one line / as multi-line text */
    } cases[] = {
        {"", true, true},
        {"Rosa Martinez", true, true},
        {"José", true, true},             /* U+00E9, 2 bytes */
        {"\xC2\xA0", true, true},         /* U+00A0, first after the C1 block */
        {"张伟", true, true},             /* 3-byte CJK */
        {"\xF0\x9F\x98\x80", true, true}, /* U+1F600, 4 bytes */
        {"\xF4\x8F\xBF\xBF", true, true}, /* U+10FFFF, the last code point */
        {"\xEF\xBF\xBD", true, true},     /* U+FFFD */
        {"\xED\x9F\xBF", true, true},     /* U+D7FF, just before surrogates */
        {"\xEE\x80\x80", true, true},     /* U+E000, just after */
        {"line\nnext", false, true},
        {"tab\there", false, true},
        {"crlf\r\n", false, true}, /* what browsers send from a textarea */
        {"\x01", false, false},
        {"\x1F", false, false},
        {"\x7F", false, false},             /* DEL */
        {"a\x1B[31m", false, false},        /* terminal escape */
        {"\xC2\x80", false, false},         /* U+0080, C1 control */
        {"\xC2\x85", false, false},         /* U+0085 NEL, a line break in disguise */
        {"\xC2\x9F", false, false},         /* U+009F */
        {"\xC0\xAF", false, false},         /* overlong '/' */
        {"\xC1\xBF", false, false},         /* overlong */
        {"\xE0\x80\xAF", false, false},     /* overlong '/' in 3 bytes */
        {"\xE0\x9F\xBF", false, false},     /* overlong U+07FF */
        {"\xF0\x80\x80\xAF", false, false}, /* overlong in 4 bytes */
        {"\xF0\x8F\xBF\xBF", false, false}, /* overlong U+FFFF */
        {"\xED\xA0\x80", false, false},     /* U+D800 high surrogate */
        {"\xED\xBF\xBF", false, false},     /* U+DFFF low surrogate */
        {"\xF4\x90\x80\x80", false, false}, /* U+110000 */
        {"\xF5\x80\x80\x80", false, false},
        {"\xF8\x88\x80\x80\x80", false, false}, /* 5-byte form */
        {"\xFF", false, false},
        {"\xFE", false, false},
        {"\x80", false, false},      /* lone continuation */
        {"caf\xE9", false, false},   /* Latin-1 */
        {"\xE4\xB8", false, false},  /* truncated at the end */
        {"\xE4\xB8x", false, false}, /* truncated mid-string */
        {"\xF0\x9F\x98", false, false},
        {"\xC3", false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (pl_text_ok(cases[i].s, false) != cases[i].single)
            fail_msg("case %zu: single-line should be %s", i, cases[i].single ? "ok" : "refused");
        if (pl_text_ok(cases[i].s, true) != cases[i].multi)
            fail_msg("case %zu: multi-line should be %s", i, cases[i].multi ? "ok" : "refused");
    }
}

/* ---- seeded random numbers --------------------------------------------- */

static void test_rng_reference_values(void **state)
{
    /* xoshiro256** seeded by splitmix64 (Blackman and Vigna's reference code,
     * worked out independently); the demo data must not change between builds */
    pl_rng r;
    pl_rng_seed(&r, 42);
    assert_true(pl_rng_next(&r) == 0x15780B2E0C2EC716ULL);
    assert_true(pl_rng_next(&r) == 0x6104D9866D113A7EULL);
    assert_true(pl_rng_next(&r) == 0xAE17533239E499A1ULL);
    assert_true(pl_rng_next(&r) == 0xECB8AD4703B360A1ULL);
    pl_rng_seed(&r, 0);
    assert_true(pl_rng_next(&r) == 0x99EC5F36CB75F2B4ULL);
    assert_true(pl_rng_next(&r) == 0xBF6E1F784956452AULL);
}

static void test_rng_determinism(void **state)
{
    pl_rng a, b, c;
    pl_rng_seed(&a, 20250615);
    pl_rng_seed(&b, 20250615);
    pl_rng_seed(&c, 20250616);
    int same_as_other_seed = 0;
    for (int i = 0; i < 10000; i++) {
        double na = pl_rng_normal(&a, 8.1, 1.5), nb = pl_rng_normal(&b, 8.1, 1.5);
        assert_true(na == nb);
        int ra = pl_rng_range(&a, 1, 1440), rb = pl_rng_range(&b, 1, 1440);
        assert_int_equal(ra, rb);
        uint64_t xa = pl_rng_next(&a), xb = pl_rng_next(&b), xc = pl_rng_next(&c);
        assert_true(xa == xb);
        same_as_other_seed += xa == xc;
        pl_rng_next(&c);
        pl_rng_next(&c);
    }
    assert_int_equal(same_as_other_seed, 0);
}

static void test_rng_uniform_and_range(void **state)
{
    pl_rng r;
    pl_rng_seed(&r, 7);
    double sum = 0, lo = 1, hi = 0;
    for (int i = 0; i < 100000; i++) {
        double u = pl_rng_uniform(&r);
        assert_true(u >= 0.0 && u < 1.0);
        sum += u;
        lo = fmin(lo, u);
        hi = fmax(hi, u);
    }
    assert_true(fabs(sum / 100000 - 0.5) < 0.01);
    assert_true(lo < 0.001 && hi > 0.999);

    int count[7] = {0};
    for (int i = 0; i < 60000; i++) {
        int v = pl_rng_range(&r, 1, 6);
        assert_true(v >= 1 && v <= 6);
        count[v]++;
    }
    for (int v = 1; v <= 6; v++) /* 10 000 expected, sd about 91 */
        assert_true(count[v] > 9500 && count[v] < 10500);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(pl_rng_range(&r, 5, 5), 5);
        int v = pl_rng_range(&r, -3, 3);
        assert_true(v >= -3 && v <= 3);
    }
}

static void test_rng_normal_and_poisson(void **state)
{
    pl_rng r;
    pl_rng_seed(&r, 12345);
    const int n = 100000;
    double sum = 0, sumsq = 0;
    for (int i = 0; i < n; i++) {
        double x = pl_rng_normal(&r, 10.0, 2.0);
        assert_true(isfinite(x));
        sum += x;
        sumsq += x * x;
    }
    double mean = sum / n, sd = sqrt(sumsq / n - mean * mean);
    /* standard errors: mean 2 / sqrt(1e5) = 0.0063, sd about 0.0045 */
    assert_true(fabs(mean - 10.0) < 0.05);
    assert_true(fabs(sd - 2.0) < 0.05);

    sum = sumsq = 0;
    for (int i = 0; i < n; i++) {
        int k = pl_rng_poisson(&r, 4.0);
        assert_true(k >= 0);
        sum += k;
        sumsq += (double)k * k;
    }
    mean = sum / n;
    double var = sumsq / n - mean * mean;
    assert_true(fabs(mean - 4.0) < 0.05);
    assert_true(fabs(var - 4.0) < 0.2);
    assert_int_equal(pl_rng_poisson(&r, 0.0), 0);
}

PL_TEST_MAIN(cmocka_unit_test(test_arena_alignment_and_zero),
             cmocka_unit_test(test_arena_allocations_do_not_overlap),
             cmocka_unit_test(test_arena_ceiling), cmocka_unit_test(test_arena_reset),
             cmocka_unit_test(test_arena_strings), cmocka_unit_test(test_buf_append_and_printf),
             cmocka_unit_test(test_buf_grows), cmocka_unit_test(test_buf_ceiling),
             cmocka_unit_test(test_buf_steal), cmocka_unit_test(test_err_basics),
             cmocka_unit_test(test_err_truncation), cmocka_unit_test(test_status_names),
             cmocka_unit_test(test_text_ok), cmocka_unit_test(test_rng_reference_values),
             cmocka_unit_test(test_rng_determinism), cmocka_unit_test(test_rng_uniform_and_range),
             cmocka_unit_test(test_rng_normal_and_poisson))
