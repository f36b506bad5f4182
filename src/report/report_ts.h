/* report_ts.h: how the report turns one metric CSV into per-run time-series
 * charts: which metrics are counters (drawn as a per-second rate), the rate
 * between consecutive samples, which series go on which chart (for a CSV
 * with a `path` label: one chart per path class with traffic, leaving out
 * the driver's own /health and /metrics requests), their natural order
 * (by node, node-2 before node-10) and their legend text (only the labels whose
 * values differ between the chart's series, as `label=value`). Pure
 * functions over the model of report.h; report_fig.c draws the result. */
#ifndef MESHPERF_REPORT_TS_H
#define MESHPERF_REPORT_TS_H

#include <stdbool.h>
#include <stddef.h>

#include "report/report_model.h"

/* True when the metric called name is a counter (a running total): its
 * name ends in `_total`, or holds `_seconds_total` or `cpu_usage_seconds`,
 * and does not hold `rate` (a rate is already per second). So
 * requests_total, container_cpu_usage_seconds_total, cpu_usage_seconds and
 * envoy_cpu_usage_seconds_by_replica_set are counters;
 * memory_working_set_MiB and envoy_2xx_requests_rate_by_replica_set are
 * gauges. */
bool report_ts_is_counter(const char *name);

/* Per-second rate of a counter between consecutive samples into out (n
 * values; out may not alias the inputs): out[0] is NaN (no interval yet),
 * out[i] = (v[i] - v[j]) / (t[i] - t[j]) with j = i - 1, where t is ts when
 * both timestamps are finite, else nts. An interval shorter than half the
 * series' mean sampling interval (a last sample taken just after the one
 * before, which would show as a spike or a drop to 0) is merged with the
 * ones before it: j goes back (at most 8 samples) until it is long enough.
 * A decrease is a counter reset (the process restarted from 0), giving
 * v[i] / dt as Prometheus' rate() does. A non-finite value between j and i
 * or no usable interval gives NaN (a gap in the line). */
void report_ts_rate(const double *ts, const double *nts, const double *v, size_t n, double *out);

/* The charts of metric m, one per group of series. */
struct report_ts_group {
    const char *path; /* the path class shown (borrowed from m, or REPORT_TS_OTHER_PATHS),
                       * or NULL: no split */
    size_t *idx;      /* indices into m->s: by node (natural order: node-2 before
                       * node-10; series without a node last), then by label values
                       * in column order, naturally */
    size_t n;
    bool *differs;    /* m->nlabels flags: does label k take more than one value
                       * among the group's series (for legends) */
    bool any_differs; /* any of them */
};

/* At most this many charts per metric: the paths past the first
 * REPORT_TS_MAX_GROUPS - 1 share the last one, whose path is
 * REPORT_TS_OTHER_PATHS. */
#define REPORT_TS_MAX_GROUPS  32
#define REPORT_TS_OTHER_PATHS "other paths"

/* Split m's series into charts. Without a `path` label: one group with
 * every series. With one: a group per path value other than "health" and
 * "metrics" (the driver's readiness probes and scrapes), "root" (the
 * node's fan-out handler) first, then the others in natural order (see
 * REPORT_TS_MAX_GROUPS); when every series is health or metrics, one group
 * with them all (path NULL). Series with no points are left out; a group is
 * never empty, and m without points gives 0 groups. O(n log n) in m's
 * series. Returns the number of groups, with *groups allocated (free with
 * report_ts_groups_free), or -1 on no memory (*groups NULL). */
int report_ts_groups(const struct report_metric *m, struct report_ts_group **groups);

/* Free groups (n of them) and their arrays. NULL is fine. */
void report_ts_groups_free(struct report_ts_group *groups, size_t n);

/* Legend text of series m->s[g->idx[i]] on the chart of group g:
 * `label=value` for every label whose value is not the same on all of g's
 * series (g->differs), joined by spaces ("pod=node-2", "code=503
 * pod=node-0-0"). When no label differs (one series), every label with a
 * non-empty value; a metric without labels gives its name. Cut to fit
 * outlen. O(labels). */
void report_ts_legend(const struct report_metric *m, const struct report_ts_group *g, size_t i,
                      char *out, size_t outlen);

#endif
