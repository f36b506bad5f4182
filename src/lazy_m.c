/* lazy_m.c: the libm functions meshperf calls, loaded on first use (see
 * lazy.h). Only useful with the Makefile that does not link -lm: merely
 * linking libm.so.6 costs ~350 KiB of RSS at start (ld.so runs its IFUNC
 * resolvers and relocations, and the pages come in 64 KiB at a time), a
 * sixth of `serve`'s 2 MiB budget. With -fno-math-errno -fno-trapping-math
 * the compiler inlines sqrt/lround/llround, so serve's code calls none of
 * these: only charts and reports (pow, log10, fmax, fmin) do, and they load
 * cairo, which needs libm anyway.
 *
 * To add a function: one line in LAZY_M_FUNCTIONS with the prototype from
 * <math.h>; the compiler rejects a wrong one. */
#include <math.h>

#include "lazy.h"

static struct lazy_lib lazy_m_lib = LAZY_LIB_INIT("libm.so.6", "libc6", NULL);
#define LAZY_LIB lazy_m_lib

/* clang-format off */
#define LAZY_M_FUNCTIONS(LAZY_FN, LAZY_VOID, LAZY_CLEANUP) \
    LAZY_FN(double, pow, (double x, double y), (x, y)) \
    LAZY_FN(double, log10, (double x), (x)) \
    LAZY_FN(double, fmax, (double x, double y), (x, y)) \
    LAZY_FN(double, fmin, (double x, double y), (x, y)) \
    LAZY_FN(double, round, (double x), (x)) \
    LAZY_FN(long, lround, (double x), (x)) \
    LAZY_FN(long long, llround, (double x), (x)) \
    LAZY_FN(long double, sqrtl, (long double x), (x)) \
    /* test-only (tests/unit/test_hist.c) */ \
    LAZY_FN(double, exp, (double x), (x)) \
    LAZY_FN(double, log, (double x), (x))
/* clang-format on */

LAZY_M_FUNCTIONS(LAZY_DEFINE_FN, LAZY_DEFINE_VOID, LAZY_DEFINE_CLEANUP)

int lazy_m_check(char *err, size_t errlen)
{
    static const char *const names[] = {LAZY_M_FUNCTIONS(LAZY_NAME_FN, LAZY_NAME_VOID, LAZY_NAME_VOID) NULL};
    return lazy_check_names(&LAZY_LIB, names, err, errlen);
}

bool lazy_m_loaded(void)
{
    return lazy_loaded(&LAZY_LIB);
}
