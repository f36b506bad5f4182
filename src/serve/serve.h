/* serve.h: the node service behind `meshperf serve`: an HTTP/1.1 server
 * whose "/" fans out to every backend concurrently (200 iff all answered
 * 200, else 500), with /health, /metrics (Prometheus), echo knobs on /echo,
 * and Fortio's REST API under /fortio/rest/.
 *
 * Threads: N workers, each with its own event loop, listener
 * (SO_REUSEPORT when N > 1), client connections, backend pools and
 * counters; nothing on the hot path is shared. The calling thread of
 * serve_run runs worker 0 and receives the stop signals. Per-connection memory is a
 * small struct; its read buffer is taken when bytes arrive and given back
 * (to a small per-worker cache) when the connection goes idle.
 *
 * Limits: heads over max_header_bytes get 431, bodies over max_body_bytes
 * 413, malformed requests 400, a head not complete within header_timeout
 * 408; each of these closes the connection. An idle keep-alive connection
 * is closed after idle_timeout, a new one that sends nothing after
 * min(idle, header) timeout. At max_connections (each worker takes its even
 * share) the connection idle longest is closed to make room; if none is
 * idle, the new one is answered 503 and closed at once.
 *
 * Every response to a request that carried x-request-id carries it back
 * (and "/" forwards it to every backend), so a caller can see that an id
 * went through a chain. */
#ifndef MESHPERF_SERVE_H
#define MESHPERF_SERVE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serve/serve_backend.h"

struct serve_handlers;    /* serve_conn.h; `meshperf serve` uses serve_handlers_table */
struct serve_rest_guard;  /* serve_rest_guard.h */
struct transport_tls_ctx; /* net/transport.h */

struct serve_config {
    const char *listen_host;               /* NULL or "" = 0.0.0.0 */
    int port;                              /* 0 = ephemeral (see serve_port) */
    int threads;                           /* >= 1 */
    const char *name;                      /* label for logs; may be NULL */
    const struct serve_backends *backends; /* borrowed; resolved; outlives the server */
    int64_t backend_timeout_us;
    int backend_pool;        /* connections per backend replica per thread */
    int64_t max_connections; /* client connections, whole process */
    int64_t max_delay_us;    /* echo delay cap */
    int64_t max_size;        /* echo size cap */
    int64_t max_header_bytes;
    int64_t max_body_bytes;
    int64_t idle_timeout_us;
    int64_t header_timeout_us;
    int64_t drain_timeout_us; /* SIGTERM: longest wait for in-flight requests */
    const char *data_dir;     /* REST save=on writes <ID>.json here; NULL = do not save */
    /* borrowed; REST runs' caps and targets; NULL = /fortio/rest/ is off
     * (403 naming -rest) */
    const struct serve_rest_guard *rest_guard;
    const struct serve_handlers *handlers; /* borrowed; the routes; required */
    /* borrowed, may be shared; NULL = a plain listener. A server context
     * (transport_tls_server_ctx, with transport_tls_ctx_verify_clients for
     * mTLS): every accepted connection does the TLS handshake first, within
     * the header timeout counted from the accept */
    struct transport_tls_ctx *tls_server;
    /* borrowed; the context of calls to https:// backends (verification,
     * client certificate). NULL: serve makes one that does not verify, as
     * curl -k does, when a backend is https */
    struct transport_tls_ctx *tls_client;
};

struct serve;

/* Create the server and bind its listener(s) (so the port is known before
 * serve_run). cfg is copied; its pointers are borrowed. Returns NULL with
 * one line in err ("listen 0.0.0.0:80: Permission denied"). */
struct serve *serve_new(const struct serve_config *cfg, char *err, size_t errlen);

/* The bound port. */
int serve_port(const struct serve *s);

/* Run the workers until one of stop_signals (which the caller must have
 * blocked in every thread, e.g. with pthread_sigmask before serve_new) is
 * received, then stop accepting, let in-flight requests finish (at most
 * drain_timeout) and return 0. Returns -1 with err if a worker could not
 * start or its loop failed. */
int serve_run(struct serve *s, const sigset_t *stop_signals, char *err, size_t errlen);

/* Begin the drain from any thread (what a stop signal does). */
void serve_shutdown(struct serve *s);

/* Free. NULL is fine. Only after serve_run returned (or was never called). */
void serve_free(struct serve *s);

#endif
