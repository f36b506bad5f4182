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

struct path_ctx {
    const struct report_metric *m;
    long pk;
};

/* "root" first, then natural order of the path label; a path's series by series_cmp. */
static int path_cmp(const void *pa, const void *pb, void *ctx)
{
    const struct path_ctx *p = ctx;
    const char *x = p->m->s[*(const size_t *)pa].lv[p->pk];
    const char *y = p->m->s[*(const size_t *)pb].lv[p->pk];
    int c = strcmp(x, y);
    if (c) {
        bool rx = !strcmp(x, "root"), ry = !strcmp(y, "root");
        return rx ? -1 : ry ? 1 : natcmp(x, y);
    }
    return series_cmp(pa, pb, (void *)p->m);
}

void report_ts_groups_free(struct report_ts_group *groups, size_t n)
{
    if (!groups) return;
    for (size_t i = 0; i < n; i++) {
        free(groups[i].idx);
        free(groups[i].differs);
    }
    free(groups);
}

/* Fill g->differs (does label k take more than one value among g's
 * series?) and g->any_differs. O(series x labels). 0 or -1 on no memory. */
static int group_differs(const struct report_metric *m, struct report_ts_group *g)
{
    g->any_differs = false;
    g->differs = calloc(m->nlabels ? m->nlabels : 1, sizeof *g->differs);
    if (!g->differs) return -1;
    const struct report_series *first = &m->s[g->idx[0]];
    for (size_t k = 0; k < m->nlabels; k++) {
        const char *v0 = first->lv ? first->lv[k] : "";
        for (size_t i = 1; i < g->n && !g->differs[k]; i++)
            g->differs[k] = strcmp(v0, m->s[g->idx[i]].lv ? m->s[g->idx[i]].lv[k] : "") != 0;
        g->any_differs |= g->differs[k];
    }
    return 0;
}

/* Make g the group {path, idx[0..n)} (idx copied). 0 or -1 on no memory. */
static int set_group(const struct report_metric *m, const char *path, const size_t *idx, size_t n,
                     struct report_ts_group *g)
{
    g->path = path;
    g->n = n;
    g->idx = malloc(n * sizeof *g->idx);
    if (!g->idx) return -1;
    memcpy(g->idx, idx, n * sizeof *idx);
    return group_differs(m, g);
}

int report_ts_groups(const struct report_metric *m, struct report_ts_group **groups)
{
    *groups = NULL;
    size_t *idx = malloc((m->ns ? m->ns : 1) * sizeof *idx), n = 0;
    if (!idx) return -1;
    for (size_t i = 0; i < m->ns; i++)
        if (m->s[i].n) idx[n++] = i;
    if (!n) {
        free(idx);
        return 0;
    }
    long pk = label_index(m, "path");
    /* runs of equal path values in idx (sorted by path), non-scrape ones */
    size_t ng = 0;
    if (pk >= 0) {
        struct path_ctx ctx = {m, pk};
        qsort_r(idx, n, sizeof *idx, path_cmp, &ctx);
        for (size_t i = 0; i < n; i++)
            if ((i == 0 || strcmp(m->s[idx[i]].lv[pk], m->s[idx[i - 1]].lv[pk])) &&
                !is_scrape(m->s[idx[i]].lv[pk]))
                ng++;
    }
    size_t shown = ng > REPORT_TS_MAX_GROUPS ? REPORT_TS_MAX_GROUPS : ng;
    struct report_ts_group *g = calloc(shown ? shown : 1, sizeof *g);
    int rc = g ? 0 : -1;
    size_t k = 0;
    if (!g) {
    } else if (!ng) { /* no path label, or only the driver's requests: one chart */
        qsort_r(idx, n, sizeof *idx, series_cmp, (void *)m);
        rc = set_group(m, NULL, idx, n, &g[k++]);
    } else {
        /* one chart per path; past REPORT_TS_MAX_GROUPS - 1 the rest share one */
        size_t *rest = NULL, nrest = 0;
        for (size_t i = 0; i < n && rc == 0;) {
            const char *path = m->s[idx[i]].lv[pk];
            size_t j = i + 1;
            while (j < n && !strcmp(m->s[idx[j]].lv[pk], path))
                j++;
            if (is_scrape(path)) {
            } else if (k + 1 < shown || ng == shown) {
                rc = set_group(m, path, idx + i, j - i, &g[k++]);
            } else { /* moved to the front of idx: i >= nrest always */
                memmove(idx + nrest, idx + i, (j - i) * sizeof *idx);
                rest = idx;
                nrest += j - i;
            }
            i = j;
        }
        if (rc == 0 && nrest) {
            qsort_r(rest, nrest, sizeof *rest, series_cmp, (void *)m);
            rc = set_group(m, REPORT_TS_OTHER_PATHS, rest, nrest, &g[k++]);
        }
    }
    free(idx);
    if (rc < 0) {
        report_ts_groups_free(g, k);
        return -1;
    }
    *groups = g;
    return (int)k;
}

void report_ts_legend(const struct report_metric *m, const struct report_ts_group *g, size_t i,
                      char *out, size_t outlen)
{
    if (!outlen) return;
    out[0] = '\0';
    const struct report_series *s = &m->s[g->idx[i]];
    if (!m->nlabels || !s->lv) {
        snprintf(out, outlen, "%s", s->name ? s->name : m->name);
        return;
    }
    size_t len = 0;
    for (size_t k = 0; k < m->nlabels && len + 1 < outlen; k++) {
        if (g->any_differs ? !g->differs[k] : !s->lv[k][0]) continue;
        int w =
            snprintf(out + len, outlen - len, "%s%s=%s", len ? " " : "", m->labels[k], s->lv[k]);
        if (w < 0) break;
        len += (size_t)w < outlen - len ? (size_t)w : outlen - len - 1;
    }
    if (!len) snprintf(out, outlen, "%s", m->name);
}
