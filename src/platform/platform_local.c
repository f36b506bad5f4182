/* platform_local.c: the local platform: every node of the topology is
 * `replicas` processes of `<serve_bin> serve -port 0 -listen 127.0.0.1` on
 * loopback.
 *
 * How: nodes start leaves first (topology_start_order), so when a node
 * starts, its backends' replica addresses are known and are given to it as
 * `-backends node-B=http://127.0.0.1:P1|http://127.0.0.1:P2,...`. Each
 * child's stdout is a pipe; its line "listening on 127.0.0.1:PORT" (lines
 * before it go to its log) gives the port (bounded wait, also when the
 * child closes its stdout and lives on). Then every replica must answer GET
 * /health 200 (bounded poll). Children run in one process group (the first
 * child's), with PR_SET_PDEATHSIG(SIGKILL) so that they die with the driver
 * even when it is SIGKILLed. A supervisor thread polls each child's pidfd
 * (and copies its later stdout to its log): a child that ends while up is
 * reaped there and reported to opts->on_exit. down() stops the supervisor,
 * sends SIGTERM to each live child and to the group, waits up to 3 s, then
 * SIGKILLs what is left and reaps everything.
 *
 * Forking, groups, the death signal and bounded stopping are base/child.c's:
 * every child is one struct child. Call up() and down() from the thread
 * that lives for the whole run (PDEATHSIG fires when the forking thread
 * ends, not the process).
 *
 * Pods are named as a Deployment's (platform_pod_name): the template hash
 * comes from the node's name, its backends and the sidecar.
 *
 * Sidecars (opts->local.sidecar, platform/sidecar.h): each replica gets one
 * more child, its proxy, listed as container <proxy> with the replica's
 * address pointing at its inbound listener. Per replica, before the app
 * starts, loopback ports are reserved for the proxy (inbound, metrics, one
 * egress per distinct backend service) by binding sockets that stay bound,
 * so no other bind(0) here takes them; the app is started with -backends
 * pointing at its own proxy's egress ports; once the app listens, the
 * proxy's config is written under a temp dir of the platform
 * ($TMPDIR/meshperf-sidecar.XXXXXX/<pod>/), the reserved sockets are
 * closed and the proxy is started (foreground, same process group, its
 * stderr to <log_dir>/<pod>.<proxy>.log). Backends start first, so a
 * proxy's egress upstreams (its backends' inbound listeners) are known.
 * Readiness goes through the proxy (GET /health on the inbound port
 * reaches the app). A proxy is supervised, reported and stopped like an
 * app; the temp dir goes at down(). The binary is looked up before
 * anything starts (sidecar_locate: a missing one is one line naming the
 * Debian package). opts->local.sidecar_mode moves the proxy aside:
 * "serveronly" reserves no egress ports and gives the app its backends'
 * inbound addresses; "clientonly" writes no inbound listener and leaves the
 * replica's address at the app (readiness then also asks the proxy's
 * metrics listener for /health).
 *
 * TLS (opts->tls, opts->mtls): before anything starts, platform/pki.h
 * makes a CA, one certificate per node (with IP 127.0.0.1) and a client
 * one; they are written into a private directory of the platform
 * ($TMPDIR/meshperf-pki.XXXXXX, 0700, keys 0600, plus node-X.pem: cert and
 * key in one file for proxies that want that), which down() removes; the
 * keys never go anywhere else. With a sidecar, its inbound listener serves
 * TLS and its egress upstreams are called over TLS (sidecar.h; only with
 * sidecar_mode both); without one, each app serves TLS itself (-tls-cert,
 * -tls-key, -tls-client-ca with mTLS) and calls its backends at https://
 * verifying them against the CA (-tls-ca; -tls-client-cert/-key with mTLS).
 * Readiness and resolve() use https then; platform_tls() hands the CA (and
 * the client certificate with mTLS) to the driver. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/child.h"
#include "base/errbuf.h"
#include "base/mono.h"
#include "metrics/cgroup.h"
#include "net/sock.h"
#include "net/url.h"
#include "platform/pki.h"
#include "platform/platform_local.h"
#include "platform/sidecar.h"

#define LOCAL_TERM_WAIT_US (3 * MONO_US_PER_SEC)
#define LOCAL_BACKENDS_MAX (1u << 20)

/* Where the sidecar sits (platform_local_opts.sidecar_mode). */
enum local_mode { LOCAL_MODE_BOTH, LOCAL_MODE_SERVERONLY, LOCAL_MODE_CLIENTONLY };
static const char *const local_mode_names[] = {"both", "serveronly", "clientonly"};

/* One child: a replica's app (ctr 0) or its sidecar (ctr 1). */
struct local_proc {
    struct platform_replica *r; /* into local.reps */
    size_t node;
    size_t ctr;       /* its index in r->containers */
    struct child *ch; /* NULL until started */
    bool reaped;      /* guarded by local.mu once the supervisor runs */
    char how[CHILD_HOW_MAX];
    /* a sidecar's reserved ports (bound sockets until it starts):
     * [0] inbound, [1] metrics, [2 + k] egress to distinct backend k */
    int *ports, *fds;
    size_t nports;
};

struct local {
    struct platform base;
    const struct topology *t;
    struct platform_opts o;
    struct local_proc *procs;      /* apps at node * replicas + replica, then
                                    * their sidecars at nreps + the same */
    struct platform_replica *reps; /* node * replicas + replica: what replicas() hands out */
    size_t nprocs, nreps;
    const struct sidecar *sc; /* NULL: none */
    char sc_bin[PATH_MAX];
    char sc_dir[PATH_MAX]; /* "" until made */
    pid_t pgid;            /* the first child's: every child joins it */
    pthread_mutex_t mu;
    pthread_t sup;
    bool sup_running;
    int stop_fd;
    bool dead; /* a replica died while up (under mu) */
    char dead_msg[ERRBUF_LEN];
    bool downed;
    struct cgroup_tree *cg;     /* one cgroup per container; NULL: measured from /proc */
    enum local_mode mode;       /* with a sidecar */
    bool tls;                   /* replicas serve TLS (o.tls or o.mtls) */
    char pki_dir[PATH_MAX / 2]; /* the certificates, private; "" until made */
    char ca_path[PATH_MAX], client_cert[PATH_MAX], client_key[PATH_MAX];
    struct platform_tls tls_files; /* what platform_tls() hands out */
};

static struct local *local_of(struct platform *p)
{
    return (struct local *)p;
}

/* "node 3 (pod node-3-<hash>-<suffix>" and, for a sidecar,
 * ", container haproxy": the start of a message about pr (no ')'). */
static void local_who(const struct local *l, const struct local_proc *pr, char *out, size_t outlen)
{
    snprintf(out, outlen, "node %s (pod %s%s%s", topology_name(l->t, pr->node), pr->r->pod,
             pr->ctr ? ", container " : "", pr->ctr ? pr->r->containers[pr->ctr].name : "");
}

/* The last non-empty line of the child's log, for error messages. */
static void local_last_log_line(const struct local_proc *pr, char *out, size_t outlen)
{
    child_last_log_line(pr->ch, out, outlen);
    /* a node that could not bind port 0: the ephemeral ports ran out */
    size_t n = strlen(out);
    if ((strstr(out, "Address already in use") || strstr(out, "Cannot assign requested address")) &&
        n + 1 < outlen)
        snprintf(out + n, outlen - n,
                 " (no local port left: the ephemeral ports of net.ipv4.ip_local_port_range "
                 "are all in use)");
}

/* Build "node-B=http://a|http://b,..." for node i's backends (https://
 * when the replicas serve TLS). */
static int local_backends_arg(struct local *l, size_t i, struct buf *b)
{
    size_t nb;
    const size_t *bk = topology_backends(l->t, i, &nb);
    for (size_t k = 0; k < nb; k++) {
        char label[TOPOLOGY_NAME_MAX + 16];
        topology_node_label(topology_name(l->t, bk[k]), label, sizeof label);
        if (buf_printf(b, "%s%s=", k ? "," : "", label) < 0) return -1;
        for (int r = 0; r < l->o.replicas; r++) {
            const struct local_proc *pr = &l->procs[bk[k] * (size_t)l->o.replicas + (size_t)r];
            if (buf_printf(b, "%s%s://%s", r ? "|" : "", l->tls ? "https" : "http", pr->r->addr) <
                0)
                return -1;
        }
    }
    return 0;
}

/* "listening on HOST:PORT" -> PORT, or 0. */
static int local_listening_port(const char *line)
{
    const char *p = strstr(line, "listening on ");
    const char *colon = p ? strrchr(p, ':') : NULL;
    int port = colon ? atoi(colon + 1) : 0;
    return port > 0 && port <= 65535 ? port : 0;
}

/* Wait (bounded) for the child's "listening on HOST:PORT" line. */
static int local_read_listening(struct local *l, struct local_proc *pr, char *err, size_t errlen)
{
    int64_t timeout =
        l->o.local.start_timeout_us > 0 ? l->o.local.start_timeout_us : 10 * MONO_US_PER_SEC;
    mono_us deadline = mono_now() + timeout;
    char line[512];
    int rc;
    int port = 0;
    /* lines that say "listening on " but carry no valid port are skipped */
    while ((rc = child_read_line(pr->ch, "listening on ", line, sizeof line, deadline,
                                 l->o.cancel)) == CHILD_LINE_OK &&
           !(port = local_listening_port(line))) {
    }
    if (rc == CHILD_LINE_OK) {
        struct platform_container *app = &pr->r->containers[0];
        snprintf(pr->r->addr, sizeof pr->r->addr, "127.0.0.1:%d", port);
        snprintf(app->addr, sizeof app->addr, "%s", pr->r->addr);
        snprintf(app->metrics_addr, sizeof app->metrics_addr, "%s", pr->r->addr);
        app->metrics_tls = l->tls && !l->sc; /* with a sidecar the app stays plain */
        return 0;
    }
    if (rc == CHILD_LINE_CANCELLED) return errbuf_set(err, errlen, "interrupted");
    char last[256];
    if (rc == CHILD_LINE_EOF) {
        /* The child is gone, or closed stdout and may live on: wait for it
         * until the start deadline (never unbounded); one still running
         * then is killed by down(). */
        if (child_wait(pr->ch, deadline, l->o.cancel) == 0) {
            pr->reaped = true;
            snprintf(pr->how, sizeof pr->how, "%s", child_how(pr->ch));
        } else {
            snprintf(pr->how, sizeof pr->how, "closed its stdout");
        }
        local_last_log_line(pr, last, sizeof last);
        return errbuf_set(err, errlen, "node %s (pod %s): %s before listening%s%s",
                          topology_name(l->t, pr->node), pr->r->pod, pr->how,
                          last[0] ? "; last output: " : "", last);
    }
    local_last_log_line(pr, last, sizeof last);
    return errbuf_set(err, errlen, "node %s (pod %s): no \"listening on\" line within %.1fs%s%s",
                      topology_name(l->t, pr->node), pr->r->pod, (double)timeout / 1e6,
                      last[0] ? "; last output: " : "", last);
}

/* cgroups (metrics/cgroup.h): the tree is opened in up(), removed in down()
 * after every child is reaped; each container's child joins its group
 * through co->cgroup_procs_fds. A failure is a note, never an error: the
 * container is then measured from /proc. */
static void local_cgroup_open(struct local *l)
{
    char note[ERRBUF_LEN], line[ERRBUF_LEN + 64];
    l->cg = cgroup_tree_open(note, sizeof note);
    if (l->cg)
        snprintf(line, sizeof line, "memory and CPU: one cgroup per container (cgroup %s)",
                 cgroup_tree_describe(l->cg));
    else
        snprintf(line, sizeof line, "note: %s; memory and CPU from /proc", note);
    if (l->o.on_note) l->o.on_note(l->o.on_note_arg, line);
}

/* Open container's group for co (fds: CGROUP_FDS_MAX; close them after
 * child_start with local_cgroup_close). */
static void local_cgroup_join(struct local *l, const char *pod, const char *container,
                              struct child_opts *co, int *fds, size_t *nfds)
{
    char e[ERRBUF_LEN], line[2 * ERRBUF_LEN];
    *nfds = 0;
    if (l->cg && cgroup_tree_add(l->cg, pod, container, fds, nfds, e, sizeof e) < 0) {
        snprintf(line, sizeof line, "note: %s; pod %s container %s measured from /proc", e, pod,
                 container);
        if (l->o.on_note) l->o.on_note(l->o.on_note_arg, line);
    }
    co->cgroup_procs_fds = fds;
    co->ncgroup_procs_fds = *nfds;
}

static void local_cgroup_close(int *fds, size_t nfds)
{
    for (size_t i = 0; i < nfds; i++)
        close(fds[i]);
}

/* The path of node's certificate file "<pki_dir>/node-<name>.<ext>"
 * (ext "crt", "key" or "pem"; out has PATH_MAX bytes, pki_dir half). */
static void local_pki_file(const struct local *l, size_t node, const char *ext,
                           char out[static PATH_MAX])
{
    char label[TOPOLOGY_NAME_MAX + 16];
    topology_node_label(topology_name(l->t, node), label, sizeof label);
    if (snprintf(out, PATH_MAX, "%s/%s.%s", l->pki_dir, label, ext) >= PATH_MAX) out[0] = '\0';
}

/* Start one replica's app container. 0 or -1 with err. */
static int local_spawn(struct local *l, struct local_proc *pr, const char *backends, char *err,
                       size_t errlen)
{
    char env_pod[sizeof pr->r->pod + 16], env_drv[48];
    snprintf(env_pod, sizeof env_pod, "MESHPERF_POD=%s", pr->r->pod);
    snprintf(env_drv, sizeof env_drv, "MESHPERF_DRIVER_PID=%ld", (long)getpid());
    const char *env_add[] = {env_pod, "MESHPERF_CONTAINER=" PLATFORM_CONTAINER_APP, env_drv, NULL};
    char *argv[28];
    int a = 0;
    argv[a++] = (char *)l->o.local.serve_bin;
    argv[a++] = "serve";
    argv[a++] = "-port";
    argv[a++] = "0";
    argv[a++] = "-listen";
    argv[a++] = "127.0.0.1";
    argv[a++] = "-name";
    argv[a++] = pr->r->pod;
    if (backends && backends[0]) {
        argv[a++] = "-backends";
        argv[a++] = (char *)backends;
    }
    char crt[PATH_MAX], key[PATH_MAX];
    if (l->tls && !l->sc) { /* the app serves and calls TLS itself */
        local_pki_file(l, pr->node, "crt", crt);
        local_pki_file(l, pr->node, "key", key);
        argv[a++] = "-tls-cert";
        argv[a++] = crt;
        argv[a++] = "-tls-key";
        argv[a++] = key;
        argv[a++] = "-tls-ca";
        argv[a++] = l->ca_path;
        if (l->o.mtls) {
            argv[a++] = "-tls-client-ca";
            argv[a++] = l->ca_path;
            argv[a++] = "-tls-client-cert";
            argv[a++] = crt;
            argv[a++] = "-tls-client-key";
            argv[a++] = key;
        }
    }
    argv[a] = NULL;
    char path[4096];
    if (l->o.local.log_dir)
        snprintf(path, sizeof path, "%s/%s.log", l->o.local.log_dir, pr->r->pod);
    struct child_opts co = {
        .argv = argv,
        .env_add = env_add,
        .log_path = l->o.local.log_dir ? path : NULL,
        .pipe_stdout = true,
        .pgid = l->pgid,
    };
    char e[ERRBUF_LEN];
    int cgfds[CGROUP_FDS_MAX];
    size_t ncg;
    local_cgroup_join(l, pr->r->pod, PLATFORM_CONTAINER_APP, &co, cgfds, &ncg);
    pr->ch = child_start(&co, e, sizeof e);
    local_cgroup_close(cgfds, ncg);
    if (!pr->ch) return errbuf_set(err, errlen, "pod %s: %s", pr->r->pod, e);
    if (!l->pgid) l->pgid = child_pgid(pr->ch);
    struct platform_container *app = &pr->r->containers[0];
    app->pid = child_pid(pr->ch);
    return 0;
}

static size_t local_discard(char *p, size_t sz, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return sz * n;
}

/* One GET http://addr/health (https:// with tls, verified against the
 * run's CA, presenting the client certificate with mTLS); 1 when it
 * answered 200. */
static int local_health_ok(const struct local *l, const char *addr, bool tls)
{
    CURL *c = curl_easy_init();
    if (!c) return 0;
    char url[128];
    snprintf(url, sizeof url, "%s://%s/health", tls ? "https" : "http", addr);
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (tls) {
        curl_easy_setopt(c, CURLOPT_CAINFO, l->tls_files.ca_file);
        if (l->tls_files.cert_file) {
            curl_easy_setopt(c, CURLOPT_SSLCERT, l->tls_files.cert_file);
            curl_easy_setopt(c, CURLOPT_SSLKEY, l->tls_files.key_file);
        }
    }
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, local_discard);
    long code = 0;
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    return rc == CURLE_OK && code == 200;
}

/* Before the supervisor runs: reap a child that ended; -1 with err if so. */
static int local_check_exited(struct local *l, struct local_proc *pr, char *err, size_t errlen)
{
    char who[TOPOLOGY_NAME_MAX + 160];
    local_who(l, pr, who, sizeof who);
    if (pr->reaped) return errbuf_set(err, errlen, "%s): %s", who, pr->how);
    if (child_poll(pr->ch)) return 0;
    pr->reaped = true;
    snprintf(pr->how, sizeof pr->how, "%s", child_how(pr->ch));
    char last[256];
    local_last_log_line(pr, last, sizeof last);
    return errbuf_set(err, errlen, "%s): %s%s%s", who, pr->how, last[0] ? "; last output: " : "",
                      last);
}

/* ---- sidecars ---- */

/* Bind a TCP socket to 127.0.0.1:0 and keep it: the port stays ours until
 * the socket is closed. 0 or -1 with err. */
static int local_reserve_port(int *fd, int *port, char *err, size_t errlen)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return errbuf_set(err, errlen, "socket: %s", strerror(errno));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int p = -1;
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || (p = sock_local_port(s)) <= 0) {
        int e = p < 0 ? -p : errno;
        close(s);
        return errbuf_set(err, errlen, "no loopback port for a sidecar: %s%s", strerror(e),
                          e == EADDRINUSE || e == EADDRNOTAVAIL
                              ? " (the ephemeral ports of net.ipv4.ip_local_port_range are all in "
                                "use)"
                              : "");
    }
    *fd = s;
    *port = p;
    return 0;
}

/* Node i's distinct backends, in config order, into out (room for all of
 * its backends); their count. */
static size_t local_distinct_backends(const struct topology *t, size_t i, size_t *out)
{
    size_t nb, n = 0;
    const size_t *bk = topology_backends(t, i, &nb);
    for (size_t k = 0; k < nb; k++) {
        size_t j = 0;
        while (j < n && out[j] != bk[k])
            j++;
        if (j == n) out[n++] = bk[k];
    }
    return n;
}

/* Reserve sidecar sp's ports: inbound, metrics, one per distinct backend
 * (none in serveronly mode). 0 or -1 with err. */
static int local_sidecar_reserve(struct local *l, struct local_proc *sp, char *err, size_t errlen)
{
    size_t nb;
    topology_backends(l->t, sp->node, &nb);
    size_t *d = malloc((nb ? nb : 1) * sizeof *d);
    if (!d) return errbuf_set(err, errlen, "out of memory");
    size_t nd = local_distinct_backends(l->t, sp->node, d);
    free(d);
    if (l->mode == LOCAL_MODE_SERVERONLY) nd = 0; /* calls skip the sidecar */
    sp->nports = 2 + nd;
    sp->ports = calloc(sp->nports, sizeof *sp->ports);
    sp->fds = malloc(sp->nports * sizeof *sp->fds);
    if (!sp->ports || !sp->fds) return errbuf_set(err, errlen, "out of memory");
    for (size_t k = 0; k < sp->nports; k++)
        sp->fds[k] = -1;
    for (size_t k = 0; k < sp->nports; k++)
        if (local_reserve_port(&sp->fds[k], &sp->ports[k], err, errlen) < 0) return -1;
    return 0;
}

static void local_release_ports(struct local_proc *sp)
{
    for (size_t k = 0; sp->fds && k < sp->nports; k++) {
        if (sp->fds[k] >= 0) close(sp->fds[k]);
        sp->fds[k] = -1;
    }
}

/* Build "node-B=http://127.0.0.1:<egress port of B>,..." for the app of
 * sidecar sp (a backend listed twice is called twice, through one port). */
static int local_backends_via(struct local *l, const struct local_proc *sp, struct buf *b)
{
    size_t nb;
    const size_t *bk = topology_backends(l->t, sp->node, &nb);
    size_t *d = malloc((nb ? nb : 1) * sizeof *d);
    if (!d) return -1;
    size_t nd = local_distinct_backends(l->t, sp->node, d);
    int rc = 0;
    for (size_t k = 0; k < nb && rc == 0; k++) {
        size_t j = 0;
        while (j < nd && d[j] != bk[k])
            j++;
        char label[TOPOLOGY_NAME_MAX + 16];
        topology_node_label(topology_name(l->t, bk[k]), label, sizeof label);
        rc = buf_printf(b, "%s%s=http://127.0.0.1:%d", k ? "," : "", label, sp->ports[2 + j]);
    }
    free(d);
    return rc;
}

/* Write sidecar sp's config, release its ports and start it; the replica's
 * address becomes its inbound listener. 0 or -1 with err. */
static int local_sidecar_start(struct local *l, struct local_proc *sp, char *err, size_t errlen)
{
    struct platform_replica *r = sp->r;
    char dir[PATH_MAX];
    int w = snprintf(dir, sizeof dir, "%s/%s", l->sc_dir, r->pod);
    if (w < 0 || (size_t)w + 64 >= sizeof dir)
        return errbuf_set(err, errlen, "pod %s: temp dir path too long", r->pod);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return errbuf_set(err, errlen, "pod %s: %s: %s", r->pod, dir, strerror(errno));
    size_t nd = sp->nports - 2, reps = (size_t)l->o.replicas;
    size_t *d = malloc((nd ? nd : 1) * sizeof *d);
    struct sidecar_egress *eg = calloc(nd ? nd : 1, sizeof *eg);
    const char **ups = calloc(nd * reps + 1, sizeof *ups);
    char(*labels)[TOPOLOGY_NAME_MAX + 16] = calloc(nd ? nd : 1, sizeof *labels);
    int rc = 0;
    if (!d || !eg || !ups || !labels) {
        rc = errbuf_set(err, errlen, "out of memory");
        goto out;
    }
    local_distinct_backends(l->t, sp->node, d);
    for (size_t j = 0; j < nd; j++) {
        topology_node_label(topology_name(l->t, d[j]), labels[j], sizeof labels[j]);
        for (size_t q = 0; q < reps; q++)
            ups[j * reps + q] = l->reps[d[j] * reps + q].addr;
        eg[j] = (struct sidecar_egress){labels[j], sp->ports[2 + j], &ups[j * reps], reps};
    }
    char app_addr[64], crt[PATH_MAX], key[PATH_MAX], pem[PATH_MAX];
    snprintf(app_addr, sizeof app_addr, "%s", r->containers[0].addr);
    bool inbound = l->mode != LOCAL_MODE_CLIENTONLY;
    struct sidecar_ctx ctx = {
        .pod = r->pod,
        .bin = l->sc_bin,
        .app_addr = app_addr,
        .listen_port = inbound ? sp->ports[0] : 0,
        .metrics_port = l->sc->metrics_path ? sp->ports[1] : 0,
        .dir = dir,
        .egress = eg,
        .negress = nd,
    };
    if (l->tls) {
        local_pki_file(l, sp->node, "crt", crt);
        local_pki_file(l, sp->node, "key", key);
        local_pki_file(l, sp->node, "pem", pem);
        ctx.cert_path = crt;
        ctx.key_path = key;
        ctx.pem_path = pem;
        ctx.ca_path = l->ca_path;
        ctx.mtls = l->o.mtls;
    }
    char *argv[16], argbuf[2 * PATH_MAX + 64], e[ERRBUF_LEN];
    if (l->sc->write_config && l->sc->write_config(&ctx, e, sizeof e) < 0) {
        rc = errbuf_set(err, errlen, "pod %s: sidecar %s: %s", r->pod, l->sc->name, e);
        goto out;
    }
    if (l->sc->argv(&ctx, argv, sizeof argv / sizeof argv[0], argbuf, sizeof argbuf, e, sizeof e) <
        0) {
        rc = errbuf_set(err, errlen, "pod %s: %s", r->pod, e);
        goto out;
    }
    char env_pod[sizeof r->pod + 16], env_ctr[64], env_drv[48], path[PATH_MAX];
    snprintf(env_pod, sizeof env_pod, "MESHPERF_POD=%s", r->pod);
    snprintf(env_ctr, sizeof env_ctr, "MESHPERF_CONTAINER=%s", l->sc->name);
    snprintf(env_drv, sizeof env_drv, "MESHPERF_DRIVER_PID=%ld", (long)getpid());
    const char *env_add[] = {env_pod, env_ctr, env_drv, NULL};
    if (l->o.local.log_dir)
        snprintf(path, sizeof path, "%s/%s.%s.log", l->o.local.log_dir, r->pod, l->sc->name);
    struct child_opts co = {
        .argv = argv,
        .env_add = env_add,
        .log_path = l->o.local.log_dir ? path : NULL,
        .pgid = l->pgid,
    };
    int cgfds[CGROUP_FDS_MAX];
    size_t ncg;
    local_cgroup_join(l, r->pod, l->sc->name, &co, cgfds, &ncg);
    local_release_ports(sp); /* the proxy binds them now */
    sp->ch = child_start(&co, e, sizeof e);
    local_cgroup_close(cgfds, ncg);
    if (!sp->ch) {
        rc = errbuf_set(err, errlen, "pod %s: sidecar %s: %s", r->pod, l->sc->name, e);
        goto out;
    }
    struct platform_container *c = &r->containers[sp->ctr];
    snprintf(c->name, sizeof c->name, "%s", l->sc->name);
    c->pid = child_pid(sp->ch);
    if (inbound) snprintf(c->addr, sizeof c->addr, "127.0.0.1:%d", sp->ports[0]);
    if (l->sc->metrics_path)
        snprintf(c->metrics_addr, sizeof c->metrics_addr, "127.0.0.1:%d", sp->ports[1]);
    r->ncontainers = sp->ctr + 1;
    if (inbound) snprintf(r->addr, sizeof r->addr, "%s", c->addr);
out:
    free(d);
    free(eg);
    free(ups);
    free(labels);
    return rc;
}

static int local_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void *local_supervise(void *arg)
{
    struct local *l = arg;
    size_t n = l->nprocs;
    struct pollfd *pfds = calloc(2 * n + 1, sizeof *pfds);
    struct local_proc **who = calloc(2 * n + 1, sizeof *who);
    if (!pfds || !who) {
        free(pfds);
        free(who);
        return NULL;
    }
    for (;;) {
        size_t k = 0;
        pfds[k++] = (struct pollfd){.fd = l->stop_fd, .events = POLLIN};
        bool need_timer = false;
        for (size_t i = 0; i < n; i++) {
            struct local_proc *pr = &l->procs[i];
            if (!pr->ch) continue;
            int pidfd = child_pidfd(pr->ch), out_fd = child_stdout_fd(pr->ch);
            if (!pr->reaped && pidfd >= 0) {
                who[k] = pr;
                pfds[k++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
            } else if (!pr->reaped) {
                need_timer = true;
            }
            if (out_fd >= 0) {
                who[k] = pr;
                pfds[k++] = (struct pollfd){.fd = out_fd, .events = POLLIN};
            }
        }
        int rc = poll(pfds, k, need_timer ? 200 : -1);
        if (rc < 0 && errno != EINTR) break;
        if (pfds[0].revents) break;
        for (size_t j = 1; j < k; j++) {
            struct local_proc *pr = who[j];
            if (pfds[j].revents && pfds[j].fd == child_stdout_fd(pr->ch)) child_pump(pr->ch);
        }
        for (size_t i = 0; i < n; i++) {
            struct local_proc *pr = &l->procs[i];
            if (!pr->ch || pr->reaped || child_poll(pr->ch)) continue;
            char how[CHILD_HOW_MAX];
            snprintf(how, sizeof how, "%s", child_how(pr->ch));
            pthread_mutex_lock(&l->mu);
            pr->reaped = true;
            snprintf(pr->how, sizeof pr->how, "%s", how);
            if (!l->dead) {
                char desc[TOPOLOGY_NAME_MAX + 160];
                local_who(l, pr, desc, sizeof desc);
                l->dead = true;
                snprintf(l->dead_msg, sizeof l->dead_msg, "%s, pid %ld) %s", desc,
                         (long)pr->r->containers[pr->ctr].pid, how);
            }
            pthread_mutex_unlock(&l->mu);
            if (pr->ctr) { /* the driver names the app's pid: say which container */
                char ctr_how[CHILD_HOW_MAX + 64];
                snprintf(ctr_how, sizeof ctr_how, "container %s (pid %ld) %s",
                         pr->r->containers[pr->ctr].name, (long)pr->r->containers[pr->ctr].pid,
                         how);
                if (l->o.on_exit) l->o.on_exit(l->o.on_exit_arg, pr->node, pr->r, ctr_how);
            } else if (l->o.on_exit) {
                l->o.on_exit(l->o.on_exit_arg, pr->node, pr->r, how);
            }
        }
    }
    free(pfds);
    free(who);
    return NULL;
}

/* Name every replica's pod: the template hash covers the node's name,
 * its backends and the sidecar. 0 or -1 with err. */
static int local_name_pods(struct local *l, char *err, size_t errlen)
{
    struct buf b;
    buf_init(&b, LOCAL_BACKENDS_MAX);
    int rc = 0;
    for (size_t i = 0; i < l->nreps && rc == 0; i++) {
        struct platform_replica *r = &l->reps[i];
        size_t node = i / (size_t)l->o.replicas, nb;
        const size_t *bk = topology_backends(l->t, node, &nb);
        char label[TOPOLOGY_NAME_MAX + 16];
        topology_node_label(topology_name(l->t, node), label, sizeof label);
        buf_reset(&b);
        rc = buf_printf(&b, "meshperf-serve %s sidecar=%s%s%s backends=", label,
                        l->sc ? l->sc->name : "none", l->sc && l->mode ? " mode=" : "",
                        l->sc && l->mode ? local_mode_names[l->mode] : "");
        for (size_t k = 0; k < nb && rc == 0; k++)
            rc = buf_printf(&b, "%s%s", k ? "," : "", topology_name(l->t, bk[k]));
        if (rc == 0 &&
            platform_pod_name(label, b.data, i % (size_t)l->o.replicas, r->pod, sizeof r->pod) < 0)
            rc = -1;
        if (rc < 0) rc = errbuf_set(err, errlen, "node %s: pod name too long", label);
    }
    buf_free(&b);
    return rc;
}

/* The sidecar opts ask for, its binary and a temp dir for its configs. */
static int local_sidecar_open(struct local *l, const char *name, char *err, size_t errlen)
{
    char e[ERRBUF_LEN];
    const struct sidecar *sc = sidecar_find(name && name[0] ? name : "none", e, sizeof e);
    if (!sc) return errbuf_set(err, errlen, "platform local: %s", e);
    if (!sidecar_runs(sc)) return 0;
    if (sidecar_locate(sc, l->sc_bin, sizeof l->sc_bin, err, errlen) < 0) return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(l->sc_dir, sizeof l->sc_dir, "%s/meshperf-sidecar.XXXXXX",
             tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(l->sc_dir)) {
        int en = errno;
        char shown[PATH_MAX];
        snprintf(shown, sizeof shown, "%s", l->sc_dir);
        l->sc_dir[0] = '\0';
        return errbuf_set(err, errlen, "sidecar %s: cannot make %s: %s", sc->name, shown,
                          strerror(en));
    }
    l->sc = sc;
    return 0;
}

/* Start replica pr's app (and, with a sidecar, the sidecar sp after it).
 * plain: the app's -backends straight to the backends' replicas (no
 * sidecar, or serveronly). 0 or -1 with err. */
static int local_start_replica(struct local *l, struct local_proc *pr, struct local_proc *sp,
                               const char *plain, struct buf *b, char *err, size_t errlen)
{
    const char *backends = plain;
    if (sp) {
        if (local_sidecar_reserve(l, sp, err, errlen) < 0) return -1;
        buf_reset(b);
        if (l->mode != LOCAL_MODE_SERVERONLY && local_backends_via(l, sp, b) < 0)
            return errbuf_set(err, errlen, "node %s: backends list too long",
                              topology_name(l->t, pr->node));
        if (l->mode != LOCAL_MODE_SERVERONLY) backends = b->data;
    }
    if (local_spawn(l, pr, backends, err, errlen) < 0 ||
        local_read_listening(l, pr, err, errlen) < 0)
        return -1;
    return sp ? local_sidecar_start(l, sp, err, errlen) : 0;
}

/* The sidecar mode opts ask for (only with a sidecar), and whether TLS
 * fits it. 0 or -1 with err. */
static int local_mode_open(struct local *l, const struct platform_opts *o, char *err, size_t errlen)
{
    const char *m = o->local.sidecar_mode;
    l->mode = LOCAL_MODE_BOTH;
    if (!l->sc || !m || !m[0]) return 0;
    size_t k = 0;
    while (k < 3 && strcmp(m, local_mode_names[k]) != 0)
        k++;
    if (k == 3)
        return errbuf_set(err, errlen,
                          "platform local: sidecar mode \"%s\": want both, serveronly or "
                          "clientonly",
                          m);
    l->mode = (enum local_mode)k;
    if (l->tls && l->mode != LOCAL_MODE_BOTH)
        return errbuf_set(err, errlen, "TLS between sidecars needs sidecar_mode both (not %s)", m);
    return 0;
}

/* Write cert then key of pem into path, 0600, a new file. 0 or -1 with
 * err. */
static int local_write_pem(const char *path, const struct pki_pem *pem, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
    int e = 0;
    const char *parts[2] = {pem->cert, pem->key};
    for (int i = 0; i < 2 && !e; i++) {
        size_t len = strlen(parts[i]);
        for (size_t off = 0; !e && off < len;) {
            ssize_t w = write(fd, parts[i] + off, len - off);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) e = w < 0 ? errno : EIO;
            if (w > 0) off += (size_t)w;
        }
    }
    if (close(fd) < 0 && !e) e = errno;
    return e ? errbuf_set(err, errlen, "%s: %s", path, strerror(e)) : 0;
}

/* The run's certificates (o->tls or o->mtls) into a private temp dir:
 * pki_write_dir's files plus node-X.pem per node. 0 or -1 with err. */
static int local_pki_open(struct local *l, char *err, size_t errlen)
{
    size_t nn = topology_count(l->t);
    const char **names = calloc(nn ? nn : 1, sizeof *names);
    if (!names) return errbuf_set(err, errlen, "out of memory");
    for (size_t i = 0; i < nn; i++)
        names[i] = topology_name(l->t, i);
    struct pki_opts po = {.names = names, .n = nn, .ns = l->o.ns, .loopback = true};
    char e[ERRBUF_LEN];
    struct pki *pk = pki_check_opts(&po, e, sizeof e) < 0 ? NULL : pki_new(&po, e, sizeof e);
    free(names);
    if (!pk) return errbuf_set(err, errlen, "platform local: TLS: %s", e);
    const char *tmp = getenv("TMPDIR");
    int w = snprintf(l->pki_dir, sizeof l->pki_dir, "%s/meshperf-pki.XXXXXX",
                     tmp && tmp[0] ? tmp : "/tmp");
    int rc = 0;
    if (w < 0 || (size_t)w >= sizeof l->pki_dir) {
        rc = errbuf_set(err, errlen, "platform local: TLS: TMPDIR too long");
        l->pki_dir[0] = '\0';
    } else if (!mkdtemp(l->pki_dir)) { /* 0700 */
        rc = errbuf_set(err, errlen, "platform local: TLS: cannot make %s: %s", l->pki_dir,
                        strerror(errno));
        l->pki_dir[0] = '\0';
    } else if (pki_write_dir(pk, l->pki_dir, e, sizeof e) < 0) {
        rc = errbuf_set(err, errlen, "platform local: TLS: %s", e);
    }
    char path[PATH_MAX];
    for (size_t i = 0; rc == 0 && i < nn; i++) {
        local_pki_file(l, i, "pem", path);
        if (local_write_pem(path, &pk->nodes[i], e, sizeof e) < 0)
            rc = errbuf_set(err, errlen, "platform local: TLS: %s", e);
    }
    pki_free(pk); /* wipes the keys' text */
    if (rc < 0) return -1;
    snprintf(l->ca_path, sizeof l->ca_path, "%s/ca.crt", l->pki_dir);
    snprintf(l->client_cert, sizeof l->client_cert, "%s/client.crt", l->pki_dir);
    snprintf(l->client_key, sizeof l->client_key, "%s/client.key", l->pki_dir);
    l->tls_files = (struct platform_tls){l->ca_path, l->o.mtls ? l->client_cert : NULL,
                                         l->o.mtls ? l->client_key : NULL};
    char line[160];
    snprintf(line, sizeof line, "%s between %s; certificates from a CA made for this run",
             l->o.mtls ? "mutual TLS" : "TLS", l->sc ? "sidecars" : "nodes");
    if (l->o.on_note) l->o.on_note(l->o.on_note_arg, line);
    return 0;
}

static int local_up(struct platform *p, const struct topology *t, const struct platform_opts *o,
                    char *err, size_t errlen)
{
    struct local *l = local_of(p);
    if (l->t) return errbuf_set(err, errlen, "platform local: already up");
    if (!o->local.serve_bin || !o->ns || o->replicas < 1)
        return errbuf_set(err, errlen,
                          "platform local: serve binary, namespace and replicas needed");
    if (local_sidecar_open(l, o->local.sidecar, err, errlen) < 0) return -1;
    l->t = t;
    l->o = *o;
    l->tls = o->tls || o->mtls;
    if (local_mode_open(l, o, err, errlen) < 0) return -1;
    size_t nn = topology_count(t);
    l->nreps = nn * (size_t)o->replicas;
    l->nprocs = l->nreps * (l->sc ? 2 : 1);
    l->procs = calloc(l->nprocs, sizeof *l->procs);
    l->reps = calloc(l->nreps, sizeof *l->reps);
    if (!l->procs || !l->reps) return errbuf_set(err, errlen, "out of memory");
    local_cgroup_open(l);
    for (size_t i = 0; i < l->nprocs; i++) {
        struct local_proc *pr = &l->procs[i];
        pr->r = &l->reps[i % l->nreps];
        pr->node = (i % l->nreps) / (size_t)o->replicas;
        pr->ctr = i / l->nreps;
    }
    for (size_t i = 0; i < l->nreps; i++) {
        l->reps[i].ncontainers = 1;
        snprintf(l->reps[i].containers[0].name, sizeof l->reps[i].containers[0].name, "%s",
                 PLATFORM_CONTAINER_APP);
    }
    if (local_name_pods(l, err, errlen) < 0) return -1;
    if (l->tls && local_pki_open(l, err, errlen) < 0) return -1;

    size_t norder;
    const size_t *order = topology_start_order(t, &norder);
    struct buf b, bv;
    buf_init(&b, LOCAL_BACKENDS_MAX);
    buf_init(&bv, LOCAL_BACKENDS_MAX);
    int rc = 0;
    for (size_t k = 0; k < norder && rc == 0; k++) {
        size_t node = order[k];
        buf_reset(&b);
        if ((!l->sc || l->mode == LOCAL_MODE_SERVERONLY) && local_backends_arg(l, node, &b) < 0) {
            rc = errbuf_set(err, errlen, "node %s: backends list too long", topology_name(t, node));
            break;
        }
        for (int r = 0; r < o->replicas && rc == 0; r++) {
            size_t i = node * (size_t)o->replicas + (size_t)r;
            rc = local_start_replica(l, &l->procs[i], l->sc ? &l->procs[l->nreps + i] : NULL,
                                     b.data, &bv, err, errlen);
        }
    }
    buf_free(&b);
    buf_free(&bv);
    if (rc < 0) return -1;

    /* Readiness: every replica answers /health 200 (through its sidecar). */
    int64_t timeout = o->ready_timeout_us > 0 ? o->ready_timeout_us : 15 * MONO_US_PER_SEC;
    mono_us deadline = mono_now() + timeout;
    for (size_t i = 0; i < l->nreps; i++) {
        struct local_proc *pr = &l->procs[i];
        for (;;) {
            if (o->cancel && *o->cancel) return errbuf_set(err, errlen, "interrupted");
            if (local_check_exited(l, pr, err, errlen) < 0) return -1;
            if (l->sc && local_check_exited(l, &l->procs[l->nreps + i], err, errlen) < 0) return -1;
            const struct platform_container *side = l->sc ? &pr->r->containers[1] : NULL;
            if (local_health_ok(l, pr->r->addr, l->tls) &&
                (l->mode != LOCAL_MODE_CLIENTONLY || !side->metrics_addr[0] ||
                 local_health_ok(l, side->metrics_addr, false)))
                break;
            if (mono_now() >= deadline)
                return errbuf_set(err, errlen, "node %s (pod %s, %s): /health not 200 within %.1fs",
                                  topology_name(t, pr->node), pr->r->pod, pr->r->addr,
                                  (double)timeout / 1e6);
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }

    l->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (l->stop_fd < 0) return errbuf_set(err, errlen, "eventfd: %s", strerror(errno));
    if (pthread_create(&l->sup, NULL, local_supervise, l) != 0)
        return errbuf_set(err, errlen, "cannot start the supervisor thread");
    l->sup_running = true;
    return 0;
}

static const struct platform_replica *local_replicas(struct platform *p, size_t node, size_t *n)
{
    struct local *l = local_of(p);
    if (!l->t || node >= topology_count(l->t)) {
        *n = 0;
        return NULL;
    }
    *n = (size_t)l->o.replicas;
    return &l->reps[node * (size_t)l->o.replicas];
}

static int local_resolve(struct platform *p, const char *url, char *out, size_t outlen,
                         size_t *node, char *err, size_t errlen)
{
    struct local *l = local_of(p);
    if (!l->t) return errbuf_set(err, errlen, "platform local: not up");
    char *pathbuf = malloc(URL_PATH_MAX + 1); /* 8 KiB: not on the stack */
    if (!pathbuf) return errbuf_set(err, errlen, "out of memory");
    size_t idx;
    if (topology_resolve_url(l->t, url, &idx, pathbuf, URL_PATH_MAX + 1, NULL, 0, err, errlen) <
        0) {
        free(pathbuf);
        return -1;
    }
    const struct local_proc *pr = &l->procs[idx * (size_t)l->o.replicas];
    int w = snprintf(out, outlen, "%s://%s%s", l->tls ? "https" : "http", pr->r->addr, pathbuf);
    free(pathbuf);
    if (w < 0 || (size_t)w >= outlen) return errbuf_set(err, errlen, "URL too long: %s", url);
    if (node) *node = idx;
    return 0;
}

static int local_health(struct platform *p, char *err, size_t errlen)
{
    struct local *l = local_of(p);
    pthread_mutex_lock(&l->mu);
    int rc = 0;
    if (l->dead) rc = errbuf_set(err, errlen, "%s", l->dead_msg);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

static void local_down(struct platform *p)
{
    struct local *l = local_of(p);
    if (l->downed) return;
    l->downed = true;
    if (l->sup_running) {
        uint64_t one = 1;
        ssize_t w = write(l->stop_fd, &one, sizeof one);
        (void)w;
        pthread_join(l->sup, NULL);
        l->sup_running = false;
    }
    /* From here this thread alone touches procs: stop them all together
     * (TERM to each and the group, bounded wait, KILL), then free each,
     * which keeps what it wrote last in its log. */
    struct child **cs = calloc(l->nprocs ? l->nprocs : 1, sizeof *cs);
    if (cs) {
        for (size_t i = 0; i < l->nprocs; i++)
            cs[i] = l->procs[i].ch;
        child_stop_all(cs, l->nprocs, LOCAL_TERM_WAIT_US);
        free(cs);
    }
    for (size_t i = 0; i < l->nprocs; i++) {
        struct local_proc *pr = &l->procs[i];
        child_free(pr->ch); /* stops it here if the calloc above failed */
        pr->ch = NULL;
        pr->reaped = true;
    }
    cgroup_tree_free(l->cg); /* every child is reaped: the groups are empty */
    l->cg = NULL;
    for (size_t i = 0; i < l->nprocs; i++)
        local_release_ports(&l->procs[i]);
    if (l->stop_fd >= 0) close(l->stop_fd);
    l->stop_fd = -1;
    if (l->sc_dir[0]) nftw(l->sc_dir, local_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    l->sc_dir[0] = '\0';
    if (l->pki_dir[0]) nftw(l->pki_dir, local_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    l->pki_dir[0] = '\0';
}

static const struct platform_tls *local_tls(struct platform *p)
{
    struct local *l = local_of(p);
    return l->tls && l->pki_dir[0] ? &l->tls_files : NULL;
}

static void local_free(struct platform *p)
{
    if (!p) return;
    struct local *l = local_of(p);
    local_down(p);
    pthread_mutex_destroy(&l->mu);
    for (size_t i = 0; l->procs && i < l->nprocs; i++) {
        free(l->procs[i].ports);
        free(l->procs[i].fds);
    }
    free(l->procs);
    free(l->reps);
    free(l);
}

static const struct platform_ops local_ops = {
    .name = "local",
    .up = local_up,
    .replicas = local_replicas,
    .resolve = local_resolve,
    .health = local_health,
    .down = local_down,
    .free = local_free,
    .tls = local_tls,
};

struct platform *platform_local_new(void)
{
    struct local *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->base.ops = &local_ops;
    l->stop_fd = -1;
    pthread_mutex_init(&l->mu, NULL);
    return &l->base;
}
