/* render_istio.c: the Istio flavours. "istio" (sidecars): the namespace
 * labelled istio-injection=enabled, so every pod gets an Envoy sidecar
 * (whose injector rewrites the kubelet's probes, so they pass under STRICT).
 * "istio-ambient": the namespace labelled istio.io/dataplane-mode=ambient
 * (ztunnel on every node carries the traffic, no sidecar), and with
 * opts.waypoint an L7 waypoint: a Gateway "waypoint" of class
 * istio-waypoint (listener "mesh", port 15008, HBONE) for the services of
 * the namespace, which the label istio.io/use-waypoint=waypoint selects.
 * Either with IsTLSEnabled or IsmTLSEnabled: a namespace-wide
 * PeerAuthentication "default" in mode STRICT (Istio's TLS between
 * proxies is always mutual, so asking for TLS means refusing plain text);
 * the certificates are Istio's own. */
#include "platform/render_flavour.h"

static const char *const crds[] = {"peerauthentications.security.istio.io"};

#define WAYPOINT "waypoint"

static void sidecar_labels(struct render_ctx *c)
{
    render_yaml_str(&c->y, "istio-injection", "enabled");
}

static void ambient_labels(struct render_ctx *c)
{
    render_yaml_str(&c->y, "istio.io/dataplane-mode", "ambient");
    if (c->o->waypoint) render_yaml_str(&c->y, "istio.io/use-waypoint", WAYPOINT);
}

static int peer_authentication(struct render_ctx *c)
{
    if (!c->tls && !c->mtls) return 0;
    render_doc_begin(c, "security.istio.io/v1", "PeerAuthentication", "default", true, NULL);
    render_yaml_map(&c->y, "spec");
    render_yaml_map(&c->y, "mtls");
    render_yaml_str(&c->y, "mode", "STRICT");
    render_yaml_end(&c->y);
    render_yaml_end(&c->y);
    return render_doc_end(c);
}

static int ambient_docs(struct render_ctx *c)
{
    if (peer_authentication(c) < 0) return -1;
    if (!c->o->waypoint) return 0;
    render_doc_begin(c, "gateway.networking.k8s.io/v1", "Gateway", WAYPOINT, true,
                     (const char *const[]){"istio.io/waypoint-for", "service", NULL});
    render_yaml_map(&c->y, "spec");
    render_yaml_str(&c->y, "gatewayClassName", "istio-waypoint");
    render_yaml_seq(&c->y, "listeners");
    render_yaml_map(&c->y, NULL);
    render_yaml_str(&c->y, "name", "mesh");
    render_yaml_int(&c->y, "port", 15008);
    render_yaml_str(&c->y, "protocol", "HBONE");
    render_yaml_end(&c->y);
    render_yaml_end(&c->y);
    render_yaml_end(&c->y);
    return render_doc_end(c);
}

const struct render_flavour render_istio_flavour = {
    .name = "istio",
    .crds = crds,
    .ncrds = sizeof crds / sizeof crds[0],
    .ns_labels = sidecar_labels,
    .mesh_docs = peer_authentication,
};

const struct render_flavour render_istio_ambient_flavour = {
    .name = "istio-ambient",
    .crds = crds,
    .ncrds = sizeof crds / sizeof crds[0],
    .ns_labels = ambient_labels,
    .mesh_docs = ambient_docs,
};
