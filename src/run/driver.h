/* driver.h: the per-run pipeline of `meshperf run`, as the original's
 * driver did it, on a platform (platform.h):
 *
 *   up (every node, leaves first, readiness /health)
 *   connectivity check (ConnectivityCheckPerURL GET / to every replica of
 *     every node, leaves first, then to every load-test URL; 200 expected;
 *     the first failure names the node and ends the run before any load)
 *   for each load test, in order:
 *     1. <test>/<driver_ts>/config.json   (the config's original bytes)
 *     2. the load, through the load runner (runner.h: in-process loadgen,
 *        or a remote Fortio REST API with driver_opts.load_generator), with the built-in sampler
 * (procstat: memory and CPU of every replica) and the /metrics scraper (driver_scrape:
 * requests_total) running over the test window
 *     3. <test>/<driver_ts>/fortio.json (the runner's bytes as they came)
 *     4. <test>/<driver_ts>/<metric>.csv for each built-in metric
 *     5. pause (not after the last test)
 *     6. with a Prometheus (cfg->prom local or URL, driver_prom.h): each
 *        config metric by query_range over the test window -> <metric>.csv,
 *        failures -> errors.json (never fatal)
 *   summary table, results path
 *   down (always; also on errors and signals)
 *
 * Signals: SIGINT and SIGTERM are blocked in the calling thread (so in
 * every thread it creates) and read from a signalfd by a watcher thread,
 * which stops the running load; the current test's fortio.json and CSVs
 * are still written with what was measured, later tests are skipped, and
 * the result is EXIT_INTERRUPTED. The test's Prometheus metrics are still
 * collected after a signal that stopped its load (each request bounded,
 * 10 s); a signal that arrives while they are being collected cuts the
 * collection short (the rest recorded as "cancelled" in errors.json). The
 * watcher also redraws progress.
 *
 * A node that dies during a test is named at once (progress_warn); the
 * test runs to its end (its errors counted), later tests are skipped, and
 * the result is EXIT_FAILED. Load errors alone (non-2xx, timeouts) do not
 * fail the run: they are reported per test and in the summary.
 *
 * A test that ran but did not deliver its load (base/degraded.h: actual
 * QPS short of the asked one, or requests sent >100 ms late or never,
 * beyond driver_opts.tolerance), or one of whose metric CSVs could not be
 * written, is "degraded": a warning line and the summary table say why
 * ("degraded: 27.5 of 100 qps"), and the run's result is EXIT_DEGRADED
 * unless a stronger one applies (EXIT_INTERRUPTED, then EXIT_FAILED, then
 * EXIT_DEGRADED). */
#ifndef MESHPERF_DRIVER_H
#define MESHPERF_DRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "platform/platform.h"

struct config;

struct driver_opts {
    const char *results_dir;    /* dir store root (created if missing) */
    const char *store_uri;      /* NULL/"": none; else each test's results are also
                                 * copied there when it ends (run/upload.h) */
    const char *serve_bin;      /* binary run as `<bin> serve` for each replica */
    int64_t pause_us;           /* between tests, >= 0 */
    int64_t sample_us;          /* sampler/scraper interval, >= 10 ms */
    const char *prom_bin;       /* local Prometheus binary (NULL: "prometheus" in PATH) */
    const char *load_generator; /* NULL/"": load in-process; else the base URL of a
                                 * Fortio REST API that runs every test (runner.h) */
    double tolerance;           /* degraded beyond this fraction (degraded.h); < 0: default */
    const char *sidecar;        /* NULL: cfg->sidecar; else this one ("none": none) */
    const char *sidecar_mode;   /* where sidecars sit (platform_local_opts.sidecar_mode) */
    bool quiet;                 /* no progress, no summary table */
    FILE *out;                  /* summary and results path (stdout) */
    FILE *err;                  /* progress, notes, warnings (stderr) */
    int err_fd;                 /* fd of err, to decide TTY or plain progress */
    /* where the topology runs: NULL or "local" (serve_bin children), or
     * "kubernetes": kube's cluster (the driver sets kube.cfg and
     * kube.log_dir); the load then runs on the port-forwarded in-cluster
     * load generator (load_generator is ignored) and the connectivity
     * check goes through it too; a failed preflight is EXIT_USAGE */
    const char *platform;
    struct platform_kubernetes_opts kube;
};

/* Run every load test of cfg (borrowed; cfg->scale_qps already final) on
 * o->platform. Returns an exit code from exitcode.h: EXIT_OK,
 * EXIT_FAILED (a node could not start or died, connectivity check failed,
 * a test could not run, its config.json or fortio.json could not be
 * written), EXIT_DEGRADED (every test ran, one or more degraded),
 * EXIT_INTERRUPTED.
 * Every process it started has ended when it returns. */
int driver_run(const struct config *cfg, const struct driver_opts *o);

#endif
