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
 * ends, not the process). Each replica has one container now, "app"; a
 * sidecar (platform/sidecar.h) will be one more child and container. */
#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/child.h"
#include "base/errbuf.h"
#include "base/mono.h"
#include "metrics/cgroup.h"
#include "net/url.h"
#include "platform/platform_local.h"

#define LOCAL_TERM_WAIT_US (3 * MONO_US_PER_SEC)
#define LOCAL_BACKENDS_MAX (1u << 20)

struct local_proc {
    struct platform_replica *r; /* into local.reps */
    size_t node;
    struct child *ch; /* NULL until started */
    bool reaped;      /* guarded by local.mu once the supervisor runs */
    char how[CHILD_HOW_MAX];
};

struct local {
    struct platform base;
    const struct topology *t;
    struct platform_opts o;
    struct local_proc *procs;      /* node * replicas + replica */
    struct platform_replica *reps; /* same index: what replicas() hands out */
    size_t nprocs;
    pid_t pgid; /* the first child's: every child joins it */
    pthread_mutex_t mu;
    pthread_t sup;
    bool sup_running;
    int stop_fd;
    bool dead; /* a replica died while up (under mu) */
    char dead_msg[ERRBUF_LEN];
    bool downed;
    struct cgroup_tree *cg; /* one cgroup per container; NULL: measured from /proc */
};

static struct local *local_of(struct platform *p)
{
    return (struct local *)p;
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

/* Build "node-B=http://a|http://b,..." for node i's backends. */
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
            if (buf_printf(b, "%shttp://%s", r ? "|" : "", pr->r->addr) < 0) return -1;
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

/* Start one replica's app container. 0 or -1 with err. */
static int local_spawn(struct local *l, struct local_proc *pr, const char *backends, char *err,
                       size_t errlen)
{
    char env_pod[sizeof pr->r->pod + 16], env_drv[48];
    snprintf(env_pod, sizeof env_pod, "MESHPERF_POD=%s", pr->r->pod);
    snprintf(env_drv, sizeof env_drv, "MESHPERF_DRIVER_PID=%ld", (long)getpid());
    const char *env_add[] = {env_pod, env_drv, NULL};
    char *argv[12];
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

/* One GET http://addr/health; 1 when it answered 200. */
static int local_health_ok(const char *addr)
{
    CURL *c = curl_easy_init();
    if (!c) return 0;
    char url[128];
    snprintf(url, sizeof url, "http://%s/health", addr);
    curl_easy_setopt(c, CURLOPT_URL, url);
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
    if (pr->reaped)
        return errbuf_set(err, errlen, "node %s (pod %s): %s", topology_name(l->t, pr->node),
                          pr->r->pod, pr->how);
    if (child_poll(pr->ch)) return 0;
    pr->reaped = true;
    snprintf(pr->how, sizeof pr->how, "%s", child_how(pr->ch));
    char last[256];
    local_last_log_line(pr, last, sizeof last);
    return errbuf_set(err, errlen, "node %s (pod %s): %s%s%s", topology_name(l->t, pr->node),
                      pr->r->pod, pr->how, last[0] ? "; last output: " : "", last);
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
                l->dead = true;
                snprintf(l->dead_msg, sizeof l->dead_msg, "node %s (pod %s, pid %ld) %s",
                         topology_name(l->t, pr->node), pr->r->pod, (long)pr->r->containers[0].pid,
                         how);
            }
            pthread_mutex_unlock(&l->mu);
            if (l->o.on_exit) l->o.on_exit(l->o.on_exit_arg, pr->node, pr->r, how);
        }
    }
    free(pfds);
    free(who);
    return NULL;
}

static int local_up(struct platform *p, const struct topology *t, const struct platform_opts *o,
                    char *err, size_t errlen)
{
    struct local *l = local_of(p);
    if (l->t) return errbuf_set(err, errlen, "platform local: already up");
    if (!o->local.serve_bin || !o->ns || o->replicas < 1)
        return errbuf_set(err, errlen,
                          "platform local: serve binary, namespace and replicas needed");
    l->t = t;
    l->o = *o;
    size_t nn = topology_count(t);
    l->nprocs = nn * (size_t)o->replicas;
    l->procs = calloc(l->nprocs, sizeof *l->procs);
    l->reps = calloc(l->nprocs, sizeof *l->reps);
    if (!l->procs || !l->reps) return errbuf_set(err, errlen, "out of memory");
    local_cgroup_open(l);
    for (size_t i = 0; i < l->nprocs; i++) {
        struct local_proc *pr = &l->procs[i];
        pr->r = &l->reps[i];
        pr->node = i / (size_t)o->replicas;
        pr->r->ncontainers = 1;
        snprintf(pr->r->containers[0].name, sizeof pr->r->containers[0].name, "%s",
                 PLATFORM_CONTAINER_APP);
        char label[TOPOLOGY_NAME_MAX + 16];
        topology_node_label(topology_name(t, pr->node), label, sizeof label);
        snprintf(pr->r->pod, sizeof pr->r->pod, "%s-%zu", label, i % (size_t)o->replicas);
    }

    size_t norder;
    const size_t *order = topology_start_order(t, &norder);
    struct buf b;
    buf_init(&b, LOCAL_BACKENDS_MAX);
    int rc = 0;
    for (size_t k = 0; k < norder && rc == 0; k++) {
        size_t node = order[k];
        buf_reset(&b);
        if (local_backends_arg(l, node, &b) < 0) {
            rc = errbuf_set(err, errlen, "node %s: backends list too long", topology_name(t, node));
            break;
        }
        for (int r = 0; r < o->replicas && rc == 0; r++) {
            struct local_proc *pr = &l->procs[node * (size_t)o->replicas + (size_t)r];
            rc = local_spawn(l, pr, b.data, err, errlen);
            if (rc == 0) rc = local_read_listening(l, pr, err, errlen);
        }
    }
    buf_free(&b);
    if (rc < 0) return -1;

    /* Readiness: every replica answers /health 200. */
    int64_t timeout = o->ready_timeout_us > 0 ? o->ready_timeout_us : 15 * MONO_US_PER_SEC;
    mono_us deadline = mono_now() + timeout;
    for (size_t i = 0; i < l->nprocs; i++) {
        struct local_proc *pr = &l->procs[i];
        for (;;) {
            if (o->cancel && *o->cancel) return errbuf_set(err, errlen, "interrupted");
            if (local_check_exited(l, pr, err, errlen) < 0) return -1;
            if (local_health_ok(pr->r->addr)) break;
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
    int w = snprintf(out, outlen, "http://%s%s", pr->r->addr, pathbuf);
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
    if (l->stop_fd >= 0) close(l->stop_fd);
    l->stop_fd = -1;
}

static void local_free(struct platform *p)
{
    if (!p) return;
    struct local *l = local_of(p);
    local_down(p);
    pthread_mutex_destroy(&l->mu);
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
