/* results.h: where a run's results go, and their layout.
 *
 * Layout (the original's, which its analysis reads):
 *   <test_name>/<driver_ts>/config.json    the config file, byte for byte
 *   <test_name>/<driver_ts>/fortio.json    the load result (Fortio schema)
 *   <test_name>/<driver_ts>/<metric>.csv   one per metric (csvout.h shape)
 * driver_ts is the local time when the run started, "%Y%m%d%H%M%S", one
 * for the whole run.
 *
 * A store is a small interface (struct of function pointers) so that the
 * same driver writes to a directory now and to S3 later. Keys are
 * "/"-separated relative paths without "." or ".." segments. */
#ifndef MESHPERF_RESULTS_H
#define MESHPERF_RESULTS_H

#include <stddef.h>
#include <time.h>

#include "metrics/series.h"

struct results_store;

struct results_store_ops {
    const char *name; /* "dir" */
    /* Store len bytes under key, replacing any previous value, so that a
     * reader never sees a partial object. 0, or -1 with one line in err
     * naming the object. */
    int (*put)(struct results_store *s, const char *key, const void *data, size_t len, char *err,
               size_t errlen);
    /* Where key is, for people: a path or a URL, into out. Returns out. */
    char *(*where)(struct results_store *s, const char *key, char *out, size_t outlen);
    void (*free)(struct results_store *s);
};

struct results_store {
    const struct results_store_ops *ops;
};

/* A store writing under directory dir (created with its parents if
 * missing). Objects are written to a temporary file in the target
 * directory, fsync'd and renamed into place. NULL with one line in err
 * ("results dir /x: Permission denied"). Free with results_store_free. */
struct results_store *results_store_dir_new(const char *dir, char *err, size_t errlen);

/* Free. NULL is fine. */
void results_store_free(struct results_store *s);

/* s->ops->put after checking key (non-empty, relative, no "." / ".."
 * segments, no empty segment). Same returns. */
int results_put(struct results_store *s, const char *key, const void *data, size_t len, char *err,
                size_t errlen);

/* s->ops->where. Returns out. */
char *results_where(struct results_store *s, const char *key, char *out, size_t outlen);

/* driver_ts of a run started at t: local time "%Y%m%d%H%M%S" into out
 * (>= 15 bytes). Returns out. */
char *results_driver_ts(time_t t, char *out, size_t outlen);

/* "<test>/<ts>/<file>" into out. 0, or -1 when it does not fit. */
int results_key(char *out, size_t outlen, const char *test, const char *ts, const char *file);

/* Render set as CSV (csvout.h) and put it as <test>/<ts>/<set name>.csv.
 * 0 or -1 with err. */
int results_put_csv(struct results_store *s, const char *test, const char *ts,
                    const struct series_set *set, char *err, size_t errlen);

#endif
