/* report_model.h: the model of `meshperf report`: the types every report
 * file shares, and nothing else (the entry point is report.h).
 *
 * A report reads one or more sources (results stores laid out as
 * `<test>/<driver_ts>/{config.json,fortio.json,<metric>.csv}`), holds every
 * run found in memory (struct report_run: the parts of fortio.json the
 * report uses, and every metric CSV as series), and derives per-run figures
 * (percentiles, errors, max memory and mean CPU per node) once.
 *
 * Modes (`meshperf run --modes`): a run belongs to mode baseline, both,
 * serveronly or clientonly when its directory is `<mode>/<test>/<ts>` at
 * the top of its source, or when the source itself is such a mode
 * directory or carries the mode as its -compare label. Runs with modes get
 * the mesh-overhead figures of report_compare.h.
 *
 * Node names: a series belongs to node `node-N` when one of its label
 * values contains "node-<digits>" (pod node-0-0, replica set node-0-5d8f,
 * kubernetes_pod_name node-0-abc-xyz all give node-0). */
#ifndef MESHPERF_REPORT_MODEL_H
#define MESHPERF_REPORT_MODEL_H

#include <stdbool.h>
#include <stddef.h>

/* One label set of one metric CSV. */
struct report_series {
    char *name;  /* label values joined by "/" in column order; the metric name if none */
    char *node;  /* "node-N" found in a label value, or NULL */
    char **lv;   /* the metric's nlabels label values, in column order ("" when empty); owned */
    double *ts;  /* n timestamps (Unix s) */
    double *nts; /* n normalized_ts (s from the series' first point) */
    double *v;   /* n values; NaN / +-Inf kept as such */
    size_t n, cap;
};

/* One `<metric>.csv`. */
struct report_metric {
    char *name; /* file name without .csv */
    struct report_series *s;
    size_t ns;
    char **labels; /* label names (the `metric.` columns without the prefix), owned */
    size_t nlabels;
};

/* A point of a latency distribution: percent 0..100 and value in seconds. */
struct report_pctl {
    double p, v;
};

/* A DurationHistogram.Data bucket: [start, end) seconds, cumulative percent. */
struct report_bucket {
    double start, end, pct;
};

struct report_run {
    int source; /* index into struct report's sources */
    char *dir;  /* the run directory as found */
    char *test; /* parent directory's name */
    char *ts;   /* the run directory's name (driver_ts) */
    bool has_fortio;
    char *requested_qps; /* RequestedQPS as text ("max", "1000"), or NULL */
    double actual_qps;   /* NaN when unknown */
    double count;        /* DurationHistogram.Count; NaN when unknown */
    double min, max;     /* DurationHistogram Min / Max, seconds */
    double errors;       /* responses whose RetCodes key is not 2xx (so "-1" too); NaN if none */
    bool stopped;        /* MeshperfStopped: the load was interrupted */
    double late_far;     /* requests sent >= DEGRADED_LATE_US late (MeshperfLate); NaN if unknown */
    double unsent;       /* MeshperfUnsent; NaN if unknown */
    struct report_bucket *buckets; /* DurationHistogram.Data, in file order */
    size_t nbuckets;
    struct report_pctl *pctls; /* the Percentiles array, in file order */
    size_t npctls;
    struct report_metric *metrics; /* sorted by name */
    size_t nmetrics;
    char *warn; /* one line of problems met while reading (missing / bad files), or NULL */
    char *key;  /* the run's directory as a key of its source's store ("" at the top) */
    char *mode; /* "baseline", "both", "serveronly", "clientonly", or NULL (no mode) */
    int family; /* runs compared with one another's baseline share it: the source
                 * index for a mode directory inside a source, -1 for a mode
                 * given by the source's path or label */
};

/* A run's figures, derived once (report.c). Arrays are indexed like the
 * report's nodes. */
struct report_stats {
    double pct_ms[4]; /* p50, p90, p99, p99.9 in ms; NaN when unknown */
    double *mem_mib;  /* max over time of the node's memory (its series summed per timestamp) */
    double *cpu;      /* mean CPU cores used by the node over the run */
    /* with modes only (else NULL), indexed like report->containers: */
    double *ctr_mem_mib; /* sum over the container's series (pods) of each one's max */
    double *ctr_cpu;     /* sum over its series of each one's mean CPU cores */
};

/* A run's mesh-overhead figures (report_compare.c); NaN when unknown. */
struct report_overhead {
    double traversals;           /* sidecar traversals per load request (0 for baseline) */
    double proxied_rps;          /* actual_qps x traversals */
    double app_cpu, sidecar_cpu; /* cores: container "app", every other container */
    double app_mib, sidecar_mib; /* MiB, likewise (ctr_mem_mib summed) */
    double vcpu_per_1k;          /* sidecar_cpu / (proxied_rps / 1000) */
    double mib_per_1k;           /* sidecar_mib / (proxied_rps / 1000) */
    double added_ms[4];          /* p50, p90, p99, p99.9 minus the baseline run's of the
                                  * same test and family */
    double hop_ms[4];            /* added_ms / traversals, when the test's graph is a chain */
    long base_run;               /* the baseline run compared with, -1 when none */
};

/* One mode of one family: its headline figures at 1000 requests/s (of
 * actual QPS), interpolated between the runs around it or taken from the
 * nearest (how says which). */
struct report_mode_row {
    int family;          /* as report_run.family */
    const char *mode;    /* borrowed from a run */
    const char *source;  /* the family's source label, or NULL (-1) */
    const char *sidecar; /* the first non-app container seen, or NULL */
    size_t nruns;
    double traversals; /* per request, of the run nearest 1000 rps */
    double vcpu_per_1k, mib_per_1k, added_ms[4], hop_ms[4];
    char how[128]; /* "interpolated between 812.4 and 1340 rps", "nearest run: 500.2 rps" */
};

struct store;

struct report_source {
    const char *label;   /* --compare label, or the path given */
    const char *path;    /* the SOURCE as given: a directory or a store URI */
    struct store *store; /* opened from path by the caller (store_open), not owned */
};

struct report_opts {
    const char *out_dir;       /* created if missing */
    int run_charts;            /* per-run charts for at most this many runs (<0: all) */
    const char *memory_metric; /* NULL: choose (see report_pick_metric) */
    const char *cpu_metric;
    bool chart_data; /* also write each chart's points as fig-NNN-<what>.csv (series,x,y) */
};

struct report {
    const struct report_source *sources;
    size_t nsources;
    struct report_run *runs; /* sorted by source, test, ts */
    size_t nruns;
    char **nodes; /* every node seen in the memory / CPU metric, natural order */
    size_t nnodes;
    struct report_stats *stats; /* nruns entries */
    const char *mem_name;       /* name of the memory metric used (any run), for labels */
    const char *cpu_name;
    bool mem_bytes; /* memory metric is in bytes (shown as MiB) */
    /* modes (report_compare.c); has_modes false: all NULL / 0 */
    bool has_modes;
    char **containers; /* container label values of the memory / CPU metrics */
    size_t ncontainers;
    struct report_overhead *over; /* nruns entries */
    struct report_mode_row *modes;
    size_t nmodes;
};

#define REPORT_CONTAINERS_MAX 16 /* containers tracked; more are left out */

#define REPORT_PCTS                                                                                \
    {                                                                                              \
        50, 90, 99, 99.9                                                                           \
    }

#endif
