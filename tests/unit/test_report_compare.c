/* Unit tests for the mesh-overhead arithmetic (report_compare.h): sidecar
 * traversals per mode, the served count and chain flag from config.json,
 * the value at 1000 rps (interpolated, exact, nearest), per-1000-rps
 * figures, and the whole derivation over a small mode tree written to a
 * temp dir and read through the store (added latency to the baseline of
 * the same test, per hop on a chain, sidecar CPU and memory per 1000 rps,
 * the mode's headline row). */
#include "cm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/report.h"
#include "report/report_compare.h"
#include "store/store.h"

#define NEAR(a, b)                                                                                 \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) < 1e-9)) fail_msg("%s = %.12g, want %.12g", #a, a_, b_);               \
    } while (0)

static void test_traversals(void **state)
{
    (void)state;
    NEAR(report_compare_traversals("baseline", NAN), 0);
    NEAR(report_compare_traversals("both", 5), 9); /* 5 inbound + 4 egress */
    NEAR(report_compare_traversals("serveronly", 5), 5);
    NEAR(report_compare_traversals("clientonly", 5), 4);
    NEAR(report_compare_traversals("both", 1), 1); /* one node: its inbound only */
    assert_true(isnan(report_compare_traversals("both", 0)));
    assert_true(isnan(report_compare_traversals("both", NAN)));
    assert_true(isnan(report_compare_traversals("sideways", 3)));
    assert_true(isnan(report_compare_traversals(NULL, 3)));
}

static double served(const char *json, const char *test, bool *chain, int *rc)
{
    double s;
    *rc = report_compare_graph(json, strlen(json), test, &s, chain);
    return s;
}

static void test_graph(void **state)
{
    (void)state;
    bool chain;
    int rc;
    const char *diamond = "{\"backends_map\":{\"0\":[\"1\",\"2\"],\"1\":[\"3\"],\"2\":[\"3\"]},"
                          "\"load_tests\":[{\"test_name\":\"a\",\"url\":"
                          "\"http://service-0.tls-e2e.svc.cluster.local:9080/\"},"
                          "{\"test_name\":\"b\",\"url\":\"http://node-1:9080/x\"},"
                          "{\"test_name\":\"c\"},{\"test_name\":\"d\",\"url\":\"2\"}]}";
    NEAR(served(diamond, "a", &chain, &rc), 5); /* 0, 1, 2, and 3 twice */
    assert_int_equal(rc, 0);
    assert_false(chain);
    NEAR(served(diamond, "b", &chain, &rc), 2); /* node-1 -> 3: a chain */
    assert_true(chain);
    NEAR(served(diamond, "c", &chain, &rc), 5); /* no url: the original's service-0 */
    NEAR(served(diamond, "d", &chain, &rc), 2);
    served(diamond, "zz", &chain, &rc);
    assert_int_equal(rc, -1);
    const char *stranger = "{\"backends_map\":{\"0\":[\"1\"]},\"load_tests\":[{\"test_name\":"
                           "\"t\",\"url\":\"http://127.0.0.1:8080/\"},{\"test_name\":\"u\","
                           "\"url\":\"http://node-1/\"}]}";
    served(stranger, "t", &chain, &rc); /* a host that names no node */
    assert_int_equal(rc, -1);
    NEAR(served(stranger, "u", &chain, &rc), 1); /* a leaf named only as a backend */
    assert_int_equal(rc, 0);

    const char *chain3 = "{\"Backends_Map\":{\"0\":[\"1\"],\"1\":[\"2\"],\"2\":[]},"
                         "\"LOAD_TESTS\":[{\"Test_Name\":\"t\",\"URL\":\"http://service-0/\"}]}";
    NEAR(served(chain3, "t", &chain, &rc), 3);
    assert_true(chain);
    /* a backend listed twice is called twice */
    const char *twice = "{\"backends_map\":{\"0\":[\"1\",\"1\"]},"
                        "\"load_tests\":[{\"test_name\":\"t\",\"url\":\"http://service-0/\"}]}";
    NEAR(served(twice, "t", &chain, &rc), 3);
    assert_false(chain);
    const char *cycle = "{\"backends_map\":{\"0\":[\"1\"],\"1\":[\"0\"]},"
                        "\"load_tests\":[{\"test_name\":\"t\"}]}";
    served(cycle, "t", &chain, &rc);
    assert_int_equal(rc, -1);
    served("{not json", "t", &chain, &rc);
    assert_int_equal(rc, -1);
    served("[1,2]", "t", &chain, &rc);
    assert_int_equal(rc, -1);
}

static void test_at(void **state)
{
    (void)state;
    char how[128];
    double x[] = {1200, 500, 800, NAN, 3000}, y[] = {4, 1, 2, 99, NAN};
    NEAR(report_compare_at(x, y, 5, 1000, how, sizeof how), 3);
    assert_string_equal(how, "interpolated between 800 and 1200 rps");
    double x2[] = {1000, 500}, y2[] = {7, 1};
    NEAR(report_compare_at(x2, y2, 2, 1000, how, sizeof how), 7);
    assert_string_equal(how, "at 1000 rps");
    double x3[] = {200, 998.3}, y3[] = {1, 5};
    NEAR(report_compare_at(x3, y3, 2, 1000, how, sizeof how), 5);
    assert_string_equal(how, "nearest run: 998.3 rps");
    double x4[] = {5000, 20000}, y4[] = {2, 3};
    NEAR(report_compare_at(x4, y4, 2, 1000, how, sizeof how), 2);
    assert_string_equal(how, "nearest run: 5000 rps");
    double x5[] = {1000}, y5[] = {NAN};
    assert_true(isnan(report_compare_at(x5, y5, 1, 1000, how, sizeof how)));
    assert_string_equal(how, "");
    assert_true(isnan(report_compare_at(NULL, NULL, 0, 1000, NULL, 0)));
}

static void test_per_1k(void **state)
{
    (void)state;
    NEAR(report_compare_per_1k(0.5, 1000, 5), 0.1); /* 0.5 cores over 5000 proxied rps */
    NEAR(report_compare_per_1k(30, 2000, 1), 15);
    assert_true(isnan(report_compare_per_1k(0.5, 1000, 0)));
    assert_true(isnan(report_compare_per_1k(NAN, 1000, 5)));
    assert_true(isnan(report_compare_per_1k(0.5, NAN, 5)));
}

/* ---- the whole derivation over a tree ---- */

static void put(const char *root, const char *rel, const char *text)
{
    char path[1024], dir[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
        snprintf(dir, sizeof dir, "%.*s", (int)(p - path), path);
        mkdir(dir, 0755);
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *const config_chain =
    "{\"backends_map\":{\"0\":[\"1\"],\"1\":[]},\"load_tests\":[{\"test_name\":\"t1k\","
    "\"url\":\"http://service-0:9080/\"}]}";

/* fortio.json with the given actual QPS and p50/p90/p99/p99.9 (seconds). */
static void put_fortio(const char *root, const char *dir, double qps, double p50)
{
    char rel[256], text[1024];
    snprintf(rel, sizeof rel, "%s/fortio.json", dir);
    snprintf(text, sizeof text,
             "{\"RequestedQPS\":\"1000\",\"ActualQPS\":%g,\"DurationHistogram\":{\"Count\":%g,"
             "\"Percentiles\":[{\"Percentile\":50,\"Value\":%g},{\"Percentile\":90,\"Value\":%g},"
             "{\"Percentile\":99,\"Value\":%g},{\"Percentile\":99.9,\"Value\":%g}]},"
             "\"RetCodes\":{\"200\":1}}",
             qps, qps, p50, 2 * p50, 3 * p50, 4 * p50);
    put(root, rel, text);
}

static void test_derive(void **state)
{
    (void)state;
    char root[] = "/tmp/test_report_compare.XXXXXX";
    assert_non_null(mkdtemp(root));
    /* baseline: p50 1 ms; both: p50 2 ms, a 2-node chain (served 2, both:
     * 3 traversals); haproxy at 0.3 cores and 10+20 MiB */
    put_fortio(root, "baseline/t1k/20260101000000", 1000, 0.001);
    put(root, "baseline/t1k/20260101000000/config.json", config_chain);
    put(root, "baseline/t1k/20260101000000/memory_working_set_MiB.csv",
        "metric.container,metric.pod,timestamp,memory_working_set_MiB,normalized_ts\n"
        "app,node-0-a,1,5,0\napp,node-0-a,2,6,1\napp,node-1-a,1,4,0\n");
    put_fortio(root, "both/t1k/20260101000100", 1000, 0.002);
    put(root, "both/t1k/20260101000100/config.json", config_chain);
    put(root, "both/t1k/20260101000100/memory_working_set_MiB.csv",
        "metric.container,metric.pod,timestamp,memory_working_set_MiB,normalized_ts\n"
        "app,node-0-a,1,5,0\nhaproxy,node-0-a,1,10,0\nhaproxy,node-0-a,2,9,1\n"
        "haproxy,node-1-a,1,20,0\n");
    put(root, "both/t1k/20260101000100/cpu_usage_seconds.csv",
        "metric.container,metric.pod,timestamp,cpu_usage_seconds,normalized_ts\n"
        "haproxy,node-0-a,0,0,0\nhaproxy,node-0-a,10,2,10\n"
        "haproxy,node-1-a,0,0,0\nhaproxy,node-1-a,10,1,10\n"
        "app,node-0-a,0,0,0\napp,node-0-a,10,5,10\n");

    char err[256] = "";
    struct store *st = store_open(root, err, sizeof err);
    assert_non_null(st);
    struct report_source src = {"results", root, st};
    struct report r = {.sources = &src, .nsources = 1};
    struct report_opts o = {.out_dir = "/nonexistent", .run_charts = 0};
    assert_int_equal(report_load(&r, &o, NULL, err, sizeof err), 0);
    assert_true(r.has_modes);
    assert_int_equal(r.nruns, 2);
    assert_string_equal(r.runs[0].mode, "baseline");
    assert_string_equal(r.runs[1].mode, "both");
    assert_int_equal(r.runs[1].family, 0);
    const struct report_overhead *b = &r.over[0], *w = &r.over[1];
    NEAR(b->traversals, 0);
    assert_true(isnan(b->added_ms[0]));
    NEAR(w->traversals, 3);
    NEAR(w->proxied_rps, 3000);
    NEAR(w->sidecar_cpu, 0.3); /* (2 + 1) s over 10 s */
    NEAR(w->app_cpu, 0.5);
    NEAR(w->sidecar_mib, 30);  /* each series' max: 10 + 20 */
    NEAR(w->vcpu_per_1k, 0.1); /* 0.3 / (3000 / 1000) */
    NEAR(w->mib_per_1k, 10);   /* 30 / 3 */
    assert_int_equal(w->base_run, 0);
    NEAR(w->added_ms[0], 1);     /* 2 ms - 1 ms */
    NEAR(w->added_ms[3], 4);     /* 8 ms - 4 ms */
    NEAR(w->hop_ms[0], 1.0 / 3); /* a chain: per traversal */
    assert_int_equal(r.nmodes, 1);
    assert_string_equal(r.modes[0].mode, "both");
    assert_string_equal(r.modes[0].sidecar, "haproxy");
    NEAR(r.modes[0].vcpu_per_1k, 0.1);
    NEAR(r.modes[0].added_ms[2], 3);
    assert_string_equal(r.modes[0].how, "at 1000 rps");
    report_free(&r);
    store_free(st);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_traversals), cmocka_unit_test(test_graph),  cmocka_unit_test(test_at),
        cmocka_unit_test(test_per_1k),     cmocka_unit_test(test_derive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
