/* Unit tests for topology.c: name order, callers, depths, start order,
 * cycles (with their path), URL resolution, names and caps. */
#include "cm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/natcmp.h"
#include "model/topology.h"

/* Build from "a>b" edge strings and lone "a" nodes; asserts success. */
static struct topology *build(const char *const *spec, size_t n)
{
    struct topology *t = topology_new();
    char err[512] = "";
    assert_non_null(t);
    for (size_t i = 0; i < n; i++) {
        char a[64], b[64];
        const char *gt = strchr(spec[i], '>');
        if (gt) {
            snprintf(a, sizeof a, "%.*s", (int)(gt - spec[i]), spec[i]);
            snprintf(b, sizeof b, "%s", gt + 1);
            assert_int_equal(topology_add_edge(t, a, b, err, sizeof err), 0);
        } else {
            assert_int_equal(topology_add_node(t, spec[i], err, sizeof err), 0);
        }
    }
    return t;
}

static const char *names_of(const struct topology *t, const size_t *v, size_t n, char *out)
{
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strcat(out, i ? " " : "");
        strcat(out, topology_name(t, v[i]));
    }
    return out;
}

static void test_diamond(void **state)
{
    static const char *const spec[] = {"0>1", "0>2", "1>3", "2>3", "10"};
    struct topology *t = build(spec, 5);
    char err[512] = "", buf[256];
    assert_int_equal(topology_finish(t, err, sizeof err), 0);
    assert_int_equal(topology_count(t), 5);
    size_t n;
    const size_t *v;
    /* numeric-aware index order */
    static const char *const sorted[] = {"0", "1", "2", "3", "10"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(topology_name(t, i), sorted[i]);
    assert_int_equal(topology_find(t, "10"), 4);
    assert_int_equal(topology_find(t, "4"), -1);
    v = topology_backends(t, 0, &n);
    assert_string_equal(names_of(t, v, n, buf), "1 2");
    v = topology_backends(t, 3, &n);
    assert_int_equal(n, 0);
    assert_null(v);
    v = topology_callers(t, 3, &n);
    assert_string_equal(names_of(t, v, n, buf), "1 2");
    v = topology_callers(t, 0, &n);
    assert_int_equal(n, 0);
    assert_int_equal(topology_depth(t, 0), 2);
    assert_int_equal(topology_depth(t, 1), 1);
    assert_int_equal(topology_depth(t, 3), 0);
    assert_int_equal(topology_depth(t, 4), 0);
    v = topology_start_order(t, &n);
    assert_string_equal(names_of(t, v, n, buf), "3 10 1 2 0");
    v = topology_roots(t, &n);
    assert_string_equal(names_of(t, v, n, buf), "0 10");
    topology_free(t);
}

static void test_start_order_is_topological(void **state)
{
    /* a random DAG: edges only from a higher to a lower number */
    struct topology *t = topology_new();
    char err[512], a[16], b[16];
    srand(7);
    for (int i = 0; i < 300; i++) {
        int x = rand() % 100, y = rand() % 100;
        if (x == y) continue;
        snprintf(a, sizeof a, "%d", x > y ? x : y);
        snprintf(b, sizeof b, "%d", x > y ? y : x);
        assert_int_equal(topology_add_edge(t, a, b, err, sizeof err), 0);
    }
    assert_int_equal(topology_finish(t, err, sizeof err), 0);
    size_t n, *pos = calloc(topology_count(t), sizeof *pos);
    const size_t *o = topology_start_order(t, &n);
    assert_int_equal(n, topology_count(t));
    for (size_t i = 0; i < n; i++)
        pos[o[i]] = i + 1;
    for (size_t i = 0; i < n; i++) {
        assert_int_not_equal(pos[i], 0); /* every node appears */
        size_t nb;
        const size_t *bk = topology_backends(t, i, &nb);
        for (size_t k = 0; k < nb; k++) {
            assert_true(pos[bk[k]] < pos[i]); /* backends start first */
            assert_true(topology_depth(t, bk[k]) < topology_depth(t, i));
        }
        if (i) assert_true(natcmp(topology_name(t, i - 1), topology_name(t, i)) < 0);
    }
    free(pos);
    topology_free(t);
}

static void expect_cycle(const char *const *spec, size_t n, const char *want)
{
    struct topology *t = build(spec, n);
    char err[512] = "";
    assert_int_equal(topology_finish(t, err, sizeof err), -1);
    assert_string_equal(err, want);
    topology_free(t);
}

static void test_cycles(void **state)
{
    expect_cycle((const char *[]){"0>1", "1>0"}, 2, "cycle 0 -> 1 -> 0");
    expect_cycle((const char *[]){"5>5"}, 1, "cycle 5 -> 5");
    expect_cycle((const char *[]){"0>1", "1>2", "2>10", "10>1", "0>3"}, 5,
                 "cycle 1 -> 2 -> 10 -> 1");
    /* the walk starts at the smallest name, whatever the insertion order */
    expect_cycle((const char *[]){"b>c", "c>a", "a>b"}, 3, "cycle a -> b -> c -> a");
    /* a diamond is not a cycle */
    static const char *const dia[] = {"0>1", "0>2", "1>3", "2>3"};
    struct topology *t = build(dia, 4);
    char err[512];
    assert_int_equal(topology_finish(t, err, sizeof err), 0);
    topology_free(t);
    t = topology_new();
    assert_int_equal(topology_finish(t, err, sizeof err), -1);
    assert_string_equal(err, "no nodes");
    topology_free(t);
}

/* a chain as long as allowed: no recursion, no stack overflow */
static void test_long_chain(void **state)
{
    struct topology *t = topology_new();
    char err[512], a[16], b[16];
    for (int i = 0; i + 1 < TOPOLOGY_MAX_NODES; i++) {
        snprintf(a, sizeof a, "%d", i);
        snprintf(b, sizeof b, "%d", i + 1);
        assert_int_equal(topology_add_edge(t, a, b, err, sizeof err), 0);
    }
    assert_int_equal(topology_add_node(t, "x", err, sizeof err), -1);
    assert_string_equal(err, "too many nodes (max 10000)");
    assert_int_equal(topology_finish(t, err, sizeof err), 0);
    assert_int_equal(topology_depth(t, 0), TOPOLOGY_MAX_NODES - 1);
    size_t n;
    const size_t *o = topology_start_order(t, &n);
    assert_string_equal(topology_name(t, o[0]), "9999");
    assert_string_equal(topology_name(t, o[n - 1]), "0");
    topology_free(t);

    /* and a long cycle is found and named (the line is cut to the buffer) */
    t = topology_new();
    for (int i = 0; i < 5000; i++) {
        snprintf(a, sizeof a, "%d", i);
        snprintf(b, sizeof b, "%d", (i + 1) % 5000);
        assert_int_equal(topology_add_edge(t, a, b, err, sizeof err), 0);
    }
    assert_int_equal(topology_finish(t, err, sizeof err), -1);
    assert_int_equal(strncmp(err, "cycle 0 -> 1 -> 2 -> ", 21), 0);
    assert_true(strlen(err) < sizeof err);
    topology_free(t);
}

static void test_name_errors(void **state)
{
    struct topology *t = topology_new();
    char err[512];
    assert_int_equal(topology_add_node(t, "", err, sizeof err), -1);
    assert_string_equal(err, "empty node name");
    assert_int_equal(topology_add_edge(t, "0", "", err, sizeof err), -1);
    assert_string_equal(err, "empty node name");
    assert_int_equal(topology_add_node(t, "Node\n1", err, sizeof err), -1);
    assert_string_equal(err, "node name \"Node\\x0a1\": must be lower-case letters, digits and "
                             "'-' (it becomes the host names node-<name> and service-<name>)");
    char longname[80];
    memset(longname, 'a', 51);
    longname[51] = '\0';
    assert_int_equal(topology_add_node(t, longname, err, sizeof err), -1);
    assert_non_null(strstr(err, ": longer than 50 characters"));
    longname[50] = '\0';
    assert_int_equal(topology_add_node(t, longname, err, sizeof err), 0);
    topology_free(t);
    topology_free(NULL);
}

static void test_labels_and_quote(void **state)
{
    char b[32];
    assert_int_equal(topology_node_label("3", b, sizeof b), 6);
    assert_string_equal(b, "node-3");
    assert_int_equal(topology_service_label("3", b, sizeof b), 9);
    assert_string_equal(b, "service-3");
    assert_int_equal(topology_service_label("3", b, 9), -1);
    char q[16];
    topology_quote("a\"b\\c", q, sizeof q);
    assert_string_equal(q, "\"a\\\"b\\\\c\"");
    topology_quote("abcdefghijklmnopqrstuvwxyz", q, sizeof q);
    assert_string_equal(q, "\"abcdefghi...\"");
    assert_true(strlen(q) < sizeof q);
    topology_quote("x", q, 4);
    assert_string_equal(q, "");
}

static void test_resolve(void **state)
{
    static const char *const spec[] = {"0>1", "1>node-1", "12"};
    struct topology *t = build(spec, 3);
    char err[512], path[8200], ns[64];
    size_t node;
    assert_int_equal(topology_finish(t, err, sizeof err), 0);
    static const struct {
        const char *url, *node, *path, *ns;
    } ok[] = {
        {"http://service-0.tls-e2e.svc.cluster.local:9080/path-0", "0", "/path-0", "tls-e2e"},
        {"http://SERVICE-12.other.svc.cluster.local:9080", "12", "/", "other"},
        {"http://node-12:9080/a?b=c#frag", "12", "/a?b=c", ""},
        {"https://service-0/", "0", "/", ""},
        {"http://12:9080/x", "12", "/x", ""},
        {"http://0", "0", "/", ""},
        {"http://node-1/", "1", "/", ""}, /* prefix first: node "1", not "node-1" */
        {"http://service-node-1/", "node-1", "/", ""},
        {"http://user:pw@service-0/p", "0", "/p", ""},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        strcpy(ns, "junk");
        if (topology_resolve_url(t, ok[i].url, &node, path, sizeof path, ns, sizeof ns, err,
                                 sizeof err) != 0)
            print_error("%s: %s\n", ok[i].url, err);
        assert_string_equal(topology_name(t, node), ok[i].node);
        assert_string_equal(path, ok[i].path);
        assert_string_equal(ns, ok[i].ns);
    }
    static const struct {
        const char *url, *err;
    } bad[] = {
        {"http://service-7.tls-e2e.svc.cluster.local:9080/",
         "host \"service-7.tls-e2e.svc.cluster.local\" names no node of backends_map"},
        {"http://7:9080/", "host \"7\" names no node of backends_map"},
        {"http://127.0.0.1:9080/", "host \"127.0.0.1\" names no node of backends_map"},
        {"http://12.0.0.1/", "host \"12.0.0.1\" names no node of backends_map"},
        {"http://[::1]:9080/", "host \"::1\" names no node of backends_map"},
        {"ftp://service-0/", "bad URL 'ftp://service-0/': scheme must be http or https"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(
            topology_resolve_url(t, bad[i].url, &node, path, sizeof path, NULL, 0, err, sizeof err),
            -1);
        assert_string_equal(err, bad[i].err);
    }
    assert_int_equal(
        topology_resolve_url(t, "http://0/abcdef", &node, path, 4, NULL, 0, err, sizeof err), -1);
    assert_string_equal(err, "path too long");
    topology_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diamond),     cmocka_unit_test(test_start_order_is_topological),
        cmocka_unit_test(test_cycles),      cmocka_unit_test(test_long_chain),
        cmocka_unit_test(test_name_errors), cmocka_unit_test(test_labels_and_quote),
        cmocka_unit_test(test_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
