/* url.c: parse http:// and https:// URLs into struct url (see url.h).
 *
 * One pass: find the scheme, the authority (dropping any userinfo, which is
 * also cut out of the URL quoted in error messages), the host (a bracketed
 * IPv6 literal checked with inet_pton, an IPv4 dotted quad, or a DNS name),
 * the port, then the path and query up to any fragment. */
#include "net/url.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/errbuf.h"

/* Fill err with "bad URL '<quoted>': <why>"; returns -1. */
static int __attribute__((format(printf, 4, 5)))
bad(char *err, size_t errlen, const char *quoted, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return errbuf_set(err, errlen, "bad URL '%s': %s", quoted, why);
}

void url_redact(const char *s, char *out, size_t outlen)
{
    const char *sep = strstr(s, "://");
    const char *auth = sep ? sep + 3 : NULL;
    const char *skip_from = NULL, *skip_to = NULL;
    if (auth) {
        size_t alen = strcspn(auth, "/?#");
        for (size_t i = alen; i > 0; i--)
            if (auth[i - 1] == '@') {
                skip_from = auth;
                skip_to = auth + i;
                break;
            }
    }
    size_t o = 0;
    for (const char *p = s; *p && o + 8 < outlen; p++) {
        if (p == skip_from) { /* user:password@ -> ***@ */
            memcpy(out + o, "***@", 4);
            o += 4;
            p = skip_to - 1;
            continue;
        }
        unsigned char c = (unsigned char)*p;
        out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (o + 8 >= outlen && strlen(s) > o) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

static int host_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
}

int url_parse(const char *s, struct url *u, char *err, size_t errlen)
{
    char q[160];
    url_redact(s, q, sizeof q);
    memset(u, 0, sizeof *u);

    if (!*s) return bad(err, errlen, q, "empty");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        size_t off = (size_t)((const char *)p - s);
        if (*p == ' ') return bad(err, errlen, q, "space at offset %zu (encode it as %%20)", off);
        if (*p < 0x20 || *p == 0x7f)
            return bad(err, errlen, q, "control character at offset %zu", off);
        if (*p >= 0x80)
            return bad(err, errlen, q, "non-ASCII byte at offset %zu (percent-encode it)", off);
    }

    /* scheme */
    const char *colon = strchr(s, ':');
    size_t slen = colon ? (size_t)(colon - s) : 0;
    if (slen == 4 && strncasecmp(s, "http", 4) == 0) {
        u->tls = false;
    } else if (slen == 5 && strncasecmp(s, "https", 5) == 0) {
        u->tls = true;
    } else if (!colon || !strstr(s, "://")) {
        return bad(err, errlen, q, "missing scheme (want http:// or https://)");
    } else {
        return bad(err, errlen, q, "scheme must be http or https");
    }
    strcpy(u->scheme, u->tls ? "https" : "http");
    if (strncmp(colon, "://", 3) != 0)
        return bad(err, errlen, q, "missing '//' after '%s:'", u->scheme);

    /* authority, minus userinfo */
    const char *auth = colon + 3;
    size_t alen = strcspn(auth, "/?#");
    const char *aend = auth + alen;
    for (const char *p = aend; p > auth; p--)
        if (p[-1] == '@') {
            auth = p;
            break;
        }

    /* host */
    const char *h = auth, *hend, *after;
    if (*h == '[') {
        const char *rb = memchr(h, ']', (size_t)(aend - h));
        if (!rb) return bad(err, errlen, q, "missing ']' after IPv6 address");
        h++;
        hend = rb;
        after = rb + 1;
        size_t n = (size_t)(hend - h);
        if (n == 0) return bad(err, errlen, q, "empty host");
        char tmp[64];
        unsigned char bin[16];
        if (n >= sizeof tmp) return bad(err, errlen, q, "bad IPv6 address");
        memcpy(tmp, h, n);
        tmp[n] = '\0';
        if (inet_pton(AF_INET6, tmp, bin) != 1)
            return bad(err, errlen, q, "bad IPv6 address '%s'", tmp);
        u->ipv6 = true;
        if (after < aend && *after != ':')
            return bad(err, errlen, q, "unexpected '%c' after ']'", *after);
    } else {
        hend = h;
        while (hend < aend && *hend != ':')
            hend++;
        after = hend;
        if (hend == h) return bad(err, errlen, q, "empty host");
        bool numeric = true;
        for (const char *p = h; p < hend; p++) {
            if (!host_char((unsigned char)*p))
                return bad(err, errlen, q, "bad character '%c' in host", *p);
            if (!((*p >= '0' && *p <= '9') || *p == '.')) numeric = false;
        }
        if ((size_t)(hend - h) > URL_HOST_MAX)
            return bad(err, errlen, q, "host longer than %d bytes", URL_HOST_MAX);
        if (numeric) {
            char tmp[URL_HOST_MAX + 1];
            struct in_addr a;
            memcpy(tmp, h, (size_t)(hend - h));
            tmp[hend - h] = '\0';
            if (inet_pton(AF_INET, tmp, &a) != 1)
                return bad(err, errlen, q, "bad IPv4 address '%s'", tmp);
        }
    }
    size_t hl = (size_t)(hend - h);
    for (size_t i = 0; i < hl; i++) {
        char c = h[i];
        u->host[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    u->host[hl] = '\0';

    /* port */
    u->port = u->tls ? 443 : 80;
    if (after < aend) { /* *after == ':' */
        const char *p = after + 1;
        if (p == aend) return bad(err, errlen, q, "empty port after ':'");
        long port = 0;
        for (; p < aend; p++) {
            if (*p < '0' || *p > '9') return bad(err, errlen, q, "port must be a number 1..65535");
            port = port * 10 + (*p - '0');
            if (port > 65535) return bad(err, errlen, q, "port must be a number 1..65535");
        }
        if (port == 0) return bad(err, errlen, q, "port must be a number 1..65535");
        u->port = (int)port;
        u->port_explicit = true;
    }

    /* path + query, without the fragment */
    const char *path = aend;
    size_t plen = strcspn(path, "#");
    size_t o = 0;
    if (*path != '/') u->path[o++] = '/';
    if (o + plen > URL_PATH_MAX)
        return bad(err, errlen, q, "path longer than %d bytes", URL_PATH_MAX);
    memcpy(u->path + o, path, plen);
    u->path[o + plen] = '\0';
    return 0;
}

static int host_port(const struct url *u, bool with_port, char *out, size_t outlen)
{
    const char *lb = u->ipv6 ? "[" : "", *rb = u->ipv6 ? "]" : "";
    int n = with_port ? snprintf(out, outlen, "%s%s%s:%d", lb, u->host, rb, u->port)
                      : snprintf(out, outlen, "%s%s%s", lb, u->host, rb);
    if (n < 0 || (size_t)n >= outlen) return -1;
    return n;
}

int url_host_header(const struct url *u, char *out, size_t outlen)
{
    int dflt = u->tls ? 443 : 80;
    return host_port(u, u->port != dflt, out, outlen);
}

int url_authority(const struct url *u, char *out, size_t outlen)
{
    return host_port(u, true, out, outlen);
}

/* The authority of a URL in free text ends at a path, query, fragment,
 * quote, white space or control character. */
static int authority_end(unsigned char c)
{
    return c == '/' || c == '?' || c == '#' || c == '"' || c == '\\' || c <= ' ' || c == 0x7f;
}

char *url_redact_text(const char *text, size_t len, size_t *outlen)
{
    char *out = NULL;
    size_t o = 0, copied = 0; /* text[0..copied) is already in out */
    for (size_t i = 0; i + 3 <= len; i++) {
        if (memcmp(text + i, "://", 3) != 0) continue;
        size_t a = i + 3, e = a, at = 0;
        while (e < len && !authority_end((unsigned char)text[e])) {
            if (text[e] == '@') at = e;
            e++;
        }
        if (!at) continue;
        if (!out && !(out = malloc(len + len / 2 + 4))) return NULL;
        /* "***" (3) replaces at least "x" (1) before '@': at most +2 per
         * occurrence, and each occurrence spans >= 5 bytes ("://x@") */
        memcpy(out + o, text + copied, a - copied);
        o += a - copied;
        memcpy(out + o, "***", 3);
        o += 3;
        copied = at;
        i = e - 1;
    }
    if (!out) return NULL;
    memcpy(out + o, text + copied, len - copied);
    o += len - copied;
    out[o] = '\0';
    *outlen = o;
    return out;
}
