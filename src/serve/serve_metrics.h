/* serve_metrics.h: the counters of `meshperf serve` and their Prometheus
 * text exposition (format 0.0.4) on /metrics.
 *
 * Each worker thread owns one struct serve_stats and is its only writer;
 * the counters are C11 atomics written with relaxed load+store (a plain
 * add on x86: no locked instruction on the hot path) so that a /metrics
 * scrape on any thread may read every worker's counters and sum them.
 *
 * Exposed series (names are an interface: `meshperf run` and the
 * Prometheus queries read them):
 *   meshperf_requests_total{code,path}            counter
 *   meshperf_request_duration_seconds{path}       histogram
 *   meshperf_backend_requests_total{backend,outcome} counter
 *   meshperf_inflight_requests, meshperf_open_connections  gauges
 *   meshperf_refused_connections_total            counter (over -max-connections)
 *   process_resident_memory_bytes, process_virtual_memory_bytes,
 *   process_cpu_seconds_total, process_open_fds, process_max_fds,
 *   process_start_time_seconds
 * path is one of root (the fan-out handler: "/" and any path not below),
 * echo (/echo...), health, metrics, rest (/fortio/rest/...), other
 * (requests refused before dispatch: 400, 408, 413, 431, 405). */
#ifndef MESHPERF_SERVE_METRICS_H
#define MESHPERF_SERVE_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

enum serve_path {
    SERVE_PATH_ROOT,
    SERVE_PATH_ECHO,
    SERVE_PATH_HEALTH,
    SERVE_PATH_METRICS,
    SERVE_PATH_REST,
    SERVE_PATH_OTHER,
    SERVE_PATH_N
};

enum serve_outcome { SERVE_OK, SERVE_ERROR, SERVE_TIMEOUT, SERVE_REFUSED, SERVE_OUTCOME_N };

#define SERVE_CODES   1000 /* status codes 0..999 */
#define SERVE_BUCKETS 14   /* finite histogram buckets, see serve_metrics.c */

/* Upper bounds (microseconds) of the finite latency buckets. */
extern const int64_t serve_bucket_us[SERVE_BUCKETS];

typedef _Atomic uint64_t serve_counter;
typedef _Atomic int64_t serve_gauge;

struct serve_stats {
    serve_counter requests[SERVE_PATH_N][SERVE_CODES];
    serve_counter bucket[SERVE_PATH_N][SERVE_BUCKETS + 1]; /* non-cumulative; last = +Inf */
    serve_counter sum_us[SERVE_PATH_N];
    serve_gauge inflight;
    serve_gauge open_conns;
    serve_counter refused_conns; /* answered 503 and closed at accept */
    size_t nbackends;
    serve_counter (*backend)[SERVE_OUTCOME_N]; /* nbackends rows, owned */
};

/* Owner-thread updates (no locked instruction). */
static inline void serve_counter_add(serve_counter *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}
static inline void serve_gauge_add(serve_gauge *g, int64_t n)
{
    atomic_store_explicit(g, atomic_load_explicit(g, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

/* Allocate zeroed stats for nbackends backends. NULL on no memory. Free
 * with serve_stats_free (NULL is fine). */
struct serve_stats *serve_stats_new(size_t nbackends);
void serve_stats_free(struct serve_stats *s);

/* Record one answered request: status code, path class, latency. */
void serve_stats_request(struct serve_stats *s, enum serve_path path, int code, int64_t us);

/* Process figures for the process_* series. */
struct serve_proc {
    double rss_bytes, vsize_bytes, cpu_seconds, start_time_seconds;
    double open_fds, max_fds;
};

/* Read /proc/self for *p. 0, or -1 if /proc is unreadable (fields 0). */
int serve_proc_read(struct serve_proc *p);

/* Append the exposition of the sum of stats[0..n) (every one with the same
 * nbackends, names in backend_names) and of proc to out. 0 or -ENOBUFS /
 * -ENOMEM from buf. */
int serve_metrics_render(struct buf *out, struct serve_stats *const *stats, size_t n,
                         const char *const *backend_names, const struct serve_proc *proc);

#endif
