/* Unit tests for serve_echo.c and serve_query.c: knob parsing (Fortio's
 * spellings), weighted choice, caps, errors (framing headers refused),
 * query iteration/decoding. */
#include "cm.h"

#include <string.h>

#include "serve/serve_echo.h"
#include "serve/serve_query.h"

static const struct serve_echo_limits lim = {1000000, 4096};

static int parse(const char *q, struct serve_echo *e, char *err)
{
    static char scratch[1024];
    return serve_echo_parse(q, strlen(q), &lim, e, scratch, sizeof scratch, err, 256);
}

static void test_plain_knobs(void **state)
{
    struct serve_echo e;
    char err[256] = "";
    assert_int_equal(
        parse("delay=10ms&status=503&size=100&header=X-A:%20b&close=1&other=z", &e, err), 0);
    assert_true(e.any);
    assert_int_equal(e.delay.n, 1);
    assert_int_equal(e.delay.value[0], 10000);
    assert_int_equal(serve_choices_pick(&e.delay, 99.99, 0), 10000);
    assert_int_equal(serve_choices_pick(&e.status, 0, 200), 503);
    assert_int_equal(e.size, 100);
    assert_int_equal(e.nheaders, 1);
    assert_string_equal(e.header_name[0], "X-A");
    assert_string_equal(e.header_value[0], "b");
    assert_true(e.close);
    assert_int_equal(parse("", &e, err), 0);
    assert_false(e.any);
    assert_int_equal(e.size, -1);
    assert_int_equal(serve_choices_pick(&e.status, 50, 200), 200);
}

static void test_weighted(void **state)
{
    struct serve_echo e;
    char err[256] = "";
    assert_int_equal(parse("delay=150us:10,2ms:5&status=503:5,429:10", &e, err), 0);
    assert_int_equal(e.delay.n, 2);
    /* roll in [0,10) -> 150us, [10,15) -> 2ms, else none */
    assert_int_equal(serve_choices_pick(&e.delay, 0, 0), 150);
    assert_int_equal(serve_choices_pick(&e.delay, 9.99, 0), 150);
    assert_int_equal(serve_choices_pick(&e.delay, 10, 0), 2000);
    assert_int_equal(serve_choices_pick(&e.delay, 14.9, 0), 2000);
    assert_int_equal(serve_choices_pick(&e.delay, 15, 0), 0);
    assert_int_equal(serve_choices_pick(&e.status, 4.9, 200), 503);
    assert_int_equal(serve_choices_pick(&e.status, 5, 200), 429);
    assert_int_equal(serve_choices_pick(&e.status, 15, 200), 200);
    /* the distribution over many rolls */
    uint64_t rng = 12345;
    int n503 = 0, n429 = 0, n200 = 0;
    for (int i = 0; i < 100000; i++) {
        int64_t s = serve_choices_pick(&e.status, serve_echo_roll(&rng), 200);
        if (s == 503)
            n503++;
        else if (s == 429)
            n429++;
        else
            n200++;
    }
    assert_in_range(n503, 4500, 5500);
    assert_in_range(n429, 9300, 10700);
    assert_in_range(n200, 84000, 86000);
}

static void test_caps_and_errors(void **state)
{
    struct serve_echo e;
    char err[256] = "";
    assert_int_equal(parse("delay=5s&size=999999", &e, err), 0);
    assert_int_equal(e.delay.value[0], 1000000); /* clamped to max delay */
    assert_int_equal(e.size, 4096);              /* clamped to max size */
    assert_int_equal(parse("status=503:60,429:50", &e, err), -1);
    assert_non_null(strstr(err, "status"));
    assert_non_null(strstr(err, "> 100"));
    assert_int_equal(parse("status=99", &e, err), -1);
    assert_int_equal(parse("status=abc", &e, err), -1);
    assert_int_equal(parse("delay=10xs", &e, err), -1);
    assert_non_null(strstr(err, "delay"));
    assert_int_equal(parse("delay=1ms:x", &e, err), -1);
    assert_int_equal(parse("delay=1ms:10:3", &e, err), -1);
    assert_int_equal(parse("size=-1", &e, err), -1);
    assert_int_equal(parse("header=nocolon", &e, err), -1);
    assert_int_equal(parse("header=Bad%20Name:v", &e, err), -1);
    assert_int_equal(parse("header=X:a%0d%0aInjected:1", &e, err), -1); /* no CRLF injection */
    assert_int_equal(parse("delay=%zz", &e, err), -1);
}

/* The framing headers are the server's: a knob that adds one would give
 * the response two framings (request smuggling). Any case is refused. */
static void test_framing_headers_refused(void **state)
{
    struct serve_echo e;
    char err[256] = "";
    const char *bad[] = {
        "header=Content-Length:0",          "header=content-length:%2012",
        "header=TRANSFER-ENCODING:chunked", "header=Transfer-Encoding:identity",
        "header=Connection:close",          "header=X-A:1&header=connection:keep-alive"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(parse(bad[i], &e, err), -1);
        assert_non_null(strstr(err, "echo knob header"));
        assert_non_null(strstr(err, "set by the server"));
    }
    /* names that merely start or end like one are fine */
    assert_int_equal(parse("header=Content-Length-X:1&header=X-Connection:y", &e, err), 0);
    assert_int_equal(e.nheaders, 2);
}

static void test_query(void **state)
{
    const char *q = "a=1&&b&c=x%41+y&=e";
    const char *p = q, *end = q + strlen(q);
    struct http_span k, v;
    char out[32];
    assert_true(serve_query_next(&p, end, &k, &v));
    assert_true(serve_query_key_is(k, "a"));
    assert_int_equal(v.len, 1);
    assert_true(serve_query_next(&p, end, &k, &v));
    assert_true(serve_query_key_is(k, "b"));
    assert_int_equal(v.len, 0);
    assert_true(serve_query_next(&p, end, &k, &v));
    assert_int_equal(serve_query_decode(v, out, sizeof out), 4);
    assert_string_equal(out, "xA y");
    assert_true(serve_query_next(&p, end, &k, &v));
    assert_int_equal(k.len, 0);
    assert_false(serve_query_next(&p, end, &k, &v));
    struct http_span bad = {"%4", 2};
    assert_int_equal(serve_query_decode(bad, out, sizeof out), -1);
    struct http_span big = {"abcdef", 6};
    assert_int_equal(serve_query_decode(big, out, 4), -1);
    struct http_span t = {"/echo?x=1", 9}, path, query;
    serve_query_split(t, &path, &query);
    assert_int_equal(path.len, 5);
    assert_int_equal(query.len, 3);
    struct http_span t2 = {"/", 1};
    serve_query_split(t2, &path, &query);
    assert_int_equal(path.len, 1);
    assert_int_equal(query.len, 0);
}

/* A 1xx is interim, never an answer: refused, naming the knob and why. */
static void test_interim_status_refused(void **state)
{
    struct serve_echo e;
    char err[256] = "";
    const char *bad[] = {"status=101", "status=100", "status=199", "status=503:5,101:10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(parse(bad[i], &e, err), -1);
        assert_non_null(strstr(err, "echo knob status="));
        assert_non_null(strstr(err, "interim (1xx)"));
    }
    assert_int_equal(parse("status=200", &e, err), 0);
    assert_int_equal(parse("status=204&size=100", &e, err), 0);
    assert_int_equal(e.size, 100); /* parsed; serve_conn_build sends no body with a 204 */
}

static bool span_is(struct http_span s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

/* Absolute-form targets (RFC 9112 3.2.2) split by their path. */
static void test_split_absolute(void **state)
{
    static const struct {
        const char *target, *path, *query;
    } cases[] = {
        {"http://x/health", "/health", ""},
        {"HTTPS://x:8080/echo?status=418", "/echo", "status=418"},
        {"http://x", "/", ""},
        {"http://x?a=1", "/", "a=1"},
        {"http://user@x:1/a/b?c", "/a/b", "c"},
        {"/http://x/y", "/http://x/y", ""},
        {"ftp://x/y", "ftp://x/y", ""}, /* not http(s): left alone (serve answers 400) */
        {"http:/x", "http:/x", ""},
        {"*", "*", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct http_span t = {cases[i].target, strlen(cases[i].target)}, path, query;
        serve_query_split(t, &path, &query);
        if (!span_is(path, cases[i].path) || !span_is(query, cases[i].query))
            fail_msg("%s: path '%.*s' query '%.*s'", cases[i].target, (int)path.len, path.p,
                     (int)query.len, query.p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_knobs),     cmocka_unit_test(test_weighted),
        cmocka_unit_test(test_caps_and_errors), cmocka_unit_test(test_framing_headers_refused),
        cmocka_unit_test(test_query),           cmocka_unit_test(test_interim_status_refused),
        cmocka_unit_test(test_split_absolute),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
