/* serve_conn.h: the seam between serve.c (listener, connections,
 * workers, lifecycle) and the request handlers inside `meshperf serve`:
 * the connection and worker structs, the connection API serve.c
 * implements, and the handler table serve.c routes by. Not for other
 * modules: use serve.h.
 *
 * serve.c reads and parses requests and owns every connection's life; once
 * a request is whole it looks its path up in the table it was given
 * (serve_config.handlers; serve_handlers.c defines the one `meshperf serve`
 * uses) and calls the route's handler, which answers through
 * serve_conn_respond (at once) or parks the connection (C_BUSY, not
 * watched) until its own callback answers later. serve.c never names a
 * handler, so the dependency runs one way: handlers -> this header <-
 * serve.c. Everything here runs on the connection's worker thread only. */
#ifndef MESHPERF_SERVE_CONN_H
#define MESHPERF_SERVE_CONN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "net/http_parse.h"
#include "net/loop.h"
#include "net/transport.h"
#include "base/mono.h"
#include "serve/serve.h"
#include "serve/serve_backend.h"
#include "serve/serve_metrics.h"
#include "serve/serve_rest.h"

#define SERVE_READ_CHUNK  16384
#define SERVE_RBUF_CACHE  64 /* read buffers kept per worker for reuse */
#define SERVE_SCRATCH_MAX (1u << 20)

/* Connection states (serve.c's top comment). */
enum { C_IDLE, C_HEAD, C_BODY, C_BUSY, C_WRITING, C_HANDSHAKE };

struct serve_worker;
struct serve_fanout; /* serve_handlers.c */

struct serve_conn {
    struct serve_worker *w;
    struct serve_conn *prev, *next;
    struct serve_conn *idle_prev, *idle_next; /* the worker's idle list, while idle */
    struct buf rbuf;
    struct buf wbuf; /* response bytes the socket refused, or a delayed response */
    size_t woff;
    uint64_t fill_left; /* size= payload bytes still to write after wbuf */
    struct loop_timer timer;
    mono_us start;
    size_t req_len; /* bytes of rbuf taken by the current request */
    size_t head_len, body_len, parse_pos;
    struct http_chunked *ch; /* only while reading a chunked body */
    struct serve_fanout *fan;
    struct serve_rest_ticket *ticket;
    const char *rid;   /* the request's x-request-id value, in rbuf (echoed back) */
    size_t rid_len;    /* 0: none */
    struct conn_io io; /* the socket (io.fd), plain or TLS */
    int status;
    uint16_t guard; /* entry points on the stack; free is deferred past them */
    uint8_t state, path, watch;
    bool close_after, in_process, head_req, delayed, http10, dead;
    bool fresh;   /* accepted, no byte read yet (c->start: when accepted) */
    bool in_idle; /* on the worker's idle list */
};

struct serve_worker {
    struct serve *s;
    struct loop *loop;
    pthread_t th;
    int lfd;
    int drainfd;
    struct serve_rest_inbox *inbox;
    struct serve_stats *stats;
    struct serve_client *client;
    struct serve_conn *conns;                 /* list of all open connections */
    struct serve_conn *idle_head, *idle_tail; /* IDLE ones, longest idle first */
    struct serve_fanout *fans;                /* fan-outs still running */
    size_t nconns, max_conns;
    bool accepting, draining;
    struct loop_timer accept_timer, drain_timer;
    struct buf scratch;
    char *rcache[SERVE_RBUF_CACHE];
    size_t nrcache;
    uint64_t rng;
    int rc;
};

struct serve {
    struct serve_config cfg;
    int port;
    size_t nworkers;
    struct serve_worker *workers;
    struct serve_stats **stats; /* one per worker, for /metrics */
    const char **backend_names;
    struct serve_rest *rest;
    struct transport_tls_ctx *tls; /* backend calls: cfg.tls_client or our own */
    bool tls_owned;                /* tls is ours to free */
    bool stopping;                 /* a stop signal was handled (worker 0's thread only) */
};

/* ---- serve.c: the connection API the handlers use ---- */

/* Bracket a callback's work on c (backend or REST reply): a close inside
 * only marks c dead, and the memory goes at the last leave. leave returns
 * false when c is gone. */
void serve_conn_enter(struct serve_conn *c);
bool serve_conn_leave(struct serve_conn *c);

/* Watch c's socket for mask (LOOP_READ, LOOP_WRITE or 0 while a handler
 * works). */
void serve_conn_watch(struct serve_conn *c, unsigned mask);

/* Append a response head + body to dst for c's request: status, ctype,
 * body[0..blen) (left out for HEAD), extra header lines each ending in CRLF
 * (may be NULL), fill = size= payload bytes to follow from a shared block
 * (not in dst). A 1xx, 204 or 304 gets neither Content-Type nor
 * Content-Length, and no body or fill whatever the arguments say. Adds
 * Connection and x-request-id (if the request had one). Sets c->status
 * and c->fill_left. 0, or -ENOBUFS past dst's cap. */
int serve_conn_build(struct serve_conn *c, struct buf *dst, int status, const char *ctype,
                     const char *body, size_t blen, const char *extra, uint64_t fill);

/* Answer c's request now (as serve_conn_build; a response over the cap
 * becomes a 500 and a close): record it in the stats, write what the
 * socket takes, keep the rest; when all is out, go on with the next
 * pipelined request, idle, or close. c may be closed on return (check
 * c->dead inside an enter/leave bracket). */
void serve_conn_respond(struct serve_conn *c, int status, const char *ctype, const char *body,
                        size_t blen, const char *extra, uint64_t fill);

/* Draining and nothing left (no connections, no fan-outs): end the loop. */
void serve_worker_maybe_done(struct serve_worker *w);

/* ---- the handler table ---- */

/* Answer c's request (whole in c->rbuf[0..c->req_len); the spans point
 * there): now, or later after parking c. rest is the path after the
 * route's text, query the part after '?' (without it). c is C_BUSY. */
typedef void serve_handler_fn(struct serve_conn *c, const struct http_request *req,
                              struct http_span rest, struct http_span query, struct http_span body);

struct serve_route {
    const char *path; /* the path, or its prefix (may be "": every path) */
    size_t len;       /* strlen(path) */
    bool prefix;      /* match paths starting with path, not only equal */
    uint8_t stat;     /* enum serve_path the request is counted under */
    serve_handler_fn *fn;
};

/* The first route whose path matches wins. */
struct serve_handlers {
    const struct serve_route *routes;
    size_t nroutes;
    /* c is closing: detach whatever a handler left pending on it. */
    void (*conn_gone)(struct serve_conn *c);
    /* w's loop has ended: free what handlers still hold on w. */
    void (*worker_free)(struct serve_worker *w);
    /* the REST inbox callback: waiter is a struct serve_conn. */
    serve_rest_reply_fn *rest_reply;
};

#endif
