/* loadgen_opts.h: what one load run is asked to do (struct loadgen_opts),
 * Fortio's defaults and the caps, for code that builds or checks options
 * without running load (config, flags); loadgen.h runs them. */
#ifndef MESHPERF_LOADGEN_OPTS_H
#define MESHPERF_LOADGEN_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fortio's defaults (fortio load -h), applied by loadgen_opts_init. */
#define LOADGEN_DEFAULT_QPS         8.0
#define LOADGEN_DEFAULT_DURATION_US (5 * 1000000LL)
#define LOADGEN_DEFAULT_CONNECTIONS 4
#define LOADGEN_DEFAULT_TIMEOUT_US  (3 * 1000000LL)

/* The lowest rate accepted (other than 0 = max): one request per 1000 s
 * (~17 min). Below it the schedule's due times (i / qps) leave int64. */
#define LOADGEN_MIN_QPS 1e-3

/* Caps checked by loadgen_opts_check. */
#define LOADGEN_MAX_CONNECTIONS 100000
#define LOADGEN_MAX_THREADS     1024
#define LOADGEN_MAX_PAYLOAD     (64u << 20)

/* Control of a run from outside it. Create one per run (stop is sticky: a
 * stop before the run starts makes it end at once). Shared by pointer
 * between the running thread and any number of observers; free only after
 * loadgen_run has returned. */
struct loadgen_ctl;

/* What one run is asked to do. Every pointer is borrowed for the duration
 * of loadgen_run (nothing is kept after it returns). Start from
 * loadgen_opts_init. */
struct loadgen_opts {
    const char *url;            /* http://host[:port]/path?q or https://... (required) */
    double qps;                 /* total requests per second over all connections; 0 = max,
                                   else >= LOADGEN_MIN_QPS */
    int64_t duration_us;        /* run length; 0 (with count 0) = until loadgen_ctl_stop */
    int64_t count;              /* -n: total requests to send; > 0 overrides duration_us */
    int connections;            /* keep-alive connections, >= 1 */
    int threads;                /* worker threads; 0 = number of cores; capped at connections */
    const char *const *headers; /* nheaders strings "Name: value" (Host overrides the URL's) */
    size_t nheaders;
    const char *method;  /* NULL = "GET", or "POST" when a payload is given */
    const char *payload; /* request body (payload_len bytes, may hold NULs); NULL = none */
    size_t payload_len;
    int64_t timeout_us;      /* per request (connect + response); 0 = LOADGEN_DEFAULT_TIMEOUT_US */
    bool insecure;           /* https: do not verify the certificate (-k) */
    const char *ca_file;     /* https: PEM CA to verify against besides the system's (-cacert) */
    const char *cert_file;   /* https: PEM client certificate to present (-cert; with key_file) */
    const char *key_file;    /* its PEM private key (-key) */
    bool uniform;            /* Fortio -uniform: accepted; our schedule is always uniform */
    bool jitter;             /* Fortio -jitter: each due time moves by up to +-10% of 1/qps */
    bool sched_batch;        /* max mode: threads run SCHED_BATCH (default true, see loadgen.c) */
    const char *labels;      /* free text copied to the result's Labels; NULL = "" */
    struct loadgen_ctl *ctl; /* optional: stop / progress from another thread */
};

/* Fill o with Fortio's defaults: qps 8, 5 s, 4 connections, threads 0
 * (cores), timeout 3 s, GET; url NULL (must be set); sched_batch true. */
void loadgen_opts_init(struct loadgen_opts *o);

/* Check o without touching the network: url present and parseable,
 * qps 0 or finite and >= LOADGEN_MIN_QPS, duration/count >= 0,
 * 1 <= connections <= max, 0 <= threads <= max, timeout >= 0, headers of
 * the form "Name: value", method a token, payload within
 * LOADGEN_MAX_PAYLOAD, cert_file and key_file both or neither. Returns 0,
 * or -1 with
 * one line in err naming the flag (Fortio spelling: "-qps", "-c", ...) or
 * the URL. */
int loadgen_opts_check(const struct loadgen_opts *o, char *err, size_t errlen);

#endif
