/* report_html.h: the report's index.html: one self-contained page (inline
 * CSS, charts as inline SVG, no script, no URL outside the page except
 * relative links to the PNGs and summary.csv next to it). */
#ifndef MESHPERF_REPORT_HTML_H
#define MESHPERF_REPORT_HTML_H

#include <stddef.h>

#include "base/buf.h"
#include "report/report_model.h"
#include "report/report_fig.h"

/* Write the page for r and its figures to path. 0, or -1 with one line in
 * err naming the file. */
int report_html_write(const struct report *r, const struct report_opts *o,
                      const struct report_figs *figs, const char *path, char *err, size_t errlen);

/* Append svg (a cairo SVG document) to out as an element fit to inline in
 * HTML: the XML prolog and namespace declarations dropped, the size given
 * in pixels, and every id (and reference to one) prefixed with "f<n>-" so
 * that several charts on one page do not share glyph or clip ids.
 * 0, or a negative buf_append error. */
int report_html_inline_svg(const char *svg, size_t len, unsigned n, struct buf *out);

#endif
