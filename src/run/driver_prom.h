/* driver_prom.h: Prometheus in the loop of `meshperf run` (issue #5).
 *
 * Two modes behind one handle:
 * - local: start the system's `prometheus` as a child of the driver
 *   (PR_SET_PDEATHSIG, own process group, SIGTERM then SIGKILL at stop),
 *   with a generated config in a temp dir: scrape interval 1 s, job
 *   "meshperf" from a file_sd file listing every replica's /metrics with
 *   labels pod, kubernetes_pod_name, namespace, container ("app"), job; and
 *   job "meshperf-procstat" (honor_labels) scraping a tiny exporter thread
 *   in the driver that serves procstat's cAdvisor-named series
 *   (container_memory_working_set_bytes, container_cpu_usage_seconds_total
 *   with pod/container/namespace). Ready = /-/ready, then every target up.
 * - url: an existing Prometheus; nothing started.
 * Then, per test, each config metric is evaluated with query_range over the
 * test window and written as <metric>.csv; failures go to errors.json
 * beside them and never stop the run. */
#ifndef MESHPERF_DRIVER_PROM_H
#define MESHPERF_DRIVER_PROM_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>

struct procstat;
struct store;
struct config;
struct progress;

struct driver_prom_target {
    const char *addr; /* "127.0.0.1:PORT" */
    const char *pod;
    const char *container; /* the container label; NULL: "app" */
};

struct driver_prom;

/* Start a local Prometheus (binary prom_bin, e.g. "prometheus") scraping
 * targets (labels: namespace ns, container "app", job "meshperf") and the
 * exporter of ps (borrowed; may be NULL). Waits (bounded, cancel-aware) for
 * ready and all targets up. NULL with one line in err. */
struct driver_prom *driver_prom_local(const char *prom_bin, const struct driver_prom_target *t,
                                      size_t n, const char *ns, struct procstat *ps,
                                      const atomic_int *cancel, char *err, size_t errlen);

/* An existing Prometheus at url (copied): checks /-/ready (bounded). NULL
 * with err. */
struct driver_prom *driver_prom_url(const char *url, const atomic_int *cancel, char *err,
                                    size_t errlen);

/* Base URL ("http://127.0.0.1:PORT"), as given: it may hold credentials,
 * so pass it through url_redact before showing it. Borrowed. */
const char *driver_prom_base(const struct driver_prom *p);

/* Evaluate every metric of cfg over [start, end] (Unix seconds) with
 * cfg->step_us and store <test>/<ts>/<metric>.csv; warnings (empty result,
 * fewer than 3 steps) and errors go through prog; failures are also
 * written to <test>/<ts>/errors.json. Each request is bounded (10 s, less
 * once Prometheus proved unreachable; promcollect.h). cancel (optional,
 * not the handle's): once non-zero, the metric in flight and the rest are
 * recorded as "cancelled" and the call returns within about a second.
 * Returns the number of failed metrics. */
int driver_prom_collect(struct driver_prom *p, const struct config *cfg, struct store *st,
                        const char *test, const char *ts, double start, double end,
                        const atomic_int *cancel, struct progress *prog);

/* Stop the local Prometheus and exporter (bounded), remove the temp dir,
 * free. NULL is fine. */
void driver_prom_free(struct driver_prom *p);

#endif
