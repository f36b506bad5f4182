/* store_dir.c: the directory store (see store_dir.h).
 *
 * put: mkdir -p the root, then each directory of the key below it with
 * mkdirat + openat(O_NOFOLLOW) (a symlink planted there is refused, and
 * nothing is created through it), then atomicfile_write (temp file, fsync,
 * rename, directory fsync). get and list never leave the root either: below the
 * root every path segment is opened with openat(O_NOFOLLOW), so a symlink
 * anywhere inside the tree is neither read nor walked (the root itself may
 * be a symlink: the user named it). get opens with O_NONBLOCK and checks
 * fstat before reading, so a FIFO or device named like an object is
 * refused instead of blocking. list walks with fdopendir/fstatat
 * (AT_SYMLINK_NOFOLLOW), reporting regular files only, at most
 * STORE_DIR_MAX_DEPTH directories deep. */
#include "store/store_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomicfile.h"
#include "base/errbuf.h"

#define STORE_DIR_MAX_DEPTH 32

struct store_dir {
    struct store base;
    char *root; /* as given, trailing slashes dropped */
};

/* mkdir -p path. 0 or -errno. */
static int store_dir_mkdirs(const char *path)
{
    char *p = strdup(path);
    if (!p) return -ENOMEM;
    int rc = 0;
    for (char *c = p + 1;; c++) {
        if (*c != '/' && *c != '\0') continue;
        char save = *c;
        *c = '\0';
        if (mkdir(p, 0755) < 0 && errno != EEXIST) {
            rc = -errno;
            break;
        }
        *c = save;
        if (!save) break;
    }
    struct stat st;
    if (!rc && stat(p, &st) < 0) rc = -errno;
    if (!rc && !S_ISDIR(st.st_mode)) rc = -ENOTDIR;
    free(p);
    return rc;
}

/* mkdir -p the directories of key (all but its last segment) below the
 * root without following a symlink below it. 0, or -errno with err. */
static int store_dir_mkdirs_below(const struct store_dir *d, const char *key, char *err,
                                  size_t errlen)
{
    int dfd = open(d->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        int e = errno;
        errbuf_set(err, errlen, "%s: %s", d->root, strerror(e));
        return -e;
    }
    int rc = 0;
    for (const char *p = key, *slash; (slash = strchr(p, '/')) != NULL; p = slash + 1) {
        char seg[256];
        size_t n = (size_t)(slash - p);
        snprintf(seg, sizeof seg, "%.*s", (int)(n < sizeof seg ? n : sizeof seg - 1), p);
        if (n >= sizeof seg)
            rc = -ENAMETOOLONG;
        else if (mkdirat(dfd, seg, 0755) < 0 && errno != EEXIST)
            rc = -errno;
        int fd = rc ? -1 : openat(dfd, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (!rc && fd < 0) rc = -errno;
        close(dfd);
        dfd = fd;
        if (rc == -ELOOP || rc == -ENOTDIR)
            errbuf_set(err, errlen,
                       "%s/%.*s: a symlink or file where a directory should be; not writing "
                       "through it",
                       d->root, (int)(slash - key), key);
        else if (rc)
            errbuf_set(err, errlen, "%s/%.*s: %s", d->root, (int)(slash - key), key, strerror(-rc));
        if (rc) return rc;
    }
    close(dfd);
    return 0;
}

static int store_dir_put(struct store *s, const char *key, const void *data, size_t len, char *err,
                         size_t errlen)
{
    struct store_dir *d = (struct store_dir *)s;
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", d->root, key);
    if (n < 0 || (size_t)n >= sizeof path) {
        errbuf_set(err, errlen, "%s: path too long", key);
        return -ENAMETOOLONG;
    }
    int rc = store_dir_mkdirs(d->root);
    if (rc < 0) {
        errbuf_set(err, errlen, "%s: %s", d->root, strerror(-rc));
        return rc;
    }
    if ((rc = store_dir_mkdirs_below(d, key, err, errlen)) < 0) return rc;
    return atomicfile_write(path, data, len, err, errlen);
}

/* Open rel (a valid key or "") below the root without following any
 * symlink below the root: each directory segment O_DIRECTORY|O_NOFOLLOW,
 * the last one with last_flags|O_NOFOLLOW. fd or -errno. */
static int store_dir_open_rel(const struct store_dir *d, const char *rel, int last_flags)
{
    int dfd = open(d->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return -errno;
    if (!rel[0]) return dfd;
    char seg[256];
    for (const char *p = rel;;) {
        size_t n = strcspn(p, "/");
        if (n >= sizeof seg) {
            close(dfd);
            return -ENAMETOOLONG;
        }
        memcpy(seg, p, n);
        seg[n] = '\0';
        int last = p[n] == '\0';
        int fd =
            openat(dfd, seg, (last ? last_flags : O_RDONLY | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        close(dfd);
        if (fd < 0) return e == ELOOP ? -EINVAL : -e; /* a symlink is not an object */
        if (last) return fd;
        dfd = fd;
        p += n + 1;
    }
}

static int store_dir_get(struct store *s, const char *key, struct buf *out, char *err,
                         size_t errlen)
{
    struct store_dir *d = (struct store_dir *)s;
    int fd = store_dir_open_rel(d, key, O_RDONLY | O_NONBLOCK);
    if (fd == -EINVAL || fd == -ENOTDIR) fd = -ENOENT; /* a symlink or file on the way */
    if (fd < 0) {
        errbuf_set(err, errlen, "%s: %s", key, strerror(-fd));
        return fd;
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        errbuf_set(err, errlen, "%s: %s", key, strerror(-rc));
    } else if (!S_ISREG(st.st_mode)) {
        rc = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
        errbuf_set(err, errlen, "%s: not a regular file", key);
    } else if ((size_t)st.st_size > out->max - out->len) {
        rc = -EFBIG;
        errbuf_set(err, errlen, "%s: larger than the cap (%zu bytes)", key, out->max);
    }
    if (!rc) rc = buf_reserve(out, (size_t)st.st_size);
    if (!rc) out->data[out->len] = '\0'; /* text even when empty */
    while (!rc) {
        if (out->len == out->cap) {
            size_t left = out->max - out->len;
            if (left && (rc = buf_reserve(out, left < 4096 ? left : 4096)) < 0) break;
        }
        size_t room = out->cap - out->len;
        char probe; /* at the cap: one byte more tells EOF from too large */
        ssize_t r = read(fd, room ? out->data + out->len : &probe, room ? room : 1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) rc = -errno;
        if (r <= 0) break;
        if (!room) {
            rc = -ENOBUFS;
            break;
        }
        out->len += (size_t)r;
        out->data[out->len] = '\0';
    }
    if (rc == -ENOBUFS) {
        rc = -EFBIG; /* grew while we read */
        errbuf_set(err, errlen, "%s: larger than the cap (%zu bytes)", key, out->max);
    } else if (rc < 0 && rc != -EISDIR && rc != -EINVAL && rc != -EFBIG) {
        errbuf_set(err, errlen, "%s: %s", key, strerror(-rc));
    }
    close(fd);
    return rc;
}

/* Add every regular file below the directory dfd (whose key is rel, "" for
 * the root) to b. Takes dfd. 0 or -errno. */
static int store_dir_walk(int dfd, const char *rel, int depth, struct store_list_builder *b)
{
    DIR *dir = fdopendir(dfd);
    if (!dir) {
        close(dfd);
        return -errno;
    }
    int rc = 0;
    struct dirent *e;
    char key[4096], etag[64];
    while (!rc && (e = readdir(dir)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        int n = snprintf(key, sizeof key, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        if (n < 0 || (size_t)n >= sizeof key) continue;
        struct stat st;
        if (fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue; /* raced */
        if (S_ISREG(st.st_mode)) {
            snprintf(etag, sizeof etag, "%lld%09ld-%lld-%llx", (long long)st.st_mtim.tv_sec,
                     st.st_mtim.tv_nsec, (long long)st.st_size, (unsigned long long)st.st_ino);
            rc = store_list_builder_add(b, key, (uint64_t)st.st_size, etag);
        } else if (S_ISDIR(st.st_mode) && depth < STORE_DIR_MAX_DEPTH) {
            int sub =
                openat(dirfd(dir), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0) rc = store_dir_walk(sub, key, depth + 1, b);
            /* an unreadable subdirectory holds nothing we can read */
        }
    }
    closedir(dir);
    return rc;
}

static int store_dir_list(struct store *s, const char *prefix, struct store_list **out, char *err,
                          size_t errlen)
{
    struct store_dir *d = (struct store_dir *)s;
    int fd = store_dir_open_rel(d, prefix, O_RDONLY | O_DIRECTORY);
    int rc = 0;
    if (fd < 0 && prefix[0] && (fd == -ENOENT || fd == -ENOTDIR || fd == -EINVAL)) {
        fd = -1; /* nothing under that prefix: an empty list */
    } else if (fd < 0) {
        errbuf_set(err, errlen, "%s: %s", d->root, strerror(-fd));
        return fd;
    }
    struct store_list_builder *b = store_list_builder_new();
    if (!b) {
        if (fd >= 0) close(fd);
        errbuf_set(err, errlen, "%s: out of memory", d->root);
        return -ENOMEM;
    }
    if (fd >= 0) rc = store_dir_walk(fd, prefix, 0, b);
    if (rc < 0) {
        store_list_builder_free(b);
        errbuf_set(err, errlen, "%s: %s", d->root,
                   rc == -E2BIG ? "too many objects to list" : strerror(-rc));
        return rc;
    }
    *out = store_list_builder_done(b);
    if (!*out) {
        errbuf_set(err, errlen, "%s: out of memory", d->root);
        return -ENOMEM;
    }
    return 0;
}

static char *store_dir_where(struct store *s, const char *key, char *out, size_t outlen)
{
    struct store_dir *d = (struct store_dir *)s;
    if (key && key[0])
        snprintf(out, outlen, "%s/%s", d->root, key);
    else
        snprintf(out, outlen, "%s", d->root);
    return out;
}

static void store_dir_free(struct store *s)
{
    struct store_dir *d = (struct store_dir *)s;
    free(d->root);
    free(d);
}

static const struct store_ops store_dir_ops = {
    .name = "dir",
    .put = store_dir_put,
    .get = store_dir_get,
    .list = store_dir_list,
    .where = store_dir_where,
    .free = store_dir_free,
};

struct store *store_dir_open(const char *root, char *err, size_t errlen)
{
    if (!root || !root[0]) {
        errbuf_set(err, errlen, "store: empty directory name");
        return NULL;
    }
    struct stat st;
    if (stat(root, &st) == 0 && !S_ISDIR(st.st_mode)) {
        errbuf_set(err, errlen, "%s: %s", root, strerror(ENOTDIR));
        return NULL;
    }
    struct store_dir *d = calloc(1, sizeof *d);
    if (d) d->root = strdup(root);
    if (!d || !d->root) {
        free(d);
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    size_t l = strlen(d->root);
    while (l > 1 && d->root[l - 1] == '/')
        d->root[--l] = '\0';
    d->base.ops = &store_dir_ops;
    return &d->base;
}
