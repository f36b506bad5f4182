/* Unit tests for lazy_m.c: libm is not mapped until a listed function is
 * called (unless a sanitizer runtime brought it), every listed name exists
 * in libm.so.6, and values come back exact through the wrappers. */
#include "cm.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lazy.h"
#include "maps.h"


static void test_not_loaded_at_start(void **state)
{
    assert_false(lazy_m_loaded());
#ifndef __SANITIZE_ADDRESS__
    assert_false(maps_has("/libm.so"));
#endif
}

/* volatile: keep the compiler from folding the calls away */
static volatile double two = 2.0, ten = 10.0, thousand = 1000.0, half = 2.5;

static void test_values(void **state)
{
    assert_true(pow(two, ten) == 1024.0);
    assert_true(lazy_m_loaded());
    assert_true(log10(thousand) == 3.0);
    assert_true(fmax(two, ten) == 10.0);
    assert_true(fmin(two, ten) == 2.0);
    assert_true(round(half) == 3.0);
    assert_int_equal(lround(half), 3);
    assert_int_equal(llround(-half), -3);
    assert_true(sqrtl((long double)thousand * thousand) == 1000.0L);
    char err[256] = "";
    if (lazy_m_check(err, sizeof err) != 0) fail_msg("%s", err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_loaded_at_start),
        cmocka_unit_test(test_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
