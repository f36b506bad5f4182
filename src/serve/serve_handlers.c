/* serve_handlers.c: the request handlers of `meshperf serve` and their
 * route table, serve_handlers_table (see serve.h for what each path does,
 * serve_conn.h for the seam with the connection code in serve.c).
 *
 * A handler either answers at once (serve_conn_respond) or parks the
 * connection: it stops watching the socket and some later callback on the
 * worker's loop answers, bracketed by serve_conn_enter/leave:
 *   fan-out   one serve_client call per backend; the last one to finish
 *             (fan_done) answers 200 "ok" if all were 200, else 500 naming
 *             the failed backends. The fan-out outlives a client that goes
 *             away (c becomes NULL) until its calls are done.
 *   echo      with a delay, the response is built now into the
 *             connection's wbuf and serve.c's timer sends it.
 *   REST      serve_rest takes a ticket; the worker's inbox delivers the
 *             reply to rest_reply. Without -rest (no guard in the
 *             config) every /fortio/rest/ path is 403, naming -rest.
 * /health and /metrics answer at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/errbuf.h"
#include "net/http_parse.h"
#include "net/loop.h"
#include "serve/serve_echo.h"
#include "serve/serve_conn.h"
#include "serve/serve_handlers.h"
#include "serve/serve_metrics.h"
#include "serve/serve_query.h"
#include "serve/serve_rest.h"

/* A running fan-out: one call per backend, in calls[]. */
struct serve_fanout {
    struct serve_worker *w;
    struct serve_conn *c; /* NULL once the client has gone */
    struct serve_fanout *prev, *next;
    size_t pending, n;
    int mode_head; /* HEAD request */
    char *rid;     /* x-request-id to forward (copied: the fan-out may outlive c) */
    size_t rid_len;
    struct serve_call calls[];
};

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

/* Echo knobs from the query (Fortio's spelling, serve_echo.h): status,
 * delay, size, headers, close; without size= the request body comes back.
 * root: "/" without backends, whose empty answer is "ok" as JSON. */
static void echo(struct serve_conn *c, struct http_span query, struct http_span body,
                 const struct http_request *req, bool root)
{
    struct serve_worker *w = c->w;
    struct serve_echo_limits lim = {w->s->cfg.max_delay_us, w->s->cfg.max_size};
    struct serve_echo e;
    char scratch[2048], err[ERRBUF_LEN], ctbuf[128];
    if (serve_echo_parse(query.p, query.len, &lim, &e, scratch, sizeof scratch, err, sizeof err) <
        0) {
        size_t n = strlen(err);
        err[n] = '\n';
        serve_conn_respond(c, 400, "text/plain", err, n + 1, NULL, 0);
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
        const struct http_header *ct =
            http_header_find(req->headers, req->num_headers, "content-type");
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
        serve_conn_respond(c, status, ctype, bp, blen, xl ? extra : NULL, fill);
        return;
    }
    /* delayed: build now into the connection's buffer, send when the
     * timer fires (never sleep) */
    buf_init(&c->wbuf, SERVE_SCRATCH_MAX + (size_t)w->s->cfg.max_body_bytes + 8192);
    if (serve_conn_build(c, &c->wbuf, status, ctype, bp, blen, xl ? extra : NULL, fill) < 0) {
        buf_free(&c->wbuf);
        c->close_after = true;
        serve_conn_respond(c, 500, "text/plain", "response too large\n", 19, NULL, 0);
        return;
    }
    c->delayed = true;
    c->woff = 0;
    serve_conn_watch(c, 0);
    loop_timer_at(w->loop, &c->timer, mono_now() + delay);
}

static void fan_done(void *arg, size_t backend, enum serve_outcome o, int status);

/* "/" with backends: call each one, answer when the last is done. */
static void handle_fanout(struct serve_conn *c)
{
    struct serve_worker *w = c->w;
    const struct serve_backends *bs = w->s->cfg.backends;
    size_t rlen = c->rid_len;
    struct serve_fanout *f = malloc(sizeof *f + bs->n * sizeof f->calls[0] + rlen + 1);
    if (!f) {
        c->close_after = true;
        serve_conn_respond(c, 500, "text/plain", "out of memory\n", 14, NULL, 0);
        return;
    }
    f->w = w;
    f->c = c;
    f->n = bs->n;
    f->pending = bs->n;
    f->rid = (char *)&f->calls[bs->n];
    f->rid_len = rlen;
    if (rlen) memcpy(f->rid, c->rid, rlen);
    f->rid[rlen] = '\0';
    f->prev = NULL;
    f->next = w->fans;
    if (w->fans) w->fans->prev = f;
    w->fans = f;
    c->fan = f;
    serve_conn_watch(c, 0);
    loop_timer_cancel(w->loop, &c->timer);
    for (size_t i = 0; i < bs->n; i++)
        serve_client_start(w->client, &f->calls[i], i, f->rid, f->rid_len, fan_done, f);
}

/* One backend call ended (serve_client callback, on the loop). */
static void fan_done(void *arg, size_t backend, enum serve_outcome o, int status)
{
    struct serve_fanout *f = arg;
    struct serve_worker *w = f->w;
    (void)status;
    serve_counter_add(&w->stats->backend[backend][o], 1);
    if (--f->pending) return;
    if (f->prev)
        f->prev->next = f->next;
    else
        w->fans = f->next;
    if (f->next) f->next->prev = f->prev;
    struct serve_conn *c = f->c;
    if (!c) { /* the client went away meanwhile */
        free(f);
        serve_worker_maybe_done(w);
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
            char what[64];
            serve_call_describe(call, what, sizeof what);
            if (!first) buf_puts(&body, ", ");
            first = false;
            json_escape(&body, bs->b[i].name, strlen(bs->b[i].name));
            buf_printf(&body, ": %s", what);
        }
        buf_puts(&body, "\"");
    }
    c->fan = NULL;
    free(f);
    serve_conn_enter(c);
    serve_conn_respond(c, all_ok ? 200 : 500, "application/json", body.data, body.len, NULL, 0);
    serve_conn_leave(c);
    buf_free(&body);
}

/* /health: the node's name and its backends with their replica URLs. */
static void handle_health(struct serve_conn *c, const struct http_request *req,
                          struct http_span rest, struct http_span query, struct http_span body)
{
    struct serve_worker *w = c->w;
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
    serve_conn_respond(c, 200, "application/json", b.data, b.len, NULL, 0);
    buf_free(&b);
}

/* /metrics: every worker's counters summed, plus process_* figures. */
static void handle_metrics(struct serve_conn *c, const struct http_request *req,
                           struct http_span rest, struct http_span query, struct http_span body)
{
    struct serve_worker *w = c->w;
    struct serve *s = w->s;
    struct serve_proc proc;
    serve_proc_read(&proc);
    struct buf b;
    buf_init(&b, 8 << 20);
    int rc = serve_metrics_render(&b, s->stats, s->nworkers, s->backend_names, &proc);
    if (rc)
        serve_conn_respond(c, 500, "text/plain", "metrics too large\n", 18, NULL, 0);
    else
        serve_conn_respond(c, 200, "text/plain; version=0.0.4", b.data, b.len, NULL, 0);
    buf_free(&b);
}

#define REST_OFF                                                                                   \
    "{\"error\":true,\"message\":\"the REST API is off\",\"exception\":\"start meshperf serve "    \
    "with "                                                                                        \
    "-rest to turn it on (docs/SECURITY.md)\"}"

/* A 429 says when to try again. */
static const char *rest_extra(int status)
{
    return status == 429 ? "Retry-After: 1\r\n" : NULL;
}

/* /fortio/rest/<which>: 403 unless serve runs with -rest (a guard is set);
 * else answered now, or parked on a serve_rest ticket. */
static void handle_rest(struct serve_conn *c, const struct http_request *req,
                        struct http_span which, struct http_span query, struct http_span body)
{
    struct serve_worker *w = c->w;
    const struct serve_rest_guard *g = w->s->cfg.rest_guard;
    if (!g) {
        serve_conn_respond(c, 403, "application/json", REST_OFF, sizeof REST_OFF - 1, NULL, 0);
        return;
    }
    int status = 500;
    char *out = NULL;
    size_t len = 0;
    struct serve_rest_ticket *t = NULL;
    int rc =
        serve_rest_handle(w->s->rest, g, w->inbox, which, query, body, c, &status, &out, &len, &t);
    if (rc < 0) {
        serve_conn_respond(c, 500, "application/json",
                           "{\"error\":true,\"message\":\"out of memory\"}", 40, NULL, 0);
        return;
    }
    if (rc == 1) {
        serve_conn_respond(c, status, "application/json", out, len, rest_extra(status), 0);
        free(out);
        return;
    }
    c->ticket = t;
    serve_conn_watch(c, 0);
    loop_timer_cancel(w->loop, &c->timer);
}

static void rest_reply(void *waiter, int status, char *body, size_t len)
{
    struct serve_conn *c = waiter;
    c->ticket = NULL;
    serve_conn_enter(c);
    serve_conn_respond(c, status, "application/json", body, len, rest_extra(status), 0);
    serve_conn_leave(c);
    free(body);
}

/* /echo and /echo/...: echo (above). */
static void handle_echo(struct serve_conn *c, const struct http_request *req, struct http_span rest,
                        struct http_span query, struct http_span body)
{
    echo(c, query, body, req, false);
}

/* "/" and any other path: the fan-out, or echo when there are no
 * backends. */
static void handle_root(struct serve_conn *c, const struct http_request *req, struct http_span rest,
                        struct http_span query, struct http_span body)
{
    if (c->w->s->cfg.backends->n)
        handle_fanout(c);
    else
        echo(c, query, body, req, true);
}

static void conn_gone(struct serve_conn *c)
{
    if (c->fan) c->fan->c = NULL;
    if (c->ticket) serve_rest_ticket_forget(c->ticket);
}

static void worker_free(struct serve_worker *w)
{
    while (w->fans) {
        struct serve_fanout *f = w->fans;
        w->fans = f->next;
        for (size_t i = 0; i < f->n; i++)
            serve_client_abort(&f->calls[i]);
        free(f);
    }
}

#define ROUTE(lit, prefix, stat, fn)                                                               \
    {                                                                                              \
        lit, sizeof(lit) - 1, prefix, stat, fn                                                     \
    }

static const struct serve_route routes[] = {
    ROUTE("/health", false, SERVE_PATH_HEALTH, handle_health),
    ROUTE("/metrics", false, SERVE_PATH_METRICS, handle_metrics),
    ROUTE("/echo", false, SERVE_PATH_ECHO, handle_echo),
    ROUTE("/echo/", true, SERVE_PATH_ECHO, handle_echo),
    ROUTE("/fortio/rest/", true, SERVE_PATH_REST, handle_rest),
    ROUTE("", true, SERVE_PATH_ROOT, handle_root),
};

const struct serve_handlers serve_handlers_table = {
    .routes = routes,
    .nroutes = sizeof routes / sizeof routes[0],
    .conn_gone = conn_gone,
    .worker_free = worker_free,
    .rest_reply = rest_reply,
};
