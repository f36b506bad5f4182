/* lg_server.c: a tiny HTTP/1.1 test server for the load generator's tests.
 *
 * Single thread, epoll, keep-alive, pipelining-safe. Every request is
 * answered exactly DELAY microseconds after the read that completed its
 * head (the delay is measured from arrival, with no jitter of its own:
 * since the delay is fixed, due responses leave in arrival order, so a FIFO
 * queue is enough). The wait sleeps until SPIN_NS before the next due
 * response and polls from there on, so a late timer wake-up of this VM
 * does not become latency the load generator is blamed for. Modes make it
 * misbehave on purpose:
 *   ok        "200 OK" with a 2-byte body (default)
 *   chunked   "200 OK" with a chunked body
 *   closemid  announce 100 body bytes, send 5, close the connection
 *   garbage   answer with bytes that are not HTTP
 * GET /count answers at once with the number of other requests served.
 * Built by the tests with `cc -O2 -o lg_server lg_server.c`; not part of
 * meshperf. Usage: lg_server PORT [DELAY_US] [MODE] */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SPIN_NS 500000 /* poll, don't sleep, the last 0.5 ms before a response is due */

#define MAXFD 65536
#define RBUF  65536
#define QMAX  (1 << 20)

struct fdst {
    char *buf;
    size_t len;
    size_t skip; /* body bytes still to discard */
    unsigned gen;
};

struct pend {
    int64_t due;
    int fd;
    unsigned gen;
    int kind; /* 0 normal, 1 count */
};

static struct fdst fds[MAXFD];
static struct pend q[QMAX];
static size_t qhead, qlen;
static int64_t delay_ns;
static int mode; /* 0 ok, 1 chunked, 2 closemid, 3 garbage */
static unsigned long long served;
static int epfd;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void drop(int fd)
{
    epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    fds[fd].len = 0;
    fds[fd].skip = 0;
    fds[fd].gen++;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return;
        p += w;
        n -= (size_t)w;
    }
}

static void respond(struct pend *e)
{
    int fd = e->fd;
    if (fds[fd].gen != e->gen) return; /* connection gone */
    char out[256];
    if (e->kind == 1) {
        char body[32];
        int bl = snprintf(body, sizeof body, "%llu\n", served);
        int n =
            snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", bl, body);
        send_all(fd, out, (size_t)n);
        return;
    }
    served++;
    switch (mode) {
    case 1: {
        static const char r[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\n\r\n";
        send_all(fd, r, sizeof r - 1);
        break;
    }
    case 2: {
        static const char r[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort";
        send_all(fd, r, sizeof r - 1);
        drop(fd);
        break;
    }
    case 3: {
        static const char r[] = "\x01\x02 this is not HTTP \xff\r\n\r\n";
        send_all(fd, r, sizeof r - 1);
        break;
    }
    default: {
        static const char r[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        send_all(fd, r, sizeof r - 1);
    }
    }
}

static void enqueue(int fd, int64_t arrival, int kind)
{
    if (qlen == QMAX) return;
    struct pend *e = &q[(qhead + qlen) % QMAX];
    e->due = kind ? arrival : arrival + delay_ns;
    e->fd = fd;
    e->gen = fds[fd].gen;
    e->kind = kind;
    if (kind) { /* /count: answer now, out of band */
        respond(e);
        return;
    }
    qlen++;
}

/* Parse complete request heads in the buffer. */
static void parse(int fd, int64_t arrival)
{
    struct fdst *s = &fds[fd];
    size_t off = 0;
    for (;;) {
        if (s->skip) {
            size_t k = s->len - off < s->skip ? s->len - off : s->skip;
            off += k;
            s->skip -= k;
            if (s->skip) break;
        }
        char *end = memmem(s->buf + off, s->len - off, "\r\n\r\n", 4);
        if (!end) break;
        size_t hl = (size_t)(end - (s->buf + off)) + 4;
        size_t cl = 0;
        for (char *p = s->buf + off; p < end; p++) {
            if ((p == s->buf + off || p[-1] == '\n') && !strncasecmp(p, "content-length:", 15))
                cl = strtoul(p + 15, NULL, 10);
        }
        int kind = !strncmp(s->buf + off, "GET /count ", 11);
        off += hl;
        s->skip = cl;
        enqueue(fd, arrival, kind);
    }
    memmove(s->buf, s->buf + off, s->len - off);
    s->len -= off;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: lg_server PORT [DELAY_US] [ok|chunked|closemid|garbage]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    delay_ns = argc > 2 ? atoll(argv[2]) * 1000LL : 0;
    if (argc > 3) {
        const char *m = argv[3];
        mode = !strcmp(m, "chunked")    ? 1
               : !strcmp(m, "closemid") ? 2
               : !strcmp(m, "garbage")  ? 3
                                        : 0;
    }
    signal(SIGPIPE, SIG_IGN);
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 1024) < 0) {
        perror("lg_server: bind/listen");
        return 1;
    }
    epfd = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
    epoll_ctl(epfd, EPOLL_CTL_ADD, ls, &ev);
    struct epoll_event evs[256];
    for (;;) {
        struct timespec ts, *tsp = NULL;
        if (qlen) {
            int64_t d = q[qhead].due - SPIN_NS - now_ns();
            if (d < 0) d = 0;
            ts.tv_sec = d / 1000000000LL;
            ts.tv_nsec = d % 1000000000LL;
            tsp = &ts;
        }
        int n = epoll_pwait2(epfd, evs, 256, tsp, NULL);
        int64_t now = now_ns();
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                int c;
                while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (c >= MAXFD) {
                        close(c);
                        continue;
                    }
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    if (!fds[c].buf) fds[c].buf = malloc(RBUF);
                    fds[c].len = 0;
                    fds[c].skip = 0;
                    struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(epfd, EPOLL_CTL_ADD, c, &ce);
                }
                continue;
            }
            struct fdst *s = &fds[fd];
            ssize_t r = recv(fd, s->buf + s->len, RBUF - s->len, 0);
            if (r <= 0) {
                if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                drop(fd);
                continue;
            }
            s->len += (size_t)r;
            parse(fd, now);
            if (s->len == RBUF) drop(fd); /* head too large */
        }
        now = now_ns();
        while (qlen && q[qhead].due <= now) {
            struct pend e = q[qhead];
            qhead = (qhead + 1) % QMAX;
            qlen--;
            respond(&e);
        }
    }
}
