/* serve_query.c: query-string iteration and percent-decoding (see
 * serve_query.h). Pure functions over caller's buffers. */
#include "serve/serve_query.h"

#include <string.h>

bool serve_query_next(const char **p, const char *end, struct http_span *key, struct http_span *val)
{
    while (*p < end) {
        const char *s = *p;
        const char *amp = memchr(s, '&', (size_t)(end - s));
        const char *e = amp ? amp : end;
        *p = amp ? amp + 1 : end;
        if (e == s) continue;
        const char *eq = memchr(s, '=', (size_t)(e - s));
        key->p = s;
        key->len = (size_t)((eq ? eq : e) - s);
        val->p = eq ? eq + 1 : e;
        val->len = eq ? (size_t)(e - eq - 1) : 0;
        return true;
    }
    return false;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

ssize_t serve_query_decode(struct http_span s, char *out, size_t outlen)
{
    size_t n = 0;
    if (outlen == 0) return -1;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= s.len) return -1;
            int h = hexval(s.p[i + 1]), l = hexval(s.p[i + 2]);
            if (h < 0 || l < 0) return -1;
            c = (char)(h * 16 + l);
            i += 2;
        }
        if (n + 1 >= outlen) return -1;
        out[n++] = c;
    }
    out[n] = '\0';
    return (ssize_t)n;
}

bool serve_query_key_is(struct http_span key, const char *lit)
{
    size_t n = strlen(lit);
    return key.len == n && memcmp(key.p, lit, n) == 0;
}

/* Length of an "http://" or "https://" prefix of t (any case), else 0. */
static size_t scheme_len(struct http_span t)
{
    static const char http[] = "http";
    size_t i = 0;
    for (; i < 4; i++)
        if (i >= t.len || (t.p[i] | 0x20) != http[i]) return 0;
    if (i < t.len && (t.p[i] | 0x20) == 's') i++;
    if (t.len - i < 3 || memcmp(t.p + i, "://", 3) != 0) return 0;
    return i + 3;
}

void serve_query_split(struct http_span target, struct http_span *path, struct http_span *query)
{
    size_t sl = target.len && target.p[0] != '/' ? scheme_len(target) : 0;
    if (sl) { /* absolute-form: skip the authority */
        size_t i = sl;
        while (i < target.len && target.p[i] != '/' && target.p[i] != '?')
            i++;
        target.p += i;
        target.len -= i;
        if (target.len == 0 || target.p[0] == '?') {
            path->p = "/";
            path->len = 1;
            query->p = target.len ? target.p + 1 : target.p;
            query->len = target.len ? target.len - 1 : 0;
            return;
        }
    }
    const char *q = memchr(target.p, '?', target.len);
    path->p = target.p;
    path->len = q ? (size_t)(q - target.p) : target.len;
    query->p = q ? q + 1 : target.p + target.len;
    query->len = q ? target.len - path->len - 1 : 0;
}
