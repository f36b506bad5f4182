/* modes.c: the modes loop of `meshperf run --modes` (see modes.h).
 *
 * Each mode is one driver_run with a copy of the caller's driver options
 * whose results root and store URI carry the mode as a last path segment.
 * Between modes, the pause (the same as between tests) is a sigtimedwait
 * on SIGINT/SIGTERM, which the first driver run left blocked: a signal
 * that came after a mode ended, or during the pause, ends the loop. */
#include "run/modes.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/errbuf.h"
#include "base/exitcode.h"
#include "model/config.h"

#define MODES_PATH_MAX 4096

int modes_parse(const char *list, char ***out, size_t *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    size_t cap = 1;
    for (const char *p = list; *p; p++)
        cap += *p == ',';
    char **v = calloc(cap, sizeof *v);
    if (!v) return errbuf_set(err, errlen, "out of memory");
    size_t k = 0;
    int rc = 0;
    for (const char *p = list;; p++) {
        size_t len = strcspn(p, ",");
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1), p);
        if (!len) {
            rc = errbuf_set(err, errlen, "empty mode name in '%s' (want e.g. baseline,both)", list);
            break;
        }
        if (len >= sizeof name || !config_mode_known(name)) {
            rc = errbuf_set(err, errlen,
                            "unknown mode \"%.*s\" (known: baseline, both, serveronly, "
                            "clientonly)",
                            (int)(len > 64 ? 64 : len), p);
            break;
        }
        for (size_t j = 0; j < k && rc == 0; j++)
            if (!strcmp(v[j], name)) rc = errbuf_set(err, errlen, "mode \"%s\" given twice", name);
        if (rc < 0) break;
        if (!(v[k] = strdup(name))) {
            rc = errbuf_set(err, errlen, "out of memory");
            break;
        }
        k++;
        p += len;
        if (!*p) break;
    }
    if (rc < 0) {
        modes_free(v, k);
        return rc;
    }
    *out = v;
    *n = k;
    return 0;
}

void modes_free(char **modes, size_t n)
{
    for (size_t i = 0; modes && i < n; i++)
        free(modes[i]);
    free(modes);
}

const char *modes_need_sidecar(char *const *modes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(modes[i], "baseline")) return modes[i];
    return NULL;
}

/* How strong an exit code is when modes are combined. */
static int modes_rank(int code)
{
    switch (code) {
    case EXIT_OK:
        return 0;
    case EXIT_DEGRADED:
        return 1;
    case EXIT_FAILED:
        return 2;
    case EXIT_USAGE:
        return 3;
    default:
        return 4; /* EXIT_INTERRUPTED */
    }
}

/* base + "/" + mode into out (a trailing '/' of base not doubled). 0 or -1. */
static int modes_join(const char *base, const char *mode, char *out, size_t outlen)
{
    size_t bl = strlen(base);
    while (bl > 1 && base[bl - 1] == '/')
        bl--;
    int n = snprintf(out, outlen, "%.*s/%s", (int)bl, base, mode);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* Wait us for SIGINT/SIGTERM (blocked by the driver); true when one came
 * (it is consumed). us 0: only a pending one. */
static bool modes_signalled(int64_t us)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, &set, &cur); /* already blocked after a driver run */
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    return sigtimedwait(&set, NULL, &ts) > 0;
}

int modes_run(const struct config *cfg, const struct driver_opts *o, char *const *modes, size_t n)
{
    int code = EXIT_OK;
    FILE *note = o->quiet ? NULL : o->err;
    const char *sidecar = o->sidecar ? o->sidecar : cfg->sidecar;
    for (size_t i = 0; i < n; i++) {
        const char *mode = modes[i];
        bool base = !strcmp(mode, "baseline");
        if (i > 0 && modes_signalled(o->pause_us)) {
            code = EXIT_INTERRUPTED;
            fprintf(o->err, "meshperf run: interrupted between modes; skipping mode %s%s\n", mode,
                    i + 1 < n ? " and the rest" : "");
            break;
        }
        char results[MODES_PATH_MAX], store[MODES_PATH_MAX];
        if (modes_join(o->results_dir, mode, results, sizeof results) < 0 ||
            (o->store_uri && o->store_uri[0] &&
             modes_join(o->store_uri, mode, store, sizeof store) < 0)) {
            fprintf(o->err, "meshperf run: mode %s: results path too long\n", mode);
            return EXIT_USAGE;
        }
        if (note && base)
            fprintf(note, "mode %zu/%zu: %s (no sidecar)\n", i + 1, n, mode);
        else if (note)
            fprintf(note, "mode %zu/%zu: %s (sidecar %s, placement %s)\n", i + 1, n, mode,
                    sidecar ? sidecar : "none", mode);
        if (note) fflush(note);
        struct driver_opts mo = *o;
        mo.results_dir = results;
        mo.store_uri = o->store_uri && o->store_uri[0] ? store : o->store_uri;
        mo.sidecar = base ? "none" : o->sidecar;
        mo.sidecar_mode = base || !strcmp(mode, "both") ? NULL : mode;
        int mc = driver_run(cfg, &mo);
        if (modes_rank(mc) > modes_rank(code)) code = mc;
        if (mc == EXIT_INTERRUPTED || mc == EXIT_USAGE) {
            if (i + 1 < n)
                fprintf(o->err, "meshperf run: mode %s %s; skipping the remaining modes\n", mode,
                        mc == EXIT_USAGE ? "could not start" : "interrupted");
            break;
        }
    }
    fflush(o->out);
    return code;
}
