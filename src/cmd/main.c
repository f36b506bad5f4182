/* main.c: the meshperf binary's entry point: git-style dispatch of
 * `meshperf <command> [flags]` to cmd_<command>(). Nothing else lives here. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "base/exitcode.h"

#ifndef MESHPERF_VERSION
#define MESHPERF_VERSION "dev"
#endif

static int serve_exec(int argc, char **argv);

static const struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"run", cmd_run, "bring up a service graph from config.json, load it, collect metrics"},
    {"load", cmd_load, "open-loop HTTP load generator (Fortio-compatible JSON)"},
    {"serve", serve_exec, "the node service: fan-out to backends, echo, /metrics, REST load API"},
    {"report", cmd_report, "charts and a self-contained HTML page from results"},
    {"certs", cmd_certs, "a CA and per-node TLS certificates as PEM files (serve -tls-*)"},
    {"render", cmd_render, "Kubernetes manifests of the graph for one mesh (appmesh, istio, ...)"},
    {"results", cmd_results, "push, pull or list results in a store (s3://bucket/prefix)"},
    {NULL, NULL, NULL},
};

/* `meshperf serve`: exec meshperf-serve from this binary's folder (the same
 * command, linked with fewer libraries: a node's idle memory is what run
 * measures); where it is missing, serve in this process. */
static int serve_exec(int argc, char **argv)
{
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - sizeof "meshperf-serve");
    char *slash = n > 0 ? memrchr(path, '/', (size_t)n) : NULL;
    if (slash) {
        memcpy(slash + 1, "meshperf-serve", sizeof "meshperf-serve");
        argv[0] = path;
        execv(path, argv); /* returns only on failure */
        argv[0] = "serve";
    }
    return cmd_serve(argc, argv);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: meshperf <command> [flags] [args]\n\ncommands:\n");
    for (const struct command *c = commands; c->name; c++)
        fprintf(f, "  %-8s %s\n", c->name, c->summary);
    fprintf(f, "  %-8s %s\n", "help", "this text; `meshperf <command> --help` for a command");
    fprintf(f, "  %-8s %s\n", "version", "print the version");
}

int main(int argc, char **argv)
{
    /* A peer that closes while we write must give EPIPE, not kill us. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "help") || !strcmp(name, "-h") || !strcmp(name, "--help")) {
        if (argc > 2) {
            for (const struct command *c = commands; c->name; c++) {
                if (!strcmp(c->name, argv[2])) {
                    char *hargv[] = {argv[2], "--help", NULL};
                    return c->fn(2, hargv);
                }
            }
        }
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(name, "version") || !strcmp(name, "--version")) {
        printf("meshperf %s\n", MESHPERF_VERSION);
        return EXIT_OK;
    }
    for (const struct command *c = commands; c->name; c++)
        if (!strcmp(c->name, name)) return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "meshperf: unknown command '%s' (see meshperf help)\n", name);
    return EXIT_USAGE;
}
