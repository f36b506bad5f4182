/* upload.h: `meshperf run --store URI` (or the config's meshperf.store):
 * results are written to the local results directory first, the source of
 * truth, and each test's files are copied to the store when the test ends
 * (store_sync: <test>/<driver_ts>/... under the store's prefix; a bucket
 * that does not exist is created). A failed upload never touches the local
 * results: it is warned about at once, the run goes on, and at the end
 * upload_finish says which tests are missing and how to retry
 * (`meshperf results push DIR URI`), and the run exits non-zero. */
#ifndef MESHPERF_UPLOAD_H
#define MESHPERF_UPLOAD_H

#include <stddef.h>

#include "run/progress.h"
#include "store/store.h"

struct upload;

/* Open the store at uri for the results kept in results_dir (named in the
 * retry hint). Sends nothing yet. NULL with one line in err (a bad URI, no
 * credentials): bad input, nothing has run. Free with upload_free. */
struct upload *upload_open(const char *uri, const char *results_dir, char *err, size_t errlen);

/* Copy <test>/<ts>/ from local to the store; a note on success, a warning
 * naming the test and the store's error on failure. u NULL: nothing (no
 * --store). 0, or -1 (remembered for upload_finish). */
int upload_test(struct upload *u, struct store *local, const char *test, const char *ts,
                struct progress *prog);

/* The end of the run: when some test could not be uploaded, a warning
 * naming them and the command that uploads everything; returns -1 then,
 * else 0 (also for u NULL). */
int upload_finish(struct upload *u, struct progress *prog);

/* Free. NULL is fine. */
void upload_free(struct upload *u);

#endif
