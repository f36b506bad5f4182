/* serve_rest.c: Fortio's REST API (see serve_rest.h).
 *
 * Argument rules follow Fortio's rapi package: a query argument that is
 * present and non-empty wins over the JSON body's value; JSON values must
 * be strings (others are ignored, as Fortio does); qps missing or 0 = 8,
 * negative = as fast as possible; t missing = 5s, "on" = until stopped
 * (or -rest-max-duration);
 * c missing or 0 = 4. A run's job lives in the registry from its start to
 * its end. Whoever waits for runs to end (the synchronous run call, a
 * stop?wait=true) holds a ticket that counts the runs it still waits for;
 * each of those jobs has a wait link to it. A job's thread, when it ends,
 * counts its linked tickets down (under the registry mutex) and the one
 * that reaches zero fills the reply and posts it. A job leaves the registry
 * and takes its links in one critical section, so a link added while the
 * job is listed is always seen.
 *
 * Guard (serve_rest_guard.h): a run's options are checked against the caps
 * and its URL against the REST path rule and the allow-list before it
 * starts; the run cap and the connection budget are taken under the
 * registry mutex when it is listed and given back when it leaves. A host
 * that needs DNS is resolved by the run's own thread (never on a worker's
 * loop), which then connects to the checked address (the URL rewritten to
 * it, with the name as Host, except for https, whose certificate names the
 * host); an async run's "started" reply waits for that check. save=on
 * never overwrites: a name taken gets "-2", "-3", ... (O_EXCL). When a run
 * ends its thread hands freed heap back to the system (malloc_trim), so
 * serve's idle RSS comes back after a large run. */
#include "serve/serve_rest.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/duration.h"
#include "base/errbuf.h"
#include "load/fortio_json.h"
#include "load/loadgen.h"
#include "serve/serve_query.h"
#include "serve/serve_rest_guard.h"
#include "net/transport.h"
#include "net/url.h"

#define ARG_MAX         8192
#define MAX_RUN_HEADERS 64

enum { T_RUN, T_STOP, T_START }; /* T_START: an async run's "started", after its check */
enum { ST_PENDING = 1, ST_RUNNING = 2, ST_STOPPING = 3 }; /* Fortio's StateEnum values */

struct serve_rest_ticket {
    struct serve_rest_ticket *next; /* in the inbox */
    struct serve_rest_inbox *inbox;
    void *waiter; /* worker thread only */
    int kind;
    int status;
    char *body;
    size_t len;
    /* under serve_rest.mu until pending reaches 0: */
    size_t pending;     /* runs still to end */
    int64_t run_id;     /* T_STOP: the runid asked for (0 = all) */
    int count;          /* T_STOP: runs waited for */
    char result_id[64]; /* T_STOP: the ResultID of the last run to end */
};

/* A job's link to one ticket waiting for it. */
struct wait_link {
    struct wait_link *next;
    struct serve_rest_ticket *t;
};

struct serve_rest_inbox {
    pthread_mutex_t mu;
    int efd;
    struct serve_rest_ticket *head, *tail;
};

struct job {
    struct job *next;
    struct serve_rest *r;
    int64_t id;
    int state;
    struct loadgen_ctl *ctl;
    struct loadgen_opts opts;
    char *url, *payload, *labels;
    char *headers[MAX_RUN_HEADERS + 1]; /* + the Host of a pinned URL */
    size_t nheaders;
    bool save;
    struct wait_link *waits;
    int64_t conns;                      /* taken from the registry's budget */
    const struct serve_rest_guard *pin; /* set: resolve and check the host first */
    char *pinned_url;                   /* the URL with the checked address */
    struct serve_rest_ticket *start_tk; /* async + pin: "started" goes here */
};

struct serve_rest {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job *jobs;
    int64_t last_id;
    int nthreads;
    int64_t nruns, conns_used; /* listed runs and their connections */
    const char *data_dir;
};

/* ------------------------------------------------------------ inbox */

struct serve_rest_inbox *serve_rest_inbox_new(void)
{
    struct serve_rest_inbox *in = calloc(1, sizeof *in);
    if (!in) return NULL;
    in->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (in->efd < 0) {
        free(in);
        return NULL;
    }
    pthread_mutex_init(&in->mu, NULL);
    return in;
}

int serve_rest_inbox_fd(const struct serve_rest_inbox *in)
{
    return in->efd;
}

static void ticket_free(struct serve_rest_ticket *t)
{
    free(t->body);
    free(t);
}

void serve_rest_inbox_free(struct serve_rest_inbox *in)
{
    if (!in) return;
    while (in->head) {
        struct serve_rest_ticket *t = in->head;
        in->head = t->next;
        ticket_free(t);
    }
    close(in->efd);
    pthread_mutex_destroy(&in->mu);
    free(in);
}

static void inbox_post(struct serve_rest_ticket *t)
{
    struct serve_rest_inbox *in = t->inbox;
    t->next = NULL;
    pthread_mutex_lock(&in->mu);
    if (in->tail)
        in->tail->next = t;
    else
        in->head = t;
    in->tail = t;
    pthread_mutex_unlock(&in->mu);
    uint64_t one = 1;
    ssize_t w = write(in->efd, &one, sizeof one);
    (void)w;
}

void serve_rest_inbox_drain(struct serve_rest_inbox *in, serve_rest_reply_fn *fn)
{
    uint64_t v;
    ssize_t r = read(in->efd, &v, sizeof v);
    (void)r;
    pthread_mutex_lock(&in->mu);
    struct serve_rest_ticket *t = in->head;
    in->head = in->tail = NULL;
    pthread_mutex_unlock(&in->mu);
    while (t) {
        struct serve_rest_ticket *next = t->next;
        if (t->waiter) {
            fn(t->waiter, t->status, t->body, t->len);
            t->body = NULL;
        }
        ticket_free(t);
        t = next;
    }
}

void serve_rest_ticket_forget(struct serve_rest_ticket *t)
{
    t->waiter = NULL;
}

/* ------------------------------------------------------------ registry */

struct serve_rest *serve_rest_new(const char *data_dir)
{
    struct serve_rest *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->data_dir = data_dir;
    return r;
}

void serve_rest_stop_all(struct serve_rest *r)
{
    if (!r) return;
    pthread_mutex_lock(&r->mu);
    for (struct job *j = r->jobs; j; j = j->next) {
        /* shutdown: do not wait for requests in flight (their timeout may
         * be long); the runs end at once, with their results */
        loadgen_ctl_abort(j->ctl);
        j->state = ST_STOPPING;
    }
    pthread_mutex_unlock(&r->mu);
}

void serve_rest_free(struct serve_rest *r)
{
    if (!r) return;
    serve_rest_stop_all(r);
    pthread_mutex_lock(&r->mu);
    while (r->nthreads > 0)
        pthread_cond_wait(&r->cv, &r->mu);
    pthread_mutex_unlock(&r->mu);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static void job_free(struct job *j)
{
    while (j->waits) { /* only on a failed start: the tickets are the caller's */
        struct wait_link *wl = j->waits;
        j->waits = wl->next;
        free(wl);
    }
    loadgen_ctl_free(j->ctl);
    free(j->pinned_url);
    free(j->url);
    free(j->payload);
    free(j->labels);
    for (size_t i = 0; i < j->nheaders; i++)
        free(j->headers[i]);
    free(j->start_tk); /* only on a failed start: the thread posts it */
    free(j);
}

/* ------------------------------------------------------------ replies */

static char *json_text(json_t *v, size_t *len)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(v);
    if (s) *len = strlen(s);
    return s;
}

static char *error_reply(const char *message, const char *exception, size_t *len)
{
    json_t *o = json_object();
    json_object_set_new(o, "error", json_true());
    json_object_set_new(o, "message", json_string(message));
    if (exception && *exception) json_object_set_new(o, "exception", json_string(exception));
    return json_text(o, len);
}

static char *async_reply(const char *message, int64_t id, int count, const char *result_id,
                         size_t *len)
{
    json_t *o = json_object();
    json_object_set_new(o, "message", json_string(message));
    json_object_set_new(o, "RunID", json_integer(id));
    json_object_set_new(o, "Count", json_integer(count));
    json_object_set_new(o, "ResultID", json_string(result_id ? result_id : ""));
    json_object_set_new(o, "ResultURL", json_string(""));
    return json_text(o, len);
}

/* The value of "key": a non-empty query argument, else the body's string.
 * Decoded into out; returns out, or NULL when absent. */
static const char *arg(struct http_span query, json_t *body, const char *key, char *out,
                       size_t outlen)
{
    const char *p = query.p, *end = query.p + query.len;
    struct http_span k, v;
    while (serve_query_next(&p, end, &k, &v)) {
        if (!serve_query_key_is(k, key) || v.len == 0) continue;
        if (serve_query_decode(v, out, outlen) > 0) return out;
    }
    json_t *j = body ? json_object_get(body, key) : NULL;
    if (j && json_is_string(j)) {
        snprintf(out, outlen, "%s", json_string_value(j));
        return out;
    }
    return NULL;
}

static bool on(const char *v)
{
    return v && !strcmp(v, "on");
}

/* ------------------------------------------------------------ runs */

/* Replace the first `"RunID": 0` with the job's id (the JSON writer has no
 * such field in its options). */
static char *set_run_id(char *json, int64_t id)
{
    const char *key = "\"RunID\": 0";
    char *at = strstr(json, key);
    if (!at) return json;
    struct buf b;
    buf_init(&b, strlen(json) + 64);
    if (buf_append(&b, json, (size_t)(at - json)) ||
        buf_printf(&b, "\"RunID\": %lld", (long long)id) || buf_puts(&b, at + strlen(key))) {
        buf_free(&b);
        return json;
    }
    free(json);
    return b.data;
}

#define SAVE_TRIES 1000

/* Write json to dir/<ID>.json, or <ID>-2.json, -3, ... when that name is
 * taken (two runs with the same labels in the same second): created with
 * O_EXCL, never through a symlink, never over another result. */
static void save_json(const char *dir, const char *json)
{
    const char *k = strstr(json, "\"ID\": \"");
    if (!dir || !k) return;
    k += 7;
    const char *e = strchr(k, '"');
    if (!e || e == k || e - k > 200) return;
    for (const char *c = k; c < e; c++)
        if (*c == '/') return;
    char path[4096];
    int fd = -1;
    for (int n = 1; n <= SAVE_TRIES && fd < 0; n++) {
        if (n == 1)
            snprintf(path, sizeof path, "%s/%.*s.json", dir, (int)(e - k), k);
        else
            snprintf(path, sizeof path, "%s/%.*s-%d.json", dir, (int)(e - k), k, n);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        fprintf(stderr, "meshperf serve: cannot save %s: %s\n", path,
                errno == EEXIST ? "every suffix up to -1000 is taken" : strerror(errno));
        return;
    }
    size_t len = strlen(json), off = 0;
    while (off < len) {
        ssize_t w = write(fd, json + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += (size_t)w;
    }
    if (off < len || close(fd) < 0) {
        fprintf(stderr, "meshperf serve: cannot save %s: %s\n", path,
                off < len ? strerror(errno) : "close failed");
        if (off < len) close(fd);
    }
}

/* The job's URL pointed at the address its host resolved to (checked by
 * the guard): j->pinned_url, and the name as Host unless a header gives
 * one. https keeps the name (its certificate names it). 0, or with err -2
 * (an address not allowed) or -1 (not resolved, no memory). */
static int pin_target(struct job *j, char *err, size_t errlen)
{
    struct url u;
    if (url_parse(j->url, &u, err, errlen) < 0) return -1;
    char addr[64];
    int rc = serve_rest_guard_resolve(j->pin, &u, addr, sizeof addr, err, errlen);
    if (rc < 0) return rc;
    if (u.tls) return 0;
    struct buf b;
    buf_init(&b, URL_PATH_MAX + 512);
    bool v6 = strchr(addr, ':') != NULL;
    if (buf_printf(&b, "%s://%s%s%s:%d%s", u.scheme, v6 ? "[" : "", addr, v6 ? "]" : "", u.port,
                   u.path) < 0) {
        buf_free(&b);
        return errbuf_set(err, errlen, "out of memory");
    }
    bool has_host = false;
    for (size_t i = 0; i < j->nheaders; i++)
        has_host |= !strncasecmp(j->headers[i], "host:", 5);
    if (!has_host) {
        char hh[URL_HOST_MAX + 16], line[URL_HOST_MAX + 32];
        if (url_host_header(&u, hh, sizeof hh) < 0 ||
            snprintf(line, sizeof line, "Host: %s", hh) >= (int)sizeof line ||
            !(j->headers[j->nheaders] = strdup(line))) {
            buf_free(&b);
            return errbuf_set(err, errlen, "out of memory");
        }
        j->nheaders++;
        j->opts.nheaders = j->nheaders;
    }
    j->pinned_url = b.data;
    j->opts.url = j->pinned_url;
    return 0;
}

static void *job_main(void *arg)
{
    struct job *j = arg;
    struct serve_rest *r = j->r;
    struct loadgen_result *res = NULL;
    char err[512] = "";
    int status = 200;
    char *json = NULL;
    size_t len = 0;
    char rid[sizeof((struct serve_rest_ticket *)0)->result_id] = "";
    size_t nshown = j->nheaders; /* the result shows what was asked */
    int pin = j->pin ? pin_target(j, err, sizeof err) : 0;
    bool refused = pin < 0;
    const char *why = pin == -2 ? "target not allowed" : "Aborting because of error";
    if (j->start_tk) { /* async: its check is done */
        struct serve_rest_ticket *t = j->start_tk;
        j->start_tk = NULL;
        t->status = refused ? (pin == -2 ? 403 : 400) : 200;
        t->body = refused ? error_reply(why, err, &t->len)
                          : async_reply("started", j->id, 1, "", &t->len);
        if (!t->body) {
            t->status = 500;
            t->len = 0;
        }
        inbox_post(t);
    }
    if (refused) {
        status = pin == -2 ? 403 : 400;
        json = error_reply(why, err, &len);
    } else if (loadgen_run(&j->opts, &res, err, sizeof err) < 0) {
        status = 400;
        json = error_reply("Aborting because of error", err, &len);
    } else {
        struct loadgen_opts shown = j->opts;
        shown.url = j->url;
        shown.nheaders = nshown;
        json = fortio_json_result(&shown, res, 2);
        if (json) {
            json = set_run_id(json, j->id);
            len = strlen(json);
            const char *k = strstr(json, "\"ID\": \"");
            if (k) {
                k += 7;
                const char *e = strchr(k, '"');
                if (e && (size_t)(e - k) < sizeof rid)
                    snprintf(rid, sizeof rid, "%.*s", (int)(e - k), k);
            }
            if (j->save) save_json(r->data_dir, json);
        } else {
            status = 500;
            json = error_reply("out of memory", NULL, &len);
        }
    }
    loadgen_result_free(res);
    pthread_mutex_lock(&r->mu);
    for (struct job **pp = &r->jobs; *pp; pp = &(*pp)->next) {
        if (*pp == j) {
            *pp = j->next;
            break;
        }
    }
    r->nruns--;
    r->conns_used -= j->conns;
    struct wait_link *wl = j->waits;
    j->waits = NULL;
    pthread_mutex_unlock(&r->mu);
    while (wl) {
        struct wait_link *next = wl->next;
        struct serve_rest_ticket *t = wl->t;
        free(wl);
        wl = next;
        pthread_mutex_lock(&r->mu);
        if (t->kind == T_STOP && rid[0]) snprintf(t->result_id, sizeof t->result_id, "%s", rid);
        bool last = --t->pending == 0;
        pthread_mutex_unlock(&r->mu);
        if (!last) continue;
        if (t->kind == T_RUN) {
            t->status = status;
            t->body = json ? strdup(json) : NULL;
            t->len = len;
        } else {
            t->status = 200;
            t->body = async_reply("stopped", t->run_id, t->count, t->result_id, &t->len);
        }
        if (!t->body) { /* no memory for the reply: an empty 500 */
            t->status = 500;
            t->len = 0;
        }
        inbox_post(t);
    }
    free(json);
    job_free(j);
    /* detached: let go of OpenSSL's per-thread state before serve_rest_free
     * can return and the process exit (an LSan leak report under load) */
    transport_tls_thread_stop();
#ifdef __GLIBC__
    /* the run's connections, buffers and histograms are free now: give the
     * pages back, or a large run leaves serve's RSS (which `run` measures)
     * high for good */
    malloc_trim(0);
#endif
    pthread_mutex_lock(&r->mu);
    r->nthreads--;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

static struct serve_rest_ticket *ticket_new(struct serve_rest_inbox *in, void *waiter, int kind)
{
    struct serve_rest_ticket *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->inbox = in;
    t->waiter = waiter;
    t->kind = kind;
    return t;
}

/* Link t to job j (under r->mu, j listed). 0 or -1 on no memory. */
static int wait_link_add(struct job *j, struct serve_rest_ticket *t, struct wait_link *wl)
{
    if (!wl) return -1;
    wl->t = t;
    wl->next = j->waits;
    j->waits = wl;
    t->pending++;
    return 0;
}

/* Step 1 of a run request: the body, if any, as a JSON object in *jd
 * (NULL for an empty body). 0, or -1 with what is wrong in ex. */
static int run_body(struct http_span body, json_t **jd, char *ex, size_t exlen)
{
    *jd = NULL;
    if (!body.len) return 0;
    json_error_t je;
    json_t *o = json_loadb(body.p, body.len, 0, &je);
    if (o && json_is_object(o)) {
        *jd = o;
        return 0;
    }
    if (o)
        snprintf(ex, exlen, "body is not a JSON object");
    else
        snprintf(ex, exlen, "line %d column %d: %s", je.line, je.column, je.text);
    json_decref(o);
    return -1;
}

/* Step 2: j's options from the query arguments and the body's strings
 * (Fortio's names: url, qps, t, c, n, timeout, payload, labels, jitter,
 * uniform, https-insecure, save, async). 0, or -1 with *msg (and maybe ex)
 * for the error reply. Copies are owned by j. */
static int run_opts(struct job *j, struct http_span query, json_t *jd, bool *async,
                    const char **msg, char *ex, size_t exlen)
{
    char v[ARG_MAX];
    loadgen_opts_init(&j->opts);
    const char *url = arg(query, jd, "url", v, sizeof v);
    while (url && (*url == ' ' || *url == '\t'))
        url++;
    if (!url || !*url) {
        *msg = "URL is required";
        return -1;
    }
    j->url = strdup(url);
    j->opts.url = j->url;
    const char *qs = arg(query, jd, "qps", v, sizeof v);
    double qps = qs ? strtod(qs, NULL) : 0;
    j->opts.qps = qps < 0 ? 0 : qps == 0 ? LOADGEN_DEFAULT_QPS : qps;
    const char *t = arg(query, jd, "t", v, sizeof v);
    if (t && !strcmp(t, "on")) {
        j->opts.duration_us = 0;
    } else if (t) {
        int64_t us;
        if (duration_parse(t, &us) < 0) {
            snprintf(ex, exlen, "time: invalid duration \"%s\"", t);
            *msg = "parsing duration";
            return -1;
        }
        j->opts.duration_us = us;
    }
    const char *c = arg(query, jd, "c", v, sizeof v);
    int conns = c ? atoi(c) : 0;
    j->opts.connections = conns > 0 ? conns : LOADGEN_DEFAULT_CONNECTIONS;
    const char *n = arg(query, jd, "n", v, sizeof v);
    if (n) j->opts.count = strtoll(n, NULL, 10) > 0 ? strtoll(n, NULL, 10) : 0;
    const char *to = arg(query, jd, "timeout", v, sizeof v);
    int64_t tous;
    if (to && duration_parse(to, &tous) == 0) j->opts.timeout_us = tous;
    const char *p = arg(query, jd, "payload", v, sizeof v);
    if (p && *p) {
        j->payload = strdup(p);
        j->opts.payload = j->payload;
        j->opts.payload_len = strlen(p);
    }
    const char *lb = arg(query, jd, "labels", v, sizeof v);
    if (lb) {
        j->labels = strdup(lb);
        j->opts.labels = j->labels;
    }
    j->opts.jitter = on(arg(query, jd, "jitter", v, sizeof v));
    j->opts.uniform = on(arg(query, jd, "uniform", v, sizeof v));
    j->opts.insecure = on(arg(query, jd, "https-insecure", v, sizeof v));
    j->save = on(arg(query, jd, "save", v, sizeof v));
    *async = on(arg(query, jd, "async", v, sizeof v));
    return 0;
}

/* Step 3: j's request headers: the body's "headers" array of strings, then
 * every H= query argument, at most MAX_RUN_HEADERS in all. */
static void run_headers(struct job *j, struct http_span query, json_t *jd)
{
    char v[ARG_MAX];
    json_t *hs = jd ? json_object_get(jd, "headers") : NULL;
    if (hs && json_is_array(hs)) {
        size_t i;
        json_t *h;
        json_array_foreach(hs, i, h)
        {
            if (json_is_string(h) && j->nheaders < MAX_RUN_HEADERS)
                j->headers[j->nheaders++] = strdup(json_string_value(h));
        }
    }
    const char *qp = query.p, *qend = query.p + query.len;
    struct http_span k, qv;
    while (serve_query_next(&qp, qend, &k, &qv)) {
        if (!serve_query_key_is(k, "H") || !qv.len || j->nheaders >= MAX_RUN_HEADERS) continue;
        if (serve_query_decode(qv, v, sizeof v) > 0) j->headers[j->nheaders++] = strdup(v);
    }
    j->opts.headers = (const char *const *)j->headers;
    j->opts.nheaders = j->nheaders;
}

/* Step 4: within the caps lim (runs at once, their connections), number
 * j, list it in r, link tk (if any) to it and start its thread. Returns j's
 * id (j may be gone by then: the thread owns it), -2 with why in ex when a
 * cap is reached (429), or -1 when the thread could not start (j unlisted,
 * still the caller's). */
static int64_t run_start(struct serve_rest *r, const struct serve_rest_limits *lim, struct job *j,
                         struct serve_rest_ticket *tk, struct wait_link *wl, char *ex, size_t exlen)
{
    pthread_mutex_lock(&r->mu);
    if (r->nruns >= lim->max_runs || r->conns_used + j->conns > lim->max_connections) {
        if (r->nruns >= lim->max_runs)
            errbuf_set(ex, exlen, "%lld REST runs are running, the most -rest-max-runs allows",
                       (long long)r->nruns);
        else
            errbuf_set(ex, exlen,
                       "%lld of the %lld connections -rest-max-connections allows are in use; "
                       "c=%lld does not fit",
                       (long long)r->conns_used, (long long)lim->max_connections,
                       (long long)j->conns);
        pthread_mutex_unlock(&r->mu);
        return -2;
    }
    j->id = ++r->last_id;
    j->state = ST_RUNNING;
    if (tk) wait_link_add(j, tk, wl);
    j->next = r->jobs;
    r->jobs = j;
    r->nthreads++;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_t th;
    int rc = pthread_create(&th, &at, job_main, j);
    pthread_attr_destroy(&at);
    int64_t id = j->id;
    if (rc != 0) {
        r->jobs = j->next;
        r->nthreads--;
    } else {
        r->nruns++;
        r->conns_used += j->conns;
    }
    pthread_mutex_unlock(&r->mu);
    return rc ? -1 : id;
}

/* Step 2b: j's options within the caps: c, qps x t and n, t (t=on runs
 * until stopped or for -rest-max-duration, whichever comes first), n/qps
 * and the request timeout. 0, or -1 with the line in ex naming the flag
 * that raises the cap. */
static int run_caps(const struct serve_rest_limits *lim, struct job *j, char *ex, size_t exlen)
{
    struct loadgen_opts *o = &j->opts;
    if (o->count <= 0 && o->duration_us == 0) o->duration_us = lim->max_duration_us;
    double secs = (double)o->duration_us / 1e6;
    double max_s = (double)lim->max_duration_us / 1e6;
    if (o->connections > lim->max_run_connections)
        return errbuf_set(ex, exlen,
                          "c=%d is over the %lld connections of one run (flag "
                          "-rest-max-run-connections)",
                          o->connections, (long long)lim->max_run_connections);
    if (o->count > lim->max_requests)
        return errbuf_set(ex, exlen,
                          "n=%lld is over the %lld requests of one run (flag "
                          "-rest-max-requests)",
                          (long long)o->count, (long long)lim->max_requests);
    if (o->count > 0 && o->qps > 0) secs = (double)o->count / o->qps;
    if (secs > max_s)
        return errbuf_set(ex, exlen, "the run would last %gs, over %gs (flag -rest-max-duration)",
                          secs, max_s);
    if (o->count <= 0 && o->qps > 0 && o->qps * secs > (double)lim->max_requests)
        return errbuf_set(ex, exlen,
                          "qps x t = %.0f requests, over %lld (flag "
                          "-rest-max-requests)",
                          o->qps * secs, (long long)lim->max_requests);
    if (o->timeout_us > lim->max_duration_us)
        return errbuf_set(ex, exlen, "timeout=%gs is over %gs (flag -rest-max-duration)",
                          (double)o->timeout_us / 1e6, max_s);
    return 0;
}

/* Step 2c: j's target: not a REST path, and a host the guard allows (or
 * one its thread must resolve first: j->pin). 0, or -1 with ex. */
static int run_target(const struct serve_rest_guard *g, struct job *j, char *ex, size_t exlen)
{
    struct url u;
    if (url_parse(j->url, &u, ex, exlen) < 0) return -1;
    if (serve_rest_guard_rest_path(u.path))
        return errbuf_set(ex, exlen,
                          "the URL leads to a REST API path (/fortio/rest/): a run "
                          "may not start runs");
    int rc = serve_rest_guard_target(g, &u, ex, exlen);
    if (rc > 0) j->pin = g;
    return rc < 0 ? -1 : 0;
}

/* /fortio/rest/run: parse the request into a job (steps 1-3), check its
 * options, caps and target, start it (step 4); answer at once when async
 * or on an error, else hand back a ticket the job's end answers (an async
 * run whose host needs DNS also answers through a ticket, once checked). */
static int handle_run(struct serve_rest *r, const struct serve_rest_guard *g,
                      struct serve_rest_inbox *inbox, struct http_span query, struct http_span body,
                      void *waiter, int *status, char **out, size_t *len,
                      struct serve_rest_ticket **ticket)
{
    *status = 400;
    char ex[ARG_MAX + 64] = "";
    const char *msg = NULL;
    json_t *jd;
    if (run_body(body, &jd, ex, sizeof ex) < 0) {
        *out = error_reply("body json deserialization error", ex, len);
        return *out ? 1 : -1;
    }
    struct job *j = calloc(1, sizeof *j);
    if (!j) {
        json_decref(jd);
        return -1;
    }
    j->r = r;
    bool async = false;
    const struct serve_rest_limits *lim = serve_rest_guard_limits(g);
    if (run_opts(j, query, jd, &async, &msg, ex, sizeof ex) == 0) run_headers(j, query, jd);
    json_decref(jd);
    if (!msg && loadgen_opts_check(&j->opts, ex, sizeof ex) < 0) msg = "Aborting because of error";
    if (!msg && run_caps(lim, j, ex, sizeof ex) < 0) msg = "over a REST cap";
    if (!msg && run_target(g, j, ex, sizeof ex) < 0) {
        *status = 403;
        msg = "target not allowed";
    }
    if (msg) {
        job_free(j);
        *out = error_reply(msg, ex, len);
        return *out ? 1 : -1;
    }
    j->conns = j->opts.connections;
    j->ctl = loadgen_ctl_new();
    j->opts.ctl = j->ctl;
    bool later = !async || j->pin; /* the reply comes through a ticket */
    struct serve_rest_ticket *tk =
        later ? ticket_new(inbox, waiter, async ? T_START : T_RUN) : NULL;
    struct wait_link *wl = !async ? malloc(sizeof *wl) : NULL;
    if (!j->ctl || (later && !tk) || (!async && !wl)) {
        free(tk);
        free(wl);
        job_free(j);
        return -1;
    }
    if (async && tk) j->start_tk = tk; /* the job owns it: freed with it, or posted */
    int64_t id = run_start(r, lim, j, async ? NULL : tk, wl, ex, sizeof ex);
    if (id < 0) {
        if (!async) free(tk);
        if (id == -2) free(wl); /* not linked: the caps were checked first */
        job_free(j);
        *status = id == -2 ? 429 : 500;
        *out = id == -2 ? error_reply("busy", ex, len)
                        : error_reply("Aborting because of error", "cannot start a thread", len);
        return *out ? 1 : -1;
    }
    if (later) {
        *ticket = tk;
        return 0;
    }
    *status = 200;
    *out = async_reply("started", id, 1, "", len);
    return *out ? 1 : -1;
}

static int64_t query_int(struct http_span query, const char *key)
{
    char v[64];
    const char *s = arg(query, NULL, key, v, sizeof v);
    return s ? strtoll(s, NULL, 10) : 0;
}

static int handle_status(struct serve_rest *r, struct http_span query, int *status, char **out,
                         size_t *len)
{
    int64_t want = query_int(query, "runid");
    json_t *all = json_object();
    pthread_mutex_lock(&r->mu);
    for (struct job *j = r->jobs; j; j = j->next) {
        if (want > 0 && j->id != want) continue;
        json_t *o = json_object();
        json_object_set_new(o, "RunID", json_integer(j->id));
        json_object_set_new(o, "State", json_integer(j->state));
        char shown[ARG_MAX + 16]; /* credentials never leave: user:pass@ -> ***@ */
        url_redact(j->url, shown, sizeof shown);
        json_object_set_new(o, "URL", json_string(shown));
        struct loadgen_progress pr;
        if (loadgen_ctl_progress(j->ctl, &pr) == 0) {
            json_object_set_new(o, "MeshperfRequests", json_integer((json_int_t)pr.requests));
            json_object_set_new(o, "MeshperfErrors", json_integer((json_int_t)pr.errors));
            json_object_set_new(o, "MeshperfQPS", json_real(pr.qps));
        }
        char id[32];
        snprintf(id, sizeof id, "%lld", (long long)j->id);
        json_object_set_new(all, id, o);
    }
    pthread_mutex_unlock(&r->mu);
    json_t *reply = json_object();
    json_object_set_new(reply, "Statuses", all);
    *status = 200;
    *out = json_text(reply, len);
    return *out ? 1 : -1;
}

/* Stop the run asked for (all when runid is 0 or absent). Every matching
 * run that has not ended counts, whether this call or an earlier one
 * stopped it (as Fortio counts). With wait=true the reply waits until all
 * of them have ended: the ticket is linked to each. */
static int handle_stop(struct serve_rest *r, struct serve_rest_inbox *inbox, struct http_span query,
                       void *waiter, int *status, char **out, size_t *len,
                       struct serve_rest_ticket **ticket)
{
    int64_t want = query_int(query, "runid");
    char v[64];
    const char *w = arg(query, NULL, "wait", v, sizeof v);
    bool wait = w && *w && strcmp(w, "off") && strcmp(w, "false");
    struct serve_rest_ticket *t = wait ? ticket_new(inbox, waiter, T_STOP) : NULL;
    if (wait && !t) return -1;
    int count = 0;
    int64_t one = 0;
    pthread_mutex_lock(&r->mu);
    for (struct job *j = r->jobs; j; j = j->next) {
        if (want > 0 && j->id != want) continue;
        if (j->state == ST_RUNNING) {
            loadgen_ctl_stop(j->ctl);
            j->state = ST_STOPPING;
        }
        count++;
        one = j->id;
        if (t) wait_link_add(j, t, malloc(sizeof(struct wait_link)));
    }
    if (t && t->pending) {
        /* linked: the jobs own it now (should a link have failed for want
         * of memory, the reply comes when the others end) */
        t->run_id = count == 1 ? one : want;
        t->count = count;
        pthread_mutex_unlock(&r->mu);
        *ticket = t;
        return 0;
    }
    pthread_mutex_unlock(&r->mu);
    free(t);
    *status = 200;
    *out = async_reply("stopping", want, count, "", len);
    return *out ? 1 : -1;
}

int serve_rest_handle(struct serve_rest *r, const struct serve_rest_guard *g,
                      struct serve_rest_inbox *inbox, struct http_span which,
                      struct http_span query, struct http_span body, void *waiter, int *status,
                      char **out, size_t *len, struct serve_rest_ticket **ticket)
{
    *out = NULL;
    *len = 0;
    *ticket = NULL;
    /* a trailing slash is accepted, as Fortio's mux does for "rest/run/" */
    size_t n = which.len;
    if (n && which.p[n - 1] == '/') n--;
    if (n == 3 && !memcmp(which.p, "run", 3))
        return handle_run(r, g, inbox, query, body, waiter, status, out, len, ticket);
    if (n == 6 && !memcmp(which.p, "status", 6)) return handle_status(r, query, status, out, len);
    if (n == 4 && !memcmp(which.p, "stop", 4))
        return handle_stop(r, inbox, query, waiter, status, out, len, ticket);
    *status = 404;
    *out = error_reply("unknown REST call", NULL, len);
    return *out ? 1 : -1;
}
