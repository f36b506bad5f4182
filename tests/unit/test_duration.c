/* Unit tests for duration.c: Go-style durations to microseconds and back. */
#include "cm.h"

#include "base/duration.h"

static void test_parse(void **state)
{
    static const struct {
        const char *in;
        int64_t us;
    } ok[] = {{"10s", 10000000},    {"1m", 60000000},    {"500ms", 500000},
              {"250us", 250},       {"1m30s", 90000000}, {"1.5s", 1500000},
              {"2h", 7200000000LL}, {"30", 30000000},    {"0", 0},
              {"1500ns", 2}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t us = -1;
        assert_int_equal(duration_parse(ok[i].in, &us), 0);
        assert_int_equal(us, ok[i].us);
    }
    const char *bad[] = {"", "s", "10x", "-1s", "ten", "10s5", "1e400"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t us = 42;
        assert_int_equal(duration_parse(bad[i], &us), -1);
        assert_int_equal(us, 42);
    }
}

static void test_format(void **state)
{
    char b[32];
    assert_string_equal(duration_format(10000000, b, sizeof b), "10s");
    assert_string_equal(duration_format(90000000, b, sizeof b), "1m30s");
    assert_string_equal(duration_format(500000, b, sizeof b), "500ms");
    assert_string_equal(duration_format(0, b, sizeof b), "0s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
