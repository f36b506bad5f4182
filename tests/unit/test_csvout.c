/* Unit tests for csvout.c: recorded Prometheus answers (tests/data/prom/
 * *.json) flattened and compared byte for byte with the expected CSV next
 * to them; quoting; empty results; the atomic write. Run from the repo root
 * (tests/run.sh does) or set TESTDATA to the tests/data directory. */
#include "cm.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void test_write_atomic(void **state)
{
    char dir[] = "/tmp/meshperf-csvout.XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct series_set *set = series_set_new("memory_working_set_MiB", NULL);
    struct series *s;
    struct series_label l[] = {{"pod", "node-0-0"}};
    assert_int_equal(series_set_add(set, l, 1, &s, NULL, 0), 0);
    assert_int_equal(series_add_double(set, s, 1700000000.25, 12.5), 0);
    char err[512];
    assert_int_equal(csvout_write(dir, set, 0, err, sizeof(err)), 0);
    char path[256];
    snprintf(path, sizeof(path), "%s/memory_working_set_MiB.csv", dir);
    char *got = slurp(path, NULL);
    assert_non_null(got);
    assert_string_equal(got, "metric.pod,timestamp,memory_working_set_MiB,normalized_ts\n"
                             "node-0-0,1700000000.25,12.5,0\n");
    free(got);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    /* Overwrite in place; still exactly one file, no temp left behind. */
    assert_int_equal(series_add_double(set, s, 1700000001.25, 13), 0);
    assert_int_equal(csvout_write(dir, set, 0, err, sizeof(err)), 0);
    assert_int_equal(count_entries(dir), 1);
    /* Too big for the cap: error, old file intact, no temp file. */
    assert_true(csvout_write(dir, set, 10, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "memory_working_set_MiB.csv: larger than the cap"));
    assert_int_equal(count_entries(dir), 1);

    /* Names that cannot be file names. */
    assert_int_equal(series_set_rename(set, "a/b"), 0);
    assert_int_equal(csvout_write(dir, set, 0, err, sizeof(err)), -1);
    assert_string_equal(err, "metric name 'a/b' cannot be a file name");
    assert_int_equal(series_set_rename(set, ".."), 0);
    assert_int_equal(csvout_write(dir, set, 0, err, sizeof(err)), -1);
    assert_int_equal(csvout_name_ok(""), 0);
    assert_int_equal(csvout_name_ok("envoy_memory_MB_by_replica_set"), 1);

    /* Missing directory: error naming the file. */
    assert_int_equal(series_set_rename(set, "m"), 0);
    assert_int_equal(csvout_write("/nonexistent-dir-meshperf", set, 0, err, sizeof(err)), -ENOENT);
    assert_string_equal(err, "/nonexistent-dir-meshperf/m.csv: No such file or directory");

    unlink(path);
    assert_int_equal(rmdir(dir), 0);
    series_set_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_files),
        cmocka_unit_test(test_quoting_and_points_less_series),
        cmocka_unit_test(test_write_atomic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
