/* Unit tests for flags.c: spellings, positionals, errors naming the flag. */
#include "cm.h"

#include <string.h>

#include "flags.h"

static void test_parse(void **state)
{
    double qps = 8;
    int64_t c = 1, t = 0;
    bool k = false;
    const char *json = NULL;
    struct strlist hdr = {0};
    const struct flag table[] = {
        {"qps", FLAG_DOUBLE, &qps, "N", "rate", NULL},
        {"c", FLAG_INT, &c, "N", "connections", NULL},
        {"t", FLAG_DURATION, &t, "D", "duration", NULL},
        {"k", FLAG_BOOL, &k, NULL, "insecure", NULL},
        {"json", FLAG_STRING, &json, "F", "out", NULL},
        {"H", FLAG_STRLIST, &hdr, "K:V", "header", NULL},
        {NULL},
    };
    char *argv[] = {"load", "-qps", "100", "--c=4", "-t", "5s", "-k", "-H", "a: b",
                    "http://x/", "-H=c: d", "-json", "-", NULL};
    int argc = (int)(sizeof argv / sizeof argv[0]) - 1;
    char *pos[16];
    int npos;
    char err[256] = "";
    assert_int_equal(flags_parse(table, argc, argv, pos, &npos, err, sizeof err), 0);
    assert_true(qps == 100);
    assert_int_equal(c, 4);
    assert_int_equal(t, 5000000);
    assert_true(k);
    assert_string_equal(json, "-");
    assert_int_equal(hdr.n, 2);
    assert_string_equal(hdr.v[1], "c: d");
    assert_int_equal(npos, 1);
    assert_string_equal(pos[0], "http://x/");
    strlist_free(&hdr);

    char *bad1[] = {"load", "-nope", NULL};
    assert_int_equal(flags_parse(table, 2, bad1, pos, &npos, err, sizeof err), -1);
    assert_string_equal(err, "unknown flag -nope (see --help)");
    char *bad2[] = {"load", "-c", "many", NULL};
    assert_int_equal(flags_parse(table, 3, bad2, pos, &npos, err, sizeof err), -1);
    assert_string_equal(err, "flag -c: invalid integer 'many'");
    char *bad3[] = {"load", "-t", NULL};
    assert_int_equal(flags_parse(table, 2, bad3, pos, &npos, err, sizeof err), -1);
    assert_string_equal(err, "flag -t needs a value");
    char *help[] = {"load", "--help", NULL};
    assert_int_equal(flags_parse(table, 2, help, pos, &npos, err, sizeof err), FLAGS_HELP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_parse)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
