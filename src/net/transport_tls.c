/* transport_tls.c: the TLS transport over OpenSSL 3 (see transport.h).
 *
 * An SSL object sits on the non-blocking fd through OpenSSL's socket BIO;
 * SSL_get_error maps each call's outcome onto TRANSPORT_WANT_READ/WRITE,
 * EOF or TRANSPORT_ERROR, and on error the first code of the thread's
 * OpenSSL error queue (plus the certificate verify result) is kept in the
 * conn_io for transport_strerror. The error queue is cleared before every
 * call so a stale error is never blamed. Contexts set partial writes and
 * moving write buffers, so callers may retry a write from a buffer that has
 * moved, and treat an EOF without close_notify as EOF (HTTP framing, not
 * TLS, detects truncation). A context may also carry this end's certificate
 * (transport_tls_ctx_use_cert: a client's, for mTLS) and, on a server,
 * require and verify the client's (transport_tls_ctx_verify_clients). */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/errbuf.h"
#include "net/transport.h"

struct transport_tls_ctx {
    SSL_CTX *ctx;
    bool verify;
};

/* The reason of the first queued OpenSSL error, as one line; clears the
 * queue. */
static const char *tls_errline(char *buf, size_t len)
{
    unsigned long e = ERR_get_error();
    if (!e) {
        snprintf(buf, len, "unknown TLS error");
    } else if (ERR_GET_LIB(e) == ERR_LIB_SYS) {
        snprintf(buf, len, "%s", strerror(ERR_GET_REASON(e)));
    } else {
        const char *r = ERR_reason_error_string(e);
        if (r)
            snprintf(buf, len, "%s", r);
        else
            ERR_error_string_n(e, buf, len);
    }
    ERR_clear_error();
    return buf;
}

static struct transport_tls_ctx *ctx_new(const SSL_METHOD *m, char *err, size_t errlen)
{
    char why[256];
    ERR_clear_error();
    struct transport_tls_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        errbuf_set(err, errlen, "TLS context: out of memory");
        return NULL;
    }
    c->ctx = SSL_CTX_new(m);
    if (!c->ctx) {
        errbuf_set(err, errlen, "TLS context: %s", tls_errline(why, sizeof why));
        free(c);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    return c;
}

struct transport_tls_ctx *transport_tls_client_ctx(bool verify, const char *ca_file, char *err,
                                                   size_t errlen)
{
    char why[256];
    struct transport_tls_ctx *c = ctx_new(TLS_client_method(), err, errlen);
    if (!c) return NULL;
    c->verify = verify;
    if (verify) {
        if (SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
            errbuf_set(err, errlen, "TLS CA paths: %s", tls_errline(why, sizeof why));
            goto fail;
        }
        if (ca_file && SSL_CTX_load_verify_locations(c->ctx, ca_file, NULL) != 1) {
            errbuf_set(err, errlen, "TLS CA file %s: %s", ca_file, tls_errline(why, sizeof why));
            goto fail;
        }
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    }
    return c;
fail:
    transport_tls_ctx_free(c);
    return NULL;
}

int transport_tls_ctx_use_cert(struct transport_tls_ctx *c, const char *cert_file,
                               const char *key_file, char *err, size_t errlen)
{
    char why[256];
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(c->ctx, cert_file) != 1)
        return errbuf_set(err, errlen, "TLS certificate %s: %s", cert_file,
                          tls_errline(why, sizeof why));
    if (SSL_CTX_use_PrivateKey_file(c->ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(c->ctx) != 1)
        return errbuf_set(err, errlen, "TLS key %s: %s", key_file, tls_errline(why, sizeof why));
    return 0;
}

int transport_tls_ctx_verify_clients(struct transport_tls_ctx *c, const char *ca_file, char *err,
                                     size_t errlen)
{
    char why[256];
    ERR_clear_error();
    if (SSL_CTX_load_verify_locations(c->ctx, ca_file, NULL) != 1)
        return errbuf_set(err, errlen, "TLS client CA file %s: %s", ca_file,
                          tls_errline(why, sizeof why));
    /* the CA names a client is told to pick its certificate by */
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca_file);
    if (!names)
        return errbuf_set(err, errlen, "TLS client CA file %s: %s", ca_file,
                          tls_errline(why, sizeof why));
    SSL_CTX_set_client_CA_list(c->ctx, names);
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    /* a resumed session skips the client's certificate: OpenSSL allows it
     * only within a named context, and fails the handshake without one */
    static const unsigned char sid_ctx[] = "meshperf mtls";
    if (SSL_CTX_set_session_id_context(c->ctx, sid_ctx, sizeof sid_ctx - 1) != 1)
        return errbuf_set(err, errlen, "TLS client CA file %s: %s", ca_file,
                          tls_errline(why, sizeof why));
    c->verify = true;
    return 0;
}

struct transport_tls_ctx *transport_tls_server_ctx(const char *cert_file, const char *key_file,
                                                   char *err, size_t errlen)
{
    struct transport_tls_ctx *c = ctx_new(TLS_server_method(), err, errlen);
    if (!c) return NULL;
    /* no renegotiation (a read never has to write for it); idle
     * connections give their record buffers back */
    SSL_CTX_set_options(c->ctx, SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(c->ctx, SSL_MODE_RELEASE_BUFFERS);
    if (transport_tls_ctx_use_cert(c, cert_file, key_file, err, errlen) < 0) {
        transport_tls_ctx_free(c);
        return NULL;
    }
    return c;
}

void transport_tls_ctx_free(struct transport_tls_ctx *c)
{
    if (!c) return;
    SSL_CTX_free(c->ctx);
    free(c);
}

/* Map a failed SSL call's return onto the transport's codes. eof_ok: a
 * clean close is EOF (reads) rather than an error (handshake). */
static int tls_fail(struct conn_io *io, int rc, bool eof_ok)
{
    int e = SSL_get_error(io->ssl, rc);
    switch (e) {
    case SSL_ERROR_WANT_READ:
        return TRANSPORT_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return TRANSPORT_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        if (eof_ok) return 0;
        io->tls_fatal = true;
        return TRANSPORT_ERROR;
    case SSL_ERROR_SYSCALL:
        io->tls_fatal = true;
        io->tls_err = ERR_peek_error();
        if (!io->tls_err) io->sys_errno = errno;
        if (!io->tls_err && !io->sys_errno && eof_ok) return 0; /* EOF w/o close_notify */
        ERR_clear_error();
        return TRANSPORT_ERROR;
    default: /* SSL_ERROR_SSL and anything unexpected */
        io->tls_fatal = true;
        io->tls_err = ERR_peek_error();
        io->verify_result = SSL_get_verify_result(io->ssl);
        ERR_clear_error();
        return TRANSPORT_ERROR;
    }
}

static int tls_handshake(struct conn_io *io)
{
    ERR_clear_error();
    int rc = SSL_do_handshake(io->ssl);
    if (rc == 1) return 0;
    return tls_fail(io, rc, false);
}

static ssize_t tls_read(struct conn_io *io, void *buf, size_t n)
{
    ERR_clear_error();
    int rc = SSL_read(io->ssl, buf, n > INT_MAX ? INT_MAX : (int)n);
    if (rc > 0) return rc;
    return tls_fail(io, rc, true);
}

static ssize_t tls_write(struct conn_io *io, const void *buf, size_t n)
{
    if (n == 0) return 0;
    ERR_clear_error();
    int rc = SSL_write(io->ssl, buf, n > INT_MAX ? INT_MAX : (int)n);
    if (rc > 0) return rc;
    return tls_fail(io, rc, false);
}

static void tls_close(struct conn_io *io)
{
    if (!io) return;
    if (io->ssl) {
        if (!io->tls_fatal && SSL_is_init_finished(io->ssl)) {
            (void)SSL_shutdown(io->ssl); /* best effort, non-blocking */
        }
        SSL_free(io->ssl);
        ERR_clear_error();
        io->ssl = NULL;
    }
    if (io->fd >= 0) close(io->fd);
    io->fd = -1;
}

const struct transport_ops transport_tls = {
    .name = "tls",
    .handshake = tls_handshake,
    .read = tls_read,
    .write = tls_write,
    .close = tls_close,
};

static int tls_init(struct conn_io *io, int fd, struct transport_tls_ctx *ctx, char *err,
                    size_t errlen)
{
    char why[256];
    memset(io, 0, sizeof *io);
    io->fd = fd;
    io->ops = &transport_tls;
    ERR_clear_error();
    io->ssl = SSL_new(ctx->ctx);
    if (!io->ssl || SSL_set_fd(io->ssl, fd) != 1) {
        errbuf_set(err, errlen, "TLS: %s", tls_errline(why, sizeof why));
        io->tls_fatal = true;
        tls_close(io);
        return -1;
    }
    return 0;
}

static bool is_ip_literal(const char *s)
{
    unsigned char b[16];
    return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

int transport_tls_client_init(struct conn_io *io, int fd, struct transport_tls_ctx *ctx,
                              const char *sni_host, char *err, size_t errlen)
{
    char why[256];
    if (tls_init(io, fd, ctx, err, errlen) < 0) return -1;
    SSL_set_connect_state(io->ssl);
    if (sni_host && *sni_host) {
        bool ip = is_ip_literal(sni_host);
        int ok = 1;
        if (!ip) ok = SSL_set_tlsext_host_name(io->ssl, sni_host) == 1;
        if (ok && ctx->verify) {
            if (ip) {
                ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(io->ssl), sni_host) == 1;
            } else {
                SSL_set_hostflags(io->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
                ok = SSL_set1_host(io->ssl, sni_host) == 1;
            }
        }
        if (!ok) {
            errbuf_set(err, errlen, "TLS server name '%s': %s", sni_host,
                       tls_errline(why, sizeof why));
            io->tls_fatal = true;
            tls_close(io);
            return -1;
        }
    }
    return 0;
}

int transport_tls_server_init(struct conn_io *io, int fd, struct transport_tls_ctx *ctx, char *err,
                              size_t errlen)
{
    if (tls_init(io, fd, ctx, err, errlen) < 0) return -1;
    SSL_set_accept_state(io->ssl);
    return 0;
}

size_t transport_tls_pending(const struct conn_io *io)
{
    if (!io || io->ops != &transport_tls || !io->ssl) return 0;
    int n = SSL_pending(io->ssl);
    return n > 0 ? (size_t)n : 0;
}

void transport_tls_thread_stop(void)
{
    OPENSSL_thread_stop();
}
