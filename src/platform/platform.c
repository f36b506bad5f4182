/* platform.c: the one place a platform backend is chosen by name, and
 * small helpers on the types of platform.h: container lookup and pod
 * names. To add a backend, add one line to platform_table (see
 * platform.h). */
#include "platform/platform.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/errbuf.h"
#include "platform/platform_kubernetes.h"
#include "platform/platform_local.h"

struct platform_entry {
    const char *name;
    struct platform *(*make)(void); /* NULL: named but not built yet */
    const char *why;                /* when make is NULL */
};

static const struct platform_entry platform_table[] = {
    {"local", platform_local_new, NULL},
    {"kubernetes", platform_kubernetes_new, NULL},
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

/* Kubernetes' alphabet for generated names (rand.SafeEncodeString: no
 * vowels, no 0/1/3, so no words and nothing that looks alike). */
static const char platform_safe_chars[] = "bcdfghjklmnpqrstvwxz2456789";

static uint64_t platform_fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void platform_encode(uint64_t h, char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        out[i] = platform_safe_chars[h % (sizeof platform_safe_chars - 1)];
        h /= sizeof platform_safe_chars - 1;
    }
    out[n] = '\0';
}

int platform_pod_name(const char *label, const char *tmpl, size_t replica, char *out, size_t outlen)
{
    char hash[PLATFORM_POD_HASH_LEN + 1], suffix[PLATFORM_POD_SUFFIX_LEN + 1], idx[32];
    uint64_t h = platform_fnv1a(0xcbf29ce484222325ULL, tmpl);
    platform_encode(h, hash, PLATFORM_POD_HASH_LEN);
    snprintf(idx, sizeof idx, "/%zu", replica);
    platform_encode(platform_fnv1a(platform_fnv1a(h, hash), idx), suffix, PLATFORM_POD_SUFFIX_LEN);
    int w = snprintf(out, outlen, "%s-%s-%s", label, hash, suffix);
    return w < 0 || (size_t)w >= outlen ? -1 : w;
}
