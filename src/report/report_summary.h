/* report_summary.h: the report's table, one row per run: summary.csv and
 * the table of index.html come from the same column functions, so they
 * cannot disagree. Columns (docs/REPORT.md):
 *   source, test, ts, requested_qps, actual_qps, requests,
 *   p50_ms, p90_ms, p99_ms, p99_9_ms, errors,
 *   mem_max_mib_<node> for every node, cpu_cores_<node> for every node,
 *   status, reason,
 * and, when the report has modes (report_compare.h), appended so that the
 * columns before keep their places:
 *   mode, sidecar_traversals, proxied_rps, app_cpu_cores,
 *   sidecar_cpu_cores, app_mem_mib, sidecar_mem_mib,
 *   sidecar_vcpu_per_1k_rps, sidecar_mib_per_1k_rps,
 *   added_p50_ms ... added_p99_9_ms, added_p50_ms_per_hop ...
 *   added_p99_9_ms_per_hop.
 * The modes' headline table (compare.csv and the page's overhead table),
 * one row per mode other than baseline, comes from the report_summary_mode_*
 * functions:
 *   source, mode, sidecar, runs, sidecar_traversals,
 *   sidecar_vcpu_per_1k_rps, sidecar_mib_per_1k_rps, added_p50_ms ...
 *   added_p99_9_ms, added_p50_ms_per_hop ... added_p99_9_ms_per_hop,
 *   at_1000_rps (how the figures were taken at 1000 rps).
 * An unknown value is an empty cell. Numbers are printed with up to 10
 * significant digits (%.10g).
 *
 * status (and reason, "" when there is nothing to say) is derived from
 * what the run left, so results of older runs get one too: "failed" (no
 * fortio.json), "interrupted" (MeshperfStopped), "degraded" (ActualQPS
 * short of RequestedQPS, or requests sent >100 ms late or never per
 * MeshperfLate / MeshperfUnsent, beyond base/degraded.h's default
 * tolerance; or no metric CSV at all), else "ok".
 *
 * In summary.csv a cell that is not a number and starts with = + - @, tab
 * or CR (a spreadsheet formula: OWASP's CSV injection) is written quoted,
 * with a single quote in front: "'=HYPERLINK(...)". */
#ifndef MESHPERF_REPORT_SUMMARY_H
#define MESHPERF_REPORT_SUMMARY_H

#include <stddef.h>

#include "report/report_model.h"

/* Number of columns for r. */
size_t report_summary_ncols(const struct report *r);

/* Name of column col into out. Returns out. */
const char *report_summary_colname(const struct report *r, size_t col, char *out, size_t outlen);

/* Text of run's cell in column col into out ("" when unknown). Returns out. */
const char *report_summary_cell(const struct report *r, size_t run, size_t col, char *out,
                                size_t outlen);

/* Write the table as CSV (RFC 4180 quoting where a cell needs it) to path.
 * 0, or -1 with one line in err naming the file. */
int report_summary_write(const struct report *r, const char *path, char *err, size_t errlen);

/* The modes' headline table: its number of columns, column names and
 * cells of row (an index into r->modes), as above. */
size_t report_summary_mode_ncols(void);
const char *report_summary_mode_colname(size_t col, char *out, size_t outlen);
const char *report_summary_mode_cell(const struct report *r, size_t row, size_t col, char *out,
                                     size_t outlen);

/* Write the modes' headline table as CSV to path (compare.csv). 0, or -1
 * with one line in err naming the file. */
int report_summary_write_modes(const struct report *r, const char *path, char *err, size_t errlen);

#endif
