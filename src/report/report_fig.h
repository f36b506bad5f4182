/* report_fig.h: the report's charts: which charts, from which figures.
 *
 * Across runs (one of each per source, and per mode within a source): max memory per node vs actual
 * QPS; latency percentiles (p50, p90, p99, p99.9) vs actual QPS. With several sources, comparison
 * charts overlay them (p50/p99 latency and node-0 memory vs actual QPS, one colour per source).
 * With modes, overhead charts overlay them (one colour per mode): p50/p99 latency vs actual QPS;
 * latency added to the baseline (p50, p90, p99, p99.9) vs actual QPS; memory and CPU per container
 * (app, the proxy) vs actual QPS. Per run (for the first opts->run_charts runs): time series charts
 * of every metric CSV with points (one line per label set, x = normalized_ts; counters as a rate,
 * one chart per path class, legends and order from report_ts.h), and the
 * latency percentile spectrum on a percentile (log 1/(1-p)) axis. Each chart is described
 * first (a chart_dup copy per figure), then all are drawn once
 * (chart_render) to `<out_dir>/<png>` and to SVG text kept for the page, by
 * one worker thread per core (at most 4); each worker writes only the
 * figures it took, so nothing is shared but the index of the next one. */
#ifndef MESHPERF_REPORT_FIG_H
#define MESHPERF_REPORT_FIG_H

#include <stddef.h>

#include "base/buf.h"
#include "report/chart.h"
#include "report/report_model.h"

enum report_fig_group {
    REPORT_FIG_ACROSS,   /* across runs, per source */
    REPORT_FIG_COMPARE,  /* sources overlaid */
    REPORT_FIG_RUN,      /* one run */
    REPORT_FIG_OVERHEAD, /* modes overlaid: what the sidecar costs (report_compare.h) */
};

struct report_fig {
    enum report_fig_group group;
    long run;            /* index into report->runs for REPORT_FIG_RUN, else -1 */
    int source;          /* source index for REPORT_FIG_ACROSS, else -1 */
    char *title;         /* owned */
    char *png;           /* owned: file name inside the output directory */
    struct buf svg;      /* the chart as an SVG document */
    struct chart *chart; /* owned copy until drawn (chart_dup), then NULL */
};

struct report_figs {
    struct report_fig *v;
    size_t n, cap;
    size_t runs_charted; /* runs that got per-run charts (the first ones) */
};

/* Draw every chart of r, writing PNGs into o->out_dir and appending the
 * figures to figs. 0, or -1 with one line in err. */
int report_fig_all(const struct report *r, const struct report_opts *o, struct report_figs *figs,
                   char *err, size_t errlen);

/* Free figs' contents. NULL is fine. */
void report_fig_free(struct report_figs *figs);

#endif
