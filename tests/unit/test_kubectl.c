/* Unit tests for platform/kubectl.c, with /bin/sh standing in for kubectl
 * (args "-c SCRIPT"): stdin given, stdout captured, the last stderr line
 * and the exit status kept, a call past its deadline stopped, a cancelled
 * one stopped at once, --context first; a name not in PATH says how to
 * install kubectl; `get pods -o json` parsed (names, app labels, phases)
 * and its errors. */
#include "cm.h"

#include <stdlib.h>
#include <string.h>

#include "base/errbuf.h"
#include "base/mono.h"
#include "platform/kubectl.h"

static void test_run_captures(void **state)
{
    (void)state;
    struct kubectl k;
    char err[ERRBUF_LEN];
    assert_int_equal(kubectl_init(&k, "/bin/sh", NULL, NULL, err, sizeof err), 0);
    const char *args[] = {"-c", "tr a-z A-Z; echo first >&2; echo 'last line' >&2; exit 3", NULL};
    struct kubectl_result r;
    assert_int_equal(
        kubectl_run(&k, args, "abc\n", 4, 10 * MONO_US_PER_SEC, true, &r, err, sizeof err),
        KUBECTL_OK);
    assert_int_equal(r.status, 3);
    assert_string_equal(r.out.data, "ABC\n");
    assert_string_equal(r.err_line, "last line");
    kubectl_result_free(&r);

    const char *quiet[] = {"-c", "exit 0", NULL};
    assert_int_equal(
        kubectl_run(&k, quiet, NULL, 0, 10 * MONO_US_PER_SEC, true, &r, err, sizeof err),
        KUBECTL_OK);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.out.len, 0);
    assert_string_equal(r.err_line, "");
    kubectl_result_free(&r);
    kubectl_result_free(NULL);
}

static void test_run_timeout_and_cancel(void **state)
{
    (void)state;
    struct kubectl k;
    atomic_int cancel;
    atomic_init(&cancel, 0);
    char err[ERRBUF_LEN];
    assert_int_equal(kubectl_init(&k, "/bin/sh", NULL, &cancel, err, sizeof err), 0);
    const char *args[] = {"-c", "exec sleep 30", NULL};
    struct kubectl_result r;
    mono_us t0 = mono_now();
    assert_int_equal(kubectl_run(&k, args, NULL, 0, 300000, true, &r, err, sizeof err),
                     KUBECTL_TIMEOUT);
    assert_true(mono_now() - t0 < 10 * MONO_US_PER_SEC);
    assert_non_null(strstr(err, "sleep 30: no answer within"));
    kubectl_result_free(&r);

    atomic_store(&cancel, 1);
    assert_int_equal(
        kubectl_run(&k, args, NULL, 0, 60 * MONO_US_PER_SEC, true, &r, err, sizeof err),
        KUBECTL_CANCELLED);
    assert_non_null(strstr(err, "interrupted"));
    kubectl_result_free(&r);
    /* not cancellable (a teardown call): runs although cancel is set */
    const char *quick[] = {"-c", "echo ok", NULL};
    assert_int_equal(
        kubectl_run(&k, quick, NULL, 0, 10 * MONO_US_PER_SEC, false, &r, err, sizeof err),
        KUBECTL_OK);
    assert_string_equal(r.out.data, "ok\n");
    kubectl_result_free(&r);
}

static void test_context_and_missing(void **state)
{
    (void)state;
    struct kubectl k;
    char err[ERRBUF_LEN], line[256];
    assert_int_equal(kubectl_init(&k, "/bin/echo", "kind-a", NULL, err, sizeof err), 0);
    const char *args[] = {"get", "pods", NULL};
    struct kubectl_result r;
    assert_int_equal(
        kubectl_run(&k, args, NULL, 0, 10 * MONO_US_PER_SEC, true, &r, err, sizeof err),
        KUBECTL_OK);
    assert_string_equal(r.out.data, "--context kind-a get pods\n");
    kubectl_result_free(&r);
    kubectl_describe(&k, args, line, sizeof line);
    assert_string_equal(line, "kubectl --context kind-a get pods");

    assert_int_equal(kubectl_init(&k, "meshperf-no-such-kubectl", NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "meshperf-no-such-kubectl not found in PATH: install kubectl"));
}

static void test_parse_pods(void **state)
{
    (void)state;
    const char *j = "{\"kind\":\"PodList\",\"items\":["
                    "{\"metadata\":{\"name\":\"node-1-7d4b9c6f5d-x2k4q\",\"labels\":{\"app\":"
                    "\"node-1\"}},\"status\":{\"phase\":\"Running\"}},"
                    "{\"metadata\":{\"name\":\"fortio-abc\"},\"status\":{}}]}";
    struct kubectl_pod *p;
    size_t n;
    char err[ERRBUF_LEN];
    assert_int_equal(kubectl_parse_pods(j, strlen(j), &p, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(p[0].name, "node-1-7d4b9c6f5d-x2k4q");
    assert_string_equal(p[0].app, "node-1");
    assert_string_equal(p[0].phase, "Running");
    assert_string_equal(p[1].app, "");
    assert_string_equal(p[1].phase, "");
    free(p);

    assert_int_equal(kubectl_parse_pods("{\"items\":[]}", 12, &p, &n, err, sizeof err), 0);
    assert_int_equal(n, 0);
    free(p);
    assert_int_equal(kubectl_parse_pods("nope", 4, &p, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "kubectl get pods: not JSON at line 1"));
    assert_null(p);
    assert_int_equal(kubectl_parse_pods("{}", 2, &p, &n, err, sizeof err), -1);
    assert_string_equal(err, "kubectl get pods: no \"items\" array");
    const char *noname = "{\"items\":[{\"metadata\":{}}]}";
    assert_int_equal(kubectl_parse_pods(noname, strlen(noname), &p, &n, err, sizeof err), -1);
    assert_string_equal(err, "kubectl get pods: items[0]: no metadata.name");

    /* restarts: the sum over the pod's containers; negative or missing counts are 0 */
    const char *rs = "{\"items\":[{\"metadata\":{\"name\":\"a\"},\"status\":{\"phase\":\"Running\","
                     "\"containerStatuses\":[{\"restartCount\":2},{\"restartCount\":3},"
                     "{\"restartCount\":-7},{}]}},{\"metadata\":{\"name\":\"b\"}}]}";
    assert_int_equal(kubectl_parse_pods(rs, strlen(rs), &p, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(p[0].restarts, 5);
    assert_int_equal(p[1].restarts, 0);
    free(p);
    /* a parser's message that quotes a raw newline of the input stays one line */
    const char *nl = "{\"items\":[{\"metadata\":{\"name\":\"a\\\n\"}}]}";
    assert_int_equal(kubectl_parse_pods(nl, strlen(nl), &p, &n, err, sizeof err), -1);
    assert_null(strchr(err, '\n'));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_captures),
        cmocka_unit_test(test_run_timeout_and_cancel),
        cmocka_unit_test(test_context_and_missing),
        cmocka_unit_test(test_parse_pods),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
