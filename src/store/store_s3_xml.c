/* store_s3_xml.c: finding elements and decoding text in S3's XML answers
 * (see store_s3_xml.h).
 *
 * An element is found by scanning for "<" + name followed by '>', '/' or a
 * blank (so <Key> is not found inside <KeyCount>), then for the first
 * "</" + name + ">" after its start tag. Every scan is bounded by the
 * span's length (memmem/memchr), so input without a NUL or cut anywhere is
 * safe; the fuzz target fuzz/fuzz_s3_xml.c checks that. */
#include "store/store_s3_xml.h"

#include <string.h>

/* The first start tag of name at or after from: the index of its '<' and
 * the index just past its '>' in *body; 1, or 0 none. *empty for <name/>. */
static int store_s3_xml_start(struct store_s3_xml_span in, size_t from, const char *name,
                              size_t *lt, size_t *body, int *empty)
{
    size_t nl = strlen(name);
    while (from < in.n) {
        const char *p = memchr(in.p + from, '<', in.n - from);
        if (!p) return 0;
        size_t at = (size_t)(p - in.p);
        from = at + 1;
        if (in.n - at < nl + 2 || memcmp(p + 1, name, nl)) continue;
        char c = p[1 + nl];
        if (c != '>' && c != '/' && c != ' ' && c != '\t' && c != '\r' && c != '\n') continue;
        const char *gt = memchr(p + 1 + nl, '>', in.n - (at + 1 + nl));
        if (!gt) return 0;
        *lt = at;
        *body = (size_t)(gt - in.p) + 1;
        *empty = gt[-1] == '/';
        return 1;
    }
    return 0;
}

int store_s3_xml_next(struct store_s3_xml_span in, size_t *pos, const char *tag,
                      struct store_s3_xml_span *out)
{
    size_t lt, body;
    int empty;
    if (*pos > in.n || !store_s3_xml_start(in, *pos, tag, &lt, &body, &empty)) return 0;
    if (empty) {
        *out = (struct store_s3_xml_span){in.p + body, 0};
        *pos = body;
        return 1;
    }
    char end[80];
    size_t tl = strlen(tag);
    if (tl + 4 > sizeof end) return 0;
    end[0] = '<';
    end[1] = '/';
    memcpy(end + 2, tag, tl);
    end[2 + tl] = '>';
    const char *e = memmem(in.p + body, in.n - body, end, tl + 3);
    if (!e) return 0;
    *out = (struct store_s3_xml_span){in.p + body, (size_t)(e - (in.p + body))};
    *pos = (size_t)(e - in.p) + tl + 3;
    return 1;
}

int store_s3_xml_find(struct store_s3_xml_span in, const char *tag, struct store_s3_xml_span *out)
{
    size_t pos = 0;
    return store_s3_xml_next(in, &pos, tag, out);
}

/* Append code point cp as UTF-8 to out[*n..max). 0 or -1. */
static int store_s3_xml_utf8(unsigned long cp, char *out, size_t *n, size_t max)
{
    unsigned char b[4];
    size_t k;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp, k = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6)), b[1] = (unsigned char)(0x80 | (cp & 0x3F)), k = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    if (max - *n < k) return -1;
    memcpy(out + *n, b, k);
    *n += k;
    return 0;
}

/* Decode the entity at in.p[*i] ('&') into out. 0 or -1. */
static int store_s3_xml_entity(struct store_s3_xml_span in, size_t *i, char *out, size_t *n,
                               size_t max)
{
    const char *semi = memchr(in.p + *i, ';', in.n - *i);
    if (!semi) return -1;
    const char *name = in.p + *i + 1;
    size_t len = (size_t)(semi - name);
    static const struct {
        const char *name;
        char c;
    } named[] = {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
    *i = (size_t)(semi - in.p) + 1;
    for (size_t k = 0; k < sizeof named / sizeof named[0]; k++) {
        if (len == strlen(named[k].name) && !memcmp(name, named[k].name, len)) {
            if (*n >= max) return -1;
            out[(*n)++] = named[k].c;
            return 0;
        }
    }
    if (len < 2 || name[0] != '#' || len > 10) return -1;
    int hex = name[1] == 'x';
    size_t d = hex ? 2 : 1;
    if (d >= len) return -1;
    unsigned long cp = 0;
    for (; d < len; d++) {
        char c = name[d];
        int v = c >= '0' && c <= '9'          ? c - '0'
                : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                              : -1;
        if (v < 0) return -1;
        cp = cp * (hex ? 16 : 10) + (unsigned long)v;
        if (cp > 0x10FFFF) return -1;
    }
    return store_s3_xml_utf8(cp, out, n, max);
}

long store_s3_xml_text(struct store_s3_xml_span in, char *out, size_t outlen)
{
    if (!outlen) return -1;
    size_t n = 0, max = outlen - 1;
    static const char cdata[] = "<![CDATA[";
    for (size_t i = 0; i < in.n;) {
        char c = in.p[i];
        if (c == '<') {
            if (in.n - i < sizeof cdata - 1 || memcmp(in.p + i, cdata, sizeof cdata - 1)) return -1;
            size_t from = i + sizeof cdata - 1;
            const char *end = memmem(in.p + from, in.n - from, "]]>", 3);
            if (!end) return -1;
            size_t len = (size_t)(end - (in.p + from));
            if (max - n < len) return -1;
            memcpy(out + n, in.p + from, len);
            n += len;
            i = (size_t)(end - in.p) + 3;
        } else if (c == '&') {
            if (store_s3_xml_entity(in, &i, out, &n, max) < 0) return -1;
        } else {
            if (n >= max) return -1;
            out[n++] = c;
            i++;
        }
    }
    out[n] = '\0';
    return (long)n;
}

int store_s3_xml_error(const char *body, size_t len, char *out, size_t outlen)
{
    if (!outlen) return -1;
    out[0] = '\0';
    struct store_s3_xml_span in = {body, len}, err, code, msg;
    if (!store_s3_xml_find(in, "Error", &err) || !store_s3_xml_find(err, "Code", &code)) return -1;
    long n = store_s3_xml_text(code, out, outlen);
    if (n <= 0) {
        out[0] = '\0';
        return -1;
    }
    size_t used = (size_t)n;
    if (store_s3_xml_find(err, "Message", &msg) && msg.n && outlen - used > 3) {
        memcpy(out + used, ": ", 3);
        long m = store_s3_xml_text(msg, out + used + 2, outlen - used - 2);
        if (m <= 0)
            out[used] = '\0';
        else
            used += 2 + (size_t)m;
    }
    for (size_t i = 0; i < used; i++)
        if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f) out[i] = ' ';
    return 0;
}
