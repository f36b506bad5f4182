/* Unit tests for render_yaml.c: which strings stay plain (none that a
 * YAML 1.1 reader such as kubectl would take for a boolean, null or
 * number), double-quoting and its escapes, literal blocks, and the block
 * layout (nesting, sequence items, empty and optional containers, errors). */
#include "cm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "platform/render_yaml.h"

static void test_plain_ok(void **state)
{
    static const char *const plain[] = {
        "node-0",
        "service-10",
        "/health",
        "/certs/node-0_cert_chain.pem",
        "localhost/meshperf:latest",
        "-rest",
        "-rest-allow",
        "loopback,*.tls-e2e.svc.cluster.local",
        "enabled",
        "appmesh.k8s.aws/sidecarInjectorWebhook",
        "node-0-tls:/certs/",
        "STRICT",
        "a b",
        "Yes please",
        "onward",
        "nope",
        "_x",
        "http://service-1.ns.svc.cluster.local:9080,http://service-2.ns.svc.cluster.local:9080",
    };
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (!render_yaml_plain_ok(plain[i])) fail_msg("want plain: '%s'", plain[i]);
}

static void test_quoted(void **state)
{
    static const char *const quoted[] = {
        /* empty, YAML 1.1 booleans and nulls in any case */
        "",
        "y",
        "Y",
        "n",
        "N",
        "yes",
        "Yes",
        "YES",
        "no",
        "NO",
        "on",
        "On",
        "ON",
        "off",
        "OFF",
        "true",
        "True",
        "FALSE",
        "null",
        "Null",
        "~",
        "=",
        "<<",
        /* numbers in YAML 1.1 and 1.2 forms, timestamps */
        "9080",
        "0",
        "017",
        "0o17",
        "0x1F",
        "0b101",
        "1_000",
        "1:20",
        "190:20:30",
        "1e3",
        "1.5",
        ".5",
        ".inf",
        ".NaN",
        "-1",
        "-.5",
        "+1",
        "+.inf",
        "2001-12-14",
        "100m",
        "32Mi",
        /* indicators at the start */
        "-",
        "- x",
        "*alias",
        "&anchor",
        "!tag",
        "'q",
        "\"q",
        "@x",
        "`x",
        "%x",
        "{x}",
        "[x]",
        "|x",
        ">x",
        "#x",
        "?x",
        ",x",
        ":x",
        ".hidden",
        /* inside: ": ", " #", ending ':', doubled or edge spaces, control bytes */
        "a: b",
        "a #b",
        "key:",
        "a  b",
        " lead",
        "trail ",
        "a\tb",
        "a\nb",
        "a\"b",
        "a'b",
        "a\\b",
        "a{b",
        "a[b",
        "a#b",
        "a!b",
        "a&b",
        "a|b",
        "a>b",
        "a?b",
    };
    for (size_t i = 0; i < sizeof quoted / sizeof quoted[0]; i++)
        if (render_yaml_plain_ok(quoted[i])) fail_msg("want quoted: '%s'", quoted[i]);
}

static char *scalar(const char *s)
{
    struct buf b;
    buf_init(&b, 1024);
    assert_int_equal(render_yaml_scalar(&b, s), 0);
    return b.data;
}

#define EXPECT_SCALAR(in, want)                                                                    \
    do {                                                                                           \
        char *got_ = scalar(in);                                                                   \
        if (strcmp(got_, want)) fail_msg("scalar of '%s': got [%s], want [%s]", in, got_, want);   \
        free(got_);                                                                                \
    } while (0)

static void test_scalar_escapes(void **state)
{
    EXPECT_SCALAR("node-0", "node-0");
    EXPECT_SCALAR("9080", "\"9080\"");
    EXPECT_SCALAR("on", "\"on\"");
    EXPECT_SCALAR("", "\"\"");
    EXPECT_SCALAR("a\"b\\c", "\"a\\\"b\\\\c\"");
    EXPECT_SCALAR("a\nb\tc", "\"a\\nb\\tc\"");
    EXPECT_SCALAR("\x01\x1f\x7f", "\"\\x01\\x1f\\x7f\"");
    EXPECT_SCALAR("caf\xc3\xa9 #1", "\"caf\xc3\xa9 #1\""); /* UTF-8 kept */
}

/* The document built by fn, or fail with its error. */
static char *doc(void (*fn)(struct render_yaml *))
{
    struct render_yaml y;
    render_yaml_init(&y, 1 << 16);
    fn(&y);
    char *text;
    size_t len;
    int rc = render_yaml_take(&y, &text, &len);
    if (rc) fail_msg("render_yaml_take: %d", rc);
    assert_int_equal(strlen(text), len);
    return text;
}

#define EXPECT_DOC(fn, want)                                                                       \
    do {                                                                                           \
        char *got_ = doc(fn);                                                                      \
        if (strcmp(got_, want)) fail_msg("got:\n%s\nwant:\n%s", got_, want);                       \
        free(got_);                                                                                \
    } while (0)

static void build_nested(struct render_yaml *y)
{
    render_yaml_str(y, "apiVersion", "v1");
    render_yaml_map(y, "metadata");
    render_yaml_str(y, "name", "node-0");
    render_yaml_map(y, "labels");
    render_yaml_str(y, "app", "node-0");
    render_yaml_end(y);
    render_yaml_map_opt(y, "annotations"); /* stays empty: left out */
    render_yaml_end(y);
    render_yaml_end(y);
    render_yaml_map(y, "spec");
    render_yaml_int(y, "replicas", 2);
    render_yaml_bool(y, "paused", false);
    render_yaml_seq(y, "containers");
    render_yaml_map(y, NULL);
    render_yaml_str(y, "name", "app");
    render_yaml_seq(y, "args");
    render_yaml_str(y, NULL, "serve");
    render_yaml_str(y, NULL, "9080");
    render_yaml_end(y);
    render_yaml_map(y, "resources");
    render_yaml_map(y, "requests");
    render_yaml_str(y, "cpu", "100m");
    render_yaml_end(y);
    render_yaml_end(y);
    render_yaml_end(y);
    render_yaml_map(y, NULL); /* an empty item */
    render_yaml_end(y);
    render_yaml_map(y, NULL);
    render_yaml_map(y, "inner"); /* first key of an item is a map */
    render_yaml_int(y, "x", -1);
    render_yaml_end(y);
    render_yaml_end(y);
    render_yaml_end(y);
    render_yaml_map(y, "empty");
    render_yaml_end(y);
    render_yaml_seq(y, "none");
    render_yaml_end(y);
    render_yaml_end(y);
}

static void test_layout(void **state)
{
    EXPECT_DOC(build_nested, "apiVersion: v1\n"
                             "metadata:\n"
                             "  name: node-0\n"
                             "  labels:\n"
                             "    app: node-0\n"
                             "spec:\n"
                             "  replicas: 2\n"
                             "  paused: false\n"
                             "  containers:\n"
                             "    - name: app\n"
                             "      args:\n"
                             "        - serve\n"
                             "        - \"9080\"\n"
                             "      resources:\n"
                             "        requests:\n"
                             "          cpu: \"100m\"\n"
                             "    - {}\n"
                             "    - inner:\n"
                             "        x: -1\n"
                             "  empty: {}\n"
                             "  none: []\n");
}

static void build_literals(struct render_yaml *y)
{
    render_yaml_map(y, "stringData");
    render_yaml_str(y, "pem", "-----BEGIN X-----\nAB/+\n-----END X-----\n");
    render_yaml_str(y, "strip", "a\nb");
    render_yaml_str(y, "keep", "a\n\n");
    render_yaml_str(y, "blank", "a\n\nb\n");
    render_yaml_str(y, "lead", " a\nb\n"); /* no literal: indentation would be lost */
    render_yaml_str(y, "ctrl", "a\x01\nb\n");
    render_yaml_end(y);
    render_yaml_seq(y, "list");
    render_yaml_str(y, NULL, "x\ny\n");
    render_yaml_end(y);
}

static void test_literal_blocks(void **state)
{
    EXPECT_DOC(build_literals, "stringData:\n"
                               "  pem: |\n"
                               "    -----BEGIN X-----\n"
                               "    AB/+\n"
                               "    -----END X-----\n"
                               "  strip: |-\n"
                               "    a\n"
                               "    b\n"
                               "  keep: |+\n"
                               "    a\n"
                               "\n"
                               "  blank: |\n"
                               "    a\n"
                               "\n"
                               "    b\n"
                               "  lead: \" a\\nb\\n\"\n"
                               "  ctrl: \"a\\x01\\nb\\n\"\n"
                               "list:\n"
                               "  - |\n"
                               "    x\n"
                               "    y\n");
}

static int take_rc(struct render_yaml *y)
{
    char *text;
    size_t len;
    int rc = render_yaml_take(y, &text, &len);
    free(text);
    return rc;
}

static void test_errors(void **state)
{
    struct render_yaml y;
    render_yaml_init(&y, 1 << 16);
    render_yaml_seq(&y, "a");
    render_yaml_seq(&y, NULL); /* a sequence directly in a sequence */
    assert_int_equal(take_rc(&y), -EINVAL);

    render_yaml_init(&y, 1 << 16);
    render_yaml_str(&y, NULL, "x"); /* an item in a map */
    assert_int_equal(take_rc(&y), -EINVAL);

    render_yaml_init(&y, 1 << 16);
    render_yaml_map(&y, "open");
    assert_int_equal(take_rc(&y), -EINVAL); /* never closed */

    render_yaml_init(&y, 1 << 16);
    render_yaml_end(&y); /* nothing to close */
    assert_int_equal(take_rc(&y), -EINVAL);

    render_yaml_init(&y, 1 << 16);
    for (int i = 0; i < RENDER_YAML_MAX_DEPTH + 1; i++)
        render_yaml_map(&y, "k");
    assert_int_equal(take_rc(&y), -EINVAL);

    render_yaml_init(&y, 16); /* the cap */
    render_yaml_str(&y, "key", "a value longer than sixteen bytes");
    render_yaml_str(&y, "more", "x"); /* a no-op after the error */
    assert_int_equal(take_rc(&y), -ENOBUFS);
    render_yaml_free(&y);
    render_yaml_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_ok),       cmocka_unit_test(test_quoted),
        cmocka_unit_test(test_scalar_escapes), cmocka_unit_test(test_layout),
        cmocka_unit_test(test_literal_blocks), cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
