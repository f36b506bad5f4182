/* loadgen_setup.c: the load generator's set-up steps that run once, before
 * any thread (see loadgen_setup.h): the blocking pre-flight connection that
 * turns a dead target into one clear line, the request bytes every
 * connection sends, and the file descriptor limit. */
#include "load/loadgen_setup.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/errbuf.h"
#include "base/mono.h"
#include "net/transport.h"

#ifndef MESHPERF_VERSION
#define MESHPERF_VERSION "dev"
#endif

/* ---- pre-flight and request ---- */

/* Wait for fd to be ready for `events` until deadline, or for stop_fd
 * (-1 = none) to become readable. 1 ready (preferred when both are), 0
 * timeout, -1 stopped. */
static int wait_fd(int fd, short events, mono_us deadline, int stop_fd)
{
    for (;;) {
        mono_us left = deadline - mono_now();
        if (left <= 0) return 0;
        struct pollfd p[2] = {{.fd = fd, .events = events}, {.fd = stop_fd, .events = POLLIN}};
        int ms = left > 1000LL * 1000000 ? 1000000 : (int)((left + 999) / 1000);
        int rc = poll(p, stop_fd >= 0 ? 2 : 1, ms);
        if (rc > 0) return p[0].revents || !p[1].revents ? 1 : -1;
        if (rc == 0) continue; /* the loop head decides on the deadline */
        if (errno != EINTR) return 1;
    }
}

/* "connect ADDR: why" into err; when no local port was left for the
 * connection, a second half naming the cause. Returns -1. */
static int connect_error(char *err, size_t errlen, const struct sockaddr *sa, socklen_t len,
                         int errnum)
{
    int e = errnum < 0 ? -errnum : errnum;
    sock_error(err, errlen, "connect", sa, len, e);
    size_t n = err ? strnlen(err, errlen) : 0;
    if ((e == EADDRNOTAVAIL || e == EADDRINUSE) && n + 1 < errlen)
        snprintf(err + n, errlen - n,
                 " (no local port left for a new connection: the ephemeral ports of "
                 "net.ipv4.ip_local_port_range are all in use)");
    return -1;
}

/* One blocking connect (and TLS handshake) so that a dead target gives a
 * clear line before any thread starts. */
int loadgen_setup_preflight(const struct url *u, const struct sock_addr *addr,
                            struct transport_tls_ctx *tls, int64_t timeout_us, int stop_fd,
                            char *err, size_t errlen)
{
    char auth[URL_HOST_MAX + 16];
    url_authority(u, auth, sizeof auth);
    const struct sockaddr *sa = (const struct sockaddr *)&addr->ss;
    mono_us deadline = mono_now() + timeout_us;
    int fd = sock_connect_nonblock(sa, addr->len);
    if (fd < 0) return connect_error(err, errlen, sa, addr->len, -fd);
    int w = wait_fd(fd, POLLOUT, deadline, stop_fd);
    if (w <= 0) {
        close(fd);
        return w ? 1 : errbuf_set(err, errlen, "connect %s: timed out", auth);
    }
    int rc = sock_connect_finish(fd);
    if (rc < 0) {
        close(fd);
        return connect_error(err, errlen, sa, addr->len, -rc);
    }
    if (!tls) {
        close(fd);
        return 0;
    }
    struct conn_io io;
    memset(&io, 0, sizeof io);
    char e[ERRBUF_LEN];
    if (transport_tls_client_init(&io, fd, tls, u->host, e, sizeof e) < 0)
        return errbuf_set(err, errlen, "TLS with %s: %s", auth, e);
    for (;;) {
        rc = transport_handshake(&io);
        if (rc == 0) break;
        if (rc == TRANSPORT_WANT_READ || rc == TRANSPORT_WANT_WRITE) {
            w = wait_fd(io.fd, rc == TRANSPORT_WANT_READ ? POLLIN : POLLOUT, deadline, stop_fd);
            if (w <= 0) {
                transport_close(&io);
                return w ? 1 : errbuf_set(err, errlen, "TLS handshake with %s: timed out", auth);
            }
            continue;
        }
        transport_strerror(&io, e, sizeof e);
        transport_close(&io);
        return errbuf_set(err, errlen, "TLS handshake with %s: %s", auth, e);
    }
    transport_close(&io);
    return 0;
}

static bool header_named(const char *h, const char *name)
{
    size_t n = strlen(name);
    return !strncasecmp(h, name, n) && h[n] == ':';
}

char *loadgen_setup_request(const struct loadgen_opts *o, const struct url *u, size_t *len,
                            bool *head, char *err, size_t errlen)
{
    const char *method = o->method ? o->method : (o->payload ? "POST" : "GET");
    *head = !strcmp(method, "HEAD");
    bool has_host = false, has_ua = false, has_len = false, has_te = false;
    size_t extra = 0;
    for (size_t i = 0; i < o->nheaders; i++) {
        has_host |= header_named(o->headers[i], "host");
        has_ua |= header_named(o->headers[i], "user-agent");
        has_len |= header_named(o->headers[i], "content-length");
        has_te |= header_named(o->headers[i], "transfer-encoding");
        extra += strlen(o->headers[i]) + 2;
    }
    char host[URL_HOST_MAX + 16];
    url_host_header(u, host, sizeof host);
    size_t cap = strlen(method) + strlen(u->path) + strlen(host) + extra + o->payload_len + 256;
    char *req = malloc(cap);
    if (!req) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    int n = snprintf(req, cap, "%s %s HTTP/1.1\r\n", method, u->path);
    if (!has_host) n += snprintf(req + n, cap - (size_t)n, "Host: %s\r\n", host);
    if (!has_ua)
        n += snprintf(req + n, cap - (size_t)n, "User-Agent: meshperf/%s\r\n", MESHPERF_VERSION);
    for (size_t i = 0; i < o->nheaders; i++)
        n += snprintf(req + n, cap - (size_t)n, "%s\r\n", o->headers[i]);
    if (o->payload && !has_len && !has_te)
        n += snprintf(req + n, cap - (size_t)n, "Content-Length: %zu\r\n", o->payload_len);
    n += snprintf(req + n, cap - (size_t)n, "\r\n");
    if (o->payload_len) memcpy(req + n, o->payload, o->payload_len);
    *len = (size_t)n + o->payload_len;
    return req;
}

long loadgen_setup_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return -1;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit up = {rl.rlim_max, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &up) == 0) rl.rlim_cur = rl.rlim_max;
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)LONG_MAX) return LONG_MAX;
    return (long)rl.rlim_cur;
}
