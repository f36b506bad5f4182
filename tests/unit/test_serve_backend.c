/* Unit tests for serve_backend.c's list parsing: names, replicas, the
 * request line built from the URL path, credentials masked, and errors
 * naming the entry. */
#include "cm.h"

#include <string.h>

#include "serve/serve_backend.h"

static void test_parse(void **state)
{
    struct serve_backends b;
    char err[512] = "";
    assert_int_equal(serve_backends_parse("http://127.0.0.1:4001, node-1=http://127.0.0.1:4002|"
                                          "http://127.0.0.1:4003/echo?delay=1ms",
                                          &b, err, sizeof err),
                     0);
    assert_int_equal(b.n, 2);
    assert_string_equal(b.b[0].name, "127.0.0.1:4001");
    assert_int_equal(b.b[0].nreplicas, 1);
    assert_string_equal(b.b[1].name, "node-1");
    assert_int_equal(b.b[1].nreplicas, 2);
    assert_string_equal(b.b[1].replicas[1].url, "http://127.0.0.1:4003/echo?delay=1ms");
    assert_non_null(strstr(b.b[1].replicas[1].req_prefix, "GET /echo?delay=1ms HTTP/1.1\r\n"));
    assert_non_null(strstr(b.b[1].replicas[1].req_prefix, "Host: 127.0.0.1:4003\r\n"));
    assert_int_equal(serve_backends_resolve(&b, err, sizeof err), 0);
    serve_backends_free(&b);
    assert_int_equal(b.n, 0);
    serve_backends_free(&b); /* twice is fine */
    serve_backends_free(NULL);
}

/* /health shows the replica URLs: credentials in one are masked, and
 * never go into the request either. */
static void test_credentials_hidden(void **state)
{
    struct serve_backends b;
    char err[512] = "";
    assert_int_equal(
        serve_backends_parse("n=http://alice:s3cret@127.0.0.1:4001/x", &b, err, sizeof err), 0);
    assert_string_equal(b.b[0].replicas[0].url, "http://***@127.0.0.1:4001/x");
    assert_null(strstr(b.b[0].replicas[0].req_prefix, "s3cret"));
    serve_backends_free(&b);
    /* nor in the message about a bad entry */
    assert_int_equal(serve_backends_parse("http://bob:pw9@127.0.0.1:1|", &b, err, sizeof err), -1);
    assert_string_equal(err, "backend 1 ('http://***@127.0.0.1:1|'): empty URL");
}

static void test_empty(void **state)
{
    struct serve_backends b;
    char err[512];
    assert_int_equal(serve_backends_parse(NULL, &b, err, sizeof err), 0);
    assert_int_equal(b.n, 0);
    assert_int_equal(serve_backends_parse("", &b, err, sizeof err), 0);
    assert_int_equal(b.n, 0);
    assert_int_equal(serve_backends_parse(" , ", &b, err, sizeof err), 0);
    assert_int_equal(b.n, 0);
}

static void test_errors(void **state)
{
    struct serve_backends b;
    char err[512] = "";
    assert_int_equal(serve_backends_parse("http://a:1,ftp://b", &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "backend 2"));
    assert_non_null(strstr(err, "ftp://b"));
    assert_int_equal(b.n, 0);
    assert_int_equal(serve_backends_parse("=http://a:1", &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "empty name"));
    assert_int_equal(serve_backends_parse("x=http://a:1|", &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "empty URL"));
    assert_int_equal(serve_backends_parse("http://a:99999", &b, err, sizeof err), -1);
    assert_int_equal(serve_backends_parse("http://nosuch.invalid:80", &b, err, sizeof err), 0);
    assert_int_equal(serve_backends_resolve(&b, err, sizeof err), -1);
    assert_non_null(strstr(err, "nosuch.invalid"));
    serve_backends_free(&b);
}

/* A failed call's line names what failed, and the status only when a
 * complete answer carried it. */
static void test_describe(void **state)
{
    struct serve_call c;
    char out[64];
    memset(&c, 0, sizeof c);
    c.outcome = SERVE_OK;
    c.status = 200;
    assert_string_equal(serve_call_describe(&c, out, sizeof out), "ok");
    c.outcome = SERVE_ERROR;
    c.fail = SERVE_FAIL_STATUS;
    c.status = 503;
    assert_string_equal(serve_call_describe(&c, out, sizeof out), "503");
    c.fail = SERVE_FAIL_BODY_BAD;
    c.status = 200;
    assert_string_equal(serve_call_describe(&c, out, sizeof out),
                        "malformed body after a 200 head");
    c.fail = SERVE_FAIL_HEAD_BAD;
    c.status = 0;
    assert_string_equal(serve_call_describe(&c, out, sizeof out), "malformed response head");
    c.fail = SERVE_FAIL_CLOSED;
    assert_string_equal(serve_call_describe(&c, out, sizeof out), "closed before answering");
    c.outcome = SERVE_TIMEOUT;
    c.fail = SERVE_FAIL_TIMEOUT;
    assert_string_equal(serve_call_describe(&c, out, sizeof out), "timeout");
    c.outcome = SERVE_REFUSED;
    c.fail = SERVE_FAIL_REFUSED;
    assert_string_equal(serve_call_describe(&c, out, sizeof out), "refused");
    char tiny[4];
    assert_string_equal(serve_call_describe(&c, tiny, sizeof tiny), "ref");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_credentials_hidden),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
