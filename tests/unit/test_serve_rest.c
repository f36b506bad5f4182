/* Unit tests for serve_rest.c (included, to fail its strdup at will): a
 * run's reply that cannot be copied for want of memory is delivered as an
 * empty 500, never as a NULL body with a non-zero length (which the
 * connection code would copy from). The run goes to a closed loopback
 * port, so it ends at once with an error reply. */
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
    assert_non_null(r);
    assert_non_null(in);
    struct got g = {0};
    int status = 0;
    char *out = NULL;
    size_t len = 0;
    struct serve_rest_ticket *t = NULL;
    fail_json_dup = true;
    const char *q = "url=http://127.0.0.1:1/&n=1&c=1&timeout=2s"; /* a closed port */
    int rc = serve_rest_handle(r, in, span("run"), span(q), span(""), &g, &status, &out, &len, &t);
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
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_without_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
