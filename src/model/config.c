/* config.c: config.json parsed with jansson and validated (see config.h).
 *
 * jansson builds the tree (duplicate keys: the last wins, as in Go; syntax
 * errors carry line and column). Each object is then matched against its
 * known fields with Go's encoding/json rule (match_fields): every key, in
 * file order, goes to the field of the same name, else to the field whose
 * name is equal under Go's case folding; a later key overwrites an earlier
 * one; null is skipped. Values are converted by small helpers that accept
 * what the original's files hold (numbers written as strings) and build the
 * error line "<file>: <json path>: must be ..., got <value>". The
 * backends_map feeds topology.c, which names any cycle; each load test's
 * URL is then resolved to a node. */
#include "model/config.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "base/errbuf.h"
#include "load/loadgen_opts.h"
#include "model/topology.h"
#include "net/url.h"

#define MAX_QPS        1e9
#define MAX_SECONDS    1e9 /* a number of seconds; larger would overflow in us */
#define MAX_REPLICAS   1000
#define MAX_CONN_CHECK 1000000
#define MAX_WARNINGS   100
#define MAX_TESTS      10000
#define MIN_SAMPLE_US  10000

struct ctx {
    const char *name; /* file name for messages */
    char *err;
    size_t errlen;
    struct config *cfg;
};

/* "<name>: <path>: <message>"; returns -1. */
static int __attribute__((format(printf, 3, 4)))
fail(struct ctx *cx, const char *path, const char *fmt, ...)
{
    char msg[ERRBUF_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (path && *path) return errbuf_set(cx->err, cx->errlen, "%s: %s: %s", cx->name, path, msg);
    return errbuf_set(cx->err, cx->errlen, "%s: %s", cx->name, msg);
}

static void __attribute__((format(printf, 2, 3))) warn(struct ctx *cx, const char *fmt, ...)
{
    struct config *c = cx->cfg;
    if (c->nwarnings > MAX_WARNINGS) return;
    char msg[ERRBUF_LEN];
    int o = snprintf(msg, sizeof msg, "%s: ", cx->name);
    if (c->nwarnings == MAX_WARNINGS) {
        snprintf(msg + o, sizeof msg - (size_t)o, "more warnings left out");
    } else {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg + o, sizeof msg - (size_t)o, fmt, ap);
        va_end(ap);
    }
    char **nw = realloc(c->warnings, (c->nwarnings + 1) * sizeof *nw);
    if (!nw) return;
    c->warnings = nw;
    if ((nw[c->nwarnings] = strdup(msg))) c->nwarnings++;
}

/* The value as shown after "got": strings quoted, numbers and literals as
 * JSON, containers by kind. */
static const char *shown(const json_t *v, char *out, size_t outlen)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        snprintf(out, outlen, json_object_size(v) ? "an object" : "{}");
        break;
    case JSON_ARRAY:
        snprintf(out, outlen, json_array_size(v) ? "an array" : "[]");
        break;
    case JSON_STRING:
        topology_quote(json_string_value(v), out, outlen);
        break;
    case JSON_INTEGER:
        snprintf(out, outlen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        snprintf(out, outlen, "%.17g", json_real_value(v));
        break;
    case JSON_TRUE:
        snprintf(out, outlen, "true");
        break;
    case JSON_FALSE:
        snprintf(out, outlen, "false");
        break;
    default:
        snprintf(out, outlen, "null");
    }
    return out;
}

#define GOT(v) shown((v), got, sizeof got)

/* ---- Go's key matching ---- */

/* Next folded character of a key, Go's foldName: ASCII lower case goes to
 * upper; U+017F (long s) and U+212A (Kelvin) fold to 'S' and 'K', the only
 * non-ASCII runes that can fold onto our ASCII field names. Any other
 * non-ASCII byte is returned as is (it can never equal an ASCII name). */
static int fold_next(const unsigned char **p)
{
    const unsigned char *s = *p;
    if (s[0] == 0xc5 && s[1] == 0xbf) {
        *p += 2;
        return 'S';
    }
    if (s[0] == 0xe2 && s[1] == 0x84 && s[2] == 0xaa) {
        *p += 3;
        return 'K';
    }
    *p += 1;
    return (s[0] >= 'a' && s[0] <= 'z') ? s[0] - 'a' + 'A' : s[0];
}

static bool fold_eq(const char *key, const char *field)
{
    const unsigned char *a = (const unsigned char *)key, *b = (const unsigned char *)field;
    while (*a && *b)
        if (fold_next(&a) != fold_next(&b)) return false;
    return !*a && !*b;
}

struct field {
    const char *name; /* as the original's struct tag spells it */
    json_t *v;        /* borrowed from the tree; NULL = absent */
    const char *key;  /* the key as written in the file */
};

/* Assign obj's members to fields by Go's rule; unknown keys become
 * warnings "<where>unknown key "k" ignored". */
static void match_fields(struct ctx *cx, json_t *obj, struct field *f, size_t nf, const char *where)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        size_t i;
        for (i = 0; i < nf && strcmp(key, f[i].name) != 0; i++)
            ;
        if (i == nf)
            for (i = 0; i < nf && !fold_eq(key, f[i].name); i++)
                ;
        if (i == nf) {
            char q[128];
            topology_quote(key, q, sizeof q);
            warn(cx, "%sunknown key %s ignored", where, q);
            continue;
        }
        if (json_is_null(v)) continue;
        f[i].v = v;
        f[i].key = key;
    }
}

/* ---- value conversions ---- */

/* A number, or a string holding a decimal number ("50000", "1.5e3"). */
static bool as_number(const json_t *v, double *out)
{
    if (json_is_integer(v)) {
        *out = (double)json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        *out = json_real_value(v);
        return isfinite(*out);
    }
    if (!json_is_string(v)) return false;
    const char *s = json_string_value(v);
    if (!*s || strspn(s, "0123456789.eE+-") != strlen(s)) return false;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(d)) return false;
    *out = d;
    return true;
}

/* An integral number or numeric string within [lo, hi]; 0 or -1 with err. */
static int as_int(struct ctx *cx, const char *path, const json_t *v, long long lo, long long hi,
                  const char *what, long long *out)
{
    char got[160];
    double d;
    if (!as_number(v, &d) || d != floor(d) || d < (double)lo)
        return fail(cx, path, "must be %s, got %s", what, GOT(v));
    if (d > (double)hi) return fail(cx, path, "must be at most %lld, got %s", hi, GOT(v));
    *out = (long long)d;
    return 0;
}

/* A duration: a string ("10s", "1m30s", "30" = seconds) or a number of
 * seconds; must be >= min_us. */
static int as_duration(struct ctx *cx, const char *path, const json_t *v, int64_t min_us,
                       const char *what, int64_t *out)
{
    char got[160];
    int64_t us = -1;
    if (json_is_string(v)) {
        if (duration_parse(json_string_value(v), &us) < 0) us = -1;
    } else if (json_is_number(v)) {
        double s = json_number_value(v);
        if (s >= 0 && s <= MAX_SECONDS) us = (int64_t)llround(s * 1e6);
    }
    if (us < min_us)
        return fail(cx, path, "must be %s such as \"10s\" or a number of seconds, got %s", what,
                    GOT(v));
    *out = us;
    return 0;
}

static int as_bool(struct ctx *cx, const char *path, const json_t *v, bool *out)
{
    char got[160];
    if (!json_is_boolean(v)) return fail(cx, path, "must be true or false, got %s", GOT(v));
    *out = json_is_true(v);
    return 0;
}

/* A copy of a string value; -1 with err when v is not a string. */
static int as_string(struct ctx *cx, const char *path, const json_t *v, const char *what,
                     char **out)
{
    char got[160];
    if (!json_is_string(v)) return fail(cx, path, "must be %s, got %s", what, GOT(v));
    if (!(*out = strdup(json_string_value(v)))) return fail(cx, path, "out of memory");
    return 0;
}

/* Usable as one path component: 1..NAME_MAX_BYTES bytes, no '/', not "."
 * or "..", no control characters. */
#define NAME_MAX_BYTES 200
static bool file_name_ok(const char *s)
{
    if (!*s || strlen(s) > NAME_MAX_BYTES || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 ||
        strchr(s, '/'))
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return false;
    return true;
}

/* ---- sections ---- */

static int parse_backends(struct ctx *cx, struct field *f)
{
    char got[160], path[256], q[128];
    struct topology *t = cx->cfg->topo;
    if (!f->v) return fail(cx, "backends_map", "missing (the topology needs at least one node)");
    const char *bm = f->key;
    if (!json_is_object(f->v) || json_object_size(f->v) == 0)
        return fail(cx, bm, "must be an object of node name -> list of backend names, got %s",
                    GOT(f->v));
    const char *name;
    json_t *list;
    json_object_foreach(f->v, name, list)
    {
        topology_quote(name, q, sizeof q);
        snprintf(path, sizeof path, "%s[%s]", bm, q);
        char terr[ERRBUF_LEN];
        if (topology_add_node(t, name, terr, sizeof terr) < 0) return fail(cx, path, "%s", terr);
        if (json_is_null(list)) continue;
        if (!json_is_array(list))
            return fail(cx, path, "must be a list of backend names, got %s", GOT(list));
        size_t i;
        json_t *b;
        json_array_foreach(list, i, b)
        {
            snprintf(path, sizeof path, "%s[%s][%zu]", bm, q, i);
            if (!json_is_string(b))
                return fail(cx, path, "must be a node name (a string), got %s", GOT(b));
            const char *bn = json_string_value(b);
            if (strcmp(bn, name) == 0)
                return fail(cx, path, "node %s calls itself (cycle %s -> %s)", q, name, name);
            for (size_t k = 0; k < i && i < 1000; k++) /* a warning only: bounded */
                if (strcmp(json_string_value(json_array_get(list, k)), bn) == 0) {
                    char qb[128];
                    topology_quote(bn, qb, sizeof qb);
                    warn(cx, "%s: %s is listed again; it will be called twice per request", path,
                         qb);
                    break;
                }
            if (topology_add_edge(t, name, bn, terr, sizeof terr) < 0)
                return fail(cx, path, "%s", terr);
        }
    }
    char terr[ERRBUF_LEN];
    if (topology_finish(t, terr, sizeof terr) < 0) return fail(cx, bm, "%s", terr);
    return 0;
}

static int parse_test(struct ctx *cx, json_t *obj, size_t idx, const char *lt,
                      struct config_test *ct)
{
    char got[160], path[192], where[208];
    snprintf(path, sizeof path, "%s[%zu]", lt, idx);
    if (!json_is_object(obj)) return fail(cx, path, "must be an object, got %s", GOT(obj));
    struct field f[] = {{"test_name", NULL, NULL}, {"url", NULL, NULL}, {"qps", NULL, NULL},
                        {"t", NULL, NULL},         {"c", NULL, NULL},   {"n", NULL, NULL}};
    snprintf(where, sizeof where, "%s: ", path);
    match_fields(cx, obj, f, sizeof f / sizeof f[0], where);
#define FPATH(i) (snprintf(path, sizeof path, "%s[%zu].%s", lt, idx, f[i].key), path)

    /* test_name */
    if (!f[0].v) return fail(cx, path, "missing test_name");
    if (as_string(cx, FPATH(0), f[0].v, "a string", &ct->name) < 0) return -1;
    if (!file_name_ok(ct->name))
        return fail(cx, path,
                    "must be usable as a directory name (1 to 200 bytes, no '/', not \".\" "
                    "or \"..\", no control characters), got %s",
                    GOT(f[0].v));
    struct config *c = cx->cfg;
    for (size_t k = 0; k < idx; k++)
        if (strcmp(c->tests[k].name, ct->name) == 0)
            return fail(cx, path,
                        "%s repeats %s[%zu].test_name (results would overwrite "
                        "each other)",
                        GOT(f[0].v), lt, k);

    /* url */
    if (f[1].v) {
        if (as_string(cx, FPATH(1), f[1].v, "a URL string", &ct->url) < 0) return -1;
    } else {
        snprintf(path, sizeof path, "%s[%zu].url", lt, idx);
        if (!(ct->url = strdup(CONFIG_DEFAULT_URL))) return fail(cx, path, "out of memory");
    }
    char *p = malloc(URL_PATH_MAX + 1), ns[64], terr[ERRBUF_LEN];
    if (!p) return fail(cx, path, "out of memory");
    if (topology_resolve_url(c->topo, ct->url, &ct->node, p, URL_PATH_MAX + 1, ns, sizeof ns, terr,
                             sizeof terr) < 0) {
        free(p);
        return fail(cx, path, "%s", terr);
    }
    ct->path = strdup(p);
    free(p);
    if (!ct->path) return fail(cx, path, "out of memory");
    if (*ns && strcmp(ns, c->ns) != 0)
        warn(cx,
             "%s: namespace \"%s\" differs from the topology's \"%s\" (matters on "
             "Kubernetes only)",
             path, ns, c->ns);

    /* qps */
    ct->qps = CONFIG_DEFAULT_QPS;
    if (f[2].v) {
        double d;
        if (!as_number(f[2].v, &d) || d < 0)
            return fail(cx, FPATH(2), "must be a number >= 0, got %s", GOT(f[2].v));
        if (d > MAX_QPS)
            return fail(cx, FPATH(2), "must be at most %.0f, got %s", MAX_QPS, GOT(f[2].v));
        ct->qps = d == 0 ? 0 : d; /* no "-0" */
    }
    /* t */
    ct->duration_us = CONFIG_DEFAULT_DURATION_US;
    if (f[3].v && as_duration(cx, FPATH(3), f[3].v, 1, "a duration > 0", &ct->duration_us) < 0)
        return -1;
    /* c */
    ct->connections = CONFIG_DEFAULT_CONNECTIONS;
    long long ll;
    if (f[4].v) {
        if (as_int(cx, FPATH(4), f[4].v, 1, LOADGEN_MAX_CONNECTIONS, "an integer >= 1", &ll) < 0)
            return -1;
        ct->connections = (int)ll;
    }
    /* n */
    if (f[5].v) {
        if (as_int(cx, FPATH(5), f[5].v, 0, (long long)1e15, "an integer >= 0", &ll) < 0) return -1;
        ct->count = ll;
    }
#undef FPATH
    return 0;
}

static int parse_tests(struct ctx *cx, struct field *f)
{
    char got[160];
    struct config *c = cx->cfg;
    if (!f->v) return fail(cx, "load_tests", "missing (nothing to run)");
    if (!json_is_array(f->v) || json_array_size(f->v) == 0)
        return fail(cx, f->key, "must be a list of at least one test, got %s", GOT(f->v));
    size_t n = json_array_size(f->v);
    if (n > MAX_TESTS) return fail(cx, f->key, "more than %d tests", MAX_TESTS);
    if (!(c->tests = calloc(n, sizeof *c->tests))) return fail(cx, f->key, "out of memory");
    for (size_t i = 0; i < n; i++) {
        c->ntests = i + 1; /* so config_free frees a half-filled entry */
        if (parse_test(cx, json_array_get(f->v, i), i, f->key, &c->tests[i]) < 0) return -1;
    }
    return 0;
}

static int parse_metrics(struct ctx *cx, struct field *f)
{
    char got[160], path[192], q[128];
    struct config *c = cx->cfg;
    if (!f->v) return 0;
    if (!json_is_object(f->v))
        return fail(cx, f->key, "must be an object of metric name -> PromQL query, got %s",
                    GOT(f->v));
    size_t n = json_object_size(f->v);
    if (n && !(c->metrics = calloc(n, sizeof *c->metrics)))
        return fail(cx, f->key, "out of memory");
    const char *name;
    json_t *v;
    json_object_foreach(f->v, name, v)
    {
        topology_quote(name, q, sizeof q);
        snprintf(path, sizeof path, "%s[%s]", f->key, q);
        if (!file_name_ok(name))
            return fail(cx, path,
                        "the metric name must be usable as a file name (1 to 200 bytes, no "
                        "'/', not \".\" or \"..\", no control characters)");
        if (!json_is_string(v) || !*json_string_value(v))
            return fail(cx, path, "must be a PromQL query (a non-empty string), got %s", GOT(v));
        struct config_metric *m = &c->metrics[c->nmetrics++];
        if (!(m->name = strdup(name)) || !(m->query = strdup(json_string_value(v))))
            return fail(cx, path, "out of memory");
    }
    return 0;
}

static bool dns_label_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-') return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static const char *const ext_keys[] = {
    "step",           "pause", "sample_interval", "prometheus", "namespace", "scale_qps",
    "load_generator", "store", "tolerance",       "sidecar",    "modes"};
#define NEXT (sizeof ext_keys / sizeof ext_keys[0])

/* meshperf.load_generator: the http(s) base URL of a Fortio REST API. */
static int parse_load_generator(struct ctx *cx, const char *path, json_t *v, char **out)
{
    char got[160];
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    if (!s || (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0))
        return fail(cx, path, "must be the http(s) URL of a Fortio REST API, got %s", GOT(v));
    struct url *u = malloc(sizeof *u);
    char uerr[ERRBUF_LEN];
    if (!u) return fail(cx, path, "out of memory");
    int rc = url_parse(s, u, uerr, sizeof uerr);
    bool query = rc == 0 && strchr(u->path, '?') != NULL;
    free(u);
    if (rc < 0) return fail(cx, path, "%s", uerr);
    if (query) return fail(cx, path, "a load generator's base URL takes no query");
    if (!(*out = strdup(s))) return fail(cx, path, "out of memory");
    return 0;
}

const char *const config_modes[] = {"baseline", "both", "serveronly", "clientonly", NULL};

bool config_mode_known(const char *name)
{
    for (size_t i = 0; config_modes[i]; i++)
        if (!strcmp(name, config_modes[i])) return true;
    return false;
}

/* meshperf.modes: a non-empty list of known mode names, each once. */
static int parse_modes(struct ctx *cx, const char *path, json_t *v)
{
    char got[160], ipath[224];
    struct config *c = cx->cfg;
    size_t n = json_is_array(v) ? json_array_size(v) : 0;
    if (!n)
        return fail(cx, path,
                    "must be a list of modes (baseline, both, serveronly, clientonly), got %s",
                    GOT(v));
    if (!(c->modes = calloc(n, sizeof *c->modes))) return fail(cx, path, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *m = json_array_get(v, i);
        const char *s = json_is_string(m) ? json_string_value(m) : NULL;
        snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
        if (!s || !config_mode_known(s))
            return fail(cx, ipath,
                        "must be a mode (baseline, both, serveronly, clientonly), got %s", GOT(m));
        for (size_t j = 0; j < i; j++)
            if (!strcmp(c->modes[j], s)) return fail(cx, ipath, "mode \"%s\" given twice", s);
        if (!(c->modes[i] = strdup(s))) return fail(cx, ipath, "out of memory");
        c->nmodes = i + 1;
    }
    return 0;
}

static int parse_ext(struct ctx *cx, struct field *f)
{
    char got[160], path[192], q[128];
    struct config *c = cx->cfg;
    json_t *e[NEXT] = {0};
    if (f->v) {
        if (!json_is_object(f->v)) return fail(cx, f->key, "must be an object, got %s", GOT(f->v));
        const char *key;
        json_t *v;
        json_object_foreach(f->v, key, v)
        {
            size_t i;
            for (i = 0; i < NEXT && strcmp(key, ext_keys[i]) != 0; i++)
                ;
            if (i < NEXT) {
                e[i] = json_is_null(v) ? NULL : v;
                continue;
            }
            topology_quote(key, q, sizeof q);
            snprintf(path, sizeof path, "%s[%s]", f->key, q);
            for (i = 0; i < NEXT && !fold_eq(key, ext_keys[i]); i++)
                ;
            if (i < NEXT)
                return fail(cx, path,
                            "unknown key (did you mean \"%s\"? keys here are "
                            "case-sensitive)",
                            ext_keys[i]);
            return fail(cx, path,
                        "unknown key (known: step, pause, sample_interval, "
                        "prometheus, namespace, scale_qps, load_generator, store, "
                        "tolerance, sidecar, modes)");
        }
    }
#define EPATH(i) (snprintf(path, sizeof path, "%s.%s", f->key, ext_keys[i]), path)
    c->step_us = CONFIG_DEFAULT_STEP_US;
    c->pause_us = CONFIG_DEFAULT_PAUSE_US;
    c->sample_us = CONFIG_DEFAULT_SAMPLE_US;
    c->scale_qps = 1;
    if (e[0] && as_duration(cx, EPATH(0), e[0], 1000000, "a duration >= 1s", &c->step_us) < 0)
        return -1;
    if (e[1] && as_duration(cx, EPATH(1), e[1], 0, "a duration >= 0", &c->pause_us) < 0) return -1;
    if (e[2] &&
        as_duration(cx, EPATH(2), e[2], MIN_SAMPLE_US, "a duration >= 10ms", &c->sample_us) < 0)
        return -1;
    if (e[6] && parse_load_generator(cx, EPATH(6), e[6], &c->load_generator) < 0) return -1;
    if (e[7]) {
        const char *s = json_is_string(e[7]) ? json_string_value(e[7]) : NULL;
        if (!s || strncmp(s, "s3://", 5) != 0 || !s[5] || s[5] == '/')
            return fail(cx, EPATH(7), "must be an s3://bucket/prefix URI, got %s", GOT(e[7]));
        if (!(c->store = strdup(s))) return fail(cx, EPATH(7), "out of memory");
    }
    if (e[3]) {
        c->prom_given = true;
        const char *s = json_is_string(e[3]) ? json_string_value(e[3]) : NULL;
        if (s && strcmp(s, "off") == 0) {
            c->prom = CONFIG_PROM_OFF;
        } else if (s && strcmp(s, "local") == 0) {
            c->prom = CONFIG_PROM_LOCAL;
        } else if (s && (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0)) {
            struct url *u = malloc(sizeof *u);
            char uerr[ERRBUF_LEN];
            if (!u) return fail(cx, EPATH(3), "out of memory");
            int rc = url_parse(s, u, uerr, sizeof uerr);
            free(u);
            if (rc < 0) return fail(cx, EPATH(3), "%s", uerr);
            c->prom = CONFIG_PROM_URL;
            if (!(c->prom_url = strdup(s))) return fail(cx, EPATH(3), "out of memory");
        } else {
            return fail(cx, EPATH(3),
                        "must be \"off\", \"local\" or the http(s) URL of a Prometheus, got %s",
                        GOT(e[3]));
        }
    }
    if (e[4]) {
        if (as_string(cx, EPATH(4), e[4], "a string", &c->ns) < 0) return -1;
        if (!dns_label_ok(c->ns))
            return fail(cx, EPATH(4),
                        "must be a Kubernetes namespace name (lower-case letters, digits and "
                        "'-', at most 63), got %s",
                        GOT(e[4]));
    } else if (!(c->ns = strdup(c->mtls ? "mtls-e2e" : "tls-e2e"))) {
        return fail(cx, "meshperf.namespace", "out of memory");
    }
    if (e[5]) {
        double d;
        if (!as_number(e[5], &d) || d <= 0 || d > MAX_QPS)
            return fail(cx, EPATH(5), "must be a number > 0, got %s", GOT(e[5]));
        c->scale_qps = d;
    }
    c->tolerance_pct = -1;
    if (e[8]) {
        double d;
        if (!as_number(e[8], &d) || !(d >= 0 && d <= 100))
            return fail(cx, EPATH(8), "must be a percentage 0..100, got %s", GOT(e[8]));
        c->tolerance_pct = d;
    }
    /* the name is checked against the sidecar table by the command
     * (platform/sidecar.h is above this layer) */
    if (e[9]) {
        const char *s = json_is_string(e[9]) ? json_string_value(e[9]) : NULL;
        if (!s || !s[0] || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(s))
            return fail(cx, EPATH(9), "must be a sidecar name (haproxy, nginx, none), got %s",
                        GOT(e[9]));
        if (!(c->sidecar = strdup(s))) return fail(cx, EPATH(9), "out of memory");
    }
    if (e[10] && parse_modes(cx, EPATH(10), e[10]) < 0) return -1;
#undef EPATH
    return 0;
}

/* ---- entry points ---- */

/* jansson reports the column of the last character of the offending token
 * ("near '\"load_tests\"'"); move it back to the token's first character,
 * where an editor should put the cursor. */
static int token_start_column(const json_error_t *je)
{
    const char *near = strstr(je->text, " near '");
    size_t tl = near ? strlen(near + 7) : 0;
    if (!near || tl < 1 || near[7 + tl - 1] != '\'') return je->column;
    int chars = 0;
    for (size_t i = 0; i + 1 < tl; i++)
        if (((unsigned char)near[7 + i] & 0xc0) != 0x80) chars++;
    if (chars < 1 || memchr(near + 7, '\n', tl) || je->column - (chars - 1) < 1) return je->column;
    return je->column - (chars - 1);
}

int config_parse(const char *text, size_t len, const char *name, struct config **out, char *err,
                 size_t errlen)
{
    *out = NULL;
    struct ctx cx = {.name = name, .err = err, .errlen = errlen};
    size_t ws = 0;
    while (ws < len && strchr(" \t\r\n", text[ws]) && text[ws])
        ws++;
    if (ws == len) return fail(&cx, NULL, "empty file");

    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_DECODE_ANY, &je);
    if (!root) {
        int col = token_start_column(&je);
        /* errbuf_set keeps jansson's text, which may quote the input, one line */
        return errbuf_set(err, errlen, "%s:%d:%d: syntax error: %s", name, je.line, col, je.text);
    }
    struct config *c = calloc(1, sizeof *c);
    int rc = -1;
    if (!c) {
        fail(&cx, NULL, "out of memory");
        goto out;
    }
    cx.cfg = c;
    c->replicas = CONFIG_DEFAULT_REPLICAS;
    c->conn_check = CONFIG_DEFAULT_CONN_CHECK;
    c->scale_qps = 1;
    c->tolerance_pct = -1;
    if (!(c->text = malloc(len + 1)) || !(c->topo = topology_new())) {
        fail(&cx, NULL, "out of memory");
        goto out;
    }
    memcpy(c->text, text, len);
    c->text[len] = '\0';
    c->text_len = len;
    c->stored_text = url_redact_text(c->text, len, &c->stored_len);

    char got[160];
    if (!json_is_object(root)) {
        fail(&cx, NULL, "must be a JSON object, got %s", GOT(root));
        goto out;
    }
    enum { BM, LT, ME, TLS, MTLS, REP, CC, EXT, NF };
    static const char *const names[NF] = {"backends_map",
                                          "load_tests",
                                          "metrics",
                                          "IsTLSEnabled",
                                          "IsmTLSEnabled",
                                          "ReplicasPerVirtualNode",
                                          "ConnectivityCheckPerURL",
                                          "meshperf"};
    struct field f[NF];
    for (int i = 0; i < NF; i++)
        f[i] = (struct field){names[i], NULL, NULL};
    match_fields(&cx, root, f, NF, "");
    long long ll;
    if ((f[TLS].v && as_bool(&cx, f[TLS].key, f[TLS].v, &c->tls) < 0) ||
        (f[MTLS].v && as_bool(&cx, f[MTLS].key, f[MTLS].v, &c->mtls) < 0))
        goto out;
    if (f[REP].v) {
        if (as_int(&cx, f[REP].key, f[REP].v, 1, MAX_REPLICAS, "a positive integer", &ll) < 0)
            goto out;
        c->replicas = (int)ll;
    }
    if (f[CC].v) {
        if (as_int(&cx, f[CC].key, f[CC].v, 0, MAX_CONN_CHECK, "an integer >= 0", &ll) < 0)
            goto out;
        c->conn_check = (int)ll;
    }
    if (parse_ext(&cx, &f[EXT]) < 0 || parse_backends(&cx, &f[BM]) < 0 ||
        parse_tests(&cx, &f[LT]) < 0 || parse_metrics(&cx, &f[ME]) < 0)
        goto out;
    *out = c;
    c = NULL;
    rc = 0;
out:
    config_free(c);
    json_decref(root);
    return rc;
}

int config_load_file(const char *path, struct config **out, char *err, size_t errlen)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return errbuf_set(err, errlen, "%s: cannot read: %s", path, strerror(errno));
    char *data = malloc(CONFIG_MAX_BYTES + 1);
    if (!data) {
        fclose(fp);
        return errbuf_set(err, errlen, "%s: out of memory", path);
    }
    size_t n = fread(data, 1, CONFIG_MAX_BYTES + 1, fp);
    int rerr = ferror(fp) ? errno : 0;
    fclose(fp);
    int rc;
    if (rerr)
        rc = errbuf_set(err, errlen, "%s: cannot read: %s", path, strerror(rerr));
    else if (n > CONFIG_MAX_BYTES)
        rc = errbuf_set(err, errlen, "%s: larger than %u bytes", path, CONFIG_MAX_BYTES);
    else
        rc = config_parse(data, n, path, out, err, errlen);
    free(data);
    return rc;
}

void config_free(struct config *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->ntests; i++) {
        free(c->tests[i].name);
        free(c->tests[i].url);
        free(c->tests[i].path);
    }
    free(c->tests);
    for (size_t i = 0; i < c->nmetrics; i++) {
        free(c->metrics[i].name);
        free(c->metrics[i].query);
    }
    free(c->metrics);
    for (size_t i = 0; i < c->nwarnings; i++)
        free(c->warnings[i]);
    free(c->warnings);
    topology_free(c->topo);
    free(c->prom_url);
    free(c->load_generator);
    free(c->store);
    free(c->sidecar);
    for (size_t i = 0; i < c->nmodes; i++)
        free(c->modes[i]);
    free(c->modes);
    free(c->ns);
    free(c->text);
    free(c->stored_text);
    free(c);
}

double config_test_qps(const struct config *cfg, size_t i)
{
    return cfg->tests[i].qps * cfg->scale_qps;
}

const char *config_prom_str(const struct config *cfg)
{
    switch (cfg->prom) {
    case CONFIG_PROM_LOCAL:
        return "local";
    case CONFIG_PROM_URL:
        return cfg->prom_url;
    default:
        return "off";
    }
}
