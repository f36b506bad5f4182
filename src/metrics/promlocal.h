/* promlocal.h: a Prometheus of our own, for the length of one run.
 *
 * `meshperf run --prometheus local` starts the system's `prometheus`
 * (Debian package) as a child process with everything in a private temp
 * dir ($TMPDIR or /tmp, "meshperf-prom.XXXXXX"):
 *   prometheus.yml   generated: scrape and evaluation interval 1 s, and
 *                    job PROMLOCAL_JOB_SERVE: file_sd_configs on
 *                      targets.json (refresh 1 s; Prometheus also watches
 *                      it with inotify), every target labelled by us;
 *                    job PROMLOCAL_JOB_EXPORTER (only when an exporter
 *                      address is given): static target, honor_labels so
 *                      the pod/container/namespace labels of the
 *                      cAdvisor-style series it serves are kept as is.
 *   targets.json     rewritten atomically (temp file + rename) by
 *                    promlocal_set_targets
 *   data/            the TSDB (--storage.tsdb.path)
 *   prometheus.log   its stdout + stderr
 * It listens on 127.0.0.1:<a port that was free a moment before>; if it
 * exits during start-up because the port was taken meanwhile, another port
 * is tried (PROMLOCAL_START_TRIES in all).
 *
 * Lifecycle: a supervised child (base/child.h). It sets
 * PR_SET_PDEATHSIG(SIGKILL) (and exits if the parent is already gone), so
 * it dies with the driver even on SIGKILL.
 * Note that the death signal follows the THREAD that forked: call
 * promlocal_start from the driver's main thread. It runs in its own process
 * group with default signal dispositions and an empty mask, so a terminal's
 * Ctrl-C reaches the driver only and the driver decides. promlocal_stop
 * sends SIGTERM to the group, waits up to PROMLOCAL_STOP_WAIT_S, then
 * SIGKILLs it, reaps it and removes the temp dir.
 *
 * Threading: one owner; not thread-safe. */
#ifndef MESHPERF_PROMLOCAL_H
#define MESHPERF_PROMLOCAL_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/types.h>

#define PROMLOCAL_JOB_SERVE       "meshperf"
#define PROMLOCAL_JOB_EXPORTER    "meshperf-cadvisor"
#define PROMLOCAL_START_TRIES     3
#define PROMLOCAL_READY_TIMEOUT_S 30.0
#define PROMLOCAL_STOP_WAIT_S     5.0
#define PROMLOCAL_MAX_TARGETS     100000

/* One scrape target of job PROMLOCAL_JOB_SERVE and its labels. All strings
 * are borrowed for the call only. */
struct promlocal_target {
    const char *addr; /* "127.0.0.1:PORT" (host:port, scraped at /metrics) */
    const char
        *pod; /* "node-N-<template hash>-<suffix>" (platform_pod_name); also kubernetes_pod_name */
    const char *container;  /* NULL: "app" */
    const char *namespace_; /* the config's namespace; NULL: no label */
    const char *job;        /* NULL: PROMLOCAL_JOB_SERVE */
};

struct promlocal_opts {
    const char *bin;           /* the binary: a path, or a name looked up in PATH;
                                * NULL: "prometheus" */
    const char *exporter_addr; /* "127.0.0.1:PORT" of the cAdvisor-style exporter
                                * (exporter.h), or NULL for none */
    const char *tmp_parent;    /* where the temp dir goes; NULL: $TMPDIR or /tmp */
    double ready_timeout_s;    /* for /-/ready per try; 0: PROMLOCAL_READY_TIMEOUT_S */
    const atomic_int *cancel;  /* optional: non-zero aborts waits */
};

struct promlocal;

/* Start Prometheus and wait (bounded) until /-/ready answers 200. It starts
 * with an empty targets.json: call promlocal_set_targets, then
 * promlocal_wait_up. NULL with one line in err, e.g.
 *   "prometheus: not found in PATH (install the Debian package prometheus)"
 *   "prometheus exited with status 1 during start-up: <its last log line>"
 *   "prometheus at http://127.0.0.1:P not ready after 30s: <curl's text>"
 *   "interrupted"
 * Nothing is left behind on failure (process reaped, temp dir removed).
 * o may be NULL (all defaults). Free with promlocal_stop. */
struct promlocal *promlocal_start(const struct promlocal_opts *o, char *err, size_t errlen);

/* Base URL, "http://127.0.0.1:PORT". Borrowed, valid until stop. */
const char *promlocal_url(const struct promlocal *pl);

/* The temp dir. Borrowed, valid until stop. */
const char *promlocal_dir(const struct promlocal *pl);

/* Pid (= process group id) of the running Prometheus, or 0 once it has
 * been found to have exited. */
pid_t promlocal_pid(const struct promlocal *pl);

/* Replace the file_sd target list with t[0..n) (n may be 0), atomically.
 * Prometheus notices within about a second and starts scraping a new
 * target a few seconds later. 0, or -1 with err (bad target: empty addr or
 * pod, I/O error naming the file). */
int promlocal_set_targets(struct promlocal *pl, const struct promlocal_target *t, size_t n,
                          char *err, size_t errlen);

/* Wait until every target Prometheus should have (those of the last
 * promlocal_set_targets, plus the exporter) is active and up == 1, for at
 * most timeout_s seconds (the first scrape comes about 5-6 s after start).
 * 0, or -1 with err: "prometheus targets: N of M targets up after Ts",
 * "prometheus exited with ...: <last log line>", "interrupted". */
int promlocal_wait_up(struct promlocal *pl, double timeout_s, char *err, size_t errlen);

/* Is it still running? 1, or 0 after it exited (then err, if non-NULL,
 * says how: "prometheus exited with status 2: <last log line>"). */
int promlocal_alive(struct promlocal *pl, char *err, size_t errlen);

/* Stop Prometheus (SIGTERM to its group, bounded wait, SIGKILL), reap it,
 * remove the temp dir, free. NULL is fine. */
void promlocal_stop(struct promlocal *pl);

/* Pure: the targets.json text (file_sd format: [{"targets": [addr],
 * "labels": {pod, kubernetes_pod_name, namespace, container, job}}, ...])
 * for t[0..n). Returns a malloc'd NUL-terminated string the caller frees,
 * or NULL with err (empty addr or pod, out of memory). */
char *promlocal_targets_json(const struct promlocal_target *t, size_t n, char *err, size_t errlen);

/* Pure: the prometheus.yml text for a temp dir and an exporter address
 * (NULL: no exporter job). malloc'd; NULL only when out of memory. */
char *promlocal_config_yml(const char *dir, const char *exporter_addr);

#endif
