/* fortio_json.c: a loadgen result as Fortio's result JSON (see fortio_json.h).
 *
 * Built as a jansson tree and dumped once. Histograms: count, min, max, sum,
 * mean and stddev are exact (from hist.h); the Data buckets use Fortio's own
 * bucket boundaries (0, 1, 2, ... 100000 in units of 1 ms for latencies,
 * 100 bytes for sizes, 5 bytes for header sizes, intervals ]prev, cur],
 * first Start = Min, last End = Max, Percent cumulative), filled from our
 * HDR buckets by their midpoint; Percentiles come from the HDR histogram
 * itself, so they keep its 3-digit precision instead of Fortio's linear
 * interpolation inside coarse buckets. */
#include "load/fortio_json.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "load/hist.h"
#include "net/url.h"

#ifndef MESHPERF_VERSION
#define MESHPERF_VERSION "dev"
#endif

/* Fortio's stats.histogramBucketValues. */
static const int32_t fortio_bounds[] = {
    0,   1,    2,    3,    4,    5,    6,    7,     8,     9,     10,    11,    12,    14,
    16,  18,   20,   25,   30,   35,   40,   45,    50,    60,    70,    80,    90,    100,
    120, 140,  160,  180,  200,  250,  300,  350,   400,   450,   500,   600,   700,   800,
    900, 1000, 2000, 3000, 4000, 5000, 7500, 10000, 20000, 30000, 40000, 50000, 75000, 100000,
};
#define NBOUNDS ((int)(sizeof fortio_bounds / sizeof fortio_bounds[0]))

static const double pct_list[] = {50, 75, 90, 99, 99.9};

/* Fortio bucket index of x (in divider units): 0 for x <= 0, NBOUNDS for
 * x > last bound, else the first bound >= x. */
static int fortio_bucket(double x)
{
    if (x <= 0) return 0;
    if (x > fortio_bounds[NBOUNDS - 1]) return NBOUNDS;
    int lo = 1, hi = NBOUNDS - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (fortio_bounds[mid] >= x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static int set(json_t *o, const char *k, json_t *v)
{
    return json_object_set_new(o, k, v);
}

/* One histogram as Fortio's stats.HistogramData. scale converts raw values
 * to output units (1e-6 for us -> s); divider is Fortio's bucket unit in
 * raw units. */
static json_t *hist_json(const struct hist *h, double scale, double divider, bool percentiles)
{
    json_t *o = json_object();
    uint64_t count = h ? hist_count(h) : 0;
    set(o, "Count", json_integer((json_int_t)count));
    if (!count) {
        set(o, "Min", json_real(0));
        set(o, "Max", json_real(0));
        set(o, "Sum", json_real(0));
        set(o, "Avg", json_real(0));
        set(o, "StdDev", json_real(0));
        set(o, "Data", json_null());
        return o;
    }
    double mn = (double)hist_min(h), mx = (double)hist_max(h);
    set(o, "Min", json_real(mn * scale));
    set(o, "Max", json_real(mx * scale));
    set(o, "Sum", json_real(hist_sum(h) * scale));
    set(o, "Avg", json_real(hist_mean(h) * scale));
    set(o, "StdDev", json_real(hist_stddev(h) * scale));

    uint64_t fb[NBOUNDS + 1];
    memset(fb, 0, sizeof fb);
    struct hist_iter it;
    hist_iter_init(&it, h);
    while (hist_iter_next(&it)) {
        double mid = ((double)it.from + (double)it.to) / 2;
        if (mid < mn) mid = mn;
        if (mid > mx) mid = mx;
        fb[fortio_bucket(mid / divider)] += it.count;
    }
    int last = NBOUNDS;
    while (last >= 0 && !fb[last])
        last--;
    json_t *data = json_array();
    uint64_t total = 0;
    int32_t prev = fortio_bounds[0];
    for (int i = 0; i <= last; i++) {
        if (!fb[i]) {
            if (i < NBOUNDS) prev = fortio_bounds[i];
            continue;
        }
        total += fb[i];
        double start = json_array_size(data) ? prev * divider * scale : mn * scale;
        double end;
        if (i < NBOUNDS) {
            end = fortio_bounds[i] * divider * scale;
            prev = fortio_bounds[i];
        } else {
            start = prev * divider * scale;
            end = mx * scale;
        }
        if (i == last) end = mx * scale;
        json_t *b = json_object();
        set(b, "Start", json_real(start));
        set(b, "End", json_real(end));
        set(b, "Percent", json_real(100.0 * (double)total / (double)count));
        set(b, "Count", json_integer((json_int_t)fb[i]));
        json_array_append_new(data, b);
    }
    set(o, "Data", data);
    if (percentiles) {
        json_t *ps = json_array();
        for (size_t i = 0; i < sizeof pct_list / sizeof pct_list[0]; i++) {
            json_t *p = json_object();
            set(p, "Percentile", json_real(pct_list[i]));
            set(p, "Value", json_real((double)hist_percentile(h, pct_list[i]) * scale));
            json_array_append_new(ps, p);
        }
        set(o, "Percentiles", ps);
    }
    return o;
}

char *fortio_json_go_duration(int64_t us, char *out, size_t outlen)
{
    char frac[16];
    const char *sign = "";
    uint64_t u = (uint64_t)us;
    if (us < 0) {
        sign = "-";
        u = (uint64_t)(-(us + 1)) + 1;
    }
    if (u == 0) {
        snprintf(out, outlen, "0s");
        return out;
    }
    if (u < 1000) {
        snprintf(out, outlen, "%s%" PRIu64 "\xc2\xb5s", sign, u);
        return out;
    }
    if (u < 1000000) {
        snprintf(frac, sizeof frac, ".%03" PRIu64, u % 1000);
        for (size_t n = strlen(frac); n > 0 && (frac[n - 1] == '0' || frac[n - 1] == '.'); n--) {
            char ch = frac[n - 1];
            frac[n - 1] = 0;
            if (ch == '.') break;
        }
        snprintf(out, outlen, "%s%" PRIu64 "%sms", sign, u / 1000, frac);
        return out;
    }
    uint64_t h = u / 3600000000ULL, m = (u / 60000000ULL) % 60, s_us = u % 60000000ULL;
    snprintf(frac, sizeof frac, ".%06" PRIu64, s_us % 1000000);
    for (size_t n = strlen(frac); n > 0 && (frac[n - 1] == '0' || frac[n - 1] == '.'); n--) {
        char ch = frac[n - 1];
        frac[n - 1] = 0;
        if (ch == '.') break;
    }
    if (h)
        snprintf(out, outlen, "%s%" PRIu64 "h%" PRIu64 "m%" PRIu64 "%ss", sign, h, m,
                 s_us / 1000000, frac);
    else if (m)
        snprintf(out, outlen, "%s%" PRIu64 "m%" PRIu64 "%ss", sign, m, s_us / 1000000, frac);
    else
        snprintf(out, outlen, "%s%" PRIu64 "%ss", sign, s_us / 1000000, frac);
    return out;
}

/* RFC 3339 in UTC with nanoseconds, trailing zeros trimmed (Go's RFC3339Nano). */
static void rfc3339(int64_t ns, char *out, size_t outlen)
{
    time_t sec = (time_t)(ns / 1000000000LL);
    long frac = (long)(ns % 1000000000LL);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char f[16] = "";
    if (frac) {
        snprintf(f, sizeof f, ".%09ld", frac);
        size_t n = strlen(f);
        while (n > 1 && f[n - 1] == '0')
            f[--n] = 0;
    }
    snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, f);
}

/* Fortio's run ID: local "YYYY-MM-DD-HHMMSS" + "_" + labels reduced to
 * alphanumerics and single underscores, at most 96 bytes. */
static void run_id(int64_t ns, const char *labels, char *out, size_t outlen)
{
    time_t sec = (time_t)(ns / 1000000000LL);
    struct tm tm;
    localtime_r(&sec, &tm);
    int n = snprintf(out, outlen, "%04d-%02d-%02d-%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (!labels || !*labels || n < 0) return;
    size_t len = (size_t)n, max = outlen - 1 < 96 ? outlen - 1 : 96;
    char last = '_';
    if (len < max) out[len++] = '_';
    for (const char *p = labels; *p && len < max; p++) {
        if (isalnum((unsigned char)*p)) {
            out[len++] = *p;
            last = *p;
        } else if (last != '_') {
            out[len++] = '_';
            last = '_';
        }
    }
    out[len] = 0;
}

char *fortio_json_result(const struct loadgen_opts *o, const struct loadgen_result *r, int indent)
{
    json_t *j = json_object();
    if (!j) return NULL;
    char buf[256];
    set(j, "RunType", json_string("HTTP"));
    set(j, "Labels", json_string(o->labels ? o->labels : ""));
    rfc3339(r->start_wall_ns, buf, sizeof buf);
    set(j, "StartTime", json_string(buf));
    if (o->qps > 0) {
        snprintf(buf, sizeof buf, "%.9g", o->qps);
        set(j, "RequestedQPS", json_string(buf));
    } else {
        set(j, "RequestedQPS", json_string("max"));
    }
    if (o->count > 0) {
        if (r->stopped && r->requests != (uint64_t)o->count)
            snprintf(buf, sizeof buf, "exactly %lld calls, interrupted after %" PRIu64,
                     (long long)o->count, r->requests);
        else
            snprintf(buf, sizeof buf, "exactly %lld calls", (long long)o->count);
    } else if (o->duration_us > 0) {
        fortio_json_go_duration(o->duration_us, buf, sizeof buf);
    } else {
        snprintf(buf, sizeof buf, "until stop");
    }
    set(j, "RequestedDuration", json_string(buf));
    set(j, "ActualQPS", json_real(r->actual_qps));
    set(j, "ActualDuration", json_integer((json_int_t)r->duration_us * 1000));
    set(j, "NumThreads", json_integer(r->connections));
    set(j, "Version", json_string(MESHPERF_VERSION));
    set(j, "DurationHistogram", hist_json(r->latency, 1e-6, 1000, true));
    set(j, "ErrorsDurationHistogram", hist_json(r->errors_latency, 1e-6, 1000, true));
    set(j, "Exactly", json_integer(o->count > 0 ? o->count : 0));
    set(j, "Jitter", json_boolean(o->jitter));
    set(j, "Uniform", json_boolean(o->uniform));
    set(j, "NoCatchUp", json_false());
    set(j, "RunID", json_integer(0));
    set(j, "AccessLoggerInfo", json_string(""));
    run_id(r->start_wall_ns, o->labels, buf, sizeof buf);
    set(j, "ID", json_string(buf));
    json_t *codes = json_object();
    for (size_t i = 0; i < r->ncodes; i++) {
        snprintf(buf, sizeof buf, "%d", r->codes[i].code);
        set(codes, buf, json_integer((json_int_t)r->codes[i].count));
    }
    set(j, "RetCodes", codes);
    /* as shown everywhere: any user:password@ as ***@ (never used for auth) */
    const char *url = o->url ? o->url : "";
    size_t ulen = strlen(url) + 16;
    char *shown = malloc(ulen);
    if (shown) url_redact(url, shown, ulen);
    set(j, "URL", shown ? json_string(shown) : NULL);
    free(shown);
    set(j, "NumConnections", json_integer(1));
    set(j, "Insecure", json_boolean(o->insecure));
    set(j, "HTTPReqTimeOut",
        json_integer((json_int_t)(o->timeout_us ? o->timeout_us : LOADGEN_DEFAULT_TIMEOUT_US) *
                     1000));
    set(j, "Sizes", hist_json(r->sizes, 1, 100, false));
    set(j, "HeaderSizes", hist_json(r->header_sizes, 1, 5, false));
    set(j, "SocketCount", json_integer((json_int_t)r->sockets));
    /* meshperf's own fields */
    set(j, "MeshperfUncorrectedHistogram", hist_json(r->latency_uncorrected, 1e-6, 1000, true));
    json_t *late = json_object();
    set(late, "Count", json_integer((json_int_t)r->late));
    set(late, "ThresholdSeconds", json_real(LOADGEN_LATE_US * 1e-6));
    set(late, "Histogram", hist_json(r->lateness, 1e-6, 1000, true));
    set(j, "MeshperfLate", late);
    set(j, "MeshperfUnsent", json_integer((json_int_t)r->unsent));
    set(j, "MeshperfThreads", json_integer(r->threads));
    set(j, "MeshperfConnections", json_integer(r->connections));
    set(j, "MeshperfStopped", json_boolean(r->stopped));
    if (indent > 31) indent = 31;
    size_t flags = JSON_REAL_PRECISION(15) | (indent > 0 ? JSON_INDENT(indent) : JSON_COMPACT);
    char *s = json_dumps(j, flags);
    json_decref(j);
    return s;
}
