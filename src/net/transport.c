/* transport.c: the plain-TCP transport and the parts shared by all
 * transports (dispatch, closing, error text). The TLS transport is in
 * transport_tls.c. Plain reads and writes are read(2) and send(2) with
 * MSG_NOSIGNAL on the fd; EAGAIN becomes TRANSPORT_WANT_*. */
#include "net/transport.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int plain_handshake(struct conn_io *io)
{
    return 0;
}

static ssize_t plain_read(struct conn_io *io, void *buf, size_t n)
{
    for (;;) {
        ssize_t r = read(io->fd, buf, n);
        if (r >= 0) return r;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return TRANSPORT_WANT_READ;
        io->sys_errno = errno;
        return TRANSPORT_ERROR;
    }
}

static ssize_t plain_write(struct conn_io *io, const void *buf, size_t n)
{
    for (;;) {
        ssize_t r = send(io->fd, buf, n, MSG_NOSIGNAL);
        if (r < 0 && errno == ENOTSOCK) r = write(io->fd, buf, n); /* a pipe, in tests */
        if (r >= 0) return r;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return TRANSPORT_WANT_WRITE;
        io->sys_errno = errno;
        return TRANSPORT_ERROR;
    }
}

static void plain_close(struct conn_io *io)
{
    if (!io) return;
    if (io->fd >= 0) close(io->fd);
    io->fd = -1;
}

const struct transport_ops transport_plain = {
    .name = "plain",
    .handshake = plain_handshake,
    .read = plain_read,
    .write = plain_write,
    .close = plain_close,
};

void transport_plain_init(struct conn_io *io, int fd)
{
    memset(io, 0, sizeof *io);
    io->fd = fd;
    io->ops = &transport_plain;
}

void transport_close(struct conn_io *io)
{
    if (io && io->ops) io->ops->close(io);
}

char *transport_strerror(const struct conn_io *io, char *out, size_t outlen)
{
    if (!outlen) return out;
    if (io->tls_err) {
        const char *why = ERR_reason_error_string(io->tls_err);
        char tmp[256];
        if (!why) {
            ERR_error_string_n(io->tls_err, tmp, sizeof tmp);
            why = tmp;
        }
        if (io->verify_result != X509_V_OK)
            snprintf(out, outlen, "%s (%s)", why, X509_verify_cert_error_string(io->verify_result));
        else
            snprintf(out, outlen, "%s", why);
    } else if (io->sys_errno) {
        snprintf(out, outlen, "%s", strerror(io->sys_errno));
    } else if (io->tls_fatal) {
        snprintf(out, outlen, "connection closed by peer");
    } else {
        snprintf(out, outlen, "no error");
    }
    return out;
}
