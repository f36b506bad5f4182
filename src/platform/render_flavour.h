/* render_flavour.h: what render.c shares with the per-flavour files
 * (render_appmesh.c, render_istio.c, render_linkerd.c); not for other
 * layers. A flavour is a row of hooks that render.c calls while it writes
 * the common objects: labels and annotations of the Namespace, its own
 * objects (cluster-wide first, then namespaced ones), pod annotations, and
 * the readiness probe its data plane lets the kubelet reach. A NULL hook
 * adds nothing ("none" is all NULL). */
#ifndef MESHPERF_RENDER_FLAVOUR_H
#define MESHPERF_RENDER_FLAVOUR_H

#include <stdbool.h>
#include <stddef.h>

#include "platform/render.h"
#include "platform/render_tls.h"
#include "platform/render_yaml.h"

struct topology;

/* Largest single document (a Secret holds three PEMs). */
#define RENDER_DOC_MAX (1u << 20)

/* Everything a hook may read, and the set being built. */
struct render_ctx {
    const struct config *cfg;
    const struct topology *topo;
    const struct render_opts *o;
    const char *ns, *image, *run_id;
    bool tls, mtls;           /* IsTLSEnabled, IsmTLSEnabled */
    struct render_tls *certs; /* flavours with secrets and TLS on; else NULL */
    struct render_set *set;   /* documents so far */
    size_t cap;               /* allocated entries of set->docs */
    char *err;
    size_t errlen;
    /* the document being written (render_doc_begin .. render_doc_end) */
    struct render_yaml y;
    struct render_doc cur;
};

/* One workload: a node's Deployment (node < count) or the load generator. */
struct render_workload {
    const char *name; /* "node-0", "fortio" */
    size_t node;      /* topology index; RENDER_LOADGEN for the load generator */
    int port;         /* RENDER_APP_PORT or RENDER_LOADGEN_PORT */
};
#define RENDER_LOADGEN ((size_t)-1)

enum render_probe {
    RENDER_PROBE_HTTP,  /* GET /health */
    RENDER_PROBE_HTTPS, /* GET /health over TLS (a sidecar's TLS listener) */
    RENDER_PROBE_TCP    /* a TCP connect (a listener that wants client certificates) */
};

struct render_flavour {
    const char *name;
    const char *const *crds; /* render_required_crds */
    size_t ncrds;
    bool secrets; /* TLS on: Secrets <workload>-tls with the PEMs (render_tls.h) */
    /* entries of the Namespace's labels / annotations maps */
    void (*ns_labels)(struct render_ctx *c);
    void (*ns_annotations)(struct render_ctx *c);
    /* documents: cluster-scoped ones right after the Namespace, namespaced
     * ones after the Secrets and before the Services; 0 or -1 (err set) */
    int (*cluster_docs)(struct render_ctx *c);
    int (*mesh_docs)(struct render_ctx *c);
    /* entries of a pod template's annotations map */
    void (*pod_annotations)(struct render_ctx *c, const struct render_workload *w);
    enum render_probe (*probe)(const struct render_ctx *c, const struct render_workload *w);
};

extern const struct render_flavour render_appmesh_flavour;
extern const struct render_flavour render_istio_flavour;
extern const struct render_flavour render_istio_ambient_flavour;
extern const struct render_flavour render_linkerd_flavour;

/* Start a document in c->y: apiVersion, kind, metadata (name, namespace
 * when namespaced, labels: the pairs of labels (key, value, ..., NULL; may
 * be NULL) then RENDER_LABEL_RUN). The caller writes the rest (spec, ...)
 * into c->y. */
void render_doc_begin(struct render_ctx *c, const char *api, const char *kind, const char *name,
                      bool namespaced, const char *const *labels);

/* Finish the document and append it to c->set. 0, or -1 with err. */
int render_doc_end(struct render_ctx *c);

/* The workload's Kubernetes names into out (outlen >= 96):
 * "node-<name>" / "service-<name>" of node i. */
void render_node_name(const struct render_ctx *c, size_t i, char *out, size_t outlen);
void render_service_name(const struct render_ctx *c, size_t i, char *out, size_t outlen);

/* The distinct backends of node i, in the config's order (a backend
 * listed twice appears once); *n gets the count. Returns a malloc'd array
 * (free it; allocated even when *n is 0), or NULL on out of memory. */
size_t *render_unique_backends(const struct render_ctx *c, size_t i, size_t *n);

#endif
