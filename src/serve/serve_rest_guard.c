/* serve_rest_guard.c: the caps and the target allow-list of REST runs (see
 * serve_rest_guard.h).
 *
 * The allow-list is two arrays built at start-up: names (lower case; a
 * leading "*." makes a suffix match) and address ranges (family, 16 bytes,
 * prefix length; IPv4 in the first 4 bytes). An address is matched after
 * IPv4-mapped IPv6 is turned into IPv4. Numeric hosts are read with
 * inet_aton (every IPv4 form getaddrinfo takes) and inet_pton (IPv6), so
 * they never need DNS; other names are resolved by the caller's run thread
 * and every address they give must be allowed. */
#include "serve/serve_rest_guard.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "base/errbuf.h"

#define GUARD_MAX_ENTRIES 4096

struct range {
    int family; /* AF_INET or AF_INET6 */
    unsigned char a[16];
    int bits;
};

struct serve_rest_guard {
    struct serve_rest_limits lim;
    char **names;
    size_t nnames;
    struct range *ranges;
    size_t nranges;
};

int64_t serve_rest_guard_fd_budget(int64_t *nofile)
{
    struct rlimit rl;
    int64_t n = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        n = (int64_t)rl.rlim_cur;
    if (n > (1LL << 30)) n = 1LL << 30;
    if (nofile) *nofile = n;
    return n / 2 > 0 ? n / 2 : 1;
}

static int add_range(struct serve_rest_guard *g, int family, const void *a, int bits)
{
    if (g->nranges >= GUARD_MAX_ENTRIES) return -1;
    struct range *r = realloc(g->ranges, (g->nranges + 1) * sizeof *r);
    if (!r) return -1;
    g->ranges = r;
    r = &g->ranges[g->nranges++];
    memset(r, 0, sizeof *r);
    r->family = family;
    memcpy(r->a, a, family == AF_INET ? 4 : 16);
    r->bits = bits;
    return 0;
}

static int add_name(struct serve_rest_guard *g, const char *name, size_t len)
{
    if (g->nnames >= GUARD_MAX_ENTRIES) return -1;
    char **v = realloc(g->names, (g->nnames + 1) * sizeof *v);
    if (!v) return -1;
    g->names = v;
    char *s = strndup(name, len);
    if (!s) return -1;
    for (char *p = s; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    g->names[g->nnames++] = s;
    return 0;
}

struct serve_rest_guard *serve_rest_guard_new(const struct serve_rest_limits *lim)
{
    struct serve_rest_guard *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->lim = *lim;
    return g;
}

void serve_rest_guard_free(struct serve_rest_guard *g)
{
    if (!g) return;
    for (size_t i = 0; i < g->nnames; i++)
        free(g->names[i]);
    free(g->names);
    free(g->ranges);
    free(g);
}

const struct serve_rest_limits *serve_rest_guard_limits(const struct serve_rest_guard *g)
{
    return &g->lim;
}

/* An address from text: IPv4 (inet_aton's forms when loose, else dotted
 * quad only) or IPv6 (brackets allowed). Family or 0. */
static int parse_addr(const char *s, bool loose, unsigned char a[16])
{
    char tmp[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(s);
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']' && n - 2 < sizeof tmp) {
        memcpy(tmp, s + 1, n - 2);
        tmp[n - 2] = '\0';
        s = tmp;
    }
    struct in_addr v4;
    if (loose ? inet_aton(s, &v4) == 1 : inet_pton(AF_INET, s, &v4) == 1) {
        memcpy(a, &v4, 4);
        return AF_INET;
    }
    if (inet_pton(AF_INET6, s, a) == 1) {
        if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a)) {
            memmove(a, a + 12, 4);
            return AF_INET;
        }
        return AF_INET6;
    }
    return 0;
}

static bool range_has(const struct range *r, int family, const unsigned char *a)
{
    if (r->family != family) return false;
    int full = r->bits / 8, rest = r->bits % 8;
    if (memcmp(r->a, a, (size_t)full) != 0) return false;
    if (!rest) return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (r->a[full] & mask) == (a[full] & mask);
}

static bool addr_allowed(const struct serve_rest_guard *g, int family, const unsigned char *a)
{
    for (size_t i = 0; i < g->nranges; i++)
        if (range_has(&g->ranges[i], family, a)) return true;
    return false;
}

static bool name_allowed(const struct serve_rest_guard *g, const char *host)
{
    size_t hl = strlen(host);
    for (size_t i = 0; i < g->nnames; i++) {
        const char *n = g->names[i];
        if (n[0] == '*' && n[1] == '.') {
            size_t sl = strlen(n + 1); /* ".suffix" */
            if (hl > sl && !strcasecmp(host + hl - sl, n + 1)) return true;
        } else if (!strcasecmp(host, n)) {
            return true;
        }
    }
    return false;
}

/* One -rest-allow entry [s, s+len). */
static int allow_one(struct serve_rest_guard *g, const char *s, size_t len, char *err,
                     size_t errlen)
{
    char e[URL_HOST_MAX + 8];
    if (len == 0 || len >= sizeof e)
        return errbuf_set(err, errlen, "flag -rest-allow: '%.*s': %s", (int)(len > 64 ? 64 : len),
                          s, len ? "too long" : "empty entry");
    memcpy(e, s, len);
    e[len] = '\0';
    unsigned char a[16];
    if (!strcasecmp(e, "loopback")) { /* 127.0.0.0/8 and ::1; not 0.0.0.0 */
        unsigned char lo4[4] = {127, 0, 0, 0};
        if (add_range(g, AF_INET, lo4, 8) < 0 || add_range(g, AF_INET6, &in6addr_loopback, 128) < 0)
            return errbuf_set(err, errlen, "flag -rest-allow: too many entries");
        return 0;
    }
    char *slash = strchr(e, '/');
    if (slash) {
        *slash = '\0';
        int fam = parse_addr(e, false, a);
        char *end;
        long bits = strtol(slash + 1, &end, 10);
        bool v6text = strchr(e, ':') != NULL;
        int maxb = v6text ? 128 : 32;
        *slash = '/';
        if (!fam)
            return errbuf_set(err, errlen, "flag -rest-allow: '%s': not an address/prefix", e);
        if (end == slash + 1 || *end || bits < 0 || bits > maxb)
            return errbuf_set(err, errlen, "flag -rest-allow: '%s': prefix length must be 0..%d", e,
                              maxb);
        /* an IPv4-mapped IPv6 prefix counts in IPv4 bits */
        if (fam == AF_INET && v6text) bits = bits >= 96 ? bits - 96 : 0;
        return add_range(g, fam, a, (int)bits) < 0
                   ? errbuf_set(err, errlen, "flag -rest-allow: too many entries")
                   : 0;
    }
    int fam = parse_addr(e, false, a);
    if (fam)
        return add_range(g, fam, a, fam == AF_INET ? 32 : 128) < 0
                   ? errbuf_set(err, errlen, "flag -rest-allow: too many entries")
                   : 0;
    const char *p = e;
    if (p[0] == '*' && p[1] == '.') p += 2;
    bool bad = !*p;
    for (; *p && !bad; p++)
        bad = !(isalnum((unsigned char)*p) || *p == '-' || *p == '.' || *p == '_');
    if (bad)
        return errbuf_set(err, errlen,
                          "flag -rest-allow: '%s': not loopback, a host name, *.domain, "
                          "address or address/prefix",
                          e);
    return add_name(g, e, len) < 0 ? errbuf_set(err, errlen, "flag -rest-allow: too many entries")
                                   : 0;
}

int serve_rest_guard_allow(struct serve_rest_guard *g, const char *list, char *err, size_t errlen)
{
    const char *p = list;
    while (p && *p) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        const char *s = p;
        while (n && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        if (allow_one(g, s, n, err, errlen) < 0) return -1;
        p = c ? c + 1 : NULL;
    }
    return 0;
}

/* sa's address into a (IPv4-mapped made IPv4); family or 0. */
static int sockaddr_addr(const struct sockaddr *sa, unsigned char a[16])
{
    if (sa->sa_family == AF_INET) {
        memcpy(a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return AF_INET;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *x = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(x)) {
            memcpy(a, x->s6_addr + 12, 4);
            return AF_INET;
        }
        memcpy(a, x, 16);
        return AF_INET6;
    }
    return 0;
}

int serve_rest_guard_allow_host(struct serve_rest_guard *g, const char *name,
                                const struct sockaddr *sa)
{
    if (name && *name && add_name(g, name, strlen(name)) < 0) return -1;
    unsigned char a[16];
    int fam = sa ? sockaddr_addr(sa, a) : 0;
    if (fam && add_range(g, fam, a, fam == AF_INET ? 32 : 128) < 0) return -1;
    return 0;
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    ch = tolower(ch);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Percent-decode s in place; true when something changed. */
static bool pct_decode(char *s)
{
    char *w = s;
    bool changed = false;
    for (const char *r = s; *r;) {
        int h, l;
        if (r[0] == '%' && (h = hexval((unsigned char)r[1])) >= 0 &&
            (l = hexval((unsigned char)r[2])) >= 0) {
            *w++ = (char)(h * 16 + l);
            r += 3;
            changed = true;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return changed;
}

bool serve_rest_guard_rest_path(const char *path)
{
    char p[URL_PATH_MAX + 1];
    size_t n = strcspn(path, "?#");
    if (n > URL_PATH_MAX) n = URL_PATH_MAX;
    memcpy(p, path, n);
    p[n] = '\0';
    /* %2566 -> %66 -> f: decode until nothing changes (bounded) */
    for (int i = 0; i < 8 && pct_decode(p); i++)
        ;
    for (char *c = p; *c; c++)
        *c = *c == '\\' ? '/' : (char)tolower((unsigned char)*c);
    /* the segments, with "", "." and ".." resolved, as a server would */
    const char *seg[URL_PATH_MAX / 2 + 1];
    size_t nseg = 0;
    const char *prev = "";
    for (char *save = NULL, *s = strtok_r(p, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
        if (!strcmp(s, ".")) continue;
        /* also as written, for a server that does not resolve ".." */
        if (!strcmp(prev, "fortio") && !strcmp(s, "rest")) return true;
        prev = s;
        if (!strcmp(s, "..")) {
            if (nseg) nseg--;
            continue;
        }
        seg[nseg++] = s;
    }
    for (size_t i = 0; i + 1 < nseg; i++)
        if (!strcmp(seg[i], "fortio") && !strcmp(seg[i + 1], "rest")) return true;
    return false;
}

static int refuse(char *err, size_t errlen, const char *host, const char *addr)
{
    if (addr)
        return errbuf_set(err, errlen,
                          "target %s resolves to %s, which is not allowed: REST runs reach "
                          "loopback, the -backends hosts and what -rest-allow names (flag "
                          "-rest-allow widens the list)",
                          host, addr);
    return errbuf_set(err, errlen,
                      "target %s is not allowed: REST runs reach loopback, the -backends hosts "
                      "and what -rest-allow names (flag -rest-allow widens the list)",
                      host);
}

int serve_rest_guard_target(const struct serve_rest_guard *g, const struct url *u, char *err,
                            size_t errlen)
{
    if (name_allowed(g, u->host)) return 0;
    unsigned char a[16];
    int fam = parse_addr(u->host, true, a);
    if (!fam) return 1;
    if (addr_allowed(g, fam, a)) return 0;
    char shown[INET6_ADDRSTRLEN];
    if (!inet_ntop(fam, a, shown, sizeof shown)) shown[0] = '\0';
    /* "127.1" is shown with what it means; "10.1.2.3" as it is */
    return refuse(err, errlen, u->host, strcmp(shown, u->host) ? shown : NULL);
}

int serve_rest_guard_resolve(const struct serve_rest_guard *g, const struct url *u, char *pin,
                             size_t pinlen, char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    int rc = getaddrinfo(u->host, NULL, &hints, &res);
    if (rc != 0)
        return errbuf_set(err, errlen, "resolve %s: %s", u->host,
                          rc == EAI_SYSTEM ? "system error" : gai_strerror(rc));
    int out = errbuf_set(err, errlen, "resolve %s: no address", u->host);
    pin[0] = '\0';
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        unsigned char a[16];
        int fam = sockaddr_addr(ai->ai_addr, a);
        char shown[INET6_ADDRSTRLEN] = "?";
        if (fam) inet_ntop(fam, a, shown, sizeof shown);
        if (!fam || !addr_allowed(g, fam, a)) {
            out = refuse(err, errlen, u->host, shown) - 1;
            pin[0] = '\0';
            break;
        }
        if (!pin[0]) {
            snprintf(pin, pinlen, "%s", shown);
            out = 0;
        }
    }
    freeaddrinfo(res);
    return out;
}
