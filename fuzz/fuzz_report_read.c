/* libFuzzer target for the report's readers: the input is parsed both as a
 * metric CSV (report_read_csv) and as fortio.json (report_read_fortio);
 * neither may crash, leak or read out of bounds, and every failure must
 * leave a message. The parsed metric also goes through the time-series
 * preparation (report_ts: groups by path, legends, rates) as the charts
 * use it. Seeds: fuzz/corpus/report_read/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "report/report_read.h"
#include "report/report_ts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy so that any over-read is caught by ASan */
    char *text = malloc(size ? size : 1);
    if (!text) return 0;
    if (size) memcpy(text, data, size);
    char err[512];
    struct report_metric m = {0};
    err[0] = '\0';
    if (report_read_csv(text, size, "v", &m, err, sizeof err) < 0 && !err[0]) abort();
    for (size_t i = 0; i < m.ns; i++)
        if (m.s[i].n > m.s[i].cap) abort();
    struct report_ts_group *g;
    int ng = report_ts_groups(&m, &g);
    for (int k = 0; k < ng; k++) {
        if (!g[k].n) abort();
        for (size_t i = 0; i < g[k].n; i++) {
            char leg[64];
            report_ts_legend(&m, &g[k], i, leg, sizeof leg);
            const struct report_series *s = &m.s[g[k].idx[i]];
            double *out = malloc((s->n ? s->n : 1) * sizeof *out);
            if (out) report_ts_rate(s->ts, s->nts, s->v, s->n, out);
            free(out);
        }
    }
    report_ts_groups_free(g, ng > 0 ? (size_t)ng : 0);
    report_read_metric_free(&m);
    struct report_run run = {0};
    err[0] = '\0';
    if (report_read_fortio(text, size, &run, err, sizeof err) < 0 && !err[0]) abort();
    (void)report_run_percentile(&run, 99.9);
    report_run_free(&run);
    free(text);
    return 0;
}
