/*
 * test_routes.c - the route table and docs/openapi.yaml agree: every routed
 * method and path is documented, and every route has a summary and handler.
 */
#include <ctype.h>
#include <string.h>

#include "test.h"

#include "api/api.h"

static char *read_openapi(void)
{
    const char *root = getenv("PEERLINK_SOURCE_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/docs/openapi.yaml", root ? root : ".");
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* Finds "  PATH:" at the path indentation, then "    method:" before the next path. */
static int documented(const char *doc, const char *path, const char *method)
{
    char key[256], lower[16];
    snprintf(key, sizeof key, "\n  %s:\n", path);
    const char *p = strstr(doc, key);
    if (!p)
        return 0;
    p += strlen(key);
    size_t i = 0;
    for (; method[i] && i < sizeof lower - 1; i++)
        lower[i] = (char)tolower((unsigned char)method[i]);
    lower[i] = '\0';
    char want[32];
    snprintf(want, sizeof want, "    %s:\n", lower);
    while (*p == ' ' && p[1] == ' ' && p[2] == ' ') {
        if (strncmp(p, want, strlen(want)) == 0)
            return 1;
        p = strchr(p, '\n');
        if (!p)
            return 0;
        p++;
    }
    return 0;
}

static void test_every_route_is_documented(void **state)
{
    (void)state;
    const char *doc = read_openapi();
    int n = 0;
    for (const http_route *r = api_routes; r->method; r++, n++) {
        if (!documented(doc, r->path, r->method))
            fail_msg("%s %s is routed but missing from docs/openapi.yaml", r->method, r->path);
    }
    assert_true(n > 0);
}

static void test_routes_are_complete(void **state)
{
    (void)state;
    for (const http_route *r = api_routes; r->method; r++) {
        assert_non_null(r->handler);
        assert_non_null(r->summary);
        assert_true(strlen(r->summary) > 10);
        assert_int_equal(r->path[0], '/');
        for (const http_route *q = r + 1; q->method; q++)
            if (strcmp(r->method, q->method) == 0 && strcmp(r->path, q->path) == 0)
                fail_msg("%s %s is routed twice", r->method, r->path);
    }
}

static void test_detects_a_missing_route(void **state)
{
    (void)state;
    const char *doc = read_openapi();
    assert_false(documented(doc, "/api/v1/never-routed", "GET"));
    assert_false(documented(doc, "/healthz", "DELETE"));
}

PL_TEST_MAIN(cmocka_unit_test(test_every_route_is_documented),
             cmocka_unit_test(test_routes_are_complete),
             cmocka_unit_test(test_detects_a_missing_route))
