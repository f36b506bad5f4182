/* lazy_jansson.c: the jansson functions meshperf calls, loaded on first use
 * (see lazy.h). libjansson.so.4 is dlopen()ed the first time any of them is
 * called and never unloaded, so `meshperf serve`, which parses no JSON
 * until a REST request arrives, does not map it (issue #3).
 *
 * To add a function: add one line to LAZY_JANSSON_FUNCTIONS with the
 * prototype from <jansson.h>; the compiler rejects a wrong one.
 * jansson.h's inline functions need no entry of their own, only the
 * functions they call: json_decref calls json_delete, json_object_set calls
 * json_object_set_new, json_array_append calls json_array_append_new,
 * json_object_foreach calls the json_object_iter* functions. The variadic
 * json_pack is written out below the list: it calls the library's
 * json_vpack_ex, as jansson's own json_pack does. A library that cannot be loaded is one line on
 * stderr and exit 1 (EXIT_FAILED), as for the other lazy libraries. */
#include <jansson.h>
#include <stdarg.h>

#include "lazy.h"

static struct lazy_lib lazy_jansson_lib = LAZY_LIB_INIT("libjansson.so.4", "libjansson4", NULL);
#define LAZY_LIB lazy_jansson_lib

/* clang-format off */
#define LAZY_JANSSON_FUNCTIONS(LAZY_FN, LAZY_VOID, LAZY_CLEANUP) \
    LAZY_FN(json_t *, json_object, (void), ()) \
    LAZY_FN(json_t *, json_array, (void), ()) \
    LAZY_FN(json_t *, json_string, (const char *value), (value)) \
    LAZY_FN(json_t *, json_integer, (json_int_t value), (value)) \
    LAZY_FN(json_t *, json_real, (double value), (value)) \
    LAZY_FN(json_t *, json_true, (void), ()) \
    LAZY_FN(json_t *, json_false, (void), ()) \
    LAZY_FN(json_t *, json_null, (void), ()) \
    LAZY_CLEANUP(json_delete, (json_t *json), (json)) \
    LAZY_FN(size_t, json_object_size, (const json_t *object), (object)) \
    LAZY_FN(json_t *, json_object_get, (const json_t *object, const char *key), (object, key)) \
    LAZY_FN(int, json_object_set_new, (json_t *object, const char *key, json_t *value), \
            (object, key, value)) \
    LAZY_FN(void *, json_object_iter, (json_t *object), (object)) \
    LAZY_FN(void *, json_object_key_to_iter, (const char *key), (key)) \
    LAZY_FN(void *, json_object_iter_next, (json_t *object, void *iter), (object, iter)) \
    LAZY_FN(const char *, json_object_iter_key, (void *iter), (iter)) \
    LAZY_FN(json_t *, json_object_iter_value, (void *iter), (iter)) \
    LAZY_FN(size_t, json_array_size, (const json_t *array), (array)) \
    LAZY_FN(json_t *, json_array_get, (const json_t *array, size_t index), (array, index)) \
    LAZY_FN(int, json_array_append_new, (json_t *array, json_t *value), (array, value)) \
    LAZY_FN(const char *, json_string_value, (const json_t *string), (string)) \
    LAZY_FN(json_int_t, json_integer_value, (const json_t *integer), (integer)) \
    LAZY_FN(double, json_real_value, (const json_t *real), (real)) \
    LAZY_FN(double, json_number_value, (const json_t *json), (json)) \
    LAZY_FN(json_t *, json_loads, (const char *input, size_t flags, json_error_t *error), \
            (input, flags, error)) \
    LAZY_FN(json_t *, json_loadb, (const char *buffer, size_t buflen, size_t flags, \
            json_error_t *error), (buffer, buflen, flags, error)) \
    LAZY_FN(json_t *, json_load_file, (const char *path, size_t flags, json_error_t *error), \
            (path, flags, error)) \
    LAZY_FN(char *, json_dumps, (const json_t *json, size_t flags), (json, flags))
/* clang-format on */

LAZY_JANSSON_FUNCTIONS(LAZY_DEFINE_FN, LAZY_DEFINE_VOID, LAZY_DEFINE_CLEANUP)

/* As jansson's own json_pack: json_vpack_ex without an error report. */
LAZY_HIDDEN json_t *(json_pack)(const char *fmt, ...)
{
    static void *_Atomic slot;
    json_t *(*f)(json_error_t *, size_t, const char *, va_list) =
        (json_t * (*)(json_error_t *, size_t, const char *, va_list))
            lazy_fn(&LAZY_LIB, "json_vpack_ex", &slot);
    va_list ap;
    va_start(ap, fmt);
    json_t *v = f(NULL, 0, fmt, ap);
    va_end(ap);
    return v;
}

int lazy_jansson_check(char *err, size_t errlen)
{
    static const char *const names[] = {
        LAZY_JANSSON_FUNCTIONS(LAZY_NAME_FN, LAZY_NAME_VOID, LAZY_NAME_VOID) "json_pack",
        "json_vpack_ex", NULL};
    return lazy_check_names(&LAZY_LIB, names, err, errlen);
}

bool lazy_jansson_loaded(void)
{
    return lazy_loaded(&LAZY_LIB);
}
