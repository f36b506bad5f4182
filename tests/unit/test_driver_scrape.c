/* Unit tests for the driver's helpers: the /metrics sample parser
 * (driver_scrape_parse), scraping two containers of one replica (an app
 * and a sidecar, each a target with its own container label, served by a
 * tiny HTTP server in a thread), and the results layout (results.c; the
 * store itself is tested in test_store_dir.c). */
#include "cm.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/driver_scrape.h"
#include "run/results.h"
#include "metrics/series.h"

struct got {
    char line[16][160];
    size_t n;
};

static void collect(void *arg, const char *code, const char *path, double v)
{
    struct got *g = arg;
    if (g->n < 16) snprintf(g->line[g->n++], sizeof g->line[0], "%s|%s|%g", code, path, v);
}

static void test_parse_samples(void **state)
{
    const char *text =
        "# HELP meshperf_requests_total Requests answered.\n"
        "# TYPE meshperf_requests_total counter\n"
        "meshperf_requests_total{code=\"200\",path=\"root\"} 1500\n"
        "meshperf_requests_total{path=\"health\", code=\"200\"} 3\r\n"
        "meshperf_requests_total_other{code=\"200\",path=\"root\"} 9\n"
        "meshperf_requests_totalx 9\n"
        "meshperf_request_duration_seconds_bucket{path=\"root\",le=\"0.1\"} 7\n"
        "meshperf_requests_total{code=\"500\",path=\"ro\\\"ot\"} 2 1700000000000\n"
        "meshperf_requests_total{code=\"404\"} +Inf\n"
        "meshperf_requests_total 12\n"
        "meshperf_requests_total{code=\"200\",path=\"root\"} notanumber\n"
        "meshperf_requests_total{code=\"200\",path=\"unterminated} 5\n"
        "meshperf_requests_total{code=\"201\",path=\"echo\"} 4"; /* no final newline */
    struct got g = {0};
    size_t n = driver_scrape_parse(text, strlen(text), "meshperf_requests_total", collect, &g);
    assert_int_equal(n, 6);
    assert_int_equal(g.n, 6);
    assert_string_equal(g.line[0], "200|root|1500");
    assert_string_equal(g.line[1], "200|health|3");
    assert_string_equal(g.line[2], "500|ro\"ot|2");
    assert_string_equal(g.line[3], "404||inf");
    assert_string_equal(g.line[4], "||12");
    assert_string_equal(g.line[5], "201|echo|4");
}

static void test_parse_never_overreads(void **state)
{
    /* Every prefix of a line must parse without reading past its end
     * (ASan catches an over-read of the exact-size copy). */
    const char *line = "meshperf_requests_total{code=\"200\",path=\"root\"} 15\n";
    for (size_t len = 0; len <= strlen(line); len++) {
        char *copy = malloc(len ? len : 1);
        memcpy(copy, line, len);
        struct got g = {0};
        driver_scrape_parse(copy, len, "meshperf_requests_total", collect, &g);
        free(copy);
    }
}

/* A loopback HTTP server answering every request with one fixed
 * /metrics body, until its listening socket is shut down. */
struct fake_metrics {
    int fd;
    int port;
    const char *body;
    pthread_t th;
};

static void *fake_metrics_run(void *arg)
{
    struct fake_metrics *f = arg;
    for (;;) {
        int c = accept(f->fd, NULL, NULL);
        if (c < 0) return NULL;
        char req[2048];
        ssize_t n = read(c, req, sizeof req); /* one small GET: one read does */
        (void)n;
        char head[256];
        int hl = snprintf(head, sizeof head,
                          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                          "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                          strlen(f->body));
        ssize_t w = write(c, head, (size_t)hl);
        w = write(c, f->body, strlen(f->body));
        (void)w;
        close(c);
    }
}

static void fake_metrics_start(struct fake_metrics *f, const char *body)
{
    f->body = body;
    f->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(f->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(f->fd, 16), 0);
    assert_int_equal(getsockname(f->fd, (struct sockaddr *)&a, &al), 0);
    f->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&f->th, NULL, fake_metrics_run, f), 0);
}

static void fake_metrics_stop(struct fake_metrics *f)
{
    shutdown(f->fd, SHUT_RDWR);
    pthread_join(f->th, NULL);
    close(f->fd);
}

static void test_scrape_containers(void **state)
{
    (void)state;
    struct fake_metrics app, side;
    fake_metrics_start(&app, "meshperf_requests_total{code=\"200\",path=\"root\"} 7\n");
    fake_metrics_start(&side, "meshperf_requests_total{code=\"200\",path=\"root\"} 9\n"
                              "meshperf_requests_total{code=\"503\",path=\"root\"} 1\n");
    char err[256], a1[32], a2[32];
    snprintf(a1, sizeof a1, "127.0.0.1:%d", app.port);
    snprintf(a2, sizeof a2, "127.0.0.1:%d", side.port);
    struct driver_scrape *s = driver_scrape_new(3600, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(driver_scrape_add(s, a1, "node-0-0", "app", "ns", err, sizeof err), 0);
    assert_int_equal(driver_scrape_add(s, a2, "node-0-0", "proxy", "ns", err, sizeof err), 0);
    assert_int_equal(driver_scrape_start(s, err, sizeof err), 0);
    driver_scrape_stop(s);
    struct series_set *set = driver_scrape_take(s);
    assert_non_null(set);
    assert_string_equal(set->name, DRIVER_SCRAPE_METRIC);
    assert_int_equal(set->nseries, 3);
    int seen = 0;
    for (size_t i = 0; i < set->nseries; i++) {
        struct series *x = set->series[i];
        assert_string_equal(series_label(x, "pod"), "node-0-0");
        assert_string_equal(series_label(x, "namespace"), "ns");
        const char *c = series_label(x, "container"), *code = series_label(x, "code");
        assert_int_equal(x->npoints, 2); /* at start and at stop */
        const char *v = series_point_value(x, 1);
        if (!strcmp(c, "app") && !strcmp(code, "200") && !strcmp(v, "7")) seen |= 1;
        if (!strcmp(c, "proxy") && !strcmp(code, "200") && !strcmp(v, "9")) seen |= 2;
        if (!strcmp(c, "proxy") && !strcmp(code, "503") && !strcmp(v, "1")) seen |= 4;
    }
    assert_int_equal(seen, 7);
    series_set_free(set);
    driver_scrape_free(s);
    fake_metrics_stop(&app);
    fake_metrics_stop(&side);
}

static void test_driver_ts(void **state)
{
    char ts[32];
    setenv("TZ", "UTC", 1);
    tzset();
    assert_string_equal(results_driver_ts(1700000000, ts, sizeof ts), "20231114221320");
    char key[64];
    assert_int_equal(results_key(key, sizeof key, "t", "20231114221320", "fortio.json"), 0);
    assert_string_equal(key, "t/20231114221320/fortio.json");
    assert_int_equal(results_key(key, 8, "t", "20231114221320", "fortio.json"), -1);
}

static void test_results_put_csv(void **state)
{
    char root[] = "/tmp/test_driver_scrape.XXXXXX";
    assert_non_null(mkdtemp(root));
    char dir[128], err[256], path[256];
    snprintf(dir, sizeof dir, "%s/a/b", root);
    struct store *s = store_open(dir, err, sizeof err);
    assert_non_null(s);
    struct series_set *set = series_set_new("m", NULL);
    struct series *se;
    struct series_label l[] = {{"pod", "node-0-0"}};
    assert_int_equal(series_set_add(set, l, 1, &se, err, sizeof err), 0);
    series_add_double(set, se, 1700000000, 1.5);
    series_add_double(set, se, 1700000001, 2);
    assert_int_equal(results_put_csv(s, "t1", "20240101000000", set, err, sizeof err), 0);
    /* a metric name that cannot be a file name */
    assert_int_equal(series_set_rename(set, "a/b"), 0);
    assert_int_equal(results_put_csv(s, "t1", "20240101000000", set, err, sizeof err), -1);
    assert_string_equal(err, "metric name 'a/b' cannot be a file name");
    series_set_free(set);
    snprintf(path, sizeof path, "%s/t1/20240101000000/m.csv", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char csv[256] = {0};
    size_t n = fread(csv, 1, sizeof csv - 1, f);
    fclose(f);
    csv[n] = '\0';
    assert_string_equal(csv, "metric.pod,timestamp,m,normalized_ts\n"
                             "node-0-0,1700000000,1.5,0\n"
                             "node-0-0,1700000001,2,1\n");
    store_free(s);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_samples),     cmocka_unit_test(test_parse_never_overreads),
        cmocka_unit_test(test_scrape_containers), cmocka_unit_test(test_driver_ts),
        cmocka_unit_test(test_results_put_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
