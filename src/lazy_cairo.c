/* lazy_cairo.c: the cairo functions meshperf calls, loaded on first use
 * (see lazy.h). libcairo.so.2 (with pixman, fontconfig, freetype, png, ...)
 * is dlopen()ed the first time one of them is called and never unloaded.
 *
 * To add a function: add one line to LAZY_CAIRO_FUNCTIONS with the prototype
 * from <cairo.h> / <cairo-svg.h>; the compiler rejects a wrong one.
 * Destructors and cairo_debug_reset_static_data are LAZY_CLEANUP: they do
 * nothing if cairo was never loaded. */
#include <cairo-svg.h>
#include <cairo.h>

#include "lazy.h"

static struct lazy_lib lazy_cairo_lib = LAZY_LIB_INIT("libcairo.so.2", "libcairo2", NULL);
#define LAZY_LIB lazy_cairo_lib

/* clang-format off */
#define LAZY_CAIRO_FUNCTIONS(LAZY_FN, LAZY_VOID, LAZY_CLEANUP) \
    /* surfaces */ \
    LAZY_FN(cairo_surface_t *, cairo_image_surface_create, \
            (cairo_format_t format, int width, int height), (format, width, height)) \
    LAZY_FN(cairo_surface_t *, cairo_image_surface_create_from_png, (const char *filename), \
            (filename)) \
    LAZY_FN(cairo_surface_t *, cairo_svg_surface_create_for_stream, \
            (cairo_write_func_t write_func, void *closure, double width_in_points, \
             double height_in_points), \
            (write_func, closure, width_in_points, height_in_points)) \
    LAZY_FN(unsigned char *, cairo_image_surface_get_data, (cairo_surface_t *surface), (surface)) \
    LAZY_FN(cairo_format_t, cairo_image_surface_get_format, (cairo_surface_t *surface), (surface)) \
    LAZY_FN(int, cairo_image_surface_get_width, (cairo_surface_t *surface), (surface)) \
    LAZY_FN(int, cairo_image_surface_get_height, (cairo_surface_t *surface), (surface)) \
    LAZY_FN(int, cairo_image_surface_get_stride, (cairo_surface_t *surface), (surface)) \
    LAZY_FN(cairo_status_t, cairo_surface_status, (cairo_surface_t *surface), (surface)) \
    LAZY_VOID(cairo_surface_flush, (cairo_surface_t *surface), (surface)) \
    LAZY_VOID(cairo_surface_mark_dirty, (cairo_surface_t *surface), (surface)) \
    LAZY_VOID(cairo_surface_finish, (cairo_surface_t *surface), (surface)) \
    LAZY_CLEANUP(cairo_surface_destroy, (cairo_surface_t *surface), (surface)) \
    /* contexts */ \
    LAZY_FN(cairo_t *, cairo_create, (cairo_surface_t *target), (target)) \
    LAZY_CLEANUP(cairo_destroy, (cairo_t *cr), (cr)) \
    LAZY_FN(cairo_status_t, cairo_status, (cairo_t *cr), (cr)) \
    LAZY_FN(const char *, cairo_status_to_string, (cairo_status_t status), (status)) \
    LAZY_VOID(cairo_save, (cairo_t *cr), (cr)) \
    LAZY_VOID(cairo_restore, (cairo_t *cr), (cr)) \
    /* drawing */ \
    LAZY_VOID(cairo_set_source_rgb, (cairo_t *cr, double red, double green, double blue), \
              (cr, red, green, blue)) \
    LAZY_VOID(cairo_set_source_rgba, \
              (cairo_t *cr, double red, double green, double blue, double alpha), \
              (cr, red, green, blue, alpha)) \
    LAZY_VOID(cairo_set_line_width, (cairo_t *cr, double width), (cr, width)) \
    LAZY_VOID(cairo_set_line_join, (cairo_t *cr, cairo_line_join_t line_join), (cr, line_join)) \
    LAZY_VOID(cairo_set_dash, \
              (cairo_t *cr, const double *dashes, int num_dashes, double offset), \
              (cr, dashes, num_dashes, offset)) \
    LAZY_VOID(cairo_move_to, (cairo_t *cr, double x, double y), (cr, x, y)) \
    LAZY_VOID(cairo_line_to, (cairo_t *cr, double x, double y), (cr, x, y)) \
    LAZY_VOID(cairo_new_sub_path, (cairo_t *cr), (cr)) \
    LAZY_VOID(cairo_arc, \
              (cairo_t *cr, double xc, double yc, double radius, double angle1, double angle2), \
              (cr, xc, yc, radius, angle1, angle2)) \
    LAZY_VOID(cairo_rectangle, (cairo_t *cr, double x, double y, double width, double height), \
              (cr, x, y, width, height)) \
    LAZY_VOID(cairo_rotate, (cairo_t *cr, double angle), (cr, angle)) \
    LAZY_VOID(cairo_clip, (cairo_t *cr), (cr)) \
    LAZY_VOID(cairo_fill, (cairo_t *cr), (cr)) \
    LAZY_VOID(cairo_stroke, (cairo_t *cr), (cr)) \
    /* text */ \
    LAZY_VOID(cairo_select_font_face, \
              (cairo_t *cr, const char *family, cairo_font_slant_t slant, \
               cairo_font_weight_t weight), \
              (cr, family, slant, weight)) \
    LAZY_VOID(cairo_set_font_size, (cairo_t *cr, double size), (cr, size)) \
    LAZY_VOID(cairo_show_text, (cairo_t *cr, const char *utf8), (cr, utf8)) \
    LAZY_VOID(cairo_text_extents, (cairo_t *cr, const char *utf8, cairo_text_extents_t *extents), \
              (cr, utf8, extents)) \
    /* process-wide */ \
    LAZY_CLEANUP(cairo_debug_reset_static_data, (void), ())
/* clang-format on */

LAZY_CAIRO_FUNCTIONS(LAZY_DEFINE_FN, LAZY_DEFINE_VOID, LAZY_DEFINE_CLEANUP)

int lazy_cairo_check(char *err, size_t errlen)
{
    static const char *const names[] = {
        LAZY_CAIRO_FUNCTIONS(LAZY_NAME_FN, LAZY_NAME_VOID, LAZY_NAME_VOID) NULL};
    return lazy_check_names(&LAZY_LIB, names, err, errlen);
}

bool lazy_cairo_loaded(void)
{
    return lazy_loaded(&LAZY_LIB);
}

void *lazy_cairo_sym(const char *name)
{
    return lazy_sym_if_loaded(&LAZY_LIB, name);
}
