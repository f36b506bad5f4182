/* serve_backend.h: the backends of a `meshperf serve` node: parsing the
 * -backends list, and the pooled keep-alive HTTP/1.1 client that calls
 * them from a worker's event loop.
 *
 * List syntax (flag -backends or env BACKENDS, comma-separated):
 *   http://127.0.0.1:4001                         one backend
 *   http://a:1|http://b:2                         one backend, two replicas
 *                                                 (round-robin)
 *   node-1=http://a:1|http://b:2                  named (metrics label);
 *                                                 default name: host:port
 *                                                 of the first URL
 * A URL's path (and query) is what is requested: "http://x:1/echo?delay=1s".
 *
 * The client keeps, per worker and per replica, a bounded pool of
 * keep-alive connections: a call takes an idle one, else opens one if the
 * pool has room, else waits in a FIFO for one to come back. Each call has a
 * deadline (connect + wait + response); when it passes the call ends as
 * SERVE_TIMEOUT and its connection (if any) is closed. A reused connection
 * that fails before any response byte (the peer closed it while idle) is
 * retried once on a new connection. Idle connections are watched, so a
 * peer's close is noticed and the connection dropped. */
#ifndef MESHPERF_SERVE_BACKEND_H
#define MESHPERF_SERVE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/loop.h"
#include "serve/serve_metrics.h"
#include "net/sock.h"
#include "net/url.h"

struct transport_tls_ctx;

struct serve_replica {
    char *url; /* as written, but user:password@ shown as ***@ */
    bool tls;
    char *sni;             /* host for TLS SNI/verification */
    char *authority;       /* host:port, for messages */
    struct sock_addr addr; /* filled by serve_backends_resolve */
    char *req_prefix;      /* "GET <path> HTTP/1.1\r\nHost: ..\r\n..." without the final CRLF */
    size_t req_prefix_len;
};

struct serve_backend {
    char *name; /* metrics label */
    size_t nreplicas;
    struct serve_replica *replicas;
};

struct serve_backends {
    size_t n;
    struct serve_backend *b;
};

/* Parse spec (may be NULL or empty: no backends) into out. Does not
 * resolve names. Returns 0, or -1 with err naming the entry, e.g.
 * "backend 2 ('x=ftp://a'): bad URL 'ftp://a': scheme must be http or
 * https". out is empty after a failure. Free with serve_backends_free. */
int serve_backends_parse(const char *spec, struct serve_backends *out, char *err, size_t errlen);

/* Resolve every replica's address (blocking getaddrinfo; call at set-up).
 * 0, or -1 with err naming the backend. */
int serve_backends_resolve(struct serve_backends *b, char *err, size_t errlen);

/* Free the contents; b is then empty. NULL is fine. */
void serve_backends_free(struct serve_backends *b);

/* ---- the client (one per worker thread, used only on its loop) ---- */

struct serve_client;
struct serve_bconn;

/* What made a call fail (serve_call.fail), for the message a fan-out
 * answers with: serve_call_describe. */
enum serve_fail {
    SERVE_FAIL_NONE,     /* SERVE_OK */
    SERVE_FAIL_STATUS,   /* a complete response whose status is not 200 */
    SERVE_FAIL_TIMEOUT,  /* the call's deadline passed */
    SERVE_FAIL_REFUSED,  /* connection refused */
    SERVE_FAIL_CONNECT,  /* another connect error */
    SERVE_FAIL_TLS,      /* TLS set-up or handshake failed */
    SERVE_FAIL_WRITE,    /* the request could not be written */
    SERVE_FAIL_CLOSED,   /* closed (or reset) before any response byte */
    SERVE_FAIL_HEAD_CUT, /* closed inside the response head */
    SERVE_FAIL_HEAD_BAD, /* malformed response head */
    SERVE_FAIL_HEAD_BIG, /* response head over the cap */
    SERVE_FAIL_BODY_BAD, /* malformed (chunked) body after a good head */
    SERVE_FAIL_BODY_CUT, /* closed before the body was complete */
    SERVE_FAIL_TRAILING, /* bytes after the complete response */
    SERVE_FAIL_NOMEM,    /* out of memory or timers */
};

/* Called once per call when it ends: outcome SERVE_OK (status 200),
 * SERVE_ERROR (another status, or a broken response / connection: then
 * call->fail says what broke, and status is the final head's status if
 * one was read, else 0), SERVE_TIMEOUT, SERVE_REFUSED. Interim 1xx heads
 * are skipped, not an outcome. Never called from inside
 * serve_client_start. */
typedef void serve_call_fn(void *arg, size_t backend, enum serve_outcome outcome, int status);

/* One call; the caller owns the storage and keeps it until the callback. */
struct serve_call {
    struct serve_client *cl;
    struct serve_bconn *bc;  /* connection in use, if any */
    struct serve_call *next; /* wait queue */
    serve_call_fn *fn;
    void *arg;
    const char *rid; /* x-request-id value to forward (not copied) */
    size_t rid_len;
    struct loop_timer timer; /* deadline, or an immediate failure */
    size_t backend, replica;
    int status; /* the final status once a head was read, else 0 */
    uint8_t outcome;
    uint8_t fail; /* enum serve_fail */
    bool retried, waiting, finished, early;
};

/* One line saying how a finished call ended, into out (len bytes,
 * NUL-terminated, cut to fit): "ok", the status ("503") when a complete
 * answer was not 200, else what failed, naming the status when a head had
 * been read ("malformed body after a 200 head", "timeout", "refused", ...).
 * Returns out. */
const char *serve_call_describe(const struct serve_call *call, char *out, size_t len);

/* A client for backends b (borrowed: must outlive the client) on loop l.
 * pool_max: connections per replica; timeout_us: per call; tls: context
 * for https backends (may be NULL when there are none). NULL on no
 * memory. */
struct serve_client *serve_client_new(struct loop *l, const struct serve_backends *b, int pool_max,
                                      int64_t timeout_us, struct transport_tls_ctx *tls);

/* Close the idle connections and free. Calls still running must have
 * been ended first (serve_client_abort), else their connections leak.
 * NULL is fine. */
void serve_client_free(struct serve_client *c);

/* Start call *call to backend number `backend` (a replica chosen
 * round-robin), forwarding request id rid[0..rid_len) when rid_len > 0.
 * Always "succeeds": every failure, even an immediate one, is reported
 * through fn(arg, ...) from the loop, later. */
void serve_client_start(struct serve_client *c, struct serve_call *call, size_t backend,
                        const char *rid, size_t rid_len, serve_call_fn *fn, void *arg);

/* End a call that has not finished, without its callback: leave the wait
 * queue, cancel its timer, close its connection (if any). For a caller
 * going away before the call ends (shutdown). A finished call is left
 * alone. The caller may then free the call's storage. */
void serve_client_abort(struct serve_call *call);

/* Open connections (busy + idle) over all pools, for tests and metrics. */
size_t serve_client_conns(const struct serve_client *c);

#endif
