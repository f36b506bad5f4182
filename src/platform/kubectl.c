/* kubectl.c: kubectl calls as bounded, supervised children (see
 * kubectl.h). A call's stdout is read here from the child's pipe until
 * EOF (poll, 100 ms steps, so the deadline and the cancel flag are seen),
 * then the child is reaped within what is left of the deadline; stderr
 * goes to a temporary file whose last line is kept. */
#include "platform/kubectl.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/child.h"
#include "base/errbuf.h"
#include "base/mono.h"

int kubectl_init(struct kubectl *k, const char *bin, const char *context, const atomic_int *cancel,
                 char *err, size_t errlen)
{
    memset(k, 0, sizeof *k);
    k->cancel = cancel;
    if (!bin || !bin[0]) bin = "kubectl";
    if (context && snprintf(k->context, sizeof k->context, "%s", context) >= (int)sizeof k->context)
        return errbuf_set(err, errlen, "flag --context: too long");
    const char *tmp = getenv("TMPDIR");
    if (snprintf(k->tmp_dir, sizeof k->tmp_dir, "%s", tmp && tmp[0] ? tmp : "/tmp") >=
        (int)sizeof k->tmp_dir)
        return errbuf_set(err, errlen, "env TMPDIR: too long");
    if (strchr(bin, '/')) {
        if (access(bin, X_OK) < 0)
            return errbuf_set(err, errlen, "kubectl %s: %s", bin, strerror(errno));
        snprintf(k->bin, sizeof k->bin, "%s", bin);
        return 0;
    }
    const char *env = getenv("PATH");
    for (const char *p = env ? env : ""; *p;) {
        size_t n = strcspn(p, ":");
        int w = snprintf(k->bin, sizeof k->bin, "%.*s/%s", (int)n, p, bin);
        if (n > 0 && w > 0 && (size_t)w < sizeof k->bin && access(k->bin, X_OK) == 0) return 0;
        p += n;
        if (*p == ':') p++;
    }
    k->bin[0] = '\0';
    return errbuf_set(err, errlen,
                      "%s not found in PATH: install kubectl "
                      "(https://kubernetes.io/docs/tasks/tools/, or the cloud's CLI bundle) and "
                      "point it at the cluster (kubectl config use-context, or --context)",
                      bin);
}

/* argv = bin [--context C] args..., into av (KUBECTL_ARGS_MAX + 4). */
static int kubectl_argv(const struct kubectl *k, const char *const *args, char **av, char *err,
                        size_t errlen)
{
    size_t n = 0;
    av[n++] = (char *)k->bin;
    if (k->context[0]) {
        av[n++] = "--context";
        av[n++] = (char *)k->context;
    }
    for (size_t i = 0; args[i]; i++) {
        if (i >= KUBECTL_ARGS_MAX) return errbuf_set(err, errlen, "kubectl: too many arguments");
        av[n++] = (char *)args[i];
    }
    av[n] = NULL;
    return 0;
}

void kubectl_describe(const struct kubectl *k, const char *const *args, char *out, size_t outlen)
{
    size_t n = 0;
    int w = snprintf(out, outlen, "kubectl%s%s", k->context[0] ? " --context " : "", k->context);
    for (size_t i = 0; w >= 0 && args[i]; i++) {
        n += (size_t)w;
        if (n >= outlen) return;
        w = snprintf(out + n, outlen - n, " %s", args[i]);
    }
}

/* A temporary file in k->tmp_dir holding data (or empty); its path in
 * path. 0 or -1 with err. */
static int kubectl_tmpfile(const struct kubectl *k, const char *what, const char *data, size_t len,
                           char *path, size_t pathlen, char *err, size_t errlen)
{
    snprintf(path, pathlen, "%s/meshperf-kubectl-%s.XXXXXX", k->tmp_dir, what);
    int fd = mkstemp(path);
    if (fd < 0) {
        int e = errno;
        path[0] = '\0';
        return errbuf_set(err, errlen, "kubectl: temporary file in %s: %s", k->tmp_dir,
                          strerror(e));
    }
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            close(fd);
            return errbuf_set(err, errlen, "kubectl: %s: write error", path);
        }
        off += (size_t)w;
    }
    return close(fd) == 0 ? 0 : errbuf_set(err, errlen, "kubectl: %s: write error", path);
}

/* Read c's stdout into out until EOF, the deadline or a cancel. */
static int kubectl_drain(struct child *c, struct buf *out, mono_us deadline,
                         const atomic_int *cancel)
{
    char chunk[16384];
    int fd = child_stdout_fd(c);
    while (fd >= 0) {
        if (cancel && atomic_load(cancel)) return KUBECTL_CANCELLED;
        mono_us left = deadline - mono_now();
        if (left <= 0) return KUBECTL_TIMEOUT;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int ms = left > 100000 ? 100 : (int)(left / 1000) + 1;
        int rc = poll(&pfd, 1, ms);
        if (rc < 0 && errno != EINTR) break;
        if (rc <= 0) continue;
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) break;
        if (out->len + (size_t)n <= out->max) buf_append(out, chunk, (size_t)n); /* else drop */
    }
    return KUBECTL_OK;
}

int kubectl_run(const struct kubectl *k, const char *const *args, const char *stdin_data,
                size_t stdin_len, int64_t timeout_us, bool cancellable, struct kubectl_result *r,
                char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->status = -1;
    buf_init(&r->out, KUBECTL_OUT_MAX);
    char *av[KUBECTL_ARGS_MAX + 4];
    char in_path[PATH_MAX] = "", err_path[PATH_MAX] = "", what[512];
    if (kubectl_argv(k, args, av, err, errlen) < 0) return KUBECTL_ERROR;
    if (kubectl_tmpfile(k, "err", NULL, 0, err_path, sizeof err_path, err, errlen) < 0)
        return KUBECTL_ERROR;
    int rc = KUBECTL_ERROR;
    if (stdin_data &&
        kubectl_tmpfile(k, "in", stdin_data, stdin_len, in_path, sizeof in_path, err, errlen) < 0)
        goto out;
    struct child_opts co = {
        .argv = av,
        .log_path = err_path,
        .pipe_stdout = true,
        .stdin_path = in_path[0] ? in_path : NULL,
    };
    struct child *c = child_start(&co, err, errlen);
    if (!c) goto out;
    const atomic_int *cancel = cancellable ? k->cancel : NULL;
    mono_us deadline = mono_now() + timeout_us;
    rc = kubectl_drain(c, &r->out, deadline, cancel);
    if (rc == KUBECTL_OK && child_wait(c, deadline, cancel) < 0)
        rc = cancel && atomic_load(cancel) ? KUBECTL_CANCELLED : KUBECTL_TIMEOUT;
    if (rc != KUBECTL_OK) child_stop(c, CHILD_STOP_WAIT_US);
    child_last_log_line(c, r->err_line, sizeof r->err_line);
    if (rc == KUBECTL_OK && sscanf(child_how(c), "exited with status %d", &r->status) != 1)
        r->status = -1;
    if (rc != KUBECTL_OK) {
        kubectl_describe(k, args, what, sizeof what);
        if (rc == KUBECTL_TIMEOUT)
            errbuf_set(err, errlen, "%s: no answer within %llds", what,
                       (long long)(timeout_us / MONO_US_PER_SEC));
        else
            errbuf_set(err, errlen, "%s: interrupted", what);
    }
    child_free(c);
out:
    if (in_path[0]) unlink(in_path);
    if (err_path[0]) unlink(err_path);
    return rc;
}

void kubectl_result_free(struct kubectl_result *r)
{
    if (r) buf_free(&r->out);
}

struct child *kubectl_spawn(const struct kubectl *k, const char *const *args, const char *log_path,
                            char *err, size_t errlen)
{
    char *av[KUBECTL_ARGS_MAX + 4];
    if (kubectl_argv(k, args, av, err, errlen) < 0) return NULL;
    struct child_opts co = {.argv = av, .log_path = log_path, .log_append = true};
    return child_start(&co, err, errlen);
}

/* Copy a JSON string member (or "") into out. */
static void kubectl_str(json_t *obj, const char *key, char *out, size_t outlen)
{
    const char *s = json_string_value(json_object_get(obj, key));
    snprintf(out, outlen, "%s", s ? s : "");
}

int kubectl_parse_pods(const char *json, size_t len, struct kubectl_pod **pods, size_t *n,
                       char *err, size_t errlen)
{
    *pods = NULL;
    *n = 0;
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    if (!root)
        return errbuf_set(err, errlen, "kubectl get pods: not JSON at line %d column %d: %s",
                          je.line, je.column, je.text);
    json_t *items = json_object_get(root, "items");
    if (!json_is_array(items)) {
        json_decref(root);
        return errbuf_set(err, errlen, "kubectl get pods: no \"items\" array");
    }
    size_t cnt = json_array_size(items);
    struct kubectl_pod *ps = calloc(cnt ? cnt : 1, sizeof *ps);
    if (!ps) {
        json_decref(root);
        return errbuf_set(err, errlen, "out of memory");
    }
    for (size_t i = 0; i < cnt; i++) {
        json_t *it = json_array_get(items, i);
        json_t *md = json_object_get(it, "metadata");
        kubectl_str(md, "name", ps[i].name, sizeof ps[i].name);
        kubectl_str(json_object_get(md, "labels"), "app", ps[i].app, sizeof ps[i].app);
        json_t *st = json_object_get(it, "status");
        kubectl_str(st, "phase", ps[i].phase, sizeof ps[i].phase);
        json_t *cs = json_object_get(st, "containerStatuses");
        for (size_t c = 0; c < json_array_size(cs); c++) {
            json_int_t rc =
                json_integer_value(json_object_get(json_array_get(cs, c), "restartCount"));
            if (rc > 0 && ps[i].restarts < (1L << 40))
                ps[i].restarts += (long)(rc < (1LL << 40) ? rc : (1LL << 40));
        }
        if (!ps[i].name[0]) {
            free(ps);
            json_decref(root);
            return errbuf_set(err, errlen, "kubectl get pods: items[%zu]: no metadata.name", i);
        }
    }
    json_decref(root);
    *pods = ps;
    *n = cnt;
    return 0;
}
