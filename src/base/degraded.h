/* degraded.h: the one rule that says whether a load test delivered the
 * load it was asked for, shared by `meshperf run` (its summary table and
 * exit code), `meshperf load` (a warning line) and `meshperf report`
 * (summary.csv, also for results of older runs).
 *
 * A test is degraded when, beyond a tolerance t (a fraction, default
 * DEGRADED_TOLERANCE_DEFAULT = 10 %):
 *   - its actual QPS falls short of the requested one: actual < (1 - t) x
 *     requested (requested 0 = as fast as possible has no rate to miss), or
 *   - a share > t of its due requests was sent more than DEGRADED_LATE_US
 *     after its due time, or never sent: (late_far + unsent) / (requests +
 *     unsent) > t.
 * Lateness is counted from DEGRADED_LATE_US (100 ms), not from the load
 * generator's 1 ms "late": on a busy machine a few per cent of requests
 * are a millisecond late as a matter of course, while a node frozen for a
 * while leaves hundreds of requests waiting for seconds. */
#ifndef MESHPERF_DEGRADED_H
#define MESHPERF_DEGRADED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DEGRADED_TOLERANCE_DEFAULT 0.10
#define DEGRADED_LATE_US           100000 /* a request this late counts against the test */

/* What a test did; counts are totals over the test. */
struct degraded_in {
    double qps_asked;  /* <= 0: as fast as possible (no rate to fall short of) */
    double qps_actual; /* completed requests / duration */
    uint64_t requests; /* completed (errors included) */
    uint64_t late_far; /* of which sent more than DEGRADED_LATE_US after due */
    uint64_t unsent;   /* due but never sent */
};

/* True when in is degraded under tolerance (a fraction 0..1; a negative
 * or NaN one is DEGRADED_TOLERANCE_DEFAULT). The reason, e.g.
 * "27.5 of 100 qps" or "787 of 1200 requests sent >100 ms late or not at
 * all" (both, joined by "; ", when both hold), goes to reason (may be
 * NULL); "" when not degraded. */
bool degraded_check(const struct degraded_in *in, double tolerance, char *reason, size_t len);

#endif
