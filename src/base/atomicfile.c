/* atomicfile.c: temp file + write + fsync + rename + directory fsync (see
 * atomicfile.h). The one copy of this mechanism: the results store, the
 * local Prometheus's files and anything else that replaces a file use it. */
#include "base/atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/errbuf.h"

/* Write all of data to fd, retrying short writes and EINTR. 0 or -errno. */
static int atomicfile_write_all(int fd, const char *p, size_t left)
{
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -errno;
        if (w == 0) return -EIO;
        p += w;
        left -= (size_t)w;
    }
    return 0;
}

/* fsync the directory holding path (its text up to the last '/', or ".").
 * 0 or -errno. */
static int atomicfile_sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!dir) return -ENOMEM;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0) return -errno;
    int rc = fsync(fd) < 0 && errno != EINVAL ? -errno : 0; /* EINVAL: fs cannot sync dirs */
    close(fd);
    return rc;
}

int atomicfile_write(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = path + dl;
    if (!*base) {
        errbuf_set(err, errlen, "%s: not a file name", path);
        return -EINVAL;
    }
    size_t tl = dl + 1 + strlen(base) + 8;
    char *tmp = malloc(tl);
    if (!tmp) {
        errbuf_set(err, errlen, "%s: out of memory", path);
        return -ENOMEM;
    }
    snprintf(tmp, tl, "%.*s.%s.XXXXXX", (int)dl, path, base);
    int rc = 0;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        errbuf_set(err, errlen, "%s: %s", path, strerror(-rc));
        free(tmp);
        return rc;
    }
    rc = atomicfile_write_all(fd, data, len);
    if (!rc && (fchmod(fd, 0644) < 0 || fsync(fd) < 0)) rc = -errno;
    if (close(fd) < 0 && !rc) rc = -errno;
    if (!rc && rename(tmp, path) < 0) rc = -errno;
    if (rc) {
        unlink(tmp);
        errbuf_set(err, errlen, "%s: %s", path, strerror(-rc));
    } else if ((rc = atomicfile_sync_dir(path)) < 0) {
        errbuf_set(err, errlen, "%s: directory fsync: %s", path, strerror(-rc));
    }
    free(tmp);
    return rc;
}
