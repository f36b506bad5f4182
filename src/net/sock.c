/* sock.c: TCP socket helpers (see sock.h): address literals parsed with
 * inet_pton and names resolved with getaddrinfo, at set-up time;
 * non-blocking connect with SO_ERROR check, listen and accept4. Every fd is
 * made with SOCK_NONBLOCK | SOCK_CLOEXEC so there is no window where it is
 * blocking or leaks into a child. */
#include "net/sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/errbuf.h"

/* host as a numeric IPv4 or IPv6 literal (inet_pton's strict forms, no
 * scope): 0 and *out filled, or -1 if it is not one. No getaddrinfo, which
 * would fault in ~300 KiB of libc that `serve` then keeps resident for its
 * whole life (idle RSS, issue #3). */
static int literal(const char *host, int port, struct sock_addr *out)
{
    struct in_addr a4;
    struct in6_addr a6;
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, host, &a4) == 1) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        sin->sin_addr = a4;
        out->len = sizeof *sin;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &a6) == 1) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        sin6->sin6_addr = a6;
        out->len = sizeof *sin6;
        return 0;
    }
    return -1;
}

int sock_resolve(const char *host, int port, struct sock_addr *out, char *err, size_t errlen)
{
    if (port < 0 || port > 65535)
        return errbuf_set(err, errlen, "resolve %s:%d: port out of range", host, port);
    if (literal(host, port, out) == 0) return 0;
    /* names, and the literal forms only getaddrinfo takes ("127.1",
     * "fe80::1%eth0") */
    struct addrinfo hints, *res = NULL;
    char serv[16];
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(serv, sizeof serv, "%d", port);
    int rc = getaddrinfo(host, serv, &hints, &res);
    if (rc != 0) {
        const char *why = rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc);
        return errbuf_set(err, errlen, "resolve %s:%d: %s", host, port, why);
    }
    if (!res || res->ai_addrlen > sizeof out->ss) {
        freeaddrinfo(res);
        return errbuf_set(err, errlen, "resolve %s:%d: no address", host, port);
    }
    memset(out, 0, sizeof *out);
    memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
    out->len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

char *sock_addr_str(const struct sockaddr *sa, socklen_t len, char *out, size_t outlen)
{
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (!outlen) return out;
    if (sa && sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        port = ntohs(a->sin_port);
        snprintf(out, outlen, "%s:%d", host, port);
    } else if (sa && sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        port = ntohs(a->sin6_port);
        snprintf(out, outlen, "[%s]:%d", host, port);
    } else {
        snprintf(out, outlen, "(unknown address)");
    }
    return out;
}

int sock_error(char *err, size_t errlen, const char *op, const struct sockaddr *sa, socklen_t len,
               int errnum)
{
    char a[SOCK_ADDR_STRLEN];
    return errbuf_set(err, errlen, "%s %s: %s", op, sock_addr_str(sa, len, a, sizeof a),
                      strerror(errnum < 0 ? -errnum : errnum));
}

static void nodelay(int fd)
{
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int sock_connect_nonblock(const struct sockaddr *sa, socklen_t len)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) return -errno;
    nodelay(fd);
    if (connect(fd, sa, len) < 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int sock_connect_finish(int fd)
{
    int e = 0;
    socklen_t l = sizeof e;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0) return -errno;
    if (e) return -e;
    /* SO_ERROR 0 also before the connect completes; check we have a peer. */
    struct sockaddr_storage ss;
    l = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &l) < 0)
        return errno == ENOTCONN ? -EINPROGRESS : -errno;
    return 0;
}

int sock_listen(const char *host, int port, int backlog, bool reuseport, char *err, size_t errlen)
{
    if (!host || !*host) host = "0.0.0.0";
    if (port < 0 || port > 65535)
        return errbuf_set(err, errlen, "listen %s:%d: port out of range", host, port);
    struct sock_addr a;
    char rerr[ERRBUF_LEN];
    if (sock_resolve(host, port, &a, rerr, sizeof rerr) < 0)
        return errbuf_set(err, errlen, "listen: %s", rerr);
    int fd = socket(a.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) return sock_error(err, errlen, "listen", (struct sockaddr *)&a.ss, a.len, errno);
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) ||
        bind(fd, (struct sockaddr *)&a.ss, a.len) < 0 || listen(fd, backlog) < 0) {
        int e = errno;
        close(fd);
        return sock_error(err, errlen, "listen", (struct sockaddr *)&a.ss, a.len, e);
    }
    return fd;
}

int sock_local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t l = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &l) < 0) return -errno;
    if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -EAFNOSUPPORT;
}

int sock_accept(int lfd, struct sock_addr *peer)
{
    struct sock_addr tmp;
    struct sock_addr *a = peer ? peer : &tmp;
    a->len = sizeof a->ss;
    int fd = accept4(lfd, (struct sockaddr *)&a->ss, &a->len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return -errno;
    nodelay(fd);
    return fd;
}
