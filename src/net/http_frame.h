/* http_frame.h: where one HTTP/1.1 response ends on a client connection.
 *
 * The one framer behind loadgen's connections and serve's backend
 * connections. It parses the head with http_parse_response, skips interim
 * (1xx except 101) heads, then frames the body by HEAD request, status
 * (101, 204, 304 and 1xx carry none, whatever Content-Length or
 * Transfer-Encoding they carry), Transfer-Encoding: chunked (chunk lines may
 * end in a bare LF here), Content-Length, or the end of the connection. It keeps a few counters of
 * state and never copies or allocates: the caller owns the buffer.
 *
 * Usage: http_frame_init per request; while f->state is HTTP_FRAME_HEAD,
 * call http_frame_feed with everything buffered since the last call's
 * unconsumed bytes (the caller keeps those at the front and caps the head
 * size itself); once past the head, feed each read's bytes as they come
 * (the caller need not keep them). At the end of the connection call
 * http_frame_eof.
 *
 * The rule for trailing bytes: a client has one request outstanding on a
 * connection, so bytes that arrive after a complete response (in the same
 * feed, or fed once the response is done) are a protocol error. The
 * framer still reports the response complete, sets f->trailing and clears
 * f->keep_alive: the caller must close the connection. The caller decides
 * how to count the request (loadgen counts the response it got, serve's
 * backend client counts an error). */
#ifndef MESHPERF_HTTP_FRAME_H
#define MESHPERF_HTTP_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "net/http_parse.h"

#define HTTP_FRAME_MAX_HEADERS 100 /* more header lines in one head is an error */

enum http_frame_state {
    HTTP_FRAME_HEAD,    /* waiting for the (final) head */
    HTTP_FRAME_LEN,     /* Content-Length body: body_left bytes to come */
    HTTP_FRAME_CHUNKED, /* chunked body */
    HTTP_FRAME_EOF,     /* body until the peer closes */
    HTTP_FRAME_DONE,    /* response complete */
    HTTP_FRAME_ERROR,   /* malformed; sticky */
};

struct http_frame {
    uint8_t state;       /* enum http_frame_state */
    bool head_request;   /* in: the request was HEAD, so no body */
    bool keep_alive;     /* out, once past the head: connection reusable */
    bool trailing;       /* out: bytes followed the complete response */
    int status;          /* out, once past the head: the final status */
    uint64_t body_left;  /* HTTP_FRAME_LEN: bytes still to come */
    uint64_t head_bytes; /* out: bytes of the final head */
    uint64_t bytes;      /* out: response bytes consumed so far: all heads,
                          * body and chunk framing; never trailing bytes */
    struct http_chunked ch;
};

/* Reset f for a new response; head_request says the request was HEAD. */
void http_frame_init(struct http_frame *f, bool head_request);

/* Frame buf[0..len). Returns bytes consumed (0..len) or HTTP_PARSE_ERROR
 * (malformed head or chunked body; sticky). While f->state stays
 * HTTP_FRAME_HEAD the unconsumed bytes are an incomplete head: keep them and
 * feed them again with more appended. Past the head every byte is consumed
 * until the response completes (state HTTP_FRAME_DONE); bytes left after
 * that set f->trailing and clear f->keep_alive (see the rule above). */
ssize_t http_frame_feed(struct http_frame *f, const char *buf, size_t len);

/* The peer closed the connection. Returns 1 if that completes the response
 * (a body delimited by the close; keep_alive is then false; or the response
 * was already complete), HTTP_PARSE_ERROR if the response was cut short. */
int http_frame_eof(struct http_frame *f);

#endif
