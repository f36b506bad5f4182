/* store_cache.c: the ETag-keyed read cache (see store_cache.h).
 *
 * list passes through and keeps a copy of what it returned (one list, the
 * last one; its entries are sorted, so get finds a key's ETag by binary
 * search). The copies live in the cache store, written atomically by it. */
#include "store/store_cache.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/errbuf.h"
#include "store/store_etag.h"

struct store_cache {
    struct store base;
    struct store *remote, *cache;
    struct store_list *seen; /* the last list's copy, or NULL */
};

/* The ETag the last list gave key, or NULL. */
static const char *store_cache_etag(const struct store_cache *c, const char *key)
{
    if (!c->seen) return NULL;
    size_t lo = 0, hi = c->seen->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = strcmp(c->seen->v[mid].key, key);
        if (!d) return c->seen->v[mid].etag;
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* "key@etag" (etag reduced to A-Za-z0-9_-) into out. 0, or -1 when there
 * is nothing to key on or it does not fit. */
static int store_cache_key(const char *key, const char *etag, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "%s@", key);
    if (n < 0 || (size_t)n >= outlen) return -1;
    size_t k = (size_t)n, start = k;
    for (const char *p = etag; *p; p++) {
        char ch = *p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_'))
            continue;
        if (k + 1 >= outlen) return -1;
        out[k++] = ch;
    }
    out[k] = '\0';
    return k > start ? 0 : -1;
}

static int store_cache_get(struct store *s, const char *key, struct buf *out, char *err,
                           size_t errlen)
{
    struct store_cache *c = (struct store_cache *)s;
    const char *etag = store_cache_etag(c, key);
    char ckey[4096], e[ERRBUF_LEN];
    size_t start = out->len;
    bool keyed = etag && store_cache_key(key, etag, ckey, sizeof ckey) == 0;
    if (keyed && store_get(c->cache, ckey, out, e, sizeof e) == 0) {
        bool md5 = store_etag_is_md5(etag);
        if (!md5 || store_etag_matches(etag, out->data + start, out->len - start)) return 0;
    }
    out->len = start;
    if (out->data) out->data[start] = '\0';
    int rc = store_get(c->remote, key, out, err, errlen);
    if (rc == 0 && keyed) {
        bool md5 = store_etag_is_md5(etag);
        /* an MD5 ETag that does not match means the object changed since
         * the list: do not file these bytes under the old ETag */
        if (!md5 || store_etag_matches(etag, out->data + start, out->len - start))
            store_put(c->cache, ckey, out->data + start, out->len - start, e, sizeof e);
    }
    return rc;
}

static int store_cache_list(struct store *s, const char *prefix, struct store_list **out, char *err,
                            size_t errlen)
{
    struct store_cache *c = (struct store_cache *)s;
    int rc = store_list(c->remote, prefix, out, err, errlen);
    if (rc < 0) return rc;
    struct store_list_builder *b = store_list_builder_new();
    for (size_t i = 0; b && i < (*out)->n; i++) {
        const struct store_entry *en = &(*out)->v[i];
        if (store_list_builder_add(b, en->key, en->size, en->etag) < 0) {
            store_list_builder_free(b);
            b = NULL;
        }
    }
    store_list_free(c->seen);
    c->seen = b ? store_list_builder_done(b) : NULL; /* no copy: no caching, still correct */
    return 0;
}

static int store_cache_put(struct store *s, const char *key, const void *data, size_t len,
                           char *err, size_t errlen)
{
    return store_put(((struct store_cache *)s)->remote, key, data, len, err, errlen);
}

static char *store_cache_where(struct store *s, const char *key, char *out, size_t outlen)
{
    return store_where(((struct store_cache *)s)->remote, key, out, outlen);
}

static void store_cache_free(struct store *s)
{
    struct store_cache *c = (struct store_cache *)s;
    store_free(c->remote);
    store_free(c->cache);
    store_list_free(c->seen);
    free(c);
}

static const struct store_ops store_cache_ops = {
    .name = "cache",
    .put = store_cache_put,
    .get = store_cache_get,
    .list = store_cache_list,
    .where = store_cache_where,
    .free = store_cache_free,
};

struct store *store_cache_new(struct store *remote, struct store *cache, char *err, size_t errlen)
{
    struct store_cache *c = calloc(1, sizeof *c);
    if (!c) {
        store_free(remote);
        store_free(cache);
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    c->base.ops = &store_cache_ops;
    c->remote = remote;
    c->cache = cache;
    return &c->base;
}

int store_cache_dir(const char *uri, char *out, size_t outlen, char *err, size_t errlen)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    const char *sep = strstr(uri, "://");
    if (!sep) return errbuf_set(err, errlen, "%s: not a URI", uri);
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(out, outlen, "%s/meshperf/%.*s/%s", xdg, (int)(sep - uri), uri, sep + 3);
    else if (home && home[0])
        n = snprintf(out, outlen, "%s/.cache/meshperf/%.*s/%s", home, (int)(sep - uri), uri,
                     sep + 3);
    else
        return errbuf_set(err, errlen, "%s: no cache directory (set XDG_CACHE_HOME or HOME)", uri);
    if (n < 0 || (size_t)n >= outlen)
        return errbuf_set(err, errlen, "%s: cache path too long", uri);
    while (n > 1 && out[n - 1] == '/')
        out[--n] = '\0';
    return 0;
}
