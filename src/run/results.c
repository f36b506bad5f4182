/* results.c: the results layout (see results.h): run timestamps, object
 * keys, and metric CSVs rendered (csvout.c) and put through the store. */
#include "run/results.h"

#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/errbuf.h"
#include "metrics/csvout.h"

#define RESULTS_CSV_MAX (1u << 30)

char *results_driver_ts(time_t t, char *out, size_t outlen)
{
    struct tm tm;
    localtime_r(&t, &tm);
    if (!strftime(out, outlen, "%Y%m%d%H%M%S", &tm) && outlen) out[0] = '\0';
    return out;
}

int results_key(char *out, size_t outlen, const char *test, const char *ts, const char *file)
{
    int n = snprintf(out, outlen, "%s/%s/%s", test, ts, file);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int results_put_csv(struct store *s, const char *test, const char *ts, const struct series_set *set,
                    char *err, size_t errlen)
{
    if (!csvout_name_ok(set->name))
        return errbuf_set(err, errlen, "metric name '%s' cannot be a file name", set->name);
    char file[256], key[1024];
    snprintf(file, sizeof file, "%s.csv", set->name);
    if (results_key(key, sizeof key, test, ts, file) < 0)
        return errbuf_set(err, errlen, "%s: name too long", file);
    struct buf b;
    buf_init(&b, RESULTS_CSV_MAX);
    int rc = csvout_render(set, &b);
    if (rc < 0) {
        buf_free(&b);
        return errbuf_set(err, errlen, "%s: %s", key, strerror(-rc));
    }
    rc = store_put(s, key, b.data ? b.data : "", b.len, err, errlen);
    buf_free(&b);
    return rc;
}
