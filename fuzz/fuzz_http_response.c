/* fuzz_http_response.c: libFuzzer target for http_parse_response, the
 * chunked decoder and the response framer (http_frame.h).
 *
 * Input: one byte choosing the header capacity and the chunked split
 * step, then the response bytes. Checks beyond "no crash": every span lies
 * inside the input; a proper prefix of an accepted head is PARTIAL; the
 * parser gives the same answer twice; and when the head says chunked, the
 * body decoded all at once, in pieces of `step` bytes, and piece by piece
 * with http_chunked_next agree on bytes consumed, payload and done; the
 * framer fed the whole input at once and in pieces of `step` bytes (as
 * loadgen and serve feed it) agrees on outcome, status, bytes and the
 * trailing-bytes flag, and never counts more bytes than it was given. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/http_frame.h"
#include "net/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) abort();                                                                         \
    } while (0)

static void span_in(struct http_span s, const char *b, size_t n)
{
    CHECK(s.len == 0 || (s.p >= b && s.p + s.len <= b + n));
}

/* Decode body[0..n) in pieces of step bytes (0 = whole); returns consumed
 * or HTTP_PARSE_ERROR. */
static ssize_t chunked(const char *body, size_t n, size_t step, bool next, size_t *payload,
                       bool *done)
{
    struct http_chunked st;
    http_chunked_init(&st);
    size_t off = 0;
    *payload = 0;
    while (off < n && !st.done) {
        size_t k = step && n - off > step ? step : n - off;
        ssize_t rc;
        if (next) {
            struct http_span d;
            rc = http_chunked_next(&st, body + off, k, &d);
            if (rc >= 0) {
                span_in(d, body + off, (size_t)rc);
                *payload += d.len;
            }
        } else {
            rc = http_chunked_feed(&st, body + off, k, payload);
        }
        if (rc < 0) {
            CHECK(rc == HTTP_PARSE_ERROR);
            return rc;
        }
        CHECK((size_t)rc <= k);
        off += (size_t)rc;
        if ((size_t)rc < k && !next) {
            CHECK(st.done);
            break;
        }
        if (rc == 0) CHECK(st.done);
    }
    *done = st.done;
    return (ssize_t)off;
}

/* Frame b[0..n) in pieces of step bytes (0 = whole) the way a connection
 * does: the unconsumed head kept and fed again with more, body bytes fed as
 * they come. head is scratch of n bytes. Returns the framer's final state. */
static struct http_frame frame(const char *b, size_t n, size_t step, bool head_req, char *head)
{
    struct http_frame f;
    http_frame_init(&f, head_req);
    size_t hl = 0, off = 0;
    while (off < n && f.state != HTTP_FRAME_ERROR) {
        size_t k = step && n - off > step ? step : n - off;
        const char *in = b + off;
        size_t len = k;
        if (f.state == HTTP_FRAME_HEAD) {
            memcpy(head + hl, b + off, k);
            hl += k;
            in = head;
            len = hl;
        }
        off += k;
        ssize_t used = http_frame_feed(&f, in, len);
        if (used < 0) {
            CHECK(used == HTTP_PARSE_ERROR && f.state == HTTP_FRAME_ERROR);
            break;
        }
        CHECK((size_t)used <= len);
        if (f.state == HTTP_FRAME_HEAD) {
            memmove(head, head + used, hl - (size_t)used);
            hl -= (size_t)used;
        } else {
            hl = 0;
            if (f.state != HTTP_FRAME_DONE) CHECK((size_t)used == len);
            if ((size_t)used < len) CHECK(f.trailing && !f.keep_alive);
        }
    }
    CHECK(f.bytes <= n);
    return f;
}

static void frame_check(const char *b, size_t n, size_t step, bool head_req)
{
    char *head = malloc(n ? n : 1);
    struct http_frame f0 = frame(b, n, 0, head_req, head);
    struct http_frame f1 = frame(b, n, step, head_req, head);
    CHECK(f0.state == f1.state);
    if (f0.state != HTTP_FRAME_ERROR && f0.state != HTTP_FRAME_HEAD) {
        CHECK(f0.status == f1.status && f0.bytes == f1.bytes);
        CHECK(f0.head_bytes == f1.head_bytes && f0.trailing == f1.trailing);
        CHECK(f0.keep_alive == f1.keep_alive);
        CHECK(f0.head_bytes <= f0.bytes);
    }
    if (f0.state == HTTP_FRAME_DONE) CHECK(f0.trailing == (f0.bytes < n));
    free(head);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t maxh = data[0] & 31;
    size_t step = (data[0] >> 5) + 1;
    const char *buf = (const char *)data + 1;
    size_t len = size - 1;
    /* a buffer of exactly len bytes so ASan sees any over-read */
    char *b = malloc(len ? len : 1);
    memcpy(b, buf, len);

    struct http_header h[31];
    struct http_response r;
    memset(&r, 0, sizeof r);
    r.headers = h;
    r.max_headers = maxh;
    ssize_t rc = http_parse_response(b, len, &r);
    CHECK(rc > 0 || rc == HTTP_PARSE_PARTIAL || rc == HTTP_PARSE_ERROR);
    if (rc > 0) {
        CHECK((size_t)rc <= len && r.headers_len == (size_t)rc);
        CHECK(r.status >= 100 && r.status <= 999);
        CHECK(r.minor_version == 0 || r.minor_version == 1);
        CHECK(r.num_headers <= maxh);
        CHECK(r.content_length >= -1);
        CHECK(!(r.chunked && r.content_length >= 0));
        span_in(r.reason, b, len);
        for (size_t i = 0; i < r.num_headers; i++) {
            span_in(h[i].name, b, len);
            span_in(h[i].value, b, len);
            CHECK(h[i].name.len > 0);
        }
        struct http_response r2 = r;
        CHECK(http_parse_response(b, (size_t)rc - 1, &r2) == HTTP_PARSE_PARTIAL);
        CHECK(http_parse_response(b, len, &r2) == rc && r2.status == r.status);

        if (r.chunked) {
            const char *body = b + rc;
            size_t n = len - (size_t)rc;
            size_t p0, p1, p2;
            bool d0, d1, d2;
            ssize_t c0 = chunked(body, n, 0, false, &p0, &d0);
            ssize_t c1 = chunked(body, n, step, false, &p1, &d1);
            ssize_t c2 = chunked(body, n, step, true, &p2, &d2);
            if (c0 >= 0) {
                CHECK(c1 == c0 && p1 == p0 && d1 == d0);
                CHECK(c2 == c0 && p2 == p0 && d2 == d0);
            } else {
                /* an error split differently is still an error */
                CHECK(c1 == HTTP_PARSE_ERROR && c2 == HTTP_PARSE_ERROR);
            }
        }
    }
    frame_check(b, len, step, data[0] & 1);
    free(b);
    return 0;
}
