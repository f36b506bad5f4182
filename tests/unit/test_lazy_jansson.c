/* Unit tests for lazy_jansson.c: libjansson is neither linked nor loaded
 * until a jansson function is first called (json_decref of NULL loads
 * nothing), every listed name exists in the real library, and values go
 * through the wrappers intact: json_pack's variadic arguments (via
 * json_vpack_ex), json_int_t and double, the inline json_object_set /
 * json_decref and json_object_foreach, parse errors with line:column. The
 * tests run in order in one process (the first needs nothing loaded). */
#include "cm.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lazy.h"
#include "maps.h"


static void test_not_loaded_before_use(void **state)
{
    json_decref(NULL);
    assert_false(lazy_jansson_loaded());
    if (maps_has("/libjansson.so"))
        fail_msg("libjansson is mapped before any use: the binary links it (the Makefile must "
                 "not link jansson; see src/lazy.h)");
}

static void test_values_through_wrappers(void **state)
{
    json_t *o = json_pack("{s:s, s:I, s:f, s:[i,b], s:o}", "name", "meshperf", "big",
                          (json_int_t)9007199254740993LL, "ratio", 0.25, "list", 7, 1, "null",
                          json_null());
    assert_true(lazy_jansson_loaded());
    assert_true(maps_has("/libjansson.so"));
    assert_non_null(o);
    assert_int_equal(json_object_size(o), 5);
    assert_string_equal(json_string_value(json_object_get(o, "name")), "meshperf");
    assert_true(json_integer_value(json_object_get(o, "big")) == 9007199254740993LL);
    assert_true(json_real_value(json_object_get(o, "ratio")) == 0.25);
    assert_true(json_number_value(json_object_get(o, "ratio")) == 0.25);
    json_t *list = json_object_get(o, "list");
    assert_int_equal(json_array_size(list), 2);
    assert_int_equal(json_integer_value(json_array_get(list, 0)), 7);
    assert_true(json_is_true(json_array_get(list, 1)));
    assert_true(json_is_null(json_object_get(o, "null")));

    json_t *s = json_string("shared");
    assert_int_equal(json_object_set(o, "s", s), 0); /* inline: increfs, then set_new */
    assert_int_equal(json_array_append_new(list, json_real(-1.5)), 0);
    assert_int_equal(json_array_append_new(list, json_false()), 0);
    assert_int_equal(json_array_append_new(list, json_array()), 0);
    json_decref(s);
    size_t n = 0;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) n += key && v;
    assert_int_equal(n, 6);

    char *text = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
    assert_non_null(text);
    assert_string_equal(text,
                        "{\"big\":9007199254740993,\"list\":[7,true,-1.5,false,[]],"
                        "\"name\":\"meshperf\",\"null\":null,\"ratio\":0.25,\"s\":\"shared\"}");
    json_error_t e;
    json_t *back = json_loadb(text, strlen(text), 0, &e);
    assert_non_null(back);
    assert_int_equal(json_integer_value(json_object_get(back, "big")), 9007199254740993LL);
    json_decref(back);
    free(text);
    json_decref(o);

    json_t *one = json_loads("{\"a\": 1}", 0, &e);
    assert_non_null(one);
    assert_int_equal(json_integer_value(json_object_get(one, "a")), 1);
    json_decref(one);
    assert_null(json_loads("{\"a\":\n  tru}", 0, &e));
    assert_int_equal(e.line, 2);
    assert_null(json_load_file("/nonexistent/meshperf.json", 0, &e));
    assert_non_null(strstr(e.text, "unable to open"));
    json_t *obj = json_object();
    assert_int_equal(json_object_set_new(obj, "k", json_integer(3)), 0);
    assert_int_equal(json_object_size(obj), 1);
    json_decref(obj);
    /* a bad format is NULL, not a crash */
    assert_null(json_pack("{s:}", "k"));
}

static void test_every_name_exists(void **state)
{
    char err[256] = "";
    if (lazy_jansson_check(err, sizeof err) != 0) fail_msg("%s", err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_loaded_before_use),
        cmocka_unit_test(test_values_through_wrappers),
        cmocka_unit_test(test_every_name_exists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
