/* report_html.c: write index.html (see report_html.h).
 *
 * The page is built in one capped buffer and written at once: a header
 * naming the sources, the warnings, the summary table (the same cells as
 * summary.csv, from report_summary.c), then the figures grouped as across
 * runs / comparison / per run. With modes, a "Mesh overhead" section
 * follows the summary: the modes' headline table (the cells of
 * compare.csv), the latency percentiles of each test side by side per mode
 * with what each adds to the baseline, and the overhead charts. Every text
 * from the results is escaped. */
#include "report/report_html.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/errbuf.h"
#include "report/report_summary.h"

#define HTML_MAX (1u << 30)

static const char css[] =
    "body{font-family:\"DejaVu Sans\",sans-serif;margin:24px;color:#222;background:#fff;"
    "max-width:1400px}"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid "
    "#ccc;padding-bottom:4px}h3{font-size:15px;margin:20px 0 6px}"
    ".meta{color:#555;font-size:13px}"
    ".scroll{overflow-x:auto;max-height:480px;overflow-y:auto;border:1px solid #ddd}"
    "table{border-collapse:collapse;font-size:12px}"
    "th,td{border:1px solid #ddd;padding:3px 6px;text-align:right;white-space:nowrap}"
    "th{background:#f2f2f2;position:sticky;top:0}"
    "td.t{text-align:left}"
    ".figs{display:flex;flex-wrap:wrap;gap:16px}"
    "figure{margin:0;border:1px solid #e3e3e3;padding:6px;background:#fff}"
    "figure svg{display:block;max-width:100%;height:auto}"
    "figcaption{font-size:12px;color:#555;margin-top:4px}"
    ".warn{color:#8a4b00;font-size:13px}";

static void esc(struct buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '"':
            buf_puts(b, "&quot;");
            break;
        case '\'':
            buf_puts(b, "&#39;");
            break;
        default:
            buf_append(b, s, 1);
        }
    }
}

static bool starts(const char *p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(end - p) >= n && !memcmp(p, lit, n);
}

int report_html_inline_svg(const char *svg, size_t len, unsigned n, struct buf *out)
{
    const char *p = svg, *end = svg + len;
    const char *tag = memmem(svg, len, "<svg", 4);
    if (!tag) return 0;
    const char *tag_end = memchr(tag, '>', (size_t)(end - tag));
    if (!tag_end) return 0;
    /* the opening tag: keep viewBox and version; fix the size in pixels */
    const char *vb = memmem(tag, (size_t)(tag_end - tag), "viewBox=\"", 9);
    int rc = 0;
    if (vb) {
        double x, y, w, h;
        if (sscanf(vb + 9, "%lf %lf %lf %lf", &x, &y, &w, &h) == 4)
            rc = buf_printf(out, "<svg width=\"%.0f\" height=\"%.0f\" viewBox=\"%g %g %g %g\">", w,
                            h, x, y, w, h);
        else
            rc = buf_puts(out, "<svg>");
    } else {
        rc = buf_puts(out, "<svg>");
    }
    if (rc < 0) return rc;
    p = tag_end + 1;
    char pre[32];
    int pl = snprintf(pre, sizeof pre, "f%u-", n);
    const char *run = p;
    while (p < end) {
        const char *lit = NULL;
        if (*p == 'i' && starts(p, end, "id=\""))
            lit = "id=\"";
        else if (*p == 'h' && starts(p, end, "href=\"#"))
            lit = "href=\"#";
        else if (*p == 'u' && starts(p, end, "url(#"))
            lit = "url(#";
        if (!lit) {
            p++;
            continue;
        }
        size_t ll = strlen(lit);
        if ((rc = buf_append(out, run, (size_t)(p - run) + ll)) < 0) return rc;
        if ((rc = buf_append(out, pre, (size_t)pl)) < 0) return rc;
        p += ll;
        run = p;
    }
    return buf_append(out, run, (size_t)(end - run));
}

static void figure(struct buf *b, const struct report_fig *f, unsigned n)
{
    buf_puts(b, "<figure>");
    report_html_inline_svg(f->svg.data ? f->svg.data : "", f->svg.len, n, b);
    buf_puts(b, "<figcaption>");
    esc(b, f->title);
    buf_puts(b, " &middot; <a href=\"");
    esc(b, f->png);
    buf_puts(b, "\">PNG</a></figcaption></figure>\n");
}

static void table(struct buf *b, const struct report *r)
{
    char cell[1024];
    size_t nc = report_summary_ncols(r);
    buf_puts(b, "<div class=\"scroll\"><table>\n<thead><tr>");
    for (size_t c = 0; c < nc; c++) {
        buf_puts(b, "<th>");
        esc(b, report_summary_colname(r, c, cell, sizeof cell));
        buf_puts(b, "</th>");
    }
    buf_puts(b, "</tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < r->nruns; i++) {
        buf_puts(b, "<tr>");
        for (size_t c = 0; c < nc; c++) {
            buf_puts(b, c < 3 ? "<td class=\"t\">" : "<td>");
            esc(b, report_summary_cell(r, i, c, cell, sizeof cell));
            buf_puts(b, "</td>");
        }
        buf_puts(b, "</tr>\n");
    }
    buf_puts(b, "</tbody></table></div>\n");
}

/* The modes' headline table (compare.csv's cells). */
static void mode_table(struct buf *b, const struct report *r)
{
    char cell[1024];
    size_t nc = report_summary_mode_ncols();
    buf_puts(b, "<div class=\"scroll\"><table id=\"overhead-table\">\n<thead><tr>");
    for (size_t c = 0; c < nc; c++) {
        buf_puts(b, "<th>");
        esc(b, report_summary_mode_colname(c, cell, sizeof cell));
        buf_puts(b, "</th>");
    }
    buf_puts(b, "</tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < r->nmodes; i++) {
        buf_puts(b, "<tr>");
        for (size_t c = 0; c < nc; c++) {
            buf_puts(b, c < 3 || c == nc - 1 ? "<td class=\"t\">" : "<td>");
            esc(b, report_summary_mode_cell(r, i, c, cell, sizeof cell));
            buf_puts(b, "</td>");
        }
        buf_puts(b, "</tr>\n");
    }
    buf_puts(b, "</tbody></table></div>\n");
}

static void num_cell(struct buf *b, double v, const char *sign)
{
    if (isnan(v))
        buf_puts(b, "<td></td>");
    else
        buf_printf(b, "<td>%s%.4g</td>", v > 0 ? sign : "", v);
}

/* Latency of each (family, test) side by side per mode, and what each
 * mode adds to the baseline. */
static void latency_by_mode(struct buf *b, const struct report *r)
{
    static const char *const order[] = {"baseline", "both", "serveronly", "clientonly"};
    static const char *const pn[] = {"p50", "p90", "p99", "p99.9"};
    bool present[4] = {false};
    for (size_t i = 0; i < r->nruns; i++)
        for (int m = 0; m < 4; m++)
            present[m] |= r->runs[i].mode && !strcmp(r->runs[i].mode, order[m]);
    buf_puts(b, "<div class=\"scroll\"><table id=\"latency-by-mode\">\n<thead><tr>"
                "<th>test</th>");
    for (int m = 0; m < 4; m++)
        for (int k = 0; present[m] && k < 4; k++)
            buf_printf(b, "<th>%s %s ms</th>", order[m], pn[k]);
    for (int m = 1; m < 4; m++)
        for (int k = 0; present[m] && present[0] && k < 4; k++)
            buf_printf(b, "<th>%s adds %s ms</th>", order[m], pn[k]);
    buf_puts(b, "</tr></thead>\n<tbody>\n");
    /* one row per (family, test): the first run of each pair seen */
    for (size_t i = 0; i < r->nruns; i++) {
        const struct report_run *u = &r->runs[i];
        if (!u->mode) continue;
        bool first = true;
        for (size_t k = 0; k < i && first; k++)
            first = !(r->runs[k].mode && r->runs[k].family == u->family &&
                      !strcmp(r->runs[k].test, u->test));
        if (!first) continue;
        long pick[4] = {-1, -1, -1, -1}; /* the last run of each mode */
        for (size_t k = i; k < r->nruns; k++) {
            const struct report_run *w = &r->runs[k];
            if (!w->mode || w->family != u->family || strcmp(w->test, u->test)) continue;
            for (int m = 0; m < 4; m++)
                if (!strcmp(w->mode, order[m])) pick[m] = (long)k;
        }
        buf_puts(b, "<tr><td class=\"t\">");
        if (u->family >= 0 && r->nsources > 1) {
            esc(b, r->sources[u->family].label);
            buf_puts(b, " ");
        }
        esc(b, u->test);
        buf_puts(b, "</td>");
        for (int m = 0; m < 4; m++)
            for (int k = 0; present[m] && k < 4; k++)
                num_cell(b, pick[m] >= 0 ? r->stats[pick[m]].pct_ms[k] : NAN, "");
        for (int m = 1; m < 4; m++)
            for (int k = 0; present[m] && present[0] && k < 4; k++)
                num_cell(b, pick[m] >= 0 ? r->over[pick[m]].added_ms[k] : NAN, "+");
        buf_puts(b, "</tr>\n");
    }
    buf_puts(b, "</tbody></table></div>\n");
}

static void overhead_section(struct buf *b, const struct report *r, const struct report_figs *figs)
{
    buf_puts(b, "<h2 id=\"overhead\">Mesh overhead</h2>\n<p class=\"meta\">Per mode other than "
                "baseline, at 1000 requests/s of actual QPS (interpolated between the runs "
                "around it, else the nearest run: the last column says which), also in "
                "<a href=\"compare.csv\">compare.csv</a>. sidecar_traversals = sidecar "
                "proxies a load request passes (counted from config.json's graph: in mode both, "
                "every node's inbound sidecar once per request it serves, and the caller's "
                "egress sidecar once per backend call); sidecar vCPU and MiB per 1000 rps = the "
                "sidecars' total CPU cores and memory / (actual QPS &times; traversals / 1000); "
                "added = the percentile minus the baseline run's of the same test; per hop = "
                "added / traversals, on a chain only. docs/REPORT.md defines each.</p>\n");
    mode_table(b, r);
    buf_puts(b, "<h3 id=\"latency-modes\">Latency by test and mode</h3>\n");
    latency_by_mode(b, r);
    buf_puts(b, "<div class=\"figs\" id=\"overhead-charts\">\n");
    for (size_t i = 0; i < figs->n; i++)
        if (figs->v[i].group == REPORT_FIG_OVERHEAD) figure(b, &figs->v[i], (unsigned)i);
    buf_puts(b, "</div>\n");
}

int report_html_write(const struct report *r, const struct report_opts *o,
                      const struct report_figs *figs, const char *path, char *err, size_t errlen)
{
    struct buf b;
    buf_init(&b, HTML_MAX);
    buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                 "<title>meshperf report</title>\n<style>");
    buf_puts(&b, css);
    buf_puts(&b, "</style></head>\n<body>\n<h1>meshperf report</h1>\n<p class=\"meta\">");
    buf_printf(&b, "%zu run%s from ", r->nruns, r->nruns == 1 ? "" : "s");
    for (size_t i = 0; i < r->nsources; i++) {
        if (i) buf_puts(&b, ", ");
        buf_puts(&b, "<b>");
        esc(&b, r->sources[i].label);
        buf_puts(&b, "</b>");
        if (strcmp(r->sources[i].label, r->sources[i].path)) {
            buf_puts(&b, " (");
            esc(&b, r->sources[i].path);
            buf_puts(&b, ")");
        }
    }
    buf_puts(&b, ". Memory from ");
    esc(&b, r->mem_name ? r->mem_name : "(no memory metric)");
    buf_puts(&b, ", CPU from ");
    esc(&b, r->cpu_name ? r->cpu_name : "(no CPU metric)");
    buf_puts(&b, ".</p>\n");

    size_t nwarn = 0;
    for (size_t i = 0; i < r->nruns; i++)
        nwarn += r->runs[i].warn != NULL;
    if (nwarn) {
        buf_printf(&b, "<h2 id=\"warnings\">Warnings (%zu run%s)</h2>\n<ul class=\"warn\">\n",
                   nwarn, nwarn == 1 ? "" : "s");
        for (size_t i = 0; i < r->nruns; i++) {
            if (!r->runs[i].warn) continue;
            buf_puts(&b, "<li>");
            esc(&b, r->runs[i].test);
            buf_puts(&b, "/");
            esc(&b, r->runs[i].ts);
            buf_puts(&b, ": ");
            esc(&b, r->runs[i].warn);
            buf_puts(&b, "</li>\n");
        }
        buf_puts(&b, "</ul>\n");
    }

    buf_puts(&b, "<h2 id=\"summary\">Summary</h2>\n<p class=\"meta\">One row per run, also in "
                 "<a href=\"summary.csv\">summary.csv</a>. Latencies in ms (from the "
                 "Percentiles of fortio.json, else interpolated in its histogram); errors = "
                 "responses with a non-2xx code or a socket error; mem_max_mib = the node's "
                 "highest memory during the run (MiB); cpu_cores = the node's mean CPU use "
                 "(cores).</p>\n");
    table(&b, r);
    if (r->has_modes) overhead_section(&b, r, figs);

    buf_puts(&b, "<h2 id=\"across\">Across runs</h2>\n<div class=\"figs\">\n");
    for (size_t i = 0; i < figs->n; i++)
        if (figs->v[i].group == REPORT_FIG_ACROSS) figure(&b, &figs->v[i], (unsigned)i);
    buf_puts(&b, "</div>\n");
    if (r->nsources > 1) {
        buf_puts(&b, "<h2 id=\"compare\">Comparison</h2>\n<div class=\"figs\">\n");
        for (size_t i = 0; i < figs->n; i++)
            if (figs->v[i].group == REPORT_FIG_COMPARE) figure(&b, &figs->v[i], (unsigned)i);
        buf_puts(&b, "</div>\n");
    }
    buf_puts(&b, "<h2 id=\"runs\">Per run</h2>\n");
    if (figs->runs_charted < r->nruns)
        buf_printf(&b,
                   "<p class=\"meta\">Charts for the first %zu of %zu runs (flag -run-charts "
                   "sets how many).</p>\n",
                   figs->runs_charted, r->nruns);
    for (size_t ri = 0; ri < figs->runs_charted; ri++) {
        buf_printf(&b, "<h3 id=\"run-%zu\">", ri);
        esc(&b, r->runs[ri].test);
        buf_puts(&b, " / ");
        esc(&b, r->runs[ri].ts);
        if (r->nsources > 1) {
            buf_puts(&b, " (");
            esc(&b, r->sources[r->runs[ri].source].label);
            buf_puts(&b, ")");
        }
        if (r->runs[ri].mode) {
            buf_puts(&b, " (mode ");
            esc(&b, r->runs[ri].mode);
            buf_puts(&b, ")");
        }
        buf_puts(&b, "</h3>\n<div class=\"figs\">\n");
        size_t k = 0;
        for (size_t i = 0; i < figs->n; i++)
            if (figs->v[i].group == REPORT_FIG_RUN && figs->v[i].run == (long)ri) {
                figure(&b, &figs->v[i], (unsigned)i);
                k++;
            }
        if (!k) buf_puts(&b, "<p class=\"meta\">No fortio.json and no metric data.</p>\n");
        buf_puts(&b, "</div>\n");
    }
    (void)o;
    int rc = buf_puts(&b, "<p class=\"meta\">Made by meshperf report. This page needs no "
                          "network and no script.</p>\n</body></html>\n");
    if (rc < 0) {
        buf_free(&b);
        return errbuf_set(err, errlen, "%s: page too large", path);
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        buf_free(&b);
        return errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
    }
    size_t w = fwrite(b.data, 1, b.len, f);
    int bad = w != b.len || ferror(f);
    bad |= fclose(f) != 0;
    buf_free(&b);
    if (bad) return errbuf_set(err, errlen, "%s: write failed", path);
    return 0;
}
