/* errbuf.h: the error convention for set-up code.
 *
 * Functions that can fail for a reason a user must read take
 * (char *err, size_t errlen) and, on failure, write one line (no trailing
 * newline) naming what was wrong and where, then return a negative value
 * (-errno or -1). A call that fails never also invokes its callback.
 * errbuf_set keeps that line one line whatever the arguments hold (a
 * parser's message may quote the input): control characters become '?'. */
#ifndef MESHPERF_ERRBUF_H
#define MESHPERF_ERRBUF_H

#include <stdarg.h>
#include <stdio.h>

#define ERRBUF_LEN 512

/* Format into err (if non-NULL); always returns -1 so callers can
 * `return errbuf_set(err, errlen, "...")`. */
static inline int __attribute__((format(printf, 3, 4)))
errbuf_set(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        for (char *p = err; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
    }
    return -1;
}

#endif
