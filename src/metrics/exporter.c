/* exporter.c: the /metrics server (see exporter.h).
 *
 * One thread runs a loop.h event loop with the listening socket and up to
 * EXPORTER_MAX_CONNS connections in a fixed table. A connection reads into
 * a capped buffer, parses the head with http_parse_request (no copy), and
 * queues one response at a time: it parses the next pipelined request only
 * once the previous response is fully written, so the output buffer holds
 * at most one response. exporter_stop asks the loop to stop from the
 * caller's thread (loop_stop_async), joins, then frees everything. */
#include "metrics/exporter.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/errbuf.h"
#include "net/http_parse.h"
#include "net/loop.h"
#include "net/sock.h"

#define EX_MAX_HEADERS 64
#define EX_READ_CHUNK  4096

struct ex_conn {
    struct exporter *ex;
    int fd;
    size_t slot;
    struct buf in, out;
    size_t out_off;
    bool close_after;
    struct loop_timer idle;
};

struct exporter {
    struct loop *loop;
    int lfd, port;
    char addr[32];
    exporter_render_fn *render;
    void *arg;
    pthread_t thread;
    struct ex_conn *conns[EXPORTER_MAX_CONNS];
};

static void ex_conn_close(struct ex_conn *c)
{
    struct exporter *ex = c->ex;
    loop_timer_cancel(ex->loop, &c->idle);
    loop_del(ex->loop, c->fd);
    close(c->fd);
    buf_free(&c->in);
    buf_free(&c->out);
    ex->conns[c->slot] = NULL;
    free(c);
}

static void ex_idle(struct loop *l, struct loop_timer *t)
{
    ex_conn_close(t->arg);
}

/* Queue a response with an empty or short text body. */
static void ex_simple(struct ex_conn *c, int status, const char *reason, const char *extra,
                      const char *body, bool close_after)
{
    buf_reset(&c->out);
    c->out_off = 0;
    size_t bl = strlen(body);
    if (buf_printf(&c->out,
                   "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                   "Content-Length: %zu\r\n%s%s\r\n%s",
                   status, reason, bl, extra, close_after ? "Connection: close\r\n" : "", body) < 0)
        close_after = true; /* cannot happen with the cap we use; close anyway */
    c->close_after = close_after;
}

static void ex_metrics(struct ex_conn *c, bool head_only, bool keep_alive)
{
    struct exporter *ex = c->ex;
    struct buf body;
    buf_init(&body, EXPORTER_BODY_MAX);
    int rc = ex->render(ex->arg, &body);
    if (rc < 0) {
        buf_free(&body);
        ex_simple(c, 500, "Internal Server Error", "",
                  rc == -ENOBUFS ? "metrics page too large\n" : "cannot render metrics\n",
                  !keep_alive);
        return;
    }
    buf_reset(&c->out);
    c->out_off = 0;
    int hr = buf_printf(&c->out,
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; "
                        "charset=utf-8\r\nContent-Length: %zu\r\n%s\r\n",
                        body.len, keep_alive ? "" : "Connection: close\r\n");
    if (hr < 0 || (!head_only && body.len && buf_append(&c->out, body.data, body.len) < 0)) {
        buf_free(&body);
        ex_simple(c, 500, "Internal Server Error", "", "out of memory\n", true);
        return;
    }
    buf_free(&body);
    c->close_after = !keep_alive;
}

/* Parse one request from c->in if there is a complete head; queue its
 * response. Returns true when a response was queued. */
static bool ex_handle(struct ex_conn *c)
{
    if (c->in.len == 0) return false;
    struct http_header hs[EX_MAX_HEADERS];
    struct http_request r = {.headers = hs, .max_headers = EX_MAX_HEADERS};
    ssize_t n = http_parse_request(c->in.data, c->in.len, &r);
    if (n == HTTP_PARSE_PARTIAL) {
        if (c->in.len < EXPORTER_HEAD_MAX) return false;
        ex_simple(c, 431, "Request Header Fields Too Large", "", "request head too large\n", true);
        return true;
    }
    if (n == HTTP_PARSE_ERROR) {
        ex_simple(c, 400, "Bad Request", "", "malformed request\n", true);
        return true;
    }
    if (r.content_length > 0 || r.chunked) {
        ex_simple(c, 400, "Bad Request", "", "request bodies are not accepted\n", true);
        return true;
    }
    bool metrics = (r.path.len == 8 && !memcmp(r.path.p, "/metrics", 8)) ||
                   (r.path.len > 8 && !memcmp(r.path.p, "/metrics?", 9));
    bool get = r.method.len == 3 && !memcmp(r.method.p, "GET", 3);
    bool head = r.method.len == 4 && !memcmp(r.method.p, "HEAD", 4);
    bool keep_alive = r.keep_alive;
    buf_consume(&c->in, (size_t)n); /* the spans of r point into c->in: not used below */
    if (!metrics)
        ex_simple(c, 404, "Not Found", "", "not found; try /metrics\n", !keep_alive);
    else if (!get && !head)
        ex_simple(c, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n", "use GET\n", !keep_alive);
    else
        ex_metrics(c, head, keep_alive);
    return true;
}

static void ex_io(struct loop *l, int fd, unsigned events, void *arg);

/* Write what is queued; when done either close, or go back to reading and
 * handle a pipelined request. Returns false when c was closed. */
static bool ex_flush(struct ex_conn *c)
{
    for (;;) {
        while (c->out_off < c->out.len) {
            ssize_t w = write(c->fd, c->out.data + c->out_off, c->out.len - c->out_off);
            if (w > 0) {
                c->out_off += (size_t)w;
                continue;
            }
            if (w < 0 && errno == EINTR) continue;
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                loop_mod(c->ex->loop, c->fd, LOOP_WRITE, ex_io, c);
                return true;
            }
            ex_conn_close(c);
            return false;
        }
        if (c->close_after) {
            ex_conn_close(c);
            return false;
        }
        buf_reset(&c->out);
        c->out_off = 0;
        if (!ex_handle(c)) break; /* nothing complete pipelined: read more */
    }
    loop_mod(c->ex->loop, c->fd, LOOP_READ, ex_io, c);
    return true;
}

static void ex_io(struct loop *l, int fd, unsigned events, void *arg)
{
    struct ex_conn *c = arg;
    if (c->out_off < c->out.len) { /* writing */
        if (events & (LOOP_WRITE | LOOP_ERROR)) ex_flush(c);
        return;
    }
    size_t room = c->in.max - c->in.len;
    if (room > EX_READ_CHUNK) room = EX_READ_CHUNK;
    if (room == 0 || buf_reserve(&c->in, room) < 0) { /* head cap reached (or no memory) */
        if (ex_handle(c))
            ex_flush(c);
        else
            ex_conn_close(c);
        return;
    }
    ssize_t r = read(fd, c->in.data + c->in.len, room);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (r <= 0) {
        ex_conn_close(c);
        return;
    }
    c->in.len += (size_t)r;
    c->in.data[c->in.len] = '\0';
    loop_timer_at(l, &c->idle, mono_now() + (mono_us)EXPORTER_IDLE_S * MONO_US_PER_SEC);
    if (ex_handle(c)) ex_flush(c);
}

static void ex_accept(struct loop *l, int lfd, unsigned events, void *arg)
{
    struct exporter *ex = arg;
    for (int i = 0; i < 16; i++) {
        int fd = sock_accept(lfd, NULL);
        if (fd < 0) return;
        size_t slot = 0;
        while (slot < EXPORTER_MAX_CONNS && ex->conns[slot])
            slot++;
        struct ex_conn *c = slot < EXPORTER_MAX_CONNS ? calloc(1, sizeof *c) : NULL;
        if (!c) {
            close(fd); /* over the connection cap (or no memory) */
            continue;
        }
        c->ex = ex;
        c->fd = fd;
        c->slot = slot;
        buf_init(&c->in, EXPORTER_HEAD_MAX + 1);
        buf_init(&c->out, EXPORTER_BODY_MAX + 1024);
        loop_timer_init(&c->idle, ex_idle, c);
        if (loop_add(l, fd, LOOP_READ, ex_io, c) < 0) {
            close(fd);
            free(c);
            continue;
        }
        ex->conns[slot] = c;
        loop_timer_at(l, &c->idle, mono_now() + (mono_us)EXPORTER_IDLE_S * MONO_US_PER_SEC);
    }
}

static void *ex_main(void *arg)
{
    struct exporter *ex = arg;
    loop_run(ex->loop);
    return NULL;
}

struct exporter *exporter_start(exporter_render_fn *render, void *arg, char *err, size_t errlen)
{
    struct exporter *ex = calloc(1, sizeof *ex);
    if (!ex || !render) {
        free(ex);
        errbuf_set(err, errlen, "exporter: %s", render ? "out of memory" : "no render callback");
        return NULL;
    }
    ex->render = render;
    ex->arg = arg;
    ex->lfd = -1;
    char e[ERRBUF_LEN];
    if (!(ex->loop = loop_new(e, sizeof e))) {
        errbuf_set(err, errlen, "exporter: %s", e);
        goto fail;
    }
    if ((ex->lfd = sock_listen("127.0.0.1", 0, 64, false, e, sizeof e)) < 0) {
        errbuf_set(err, errlen, "exporter: %s", e);
        goto fail;
    }
    ex->port = sock_local_port(ex->lfd);
    snprintf(ex->addr, sizeof ex->addr, "127.0.0.1:%d", ex->port);
    int rc = loop_add(ex->loop, ex->lfd, LOOP_READ, ex_accept, ex);
    if (rc < 0) {
        errbuf_set(err, errlen, "exporter: epoll: %s", strerror(-rc));
        goto fail;
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&ex->thread, NULL, ex_main, ex);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        errbuf_set(err, errlen, "exporter: cannot start thread: %s", strerror(rc));
        goto fail;
    }
    return ex;
fail:
    if (ex->lfd >= 0) close(ex->lfd);
    loop_free(ex->loop);
    free(ex);
    return NULL;
}

int exporter_port(const struct exporter *ex)
{
    return ex->port;
}

const char *exporter_addr(const struct exporter *ex)
{
    return ex->addr;
}

void exporter_stop(struct exporter *ex)
{
    if (!ex) return;
    loop_stop_async(ex->loop);
    pthread_join(ex->thread, NULL);
    for (size_t i = 0; i < EXPORTER_MAX_CONNS; i++)
        if (ex->conns[i]) ex_conn_close(ex->conns[i]);
    loop_del(ex->loop, ex->lfd);
    close(ex->lfd);
    loop_free(ex->loop);
    free(ex);
}
