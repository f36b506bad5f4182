/* report_compare.c: the mesh-overhead figures (see report_compare.h).
 *
 * The graph is read from each mode run's config.json with jansson: the
 * served count is T(v) = 1 + sum of T(b) over v's backends (a backend
 * listed twice is called twice), memoised per node in a jansson object,
 * depth-bounded (the run's config was validated acyclic; a hand-made one
 * that is not gives -1). Baselines are matched by family and test name
 * (the last run of that test, by timestamp, when there are several). */
#include "report/report_compare.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/errbuf.h"
#include "store/store.h"

#define GRAPH_DEPTH_MAX  256
#define GRAPH_SERVED_MAX 1e15
#define CONFIG_READ_MAX  (16u << 20)

double report_compare_traversals(const char *mode, double served)
{
    if (mode && !strcmp(mode, "baseline")) return 0;
    if (!mode || !(served >= 1) || !isfinite(served)) return NAN;
    if (!strcmp(mode, "both")) return 2 * served - 1;
    if (!strcmp(mode, "serveronly")) return served;
    if (!strcmp(mode, "clientonly")) return served - 1;
    return NAN;
}

/* obj's member key: exact, else the first case-insensitive match. */
static json_t *member(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (v) return v;
    const char *k;
    json_object_foreach(obj, k, v)
    {
        if (!strcasecmp(k, key)) return v;
    }
    return NULL;
}

/* T(node) into *out, memo'd in memo. 0 or -1 (too deep, not a list). */
static int served_of(json_t *map, const char *node, json_t *memo, int depth, double *out,
                     bool *chain)
{
    json_t *m = json_object_get(memo, node);
    if (m) {
        *out = json_real_value(m);
        return 0;
    }
    if (depth > GRAPH_DEPTH_MAX) return -1;
    json_t *bs = json_object_get(map, node);
    double t = 1;
    if (bs && !json_is_null(bs)) {
        if (!json_is_array(bs)) return -1;
        if (json_array_size(bs) > 1) *chain = false;
        size_t i;
        json_t *b;
        json_array_foreach(bs, i, b)
        {
            double tb;
            if (!json_is_string(b) ||
                served_of(map, json_string_value(b), memo, depth + 1, &tb, chain) < 0)
                return -1;
            t += tb;
            if (t > GRAPH_SERVED_MAX) return -1;
        }
    }
    json_object_set_new(memo, node, json_real(t));
    *out = t;
    return 0;
}

/* Is node a key of map or a backend in one of its lists? */
static bool graph_has(json_t *map, const char *node)
{
    if (json_object_get(map, node)) return true;
    const char *k;
    json_t *bs, *b;
    size_t i;
    json_object_foreach(map, k, bs)
    {
        if (!json_is_array(bs)) continue;
        json_array_foreach(bs, i, b)
        {
            if (json_is_string(b) && !strcmp(json_string_value(b), node)) return true;
        }
    }
    return false;
}

/* The node key a load-test URL names: the first DNS label of its host,
 * without "service-" or "node-". */
static void url_node(const char *url, char *out, size_t outlen)
{
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    const char *at = strchr(h, '@');
    size_t hl = strcspn(h, "/?#");
    if (at && (size_t)(at - h) < hl) h = at + 1;
    size_t n = strcspn(h, ".:/?#");
    if (n >= 8 && !strncmp(h, "service-", 8))
        h += 8, n -= 8;
    else if (n >= 5 && !strncmp(h, "node-", 5))
        h += 5, n -= 5;
    snprintf(out, outlen, "%.*s", (int)n, h);
}

int report_compare_graph(const char *json, size_t len, const char *test, double *served,
                         bool *chain)
{
    *served = NAN;
    *chain = false;
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    if (!root) return -1;
    int rc = -1;
    json_t *map = json_is_object(root) ? member(root, "backends_map") : NULL;
    json_t *tests = json_is_object(root) ? member(root, "load_tests") : NULL;
    const char *url = NULL;
    bool found = false;
    size_t i;
    json_t *t;
    if (json_is_array(tests)) json_array_foreach(tests, i, t)
        {
            json_t *name = json_is_object(t) ? member(t, "test_name") : NULL;
            if (!json_is_string(name) || strcmp(json_string_value(name), test)) continue;
            json_t *u = member(t, "url");
            url = json_is_string(u) ? json_string_value(u) : NULL;
            found = true;
        }
    if (found && json_is_object(map)) {
        char node[256];
        url_node(url ? url : "http://service-0.tls-e2e.svc.cluster.local:9080/path-0", node,
                 sizeof node);
        json_t *memo = json_object();
        bool ch = true;
        double s;
        if (memo && graph_has(map, node) && served_of(map, node, memo, 0, &s, &ch) == 0) {
            *served = s;
            *chain = ch;
            rc = 0;
        }
        json_decref(memo);
    }
    json_decref(root);
    return rc;
}

double report_compare_at(const double *x, const double *y, size_t n, double x0, char *how,
                         size_t howlen)
{
    long lo = -1, hi = -1, near = -1;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) continue;
        if (x[i] <= x0 && (lo < 0 || x[i] > x[lo])) lo = (long)i;
        if (x[i] >= x0 && (hi < 0 || x[i] < x[hi])) hi = (long)i;
        if (near < 0 || fabs(x[i] - x0) < fabs(x[near] - x0)) near = (long)i;
    }
    if (how && howlen) how[0] = '\0';
    if (near < 0) return NAN;
    if (lo >= 0 && hi >= 0) {
        if (x[lo] == x[hi]) {
            if (how) snprintf(how, howlen, "at %.6g rps", x[lo]);
            return y[lo];
        }
        if (how) snprintf(how, howlen, "interpolated between %.6g and %.6g rps", x[lo], x[hi]);
        return y[lo] + (x0 - x[lo]) / (x[hi] - x[lo]) * (y[hi] - y[lo]);
    }
    if (how) snprintf(how, howlen, "nearest run: %.6g rps", x[near]);
    return y[near];
}

double report_compare_per_1k(double amount, double qps, double traversals)
{
    double rps = qps * traversals;
    if (!isfinite(amount) || !isfinite(rps) || !(rps > 0)) return NAN;
    return amount / (rps / 1000);
}

/* The served count and chain flag of run (NaN / false when unknown). */
static void run_graph(const struct report *r, const struct report_run *run, double *served,
                      bool *chain)
{
    *served = NAN;
    *chain = false;
    struct store *st = r->sources[run->source].store;
    char key[4096], err[ERRBUF_LEN];
    int n = snprintf(key, sizeof key, "%s%sconfig.json", run->key ? run->key : "",
                     run->key && run->key[0] ? "/" : "");
    if (!st || n < 0 || (size_t)n >= sizeof key) return;
    struct buf text;
    buf_init(&text, CONFIG_READ_MAX);
    if (store_get(st, key, &text, err, sizeof err) == 0)
        report_compare_graph(text.data, text.len, run->test, served, chain);
    buf_free(&text);
}

/* Sum of v[c] over containers that are (app) or are not (!app) "app";
 * NaN when none is finite. */
static double ctr_sum(const struct report *r, const double *v, bool app)
{
    double sum = NAN;
    for (size_t c = 0; v && c < r->ncontainers; c++)
        if ((strcmp(r->containers[c], "app") == 0) == app && isfinite(v[c]))
            sum = isnan(sum) ? v[c] : sum + v[c];
    return sum;
}

/* The baseline run of run i (same family and test, the last one), or -1. */
static long baseline_of(const struct report *r, size_t i)
{
    const struct report_run *u = &r->runs[i];
    long best = -1;
    for (size_t k = 0; k < r->nruns; k++) {
        const struct report_run *b = &r->runs[k];
        if (k == i || !b->mode || strcmp(b->mode, "baseline") || b->family != u->family ||
            strcmp(b->test, u->test))
            continue;
        if (best < 0 || strcmp(b->ts, r->runs[best].ts) >= 0) best = (long)k;
    }
    return best;
}

static void run_overhead(const struct report *r, size_t i, struct report_overhead *o)
{
    const struct report_run *u = &r->runs[i];
    const struct report_stats *st = &r->stats[i];
    double served;
    bool chain;
    run_graph(r, u, &served, &chain);
    o->traversals = report_compare_traversals(u->mode, served);
    o->proxied_rps = u->actual_qps * o->traversals;
    o->app_cpu = ctr_sum(r, st->ctr_cpu, true);
    o->sidecar_cpu = ctr_sum(r, st->ctr_cpu, false);
    o->app_mib = ctr_sum(r, st->ctr_mem_mib, true);
    o->sidecar_mib = ctr_sum(r, st->ctr_mem_mib, false);
    o->vcpu_per_1k = report_compare_per_1k(o->sidecar_cpu, u->actual_qps, o->traversals);
    o->mib_per_1k = report_compare_per_1k(o->sidecar_mib, u->actual_qps, o->traversals);
    if (!strcmp(u->mode, "baseline")) return;
    o->base_run = baseline_of(r, i);
    for (int k = 0; k < 4 && o->base_run >= 0; k++) {
        o->added_ms[k] = st->pct_ms[k] - r->stats[o->base_run].pct_ms[k];
        if (chain && o->traversals > 0) o->hop_ms[k] = o->added_ms[k] / o->traversals;
    }
}

/* The row of (family, mode), added when new. NULL on no memory. */
static struct report_mode_row *mode_row(struct report *r, const struct report_run *u)
{
    for (size_t k = 0; k < r->nmodes; k++)
        if (r->modes[k].family == u->family && !strcmp(r->modes[k].mode, u->mode))
            return &r->modes[k];
    struct report_mode_row *row = &r->modes[r->nmodes++];
    memset(row, 0, sizeof *row);
    row->family = u->family;
    row->mode = u->mode;
    row->source = u->family >= 0 ? r->sources[u->family].label : NULL;
    return row;
}

/* The headline figures of row from its runs. x, y: scratch of nruns. */
static void mode_headline(struct report *r, struct report_mode_row *row, double *x, double *y,
                          size_t *idx)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nruns; i++) {
        const struct report_run *u = &r->runs[i];
        if (!u->mode || u->family != row->family || strcmp(u->mode, row->mode)) continue;
        idx[n] = i;
        x[n++] = u->actual_qps;
        for (size_t c = 0; !row->sidecar && r->stats[i].ctr_cpu && c < r->ncontainers; c++)
            if (strcmp(r->containers[c], "app") &&
                (isfinite(r->stats[i].ctr_cpu[c]) || isfinite(r->stats[i].ctr_mem_mib[c])))
                row->sidecar = r->containers[c];
    }
    row->nruns = n;
    char how[128];
    /* each figure: y from the runs' overhead, at 1000 rps */
#define AT(field, out)                                                                             \
    do {                                                                                           \
        for (size_t j = 0; j < n; j++)                                                             \
            y[j] = r->over[idx[j]].field;                                                          \
        (out) = report_compare_at(x, y, n, REPORT_COMPARE_AT_RPS, how, sizeof how);                \
        if (!row->how[0] && how[0]) snprintf(row->how, sizeof row->how, "%s", how);                \
    } while (0)
    for (int k = 0; k < 4; k++)
        AT(added_ms[k], row->added_ms[k]);
    for (int k = 0; k < 4; k++)
        AT(hop_ms[k], row->hop_ms[k]);
    AT(vcpu_per_1k, row->vcpu_per_1k);
    AT(mib_per_1k, row->mib_per_1k);
#undef AT
    row->traversals = NAN;
    for (size_t k = 0; k < n && isnan(row->traversals); k++)
        if (isfinite(r->over[idx[k]].traversals)) row->traversals = r->over[idx[k]].traversals;
}

int report_compare_derive(struct report *r)
{
    size_t N = r->nruns ? r->nruns : 1;
    r->over = calloc(N, sizeof *r->over);
    r->modes = calloc(N, sizeof *r->modes);
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    size_t *idx = malloc(N * sizeof *idx);
    int rc = r->over && r->modes && x && y && idx ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < r->nruns; i++) {
        struct report_overhead *o = &r->over[i];
        *o = (struct report_overhead){
            NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, {NAN, NAN, NAN, NAN}, {NAN, NAN, NAN, NAN}, -1};
        if (!r->runs[i].mode) continue;
        run_overhead(r, i, o);
        if (strcmp(r->runs[i].mode, "baseline")) mode_row(r, &r->runs[i]);
    }
    for (size_t k = 0; rc == 0 && k < r->nmodes; k++)
        mode_headline(r, &r->modes[k], x, y, idx);
    free(x);
    free(y);
    free(idx);
    return rc;
}
