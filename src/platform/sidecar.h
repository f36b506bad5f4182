/* sidecar.h: what the local platform needs to know to run a sidecar proxy
 * next to each replica's app container: one descriptor per kind, looked up
 * by name in one place (sidecar_find): "none", "haproxy" (sidecar_haproxy.c)
 * and "nginx" (sidecar_nginx.c).
 *
 * Traffic flows as in a mesh: a replica's sidecar listens on its inbound
 * port (what callers of the node are sent to) and forwards to its own app;
 * it also listens on one egress port per backend service of the node (the
 * app's -backends point there) and balances those calls over the backend's
 * replicas' inbound ports (their sidecars). Upstream connections are kept
 * alive and reused; the proxy logs nothing but errors (to stderr), runs one
 * worker thread in the foreground (the platform supervises it) and keeps
 * its config and state under ctx->dir.
 *
 * TLS (ctx->cert_path set: IsTLSEnabled, certificates from platform/pki.h):
 * the inbound listener serves TLS with the pod's node certificate (with
 * ctx->mtls it requires a client certificate signed by the CA), and each
 * egress upstream is called over TLS, verifying the peer against the CA
 * and its name (the egress name, node-B, which its certificate carries),
 * presenting the pod's node certificate with mTLS; keep-alive and TLS
 * session reuse stay on. The app's hops to its own sidecar stay plain (in
 * the pod), and so does the metrics listener.
 *
 * How to add a sidecar: write sidecar_<name>.c with its config writer
 * (its text, written by sidecar_write_file) and argv builder (and nothing
 * else), add one line to sidecar_table in sidecar.c naming them, its
 * binary, its Debian package and its metrics path. The local platform
 * then starts it as one more supervised child (base/child.h) per replica,
 * lists it as one more container of that replica (platform.h), and the
 * sampler and the scraper pick it up from there. */
#ifndef MESHPERF_SIDECAR_H
#define MESHPERF_SIDECAR_H

#include <stdbool.h>
#include <stddef.h>

/* One backend service of the node, as its sidecar's egress listener. */
struct sidecar_egress {
    const char *name;             /* the backend's "node-B" (a config-safe label; with TLS
                                   * also the name its certificates carry) */
    int port;                     /* the egress listener, 127.0.0.1:port */
    const char *const *upstreams; /* the backend replicas' inbound "127.0.0.1:P" */
    size_t nupstreams;
};

/* Where a sidecar of one replica sits, given to its writers. */
struct sidecar_ctx {
    const char *pod;                     /* "node-N-<hash>-<suffix>" */
    const char *bin;                     /* the proxy binary, a path (sidecar_locate) */
    const char *app_addr;                /* the app container, "127.0.0.1:PORT" */
    int listen_port;                     /* inbound listener (chosen by the platform); 0: none
                                          * (the app takes its inbound itself) */
    int metrics_port;                    /* where it serves metrics_path; 0: none */
    const char *dir;                     /* a directory of its own for config and state */
    const struct sidecar_egress *egress; /* one per distinct backend, config order */
    size_t negress;
    /* TLS between sidecars (platform/pki.h): the paths of this pod's
     * certificate and key, of both in one PEM file (what haproxy's crt
     * takes), and of the CA; cert_path NULL = plain HTTP. All in a private
     * directory of the platform. */
    const char *cert_path, *key_path, *pem_path, *ca_path;
    bool mtls; /* with TLS: ask for and verify client certificates, present ours */
};

struct sidecar {
    const char *name;    /* the container name, and what a config asks for */
    const char *bin;     /* the executable looked up in PATH; NULL: none */
    const char *package; /* the Debian package that provides bin; NULL: none */
    /* Write its configuration under ctx->dir. 0, or -1 with err. NULL: none. */
    int (*write_config)(const struct sidecar_ctx *ctx, char *err, size_t errlen);
    /* Fill argv (argv[0] = ctx->bin, NULL-terminated, at most argvlen
     * entries; strings in buf, bufsz bytes). 0, or -1 with err. NULL:
     * nothing to run. */
    int (*argv)(const struct sidecar_ctx *ctx, char **argv, size_t argvlen, char *buf, size_t bufsz,
                char *err, size_t errlen);
    const char *metrics_path; /* Prometheus text on metrics_port, e.g. "/metrics"; NULL: none */
};

struct buf;

#define SIDECAR_CFG_MAX (4u << 20) /* a generated proxy config's cap */

/* For the config writers: the text text() builds (into a buffer capped at
 * SIDECAR_CFG_MAX; text returns 0, or < 0 when the cap is hit), written
 * atomically to <ctx->dir>/<file>. 0, or -1 with one line in err
 * ("<path>: larger than N bytes", or the write's own). */
int sidecar_write_file(const struct sidecar_ctx *ctx, const char *file,
                       int (*text)(const struct sidecar_ctx *ctx, struct buf *b), char *err,
                       size_t errlen);

/* The descriptor called name (borrowed, static), or NULL with one line in
 * err naming the known ones. "none" is the sidecar that runs nothing. */
const struct sidecar *sidecar_find(const char *name, char *err, size_t errlen);

/* Does s run a process? 0 for "none". */
int sidecar_runs(const struct sidecar *s);

/* Find s->bin in $PATH (no other place: what PATH hides is missing) and
 * write its path into path. 0 (also for "none": path ""), or -1 with one
 * line in err naming the Debian package to install, e.g.
 *   "sidecar haproxy: haproxy not found in PATH (install the Debian
 *    package haproxy: apt-get install haproxy)". */
int sidecar_locate(const struct sidecar *s, char *path, size_t pathlen, char *err, size_t errlen);

#endif
