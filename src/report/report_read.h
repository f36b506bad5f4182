/* report_read.h: reading results for `meshperf report`: finding runs in a
 * source's store, and parsing fortio.json and metric CSVs into
 * the model of report_model.h. Every file is read once, whole, then parsed from
 * memory (jansson for JSON, a small RFC 4180 reader for CSV). */
#ifndef MESHPERF_REPORT_READ_H
#define MESHPERF_REPORT_READ_H

#include <stddef.h>

#include "report/report_model.h"
#include "store/store.h"

/* A growable list of runs (report_read_source appends to it). */
struct report_runs {
    struct report_run *v;
    size_t n, cap;
};

/* Find every run in store st (its top directory if that is one; else
 * `<test>/<ts>` below it, up to 4 levels down; names starting with '.' are
 * skipped) and read each (fortio.json and every *.csv), appending to runs with
 * run->source = source. A directory is a run when it holds fortio.json,
 * config.json or a *.csv object; directories below a run are not searched.
 * path is the source as given: the top directory's own name and its
 * parent's come from it. Each run's key is its directory in st; its mode
 * (report_model.h) comes from a top-level mode directory (<mode>/<test>/
 * <ts>) or from path's last segment. Returns 0 (zero runs found is not an error here),
 * or -1 with one line in err when the store cannot be listed ("results: No
 * such file or directory") or on no memory. */
int report_read_source(struct store *st, const char *path, int source, struct report_runs *runs,
                       char *err, size_t errlen);

/* Parse Fortio-schema JSON text into run (has_fortio, requested_qps,
 * actual_qps, count, min, max, errors, buckets, pctls). Numbers may also be
 * given as strings ("Count": "10", as Nighthawk writes). Returns 0, or -1
 * with one line in err: "line L, column C: <jansson's message>" or
 * "$.DurationHistogram.Data[2].Count: expected a number, got object".
 * Fields parsed before an error are kept. */
int report_read_fortio(const char *text, size_t len, struct report_run *run, char *err,
                       size_t errlen);

/* Parse the CSV text of metric `name` (columns metric.<label>..., timestamp,
 * <name>, normalized_ts) into m, which must be zeroed; m->name is set to a
 * copy of name. Values may be NaN, +Inf, -Inf; an empty cell is NaN. A
 * header-only file gives zero series; at most 2^20 series (label sets).
 * Returns 0, or -1 with one line in err ("line 3: column 'timestamp': not a
 * number 'x'", "line 9: more than 1048576 label sets"); m then holds the
 * rows before the bad one. */
int report_read_csv(const char *text, size_t len, const char *name, struct report_metric *m,
                    char *err, size_t errlen);

/* The canonical mode name ("baseline", "both", "serveronly",
 * "clientonly": the modes of `meshperf run --modes`) equal to name, or
 * NULL. Static. */
const char *report_read_mode(const char *name);

/* Free m's contents. NULL is fine. */
void report_read_metric_free(struct report_metric *m);

/* Append one problem to run->warn ("a; b"). No memory: silently dropped. */
void report_read_warn(struct report_run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Copy into out the "node-N" found in s (a label value), or return 0 when s
 * holds no "node-<digits>". Returns the length copied. */
size_t report_read_node(const char *s, char *out, size_t outlen);

#endif
