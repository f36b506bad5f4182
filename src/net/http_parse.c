/* http_parse.c: HTTP/1.1 head parsers and a chunked-body decoder that
 * neither copy nor allocate (see http_parse.h for the contract).
 *
 * The head parsers walk the buffer once with a cursor. Running out of
 * bytes anywhere returns HTTP_PARSE_PARTIAL; a byte that can never be part
 * of a valid head returns HTTP_PARSE_ERROR at once, even before the head is
 * complete. Derived fields (Content-Length, Transfer-Encoding, Connection)
 * are computed only after the whole head was seen, so any prefix of a valid
 * head is PARTIAL, never ERROR. Character classes are small inline
 * functions. The chunked decoder is a byte-level state machine whose state
 * fits in struct http_chunked, so input may be split anywhere. */
#include "net/http_parse.h"

#include <string.h>

/* Character classes (pure functions: no table to initialise, no race). */
enum {
    C_TCHAR = 1, /* token character (RFC 9110 5.6.2) */
    C_VCHAR = 2, /* field-value byte: VCHAR, obs-text, SP, HTAB */
    C_TARGET = 4 /* request-target byte: visible ASCII */
};

static inline int is(unsigned char c, int k)
{
    switch (k) {
    case C_VCHAR:
        return (c >= 0x20 && c != 0x7f) || c == '\t';
    case C_TARGET:
        return c > 0x20 && c < 0x7f;
    default:
        if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) return 1;
        return c && memchr("!#$%&'*+-.^_`|~", c, 15) != NULL;
    }
}

static inline unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

bool http_span_ieq(struct http_span s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.len != n) return false;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s.p[i]) != lower((unsigned char)lit[i])) return false;
    return true;
}

const struct http_header *http_header_find(const struct http_header *h, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (http_span_ieq(h[i].name, name)) return &h[i];
    return NULL;
}

/* ---- the shared cursor ---- */

struct cur {
    const char *p, *end;
};

#define NEED(c, n)                                                                                 \
    do {                                                                                           \
        if ((size_t)((c)->end - (c)->p) < (size_t)(n)) return HTTP_PARSE_PARTIAL;                  \
    } while (0)

/* Expect a line end (CRLF or LF) at the cursor. */
static int eol(struct cur *c)
{
    NEED(c, 1);
    if (*c->p == '\n') {
        c->p++;
        return 0;
    }
    if (*c->p != '\r') return HTTP_PARSE_ERROR;
    NEED(c, 2);
    if (c->p[1] != '\n') return HTTP_PARSE_ERROR;
    c->p += 2;
    return 0;
}

/* "HTTP/1.x" -> minor version 0/1. */
static int version(struct cur *c, int *minor)
{
    static const char v[] = "HTTP/1.";
    for (size_t i = 0; i < sizeof v - 1; i++) {
        NEED(c, 1);
        if (*c->p != v[i]) return HTTP_PARSE_ERROR;
        c->p++;
    }
    NEED(c, 1);
    if (*c->p != '0' && *c->p != '1') return HTTP_PARSE_ERROR;
    *minor = *c->p - '0';
    c->p++;
    return 0;
}

/* Header lines up to and including the empty line. */
static int headers(struct cur *c, struct http_header *h, size_t max, size_t *count)
{
    size_t n = 0;
    for (;;) {
        NEED(c, 1);
        unsigned char ch = (unsigned char)*c->p;
        if (ch == '\r' || ch == '\n') {
            int rc = eol(c);
            if (rc) return rc;
            *count = n;
            return 0;
        }
        if (ch == ' ' || ch == '\t') return HTTP_PARSE_ERROR; /* obs-fold */
        if (n == max) return HTTP_PARSE_ERROR;
        const char *name = c->p;
        while (c->p < c->end && is((unsigned char)*c->p, C_TCHAR))
            c->p++;
        NEED(c, 1);
        if (*c->p != ':' || c->p == name) /* no colon, bad char, "name :", empty name */
            return HTTP_PARSE_ERROR;
        h[n].name.p = name;
        h[n].name.len = (size_t)(c->p - name);
        c->p++;
        while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
            c->p++;
        const char *val = c->p;
        while (c->p < c->end && is((unsigned char)*c->p, C_VCHAR))
            c->p++;
        NEED(c, 1);
        const char *vend = c->p;
        int rc = eol(c); /* anything but CR/LF here is a control character */
        if (rc) return rc;
        while (vend > val && (vend[-1] == ' ' || vend[-1] == '\t'))
            vend--;
        h[n].value.p = val;
        h[n].value.len = (size_t)(vend - val);
        n++;
    }
}

/* ---- derived fields ---- */

struct derived {
    int64_t content_length;
    bool has_te, chunked, chunked_not_last;
    bool te_other;     /* a coding other than exactly "chunked" */
    size_t te_codings; /* elements over all Transfer-Encoding lines */
    bool conn_close, conn_keep, expect_continue;
};

/* Iterate over the comma-separated elements of a header value; returns
 * false when there are no more. Empty elements are skipped. */
static bool list_next(struct http_span *rest, struct http_span *elem)
{
    const char *p = rest->p, *end = rest->p + rest->len;
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
            p++;
        if (p == end) {
            rest->p = p;
            rest->len = 0;
            return false;
        }
        const char *s = p;
        while (p < end && *p != ',')
            p++;
        const char *e = p;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        rest->p = p;
        rest->len = (size_t)(end - p);
        elem->p = s;
        elem->len = (size_t)(e - s);
        return true;
    }
}

/* Content-Length must be 1*DIGIT (identical repeats allowed). */
static int parse_cl(struct http_span v, int64_t *out)
{
    if (v.len == 0) return HTTP_PARSE_ERROR;
    int64_t x = 0;
    for (size_t i = 0; i < v.len; i++) {
        unsigned char d = (unsigned char)v.p[i];
        if (d < '0' || d > '9') return HTTP_PARSE_ERROR;
        if (x > (INT64_MAX - (d - '0')) / 10) return HTTP_PARSE_ERROR;
        x = x * 10 + (d - '0');
    }
    *out = x;
    return 0;
}

static int derive(const struct http_header *h, size_t n, struct derived *d)
{
    memset(d, 0, sizeof *d);
    d->content_length = -1;
    for (size_t i = 0; i < n; i++) {
        struct http_span name = h[i].name, rest = h[i].value, e;
        if (http_span_ieq(name, "content-length")) {
            int64_t x;
            if (parse_cl(h[i].value, &x)) return HTTP_PARSE_ERROR;
            if (d->content_length >= 0 && d->content_length != x) return HTTP_PARSE_ERROR;
            d->content_length = x;
        } else if (http_span_ieq(name, "transfer-encoding")) {
            d->has_te = true;
            while (list_next(&rest, &e)) {
                d->te_codings++;
                if (d->chunked) d->chunked_not_last = true; /* something after chunked */
                d->chunked = false;
                /* a coding may carry parameters ("gzip;q=1"): compare the token */
                struct http_span tok = e;
                for (size_t k = 0; k < e.len; k++)
                    if (e.p[k] == ';' || e.p[k] == ' ' || e.p[k] == '\t') {
                        tok.len = k;
                        break;
                    }
                if (http_span_ieq(tok, "chunked")) d->chunked = true;
                if (!http_span_ieq(e, "chunked")) d->te_other = true;
            }
        } else if (http_span_ieq(name, "connection")) {
            while (list_next(&rest, &e)) {
                if (http_span_ieq(e, "close"))
                    d->conn_close = true;
                else if (http_span_ieq(e, "keep-alive"))
                    d->conn_keep = true;
            }
        } else if (http_span_ieq(name, "expect")) {
            if (http_span_ieq(h[i].value, "100-continue")) d->expect_continue = true;
        }
    }
    if (d->has_te && d->content_length >= 0) return HTTP_PARSE_ERROR;
    return 0;
}

static bool keep_alive(int minor, const struct derived *d)
{
    if (d->conn_close) return false;
    return minor >= 1 || d->conn_keep;
}

/* ---- responses ---- */

ssize_t http_parse_response(const char *buf, size_t len, struct http_response *r)
{
    struct cur c = {buf, buf + len};
    int rc, minor;
    if ((rc = version(&c, &minor))) return rc;
    NEED(&c, 1);
    if (*c.p != ' ') return HTTP_PARSE_ERROR;
    c.p++;
    int status = 0;
    for (int i = 0; i < 3; i++) {
        NEED(&c, 1);
        unsigned char d = (unsigned char)*c.p;
        if (d < '0' || d > '9' || (i == 0 && d == '0')) return HTTP_PARSE_ERROR;
        status = status * 10 + (d - '0');
        c.p++;
    }
    NEED(&c, 1);
    const char *reason = c.p;
    if (*c.p == ' ') {
        c.p++;
        reason = c.p;
        while (c.p < c.end && is((unsigned char)*c.p, C_VCHAR))
            c.p++;
        NEED(&c, 1);
    }
    const char *reason_end = c.p;
    if ((rc = eol(&c))) return rc; /* a 4th digit or a control char lands here */
    size_t nh;
    if ((rc = headers(&c, r->headers, r->max_headers, &nh))) return rc;

    struct derived d;
    if (derive(r->headers, nh, &d)) return HTTP_PARSE_ERROR;
    r->num_headers = nh;
    r->minor_version = minor;
    r->status = status;
    r->reason.p = reason;
    r->reason.len = (size_t)(reason_end - reason);
    r->content_length = d.content_length;
    r->chunked = d.chunked && !d.chunked_not_last;
    r->keep_alive = keep_alive(minor, &d);
    r->no_body = status < 200 || status == 204 || status == 304;
    r->headers_len = (size_t)(c.p - buf);
    return (ssize_t)r->headers_len;
}

/* ---- requests ---- */

ssize_t http_parse_request(const char *buf, size_t len, struct http_request *r)
{
    struct cur c = {buf, buf + len};
    int rc, minor;
    /* RFC 9112 2.2: ignore empty lines before the request line. */
    for (;;) {
        NEED(&c, 1);
        if (*c.p != '\r' && *c.p != '\n') break;
        if ((rc = eol(&c))) return rc;
    }
    const char *method = c.p;
    while (c.p < c.end && is((unsigned char)*c.p, C_TCHAR))
        c.p++;
    NEED(&c, 1);
    if (*c.p != ' ' || c.p == method) return HTTP_PARSE_ERROR;
    const char *method_end = c.p++;
    const char *path = c.p;
    while (c.p < c.end && is((unsigned char)*c.p, C_TARGET))
        c.p++;
    NEED(&c, 1);
    if (*c.p != ' ' || c.p == path) return HTTP_PARSE_ERROR; /* CTL, 2nd space, no version */
    const char *path_end = c.p++;
    if ((rc = version(&c, &minor))) return rc;
    if ((rc = eol(&c))) return rc;
    size_t nh;
    if ((rc = headers(&c, r->headers, r->max_headers, &nh))) return rc;

    struct derived d;
    if (derive(r->headers, nh, &d)) return HTTP_PARSE_ERROR;
    /* chunked named twice is caught as "not last" */
    if (d.has_te && (!d.chunked || d.chunked_not_last || d.te_codings == 0 || minor == 0))
        return HTTP_PARSE_ERROR;
    r->num_headers = nh;
    r->method.p = method;
    r->method.len = (size_t)(method_end - method);
    r->path.p = path;
    r->path.len = (size_t)(path_end - path);
    r->minor_version = minor;
    r->content_length = d.content_length;
    r->chunked = d.chunked;
    r->te_other = d.has_te && d.te_other;
    r->keep_alive = keep_alive(minor, &d);
    r->expect_continue = d.expect_continue;
    r->headers_len = (size_t)(c.p - buf);
    return (ssize_t)r->headers_len;
}

/* ---- chunked bodies ---- */

enum {
    CK_SIZE0,      /* start of a chunk-size line: need a hex digit */
    CK_SIZE,       /* in the hex digits */
    CK_SIZE_WS,    /* whitespace after the digits */
    CK_EXT,        /* chunk extension: skip to the line end */
    CK_SIZE_LF,    /* saw CR, need LF */
    CK_DATA,       /* remaining > 0 bytes of payload */
    CK_DATA_END,   /* need CRLF (or LF, with bare_lf) after the payload */
    CK_DATA_LF,    /* saw CR after the payload, need LF */
    CK_TRAILER0,   /* start of a trailer line (empty line = end) */
    CK_TRAILER,    /* inside a trailer line */
    CK_TRAILER_LF, /* saw CR in a trailer line, need LF */
    CK_END_LF,     /* saw CR of the final empty line, need LF */
    CK_DONE,
    CK_ERROR /* sticky: every later call fails too */
};

void http_chunked_init(struct http_chunked *st)
{
    memset(st, 0, sizeof *st);
    st->state = CK_SIZE0;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The end of a chunk-size line: on to data, or to trailers after size 0. */
static void size_line_done(struct http_chunked *st)
{
    st->line_len = 0;
    st->state = st->remaining ? CK_DATA : CK_TRAILER0;
}

/* Core: consume framing and payload. With one_piece, stop right after the
 * first payload piece and report it in *data. Otherwise count payload into
 * *payload. */
static ssize_t chunked_run(struct http_chunked *st, const char *buf, size_t len, bool one_piece,
                           struct http_span *data, size_t *payload)
{
    size_t i = 0;
    if (st->state == CK_ERROR) return HTTP_PARSE_ERROR;
    if (data) {
        data->p = buf;
        data->len = 0;
    }
    while (i < len && st->state != CK_DONE) {
        if (st->state == CK_DATA) {
            size_t avail = len - i;
            size_t take = st->remaining < avail ? (size_t)st->remaining : avail;
            if (data) {
                data->p = buf + i;
                data->len = take;
            }
            if (payload) *payload += take;
            st->remaining -= take;
            i += take;
            if (st->remaining == 0) st->state = CK_DATA_END;
            if (one_piece) break;
            continue;
        }
        unsigned char ch = (unsigned char)buf[i++];
        switch (st->state) {
        case CK_SIZE0:
        case CK_SIZE: {
            if (++st->line_len > HTTP_CHUNK_LINE_MAX) goto fail;
            int h = hexval(ch);
            if (h >= 0) {
                if (st->remaining > (UINT64_MAX >> 4)) goto fail;
                st->remaining = (st->remaining << 4) | (uint64_t)h;
                st->state = CK_SIZE;
                break;
            }
            if (st->state == CK_SIZE0) goto fail;
            if (ch == ';')
                st->state = CK_EXT;
            else if (ch == ' ' || ch == '\t')
                st->state = CK_SIZE_WS;
            else if (ch == '\r')
                st->state = CK_SIZE_LF;
            else if (ch == '\n' && st->bare_lf)
                size_line_done(st);
            else
                goto fail;
            break;
        }
        case CK_SIZE_WS:
            if (++st->line_len > HTTP_CHUNK_LINE_MAX) goto fail;
            if (ch == ';')
                st->state = CK_EXT;
            else if (ch == ' ' || ch == '\t')
                break;
            else if (ch == '\r')
                st->state = CK_SIZE_LF;
            else if (ch == '\n' && st->bare_lf)
                size_line_done(st);
            else
                goto fail;
            break;
        case CK_EXT:
            if (++st->line_len > HTTP_CHUNK_LINE_MAX) goto fail;
            if (ch == '\r')
                st->state = CK_SIZE_LF;
            else if (ch == '\n' && st->bare_lf)
                size_line_done(st);
            else if (!is(ch, C_VCHAR))
                goto fail;
            break;
        case CK_SIZE_LF:
            if (ch != '\n') goto fail;
            size_line_done(st);
            break;
        case CK_DATA_END:
            if (ch == '\r')
                st->state = CK_DATA_LF;
            else if (ch == '\n' && st->bare_lf)
                st->state = CK_SIZE0;
            else
                goto fail;
            break;
        case CK_DATA_LF:
            if (ch != '\n') goto fail;
            st->state = CK_SIZE0;
            break;
        case CK_TRAILER0:
            if (++st->trailer_len > HTTP_CHUNK_TRAILER_MAX) goto fail;
            if (ch == '\r')
                st->state = CK_END_LF;
            else if (ch == '\n' && st->bare_lf)
                st->state = CK_DONE;
            else if (is(ch, C_TCHAR))
                st->state = CK_TRAILER;
            else
                goto fail; /* obs-fold or garbage */
            break;
        case CK_TRAILER:
            if (++st->trailer_len > HTTP_CHUNK_TRAILER_MAX) goto fail;
            if (ch == '\r')
                st->state = CK_TRAILER_LF;
            else if (ch == '\n' && st->bare_lf)
                st->state = CK_TRAILER0;
            else if (!is(ch, C_VCHAR))
                goto fail;
            break;
        case CK_TRAILER_LF:
            if (++st->trailer_len > HTTP_CHUNK_TRAILER_MAX) goto fail;
            if (ch != '\n') goto fail;
            st->state = CK_TRAILER0;
            break;
        case CK_END_LF:
            if (ch != '\n') goto fail;
            st->state = CK_DONE;
            break;
        default:
            goto fail;
        }
    }
    if (st->state == CK_DONE) st->done = true;
    return (ssize_t)i;
fail:
    st->state = CK_ERROR;
    return HTTP_PARSE_ERROR;
}

ssize_t http_chunked_feed(struct http_chunked *st, const char *buf, size_t len,
                          size_t *payload_bytes)
{
    size_t dummy = 0;
    return chunked_run(st, buf, len, false, NULL, payload_bytes ? payload_bytes : &dummy);
}

ssize_t http_chunked_next(struct http_chunked *st, const char *buf, size_t len,
                          struct http_span *data)
{
    struct http_span dummy;
    return chunked_run(st, buf, len, true, data ? data : &dummy, NULL);
}
