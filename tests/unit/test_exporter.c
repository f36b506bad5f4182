/* Unit tests for exporter.c: a real exporter thread on a loopback port,
 * spoken to over real sockets (blocking client with a receive timeout):
 * the /metrics answer (status, content type, length, body), HEAD,
 * keep-alive with pipelined requests, 404, 405, malformed request -> 400 +
 * close, an over-long head -> 431 + close, a request body -> 400, a failing
 * render -> 500, the connection cap, and stop with clients still
 * connected. */
#include "cm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/errbuf.h"
#include "metrics/exporter.h"
#include "base/mono.h"

#define BODY                                                                                       \
    "# TYPE container_memory_working_set_bytes gauge\n"                                            \
    "container_memory_working_set_bytes{container=\"app\",namespace=\"ns\",pod=\"node-0-0\"} "     \
    "1048576\n"

struct fixture {
    int calls;
    int fail;
};

static int render(void *arg, struct buf *out)
{
    struct fixture *f = arg;
    f->calls++;
    if (f->fail) return -EIO;
    return buf_puts(out, BODY);
}

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void send_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        assert_true(w > 0);
        s += w;
        n -= (size_t)w;
    }
}

/* Read one response (head + Content-Length body, or head only when
 * head_only) into out (NUL-terminated). Returns the status. */
static int read_response(int fd, char *out, size_t cap, int head_only)
{
    size_t n = 0;
    char *end = NULL;
    while (!(end = strstr(out, "\r\n\r\n"))) {
        assert_true(n < cap - 1);
        ssize_t r = read(fd, out + n, 1); /* byte by byte: never eat the next response */
        if (r <= 0)
            fail_msg("connection ended before a complete head (%zu bytes: %.*s)", n, (int)n, out);
        n += (size_t)r;
        out[n] = '\0';
    }
    size_t head = (size_t)(end + 4 - out);
    const char *cl = strcasestr(out, "Content-Length: ");
    assert_non_null(cl);
    size_t want = head + (head_only ? 0 : strtoul(cl + 16, NULL, 10));
    assert_true(want < cap);
    while (n < want) {
        ssize_t r = read(fd, out + n, want - n);
        assert_true(r > 0);
        n += (size_t)r;
    }
    out[n] = '\0';
    return atoi(out + 9);
}

/* Expect the peer to close within the receive timeout: EOF, or a reset
 * when the server closed with our unread bytes still queued (431, body). */
static void expect_closed(int fd)
{
    char c;
    ssize_t r = read(fd, &c, 1);
    if (r < 0 && errno == ECONNRESET) return;
    assert_int_equal(r, 0);
}

static void test_metrics(void **state)
{
    struct fixture f = {0};
    char err[ERRBUF_LEN];
    struct exporter *ex = exporter_start(render, &f, err, sizeof err);
    assert_non_null(ex);
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", exporter_port(ex));
    assert_string_equal(exporter_addr(ex), addr);

    int fd = dial(exporter_port(ex));
    const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    send_all(fd, req, strlen(req));
    char resp[4096] = "";
    assert_int_equal(read_response(fd, resp, sizeof resp, 0), 200);
    assert_non_null(strstr(resp, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    char cl[64];
    snprintf(cl, sizeof cl, "\r\nContent-Length: %zu\r\n", strlen(BODY));
    assert_non_null(strstr(resp, cl));
    assert_string_equal(strstr(resp, "\r\n\r\n") + 4, BODY);
    assert_null(strstr(resp, "Connection: close"));

    /* keep-alive: two pipelined requests in one write, plus a query string */
    const char *two = "GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                      "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    send_all(fd, two, strlen(two));
    memset(resp, 0, sizeof resp);
    assert_int_equal(read_response(fd, resp, sizeof resp, 0), 200);
    assert_string_equal(strstr(resp, "\r\n\r\n") + 4, BODY);
    memset(resp, 0, sizeof resp);
    assert_int_equal(read_response(fd, resp, sizeof resp, 1), 200); /* HEAD: no body */
    assert_non_null(strstr(resp, cl));
    assert_int_equal(f.calls, 3);

    /* HTTP/1.0 without keep-alive: answered, then closed */
    const char *old = "GET /metrics HTTP/1.0\r\n\r\n";
    send_all(fd, old, strlen(old));
    memset(resp, 0, sizeof resp);
    assert_int_equal(read_response(fd, resp, sizeof resp, 0), 200);
    expect_closed(fd);
    close(fd);
    exporter_stop(ex);
}

static void test_errors(void **state)
{
    struct fixture f = {0};
    char err[ERRBUF_LEN];
    struct exporter *ex = exporter_start(render, &f, err, sizeof err);
    assert_non_null(ex);
    int port = exporter_port(ex);
    char resp[4096];

    /* 404 keeps the connection; 405 names the allowed methods */
    int fd = dial(port);
    const char *r404 = "GET /other HTTP/1.1\r\nHost: x\r\n\r\n";
    send_all(fd, r404, strlen(r404));
    memset(resp, 0, sizeof resp);
    assert_int_equal(read_response(fd, resp, sizeof resp, 0), 404);
    const char *r405 = "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
    send_all(fd, r405, strlen(r405));
    memset(resp, 0, sizeof resp);
    assert_int_equal(read_response(fd, resp, sizeof resp, 0), 405);
    assert_non_null(strstr(resp, "\r\nAllow: GET, HEAD\r\n"));
    assert_int_equal(f.calls, 0);

    /* malformed: 400 then close */
    const char *bad = "GET /metrics HTTP/9.9\r\n\r\n";
    send_all(fd, bad, strlen(bad));
    memset(resp, 0, sizeof resp);
    assert_int_equal(read_response(fd, resp, sizeof resp, 0), 400);
    assert_non_null(strstr(resp, "Connection: close"));
    expect_closed(fd);
    close(fd);

    /* a request body: 400 then close */
    fd = dial(port);
    const char *body = "GET /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
    send_all(fd, body, strlen(body));
    memset(resp, 0, sizeof resp);
    assert_int_equal(read_response(fd, resp, sizeof resp, 0), 400);
    expect_closed(fd);
    close(fd);

    /* a head larger than the cap: 431 then close */
    fd = dial(port);
    send_all(fd, "GET /metrics HTTP/1.1\r\nX-Long: ", 31);
    char junk[1024];
    memset(junk, 'a', sizeof junk);
    for (int i = 0; i < EXPORTER_HEAD_MAX / (int)sizeof junk + 1; i++)
        send_all(fd, junk, sizeof junk);
    memset(resp, 0, sizeof resp);
    assert_int_equal(read_response(fd, resp, sizeof resp, 0), 431);
    expect_closed(fd);
    close(fd);

    /* render failure: 500 */
    f.fail = 1;
    fd = dial(port);
    const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    send_all(fd, req, strlen(req));
    memset(resp, 0, sizeof resp);
    assert_int_equal(read_response(fd, resp, sizeof resp, 0), 500);
    close(fd);
    exporter_stop(ex);
}

static void test_conn_cap_and_stop(void **state)
{
    struct fixture f = {0};
    char err[ERRBUF_LEN];
    struct exporter *ex = exporter_start(render, &f, err, sizeof err);
    assert_non_null(ex);
    int port = exporter_port(ex);
    int fds[EXPORTER_MAX_CONNS + 1];
    char resp[4096];
    const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    /* fill the table; each connection proves it is served */
    for (int i = 0; i < EXPORTER_MAX_CONNS; i++) {
        fds[i] = dial(port);
        send_all(fds[i], req, strlen(req));
        memset(resp, 0, sizeof resp);
        assert_int_equal(read_response(fds[i], resp, sizeof resp, 0), 200);
    }
    /* one more: accepted and closed at once */
    fds[EXPORTER_MAX_CONNS] = dial(port);
    expect_closed(fds[EXPORTER_MAX_CONNS]);
    close(fds[EXPORTER_MAX_CONNS]);
    /* free a slot: a new connection is served again */
    close(fds[0]);
    mono_us deadline = mono_now() + 5 * MONO_US_PER_SEC;
    int served = 0;
    while (!served && mono_now() < deadline) {
        int fd = dial(port);
        if (write(fd, req, strlen(req)) > 0) {
            char c;
            struct timeval tv = {.tv_usec = 200000};
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            served = read(fd, &c, 1) == 1;
        }
        close(fd);
    }
    assert_true(served);
    /* stop with 31 idle clients connected: returns, and they see EOF */
    mono_us t0 = mono_now();
    exporter_stop(ex);
    assert_true(mono_now() - t0 < 2 * MONO_US_PER_SEC);
    for (int i = 1; i < EXPORTER_MAX_CONNS; i++) {
        expect_closed(fds[i]);
        close(fds[i]);
    }
    exporter_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_conn_cap_and_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
