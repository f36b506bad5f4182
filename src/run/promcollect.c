/* promcollect.c: per-test PromQL collection (see promcollect.h).
 *
 * A plain loop over the metrics: promapi_query_range, then
 * results_put_csv; every failure becomes one element of a jansson array
 * that is stored as errors.json at the end. Warnings go through the
 * caller's callback so the driver's progress output stays in one place. */
#include "run/promcollect.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/config.h"
#include "base/errbuf.h"
#include "metrics/promapi.h"
#include "run/results.h"
#include "metrics/series.h"

struct pc_ctx {
    const struct promcollect_opts *o;
    const char *test;
    json_t *errs;
    struct promcollect_result r;
};

static void __attribute__((format(printf, 2, 3))) pc_warn(struct pc_ctx *c, const char *fmt, ...)
{
    char line[2 * ERRBUF_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (c->o->warn)
        c->o->warn(c->o->warn_arg, line);
    else
        fprintf(stderr, "warning: %s\n", line);
}

static void pc_fail(struct pc_ctx *c, const char *metric, const char *kind, const char *msg)
{
    c->r.failed++;
    json_t *e = json_pack("{s:s,s:s,s:s}", "metric", metric, "kind", kind, "error", msg);
    if (e) json_array_append_new(c->errs, e);
}

int promcollect_run(const char *base_url, const struct config_metric *m, size_t n, double start,
                    double end, double step_s, struct store *st, const char *test, const char *ts,
                    const struct promcollect_opts *o, struct promcollect_result *res)
{
    static const struct promcollect_opts defaults;
    struct pc_ctx c = {.o = o ? o : &defaults, .test = test, .errs = json_array()};
    o = c.o;
    if (step_s > 0 && end - start < 3 * step_s)
        pc_warn(&c,
                "test %s: the test window (%.1fs) spans fewer than 3 query steps of %gs; "
                "the metrics will have few points",
                test, end - start, step_s);
    double budget = o->retry_total_s == 0 ? PROMCOLLECT_RETRY_S : o->retry_total_s;
    double req_s = o->request_timeout_s > 0 ? o->request_timeout_s
                   : budget > 0             ? budget
                                            : PROMCOLLECT_RETRY_S;
    char e2[ERRBUF_LEN];
    for (size_t i = 0; i < n; i++) {
        const char *name = m[i].name;
        if (o->cancel && *o->cancel) {
            c.r.cancelled = 1;
            pc_fail(&c, name, "cancelled", "interrupted before this metric was collected");
            continue;
        }
        struct promapi_opts po = {
            .retry_total_s = budget, .request_timeout_s = req_s, .cancel = o->cancel};
        struct promapi_error e;
        struct series_set *set = NULL;
        if (promapi_query_range(base_url, name, m[i].query, start, end, step_s, &po, &set, &e) <
            0) {
            if (e.kind == PROMAPI_E_CANCELLED) {
                c.r.cancelled = 1;
                pc_fail(&c, name, "cancelled", "interrupted while collecting this metric");
                continue;
            }
            pc_warn(&c, "test %s: metric %s: %s", test, name, e.msg);
            pc_fail(&c, name, promapi_kind_name(e.kind), e.msg);
            if (e.kind == PROMAPI_E_UNREACHABLE) { /* one short try for the rest */
                budget = -1;
                if (req_s > PROMCOLLECT_UNREACHABLE_TIMEOUT_S)
                    req_s = PROMCOLLECT_UNREACHABLE_TIMEOUT_S;
            }
            continue;
        }
        if (e.warning[0])
            pc_warn(&c, "test %s: metric %s: prometheus warning: %s", test, name, e.warning);
        bool empty = set->total_points == 0;
        if (results_put_csv(st, test, ts, set, e2, sizeof e2) < 0) {
            pc_warn(&c, "test %s: metric %s: %s", test, name, e2);
            pc_fail(&c, name, "store", e2);
        } else {
            c.r.written++;
            if (empty) {
                c.r.empty++;
                pc_warn(&c, "test %s: metric %s: empty result (header-only CSV)", test, name);
            }
        }
        series_set_free(set);
    }
    if (c.r.failed) {
        char *text = c.errs ? json_dumps(c.errs, JSON_INDENT(2)) : NULL;
        char key[1024];
        if (!text) {
            pc_warn(&c, "test %s: errors.json: out of memory", test);
        } else if (results_key(key, sizeof key, test, ts, "errors.json") < 0) {
            pc_warn(&c, "test %s: errors.json: name too long", test);
        } else {
            size_t len = strlen(text);
            /* a trailing newline, as a text file should have */
            char *t2 = realloc(text, len + 2);
            if (t2) {
                text = t2;
                text[len++] = '\n';
                text[len] = '\0';
            }
            if (store_put(st, key, text, len, e2, sizeof e2) < 0)
                pc_warn(&c, "test %s: %s", test, e2);
        }
        free(text);
    }
    json_decref(c.errs);
    if (res) *res = c.r;
    return c.r.failed ? -1 : 0;
}
