/* Unit tests for loadgen.c through its public API: option checks, the
 * one-line errors when nothing can run, exact -n counts, stopping a run
 * from another thread while reading its progress, and aborting a run whose
 * requests (or pre-flight TLS handshake) would otherwise wait for their
 * timeout. The target is a small HTTP responder running in a thread of
 * this test, or a listening socket that never accepts (the kernel
 * completes the TCP handshake; nothing is ever answered). */
#include "cm.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "load/hist.h"
#include "load/loadgen.h"
#include "base/mono.h"
#include "net/sock.h"

/* ---- a tiny keep-alive responder: "200 OK", empty body ---- */

#define SRV_MAX 64
struct srv {
    int lfd, port;
    atomic_bool stop;
    atomic_ulong served;
    pthread_t tid;
};

static void *srv_main(void *arg)
{
    struct srv *s = arg;
    struct pollfd p[SRV_MAX + 1];
    char buf[SRV_MAX][2048];
    size_t len[SRV_MAX];
    int n = 0;
    p[0].fd = s->lfd;
    p[0].events = POLLIN;
    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    while (!atomic_load(&s->stop)) {
        if (poll(p, (nfds_t)n + 1, 20) <= 0) continue;
        if (p[0].revents & POLLIN) {
            int c = sock_accept(s->lfd, NULL);
            if (c >= 0 && n < SRV_MAX) {
                p[n + 1].fd = c;
                p[n + 1].events = POLLIN;
                p[n + 1].revents = 0;
                len[n] = 0;
                n++;
            } else if (c >= 0) {
                close(c);
            }
        }
        for (int i = 0; i < n; i++) {
            if (!(p[i + 1].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t r = recv(p[i + 1].fd, buf[i] + len[i], sizeof buf[i] - len[i], 0);
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (r <= 0) {
                close(p[i + 1].fd);
                p[i + 1] = p[n];
                memcpy(buf[i], buf[n - 1], len[n - 1]);
                len[i] = len[n - 1];
                n--;
                i--;
                continue;
            }
            len[i] += (size_t)r;
            char *e;
            while ((e = memmem(buf[i], len[i], "\r\n\r\n", 4))) {
                size_t hl = (size_t)(e - buf[i]) + 4;
                memmove(buf[i], buf[i] + hl, len[i] - hl);
                len[i] -= hl;
                atomic_fetch_add(&s->served, 1);
                if (send(p[i + 1].fd, resp, sizeof resp - 1, MSG_NOSIGNAL) < 0) break;
            }
        }
    }
    for (int i = 0; i < n; i++)
        close(p[i + 1].fd);
    return NULL;
}

static void srv_start(struct srv *s)
{
    char err[256];
    memset(s, 0, sizeof *s);
    s->lfd = sock_listen("127.0.0.1", 0, 128, false, err, sizeof err);
    assert_true(s->lfd >= 0);
    s->port = sock_local_port(s->lfd);
    assert_true(s->port > 0);
    assert_int_equal(pthread_create(&s->tid, NULL, srv_main, s), 0);
}

static void srv_stop(struct srv *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->tid, NULL);
    close(s->lfd);
}

/* ---- tests ---- */

static void test_opts_check(void **state)
{
    struct loadgen_opts o;
    char err[256];
    loadgen_opts_init(&o);
    assert_int_equal(o.connections, 4);
    assert_true(o.qps == 8);
    assert_int_equal(o.duration_us, 5000000);
    assert_int_equal(o.timeout_us, 3000000);
    assert_int_equal(loadgen_opts_check(&o, err, sizeof err), -1);
    assert_string_equal(err, "missing URL");
    o.url = "http://127.0.0.1:9/";
    assert_int_equal(loadgen_opts_check(&o, err, sizeof err), 0);
    o.qps = -1;
    assert_int_equal(loadgen_opts_check(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "-qps"));
    o.qps = 0;
    o.connections = 0;
    assert_int_equal(loadgen_opts_check(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "-c"));
    o.connections = 1;
    const char *hs[] = {"X-Ok: 1", "bad header"};
    o.headers = hs;
    o.nheaders = 2;
    assert_int_equal(loadgen_opts_check(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "'bad header'"));
    o.nheaders = 1;
    o.method = "G T";
    assert_int_equal(loadgen_opts_check(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "-X"));
    o.method = NULL;
    o.url = "ftp://x/";
    assert_int_equal(loadgen_opts_check(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "ftp://x/"));
    /* a rate so low that i / qps leaves int64: refused, naming -qps */
    o.url = "http://127.0.0.1:9/";
    o.qps = 1e-300;
    assert_int_equal(loadgen_opts_check(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "flag -qps: "));
    assert_non_null(strstr(err, "0.001"));
    assert_null(strchr(err, '\n'));
    o.qps = LOADGEN_MIN_QPS * 0.99;
    assert_int_equal(loadgen_opts_check(&o, err, sizeof err), -1);
    o.qps = LOADGEN_MIN_QPS;
    assert_int_equal(loadgen_opts_check(&o, err, sizeof err), 0);
    o.qps = 0;
    assert_int_equal(loadgen_opts_check(&o, err, sizeof err), 0);
}

static void test_refused_is_one_line(void **state)
{
    struct srv s;
    srv_start(&s);
    int port = s.port;
    srv_stop(&s); /* port now closed */
    char url[64], err[256] = "";
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    struct loadgen_opts o;
    loadgen_opts_init(&o);
    o.url = url;
    struct loadgen_result *r = (void *)1;
    assert_int_equal(loadgen_run(&o, &r, err, sizeof err), -1);
    assert_null(r);
    assert_non_null(strstr(err, "Connection refused"));
    assert_null(strchr(err, '\n'));
}

static void test_exact_count(void **state)
{
    struct srv s;
    srv_start(&s);
    char url[64], err[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", s.port);
    struct loadgen_opts o;
    loadgen_opts_init(&o);
    o.url = url;
    o.qps = 0;
    o.count = 503;
    o.connections = 5;
    o.threads = 2;
    struct loadgen_result *r = NULL;
    assert_int_equal(loadgen_run(&o, &r, err, sizeof err), 0);
    assert_int_equal(r->requests, 503);
    assert_int_equal(atomic_load(&s.served), 503);
    assert_int_equal(hist_count(r->latency), 503);
    assert_int_equal(hist_count(r->latency_uncorrected), 503);
    assert_int_equal(r->ncodes, 1);
    assert_int_equal(r->codes[0].code, 200);
    assert_int_equal(r->codes[0].count, 503);
    assert_int_equal(r->errors, 0);
    assert_int_equal(r->threads, 2);
    assert_int_equal(r->sockets, 5);
    loadgen_result_free(r);
    loadgen_result_free(NULL);
    srv_stop(&s);
}

struct stopper {
    struct loadgen_ctl *ctl;
    struct loadgen_progress seen;
};

static void *stopper_main(void *arg)
{
    struct stopper *st = arg;
    mono_us end = mono_now() + 5 * MONO_US_PER_SEC;
    while (mono_now() < end) {
        struct loadgen_progress p;
        if (loadgen_ctl_progress(st->ctl, &p) == 0 && p.requests >= 50) {
            st->seen = p;
            break;
        }
        usleep(2000);
    }
    loadgen_ctl_stop(st->ctl);
    return NULL;
}

static void test_ctl_stop_and_progress(void **state)
{
    struct srv s;
    srv_start(&s);
    char url[64], err[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", s.port);
    struct loadgen_ctl *ctl = loadgen_ctl_new();
    assert_non_null(ctl);
    struct loadgen_progress p;
    assert_int_equal(loadgen_ctl_progress(ctl, &p), -1);
    assert_false(p.running);
    struct loadgen_opts o;
    loadgen_opts_init(&o);
    o.url = url;
    o.qps = 500;
    o.duration_us = 0; /* until stopped */
    o.connections = 2;
    o.threads = 2;
    o.ctl = ctl;
    struct stopper st = {.ctl = ctl};
    pthread_t tid;
    assert_int_equal(pthread_create(&tid, NULL, stopper_main, &st), 0);
    mono_us t0 = mono_now();
    struct loadgen_result *r = NULL;
    assert_int_equal(loadgen_run(&o, &r, err, sizeof err), 0);
    mono_us took = mono_now() - t0;
    pthread_join(tid, NULL);
    assert_true(st.seen.running);
    assert_true(st.seen.requests >= 50);
    assert_true(st.seen.elapsed_us > 0);
    assert_true(r->stopped);
    assert_true(loadgen_ctl_stopped(ctl));
    assert_true(r->requests >= st.seen.requests);
    assert_int_equal(r->requests, atomic_load(&s.served));
    assert_true(took < 5 * MONO_US_PER_SEC);
    loadgen_result_free(r);
    loadgen_ctl_free(ctl);
    loadgen_ctl_free(NULL);
    srv_stop(&s);
}

/* ---- abort ---- */

struct aborter {
    struct loadgen_ctl *ctl;
    int64_t after_start_us;  /* > 0: act this long after the schedule started */
    int64_t after_launch_us; /* > 0: act this long after this thread started */
    bool plain_stop;         /* loadgen_ctl_stop instead of loadgen_ctl_abort */
};

static void *aborter_main(void *arg)
{
    struct aborter *a = arg;
    mono_us t0 = mono_now();
    mono_us end = t0 + 5 * MONO_US_PER_SEC;
    while (mono_now() < end) {
        struct loadgen_progress p;
        if (a->after_start_us > 0 && loadgen_ctl_progress(a->ctl, &p) == 0 &&
            p.elapsed_us >= a->after_start_us)
            break;
        if (a->after_launch_us > 0 && mono_now() - t0 >= a->after_launch_us) break;
        usleep(2000);
    }
    if (a->plain_stop)
        loadgen_ctl_stop(a->ctl);
    else
        loadgen_ctl_abort(a->ctl);
    return NULL;
}

/* A loopback listener that never accepts. */
static int silent_listener(int *port)
{
    char err[256];
    int fd = sock_listen("127.0.0.1", 0, 16, false, err, sizeof err);
    assert_true(fd >= 0);
    *port = sock_local_port(fd);
    return fd;
}

/* Run o (o->ctl set) with an aborter thread; returns how long the run took. */
static mono_us run_with(struct loadgen_opts *o, struct aborter *a, struct loadgen_result **r)
{
    char err[256] = "";
    pthread_t tid;
    assert_int_equal(pthread_create(&tid, NULL, aborter_main, a), 0);
    mono_us t0 = mono_now();
    int rc = loadgen_run(o, r, err, sizeof err);
    mono_us took = mono_now() - t0;
    pthread_join(tid, NULL);
    if (rc != 0) fail_msg("loadgen_run: %s", err);
    return took;
}

/* Requests in flight to a target that never answers, 20 s timeout: a stop
 * would wait for it; an abort ends the run at once and fails them as -1. */
static void test_ctl_abort_in_flight(void **state)
{
    int port, lfd = silent_listener(&port);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    struct loadgen_ctl *ctl = loadgen_ctl_new();
    assert_non_null(ctl);
    struct loadgen_opts o;
    loadgen_opts_init(&o);
    o.url = url;
    o.qps = 100;
    o.duration_us = 0; /* until stopped */
    o.connections = 2;
    o.threads = 2;
    o.timeout_us = 20 * MONO_US_PER_SEC;
    o.ctl = ctl;
    struct aborter a = {.ctl = ctl, .after_start_us = 100000};
    struct loadgen_result *r = NULL;
    mono_us took = run_with(&o, &a, &r);
    assert_true(took < 5 * MONO_US_PER_SEC);
    assert_true(r->stopped);
    assert_true(loadgen_ctl_stopped(ctl));
    /* one request written per connection, none answered: both are -1 */
    assert_int_equal(r->requests, 2);
    assert_int_equal(r->socket_errors, 2);
    assert_int_equal(r->errors, 2);
    assert_int_equal(r->ncodes, 1);
    assert_int_equal(r->codes[0].code, -1);
    assert_int_equal(hist_count(r->errors_latency), 2);
    /* ~10 were due in 100 ms; those not written are unsent */
    assert_true(r->unsent >= 3);
    loadgen_result_free(r);
    loadgen_ctl_free(ctl);
    close(lfd);
}

/* https to a target that never answers: the pre-flight TLS handshake
 * waits for the server's hello (20 s timeout). Both a stop and an abort
 * end it at once, with an empty result. */
static void test_ctl_stop_in_preflight(void **state)
{
    int port, lfd = silent_listener(&port);
    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%d/", port);
    for (int i = 0; i < 2; i++) {
        struct loadgen_ctl *ctl = loadgen_ctl_new();
        assert_non_null(ctl);
        struct loadgen_opts o;
        loadgen_opts_init(&o);
        o.url = url;
        o.qps = 10;
        o.duration_us = 0;
        o.connections = 1;
        o.timeout_us = 20 * MONO_US_PER_SEC;
        o.ctl = ctl;
        struct aborter a = {.ctl = ctl, .after_launch_us = 200000, .plain_stop = i == 0};
        struct loadgen_result *r = NULL;
        mono_us took = run_with(&o, &a, &r);
        assert_true(took >= 150000); /* it did wait for the target */
        assert_true(took < 5 * MONO_US_PER_SEC);
        assert_true(r->stopped);
        assert_int_equal(r->requests, 0);
        loadgen_result_free(r);
        loadgen_ctl_free(ctl);
    }
    close(lfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opts_check),          cmocka_unit_test(test_refused_is_one_line),
        cmocka_unit_test(test_exact_count),         cmocka_unit_test(test_ctl_stop_and_progress),
        cmocka_unit_test(test_ctl_abort_in_flight), cmocka_unit_test(test_ctl_stop_in_preflight),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
