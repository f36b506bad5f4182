/* chart.c: cairo charts (see chart.h).
 *
 * Layout: title on top, y tick labels and the rotated y label on the left,
 * x ticks and label below, the legend in a column on the right whose width
 * follows the longest name (capped; long names are cut with an ellipsis,
 * entries that do not fit become "+N more"). Ranges come from the finite
 * points of all series and are widened to whole ticks. */
#include "report/chart.h"

#include <cairo-svg.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/chart_png.h"
#include "base/errbuf.h"

#define FONT "DejaVu Sans"

static const double palette[][3] = {
    {0x1f / 255., 0x77 / 255., 0xb4 / 255.}, {0xff / 255., 0x7f / 255., 0x0e / 255.},
    {0x2c / 255., 0xa0 / 255., 0x2c / 255.}, {0xd6 / 255., 0x27 / 255., 0x28 / 255.},
    {0x94 / 255., 0x67 / 255., 0xbd / 255.}, {0x8c / 255., 0x56 / 255., 0x4b / 255.},
    {0xe3 / 255., 0x77 / 255., 0xc2 / 255.}, {0x7f / 255., 0x7f / 255., 0x7f / 255.},
    {0xbc / 255., 0xbd / 255., 0x22 / 255.}, {0x17 / 255., 0xbe / 255., 0xcf / 255.},
};
#define NPALETTE (sizeof palette / sizeof palette[0])

double chart_pct_pos(double p)
{
    if (!(p < 100)) return INFINITY;
    if (p <= 0) return 0;
    return log10(100.0 / (100.0 - p));
}

int chart_ticks(double lo, double hi, int maxticks, double *first, double *step)
{
    if (!isfinite(lo) || !isfinite(hi) || hi <= lo || maxticks < 2) return 0;
    double raw = (hi - lo) / (maxticks - 1);
    double mag = pow(10, floor(log10(raw)));
    double s = mag;
    if (raw > 5 * mag)
        s = 10 * mag;
    else if (raw > 2 * mag)
        s = 5 * mag;
    else if (raw > mag)
        s = 2 * mag;
    double f = ceil(lo / s - 1e-9) * s;
    int n = 0;
    for (double t = f; t <= hi + s * 1e-9; t = f + s * ++n) {
    }
    *first = f;
    *step = s;
    return n;
}

void chart_fmt_tick(double v, double step, char *out, size_t outlen)
{
    if (fabs(v) < step * 1e-9) v = 0;
    const char *suffix = "";
    if (fabs(v) >= 10000 && step >= 1000) {
        v /= 1000;
        step /= 1000;
        suffix = "k";
    }
    int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (dec > 9) dec = 9;
    snprintf(out, outlen, "%.*f%s", dec, v, suffix);
}

/* ---- layout ---- */

struct frame {
    double W, H;
    double x0, y0, x1, y1;     /* plot area in pixels */
    double xlo, xhi, ylo, yhi; /* data range */
    double xfirst, xstep, yfirst, ystep;
    int nxt, nyt;
    double legend_x, legend_w;
    bool pct;
    double bar_w; /* bar width in data units */
    int nbarser;  /* bar series */
    bool any;     /* any finite point */
};

static double xpos(const struct frame *f, double x)
{
    if (f->pct) x = isinf(chart_pct_pos(x)) ? f->xhi : chart_pct_pos(x);
    return f->x0 + (x - f->xlo) / (f->xhi - f->xlo) * (f->x1 - f->x0);
}

static double ypos(const struct frame *f, double y)
{
    return f->y1 - (y - f->ylo) / (f->yhi - f->ylo) * (f->y1 - f->y0);
}

static void set_color(cairo_t *cr, int idx, double alpha)
{
    const double *c = palette[(unsigned)idx % NPALETTE];
    cairo_set_source_rgba(cr, c[0], c[1], c[2], alpha);
}

static double text_w(cairo_t *cr, const char *s)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

/* Copy s into out, cut (on a UTF-8 boundary) with an ellipsis to fit w. */
static void fit_text(cairo_t *cr, const char *s, double w, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", s);
    if (text_w(cr, out) <= w) return;
    size_t n = strlen(out);
    while (n > 0) {
        n--;
        while (n > 0 && ((unsigned char)out[n] & 0xC0) == 0x80)
            n--;
        if (n + 4 > outlen) continue;
        memcpy(out + n, "\xe2\x80\xa6", 4); /* U+2026 and the NUL */
        if (text_w(cr, out) <= w) return;
    }
    out[0] = '\0';
}

static void data_range(const struct chart *c, struct frame *f)
{
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    double minsep = INFINITY;
    f->nbarser = 0;
    for (size_t i = 0; i < c->nseries; i++) {
        const struct chart_series *s = &c->series[i];
        if (s->style == CHART_BARS) f->nbarser++;
        double prev = NAN;
        for (size_t j = 0; j < s->n; j++) {
            double x = s->x[j], y = s->y[j];
            if (!isfinite(y) || isnan(x) || (!f->pct && !isfinite(x))) continue;
            if (f->pct) {
                x = chart_pct_pos(x);
                if (isinf(x)) x = -INFINITY; /* 100%: placed at the right edge, not a range */
            }
            if (isfinite(x)) {
                if (x < xmin) xmin = x;
                if (x > xmax) xmax = x;
            }
            if (y < ymin) ymin = y;
            if (y > ymax) ymax = y;
            if (s->style == CHART_BARS && isfinite(prev) && x != prev && fabs(x - prev) < minsep)
                minsep = fabs(x - prev);
            prev = x;
            f->any = true;
        }
    }
    if (!f->any) {
        xmin = 0, xmax = 1, ymin = 0, ymax = 1;
    }
    if (f->pct) {
        f->xlo = 0;
        double d = isfinite(xmax) ? ceil(xmax + 0.1) : 2; /* room past the last point */
        if (d < 2) d = 2;
        if (d > 7) d = 7;
        f->xhi = d;
        f->nxt = (int)d + 1;
        f->xfirst = 0;
        f->xstep = 1;
    } else {
        if (!isfinite(xmin)) xmin = 0, xmax = 1;
        if (c->x_zero && xmin > 0) xmin = 0;
        if (f->nbarser) {
            if (!isfinite(minsep))
                minsep = xmax > xmin ? xmax - xmin : (fabs(xmax) > 0 ? fabs(xmax) : 1);
            f->bar_w = minsep * 0.8 / f->nbarser;
            xmin -= minsep / 2;
            xmax += minsep / 2;
        }
        if (xmax <= xmin) {
            double pad = xmin != 0 ? fabs(xmin) * 0.1 : 1;
            xmin -= pad;
            xmax += pad;
        }
        f->nxt = chart_ticks(xmin, xmax, 8, &f->xfirst, &f->xstep);
        if (f->nbarser) {
            f->xlo = xmin;
            f->xhi = xmax;
        } else {
            /* widen to whole ticks only when that adds little; else end just
             * past the data (a 5.01 s series on a 0..6 s axis wastes a sixth) */
            double span = xmax - xmin;
            double rlo = floor(xmin / f->xstep + 1e-9) * f->xstep;
            double rhi = ceil(xmax / f->xstep - 1e-9) * f->xstep;
            f->xlo = xmin - rlo <= 0.05 * span ? rlo : xmin - 0.02 * span;
            f->xhi = rhi - xmax <= 0.05 * span ? rhi : xmax + 0.02 * span;
        }
        f->nxt = chart_ticks(f->xlo, f->xhi, 8, &f->xfirst, &f->xstep);
    }
    if ((c->y_zero || f->nbarser) && ymin > 0) ymin = 0;
    if ((c->y_zero || f->nbarser) && ymax < 0) ymax = 0;
    if (ymax <= ymin) {
        double pad = ymin != 0 ? fabs(ymin) * 0.1 : 1;
        ymin -= pad;
        ymax += pad;
    } else {
        ymax += (ymax - ymin) * 0.04;
    }
    double yf, ys;
    chart_ticks(ymin, ymax, 7, &yf, &ys);
    f->ylo = fmin(ymin, floor(ymin / ys + 1e-9) * ys);
    f->yhi = fmax(ymax, ceil(ymax / ys - 1e-9) * ys);
    f->nyt = chart_ticks(f->ylo, f->yhi, 7, &f->yfirst, &f->ystep);
}

static void pct_label(int decade, char *out, size_t outlen)
{
    if (decade == 0) {
        snprintf(out, outlen, "0%%");
        return;
    }
    /* 100 * (1 - 10^-d): 90, 99, 99.9, ... */
    snprintf(out, outlen, "%.*f%%", decade > 2 ? decade - 2 : 0, 100.0 - 100.0 / pow(10, decade));
}

static size_t legend_count(const struct chart *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nseries; i++)
        if (c->series[i].name && c->series[i].name[0]) n++;
    return n;
}

static void layout(const struct chart *c, cairo_t *cr, struct frame *f)
{
    f->W = c->width > 0 ? c->width : CHART_W;
    f->H = c->height > 0 ? c->height : CHART_H;
    f->pct = c->xaxis == CHART_X_PERCENTILE;
    data_range(c, f);
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 12);
    double lw = 0;
    if (legend_count(c)) {
        for (size_t i = 0; i < c->nseries; i++)
            if (c->series[i].name && c->series[i].name[0])
                lw = fmax(lw, text_w(cr, c->series[i].name));
        lw += 40;
        lw = fmin(lw, f->W * 0.36); /* a legend may take up to a good third */
    }
    f->legend_w = lw;
    cairo_set_font_size(cr, 11);
    double ytw = 0;
    for (int i = 0; i < f->nyt; i++) {
        char t[48];
        chart_fmt_tick(f->yfirst + i * f->ystep, f->ystep, t, sizeof t);
        ytw = fmax(ytw, text_w(cr, t));
    }
    f->x0 = 30 + ytw + 8;
    f->y0 = 40;
    f->x1 = f->W - 16 - lw;
    f->y1 = f->H - 52;
    f->legend_x = f->x1 + 14;
}

static void draw_axes(const struct chart *c, cairo_t *cr, const struct frame *f)
{
    char t[48];
    cairo_set_line_width(cr, 1);
    cairo_set_font_size(cr, 11);
    /* y grid + labels */
    for (int i = 0; i < f->nyt; i++) {
        double v = f->yfirst + i * f->ystep;
        double y = round(ypos(f, v)) + 0.5;
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, f->x0, y);
        cairo_line_to(cr, f->x1, y);
        cairo_stroke(cr);
        chart_fmt_tick(v, f->ystep, t, sizeof t);
        cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
        cairo_move_to(cr, f->x0 - 6 - text_w(cr, t), y + 4);
        cairo_show_text(cr, t);
    }
    /* x grid + labels */
    for (int i = 0; i < f->nxt; i++) {
        double v = f->xfirst + i * f->xstep;
        double x = round(f->x0 + (v - f->xlo) / (f->xhi - f->xlo) * (f->x1 - f->x0)) + 0.5;
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, x, f->y0);
        cairo_line_to(cr, x, f->y1);
        cairo_stroke(cr);
        if (f->pct)
            pct_label((int)lround(v), t, sizeof t);
        else
            chart_fmt_tick(v, f->xstep, t, sizeof t);
        cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
        cairo_move_to(cr, x - text_w(cr, t) / 2, f->y1 + 16);
        cairo_show_text(cr, t);
    }
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    cairo_rectangle(cr, f->x0 + 0.5, f->y0 + 0.5, f->x1 - f->x0, f->y1 - f->y0);
    cairo_stroke(cr);
    /* labels */
    cairo_set_font_size(cr, 12);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    if (c->xlabel) {
        cairo_move_to(cr, (f->x0 + f->x1) / 2 - text_w(cr, c->xlabel) / 2, f->H - 14);
        cairo_show_text(cr, c->xlabel);
    }
    if (c->ylabel) {
        char yl[256];
        fit_text(cr, c->ylabel, f->y1 - f->y0 + 30, yl, sizeof yl);
        cairo_save(cr);
        cairo_move_to(cr, 18, (f->y0 + f->y1) / 2 + text_w(cr, yl) / 2);
        cairo_rotate(cr, -M_PI / 2);
        cairo_show_text(cr, yl);
        cairo_restore(cr);
    }
    if (c->title) {
        cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
        cairo_set_font_size(cr, 15);
        char tt[256];
        fit_text(cr, c->title, f->W - 20, tt, sizeof tt);
        double w = text_w(cr, tt);
        double x = (f->x0 + f->x1) / 2 - w / 2;
        if (x < 10) x = 10;
        if (x + w > f->W - 10) x = f->W - 10 - w;
        cairo_move_to(cr, x, 24);
        cairo_show_text(cr, tt);
        cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    }
    if (!f->any) {
        cairo_set_font_size(cr, 14);
        cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
        const char *m = "no data";
        cairo_move_to(cr, (f->x0 + f->x1) / 2 - text_w(cr, m) / 2, (f->y0 + f->y1) / 2);
        cairo_show_text(cr, m);
    }
}

static void marker(cairo_t *cr, double x, double y)
{
    cairo_new_sub_path(cr);
    cairo_arc(cr, x, y, 3.2, 0, 2 * M_PI);
    cairo_fill(cr);
}

/* Is point j of s drawn (finite y, usable x)? */
static bool drawable(const struct chart_series *s, const struct frame *f, size_t j)
{
    return isfinite(s->y[j]) && !isnan(s->x[j]) && (f->pct || isfinite(s->x[j]));
}

/* Downsampled lines keep a few points per this fraction of a pixel column:
 * the kept points are within half a pixel of the dropped ones, so the
 * 2 px antialiased line moves by less than that. */
#define CHART_SUBCOLUMNS 2

/* One column's (half a pixel wide) run of consecutive points: the
 * first, the lowest, the highest and the last (indices into the series). */
struct column {
    double col; /* floor of the pixel x times CHART_SUBCOLUMNS; NAN when empty */
    size_t first, lo, hi, last;
};

/* Add the column's points to the path in their order, each once: the
 * polyline through them covers the same pixels as the one through every
 * point of the column. Where the line starts (no pen yet) or ends (ends),
 * the second and the second-to-last point are kept too: they orient the
 * line's butt caps. */
static void column_flush(cairo_t *cr, const struct chart_series *s, const struct frame *f,
                         struct column *c, bool *pen, bool ends)
{
    if (isnan(c->col)) return;
    size_t v[6], n = 0;
    v[n++] = c->first;
    if (!*pen && c->last > c->first) v[n++] = c->first + 1;
    v[n++] = c->lo;
    v[n++] = c->hi;
    if (ends && c->last > c->first) v[n++] = c->last - 1;
    v[n++] = c->last;
    for (size_t i = 1; i < n; i++) /* insertion sort of at most 6 */
        for (size_t k = i; k > 0 && v[k - 1] > v[k]; k--) {
            size_t t = v[k];
            v[k] = v[k - 1];
            v[k - 1] = t;
        }
    for (size_t k = 0; k < n; k++) {
        if (k && v[k] == v[k - 1]) continue;
        double x = xpos(f, s->x[v[k]]), y = ypos(f, s->y[v[k]]);
        if (*pen)
            cairo_line_to(cr, x, y);
        else
            cairo_move_to(cr, x, y);
        *pen = true;
    }
    c->col = NAN;
}

/* The line of s, downsampled (unless full) to at most four points per
 * half-pixel column and run of consecutive points: a 1 M-point series
 * costs what a few thousand do, and its picture is the same at the drawn
 * resolution (the M4 reduction: first, min, max, last per column; see
 * column_flush for the line's ends). */
static void draw_line(cairo_t *cr, const struct chart_series *s, const struct frame *f, bool full)
{
    bool pen = false;
    struct column c = {.col = NAN};
    for (size_t j = 0; j < s->n; j++) {
        if (!drawable(s, f, j)) {
            column_flush(cr, s, f, &c, &pen, true);
            pen = false;
            continue;
        }
        double col = floor(xpos(f, s->x[j]) * CHART_SUBCOLUMNS);
        if (full || col != c.col) {
            column_flush(cr, s, f, &c, &pen, false);
            c = (struct column){col, j, j, j, j};
            if (full) column_flush(cr, s, f, &c, &pen, false);
            continue;
        }
        if (s->y[j] < s->y[c.lo]) c.lo = j;
        if (s->y[j] > s->y[c.hi]) c.hi = j;
        c.last = j;
    }
    column_flush(cr, s, f, &c, &pen, true);
}

static void draw_series(const struct chart *c, cairo_t *cr, const struct frame *f)
{
    cairo_save(cr);
    /* a few pixels of slack so that markers on the frame are drawn whole */
    cairo_rectangle(cr, f->x0 - 5, f->y0 - 5, f->x1 - f->x0 + 11, f->y1 - f->y0 + 11);
    cairo_clip(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    int bar_k = 0;
    for (size_t i = 0; i < c->nseries; i++) {
        const struct chart_series *s = &c->series[i];
        int color = s->color >= 0 ? s->color : (int)i;
        set_color(cr, color, 1);
        if (s->style == CHART_BARS) {
            double off = (bar_k - (f->nbarser - 1) / 2.0) * f->bar_w;
            for (size_t j = 0; j < s->n; j++) {
                if (!isfinite(s->x[j]) || !isfinite(s->y[j])) continue;
                double xa = xpos(f, s->x[j] + off - f->bar_w / 2);
                double xb = xpos(f, s->x[j] + off + f->bar_w / 2);
                double ya = ypos(f, fmax(0, f->ylo)), yb = ypos(f, s->y[j]);
                cairo_rectangle(cr, xa, fmin(ya, yb), fmax(1, xb - xa), fabs(ya - yb));
            }
            set_color(cr, color, 0.85);
            cairo_fill(cr);
            bar_k++;
            continue;
        }
        if (s->style == CHART_LINE || s->style == CHART_LINE_POINTS) {
            cairo_set_line_width(cr, 2);
            if (s->dashed) {
                double d[] = {6, 4};
                cairo_set_dash(cr, d, 2, 0);
            }
            /* a dash pattern runs along the whole length: keep every point */
            draw_line(cr, s, f, c->no_downsample || s->dashed);
            cairo_stroke(cr);
            cairo_set_dash(cr, NULL, 0, 0);
        }
        if (s->style == CHART_POINTS || s->style == CHART_LINE_POINTS) {
            for (size_t j = 0; j < s->n; j++) {
                if (!drawable(s, f, j)) continue;
                marker(cr, xpos(f, s->x[j]), ypos(f, s->y[j]));
            }
        }
    }
    cairo_restore(cr);
}

static void draw_legend(const struct chart *c, cairo_t *cr, const struct frame *f)
{
    size_t total = legend_count(c);
    if (!total) return;
    cairo_set_font_size(cr, 12);
    const double lh = 18;
    size_t fit = (size_t)((f->y1 - f->y0) / lh);
    if (fit < 1) fit = 1;
    size_t show = total <= fit ? total : fit - 1;
    double y = f->y0 + 10;
    size_t k = 0;
    for (size_t i = 0; i < c->nseries && k < show; i++) {
        const struct chart_series *s = &c->series[i];
        if (!s->name || !s->name[0]) continue;
        int color = s->color >= 0 ? s->color : (int)i;
        set_color(cr, color, 1);
        double x = f->legend_x;
        if (s->style == CHART_BARS) {
            cairo_rectangle(cr, x + 3, y - 5, 14, 10);
            cairo_fill(cr);
        } else {
            if (s->style != CHART_POINTS) {
                cairo_set_line_width(cr, 2);
                if (s->dashed) {
                    double d[] = {5, 3};
                    cairo_set_dash(cr, d, 2, 0);
                }
                cairo_move_to(cr, x, y);
                cairo_line_to(cr, x + 20, y);
                cairo_stroke(cr);
                cairo_set_dash(cr, NULL, 0, 0);
            }
            if (s->style != CHART_LINE) marker(cr, x + 10, y);
        }
        char t[256];
        fit_text(cr, s->name, f->legend_w - 30, t, sizeof t);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_move_to(cr, x + 26, y + 4);
        cairo_show_text(cr, t);
        y += lh;
        k++;
    }
    if (show < total) {
        char t[64];
        snprintf(t, sizeof t, "+%zu more", total - show);
        cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
        cairo_move_to(cr, f->legend_x + 26, y + 4);
        cairo_show_text(cr, t);
    }
}

void chart_draw(const struct chart *c, cairo_t *cr)
{
    struct frame f = {0};
    cairo_save(cr);
    layout(c, cr, &f);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, 0, 0, f.W, f.H);
    cairo_fill(cr);
    draw_axes(c, cr, &f);
    draw_series(c, cr, &f);
    draw_legend(c, cr, &f);
    cairo_restore(cr);
}

static size_t str_size(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

/* Copy s to *p (advancing it); NULL stays NULL. */
static const char *str_put(char **p, const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    memcpy(*p, s, n);
    const char *r = *p;
    *p += n;
    return r;
}

struct chart *chart_dup(const struct chart *c)
{
    size_t size = sizeof *c + c->nseries * sizeof *c->series;
    for (size_t i = 0; i < c->nseries; i++)
        size += 2 * c->series[i].n * sizeof(double);
    size += str_size(c->title) + str_size(c->xlabel) + str_size(c->ylabel);
    for (size_t i = 0; i < c->nseries; i++)
        size += str_size(c->series[i].name);
    struct chart *d = malloc(size);
    if (!d) return NULL;
    *d = *c;
    struct chart_series *ser = (struct chart_series *)(d + 1);
    double *num = (double *)(ser + c->nseries);
    for (size_t i = 0; i < c->nseries; i++) {
        ser[i] = c->series[i];
        size_t n = c->series[i].n;
        if (n) {
            memcpy(num, c->series[i].x, n * sizeof *num);
            memcpy(num + n, c->series[i].y, n * sizeof *num);
        }
        ser[i].x = num;
        ser[i].y = num + n;
        num += 2 * n;
    }
    char *p = (char *)num;
    d->title = str_put(&p, c->title);
    d->xlabel = str_put(&p, c->xlabel);
    d->ylabel = str_put(&p, c->ylabel);
    for (size_t i = 0; i < c->nseries; i++)
        ser[i].name = str_put(&p, c->series[i].name);
    d->series = ser;
    return d;
}

void chart_release(void)
{
    cairo_debug_reset_static_data();
    /* cairo's fonts come from fontconfig, whose configuration outlives
     * cairo's caches */
    FcFini();
}

static cairo_status_t svg_write(void *closure, const unsigned char *data, unsigned int len)
{
    return buf_append(closure, data, len) < 0 ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

/* Draw c onto dst. 0 or -(cairo status). */
static int draw_on(const struct chart *c, cairo_surface_t *dst)
{
    cairo_t *cr = cairo_create(dst);
    chart_draw(c, cr);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    return st == CAIRO_STATUS_SUCCESS ? 0 : -(int)st;
}

int chart_render(const struct chart *c, const char *png_path, struct buf *svg, char *err,
                 size_t errlen)
{
    int W = c->width > 0 ? c->width : CHART_W, H = c->height > 0 ? c->height : CHART_H;
    if (png_path) {
        cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
        int r = draw_on(c, img), rc;
        if (r < 0)
            rc = errbuf_set(err, errlen, "%s: cannot draw: %s", png_path,
                            cairo_status_to_string((cairo_status_t)-r));
        else
            rc = chart_png_write(img, png_path, err, errlen);
        cairo_surface_destroy(img);
        if (rc < 0) return rc;
    }
    if (svg) {
        cairo_surface_t *s = cairo_svg_surface_create_for_stream(svg_write, svg, W, H);
        int r = draw_on(c, s);
        cairo_surface_finish(s);
        cairo_status_t st = r < 0 ? (cairo_status_t)-r : cairo_surface_status(s);
        cairo_surface_destroy(s);
        if (st != CAIRO_STATUS_SUCCESS)
            return errbuf_set(err, errlen, "chart '%s': SVG: %s", c->title ? c->title : "",
                              cairo_status_to_string(st));
    }
    return 0;
}
