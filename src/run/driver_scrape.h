/* driver_scrape.h: the nodes' own request counters during a test.
 *
 * Every `meshperf serve` exposes meshperf_requests_total{code,path} on
 * /metrics. While a test runs, this scraper GETs each target's /metrics (one
 * per container that has a metrics address: platform.h's containers[])
 * once at start (synchronously, before the load), then every interval in
 * its own thread, and once more at stop (after the load), and keeps the
 * values as the series set "requests_total" with labels code, container,
 * namespace, path, pod: cumulative counters since the process started, as
 * Prometheus would show them. The first and last points of a series bracket
 * the test exactly, so last - first is what the node served during it.
 * A target that does not answer simply gets no point for that scrape. */
#ifndef MESHPERF_DRIVER_SCRAPE_H
#define MESHPERF_DRIVER_SCRAPE_H

#include <stddef.h>

#include "metrics/series.h"

#define DRIVER_SCRAPE_METRIC   "requests_total"
#define DRIVER_SCRAPE_MAX_BODY (4u << 20)

struct driver_scrape;

/* New scraper, interval_s >= 0.01. NULL with err. Free with
 * driver_scrape_free (NULL is fine; stops first). */
struct driver_scrape *driver_scrape_new(double interval_s, char *err, size_t errlen);
void driver_scrape_free(struct driver_scrape *s);

/* Add a target: "127.0.0.1:PORT" (scraped at http://.../metrics), or
 * "https://127.0.0.1:PORT" (a TLS mesh's node without a sidecar:
 * driver_scrape_set_tls), and its labels (all copied). Only while
 * stopped. 0 or -1 with err. */
int driver_scrape_add(struct driver_scrape *s, const char *addr, const char *pod,
                      const char *container, const char *ns, char *err, size_t errlen);

/* The PEM files https targets are scraped with: the CA to verify against
 * and, for mTLS, a client certificate and key (NULL: none; copied). Only
 * while stopped, before the first scrape. 0 or -1 with err. */
int driver_scrape_set_tls(struct driver_scrape *s, const char *ca_file, const char *cert_file,
                          const char *key_file, char *err, size_t errlen);

/* Forget the previous window's series, scrape every target now, then
 * start the thread. 0 or -1 with err. */
int driver_scrape_start(struct driver_scrape *s, char *err, size_t errlen);

/* Stop the thread, then scrape every target once more. No-op if stopped. */
void driver_scrape_stop(struct driver_scrape *s);

/* Hand over the window's series (caller frees with series_set_free);
 * NULL on no memory. Best after stop. */
struct series_set *driver_scrape_take(struct driver_scrape *s);

/* Pure: walk Prometheus text exposition `text` (len bytes) and call fn for
 * each sample of metric `metric` (exact name, so _bucket etc. do not
 * match): its code and path label values ("" when absent) and value.
 * Malformed lines are skipped. Returns the number of samples passed to fn. */
typedef void driver_scrape_sample_fn(void *arg, const char *code, const char *path, double v);
size_t driver_scrape_parse(const char *text, size_t len, const char *metric,
                           driver_scrape_sample_fn *fn, void *arg);

#endif
