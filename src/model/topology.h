/* topology.h: the service graph of a config's backends_map.
 *
 * A node is every name that appears in backends_map, as a key or in a
 * backend list; an edge caller -> backend means "each request the caller
 * serves makes one request to that backend" (a name listed twice is called
 * twice). Built in two steps: add nodes and edges (any order, names are
 * copied), then topology_finish, which
 *   - numbers the nodes 0..n-1 in numeric-aware name order ("2" < "10" <
 *     "a"), so every index below is stable for a given set of names;
 *   - rejects a cycle, naming it ("cycle 0 -> 1 -> 0": a cycle would fan
 *     out forever);
 *   - computes each node's callers and depth, and a leaves-first start
 *     order (every node comes after all of its backends), so a driver can
 *     start backends before their callers.
 * After topology_finish the topology is read-only and may be shared between
 * threads. Nothing here parses JSON: config.c feeds it.
 *
 * Kubernetes names (as the original): Deployment/Service/VirtualNode
 * `node-<name>`, VirtualService `service-<name>`. Load-test URLs of the
 * cluster form `http://service-N.<namespace>.svc.cluster.local:9080/path`
 * resolve to node N (topology_resolve_url). */
#ifndef MESHPERF_TOPOLOGY_H
#define MESHPERF_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>

/* Caps checked by topology_add_node / topology_add_edge (a config that
 * asks for more is refused with an error, not allocated). */
#define TOPOLOGY_MAX_NODES 10000
#define TOPOLOGY_MAX_EDGES 100000
#define TOPOLOGY_NAME_MAX  50 /* so "node-<name>-<replica hash>" fits a DNS label */

struct topology;

/* A new, empty topology under construction. NULL on out of memory.
 * Free with topology_free. */
struct topology *topology_new(void);

/* Free everything. NULL is fine. */
void topology_free(struct topology *t);

/* Add node `name` (copied) if it is not there yet (a no-op for a known
 * name). Only before topology_finish. Returns 0, or -1 with one line in
 * err: "empty node name", "node name \"x y\": must be lower-case letters,
 * digits and '-' ...", "too many nodes (max 10000)", "out of memory". */
int topology_add_node(struct topology *t, const char *name, char *err, size_t errlen);

/* Add the edge caller -> backend, adding either node if new (same name
 * checks and errors as topology_add_node). A backend listed twice by the
 * same caller gives two edges (it is called twice). A self-edge is accepted
 * here and reported by topology_finish as "cycle 0 -> 0". Only before
 * topology_finish. 0 or -1 with one line in err. */
int topology_add_edge(struct topology *t, const char *caller, const char *backend, char *err,
                      size_t errlen);

/* Number the nodes, detect cycles, compute callers, depths and start order.
 * Returns 0, or -1 with one line in err:
 *   "no nodes"
 *   "cycle 0 -> 1 -> 0"  (the first cycle found by a depth-first walk that
 *                         starts from nodes in name order and follows each
 *                         node's backends in the order they were added)
 *   "out of memory"
 * After a failure the topology may only be freed. Call once. */
int topology_finish(struct topology *t, char *err, size_t errlen);

/* ---- queries, valid only after a successful topology_finish ---- */

/* Number of nodes. */
size_t topology_count(const struct topology *t);

/* Name of node i (0 <= i < count), as written in the config. Borrowed:
 * lives as long as t. */
const char *topology_name(const struct topology *t, size_t i);

/* Index of the node called `name` (exact match), or -1. */
long topology_find(const struct topology *t, const char *name);

/* The backends node i calls, in the order the config lists them
 * (duplicates kept). *n gets the count; the array is borrowed (NULL when
 * *n == 0). */
const size_t *topology_backends(const struct topology *t, size_t i, size_t *n);

/* The nodes that call node i, ascending, each once. Borrowed, as above. */
const size_t *topology_callers(const struct topology *t, size_t i, size_t *n);

/* Depth of node i: 0 for a leaf (no backends), else 1 + the largest depth
 * of its backends. */
size_t topology_depth(const struct topology *t, size_t i);

/* All node indexes, leaves first: by depth, then by index. Every node
 * comes after all of its backends. *n gets topology_count. Borrowed. */
const size_t *topology_start_order(const struct topology *t, size_t *n);

/* Nodes nobody calls (the entry points), ascending. Borrowed. */
const size_t *topology_roots(const struct topology *t, size_t *n);

/* Kubernetes-style names: "node-<name>" and "service-<name>". Write a
 * NUL-terminated string into out; return its length, or -1 if out is too
 * small (out then holds a truncated string when outlen > 0). */
int topology_node_label(const char *name, char *out, size_t outlen);
int topology_service_label(const char *name, char *out, size_t outlen);

/* Resolve a load-test URL to a node and a path.
 * The host (case-insensitive; port and scheme ignored) may be
 *   service-N[.anything]   e.g. service-0.tls-e2e.svc.cluster.local
 *   node-N[.anything]
 *   N[.anything]           the plain node name
 * where N is a node name; the prefixed forms are tried first, so with
 * nodes "1" and "node-1" the host "node-1" means node "1". An IPv4 or IPv6
 * literal never names a node. On success *node gets the index, path gets
 * the URL's path and query ("/" when absent; fragment dropped) and, if ns
 * is not NULL, ns gets the host's second label when the host has one
 * (the namespace in the cluster form; "" otherwise). Returns 0, or -1 with
 * one line in err:
 *   bad URL 'htp://x': scheme must be http or https   (from url.h)
 *   host "service-7.tls-e2e.svc.cluster.local" names no node of backends_map
 *   path too long
 * pathlen of URL_PATH_MAX + 1 (url.h) always suffices; nslen of 64. */
int topology_resolve_url(const struct topology *t, const char *url, size_t *node, char *path,
                         size_t pathlen, char *ns, size_t nslen, char *err, size_t errlen);

/* Quote s for a one-line message: "..." with '"' and '\\' escaped, control
 * characters and bytes >= 0x7f as \xNN, cut with "..." to fit. outlen >= 8
 * (else out gets ""); 128 is plenty. */
void topology_quote(const char *s, char *out, size_t outlen);

#endif
