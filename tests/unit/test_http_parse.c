/* Unit tests for http_parse.c: valid and invalid responses, requests and
 * chunked bodies. Every input is placed right before a PROT_NONE guard page
 * (picohttpparser's technique), so reading even one byte past the end
 * crashes; every proper prefix of a valid head must be PARTIAL; chunked
 * bodies fed byte by byte and in two pieces split anywhere must give the
 * same result as all at once, in the strict (CRLF) and the lenient
 * (bare_lf) mode. */
#include "cm.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net/http_parse.h"

#include "guard.h"

/* ---- responses ---- */

static ssize_t resp(const char *s, size_t n, struct http_response *r, struct http_header *h,
                    size_t maxh)
{
    memset(r, 0xa5, sizeof *r);
    r->headers = h;
    r->max_headers = maxh;
    return http_parse_response(guarded(s, n), n, r);
}

/* A valid response head: every prefix PARTIAL, the whole and the whole
 * plus body give the same consumed count. */
static void resp_ok(const char *s, size_t n, struct http_response *r, struct http_header *h,
                    size_t maxh)
{
    for (size_t i = 0; i < n; i++) {
        ssize_t rc = resp(s, i, r, h, maxh);
        if (rc != HTTP_PARSE_PARTIAL) fail_msg("prefix %zu of %.*s: got %zd", i, (int)n, s, rc);
    }
    char with_body[4096];
    assert_true(n + 5 < sizeof with_body);
    memcpy(with_body, s, n);
    memcpy(with_body + n, "hello", 5);
    assert_int_equal(resp(with_body, n + 5, r, h, maxh), (ssize_t)n);
    assert_int_equal(resp(s, n, r, h, maxh), (ssize_t)n);
    assert_int_equal(r->headers_len, n);
}

static void resp_bad(const char *s, size_t n)
{
    struct http_response r;
    struct http_header h[8];
    ssize_t whole = resp(s, n, &r, h, 8);
    if (whole != HTTP_PARSE_ERROR) fail_msg("accepted bad response (%zd): %.*s", whole, (int)n, s);
    for (size_t i = 0; i < n; i++) { /* a prefix is never accepted */
        ssize_t rc = resp(s, i, &r, h, 8);
        if (rc != HTTP_PARSE_PARTIAL && rc != HTTP_PARSE_ERROR)
            fail_msg("prefix %zu of bad input %.*s: got %zd", i, (int)n, s, rc);
    }
}

static void test_response_basic(void **state)
{
    struct http_response r;
    struct http_header h[8];
    resp_ok(S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x y \r\n\r\n"), &r, h, 8);
    assert_int_equal(r.minor_version, 1);
    assert_int_equal(r.status, 200);
    assert_true(http_span_ieq(r.reason, "OK"));
    assert_int_equal(r.num_headers, 2);
    assert_true(http_span_ieq(h[0].name, "content-length"));
    assert_int_equal(h[1].value.len, 3);
    assert_memory_equal(h[1].value.p, "x y", 3);
    assert_int_equal(r.content_length, 5);
    assert_false(r.chunked);
    assert_true(r.keep_alive);
    assert_false(r.no_body);
    const struct http_header *f = http_header_find(h, r.num_headers, "SERVER");
    assert_non_null(f);
    assert_ptr_equal(f, &h[1]);
    assert_null(http_header_find(h, r.num_headers, "Date"));
}

static void test_response_versions_keepalive(void **state)
{
    struct http_response r;
    struct http_header h[8];
    resp_ok(S("HTTP/1.0 200 OK\r\n\r\n"), &r, h, 8);
    assert_int_equal(r.minor_version, 0);
    assert_false(r.keep_alive);
    assert_int_equal(r.content_length, -1);
    assert_int_equal(r.num_headers, 0);
    resp_ok(S("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n"), &r, h, 8);
    assert_true(r.keep_alive);
    resp_ok(S("HTTP/1.1 200 OK\r\nCONNECTION: upgrade, CLOSE\r\n\r\n"), &r, h, 8);
    assert_false(r.keep_alive);
    resp_ok(S("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n"), &r, h, 8);
    assert_true(r.keep_alive);
    resp_ok(S("HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\n\r\n"), &r, h, 8);
    assert_false(r.keep_alive);
}

static void test_response_status_reason(void **state)
{
    struct http_response r;
    struct http_header h[8];
    resp_ok(S("HTTP/1.1 204 No Content\r\n\r\n"), &r, h, 8);
    assert_true(r.no_body);
    resp_ok(S("HTTP/1.1 304 Not Modified\r\n\r\n"), &r, h, 8);
    assert_true(r.no_body);
    resp_ok(S("HTTP/1.1 100 Continue\r\n\r\n"), &r, h, 8);
    assert_true(r.no_body);
    assert_int_equal(r.status, 100);
    resp_ok(S("HTTP/1.1 999 x\r\n\r\n"), &r, h, 8);
    assert_int_equal(r.status, 999);
    resp_ok(S("HTTP/1.1 200\r\n\r\n"), &r, h, 8);
    assert_int_equal(r.reason.len, 0);
    resp_ok(S("HTTP/1.1 200 \r\n\r\n"), &r, h, 8);
    assert_int_equal(r.reason.len, 0);
    resp_ok(S("HTTP/1.1 500 Internal\tServer \xe9rror\r\n\r\n"), &r, h, 8);
    assert_int_equal(r.status, 500);
    assert_int_equal(r.reason.len, 21);
    /* bare LF line ends */
    resp_ok(S("HTTP/1.1 404 Not Found\nX: y\n\n"), &r, h, 8);
    assert_int_equal(r.status, 404);
    assert_int_equal(r.num_headers, 1);
    assert_true(http_span_ieq(h[0].value, "y"));
}

static void test_response_framing(void **state)
{
    struct http_response r;
    struct http_header h[8];
    resp_ok(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), &r, h, 8);
    assert_true(r.chunked);
    assert_int_equal(r.content_length, -1);
    resp_ok(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"), &r, h, 8);
    assert_true(r.chunked);
    resp_ok(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n"),
            &r, h, 8);
    assert_false(r.chunked); /* body until close */
    assert_int_equal(r.content_length, -1);
    resp_ok(S("HTTP/1.1 200 OK\r\nContent-Length: 007\r\ncontent-length: 7\r\n\r\n"), &r, h, 8);
    assert_int_equal(r.content_length, 7);
    resp_ok(S("HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\n"), &r, h, 8);
    assert_int_equal(r.content_length, INT64_MAX);
    resp_ok(S("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), &r, h, 8);
    assert_int_equal(r.content_length, 0);
    resp_ok(S("HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Ws: \t \r\n\r\n"), &r, h, 8);
    assert_int_equal(r.num_headers, 2);
    assert_int_equal(h[0].value.len, 0);
    assert_int_equal(h[1].value.len, 0);
}

static void test_response_header_cap(void **state)
{
    struct http_response r;
    struct http_header h[3];
    resp_ok(S("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), &r, h, 3);
    assert_int_equal(r.num_headers, 3);
    assert_int_equal(resp(S("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n"), &r, h, 3),
                     HTTP_PARSE_ERROR);
    assert_int_equal(resp(S("HTTP/1.1 200 OK\r\nA: 1\r\n\r\n"), &r, h, 0), HTTP_PARSE_ERROR);
    resp_ok(S("HTTP/1.1 200 OK\r\n\r\n"), &r, NULL, 0);
}

static void test_response_invalid(void **state)
{
    resp_bad(S("HTTP/1.1 20 OK\r\n\r\n"));
    resp_bad(S("HTTP/1.1 2000 OK\r\n\r\n"));
    resp_bad(S("HTTP/1.1 099 Low\r\n\r\n"));
    resp_bad(S("HTTP/1.1 2x0 OK\r\n\r\n"));
    resp_bad(S("HTTP/2.0 200 OK\r\n\r\n"));
    resp_bad(S("HTTP/1.2 200 OK\r\n\r\n"));
    resp_bad(S("http/1.1 200 OK\r\n\r\n"));
    resp_bad(S("HTTP/1.1  200 OK\r\n\r\n"));
    resp_bad(S("HTTP/1.1\t200 OK\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 O\x01K\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 O\0K\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 OK\rX\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 OK\r\nX : a\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 OK\r\n: a\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 OK\r\n folded: a\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 OK\r\nX: a\r\n\tb\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 OK\r\nX: a\x01z\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 OK\r\nX: a\x7fz\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 OK\r\nX: a\r\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 OK\r\nX\x80y: a\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775808\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"));
    resp_bad(S("\r\nHTTP/1.1 200 OK\r\n\r\n"));
    resp_bad(S("HTTP/1.1 200 OK\r\n\r\r\n"));
}

/* ---- requests ---- */

static ssize_t req(const char *s, size_t n, struct http_request *r, struct http_header *h,
                   size_t maxh)
{
    memset(r, 0xa5, sizeof *r);
    r->headers = h;
    r->max_headers = maxh;
    return http_parse_request(guarded(s, n), n, r);
}

static void req_ok(const char *s, size_t n, struct http_request *r, struct http_header *h)
{
    for (size_t i = 0; i < n; i++) {
        ssize_t rc = req(s, i, r, h, 8);
        if (rc != HTTP_PARSE_PARTIAL) fail_msg("prefix %zu of %.*s: got %zd", i, (int)n, s, rc);
    }
    char more[4096];
    assert_true(n + 20 < sizeof more);
    memcpy(more, s, n);
    memcpy(more + n, "GET / HTTP/1.1\r\n\r\n", 18); /* a pipelined request */
    assert_int_equal(req(more, n + 18, r, h, 8), (ssize_t)n);
    assert_int_equal(req(s, n, r, h, 8), (ssize_t)n);
    assert_int_equal(r->headers_len, n);
}

static void req_bad(const char *s, size_t n)
{
    struct http_request r;
    struct http_header h[8];
    ssize_t whole = req(s, n, &r, h, 8);
    if (whole != HTTP_PARSE_ERROR) fail_msg("accepted bad request (%zd): %.*s", whole, (int)n, s);
    for (size_t i = 0; i < n; i++) {
        ssize_t rc = req(s, i, &r, h, 8);
        if (rc != HTTP_PARSE_PARTIAL && rc != HTTP_PARSE_ERROR)
            fail_msg("prefix %zu of bad input %.*s: got %zd", i, (int)n, s, rc);
    }
}

static bool span_is(struct http_span s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

static void test_request_basic(void **state)
{
    struct http_request r;
    struct http_header h[8];
    req_ok(S("GET /echo?size=10&x=%20 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAccept: */*\r\n\r\n"), &r,
           h);
    assert_true(span_is(r.method, "GET"));
    assert_true(span_is(r.path, "/echo?size=10&x=%20"));
    assert_int_equal(r.minor_version, 1);
    assert_int_equal(r.num_headers, 2);
    assert_true(span_is(http_header_find(h, r.num_headers, "host")->value, "127.0.0.1:8080"));
    assert_int_equal(r.content_length, -1);
    assert_false(r.chunked);
    assert_true(r.keep_alive);
    assert_false(r.expect_continue);

    req_ok(S("POST /p HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-Continue\r\n\r\n"), &r, h);
    assert_true(span_is(r.method, "POST"));
    assert_int_equal(r.content_length, 3);
    assert_true(r.expect_continue);

    req_ok(S("PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), &r, h);
    assert_true(r.chunked);
    assert_int_equal(r.content_length, -1);

    req_ok(S("GET / HTTP/1.0\r\n\r\n"), &r, h);
    assert_false(r.keep_alive);
    assert_int_equal(r.minor_version, 0);
    req_ok(S("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), &r, h);
    assert_true(r.keep_alive);
    req_ok(S("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"), &r, h);
    assert_false(r.keep_alive);
}

static void test_request_forms(void **state)
{
    struct http_request r;
    struct http_header h[8];
    req_ok(S("\r\n\r\nGET / HTTP/1.1\r\n\r\n"), &r, h); /* leading empty lines */
    assert_true(span_is(r.path, "/"));
    req_ok(S("OPTIONS * HTTP/1.1\r\n\r\n"), &r, h);
    assert_true(span_is(r.path, "*"));
    req_ok(S("GET http://a.example/b?c HTTP/1.1\r\n\r\n"), &r, h);
    assert_true(span_is(r.path, "http://a.example/b?c"));
    req_ok(S("M-SEARCH! /x HTTP/1.1\nHost: h\n\n"), &r, h);
    assert_true(span_is(r.method, "M-SEARCH!"));
    req_ok(S("CONNECT a.example:443 HTTP/1.1\r\n\r\n"), &r, h);
    assert_true(span_is(r.path, "a.example:443"));
}

static void test_request_invalid(void **state)
{
    req_bad(S("GET  / HTTP/1.1\r\n\r\n"));
    req_bad(S("GET /\r\n\r\n"));
    req_bad(S("GET / \r\n\r\n"));
    req_bad(S("GET / HTTP/1.1 \r\n\r\n"));
    req_bad(S("GET /a b HTTP/1.1\r\n\r\n"));
    req_bad(S("G(T / HTTP/1.1\r\n\r\n"));
    req_bad(S(" GET / HTTP/1.1\r\n\r\n"));
    req_bad(S("GET\t/ HTTP/1.1\r\n\r\n"));
    req_bad(S("GET /a\x01 HTTP/1.1\r\n\r\n"));
    req_bad(S("GET /a\x80 HTTP/1.1\r\n\r\n"));
    req_bad(S("GET /a\x7f HTTP/1.1\r\n\r\n"));
    req_bad(S("GET / HTTP/2\r\n\r\n"));
    req_bad(S("GET / HTTP/1.x\r\n\r\n"));
    req_bad(S("GET / FTP/1.1\r\n\r\n"));
    req_bad(S(" / HTTP/1.1\r\n\r\n"));
    req_bad(S("GET / HTTP/1.1\r\nHost x\r\n\r\n"));
    req_bad(S("GET / HTTP/1.1\r\nHo st: x\r\n\r\n"));
    req_bad(S("GET / HTTP/1.1\r\nHost: x\r\n y\r\n\r\n"));
    req_bad(S("GET / HTTP/1.1\r\nHost: x\0y\r\n\r\n"));
    req_bad(S("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"));
    req_bad(S("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"));
    req_bad(S("POST / HTTP/1.1\r\nTransfer-Encoding: ,\r\n\r\n"));
    req_bad(S("POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n"));
    req_bad(S("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"));
    req_bad(S("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"));
    req_bad(
        S("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"));
    req_bad(S("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"));
    req_bad(S("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"));
    req_bad(S("POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n"));
}

/* Transfer-Encoding that ends in chunked but names another coding parses
 * (the framing is known), flagged for the server's 501. */
static void test_request_te_other(void **state)
{
    struct http_request r;
    struct http_header h[8];
    req_ok(S("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), &r, h);
    assert_true(r.chunked);
    assert_true(r.te_other);
    req_ok(S("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"),
           &r, h);
    assert_true(r.chunked && r.te_other);
    req_ok(S("POST / HTTP/1.1\r\nTransfer-Encoding: chunked;x=1\r\n\r\n"), &r, h);
    assert_true(r.chunked && r.te_other);
    req_ok(S("POST / HTTP/1.1\r\nTransfer-Encoding: CHUNKED\r\n\r\n"), &r, h);
    assert_true(r.chunked);
    assert_false(r.te_other);
    req_ok(S("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), &r, h);
    assert_false(r.chunked || r.te_other);
}

static void test_request_partial_and_cap(void **state)
{
    struct http_request r;
    struct http_header h[2];
    assert_int_equal(req(S("GET / HTTP/1.1\r\nHost: x\r\n"), &r, h, 2), HTTP_PARSE_PARTIAL);
    assert_int_equal(req(S("GET / HTTP/1.1\r\nHost: x\r\n\r"), &r, h, 2), HTTP_PARSE_PARTIAL);
    assert_int_equal(req(S("\r\n\r\n"), &r, h, 2), HTTP_PARSE_PARTIAL);
    assert_int_equal(req(S("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), &r, h, 2),
                     HTTP_PARSE_ERROR);
    /* a retry after PARTIAL with the same struct works (max_headers kept) */
    assert_int_equal(req(S("GET / HTTP/1.1\r\nA: 1\r\n"), &r, h, 2), HTTP_PARSE_PARTIAL);
    static const char full[] = "GET / HTTP/1.1\r\nA: 1\r\n\r\n";
    assert_int_equal(http_parse_request(guarded(full, sizeof full - 1), sizeof full - 1, &r),
                     (ssize_t)(sizeof full - 1));
    assert_int_equal(r.num_headers, 1);
}

static void test_span_ieq(void **state)
{
    struct http_span s = {"Content-LENGTH", 14};
    assert_true(http_span_ieq(s, "content-length"));
    assert_false(http_span_ieq(s, "content-lengt"));
    assert_false(http_span_ieq(s, "content-lengthx"));
    struct http_span e = {"", 0};
    assert_true(http_span_ieq(e, ""));
    /* '@' and '`' differ from letters by 0x20 but are not letters */
    struct http_span at = {"@", 1};
    assert_false(http_span_ieq(at, "`"));
}

/* ---- chunked ---- */

struct ck_result {
    ssize_t consumed; /* total, or HTTP_PARSE_ERROR */
    size_t payload;
    bool done;
    char data[512]; /* payload collected with http_chunked_next */
    size_t data_len;
};

/* The decoder's mode for the ck_* helpers: strict unless a test says. */
static bool ck_lenient;

static void ck_init(struct http_chunked *st)
{
    http_chunked_init(st);
    st->bare_lf = ck_lenient;
}

/* Feed s[0..n) in pieces of at most `step` bytes (0 = all at once), each
 * piece placed before the guard page; feed stops at done or error. */
static void ck_feed(const char *s, size_t n, size_t step, bool use_next, struct ck_result *out)
{
    struct http_chunked st;
    ck_init(&st);
    memset(out, 0, sizeof *out);
    size_t off = 0;
    while (off < n && !st.done) {
        size_t k = step ? (n - off < step ? n - off : step) : n - off;
        const char *g = guarded(s + off, k);
        size_t used = 0;
        while (used < k && !st.done) {
            ssize_t rc;
            if (use_next) {
                struct http_span d;
                rc = http_chunked_next(&st, g + used, k - used, &d);
                if (rc >= 0) {
                    assert_true(d.len == 0 || (d.p >= g + used && d.p + d.len <= g + k));
                    assert_true(out->data_len + d.len <= sizeof out->data);
                    memcpy(out->data + out->data_len, d.p, d.len);
                    out->data_len += d.len;
                    out->payload += d.len;
                }
            } else {
                rc = http_chunked_feed(&st, g + used, k - used, &out->payload);
            }
            if (rc == HTTP_PARSE_ERROR) {
                out->consumed = HTTP_PARSE_ERROR;
                return;
            }
            assert_true(rc >= 0 && (size_t)rc <= k - used);
            if (rc == 0) break;
            used += (size_t)rc;
        }
        off += used;
        if (used < k) break; /* done before the end of the piece */
    }
    out->consumed = (ssize_t)off;
    out->done = st.done;
}

/* Check all feeding patterns agree, then return the all-at-once result. */
static void ck_all_ways(const char *s, size_t n, struct ck_result *whole)
{
    struct ck_result r;
    ck_feed(s, n, 0, false, whole);
    for (size_t step = 1; step <= 3; step++) {
        for (int nx = 0; nx < 2; nx++) {
            ck_feed(s, n, step, nx, &r);
            if (r.consumed != whole->consumed || r.done != whole->done ||
                r.payload != whole->payload)
                fail_msg("step %zu next %d: consumed %zd/%zd payload %zu/%zu done %d/%d", step, nx,
                         r.consumed, whole->consumed, r.payload, whole->payload, r.done,
                         whole->done);
        }
    }
    /* two pieces split at every point */
    for (size_t cut = 1; cut < n; cut++) {
        struct http_chunked st;
        ck_init(&st);
        size_t pay = 0;
        ssize_t a = http_chunked_feed(&st, guarded(s, cut), cut, &pay);
        if (a == HTTP_PARSE_ERROR) {
            assert_int_equal(whole->consumed, HTTP_PARSE_ERROR);
            continue;
        }
        ssize_t total = a;
        if (!st.done) {
            ssize_t b = http_chunked_feed(&st, guarded(s + cut, n - cut), n - cut, &pay);
            if (b == HTTP_PARSE_ERROR) {
                assert_int_equal(whole->consumed, HTTP_PARSE_ERROR);
                continue;
            }
            total += b;
        }
        if (total != whole->consumed || pay != whole->payload || st.done != whole->done)
            fail_msg("cut %zu: consumed %zd/%zd", cut, total, whole->consumed);
    }
}

/* A valid body followed by `extra` bytes that are not part of it. */
static void ck_ok(const char *s, size_t n, size_t extra, const char *payload)
{
    size_t consumed = n - extra;
    struct ck_result w, nx;
    ck_all_ways(s, n, &w);
    assert_int_equal(w.consumed, (ssize_t)consumed);
    assert_true(w.done);
    assert_int_equal(w.payload, strlen(payload));
    ck_feed(s, n, 1, true, &nx);
    assert_int_equal(nx.data_len, strlen(payload));
    assert_memory_equal(nx.data, payload, nx.data_len);
    ck_feed(s, n, 0, true, &nx);
    assert_memory_equal(nx.data, payload, nx.data_len);
}

static void ck_bad(const char *s, size_t n)
{
    struct ck_result w;
    ck_all_ways(s, n, &w);
    if (w.consumed != HTTP_PARSE_ERROR) fail_msg("accepted bad chunked body %.*s", (int)n, s);
}

static void test_chunked_valid(void **state)
{
    ck_ok(S("5\r\nhello\r\n0\r\n\r\n"), 0, "hello");
    ck_ok(S("0\r\n\r\n"), 0, "");
    ck_ok(S("5;name=val;x\r\nhello\r\n6 \r\n world\r\n0\r\nTrailer: x\r\nT2: y\r\n\r\nNEXT"), 4,
          "hello world");
    ck_ok(S("A\r\n0123456789\r\n00\r\n\r\n"), 0, "0123456789");
    ck_ok(S("0005 ; x=\"q\"\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n"), 16, "hello");
    ck_ok(S("1\r\nx\r\n1\r\ny\r\n1\r\nz\r\n0\r\n\r\n"), 0, "xyz");
}

/* Bare LF line ends: refused by default (requests), accepted with
 * bare_lf (a client's leniency). */
static void test_chunked_bare_lf(void **state)
{
    static const struct {
        const char *s;
        size_t extra;
        const char *payload;
    } cases[] = {
        {"a\n0123456789\n0\n\n", 0, "0123456789"},
        {"5\nhello\r\n0\r\n\r\n", 0, "hello"},
        {"5\r\nhello\n0\r\n\r\n", 0, "hello"},
        {"5;e=1\nhello\r\n0\r\n\r\n", 0, "hello"},
        {"5 \nhello\r\n0\r\n\r\n", 0, "hello"},
        {"0\r\n\nX", 1, ""},
        {"0\r\nT: y\n\r\n", 0, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].s);
        ck_lenient = false;
        ck_bad(cases[i].s, n);
        ck_lenient = true;
        ck_ok(cases[i].s, n, cases[i].extra, cases[i].payload);
    }
    ck_lenient = false;
    /* CRLF everywhere is fine in both modes */
    ck_ok(S("5\r\nhello\r\n0\r\nT: y\r\n\r\n"), 0, "hello");
}

static void test_chunked_partial(void **state)
{
    struct http_chunked st;
    size_t pay = 0;
    http_chunked_init(&st);
    assert_int_equal(http_chunked_feed(&st, guarded(S("5\r\nhel")), 6, &pay), 6);
    assert_false(st.done);
    assert_int_equal(pay, 3);
    assert_int_equal(st.remaining, 2);
    /* the largest size that fits in 64 bits is fine until the data runs out */
    http_chunked_init(&st);
    assert_int_equal(http_chunked_feed(&st, guarded(S("FFFFFFFFFFFFFFFF\r\nab")), 20, &pay), 20);
    assert_false(st.done);
    http_chunked_init(&st);
    assert_int_equal(http_chunked_feed(&st, guarded(S("")), 0, &pay), 0);
    /* done: nothing more is consumed */
    http_chunked_init(&st);
    assert_int_equal(http_chunked_feed(&st, guarded(S("0\r\n\r\nX")), 6, NULL), 5);
    assert_true(st.done);
    assert_int_equal(http_chunked_feed(&st, guarded(S("X")), 1, NULL), 0);
}

static void test_chunked_invalid(void **state)
{
    ck_bad(S("g\r\n"));
    ck_bad(S("\r\n"));
    ck_bad(S(";ext\r\n"));
    ck_bad(S(" 5\r\nhello\r\n0\r\n\r\n"));
    ck_bad(S("-5\r\n"));
    ck_bad(S("5\r\nhelloX\r\n"));
    ck_bad(S("5\r\nhello\rX"));
    ck_bad(S("5\rX"));
    ck_bad(S("5 x\r\n"));
    ck_bad(S("5;a\x01\r\n"));
    ck_bad(S("10000000000000000\r\n")); /* 2^64: overflow */
}

static void test_chunked_invalid2(void **state)
{
    ck_bad(S("5\r\nhello\r\n0\r\n folded\r\n\r\n"));
    ck_bad(S("5\r\nhello\r\n0\r\nX: a\x01\r\n\r\n"));
    ck_bad(S("0\r\n\rX"));
    ck_bad(S("0\r\nX: y\rZ"));
    /* an over-long chunk-size line */
    static char longline[HTTP_CHUNK_LINE_MAX + 16];
    memset(longline, 'a', sizeof longline);
    memcpy(longline, "5;", 2);
    struct http_chunked st;
    http_chunked_init(&st);
    assert_int_equal(
        http_chunked_feed(&st, guarded(longline, sizeof longline), sizeof longline, NULL),
        HTTP_PARSE_ERROR);
    /* trailers past the cap */
    static char trailers[HTTP_CHUNK_TRAILER_MAX + 64];
    size_t o = 0;
    memcpy(trailers, "0\r\n", 3);
    o = 3;
    while (o + 8 < sizeof trailers) {
        memcpy(trailers + o, "X: abc\r\n", 8);
        o += 8;
    }
    http_chunked_init(&st);
    assert_int_equal(http_chunked_feed(&st, guarded(trailers, o), o, NULL), HTTP_PARSE_ERROR);
}

static void test_chunked_error_sticky(void **state)
{
    struct http_chunked st;
    http_chunked_init(&st);
    assert_int_equal(http_chunked_feed(&st, guarded(S("5\r\nhelloX")), 9, NULL), HTTP_PARSE_ERROR);
    /* a caller re-feeding the same bytes (or anything) still gets the error */
    assert_int_equal(http_chunked_feed(&st, guarded(S("5\r\nhelloX")), 9, NULL), HTTP_PARSE_ERROR);
    struct http_span d;
    assert_int_equal(http_chunked_next(&st, guarded(S("0\r\n\r\n")), 5, &d), HTTP_PARSE_ERROR);
    assert_false(st.done);
}

static void test_chunked_leading_zeros(void **state)
{
    /* many leading zeros do not overflow */
    ck_ok(S("00000000000000000000000000001\r\nx\r\n0\r\n\r\n"), 0, "x");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_response_basic),
        cmocka_unit_test(test_response_versions_keepalive),
        cmocka_unit_test(test_response_status_reason),
        cmocka_unit_test(test_response_framing),
        cmocka_unit_test(test_response_header_cap),
        cmocka_unit_test(test_response_invalid),
        cmocka_unit_test(test_request_basic),
        cmocka_unit_test(test_request_forms),
        cmocka_unit_test(test_request_invalid),
        cmocka_unit_test(test_request_te_other),
        cmocka_unit_test(test_request_partial_and_cap),
        cmocka_unit_test(test_span_ieq),
        cmocka_unit_test(test_chunked_valid),
        cmocka_unit_test(test_chunked_bare_lf),
        cmocka_unit_test(test_chunked_partial),
        cmocka_unit_test(test_chunked_invalid),
        cmocka_unit_test(test_chunked_invalid2),
        cmocka_unit_test(test_chunked_error_sticky),
        cmocka_unit_test(test_chunked_leading_zeros),
    };
    return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
