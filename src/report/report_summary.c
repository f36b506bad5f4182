/* report_summary.c: the per-run table (see report_summary.h). */
#include "report/report_summary.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/degraded.h"
#include "base/errbuf.h"

static const char *const fixed[] = {"source",     "test",     "ts",     "requested_qps",
                                    "actual_qps", "requests", "p50_ms", "p90_ms",
                                    "p99_ms",     "p99_9_ms", "errors"};
#define NFIXED (sizeof fixed / sizeof fixed[0])

/* The columns after the per-node ones. */
static const char *const tail[] = {"status", "reason"};
#define NTAIL (sizeof tail / sizeof tail[0])

/* After those, with modes only (report_compare.h, docs/REPORT.md). */
static const char *const over_cols[] = {
    "mode",
    "sidecar_traversals",
    "proxied_rps",
    "app_cpu_cores",
    "sidecar_cpu_cores",
    "app_mem_mib",
    "sidecar_mem_mib",
    "sidecar_vcpu_per_1k_rps",
    "sidecar_mib_per_1k_rps",
    "added_p50_ms",
    "added_p90_ms",
    "added_p99_ms",
    "added_p99_9_ms",
    "added_p50_ms_per_hop",
    "added_p90_ms_per_hop",
    "added_p99_ms_per_hop",
    "added_p99_9_ms_per_hop",
};
#define NOVER (sizeof over_cols / sizeof over_cols[0])

size_t report_summary_ncols(const struct report *r)
{
    return NFIXED + 2 * r->nnodes + NTAIL + (r->has_modes ? NOVER : 0);
}

const char *report_summary_colname(const struct report *r, size_t col, char *out, size_t outlen)
{
    if (col < NFIXED)
        snprintf(out, outlen, "%s", fixed[col]);
    else if (col < NFIXED + r->nnodes)
        snprintf(out, outlen, "mem_max_mib_%s", r->nodes[col - NFIXED]);
    else if (col < NFIXED + 2 * r->nnodes)
        snprintf(out, outlen, "cpu_cores_%s", r->nodes[col - NFIXED - r->nnodes]);
    else if (col < NFIXED + 2 * r->nnodes + NTAIL)
        snprintf(out, outlen, "%s", tail[col - NFIXED - 2 * r->nnodes]);
    else
        snprintf(out, outlen, "%s", over_cols[(col - NFIXED - 2 * r->nnodes - NTAIL) % NOVER]);
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

/* The run's status (see report_summary.h); its reason into why. */
static const char *summary_status(const struct report_run *u, char *why, size_t whylen)
{
    why[0] = '\0';
    if (!u->has_fortio) {
        snprintf(why, whylen, "no fortio.json");
        return "failed";
    }
    if (u->stopped) return "interrupted";
    const char *rq = u->requested_qps;
    char *end = NULL;
    double asked = rq ? strtod(rq, &end) : 0;
    if (!rq || end == rq || *end || !isfinite(asked)) asked = 0; /* "max", or unknown */
    struct degraded_in in = {
        .qps_asked = asked,
        .qps_actual = u->actual_qps,
        .requests = isfinite(u->count) && u->count > 0 ? (uint64_t)u->count : 0,
        .late_far = isfinite(u->late_far) && u->late_far > 0 ? (uint64_t)u->late_far : 0,
        .unsent = isfinite(u->unsent) && u->unsent > 0 ? (uint64_t)u->unsent : 0,
    };
    bool bad = degraded_check(&in, DEGRADED_TOLERANCE_DEFAULT, why, whylen);
    if (u->nmetrics == 0) {
        size_t n = strlen(why);
        snprintf(why + n, whylen - n, "%sno metric CSV", n ? "; " : "");
        bad = true;
    }
    return bad ? "degraded" : "ok";
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
    if (col < NFIXED + 2 * r->nnodes + NTAIL) {
        char why[256];
        const char *status = summary_status(u, why, sizeof why);
        snprintf(out, outlen, "%s", col == NFIXED + 2 * r->nnodes ? status : why);
        return out;
    }
    size_t oc = col - NFIXED - 2 * r->nnodes - NTAIL;
    if (r->has_modes && r->over && oc < NOVER) {
        const struct report_overhead *o = &r->over[run];
        const double v[NOVER] = {NAN,
                                 o->traversals,
                                 o->proxied_rps,
                                 o->app_cpu,
                                 o->sidecar_cpu,
                                 o->app_mib,
                                 o->sidecar_mib,
                                 o->vcpu_per_1k,
                                 o->mib_per_1k,
                                 o->added_ms[0],
                                 o->added_ms[1],
                                 o->added_ms[2],
                                 o->added_ms[3],
                                 o->hop_ms[0],
                                 o->hop_ms[1],
                                 o->hop_ms[2],
                                 o->hop_ms[3]};
        if (oc == 0) {
            snprintf(out, outlen, "%s", u->mode ? u->mode : "");
            return out;
        }
        return num(v[oc], out, outlen);
    }
    out[0] = '\0';
    return out;
}

/* A cell a spreadsheet would run as a formula: starts with = + - @, tab
 * or CR, and is not a signed number ("-1.5" stays as it is). */
static bool formula_like(const char *s)
{
    if (!s[0] || !strchr("=+-@\t\r", s[0])) return false;
    if (s[0] != '-' && s[0] != '+') return true;
    char *end;
    strtod(s, &end);
    return end == s || *end != '\0';
}

static void put_cell(FILE *f, const char *s)
{
    bool formula = formula_like(s);
    if (!formula && !strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    if (formula) fputc('\'', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static const char *const mode_cols[] = {
    "source",
    "mode",
    "sidecar",
    "runs",
    "sidecar_traversals",
    "sidecar_vcpu_per_1k_rps",
    "sidecar_mib_per_1k_rps",
    "added_p50_ms",
    "added_p90_ms",
    "added_p99_ms",
    "added_p99_9_ms",
    "added_p50_ms_per_hop",
    "added_p90_ms_per_hop",
    "added_p99_ms_per_hop",
    "added_p99_9_ms_per_hop",
    "at_1000_rps",
};
#define NMODE (sizeof mode_cols / sizeof mode_cols[0])

size_t report_summary_mode_ncols(void)
{
    return NMODE;
}

const char *report_summary_mode_colname(size_t col, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", col < NMODE ? mode_cols[col] : "");
    return out;
}

const char *report_summary_mode_cell(const struct report *r, size_t row, size_t col, char *out,
                                     size_t outlen)
{
    const struct report_mode_row *m = &r->modes[row];
    out[0] = '\0';
    switch (col) {
    case 0:
        snprintf(out, outlen, "%s", m->source ? m->source : "");
        return out;
    case 1:
        snprintf(out, outlen, "%s", m->mode);
        return out;
    case 2:
        snprintf(out, outlen, "%s", m->sidecar ? m->sidecar : "");
        return out;
    case 3:
        snprintf(out, outlen, "%zu", m->nruns);
        return out;
    case 4:
        return num(m->traversals, out, outlen);
    case 5:
        return num(m->vcpu_per_1k, out, outlen);
    case 6:
        return num(m->mib_per_1k, out, outlen);
    case 15:
        snprintf(out, outlen, "%s", m->how);
        return out;
    default:
        if (col >= 7 && col < 11) return num(m->added_ms[col - 7], out, outlen);
        if (col >= 11 && col < 15) return num(m->hop_ms[col - 11], out, outlen);
        return out;
    }
}

/* One CSV file: a header row of ncols names, then nrows rows of cells,
 * each cell quoted as put_cell does. 0, or -1 with err naming path. */
typedef const char *cell_fn(const struct report *r, size_t row, size_t col, char *out,
                            size_t outlen);
typedef const char *name_fn(const struct report *r, size_t col, char *out, size_t outlen);

static int write_table(const struct report *r, const char *path, size_t ncols, size_t nrows,
                       name_fn *name, cell_fn *cell, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) return errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
    char buf[1024];
    for (size_t c = 0; c < ncols; c++) {
        if (c) fputc(',', f);
        put_cell(f, name(r, c, buf, sizeof buf));
    }
    fputc('\n', f);
    for (size_t i = 0; i < nrows; i++) {
        for (size_t c = 0; c < ncols; c++) {
            if (c) fputc(',', f);
            put_cell(f, cell(r, i, c, buf, sizeof buf));
        }
        fputc('\n', f);
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) return errbuf_set(err, errlen, "%s: write failed", path);
    return 0;
}

static const char *mode_colname(const struct report *r, size_t col, char *out, size_t outlen)
{
    (void)r;
    return report_summary_mode_colname(col, out, outlen);
}

int report_summary_write_modes(const struct report *r, const char *path, char *err, size_t errlen)
{
    return write_table(r, path, NMODE, r->nmodes, mode_colname, report_summary_mode_cell, err,
                       errlen);
}

int report_summary_write(const struct report *r, const char *path, char *err, size_t errlen)
{
    return write_table(r, path, report_summary_ncols(r), r->nruns, report_summary_colname,
                       report_summary_cell, err, errlen);
}
