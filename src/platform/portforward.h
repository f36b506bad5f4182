/* portforward.h: `kubectl port-forward`s kept up for the Kubernetes
 * platform (platform_kubernetes.c): the load generator's Service and a
 * Prometheus Service, each on a loopback port of its own.
 *
 * Each forward is a base/child (platform/kubectl.h's kubectl_spawn),
 * ready once its local port accepts a connection. Once supervised, a
 * thread watches their pidfds and restarts one that ends, on the same
 * port (so URLs handed out stay valid), trying PORTFORWARD_RETRIES times
 * per drop with a short back-off; portforward_health waits (bounded) for a
 * restart in progress and fails once one gave up.
 *
 * Threading: add and supervise from the thread that owns the platform
 * (the forwards it starts die with it: PR_SET_PDEATHSIG); health from any
 * one thread; stop and free from the owner. */
#ifndef MESHPERF_PORTFORWARD_H
#define MESHPERF_PORTFORWARD_H

#include <stdatomic.h>
#include <stddef.h>

#include "base/mono.h"

struct kubectl;
struct portforward;

#define PORTFORWARD_MAX      4
#define PORTFORWARD_RETRIES  5
#define PORTFORWARD_READY_US (30 * MONO_US_PER_SEC)

/* An empty set using kc (borrowed until free); each forward's output is
 * appended to log_path (copied; NULL: /dev/null). NULL on no memory. */
struct portforward *portforward_new(const struct kubectl *kc, const char *log_path);

/* Forward svc/<svc> of namespace ns, port remote, to a free loopback port
 * and wait until that port accepts (PORTFORWARD_READY_US; cancel may be
 * NULL). The local port (> 0), or -1 with one line in err ("kubectl
 * port-forward svc/x -n ns: exited with status 1 before listening; last
 * output: ..."). Not after portforward_supervise. */
int portforward_add(struct portforward *f, const char *ns, const char *svc, int remote,
                    const atomic_int *cancel, char *err, size_t errlen);

/* Start the supervisor thread. 0, or -1 with one line in err. */
int portforward_supervise(struct portforward *f, char *err, size_t errlen);

/* 0 when every forward is up, waiting up to PORTFORWARD_READY_US + 5 s for
 * a restart in progress (a non-zero *cancel ends the wait); else -1 with
 * one line in err naming the forward and how it ended. note (notelen > 0)
 * gets what happened since the last call, or "" ("port-forward svc/fortio
 * (namespace x) exited with status 1; restarted (1 of 5)"). */
int portforward_health(struct portforward *f, const atomic_int *cancel, char *note, size_t notelen,
                       char *err, size_t errlen);

/* Stop the supervisor, then every forward (bounded: TERM, then KILL).
 * Idempotent. */
void portforward_stop(struct portforward *f);

/* Stop and free. NULL is fine. */
void portforward_free(struct portforward *f);

#endif
