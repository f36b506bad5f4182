/* Unit tests for store_s3_xml: finding elements (not inside longer names,
 * with attributes, self-closing, unclosed), walking <Contents>, decoding
 * text (entities, numeric references as UTF-8, CDATA, markup refused, the
 * output bound), S3 error lines; every input ends at a guard page, so a
 * read past the end faults. */
#include "cm.h"
#include "guard.h"

#include <stdio.h>
#include <string.h>

#include "store/store_s3_xml.h"

static struct store_s3_xml_span span(const char *s, size_t n)
{
    return (struct store_s3_xml_span){guarded(s, n), n};
}

/* The decoded text of the first <tag> of s, or "<none>" / "<bad>". */
static const char *text_of(const char *s, size_t n, const char *tag, char *out, size_t outlen)
{
    struct store_s3_xml_span e;
    if (!store_s3_xml_find(span(s, n), tag, &e)) return "<none>";
    if (store_s3_xml_text(e, out, outlen) < 0) return "<bad>";
    return out;
}

/* store_s3_xml_error on a guarded copy of s[0..n). */
static int xml_error(const char *s, size_t n, char *out, size_t outlen)
{
    return store_s3_xml_error(guarded(s, n), n, out, outlen);
}

static void test_find(void **state)
{
    char out[256];
    assert_string_equal(
        text_of(S("<R><KeyCount>3</KeyCount><Key>a/b</Key></R>"), "Key", out, sizeof out), "a/b");
    assert_string_equal(text_of(S("<R><Key xmlns=\"x\">v</Key></R>"), "Key", out, sizeof out), "v");
    assert_string_equal(text_of(S("<R><Key/><Key>w</Key></R>"), "Key", out, sizeof out), "");
    assert_string_equal(text_of(S("<R><Key>unclosed"), "Key", out, sizeof out), "<none>");
    assert_string_equal(text_of(S("<R><Key"), "Key", out, sizeof out), "<none>");
    assert_string_equal(text_of(S("<"), "Key", out, sizeof out), "<none>");
    assert_string_equal(text_of(S("<Ke"), "Key", out, sizeof out), "<none>");
    assert_string_equal(text_of(S("<Key>"), "Key", out, sizeof out), "<none>");
    assert_string_equal(text_of(S("<Key>x</Key"), "Key", out, sizeof out), "<none>");
    assert_string_equal(text_of(S("</Key><Key>y</Key>"), "Key", out, sizeof out), "y");
}

static void test_next(void **state)
{
    static const char lpage[] = "<ListBucketResult><Name>b</Name>"
                                "<Contents><Key>p/1</Key><Size>5</Size></Contents>"
                                "<Contents><Key>p/2</Key><Size>7</Size></Contents>"
                                "<IsTruncated>false</IsTruncated></ListBucketResult>";
    struct store_s3_xml_span in = span(S(lpage)), c, k;
    size_t pos = 0;
    char out[64];
    int n = 0;
    while (store_s3_xml_next(in, &pos, "Contents", &c)) {
        assert_true(store_s3_xml_find(c, "Key", &k));
        assert_true(store_s3_xml_text(k, out, sizeof out) == 3);
        assert_int_equal(out[2], n == 0 ? '1' : '2');
        n++;
    }
    assert_int_equal(n, 2);
    pos = sizeof lpage + 10; /* past the end: nothing, no read */
    assert_false(store_s3_xml_next(in, &pos, "Contents", &c));
}

static void test_text(void **state)
{
    char out[64];
    assert_string_equal(text_of(S("<K>a&amp;b&lt;&gt;&quot;&apos;</K>"), "K", out, sizeof out),
                        "a&b<>\"'");
    assert_string_equal(
        text_of(S("<K>&#65;&#x42;&#xe9;&#x20AC;&#x1F600;</K>"), "K", out, sizeof out),
        "AB\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    assert_string_equal(text_of(S("<K><![CDATA[<a>&amp;]]>z</K>"), "K", out, sizeof out),
                        "<a>&amp;z");
    assert_string_equal(text_of(S("<K>a<b/></K>"), "K", out, sizeof out), "<bad>");
    assert_string_equal(text_of(S("<K>&bogus;</K>"), "K", out, sizeof out), "<bad>");
    assert_string_equal(text_of(S("<K>&#0;</K>"), "K", out, sizeof out), "<bad>");
    assert_string_equal(text_of(S("<K>&#xD800;</K>"), "K", out, sizeof out), "<bad>");
    assert_string_equal(text_of(S("<K>&#x110000;</K>"), "K", out, sizeof out), "<bad>");
    assert_string_equal(text_of(S("<K>&#x;</K>"), "K", out, sizeof out), "<bad>");
    assert_string_equal(text_of(S("<K>&amp</K>"), "K", out, sizeof out), "<bad>");
    assert_string_equal(text_of(S("<K><![CDATA[open</K>"), "K", out, sizeof out), "<bad>");
    /* the output bound: 4 bytes of room for 3 characters and the NUL */
    assert_string_equal(text_of(S("<K>abc</K>"), "K", out, 4), "abc");
    assert_string_equal(text_of(S("<K>abcd</K>"), "K", out, 4), "<bad>");
    assert_string_equal(text_of(S("<K>ab&#x20AC;</K>"), "K", out, 4), "<bad>");
}

static void test_error(void **state)
{
    char out[128];
    static const char body[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code>"
        "<Message>The request signature we calculated\ndoes not match</Message>"
        "<StringToSign>AWS4-HMAC-SHA256\nsecret-ish</StringToSign></Error>";
    assert_int_equal(xml_error(S(body), out, sizeof out), 0);
    assert_string_equal(
        out, "SignatureDoesNotMatch: The request signature we calculated does not match");
    assert_int_equal(xml_error(S("<Error><Code>NoSuchBucket</Code></Error>"), out, sizeof out), 0);
    assert_string_equal(out, "NoSuchBucket");
    assert_int_equal(xml_error(S("<html>502 Bad Gateway</html>"), out, sizeof out), -1);
    assert_string_equal(out, "");
    assert_int_equal(xml_error(S("<Error><Code></Code></Error>"), out, sizeof out), -1);
    /* a message longer than the room: the code alone */
    assert_int_equal(xml_error(S("<Error><Code>AccessDenied</Code><Message>"
                                 "0123456789012345678901234567890123456789"
                                 "</Message></Error>"),
                               out, 20),
                     0);
    assert_string_equal(out, "AccessDenied");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_next),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_error),
    };
    return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
