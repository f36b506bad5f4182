/* series.h: an in-memory set of labelled time series.
 *
 * A series_set is what one metric evaluates to: a name (the metric name,
 * which becomes the CSV file name and value column) and a list of series.
 * Each series has labels (name=value pairs, kept sorted by name, names
 * unique) and points. A point is a timestamp (Unix seconds as a double;
 * meshperf keeps millisecond resolution, as Prometheus does) and a value
 * kept as text: the exact string Prometheus sent ("0.5", "NaN", "+Inf"),
 * or the shortest round-tripping decimal of a double (series_add_double).
 *
 * Storage: the set owns everything. Series are allocated one by one and
 * held by pointer, so a `struct series *` stays valid until the set is
 * freed (procstat keeps such pointers). A series' value strings live in one
 * capped buffer (struct buf) and points refer to them by offset.
 *
 * Caps (struct series_limits) bound the number of series, the total number
 * of points and the total bytes of value text in a set, so that a huge
 * Prometheus answer or a long sampler run fails cleanly (-ENOBUFS) instead
 * of exhausting memory.
 *
 * Not thread-safe: one owner at a time (procstat guards its sets with its
 * own mutex and hands them over with procstat_take). */
#ifndef MESHPERF_SERIES_H
#define MESHPERF_SERIES_H

#include <stddef.h>

#include "base/buf.h"

/* Caps of one set. A field left 0 takes the default below. */
struct series_limits {
    size_t max_series;      /* series in the set */
    size_t max_points;      /* points over all series of the set */
    size_t max_value_bytes; /* bytes of value text over all series */
};
#define SERIES_DEFAULT_MAX_SERIES      100000
#define SERIES_DEFAULT_MAX_POINTS      10000000
#define SERIES_DEFAULT_MAX_VALUE_BYTES (256u << 20)

/* Longest text series_format_double / series_format_ts produce, with NUL
 * (a double in positional notation needs at most ~330 characters). */
#define SERIES_NUM_MAX 400

struct series_label {
    char *name;  /* owned by the series; never empty */
    char *value; /* owned by the series; may be "" */
};

struct series_point {
    double ts;        /* Unix seconds */
    size_t value_off; /* offset of the NUL-terminated value in series.values */
};

/* Read-only to users: change a series only through the functions below. */
struct series {
    struct series_label *labels; /* sorted by name (strcmp), names unique */
    size_t nlabels;
    struct series_point *points; /* in the order added */
    size_t npoints, points_cap;
    struct buf values; /* the value strings, NUL-separated */
};

struct series_set {
    char *name;             /* owned; the metric name */
    struct series **series; /* owned; in the order added (see series_set_sort) */
    size_t nseries, series_cap;
    size_t total_points, total_value_bytes;
    struct series_limits lim;
};

/* New empty set called `name` (copied; may be "" but not NULL), with the
 * given caps (NULL: all defaults). Returns NULL only when out of memory.
 * Free with series_set_free. */
struct series_set *series_set_new(const char *name, const struct series_limits *lim);

/* Free the set, its series and all their strings. NULL is fine. */
void series_set_free(struct series_set *set);

/* Rename the set (name copied). 0, or -ENOMEM (old name kept). */
int series_set_rename(struct series_set *set, const char *name);

/* Add a new series with n labels (copied; given in any order, sorted here).
 * Does not look for an existing series with the same labels (see
 * series_set_find). On success stores the series in *out (owned by the set)
 * and returns 0. Errors (set unchanged, one line in err): -EINVAL for an
 * empty or NULL label name or a duplicate name, -ENOBUFS past max_series,
 * -ENOMEM. */
int series_set_add(struct series_set *set, const struct series_label *labels, size_t n,
                   struct series **out, char *err, size_t errlen);

/* The series whose labels are exactly these (any order), or NULL. Linear
 * in the number of series. */
struct series *series_set_find(const struct series_set *set, const struct series_label *labels,
                               size_t n);

/* Append a point whose value is the text `value` (copied as is; not
 * checked to be a number). s must belong to set. 0, -ENOBUFS past
 * max_points or max_value_bytes (set unchanged), -ENOMEM. */
int series_add_point(struct series_set *set, struct series *s, double ts, const char *value);

/* Append a point whose value is v, as text by series_format_double.
 * Same returns as series_add_point. */
int series_add_double(struct series_set *set, struct series *s, double ts, double v);

/* The value text of point i (i < s->npoints). Valid until the next add. */
const char *series_point_value(const struct series *s, size_t i);

/* The value of label `name`, or NULL when the series lacks it. */
const char *series_label(const struct series *s, const char *name);

/* Order two series by their label values: walk the union of their label
 * names in name order; at the first name where they differ, a series that
 * lacks the label sorts first, else strcmp of the values decides. So series
 * sort as their CSV rows read left to right. <0, 0 (same labels), >0. */
int series_cmp(const struct series *a, const struct series *b);

/* Sort the set's series with series_cmp (stable for equal labels). */
void series_set_sort(struct series_set *set);

/* v as Prometheus writes floats: shortest decimal that reads back as the
 * same double, positional (never an exponent), "NaN", "+Inf", "-Inf".
 * out must hold SERIES_NUM_MAX bytes. Returns out. */
char *series_format_double(double v, char *out);

/* A timestamp (Unix seconds) rounded to the millisecond, without trailing
 * zeros or exponent: 1700000000, 1700000000.5, 1700000000.123. Negative
 * values (differences) are fine. out must hold SERIES_NUM_MAX bytes.
 * Returns out. */
char *series_format_ts(double ts, char *out);

/* ts in whole milliseconds, rounded (exact differences of timestamps). */
long long series_ts_ms(double ts);

#endif
