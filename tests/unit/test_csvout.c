/* Unit tests for csvout.c: recorded Prometheus answers (tests/data/prom/
 * *.json) flattened and compared byte for byte with the expected CSV next
 * to them; quoting; empty results; file-name checks. Run from the repo root
 * (tests/run.sh does) or set TESTDATA to the tests/data directory. */
#include "cm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/csvout.h"
#include "metrics/promapi.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *d = malloc(1 << 20);
    size_t n = fread(d, 1, (1 << 20) - 1, f);
    fclose(f);
    d[n] = '\0';
    if (len) *len = n;
    return d;
}

static char *data_path(const char *rel)
{
    static char p[4096];
    const char *base = getenv("TESTDATA") ? getenv("TESTDATA") : "tests/data";
    snprintf(p, sizeof(p), "%s/%s", base, rel);
    return p;
}

/* Convert prom/<stem>.json as metric `name` and compare with prom/<stem>.csv. */
static void golden(const char *stem, const char *name)
{
    char rel[256];
    size_t len;
    snprintf(rel, sizeof(rel), "prom/%s.json", stem);
    char *json = slurp(data_path(rel), &len);
    if (!json) fail_msg("cannot read %s (run from the repo root or set TESTDATA)", data_path(rel));
    snprintf(rel, sizeof(rel), "prom/%s.csv", stem);
    char *want = slurp(data_path(rel), NULL);
    assert_non_null(want);
    struct series_set *set;
    struct promapi_error e;
    if (promapi_matrix_to_series(json, len, name, NULL, &set, &e)) fail_msg("%s: %s", stem, e.msg);
    struct buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(csvout_render(set, &b), 0);
    if (strcmp(b.data, want) != 0) fail_msg("%s: got\n%s\nwant\n%s", stem, b.data, want);
    buf_free(&b);
    series_set_free(set);
    free(json);
    free(want);
}

static void test_golden_files(void **state)
{
    golden("matrix_multi", "envoy_ingress_rate_by_replica_set");
    golden("matrix_empty", "envoy_memory_MB_by_replica_set");
    golden("matrix_nan_inf", "envoy_memory_MB_by_replica_set");
    golden("matrix_gaps", "up");
}

static void test_quoting_and_points_less_series(void **state)
{
    struct series_set *set = series_set_new("m,x", NULL);
    struct series *s;
    struct series_label l[] = {{"a", "line\nbreak"}, {"b", "plain"}};
    struct series_label l2[] = {{"c", "only-labels"}};
    assert_int_equal(series_set_add(set, l, 2, &s, NULL, 0), 0);
    assert_int_equal(series_add_point(set, s, 10, "\"q\""), 0);
    assert_int_equal(series_add_point(set, s, 10.25, "2"), 0);
    assert_int_equal(series_set_add(set, l2, 1, NULL, NULL, 0), 0); /* no points */
    struct buf b;
    buf_init(&b, 4096);
    assert_int_equal(csvout_render(set, &b), 0);
    assert_string_equal(b.data, "metric.a,metric.b,metric.c,timestamp,\"m,x\",normalized_ts\n"
                                "\"line\nbreak\",plain,,10,\"\"\"q\"\"\",0\n"
                                "\"line\nbreak\",plain,,10.25,2,0.25\n");
    /* The cap is reported, not overrun. */
    struct buf small;
    buf_init(&small, 20);
    assert_int_equal(csvout_render(set, &small), -ENOBUFS);
    buf_free(&small);
    buf_free(&b);

    /* Only point-less series: the header-only file. */
    struct series_set *empty = series_set_new("mem", NULL);
    assert_int_equal(series_set_add(empty, l2, 1, NULL, NULL, 0), 0);
    buf_init(&b, 4096);
    assert_int_equal(csvout_render(empty, &b), 0);
    assert_string_equal(b.data, "timestamp,mem,normalized_ts\n");
    buf_free(&b);
    series_set_free(empty);
    series_set_free(set);
}

static void test_name_ok(void **state)
{
    (void)state;
    assert_int_equal(csvout_name_ok("envoy_memory_MB_by_replica_set"), 1);
    assert_int_equal(csvout_name_ok(""), 0);
    assert_int_equal(csvout_name_ok(NULL), 0);
    assert_int_equal(csvout_name_ok("a/b"), 0);
    assert_int_equal(csvout_name_ok("."), 0);
    assert_int_equal(csvout_name_ok(".."), 0);
    char long_name[202];
    memset(long_name, 'x', 201);
    long_name[201] = '\0';
    assert_int_equal(csvout_name_ok(long_name), 0);
    long_name[200] = '\0';
    assert_int_equal(csvout_name_ok(long_name), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_files),
        cmocka_unit_test(test_quoting_and_points_less_series),
        cmocka_unit_test(test_name_ok),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
