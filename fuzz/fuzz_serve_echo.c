/* fuzz_serve_echo.c: libFuzzer target for the echo knob parser and the
 * query-string walker/decoder (serve_echo.c, serve_query.c): any bytes as a
 * query string must parse or fail cleanly, never read out of bounds, and
 * leave a result within the caps (no 1xx status). */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve_echo.h"
#include "serve/serve_query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy so ASan catches any over-read */
    char *q = malloc(size ? size : 1);
    if (!q) return 0;
    memcpy(q, data, size);
    struct serve_echo_limits lim = {1000000, 65536};
    struct serve_echo e;
    char scratch[512], err[256];
    if (serve_echo_parse(q, size, &lim, &e, scratch, sizeof scratch, err, sizeof err) == 0) {
        for (size_t i = 0; i < e.delay.n; i++)
            assert(e.delay.value[i] <= lim.max_delay_us);
        assert(e.size <= lim.max_size);
        assert(e.nheaders <= SERVE_ECHO_MAX_HEADERS);
        for (size_t i = 0; i < e.nheaders; i++)
            assert(!strpbrk(e.header_value[i], "\r\n"));
        uint64_t rng = 1;
        int64_t s = serve_choices_pick(&e.status, serve_echo_roll(&rng), 200);
        assert(s >= 200 && s <= 999); /* a 1xx is refused */
    }
    const char *p = q, *end = q + size;
    struct http_span k, v;
    char out[64];
    while (serve_query_next(&p, end, &k, &v))
        serve_query_decode(v, out, sizeof out);
    free(q);
    return 0;
}
