/* sidecar.c: the table of sidecar descriptors, the one lookup by name, and
 * finding a sidecar's binary (see sidecar.h for how to add one). */
#include "platform/sidecar.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/atomicfile.h"
#include "base/buf.h"
#include "base/errbuf.h"
#include "platform/sidecar_haproxy.h"
#include "platform/sidecar_nginx.h"

static const struct sidecar sidecar_table[] = {
    {.name = "none"},
    {"haproxy", "haproxy", "haproxy", sidecar_haproxy_config, sidecar_haproxy_argv, "/metrics"},
    {"nginx", "nginx", "nginx", sidecar_nginx_config, sidecar_nginx_argv, "/metrics"},
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

int sidecar_locate(const struct sidecar *s, char *path, size_t pathlen, char *err, size_t errlen)
{
    if (pathlen) path[0] = '\0';
    if (!sidecar_runs(s) || !s->bin) return 0;
    const char *env = getenv("PATH");
    for (const char *p = env ? env : ""; *p;) {
        size_t n = strcspn(p, ":");
        char cand[PATH_MAX];
        int w = snprintf(cand, sizeof cand, "%.*s/%s", (int)n, p, s->bin);
        if (n > 0 && w > 0 && (size_t)w < sizeof cand && access(cand, X_OK) == 0) {
            if ((size_t)w >= pathlen) return errbuf_set(err, errlen, "%s: path too long", cand);
            memcpy(path, cand, (size_t)w + 1);
            return 0;
        }
        p += n;
        if (*p == ':') p++;
    }
    /* Debian puts proxies in /usr/sbin, which a user's PATH often lacks */
    char sbin[64];
    snprintf(sbin, sizeof sbin, "/usr/sbin/%s", s->bin);
    int there = access(sbin, X_OK) == 0;
    return errbuf_set(err, errlen,
                      "sidecar %s: %s not found in PATH (install the Debian package %s: "
                      "apt-get install %s)%s%s%s",
                      s->name, s->bin, s->package, s->package, there ? "; or add " : "",
                      there ? "/usr/sbin" : "", there ? " to PATH, where it is" : "");
}

int sidecar_write_file(const struct sidecar_ctx *ctx, const char *file,
                       int (*text)(const struct sidecar_ctx *ctx, struct buf *b), char *err,
                       size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", ctx->dir, file);
    struct buf b;
    buf_init(&b, SIDECAR_CFG_MAX);
    int rc = text(ctx, &b);
    if (rc < 0)
        rc = errbuf_set(err, errlen, "%s: larger than %u bytes", path, SIDECAR_CFG_MAX);
    else
        rc = atomicfile_write(path, b.data, b.len, err, errlen) < 0 ? -1 : 0;
    buf_free(&b);
    return rc;
}
