/* Unit tests for serve_rest_guard.c: what "loopback" means (127.0.0.0/8
 * and ::1, in any numeric spelling; 0.0.0.0, :: and 169.254.169.254 are
 * not), IPv4-mapped IPv6 judged as IPv4, -rest-allow entries (names,
 * *.suffix, addresses, CIDRs) and their errors, a backend's host and
 * address, the REST path rule against case, encoding and dot-segment
 * tricks, and the resolved check of a name ("localhost" is pinned to a
 * loopback address; a name outside the list that resolves outside it is
 * refused, naming the address). */
#include "cm.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve_rest_guard.h"

static const struct serve_rest_limits lim = {4, 100, 100, 1000, 1000000};

/* serve_rest_guard_target on url s: 0, 1 or -1. */
static int target(const struct serve_rest_guard *g, const char *s)
{
    struct url u;
    char err[512];
    if (url_parse(s, &u, err, sizeof err) < 0) fail_msg("url_parse %s: %s", s, err);
    err[0] = '\0';
    int rc = serve_rest_guard_target(g, &u, err, sizeof err);
    if (rc < 0 && !strstr(err, "-rest-allow"))
        fail_msg("%s: refused without naming the flag: %s", s, err);
    return rc;
}

static void test_loopback_default(void **state)
{
    struct serve_rest_guard *g = serve_rest_guard_new(&lim);
    char err[512];
    assert_non_null(g);
    assert_int_equal(target(g, "http://127.0.0.1:80/"), -1); /* nothing yet */
    assert_int_equal(serve_rest_guard_allow(g, "loopback", err, sizeof err), 0);
    assert_int_equal(target(g, "http://127.0.0.1:80/"), 0);
    assert_int_equal(target(g, "http://127.200.3.4/"), 0);
    assert_int_equal(target(g, "http://[::1]:9/"), 0);
    assert_int_equal(target(g, "http://[::ffff:127.0.0.1]/"), 0);
    assert_int_equal(target(g, "http://0.0.0.0/"), -1);
    assert_int_equal(target(g, "http://[::]/"), -1);
    assert_int_equal(target(g, "http://10.1.2.3/"), -1);
    assert_int_equal(target(g, "http://169.254.169.254/"), -1);
    assert_int_equal(target(g, "http://[::ffff:169.254.169.254]/"), -1);
    assert_int_equal(target(g, "http://[::ffff:a9fe:a9fe]/"), -1);
    assert_int_equal(target(g, "http://128.0.0.1/"), -1);
    assert_int_equal(target(g, "http://localhost/"), 1); /* a name: resolved off the loop */
    serve_rest_guard_free(g);
}

static void test_allow_list(void **state)
{
    struct serve_rest_guard *g = serve_rest_guard_new(&lim);
    char err[512];
    assert_int_equal(
        serve_rest_guard_allow(g, " 10.0.0.0/8, svc.local ,*.cluster.local,2001:db8::/32,192.0.2.7",
                               err, sizeof err),
        0);
    assert_int_equal(target(g, "http://10.1.2.3/"), 0);
    assert_int_equal(target(g, "http://11.1.2.3/"), -1);
    assert_int_equal(target(g, "http://127.0.0.1/"), -1); /* a list without "loopback" */
    assert_int_equal(target(g, "http://SVC.local:8080/"), 0);
    assert_int_equal(target(g, "http://a.b.cluster.local/"), 0);
    assert_int_equal(target(g, "http://cluster.local/"),
                     1); /* the suffix needs a label before it */
    assert_int_equal(target(g, "http://[2001:db8:1::5]/"), 0);
    assert_int_equal(target(g, "http://[2001:db9::5]/"), -1);
    assert_int_equal(target(g, "http://192.0.2.7/"), 0);
    assert_int_equal(target(g, "http://192.0.2.8/"), -1);
    serve_rest_guard_free(g);

    static const struct {
        const char *list, *says;
    } bad[] = {
        {"10.0.0.0/33", "prefix length must be 0..32"},
        {"::/129", "prefix length must be 0..128"},
        {"10.0.0.0/", "prefix length"},
        {"a,,b", "empty entry"},
        {"x/8", "not an address/prefix"},
        {"bad host!", "a host name"},
        {"*.", "a host name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        g = serve_rest_guard_new(&lim);
        err[0] = '\0';
        if (serve_rest_guard_allow(g, bad[i].list, err, sizeof err) != -1 ||
            !strstr(err, bad[i].says) || !strstr(err, "flag -rest-allow"))
            fail_msg("'%s': got '%s', want -1 naming '%s'", bad[i].list, err, bad[i].says);
        serve_rest_guard_free(g);
    }
}

static void test_backend_host(void **state)
{
    struct serve_rest_guard *g = serve_rest_guard_new(&lim);
    struct sockaddr_in sin = {.sin_family = AF_INET};
    inet_pton(AF_INET, "10.9.8.7", &sin.sin_addr);
    assert_int_equal(serve_rest_guard_allow_host(g, "node-1", (struct sockaddr *)&sin), 0);
    assert_int_equal(target(g, "http://node-1:9080/"), 0);
    assert_int_equal(target(g, "http://10.9.8.7:9080/"), 0);
    assert_int_equal(target(g, "http://10.9.8.6:9080/"), -1);
    serve_rest_guard_free(g);
}

static void test_rest_path(void **state)
{
    static const char *yes[] = {
        "/fortio/rest/run?url=x", "/FORTIO/REST/run",      "/fortio//rest/stop",
        "/fortio/./rest/",        "/x/../fortio/rest/run", "/fortio/x/../rest/run",
        "/fortio/rest/x/..",      "/%66ortio/%72est/run",  "/fortio%2Frest%2Frun",
        "/fortio%252frest/run",   "/fortio\\rest/run",     "/http://127.0.0.1:9/fortio/rest/run",
        "/fortio/rest",
    };
    static const char *no[] = {
        "/",           "/echo?x=/fortio/rest/run", "/fortio/restx", "/fortiorest", "/fortio/",
        "/rest/fortio"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (!serve_rest_guard_rest_path(yes[i])) fail_msg("%s: not seen as a REST path", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (serve_rest_guard_rest_path(no[i])) fail_msg("%s: seen as a REST path", no[i]);
}

static void test_resolve(void **state)
{
    struct serve_rest_guard *g = serve_rest_guard_new(&lim);
    struct url u;
    char err[512] = "", pin[64];
    assert_int_equal(serve_rest_guard_allow(g, "loopback", err, sizeof err), 0);
    assert_int_equal(url_parse("http://localhost:1/", &u, err, sizeof err), 0);
    assert_int_equal(serve_rest_guard_resolve(g, &u, pin, sizeof pin, err, sizeof err), 0);
    if (strcmp(pin, "127.0.0.1") && strcmp(pin, "::1")) fail_msg("localhost pinned to %s", pin);
    /* an address outside the list, through the resolving path */
    assert_int_equal(url_parse("http://10.1.2.3:1/", &u, err, sizeof err), 0);
    assert_int_equal(serve_rest_guard_resolve(g, &u, pin, sizeof pin, err, sizeof err), -2);
    assert_non_null(strstr(err, "resolves to 10.1.2.3"));
    assert_int_equal(url_parse("http://nosuch.invalid:1/", &u, err, sizeof err), 0);
    assert_int_equal(serve_rest_guard_resolve(g, &u, pin, sizeof pin, err, sizeof err), -1);
    assert_non_null(strstr(err, "nosuch.invalid"));
    serve_rest_guard_free(g);
}

static void test_fd_budget(void **state)
{
    int64_t nofile = 0;
    int64_t b = serve_rest_guard_fd_budget(&nofile);
    assert_true(b >= 1);
    assert_true(b <= nofile / 2 || nofile < 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loopback_default), cmocka_unit_test(test_allow_list),
        cmocka_unit_test(test_backend_host),     cmocka_unit_test(test_rest_path),
        cmocka_unit_test(test_resolve),          cmocka_unit_test(test_fd_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
