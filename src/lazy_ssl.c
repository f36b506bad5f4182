/* lazy_ssl.c: the OpenSSL 3 functions meshperf calls, loaded on first use
 * (see lazy.h). Two libraries, two lists: libssl.so.3 (SSL_*, TLS_*) and
 * libcrypto.so.3 (ERR_*, X509_*, EVP_*, PEM_*, ASN1_*, ...). Loading libssl
 * loads libcrypto first, so a libcrypto destructor applied to an object that
 * came out of libssl is never skipped as "not loaded".
 *
 * Macros in the headers need nothing here beyond the function they expand
 * to: SSL_CTX_set_mode, SSL_CTX_set_min_proto_version -> SSL_CTX_ctrl;
 * SSL_set_tlsext_host_name -> SSL_ctrl; EVP_EC_gen -> EVP_PKEY_Q_keygen
 * (variadic, written out below). static inline ones (ERR_GET_LIB,
 * ERR_GET_REASON) need nothing at all.
 *
 * To add a function: add one line to the right list with the prototype from
 * <openssl/...>; the compiler rejects a wrong one. scripts/lazy-check.sh
 * says which library a missing symbol lives in. Test-only entries (the
 * certificate making in tests/unit/test_transport.c) are marked; they cost
 * a few bytes and let the tests link the way meshperf does. */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <strings.h>

#include "lazy.h"

static struct lazy_lib lazy_crypto_lib = LAZY_LIB_INIT("libcrypto.so.3", "libssl3", NULL);
static struct lazy_lib lazy_ssl_lib = LAZY_LIB_INIT("libssl.so.3", "libssl3", &lazy_crypto_lib);

/* clang-format off */
#define LAZY_SSL_FUNCTIONS(LAZY_FN, LAZY_VOID, LAZY_CLEANUP) \
    LAZY_FN(const SSL_METHOD *, TLS_client_method, (void), ()) \
    LAZY_FN(const SSL_METHOD *, TLS_server_method, (void), ()) \
    /* contexts */ \
    LAZY_FN(SSL_CTX *, SSL_CTX_new, (const SSL_METHOD *meth), (meth)) \
    LAZY_CLEANUP(SSL_CTX_free, (SSL_CTX *ctx), (ctx)) \
    LAZY_FN(long, SSL_CTX_ctrl, (SSL_CTX *ctx, int cmd, long larg, void *parg), \
            (ctx, cmd, larg, parg)) \
    LAZY_FN(uint64_t, SSL_CTX_set_options, (SSL_CTX *ctx, uint64_t op), (ctx, op)) \
    LAZY_VOID(SSL_CTX_set_verify, (SSL_CTX *ctx, int mode, SSL_verify_cb callback), \
              (ctx, mode, callback)) \
    LAZY_FN(int, SSL_CTX_set_default_verify_paths, (SSL_CTX *ctx), (ctx)) \
    LAZY_FN(int, SSL_CTX_load_verify_locations, \
            (SSL_CTX *ctx, const char *CAfile, const char *CApath), (ctx, CAfile, CApath)) \
    LAZY_FN(int, SSL_CTX_use_certificate_chain_file, (SSL_CTX *ctx, const char *file), \
            (ctx, file)) \
    LAZY_FN(int, SSL_CTX_use_PrivateKey_file, (SSL_CTX *ctx, const char *file, int type), \
            (ctx, file, type)) \
    LAZY_FN(int, SSL_CTX_check_private_key, (const SSL_CTX *ctx), (ctx)) \
    /* connections */ \
    LAZY_FN(SSL *, SSL_new, (SSL_CTX *ctx), (ctx)) \
    LAZY_CLEANUP(SSL_free, (SSL *ssl), (ssl)) \
    LAZY_FN(long, SSL_ctrl, (SSL *ssl, int cmd, long larg, void *parg), (ssl, cmd, larg, parg)) \
    LAZY_FN(int, SSL_set_fd, (SSL *s, int fd), (s, fd)) \
    LAZY_VOID(SSL_set_connect_state, (SSL *s), (s)) \
    LAZY_VOID(SSL_set_accept_state, (SSL *s), (s)) \
    LAZY_FN(int, SSL_set1_host, (SSL *s, const char *hostname), (s, hostname)) \
    LAZY_VOID(SSL_set_hostflags, (SSL *s, unsigned int flags), (s, flags)) \
    LAZY_FN(X509_VERIFY_PARAM *, SSL_get0_param, (SSL *ssl), (ssl)) \
    LAZY_FN(int, SSL_do_handshake, (SSL *s), (s)) \
    LAZY_FN(int, SSL_is_init_finished, (const SSL *s), (s)) \
    LAZY_FN(int, SSL_read, (SSL *ssl, void *buf, int num), (ssl, buf, num)) \
    LAZY_FN(int, SSL_write, (SSL *ssl, const void *buf, int num), (ssl, buf, num)) \
    LAZY_FN(int, SSL_shutdown, (SSL *s), (s)) \
    LAZY_FN(int, SSL_get_error, (const SSL *s, int ret_code), (s, ret_code)) \
    LAZY_FN(long, SSL_get_verify_result, (const SSL *ssl), (ssl))

#define LAZY_CRYPTO_FUNCTIONS(LAZY_FN, LAZY_VOID, LAZY_CLEANUP) \
    /* errors */ \
    LAZY_FN(unsigned long, ERR_get_error, (void), ()) \
    LAZY_FN(unsigned long, ERR_peek_error, (void), ()) \
    LAZY_CLEANUP(ERR_clear_error, (void), ()) \
    LAZY_VOID(ERR_error_string_n, (unsigned long e, char *buf, size_t len), (e, buf, len)) \
    LAZY_FN(const char *, ERR_reason_error_string, (unsigned long e), (e)) \
    LAZY_FN(const char *, X509_verify_cert_error_string, (long n), (n)) \
    /* verification */ \
    LAZY_FN(int, X509_VERIFY_PARAM_set1_ip_asc, (X509_VERIFY_PARAM *param, const char *ipasc), \
            (param, ipasc)) \
    /* test-only: keys and certificates (tests/unit/test_transport.c, test_lazy.c) */ \
    LAZY_CLEANUP(EVP_PKEY_free, (EVP_PKEY *pkey), (pkey)) \
    LAZY_FN(int, EVP_PKEY_get_bits, (const EVP_PKEY *pkey), (pkey)) \
    LAZY_FN(const EVP_MD *, EVP_sha256, (void), ()) \
    LAZY_FN(X509 *, X509_new, (void), ()) \
    LAZY_CLEANUP(X509_free, (X509 *a), (a)) \
    LAZY_FN(int, X509_set_version, (X509 *x, long version), (x, version)) \
    LAZY_FN(ASN1_INTEGER *, X509_get_serialNumber, (X509 *x), (x)) \
    LAZY_FN(int, ASN1_INTEGER_set, (ASN1_INTEGER *a, long v), (a, v)) \
    LAZY_FN(ASN1_TIME *, X509_getm_notBefore, (const X509 *x), (x)) \
    LAZY_FN(ASN1_TIME *, X509_getm_notAfter, (const X509 *x), (x)) \
    LAZY_FN(ASN1_TIME *, X509_gmtime_adj, (ASN1_TIME *s, long adj), (s, adj)) \
    LAZY_FN(int, X509_set_pubkey, (X509 *x, EVP_PKEY *pkey), (x, pkey)) \
    LAZY_FN(X509_NAME *, X509_get_subject_name, (const X509 *a), (a)) \
    LAZY_FN(int, X509_NAME_add_entry_by_txt, \
            (X509_NAME *name, const char *field, int type, const unsigned char *bytes, int len, \
             int loc, int set), \
            (name, field, type, bytes, len, loc, set)) \
    LAZY_FN(int, X509_set_issuer_name, (X509 *x, const X509_NAME *name), (x, name)) \
    LAZY_VOID(X509V3_set_ctx, \
              (X509V3_CTX *ctx, X509 *issuer, X509 *subject, X509_REQ *req, X509_CRL *crl, \
               int flags), \
              (ctx, issuer, subject, req, crl, flags)) \
    LAZY_FN(X509_EXTENSION *, X509V3_EXT_conf_nid, \
            (LHASH_OF(CONF_VALUE) *conf, X509V3_CTX *ctx, int ext_nid, const char *value), \
            (conf, ctx, ext_nid, value)) \
    LAZY_FN(int, X509_add_ext, (X509 *x, X509_EXTENSION *ex, int loc), (x, ex, loc)) \
    LAZY_CLEANUP(X509_EXTENSION_free, (X509_EXTENSION *a), (a)) \
    LAZY_FN(int, X509_sign, (X509 *x, EVP_PKEY *pkey, const EVP_MD *md), (x, pkey, md)) \
    LAZY_FN(int, PEM_write_X509, (FILE *out, const X509 *x), (out, x)) \
    LAZY_FN(int, PEM_write_PrivateKey, \
            (FILE *out, const EVP_PKEY *x, const EVP_CIPHER *enc, const unsigned char *kstr, \
             int klen, pem_password_cb *cb, void *u), \
            (out, x, enc, kstr, klen, cb, u))
/* clang-format on */

#define LAZY_LIB lazy_ssl_lib
LAZY_SSL_FUNCTIONS(LAZY_DEFINE_FN, LAZY_DEFINE_VOID, LAZY_DEFINE_CLEANUP)
#undef LAZY_LIB

#define LAZY_LIB lazy_crypto_lib
LAZY_CRYPTO_FUNCTIONS(LAZY_DEFINE_FN, LAZY_DEFINE_VOID, LAZY_DEFINE_CLEANUP)

/* EVP_EC_gen(curve) and EVP_RSA_gen(bits) expand to this. The key type says
 * what follows, as in OpenSSL's own implementation: "RSA" a size_t of bits,
 * "EC" a curve name, the others (X25519, ED25519, ...) nothing. */
LAZY_HIDDEN EVP_PKEY *(EVP_PKEY_Q_keygen)(OSSL_LIB_CTX *libctx, const char *propq, const char *type, ...)
{
    static void *_Atomic slot;
    EVP_PKEY *(*f)(OSSL_LIB_CTX *, const char *, const char *, ...) =
        (EVP_PKEY * (*)(OSSL_LIB_CTX *, const char *, const char *, ...))
            lazy_fn(&LAZY_LIB, "EVP_PKEY_Q_keygen", &slot);
    va_list ap;
    va_start(ap, type);
    EVP_PKEY *k;
    if (strcasecmp(type, "RSA") == 0)
        k = f(libctx, propq, type, va_arg(ap, size_t));
    else if (strcasecmp(type, "EC") == 0)
        k = f(libctx, propq, type, va_arg(ap, char *));
    else
        k = f(libctx, propq, type);
    va_end(ap);
    return k;
}
#undef LAZY_LIB

int lazy_ssl_check(char *err, size_t errlen)
{
    static const char *const ssl_names[] = {
        LAZY_SSL_FUNCTIONS(LAZY_NAME_FN, LAZY_NAME_VOID, LAZY_NAME_VOID) NULL};
    static const char *const crypto_names[] = {
        LAZY_CRYPTO_FUNCTIONS(LAZY_NAME_FN, LAZY_NAME_VOID, LAZY_NAME_VOID) "EVP_PKEY_Q_keygen",
        NULL};
    if (lazy_check_names(&lazy_ssl_lib, ssl_names, err, errlen) < 0) return -1;
    return lazy_check_names(&lazy_crypto_lib, crypto_names, err, errlen);
}

bool lazy_ssl_loaded(void)
{
    return lazy_loaded(&lazy_ssl_lib);
}

bool lazy_crypto_loaded(void)
{
    return lazy_loaded(&lazy_crypto_lib);
}
