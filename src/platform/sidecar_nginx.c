/* sidecar_nginx.c: nginx as a sidecar (Debian package nginx, or
 * nginx-light).
 *
 * nginx.conf: `daemon off; master_process off; worker_processes 1`, so the
 * platform's child is the one process that serves; pid file and every temp
 * path under ctx->dir (nothing under /var); access log off, error log to
 * stderr at level "error". One upstream per target with a keep-alive pool
 * (keepalive 64 idle connections, closed after 30 s idle, before the app's
 * own 60 s; requests per connection effectively unbounded) and
 * HTTP/1.1 with the Connection header cleared, as keep-alive to upstreams
 * needs: server on listen_port -> upstream "app" (the replica's app); per
 * backend service B a server on its egress port -> upstream "B" (B's
 * replicas' inbound listeners, round-robin). It runs as `nginx -e stderr
 * -p <dir>/ -c <dir>/nginx.conf`.
 *
 * On metrics_port: /stub_status the module's own page (accepted, handled,
 * requests), /health 200, and /metrics, Prometheus text:
 * nginx_connections_{active,reading,writing,waiting} (gauges) and
 * nginx_http_requests_total (counter). stub_status' variables are only the
 * four gauges; its request count is on its page alone, and nginx has no
 * other request counter without extra modules (no njs, no VTS). So
 * /metrics is an SSI template, <dir>/metrics.ssi (the SSI module is built
 * in every Debian flavour, nginx-light included): it includes the
 * stub_status page into a variable (an internal location proxying to this
 * server's /stub_status: SSI's `set` takes only proxied bodies), takes the
 * third number after "accepts handled requests" with an `if` regex, and
 * echoes it as the counter (omitted if the page does not match, never a
 * made-up 0), and echoes the gauges' variables. The counter is stub_status'
 * own: every request nginx took on any of its listeners, inbound, egress
 * and this one (each scrape of /metrics adds two: itself and its
 * subrequest). The inbound server is left out when listen_port is 0.
 *
 * TLS (sidecar.h): the inbound server listens with `ssl` and the pod's
 * ssl_certificate / ssl_certificate_key (with mTLS ssl_client_certificate
 * <ca> and ssl_verify_client on); each egress location proxies to
 * https://B with proxy_ssl_verify on against proxy_ssl_trusted_certificate
 * <ca>, proxy_ssl_name node-B (also sent as SNI) and
 * proxy_ssl_session_reuse on (and the pod's proxy_ssl_certificate / _key
 * with mTLS); the upstream keep-alive pools are the same as without TLS. */
#include "platform/sidecar_nginx.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/atomicfile.h"
#include "base/buf.h"
#include "base/errbuf.h"

/* A server on port that proxies / to upstream name with a keep-alive
 * pool: over TLS when egress_tls (the caller's sidecar to a backend's),
 * listening with TLS when inbound_tls. */
static int nginx_server(struct buf *b, const struct sidecar_ctx *c, int port, const char *upstream,
                        bool inbound_tls, bool egress_tls)
{
    int rc = buf_printf(b,
                        "    server {\n"
                        "        listen 127.0.0.1:%d%s;\n",
                        port, inbound_tls ? " ssl" : "");
    if (rc == 0 && inbound_tls)
        rc = buf_printf(b,
                        "        ssl_certificate %s;\n"
                        "        ssl_certificate_key %s;\n",
                        c->cert_path, c->key_path);
    if (rc == 0 && inbound_tls && c->mtls)
        rc = buf_printf(b,
                        "        ssl_client_certificate %s;\n"
                        "        ssl_verify_client on;\n",
                        c->ca_path);
    if (rc == 0)
        rc = buf_printf(b,
                        "        location / {\n"
                        "            proxy_pass %s://%s;\n"
                        "            proxy_http_version 1.1;\n"
                        "            proxy_set_header Connection \"\";\n"
                        "            proxy_set_header Host $http_host;\n",
                        egress_tls ? "https" : "http", upstream);
    if (rc == 0 && egress_tls)
        rc = buf_printf(b,
                        "            proxy_ssl_verify on;\n"
                        "            proxy_ssl_trusted_certificate %s;\n"
                        "            proxy_ssl_name %s;\n"
                        "            proxy_ssl_server_name on;\n"
                        "            proxy_ssl_session_reuse on;\n",
                        c->ca_path, upstream);
    if (rc == 0 && egress_tls && c->mtls)
        rc = buf_printf(b,
                        "            proxy_ssl_certificate %s;\n"
                        "            proxy_ssl_certificate_key %s;\n",
                        c->cert_path, c->key_path);
    if (rc == 0)
        rc = buf_puts(b, "        }\n"
                         "    }\n");
    return rc;
}

static int nginx_text(const struct sidecar_ctx *c, struct buf *b)
{
    int rc = buf_printf(b,
                        "# generated by meshperf for pod %s\n"
                        "daemon off;\n"
                        "master_process off;\n"
                        "worker_processes 1;\n"
                        "pid %s/nginx.pid;\n"
                        "error_log stderr error;\n"
                        "events { worker_connections 4096; }\n"
                        "http {\n"
                        "    access_log off;\n"
                        "    client_body_temp_path %s/tmp/body;\n"
                        "    proxy_temp_path %s/tmp/proxy;\n"
                        "    fastcgi_temp_path %s/tmp/fastcgi;\n"
                        "    uwsgi_temp_path %s/tmp/uwsgi;\n"
                        "    scgi_temp_path %s/tmp/scgi;\n"
                        "    keepalive_timeout 60s;\n"
                        "    keepalive_requests 1000000;\n"
                        "    upstream app {\n"
                        "        server %s;\n"
                        "        keepalive 64;\n"
                        "        keepalive_requests 1000000;\n"
                        "        keepalive_timeout 30s;\n"
                        "    }\n",
                        c->pod, c->dir, c->dir, c->dir, c->dir, c->dir, c->dir, c->app_addr);
    bool tls = c->cert_path != NULL;
    if (rc == 0 && c->listen_port > 0) rc = nginx_server(b, c, c->listen_port, "app", tls, false);
    for (size_t i = 0; rc == 0 && i < c->negress; i++) {
        const struct sidecar_egress *e = &c->egress[i];
        rc = buf_printf(b, "    upstream %s {\n", e->name);
        for (size_t k = 0; rc == 0 && k < e->nupstreams; k++)
            rc = buf_printf(b, "        server %s;\n", e->upstreams[k]);
        if (rc == 0)
            rc = buf_printf(b, "        keepalive 64;\n"
                               "        keepalive_requests 1000000;\n"
                               "        keepalive_timeout 30s;\n"
                               "    }\n");
        if (rc == 0) rc = nginx_server(b, c, e->port, e->name, false, tls);
    }
    if (rc == 0 && c->metrics_port > 0)
        rc = buf_printf(b,
                        "    server {\n"
                        "        listen 127.0.0.1:%d;\n"
                        "        location = /metrics {\n"
                        "            default_type \"text/plain; version=0.0.4\";\n"
                        "            ssi on;\n"
                        "            ssi_types *;\n"
                        "            alias %s/metrics.ssi;\n"
                        "        }\n"
                        "        location = /stub_status.ssi {\n"
                        "            internal;\n"
                        "            proxy_pass http://127.0.0.1:%d/stub_status;\n"
                        "        }\n"
                        "        location = /stub_status { stub_status; }\n"
                        "        location = /health { return 200 \"ok\\n\"; }\n"
                        "        location / { return 404; }\n"
                        "    }\n",
                        c->metrics_port, c->dir, c->metrics_port);
    if (rc == 0) rc = buf_puts(b, "}\n");
    return rc;
}

/* The /metrics template (see the top of this file). SSI keeps the
 * backslashes of a quoted value, so the regex reads as written. */
static const char nginx_metrics_ssi[] =
    "<!--# include virtual=\"/stub_status.ssi\" set=\"stub\" -->"
    "<!--# if expr=\"$stub = /accepts handled requests\\s+\\d+\\s+\\d+\\s+(\\d+)/\" -->"
    "# TYPE nginx_http_requests_total counter\n"
    "nginx_http_requests_total <!--# echo var=\"1\" -->\n"
    "<!--# endif -->"
    "# TYPE nginx_connections_active gauge\n"
    "nginx_connections_active <!--# echo var=\"connections_active\" -->\n"
    "# TYPE nginx_connections_reading gauge\n"
    "nginx_connections_reading <!--# echo var=\"connections_reading\" -->\n"
    "# TYPE nginx_connections_writing gauge\n"
    "nginx_connections_writing <!--# echo var=\"connections_writing\" -->\n"
    "# TYPE nginx_connections_waiting gauge\n"
    "nginx_connections_waiting <!--# echo var=\"connections_waiting\" -->\n";

int sidecar_nginx_config(const struct sidecar_ctx *ctx, char *err, size_t errlen)
{
    if (ctx->cert_path && (!ctx->key_path || !ctx->ca_path))
        return errbuf_set(err, errlen, "sidecar nginx (pod %s): TLS needs a key and a CA",
                          ctx->pod);
    char path[4096];
    snprintf(path, sizeof path, "%s/tmp", ctx->dir);
    if (mkdir(path, 0700) < 0 && errno != EEXIST)
        return errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
    if (ctx->metrics_port > 0) {
        snprintf(path, sizeof path, "%s/metrics.ssi", ctx->dir);
        if (atomicfile_write(path, nginx_metrics_ssi, sizeof nginx_metrics_ssi - 1, err, errlen) <
            0)
            return -1;
    }
    return sidecar_write_file(ctx, "nginx.conf", nginx_text, err, errlen);
}

int sidecar_nginx_argv(const struct sidecar_ctx *ctx, char **argv, size_t argvlen, char *buf,
                       size_t bufsz, char *err, size_t errlen)
{
    int w1 = snprintf(buf, bufsz, "%s/", ctx->dir);
    if (w1 < 0 || (size_t)w1 >= bufsz)
        return errbuf_set(err, errlen, "sidecar nginx: argv too long");
    char *conf = buf + w1 + 1;
    size_t left = bufsz - (size_t)w1 - 1;
    int w2 = snprintf(conf, left, "%s/nginx.conf", ctx->dir);
    if (argvlen < 8 || w2 < 0 || (size_t)w2 >= left)
        return errbuf_set(err, errlen, "sidecar nginx: argv too long");
    argv[0] = (char *)ctx->bin;
    argv[1] = "-e";
    argv[2] = "stderr";
    argv[3] = "-p";
    argv[4] = buf;
    argv[5] = "-c";
    argv[6] = conf;
    argv[7] = NULL;
    return 0;
}
