/* render.c: the Kubernetes manifests of render.h. The table of flavours
 * (by name, one file each; "none" is here: the plain workloads and no
 * hooks), the checks of the options, and the objects every flavour shares,
 * written in apply order:
 *   Namespace (with the flavour's labels and annotations), the flavour's
 *   cluster objects, Secrets (flavours whose proxies read PEM files, TLS
 *   on), the flavour's namespaced objects, Services node-N and service-N
 *   per node and the load generator's, Deployments leaves first (so a
 *   node's backends are rolled out before it) and the load generator's.
 * A node runs `meshperf serve -port 9080` with env BACKENDS as the
 * original built it (each backend's service URL, comma-joined, a backend
 * listed twice called twice) and SERVER_PORT; the load generator runs
 * `meshperf serve -rest` with every service as its backends (which also
 * allows them as REST targets) and `-rest-allow loopback,*.<ns>.svc.
 * cluster.local`: a run may reach any service of the namespace by name,
 * nothing else (docs/SECURITY.md). Each document goes through
 * render_yaml, so output is deterministic. */
#include "platform/render.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/errbuf.h"
#include "model/config.h"
#include "model/topology.h"
#include "platform/render_flavour.h"

#define BACKENDS_MAX (8u << 20) /* the BACKENDS value of the load generator of a huge graph */

/* "none": the workloads alone, the baseline without a mesh. */
static const struct render_flavour none_flavour = {.name = "none"};

static const struct render_flavour *const flavours[] = {
    &render_appmesh_flavour, &render_istio_flavour, &render_istio_ambient_flavour,
    &render_linkerd_flavour, &none_flavour,
};
#define NFLAVOURS (sizeof flavours / sizeof flavours[0])

static const struct render_flavour *find(const char *mesh)
{
    for (size_t i = 0; mesh && i < NFLAVOURS; i++)
        if (!strcmp(flavours[i]->name, mesh)) return flavours[i];
    return NULL;
}

int render_check_mesh(const char *mesh, char *err, size_t errlen)
{
    if (find(mesh)) return 0;
    char q[128];
    topology_quote(mesh ? mesh : "", q, sizeof q);
    return errbuf_set(err, errlen,
                      "unknown mesh %s (known: appmesh, istio, istio-ambient, linkerd, none)", q);
}

const char *const *render_required_crds(const char *mesh, size_t *n)
{
    const struct render_flavour *f = find(mesh);
    *n = f ? f->ncrds : 0;
    return f && f->ncrds ? f->crds : NULL;
}

/* ---- checks ---- */

static bool lower_alnum(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* An RFC 1123 label: a namespace's name. */
static bool dns_label(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || !lower_alnum(s[0]) || !lower_alnum(s[n - 1])) return false;
    for (size_t i = 0; i < n; i++)
        if (!lower_alnum(s[i]) && s[i] != '-') return false;
    return true;
}

/* A label value (non-empty here). */
static bool label_value(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool an = lower_alnum(ch) || (ch >= 'A' && ch <= 'Z');
        if (!an && ((i == 0 || i == n - 1) || (ch != '-' && ch != '_' && ch != '.'))) return false;
    }
    return true;
}

static bool image_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 512) return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f) return false;
    return true;
}

static int check_opts(const struct render_ctx *c, char *err, size_t errlen)
{
    char q[128];
    if (!dns_label(c->ns)) {
        topology_quote(c->ns, q, sizeof q);
        return errbuf_set(err, errlen,
                          "namespace %s: not a Kubernetes namespace name (1-63 lower-case "
                          "letters, digits, '-'; a letter or digit at each end)",
                          q);
    }
    if (!image_ok(c->image)) {
        topology_quote(c->image, q, sizeof q);
        return errbuf_set(err, errlen, "image %s: want 1-512 characters, no spaces", q);
    }
    if (!label_value(c->run_id)) {
        topology_quote(c->run_id, q, sizeof q);
        return errbuf_set(err, errlen,
                          "run id %s: not a label value (1-63 of A-Z a-z 0-9 - _ .; a letter or "
                          "digit at each end)",
                          q);
    }
    if (c->o->waypoint && strcmp(c->o->mesh, "istio-ambient") != 0)
        return errbuf_set(err, errlen, "waypoint: only with mesh istio-ambient, not %s",
                          c->o->mesh);
    return 0;
}

/* ---- documents ---- */

static void meta_open(struct render_ctx *c, const char *api, const char *kind, const char *name,
                      bool namespaced)
{
    render_yaml_init(&c->y, RENDER_DOC_MAX);
    memset(&c->cur, 0, sizeof c->cur);
    snprintf(c->cur.api_version, sizeof c->cur.api_version, "%s", api);
    snprintf(c->cur.kind, sizeof c->cur.kind, "%s", kind);
    snprintf(c->cur.name, sizeof c->cur.name, "%s", name);
    c->cur.namespaced = namespaced;
    render_yaml_str(&c->y, "apiVersion", api);
    render_yaml_str(&c->y, "kind", kind);
    render_yaml_map(&c->y, "metadata");
    render_yaml_str(&c->y, "name", name);
    if (namespaced) render_yaml_str(&c->y, "namespace", c->ns);
}

void render_doc_begin(struct render_ctx *c, const char *api, const char *kind, const char *name,
                      bool namespaced, const char *const *labels)
{
    meta_open(c, api, kind, name, namespaced);
    render_yaml_map(&c->y, "labels");
    for (const char *const *l = labels; l && l[0]; l += 2)
        render_yaml_str(&c->y, l[0], l[1]);
    render_yaml_str(&c->y, RENDER_LABEL_RUN, c->run_id);
    render_yaml_end(&c->y);
    render_yaml_end(&c->y);
}

int render_doc_end(struct render_ctx *c)
{
    char *text;
    size_t len;
    int rc = render_yaml_take(&c->y, &text, &len);
    if (rc < 0)
        return errbuf_set(c->err, c->errlen, "%s %s: %s", c->cur.kind, c->cur.name,
                          rc == -ENOBUFS ? "document too large" : "out of memory");
    struct render_set *s = c->set;
    if (s->n == c->cap) {
        size_t ncap = c->cap ? 2 * c->cap : 64;
        struct render_doc *d = realloc(s->docs, ncap * sizeof *d);
        if (!d) {
            free(text);
            return errbuf_set(c->err, c->errlen, "out of memory");
        }
        s->docs = d;
        c->cap = ncap;
    }
    c->cur.yaml = text;
    c->cur.len = len;
    s->docs[s->n++] = c->cur;
    return 0;
}

void render_node_name(const struct render_ctx *c, size_t i, char *out, size_t outlen)
{
    topology_node_label(topology_name(c->topo, i), out, outlen);
}

void render_service_name(const struct render_ctx *c, size_t i, char *out, size_t outlen)
{
    topology_service_label(topology_name(c->topo, i), out, outlen);
}

size_t *render_unique_backends(const struct render_ctx *c, size_t i, size_t *n)
{
    size_t nb;
    const size_t *b = topology_backends(c->topo, i, &nb);
    size_t *u = malloc((nb ? nb : 1) * sizeof *u);
    *n = 0;
    if (!u) return NULL;
    for (size_t k = 0; k < nb; k++) {
        bool seen = false;
        for (size_t j = 0; j < *n && !seen; j++)
            seen = u[j] == b[k];
        if (!seen) u[(*n)++] = b[k];
    }
    return u;
}

static int namespace_doc(struct render_ctx *c, const struct render_flavour *f)
{
    meta_open(c, "v1", "Namespace", c->ns, false);
    render_yaml_map(&c->y, "labels");
    render_yaml_str(&c->y, RENDER_LABEL_RUN, c->run_id);
    if (f->ns_labels) f->ns_labels(c);
    render_yaml_end(&c->y);
    render_yaml_map_opt(&c->y, "annotations");
    if (f->ns_annotations) f->ns_annotations(c);
    render_yaml_end(&c->y);
    render_yaml_end(&c->y);
    return render_doc_end(c);
}

/* Secret <workload>-tls: ca_cert.pem, <workload>_cert_chain.pem, <workload>_key.pem. */
static int secret_doc(struct render_ctx *c, const char *workload, const char *chain,
                      const char *key)
{
    char name[128], k[160];
    snprintf(name, sizeof name, "%s-tls", workload);
    render_doc_begin(c, "v1", "Secret", name, true, (const char *const[]){"app", workload, NULL});
    render_yaml_str(&c->y, "type", "Opaque");
    render_yaml_map(&c->y, "stringData");
    render_yaml_str(&c->y, "ca_cert.pem", c->certs->ca);
    snprintf(k, sizeof k, "%s_cert_chain.pem", workload);
    render_yaml_str(&c->y, k, chain);
    snprintf(k, sizeof k, "%s_key.pem", workload);
    render_yaml_str(&c->y, k, key);
    render_yaml_end(&c->y);
    return render_doc_end(c);
}

static int secrets(struct render_ctx *c)
{
    char nn[96];
    for (size_t i = 0; i < topology_count(c->topo); i++) {
        render_node_name(c, i, nn, sizeof nn);
        if (secret_doc(c, nn, c->certs->chain[i], c->certs->key[i]) < 0) return -1;
    }
    return secret_doc(c, RENDER_LOADGEN_NAME, c->certs->client_chain, c->certs->client_key);
}

static int service_doc(struct render_ctx *c, const char *name, const char *app, int port)
{
    render_doc_begin(c, "v1", "Service", name, true, (const char *const[]){"app", app, NULL});
    render_yaml_map(&c->y, "spec");
    render_yaml_map(&c->y, "selector");
    render_yaml_str(&c->y, "app", app);
    render_yaml_end(&c->y);
    render_yaml_seq(&c->y, "ports");
    render_yaml_map(&c->y, NULL);
    render_yaml_str(&c->y, "name", "http");
    render_yaml_int(&c->y, "port", port);
    render_yaml_int(&c->y, "targetPort", port);
    render_yaml_str(&c->y, "protocol", "TCP");
    render_yaml_end(&c->y);
    render_yaml_end(&c->y);
    render_yaml_end(&c->y);
    return render_doc_end(c);
}

static int services(struct render_ctx *c)
{
    char nn[96], sn[96];
    for (size_t i = 0; i < topology_count(c->topo); i++) {
        render_node_name(c, i, nn, sizeof nn);
        render_service_name(c, i, sn, sizeof sn);
        if (service_doc(c, nn, nn, RENDER_APP_PORT) < 0 ||
            service_doc(c, sn, nn, RENDER_APP_PORT) < 0)
            return -1;
    }
    return service_doc(c, RENDER_LOADGEN_NAME, RENDER_LOADGEN_NAME, RENDER_LOADGEN_PORT);
}

/* BACKENDS of w: its backends' service URLs (every node's for the load
 * generator), comma-joined. 0, or -1 with err. */
static int backends_env(struct render_ctx *c, const struct render_workload *w, struct buf *b)
{
    size_t n;
    const size_t *list = NULL;
    if (w->node == RENDER_LOADGEN)
        n = topology_count(c->topo);
    else
        list = topology_backends(c->topo, w->node, &n);
    char sn[96];
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < n; k++) {
        render_service_name(c, list ? list[k] : k, sn, sizeof sn);
        rc = buf_printf(b, "%shttp://%s.%s.svc.cluster.local:%d", k ? "," : "", sn, c->ns,
                        RENDER_APP_PORT);
    }
    if (rc == 0 && !b->data) rc = buf_puts(b, "");
    return rc < 0
               ? errbuf_set(c->err, c->errlen, "%s: BACKENDS: too long or out of memory", w->name)
               : 0;
}

static void probe(struct render_ctx *c, enum render_probe p, int port)
{
    render_yaml_map(&c->y, "readinessProbe");
    if (p == RENDER_PROBE_TCP) {
        render_yaml_map(&c->y, "tcpSocket");
        render_yaml_int(&c->y, "port", port);
        render_yaml_end(&c->y);
    } else {
        render_yaml_map(&c->y, "httpGet");
        render_yaml_str(&c->y, "path", "/health");
        render_yaml_int(&c->y, "port", port);
        render_yaml_str(&c->y, "scheme", p == RENDER_PROBE_HTTPS ? "HTTPS" : "HTTP");
        render_yaml_end(&c->y);
    }
    render_yaml_int(&c->y, "periodSeconds", 2);
    render_yaml_end(&c->y);
}

static int deployment_doc(struct render_ctx *c, const struct render_flavour *f,
                          const struct render_workload *w)
{
    bool lg = w->node == RENDER_LOADGEN;
    struct buf backends;
    buf_init(&backends, BACKENDS_MAX);
    if (backends_env(c, w, &backends) < 0) {
        buf_free(&backends);
        return -1;
    }
    char port[16], allow[160];
    snprintf(port, sizeof port, "%d", w->port);
    snprintf(allow, sizeof allow, "loopback,*.%s.svc.cluster.local", c->ns);
    const char *const labels[] = {"app", w->name, NULL};
    render_doc_begin(c, "apps/v1", "Deployment", w->name, true, labels);
    render_yaml_map(&c->y, "spec");
    render_yaml_int(&c->y, "replicas", lg ? 1 : c->cfg->replicas);
    render_yaml_map(&c->y, "selector");
    render_yaml_map(&c->y, "matchLabels");
    render_yaml_str(&c->y, "app", w->name);
    render_yaml_end(&c->y);
    render_yaml_end(&c->y);
    render_yaml_map(&c->y, "template");
    render_yaml_map(&c->y, "metadata");
    render_yaml_map(&c->y, "labels");
    render_yaml_str(&c->y, "app", w->name);
    render_yaml_str(&c->y, RENDER_LABEL_RUN, c->run_id);
    render_yaml_end(&c->y);
    render_yaml_map(&c->y, "annotations");
    render_yaml_str(&c->y, "prometheus.io/scrape", "true");
    render_yaml_str(&c->y, "prometheus.io/port", port);
    render_yaml_str(&c->y, "prometheus.io/path", "/metrics");
    if (f->pod_annotations) f->pod_annotations(c, w);
    render_yaml_end(&c->y);
    render_yaml_end(&c->y); /* metadata */
    render_yaml_map(&c->y, "spec");
    render_yaml_seq(&c->y, "containers");
    render_yaml_map(&c->y, NULL);
    render_yaml_str(&c->y, "name", RENDER_APP_CONTAINER);
    render_yaml_str(&c->y, "image", c->image);
    render_yaml_str(&c->y, "imagePullPolicy", "IfNotPresent");
    render_yaml_seq(&c->y, "command");
    render_yaml_str(&c->y, NULL, RENDER_IMAGE_BINARY);
    render_yaml_end(&c->y);
    render_yaml_seq(&c->y, "args");
    const char *args[] = {"serve", "-port", port, "-name", w->name, NULL};
    for (const char *const *a = args; *a; a++)
        render_yaml_str(&c->y, NULL, *a);
    if (lg) {
        render_yaml_str(&c->y, NULL, "-rest");
        render_yaml_str(&c->y, NULL, "-rest-allow");
        render_yaml_str(&c->y, NULL, allow);
    }
    render_yaml_end(&c->y);
    render_yaml_seq(&c->y, "env");
    render_yaml_map(&c->y, NULL);
    render_yaml_str(&c->y, "name", "BACKENDS");
    render_yaml_str(&c->y, "value", backends.data);
    render_yaml_end(&c->y);
    render_yaml_map(&c->y, NULL);
    render_yaml_str(&c->y, "name", "SERVER_PORT");
    render_yaml_str(&c->y, "value", port);
    render_yaml_end(&c->y);
    render_yaml_end(&c->y); /* env */
    render_yaml_seq(&c->y, "ports");
    render_yaml_map(&c->y, NULL);
    render_yaml_str(&c->y, "name", "http");
    render_yaml_int(&c->y, "containerPort", w->port);
    render_yaml_end(&c->y);
    render_yaml_end(&c->y);
    probe(c, f->probe ? f->probe(c, w) : RENDER_PROBE_HTTP, w->port);
    render_yaml_map(&c->y, "resources");
    render_yaml_map(&c->y, "requests");
    render_yaml_str(&c->y, "cpu", lg ? "1" : "100m");
    render_yaml_str(&c->y, "memory", lg ? "256Mi" : "32Mi");
    render_yaml_end(&c->y);
    render_yaml_end(&c->y);
    render_yaml_map(&c->y, "securityContext");
    render_yaml_bool(&c->y, "allowPrivilegeEscalation", false);
    render_yaml_bool(&c->y, "readOnlyRootFilesystem", true);
    render_yaml_end(&c->y);
    render_yaml_end(&c->y); /* the container */
    render_yaml_end(&c->y); /* containers */
    render_yaml_end(&c->y); /* pod spec */
    render_yaml_end(&c->y); /* template */
    render_yaml_end(&c->y); /* spec */
    buf_free(&backends);
    return render_doc_end(c);
}

static int deployments(struct render_ctx *c, const struct render_flavour *f)
{
    size_t n;
    const size_t *order = topology_start_order(c->topo, &n);
    char nn[96];
    for (size_t k = 0; k < n; k++) {
        render_node_name(c, order[k], nn, sizeof nn);
        struct render_workload w = {nn, order[k], RENDER_APP_PORT};
        if (deployment_doc(c, f, &w) < 0) return -1;
    }
    struct render_workload lg = {RENDER_LOADGEN_NAME, RENDER_LOADGEN, RENDER_LOADGEN_PORT};
    return deployment_doc(c, f, &lg);
}

int render_manifests(const struct config *cfg, const struct render_opts *o, struct render_set **out,
                     char *err, size_t errlen)
{
    *out = NULL;
    const struct render_flavour *f = find(o->mesh);
    if (!f) return render_check_mesh(o->mesh, err, errlen);
    struct render_ctx c = {
        .cfg = cfg,
        .topo = cfg->topo,
        .o = o,
        .ns = o->ns ? o->ns : cfg->ns,
        .image = o->image ? o->image : RENDER_DEFAULT_IMAGE,
        .run_id = o->run_id ? o->run_id : RENDER_DEFAULT_RUN_ID,
        .tls = cfg->tls,
        .mtls = cfg->mtls,
        .err = err,
        .errlen = errlen,
    };
    if (check_opts(&c, err, errlen) < 0) return -1;
    if (!(c.set = calloc(1, sizeof *c.set))) return errbuf_set(err, errlen, "out of memory");
    int rc = 0;
    if (f->secrets && (c.tls || c.mtls) &&
        !(c.certs = render_tls_load(c.topo, c.ns, o->certs_dir, err, errlen)))
        rc = -1;
    if (rc == 0) rc = namespace_doc(&c, f);
    if (rc == 0 && f->cluster_docs) rc = f->cluster_docs(&c);
    if (rc == 0 && c.certs) rc = secrets(&c);
    if (rc == 0 && f->mesh_docs) rc = f->mesh_docs(&c);
    if (rc == 0) rc = services(&c);
    if (rc == 0) rc = deployments(&c, f);
    render_yaml_free(&c.y);
    render_tls_free(c.certs);
    if (rc < 0) {
        render_set_free(c.set);
        return -1;
    }
    *out = c.set;
    return 0;
}

void render_set_free(struct render_set *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        if (!strcmp(s->docs[i].kind, "Secret")) explicit_bzero(s->docs[i].yaml, s->docs[i].len);
        free(s->docs[i].yaml);
    }
    free(s->docs);
    free(s);
}
