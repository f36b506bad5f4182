/* topology.c: the service graph of backends_map (see topology.h).
 *
 * Under construction, nodes live in insertion order, found by name through
 * an open-addressing hash table; each keeps its backends as insertion
 * indexes. topology_finish sorts the nodes by name (numeric-aware), remaps
 * every index, then walks the graph depth-first without recursion (a long
 * chain must not exhaust the stack): a backend met while still on the walk
 * stack closes a cycle, whose path is the stack from that backend up; a
 * node's depth is fixed when the walk leaves it, since its backends are all
 * done by then. Callers and the leaves-first order follow from that. */
#include "model/topology.h"

#include "base/natcmp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/errbuf.h"
#include "net/url.h"

struct tnode {
    char *name;
    size_t *bk; /* backends (insertion indexes until finish, then sorted ones) */
    size_t nbk, capbk;
    size_t *callers;
    size_t ncallers;
    size_t depth;
};

struct topology {
    struct tnode *nodes;
    size_t n, cap;
    size_t nedges;
    long *table; /* hash slots: node index or -1 */
    size_t tcap; /* power of two, > 2 * n */
    size_t *order, *roots;
    size_t nroots;
    bool finished;
};

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static long *slot_of(const struct topology *t, const char *name)
{
    size_t mask = t->tcap - 1;
    for (size_t i = hash_name(name) & mask;; i = (i + 1) & mask) {
        long v = t->table[i];
        if (v < 0 || strcmp(t->nodes[v].name, name) == 0) return &t->table[i];
    }
}

static int grow_table(struct topology *t)
{
    size_t ncap = t->tcap ? t->tcap * 2 : 64;
    long *nt = malloc(ncap * sizeof *nt);
    if (!nt) return -1;
    for (size_t i = 0; i < ncap; i++)
        nt[i] = -1;
    free(t->table);
    t->table = nt;
    t->tcap = ncap;
    for (size_t i = 0; i < t->n; i++)
        *slot_of(t, t->nodes[i].name) = (long)i;
    return 0;
}

struct topology *topology_new(void)
{
    struct topology *t = calloc(1, sizeof *t);
    if (t && grow_table(t) < 0) {
        free(t);
        return NULL;
    }
    return t;
}

void topology_free(struct topology *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->nodes[i].name);
        free(t->nodes[i].bk);
        free(t->nodes[i].callers);
    }
    free(t->nodes);
    free(t->table);
    free(t->order);
    free(t->roots);
    free(t);
}

static int name_check(const char *name, char *err, size_t errlen)
{
    char q[128];
    if (!*name) return errbuf_set(err, errlen, "empty node name");
    size_t len = strlen(name);
    if (len > TOPOLOGY_NAME_MAX) {
        topology_quote(name, q, sizeof q);
        return errbuf_set(err, errlen, "node name %s: longer than %d characters", q,
                          TOPOLOGY_NAME_MAX);
    }
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')) {
            topology_quote(name, q, sizeof q);
            return errbuf_set(err, errlen,
                              "node name %s: must be lower-case letters, digits and '-' "
                              "(it becomes the host names node-<name> and service-<name>)",
                              q);
        }
    return 0;
}

/* Index of name, adding it if new; -1 with err on failure. */
static long intern(struct topology *t, const char *name, char *err, size_t errlen)
{
    if (t->finished) return errbuf_set(err, errlen, "topology already finished");
    if (name_check(name, err, errlen) < 0) return -1;
    long *slot = slot_of(t, name);
    if (*slot >= 0) return *slot;
    if (t->n >= TOPOLOGY_MAX_NODES)
        return errbuf_set(err, errlen, "too many nodes (max %d)", TOPOLOGY_MAX_NODES);
    if (t->n == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 16;
        struct tnode *nn = realloc(t->nodes, ncap * sizeof *nn);
        if (!nn) return errbuf_set(err, errlen, "out of memory");
        t->nodes = nn;
        t->cap = ncap;
    }
    struct tnode *nd = &t->nodes[t->n];
    memset(nd, 0, sizeof *nd);
    if (!(nd->name = strdup(name))) return errbuf_set(err, errlen, "out of memory");
    long idx = (long)t->n++;
    if (2 * t->n >= t->tcap) {
        if (grow_table(t) < 0) {
            free(nd->name);
            t->n--;
            return errbuf_set(err, errlen, "out of memory");
        }
    } else {
        *slot = idx;
    }
    return idx;
}

int topology_add_node(struct topology *t, const char *name, char *err, size_t errlen)
{
    return intern(t, name, err, errlen) < 0 ? -1 : 0;
}

int topology_add_edge(struct topology *t, const char *caller, const char *backend, char *err,
                      size_t errlen)
{
    long a = intern(t, caller, err, errlen);
    if (a < 0) return -1;
    long b = intern(t, backend, err, errlen);
    if (b < 0) return -1;
    if (t->nedges >= TOPOLOGY_MAX_EDGES)
        return errbuf_set(err, errlen, "too many edges (max %d)", TOPOLOGY_MAX_EDGES);
    struct tnode *nd = &t->nodes[a];
    if (nd->nbk == nd->capbk) {
        size_t ncap = nd->capbk ? nd->capbk * 2 : 4;
        size_t *nb = realloc(nd->bk, ncap * sizeof *nb);
        if (!nb) return errbuf_set(err, errlen, "out of memory");
        nd->bk = nb;
        nd->capbk = ncap;
    }
    nd->bk[nd->nbk++] = (size_t)b;
    t->nedges++;
    return 0;
}

static int cmp_nodes(const void *x, const void *y)
{
    const struct tnode *a = x, *b = y;
    return natcmp(a->name, b->name);
}

/* "cycle a -> b -> a" from the walk stack st[from..top] back to st[from]. */
static int cycle_err(const struct topology *t, const size_t *st, size_t from, size_t top, char *err,
                     size_t errlen)
{
    if (!err || !errlen) return -1;
    size_t o = (size_t)snprintf(err, errlen, "cycle");
    for (size_t i = from; i <= top + 1 && o < errlen; i++) {
        const char *nm = t->nodes[i <= top ? st[i] : st[from]].name;
        o += (size_t)snprintf(err + o, errlen - o, "%s%s", i == from ? " " : " -> ", nm);
    }
    return -1;
}

int topology_finish(struct topology *t, char *err, size_t errlen)
{
    if (t->finished) return errbuf_set(err, errlen, "topology already finished");
    t->finished = true;
    size_t n = t->n;
    if (n == 0) return errbuf_set(err, errlen, "no nodes");

    /* sort by name; remap indexes (node names are unique, so the order is total) */
    size_t *newidx = malloc(n * sizeof *newidx);
    size_t *st = malloc(n * sizeof *st), *se = malloc(n * sizeof *se);
    unsigned char *color = calloc(n, 1);
    t->order = malloc(n * sizeof *t->order);
    t->roots = malloc(n * sizeof *t->roots);
    size_t *ncall = calloc(n, sizeof *ncall);
    int rc = -1;
    if (!newidx || !st || !se || !color || !t->order || !t->roots || !ncall) {
        errbuf_set(err, errlen, "out of memory");
        goto out;
    }
    /* stash each node's old index in depth while sorting */
    for (size_t i = 0; i < n; i++)
        t->nodes[i].depth = i;
    qsort(t->nodes, n, sizeof *t->nodes, cmp_nodes);
    for (size_t i = 0; i < n; i++)
        newidx[t->nodes[i].depth] = i;
    for (size_t i = 0; i < n; i++) {
        struct tnode *nd = &t->nodes[i];
        nd->depth = 0;
        for (size_t k = 0; k < nd->nbk; k++)
            nd->bk[k] = newidx[nd->bk[k]];
    }
    for (size_t i = 0; i < t->tcap; i++)
        if (t->table[i] >= 0) t->table[i] = (long)newidx[t->table[i]];

    /* depth-first walk: cycles and depths */
    for (size_t r = 0; r < n; r++) {
        if (color[r]) continue;
        size_t top = 0;
        st[0] = r;
        se[0] = 0;
        color[r] = 1;
        for (;;) {
            size_t v = st[top];
            struct tnode *nd = &t->nodes[v];
            if (se[top] < nd->nbk) {
                size_t w = nd->bk[se[top]++];
                if (color[w] == 1) {
                    size_t from = top;
                    while (st[from] != w)
                        from--;
                    cycle_err(t, st, from, top, err, errlen);
                    goto out;
                }
                if (color[w] == 0) {
                    color[w] = 1;
                    st[++top] = w;
                    se[top] = 0;
                }
                continue;
            }
            size_t d = 0;
            for (size_t k = 0; k < nd->nbk; k++)
                if (t->nodes[nd->bk[k]].depth + 1 > d) d = t->nodes[nd->bk[k]].depth + 1;
            nd->depth = d;
            color[v] = 2;
            if (top == 0) break;
            top--;
        }
    }

    /* callers: ascending, each once (i rises, so duplicates are adjacent) */
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < t->nodes[i].nbk; k++)
            ncall[t->nodes[i].bk[k]]++;
    for (size_t i = 0; i < n; i++)
        if (ncall[i] && !(t->nodes[i].callers = malloc(ncall[i] * sizeof(size_t)))) {
            errbuf_set(err, errlen, "out of memory");
            goto out;
        }
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < t->nodes[i].nbk; k++) {
            struct tnode *b = &t->nodes[t->nodes[i].bk[k]];
            if (b->ncallers == 0 || b->callers[b->ncallers - 1] != i) b->callers[b->ncallers++] = i;
        }
    /* leaves first: a counting sort by depth, stable in index (ncall reused
     * as the per-depth counts; a depth is always < n) */
    memset(ncall, 0, n * sizeof *ncall);
    for (size_t i = 0; i < n; i++) {
        ncall[t->nodes[i].depth]++;
        if (t->nodes[i].ncallers == 0) t->roots[t->nroots++] = i;
    }
    for (size_t d = 0, sum = 0; d < n; d++) {
        size_t c = ncall[d];
        ncall[d] = sum;
        sum += c;
    }
    for (size_t i = 0; i < n; i++)
        t->order[ncall[t->nodes[i].depth]++] = i;
    rc = 0;
out:
    free(newidx);
    free(st);
    free(se);
    free(color);
    free(ncall);
    return rc;
}

size_t topology_count(const struct topology *t)
{
    return t->n;
}

const char *topology_name(const struct topology *t, size_t i)
{
    return i < t->n ? t->nodes[i].name : NULL;
}

long topology_find(const struct topology *t, const char *name)
{
    return *slot_of(t, name);
}

const size_t *topology_backends(const struct topology *t, size_t i, size_t *n)
{
    *n = t->nodes[i].nbk;
    return *n ? t->nodes[i].bk : NULL;
}

const size_t *topology_callers(const struct topology *t, size_t i, size_t *n)
{
    *n = t->nodes[i].ncallers;
    return *n ? t->nodes[i].callers : NULL;
}

size_t topology_depth(const struct topology *t, size_t i)
{
    return t->nodes[i].depth;
}

const size_t *topology_start_order(const struct topology *t, size_t *n)
{
    *n = t->n;
    return t->order;
}

const size_t *topology_roots(const struct topology *t, size_t *n)
{
    *n = t->nroots;
    return t->roots;
}

static int label(const char *prefix, const char *name, char *out, size_t outlen)
{
    int len = snprintf(out, outlen, "%s%s", prefix, name);
    return len < 0 || (size_t)len >= outlen ? -1 : len;
}

int topology_node_label(const char *name, char *out, size_t outlen)
{
    return label("node-", name, out, outlen);
}

int topology_service_label(const char *name, char *out, size_t outlen)
{
    return label("service-", name, out, outlen);
}

void topology_quote(const char *s, char *out, size_t outlen)
{
    if (outlen < 8) {
        if (outlen) out[0] = '\0';
        return;
    }
    size_t o = 0, room = outlen - 6; /* closing quote, "...", NUL, slack */
    out[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char e[8];
        int el;
        if (*p == '"' || *p == '\\')
            el = snprintf(e, sizeof e, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            el = snprintf(e, sizeof e, "\\x%02x", *p);
        else
            el = snprintf(e, sizeof e, "%c", *p);
        if (o + (size_t)el > room) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        memcpy(out + o, e, (size_t)el);
        o += (size_t)el;
    }
    out[o++] = '"';
    out[o] = '\0';
}

static bool is_ipv4(const char *h)
{
    int dots = 0;
    for (; *h; h++) {
        if (*h == '.')
            dots++;
        else if (*h < '0' || *h > '9')
            return false;
    }
    return dots == 3;
}

/* "http://0:9080/x" -> "http://node-0:9080/x" (malloc'd) when the host is
 * all digits; else NULL. */
static char *digits_host_as_node(const char *url)
{
    const char *sep = strstr(url, "://");
    if (!sep) return NULL;
    const char *h = sep + 3;
    size_t alen = strcspn(h, "/?#");
    const char *at = memchr(h, '@', alen);
    if (at) /* userinfo: url.c drops it; the host follows */
        h = at + 1;
    size_t hl = strspn(h, "0123456789");
    if (hl == 0 || (h[hl] && !strchr(":/?#", h[hl]))) return NULL;
    size_t pre = (size_t)(h - url), len = strlen(url);
    char *alt = malloc(len + 6);
    if (!alt) return NULL;
    memcpy(alt, url, pre);
    memcpy(alt + pre, "node-", 5);
    memcpy(alt + pre + 5, h, len - pre + 1);
    return alt;
}

int topology_resolve_url(const struct topology *t, const char *url, size_t *node, char *path,
                         size_t pathlen, char *ns, size_t nslen, char *err, size_t errlen)
{
    struct url *u = malloc(sizeof *u);
    if (!u) return errbuf_set(err, errlen, "out of memory");
    int rc = -1;
    char *alt = NULL;
    if (url_parse(url, u, err, errlen) < 0) {
        /* url.c reads an all-digit host ("http://0:9080/") as an IPv4
         * number; here it may be the plain node name: retry as node-<N>. */
        if (!(alt = digits_host_as_node(url)) || url_parse(alt, u, NULL, 0) < 0) goto out;
    }
    char q[128];
    long idx = -1;
    if (!u->ipv6 && !is_ipv4(u->host)) {
        char lab[URL_HOST_MAX + 1];
        size_t ll = strcspn(u->host, ".");
        memcpy(lab, u->host, ll);
        lab[ll] = '\0';
        if (strncmp(lab, "service-", 8) == 0) idx = topology_find(t, lab + 8);
        if (idx < 0 && strncmp(lab, "node-", 5) == 0) idx = topology_find(t, lab + 5);
        if (idx < 0) idx = topology_find(t, lab);
        if (ns && nslen) {
            const char *rest = u->host[ll] == '.' ? u->host + ll + 1 : "";
            size_t nl = strcspn(rest, ".");
            if (nl >= nslen) nl = nslen - 1;
            memcpy(ns, rest, nl);
            ns[nl] = '\0';
        }
    }
    if (idx < 0) {
        topology_quote(alt ? u->host + 5 : u->host, q, sizeof q);
        errbuf_set(err, errlen, "host %s names no node of backends_map", q);
        goto out;
    }
    size_t pl = strlen(u->path);
    if (pl >= pathlen) {
        errbuf_set(err, errlen, "path too long");
        goto out;
    }
    memcpy(path, u->path, pl + 1);
    *node = (size_t)idx;
    rc = 0;
out:
    free(alt);
    free(u);
    return rc;
}
