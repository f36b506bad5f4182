/* Unit tests for pki.c: the PEM text is parsed back with OpenSSL and
 * checked: the CA is a CA; every node certificate carries exactly the
 * expected SANs (DNS names and, with loopback, IP 127.0.0.1), CA:FALSE,
 * digitalSignature and extKeyUsage serverAuth + clientAuth; every leaf's
 * chain verifies against the CA (for the SSL server and SSL client
 * purposes) and not against another run's CA; the key belongs to the
 * certificate; serials differ. Files: names, 0600 keys (also over an older
 * 0644 file), the same text as in memory; bad names and directories are one
 * line naming them. Finally a mutual-TLS handshake over a socketpair with
 * the generated files (transport_tls_ctx_verify_clients and
 * transport_tls_ctx_use_cert), and its refusal of a client without a
 * certificate. */
#include "cm.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "net/transport.h"
#include "platform/pki.h"

static const char *const names3[] = {"0", "1", "db"};

static struct pki *make(bool loopback)
{
    char err[256] = "";
    struct pki_opts o = {names3, 3, "bench", loopback, 0};
    struct pki *p = pki_new(&o, err, sizeof err);
    if (!p) fail_msg("pki_new: %s", err);
    return p;
}

static X509 *cert_of(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    assert_non_null(x);
    return x;
}

static EVP_PKEY *key_of(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    assert_non_null(k);
    return k;
}

/* The SANs of x as "DNS:a,DNS:b,IP:127.0.0.1". */
static void sans_of(X509 *x, char *out, size_t outlen)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    out[0] = '\0';
    for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        char one[300];
        if (g->type == GEN_DNS) {
            snprintf(one, sizeof one, "DNS:%s", (const char *)ASN1_STRING_get0_data(g->d.dNSName));
        } else if (g->type == GEN_IPADD && ASN1_STRING_length(g->d.iPAddress) == 4) {
            const unsigned char *a = ASN1_STRING_get0_data(g->d.iPAddress);
            snprintf(one, sizeof one, "IP:%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
        } else {
            snprintf(one, sizeof one, "other");
        }
        if (out[0]) strncat(out, ",", outlen - strlen(out) - 1);
        strncat(out, one, outlen - strlen(out) - 1);
    }
    GENERAL_NAMES_free(gens);
}

/* Does leaf verify against ca for purpose? */
static bool verifies(X509 *ca, X509 *leaf, int purpose)
{
    X509_STORE *st = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    assert_int_equal(X509_STORE_add_cert(st, ca), 1);
    assert_int_equal(X509_STORE_CTX_init(ctx, st, leaf, NULL), 1);
    X509_STORE_CTX_set_purpose(ctx, purpose);
    bool ok = X509_verify_cert(ctx) == 1;
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(st);
    return ok;
}

static void test_ca(void **state)
{
    struct pki *p = make(true);
    assert_non_null(strstr(p->ca.cert, "-----BEGIN CERTIFICATE-----"));
    assert_non_null(strstr(p->ca.key, "-----BEGIN PRIVATE KEY-----"));
    X509 *ca = cert_of(p->ca.cert);
    EVP_PKEY *k = key_of(p->ca.key);
    assert_int_equal(X509_check_ca(ca), 1);
    assert_true(X509_get_key_usage(ca) & KU_KEY_CERT_SIGN);
    assert_int_equal(X509_check_private_key(ca, k), 1);
    assert_true(EVP_PKEY_is_a(k, "EC"));
    assert_int_equal(EVP_PKEY_get_bits(k), 256);
    assert_int_equal(X509_check_issued(ca, ca), X509_V_OK); /* self-signed */
    char cn[64];
    X509_NAME_get_text_by_NID(X509_get_subject_name(ca), NID_commonName, cn, sizeof cn);
    assert_string_equal(cn, "meshperf CA");
    /* valid now, for about a year */
    assert_true(X509_cmp_current_time(X509_get0_notBefore(ca)) < 0);
    assert_true(X509_cmp_time(X509_get0_notAfter(ca), &(time_t){time(NULL) + 364 * 86400}) > 0);
    assert_true(X509_cmp_time(X509_get0_notAfter(ca), &(time_t){time(NULL) + 366 * 86400}) < 0);
    X509_free(ca);
    EVP_PKEY_free(k);
    pki_free(p);
}

static void test_nodes(void **state)
{
    struct pki *p = make(true);
    X509 *ca = cert_of(p->ca.cert);
    assert_int_equal(p->n, 3);
    const ASN1_INTEGER *serials[4];
    X509 *leaves[4];
    for (size_t i = 0; i < 4; i++) {
        const struct pki_pem *pem = i < 3 ? &p->nodes[i] : &p->client;
        X509 *x = leaves[i] = cert_of(pem->cert);
        EVP_PKEY *k = key_of(pem->key);
        assert_int_equal(X509_check_private_key(x, k), 1);
        assert_int_equal(X509_check_ca(x), 0);
        assert_int_equal(X509_check_issued(ca, x), X509_V_OK);
        assert_true(verifies(ca, x, X509_PURPOSE_SSL_SERVER));
        assert_true(verifies(ca, x, X509_PURPOSE_SSL_CLIENT));
        uint32_t xku = X509_get_extended_key_usage(x);
        assert_true(xku & XKU_SSL_SERVER);
        assert_true(xku & XKU_SSL_CLIENT);
        assert_true(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE);
        assert_false(X509_get_key_usage(x) & KU_KEY_CERT_SIGN);
        serials[i] = X509_get0_serialNumber(x);
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(ASN1_INTEGER_cmp(serials[i], serials[j]), 0);
        EVP_PKEY_free(k);
    }
    char sans[1024], want[1024];
    for (size_t i = 0; i < 3; i++) {
        const char *x = names3[i];
        sans_of(leaves[i], sans, sizeof sans);
        snprintf(want, sizeof want,
                 "DNS:node-%s,DNS:service-%s,DNS:service-%s.bench,DNS:service-%s.bench.svc,"
                 "DNS:service-%s.bench.svc.cluster.local,IP:127.0.0.1",
                 x, x, x, x, x);
        assert_string_equal(sans, want);
        char cn[64], wcn[64];
        X509_NAME_get_text_by_NID(X509_get_subject_name(leaves[i]), NID_commonName, cn, sizeof cn);
        snprintf(wcn, sizeof wcn, "node-%s", x);
        assert_string_equal(cn, wcn);
    }
    assert_int_equal(X509_check_host(leaves[2], "service-db.bench.svc.cluster.local", 0, 0, NULL),
                     1);
    assert_int_equal(X509_check_host(leaves[2], "service-1", 0, 0, NULL), 0);
    assert_int_equal(X509_check_ip_asc(leaves[0], "127.0.0.1", 0), 1);
    sans_of(leaves[3], sans, sizeof sans);
    assert_string_equal(sans, "DNS:meshperf-client");
    /* another run's CA vouches for none of them */
    struct pki *q = make(false);
    X509 *ca2 = cert_of(q->ca.cert), *n2 = cert_of(q->nodes[0].cert);
    assert_false(verifies(ca2, leaves[0], X509_PURPOSE_SSL_SERVER));
    assert_false(verifies(ca, n2, X509_PURPOSE_SSL_SERVER));
    assert_int_equal(X509_check_ip_asc(n2, "127.0.0.1", 0), 0); /* no loopback asked */
    assert_string_not_equal(p->nodes[0].key, q->nodes[0].key);  /* fresh keys */
    for (size_t i = 0; i < 4; i++)
        X509_free(leaves[i]);
    X509_free(ca);
    X509_free(ca2);
    X509_free(n2);
    pki_free(q);
    pki_free(p);
}

static void test_bad_opts(void **state)
{
    char err[256] = "";
    const char *const bad[] = {"0", "A b"};
    struct pki_opts o = {bad, 2, "ns", true, 0};
    assert_null(pki_new(&o, err, sizeof err));
    assert_string_equal(err, "pki: node name \"A b\": not a DNS label (a-z, 0-9, '-')");
    assert_int_equal(pki_check_opts(&o, err, sizeof err), -1);
    o.n = 1;
    assert_int_equal(pki_check_opts(&o, err, sizeof err), 0);
    o.ns = "Bad_NS";
    assert_null(pki_new(&o, err, sizeof err));
    assert_string_equal(err, "pki: namespace \"Bad_NS\": not a DNS label (a-z, 0-9, '-')");
    o.ns = NULL;
    assert_null(pki_new(&o, err, sizeof err));
    pki_free(NULL);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("%s: %s", path, strerror(errno));
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

/* A temporary directory with the generated files. */
static char dir[64];

static void test_files(void **state)
{
    struct pki *p = make(true);
    char err[512] = "", path[128];
    snprintf(path, sizeof path, "%s/out/node-db.key", dir);
    /* an older key file with a wider mode is narrowed */
    snprintf(err, sizeof err, "%s/out", dir);
    assert_int_equal(mkdir(err, 0755), 0);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("old", f);
    fclose(f);
    assert_int_equal(chmod(path, 0644), 0);
    snprintf(err, sizeof err, "%s/out", dir);
    char out[96];
    snprintf(out, sizeof out, "%s/out", dir);
    if (pki_write_dir(p, out, err, sizeof err) < 0) fail_msg("%s", err);
    assert_int_equal(mode_of(path), 0600);
    assert_string_equal(slurp(path), p->nodes[2].key);
    const char *files[] = {"ca", "node-0", "node-1", "node-db", "client"};
    for (size_t i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/%s.crt", out, files[i]);
        assert_int_equal(mode_of(path), 0644);
        snprintf(path, sizeof path, "%s/%s.key", out, files[i]);
        assert_int_equal(mode_of(path), 0600);
    }
    snprintf(path, sizeof path, "%s/node-1.crt", out);
    assert_string_equal(slurp(path), p->nodes[1].cert);
    /* a directory that cannot be made */
    snprintf(out, sizeof out, "%s/missing/deeper", dir);
    assert_int_equal(pki_write_dir(p, out, err, sizeof err), -1);
    char want[160];
    snprintf(want, sizeof want, "%s: No such file or directory", out);
    assert_string_equal(err, want);
    pki_free(p);
}

/* Drive a client and a server handshake over a socketpair to the end. */
static void handshake(struct transport_tls_ctx *cctx, struct transport_tls_ctx *sctx, int *crc,
                      int *src, struct conn_io *c, struct conn_io *s)
{
    int sv[2];
    char err[256];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    assert_int_equal(transport_tls_client_init(c, sv[0], cctx, "127.0.0.1", err, sizeof err), 0);
    assert_int_equal(transport_tls_server_init(s, sv[1], sctx, err, sizeof err), 0);
    *crc = *src = 1;
    for (int i = 0; i < 400; i++) {
        if (*crc != 0 && *crc != TRANSPORT_ERROR) *crc = transport_handshake(c);
        if (*src != 0 && *src != TRANSPORT_ERROR) *src = transport_handshake(s);
        if ((*crc == 0 || *crc == TRANSPORT_ERROR) && (*src == 0 || *src == TRANSPORT_ERROR)) break;
        struct pollfd pf[2] = {{.fd = sv[0], .events = POLLIN}, {.fd = sv[1], .events = POLLIN}};
        (void)poll(pf, 2, 50);
    }
}

static void test_mtls(void **state)
{
    char err[512] = "", ca[96], cert[96], key[96], ccert[96], ckey[96];
    snprintf(ca, sizeof ca, "%s/out/ca.crt", dir);
    snprintf(cert, sizeof cert, "%s/out/node-0.crt", dir);
    snprintf(key, sizeof key, "%s/out/node-0.key", dir);
    snprintf(ccert, sizeof ccert, "%s/out/client.crt", dir);
    snprintf(ckey, sizeof ckey, "%s/out/client.key", dir);
    struct transport_tls_ctx *sctx = transport_tls_server_ctx(cert, key, err, sizeof err);
    if (!sctx) fail_msg("%s", err);
    if (transport_tls_ctx_verify_clients(sctx, ca, err, sizeof err)) fail_msg("%s", err);
    struct transport_tls_ctx *with = transport_tls_client_ctx(true, ca, err, sizeof err);
    struct transport_tls_ctx *without = transport_tls_client_ctx(true, ca, err, sizeof err);
    assert_non_null(with);
    assert_non_null(without);
    if (transport_tls_ctx_use_cert(with, ccert, ckey, err, sizeof err)) fail_msg("%s", err);
    struct conn_io c, s;
    int crc, src;
    handshake(with, sctx, &crc, &src, &c, &s);
    assert_int_equal(crc, 0);
    assert_int_equal(src, 0);
    transport_close(&c);
    transport_close(&s);
    handshake(without, sctx, &crc, &src, &c, &s);
    assert_int_equal(src, TRANSPORT_ERROR);
    char e[256];
    transport_strerror(&s, e, sizeof e);
    assert_string_equal(e, "peer did not return a certificate");
    transport_close(&c);
    transport_close(&s);
    /* errors name the file */
    assert_int_equal(transport_tls_ctx_use_cert(without, ccert, key, err, sizeof err), -1);
    if (!strstr(err, "TLS key ") || !strstr(err, "node-0.key")) fail_msg("%s", err);
    assert_int_equal(transport_tls_ctx_verify_clients(sctx, "/nonexistent/ca.crt", err, sizeof err),
                     -1);
    if (!strstr(err, "TLS client CA file /nonexistent/ca.crt: ")) fail_msg("%s", err);
    transport_tls_ctx_free(with);
    transport_tls_ctx_free(without);
    transport_tls_ctx_free(sctx);
}

static int setup(void **state)
{
    signal(SIGPIPE, SIG_IGN);
    strcpy(dir, "/tmp/meshperf-pki.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ca),    cmocka_unit_test(test_nodes), cmocka_unit_test(test_bad_opts),
        cmocka_unit_test(test_files), cmocka_unit_test(test_mtls),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
