/* Unit tests for promlocal.c, and live tests of promlocal + exporter +
 * promcollect against a real Prometheus.
 *
 * Always run: the targets.json and prometheus.yml texts; start-up failures
 * with fake binaries (not in PATH; a "prometheus" that logs a line and
 * exits 3: the error carries the status and that line, and no temp dir is
 * left).
 *
 * Live, only when MESHPERF_PROMLOCAL_IT=1 (tests/integration/
 * promlocal_collect.sh sets it and starts `meshperf serve`, whose address
 * and pid come in MESHPERF_SERVE_ADDR and MESHPERF_SERVE_PID):
 * - start Prometheus through promlocal with an exporter serving procstat's
 *   cAdvisor-named series of the serve process, the serve process as a
 *   file_sd target labelled like a pod, wait until every target is up;
 * - wait (by querying Prometheus, not by sleeping) until it holds a window
 *   of several scrapes; promcollect five metrics over that window: each
 *   CSV must equal, byte for byte, the CSV of a direct query_range of the
 *   same query (same series, same values); the empty one is header-only
 *   with a warning; the PromQL syntax error is in errors.json with
 *   Prometheus's own text and the metric name;
 * - Prometheus SIGKILLed in the middle of a collection: the call returns
 *   in bounded time, the metrics before are written, the ones after are
 *   "unreachable" in errors.json, and promlocal reports how it died;
 * - a lost port race (the first start logs "address already in use" and
 *   exits) is retried on another port.
 * MESHPERF_PROMLOCAL_HOLD=FILE: start Prometheus, write "<pid> <dir>" to
 * FILE and wait to be killed (the .sh SIGKILLs this binary and checks
 * that Prometheus dies with it). */
#include "cm.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/config.h"
#include "metrics/csvout.h"
#include "base/errbuf.h"
#include "metrics/exporter.h"
#include "base/mono.h"
#include "metrics/procstat.h"
#include "metrics/promapi.h"
#include "run/promcollect.h"
#include "metrics/promlocal.h"
#include "run/results.h"

static char *tmpdir(void)
{
    char *d = malloc(512);
    const char *t = getenv("TMPDIR");
    snprintf(d, 512, "%s/meshperf-pltest.XXXXXX", t && *t ? t : "/tmp");
    assert_non_null(mkdtemp(d));
    return d;
}

static void rmrf(const char *d)
{
    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
}

static int dir_empty(const char *d)
{
    char cmd[800];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", d);
    return system(cmd) == 0;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *d = malloc(1 << 22);
    size_t n = fread(d, 1, (1 << 22) - 1, f);
    fclose(f);
    d[n] = '\0';
    return d;
}

/* ---- pure ---- */

static void test_targets_json(void **state)
{
    char err[ERRBUF_LEN];
    struct promlocal_target t[2] = {
        {"127.0.0.1:4000", "node-0-0", NULL, "tls-e2e", NULL},
        {"127.0.0.1:4001", "node-1-0", "envoy", NULL, "other-job"},
    };
    char *s = promlocal_targets_json(t, 2, err, sizeof err);
    assert_non_null(s);
    json_t *j = json_loads(s, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_array_size(j), 2);
    json_t *e0 = json_array_get(j, 0), *l0 = json_object_get(e0, "labels");
    assert_string_equal(json_string_value(json_array_get(json_object_get(e0, "targets"), 0)),
                        "127.0.0.1:4000");
    assert_string_equal(json_string_value(json_object_get(l0, "pod")), "node-0-0");
    assert_string_equal(json_string_value(json_object_get(l0, "kubernetes_pod_name")), "node-0-0");
    assert_string_equal(json_string_value(json_object_get(l0, "namespace")), "tls-e2e");
    assert_string_equal(json_string_value(json_object_get(l0, "container")), "app");
    assert_string_equal(json_string_value(json_object_get(l0, "job")), PROMLOCAL_JOB_SERVE);
    json_t *l1 = json_object_get(json_array_get(j, 1), "labels");
    assert_null(json_object_get(l1, "namespace"));
    assert_string_equal(json_string_value(json_object_get(l1, "container")), "envoy");
    assert_string_equal(json_string_value(json_object_get(l1, "job")), "other-job");
    json_decref(j);
    free(s);

    s = promlocal_targets_json(NULL, 0, err, sizeof err);
    assert_non_null(s);
    assert_string_equal(s, "[]");
    free(s);

    t[1].pod = "";
    assert_null(promlocal_targets_json(t, 2, err, sizeof err));
    assert_string_equal(err, "prometheus targets[1]: empty pod");
    t[0].addr = NULL;
    assert_null(promlocal_targets_json(t, 1, err, sizeof err));
    assert_string_equal(err, "prometheus targets[0]: empty address");
}

static void test_config_yml(void **state)
{
    char *y = promlocal_config_yml("/tmp/it's here", "127.0.0.1:5555");
    assert_non_null(y);
    assert_non_null(strstr(y, "  scrape_interval: 1s\n"));
    assert_non_null(strstr(y, "  evaluation_interval: 1s\n"));
    assert_non_null(strstr(y, "  - job_name: meshperf\n"));
    assert_non_null(strstr(y, "files: ['/tmp/it''s here/targets.json']\n"));
    assert_non_null(strstr(y, "refresh_interval: 1s\n"));
    const char *ex = strstr(y, "  - job_name: meshperf-cadvisor\n    honor_labels: true\n");
    assert_non_null(ex);
    assert_non_null(strstr(ex, "targets: ['127.0.0.1:5555']\n"));
    free(y);
    y = promlocal_config_yml("/d", NULL);
    assert_null(strstr(y, "cadvisor"));
    free(y);
}

/* ---- start-up failures with fake binaries ---- */

static void test_start_failures(void **state)
{
    char err[ERRBUF_LEN];
    char *dir = tmpdir();
    struct promlocal_opts o = {.bin = "meshperf-no-such-prometheus", .tmp_parent = dir};
    assert_null(promlocal_start(&o, err, sizeof err));
    assert_string_equal(err, "meshperf-no-such-prometheus: not found in PATH (install the Debian "
                             "package prometheus)");
    o.bin = "/nonexistent/prometheus";
    assert_null(promlocal_start(&o, err, sizeof err));
    assert_string_equal(err,
                        "prometheus binary /nonexistent/prometheus: No such file or directory");

    /* a "prometheus" that logs one line and exits 3 */
    char fake[700];
    snprintf(fake, sizeof fake, "%s/fakeprom", dir);
    FILE *f = fopen(fake, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\necho 'level=info msg=starting'\n"
          "echo 'level=error msg=\"cannot do it\" args='\"$#\" >&2\nexit 3\n",
          f);
    fclose(f);
    chmod(fake, 0755);
    o.bin = fake;
    char sub[700];
    snprintf(sub, sizeof sub, "%s/tmp", dir);
    mkdir(sub, 0755);
    o.tmp_parent = sub;
    mono_us t0 = mono_now();
    assert_null(promlocal_start(&o, err, sizeof err));
    assert_true(mono_now() - t0 < 5 * MONO_US_PER_SEC);
    assert_string_equal(err, "prometheus exited with status 3: level=error msg=\"cannot do it\" "
                             "args=4 (during start-up)");
    assert_true(dir_empty(sub)); /* temp dir removed */
    rmrf(dir);
    free(dir);
}

/* ---- live ---- */

static int live(void)
{
    const char *v = getenv("MESHPERF_PROMLOCAL_IT");
    return v && *v == '1';
}

struct warns {
    char lines[32][2 * ERRBUF_LEN];
    int n;
    pid_t kill_on_empty; /* SIGKILL this pid when an "empty result" warning comes */
};

static void on_warn(void *arg, const char *line)
{
    struct warns *w = arg;
    if (w->n < 32) snprintf(w->lines[w->n++], sizeof w->lines[0], "%s", line);
    if (w->kill_on_empty > 0 && strstr(line, "empty result")) kill(w->kill_on_empty, SIGKILL);
}

static const char *warned(const struct warns *w, const char *needle)
{
    for (int i = 0; i < w->n; i++)
        if (strstr(w->lines[i], needle)) return w->lines[i];
    return NULL;
}

static int render_procstat(void *arg, struct buf *out)
{
    return procstat_render_prometheus(arg, out);
}

/* Latest scrape time of job's up series (Unix s), or -1. */
static double latest_scrape(const char *url, const char *job)
{
    char q[256];
    snprintf(q, sizeof q, "min(timestamp(up{job=\"%s\"}))", job);
    struct series_set *set = NULL;
    struct promapi_error e;
    struct promapi_opts po = {.retry_total_s = -1};
    double ts = -1;
    if (promapi_query(url, "t", q, 0, &po, &set, &e) == 0 && set->nseries == 1 &&
        set->series[0]->npoints == 1)
        ts = strtod(series_point_value(set->series[0], 0), NULL);
    series_set_free(set);
    return ts;
}

/* The CSV a direct query_range of m gives, rendered as promcollect would. */
static char *direct_csv(const char *url, const struct config_metric *m, double start, double end,
                        double step)
{
    struct series_set *set = NULL;
    struct promapi_error e;
    if (promapi_query_range(url, m->name, m->query, start, end, step, NULL, &set, &e) < 0)
        fail_msg("direct query_range %s: %s", m->name, e.msg);
    struct buf b;
    buf_init(&b, 1u << 26);
    assert_int_equal(csvout_render(set, &b), 0);
    series_set_free(set);
    return b.data;
}

static void test_live_collect(void **state)
{
    if (!live()) skip();
    const char *addr = getenv("MESHPERF_SERVE_ADDR"), *pids = getenv("MESHPERF_SERVE_PID");
    if (!addr || !pids) fail_msg("MESHPERF_SERVE_ADDR and MESHPERF_SERVE_PID must be set");
    char err[ERRBUF_LEN];
    struct procstat *ps = procstat_new(1.0, NULL, err, sizeof err);
    assert_non_null(ps);
    if (procstat_add(ps, (pid_t)atoi(pids), "node-0-0", "app", "it-ns", 0, err, sizeof err) < 0)
        fail_msg("%s", err);
    struct exporter *ex = exporter_start(render_procstat, ps, err, sizeof err);
    assert_non_null(ex);
    struct promlocal_opts o = {.exporter_addr = exporter_addr(ex)};
    mono_us t0 = mono_now();
    struct promlocal *pl = promlocal_start(&o, err, sizeof err);
    if (!pl) fail_msg("promlocal_start: %s", err);
    const char *url = promlocal_url(pl);
    print_message("# prometheus at %s (dir %s) ready after %.1fs\n", url, promlocal_dir(pl),
                  (double)(mono_now() - t0) / 1e6);
    struct promlocal_target t = {addr, "node-0-0", "app", "it-ns", NULL};
    assert_int_equal(promlocal_set_targets(pl, &t, 1, err, sizeof err), 0);
    if (promlocal_wait_up(pl, 40, err, sizeof err) < 0) fail_msg("wait_up: %s", err);
    print_message("# 2 targets up after %.1fs\n", (double)(mono_now() - t0) / 1e6);

    /* a window of at least 4 s of scrapes of both jobs, all in the past */
    double start = (double)wall_ns() / 1e9, end = -1; /* >= 5 steps of 1 s */
    mono_us deadline = mono_now() + 30 * MONO_US_PER_SEC;
    while (mono_now() < deadline) {
        double a = latest_scrape(url, PROMLOCAL_JOB_SERVE);
        double b = latest_scrape(url, PROMLOCAL_JOB_EXPORTER);
        end = a < b ? a : b;
        if (end >= start + 5) break;
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL); /* polling interval of a readiness check */
    }
    assert_true(end >= start + 5);

    struct config_metric m[] = {
        {"requests_rate_by_pod",
         "sum(rate(meshperf_requests_total{job=\"meshperf\",pod=~\"node-.*\"}[3s])) by "
         "(pod, path)"},
        {"memory_MiB_by_replica_set",
         "sum(label_replace(container_memory_working_set_bytes{container=\"app\",pod=~\"node-.*\"},"
         " \"replica_set\", \"$1\", \"pod\", \"(node-[0-9]+)-.*\")) by (replica_set) / "
         "(1024*1024)"},
        {"container_cpu_usage_seconds_total",
         "container_cpu_usage_seconds_total{container=\"app\"}"},
        {"nothing_here", "meshperf_no_such_metric_anywhere"},
        {"bad_promql", "sum(rate(meshperf_requests_total[5s]"},
    };
    char *rdir = tmpdir();
    struct store *st = store_open(rdir, err, sizeof err);
    assert_non_null(st);
    struct warns w = {0};
    struct promcollect_opts co = {.retry_total_s = 5, .warn = on_warn, .warn_arg = &w};
    struct promcollect_result r;
    assert_int_equal(promcollect_run(url, m, 5, start, end, 1.0, st, "t1", "ts1", &co, &r), -1);
    assert_int_equal(r.written, 4);
    assert_int_equal(r.empty, 1);
    assert_int_equal(r.failed, 1);
    const char *pe = warned(&w, "test t1: metric bad_promql: bad_data: ");
    assert_non_null(pe);
    print_message("# PromQL error: %s\n", pe);
    assert_non_null(warned(&w, "test t1: metric nothing_here: empty result (header-only CSV)"));
    assert_null(warned(&w, "fewer than 3"));

    /* each CSV equals a direct query_range of the same query */
    char path[800];
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/t1/ts1/%s.csv", rdir, m[i].name);
        char *got = slurp(path);
        if (!got) fail_msg("missing %s", path);
        char *want = direct_csv(url, &m[i], start, end, 1.0);
        if (strcmp(got, want) != 0)
            fail_msg("%s differs from a direct query_range:\n--- got\n%s--- want\n%s", m[i].name,
                     got, want);
        int rows = 0;
        for (char *p = got; (p = strchr(p, '\n')); p++)
            rows++;
        print_message("# %s.csv: %d data rows\n", m[i].name, rows - 1);
        if (i < 3) assert_true(rows - 1 >= 4);
        if (i == 3) assert_string_equal(got, "timestamp,nothing_here,normalized_ts\n");
        if (i == 1)
            assert_non_null(strstr(got, "metric.replica_set,timestamp,memory_MiB_by_replica_set,"
                                        "normalized_ts\nnode-0,"));
        if (i == 2) /* honor_labels kept the exporter's labels */
            assert_non_null(strstr(got, "metric.__name__,metric.container,metric.instance,"
                                        "metric.job,metric.namespace,metric.pod,timestamp,"
                                        "container_cpu_usage_seconds_total,normalized_ts\n"
                                        "container_cpu_usage_seconds_total,app,"));
        if (i == 2) assert_non_null(strstr(got, ",meshperf-cadvisor,it-ns,node-0-0,"));
        if (i == 0) assert_non_null(strstr(got, "metric.path,metric.pod,timestamp,"));
        free(got);
        free(want);
    }
    snprintf(path, sizeof path, "%s/t1/ts1/errors.json", rdir);
    json_t *j = json_load_file(path, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_array_size(j), 1);
    json_t *e0 = json_array_get(j, 0);
    assert_string_equal(json_string_value(json_object_get(e0, "metric")), "bad_promql");
    assert_string_equal(json_string_value(json_object_get(e0, "kind")), "query");
    assert_non_null(strstr(json_string_value(json_object_get(e0, "error")), "parse error"));
    json_decref(j);

    /* Prometheus SIGKILLed mid-collection (right after the empty metric) */
    struct config_metric m2[] = {m[1], m[3], m[0], m[2]};
    struct warns w2 = {.kill_on_empty = promlocal_pid(pl)};
    co.warn_arg = &w2;
    co.retry_total_s = 2;
    mono_us t1 = mono_now();
    assert_int_equal(promcollect_run(url, m2, 4, start, end, 1.0, st, "t2", "ts1", &co, &r), -1);
    double took = (double)(mono_now() - t1) / 1e6;
    print_message("# killed mid-collection: returned after %.1fs\n", took);
    assert_true(took < 10);
    assert_int_equal(r.written, 2);
    assert_int_equal(r.failed, 2);
    snprintf(path, sizeof path, "%s/t2/ts1/memory_MiB_by_replica_set.csv", rdir);
    char *mem = slurp(path);
    assert_non_null(mem);
    assert_non_null(strstr(mem, "\nnode-0,"));
    free(mem);
    snprintf(path, sizeof path, "%s/t2/ts1/errors.json", rdir);
    j = json_load_file(path, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_array_size(j), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *e = json_array_get(j, i);
        assert_string_equal(json_string_value(json_object_get(e, "metric")), m2[2 + i].name);
        assert_string_equal(json_string_value(json_object_get(e, "kind")), "unreachable");
    }
    json_decref(j);
    assert_int_equal(promlocal_alive(pl, err, sizeof err), 0);
    assert_string_equal(err, "prometheus killed by signal 9 (Killed)");
    assert_int_equal(promlocal_pid(pl), 0);

    char pdir[600];
    snprintf(pdir, sizeof pdir, "%s", promlocal_dir(pl));
    promlocal_stop(pl);
    struct stat sb;
    assert_int_equal(stat(pdir, &sb), -1); /* temp dir removed */
    exporter_stop(ex);
    procstat_free(ps);
    store_free(st);
    rmrf(rdir);
    free(rdir);
}

static void test_live_port_race(void **state)
{
    if (!live()) skip();
    /* a wrapper that fails like a lost port race once, then runs the real one */
    char *dir = tmpdir();
    char fake[700];
    snprintf(fake, sizeof fake, "%s/prom-race", dir);
    FILE *f = fopen(fake, "w");
    assert_non_null(f);
    fprintf(f,
            "#!/bin/sh\nif [ ! -e '%s/once' ]; then : >'%s/once'\n"
            "echo 'level=error msg=\"Unable to start web listener\" err=\"listen tcp "
            "127.0.0.1:1: bind: address already in use\"' >&2; exit 1; fi\n"
            "exec prometheus \"$@\"\n",
            dir, dir);
    fclose(f);
    chmod(fake, 0755);
    struct promlocal_opts o = {.bin = fake, .tmp_parent = dir};
    char err[ERRBUF_LEN];
    struct promlocal *pl = promlocal_start(&o, err, sizeof err);
    if (!pl) fail_msg("promlocal_start with one lost port race: %s", err);
    struct stat sb;
    char once[700];
    snprintf(once, sizeof once, "%s/once", dir);
    assert_int_equal(stat(once, &sb), 0); /* the first try did fail */
    assert_int_equal(promlocal_alive(pl, NULL, 0), 1);
    /* no targets and no exporter: up at once */
    assert_int_equal(promlocal_wait_up(pl, 1, err, sizeof err), 0);
    promlocal_stop(pl);
    rmrf(dir);
    free(dir);
}

static void test_live_hold(void **state)
{
    const char *out = getenv("MESHPERF_PROMLOCAL_HOLD");
    if (!out) skip();
    char err[ERRBUF_LEN];
    struct promlocal *pl = promlocal_start(NULL, err, sizeof err);
    if (!pl) fail_msg("%s", err);
    FILE *f = fopen(out, "w");
    assert_non_null(f);
    fprintf(f, "%d %s\n", (int)promlocal_pid(pl), promlocal_dir(pl));
    fclose(f);
    for (int i = 0; i < 600; i++) { /* killed by the .sh long before */
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    promlocal_stop(pl);
    fail_msg("was not killed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_targets_json),   cmocka_unit_test(test_config_yml),
        cmocka_unit_test(test_start_failures), cmocka_unit_test(test_live_collect),
        cmocka_unit_test(test_live_port_race), cmocka_unit_test(test_live_hold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
