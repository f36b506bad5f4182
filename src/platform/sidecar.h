/* sidecar.h: what the local platform needs to know to run a sidecar proxy
 * next to each replica's app container: one descriptor per kind, looked up
 * by name in one place (sidecar_find). The table holds only "none" now;
 * issue #12 adds haproxy and nginx.
 *
 * How to add a sidecar: write sidecar_<name>.c with its config writer and
 * argv builder (and nothing else), add one line to sidecar_table in
 * sidecar.c naming them, its Debian package and its metrics path. The local
 * platform then starts it as one more supervised child (base/child.h) per
 * replica, lists it as one more container of that replica (platform.h), and
 * the sampler and the scraper pick it up from there. */
#ifndef MESHPERF_SIDECAR_H
#define MESHPERF_SIDECAR_H

#include <stddef.h>

/* Where a sidecar of one replica sits, given to its writers. */
struct sidecar_ctx {
    const char *pod;      /* "node-N-0" */
    const char *app_addr; /* the app container, "127.0.0.1:PORT" */
    int listen_port;      /* where the sidecar listens (chosen by the platform) */
    int metrics_port;     /* where it serves metrics_path; 0: none */
    const char *dir;      /* a directory of its own for config and state */
};

struct sidecar {
    const char *name;    /* the container name, and what a config asks for */
    const char *package; /* the Debian package that provides the binary; NULL: none */
    /* Write its configuration under ctx->dir. 0, or -1 with err. NULL: none. */
    int (*write_config)(const struct sidecar_ctx *ctx, char *err, size_t errlen);
    /* Fill argv (argv[0] a path, NULL-terminated, at most argvlen entries;
     * strings in buf, bufsz bytes). 0, or -1 with err. NULL: nothing to
     * run. */
    int (*argv)(const struct sidecar_ctx *ctx, char **argv, size_t argvlen, char *buf, size_t bufsz,
                char *err, size_t errlen);
    const char *metrics_path; /* e.g. "/metrics" on metrics_port; NULL: none */
};

/* The descriptor called name (borrowed, static), or NULL with one line in
 * err naming the known ones. "none" is the sidecar that runs nothing. */
const struct sidecar *sidecar_find(const char *name, char *err, size_t errlen);

/* Does s run a process? 0 for "none". */
int sidecar_runs(const struct sidecar *s);

#endif
