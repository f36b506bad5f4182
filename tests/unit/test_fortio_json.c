/* Unit tests for fortio_json.c: field names, JSON types and histogram
 * buckets of the Fortio result, from a hand-made loadgen result. */
#include "cm.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "load/fortio_json.h"
#include "load/hist.h"

static struct loadgen_result *make_result(void)
{
    struct loadgen_result *r = calloc(1, sizeof *r);
    r->latency = hist_new(1, 3600000000LL, 3);
    r->latency_uncorrected = hist_new(1, 3600000000LL, 3);
    r->errors_latency = hist_new(1, 3600000000LL, 3);
    r->lateness = hist_new(1, 3600000000LL, 3);
    r->sizes = hist_new(1, 1LL << 40, 3);
    r->header_sizes = hist_new(1, 1LL << 40, 3);
    /* 90 requests at 10.2 ms, 9 at 15 ms, 1 at 250 ms (us). */
    hist_record_n(r->latency, 10200, 90);
    hist_record_n(r->latency, 15000, 9);
    hist_record(r->latency, 250000);
    hist_record_n(r->latency_uncorrected, 10100, 100);
    hist_record_n(r->sizes, 413, 100);
    hist_record_n(r->header_sizes, 230, 100);
    hist_record(r->lateness, 240000);
    r->late = 1;
    r->start_wall_ns = 1700000000123456789LL;
    r->duration_us = 5000100;
    r->requests = 100;
    r->actual_qps = 100 / 5.0001;
    r->codes = calloc(2, sizeof *r->codes);
    r->codes[0] = (struct loadgen_code){-1, 3};
    r->codes[1] = (struct loadgen_code){200, 97};
    r->ncodes = 2;
    r->sockets = 4;
    r->threads = 2;
    r->connections = 4;
    return r;
}

static json_t *render(const struct loadgen_opts *o, const struct loadgen_result *r)
{
    char *s = fortio_json_result(o, r, 2);
    assert_non_null(s);
    json_error_t e;
    json_t *j = json_loads(s, 0, &e);
    free(s);
    assert_non_null(j);
    return j;
}

static void test_fields_and_types(void **state)
{
    struct loadgen_opts o;
    loadgen_opts_init(&o);
    o.url = "http://127.0.0.1:8080/x";
    o.qps = 1000;
    o.labels = "a b!c";
    struct loadgen_result *r = make_result();
    json_t *j = render(&o, r);
    assert_string_equal(json_string_value(json_object_get(j, "RunType")), "HTTP");
    assert_string_equal(json_string_value(json_object_get(j, "Labels")), "a b!c");
    assert_string_equal(json_string_value(json_object_get(j, "StartTime")),
                        "2023-11-14T22:13:20.123456789Z");
    assert_string_equal(json_string_value(json_object_get(j, "RequestedQPS")), "1000");
    assert_string_equal(json_string_value(json_object_get(j, "RequestedDuration")), "5s");
    assert_true(json_is_number(json_object_get(j, "ActualQPS")));
    assert_true(json_is_integer(json_object_get(j, "ActualDuration")));
    assert_int_equal(json_integer_value(json_object_get(j, "ActualDuration")), 5000100000LL);
    assert_int_equal(json_integer_value(json_object_get(j, "NumThreads")), 4);
    assert_int_equal(json_integer_value(json_object_get(j, "SocketCount")), 4);
    assert_string_equal(json_string_value(json_object_get(j, "URL")), o.url);
    json_t *codes = json_object_get(j, "RetCodes");
    assert_int_equal(json_integer_value(json_object_get(codes, "-1")), 3);
    assert_int_equal(json_integer_value(json_object_get(codes, "200")), 97);
    const char *id = json_string_value(json_object_get(j, "ID"));
    assert_non_null(id);
    assert_non_null(strstr(id, "_a_b_c"));

    json_t *h = json_object_get(j, "DurationHistogram");
    assert_int_equal(json_integer_value(json_object_get(h, "Count")), 100);
    assert_float_equal(json_number_value(json_object_get(h, "Min")), 0.0102, 1e-9);
    assert_float_equal(json_number_value(json_object_get(h, "Max")), 0.25, 1e-9);
    json_t *data = json_object_get(h, "Data");
    assert_true(json_is_array(data));
    /* Fortio buckets: ]10,11] ms, ]14,16] ms, ]200,250] ms. */
    assert_int_equal(json_array_size(data), 3);
    json_t *b0 = json_array_get(data, 0), *b2 = json_array_get(data, 2);
    assert_float_equal(json_number_value(json_object_get(b0, "Start")), 0.0102, 1e-9);
    assert_float_equal(json_number_value(json_object_get(b0, "End")), 0.011, 1e-9);
    assert_float_equal(json_number_value(json_object_get(b0, "Percent")), 90, 1e-9);
    assert_int_equal(json_integer_value(json_object_get(b0, "Count")), 90);
    assert_float_equal(json_number_value(json_object_get(json_array_get(data, 1), "Start")), 0.014,
                       1e-9);
    assert_float_equal(json_number_value(json_object_get(b2, "Start")), 0.2, 1e-9);
    assert_float_equal(json_number_value(json_object_get(b2, "End")), 0.25, 1e-9);
    assert_float_equal(json_number_value(json_object_get(b2, "Percent")), 100, 1e-9);
    json_t *ps = json_object_get(h, "Percentiles");
    assert_int_equal(json_array_size(ps), 5);
    json_t *p50 = json_array_get(ps, 0), *p99 = json_array_get(ps, 3);
    assert_float_equal(json_number_value(json_object_get(p50, "Percentile")), 50, 0);
    assert_float_equal(json_number_value(json_object_get(p50, "Value")), 0.0102, 0.0102 * 0.001);
    assert_float_equal(json_number_value(json_object_get(p99, "Value")), 0.015, 0.015 * 0.001);

    json_t *e = json_object_get(j, "ErrorsDurationHistogram");
    assert_int_equal(json_integer_value(json_object_get(e, "Count")), 0);
    assert_true(json_is_null(json_object_get(e, "Data")));
    json_t *sz = json_object_get(j, "Sizes");
    assert_null(json_object_get(sz, "Percentiles"));
    json_t *sd = json_array_get(json_object_get(sz, "Data"), 0);
    assert_float_equal(json_number_value(json_object_get(sd, "Start")), 413, 0);
    assert_float_equal(json_number_value(json_object_get(sd, "End")), 413, 0);
    json_t *late = json_object_get(j, "MeshperfLate");
    assert_int_equal(json_integer_value(json_object_get(late, "Count")), 1);
    assert_true(json_is_object(json_object_get(j, "MeshperfUncorrectedHistogram")));
    json_decref(j);
    loadgen_result_free(r);
}

static void test_requested_strings(void **state)
{
    struct loadgen_opts o;
    loadgen_opts_init(&o);
    o.url = "http://x/";
    o.qps = 0;
    o.count = 100;
    struct loadgen_result *r = make_result();
    json_t *j = render(&o, r);
    assert_string_equal(json_string_value(json_object_get(j, "RequestedQPS")), "max");
    assert_string_equal(json_string_value(json_object_get(j, "RequestedDuration")),
                        "exactly 100 calls");
    assert_int_equal(json_integer_value(json_object_get(j, "Exactly")), 100);
    json_decref(j);
    o.count = 0;
    o.duration_us = 0;
    o.qps = 12.5;
    j = render(&o, r);
    assert_string_equal(json_string_value(json_object_get(j, "RequestedQPS")), "12.5");
    assert_string_equal(json_string_value(json_object_get(j, "RequestedDuration")), "until stop");
    json_decref(j);
    loadgen_result_free(r);
}

/* Credentials in the URL (never used for auth) do not reach the JSON; a
 * long URL is kept whole. */
static void test_url_redacted(void **state)
{
    struct loadgen_opts o;
    loadgen_opts_init(&o);
    o.url = "http://alice:pa55word@127.0.0.1:8080/x?y=1";
    struct loadgen_result *r = make_result();
    char *s = fortio_json_result(&o, r, 0);
    assert_non_null(s);
    assert_null(strstr(s, "pa55word"));
    json_t *j = json_loads(s, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "URL")),
                        "http://***@127.0.0.1:8080/x?y=1");
    json_decref(j);
    free(s);
    char *longurl = malloc(8300);
    assert_non_null(longurl);
    memcpy(longurl, "http://h/", 9);
    memset(longurl + 9, 'a', 8200);
    longurl[8209] = '\0';
    o.url = longurl;
    j = render(&o, r);
    assert_string_equal(json_string_value(json_object_get(j, "URL")), longurl);
    json_decref(j);
    free(longurl);
    loadgen_result_free(r);
}

static void test_go_duration(void **state)
{
    static const struct {
        int64_t us;
        const char *s;
    } c[] = {{0, "0s"},
             {5000000, "5s"},
             {60000000, "1m0s"},
             {90000000, "1m30s"},
             {3600000000LL, "1h0m0s"},
             {1500000, "1.5s"},
             {500000, "500ms"},
             {1500, "1.5ms"},
             {250, "250\xc2\xb5s"},
             {3723000001LL, "1h2m3.000001s"}};
    char b[32];
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        assert_string_equal(fortio_json_go_duration(c[i].us, b, sizeof b), c[i].s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_and_types),
        cmocka_unit_test(test_requested_strings),
        cmocka_unit_test(test_url_redacted),
        cmocka_unit_test(test_go_duration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
