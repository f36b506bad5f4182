/* serve_rest_guard.h: what a REST run (/fortio/rest/run) on `meshperf
 * serve -rest` may do: the caps on runs, connections, requests and time,
 * and the targets it may reach (docs/SECURITY.md has the model).
 *
 * Targets. A run's URL is allowed when its host is
 *   - a name listed by name (the -backends / BACKENDS hosts, and names
 *     given to -rest-allow; "*.example" matches every name ending in
 *     ".example"): trusted with whatever it resolves to; or
 *   - an address, or a name all of whose addresses are, inside an allowed
 *     range: the addresses the -backends hosts resolved to at start-up, and
 *     the entries of -rest-allow: literals, CIDRs, and "loopback"
 *     (127.0.0.0/8 and ::1; 0.0.0.0 and :: are NOT loopback), which is the
 *     list when -rest-allow is not given.
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are judged as the IPv4
 * address they carry. Any numeric form getaddrinfo takes ("127.1",
 * "2130706433", "0x7f.1") is judged by the address it means, without DNS.
 * A URL whose path, once percent-decoded, lower-cased and with "." / ".."
 * / empty segments resolved, contains the segments "fortio", "rest" is
 * refused whatever its host: a run may not start runs.
 *
 * The guard is built at start-up and then only read (any thread). */
#ifndef MESHPERF_SERVE_REST_GUARD_H
#define MESHPERF_SERVE_REST_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/url.h"

/* The caps (the flags of the same names, docs/SECURITY.md). */
struct serve_rest_limits {
    int64_t max_runs;            /* -rest-max-runs: runs at once (over: 429) */
    int64_t max_connections;     /* -rest-max-connections: sum of c over the runs at once */
    int64_t max_run_connections; /* -rest-max-run-connections: c of one run */
    int64_t max_requests;        /* -rest-max-requests: qps x t, and n */
    int64_t max_duration_us;     /* -rest-max-duration: t (t=on runs this long), n/qps, timeout */
};

#define SERVE_REST_DEFAULT_MAX_RUNS     4
#define SERVE_REST_DEFAULT_MAX_CONNS    4096 /* and at most serve_rest_guard_fd_budget() */
#define SERVE_REST_DEFAULT_MAX_REQUESTS 100000000LL
#define SERVE_REST_DEFAULT_MAX_DURATION (3600 * 1000000LL)

struct serve_rest_guard;

/* Connections all REST runs together may hold: half the soft
 * RLIMIT_NOFILE (the other half is serve's: its clients, backend pools,
 * files), at least 1. *nofile (may be NULL) receives the limit. */
int64_t serve_rest_guard_fd_budget(int64_t *nofile);

/* A guard with limits lim (copied) that allows nothing yet (add
 * "loopback" with serve_rest_guard_allow). NULL on no memory. Free with
 * serve_rest_guard_free. */
struct serve_rest_guard *serve_rest_guard_new(const struct serve_rest_limits *lim);

/* Free. NULL is fine. */
void serve_rest_guard_free(struct serve_rest_guard *g);

/* The limits it was made with. */
const struct serve_rest_limits *serve_rest_guard_limits(const struct serve_rest_guard *g);

/* Allow the entries of list (comma-separated: "loopback", a name,
 * "*.suffix", an IPv4 or IPv6 address, or ADDR/BITS). 0, or -1 with err
 * naming the entry
 * ("flag -rest-allow: '10.0.0.0/33': prefix length must be 0..32"). */
int serve_rest_guard_allow(struct serve_rest_guard *g, const char *list, char *err, size_t errlen);

/* Allow one name (a backend's host), and, when sa is non-NULL, the one
 * address it resolved to. 0, or -1 on no memory. */
int serve_rest_guard_allow_host(struct serve_rest_guard *g, const char *name,
                                const struct sockaddr *sa);

/* True when path (a URL's path and query, as url_parse keeps it) leads to
 * a REST API path (see the top comment). */
bool serve_rest_guard_rest_path(const char *path);

/* Decide on u's host without DNS: 0 allowed (listed by name, or an
 * allowed address in any numeric form), 1 a name that must be resolved
 * (serve_rest_guard_resolve, off the event loop), or -1 refused with one
 * line in err naming the host and the flag that widens the list. */
int serve_rest_guard_target(const struct serve_rest_guard *g, const struct url *u, char *err,
                            size_t errlen);

/* Resolve u's host (blocking getaddrinfo) and check every address it
 * gave. 0 with the first address as a numeric host in pin (to connect to
 * exactly what was checked); with one line in err, -2 when an address is
 * not allowed (naming it), -1 when the name does not resolve. */
int serve_rest_guard_resolve(const struct serve_rest_guard *g, const struct url *u, char *pin,
                             size_t pinlen, char *err, size_t errlen);

#endif
