/* serve_metrics.c: counters and Prometheus text exposition (see
 * serve_metrics.h). Rendering sums every worker's counters with relaxed
 * loads, then prints the families in a fixed order, each with its HELP and
 * TYPE lines, histogram buckets cumulative and ending in +Inf. */
#include "serve/serve_metrics.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

const int64_t serve_bucket_us[SERVE_BUCKETS] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 5000000,
};

static const char *const path_names[SERVE_PATH_N] = {"root",    "echo", "health",
                                                     "metrics", "rest", "other"};
static const char *const outcome_names[SERVE_OUTCOME_N] = {"ok", "error", "timeout", "refused"};

struct serve_stats *serve_stats_new(size_t nbackends)
{
    struct serve_stats *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->nbackends = nbackends;
    if (nbackends) {
        s->backend = calloc(nbackends, sizeof *s->backend);
        if (!s->backend) {
            free(s);
            return NULL;
        }
    }
    return s;
}

void serve_stats_free(struct serve_stats *s)
{
    if (!s) return;
    free(s->backend);
    free(s);
}

void serve_stats_request(struct serve_stats *s, enum serve_path path, int code, int64_t us)
{
    if (code < 0 || code >= SERVE_CODES) code = 0;
    if (us < 0) us = 0;
    serve_counter_add(&s->requests[path][code], 1);
    size_t b = 0;
    while (b < SERVE_BUCKETS && us > serve_bucket_us[b])
        b++;
    serve_counter_add(&s->bucket[path][b], 1);
    serve_counter_add(&s->sum_us[path], (uint64_t)us);
}

static uint64_t ld(serve_counter *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* A label value with \, " and newline escaped. */
static int put_label(struct buf *out, const char *v)
{
    int rc = 0;
    for (; *v && !rc; v++) {
        if (*v == '\\')
            rc = buf_puts(out, "\\\\");
        else if (*v == '"')
            rc = buf_puts(out, "\\\"");
        else if (*v == '\n')
            rc = buf_puts(out, "\\n");
        else
            rc = buf_append(out, v, 1);
    }
    return rc;
}

int serve_metrics_render(struct buf *out, struct serve_stats *const *stats, size_t n,
                         const char *const *backend_names, const struct serve_proc *proc)
{
    int rc = 0;
#define P(...)                                                                                     \
    do {                                                                                           \
        if ((rc = buf_printf(out, __VA_ARGS__))) return rc;                                        \
    } while (0)
    P("# HELP meshperf_requests_total Requests answered, by status code and path class.\n"
      "# TYPE meshperf_requests_total counter\n");
    for (int p = 0; p < SERVE_PATH_N; p++) {
        for (int c = 0; c < SERVE_CODES; c++) {
            uint64_t v = 0;
            for (size_t i = 0; i < n; i++)
                v += ld(&stats[i]->requests[p][c]);
            if (v)
                P("meshperf_requests_total{code=\"%d\",path=\"%s\"} %llu\n", c, path_names[p],
                  (unsigned long long)v);
        }
    }
    P("# HELP meshperf_request_duration_seconds Time from a request's complete head to its "
      "response being queued.\n"
      "# TYPE meshperf_request_duration_seconds histogram\n");
    for (int p = 0; p < SERVE_PATH_N; p++) {
        uint64_t cum = 0, sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += ld(&stats[i]->sum_us[p]);
        for (int b = 0; b <= SERVE_BUCKETS; b++) {
            for (size_t i = 0; i < n; i++)
                cum += ld(&stats[i]->bucket[p][b]);
            if (b < SERVE_BUCKETS)
                P("meshperf_request_duration_seconds_bucket{path=\"%s\",le=\"%g\"} %llu\n",
                  path_names[p], (double)serve_bucket_us[b] / 1e6, (unsigned long long)cum);
            else
                P("meshperf_request_duration_seconds_bucket{path=\"%s\",le=\"+Inf\"} %llu\n",
                  path_names[p], (unsigned long long)cum);
        }
        P("meshperf_request_duration_seconds_sum{path=\"%s\"} %.6f\n", path_names[p],
          (double)sum / 1e6);
        P("meshperf_request_duration_seconds_count{path=\"%s\"} %llu\n", path_names[p],
          (unsigned long long)cum);
    }
    size_t nb = n ? stats[0]->nbackends : 0;
    if (nb) {
        P("# HELP meshperf_backend_requests_total Calls to backends, by backend and outcome.\n"
          "# TYPE meshperf_backend_requests_total counter\n");
        for (size_t b = 0; b < nb; b++) {
            for (int o = 0; o < SERVE_OUTCOME_N; o++) {
                uint64_t v = 0;
                for (size_t i = 0; i < n; i++)
                    v += ld(&stats[i]->backend[b][o]);
                P("meshperf_backend_requests_total{backend=\"");
                if ((rc = put_label(out, backend_names[b]))) return rc;
                P("\",outcome=\"%s\"} %llu\n", outcome_names[o], (unsigned long long)v);
            }
        }
    }
    int64_t inflight = 0, conns = 0;
    uint64_t refused = 0;
    for (size_t i = 0; i < n; i++) {
        inflight += atomic_load_explicit(&stats[i]->inflight, memory_order_relaxed);
        conns += atomic_load_explicit(&stats[i]->open_conns, memory_order_relaxed);
        refused += atomic_load_explicit(&stats[i]->refused_conns, memory_order_relaxed);
    }
    P("# HELP meshperf_inflight_requests Requests received and not yet answered.\n"
      "# TYPE meshperf_inflight_requests gauge\nmeshperf_inflight_requests %lld\n",
      (long long)inflight);
    P("# HELP meshperf_open_connections Client connections open.\n"
      "# TYPE meshperf_open_connections gauge\nmeshperf_open_connections %lld\n",
      (long long)conns);
    P("# HELP meshperf_refused_connections_total Client connections refused (503) over "
      "-max-connections.\n"
      "# TYPE meshperf_refused_connections_total counter\n"
      "meshperf_refused_connections_total %llu\n",
      (unsigned long long)refused);
    P("# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
      "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.2f\n",
      proc->cpu_seconds);
    P("# HELP process_open_fds Number of open file descriptors.\n"
      "# TYPE process_open_fds gauge\nprocess_open_fds %.0f\n",
      proc->open_fds);
    P("# HELP process_max_fds Maximum number of open file descriptors.\n"
      "# TYPE process_max_fds gauge\nprocess_max_fds %.0f\n",
      proc->max_fds);
    P("# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
      "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %.0f\n",
      proc->rss_bytes);
    P("# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
      "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes %.0f\n",
      proc->vsize_bytes);
    P("# HELP process_start_time_seconds Start time of the process since unix epoch in "
      "seconds.\n"
      "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.2f\n",
      proc->start_time_seconds);
#undef P
    return 0;
}

int serve_proc_read(struct serve_proc *p)
{
    memset(p, 0, sizeof *p);
    long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) p->max_fds = (double)rl.rlim_cur;
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        int k = 0;
        while (readdir(d))
            k++;
        closedir(d);
        p->open_fds = k > 3 ? k - 3 : 0; /* ".", ".." and the DIR's own fd */
    }
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f) return -1;
    char line[1024];
    size_t len = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[len] = '\0';
    char *s = strrchr(line, ')'); /* comm may hold spaces */
    if (!s) return -1;
    /* fields after comm start at 3 (state); utime 14, stime 15, starttime 22,
     * vsize 23, rss 24 */
    unsigned long long utime = 0, stime = 0, start = 0, vsize = 0;
    long long rss = 0;
    if (sscanf(s + 2,
               "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d "
               "%*d %llu %llu %lld",
               &utime, &stime, &start, &vsize, &rss) != 5)
        return -1;
    p->cpu_seconds = (double)(utime + stime) / (double)tick;
    p->vsize_bytes = (double)vsize;
    p->rss_bytes = (double)rss * (double)page;
    /* boot time from /proc/stat "btime" */
    f = fopen("/proc/stat", "r");
    if (f) {
        char l[256];
        while (fgets(l, sizeof l, f)) {
            unsigned long long bt;
            if (sscanf(l, "btime %llu", &bt) == 1) {
                p->start_time_seconds = (double)bt + (double)start / (double)tick;
                break;
            }
        }
        fclose(f);
    }
    return 0;
}
