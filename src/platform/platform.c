/* platform.c: the one place a platform backend is chosen by name, and
 * small helpers on the types of platform.h. To add a backend, add one
 * line to platform_table (see platform.h). */
#include "platform/platform.h"

#include <string.h>

#include "base/errbuf.h"
#include "platform/platform_local.h"

struct platform_entry {
    const char *name;
    struct platform *(*make)(void); /* NULL: named but not built yet */
    const char *why;                /* when make is NULL */
};

static const struct platform_entry platform_table[] = {
    {"local", platform_local_new, NULL},
    {"kubernetes", NULL, "not built yet (issue #13)"},
};

struct platform *platform_open(const char *name, char *err, size_t errlen)
{
    size_t n = sizeof platform_table / sizeof platform_table[0];
    for (size_t i = 0; name && i < n; i++) {
        const struct platform_entry *e = &platform_table[i];
        if (strcmp(name, e->name) != 0) continue;
        if (!e->make) {
            errbuf_set(err, errlen, "platform %s: %s", name, e->why);
            return NULL;
        }
        struct platform *p = e->make();
        if (!p) errbuf_set(err, errlen, "platform %s: out of memory", name);
        return p;
    }
    errbuf_set(err, errlen, "unknown platform \"%s\" (known: local, kubernetes)", name ? name : "");
    return NULL;
}

const struct platform_container *platform_container(const struct platform_replica *r,
                                                    const char *name)
{
    for (size_t i = 0; i < r->ncontainers; i++)
        if (strcmp(r->containers[i].name, name) == 0) return &r->containers[i];
    return NULL;
}
