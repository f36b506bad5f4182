/* Unit tests for the platform seam: platform_open chooses a backend by name
 * (and says why it cannot), platform_container finds a replica's
 * container, platform_pod_name names pods as a Deployment does,
 * sidecar_find looks a sidecar descriptor up by name, sidecar_locate finds
 * its binary in PATH only, and the haproxy and nginx writers put the mesh's
 * wiring into their configs. The local backend itself (with real proxies)
 * runs in the run_* integration tests. */
#include "cm.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/platform.h"
#include "platform/sidecar.h"

static void test_open_by_name(void **state)
{
    (void)state;
    char err[256] = "";
    struct platform *p = platform_open("local", err, sizeof err);
    assert_non_null(p);
    assert_string_equal(p->ops->name, "local");
    size_t n = 99;
    assert_null(platform_replicas(p, 0, &n)); /* not up: no replicas */
    assert_int_equal(n, 0);
    assert_int_equal(platform_health(p, err, sizeof err), 0);
    platform_down(p); /* before up: fine, and idempotent */
    platform_down(p);
    platform_free(p);
    platform_free(NULL);

    p = platform_open("kubernetes", err, sizeof err); /* not up: nothing to say or delete */
    assert_non_null(p);
    assert_string_equal(p->ops->name, "kubernetes");
    assert_null(platform_replicas(p, 0, &n));
    assert_int_equal(n, 0);
    assert_int_equal(platform_health(p, err, sizeof err), 0);
    platform_down(p);
    platform_free(p);
    assert_null(platform_open("docker", err, sizeof err));
    assert_string_equal(err, "unknown platform \"docker\" (known: local, kubernetes)");
    assert_null(platform_open(NULL, err, sizeof err));
    assert_string_equal(err, "unknown platform \"\" (known: local, kubernetes)");
}

static void test_up_needs_local_opts(void **state)
{
    (void)state;
    char err[256];
    struct platform *p = platform_open("local", err, sizeof err);
    assert_non_null(p);
    struct platform_opts o = {.ns = "ns", .replicas = 1}; /* no local.serve_bin */
    assert_int_equal(platform_up(p, NULL, &o, err, sizeof err), -1);
    assert_string_equal(err, "platform local: serve binary, namespace and replicas needed");
    platform_free(p);
}

static void test_container_lookup(void **state)
{
    (void)state;
    struct platform_replica r = {.pod = "node-1-0", .ncontainers = 2};
    strcpy(r.containers[0].name, PLATFORM_CONTAINER_APP);
    r.containers[0].pid = 42;
    strcpy(r.containers[1].name, "proxy");
    const struct platform_container *c = platform_container(&r, "app");
    assert_ptr_equal(c, &r.containers[0]);
    assert_int_equal(c->pid, 42);
    assert_ptr_equal(platform_container(&r, "proxy"), &r.containers[1]);
    assert_null(platform_container(&r, "nginx"));
    r.ncontainers = 1;
    assert_null(platform_container(&r, "proxy"));
}

static void test_sidecar_lookup(void **state)
{
    (void)state;
    char err[256];
    const struct sidecar *s = sidecar_find("none", err, sizeof err);
    assert_non_null(s);
    assert_string_equal(s->name, "none");
    assert_int_equal(sidecar_runs(s), 0);
    assert_null(s->metrics_path);
    s = sidecar_find("haproxy", err, sizeof err);
    assert_non_null(s);
    assert_int_equal(sidecar_runs(s), 1);
    assert_string_equal(s->package, "haproxy");
    assert_string_equal(s->metrics_path, "/metrics");
    s = sidecar_find("nginx", err, sizeof err);
    assert_non_null(s);
    assert_string_equal(s->bin, "nginx");
    assert_string_equal(s->package, "nginx");
    assert_null(sidecar_find("envoy", err, sizeof err));
    assert_string_equal(err, "unknown sidecar \"envoy\" (known: none, haproxy, nginx)");
    assert_null(sidecar_find(NULL, err, sizeof err));
    assert_int_equal(sidecar_runs(NULL), 0);
}

static bool in_alphabet(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr("bcdfghjklmnpqrstvwxz2456789", s[i])) return false;
    return true;
}

static void test_pod_name(void **state)
{
    (void)state;
    char a[128], b[128], c[128];
    int n = platform_pod_name("node-3", "serve backends=1,2", 0, a, sizeof a);
    assert_int_equal(n, (int)strlen("node-3-") + 10 + 1 + 5);
    assert_int_equal((int)strlen(a), n);
    assert_memory_equal(a, "node-3-", 7);
    assert_true(in_alphabet(a + 7, 10));
    assert_int_equal(a[17], '-');
    assert_true(in_alphabet(a + 18, 5));
    /* stable for the same template and index */
    assert_int_equal(platform_pod_name("node-3", "serve backends=1,2", 0, b, sizeof b), n);
    assert_string_equal(a, b);
    /* another replica: same hash, another suffix */
    platform_pod_name("node-3", "serve backends=1,2", 1, b, sizeof b);
    assert_memory_equal(a, b, 18);
    assert_string_not_equal(a + 18, b + 18);
    /* another template: another hash */
    platform_pod_name("node-3", "serve backends=1", 0, c, sizeof c);
    assert_memory_not_equal(a, c, 17);
    /* the original's label_replace "(node-.*-.*)-.*" keeps node-3-<hash> */
    assert_ptr_equal(strrchr(a, '-'), a + 17);
    /* too small */
    assert_int_equal(platform_pod_name("node-3", "x", 0, c, 10), -1);
}

/* A private dir with an executable file `name` in it. */
static void make_exe(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\n", f);
    fclose(f);
    assert_int_equal(chmod(path, 0755), 0);
}

static void test_sidecar_locate(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_platform.XXXXXX", empty[] = "/tmp/test_platform.XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_non_null(mkdtemp(empty));
    make_exe(dir, "haproxy");
    const char *old = getenv("PATH");
    char *saved = old ? strdup(old) : NULL;
    char path[4096], err[512], want[600];

    char pathvar[1100];
    snprintf(pathvar, sizeof pathvar, "%s::%s", empty, dir);
    setenv("PATH", pathvar, 1);
    assert_int_equal(sidecar_locate(sidecar_find("haproxy", err, sizeof err), path, sizeof path,
                                    err, sizeof err),
                     0);
    snprintf(want, sizeof want, "%s/haproxy", dir);
    assert_string_equal(path, want);
    assert_int_equal(
        sidecar_locate(sidecar_find("none", err, sizeof err), path, sizeof path, err, sizeof err),
        0);
    assert_string_equal(path, "");

    setenv("PATH", empty, 1);
    assert_int_equal(
        sidecar_locate(sidecar_find("nginx", err, sizeof err), path, sizeof path, err, sizeof err),
        -1);
    assert_non_null(strstr(err, "sidecar nginx: nginx not found in PATH (install the Debian "
                                "package nginx: apt-get install nginx)"));

    if (saved) setenv("PATH", saved, 1);
    free(saved);
    snprintf(path, sizeof path, "%s/haproxy", dir);
    unlink(path);
    rmdir(dir);
    rmdir(empty);
}

/* The file dir/name, whole (caller frees). */
static char *slurp_file(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    return strdup(text);
}

static void test_sidecar_configs(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_platform.XXXXXX", err[512];
    assert_non_null(mkdtemp(dir));
    const char *ups[] = {"127.0.0.1:3001", "127.0.0.1:3002"};
    struct sidecar_egress eg[] = {{"node-3", 4001, ups, 2}};
    struct sidecar_ctx ctx = {
        .pod = "node-1-abcdefghjk-bcdfg",
        .bin = "/usr/sbin/proxy",
        .app_addr = "127.0.0.1:2000",
        .listen_port = 1001,
        .metrics_port = 1002,
        .dir = dir,
        .egress = eg,
        .negress = 1,
    };
    char *argv[16], buf[1024];

    const struct sidecar *h = sidecar_find("haproxy", err, sizeof err);
    assert_int_equal(h->write_config(&ctx, err, sizeof err), 0);
    char *t = slurp_file(dir, "haproxy.cfg");
    static const char *const hwant[] = {
        "nbthread 1",
        "http-reuse always",
        "frontend inbound\n    bind 127.0.0.1:1001\n    default_backend app\n",
        "server app 127.0.0.1:2000 ",
        "frontend egress-node-3\n    bind 127.0.0.1:4001\n    default_backend node-3\n",
        "backend node-3\n    balance roundrobin\n    server r0 127.0.0.1:3001 ",
        "server r1 127.0.0.1:3002 ",
        "bind 127.0.0.1:1002\n    http-request use-service prometheus-exporter if { path /metrics "
        "}",
    };
    for (size_t i = 0; i < sizeof hwant / sizeof hwant[0]; i++) {
        if (!strstr(t, hwant[i])) fail_msg("haproxy.cfg lacks \"%s\":\n%s", hwant[i], t);
    }
    assert_null(strstr(t, "\n    log ")); /* its own logs off */
    assert_null(strstr(t, "daemon"));
    free(t);
    assert_int_equal(h->argv(&ctx, argv, 16, buf, sizeof buf, err, sizeof err), 0);
    assert_string_equal(argv[0], "/usr/sbin/proxy");
    assert_string_equal(argv[1], "-db");
    assert_string_equal(argv[2], "-f");
    assert_non_null(strstr(argv[3], "/haproxy.cfg"));
    assert_null(argv[4]);

    const struct sidecar *g = sidecar_find("nginx", err, sizeof err);
    assert_int_equal(g->write_config(&ctx, err, sizeof err), 0);
    t = slurp_file(dir, "nginx.conf");
    static const char *const gwant[] = {
        "daemon off;\n",
        "master_process off;\n",
        "worker_processes 1;\n",
        "access_log off;\n",
        "upstream app {\n        server 127.0.0.1:2000;\n        keepalive 64;",
        "listen 127.0.0.1:1001;\n        location / {\n            proxy_pass http://app;",
        "proxy_set_header Connection \"\";",
        "upstream node-3 {\n        server 127.0.0.1:3001;\n        server 127.0.0.1:3002;\n",
        "listen 127.0.0.1:4001;\n        location / {\n            proxy_pass http://node-3;",
        "listen 127.0.0.1:1002;",
        "ssi on;\n            ssi_types *;\n            alias /tmp/test_platform.",
        "location = /stub_status { stub_status; }",
    };
    for (size_t i = 0; i < sizeof gwant / sizeof gwant[0]; i++) {
        if (!strstr(t, gwant[i])) fail_msg("nginx.conf lacks \"%s\":\n%s", gwant[i], t);
    }
    free(t);
    t = slurp_file(dir, "metrics.ssi");
    if (!strstr(t, "nginx_http_requests_total <!--# echo var=\"1\" -->\n") ||
        !strstr(t, "nginx_connections_active <!--# echo var=\"connections_active\" -->\n"))
        fail_msg("metrics.ssi lacks the counter or a gauge:\n%s", t);
    free(t);
    assert_int_equal(g->argv(&ctx, argv, 16, buf, sizeof buf, err, sizeof err), 0);
    assert_string_equal(argv[1], "-e");
    assert_string_equal(argv[2], "stderr");
    assert_string_equal(argv[3], "-p");
    assert_string_equal(argv[5], "-c");
    assert_non_null(strstr(argv[6], "/nginx.conf"));
    assert_null(argv[7]);

    /* TLS between sidecars: the inbound listener serves the pod's
     * certificate, egress upstreams are called over TLS, verified against
     * the CA and the backend's name; mTLS adds client certificates on both
     * sides. The app's hops and the metrics listener stay plain. */
    ctx.cert_path = "/p/node-1.crt";
    ctx.key_path = "/p/node-1.key";
    ctx.pem_path = "/p/node-1.pem";
    ctx.ca_path = "/p/ca.crt";
    for (int mtls = 0; mtls <= 1; mtls++) {
        ctx.mtls = mtls;
        assert_int_equal(h->write_config(&ctx, err, sizeof err), 0);
        t = slurp_file(dir, "haproxy.cfg");
        const char *const htls[] = {
            mtls ? "bind 127.0.0.1:1001 ssl crt /p/node-1.pem ca-file /p/ca.crt verify required\n"
                 : "bind 127.0.0.1:1001 ssl crt /p/node-1.pem\n",
            mtls ? "    default-server ssl verify required ca-file /p/ca.crt sni str(node-3) "
                   "verifyhost node-3 crt /p/node-1.pem\n    server r0 127.0.0.1:3001 "
                 : "    default-server ssl verify required ca-file /p/ca.crt sni str(node-3) "
                   "verifyhost node-3\n    server r0 127.0.0.1:3001 ",
            "    bind 127.0.0.1:4001\n    default_backend node-3\n", /* from the app: plain */
            "server app 127.0.0.1:2000 pool-purge-delay 10s\n",      /* to the app: plain */
            "bind 127.0.0.1:1002\n",                                 /* metrics: plain */
        };
        for (size_t i = 0; i < sizeof htls / sizeof htls[0]; i++)
            if (!strstr(t, htls[i]))
                fail_msg("haproxy.cfg (mtls %d) lacks \"%s\":\n%s", mtls, htls[i], t);
        assert_null(strstr(t, "no-ssl-reuse"));
        assert_null(strstr(t, "PRIVATE KEY"));
        free(t);

        assert_int_equal(g->write_config(&ctx, err, sizeof err), 0);
        t = slurp_file(dir, "nginx.conf");
        const char *const gtls[] = {
            "listen 127.0.0.1:1001 ssl;\n        ssl_certificate /p/node-1.crt;\n"
            "        ssl_certificate_key /p/node-1.key;\n",
            "proxy_pass http://app;",   /* to the app: plain */
            "listen 127.0.0.1:4001;\n", /* from the app: plain */
            "proxy_pass https://node-3;\n",
            "proxy_ssl_verify on;\n            proxy_ssl_trusted_certificate /p/ca.crt;\n"
            "            proxy_ssl_name node-3;\n            proxy_ssl_server_name on;\n"
            "            proxy_ssl_session_reuse on;\n",
            "keepalive 64;",            /* the pools stay */
            "listen 127.0.0.1:1002;\n", /* metrics: plain */
        };
        for (size_t i = 0; i < sizeof gtls / sizeof gtls[0]; i++)
            if (!strstr(t, gtls[i]))
                fail_msg("nginx.conf (mtls %d) lacks \"%s\":\n%s", mtls, gtls[i], t);
        if (mtls) {
            assert_non_null(strstr(t, "ssl_client_certificate /p/ca.crt;\n"
                                      "        ssl_verify_client on;\n"));
            assert_non_null(strstr(t, "proxy_ssl_certificate /p/node-1.crt;\n"
                                      "            proxy_ssl_certificate_key /p/node-1.key;\n"));
        } else {
            assert_null(strstr(t, "ssl_verify_client"));
            assert_null(strstr(t, "proxy_ssl_certificate "));
        }
        free(t);
    }
    /* TLS without the files it needs: one line */
    ctx.pem_path = NULL;
    assert_int_equal(h->write_config(&ctx, err, sizeof err), -1);
    assert_string_equal(err,
                        "sidecar haproxy (pod node-1-abcdefghjk-bcdfg): TLS needs a PEM and a CA");
    ctx.cert_path = NULL;

    /* no inbound listener (sidecar_mode clientonly): listen_port 0 */
    ctx.listen_port = 0;
    ctx.mtls = false;
    assert_int_equal(h->write_config(&ctx, err, sizeof err), 0);
    t = slurp_file(dir, "haproxy.cfg");
    assert_null(strstr(t, "frontend inbound"));
    assert_non_null(strstr(t, "frontend egress-node-3"));
    free(t);
    assert_int_equal(g->write_config(&ctx, err, sizeof err), 0);
    t = slurp_file(dir, "nginx.conf");
    assert_null(strstr(t, "proxy_pass http://app;"));
    assert_non_null(strstr(t, "proxy_pass http://node-3;"));
    free(t);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_by_name),     cmocka_unit_test(test_up_needs_local_opts),
        cmocka_unit_test(test_container_lookup), cmocka_unit_test(test_sidecar_lookup),
        cmocka_unit_test(test_pod_name),         cmocka_unit_test(test_sidecar_locate),
        cmocka_unit_test(test_sidecar_configs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
