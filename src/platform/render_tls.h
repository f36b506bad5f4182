/* render_tls.h: the PEM text a file-based mesh TLS needs in its Secrets
 * (App Mesh's Envoys read /certs/...): the CA, and per node and for the
 * load generator a certificate chain (leaf then CA) and its key. Either
 * read from a directory in pki_write_dir's layout (`meshperf certs`: the
 * same bytes every time, so rendering is deterministic) or made fresh by
 * pki_new (the local platform's code; new keys on every call). */
#ifndef MESHPERF_RENDER_TLS_H
#define MESHPERF_RENDER_TLS_H

#include <stddef.h>

struct topology;

/* Largest PEM file read from a directory. */
#define RENDER_TLS_FILE_MAX (256u << 10)

struct render_tls {
    char *ca;                        /* the CA certificate */
    size_t n;                        /* = topology_count */
    char **chain;                    /* chain[i]: node i's certificate then the CA's */
    char **key;                      /* key[i]: node i's private key */
    char *client_chain, *client_key; /* the load generator's ("meshperf-client") */
};

/* The material for every node of t (names node-<name>, SANs in ns).
 * dir NULL: made fresh; else read dir/ca.crt, dir/node-<name>.crt and
 * .key, dir/client.crt and .key. Returns it (free with render_tls_free),
 * or NULL with one line in err: "<path>: cannot read: <reason>",
 * "<path>: not a PEM certificate" / "not a PEM private key", pki's
 * errors, "out of memory". */
struct render_tls *render_tls_load(const struct topology *t, const char *ns, const char *dir,
                                   char *err, size_t errlen);

/* Free it, wiping the keys first. NULL is fine. */
void render_tls_free(struct render_tls *m);

#endif
