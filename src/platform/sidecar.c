/* sidecar.c: the table of sidecar descriptors and the one lookup by name
 * (see sidecar.h for how to add one). */
#include "platform/sidecar.h"

#include <string.h>

#include "base/errbuf.h"

static const struct sidecar sidecar_table[] = {
    {.name = "none"},
    /* issue #12: {"haproxy", "haproxy", sidecar_haproxy_config, sidecar_haproxy_argv, ...}, */
};

#define SIDECAR_COUNT (sizeof sidecar_table / sizeof sidecar_table[0])

const struct sidecar *sidecar_find(const char *name, char *err, size_t errlen)
{
    for (size_t i = 0; name && i < SIDECAR_COUNT; i++)
        if (strcmp(sidecar_table[i].name, name) == 0) return &sidecar_table[i];
    char known[256] = "";
    size_t off = 0;
    for (size_t i = 0; i < SIDECAR_COUNT && off < sizeof known; i++) {
        int w =
            snprintf(known + off, sizeof known - off, "%s%s", i ? ", " : "", sidecar_table[i].name);
        if (w < 0) break;
        off += (size_t)w;
    }
    errbuf_set(err, errlen, "unknown sidecar \"%s\" (known: %s)", name ? name : "", known);
    return NULL;
}

int sidecar_runs(const struct sidecar *s)
{
    return s && s->argv != NULL;
}
