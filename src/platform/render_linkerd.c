/* render_linkerd.c: the Linkerd flavour: the namespace annotated
 * linkerd.io/inject: enabled, so every pod gets linkerd-proxy. Linkerd
 * turns on mutual TLS between meshed pods by itself, with its own
 * certificates, so IsTLSEnabled / IsmTLSEnabled add nothing here. It
 * renders no custom resource, but a cluster without Linkerd would ignore
 * the annotation and a run would measure no mesh at all: its
 * ServiceProfile CRD (`linkerd install --crds`) is what the preflight
 * asks for. */
#include "platform/render_flavour.h"

static const char *const crds[] = {"serviceprofiles.linkerd.io"};

static void ns_annotations(struct render_ctx *c)
{
    render_yaml_str(&c->y, "linkerd.io/inject", "enabled");
}

const struct render_flavour render_linkerd_flavour = {
    .name = "linkerd",
    .ns_annotations = ns_annotations,
    .crds = crds,
    .ncrds = sizeof crds / sizeof crds[0],
};
