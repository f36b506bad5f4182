/* serve_echo.c: parsing of the echo knobs and weighted choice (see
 * serve_echo.h). Each value is percent-decoded into a stack buffer, split on
 * ',' and ':', and checked; nothing is allocated. */
#include "serve/serve_echo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/duration.h"
#include "base/errbuf.h"
#include "serve/serve_query.h"

#define VALUE_MAX 512 /* longest decoded knob value */

static int parse_status(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 100 || v > 999) return -1;
    *out = v;
    return 0;
}

static int parse_delay(const char *s, int64_t *out)
{
    return duration_parse(s, out);
}

static int parse_pct(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0 && v <= 100)) return -1;
    *out = v;
    return 0;
}

int serve_choices_parse(const char *s, int (*parse_value)(const char *, int64_t *),
                        struct serve_choices *out, char *err, size_t errlen)
{
    char tmp[VALUE_MAX];
    size_t n = strlen(s);
    if (n == 0) return errbuf_set(err, errlen, "empty value");
    if (n >= sizeof tmp) return errbuf_set(err, errlen, "value too long");
    memcpy(tmp, s, n + 1);
    out->n = 0;
    if (!strchr(tmp, ':')) {
        if (strchr(tmp, ',') || parse_value(tmp, &out->value[0]) < 0)
            return errbuf_set(err, errlen, "bad value '%s'", s);
        out->cum[0] = 100;
        out->n = 1;
        return 0;
    }
    double total = 0;
    char *save = NULL;
    for (char *item = strtok_r(tmp, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(item, ':');
        if (!colon || strchr(colon + 1, ':'))
            return errbuf_set(err, errlen, "entry '%s' is not value:percent", item);
        *colon = '\0';
        if (out->n == SERVE_ECHO_MAX_CHOICES)
            return errbuf_set(err, errlen, "more than %d entries", SERVE_ECHO_MAX_CHOICES);
        double pct;
        if (parse_value(item, &out->value[out->n]) < 0)
            return errbuf_set(err, errlen, "bad value '%s'", item);
        if (parse_pct(colon + 1, &pct) < 0)
            return errbuf_set(err, errlen, "bad percentage '%s' for '%s'", colon + 1, item);
        total += pct;
        /* a small tolerance, as Fortio rounds the running sum */
        if (total > 100.0 + 1e-9)
            return errbuf_set(err, errlen, "percentages add up to %g > 100", total);
        out->cum[out->n++] = total;
    }
    if (out->n == 0) return errbuf_set(err, errlen, "empty list");
    return 0;
}

int64_t serve_choices_pick(const struct serve_choices *c, double roll, int64_t dflt)
{
    for (size_t i = 0; i < c->n; i++)
        if (roll < c->cum[i]) return c->value[i];
    return dflt;
}

double serve_echo_roll(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return (double)(x >> 11) * (100.0 / 9007199254740992.0); /* 53 bits -> [0,100) */
}

static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Split "K:V", check that K is a token and V has no control characters,
 * and store both (trimmed) in scratch. */
static int add_header(struct serve_echo *e, const char *kv, char **scratch, size_t *left, char *err,
                      size_t errlen)
{
    const char *colon = strchr(kv, ':');
    if (!colon || colon == kv) return errbuf_set(err, errlen, "header: '%s' is not K:V", kv);
    size_t klen = (size_t)(colon - kv);
    for (size_t i = 0; i < klen; i++)
        if (!is_tchar((unsigned char)kv[i]))
            return errbuf_set(err, errlen, "header: bad name in '%s'", kv);
    /* the server frames the response itself: a second framing would let
     * a client desynchronise (two Content-Lengths, CL + chunked) */
    static const char *const framing[] = {"content-length", "transfer-encoding", "connection"};
    for (size_t i = 0; i < sizeof framing / sizeof framing[0]; i++)
        if (klen == strlen(framing[i]) && !strncasecmp(kv, framing[i], klen))
            return errbuf_set(err, errlen, "header: '%.*s' is set by the server", (int)klen, kv);
    const char *v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t vlen = strlen(v);
    while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
        vlen--;
    for (size_t i = 0; i < vlen; i++)
        if ((unsigned char)v[i] < 0x20 && v[i] != '\t')
            return errbuf_set(err, errlen, "header: control character in value of '%.*s'",
                              (int)klen, kv);
    if (e->nheaders == SERVE_ECHO_MAX_HEADERS)
        return errbuf_set(err, errlen, "header: more than %d", SERVE_ECHO_MAX_HEADERS);
    if (klen + vlen + 2 > *left) return errbuf_set(err, errlen, "header: too long");
    char *k = *scratch;
    memcpy(k, kv, klen);
    k[klen] = '\0';
    char *vv = k + klen + 1;
    memcpy(vv, v, vlen);
    vv[vlen] = '\0';
    *scratch += klen + vlen + 2;
    *left -= klen + vlen + 2;
    e->header_name[e->nheaders] = k;
    e->header_value[e->nheaders] = vv;
    e->nheaders++;
    return 0;
}

int serve_echo_parse(const char *query, size_t len, const struct serve_echo_limits *lim,
                     struct serve_echo *e, char *scratch, size_t scratchlen, char *err,
                     size_t errlen)
{
    memset(e, 0, sizeof *e);
    e->size = -1;
    const char *p = query, *end = query + len;
    struct http_span k, v;
    char val[VALUE_MAX], why[256];
    while (serve_query_next(&p, end, &k, &v)) {
        const char *name = NULL;
        if (serve_query_key_is(k, "delay"))
            name = "delay";
        else if (serve_query_key_is(k, "status"))
            name = "status";
        else if (serve_query_key_is(k, "size"))
            name = "size";
        else if (serve_query_key_is(k, "header"))
            name = "header";
        else if (serve_query_key_is(k, "close"))
            name = "close";
        if (!name) continue;
        if (serve_query_decode(v, val, sizeof val) < 0)
            return errbuf_set(err, errlen, "echo knob %s: bad or too long encoding", name);
        e->any = true;
        if (name[0] == 'd') {
            if (serve_choices_parse(val, parse_delay, &e->delay, why, sizeof why) < 0)
                return errbuf_set(err, errlen, "echo knob delay=%s: %s", val, why);
            for (size_t i = 0; i < e->delay.n; i++)
                if (e->delay.value[i] > lim->max_delay_us) e->delay.value[i] = lim->max_delay_us;
        } else if (name[0] == 's' && name[1] == 't') {
            if (serve_choices_parse(val, parse_status, &e->status, why, sizeof why) < 0)
                return errbuf_set(err, errlen, "echo knob status=%s: %s", val, why);
            /* a 1xx is interim (101 would promise a protocol switch): the
             * answer to the request would still have to follow */
            for (size_t i = 0; i < e->status.n; i++)
                if (e->status.value[i] < 200)
                    return errbuf_set(err, errlen,
                                      "echo knob status=%s: %lld is an interim (1xx) status, "
                                      "not an answer; use 200..999",
                                      val, (long long)e->status.value[i]);
        } else if (name[0] == 's') {
            char *endp;
            errno = 0;
            long long n = strtoll(val, &endp, 10);
            if (errno || endp == val || *endp || n < 0)
                return errbuf_set(err, errlen, "echo knob size=%s: not a byte count", val);
            e->size = n > lim->max_size ? lim->max_size : n;
        } else if (name[0] == 'h') {
            if (add_header(e, val, &scratch, &scratchlen, why, sizeof why) < 0)
                return errbuf_set(err, errlen, "echo knob %s", why);
        } else {
            e->close = !(val[0] == '\0' || !strcmp(val, "0") || !strcmp(val, "false") ||
                         !strcmp(val, "off"));
        }
    }
    return 0;
}
