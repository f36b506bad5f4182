/* Unit tests for promcollect.c without a Prometheus (the live ones, with a
 * real Prometheus, are in test_promlocal.c):
 * - a closed port: every metric fails as "unreachable" within a bounded
 *   time (only the first one spends the retry budget), errors.json has one
 *   entry per metric in the documented shape, no CSV is written, and the
 *   warnings name each metric; the short-window warning is given.
 * - cancel already set: every metric recorded as "cancelled", at once.
 * - a server that accepts and never answers (a hung Prometheus): with the
 *   default request timeout each request ends within the retry budget (not
 *   promapi's 30 s); a cancel set by another thread while a request hangs
 *   ends the call within about a second. */
#include "cm.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/config.h"
#include "base/errbuf.h"
#include "base/mono.h"
#include "run/promcollect.h"
#include "run/results.h"

struct warns {
    char lines[16][2 * ERRBUF_LEN];
    int n;
};

static void on_warn(void *arg, const char *line)
{
    struct warns *w = arg;
    if (w->n < 16) snprintf(w->lines[w->n++], sizeof w->lines[0], "%s", line);
}

static int warned(const struct warns *w, const char *needle)
{
    for (int i = 0; i < w->n; i++)
        if (strstr(w->lines[i], needle)) return 1;
    return 0;
}

/* A loopback port with nothing listening (bound, then closed). */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* A loopback port that accepts connections (kernel backlog) and never
 * answers: listening, never accept()ed. Returns the fd to close. */
static int hung_port(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 16), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static char *tmpdir(void)
{
    char *d = malloc(512);
    const char *t = getenv("TMPDIR");
    snprintf(d, 512, "%s/meshperf-pc.XXXXXX", t && *t ? t : "/tmp");
    assert_non_null(mkdtemp(d));
    return d;
}

static void rmrf(const char *d)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
}

static struct config_metric metrics[] = {
    {"mem", "sum(container_memory_working_set_bytes)"},
    {"cpu", "sum(rate(container_cpu_usage_seconds_total[5s]))"},
    {"rps", "sum(rate(meshperf_requests_total[5s])) by (pod)"},
};

static void test_closed_port(void **state)
{
    char *dir = tmpdir();
    char err[ERRBUF_LEN], url[64], path[700];
    struct store *st = store_open(dir, err, sizeof err);
    assert_non_null(st);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", closed_port());
    struct warns w = {0};
    struct promcollect_opts o = {.retry_total_s = 1.0, .warn = on_warn, .warn_arg = &w};
    struct promcollect_result r;
    mono_us t0 = mono_now();
    int rc = promcollect_run(url, metrics, 3, 1700000000, 1700000010, 10, st, "t", "20240101000000",
                             &o, &r);
    double took = (double)(mono_now() - t0) / 1e6;
    assert_int_equal(rc, -1);
    assert_int_equal(r.written, 0);
    assert_int_equal(r.empty, 0);
    assert_int_equal(r.failed, 3);
    assert_int_equal(r.cancelled, 0);
    print_message("# closed port: 3 metrics failed in %.2fs\n", took);
    assert_true(took >= 0.5); /* the first metric retried (backoff 0.1+0.2+0.4 s) */
    assert_true(took < 8.0);  /* ... and the others did not */
    assert_true(warned(&w, "fewer than 3 query steps"));
    assert_true(warned(&w, "test t: metric mem: "));
    assert_true(warned(&w, "test t: metric rps: "));

    snprintf(path, sizeof path, "%s/t/20240101000000/errors.json", dir);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j) fail_msg("%s: %s", path, je.text);
    assert_true(json_is_array(j));
    assert_int_equal(json_array_size(j), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *e = json_array_get(j, i);
        assert_int_equal(json_object_size(e), 3);
        assert_string_equal(json_string_value(json_object_get(e, "metric")), metrics[i].name);
        assert_string_equal(json_string_value(json_object_get(e, "kind")), "unreachable");
        const char *msg = json_string_value(json_object_get(e, "error"));
        assert_non_null(msg);
        assert_non_null(strstr(msg, "127.0.0.1"));
    }
    json_decref(j);
    struct stat sb;
    snprintf(path, sizeof path, "%s/t/20240101000000/mem.csv", dir);
    assert_int_equal(stat(path, &sb), -1);
    store_free(st);
    rmrf(dir);
    free(dir);
}

static void test_cancelled(void **state)
{
    char *dir = tmpdir();
    char err[ERRBUF_LEN], url[64], path[700];
    struct store *st = store_open(dir, err, sizeof err);
    assert_non_null(st);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", closed_port());
    atomic_int cancel = 1;
    struct warns w = {0};
    struct promcollect_opts o = {.cancel = &cancel, .warn = on_warn, .warn_arg = &w};
    struct promcollect_result r;
    mono_us t0 = mono_now();
    assert_int_equal(
        promcollect_run(url, metrics, 3, 1700000000, 1700000060, 10, st, "t", "ts", &o, &r), -1);
    assert_true(mono_now() - t0 < MONO_US_PER_SEC);
    assert_int_equal(r.failed, 3);
    assert_int_equal(r.cancelled, 1);
    assert_int_equal(w.n, 0); /* a 60 s window over 10 s steps: no warning */
    snprintf(path, sizeof path, "%s/t/ts/errors.json", dir);
    json_t *j = json_load_file(path, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_array_size(j), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 2), "kind")),
                        "cancelled");
    json_decref(j);
    store_free(st);
    rmrf(dir);
    free(dir);
}

/* kind of errors.json entry i of dir/t/ts, or "" */
static void entry_kind(const char *dir, size_t i, char *out, size_t outlen)
{
    char path[700];
    snprintf(path, sizeof path, "%s/t/ts/errors.json", dir);
    json_t *j = json_load_file(path, 0, NULL);
    const char *k = json_string_value(json_object_get(json_array_get(j, i), "kind"));
    snprintf(out, outlen, "%s", k ? k : "");
    json_decref(j);
}

static void test_hung_bounded(void **state)
{
    char *dir = tmpdir();
    char err[ERRBUF_LEN], url[64], kind[32];
    struct store *st = store_open(dir, err, sizeof err);
    assert_non_null(st);
    int port, lfd = hung_port(&port);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    struct warns w = {0};
    /* request_timeout_s 0: no longer than the 1 s budget */
    struct promcollect_opts o = {.retry_total_s = 1.0, .warn = on_warn, .warn_arg = &w};
    struct promcollect_result r;
    mono_us t0 = mono_now();
    assert_int_equal(
        promcollect_run(url, metrics, 2, 1700000000, 1700000060, 10, st, "t", "ts", &o, &r), -1);
    double took = (double)(mono_now() - t0) / 1e6;
    print_message("# hung server: 2 metrics failed in %.2fs\n", took);
    assert_true(took >= 1.5); /* each request waited for its timeout */
    assert_true(took < 6.0);  /* ... of about 1 s, not 30 s */
    assert_int_equal(r.failed, 2);
    assert_int_equal(r.cancelled, 0);
    entry_kind(dir, 1, kind, sizeof kind);
    assert_string_equal(kind, "unreachable");
    close(lfd);
    store_free(st);
    rmrf(dir);
    free(dir);
}

static void *cancel_later(void *arg)
{
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);
    atomic_store((atomic_int *)arg, 1);
    return NULL;
}

static void test_hung_cancelled(void **state)
{
    char *dir = tmpdir();
    char err[ERRBUF_LEN], url[64], kind[32];
    struct store *st = store_open(dir, err, sizeof err);
    assert_non_null(st);
    int port, lfd = hung_port(&port);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    atomic_int cancel = 0;
    struct warns w = {0};
    struct promcollect_opts o = {.retry_total_s = 10,
                                 .request_timeout_s = 10,
                                 .cancel = &cancel,
                                 .warn = on_warn,
                                 .warn_arg = &w};
    struct promcollect_result r;
    pthread_t th;
    mono_us t0 = mono_now();
    assert_int_equal(pthread_create(&th, NULL, cancel_later, &cancel), 0);
    assert_int_equal(
        promcollect_run(url, metrics, 3, 1700000000, 1700000060, 10, st, "t", "ts", &o, &r), -1);
    double took = (double)(mono_now() - t0) / 1e6;
    pthread_join(th, NULL);
    print_message("# hung server, cancelled after 0.3 s: returned in %.2fs\n", took);
    assert_true(took < 3.0);
    assert_int_equal(r.failed, 3);
    assert_int_equal(r.cancelled, 1);
    for (size_t i = 0; i < 3; i++) {
        entry_kind(dir, i, kind, sizeof kind);
        assert_string_equal(kind, "cancelled");
    }
    close(lfd);
    store_free(st);
    rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_port),
        cmocka_unit_test(test_cancelled),
        cmocka_unit_test(test_hung_bounded),
        cmocka_unit_test(test_hung_cancelled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
