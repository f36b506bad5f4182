/* lazy.h: load a shared library on first use, and forward to its functions.
 *
 * meshperf does not link libcurl, cairo, OpenSSL or jansson. lazy_curl.c,
 * lazy_cairo.c, lazy_ssl.c and lazy_jansson.c define the functions of those
 * libraries that the project calls, with the real names and prototypes (they
 * include the real headers, so the compiler checks every prototype), and
 * each definition forwards to the real function: on the first call to any
 * of a library's functions the library is dlopen()ed (RTLD_NOW |
 * RTLD_LOCAL, by soname, never dlclose()d), and on the first call to each
 * function its address is found with dlsym() and kept in an atomic slot.
 * After that a call costs one load and one indirect call. So `meshperf
 * serve`, which needs none of them unless it runs an https load, talks TLS
 * or answers a REST request, does not map the ~50 shared objects they pull
 * in (issue #3: idle RSS <= 2 MiB).
 *
 * A library that cannot be loaded (or lacks a function) is fatal: one line
 * on stderr naming the soname, dlerror() and the Debian package, exit(1).
 * These are hard package dependencies, so that means a broken install.
 *
 * Each lazy_<lib>.c holds one X-macro list of its functions:
 *   LAZY_FN(ret, name, (params), (args))   a function returning ret
 *   LAZY_VOID(name, (params), (args))      a function returning void
 *   LAZY_CLEANUP(name, (params), (args))   a void function that does
 *       nothing if the library was never loaded: destructors and global
 *       cleanups. Nothing of a library's can exist before it is loaded, and
 *       destructors take NULL, so `free(NULL)` must not load ~50 objects.
 * Variadic functions are written by hand next to the list.
 * scripts/lazy-check.sh lists the functions the code calls that are not in
 * a list yet. */
#ifndef MESHPERF_LAZY_H
#define MESHPERF_LAZY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/* One library. Static storage; initialise with LAZY_LIB_INIT. */
struct lazy_lib {
    const char *soname;   /* "libcurl.so.4" */
    const char *package;  /* Debian package that ships it, for the error line */
    struct lazy_lib *needs; /* loaded first, or NULL (libssl needs libcrypto) */
    void *_Atomic handle;   /* NULL until loaded; never reset */
};
#define LAZY_LIB_INIT(soname, package, needs) {(soname), (package), (needs), NULL}

/* The handle of lib, loading it (after lib->needs) on first use; thread-safe,
 * exactly one dlopen per library. Never returns NULL: on failure prints
 * "meshperf: cannot load SONAME: DLERROR (install the Debian package PKG)"
 * to stderr and exits 1. */
void *lazy_load(struct lazy_lib *lib);

/* The address of function name in lib (and its dependencies), loading lib
 * first if needed. Never returns NULL (exits 1 like lazy_load). */
void *lazy_resolve(struct lazy_lib *lib, const char *name, void *_Atomic *slot);

/* True if lib has been loaded in this process. */
bool lazy_loaded(struct lazy_lib *lib);

/* Symbol name from lib or the libraries it pulled in, or NULL if lib is not
 * loaded (this never loads it) or has no such symbol. */
void *lazy_sym_if_loaded(struct lazy_lib *lib, const char *name);

/* Check that every name in the NULL-terminated names exists in lib (loading
 * it). 0, or -1 with one line in err naming the first missing symbol. */
int lazy_check_names(struct lazy_lib *lib, const char *const *names, char *err, size_t errlen);

/* The fast path: the cached address, else resolve it. */
static inline void *lazy_fn(struct lazy_lib *lib, const char *name, void *_Atomic *slot)
{
    void *f = atomic_load_explicit(slot, memory_order_acquire);
    return f ? f : lazy_resolve(lib, name, slot);
}

/* The wrappers are hidden: the executable's own code links to them, but
 * they never enter its dynamic symbol table, so they can never interpose on
 * the libraries' calls to each other (libssl calling X509_free must reach
 * libcrypto, not a wrapper) even if something linked later made the linker
 * export them (-rdynamic, or a library on the link line that calls them). */
#define LAZY_HIDDEN __attribute__((visibility("hidden")))

/* Definitions generated from a list; LAZY_LIB names the file's struct
 * lazy_lib. The function name is parenthesised so that a function-like macro
 * of the same name in the real header (curl's typecheck-gcc.h) is not
 * expanded. */
#define LAZY_DEFINE_FN(ret, name, params, args)                                         \
    LAZY_HIDDEN ret(name) params                                                        \
    {                                                                                   \
        static void *_Atomic slot;                                                      \
        return ((ret(*) params)lazy_fn(&LAZY_LIB, #name, &slot))args;                   \
    }
#define LAZY_DEFINE_VOID(name, params, args)                                            \
    LAZY_HIDDEN void(name) params                                                       \
    {                                                                                   \
        static void *_Atomic slot;                                                      \
        ((void(*) params)lazy_fn(&LAZY_LIB, #name, &slot))args;                         \
    }
#define LAZY_DEFINE_CLEANUP(name, params, args)                                         \
    LAZY_HIDDEN void(name) params                                                       \
    {                                                                                   \
        static void *_Atomic slot;                                                      \
        if (lazy_loaded(&LAZY_LIB)) ((void(*) params)lazy_fn(&LAZY_LIB, #name, &slot))args; \
    }
/* The names in a list, for lazy_check_names. */
#define LAZY_NAME_FN(ret, name, params, args) #name,
#define LAZY_NAME_VOID(name, params, args) #name,

/* Per library: 0 if it loads and defines every function its list names
 * (and the hand-written variadic ones), else -1 and one line in err. These
 * load the library; they are for tests. */
int lazy_curl_check(char *err, size_t errlen);
int lazy_cairo_check(char *err, size_t errlen);
int lazy_ssl_check(char *err, size_t errlen);
int lazy_jansson_check(char *err, size_t errlen);

/* libm: defined only where src/lazy_m.c is installed (the build that does
 * not link -lm). */
int lazy_m_check(char *err, size_t errlen);
bool lazy_m_loaded(void);

/* True if the library has been loaded (for tests: proves laziness). */
bool lazy_curl_loaded(void);
bool lazy_cairo_loaded(void);
bool lazy_ssl_loaded(void);    /* libssl.so.3 */
bool lazy_crypto_loaded(void); /* libcrypto.so.3 */
bool lazy_jansson_loaded(void); /* libjansson.so.4 (src/lazy_jansson.c) */

/* A symbol of cairo or of a library cairo pulled in (fontconfig's FcFini),
 * or NULL if cairo is not loaded. cairo is loaded RTLD_LOCAL, so
 * dlsym(RTLD_DEFAULT, ...) does not see these. */
void *lazy_cairo_sym(const char *name);

#endif
