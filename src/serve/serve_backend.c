/* serve_backend.c: backend list parsing and the pooled fan-out client (see
 * serve_backend.h).
 *
 * A backend connection moves through CONNECTING -> HANDSHAKE (TLS only) ->
 * WRITING -> READING -> IDLE (back in its pool) and round again, or is
 * closed. The response is framed by http_frame.h: the head is buffered
 * (capped) until it parses; the body is read and dropped as it arrives,
 * framed by Content-Length, chunked encoding, or the end of the
 * connection. Bytes after the response fail the call and close the
 * connection. */
#include "serve/serve_backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/errbuf.h"
#include "net/http_frame.h"
#include "net/transport.h"

#define HEAD_MAX   (64 * 1024) /* a backend's response head larger than this is an error */
#define READ_CHUNK 4096

/* ---------------------------------------------------------------- parsing */

static void replica_free(struct serve_replica *r)
{
    free(r->url);
    free(r->sni);
    free(r->authority);
    free(r->req_prefix);
}

void serve_backends_free(struct serve_backends *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->n; i++) {
        for (size_t j = 0; j < b->b[i].nreplicas; j++)
            replica_free(&b->b[i].replicas[j]);
        free(b->b[i].replicas);
        free(b->b[i].name);
    }
    free(b->b);
    b->b = NULL;
    b->n = 0;
}

static int replica_init(struct serve_replica *r, const char *s, size_t n, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    struct url *u = malloc(sizeof *u);
    char *text = strndup(s, n);
    if (!u || !text) {
        free(u);
        free(text);
        return errbuf_set(err, errlen, "out of memory");
    }
    if (url_parse(text, u, err, errlen) < 0) {
        free(u);
        free(text);
        return -1;
    }
    char host[URL_HOST_MAX + 16], auth[URL_HOST_MAX + 16];
    url_host_header(u, host, sizeof host);
    url_authority(u, auth, sizeof auth);
    struct buf p;
    buf_init(&p, URL_PATH_MAX + 1024);
    int rc =
        buf_printf(&p, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: meshperf\r\n", u->path, host);
    /* kept for /health: any user:password@ shown as ***@ */
    r->url = malloc(n + 16);
    if (r->url) url_redact(text, r->url, n + 16);
    free(text);
    r->tls = u->tls;
    r->sni = strdup(u->host);
    r->authority = strdup(auth);
    r->req_prefix = p.data;
    r->req_prefix_len = p.len;
    /* keep the resolved target in addr later; remember host/port in sni/authority */
    free(u);
    if (rc || !r->url || !r->sni || !r->authority) {
        replica_free(r);
        return errbuf_set(err, errlen, "out of memory");
    }
    return 0;
}

int serve_backends_parse(const char *spec, struct serve_backends *out, char *err, size_t errlen)
{
    out->n = 0;
    out->b = NULL;
    if (!spec) return 0;
    const char *p = spec;
    size_t idx = 0;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        const char *next = e ? e + 1 : p + len;
        /* trim spaces */
        while (len && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        idx++;
        if (len == 0) {
            p = next;
            continue;
        }
        struct serve_backend *nb = realloc(out->b, (out->n + 1) * sizeof *nb);
        if (!nb) {
            serve_backends_free(out);
            return errbuf_set(err, errlen, "out of memory");
        }
        out->b = nb;
        struct serve_backend *b = &out->b[out->n++];
        memset(b, 0, sizeof *b);
        const char *urls = p;
        size_t ulen = len;
        const char *sep = memchr(p, '=', len);
        const char *scheme = NULL;
        for (const char *q = p; q + 2 < p + len; q++)
            if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
                scheme = q;
                break;
            }
        if (sep && (!scheme || sep < scheme)) {
            if (sep == p) {
                serve_backends_free(out);
                return errbuf_set(err, errlen, "backend %zu: empty name before '='", idx);
            }
            b->name = strndup(p, (size_t)(sep - p));
            urls = sep + 1;
            ulen = len - (size_t)(sep - p) - 1;
        }
        const char *u = urls, *uend = urls + ulen;
        while (u <= uend) {
            const char *bar = memchr(u, '|', (size_t)(uend - u));
            size_t n = bar ? (size_t)(bar - u) : (size_t)(uend - u);
            struct serve_replica *nr = realloc(b->replicas, (b->nreplicas + 1) * sizeof *nr);
            if (!nr) {
                serve_backends_free(out);
                return errbuf_set(err, errlen, "out of memory");
            }
            b->replicas = nr;
            char why[ERRBUF_LEN];
            if (n == 0 || replica_init(&b->replicas[b->nreplicas], u, n, why, sizeof why) < 0) {
                if (n == 0) snprintf(why, sizeof why, "empty URL");
                /* quote the entry as it may be shown: no user:password@ */
                char raw[1024], shown[1024];
                snprintf(raw, sizeof raw, "%.*s", (int)len, p);
                url_redact(raw, shown, sizeof shown);
                errbuf_set(err, errlen, "backend %zu ('%s'): %s", idx, shown, why);
                serve_backends_free(out);
                return -1;
            }
            b->nreplicas++;
            if (!bar) break;
            u = bar + 1;
        }
        if (!b->name) b->name = strdup(b->replicas[0].authority);
        if (!b->name) {
            serve_backends_free(out);
            return errbuf_set(err, errlen, "out of memory");
        }
        p = next;
    }
    return 0;
}

int serve_backends_resolve(struct serve_backends *b, char *err, size_t errlen)
{
    for (size_t i = 0; i < b->n; i++) {
        for (size_t j = 0; j < b->b[i].nreplicas; j++) {
            struct serve_replica *r = &b->b[i].replicas[j];
            /* authority is host:port or [v6]:port */
            char host[URL_HOST_MAX + 16];
            snprintf(host, sizeof host, "%s", r->sni);
            const char *colon = strrchr(r->authority, ':');
            int port = colon ? atoi(colon + 1) : 80;
            char why[ERRBUF_LEN];
            if (sock_resolve(host, port, &r->addr, why, sizeof why) < 0)
                return errbuf_set(err, errlen, "backend %s: %s", b->b[i].name, why);
        }
    }
    return 0;
}

/* ----------------------------------------------------------------- client */

enum { BC_CONNECTING, BC_HANDSHAKE, BC_WRITING, BC_READING, BC_IDLE };

struct serve_pool {
    struct serve_client *cl;
    size_t backend, replica;
    struct serve_bconn *idle; /* LIFO of idle connections */
    size_t nconns;            /* open, busy or idle */
    struct serve_call *wait_head, *wait_tail;
};

struct serve_bconn {
    struct conn_io io;
    struct serve_pool *pool;
    struct serve_bconn *next; /* idle list */
    struct serve_call *call;
    struct buf rbuf;
    struct buf wbuf;
    size_t woff;
    struct http_frame fr; /* the response being read */
    uint8_t state;
    bool reused, got_bytes;
};

struct serve_client {
    struct loop *loop;
    const struct serve_backends *b;
    struct transport_tls_ctx *tls;
    int pool_max;
    int64_t timeout_us;
    size_t *rr;                /* per backend round-robin cursor */
    struct serve_pool **pools; /* [backend][replica] */
    size_t nconns;
};

struct serve_client *serve_client_new(struct loop *l, const struct serve_backends *b, int pool_max,
                                      int64_t timeout_us, struct transport_tls_ctx *tls)
{
    struct serve_client *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->loop = l;
    c->b = b;
    c->tls = tls;
    c->pool_max = pool_max > 0 ? pool_max : 1;
    c->timeout_us = timeout_us;
    c->rr = calloc(b->n ? b->n : 1, sizeof *c->rr);
    c->pools = calloc(b->n ? b->n : 1, sizeof *c->pools);
    if (!c->rr || !c->pools) goto fail;
    for (size_t i = 0; i < b->n; i++) {
        c->pools[i] = calloc(b->b[i].nreplicas, sizeof **c->pools);
        if (!c->pools[i]) goto fail;
        for (size_t j = 0; j < b->b[i].nreplicas; j++) {
            c->pools[i][j].cl = c;
            c->pools[i][j].backend = i;
            c->pools[i][j].replica = j;
        }
    }
    return c;
fail:
    serve_client_free(c);
    return NULL;
}

static void bconn_close(struct serve_bconn *bc)
{
    struct serve_pool *pool = bc->pool;
    if (bc->io.fd >= 0) loop_del(pool->cl->loop, bc->io.fd);
    transport_close(&bc->io);
    buf_free(&bc->rbuf);
    buf_free(&bc->wbuf);
    pool->nconns--;
    pool->cl->nconns--;
    free(bc);
}

void serve_client_free(struct serve_client *c)
{
    if (!c) return;
    if (c->pools) {
        for (size_t i = 0; i < c->b->n; i++) {
            if (!c->pools[i]) continue;
            for (size_t j = 0; j < c->b->b[i].nreplicas; j++) {
                struct serve_pool *p = &c->pools[i][j];
                while (p->idle) {
                    struct serve_bconn *bc = p->idle;
                    p->idle = bc->next;
                    bconn_close(bc);
                }
                /* busy ones went with their calls (serve_client_abort) */
            }
            free(c->pools[i]);
        }
    }
    free(c->pools);
    free(c->rr);
    free(c);
}

size_t serve_client_conns(const struct serve_client *c)
{
    return c->nconns;
}

static void pool_pump(struct serve_pool *pool);
static void bconn_io(struct loop *l, int fd, unsigned ev, void *arg);
static void bconn_send(struct serve_bconn *bc);
static int bconn_open(struct serve_pool *pool, struct serve_call *call);

const char *serve_call_describe(const struct serve_call *call, char *out, size_t len)
{
    static const char *const what[] = {
        [SERVE_FAIL_TIMEOUT] = "timeout",
        [SERVE_FAIL_REFUSED] = "refused",
        [SERVE_FAIL_CONNECT] = "connect failed",
        [SERVE_FAIL_TLS] = "TLS handshake failed",
        [SERVE_FAIL_WRITE] = "request write failed",
        [SERVE_FAIL_CLOSED] = "closed before answering",
        [SERVE_FAIL_HEAD_CUT] = "closed inside the response head",
        [SERVE_FAIL_HEAD_BAD] = "malformed response head",
        [SERVE_FAIL_HEAD_BIG] = "response head too large",
        [SERVE_FAIL_BODY_BAD] = "malformed body",
        [SERVE_FAIL_BODY_CUT] = "closed inside the body",
        [SERVE_FAIL_TRAILING] = "unasked bytes after the response",
        [SERVE_FAIL_NOMEM] = "out of memory",
    };
    unsigned f = call->fail;
    if (call->outcome == SERVE_OK)
        snprintf(out, len, "ok");
    else if (f == SERVE_FAIL_STATUS)
        snprintf(out, len, "%d", call->status);
    else if (f < sizeof what / sizeof what[0] && what[f] && call->status > 0)
        snprintf(out, len, "%s after a %d head", what[f], call->status);
    else if (f < sizeof what / sizeof what[0] && what[f])
        snprintf(out, len, "%s", what[f]);
    else
        snprintf(out, len, "error");
    return out;
}

/* The outcome a failure reason is counted under in /metrics. */
static enum serve_outcome fail_outcome(enum serve_fail f)
{
    return f == SERVE_FAIL_TIMEOUT   ? SERVE_TIMEOUT
           : f == SERVE_FAIL_REFUSED ? SERVE_REFUSED
                                     : SERVE_ERROR;
}

/* End call: a complete response with status (fail NONE or STATUS, from
 * the status), or a failure f; the connection (if any) is already
 * detached. */
static void call_finish(struct serve_call *call, enum serve_fail f, int status)
{
    if (call->finished) return;
    call->finished = true;
    loop_timer_cancel(call->cl->loop, &call->timer);
    if (f == SERVE_FAIL_NONE || f == SERVE_FAIL_STATUS)
        f = status == 200 ? SERVE_FAIL_NONE : SERVE_FAIL_STATUS;
    enum serve_outcome o = f == SERVE_FAIL_NONE ? SERVE_OK : fail_outcome(f);
    call->outcome = (uint8_t)o;
    call->fail = (uint8_t)f;
    call->status = status;
    call->fn(call->arg, call->backend, o, status);
}

/* Report failure f from the loop, not from the current stack. */
static void call_fail_later(struct serve_call *call, enum serve_fail f)
{
    call->fail = (uint8_t)f;
    call->status = 0;
    call->early = true; /* the timer delivers this instead of a timeout */
    loop_timer_at(call->cl->loop, &call->timer, 0);
}

/* The failure a connect error rc (negative errno) stands for. */
static enum serve_fail connect_fail(int rc)
{
    return rc == -ECONNREFUSED ? SERVE_FAIL_REFUSED
           : rc == -ENOMEM     ? SERVE_FAIL_NOMEM
           : rc == -EPROTO     ? SERVE_FAIL_TLS
                               : SERVE_FAIL_CONNECT;
}

static void pool_unwait(struct serve_pool *pool, struct serve_call *call)
{
    struct serve_call **pp = &pool->wait_head, *prev = NULL;
    while (*pp && *pp != call)
        prev = *pp, pp = &(*pp)->next;
    if (!*pp) return;
    *pp = call->next;
    if (pool->wait_tail == call) pool->wait_tail = prev;
    call->waiting = false;
    call->next = NULL;
}

static void call_timer(struct loop *l, struct loop_timer *t)
{
    struct serve_call *call = t->arg;
    struct serve_client *c = call->cl;
    if (call->early) { /* an immediate failure scheduled by call_fail_later */
        call_finish(call, (enum serve_fail)call->fail, 0);
        return;
    }
    struct serve_pool *pool = &c->pools[call->backend][call->replica];
    if (call->waiting) pool_unwait(pool, call);
    if (call->bc) {
        struct serve_bconn *bc = call->bc;
        call->bc = NULL;
        bc->call = NULL;
        bconn_close(bc);
    }
    call_finish(call, SERVE_FAIL_TIMEOUT, 0);
    pool_pump(pool);
}

void serve_client_abort(struct serve_call *call)
{
    if (call->finished) return;
    struct serve_client *c = call->cl;
    call->finished = true;
    loop_timer_cancel(c->loop, &call->timer);
    struct serve_pool *pool = &c->pools[call->backend][call->replica];
    if (call->waiting) pool_unwait(pool, call);
    if (call->bc) {
        struct serve_bconn *bc = call->bc;
        call->bc = NULL;
        bc->call = NULL;
        bconn_close(bc);
        pool_pump(pool); /* its slot may serve another caller's waiting call */
    }
}
/* Hand pool's first idle connection to call and send its request. */
static void pool_give_idle(struct serve_pool *pool, struct serve_call *call)
{
    struct serve_bconn *bc = pool->idle;
    pool->idle = bc->next;
    bc->next = NULL;
    bc->call = call;
    call->bc = bc;
    bc->reused = true;
    bconn_send(bc);
}

void serve_client_start(struct serve_client *c, struct serve_call *call, size_t backend,
                        const char *rid, size_t rid_len, serve_call_fn *fn, void *arg)
{
    memset(call, 0, sizeof *call);
    call->cl = c;
    call->fn = fn;
    call->arg = arg;
    call->rid = rid;
    call->rid_len = rid_len;
    call->backend = backend;
    call->outcome = SERVE_TIMEOUT;
    loop_timer_init(&call->timer, call_timer, call);
    const struct serve_backend *b = &c->b->b[backend];
    call->replica = c->rr[backend]++ % b->nreplicas;
    struct serve_pool *pool = &c->pools[backend][call->replica];
    if (loop_timer_at(c->loop, &call->timer, mono_now() + c->timeout_us) < 0) {
        call_fail_later(call, SERVE_FAIL_NOMEM);
        return;
    }
    if (pool->idle) {
        pool_give_idle(pool, call);
        return;
    }
    if (pool->nconns < (size_t)c->pool_max) {
        int rc = bconn_open(pool, call);
        if (rc < 0) call_fail_later(call, connect_fail(rc));
        return;
    }
    call->waiting = true;
    if (pool->wait_tail)
        pool->wait_tail->next = call;
    else
        pool->wait_head = call;
    pool->wait_tail = call;
}

/* Give idle connections (or room for new ones) to waiting calls. */
static void pool_pump(struct serve_pool *pool)
{
    while (pool->wait_head && (pool->idle || pool->nconns < (size_t)pool->cl->pool_max)) {
        struct serve_call *call = pool->wait_head;
        pool_unwait(pool, call);
        if (pool->idle) {
            pool_give_idle(pool, call);
        } else {
            int rc = bconn_open(pool, call);
            if (rc < 0) {
                loop_timer_cancel(pool->cl->loop, &call->timer);
                call_fail_later(call, connect_fail(rc));
            }
        }
    }
}

static int bconn_open(struct serve_pool *pool, struct serve_call *call)
{
    struct serve_client *c = pool->cl;
    const struct serve_replica *r = &c->b->b[pool->backend].replicas[pool->replica];
    int fd = sock_connect_nonblock((const struct sockaddr *)&r->addr.ss, r->addr.len);
    if (fd < 0) return fd;
    struct serve_bconn *bc = calloc(1, sizeof *bc);
    if (!bc) {
        close(fd);
        return -ENOMEM;
    }
    bc->pool = pool;
    buf_init(&bc->rbuf, HEAD_MAX);
    buf_init(&bc->wbuf, URL_PATH_MAX + 2048);
    if (r->tls) {
        char why[ERRBUF_LEN];
        if (!c->tls || transport_tls_client_init(&bc->io, fd, c->tls, r->sni, why, sizeof why)) {
            if (!c->tls) close(fd);
            free(bc);
            return -EPROTO;
        }
    } else {
        transport_plain_init(&bc->io, fd);
    }
    pool->nconns++;
    c->nconns++;
    bc->state = BC_CONNECTING;
    bc->call = call;
    call->bc = bc;
    if (loop_add(c->loop, fd, LOOP_WRITE, bconn_io, bc) < 0) {
        call->bc = NULL;
        bconn_close(bc);
        return -ENOMEM;
    }
    return 0;
}

/* Detach and end bc's call with f/status (call_finish); keep bc if
 * reusable, else close. */
static void bconn_done(struct serve_bconn *bc, enum serve_fail f, int status, bool reusable)
{
    struct serve_pool *pool = bc->pool;
    struct serve_call *call = bc->call;
    bc->call = NULL;
    if (call) call->bc = NULL;
    if (reusable) {
        buf_reset(&bc->rbuf);
        bc->state = BC_IDLE;
        bc->next = pool->idle;
        pool->idle = bc;
        loop_mod(pool->cl->loop, bc->io.fd, LOOP_READ, bconn_io, bc);
    } else {
        bconn_close(bc);
    }
    if (call) call_finish(call, f, status);
    pool_pump(pool);
}

/* The connection broke. Retry once on a fresh connection when it was a
 * reused one that had not answered anything yet (a stale keep-alive). */
static void bconn_broken(struct serve_bconn *bc, enum serve_fail f)
{
    struct serve_call *call = bc->call;
    struct serve_pool *pool = bc->pool;
    if (call && bc->reused && !bc->got_bytes && !call->retried) {
        call->retried = true;
        bc->call = NULL;
        call->bc = NULL;
        bconn_close(bc);
        int rc = bconn_open(pool, call);
        if (rc < 0) {
            call_finish(call, connect_fail(rc), 0);
            pool_pump(pool);
        }
        return;
    }
    bconn_done(bc, f, 0, false);
}

static void bconn_send(struct serve_bconn *bc)
{
    struct serve_call *call = bc->call;
    const struct serve_replica *r =
        &bc->pool->cl->b->b[bc->pool->backend].replicas[bc->pool->replica];
    buf_reset(&bc->wbuf);
    int rc = buf_append(&bc->wbuf, r->req_prefix, r->req_prefix_len);
    if (!rc && call->rid_len) {
        rc = buf_puts(&bc->wbuf, "x-request-id: ");
        if (!rc) rc = buf_append(&bc->wbuf, call->rid, call->rid_len);
        if (!rc) rc = buf_puts(&bc->wbuf, "\r\n");
    }
    if (!rc) rc = buf_puts(&bc->wbuf, "\r\n");
    if (rc) {
        bconn_done(bc, SERVE_FAIL_NOMEM, 0, false);
        return;
    }
    bc->woff = 0;
    bc->got_bytes = false;
    http_frame_init(&bc->fr, false);
    bc->state = BC_WRITING;
    buf_reset(&bc->rbuf);
    bconn_io(bc->pool->cl->loop, bc->io.fd, LOOP_WRITE, bc);
}

/* Frame what bc->rbuf holds and drop what the framer consumed. Returns 1
 * when the response is complete, 0 for more, or minus the failure: a
 * malformed head or body, an over-long head, or bytes after the response
 * (http_frame.h's rule: the connection is closed and the call fails).
 * Interim 1xx heads are skipped by the framer. */
static int bconn_frame(struct serve_bconn *bc)
{
    ssize_t n = http_frame_feed(&bc->fr, bc->rbuf.data, bc->rbuf.len);
    if (n < 0) return bc->fr.status ? -SERVE_FAIL_BODY_BAD : -SERVE_FAIL_HEAD_BAD;
    buf_consume(&bc->rbuf, (size_t)n);
    if (bc->fr.state == HTTP_FRAME_HEAD) return bc->rbuf.len >= HEAD_MAX ? -SERVE_FAIL_HEAD_BIG : 0;
    if (bc->fr.trailing) return -SERVE_FAIL_TRAILING;
    return bc->fr.state == HTTP_FRAME_DONE;
}

/* The connection ended (or broke) with bc's response incomplete. */
static enum serve_fail bconn_cut(const struct serve_bconn *bc)
{
    if (bc->fr.state != HTTP_FRAME_HEAD) return SERVE_FAIL_BODY_CUT;
    return bc->got_bytes ? SERVE_FAIL_HEAD_CUT : SERVE_FAIL_CLOSED;
}

static void bconn_readable(struct serve_bconn *bc)
{
    struct serve_client *c = bc->pool->cl;
    for (;;) {
        if (buf_reserve(&bc->rbuf, READ_CHUNK) < 0) {
            bool head = bc->fr.state == HTTP_FRAME_HEAD;
            bconn_done(bc, head ? SERVE_FAIL_HEAD_BIG : SERVE_FAIL_NOMEM, 0, false);
            return;
        }
        ssize_t n =
            transport_read(&bc->io, bc->rbuf.data + bc->rbuf.len, bc->rbuf.cap - bc->rbuf.len);
        if (n == TRANSPORT_WANT_READ) return;
        if (n == TRANSPORT_WANT_WRITE) {
            loop_mod(c->loop, bc->io.fd, LOOP_WRITE, bconn_io, bc);
            return;
        }
        if (n == 0 && bc->fr.state == HTTP_FRAME_EOF) {
            http_frame_eof(&bc->fr);
            bconn_done(bc, SERVE_FAIL_STATUS, bc->fr.status, false);
            return;
        }
        if (n <= 0) {
            bconn_broken(bc, bconn_cut(bc));
            return;
        }
        bc->got_bytes = true;
        bc->rbuf.len += (size_t)n;
        int done = bconn_frame(bc);
        int status = bc->fr.state == HTTP_FRAME_HEAD ? 0 : bc->fr.status;
        if (done < 0) {
            bconn_done(bc, (enum serve_fail) - done, status, false);
            return;
        }
        if (done) {
            bconn_done(bc, SERVE_FAIL_STATUS, status, bc->fr.keep_alive);
            return;
        }
    }
}

static void bconn_io(struct loop *l, int fd, unsigned ev, void *arg)
{
    struct serve_bconn *bc = arg;
    switch (bc->state) {
    case BC_IDLE:
        /* the peer closed, or sent something unasked: drop it */
        for (struct serve_bconn **pp = &bc->pool->idle; *pp; pp = &(*pp)->next) {
            if (*pp == bc) {
                *pp = bc->next;
                break;
            }
        }
        bconn_close(bc);
        return;
    case BC_CONNECTING: {
        int rc = sock_connect_finish(fd);
        if (rc == -EINPROGRESS) return;
        if (rc < 0) {
            bconn_done(bc, connect_fail(rc), 0, false);
            return;
        }
        bc->state = BC_HANDSHAKE;
    }
        /* fall through */
    case BC_HANDSHAKE: {
        int rc = transport_handshake(&bc->io);
        if (rc == TRANSPORT_WANT_READ || rc == TRANSPORT_WANT_WRITE) {
            loop_mod(l, fd, rc == TRANSPORT_WANT_READ ? LOOP_READ : LOOP_WRITE, bconn_io, bc);
            return;
        }
        if (rc < 0) {
            bconn_done(bc, SERVE_FAIL_TLS, 0, false);
            return;
        }
        bconn_send(bc);
        return;
    }
    case BC_WRITING:
        while (bc->woff < bc->wbuf.len) {
            ssize_t n = transport_write(&bc->io, bc->wbuf.data + bc->woff, bc->wbuf.len - bc->woff);
            if (n == TRANSPORT_WANT_WRITE || n == TRANSPORT_WANT_READ) {
                loop_mod(l, fd, n == TRANSPORT_WANT_READ ? LOOP_READ : LOOP_WRITE, bconn_io, bc);
                return;
            }
            if (n < 0) {
                bconn_broken(bc, SERVE_FAIL_WRITE);
                return;
            }
            bc->woff += (size_t)n;
        }
        bc->state = BC_READING;
        loop_mod(l, fd, LOOP_READ, bconn_io, bc);
        return;
    case BC_READING:
        bconn_readable(bc);
        return;
    }
}
