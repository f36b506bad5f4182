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
 * Forking: the child only makes async-signal-safe calls between fork and
 * exec (argv and envp are built before the fork). Call up() and down() from
 * the thread that lives for the whole run (PDEATHSIG fires when the forking
 * thread ends, not the process). */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/errbuf.h"
#include "base/mono.h"
#include "platform/platform.h"
#include "net/url.h"

extern char **environ;

#define LOCAL_TERM_WAIT_US (3 * MONO_US_PER_SEC)
#define LOCAL_BACKENDS_MAX (1u << 20)

struct local_proc {
    struct platform_replica *r; /* into local.reps */
    size_t node;
    int pidfd;  /* -1 when not available or closed */
    int out_fd; /* read end of the child's stdout, -1 once closed */
    int log_fd; /* the child's log, -1 when none */
    bool started;
    bool reaped; /* guarded by local.mu once the supervisor runs */
    char how[96];
};

struct local {
    struct platform base;
    const struct topology *t;
    struct platform_opts o;
    struct local_proc *procs;      /* node * replicas + replica */
    struct platform_replica *reps; /* same index: what replicas() hands out */
    size_t nprocs;
    pid_t pgid;
    pthread_mutex_t mu;
    pthread_t sup;
    bool sup_running;
    int stop_fd;
    bool dead; /* a replica died while up (under mu) */
    char dead_msg[ERRBUF_LEN];
    bool downed;
};

static struct local *local_of(struct platform *p)
{
    return (struct local *)p;
}

static int local_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

/* "exited with status 3" / "killed by signal 9 (Killed)". */
static void local_describe_status(int st, char *out, size_t outlen)
{
    if (WIFEXITED(st))
        snprintf(out, outlen, "exited with status %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(out, outlen, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        snprintf(out, outlen, "ended (wait status %d)", st);
}

/* The last non-empty line of the child's log, for error messages. */
static void local_last_log_line(const struct local *l, const struct local_proc *pr, char *out,
                                size_t outlen)
{
    out[0] = '\0';
    if (!l->o.log_dir) return;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.log", l->o.log_dir, pr->r->pod);
    FILE *f = fopen(path, "rb");
    if (!f) return;
    char tail[1024];
    if (fseek(f, 0, SEEK_END) == 0) {
        long end = ftell(f);
        long from = end > (long)sizeof tail - 1 ? end - (long)sizeof tail + 1 : 0;
        fseek(f, from, SEEK_SET);
    }
    size_t n = fread(tail, 1, sizeof tail - 1, f);
    fclose(f);
    tail[n] = '\0';
    while (n > 0 && (tail[n - 1] == '\n' || tail[n - 1] == '\r'))
        tail[--n] = '\0';
    char *nl = strrchr(tail, '\n');
    const char *src = nl ? nl + 1 : tail;
    size_t k = strlen(src);
    if (k >= outlen) k = outlen - 1;
    memcpy(out, src, k);
    out[k] = '\0';
    for (char *c = out; *c; c++)
        if ((unsigned char)*c < 0x20) *c = ' ';
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

/* Wait (bounded) for the child's "listening on HOST:PORT" line. */
static int local_read_listening(struct local *l, struct local_proc *pr, char *err, size_t errlen)
{
    int64_t timeout = l->o.start_timeout_us > 0 ? l->o.start_timeout_us : 10 * MONO_US_PER_SEC;
    mono_us deadline = mono_now() + timeout;
    char line[512];
    size_t n = 0;
    for (;;) {
        if (l->o.cancel && *l->o.cancel) return errbuf_set(err, errlen, "interrupted");
        char *nl = memchr(line, '\n', n);
        if (nl) {
            *nl = '\0';
            size_t rest = n - (size_t)(nl + 1 - line);
            const char *p = strstr(line, "listening on ");
            const char *colon = p ? strrchr(p, ':') : NULL;
            int port = colon ? atoi(colon + 1) : 0;
            if (!p || port <= 0 || port > 65535) {
                if (pr->log_fd >= 0) {
                    ssize_t w = write(pr->log_fd, line, strlen(line));
                    w = write(pr->log_fd, "\n", 1);
                    (void)w;
                }
                /* not our line: parse what followed it in the same read */
                memmove(line, nl + 1, rest);
                n = rest;
                continue;
            }
            if (rest && pr->log_fd >= 0) {
                ssize_t w = write(pr->log_fd, nl + 1, rest);
                (void)w;
            }
            pr->r->port = port;
            snprintf(pr->r->addr, sizeof pr->r->addr, "127.0.0.1:%d", port);
            return 0;
        }
        if (n >= sizeof line - 1) n = 0; /* an absurdly long line: drop it */
        mono_us now = mono_now();
        if (now >= deadline) break;
        int ms = (int)((deadline - now) / 1000) + 1;
        struct pollfd pfd = {.fd = pr->out_fd, .events = POLLIN};
        int rc = poll(&pfd, 1, ms > 100 ? 100 : ms);
        if (rc < 0 && errno != EINTR) break;
        if (rc <= 0) continue;
        ssize_t r = read(pr->out_fd, line + n, sizeof line - 1 - n);
        if (r > 0) {
            n += (size_t)r;
            continue;
        }
        if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        /* EOF: the child is gone, or closed stdout and may live on: wait
         * for it until the start deadline (never unbounded); one still
         * running then is killed by down(). */
        int st;
        pid_t w;
        while ((w = waitpid(pr->r->pid, &st, WNOHANG)) == 0 && mono_now() < deadline &&
               !(l->o.cancel && *l->o.cancel)) {
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        char last[256];
        local_last_log_line(l, pr, last, sizeof last);
        if (w == pr->r->pid) {
            pr->reaped = true;
            local_describe_status(st, pr->how, sizeof pr->how);
        } else {
            snprintf(pr->how, sizeof pr->how, "closed its stdout");
        }
        return errbuf_set(err, errlen, "node %s (pod %s): %s before listening%s%s",
                          topology_name(l->t, pr->node), pr->r->pod, pr->how,
                          last[0] ? "; last output: " : "", last);
    }
    char last[256];
    local_last_log_line(l, pr, last, sizeof last);
    return errbuf_set(err, errlen, "node %s (pod %s): no \"listening on\" line within %.1fs%s%s",
                      topology_name(l->t, pr->node), pr->r->pod, (double)timeout / 1e6,
                      last[0] ? "; last output: " : "", last);
}

/* Start one replica. 0 or -1 with err. */
static int local_spawn(struct local *l, struct local_proc *pr, const char *backends, char *err,
                       size_t errlen)
{
    int pfd[2] = {-1, -1};
    int nullfd = -1;
    char **envp = NULL;
    char *env_pod = NULL, *env_drv = NULL;
    int rc = -1;

    if (pipe2(pfd, O_CLOEXEC) < 0) {
        errbuf_set(err, errlen, "pod %s: pipe: %s", pr->r->pod, strerror(errno));
        goto out;
    }
    nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (nullfd < 0) {
        errbuf_set(err, errlen, "open /dev/null: %s", strerror(errno));
        goto out;
    }
    if (l->o.log_dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.log", l->o.log_dir, pr->r->pod);
        pr->log_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
        if (pr->log_fd < 0) {
            errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
            goto out;
        }
    }
    size_t nenv = 0;
    while (environ && environ[nenv])
        nenv++;
    envp = calloc(nenv + 3, sizeof *envp);
    if (envp) memcpy(envp, environ, nenv * sizeof *envp);
    if (asprintf(&env_pod, "MESHPERF_POD=%s", pr->r->pod) < 0) env_pod = NULL;
    if (asprintf(&env_drv, "MESHPERF_DRIVER_PID=%ld", (long)getpid()) < 0) env_drv = NULL;
    if (!envp || !env_pod || !env_drv) {
        errbuf_set(err, errlen, "out of memory");
        goto out;
    }
    envp[nenv] = env_pod;
    envp[nenv + 1] = env_drv;
    char *argv[12];
    int a = 0;
    argv[a++] = (char *)l->o.serve_bin;
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

    pid_t parent = getpid();
    int logfd = pr->log_fd >= 0 ? pr->log_fd : nullfd;
    pid_t pgid = l->pgid;
    pid_t pid = fork();
    if (pid < 0) {
        errbuf_set(err, errlen, "pod %s: fork: %s", pr->r->pod, strerror(errno));
        goto out;
    }
    if (pid == 0) {
        /* Child: async-signal-safe calls only. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127); /* the driver died before prctl */
        setpgid(0, pgid);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_DFL;
        sigaction(SIGPIPE, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGCHLD, &sa, NULL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        dup2(nullfd, 0);
        dup2(pfd[1], 1);
        dup2(logfd, 2);
#ifdef SYS_close_range
        syscall(SYS_close_range, 3u, ~0u, 0u);
#endif
        execve(argv[0], argv, envp);
        static const char msg[] = "meshperf run: cannot execute the serve binary\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        _exit(127);
    }
    /* Parent: also set the group, so it holds whichever side runs first. */
    if (setpgid(pid, pgid ? pgid : pid) < 0 && errno != EACCES && errno != ESRCH) {
        /* not fatal: the child is still killed by pid and PDEATHSIG */
    }
    if (!l->pgid) l->pgid = pid;
    pr->r->pid = pid;
    pr->started = true;
    close(pfd[1]);
    pfd[1] = -1;
    pr->out_fd = pfd[0];
    pfd[0] = -1;
    pr->pidfd = local_pidfd_open(pid);
    rc = 0;
out:
    if (pfd[0] >= 0) close(pfd[0]);
    if (pfd[1] >= 0) close(pfd[1]);
    if (nullfd >= 0) close(nullfd);
    free(envp);
    free(env_pod);
    free(env_drv);
    return rc;
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
    int st;
    if (waitpid(pr->r->pid, &st, WNOHANG) != pr->r->pid) return 0;
    pr->reaped = true;
    local_describe_status(st, pr->how, sizeof pr->how);
    char last[256];
    local_last_log_line(l, pr, last, sizeof last);
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
            if (!pr->started) continue;
            if (!pr->reaped && pr->pidfd >= 0) {
                who[k] = pr;
                pfds[k++] = (struct pollfd){.fd = pr->pidfd, .events = POLLIN};
            } else if (!pr->reaped) {
                need_timer = true;
            }
            if (pr->out_fd >= 0) {
                who[k] = pr;
                pfds[k++] = (struct pollfd){.fd = pr->out_fd, .events = POLLIN};
            }
        }
        int rc = poll(pfds, k, need_timer ? 200 : -1);
        if (rc < 0 && errno != EINTR) break;
        if (pfds[0].revents) break;
        for (size_t j = 1; j < k; j++) {
            struct local_proc *pr = who[j];
            if (pfds[j].fd == pr->out_fd && pfds[j].revents) {
                char tmp[4096];
                ssize_t r = read(pr->out_fd, tmp, sizeof tmp);
                if (r > 0 && pr->log_fd >= 0) {
                    ssize_t w = write(pr->log_fd, tmp, (size_t)r);
                    (void)w;
                } else if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
                    close(pr->out_fd);
                    pr->out_fd = -1;
                }
            }
        }
        for (size_t i = 0; i < n; i++) {
            struct local_proc *pr = &l->procs[i];
            if (!pr->started || pr->reaped) continue;
            int st;
            if (waitpid(pr->r->pid, &st, WNOHANG) != pr->r->pid) continue;
            char how[96];
            local_describe_status(st, how, sizeof how);
            pthread_mutex_lock(&l->mu);
            pr->reaped = true;
            snprintf(pr->how, sizeof pr->how, "%s", how);
            if (!l->dead) {
                l->dead = true;
                snprintf(l->dead_msg, sizeof l->dead_msg, "node %s (pod %s, pid %ld) %s",
                         topology_name(l->t, pr->node), pr->r->pod, (long)pr->r->pid, how);
            }
            pthread_mutex_unlock(&l->mu);
            if (pr->pidfd >= 0) {
                close(pr->pidfd);
                pr->pidfd = -1;
            }
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
    if (!o->serve_bin || !o->ns || o->replicas < 1)
        return errbuf_set(err, errlen,
                          "platform local: serve binary, namespace and replicas needed");
    l->t = t;
    l->o = *o;
    size_t nn = topology_count(t);
    l->nprocs = nn * (size_t)o->replicas;
    l->procs = calloc(l->nprocs, sizeof *l->procs);
    l->reps = calloc(l->nprocs, sizeof *l->reps);
    if (!l->procs || !l->reps) return errbuf_set(err, errlen, "out of memory");
    for (size_t i = 0; i < l->nprocs; i++) {
        struct local_proc *pr = &l->procs[i];
        pr->r = &l->reps[i];
        pr->node = i / (size_t)o->replicas;
        pr->pidfd = pr->out_fd = pr->log_fd = -1;
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
    /* From here this thread alone touches procs. */
    bool any = false;
    for (size_t i = 0; i < l->nprocs; i++) {
        struct local_proc *pr = &l->procs[i];
        if (pr->started && !pr->reaped) {
            kill(pr->r->pid, SIGTERM);
            any = true;
        }
    }
    /* A member is unreaped, so the group id cannot have been reused. */
    if (any && l->pgid > 0) kill(-l->pgid, SIGTERM);
    mono_us deadline = mono_now() + LOCAL_TERM_WAIT_US;
    while (any) {
        any = false;
        for (size_t i = 0; i < l->nprocs; i++) {
            struct local_proc *pr = &l->procs[i];
            if (!pr->started || pr->reaped) continue;
            int st;
            if (waitpid(pr->r->pid, &st, WNOHANG) == pr->r->pid)
                pr->reaped = true;
            else
                any = true;
        }
        if (!any || mono_now() >= deadline) break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (any) {
        if (l->pgid > 0) kill(-l->pgid, SIGKILL);
        for (size_t i = 0; i < l->nprocs; i++) {
            struct local_proc *pr = &l->procs[i];
            if (!pr->started || pr->reaped) continue;
            kill(pr->r->pid, SIGKILL);
            int st;
            while (waitpid(pr->r->pid, &st, 0) < 0 && errno == EINTR) {
            }
            pr->reaped = true;
        }
    }
    for (size_t i = 0; i < l->nprocs; i++) {
        struct local_proc *pr = &l->procs[i];
        if (pr->out_fd >= 0) {
            /* keep what the child wrote last */
            char tmp[4096];
            ssize_t r;
            int fl = fcntl(pr->out_fd, F_GETFL);
            if (fl >= 0) fcntl(pr->out_fd, F_SETFL, fl | O_NONBLOCK);
            while ((r = read(pr->out_fd, tmp, sizeof tmp)) > 0 && pr->log_fd >= 0) {
                ssize_t w = write(pr->log_fd, tmp, (size_t)r);
                (void)w;
            }
            close(pr->out_fd);
            pr->out_fd = -1;
        }
        if (pr->pidfd >= 0) close(pr->pidfd);
        if (pr->log_fd >= 0) close(pr->log_fd);
        pr->pidfd = pr->log_fd = -1;
    }
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
