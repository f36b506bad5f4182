/* report_summary.c: the per-run table (see report_summary.h). */
#include "report/report_summary.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/errbuf.h"

static const char *const fixed[] = {"source",     "test",     "ts",     "requested_qps",
                                    "actual_qps", "requests", "p50_ms", "p90_ms",
                                    "p99_ms",     "p99_9_ms", "errors"};
#define NFIXED (sizeof fixed / sizeof fixed[0])

size_t report_summary_ncols(const struct report *r)
{
    return NFIXED + 2 * r->nnodes;
}

const char *report_summary_colname(const struct report *r, size_t col, char *out, size_t outlen)
{
    if (col < NFIXED)
        snprintf(out, outlen, "%s", fixed[col]);
    else if (col < NFIXED + r->nnodes)
        snprintf(out, outlen, "mem_max_mib_%s", r->nodes[col - NFIXED]);
    else
        snprintf(out, outlen, "cpu_cores_%s", r->nodes[col - NFIXED - r->nnodes]);
    return out;
}

static const char *num(double v, char *out, size_t outlen)
{
    if (isnan(v))
        out[0] = '\0';
    else
        snprintf(out, outlen, "%.10g", v);
    return out;
}

const char *report_summary_cell(const struct report *r, size_t run, size_t col, char *out,
                                size_t outlen)
{
    const struct report_run *u = &r->runs[run];
    const struct report_stats *st = &r->stats[run];
    switch (col) {
    case 0:
        snprintf(out, outlen, "%s", r->sources[u->source].label);
        return out;
    case 1:
        snprintf(out, outlen, "%s", u->test);
        return out;
    case 2:
        snprintf(out, outlen, "%s", u->ts);
        return out;
    case 3:
        snprintf(out, outlen, "%s", u->requested_qps ? u->requested_qps : "");
        return out;
    case 4:
        return num(u->actual_qps, out, outlen);
    case 5:
        return num(u->count, out, outlen);
    case 6:
    case 7:
    case 8:
    case 9:
        return num(st->pct_ms[col - 6], out, outlen);
    case 10:
        return num(u->errors, out, outlen);
    default:
        break;
    }
    if (col < NFIXED + r->nnodes) return num(st->mem_mib[col - NFIXED], out, outlen);
    if (col < NFIXED + 2 * r->nnodes) return num(st->cpu[col - NFIXED - r->nnodes], out, outlen);
    out[0] = '\0';
    return out;
}

static void put_cell(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int report_summary_write(const struct report *r, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) return errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
    char cell[1024];
    size_t nc = report_summary_ncols(r);
    for (size_t c = 0; c < nc; c++) {
        if (c) fputc(',', f);
        put_cell(f, report_summary_colname(r, c, cell, sizeof cell));
    }
    fputc('\n', f);
    for (size_t i = 0; i < r->nruns; i++) {
        for (size_t c = 0; c < nc; c++) {
            if (c) fputc(',', f);
            put_cell(f, report_summary_cell(r, i, c, cell, sizeof cell));
        }
        fputc('\n', f);
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) return errbuf_set(err, errlen, "%s: write failed", path);
    return 0;
}
