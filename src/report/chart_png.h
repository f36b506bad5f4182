/* chart_png.h: write a cairo image surface as a PNG, fast (see chart_png.c
 * for how: filter Up + a run-length-only fixed-Huffman deflate). */
#ifndef MESHPERF_CHART_PNG_H
#define MESHPERF_CHART_PNG_H

#include <cairo.h>
#include <stddef.h>

#include "base/buf.h"

/* Append the zlib stream (RFC 1950/1951) of the filtered scanlines of an
 * xRGB image (cairo RGB24/ARGB32 layout: w x h pixels, stride bytes per
 * row; alpha ignored) to out. 0, or -ENOMEM / -ENOBUFS (out unchanged). */
int chart_png_encode(const unsigned char *px, int w, int h, int stride, struct buf *out);

/* Write img (CAIRO_FORMAT_RGB24 or ARGB32; alpha dropped) to path as an
 * 8-bit RGB PNG. 0, or -1 with one line in err naming the file. */
int chart_png_write(cairo_surface_t *img, const char *path, char *err, size_t errlen);

#endif
