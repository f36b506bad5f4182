/* driver_prom.c: a local or remote Prometheus for `meshperf run` (see
 * driver_prom.h). The local one is a child process started like the
 * nodes (fork + PR_SET_PDEATHSIG + exec, own process group); the exporter
 * is one thread accepting on 127.0.0.1:0 and answering every request with
 * procstat_render_prometheus (Connection: close). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "driver_prom.h"
#include "errbuf.h"
#include "mono.h"
#include "procstat.h"
#include "progress.h"
#include "promapi.h"
#include "results.h"

#define PROM_READY_TIMEOUT_S 30.0
#define PROM_TARGETS_TIMEOUT_S 30.0
#define PROM_EXPORT_MAX (16u << 20)

struct driver_prom {
    char base[128];
    const volatile sig_atomic_t *cancel;
    /* local only */
    pid_t pid;
    char dir[256];
    struct procstat *ps;
    int lfd, stop_fd;
    pthread_t exporter;
    bool exporter_running;
};

/* ---- the procstat exporter ---- */

static void prom_serve_one(struct driver_prom *p, int c)
{
    char req[8192];
    size_t n = 0;
    mono_us deadline = mono_now() + 2 * MONO_US_PER_SEC;
    while (n < sizeof req - 1) {
        struct pollfd pfd = {.fd = c, .events = POLLIN};
        int ms = (int)((deadline - mono_now()) / 1000);
        if (ms <= 0 || poll(&pfd, 1, ms) <= 0) return;
        ssize_t r = read(c, req + n, sizeof req - 1 - n);
        if (r <= 0) return;
        n += (size_t)r;
        req[n] = '\0';
        if (strstr(req, "\r\n\r\n")) break;
    }
    struct buf body;
    buf_init(&body, PROM_EXPORT_MAX);
    if (p->ps) procstat_render_prometheus(p->ps, &body);
    char head[256];
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; "
                      "charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                      body.len);
    ssize_t w = write(c, head, (size_t)hl);
    size_t off = 0;
    while (w >= 0 && off < body.len) {
        w = write(c, body.data + off, body.len - off);
        if (w > 0) off += (size_t)w;
    }
    buf_free(&body);
}

static void *prom_exporter(void *arg)
{
    struct driver_prom *p = arg;
    for (;;) {
        struct pollfd pfd[2] = {{.fd = p->lfd, .events = POLLIN},
                                {.fd = p->stop_fd, .events = POLLIN}};
        if (poll(pfd, 2, -1) < 0 && errno != EINTR) break;
        if (pfd[1].revents) break;
        if (!pfd[0].revents) continue;
        int c = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) continue;
        prom_serve_one(p, c);
        close(c);
    }
    return NULL;
}

static int prom_listen(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 64) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) < 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

/* A loopback port free now (the kernel's pick; Prometheus binds it a moment later). */
static int prom_free_port(void)
{
    int port = 0;
    int fd = prom_listen(&port);
    if (fd < 0) return -1;
    close(fd);
    return port;
}

/* ---- files ---- */

static int prom_write_file(const char *path, const char *text, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) return errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
    fputs(text, f);
    if (fclose(f) != 0) return errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
    return 0;
}

static void prom_rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            struct stat st;
            if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
                prom_rm_tree(path);
            else
                unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* ---- lifecycle ---- */

static int prom_spawn(struct driver_prom *p, const char *bin, int port, char *err, size_t errlen)
{
    char cfgarg[320], tsdb[320], listen[64], logpath[300];
    snprintf(cfgarg, sizeof cfgarg, "--config.file=%s/prometheus.yml", p->dir);
    snprintf(tsdb, sizeof tsdb, "--storage.tsdb.path=%s/data", p->dir);
    snprintf(listen, sizeof listen, "--web.listen-address=127.0.0.1:%d", port);
    snprintf(logpath, sizeof logpath, "%s/prometheus.log", p->dir);
    char *argv[] = {(char *)bin, cfgarg, tsdb, listen, "--log.level=warn", NULL};
    int logfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (logfd < 0 || nullfd < 0) {
        if (logfd >= 0) close(logfd);
        if (nullfd >= 0) close(nullfd);
        return errbuf_set(err, errlen, "%s: %s", logpath, strerror(errno));
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        setpgid(0, 0);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_DFL;
        sigaction(SIGPIPE, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        dup2(nullfd, 0);
        dup2(logfd, 1);
        dup2(logfd, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(logfd);
    close(nullfd);
    if (pid < 0) return errbuf_set(err, errlen, "fork: %s", strerror(errno));
    setpgid(pid, pid);
    p->pid = pid;
    return 0;
}

static int prom_check_alive(struct driver_prom *p, char *err, size_t errlen)
{
    int st;
    if (p->pid > 0 && waitpid(p->pid, &st, WNOHANG) == p->pid) {
        p->pid = 0;
        return errbuf_set(err, errlen,
                          "local prometheus exited (%s %d) at start; see %s/prometheus.log",
                          WIFEXITED(st) ? "status" : "signal",
                          WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), p->dir);
    }
    return 0;
}

struct driver_prom *driver_prom_local(const char *prom_bin, const struct driver_prom_target *t,
                                      size_t n, const char *ns, struct procstat *ps,
                                      const volatile sig_atomic_t *cancel, char *err,
                                      size_t errlen)
{
    struct driver_prom *p = calloc(1, sizeof *p);
    if (!p) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    p->lfd = p->stop_fd = -1;
    p->cancel = cancel;
    p->ps = ps;
    const char *tmp = getenv("TMPDIR");
    snprintf(p->dir, sizeof p->dir, "%s/meshperf-prom.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(p->dir)) {
        errbuf_set(err, errlen, "%s: %s", p->dir, strerror(errno));
        p->dir[0] = '\0';
        goto fail;
    }
    int eport = 0;
    p->lfd = prom_listen(&eport);
    p->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (p->lfd < 0 || p->stop_fd < 0 ||
        pthread_create(&p->exporter, NULL, prom_exporter, p) != 0) {
        errbuf_set(err, errlen, "cannot start the metrics exporter: %s", strerror(errno));
        goto fail;
    }
    p->exporter_running = true;

    /* file_sd targets: one entry per replica, with the Kubernetes labels */
    json_t *sd = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_pack("{s:[s],s:{s:s,s:s,s:s,s:s,s:s}}", "targets", t[i].addr, "labels",
                              "pod", t[i].pod, "kubernetes_pod_name", t[i].pod, "namespace", ns,
                              "container", "app", "job", "meshperf");
        if (e) json_array_append_new(sd, e);
    }
    char path[400];
    snprintf(path, sizeof path, "%s/targets.json", p->dir);
    int rc = json_dump_file(sd, path, JSON_INDENT(1));
    json_decref(sd);
    if (rc < 0) {
        errbuf_set(err, errlen, "%s: cannot write", path);
        goto fail;
    }
    char yml[2048];
    snprintf(yml, sizeof yml,
             "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
             "scrape_configs:\n"
             "  - job_name: meshperf\n    file_sd_configs:\n      - files: ['%s/targets.json']\n"
             "        refresh_interval: 1s\n"
             "  - job_name: meshperf-procstat\n    honor_labels: true\n    static_configs:\n"
             "      - targets: ['127.0.0.1:%d']\n",
             p->dir, eport);
    snprintf(path, sizeof path, "%s/prometheus.yml", p->dir);
    if (prom_write_file(path, yml, err, errlen) < 0) goto fail;

    int port = prom_free_port();
    if (port < 0) {
        errbuf_set(err, errlen, "no free loopback port for prometheus");
        goto fail;
    }
    snprintf(p->base, sizeof p->base, "http://127.0.0.1:%d", port);
    if (prom_spawn(p, prom_bin, port, err, errlen) < 0) goto fail;

    struct promapi_opts po = {.cancel = cancel};
    struct promapi_error e;
    mono_us deadline = mono_now() + (mono_us)(PROM_READY_TIMEOUT_S * 1e6);
    for (;;) {
        if (prom_check_alive(p, err, errlen) < 0) goto fail;
        if (promapi_wait_ready(p->base, 0.5, &po, &e) == 0) break;
        if (e.kind == PROMAPI_E_CANCELLED) {
            errbuf_set(err, errlen, "interrupted");
            goto fail;
        }
        if (mono_now() >= deadline) {
            errbuf_set(err, errlen, "local prometheus at %s not ready after %.0fs: %s", p->base,
                       PROM_READY_TIMEOUT_S, e.msg);
            goto fail;
        }
    }
    if (promapi_wait_targets_up(p->base, (int)n + 1, PROM_TARGETS_TIMEOUT_S, &po, &e) < 0) {
        errbuf_set(err, errlen, "local prometheus at %s: %s", p->base, e.msg);
        goto fail;
    }
    return p;
fail:
    driver_prom_free(p);
    return NULL;
}

struct driver_prom *driver_prom_url(const char *url, const volatile sig_atomic_t *cancel,
                                    char *err, size_t errlen)
{
    struct driver_prom *p = calloc(1, sizeof *p);
    if (!p) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    p->lfd = p->stop_fd = -1;
    p->cancel = cancel;
    snprintf(p->base, sizeof p->base, "%s", url);
    struct promapi_opts po = {.cancel = cancel};
    struct promapi_error e;
    if (promapi_wait_ready(p->base, 10.0, &po, &e) < 0) {
        errbuf_set(err, errlen, "prometheus %s: %s", url, e.msg);
        free(p);
        return NULL;
    }
    return p;
}

const char *driver_prom_base(const struct driver_prom *p)
{
    return p->base;
}

int driver_prom_collect(struct driver_prom *p, const struct config *cfg, struct results_store *st,
                        const char *test, const char *ts, double start, double end,
                        struct progress *prog)
{
    double step = (double)cfg->step_us / 1e6;
    if (end - start < 2 * step)
        progress_warn(prog, "test %s: the test window (%.1fs) gives fewer than 3 query steps "
                            "of %gs (set meshperf.step)",
                      test, end - start, step);
    json_t *errs = json_array();
    int failed = 0;
    bool unreachable = false; /* once it is, do not wait out the retries for each metric */
    char e2[ERRBUF_LEN];
    for (size_t i = 0; i < cfg->nmetrics; i++) {
        const struct config_metric *m = &cfg->metrics[i];
        struct promapi_opts po = {.retry_total_s = unreachable ? -1 : 5, .cancel = NULL};
        struct promapi_error e;
        struct series_set *set = NULL;
        if (promapi_query_range(p->base, m->name, m->query, start, end, step, &po, &set, &e) <
            0) {
            progress_warn(prog, "test %s: metric %s: %s", test, m->name, e.msg);
            if (e.kind == PROMAPI_E_UNREACHABLE) unreachable = true;
            json_array_append_new(errs, json_pack("{s:s,s:s,s:s,s:I}", "metric", m->name,
                                                  "kind", promapi_kind_name(e.kind), "error",
                                                  e.msg, "http_status",
                                                  (json_int_t)e.http_status));
            failed++;
            continue;
        }
        if (set->total_points == 0)
            progress_warn(prog, "test %s: metric %s: empty result (header-only CSV)", test,
                          m->name);
        if (results_put_csv(st, test, ts, set, e2, sizeof e2) < 0) {
            progress_warn(prog, "%s", e2);
            json_array_append_new(errs, json_pack("{s:s,s:s,s:s}", "metric", m->name, "kind",
                                                  "store", "error", e2));
            failed++;
        }
        series_set_free(set);
    }
    if (failed) {
        char *text = json_dumps(errs, JSON_INDENT(2));
        char key[1024];
        if (text && results_key(key, sizeof key, test, ts, "errors.json") == 0 &&
            results_put(st, key, text, strlen(text), e2, sizeof e2) < 0)
            progress_warn(prog, "%s", e2);
        free(text);
    }
    json_decref(errs);
    return failed;
}

void driver_prom_free(struct driver_prom *p)
{
    if (!p) return;
    if (p->pid > 0) {
        kill(p->pid, SIGTERM);
        mono_us deadline = mono_now() + 5 * MONO_US_PER_SEC;
        int st;
        while (waitpid(p->pid, &st, WNOHANG) == 0) {
            if (mono_now() >= deadline) {
                kill(p->pid, SIGKILL);
                waitpid(p->pid, &st, 0);
                break;
            }
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    if (p->exporter_running) {
        uint64_t one = 1;
        ssize_t w = write(p->stop_fd, &one, sizeof one);
        (void)w;
        pthread_join(p->exporter, NULL);
    }
    if (p->lfd >= 0) close(p->lfd);
    if (p->stop_fd >= 0) close(p->stop_fd);
    if (p->dir[0]) prom_rm_tree(p->dir);
    free(p);
}
