/* render_appmesh.c: the App Mesh flavour (appmesh.k8s.aws/v1beta2), as the
 * original built it (../shared/reference/ORIGINAL.md, "Topology on
 * Kubernetes"): a Mesh named after the namespace selecting it by the label
 * mesh=<name>; the namespace labelled for the controller's sidecar
 * injector; per node a VirtualNode node-N (pods app=node-N, listener http
 * 9080, DNS discovery node-N.<ns>.svc.cluster.local, its distinct
 * backends' VirtualServices) and a VirtualService service-N (awsName
 * service-N.<ns>.svc.cluster.local, the name the callers use; provider
 * node-N); the load generator's VirtualNode with every VirtualService.
 *
 * TLS (IsTLSEnabled or IsmTLSEnabled) is file based: Secret <vn>-tls
 * (render.c) mounted into the Envoy sidecar at /certs/ by the pod
 * annotation appmesh.k8s.aws/secretMounts, egress port 443 ignored, the
 * nodes' listeners STRICT with their chain and key, and every VirtualNode's
 * backendDefaults enforcing TLS with the CA as trust. mTLS adds listener
 * validation (the CA) and the client certificate (the node's own pair; the
 * load generator's "meshperf-client"). The kubelet's probes pass through
 * Envoy's listener: over TLS it probes with HTTPS (not verified, as the
 * kubelet does), under mTLS it has no client certificate, so the probe is a
 * TCP connect (App Mesh's troubleshooting guide: kubelet probes fail on a
 * STRICT mTLS listener). */
#include <stdio.h>
#include <stdlib.h>

#include "base/errbuf.h"
#include "model/topology.h"
#include "platform/render_flavour.h"

#define API      "appmesh.k8s.aws/v1beta2"
#define CERT_DIR "/certs/"

static const char *const crds[] = {
    "meshes.appmesh.k8s.aws",
    "virtualnodes.appmesh.k8s.aws",
    "virtualservices.appmesh.k8s.aws",
};

static void ns_labels(struct render_ctx *c)
{
    render_yaml_str(&c->y, "appmesh.k8s.aws/sidecarInjectorWebhook", "enabled");
    render_yaml_str(&c->y, "mesh", c->ns);
}

static int mesh_doc(struct render_ctx *c)
{
    render_doc_begin(c, API, "Mesh", c->ns, false, NULL);
    render_yaml_map(&c->y, "spec");
    render_yaml_map(&c->y, "namespaceSelector");
    render_yaml_map(&c->y, "matchLabels");
    render_yaml_str(&c->y, "mesh", c->ns);
    render_yaml_end(&c->y);
    render_yaml_end(&c->y);
    render_yaml_end(&c->y);
    return render_doc_end(c);
}

/* file: {certificateChain: /certs/<vn>_cert_chain.pem, privateKey: ...} */
static void file_cert(struct render_ctx *c, const char *vn)
{
    char path[160];
    render_yaml_map(&c->y, "certificate");
    render_yaml_map(&c->y, "file");
    snprintf(path, sizeof path, CERT_DIR "%s_cert_chain.pem", vn);
    render_yaml_str(&c->y, "certificateChain", path);
    snprintf(path, sizeof path, CERT_DIR "%s_key.pem", vn);
    render_yaml_str(&c->y, "privateKey", path);
    render_yaml_end(&c->y);
    render_yaml_end(&c->y);
}

static void ca_trust(struct render_ctx *c)
{
    render_yaml_map(&c->y, "validation");
    render_yaml_map(&c->y, "trust");
    render_yaml_map(&c->y, "file");
    render_yaml_str(&c->y, "certificateChain", CERT_DIR "ca_cert.pem");
    render_yaml_end(&c->y);
    render_yaml_end(&c->y);
    render_yaml_end(&c->y);
}

/* One VirtualNode: vn, its pods app=vn, a listener on port (TLS when
 * listener_tls), and backends (n service names). */
static int virtual_node(struct render_ctx *c, const char *vn, int port, bool listener_tls,
                        char (*backends)[96], size_t n)
{
    bool tls = c->tls || c->mtls;
    char host[192];
    snprintf(host, sizeof host, "%s.%s.svc.cluster.local", vn, c->ns);
    render_doc_begin(c, API, "VirtualNode", vn, true, (const char *const[]){"app", vn, NULL});
    render_yaml_map(&c->y, "spec");
    render_yaml_map(&c->y, "podSelector");
    render_yaml_map(&c->y, "matchLabels");
    render_yaml_str(&c->y, "app", vn);
    render_yaml_end(&c->y);
    render_yaml_end(&c->y);
    render_yaml_seq(&c->y, "listeners");
    render_yaml_map(&c->y, NULL);
    render_yaml_map(&c->y, "portMapping");
    render_yaml_int(&c->y, "port", port);
    render_yaml_str(&c->y, "protocol", "http");
    render_yaml_end(&c->y);
    if (listener_tls && tls) {
        render_yaml_map(&c->y, "tls");
        render_yaml_str(&c->y, "mode", "STRICT");
        file_cert(c, vn);
        if (c->mtls) ca_trust(c);
        render_yaml_end(&c->y);
    }
    render_yaml_end(&c->y);
    render_yaml_end(&c->y); /* listeners */
    render_yaml_map(&c->y, "serviceDiscovery");
    render_yaml_map(&c->y, "dns");
    render_yaml_str(&c->y, "hostname", host);
    render_yaml_end(&c->y);
    render_yaml_end(&c->y);
    if (n > 0) {
        render_yaml_seq(&c->y, "backends");
        for (size_t k = 0; k < n; k++) {
            render_yaml_map(&c->y, NULL);
            render_yaml_map(&c->y, "virtualService");
            render_yaml_map(&c->y, "virtualServiceRef");
            render_yaml_str(&c->y, "name", backends[k]);
            render_yaml_end(&c->y);
            render_yaml_end(&c->y);
            render_yaml_end(&c->y);
        }
        render_yaml_end(&c->y);
    }
    if (tls) {
        render_yaml_map(&c->y, "backendDefaults");
        render_yaml_map(&c->y, "clientPolicy");
        render_yaml_map(&c->y, "tls");
        render_yaml_bool(&c->y, "enforce", true);
        if (c->mtls) file_cert(c, vn);
        ca_trust(c);
        render_yaml_end(&c->y);
        render_yaml_end(&c->y);
        render_yaml_end(&c->y);
    }
    render_yaml_end(&c->y); /* spec */
    return render_doc_end(c);
}

static int virtual_service(struct render_ctx *c, size_t i)
{
    char nn[96], sn[96], aws[192];
    render_node_name(c, i, nn, sizeof nn);
    render_service_name(c, i, sn, sizeof sn);
    snprintf(aws, sizeof aws, "%s.%s.svc.cluster.local", sn, c->ns);
    render_doc_begin(c, API, "VirtualService", sn, true, (const char *const[]){"app", nn, NULL});
    render_yaml_map(&c->y, "spec");
    render_yaml_str(&c->y, "awsName", aws);
    render_yaml_map(&c->y, "provider");
    render_yaml_map(&c->y, "virtualNode");
    render_yaml_map(&c->y, "virtualNodeRef");
    render_yaml_str(&c->y, "name", nn);
    render_yaml_end(&c->y);
    render_yaml_end(&c->y);
    render_yaml_end(&c->y);
    render_yaml_end(&c->y);
    return render_doc_end(c);
}

static int mesh_docs(struct render_ctx *c)
{
    size_t n = topology_count(c->topo);
    char(*names)[96] = calloc(n ? n : 1, sizeof *names);
    if (!names) return errbuf_set(c->err, c->errlen, "out of memory");
    int rc = 0;
    char nn[96];
    for (size_t i = 0; rc == 0 && i < n; i++) {
        size_t nb;
        size_t *b = render_unique_backends(c, i, &nb);
        if (!b) {
            rc = errbuf_set(c->err, c->errlen, "out of memory");
            break;
        }
        for (size_t k = 0; k < nb; k++)
            render_service_name(c, b[k], names[k], sizeof names[k]);
        free(b);
        render_node_name(c, i, nn, sizeof nn);
        rc = virtual_node(c, nn, RENDER_APP_PORT, true, names, nb);
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        render_service_name(c, i, names[i], sizeof names[i]);
    if (rc == 0) rc = virtual_node(c, RENDER_LOADGEN_NAME, RENDER_LOADGEN_PORT, false, names, n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = virtual_service(c, i);
    free(names);
    return rc;
}

static void pod_annotations(struct render_ctx *c, const struct render_workload *w)
{
    if (!c->tls && !c->mtls) return;
    char mount[160];
    snprintf(mount, sizeof mount, "%s-tls:" CERT_DIR, w->name);
    render_yaml_str(&c->y, "appmesh.k8s.aws/secretMounts", mount);
    render_yaml_str(&c->y, "appmesh.k8s.aws/egressIgnoredPorts", "443");
}

static enum render_probe probe(const struct render_ctx *c, const struct render_workload *w)
{
    if (w->node == RENDER_LOADGEN || (!c->tls && !c->mtls)) return RENDER_PROBE_HTTP;
    return c->mtls ? RENDER_PROBE_TCP : RENDER_PROBE_HTTPS;
}

const struct render_flavour render_appmesh_flavour = {
    .name = "appmesh",
    .crds = crds,
    .ncrds = sizeof crds / sizeof crds[0],
    .secrets = true,
    .ns_labels = ns_labels,
    .cluster_docs = mesh_doc,
    .mesh_docs = mesh_docs,
    .pod_annotations = pod_annotations,
    .probe = probe,
};
