/* kubectl.h: running the user's `kubectl` for the Kubernetes platform
 * (platform_kubernetes.c), and reading what it prints.
 *
 * Every call is a base/child: argv is "<kubectl> [--context C] ARGS...",
 * stdin is /dev/null or a temporary file holding the bytes given, stdout
 * is captured through a pipe into a capped buffer, stderr into a
 * temporary file of which the last line is kept (kubectl's error). A call
 * is bounded in time (the child is stopped, TERM then KILL, when it runs
 * past its deadline) and can be cancelled through an atomic flag. Long
 * lived children (port-forward) are started with kubectl_spawn and owned
 * by the caller.
 *
 * Threading: a struct kubectl is read-only after kubectl_init; calls may
 * run from several threads at once. */
#ifndef MESHPERF_KUBECTL_H
#define MESHPERF_KUBECTL_H

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct child;

#define KUBECTL_OUT_MAX  (64u << 20) /* stdout kept per call (get pods -o json) */
#define KUBECTL_ARGS_MAX 32

struct kubectl {
    char bin[PATH_MAX];       /* the resolved kubectl */
    char context[256];        /* --context value, "" for none */
    char tmp_dir[1024];       /* where stdin/stderr files go */
    const atomic_int *cancel; /* optional: non-zero ends a cancellable call */
};

/* What one call gave. */
struct kubectl_result {
    int status;         /* exit status; -1 when killed by a signal */
    struct buf out;     /* stdout (capped at KUBECTL_OUT_MAX; more is dropped) */
    char err_line[384]; /* last non-empty stderr line ("" when none) */
};

/* Find bin (a path, or a name searched in PATH; NULL: "kubectl") and set
 * up k. context may be NULL; cancel may be NULL. 0, or -1 with one line in
 * err naming how to install kubectl. */
int kubectl_init(struct kubectl *k, const char *bin, const char *context, const atomic_int *cancel,
                 char *err, size_t errlen);

enum {
    KUBECTL_OK = 0,
    KUBECTL_ERROR = -1,     /* could not start (err says why) */
    KUBECTL_TIMEOUT = -2,   /* ran past timeout_us: stopped */
    KUBECTL_CANCELLED = -3, /* *cancel became non-zero: stopped */
};

/* Run kubectl with args (NULL-terminated, at most KUBECTL_ARGS_MAX),
 * feeding stdin_data (may be NULL) on its stdin, for at most timeout_us;
 * cancellable selects whether k->cancel may end it (teardown calls must
 * not be cancelled). KUBECTL_OK with *r filled (the status may be
 * non-zero: the caller judges; free r with kubectl_result_free), or one
 * of the negative codes above, with one line in err (r is then filled as
 * far as it got and must still be freed). */
int kubectl_run(const struct kubectl *k, const char *const *args, const char *stdin_data,
                size_t stdin_len, int64_t timeout_us, bool cancellable, struct kubectl_result *r,
                char *err, size_t errlen);

/* Free what r holds. NULL is fine. */
void kubectl_result_free(struct kubectl_result *r);

/* Start kubectl with args as a supervised child (stdout and stderr to
 * log_path, appended; NULL: /dev/null). NULL with one line in err. The
 * caller owns it (child_free). */
struct child *kubectl_spawn(const struct kubectl *k, const char *const *args, const char *log_path,
                            char *err, size_t errlen);

/* "kubectl --context C get pods ..." for messages, from args. */
void kubectl_describe(const struct kubectl *k, const char *const *args, char *out, size_t outlen);

/* One pod of `kubectl get pods -o json`. */
struct kubectl_pod {
    char name[128];
    char app[128];  /* metadata.labels.app, "" when absent */
    char phase[16]; /* status.phase: "Running", "Pending", ... */
    long restarts;  /* the sum of status.containerStatuses[].restartCount (0 when absent) */
};

/* Parse a PodList (`kubectl get pods -o json`) of len bytes: every item's
 * name, app label, phase and container restarts. 0 with *pods (malloc'd, free it) and *n, or
 * -1 with one line in err ("kubectl get pods: not JSON at line 1 column
 * 2: ...", "... no \"items\" array"). */
int kubectl_parse_pods(const char *json, size_t len, struct kubectl_pod **pods, size_t *n,
                       char *err, size_t errlen);

#endif
