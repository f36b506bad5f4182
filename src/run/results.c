/* results.c: the results layout and the directory store (see results.h).
 *
 * The dir store makes each key's parent directories (mkdir -p), writes the
 * bytes to `.<name>.XXXXXX` in the same directory, fsyncs, and renames over
 * `<name>`; a failure removes the temporary file, so no partial file is ever
 * visible under the final name. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "metrics/csvout.h"
#include "base/errbuf.h"
#include "run/results.h"

#define RESULTS_CSV_MAX (1u << 30)

struct results_dir {
    struct results_store base;
    char *root;
};

/* mkdir -p path (modifies a copy). 0 or -errno. */
static int results_mkdirs(const char *path)
{
    char *p = strdup(path);
    if (!p) return -ENOMEM;
    int rc = 0;
    for (char *c = p + 1;; c++) {
        if (*c == '/' || *c == '\0') {
            char save = *c;
            *c = '\0';
            if (mkdir(p, 0755) < 0 && errno != EEXIST) {
                rc = -errno;
                break;
            }
            *c = save;
            if (!save) break;
        }
    }
    if (rc == 0) {
        struct stat st;
        if (stat(p, &st) < 0)
            rc = -errno;
        else if (!S_ISDIR(st.st_mode))
            rc = -ENOTDIR;
    }
    free(p);
    return rc;
}

static int results_dir_put(struct results_store *s, const char *key, const void *data, size_t len,
                           char *err, size_t errlen)
{
    struct results_dir *d = (struct results_dir *)s;
    char path[4096], tmp[4200];
    int n = snprintf(path, sizeof path, "%s/%s", d->root, key);
    if (n < 0 || (size_t)n >= sizeof path) return errbuf_set(err, errlen, "%s: path too long", key);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    int rc = results_mkdirs(path);
    if (rc < 0) return errbuf_set(err, errlen, "%s: %s", path, strerror(-rc));
    snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", path, slash + 1);
    *slash = '/';
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) return errbuf_set(err, errlen, "%s: %s", tmp, strerror(errno));
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return errbuf_set(err, errlen, "%s: %s", path, strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return errbuf_set(err, errlen, "%s: %s", path, strerror(e));
    }
    close(fd);
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return errbuf_set(err, errlen, "%s: %s", path, strerror(e));
    }
    return 0;
}

static char *results_dir_where(struct results_store *s, const char *key, char *out, size_t outlen)
{
    struct results_dir *d = (struct results_dir *)s;
    if (key && key[0])
        snprintf(out, outlen, "%s/%s", d->root, key);
    else
        snprintf(out, outlen, "%s", d->root);
    return out;
}

static void results_dir_free(struct results_store *s)
{
    struct results_dir *d = (struct results_dir *)s;
    free(d->root);
    free(d);
}

static const struct results_store_ops results_dir_ops = {
    .name = "dir",
    .put = results_dir_put,
    .where = results_dir_where,
    .free = results_dir_free,
};

struct results_store *results_store_dir_new(const char *dir, char *err, size_t errlen)
{
    if (!dir || !dir[0]) {
        errbuf_set(err, errlen, "results dir: empty path");
        return NULL;
    }
    int rc = results_mkdirs(dir);
    if (rc < 0) {
        errbuf_set(err, errlen, "results dir %s: %s", dir, strerror(-rc));
        return NULL;
    }
    struct results_dir *d = calloc(1, sizeof *d);
    if (d) d->root = strdup(dir);
    if (!d || !d->root) {
        free(d);
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    size_t l = strlen(d->root);
    while (l > 1 && d->root[l - 1] == '/')
        d->root[--l] = '\0';
    d->base.ops = &results_dir_ops;
    return &d->base;
}

void results_store_free(struct results_store *s)
{
    if (s) s->ops->free(s);
}

static int results_key_ok(const char *key)
{
    if (!key || !key[0] || key[0] == '/') return 0;
    const char *seg = key;
    for (;;) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (n == 0) return 0;
        if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.')) return 0;
        if (!end) return 1;
        seg = end + 1;
    }
}

int results_put(struct results_store *s, const char *key, const void *data, size_t len, char *err,
                size_t errlen)
{
    if (!results_key_ok(key))
        return errbuf_set(err, errlen, "results: bad object name '%s'", key ? key : "");
    return s->ops->put(s, key, data, len, err, errlen);
}

char *results_where(struct results_store *s, const char *key, char *out, size_t outlen)
{
    return s->ops->where(s, key, out, outlen);
}

char *results_driver_ts(time_t t, char *out, size_t outlen)
{
    struct tm tm;
    localtime_r(&t, &tm);
    if (!strftime(out, outlen, "%Y%m%d%H%M%S", &tm) && outlen) out[0] = '\0';
    return out;
}

int results_key(char *out, size_t outlen, const char *test, const char *ts, const char *file)
{
    int n = snprintf(out, outlen, "%s/%s/%s", test, ts, file);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int results_put_csv(struct results_store *s, const char *test, const char *ts,
                    const struct series_set *set, char *err, size_t errlen)
{
    if (!csvout_name_ok(set->name))
        return errbuf_set(err, errlen, "metric name '%s' cannot be a file name", set->name);
    char file[256], key[1024];
    snprintf(file, sizeof file, "%s.csv", set->name);
    if (results_key(key, sizeof key, test, ts, file) < 0)
        return errbuf_set(err, errlen, "%s: name too long", file);
    struct buf b;
    buf_init(&b, RESULTS_CSV_MAX);
    int rc = csvout_render(set, &b);
    if (rc < 0) {
        buf_free(&b);
        return errbuf_set(err, errlen, "%s: %s", key, strerror(-rc));
    }
    rc = results_put(s, key, b.data ? b.data : "", b.len, err, errlen);
    buf_free(&b);
    return rc;
}
