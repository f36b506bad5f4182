/* report.h: the entry point of `meshperf report` (cmd_report.c calls
 * report_build), and the model functions report.c defines. The types are
 * in report_model.h, which the lower report files include instead.
 *
 * report_build reads every source through its store (report_read.c), then
 * writes summary.csv (report_summary.c), the charts as PNG + inline SVG
 * (report_fig.c) and index.html (report_html.c). */
#ifndef MESHPERF_REPORT_H
#define MESHPERF_REPORT_H

#include <stdio.h>

#include "report/report_model.h"

/* Build the whole report: read every source, derive, write summary.csv,
 * the charts and index.html into o->out_dir. Warnings (one line per run
 * with missing or bad files) go to warnf. Returns 0; 1 when there is
 * nothing to report (no run found; err says where it looked); 2 when a
 * source cannot be read (missing, not a directory); -1 on other
 * failures (output not writable, no memory); err then holds one line. */
int report_build(const struct report_opts *o, const struct report_source *src, size_t nsrc,
                 FILE *warnf, char *err, size_t errlen);

/* Read every source into r (r->sources/nsources set by the caller) and
 * derive the stats; print each run's warnings (one line per run) to warnf
 * if non-NULL. 0; -1 when a source cannot be read, -2 on no memory, with
 * one line in err. Free with report_free (also after a failure). */
int report_load(struct report *r, const struct report_opts *o, FILE *warnf, char *err,
                size_t errlen);

/* The latency at percent p (0..100) of run, in seconds: the Percentiles
 * entry for p when the file has it, else linear interpolation inside the
 * histogram bucket that holds p (Fortio's method), else NaN. */
double report_run_percentile(const struct report_run *run, double p);

/* The metric of run to use for kind "memory" or "cpu": the one named by
 * override if given, else among metrics whose name contains kind
 * (case-insensitive) the first of: one in MiB/MB, one in bytes, any; ties by
 * name. NULL when none. */
const struct report_metric *report_pick_metric(const struct report_run *run, const char *kind,
                                               const char *override);

/* Free everything r owns (not sources). NULL is fine. */
void report_free(struct report *r);

/* Free one run's contents. NULL is fine. */
void report_run_free(struct report_run *run);

#endif
