/* cmd_run.c: `meshperf run [flags] [config.json]`: load and validate the
 * config, apply the flags (which override the config's "meshperf" keys,
 * which override the defaults), then hand over to the driver (driver.h).
 *
 * Exit codes: 0 every test ran; 1 the run failed (a node could not start
 * or died, the connectivity check failed, results could not be written);
 * 2 bad flags or bad config (nothing ran; with --check, validation only);
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
#include "base/duration.h"
#include "base/errbuf.h"
#include "base/exitcode.h"
#include "base/flags.h"
#include "model/topology.h"
#include "net/url.h"

#define CMD_RUN_DEFAULT_CONFIG  "examples/config.json"
#define CMD_RUN_DEFAULT_RESULTS "results"

static void cmd_run_usage(FILE *f, const struct flag *table)
{
    fprintf(f,
            "usage: meshperf run [flags] [config.json]   (default %s)\n\n"
            "Bring up the config's backends_map as local `meshperf serve` processes,\n"
            "check connectivity, run every load test in order, and store\n"
            "<results>/<test_name>/<driver_ts>/{config.json,fortio.json,<metric>.csv}.\n\n"
            "flags:\n",
            CMD_RUN_DEFAULT_CONFIG);
    flags_usage(f, table);
    fprintf(f, "\nenvironment: MESHPERF_SCALE_QPS (as --scale-qps; the flag wins)\n"
               "exit codes: 0 ok, 1 run failed, 2 bad flags or config, 130 interrupted\n");
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

int cmd_run(int argc, char **argv)
{
    bool check = false, quiet = false;
    int64_t pause_us = 0, sample_us = 0;
    double scale = 0;
    const char *results = CMD_RUN_DEFAULT_RESULTS, *serve_bin = NULL, *prom = NULL;
    bool pause_seen = false, sample_seen = false, scale_seen = false;
    const struct flag table[] = {
        {"check", FLAG_BOOL, &check, NULL, "validate the config only: print one line, exit 0 or 2",
         NULL},
        {"pause", FLAG_DURATION, &pause_us, "D",
         "pause between tests (default: config meshperf.pause, else 10s)", &pause_seen},
        {"results", FLAG_STRING, &results, "DIR", "results directory (default ./results)", NULL},
        {"scale-qps", FLAG_DOUBLE, &scale, "F",
         "multiply every test's qps by F > 0 (default: env MESHPERF_SCALE_QPS, config "
         "meshperf.scale_qps, else 1)",
         &scale_seen},
        {"sample-interval", FLAG_DURATION, &sample_us, "D",
         "built-in sampler interval, >= 10ms (default: config meshperf.sample_interval, else 1s)",
         &sample_seen},
        {"serve-bin", FLAG_STRING, &serve_bin, "PATH",
         "binary run as `PATH serve` for each node (default: this meshperf)", NULL},
        {"prometheus", FLAG_STRING, &prom, "off|local|URL",
         "evaluate the config's metrics: local = start the system's prometheus, URL = an "
         "existing one (default: config meshperf.prometheus; else local when the config has "
         "metrics and prometheus is installed; else off)",
         NULL},
        {"quiet", FLAG_BOOL, &quiet, NULL, "no progress and no summary table; warnings only", NULL},
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
        return EXIT_OK;
    }
    if (rc < 0 || npos > 1) {
        fprintf(stderr, "meshperf run: %s\n",
                rc < 0 ? err : "at most one config file may be given");
        free(pos);
        return EXIT_USAGE;
    }
    const char *path = npos ? pos[0] : CMD_RUN_DEFAULT_CONFIG;
    free(pos);

    if (scale_seen && !(scale > 0 && isfinite(scale))) {
        fprintf(stderr, "meshperf run: flag -scale-qps: must be a number > 0, got %g\n", scale);
        return EXIT_USAGE;
    }
    const char *env_scale = getenv("MESHPERF_SCALE_QPS");
    double escale = 0;
    if (!scale_seen && env_scale && env_scale[0]) {
        char *end;
        errno = 0;
        escale = strtod(env_scale, &end);
        if (errno || *end || !(escale > 0 && isfinite(escale))) {
            fprintf(stderr,
                    "meshperf run: env MESHPERF_SCALE_QPS: must be a number > 0, got '%s'\n",
                    env_scale);
            return EXIT_USAGE;
        }
    }
    if (sample_seen && sample_us < 10000) {
        fprintf(stderr, "meshperf run: flag -sample-interval: must be >= 10ms\n");
        return EXIT_USAGE;
    }

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

    struct config *cfg = NULL;
    if (config_load_file(path, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return EXIT_USAGE;
    }
    if (scale_seen)
        cfg->scale_qps = scale;
    else if (escale > 0)
        cfg->scale_qps = escale;

    if (prom) {
        free(cfg->prom_url);
        cfg->prom_url = NULL;
        if (!strcmp(prom, "off")) {
            cfg->prom = CONFIG_PROM_OFF;
        } else if (!strcmp(prom, "local")) {
            cfg->prom = CONFIG_PROM_LOCAL;
        } else {
            cfg->prom = CONFIG_PROM_URL;
            if (!(cfg->prom_url = strdup(prom))) {
                config_free(cfg);
                return EXIT_FAILED;
            }
        }
    }

    /* Issue #5's default: a config with PromQL metrics and no say on where
     * to evaluate them gets a local Prometheus when one is installed. */
    if (!prom && !cfg->prom_given && cfg->nmetrics > 0 && on_path("prometheus"))
        cfg->prom = CONFIG_PROM_LOCAL;

    if (check) {
        for (size_t i = 0; i < cfg->nwarnings; i++)
            fprintf(stderr, "%s\n", cfg->warnings[i]);
        size_t nn = topology_count(cfg->topo);
        printf("%s: OK: %zu node%s, %zu load test%s, %zu metric%s\n", path, nn, nn == 1 ? "" : "s",
               cfg->ntests, cfg->ntests == 1 ? "" : "s", cfg->nmetrics,
               cfg->nmetrics == 1 ? "" : "s");
        config_free(cfg);
        return EXIT_OK;
    }

    char self[PATH_MAX];
    if (!serve_bin) {
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0) {
            fprintf(stderr,
                    "meshperf run: cannot find this binary (/proc/self/exe): %s; "
                    "give --serve-bin\n",
                    strerror(errno));
            config_free(cfg);
            return EXIT_FAILED;
        }
        self[n] = '\0';
        /* the lean serve binary beside this one, else this one */
        char *slash = strrchr(self, '/');
        size_t dl = slash ? (size_t)(slash - self) + 1 : 0;
        if (slash && dl + sizeof "meshperf-serve" <= sizeof self) {
            char lean[PATH_MAX];
            memcpy(lean, self, dl);
            memcpy(lean + dl, "meshperf-serve", sizeof "meshperf-serve");
            if (access(lean, X_OK) == 0) memcpy(self, lean, sizeof lean);
        }
        serve_bin = self;
    }
    if (access(serve_bin, X_OK) < 0) {
        fprintf(stderr, "meshperf run: flag -serve-bin: %s: %s\n", serve_bin, strerror(errno));
        config_free(cfg);
        return EXIT_USAGE;
    }

    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct driver_opts o = {
        .results_dir = results,
        .serve_bin = serve_bin,
        .pause_us = pause_seen ? pause_us : cfg->pause_us,
        .sample_us = sample_seen ? sample_us : cfg->sample_us,
        .quiet = quiet,
        .out = stdout,
        .err = stderr,
        .err_fd = STDERR_FILENO,
    };
    int code = driver_run(cfg, &o);
    config_free(cfg);
    curl_global_cleanup();
    return code;
}
