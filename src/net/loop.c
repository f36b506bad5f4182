/* loop.c: per-thread epoll loop with a min-heap of intrusive timers (see
 * loop.h).
 *
 * Each iteration: compute the wait from the earliest timer, epoll_pwait2
 * with a nanosecond timeout, dispatch ready fds, then pop and fire every
 * timer whose time has come. With loop_set_poll, an iteration that follows
 * one with events first polls (zero timeout) for a bounded time before it
 * sleeps. Callbacks are looked up per fd in an array
 * indexed by fd, grown on demand, so dispatch is O(1) and the epoll data
 * carries only the fd (a callback that closes another fd is then safe). */
#include "net/loop.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/errbuf.h"

#define LOOP_MAX_EVENTS 256
#define LOOP_MAX_FDS    (1 << 20)

struct loop_fd {
    loop_io_fn *fn;
    void *arg;
};

struct loop {
    int epfd;
    int wakefd;
    atomic_bool stop;
    mono_us now;
    struct loop_fd *fds; /* indexed by fd */
    size_t nfds;
    struct loop_timer **heap;
    size_t heap_len, heap_cap;
    mono_us poll_us; /* loop_set_poll; 0 = always block at once */
    int last_n;      /* events the previous wait returned */
};

struct loop *loop_new(char *err, size_t errlen)
{
    struct loop *l = calloc(1, sizeof *l);
    if (!l) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (l->epfd < 0 || l->wakefd < 0) {
        errbuf_set(err, errlen, "event loop: %s", strerror(errno));
        loop_free(l);
        return NULL;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = l->wakefd};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev) < 0) {
        errbuf_set(err, errlen, "event loop: %s", strerror(errno));
        loop_free(l);
        return NULL;
    }
    atomic_init(&l->stop, false);
    l->now = mono_now();
    return l;
}

void loop_free(struct loop *l)
{
    if (!l) return;
    if (l->epfd >= 0) close(l->epfd);
    if (l->wakefd > 0) close(l->wakefd);
    free(l->fds);
    free(l->heap);
    free(l);
}

static uint32_t to_epoll(unsigned events)
{
    uint32_t e = 0;
    if (events & LOOP_READ) e |= EPOLLIN | EPOLLRDHUP;
    if (events & LOOP_WRITE) e |= EPOLLOUT;
    return e;
}

static int ensure_fd(struct loop *l, int fd)
{
    if (fd < 0 || fd >= LOOP_MAX_FDS) return -EBADF;
    if ((size_t)fd < l->nfds) return 0;
    size_t n = l->nfds ? l->nfds : 64;
    while (n <= (size_t)fd)
        n *= 2;
    struct loop_fd *p = realloc(l->fds, n * sizeof *p);
    if (!p) return -ENOMEM;
    memset(p + l->nfds, 0, (n - l->nfds) * sizeof *p);
    l->fds = p;
    l->nfds = n;
    return 0;
}

static int ctl(struct loop *l, int op, int fd, unsigned events, loop_io_fn *fn, void *arg)
{
    int rc = ensure_fd(l, fd);
    if (rc) return rc;
    struct epoll_event ev = {.events = to_epoll(events), .data.fd = fd};
    if (epoll_ctl(l->epfd, op, fd, &ev) < 0) return -errno;
    l->fds[fd].fn = fn;
    l->fds[fd].arg = arg;
    return 0;
}

int loop_add(struct loop *l, int fd, unsigned events, loop_io_fn *fn, void *arg)
{
    return ctl(l, EPOLL_CTL_ADD, fd, events, fn, arg);
}

int loop_mod(struct loop *l, int fd, unsigned events, loop_io_fn *fn, void *arg)
{
    return ctl(l, EPOLL_CTL_MOD, fd, events, fn, arg);
}

int loop_del(struct loop *l, int fd)
{
    if (fd < 0 || (size_t)fd >= l->nfds) return -EBADF;
    l->fds[fd].fn = NULL;
    l->fds[fd].arg = NULL;
    if (epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) < 0) return -errno;
    return 0;
}

/* ---- timers: binary min-heap on `when`, each node knows its index ---- */

static void heap_swap(struct loop *l, size_t a, size_t b)
{
    struct loop_timer *t = l->heap[a];
    l->heap[a] = l->heap[b];
    l->heap[b] = t;
    l->heap[a]->heap_index = a;
    l->heap[b]->heap_index = b;
}

static void heap_up(struct loop *l, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (l->heap[p]->when <= l->heap[i]->when) break;
        heap_swap(l, i, p);
        i = p;
    }
}

static void heap_down(struct loop *l, size_t i)
{
    for (;;) {
        size_t c = 2 * i + 1, m = i;
        if (c < l->heap_len && l->heap[c]->when < l->heap[m]->when) m = c;
        if (c + 1 < l->heap_len && l->heap[c + 1]->when < l->heap[m]->when) m = c + 1;
        if (m == i) return;
        heap_swap(l, i, m);
        i = m;
    }
}

void loop_timer_init(struct loop_timer *t, loop_timer_fn *fn, void *arg)
{
    t->when = 0;
    t->heap_index = SIZE_MAX;
    t->fn = fn;
    t->arg = arg;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
    size_t i = t->heap_index;
    if (i == SIZE_MAX) return;
    t->heap_index = SIZE_MAX;
    l->heap_len--;
    if (i == l->heap_len) return;
    l->heap[i] = l->heap[l->heap_len];
    l->heap[i]->heap_index = i;
    heap_down(l, i);
    heap_up(l, i);
}

int loop_timer_at(struct loop *l, struct loop_timer *t, mono_us when)
{
    if (t->heap_index != SIZE_MAX) {
        size_t i = t->heap_index;
        t->when = when;
        heap_down(l, i);
        heap_up(l, t->heap_index);
        return 0;
    }
    if (l->heap_len == l->heap_cap) {
        size_t n = l->heap_cap ? l->heap_cap * 2 : 64;
        struct loop_timer **p = realloc(l->heap, n * sizeof *p);
        if (!p) return -ENOMEM;
        l->heap = p;
        l->heap_cap = n;
    }
    t->when = when;
    t->heap_index = l->heap_len;
    l->heap[l->heap_len++] = t;
    heap_up(l, t->heap_index);
    return 0;
}

/* ---- running ---- */

void loop_set_poll(struct loop *l, mono_us us)
{
    l->poll_us = us > 0 ? us : 0;
}

int loop_once(struct loop *l, mono_us deadline)
{
    struct epoll_event evs[LOOP_MAX_EVENTS];
    mono_us wake = deadline;
    if (l->heap_len && (wake < 0 || l->heap[0]->when < wake)) wake = l->heap[0]->when;
    int n = 0;
    bool polled = l->poll_us && l->last_n > 0;
    if (polled) {
        /* busy: look again without sleeping, up to poll_us (never past a
         * timer), so that whoever sends the next event need not wake us */
        static const struct timespec zero = {0, 0};
        mono_us t0 = mono_now(), end = t0 + l->poll_us;
        if (wake >= 0 && wake < end) end = wake;
        do
            n = epoll_pwait2(l->epfd, evs, LOOP_MAX_EVENTS, &zero, NULL);
        while (n == 0 && mono_now() < end);
    }
    if (n == 0 && !(polled && wake >= 0 && wake <= mono_now())) {
        struct timespec ts, *tsp = NULL;
        if (wake >= 0) {
            mono_us d = wake - mono_now();
            if (d < 0) d = 0;
            ts.tv_sec = d / MONO_US_PER_SEC;
            ts.tv_nsec = (long)(d % MONO_US_PER_SEC) * 1000;
            tsp = &ts;
        }
        n = epoll_pwait2(l->epfd, evs, LOOP_MAX_EVENTS, tsp, NULL);
    }
    if (n < 0) {
        if (errno != EINTR) return -errno;
        n = 0;
    }
    l->last_n = n;
    l->now = mono_now();
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        if (fd == l->wakefd) {
            uint64_t v;
            ssize_t r = read(l->wakefd, &v, sizeof v);
            (void)r;
            continue;
        }
        if ((size_t)fd >= l->nfds || !l->fds[fd].fn) continue;
        unsigned e = 0;
        if (evs[i].events & (EPOLLIN | EPOLLRDHUP)) e |= LOOP_READ;
        if (evs[i].events & EPOLLOUT) e |= LOOP_WRITE;
        if (evs[i].events & (EPOLLERR | EPOLLHUP)) e |= LOOP_ERROR | LOOP_READ;
        l->fds[fd].fn(l, fd, e, l->fds[fd].arg);
    }
    mono_us now = mono_now();
    while (l->heap_len && l->heap[0]->when <= now) {
        struct loop_timer *t = l->heap[0];
        loop_timer_cancel(l, t);
        t->fn(l, t);
    }
    return 0;
}

int loop_run(struct loop *l)
{
    while (!atomic_load_explicit(&l->stop, memory_order_relaxed)) {
        int rc = loop_once(l, -1);
        if (rc) return rc;
    }
    return 0;
}

void loop_stop(struct loop *l)
{
    atomic_store(&l->stop, true);
}

void loop_stop_async(struct loop *l)
{
    atomic_store(&l->stop, true);
    uint64_t one = 1;
    ssize_t r = write(l->wakefd, &one, sizeof one);
    (void)r;
}

bool loop_stopping(const struct loop *l)
{
    return atomic_load_explicit(&((struct loop *)l)->stop, memory_order_relaxed);
}

mono_us loop_now(const struct loop *l)
{
    return l->now;
}
