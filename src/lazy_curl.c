/* lazy_curl.c: the libcurl functions meshperf calls, loaded on first use
 * (see lazy.h). libcurl.so.4 is dlopen()ed the first time any of them is
 * called and never unloaded.
 *
 * To add a function: add one line to LAZY_CURL_FUNCTIONS with the prototype
 * from <curl/curl.h>; the compiler rejects a wrong one. Variadic functions
 * (curl_easy_setopt, curl_easy_getinfo) are written out below the list. */
#include <curl/curl.h>
#include <stdarg.h>

#include "lazy.h"

static struct lazy_lib lazy_curl_lib = LAZY_LIB_INIT("libcurl.so.4", "libcurl4", NULL);
#define LAZY_LIB lazy_curl_lib

/* clang-format off */
#define LAZY_CURL_FUNCTIONS(LAZY_FN, LAZY_VOID, LAZY_CLEANUP) \
    LAZY_FN(CURLcode, curl_global_init, (long flags), (flags)) \
    LAZY_CLEANUP(curl_global_cleanup, (void), ()) \
    LAZY_FN(CURL *, curl_easy_init, (void), ()) \
    LAZY_FN(CURLcode, curl_easy_perform, (CURL *curl), (curl)) \
    LAZY_CLEANUP(curl_easy_cleanup, (CURL *curl), (curl)) \
    LAZY_FN(const char *, curl_easy_strerror, (CURLcode code), (code)) \
    LAZY_FN(char *, curl_easy_escape, (CURL *handle, const char *string, int length), \
            (handle, string, length)) \
    LAZY_CLEANUP(curl_free, (void *p), (p))
/* clang-format on */

LAZY_CURL_FUNCTIONS(LAZY_DEFINE_FN, LAZY_DEFINE_VOID, LAZY_DEFINE_CLEANUP)

/* The option's number says the type of its argument (curl.h: CURLOPTTYPE_*
 * ranges of 10000); take it as that type and pass it on, as curl itself
 * reads it. */
LAZY_HIDDEN CURLcode(curl_easy_setopt)(CURL *curl, CURLoption option, ...)
{
    static void *_Atomic slot;
    CURLcode (*f)(CURL *, CURLoption, ...) =
        (CURLcode(*)(CURL *, CURLoption, ...))lazy_fn(&LAZY_LIB, "curl_easy_setopt", &slot);
    va_list ap;
    va_start(ap, option);
    CURLcode rc;
    if (option < CURLOPTTYPE_OBJECTPOINT)
        rc = f(curl, option, va_arg(ap, long));
    else if (option < CURLOPTTYPE_FUNCTIONPOINT)
        rc = f(curl, option, va_arg(ap, void *));
    else if (option < CURLOPTTYPE_OFF_T)
        rc = f(curl, option, va_arg(ap, void (*)(void)));
    else if (option < CURLOPTTYPE_BLOB)
        rc = f(curl, option, va_arg(ap, curl_off_t));
    else
        rc = f(curl, option, va_arg(ap, void *)); /* struct curl_blob * */
    va_end(ap);
    return rc;
}

/* Every CURLINFO_* takes a pointer to where the answer goes. */
LAZY_HIDDEN CURLcode(curl_easy_getinfo)(CURL *curl, CURLINFO info, ...)
{
    static void *_Atomic slot;
    CURLcode (*f)(CURL *, CURLINFO, ...) =
        (CURLcode(*)(CURL *, CURLINFO, ...))lazy_fn(&LAZY_LIB, "curl_easy_getinfo", &slot);
    va_list ap;
    va_start(ap, info);
    void *out = va_arg(ap, void *);
    va_end(ap);
    return f(curl, info, out);
}

int lazy_curl_check(char *err, size_t errlen)
{
    static const char *const names[] = {
        LAZY_CURL_FUNCTIONS(LAZY_NAME_FN, LAZY_NAME_VOID, LAZY_NAME_VOID) "curl_easy_setopt",
        "curl_easy_getinfo", NULL};
    return lazy_check_names(&LAZY_LIB, names, err, errlen);
}

bool lazy_curl_loaded(void)
{
    return lazy_loaded(&LAZY_LIB);
}
