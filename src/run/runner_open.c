/* runner_open.c: the one place a load-runner backend is chosen, from one
 * string (see runner_open in runner.h). A new backend is one file and one
 * branch here. Kept apart from runner.c, which the backends use, so that
 * the backends depend on the seam and only this file depends on them. */
#include "run/runner.h"

#include <stddef.h>

#include "base/errbuf.h"

struct runner *runner_open(const char *where, char *err, size_t errlen)
{
    struct runner *r;
    if (!where || !where[0])
        r = runner_inproc_new();
    else
        return runner_rest_new(where, err, errlen);
    if (!r) errbuf_set(err, errlen, "out of memory");
    return r;
}
