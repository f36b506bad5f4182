/* Unit tests for sock.c's sock_resolve: address literals, taken without
 * getaddrinfo, give byte for byte the address getaddrinfo gives; the forms
 * only getaddrinfo takes ("127.1", names) still work; a bad port is one
 * line; sock_listen on a literal binds and reports its port. */
#include "cm.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net/sock.h"

/* What getaddrinfo gives for host:port, as sock_resolve did before. */
static void via_getaddrinfo(const char *host, int port, struct sock_addr *out)
{
    struct addrinfo hints, *res = NULL;
    char serv[16];
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(serv, sizeof serv, "%d", port);
    assert_int_equal(getaddrinfo(host, serv, &hints, &res), 0);
    memset(out, 0, sizeof *out);
    memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
    out->len = res->ai_addrlen;
    freeaddrinfo(res);
}

static void test_literals_as_getaddrinfo(void **state)
{
    static const char *const hosts[] = {
        "127.0.0.1", "0.0.0.0",      "255.255.255.255", "10.1.2.3", "::1",   "::",
        "fe80::1",   "2001:db8::42", "::ffff:1.2.3.4",  "127.1",    "0x7f.1"};
    static const int ports[] = {0, 80, 9080, 65535};
    for (size_t i = 0; i < sizeof hosts / sizeof *hosts; i++) {
        for (size_t j = 0; j < sizeof ports / sizeof *ports; j++) {
            struct sock_addr got, want;
            char err[256] = "";
            memset(&got, 0xa5, sizeof got);
            if (sock_resolve(hosts[i], ports[j], &got, err, sizeof err) != 0)
                fail_msg("%s:%d: %s", hosts[i], ports[j], err);
            via_getaddrinfo(hosts[i], ports[j], &want);
            assert_int_equal(got.len, want.len);
            if (memcmp(&got, &want, sizeof got) != 0)
                fail_msg("%s:%d: not the address getaddrinfo gives", hosts[i], ports[j]);
        }
    }
    struct sock_addr a;
    char err[256] = "", s[SOCK_ADDR_STRLEN];
    assert_int_equal(sock_resolve("127.1", 8080, &a, err, sizeof err), 0);
    assert_string_equal(sock_addr_str((struct sockaddr *)&a.ss, a.len, s, sizeof s),
                        "127.0.0.1:8080");
    assert_int_equal(sock_resolve("::1", 443, &a, err, sizeof err), 0);
    assert_string_equal(sock_addr_str((struct sockaddr *)&a.ss, a.len, s, sizeof s), "[::1]:443");
    assert_int_equal(sock_resolve("localhost", 1, &a, err, sizeof err), 0);
    assert_true(a.ss.ss_family == AF_INET || a.ss.ss_family == AF_INET6);
}

static void test_errors(void **state)
{
    struct sock_addr a;
    char err[256] = "";
    assert_int_equal(sock_resolve("127.0.0.1", 65536, &a, err, sizeof err), -1);
    assert_string_equal(err, "resolve 127.0.0.1:65536: port out of range");
    assert_int_equal(sock_resolve("127.0.0.1", -1, &a, err, sizeof err), -1);
    assert_string_equal(err, "resolve 127.0.0.1:-1: port out of range");
}

static void test_listen_on_literals(void **state)
{
    static const char *const hosts[] = {"127.0.0.1", "", NULL};
    for (size_t i = 0; i < sizeof hosts / sizeof *hosts; i++) {
        char err[256] = "";
        int fd = sock_listen(hosts[i], 0, 16, false, err, sizeof err);
        if (fd < 0) fail_msg("listen %s: %s", hosts[i] ? hosts[i] : "(null)", err);
        assert_true(sock_local_port(fd) > 0);
        close(fd);
    }
    char err[256] = "";
    int fd = sock_listen("::1", 0, 16, false, err, sizeof err);
    if (fd >= 0) { /* no IPv6 loopback in some containers */
        assert_true(sock_local_port(fd) > 0);
        close(fd);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals_as_getaddrinfo),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_listen_on_literals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
