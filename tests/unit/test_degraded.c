/* Unit tests for degraded.c: the rate rule, the lateness rule, the
 * tolerance, and the reason line. */
#include "cm.h"

#include <math.h>

#include "base/degraded.h"

static void test_ok(void **state)
{
    char r[128] = "x";
    struct degraded_in in = {100, 95.0, 1000, 50, 0};
    assert_false(degraded_check(&in, 0.10, r, sizeof r));
    assert_string_equal(r, "");
    /* max mode has no rate to miss */
    in = (struct degraded_in){0, 3.0, 30, 0, 0};
    assert_false(degraded_check(&in, 0.10, r, sizeof r));
}

static void test_rate(void **state)
{
    char r[128];
    struct degraded_in in = {100, 27.5, 413, 0, 0};
    assert_true(degraded_check(&in, 0.10, r, sizeof r));
    assert_string_equal(r, "27.5 of 100 qps");
    /* the tolerance decides: 89 of 100 is degraded at 10 %, not at 20 % */
    in = (struct degraded_in){100, 89, 890, 0, 0};
    assert_true(degraded_check(&in, 0.10, NULL, 0));
    assert_false(degraded_check(&in, 0.20, NULL, 0));
    /* NaN actual (unknown) is degraded; a negative tolerance is the default */
    in = (struct degraded_in){100, NAN, 0, 0, 0};
    assert_true(degraded_check(&in, -1, r, sizeof r));
    in = (struct degraded_in){100, 89, 890, 0, 0};
    assert_true(degraded_check(&in, -1, NULL, 0));
}

static void test_late(void **state)
{
    char r[160];
    /* the frozen node: the rate caught up, but 320 of 800 went out late */
    struct degraded_in in = {100, 100.1, 800, 300, 20};
    assert_true(degraded_check(&in, 0.10, r, sizeof r));
    assert_string_equal(r, "320 of 820 requests sent >100 ms late or not at all");
    in = (struct degraded_in){100, 27.5, 413, 0, 787};
    assert_true(degraded_check(&in, 0.10, r, sizeof r));
    assert_string_equal(r, "27.5 of 100 qps; 787 of 1200 requests sent >100 ms late or not at all");
    /* a short buffer is cut, never overrun */
    char s[8];
    assert_true(degraded_check(&in, 0.10, s, sizeof s));
    assert_string_equal(s, "27.5 of");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok),
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_late),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
