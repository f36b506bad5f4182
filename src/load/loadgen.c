/* loadgen.c: the open-loop HTTP/1.1 load generator (contract in loadgen.h).
 *
 * How it works. loadgen_run checks the options, resolves the target and
 * makes one blocking pre-flight connection (and TLS handshake, in
 * loadgen_setup.c) so that a dead target gives one clear line instead of a
 * run full of errors; it also watches the control's stop eventfd, so a
 * stop or abort does not wait for a silent target. It then
 * starts T threads; connection j of C belongs to thread j % T. Each thread
 * owns a loop.h event loop, its connections, histograms and counters.
 * Threads first connect all their connections (warm-up, not measured), then
 * meet at a gate where the main thread fixes the common start time.
 *
 * Each connection is a small state machine (CLOSED, CONNECTING, HANDSHAKE,
 * IDLE, WRITING, READING). It "takes" requests from the schedule: in rate
 * mode connection j takes requests j, j + C, ... (request i due at
 * start + i / qps) and arms its one intrusive timer at the due time; in max
 * mode it takes the next request from its thread's quota as soon as the
 * previous one completed. Sending is one write of the prebuilt request;
 * the response is framed by http_frame.h: the head is parsed in place in
 * the connection's read buffer and the body is skipped by length or fed to
 * the chunked decoder without being kept. The fd stays registered for reading only, so
 * a request costs one write and one read (plus its share of epoll_pwait2):
 * no epoll_ctl, no allocation. Per-request timeouts are enforced by one
 * sweep timer per thread instead of a timer per request. In max mode the
 * threads run SCHED_BATCH and poll 20 us before sleeping (thread_main says
 * why); rate mode keeps normal scheduling and sleeps at once.
 *
 * Ending: in rate mode every request of the schedule (all are due before
 * start + duration) is sent, however late; a thread whose connections have
 * all finished their share ends. At start + duration + timeout whatever is
 * still unsent counts as `unsent` and whatever is in flight as a timeout.
 * In max mode (and on loadgen_ctl_stop) a thread enters DRAIN at
 * start + duration: it stops taking requests, counts requests that were due
 * but never written as `unsent`, and waits for the requests in flight, each
 * bounded by its timeout (the sweep fails them). loadgen_ctl_abort (its own
 * eventfd, as a stop may have come first) drains and then fails whatever is
 * in flight at once, as rate mode does at duration + timeout. Then the main
 * thread joins the threads and merges their histograms and counters
 * exactly. */
#include "load/loadgen.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "base/errbuf.h"
#include "load/hist.h"
#include "net/http_frame.h"
#include "load/loadgen_setup.h"
#include "net/loop.h"
#include "base/mono.h"
#include "net/sock.h"
#include "net/transport.h"
#include "net/url.h"

#ifndef MESHPERF_VERSION
#define MESHPERF_VERSION "dev"
#endif

#define LG_RBUF           16384 /* per-connection read buffer; also the head size cap */
#define LG_MAX_HEADERS    100   /* response header lines */
#define LG_CODES          1000  /* status codes 0..999 */
#define LG_BACKOFF_MIN_US 1000  /* reconnect backoff after a failure, max mode */
#define LG_BACKOFF_MAX_US 100000
#define LG_LAT_MAX        3600000000LL /* 1 h in us */
#define LG_SIZE_MAX       (1LL << 40)
#define LG_POLL_US        20   /* max mode: busy-poll before sleeping (loop_set_poll) */
#define LG_DUE_MAX        1e16 /* us after start (~317 years): cap of a due time */

/* ---- control block ---- */

struct lg_run;

struct loadgen_ctl {
    atomic_bool stop;
    atomic_bool abort;
    int efd;  /* eventfd, written by stop (and abort); every thread's loop watches it */
    int aefd; /* eventfd, written by abort only (a stop may have come first) */
    pthread_mutex_t mu;
    struct lg_run *run; /* the run in progress, under mu */
};

/* ---- per-connection and per-thread state ---- */

enum lg_state { C_CLOSED, C_CONNECTING, C_HANDSHAKE, C_IDLE, C_WRITING, C_READING };
enum lg_phase { P_WARMUP, P_RUN, P_DRAIN };

struct lg_thread;

struct lg_conn {
    struct lg_thread *t;
    struct conn_io io;
    struct loop_timer timer; /* due time (rate mode) or reconnect backoff */
    enum lg_state state;
    unsigned events; /* interest registered with the loop; 0 = not registered */
    bool pending;    /* a request is taken and not yet finished */
    bool finished;   /* takes no more requests */
    bool queued;     /* in the thread's send queue (max mode) */
    uint64_t j;      /* global connection index */
    uint64_t k;      /* requests taken so far */
    mono_us due, sent, deadline;
    int64_t backoff;
    size_t wpos;          /* request bytes written */
    size_t rlen;          /* head bytes buffered */
    struct http_frame fr; /* the response being read */
    char *rbuf;
};

struct lg_thread {
    struct lg_run *run;
    int id;
    pthread_t tid;
    bool created;
    struct loop *loop;
    struct lg_conn *conns;
    size_t nconns;
    struct loop_timer sweep, phase_timer;
    enum lg_phase phase;
    bool stopping;      /* ctl stop seen */
    bool exit_loop;     /* leave the current loop_once cycle */
    bool quota_limited; /* max mode with -n */
    uint64_t quota;
    size_t inflight;        /* connections with a pending request */
    size_t active;          /* connections not finished */
    size_t warm_left;       /* connections still connecting in warm-up */
    struct lg_conn **sendq; /* max mode: connections to send on after this iteration */
    size_t nsendq;
    uint64_t rng;
    mono_us end_time; /* when the thread finished */
    /* results */
    struct hist *lat, *lat_unc, *err_lat, *sizes, *hsizes, *lateness;
    uint64_t codes[LG_CODES];
    uint64_t sock_err, done, errors, late, unsent, sockets;
    _Atomic uint64_t p_done, p_errors; /* progress mirrors, written by this thread only */
    int fatal;
    char err[ERRBUF_LEN];
};

struct lg_run {
    const struct loadgen_opts *o;
    struct url url;
    struct sock_addr addr;
    struct transport_tls_ctx *tls;
    char *req;
    size_t req_len;
    bool head_method;
    bool max_mode;
    double qps;
    uint64_t n_total;    /* rate mode: requests in the schedule (0 = unlimited) */
    int64_t duration_us; /* 0 = none */
    int64_t timeout_us;
    int64_t sweep_us;
    uint64_t nconns;
    int nthreads;
    struct lg_thread *threads;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int ready; /* threads through warm-up */
    bool go;   /* start fixed */
    bool abort;
    mono_us start;
    int64_t start_wall;
    _Atomic bool started;
    struct loadgen_ctl *ctl;
};

/* ---- control ---- */

struct loadgen_ctl *loadgen_ctl_new(void)
{
    struct loadgen_ctl *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    c->aefd = c->efd < 0 ? -1 : eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (c->aefd < 0) {
        if (c->efd >= 0) close(c->efd);
        free(c);
        return NULL;
    }
    atomic_init(&c->stop, false);
    atomic_init(&c->abort, false);
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void loadgen_ctl_free(struct loadgen_ctl *c)
{
    if (!c) return;
    close(c->efd);
    close(c->aefd);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void loadgen_ctl_stop(struct loadgen_ctl *c)
{
    if (!c) return;
    atomic_store(&c->stop, true);
    uint64_t one = 1;
    ssize_t r = write(c->efd, &one, sizeof one);
    (void)r;
}

void loadgen_ctl_abort(struct loadgen_ctl *c)
{
    if (!c) return;
    atomic_store(&c->abort, true);
    uint64_t one = 1;
    ssize_t r = write(c->aefd, &one, sizeof one);
    (void)r;
    loadgen_ctl_stop(c);
}

bool loadgen_ctl_stopped(const struct loadgen_ctl *c)
{
    return c && atomic_load(&((struct loadgen_ctl *)c)->stop);
}

int loadgen_ctl_progress(struct loadgen_ctl *c, struct loadgen_progress *p)
{
    memset(p, 0, sizeof *p);
    if (!c) return -1;
    pthread_mutex_lock(&c->mu);
    struct lg_run *r = c->run;
    if (r) {
        p->running = true;
        for (int i = 0; i < r->nthreads; i++) {
            p->requests += atomic_load_explicit(&r->threads[i].p_done, memory_order_relaxed);
            p->errors += atomic_load_explicit(&r->threads[i].p_errors, memory_order_relaxed);
        }
        if (atomic_load(&r->started)) {
            p->elapsed_us = mono_now() - r->start;
            if (p->elapsed_us > 0) p->qps = (double)p->requests * 1e6 / (double)p->elapsed_us;
        }
    }
    pthread_mutex_unlock(&c->mu);
    return r ? 0 : -1;
}

/* ---- the connection state machine ---- */

static void conn_next(struct lg_conn *c);
static void conn_fail(struct lg_conn *c);
static void conn_connected(struct lg_conn *c);
static void thread_check_done(struct lg_thread *t);

static void conn_io_cb(struct loop *l, int fd, unsigned events, void *arg);

static void conn_events(struct lg_conn *c, unsigned ev)
{
    if (c->events == ev) return;
    struct lg_thread *t = c->t;
    int rc = c->events ? loop_mod(t->loop, c->io.fd, ev, conn_io_cb, c)
                       : loop_add(t->loop, c->io.fd, ev, conn_io_cb, c);
    if (rc == 0) c->events = ev;
}

static void conn_close(struct lg_conn *c)
{
    if (c->state == C_CLOSED) return;
    if (c->events) loop_del(c->t->loop, c->io.fd);
    c->events = 0;
    transport_close(&c->io);
    c->state = C_CLOSED;
    c->rlen = 0;
}

static uint64_t rng_next(struct lg_thread *t)
{
    uint64_t x = t->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return t->rng = x;
}

/* Due time of schedule index i (rate mode). loadgen_opts_check keeps qps
 * >= LOADGEN_MIN_QPS, but i can be huge (-n up to INT64_MAX): the offset is
 * clamped so that the conversion and every later sum stay within int64. */
static mono_us due_of(const struct lg_run *r, uint64_t i)
{
    double d = (double)i * 1e6 / r->qps;
    if (!(d < LG_DUE_MAX)) d = LG_DUE_MAX;
    return r->start + (mono_us)d;
}

/* Start a non-blocking connect. 0, or -1 (conn stays CLOSED). */
static int conn_connect(struct lg_conn *c)
{
    struct lg_run *r = c->t->run;
    int fd = sock_connect_nonblock((const struct sockaddr *)&r->addr.ss, r->addr.len);
    if (fd < 0) return -1;
    transport_plain_init(&c->io, fd);
    c->state = C_CONNECTING;
    c->deadline = mono_now() + r->timeout_us;
    c->events = 0;
    conn_events(c, LOOP_WRITE);
    if (!c->events) {
        transport_close(&c->io);
        c->state = C_CLOSED;
        return -1;
    }
    return 0;
}

/* Nothing could be connected or sent for the pending request (or the
 * connection broke without one): count the error, close, move on. */
static void conn_fail(struct lg_conn *c)
{
    struct lg_thread *t = c->t;
    struct lg_run *r = t->run;
    conn_close(c);
    if (c->pending) {
        mono_us now = mono_now();
        mono_us from = c->due <= now ? c->due : now;
        hist_record(t->lat, now - from);
        hist_record(t->lat_unc, now - (c->sent ? c->sent : from));
        hist_record(t->err_lat, now - from);
        hist_record(t->sizes, 0);
        hist_record(t->hsizes, 0);
        t->sock_err++;
        t->errors++;
        t->done++;
        atomic_store_explicit(&t->p_done, t->done, memory_order_relaxed);
        atomic_store_explicit(&t->p_errors, t->errors, memory_order_relaxed);
        c->pending = false;
        t->inflight--;
    }
    if (t->phase == P_WARMUP) {
        t->warm_left--;
        if (!t->warm_left) t->exit_loop = true;
        return;
    }
    if (r->max_mode)
        c->backoff = c->backoff
                         ? (c->backoff * 2 > LG_BACKOFF_MAX_US ? LG_BACKOFF_MAX_US : c->backoff * 2)
                         : LG_BACKOFF_MIN_US;
    if (t->phase == P_RUN && !c->finished) conn_next(c);
    thread_check_done(t);
}

/* Write (the rest of) the request. */
static void conn_write(struct lg_conn *c)
{
    struct lg_run *r = c->t->run;
    while (c->wpos < r->req_len) {
        ssize_t n = transport_write(&c->io, r->req + c->wpos, r->req_len - c->wpos);
        if (n > 0) {
            c->wpos += (size_t)n;
            continue;
        }
        if (n == TRANSPORT_WANT_WRITE) {
            conn_events(c, LOOP_WRITE);
            return;
        }
        if (n == TRANSPORT_WANT_READ) {
            conn_events(c, LOOP_READ);
            return;
        }
        conn_fail(c);
        return;
    }
    c->state = C_READING;
    http_frame_init(&c->fr, c->t->run->head_method);
    c->rlen = 0;
    conn_events(c, LOOP_READ);
}

/* Send the pending request now (connection is IDLE). */
static void conn_send(struct lg_conn *c)
{
    struct lg_thread *t = c->t;
    struct lg_run *r = t->run;
    mono_us now = mono_now();
    if (r->max_mode) c->due = now;
    c->sent = now;
    mono_us late = now - c->due;
    if (late > LOADGEN_LATE_US) {
        t->late++;
        hist_record(t->lateness, late);
    }
    c->deadline = now + r->timeout_us;
    c->wpos = 0;
    c->state = C_WRITING;
    conn_write(c);
}

/* The timer fired, or a request was just taken: act on the pending request. */
static void conn_fire(struct lg_conn *c)
{
    struct lg_thread *t = c->t;
    if (t->phase != P_RUN) return;
    if (c->state == C_IDLE) {
        if (c->pending) conn_send(c);
        return;
    }
    if (c->state == C_CLOSED) {
        if (c->pending) c->sent = mono_now();
        if (conn_connect(c) < 0) conn_fail(c);
    }
}

static void conn_timer_cb(struct loop *l, struct loop_timer *tm)
{
    (void)l;
    conn_fire(tm->arg);
}

/* Take the next request from the schedule, if any. */
static void conn_next(struct lg_conn *c)
{
    struct lg_thread *t = c->t;
    struct lg_run *r = t->run;
    if (c->pending || c->finished) return;
    if (t->phase != P_RUN) return;
    if (r->max_mode) {
        if (t->quota_limited) {
            if (!t->quota) {
                c->finished = true;
                t->active--;
                return;
            }
            t->quota--;
        }
        c->k++;
        c->pending = true;
        c->sent = 0;
        t->inflight++;
        if (c->state == C_IDLE) {
            /* Sent after this loop iteration, with the others that became
             * free in it: the target then gets its requests in batches. */
            if (!c->queued) {
                c->queued = true;
                t->sendq[t->nsendq++] = c;
            }
        } else if (c->state == C_CLOSED) {
            c->due = mono_now() + c->backoff;
            loop_timer_at(t->loop, &c->timer, c->due);
        }
        return;
    }
    uint64_t i = c->j + c->k * r->nconns;
    if (r->n_total && i >= r->n_total) {
        c->finished = true;
        t->active--;
        return;
    }
    c->k++;
    c->pending = true;
    c->sent = 0;
    t->inflight++;
    c->due = due_of(r, i);
    if (r->o->jitter) {
        /* +-10% of the mean interval, uniformly. */
        double span = 0.2 * 1e6 / r->qps;
        c->due += (mono_us)(((double)(rng_next(t) >> 11) / 9007199254740992.0 - 0.5) * span);
    }
    mono_us now = mono_now();
    if (c->due <= now && c->state == C_IDLE)
        conn_send(c);
    else
        loop_timer_at(t->loop, &c->timer, c->due > now ? c->due : now);
}

static bool code_ok(int code)
{
    return (code >= 200 && code <= 299) || code == 418; /* Fortio's codeIsOK */
}

/* The response is complete. */
static void conn_complete(struct lg_conn *c)
{
    struct lg_thread *t = c->t;
    struct lg_run *r = t->run;
    mono_us now = mono_now();
    hist_record(t->lat, now - c->due);
    hist_record(t->lat_unc, now - c->sent);
    hist_record(t->sizes, (int64_t)c->fr.bytes);
    hist_record(t->hsizes, (int64_t)c->fr.head_bytes);
    t->codes[c->fr.status]++;
    if (!code_ok(c->fr.status)) {
        t->errors++;
        hist_record(t->err_lat, now - c->due);
        atomic_store_explicit(&t->p_errors, t->errors, memory_order_relaxed);
    }
    t->done++;
    atomic_store_explicit(&t->p_done, t->done, memory_order_relaxed);
    c->pending = false;
    t->inflight--;
    c->backoff = 0;
    if (c->fr.keep_alive) {
        c->state = C_IDLE;
    } else {
        conn_close(c);
        if (t->phase == P_RUN && !c->finished && !r->max_mode) {
            /* Re-open now so the next request does not pay for it. */
            if (conn_connect(c) < 0) conn_close(c);
        }
    }
    if (t->phase == P_RUN) conn_next(c);
    thread_check_done(t);
}

/* Feed n new bytes at rbuf + rlen (while in the head) or rbuf (in the
 * body) to the framer. Bytes after a complete response close the
 * connection (http_frame.h); the response still counts. Returns 1 when the
 * response completed, 0 for more, -1 on a protocol error. */
static int conn_feed(struct lg_conn *c, size_t n)
{
    struct http_frame *f = &c->fr;
    bool in_head = f->state == HTTP_FRAME_HEAD;
    if (in_head) {
        c->rlen += n;
        n = c->rlen;
    }
    ssize_t used = http_frame_feed(f, c->rbuf, n);
    if (used < 0) return -1;
    if (f->state == HTTP_FRAME_HEAD) {
        if (used) { /* interim heads consumed */
            memmove(c->rbuf, c->rbuf + used, c->rlen - (size_t)used);
            c->rlen -= (size_t)used;
        }
        return c->rlen == LG_RBUF ? -1 : 0;
    }
    c->rlen = 0;
    if (f->status >= LG_CODES) return -1;
    return f->state == HTTP_FRAME_DONE;
}

static void conn_read(struct lg_conn *c)
{
    bool tls = c->io.ops == &transport_tls;
    if (c->events != LOOP_READ) conn_events(c, LOOP_READ);
    for (;;) {
        size_t off = c->fr.state == HTTP_FRAME_HEAD ? c->rlen : 0;
        size_t space = LG_RBUF - off;
        ssize_t n = transport_read(&c->io, c->rbuf + off, space);
        if (n > 0) {
            int rc = conn_feed(c, (size_t)n);
            if (rc > 0) {
                conn_complete(c);
                return;
            }
            if (rc < 0) {
                conn_fail(c);
                return;
            }
            if (!tls && (size_t)n < space) return;
            continue;
        }
        if (n == TRANSPORT_WANT_READ) return;
        if (n == TRANSPORT_WANT_WRITE) {
            conn_events(c, LOOP_WRITE);
            return;
        }
        if (n == 0 && c->fr.state == HTTP_FRAME_EOF) {
            http_frame_eof(&c->fr);
            conn_complete(c);
            return;
        }
        conn_fail(c);
        return;
    }
}

static void conn_handshake(struct lg_conn *c)
{
    int rc = transport_handshake(&c->io);
    if (rc == 0) {
        conn_connected(c);
    } else if (rc == TRANSPORT_WANT_READ) {
        conn_events(c, LOOP_READ);
    } else if (rc == TRANSPORT_WANT_WRITE) {
        conn_events(c, LOOP_WRITE);
    } else {
        conn_fail(c);
    }
}

/* TCP connected (and TLS done): ready for requests. */
static void conn_connected(struct lg_conn *c)
{
    struct lg_thread *t = c->t;
    c->state = C_IDLE;
    conn_events(c, LOOP_READ);
    if (t->phase == P_WARMUP) {
        t->warm_left--;
        if (!t->warm_left) t->exit_loop = true;
        return;
    }
    if (t->phase == P_RUN) {
        if (c->pending && (t->run->max_mode || c->due <= mono_now()))
            conn_send(c);
        else if (!c->pending)
            conn_next(c);
    }
}

static void conn_tcp_done(struct lg_conn *c)
{
    struct lg_run *r = c->t->run;
    int rc = sock_connect_finish(c->io.fd);
    if (rc == -EINPROGRESS) return;
    if (rc < 0) {
        conn_fail(c);
        return;
    }
    c->t->sockets++;
    if (!r->tls) {
        conn_connected(c);
        return;
    }
    int fd = c->io.fd;
    if (c->events) loop_del(c->t->loop, fd);
    c->events = 0;
    char err[ERRBUF_LEN];
    if (transport_tls_client_init(&c->io, fd, r->tls, r->url.host, err, sizeof err) < 0) {
        c->io.fd = -1;
        c->state = C_CLOSED;
        conn_fail(c);
        return;
    }
    c->state = C_HANDSHAKE;
    conn_handshake(c);
}

static void conn_io_cb(struct loop *l, int fd, unsigned events, void *arg)
{
    (void)l;
    (void)fd;
    (void)events;
    struct lg_conn *c = arg;
    switch (c->state) {
    case C_CONNECTING:
        conn_tcp_done(c);
        break;
    case C_HANDSHAKE:
        conn_handshake(c);
        break;
    case C_WRITING:
        conn_write(c);
        break;
    case C_READING:
        conn_read(c);
        break;
    case C_IDLE: {
        /* Nothing is expected: the server closed, or sent something
         * unasked for. TLS may deliver a session ticket (WANT_READ). */
        char tmp[512];
        ssize_t n = transport_read(&c->io, tmp, sizeof tmp);
        if (n == TRANSPORT_WANT_READ) break;
        if (n == TRANSPORT_WANT_WRITE) {
            conn_events(c, LOOP_WRITE);
            break;
        }
        conn_close(c);
        if (c->t->phase == P_RUN && !c->finished && !c->t->run->max_mode) {
            if (conn_connect(c) < 0) conn_close(c);
        } else if (c->t->phase == P_RUN && c->pending) {
            loop_timer_at(c->t->loop, &c->timer, mono_now());
        }
        break;
    }
    case C_CLOSED:
        break;
    }
}

/* ---- threads ---- */

static void thread_check_done(struct lg_thread *t)
{
    if (t->inflight) return;
    if (t->phase == P_DRAIN || (t->phase == P_RUN && !t->active)) t->exit_loop = true;
}

/* Stop taking requests; count what was due but never written. */
static void thread_drain(struct lg_thread *t)
{
    struct lg_run *r = t->run;
    if (t->phase == P_DRAIN) return;
    t->phase = P_DRAIN;
    loop_timer_cancel(t->loop, &t->phase_timer);
    mono_us now = mono_now();
    uint64_t m = 0; /* schedule indexes due by now */
    if (!r->max_mode && now > r->start) {
        double d = ceil((double)(now - r->start) * r->qps / 1e6);
        m = d > 1.8e19 ? UINT64_MAX : (uint64_t)d;
        if (r->n_total && m > r->n_total) m = r->n_total;
    }
    for (size_t i = 0; i < t->nconns; i++) {
        struct lg_conn *c = &t->conns[i];
        loop_timer_cancel(t->loop, &c->timer);
        bool written = c->state == C_WRITING || c->state == C_READING;
        if (c->pending && !written) {
            if (c->due <= now) t->unsent++;
            c->pending = false;
            t->inflight--;
        }
        if (!r->max_mode && m > c->j) {
            uint64_t due_here = (m - c->j + r->nconns - 1) / r->nconns;
            if (due_here > c->k) t->unsent += due_here - c->k;
        }
        if (!written) conn_close(c);
    }
    thread_check_done(t);
}

/* Drain, and fail whatever is still in flight now as a timeout (-1), so
 * that the thread ends at once. */
static void thread_abandon(struct lg_thread *t)
{
    thread_drain(t);
    for (size_t i = 0; i < t->nconns; i++) {
        struct lg_conn *c = &t->conns[i];
        if (c->pending) conn_fail(c);
    }
    thread_check_done(t);
}

/* End of the run's time. Max mode: stop taking requests, let those in
 * flight finish. Rate mode fires at duration + timeout (requests due before
 * the end are all sent, however late): whatever is still in flight now is
 * abandoned as a timeout, so the run ends on time. */
static void phase_cb(struct loop *l, struct loop_timer *tm)
{
    (void)l;
    struct lg_thread *t = tm->arg;
    if (t->run->max_mode)
        thread_drain(t);
    else
        thread_abandon(t);
}

static void sweep_cb(struct loop *l, struct loop_timer *tm)
{
    struct lg_thread *t = tm->arg;
    mono_us now = mono_now();
    for (size_t i = 0; i < t->nconns; i++) {
        struct lg_conn *c = &t->conns[i];
        if (c->state == C_CLOSED || c->state == C_IDLE) continue;
        if (now >= c->deadline) conn_fail(c);
    }
    loop_timer_at(l, tm, now + t->run->sweep_us);
}

/* A stop (drain: in-flight requests get their timeout) or an abort (they
 * fail now) arrived on the ctl's eventfd. */
static void ctl_fired(struct loop *l, int fd, struct lg_thread *t, bool abort)
{
    loop_del(l, fd);
    t->stopping = true;
    if (t->phase == P_WARMUP)
        t->exit_loop = true;
    else if (abort)
        thread_abandon(t);
    else
        thread_drain(t);
}

static void ctl_cb(struct loop *l, int fd, unsigned events, void *arg)
{
    (void)events;
    ctl_fired(l, fd, arg, false);
}

/* loadgen_ctl_abort: as a stop, and what is in flight fails now. */
static void abort_cb(struct loop *l, int fd, unsigned events, void *arg)
{
    (void)events;
    ctl_fired(l, fd, arg, true);
}

/* Run the loop until exit_loop; 0 or -errno. */
static int thread_loop(struct lg_thread *t)
{
    while (!t->exit_loop) {
        int rc = loop_once(t->loop, t->nsendq ? 0 : -1);
        if (rc < 0) return rc;
        while (t->nsendq) {
            struct lg_conn *c = t->sendq[--t->nsendq];
            c->queued = false;
            if (c->state == C_IDLE && c->pending && t->phase == P_RUN) conn_send(c);
        }
    }
    return 0;
}

static void *thread_main(void *arg)
{
    struct lg_thread *t = arg;
    struct lg_run *r = t->run;
    struct loadgen_ctl *ctl = r->ctl;
    /* Timers are due to the microsecond: no 50 us default slack. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    /* Max mode wants throughput, and its target often shares the machine:
     * SCHED_BATCH keeps a thread woken by a response from preempting the
     * target mid-batch. Rate mode keeps normal wake-ups, so a response is
     * timed when it arrives. Best effort (a sandbox may refuse). */
    if (r->max_mode && r->o->sched_batch) {
        struct sched_param sp = {0};
        pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
    }
    /* Max mode also polls briefly before sleeping: a thread that sleeps
     * between responses makes the target pay for waking it (an IPI, which
     * on a contended VM costs it more than the request itself). */
    if (r->max_mode) loop_set_poll(t->loop, LG_POLL_US);
    if (ctl) {
        loop_add(t->loop, ctl->efd, LOOP_READ, ctl_cb, t);
        loop_add(t->loop, ctl->aefd, LOOP_READ, abort_cb, t);
    }
    loop_timer_init(&t->sweep, sweep_cb, t);
    loop_timer_init(&t->phase_timer, phase_cb, t);
    loop_timer_at(t->loop, &t->sweep, mono_now() + r->sweep_us);

    /* Warm-up: connect everything (not measured). */
    t->phase = P_WARMUP;
    t->warm_left = t->nconns;
    for (size_t i = 0; i < t->nconns; i++)
        if (conn_connect(&t->conns[i]) < 0) t->warm_left--;
    int rc = 0;
    if (t->warm_left && !(ctl && atomic_load(&ctl->stop))) rc = thread_loop(t);
    /* What did not connect in time reconnects when it is needed. */
    for (size_t i = 0; i < t->nconns; i++)
        if (t->conns[i].state != C_IDLE) conn_close(&t->conns[i]);

    pthread_mutex_lock(&r->mu);
    r->ready++;
    pthread_cond_broadcast(&r->cv);
    while (!r->go)
        pthread_cond_wait(&r->cv, &r->mu);
    bool abort_run = r->abort;
    pthread_mutex_unlock(&r->mu);

    if (!abort_run && rc == 0) {
        t->phase = P_RUN;
        t->active = t->nconns;
        if (r->duration_us > 0)
            loop_timer_at(t->loop, &t->phase_timer,
                          r->start + r->duration_us + (r->max_mode ? 0 : r->timeout_us));
        t->exit_loop = false;
        for (size_t i = 0; i < t->nconns; i++)
            conn_next(&t->conns[i]);
        if (t->stopping || (ctl && atomic_load(&ctl->stop))) thread_drain(t);
        if (ctl && atomic_load(&ctl->abort)) thread_abandon(t);
        if (!t->exit_loop) rc = thread_loop(t);
    }
    if (rc < 0) {
        t->fatal = rc;
        snprintf(t->err, sizeof t->err, "event loop: %s", strerror(-rc));
    }
    t->end_time = mono_now();
    for (size_t i = 0; i < t->nconns; i++) {
        loop_timer_cancel(t->loop, &t->conns[i].timer);
        conn_close(&t->conns[i]);
    }
    return NULL;
}

/* ---- set-up: pre-flight, request, threads ---- */

static void thread_free(struct lg_thread *t)
{
    if (t->conns) {
        for (size_t i = 0; i < t->nconns; i++) {
            if (t->loop) conn_close(&t->conns[i]);
            free(t->conns[i].rbuf);
        }
        free(t->conns);
    }
    free(t->sendq);
    loop_free(t->loop);
    hist_free(t->lat);
    hist_free(t->lat_unc);
    hist_free(t->err_lat);
    hist_free(t->sizes);
    hist_free(t->hsizes);
    hist_free(t->lateness);
}

static int thread_init(struct lg_run *r, struct lg_thread *t, int id, char *err, size_t errlen)
{
    t->run = r;
    t->id = id;
    t->rng = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)id * 0xBF58476D1CE4E5B9ULL) ^ (uint64_t)mono_now();
    if (!t->rng) t->rng = 1;
    t->loop = loop_new(err, errlen);
    if (!t->loop) return -1;
    t->lat = hist_new(1, LG_LAT_MAX, 3);
    t->lat_unc = hist_new(1, LG_LAT_MAX, 3);
    t->err_lat = hist_new(1, LG_LAT_MAX, 3);
    t->lateness = hist_new(1, LG_LAT_MAX, 3);
    t->sizes = hist_new(1, LG_SIZE_MAX, 3);
    t->hsizes = hist_new(1, LG_SIZE_MAX, 3);
    for (uint64_t j = (uint64_t)id; j < r->nconns; j += (uint64_t)r->nthreads)
        t->nconns++;
    t->conns = calloc(t->nconns ? t->nconns : 1, sizeof *t->conns);
    t->sendq = calloc(t->nconns ? t->nconns : 1, sizeof *t->sendq);
    if (!t->lat || !t->lat_unc || !t->err_lat || !t->lateness || !t->sizes || !t->hsizes ||
        !t->conns || !t->sendq)
        return errbuf_set(err, errlen, "out of memory");
    for (size_t i = 0; i < t->nconns; i++) {
        struct lg_conn *c = &t->conns[i];
        c->t = t;
        c->j = (uint64_t)id + i * (uint64_t)r->nthreads;
        c->io.fd = -1;
        c->state = C_CLOSED;
        loop_timer_init(&c->timer, conn_timer_cb, c);
        c->rbuf = malloc(LG_RBUF);
        if (!c->rbuf) return errbuf_set(err, errlen, "out of memory");
    }
    if (r->max_mode && r->o->count > 0) {
        uint64_t n = (uint64_t)r->o->count, T = (uint64_t)r->nthreads;
        t->quota_limited = true;
        t->quota = n / T + ((uint64_t)id < n % T ? 1 : 0);
    }
    return 0;
}

static int merge_results(struct lg_run *r, struct loadgen_result *res, char *err, size_t errlen)
{
    res->latency = hist_new(1, LG_LAT_MAX, 3);
    res->latency_uncorrected = hist_new(1, LG_LAT_MAX, 3);
    res->errors_latency = hist_new(1, LG_LAT_MAX, 3);
    res->lateness = hist_new(1, LG_LAT_MAX, 3);
    res->sizes = hist_new(1, LG_SIZE_MAX, 3);
    res->header_sizes = hist_new(1, LG_SIZE_MAX, 3);
    if (!res->latency || !res->latency_uncorrected || !res->errors_latency || !res->lateness ||
        !res->sizes || !res->header_sizes)
        return errbuf_set(err, errlen, "out of memory");
    uint64_t codes[LG_CODES] = {0};
    mono_us end = r->start;
    for (int i = 0; i < r->nthreads; i++) {
        struct lg_thread *t = &r->threads[i];
        hist_merge(res->latency, t->lat);
        hist_merge(res->latency_uncorrected, t->lat_unc);
        hist_merge(res->errors_latency, t->err_lat);
        hist_merge(res->lateness, t->lateness);
        hist_merge(res->sizes, t->sizes);
        hist_merge(res->header_sizes, t->hsizes);
        for (int c = 0; c < LG_CODES; c++)
            codes[c] += t->codes[c];
        res->socket_errors += t->sock_err;
        res->requests += t->done;
        res->errors += t->errors;
        res->late += t->late;
        res->unsent += t->unsent;
        res->sockets += t->sockets;
        if (t->end_time > end) end = t->end_time;
    }
    size_t n = res->socket_errors ? 1 : 0;
    for (int c = 0; c < LG_CODES; c++)
        n += codes[c] ? 1 : 0;
    res->codes = calloc(n ? n : 1, sizeof *res->codes);
    if (!res->codes) return errbuf_set(err, errlen, "out of memory");
    if (res->socket_errors)
        res->codes[res->ncodes++] = (struct loadgen_code){-1, res->socket_errors};
    for (int c = 0; c < LG_CODES; c++)
        if (codes[c]) res->codes[res->ncodes++] = (struct loadgen_code){c, codes[c]};
    res->start_wall_ns = r->start_wall;
    res->duration_us = end - r->start;
    if (res->duration_us < 1) res->duration_us = 1;
    res->actual_qps = (double)res->requests * 1e6 / (double)res->duration_us;
    res->threads = r->nthreads;
    res->connections = (int)r->nconns;
    res->stopped = loadgen_ctl_stopped(r->ctl);
    return 0;
}

void loadgen_result_free(struct loadgen_result *r)
{
    if (!r) return;
    free(r->codes);
    hist_free(r->latency);
    hist_free(r->latency_uncorrected);
    hist_free(r->errors_latency);
    hist_free(r->sizes);
    hist_free(r->header_sizes);
    hist_free(r->lateness);
    free(r);
}

int loadgen_run(const struct loadgen_opts *o, struct loadgen_result **out, char *err, size_t errlen)
{
    *out = NULL;
    if (loadgen_opts_check(o, err, errlen) < 0) return -1;
    struct lg_run run;
    memset(&run, 0, sizeof run);
    struct lg_run *r = &run;
    r->o = o;
    r->ctl = o->ctl;
    if (url_parse(o->url, &r->url, err, errlen) < 0) return -1;
    r->max_mode = o->qps == 0;
    r->qps = o->qps;
    r->timeout_us = o->timeout_us ? o->timeout_us : LOADGEN_DEFAULT_TIMEOUT_US;
    r->sweep_us = r->timeout_us / 10;
    if (r->sweep_us > 10000) r->sweep_us = 10000;
    if (r->sweep_us < 1000) r->sweep_us = 1000;
    r->duration_us = o->count > 0 ? 0 : o->duration_us;
    if (!r->max_mode) {
        if (o->count > 0) {
            r->n_total = (uint64_t)o->count;
        } else if (o->duration_us > 0) {
            double n = ceil((double)o->duration_us * o->qps / 1e6);
            r->n_total = n < 1 ? 1 : (n > 1e18 ? (uint64_t)1e18 : (uint64_t)n);
        }
    }
    r->nconns = (uint64_t)o->connections;
    if (o->count > 0 && (uint64_t)o->count < r->nconns) r->nconns = (uint64_t)o->count;
    if (r->n_total && r->n_total < r->nconns) r->nconns = r->n_total;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    r->nthreads = o->threads > 0 ? o->threads : (cores > 0 ? (int)cores : 1);
    if ((uint64_t)r->nthreads > r->nconns) r->nthreads = (int)r->nconns;

    if (sock_resolve(r->url.host, r->url.port, &r->addr, err, errlen) < 0) return -1;
    if (r->url.tls) {
        r->tls = transport_tls_client_ctx(!o->insecure, o->ca_file, err, errlen);
        if (!r->tls) return -1;
    }
    int rc = -1;
    if (r->tls && o->cert_file &&
        transport_tls_ctx_use_cert(r->tls, o->cert_file, o->key_file, err, errlen) < 0)
        goto out;
    if (loadgen_setup_preflight(&r->url, &r->addr, r->tls, r->timeout_us, r->ctl ? r->ctl->efd : -1,
                                err, errlen) < 0)
        goto out;
    r->req = loadgen_setup_request(o, &r->url, &r->req_len, &r->head_method, err, errlen);
    if (!r->req) goto out;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->threads = calloc((size_t)r->nthreads, sizeof *r->threads);
    if (!r->threads) {
        errbuf_set(err, errlen, "out of memory");
        goto out_sync;
    }
    for (int i = 0; i < r->nthreads; i++)
        if (thread_init(r, &r->threads[i], i, err, errlen) < 0) goto out_threads;
    if (r->ctl) {
        pthread_mutex_lock(&r->ctl->mu);
        r->ctl->run = r;
        pthread_mutex_unlock(&r->ctl->mu);
    }
    int created = 0;
    for (; created < r->nthreads; created++) {
        if (pthread_create(&r->threads[created].tid, NULL, thread_main, &r->threads[created])) {
            errbuf_set(err, errlen, "cannot start thread %d: %s", created, strerror(errno));
            break;
        }
        r->threads[created].created = true;
    }
    pthread_mutex_lock(&r->mu);
    while (r->ready < created)
        pthread_cond_wait(&r->cv, &r->mu);
    r->abort = created < r->nthreads;
    r->start = mono_now() + 200; /* a moment for every thread to wake */
    r->start_wall = wall_ns() + 200 * 1000;
    atomic_store(&r->started, true);
    r->go = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    for (int i = 0; i < created; i++)
        pthread_join(r->threads[i].tid, NULL);
    if (r->ctl) {
        pthread_mutex_lock(&r->ctl->mu);
        r->ctl->run = NULL;
        pthread_mutex_unlock(&r->ctl->mu);
    }
    if (r->abort) goto out_threads;
    for (int i = 0; i < r->nthreads; i++) {
        if (r->threads[i].fatal) {
            errbuf_set(err, errlen, "%s", r->threads[i].err);
            goto out_threads;
        }
    }
    struct loadgen_result *res = calloc(1, sizeof *res);
    if (!res) {
        errbuf_set(err, errlen, "out of memory");
        goto out_threads;
    }
    if (merge_results(r, res, err, errlen) < 0) {
        loadgen_result_free(res);
        goto out_threads;
    }
    *out = res;
    rc = 0;
out_threads:
    if (r->threads)
        for (int i = 0; i < r->nthreads; i++)
            thread_free(&r->threads[i]);
    free(r->threads);
out_sync:
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
out:
    free(r->req);
    transport_tls_ctx_free(r->tls);
    return rc;
}
