/* cmd_load.c: `meshperf load [flags] URL`: flags in Fortio's spelling,
 * one run of loadgen, a human summary on stdout (stderr when the JSON goes
 * to stdout) and, with -json, Fortio's result JSON.
 *
 * Exit codes: 0 done; 2 bad flags or URL (nothing ran); 1 the target could
 * not be reached at all (DNS, refused, TLS) or the JSON could not be
 * written; 130 interrupted by SIGINT/SIGTERM (partial results are still
 * printed and written). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "base/duration.h"
#include "base/errbuf.h"
#include "base/exitcode.h"
#include "base/flags.h"
#include "load/fortio_json.h"
#include "load/hist.h"
#include "load/loadgen.h"
#include "net/url.h"

/* The run's control block, for the signal handler only. */
static struct loadgen_ctl *volatile cmd_load_ctl;

static void cmd_load_on_signal(int sig)
{
    (void)sig;
    if (cmd_load_ctl) loadgen_ctl_stop(cmd_load_ctl);
}

static int clamp_int(int64_t v)
{
    return v > INT_MAX ? INT_MAX : v < INT_MIN ? INT_MIN : (int)v;
}

/* Read a payload file (capped). 0 or -1 with err. *out is malloc'd. */
static int read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) return errbuf_set(err, errlen, "flag -payload-file: %s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    while (b) {
        if (n == cap) {
            if (cap > LOADGEN_MAX_PAYLOAD) break;
            char *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (!b) return errbuf_set(err, errlen, "flag -payload-file: %s: out of memory", path);
    if (bad || n > LOADGEN_MAX_PAYLOAD) {
        free(b);
        return errbuf_set(err, errlen, "flag -payload-file: %s: %s", path,
                          bad ? "read error" : "larger than the 64 MiB allowed");
    }
    *out = b;
    *len = n;
    return 0;
}

static void print_ms_row(FILE *f, const char *title, const struct hist *h)
{
    static const double ps[] = {50, 75, 90, 99, 99.9};
    fprintf(f, "%-30s", title);
    if (!hist_count(h)) {
        fprintf(f, " no data\n");
        return;
    }
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        fprintf(f, " p%g %.3f", ps[i], (double)hist_percentile(h, ps[i]) / 1000.0);
    fprintf(f, "  max %.3f ms\n", (double)hist_max(h) / 1000.0);
}

static void print_summary(FILE *f, const struct loadgen_opts *o, const struct loadgen_result *r)
{
    char d[48], rq[32];
    if (o->qps > 0)
        snprintf(rq, sizeof rq, "%g qps", o->qps);
    else
        snprintf(rq, sizeof rq, "max qps");
    if (o->count > 0)
        snprintf(d, sizeof d, "exactly %lld calls", (long long)o->count);
    else if (o->duration_us > 0)
        duration_format(o->duration_us, d, sizeof d);
    else
        snprintf(d, sizeof d, "until stopped");
    size_t ulen = strlen(o->url) + 16;
    char *shown = malloc(ulen);
    if (shown) url_redact(o->url, shown, ulen);
    fprintf(f, "Target: %s\n", shown ? shown : "(out of memory)");
    free(shown);
    fprintf(f, "Requested: %s, %s, %d connections, %d threads%s\n", rq, d, r->connections,
            r->threads, r->stopped ? " (interrupted)" : "");
    fprintf(f, "Ended after %.6fs: %llu requests, %.2f qps actual", (double)r->duration_us / 1e6,
            (unsigned long long)r->requests, r->actual_qps);
    if (o->qps > 0) fprintf(f, " (%.2f%% of requested)", 100.0 * r->actual_qps / o->qps);
    fprintf(f, "\n");
    print_ms_row(f, "Latency ms, corrected:", r->latency);
    print_ms_row(f, "Latency ms, uncorrected:", r->latency_uncorrected);
    fprintf(f, "Codes:");
    for (size_t i = 0; i < r->ncodes; i++)
        fprintf(f, " %d: %llu (%.1f%%)%s", r->codes[i].code, (unsigned long long)r->codes[i].count,
                r->requests ? 100.0 * (double)r->codes[i].count / (double)r->requests : 0.0,
                i + 1 < r->ncodes ? "," : "");
    fprintf(f, "%s\n", r->ncodes ? "" : " none");
    fprintf(f, "Errors: %llu (socket errors and timeouts: %llu)\n", (unsigned long long)r->errors,
            (unsigned long long)r->socket_errors);
    fprintf(f, "Late (sent > %.0f ms after due): %llu", LOADGEN_LATE_US / 1000.0,
            (unsigned long long)r->late);
    if (r->late)
        fprintf(f, ", by mean %.3f ms, max %.3f ms", hist_mean(r->lateness) / 1000.0,
                (double)hist_max(r->lateness) / 1000.0);
    fprintf(f, "; due but never sent: %llu\n", (unsigned long long)r->unsent);
    fprintf(f, "Sockets used: %llu (for perfect keep-alive, would be %d)\n",
            (unsigned long long)r->sockets, r->connections);
}

int cmd_load(int argc, char **argv)
{
    struct loadgen_opts o;
    loadgen_opts_init(&o);
    double qps = o.qps;
    int64_t dur = o.duration_us, count = 0, conns = o.connections, threads = 0;
    int64_t timeout = o.timeout_us;
    struct strlist headers = {0};
    const char *method = NULL, *payload = NULL, *payload_file = NULL, *labels = NULL;
    const char *json_path = NULL;
    bool insecure = false, uniform = false, jitter = false, batch = o.sched_batch;
    const struct flag table[] = {
        {"qps", FLAG_DOUBLE, &qps, "N",
         "requests per second over all connections; 0 = max (default 8)", NULL},
        {"t", FLAG_DURATION, &dur, "DURATION",
         "how long to run, e.g. 10s, 1m; 0 = until interrupted (default 5s)", NULL},
        {"n", FLAG_INT, &count, "COUNT", "send exactly COUNT requests instead of running for -t",
         NULL},
        {"c", FLAG_INT, &conns, "CONNECTIONS", "keep-alive connections (default 4)", NULL},
        {"threads", FLAG_INT, &threads, "N",
         "worker threads (default: number of cores, at most -c)", NULL},
        {"H", FLAG_STRLIST, &headers, "'K: V'", "extra request header (repeatable)", NULL},
        {"X", FLAG_STRING, &method, "METHOD",
         "request method (default GET, or POST with a payload)", NULL},
        {"payload", FLAG_STRING, &payload, "STRING", "request body", NULL},
        {"payload-file", FLAG_STRING, &payload_file, "FILE", "request body read from FILE", NULL},
        {"timeout", FLAG_DURATION, &timeout, "DURATION", "per-request timeout (default 3s)", NULL},
        {"k", FLAG_BOOL, &insecure, NULL, "do not verify the TLS certificate", NULL},
        {"labels", FLAG_STRING, &labels, "TEXT", "free text copied to the result's Labels", NULL},
        {"json", FLAG_STRING, &json_path, "FILE",
         "write Fortio-schema result JSON to FILE ('-' = stdout)", NULL},
        {"uniform", FLAG_BOOL, &uniform, NULL,
         "Fortio compatibility; the schedule is always uniform", NULL},
        {"jitter", FLAG_BOOL, &jitter, NULL, "move each due time by up to +-10% of the interval",
         NULL},
        {"batch-sched", FLAG_BOOL, &batch, NULL,
         "with -qps 0, threads run SCHED_BATCH: woken by a response they do not preempt a "
         "target on the same cores (default true; -batch-sched=false: normal)",
         NULL},
        {NULL, 0, NULL, NULL, NULL, NULL},
    };
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) return EXIT_FAILED;
    int npos = 0, rc = EXIT_USAGE;
    char err[ERRBUF_LEN];
    char *payload_buf = NULL;
    struct loadgen_ctl *ctl = NULL;
    struct loadgen_result *res = NULL;
    char *js = NULL;
    int pr = flags_parse(table, argc, argv, pos, &npos, err, sizeof err);
    if (pr == FLAGS_HELP) {
        printf("usage: meshperf load [flags] URL\n\nOpen-loop HTTP load: request i is due at "
               "start + i/qps; latency is measured from the due time\n(corrected) and from the "
               "actual send (uncorrected).\n\nflags:\n");
        flags_usage(stdout, table);
        rc = EXIT_OK;
        goto out;
    }
    if (pr < 0) {
        fprintf(stderr, "meshperf load: %s\n", err);
        goto out;
    }
    if (npos != 1) {
        fprintf(stderr, "meshperf load: %s (usage: meshperf load [flags] URL)\n",
                npos ? "more than one URL given" : "missing URL");
        goto out;
    }
    if (payload && payload_file) {
        fprintf(stderr, "meshperf load: flags -payload and -payload-file: give only one\n");
        goto out;
    }
    o.url = pos[0];
    o.qps = qps;
    o.duration_us = dur;
    o.count = count;
    o.connections = clamp_int(conns);
    o.threads = clamp_int(threads);
    o.headers = headers.v;
    o.nheaders = headers.n;
    o.method = method;
    o.timeout_us = timeout;
    o.insecure = insecure;
    o.uniform = uniform;
    o.jitter = jitter;
    o.sched_batch = batch;
    o.labels = labels;
    if (payload) {
        o.payload = payload;
        o.payload_len = strlen(payload);
    } else if (payload_file) {
        if (read_file(payload_file, &payload_buf, &o.payload_len, err, sizeof err) < 0) {
            fprintf(stderr, "meshperf load: %s\n", err);
            goto out;
        }
        o.payload = payload_buf;
    }
    if (loadgen_opts_check(&o, err, sizeof err) < 0) {
        fprintf(stderr, "meshperf load: %s\n", err);
        goto out;
    }
    ctl = loadgen_ctl_new();
    if (!ctl) {
        fprintf(stderr, "meshperf load: out of memory\n");
        rc = EXIT_FAILED;
        goto out;
    }
    o.ctl = ctl;
    cmd_load_ctl = ctl;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cmd_load_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int lr = loadgen_run(&o, &res, err, sizeof err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    cmd_load_ctl = NULL;
    if (lr < 0) {
        fprintf(stderr, "meshperf load: %s\n", err);
        rc = EXIT_FAILED;
        goto out;
    }
    bool json_stdout = json_path && !strcmp(json_path, "-");
    print_summary(json_stdout ? stderr : stdout, &o, res);
    rc = res->stopped ? EXIT_INTERRUPTED : EXIT_OK;
    if (json_path) {
        js = fortio_json_result(&o, res, 2);
        if (!js) {
            fprintf(stderr, "meshperf load: out of memory writing JSON\n");
            rc = EXIT_FAILED;
            goto out;
        }
        FILE *f = json_stdout ? stdout : fopen(json_path, "w");
        if (!f) {
            fprintf(stderr, "meshperf load: flag -json: %s: %s\n", json_path, strerror(errno));
            rc = EXIT_FAILED;
            goto out;
        }
        bool bad = fputs(js, f) < 0 || fputc('\n', f) < 0;
        bad |= json_stdout ? fflush(f) != 0 : fclose(f) != 0;
        if (bad) {
            fprintf(stderr, "meshperf load: flag -json: %s: write failed\n", json_path);
            rc = EXIT_FAILED;
        } else if (!json_stdout) {
            fprintf(stdout, "Successfully wrote JSON result to %s\n", json_path);
        }
    }
out:
    free(js);
    loadgen_result_free(res);
    loadgen_ctl_free(ctl);
    free(payload_buf);
    strlist_free(&headers);
    free(pos);
    return rc;
}
