/* driver_prom.c: a local or remote Prometheus for `meshperf run` (see
 * driver_prom.h). The local one is promlocal.c (child process, generated
 * config, file_sd targets, PR_SET_PDEATHSIG, own process group, bounded
 * stop) scraping the nodes and exporter.c (a /metrics thread serving
 * procstat's cAdvisor-named series); collection is promcollect.c
 * (query_range per metric, CSVs, errors.json). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/config.h"
#include "run/driver_prom.h"
#include "base/errbuf.h"
#include "metrics/exporter.h"
#include "metrics/procstat.h"
#include "run/progress.h"
#include "metrics/promapi.h"
#include "run/promcollect.h"
#include "metrics/promlocal.h"
#include "run/results.h"
#include "net/url.h"

#define PROM_TARGETS_TIMEOUT_S 30.0
#define PROM_COLLECT_RETRY_S   10.0
#define PROM_COLLECT_REQUEST_S 10.0 /* one query_range; within the retry budget */

struct driver_prom {
    char base[256];
    const atomic_int *cancel;
    struct promlocal *pl; /* local only */
    struct exporter *ex;  /* local only */
};

static int prom_render(void *arg, struct buf *out)
{
    return arg ? procstat_render_prometheus(arg, out) : 0;
}

static void prom_warn(void *arg, const char *line)
{
    progress_warn(arg, "%s", line);
}

struct driver_prom *driver_prom_local(const char *prom_bin, const struct driver_prom_target *t,
                                      size_t n, const char *ns, struct procstat *ps,
                                      const atomic_int *cancel, char *err, size_t errlen)
{
    struct driver_prom *p = calloc(1, sizeof *p);
    struct promlocal_target *pt = calloc(n ? n : 1, sizeof *pt);
    if (!p || !pt) {
        free(p);
        free(pt);
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    p->cancel = cancel;
    if (!(p->ex = exporter_start(prom_render, ps, err, errlen))) goto fail;
    struct promlocal_opts o = {
        .bin = prom_bin, .exporter_addr = exporter_addr(p->ex), .cancel = cancel};
    if (!(p->pl = promlocal_start(&o, err, errlen))) goto fail;
    snprintf(p->base, sizeof p->base, "%s", promlocal_url(p->pl));
    for (size_t i = 0; i < n; i++)
        pt[i] = (struct promlocal_target){
            .addr = t[i].addr, .pod = t[i].pod, .container = t[i].container, .namespace_ = ns};
    if (promlocal_set_targets(p->pl, pt, n, err, errlen) < 0 ||
        promlocal_wait_up(p->pl, PROM_TARGETS_TIMEOUT_S, err, errlen) < 0)
        goto fail;
    free(pt);
    return p;
fail:
    free(pt);
    driver_prom_free(p);
    return NULL;
}

struct driver_prom *driver_prom_url(const char *url, const atomic_int *cancel, char *err,
                                    size_t errlen)
{
    struct driver_prom *p = calloc(1, sizeof *p);
    if (!p) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    p->cancel = cancel;
    snprintf(p->base, sizeof p->base, "%s", url);
    struct promapi_opts po = {.cancel = cancel};
    struct promapi_error e;
    if (promapi_wait_ready(p->base, 10.0, &po, &e) < 0) {
        char shown[512];
        url_redact(url, shown, sizeof shown);
        errbuf_set(err, errlen, "prometheus %s: %s", shown, e.msg);
        free(p);
        return NULL;
    }
    return p;
}

const char *driver_prom_base(const struct driver_prom *p)
{
    return p->base;
}

int driver_prom_collect(struct driver_prom *p, const struct config *cfg, struct store *st,
                        const char *test, const char *ts, double start, double end,
                        const atomic_int *cancel, struct progress *prog)
{
    char e[ERRBUF_LEN];
    if (p->pl && !promlocal_alive(p->pl, e, sizeof e))
        progress_warn(prog, "local %s", e); /* how it died, with its last log line */
    struct promcollect_opts o = {.retry_total_s = PROM_COLLECT_RETRY_S,
                                 .request_timeout_s = PROM_COLLECT_REQUEST_S,
                                 .cancel = cancel,
                                 .warn = prom_warn,
                                 .warn_arg = prog};
    struct promcollect_result r;
    promcollect_run(p->base, cfg->metrics, cfg->nmetrics, start, end, (double)cfg->step_us / 1e6,
                    st, test, ts, &o, &r);
    return r.failed;
}

void driver_prom_free(struct driver_prom *p)
{
    if (!p) return;
    promlocal_stop(p->pl); /* Prometheus first: it scrapes the exporter */
    exporter_stop(p->ex);  /* before the caller frees the procstat it renders */
    free(p);
}
