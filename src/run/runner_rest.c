/* runner_rest.c: the remote load runner (runner.h): each job is one
 * synchronous POST <base>/fortio/rest/run with a JSON body of strings
 * (url, qps, t or n, c, labels: Fortio's rapi arguments), answered with
 * the run's Fortio JSON, which is kept byte for byte; the printed figures
 * are read from it (ActualQPS, DurationHistogram Count and Percentiles,
 * RetCodes; MeshperfStopped, MeshperfLate and MeshperfUnsent when the
 * generator is a `meshperf serve`).
 *
 * The run's request is driven by a curl multi handle polled every 100 ms,
 * so runner_job_stop is only an atomic store: the running thread sees it
 * and sends GET <base>/fortio/rest/stop (all runs of that generator: the
 * synchronous call has no RunID) on the same multi handle, again each
 * second until the run answers, and fails the run when no answer comes
 * within RUNNER_STOP_GRACE_US. Connecting is bounded (5 s); an unreachable
 * generator is one line naming its URL without credentials. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/degraded.h"
#include "base/errbuf.h"
#include "base/mono.h"
#include "load/fortio_json.h"
#include "net/url.h"
#include "run/runner.h"

#define REST_CONNECT_TIMEOUT_S 5L
#define REST_MAX_REPLY         (64u << 20)
#define REST_RESTOP_US         1000000LL

struct rest_runner {
    struct runner base; /* first; base.where is the redacted URL */
    char *run_url, *stop_url;
};

struct rest_job {
    struct runner_job base; /* first */
    struct runner_spec spec;
    atomic_bool stop;
};

static size_t rest_on_write(char *p, size_t size, size_t n, void *arg)
{
    return buf_append(arg, p, size * n) == 0 ? size * n : 0;
}

static size_t rest_discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

static CURL *rest_easy(const char *url, char *cerr)
{
    CURL *c = curl_easy_init();
    if (!c) return NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, REST_CONNECT_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    return c;
}

/* The run's JSON body; malloc'd or NULL. */
static char *rest_body(const struct runner_spec *s)
{
    char qps[64], n[32], c[16];
    json_t *o = json_object();
    if (!o) return NULL;
    if (s->qps > 0)
        snprintf(qps, sizeof qps, "%.17g", s->qps);
    else
        snprintf(qps, sizeof qps, "-1");
    snprintf(c, sizeof c, "%d", s->connections);
    json_object_set_new(o, "url", json_string(s->url));
    json_object_set_new(o, "qps", json_string(qps));
    if (s->count > 0) {
        snprintf(n, sizeof n, "%lld", (long long)s->count);
        json_object_set_new(o, "n", json_string(n));
    } else {
        char t[32];
        json_object_set_new(o, "t",
                            json_string(fortio_json_go_duration(s->duration_us, t, sizeof t)));
    }
    json_object_set_new(o, "c", json_string(c));
    if (s->labels) json_object_set_new(o, "labels", json_string(s->labels));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

static double rest_percentile(json_t *hist, double pct)
{
    json_t *ps = json_object_get(hist, "Percentiles"), *p;
    size_t i;
    json_array_foreach(ps, i, p)
    {
        if (json_number_value(json_object_get(p, "Percentile")) == pct)
            return json_number_value(json_object_get(p, "Value")) * 1000.0;
    }
    return 0;
}

/* Requests of MeshperfLate.Histogram.Data (buckets in seconds) whose
 * bucket starts at DEGRADED_LATE_US or later. */
static uint64_t rest_late_far(json_t *late)
{
    json_t *data = json_object_get(json_object_get(late, "Histogram"), "Data"), *b;
    uint64_t n = 0;
    size_t i;
    json_array_foreach(data, i, b)
    {
        json_t *c = json_object_get(b, "Count");
        if (json_number_value(json_object_get(b, "Start")) * 1e6 >= DEGRADED_LATE_US - 0.5 &&
            json_is_integer(c) && json_integer_value(c) > 0)
            n += (uint64_t)json_integer_value(c);
    }
    return n;
}

/* Read the figures from the Fortio JSON in out->json. 0, or -1 with err. */
static int rest_parse(struct runner_result *out, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(out->json, out->json_len, 0, &je);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return errbuf_set(err, errlen, "the answer is not a JSON object");
    }
    json_t *msg = json_object_get(root, "message");
    if (json_is_true(json_object_get(root, "error")) || !json_object_get(root, "ActualQPS")) {
        json_t *ex = json_object_get(root, "exception");
        int rc = errbuf_set(err, errlen, "the run was refused: %s%s%s",
                            json_is_string(msg) ? json_string_value(msg) : "no Fortio result",
                            json_is_string(ex) ? ": " : "",
                            json_is_string(ex) ? json_string_value(ex) : "");
        json_decref(root);
        return rc;
    }
    json_t *h = json_object_get(root, "DurationHistogram");
    out->actual_qps = json_number_value(json_object_get(root, "ActualQPS"));
    out->requests = (uint64_t)json_integer_value(json_object_get(h, "Count"));
    out->p50_ms = rest_percentile(h, 50);
    out->p99_ms = rest_percentile(h, 99);
    out->stopped = json_is_true(json_object_get(root, "MeshperfStopped"));
    json_t *late = json_object_get(root, "MeshperfLate");
    json_int_t lc = json_integer_value(json_object_get(late, "Count"));
    json_int_t un = json_integer_value(json_object_get(root, "MeshperfUnsent"));
    out->late = lc > 0 ? (uint64_t)lc : 0;
    out->late_far = rest_late_far(late);
    out->unsent = un > 0 ? (uint64_t)un : 0;
    json_t *codes = json_object_get(root, "RetCodes");
    size_t nc = json_object_size(codes);
    out->codes = calloc(nc ? nc : 1, sizeof *out->codes);
    if (!out->codes) {
        json_decref(root);
        return errbuf_set(err, errlen, "out of memory");
    }
    const char *k;
    json_t *v;
    json_object_foreach(codes, k, v)
    {
        struct runner_code rc = {atoi(k), (uint64_t)json_integer_value(v)};
        if (rc.code < 200 || rc.code > 299) out->errors += rc.count;
        size_t at = out->ncodes++;
        while (at > 0 && out->codes[at - 1].code > rc.code) {
            out->codes[at] = out->codes[at - 1];
            at--;
        }
        out->codes[at] = rc;
    }
    json_decref(root);
    return 0;
}

static struct runner_job *rest_job_new(struct runner *r, const struct runner_spec *spec)
{
    (void)r;
    struct rest_job *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->spec = *spec;
    atomic_init(&j->stop, false);
    return &j->base;
}

/* Drive the run request (and stop requests once stopped) to its end.
 * Returns the run's CURLcode, or -1 when the stop grace ran out. */
static int rest_drive(struct rest_job *j, CURLM *m, CURL *run, char *stop_cerr)
{
    struct rest_runner *r = (struct rest_runner *)j->base.r;
    CURL *stop = NULL;
    mono_us stop_at = 0, sent_at = 0;
    for (;;) {
        int running, left;
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE) continue;
            if (msg->easy_handle == run) {
                int rc = (int)msg->data.result;
                if (stop) {
                    curl_multi_remove_handle(m, stop);
                    curl_easy_cleanup(stop);
                }
                return rc;
            }
            curl_multi_remove_handle(m, msg->easy_handle);
            curl_easy_cleanup(msg->easy_handle);
            stop = NULL;
        }
        mono_us now = mono_now();
        if (atomic_load(&j->stop)) {
            if (!stop_at) stop_at = now;
            if (now - stop_at > RUNNER_STOP_GRACE_US) {
                if (stop) {
                    curl_multi_remove_handle(m, stop);
                    curl_easy_cleanup(stop);
                }
                return -1;
            }
            if (!stop && (!sent_at || now - sent_at >= REST_RESTOP_US) &&
                (stop = rest_easy(r->stop_url, stop_cerr)) != NULL) {
                curl_easy_setopt(stop, CURLOPT_WRITEFUNCTION, rest_discard);
                curl_easy_setopt(stop, CURLOPT_TIMEOUT, 3L);
                curl_multi_add_handle(m, stop);
                sent_at = now;
            }
        }
        curl_multi_poll(m, NULL, 0, 100, NULL);
    }
}

static int rest_run(struct runner_job *base, struct runner_result *out, char *err, size_t errlen)
{
    struct rest_job *j = (struct rest_job *)base;
    struct rest_runner *r = (struct rest_runner *)base->r;
    const char *where = r->base.where;
    if (atomic_load(&j->stop))
        return errbuf_set(err, errlen, "load generator %s: stopped before the run", where);
    char cerr[CURL_ERROR_SIZE] = "", stop_cerr[CURL_ERROR_SIZE] = "";
    struct buf reply;
    buf_init(&reply, REST_MAX_REPLY);
    char *body = rest_body(&j->spec);
    CURLM *m = curl_multi_init();
    CURL *run = rest_easy(r->run_url, cerr);
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    int rc = -1;
    if (!body || !m || !run || !hdr) {
        errbuf_set(err, errlen, "out of memory");
        goto out;
    }
    curl_easy_setopt(run, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(run, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(run, CURLOPT_WRITEFUNCTION, rest_on_write);
    curl_easy_setopt(run, CURLOPT_WRITEDATA, &reply);
    curl_multi_add_handle(m, run);
    int cc = rest_drive(j, m, run, stop_cerr);
    curl_multi_remove_handle(m, run);
    long status = 0;
    curl_easy_getinfo(run, CURLINFO_RESPONSE_CODE, &status);
    if (cc < 0) {
        errbuf_set(err, errlen, "load generator %s: no answer within %llds after the stop%s%s",
                   where, (long long)(RUNNER_STOP_GRACE_US / 1000000), stop_cerr[0] ? ": " : "",
                   stop_cerr);
    } else if (cc != CURLE_OK) {
        errbuf_set(err, errlen, "load generator %s: %s", where,
                   cerr[0] ? cerr : curl_easy_strerror((CURLcode)cc));
    } else if (!reply.len) {
        errbuf_set(err, errlen, "load generator %s: empty answer (HTTP %ld)", where, status);
    } else if (!(out->json = malloc(reply.len + 1))) {
        errbuf_set(err, errlen, "out of memory");
    } else {
        memcpy(out->json, reply.data, reply.len);
        out->json[reply.len] = '\0';
        out->json_len = reply.len;
        char perr[512];
        if (rest_parse(out, perr, sizeof perr) < 0)
            errbuf_set(err, errlen, "load generator %s: HTTP %ld: %s", where, status, perr);
        else
            rc = 0;
        if (out->stopped || atomic_load(&j->stop)) out->stopped = true;
    }
out:
    if (rc < 0) runner_result_clear(out);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(run);
    curl_multi_cleanup(m);
    free(body);
    buf_free(&reply);
    return rc;
}

static void rest_stop(struct runner_job *base)
{
    atomic_store(&((struct rest_job *)base)->stop, true);
}

static void rest_job_free(struct runner_job *base)
{
    free(base);
}

static void rest_free(struct runner *base)
{
    struct rest_runner *r = (struct rest_runner *)base;
    free(r->run_url);
    free(r->stop_url);
    free(r);
}

static const struct runner_ops rest_ops = {
    .name = "fortio-rest",
    .job_new = rest_job_new,
    .run = rest_run,
    .stop = rest_stop,
    .progress = NULL,
    .job_free = rest_job_free,
    .free = rest_free,
};

/* base + "fortio/rest/<what>" (base's trailing '/' and "fortio/" not
 * doubled). malloc'd or NULL. */
static char *rest_url(const char *base, const char *what)
{
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    const char *mid = "/fortio/rest/";
    if (n >= 7 && !strncmp(base + n - 7, "/fortio", 7)) mid = "/rest/";
    size_t len = n + strlen(mid) + strlen(what) + 1;
    char *u = malloc(len);
    if (u) snprintf(u, len, "%.*s%s%s", (int)n, base, mid, what);
    return u;
}

struct runner *runner_rest_new(const char *base, char *err, size_t errlen)
{
    char shown[512];
    url_redact(base, shown, sizeof shown);
    struct url *u = malloc(sizeof *u);
    if (!u) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    char uerr[ERRBUF_LEN];
    int prc = url_parse(base, u, uerr, sizeof uerr);
    bool query = prc == 0 && strchr(u->path, '?');
    free(u);
    if (prc < 0) {
        errbuf_set(err, errlen, "%s", uerr);
        return NULL;
    }
    if (query) {
        errbuf_set(err, errlen, "bad URL '%s': a load generator's base URL takes no query", shown);
        return NULL;
    }
    struct rest_runner *r = calloc(1, sizeof *r);
    if (r) {
        r->run_url = rest_url(base, "run");
        r->stop_url = rest_url(base, "stop");
    }
    if (!r || !r->run_url || !r->stop_url) {
        if (r) rest_free(&r->base);
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    r->base.ops = &rest_ops;
    snprintf(r->base.where, sizeof r->base.where, "%s", shown);
    return &r->base;
}
