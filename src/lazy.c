/* lazy.c: dlopen on first use, dlsym per function (see lazy.h).
 *
 * The fast path is lazy_fn() in lazy.h: an acquire load of the function's
 * slot. The slow path here takes one process-wide mutex so that each
 * library is dlopen()ed once; symbol lookups need no lock (racing threads
 * store the same address). Handles are never dlclose()d: libcurl and
 * OpenSSL register thread-local and atexit state that must outlive any
 * call, and unloading would save nothing. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "errbuf.h"
#include "lazy.h"

static pthread_mutex_t lazy_mu = PTHREAD_MUTEX_INITIALIZER;

static void __attribute__((noreturn)) lazy_die(const char *what, const char *soname, const char *why,
                                               const char *package)
{
    fprintf(stderr, "meshperf: %s%s: %s (install the Debian package %s)\n", what, soname,
            why ? why : "unknown error", package);
    exit(1);
}

void *lazy_load(struct lazy_lib *lib)
{
    void *h = atomic_load_explicit(&lib->handle, memory_order_acquire);
    if (h) return h;
    if (lib->needs) lazy_load(lib->needs);
    pthread_mutex_lock(&lazy_mu);
    h = atomic_load_explicit(&lib->handle, memory_order_relaxed);
    if (!h) {
        h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
        if (!h) lazy_die("cannot load ", lib->soname, dlerror(), lib->package);
        atomic_store_explicit(&lib->handle, h, memory_order_release);
    }
    pthread_mutex_unlock(&lazy_mu);
    return h;
}

void *lazy_resolve(struct lazy_lib *lib, const char *name, void *_Atomic *slot)
{
    void *h = lazy_load(lib);
    dlerror();
    void *f = dlsym(h, name);
    if (!f) {
        char what[160];
        snprintf(what, sizeof what, "no function %s in ", name);
        lazy_die(what, lib->soname, dlerror(), lib->package);
    }
    atomic_store_explicit(slot, f, memory_order_release);
    return f;
}

bool lazy_loaded(struct lazy_lib *lib)
{
    return atomic_load_explicit(&lib->handle, memory_order_acquire) != NULL;
}

void *lazy_sym_if_loaded(struct lazy_lib *lib, const char *name)
{
    void *h = atomic_load_explicit(&lib->handle, memory_order_acquire);
    return h ? dlsym(h, name) : NULL;
}

int lazy_check_names(struct lazy_lib *lib, const char *const *names, char *err, size_t errlen)
{
    void *h = lazy_load(lib);
    for (; *names; names++) {
        dlerror();
        if (!dlsym(h, *names)) {
            const char *why = dlerror();
            return errbuf_set(err, errlen, "%s: no function %s: %s", lib->soname, *names,
                              why ? why : "unknown error");
        }
    }
    return 0;
}
