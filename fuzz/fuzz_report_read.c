/* libFuzzer target for the report's readers: the input is parsed both as a
 * metric CSV (report_read_csv) and as fortio.json (report_read_fortio);
 * neither may crash, leak or read out of bounds, and every failure must
 * leave a message. Seeds: fuzz/corpus/report_read/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_read.h"

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
    report_read_metric_free(&m);
    struct report_run run = {0};
    err[0] = '\0';
    if (report_read_fortio(text, size, &run, err, sizeof err) < 0 && !err[0]) abort();
    (void)report_run_percentile(&run, 99.9);
    report_run_free(&run);
    free(text);
    return 0;
}
