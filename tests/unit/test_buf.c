/* Unit tests for buf.c: growth, the cap, consume. */
#include "cm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"

static void test_append_and_cap(void **state)
{
    struct buf b;
    buf_init(&b, 10);
    assert_int_equal(buf_puts(&b, "hello"), 0);
    assert_int_equal(buf_printf(&b, "%d", 1234), 0);
    assert_string_equal(b.data, "hello1234");
    assert_int_equal(buf_puts(&b, "xy"), -ENOBUFS); /* would make 11 > 10 */
    assert_int_equal(b.len, 9);
    assert_int_equal(buf_puts(&b, "z"), 0);
    assert_int_equal(b.len, 10);
    assert_int_equal(buf_printf(&b, "%s", "q"), -ENOBUFS);
    buf_consume(&b, 5);
    assert_string_equal(b.data, "1234z");
    buf_consume(&b, 100);
    assert_int_equal(b.len, 0);
    buf_free(&b);
    buf_free(NULL);
}

static void test_growth(void **state)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(buf_append(&b, "abcdefgh", 8), 0);
    assert_int_equal(b.len, 80000);
    assert_memory_equal(b.data + 79992, "abcdefgh", 8);
    buf_free(&b);
}

/* buf_put_u64 against snprintf over edges and the cap */
static void test_put_u64(void **state)
{
    static const unsigned long long v[] = {
        0, 1, 9, 10, 99, 100, 4294967295ull, 4294967296ull, 18446744073709551615ull};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        struct buf b;
        char want[32];
        buf_init(&b, 64);
        assert_int_equal(buf_puts(&b, "n="), 0);
        assert_int_equal(buf_put_u64(&b, v[i]), 0);
        snprintf(want, sizeof want, "n=%llu", v[i]);
        assert_string_equal(b.data, want);
        assert_int_equal(b.len, strlen(want));
        buf_free(&b);
    }
    struct buf b;
    buf_init(&b, 4);
    assert_int_equal(buf_put_u64(&b, 12345), -ENOBUFS);
    assert_int_equal(b.len, 0);
    assert_int_equal(buf_put_u64(&b, 1234), 0);
    assert_string_equal(b.data, "1234");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_cap),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_put_u64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
