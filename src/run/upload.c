/* upload.c: per-test upload of a run's results to a store (see upload.h).
 * The store is opened once (one connection, kept alive between tests);
 * each test is one store_sync of its <test>/<ts> prefix, so objects the
 * store already holds identically are not sent again. */
#include "run/upload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/errbuf.h"
#include "store/store_sync.h"

#define UPLOAD_NAMES_MAX 512 /* bytes of failed test names shown at the end */

struct upload {
    struct store *store;
    char *results_dir;
    size_t ok, failed;
    char failed_names[UPLOAD_NAMES_MAX];
};

struct upload *upload_open(const char *uri, const char *results_dir, char *err, size_t errlen)
{
    struct upload *u = calloc(1, sizeof *u);
    if (!u || !(u->results_dir = strdup(results_dir))) {
        free(u);
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    char e[ERRBUF_LEN];
    if (!(u->store = store_open(uri, e, sizeof e))) {
        errbuf_set(err, errlen, "store: %s", e);
        upload_free(u);
        return NULL;
    }
    return u;
}

int upload_test(struct upload *u, struct store *local, const char *test, const char *ts,
                struct progress *prog)
{
    if (!u) return 0;
    char prefix[1024], e[ERRBUF_LEN], where[2048];
    snprintf(prefix, sizeof prefix, "%s/%s", test, ts);
    store_where(u->store, prefix, where, sizeof where);
    struct store_sync_result r;
    int rc = store_sync(local, u->store, prefix, &r, e, sizeof e);
    if (rc == 0) {
        u->ok++;
        progress_note(prog, "test %s: uploaded %zu file%s to %s", test, r.copied + r.skipped,
                      r.copied + r.skipped == 1 ? "" : "s", where);
        return 0;
    }
    u->failed++;
    size_t used = strlen(u->failed_names);
    snprintf(u->failed_names + used, sizeof u->failed_names - used, "%s%s", used ? ", " : "", test);
    progress_warn(prog,
                  "test %s: upload failed (%zu of %zu files not uploaded; the local results "
                  "are complete): %s",
                  test, r.left, r.left + r.copied + r.skipped, e);
    return -1;
}

/* s quoted for a POSIX shell when it needs it, into out. */
static void upload_shell_quote(const char *s, char *out, size_t outlen)
{
    if (s[0] &&
        strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_./:@%+=,") ==
            strlen(s)) {
        snprintf(out, outlen, "%s", s);
        return;
    }
    size_t n = 0;
    if (outlen < 3) return;
    out[n++] = '\'';
    for (const char *p = s; *p && n + 6 < outlen; p++) {
        if (*p == '\'') {
            memcpy(out + n, "'\\''", 4);
            n += 4;
        } else {
            out[n++] = *p;
        }
    }
    out[n++] = '\'';
    out[n] = '\0';
}

int upload_finish(struct upload *u, struct progress *prog)
{
    if (!u || !u->failed) return 0;
    char dir[2048], uri[2048], where[2048];
    upload_shell_quote(u->results_dir, dir, sizeof dir);
    upload_shell_quote(store_where(u->store, NULL, where, sizeof where), uri, sizeof uri);
    progress_warn(prog,
                  "upload: %zu of %zu test%s not uploaded to %s (%s); the results are complete "
                  "in %s; retry with: meshperf results push %s %s",
                  u->failed, u->failed + u->ok, u->failed + u->ok == 1 ? "" : "s", where,
                  u->failed_names, u->results_dir, dir, uri);
    return -1;
}

void upload_free(struct upload *u)
{
    if (!u) return;
    store_free(u->store);
    free(u->results_dir);
    free(u);
}
