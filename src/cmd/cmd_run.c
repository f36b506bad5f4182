/* cmd_run.c: `meshperf run [flags] [config.json]`: load and validate the
 * config, apply the flags (which override the config's "meshperf" keys,
 * which override the defaults), then hand over to the driver (driver.h).
 *
 * Exit codes: 0 every test ran and delivered its load; 1 the run failed
 * (a node could not start or died, the connectivity check failed, results
 * could not be written, or a test's upload to --store failed: the local
 * results are complete); 2 bad flags or bad config (nothing ran; with
 * --check, validation only); 3 every test ran, one or more degraded (short
 * of its rate or of a result file beyond --tolerance, base/degraded.h);
 * --load-generator URL (or the config's meshperf.load_generator) runs
 * every test's load through that Fortio REST API (run/runner.h);
 * --platform kubernetes runs the graph on a cluster through kubectl
 * (platform/platform_kubernetes.h; a failed preflight is exit 2);
 * --sidecar haproxy|nginx|none (or meshperf.sidecar) puts that proxy
 * beside every replica (platform/sidecar.h); an unknown name, or a proxy
 * not in PATH, is one line (naming the Debian package) and exit 2 before
 * anything starts;
 * --modes baseline,both,... (or meshperf.modes) runs the whole test list
 * once per mode under <results>/<mode>/ (run/modes.h); an unknown mode, or
 * a mode other than baseline without a sidecar, is one line and exit 2;
 * 130 SIGINT/SIGTERM (partial results kept). */
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "model/config.h"
#include "run/driver.h"
#include "run/modes.h"
#include "base/duration.h"
#include "base/errbuf.h"
#include "base/exitcode.h"
#include "base/flags.h"
#include "model/topology.h"
#include "net/url.h"
#include "platform/render.h"
#include "platform/sidecar.h"

#define CMD_RUN_DEFAULT_CONFIG  "examples/config.json"
#define CMD_RUN_DEFAULT_RESULTS "results"

static void cmd_run_usage(FILE *f, const struct flag *table)
{
    fprintf(f,
            "usage: meshperf run [flags] [config.json]   (default %s)\n\n"
            "Bring up the config's backends_map as local `meshperf serve` processes\n"
            "(or on a cluster through kubectl, with --platform kubernetes),\n"
            "check connectivity, run every load test in order, and store\n"
            "<results>/<test_name>/<driver_ts>/{config.json,fortio.json,<metric>.csv}\n"
            "(with -modes: <results>/<mode>/<test_name>/<driver_ts>/...).\n\n"
            "flags:\n",
            CMD_RUN_DEFAULT_CONFIG);
    flags_usage(f, table);
    fprintf(f,
            "\nenvironment: MESHPERF_SCALE_QPS (as --scale-qps; the flag wins)\n"
            "exit codes: 0 ok, 1 run failed (or an upload to --store failed), 2 bad flags\n"
            "or config (or a --sidecar proxy not in PATH), 3 a test degraded, 130 interrupted\n");
}

/* True if an executable named name is in one of $PATH's directories. */
static bool on_path(const char *name)
{
    const char *path = getenv("PATH");
    if (!path) return false;
    char dir[PATH_MAX];
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        if (n > 0 && n + strlen(name) + 2 < sizeof dir) {
            snprintf(dir, sizeof dir, "%.*s/%s", (int)n, p, name);
            if (access(dir, X_OK) == 0) return true;
        }
        p += n;
        if (*p == ':') p++;
    }
    return false;
}

/* The flags and what came of them. */
struct cmd_run_state {
    bool check, quiet;
    int64_t pause_us, sample_us;
    double scale, escale, tolerance;
    const char *results, *serve_bin, *prom, *loadgen, *path;
    const char *sidecar;    /* --sidecar, else the config's meshperf.sidecar */
    const char *store;      /* --store URI, else the config's meshperf.store */
    const char *modes_flag; /* --modes as given */
    char **modes;           /* --modes, else the config's meshperf.modes; NULL: none */
    size_t nmodes;
    /* --platform kubernetes and its flags (platform/platform_kubernetes.h) */
    const char *platform, *mesh, *context, *image, *prom_service, *ns;
    bool keep, waypoint;
    int64_t rollout_us;
    bool pause_seen, sample_seen, scale_seen, tolerance_seen;
    struct config *cfg;
    char self[PATH_MAX];
};

/* Parse argv into st. EXIT_OK to go on, or the exit code (help: -1 and
 * *code = EXIT_OK). */
static int cmd_run_flags(struct cmd_run_state *st, int argc, char **argv, int *code)
{
    const struct flag table[] = {
        {"check", FLAG_BOOL, &st->check, NULL,
         "validate the config only: print one line, exit 0 or 2", NULL},
        {"pause", FLAG_DURATION, &st->pause_us, "D",
         "pause between tests (default: config meshperf.pause, else 10s)", &st->pause_seen},
        {"results", FLAG_STRING, &st->results, "DIR", "results directory (default ./results)",
         NULL},
        {"scale-qps", FLAG_DOUBLE, &st->scale, "F",
         "multiply every test's qps by F > 0 (default: env MESHPERF_SCALE_QPS, config "
         "meshperf.scale_qps, else 1)",
         &st->scale_seen},
        {"sample-interval", FLAG_DURATION, &st->sample_us, "D",
         "built-in sampler interval, >= 10ms (default: config meshperf.sample_interval, else 1s)",
         &st->sample_seen},
        {"serve-bin", FLAG_STRING, &st->serve_bin, "PATH",
         "binary run as `PATH serve` for each node (default: this meshperf)", NULL},
        {"prometheus", FLAG_STRING, &st->prom, "off|local|URL",
         "evaluate the config's metrics: local = start the system's prometheus, URL = an "
         "existing one (default: config meshperf.prometheus; else local when the config has "
         "metrics and prometheus is installed; else off)",
         NULL},
        {"load-generator", FLAG_STRING, &st->loadgen, "URL",
         "run every test's load through the Fortio REST API at URL (a `meshperf serve` or a "
         "Fortio server; default: config meshperf.load_generator, else in-process)",
         NULL},
        {"store", FLAG_STRING, &st->store, "URI",
         "also upload each test's results to URI when the test ends (s3://bucket/prefix; "
         "default: config meshperf.store); a failed upload keeps the local results and "
         "exits 1 at the end",
         NULL},
        {"sidecar", FLAG_STRING, &st->sidecar, "haproxy|nginx|none",
         "run that proxy (Debian's haproxy, nginx) beside every replica, as a mesh's sidecar: "
         "inbound and calls to backends go through it (default: config meshperf.sidecar, else "
         "none)",
         NULL},
        {"modes", FLAG_STRING, &st->modes_flag, "LIST",
         "run the whole test list once per mode, in order, results under <results>/<mode>/: "
         "baseline (no sidecar), both, serveronly, clientonly (with the -sidecar proxy; "
         "default: config meshperf.modes, else one run, no mode)",
         NULL},
        {"quiet", FLAG_BOOL, &st->quiet, NULL, "no progress and no summary table; warnings only",
         NULL},
        {"platform", FLAG_STRING, &st->platform, "local|kubernetes",
         "where the topology runs (default local); kubernetes: through kubectl, see README.md",
         NULL},
        {"mesh", FLAG_STRING, &st->mesh, "NAME",
         "kubernetes: appmesh|istio|istio-ambient|linkerd|none (default none)", NULL},
        {"context", FLAG_STRING, &st->context, "C", "kubernetes: kubectl --context", NULL},
        {"image", FLAG_STRING, &st->image, "IMAGE",
         "kubernetes: the image running meshperf (default " RENDER_DEFAULT_IMAGE ")", NULL},
        {"namespace", FLAG_STRING, &st->ns, "NS",
         "kubernetes: namespace (default: the config's, from its load-test URLs)", NULL},
        {"prometheus-service", FLAG_STRING, &st->prom_service, "NS/NAME[:PORT]",
         "kubernetes: port-forward this Prometheus Service (port 9090 by default) and query it",
         NULL},
        {"rollout-timeout", FLAG_DURATION, &st->rollout_us, "D",
         "kubernetes: every Deployment ready within D of the apply (default 5m)", NULL},
        {"waypoint", FLAG_BOOL, &st->waypoint, NULL,
         "kubernetes, istio-ambient: add a waypoint (Gateway of class istio-waypoint)", NULL},
        {"keep", FLAG_BOOL, &st->keep, NULL,
         "kubernetes: leave what the run created in the cluster", NULL},
        {"tolerance", FLAG_DOUBLE, &st->tolerance, "PCT",
         "a test is degraded (exit 3) when its actual qps falls short of the asked one, or its "
         "requests were sent >100 ms late or not at all, by more than PCT % (0..100, default 10)",
         &st->tolerance_seen},
        {NULL, 0, NULL, NULL, NULL, NULL},
    };
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) return EXIT_FAILED;
    int npos = 0;
    char err[ERRBUF_LEN];
    int rc = flags_parse(table, argc, argv, pos, &npos, err, sizeof err);
    if (rc == FLAGS_HELP) {
        cmd_run_usage(stdout, table);
        free(pos);
        *code = EXIT_OK;
        return -1;
    }
    if (rc < 0 || npos > 1) {
        fprintf(stderr, "meshperf run: %s\n",
                rc < 0 ? err : "at most one config file may be given");
        free(pos);
        return EXIT_USAGE;
    }
    st->path = npos ? pos[0] : CMD_RUN_DEFAULT_CONFIG;
    free(pos);
    return EXIT_OK;
}

/* An http(s) URL for flag name, else a line on stderr. 0 or -1. */
static int cmd_run_check_url(const char *name, const char *s, const char *what)
{
    char shown[512], uerr[ERRBUF_LEN] = "out of memory";
    url_redact(s, shown, sizeof shown);
    struct url *u = malloc(sizeof *u);
    int rc = u ? url_parse(s, u, uerr, sizeof uerr) : -1;
    bool query = rc == 0 && strchr(u->path, '?') != NULL;
    free(u);
    if (rc == 0 && !query) return 0;
    fprintf(stderr, "meshperf run: flag -%s: must be %s, got '%s'%s%s\n", name, what, shown,
            rc < 0 ? ": " : " (a query)", rc < 0 ? uerr : "");
    return -1;
}

/* Check the flag values that need no config. EXIT_OK or EXIT_USAGE. */
static int cmd_run_check_flags(struct cmd_run_state *st)
{
    char err[ERRBUF_LEN];
    if (st->scale_seen && !(st->scale > 0 && isfinite(st->scale))) {
        fprintf(stderr, "meshperf run: flag -scale-qps: must be a number > 0, got %g\n", st->scale);
        return EXIT_USAGE;
    }
    const char *env_scale = getenv("MESHPERF_SCALE_QPS");
    if (!st->scale_seen && env_scale && env_scale[0]) {
        char *end;
        errno = 0;
        st->escale = strtod(env_scale, &end);
        if (errno || *end || !(st->escale > 0 && isfinite(st->escale))) {
            fprintf(stderr,
                    "meshperf run: env MESHPERF_SCALE_QPS: must be a number > 0, got '%s'\n",
                    env_scale);
            return EXIT_USAGE;
        }
    }
    if (st->tolerance_seen && !(st->tolerance >= 0 && st->tolerance <= 100)) {
        fprintf(stderr, "meshperf run: flag -tolerance: must be a percentage 0..100, got %g\n",
                st->tolerance);
        return EXIT_USAGE;
    }
    if (st->sample_seen && st->sample_us < 10000) {
        fprintf(stderr, "meshperf run: flag -sample-interval: must be >= 10ms\n");
        return EXIT_USAGE;
    }
    const char *prom = st->prom;
    if (prom && strcmp(prom, "off") && strcmp(prom, "local") && strncmp(prom, "http://", 7) &&
        strncmp(prom, "https://", 8)) {
        char shown[512];
        url_redact(prom, shown, sizeof shown);
        fprintf(stderr,
                "meshperf run: flag -prometheus: must be off, local or an http(s) URL, "
                "got '%s'\n",
                shown);
        return EXIT_USAGE;
    }
    if (st->modes_flag &&
        modes_parse(st->modes_flag, &st->modes, &st->nmodes, err, sizeof err) < 0) {
        fprintf(stderr, "meshperf run: flag -modes: %s\n", err);
        return EXIT_USAGE;
    }
    if (st->loadgen && cmd_run_check_url("load-generator", st->loadgen,
                                         "the http(s) base URL of a Fortio REST API") < 0)
        return EXIT_USAGE;
    return EXIT_OK;
}

/* The sidecar: --sidecar over meshperf.sidecar, a known name whose binary
 * is in PATH (checked here, before anything starts). EXIT_OK, EXIT_USAGE
 * or EXIT_FAILED. */
static int cmd_run_sidecar(struct cmd_run_state *st)
{
    struct config *cfg = st->cfg;
    char err[ERRBUF_LEN], bin[PATH_MAX];
    if (st->sidecar) {
        free(cfg->sidecar);
        if (!(cfg->sidecar = strdup(st->sidecar))) return EXIT_FAILED;
    }
    if (!cfg->sidecar) return EXIT_OK;
    const struct sidecar *sc = sidecar_find(cfg->sidecar, err, sizeof err);
    if (!sc) {
        if (st->sidecar)
            fprintf(stderr, "meshperf run: flag -sidecar: %s\n", err);
        else
            fprintf(stderr, "%s: meshperf.sidecar: %s\n", st->path, err);
        return EXIT_USAGE;
    }
    if (!st->check && sidecar_locate(sc, bin, sizeof bin, err, sizeof err) < 0) {
        fprintf(stderr, "meshperf run: %s\n", err);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* The modes: --modes over meshperf.modes; a mode other than baseline
 * needs a sidecar (cmd_run_sidecar ran first). EXIT_OK, EXIT_USAGE or
 * EXIT_FAILED. */
static int cmd_run_modes(struct cmd_run_state *st)
{
    const struct config *cfg = st->cfg;
    if (!st->modes_flag && cfg->nmodes) {
        st->modes = calloc(cfg->nmodes, sizeof *st->modes);
        if (!st->modes) return EXIT_FAILED;
        for (size_t i = 0; i < cfg->nmodes; i++) {
            if (!(st->modes[i] = strdup(cfg->modes[i]))) return EXIT_FAILED;
            st->nmodes = i + 1;
        }
    }
    const char *need = modes_need_sidecar(st->modes, st->nmodes);
    if (need && (!cfg->sidecar || !strcmp(cfg->sidecar, "none"))) {
        fprintf(stderr,
                "meshperf run: %s: mode %s needs a sidecar (give -sidecar haproxy|nginx or "
                "meshperf.sidecar)\n",
                st->modes_flag ? "flag -modes" : "meshperf.modes", need);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static bool cmd_run_kube(const struct cmd_run_state *st)
{
    return st->platform && !strcmp(st->platform, "kubernetes");
}

/* Load the config and apply the flags over its "meshperf" keys.
 * EXIT_OK, EXIT_USAGE or EXIT_FAILED. */
static int cmd_run_config(struct cmd_run_state *st)
{
    char err[ERRBUF_LEN];
    if (config_load_file(st->path, &st->cfg, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return EXIT_USAGE;
    }
    struct config *cfg = st->cfg;
    if (st->scale_seen)
        cfg->scale_qps = st->scale;
    else if (st->escale > 0)
        cfg->scale_qps = st->escale;
    const char *prom = st->prom;
    if (prom) {
        free(cfg->prom_url);
        cfg->prom_url = NULL;
        if (!strcmp(prom, "off")) {
            cfg->prom = CONFIG_PROM_OFF;
        } else if (!strcmp(prom, "local")) {
            cfg->prom = CONFIG_PROM_LOCAL;
        } else {
            cfg->prom = CONFIG_PROM_URL;
            if (!(cfg->prom_url = strdup(prom))) return EXIT_FAILED;
        }
    }
    /* Issue #5's default: a config with PromQL metrics and no say on where
     * to evaluate them gets a local Prometheus when one is installed. */
    if (!prom && !cfg->prom_given && cfg->nmetrics > 0 && !cmd_run_kube(st) &&
        on_path("prometheus"))
        cfg->prom = CONFIG_PROM_LOCAL;
    if (!st->loadgen) st->loadgen = cfg->load_generator;
    if (!st->store) st->store = cfg->store;
    if ((cfg->tls || cfg->mtls) && st->loadgen && st->loadgen[0]) {
        fprintf(stderr,
                "meshperf run: %s: a TLS mesh (IsTLSEnabled, IsmTLSEnabled) needs the "
                "in-process load (a remote load generator cannot read the run's "
                "certificates)\n",
                st->loadgen == cfg->load_generator ? "meshperf.load_generator"
                                                   : "flag -load-generator");
        return EXIT_USAGE;
    }
    int rc = cmd_run_sidecar(st);
    return rc == EXIT_OK ? cmd_run_modes(st) : rc;
}

/* --platform and the kubernetes flags. EXIT_OK or EXIT_USAGE. */
static int cmd_run_platform(struct cmd_run_state *st)
{
    char err[ERRBUF_LEN];
    const char *p = st->platform;
    bool kube = p && !strcmp(p, "kubernetes");
    if (p && !kube && strcmp(p, "local")) {
        fprintf(stderr, "meshperf run: flag -platform: must be local or kubernetes, got '%s'\n", p);
        return EXIT_USAGE;
    }
    const char *only = st->mesh           ? "mesh"
                       : st->context      ? "context"
                       : st->image        ? "image"
                       : st->ns           ? "namespace"
                       : st->prom_service ? "prometheus-service"
                       : st->keep         ? "keep"
                       : st->waypoint     ? "waypoint"
                       : st->rollout_us   ? "rollout-timeout"
                                          : NULL;
    if (!kube && only) {
        fprintf(stderr, "meshperf run: flag -%s: only with --platform kubernetes\n", only);
        return EXIT_USAGE;
    }
    if (!kube) {
        st->platform = NULL;
        return EXIT_OK;
    }
    if (render_check_mesh(st->mesh ? st->mesh : "none", err, sizeof err) < 0) {
        fprintf(stderr, "meshperf run: flag -mesh: %s\n", err);
        return EXIT_USAGE;
    }
    if (st->waypoint && (!st->mesh || strcmp(st->mesh, "istio-ambient") != 0)) {
        fprintf(stderr, "meshperf run: flag -waypoint: only with --mesh istio-ambient\n");
        return EXIT_USAGE;
    }
    const char *bad = st->cfg->prom == CONFIG_PROM_LOCAL ? "prometheus local (a Prometheus on "
                                                           "this machine cannot scrape the pods)"
                      : st->cfg->prom == CONFIG_PROM_URL && st->prom_service
                          ? "prometheus URL together with --prometheus-service"
                      : st->loadgen ? "load-generator (the load runs on the in-cluster one)"
                      : st->sidecar ? "sidecar (the mesh's proxies are the sidecars there)"
                      : st->nmodes  ? "modes (run --mesh none and --mesh M, then report "
                                      "-compare none=DIR -compare M=DIR)"
                                    : NULL;
    if (bad) {
        fprintf(stderr, "meshperf run: flag -platform kubernetes: not with %s (flag or config)\n",
                bad);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* --check: one line. */
static int cmd_run_report_check(const struct cmd_run_state *st)
{
    const struct config *cfg = st->cfg;
    for (size_t i = 0; i < cfg->nwarnings; i++)
        fprintf(stderr, "%s\n", cfg->warnings[i]);
    size_t nn = topology_count(cfg->topo);
    printf("%s: OK: %zu node%s, %zu load test%s, %zu metric%s", st->path, nn, nn == 1 ? "" : "s",
           cfg->ntests, cfg->ntests == 1 ? "" : "s", cfg->nmetrics, cfg->nmetrics == 1 ? "" : "s");
    for (size_t i = 0; i < st->nmodes; i++)
        printf("%s%s", i ? "," : ", modes ", st->modes[i]);
    printf("\n");
    return EXIT_OK;
}

/* st->serve_bin: the flag, else the lean serve binary beside this one,
 * else this one. EXIT_OK, EXIT_USAGE or EXIT_FAILED. */
static int cmd_run_serve_bin(struct cmd_run_state *st)
{
    if (!st->serve_bin) {
        char *self = st->self;
        ssize_t n = readlink("/proc/self/exe", self, sizeof st->self - 1);
        if (n <= 0) {
            fprintf(stderr,
                    "meshperf run: cannot find this binary (/proc/self/exe): %s; "
                    "give --serve-bin\n",
                    strerror(errno));
            return EXIT_FAILED;
        }
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        size_t dl = slash ? (size_t)(slash - self) + 1 : 0;
        if (slash && dl + sizeof "meshperf-serve" <= sizeof st->self) {
            char lean[PATH_MAX];
            memcpy(lean, self, dl);
            memcpy(lean + dl, "meshperf-serve", sizeof "meshperf-serve");
            if (access(lean, X_OK) == 0) memcpy(self, lean, sizeof lean);
        }
        st->serve_bin = self;
    }
    if (access(st->serve_bin, X_OK) < 0) {
        fprintf(stderr, "meshperf run: flag -serve-bin: %s: %s\n", st->serve_bin, strerror(errno));
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* Hand over to the driver. */
static int cmd_run_drive(const struct cmd_run_state *st)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct driver_opts o = {
        .results_dir = st->results,
        .serve_bin = st->serve_bin,
        .pause_us = st->pause_seen ? st->pause_us : st->cfg->pause_us,
        .sample_us = st->sample_seen ? st->sample_us : st->cfg->sample_us,
        .load_generator = st->loadgen,
        .tolerance = st->tolerance_seen            ? st->tolerance / 100
                     : st->cfg->tolerance_pct >= 0 ? st->cfg->tolerance_pct / 100
                                                   : -1,
        .store_uri = st->store,
        .platform = st->platform,
        .kube = {.mesh = st->mesh,
                 .context = st->context,
                 .image = st->image,
                 .ns = st->ns,
                 .prom_service = st->prom_service,
                 .rollout_timeout_us = st->rollout_us,
                 .keep = st->keep,
                 .waypoint = st->waypoint},
        .quiet = st->quiet,
        .out = stdout,
        .err = stderr,
        .err_fd = STDERR_FILENO,
    };
    int code = st->nmodes ? modes_run(st->cfg, &o, st->modes, st->nmodes) : driver_run(st->cfg, &o);
    curl_global_cleanup();
    return code;
}

int cmd_run(int argc, char **argv)
{
    struct cmd_run_state st = {.results = CMD_RUN_DEFAULT_RESULTS};
    int code = EXIT_OK;
    int rc = cmd_run_flags(&st, argc, argv, &code);
    if (rc < 0) return code;
    if (rc == EXIT_OK) rc = cmd_run_check_flags(&st);
    if (rc == EXIT_OK) rc = cmd_run_config(&st);
    if (rc == EXIT_OK) rc = cmd_run_platform(&st);
    if (rc == EXIT_OK && st.check) {
        rc = cmd_run_report_check(&st);
    } else if (rc == EXIT_OK) {
        rc = cmd_run_serve_bin(&st);
        if (rc == EXIT_OK) rc = cmd_run_drive(&st);
    }
    config_free(st.cfg);
    modes_free(st.modes, st.nmodes);
    return rc;
}
