/* buf.h: a growable byte buffer with a hard cap.
 *
 * Every buffer that grows with input has a cap, so that a peer cannot make
 * us allocate without bound: appends past `max` fail with -ENOBUFS and leave
 * the buffer as it was. data is always NUL-terminated (not counted in len)
 * so text can be handed to string functions. */
#ifndef MESHPERF_BUF_H
#define MESHPERF_BUF_H

#include <stddef.h>

struct buf {
    char *data; /* owned; NULL until the first append */
    size_t len; /* bytes in use */
    size_t cap; /* bytes allocated (excluding the NUL) */
    size_t max; /* hard cap on len */
};

/* Initialise an empty buffer that may hold at most max bytes. */
void buf_init(struct buf *b, size_t max);

/* Ensure room for n more bytes. 0, -ENOBUFS past the cap, -ENOMEM. */
int buf_reserve(struct buf *b, size_t n);

/* Append n bytes. 0, -ENOBUFS past the cap, -ENOMEM. */
int buf_append(struct buf *b, const void *p, size_t n);

/* Append a NUL-terminated string. Same returns as buf_append. */
int buf_puts(struct buf *b, const char *s);

/* Append v in decimal, without stdio (request paths use it: vsnprintf
 * costs more than the rest of a small response). Same returns. */
int buf_put_u64(struct buf *b, unsigned long long v);

/* Append printf-formatted text. Same returns as buf_append. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Drop the first n bytes (n > len drops all). */
void buf_consume(struct buf *b, size_t n);

/* Forget the contents, keep the allocation. */
void buf_reset(struct buf *b);

/* Free the storage; the buffer is then empty and may be reused. NULL is fine. */
void buf_free(struct buf *b);

#endif
