/* Unit tests for natcmp.c: digit runs by value, a total order. */
#include "cm.h"

#include "base/natcmp.h"

static void test_order(void **state)
{
    static const char *const sorted[] = {"",         "0",       "1",         "2",      "10",
                                         "10a",      "a",       "ab",        "node-2", "node-2-0",
                                         "node-2-1", "node-10", "node-10-0", "x7",     "x10"};
    size_t n = sizeof sorted / sizeof sorted[0];
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(natcmp(sorted[i], sorted[i]), 0);
        for (size_t j = i + 1; j < n; j++) {
            if (natcmp(sorted[i], sorted[j]) >= 0 || natcmp(sorted[j], sorted[i]) <= 0)
                fail_msg("want '%s' < '%s'", sorted[i], sorted[j]);
        }
    }
    assert_true(natcmp("99999999999999999999999", "100000000000000000000000") < 0);
}

static void test_equal_by_value(void **state)
{
    /* "01" and "1" are the same number but distinct names: never 0, antisymmetric */
    assert_true(natcmp("01", "1") != 0);
    assert_int_equal(natcmp("01", "1"), -natcmp("1", "01"));
    assert_true(natcmp("x007", "x7") != 0);
    assert_true(natcmp("x007", "x8") < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_equal_by_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
