/* cmd_serve.c: `meshperf serve`: flags and environment to a serve_config,
 * backends parsed and resolved, with -rest the REST guard built (caps from
 * the flags, their defaults from the fd limit; allowed targets: loopback,
 * the backends' hosts and -rest-allow), the listener bound, "listening on
 * HOST:PORT" written as the first stdout line (without stdio: nothing on
 * serve's start-up or idle path uses the printf family, which would stay
 * resident; error paths do use it), then serve_run until
 * SIGTERM/SIGINT (drain, exit 0). The TLS contexts (-tls-* flags: the
 * listener's, with -tls-client-ca for mTLS, and the backend calls') are made
 * here, so that a bad file is a flag's error (exit 2). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "cmd/cmd.h"
#include "base/errbuf.h"
#include "base/exitcode.h"
#include "base/flags.h"
#include "net/transport.h"
#include "serve/serve.h"
#include "serve/serve_handlers.h"
#include "serve/serve_rest_guard.h"

static void usage(FILE *f, const struct flag *t)
{
    fprintf(f, "usage: meshperf serve [flags]\n\n"
               "The node service: GET / calls every backend concurrently (200 if all answered\n"
               "200, else 500); /health; /metrics (Prometheus); echo knobs on /echo (and on /\n"
               "without backends): delay=10ms or 150us:10,2ms:5, status=503 or 503:5,429:10,\n"
               "size=N (none with 204/304; 1xx statuses refused), header=K:V, close=1;\n"
               "Fortio's REST API under /fortio/rest/ with -rest (the load-generator role:\n"
               "anyone who reaches the port can start load runs, bounded by the -rest-max-*\n"
               "caps, at loopback, the backends and -rest-allow; see docs/SECURITY.md).\n\n"
               "flags:\n");
    flags_usage(f, t);
    fprintf(f, "\nenvironment: BACKENDS (as -backends; the flag wins).\n");
}

/* "listening on HOST:PORT\n" ("[HOST]:PORT" for IPv6) on stdout, with one
 * write(2) and no stdio: the line is the only thing serve prints while it
 * runs, and printf would fault in ~300 KiB of libc that then stays
 * resident (idle RSS, issue #3). A host longer than 255 bytes is cut. */
static void print_listening(const char *host, int port)
{
    struct buf b;
    buf_init(&b, 300);
    bool v6 = strchr(host, ':') != NULL;
    size_t hl = strlen(host);
    int rc = buf_puts(&b, v6 ? "listening on [" : "listening on ");
    if (!rc) rc = buf_append(&b, host, hl > 255 ? 255 : hl); /* a DNS name has at most 253 */
    if (!rc) rc = buf_puts(&b, v6 ? "]:" : ":");
    if (!rc) rc = buf_put_u64(&b, port < 0 ? 0 : (unsigned)port);
    if (!rc) rc = buf_puts(&b, "\n");
    for (size_t off = 0; !rc && off < b.len;) {
        ssize_t w = write(STDOUT_FILENO, b.data + off, b.len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += (size_t)w;
    }
    buf_free(&b);
}

/* The TLS contexts the flags ask for: *server when cert is given (mTLS
 * with client_ca), *client when any of ca, ccert is (verifying with ca;
 * else serve makes an insecure one for https backends). 0, or -1 with one
 * line in err naming the flag; nothing is left allocated then. */
static int serve_tls(const char *cert, const char *key, const char *client_ca, const char *ca,
                     const char *ccert, const char *ckey, struct transport_tls_ctx **server,
                     struct transport_tls_ctx **client, char *err, size_t errlen)
{
    char why[ERRBUF_LEN];
    *server = *client = NULL;
    if (cert) {
        *server = transport_tls_server_ctx(cert, key, why, sizeof why);
        if (!*server) return errbuf_set(err, errlen, "flags -tls-cert/-tls-key: %s", why);
        if (client_ca && transport_tls_ctx_verify_clients(*server, client_ca, why, sizeof why)) {
            transport_tls_ctx_free(*server);
            *server = NULL;
            return errbuf_set(err, errlen, "flag -tls-client-ca: %s", why);
        }
    }
    if (ca || ccert) {
        *client = transport_tls_client_ctx(ca != NULL, ca, why, sizeof why);
        int rc = *client ? 0 : errbuf_set(err, errlen, "flag -tls-ca: %s", why);
        if (!rc && ccert && transport_tls_ctx_use_cert(*client, ccert, ckey, why, sizeof why))
            rc = errbuf_set(err, errlen, "flags -tls-client-cert/-tls-client-key: %s", why);
        if (rc) {
            transport_tls_ctx_free(*server);
            transport_tls_ctx_free(*client);
            *server = *client = NULL;
            return -1;
        }
    }
    return 0;
}

static void serve_tls_free(struct transport_tls_ctx *server, struct transport_tls_ctx *client)
{
    transport_tls_ctx_free(server);
    transport_tls_ctx_free(client);
}

int cmd_serve(int argc, char **argv)
{
    int64_t port = 9080, threads = 1, max_conns = 10000, max_size = 10 << 20, pool = 64;
    int64_t max_header = 16384, max_body = 1 << 20;
    int64_t backend_timeout = 3000000, max_delay = 10000000, idle = 60000000, header = 10000000;
    int64_t drain = 10000000;
    const char *listen = "0.0.0.0", *backends = NULL, *name = NULL, *data_dir = NULL;
    bool backends_seen = false, rest = false;
    const char *rest_allow = "loopback";
    const char *tls_cert = NULL, *tls_key = NULL, *tls_client_ca = NULL, *tls_ca = NULL;
    const char *tls_client_cert = NULL, *tls_client_key = NULL;
    int64_t nofile, fd_budget = serve_rest_guard_fd_budget(&nofile);
    struct serve_rest_limits lim = {
        .max_runs = SERVE_REST_DEFAULT_MAX_RUNS,
        .max_connections =
            fd_budget < SERVE_REST_DEFAULT_MAX_CONNS ? fd_budget : SERVE_REST_DEFAULT_MAX_CONNS,
        .max_run_connections = 0, /* = max_connections */
        .max_requests = SERVE_REST_DEFAULT_MAX_REQUESTS,
        .max_duration_us = SERVE_REST_DEFAULT_MAX_DURATION,
    };
    bool rest_seen[6] = {false};
    const struct flag table[] = {
        {"port", FLAG_INT, &port, "N", "TCP port (default 9080; 0 = ephemeral)", NULL},
        {"listen", FLAG_STRING, &listen, "ADDR", "listen address (default 0.0.0.0)", NULL},
        {"backends", FLAG_STRING, &backends, "LIST",
         "backends: URL,URL,... ; replicas URL|URL ; optional name= prefix", &backends_seen},
        {"backend-timeout", FLAG_DURATION, &backend_timeout, "D",
         "per-backend call timeout (default 3s)", NULL},
        {"backend-pool", FLAG_INT, &pool, "N",
         "keep-alive connections per backend replica per thread (default 64)", NULL},
        {"max-connections", FLAG_INT, &max_conns, "N",
         "client connections at once (split evenly over -threads); more are answered 503 "
         "and closed (default 10000)",
         NULL},
        {"max-delay", FLAG_DURATION, &max_delay, "D", "cap on echo delay= (default 10s)", NULL},
        {"max-size", FLAG_INT, &max_size, "BYTES", "cap on echo size= (default 10485760)", NULL},
        {"max-header-bytes", FLAG_INT, &max_header, "BYTES",
         "larger request heads get 431 (default 16384)", NULL},
        {"max-body-bytes", FLAG_INT, &max_body, "BYTES",
         "larger request bodies get 413 (default 1048576)", NULL},
        {"idle-timeout", FLAG_DURATION, &idle, "D",
         "close keep-alive connections idle this long (default 60s)", NULL},
        {"header-timeout", FLAG_DURATION, &header, "D",
         "a request must arrive whole within this (default 10s; slowloris)", NULL},
        {"drain-timeout", FLAG_DURATION, &drain, "D",
         "on SIGTERM, wait at most this for in-flight requests (default 10s)", NULL},
        {"threads", FLAG_INT, &threads, "N", "worker threads, SO_REUSEPORT (default 1)", NULL},
        {"name", FLAG_STRING, &name, "NAME", "a label for logs and /health", NULL},
        {"data-dir", FLAG_STRING, &data_dir, "DIR",
         "REST runs with save=on write <ID>.json here, never over another (default: not saved)",
         NULL},
        {"tls-cert", FLAG_STRING, &tls_cert, "FILE",
         "serve TLS: this certificate (PEM, chain) on the listener (needs -tls-key)", NULL},
        {"tls-key", FLAG_STRING, &tls_key, "FILE", "the private key (PEM) of -tls-cert", NULL},
        {"tls-client-ca", FLAG_STRING, &tls_client_ca, "FILE",
         "mutual TLS: refuse clients without a certificate signed by this CA (PEM)", NULL},
        {"tls-ca", FLAG_STRING, &tls_ca, "FILE",
         "https backends: verify them against this CA (PEM) besides the system's, and check "
         "their name (default: not verified, as curl -k)",
         NULL},
        {"tls-client-cert", FLAG_STRING, &tls_client_cert, "FILE",
         "https backends: present this client certificate (PEM; needs -tls-client-key)", NULL},
        {"tls-client-key", FLAG_STRING, &tls_client_key, "FILE",
         "the private key (PEM) of -tls-client-cert", NULL},
        {"rest", FLAG_BOOL, &rest, NULL,
         "turn on Fortio's REST API (/fortio/rest/run, status, stop): the load-generator role "
         "(default off: 403)",
         NULL},
        {"rest-allow", FLAG_STRING, &rest_allow, "LIST",
         "REST run targets allowed besides the backends' hosts, comma-separated: loopback "
         "(127.0.0.0/8, ::1), NAME, *.DOMAIN, ADDR, ADDR/BITS; replaces the default (loopback)",
         &rest_seen[0]},
        {"rest-max-runs", FLAG_INT, &lim.max_runs, "N",
         "REST runs at once; more are answered 429 (default 4)", &rest_seen[1]},
        {"rest-max-connections", FLAG_INT, &lim.max_connections, "N",
         "connections of all REST runs at once (default 4096, at most half of ulimit -n)",
         &rest_seen[2]},
        {"rest-max-run-connections", FLAG_INT, &lim.max_run_connections, "N",
         "c of one REST run (default -rest-max-connections)", &rest_seen[3]},
        {"rest-max-requests", FLAG_INT, &lim.max_requests, "N",
         "qps x t, and n, of one REST run (default 100000000)", &rest_seen[4]},
        {"rest-max-duration", FLAG_DURATION, &lim.max_duration_us, "D",
         "t, n/qps and timeout of one REST run; t=on stops there (default 1h)", &rest_seen[5]},
        {NULL},
    };
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos = 0;
    char err[ERRBUF_LEN] = "";
    if (!pos) return EXIT_FAILED;
    int rc = flags_parse(table, argc, argv, pos, &npos, err, sizeof err);
    free(pos);
    if (rc == FLAGS_HELP) {
        usage(stdout, table);
        return EXIT_OK;
    }
    if (rc < 0) {
        fprintf(stderr, "meshperf serve: %s\n", err);
        return EXIT_USAGE;
    }
    if (npos > 0) {
        fprintf(stderr, "meshperf serve: unexpected argument (serve takes only flags)\n");
        return EXIT_USAGE;
    }
#define CHECK(cond, ...)                                                                           \
    if (!(cond)) {                                                                                 \
        fprintf(stderr, "meshperf serve: " __VA_ARGS__);                                           \
        fputc('\n', stderr);                                                                       \
        return EXIT_USAGE;                                                                         \
    }
    CHECK(port >= 0 && port <= 65535, "flag -port: %lld is not a port (0..65535)", (long long)port);
    CHECK(threads >= 1 && threads <= 256, "flag -threads: want 1..256, got %lld",
          (long long)threads);
    CHECK(max_conns >= 1, "flag -max-connections: want >= 1");
    CHECK(pool >= 1 && pool <= 100000, "flag -backend-pool: want 1..100000");
    CHECK(max_size >= 0, "flag -max-size: want >= 0");
    CHECK(max_header >= 256 && max_header <= (1 << 24),
          "flag -max-header-bytes: want 256..16777216");
    CHECK(max_body >= 0 && max_body <= (1LL << 30), "flag -max-body-bytes: want 0..1073741824");
    CHECK(backend_timeout > 0, "flag -backend-timeout: want > 0");
    CHECK(idle > 0 && header > 0, "flags -idle-timeout and -header-timeout: want > 0");
    for (size_t i = 0; i < sizeof rest_seen / sizeof rest_seen[0]; i++)
        CHECK(rest || !rest_seen[i], "flags -rest-*: need -rest (the REST API is off without it)");
    if (!lim.max_run_connections) lim.max_run_connections = lim.max_connections;
    CHECK(lim.max_runs >= 1 && lim.max_runs <= 1000, "flag -rest-max-runs: want 1..1000, got %lld",
          (long long)lim.max_runs);
    CHECK(lim.max_connections >= 1 && lim.max_connections <= fd_budget,
          "flag -rest-max-connections: want 1..%lld (half of the fd limit, ulimit -n %lld), got "
          "%lld",
          (long long)fd_budget, (long long)nofile, (long long)lim.max_connections);
    CHECK(lim.max_run_connections >= 1 && lim.max_run_connections <= lim.max_connections,
          "flag -rest-max-run-connections: want 1..%lld (-rest-max-connections), got %lld",
          (long long)lim.max_connections, (long long)lim.max_run_connections);
    CHECK(lim.max_requests >= 1, "flag -rest-max-requests: want >= 1");
    CHECK(lim.max_duration_us > 0, "flag -rest-max-duration: want > 0");
    CHECK(!tls_cert == !tls_key, "flags -tls-cert and -tls-key: give both or neither");
    CHECK(!tls_client_ca || tls_cert, "flag -tls-client-ca: needs -tls-cert and -tls-key");
    CHECK(!tls_client_cert == !tls_client_key,
          "flags -tls-client-cert and -tls-client-key: give both or neither");
    struct transport_tls_ctx *tls_server = NULL, *tls_client = NULL;
    if (serve_tls(tls_cert, tls_key, tls_client_ca, tls_ca, tls_client_cert, tls_client_key,
                  &tls_server, &tls_client, err, sizeof err) < 0) {
        fprintf(stderr, "meshperf serve: %s\n", err);
        return EXIT_USAGE;
    }
    if (!backends_seen) backends = getenv("BACKENDS");
    struct serve_backends bs;
    if (serve_backends_parse(backends, &bs, err, sizeof err) < 0) {
        fprintf(stderr, "meshperf serve: %s %s\n",
                backends_seen ? "flag -backends:" : "env BACKENDS:", err);
        serve_tls_free(tls_server, tls_client);
        return EXIT_USAGE;
    }
    if (serve_backends_resolve(&bs, err, sizeof err) < 0) {
        fprintf(stderr, "meshperf serve: %s\n", err);
        serve_backends_free(&bs);
        serve_tls_free(tls_server, tls_client);
        return EXIT_USAGE;
    }
    struct serve_rest_guard *guard = NULL;
    if (rest) {
        guard = serve_rest_guard_new(&lim);
        int grc = guard ? serve_rest_guard_allow(guard, rest_allow, err, sizeof err)
                        : errbuf_set(err, sizeof err, "out of memory");
        for (size_t i = 0; grc == 0 && i < bs.n; i++)
            for (size_t k = 0; grc == 0 && k < bs.b[i].nreplicas; k++) {
                const struct serve_replica *rp = &bs.b[i].replicas[k];
                if (serve_rest_guard_allow_host(guard, rp->sni,
                                                (const struct sockaddr *)&rp->addr.ss) < 0)
                    grc = errbuf_set(err, sizeof err, "out of memory");
            }
        if (grc < 0) {
            fprintf(stderr, "meshperf serve: %s\n", err);
            serve_rest_guard_free(guard);
            serve_backends_free(&bs);
            return EXIT_USAGE;
        }
    }
    /* stop signals are received by serve_run's signalfd: block them in
     * every thread, before any is created */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    struct serve_config cfg = {
        .listen_host = listen,
        .port = (int)port,
        .threads = (int)threads,
        .name = name,
        .backends = &bs,
        .backend_timeout_us = backend_timeout,
        .backend_pool = (int)pool,
        .max_connections = max_conns,
        .max_delay_us = max_delay,
        .max_size = max_size,
        .max_header_bytes = max_header,
        .max_body_bytes = max_body,
        .idle_timeout_us = idle,
        .header_timeout_us = header,
        .drain_timeout_us = drain,
        .data_dir = data_dir,
        .rest_guard = guard,
        .handlers = &serve_handlers_table,
        .tls_server = tls_server,
        .tls_client = tls_client,
    };
    struct serve *s = serve_new(&cfg, err, sizeof err);
    if (!s) {
        fprintf(stderr, "meshperf serve: %s\n", err);
        serve_rest_guard_free(guard);
        serve_backends_free(&bs);
        serve_tls_free(tls_server, tls_client);
        return EXIT_FAILED;
    }
    const char *shown = (!strcmp(listen, "0.0.0.0") || !*listen) ? "127.0.0.1" : listen;
    print_listening(shown, serve_port(s));
    rc = serve_run(s, &sigs, err, sizeof err);
    if (rc < 0) fprintf(stderr, "meshperf serve: %s\n", err);
    serve_free(s);
    serve_rest_guard_free(guard);
    serve_backends_free(&bs);
    serve_tls_free(tls_server, tls_client);
    return rc < 0 ? EXIT_FAILED : EXIT_OK;
}
