/* mono.h: time in a type that says which clock it comes from.
 *
 * mono_us is microseconds on CLOCK_MONOTONIC: use it for every schedule,
 * deadline and latency. wall_ns is nanoseconds since the Unix epoch: use it
 * only for timestamps that leave the process (StartTime, CSV timestamps). */
#ifndef MESHPERF_MONO_H
#define MESHPERF_MONO_H

#include <stdint.h>
#include <time.h>

typedef int64_t mono_us;

#define MONO_US_PER_SEC 1000000LL

/* Current monotonic time in microseconds. Never fails on Linux. */
static inline mono_us mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (mono_us)ts.tv_sec * MONO_US_PER_SEC + ts.tv_nsec / 1000;
}

/* Current wall-clock time in nanoseconds since the Unix epoch. */
static inline int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#endif
