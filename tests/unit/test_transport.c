/* Unit tests for sock.c, transport.c and transport_tls.c over real sockets:
 * plain round trips on a socketpair and on loopback TCP, connect errors,
 * listen errors, and TLS handshakes against certificates made in the test
 * with OpenSSL's API (a CA, a leaf it signed for localhost/127.0.0.1, and a
 * self-signed leaf): verification on fails against an unknown CA and a
 * self-signed certificate, off (insecure) succeeds, on with the test CA
 * loaded succeeds, and a wrong host name fails. Both ends are non-blocking
 * and are driven in one thread with poll. */
#include "cm.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/sock.h"
#include "net/transport.h"

/* ---- helpers ---- */

static void pair(int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
}

static void wait_fd(int fd, short ev)
{
    struct pollfd p = {.fd = fd, .events = ev};
    assert_true(poll(&p, 1, 5000) >= 0);
}

static void wait_two(int a, int b)
{
    struct pollfd p[2] = {{.fd = a, .events = POLLIN}, {.fd = b, .events = POLLIN}};
    (void)poll(p, 2, 50);
}

/* Write all of buf from w while reading into out on r, handling WANT_*
 * on both sides (TLS may need the peer to read before more can be
 * written). */
static void transfer(struct conn_io *w, struct conn_io *r, const char *buf, size_t n, char *out)
{
    size_t sent = 0, got = 0;
    int idle = 0;
    while (got < n) {
        bool progress = false;
        if (sent < n) {
            ssize_t k = transport_write(w, buf + sent, n - sent);
            if (k > 0) {
                sent += (size_t)k;
                progress = true;
            } else if (k != TRANSPORT_WANT_READ && k != TRANSPORT_WANT_WRITE) {
                char e[256];
                fail_msg("write: %zd %s", k, transport_strerror(w, e, sizeof e));
            }
        }
        ssize_t k = transport_read(r, out + got, n - got);
        if (k > 0) {
            got += (size_t)k;
            progress = true;
        } else if (k == 0) {
            fail_msg("unexpected EOF after %zu bytes", got);
        } else if (k != TRANSPORT_WANT_READ && k != TRANSPORT_WANT_WRITE) {
            char e[256];
            fail_msg("read: %zd %s", k, transport_strerror(r, e, sizeof e));
        }
        if (!progress) {
            assert_true(++idle < 200);
            wait_two(w->fd, r->fd);
        } else {
            idle = 0;
        }
    }
    assert_memory_equal(buf, out, n);
}

/* ---- plain ---- */

static void test_plain_socketpair(void **state)
{
    int sv[2];
    pair(sv);
    struct conn_io a, b;
    transport_plain_init(&a, sv[0]);
    transport_plain_init(&b, sv[1]);
    assert_string_equal(a.ops->name, "plain");
    assert_int_equal(transport_handshake(&a), 0);
    char buf[64];
    assert_int_equal(transport_read(&b, buf, sizeof buf), TRANSPORT_WANT_READ);
    char out[5];
    transfer(&a, &b, "ping!", 5, out);
    transfer(&b, &a, "pong!", 5, out);
    /* fill the socket buffer until WANT_WRITE */
    static char big[1 << 16];
    ssize_t k;
    int rounds = 0;
    while ((k = transport_write(&a, big, sizeof big)) > 0)
        assert_true(++rounds < 10000);
    assert_int_equal(k, TRANSPORT_WANT_WRITE);
    /* close one side: the other drains then sees EOF... */
    transport_close(&a);
    assert_int_equal(a.fd, -1);
    transport_close(&a); /* twice is fine */
    while ((k = transport_read(&b, big, sizeof big)) > 0) {
    }
    assert_int_equal(k, 0);
    /* ...and a write gets EPIPE as an error (no SIGPIPE: MSG_NOSIGNAL) */
    assert_int_equal(transport_write(&b, "x", 1), TRANSPORT_ERROR);
    assert_int_equal(b.sys_errno, EPIPE);
    char e[128];
    assert_string_equal(transport_strerror(&b, e, sizeof e), "Broken pipe");
    transport_close(&b);
    transport_close(NULL);
    struct conn_io zero;
    memset(&zero, 0, sizeof zero);
    transport_close(&zero); /* never initialised: closes nothing (not fd 0) */
    assert_int_not_equal(fcntl(0, F_GETFD), -1);
}

static void test_plain_loopback(void **state)
{
    char err[256] = "";
    int lfd = sock_listen("127.0.0.1", 0, 16, false, err, sizeof err);
    if (lfd < 0) fail_msg("%s", err);
    int port = sock_local_port(lfd);
    assert_true(port > 0 && port < 65536);
    struct sock_addr a;
    assert_int_equal(sock_resolve("127.0.0.1", port, &a, err, sizeof err), 0);
    char s[SOCK_ADDR_STRLEN], want[SOCK_ADDR_STRLEN];
    snprintf(want, sizeof want, "127.0.0.1:%d", port);
    assert_string_equal(sock_addr_str((struct sockaddr *)&a.ss, a.len, s, sizeof s), want);
    int cfd = sock_connect_nonblock((struct sockaddr *)&a.ss, a.len);
    assert_true(cfd >= 0);
    assert_int_not_equal(fcntl(cfd, F_GETFL) & O_NONBLOCK, 0);
    assert_int_not_equal(fcntl(cfd, F_GETFD) & FD_CLOEXEC, 0);
    wait_fd(cfd, POLLOUT);
    assert_int_equal(sock_connect_finish(cfd), 0);
    wait_fd(lfd, POLLIN);
    struct sock_addr peer;
    int sfd = sock_accept(lfd, &peer);
    assert_true(sfd >= 0);
    assert_int_equal(peer.ss.ss_family, AF_INET);
    assert_int_not_equal(fcntl(sfd, F_GETFL) & O_NONBLOCK, 0);
    assert_int_equal(sock_accept(lfd, NULL), -EAGAIN);
    struct conn_io c, sv;
    transport_plain_init(&c, cfd);
    transport_plain_init(&sv, sfd);
    char out[32];
    transfer(&c, &sv, "GET / HTTP/1.1\r\n\r\n", 18, out);
    transfer(&sv, &c, "HTTP/1.1 200 OK\r\n\r\n", 19, out);
    transport_close(&c);
    transport_close(&sv);
    close(lfd);
}

static void test_sock_errors(void **state)
{
    char err[256] = "";
    /* a port nobody listens on: listen, note it, close */
    int lfd = sock_listen("127.0.0.1", 0, 1, false, err, sizeof err);
    assert_true(lfd >= 0);
    int port = sock_local_port(lfd);
    close(lfd);
    struct sock_addr a;
    assert_int_equal(sock_resolve("127.0.0.1", port, &a, err, sizeof err), 0);
    int fd = sock_connect_nonblock((struct sockaddr *)&a.ss, a.len);
    int rc = fd;
    if (fd >= 0) {
        wait_fd(fd, POLLOUT);
        rc = sock_connect_finish(fd);
        close(fd);
    }
    assert_int_equal(rc, -ECONNREFUSED);
    sock_error(err, sizeof err, "connect", (struct sockaddr *)&a.ss, a.len, -rc);
    char want[128];
    snprintf(want, sizeof want, "connect 127.0.0.1:%d: Connection refused", port);
    assert_string_equal(err, want);

    /* the same port twice without SO_REUSEPORT */
    int l1 = sock_listen("127.0.0.1", 0, 1, false, err, sizeof err);
    assert_true(l1 >= 0);
    port = sock_local_port(l1);
    assert_int_equal(sock_listen("127.0.0.1", port, 1, false, err, sizeof err), -1);
    snprintf(want, sizeof want, "listen 127.0.0.1:%d: Address already in use", port);
    assert_string_equal(err, want);
    close(l1);
    /* with SO_REUSEPORT on both, two listeners share it */
    l1 = sock_listen("127.0.0.1", 0, 1, true, err, sizeof err);
    assert_true(l1 >= 0);
    port = sock_local_port(l1);
    int l2 = sock_listen("127.0.0.1", port, 1, true, err, sizeof err);
    if (l2 < 0) fail_msg("%s", err);
    close(l1);
    close(l2);

    assert_int_equal(sock_listen("127.0.0.1", 70000, 1, false, err, sizeof err), -1);
    assert_string_equal(err, "listen 127.0.0.1:70000: port out of range");
    assert_int_equal(sock_listen("not an address", 80, 1, false, err, sizeof err), -1);
    assert_non_null(strstr(err, "resolve not an address:80: "));
    assert_int_equal(sock_resolve("::1", 80, &a, err, sizeof err), 0);
    assert_int_equal(a.ss.ss_family, AF_INET6);
    assert_string_equal(sock_addr_str((struct sockaddr *)&a.ss, a.len, want, sizeof want),
                        "[::1]:80");
    assert_int_equal(sock_local_port(-1), -EBADF);
    assert_int_equal(sock_connect_finish(-1), -EBADF);
}

/* ---- certificates for TLS ---- */

struct pki {
    char dir[64];
    char ca[96], leaf_cert[96], leaf_key[96], self_cert[96], self_key[96];
};
static struct pki pki;

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

/* A certificate for key, signed by issuer/issuer_key (NULL: self-signed). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, bool ca,
                       long serial)
{
    X509 *x = X509_new();
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
    if (ca) {
        add_ext(x, issuer ? issuer : x, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, issuer ? issuer : x, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(x, issuer ? issuer : x, NID_basic_constraints, "CA:FALSE");
        add_ext(x, issuer ? issuer : x, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    }
    assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return x;
}

static void write_pem(const char *path, X509 *x, EVP_PKEY *k)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    if (x) assert_int_equal(PEM_write_X509(f, x), 1);
    if (k) assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
}

static int pki_setup(void **state)
{
    signal(SIGPIPE, SIG_IGN); /* as main.c does: TLS writes use write(2) */
    strcpy(pki.dir, "/tmp/meshperf-tls.XXXXXX");
    if (!mkdtemp(pki.dir)) return -1;
    snprintf(pki.ca, sizeof pki.ca, "%s/ca.pem", pki.dir);
    snprintf(pki.leaf_cert, sizeof pki.leaf_cert, "%s/leaf.pem", pki.dir);
    snprintf(pki.leaf_key, sizeof pki.leaf_key, "%s/leaf.key", pki.dir);
    snprintf(pki.self_cert, sizeof pki.self_cert, "%s/self.pem", pki.dir);
    snprintf(pki.self_key, sizeof pki.self_key, "%s/self.key", pki.dir);
    EVP_PKEY *cak = EVP_EC_gen("P-256"), *lk = EVP_EC_gen("P-256"), *sk = EVP_EC_gen("P-256");
    if (!cak || !lk || !sk) return -1;
    X509 *ca = make_cert(cak, "meshperf test CA", NULL, NULL, true, 1);
    X509 *leaf = make_cert(lk, "localhost", ca, cak, false, 2);
    X509 *self = make_cert(sk, "localhost", NULL, NULL, false, 3);
    write_pem(pki.ca, ca, NULL);
    write_pem(pki.leaf_cert, leaf, NULL);
    write_pem(pki.leaf_key, NULL, lk);
    write_pem(pki.self_cert, self, NULL);
    write_pem(pki.self_key, NULL, sk);
    X509_free(ca);
    X509_free(leaf);
    X509_free(self);
    EVP_PKEY_free(cak);
    EVP_PKEY_free(lk);
    EVP_PKEY_free(sk);
    return 0;
}

static int pki_teardown(void **state)
{
    unlink(pki.ca);
    unlink(pki.leaf_cert);
    unlink(pki.leaf_key);
    unlink(pki.self_cert);
    unlink(pki.self_key);
    rmdir(pki.dir);
    return 0;
}

/* ---- TLS ---- */

struct tls_pair {
    struct conn_io c, s;
    int crc, src; /* final handshake results */
};

/* Handshake a client (cctx, sni) against a server (sctx) over a
 * socketpair (tcp = false) or loopback TCP. */
static void tls_connect(struct tls_pair *p, struct transport_tls_ctx *cctx,
                        struct transport_tls_ctx *sctx, const char *sni, bool tcp)
{
    char err[256] = "";
    int cfd, sfd;
    if (tcp) {
        int lfd = sock_listen("127.0.0.1", 0, 4, false, err, sizeof err);
        assert_true(lfd >= 0);
        struct sock_addr a;
        assert_int_equal(sock_resolve("127.0.0.1", sock_local_port(lfd), &a, err, sizeof err), 0);
        cfd = sock_connect_nonblock((struct sockaddr *)&a.ss, a.len);
        assert_true(cfd >= 0);
        wait_fd(lfd, POLLIN);
        sfd = sock_accept(lfd, NULL);
        assert_true(sfd >= 0);
        wait_fd(cfd, POLLOUT);
        assert_int_equal(sock_connect_finish(cfd), 0);
        close(lfd);
    } else {
        int sv[2];
        pair(sv);
        cfd = sv[0];
        sfd = sv[1];
    }
    if (transport_tls_client_init(&p->c, cfd, cctx, sni, err, sizeof err) != 0) fail_msg("%s", err);
    if (transport_tls_server_init(&p->s, sfd, sctx, err, sizeof err) != 0) fail_msg("%s", err);
    assert_string_equal(p->c.ops->name, "tls");
    p->crc = p->src = 1;
    for (int i = 0; i < 400 && (p->crc || p->src); i++) {
        if (p->crc > 0 || p->crc == TRANSPORT_WANT_READ || p->crc == TRANSPORT_WANT_WRITE)
            p->crc = transport_handshake(&p->c);
        if (p->src > 0 || p->src == TRANSPORT_WANT_READ || p->src == TRANSPORT_WANT_WRITE)
            p->src = transport_handshake(&p->s);
        if (p->crc == TRANSPORT_ERROR || p->src == TRANSPORT_ERROR) break;
        if (p->crc || p->src) wait_two(p->c.fd, p->s.fd);
    }
    /* a failed client still sent an alert: let the server see it */
    if (p->crc == TRANSPORT_ERROR)
        for (int i = 0; i < 100 && p->src != TRANSPORT_ERROR && p->src != 0; i++) {
            p->src = transport_handshake(&p->s);
            if (p->src == TRANSPORT_WANT_READ) wait_fd(p->s.fd, POLLIN);
        }
}

static void tls_close_pair(struct tls_pair *p)
{
    transport_close(&p->c);
    transport_close(&p->s);
}

static struct transport_tls_ctx *server_ctx(bool self)
{
    char err[256] = "";
    struct transport_tls_ctx *s = transport_tls_server_ctx(
        self ? pki.self_cert : pki.leaf_cert, self ? pki.self_key : pki.leaf_key, err, sizeof err);
    if (!s) fail_msg("%s", err);
    return s;
}

static struct transport_tls_ctx *client_ctx(bool verify, const char *ca)
{
    char err[256] = "";
    struct transport_tls_ctx *c = transport_tls_client_ctx(verify, ca, err, sizeof err);
    if (!c) fail_msg("%s", err);
    return c;
}

static void expect_fail(struct tls_pair *p, const char *client_msg)
{
    char e[256];
    assert_int_equal(p->crc, TRANSPORT_ERROR);
    transport_strerror(&p->c, e, sizeof e);
    if (strcmp(e, client_msg) != 0) fail_msg("client error '%s', want '%s'", e, client_msg);
    assert_int_equal(p->src, TRANSPORT_ERROR); /* the server got the alert */
    transport_strerror(&p->s, e, sizeof e);
    assert_non_null(strstr(e, "alert"));
}

static void test_tls_verify_fails(void **state)
{
    struct transport_tls_ctx *sleaf = server_ctx(false), *sself = server_ctx(true);
    struct transport_tls_ctx *cv = client_ctx(true, NULL);
    struct tls_pair p;
    /* system CAs only: our CA is unknown */
    tls_connect(&p, cv, sleaf, "localhost", false);
    expect_fail(&p, "certificate verify failed (unable to get local issuer certificate)");
    tls_close_pair(&p);
    /* a self-signed certificate */
    tls_connect(&p, cv, sself, "localhost", true);
    expect_fail(&p, "certificate verify failed (self-signed certificate)");
    tls_close_pair(&p);
    /* our CA loaded, but the name does not match */
    struct transport_tls_ctx *cca = client_ctx(true, pki.ca);
    tls_connect(&p, cca, sleaf, "wrong.example", false);
    expect_fail(&p, "certificate verify failed (hostname mismatch)");
    tls_close_pair(&p);
    tls_connect(&p, cca, sleaf, "127.0.0.2", false);
    expect_fail(&p, "certificate verify failed (IP address mismatch)");
    tls_close_pair(&p);
    /* our CA does not vouch for the self-signed one */
    tls_connect(&p, cca, sself, "localhost", false);
    expect_fail(&p, "certificate verify failed (self-signed certificate)");
    tls_close_pair(&p);
    transport_tls_ctx_free(cv);
    transport_tls_ctx_free(cca);
    transport_tls_ctx_free(sleaf);
    transport_tls_ctx_free(sself);
}

static void roundtrip_and_close(struct tls_pair *p)
{
    assert_int_equal(p->crc, 0);
    assert_int_equal(p->src, 0);
    char out[64];
    transfer(&p->c, &p->s, "GET / HTTP/1.1\r\n\r\n", 18, out);
    transfer(&p->s, &p->c, "HTTP/1.1 200 OK\r\n\r\n", 19, out);
    /* the client closes (close_notify): the server reads EOF */
    transport_close(&p->c);
    assert_null(p->c.ssl);
    ssize_t k;
    int i = 0;
    while ((k = transport_read(&p->s, out, sizeof out)) == TRANSPORT_WANT_READ) {
        assert_true(++i < 100);
        wait_fd(p->s.fd, POLLIN);
    }
    assert_int_equal(k, 0);
    transport_close(&p->s);
    transport_close(&p->s);
}

static void test_tls_insecure_ok(void **state)
{
    struct transport_tls_ctx *sself = server_ctx(true), *sleaf = server_ctx(false);
    struct transport_tls_ctx *ck = client_ctx(false, NULL);
    struct tls_pair p;
    tls_connect(&p, ck, sself, "localhost", true);
    roundtrip_and_close(&p);
    tls_connect(&p, ck, sleaf, "whatever.example", false); /* no name check either */
    roundtrip_and_close(&p);
    tls_connect(&p, ck, sleaf, NULL, false);
    roundtrip_and_close(&p);
    transport_tls_ctx_free(ck);
    transport_tls_ctx_free(sself);
    transport_tls_ctx_free(sleaf);
}

static void test_tls_verify_with_ca_ok(void **state)
{
    struct transport_tls_ctx *sleaf = server_ctx(false);
    struct transport_tls_ctx *cca = client_ctx(true, pki.ca);
    struct tls_pair p;
    tls_connect(&p, cca, sleaf, "localhost", true);
    roundtrip_and_close(&p);
    tls_connect(&p, cca, sleaf, "LOCALHOST", false);
    roundtrip_and_close(&p);
    tls_connect(&p, cca, sleaf, "127.0.0.1", true); /* IP SAN */
    roundtrip_and_close(&p);
    /* a larger transfer exercises partial writes and WANT_* retries */
    tls_connect(&p, cca, sleaf, "localhost", true);
    size_t n = 3u << 20;
    char *big = malloc(n), *out = malloc(n);
    assert_non_null(big);
    assert_non_null(out);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)(i * 131 + (i >> 11));
    transfer(&p.c, &p.s, big, n, out);
    transfer(&p.s, &p.c, big, n, out);
    free(big);
    free(out);
    roundtrip_and_close(&p);
    transport_tls_ctx_free(cca);
    transport_tls_ctx_free(sleaf);
}

static void test_tls_ctx_errors(void **state)
{
    char err[256] = "";
    assert_null(transport_tls_server_ctx("/nonexistent/cert.pem", pki.leaf_key, err, sizeof err));
    assert_null(strchr(err, '\n'));
    if (!strstr(err, "TLS certificate /nonexistent/cert.pem: ")) fail_msg("%s", err);
    /* a key that does not belong to the certificate */
    assert_null(transport_tls_server_ctx(pki.leaf_cert, pki.self_key, err, sizeof err));
    if (!strstr(err, "TLS key ") || !strstr(err, "self.key: ")) fail_msg("%s", err);
    /* a key file that is a certificate */
    assert_null(transport_tls_server_ctx(pki.leaf_cert, pki.ca, err, sizeof err));
    if (!strstr(err, "TLS key ")) fail_msg("%s", err);
    assert_null(transport_tls_client_ctx(true, "/nonexistent/ca.pem", err, sizeof err));
    if (!strstr(err, "TLS CA file /nonexistent/ca.pem: ")) fail_msg("%s", err);
    transport_tls_ctx_free(NULL);
    /* a peer that is not TLS at all */
    struct transport_tls_ctx *cv = client_ctx(true, pki.ca);
    int sv[2];
    pair(sv);
    struct conn_io c;
    assert_int_equal(transport_tls_client_init(&c, sv[0], cv, "localhost", err, sizeof err), 0);
    assert_int_equal(transport_handshake(&c), TRANSPORT_WANT_READ);
    const char resp[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
    assert_int_equal(write(sv[1], resp, sizeof resp - 1), (ssize_t)(sizeof resp - 1));
    wait_fd(sv[0], POLLIN);
    assert_int_equal(transport_handshake(&c), TRANSPORT_ERROR);
    char e[256];
    transport_strerror(&c, e, sizeof e);
    if (strcmp(e, "wrong version number") != 0 && strcmp(e, "packet length too long") != 0)
        fail_msg("non-TLS peer: %s", e);
    transport_close(&c);
    /* the peer hangs up mid-handshake */
    pair(sv);
    assert_int_equal(transport_tls_client_init(&c, sv[0], cv, "localhost", err, sizeof err), 0);
    assert_int_equal(transport_handshake(&c), TRANSPORT_WANT_READ);
    close(sv[1]);
    assert_int_equal(transport_handshake(&c), TRANSPORT_ERROR);
    transport_strerror(&c, e, sizeof e);
    /* unread ClientHello: the kernel resets; with it read, a plain EOF */
    if (strcmp(e, "Connection reset by peer") != 0 && strcmp(e, "connection closed by peer") != 0)
        fail_msg("hang-up: %s", e);
    transport_close(&c);
    transport_tls_ctx_free(cv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_socketpair), cmocka_unit_test(test_plain_loopback),
        cmocka_unit_test(test_sock_errors),      cmocka_unit_test(test_tls_verify_fails),
        cmocka_unit_test(test_tls_insecure_ok),  cmocka_unit_test(test_tls_verify_with_ca_ok),
        cmocka_unit_test(test_tls_ctx_errors),
    };
    return cmocka_run_group_tests(tests, pki_setup, pki_teardown);
}
