/* csvout.h: a series set as the original harness's metric CSV.
 *
 * The original flattened each Prometheus query_range matrix into
 * `<metric name>.csv`, and its analysis reads those files. The shape:
 *
 *   metric.<l1>,...,metric.<lk>,timestamp,<metric name>,normalized_ts
 *
 * - one `metric.<label>` column per label name present in ANY series of
 *   the set, sorted by name; a series lacking a label leaves that cell empty;
 * - one row per point, series after series, the series in series_cmp order
 *   (by their label values, as the rows read left to right), the points of
 *   a series in the order they were added (time order for Prometheus);
 * - `timestamp`: Unix seconds to the millisecond, no exponent, no trailing
 *   zeros (1700000000, 1700000000.5) - what Prometheus sends;
 * - the value column: the value text as stored (Prometheus's own string,
 *   so "NaN", "+Inf", "-Inf" pass through unchanged);
 * - `normalized_ts`: the row's timestamp minus the FIRST timestamp of that
 *   series, computed in whole milliseconds (exact), same format;
 * - lines end in "\n"; a cell holding a comma, double quote, CR or LF is
 *   quoted per RFC 4180 (inner quotes doubled); other cells are bare.
 *
 * An empty set (no series, or only series without points) writes the
 * header-only file `timestamp,<metric name>,normalized_ts\n`: there are no
 * labels to name columns after. The caller warns, naming the metric.
 * Series with no points add no rows but do add their label columns. */
#ifndef MESHPERF_CSVOUT_H
#define MESHPERF_CSVOUT_H

#include <stddef.h>

#include "base/buf.h"
#include "metrics/series.h"

/* Append the CSV text of set to out (out's cap bounds it). 0, -ENOBUFS
 * when out's cap is reached (out then holds a truncated prefix: do not use
 * it), -ENOMEM. */
int csvout_render(const struct series_set *set, struct buf *out);

/* Is name usable as a CSV file name: non-empty, at most 200 bytes, no '/',
 * no NUL, not "." or ".."? 1 yes, 0 no. */
int csvout_name_ok(const char *name);

#endif
