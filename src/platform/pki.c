/* pki.c: the mesh's CA and certificates (see pki.h).
 *
 * Each certificate is built as an X509 object (version 3, random serial,
 * subject CN, extensions set through X509V3_EXT_conf_nid with the issuer in
 * the context so that the key identifiers link up), signed with SHA-256 by
 * the CA's key, and turned into PEM text through a memory BIO. Files are
 * written with open(2) at their final mode (fchmod'ed, so an older file with
 * a wider mode is narrowed before any key byte goes in). */
#include "platform/pki.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/errbuf.h"

#define PKI_NAME_MAX 253 /* a DNS name */

/* OpenSSL's reason for the first queued error, as "pki: <reason>"; clears
 * the queue. Always -1. */
static int ssl_fail(char *err, size_t errlen, const char *what)
{
    unsigned long e = ERR_get_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    errbuf_set(err, errlen, "pki: %s: %s", what, r ? r : "unknown OpenSSL error");
    ERR_clear_error();
    return -1;
}

/* One DNS label: 1..63 of [a-z0-9-], not starting or ending with '-'. */
static bool dns_label(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max || s[0] == '-' || s[n - 1] == '-') return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')) return false;
    return true;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (!ext) return -1;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok == 1 ? 0 : -1;
}

/* A certificate for key named cn, signed by ca/ca_key (NULL: self-signed,
 * a CA), with subjectAltName san (leaves only). NULL on failure (OpenSSL's
 * error queue says why). */
static X509 *cert_new(EVP_PKEY *key, const char *cn, X509 *ca, EVP_PKEY *ca_key, const char *san,
                      int days)
{
    X509 *x = X509_new();
    unsigned char serial[16];
    BIGNUM *bn = NULL;
    if (!x || RAND_bytes(serial, sizeof serial) != 1) goto fail;
    serial[0] &= 0x7f; /* positive */
    serial[0] |= 0x01; /* and 16 bytes long */
    bn = BN_bin2bn(serial, sizeof serial, NULL);
    if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x))) goto fail;
    X509_NAME *name = X509_get_subject_name(x);
    if (X509_set_version(x, 2) != 1 || !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400) ||
        X509_set_pubkey(x, key) != 1 ||
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"meshperf", -1,
                                   -1, 0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
                                   0) != 1 ||
        X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : name) != 1)
        goto fail;
    X509 *issuer = ca ? ca : x;
    int rc = add_ext(x, issuer, NID_subject_key_identifier, "hash");
    if (!rc) rc = add_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
    if (!ca) {
        if (!rc) rc = add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
        if (!rc) rc = add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        if (!rc) rc = add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
        if (!rc) rc = add_ext(x, issuer, NID_key_usage, "critical,digitalSignature");
        if (!rc) rc = add_ext(x, issuer, NID_ext_key_usage, "serverAuth,clientAuth");
        if (!rc && san) rc = add_ext(x, issuer, NID_subject_alt_name, san);
    }
    if (rc || X509_sign(x, ca_key ? ca_key : key, EVP_sha256()) <= 0) goto fail;
    BN_free(bn);
    return x;
fail:
    BN_free(bn);
    X509_free(x);
    return NULL;
}

/* What a memory BIO holds, as a NUL-terminated malloc'ed string. */
static char *bio_string(BIO *b)
{
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!s) return NULL;
    memcpy(s, data, (size_t)n);
    s[n] = '\0';
    return s;
}

/* x and key as PEM text into out. 0 or -1. */
static int pem_fill(struct pki_pem *out, X509 *x, EVP_PKEY *key)
{
    BIO *bc = BIO_new(BIO_s_secmem()), *bk = BIO_new(BIO_s_secmem());
    int rc = -1;
    if (bc && bk && PEM_write_bio_X509(bc, x) == 1 &&
        PEM_write_bio_PrivateKey(bk, key, NULL, NULL, 0, NULL, NULL) == 1) {
        out->cert = bio_string(bc);
        out->key = bio_string(bk);
        rc = out->cert && out->key ? 0 : -1;
    }
    BIO_free(bc);
    BIO_free(bk);
    return rc;
}

/* A leaf signed by ca into out. 0, or -1 with err. */
static int leaf_make(struct pki_pem *out, const char *cn, const char *san, X509 *ca,
                     EVP_PKEY *ca_key, int days, char *err, size_t errlen)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    if (!k) return ssl_fail(err, errlen, cn);
    X509 *x = cert_new(k, cn, ca, ca_key, san, days);
    int rc = x && pem_fill(out, x, k) == 0 ? 0 : ssl_fail(err, errlen, cn);
    X509_free(x);
    EVP_PKEY_free(k);
    return rc;
}

int pki_check_opts(const struct pki_opts *o, char *err, size_t errlen)
{
    if (!o->ns || !dns_label(o->ns, 63))
        return errbuf_set(err, errlen, "pki: namespace \"%s\": not a DNS label (a-z, 0-9, '-')",
                          o->ns ? o->ns : "");
    for (size_t i = 0; i < o->n; i++)
        if (!dns_label(o->names[i], 50))
            return errbuf_set(err, errlen, "pki: node name \"%s\": not a DNS label (a-z, 0-9, '-')",
                              o->names[i]);
    return 0;
}

struct pki *pki_new(const struct pki_opts *o, char *err, size_t errlen)
{
    if (pki_check_opts(o, err, errlen) < 0) return NULL;
    int days = o->days > 0 ? o->days : PKI_DEFAULT_DAYS;
    struct pki *p = calloc(1, sizeof *p);
    if (!p) {
        errbuf_set(err, errlen, "pki: out of memory");
        return NULL;
    }
    p->names = calloc(o->n ? o->n : 1, sizeof *p->names);
    p->nodes = calloc(o->n ? o->n : 1, sizeof *p->nodes);
    if (!p->names || !p->nodes) {
        pki_free(p);
        errbuf_set(err, errlen, "pki: out of memory");
        return NULL;
    }
    p->n = o->n;
    ERR_clear_error();
    EVP_PKEY *cak = EVP_EC_gen("P-256");
    X509 *ca = cak ? cert_new(cak, "meshperf CA", NULL, NULL, NULL, days) : NULL;
    int rc = ca && pem_fill(&p->ca, ca, cak) == 0 ? 0 : ssl_fail(err, errlen, "CA");
    char cn[PKI_NAME_MAX + 1], san[6 * (PKI_NAME_MAX + 8)];
    for (size_t i = 0; rc == 0 && i < o->n; i++) {
        const char *x = o->names[i], *ns = o->ns;
        p->names[i] = strdup(x);
        if (!p->names[i]) {
            rc = errbuf_set(err, errlen, "pki: out of memory");
            break;
        }
        snprintf(cn, sizeof cn, "node-%s", x);
        snprintf(san, sizeof san,
                 "DNS:node-%s,DNS:service-%s,DNS:service-%s.%s,DNS:service-%s.%s.svc,"
                 "DNS:service-%s.%s.svc.cluster.local%s",
                 x, x, x, ns, x, ns, x, ns, o->loopback ? ",IP:127.0.0.1" : "");
        rc = leaf_make(&p->nodes[i], cn, san, ca, cak, days, err, errlen);
    }
    if (rc == 0)
        rc = leaf_make(&p->client, "meshperf-client", "DNS:meshperf-client", ca, cak, days, err,
                       errlen);
    X509_free(ca);
    EVP_PKEY_free(cak);
    if (rc < 0) {
        pki_free(p);
        return NULL;
    }
    return p;
}

/* Write len bytes of s to dir/name at mode. 0, or -1 with err. */
static int file_put(const char *dir, const char *name, const char *s, mode_t mode, char *err,
                    size_t errlen)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return errbuf_set(err, errlen, "%s/%s: path too long", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) return errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
    int e = fchmod(fd, mode) < 0 ? errno : 0;
    size_t len = strlen(s);
    for (size_t off = 0; !e && off < len;) {
        ssize_t w = write(fd, s + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) e = w < 0 ? errno : EIO;
        if (w > 0) off += (size_t)w;
    }
    if (close(fd) < 0 && !e) e = errno;
    if (e) return errbuf_set(err, errlen, "%s: %s", path, strerror(e));
    return 0;
}

static int pem_put(const char *dir, const char *base, const struct pki_pem *pem, char *err,
                   size_t errlen)
{
    char name[PKI_NAME_MAX + 16];
    snprintf(name, sizeof name, "%s.crt", base);
    if (file_put(dir, name, pem->cert, 0644, err, errlen) < 0) return -1;
    snprintf(name, sizeof name, "%s.key", base);
    return file_put(dir, name, pem->key, 0600, err, errlen);
}

int pki_write_dir(const struct pki *p, const char *dir, char *err, size_t errlen)
{
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return errbuf_set(err, errlen, "%s: %s", dir, strerror(errno));
    if (pem_put(dir, "ca", &p->ca, err, errlen) < 0) return -1;
    char base[PKI_NAME_MAX + 8];
    for (size_t i = 0; i < p->n; i++) {
        snprintf(base, sizeof base, "node-%s", p->names[i]);
        if (pem_put(dir, base, &p->nodes[i], err, errlen) < 0) return -1;
    }
    return pem_put(dir, "client", &p->client, err, errlen);
}

static void pem_free(struct pki_pem *pem)
{
    if (pem->key) OPENSSL_cleanse(pem->key, strlen(pem->key));
    free(pem->key);
    free(pem->cert);
}

void pki_free(struct pki *p)
{
    if (!p) return;
    pem_free(&p->ca);
    pem_free(&p->client);
    for (size_t i = 0; i < p->n; i++) {
        if (p->nodes) pem_free(&p->nodes[i]);
        if (p->names) free(p->names[i]);
    }
    free(p->nodes);
    free(p->names);
    free(p);
}
