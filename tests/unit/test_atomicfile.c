/* Unit tests for atomicfile_write: the bytes land under the final name with
 * mode 0644, a rewrite replaces them, no temporary file is left behind on
 * success or failure, and errors name the path. */
#include "cm.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomicfile.h"

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void read_file(const char *path, char *out, size_t outlen)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, outlen - 1, f);
    out[n] = '\0';
    fclose(f);
}

static void test_write_replace(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_atomicfile.XXXXXX", path[128], got[64], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/a.csv", dir);
    assert_int_equal(atomicfile_write(path, "one\n", 4, err, sizeof err), 0);
    read_file(path, got, sizeof got);
    assert_string_equal(got, "one\n");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(atomicfile_write(path, "two", 3, err, sizeof err), 0);
    read_file(path, got, sizeof got);
    assert_string_equal(got, "two");
    assert_int_equal(atomicfile_write(path, "", 0, err, sizeof err), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 0);
    assert_int_equal(count_entries(dir), 1); /* no temporary file left */
    unlink(path);
    assert_int_equal(rmdir(dir), 0);
}

static void test_errors(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_atomicfile.XXXXXX", path[128], err[256];
    assert_non_null(mkdtemp(dir));
    /* the directory does not exist */
    assert_int_equal(atomicfile_write("/nonexistent-meshperf/m.csv", "x", 1, err, sizeof err),
                     -ENOENT);
    assert_string_equal(err, "/nonexistent-meshperf/m.csv: No such file or directory");
    /* the final name is a directory: rename fails, the temp file goes */
    snprintf(path, sizeof path, "%s/sub", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    assert_true(atomicfile_write(path, "x", 1, err, sizeof err) < 0);
    assert_non_null(strstr(err, path));
    assert_int_equal(count_entries(dir), 1);
    /* no file name */
    snprintf(path, sizeof path, "%s/", dir);
    assert_int_equal(atomicfile_write(path, "x", 1, err, sizeof err), -EINVAL);
    snprintf(path, sizeof path, "%s/sub", dir);
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_replace),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
