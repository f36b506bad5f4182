/* child.c: one supervised child process (see child.h).
 *
 * child_start opens the log, /dev/null and the stdout pipe (all
 * close-on-exec), builds envp (environ plus env_add) and the exec-failure
 * message, then forks; between fork and exec the child calls only
 * async-signal-safe functions. The stdout reader keeps a small buffer, so
 * bytes read past the line child_read_line looks for are not lost: they go
 * to the log. Stopping sends SIGTERM to the pid and to the group (only
 * while some member is unreaped, so the group id cannot have been reused),
 * polls waitpid(WNOHANG) every 10 ms until a deadline, then SIGKILLs and
 * reaps with a blocking waitpid. */
#include "base/child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/errbuf.h"

extern char **environ;

#define CHILD_LINE_BUF 4096

struct child {
    pid_t pid;  /* 0 once reaped */
    pid_t pgid; /* the group it runs in; 0: ours (then signalled by pid only) */
    int pidfd;  /* -1 when not available or closed */
    int out_fd; /* read end of its stdout, -1 when none or closed */
    int log_fd; /* its log, -1 when none */
    char *log_path;
    char how[CHILD_HOW_MAX];
    char pend[CHILD_LINE_BUF]; /* stdout read but not yet handed on */
    size_t npend;
};

static void child_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000 * 1000};
    nanosleep(&ts, NULL);
}

static void child_log_write(struct child *c, const char *p, size_t n)
{
    while (c->log_fd >= 0 && n > 0) {
        ssize_t w = write(c->log_fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        p += w;
        n -= (size_t)w;
    }
}

static void child_describe(int st, char *out, size_t outlen)
{
    if (WIFEXITED(st))
        snprintf(out, outlen, "exited with status %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(out, outlen, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        snprintf(out, outlen, "ended (wait status %d)", st);
}

/* Mark reaped: never signal this pid again. */
static void child_reaped(struct child *c, int st, int known)
{
    if (known)
        child_describe(st, c->how, sizeof c->how);
    else
        snprintf(c->how, sizeof c->how, "ended (status unknown)");
    c->pid = 0;
    if (c->pidfd >= 0) close(c->pidfd);
    c->pidfd = -1;
}

static int child_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

/* environ + add, in one calloc'd array (entries borrowed). */
static char **child_envp(const char *const *add)
{
    size_t nenv = 0, nadd = 0;
    while (environ && environ[nenv])
        nenv++;
    while (add && add[nadd])
        nadd++;
    char **envp = calloc(nenv + nadd + 1, sizeof *envp);
    if (!envp) return NULL;
    if (nenv) memcpy(envp, environ, nenv * sizeof *envp);
    for (size_t i = 0; i < nadd; i++)
        envp[nenv + i] = (char *)add[i];
    return envp;
}

struct child *child_start(const struct child_opts *o, char *err, size_t errlen)
{
    if (!o || !o->argv || !o->argv[0]) {
        errbuf_set(err, errlen, "child: no program");
        return NULL;
    }
    struct child *c = calloc(1, sizeof *c);
    char **envp = child_envp(o->env_add);
    char *failmsg = NULL;
    int pfd[2] = {-1, -1};
    int nullfd = -1, infd = -1;
    if (c && envp && asprintf(&failmsg, "meshperf: cannot execute %s\n", o->argv[0]) < 0)
        failmsg = NULL;
    if (!c || !envp || !failmsg) {
        errbuf_set(err, errlen, "out of memory");
        goto fail;
    }
    c->pidfd = c->out_fd = c->log_fd = -1;
    nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (nullfd < 0) {
        errbuf_set(err, errlen, "/dev/null: %s", strerror(errno));
        goto fail;
    }
    if (o->log_path) {
        if (!(c->log_path = strdup(o->log_path))) {
            errbuf_set(err, errlen, "out of memory");
            goto fail;
        }
        c->log_fd =
            open(o->log_path,
                 O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (o->log_append ? 0 : O_TRUNC), 0644);
        if (c->log_fd < 0) {
            errbuf_set(err, errlen, "%s: %s", o->log_path, strerror(errno));
            goto fail;
        }
    }
    if (o->stdin_path && (infd = open(o->stdin_path, O_RDONLY | O_CLOEXEC)) < 0) {
        errbuf_set(err, errlen, "%s: %s", o->stdin_path, strerror(errno));
        goto fail;
    }
    if (o->pipe_stdout && pipe2(pfd, O_CLOEXEC) < 0) {
        errbuf_set(err, errlen, "pipe: %s", strerror(errno));
        goto fail;
    }
    int logfd = c->log_fd >= 0 ? c->log_fd : nullfd;
    int outfd = o->pipe_stdout ? pfd[1] : logfd;
    pid_t pgid = o->pgid;
    pid_t parent = getpid();
    char *const *argv = o->argv;
    size_t faillen = strlen(failmsg);
    const int *cgfds = o->cgroup_procs_fds;
    size_t ncg = cgfds ? o->ncgroup_procs_fds : 0;
    static const char cgmsg[] = "meshperf: could not join a cgroup (measured from /proc)\n";
    pid_t pid = fork();
    if (pid < 0) {
        errbuf_set(err, errlen, "fork: %s", strerror(errno));
        goto fail;
    }
    if (pid == 0) {
        /* Child: async-signal-safe calls only until exec. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent) _exit(127);
        setpgid(0, pgid);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_DFL;
        for (int s = 1; s < NSIG; s++)
            if (s != SIGKILL && s != SIGSTOP) sigaction(s, &sa, NULL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (dup2(infd >= 0 ? infd : nullfd, 0) < 0 || dup2(outfd, 1) < 0 || dup2(logfd, 2) < 0)
            _exit(127);
        for (size_t i = 0; i < ncg; i++) /* "0": the writing process itself */
            if (write(cgfds[i], "0", 1) != 1) {
                ssize_t w = write(2, cgmsg, sizeof cgmsg - 1);
                (void)w;
            }
#ifdef SYS_close_range
        syscall(SYS_close_range, 3u, ~0u, 0u);
#endif
        execve(argv[0], argv, envp);
        ssize_t w = write(2, failmsg, faillen);
        (void)w;
        _exit(127);
    }
    /* Parent: set the group as well, so it holds whichever side runs first
     * (EACCES: the child has exec'd and set it itself). */
    setpgid(pid, pgid ? pgid : pid);
    c->pid = pid;
    /* The group it is really in (joining fails when the group has emptied
     * meanwhile): never one of ours, which a group kill would hit too. */
    pid_t real = getpgid(pid);
    c->pgid = real < 0 ? (pgid ? pgid : pid) : real == getpgrp() ? 0 : real;
    c->pidfd = child_pidfd_open(pid);
    if (pfd[1] >= 0) close(pfd[1]);
    c->out_fd = pfd[0];
    close(nullfd);
    if (infd >= 0) close(infd);
    free(envp);
    free(failmsg);
    return c;
fail:
    if (pfd[0] >= 0) close(pfd[0]);
    if (pfd[1] >= 0) close(pfd[1]);
    if (nullfd >= 0) close(nullfd);
    if (infd >= 0) close(infd);
    if (c && c->log_fd >= 0) close(c->log_fd);
    if (c) free(c->log_path);
    free(c);
    free(envp);
    free(failmsg);
    return NULL;
}

pid_t child_pid(const struct child *c)
{
    return c->pid;
}

pid_t child_pgid(const struct child *c)
{
    return c->pgid;
}

int child_pidfd(const struct child *c)
{
    return c->pidfd;
}

int child_stdout_fd(const struct child *c)
{
    return c->out_fd;
}

const char *child_how(const struct child *c)
{
    return c->how;
}

int child_poll(struct child *c)
{
    if (c->pid <= 0) return 0;
    int st;
    pid_t w;
    while ((w = waitpid(c->pid, &st, WNOHANG)) < 0 && errno == EINTR) {
    }
    if (w == 0) return 1;
    child_reaped(c, st, w == c->pid);
    return 0;
}

int child_wait(struct child *c, mono_us deadline, const atomic_int *cancel)
{
    while (child_poll(c)) {
        if (mono_now() >= deadline || (cancel && *cancel)) return -1;
        child_sleep_ms(20);
    }
    return 0;
}

static void child_close_out(struct child *c)
{
    if (c->out_fd >= 0) close(c->out_fd);
    c->out_fd = -1;
}

int child_pump(struct child *c)
{
    if (c->npend) {
        child_log_write(c, c->pend, c->npend);
        c->npend = 0;
    }
    if (c->out_fd < 0) return 0;
    char tmp[4096];
    ssize_t r = read(c->out_fd, tmp, sizeof tmp);
    if (r > 0) {
        child_log_write(c, tmp, (size_t)r);
        return 1;
    }
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) return 1;
    child_close_out(c);
    return 0;
}

int child_read_line(struct child *c, const char *needle, char *line, size_t linelen,
                    mono_us deadline, const atomic_int *cancel)
{
    for (;;) {
        if (cancel && *cancel) return CHILD_LINE_CANCELLED;
        char *nl = memchr(c->pend, '\n', c->npend);
        if (nl) {
            size_t len = (size_t)(nl - c->pend);
            size_t rest = c->npend - len - 1;
            *nl = '\0';
            if (strstr(c->pend, needle)) {
                snprintf(line, linelen, "%s", c->pend);
                child_log_write(c, nl + 1, rest); /* what followed it */
                c->npend = 0;
                return CHILD_LINE_OK;
            }
            *nl = '\n';
            child_log_write(c, c->pend, len + 1); /* not our line */
            memmove(c->pend, nl + 1, rest);
            c->npend = rest;
            continue;
        }
        if (c->npend >= sizeof c->pend - 1) { /* an absurdly long line: to the log */
            child_log_write(c, c->pend, c->npend);
            c->npend = 0;
        }
        if (c->out_fd < 0) return CHILD_LINE_EOF;
        mono_us now = mono_now();
        if (now >= deadline) return CHILD_LINE_TIMEOUT;
        int ms = (int)((deadline - now) / 1000) + 1;
        struct pollfd pfd = {.fd = c->out_fd, .events = POLLIN};
        int rc = poll(&pfd, 1, ms > 100 ? 100 : ms);
        if (rc < 0 && errno != EINTR) return CHILD_LINE_EOF;
        if (rc <= 0) continue;
        ssize_t r = read(c->out_fd, c->pend + c->npend, sizeof c->pend - 1 - c->npend);
        if (r > 0) {
            c->npend += (size_t)r;
            continue;
        }
        if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        child_log_write(c, c->pend, c->npend); /* a last line without newline */
        c->npend = 0;
        child_close_out(c);
        return CHILD_LINE_EOF;
    }
}

void child_last_log_line(const struct child *c, char *out, size_t outlen)
{
    if (!outlen) return;
    out[0] = '\0';
    if (!c || !c->log_path) return;
    int fd = open(c->log_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char tail[4096];
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > (off_t)sizeof tail - 1 ? size - (off_t)sizeof tail + 1 : 0;
    ssize_t n = size > 0 ? pread(fd, tail, sizeof tail - 1, from) : 0;
    close(fd);
    if (n <= 0) return;
    tail[n] = '\0';
    while (n > 0 && (tail[n - 1] == '\n' || tail[n - 1] == '\r' || tail[n - 1] == ' ' ||
                     tail[n - 1] == '\t'))
        tail[--n] = '\0';
    char *src = strrchr(tail, '\n');
    src = src ? src + 1 : tail;
    size_t k = strlen(src);
    if (k >= outlen) {
        k = outlen - 1;
        if (k >= 3) src[k - 3] = src[k - 2] = src[k - 1] = '.';
    }
    memcpy(out, src, k);
    out[k] = '\0';
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20) *p = ' ';
}

/* SIGTERM or SIGKILL to every live child and to their groups. A group is
 * signalled only through a live (unreaped) member: its id cannot have been
 * reused then. */
static void child_signal_all(struct child *const *cs, size_t n, int sig)
{
    for (size_t i = 0; i < n; i++) {
        if (!cs[i] || cs[i]->pid <= 0) continue;
        kill(cs[i]->pid, sig);
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = cs[j] && cs[j]->pid > 0 && cs[j]->pgid == cs[i]->pgid;
        if (!seen && cs[i]->pgid > 0) kill(-cs[i]->pgid, sig);
    }
}

void child_stop_all(struct child *const *cs, size_t n, int64_t wait_us)
{
    bool any = false;
    for (size_t i = 0; i < n; i++)
        if (cs[i] && child_poll(cs[i])) any = true;
    if (!any) return;
    child_signal_all(cs, n, SIGTERM);
    mono_us deadline = mono_now() + wait_us;
    for (;;) {
        any = false;
        for (size_t i = 0; i < n; i++)
            if (cs[i] && child_poll(cs[i])) any = true;
        if (!any || mono_now() >= deadline) break;
        child_sleep_ms(10);
    }
    if (!any) return;
    child_signal_all(cs, n, SIGKILL);
    for (size_t i = 0; i < n; i++) {
        struct child *c = cs[i];
        if (!c || c->pid <= 0) continue;
        int st;
        pid_t w;
        while ((w = waitpid(c->pid, &st, 0)) < 0 && errno == EINTR) {
        }
        child_reaped(c, st, w == c->pid);
    }
}

void child_stop(struct child *c, int64_t wait_us)
{
    if (c) child_stop_all(&c, 1, wait_us);
}

void child_free(struct child *c)
{
    if (!c) return;
    child_stop(c, CHILD_STOP_WAIT_US);
    child_log_write(c, c->pend, c->npend);
    if (c->out_fd >= 0) { /* keep what it wrote last */
        int fl = fcntl(c->out_fd, F_GETFL);
        if (fl >= 0) fcntl(c->out_fd, F_SETFL, fl | O_NONBLOCK);
        char tmp[4096];
        ssize_t r;
        while ((r = read(c->out_fd, tmp, sizeof tmp)) > 0)
            child_log_write(c, tmp, (size_t)r);
    }
    child_close_out(c);
    if (c->pidfd >= 0) close(c->pidfd);
    if (c->log_fd >= 0) close(c->log_fd);
    free(c->log_path);
    free(c);
}
