/* store.c: what every store backend shares: key checks, the checked
 * store_* calls, and list results (see store.h). Choosing a backend is
 * store_open.c's.
 *
 * A list is built in a
 * builder (entries plus a string arena) and then copied into ONE
 * allocation holding the struct, the entry array and every string, so
 * store_list_free is a single free(). */
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/errbuf.h"

#define STORE_LIST_TEXT_MAX ((size_t)1 << 30) /* bytes of keys and etags in one list */

void store_free(struct store *s)
{
    if (s) s->ops->free(s);
}

int store_key_ok(const char *key)
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

static int store_bad_key(const char *key, char *err, size_t errlen)
{
    errbuf_set(err, errlen, "store: bad object name '%s'", key ? key : "");
    return -EINVAL;
}

int store_put(struct store *s, const char *key, const void *data, size_t len, char *err,
              size_t errlen)
{
    if (!store_key_ok(key)) return store_bad_key(key, err, errlen);
    return s->ops->put(s, key, data, len, err, errlen);
}

int store_get(struct store *s, const char *key, struct buf *out, char *err, size_t errlen)
{
    if (!store_key_ok(key)) return store_bad_key(key, err, errlen);
    return s->ops->get(s, key, out, err, errlen);
}

int store_list(struct store *s, const char *prefix, struct store_list **out, char *err,
               size_t errlen)
{
    *out = NULL;
    if (!prefix) prefix = "";
    if (prefix[0] && !store_key_ok(prefix)) return store_bad_key(prefix, err, errlen);
    return s->ops->list(s, prefix, out, err, errlen);
}

char *store_where(struct store *s, const char *key, char *out, size_t outlen)
{
    return s->ops->where(s, key, out, outlen);
}

void store_list_free(struct store_list *l)
{
    free(l);
}

/* ---- list builder ---- */

struct store_list_item {
    size_t key, etag; /* offsets into text */
    uint64_t size;
};

struct store_list_builder {
    struct store_list_item *v;
    size_t n, cap;
    struct buf text; /* NUL-separated keys and etags */
};

struct store_list_builder *store_list_builder_new(void)
{
    struct store_list_builder *b = calloc(1, sizeof *b);
    if (b) buf_init(&b->text, STORE_LIST_TEXT_MAX);
    return b;
}

int store_list_builder_add(struct store_list_builder *b, const char *key, uint64_t size,
                           const char *etag)
{
    if (b->n == STORE_LIST_MAX) return -E2BIG;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        struct store_list_item *v = realloc(b->v, cap * sizeof *v);
        if (!v) return -ENOMEM;
        b->v = v;
        b->cap = cap;
    }
    struct store_list_item it = {.key = b->text.len, .size = size};
    int rc = buf_append(&b->text, key, strlen(key) + 1);
    it.etag = b->text.len;
    if (!rc) rc = buf_append(&b->text, etag ? etag : "", strlen(etag ? etag : "") + 1);
    if (rc) return rc == -ENOBUFS ? -E2BIG : rc;
    b->v[b->n++] = it;
    return 0;
}

static int store_list_entry_cmp(const void *a, const void *b)
{
    return strcmp(((const struct store_entry *)a)->key, ((const struct store_entry *)b)->key);
}

struct store_list *store_list_builder_done(struct store_list_builder *b)
{
    size_t head = sizeof(struct store_list) + b->n * sizeof(struct store_entry);
    struct store_list *l = malloc(head + b->text.len + 1);
    if (l) {
        l->v = (struct store_entry *)(l + 1);
        l->n = b->n;
        char *text = (char *)l + head;
        if (b->text.len) memcpy(text, b->text.data, b->text.len);
        for (size_t i = 0; i < b->n; i++)
            l->v[i] = (struct store_entry){text + b->v[i].key, b->v[i].size, text + b->v[i].etag};
        if (l->n) qsort(l->v, l->n, sizeof *l->v, store_list_entry_cmp);
    }
    store_list_builder_free(b);
    return l;
}

void store_list_builder_free(struct store_list_builder *b)
{
    if (!b) return;
    free(b->v);
    buf_free(&b->text);
    free(b);
}
