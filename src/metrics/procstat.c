/* procstat.c: the /proc sampler (see procstat.h).
 *
 * State: a list of containers (one per pod/container/namespace triple),
 * each with the root pids registered for it and the pids counted at the
 * previous sample ("seen", with their last CPU seconds). A sample computes
 * the container's current members (live roots, plus their descendants for
 * PROCSTAT_TREE roots, found from one scan of /proc), sums their RSS and
 * CPU, and retires the CPU of members that disappeared into `retired` so the
 * counter never goes backwards. A container whose processes run in a
 * cgroup meshperf made for it (metrics/cgroup.h, found from the first
 * root's /proc/<pid>/cgroup at procstat_add) is read from that group
 * instead, while one of its roots lives; a sample whose group cannot be
 * read falls back to /proc. Everything is behind one mutex; the sampler
 * thread waits on a condition variable (CLOCK_MONOTONIC) between samples. */
#include "metrics/procstat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <unistd.h>

#include "base/errbuf.h"
#include "base/mono.h"
#include "metrics/cgroup.h"

static const char *const metric_names[PROCSTAT_NMETRICS] = {
    "container_memory_working_set_bytes",
    "container_cpu_usage_seconds_total",
    "memory_working_set_MiB",
    "cpu_usage_seconds",
};

struct root {
    pid_t pid;
    unsigned long long start; /* starttime in clock ticks since boot */
    int flags;
    int alive;
};

struct seen {
    pid_t pid;
    unsigned long long start;
    double cpu; /* seconds at the last sample */
};

struct container {
    char *pod, *container, *ns;
    struct root *roots;
    size_t nroots;
    struct seen *seen;
    size_t nseen;
    double retired;  /* CPU seconds of members that have gone */
    double cpu_base; /* counter value at its first sample of the window; <0 unset */
    double mem, cpu; /* last sample */
    int live;        /* had a live member at the last sample */
    int has_cg;      /* its roots run in cg: sampled from there */
    int from_cg;     /* the last sample came from cg */
    struct cgroup_group cg;
    struct series *s[PROCSTAT_NMETRICS];
};

struct procstat {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int running, stop;
    double interval;
    struct series_limits lim;
    struct container **c;
    size_t nc;
    struct series_set *sets[PROCSTAT_NMETRICS];
    long ticks;
    long page;
    size_t dropped; /* points not recorded because a cap was reached */
};

/* One process as read from /proc/<pid>/stat. */
struct pinfo {
    pid_t pid, ppid;
    char state;
    unsigned long long utime, stime, start;
};

const char *procstat_metric_name(enum procstat_metric m)
{
    return (unsigned)m < PROCSTAT_NMETRICS ? metric_names[m] : NULL;
}

static int read_small(const char *path, char *out, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t r = read(fd, out, n - 1);
    close(fd);
    if (r <= 0) return -1;
    out[r] = '\0';
    return 0;
}

static int read_stat(pid_t pid, struct pinfo *pi)
{
    char path[64], b[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (read_small(path, b, sizeof(b))) return -1;
    char *p = strrchr(b, ')'); /* comm may hold spaces and parentheses */
    if (!p || !p[1]) return -1;
    pi->pid = pid;
    int n = sscanf(
        p + 2, "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu",
        &pi->state, &pi->ppid, &pi->utime, &pi->stime, &pi->start);
    return n == 5 ? 0 : -1;
}

/* Resident bytes from statm field 2, or -1. */
static long long read_rss(pid_t pid, long page)
{
    char path[64], b[256];
    snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
    if (read_small(path, b, sizeof(b))) return -1;
    unsigned long long size, res;
    if (sscanf(b, "%llu %llu", &size, &res) != 2) return -1;
    return (long long)(res * (unsigned long long)page);
}

static int is_live(const struct pinfo *pi)
{
    return pi->state != 'Z' && pi->state != 'X' && pi->state != 'x';
}

/* All processes of the system (for descendant lookup). Caller frees. */
static struct pinfo *scan_all(size_t *n)
{
    *n = 0;
    DIR *d = opendir("/proc");
    if (!d) return NULL;
    size_t cap = 256;
    struct pinfo *v = malloc(cap * sizeof(*v));
    struct dirent *de;
    while (v && (de = readdir(d))) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end || pid <= 0) continue;
        if (*n == cap) {
            struct pinfo *nv = realloc(v, cap * 2 * sizeof(*v));
            if (!nv) break;
            v = nv, cap *= 2;
        }
        if (read_stat((pid_t)pid, &v[*n]) == 0) (*n)++;
    }
    closedir(d);
    return v;
}

/* Append pi to members (growing), skipping duplicates. */
static int member_add(struct pinfo **m, size_t *n, size_t *cap, const struct pinfo *pi)
{
    for (size_t i = 0; i < *n; i++)
        if ((*m)[i].pid == pi->pid) return 0;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        struct pinfo *p = realloc(*m, nc * sizeof(*p));
        if (!p) return -1;
        *m = p, *cap = nc;
    }
    (*m)[(*n)++] = *pi;
    return 0;
}

static struct series *get_series(struct procstat *ps, struct container *c, int m)
{
    if (c->s[m]) return c->s[m];
    struct series_label l[3] = {{"container", c->container}, {"namespace", c->ns}, {"pod", c->pod}};
    if (series_set_add(ps->sets[m], l, 3, &c->s[m], NULL, 0)) return NULL;
    return c->s[m];
}

static void record(struct procstat *ps, struct container *c, int m, double ts, double v)
{
    struct series *s = get_series(ps, c, m);
    if (!s || series_add_double(ps->sets[m], s, ts, v)) ps->dropped++;
}

static void record_all(struct procstat *ps, struct container *c, double ts, int rec)
{
    if (!rec) return;
    if (c->cpu_base < 0) c->cpu_base = c->cpu;
    record(ps, c, PROCSTAT_MEM_BYTES, ts, c->mem);
    record(ps, c, PROCSTAT_CPU_TOTAL, ts, c->cpu);
    record(ps, c, PROCSTAT_MEM_MIB, ts, c->mem / 1048576.0);
    record(ps, c, PROCSTAT_CPU_SECONDS, ts, c->cpu - c->cpu_base);
}

/* One sample of c from its cgroup: 0 when done (a point, or a gap when no
 * root lives), -1 when the group cannot be read (then /proc is used). */
static int sample_cgroup(struct procstat *ps, struct container *c, double ts, int rec)
{
    int any = 0;
    for (size_t r = 0; r < c->nroots; r++) {
        struct root *rt = &c->roots[r];
        struct pinfo pi;
        if (rt->alive && (read_stat(rt->pid, &pi) || pi.start != rt->start || !is_live(&pi)))
            rt->alive = 0;
        any |= rt->alive;
    }
    c->live = any;
    if (!any) return 0;
    uint64_t mem;
    double cpu;
    if (cgroup_group_memory(&c->cg, &mem) || cgroup_group_cpu(&c->cg, &cpu)) return -1;
    c->from_cg = 1;
    c->mem = (double)mem;
    c->cpu = cpu;
    record_all(ps, c, ts, rec);
    return 0;
}

/* One sample of container c. all/nall: the /proc scan (NULL if not needed). */
static void sample_one(struct procstat *ps, struct container *c, const struct pinfo *all,
                       size_t nall, double ts, int rec)
{
    if (c->has_cg && sample_cgroup(ps, c, ts, rec) == 0) return;
    c->from_cg = 0;
    struct pinfo *mem = NULL;
    size_t n = 0, cap = 0;
    for (size_t r = 0; r < c->nroots; r++) {
        struct root *rt = &c->roots[r];
        if (!rt->alive) continue;
        struct pinfo pi;
        if (read_stat(rt->pid, &pi) || pi.start != rt->start || !is_live(&pi)) {
            rt->alive = 0; /* gone: recorded, not an error */
            continue;
        }
        member_add(&mem, &n, &cap, &pi);
        if (!(rt->flags & PROCSTAT_TREE) || !all) continue;
        /* Descendants: repeat passes over the scan until no new member
         * (process trees here are shallow: master + workers). */
        for (size_t grew = 1; grew;) {
            grew = 0;
            for (size_t i = 0; i < nall; i++) {
                if (!is_live(&all[i]) || all[i].start < rt->start) continue;
                int parent_in = 0, already = 0;
                for (size_t k = 0; k < n; k++) {
                    if (mem[k].pid == all[i].ppid) parent_in = 1;
                    if (mem[k].pid == all[i].pid) already = 1;
                }
                if (parent_in && !already && member_add(&mem, &n, &cap, &all[i]) == 0) grew = 1;
            }
        }
    }
    /* Retire members seen last time and gone now. */
    for (size_t i = 0; i < c->nseen; i++) {
        int still = 0;
        for (size_t k = 0; k < n && !still; k++)
            still = mem[k].pid == c->seen[i].pid && mem[k].start == c->seen[i].start;
        if (!still) c->retired += c->seen[i].cpu;
    }
    double cpu_live = 0, rss = 0;
    int any = 0;
    struct seen *ns = n ? malloc(n * sizeof(*ns)) : NULL;
    size_t nns = 0;
    for (size_t k = 0; k < n; k++) {
        /* Its CPU counts even when it exited between the two reads (it is
         * retired at the next sample), else the counter would go back. */
        double cs = (double)(mem[k].utime + mem[k].stime) / (double)ps->ticks;
        cpu_live += cs;
        if (ns) ns[nns++] = (struct seen){mem[k].pid, mem[k].start, cs};
        long long b = read_rss(mem[k].pid, ps->page);
        if (b < 0) continue; /* exited between the two reads: no RSS */
        rss += (double)b;
        any = 1;
    }
    free(c->seen);
    c->seen = ns;
    c->nseen = nns;
    free(mem);
    c->live = any;
    if (!any) return;
    c->mem = rss;
    c->cpu = c->retired + cpu_live;
    record_all(ps, c, ts, rec);
}

/* Caller holds ps->mu. */
static int sample_locked(struct procstat *ps, int rec)
{
    double ts = (double)wall_ns() / 1e9;
    int tree = 0;
    for (size_t i = 0; i < ps->nc && !tree; i++)
        for (size_t r = 0; r < ps->c[i]->nroots; r++)
            if (ps->c[i]->roots[r].alive && (ps->c[i]->roots[r].flags & PROCSTAT_TREE)) tree = 1;
    size_t nall = 0;
    struct pinfo *all = tree ? scan_all(&nall) : NULL;
    int live = 0;
    for (size_t i = 0; i < ps->nc; i++) {
        sample_one(ps, ps->c[i], all, nall, ts, rec);
        live += ps->c[i]->live;
    }
    free(all);
    return live;
}

int procstat_sample(struct procstat *ps, int rec)
{
    pthread_mutex_lock(&ps->mu);
    int n = sample_locked(ps, rec);
    pthread_mutex_unlock(&ps->mu);
    return n;
}

struct procstat *procstat_new(double interval_s, const struct series_limits *lim, char *err,
                              size_t errlen)
{
    if (!(interval_s >= 0.01) || interval_s > 3600) {
        errbuf_set(err, errlen, "sample interval must be between 10ms and 1h (got %g s)",
                   interval_s);
        return NULL;
    }
    struct procstat *ps = calloc(1, sizeof(*ps));
    if (!ps) goto nomem;
    ps->interval = interval_s;
    if (lim) ps->lim = *lim;
    ps->ticks = sysconf(_SC_CLK_TCK);
    ps->page = sysconf(_SC_PAGESIZE);
    if (ps->ticks <= 0) ps->ticks = 100;
    if (ps->page <= 0) ps->page = 4096;
    for (int m = 0; m < PROCSTAT_NMETRICS; m++)
        if (!(ps->sets[m] = series_set_new(metric_names[m], &ps->lim))) goto nomem;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ps->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&ps->mu, NULL);
    return ps;
nomem:
    if (ps)
        for (int m = 0; m < PROCSTAT_NMETRICS; m++)
            series_set_free(ps->sets[m]);
    free(ps);
    errbuf_set(err, errlen, "out of memory");
    return NULL;
}

void procstat_free(struct procstat *ps)
{
    if (!ps) return;
    procstat_stop(ps);
    for (size_t i = 0; i < ps->nc; i++) {
        struct container *c = ps->c[i];
        free(c->pod), free(c->container), free(c->ns), free(c->roots), free(c->seen), free(c);
    }
    free(ps->c);
    for (int m = 0; m < PROCSTAT_NMETRICS; m++)
        series_set_free(ps->sets[m]);
    pthread_cond_destroy(&ps->cv);
    pthread_mutex_destroy(&ps->mu);
    free(ps);
}

static struct container *container_get(struct procstat *ps, const char *pod, const char *ctr,
                                       const char *ns)
{
    for (size_t i = 0; i < ps->nc; i++) {
        struct container *c = ps->c[i];
        if (!strcmp(c->pod, pod) && !strcmp(c->container, ctr) && !strcmp(c->ns, ns)) return c;
    }
    struct container **v = realloc(ps->c, (ps->nc + 1) * sizeof(*v));
    if (!v) return NULL;
    ps->c = v;
    struct container *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->pod = strdup(pod), c->container = strdup(ctr), c->ns = strdup(ns);
    c->cpu_base = -1;
    if (!c->pod || !c->container || !c->ns) {
        free(c->pod), free(c->container), free(c->ns), free(c);
        return NULL;
    }
    ps->c[ps->nc++] = c;
    return c;
}

int procstat_add(struct procstat *ps, pid_t pid, const char *pod, const char *container,
                 const char *namespace_, int flags, char *err, size_t errlen)
{
    if (!pod || !*pod || !container || !*container || !namespace_ || !*namespace_)
        return errbuf_set(err, errlen, "process %d: pod, container and namespace must be non-empty",
                          (int)pid);
    struct pinfo pi;
    if (pid <= 0 || read_stat(pid, &pi) || !is_live(&pi))
        return errbuf_set(err, errlen, "process %d (%s/%s): no such process", (int)pid, pod,
                          container);
    struct cgroup_group g;
    int in_cg = cgroup_group_of_pid(pid, &g);
    pthread_mutex_lock(&ps->mu);
    struct container *c = container_get(ps, pod, container, namespace_);
    struct root *r = c ? realloc(c->roots, (c->nroots + 1) * sizeof(*r)) : NULL;
    if (!r) {
        pthread_mutex_unlock(&ps->mu);
        return errbuf_set(err, errlen, "out of memory");
    }
    /* one group for all its roots, else /proc for all */
    if (c->nroots == 0) {
        c->has_cg = in_cg;
        if (in_cg) c->cg = g;
    } else if (c->has_cg && (!in_cg || strcmp(g.mem, c->cg.mem) || strcmp(g.cpu, c->cg.cpu))) {
        c->has_cg = 0;
    }
    c->roots = r;
    c->roots[c->nroots++] = (struct root){pid, pi.start, flags, 1};
    pthread_mutex_unlock(&ps->mu);
    return 0;
}

int procstat_alive(struct procstat *ps, pid_t pid)
{
    int alive = 0;
    pthread_mutex_lock(&ps->mu);
    for (size_t i = 0; i < ps->nc && !alive; i++)
        for (size_t r = 0; r < ps->c[i]->nroots && !alive; r++) {
            struct root *rt = &ps->c[i]->roots[r];
            if (rt->pid != pid || !rt->alive) continue;
            struct pinfo pi;
            alive = read_stat(pid, &pi) == 0 && pi.start == rt->start && is_live(&pi);
        }
    pthread_mutex_unlock(&ps->mu);
    return alive;
}

static void *sampler_main(void *arg)
{
    struct procstat *ps = arg;
    mono_us step = (mono_us)(ps->interval * 1e6), next = mono_now() + step;
    pthread_mutex_lock(&ps->mu);
    while (!ps->stop) {
        struct timespec ts = {next / MONO_US_PER_SEC, (long)(next % MONO_US_PER_SEC) * 1000};
        int rc = 0;
        while (!ps->stop && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&ps->cv, &ps->mu, &ts);
        if (ps->stop) break;
        sample_locked(ps, 1);
        next += step;
        mono_us now = mono_now();
        if (next <= now) next = now + step; /* fell behind: skip, do not burst */
    }
    pthread_mutex_unlock(&ps->mu);
    return NULL;
}

static void reset_window(struct procstat *ps)
{
    for (size_t i = 0; i < ps->nc; i++) {
        ps->c[i]->cpu_base = -1;
        for (int m = 0; m < PROCSTAT_NMETRICS; m++)
            ps->c[i]->s[m] = NULL;
    }
}

int procstat_start(struct procstat *ps, char *err, size_t errlen)
{
    pthread_mutex_lock(&ps->mu);
    if (ps->running) {
        pthread_mutex_unlock(&ps->mu);
        return errbuf_set(err, errlen, "sampler already running");
    }
    for (int m = 0; m < PROCSTAT_NMETRICS; m++) {
        struct series_set *n = series_set_new(metric_names[m], &ps->lim);
        if (!n) {
            pthread_mutex_unlock(&ps->mu);
            return errbuf_set(err, errlen, "out of memory");
        }
        series_set_free(ps->sets[m]);
        ps->sets[m] = n;
    }
    reset_window(ps);
    ps->dropped = 0;
    sample_locked(ps, 1);
    ps->stop = 0;
    int rc = pthread_create(&ps->thread, NULL, sampler_main, ps);
    if (rc == 0) ps->running = 1;
    pthread_mutex_unlock(&ps->mu);
    if (rc) return errbuf_set(err, errlen, "sampler thread: %s", strerror(rc));
    return 0;
}

void procstat_stop(struct procstat *ps)
{
    pthread_mutex_lock(&ps->mu);
    if (!ps->running) {
        pthread_mutex_unlock(&ps->mu);
        return;
    }
    ps->stop = 1;
    pthread_cond_signal(&ps->cv);
    pthread_mutex_unlock(&ps->mu);
    pthread_join(ps->thread, NULL);
    pthread_mutex_lock(&ps->mu);
    ps->running = 0;
    sample_locked(ps, 1);
    pthread_mutex_unlock(&ps->mu);
}

struct series_set *procstat_take(struct procstat *ps, enum procstat_metric m)
{
    if ((unsigned)m >= PROCSTAT_NMETRICS) return NULL;
    struct series_set *fresh = series_set_new(metric_names[m], &ps->lim);
    if (!fresh) return NULL;
    pthread_mutex_lock(&ps->mu);
    struct series_set *out = ps->sets[m];
    ps->sets[m] = fresh;
    for (size_t i = 0; i < ps->nc; i++)
        ps->c[i]->s[m] = NULL;
    pthread_mutex_unlock(&ps->mu);
    series_set_sort(out);
    return out;
}

/* Label value escaping of the text format: \\, \", \n. */
static int put_label(struct buf *out, const char *name, const char *v, int first)
{
    int rc = buf_printf(out, "%s%s=\"", first ? "" : ",", name);
    for (const char *p = v; !rc && *p; p++) {
        if (*p == '\\')
            rc = buf_puts(out, "\\\\");
        else if (*p == '"')
            rc = buf_puts(out, "\\\"");
        else if (*p == '\n')
            rc = buf_puts(out, "\\n");
        else
            rc = buf_append(out, p, 1);
    }
    return rc ? rc : buf_puts(out, "\"");
}

int procstat_render_prometheus(struct procstat *ps, struct buf *out)
{
    static const char *const help[2] = {
        "Current working set of the container in bytes (meshperf: its cgroup's usage minus "
        "inactive file pages, or the resident set size of its processes).",
        "Cumulative cpu time consumed in seconds (meshperf: its cgroup's usage, or "
        "utime+stime of its processes).",
    };
    static const char *const type[2] = {"gauge", "counter"};
    int rc = 0;
    pthread_mutex_lock(&ps->mu);
    sample_locked(ps, 0);
    for (int m = 0; !rc && m < 2; m++) {
        rc = buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", metric_names[m], help[m],
                        metric_names[m], type[m]);
        for (size_t i = 0; !rc && i < ps->nc; i++) {
            struct container *c = ps->c[i];
            if (!c->live) continue;
            char v[SERIES_NUM_MAX];
            series_format_double(m == 0 ? c->mem : c->cpu, v);
            rc = buf_printf(out, "%s{", metric_names[m]);
            if (!rc) rc = put_label(out, "container", c->container, 1);
            if (!rc) rc = put_label(out, "namespace", c->ns, 0);
            if (!rc) rc = put_label(out, "pod", c->pod, 0);
            if (!rc) rc = buf_printf(out, "} %s\n", v);
        }
    }
    pthread_mutex_unlock(&ps->mu);
    return rc;
}

const char *procstat_source(const struct procstat *ps, const char *pod, const char *container)
{
    struct procstat *m = (struct procstat *)ps; /* the lock only */
    const char *src = NULL;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < ps->nc && !src; i++) {
        const struct container *c = ps->c[i];
        if (strcmp(c->pod, pod) || strcmp(c->container, container)) continue;
        src = !c->has_cg ? "proc" : c->cg.mode == CGROUP_V1 ? "cgroup-v1" : "cgroup-v2";
    }
    pthread_mutex_unlock(&m->mu);
    return src;
}

int procstat_render_sources(struct procstat *ps, struct buf *out)
{
    json_t *arr = json_array();
    int rc = arr ? 0 : -ENOMEM;
    pthread_mutex_lock(&ps->mu);
    for (size_t i = 0; !rc && i < ps->nc; i++) {
        const struct container *c = ps->c[i];
        const char *src = !c->has_cg ? "proc" : c->cg.mode == CGROUP_V1 ? "cgroup-v1" : "cgroup-v2";
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "namespace", c->ns, "pod", c->pod,
                              "container", c->container, "source", src);
        if (!o || json_array_append_new(arr, o)) rc = -ENOMEM;
    }
    pthread_mutex_unlock(&ps->mu);
    char *text = rc ? NULL : json_dumps(arr, JSON_INDENT(1));
    if (!rc && !text) rc = -ENOMEM;
    if (!rc) rc = buf_printf(out, "%s\n", text);
    free(text);
    json_decref(arr);
    return rc;
}
