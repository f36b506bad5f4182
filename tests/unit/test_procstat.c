/* Unit tests for procstat.c on real child processes: a child that touches a
 * known amount of memory and burns a known amount of CPU, its death
 * (reaped and zombie), a restart under the same labels, a process tree,
 * the Prometheus exposition checked by `promtool check metrics`, and a
 * process in a cgroup of a meshperf tree sampled from that group (where
 * this machine lets us make one).
 * procstat.c is included (not linked from the library) so that one test can
 * call the sampler with a /proc scan of its choosing. */
#include "cm.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/child.h"
#include "base/mono.h"
#include "metrics/procstat.c" /* statics: scan_all, sample_one (the library's copy is not linked) */

#define MiB (1024.0 * 1024.0)

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Make mib MiB resident (volatile: the compiler may not drop it). */
static void touch(int mib)
{
    volatile char *m = malloc((size_t)mib << 20);
    for (size_t i = 0; i < (size_t)mib << 20; i += 4096)
        m[i] = 1;
}

/* In the child: touch mem_mib MiB, burn cpu_s seconds of CPU, fork a
 * grandchild that touches grand_mib MiB (if > 0), report ready on fd, wait. */
static void child_body(int fd, int mem_mib, double cpu_s, int grand_mib)
{
    if (grand_mib > 0 && fork() == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        touch(grand_mib);
        ssize_t w = write(fd, "g", 1);
        (void)w;
        for (;;)
            pause();
    }
    touch(mem_mib);
    volatile double x = 0;
    while (cpu_now() < cpu_s)
        x += 1;
    ssize_t w = write(fd, "r", 1);
    (void)w;
    for (;;)
        pause();
}

/* Start a child and wait until it (and its grandchild) are ready. */
static pid_t start_child(int mem_mib, double cpu_s, int grand_mib)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
        child_body(p[1], mem_mib, cpu_s, grand_mib);
        _exit(0);
    }
    close(p[1]);
    char c;
    for (int need = grand_mib > 0 ? 2 : 1; need > 0; need--)
        assert_int_equal(read(p[0], &c, 1), 1);
    close(p[0]);
    return pid;
}

static void stop_child(pid_t pid)
{
    kill(-pid, SIGKILL); /* no group: harmless */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static double last_value(struct series_set *set, size_t si)
{
    struct series *s = set->series[si];
    return strtod(series_point_value(s, s->npoints - 1), NULL);
}

static void test_memory_and_cpu(void **state)
{
    pid_t pid = start_child(48, 0.3, 0);
    char err[256];
    struct procstat *ps = procstat_new(0.05, NULL, err, sizeof(err));
    assert_non_null(ps);
    assert_int_equal(procstat_add(ps, pid, "node-0-0", "app", "meshperf", 0, err, sizeof(err)), 0);
    assert_int_equal(procstat_alive(ps, pid), 1);
    assert_string_equal(procstat_source(ps, "node-0-0", "app"), "proc"); /* in no tree */
    assert_null(procstat_source(ps, "node-0-0", "nope"));
    assert_int_equal(procstat_start(ps, err, sizeof(err)), 0);
    assert_int_equal(procstat_start(ps, err, sizeof(err)), -1);
    assert_string_equal(err, "sampler already running");
    struct timespec ts = {0, 400 * 1000 * 1000}; /* let the thread take a few samples */
    nanosleep(&ts, NULL);
    procstat_stop(ps);

    struct series_set *mem = procstat_take(ps, PROCSTAT_MEM_BYTES);
    struct series_set *mib = procstat_take(ps, PROCSTAT_MEM_MIB);
    struct series_set *cpu = procstat_take(ps, PROCSTAT_CPU_TOTAL);
    struct series_set *cpus = procstat_take(ps, PROCSTAT_CPU_SECONDS);
    assert_string_equal(mem->name, "container_memory_working_set_bytes");
    assert_string_equal(mib->name, "memory_working_set_MiB");
    assert_string_equal(cpu->name, "container_cpu_usage_seconds_total");
    assert_string_equal(cpus->name, "cpu_usage_seconds");
    assert_int_equal(mem->nseries, 1);
    struct series *s = mem->series[0];
    assert_string_equal(series_label(s, "pod"), "node-0-0");
    assert_string_equal(series_label(s, "container"), "app");
    assert_string_equal(series_label(s, "namespace"), "meshperf");
    assert_true(s->npoints >= 3); /* start + stop + at least one from the thread */
    double bytes = last_value(mem, 0);
    if (bytes < 48 * MiB || bytes > 48 * MiB + 64 * MiB) fail_msg("RSS %.0f not ~48 MiB", bytes);
    assert_true(last_value(mib, 0) == bytes / MiB);
    double c = last_value(cpu, 0);
    if (c < 0.25 || c > 5) fail_msg("cpu %.3f s, want >= 0.3 s burnt", c);
    /* cpu_usage_seconds: 0 at the first sample, never decreasing. */
    struct series *cs = cpus->series[0];
    assert_string_equal(series_point_value(cs, 0), "0");
    for (size_t i = 1; i < cs->npoints; i++)
        assert_true(strtod(series_point_value(cs, i), NULL) >=
                    strtod(series_point_value(cs, i - 1), NULL));
    for (size_t i = 1; i < s->npoints; i++)
        assert_true(s->points[i].ts > s->points[i - 1].ts);
    double now = (double)wall_ns() / 1e9;
    assert_true(s->points[0].ts > now - 60 && s->points[0].ts <= now);
    series_set_free(mem), series_set_free(mib), series_set_free(cpu), series_set_free(cpus);

    /* Taken: the next take is empty until new samples. */
    struct series_set *again = procstat_take(ps, PROCSTAT_MEM_BYTES);
    assert_int_equal(again->nseries, 0);
    series_set_free(again);
    assert_null(procstat_take(ps, PROCSTAT_NMETRICS));
    assert_null(procstat_metric_name(PROCSTAT_NMETRICS));

    stop_child(pid);
    procstat_free(ps);
    procstat_free(NULL);
}

static void test_death_and_restart(void **state)
{
    char err[256];
    struct procstat *ps = procstat_new(1, NULL, err, sizeof(err));
    pid_t a = start_child(1, 0.2, 0);
    assert_int_equal(procstat_add(ps, a, "node-1-0", "app", "ns", 0, err, sizeof(err)), 0);
    assert_int_equal(procstat_sample(ps, 1), 1);
    struct series_set *cpu0 = procstat_take(ps, PROCSTAT_CPU_TOTAL);
    double before = last_value(cpu0, 0);
    series_set_free(cpu0);
    series_set_free(procstat_take(ps, PROCSTAT_MEM_BYTES));

    /* Killed but not reaped (zombie): counts as gone. */
    kill(a, SIGKILL);
    for (int i = 0; i < 200 && procstat_alive(ps, a); i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(procstat_alive(ps, a), 0);
    assert_int_equal(procstat_sample(ps, 1), 0);
    waitpid(a, NULL, 0);
    assert_int_equal(procstat_sample(ps, 1), 0); /* reaped: still fine */
    struct series_set *m = procstat_take(ps, PROCSTAT_MEM_BYTES);
    assert_int_equal(m->nseries, 0); /* no points while gone */
    series_set_free(m);

    /* Restart: a new pid, same labels. The counter continues. */
    pid_t b = start_child(1, 0.2, 0);
    assert_int_equal(procstat_add(ps, b, "node-1-0", "app", "ns", 0, err, sizeof(err)), 0);
    assert_int_equal(procstat_sample(ps, 1), 1);
    struct series_set *cpu1 = procstat_take(ps, PROCSTAT_CPU_TOTAL);
    assert_int_equal(cpu1->nseries, 1);
    double after = last_value(cpu1, 0);
    if (after < before + 0.15)
        fail_msg("counter %.3f after restart, %.3f before: want retired + new", after, before);
    series_set_free(cpu1);

    assert_int_equal(procstat_add(ps, 999999999, "node-1-0", "app", "ns", 0, err, sizeof(err)), -1);
    assert_string_equal(err, "process 999999999 (node-1-0/app): no such process");
    assert_int_equal(procstat_add(ps, b, "", "app", "ns", 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "pod, container and namespace must be non-empty"));
    assert_null(procstat_new(0, NULL, err, sizeof(err)));
    assert_string_equal(err, "sample interval must be between 10ms and 1h (got 0 s)");
    stop_child(b);
    procstat_free(ps);
}

/* A replica with a sidecar: two processes under one pod, told apart by
 * the container label, each its own series (as a platform lists them in
 * replica.containers[]). */
static void test_containers_per_replica(void **state)
{
    (void)state;
    pid_t app = start_child(24, 0, 0), side = start_child(8, 0, 0);
    char err[256];
    struct procstat *ps = procstat_new(1, NULL, err, sizeof(err));
    assert_non_null(ps);
    assert_int_equal(procstat_add(ps, app, "node-0-0", "app", "ns", 0, err, sizeof(err)), 0);
    assert_int_equal(procstat_add(ps, side, "node-0-0", "proxy", "ns", 0, err, sizeof(err)), 0);
    assert_int_equal(procstat_sample(ps, 1), 2); /* two live containers */
    struct series_set *mem = procstat_take(ps, PROCSTAT_MEM_BYTES);
    assert_int_equal(mem->nseries, 2);
    double got[2] = {0, 0};
    for (size_t i = 0; i < 2; i++) {
        struct series *s = mem->series[i];
        assert_string_equal(series_label(s, "pod"), "node-0-0");
        const char *c = series_label(s, "container");
        assert_true(strcmp(c, "app") == 0 || strcmp(c, "proxy") == 0);
        got[strcmp(c, "app") == 0 ? 0 : 1] = last_value(mem, i);
    }
    if (got[0] < 24 * MiB || got[1] < 8 * MiB || got[1] > got[0])
        fail_msg("app %.0f, proxy %.0f bytes: want ~24 and ~8 MiB apart", got[0], got[1]);
    series_set_free(mem);
    /* the sidecar ends: the app's series go on alone */
    stop_child(side);
    assert_int_equal(procstat_alive(ps, side), 0);
    assert_int_equal(procstat_alive(ps, app), 1);
    assert_int_equal(procstat_sample(ps, 1), 1);
    mem = procstat_take(ps, PROCSTAT_MEM_BYTES);
    assert_int_equal(mem->nseries, 1);
    assert_string_equal(series_label(mem->series[0], "container"), "app");
    series_set_free(mem);
    stop_child(app);
    procstat_free(ps);
}

static void test_tree(void **state)
{
    char err[256];
    pid_t a = start_child(1, 0, 40);
    struct procstat *ps = procstat_new(1, NULL, err, sizeof(err));
    assert_int_equal(
        procstat_add(ps, a, "node-2-0", "proxy", "ns", PROCSTAT_TREE, err, sizeof(err)), 0);
    assert_int_equal(procstat_add(ps, a, "node-2-0", "alone", "ns", 0, err, sizeof(err)), 0);
    assert_int_equal(procstat_sample(ps, 1), 2);
    struct series_set *m = procstat_take(ps, PROCSTAT_MEM_BYTES);
    assert_int_equal(m->nseries, 2);
    /* sorted by labels: container=alone first */
    assert_string_equal(series_label(m->series[0], "container"), "alone");
    double alone = last_value(m, 0), tree = last_value(m, 1);
    if (tree < alone + 40 * MiB)
        fail_msg("tree %.0f, alone %.0f: grandchild's 40 MiB not counted", tree, alone);
    series_set_free(m);
    kill(-a, SIGKILL);
    stop_child(a);
    procstat_free(ps);
}

/* A tree member that exits between the /proc scan and the read of its
 * statm (a race in real use) must still count its CPU: the container's
 * counter never goes backwards. Made deterministic by sampling with a scan
 * taken while the member lived, after it has been reaped. */
static void test_tree_member_exits_mid_sample(void **state)
{
    char err[256];
    pid_t kid = start_child(1, 0.3, 0);
    struct procstat *ps = procstat_new(1, NULL, err, sizeof(err));
    assert_int_equal(
        procstat_add(ps, getpid(), "node-0-0", "app", "ns", PROCSTAT_TREE, err, sizeof(err)), 0);
    size_t nold;
    struct pinfo *old = scan_all(&nold); /* the kid is live in it */
    assert_non_null(old);
    pthread_mutex_lock(&ps->mu);
    struct container *c = ps->c[0];
    sample_one(ps, c, old, nold, 1, 1);
    double c1 = c->cpu;
    stop_child(kid); /* reaped: /proc/<kid> is gone, the old scan still lists it */
    sample_one(ps, c, old, nold, 2, 1);
    double c2 = c->cpu;
    size_t nnow;
    struct pinfo *now = scan_all(&nnow);
    sample_one(ps, c, now, nnow, 3, 1);
    double c3 = c->cpu;
    pthread_mutex_unlock(&ps->mu);
    if (c1 < 0.25) fail_msg("the kid's 0.3 s of CPU not counted at first: %.2f", c1);
    if (c2 < c1) fail_msg("counter went back from %.2f to %.2f (member gone mid-sample)", c1, c2);
    if (c3 < c2) fail_msg("counter went back from %.2f to %.2f (member retired)", c2, c3);
    free(old);
    free(now);
    procstat_free(ps);
}

static void test_render_prometheus(void **state)
{
    char err[256];
    pid_t a = start_child(1, 0, 0);
    struct procstat *ps = procstat_new(1, NULL, err, sizeof(err));
    assert_int_equal(procstat_add(ps, a, "node-0-0", "app", "ns", 0, err, sizeof(err)), 0);
    assert_int_equal(procstat_add(ps, getpid(), "node-1-0", "we\"ird\\", "ns", 0, err, sizeof(err)),
                     0);
    struct buf b;
    buf_init(&b, 1 << 16);
    assert_int_equal(procstat_render_prometheus(ps, &b), 0);
    assert_non_null(strstr(b.data, "# TYPE container_memory_working_set_bytes gauge\n"));
    assert_non_null(strstr(b.data, "# TYPE container_cpu_usage_seconds_total counter\n"));
    assert_non_null(strstr(b.data, "container_memory_working_set_bytes{container=\"app\",namespace="
                                   "\"ns\",pod=\"node-0-0\"} "));
    assert_non_null(strstr(b.data, "container=\"we\\\"ird\\\\\""));
    for (char *l = b.data; *l; l = strchr(l, '\n') + 1) { /* values: positional, no exponent */
        char *nl = strchr(l, '\n');
        assert_non_null(nl);
        if (*l == '#') continue;
        char *sp = memrchr(l, ' ', (size_t)(nl - l));
        assert_non_null(sp);
        assert_null(memchr(sp, 'e', (size_t)(nl - sp)));
        assert_true(strtod(sp + 1, NULL) >= 0);
    }

    /* promtool must accept it. */
    if (system("command -v promtool >/dev/null 2>&1") == 0) {
        FILE *chk = popen("promtool check metrics", "w");
        assert_non_null(chk);
        fwrite(b.data, 1, b.len, chk);
        int rc = pclose(chk);
        if (!(WIFEXITED(rc) && WEXITSTATUS(rc) == 0))
            fail_msg("promtool check metrics rejected:\n%s", b.data);
    } else {
        printf("# promtool not installed: exposition not checked\n");
    }

    /* Once the child is gone its lines disappear. */
    stop_child(a);
    buf_reset(&b);
    assert_int_equal(procstat_render_prometheus(ps, &b), 0);
    assert_null(strstr(b.data, "node-0-0"));
    assert_non_null(strstr(b.data, "node-1-0"));
    struct buf tiny;
    buf_init(&tiny, 16);
    assert_int_equal(procstat_render_prometheus(ps, &tiny), -ENOBUFS);
    buf_free(&tiny);
    buf_free(&b);
    procstat_free(ps);
}

/* A container whose process runs in a group of our tree is read from the
 * group: its working set includes what the process's child touched (the
 * group holds the whole tree without PROCSTAT_TREE) and sources.json says
 * so. */
static void test_cgroup_source(void **state)
{
    (void)state;
    char note[512], err[512];
    struct cgroup_tree *t = cgroup_tree_open(note, sizeof note);
    if (!t) {
        fprintf(stderr, "# skipped (%s)\n", note);
        skip();
    }
    int fds[CGROUP_FDS_MAX];
    size_t n;
    if (cgroup_tree_add(t, "node-0-0", "app", fds, &n, err, sizeof err) < 0) fail_msg("%s", err);
    /* sh (registered) runs a child that holds 16 MB in a shell variable */
    char *argv[] = {"/bin/sh", "-c",
                    "sh -c 'x=$(head -c 16000000 /dev/zero | tr \"\\0\" a); sleep 30' & sleep 30",
                    NULL};
    struct child_opts o = {.argv = argv, .cgroup_procs_fds = fds, .ncgroup_procs_fds = n};
    struct child *c = child_start(&o, err, sizeof err);
    assert_non_null(c);
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
    struct cgroup_group g;
    int in = 0;
    for (int i = 0; i < 250 && !(in = cgroup_group_of_pid(child_pid(c), &g)); i++)
        usleep(20000);
    assert_int_equal(in, 1);
    struct procstat *ps = procstat_new(0.05, NULL, err, sizeof err);
    assert_non_null(ps);
    assert_int_equal(procstat_add(ps, child_pid(c), "node-0-0", "app", "ns", 0, err, sizeof err),
                     0);
    assert_string_equal(procstat_source(ps, "node-0-0", "app"),
                        g.mode == CGROUP_V1 ? "cgroup-v1" : "cgroup-v2");
    double mem = 0;
    for (int i = 0; i < 250 && mem < 16e6; i++) {
        usleep(20000);
        assert_int_equal(procstat_sample(ps, 0), 1);
        mem = ps->c[0]->mem;
    }
    if (mem < 16e6) fail_msg("working set %.0f, want >= 16 MB (the child's string)", mem);
    assert_int_equal(ps->c[0]->from_cg, 1);
    struct buf b;
    buf_init(&b, 4096);
    assert_int_equal(procstat_render_sources(ps, &b), 0);
    assert_non_null(strstr(b.data, "\"pod\": \"node-0-0\""));
    assert_non_null(strstr(b.data, g.mode == CGROUP_V1 ? "\"source\": \"cgroup-v1\""
                                                       : "\"source\": \"cgroup-v2\""));
    buf_free(&b);
    /* gone: no point, never an error */
    child_free(c);
    assert_int_equal(procstat_sample(ps, 0), 0);
    procstat_free(ps);
    cgroup_tree_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_and_cpu),
        cmocka_unit_test(test_death_and_restart),
        cmocka_unit_test(test_containers_per_replica),
        cmocka_unit_test(test_tree),
        cmocka_unit_test(test_tree_member_exits_mid_sample),
        cmocka_unit_test(test_render_prometheus),
        cmocka_unit_test(test_cgroup_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
