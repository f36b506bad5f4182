/* store_cache.h: a local read cache in front of a remote store, keyed by
 * ETag, so that reading the same objects again downloads nothing.
 *
 * The cache is itself a store (a directory): the object key "a/b" whose
 * listed ETag is E is kept there as "a/b@E" (E with only A-Za-z0-9_-
 * kept). get uses the ETag that the last list gave for the key: a cached
 * copy is used when there is one (and, for an MD5 ETag, when its bytes
 * still match it); otherwise the object is fetched and a copy cached
 * (failing to cache is not an error). Keys that list has not shown, or
 * whose ETag is empty, always go to the remote store. put and where go to
 * the remote store. Used by store_open_cached (store.h). */
#ifndef MESHPERF_STORE_CACHE_H
#define MESHPERF_STORE_CACHE_H

#include <stddef.h>

#include "store/store.h"

/* A caching store over remote, keeping copies in cache. Takes both stores
 * (also on failure). NULL (out of memory) with one line in err. Free with
 * store_free, which frees both. */
struct store *store_cache_new(struct store *remote, struct store *cache, char *err, size_t errlen);

/* The cache directory for uri ("s3://b/p" -> $XDG_CACHE_HOME/meshperf/s3/b/p,
 * else $HOME/.cache/meshperf/s3/b/p) into out. 0, or -1 with err when there
 * is neither variable or it does not fit. */
int store_cache_dir(const char *uri, char *out, size_t outlen, char *err, size_t errlen);

#endif
