/* sock.h: TCP socket helpers for the event-loop code: name resolution at
 * set-up time, non-blocking connect, listening and accepting.
 *
 * Every socket made here is non-blocking and close-on-exec; connected ones
 * have TCP_NODELAY. Functions on the hot path return a file descriptor or
 * -errno and touch no error buffer; set-up functions fill a caller's
 * (err, errlen) with one line such as "connect 127.0.0.1:9: Connection
 * refused" (see errbuf.h). */
#ifndef MESHPERF_SOCK_H
#define MESHPERF_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* An address with its length, as resolved. Plain data: copy freely. */
struct sock_addr {
    struct sockaddr_storage ss;
    socklen_t len;
};

#define SOCK_ADDR_STRLEN 64 /* enough for "[ipv6%scope]:65535" */

/* Resolve host (DNS name or IPv4/IPv6 literal, without brackets) and port:
 * a literal inet_pton takes directly, anything else with getaddrinfo,
 * blocking: call it at set-up time, never from a loop. Takes the first TCP
 * address returned. 0, or -1 with err such as
 * "resolve nosuch.invalid:80: Name or service not known". */
int sock_resolve(const char *host, int port, struct sock_addr *out, char *err, size_t errlen);

/* Format sa as "1.2.3.4:80" or "[::1]:80" into out (NUL-terminated,
 * truncated to outlen). Returns out. */
char *sock_addr_str(const struct sockaddr *sa, socklen_t len, char *out, size_t outlen);

/* Fill err with "<op> <addr>: <strerror(errnum)>" (errnum positive);
 * returns -1. For callers that got -errno from the functions below. */
int sock_error(char *err, size_t errlen, const char *op, const struct sockaddr *sa, socklen_t len,
               int errnum);

/* Start a non-blocking TCP connect to sa. Returns the fd (connect in
 * progress or already done; wait for writability, then call
 * sock_connect_finish), or -errno (e.g. -ECONNREFUSED, -EMFILE). The fd is
 * the caller's to close. */
int sock_connect_nonblock(const struct sockaddr *sa, socklen_t len);

/* After the fd became writable: 0 if the connect succeeded, -errno (from
 * SO_ERROR) if it failed, -EINPROGRESS if it has not finished yet. */
int sock_connect_finish(int fd);

/* Create a listening TCP socket on host:port (host NULL or "" = 0.0.0.0;
 * port 0 = an ephemeral port, see sock_local_port), with SO_REUSEADDR, and
 * SO_REUSEPORT if reuseport (so each thread can have its own listener).
 * Returns the fd, or -1 with err such as
 * "listen 127.0.0.1:80: Permission denied". */
int sock_listen(const char *host, int port, int backlog, bool reuseport, char *err, size_t errlen);

/* The local port of a bound socket, or -errno. */
int sock_local_port(int fd);

/* accept4 a connection from listening fd lfd: the new fd is non-blocking,
 * close-on-exec, TCP_NODELAY. peer (may be NULL) receives the address.
 * Returns the fd or -errno (-EAGAIN when none is waiting; -EMFILE etc.). */
int sock_accept(int lfd, struct sock_addr *peer);

#endif
