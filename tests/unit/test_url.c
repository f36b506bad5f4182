/* Unit tests for url.c: the accepted forms (schemes, hosts, ports, paths)
 * and the one-line errors for everything rejected. */
#include "cm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/url.h"

static void ok(const char *s, struct url *u)
{
    char err[256] = "";
    if (url_parse(s, u, err, sizeof err) != 0) fail_msg("url_parse(%s): %s", s, err);
}

/* Parse must fail with an error equal to want (or, if want starts with '~',
 * containing the rest). */
static void bad(const char *s, const char *want)
{
    struct url u;
    char err[256] = "";
    if (url_parse(s, &u, err, sizeof err) != -1) fail_msg("url_parse(%s) accepted", s);
    assert_null(strchr(err, '\n'));
    if (want[0] == '~') {
        if (!strstr(err, want + 1)) fail_msg("url_parse(%s): '%s' lacks '%s'", s, err, want + 1);
    } else {
        assert_string_equal(err, want);
    }
}

static void test_defaults(void **state)
{
    struct url u;
    ok("http://example.com", &u);
    assert_false(u.tls);
    assert_string_equal(u.scheme, "http");
    assert_string_equal(u.host, "example.com");
    assert_int_equal(u.port, 80);
    assert_false(u.port_explicit);
    assert_string_equal(u.path, "/");
    ok("https://Example.COM", &u);
    assert_true(u.tls);
    assert_string_equal(u.scheme, "https");
    assert_string_equal(u.host, "example.com");
    assert_int_equal(u.port, 443);
    ok("HTTP://x/", &u);
    assert_string_equal(u.scheme, "http");
}

static void test_ports_paths(void **state)
{
    struct url u;
    ok("http://127.0.0.1:8080/echo?size=10&delay=5ms#frag", &u);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 8080);
    assert_true(u.port_explicit);
    assert_string_equal(u.path, "/echo?size=10&delay=5ms");
    ok("http://h?q=1", &u);
    assert_string_equal(u.path, "/?q=1");
    ok("http://h:1", &u);
    assert_int_equal(u.port, 1);
    ok("https://h:65535/a%20b/", &u);
    assert_int_equal(u.port, 65535);
    assert_string_equal(u.path, "/a%20b/");
    ok("http://h#x", &u);
    assert_string_equal(u.path, "/");
    ok("http://my_service-1.default.svc.cluster.local:9080/", &u);
    assert_string_equal(u.host, "my_service-1.default.svc.cluster.local");
}

static void test_ipv6_userinfo(void **state)
{
    struct url u;
    ok("http://[::1]:8080/x", &u);
    assert_true(u.ipv6);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 8080);
    ok("https://[2001:DB8::1]", &u);
    assert_string_equal(u.host, "2001:db8::1");
    assert_int_equal(u.port, 443);
    ok("http://user:secret@host:81/p", &u);
    assert_string_equal(u.host, "host");
    assert_int_equal(u.port, 81);
    assert_null(memmem(&u, sizeof u, "secret", 6)); /* never stored */
}

static void test_host_header(void **state)
{
    struct url u;
    char b[300];
    ok("http://h", &u);
    assert_int_equal(url_host_header(&u, b, sizeof b), 1);
    assert_string_equal(b, "h");
    ok("http://h:80", &u);
    url_host_header(&u, b, sizeof b);
    assert_string_equal(b, "h");
    ok("https://h:80", &u);
    url_host_header(&u, b, sizeof b);
    assert_string_equal(b, "h:80");
    ok("http://[::1]:8080", &u);
    url_host_header(&u, b, sizeof b);
    assert_string_equal(b, "[::1]:8080");
    ok("https://[::1]", &u);
    url_host_header(&u, b, sizeof b);
    assert_string_equal(b, "[::1]");
    url_authority(&u, b, sizeof b);
    assert_string_equal(b, "[::1]:443");
    ok("http://localhost:8443", &u);
    assert_int_equal(url_authority(&u, b, sizeof b), 14);
    assert_string_equal(b, "localhost:8443");
    assert_int_equal(url_authority(&u, b, 14), -1); /* no room for the NUL */
}

static void test_errors(void **state)
{
    bad("htp://x", "bad URL 'htp://x': scheme must be http or https");
    bad("ftp://x/", "bad URL 'ftp://x/': scheme must be http or https");
    bad("localhost:8080", "~missing scheme");
    bad("example.com/x", "~missing scheme");
    bad("", "bad URL '': empty");
    bad("http:/x", "bad URL 'http:/x': missing '//' after 'http:'");
    bad("http://", "bad URL 'http://': empty host");
    bad("http:///path", "~empty host");
    bad("http://:80/", "~empty host");
    bad("http://a b/", "bad URL 'http://a b/': space at offset 8 (encode it as %20)");
    bad("http://a/b c", "~space at offset 10");
    bad("http://a/\x01", "bad URL 'http://a/?': control character at offset 9");
    bad("http://a/\xc3\xa9", "~non-ASCII byte at offset 9");
    bad("http://h:0/", "bad URL 'http://h:0/': port must be a number 1..65535");
    bad("http://h:65536/", "~port must be a number 1..65535");
    bad("http://h:99999999999999999999/", "~port must be a number");
    bad("http://h:8o/", "~port must be a number");
    bad("http://h:-1/", "~port must be a number");
    bad("http://h:/", "~empty port");
    bad("http://h:1:2/", "~port must be a number");
    bad("http://[::1/", "~missing ']'");
    bad("http://[]/", "~empty host");
    bad("http://[::g]/", "~bad IPv6 address '::g'");
    bad("http://[::1]x/", "~unexpected 'x' after ']'");
    bad("http://1.2.3/", "~bad IPv4 address '1.2.3'");
    bad("http://256.1.1.1/", "~bad IPv4 address");
    bad("http://a!b/", "~bad character '!' in host");
    /* userinfo never reaches the message */
    char err[256];
    struct url u;
    assert_int_equal(url_parse("http://bob:hunter2@:80/", &u, err, sizeof err), -1);
    assert_null(strstr(err, "hunter2"));
    assert_string_equal(err, "bad URL 'http://***@:80/': empty host");
    assert_int_equal(url_parse("http://bob:hunter2@h/ x", &u, err, sizeof err), -1);
    assert_null(strstr(err, "hunter2"));
    /* NULL error buffer is fine */
    assert_int_equal(url_parse("x", &u, NULL, 0), -1);
}

static void test_limits(void **state)
{
    static char s[URL_PATH_MAX + 64];
    struct url u;
    char err[256];
    /* host of exactly 255 bytes is fine, 256 is not */
    strcpy(s, "http://");
    memset(s + 7, 'a', 255);
    strcpy(s + 7 + 255, "/");
    ok(s, &u);
    assert_int_equal(strlen(u.host), 255);
    memset(s + 7, 'a', 256);
    strcpy(s + 7 + 256, "/");
    assert_int_equal(url_parse(s, &u, err, sizeof err), -1);
    assert_non_null(strstr(err, "host longer than 255 bytes"));
    assert_true(strlen(err) < 200); /* the quoted URL is shortened */
    /* path of exactly URL_PATH_MAX, then one more */
    strcpy(s, "http://h");
    memset(s + 8, 'p', URL_PATH_MAX);
    s[8] = '/';
    s[8 + URL_PATH_MAX] = '\0';
    ok(s, &u);
    assert_int_equal(strlen(u.path), URL_PATH_MAX);
    s[8 + URL_PATH_MAX] = 'p';
    s[9 + URL_PATH_MAX] = '\0';
    assert_int_equal(url_parse(s, &u, err, sizeof err), -1);
    assert_non_null(strstr(err, "path longer than 8192 bytes"));
}

static void test_redact_text(void **state)
{
    static const char in[] = "{\"p\": \"http://admin:pw@h:9/x\", \"q\": \"https://h2/a@b\",\n"
                             " \"r\": \"s3://k:s@bucket\", \"t\": \"plain text @ 1\"}";
    size_t n = 0;
    char *out = url_redact_text(in, sizeof in - 1, &n);
    assert_non_null(out);
    /* only userinfo before the host goes; an '@' in a path or in text stays */
    assert_string_equal(out, "{\"p\": \"http://***@h:9/x\", \"q\": \"https://h2/a@b\",\n"
                             " \"r\": \"s3://***@bucket\", \"t\": \"plain text @ 1\"}");
    assert_int_equal(n, strlen(out));
    free(out);
    static const char clean[] = "{\"u\": \"http://h/a@b\"}";
    assert_null(url_redact_text(clean, sizeof clean - 1, &n)); /* nothing to do */
    assert_null(url_redact_text("x", 1, &n));
    char *grow = url_redact_text("a://u@h", 7, &n); /* output longer than input */
    assert_string_equal(grow, "a://***@h");
    free(grow);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),      cmocka_unit_test(test_ports_paths),
        cmocka_unit_test(test_ipv6_userinfo), cmocka_unit_test(test_host_header),
        cmocka_unit_test(test_errors),        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_redact_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
