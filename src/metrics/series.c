/* series.c: labelled time series in memory (see series.h). Series are
 * individually allocated and held by pointer; each keeps its value strings
 * NUL-separated in one capped buffer and its points as (ts, offset). */
#include "metrics/series.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/errbuf.h"

struct series_set *series_set_new(const char *name, const struct series_limits *lim)
{
    struct series_set *set = calloc(1, sizeof(*set));
    if (!set) return NULL;
    set->name = strdup(name ? name : "");
    if (!set->name) {
        free(set);
        return NULL;
    }
    if (lim) set->lim = *lim;
    if (!set->lim.max_series) set->lim.max_series = SERIES_DEFAULT_MAX_SERIES;
    if (!set->lim.max_points) set->lim.max_points = SERIES_DEFAULT_MAX_POINTS;
    if (!set->lim.max_value_bytes) set->lim.max_value_bytes = SERIES_DEFAULT_MAX_VALUE_BYTES;
    return set;
}

static void series_free_one(struct series *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nlabels; i++) {
        free(s->labels[i].name);
        free(s->labels[i].value);
    }
    free(s->labels);
    free(s->points);
    buf_free(&s->values);
    free(s);
}

void series_set_free(struct series_set *set)
{
    if (!set) return;
    for (size_t i = 0; i < set->nseries; i++)
        series_free_one(set->series[i]);
    free(set->series);
    free(set->name);
    free(set);
}

int series_set_rename(struct series_set *set, const char *name)
{
    char *n = strdup(name ? name : "");
    if (!n) return -ENOMEM;
    free(set->name);
    set->name = n;
    return 0;
}

static int label_cmp(const void *a, const void *b)
{
    return strcmp(((const struct series_label *)a)->name, ((const struct series_label *)b)->name);
}

int series_set_add(struct series_set *set, const struct series_label *labels, size_t n,
                   struct series **out, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        if (!labels[i].name || !labels[i].name[0])
            return errbuf_set(err, errlen, "label %zu has an empty name", i), -EINVAL;
        if (!labels[i].value)
            return errbuf_set(err, errlen, "label '%s' has no value", labels[i].name), -EINVAL;
    }
    if (set->nseries >= set->lim.max_series)
        return errbuf_set(err, errlen, "more than %zu series", set->lim.max_series), -ENOBUFS;
    if (set->nseries == set->series_cap) {
        size_t cap = set->series_cap ? set->series_cap * 2 : 8;
        struct series **p = realloc(set->series, cap * sizeof(*p));
        if (!p) return errbuf_set(err, errlen, "out of memory"), -ENOMEM;
        set->series = p;
        set->series_cap = cap;
    }
    struct series *s = calloc(1, sizeof(*s));
    if (!s) return errbuf_set(err, errlen, "out of memory"), -ENOMEM;
    buf_init(&s->values, set->lim.max_value_bytes);
    if (n) {
        s->labels = calloc(n, sizeof(*s->labels));
        if (!s->labels) goto nomem;
        for (size_t i = 0; i < n; i++) {
            s->labels[i].name = strdup(labels[i].name);
            s->labels[i].value = strdup(labels[i].value);
            s->nlabels = i + 1;
            if (!s->labels[i].name || !s->labels[i].value) goto nomem;
        }
        qsort(s->labels, n, sizeof(*s->labels), label_cmp);
        for (size_t i = 1; i < n; i++) {
            if (strcmp(s->labels[i - 1].name, s->labels[i].name) == 0) {
                errbuf_set(err, errlen, "label '%s' given twice", s->labels[i].name);
                series_free_one(s);
                return -EINVAL;
            }
        }
    }
    set->series[set->nseries++] = s;
    if (out) *out = s;
    return 0;
nomem:
    series_free_one(s);
    return errbuf_set(err, errlen, "out of memory"), -ENOMEM;
}

struct series *series_set_find(const struct series_set *set, const struct series_label *labels,
                               size_t n)
{
    for (size_t i = 0; i < set->nseries; i++) {
        struct series *s = set->series[i];
        if (s->nlabels != n) continue;
        size_t j;
        for (j = 0; j < n; j++) {
            const char *v = series_label(s, labels[j].name);
            if (!v || strcmp(v, labels[j].value) != 0) break;
        }
        if (j == n) return s;
    }
    return NULL;
}

int series_add_point(struct series_set *set, struct series *s, double ts, const char *value)
{
    size_t vlen = strlen(value) + 1;
    if (set->total_points >= set->lim.max_points) return -ENOBUFS;
    if (vlen > set->lim.max_value_bytes - set->total_value_bytes) return -ENOBUFS;
    if (s->npoints == s->points_cap) {
        size_t cap = s->points_cap ? s->points_cap * 2 : 16;
        struct series_point *p = realloc(s->points, cap * sizeof(*p));
        if (!p) return -ENOMEM;
        s->points = p;
        s->points_cap = cap;
    }
    size_t off = s->values.len;
    int rc = buf_append(&s->values, value, vlen); /* includes the NUL */
    if (rc) return rc;
    s->points[s->npoints].ts = ts;
    s->points[s->npoints].value_off = off;
    s->npoints++;
    set->total_points++;
    set->total_value_bytes += vlen;
    return 0;
}

int series_add_double(struct series_set *set, struct series *s, double ts, double v)
{
    char tmp[SERIES_NUM_MAX];
    return series_add_point(set, s, ts, series_format_double(v, tmp));
}

const char *series_point_value(const struct series *s, size_t i)
{
    return s->values.data + s->points[i].value_off;
}

const char *series_label(const struct series *s, const char *name)
{
    size_t lo = 0, hi = s->nlabels;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->labels[mid].name, name);
        if (c == 0) return s->labels[mid].value;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int series_cmp(const struct series *a, const struct series *b)
{
    size_t i = 0, j = 0;
    while (i < a->nlabels || j < b->nlabels) {
        int c;
        if (i == a->nlabels)
            c = 1; /* name only in b: a lacks it */
        else if (j == b->nlabels)
            c = -1;
        else
            c = strcmp(a->labels[i].name, b->labels[j].name);
        if (c < 0) return 1;  /* b lacks a's label: b sorts first */
        if (c > 0) return -1; /* a lacks b's label: a sorts first */
        int v = strcmp(a->labels[i].value, b->labels[j].value);
        if (v) return v;
        i++, j++;
    }
    return 0;
}

/* Stable merge sort of the series pointers (qsort is not stable). */
static void sort_range(struct series **v, struct series **tmp, size_t n)
{
    if (n < 2) return;
    size_t h = n / 2;
    sort_range(v, tmp, h);
    sort_range(v + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = series_cmp(v[j], v[i]) < 0 ? v[j++] : v[i++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof(*v));
}

void series_set_sort(struct series_set *set)
{
    if (set->nseries < 2) return;
    struct series **tmp = malloc(set->nseries * sizeof(*tmp));
    if (!tmp) { /* fall back to insertion sort: no memory needed */
        for (size_t i = 1; i < set->nseries; i++)
            for (size_t j = i; j > 0 && series_cmp(set->series[j - 1], set->series[j]) > 0; j--) {
                struct series *t = set->series[j];
                set->series[j] = set->series[j - 1];
                set->series[j - 1] = t;
            }
        return;
    }
    sort_range(set->series, tmp, set->nseries);
    free(tmp);
}

char *series_format_double(double v, char *out)
{
    if (isnan(v)) return strcpy(out, "NaN");
    if (isinf(v)) return strcpy(out, v > 0 ? "+Inf" : "-Inf");
    char e[64];
    int p;
    for (p = 1; p <= 17; p++) {
        snprintf(e, sizeof(e), "%.*e", p - 1, v);
        if (strtod(e, NULL) == v) break;
    }
    /* e is [-]d[.ddd]e[+-]XX: collect the digits and the exponent. */
    char digits[24];
    size_t nd = 0;
    const char *c = e;
    int neg = 0;
    if (*c == '-') neg = 1, c++;
    for (; *c && *c != 'e'; c++)
        if (*c >= '0' && *c <= '9') digits[nd++] = *c;
    int exp10 = atoi(c + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--; /* no trailing zeros */
    char *o = out;
    if (neg) *o++ = '-';
    if (exp10 < 0) {
        *o++ = '0';
        *o++ = '.';
        for (int z = 0; z < -exp10 - 1; z++)
            *o++ = '0';
        memcpy(o, digits, nd);
        o += nd;
    } else {
        size_t intd = (size_t)exp10 + 1;
        for (size_t k = 0; k < intd; k++)
            *o++ = k < nd ? digits[k] : '0';
        if (nd > intd) {
            *o++ = '.';
            memcpy(o, digits + intd, nd - intd);
            o += nd - intd;
        }
    }
    *o = '\0';
    return out;
}

long long series_ts_ms(double ts)
{
    if (!isfinite(ts) || fabs(ts) > 9e15) return 0;
    return llround(ts * 1000.0);
}

char *series_format_ts(double ts, char *out)
{
    if (!isfinite(ts)) return series_format_double(ts, out);
    long long ms = series_ts_ms(ts);
    const char *sign = "";
    if (ms < 0) sign = "-", ms = -ms;
    long long frac = ms % 1000;
    if (!frac) {
        snprintf(out, SERIES_NUM_MAX, "%s%lld", sign, ms / 1000);
    } else {
        char f[8];
        snprintf(f, sizeof(f), "%03lld", frac);
        for (int k = 2; k > 0 && f[k] == '0'; k--)
            f[k] = '\0';
        snprintf(out, SERIES_NUM_MAX, "%s%lld.%s", sign, ms / 1000, f);
    }
    return out;
}
