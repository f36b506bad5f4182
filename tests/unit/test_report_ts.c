/* Unit tests for report_ts.c: the counter rule, per-second rates between
 * consecutive samples (known increments, a counter reset, a too-short last
 * interval, gaps), natural order, the split of requests_total by path
 * class (the driver's /health and /metrics left out) and legends that keep
 * only the labels that differ. Metrics are read from CSV text with
 * report_read_csv, as the report does. */
#include "cm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "report/report_read.h"
#include "report/report_ts.h"

#define NEAR(a, b)                                                                                 \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) < 1e-9)) fail_msg("%s = %.12g, want %.12g", #a, a_, b_);               \
    } while (0)

static void test_is_counter(void **state)
{
    const char *yes[] = {"requests_total",
                         "container_cpu_usage_seconds_total",
                         "cpu_usage_seconds",
                         "envoy_cpu_usage_seconds_by_replica_set",
                         "process_cpu_seconds_total_by_pod",
                         "x_total"};
    const char *no[] = {"memory_working_set_MiB",
                        "container_memory_working_set_bytes",
                        "envoy_2xx_requests_rate_by_replica_set",
                        "cpu_usage_seconds_rate",
                        "latency_seconds",
                        "total",
                        "requests_total_ms"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (!report_ts_is_counter(yes[i])) fail_msg("%s should be a counter", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (report_ts_is_counter(no[i])) fail_msg("%s should be a gauge", no[i]);
}

static void test_rate(void **state)
{
    /* increments 100, 200, 0 over 1, 1, 2 s; then a reset to 50 after 1 s */
    double ts[] = {1000, 1001, 1002, 1004, 1005}, nts[] = {0, 1, 2, 4, 5};
    double v[] = {0, 100, 300, 300, 50}, out[5];
    report_ts_rate(ts, nts, v, 5, out);
    assert_true(isnan(out[0]));
    NEAR(out[1], 100);
    NEAR(out[2], 200);
    NEAR(out[3], 0);
    NEAR(out[4], 50); /* reset: 50 since the restart */

    /* no Unix timestamps: normalized_ts is used */
    double nots[] = {NAN, NAN, NAN};
    double n2[] = {0, 0.5, 1}, v2[] = {10, 11, 13}, o2[3];
    report_ts_rate(nots, n2, v2, 3, o2);
    NEAR(o2[1], 2);
    NEAR(o2[2], 4);

    /* a last sample 4 ms after the one before is merged with the interval
     * before it (mean step 0.5 s): no spike, no drop to 0 */
    double t3[] = {0, 0.5, 1.0, 1.004}, v3[] = {0, 0.05, 0.10, 0.10}, o3[4];
    report_ts_rate(t3, t3, v3, 4, o3);
    NEAR(o3[2], 0.1);
    NEAR(o3[3], (0.10 - 0.05) / 0.504); /* from the sample at 0.5 s */

    /* a NaN value is a gap: no rate at it nor across it */
    double t4[] = {0, 1, 2, 3}, v4[] = {0, NAN, 5, 8}, o4[4];
    report_ts_rate(t4, t4, v4, 4, o4);
    assert_true(isnan(o4[1]) && isnan(o4[2]));
    NEAR(o4[3], 3);

    /* one sample, or equal timestamps: no rate */
    double t5[] = {7, 7}, v5[] = {1, 2}, o5[2];
    report_ts_rate(t5, t5, v5, 2, o5);
    assert_true(isnan(o5[0]) && isnan(o5[1]));
    report_ts_rate(t5, t5, v5, 1, o5);
    assert_true(isnan(o5[0]));
}

/* requests_total as meshperf run writes it: code, container, namespace,
 * path, pod; the driver's /health and /metrics polls next to traffic. */
static const char requests_csv[] =
    "metric.code,metric.container,metric.namespace,metric.path,metric.pod,timestamp,"
    "requests_total,normalized_ts\n"
    "200,app,ns,health,node-10-0,100,1,0\n"
    "200,app,ns,root,node-10-0,100,0,0\n"
    "200,app,ns,root,node-2-0,100,0,0\n"
    "200,app,ns,metrics,node-2-0,100,1,0\n"
    "503,app,ns,root,node-2-0,100,0,0\n"
    "200,app,ns,echo,node-0-0,100,0,0\n"
    "200,app,ns,root,node-10-0,101,50,1\n"
    "200,app,ns,root,node-2-0,101,20,1\n"
    "503,app,ns,root,node-2-0,101,2,1\n"
    "200,app,ns,echo,node-0-0,101,7,1\n";

static void test_groups_and_legend(void **state)
{
    struct report_metric m = {0};
    char err[256] = "", leg[160];
    assert_int_equal(
        report_read_csv(requests_csv, strlen(requests_csv), "requests_total", &m, err, sizeof err),
        0);
    assert_int_equal(m.nlabels, 5);
    assert_string_equal(m.labels[3], "path");
    struct report_ts_group *g;
    int ng = report_ts_groups(&m, &g);
    assert_int_equal(ng, 2); /* root and echo; health and metrics left out */
    assert_string_equal(g[0].path, "root");
    assert_string_equal(g[1].path, "echo");
    assert_int_equal(g[0].n, 3);
    /* node-2 before node-10; on node-2, code 200 before 503 */
    assert_string_equal(m.s[g[0].idx[0]].lv[4], "node-2-0");
    assert_string_equal(m.s[g[0].idx[0]].lv[0], "200");
    assert_string_equal(m.s[g[0].idx[1]].lv[0], "503");
    assert_string_equal(m.s[g[0].idx[2]].lv[4], "node-10-0");
    /* code and pod differ among root's series; container, namespace, path do not */
    report_ts_legend(&m, &g[0], 0, leg, sizeof leg);
    assert_string_equal(leg, "code=200 pod=node-2-0");
    report_ts_legend(&m, &g[0], 2, leg, sizeof leg);
    assert_string_equal(leg, "code=200 pod=node-10-0");
    /* a lone series keeps all its labels */
    assert_int_equal(g[1].n, 1);
    report_ts_legend(&m, &g[1], 0, leg, sizeof leg);
    assert_string_equal(leg, "code=200 container=app namespace=ns path=echo pod=node-0-0");
    /* cut short, still a C string */
    report_ts_legend(&m, &g[1], 0, leg, 12);
    assert_string_equal(leg, "code=200 co");
    report_ts_groups_free(g, (size_t)ng);
    report_ts_groups_free(NULL, 0);
    report_read_metric_free(&m);

    /* only the driver's own requests: one chart with them all */
    const char *scrapes = "metric.path,metric.pod,timestamp,requests_total,normalized_ts\n"
                          "health,node-0-0,1,1,0\nmetrics,node-0-0,1,1,0\n";
    memset(&m, 0, sizeof m);
    assert_int_equal(
        report_read_csv(scrapes, strlen(scrapes), "requests_total", &m, err, sizeof err), 0);
    ng = report_ts_groups(&m, &g);
    assert_int_equal(ng, 1);
    assert_null(g[0].path);
    assert_int_equal(g[0].n, 2);
    report_ts_legend(&m, &g[0], 1, leg, sizeof leg);
    assert_string_equal(leg, "path=metrics");
    report_ts_groups_free(g, (size_t)ng);
    report_read_metric_free(&m);

    /* no labels: the metric's name; no points: no chart */
    const char *bare = "timestamp,up,normalized_ts\n1,1,0\n";
    memset(&m, 0, sizeof m);
    assert_int_equal(report_read_csv(bare, strlen(bare), "up", &m, err, sizeof err), 0);
    ng = report_ts_groups(&m, &g);
    assert_int_equal(ng, 1);
    report_ts_legend(&m, &g[0], 0, leg, sizeof leg);
    assert_string_equal(leg, "up");
    report_ts_groups_free(g, (size_t)ng);
    report_read_metric_free(&m);
    const char *none = "metric.pod,timestamp,up,normalized_ts\n";
    memset(&m, 0, sizeof m);
    assert_int_equal(report_read_csv(none, strlen(none), "up", &m, err, sizeof err), 0);
    assert_int_equal(report_ts_groups(&m, &g), 0);
    report_read_metric_free(&m);
}

/* Past REPORT_TS_MAX_GROUPS path classes the rest share one chart; the
 * legend flags come from the whole group. */
static void test_groups_capped(void **state)
{
    struct buf t;
    buf_init(&t, 1 << 20);
    buf_puts(&t, "metric.path,metric.pod,timestamp,requests_total,normalized_ts\n");
    char row[128];
    for (int p = 0; p < 40; p++)
        for (int pod = 0; pod < 2; pod++) {
            snprintf(row, sizeof row, "%s,node-%d-0,1,%d,0\n", p ? "" : "root", pod, p);
            if (p) snprintf(row, sizeof row, "p%d,node-%d-0,1,%d,0\n", p, pod, p);
            assert_int_equal(buf_puts(&t, row), 0);
        }
    buf_puts(&t, "health,node-0-0,1,1,0\n");
    struct report_metric m = {0};
    char err[256] = "", leg[160];
    assert_int_equal(report_read_csv(t.data, t.len, "requests_total", &m, err, sizeof err), 0);
    struct report_ts_group *g;
    int ng = report_ts_groups(&m, &g);
    assert_int_equal(ng, REPORT_TS_MAX_GROUPS);
    assert_string_equal(g[0].path, "root");
    assert_string_equal(g[1].path, "p1");
    assert_string_equal(g[2].path, "p2"); /* natural order: p2 before p10 */
    assert_string_equal(g[REPORT_TS_MAX_GROUPS - 2].path, "p30");
    assert_string_equal(g[REPORT_TS_MAX_GROUPS - 1].path, REPORT_TS_OTHER_PATHS);
    assert_int_equal(g[REPORT_TS_MAX_GROUPS - 1].n, 2 * 9); /* p31..p39, two pods each */
    assert_int_equal(g[1].n, 2);
    report_ts_legend(&m, &g[1], 1, leg, sizeof leg);
    assert_string_equal(leg, "pod=node-1-0");
    /* in the shared chart the path differs too; node-0's series first */
    report_ts_legend(&m, &g[REPORT_TS_MAX_GROUPS - 1], 0, leg, sizeof leg);
    assert_string_equal(leg, "path=p31 pod=node-0-0");
    report_ts_groups_free(g, (size_t)ng);
    report_read_metric_free(&m);
    buf_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_counter),
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_groups_and_legend),
        cmocka_unit_test(test_groups_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
