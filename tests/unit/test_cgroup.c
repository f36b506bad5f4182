/* Unit tests for metrics/cgroup.c: the parsers (mountinfo of a v1, a
 * hybrid and a v2 machine; /proc/<pid>/cgroup with separate and combined
 * controllers; flat-keyed stat files), the working set and CPU read from
 * counter files in a temp dir laid out as v1 and as v2 groups (also a
 * group without TCP accounting, and a missing file), and, where this
 * machine lets us make cgroups, a real tree: a child joins its group
 * between fork and exec, is found by cgroup_group_of_pid, its counters
 * read, and every group is gone after cgroup_tree_free. */
#include "cm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/child.h"
#include "metrics/cgroup.h"

static char tmpdir[] = "/tmp/meshperf-test-cgroup.XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_parse_mountinfo(void **state)
{
    (void)state;
    struct cgroup_mounts m;
    /* hybrid: v1 controllers (cpu,cpuacct combined), a v2 mount beside */
    cgroup_parse_mountinfo(
        "22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n"
        "30 22 0:26 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755\n"
        "31 30 0:27 / /sys/fs/cgroup/unified rw shared:9 - cgroup2 cgroup2 rw,nsdelegate\n"
        "34 30 0:30 / /sys/fs/cgroup/cpu,cpuacct rw shared:12 - cgroup cgroup rw,cpu,cpuacct\n"
        "35 30 0:31 / /sys/fs/cgroup/memory rw shared:13 - cgroup cgroup rw,memory\n"
        "36 30 0:32 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n",
        &m);
    assert_string_equal(m.v1_memory, "/sys/fs/cgroup/memory");
    assert_string_equal(m.v1_cpuacct, "/sys/fs/cgroup/cpu,cpuacct");
    assert_string_equal(m.v2, "/sys/fs/cgroup/unified");
    /* v2 only; "memory" as a mount option of something else does not count */
    cgroup_parse_mountinfo(
        "25 22 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,memory_recursiveprot\n"
        "40 22 0:40 / /mnt/memory rw - tmpfs memory rw\n",
        &m);
    assert_string_equal(m.v1_memory, "");
    assert_string_equal(m.v1_cpuacct, "");
    assert_string_equal(m.v2, "/sys/fs/cgroup");
    /* nothing, and a line cut short */
    cgroup_parse_mountinfo("", &m);
    assert_string_equal(m.v2, "");
    cgroup_parse_mountinfo("36 30 0:32 / /x", &m);
    assert_string_equal(m.v1_memory, "");
}

static void test_parse_self(void **state)
{
    (void)state;
    struct cgroup_self s;
    cgroup_parse_self("9:name=systemd:/\n4:memory:/a/b\n2:cpuacct:/c\n1:cpu:/\n0::/\n", &s);
    assert_string_equal(s.v1_memory, "/a/b");
    assert_string_equal(s.v1_cpuacct, "/c");
    assert_int_equal(s.has_v2, 1);
    assert_string_equal(s.v2, "/");
    cgroup_parse_self("5:cpu,cpuacct:/user.slice\n3:memory:/user.slice", &s);
    assert_string_equal(s.v1_cpuacct, "/user.slice");
    assert_string_equal(s.v1_memory, "/user.slice");
    assert_int_equal(s.has_v2, 0);
    cgroup_parse_self("0::/user.slice/user-0.slice/session-1.scope\n", &s);
    assert_string_equal(s.v1_memory, "");
    assert_string_equal(s.v2, "/user.slice/user-0.slice/session-1.scope");
}

static void test_stat_value(void **state)
{
    (void)state;
    const char *st = "cache 659456\ninactive_file 61440\ntotal_inactive_file 4096\nx notanumber\n";
    uint64_t v = 0;
    assert_int_equal(cgroup_stat_value(st, "inactive_file", &v), 0);
    assert_int_equal(v, 61440);
    assert_int_equal(cgroup_stat_value(st, "total_inactive_file", &v), 0);
    assert_int_equal(v, 4096);
    assert_int_equal(cgroup_stat_value(st, "inactive", &v), -1); /* a prefix is not a key */
    assert_int_equal(cgroup_stat_value(st, "x", &v), -1);
    assert_int_equal(cgroup_stat_value(st, "missing", &v), -1);
    assert_int_equal(cgroup_stat_value("usage_usec 1500000", "usage_usec", &v), 0);
    assert_int_equal(v, 1500000);
}

static void test_read_v1(void **state)
{
    (void)state;
    struct cgroup_group g = {.mode = CGROUP_V1};
    snprintf(g.mem, sizeof g.mem, "%s/v1mem", tmpdir);
    snprintf(g.cpu, sizeof g.cpu, "%s/v1cpu", tmpdir);
    assert_int_equal(mkdir(g.mem, 0755), 0);
    assert_int_equal(mkdir(g.cpu, 0755), 0);
    put(g.mem, "memory.usage_in_bytes", "10000000\n");
    /* inactive_file is the group's own; total_ counts its children too */
    put(g.mem, "memory.stat", "cache 1\ninactive_file 100\ntotal_inactive_file 2000000\n");
    put(g.mem, "memory.kmem.tcp.usage_in_bytes", "500000\n");
    put(g.cpu, "cpuacct.usage", "2500000000\n");
    uint64_t b = 0;
    double s = 0;
    assert_int_equal(cgroup_group_memory(&g, &b), 0);
    assert_int_equal(b, 10000000 - 2000000 + 500000); /* usage - inactive file + TCP */
    assert_int_equal(cgroup_group_cpu(&g, &s), 0);
    assert_true(s == 2.5);
    /* a kernel without TCP accounting: usage - inactive file */
    char p[600];
    snprintf(p, sizeof p, "%s/memory.kmem.tcp.usage_in_bytes", g.mem);
    unlink(p);
    assert_int_equal(cgroup_group_memory(&g, &b), 0);
    assert_int_equal(b, 8000000);
    /* more inactive file than usage (counters read apart): 0, not a wrap */
    put(g.mem, "memory.stat", "total_inactive_file 20000000\n");
    assert_int_equal(cgroup_group_memory(&g, &b), 0);
    assert_int_equal(b, 0);
    /* the group is gone */
    snprintf(p, sizeof p, "%s/memory.usage_in_bytes", g.mem);
    unlink(p);
    assert_int_equal(cgroup_group_memory(&g, &b), -1);
    snprintf(p, sizeof p, "%s/cpuacct.usage", g.cpu);
    unlink(p);
    assert_int_equal(cgroup_group_cpu(&g, &s), -1);
}

static void test_read_v2(void **state)
{
    (void)state;
    struct cgroup_group g = {.mode = CGROUP_V2};
    snprintf(g.mem, sizeof g.mem, "%s/v2", tmpdir);
    snprintf(g.cpu, sizeof g.cpu, "%s/v2", tmpdir);
    assert_int_equal(mkdir(g.mem, 0755), 0);
    put(g.mem, "memory.current", "7340032\n");
    put(g.mem, "memory.stat",
        "anon 4000000\nfile 3000000\nsock 1000000\n"
        "active_file 1048576\ninactive_file 2097152\n");
    put(g.mem, "cpu.stat", "usage_usec 1250000\nuser_usec 1000000\nsystem_usec 250000\n");
    put(g.mem, "memory.kmem.tcp.usage_in_bytes", "999\n"); /* not read in v2 */
    uint64_t b = 0;
    double s = 0;
    assert_int_equal(cgroup_group_memory(&g, &b), 0);
    assert_int_equal(b, 7340032 - 2097152);
    assert_int_equal(cgroup_group_cpu(&g, &s), 0);
    assert_true(s == 1.25);
    put(g.mem, "cpu.stat", "user_usec 1000000\n");
    assert_int_equal(cgroup_group_cpu(&g, &s), -1);
}

static void test_not_ours(void **state)
{
    (void)state;
    struct cgroup_group g;
    assert_int_equal(cgroup_group_of_pid(getpid(), &g), 0);   /* in no meshperf tree */
    assert_int_equal(cgroup_group_of_pid(0x7ffffff0, &g), 0); /* no such process */
}

static int dir_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A real tree, where this machine allows one. */
static void test_real_tree(void **state)
{
    (void)state;
    char note[512], err[512];
    struct cgroup_tree *t = cgroup_tree_open(note, sizeof note);
    if (!t) {
        fprintf(stderr, "# skipped (%s)\n", note);
        skip();
    }
    int fds[CGROUP_FDS_MAX];
    size_t n = 9;
    assert_int_equal(cgroup_tree_add(t, "node-0/x", "app", fds, &n, err, sizeof err), -1);
    assert_string_equal(err, "cgroups: bad group name node-0/x/app");
    assert_int_equal(n, 0);
    assert_int_equal(cgroup_tree_add(t, "node-0-0", "..", fds, &n, err, sizeof err), -1);
    if (cgroup_tree_add(t, "node-0-0", "app", fds, &n, err, sizeof err) < 0) fail_msg("%s", err);
    assert_true(n >= 1 && n <= CGROUP_FDS_MAX);

    char *argv[] = {"/bin/sh", "-c", "x=$(head -c 8000000 /dev/zero | tr '\\0' a); sleep 30", NULL};
    struct child_opts o = {.argv = argv, .cgroup_procs_fds = fds, .ncgroup_procs_fds = n};
    struct child *c = child_start(&o, err, sizeof err);
    assert_non_null(c);
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
    struct cgroup_group g;
    int in = 0; /* the child joins before its exec, a moment after fork */
    for (int i = 0; i < 250 && !(in = cgroup_group_of_pid(child_pid(c), &g)); i++)
        usleep(20000);
    assert_int_equal(in, 1);
    char suffix[64];
    snprintf(suffix, sizeof suffix, "/meshperf-%ld/node-0-0/app", (long)getpid());
    size_t ml = strlen(g.mem), sl = strlen(suffix);
    assert_true(ml > sl && !strcmp(g.mem + ml - sl, suffix));
    assert_true(dir_exists(g.mem) && dir_exists(g.cpu));
    /* the shell builds an 8 MB string: its group's working set sees it */
    uint64_t b = 0;
    double s = 0;
    for (int i = 0; i < 200 && b < 8000000; i++) {
        usleep(20000);
        assert_int_equal(cgroup_group_memory(&g, &b), 0);
    }
    if (b < 8000000) fail_msg("working set %llu, want >= 8 MB", (unsigned long long)b);
    assert_int_equal(cgroup_group_cpu(&g, &s), 0);
    assert_true(s > 0);
    child_free(c); /* stops and reaps it */
    char mem[CGROUP_PATH_MAX], cpu[CGROUP_PATH_MAX];
    snprintf(mem, sizeof mem, "%s", g.mem);
    snprintf(cpu, sizeof cpu, "%s", g.cpu);
    *strrchr(mem, '/') = '\0';
    *strrchr(mem, '/') = '\0'; /* .../meshperf-<pid> */
    cgroup_tree_free(t);
    assert_false(dir_exists(g.mem));
    assert_false(dir_exists(g.cpu));
    assert_false(dir_exists(mem));
    cgroup_tree_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_mountinfo), cmocka_unit_test(test_parse_self),
        cmocka_unit_test(test_stat_value),      cmocka_unit_test(test_read_v1),
        cmocka_unit_test(test_read_v2),         cmocka_unit_test(test_not_ours),
        cmocka_unit_test(test_real_tree),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
