/* hist.h: an HDR-style log-linear histogram of non-negative integers.
 *
 * Values (microseconds, bytes, ...) between `lowest` and `highest` are kept
 * to `sigfigs` significant decimal digits: buckets are powers of two, each
 * split into linear sub-buckets fine enough for that precision, so memory
 * is fixed at creation and recording is a few shifts and an add. Each
 * thread owns its histograms; hist_merge adds them exactly after a run.
 * Values outside the range are clamped and counted (hist_clamped). */
#ifndef MESHPERF_HIST_H
#define MESHPERF_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hist;

/* Create a histogram for [lowest, highest] (lowest >= 1, highest >= 2 *
 * lowest) with sigfigs in 1..5. Returns NULL on bad arguments or no memory.
 * Free with hist_free. For latencies meshperf uses hist_new(1, 3600000000, 3):
 * 1 us .. 1 h, 3 significant digits. */
struct hist *hist_new(int64_t lowest, int64_t highest, int sigfigs);

/* Free. NULL is fine. */
void hist_free(struct hist *h);

/* Forget every recorded value. */
void hist_reset(struct hist *h);

/* Record value v once / n times. Values below lowest or above highest are
 * clamped into range (and counted by hist_clamped); the exact min, max and
 * sum still use the unclamped value. */
void hist_record(struct hist *h, int64_t v);
void hist_record_n(struct hist *h, int64_t v, uint64_t n);

/* Add src's counts into dst. Both must have been created with the same
 * arguments: returns 0, or -1 (dst unchanged) when they differ. */
int hist_merge(struct hist *dst, const struct hist *src);

uint64_t hist_count(const struct hist *h);
uint64_t hist_clamped(const struct hist *h);
int64_t hist_min(const struct hist *h);   /* exact; 0 when empty */
int64_t hist_max(const struct hist *h);   /* exact; 0 when empty */
double hist_sum(const struct hist *h);    /* exact sum of recorded values */
double hist_mean(const struct hist *h);   /* exact; 0 when empty */
double hist_stddev(const struct hist *h); /* population stddev, from exact sums */

/* The value at percentile p (0..100): the smallest recorded value v such
 * that at least p% of values are <= v, to the histogram's precision (never
 * below hist_min nor above hist_max). 0 when empty. */
int64_t hist_percentile(const struct hist *h, double p);

/* Values recorded in the buckets that start at from or later (so to the
 * histogram's precision: a bucket straddling from is left out). 0 for a
 * NULL h. */
uint64_t hist_count_from(const struct hist *h, int64_t from);

/* Walk the non-empty buckets in increasing value order:
 *   struct hist_iter it; hist_iter_init(&it, h);
 *   while (hist_iter_next(&it)) use(it.from, it.to, it.count);
 * from..to (inclusive) is the bucket's value range. */
struct hist_iter {
    const struct hist *h;
    size_t index;   /* private */
    int64_t from;   /* lowest value of this bucket */
    int64_t to;     /* highest value of this bucket */
    uint64_t count; /* values recorded in it */
};
void hist_iter_init(struct hist_iter *it, const struct hist *h);
bool hist_iter_next(struct hist_iter *it);

#endif
