/* http_frame.c: response framing on top of http_parse (see http_frame.h).
 *
 * A small state machine: HEAD -> LEN | CHUNKED | EOF -> DONE, with DONE
 * reached straight from HEAD when the response has no body. Each feed
 * parses the head from the caller's buffer (stateless, so a partial head is
 * simply parsed again when more has arrived) and then counts body bytes or
 * passes them to the chunked decoder. */
#include "net/http_frame.h"

void http_frame_init(struct http_frame *f, bool head_request)
{
    *f = (struct http_frame){.state = HTTP_FRAME_HEAD, .head_request = head_request};
}

static ssize_t frame_fail(struct http_frame *f)
{
    f->state = HTTP_FRAME_ERROR;
    f->keep_alive = false;
    return HTTP_PARSE_ERROR;
}

/* The final head r of hl bytes: pick how the body is framed. */
static void frame_head(struct http_frame *f, const struct http_response *r, size_t hl)
{
    f->status = r->status;
    f->keep_alive = r->keep_alive && r->status != 101;
    f->head_bytes = hl;
    if (r->no_body || f->head_request) {
        f->state = HTTP_FRAME_DONE;
    } else if (r->chunked) {
        f->state = HTTP_FRAME_CHUNKED;
        http_chunked_init(&f->ch);
        f->ch.bare_lf = true; /* a client may be lenient (RFC 9112 2.2) */
    } else if (r->content_length >= 0) {
        f->body_left = (uint64_t)r->content_length;
        f->state = f->body_left ? HTTP_FRAME_LEN : HTTP_FRAME_DONE;
    } else {
        f->state = HTTP_FRAME_EOF;
        f->keep_alive = false;
    }
}

ssize_t http_frame_feed(struct http_frame *f, const char *buf, size_t len)
{
    size_t off = 0;
    while (f->state == HTTP_FRAME_HEAD) {
        struct http_header hdrs[HTTP_FRAME_MAX_HEADERS];
        struct http_response r = {.headers = hdrs, .max_headers = HTTP_FRAME_MAX_HEADERS};
        ssize_t hl = http_parse_response(buf + off, len - off, &r);
        if (hl == HTTP_PARSE_PARTIAL) return (ssize_t)off;
        if (hl < 0) return frame_fail(f);
        off += (size_t)hl;
        f->bytes += (uint64_t)hl;
        if (r.status >= 200 || r.status == 101) frame_head(f, &r, (size_t)hl);
    }
    size_t n = len - off;
    switch (f->state) {
    case HTTP_FRAME_LEN: {
        size_t take = (uint64_t)n < f->body_left ? n : (size_t)f->body_left;
        f->body_left -= take;
        f->bytes += take;
        off += take;
        if (!f->body_left) f->state = HTTP_FRAME_DONE;
        break;
    }
    case HTTP_FRAME_CHUNKED: {
        size_t payload = 0;
        ssize_t used = http_chunked_feed(&f->ch, buf + off, n, &payload);
        if (used < 0) return frame_fail(f);
        f->bytes += (uint64_t)used;
        off += (size_t)used;
        if (f->ch.done) f->state = HTTP_FRAME_DONE;
        break;
    }
    case HTTP_FRAME_EOF:
        f->bytes += n;
        off = len;
        break;
    case HTTP_FRAME_ERROR:
        return HTTP_PARSE_ERROR;
    default:
        break;
    }
    if (f->state == HTTP_FRAME_DONE && off < len) {
        f->trailing = true;
        f->keep_alive = false;
    }
    return (ssize_t)off;
}

int http_frame_eof(struct http_frame *f)
{
    if (f->state == HTTP_FRAME_EOF) f->state = HTTP_FRAME_DONE;
    if (f->state != HTTP_FRAME_DONE) return HTTP_PARSE_ERROR;
    f->keep_alive = false;
    return 1;
}
