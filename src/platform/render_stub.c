/* render_stub.c: TEMPORARY: replaced by the render branch at merge; delete
 * this file then.
 *
 * A minimal implementation of render.h so that the Kubernetes platform
 * (platform_kubernetes.c) builds and its tests run before `meshperf render`
 * lands: one Namespace, then per node a Deployment `node-N` (pods labelled
 * app=node-N), then the load generator's Deployment and Service, every
 * object labelled RENDER_LABEL_RUN. No mesh resources are written; the
 * required CRDs are the real ones, so the preflight can be tested. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/errbuf.h"
#include "model/config.h"
#include "model/topology.h"
#include "platform/render.h"

static const char *const render_stub_meshes[] = {"appmesh", "istio", "istio-ambient", "linkerd",
                                                 "none"};

int render_check_mesh(const char *mesh, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof render_stub_meshes / sizeof render_stub_meshes[0]; i++)
        if (mesh && !strcmp(mesh, render_stub_meshes[i])) return 0;
    return errbuf_set(err, errlen,
                      "unknown mesh \"%s\" (known: appmesh, istio, istio-ambient, linkerd, none)",
                      mesh ? mesh : "");
}

static const char *const render_stub_crds_appmesh[] = {
    "meshes.appmesh.k8s.aws", "virtualnodes.appmesh.k8s.aws", "virtualservices.appmesh.k8s.aws"};
static const char *const render_stub_crds_istio[] = {"peerauthentications.security.istio.io"};
static const char *const render_stub_crds_ambient[] = {"peerauthentications.security.istio.io",
                                                       "gateways.gateway.networking.k8s.io"};

const char *const *render_required_crds(const char *mesh, size_t *n)
{
    *n = 0;
    if (!mesh) return NULL;
    if (!strcmp(mesh, "appmesh")) {
        *n = 3;
        return render_stub_crds_appmesh;
    }
    if (!strcmp(mesh, "istio")) {
        *n = 1;
        return render_stub_crds_istio;
    }
    if (!strcmp(mesh, "istio-ambient")) {
        *n = 2;
        return render_stub_crds_ambient;
    }
    return NULL;
}

static int render_stub_add(struct render_set *s, size_t cap, const char *api, const char *kind,
                           const char *name, bool namespaced, char *yaml)
{
    if (!yaml || s->n >= cap) {
        free(yaml);
        return -1;
    }
    struct render_doc *d = &s->docs[s->n++];
    snprintf(d->api_version, sizeof d->api_version, "%s", api);
    snprintf(d->kind, sizeof d->kind, "%s", kind);
    snprintf(d->name, sizeof d->name, "%s", name);
    d->namespaced = namespaced;
    d->yaml = yaml;
    d->len = strlen(yaml);
    return 0;
}

static char *render_stub_deployment(const char *name, const char *ns, const char *run,
                                    const char *image, int replicas, int port)
{
    char *y = NULL;
    if (asprintf(&y,
                 "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\n  namespace: %s\n"
                 "  labels:\n    app: %s\n    " RENDER_LABEL_RUN ": %s\n"
                 "spec:\n  replicas: %d\n  selector:\n    matchLabels:\n      app: %s\n"
                 "  template:\n    metadata:\n      labels:\n        app: %s\n"
                 "        " RENDER_LABEL_RUN ": %s\n"
                 "    spec:\n      containers:\n      - name: app\n        image: %s\n"
                 "        args: [serve, -port, \"%d\"]\n",
                 name, ns, name, run, replicas, name, name, run, image, port) < 0)
        return NULL;
    return y;
}

int render_manifests(const struct config *cfg, const struct render_opts *o, struct render_set **out,
                     char *err, size_t errlen)
{
    *out = NULL;
    if (render_check_mesh(o->mesh, err, errlen) < 0) return -1;
    const char *ns = o->ns ? o->ns : cfg->ns;
    const char *run = o->run_id ? o->run_id : "meshperf";
    const char *image = o->image ? o->image : RENDER_DEFAULT_IMAGE;
    size_t nn = topology_count(cfg->topo), cap = nn + 3;
    struct render_set *s = calloc(1, sizeof *s);
    if (s) s->docs = calloc(cap, sizeof *s->docs);
    if (!s || !s->docs) goto oom;
    char *y = NULL;
    if (asprintf(&y,
                 "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels:\n"
                 "    " RENDER_LABEL_RUN ": %s\n",
                 ns, run) < 0)
        y = NULL;
    if (render_stub_add(s, cap, "v1", "Namespace", ns, false, y) < 0) goto oom;
    for (size_t i = 0; i < nn; i++) {
        char label[TOPOLOGY_NAME_MAX + 8];
        topology_node_label(topology_name(cfg->topo, i), label, sizeof label);
        y = render_stub_deployment(label, ns, run, image, cfg->replicas, RENDER_APP_PORT);
        if (render_stub_add(s, cap, "apps/v1", "Deployment", label, true, y) < 0) goto oom;
    }
    y = render_stub_deployment(RENDER_LOADGEN_NAME, ns, run, image, 1, RENDER_LOADGEN_PORT);
    if (render_stub_add(s, cap, "apps/v1", "Deployment", RENDER_LOADGEN_NAME, true, y) < 0)
        goto oom;
    if (asprintf(&y,
                 "apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n  namespace: %s\n"
                 "  labels:\n    " RENDER_LABEL_RUN ": %s\nspec:\n  selector:\n    app: %s\n"
                 "  ports:\n  - port: %d\n",
                 RENDER_LOADGEN_NAME, ns, run, RENDER_LOADGEN_NAME, RENDER_LOADGEN_PORT) < 0)
        y = NULL;
    if (render_stub_add(s, cap, "v1", "Service", RENDER_LOADGEN_NAME, true, y) < 0) goto oom;
    *out = s;
    return 0;
oom:
    render_set_free(s);
    return errbuf_set(err, errlen, "render: out of memory");
}

int render_write_stream(const struct render_set *s, FILE *f, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->n; i++)
        if ((i && fputs("---\n", f) == EOF) ||
            fwrite(s->docs[i].yaml, 1, s->docs[i].len, f) != s->docs[i].len)
            return errbuf_set(err, errlen, "render: write error");
    return fflush(f) == 0 ? 0 : errbuf_set(err, errlen, "render: write error");
}

int render_write_dir(const struct render_set *s, const char *dir, char *err, size_t errlen)
{
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return errbuf_set(err, errlen, "%s: %s", dir, strerror(errno));
    for (size_t i = 0; i < s->n; i++) {
        char path[4096], kind[64];
        size_t k = 0;
        for (; s->docs[i].kind[k] && k + 1 < sizeof kind; k++)
            kind[k] = (char)(s->docs[i].kind[k] | 0x20);
        kind[k] = '\0';
        snprintf(path, sizeof path, "%s/%02zu-%s-%s.yaml", dir, i, kind, s->docs[i].name);
        FILE *f = fopen(path, "w");
        if (!f) return errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
        size_t w = fwrite(s->docs[i].yaml, 1, s->docs[i].len, f);
        if (fclose(f) != 0 || w != s->docs[i].len)
            return errbuf_set(err, errlen, "%s: write error", path);
    }
    return 0;
}

void render_set_free(struct render_set *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n; i++)
        free(s->docs[i].yaml);
    free(s->docs);
    free(s);
}
