/* Unit tests for serve_rest.c (included, to fail its strdup at will): a
 * run's reply that cannot be copied for want of memory is delivered as an
 * empty 500, never as a NULL body with a non-zero length (which the
 * connection code would copy from). The run goes to a closed loopback
 * port, so it ends at once with an error reply. The caps: over one, 400
 * naming its flag; a target off the allow-list, 403; save=on never
 * overwrites (save_json with the same ID twice gives two files). */
#include "cm.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

static bool fail_json_dup; /* strdup of a JSON text ('{...') fails */

static char *test_strdup(const char *s)
{
    if (fail_json_dup && s[0] == '{') return NULL;
    return strdup(s);
}

#undef strdup
#define strdup test_strdup
#include "serve/serve_rest.c"
#undef strdup

static const struct serve_rest_limits lim = {4, 100, 50, 1000000, 60 * 1000000LL};

struct got {
    int calls, status;
    bool body_null;
    size_t len;
};

static void reply(void *waiter, int status, char *body, size_t len)
{
    struct got *g = waiter;
    g->calls++;
    g->status = status;
    g->body_null = body == NULL;
    g->len = len;
    free(body);
}

static struct http_span span(const char *s)
{
    struct http_span x = {s, strlen(s)};
    return x;
}

static void test_reply_without_memory(void **state)
{
    struct serve_rest *r = serve_rest_new(NULL);
    struct serve_rest_inbox *in = serve_rest_inbox_new();
    struct serve_rest_guard *gd = serve_rest_guard_new(&lim);
    char err[256];
    assert_int_equal(serve_rest_guard_allow(gd, "loopback", err, sizeof err), 0);
    assert_non_null(r);
    assert_non_null(in);
    assert_non_null(gd);
    struct got g = {0};
    int status = 0;
    char *out = NULL;
    size_t len = 0;
    struct serve_rest_ticket *t = NULL;
    fail_json_dup = true;
    const char *q = "url=http://127.0.0.1:1/&n=1&c=1&timeout=2s"; /* a closed port */
    int rc =
        serve_rest_handle(r, gd, in, span("run"), span(q), span(""), &g, &status, &out, &len, &t);
    assert_int_equal(rc, 0); /* a ticket: the reply comes through the inbox */
    assert_non_null(t);
    struct pollfd p = {serve_rest_inbox_fd(in), POLLIN, 0};
    for (int i = 0; i < 100 && g.calls == 0; i++) {
        if (poll(&p, 1, 200) > 0) serve_rest_inbox_drain(in, reply);
    }
    fail_json_dup = false;
    assert_int_equal(g.calls, 1);
    assert_true(g.body_null);
    assert_int_equal(g.len, 0); /* was the JSON's length: a copy from NULL */
    assert_int_equal(g.status, 500);
    serve_rest_free(r);
    serve_rest_inbox_free(in);
    serve_rest_guard_free(gd);
}

/* One run request answered at once: its status and the reply's text. */
static int run_now(struct serve_rest *r, struct serve_rest_guard *gd, const char *q, char **out)
{
    int status = 0;
    size_t len = 0;
    struct serve_rest_ticket *t = NULL;
    struct got g = {0};
    int rc =
        serve_rest_handle(r, gd, NULL, span("run"), span(q), span(""), &g, &status, out, &len, &t);
    assert_int_equal(rc, 1);
    assert_null(t);
    return status;
}

static void test_caps_and_targets(void **state)
{
    struct serve_rest *r = serve_rest_new(NULL);
    struct serve_rest_guard *gd = serve_rest_guard_new(&lim);
    char err[256];
    assert_int_equal(serve_rest_guard_allow(gd, "loopback", err, sizeof err), 0);
    assert_non_null(r);
    assert_non_null(gd);
    static const struct {
        const char *q;
        int status;
        const char *says;
    } cases[] = {
        {"url=http://127.0.0.1:1/&c=51", 400, "-rest-max-run-connections"},
        {"url=http://127.0.0.1:1/&n=1000001", 400, "-rest-max-requests"},
        {"url=http://127.0.0.1:1/&qps=1000&t=30m", 400, "-rest-max-duration"},
        {"url=http://127.0.0.1:1/&qps=100000&t=30s", 400, "-rest-max-requests"},
        {"url=http://127.0.0.1:1/&timeout=2m", 400, "-rest-max-duration"},
        {"url=http://10.1.2.3/", 403, "-rest-allow"},
        {"url=http://169.254.169.254/latest/", 403, "-rest-allow"},
        {"url=http://0.0.0.0:1/", 403, "-rest-allow"},
        {"url=http://[::]:1/", 403, "-rest-allow"},
        {"url=http://localhost:1/fortio/rest/run", 403, "REST API path"},
        {"url=http://127.0.0.1:1/Fortio/./x/../REST/run", 403, "REST API path"},
        {"url=http://127.0.0.1:1/%66ortio%252frest/stop", 403, "REST API path"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = NULL;
        int st = run_now(r, gd, cases[i].q, &out);
        if (st != cases[i].status || !strstr(out, cases[i].says))
            fail_msg("%s: got %d %s, want %d naming %s", cases[i].q, st, out, cases[i].status,
                     cases[i].says);
        free(out);
    }
    serve_rest_free(r);
    serve_rest_guard_free(gd);
}

static void test_save_never_overwrites(void **state)
{
    char dir[] = "/tmp/test_serve_rest.XXXXXX";
    assert_non_null(mkdtemp(dir));
    save_json(dir, "{\"ID\": \"2026-01-01-000000_x\", \"n\": 1}");
    save_json(dir, "{\"ID\": \"2026-01-01-000000_x\", \"n\": 2}");
    char a[256], b[256];
    snprintf(a, sizeof a, "%s/2026-01-01-000000_x.json", dir);
    snprintf(b, sizeof b, "%s/2026-01-01-000000_x-2.json", dir);
    FILE *fa = fopen(a, "r"), *fb = fopen(b, "r");
    assert_non_null(fa);
    assert_non_null(fb);
    char la[64] = "", lb[64] = "";
    assert_non_null(fgets(la, sizeof la, fa));
    assert_non_null(fgets(lb, sizeof lb, fb));
    fclose(fa);
    fclose(fb);
    assert_non_null(strstr(la, "\"n\": 1"));
    assert_non_null(strstr(lb, "\"n\": 2"));
    unlink(a);
    unlink(b);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_without_memory),
        cmocka_unit_test(test_caps_and_targets),
        cmocka_unit_test(test_save_never_overwrites),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
