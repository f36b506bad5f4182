/* chart.h: small 2-D charts drawn with cairo, for `meshperf report`.
 *
 * A chart is a description (title, axis labels with units, series of x/y
 * points borrowed from the caller); chart_draw paints it onto any cairo
 * context: axes with "nice" 1-2-5 ticks, a grid, a legend on the right,
 * line / point / line+point / bar series. The x axis is either linear or a
 * percentile axis: x values are percents (0..100) placed at
 * log10(1/(1 - p/100)), ticks labelled 0%, 90%, 99%, 99.9% ... as
 * HdrHistogram's percentile plots do. chart_render draws the chart onto
 * a cairo image surface (written as PNG) and onto a cairo SVG surface (SVG
 * text for the page); the same drawing code makes both.
 * Text uses cairo's toy API with "DejaVu Sans". Non-finite points are
 * skipped (a line breaks there). */
#ifndef MESHPERF_CHART_H
#define MESHPERF_CHART_H

#include <cairo.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

enum chart_style {
    CHART_LINE,        /* points joined in the order given */
    CHART_POINTS,      /* markers only */
    CHART_LINE_POINTS, /* both */
    CHART_BARS,        /* a bar from 0 to y at each x; bar series are grouped side by side */
};

enum chart_xaxis {
    CHART_X_LINEAR,
    CHART_X_PERCENTILE, /* x are percents; log scale of 1/(1-p); 100% sits at the right edge */
};

struct chart_series {
    const char *name;    /* legend text; NULL or "" = not in the legend */
    const double *x, *y; /* n points, borrowed */
    size_t n;
    enum chart_style style;
    int color;   /* palette index (any int, taken modulo the palette); -1 = series index */
    bool dashed; /* dashed line */
};

struct chart {
    const char *title;
    const char *xlabel; /* with its unit, e.g. "actual QPS (requests/s)" */
    const char *ylabel;
    enum chart_xaxis xaxis;
    const struct chart_series *series; /* borrowed */
    size_t nseries;
    int width, height;  /* pixels; 0 = CHART_W x CHART_H */
    bool y_zero;        /* include 0 in the y range */
    bool x_zero;        /* include 0 in the x range */
    bool no_downsample; /* draw every point of every line (see chart_draw); for tests */
};

#define CHART_W 900
#define CHART_H 480

/* Paint c onto cr, which covers c's width x height (or the defaults).
 * Solid lines are downsampled as they are drawn: of each run of consecutive
 * points that fall in one half-pixel column only the first, the lowest,
 * the highest and the last are joined (M4), so the picture is the same at
 * the chart's resolution, within antialiasing (tests/unit/test_chart.c
 * compares the pixels of 1 M points both ways), and drawing costs
 * O(points) with a small constant.
 * Dashed lines and c->no_downsample keep every point. */
void chart_draw(const struct chart *c, cairo_t *cr);

/* Draw c and write it as a PNG file at png_path (if non-NULL) and as
 * an SVG document appended to svg (if non-NULL). Returns 0, or -1 with one
 * line in err naming the file or cairo's status. */
int chart_render(const struct chart *c, const char *png_path, struct buf *svg, char *err,
                 size_t errlen);

/* A deep copy of c (strings, series and their points) in one allocation,
 * so that it can be rendered later or on another thread. NULL on no
 * memory. Free with free(). */
struct chart *chart_dup(const struct chart *c);

/* Drop cairo's process-wide caches (fonts, glyphs) with
 * cairo_debug_reset_static_data, and fontconfig's configuration (FcFini),
 * so that a leak checker sees only real leaks. Call only when no cairo object is alive, e.g. when a
 * command is done drawing. */
void chart_release(void);

/* Nice ticks for [lo, hi]: *step is 1, 2 or 5 times a power of ten giving
 * at most about maxticks ticks, *first the first multiple of step >= lo.
 * Returns the number of ticks (0 if the range is empty or not finite). */
int chart_ticks(double lo, double hi, int maxticks, double *first, double *step);

/* Format a tick value v for a given step into out ("0.25", "1500", "20k"). */
void chart_fmt_tick(double v, double step, char *out, size_t outlen);

/* Position on the percentile axis of percent p (0 <= p < 100): log10(1/(1-p/100)). */
double chart_pct_pos(double p);

#endif
