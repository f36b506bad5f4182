/* platform_kubernetes.h: the Kubernetes backend (platform_kubernetes.c):
 * the config's graph rendered for a mesh flavour (platform/render.h),
 * applied with the user's kubectl, waited for, its load generator (and a
 * Prometheus, when asked) port-forwarded to loopback, and everything it
 * created deleted by label in down(). Chosen through
 * platform_open("kubernetes"); the driver also uses the three calls below,
 * which only this backend answers. */
#ifndef MESHPERF_PLATFORM_KUBERNETES_H
#define MESHPERF_PLATFORM_KUBERNETES_H

#include "platform/platform.h"

/* A Kubernetes platform, not up yet. NULL only when out of memory. */
struct platform *platform_kubernetes_new(void);

/* Is p this backend? */
bool platform_is_kubernetes(const struct platform *p);

/* The checks made before anything is created: kubectl found, the cluster
 * answers (`kubectl version`), the mesh flavour known and its CRDs present
 * (`kubectl get crd NAME`). 0, or -1 with one line in err naming the fix
 * (a missing App Mesh controller: the helm install, docs/KUBERNETES.md).
 * Nothing is created; up() runs it when it was not run. Bounded in time;
 * o->cancel ends it ("interrupted"). */
int platform_kubernetes_preflight(struct platform *p, const struct platform_opts *o, char *err,
                                  size_t errlen);

/* After a successful up(): the base URL of the port-forwarded load
 * generator's Fortio REST API ("http://127.0.0.1:PORT/"), and of the
 * port-forwarded Prometheus ("http://127.0.0.1:PORT", NULL when
 * kube.prom_service was not given). Borrowed until free. NULL for another
 * backend. */
const char *platform_kubernetes_loadgen_url(const struct platform *p);
const char *platform_kubernetes_prom_url(const struct platform *p);

#endif
