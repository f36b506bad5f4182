/* Unit tests for the platform seam: platform_open chooses a backend by name
 * (and says why it cannot), platform_container finds a replica's
 * container, and sidecar_find looks a sidecar descriptor up by name. The
 * local backend itself runs in the run_* integration tests. */
#include "cm.h"

#include <string.h>

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

    assert_null(platform_open("kubernetes", err, sizeof err));
    assert_string_equal(err, "platform kubernetes: not built yet (issue #13)");
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
    assert_null(sidecar_find("haproxy", err, sizeof err));
    assert_string_equal(err, "unknown sidecar \"haproxy\" (known: none)");
    assert_int_equal(sidecar_runs(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_by_name),
        cmocka_unit_test(test_up_needs_local_opts),
        cmocka_unit_test(test_container_lookup),
        cmocka_unit_test(test_sidecar_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
