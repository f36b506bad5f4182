/* progress.h: what `meshperf run` tells the person watching.
 *
 * Three modes: on a terminal one status line redrawn in place ("\r" and
 * erase-line) while a test runs; otherwise plain lines (one when a test
 * starts, one every few seconds, one when it ends), suitable for logs and
 * CI; quiet: nothing but warnings. Notes and warnings first clear a status
 * line so they never mix with it. All functions are thread-safe (one mutex)
 * so the supervisor thread can warn while the driver redraws. */
#ifndef MESHPERF_PROGRESS_H
#define MESHPERF_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "load/loadgen.h"

enum progress_mode { PROGRESS_TTY, PROGRESS_PLAIN, PROGRESS_QUIET };

/* Seconds between plain-mode progress lines. */
#define PROGRESS_PLAIN_EVERY_US (5 * 1000000LL)

struct progress;

/* QUIET when quiet, else TTY when fd is a terminal, else PLAIN. */
enum progress_mode progress_mode_for(int fd, bool quiet);

/* New reporter writing to f (borrowed; usually stderr). NULL on no memory.
 * Free with progress_free (NULL is fine). */
struct progress *progress_new(FILE *f, enum progress_mode mode);
void progress_free(struct progress *p);

enum progress_mode progress_mode(const struct progress *p);

/* Test i (0-based) of n begins: name, qps asked (0 = max), duration. */
void progress_test_begin(struct progress *p, size_t i, size_t n, const char *name, double qps,
                         int64_t duration_us);

/* A live figure of the running test: TTY redraws the line; PLAIN prints a
 * line at most every PROGRESS_PLAIN_EVERY_US. */
void progress_update(struct progress *p, const struct loadgen_progress *lp);

/* The test ended: clears the status line; prints one line with the
 * outcome (not in QUIET). */
void progress_test_end(struct progress *p, double actual_qps, uint64_t requests, uint64_t errors,
                       bool stopped);

/* An informational line (not in QUIET). */
void progress_note(struct progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A warning line, "meshperf run: " + text, in every mode. */
void progress_warn(struct progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
