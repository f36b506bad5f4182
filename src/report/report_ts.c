/* report_ts.c: time-series preparation for the report's per-run charts
 * (see report_ts.h).
 *
 * Counters are recognised by name only (the CSVs carry no type). Rates use
 * consecutive samples, so a chart shows how the rate moved during the run
 * rather than one average. Grouping by path class and the legend both work
 * on the label names and values report_read.c keeps per metric and series:
 * a label is shown in a legend only when it tells the chart's series apart. */
#include "report/report_ts.h"

#include "base/natcmp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool report_ts_is_counter(const char *name)
{
    size_t n = strlen(name);
    if (strstr(name, "rate")) return false;
    return (n >= 6 && !strcmp(name + n - 6, "_total")) || strstr(name, "_seconds_total") ||
           strstr(name, "cpu_usage_seconds");
}

/* Seconds between samples j < i: Unix timestamps when both are finite, else normalized_ts. */
static double gap(const double *ts, const double *nts, size_t j, size_t i)
{
    return isfinite(ts[i]) && isfinite(ts[j]) ? ts[i] - ts[j] : nts[i] - nts[j];
}

#define RATE_BACK 8 /* samples looked back over for a long enough interval */

void report_ts_rate(const double *ts, const double *nts, const double *v, size_t n, double *out)
{
    /* half the mean sampling interval: shorter intervals are merged with
     * the ones before them */
    size_t a = 0, b = n;
    while (a < n && !isfinite(gap(ts, nts, 0, a)))
        a++;
    while (b > a + 1 && !isfinite(gap(ts, nts, a, b - 1)))
        b--;
    double minstep = b > a + 1 ? 0.5 * gap(ts, nts, a, b - 1) / (double)(b - 1 - a) : 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = NAN;
        if (!isfinite(v[i])) continue;
        for (size_t j = i, k = 0; j-- > 0 && k < RATE_BACK; k++) {
            if (!isfinite(v[j])) break; /* a gap stays a gap */
            double dt = gap(ts, nts, j, i);
            if (!isfinite(dt) || dt <= 0 || dt < minstep) continue;
            double d = v[i] - v[j];
            out[i] = (d >= 0 ? d : v[i]) / dt;
            break;
        }
    }
}

static int series_cmp(const void *pa, const void *pb, void *ctx)
{
    const struct report_metric *m = ctx;
    size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
    if (ia == ib) return 0;
    const struct report_series *a = &m->s[ia], *b = &m->s[ib];
    /* a node's series together (its containers), then by label values */
    if (a->node && b->node) {
        int c = natcmp(a->node, b->node);
        if (c) return c;
    } else if (a->node || b->node) {
        return a->node ? -1 : 1;
    }
    for (size_t k = 0; k < m->nlabels && a->lv && b->lv; k++) {
        int c = natcmp(a->lv[k], b->lv[k]);
        if (c) return c;
    }
    int c = natcmp(a->name, b->name);
    if (c) return c;
    /* stable for equal keys */
    return ia < ib ? -1 : 1;
}

static long label_index(const struct report_metric *m, const char *label)
{
    for (size_t k = 0; k < m->nlabels; k++)
        if (!strcmp(m->labels[k], label)) return (long)k;
    return -1;
}

static bool is_scrape(const char *path)
{
    return !strcmp(path, "health") || !strcmp(path, "metrics");
}

/* Path values of m's series (with points), "root" first then natural
 * order, each once, into vals (borrowed); the count. */
static size_t path_values(const struct report_metric *m, long pk, const char **vals)
{
    size_t nv = 0;
    for (size_t i = 0; i < m->ns; i++) {
        if (!m->s[i].n || !m->s[i].lv) continue;
        const char *p = m->s[i].lv[pk];
        size_t j = 0;
        while (j < nv && strcmp(vals[j], p))
            j++;
        if (j == nv) vals[nv++] = p;
    }
    /* insertion sort: root first, then natural order */
    for (size_t i = 1; i < nv; i++)
        for (size_t j = i; j > 0; j--) {
            const char *x = vals[j - 1], *y = vals[j];
            bool swap = strcmp(x, "root") && (!strcmp(y, "root") || natcmp(x, y) > 0);
            if (!swap) break;
            vals[j - 1] = y;
            vals[j] = x;
        }
    return nv;
}

void report_ts_groups_free(struct report_ts_group *groups, size_t n)
{
    if (!groups) return;
    for (size_t i = 0; i < n; i++)
        free(groups[i].idx);
    free(groups);
}

/* Append group {path, series of m with points and, if path, that path}. */
static int add_group(const struct report_metric *m, long pk, const char *path,
                     struct report_ts_group *g)
{
    g->path = path;
    g->n = 0;
    g->idx = malloc((m->ns ? m->ns : 1) * sizeof *g->idx);
    if (!g->idx) return -1;
    for (size_t i = 0; i < m->ns; i++) {
        if (!m->s[i].n) continue;
        if (path && (!m->s[i].lv || strcmp(m->s[i].lv[pk], path))) continue;
        g->idx[g->n++] = i;
    }
    if (g->n > 1) qsort_r(g->idx, g->n, sizeof *g->idx, series_cmp, (void *)m);
    return 0;
}

int report_ts_groups(const struct report_metric *m, struct report_ts_group **groups)
{
    *groups = NULL;
    size_t with_points = 0;
    for (size_t i = 0; i < m->ns; i++)
        with_points += m->s[i].n > 0;
    if (!with_points) return 0;
    long pk = label_index(m, "path");
    const char **vals = pk >= 0 ? malloc(m->ns * sizeof *vals) : NULL;
    if (pk >= 0 && !vals) return -1;
    size_t nv = pk >= 0 ? path_values(m, pk, vals) : 0, ng = 0;
    for (size_t j = 0; j < nv; j++)
        ng += !is_scrape(vals[j]);
    struct report_ts_group *g = calloc(ng ? ng : 1, sizeof *g);
    if (!g) {
        free(vals);
        return -1;
    }
    size_t k = 0;
    int rc = 0;
    if (!ng) {
        rc = add_group(m, pk, NULL, &g[k++]);
    } else {
        for (size_t j = 0; j < nv && rc == 0; j++)
            if (!is_scrape(vals[j])) rc = add_group(m, pk, vals[j], &g[k++]);
    }
    free(vals);
    if (rc < 0) {
        report_ts_groups_free(g, k);
        return -1;
    }
    *groups = g;
    return (int)k;
}

/* Does label k take more than one value among the series idx[0..n)? */
static bool label_differs(const struct report_metric *m, const size_t *idx, size_t n, size_t k)
{
    const char *first = m->s[idx[0]].lv ? m->s[idx[0]].lv[k] : "";
    for (size_t i = 1; i < n; i++)
        if (strcmp(first, m->s[idx[i]].lv ? m->s[idx[i]].lv[k] : "")) return true;
    return false;
}

void report_ts_legend(const struct report_metric *m, const size_t *idx, size_t n, size_t i,
                      char *out, size_t outlen)
{
    if (!outlen) return;
    out[0] = '\0';
    const struct report_series *s = &m->s[idx[i]];
    if (!m->nlabels || !s->lv) {
        snprintf(out, outlen, "%s", s->name ? s->name : m->name);
        return;
    }
    bool any_differs = false;
    for (size_t k = 0; k < m->nlabels && !any_differs; k++)
        any_differs = label_differs(m, idx, n, k);
    size_t len = 0;
    for (size_t k = 0; k < m->nlabels && len + 1 < outlen; k++) {
        if (any_differs ? !label_differs(m, idx, n, k) : !s->lv[k][0]) continue;
        int w =
            snprintf(out + len, outlen - len, "%s%s=%s", len ? " " : "", m->labels[k], s->lv[k]);
        if (w < 0) break;
        len += (size_t)w < outlen - len ? (size_t)w : outlen - len - 1;
    }
    if (!len) snprintf(out, outlen, "%s", m->name);
}
