/* promcollect.h: one load test's PromQL metrics, from Prometheus to CSVs.
 *
 * What the original driver did after each test (reference ORIGINAL.md,
 * "The driver", step 3): for each metric of the config, in file order,
 * query_range over the test window [start, end] every step, and store the
 * matrix as <test>/<ts>/<metric name>.csv in the original's shape
 * (csvout.h, through results_put_csv). On top of that:
 * - an empty result stores the header-only CSV and warns, naming the
 *   metric: "test T: metric M: empty result (header-only CSV)";
 * - a window shorter than 3 steps warns once ("... spans fewer than 3
 *   query steps ...");
 * - Prometheus's own warnings are passed on ("... prometheus warning: ..");
 * - a failure never stops the collection: it is warned
 *   ("test T: metric M: bad_data: 1:5: parse error: ..."), recorded, and the
 *   next metric is tried. The failures are stored beside the CSVs as
 *   <test>/<ts>/errors.json:
 *     [{"metric": "M", "kind": "query", "error": "bad_data: ..."}, ...]
 *   kind is promapi_kind_name() ("unreachable", "query", "response",
 *   "http", "limit", "argument", "cancelled") or "store" when the CSV could
 *   not be written. No errors.json when nothing failed.
 * - unreachable: promapi retries with backoff for retry_total_s, each
 *   request bounded by request_timeout_s (default: the retry budget, so a
 *   hung Prometheus cannot hold one metric longer than that); once one
 *   metric of the call has failed as unreachable, the following ones get a
 *   single attempt (no retry budget) of at most
 *   PROMCOLLECT_UNREACHABLE_TIMEOUT_S, so a dead or hung Prometheus costs
 *   about one budget per test, not one per metric.
 * - cancel (SIGINT): the metric in flight and every later one are recorded
 *   as "cancelled" in errors.json and the call returns at once (a request
 *   in flight notices within about a second). */
#ifndef MESHPERF_PROMCOLLECT_H
#define MESHPERF_PROMCOLLECT_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>

struct config_metric;
struct store;

#define PROMCOLLECT_RETRY_S               10.0
#define PROMCOLLECT_UNREACHABLE_TIMEOUT_S 3.0 /* per request once unreachable */

/* Receives each warning line (no newline). Called from the caller's thread. */
typedef void promcollect_warn_fn(void *arg, const char *line);

struct promcollect_opts {
    double retry_total_s;      /* unreachable budget per call; 0: PROMCOLLECT_RETRY_S,
                                  negative: no retry */
    double request_timeout_s;  /* one HTTP request; 0: the retry budget (or
                                  PROMCOLLECT_RETRY_S when there is none) */
    const atomic_int *cancel;  /* optional; read from the caller's thread
                                  while another thread may set it */
    promcollect_warn_fn *warn; /* NULL: lines go to stderr as "warning: ..." */
    void *warn_arg;
};

struct promcollect_result {
    int written;   /* CSVs stored, header-only ones included */
    int empty;     /* of which header-only (empty result) */
    int failed;    /* metrics recorded in errors.json */
    int cancelled; /* 1 when the cancel flag cut the collection short */
};

/* Collect metrics m[0..n) for one test. base_url: Prometheus
 * ("http://127.0.0.1:9090"); start/end: the test window, Unix seconds;
 * step_s > 0. Results go to store st under <test>/<ts>/ (see results.h).
 * o may be NULL (defaults). Fills *res (may be NULL). Returns 0 when every
 * metric was written, -1 when some failed or were cancelled (see *res and
 * errors.json); never stops early except on cancel. */
int promcollect_run(const char *base_url, const struct config_metric *m, size_t n, double start,
                    double end, double step_s, struct store *st, const char *test, const char *ts,
                    const struct promcollect_opts *o, struct promcollect_result *res);

#endif
