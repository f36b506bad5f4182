/* exporter.h: a tiny HTTP/1.1 server for one Prometheus /metrics page.
 *
 * The local platform has no cAdvisor, so `meshperf run` exposes the
 * topology's per-process series under cAdvisor's names itself
 * (procstat_render_prometheus) for the local Prometheus to scrape. This
 * module is only the HTTP side: it listens on a loopback ephemeral port and
 * answers, from its own thread with its own event loop (loop.h),
 *   GET|HEAD /metrics[?...]  200, body from the caller's render callback,
 *                            Content-Type: text/plain; version=0.0.4; charset=utf-8
 *   other methods /metrics   405
 *   any other path           404
 *   malformed request        400 and close (also: a request body, a head
 *                            larger than EXPORTER_HEAD_MAX)
 *   render failure           500
 * Keep-alive is honoured (Prometheus reuses its connection); at most
 * EXPORTER_MAX_CONNS connections at once (more are accepted and closed at
 * once); a connection idle for EXPORTER_IDLE_S seconds is closed; a body
 * is capped at EXPORTER_BODY_MAX bytes (beyond that: 500). */
#ifndef MESHPERF_EXPORTER_H
#define MESHPERF_EXPORTER_H

#include <stddef.h>

#include "base/buf.h"

#define EXPORTER_MAX_CONNS 32
#define EXPORTER_HEAD_MAX  8192
#define EXPORTER_BODY_MAX  (16u << 20)
#define EXPORTER_IDLE_S    30

/* Append the page's body to out (whose cap is EXPORTER_BODY_MAX). Return 0,
 * or negative on failure (the client gets a 500). Called from the
 * exporter's thread, one call at a time, so it must be safe to call from a
 * thread other than the one that started the exporter (procstat's
 * functions are). */
typedef int exporter_render_fn(void *arg, struct buf *out);

struct exporter;

/* Listen on 127.0.0.1:<ephemeral port> and serve from a new thread (which
 * blocks every signal, so signal handling stays with the caller's threads).
 * render/arg are borrowed and must stay valid until exporter_stop. NULL
 * with one line in err (socket, loop or thread creation failed). */
struct exporter *exporter_start(exporter_render_fn *render, void *arg, char *err, size_t errlen);

/* The port it listens on. */
int exporter_port(const struct exporter *ex);

/* "127.0.0.1:<port>" (a scrape target). Borrowed, valid until stop. */
const char *exporter_addr(const struct exporter *ex);

/* Stop the thread (join), close every connection and the listener, free.
 * After it returns the callback is never called again. NULL is fine. */
void exporter_stop(struct exporter *ex);

#endif
