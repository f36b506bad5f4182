/* report.c: `meshperf report`'s model and orchestration (see report.h).
 *
 * report_load reads every source (report_read.c), sorts the runs by
 * source, test and timestamp, picks each run's memory and CPU metric,
 * collects the node names, and derives every figure once into
 * report->stats. report_build then writes summary.csv (report_summary.c),
 * draws the charts (report_fig.c) and writes index.html (report_html.c).
 *
 * Per node, from the run's memory metric: the node's series are summed per
 * timestamp (containers and replicas of the node, like the original's
 * `sum by (replica_set)`) and the max over time is taken as a number (the
 * original compared strings). Bytes are shown as MiB. From the CPU metric:
 * a counter (report_ts_is_counter: cpu_usage_seconds, *_total) gives
 * (last - first) / elapsed per series, a gauge its mean (a "percent" gauge
 * is divided by 100); the node's series are added: mean cores used.
 * Nodes are found by sorting (names, then (node, time) points), never by
 * searching per node, so the time is O(S log S) in the series' points. */
#include "report/report.h"

#include "base/natcmp.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "report/chart.h"
#include "base/errbuf.h"
#include "report/report_fig.h"
#include "report/report_html.h"
#include "report/report_compare.h"
#include "report/report_read.h"
#include "report/report_summary.h"
#include "report/report_ts.h"

double report_run_percentile(const struct report_run *run, double p)
{
    for (size_t i = 0; i < run->npctls; i++)
        if (fabs(run->pctls[i].p - p) < 1e-9 && isfinite(run->pctls[i].v)) return run->pctls[i].v;
    if (!run->nbuckets) return NAN;
    if (p >= 100) return isfinite(run->max) ? run->max : run->buckets[run->nbuckets - 1].end;
    /* Fortio's CalcPercentile: the minimum covers the first 1/Count of the
     * data, then linear inside the bucket that reaches p. */
    double prev = isfinite(run->count) && run->count > 0 ? 100.0 / run->count : 0;
    if (p <= prev && isfinite(run->min)) return run->min;
    for (size_t i = 0; i < run->nbuckets; i++) {
        const struct report_bucket *b = &run->buckets[i];
        if (!isfinite(b->pct)) continue;
        if (p <= b->pct) {
            if (b->pct <= prev) return b->end;
            return b->start + (p - prev) / (b->pct - prev) * (b->end - b->start);
        }
        prev = b->pct;
    }
    return isfinite(run->max) ? run->max : run->buckets[run->nbuckets - 1].end;
}

static int unit_rank(const char *name)
{
    if (strcasestr(name, "mib") || strstr(name, "MB") || strcasestr(name, "_mb")) return 0;
    if (strcasestr(name, "bytes")) return 1;
    return 2;
}

const struct report_metric *report_pick_metric(const struct report_run *run, const char *kind,
                                               const char *override)
{
    const struct report_metric *best = NULL;
    for (size_t i = 0; i < run->nmetrics; i++) {
        const struct report_metric *m = &run->metrics[i];
        if (override) {
            if (!strcmp(m->name, override)) return m;
            continue;
        }
        if (!strcasestr(m->name, kind)) continue;
        /* metrics are sorted by name, so the first of a rank wins ties */
        if (!best || unit_rank(m->name) < unit_rank(best->name)) best = m;
    }
    return best;
}

void report_run_free(struct report_run *run)
{
    if (!run) return;
    free(run->dir);
    free(run->test);
    free(run->ts);
    free(run->requested_qps);
    free(run->buckets);
    free(run->pctls);
    for (size_t i = 0; i < run->nmetrics; i++)
        report_read_metric_free(&run->metrics[i]);
    free(run->metrics);
    free(run->warn);
    free(run->key);
    free(run->mode);
}

void report_free(struct report *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->nruns; i++) {
        report_run_free(&r->runs[i]);
        if (r->stats) {
            free(r->stats[i].mem_mib);
            free(r->stats[i].cpu);
            free(r->stats[i].ctr_mem_mib);
            free(r->stats[i].ctr_cpu);
        }
    }
    free(r->runs);
    free(r->stats);
    for (size_t i = 0; i < r->nnodes; i++)
        free(r->nodes[i]);
    free(r->nodes);
    for (size_t i = 0; i < r->ncontainers; i++)
        free(r->containers[i]);
    free(r->containers);
    free(r->over);
    free(r->modes);
    r->containers = NULL;
    r->over = NULL;
    r->modes = NULL;
    r->ncontainers = r->nmodes = 0;
    r->runs = NULL;
    r->stats = NULL;
    r->nodes = NULL;
    r->nruns = r->nnodes = 0;
}

/* node-2 before node-10 (natural order). */
static int node_qcmp(const void *a, const void *b)
{
    return natcmp(*(char *const *)a, *(char *const *)b);
}

/* baseline, both, serveronly, clientonly; no mode first. */
static int mode_rank(const char *mode)
{
    static const char *const order[] = {"baseline", "both", "serveronly", "clientonly"};
    for (int i = 0; mode && i < 4; i++)
        if (!strcmp(mode, order[i])) return i;
    return -1;
}

static int run_cmp(const void *pa, const void *pb)
{
    const struct report_run *a = pa, *b = pb;
    if (a->source != b->source) return a->source < b->source ? -1 : 1;
    if (a->family != b->family) return a->family < b->family ? -1 : 1;
    int ma = mode_rank(a->mode), mb = mode_rank(b->mode);
    if (ma != mb) return ma < mb ? -1 : 1;
    int c = natcmp(a->test, b->test); /* qps500 before qps1000 */
    return c ? c : strcmp(a->ts, b->ts);
}

/* A node name and its index in report->nodes, for lookups by name. */
struct node_ref {
    const char *name;
    size_t idx;
};

static int node_ref_cmp(const void *a, const void *b)
{
    return strcmp(((const struct node_ref *)a)->name, ((const struct node_ref *)b)->name);
}

static int str_qcmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* r->nodes: every node of the runs' memory and CPU metrics, once each, in
 * natural order; and *refs, the same names sorted bytewise with their index
 * (free it). Sorting, not searching, so that 200,000 pods stay fast.
 * 0 or -1 on no memory. */
static int collect_nodes(struct report *r, const struct report_opts *o, struct node_ref **refs)
{
    size_t total = 0, n = 0;
    for (size_t i = 0; i < r->nruns; i++)
        for (int k = 0; k < 2; k++) {
            const struct report_metric *m = report_pick_metric(
                &r->runs[i], k ? "cpu" : "memory", k ? o->cpu_metric : o->memory_metric);
            if (!m) continue;
            if (!k && !r->mem_name) {
                r->mem_name = m->name;
                r->mem_bytes = unit_rank(m->name) == 1;
            }
            if (k && !r->cpu_name) r->cpu_name = m->name;
            total += m->ns;
        }
    const char **all = malloc((total ? total : 1) * sizeof *all);
    if (!all) return -1;
    for (size_t i = 0; i < r->nruns; i++)
        for (int k = 0; k < 2; k++) {
            const struct report_metric *m = report_pick_metric(
                &r->runs[i], k ? "cpu" : "memory", k ? o->cpu_metric : o->memory_metric);
            for (size_t j = 0; m && j < m->ns; j++)
                if (m->s[j].node) all[n++] = m->s[j].node;
        }
    if (n) qsort(all, n, sizeof *all, str_qcmp);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (!u || strcmp(all[u - 1], all[i])) all[u++] = all[i];
    r->nodes = calloc(u ? u : 1, sizeof *r->nodes);
    *refs = malloc((u ? u : 1) * sizeof **refs);
    int rc = r->nodes && *refs ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < u; i++) {
        if (!(r->nodes[i] = strdup(all[i]))) rc = -1;
        r->nnodes = i + 1;
    }
    free(all);
    if (rc < 0) return -1;
    if (r->nnodes) qsort(r->nodes, r->nnodes, sizeof *r->nodes, node_qcmp);
    for (size_t i = 0; i < r->nnodes; i++)
        (*refs)[i] = (struct node_ref){r->nodes[i], i};
    if (r->nnodes) qsort(*refs, r->nnodes, sizeof **refs, node_ref_cmp);
    return 0;
}

/* The index in r->nodes of node (which collect_nodes saw). */
static size_t node_index(const struct report *r, const struct node_ref *refs, const char *node)
{
    struct node_ref key = {node, 0};
    const struct node_ref *f = bsearch(&key, refs, r->nnodes, sizeof *refs, node_ref_cmp);
    return f ? f->idx : 0;
}

struct ntv {
    size_t node;
    double t, v;
};

/* By node, then time (NaN times last). */
static int ntv_cmp(const void *pa, const void *pb)
{
    const struct ntv *a = pa, *b = pb;
    if (a->node != b->node) return a->node < b->node ? -1 : 1;
    if (isnan(a->t) || isnan(b->t)) return isnan(a->t) - isnan(b->t);
    return a->t < b->t ? -1 : a->t > b->t ? 1 : 0;
}

/* mem[k] = max over time of the per-timestamp sum of node k's series of m
 * (NaN when it has none); points without a time stand alone. tmp is
 * scratch, grown as needed. 0 or -1 on no memory. */
static int nodes_mem_max(const struct report *r, const struct node_ref *refs,
                         const struct report_metric *m, double *mem, struct ntv **tmp,
                         size_t *tmpcap)
{
    for (size_t k = 0; k < r->nnodes; k++)
        mem[k] = NAN;
    size_t n = 0;
    for (size_t i = 0; i < m->ns; i++) {
        const struct report_series *s = &m->s[i];
        if (!s->node) continue;
        size_t node = node_index(r, refs, s->node);
        if (n + s->n > *tmpcap) {
            size_t nc = (n + s->n) * 2;
            struct ntv *t = realloc(*tmp, nc * sizeof *t);
            if (!t) return -1;
            *tmp = t;
            *tmpcap = nc;
        }
        for (size_t j = 0; j < s->n; j++) {
            if (!isfinite(s->v[j])) continue;
            double t = isfinite(s->ts[j]) ? s->ts[j] : s->nts[j];
            (*tmp)[n++] = (struct ntv){node, t, s->v[j]};
        }
    }
    size_t sorted = 1; /* one series per node, in time order: usually so already */
    while (sorted < n && ntv_cmp(&(*tmp)[sorted - 1], &(*tmp)[sorted]) <= 0)
        sorted++;
    if (sorted < n) qsort(*tmp, n, sizeof **tmp, ntv_cmp);
    for (size_t i = 0; i < n;) {
        const struct ntv *a = &(*tmp)[i];
        double sum = a->v;
        size_t j = i + 1;
        if (!isnan(a->t)) /* no time at all: every value stands alone */
            for (; j < n && (*tmp)[j].node == a->node && (*tmp)[j].t == a->t; j++)
                sum += (*tmp)[j].v;
        if (isnan(mem[a->node]) || sum > mem[a->node]) mem[a->node] = sum;
        i = j;
    }
    return 0;
}

/* Mean CPU cores of series s of a CPU metric (counter: (last - first) /
 * elapsed; gauge: mean x scale). NaN when it has too few points. */
static double series_cpu(const struct report_series *s, bool counter, double scale)
{
    if (counter) {
        size_t a = 0, b = s->n;
        while (a < s->n && !(isfinite(s->v[a]) && isfinite(s->ts[a])))
            a++;
        while (b > a && !(isfinite(s->v[b - 1]) && isfinite(s->ts[b - 1])))
            b--;
        if (b == 0 || b - 1 <= a || s->ts[b - 1] <= s->ts[a]) return NAN;
        return (s->v[b - 1] - s->v[a]) / (s->ts[b - 1] - s->ts[a]);
    }
    double sum = 0;
    size_t k = 0;
    for (size_t j = 0; j < s->n; j++)
        if (isfinite(s->v[j])) sum += s->v[j], k++;
    return k ? sum / (double)k * scale : NAN;
}

/* cpu[k] = mean CPU cores of node k over the run, from m (NaN if none). */
static void nodes_cpu(const struct report *r, const struct node_ref *refs,
                      const struct report_metric *m, double *cpu)
{
    for (size_t k = 0; k < r->nnodes; k++)
        cpu[k] = NAN;
    bool counter = report_ts_is_counter(m->name);
    double scale = strcasestr(m->name, "percent") ? 0.01 : 1;
    for (size_t i = 0; i < m->ns; i++) {
        const struct report_series *s = &m->s[i];
        if (!s->node) continue;
        double x = series_cpu(s, counter, scale);
        if (isnan(x)) continue;
        size_t node = node_index(r, refs, s->node);
        cpu[node] = isnan(cpu[node]) ? x : cpu[node] + x;
    }
}

/* The index of m's "container" label, or -1. */
static long container_label(const struct report_metric *m)
{
    for (size_t i = 0; i < m->nlabels; i++)
        if (!strcmp(m->labels[i], "container")) return (long)i;
    return -1;
}

/* The index of container name in r->containers, added when new (at most
 * REPORT_CONTAINERS_MAX); -1 when full, -2 on no memory. */
static long container_index(struct report *r, const char *name)
{
    for (size_t i = 0; i < r->ncontainers; i++)
        if (!strcmp(r->containers[i], name)) return (long)i;
    if (r->ncontainers == REPORT_CONTAINERS_MAX) return -1;
    if (!r->containers && !(r->containers = calloc(REPORT_CONTAINERS_MAX, sizeof *r->containers)))
        return -2;
    if (!(r->containers[r->ncontainers] = strdup(name))) return -2;
    return (long)r->ncontainers++;
}

/* With modes: per container (label "container"), the run's memory (sum
 * of each series' max, MiB) and CPU (sum of each series' mean cores).
 * 0 or -1 on no memory. */
static int derive_containers(struct report *r, const struct report_opts *o)
{
    for (size_t i = 0; i < r->nruns; i++)
        for (int k = 0; k < 2; k++) {
            const struct report_metric *m = report_pick_metric(
                &r->runs[i], k ? "cpu" : "memory", k ? o->cpu_metric : o->memory_metric);
            long cl = m ? container_label(m) : -1;
            for (size_t j = 0; cl >= 0 && j < m->ns; j++)
                if (m->s[j].lv[cl][0] && container_index(r, m->s[j].lv[cl]) == -2) return -1;
        }
    size_t nc = r->ncontainers ? r->ncontainers : 1;
    for (size_t i = 0; i < r->nruns; i++) {
        struct report_stats *st = &r->stats[i];
        st->ctr_mem_mib = malloc(nc * sizeof *st->ctr_mem_mib);
        st->ctr_cpu = malloc(nc * sizeof *st->ctr_cpu);
        if (!st->ctr_mem_mib || !st->ctr_cpu) return -1;
        for (size_t c = 0; c < nc; c++)
            st->ctr_mem_mib[c] = st->ctr_cpu[c] = NAN;
        for (int k = 0; k < 2; k++) {
            const struct report_metric *m = report_pick_metric(
                &r->runs[i], k ? "cpu" : "memory", k ? o->cpu_metric : o->memory_metric);
            long cl = m ? container_label(m) : -1;
            if (cl < 0) continue;
            bool counter = report_ts_is_counter(m->name);
            double scale = strcasestr(m->name, "percent") ? 0.01 : 1;
            double unit = !k && unit_rank(m->name) == 1 ? 1.0 / 1048576 : 1;
            for (size_t j = 0; j < m->ns; j++) {
                const struct report_series *s = &m->s[j];
                long c = s->lv[cl][0] ? container_index(r, s->lv[cl]) : -1;
                if (c < 0) continue;
                double x = NAN;
                if (k) {
                    x = series_cpu(s, counter, scale);
                } else {
                    for (size_t p = 0; p < s->n; p++)
                        if (isfinite(s->v[p]) && (isnan(x) || s->v[p] > x)) x = s->v[p];
                    x *= unit;
                }
                if (isnan(x)) continue;
                double *slot = k ? &st->ctr_cpu[c] : &st->ctr_mem_mib[c];
                *slot = isnan(*slot) ? x : *slot + x;
            }
        }
    }
    return 0;
}

static int derive(struct report *r, const struct report_opts *o)
{
    struct node_ref *refs = NULL;
    if (collect_nodes(r, o, &refs) < 0) {
        free(refs);
        return -1;
    }
    r->stats = calloc(r->nruns ? r->nruns : 1, sizeof *r->stats);
    struct ntv *tmp = NULL;
    size_t tmpcap = 0;
    int rc = r->stats ? 0 : -1;
    static const double pcts[] = REPORT_PCTS;
    for (size_t i = 0; rc == 0 && i < r->nruns; i++) {
        struct report_run *run = &r->runs[i];
        struct report_stats *st = &r->stats[i];
        for (int k = 0; k < 4; k++)
            st->pct_ms[k] = report_run_percentile(run, pcts[k]) * 1000;
        st->mem_mib = malloc((r->nnodes ? r->nnodes : 1) * sizeof *st->mem_mib);
        st->cpu = malloc((r->nnodes ? r->nnodes : 1) * sizeof *st->cpu);
        if (!st->mem_mib || !st->cpu) {
            rc = -1;
            break;
        }
        const struct report_metric *mm = report_pick_metric(run, "memory", o->memory_metric);
        const struct report_metric *cm = report_pick_metric(run, "cpu", o->cpu_metric);
        for (size_t n = 0; n < r->nnodes; n++)
            st->mem_mib[n] = st->cpu[n] = NAN;
        if (mm && nodes_mem_max(r, refs, mm, st->mem_mib, &tmp, &tmpcap) < 0) rc = -1;
        for (size_t n = 0; mm && unit_rank(mm->name) == 1 && n < r->nnodes; n++)
            st->mem_mib[n] /= 1048576.0;
        if (cm) nodes_cpu(r, refs, cm, st->cpu);
        if (!mm) {
            if (o->memory_metric)
                report_read_warn(run, "missing %s.csv", o->memory_metric);
            else
                report_read_warn(run, "no memory metric CSV (a *memory*.csv)");
        }
    }
    free(tmp);
    free(refs);
    if (rc == 0 && r->has_modes) rc = derive_containers(r, o);
    return rc;
}

int report_load(struct report *r, const struct report_opts *o, FILE *warnf, char *err,
                size_t errlen)
{
    struct report_runs runs = {0};
    for (size_t i = 0; i < r->nsources; i++) {
        if (report_read_source(r->sources[i].store, r->sources[i].path, (int)i, &runs, err,
                               errlen) < 0) {
            for (size_t k = 0; k < runs.n; k++)
                report_run_free(&runs.v[k]);
            free(runs.v);
            return -1;
        }
    }
    r->runs = runs.v;
    r->nruns = runs.n;
    for (size_t i = 0; i < r->nruns; i++) {
        struct report_run *run = &r->runs[i];
        const char *m = report_read_mode(r->sources[run->source].label);
        if (!run->mode && m && !(run->mode = strdup(m))) {
            errbuf_set(err, errlen, "out of memory");
            return -2;
        }
        r->has_modes |= run->mode != NULL;
    }
    if (r->nruns) qsort(r->runs, r->nruns, sizeof *r->runs, run_cmp);
    if (derive(r, o) < 0 || (r->has_modes && report_compare_derive(r) < 0)) {
        errbuf_set(err, errlen, "out of memory");
        return -2;
    }
    if (warnf)
        for (size_t i = 0; i < r->nruns; i++)
            if (r->runs[i].warn)
                fprintf(warnf, "meshperf report: warning: %s: %s; continuing\n", r->runs[i].dir,
                        r->runs[i].warn);
    return 0;
}

static int mkdir_p(const char *path, char *err, size_t errlen)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s", path) >= sizeof tmp)
        return errbuf_set(err, errlen, "%s: path too long", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
            return errbuf_set(err, errlen, "%s: %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
        return errbuf_set(err, errlen, "%s: %s", tmp, strerror(errno));
    return 0;
}

int report_build(const struct report_opts *o, const struct report_source *src, size_t nsrc,
                 FILE *warnf, char *err, size_t errlen)
{
    struct report r = {.sources = src, .nsources = nsrc};
    struct report_figs figs = {0};
    int rc = -1;
    int lr = report_load(&r, o, warnf, err, errlen);
    if (lr < 0) {
        rc = lr == -1 ? 2 : -1;
        goto out;
    }
    if (!r.nruns) {
        char where[1024] = "";
        for (size_t i = 0; i < nsrc; i++) {
            size_t l = strlen(where);
            snprintf(where + l, sizeof where - l, "%s%s", i ? ", " : "", src[i].path);
        }
        errbuf_set(err, errlen,
                   "no runs found under %s (want <test>/<ts>/ directories holding fortio.json "
                   "or *.csv)",
                   where);
        rc = 1;
        goto out;
    }
    if (mkdir_p(o->out_dir, err, errlen) < 0) goto out;
    char path[4096];
    snprintf(path, sizeof path, "%s/summary.csv", o->out_dir);
    if (report_summary_write(&r, path, err, errlen) < 0) goto out;
    snprintf(path, sizeof path, "%s/compare.csv", o->out_dir);
    if (r.has_modes && report_summary_write_modes(&r, path, err, errlen) < 0) goto out;
    if (report_fig_all(&r, o, &figs, err, errlen) < 0) goto out;
    snprintf(path, sizeof path, "%s/index.html", o->out_dir);
    if (report_html_write(&r, o, &figs, path, err, errlen) < 0) goto out;
    rc = 0;
out:
    report_fig_free(&figs);
    report_free(&r);
    chart_release();
    return rc;
}
