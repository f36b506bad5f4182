/* runner.c: the load-runner seam's calls (see runner.h): each forwards to
 * the job's backend ops. Choosing a backend is runner_open.c's. */
#include "run/runner.h"

#include <stdlib.h>
#include <string.h>

#include "base/errbuf.h"

const char *runner_where(const struct runner *r)
{
    return r->where;
}

void runner_free(struct runner *r)
{
    if (r) r->ops->free(r);
}

struct runner_job *runner_job_new(struct runner *r, const struct runner_spec *spec)
{
    struct runner_job *j = r->ops->job_new(r, spec);
    if (j) j->r = r;
    return j;
}

int runner_job_run(struct runner_job *j, struct runner_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    return j->r->ops->run(j, out, err, errlen);
}

void runner_job_stop(struct runner_job *j)
{
    if (j) j->r->ops->stop(j);
}

int runner_job_progress(struct runner_job *j, struct runner_progress *p)
{
    memset(p, 0, sizeof *p);
    return j->r->ops->progress ? j->r->ops->progress(j, p) : -1;
}

void runner_job_free(struct runner_job *j)
{
    if (j) j->r->ops->job_free(j);
}

void runner_result_clear(struct runner_result *res)
{
    if (!res) return;
    free(res->json);
    free(res->codes);
    memset(res, 0, sizeof *res);
}
