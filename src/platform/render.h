/* render.h: the Kubernetes manifests of a config's graph for one mesh
 * flavour (issue #13): what `meshperf render` prints and what the
 * Kubernetes platform applies. One flavour per file (render_<flavour>.c),
 * chosen by name in one table (render.c), the same pattern as
 * sidecar_table; the workloads (Deployments, Services, the load generator)
 * are common and written once; a flavour adds its namespace labels and its
 * own resources (App Mesh's Mesh/VirtualNode/VirtualService, Istio's
 * PeerAuthentication, a waypoint Gateway, ...).
 *
 * Names follow the original (../shared/reference/ORIGINAL.md, "Topology on
 * Kubernetes"): per node N, Deployment and Service `node-N` (pods labelled
 * app=node-N, container "app" on RENDER_APP_PORT), Service `service-N`;
 * the load generator RENDER_LOADGEN_NAME on RENDER_LOADGEN_PORT running
 * `meshperf serve -rest`. Everything meshperf creates carries the label
 * RENDER_LABEL_RUN=<run id>, so it can be listed and deleted by label.
 *
 * Output is deterministic: the same config and options give the same bytes
 * (documents in a fixed order, keys in a fixed order, no timestamps).
 * Certificates are the exception unless they are read from a directory
 * (opts.certs_dir): fresh ones are made on every call otherwise. */
#ifndef MESHPERF_RENDER_H
#define MESHPERF_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct config;

#define RENDER_APP_PORT       9080
#define RENDER_LOADGEN_NAME   "fortio" /* the original's load generator name */
#define RENDER_LOADGEN_PORT   8080
#define RENDER_LABEL_RUN      "meshperf.io/run"
#define RENDER_DEFAULT_IMAGE  "localhost/meshperf:latest"
#define RENDER_DEFAULT_RUN_ID "meshperf"
#define RENDER_APP_CONTAINER  "app"      /* every workload's container */
#define RENDER_IMAGE_BINARY   "meshperf" /* the command run in the image (on its PATH) */
/* The CRD a waypoint needs besides render_required_crds("istio-ambient"). */
#define RENDER_WAYPOINT_CRD "gateways.gateway.networking.k8s.io"

struct render_opts {
    const char *mesh;      /* "appmesh" | "istio" | "istio-ambient" | "linkerd" | "none" */
    const char *ns;        /* namespace; NULL: cfg->ns */
    const char *image;     /* the image running meshperf; NULL: RENDER_DEFAULT_IMAGE */
    const char *certs_dir; /* with TLS: read the CA and node certificates from here
                            * (pki_write_dir's layout, `meshperf certs`); NULL: make new */
    bool waypoint;         /* istio-ambient: add a waypoint (Gateway, istio-waypoint) */
    const char *run_id;    /* value of RENDER_LABEL_RUN on every object (a label value:
                            * 1..63 of A-Za-z0-9-_. starting and ending alphanumeric);
                            * NULL: RENDER_DEFAULT_RUN_ID */
};

/* One object. */
struct render_doc {
    char api_version[64]; /* "apps/v1", "appmesh.k8s.aws/v1beta2", ... */
    char kind[64];        /* "Deployment", ... */
    char name[128];       /* metadata.name */
    bool namespaced;      /* has metadata.namespace */
    char *yaml;           /* the document, no "---" line, ends with '\n'; owned */
    size_t len;
};

struct render_set {
    struct render_doc *docs; /* apply order: Namespace and cluster objects first */
    size_t n;
};

/* Is mesh a known flavour? 0, or -1 with one line in err naming the known
 * ones ("unknown mesh \"x\" (known: appmesh, istio, istio-ambient, linkerd,
 * none)"). */
int render_check_mesh(const char *mesh, char *err, size_t errlen);

/* The CustomResourceDefinitions (names, e.g. "virtualnodes.appmesh.k8s.aws")
 * the flavour needs in the cluster, for a preflight: those its objects
 * use, or (linkerd, which renders none) one its control plane installs, so
 * that a mesh that is not there is never measured as if it were; *n gets
 * the count (0 for none). Static. */
const char *const *render_required_crds(const char *mesh, size_t *n);

/* Every object of cfg's graph for o->mesh. cfg is borrowed. 0 with *out
 * (free with render_set_free), or -1 with one line in err (unknown mesh,
 * a namespace, image or run id that cannot be used, --waypoint without
 * istio-ambient, a certs_dir file that cannot be read or is not PEM,
 * naming it, out of memory). TLS material (Secrets) is rendered only for
 * appmesh (its Envoys read files); the other meshes issue their own. */
int render_manifests(const struct config *cfg, const struct render_opts *o, struct render_set **out,
                     char *err, size_t errlen);

/* Write s as one multi-document YAML stream ("---" between documents).
 * 0, or -1 with err (a write error). */
int render_write_stream(const struct render_set *s, FILE *f, char *err, size_t errlen);

/* Write one file per object into dir (created if missing; its parent must
 * exist): "NN-<kind>-<name>.yaml" in apply order (NN from 00, lower-case
 * kind; Secrets' files 0600). Files of that shape from an earlier render
 * that this one did not write are removed; nothing else is touched.
 * 0, or -1 with one line in err naming the file. */
int render_write_dir(const struct render_set *s, const char *dir, char *err, size_t errlen);

/* The name render_write_dir gives document i of s, into out (300 bytes
 * suffice): "NN-<kind>-<name>.yaml", NN at least two digits, as many as
 * the count needs (so the names sort in apply order). */
void render_write_file_name(const struct render_set *s, size_t i, char *out, size_t outlen);

/* Free s and its documents (a Secret's text is wiped). NULL is fine. */
void render_set_free(struct render_set *s);

#endif
