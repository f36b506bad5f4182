/* Unit tests for promapi.c.
 * - The JSON -> series conversion on recorded answers (tests/data/prom/).
 * - The HTTP side against a small canned-answer server on loopback (a real
 *   socket server in a thread): form encoding, 5xx retry with backoff,
 *   4xx with a Prometheus error body, a non-Prometheus 404, the body cap,
 *   a closed port.
 * - Live tests against a real Prometheus, run only when MESHPERF_PROM_URL
 *   names one (tests/integration/prom_api.sh starts Prometheus and runs this
 *   binary with it set); skipped otherwise. MESHPERF_PROM_WAIT: seconds to
 *   wait for readiness (default 20). */
#include "cm.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "metrics/csvout.h"
#include "base/mono.h"
#include "metrics/promapi.h"

static char *slurp(const char *rel, size_t *len)
{
    char p[4096];
    const char *base = getenv("TESTDATA") ? getenv("TESTDATA") : "tests/data";
    snprintf(p, sizeof(p), "%s/prom/%s", base, rel);
    FILE *f = fopen(p, "rb");
    if (!f) fail_msg("cannot read %s (run from the repo root or set TESTDATA)", p);
    char *d = malloc(1 << 20);
    size_t n = fread(d, 1, (1 << 20) - 1, f);
    fclose(f);
    d[n] = '\0';
    *len = n;
    return d;
}

/* Convert a recorded file; returns rc, fills set/e. */
static int convert_file(const char *rel, struct series_set **set, struct promapi_error *e)
{
    size_t len;
    char *j = slurp(rel, &len);
    int rc = promapi_matrix_to_series(j, len, "m", NULL, set, e);
    free(j);
    return rc;
}

static void test_matrix(void **state)
{
    struct series_set *set;
    struct promapi_error e;
    assert_int_equal(convert_file("matrix_multi.json", &set, &e), 0);
    assert_int_equal(e.kind, PROMAPI_OK);
    assert_int_equal(set->nseries, 4);
    assert_string_equal(series_label(set->series[0], "kubernetes_pod_name"),
                        "node-1-7d9f8b6c5-x2x9z");
    assert_int_equal(set->series[0]->npoints, 3);
    assert_true(set->series[0]->points[2].ts == 1700000020);
    assert_string_equal(series_point_value(set->series[0], 2), "13.25");
    assert_true(set->series[1]->points[0].ts == 1700000000.5);
    assert_string_equal(series_point_value(set->series[2], 0), "1e+21"); /* kept as given */
    assert_int_equal(set->series[2]->nlabels, 2);
    assert_int_equal(set->series[3]->nlabels, 0);
    series_set_free(set);

    assert_int_equal(convert_file("matrix_empty.json", &set, &e), 0);
    assert_int_equal(set->nseries, 0);
    series_set_free(set);

    assert_int_equal(convert_file("matrix_nan_inf.json", &set, &e), 0);
    assert_string_equal(series_point_value(set->series[0], 0), "NaN");
    assert_string_equal(series_point_value(set->series[0], 1), "+Inf");
    assert_string_equal(series_point_value(set->series[0], 2), "-Inf");
    series_set_free(set);

    assert_int_equal(convert_file("matrix_gaps.json", &set, &e), 0);
    assert_int_equal(set->series[0]->npoints, 4); /* 20 s and 30 s missing */
    assert_true(set->series[0]->points[2].ts - set->series[0]->points[1].ts == 30);
    assert_string_equal(series_label(set->series[0], "__name__"), "up");
    series_set_free(set);
}

static void test_vector_scalar_string(void **state)
{
    struct series_set *set;
    struct promapi_error e;
    assert_int_equal(convert_file("vector.json", &set, &e), 0);
    assert_int_equal(set->nseries, 2);
    assert_int_equal(set->series[1]->npoints, 1);
    assert_string_equal(series_point_value(set->series[1], 0), "0");
    assert_true(set->series[1]->points[0].ts == 1700000000.781);
    series_set_free(set);

    assert_int_equal(convert_file("scalar.json", &set, &e), 0);
    assert_int_equal(set->nseries, 1);
    assert_int_equal(set->series[0]->nlabels, 0);
    assert_string_equal(series_point_value(set->series[0], 0), "2");
    series_set_free(set);

    assert_int_equal(convert_file("string.json", &set, &e), -1);
    assert_null(set);
    assert_int_equal(e.kind, PROMAPI_E_RESPONSE);
    assert_string_equal(e.msg,
                        "data.resultType: 'string' is not supported (matrix, vector or scalar)");

    assert_int_equal(convert_file("histogram.json", &set, &e), -1);
    assert_string_equal(e.msg, "data.result[0]: native histogram samples are not supported");
}

static void test_errors(void **state)
{
    struct series_set *set;
    struct promapi_error e;
    assert_int_equal(convert_file("error_bad_data.json", &set, &e), -1);
    assert_int_equal(e.kind, PROMAPI_E_QUERY);
    assert_string_equal(e.type, "bad_data");
    assert_string_equal(
        e.msg, "bad_data: invalid parameter \"query\": 1:5: parse error: unexpected <op:*>");
    assert_int_equal(convert_file("error_execution.json", &set, &e), -1);
    assert_string_equal(e.type, "execution");

    assert_int_equal(convert_file("malformed_truncated.json", &set, &e), -1);
    assert_int_equal(e.kind, PROMAPI_E_RESPONSE);
    assert_null(strchr(e.msg, '\n'));
    if (strncmp(e.msg, "invalid JSON from Prometheus: line 1 column ", 44) != 0)
        fail_msg("got '%s'", e.msg);

    assert_int_equal(convert_file("malformed_value.json", &set, &e), -1);
    assert_string_equal(e.msg, "data.result[1].values[1]: expected [timestamp, \"value\"]");

    static const struct {
        const char *json, *msg;
    } bad[] = {
        {"[]", "answer is not a JSON object"},
        {"{}", "status: missing or not a string"},
        {"{\"status\":\"maybe\"}", "status: unexpected value 'maybe'"},
        {"{\"status\":\"success\"}", "data: missing or not an object"},
        {"{\"status\":\"success\",\"data\":{}}", "data.resultType: missing or not a string"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":{}}}",
         "data.result: expected an array"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[1]}}",
         "data.result[0]: expected an object"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{"
         "\"a\":1},\"values\":[]}]}}",
         "data.result[0].metric.a: expected a string"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{}}]}"
         "}",
         "data.result[0].values: expected an array"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{"
         "\"\":\"x\"},\"values\":[]}]}}",
         "data.result[0].metric: label 0 has an empty name"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
         "\"value\":[1]}]}}",
         "data.result[0].value: expected [timestamp, \"value\"]"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[\"1\",\"2\"]}}",
         "data.result: expected [timestamp, \"value\"]"},
        {"{\"status\":\"error\"}", "error: (no error text)"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = promapi_matrix_to_series(bad[i].json, strlen(bad[i].json), "m", NULL, &set, &e);
        assert_int_equal(rc, -1);
        assert_null(set);
        if (strcmp(e.msg, bad[i].msg) != 0)
            fail_msg("case %zu: got '%s', want '%s'", i, e.msg, bad[i].msg);
    }
}

static void test_limits_and_warnings(void **state)
{
    struct series_set *set;
    struct promapi_error e;
    size_t len;
    char *j = slurp("matrix_multi.json", &len);
    struct series_limits lim = {.max_points = 5};
    assert_int_equal(promapi_matrix_to_series(j, len, "m", &lim, &set, &e), -1);
    assert_int_equal(e.kind, PROMAPI_E_LIMIT);
    assert_string_equal(
        e.msg, "data.result[2].values[0]: more than 5 points or 268435456 bytes of values");
    struct series_limits ls = {.max_series = 2};
    assert_int_equal(promapi_matrix_to_series(j, len, "m", &ls, &set, &e), -1);
    assert_string_equal(e.msg, "data.result[2]: more than 2 series");
    free(j);

    assert_int_equal(convert_file("warnings.json", &set, &e), 0);
    assert_non_null(strstr(e.warning, "might not be a counter"));
    assert_non_null(strstr(e.warning, "(+1 more)"));
    series_set_free(set);
}

static void test_targets(void **state)
{
    size_t len;
    char *j = slurp("targets.json", &len);
    int active, up;
    struct promapi_error e;
    assert_int_equal(promapi_parse_targets(j, len, &active, &up, &e), 0);
    assert_int_equal(active, 3);
    assert_int_equal(up, 1);
    free(j);
    const char *bad = "{\"status\":\"success\",\"data\":{}}";
    assert_int_equal(promapi_parse_targets(bad, strlen(bad), &active, &up, &e), -1);
    assert_string_equal(e.msg, "data.activeTargets: expected an array");
}

/* ---- a canned-answer HTTP server on loopback ----------------------------- */

struct canned {
    int lfd, port;
    const char *answers[8]; /* full HTTP responses, in order; the last repeats */
    int nanswers, served;
    char last_req[8192];
    pthread_t th;
};

static void *canned_main(void *arg)
{
    struct canned *c = arg;
    for (;;) {
        int fd = accept(c->lfd, NULL, NULL);
        if (fd < 0) return NULL;
        size_t n = 0;
        c->last_req[0] = '\0';
        for (;;) { /* read headers + Content-Length body */
            ssize_t r = read(fd, c->last_req + n, sizeof(c->last_req) - 1 - n);
            if (r <= 0) break;
            n += (size_t)r;
            c->last_req[n] = '\0';
            char *hend = strstr(c->last_req, "\r\n\r\n");
            if (!hend) continue;
            char *cl = strcasestr(c->last_req, "Content-Length:");
            size_t want = cl && cl < hend ? (size_t)atol(cl + 15) : 0;
            if (n >= (size_t)(hend + 4 - c->last_req) + want) break;
        }
        int i = c->served < c->nanswers ? c->served : c->nanswers - 1;
        const char *a = c->answers[i];
        c->served++;
        ssize_t w = write(fd, a, strlen(a));
        (void)w;
        close(fd);
    }
}

static void canned_start(struct canned *c)
{
    c->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(c->lfd, 16), 0);
    socklen_t sl = sizeof(sa);
    getsockname(c->lfd, (struct sockaddr *)&sa, &sl);
    c->port = ntohs(sa.sin_port);
    pthread_create(&c->th, NULL, canned_main, c);
}

static void canned_stop(struct canned *c)
{
    shutdown(c->lfd, SHUT_RDWR);
    close(c->lfd);
    pthread_join(c->th, NULL);
}

#define HTTP_JSON(status, body)                                                                    \
    "HTTP/1.1 " status "\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" body

static void test_http_form_and_retry(void **state)
{
    struct canned c = {
        .answers =
            {HTTP_JSON(
                 "503 Service Unavailable",
                 "{\"status\":\"error\",\"errorType\":\"unavailable\",\"error\":\"starting\"}"),
             HTTP_JSON("502 Bad Gateway", "oops"),
             HTTP_JSON("200 OK",
                       "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{"
                       "\"metric\":{\"pod\":\"node-0-0\"},\"values\":[[100,\"1\"]]}]}}")},
        .nanswers = 3};
    canned_start(&c);
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/prefix/", c.port);
    struct series_set *set;
    struct promapi_error e;
    struct promapi_opts o = {.retry_total_s = 10};
    int rc = promapi_query_range(url, "mem", "sum(x{a=\"b c\"}) / (1024*1024)", 1700000000,
                                 1700000030.5, 10, &o, &set, &e);
    if (rc) fail_msg("%s", e.msg);
    assert_int_equal(c.served, 3);
    assert_string_equal(set->name, "mem");
    assert_int_equal(set->nseries, 1);
    series_set_free(set);
    assert_non_null(strstr(c.last_req, "POST /prefix/api/v1/query_range HTTP/1.1"));
    assert_non_null(strstr(c.last_req, "Content-Type: application/x-www-form-urlencoded"));
    assert_non_null(strstr(c.last_req,
                           "\r\n\r\nquery=sum%28x%7Ba%3D%22b%20c%22%7D%29%20%2F%20%281024%2A1024%29"
                           "&start=1700000000.000&end=1700000030.500&step=10.000"));
    canned_stop(&c);
}

static void test_http_errors(void **state)
{
    struct canned c = {
        .answers =
            {HTTP_JSON("400 Bad Request",
                       "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"1:5: parse "
                       "error: unexpected end of input\"}"),
             "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n404 "
             "page not found\n",
             HTTP_JSON("200 OK",
                       "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]},"
                       "\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}"),
             HTTP_JSON("500 Internal Server Error",
                       "{\"status\":\"error\",\"errorType\":\"internal\",\"error\":\"boom\"}")},
        .nanswers = 4};
    canned_start(&c);
    char url[128];
    snprintf(url, sizeof(url), "http://user:secret@127.0.0.1:%d", c.port);
    struct series_set *set;
    struct promapi_error e;
    struct promapi_opts o = {.retry_total_s = 0.35};
    assert_int_equal(promapi_query_range(url, "m", "sum(up", 1, 2, 1, &o, &set, &e), -1);
    assert_int_equal(e.kind, PROMAPI_E_QUERY);
    assert_int_equal(e.http_status, 400);
    assert_string_equal(e.msg, "bad_data: 1:5: parse error: unexpected end of input");

    assert_int_equal(promapi_query_range(url, "m", "up", 1, 2, 1, &o, &set, &e), -1);
    assert_int_equal(e.kind, PROMAPI_E_HTTP);
    char want[256];
    snprintf(want, sizeof(want),
             "http://***@127.0.0.1:%d/api/v1/query_range: HTTP 404: 404 page not found (not a "
             "Prometheus API answer)",
             c.port);
    assert_string_equal(e.msg, want);
    assert_null(strstr(e.msg, "secret"));

    o.max_body = 64;
    assert_int_equal(promapi_query(url, "m", "up", 0, &o, &set, &e), -1);
    assert_int_equal(e.kind, PROMAPI_E_LIMIT);
    assert_non_null(strstr(e.msg, "response larger than 64 bytes"));
    o.max_body = 0;

    mono_us t0 = mono_now();
    assert_int_equal(promapi_query(url, "m", "up", 0, &o, &set, &e), -1);
    double took = (double)(mono_now() - t0) / 1e6;
    assert_int_equal(e.kind, PROMAPI_E_UNREACHABLE);
    assert_int_equal(e.http_status, 500);
    if (!strstr(e.msg, "HTTP 500: internal: boom (3 tries in ")) fail_msg("got '%s'", e.msg);
    assert_true(took >= 0.29); /* slept 0.1 + 0.2 between the tries */
    assert_true(took < 10);
    canned_stop(&c);
}

static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    socklen_t sl = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    close(fd); /* bound, never listened: connections are refused */
    return ntohs(sa.sin_port);
}

static void test_closed_port(void **state)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", closed_port());
    struct series_set *set = (void *)1;
    struct promapi_error e;
    struct promapi_opts o = {.retry_total_s = 0.5};
    mono_us t0 = mono_now();
    assert_int_equal(promapi_query_range(url, "m", "up", 1, 2, 1, &o, &set, &e), -1);
    double took = (double)(mono_now() - t0) / 1e6;
    assert_null(set);
    assert_int_equal(e.kind, PROMAPI_E_UNREACHABLE);
    assert_int_equal(e.http_status, 0);
    if (!strstr(e.msg, "/api/v1/query_range: Failed to connect to 127.0.0.1 port") ||
        !strstr(e.msg, "(3 tries in "))
        fail_msg("got '%s'", e.msg);
    assert_true(took >= 0.29 && took < 10);

    assert_int_equal(promapi_wait_ready(url, 0.3, NULL, &e), -1);
    assert_int_equal(e.kind, PROMAPI_E_UNREACHABLE);
    assert_non_null(strstr(e.msg, "/-/ready: not ready after 0.3 s: Failed to connect"));

    int a, u;
    o.retry_total_s = -1; /* no retry */
    assert_int_equal(promapi_targets_up(url, &o, &a, &u, &e), -1);
    assert_int_equal(e.kind, PROMAPI_E_UNREACHABLE);
    assert_null(strstr(e.msg, "tries"));

    assert_int_equal(promapi_query_range(url, "m", "up", 2, 1, 1, NULL, &set, &e), -1);
    assert_int_equal(e.kind, PROMAPI_E_ARG);
    assert_string_equal(e.msg, "bad window: start 2.000, end 1.000");
    assert_int_equal(promapi_query_range(url, "m", "up", 1, 2, 0, NULL, &set, &e), -1);
    assert_string_equal(e.msg, "step must be > 0 (got 0)");
    assert_int_equal(promapi_query_range("nosuch://x", "m", "up", 1, 2, 1, NULL, &set, &e), -1);
    assert_int_equal(e.kind, PROMAPI_E_ARG);

    atomic_int stop = 1;
    struct promapi_opts oc = {.cancel = &stop};
    assert_int_equal(promapi_query_range(url, "m", "up", 1, 2, 1, &oc, &set, &e), -1);
    assert_int_equal(e.kind, PROMAPI_E_CANCELLED);
}

/* ---- live: a real Prometheus named by MESHPERF_PROM_URL ------------------- */

static void test_live_prometheus(void **state)
{
    const char *url = getenv("MESHPERF_PROM_URL");
    if (!url || !*url) skip();
    struct promapi_error e;
    double wait = getenv("MESHPERF_PROM_WAIT") ? atof(getenv("MESHPERF_PROM_WAIT")) : 20;
    if (promapi_wait_ready(url, wait, NULL, &e)) fail_msg("%s", e.msg);
    if (promapi_wait_targets_up(url, 1, 30, NULL, &e)) fail_msg("%s", e.msg);
    int active, up;
    assert_int_equal(promapi_targets_up(url, NULL, &active, &up, &e), 0);
    assert_int_equal(active, 1);
    assert_int_equal(up, 1);

    /* query_range on `up`: the self-scrape series, value 1. */
    double now = (double)wall_ns() / 1e9;
    struct series_set *set;
    if (promapi_query_range(url, "up", "up", now - 30, now, 1, NULL, &set, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(set->nseries, 1);
    struct series *s = set->series[0];
    assert_string_equal(series_label(s, "__name__"), "up");
    assert_string_equal(series_label(s, "job"), "prometheus");
    assert_non_null(series_label(s, "instance"));
    assert_true(s->npoints >= 1);
    for (size_t i = 0; i < s->npoints; i++) {
        assert_string_equal(series_point_value(s, i), "1");
        assert_true(s->points[i].ts >= now - 30.001 && s->points[i].ts <= now + 0.001);
        if (i)
            assert_true(series_ts_ms(s->points[i].ts) - series_ts_ms(s->points[i - 1].ts) >= 1000);
    }
    struct buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(csvout_render(set, &b), 0);
    assert_int_equal(
        strncmp(b.data,
                "metric.__name__,metric.instance,metric.job,timestamp,up,normalized_ts\nup,", 72),
        0);
    buf_free(&b);
    series_set_free(set);

    /* A PromQL syntax error reaches the caller with Prometheus's own text. */
    assert_int_equal(promapi_query_range(url, "bad", "sum(up", now - 30, now, 1, NULL, &set, &e),
                     -1);
    assert_int_equal(e.kind, PROMAPI_E_QUERY);
    assert_int_equal(e.http_status, 400);
    assert_string_equal(e.type, "bad_data");
    if (!strstr(e.msg, "bad_data: ") || !strstr(e.msg, "parse error")) fail_msg("got '%s'", e.msg);
    printf("# PromQL error as shown: metric bad: %s\n", e.msg);

    /* An empty result: a set without series (header-only CSV). */
    if (promapi_query_range(url, "none", "up{job=\"nosuch\"}", now - 30, now, 1, NULL, &set, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(set->nseries, 0);
    series_set_free(set);

    /* Instant queries: scalar and vector. */
    if (promapi_query(url, "two", "1+1", 0, NULL, &set, &e)) fail_msg("%s", e.msg);
    assert_string_equal(series_point_value(set->series[0], 0), "2");
    series_set_free(set);
    if (promapi_query(url, "up", "up", now, NULL, &set, &e)) fail_msg("%s", e.msg);
    assert_int_equal(set->nseries, 1);
    assert_true(set->series[0]->points[0].ts == series_ts_ms(now) / 1000.0);
    series_set_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix),          cmocka_unit_test(test_vector_scalar_string),
        cmocka_unit_test(test_errors),          cmocka_unit_test(test_limits_and_warnings),
        cmocka_unit_test(test_targets),         cmocka_unit_test(test_http_form_and_retry),
        cmocka_unit_test(test_http_errors),     cmocka_unit_test(test_closed_port),
        cmocka_unit_test(test_live_prometheus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
