/* cmd_load.c: `meshperf load [flags] URL`: flags in Fortio's spelling,
 * one run of loadgen, a human summary on stdout (stderr when the JSON goes
 * to stdout) and, with -json, Fortio's result JSON.
 *
 * Exit codes: 0 done; 2 bad flags or URL, or -c beyond the file descriptor
 * limit (nothing ran); 1 the target could not be reached at all (DNS,
 * refused, TLS) or the JSON could not be written; 130 interrupted by
 * SIGINT/SIGTERM (partial results are still printed and written). A run
 * that did not deliver the asked rate (base/degraded.h) says so in one
 * line on stderr and still exits 0: like load errors, it is reported, not
 * an exit code (Fortio's behaviour, which scripts rely on). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "base/degraded.h"
#include "base/duration.h"
#include "base/errbuf.h"
#include "base/exitcode.h"
#include "base/flags.h"
#include "load/fortio_json.h"
#include "load/hist.h"
#include "load/loadgen.h"
#include "load/loadgen_setup.h"
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

/* What the command line asked for, before it becomes loadgen options. */
struct load_args {
    const char *url;
    double qps;
    int64_t dur, count, conns, threads, timeout;
    struct strlist headers; /* owned: strlist_free */
    const char *method, *payload, *payload_file, *labels, *json_path;
    const char *cacert, *cert, *key;
    bool insecure, uniform, jitter, batch;
};

/* Step 1: parse the flags and the one URL into a (defaults from
 * loadgen_opts_init). 0 to go on, or -1 with the exit code in *exit_rc
 * (usage printed for -h, one line on stderr for a mistake). */
static int load_parse(int argc, char **argv, struct load_args *a, int *exit_rc)
{
    struct loadgen_opts o;
    loadgen_opts_init(&o);
    *a = (struct load_args){.qps = o.qps,
                            .dur = o.duration_us,
                            .conns = o.connections,
                            .timeout = o.timeout_us,
                            .batch = o.sched_batch};
    const struct flag table[] = {
        {"qps", FLAG_DOUBLE, &a->qps, "N",
         "requests per second over all connections; 0 = max (default 8)", NULL},
        {"t", FLAG_DURATION, &a->dur, "DURATION",
         "how long to run, e.g. 10s, 1m; 0 = until interrupted (default 5s)", NULL},
        {"n", FLAG_INT, &a->count, "COUNT", "send exactly COUNT requests instead of running for -t",
         NULL},
        {"c", FLAG_INT, &a->conns, "CONNECTIONS", "keep-alive connections (default 4)", NULL},
        {"threads", FLAG_INT, &a->threads, "N",
         "worker threads (default: number of cores, at most -c)", NULL},
        {"H", FLAG_STRLIST, &a->headers, "'K: V'", "extra request header (repeatable)", NULL},
        {"X", FLAG_STRING, &a->method, "METHOD",
         "request method (default GET, or POST with a payload)", NULL},
        {"payload", FLAG_STRING, &a->payload, "STRING", "request body", NULL},
        {"payload-file", FLAG_STRING, &a->payload_file, "FILE", "request body read from FILE",
         NULL},
        {"timeout", FLAG_DURATION, &a->timeout, "DURATION", "per-request timeout (default 3s)",
         NULL},
        {"k", FLAG_BOOL, &a->insecure, NULL, "do not verify the TLS certificate", NULL},
        {"cacert", FLAG_STRING, &a->cacert, "FILE",
         "verify the TLS certificate against this CA (PEM) besides the system's", NULL},
        {"cert", FLAG_STRING, &a->cert, "FILE",
         "present this TLS client certificate (PEM; needs -key)", NULL},
        {"key", FLAG_STRING, &a->key, "FILE", "the private key (PEM) of -cert", NULL},
        {"labels", FLAG_STRING, &a->labels, "TEXT", "free text copied to the result's Labels",
         NULL},
        {"json", FLAG_STRING, &a->json_path, "FILE",
         "write Fortio-schema result JSON to FILE ('-' = stdout)", NULL},
        {"uniform", FLAG_BOOL, &a->uniform, NULL,
         "Fortio compatibility; the schedule is always uniform", NULL},
        {"jitter", FLAG_BOOL, &a->jitter, NULL, "move each due time by up to +-10% of the interval",
         NULL},
        {"batch-sched", FLAG_BOOL, &a->batch, NULL,
         "with -qps 0, threads run SCHED_BATCH: woken by a response they do not preempt a "
         "target on the same cores (default true; -batch-sched=false: normal)",
         NULL},
        {NULL, 0, NULL, NULL, NULL, NULL},
    };
    *exit_rc = EXIT_USAGE;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) {
        *exit_rc = EXIT_FAILED;
        return -1;
    }
    int npos = 0;
    char err[ERRBUF_LEN];
    int pr = flags_parse(table, argc, argv, pos, &npos, err, sizeof err);
    a->url = npos == 1 ? pos[0] : NULL;
    free(pos);
    if (pr == FLAGS_HELP) {
        printf("usage: meshperf load [flags] URL\n\nOpen-loop HTTP load: request i is due at "
               "start + i/qps; latency is measured from the due time\n(corrected) and from the "
               "actual send (uncorrected).\n\nflags:\n");
        flags_usage(stdout, table);
        *exit_rc = EXIT_OK;
        return -1;
    }
    if (pr < 0) {
        fprintf(stderr, "meshperf load: %s\n", err);
        return -1;
    }
    if (npos != 1) {
        fprintf(stderr, "meshperf load: %s (usage: meshperf load [flags] URL)\n",
                npos ? "more than one URL given" : "missing URL");
        return -1;
    }
    if (a->payload && a->payload_file) {
        fprintf(stderr, "meshperf load: flags -payload and -payload-file: give only one\n");
        return -1;
    }
    return 0;
}

/* Step 2: loadgen options from a, with -payload-file read into *payload_buf
 * (the caller frees it), checked. EXIT_OK, or EXIT_USAGE with one line on
 * stderr. */
static int load_opts(const struct load_args *a, struct loadgen_opts *o, char **payload_buf)
{
    char err[ERRBUF_LEN];
    loadgen_opts_init(o);
    o->url = a->url;
    o->qps = a->qps;
    o->duration_us = a->dur;
    o->count = a->count;
    o->connections = clamp_int(a->conns);
    o->threads = clamp_int(a->threads);
    o->headers = a->headers.v;
    o->nheaders = a->headers.n;
    o->method = a->method;
    o->timeout_us = a->timeout;
    o->insecure = a->insecure;
    o->ca_file = a->cacert;
    o->cert_file = a->cert;
    o->key_file = a->key;
    o->uniform = a->uniform;
    o->jitter = a->jitter;
    o->sched_batch = a->batch;
    o->labels = a->labels;
    if (a->payload) {
        o->payload = a->payload;
        o->payload_len = strlen(a->payload);
    } else if (a->payload_file) {
        if (read_file(a->payload_file, payload_buf, &o->payload_len, err, sizeof err) < 0) {
            fprintf(stderr, "meshperf load: %s\n", err);
            return EXIT_USAGE;
        }
        o->payload = *payload_buf;
    }
    if (loadgen_opts_check(o, err, sizeof err) < 0) {
        fprintf(stderr, "meshperf load: %s\n", err);
        return EXIT_USAGE;
    }
    long nofile = loadgen_setup_nofile();
    if (nofile >= 0 && (long)o->connections + LOADGEN_SETUP_FD_RESERVE > nofile) {
        fprintf(stderr,
                "meshperf load: flag -c: %d connections need about %ld file descriptors, more "
                "than this process may open (ulimit -n: %ld, raised to the hard limit); lower -c "
                "to %ld or less, or raise the hard limit (ulimit -Hn)\n",
                o->connections, (long)o->connections + LOADGEN_SETUP_FD_RESERVE, nofile,
                nofile > LOADGEN_SETUP_FD_RESERVE ? nofile - LOADGEN_SETUP_FD_RESERVE : 0);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* One line on stderr when the run did not deliver the asked rate. */
static void warn_degraded(const struct loadgen_opts *o, const struct loadgen_result *r)
{
    if (r->stopped) return;
    struct degraded_in in = {o->qps, r->actual_qps, r->requests,
                             hist_count_from(r->lateness, DEGRADED_LATE_US), r->unsent};
    char why[256];
    if (degraded_check(&in, DEGRADED_TOLERANCE_DEFAULT, why, sizeof why))
        fprintf(stderr, "meshperf load: the asked rate was not delivered: %s\n", why);
}

/* Step 3: run o with SIGINT/SIGTERM stopping the run (partial results are
 * kept). EXIT_OK with *res (the caller frees it), or EXIT_FAILED with one
 * line on stderr when nothing could run. o->ctl is NULL again on return. */
static int load_run(struct loadgen_opts *o, struct loadgen_result **res)
{
    char err[ERRBUF_LEN];
    struct loadgen_ctl *ctl = loadgen_ctl_new();
    if (!ctl) {
        fprintf(stderr, "meshperf load: out of memory\n");
        return EXIT_FAILED;
    }
    o->ctl = ctl;
    cmd_load_ctl = ctl;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cmd_load_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int lr = loadgen_run(o, res, err, sizeof err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    cmd_load_ctl = NULL;
    o->ctl = NULL;
    loadgen_ctl_free(ctl);
    if (lr < 0) {
        fprintf(stderr, "meshperf load: %s\n", err);
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

/* Step 4: Fortio's result JSON to path ("-" = stdout). EXIT_OK, or
 * EXIT_FAILED with one line on stderr. */
static int load_write_json(const char *path, const struct loadgen_opts *o,
                           const struct loadgen_result *res)
{
    bool to_stdout = !strcmp(path, "-");
    char *js = fortio_json_result(o, res, 2);
    if (!js) {
        fprintf(stderr, "meshperf load: out of memory writing JSON\n");
        return EXIT_FAILED;
    }
    FILE *f = to_stdout ? stdout : fopen(path, "w");
    if (!f) {
        fprintf(stderr, "meshperf load: flag -json: %s: %s\n", path, strerror(errno));
        free(js);
        return EXIT_FAILED;
    }
    bool bad = fputs(js, f) < 0 || fputc('\n', f) < 0;
    bad |= to_stdout ? fflush(f) != 0 : fclose(f) != 0;
    free(js);
    if (bad) {
        fprintf(stderr, "meshperf load: flag -json: %s: write failed\n", path);
        return EXIT_FAILED;
    }
    if (!to_stdout) fprintf(stdout, "Successfully wrote JSON result to %s\n", path);
    return EXIT_OK;
}

int cmd_load(int argc, char **argv)
{
    struct load_args a;
    struct loadgen_opts o;
    struct loadgen_result *res = NULL;
    char *payload_buf = NULL;
    int rc;
    if (load_parse(argc, argv, &a, &rc) < 0) goto out;
    rc = load_opts(&a, &o, &payload_buf);
    if (rc != EXIT_OK) goto out;
    rc = load_run(&o, &res);
    if (rc != EXIT_OK) goto out;
    bool json_stdout = a.json_path && !strcmp(a.json_path, "-");
    print_summary(json_stdout ? stderr : stdout, &o, res);
    fflush(stdout);
    warn_degraded(&o, res);
    rc = res->stopped ? EXIT_INTERRUPTED : EXIT_OK;
    if (a.json_path && load_write_json(a.json_path, &o, res) != EXIT_OK) rc = EXIT_FAILED;
out:
    loadgen_result_free(res);
    free(payload_buf);
    strlist_free(&a.headers);
    return rc;
}
