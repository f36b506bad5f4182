/* platform_kubernetes.c: the Kubernetes backend of platform.h, driving the
 * user's kubectl (platform/kubectl.h); manifests only through
 * platform/render.h.
 *
 * up():  preflight (kubectl, cluster, the flavour's CRDs) -> does the
 *        namespace exist (else it is ours to delete) -> render ->
 *        `kubectl apply -f -` (every object labelled RENDER_LABEL_RUN=<run
 *        id>) -> `kubectl rollout status deployment/NAME` per Deployment
 *        within one deadline -> for appmesh `kubectl wait` for
 *        VirtualNodeActive / VirtualServiceActive (the controller's
 *        condition types; the CRD schemas in ../shared/schemas/appmesh do
 *        not enumerate them) -> `kubectl get pods -l RUN=ID -o json`
 *        (replicas by their app label) -> `kubectl port-forward` of the
 *        load generator's Service (and a Prometheus Service when asked),
 *        each a base/child on a loopback port, ready once the port accepts.
 * The port-forwards are supervised and restarted when they drop
 * (platform/portforward.h). health() (before each test) checks them,
 * then that every pod up() found is still there, Running, with no more
 * container restarts than it had (else one line naming the pod and what
 * to run to see why). down(): stop the
 * port-forwards, then (unless keep)
 * `kubectl delete <kinds> -l RUN=ID` and the namespace when up() created
 * it. The deletes ignore the cancel flag (they run after a Ctrl-C) but
 * are bounded. Replicas are the cluster's pods: containers[0] "app" with
 * pid 0 and no address (the load generator runs in the cluster; load-test
 * URLs stay in the cluster's form). */
#include "platform/platform_kubernetes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/errbuf.h"
#include "base/mono.h"
#include "model/config.h"
#include "net/url.h"
#include "platform/kubectl.h"
#include "platform/portforward.h"
#include "platform/render.h"

#define PK_ROLLOUT_DEFAULT_US (300 * MONO_US_PER_SEC)
#define PK_CALL_DEFAULT_US    (60 * MONO_US_PER_SEC)
#define PK_PREFLIGHT_US       (20 * MONO_US_PER_SEC)
#define PK_PROM_PORT          9090

struct pk_node {
    struct platform_replica *reps;
    size_t n;
};

/* A pod as up() found it, for health(): it must stay, run and not restart. */
struct pk_pod_seen {
    char name[128];
    long restarts;
};

struct platform_kubernetes {
    struct platform base;
    struct kubectl kc;
    const struct topology *t;
    struct platform_opts o; /* copy; its strings borrowed */
    char ns[128];
    char run_id[64];
    char selector[128]; /* RENDER_LABEL_RUN=<run id> */
    char kinds[1024];   /* what delete names: "deployment.apps,service,..." */
    char log_path[PATH_MAX];
    bool preflighted, applied, ns_created, down_done;
    struct pk_node *nodes;
    size_t nnodes;
    struct pk_pod_seen *seen; /* every running pod of the run at up() */
    size_t nseen;
    struct portforward *pf; /* the load generator's, and Prometheus' */
    char lg_url[64], prom_url[64];
};

static const struct platform_ops pk_ops;

static int64_t pk_call_us(const struct platform_kubernetes *k)
{
    return k->o.kube.call_timeout_us > 0 ? k->o.kube.call_timeout_us : PK_CALL_DEFAULT_US;
}

static void __attribute__((format(printf, 2, 3)))
pk_note(struct platform_kubernetes *k, const char *fmt, ...)
{
    if (!k->o.on_note) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    k->o.on_note(k->o.on_note_arg, line);
}

/* Run kubectl args; 0 when it exited 0, else -1 with err naming the call
 * and kubectl's last stderr line. r (may be NULL) keeps its output. */
static int pk_kubectl(struct platform_kubernetes *k, const char *const *args, const char *in,
                      size_t inlen, int64_t timeout_us, bool cancellable, struct kubectl_result *r,
                      char *err, size_t errlen)
{
    struct kubectl_result mine;
    struct kubectl_result *res = r ? r : &mine;
    int rc = kubectl_run(&k->kc, args, in, inlen, timeout_us, cancellable, res, err, errlen);
    if (rc == KUBECTL_OK && res->status != 0) {
        char what[512];
        kubectl_describe(&k->kc, args, what, sizeof what);
        rc = errbuf_set(err, errlen, "%s: %s", what,
                        res->err_line[0] ? res->err_line : "failed (no message)");
    }
    if (!r) kubectl_result_free(&mine);
    return rc == KUBECTL_OK ? 0 : -1;
}

/* ---- preflight ---- */

/* How to install what a flavour's missing CRDs come with. */
static const char *pk_crd_fix(const char *mesh)
{
    if (!strcmp(mesh, "appmesh"))
        return "App Mesh controller not installed: helm repo add eks "
               "https://aws.github.io/eks-charts && helm install appmesh-controller "
               "eks/appmesh-controller --namespace appmesh-system --create-namespace; see "
               "docs/KUBERNETES.md";
    if (!strcmp(mesh, "istio-ambient"))
        return "Istio ambient or the Gateway API not installed: istioctl install --set "
               "profile=ambient, and the Gateway API CRDs (kubectl apply -f the "
               "standard-install.yaml of kubernetes-sigs/gateway-api); see docs/KUBERNETES.md";
    if (!strcmp(mesh, "istio"))
        return "Istio not installed: istioctl install (or helm install istio-base and istiod); "
               "see docs/KUBERNETES.md";
    if (!strcmp(mesh, "linkerd"))
        return "Linkerd not installed: linkerd install --crds | kubectl apply -f -, then linkerd "
               "install | kubectl apply -f -; see docs/KUBERNETES.md";
    return "its control plane is not installed; see docs/KUBERNETES.md";
}

static int pk_setup(struct platform_kubernetes *k, const struct platform_opts *o, char *err,
                    size_t errlen)
{
    k->o = *o;
    const char *ns = o->kube.ns ? o->kube.ns : o->ns;
    if (!ns || !ns[0] || snprintf(k->ns, sizeof k->ns, "%s", ns) >= (int)sizeof k->ns)
        return errbuf_set(err, errlen, "kubernetes: no namespace, or too long");
    if (!o->kube.cfg) return errbuf_set(err, errlen, "kubernetes: no config to render");
    if (o->kube.run_id)
        snprintf(k->run_id, sizeof k->run_id, "%s", o->kube.run_id);
    else
        snprintf(k->run_id, sizeof k->run_id, "meshperf-%lld-%ld", (long long)time(NULL),
                 (long)getpid());
    snprintf(k->selector, sizeof k->selector, "%s=%s", RENDER_LABEL_RUN, k->run_id);
    if (o->kube.log_dir)
        snprintf(k->log_path, sizeof k->log_path, "%s/port-forward.log", o->kube.log_dir);
    return 0;
}

int platform_kubernetes_preflight(struct platform *p, const struct platform_opts *o, char *err,
                                  size_t errlen)
{
    if (!platform_is_kubernetes(p)) return errbuf_set(err, errlen, "not a kubernetes platform");
    struct platform_kubernetes *k = (struct platform_kubernetes *)p;
    if (k->preflighted) return 0;
    const char *mesh = o->kube.mesh ? o->kube.mesh : "none";
    if (pk_setup(k, o, err, errlen) < 0 || render_check_mesh(mesh, err, errlen) < 0 ||
        kubectl_init(&k->kc, o->kube.kubectl, o->kube.context, o->cancel, err, errlen) < 0)
        return -1;
    char e[ERRBUF_LEN];
    const char *version[] = {"version", "-o", "json", NULL};
    if (pk_kubectl(k, version, NULL, 0, PK_PREFLIGHT_US, true, NULL, e, sizeof e) < 0)
        return errbuf_set(err, errlen,
                          "cluster not reachable (%s): check `kubectl%s%s cluster-info` and the "
                          "context (--context)",
                          e, k->kc.context[0] ? " --context " : "", k->kc.context);
    size_t ncrd;
    const char *const *crds = render_required_crds(mesh, &ncrd);
    char missing[1024] = "";
    size_t nmissing = 0;
    for (size_t i = 0; i < ncrd; i++) {
        const char *get[] = {"get", "crd", crds[i], "-o", "name", NULL};
        struct kubectl_result r;
        int rc = kubectl_run(&k->kc, get, NULL, 0, PK_PREFLIGHT_US, true, &r, e, sizeof e);
        int st = r.status;
        bool notfound = strstr(r.err_line, "NotFound") != NULL;
        char line[sizeof r.err_line];
        memcpy(line, r.err_line, sizeof line);
        kubectl_result_free(&r);
        if (rc != KUBECTL_OK) return errbuf_set(err, errlen, "preflight: %s", e);
        if (st == 0) continue;
        if (!notfound) /* e.g. Forbidden: not a missing CRD */
            return errbuf_set(err, errlen, "preflight: kubectl get crd %s: %s", crds[i],
                              line[0] ? line : "failed (no message)");
        size_t ml = strlen(missing);
        snprintf(missing + ml, sizeof missing - ml, "%s%s", nmissing ? ", " : "", crds[i]);
        nmissing++;
    }
    if (o->kube.waypoint) {
        const char *get[] = {"get", "crd", RENDER_WAYPOINT_CRD, "-o", "name", NULL};
        struct kubectl_result r;
        int rc = kubectl_run(&k->kc, get, NULL, 0, PK_PREFLIGHT_US, true, &r, e, sizeof e);
        int st = r.status;
        kubectl_result_free(&r);
        if (rc != KUBECTL_OK) return errbuf_set(err, errlen, "preflight: %s", e);
        if (st != 0)
            return errbuf_set(err, errlen,
                              "--waypoint: missing CRD %s: install the Gateway API CRDs "
                              "(docs/KUBERNETES.md, Istio ambient)",
                              RENDER_WAYPOINT_CRD);
    }
    if (nmissing)
        return errbuf_set(err, errlen, "mesh %s: missing CRD%s %s: %s", mesh,
                          nmissing == 1 ? "" : "s", missing, pk_crd_fix(mesh));
    k->preflighted = true;
    return 0;
}

/* ---- up ---- */

/* Apply the rendered objects; remember their kinds for delete. */
static int pk_apply(struct platform_kubernetes *k, struct render_set **setp, char *err,
                    size_t errlen)
{
    const struct platform_kubernetes_opts *ko = &k->o.kube;
    struct render_opts ro = {
        .mesh = ko->mesh ? ko->mesh : "none",
        .ns = k->ns,
        .image = ko->image,
        .run_id = k->run_id,
        .waypoint = ko->waypoint,
    };
    if (render_manifests(ko->cfg, &ro, setp, err, errlen) < 0) return -1;
    struct render_set *s = *setp;
    size_t kl = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct render_doc *d = &s->docs[i];
        if (!strcmp(d->kind, "Namespace")) continue; /* by name, and only when ours */
        char kind[160];
        const char *slash = strchr(d->api_version, '/');
        size_t j = 0;
        for (; d->kind[j] && j + 1 < sizeof kind; j++)
            kind[j] = (char)(d->kind[j] >= 'A' && d->kind[j] <= 'Z' ? d->kind[j] + 32 : d->kind[j]);
        kind[j] = '\0';
        if (slash)
            snprintf(kind + j, sizeof kind - j, ".%.*s", (int)(slash - d->api_version),
                     d->api_version);
        bool seen = false;
        for (const char *p = k->kinds; *p && !seen;) {
            size_t n = strcspn(p, ",");
            seen = n == strlen(kind) && !strncmp(p, kind, n);
            p += n + (p[n] == ',');
        }
        if (seen) continue;
        int w = snprintf(k->kinds + kl, sizeof k->kinds - kl, "%s%s", kl ? "," : "", kind);
        if (w < 0 || (size_t)w >= sizeof k->kinds - kl)
            return errbuf_set(err, errlen, "kubernetes: too many kinds");
        kl += (size_t)w;
    }
    char *yaml = NULL;
    size_t ylen = 0;
    FILE *f = open_memstream(&yaml, &ylen);
    if (!f) return errbuf_set(err, errlen, "out of memory");
    int rc = render_write_stream(s, f, err, errlen);
    fclose(f);
    if (rc == 0) {
        const char *apply[] = {"apply", "-f", "-", NULL};
        k->applied = true; /* a partial apply is deleted too */
        rc = pk_kubectl(k, apply, yaml, ylen, pk_call_us(k), true, NULL, err, errlen);
        if (rc == 0)
            pk_note(k, "kubernetes: applied %zu objects (namespace %s, label %s)", s->n, k->ns,
                    k->selector);
    }
    free(yaml);
    return rc;
}

/* Every Deployment rolled out, and for appmesh every VirtualNode and
 * VirtualService active, within one deadline. */
static int pk_wait(struct platform_kubernetes *k, const struct render_set *s, char *err,
                   size_t errlen)
{
    int64_t total =
        k->o.kube.rollout_timeout_us > 0 ? k->o.kube.rollout_timeout_us : PK_ROLLOUT_DEFAULT_US;
    mono_us deadline = mono_now() + total;
    long total_s = (long)((total + MONO_US_PER_SEC - 1) / MONO_US_PER_SEC);
    char e[ERRBUF_LEN], tmo[32], what[200];
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->docs[i].kind, "Deployment") != 0) continue;
        mono_us left = deadline - mono_now();
        if (left < MONO_US_PER_SEC) left = MONO_US_PER_SEC;
        snprintf(tmo, sizeof tmo, "--timeout=%llds", (long long)(left / MONO_US_PER_SEC));
        snprintf(what, sizeof what, "deployment/%s", s->docs[i].name);
        const char *args[] = {"rollout", "status", what, "-n", k->ns, tmo, NULL};
        struct kubectl_result r;
        int rc =
            kubectl_run(&k->kc, args, NULL, 0, left + 15 * MONO_US_PER_SEC, true, &r, e, sizeof e);
        int st = r.status;
        char line[sizeof r.err_line];
        memcpy(line, r.err_line, sizeof line);
        kubectl_result_free(&r);
        if (rc == KUBECTL_CANCELLED) return errbuf_set(err, errlen, "interrupted");
        if (rc != KUBECTL_OK || st != 0)
            return errbuf_set(err, errlen,
                              "Deployment %s (namespace %s) not ready within %lds "
                              "(kubectl rollout status: %s); deleting everything",
                              s->docs[i].name, k->ns, total_s,
                              rc != KUBECTL_OK ? e
                              : line[0]        ? line
                                               : "failed");
    }
    if (!strcmp(k->o.kube.mesh ? k->o.kube.mesh : "none", "appmesh")) {
        static const char *const waits[][2] = {
            {"virtualnode.appmesh.k8s.aws", "--for=condition=VirtualNodeActive"},
            {"virtualservice.appmesh.k8s.aws", "--for=condition=VirtualServiceActive"}};
        for (size_t i = 0; i < 2; i++) {
            mono_us left = deadline - mono_now();
            if (left < MONO_US_PER_SEC) left = MONO_US_PER_SEC;
            snprintf(tmo, sizeof tmo, "--timeout=%llds", (long long)(left / MONO_US_PER_SEC));
            const char *args[] = {"wait",      waits[i][0], "-n", k->ns, "-l",
                                  k->selector, waits[i][1], tmo,  NULL};
            if (pk_kubectl(k, args, NULL, 0, left + 15 * MONO_US_PER_SEC, true, NULL, e, sizeof e) <
                0)
                return errbuf_set(err, errlen, "App Mesh objects not active within %lds (%s)",
                                  total_s, e);
        }
    }
    return 0;
}

/* The run's pods (`kubectl get pods -l RUN=ID -o json`), parsed: 0 with
 * *pods (free it) and *n, or -1 with err. */
static int pk_list_pods(struct platform_kubernetes *k, struct kubectl_pod **pods, size_t *n,
                        char *err, size_t errlen)
{
    const char *args[] = {"get", "pods", "-n", k->ns, "-l", k->selector, "-o", "json", NULL};
    struct kubectl_result r;
    *pods = NULL;
    *n = 0;
    int rc = pk_kubectl(k, args, NULL, 0, pk_call_us(k), true, &r, err, errlen);
    if (rc == 0)
        rc = kubectl_parse_pods(r.out.data ? r.out.data : "", r.out.len, pods, n, err, errlen);
    kubectl_result_free(&r);
    return rc < 0 ? -1 : 0;
}

/* The replicas: running pods by their app label (node-N); and every
 * running pod with its restarts, for health(). */
static int pk_pods(struct platform_kubernetes *k, char *err, size_t errlen)
{
    struct kubectl_pod *pods;
    size_t np;
    if (pk_list_pods(k, &pods, &np, err, errlen) < 0) return -1;
    int rc = 0;
    free(k->seen);
    k->nseen = 0;
    if (!(k->seen = calloc(np ? np : 1, sizeof *k->seen)))
        rc = errbuf_set(err, errlen, "out of memory");
    for (size_t j = 0; rc == 0 && j < np; j++) {
        if (strcmp(pods[j].phase, "Running")) continue;
        struct pk_pod_seen *s = &k->seen[k->nseen++];
        snprintf(s->name, sizeof s->name, "%s", pods[j].name);
        s->restarts = pods[j].restarts;
    }
    k->nnodes = topology_count(k->t);
    k->nodes = calloc(k->nnodes ? k->nnodes : 1, sizeof *k->nodes);
    if (!k->nodes) rc = errbuf_set(err, errlen, "out of memory");
    for (size_t i = 0; rc == 0 && i < k->nnodes; i++) {
        char label[TOPOLOGY_NAME_MAX + 8];
        topology_node_label(topology_name(k->t, i), label, sizeof label);
        struct pk_node *nd = &k->nodes[i];
        for (size_t j = 0; j < np; j++)
            nd->n += !strcmp(pods[j].app, label) && !strcmp(pods[j].phase, "Running");
        if (!nd->n) {
            rc = errbuf_set(err, errlen, "node %s: no running pod labelled app=%s in namespace %s",
                            topology_name(k->t, i), label, k->ns);
            break;
        }
        if (!(nd->reps = calloc(nd->n, sizeof *nd->reps))) {
            rc = errbuf_set(err, errlen, "out of memory");
            break;
        }
        size_t m = 0;
        for (size_t j = 0; j < np; j++) {
            if (strcmp(pods[j].app, label) || strcmp(pods[j].phase, "Running")) continue;
            struct platform_replica *rep = &nd->reps[m++];
            size_t nl = strnlen(pods[j].name, sizeof rep->pod - 1);
            memcpy(rep->pod, pods[j].name, nl);
            rep->pod[nl] = '\0';
            snprintf(rep->containers[0].name, sizeof rep->containers[0].name, "%s",
                     PLATFORM_CONTAINER_APP);
            rep->ncontainers = 1;
        }
    }
    free(pods);
    return rc;
}

/* ---- port-forwards ---- */

/* "NS/NAME[:PORT]" into its parts. */
static int pk_parse_service(const char *s, char *ns, size_t nslen, char *name, size_t namelen,
                            int *port, char *err, size_t errlen)
{
    const char *slash = strchr(s, '/');
    const char *colon = slash ? strchr(slash, ':') : NULL;
    size_t nl = slash ? (size_t)(slash - s) : 0;
    size_t ml = slash ? (colon ? (size_t)(colon - slash - 1) : strlen(slash + 1)) : 0;
    char *end = NULL;
    long p = colon ? strtol(colon + 1, &end, 10) : PK_PROM_PORT;
    if (!nl || !ml || nl >= nslen || ml >= namelen || (colon && (*end || p < 1 || p > 65535)))
        return errbuf_set(err, errlen,
                          "flag --prometheus-service: must be NAMESPACE/SERVICE[:PORT], got '%s'",
                          s);
    snprintf(ns, nslen, "%.*s", (int)nl, s);
    snprintf(name, namelen, "%.*s", (int)ml, slash + 1);
    *port = (int)p;
    return 0;
}

static int pk_up(struct platform *p, const struct topology *t, const struct platform_opts *o,
                 char *err, size_t errlen)
{
    struct platform_kubernetes *k = (struct platform_kubernetes *)p;
    k->t = t;
    if (platform_kubernetes_preflight(p, o, err, errlen) < 0) return -1;
    char e[ERRBUF_LEN];
    const char *getns[] = {"get", "namespace", k->ns, "-o", "name", NULL};
    struct kubectl_result r;
    int rc = kubectl_run(&k->kc, getns, NULL, 0, pk_call_us(k), true, &r, e, sizeof e);
    /* ours to delete only when it surely did not exist (not on Forbidden) */
    bool missing = r.status != 0 && strstr(r.err_line, "NotFound") != NULL;
    kubectl_result_free(&r);
    if (rc != KUBECTL_OK) return errbuf_set(err, errlen, "%s", e);
    k->ns_created = missing;
    if (!o->kube.image)
        pk_note(k,
                "note: image %s (the default): the cluster's nodes must have it; push the "
                "image `make image` built and give --image (docs/KUBERNETES.md)",
                RENDER_DEFAULT_IMAGE);
    struct render_set *s = NULL;
    rc = pk_apply(k, &s, err, errlen);
    if (rc == 0) rc = pk_wait(k, s, err, errlen);
    render_set_free(s);
    if (rc == 0) rc = pk_pods(k, err, errlen);
    if (rc < 0) return -1;
    if (!(k->pf = portforward_new(&k->kc, k->log_path[0] ? k->log_path : NULL)))
        return errbuf_set(err, errlen, "out of memory");
    int port = portforward_add(k->pf, k->ns, RENDER_LOADGEN_NAME, RENDER_LOADGEN_PORT, o->cancel,
                               err, errlen);
    if (port < 0) return -1;
    snprintf(k->lg_url, sizeof k->lg_url, "http://127.0.0.1:%d/", port);
    pk_note(k, "port-forward svc/%s (namespace %s) -> 127.0.0.1:%d", RENDER_LOADGEN_NAME, k->ns,
            port);
    if (o->kube.prom_service) {
        char pns[128], pname[128];
        int pport = 0;
        if (pk_parse_service(o->kube.prom_service, pns, sizeof pns, pname, sizeof pname, &pport,
                             err, errlen) < 0 ||
            (port = portforward_add(k->pf, pns, pname, pport, o->cancel, err, errlen)) < 0)
            return -1;
        snprintf(k->prom_url, sizeof k->prom_url, "http://127.0.0.1:%d", port);
        pk_note(k, "port-forward svc/%s (namespace %s) -> 127.0.0.1:%d", pname, pns, port);
    }
    return portforward_supervise(k->pf, err, errlen);
}

static const struct platform_replica *pk_replicas(struct platform *p, size_t node, size_t *n)
{
    struct platform_kubernetes *k = (struct platform_kubernetes *)p;
    if (!k->nodes || node >= k->nnodes) {
        *n = 0;
        return NULL;
    }
    *n = k->nodes[node].n;
    return k->nodes[node].reps;
}

/* The URL stays the cluster's: the load generator runs in the cluster. */
static int pk_resolve(struct platform *p, const char *url, char *out, size_t outlen, size_t *node,
                      char *err, size_t errlen)
{
    struct platform_kubernetes *k = (struct platform_kubernetes *)p;
    char *path = malloc(URL_PATH_MAX + 1);
    if (!path) return errbuf_set(err, errlen, "out of memory");
    int rc = topology_resolve_url(k->t, url, node, path, URL_PATH_MAX + 1, NULL, 0, err, errlen);
    free(path);
    if (rc < 0) return -1;
    if (snprintf(out, outlen, "%s", url) >= (int)outlen)
        return errbuf_set(err, errlen, "URL too long");
    return 0;
}

/* The port-forwards are up (waiting, bounded, for a restart in progress).
 * Pods are the cluster's to keep running: a pod that dies is replaced by
 * its Deployment, and shows in the test's errors. */
/* Every pod up() found still there, Running, with no more restarts. A
 * kubectl that cannot list the pods is a warning, not a failure (the API
 * server may hiccup; the port-forwards are checked anyway). */
static int pk_check_pods(struct platform_kubernetes *k, char *err, size_t errlen)
{
    char e[ERRBUF_LEN];
    struct kubectl_pod *pods;
    size_t np;
    if (pk_list_pods(k, &pods, &np, e, sizeof e) < 0) {
        pk_note(k, "warning: the pods could not be checked: %s", e);
        return 0;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < k->nseen; i++) {
        const struct pk_pod_seen *s = &k->seen[i];
        const struct kubectl_pod *now = NULL;
        for (size_t j = 0; j < np && !now; j++)
            if (!strcmp(pods[j].name, s->name)) now = &pods[j];
        if (!now)
            rc = errbuf_set(err, errlen,
                            "pod %s: gone (deleted or evicted; `kubectl get events -n %s`)",
                            s->name, k->ns);
        else if (strcmp(now->phase, "Running"))
            rc = errbuf_set(err, errlen, "pod %s: phase %s (`kubectl describe pod %s -n %s`)",
                            s->name, now->phase, s->name, k->ns);
        else if (now->restarts > s->restarts)
            rc = errbuf_set(err, errlen,
                            "pod %s: a container restarted (%ld restart%s since the run began; "
                            "`kubectl logs --previous %s -n %s`)",
                            s->name, now->restarts - s->restarts,
                            now->restarts - s->restarts == 1 ? "" : "s", s->name, k->ns);
    }
    free(pods);
    return rc;
}

static int pk_health(struct platform *p, char *err, size_t errlen)
{
    struct platform_kubernetes *k = (struct platform_kubernetes *)p;
    if (!k->pf) return 0;
    char note[1024];
    int rc = portforward_health(k->pf, k->o.cancel, note, sizeof note, err, errlen);
    if (note[0]) pk_note(k, "%s", note);
    return rc == 0 ? pk_check_pods(k, err, errlen) : rc;
}

static void pk_down(struct platform *p)
{
    struct platform_kubernetes *k = (struct platform_kubernetes *)p;
    if (k->down_done) return;
    k->down_done = true;
    portforward_stop(k->pf);
    if (!k->applied) return;
    if (k->o.kube.keep) {
        pk_note(k,
                "--keep: left in the cluster: objects labelled %s in namespace %s; delete with "
                "`kubectl delete %s -n %s -l %s`%s%s",
                k->selector, k->ns, k->kinds, k->ns, k->selector,
                k->ns_created ? " and `kubectl delete namespace " : "", k->ns_created ? k->ns : "");
        return;
    }
    char e[ERRBUF_LEN], tmo[32];
    snprintf(tmo, sizeof tmo, "--timeout=%llds", (long long)(pk_call_us(k) / MONO_US_PER_SEC));
    int rc = 0;
    if (k->kinds[0]) {
        const char *del[] = {
            "delete", k->kinds, "-n", k->ns, "-l", k->selector, "--ignore-not-found", tmo, NULL};
        rc = pk_kubectl(k, del, NULL, 0, pk_call_us(k) + 15 * MONO_US_PER_SEC, false, NULL, e,
                        sizeof e);
    }
    if (rc == 0 && k->ns_created) {
        const char *del[] = {"delete",       "namespace", k->ns, "--ignore-not-found",
                             "--wait=false", NULL};
        rc = pk_kubectl(k, del, NULL, 0, pk_call_us(k), false, NULL, e, sizeof e);
    }
    if (rc < 0)
        pk_note(k, "warning: could not delete everything (%s): run `kubectl delete %s -n %s -l %s`",
                e, k->kinds, k->ns, k->selector);
    else
        pk_note(k, "kubernetes: deleted the objects labelled %s%s%s", k->selector,
                k->ns_created ? " and namespace " : "", k->ns_created ? k->ns : "");
}

static void pk_free(struct platform *p)
{
    if (!p) return;
    struct platform_kubernetes *k = (struct platform_kubernetes *)p;
    pk_down(p);
    for (size_t i = 0; k->nodes && i < k->nnodes; i++)
        free(k->nodes[i].reps);
    free(k->nodes);
    free(k->seen);
    portforward_free(k->pf);
    free(k);
}

static const struct platform_ops pk_ops = {
    .name = "kubernetes",
    .up = pk_up,
    .replicas = pk_replicas,
    .resolve = pk_resolve,
    .health = pk_health,
    .down = pk_down,
    .free = pk_free,
};

struct platform *platform_kubernetes_new(void)
{
    struct platform_kubernetes *k = calloc(1, sizeof *k);
    if (!k) return NULL;
    k->base.ops = &pk_ops;
    return &k->base;
}

bool platform_is_kubernetes(const struct platform *p)
{
    return p && p->ops == &pk_ops;
}

const char *platform_kubernetes_loadgen_url(const struct platform *p)
{
    const struct platform_kubernetes *k = (const struct platform_kubernetes *)p;
    return platform_is_kubernetes(p) && k->lg_url[0] ? k->lg_url : NULL;
}

const char *platform_kubernetes_prom_url(const struct platform *p)
{
    const struct platform_kubernetes *k = (const struct platform_kubernetes *)p;
    return platform_is_kubernetes(p) && k->prom_url[0] ? k->prom_url : NULL;
}
