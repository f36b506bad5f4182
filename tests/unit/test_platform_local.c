/* Unit tests for the local platform's sidecar modes (platform_local_opts.
 * sidecar_mode) on a chain 0 -> 1 with real processes: the serve binary
 * from $MESHPERF (tests/run.sh sets it), each of haproxy and nginx found
 * in /usr/sbin; skipped when neither, or the binary, is missing. serveronly: a replica's
 * address is its sidecar's inbound listener and the app's -backends point
 * straight at the backend's inbound (its sidecar); clientonly: a replica's
 * address is its app, the sidecar has no inbound listener and the app's
 * -backends point at a port of its own sidecar. Either way a GET through
 * node 0 reaches node 1. An unknown mode, and TLS with a mode other than
 * both, are one line each. */
#include "cm.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/topology.h"
#include "platform/platform.h"

/* The chain 0 -> 1. */
static struct topology *chain(void)
{
    char err[256];
    struct topology *t = topology_new();
    assert_non_null(t);
    assert_int_equal(topology_add_edge(t, "0", "1", err, sizeof err), 0);
    assert_int_equal(topology_finish(t, err, sizeof err), 0);
    return t;
}

/* Is proxy px installed? (/usr/sbin added to PATH, where Debian puts it) */
static bool have(const char *px)
{
    const char *path = getenv("PATH");
    if (path && !strstr(path, "/usr/sbin")) {
        char np[4096];
        snprintf(np, sizeof np, "%s:/usr/sbin", path);
        setenv("PATH", np, 1);
    }
    char bin[64];
    snprintf(bin, sizeof bin, "/usr/sbin/%s", px);
    return access(bin, X_OK) == 0;
}

/* The value after "-backends" in pid's command line, into out ("" if none). */
static void backends_of(pid_t pid, char *out, size_t outlen)
{
    char path[64], cmd[8192];
    snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(cmd, 1, sizeof cmd - 1, f);
    fclose(f);
    cmd[n] = '\0';
    out[0] = '\0';
    for (size_t i = 0; i < n; i += strlen(cmd + i) + 1)
        if (!strcmp(cmd + i, "-backends") && i + 10 < n) snprintf(out, outlen, "%s", cmd + i + 10);
}

static size_t discard(char *p, size_t sz, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return sz * n;
}

/* GET http://addr/ -> its status (0 when no answer). */
static long get_status(const char *addr)
{
    CURL *c = curl_easy_init();
    assert_non_null(c);
    char url[128];
    snprintf(url, sizeof url, "http://%s/", addr);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    long code = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    return code;
}

/* Up with sidecar px in mode; the platform (caller frees). */
static struct platform *up(const struct topology *t, const char *px, const char *mode, bool tls,
                           int want, char *err, size_t errlen)
{
    struct platform *p = platform_open("local", err, errlen);
    assert_non_null(p);
    struct platform_opts o = {
        .ns = "ns",
        .replicas = 1,
        .tls = tls,
        .local = {.serve_bin = getenv("MESHPERF"), .sidecar = px, .sidecar_mode = mode},
    };
    int rc = platform_up(p, t, &o, err, errlen);
    if (rc != want) fail_msg("up (%s, mode %s): %d, want %d: %s", px, mode, rc, want, err);
    return p;
}

static void modes(const char *px)
{
    struct topology *t = chain();
    char err[512], bk[4096], want[128];
    size_t n0, n1;

    /* serveronly: inbound through the sidecar, calls straight to the
     * backend's inbound (its sidecar's listener) */
    struct platform *p = up(t, px, "serveronly", false, 0, err, sizeof err);
    const struct platform_replica *r0 = platform_replicas(p, 0, &n0);
    const struct platform_replica *r1 = platform_replicas(p, 1, &n1);
    assert_int_equal(r0->ncontainers, 2);
    assert_string_equal(r0->addr, r0->containers[1].addr);
    assert_string_not_equal(r0->addr, r0->containers[0].addr);
    assert_string_equal(r1->addr, r1->containers[1].addr);
    backends_of(r0->containers[0].pid, bk, sizeof bk);
    snprintf(want, sizeof want, "node-1=http://%s", r1->addr);
    assert_string_equal(bk, want);
    assert_int_equal(get_status(r0->addr), 200);
    platform_free(p);

    /* clientonly: inbound straight to the app, calls through the caller's
     * own sidecar (a port that is neither the backend's app nor its
     * sidecar's inbound, which it has none of) */
    p = up(t, px, "clientonly", false, 0, err, sizeof err);
    r0 = platform_replicas(p, 0, &n0);
    r1 = platform_replicas(p, 1, &n1);
    assert_int_equal(r0->ncontainers, 2);
    assert_string_equal(r0->addr, r0->containers[0].addr);
    assert_string_equal(r0->containers[1].addr, "");
    assert_string_equal(r1->addr, r1->containers[0].addr);
    backends_of(r0->containers[0].pid, bk, sizeof bk);
    assert_true(strncmp(bk, "node-1=http://127.0.0.1:", 24) == 0);
    snprintf(want, sizeof want, "node-1=http://%s", r1->addr);
    assert_string_not_equal(bk, want);
    assert_string_not_equal(bk + 14, r0->containers[1].metrics_addr);
    assert_int_equal(get_status(r0->addr), 200);
    platform_free(p);

    /* both (the default) still as before: the app calls its own sidecar */
    p = up(t, px, NULL, false, 0, err, sizeof err);
    r0 = platform_replicas(p, 0, &n0);
    r1 = platform_replicas(p, 1, &n1);
    assert_string_equal(r0->addr, r0->containers[1].addr);
    backends_of(r0->containers[0].pid, bk, sizeof bk);
    snprintf(want, sizeof want, "node-1=http://%s", r1->addr);
    assert_string_not_equal(bk, want);
    assert_int_equal(get_status(r0->addr), 200);
    platform_free(p);

    /* one line each: an unknown mode, TLS outside both */
    platform_free(up(t, px, "sideways", false, -1, err, sizeof err));
    assert_string_equal(err, "platform local: sidecar mode \"sideways\": want both, serveronly "
                             "or clientonly");
    platform_free(up(t, px, "clientonly", true, -1, err, sizeof err));
    assert_string_equal(err, "TLS between sidecars needs sidecar_mode both (not clientonly)");
    topology_free(t);
}

static void test_modes(void **state)
{
    (void)state;
    int ran = 0;
    for (int i = 0; getenv("MESHPERF") && i < 2; i++) {
        const char *px = i ? "nginx" : "haproxy";
        if (have(px)) {
            modes(px);
            ran++;
        }
    }
    if (!ran) skip();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_modes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
