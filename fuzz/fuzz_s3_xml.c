/* fuzz_s3_xml: libFuzzer target for the S3 store's XML reading
 * (store_s3_xml): the error line of an error body, and a ListObjectsV2
 * page walked the way store_s3.c walks it (<ListBucketResult>, each
 * <Contents>' Key, Size and ETag, IsTruncated, NextContinuationToken),
 * decoded into small buffers so the bounds are exercised.
 * Checks: no crash, no read outside the input (it is not NUL-terminated;
 * ASan); a decoded text is exactly as long as returned, NUL-terminated and
 * within its buffer; an error line holds no control character; the walk
 * always moves forward. Seeds: fuzz/corpus/s3_xml/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_s3_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_s3_xml_text(struct store_s3_xml_span s, size_t cap)
{
    char out[64];
    if (cap > sizeof out) cap = sizeof out;
    long n = store_s3_xml_text(s, out, cap);
    if (n < 0) return;
    if ((size_t)n >= cap || out[n] != '\0') abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a copy of exactly size bytes, so ASan sees any read past the end */
    char *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);
    char line[96];
    if (store_s3_xml_error(buf, size, line, sizeof line) == 0) {
        size_t n = strlen(line);
        if (!n || n >= sizeof line) abort();
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)line[i] < 0x20) abort();
    } else if (line[0]) {
        abort();
    }
    struct store_s3_xml_span in = {buf, size}, res, c, e;
    if (store_s3_xml_find(in, "ListBucketResult", &res)) {
        if (res.p < buf || res.p + res.n > buf + size) abort();
        size_t pos = 0, last = 0;
        for (int k = 0; store_s3_xml_next(res, &pos, "Contents", &c); k++) {
            if (pos <= last && k) abort();
            last = pos;
            static const char *const tags[] = {"Key", "Size", "ETag"};
            for (size_t t = 0; t < 3; t++)
                if (store_s3_xml_find(c, tags[t], &e)) fuzz_s3_xml_text(e, 8 + t * 20);
        }
        if (store_s3_xml_find(res, "IsTruncated", &e)) fuzz_s3_xml_text(e, 6);
        if (store_s3_xml_find(res, "NextContinuationToken", &e)) fuzz_s3_xml_text(e, 64);
    }
    free(buf);
    return 0;
}
