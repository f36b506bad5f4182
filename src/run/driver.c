/* driver.c: the pipeline of `meshperf run` (see driver.h for the order of
 * things, signals and failure rules).
 *
 * Threads: the calling thread does everything in order (it forks the
 * nodes, so it must live for the whole run: PR_SET_PDEATHSIG). A watcher
 * thread polls a signalfd (SIGINT, SIGTERM) and a stop eventfd, stopping
 * the current load on a signal and redrawing progress otherwise. The
 * platform's supervisor thread reports dead nodes through driver_on_exit.
 * Shared state is a few fields of struct driver under `mu`, plus the
 * atomics `interrupted` (read by the platform and promapi cancel hooks),
 * `collecting` and `collect_cancel`. With a local Prometheus the driver
 * waits 2 s after each test (two scrape intervals) before querying, so the
 * window's end is scraped. A signal during that query (or a second one
 * after a signal that stopped the load) cuts it short: collect_cancel. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "model/config.h"
#include "run/driver.h"
#include "run/driver_prom.h"
#include "run/driver_scrape.h"
#include "base/degraded.h"
#include "base/duration.h"
#include "base/errbuf.h"
#include "base/exitcode.h"
#include "load/fortio_json.h"
#include "load/loadgen.h"
#include "base/mono.h"
#include "platform/platform.h"
#include "platform/platform_kubernetes.h"
#include "metrics/procstat.h"
#include "run/progress.h"
#include "run/results.h"
#include "run/runner.h"
#include "model/topology.h"
#include "net/url.h"
#include "run/upload.h"

#define DRIVER_CHECK_TIMEOUT_US (2 * 1000000LL)

/* One row of the summary. */
struct driver_row {
    const char *name;
    double qps_asked;
    double qps_actual;
    double p50_ms, p99_ms;
    uint64_t requests, errors;
    double mem_mib; /* max working set of the memory node's replicas; < 0: none */
    /* "ok", "degraded", "interrupted", "node died", "failed", "skipped" */
    const char *status;
    char reason[384]; /* why it is not "ok" ("" when no more to say), "; " between causes */
};

struct driver {
    const struct config *cfg;
    const struct driver_opts *o;
    struct progress *prog;
    struct platform *plat;
    struct store *store;
    struct upload *up; /* --store: each test's results copied there (upload.h) */
    struct procstat *ps;
    struct driver_scrape *scrape;
    struct driver_prom *prom; /* NULL when cfg->prom is off */
    bool kube;                /* o->platform is "kubernetes" */
    char ts[32];
    char log_dir[256];
    size_t mem_node; /* the node whose memory the summary shows */

    int sig_fd, stop_fd;
    pthread_t watcher;
    bool watcher_running;
    atomic_int interrupted;    /* a signal came: stop, skip later tests */
    atomic_bool collecting;    /* driver_prom_collect is running */
    atomic_int collect_cancel; /* a signal came while collecting: cut it short */
    int signo;

    pthread_mutex_t mu;
    struct runner *runner;   /* in-process or remote (runner.h) */
    struct loadgen_ctl *ctl; /* the running connectivity check, under mu */
    struct runner_job *job;  /* the running test's load, under mu */
    const char *test_name;   /* the running test, under mu (for death reports) */
    struct driver_row *rows; /* one per test */
    sigset_t oldmask;
    bool node_died; /* under mu */
};

/* Append one cause to row's reason ("; " between causes; cut when full). */
static void __attribute__((format(printf, 2, 3)))
driver_row_why(struct driver_row *row, const char *fmt, ...)
{
    size_t n = strlen(row->reason);
    if (n + 3 >= sizeof row->reason) return;
    if (n) {
        memcpy(row->reason + n, "; ", 3);
        n += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(row->reason + n, sizeof row->reason - n, fmt, ap);
    va_end(ap);
}

/* ---- watcher thread: signals and progress ---- */

static void *driver_watch(void *arg)
{
    struct driver *d = arg;
    int every_ms = progress_mode(d->prog) == PROGRESS_TTY ? 200 : 500;
    for (;;) {
        struct pollfd pfd[2] = {{.fd = d->sig_fd, .events = POLLIN},
                                {.fd = d->stop_fd, .events = POLLIN}};
        int rc = poll(pfd, 2, every_ms);
        if (rc < 0 && errno != EINTR) break;
        if (pfd[1].revents) break;
        if (pfd[0].revents) {
            struct signalfd_siginfo si;
            if (read(d->sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
                pthread_mutex_lock(&d->mu);
                bool first = !atomic_exchange(&d->interrupted, 1);
                if (atomic_load(&d->collecting)) atomic_store(&d->collect_cancel, 1);
                d->signo = (int)si.ssi_signo;
                if (d->ctl) loadgen_ctl_stop(d->ctl);
                if (d->job) runner_job_stop(d->job);
                pthread_mutex_unlock(&d->mu);
                if (first)
                    progress_warn(d->prog, "%s: stopping (partial results are kept)",
                                  strsignal((int)si.ssi_signo));
            }
            continue;
        }
        pthread_mutex_lock(&d->mu);
        struct runner_progress rp;
        if (d->job && d->test_name && runner_job_progress(d->job, &rp) == 0) {
            struct loadgen_progress lp = {true, rp.requests, rp.errors, rp.elapsed_us, rp.qps};
            progress_update(d->prog, &lp);
        }
        pthread_mutex_unlock(&d->mu);
    }
    return NULL;
}

static void driver_on_exit(void *arg, size_t node, const struct platform_replica *r,
                           const char *how)
{
    struct driver *d = arg;
    pthread_mutex_lock(&d->mu);
    d->node_died = true;
    const char *test = d->test_name;
    char tn[160] = "";
    if (test) snprintf(tn, sizeof tn, " during test %s", test);
    pthread_mutex_unlock(&d->mu);
    progress_warn(d->prog, "node %s (pod %s, pid %ld) %s%s", topology_name(d->cfg->topo, node),
                  r->pod, (long)r->containers[0].pid, how, tn);
}

static void driver_on_note(void *arg, const char *line)
{
    progress_note(((struct driver *)arg)->prog, "%s", line);
}

/* Sleep up to us, waking early on a signal. */
static void driver_pause(struct driver *d, int64_t us)
{
    mono_us end = mono_now() + us;
    while (!d->interrupted) {
        mono_us left = end - mono_now();
        if (left <= 0) break;
        struct timespec ts = {0, 0};
        mono_us step = left > 50000 ? 50000 : left;
        ts.tv_nsec = (long)step * 1000;
        nanosleep(&ts, NULL);
    }
}

/* ---- connectivity check ---- */

static void driver_codes(const struct loadgen_result *r, char *out, size_t outlen)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->ncodes && n < outlen; i++) {
        int w = snprintf(out + n, outlen - n, "%scode %d: %llu", i ? ", " : "", r->codes[i].code,
                         (unsigned long long)r->codes[i].count);
        if (w < 0) break;
        n += (size_t)w;
    }
}

/* count GETs of url; 0 when all answered 2xx, else -1 with err. */
static int driver_check_one(struct driver *d, const char *url, int count, char *err, size_t errlen)
{
    struct loadgen_ctl *ctl = loadgen_ctl_new();
    if (!ctl) return errbuf_set(err, errlen, "out of memory");
    struct loadgen_opts lo;
    loadgen_opts_init(&lo);
    lo.url = url;
    lo.qps = 0;
    lo.count = count;
    lo.duration_us = 0;
    lo.connections = count < 2 ? 1 : 2;
    lo.threads = 1;
    lo.timeout_us = DRIVER_CHECK_TIMEOUT_US;
    lo.labels = "connectivity check";
    lo.ctl = ctl;
    const struct platform_tls *tls = platform_tls(d->plat); /* NULL: plain HTTP */
    if (tls) {
        lo.ca_file = tls->ca_file;
        lo.cert_file = tls->cert_file;
        lo.key_file = tls->key_file;
    }
    pthread_mutex_lock(&d->mu);
    d->ctl = ctl;
    if (d->interrupted) loadgen_ctl_stop(ctl);
    pthread_mutex_unlock(&d->mu);
    struct loadgen_result *r = NULL;
    char lerr[ERRBUF_LEN];
    int rc = loadgen_run(&lo, &r, lerr, sizeof lerr);
    pthread_mutex_lock(&d->mu);
    d->ctl = NULL;
    pthread_mutex_unlock(&d->mu);
    loadgen_ctl_free(ctl);
    if (rc < 0) return errbuf_set(err, errlen, "%s", lerr);
    int out = 0;
    if (d->interrupted) {
        out = errbuf_set(err, errlen, "interrupted");
    } else if (r->errors > 0 || r->requests < (uint64_t)count) {
        char codes[256];
        driver_codes(r, codes, sizeof codes);
        out = errbuf_set(err, errlen, "%llu of %d requests failed (%s)",
                         (unsigned long long)(r->errors + ((uint64_t)count - r->requests)), count,
                         codes[0] ? codes : "no answer");
    }
    loadgen_result_free(r);
    return out;
}

/* Kubernetes: replicas are not reachable from here, so each load-test URL
 * is checked from inside the cluster: a REST run of n requests on the
 * load generator. */
static int driver_connectivity_kube(struct driver *d, char *err, size_t errlen)
{
    const struct config *cfg = d->cfg;
    int n = cfg->conn_check;
    char e[ERRBUF_LEN];
    for (size_t i = 0; i < cfg->ntests; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen = seen || !strcmp(cfg->tests[j].url, cfg->tests[i].url);
        if (seen) continue;
        struct runner_spec spec = {
            .url = cfg->tests[i].url, .count = n, .connections = 1, .labels = "connectivity check"};
        struct runner_job *job = runner_job_new(d->runner, &spec);
        if (!job) return errbuf_set(err, errlen, "out of memory");
        pthread_mutex_lock(&d->mu);
        d->job = job;
        if (d->interrupted) runner_job_stop(job);
        pthread_mutex_unlock(&d->mu);
        struct runner_result res = {0};
        int rc = runner_job_run(job, &res, e, sizeof e);
        pthread_mutex_lock(&d->mu);
        d->job = NULL;
        pthread_mutex_unlock(&d->mu);
        runner_job_free(job);
        if (rc == 0 && d->interrupted) rc = errbuf_set(e, sizeof e, "interrupted");
        if (rc == 0 && (res.errors > 0 || res.requests < (uint64_t)n))
            rc = errbuf_set(
                e, sizeof e, "%llu of %d requests failed",
                (unsigned long long)(res.errors +
                                     ((uint64_t)n > res.requests ? (uint64_t)n - res.requests : 0)),
                n);
        runner_result_clear(&res);
        if (rc < 0)
            return errbuf_set(err, errlen,
                              "connectivity check: load test %s (%s, from the load "
                              "generator): %s",
                              cfg->tests[i].name, cfg->tests[i].url, e);
    }
    return 0;
}

static int driver_connectivity(struct driver *d, char *err, size_t errlen)
{
    const struct config *cfg = d->cfg;
    int n = cfg->conn_check;
    if (n <= 0) return 0;
    if (d->kube) return driver_connectivity_kube(d, err, errlen);
    size_t norder;
    const size_t *order = topology_start_order(cfg->topo, &norder);
    char url[128], e[ERRBUF_LEN];
    for (size_t k = 0; k < norder; k++) {
        size_t nr;
        const struct platform_replica *rs = platform_replicas(d->plat, order[k], &nr);
        for (size_t r = 0; r < nr; r++) {
            snprintf(url, sizeof url, "%s://%s/", platform_tls(d->plat) ? "https" : "http",
                     rs[r].addr);
            if (driver_check_one(d, url, n, e, sizeof e) < 0)
                return errbuf_set(err, errlen, "connectivity check: node %s (pod %s, %s): %s",
                                  topology_name(cfg->topo, order[k]), rs[r].pod, rs[r].addr, e);
        }
    }
    char *lurl = malloc(URL_PATH_MAX + 128);
    if (!lurl) return errbuf_set(err, errlen, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < cfg->ntests && rc == 0; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen = seen || !strcmp(cfg->tests[j].url, cfg->tests[i].url);
        if (seen) continue;
        size_t node;
        if (platform_resolve(d->plat, cfg->tests[i].url, lurl, URL_PATH_MAX + 128, &node, e,
                             sizeof e) < 0) {
            rc = errbuf_set(err, errlen, "load test %s: %s", cfg->tests[i].name, e);
        } else if (driver_check_one(d, lurl, n, e, sizeof e) < 0) {
            rc = errbuf_set(err, errlen, "connectivity check: load test %s: node %s (%s): %s",
                            cfg->tests[i].name, topology_name(cfg->topo, node), lurl, e);
        }
    }
    free(lurl);
    return rc;
}

/* ---- one load test ---- */

/* Max of the values of series whose pod starts with "node-<name>-". */
static double driver_max_mem(const struct series_set *set, const char *node_name)
{
    char prefix[TOPOLOGY_NAME_MAX + 16];
    topology_node_label(node_name, prefix, sizeof prefix - 1);
    strcat(prefix, "-");
    size_t pl = strlen(prefix);
    double best = -1;
    for (size_t i = 0; i < set->nseries; i++) {
        const struct series *s = set->series[i];
        const char *pod = series_label(s, "pod");
        if (!pod || strncmp(pod, prefix, pl) != 0) continue;
        for (size_t k = 0; k < s->npoints; k++) {
            double v = strtod(series_point_value(s, k), NULL);
            if (v > best) best = v;
        }
    }
    return best;
}

/* Write one metric set; warn (not fail) on error, and name the file that
 * was not written in row's reason (the test is then degraded). Returns 0
 * or -1. */
static int driver_put_set(struct driver *d, const char *test, struct series_set *set,
                          struct driver_row *row)
{
    char e[ERRBUF_LEN];
    if (!set) {
        progress_warn(d->prog, "test %s: out of memory collecting metrics", test);
        driver_row_why(row, "metrics not collected (out of memory)");
        return -1;
    }
    if (set->total_points == 0 && !d->kube) /* no local process to measure there */
        progress_warn(d->prog, "test %s: metric %s: no data (header-only CSV)", test, set->name);
    if (results_put_csv(d->store, test, d->ts, set, e, sizeof e) < 0) {
        progress_warn(d->prog, "%s", e);
        driver_row_why(row, "%s.csv not written", set->name);
        return -1;
    }
    return 0;
}

/* The load of test i through the runner, with the sampler and the
 * scraper around it; res filled when it ran (0), else -1 with err. The
 * window's wall-clock ends go to *start_ts, *end_ts. */
static int driver_test_load(struct driver *d, size_t i, struct runner_result *res, double *start_ts,
                            double *end_ts, char *err, size_t errlen)
{
    const struct config *cfg = d->cfg;
    const struct config_test *t = &cfg->tests[i];
    char e[ERRBUF_LEN];
    char *url = malloc(URL_PATH_MAX + 128);
    if (!url) return errbuf_set(err, errlen, "out of memory");
    size_t node;
    if (platform_resolve(d->plat, t->url, url, URL_PATH_MAX + 128, &node, e, sizeof e) < 0) {
        free(url);
        return errbuf_set(err, errlen, "load test %s: %s", t->name, e);
    }
    struct runner_spec spec = {
        .url = url,
        .qps = config_test_qps(cfg, i),
        .duration_us = t->duration_us,
        .count = t->count,
        .connections = t->connections,
        .labels = t->name,
    };
    const struct platform_tls *tls = platform_tls(d->plat);
    if (tls) {
        spec.ca_file = tls->ca_file;
        spec.cert_file = tls->cert_file;
        spec.key_file = tls->key_file;
    }
    struct runner_job *job = runner_job_new(d->runner, &spec);
    if (!job) {
        free(url);
        return errbuf_set(err, errlen, "out of memory");
    }
    progress_test_begin(d->prog, i, cfg->ntests, t->name, spec.qps, t->duration_us);
    if (procstat_start(d->ps, e, sizeof e) < 0) progress_warn(d->prog, "sampler: %s", e);
    if (driver_scrape_start(d->scrape, e, sizeof e) < 0) progress_warn(d->prog, "scraper: %s", e);
    pthread_mutex_lock(&d->mu);
    d->job = job;
    d->test_name = t->name;
    if (d->interrupted) runner_job_stop(job);
    pthread_mutex_unlock(&d->mu);

    *start_ts = (double)wall_ns() / 1e9;
    int rc = runner_job_run(job, res, e, sizeof e);
    *end_ts = (double)wall_ns() / 1e9;

    pthread_mutex_lock(&d->mu);
    d->job = NULL;
    pthread_mutex_unlock(&d->mu);
    driver_scrape_stop(d->scrape);
    procstat_stop(d->ps);
    runner_job_free(job);
    free(url);
    if (rc < 0) {
        progress_test_end(d->prog, 0, 0, 0, false);
        return errbuf_set(err, errlen, "test %s: %s", t->name, e);
    }
    progress_test_end(d->prog, res->actual_qps, res->requests, res->errors, res->stopped);
    return 0;
}

/* The test's metrics, also after a failed load (they show what happened):
 * the sampler's and the scraper's sets, then the config's PromQL metrics
 * with a Prometheus. Failures are warnings. */
static void driver_test_metrics(struct driver *d, size_t i, struct driver_row *row, double start_ts,
                                double end_ts)
{
    const struct config *cfg = d->cfg;
    const char *name = cfg->tests[i].name;
    row->mem_mib = -1;
    for (int m = 0; m < PROCSTAT_NMETRICS; m++) {
        struct series_set *set = procstat_take(d->ps, (enum procstat_metric)m);
        if (m == PROCSTAT_MEM_MIB && set)
            row->mem_mib = driver_max_mem(set, topology_name(cfg->topo, d->mem_node));
        driver_put_set(d, name, set, row);
        series_set_free(set);
    }
    /* where memory and CPU came from, per container (cgroup or /proc) */
    struct buf sb;
    char key[1024], e[ERRBUF_LEN];
    buf_init(&sb, 1 << 20);
    if (procstat_render_sources(d->ps, &sb) < 0 ||
        results_key(key, sizeof key, name, d->ts, "sources.json") < 0 ||
        store_put(d->store, key, sb.data, sb.len, e, sizeof e) < 0)
        progress_warn(d->prog, "test %s: sources.json not written", name);
    buf_free(&sb);
    struct series_set *req = driver_scrape_take(d->scrape);
    driver_put_set(d, name, req, row);
    series_set_free(req);
    if (d->prom && cfg->nmetrics > 0) {
        /* let Prometheus scrape past the window's end (interval 1 s locally) */
        if (cfg->prom == CONFIG_PROM_LOCAL) driver_pause(d, 2 * MONO_US_PER_SEC);
        /* a signal before this point (it stopped the load) lets the test's
         * metrics be collected; one from now on cuts the collection short */
        atomic_store(&d->collecting, true);
        driver_prom_collect(d->prom, cfg, d->store, name, d->ts, start_ts, end_ts,
                            &d->collect_cancel, d->prog);
        atomic_store(&d->collecting, false);
    }
}

/* Run test i. Returns 0 when it ran (errors or not), -1 when it could not
 * run or its results could not be stored (err says why). */
static int driver_test(struct driver *d, size_t i, struct driver_row *row, char *err, size_t errlen)
{
    const struct config *cfg = d->cfg;
    const struct config_test *t = &cfg->tests[i];
    char key[1024];
    row->status = "failed";

    /* 1. the config, byte for byte (but for any credentials in its URLs) */
    if (results_key(key, sizeof key, t->name, d->ts, "config.json") < 0)
        return errbuf_set(err, errlen, "test %s: name too long", t->name);
    if (store_put(d->store, key, cfg->stored_text ? cfg->stored_text : cfg->text,
                  cfg->stored_text ? cfg->stored_len : cfg->text_len, err, errlen) < 0)
        return -1;

    /* 2. the load; 3. fortio.json as the runner gave it */
    struct runner_result res = {0};
    double start_ts = 0, end_ts = 0;
    int out = driver_test_load(d, i, &res, &start_ts, &end_ts, err, errlen);
    if (start_ts == 0) return out; /* no load started: no window to measure */
    if (out == 0) {
        row->qps_actual = res.actual_qps;
        row->requests = res.requests;
        row->errors = res.errors;
        row->p50_ms = res.p50_ms;
        row->p99_ms = res.p99_ms;
        row->status = res.stopped ? "interrupted" : "ok";
        struct degraded_in din = {row->qps_asked, res.actual_qps, res.requests, res.late_far,
                                  res.unsent};
        char why[sizeof row->reason];
        if (!res.stopped && degraded_check(&din, d->o->tolerance, why, sizeof why)) {
            row->status = "degraded";
            driver_row_why(row, "%s", why);
        }
        results_key(key, sizeof key, t->name, d->ts, "fortio.json");
        if (store_put(d->store, key, res.json, res.json_len, err, errlen) < 0) {
            row->status = "failed";
            driver_row_why(row, "fortio.json not written");
            out = -1;
        }
    }

    /* 4. metrics (a file not written degrades an ok test) */
    driver_test_metrics(d, i, row, start_ts, end_ts);
    if (!strcmp(row->status, "ok") && row->reason[0]) row->status = "degraded";
    if (!strcmp(row->status, "degraded"))
        progress_warn(d->prog, "test %s: degraded: %s", t->name, row->reason);

    pthread_mutex_lock(&d->mu);
    d->test_name = NULL;
    pthread_mutex_unlock(&d->mu);
    if (res.json && res.errors > 0 && !res.stopped)
        progress_warn(d->prog, "test %s: %llu of %llu requests failed", t->name,
                      (unsigned long long)res.errors, (unsigned long long)res.requests);
    runner_result_clear(&res);
    return out;
}

/* ---- summary ---- */

static void driver_summary(struct driver *d, const struct driver_row *rows, size_t n)
{
    FILE *f = d->o->out;
    char memh[TOPOLOGY_NAME_MAX + 24];
    char label[TOPOLOGY_NAME_MAX + 16];
    topology_node_label(topology_name(d->cfg->topo, d->mem_node), label, sizeof label);
    snprintf(memh, sizeof memh, "%s MiB", label);
    size_t w = 4;
    for (size_t i = 0; i < n; i++)
        if (strlen(rows[i].name) > w) w = strlen(rows[i].name);
    if (w > 60) w = 60;
    fprintf(f, "%-*s %10s %10s %9s %9s %9s %8s %12s  %s\n", (int)w, "test", "qps asked",
            "qps actual", "p50 ms", "p99 ms", "requests", "errors", memh, "status");
    for (size_t i = 0; i < n; i++) {
        const struct driver_row *r = &rows[i];
        char asked[32], mem[32];
        if (r->qps_asked > 0)
            snprintf(asked, sizeof asked, "%.1f", r->qps_asked);
        else
            snprintf(asked, sizeof asked, "max");
        if (r->mem_mib >= 0)
            snprintf(mem, sizeof mem, "%.1f", r->mem_mib);
        else
            snprintf(mem, sizeof mem, "-");
        if (!strcmp(r->status, "skipped")) {
            fprintf(f, "%-*.*s %10s %10s %9s %9s %9s %8s %12s  %s\n", (int)w, (int)w, r->name,
                    asked, "-", "-", "-", "-", "-", "-", r->status);
            continue;
        }
        fprintf(f, "%-*.*s %10s %10.1f %9.3f %9.3f %9llu %8llu %12s  %s%s%s\n", (int)w, (int)w,
                r->name, asked, r->qps_actual, r->p50_ms, r->p99_ms,
                (unsigned long long)r->requests, (unsigned long long)r->errors, mem, r->status,
                r->reason[0] ? ": " : "", r->reason);
    }
}

/* ---- the run ---- */

static int driver_setup_signals(struct driver *d, sigset_t *old, char *err, size_t errlen)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &set, old) != 0)
        return errbuf_set(err, errlen, "cannot block signals");
    d->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    d->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (d->sig_fd < 0 || d->stop_fd < 0)
        return errbuf_set(err, errlen, "signalfd/eventfd: %s", strerror(errno));
    if (pthread_create(&d->watcher, NULL, driver_watch, d) != 0)
        return errbuf_set(err, errlen, "cannot start the watcher thread");
    d->watcher_running = true;
    return 0;
}

/* Remove the per-run log dir (only files we created, no subdirs). */
static void driver_rm_logs(const char *dir)
{
    DIR *dp = opendir(dir);
    if (dp) {
        struct dirent *de;
        while ((de = readdir(dp)) != NULL) {
            if (de->d_name[0] == '.') continue;
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            unlink(path);
        }
        closedir(dp);
    }
    rmdir(dir);
}

/* A step failed with e: warn (unless a signal caused it) and give the
 * run's exit code. */
static int driver_fail(struct driver *d, const char *e)
{
    if (!d->interrupted) progress_warn(d->prog, "%s", e);
    return d->interrupted ? EXIT_INTERRUPTED : EXIT_FAILED;
}

/* State, rows, progress and the notes the config carries. 0, or -1 (out
 * of memory, already said on o->err). */
static int driver_init(struct driver *d, const struct config *cfg, const struct driver_opts *o)
{
    memset(d, 0, sizeof *d);
    atomic_init(&d->interrupted, 0);
    atomic_init(&d->collecting, false);
    atomic_init(&d->collect_cancel, 0);
    d->cfg = cfg;
    d->o = o;
    d->kube = o->platform && !strcmp(o->platform, "kubernetes");
    d->sig_fd = d->stop_fd = -1;
    pthread_mutex_init(&d->mu, NULL);
    d->rows = calloc(cfg->ntests, sizeof *d->rows);
    d->prog = progress_new(o->err, progress_mode_for(o->err_fd, o->quiet));
    if (!d->prog || !d->rows) {
        fprintf(o->err, "meshperf run: out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < cfg->ntests; i++) {
        d->rows[i].name = cfg->tests[i].name;
        d->rows[i].status = "skipped";
        d->rows[i].mem_mib = -1;
        d->rows[i].qps_asked = config_test_qps(cfg, i);
    }
    for (size_t i = 0; i < cfg->nwarnings; i++)
        progress_warn(d->prog, "%s", cfg->warnings[i]);
    long mn = topology_find(cfg->topo, "0");
    d->mem_node = mn >= 0 ? (size_t)mn : cfg->tests[0].node;
    results_driver_ts(time(NULL), d->ts, sizeof d->ts);
    return 0;
}

/* The results store. */
static int driver_open_store(struct driver *d, char *e, size_t elen)
{
    d->store = store_open(d->o->results_dir, e, elen);
    if (d->store && d->o->store_uri && d->o->store_uri[0] &&
        !(d->up = upload_open(d->o->store_uri, d->o->results_dir, e, elen))) {
        store_free(d->store); /* bad input: nothing runs */
        d->store = NULL;
    }
    return d->store ? 0 : -1;
}

/* The load runner, the node log dir, the sampler and the scraper. */
static int driver_open_tools(struct driver *d, char *e, size_t elen)
{
    const struct config *cfg = d->cfg;
    /* kubernetes: the runner is opened once the load generator is forwarded */
    if (!d->kube && !(d->runner = runner_open(d->o->load_generator, e, elen))) return -1;
    if (!d->kube && d->o->load_generator && d->o->load_generator[0])
        progress_note(d->prog, "load generator: %s", runner_where(d->runner));
    const char *tmp = getenv("TMPDIR");
    snprintf(d->log_dir, sizeof d->log_dir, "%s/meshperf-run.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(d->log_dir)) d->log_dir[0] = '\0';
    double interval_s = (double)d->o->sample_us / 1e6;
    d->ps = procstat_new(interval_s, NULL, e, elen);
    if (d->ps) d->scrape = driver_scrape_new(interval_s, e, elen);
    if (!d->ps || !d->scrape) return -1;
    if (cfg->nmetrics > 0 && cfg->prom == CONFIG_PROM_OFF && !(d->kube && d->o->kube.prom_service))
        progress_note(d->prog,
                      "note: the config's %zu PromQL metrics need a Prometheus (install the "
                      "Debian package prometheus, or give -prometheus URL); writing the "
                      "built-in metrics instead",
                      cfg->nmetrics);
    return 0;
}

/* Kubernetes: preflight (-2 when it fails: nothing was created), up,
 * then the runner on the port-forwarded load generator. */
static int driver_up_kube(struct driver *d, char *e, size_t elen)
{
    const struct config *cfg = d->cfg;
    const struct platform_kubernetes_opts *k = &d->o->kube;
    size_t nn = topology_count(cfg->topo);
    progress_note(d->prog,
                  "deploying %zu node%s x %d replica%s (kubernetes%s%s, mesh %s, "
                  "namespace %s)",
                  nn, nn == 1 ? "" : "s", cfg->replicas, cfg->replicas == 1 ? "" : "s",
                  k->context ? ", context " : "", k->context ? k->context : "",
                  k->mesh ? k->mesh : "none", k->ns ? k->ns : cfg->ns);
    d->plat = platform_open("kubernetes", e, elen);
    if (!d->plat) return -1;
    struct platform_opts po = {
        .ns = cfg->ns,
        .replicas = cfg->replicas,
        .cancel = &d->interrupted,
        .on_note = driver_on_note,
        .on_note_arg = d,
        .kube = *k,
    };
    po.kube.cfg = cfg;
    po.kube.log_dir = d->log_dir[0] ? d->log_dir : NULL;
    if (platform_kubernetes_preflight(d->plat, &po, e, elen) < 0) return -2;
    if (platform_up(d->plat, cfg->topo, &po, e, elen) < 0) return -1;
    if (!(d->runner = runner_open(platform_kubernetes_loadgen_url(d->plat), e, elen))) return -1;
    progress_note(d->prog, "load generator: %s (port-forwarded)", runner_where(d->runner));
    return 0;
}

/* Open the platform and bring every node up. */
static int driver_up(struct driver *d, char *e, size_t elen)
{
    const struct config *cfg = d->cfg;
    if (d->kube) return driver_up_kube(d, e, elen);
    size_t nn = topology_count(cfg->topo);
    const char *sidecar = d->o->sidecar ? d->o->sidecar : cfg->sidecar;
    progress_note(d->prog, "starting %zu node%s x %d replica%s (local, namespace %s, sidecar %s)",
                  nn, nn == 1 ? "" : "s", cfg->replicas, cfg->replicas == 1 ? "" : "s", cfg->ns,
                  sidecar ? sidecar : "none");
    d->plat = platform_open("local", e, elen);
    if (!d->plat) return -1;
    struct platform_opts po = {
        .ns = cfg->ns,
        .replicas = cfg->replicas,
        .tls = cfg->tls || cfg->mtls,
        .mtls = cfg->mtls,
        .on_exit = driver_on_exit,
        .on_exit_arg = d,
        .cancel = &d->interrupted,
        .on_note = driver_on_note,
        .on_note_arg = d,
        .local = {.serve_bin = d->o->serve_bin,
                  .log_dir = d->log_dir[0] ? d->log_dir : NULL,
                  .sidecar = sidecar,
                  .sidecar_mode = d->o->sidecar_mode},
    };
    return platform_up(d->plat, cfg->topo, &po, e, elen);
}

/* Every replica to the sampler and the scraper (a failure is a warning). */
static void driver_watch_replicas(struct driver *d)
{
    const struct config *cfg = d->cfg;
    char e[ERRBUF_LEN], maddr[80];
    const struct platform_tls *tls = platform_tls(d->plat);
    if (tls && driver_scrape_set_tls(d->scrape, tls->ca_file, tls->cert_file, tls->key_file, e,
                                     sizeof e) < 0)
        progress_warn(d->prog, "scraper: %s", e);
    size_t nn = topology_count(cfg->topo);
    for (size_t n = 0; n < nn; n++) {
        size_t nr;
        const struct platform_replica *rs = platform_replicas(d->plat, n, &nr);
        for (size_t r = 0; r < nr; r++) {
            for (size_t c = 0; c < rs[r].ncontainers; c++) {
                const struct platform_container *ct = &rs[r].containers[c];
                snprintf(maddr, sizeof maddr, "%s%s", ct->metrics_tls ? "https://" : "",
                         ct->metrics_addr);
                if ((ct->pid > 0 && procstat_add(d->ps, ct->pid, rs[r].pod, ct->name, cfg->ns, 0, e,
                                                 sizeof e) < 0) ||
                    (ct->metrics_addr[0] && driver_scrape_add(d->scrape, maddr, rs[r].pod, ct->name,
                                                              cfg->ns, e, sizeof e) < 0))
                    progress_warn(d->prog, "pod %s container %s: %s", rs[r].pod, ct->name, e);
            }
        }
    }
}

/* A local Prometheus scraping every replica. NULL with e. */
static struct driver_prom *driver_prom_start_local(struct driver *d, char *e, size_t elen)
{
    const struct config *cfg = d->cfg;
    size_t nn = topology_count(cfg->topo);
    size_t nt = nn * (size_t)cfg->replicas * PLATFORM_CONTAINERS_MAX, k = 0;
    struct driver_prom_target *tg = calloc(nt, sizeof *tg);
    if (!tg) {
        errbuf_set(e, elen, "out of memory");
        return NULL;
    }
    for (size_t n = 0; n < nn; n++) {
        size_t nr;
        const struct platform_replica *rs = platform_replicas(d->plat, n, &nr);
        for (size_t r = 0; r < nr; r++)
            for (size_t c = 0; c < rs[r].ncontainers && k < nt; c++) {
                const struct platform_container *ct = &rs[r].containers[c];
                if (ct->metrics_addr[0] && !ct->metrics_tls) /* it scrapes plain HTTP */
                    tg[k++] = (struct driver_prom_target){ct->metrics_addr, rs[r].pod, ct->name};
            }
    }
    progress_note(d->prog, "starting prometheus (%zu targets)", k + 1);
    struct driver_prom *p = driver_prom_local(d->o->prom_bin ? d->o->prom_bin : "prometheus", tg, k,
                                              cfg->ns, d->ps, &d->interrupted, e, elen);
    free(tg);
    return p;
}

/* The Prometheus the config asks for, if any. */
static int driver_prom_open(struct driver *d, char *e, size_t elen)
{
    const struct config *cfg = d->cfg;
    const char *fwd = d->kube ? platform_kubernetes_prom_url(d->plat) : NULL;
    if (fwd)
        d->prom = driver_prom_url(fwd, &d->interrupted, e, elen); /* --prometheus-service */
    else if (cfg->prom == CONFIG_PROM_OFF)
        return 0;
    else if (cfg->prom == CONFIG_PROM_LOCAL)
        d->prom = driver_prom_start_local(d, e, elen);
    else
        d->prom = driver_prom_url(cfg->prom_url, &d->interrupted, e, elen);
    if (!d->prom) return -1;
    char shown[512];
    url_redact(driver_prom_base(d->prom), shown, sizeof shown);
    progress_note(d->prog, "prometheus: %s", shown);
    return 0;
}

/* Every test in order, with the pauses; the run's exit code. */
static int driver_tests(struct driver *d)
{
    const struct config *cfg = d->cfg;
    char e[ERRBUF_LEN];
    for (size_t i = 0; i < cfg->ntests; i++) {
        if (d->interrupted) break;
        if (platform_health(d->plat, e, sizeof e) < 0) {
            progress_warn(d->prog, "%s; skipping the remaining tests", e);
            return EXIT_FAILED;
        }
        int trc = driver_test(d, i, &d->rows[i], e, sizeof e);
        upload_test(d->up, d->store, cfg->tests[i].name, d->ts, d->prog);
        if (trc < 0) {
            progress_warn(d->prog, "%s", e);
            return EXIT_FAILED;
        }
        pthread_mutex_lock(&d->mu);
        bool died = d->node_died;
        pthread_mutex_unlock(&d->mu);
        if (died) {
            d->rows[i].status = "node died";
            if (platform_health(d->plat, e, sizeof e) < 0)
                progress_warn(d->prog, "%s%s", e,
                              i + 1 < cfg->ntests ? "; skipping the remaining tests" : "");
            return EXIT_FAILED;
        }
        if (i + 1 < cfg->ntests && d->o->pause_us > 0 && !d->interrupted) {
            char dur[32];
            duration_format(d->o->pause_us, dur, sizeof dur);
            progress_note(d->prog, "pause %s", dur);
            driver_pause(d, d->o->pause_us);
        }
    }
    return EXIT_OK;
}

/* Everything from the signals to the last test; the run's exit code. */
static int driver_steps(struct driver *d)
{
    char e[ERRBUF_LEN];
    if (driver_open_store(d, e, sizeof e) < 0) {
        progress_warn(d->prog, "%s", e);
        return EXIT_USAGE; /* a results URI that no store takes */
    }
    if (driver_setup_signals(d, &d->oldmask, e, sizeof e) < 0 ||
        driver_open_tools(d, e, sizeof e) < 0) {
        progress_warn(d->prog, "%s", e);
        return EXIT_FAILED;
    }
    int up = driver_up(d, e, sizeof e);
    if (up == -2 && !d->interrupted) { /* kubernetes preflight: nothing created */
        progress_warn(d->prog, "%s", e);
        return EXIT_USAGE;
    }
    if (up < 0) return driver_fail(d, e);
    driver_watch_replicas(d);
    if (driver_prom_open(d, e, sizeof e) < 0) return driver_fail(d, e);
    if (d->cfg->conn_check > 0)
        progress_note(d->prog, "connectivity check: %d request%s %s", d->cfg->conn_check,
                      d->cfg->conn_check == 1 ? "" : "s",
                      d->kube ? "per load-test URL, from the load generator"
                              : "per node and per URL");
    if (driver_connectivity(d, e, sizeof e) < 0) return driver_fail(d, e);
    return driver_tests(d);
}

/* Down, summary, results path, logs; the final exit code. */
static int driver_finish(struct driver *d, int code)
{
    const struct driver_opts *o = d->o;
    driver_prom_free(d->prom);
    d->prom = NULL;
    platform_free(d->plat); /* every child ends here, on every path */
    d->plat = NULL;
    if (d->interrupted) code = EXIT_INTERRUPTED;
    for (size_t i = 0; code == EXIT_OK && i < d->cfg->ntests; i++)
        if (!strcmp(d->rows[i].status, "degraded")) code = EXIT_DEGRADED;
    if (d->store && !o->quiet) driver_summary(d, d->rows, d->cfg->ntests);
    if (d->store) {
        char where[4096];
        fprintf(o->out, "results: %s (driver_ts %s)\n",
                store_where(d->store, NULL, where, sizeof where), d->ts);
    }
    if (d->log_dir[0]) {
        if (code == EXIT_OK || code == EXIT_DEGRADED || code == EXIT_INTERRUPTED ||
            code == EXIT_USAGE) { /* usage: a kubernetes preflight, nothing ran */
            driver_rm_logs(d->log_dir);
        } else {
            progress_warn(d->prog, "node logs kept in %s", d->log_dir);
        }
    }
    if (upload_finish(d->up, d->prog) < 0 && (code == EXIT_OK || code == EXIT_DEGRADED))
        code = EXIT_FAILED; /* 1 wins over 3 */
    fflush(o->out);
    return code;
}

/* Stop the watcher, free everything. */
static void driver_cleanup(struct driver *d)
{
    if (d->watcher_running) {
        uint64_t one = 1;
        ssize_t w = write(d->stop_fd, &one, sizeof one);
        (void)w;
        pthread_join(d->watcher, NULL);
    }
    if (d->sig_fd >= 0) close(d->sig_fd);
    if (d->stop_fd >= 0) close(d->stop_fd);
    /* SIGINT/SIGTERM stay blocked: the process is about to exit with its
     * code, and a late signal must not turn that into death by signal. */
    driver_scrape_free(d->scrape);
    procstat_free(d->ps);
    runner_free(d->runner);
    store_free(d->store);
    upload_free(d->up);
    progress_free(d->prog);
    pthread_mutex_destroy(&d->mu);
    free(d->rows);
}

int driver_run(const struct config *cfg, const struct driver_opts *o)
{
    struct driver d;
    int code = EXIT_FAILED;
    if (driver_init(&d, cfg, o) == 0) code = driver_finish(&d, driver_steps(&d));
    driver_cleanup(&d);
    return code;
}
