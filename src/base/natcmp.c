/* natcmp.c: natural string order (see natcmp.h). Digit runs are compared
 * by length after skipping leading zeros, then bytewise, so numbers of any
 * size work without parsing. */
#include "base/natcmp.h"

#include <stddef.h>
#include <string.h>

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

int natcmp(const char *a, const char *b)
{
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    while (*p && *q) {
        if (is_digit(*p) && is_digit(*q)) {
            while (*p == '0' && is_digit(p[1]))
                p++;
            while (*q == '0' && is_digit(q[1]))
                q++;
            size_t lp = 0, lq = 0;
            while (is_digit(p[lp]))
                lp++;
            while (is_digit(q[lq]))
                lq++;
            if (lp != lq) return lp < lq ? -1 : 1;
            int c = memcmp(p, q, lp);
            if (c) return c < 0 ? -1 : 1;
            p += lp;
            q += lq;
            continue;
        }
        if (*p != *q) return *p < *q ? -1 : 1;
        p++;
        q++;
    }
    if (*p || *q) return *p ? 1 : -1;
    int c = strcmp(a, b); /* "01" vs "1": equal by value, still distinct */
    return c < 0 ? -1 : c > 0;
}
