/* promapi.h: a client for the Prometheus HTTP API (libcurl + jansson).
 *
 * What the driver needs from a Prometheus: evaluate a PromQL expression over
 * a test window (query_range), or at one instant (query), know when the
 * server is ready (/-/ready) and when its scrape targets are up
 * (/api/v1/targets). Requests are blocking, one curl easy handle per call;
 * calls are independent and may run in different threads at once.
 *
 * Queries are POSTed form-encoded (query, start, end, step) as the
 * Prometheus docs allow, so long PromQL never hits URL length limits.
 *
 * Errors are sorted into kinds (struct promapi_error) because the driver
 * treats them differently:
 * - UNREACHABLE: connection refused/reset, timeouts, DNS, HTTP 5xx. These
 *   are retried with exponential backoff (0.1 s doubling to 2 s) until
 *   opts->retry_total_s has passed; then the last failure is returned with
 *   curl's own text ("Failed to connect to 127.0.0.1 port 9 ...").
 * - QUERY: Prometheus answered status "error": `type` is its errorType
 *   ("bad_data", "execution", ...) and `msg` is "<errorType>: <error>",
 *   e.g. "bad_data: 1:5: parse error: unexpected ...". Not retried. The
 *   driver prints it as "metric <name>: <msg>".
 * - RESPONSE: an answer that is not the documented JSON (one line naming
 *   what and, for JSON syntax, line:column), or an unsupported result type.
 * - HTTP: a non-5xx HTTP error without a Prometheus JSON body (e.g. 404:
 *   the URL is not a Prometheus).
 * - LIMIT: the response or the resulting series exceed their caps.
 * - ARG: bad arguments (empty URL or query, step <= 0, end < start).
 * - CANCELLED: *opts->cancel became non-zero.
 * Messages never contain credentials: a user:password@ in the base URL is
 * shown as ***@. */
#ifndef MESHPERF_PROMAPI_H
#define MESHPERF_PROMAPI_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>

#include "base/errbuf.h"
#include "metrics/series.h"

enum promapi_errkind {
    PROMAPI_OK = 0,
    PROMAPI_E_UNREACHABLE,
    PROMAPI_E_QUERY,
    PROMAPI_E_RESPONSE,
    PROMAPI_E_HTTP,
    PROMAPI_E_LIMIT,
    PROMAPI_E_ARG,
    PROMAPI_E_CANCELLED,
};

struct promapi_error {
    enum promapi_errkind kind;
    long http_status;         /* last HTTP status seen, 0 when there was no answer */
    char type[64];            /* Prometheus errorType for QUERY, else "" */
    char msg[ERRBUF_LEN];     /* one line, no newline; "" when kind is OK */
    char warning[ERRBUF_LEN]; /* Prometheus "warnings" (first one, "(+N more)"),
                                 set on success too; "" when none */
};

/* Per-call options; pass NULL for all defaults, or a struct whose 0 fields
 * take the defaults. */
struct promapi_opts {
    double retry_total_s;     /* budget for retrying UNREACHABLE (default 30 s;
                                 negative: no retry) */
    double request_timeout_s; /* one HTTP request (default 30 s); a call lasts
                                 at most about retry_total_s + request_timeout_s */
    size_t max_body;          /* cap on one response body (default 64 MiB) */
    struct series_limits lim; /* caps of the returned set (0 fields: defaults) */
    const atomic_int *cancel; /* optional; non-zero aborts (CANCELLED) */
};

/* Short name of a kind: "ok", "unreachable", "query", "response", "http",
 * "limit", "argument", "cancelled". For errors.json and logs. */
const char *promapi_kind_name(enum promapi_errkind kind);

/* Evaluate `query` over [start, end] (Unix seconds) every step_s seconds at
 * base_url (e.g. "http://127.0.0.1:9090", trailing '/' fine; a path prefix
 * like ".../prometheus" is kept) via POST /api/v1/query_range.
 * On success returns 0 and stores in *out a new set named `name` (copied),
 * the caller frees it with series_set_free; an empty matrix gives a set with
 * no series. On failure returns -1, *out is NULL, e is filled (see above).
 * e->warning is set in both cases. */
int promapi_query_range(const char *base_url, const char *name, const char *query, double start,
                        double end, double step_s, const struct promapi_opts *opts,
                        struct series_set **out, struct promapi_error *e);

/* Evaluate `query` at instant `time` (Unix seconds; <= 0: the server's
 * now) via POST /api/v1/query. A vector becomes one single-point series per
 * element, a scalar one unlabelled series of one point (see
 * promapi_matrix_to_series). Returns and ownership as promapi_query_range. */
int promapi_query(const char *base_url, const char *name, const char *query, double time,
                  const struct promapi_opts *opts, struct series_set **out,
                  struct promapi_error *e);

/* GET /api/v1/targets?state=active: store how many active targets there
 * are in *active and how many of them have health "up" in *up. 0, or -1
 * with e filled (retries as above). */
int promapi_targets_up(const char *base_url, const struct promapi_opts *opts, int *active, int *up,
                       struct promapi_error *e);

/* Poll GET /-/ready every 100 ms until it answers 200, for at most
 * timeout_s seconds. 0 when ready, else -1 with e filled (UNREACHABLE with
 * the last curl text or HTTP status, or CANCELLED). opts->retry_total_s is
 * not used (timeout_s is the budget). */
int promapi_wait_ready(const char *base_url, double timeout_s, const struct promapi_opts *opts,
                       struct promapi_error *e);

/* Poll promapi_targets_up every 250 ms until at least min_active targets
 * are active and all active ones are up, for at most timeout_s seconds.
 * 0, or -1 with e filled; on timeout kind UNREACHABLE and msg
 * "N of M targets up after Ts". */
int promapi_wait_targets_up(const char *base_url, int min_active, double timeout_s,
                            const struct promapi_opts *opts, struct promapi_error *e);

/* Pure conversion (no I/O): the body of a /api/v1/query_range or
 * /api/v1/query answer (len bytes, need not be NUL-terminated) to a new set
 * named `name` with caps lim (NULL: defaults).
 * - status "success", resultType "matrix": one series per element, labels
 *   from "metric" (including __name__ when present), points from "values"
 *   ([<number ts>, "<value text>"]; the text is kept as is). Missing steps
 *   (gaps) are simply absent points. A series carrying native "histograms"
 *   is rejected (RESPONSE): meshperf's CSV has one value per point.
 * - resultType "vector": each element's "value" becomes a one-point series;
 *   "scalar": one series without labels and one point. "string": RESPONSE.
 * - status "error": QUERY with errorType and error.
 * - anything else: RESPONSE, one line naming the JSON path
 *   ("data.result[2].values[0]: expected [timestamp, \"value\"]") or, for
 *   JSON syntax, "line L column C: <jansson text>".
 * 0 with *out set (caller frees), or -1 with *out NULL and e filled. */
int promapi_matrix_to_series(const char *json, size_t len, const char *name,
                             const struct series_limits *lim, struct series_set **out,
                             struct promapi_error *e);

/* Pure: parse a /api/v1/targets answer into counts (as promapi_targets_up). */
int promapi_parse_targets(const char *json, size_t len, int *active, int *up,
                          struct promapi_error *e);

#endif
