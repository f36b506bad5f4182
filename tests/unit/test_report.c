/* Unit tests for the report's readers and figures: fortio.json in Fortio's
 * and Nighthawk's typing, the CSV reader (quoting, NaN/Inf, header-only,
 * errors with line numbers), percentiles (Percentiles array first, then
 * Fortio's interpolation in the histogram), node names, metric choice, and
 * the SVG rewrite for inlining. */
#include "cm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "report/report_html.h"
#include "report/report_read.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static void test_fortio_full(void **state)
{
    const char *j = "{\"RequestedQPS\":\"100\",\"ActualQPS\":99.5,\"DurationHistogram\":{"
                    "\"Count\":1000,\"Min\":0.0005,\"Max\":0.05,\"Data\":["
                    "{\"Start\":0.0005,\"End\":0.001,\"Percent\":10,\"Count\":100},"
                    "{\"Start\":0.001,\"End\":0.002,\"Percent\":100,\"Count\":900}],"
                    "\"Percentiles\":[{\"Percentile\":99,\"Value\":0.0019}]},"
                    "\"RetCodes\":{\"200\":990,\"201\":5,\"-1\":3,\"503\":2},\"Extra\":[1,2]}";
    struct report_run r = {0};
    char err[256] = "";
    r.actual_qps = r.count = r.min = r.max = r.errors = NAN;
    assert_int_equal(report_read_fortio(j, strlen(j), &r, err, sizeof err), 0);
    assert_true(r.has_fortio);
    assert_string_equal(r.requested_qps, "100");
    NEAR(r.actual_qps, 99.5);
    NEAR(r.count, 1000);
    NEAR(r.errors, 5); /* -1 and 503; 200 and 201 are fine */
    assert_int_equal(r.nbuckets, 2);
    NEAR(r.buckets[1].pct, 100);
    /* p99 from the Percentiles array, p50 interpolated: 0.001 + (50-10)/(100-10)*0.001 */
    NEAR(report_run_percentile(&r, 99), 0.0019);
    NEAR(report_run_percentile(&r, 50), 0.001 + 40.0 / 90 * 0.001);
    NEAR(report_run_percentile(&r, 0.05), 0.0005); /* below 1/Count: the minimum */
    NEAR(report_run_percentile(&r, 100), 0.05);
    report_run_free(&r);
}

static void test_fortio_loose(void **state)
{
    /* Nighthawk-style: counts and numbers as strings, no Percent */
    const char *j = "{\"RequestedQPS\":200,\"ActualQPS\":\"199.5\",\"DurationHistogram\":{"
                    "\"Count\":\"400\",\"Min\":\"0.001\",\"Max\":\"0.02\",\"Data\":["
                    "{\"Start\":\"0.001\",\"End\":\"0.002\",\"Count\":\"100\"},"
                    "{\"Start\":\"0.002\",\"End\":\"0.004\",\"Count\":\"200\"},"
                    "{\"Start\":\"0.004\",\"End\":\"0.01\",\"Count\":\"96\"},"
                    "{\"Start\":\"0.01\",\"End\":\"0.02\",\"Count\":\"4\"}]},"
                    "\"RetCodes\":{\"200\":\"390\",\"-1\":\"6\",\"503\":\"4\"}}";
    struct report_run r = {0};
    char err[256] = "";
    assert_int_equal(report_read_fortio(j, strlen(j), &r, err, sizeof err), 0);
    assert_string_equal(r.requested_qps, "200");
    NEAR(r.actual_qps, 199.5);
    NEAR(r.errors, 10);
    NEAR(r.buckets[0].pct, 25);
    NEAR(r.buckets[2].pct, 99);
    NEAR(report_run_percentile(&r, 90), 0.00775);
    NEAR(report_run_percentile(&r, 99), 0.01);
    NEAR(report_run_percentile(&r, 99.9), 0.019);
    report_run_free(&r);
}

static void test_fortio_errors(void **state)
{
    struct {
        const char *json, *want;
    } cases[] = {
        {"{\"ActualQPS\": 1,\n \"x\": }", "line 2, column 7: "},
        {"[1]", "$: expected an object, got array"},
        {"{\"ActualQPS\":\"fast\"}", "$.ActualQPS: expected a number, got string \"fast\""},
        {"{\"DurationHistogram\":{\"Data\":[{\"Start\":1},{\"Count\":{}}]}}",
         "$.DurationHistogram.Data[1].Count: expected a number, got object"},
        {"{\"DurationHistogram\":{\"Percentiles\":7}}",
         "$.DurationHistogram.Percentiles: expected an array, got number"},
        {"{\"RetCodes\":{\"ok\":1}}", "$.RetCodes: key \"ok\" is not a status code"},
        {"{\"RequestedQPS\":true}", "$.RequestedQPS: expected a string or number, got boolean"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct report_run r = {0};
        char err[256] = "";
        assert_int_equal(
            report_read_fortio(cases[i].json, strlen(cases[i].json), &r, err, sizeof err), -1);
        if (strncmp(err, cases[i].want, strlen(cases[i].want)))
            fail_msg("case %zu: got '%s'", i, err);
        report_run_free(&r);
    }
}

static void test_csv(void **state)
{
    const char *t = "metric.container,metric.pod,timestamp,mem_MiB,normalized_ts\r\n"
                    "app,node-0-0,100,1.5,0\r\n"
                    "\"a,\"\"b\",node-12-x,100,NaN,0\r\n"
                    "app,node-0-0,110,+Inf,10\r\n"
                    "\n"
                    "\"a,\"\"b\",node-12-x,105,-Inf,5\r\n"
                    "app,node-0-0,120,,20\r\n";
    struct report_metric m = {0};
    char err[256] = "";
    assert_int_equal(report_read_csv(t, strlen(t), "mem_MiB", &m, err, sizeof err), 0);
    assert_string_equal(m.name, "mem_MiB");
    assert_int_equal(m.ns, 2);
    assert_string_equal(m.s[0].name, "app/node-0-0");
    assert_string_equal(m.s[0].node, "node-0");
    assert_int_equal(m.s[0].n, 3);
    NEAR(m.s[0].v[0], 1.5);
    assert_true(isinf(m.s[0].v[1]) && m.s[0].v[1] > 0);
    assert_true(isnan(m.s[0].v[2]));
    NEAR(m.s[0].nts[2], 20);
    assert_string_equal(m.s[1].name, "a,\"b/node-12-x");
    assert_string_equal(m.s[1].node, "node-12");
    assert_true(isnan(m.s[1].v[0]));
    assert_true(isinf(m.s[1].v[1]) && m.s[1].v[1] < 0);
    report_read_metric_free(&m);
    report_read_metric_free(NULL);

    const char *empty = "timestamp,x,normalized_ts\n";
    assert_int_equal(report_read_csv(empty, strlen(empty), "x", &m, err, sizeof err), 0);
    assert_int_equal(m.ns, 0);
    report_read_metric_free(&m);

    /* no normalized_ts column: computed from the series' first timestamp */
    const char *nonorm = "metric.pod,timestamp,x\nnode-1-0,50,1\nnode-1-0,53.5,2\n";
    assert_int_equal(report_read_csv(nonorm, strlen(nonorm), "x", &m, err, sizeof err), 0);
    NEAR(m.s[0].nts[1], 3.5);
    report_read_metric_free(&m);

    struct {
        const char *text, *want;
    } bad[] = {
        {"metric.pod,timestamp,x,normalized_ts\nnode-0-0,1,2,0\nnode-0-0,2,abc,1\n",
         "line 3: column 'x': not a number 'abc'"},
        {"metric.pod,timestamp,x,normalized_ts\n\"node-0,1,2,0\n",
         "line 2: unterminated quoted cell"},
        {"metric.pod,timestamp,x,normalized_ts\nnode-0-0,1,2\n",
         "line 2: 3 cells, the header has 4"},
        {"metric.pod,timestamp,x,normalized_ts\n\"a\"b,1,2,0\n",
         "line 2: stray character after a quoted cell"},
        {"metric.pod,timestamp,x,normalized_ts\nnode-0-0,1e,2,0\n",
         "line 2: column 'timestamp': not a number '1e'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&m, 0, sizeof m);
        assert_int_equal(
            report_read_csv(bad[i].text, strlen(bad[i].text), "x", &m, err, sizeof err), -1);
        if (strcmp(err, bad[i].want)) fail_msg("bad case %zu: got '%s'", i, err);
        report_read_metric_free(&m);
    }
}

/* Many label sets, rows interleaved (not in runs): every row lands in its
 * own series through the hash table, in first-seen order; past 2^20 label
 * sets the reader stops with a line naming the row. */
static void test_csv_many_series(void **state)
{
    size_t nser = 20000, rounds = 3;
    struct buf t;
    buf_init(&t, 64u << 20);
    buf_puts(&t, "metric.container,metric.pod,timestamp,v,normalized_ts\n");
    char row[128];
    for (size_t r = 0; r < rounds; r++)
        for (size_t i = 0; i < nser; i++) {
            snprintf(row, sizeof row, "c%zu,node-%zu-%zu,%zu,%zu,%zu\n", i % 3, i % 7, i, r,
                     i * 10 + r, r);
            assert_int_equal(buf_puts(&t, row), 0);
        }
    struct report_metric m = {0};
    char err[256] = "";
    assert_int_equal(report_read_csv(t.data, t.len, "v", &m, err, sizeof err), 0);
    assert_int_equal(m.ns, nser);
    for (size_t i = 0; i < nser; i += 997) {
        char want[64];
        snprintf(want, sizeof want, "c%zu/node-%zu-%zu", i % 3, i % 7, i);
        assert_string_equal(m.s[i].name, want);
        assert_int_equal(m.s[i].n, rounds);
        for (size_t r = 0; r < rounds; r++)
            NEAR(m.s[i].v[r], (double)(i * 10 + r));
    }
    report_read_metric_free(&m);

    buf_reset(&t);
    buf_puts(&t, "metric.pod,timestamp,v,normalized_ts\n");
    for (size_t i = 0; i <= (1u << 20); i++) {
        snprintf(row, sizeof row, "p%zu,1,1,0\n", i);
        assert_int_equal(buf_puts(&t, row), 0);
    }
    memset(&m, 0, sizeof m);
    assert_int_equal(report_read_csv(t.data, t.len, "v", &m, err, sizeof err), -1);
    assert_string_equal(err, "line 1048578: more than 1048576 label sets");
    report_read_metric_free(&m);
    buf_free(&t);
}

static void test_node(void **state)
{
    char out[64];
    assert_int_equal(report_read_node("node-0-5d8f9c", out, sizeof out), 6);
    assert_string_equal(out, "node-0");
    assert_int_equal(report_read_node("ns/node-15-abc-xyz", out, sizeof out), 7);
    assert_string_equal(out, "node-15");
    assert_int_equal(report_read_node("node-x node-7", out, sizeof out), 6);
    assert_string_equal(out, "node-7");
    assert_int_equal(report_read_node("fortio-0", out, sizeof out), 0);
}

static void test_pick(void **state)
{
    struct report_metric ms[] = {
        {.name = "container_memory_working_set_bytes"},
        {.name = "cpu_usage_seconds"},
        {.name = "memory_working_set_MiB"},
    };
    struct report_run r = {.metrics = ms, .nmetrics = 3};
    assert_ptr_equal(report_pick_metric(&r, "memory", NULL), &ms[2]);
    assert_ptr_equal(report_pick_metric(&r, "cpu", NULL), &ms[1]);
    assert_ptr_equal(report_pick_metric(&r, "memory", "container_memory_working_set_bytes"),
                     &ms[0]);
    assert_null(report_pick_metric(&r, "memory", "nope"));
    r.nmetrics = 2;
    assert_ptr_equal(report_pick_metric(&r, "memory", NULL), &ms[0]);
}

static void test_inline_svg(void **state)
{
    const char *svg =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" "
        "xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"900pt\" "
        "height=\"480pt\" viewBox=\"0 0 900 480\" version=\"1.1\">\n"
        "<symbol id=\"glyph0-1\"/><clipPath id=\"clip1\"/>"
        "<use xlink:href=\"#glyph0-1\" x=\"1\"/><g clip-path=\"url(#clip1)\"/></svg>\n";
    struct buf out;
    buf_init(&out, 1 << 16);
    assert_int_equal(report_html_inline_svg(svg, strlen(svg), 7, &out), 0);
    assert_string_equal(out.data, "<svg width=\"900\" height=\"480\" viewBox=\"0 0 900 480\">\n"
                                  "<symbol id=\"f7-glyph0-1\"/><clipPath id=\"f7-clip1\"/>"
                                  "<use xlink:href=\"#f7-glyph0-1\" x=\"1\"/>"
                                  "<g clip-path=\"url(#f7-clip1)\"/></svg>\n");
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fortio_full),
        cmocka_unit_test(test_fortio_loose),
        cmocka_unit_test(test_fortio_errors),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_csv_many_series),
        cmocka_unit_test(test_node),
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_inline_svg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
