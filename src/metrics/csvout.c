/* csvout.c: render a series set in the original's CSV shape (see
 * csvout.h; run/results.c stores the text). The label columns are the sorted union of
 * every series' label names; the series are visited in series_cmp order
 * through an index array, so the set itself is not modified. */
#include "metrics/csvout.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int put_cell(struct buf *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) return buf_puts(out, s);
    int rc = buf_puts(out, "\"");
    for (const char *p = s; !rc && *p; p++) {
        const char *q = strchr(p, '"');
        size_t n = q ? (size_t)(q - p) + 1 : strlen(p);
        rc = buf_append(out, p, n);
        if (!rc && q) rc = buf_puts(out, "\""); /* double the quote */
        p += n - 1;
    }
    return rc ? rc : buf_puts(out, "\"");
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int series_ptr_cmp(const void *a, const void *b)
{
    const struct series *x = *(const struct series *const *)a,
                        *y = *(const struct series *const *)b;
    int c = series_cmp(x, y);
    if (c) return c;
    return x < y ? -1 : x > y; /* same labels: keep a fixed order */
}

/* The sorted, de-duplicated label names of every series (borrowed
 * pointers). *n receives the count. NULL with *n 0 when none; -ENOMEM via
 * *rc. */
static const char **union_names(const struct series_set *set, size_t *n, int *rc)
{
    size_t total = 0;
    *n = 0;
    *rc = 0;
    for (size_t i = 0; i < set->nseries; i++)
        total += set->series[i]->nlabels;
    if (!total) return NULL;
    const char **names = malloc(total * sizeof(*names));
    if (!names) {
        *rc = -ENOMEM;
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < set->nseries; i++)
        for (size_t j = 0; j < set->series[i]->nlabels; j++)
            names[k++] = set->series[i]->labels[j].name;
    qsort(names, total, sizeof(*names), name_cmp);
    size_t u = 0;
    for (size_t i = 0; i < total; i++)
        if (!u || strcmp(names[u - 1], names[i]) != 0) names[u++] = names[i];
    *n = u;
    return names;
}

int csvout_render(const struct series_set *set, struct buf *out)
{
    size_t npoints = 0;
    for (size_t i = 0; i < set->nseries; i++)
        npoints += set->series[i]->npoints;
    if (!npoints) {
        int rc = buf_puts(out, "timestamp,");
        if (!rc) rc = put_cell(out, set->name);
        return rc ? rc : buf_puts(out, ",normalized_ts\n");
    }
    int rc;
    size_t ncols;
    const char **cols = union_names(set, &ncols, &rc);
    if (rc) return rc;
    const struct series **order = malloc(set->nseries * sizeof(*order));
    if (!order) {
        free(cols);
        return -ENOMEM;
    }
    for (size_t i = 0; i < set->nseries; i++)
        order[i] = set->series[i];
    qsort(order, set->nseries, sizeof(*order), series_ptr_cmp);

    for (size_t c = 0; !rc && c < ncols; c++) {
        rc = buf_puts(out, "metric.");
        if (!rc) rc = put_cell(out, cols[c]); /* label names cannot need quoting */
        if (!rc) rc = buf_puts(out, ",");
    }
    if (!rc) rc = buf_puts(out, "timestamp,");
    if (!rc) rc = put_cell(out, set->name);
    if (!rc) rc = buf_puts(out, ",normalized_ts\n");

    char ts[SERIES_NUM_MAX], nts[SERIES_NUM_MAX];
    for (size_t i = 0; !rc && i < set->nseries; i++) {
        const struct series *s = order[i];
        if (!s->npoints) continue;
        long long first = series_ts_ms(s->points[0].ts);
        for (size_t p = 0; !rc && p < s->npoints; p++) {
            /* The label cells: walk both sorted lists together. */
            size_t j = 0;
            for (size_t c = 0; !rc && c < ncols; c++) {
                if (j < s->nlabels && strcmp(s->labels[j].name, cols[c]) == 0)
                    rc = put_cell(out, s->labels[j++].value);
                if (!rc) rc = buf_puts(out, ",");
            }
            long long d = series_ts_ms(s->points[p].ts) - first;
            series_format_ts(s->points[p].ts, ts);
            series_format_ts((double)d / 1000.0, nts);
            if (!rc) rc = buf_printf(out, "%s,", ts);
            if (!rc) rc = put_cell(out, series_point_value(s, p));
            if (!rc) rc = buf_printf(out, ",%s\n", nts);
        }
    }
    free(order);
    free(cols);
    return rc;
}

int csvout_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 200) return 0;
    if (strchr(name, '/')) return 0;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return 0;
    return 1;
}
