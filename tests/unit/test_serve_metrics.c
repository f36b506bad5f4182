/* Unit tests for serve_metrics.c: summing per-thread stats, cumulative
 * buckets, label escaping, the process_* families. (promtool checks the
 * real endpoint in tests/integration/serve_topology.sh.) */
#include "cm.h"

#include <string.h>

#include "serve/serve_metrics.h"

static void test_render(void **state)
{
    struct serve_stats *a = serve_stats_new(1), *b = serve_stats_new(1);
    assert_non_null(a);
    serve_stats_request(a, SERVE_PATH_ROOT, 200, 50);      /* bucket 0.0001 */
    serve_stats_request(b, SERVE_PATH_ROOT, 200, 2000);    /* bucket 0.0025 */
    serve_stats_request(b, SERVE_PATH_ROOT, 500, 9999999); /* +Inf */
    serve_stats_request(a, SERVE_PATH_ECHO, 1234, 1);      /* bad code -> 0 */
    serve_counter_add(&a->backend[0][SERVE_TIMEOUT], 2);
    serve_counter_add(&b->backend[0][SERVE_TIMEOUT], 1);
    serve_gauge_add(&a->open_conns, 3);
    serve_gauge_add(&b->open_conns, -1);
    serve_counter_add(&a->refused_conns, 2);
    serve_counter_add(&b->refused_conns, 5);
    struct serve_stats *all[2] = {a, b};
    const char *names[1] = {"we\"ird\\name"};
    struct serve_proc proc;
    assert_int_equal(serve_proc_read(&proc), 0);
    assert_true(proc.rss_bytes > 0);
    assert_true(proc.open_fds >= 3);
    assert_true(proc.start_time_seconds > 1.6e9);
    struct buf out;
    buf_init(&out, 1 << 20);
    assert_int_equal(serve_metrics_render(&out, all, 2, names, &proc), 0);
    const char *t = out.data;
    assert_non_null(strstr(t, "meshperf_requests_total{code=\"200\",path=\"root\"} 2\n"));
    assert_non_null(strstr(t, "meshperf_requests_total{code=\"500\",path=\"root\"} 1\n"));
    assert_non_null(strstr(t, "meshperf_requests_total{code=\"0\",path=\"echo\"} 1\n"));
    assert_non_null(
        strstr(t, "meshperf_request_duration_seconds_bucket{path=\"root\",le=\"0.0001\"} 1\n"));
    assert_non_null(
        strstr(t, "meshperf_request_duration_seconds_bucket{path=\"root\",le=\"0.0025\"} 2\n"));
    assert_non_null(
        strstr(t, "meshperf_request_duration_seconds_bucket{path=\"root\",le=\"5\"} 2\n"));
    assert_non_null(
        strstr(t, "meshperf_request_duration_seconds_bucket{path=\"root\",le=\"+Inf\"} 3\n"));
    assert_non_null(strstr(t, "meshperf_request_duration_seconds_count{path=\"root\"} 3\n"));
    assert_non_null(strstr(t, "meshperf_backend_requests_total{backend=\"we\\\"ird\\\\name\","
                              "outcome=\"timeout\"} 3\n"));
    assert_non_null(strstr(t, "meshperf_open_connections 2\n"));
    assert_non_null(strstr(t, "meshperf_refused_connections_total 7\n"));
    assert_non_null(strstr(t, "# TYPE process_resident_memory_bytes gauge\n"));
    assert_non_null(strstr(t, "# TYPE process_cpu_seconds_total counter\n"));
    assert_non_null(strstr(t, "process_max_fds "));
    buf_free(&out);
    serve_stats_free(a);
    serve_stats_free(b);
    serve_stats_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
