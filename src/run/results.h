/* results.h: the layout of a run's results in a store (store/store.h).
 *
 * Layout (the original's, which its analysis reads):
 *   <test_name>/<driver_ts>/config.json    the config file, byte for byte
 *   <test_name>/<driver_ts>/fortio.json    the load result (Fortio schema)
 *   <test_name>/<driver_ts>/<metric>.csv   one per metric (csvout.h shape)
 * driver_ts is the local time when the run started, "%Y%m%d%H%M%S", one
 * for the whole run. */
#ifndef MESHPERF_RESULTS_H
#define MESHPERF_RESULTS_H

#include <stddef.h>
#include <time.h>

#include "metrics/series.h"
#include "store/store.h"

/* driver_ts of a run started at t: local time "%Y%m%d%H%M%S" into out
 * (>= 15 bytes). Returns out. */
char *results_driver_ts(time_t t, char *out, size_t outlen);

/* "<test>/<ts>/<file>" into out. 0, or -1 when it does not fit. */
int results_key(char *out, size_t outlen, const char *test, const char *ts, const char *file);

/* Render set as CSV (csvout.h) and store_put it as <test>/<ts>/<set
 * name>.csv. 0 or negative with one line in err. */
int results_put_csv(struct store *s, const char *test, const char *ts, const struct series_set *set,
                    char *err, size_t errlen);

#endif
