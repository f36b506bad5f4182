/* Unit tests for flags.c: spellings, positionals, errors naming the flag,
 * and the integer parser's edges (sign, overflow, garbage, empty). */
#include "cm.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/flags.h"

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
    char *argv[] = {"load", "-qps", "100",       "--c=4",   "-t",    "5s", "-k",
                    "-H",   "a: b", "http://x/", "-H=c: d", "-json", "-",  NULL};
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

/* -n VALUE for a FLAG_INT: flags_parse's result; *out is the value when 0,
 * err the message when -1. */
static int parse_int(const char *value, int64_t *out, char *err, size_t errlen)
{
    const struct flag table[] = {{"n", FLAG_INT, out, "N", "a number", NULL}, {NULL}};
    char *argv[] = {"x", "-n", (char *)value, NULL};
    char *pos[4];
    int npos;
    return flags_parse(table, 3, argv, pos, &npos, err, errlen);
}

/* FLAG_INT takes what strtoll(v, &end, 10) takes whole, in int64_t range. */
static void test_int_edges(void **state)
{
    static const struct {
        const char *in;
        int64_t want;
    } good[] = {
        {"0", 0},
        {"-0", 0},
        {"+0", 0},
        {"7", 7},
        {"+42", 42},
        {"-42", -42},
        {"007", 7},
        {" 5", 5},
        {"\t-5", -5},
        {"65535", 65535},
        {"9223372036854775807", INT64_MAX},
        {"-9223372036854775808", INT64_MIN},
        {"-9223372036854775807", -INT64_MAX},
        {"00000000000000000000009223372036854775807", INT64_MAX},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        int64_t v = 12345;
        char err[256] = "";
        if (parse_int(good[i].in, &v, err, sizeof err) != 0)
            fail_msg("'%s' rejected: %s", good[i].in, err);
        if (v != good[i].want)
            fail_msg("'%s' gave %lld, want %lld", good[i].in, (long long)v,
                     (long long)good[i].want);
    }
    static const char *const bad[] = {
        "",  /* empty */
        " ", /* only space */
        "-", /* sign alone */
        "+",
        "+-1", /* two signs */
        "--1",
        "- 1", /* space after the sign */
        "1 ",  /* trailing garbage */
        "12x",
        "x12",
        "0x10", /* base 10 only */
        "1e3",
        "1.5",
        "1,000",
        "9223372036854775808",  /* INT64_MAX + 1 */
        "-9223372036854775809", /* INT64_MIN - 1 */
        "18446744073709551616",
        "99999999999999999999999999",
        "-99999999999999999999999999",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t v = 12345;
        char err[256] = "", want[256];
        if (parse_int(bad[i], &v, err, sizeof err) != -1)
            fail_msg("'%s' accepted as %lld", bad[i], (long long)v);
        snprintf(want, sizeof want, "flag -n: invalid integer '%s'", bad[i]);
        assert_string_equal(err, want);
        assert_int_equal(v, 12345); /* untouched on error */
    }
}

/* The same answers as strtoll on many generated strings near the edges. */
static void test_int_as_strtoll(void **state)
{
    static const char alphabet[] = " \t+-0123456789x.";
    static const char *const stems[] = {"", "9223372036854775", "-9223372036854775",
                                        "922337203685477580", "-922337203685477580"};
    uint64_t rng = 0x243f6a8885a308d3ULL;
    for (int i = 0; i < 20000; i++) {
        char in[48];
        size_t n = (size_t)snprintf(in, sizeof in, "%s", stems[i % 5]);
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t extra = (size_t)(rng >> 60) % 6;
        for (size_t k = 0; k < extra; k++) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            /* mostly digits, some other characters */
            size_t pick = (rng >> 33) % 40;
            in[n++] = pick < 30 ? (char)('0' + pick % 10) : alphabet[pick % (sizeof alphabet - 1)];
        }
        in[n] = '\0';
        errno = 0;
        char *end;
        long long want = strtoll(in, &end, 10);
        bool ok = !errno && end != in && !*end;
        int64_t v = 0;
        char err[256];
        int rc = parse_int(in, &v, err, sizeof err);
        if (rc != (ok ? 0 : -1))
            fail_msg("'%s': strtoll %s it, flags %s it", in, ok ? "takes" : "rejects",
                     rc ? "rejects" : "takes");
        if (ok && v != want) fail_msg("'%s': %lld, strtoll %lld", in, (long long)v, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_parse),
                                       cmocka_unit_test(test_int_edges),
                                       cmocka_unit_test(test_int_as_strtoll)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
