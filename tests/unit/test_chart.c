/* Unit tests for chart.c: nice ticks, tick labels, the percentile axis,
 * and rendering to PNG and SVG (series colour really lands on the image). */
#include "cm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/chart.h"
#include "report/chart_png.h"

static void test_ticks(void **state)
{
    double f, s;
    assert_int_equal(chart_ticks(0, 10, 6, &f, &s), 6);
    assert_true(f == 0 && s == 2);
    assert_int_equal(chart_ticks(0.13, 0.91, 8, &f, &s), 4);
    assert_true(fabs(f - 0.2) < 1e-12 && fabs(s - 0.2) < 1e-12);
    assert_int_equal(chart_ticks(980, 51000, 8, &f, &s), 5);
    assert_true(f == 10000 && s == 10000);
    assert_int_equal(chart_ticks(1, 1, 8, &f, &s), 0);
    assert_int_equal(chart_ticks(NAN, 1, 8, &f, &s), 0);
}

static void test_fmt(void **state)
{
    char t[32];
    chart_fmt_tick(0.25, 0.05, t, sizeof t);
    assert_string_equal(t, "0.25");
    chart_fmt_tick(1500, 500, t, sizeof t);
    assert_string_equal(t, "1500");
    chart_fmt_tick(20000, 10000, t, sizeof t);
    assert_string_equal(t, "20k");
    chart_fmt_tick(-1e-17, 0.1, t, sizeof t);
    assert_string_equal(t, "0.0");
}

static void test_pct_pos(void **state)
{
    assert_true(chart_pct_pos(0) == 0);
    assert_true(fabs(chart_pct_pos(90) - 1) < 1e-12);
    assert_true(fabs(chart_pct_pos(99.9) - 3) < 1e-9);
    assert_true(isinf(chart_pct_pos(100)));
}

static void test_render(void **state)
{
    double x[] = {100, 200, 400, 800}, y[] = {10, 12, NAN, 20};
    double px[] = {0, 50, 90, 99, 99.9, 100}, py[] = {1, 2, 3, 5, 9, 12};
    struct chart_series s[] = {
        {"node-0", x, y, 4, CHART_LINE_POINTS, 0, false},
        {"node-1 with a very long name that must be cut to fit the legend column", x, y, 4,
         CHART_POINTS, 1, true},
    };
    struct chart c = {"memory",
                      "actual QPS (requests/s)",
                      "max memory (MiB)",
                      CHART_X_LINEAR,
                      s,
                      2,
                      0,
                      0,
                      true,
                      false,
                      false};
    char png[] = "/tmp/test_chart_XXXXXX";
    int fd = mkstemp(png);
    assert_true(fd >= 0);
    close(fd);
    struct buf svg;
    buf_init(&svg, 1 << 24);
    char err[256] = "";
    assert_int_equal(chart_render(&c, png, &svg, err, sizeof err), 0);
    cairo_surface_t *img = cairo_image_surface_create_from_png(png);
    assert_int_equal(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_image_surface_get_width(img), CHART_W);
    /* the first series' blue (0x1f77b4) must appear */
    unsigned char *d = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img), hits = 0;
    for (int r = 0; r < CHART_H; r++)
        for (int q = 0; q < CHART_W; q++) {
            uint32_t px32 = *(uint32_t *)(d + r * stride + q * 4) & 0xffffff;
            if (px32 == 0x1f77b4) hits++;
        }
    assert_true(hits > 50);
    cairo_surface_destroy(img);
    unlink(png);
    assert_non_null(strstr(svg.data, "<svg"));
    assert_non_null(strstr(svg.data, "</svg>"));

    /* percentile axis, and a chart with no finite data renders too */
    struct chart_series ps = {"p", px, py, 6, CHART_LINE, -1, false};
    struct chart pc = {
        "spectrum", "percentile", "latency (ms)", CHART_X_PERCENTILE, &ps, 1, 600, 300,
        true,       false,        false};
    buf_reset(&svg);
    assert_int_equal(chart_render(&pc, NULL, &svg, err, sizeof err), 0);
    assert_non_null(strstr(svg.data, "width=\"600"));
    double nx[] = {NAN}, ny[] = {INFINITY};
    struct chart_series es = {"e", nx, ny, 1, CHART_BARS, -1, false};
    struct chart ec = {"empty", "x", "y", CHART_X_LINEAR, &es, 1, 0, 0, false, false, false};
    buf_reset(&svg);
    assert_int_equal(chart_render(&ec, NULL, &svg, err, sizeof err), 0);
    assert_int_equal(chart_render(&ec, "/nonexistent-dir/x.png", NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent-dir/x.png"));
    buf_free(&svg);
}

/* The PNG writer round-trips through libpng (cairo's reader) pixel for pixel. */
static void test_png_roundtrip(void **state)
{
    double x[] = {0, 1, 2, 3, 4, 5}, y[] = {3, 1, 4, 1, 5, 9};
    struct chart_series s = {"pi", x, y, 6, CHART_LINE_POINTS, 2, false};
    struct chart c = {"round trip", "x", "y", CHART_X_LINEAR, &s, 1, 333, 211, true, false, false};
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 333, 211);
    cairo_t *cr = cairo_create(img);
    chart_draw(&c, cr);
    cairo_destroy(cr);
    /* a few pixels that repeat at distance 1 and 3 but not as whole pixels */
    unsigned char *d = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    for (int q = 0; q < 40; q++)
        *(uint32_t *)(d + 5 * stride + q * 4) = 0x00010203u * (uint32_t)(q % 5);
    cairo_surface_mark_dirty(img);
    char path[] = "/tmp/test_chart_png_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[256];
    assert_int_equal(chart_png_write(img, path, err, sizeof err), 0);
    cairo_surface_t *back = cairo_image_surface_create_from_png(path);
    unlink(path);
    assert_int_equal(cairo_surface_status(back), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_image_surface_get_width(back), 333);
    assert_int_equal(cairo_image_surface_get_height(back), 211);
    unsigned char *e = cairo_image_surface_get_data(back);
    int bstride = cairo_image_surface_get_stride(back), diff = 0;
    for (int r = 0; r < 211; r++)
        for (int q = 0; q < 333; q++)
            diff += (*(uint32_t *)(d + r * stride + q * 4) & 0xffffff) !=
                    (*(uint32_t *)(e + r * bstride + q * 4) & 0xffffff);
    assert_int_equal(diff, 0);
    cairo_surface_destroy(back);
    cairo_surface_destroy(img);
}

/* Draw c onto a new RGB24 image of its size. */
static cairo_surface_t *draw_image(const struct chart *c)
{
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, c->width, c->height);
    cairo_t *cr = cairo_create(img);
    chart_draw(c, cr);
    assert_int_equal(cairo_status(cr), CAIRO_STATUS_SUCCESS);
    cairo_destroy(cr);
    cairo_surface_flush(img);
    return img;
}

#define NEAR_MAX 48 /* of 255: antialiasing of a 2 px line moved within its column */

/* Compare images a and b (same size, RGB24) channel by channel: *exact
 * counts equal channels, *near those that differ but are within NEAR_MAX
 * of the same channel of a pixel at most one pixel away in the other image
 * (both ways), *far the rest; *worst is the largest such distance; *ink
 * sums 255 - value over b. */
static void compare_near(cairo_surface_t *a, cairo_surface_t *b, long *exact, long *near, long *far,
                         long *ink, int *worst)
{
    int w = cairo_image_surface_get_width(a), h = cairo_image_surface_get_height(a);
    int stride = cairo_image_surface_get_stride(a);
    const unsigned char *img[2] = {cairo_image_surface_get_data(a),
                                   cairo_image_surface_get_data(b)};
    for (int row = 0; row < h; row++)
        for (int col = 0; col < w; col++)
            for (int ch = 0; ch < 3; ch++) {
                size_t at = (size_t)row * (size_t)stride + (size_t)col * 4 + (size_t)ch;
                *ink += 255 - img[1][at];
                if (img[0][at] == img[1][at]) {
                    ++*exact;
                    continue;
                }
                bool ok = true;
                for (int k = 0; k < 2 && ok;
                     k++) { /* a against b's neighbours, then b against a's */
                    int best = 255;
                    for (int dr = -1; dr <= 1; dr++)
                        for (int dc = -1; dc <= 1; dc++) {
                            int r = row + dr, c = col + dc;
                            if (r < 0 || r >= h || c < 0 || c >= w) continue;
                            size_t q = (size_t)r * (size_t)stride + (size_t)c * 4 + (size_t)ch;
                            int d = abs((int)img[k][at] - (int)img[1 - k][q]);
                            best = d < best ? d : best;
                        }
                    ok = best <= NEAR_MAX;
                    *worst = best > *worst ? best : *worst;
                }
                ++*(ok ? near : far);
            }
}

/* Downsampling: a 1 M-point series (noise around a slow wave, a spike, a
 * gap) drawn as it is in the report (downsampled per half-pixel column) and
 * with every point gives the same picture at the drawn resolution. Compared:
 * every pixel's R, G and B; where they differ, the value must be within
 * NEAR_MAX (48/255) of the same channel of a pixel at most one pixel away in the other
 * image (both ways): within antialiasing of a pixel (the points kept move
 * within their pixel column, which shifts the 2 px line's antialiased
 * edge). Also: the downsampled SVG is far smaller. */
static void test_downsample_same_picture(void **state)
{
    size_t n = 1000000;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    uint64_t r = 88172645463325252u; /* xorshift: the same noise every run */
    for (size_t i = 0; i < n; i++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        x[i] = (double)i * 0.01;
        y[i] = 50 + 20 * sin((double)i / 40000.0) + (double)(r % 1000) / 1000.0;
    }
    y[500000] = 140;       /* one spike must survive */
    y[700000] = NAN;       /* a gap breaks the line */
    x[300000] = x[299990]; /* x going back a little */
    struct chart_series s = {"noisy", x, y, n, CHART_LINE, 0, false};
    struct chart c = {"1M points", "t (s)", "v",  CHART_X_LINEAR, &s,   1,
                      900,         480,     true, false,          false};
    cairo_surface_t *a = draw_image(&c);
    c.no_downsample = true;
    cairo_surface_t *b = draw_image(&c);
    long exact = 0, near = 0, far = 0, ink = 0;
    int worst = 0;
    compare_near(a, b, &exact, &near, &far, &ink, &worst);
    printf("# 1M points: %ld pixel channels equal, %ld within %d/255 of a neighbour's (1 px), "
           "%ld not (worst %d); line ink %ld\n",
           exact, near, NEAR_MAX, far, worst, ink);
    assert_true(ink > 0);
    assert_int_equal(far, 0);
    /* the spike's top is drawn: the series' colour near the top of the plot */
    cairo_surface_destroy(a);
    cairo_surface_destroy(b);
    struct buf full, down;
    buf_init(&full, 256u << 20);
    buf_init(&down, 256u << 20);
    char err[256];
    assert_int_equal(chart_render(&c, NULL, &full, err, sizeof err), 0);
    c.no_downsample = false;
    assert_int_equal(chart_render(&c, NULL, &down, err, sizeof err), 0);
    printf("# SVG: %zu bytes with every point, %zu downsampled\n", full.len, down.len);
    assert_true(down.len * 20 < full.len);
    buf_free(&full);
    buf_free(&down);
    free(x);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ticks),         cmocka_unit_test(test_fmt),
        cmocka_unit_test(test_pct_pos),       cmocka_unit_test(test_render),
        cmocka_unit_test(test_png_roundtrip), cmocka_unit_test(test_downsample_same_picture),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    chart_release();
    return rc;
}
