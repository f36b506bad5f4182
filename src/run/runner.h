/* runner.h: the load-runner seam: who drives a load test's load.
 *
 * Two backends, chosen by runner_open from one string (the only place a
 * backend is picked):
 *   NULL or ""           in-process: load/loadgen in this process, the
 *                        Fortio JSON made by load/fortio_json (runner_inproc.c)
 *   http(s)://host[:p]/  remote: Fortio's REST API (POST /fortio/rest/run,
 *                        GET /fortio/rest/stop) on a `meshperf serve` or a
 *                        real Fortio, through libcurl (runner_rest.c)
 *
 * A test's load is one job: runner_job_new, runner_job_run (blocks until
 * the load ends), runner_job_free. runner_job_stop may be called from any
 * thread at any time between new and free (also before run: the run then
 * ends at once); it is an atomic store, safe from a signal handler. A
 * stopped job still returns its result (stopped = true) when the load
 * generator answers; a remote one is given RUNNER_STOP_GRACE_US to answer
 * after the stop before the run fails. */
#ifndef MESHPERF_RUNNER_H
#define MESHPERF_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUNNER_STOP_GRACE_US (10 * 1000000LL)

struct runner;
struct runner_job;

/* What to run: one load test. */
struct runner_spec {
    const char *url;     /* the target, as the load generator will see it */
    double qps;          /* total requests per second; 0 = as fast as possible */
    int64_t duration_us; /* > 0, or 0 with count > 0 */
    int64_t count;       /* exactly this many requests when > 0 */
    int connections;     /* Fortio's -c */
    const char *labels;  /* Fortio Labels (the test's name) */
    /* https targets (a TLS mesh: platform_tls): PEM files of the CA to
     * verify against and, for mTLS, the client certificate and its key;
     * NULL: none. In-process only: the driver runs no TLS mesh with a
     * remote runner (it could not read these files). */
    const char *ca_file, *cert_file, *key_file;
};

/* One HTTP status (-1 = socket error) and how many responses had it. */
struct runner_code {
    int code;
    uint64_t count;
};

/* What a run gives back: the Fortio JSON as the load generator made it (to
 * be stored as fortio.json byte for byte) and the figures the driver
 * prints and judges the test by (base/degraded.h). late, late_far and
 * unsent are 0 from a load generator that does not report them (a real
 * Fortio: its JSON has no MeshperfLate / MeshperfUnsent). */
struct runner_result {
    char *json; /* malloc'd, NUL-terminated; json_len bytes */
    size_t json_len;
    double actual_qps;
    uint64_t requests; /* completed, errors included */
    uint64_t errors;   /* non-2xx and socket errors */
    double p50_ms, p99_ms;
    uint64_t late;             /* written > LOADGEN_LATE_US (1 ms) after due */
    uint64_t late_far;         /* of which > DEGRADED_LATE_US (base/degraded.h) after due */
    uint64_t unsent;           /* due but never sent */
    struct runner_code *codes; /* ncodes entries, ascending code */
    size_t ncodes;
    bool stopped; /* ended by runner_job_stop */
};

/* Open the runner named by where (see the top comment). NULL with one line
 * in err on a bad URL (the URL shown without credentials) or no memory.
 * Free with runner_free. Nothing is contacted here. Defined in
 * runner_open.c. */
struct runner *runner_open(const char *where, char *err, size_t errlen);

/* "in-process", or the load generator's base URL without credentials. */
const char *runner_where(const struct runner *r);

/* Free. NULL is fine. No job may be left. */
void runner_free(struct runner *r);

/* A job for spec (its strings are borrowed until runner_job_free). NULL on
 * no memory. */
struct runner_job *runner_job_new(struct runner *r, const struct runner_spec *spec);

/* Run the job's load and block until it ends. 0: *out filled (free it with
 * runner_result_clear); -1: one line in err, *out zeroed (the load could
 * not run: bad target, load generator unreachable or refusing the run,
 * no stop answer within the grace). Once per job. */
int runner_job_run(struct runner_job *j, struct runner_result *out, char *err, size_t errlen);

/* Ask the job's load to end now; sticky. Any thread; signal-safe. */
void runner_job_stop(struct runner_job *j);

/* Live figures while the job runs: 0 and *p filled, or -1 when there are
 * none (not started, or a backend that cannot tell). */
struct runner_progress {
    uint64_t requests, errors;
    int64_t elapsed_us;
    double qps;
};
int runner_job_progress(struct runner_job *j, struct runner_progress *p);

/* Free. NULL is fine. Not while runner_job_run is running. */
void runner_job_free(struct runner_job *j);

/* Free what *res holds and zero it. NULL is fine. */
void runner_result_clear(struct runner_result *res);

/* ---- for the backends (runner_inproc.c, runner_rest.c) ---- */

struct runner_ops {
    const char *name;
    struct runner_job *(*job_new)(struct runner *r, const struct runner_spec *spec);
    int (*run)(struct runner_job *j, struct runner_result *out, char *err, size_t errlen);
    void (*stop)(struct runner_job *j);
    int (*progress)(struct runner_job *j, struct runner_progress *p);
    void (*job_free)(struct runner_job *j);
    void (*free)(struct runner *r);
};

/* Every runner and job starts with these. */
struct runner {
    const struct runner_ops *ops;
    char where[512];
};
struct runner_job {
    struct runner *r;
};

struct runner *runner_inproc_new(void);
struct runner *runner_rest_new(const char *base, char *err, size_t errlen);

#endif
