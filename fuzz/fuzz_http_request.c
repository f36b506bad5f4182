/* fuzz_http_request.c: libFuzzer target for http_parse_request (and the
 * chunked decoder on request bodies).
 *
 * Input: one byte choosing the header capacity and a split point, then the
 * request bytes. Checks beyond "no crash": spans lie inside the input and
 * the method/target hold only the characters the parser promises; a proper
 * prefix of an accepted head is PARTIAL; parsing in two steps (first a
 * prefix, then the whole) gives the same result; te_other only with
 * chunked, and no Transfer-Encoding in HTTP/1.0; a chunked body decoded
 * whole and split in two agree, and the lenient (bare_lf) decoder accepts
 * whatever the strict one does, with the same result. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t maxh = data[0] & 15;
    size_t len = size - 1;
    size_t cut = len ? (size_t)(data[0] >> 4) * len / 16 : 0;
    char *b = malloc(len ? len : 1);
    memcpy(b, data + 1, len);

    struct http_header h[15];
    struct http_request r;
    memset(&r, 0, sizeof r);
    r.headers = h;
    r.max_headers = maxh;
    ssize_t first = http_parse_request(b, cut, &r); /* as if the rest came later */
    ssize_t rc = http_parse_request(b, len, &r);
    CHECK(rc > 0 || rc == HTTP_PARSE_PARTIAL || rc == HTTP_PARSE_ERROR);
    if (first > 0) CHECK(rc == first);
    if (first == HTTP_PARSE_ERROR) CHECK(rc == HTTP_PARSE_ERROR);
    if (rc > 0) {
        CHECK((size_t)rc <= len && r.headers_len == (size_t)rc);
        CHECK(first == rc || first == HTTP_PARSE_PARTIAL);
        CHECK(r.minor_version == 0 || r.minor_version == 1);
        CHECK(r.num_headers <= maxh);
        CHECK(r.method.len > 0 && r.path.len > 0);
        span_in(r.method, b, len);
        span_in(r.path, b, len);
        for (size_t i = 0; i < r.path.len; i++)
            CHECK(r.path.p[i] > 0x20 && r.path.p[i] < 0x7f);
        for (size_t i = 0; i < r.num_headers; i++) {
            span_in(h[i].name, b, len);
            span_in(h[i].value, b, len);
            CHECK(h[i].name.len > 0);
            for (size_t k = 0; k < h[i].value.len; k++) {
                unsigned char c = (unsigned char)h[i].value.p[k];
                CHECK(c >= 0x20 || c == '\t');
                CHECK(c != 0x7f);
            }
        }
        CHECK(!(r.chunked && r.content_length >= 0));
        CHECK(!r.te_other || r.chunked);
        CHECK(!r.chunked || r.minor_version == 1);
        struct http_request r2 = r;
        CHECK(http_parse_request(b, (size_t)rc - 1, &r2) == HTTP_PARSE_PARTIAL);

        if (r.chunked) {
            const char *body = b + rc;
            size_t n = len - (size_t)rc, p0 = 0, p1 = 0;
            struct http_chunked s0, s1;
            http_chunked_init(&s0);
            http_chunked_init(&s1);
            ssize_t c0 = http_chunked_feed(&s0, body, n, &p0);
            size_t half = n / 2;
            ssize_t a = http_chunked_feed(&s1, body, half, &p1);
            ssize_t c1 = a;
            if (a >= 0 && !s1.done) {
                ssize_t bb = http_chunked_feed(&s1, body + half, n - half, &p1);
                c1 = bb < 0 ? bb : a + bb;
            }
            CHECK(c0 == c1);
            if (c0 >= 0) CHECK(p0 == p1 && s0.done == s1.done && (size_t)c0 <= n);
            struct http_chunked s2;
            size_t p2 = 0;
            http_chunked_init(&s2);
            s2.bare_lf = true;
            ssize_t c2 = http_chunked_feed(&s2, body, n, &p2);
            if (c0 >= 0 && s0.done) CHECK(c2 == c0 && p2 == p0 && s2.done);
        }
    }
    free(b);
    return 0;
}
