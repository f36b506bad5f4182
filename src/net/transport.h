/* transport.h: one small interface over plain TCP and TLS connections, so
 * the load generator and the server do not care which one they have (the
 * shape of wrk's struct sock).
 *
 * A struct conn_io lives inside the caller's connection object and holds the
 * fd, the ops table and (for TLS) the SSL object. All calls are
 * non-blocking. When a call returns TRANSPORT_WANT_READ or
 * TRANSPORT_WANT_WRITE, wait for that readiness on io->fd and repeat the
 * same call (TLS can want to write during a read and vice versa). Errors
 * are TRANSPORT_ERROR; transport_strerror() turns the error kept in the
 * conn_io into one line. Nothing here allocates a string per error.
 *
 * TLS uses OpenSSL 3. A struct transport_tls_ctx wraps an SSL_CTX; it is
 * read-only after creation and may be shared by all threads. Plain writes
 * use MSG_NOSIGNAL; TLS writes go through write(2), so the process must
 * ignore SIGPIPE (main.c does). */
#ifndef MESHPERF_TRANSPORT_H
#define MESHPERF_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TRANSPORT_ERROR      (-1)
#define TRANSPORT_WANT_READ  (-2)
#define TRANSPORT_WANT_WRITE (-3)

struct conn_io;
struct ssl_st;
struct transport_tls_ctx;

struct transport_ops {
    const char *name; /* "plain" or "tls" */
    /* 0 when done, TRANSPORT_WANT_READ/WRITE, TRANSPORT_ERROR. Plain: 0
     * at once. Call only after the TCP connect finished. */
    int (*handshake)(struct conn_io *io);
    /* > 0 bytes read, 0 on orderly EOF (TLS: close_notify, or the peer
     * closing without it, counted as EOF), TRANSPORT_WANT_*, TRANSPORT_ERROR. */
    ssize_t (*read)(struct conn_io *io, void *buf, size_t n);
    /* > 0 bytes written (may be short), TRANSPORT_WANT_*, TRANSPORT_ERROR.
     * TLS: after WANT_*, retry with the same buf and n (the pointer may
     * change: partial writes and moving buffers are allowed). */
    ssize_t (*write)(struct conn_io *io, const void *buf, size_t n);
    /* Free TLS state (sending close_notify best-effort if the session is
     * healthy) and close the fd; leaves io->fd = -1 and io->ssl = NULL.
     * Safe on NULL, on a zeroed conn_io and twice. */
    void (*close)(struct conn_io *io);
};

struct conn_io {
    int fd;                          /* -1 when closed */
    const struct transport_ops *ops; /* transport_plain or transport_tls */
    struct ssl_st *ssl;              /* TLS only; owned */
    int sys_errno;                   /* last errno behind TRANSPORT_ERROR, or 0 */
    unsigned long tls_err;           /* first OpenSSL error code, or 0 */
    long verify_result;              /* X509_V_OK or the verify failure */
    bool tls_fatal;                  /* no close_notify on close */
};

extern const struct transport_ops transport_plain;
extern const struct transport_ops transport_tls;

/* Wrap a connected (or connecting) fd as a plain connection; io then owns
 * the fd. Cannot fail. */
void transport_plain_init(struct conn_io *io, int fd);

/* Wrap fd as a TLS client connection using ctx. sni_host is the server
 * name (an IP literal is allowed: then no SNI is sent); when the ctx
 * verifies, the certificate must match it (SSL_set1_host, or the IP SAN).
 * NULL: no SNI and no name check (the chain is still verified).
 * io owns the fd on success and on failure (failure closes it). Returns 0,
 * or -1 with err filled. Call handshake until it returns 0. */
int transport_tls_client_init(struct conn_io *io, int fd, struct transport_tls_ctx *ctx,
                              const char *sni_host, char *err, size_t errlen);

/* Wrap an accepted fd as a TLS server connection; as above. */
int transport_tls_server_init(struct conn_io *io, int fd, struct transport_tls_ctx *ctx, char *err,
                              size_t errlen);

/* A client context: TLS 1.2+, system CA paths, and ca_file (PEM, may be
 * NULL) as extra trust. verify = false (insecure, -k) skips certificate
 * and name checks. Returns NULL with err filled on failure. Free with
 * transport_tls_ctx_free. */
struct transport_tls_ctx *transport_tls_client_ctx(bool verify, const char *ca_file, char *err,
                                                   size_t errlen);

/* A server context from a PEM certificate (chain) file and key file.
 * Renegotiation is off; idle connections release their record buffers.
 * Returns NULL with err such as "TLS key /x/key.pem: ..." on failure. */
struct transport_tls_ctx *transport_tls_server_ctx(const char *cert_file, const char *key_file,
                                                   char *err, size_t errlen);

/* Present cert_file (PEM, leaf first, then any intermediates) with
 * key_file (PEM) as this end's certificate: on a client context, the
 * client certificate a server with verify_clients asks for. Call before
 * any connection is made from ctx. 0, or -1 with err "TLS certificate
 * /x/c.crt: ..." or "TLS key /x/c.key: ..." (also when the key does not
 * belong to the certificate). */
int transport_tls_ctx_use_cert(struct transport_tls_ctx *ctx, const char *cert_file,
                               const char *key_file, char *err, size_t errlen);

/* Mutual TLS on a server context: every client must present a certificate
 * that verifies against ca_file (PEM; only it is trusted for clients, not
 * the system CAs; no name check); a client without one, or with another,
 * fails the handshake. Call before any connection is made from ctx. 0, or
 * -1 with err "TLS client CA file /x/ca.crt: ...". */
int transport_tls_ctx_verify_clients(struct transport_tls_ctx *ctx, const char *ca_file, char *err,
                                     size_t errlen);

/* NULL is fine. Connections made from the ctx may outlive it (OpenSSL
 * reference-counts the SSL_CTX). */
void transport_tls_ctx_free(struct transport_tls_ctx *ctx);

/* Bytes TLS has already taken off io's socket and decrypted but read has
 * not returned yet: the socket will not signal readiness for them, so a
 * caller that stopped reading early must read again. 0 for plain. */
size_t transport_tls_pending(const struct conn_io *io);

/* Release the TLS library's state of the calling thread (its error queue
 * and the like). Call it last in a detached thread that may have used TLS,
 * before it tells anyone it is done: otherwise the process may exit while
 * that state is still being freed by the thread's exit, which leak checkers
 * report. Harmless in a thread that never used TLS; joined threads need it
 * not. */
void transport_tls_thread_stop(void);

/* One line describing the last error on io, e.g. "certificate verify
 * failed (self-signed certificate)" or "Connection reset by peer", written
 * to out (NUL-terminated). Returns out. */
char *transport_strerror(const struct conn_io *io, char *out, size_t outlen);

/* Convenience dispatchers. */
static inline int transport_handshake(struct conn_io *io)
{
    return io->ops->handshake(io);
}
static inline ssize_t transport_read(struct conn_io *io, void *buf, size_t n)
{
    return io->ops->read(io, buf, n);
}
static inline ssize_t transport_write(struct conn_io *io, const void *buf, size_t n)
{
    return io->ops->write(io, buf, n);
}
/* NULL-safe; a conn_io with no ops (never initialised, zeroed) just closes
 * nothing. */
void transport_close(struct conn_io *io);

#endif
