/* render_write.c: a render_set out: one multi-document YAML stream, or
 * one file per object in a directory ("NN-<kind>-<name>.yaml", NN the
 * apply order with as many digits as the count needs, at least two, so
 * `ls` and `kubectl apply -f DIR` take them in order). Files of that shape
 * left in the directory by an earlier render and not written this time
 * are removed, so that applying the directory never brings back an object
 * the graph no longer has; nothing else there is touched. Files of
 * Secrets are made 0600. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomicfile.h"
#include "base/errbuf.h"
#include "platform/render.h"

int render_write_stream(const struct render_set *s, FILE *f, char *err, size_t errlen)
{
    errno = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (i > 0 && fputs("---\n", f) == EOF) break;
        if (fwrite(s->docs[i].yaml, 1, s->docs[i].len, f) != s->docs[i].len) break;
    }
    if (fflush(f) == EOF || ferror(f))
        return errbuf_set(err, errlen, "writing the manifests: %s", strerror(errno ? errno : EIO));
    return 0;
}

void render_write_file_name(const struct render_set *s, size_t i, char *out, size_t outlen)
{
    int width = 2;
    for (size_t n = s->n; n >= 100; n /= 10)
        width++;
    char kind[64];
    size_t k = 0;
    for (; s->docs[i].kind[k] && k < sizeof kind - 1; k++)
        kind[k] = (char)tolower((unsigned char)s->docs[i].kind[k]);
    kind[k] = '\0';
    snprintf(out, outlen, "%0*zu-%s-%s.yaml", width, i, kind, s->docs[i].name);
}

/* Is name of the shape this file writes (digits, '-', a lower-case kind,
 * '-', anything, ".yaml")? */
static bool ours(const char *name)
{
    const char *p = name;
    while (isdigit((unsigned char)*p))
        p++;
    if (p - name < 2 || *p++ != '-' || !islower((unsigned char)*p)) return false;
    while (islower((unsigned char)*p))
        p++;
    size_t n = strlen(name);
    return *p == '-' && n > 5 && !strcmp(name + n - 5, ".yaml");
}

/* Was name (of our shape) written for s? Its number says which document. */
static bool written(const struct render_set *s, const char *name)
{
    char f[300];
    unsigned long long i = strtoull(name, NULL, 10);
    if (i >= s->n) return false;
    render_write_file_name(s, (size_t)i, f, sizeof f);
    return !strcmp(f, name);
}

int render_write_dir(const struct render_set *s, const char *dir, char *err, size_t errlen)
{
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return errbuf_set(err, errlen, "%s: %s", dir, strerror(errno));
    char name[300], path[4096];
    for (size_t i = 0; i < s->n; i++) {
        render_write_file_name(s, i, name, sizeof name);
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
            return errbuf_set(err, errlen, "%s/%s: path too long", dir, name);
        if (atomicfile_write(path, s->docs[i].yaml, s->docs[i].len, err, errlen) < 0) return -1;
        if (!strcmp(s->docs[i].kind, "Secret") && chmod(path, 0600) < 0)
            return errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
    }
    DIR *d = opendir(dir);
    if (!d) return errbuf_set(err, errlen, "%s: %s", dir, strerror(errno));
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        if (!ours(e->d_name) || written(s, e->d_name)) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) < 0 && errno != ENOENT)
            rc = errbuf_set(err, errlen, "%s: stale, cannot remove: %s", path, strerror(errno));
    }
    closedir(d);
    return rc;
}
