/* Unit tests for lazy.c, lazy_curl.c, lazy_cairo.c, lazy_ssl.c: nothing is
 * loaded until first use (and destructors never load), a missing library or
 * function is one line and exit 1, the first use from many threads at once
 * is safe, every listed name exists in the real library, and arguments
 * arrive intact through the wrappers: curl_easy_setopt's four argument
 * types, curl_easy_getinfo's pointers, OpenSSL's ctrl macros and variadic
 * EVP_PKEY_Q_keygen, cairo's doubles. The tests run in order in one process
 * (the first ones need nothing loaded yet). */
#include "cm.h"

#include <cairo.h>
#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lazy.h"
#include "maps.h"


static void test_nothing_loaded_at_start(void **state)
{
    assert_false(lazy_curl_loaded());
    assert_false(lazy_cairo_loaded());
    assert_false(lazy_ssl_loaded());
    assert_false(lazy_crypto_loaded());
    static const char *const libs[] = {"/libcurl.so", "/libcairo.so", "/libssl.so", "/libcrypto.so"};
    for (size_t i = 0; i < sizeof libs / sizeof *libs; i++)
        if (maps_has(libs[i]))
            fail_msg("%s is mapped before any use: the binary links it (the Makefile must not "
                     "link curl, cairo, ssl or crypto; see src/lazy.h)", libs[i] + 1);
    assert_null(lazy_cairo_sym("FcFini"));
}

static void test_destructors_do_not_load(void **state)
{
    curl_easy_cleanup(NULL);
    curl_free(NULL);
    curl_global_cleanup();
    cairo_surface_destroy(NULL);
    cairo_destroy(NULL);
    cairo_debug_reset_static_data();
    SSL_free(NULL);
    SSL_CTX_free(NULL);
    X509_free(NULL);
    EVP_PKEY_free(NULL);
    ERR_clear_error();
    assert_false(lazy_curl_loaded());
    assert_false(lazy_cairo_loaded());
    assert_false(lazy_ssl_loaded());
    assert_false(lazy_crypto_loaded());
    if (maps_has("/libcrypto.so")) fail_msg("a destructor loaded libcrypto (or the binary links it)");
}

/* Run fn in a child with stderr on a pipe; return its exit status and what
 * it wrote in out. */
static int in_child(void (*fn)(void), char *out, size_t outlen)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 2);
        fn();
        _exit(99); /* not reached: fn must exit */
    }
    close(p[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < outlen && (r = read(p[0], out + n, outlen - 1 - n)) > 0) n += (size_t)r;
    out[n] = '\0';
    close(p[0]);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void load_missing_lib(void)
{
    static struct lazy_lib bogus = LAZY_LIB_INIT("libmeshperf-none.so.9", "meshperf-none", NULL);
    lazy_load(&bogus);
}

static void resolve_missing_fn(void)
{
    static struct lazy_lib libc = LAZY_LIB_INIT("libc.so.6", "libc6", NULL);
    static void *_Atomic slot;
    lazy_resolve(&libc, "meshperf_no_such_function", &slot);
}

static void test_failure_is_one_line_and_exit_1(void **state)
{
    char out[1024];
    assert_int_equal(in_child(load_missing_lib, out, sizeof out), 1);
    if (strncmp(out, "meshperf: cannot load libmeshperf-none.so.9: ", 45) != 0 ||
        !strstr(out, "libmeshperf-none.so.9: cannot open shared object file") ||
        !strstr(out, " (install the Debian package meshperf-none)\n"))
        fail_msg("unexpected message: %s", out);
    assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);

    assert_int_equal(in_child(resolve_missing_fn, out, sizeof out), 1);
    if (strncmp(out, "meshperf: no function meshperf_no_such_function in libc.so.6: ", 62) != 0 ||
        !strstr(out, " (install the Debian package libc6)\n"))
        fail_msg("unexpected message: %s", out);
    assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
}

#define NTHREADS 8
static pthread_barrier_t start_line;

static void *first_use(void *arg)
{
    pthread_barrier_wait(&start_line);
    *(const char **)arg = curl_easy_strerror(CURLE_OK);
    return NULL;
}

/* The first call of a library's function from many threads at once: all get
 * the real answer (one dlopen, one resolved address). */
static void test_first_use_from_threads(void **state)
{
    assert_false(lazy_curl_loaded());
    pthread_t t[NTHREADS];
    const char *got[NTHREADS] = {0};
    pthread_barrier_init(&start_line, NULL, NTHREADS);
    for (int i = 0; i < NTHREADS; i++) assert_int_equal(pthread_create(&t[i], NULL, first_use, &got[i]), 0);
    for (int i = 0; i < NTHREADS; i++) pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start_line);
    for (int i = 0; i < NTHREADS; i++) {
        assert_non_null(got[i]);
        assert_string_equal(got[i], "No error");
        assert_ptr_equal(got[i], got[0]);
    }
    assert_true(lazy_curl_loaded());
    assert_false(lazy_cairo_loaded());
    assert_false(lazy_ssl_loaded());
}

struct sink {
    size_t bytes;
    int calls;
};

static size_t sink_write(char *p, size_t size, size_t n, void *ud)
{
    struct sink *s = ud;
    s->bytes += size * n;
    s->calls++;
    return size * n;
}

/* One option of each argument type, each with a visible effect, over
 * file:// (no network): objectpoint (URL, WRITEDATA), functionpoint
 * (WRITEFUNCTION), long (NOBODY), off_t (RESUME_FROM_LARGE), blob. */
static void test_curl_setopt_types(void **state)
{
    char path[] = "/tmp/meshperf-lazy-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    char data[1000];
    memset(data, 'x', sizeof data);
    assert_int_equal(write(fd, data, sizeof data), (ssize_t)sizeof data);
    close(fd);
    char url[64];
    snprintf(url, sizeof url, "file://%s", path);

    CURL *h = curl_easy_init();
    assert_non_null(h);
    struct sink s = {0};
    assert_int_equal(curl_easy_setopt(h, CURLOPT_URL, url), CURLE_OK);
    assert_int_equal(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write), CURLE_OK);
    assert_int_equal(curl_easy_setopt(h, CURLOPT_WRITEDATA, &s), CURLE_OK);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    assert_int_equal(s.bytes, sizeof data);

    char *eff = NULL;
    curl_off_t got = -1;
    assert_int_equal(curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff), CURLE_OK);
    assert_non_null(eff);
    assert_string_equal(eff, url);
    assert_int_equal(curl_easy_getinfo(h, CURLINFO_SIZE_DOWNLOAD_T, &got), CURLE_OK);
    assert_int_equal(got, (curl_off_t)sizeof data);

    s = (struct sink){0};
    assert_int_equal(curl_easy_setopt(h, CURLOPT_NOBODY, 1L), CURLE_OK);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    assert_int_equal(s.bytes, 0);
    assert_int_equal(curl_easy_setopt(h, CURLOPT_NOBODY, 0L), CURLE_OK);

    s = (struct sink){0};
    assert_int_equal(curl_easy_setopt(h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)900), CURLE_OK);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    assert_int_equal(s.bytes, 100);
    assert_int_equal(curl_easy_setopt(h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)0), CURLE_OK);

    struct curl_blob blob = {.data = (void *)"", .len = 0, .flags = CURL_BLOB_COPY};
    assert_int_equal(curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob), CURLE_OK);

    char *esc = curl_easy_escape(h, "a b/c", 0);
    assert_string_equal(esc, "a%20b%2Fc");
    curl_free(esc);
    curl_easy_cleanup(h);
    unlink(path);
}

/* Macros over SSL_CTX_ctrl / SSL_ctrl, errors, and the variadic keygen. */
static void test_ssl_macros_errors_keygen(void **state)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(ctx);
    assert_true(lazy_ssl_loaded());
    assert_true(lazy_crypto_loaded());
    assert_int_equal(SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION), 1);
    assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
    long mode = SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE);
    assert_true(mode & SSL_MODE_ENABLE_PARTIAL_WRITE);
    SSL *ssl = SSL_new(ctx);
    assert_non_null(ssl);
    assert_int_equal(SSL_set_tlsext_host_name(ssl, "example.test"), 1);
    SSL_free(ssl);

    ERR_clear_error();
    assert_int_equal(SSL_CTX_use_certificate_chain_file(ctx, "/nonexistent/meshperf.pem"), 0);
    unsigned long e = ERR_peek_error();
    assert_true(e != 0);
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    assert_non_null(strstr(buf, "error:"));
    ERR_clear_error();
    assert_int_equal(ERR_peek_error(), 0);
    SSL_CTX_free(ctx);

    EVP_PKEY *ec = EVP_EC_gen("P-256");
    assert_non_null(ec);
    assert_int_equal(EVP_PKEY_get_bits(ec), 256);
    EVP_PKEY_free(ec);
    EVP_PKEY *rsa = EVP_RSA_gen(1024);
    assert_non_null(rsa);
    assert_int_equal(EVP_PKEY_get_bits(rsa), 1024);
    EVP_PKEY_free(rsa);
}

/* Doubles and enums through the wrappers: a red square on a 4x4 image. */
static void test_cairo_draws(void **state)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 4, 4);
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1.0, 0.0, 0.0);
    cairo_rectangle(cr, 0, 0, 2, 4);
    cairo_fill(cr);
    assert_int_equal(cairo_status(cr), CAIRO_STATUS_SUCCESS);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    const uint32_t *px = (const uint32_t *)cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s) / 4;
    assert_int_equal(px[0], 0xffff0000u);
    assert_int_equal(px[3 * stride + 1], 0xffff0000u);
    assert_int_equal(px[3 * stride + 3], 0);
    cairo_surface_destroy(s);
    assert_string_equal(cairo_status_to_string(CAIRO_STATUS_NO_MEMORY), "out of memory");
    /* fontconfig came with cairo and is found through it */
    assert_non_null(lazy_cairo_sym("FcFini"));
    cairo_debug_reset_static_data();
}

/* Every name in the lists is a function the real library has. */
static void test_lists_resolve(void **state)
{
    char err[256] = "";
    if (lazy_curl_check(err, sizeof err) != 0) fail_msg("%s", err);
    if (lazy_cairo_check(err, sizeof err) != 0) fail_msg("%s", err);
    if (lazy_ssl_check(err, sizeof err) != 0) fail_msg("%s", err);
    assert_true(lazy_curl_loaded() && lazy_cairo_loaded() && lazy_ssl_loaded() && lazy_crypto_loaded());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_loaded_at_start),
        cmocka_unit_test(test_destructors_do_not_load),
        cmocka_unit_test(test_failure_is_one_line_and_exit_1),
        cmocka_unit_test(test_first_use_from_threads),
        cmocka_unit_test(test_curl_setopt_types),
        cmocka_unit_test(test_ssl_macros_errors_keygen),
        cmocka_unit_test(test_cairo_draws),
        cmocka_unit_test(test_lists_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
