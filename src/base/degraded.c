/* degraded.c: the rule of a degraded load test (see degraded.h): two
 * comparisons against a tolerance and one line of reason. */
#include "base/degraded.h"

#include <math.h>
#include <stdio.h>

bool degraded_check(const struct degraded_in *in, double tolerance, char *reason, size_t len)
{
    double t = isnan(tolerance) || tolerance < 0 ? DEGRADED_TOLERANCE_DEFAULT : tolerance;
    size_t n = 0;
    bool bad = false;
    if (reason && len) reason[0] = '\0';
    if (in->qps_asked > 0 && !(in->qps_actual >= (1 - t) * in->qps_asked)) {
        bad = true;
        if (reason && len) {
            int w = snprintf(reason, len, "%.1f of %g qps",
                             isfinite(in->qps_actual) ? in->qps_actual : 0.0, in->qps_asked);
            n = w < 0 ? 0 : (size_t)w < len ? (size_t)w : len - 1;
        }
    }
    uint64_t due = in->requests + in->unsent;
    uint64_t behind = in->late_far + in->unsent;
    if (due > 0 && (double)behind > t * (double)due) {
        bad = true;
        if (reason && len > n)
            snprintf(reason + n, len - n, "%s%llu of %llu requests sent >%d ms late or not at all",
                     n ? "; " : "", (unsigned long long)behind, (unsigned long long)due,
                     DEGRADED_LATE_US / 1000);
    }
    return bad;
}
