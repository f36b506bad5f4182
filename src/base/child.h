/* child.h: one supervised child process: start, learn of its exit, stop.
 *
 * Used by the local platform (one per replica, later one per sidecar), the
 * local Prometheus and, later, `kubectl port-forward`. child_start builds
 * argv/envp before fork (the driver has threads: the child side makes only
 * async-signal-safe calls), then the child sets PR_SET_PDEATHSIG(SIGKILL)
 * and exits at once if the parent that forked it is already gone (the
 * race between fork and prctl), joins its process group (its own, or one
 * given), restores default dispositions for every signal and an empty
 * mask, points stdin at /dev/null (or stdin_path), stdout at a pipe (pipe_stdout) or the
 * log, stderr at the log (log_path, else /dev/null), joins the cgroups
 * given (cgroup_procs_fds), closes every other descriptor and execs. The parent sets the group too,
 * so a group kill never misses a child that has not run yet.
 *
 * The death signal follows the THREAD that forked: call child_start from
 * a thread that lives as long as the child should.
 *
 * Exit: child_pidfd is readable once the child ends (poll it), child_poll
 * reaps it without blocking; child_how then says how it ended. A reaped
 * child is never signalled again (its pid may be reused).
 *
 * Threading: one owner at a time; not thread-safe. */
#ifndef MESHPERF_CHILD_H
#define MESHPERF_CHILD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/mono.h"

#define CHILD_STOP_WAIT_US (3 * MONO_US_PER_SEC)
#define CHILD_HOW_MAX      96

struct child_opts {
    char *const *argv;          /* argv[0] is a path (no PATH search); borrowed */
    const char *const *env_add; /* "K=V" entries added to environ, NULL-terminated; or NULL */
    const char *log_path;       /* stderr (and stdout without pipe_stdout); NULL: /dev/null */
    bool log_append;            /* keep what the log holds (else truncate it) */
    bool pipe_stdout;           /* stdout to a pipe read with child_read_line / child_pump */
    const char *stdin_path;     /* stdin read from this file; NULL: /dev/null */
    pid_t pgid;                 /* 0: a group of its own (id = its pid); else join this one */
    /* cgroup.procs files, open for writing (metrics/cgroup.h), that the
     * child writes itself into ("0") before exec, so that its whole life
     * is accounted there; borrowed, may be close-on-exec. A failed write
     * leaves one line in its log and the child where it was. */
    const int *cgroup_procs_fds;
    size_t ncgroup_procs_fds;
};

struct child;

/* Fork and exec o->argv. The returned child is running (or has already
 * failed to exec: it then exits 127 with one line in its log). NULL with
 * one line in err (log file, pipe, fork, out of memory). Free with
 * child_free. */
struct child *child_start(const struct child_opts *o, char *err, size_t errlen);

/* Its pid (= pgid when it has its own group); 0 once reaped. */
pid_t child_pid(const struct child *c);

/* Its process group id (kept after reaping); 0 when joining the group
 * asked for failed and it stayed in ours (then it is signalled by pid). */
pid_t child_pgid(const struct child *c);

/* A pidfd that polls readable when the child ends, or -1 (kernel without
 * pidfd_open, or once reaped). Borrowed. */
int child_pidfd(const struct child *c);

/* The read end of its stdout pipe, or -1 (no pipe, or closed at EOF). */
int child_stdout_fd(const struct child *c);

/* Reap it if it ended (never blocks). 1 while it runs, 0 once reaped (then
 * child_how is set). A child reaped by someone else counts as ended with
 * an unknown status. */
int child_poll(struct child *c);

/* How it ended: "exited with status 3", "killed by signal 9 (Killed)";
 * "" while it runs. Borrowed. */
const char *child_how(const struct child *c);

/* Wait (bounded) for its first stdout line that contains needle; lines
 * before it, and whatever follows it in the same read, go to the log.
 * Returns CHILD_LINE_OK with the line (no newline) in line, or
 * CHILD_LINE_EOF (stdout closed: it ended or closed it), CHILD_LINE_TIMEOUT,
 * CHILD_LINE_CANCELLED (*cancel non-zero). Needs pipe_stdout. */
enum { CHILD_LINE_OK = 0, CHILD_LINE_EOF = -1, CHILD_LINE_TIMEOUT = -2, CHILD_LINE_CANCELLED = -3 };
int child_read_line(struct child *c, const char *needle, char *line, size_t linelen,
                    mono_us deadline, const atomic_int *cancel);

/* Copy what its stdout pipe holds now to the log (one read; for a poll
 * loop on child_stdout_fd). 0 at EOF or error (the pipe is then closed), 1
 * otherwise. */
int child_pump(struct child *c);

/* Wait (bounded, 20 ms steps) until it ends and reap it. 0 when reaped, -1
 * when it still runs at the deadline or *cancel became non-zero. */
int child_wait(struct child *c, mono_us deadline, const atomic_int *cancel);

/* The last non-empty line of its log (trailing blanks cut, control bytes as
 * spaces, "..." when longer than outlen - 1), or "" without a log. */
void child_last_log_line(const struct child *c, char *out, size_t outlen);

/* Stop cs[0..n) together (NULL entries skipped): SIGTERM to each live
 * child and to each of their groups, wait up to wait_us for them all, then
 * SIGKILL what is left (group and pid) and reap it. Bounded. */
void child_stop_all(struct child *const *cs, size_t n, int64_t wait_us);

/* child_stop_all for one child. NULL is fine. */
void child_stop(struct child *c, int64_t wait_us);

/* Stop it (CHILD_STOP_WAIT_US) unless reaped, copy what is left in its
 * stdout pipe to the log, close everything, free. NULL is fine. */
void child_free(struct child *c);

#endif
