/* store_open.c: the one place a store backend is chosen, from a URI (see
 * store_open in store.h). A new backend is one file and one line here.
 * Kept apart from store.c, which the backends use, so that the backends
 * depend on the seam and only this file depends on the backends. */
#include "store/store.h"

#include <string.h>

#include "base/errbuf.h"
#include "store/store_cache.h"
#include "store/store_dir.h"
#include "store/store_s3.h"

struct store *store_open(const char *uri, char *err, size_t errlen)
{
    if (!uri || !uri[0]) {
        errbuf_set(err, errlen, "store: empty path");
        return NULL;
    }
    if (!strncmp(uri, "s3://", 5)) return store_s3_open(uri, err, errlen);
    if (!strncmp(uri, "file://", 7)) return store_dir_open(uri + 7, err, errlen);
    const char *sep = strstr(uri, "://");
    if (sep && strcspn(uri, "/") > (size_t)(sep - uri)) {
        errbuf_set(err, errlen, "%s: unknown store scheme (want a directory or file://)", uri);
        return NULL;
    }
    return store_dir_open(uri, err, errlen);
}

struct store *store_open_cached(const char *uri, char *err, size_t errlen)
{
    if (!uri || strncmp(uri, "s3://", 5) != 0) return store_open(uri, err, errlen);
    char dir[4096];
    if (store_cache_dir(uri, dir, sizeof dir, err, errlen) < 0) return NULL;
    struct store *remote = store_s3_open(uri, err, errlen);
    if (!remote) return NULL;
    struct store *cache = store_dir_open(dir, err, errlen);
    if (!cache) {
        store_free(remote);
        return NULL;
    }
    return store_cache_new(remote, cache, err, errlen);
}
