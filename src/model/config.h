/* config.h: config.json, the original harness's input, parsed and validated.
 *
 * The same file the original ran must run unchanged. Keys are matched as
 * Go's encoding/json matched them: an exact match is preferred, else a
 * case-insensitive one ("IsTLSEnabled", "istlsenabled", "ISTLSENABLED" all
 * work); when several keys of one object land on the same field, the last
 * one in the file wins (a duplicated key too: jansson keeps the last, like
 * Go). A JSON null is as if the key were absent (Go leaves the field
 * alone). Unknown keys are ignored, as Go did, but each gives a line in
 * cfg->warnings for the driver to print. Our own settings live under one
 * object "meshperf": {...}, where keys are exact and an unknown key is an
 * error (it is ours: a typo must not be silently ignored).
 *
 * Every error is one line naming the file, the JSON path and the value:
 *   config.json:3:15: syntax error: <jansson's text>
 *   config.json: load_tests[1].qps: must be a number >= 0, got "-5"
 *   config.json: backends_map: cycle 0 -> 1 -> 0
 * The key reference (type, default, meaning of each) is docs/CONFIG.md. */
#ifndef MESHPERF_CONFIG_H
#define MESHPERF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct topology;

/* Largest config file config_load_file reads. */
#define CONFIG_MAX_BYTES (16u << 20)

/* The original's defaults for a load test that omits a field. */
#define CONFIG_DEFAULT_URL         "http://service-0.tls-e2e.svc.cluster.local:9080/path-0"
#define CONFIG_DEFAULT_QPS         100.0
#define CONFIG_DEFAULT_DURATION_US (30 * 1000000LL)
#define CONFIG_DEFAULT_CONNECTIONS 1

/* Our defaults for the rest. */
#define CONFIG_DEFAULT_REPLICAS   1
#define CONFIG_DEFAULT_CONN_CHECK 1
#define CONFIG_DEFAULT_STEP_US    (10 * 1000000LL)
#define CONFIG_DEFAULT_PAUSE_US   (10 * 1000000LL)
#define CONFIG_DEFAULT_SAMPLE_US  (1 * 1000000LL)

/* One entry of load_tests, in file order. Strings are owned by the config. */
struct config_test {
    char *name;          /* test_name: non-empty, no '/', not "." or ".." (a dir name) */
    char *url;           /* as written, or CONFIG_DEFAULT_URL */
    double qps;          /* as written (>= 0; 0 = as fast as possible); the rate
                          * to run is config_test_qps(), which applies scale_qps */
    int64_t duration_us; /* t: > 0 */
    int connections;     /* c: 1..LOADGEN_MAX_CONNECTIONS */
    int64_t count;       /* n: requests to send, > 0 overrides t; 0 = not given */
    size_t node;         /* topology index of the node the URL's host names */
    char *path;          /* the URL's path + query ("/" when absent) */
};

/* One entry of metrics, in file order. */
struct config_metric {
    char *name;  /* non-empty, no '/', not "." or "..": it names <name>.csv */
    char *query; /* PromQL, non-empty */
};

/* Where the metrics of the "metrics" object are evaluated. */
enum config_prom {
    CONFIG_PROM_OFF = 0, /* "off" (default): no Prometheus; built-in sampler only */
    CONFIG_PROM_LOCAL,   /* "local": meshperf starts the system's prometheus on loopback */
    CONFIG_PROM_URL      /* "http(s)://...": an existing Prometheus (prom_url) */
};

struct config {
    /* the original's keys */
    bool tls;                  /* IsTLSEnabled (default false) */
    bool mtls;                 /* IsmTLSEnabled (default false) */
    int replicas;              /* ReplicasPerVirtualNode: 1..1000 (default 1) */
    int conn_check;            /* ConnectivityCheckPerURL: requests per URL and per node
                                * before any load; 0 = skip the check (default 1) */
    struct config_test *tests; /* load_tests, file order, ntests >= 1 */
    size_t ntests;
    struct config_metric *metrics; /* metrics, file order (may be 0) */
    size_t nmetrics;
    struct topology *topo; /* backends_map, finished (see topology.h); owned */

    /* our extensions, "meshperf": {...} */
    int64_t step_us;       /* step: query_range step, > 0 (default 10s) */
    int64_t pause_us;      /* pause: between tests, >= 0 (default 10s) */
    int64_t sample_us;     /* sample_interval: built-in sampler, >= 10ms (default 1s) */
    enum config_prom prom; /* prometheus: "off" | "local" | URL (default off) */
    char *prom_url;        /* the URL when prom == CONFIG_PROM_URL, else NULL */
    bool prom_given;       /* "prometheus" was in the file (else the driver may
                            * pick "local" when metrics exist and it is installed) */
    char *ns;              /* namespace: given, else "mtls-e2e" when mtls,
                            * else "tls-e2e" (the original's default URL's) */
    double scale_qps;      /* scale_qps: > 0, multiplies every qps (default 1) */
    char *load_generator;  /* load_generator: http(s) base URL of a Fortio REST
                            * API that runs every test; NULL = in-process */
    char *store;           /* store: "s3://bucket[/prefix]" each test's results are
                            * uploaded to; NULL = local only */
    double tolerance_pct;  /* tolerance: 0..100, % short of the asked load that
                            * makes a test degraded (base/degraded.h); < 0 = not
                            * given (the default, 10) */
    char *sidecar;         /* sidecar: the proxy run beside every replica ("haproxy",
                            * "nginx", "none"; platform/sidecar.h checks the name);
                            * NULL = not given (none) */
    char **modes;          /* modes: run the whole test list once per mode, in this
                            * order (config_mode_known names); NULL = not given
                            * (one run, the plain layout) */
    size_t nmodes;

    /* the file itself: the driver writes it verbatim into each result dir */
    char *text; /* original bytes, NUL-terminated (not counted) */
    size_t text_len;
    /* what the driver stores as <test>/<ts>/config.json: text itself, or a
     * copy in which the userinfo of every URL (user:password@) is "***" */
    char *stored_text; /* NULL: store text */
    size_t stored_len;

    /* unknown keys that were ignored, one line each
     * ("config.json: load_tests[0]: unknown key \"qsp\" ignored"), file order */
    char **warnings;
    size_t nwarnings;
};

/* Parse and validate len bytes of text (need not be NUL-terminated; a copy
 * is kept in cfg->text). name is used in messages ("config.json"). On
 * success returns 0 and *out gets a config the caller frees with
 * config_free. On failure returns -1, *out is NULL, and err holds one line
 * (see the top of this file); nothing to free. Never reads outside text. */
int config_parse(const char *text, size_t len, const char *name, struct config **out, char *err,
                 size_t errlen);

/* Read the file at path (at most CONFIG_MAX_BYTES) and config_parse it with
 * path as the name in messages. Same returns; a read failure gives
 * "<path>: cannot read: <strerror>". */
int config_load_file(const char *path, struct config **out, char *err, size_t errlen);

/* Free the config and everything it owns (including topo). NULL is fine. */
void config_free(struct config *cfg);

/* The rate to run test i at: tests[i].qps * scale_qps (0 stays 0 = max). */
double config_test_qps(const struct config *cfg, size_t i);

/* The mode names `meshperf run --modes` and meshperf.modes take, in
 * their canonical order: "baseline" (no sidecar), "both" (a sidecar on
 * both sides of every call), "serveronly", "clientonly" (istio/tools'
 * names). NULL-terminated, static. */
extern const char *const config_modes[];

/* True when name is one of config_modes. */
bool config_mode_known(const char *name);

/* "off", "local" or the URL. Borrowed. */
const char *config_prom_str(const struct config *cfg);

#endif
