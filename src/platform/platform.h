/* platform.h: where a topology runs. One small interface, one backend per
 * place: local processes on loopback (platform_local.c), or a Kubernetes
 * cluster driven through kubectl (platform_kubernetes.c). The driver only talks to this interface.
 *
 * Lifecycle: new -> up (start every node, wait until each answers
 * /health) -> replicas / resolve / health while tests run -> down (end
 * every process; also after a failed up) -> free. A backend supervises what
 * it started: when a replica dies outside down(), it calls opts->on_exit
 * (from its own thread) and health() reports it from then on.
 *
 * Naming follows Kubernetes (and the original's PromQL, which groups pods
 * with label_replace(..., "(node-.*-.*)-.*")): node "N" runs as replicas
 * (pods) "node-N-<template hash>-<suffix>" (platform_pod_name), container
 * "app" (PLATFORM_CONTAINER_APP; a sidecar is one more container, named
 * after its proxy), in namespace opts->ns.
 *
 * How to add a backend: write platform_<name>.c exporting
 * platform_<name>_new(void) (a struct starting with struct platform and
 * its ops), put its own options in a struct platform_<name>_opts member of
 * platform_opts, and add one line to the table in platform.c. */
#ifndef MESHPERF_PLATFORM_H
#define MESHPERF_PLATFORM_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/topology.h"

struct platform;
struct config;

#define PLATFORM_CONTAINERS_MAX 4     /* app + sidecars */
#define PLATFORM_CONTAINER_APP  "app" /* the container running `meshperf serve` */

/* One container of a replica: the app, or a sidecar (platform/sidecar.h). */
struct platform_container {
    char name[32];         /* "app", or the sidecar's name */
    pid_t pid;             /* its local process (for procstat), 0 when remote */
    char addr[64];         /* where it serves, "127.0.0.1:PORT"; "" when it does not */
    char metrics_addr[64]; /* where its /metrics is scraped; "" when none */
    bool metrics_tls;      /* metrics_addr serves TLS only (platform_tls's files) */
};

/* One replica (pod) of a node, as the driver sees it. */
struct platform_replica {
    char pod[TOPOLOGY_NAME_MAX + 48]; /* "node-<name>-<hash>-<suffix>" (platform_pod_name) */
    char addr[64];                    /* reachable "127.0.0.1:PORT": what callers send to */
    struct platform_container containers[PLATFORM_CONTAINERS_MAX]; /* [0] is the app */
    size_t ncontainers;
};

/* Called (from the backend's supervisor thread) when a replica ends while
 * the topology is up. `how` is "exited with status 3" or "killed by signal
 * 9 (Killed)". Must be thread-safe; must not call back into the platform. */
typedef void platform_exit_fn(void *arg, size_t node, const struct platform_replica *r,
                              const char *how);

/* Called (from the thread calling up()) with one line worth showing the
 * user, e.g. where memory and CPU are measured from ("note: cgroups: ...;
 * memory and CPU from /proc"). Must not call back into the platform. */
typedef void platform_note_fn(void *arg, const char *line);

/* The local backend's own options (platform_local.c). */
struct platform_local_opts {
    const char *serve_bin; /* the binary run as `<bin> serve ...` (required) */
    const char *log_dir;   /* each child's stdout+stderr to <log_dir>/<pod>.log; NULL: /dev/null */
    int64_t start_timeout_us; /* wait for a child's "listening on" line (0: 10 s) */
    const char *sidecar;      /* the proxy beside every app (platform/sidecar.h): "haproxy",
                               * "nginx"; NULL or "none": none */
    const char *sidecar_mode; /* where the sidecar sits, istio/tools' names: "both" (NULL):
                               * inbound and calls through it; "serveronly": inbound through
                               * it, calls to backends go straight to the backends' inbound;
                               * "clientonly": calls go through the caller's egress listener,
                               * inbound goes straight to the app. Ignored without a sidecar */
};

/* The Kubernetes backend's own options (platform_kubernetes.c). Strings
 * are borrowed until free. */
struct platform_kubernetes_opts {
    const struct config *cfg;   /* the config whose graph is rendered (required) */
    const char *kubectl;        /* path or name in PATH; NULL: "kubectl" */
    const char *context;        /* kubectl --context; NULL: the current one */
    const char *mesh;           /* flavour (platform/render.h); NULL: "none" */
    const char *image;          /* NULL: RENDER_DEFAULT_IMAGE */
    const char *ns;             /* namespace; NULL: platform_opts.ns */
    const char *prom_service;   /* "NS/NAME[:PORT]" (port 9090 by default) to port-forward;
                                 * NULL: none */
    const char *run_id;         /* value of RENDER_LABEL_RUN; NULL: "meshperf-<time>-<pid>" */
    const char *log_dir;        /* port-forward logs; NULL: /dev/null */
    bool keep;                  /* down() leaves what up() created */
    bool waypoint;              /* istio-ambient: render a waypoint too (render_opts) */
    int64_t rollout_timeout_us; /* every Deployment ready (and App Mesh objects active)
                                 * within this, from apply (0: 300 s) */
    int64_t call_timeout_us;    /* any other kubectl call (0: 60 s) */
};

struct platform_opts {
    /* common to every backend */
    const char *ns;            /* namespace (required) */
    int replicas;              /* per node, >= 1 */
    bool tls;                  /* IsTLSEnabled: replicas serve TLS, sidecars (or nodes,
                                * without one) call each other over TLS verifying the peer
                                * against a CA made for the run (platform/pki.h) */
    bool mtls;                 /* IsmTLSEnabled (implies tls): client certificates too */
    int64_t ready_timeout_us;  /* all replicas answer /health 200 (0: 15 s) */
    platform_exit_fn *on_exit; /* optional */
    void *on_exit_arg;
    const atomic_int *cancel;  /* optional: non-zero aborts up() */
    platform_note_fn *on_note; /* optional */
    void *on_note_arg;
    /* backend-specific: each backend reads only its own part */
    struct platform_local_opts local;
    struct platform_kubernetes_opts kube;
};

struct platform_ops {
    const char *name; /* "local" */
    /* Start every node of t (borrowed until free), leaves first, so each
     * node is given its backends' replica addresses; wait until every
     * replica answers /health (through its sidecar, if any). 0, or -1 with
     * one line in err naming the node ("node 2 (pod node-2-<hash>-<suffix>):
     * exited with status 127 before listening; last output: ...", a
     * sidecar's with ", container haproxy" after the pod; a sidecar binary
     * not in PATH: sidecar_locate's line). After a failure call down()
     * anyway. */
    int (*up)(struct platform *p, const struct topology *t, const struct platform_opts *o,
              char *err, size_t errlen);
    /* The replicas of node i (borrowed, valid until free); *n gets the
     * count. With a sidecar, a replica's addr is the sidecar's inbound
     * listener and containers[1] is the sidecar. */
    const struct platform_replica *(*replicas)(struct platform *p, size_t node, size_t *n);
    /* A load-test URL (the cluster form http://service-N.<ns>.svc...:9080/path,
     * node-N, plain N) to a URL the driver can reach, into out:
     * "http://127.0.0.1:PORT/path" (the node's first replica; the path and
     * query kept; "https://" when the replicas serve TLS: platform_tls).
     * *node gets the node index. 0 or -1 with err. */
    int (*resolve)(struct platform *p, const char *url, char *out, size_t outlen, size_t *node,
                   char *err, size_t errlen);
    /* 0 when every replica still runs, else -1 with one line in err naming
     * the first that died and how. */
    int (*health)(struct platform *p, char *err, size_t errlen);
    /* End everything started (bounded: TERM, then KILL). Idempotent. */
    void (*down)(struct platform *p);
    /* down() then free. NULL is fine (use platform_free). */
    void (*free)(struct platform *p);
    /* With opts->tls, after up(): what a client of the replicas needs
     * (borrowed, valid until down()); NULL when they serve plain HTTP. An
     * op left NULL means plain HTTP. */
    const struct platform_tls *(*tls)(struct platform *p);
};

/* The TLS client files of a mesh whose replicas serve TLS: paths of PEM
 * files private to the run (never copied into results or logs). */
struct platform_tls {
    const char *ca_file;   /* the CA every replica's certificate chains to */
    const char *cert_file; /* mTLS: a client certificate the replicas accept; else NULL */
    const char *key_file;  /* its private key; NULL without mTLS */
};

/* Every backend's struct starts with this. */
struct platform {
    const struct platform_ops *ops;
};

/* The backend called name ("local", "kubernetes"): the one place a platform is chosen by name
 * (platform.c). NULL with one line in err for an unknown or unbuilt name, or out of memory. Free
 * with platform_free. */
struct platform *platform_open(const char *name, char *err, size_t errlen);

#define PLATFORM_POD_HASH_LEN   10
#define PLATFORM_POD_SUFFIX_LEN 5

/* A pod name as a Deployment's: "<label>-<hash>-<suffix>", where hash is
 * PLATFORM_POD_HASH_LEN characters of a hash of tmpl (whatever makes up
 * the node's pod template: same text, same hash) and suffix
 * PLATFORM_POD_SUFFIX_LEN characters of a hash of hash and the replica
 * index (stable per index), both in Kubernetes' alphabet
 * ("bcdfghjklmnpqrstvwxz2456789"). Returns its length, or -1 when out is
 * too small. */
int platform_pod_name(const char *label, const char *tmpl, size_t replica, char *out,
                      size_t outlen);

/* Replica r's container called name, or NULL. */
const struct platform_container *platform_container(const struct platform_replica *r,
                                                    const char *name);

static inline int platform_up(struct platform *p, const struct topology *t,
                              const struct platform_opts *o, char *err, size_t errlen)
{
    return p->ops->up(p, t, o, err, errlen);
}
static inline const struct platform_replica *platform_replicas(struct platform *p, size_t node,
                                                               size_t *n)
{
    return p->ops->replicas(p, node, n);
}
static inline int platform_resolve(struct platform *p, const char *url, char *out, size_t outlen,
                                   size_t *node, char *err, size_t errlen)
{
    return p->ops->resolve(p, url, out, outlen, node, err, errlen);
}
static inline int platform_health(struct platform *p, char *err, size_t errlen)
{
    return p->ops->health(p, err, errlen);
}
/* The replicas' TLS client files, or NULL when they serve plain HTTP. */
static inline const struct platform_tls *platform_tls(struct platform *p)
{
    return p && p->ops->tls ? p->ops->tls(p) : NULL;
}
static inline void platform_down(struct platform *p)
{
    if (p) p->ops->down(p);
}
/* Tear down and free. NULL is fine. */
static inline void platform_free(struct platform *p)
{
    if (p) p->ops->free(p);
}

#endif
