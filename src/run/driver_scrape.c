/* driver_scrape.c: scrape the nodes' /metrics during a test (see
 * driver_scrape.h). One libcurl easy handle per target, reused so the
 * connection stays alive; one thread waiting on a condition variable
 * (CLOCK_MONOTONIC) between scrapes, so stop is immediate. */
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "run/driver_scrape.h"
#include "base/errbuf.h"
#include "base/mono.h"

struct scrape_target {
    char *addr, *pod, *container, *ns;
    char url[96];
    CURL *curl;
};

struct driver_scrape {
    double interval_s;
    struct scrape_target *t;
    size_t nt, cap;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thr;
    bool running, stop;
    struct series_set *set; /* under mu */
    struct buf body;        /* used by whoever scrapes (never two at once) */
    char *ca, *cert, *key;  /* https targets' TLS files (driver_scrape_set_tls); NULL: none */
};

/* ---- exposition parsing ---- */

/* Parse `"..."` at *p into out (unescaped, cut to outlen-1). Advances *p
 * past the closing quote. 0 or -1 when malformed. */
static int scrape_quoted(const char **p, const char *end, char *out, size_t outlen)
{
    const char *c = *p;
    if (c >= end || *c != '"') return -1;
    c++;
    size_t n = 0;
    while (c < end && *c != '"') {
        char ch = *c++;
        if (ch == '\\') {
            if (c >= end) return -1;
            ch = *c++;
            if (ch == 'n') ch = '\n';
        }
        if (n + 1 < outlen) out[n++] = ch;
    }
    if (c >= end) return -1;
    out[n] = '\0';
    *p = c + 1;
    return 0;
}

static void scrape_line(const char *s, const char *end, const char *metric, size_t mlen,
                        driver_scrape_sample_fn *fn, void *arg, size_t *count)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    if (s >= end || *s == '#') return;
    const char *name = s;
    while (s < end && *s != '{' && *s != ' ' && *s != '\t')
        s++;
    if ((size_t)(s - name) != mlen || memcmp(name, metric, mlen) != 0) return;
    char code[128] = "", path[128] = "";
    if (s < end && *s == '{') {
        s++;
        for (;;) {
            while (s < end && (*s == ' ' || *s == ','))
                s++;
            if (s >= end) return;
            if (*s == '}') {
                s++;
                break;
            }
            const char *ln = s;
            while (s < end && *s != '=' && *s != ' ')
                s++;
            size_t lnlen = (size_t)(s - ln);
            while (s < end && *s == ' ')
                s++;
            if (s >= end || *s != '=') return;
            s++;
            char val[128];
            if (scrape_quoted(&s, end, val, sizeof val) < 0) return;
            if (lnlen == 4 && !memcmp(ln, "code", 4))
                snprintf(code, sizeof code, "%s", val);
            else if (lnlen == 4 && !memcmp(ln, "path", 4))
                snprintf(path, sizeof path, "%s", val);
        }
    }
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    char num[64];
    size_t n = 0;
    while (s < end && *s != ' ' && *s != '\t' && n + 1 < sizeof num)
        num[n++] = *s++;
    num[n] = '\0';
    if (!n) return;
    char *ep;
    double v = strtod(num, &ep);
    if (*ep) return;
    fn(arg, code, path, v);
    (*count)++;
}

size_t driver_scrape_parse(const char *text, size_t len, const char *metric,
                           driver_scrape_sample_fn *fn, void *arg)
{
    size_t count = 0, mlen = strlen(metric);
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (le > p && le[-1] == '\r') le--;
        scrape_line(p, le, metric, mlen, fn, arg, &count);
        p = nl ? nl + 1 : end;
    }
    return count;
}

/* ---- scraping ---- */

struct scrape_ctx {
    struct driver_scrape *s;
    struct scrape_target *t;
    double ts;
};

static void scrape_record(void *arg, const char *code, const char *path, double v)
{
    struct scrape_ctx *c = arg;
    struct series_label l[5] = {
        {"code", (char *)code},  {"container", c->t->container},
        {"namespace", c->t->ns}, {"path", (char *)path},
        {"pod", c->t->pod},
    };
    struct series *se = series_set_find(c->s->set, l, 5);
    if (!se && series_set_add(c->s->set, l, 5, &se, NULL, 0) < 0) return;
    series_add_double(c->s->set, se, c->ts, v);
}

static size_t scrape_write(char *p, size_t sz, size_t n, void *arg)
{
    struct buf *b = arg;
    return buf_append(b, p, sz * n) == 0 ? sz * n : 0;
}

/* Scrape every target once; record under mu. */
static void scrape_all(struct driver_scrape *s)
{
    for (size_t i = 0; i < s->nt; i++) {
        struct scrape_target *t = &s->t[i];
        if (!t->curl) {
            t->curl = curl_easy_init();
            if (!t->curl) continue;
            curl_easy_setopt(t->curl, CURLOPT_URL, t->url);
            curl_easy_setopt(t->curl, CURLOPT_TIMEOUT_MS, 1000L);
            curl_easy_setopt(t->curl, CURLOPT_NOSIGNAL, 1L);
            curl_easy_setopt(t->curl, CURLOPT_NOPROXY, "*");
            curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, scrape_write);
            curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, &s->body);
            if (s->ca) curl_easy_setopt(t->curl, CURLOPT_CAINFO, s->ca);
            if (s->cert) curl_easy_setopt(t->curl, CURLOPT_SSLCERT, s->cert);
            if (s->key) curl_easy_setopt(t->curl, CURLOPT_SSLKEY, s->key);
        }
        buf_reset(&s->body);
        double ts = (double)wall_ns() / 1e9;
        long code = 0;
        if (curl_easy_perform(t->curl) != CURLE_OK) continue;
        curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
        if (code != 200) continue;
        struct scrape_ctx c = {s, t, ts};
        pthread_mutex_lock(&s->mu);
        if (s->set)
            driver_scrape_parse(s->body.data ? s->body.data : "", s->body.len,
                                "meshperf_requests_total", scrape_record, &c);
        pthread_mutex_unlock(&s->mu);
    }
}

static void *scrape_thread(void *arg)
{
    struct driver_scrape *s = arg;
    mono_us next = mono_now() + (mono_us)(s->interval_s * 1e6);
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->stop && mono_now() < next) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            mono_us left = next - mono_now();
            if (left < 0) left = 0;
            ts.tv_sec += left / MONO_US_PER_SEC;
            ts.tv_nsec += (left % MONO_US_PER_SEC) * 1000;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&s->cv, &s->mu, &ts);
        }
        if (s->stop) break;
        pthread_mutex_unlock(&s->mu);
        scrape_all(s);
        next += (mono_us)(s->interval_s * 1e6);
        if (next < mono_now()) next = mono_now();
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

struct driver_scrape *driver_scrape_new(double interval_s, char *err, size_t errlen)
{
    if (!(interval_s >= 0.01)) {
        errbuf_set(err, errlen, "scrape interval must be >= 10ms");
        return NULL;
    }
    struct driver_scrape *s = calloc(1, sizeof *s);
    if (!s) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    s->interval_s = interval_s;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    buf_init(&s->body, DRIVER_SCRAPE_MAX_BODY);
    return s;
}

void driver_scrape_free(struct driver_scrape *s)
{
    if (!s) return;
    if (s->running) {
        pthread_mutex_lock(&s->mu);
        s->stop = true;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thr, NULL);
    }
    for (size_t i = 0; i < s->nt; i++) {
        struct scrape_target *t = &s->t[i];
        if (t->curl) curl_easy_cleanup(t->curl);
        free(t->addr);
        free(t->pod);
        free(t->container);
        free(t->ns);
    }
    free(s->t);
    free(s->ca);
    free(s->cert);
    free(s->key);
    series_set_free(s->set);
    buf_free(&s->body);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

int driver_scrape_add(struct driver_scrape *s, const char *addr, const char *pod,
                      const char *container, const char *ns, char *err, size_t errlen)
{
    if (s->running) return errbuf_set(err, errlen, "scraper is running");
    if (s->nt == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 8;
        struct scrape_target *nt = realloc(s->t, nc * sizeof *nt);
        if (!nt) return errbuf_set(err, errlen, "out of memory");
        s->t = nt;
        s->cap = nc;
    }
    struct scrape_target *t = &s->t[s->nt];
    memset(t, 0, sizeof *t);
    t->addr = strdup(addr);
    t->pod = strdup(pod);
    t->container = strdup(container);
    t->ns = strdup(ns);
    if (!t->addr || !t->pod || !t->container || !t->ns) {
        free(t->addr);
        free(t->pod);
        free(t->container);
        free(t->ns);
        return errbuf_set(err, errlen, "out of memory");
    }
    snprintf(t->url, sizeof t->url, "%s%s/metrics", strstr(addr, "://") ? "" : "http://", addr);
    s->nt++;
    return 0;
}

int driver_scrape_set_tls(struct driver_scrape *s, const char *ca_file, const char *cert_file,
                          const char *key_file, char *err, size_t errlen)
{
    if (s->running) return errbuf_set(err, errlen, "scraper is running");
    char *ca = ca_file ? strdup(ca_file) : NULL, *cert = cert_file ? strdup(cert_file) : NULL;
    char *key = key_file ? strdup(key_file) : NULL;
    if ((ca_file && !ca) || (cert_file && !cert) || (key_file && !key)) {
        free(ca);
        free(cert);
        free(key);
        return errbuf_set(err, errlen, "out of memory");
    }
    free(s->ca);
    free(s->cert);
    free(s->key);
    s->ca = ca;
    s->cert = cert;
    s->key = key;
    return 0;
}

int driver_scrape_start(struct driver_scrape *s, char *err, size_t errlen)
{
    if (s->running) return errbuf_set(err, errlen, "scraper already running");
    struct series_set *set = series_set_new(DRIVER_SCRAPE_METRIC, NULL);
    if (!set) return errbuf_set(err, errlen, "out of memory");
    pthread_mutex_lock(&s->mu);
    series_set_free(s->set);
    s->set = set;
    s->stop = false;
    pthread_mutex_unlock(&s->mu);
    scrape_all(s);
    if (pthread_create(&s->thr, NULL, scrape_thread, s) != 0)
        return errbuf_set(err, errlen, "cannot start the scrape thread");
    s->running = true;
    return 0;
}

void driver_scrape_stop(struct driver_scrape *s)
{
    if (!s || !s->running) return;
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thr, NULL);
    s->running = false;
    scrape_all(s);
}

struct series_set *driver_scrape_take(struct driver_scrape *s)
{
    struct series_set *fresh = series_set_new(DRIVER_SCRAPE_METRIC, NULL);
    if (!fresh) return NULL;
    pthread_mutex_lock(&s->mu);
    struct series_set *out = s->set;
    s->set = fresh;
    pthread_mutex_unlock(&s->mu);
    if (!out) out = series_set_new(DRIVER_SCRAPE_METRIC, NULL);
    if (out) series_set_sort(out);
    return out;
}
