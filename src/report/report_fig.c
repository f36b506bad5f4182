/* report_fig.c: build the report's charts from the model (see report_fig.h).
 *
 * Each builder gathers x/y arrays (runs sorted by actual QPS for the
 * across-run charts), describes a struct chart and hands it to add(), which
 * renders it once to PNG + SVG and records the figure. Temporary arrays are
 * freed right after rendering. */
#include "report/report_fig.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "report/chart.h"
#include "base/errbuf.h"
#include "report/report_ts.h"

#define SVG_MAX (64u << 20)

/* Write the points c draws (finite y only) as CSV `series,x,y` to path. */
static int write_data(const struct chart *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) return errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
    fputs("series,x,y\n", f);
    for (size_t i = 0; i < c->nseries; i++) {
        const struct chart_series *s = &c->series[i];
        const char *name = s->name ? s->name : "";
        bool quote = strpbrk(name, ",\"\r\n") != NULL;
        for (size_t j = 0; j < s->n; j++) {
            if (!isfinite(s->y[j])) continue;
            if (quote) {
                fputc('"', f);
                for (const char *p = name; *p; p++) {
                    if (*p == '"') fputc('"', f);
                    fputc(*p, f);
                }
                fputc('"', f);
            } else {
                fputs(name, f);
            }
            fprintf(f, ",%.10g,%.10g\n", s->x[j], s->y[j]);
        }
    }
    if (ferror(f) | (fclose(f) != 0)) return errbuf_set(err, errlen, "%s: write failed", path);
    return 0;
}

static int add(struct report_figs *figs, const struct report_opts *o, const struct chart *c,
               enum report_fig_group group, long run, int source, const char *slug, char *err,
               size_t errlen)
{
    if (figs->n == figs->cap) {
        size_t cap = figs->cap ? figs->cap * 2 : 16;
        struct report_fig *v = realloc(figs->v, cap * sizeof *v);
        if (!v) return errbuf_set(err, errlen, "out of memory");
        figs->v = v;
        figs->cap = cap;
    }
    struct report_fig *f = &figs->v[figs->n];
    memset(f, 0, sizeof *f);
    f->group = group;
    f->run = run;
    f->source = source;
    char name[128];
    int k = snprintf(name, sizeof name, "fig-%03zu-", figs->n + 1);
    for (const char *s = slug; *s && k < 100; s++)
        name[k++] = (isalnum((unsigned char)*s) || *s == '-' || *s == '_') ? *s : '_';
    snprintf(name + k, sizeof name - (size_t)k, ".png");
    f->title = strdup(c->title ? c->title : "");
    f->png = strdup(name);
    buf_init(&f->svg, SVG_MAX);
    figs->n++;
    if (!f->title || !f->png) return errbuf_set(err, errlen, "out of memory");
    f->chart = chart_dup(c);
    if (!f->chart) return errbuf_set(err, errlen, "out of memory");
    if (o->chart_data) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%.*s.csv", o->out_dir, (int)(strlen(name) - 4), name);
        if (write_data(c, path, err, errlen) < 0) return -1;
    }
    return 0;
}

struct pool {
    struct report_figs *figs;
    const char *dir;
    atomic_size_t next;
    atomic_int failed;
    char err[ERRBUF_LEN]; /* written by the first worker that fails */
};

static void *worker(void *arg)
{
    struct pool *p = arg;
    char path[4096], err[ERRBUF_LEN];
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->figs->n || atomic_load(&p->failed)) break;
        struct report_fig *f = &p->figs->v[i];
        snprintf(path, sizeof path, "%s/%s", p->dir, f->png);
        int rc = chart_render(f->chart, path, &f->svg, err, sizeof err);
        free(f->chart);
        f->chart = NULL;
        if (rc < 0 && atomic_exchange(&p->failed, 1) == 0) memcpy(p->err, err, sizeof err);
    }
    return NULL;
}

/* Draw every figure's chart, on up to 4 threads. 0 or -1 with err. */
static int draw_all(struct report_figs *figs, const char *dir, char *err, size_t errlen)
{
    struct pool p = {.figs = figs, .dir = dir};
    atomic_init(&p.next, 0);
    atomic_init(&p.failed, 0);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nt = ncpu < 1 ? 1 : ncpu > 4 ? 4 : (size_t)ncpu;
    if (nt > figs->n) nt = figs->n ? figs->n : 1;
    pthread_t th[4];
    size_t started = 0;
    for (size_t i = 1; i < nt; i++) {
        if (pthread_create(&th[started], NULL, worker, &p) != 0) break;
        started++;
    }
    worker(&p); /* this thread works too */
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (atomic_load(&p.failed)) return errbuf_set(err, errlen, "%s", p.err);
    return 0;
}

static int by_qps(const void *a, const void *b, void *ctx)
{
    const struct report *r = ctx;
    double x = r->runs[*(const size_t *)a].actual_qps;
    double y = r->runs[*(const size_t *)b].actual_qps;
    return x < y ? -1 : x > y ? 1 : 0;
}

static bool same_mode(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* Indices of the runs of source s (all if s < 0) and mode (NULL: those
 * without) with a finite actual QPS, by QPS. */
static size_t runs_of_mode(const struct report *r, int s, const char *mode, size_t *idx)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nruns; i++)
        if ((s < 0 || r->runs[i].source == s) && same_mode(r->runs[i].mode, mode) &&
            isfinite(r->runs[i].actual_qps))
            idx[n++] = i;
    if (n) qsort_r(idx, n, sizeof *idx, by_qps, (void *)r);
    return n;
}

/* Indices of the runs of source s (all if s < 0) with a finite actual QPS, by QPS. */
static size_t runs_of(const struct report *r, int s, size_t *idx)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nruns; i++)
        if ((s < 0 || r->runs[i].source == s) && isfinite(r->runs[i].actual_qps)) idx[n++] = i;
    if (n) qsort_r(idx, n, sizeof *idx, by_qps, (void *)r);
    return n;
}

static const char *const pct_names[] = {"p50", "p90", "p99", "p99.9"};

static int across(const struct report *r, const struct report_opts *o, struct report_figs *figs,
                  int s, const char *mode, char *err, size_t errlen)
{
    int rc = -1;
    size_t nn = r->nnodes;
    size_t *idx = malloc((r->nruns + 1) * sizeof *idx);
    double *x = malloc((r->nruns + 1) * sizeof *x);
    double *y = malloc((r->nruns + 1) * (nn + 4) * sizeof *y);
    struct chart_series *ser = calloc(nn + 4, sizeof *ser);
    if (!idx || !x || !y || !ser) {
        errbuf_set(err, errlen, "out of memory");
        goto out;
    }
    size_t n = runs_of_mode(r, s, mode, idx);
    for (size_t i = 0; i < n; i++)
        x[i] = r->runs[idx[i]].actual_qps;
    char title[512], suffix[300] = "", slug[64];
    if (r->nsources > 1) snprintf(suffix, sizeof suffix, " \xe2\x80\x94 %s", r->sources[s].label);
    if (mode) {
        size_t l = strlen(suffix);
        snprintf(suffix + l, sizeof suffix - l, " \xe2\x80\x94 mode %s", mode);
    }
    /* 1. memory per node */
    size_t ns = 0;
    for (size_t k = 0; k < nn; k++) {
        double *yk = y + k * (r->nruns + 1);
        bool any = false;
        for (size_t i = 0; i < n; i++) {
            yk[i] = r->stats[idx[i]].mem_mib[k];
            any |= isfinite(yk[i]);
        }
        if (any)
            ser[ns++] = (struct chart_series){r->nodes[k],      x, yk, n, CHART_LINE_POINTS, (int)k,
                                              (k / 10) % 2 == 1}; /* past 10 colours: dashed */
    }
    snprintf(title, sizeof title, "Max memory per node vs actual QPS%s", suffix);
    struct chart c = {title,
                      "actual QPS (requests/s)",
                      "max memory (MiB)",
                      CHART_X_LINEAR,
                      ser,
                      ns,
                      0,
                      0,
                      true,
                      true,
                      false};
    snprintf(slug, sizeof slug, "memory-vs-qps-s%d%s%s", s, mode ? "-" : "", mode ? mode : "");
    if (add(figs, o, &c, REPORT_FIG_ACROSS, -1, s, slug, err, errlen) < 0) goto out;
    /* 2. latency percentiles */
    for (int k = 0; k < 4; k++) {
        double *yk = y + (size_t)k * (r->nruns + 1);
        for (size_t i = 0; i < n; i++)
            yk[i] = r->stats[idx[i]].pct_ms[k];
        ser[k] = (struct chart_series){pct_names[k], x, yk, n, CHART_LINE_POINTS, k, false};
    }
    snprintf(title, sizeof title, "Latency percentiles vs actual QPS%s", suffix);
    struct chart c2 = {
        title, "actual QPS (requests/s)", "latency (ms)", CHART_X_LINEAR, ser, 4, 0, 0, true, true,
        false};
    snprintf(slug, sizeof slug, "latency-vs-qps-s%d%s%s", s, mode ? "-" : "", mode ? mode : "");
    if (add(figs, o, &c2, REPORT_FIG_ACROSS, -1, s, slug, err, errlen) < 0) goto out;
    rc = 0;
out:
    free(idx);
    free(x);
    free(y);
    free(ser);
    return rc;
}

static int compare(const struct report *r, const struct report_opts *o, struct report_figs *figs,
                   char *err, size_t errlen)
{
    int rc = -1;
    size_t S = r->nsources, N = r->nruns + 1;
    size_t *idx = malloc(N * sizeof *idx);
    double *x = malloc(S * N * sizeof *x), *y = malloc(3 * S * N * sizeof *y);
    struct chart_series *ser = calloc(2 * S + 1, sizeof *ser);
    char(*names)[300] = calloc(2 * S + 1, sizeof *names);
    if (!idx || !x || !y || !ser || !names) {
        errbuf_set(err, errlen, "out of memory");
        goto out;
    }
    for (size_t s = 0; s < S; s++) {
        size_t n = runs_of(r, (int)s, idx);
        double *xs = x + s * N, *p50 = y + s * N, *p99 = y + (S + s) * N,
               *mem = y + (2 * S + s) * N;
        for (size_t i = 0; i < n; i++) {
            xs[i] = r->runs[idx[i]].actual_qps;
            p50[i] = r->stats[idx[i]].pct_ms[0];
            p99[i] = r->stats[idx[i]].pct_ms[2];
            mem[i] = r->nnodes ? r->stats[idx[i]].mem_mib[0] : NAN;
        }
        snprintf(names[2 * s], sizeof names[0], "%s p99", r->sources[s].label);
        snprintf(names[2 * s + 1], sizeof names[0], "%s p50", r->sources[s].label);
        ser[2 * s] =
            (struct chart_series){names[2 * s], xs, p99, n, CHART_LINE_POINTS, (int)s, false};
        ser[2 * s + 1] =
            (struct chart_series){names[2 * s + 1], xs, p50, n, CHART_LINE_POINTS, (int)s, true};
    }
    struct chart c = {"Latency p99 (solid) and p50 (dashed) vs actual QPS, by source",
                      "actual QPS (requests/s)",
                      "latency (ms)",
                      CHART_X_LINEAR,
                      ser,
                      2 * S,
                      0,
                      0,
                      true,
                      true,
                      false};
    if (add(figs, o, &c, REPORT_FIG_COMPARE, -1, -1, "compare-latency", err, errlen) < 0) goto out;
    for (size_t s = 0; s < S; s++) {
        size_t n = ser[2 * s].n;
        ser[s] = (struct chart_series){r->sources[s].label,
                                       x + s * N,
                                       y + (2 * S + s) * N,
                                       n,
                                       CHART_LINE_POINTS,
                                       (int)s,
                                       false};
    }
    char title[256];
    snprintf(title, sizeof title, "Max memory of %s vs actual QPS, by source",
             r->nnodes ? r->nodes[0] : "node-0");
    struct chart c2 = {title,
                       "actual QPS (requests/s)",
                       "max memory (MiB)",
                       CHART_X_LINEAR,
                       ser,
                       S,
                       0,
                       0,
                       true,
                       true,
                       false};
    if (add(figs, o, &c2, REPORT_FIG_COMPARE, -1, -1, "compare-memory", err, errlen) < 0) goto out;
    rc = 0;
out:
    free(idx);
    free(x);
    free(y);
    free(ser);
    free(names);
    return rc;
}

/* A set of runs of one mode (same source, family and mode): the
 * overhead charts' unit. */
struct mode_set {
    int source, family;
    const char *mode;
    char label[300];
    size_t *idx; /* its runs, by actual QPS */
    size_t n;
};

/* The mode sets of r (runs with a mode), in run order, into *out (free
 * each idx and the array). The count, or -1 on no memory. */
static long mode_sets(const struct report *r, struct mode_set **out)
{
    struct mode_set *v = calloc(r->nruns + 1, sizeof *v);
    *out = v;
    if (!v) return -1;
    long n = 0;
    for (size_t i = 0; i < r->nruns; i++) {
        const struct report_run *u = &r->runs[i];
        if (!u->mode) continue;
        bool seen = false;
        for (long k = 0; k < n && !seen; k++)
            seen =
                v[k].source == u->source && v[k].family == u->family && !strcmp(v[k].mode, u->mode);
        if (seen) continue;
        struct mode_set *m = &v[n++];
        *m = (struct mode_set){u->source, u->family, u->mode, "", NULL, 0};
        if (r->nsources > 1 && u->family >= 0)
            snprintf(m->label, sizeof m->label, "%s %s", r->sources[u->source].label, u->mode);
        else
            snprintf(m->label, sizeof m->label, "%s", u->mode);
        if (!(m->idx = malloc((r->nruns + 1) * sizeof *m->idx))) {
            for (long k = 0; k < n; k++)
                free(v[k].idx);
            free(v);
            *out = NULL;
            return -1;
        }
        for (size_t k = 0; k < r->nruns; k++) {
            const struct report_run *w = &r->runs[k];
            if (w->source == u->source && w->family == u->family && w->mode &&
                !strcmp(w->mode, u->mode) && isfinite(w->actual_qps))
                m->idx[m->n++] = k;
        }
        if (m->n) qsort_r(m->idx, m->n, sizeof *m->idx, by_qps, (void *)r);
    }
    return n;
}

/* The overhead charts (report_fig.h), one colour per mode set. */
static int overhead(const struct report *r, const struct report_opts *o, struct report_figs *figs,
                    char *err, size_t errlen)
{
    struct mode_set *ms;
    long G = mode_sets(r, &ms);
    size_t N = r->nruns + 1, C = r->ncontainers, per = (C > 4 ? C : 4) + 2;
    double *x = G > 0 ? malloc((size_t)G * N * sizeof *x) : NULL;
    double *y = G > 0 ? malloc((size_t)G * per * N * sizeof *y) : NULL;
    struct chart_series *ser = G > 0 ? calloc((size_t)G * per, sizeof *ser) : NULL;
    char(*names)[340] = G > 0 ? calloc((size_t)G * per, sizeof *names) : NULL;
    int rc = -1;
    if (G <= 0 || !x || !y || !ser || !names) {
        rc = G == 0 ? 0 : errbuf_set(err, errlen, "out of memory");
        goto out;
    }
    for (long g = 0; g < G; g++)
        for (size_t i = 0; i < ms[g].n; i++)
            x[(size_t)g * N + i] = r->runs[ms[g].idx[i]].actual_qps;
#define Y(g, k) (y + ((size_t)(g)*per + (k)) * N)
    /* 1. p99 (solid) and p50 (dashed) */
    size_t ns = 0;
    for (long g = 0; g < G; g++) {
        for (int q = 0; q < 2; q++) {
            double *yy = Y(g, q);
            for (size_t i = 0; i < ms[g].n; i++)
                yy[i] = r->stats[ms[g].idx[i]].pct_ms[q ? 0 : 2];
            snprintf(names[ns], sizeof names[0], "%s %s", ms[g].label, q ? "p50" : "p99");
            ser[ns] = (struct chart_series){
                names[ns], x + (size_t)g * N, yy, ms[g].n, CHART_LINE_POINTS, (int)g, q == 1};
            ns++;
        }
    }
    struct chart c = {"Latency p99 (solid) and p50 (dashed) vs actual QPS, by mode",
                      "actual QPS (requests/s)",
                      "latency (ms)",
                      CHART_X_LINEAR,
                      ser,
                      ns,
                      0,
                      0,
                      true,
                      true,
                      false};
    if (add(figs, o, &c, REPORT_FIG_OVERHEAD, -1, -1, "overhead-latency", err, errlen) < 0)
        goto out;
    /* 2. added to the baseline */
    ns = 0;
    for (long g = 0; g < G; g++) {
        if (!strcmp(ms[g].mode, "baseline")) continue;
        for (int k = 0; k < 4; k++) {
            double *yy = Y(g, k);
            for (size_t i = 0; i < ms[g].n; i++)
                yy[i] = r->over[ms[g].idx[i]].added_ms[k];
            snprintf(names[ns], sizeof names[0], "%s %s", ms[g].label, pct_names[k]);
            ser[ns] =
                (struct chart_series){names[ns], x + (size_t)g * N,  yy, ms[g].n, CHART_LINE_POINTS,
                                      k,         g % 2 == 0 && G > 2};
            ns++;
        }
    }
    struct chart c2 = {"Latency added to the baseline vs actual QPS",
                       "actual QPS (requests/s)",
                       "added latency (ms)",
                       CHART_X_LINEAR,
                       ser,
                       ns,
                       0,
                       0,
                       true,
                       true,
                       false};
    if (ns && add(figs, o, &c2, REPORT_FIG_OVERHEAD, -1, -1, "overhead-added", err, errlen) < 0)
        goto out;
    /* 3, 4. memory and CPU per container */
    for (int what = 0; what < 2; what++) {
        ns = 0;
        for (long g = 0; g < G; g++)
            for (size_t k = 0; k < C; k++) {
                double *yy = Y(g, k);
                bool any = false;
                for (size_t i = 0; i < ms[g].n; i++) {
                    const struct report_stats *st = &r->stats[ms[g].idx[i]];
                    const double *v = what ? st->ctr_cpu : st->ctr_mem_mib;
                    yy[i] = v ? v[k] : NAN;
                    any |= isfinite(yy[i]);
                }
                if (!any) continue;
                snprintf(names[ns], sizeof names[0], "%s %s", ms[g].label, r->containers[k]);
                ser[ns] = (struct chart_series){names[ns],
                                                x + (size_t)g * N,
                                                yy,
                                                ms[g].n,
                                                CHART_LINE_POINTS,
                                                (int)g,
                                                strcmp(r->containers[k], "app") != 0};
                ns++;
            }
        struct chart c3 = {what ? "CPU per container vs actual QPS, by mode (sidecars dashed)"
                                : "Memory per container vs actual QPS, by mode (sidecars dashed)",
                           "actual QPS (requests/s)",
                           what ? "CPU (cores, summed over pods)"
                                : "max memory (MiB, summed over pods)",
                           CHART_X_LINEAR,
                           ser,
                           ns,
                           0,
                           0,
                           true,
                           true,
                           false};
        if (ns && add(figs, o, &c3, REPORT_FIG_OVERHEAD, -1, -1,
                      what ? "overhead-cpu" : "overhead-memory", err, errlen) < 0)
            goto out;
    }
#undef Y
    rc = 0;
out:
    for (long g = 0; ms && g < G; g++)
        free(ms[g].idx);
    free(ms);
    free(x);
    free(y);
    free(ser);
    free(names);
    return rc;
}

/* The unit of a metric's values for the y label, guessed from its name;
 * *scale converts the values. For a counter: the unit of its rate. */
static const char *unit_of(const char *name, bool counter, double *scale)
{
    *scale = 1;
    bool bytes = strcasestr(name, "bytes") != NULL;
    if (bytes) *scale = 1.0 / 1048576;
    if (counter) {
        if (strcasestr(name, "cpu") && strcasestr(name, "seconds")) return "CPU s/s = cores";
        if (bytes) return "MiB/s";
        if (strcasestr(name, "seconds")) return "s/s";
        if (strcasestr(name, "request")) return "requests/s";
        return "/s";
    }
    if (strcasestr(name, "mib") || strstr(name, "MB") || bytes) return "MiB";
    if (strcasestr(name, "cpu") && strcasestr(name, "seconds")) return "CPU s";
    if (strcasestr(name, "seconds")) return "s";
    if (strcasestr(name, "rate")) return "1/s";
    return NULL;
}

#define LEGEND_MAX 160
/* Lines on one time-series chart: the first ones in the group's order (by
 * node); the title says how many were left out. More would not be told
 * apart, and 200,000 pods would cost seconds and a 64 MiB SVG. */
#define RUN_CHART_MAX_SERIES 100

/* One time-series chart of metric m in run ri: the series of group g (at
 * most RUN_CHART_MAX_SERIES of them). */
static int run_series_chart(const struct report *r, const struct report_opts *o,
                            struct report_figs *figs, size_t ri, const struct report_metric *m,
                            const struct report_ts_group *g, char *err, size_t errlen)
{
    const struct report_run *run = &r->runs[ri];
    bool counter = report_ts_is_counter(m->name);
    double scale;
    const char *unit = unit_of(m->name, counter, &scale);
    size_t ns = g->n < RUN_CHART_MAX_SERIES ? g->n : RUN_CHART_MAX_SERIES, total = 0;
    for (size_t i = 0; i < ns; i++)
        total += m->s[g->idx[i]].n;
    struct chart_series *ser = calloc(ns + 1, sizeof *ser);
    double *y = malloc((total + 1) * sizeof *y);
    char(*names)[LEGEND_MAX] = malloc((ns + 1) * sizeof *names);
    if (!ser || !y || !names) {
        free(ser), free(y), free(names);
        return errbuf_set(err, errlen, "out of memory");
    }
    size_t off = 0;
    for (size_t i = 0; i < ns; i++) {
        const struct report_series *s = &m->s[g->idx[i]];
        double *ys = y + off;
        off += s->n;
        if (counter)
            report_ts_rate(s->ts, s->nts, s->v, s->n, ys);
        else
            memcpy(ys, s->v, s->n * sizeof *ys);
        for (size_t j = 0; j < s->n && scale != 1; j++)
            ys[j] *= scale;
        report_ts_legend(m, g, i, names[i], sizeof names[i]);
        /* past the palette's 10 colours, lines are dashed */
        ser[i] = (struct chart_series){
            names[i], s->nts,           ys, s->n, s->n <= 40 ? CHART_LINE_POINTS : CHART_LINE,
            (int)i,   (i / 10) % 2 == 1};
    }
    char title[512], what[300], ylabel[300], slug[128], cut[64] = "";
    snprintf(what, sizeof what, "%s%s%s%s", m->name, counter ? " rate" : "",
             g->path ? ", path=" : "", g->path ? g->path : "");
    if (ns < g->n) snprintf(cut, sizeof cut, " (first %zu of %zu series)", ns, g->n);
    snprintf(title, sizeof title, "%s \xe2\x80\x94 %s/%s%s", what, run->test, run->ts, cut);
    if (unit)
        snprintf(ylabel, sizeof ylabel, "%s%s (%s)", m->name, counter ? " rate" : "", unit);
    else
        snprintf(ylabel, sizeof ylabel, "%s", m->name);
    snprintf(slug, sizeof slug, "run%zu-%s%s%s", ri, m->name, g->path ? "-" : "",
             g->path ? g->path : "");
    /* a rate starts at 0 by nature; a gauge (memory) is shown around its values */
    struct chart c = {title,   "time since the series' first sample (s)",
                      ylabel,  CHART_X_LINEAR,
                      ser,     ns,
                      0,       0,
                      counter, true,
                      false};
    int rc = add(figs, o, &c, REPORT_FIG_RUN, (long)ri, -1, slug, err, errlen);
    free(ser);
    free(y);
    free(names);
    return rc;
}

/* The time-series charts of metric m in run ri (see report_ts_groups). */
static int run_series(const struct report *r, const struct report_opts *o, struct report_figs *figs,
                      size_t ri, const struct report_metric *m, char *err, size_t errlen)
{
    struct report_ts_group *g;
    int ng = report_ts_groups(m, &g);
    if (ng < 0) return errbuf_set(err, errlen, "out of memory");
    int rc = 0;
    for (int i = 0; i < ng && rc == 0; i++)
        rc = run_series_chart(r, o, figs, ri, m, &g[i], err, errlen);
    report_ts_groups_free(g, (size_t)ng);
    return rc;
}

static int run_spectrum(const struct report *r, const struct report_opts *o,
                        struct report_figs *figs, size_t ri, char *err, size_t errlen)
{
    const struct report_run *run = &r->runs[ri];
    if (!run->nbuckets && !run->npctls) return 0;
    size_t nb = run->nbuckets + 2, np = run->npctls;
    double *bx = malloc(nb * sizeof *bx), *by = malloc(nb * sizeof *by);
    double *px = malloc((np + 1) * sizeof *px), *py = malloc((np + 1) * sizeof *py);
    if (!bx || !by || !px || !py) {
        free(bx), free(by), free(px), free(py);
        return errbuf_set(err, errlen, "out of memory");
    }
    size_t n = 0;
    if (run->nbuckets) {
        /* the max is the slowest of Count requests: percentile 1 - 1/Count;
         * buckets ending at 100% are drawn there too (100% has no place on
         * a 1/(1-p) axis) */
        double pmax = isfinite(run->count) && run->count > 1 ? 100 * (1 - 1 / run->count) : 100;
        if (isfinite(run->min)) bx[n] = 0, by[n++] = run->min * 1000;
        for (size_t i = 0; i < run->nbuckets; i++) {
            const struct report_bucket *b = &run->buckets[i];
            if (!isfinite(b->pct) || !isfinite(b->end)) continue;
            double v = b->end;
            if (isfinite(run->max) && v > run->max) v = run->max;
            bx[n] = b->pct < pmax ? b->pct : pmax, by[n++] = v * 1000;
        }
        if (isfinite(run->max)) bx[n] = pmax, by[n++] = run->max * 1000;
    }
    for (size_t i = 0; i < np; i++)
        px[i] = run->pctls[i].p, py[i] = run->pctls[i].v * 1000;
    struct chart_series ser[2] = {
        {"histogram buckets", bx, by, n, CHART_LINE, 0, false},
        {"Percentiles (fortio.json)", px, py, np, CHART_POINTS, 3, false},
    };
    char title[512], slug[64];
    snprintf(title, sizeof title, "Latency by percentile \xe2\x80\x94 %s/%s", run->test, run->ts);
    snprintf(slug, sizeof slug, "run%zu-spectrum", ri);
    struct chart c = {title,
                      "percentile (log scale of 1/(1-p))",
                      "latency (ms)",
                      CHART_X_PERCENTILE,
                      n ? ser : ser + 1,
                      n ? 2 : 1,
                      0,
                      0,
                      true,
                      false,
                      false};
    int rc = add(figs, o, &c, REPORT_FIG_RUN, (long)ri, -1, slug, err, errlen);
    free(bx), free(by), free(px), free(py);
    return rc;
}

int report_fig_all(const struct report *r, const struct report_opts *o, struct report_figs *figs,
                   char *err, size_t errlen)
{
    for (size_t s = 0; s < r->nsources; s++) {
        /* runs are sorted by source, then mode: one set of charts per mode */
        const char *done[5];
        size_t nd = 0;
        for (size_t i = 0; i < r->nruns; i++) {
            const struct report_run *u = &r->runs[i];
            if (u->source != (int)s) continue;
            bool seen = false;
            for (size_t k = 0; k < nd && !seen; k++)
                seen = same_mode(done[k], u->mode);
            if (seen || nd == 5) continue;
            done[nd++] = u->mode;
            if (across(r, o, figs, (int)s, u->mode, err, errlen) < 0) return -1;
        }
    }
    if (r->nsources > 1 && compare(r, o, figs, err, errlen) < 0) return -1;
    if (r->has_modes && overhead(r, o, figs, err, errlen) < 0) return -1;
    size_t nrc =
        o->run_charts < 0 || (size_t)o->run_charts > r->nruns ? r->nruns : (size_t)o->run_charts;
    for (size_t i = 0; i < nrc; i++) {
        const struct report_run *run = &r->runs[i];
        for (size_t k = 0; k < run->nmetrics; k++) {
            if (run_series(r, o, figs, i, &run->metrics[k], err, errlen) < 0) return -1;
        }
        if (run_spectrum(r, o, figs, i, err, errlen) < 0) return -1;
    }
    figs->runs_charted = nrc;
    return draw_all(figs, o->out_dir, err, errlen);
}

void report_fig_free(struct report_figs *figs)
{
    if (!figs) return;
    for (size_t i = 0; i < figs->n; i++) {
        free(figs->v[i].title);
        free(figs->v[i].png);
        buf_free(&figs->v[i].svg);
        free(figs->v[i].chart);
    }
    free(figs->v);
    memset(figs, 0, sizeof *figs);
}
