/* Unit tests for the store seam and its directory backend: store_open's
 * choice of backend (dir, file://, s3:// to the S3 backend), key
 * validation, put/get/list/where, nested prefixes, the get cap, a FIFO
 * refused without blocking, and symlinks (out of the root or not) neither
 * listed nor read. */
#include "cm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"

struct fixture {
    char root[64];
    char err[512];
    struct store *s;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    snprintf(f->root, sizeof f->root, "/tmp/test_store_dir.XXXXXX");
    if (!mkdtemp(f->root)) return -1;
    f->s = store_open(f->root, f->err, sizeof f->err);
    *state = f;
    return f->s ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_free(f->s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->root);
    int rc = system(cmd);
    free(f);
    return rc;
}

static void put(struct fixture *f, const char *key, const char *text)
{
    assert_int_equal(store_put(f->s, key, text, strlen(text), f->err, sizeof f->err), 0);
}

/* key's text, or the negative return of get as a string "-N" */
static const char *get(struct fixture *f, const char *key, size_t cap, char *out, size_t outlen)
{
    struct buf b;
    buf_init(&b, cap);
    int rc = store_get(f->s, key, &b, f->err, sizeof f->err);
    if (rc < 0)
        snprintf(out, outlen, "%d", rc);
    else
        snprintf(out, outlen, "%s", b.data);
    buf_free(&b);
    return out;
}

static void test_put_get_where(void **state)
{
    struct fixture *f = *state;
    char got[64], want[128], path[128];
    put(f, "t/20240101000000/fortio.json", "{}");
    put(f, "t/20240101000000/fortio.json", "[1]"); /* replaced */
    assert_string_equal(get(f, "t/20240101000000/fortio.json", 100, got, sizeof got), "[1]");
    put(f, "empty", "");
    assert_string_equal(get(f, "empty", 100, got, sizeof got), "");
    assert_string_equal(get(f, "t/nope.json", 100, got, sizeof got), "-2"); /* -ENOENT */
    assert_string_equal(f->err, "t/nope.json: No such file or directory");
    assert_string_equal(get(f, "t", 100, got, sizeof got), "-21"); /* -EISDIR */
    assert_string_equal(f->err, "t: not a regular file");
    snprintf(want, sizeof want, "%s/t/x.csv", f->root);
    assert_string_equal(store_where(f->s, "t/x.csv", path, sizeof path), want);
    assert_string_equal(store_where(f->s, NULL, path, sizeof path), f->root);
    assert_string_equal(f->s->ops->name, "dir");
}

static void test_keys(void **state)
{
    struct fixture *f = *state;
    const char *bad[] = {"", "/abs", "../x", "a/../b", "a//b", "a/./b", "a/", "."};
    struct buf b;
    buf_init(&b, 10);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(store_put(f->s, bad[i], "a", 1, f->err, sizeof f->err), -EINVAL);
        assert_int_equal(store_get(f->s, bad[i], &b, f->err, sizeof f->err), -EINVAL);
    }
    assert_int_equal(store_put(f->s, NULL, "a", 1, f->err, sizeof f->err), -EINVAL);
    assert_string_equal(f->err, "store: bad object name ''");
    assert_int_equal(store_put(f->s, "../x", "a", 1, f->err, sizeof f->err), -EINVAL);
    assert_string_equal(f->err, "store: bad object name '../x'");
    struct store_list *l;
    assert_int_equal(store_list(f->s, "a//b", &l, f->err, sizeof f->err), -EINVAL);
    assert_null(l);
    assert_int_equal(store_key_ok(".hidden/x..y"), 1);
    char path[128];
    snprintf(path, sizeof path, "%s/../x", f->root);
    assert_int_equal(access(path, F_OK), -1); /* nothing was written outside */
    buf_free(&b);
}

static void test_list_nested(void **state)
{
    struct fixture *f = *state;
    put(f, "b/2/y.csv", "yy");
    put(f, "a/1/fortio.json", "{}");
    put(f, "a/1/m.csv", "m");
    put(f, "a/10/deep/er/z.csv", "zzz");
    put(f, "ab", "not under a/");
    struct store_list *l;
    assert_int_equal(store_list(f->s, "", &l, f->err, sizeof f->err), 0);
    const char *all[] = {"a/1/fortio.json", "a/1/m.csv", "a/10/deep/er/z.csv", "ab", "b/2/y.csv"};
    assert_int_equal(l->n, 5);
    for (size_t i = 0; i < l->n; i++) {
        assert_string_equal(l->v[i].key, all[i]);
        assert_true(l->v[i].etag[0] != '\0');
    }
    assert_int_equal(l->v[2].size, 3);
    char etag[64];
    snprintf(etag, sizeof etag, "%s", l->v[1].etag);
    store_list_free(l);
    /* a prefix lists only below it, the prefix kept in the keys */
    assert_int_equal(store_list(f->s, "a", &l, f->err, sizeof f->err), 0);
    assert_int_equal(l->n, 3);
    assert_string_equal(l->v[0].key, "a/1/fortio.json");
    store_list_free(l);
    assert_int_equal(store_list(f->s, "a/10/deep", &l, f->err, sizeof f->err), 0);
    assert_int_equal(l->n, 1);
    assert_string_equal(l->v[0].key, "a/10/deep/er/z.csv");
    store_list_free(l);
    /* nothing under a prefix is an empty list, also for an object's name */
    assert_int_equal(store_list(f->s, "nope", &l, f->err, sizeof f->err), 0);
    assert_int_equal(l->n, 0);
    store_list_free(l);
    assert_int_equal(store_list(f->s, "ab", &l, f->err, sizeof f->err), 0);
    assert_int_equal(l->n, 0);
    store_list_free(l);
    /* a changed object gets a new etag */
    put(f, "a/1/m.csv", "m2");
    assert_int_equal(store_list(f->s, "a/1", &l, f->err, sizeof f->err), 0);
    assert_string_equal(l->v[1].key, "a/1/m.csv");
    assert_string_not_equal(l->v[1].etag, etag);
    store_list_free(l);
    store_list_free(NULL);
}

static void test_get_cap(void **state)
{
    struct fixture *f = *state;
    char got[64];
    put(f, "k", "0123456789");
    assert_string_equal(get(f, "k", 10, got, sizeof got), "0123456789"); /* exactly the cap */
    assert_string_equal(get(f, "k", 9, got, sizeof got), "-27");         /* -EFBIG */
    assert_string_equal(f->err, "k: larger than the cap (9 bytes)");
}

static void test_fifo_refused(void **state)
{
    struct fixture *f = *state;
    char path[128], got[64];
    snprintf(path, sizeof path, "%s/x.csv", f->root);
    assert_int_equal(mkfifo(path, 0644), 0);
    alarm(5); /* a blocking open would hang the test: fail it instead */
    assert_string_equal(get(f, "x.csv", 100, got, sizeof got), "-22"); /* -EINVAL */
    alarm(0);
    assert_string_equal(f->err, "x.csv: not a regular file");
    struct store_list *l;
    assert_int_equal(store_list(f->s, "", &l, f->err, sizeof f->err), 0);
    assert_int_equal(l->n, 0); /* not an object */
    store_list_free(l);
}

static void test_symlinks(void **state)
{
    struct fixture *f = *state;
    char out[] = "/tmp/test_store_dir_out.XXXXXX", path[128], target[128], got[64];
    assert_non_null(mkdtemp(out));
    snprintf(target, sizeof target, "%s/secret.csv", out);
    FILE *fp = fopen(target, "w");
    assert_non_null(fp);
    fputs("secret", fp);
    fclose(fp);
    put(f, "in/real.csv", "real");
    snprintf(path, sizeof path, "%s/in/out", f->root);
    assert_int_equal(symlink(out, path), 0); /* a directory out of the root */
    snprintf(path, sizeof path, "%s/in/link.csv", f->root);
    assert_int_equal(symlink(target, path), 0); /* a file out of the root */
    struct store_list *l;
    assert_int_equal(store_list(f->s, "", &l, f->err, sizeof f->err), 0);
    assert_int_equal(l->n, 1);
    assert_string_equal(l->v[0].key, "in/real.csv");
    store_list_free(l);
    assert_int_equal(store_list(f->s, "in/out", &l, f->err, sizeof f->err), 0);
    assert_int_equal(l->n, 0);
    store_list_free(l);
    assert_string_equal(get(f, "in/out/secret.csv", 100, got, sizeof got), "-2");
    assert_string_equal(get(f, "in/link.csv", 100, got, sizeof got), "-2");
    assert_string_equal(get(f, "in/real.csv", 100, got, sizeof got), "real");
    unlink(target);
    assert_int_equal(rmdir(out), 0);
}

static void test_open(void **state)
{
    (void)state;
    char err[256];
    assert_null(store_open("s3://b/p", err, sizeof err));
    assert_non_null(strstr(err, "s3://b/p: bad bucket name")); /* the S3 backend said it */
    assert_null(store_open("gs://b/p", err, sizeof err));
    assert_null(store_open("", err, sizeof err));
    assert_null(store_open("/etc/passwd", err, sizeof err));
    assert_string_equal(err, "/etc/passwd: Not a directory");
    struct store *s = store_open("file:///nonexistent-meshperf/x/", err, sizeof err);
    assert_non_null(s); /* nothing touched until the first put */
    char where[128];
    assert_string_equal(store_where(s, "k", where, sizeof where), "/nonexistent-meshperf/x/k");
    struct store_list *l;
    assert_int_equal(store_list(s, "", &l, err, sizeof err), -ENOENT);
    assert_string_equal(err, "/nonexistent-meshperf/x: No such file or directory");
    store_free(s);
    store_free(NULL);
    /* the root and the key's parents are made by put */
    char root[] = "/tmp/test_store_dir.XXXXXX", sub[128];
    assert_non_null(mkdtemp(root));
    snprintf(sub, sizeof sub, "%s/a/b", root);
    s = store_open(sub, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(store_put(s, "t/ts/x.json", "{}", 2, err, sizeof err), 0);
    snprintf(sub, sizeof sub, "%s/a/b/t/ts/x.json", root);
    assert_int_equal(access(sub, R_OK), 0);
    store_free(s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_get_where, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_nested, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlinks, setup, teardown),
        cmocka_unit_test(test_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
