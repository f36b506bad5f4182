/* store_sync.h: copy a tree of objects from one store to another, skipping
 * objects the destination already holds byte for byte (`meshperf results
 * push` / `pull`, and the per-test upload of `meshperf run --store`).
 *
 * Identical means same size and same MD5: an MD5 ETag (store_etag.h) is
 * taken as the MD5 of the object; otherwise the bytes are read (from a
 * directory that is cheap) and hashed. The destination is listed once. */
#ifndef MESHPERF_STORE_SYNC_H
#define MESHPERF_STORE_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define STORE_SYNC_OBJECT_MAX ((size_t)1 << 30) /* bytes of one object copied */

struct store_sync_result {
    size_t copied, skipped; /* objects */
    uint64_t bytes;         /* bytes copied */
    size_t left;            /* objects not copied because of a failure */
};

/* Copy every object under prefix ("" = all) of src to the same key in dst
 * unless dst has an identical one. A destination that does not exist yet
 * (its list says -ENOENT) counts as empty. Stops at the first failure:
 * -errno with one line in err (naming the store and key, never a secret),
 * res->left counting what was not copied. 0 when everything is in dst. */
int store_sync(struct store *src, struct store *dst, const char *prefix,
               struct store_sync_result *res, char *err, size_t errlen);

#endif
