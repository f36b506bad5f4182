/* promapi.c: Prometheus HTTP API client (see promapi.h).
 *
 * One blocking libcurl easy handle per request. http_do() performs one
 * request into a capped buffer; with_retry() repeats it with exponential
 * backoff while the failure looks transient (transport errors, 5xx) and the
 * budget lasts. The JSON answers are decoded by pure functions
 * (promapi_matrix_to_series, promapi_parse_targets) that the unit tests and
 * the fuzzer call directly on recorded responses. */
#include "metrics/promapi.h"

#include "net/url.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/mono.h"

#define DEFAULT_RETRY_S   30.0
#define DEFAULT_TIMEOUT_S 30.0
#define DEFAULT_MAX_BODY  ((size_t)64 << 20)

const char *promapi_kind_name(enum promapi_errkind kind)
{
    switch (kind) {
    case PROMAPI_OK:
        return "ok";
    case PROMAPI_E_UNREACHABLE:
        return "unreachable";
    case PROMAPI_E_QUERY:
        return "query";
    case PROMAPI_E_RESPONSE:
        return "response";
    case PROMAPI_E_HTTP:
        return "http";
    case PROMAPI_E_LIMIT:
        return "limit";
    case PROMAPI_E_ARG:
        return "argument";
    case PROMAPI_E_CANCELLED:
        return "cancelled";
    }
    return "unknown";
}

static void err_clear(struct promapi_error *e)
{
    e->kind = PROMAPI_OK;
    e->http_status = 0;
    e->type[0] = e->msg[0] = e->warning[0] = '\0';
}

static int __attribute__((format(printf, 3, 4)))
err_set(struct promapi_error *e, enum promapi_errkind kind, const char *fmt, ...)
{
    e->kind = kind;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    for (char *p = e->msg; *p; p++) /* one line */
        if (*p == '\n' || *p == '\r') *p = ' ';
    return -1;
}

struct opts {
    double retry_s, timeout_s;
    size_t max_body;
    struct series_limits lim;
    const atomic_int *cancel;
};

static struct opts opts_get(const struct promapi_opts *o)
{
    struct opts r = {DEFAULT_RETRY_S, DEFAULT_TIMEOUT_S, DEFAULT_MAX_BODY, {0, 0, 0}, NULL};
    if (!o) return r;
    if (o->retry_total_s > 0)
        r.retry_s = o->retry_total_s;
    else if (o->retry_total_s < 0)
        r.retry_s = 0;
    if (o->request_timeout_s > 0) r.timeout_s = o->request_timeout_s;
    if (o->max_body) r.max_body = o->max_body;
    r.lim = o->lim;
    r.cancel = o->cancel;
    return r;
}

static int cancelled(const struct opts *o)
{
    return o->cancel && *o->cancel;
}

/* ---- JSON -> series (pure) ------------------------------------------------ */

static void set_warnings(json_t *root, struct promapi_error *e)
{
    json_t *w = json_object_get(root, "warnings");
    if (!json_is_array(w) || json_array_size(w) == 0) return;
    const char *first = json_string_value(json_array_get(w, 0));
    size_t more = json_array_size(w) - 1;
    if (more)
        snprintf(e->warning, sizeof(e->warning), "%s (+%zu more)", first ? first : "?", more);
    else
        snprintf(e->warning, sizeof(e->warning), "%s", first ? first : "?");
    for (char *p = e->warning; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
}

/* Load JSON text, reporting syntax errors as RESPONSE with line:column. */
static json_t *load_json(const char *json, size_t len, struct promapi_error *e)
{
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    if (!root) {
        err_set(e, PROMAPI_E_RESPONSE, "invalid JSON from Prometheus: line %d column %d: %s",
                je.line, je.column, je.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        err_set(e, PROMAPI_E_RESPONSE, "answer is not a JSON object");
        return NULL;
    }
    return root;
}

/* status "error" -> QUERY (returns -1); status "success" -> 0; else RESPONSE. */
static int check_status(json_t *root, struct promapi_error *e)
{
    const char *status = json_string_value(json_object_get(root, "status"));
    if (!status) return err_set(e, PROMAPI_E_RESPONSE, "status: missing or not a string");
    if (strcmp(status, "success") == 0) return 0;
    if (strcmp(status, "error") == 0) {
        const char *type = json_string_value(json_object_get(root, "errorType"));
        const char *text = json_string_value(json_object_get(root, "error"));
        snprintf(e->type, sizeof(e->type), "%s", type ? type : "error");
        return err_set(e, PROMAPI_E_QUERY, "%s: %s", type ? type : "error",
                       text ? text : "(no error text)");
    }
    return err_set(e, PROMAPI_E_RESPONSE, "status: unexpected value '%.64s'", status);
}

/* One [ts, "value"] pair into s. path names it for errors. */
static int add_pair(struct series_set *set, struct series *s, json_t *pair, const char *path,
                    struct promapi_error *e)
{
    json_t *ts = json_array_get(pair, 0), *v = json_array_get(pair, 1);
    if (!json_is_array(pair) || json_array_size(pair) != 2 || !json_is_number(ts) ||
        !json_is_string(v))
        return err_set(e, PROMAPI_E_RESPONSE, "%s: expected [timestamp, \"value\"]", path);
    double t = json_number_value(ts);
    if (!isfinite(t)) return err_set(e, PROMAPI_E_RESPONSE, "%s: timestamp is not finite", path);
    int rc = series_add_point(set, s, t, json_string_value(v));
    if (rc == -ENOBUFS)
        return err_set(e, PROMAPI_E_LIMIT, "%s: more than %zu points or %zu bytes of values", path,
                       set->lim.max_points, set->lim.max_value_bytes);
    if (rc) return err_set(e, PROMAPI_E_LIMIT, "out of memory");
    return 0;
}

/* A new series from a "metric" object. */
static int add_series(struct series_set *set, json_t *metric, const char *path, struct series **out,
                      struct promapi_error *e)
{
    if (metric && !json_is_object(metric))
        return err_set(e, PROMAPI_E_RESPONSE, "%s.metric: expected an object", path);
    size_t n = metric ? json_object_size(metric) : 0, i = 0;
    struct series_label *labels = n ? calloc(n, sizeof(*labels)) : NULL;
    if (n && !labels) return err_set(e, PROMAPI_E_LIMIT, "out of memory");
    const char *k;
    json_t *v;
    if (metric) {
        json_object_foreach(metric, k, v)
        {
            if (!json_is_string(v)) {
                free(labels);
                return err_set(e, PROMAPI_E_RESPONSE, "%s.metric.%.64s: expected a string", path,
                               k);
            }
            labels[i].name = (char *)k;
            labels[i].value = (char *)json_string_value(v);
            i++;
        }
    }
    char why[256];
    int rc = series_set_add(set, labels, n, out, why, sizeof(why));
    free(labels);
    if (rc == -ENOBUFS || rc == -ENOMEM) return err_set(e, PROMAPI_E_LIMIT, "%s: %s", path, why);
    if (rc) return err_set(e, PROMAPI_E_RESPONSE, "%s.metric: %s", path, why);
    return 0;
}

static int convert(json_t *root, struct series_set *set, struct promapi_error *e)
{
    if (check_status(root, e)) return -1;
    json_t *data = json_object_get(root, "data");
    if (!json_is_object(data))
        return err_set(e, PROMAPI_E_RESPONSE, "data: missing or not an object");
    const char *rtype = json_string_value(json_object_get(data, "resultType"));
    json_t *result = json_object_get(data, "result");
    if (!rtype) return err_set(e, PROMAPI_E_RESPONSE, "data.resultType: missing or not a string");
    char path[128];
    struct series *s;
    if (strcmp(rtype, "scalar") == 0) {
        if (add_series(set, NULL, "data.result", &s, e)) return -1;
        return add_pair(set, s, result, "data.result", e);
    }
    int matrix = strcmp(rtype, "matrix") == 0;
    if (!matrix && strcmp(rtype, "vector") != 0)
        return err_set(e, PROMAPI_E_RESPONSE,
                       "data.resultType: '%.32s' is not supported (matrix, vector or scalar)",
                       rtype);
    if (!json_is_array(result))
        return err_set(e, PROMAPI_E_RESPONSE, "data.result: expected an array");
    size_t i;
    json_t *el;
    json_array_foreach(result, i, el)
    {
        snprintf(path, sizeof(path), "data.result[%zu]", i);
        if (!json_is_object(el))
            return err_set(e, PROMAPI_E_RESPONSE, "%s: expected an object", path);
        if (json_object_get(el, matrix ? "histograms" : "histogram"))
            return err_set(e, PROMAPI_E_RESPONSE, "%s: native histogram samples are not supported",
                           path);
        if (add_series(set, json_object_get(el, "metric"), path, &s, e)) return -1;
        if (!matrix) {
            char p2[160];
            snprintf(p2, sizeof(p2), "%s.value", path);
            if (add_pair(set, s, json_object_get(el, "value"), p2, e)) return -1;
            continue;
        }
        json_t *values = json_object_get(el, "values");
        if (!json_is_array(values))
            return err_set(e, PROMAPI_E_RESPONSE, "%s.values: expected an array", path);
        size_t j;
        json_t *pair;
        json_array_foreach(values, j, pair)
        {
            char p2[160];
            snprintf(p2, sizeof(p2), "%s.values[%zu]", path, j);
            if (add_pair(set, s, pair, p2, e)) return -1;
        }
    }
    return 0;
}

int promapi_matrix_to_series(const char *json, size_t len, const char *name,
                             const struct series_limits *lim, struct series_set **out,
                             struct promapi_error *e)
{
    err_clear(e);
    *out = NULL;
    json_t *root = load_json(json, len, e);
    if (!root) return -1;
    set_warnings(root, e);
    struct series_set *set = series_set_new(name, lim);
    if (!set) {
        json_decref(root);
        return err_set(e, PROMAPI_E_LIMIT, "out of memory");
    }
    int rc = convert(root, set, e);
    json_decref(root);
    if (rc) {
        series_set_free(set);
        return -1;
    }
    *out = set;
    return 0;
}

int promapi_parse_targets(const char *json, size_t len, int *active, int *up,
                          struct promapi_error *e)
{
    err_clear(e);
    *active = *up = 0;
    json_t *root = load_json(json, len, e);
    if (!root) return -1;
    int rc = check_status(root, e);
    json_t *list = json_object_get(json_object_get(root, "data"), "activeTargets");
    if (!rc && !json_is_array(list))
        rc = err_set(e, PROMAPI_E_RESPONSE, "data.activeTargets: expected an array");
    if (!rc) {
        size_t i;
        json_t *t;
        json_array_foreach(list, i, t)
        {
            const char *h = json_string_value(json_object_get(t, "health"));
            (*active)++;
            if (h && strcmp(h, "up") == 0) (*up)++;
        }
    }
    json_decref(root);
    return rc;
}

/* ---- HTTP ---------------------------------------------------------------- */

struct resp {
    long status;
    CURLcode cc;
    char cerr[CURL_ERROR_SIZE];
    struct buf body;
    int overflow;
};

static size_t on_write(char *p, size_t sz, size_t nm, void *ud)
{
    struct resp *r = ud;
    if (buf_append(&r->body, p, sz * nm)) {
        r->overflow = 1;
        return 0;
    }
    return sz * nm;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    const struct opts *o = ud;
    return cancelled(o);
}

/* One request: GET when form is NULL, else POST form. Fills r. */
static void http_do(const char *url, const char *form, double timeout_s, const struct opts *o,
                    struct resp *r)
{
    r->status = 0;
    r->cerr[0] = '\0';
    r->overflow = 0;
    buf_reset(&r->body);
    CURL *c = curl_easy_init();
    if (!c) {
        r->cc = CURLE_FAILED_INIT;
        return;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->cerr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)o);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    long ms = (long)(timeout_s * 1000);
    if (ms < 1) ms = 1;
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms < 5000 ? ms : 5000L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "meshperf");
    if (form) curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
    r->cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_cleanup(c);
}

static void sleep_s(double s, const struct opts *o)
{
    mono_us end = mono_now() + (mono_us)(s * 1e6);
    while (!cancelled(o)) {
        mono_us left = end - mono_now();
        if (left <= 0) break;
        if (left > 50000) left = 50000;
        struct timespec ts = {0, (long)left * 1000};
        nanosleep(&ts, NULL);
    }
}

/* Describe an HTTP error answer: Prometheus JSON error, or the first line of
 * the body. */
static void describe_http(const struct resp *r, char *out, size_t n)
{
    struct promapi_error tmp;
    err_clear(&tmp);
    json_t *root = r->body.len ? json_loadb(r->body.data, r->body.len, 0, NULL) : NULL;
    if (root && json_is_object(root) && check_status(root, &tmp) && tmp.kind == PROMAPI_E_QUERY) {
        snprintf(out, n, "HTTP %ld: %s", r->status, tmp.msg);
    } else {
        const char *b = r->body.len ? r->body.data : "";
        snprintf(out, n, "HTTP %ld: %.*s", r->status, (int)strcspn(b, "\r\n"), b);
    }
    json_decref(root);
}

/* Request with retry. On 0, r holds a non-5xx answer (any status; caller
 * interprets). On -1, e is filled. */
static int with_retry(const char *url, const char *form, const struct opts *o, struct resp *r,
                      struct promapi_error *e)
{
    char shown[512];
    url_redact(url, shown, sizeof(shown));
    mono_us start = mono_now(), deadline = start + (mono_us)(o->retry_s * 1e6);
    double delay = 0.1;
    int tries = 0;
    for (;;) {
        if (cancelled(o)) return err_set(e, PROMAPI_E_CANCELLED, "%s: cancelled", shown);
        http_do(url, form, o->timeout_s, o, r);
        tries++;
        e->http_status = r->status;
        char why[ERRBUF_LEN];
        switch (r->cc) {
        case CURLE_OK:
            break;
        case CURLE_URL_MALFORMAT:
        case CURLE_UNSUPPORTED_PROTOCOL:
            return err_set(e, PROMAPI_E_ARG, "%s: %s", shown,
                           r->cerr[0] ? r->cerr : curl_easy_strerror(r->cc));
        case CURLE_WRITE_ERROR:
            if (r->overflow)
                return err_set(e, PROMAPI_E_LIMIT, "%s: response larger than %zu bytes", shown,
                               o->max_body);
            /* fall through */
        case CURLE_ABORTED_BY_CALLBACK:
            if (cancelled(o)) return err_set(e, PROMAPI_E_CANCELLED, "%s: cancelled", shown);
            /* fall through */
        default:
            break;
        }
        if (r->cc == CURLE_OK && r->status < 500) return 0;
        if (r->cc != CURLE_OK)
            snprintf(why, sizeof(why), "%s", r->cerr[0] ? r->cerr : curl_easy_strerror(r->cc));
        else
            describe_http(r, why, sizeof(why));
        if (mono_now() + (mono_us)(delay * 1e6) > deadline) {
            double spent = (double)(mono_now() - start) / 1e6;
            if (tries > 1)
                return err_set(e, PROMAPI_E_UNREACHABLE, "%s: %s (%d tries in %.1f s)", shown, why,
                               tries, spent);
            return err_set(e, PROMAPI_E_UNREACHABLE, "%s: %s", shown, why);
        }
        sleep_s(delay, o);
        delay = delay * 2 > 2.0 ? 2.0 : delay * 2;
    }
}

static char *join_url(const char *base, const char *path)
{
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        bl--;
    char *u = malloc(bl + strlen(path) + 1);
    if (!u) return NULL;
    memcpy(u, base, bl);
    strcpy(u + bl, path);
    return u;
}

/* Append "&key=<escaped value>" (no '&' when first). */
static int form_add(struct buf *b, const char *key, const char *val)
{
    char *esc = curl_easy_escape(NULL, val, 0);
    if (!esc) return -ENOMEM;
    int rc = buf_printf(b, "%s%s=%s", b->len ? "&" : "", key, esc);
    curl_free(esc);
    return rc;
}

/* POST path with form; decode the answer into *out. */
static int query_common(const char *base_url, const char *path, const char *name, struct buf *form,
                        const struct opts *o, struct series_set **out, struct promapi_error *e)
{
    char *url = join_url(base_url, path);
    if (!url) return err_set(e, PROMAPI_E_LIMIT, "out of memory");
    struct resp r;
    buf_init(&r.body, o->max_body);
    int rc = with_retry(url, form->data, o, &r, e);
    if (!rc) {
        char warn[sizeof(e->warning)];
        long status = r.status;
        rc = promapi_matrix_to_series(r.body.data ? r.body.data : "", r.body.len, name, &o->lim,
                                      out, e);
        e->http_status = status;
        if (rc && e->kind == PROMAPI_E_RESPONSE && status >= 300) {
            /* Not a Prometheus JSON answer at all: say so by status. */
            char shown[512], d[ERRBUF_LEN];
            url_redact(url, shown, sizeof(shown));
            describe_http(&r, d, sizeof(d));
            memcpy(warn, e->warning, sizeof(warn));
            err_set(e, PROMAPI_E_HTTP, "%s: %s (not a Prometheus API answer)", shown, d);
            memcpy(e->warning, warn, sizeof(warn));
        }
    }
    buf_free(&r.body);
    free(url);
    return rc;
}

static int fmt_time(struct buf *b, const char *key, double t)
{
    char v[64];
    snprintf(v, sizeof(v), "%.3f", t);
    return form_add(b, key, v);
}

int promapi_query_range(const char *base_url, const char *name, const char *query, double start,
                        double end, double step_s, const struct promapi_opts *opts,
                        struct series_set **out, struct promapi_error *e)
{
    err_clear(e);
    *out = NULL;
    struct opts o = opts_get(opts);
    if (!base_url || !*base_url) return err_set(e, PROMAPI_E_ARG, "no Prometheus URL");
    if (!query || !*query) return err_set(e, PROMAPI_E_ARG, "empty query");
    if (!(step_s > 0) || !isfinite(step_s))
        return err_set(e, PROMAPI_E_ARG, "step must be > 0 (got %g)", step_s);
    if (!isfinite(start) || !isfinite(end) || end < start)
        return err_set(e, PROMAPI_E_ARG, "bad window: start %.3f, end %.3f", start, end);
    struct buf form;
    buf_init(&form, (size_t)1 << 20);
    int rc = form_add(&form, "query", query);
    if (!rc) rc = fmt_time(&form, "start", start);
    if (!rc) rc = fmt_time(&form, "end", end);
    if (!rc) rc = fmt_time(&form, "step", step_s);
    if (rc) {
        buf_free(&form);
        return err_set(e, PROMAPI_E_ARG, "query too long");
    }
    rc = query_common(base_url, "/api/v1/query_range", name, &form, &o, out, e);
    buf_free(&form);
    return rc;
}

int promapi_query(const char *base_url, const char *name, const char *query, double time,
                  const struct promapi_opts *opts, struct series_set **out, struct promapi_error *e)
{
    err_clear(e);
    *out = NULL;
    struct opts o = opts_get(opts);
    if (!base_url || !*base_url) return err_set(e, PROMAPI_E_ARG, "no Prometheus URL");
    if (!query || !*query) return err_set(e, PROMAPI_E_ARG, "empty query");
    struct buf form;
    buf_init(&form, (size_t)1 << 20);
    int rc = form_add(&form, "query", query);
    if (!rc && time > 0) rc = fmt_time(&form, "time", time);
    if (rc) {
        buf_free(&form);
        return err_set(e, PROMAPI_E_ARG, "query too long");
    }
    rc = query_common(base_url, "/api/v1/query", name, &form, &o, out, e);
    buf_free(&form);
    return rc;
}

int promapi_targets_up(const char *base_url, const struct promapi_opts *opts, int *active, int *up,
                       struct promapi_error *e)
{
    err_clear(e);
    *active = *up = 0;
    struct opts o = opts_get(opts);
    if (!base_url || !*base_url) return err_set(e, PROMAPI_E_ARG, "no Prometheus URL");
    char *url = join_url(base_url, "/api/v1/targets?state=active");
    if (!url) return err_set(e, PROMAPI_E_LIMIT, "out of memory");
    struct resp r;
    buf_init(&r.body, o.max_body);
    int rc = with_retry(url, NULL, &o, &r, e);
    if (!rc) {
        long status = r.status;
        rc = promapi_parse_targets(r.body.data ? r.body.data : "", r.body.len, active, up, e);
        e->http_status = status;
        if (rc && e->kind == PROMAPI_E_RESPONSE && status >= 300) {
            char shown[512], d[ERRBUF_LEN];
            url_redact(url, shown, sizeof(shown));
            describe_http(&r, d, sizeof(d));
            err_set(e, PROMAPI_E_HTTP, "%s: %s (not a Prometheus API answer)", shown, d);
        }
    }
    buf_free(&r.body);
    free(url);
    return rc;
}

int promapi_wait_ready(const char *base_url, double timeout_s, const struct promapi_opts *opts,
                       struct promapi_error *e)
{
    err_clear(e);
    struct opts o = opts_get(opts);
    if (!base_url || !*base_url) return err_set(e, PROMAPI_E_ARG, "no Prometheus URL");
    char *url = join_url(base_url, "/-/ready");
    if (!url) return err_set(e, PROMAPI_E_LIMIT, "out of memory");
    char shown[512], why[ERRBUF_LEN] = "no answer";
    url_redact(url, shown, sizeof(shown));
    struct resp r;
    buf_init(&r.body, 64 << 10);
    mono_us deadline = mono_now() + (mono_us)(timeout_s * 1e6);
    int rc = -1;
    for (;;) {
        if (cancelled(&o)) {
            err_set(e, PROMAPI_E_CANCELLED, "%s: cancelled", shown);
            break;
        }
        double left = (double)(deadline - mono_now()) / 1e6;
        http_do(url, NULL, left < 1.0 ? (left > 0.05 ? left : 0.05) : 1.0, &o, &r);
        e->http_status = r.status;
        if (r.cc == CURLE_OK && r.status == 200) {
            rc = 0;
            break;
        }
        if (r.cc == CURLE_URL_MALFORMAT || r.cc == CURLE_UNSUPPORTED_PROTOCOL) {
            err_set(e, PROMAPI_E_ARG, "%s: %s", shown,
                    r.cerr[0] ? r.cerr : curl_easy_strerror(r.cc));
            break;
        }
        if (r.cc != CURLE_OK)
            snprintf(why, sizeof(why), "%s", r.cerr[0] ? r.cerr : curl_easy_strerror(r.cc));
        else
            snprintf(why, sizeof(why), "HTTP %ld", r.status);
        if (mono_now() + 100000 > deadline) {
            err_set(e, PROMAPI_E_UNREACHABLE, "%s: not ready after %.1f s: %s", shown, timeout_s,
                    why);
            break;
        }
        sleep_s(0.1, &o);
    }
    if (!rc) err_clear(e);
    buf_free(&r.body);
    free(url);
    return rc;
}

int promapi_wait_targets_up(const char *base_url, int min_active, double timeout_s,
                            const struct promapi_opts *opts, struct promapi_error *e)
{
    struct promapi_opts o = opts ? *opts : (struct promapi_opts){0};
    mono_us deadline = mono_now() + (mono_us)(timeout_s * 1e6);
    int active = 0, up = 0;
    for (;;) {
        double left = (double)(deadline - mono_now()) / 1e6;
        o.retry_total_s = left > 0.01 ? left : -1;
        if (o.request_timeout_s <= 0 || o.request_timeout_s > 2) o.request_timeout_s = 2;
        if (promapi_targets_up(base_url, &o, &active, &up, e)) return -1;
        if (active >= min_active && up == active && (active > 0 || min_active <= 0)) return 0;
        if (mono_now() + 250000 > deadline)
            return err_set(e, PROMAPI_E_UNREACHABLE,
                           "%d of %d targets up after %.1f s (want at least %d)", up, active,
                           timeout_s, min_active);
        struct opts so = opts_get(opts);
        sleep_s(0.25, &so);
        if (cancelled(&so)) return err_set(e, PROMAPI_E_CANCELLED, "cancelled");
    }
}
