/* store.h: where results live, behind one small interface.
 *
 * A store holds objects (whole byte strings) under keys: "/"-separated
 * relative paths without "." / ".." or empty segments ("t/20240101/a.csv").
 * Backends are ops tables; store_open chooses one from a URI, and that is
 * the only place a backend is chosen, so a new backend is one file plus
 * one line there:
 *   "results", "/abs/dir", "file:///abs/dir"  -> the directory backend
 *                                                (store_dir.c)
 *   "s3://bucket/prefix"                      -> the S3 backend (store_s3.c;
 *                                                credentials as the AWS
 *                                                tools read them)
 *
 * Callers go through the store_* functions below, which check keys and
 * arguments before the backend sees them. */
#ifndef MESHPERF_STORE_H
#define MESHPERF_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct store;

/* One object found by list. */
struct store_entry {
    const char *key;  /* the full key (prefix included) */
    uint64_t size;    /* bytes */
    const char *etag; /* changes whenever the object does: the S3 ETag, or for
                       * a directory "<mtime ns>-<size>-<inode>"; "" if unknown.
                       * A cache may key on (key, etag). */
};

/* What list returns: entries sorted by key (bytewise). Everything (the
 * array and the strings) is owned by the list: free with store_list_free. */
struct store_list {
    struct store_entry *v;
    size_t n;
};

struct store_ops {
    const char *name; /* "dir" */
    /* Store len bytes under key, replacing any previous object, so that a
     * reader never sees a partial one. 0, or -errno with one line in err. */
    int (*put)(struct store *s, const char *key, const void *data, size_t len, char *err,
               size_t errlen);
    /* Append the whole object to out (whose cap bounds it); on success
     * out->data is non-NULL and NUL-terminated, also for an empty object
     * (on failure out may hold part of it: reset before reuse). 0; -ENOENT when
     * there is no such object; -EFBIG past out's cap; other -errno. One line
     * in err naming the key on every failure. */
    int (*get)(struct store *s, const char *key, struct buf *out, char *err, size_t errlen);
    /* Every object whose key starts with prefix + "/" (every object when
     * prefix is ""), into *out (free with store_list_free). 0, or -errno with
     * one line in err (-ENOENT: nothing at all under prefix is not an error
     * when the store exists; a missing store root is). */
    int (*list)(struct store *s, const char *prefix, struct store_list **out, char *err,
                size_t errlen);
    /* Where key is, for people (a path or a URL), into out; key NULL or ""
     * gives the store itself. Returns out. */
    char *(*where)(struct store *s, const char *key, char *out, size_t outlen);
    void (*free)(struct store *s);
};

struct store {
    const struct store_ops *ops;
};

/* Open the store named by uri (see the top of this file). Opening touches
 * nothing: a directory that does not exist yet is created by the first put
 * (an existing path that is not a directory is refused here); a bucket by
 * the first put into it. NULL with one line in err for a URI no backend
 * takes, or an S3 store without credentials ("s3://b/p: no AWS
 * credentials: ..."): callers report that as bad input. Free with
 * store_free. Defined in store_open.c. */
struct store *store_open(const char *uri, char *err, size_t errlen);

/* store_open for a reader that reads the same objects again (report): a
 * remote store (s3://) comes with a local cache keyed by ETag
 * (store_cache.h, in $XDG_CACHE_HOME/meshperf/s3/<bucket>/<prefix>), so
 * that a second read downloads nothing; a directory is opened as is. Same
 * returns as store_open. */
struct store *store_open_cached(const char *uri, char *err, size_t errlen);

/* Free. NULL is fine. */
void store_free(struct store *s);

/* Is key usable: non-empty, relative, no "." / ".." / empty segment? 1 or 0. */
int store_key_ok(const char *key);

/* ops->put after store_key_ok (a bad key: -EINVAL, "store: bad object name
 * 'a//b'"). Same returns as the op. */
int store_put(struct store *s, const char *key, const void *data, size_t len, char *err,
              size_t errlen);

/* ops->get after store_key_ok. Same returns as the op. */
int store_get(struct store *s, const char *key, struct buf *out, char *err, size_t errlen);

/* ops->list; prefix "" or a valid key. Same returns as the op. */
int store_list(struct store *s, const char *prefix, struct store_list **out, char *err,
               size_t errlen);

/* ops->where. Returns out. */
char *store_where(struct store *s, const char *key, char *out, size_t outlen);

/* Free a list. NULL is fine. */
void store_list_free(struct store_list *l);

/* A list under construction (backends use it): entries and their strings,
 * capped at STORE_LIST_MAX entries. */
#define STORE_LIST_MAX (1u << 20)
struct store_list_builder;

/* A new empty builder, or NULL on no memory. */
struct store_list_builder *store_list_builder_new(void);

/* Add one entry (key and etag copied). 0, -E2BIG past STORE_LIST_MAX,
 * -ENOMEM. */
int store_list_builder_add(struct store_list_builder *b, const char *key, uint64_t size,
                           const char *etag);

/* Sort the entries by key and turn the builder into a list (the builder is
 * consumed, also on failure). NULL on no memory. */
struct store_list *store_list_builder_done(struct store_list_builder *b);

/* Drop a builder without making a list. NULL is fine. */
void store_list_builder_free(struct store_list_builder *b);

#endif
