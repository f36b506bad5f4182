/* loadgen_opts.c: the load generator's option defaults and checks (see
 * loadgen_opts.h). The check parses the URL and validates every field
 * without touching the network. */
#include "load/loadgen_opts.h"

#include <math.h>
#include <string.h>

#include "base/errbuf.h"
#include "net/url.h"

void loadgen_opts_init(struct loadgen_opts *o)
{
    memset(o, 0, sizeof *o);
    o->qps = LOADGEN_DEFAULT_QPS;
    o->duration_us = LOADGEN_DEFAULT_DURATION_US;
    o->connections = LOADGEN_DEFAULT_CONNECTIONS;
    o->timeout_us = LOADGEN_DEFAULT_TIMEOUT_US;
    o->sched_batch = true;
}

static bool is_tchar(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

int loadgen_opts_check(const struct loadgen_opts *o, char *err, size_t errlen)
{
    if (!o->url || !*o->url) return errbuf_set(err, errlen, "missing URL");
    struct url u;
    if (url_parse(o->url, &u, err, errlen) < 0) return -1;
    if (!isfinite(o->qps) || o->qps < 0)
        return errbuf_set(err, errlen, "flag -qps: must be >= 0 (0 = max), got %g", o->qps);
    if (o->qps > 0 && o->qps < LOADGEN_MIN_QPS)
        return errbuf_set(err, errlen,
                          "flag -qps: must be 0 (max) or at least %g (one request per %g s), "
                          "got %g",
                          LOADGEN_MIN_QPS, 1 / LOADGEN_MIN_QPS, o->qps);
    if (o->duration_us < 0) return errbuf_set(err, errlen, "flag -t: must not be negative");
    if (o->count < 0)
        return errbuf_set(err, errlen, "flag -n: must not be negative, got %lld",
                          (long long)o->count);
    if (o->connections < 1 || o->connections > LOADGEN_MAX_CONNECTIONS)
        return errbuf_set(err, errlen, "flag -c: connections must be 1..%d, got %d",
                          LOADGEN_MAX_CONNECTIONS, o->connections);
    if (o->threads < 0 || o->threads > LOADGEN_MAX_THREADS)
        return errbuf_set(err, errlen, "flag -threads: must be 0..%d (0 = cores), got %d",
                          LOADGEN_MAX_THREADS, o->threads);
    if (o->timeout_us < 0) return errbuf_set(err, errlen, "flag -timeout: must not be negative");
    for (size_t i = 0; i < o->nheaders; i++) {
        const char *h = o->headers[i];
        const char *colon = h ? strchr(h, ':') : NULL;
        bool bad = !colon || colon == h;
        for (const char *p = h; !bad && p < colon; p++)
            bad = !is_tchar((unsigned char)*p);
        for (const char *p = colon; !bad && *p; p++)
            bad = (unsigned char)*p < 0x20 && *p != '\t';
        if (bad)
            return errbuf_set(err, errlen, "flag -H: '%s' is not of the form 'Name: value'",
                              h ? h : "(null)");
    }
    if (o->method) {
        bool bad = !*o->method;
        for (const char *p = o->method; !bad && *p; p++)
            bad = !is_tchar((unsigned char)*p);
        if (bad) return errbuf_set(err, errlen, "flag -X: '%s' is not a method token", o->method);
    }
    if (!o->cert_file != !o->key_file)
        return errbuf_set(err, errlen, "flags -cert and -key: give both or neither");
    if (o->payload_len > LOADGEN_MAX_PAYLOAD)
        return errbuf_set(err, errlen, "flag -payload: %zu bytes, more than the %u allowed",
                          o->payload_len, LOADGEN_MAX_PAYLOAD);
    return 0;
}
