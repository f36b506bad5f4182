/* loadgen.h: the open-loop HTTP/1.1 load generator behind `meshperf load`,
 * the REST API of `meshperf serve` (/fortio/rest/run) and `meshperf run`.
 *
 * Schedule: request i of the run (i = 0, 1, 2, ...) is due at
 * start + i / qps. Requests are dealt round-robin to the connections:
 * connection j of C gets requests j, j + C, j + 2C, ... Each connection is
 * HTTP/1.1 keep-alive with one request in flight (no pipelining). A
 * connection still busy when its next request is due sends it as soon as
 * the response arrives; nothing is dropped. Each request's latency is
 * recorded twice: from its due time (corrected for coordinated omission:
 * `latency`, the figure every consumer reads) and from the moment it was
 * actually written (`latency_uncorrected`). A request written more than
 * LOADGEN_LATE_US after its due time counts as late; how late is kept in
 * the `lateness` histogram. qps 0 = closed loop, as fast as possible: each
 * connection sends its next request as soon as the previous one completes
 * (then due time = send time and the two histograms agree).
 *
 * Threads: each thread owns an event loop, a slice of the connections and
 * its own histograms and counters; they are merged exactly after join. The
 * hot path has no shared atomics, no allocation, no syscall but read/write
 * (and epoll).
 *
 * Ending: with a rate, every request of the schedule (all due before
 * start + duration, or the `count` requests) is sent, however late; at
 * start + duration + timeout anything still unsent is counted as `unsent`
 * and anything in flight as a timeout. In max mode the run stops taking
 * requests at start + duration (or after `count`) and waits for those in
 * flight, each within its timeout. loadgen_ctl_stop stops taking requests at
 * once and waits the same way. So every run ends within duration + timeout
 * (plus the pre-flight and warm-up connects, each bounded by the timeout).
 * loadgen_ctl_abort (shutdown of a node) does not wait at all: it stops
 * the run and fails what is in flight at once, during the pre-flight too.
 *
 * Errors: a refused/reset connection, EOF or garbage mid-response, or a
 * request that exceeds its timeout counts as code -1 (socket error), and the
 * connection is re-opened (with a short backoff after a failed connect, so
 * a dead target does not spin a core in max mode). A response followed by
 * bytes nobody asked for counts as received and its connection is closed
 * (http_frame.h's rule). HTTP statuses other than
 * 2xx and 418 (Fortio's codeIsOK) are counted under their code and also as
 * errors. */
#ifndef MESHPERF_LOADGEN_H
#define MESHPERF_LOADGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load/loadgen_opts.h"

struct hist;

/* A request is "late" when written more than this after its due time. */
#define LOADGEN_LATE_US 1000

/* One HTTP status (or -1 = socket error) and how many responses had it. */
struct loadgen_code {
    int code;
    uint64_t count;
};

/* The outcome of a run: counts are totals over all threads; every
 * histogram holds microseconds (latencies) or bytes (sizes) and is owned by
 * the result. */
struct loadgen_result {
    int64_t start_wall_ns;      /* wall clock (ns since epoch) at the schedule's start */
    int64_t duration_us;        /* actual: schedule start to the last completion (or end) */
    double actual_qps;          /* requests / duration */
    uint64_t requests;          /* completed requests, errors included */
    uint64_t errors;            /* socket errors + non-2xx responses */
    uint64_t socket_errors;     /* of which code -1 */
    uint64_t unsent;            /* due before the end but never sent (target too slow) */
    struct loadgen_code *codes; /* ncodes entries, ascending code, -1 first if present */
    size_t ncodes;
    struct hist *latency;             /* corrected: due time -> response complete */
    struct hist *latency_uncorrected; /* actual write -> response complete */
    struct hist *errors_latency;      /* corrected latency of the errored requests */
    struct hist *sizes;               /* response bytes, head + body */
    struct hist *header_sizes;        /* response head bytes */
    uint64_t late;                    /* requests written > LOADGEN_LATE_US after due */
    struct hist *lateness;            /* for late requests: write time - due time */
    uint64_t sockets;                 /* connections opened (Fortio SocketCount) */
    int threads;                      /* threads used */
    int connections;                  /* connections used */
    bool stopped;                     /* ended by loadgen_ctl_stop or _abort */
};

/* Run the load described by o and block until it is done (see the top
 * comment for when that is). On success returns 0 and *out is a result the
 * caller frees with loadgen_result_free; errors during the run are counted
 * in it. Returns -1 with one line in err (and *out NULL) when nothing could
 * run: options rejected by loadgen_opts_check, bad URL, DNS failure, the
 * first connection refused or unreachable, TLS handshake failure on the
 * first connection, no memory or threads. A stop or abort while the first
 * connection waits for the target ends the run at once, with a result. */
int loadgen_run(const struct loadgen_opts *o, struct loadgen_result **out, char *err,
                size_t errlen);

/* Free a result and its histograms. NULL is fine. */
void loadgen_result_free(struct loadgen_result *r);

/* ---- control ---- */

/* A new control block, or NULL on no memory. Free with loadgen_ctl_free. */
struct loadgen_ctl *loadgen_ctl_new(void);

/* Free. NULL is fine. Must not be called while a run uses it. */
void loadgen_ctl_free(struct loadgen_ctl *c);

/* Ask the run to end now: stop scheduling, let requests in flight finish
 * (within their timeout), return the result so far. Sticky. Safe from any
 * thread and from a signal handler (an atomic store and a write(2)). */
void loadgen_ctl_stop(struct loadgen_ctl *c);

/* Ask the run to end at once, for a shutdown: as loadgen_ctl_stop, and
 * requests in flight are not waited for but fail now (counted as socket
 * errors, code -1, as a request that reached its timeout; requests due but
 * never written count as unsent, as on a stop). A run still in its
 * pre-flight or warm-up connect stops waiting for the target. The result
 * is still returned (stopped = true). Sticky; may follow a stop. Safe from
 * any thread and from a signal handler (atomic stores and write(2)s). */
void loadgen_ctl_abort(struct loadgen_ctl *c);

/* True once loadgen_ctl_stop (or loadgen_ctl_abort) was called. */
bool loadgen_ctl_stopped(const struct loadgen_ctl *c);

/* Live progress, read without disturbing the workers (each counter is
 * written by one worker thread and read relaxed, so figures may be a few
 * requests behind). */
struct loadgen_progress {
    bool running;       /* a run is between start and end */
    uint64_t requests;  /* completed so far, errors included */
    uint64_t errors;    /* of which errors */
    int64_t elapsed_us; /* since the schedule's start */
    double qps;         /* requests / elapsed so far */
};

/* Fill *p. Returns 0, or -1 (p zeroed) when no run has started yet. Safe
 * from any thread (not from a signal handler). */
int loadgen_ctl_progress(struct loadgen_ctl *c, struct loadgen_progress *p);

#endif
