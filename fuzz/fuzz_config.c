/* fuzz_config.c: libFuzzer target for config_parse (and the topology it
 * builds). Besides memory errors it checks the contract: a failure leaves
 * *out NULL and one non-empty line in err; a success gives a finished
 * topology whose start order puts every backend before its callers and
 * whose tests all name a node. Seeds: fuzz/corpus/config/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/config.h"
#include "model/topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config *c = (struct config *)1;
    char err[512];
    err[0] = '\0';
    /* exact-size copy so any read past the end is caught */
    char *text = malloc(size ? size : 1);
    if (!text) return 0;
    memcpy(text, data, size);
    int rc = config_parse(text, size, "config.json", &c, err, sizeof err);
    if (rc < 0) {
        if (c != NULL || err[0] == '\0' || strchr(err, '\n')) abort();
        free(text);
        return 0;
    }
    if (rc != 0 || !c || c->ntests == 0 || c->text_len != size || memcmp(c->text, data, size))
        abort();
    size_t n, no;
    n = topology_count(c->topo);
    const size_t *order = topology_start_order(c->topo, &no);
    size_t *pos = calloc(n, sizeof *pos);
    if (!pos) abort();
    for (size_t i = 0; i < no; i++)
        pos[order[i]] = i + 1;
    for (size_t i = 0; i < n; i++) {
        size_t nb, nc;
        const size_t *bk = topology_backends(c->topo, i, &nb);
        topology_callers(c->topo, i, &nc);
        for (size_t k = 0; k < nb; k++)
            if (bk[k] >= n || pos[bk[k]] >= pos[i]) abort();
        if (topology_find(c->topo, topology_name(c->topo, i)) != (long)i) abort();
    }
    free(pos);
    for (size_t i = 0; i < c->ntests; i++)
        if (c->tests[i].node >= n || !c->tests[i].path || c->tests[i].path[0] != '/' ||
            c->tests[i].connections < 1 || c->tests[i].duration_us <= 0 || c->tests[i].qps < 0)
            abort();
    for (size_t i = 0; i < c->nwarnings; i++)
        if (strchr(c->warnings[i], '\n')) abort();
    config_free(c);
    free(text);
    return 0;
}
