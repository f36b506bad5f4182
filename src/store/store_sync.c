/* store_sync.c: one-way copy of a tree of objects between stores (see
 * store_sync.h). Both sides are listed once; for each source object in key
 * order the destination's entry is found by binary search in its sorted
 * list, and the object is copied unless sizes and MD5s agree. */
#include "store/store_sync.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "base/errbuf.h"
#include "store/store_etag.h"

static const struct store_entry *store_sync_find(const struct store_list *l, const char *key)
{
    size_t lo = 0, hi = l ? l->n : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = strcmp(l->v[mid].key, key);
        if (!d) return &l->v[mid];
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The MD5 of entry e of s into md5: its ETag when that is an MD5, else the
 * hash of its bytes (read into b, which then holds them). 0 or -errno. */
static int store_sync_md5(struct store *s, const struct store_entry *e, struct buf *b, char md5[33],
                          char *err, size_t errlen)
{
    if (store_etag_is_md5(e->etag)) {
        for (int i = 0; i < 33; i++)
            md5[i] = (char)(e->etag[i] >= 'A' && e->etag[i] <= 'F' ? e->etag[i] + 32 : e->etag[i]);
        return 0;
    }
    buf_reset(b);
    int rc = store_get(s, e->key, b, err, errlen);
    if (rc < 0) return rc;
    store_etag_md5(b->data, b->len, md5);
    return 0;
}

int store_sync(struct store *src, struct store *dst, const char *prefix,
               struct store_sync_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    struct store_list *sl = NULL, *dl = NULL;
    int rc = store_list(src, prefix, &sl, err, errlen);
    if (rc < 0) return rc;
    rc = store_list(dst, prefix, &dl, err, errlen);
    if (rc == -ENOENT) rc = 0, dl = NULL; /* not there yet: the first put makes it */
    if (rc < 0) {
        res->left = sl->n;
        store_list_free(sl);
        return rc;
    }
    struct buf sb, db;
    buf_init(&sb, STORE_SYNC_OBJECT_MAX);
    buf_init(&db, STORE_SYNC_OBJECT_MAX);
    size_t i = 0;
    for (; i < sl->n && rc == 0; i++) {
        const struct store_entry *se = &sl->v[i], *de = store_sync_find(dl, se->key);
        buf_reset(&sb);
        bool have = false; /* sb holds the source's bytes */
        if (de && de->size == se->size) {
            char smd5[33], dmd5[33];
            rc = store_sync_md5(src, se, &sb, smd5, err, errlen);
            have = rc == 0 && !store_etag_is_md5(se->etag);
            if (rc == 0) rc = store_sync_md5(dst, de, &db, dmd5, err, errlen);
            if (rc < 0) break;
            if (!strcmp(smd5, dmd5)) {
                res->skipped++;
                continue;
            }
        }
        if (!have && (rc = store_get(src, se->key, &sb, err, errlen)) < 0) break;
        if ((rc = store_put(dst, se->key, sb.data, sb.len, err, errlen)) < 0) break;
        res->copied++;
        res->bytes += sb.len;
    }
    if (rc < 0) res->left = sl->n - i; /* the failed object and those after it */
    buf_free(&sb);
    buf_free(&db);
    store_list_free(sl);
    store_list_free(dl);
    return rc;
}
