/* fuzz_prom_matrix: libFuzzer target for the Prometheus answer -> series
 * conversion (promapi_matrix_to_series) and the CSV rendering of whatever
 * it accepts (csvout_render), with small caps so limits are exercised.
 * Checks: no crash, no leak; an error always comes with a one-line message;
 * a success always renders, and the CSV has one line per point plus the
 * header, unless a quoted cell holds a newline. Seeds: fuzz/corpus/prom_matrix/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/csvout.h"
#include "metrics/promapi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct series_limits lim = {.max_series = 64, .max_points = 4096, .max_value_bytes = 1 << 16};
    struct series_set *set = NULL;
    struct promapi_error e;
    int rc = promapi_matrix_to_series((const char *)data, size, "m", &lim, &set, &e);
    if (rc) {
        if (set || e.kind == PROMAPI_OK || !e.msg[0] || strchr(e.msg, '\n')) abort();
        return 0;
    }
    if (!set) abort();
    struct buf b;
    buf_init(&b, 1 << 24);
    if (csvout_render(set, &b)) abort();
    size_t lines = 0, quotes = 0;
    for (size_t i = 0; i < b.len; i++)
        lines += b.data[i] == '\n', quotes += b.data[i] == '"';
    size_t want = 1 + set->total_points;
    if (!quotes && lines != want) abort();
    if (b.len == 0 || b.data[b.len - 1] != '\n') abort();
    buf_free(&b);
    series_set_free(set);
    return 0;
}
