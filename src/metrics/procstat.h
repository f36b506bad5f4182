/* procstat.h: the built-in sampler of the topology's processes (/proc).
 *
 * A container-like view of local processes, so that the same PromQL (and
 * the same report) works locally and on a cluster. The driver registers
 * each process it started with Kubernetes-style labels (pod=node-0-<hash>-<suffix>,
 * container=app, namespace=...); processes that share all three labels form
 * one "container" whose values are summed, like a cgroup. Per container the
 * sampler reads, when its processes run in a cgroup meshperf made for the
 * container (metrics/cgroup.h), that group's working set and CPU usage, as
 * cAdvisor does on a cluster; otherwise:
 * - memory working set = resident set size of its processes, from
 *   /proc/<pid>/statm field 2 (resident pages) * page size. That is the same
 *   counter as VmRSS in /proc/<pid>/status, read from one short line.
 *   cAdvisor's working set is the cgroup's usage minus inactive file pages;
 *   for a single process RSS is the closest measure (it counts shared
 *   library pages the process maps; it does not count page cache).
 * - CPU seconds = (utime + stime) / sysconf(_SC_CLK_TCK) from
 *   /proc/<pid>/stat, of the process itself (all its threads). Children are
 *   NOT counted through cutime/cstime (those only appear once a child is
 *   reaped); instead a process registered with PROCSTAT_TREE also counts its
 *   live descendants (found by ppid on each sample: an nginx master and its
 *   workers). The counter is kept monotonic like a container's: when a
 *   process of the container exits, its last seen CPU time is retired into
 *   the container's total, so a restart (a new pid added with the same
 *   labels) continues the count.
 * - start time (field 22 of stat) is recorded at registration and checked
 *   on every sample: a pid reused by another process counts as gone.
 *
 * A process that exits is recorded as gone: its container gets no point
 * for samples where none of its processes lives (a gap), never an error.
 *
 * Metrics (names in docs/METRICS.md), all labelled container, namespace, pod:
 *   container_memory_working_set_bytes  gauge, bytes (cAdvisor's name)
 *   container_cpu_usage_seconds_total   counter, seconds (cAdvisor's name)
 *   memory_working_set_MiB              gauge, bytes / 2^20 (what the report plots)
 *   cpu_usage_seconds                   CPU seconds used since procstat_start
 *
 * Threading: the sampler runs in its own thread between procstat_start and
 * procstat_stop, sampling every interval (a timed wait on a condition
 * variable on CLOCK_MONOTONIC, so stop is immediate). All functions are
 * safe to call from any thread; state is behind one mutex. */
#ifndef MESHPERF_PROCSTAT_H
#define MESHPERF_PROCSTAT_H

#include <stddef.h>
#include <sys/types.h>

#include "base/buf.h"
#include "metrics/series.h"

enum procstat_metric {
    PROCSTAT_MEM_BYTES,   /* container_memory_working_set_bytes */
    PROCSTAT_CPU_TOTAL,   /* container_cpu_usage_seconds_total */
    PROCSTAT_MEM_MIB,     /* memory_working_set_MiB */
    PROCSTAT_CPU_SECONDS, /* cpu_usage_seconds */
    PROCSTAT_NMETRICS
};

/* Flags for procstat_add. */
#define PROCSTAT_TREE 1 /* also count the process's live descendants */

struct procstat;

/* The metric's name (also the CSV file name). NULL for an unknown value. */
const char *procstat_metric_name(enum procstat_metric m);

/* New sampler taking a sample every interval_s seconds (>= 0.01) while
 * started, keeping its series under caps lim (NULL: defaults). NULL with one
 * line in err on a bad interval or no memory. Free with procstat_free. */
struct procstat *procstat_new(double interval_s, const struct series_limits *lim, char *err,
                              size_t errlen);

/* Stop if running, free everything (including series not taken). NULL ok. */
void procstat_free(struct procstat *ps);

/* Register pid under labels pod/container/namespace (copied; non-empty).
 * May be called at any time, also while sampling (a restarted node: add its
 * new pid with the same labels). The pid must exist now: its start time is
 * read here. 0, or -1 with one line in err (no such process, bad labels,
 * -ENOMEM). */
int procstat_add(struct procstat *ps, pid_t pid, const char *pod, const char *container,
                 const char *namespace_, int flags, char *err, size_t errlen);

/* Is pid registered and still the same live process (as of now)? 1 / 0. */
int procstat_alive(struct procstat *ps, pid_t pid);

/* Start sampling: forget the series of the previous window, take a first
 * sample at once, then one every interval in the sampler thread. 0, or -1
 * with err (already running, thread creation failed). */
int procstat_start(struct procstat *ps, char *err, size_t errlen);

/* Take a last sample, stop the thread and wait for it. No-op if not
 * running. The series stay until procstat_take / the next start. */
void procstat_stop(struct procstat *ps);

/* Hand over the series accumulated for metric m since the last start (the
 * caller owns the returned set and frees it with series_set_free; the
 * sampler continues with an empty set). Sorted by labels. NULL when out of
 * memory or m is unknown. Best called after procstat_stop. */
struct series_set *procstat_take(struct procstat *ps, enum procstat_metric m);

/* Take one sample now (outside the thread's schedule), recording points
 * into the series when record != 0. Returns how many containers had a live
 * process. */
int procstat_sample(struct procstat *ps, int record);

/* Append to out the current values (read from /proc now, not recorded) of
 * container_memory_working_set_bytes and container_cpu_usage_seconds_total
 * in the Prometheus text exposition format 0.0.4 (HELP, TYPE, one line per
 * live container; label values escaped), for a local Prometheus to scrape.
 * 0, -ENOBUFS at out's cap, -ENOMEM. Serve with Content-Type
 * "text/plain; version=0.0.4; charset=utf-8". */
int procstat_render_prometheus(struct procstat *ps, struct buf *out);

/* Where pod/container's values come from: "cgroup-v1", "cgroup-v2" (its
 * own cgroup) or "proc" (its processes' /proc files); NULL when it is not
 * registered. Static string. */
const char *procstat_source(const struct procstat *ps, const char *pod, const char *container);

/* Append to out a JSON array, one object per registered container:
 * {"namespace", "pod", "container", "source"} with source as
 * procstat_source says (the run stores it as sources.json beside the
 * CSVs). 0, -ENOBUFS at out's cap, -ENOMEM. */
int procstat_render_sources(struct procstat *ps, struct buf *out);

#endif
