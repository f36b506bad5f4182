/* Unit tests for http_frame.c: Content-Length, chunked, close-delimited,
 * bodiless (1xx, 101, 204, 304, HEAD) responses and the rule for bytes
 * after a complete response. Each response is fed the way loadgen and
 * serve's backend client feed it (the unconsumed head kept and fed again
 * with more, body bytes fed as they come), split at every byte into two
 * pieces and byte by byte; every piece is placed right before a PROT_NONE
 * guard page so an over-read crashes. All splits must agree. */
#include "cm.h"

#include <string.h>
#include <unistd.h>

#include "net/http_frame.h"

#include "guard.h"

struct outcome {
    int rc; /* 1 complete, 0 needs more, -1 error */
    int status;
    bool keep_alive, trailing;
    uint64_t bytes, head_bytes;
};

/* Feed s[0..n): a first piece of `first` bytes, then pieces of `step`
 * bytes (0: the rest at once); then the peer's close if eof. */
static struct outcome run(const char *s, size_t n, bool head_req, size_t first, size_t step,
                          bool eof)
{
    struct http_frame f;
    http_frame_init(&f, head_req);
    char hb[4096];
    size_t hl = 0, off = 0;
    struct outcome o = {0};
    while (off < n) {
        size_t want = off ? step : first;
        size_t k = want && n - off > want ? want : n - off;
        const char *in;
        size_t len;
        if (f.state == HTTP_FRAME_HEAD) {
            assert_true(hl + k <= sizeof hb);
            memcpy(hb + hl, s + off, k);
            hl += k;
            in = guarded(hb, hl);
            len = hl;
        } else {
            in = guarded(s + off, k);
            len = k;
        }
        off += k;
        ssize_t used = http_frame_feed(&f, in, len);
        if (used < 0) {
            assert_int_equal(used, HTTP_PARSE_ERROR);
            assert_int_equal(http_frame_feed(&f, in, len), HTTP_PARSE_ERROR); /* sticky */
            o.rc = -1;
            return o;
        }
        assert_true((size_t)used <= len);
        if (f.state == HTTP_FRAME_HEAD) {
            memmove(hb, hb + used, hl - (size_t)used);
            hl -= (size_t)used;
        } else {
            hl = 0;
            if (f.state != HTTP_FRAME_DONE) assert_int_equal(used, len);
        }
    }
    if (eof && f.state != HTTP_FRAME_DONE) {
        o.rc = http_frame_eof(&f) == 1 ? 1 : -1;
        if (o.rc < 0) return o;
    }
    o.rc = f.state == HTTP_FRAME_DONE ? 1 : 0;
    o.status = f.status;
    o.keep_alive = f.keep_alive;
    o.trailing = f.trailing;
    o.bytes = f.bytes;
    o.head_bytes = f.head_bytes;
    return o;
}

/* Framing s must give `want` however it is split. */
static void check(const char *s, size_t n, bool head_req, bool eof, struct outcome want)
{
    for (size_t first = 1; first <= n; first++) {
        for (size_t step = 0; step <= 1; step++) {
            struct outcome o = run(s, n, head_req, first, step, eof);
            if (o.rc != want.rc)
                fail_msg("split %zu/%zu: rc %d want %d", first, step, o.rc, want.rc);
            if (want.rc <= 0) continue;
            assert_int_equal(o.status, want.status);
            assert_int_equal(o.keep_alive, want.keep_alive);
            assert_int_equal(o.trailing, want.trailing);
            assert_int_equal(o.bytes, want.bytes);
            assert_int_equal(o.head_bytes, want.head_bytes);
        }
    }
}

#define OK(st, ka, tr, by, hb) ((struct outcome){1, st, ka, tr, by, hb})
#define MORE                   ((struct outcome){.rc = 0})
#define ERR                    ((struct outcome){.rc = -1})

static void test_content_length(void **state)
{
    check(S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), false, false,
          OK(200, true, false, 43, 38));
    check(S("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"), false, false,
          OK(404, true, false, 45, 45));
    check(S("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"), false, false,
          OK(200, false, false, 40, 38));
    check(S("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx"), false, false,
          OK(200, false, false, 58, 57));
    /* incomplete: more wanted; a close then is an error */
    check(S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel"), false, false, MORE);
    check(S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel"), false, true, ERR);
    check(S("HTTP/1.1 200 OK\r\nContent-Le"), false, true, ERR);
}

static void test_chunked(void **state)
{
    check(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"),
          false, false, OK(200, true, false, 84, 47));
    check(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), false, false,
          OK(200, true, false, 52, 47));
    check(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"), false, false, MORE);
    check(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), false, false, ERR);
    check(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n"), false, false, ERR);
    /* a client is lenient: bare-LF chunk lines are accepted in responses */
    check(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n"), false, false,
          OK(200, true, false, 58, 47));
}

static void test_close_delimited(void **state)
{
    check(S("HTTP/1.1 200 OK\r\n\r\nsome body"), false, false, MORE);
    check(S("HTTP/1.1 200 OK\r\n\r\nsome body"), false, true, OK(200, false, false, 28, 19));
    check(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz"), false, true,
          OK(200, false, false, 46, 44));
    check(S("HTTP/1.1 200 OK\r\n\r\n"), false, true, OK(200, false, false, 19, 19));
}

static void test_no_body(void **state)
{
    /* 204 and 304 have no body whatever the headers say */
    check(S("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"), false, false,
          OK(204, true, false, 47, 47));
    check(S("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"), false, false,
          OK(304, true, false, 57, 57));
    /* HEAD: the length describes the GET body, which is not sent */
    check(S("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"), true, false,
          OK(200, true, false, 39, 39));
    check(S("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"), false, false, MORE);
    check(S("HTTP/1.1 200 OK\r\n\r\n"), true, false, OK(200, true, false, 19, 19));
    /* 101 ends HTTP on the connection */
    check(S("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n"), false, false,
          OK(101, false, false, 48, 48));
}

static void test_interim(void **state)
{
    check(S("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
          false, false, OK(200, true, false, 105, 38));
    check(S("HTTP/1.1 100 Continue\r\n\r\n"), false, true, ERR);
}

/* The rule: bytes after a complete response mark it trailing and the
 * connection not reusable; the response itself is complete. */
static void test_trailing(void **state)
{
    check(S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloX"), false, false,
          OK(200, false, true, 43, 38));
    check(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nHTTP/1.1"), false, false,
          OK(200, false, true, 52, 47));
    check(S("HTTP/1.1 204 No Content\r\n\r\nX"), false, false, OK(204, false, true, 27, 27));
    check(S("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
          true, false, OK(200, false, true, 38, 38));
    /* a close after a complete response changes nothing */
    check(S("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"), false, true,
          OK(200, true, false, 39, 38));
}

static void test_malformed(void **state)
{
    check(S("HTTP/2 200 OK\r\n\r\n"), false, false, ERR);
    check(S("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx"), false, false,
          ERR);
    check(S("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"), false,
          false, ERR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_length),  cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_close_delimited), cmocka_unit_test(test_no_body),
        cmocka_unit_test(test_interim),         cmocka_unit_test(test_trailing),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
