/* cgroup.h: one cgroup per container, measured as a cluster measures it.
 *
 * Where the machine lets meshperf create cgroups, each local container
 * (app, sidecar) runs in its own group below meshperf's own:
 *   <own>/meshperf-<driver pid>/<pod>/<container>
 * in the memory and cpuacct hierarchies (cgroup v1, each mounted where
 * /proc/self/mountinfo says) or in the one unified hierarchy (v2, where
 * the memory controller can be enabled for the subtree: delegation).
 * v1 is used when the memory controller is mounted as v1, else v2.
 *
 * Memory is cAdvisor's working set: usage minus inactive file pages
 * (v1: memory.usage_in_bytes - total_inactive_file of memory.stat; v2:
 * memory.current - inactive_file), so kernel memory counts. v1 charges TCP
 * socket buffers to a separate counter that cgroup_tree_add switches on
 * (memory.kmem.tcp.limit_in_bytes, written unlimited) and that is added
 * here (memory.kmem.tcp.usage_in_bytes), so that socket buffers count as
 * they do in v2's memory.current. CPU is the group's usage (v1
 * cpuacct.usage in ns; v2 cpu.stat usage_usec).
 *
 * A process joins its group between fork and exec (base/child.h:
 * cgroup_procs_fds, the fds cgroup_tree_add opens), so its whole life is
 * accounted. The sampler finds a process's group from /proc/<pid>/cgroup
 * (cgroup_group_of_pid): only groups under meshperf-<this pid> count.
 *
 * Threading: a tree has one owner; the read functions are reentrant. */
#ifndef MESHPERF_CGROUP_H
#define MESHPERF_CGROUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CGROUP_PATH_MAX 512
#define CGROUP_FDS_MAX  2 /* cgroup.procs files a process writes itself into (v1: 2) */

enum cgroup_mode { CGROUP_NONE = 0, CGROUP_V1 = 1, CGROUP_V2 = 2 };

/* Where the hierarchies are mounted (from /proc/self/mountinfo). */
struct cgroup_mounts {
    char v1_memory[CGROUP_PATH_MAX]; /* "" when the memory controller is not a v1 mount */
    char v1_cpuacct[CGROUP_PATH_MAX];
    char v2[CGROUP_PATH_MAX]; /* the cgroup2 mount, "" when none */
};

/* A process's groups, as /proc/<pid>/cgroup names them (hierarchy paths). */
struct cgroup_self {
    char v1_memory[CGROUP_PATH_MAX]; /* "" when not listed */
    char v1_cpuacct[CGROUP_PATH_MAX];
    char v2[CGROUP_PATH_MAX]; /* the "0::" line */
    int has_v2;
};

/* One container's group: the directories its counters are read from. */
struct cgroup_group {
    enum cgroup_mode mode;
    char mem[CGROUP_PATH_MAX]; /* v2: mem and cpu are the same directory */
    char cpu[CGROUP_PATH_MAX];
};

/* Parse /proc/self/mountinfo text into m (fields left "" when absent).
 * Never fails; text is not modified. */
void cgroup_parse_mountinfo(const char *text, struct cgroup_mounts *m);

/* Parse /proc/<pid>/cgroup text ("4:memory:/a/b", "2:cpu,cpuacct:/a",
 * "0::/a") into s. Never fails. */
void cgroup_parse_self(const char *text, struct cgroup_self *s);

/* The value of "key <number>" in a flat-keyed file's text (memory.stat,
 * cpu.stat). 0, or -1 when the key is missing or not a number. */
int cgroup_stat_value(const char *text, const char *key, uint64_t *v);

/* g's memory working set in bytes (see the top). 0, or -1 when a counter
 * cannot be read (the group is gone). */
int cgroup_group_memory(const struct cgroup_group *g, uint64_t *bytes);

/* g's CPU usage in seconds. 0, or -1 when it cannot be read. */
int cgroup_group_cpu(const struct cgroup_group *g, double *seconds);

/* Is pid in a group of a tree this process made (<...>/meshperf-<getpid()>/
 * <pod>/<container>)? 1 with g filled, 0 when not (or pid is gone). */
int cgroup_group_of_pid(pid_t pid, struct cgroup_group *g);

struct cgroup_tree;

/* Create <own>/meshperf-<getpid()> in the hierarchies this process may
 * write. NULL when it cannot (no cgroup mounted, no permission, v2 without
 * delegation), with one line in note saying why ("cgroups: mkdir
 * /sys/fs/cgroup/memory/x/meshperf-12: Permission denied"); then the
 * caller measures from /proc. Free with cgroup_tree_free. */
struct cgroup_tree *cgroup_tree_open(char *note, size_t notelen);

/* "v1: memory, cpuacct" or "v2", for notes. */
const char *cgroup_tree_describe(const struct cgroup_tree *t);

/* Create the group of pod/container (names without '/', not "." or "..")
 * and open its cgroup.procs file(s) for writing into fds (close-on-exec);
 * *nfds gets their count (<= CGROUP_FDS_MAX). The caller passes them to
 * child_start (child_opts.cgroup_procs_fds) and closes them after. 0, or -1
 * with one line in err (then fds are closed and *nfds is 0). */
int cgroup_tree_add(struct cgroup_tree *t, const char *pod, const char *container, int *fds,
                    size_t *nfds, char *err, size_t errlen);

/* Remove every group the tree made (deepest first), waiting (bounded,
 * 2 s in all) for groups whose last processes are still being torn down; call
 * after those processes were reaped. Then free. NULL is fine. */
void cgroup_tree_free(struct cgroup_tree *t);

#endif
