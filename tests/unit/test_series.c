/* Unit tests for series.c: number formatting, labels, caps, ordering. */
#include "cm.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/series.h"

static void check_double(double v, const char *want)
{
    char out[SERIES_NUM_MAX];
    series_format_double(v, out);
    if (strcmp(out, want) != 0) fail_msg("format_double(%.17g): got '%s', want '%s'", v, out, want);
    if (isfinite(v) && strtod(out, NULL) != v) fail_msg("'%s' does not read back as %.17g", out, v);
}

static void test_format_double(void **state)
{
    check_double(0, "0");
    check_double(1, "1");
    check_double(-2.5, "-2.5");
    check_double(0.1, "0.1");
    check_double(0.1 + 0.2, "0.30000000000000004");
    check_double(12.3046875, "12.3046875");
    check_double(1500000000, "1500000000");
    check_double(1e21, "1000000000000000000000");
    check_double(1.5e-7, "0.00000015");
    check_double(123456789.125, "123456789.125");
    check_double(NAN, "NaN");
    check_double(INFINITY, "+Inf");
    check_double(-INFINITY, "-Inf");
    char out[SERIES_NUM_MAX];
    series_format_double(5e-324, out); /* smallest subnormal: long but bounded */
    assert_true(strlen(out) < SERIES_NUM_MAX);
    assert_true(strtod(out, NULL) == 5e-324);
    series_format_double(-1.7976931348623157e308, out);
    assert_int_equal(strlen(out), 310);
    assert_true(strtod(out, NULL) == -1.7976931348623157e308);
}

static void test_format_ts(void **state)
{
    char out[SERIES_NUM_MAX];
    assert_string_equal(series_format_ts(1700000000, out), "1700000000");
    assert_string_equal(series_format_ts(1700000000.5, out), "1700000000.5");
    assert_string_equal(series_format_ts(1700000000.123, out), "1700000000.123");
    assert_string_equal(series_format_ts(1700000000.1004, out), "1700000000.1");
    assert_string_equal(series_format_ts(1700000000.9996, out), "1700000001");
    assert_string_equal(series_format_ts(0, out), "0");
    assert_string_equal(series_format_ts(-0.25, out), "-0.25");
    assert_string_equal(series_format_ts(10.05, out), "10.05");
    assert_int_equal(series_ts_ms(1700000000.123) - series_ts_ms(1700000000.1), 23);
}

static void test_labels_sorted_and_checked(void **state)
{
    struct series_set *set = series_set_new("m", NULL);
    assert_non_null(set);
    struct series_label l[] = {{"pod", "node-0-0"}, {"container", "app"}, {"namespace", "ns"}};
    struct series *s = NULL;
    char err[256];
    assert_int_equal(series_set_add(set, l, 3, &s, err, sizeof(err)), 0);
    assert_string_equal(s->labels[0].name, "container");
    assert_string_equal(s->labels[2].name, "pod");
    assert_string_equal(series_label(s, "namespace"), "ns");
    assert_null(series_label(s, "job"));
    struct series_label l2[] = {{"namespace", "ns"}, {"pod", "node-0-0"}, {"container", "app"}};
    assert_ptr_equal(series_set_find(set, l2, 3), s);
    assert_null(series_set_find(set, l2, 2));

    struct series_label dup[] = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
    assert_int_equal(series_set_add(set, dup, 3, NULL, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "label 'a' given twice");
    struct series_label empty[] = {{"", "1"}};
    assert_int_equal(series_set_add(set, empty, 1, NULL, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "label 0 has an empty name");
    assert_int_equal(set->nseries, 1);

    assert_int_equal(series_add_point(set, s, 1.5, "NaN"), 0);
    assert_int_equal(series_add_double(set, s, 2.5, 0.25), 0);
    assert_int_equal(s->npoints, 2);
    assert_string_equal(series_point_value(s, 0), "NaN");
    assert_string_equal(series_point_value(s, 1), "0.25");
    assert_true(s->points[1].ts == 2.5);
    assert_int_equal(series_set_rename(set, "other"), 0);
    assert_string_equal(set->name, "other");
    series_set_free(set);
    series_set_free(NULL);
}

static void test_caps(void **state)
{
    struct series_limits lim = {.max_series = 2, .max_points = 3, .max_value_bytes = 12};
    struct series_set *set = series_set_new("m", &lim);
    struct series *a, *b;
    struct series_label la[] = {{"x", "a"}}, lb[] = {{"x", "b"}}, lc[] = {{"x", "c"}};
    char err[128];
    assert_int_equal(series_set_add(set, la, 1, &a, err, sizeof(err)), 0);
    assert_int_equal(series_set_add(set, lb, 1, &b, err, sizeof(err)), 0);
    assert_int_equal(series_set_add(set, lc, 1, NULL, err, sizeof(err)), -ENOBUFS);
    assert_string_equal(err, "more than 2 series");
    assert_int_equal(series_add_point(set, a, 1, "12345"), 0);         /* 6 bytes */
    assert_int_equal(series_add_point(set, b, 1, "123456"), -ENOBUFS); /* 6+7 > 12 */
    assert_int_equal(series_add_point(set, b, 1, "12345"), 0);         /* 12 */
    assert_int_equal(series_add_point(set, b, 2, ""), -ENOBUFS);       /* 13 > 12 */
    assert_int_equal(set->total_points, 2);
    series_set_free(set);

    struct series_limits lp = {.max_points = 2};
    set = series_set_new("m", &lp);
    assert_int_equal(series_set_add(set, NULL, 0, &a, NULL, 0), 0);
    assert_int_equal(series_add_point(set, a, 1, "1"), 0);
    assert_int_equal(series_add_point(set, a, 2, "1"), 0);
    assert_int_equal(series_add_point(set, a, 3, "1"), -ENOBUFS);
    assert_int_equal(a->npoints, 2);
    series_set_free(set);
}

static void test_order(void **state)
{
    struct series_set *set = series_set_new("m", NULL);
    struct series_label s1[] = {{"pod", "node-1"}};
    struct series_label s2[] = {{"pod", "node-0"}};
    struct series_label s3[] = {{"code", "200"}, {"pod", "node-0"}};
    struct series_label s4[] = {{"pod", "node-0"}, {"code", "500"}};
    assert_int_equal(series_set_add(set, s1, 1, NULL, NULL, 0), 0);
    assert_int_equal(series_set_add(set, s3, 2, NULL, NULL, 0), 0);
    assert_int_equal(series_set_add(set, NULL, 0, NULL, NULL, 0), 0);
    assert_int_equal(series_set_add(set, s4, 2, NULL, NULL, 0), 0);
    assert_int_equal(series_set_add(set, s2, 1, NULL, NULL, 0), 0);
    series_set_sort(set);
    /* Rows read left to right: code (missing first), then pod. */
    assert_int_equal(set->series[0]->nlabels, 0);
    assert_string_equal(series_label(set->series[1], "pod"), "node-0");
    assert_null(series_label(set->series[1], "code"));
    assert_string_equal(series_label(set->series[2], "pod"), "node-1");
    assert_string_equal(series_label(set->series[3], "code"), "200");
    assert_string_equal(series_label(set->series[4], "code"), "500");
    assert_int_equal(series_cmp(set->series[1], set->series[1]), 0);
    assert_true(series_cmp(set->series[4], set->series[3]) > 0);
    series_set_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_double),
        cmocka_unit_test(test_format_ts),
        cmocka_unit_test(test_labels_sorted_and_checked),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
