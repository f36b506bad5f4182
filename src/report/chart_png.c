/* chart_png.c: a fast PNG writer for chart images (see chart_png.h).
 *
 * cairo's own PNG writer (libpng, zlib level 6, adaptive filters) spends
 * ~25 ms on a 900x480 chart; charts are mostly flat colour, so a much
 * simpler encoder does nearly as well in a tenth of the time: every row
 * uses PNG filter "Up" (unchanged pixels become zero bytes), and the
 * deflate stream is one block with the fixed Huffman code whose only
 * matches are runs at distance 1 (a byte repeated) or 3 (an RGB pixel
 * repeated), found greedily. The zlib wrapper and PNG chunks (CRC-32,
 * Adler-32) are written by hand; the output is a standard 8-bit RGB PNG. */
#include "report/chart_png.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/errbuf.h"

struct bits {
    unsigned char *p; /* next byte; room was reserved for the worst case */
    uint64_t acc;
    int n;
};

static inline void put_bits(struct bits *b, uint32_t v, int n)
{
    b->acc |= (uint64_t)v << b->n;
    b->n += n;
    while (b->n >= 8) {
        *b->p++ = (unsigned char)b->acc;
        b->acc >>= 8;
        b->n -= 8;
    }
}

static uint32_t reverse(uint32_t code, int len)
{
    uint32_t r = 0;
    for (int i = 0; i < len; i++)
        r |= ((code >> i) & 1) << (len - 1 - i);
    return r;
}

/* The fixed Huffman code (RFC 1951 3.2.6), bit-reversed for LSB-first output. */
static uint16_t sym_code[288];
static uint8_t sym_len[288];
static uint32_t crc_table[256];

static void tables_init(void)
{
    for (unsigned s = 0; s < 288; s++) {
        uint32_t c;
        int l;
        if (s < 144)
            c = 0x30 + s, l = 8;
        else if (s < 256)
            c = 0x190 + s - 144, l = 9;
        else if (s < 280)
            c = s - 256, l = 7;
        else
            c = 0xC0 + s - 280, l = 8;
        sym_code[s] = (uint16_t)reverse(c, l);
        sym_len[s] = (uint8_t)l;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

static inline void put_sym(struct bits *b, unsigned sym)
{
    put_bits(b, sym_code[sym], sym_len[sym]);
}

static const uint16_t len_base[] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                    31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                    2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};

static void put_match(struct bits *b, unsigned len, unsigned dist)
{
    int i = 28;
    while (len_base[i] > len)
        i--;
    put_sym(b, 257 + (unsigned)i);
    if (len_extra[i]) put_bits(b, len - len_base[i], len_extra[i]);
    /* distances 1..4 are codes 0..3 with no extra bits */
    put_bits(b, reverse(dist - 1, 5), 5);
}

static void be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static int chunk(FILE *f, const char *type, const unsigned char *data, size_t n)
{
    unsigned char hdr[8];
    be32(hdr, (uint32_t)n);
    memcpy(hdr + 4, type, 4);
    uint32_t c = 0xffffffffu;
    for (int i = 4; i < 8; i++)
        c = crc_table[(c ^ hdr[i]) & 0xff] ^ (c >> 8);
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ data[i]) & 0xff] ^ (c >> 8);
    unsigned char crc[4];
    be32(crc, c ^ 0xffffffffu);
    if (fwrite(hdr, 1, 8, f) != 8 || (n && fwrite(data, 1, n, f) != n) || fwrite(crc, 1, 4, f) != 4)
        return -1;
    return 0;
}

int chart_png_encode(const unsigned char *px, int w, int h, int stride, struct buf *out)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, tables_init);
    size_t row = (size_t)w * 3 + 1, total = row * (size_t)h;
    unsigned char *raw = malloc(total ? total : 1);
    if (!raw) return -ENOMEM;
    /* filtered scanlines: filter byte 2 (Up), RGB from cairo's native xRGB */
    for (int y = 0; y < h; y++) {
        unsigned char *r = raw + row * (size_t)y;
        const uint32_t *cur = (const uint32_t *)(px + (size_t)stride * (size_t)y);
        const uint32_t *prev = y ? (const uint32_t *)(px + (size_t)stride * (size_t)(y - 1)) : NULL;
        r[0] = 2;
        for (int x = 0; x < w; x++) {
            uint32_t a = cur[x], b = prev ? prev[x] : 0;
            r[1 + 3 * x] = (unsigned char)((a >> 16) - (b >> 16));
            r[2 + 3 * x] = (unsigned char)((a >> 8) - (b >> 8));
            r[3 + 3 * x] = (unsigned char)(a - b);
        }
    }
    /* worst case: 9 bits a byte, plus the header, the end and Adler-32 */
    size_t room = total / 8 * 9 + 64;
    int rc = buf_reserve(out, room);
    if (rc < 0) {
        free(raw);
        return rc;
    }
    unsigned char *base = (unsigned char *)out->data + out->len;
    base[0] = 0x78, base[1] = 0x01;
    struct bits b = {base + 2, 0, 0};
    put_bits(&b, 1, 1); /* BFINAL */
    put_bits(&b, 1, 2); /* BTYPE 01: fixed Huffman */
    size_t i = 0;
    while (i < total) {
        unsigned best = 0, bestd = 0;
        static const unsigned dists[] = {1, 3};
        for (int k = 0; k < 2; k++) {
            unsigned d = dists[k];
            if (i < d) continue;
            size_t max = total - i < 258 ? total - i : 258;
            size_t n = 0;
            while (n < max && raw[i + n] == raw[i + n - d])
                n++;
            if (n > best) best = (unsigned)n, bestd = d;
        }
        if (best >= 3) {
            put_match(&b, best, bestd);
            i += best;
        } else {
            put_sym(&b, raw[i]);
            i++;
        }
    }
    put_sym(&b, 256);
    if (b.n) put_bits(&b, 0, 8 - b.n);
    uint32_t s1 = 1, s2 = 0;
    for (size_t k = 0; k < total;) {
        size_t end = k + 5552 < total ? k + 5552 : total;
        for (; k < end; k++)
            s1 += raw[k], s2 += s1;
        s1 %= 65521, s2 %= 65521;
    }
    be32(b.p, (s2 << 16) | s1);
    b.p += 4;
    out->len += (size_t)(b.p - base);
    out->data[out->len] = '\0';
    free(raw);
    return 0;
}

int chart_png_write(cairo_surface_t *img, const char *path, char *err, size_t errlen)
{
    cairo_surface_flush(img);
    int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
    if (cairo_image_surface_get_format(img) != CAIRO_FORMAT_RGB24 &&
        cairo_image_surface_get_format(img) != CAIRO_FORMAT_ARGB32)
        return errbuf_set(err, errlen, "%s: image format not RGB", path);
    struct buf z;
    buf_init(&z, 1u << 30);
    int rc = chart_png_encode(cairo_image_surface_get_data(img), w, h,
                              cairo_image_surface_get_stride(img), &z);
    if (rc < 0) {
        buf_free(&z);
        return errbuf_set(err, errlen, "%s: %s", path, strerror(-rc));
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        buf_free(&z);
        return errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
    }
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char ihdr[13];
    be32(ihdr, (uint32_t)w);
    be32(ihdr + 4, (uint32_t)h);
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 2;  /* colour type RGB */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* adaptive filtering (per-row filter byte) */
    ihdr[12] = 0; /* no interlace */
    int bad = fwrite(sig, 1, 8, f) != 8 || chunk(f, "IHDR", ihdr, 13) < 0 ||
              chunk(f, "IDAT", (unsigned char *)z.data, z.len) < 0 || chunk(f, "IEND", NULL, 0) < 0;
    bad |= fclose(f) != 0;
    buf_free(&z);
    if (bad) return errbuf_set(err, errlen, "%s: write failed", path);
    return 0;
}
