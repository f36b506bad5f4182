/* serve.c: the listener, client connections, workers and lifecycle of
 * `meshperf serve` (see serve.h). Requests are routed through the handler
 * table of serve_config.handlers (serve_conn.h: the shared types, the
 * connection API the handlers call, the table's types).
 *
 * With a TLS listener (serve_config.tls_server) a connection is first
 * HANDSHAKE: the handshake runs in the loop like any read or write, within
 * the header timeout from the accept; reads and writes go through the
 * connection's transport (net/transport.h) either way.
 * A client connection is IDLE (no request bytes), HEAD (reading a head),
 * BODY (reading a body), BUSY (a handler is working: fan-out, delay, REST
 * run) or WRITING (a response did not fit the socket). Requests are handled
 * one at a time in arrival order (pipelined bytes wait in the read buffer).
 * A response is built in the worker's scratch buffer and written at once;
 * only what the socket refuses is copied to the connection's own buffer.
 * One intrusive timer per connection serves as idle, head/body, echo-delay
 * and write timeout, whichever the state needs.
 *
 * Each worker accepts up to its share of -max-connections
 * (ceil(max / threads)). At the share, the connection idle longest (IDLE:
 * no request bytes, kept on a list in the order they went idle) is closed
 * to make room; only when every connection has a request in progress is
 * the new one answered 503 ("too many connections") and closed at once,
 * and counted in meshperf_refused_connections_total. A fresh connection
 * that sends nothing is closed after min(idle, header) timeout, and its
 * first head is due header timeout after the accept; a kept-alive one
 * waits up to the idle timeout between requests. When accept itself fails
 * for want of descriptors, the listener pauses 50 ms.
 *
 * Before a body is read, a well-formed head may still be refused (and the
 * connection closed): an unknown method 501, HTTP/1.1 without exactly one
 * Host 400, a transfer coding other than chunked 501, a target that is
 * not /path, http(s)://host/path (routed by its path) or OPTIONS's * 400.
 * 1xx, 204 and 304 answers carry no body and no Content-Length.
 *
 * Lifecycle: serve_new binds every worker's listener; serve_run runs worker
 * 0 on the calling thread (its loop also reads the stop signals from a
 * signalfd) and one thread per further worker; serve_shutdown (what the
 * signal does) asks REST runs to stop and wakes each worker through its
 * eventfd: the worker closes its listener and idle connections, lets busy
 * ones finish (at most -drain-timeout) and ends its loop. */
#include "serve/serve.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/errbuf.h"
#include "net/http_parse.h"
#include "net/loop.h"
#include "serve/serve_conn.h"
#include "serve/serve_metrics.h"
#include "serve/serve_query.h"
#include "serve/serve_rest.h"
#include "net/sock.h"
#include "net/transport.h"

#define MAX_HEADERS  64
#define ACCEPT_BATCH 256
#define FILL_BLOCK   16384 /* echo size= bodies are written from this block */
#define EVICT_SCAN   8     /* idle connections looked at for one to close at the cap */

static char fill_data[FILL_BLOCK];
static pthread_once_t fill_once = PTHREAD_ONCE_INIT;
static void fill_init(void)
{
    for (size_t i = 0; i < FILL_BLOCK; i++)
        fill_data[i] = "meshperf-echo-payload\n"[i % 22];
}

static const char *reason(int code)
{
    switch (code) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Status";
    }
}

/* ------------------------------------------------------------ buffers */

static int rbuf_get(struct serve_conn *c)
{
    if (c->rbuf.data) return 0;
    struct serve_worker *w = c->w;
    size_t max = (size_t)(w->s->cfg.max_header_bytes + w->s->cfg.max_body_bytes) + 65536;
    buf_init(&c->rbuf, max);
    if (w->nrcache) {
        c->rbuf.data = w->rcache[--w->nrcache];
        c->rbuf.cap = SERVE_READ_CHUNK;
        c->rbuf.data[0] = '\0';
        return 0;
    }
    return buf_reserve(&c->rbuf, SERVE_READ_CHUNK);
}

static void rbuf_put(struct serve_conn *c)
{
    struct serve_worker *w = c->w;
    if (!c->rbuf.data) return;
    if (c->rbuf.cap == SERVE_READ_CHUNK && w->nrcache < SERVE_RBUF_CACHE) {
        w->rcache[w->nrcache++] = c->rbuf.data;
        c->rbuf.data = NULL;
        c->rbuf.len = c->rbuf.cap = 0;
    } else {
        buf_free(&c->rbuf);
    }
}

/* ------------------------------------------------------------ connections */

static void conn_timer(struct loop *l, struct loop_timer *t);
static void conn_io(struct loop *l, int fd, unsigned ev, void *arg);
static void conn_process(struct serve_conn *c);
static void conn_readable(struct serve_conn *c);
static void conn_send(struct serve_conn *c);
static void accept_resume(struct serve_worker *w);

/* Every entry point from the loop (io, timer, backend or REST callback)
 * brackets its work with enter/leave, so a close deep inside only marks the
 * connection dead and the memory goes when the last frame has left. */
void serve_conn_enter(struct serve_conn *c)
{
    c->guard++;
}

bool serve_conn_leave(struct serve_conn *c)
{
    if (--c->guard == 0 && c->dead) {
        free(c);
        return false;
    }
    return !c->dead;
}

void serve_conn_watch(struct serve_conn *c, unsigned mask)
{
    if (c->watch == mask) return;
    c->watch = (uint8_t)mask;
    loop_mod(c->w->loop, c->io.fd, mask, conn_io, c);
}

/* The idle list: IDLE connections (no request bytes) in the order they
 * became idle, so that its head is the one idle longest. */
static void idle_link(struct serve_conn *c)
{
    struct serve_worker *w = c->w;
    if (c->in_idle) return;
    c->in_idle = true;
    c->idle_next = NULL;
    c->idle_prev = w->idle_tail;
    if (w->idle_tail)
        w->idle_tail->idle_next = c;
    else
        w->idle_head = c;
    w->idle_tail = c;
}

static void idle_unlink(struct serve_conn *c)
{
    struct serve_worker *w = c->w;
    if (!c->in_idle) return;
    c->in_idle = false;
    if (c->idle_prev)
        c->idle_prev->idle_next = c->idle_next;
    else
        w->idle_head = c->idle_next;
    if (c->idle_next)
        c->idle_next->idle_prev = c->idle_prev;
    else
        w->idle_tail = c->idle_prev;
    c->idle_prev = c->idle_next = NULL;
}

static void conn_close(struct serve_conn *c)
{
    struct serve_worker *w = c->w;
    if (c->dead) return;
    c->dead = true;
    idle_unlink(c);
    loop_timer_cancel(w->loop, &c->timer);
    loop_del(w->loop, c->io.fd);
    transport_close(&c->io);
    w->s->cfg.handlers->conn_gone(c);
    if (c->state == C_BUSY || c->state == C_WRITING) serve_gauge_add(&w->stats->inflight, -1);
    rbuf_put(c);
    buf_free(&c->wbuf);
    free(c->ch);
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    if (c->guard == 0) free(c);
    w->nconns--;
    serve_gauge_add(&w->stats->open_conns, -1);
    if (!w->accepting && !w->draining && w->lfd >= 0 && w->nconns < w->max_conns) accept_resume(w);
    serve_worker_maybe_done(w);
}

static void accept_io(struct loop *l, int fd, unsigned ev, void *arg);

static void accept_resume(struct serve_worker *w)
{
    w->accepting = true;
    loop_mod(w->loop, w->lfd, LOOP_READ, accept_io, w);
}

static void accept_timer_fn(struct loop *l, struct loop_timer *t)
{
    struct serve_worker *w = t->arg;
    if (!w->draining && w->nconns < w->max_conns) accept_resume(w);
}

/* Over the connection limit: one 503 in a single write (a fresh socket's
 * buffer takes it), and close. Request bytes already there are read and
 * dropped first, so that the close is a FIN rather than a reset that could
 * discard the 503 (bytes arriving later may still cause one); either way
 * the client learns at once instead of waiting in the backlog. */
static void accept_refuse(struct serve_worker *w, int cfd)
{
    if (w->s->cfg.tls_server) { /* nothing can be said before a handshake */
        close(cfd);
        serve_counter_add(&w->stats->refused_conns, 1);
        return;
    }
    static const char msg[] = "HTTP/1.1 503 Service Unavailable\r\n"
                              "Content-Type: text/plain\r\n"
                              "Content-Length: 21\r\n"
                              "Connection: close\r\n\r\n"
                              "too many connections\n";
    char sink[4096];
    for (int i = 0; i < 16 && read(cfd, sink, sizeof sink) > 0; i++)
        continue;
    ssize_t n = write(cfd, msg, sizeof msg - 1);
    (void)n;
    shutdown(cfd, SHUT_WR);
    close(cfd);
    serve_counter_add(&w->stats->refused_conns, 1);
}

/* At the cap: close the connection idle longest to make room, if there is
 * one with no request on its way (a peek finds no unread bytes; a peer
 * that already closed is fine to close too). Looks at a few candidates
 * only, so a flood cannot make accept scan every connection. Returns true
 * when one was closed. */
static bool idle_evict(struct serve_worker *w)
{
    int looked = 0;
    for (struct serve_conn *c = w->idle_head; c && looked < EVICT_SCAN; c = c->idle_next) {
        looked++;
        char b;
        ssize_t n = recv(c->io.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0) continue; /* a request is arriving: not idle after all */
        conn_close(c);
        return true;
    }
    return false;
}

/* The listener is readable: accept what is there (at most ACCEPT_BATCH per
 * wake-up, so that a flood cannot starve the connections; the loop is
 * level-triggered and comes back for the rest). */
static void accept_io(struct loop *l, int fd, unsigned ev, void *arg)
{
    struct serve_worker *w = arg;
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        int cfd = sock_accept(fd, NULL);
        if (cfd == -EAGAIN || cfd == -EWOULDBLOCK) return;
        if (cfd < 0) {
            if (cfd == -EMFILE || cfd == -ENFILE || cfd == -ENOBUFS || cfd == -ENOMEM) {
                /* out of descriptors: pause, retry in 50 ms */
                w->accepting = false;
                loop_mod(l, fd, 0, accept_io, w);
                loop_timer_at(l, &w->accept_timer, loop_now(l) + 50000);
            }
            return;
        }
        if (w->nconns >= w->max_conns && !idle_evict(w)) {
            accept_refuse(w, cfd);
            continue;
        }
        struct serve_conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(cfd);
            return;
        }
        c->state = C_IDLE;
        if (w->s->cfg.tls_server) {
            char why[ERRBUF_LEN];
            if (transport_tls_server_init(&c->io, cfd, w->s->cfg.tls_server, why, sizeof why)) {
                free(c); /* the init closed cfd */
                return;
            }
            c->state = C_HANDSHAKE;
        } else {
            transport_plain_init(&c->io, cfd);
        }
        if (loop_add(l, cfd, LOOP_READ, conn_io, c) < 0) {
            transport_close(&c->io);
            free(c);
            return;
        }
        c->w = w;
        c->watch = LOOP_READ;
        c->fresh = true;
        c->start = loop_now(l);
        /* silent so far: the header timeout covers it too */
        int64_t wait = w->s->cfg.idle_timeout_us;
        if (w->s->cfg.header_timeout_us < wait) wait = w->s->cfg.header_timeout_us;
        loop_timer_init(&c->timer, conn_timer, c);
        loop_timer_at(l, &c->timer, c->start + wait);
        c->next = w->conns;
        if (w->conns) w->conns->prev = c;
        w->conns = c;
        w->nconns++;
        idle_link(c);
        serve_gauge_add(&w->stats->open_conns, 1);
    }
}

/* Count the answered request in the worker's stats. */
static void conn_record(struct serve_conn *c)
{
    struct serve_worker *w = c->w;
    serve_stats_request(w->stats, (enum serve_path)c->path, c->status, mono_now() - c->start);
}

int serve_conn_build(struct serve_conn *c, struct buf *dst, int status, const char *ctype,
                     const char *body, size_t blen, const char *extra, uint64_t fill)
{
    /* assembled from pieces, not with buf_printf: on the leaf path
     * vsnprintf was the largest user-space cost of a request */
    const char *conn = c->close_after ? "Connection: close\r\n"
                       : c->http10    ? "Connection: keep-alive\r\n"
                                      : "";
    /* RFC 9110 15.2, 15.3.5, 15.4.5: 1xx, 204 and 304 end at the head:
     * no body, and no Content-Length that could promise one */
    bool nobody = status < 200 || status == 204 || status == 304;
    int rc = buf_append(dst, "HTTP/1.1 ", 9);
    if (!rc) rc = buf_put_u64(dst, (unsigned)status);
    if (!rc) rc = buf_append(dst, " ", 1);
    if (!rc) rc = buf_puts(dst, reason(status));
    if (!rc) rc = buf_append(dst, "\r\n", 2);
    if (!rc && !nobody) {
        rc = buf_append(dst, "Content-Type: ", 14);
        if (!rc) rc = buf_puts(dst, ctype);
        if (!rc) rc = buf_append(dst, "\r\nContent-Length: ", 18);
        if (!rc) rc = buf_put_u64(dst, (unsigned long long)(blen + fill));
        if (!rc) rc = buf_append(dst, "\r\n", 2);
    }
    if (!rc && extra) rc = buf_puts(dst, extra);
    if (!rc) rc = buf_puts(dst, conn);
    /* the request's id back, so a caller can match answers (its bytes were
     * checked by the parser: no CR, LF or other control) */
    if (!rc && c->rid_len) {
        rc = buf_append(dst, "x-request-id: ", 14);
        if (!rc) rc = buf_append(dst, c->rid, c->rid_len);
        if (!rc) rc = buf_append(dst, "\r\n", 2);
    }
    if (!rc) rc = buf_append(dst, "\r\n", 2);
    if (!rc && blen && !c->head_req && !nobody) rc = buf_append(dst, body, blen);
    c->status = status;
    c->fill_left = c->head_req || nobody ? 0 : fill;
    return rc;
}

/* Answer now: build in scratch, write what the socket takes. */
void serve_conn_respond(struct serve_conn *c, int status, const char *ctype, const char *body,
                        size_t blen, const char *extra, uint64_t fill)
{
    struct serve_worker *w = c->w;
    buf_reset(&w->scratch);
    if (serve_conn_build(c, &w->scratch, status, ctype, body, blen, extra, fill) < 0) {
        c->close_after = true;
        buf_reset(&w->scratch);
        serve_conn_build(c, &w->scratch, 500, "text/plain", "response too large\n", 19, NULL, 0);
    }
    conn_record(c);
    ssize_t n = transport_write(&c->io, w->scratch.data, w->scratch.len);
    if (n < 0) {
        if (n == TRANSPORT_ERROR) {
            c->close_after = true;
            c->fill_left = 0;
            n = (ssize_t)w->scratch.len; /* drop it: the connection is going */
        } else {
            n = 0;
        }
    }
    buf_reset(&c->wbuf);
    c->woff = 0;
    if ((size_t)n < w->scratch.len) {
        buf_init(&c->wbuf, SERVE_SCRATCH_MAX + 4096);
        if (buf_append(&c->wbuf, w->scratch.data + n, w->scratch.len - (size_t)n) < 0) {
            conn_close(c);
            return;
        }
    }
    conn_send(c);
}

/* Write c->wbuf from woff, then the fill payload. When all is out: finish
 * the request (next pipelined one, idle, or close). */
static void conn_send(struct serve_conn *c)
{
    struct serve_worker *w = c->w;
    pthread_once(&fill_once, fill_init);
    while (c->woff < c->wbuf.len || c->fill_left) {
        ssize_t n;
        if (c->woff < c->wbuf.len) {
            n = transport_write(&c->io, c->wbuf.data + c->woff, c->wbuf.len - c->woff);
        } else {
            size_t k = c->fill_left < FILL_BLOCK ? (size_t)c->fill_left : FILL_BLOCK;
            n = transport_write(&c->io, fill_data, k);
        }
        if (n == TRANSPORT_WANT_WRITE || n == TRANSPORT_WANT_READ) {
            if (c->state != C_WRITING) {
                if (c->state != C_BUSY) serve_gauge_add(&w->stats->inflight, 1);
                c->state = C_WRITING;
            }
            /* TLS may need to read before it can write (and retries with
             * the same bytes: wbuf and fill_data stay put) */
            serve_conn_watch(c, n == TRANSPORT_WANT_READ ? LOOP_READ : LOOP_WRITE);
            loop_timer_at(w->loop, &c->timer, loop_now(w->loop) + w->s->cfg.idle_timeout_us);
            return;
        }
        if (n <= 0) {
            conn_close(c);
            return;
        }
        if (c->woff < c->wbuf.len)
            c->woff += (size_t)n;
        else
            c->fill_left -= (uint64_t)n;
    }
    /* done: no longer in flight (idle before a close, so that conn_close
     * does not count the request out a second time) */
    if (c->state == C_BUSY || c->state == C_WRITING) serve_gauge_add(&w->stats->inflight, -1);
    c->state = C_IDLE;
    buf_free(&c->wbuf);
    c->woff = 0;
    if (c->close_after || w->draining) {
        conn_close(c);
        return;
    }
    buf_consume(&c->rbuf, c->req_len);
    c->req_len = 0;
    c->rid_len = 0;
    c->state = C_IDLE;
    c->delayed = false;
    if (c->rbuf.len == 0) {
        rbuf_put(c);
        idle_link(c);
        loop_timer_at(w->loop, &c->timer, loop_now(w->loop) + w->s->cfg.idle_timeout_us);
    } else {
        c->state = C_HEAD;
        loop_timer_at(w->loop, &c->timer, loop_now(w->loop) + w->s->cfg.header_timeout_us);
    }
    serve_conn_watch(c, LOOP_READ);
    if (!c->in_process && c->rbuf.len) conn_process(c);
    /* TLS may hold decrypted request bytes the socket will not signal */
    if (!c->in_process && !c->dead && (c->state == C_IDLE || c->state == C_HEAD) &&
        transport_tls_pending(&c->io))
        conn_readable(c);
}

/* A refusal before dispatch: answer status with a one-line text, close. */
static void conn_refuse(struct serve_conn *c, int status, const char *msg)
{
    c->close_after = true;
    c->path = SERVE_PATH_OTHER;
    c->head_req = false;
    c->rid_len = 0;
    c->start = mono_now();
    c->state = C_BUSY;
    serve_gauge_add(&c->w->stats->inflight, 1);
    char body[160];
    int n = snprintf(body, sizeof body, "%s\n", msg);
    serve_conn_respond(c, status, "text/plain", body, (size_t)n, NULL, 0);
}

/* Hand c's request to the first route of the handler table whose path
 * matches (serve_conn.h), counting it under that route's stat. */
static void route(struct serve_conn *c, const struct http_request *req, struct http_span body)
{
    const struct serve_handlers *h = c->w->s->cfg.handlers;
    struct http_span path, query;
    if (req->path.len == 1 && req->path.p[0] == '*') { /* OPTIONS * (request_check) */
        c->path = SERVE_PATH_OTHER;
        serve_conn_respond(c, 200, "text/plain", "", 0,
                           "Allow: GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH\r\n", 0);
        return;
    }
    serve_query_split(req->path, &path, &query);
    for (size_t i = 0; i < h->nroutes; i++) {
        const struct serve_route *r = &h->routes[i];
        if (path.len < r->len || (!r->prefix && path.len != r->len) ||
            memcmp(path.p, r->path, r->len) != 0)
            continue;
        c->path = r->stat;
        struct http_span rest = {path.p + r->len, path.len - r->len};
        r->fn(c, req, rest, query, body);
        return;
    }
    serve_conn_respond(c, 404, "text/plain", "not found\n", 10, NULL, 0);
}

/* The whole request is in rbuf[0..req_len): set the connection up for
 * its answer and hand it to the handlers. */
static void dispatch(struct serve_conn *c, const struct http_request *req, struct http_span body)
{
    struct serve_worker *w = c->w;
    c->state = C_BUSY;
    serve_gauge_add(&w->stats->inflight, 1);
    loop_timer_cancel(w->loop, &c->timer);
    c->head_req = http_span_ieq(req->method, "HEAD");
    c->close_after = !req->keep_alive;
    c->http10 = req->minor_version == 0;
    const struct http_header *rid =
        http_header_find(req->headers, req->num_headers, "x-request-id");
    c->rid = rid ? rid->value.p : NULL;
    c->rid_len = rid ? rid->value.len : 0;
    route(c, req, body);
}

/* The methods serve implements (RFC 9110 9.3 without CONNECT and TRACE,
 * plus PATCH); method names are case-sensitive. */
static bool method_known(struct http_span m)
{
    static const char *const known[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (m.len == strlen(known[i]) && memcmp(m.p, known[i], m.len) == 0) return true;
    return false;
}

/* What a well-formed head still may not ask (RFC 9110, 9112): returns 0,
 * or the status to refuse it with and *why. Checked before the body is
 * read, so the refusal closes the connection. */
static int request_check(const struct http_request *req, const char **why)
{
    if (!method_known(req->method)) {
        *why = "method not implemented (GET HEAD POST PUT DELETE OPTIONS PATCH are)";
        return 501;
    }
    size_t hosts = 0;
    for (size_t i = 0; i < req->num_headers; i++)
        hosts += http_span_ieq(req->headers[i].name, "host");
    if (hosts > 1 || (hosts == 0 && req->minor_version == 1)) {
        *why = hosts ? "more than one Host header" : "HTTP/1.1 request without a Host header";
        return 400;
    }
    if (req->te_other) {
        *why = "transfer coding not implemented (only chunked is)";
        return 501;
    }
    struct http_span path, query;
    serve_query_split(req->path, &path, &query);
    bool origin = req->path.p[0] == '/';
    bool absolute = !origin && path.p != req->path.p; /* the split skipped http(s)://host */
    bool asterisk = req->path.len == 1 && req->path.p[0] == '*' && req->method.len == 7 &&
                    memcmp(req->method.p, "OPTIONS", 7) == 0;
    if (!origin && !absolute && !asterisk) {
        *why = "bad request target (want /path, http://host/path, or * with OPTIONS)";
        return 400;
    }
    return 0;
}

/* Parse and dispatch what rbuf holds, request after request, until more
 * bytes are needed or a handler went asynchronous. */
static void conn_process(struct serve_conn *c)
{
    struct serve_worker *w = c->w;
    const struct serve_config *cfg = &w->s->cfg;
    c->in_process = true;
    while (!c->dead && (c->state == C_HEAD || c->state == C_BODY) && c->rbuf.len) {
        struct http_header hdrs[MAX_HEADERS];
        struct http_request req = {.headers = hdrs, .max_headers = MAX_HEADERS};
        ssize_t h = http_parse_request(c->rbuf.data, c->rbuf.len, &req);
        if (h == HTTP_PARSE_PARTIAL) {
            if ((int64_t)c->rbuf.len >= cfg->max_header_bytes)
                conn_refuse(c, 431, "request head too large");
            break;
        }
        if (h < 0) {
            conn_refuse(c, 400, "malformed request");
            break;
        }
        if ((int64_t)h > cfg->max_header_bytes) {
            conn_refuse(c, 431, "request head too large");
            break;
        }
        const char *why;
        int refuse = request_check(&req, &why);
        if (refuse) {
            conn_refuse(c, refuse, why);
            break;
        }
        if (req.content_length > cfg->max_body_bytes) {
            conn_refuse(c, 413, "request body too large");
            break;
        }
        struct http_span body = {c->rbuf.data + h, 0};
        if (req.chunked) {
            if (c->state == C_HEAD) {
                c->state = C_BODY;
                c->head_len = (size_t)h;
                c->parse_pos = (size_t)h;
                c->body_len = 0;
                c->ch = calloc(1, sizeof *c->ch);
                if (!c->ch) {
                    conn_refuse(c, 400, "out of memory");
                    break;
                }
                http_chunked_init(c->ch);
            }
            /* decode in place: payload moves down to head_len + body_len */
            while (!c->ch->done && c->parse_pos < c->rbuf.len) {
                struct http_span d;
                ssize_t k = http_chunked_next(c->ch, c->rbuf.data + c->parse_pos,
                                              c->rbuf.len - c->parse_pos, &d);
                if (k < 0) break;
                if (d.len) {
                    memmove(c->rbuf.data + c->head_len + c->body_len, d.p, d.len);
                    c->body_len += d.len;
                }
                c->parse_pos += (size_t)k;
                if (k == 0) break;
            }
            if ((int64_t)c->body_len > cfg->max_body_bytes) {
                conn_refuse(c, 413, "request body too large");
                break;
            }
            if (!c->ch->done) {
                /* a framing error shows as no progress with bytes left */
                struct http_span d;
                if (c->parse_pos < c->rbuf.len &&
                    http_chunked_next(c->ch, c->rbuf.data + c->parse_pos,
                                      c->rbuf.len - c->parse_pos, &d) < 0) {
                    conn_refuse(c, 400, "malformed chunked body");
                    break;
                }
                /* compact consumed framing so the buffer does not fill */
                size_t keep = c->head_len + c->body_len;
                if (c->parse_pos > keep) {
                    memmove(c->rbuf.data + keep, c->rbuf.data + c->parse_pos,
                            c->rbuf.len - c->parse_pos);
                    c->rbuf.len -= c->parse_pos - keep;
                    c->parse_pos = keep;
                }
                break;
            }
            /* done: drop the framing between the payload and what follows */
            size_t keep = c->head_len + c->body_len;
            memmove(c->rbuf.data + keep, c->rbuf.data + c->parse_pos, c->rbuf.len - c->parse_pos);
            c->rbuf.len -= c->parse_pos - keep;
            free(c->ch);
            c->ch = NULL;
            /* the head bytes did not move: spans in req stay valid */
            body.len = c->body_len;
            c->req_len = keep;
        } else {
            int64_t cl = req.content_length > 0 ? req.content_length : 0;
            if ((int64_t)c->rbuf.len < h + cl) {
                c->state = C_BODY;
                break;
            }
            body.len = (size_t)cl;
            c->req_len = (size_t)(h + cl);
        }
        c->start = mono_now();
        dispatch(c, &req, body);
        if (c->dead || (c->state != C_IDLE && c->state != C_HEAD)) break;
    }
    c->in_process = false;
}

static void conn_readable(struct serve_conn *c)
{
    struct serve_worker *w = c->w;
    for (;;) {
        if (rbuf_get(c) < 0) {
            conn_close(c);
            return;
        }
        size_t room = c->rbuf.cap - c->rbuf.len;
        if (room < 1024) {
            int rc = buf_reserve(&c->rbuf, SERVE_READ_CHUNK);
            if (rc == -ENOBUFS) rc = buf_reserve(&c->rbuf, c->rbuf.max - c->rbuf.len);
            room = c->rbuf.cap - c->rbuf.len;
            if (rc < 0 || room == 0) {
                if (c->state == C_BODY)
                    conn_refuse(c, 413, "request body too large");
                else
                    conn_refuse(c, 431, "request head too large");
                return;
            }
        }
        ssize_t n = transport_read(&c->io, c->rbuf.data + c->rbuf.len, room);
        if (n == TRANSPORT_WANT_READ || n == TRANSPORT_WANT_WRITE) {
            if (c->rbuf.len == 0) rbuf_put(c);
            /* TLS may have to write to go on reading (a key update) */
            serve_conn_watch(c, n == TRANSPORT_WANT_WRITE ? LOOP_READ | LOOP_WRITE : LOOP_READ);
            return;
        }
        if (n <= 0) {
            conn_close(c);
            return;
        }
        if (c->watch & LOOP_WRITE) serve_conn_watch(c, LOOP_READ); /* the key update is out */
        c->rbuf.len += (size_t)n;
        c->rbuf.data[c->rbuf.len] = '\0';
        if (c->state == C_IDLE) {
            /* a fresh connection's first head is due header_timeout after
             * the accept, a kept-alive one's after its first byte */
            mono_us from = c->fresh ? c->start : loop_now(w->loop);
            c->state = C_HEAD;
            c->fresh = false;
            idle_unlink(c);
            loop_timer_at(w->loop, &c->timer, from + w->s->cfg.header_timeout_us);
        }
        conn_process(c);
        if (c->dead) return;
        if (c->state != C_HEAD && c->state != C_BODY && c->state != C_IDLE) return;
        /* drained the socket; TLS reads one record at a time, so go on to
         * WANT_READ */
        if ((size_t)n < room && c->io.ops == &transport_plain) return;
    }
}

/* TLS: drive the handshake; when done the connection is IDLE (still
 * fresh: its first head is due header_timeout after the accept, the timer
 * set then goes on running) and goes on to read. A failed handshake just
 * closes (nothing can be answered). */
static void conn_handshake(struct serve_conn *c)
{
    idle_unlink(c); /* the client spoke: not a silent one to evict at the cap */
    int rc = transport_handshake(&c->io);
    if (rc == TRANSPORT_WANT_READ || rc == TRANSPORT_WANT_WRITE) {
        serve_conn_watch(c, rc == TRANSPORT_WANT_READ ? LOOP_READ : LOOP_WRITE);
        return;
    }
    if (rc != 0) {
        conn_close(c);
        return;
    }
    c->state = C_IDLE;
    idle_link(c);
    serve_conn_watch(c, LOOP_READ);
    conn_readable(c);
}

static void conn_io(struct loop *l, int fd, unsigned ev, void *arg)
{
    struct serve_conn *c = arg;
    serve_conn_enter(c);
    if (c->state == C_HANDSHAKE) {
        conn_handshake(c);
    } else if (c->state == C_WRITING) {
        conn_send(c);                /* the readiness it waits for (TLS may want a read) */
    } else if (c->state != C_BUSY) { /* BUSY: not watching; a stale event */
        conn_readable(c);
    }
    serve_conn_leave(c);
}

static void conn_timer(struct loop *l, struct loop_timer *t)
{
    struct serve_conn *c = t->arg;
    serve_conn_enter(c);
    switch (c->state) {
    case C_IDLE:
    case C_HANDSHAKE: /* the header timeout from the accept covers it */
        conn_close(c);
        break;
    case C_HEAD:
    case C_BODY:
        conn_refuse(c, 408, "request not complete within the header timeout");
        break;
    case C_BUSY:
        if (c->delayed) { /* the echo delay is over */
            c->delayed = false;
            conn_record(c);
            conn_send(c);
        }
        break;
    case C_WRITING:
        conn_close(c); /* the peer stopped reading */
        break;
    }
    serve_conn_leave(c);
}

/* ------------------------------------------------------------ workers */

void serve_worker_maybe_done(struct serve_worker *w)
{
    if (w->draining && w->nconns == 0 && !w->fans) loop_stop(w->loop);
}

static void drain_timer_fn(struct loop *l, struct loop_timer *t)
{
    struct serve_worker *w = t->arg;
    while (w->conns)
        conn_close(w->conns);
    loop_stop(l);
}

static void drain_io(struct loop *l, int fd, unsigned ev, void *arg)
{
    struct serve_worker *w = arg;
    uint64_t v;
    ssize_t r = read(fd, &v, sizeof v);
    (void)r;
    if (w->draining) return;
    w->draining = true;
    if (w->lfd >= 0) {
        loop_del(l, w->lfd);
        close(w->lfd);
        w->lfd = -1;
    }
    for (struct serve_conn *c = w->conns, *next; c; c = next) {
        next = c->next;
        if (c->state == C_IDLE || c->state == C_HANDSHAKE) conn_close(c);
    }
    loop_timer_at(l, &w->drain_timer, loop_now(l) + w->s->cfg.drain_timeout_us);
    serve_worker_maybe_done(w);
}

static void inbox_io(struct loop *l, int fd, unsigned ev, void *arg)
{
    struct serve_worker *w = arg;
    serve_rest_inbox_drain(w->inbox, w->s->cfg.handlers->rest_reply);
}

static void *worker_main(void *arg)
{
    struct serve_worker *w = arg;
    w->rc = loop_run(w->loop);
    return NULL;
}

static int worker_init(struct serve *s, struct serve_worker *w, size_t idx, char *err,
                       size_t errlen)
{
    w->s = s;
    w->lfd = -1;
    w->drainfd = -1;
    w->rng = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)idx << 32) ^ (uint64_t)mono_now();
    if (!w->rng) w->rng = 1;
    buf_init(&w->scratch, SERVE_SCRATCH_MAX + (size_t)s->cfg.max_body_bytes + 8192);
    w->loop = loop_new(err, errlen);
    if (!w->loop) return -1;
    w->stats = serve_stats_new(s->cfg.backends->n);
    w->inbox = serve_rest_inbox_new();
    w->client = serve_client_new(w->loop, s->cfg.backends, s->cfg.backend_pool,
                                 s->cfg.backend_timeout_us, s->tls);
    w->drainfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!w->stats || !w->inbox || !w->client || w->drainfd < 0)
        return errbuf_set(err, errlen, "out of memory");
    size_t n = s->nworkers;
    w->max_conns = (size_t)((s->cfg.max_connections + (int64_t)n - 1) / (int64_t)n);
    if (w->max_conns == 0) w->max_conns = 1;
    loop_timer_init(&w->accept_timer, accept_timer_fn, w);
    loop_timer_init(&w->drain_timer, drain_timer_fn, w);
    const char *host = s->cfg.listen_host && *s->cfg.listen_host ? s->cfg.listen_host : "0.0.0.0";
    w->lfd = sock_listen(host, idx == 0 ? s->cfg.port : s->port, 4096, n > 1, err, errlen);
    if (w->lfd < 0) return -1;
    if (idx == 0) {
        s->port = sock_local_port(w->lfd);
        if (s->port < 0) return errbuf_set(err, errlen, "listen: cannot read the bound port");
    }
    if (loop_add(w->loop, w->lfd, LOOP_READ, accept_io, w) < 0 ||
        loop_add(w->loop, w->drainfd, LOOP_READ, drain_io, w) < 0 ||
        loop_add(w->loop, serve_rest_inbox_fd(w->inbox), LOOP_READ, inbox_io, w) < 0)
        return errbuf_set(err, errlen, "event loop: cannot watch the listener");
    w->accepting = true;
    return 0;
}

static void worker_free(struct serve_worker *w)
{
    while (w->conns) {
        struct serve_conn *c = w->conns;
        w->draining = true;
        conn_close(c);
    }
    w->s->cfg.handlers->worker_free(w);
    serve_client_free(w->client);
    if (w->lfd >= 0) close(w->lfd);
    if (w->drainfd >= 0) close(w->drainfd);
    serve_rest_inbox_free(w->inbox);
    serve_stats_free(w->stats);
    for (size_t i = 0; i < w->nrcache; i++)
        free(w->rcache[i]);
    buf_free(&w->scratch);
    loop_free(w->loop);
}

struct serve *serve_new(const struct serve_config *cfg, char *err, size_t errlen)
{
    struct serve *s = calloc(1, sizeof *s);
    if (!s) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    if (!cfg->handlers) {
        free(s);
        errbuf_set(err, errlen, "serve: no handler table");
        return NULL;
    }
    if (s->cfg.threads < 1) s->cfg.threads = 1;
    s->nworkers = (size_t)s->cfg.threads;
    const struct serve_backends *bs = cfg->backends;
    bool need_tls = false;
    for (size_t i = 0; i < bs->n; i++)
        for (size_t j = 0; j < bs->b[i].nreplicas; j++)
            need_tls |= bs->b[i].replicas[j].tls;
    s->tls = cfg->tls_client;
    if (need_tls && !s->tls) {
        s->tls = transport_tls_client_ctx(false, NULL, err, errlen);
        if (!s->tls) goto fail;
        s->tls_owned = true;
    }
    s->workers = calloc(s->nworkers, sizeof *s->workers);
    s->stats = calloc(s->nworkers, sizeof *s->stats);
    s->backend_names = calloc(bs->n ? bs->n : 1, sizeof *s->backend_names);
    s->rest = serve_rest_new(cfg->data_dir);
    if (!s->workers || !s->stats || !s->backend_names || !s->rest) {
        errbuf_set(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < bs->n; i++)
        s->backend_names[i] = bs->b[i].name;
    for (size_t i = 0; i < s->nworkers; i++) {
        if (worker_init(s, &s->workers[i], i, err, errlen) < 0) goto fail;
        s->stats[i] = s->workers[i].stats;
    }
    return s;
fail:
    serve_free(s);
    return NULL;
}

int serve_port(const struct serve *s)
{
    return s->port;
}

void serve_shutdown(struct serve *s)
{
    serve_rest_stop_all(s->rest);
    for (size_t i = 0; i < s->nworkers; i++) {
        uint64_t one = 1;
        ssize_t r = write(s->workers[i].drainfd, &one, sizeof one);
        (void)r;
    }
}

/* A stop signal arrived on the signalfd that worker 0's loop watches. */
static void stop_signal_io(struct loop *l, int fd, unsigned ev, void *arg)
{
    struct serve *s = arg;
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof si) == (ssize_t)sizeof si)
        continue;
    if (!s->stopping) {
        s->stopping = true;
        serve_shutdown(s);
    }
}

int serve_run(struct serve *s, const sigset_t *stop_signals, char *err, size_t errlen)
{
    /* Worker 0 runs on this thread; its loop also reads the stop signals,
     * so an idle serve has no thread that wakes up periodically. */
    int sfd = -1;
    if (stop_signals) {
        sfd = signalfd(-1, stop_signals, SFD_NONBLOCK | SFD_CLOEXEC);
        if (sfd < 0) return errbuf_set(err, errlen, "signalfd: %s", strerror(errno));
        if (loop_add(s->workers[0].loop, sfd, LOOP_READ, stop_signal_io, s) < 0) {
            close(sfd);
            return errbuf_set(err, errlen, "event loop: cannot watch the stop signals");
        }
    }
    int rc = 0;
    size_t started = 1;
    for (; started < s->nworkers; started++) {
        if (pthread_create(&s->workers[started].th, NULL, worker_main, &s->workers[started])) {
            rc = errbuf_set(err, errlen, "cannot start worker thread %zu", started);
            serve_shutdown(s);
            break;
        }
    }
    worker_main(&s->workers[0]);
    for (size_t i = 1; i < started; i++)
        pthread_join(s->workers[i].th, NULL);
    for (size_t i = 0; i < started && rc == 0; i++)
        if (s->workers[i].rc < 0) rc = errbuf_set(err, errlen, "event loop failed");
    if (sfd >= 0) {
        loop_del(s->workers[0].loop, sfd);
        close(sfd);
    }
    return rc;
}

void serve_free(struct serve *s)
{
    if (!s) return;
    serve_rest_free(s->rest); /* waits for run threads before inboxes go */
    for (size_t i = 0; s->workers && i < s->nworkers; i++)
        if (s->workers[i].s) worker_free(&s->workers[i]);
    free(s->workers);
    free(s->stats);
    free(s->backend_names);
    if (s->tls_owned) transport_tls_ctx_free(s->tls);
    free(s);
}
