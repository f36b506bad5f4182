/* serve.c: listener, client connections and request dispatch of `meshperf
 * serve` (see serve.h).
 *
 * A client connection is IDLE (no request bytes), HEAD (reading a head),
 * BODY (reading a body), BUSY (a handler is working: fan-out, delay, REST
 * run) or WRITING (a response did not fit the socket). Requests are handled
 * one at a time in arrival order (pipelined bytes wait in the read buffer).
 * A response is built in the worker's scratch buffer and written at once;
 * only what the socket refuses is copied to the connection's own buffer.
 * One intrusive timer per connection serves as idle, head/body, echo-delay
 * and write timeout, whichever the state needs. */
#include "serve.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "buf.h"
#include "errbuf.h"
#include "http_parse.h"
#include "loop.h"
#include "serve_echo.h"
#include "serve_metrics.h"
#include "serve_query.h"
#include "serve_rest.h"
#include "sock.h"
#include "transport.h"

#define READ_CHUNK 16384
#define RBUF_CACHE 64      /* read buffers kept per worker for reuse */
#define MAX_HEADERS 64
#define FILL_BLOCK 16384   /* echo size= bodies are written from this block */
#define SCRATCH_MAX (1u << 20)

enum { C_IDLE, C_HEAD, C_BODY, C_BUSY, C_WRITING };

struct worker;
struct fanout;

struct sconn {
    struct worker *w;
    struct sconn *prev, *next;
    struct buf rbuf;
    struct buf wbuf; /* response bytes the socket refused, or a delayed response */
    size_t woff;
    uint64_t fill_left; /* size= payload bytes still to write after wbuf */
    struct loop_timer timer;
    mono_us start;
    size_t req_len;  /* bytes of rbuf taken by the current request */
    size_t head_len, body_len, parse_pos;
    struct http_chunked *ch; /* only while reading a chunked body */
    struct fanout *fan;
    struct serve_rest_ticket *ticket;
    int fd;
    int status;
    uint16_t guard; /* entry points on the stack; free is deferred past them */
    uint8_t state, path, watch;
    bool close_after, in_process, head_req, delayed, http10, dead;
};

struct fanout {
    struct worker *w;
    struct sconn *c; /* NULL once the client has gone */
    struct fanout *prev, *next;
    size_t pending, n;
    int mode_head; /* HEAD request */
    char *rid;
    size_t rid_len;
    struct serve_call calls[];
};

struct worker {
    struct serve *s;
    struct loop *loop;
    pthread_t th;
    bool started;
    int lfd;
    int drainfd;
    struct serve_rest_inbox *inbox;
    struct serve_stats *stats;
    struct serve_client *client;
    struct sconn *conns; /* list of all open connections */
    struct fanout *fans; /* fan-outs still running */
    size_t nconns, max_conns;
    bool accepting, draining;
    struct loop_timer accept_timer, drain_timer;
    struct buf scratch;
    char *rcache[RBUF_CACHE];
    size_t nrcache;
    uint64_t rng;
    int rc;
    atomic_bool exited;
};

struct serve {
    struct serve_config cfg;
    int port;
    size_t nworkers;
    struct worker *workers;
    struct serve_stats **stats; /* one per worker, for /metrics */
    const char **backend_names;
    struct serve_rest *rest;
    struct transport_tls_ctx *tls;
    atomic_int running;
};

static char fill_data[FILL_BLOCK];
static pthread_once_t fill_once = PTHREAD_ONCE_INIT;
static void fill_init(void)
{
    for (size_t i = 0; i < FILL_BLOCK; i++) fill_data[i] = "meshperf-echo-payload\n"[i % 22];
}

static const char *reason(int code)
{
    switch (code) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
    }
}

/* ------------------------------------------------------------ buffers */

static int rbuf_get(struct sconn *c)
{
    if (c->rbuf.data) return 0;
    struct worker *w = c->w;
    size_t max = (size_t)(w->s->cfg.max_header_bytes + w->s->cfg.max_body_bytes) + 65536;
    buf_init(&c->rbuf, max);
    if (w->nrcache) {
        c->rbuf.data = w->rcache[--w->nrcache];
        c->rbuf.cap = READ_CHUNK;
        c->rbuf.data[0] = '\0';
        return 0;
    }
    return buf_reserve(&c->rbuf, READ_CHUNK);
}

static void rbuf_put(struct sconn *c)
{
    struct worker *w = c->w;
    if (!c->rbuf.data) return;
    if (c->rbuf.cap == READ_CHUNK && w->nrcache < RBUF_CACHE) {
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
static void conn_process(struct sconn *c);
static void conn_send(struct sconn *c);
static void worker_maybe_done(struct worker *w);

static void accept_resume(struct worker *w);

/* Every entry point from the loop (io, timer, backend or REST callback)
 * brackets its work with enter/leave, so a close deep inside only marks the
 * connection dead and the memory goes when the last frame has left. */
static void conn_enter(struct sconn *c)
{
    c->guard++;
}

static bool conn_leave(struct sconn *c)
{
    if (--c->guard == 0 && c->dead) {
        free(c);
        return false;
    }
    return !c->dead;
}

static void conn_watch(struct sconn *c, unsigned mask)
{
    if (c->watch == mask) return;
    c->watch = (uint8_t)mask;
    loop_mod(c->w->loop, c->fd, mask, conn_io, c);
}

static void conn_close(struct sconn *c)
{
    struct worker *w = c->w;
    if (c->dead) return;
    c->dead = true;
    loop_timer_cancel(w->loop, &c->timer);
    loop_del(w->loop, c->fd);
    close(c->fd);
    if (c->fan) c->fan->c = NULL;
    if (c->ticket) serve_rest_ticket_forget(c->ticket);
    if (c->state == C_BUSY || c->state == C_WRITING) serve_gauge_add(&w->stats->inflight, -1);
    rbuf_put(c);
    buf_free(&c->wbuf);
    free(c->ch);
    if (c->prev) c->prev->next = c->next;
    else w->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    if (c->guard == 0) free(c);
    w->nconns--;
    serve_gauge_add(&w->stats->open_conns, -1);
    if (!w->accepting && !w->draining && w->lfd >= 0 && w->nconns < w->max_conns)
        accept_resume(w);
    worker_maybe_done(w);
}

static void accept_io(struct loop *l, int fd, unsigned ev, void *arg);

static void accept_resume(struct worker *w)
{
    w->accepting = true;
    loop_mod(w->loop, w->lfd, LOOP_READ, accept_io, w);
}

static void accept_timer_fn(struct loop *l, struct loop_timer *t)
{
    struct worker *w = t->arg;
    if (!w->draining && w->nconns < w->max_conns) accept_resume(w);
}

static void accept_io(struct loop *l, int fd, unsigned ev, void *arg)
{
    struct worker *w = arg;
    while (w->nconns < w->max_conns) {
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
        struct sconn *c = calloc(1, sizeof *c);
        if (!c || loop_add(l, cfd, LOOP_READ, conn_io, c) < 0) {
            free(c);
            close(cfd);
            return;
        }
        c->w = w;
        c->fd = cfd;
        c->watch = LOOP_READ;
        c->state = C_IDLE;
        loop_timer_init(&c->timer, conn_timer, c);
        loop_timer_at(l, &c->timer, loop_now(l) + w->s->cfg.idle_timeout_us);
        c->next = w->conns;
        if (w->conns) w->conns->prev = c;
        w->conns = c;
        w->nconns++;
        serve_gauge_add(&w->stats->open_conns, 1);
    }
    /* full: stop accepting until a connection closes */
    w->accepting = false;
    loop_mod(l, fd, 0, accept_io, w);
}

/* Queue (and start writing) the response held in the worker's scratch buffer
 * (or, when from_wbuf, already in c->wbuf). */
static void conn_record(struct sconn *c)
{
    struct worker *w = c->w;
    serve_stats_request(w->stats, (enum serve_path)c->path, c->status, mono_now() - c->start);
}

/* Build a response head + body in dst. extra: header lines, each ending
 * in CRLF (may be NULL). fill: size= payload bytes to follow (not in dst). */
static int build(struct sconn *c, struct buf *dst, int status, const char *ctype, const char *body,
                 size_t blen, const char *extra, uint64_t fill)
{
    uint64_t clen = blen + fill;
    int rc = buf_printf(dst,
                        "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %llu\r\n%s%s\r\n",
                        status, reason(status), ctype, (unsigned long long)clen, extra ? extra : "",
                        c->close_after ? "Connection: close\r\n"
                        : c->http10   ? "Connection: keep-alive\r\n"
                                      : "");
    if (!rc && blen && !c->head_req) rc = buf_append(dst, body, blen);
    c->status = status;
    c->fill_left = c->head_req ? 0 : fill;
    return rc;
}

/* Answer now: build in scratch, write what the socket takes. */
static void conn_respond(struct sconn *c, int status, const char *ctype, const char *body,
                         size_t blen, const char *extra, uint64_t fill)
{
    struct worker *w = c->w;
    buf_reset(&w->scratch);
    if (build(c, &w->scratch, status, ctype, body, blen, extra, fill) < 0) {
        c->close_after = true;
        buf_reset(&w->scratch);
        build(c, &w->scratch, 500, "text/plain", "response too large\n", 19, NULL, 0);
    }
    conn_record(c);
    ssize_t n = write(c->fd, w->scratch.data, w->scratch.len);
    if (n < 0) {
        if (errno != EAGAIN) {
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
        buf_init(&c->wbuf, SCRATCH_MAX + 4096);
        if (buf_append(&c->wbuf, w->scratch.data + n, w->scratch.len - (size_t)n) < 0) {
            conn_close(c);
            return;
        }
    }
    conn_send(c);
}

/* Write c->wbuf from woff, then the fill payload. When all is out: finish
 * the request (next pipelined one, idle, or close). */
static void conn_send(struct sconn *c)
{
    struct worker *w = c->w;
    pthread_once(&fill_once, fill_init);
    while (c->woff < c->wbuf.len || c->fill_left) {
        ssize_t n;
        if (c->woff < c->wbuf.len) {
            n = write(c->fd, c->wbuf.data + c->woff, c->wbuf.len - c->woff);
        } else {
            size_t k = c->fill_left < FILL_BLOCK ? (size_t)c->fill_left : FILL_BLOCK;
            n = write(c->fd, fill_data, k);
        }
        if (n < 0 && errno == EAGAIN) {
            if (c->state != C_WRITING) {
                if (c->state != C_BUSY) serve_gauge_add(&w->stats->inflight, 1);
                c->state = C_WRITING;
            }
            conn_watch(c, LOOP_WRITE);
            loop_timer_at(w->loop, &c->timer, loop_now(w->loop) + w->s->cfg.idle_timeout_us);
            return;
        }
        if (n <= 0) {
            conn_close(c);
            return;
        }
        if (c->woff < c->wbuf.len) c->woff += (size_t)n;
        else c->fill_left -= (uint64_t)n;
    }
    /* done */
    if (c->state == C_BUSY || c->state == C_WRITING) serve_gauge_add(&w->stats->inflight, -1);
    buf_free(&c->wbuf);
    c->woff = 0;
    if (c->close_after || w->draining) {
        conn_close(c);
        return;
    }
    buf_consume(&c->rbuf, c->req_len);
    c->req_len = 0;
    c->state = C_IDLE;
    c->delayed = false;
    if (c->rbuf.len == 0) {
        rbuf_put(c);
        loop_timer_at(w->loop, &c->timer, loop_now(w->loop) + w->s->cfg.idle_timeout_us);
    } else {
        c->state = C_HEAD;
        loop_timer_at(w->loop, &c->timer, loop_now(w->loop) + w->s->cfg.header_timeout_us);
    }
    conn_watch(c, LOOP_READ);
    if (!c->in_process && c->rbuf.len) conn_process(c);
}

/* A refusal before dispatch: answer status with a one-line text, close. */
static void conn_refuse(struct sconn *c, int status, const char *msg)
{
    c->close_after = true;
    c->path = SERVE_PATH_OTHER;
    c->head_req = false;
    c->start = mono_now();
    c->state = C_BUSY;
    serve_gauge_add(&c->w->stats->inflight, 1);
    char body[160];
    int n = snprintf(body, sizeof body, "%s\n", msg);
    conn_respond(c, status, "text/plain", body, (size_t)n, NULL, 0);
}

/* ------------------------------------------------------------ handlers */

static void json_escape(struct buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            buf_append(b, "\\", 1);
            buf_append(b, &s[i], 1);
        } else if (ch < 0x20) {
            buf_printf(b, "\\u%04x", ch);
        } else {
            buf_append(b, &s[i], 1);
        }
    }
}

static void handle_echo(struct sconn *c, struct http_span query, struct http_span body,
                        const struct http_request *req, bool root)
{
    struct worker *w = c->w;
    struct serve_echo_limits lim = {w->s->cfg.max_delay_us, w->s->cfg.max_size};
    struct serve_echo e;
    char scratch[2048], err[ERRBUF_LEN], ctbuf[128];
    if (serve_echo_parse(query.p, query.len, &lim, &e, scratch, sizeof scratch, err,
                         sizeof err) < 0) {
        size_t n = strlen(err);
        err[n] = '\n';
        conn_respond(c, 400, "text/plain", err, n + 1, NULL, 0);
        return;
    }
    int status = (int)serve_choices_pick(&e.status, serve_echo_roll(&w->rng), 200);
    int64_t delay = serve_choices_pick(&e.delay, serve_echo_roll(&w->rng), 0);
    if (e.close) c->close_after = true;
    char extra[4096];
    size_t xl = 0;
    extra[0] = '\0';
    for (size_t i = 0; i < e.nheaders; i++) {
        int n = snprintf(extra + xl, sizeof extra - xl, "%s: %s\r\n", e.header_name[i],
                         e.header_value[i]);
        if (n < 0 || (size_t)n >= sizeof extra - xl) break;
        xl += (size_t)n;
    }
    const char *ctype = "text/plain";
    const char *bp = body.p;
    size_t blen = body.len;
    uint64_t fill = 0;
    if (e.size >= 0) {
        ctype = "application/octet-stream";
        bp = NULL;
        blen = 0;
        fill = (uint64_t)e.size;
    } else if (body.len) {
        const struct http_header *ct = http_header_find(req->headers, req->num_headers,
                                                        "content-type");
        if (ct && ct->value.len < sizeof ctbuf) {
            memcpy(ctbuf, ct->value.p, ct->value.len);
            ctbuf[ct->value.len] = '\0';
            ctype = ctbuf;
        }
    } else if (root) {
        ctype = "application/json";
        bp = "\"ok\"";
        blen = 4;
    }
    if (delay <= 0) {
        conn_respond(c, status, ctype, bp, blen, xl ? extra : NULL, fill);
        return;
    }
    /* delayed: build now into the connection's buffer, send when the
     * timer fires (never sleep) */
    buf_init(&c->wbuf, SCRATCH_MAX + (size_t)w->s->cfg.max_body_bytes + 8192);
    if (build(c, &c->wbuf, status, ctype, bp, blen, xl ? extra : NULL, fill) < 0) {
        buf_free(&c->wbuf);
        c->close_after = true;
        conn_respond(c, 500, "text/plain", "response too large\n", 19, NULL, 0);
        return;
    }
    c->delayed = true;
    c->woff = 0;
    conn_watch(c, 0);
    loop_timer_at(w->loop, &c->timer, mono_now() + delay);
}

static void fan_done(void *arg, size_t backend, enum serve_outcome o, int status);

static void handle_fanout(struct sconn *c, const struct http_request *req)
{
    struct worker *w = c->w;
    const struct serve_backends *bs = w->s->cfg.backends;
    const struct http_header *rid =
        http_header_find(req->headers, req->num_headers, "x-request-id");
    size_t rlen = rid ? rid->value.len : 0;
    struct fanout *f = malloc(sizeof *f + bs->n * sizeof f->calls[0] + rlen + 1);
    if (!f) {
        c->close_after = true;
        conn_respond(c, 500, "text/plain", "out of memory\n", 14, NULL, 0);
        return;
    }
    f->w = w;
    f->c = c;
    f->n = bs->n;
    f->pending = bs->n;
    f->rid = (char *)&f->calls[bs->n];
    f->rid_len = rlen;
    if (rlen) memcpy(f->rid, rid->value.p, rlen);
    f->rid[rlen] = '\0';
    f->prev = NULL;
    f->next = w->fans;
    if (w->fans) w->fans->prev = f;
    w->fans = f;
    c->fan = f;
    conn_watch(c, 0);
    loop_timer_cancel(w->loop, &c->timer);
    for (size_t i = 0; i < bs->n; i++)
        serve_client_start(w->client, &f->calls[i], i, f->rid, f->rid_len, fan_done, f);
}

static void fan_done(void *arg, size_t backend, enum serve_outcome o, int status)
{
    struct fanout *f = arg;
    struct worker *w = f->w;
    (void)status;
    serve_counter_add(&w->stats->backend[backend][o], 1);
    if (--f->pending) return;
    if (f->prev) f->prev->next = f->next;
    else w->fans = f->next;
    if (f->next) f->next->prev = f->prev;
    struct sconn *c = f->c;
    if (!c) { /* the client went away meanwhile */
        free(f);
        worker_maybe_done(w);
        return;
    }
    bool all_ok = true;
    for (size_t i = 0; i < f->n; i++)
        if (f->calls[i].outcome != SERVE_OK) all_ok = false;
    struct buf body;
    buf_init(&body, 65536);
    if (all_ok) {
        buf_puts(&body, "\"ok\"");
    } else {
        buf_puts(&body, "\"");
        bool first = true;
        const struct serve_backends *bs = w->s->cfg.backends;
        for (size_t i = 0; i < f->n; i++) {
            const struct serve_call *call = &f->calls[i];
            if (call->outcome == SERVE_OK) continue;
            char what[32];
            if (call->outcome == SERVE_TIMEOUT) snprintf(what, sizeof what, "timeout");
            else if (call->outcome == SERVE_REFUSED) snprintf(what, sizeof what, "refused");
            else if (call->status > 0) snprintf(what, sizeof what, "%d", call->status);
            else snprintf(what, sizeof what, "error");
            if (!first) buf_puts(&body, ", ");
            first = false;
            json_escape(&body, bs->b[i].name, strlen(bs->b[i].name));
            buf_printf(&body, ": %s", what);
        }
        buf_puts(&body, "\"");
    }
    c->fan = NULL;
    free(f);
    conn_enter(c);
    conn_respond(c, all_ok ? 200 : 500, "application/json", body.data, body.len, NULL, 0);
    conn_leave(c);
    buf_free(&body);
}

static void handle_health(struct sconn *c)
{
    struct worker *w = c->w;
    const struct serve_backends *bs = w->s->cfg.backends;
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_puts(&b, "{\"status\":\"ok\",\"name\":\"");
    const char *name = w->s->cfg.name ? w->s->cfg.name : "";
    json_escape(&b, name, strlen(name));
    buf_puts(&b, "\",\"backends\":[");
    for (size_t i = 0; i < bs->n; i++) {
        buf_puts(&b, i ? ",{\"name\":\"" : "{\"name\":\"");
        json_escape(&b, bs->b[i].name, strlen(bs->b[i].name));
        buf_puts(&b, "\",\"urls\":[");
        for (size_t j = 0; j < bs->b[i].nreplicas; j++) {
            buf_puts(&b, j ? ",\"" : "\"");
            json_escape(&b, bs->b[i].replicas[j].url, strlen(bs->b[i].replicas[j].url));
            buf_puts(&b, "\"");
        }
        buf_puts(&b, "]}");
    }
    buf_puts(&b, "]}\n");
    conn_respond(c, 200, "application/json", b.data, b.len, NULL, 0);
    buf_free(&b);
}

static void handle_metrics(struct sconn *c)
{
    struct worker *w = c->w;
    struct serve *s = w->s;
    struct serve_proc proc;
    serve_proc_read(&proc);
    struct buf b;
    buf_init(&b, 8 << 20);
    int rc = serve_metrics_render(&b, s->stats, s->nworkers, s->backend_names, &proc);
    if (rc) conn_respond(c, 500, "text/plain", "metrics too large\n", 18, NULL, 0);
    else conn_respond(c, 200, "text/plain; version=0.0.4", b.data, b.len, NULL, 0);
    buf_free(&b);
}

static void handle_rest(struct sconn *c, struct http_span which, struct http_span query,
                        struct http_span body)
{
    struct worker *w = c->w;
    int status = 500;
    char *out = NULL;
    size_t len = 0;
    struct serve_rest_ticket *t = NULL;
    int rc = serve_rest_handle(w->s->rest, w->inbox, which, query, body, c, &status, &out, &len,
                               &t);
    if (rc < 0) {
        conn_respond(c, 500, "application/json",
                     "{\"error\":true,\"message\":\"out of memory\"}", 40, NULL, 0);
        return;
    }
    if (rc == 1) {
        conn_respond(c, status, "application/json", out, len, NULL, 0);
        free(out);
        return;
    }
    c->ticket = t;
    conn_watch(c, 0);
    loop_timer_cancel(w->loop, &c->timer);
}

static void rest_reply(void *waiter, int status, char *body, size_t len)
{
    struct sconn *c = waiter;
    c->ticket = NULL;
    conn_enter(c);
    conn_respond(c, status, "application/json", body, len, NULL, 0);
    conn_leave(c);
    free(body);
}

static bool path_is(struct http_span p, const char *lit)
{
    size_t n = strlen(lit);
    return p.len == n && memcmp(p.p, lit, n) == 0;
}

static bool path_prefix(struct http_span p, const char *lit)
{
    size_t n = strlen(lit);
    return p.len >= n && memcmp(p.p, lit, n) == 0;
}

/* The whole request is in rbuf[0..req_len): route it. */
static void dispatch(struct sconn *c, const struct http_request *req, struct http_span body)
{
    struct worker *w = c->w;
    c->state = C_BUSY;
    serve_gauge_add(&w->stats->inflight, 1);
    loop_timer_cancel(w->loop, &c->timer);
    c->head_req = http_span_ieq(req->method, "HEAD");
    c->close_after = !req->keep_alive;
    c->http10 = req->minor_version == 0;
    struct http_span path, query;
    serve_query_split(req->path, &path, &query);
    if (path_is(path, "/health")) {
        c->path = SERVE_PATH_HEALTH;
        handle_health(c);
    } else if (path_is(path, "/metrics")) {
        c->path = SERVE_PATH_METRICS;
        handle_metrics(c);
    } else if (path_is(path, "/echo") || path_prefix(path, "/echo/")) {
        c->path = SERVE_PATH_ECHO;
        handle_echo(c, query, body, req, false);
    } else if (path_prefix(path, "/fortio/rest/")) {
        c->path = SERVE_PATH_REST;
        struct http_span which = {path.p + 13, path.len - 13};
        handle_rest(c, which, query, body);
    } else {
        c->path = SERVE_PATH_ROOT;
        if (w->s->cfg.backends->n) handle_fanout(c, req);
        else handle_echo(c, query, body, req, true);
    }
}

/* Parse and dispatch what rbuf holds, request after request, until more
 * bytes are needed or a handler went asynchronous. */
static void conn_process(struct sconn *c)
{
    struct worker *w = c->w;
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

static void conn_readable(struct sconn *c)
{
    struct worker *w = c->w;
    for (;;) {
        if (rbuf_get(c) < 0) {
            conn_close(c);
            return;
        }
        size_t room = c->rbuf.cap - c->rbuf.len;
        if (room < 1024) {
            int rc = buf_reserve(&c->rbuf, READ_CHUNK);
            if (rc == -ENOBUFS) rc = buf_reserve(&c->rbuf, c->rbuf.max - c->rbuf.len);
            room = c->rbuf.cap - c->rbuf.len;
            if (rc < 0 || room == 0) {
                if (c->state == C_BODY) conn_refuse(c, 413, "request body too large");
                else conn_refuse(c, 431, "request head too large");
                return;
            }
        }
        ssize_t n = read(c->fd, c->rbuf.data + c->rbuf.len, room);
        if (n < 0 && errno == EAGAIN) {
            if (c->rbuf.len == 0) rbuf_put(c);
            return;
        }
        if (n <= 0) {
            conn_close(c);
            return;
        }
        c->rbuf.len += (size_t)n;
        c->rbuf.data[c->rbuf.len] = '\0';
        if (c->state == C_IDLE) {
            c->state = C_HEAD;
            loop_timer_at(w->loop, &c->timer, loop_now(w->loop) + w->s->cfg.header_timeout_us);
        }
        conn_process(c);
        if (c->dead) return;
        if (c->state != C_HEAD && c->state != C_BODY && c->state != C_IDLE) return;
        if ((size_t)n < room) return; /* drained the socket */
    }
}

static void conn_io(struct loop *l, int fd, unsigned ev, void *arg)
{
    struct sconn *c = arg;
    conn_enter(c);
    if (c->state == C_WRITING) {
        if (ev & (LOOP_WRITE | LOOP_ERROR)) conn_send(c);
    } else if (c->state != C_BUSY) { /* BUSY: not watching; a stale event */
        conn_readable(c);
    }
    conn_leave(c);
}

static void conn_timer(struct loop *l, struct loop_timer *t)
{
    struct sconn *c = t->arg;
    conn_enter(c);
    switch (c->state) {
    case C_IDLE:
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
    conn_leave(c);
}

/* ------------------------------------------------------------ workers */

static void worker_maybe_done(struct worker *w)
{
    if (w->draining && w->nconns == 0 && !w->fans) loop_stop(w->loop);
}

static void drain_timer_fn(struct loop *l, struct loop_timer *t)
{
    struct worker *w = t->arg;
    while (w->conns) conn_close(w->conns);
    loop_stop(l);
}

static void drain_io(struct loop *l, int fd, unsigned ev, void *arg)
{
    struct worker *w = arg;
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
    for (struct sconn *c = w->conns, *next; c; c = next) {
        next = c->next;
        if (c->state == C_IDLE) conn_close(c);
    }
    loop_timer_at(l, &w->drain_timer, loop_now(l) + w->s->cfg.drain_timeout_us);
    worker_maybe_done(w);
}

static void inbox_io(struct loop *l, int fd, unsigned ev, void *arg)
{
    struct worker *w = arg;
    serve_rest_inbox_drain(w->inbox, rest_reply);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    w->rc = loop_run(w->loop);
    atomic_store(&w->exited, true);
    return NULL;
}

static int worker_init(struct serve *s, struct worker *w, size_t idx, char *err, size_t errlen)
{
    w->s = s;
    w->lfd = -1;
    w->drainfd = -1;
    w->rng = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)idx << 32) ^ (uint64_t)mono_now();
    if (!w->rng) w->rng = 1;
    buf_init(&w->scratch, SCRATCH_MAX + (size_t)s->cfg.max_body_bytes + 8192);
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

static void worker_free(struct worker *w)
{
    while (w->conns) {
        struct sconn *c = w->conns;
        w->draining = true;
        conn_close(c);
    }
    while (w->fans) {
        struct fanout *f = w->fans;
        w->fans = f->next;
        free(f);
    }
    serve_client_free(w->client);
    if (w->lfd >= 0) close(w->lfd);
    if (w->drainfd >= 0) close(w->drainfd);
    serve_rest_inbox_free(w->inbox);
    serve_stats_free(w->stats);
    for (size_t i = 0; i < w->nrcache; i++) free(w->rcache[i]);
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
    if (s->cfg.threads < 1) s->cfg.threads = 1;
    s->nworkers = (size_t)s->cfg.threads;
    const struct serve_backends *bs = cfg->backends;
    bool need_tls = false;
    for (size_t i = 0; i < bs->n; i++)
        for (size_t j = 0; j < bs->b[i].nreplicas; j++) need_tls |= bs->b[i].replicas[j].tls;
    if (need_tls) {
        s->tls = transport_tls_client_ctx(false, NULL, err, errlen);
        if (!s->tls) goto fail;
    }
    s->workers = calloc(s->nworkers, sizeof *s->workers);
    s->stats = calloc(s->nworkers, sizeof *s->stats);
    s->backend_names = calloc(bs->n ? bs->n : 1, sizeof *s->backend_names);
    s->rest = serve_rest_new(cfg->data_dir);
    if (!s->workers || !s->stats || !s->backend_names || !s->rest) {
        errbuf_set(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < bs->n; i++) s->backend_names[i] = bs->b[i].name;
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

int serve_run(struct serve *s, const sigset_t *stop_signals, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->nworkers; i++) {
        if (pthread_create(&s->workers[i].th, NULL, worker_main, &s->workers[i]) != 0) {
            serve_shutdown(s);
            for (size_t j = 0; j < i; j++) pthread_join(s->workers[j].th, NULL);
            return errbuf_set(err, errlen, "cannot start worker thread %zu", i);
        }
        s->workers[i].started = true;
    }
    bool stopping = false;
    for (;;) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        int sig = stop_signals ? sigtimedwait(stop_signals, NULL, &ts) : -1;
        if (!stop_signals) nanosleep(&ts, NULL);
        if (sig > 0 && !stopping) {
            stopping = true;
            serve_shutdown(s);
        }
        bool any = false;
        for (size_t i = 0; i < s->nworkers; i++)
            if (!atomic_load(&s->workers[i].exited)) any = true;
        if (!any) break;
    }
    int rc = 0;
    for (size_t i = 0; i < s->nworkers; i++) {
        pthread_join(s->workers[i].th, NULL);
        s->workers[i].started = false;
        if (s->workers[i].rc < 0) rc = errbuf_set(err, errlen, "event loop failed");
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
    transport_tls_ctx_free(s->tls);
    free(s);
}
