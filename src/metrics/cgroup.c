/* cgroup.c: one cgroup per container (see cgroup.h).
 *
 * Mount points come from /proc/self/mountinfo (v1: the mount whose super
 * options name the controller; v2: the cgroup2 mount), our own groups
 * from /proc/self/cgroup. A tree remembers every directory it made, in
 * order, and removes them in reverse; rmdir of a group fails with EBUSY
 * while a process (even an unreaped zombie) is in it, so removal retries
 * for a bounded time. Trees left by a meshperf that was SIGKILLed
 * (meshperf-<pid> whose pid is gone) are removed when the next tree is
 * opened under the same group. Counters are small files read whole. */
#include "metrics/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/errbuf.h"

#define CGROUP_FILE_MAX   16384 /* memory.stat (v1 with total_*) is ~2 KiB */
#define CGROUP_DIRS_MAX   4096  /* groups in one tree */
#define CGROUP_RM_WAIT_MS 2000

struct cgroup_tree {
    enum cgroup_mode mode;
    char mem_root[CGROUP_PATH_MAX]; /* .../meshperf-<pid> */
    char cpu_root[CGROUP_PATH_MAX]; /* v2: = mem_root */
    char *dirs[CGROUP_DIRS_MAX];    /* made by us, in creation order */
    size_t ndirs;
};

/* The whole of a small file into out (NUL-terminated). 0 or -1. */
static int cgroup_read_text(const char *path, char *out, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t got = 0;
    while (got + 1 < n) {
        ssize_t r = read(fd, out + got, n - 1 - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    out[got] = '\0';
    return got ? 0 : -1;
}

static int cgroup_read_u64(const char *dir, const char *file, uint64_t *v)
{
    char path[CGROUP_PATH_MAX + 64], b[64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (cgroup_read_text(path, b, sizeof b)) return -1;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(b, &end, 10);
    if (errno || end == b) return -1;
    *v = x;
    return 0;
}

static int cgroup_write_text(const char *dir, const char *file, const char *s)
{
    char path[CGROUP_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t w = write(fd, s, strlen(s));
    int e = errno;
    close(fd);
    errno = e;
    return w == (ssize_t)strlen(s) ? 0 : -1;
}

/* Does the comma-separated list hold word? */
static int cgroup_list_has(const char *list, size_t len, const char *word)
{
    size_t wl = strlen(word);
    const char *p = list, *end = list + len;
    while (p < end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        size_t l = c ? (size_t)(c - p) : (size_t)(end - p);
        if (l == wl && !memcmp(p, word, wl)) return 1;
        p += l + 1;
    }
    return 0;
}

static void cgroup_copy(char *dst, const char *src, size_t len)
{
    if (len >= CGROUP_PATH_MAX) len = CGROUP_PATH_MAX - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

void cgroup_parse_mountinfo(const char *text, struct cgroup_mounts *m)
{
    memset(m, 0, sizeof *m);
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        const char *end = nl ? nl : line + strlen(line);
        /* "id parent maj:min root mountpoint opts [optional...] - fstype source superopts" */
        const char *f[5] = {0};
        size_t fl[5] = {0};
        const char *p = line;
        for (int i = 0; i < 5 && p < end; i++) {
            while (p < end && *p == ' ')
                p++;
            f[i] = p;
            while (p < end && *p != ' ')
                p++;
            fl[i] = (size_t)(p - f[i]);
        }
        const char *dash = f[4] ? strstr(f[4], " - ") : NULL;
        if (dash && dash < end) {
            const char *fs = dash + 3, *fse = fs;
            while (fse < end && *fse != ' ')
                fse++;
            const char *src = fse < end ? fse + 1 : end, *srce = src;
            while (srce < end && *srce != ' ')
                srce++;
            const char *opts = srce < end ? srce + 1 : end;
            size_t ol = (size_t)(end - opts);
            size_t fsl = (size_t)(fse - fs);
            if (fsl == 7 && !memcmp(fs, "cgroup2", 7) && !m->v2[0]) {
                cgroup_copy(m->v2, f[4], fl[4]);
            } else if (fsl == 6 && !memcmp(fs, "cgroup", 6)) {
                if (cgroup_list_has(opts, ol, "memory") && !m->v1_memory[0])
                    cgroup_copy(m->v1_memory, f[4], fl[4]);
                if (cgroup_list_has(opts, ol, "cpuacct") && !m->v1_cpuacct[0])
                    cgroup_copy(m->v1_cpuacct, f[4], fl[4]);
            }
        }
        line = nl ? nl + 1 : NULL;
    }
}

void cgroup_parse_self(const char *text, struct cgroup_self *s)
{
    memset(s, 0, sizeof *s);
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        const char *end = nl ? nl : line + strlen(line);
        const char *c1 = memchr(line, ':', (size_t)(end - line));
        const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
        if (c2) {
            const char *ctl = c1 + 1, *path = c2 + 1;
            size_t cl = (size_t)(c2 - ctl), pl = (size_t)(end - path);
            if (cl == 0 && line[0] == '0') {
                cgroup_copy(s->v2, path, pl);
                s->has_v2 = 1;
            } else {
                if (cgroup_list_has(ctl, cl, "memory")) cgroup_copy(s->v1_memory, path, pl);
                if (cgroup_list_has(ctl, cl, "cpuacct")) cgroup_copy(s->v1_cpuacct, path, pl);
            }
        }
        line = nl ? nl + 1 : NULL;
    }
}

int cgroup_stat_value(const char *text, const char *key, uint64_t *v)
{
    size_t kl = strlen(key);
    for (const char *line = text; line && *line;) {
        if (!strncmp(line, key, kl) && line[kl] == ' ') {
            char *end;
            errno = 0;
            unsigned long long x = strtoull(line + kl + 1, &end, 10);
            if (errno || end == line + kl + 1) return -1;
            *v = x;
            return 0;
        }
        line = strchr(line, '\n');
        if (line) line++;
    }
    return -1;
}

int cgroup_group_memory(const struct cgroup_group *g, uint64_t *bytes)
{
    char *stat = malloc(CGROUP_FILE_MAX);
    if (!stat) return -1;
    char path[CGROUP_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/memory.stat", g->mem);
    uint64_t usage = 0, inactive = 0, tcp = 0;
    int rc = -1;
    if (cgroup_read_text(path, stat, CGROUP_FILE_MAX) == 0) {
        if (g->mode == CGROUP_V1)
            rc = cgroup_read_u64(g->mem, "memory.usage_in_bytes", &usage) ||
                         cgroup_stat_value(stat, "total_inactive_file", &inactive)
                     ? -1
                     : 0;
        else
            rc = cgroup_read_u64(g->mem, "memory.current", &usage) ||
                         cgroup_stat_value(stat, "inactive_file", &inactive)
                     ? -1
                     : 0;
    }
    free(stat);
    if (rc) return -1;
    if (g->mode == CGROUP_V1 && cgroup_read_u64(g->mem, "memory.kmem.tcp.usage_in_bytes", &tcp))
        tcp = 0; /* no TCP accounting in this kernel */
    *bytes = (usage > inactive ? usage - inactive : 0) + tcp;
    return 0;
}

int cgroup_group_cpu(const struct cgroup_group *g, double *seconds)
{
    uint64_t v;
    if (g->mode == CGROUP_V1) {
        if (cgroup_read_u64(g->cpu, "cpuacct.usage", &v)) return -1;
        *seconds = (double)v / 1e9;
        return 0;
    }
    char path[CGROUP_PATH_MAX + 32], b[2048];
    snprintf(path, sizeof path, "%s/cpu.stat", g->cpu);
    if (cgroup_read_text(path, b, sizeof b) || cgroup_stat_value(b, "usage_usec", &v)) return -1;
    *seconds = (double)v / 1e6;
    return 0;
}

static int cgroup_read_mounts(struct cgroup_mounts *m)
{
    char *text = malloc(1 << 20);
    if (!text) return -1;
    int rc = cgroup_read_text("/proc/self/mountinfo", text, 1 << 20);
    if (rc == 0) cgroup_parse_mountinfo(text, m);
    free(text);
    return rc;
}

static int cgroup_read_self(pid_t pid, struct cgroup_self *s)
{
    char path[64], b[4096];
    snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
    if (cgroup_read_text(path, b, sizeof b)) return -1;
    cgroup_parse_self(b, s);
    return 0;
}

/* mount + path into out; 0, or -1 when too long. */
static int cgroup_join(char *out, const char *mount, const char *path, const char *leaf)
{
    int n = snprintf(out, CGROUP_PATH_MAX, "%s%s%s%s", mount, strcmp(path, "/") ? path : "",
                     leaf ? "/" : "", leaf ? leaf : "");
    return n < 0 || n >= CGROUP_PATH_MAX ? -1 : 0;
}

int cgroup_group_of_pid(pid_t pid, struct cgroup_group *g)
{
    struct cgroup_self s;
    struct cgroup_mounts m;
    if (cgroup_read_self(pid, &s) || cgroup_read_mounts(&m)) return 0;
    char mark[48];
    snprintf(mark, sizeof mark, "/meshperf-%ld/", (long)getpid());
    memset(g, 0, sizeof *g);
    if (m.v1_memory[0] && m.v1_cpuacct[0] && strstr(s.v1_memory, mark) &&
        strstr(s.v1_cpuacct, mark)) {
        g->mode = CGROUP_V1;
        return !cgroup_join(g->mem, m.v1_memory, s.v1_memory, NULL) &&
               !cgroup_join(g->cpu, m.v1_cpuacct, s.v1_cpuacct, NULL);
    }
    if (m.v2[0] && s.has_v2 && strstr(s.v2, mark)) {
        g->mode = CGROUP_V2;
        return !cgroup_join(g->mem, m.v2, s.v2, NULL) && !cgroup_join(g->cpu, m.v2, s.v2, NULL);
    }
    return 0;
}

/* Remove dir and the empty groups below it (depth-first, bounded depth). */
static void cgroup_rmdir_tree(const char *dir, int depth)
{
    DIR *d = depth < 4 ? opendir(dir) : NULL;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.') continue;
        char sub[CGROUP_PATH_MAX + 256];
        snprintf(sub, sizeof sub, "%s/%s", dir, de->d_name);
        cgroup_rmdir_tree(sub, depth + 1);
    }
    if (d) closedir(d);
    rmdir(dir);
}

/* Remove meshperf-<pid> groups under own whose pid is gone. */
static void cgroup_sweep_stale(const char *own)
{
    DIR *d = opendir(own);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char *end;
        if (strncmp(de->d_name, "meshperf-", 9)) continue;
        long pid = strtol(de->d_name + 9, &end, 10);
        if (*end || pid <= 0 || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        char sub[CGROUP_PATH_MAX + 256];
        snprintf(sub, sizeof sub, "%s/%s", own, de->d_name);
        cgroup_rmdir_tree(sub, 0);
    }
    if (d) closedir(d);
}

/* mkdir path and remember it. 0 (also when it exists), or -1 with errno. */
static int cgroup_mkdir(struct cgroup_tree *t, const char *path)
{
    if (mkdir(path, 0755) < 0) return errno == EEXIST ? 0 : -1;
    char *dup = t->ndirs < CGROUP_DIRS_MAX ? strdup(path) : NULL;
    if (!dup) {
        rmdir(path);
        errno = ENOMEM;
        return -1;
    }
    t->dirs[t->ndirs++] = dup;
    return 0;
}

/* v2: let dir's children have the memory controller. */
static int cgroup_enable_memory(const char *dir)
{
    char path[CGROUP_PATH_MAX + 32], b[512];
    snprintf(path, sizeof path, "%s/cgroup.subtree_control", dir);
    if (cgroup_read_text(path, b, sizeof b) == 0 && strstr(b, "memory")) return 0;
    return cgroup_write_text(dir, "cgroup.subtree_control", "+memory");
}

struct cgroup_tree *cgroup_tree_open(char *note, size_t notelen)
{
    struct cgroup_mounts m;
    struct cgroup_self s;
    if (cgroup_read_mounts(&m) || cgroup_read_self(getpid(), &s)) {
        errbuf_set(note, notelen, "cgroups: cannot read /proc/self/mountinfo or /proc/self/cgroup");
        return NULL;
    }
    struct cgroup_tree *t = calloc(1, sizeof *t);
    if (!t) {
        errbuf_set(note, notelen, "cgroups: out of memory");
        return NULL;
    }
    char leaf[32], own_mem[CGROUP_PATH_MAX], own_cpu[CGROUP_PATH_MAX];
    snprintf(leaf, sizeof leaf, "meshperf-%ld", (long)getpid());
    if (m.v1_memory[0] && m.v1_cpuacct[0] && s.v1_memory[0] && s.v1_cpuacct[0]) {
        t->mode = CGROUP_V1;
        if (cgroup_join(own_mem, m.v1_memory, s.v1_memory, NULL) ||
            cgroup_join(own_cpu, m.v1_cpuacct, s.v1_cpuacct, NULL) ||
            cgroup_join(t->mem_root, m.v1_memory, s.v1_memory, leaf) ||
            cgroup_join(t->cpu_root, m.v1_cpuacct, s.v1_cpuacct, leaf)) {
            errbuf_set(note, notelen, "cgroups: path too long");
            goto fail;
        }
    } else if (m.v2[0] && s.has_v2) {
        t->mode = CGROUP_V2;
        char ctl[CGROUP_PATH_MAX + 32], b[512];
        if (cgroup_join(own_mem, m.v2, s.v2, NULL) || cgroup_join(t->mem_root, m.v2, s.v2, leaf)) {
            errbuf_set(note, notelen, "cgroups: path too long");
            goto fail;
        }
        snprintf(own_cpu, sizeof own_cpu, "%s", own_mem);
        snprintf(t->cpu_root, sizeof t->cpu_root, "%s", t->mem_root);
        snprintf(ctl, sizeof ctl, "%s/cgroup.controllers", own_mem);
        if (cgroup_read_text(ctl, b, sizeof b) || !strstr(b, "memory")) {
            errbuf_set(note, notelen,
                       "cgroups: v2 without the memory controller delegated to %s "
                       "(cgroup.controllers)",
                       own_mem);
            goto fail;
        }
        if (cgroup_enable_memory(own_mem) < 0) {
            errbuf_set(note, notelen,
                       "cgroups: cannot enable memory for the children of %s: %s "
                       "(run meshperf in a group of its own, e.g. systemd-run --scope -p "
                       "Delegate=yes)",
                       own_mem, strerror(errno));
            goto fail;
        }
    } else {
        errbuf_set(note, notelen, "cgroups: no memory controller mounted");
        goto fail;
    }
    cgroup_sweep_stale(own_mem);
    if (t->mode == CGROUP_V1) cgroup_sweep_stale(own_cpu);
    if (cgroup_mkdir(t, t->mem_root) < 0 ||
        (t->mode == CGROUP_V1 && cgroup_mkdir(t, t->cpu_root) < 0)) {
        errbuf_set(note, notelen, "cgroups: mkdir %s: %s", t->ndirs ? t->cpu_root : t->mem_root,
                   strerror(errno));
        goto fail;
    }
    if (t->mode == CGROUP_V2 && cgroup_enable_memory(t->mem_root) < 0) {
        errbuf_set(note, notelen, "cgroups: %s: cannot enable memory: %s", t->mem_root,
                   strerror(errno));
        goto fail;
    }
    return t;
fail:
    cgroup_tree_free(t);
    return NULL;
}

const char *cgroup_tree_describe(const struct cgroup_tree *t)
{
    return t->mode == CGROUP_V1 ? "v1: memory, cpuacct" : "v2";
}

static int cgroup_name_ok(const char *s)
{
    return s && s[0] && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

int cgroup_tree_add(struct cgroup_tree *t, const char *pod, const char *container, int *fds,
                    size_t *nfds, char *err, size_t errlen)
{
    *nfds = 0;
    if (!cgroup_name_ok(pod) || !cgroup_name_ok(container))
        return errbuf_set(err, errlen, "cgroups: bad group name %s/%s", pod ? pod : "",
                          container ? container : "");
    const char *roots[2] = {t->mem_root, t->cpu_root};
    size_t nroots = t->mode == CGROUP_V1 ? 2 : 1;
    for (size_t i = 0; i < nroots; i++) {
        char dir[CGROUP_PATH_MAX + 128], procs[CGROUP_PATH_MAX + 160];
        int n = snprintf(dir, sizeof dir, "%s/%s", roots[i], pod);
        if (n < 0 || (size_t)n >= sizeof dir) goto toolong;
        if (cgroup_mkdir(t, dir) < 0) goto syserr_dir;
        if (t->mode == CGROUP_V2 && cgroup_enable_memory(dir) < 0) goto syserr_dir;
        n = snprintf(dir, sizeof dir, "%s/%s/%s", roots[i], pod, container);
        if (n < 0 || (size_t)n >= sizeof dir) goto toolong;
        if (cgroup_mkdir(t, dir) < 0) goto syserr_dir;
        /* v1: TCP buffers are charged only once a TCP limit was written */
        if (t->mode == CGROUP_V1 && i == 0)
            (void)cgroup_write_text(dir, "memory.kmem.tcp.limit_in_bytes", "-1");
        snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
        int fd = open(procs, O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
            errbuf_set(err, errlen, "cgroups: %s: %s", procs, strerror(errno));
            goto fail;
        }
        fds[(*nfds)++] = fd;
        continue;
    syserr_dir:
        errbuf_set(err, errlen, "cgroups: mkdir %s: %s", dir, strerror(errno));
        goto fail;
    }
    return 0;
toolong:
    errbuf_set(err, errlen, "cgroups: path too long for %s/%s", pod, container);
fail:
    for (size_t i = 0; i < *nfds; i++)
        close(fds[i]);
    *nfds = 0;
    return -1;
}

void cgroup_tree_free(struct cgroup_tree *t)
{
    if (!t) return;
    int waited_ms = 0; /* one budget for the whole tree */
    for (size_t i = t->ndirs; i-- > 0;) {
        while (rmdir(t->dirs[i]) < 0 && errno == EBUSY && waited_ms < CGROUP_RM_WAIT_MS) {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
            waited_ms += 10;
        }
        free(t->dirs[i]);
    }
    free(t);
}
