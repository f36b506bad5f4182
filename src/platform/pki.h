/* pki.h: the certificates of a TLS mesh (IsTLSEnabled, IsmTLSEnabled): one
 * CA, one certificate per node and one for the load generator, made with
 * OpenSSL's API, as PEM text in memory (what Kubernetes Secrets hold) and,
 * on request, as files in a directory (what the local platform's processes
 * read).
 *
 * Every key is a fresh EC P-256 key; everything else follows from the
 * options: the CA is "meshperf CA" (self-signed, CA:TRUE, keyCertSign);
 * node X's certificate is for node-X, service-X, service-X.<ns>,
 * service-X.<ns>.svc, service-X.<ns>.svc.cluster.local (and IP 127.0.0.1
 * with loopback), the client's is "meshperf-client"; every leaf is
 * CA:FALSE, digitalSignature, extKeyUsage serverAuth and clientAuth, so
 * each serves and calls with the same pair. Serial numbers are random
 * (128 bits), validity starts an hour back (clock skew). */
#ifndef MESHPERF_PKI_H
#define MESHPERF_PKI_H

#include <stdbool.h>
#include <stddef.h>

#define PKI_DEFAULT_DAYS 365

/* One certificate and its private key, NUL-terminated PEM text. */
struct pki_pem {
    char *cert; /* "-----BEGIN CERTIFICATE-----\n..." */
    char *key;  /* "-----BEGIN PRIVATE KEY-----\n..." (PKCS#8, unencrypted) */
};

struct pki_opts {
    const char *const *names; /* the nodes' names as in backends_map ("0", "db"); n of them */
    size_t n;
    const char *ns; /* namespace of the service names (required) */
    bool loopback;  /* add IP:127.0.0.1 to every node (the local platform) */
    int days;       /* validity; 0 = PKI_DEFAULT_DAYS */
};

struct pki {
    struct pki_pem ca;
    size_t n;
    char **names;          /* copies of opts.names */
    struct pki_pem *nodes; /* nodes[i] for names[i] */
    struct pki_pem client; /* "meshperf-client": the load generator's */
};

/* Check o's names without making anything: each node name (once
 * prefixed) and ns must be DNS labels (lower-case letters, digits, '-';
 * what topology accepts). 0, or -1 with one line in err ("pki: node name
 * \"a b\": not a DNS label (a-z, 0-9, '-')"). */
int pki_check_opts(const struct pki_opts *o, char *err, size_t errlen);

/* Make the CA and every certificate. o must pass pki_check_opts.
 * Returns a pki (free with pki_free), or NULL with one line in err (as
 * pki_check_opts, or "pki: node-0: <OpenSSL's reason>"). */
struct pki *pki_new(const struct pki_opts *o, char *err, size_t errlen);

/* Write p into dir (created 0755 if missing; its parent must exist):
 * ca.crt, ca.key, node-X.crt, node-X.key for each node name X, client.crt,
 * client.key. Certificates are 0644, keys 0600 (also when the file was
 * there before). Existing files are replaced. 0, or -1 with one line in
 * err naming the file ("/d/node-0.key: Permission denied"). */
int pki_write_dir(const struct pki *p, const char *dir, char *err, size_t errlen);

/* Free everything (the key text is wiped first). NULL is fine. */
void pki_free(struct pki *p);

#endif
