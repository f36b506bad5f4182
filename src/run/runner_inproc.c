/* runner_inproc.c: the in-process load runner (runner.h): the load runs
 * in this process (load/loadgen), its Fortio JSON is made by
 * load/fortio_json, and the printed figures are read from the result. */
#include <stdlib.h>
#include <string.h>

#include "base/degraded.h"
#include "base/errbuf.h"
#include "load/fortio_json.h"
#include "load/hist.h"
#include "load/loadgen.h"
#include "run/runner.h"

struct inproc_job {
    struct runner_job base; /* first */
    struct runner_spec spec;
    struct loadgen_ctl *ctl;
};

static struct runner_job *inproc_job_new(struct runner *r, const struct runner_spec *spec)
{
    (void)r;
    struct inproc_job *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->spec = *spec;
    if (!(j->ctl = loadgen_ctl_new())) {
        free(j);
        return NULL;
    }
    return &j->base;
}

static int inproc_fill(const struct loadgen_opts *lo, const struct loadgen_result *lr,
                       struct runner_result *out)
{
    out->json = fortio_json_result(lo, lr, 2);
    out->codes = calloc(lr->ncodes ? lr->ncodes : 1, sizeof *out->codes);
    if (!out->json || !out->codes) return -1;
    out->json_len = strlen(out->json);
    out->actual_qps = lr->actual_qps;
    out->requests = lr->requests;
    out->errors = lr->errors;
    out->p50_ms = (double)hist_percentile(lr->latency, 50) / 1000.0;
    out->p99_ms = (double)hist_percentile(lr->latency, 99) / 1000.0;
    for (size_t i = 0; i < lr->ncodes; i++)
        out->codes[i] = (struct runner_code){lr->codes[i].code, lr->codes[i].count};
    out->ncodes = lr->ncodes;
    out->late = lr->late;
    out->late_far = hist_count_from(lr->lateness, DEGRADED_LATE_US);
    out->unsent = lr->unsent;
    out->stopped = lr->stopped;
    return 0;
}

static int inproc_run(struct runner_job *base, struct runner_result *out, char *err, size_t errlen)
{
    struct inproc_job *j = (struct inproc_job *)base;
    struct loadgen_opts lo;
    loadgen_opts_init(&lo);
    lo.url = j->spec.url;
    lo.qps = j->spec.qps;
    lo.duration_us = j->spec.duration_us;
    lo.count = j->spec.count;
    lo.connections = j->spec.connections;
    lo.threads = 0;
    lo.labels = j->spec.labels;
    lo.ca_file = j->spec.ca_file;
    lo.cert_file = j->spec.cert_file;
    lo.key_file = j->spec.key_file;
    lo.ctl = j->ctl;
    struct loadgen_result *lr = NULL;
    if (loadgen_run(&lo, &lr, err, errlen) < 0) return -1;
    int rc = inproc_fill(&lo, lr, out);
    loadgen_result_free(lr);
    if (rc < 0) {
        runner_result_clear(out);
        return errbuf_set(err, errlen, "out of memory");
    }
    return 0;
}

static void inproc_stop(struct runner_job *base)
{
    loadgen_ctl_stop(((struct inproc_job *)base)->ctl);
}

static int inproc_progress(struct runner_job *base, struct runner_progress *p)
{
    struct loadgen_progress lp;
    if (loadgen_ctl_progress(((struct inproc_job *)base)->ctl, &lp) < 0 || !lp.running) return -1;
    *p = (struct runner_progress){lp.requests, lp.errors, lp.elapsed_us, lp.qps};
    return 0;
}

static void inproc_job_free(struct runner_job *base)
{
    struct inproc_job *j = (struct inproc_job *)base;
    loadgen_ctl_free(j->ctl);
    free(j);
}

static void inproc_free(struct runner *r)
{
    free(r);
}

static const struct runner_ops inproc_ops = {
    .name = "in-process",
    .job_new = inproc_job_new,
    .run = inproc_run,
    .stop = inproc_stop,
    .progress = inproc_progress,
    .job_free = inproc_job_free,
    .free = inproc_free,
};

struct runner *runner_inproc_new(void)
{
    struct runner *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->ops = &inproc_ops;
    strcpy(r->where, "in-process");
    return r;
}
