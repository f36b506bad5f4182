/* http_parse.h: HTTP/1.1 message-head parsers and a chunked-body decoder
 * that neither copy nor allocate.
 *
 * Every function takes the caller's buffer and reports results as spans
 * (pointer + length) into that buffer, so the spans are valid only while the
 * buffer is unchanged. The head parsers are stateless: call them again with
 * the whole (grown) buffer after HTTP_PARSE_PARTIAL; they return
 *   > 0                 bytes consumed by the head (status/request line,
 *                       headers and the empty line); the body starts there
 *   HTTP_PARSE_PARTIAL  the head is incomplete so far; read more and retry
 *   HTTP_PARSE_ERROR    malformed (or too many headers); not recoverable.
 * Bounding the head size is the caller's job: it decides how many bytes it
 * is willing to buffer and treats PARTIAL at that size as an error.
 * Head lines may end in CRLF or a bare LF (RFC 9112 2.2); a request's
 * chunk-size and trailer lines need CRLF (see struct http_chunked). */
#ifndef MESHPERF_HTTP_PARSE_H
#define MESHPERF_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HTTP_PARSE_ERROR   (-1)
#define HTTP_PARSE_PARTIAL (-2)

/* A span of the caller's buffer. Not NUL-terminated. */
struct http_span {
    const char *p;
    size_t len;
};

/* One header field; value has surrounding whitespace trimmed. */
struct http_header {
    struct http_span name;
    struct http_span value;
};

struct http_response {
    /* in: the caller's header array and its capacity. More header lines
     * than max_headers is HTTP_PARSE_ERROR. Unchanged by the parser, so
     * the struct can be reused for a retry after PARTIAL. */
    struct http_header *headers;
    size_t max_headers;

    /* out (valid only when the call returned > 0) */
    size_t num_headers;      /* headers[0..num_headers) are filled */
    int minor_version;       /* HTTP/1.x: 0 or 1 */
    int status;              /* 100..999 */
    struct http_span reason; /* may be empty */
    int64_t content_length;  /* -1 if absent; malformed/conflicting = error */
    bool chunked;            /* Transfer-Encoding ends in "chunked" */
    bool keep_alive;         /* 1.1: true unless "Connection: close";
                              * 1.0: false unless "Connection: keep-alive" */
    bool no_body;            /* status 1xx, 204 or 304: no body whatever the
                              * headers say (HEAD is the caller's business) */
    size_t headers_len;      /* = the return value */
};

/* Parse a response head from buf[0..len). Returns bytes consumed (> 0),
 * HTTP_PARSE_PARTIAL or HTTP_PARSE_ERROR; r's out fields are valid only on
 * > 0. Both Content-Length and Transfer-Encoding present is an error; a
 * Transfer-Encoding not ending in chunked leaves chunked false and
 * content_length -1 (body until EOF). Never reads past buf[len-1]. */
ssize_t http_parse_response(const char *buf, size_t len, struct http_response *r);

struct http_request {
    /* in: as in struct http_response */
    struct http_header *headers;
    size_t max_headers;

    /* out (valid only when the call returned > 0) */
    size_t num_headers;
    struct http_span method; /* a token, e.g. "GET" */
    struct http_span path;   /* the request target as sent, e.g. "/a?b=1" */
    int minor_version;       /* 0 or 1 */
    int64_t content_length;  /* -1 if absent (no body unless chunked) */
    bool chunked;            /* Transfer-Encoding ends in chunked: the framing */
    bool te_other;           /* Transfer-Encoding also names another coding
                              * ("gzip, chunked"): framed as chunked, but a
                              * server that does not decode that coding
                              * answers 501 (RFC 9112 6.1) */
    bool keep_alive;         /* as for responses */
    bool expect_continue;    /* "Expect: 100-continue" */
    size_t headers_len;      /* = the return value */
};

/* Parse a request head from buf[0..len). Returns as http_parse_response.
 * Errors: bad method token, control characters or spaces in the target,
 * missing or unknown version (only HTTP/1.0 and HTTP/1.1), header lines
 * without a colon or with a bad name, obs-fold (continuation lines),
 * malformed/conflicting Content-Length, Content-Length together with
 * Transfer-Encoding, a Transfer-Encoding that is empty, does not end in
 * chunked, names chunked twice, or comes in an HTTP/1.0 request (all of
 * which RFC 9112 6.1 and 6.3 make a 400). Method names, Host and the form
 * of the target are the server's business (a well-formed head with an
 * unknown method or without Host parses). */
ssize_t http_parse_request(const char *buf, size_t len, struct http_request *r);

/* First header named `name` (ASCII case-insensitive) among h[0..n), or
 * NULL. */
const struct http_header *http_header_find(const struct http_header *h, size_t n, const char *name);

/* True if span s equals the NUL-terminated string lit, ignoring ASCII
 * case. */
bool http_span_ieq(struct http_span s, const char *lit);

/* Incremental decoder of a chunked body (RFC 9112 7.1). Initialise with
 * http_chunked_init; feed it the bytes that follow the head, in any split.
 * It keeps at most a few counters of state, never a copy of the input.
 * Chunk-size, chunk-end and trailer lines must end in CRLF (a bare LF is
 * an error: servers that disagree on it can be made to see different
 * requests); a client reading responses may set bare_lf after init to
 * accept a bare LF as well. */
struct http_chunked {
    uint64_t remaining; /* payload bytes left in the current chunk */
    size_t line_len;    /* bytes seen of the current size/trailer line */
    size_t trailer_len; /* bytes of trailers seen so far (capped) */
    int state;          /* private */
    bool bare_lf;       /* in: accept LF alone as a line end (false by init) */
    bool done;          /* set once the last chunk and trailers are consumed */
};

#define HTTP_CHUNK_LINE_MAX    4096  /* longest chunk-size line (with extensions) */
#define HTTP_CHUNK_TRAILER_MAX 16384 /* total trailer bytes */

void http_chunked_init(struct http_chunked *st);

/* Consume as much of buf[0..len) as belongs to the chunked body; add the
 * payload bytes seen to *payload_bytes (not reset by the call). Returns the
 * number of bytes consumed (0..len) or HTTP_PARSE_ERROR (bad hex, size
 * overflow, bad or bare-LF line end, over-long line or trailers). Stops exactly after the
 * body once st->done is set, so pipelined bytes after it are left alone;
 * if len bytes are consumed and !st->done, feed more. Errors are sticky:
 * after HTTP_PARSE_ERROR every later call on st returns it too. */
ssize_t http_chunked_feed(struct http_chunked *st, const char *buf, size_t len,
                          size_t *payload_bytes);

/* Like http_chunked_feed but stops after at most one contiguous piece of
 * payload, which it returns in *data (a span of buf; len 0 if this call
 * consumed only framing). Returns bytes consumed or HTTP_PARSE_ERROR. Use it
 * to collect a body without copying framing: loop until done or until the
 * input is used up. */
ssize_t http_chunked_next(struct http_chunked *st, const char *buf, size_t len,
                          struct http_span *data);

#endif
