/* Unit tests for base/child.c on real /bin/sh children: how a child ended
 * (status and signal text), a bounded stop that escalates TERM -> KILL for a
 * child that ignores TERM, the log file, the stdout line read through the
 * pipe (with the lines around it kept in the log), stdin from a file,
 * the environment added, its own process group, the cgroup.procs files written before exec (here
 * plain files stand in for them; test_cgroup.c uses real groups), and a
 * NULL free. */
#include "cm.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/child.h"

static char tmpdir[] = "/tmp/meshperf-test-child.XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static struct child *sh(const char *script, const char *log, bool pipe_stdout)
{
    char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
    const char *env_add[] = {"CHILD_TEST_VAR=hello", NULL};
    struct child_opts o = {
        .argv = argv, .env_add = env_add, .log_path = log, .pipe_stdout = pipe_stdout};
    char err[256];
    struct child *c = child_start(&o, err, sizeof err);
    if (!c) fail_msg("child_start: %s", err);
    return c;
}

static void slurp(const char *path, char *out, size_t outlen)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(out, 1, outlen - 1, f);
    out[n] = '\0';
    fclose(f);
}

static void test_exit_status(void **state)
{
    (void)state;
    struct child *c = sh("exit 3", NULL, false);
    assert_true(child_pid(c) > 0);
    assert_int_equal(child_pgid(c), child_pid(c)); /* a group of its own */
    assert_int_equal(child_wait(c, mono_now() + 10 * MONO_US_PER_SEC, NULL), 0);
    assert_int_equal(child_poll(c), 0);
    assert_int_equal(child_pid(c), 0);
    assert_string_equal(child_how(c), "exited with status 3");
    child_free(c);
    child_free(NULL);
}

static void test_signal_text(void **state)
{
    (void)state;
    struct child *c = sh("kill -9 $$", NULL, false);
    assert_int_equal(child_wait(c, mono_now() + 10 * MONO_US_PER_SEC, NULL), 0);
    assert_string_equal(child_how(c), "killed by signal 9 (Killed)");
    child_free(c);

    c = sh("sleep 30", NULL, false);
    assert_int_equal(child_poll(c), 1);
    assert_string_equal(child_how(c), "");
    mono_us t0 = mono_now();
    child_stop(c, 5 * MONO_US_PER_SEC); /* sh and sleep die of TERM at once */
    assert_true(mono_now() - t0 < 4 * MONO_US_PER_SEC);
    assert_string_equal(child_how(c), "killed by signal 15 (Terminated)");
    child_free(c);
}

static void test_stop_escalates(void **state)
{
    (void)state;
    char log[256], text[512];
    snprintf(log, sizeof log, "%s/ignore.log", tmpdir);
    /* "ready" once the trap is set, so the TERM is sent after it */
    struct child *c = sh("trap '' TERM; echo ready; while :; do sleep 1; done", log, true);
    char line[64];
    assert_int_equal(
        child_read_line(c, "ready", line, sizeof line, mono_now() + 10 * MONO_US_PER_SEC, NULL),
        CHILD_LINE_OK);
    mono_us t0 = mono_now();
    child_stop(c, 300 * 1000);
    mono_us took = mono_now() - t0;
    assert_true(took >= 300 * 1000);
    if (took > 5 * MONO_US_PER_SEC) fail_msg("stop took %.2fs: not bounded", (double)took / 1e6);
    assert_string_equal(child_how(c), "killed by signal 9 (Killed)");
    assert_int_equal(child_pid(c), 0);
    child_stop(c, MONO_US_PER_SEC); /* reaped: a no-op, never signals again */
    child_free(c);
    slurp(log, text, sizeof text);
    assert_string_equal(text, "");
}

/* stdin_path: the child reads that file; without it, /dev/null. */
static void test_stdin_path(void **state)
{
    (void)state;
    char in[256], line[128];
    snprintf(in, sizeof in, "%s/stdin.txt", tmpdir);
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    fputs("from the file\n", f);
    fclose(f);
    char *argv[] = {"/bin/sh", "-c", "read x; echo \"got: $x\"", NULL};
    struct child_opts o = {.argv = argv, .pipe_stdout = true, .stdin_path = in};
    char err[256];
    struct child *c = child_start(&o, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(
        child_read_line(c, "got:", line, sizeof line, mono_now() + 10 * MONO_US_PER_SEC, NULL),
        CHILD_LINE_OK);
    assert_string_equal(line, "got: from the file");
    child_free(c);
    o.stdin_path = NULL;
    c = child_start(&o, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(
        child_read_line(c, "got:", line, sizeof line, mono_now() + 10 * MONO_US_PER_SEC, NULL),
        CHILD_LINE_OK);
    assert_string_equal(line, "got: ");
    child_free(c);
    snprintf(in, sizeof in, "%s/no-such-file", tmpdir);
    o.stdin_path = in;
    assert_null(child_start(&o, err, sizeof err));
    assert_non_null(strstr(err, "no-such-file: No such file or directory"));
}

static void test_log_and_line(void **state)
{
    (void)state;
    char log[256], text[512], line[128];
    snprintf(log, sizeof log, "%s/line.log", tmpdir);
    struct child *c =
        sh("echo before; echo oops >&2; printf 'listening on 127.0.0.1:4242\\nafter\\n'; "
           "echo \"var=$CHILD_TEST_VAR\"; exec 1>&-; sleep 30",
           log, true);
    assert_true(child_stdout_fd(c) >= 0);
    assert_int_equal(child_read_line(c, "listening on ", line, sizeof line,
                                     mono_now() + 10 * MONO_US_PER_SEC, NULL),
                     CHILD_LINE_OK);
    assert_string_equal(line, "listening on 127.0.0.1:4242");
    /* then EOF: stdout closed while the child lives on */
    assert_int_equal(
        child_read_line(c, "never", line, sizeof line, mono_now() + 10 * MONO_US_PER_SEC, NULL),
        CHILD_LINE_EOF);
    assert_int_equal(child_stdout_fd(c), -1);
    assert_int_equal(child_poll(c), 1);
    child_free(c);
    slurp(log, text, sizeof text);
    assert_non_null(strstr(text, "before\n"));
    assert_non_null(strstr(text, "oops\n"));
    assert_non_null(strstr(text, "after\n"));
    assert_non_null(strstr(text, "var=hello\n"));
    assert_null(strstr(text, "listening on"));
}

static void test_timeout_cancel_last_line(void **state)
{
    (void)state;
    char log[256], line[64], last[16];
    snprintf(log, sizeof log, "%s/quiet.log", tmpdir);
    struct child *c =
        sh("echo first line >&2; echo a-rather-long-last-line >&2; sleep 30", log, true);
    mono_us t0 = mono_now();
    assert_int_equal(child_read_line(c, "x", line, sizeof line, t0 + 200 * 1000, NULL),
                     CHILD_LINE_TIMEOUT);
    assert_true(mono_now() - t0 < 5 * MONO_US_PER_SEC);
    atomic_int cancel = 1;
    assert_int_equal(
        child_read_line(c, "x", line, sizeof line, mono_now() + MONO_US_PER_SEC, &cancel),
        CHILD_LINE_CANCELLED);
    assert_int_equal(child_wait(c, mono_now() + 10 * MONO_US_PER_SEC, &cancel), -1);
    child_last_log_line(c, last, sizeof last);
    assert_string_equal(last, "a-rather-lon...");
    child_free(c); /* stops it */
}

static void test_exec_failure_and_group(void **state)
{
    (void)state;
    char log[256], text[512];
    snprintf(log, sizeof log, "%s/noexec.log", tmpdir);
    char *argv[] = {"/nonexistent/binary", NULL};
    struct child_opts o = {.argv = argv, .log_path = log};
    char err[256];
    struct child *c = child_start(&o, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(child_wait(c, mono_now() + 10 * MONO_US_PER_SEC, NULL), 0);
    assert_string_equal(child_how(c), "exited with status 127");
    child_free(c);
    slurp(log, text, sizeof text);
    assert_string_equal(text, "meshperf: cannot execute /nonexistent/binary\n");

    /* a second child joins the first one's group; stopping both ends both */
    struct child *a = sh("sleep 30", NULL, false);
    char *argv2[] = {"/bin/sh", "-c", "sleep 30", NULL};
    struct child_opts o2 = {.argv = argv2, .pgid = child_pgid(a)};
    struct child *b = child_start(&o2, err, sizeof err);
    assert_non_null(b);
    assert_int_equal(child_pgid(b), child_pgid(a));
    assert_int_equal(getpgid(child_pid(b)), child_pgid(a));
    struct child *both[] = {a, NULL, b};
    child_stop_all(both, 3, 5 * MONO_US_PER_SEC);
    assert_int_equal(child_pid(a), 0);
    assert_int_equal(child_pid(b), 0);
    child_free(a);
    child_free(b);

    struct child_opts bad = {.argv = argv, .log_path = "/nonexistent/dir/x.log"};
    assert_null(child_start(&bad, err, sizeof err));
    assert_string_equal(err, "/nonexistent/dir/x.log: No such file or directory");
}

/* The child writes "0" (itself) into each cgroup.procs fd before exec; a
 * write that fails leaves one line in its log and the child runs anyway. */
static void test_cgroup_procs_fds(void **state)
{
    (void)state;
    char f1[256], f2[256], log[256], text[512];
    snprintf(f1, sizeof f1, "%s/procs1", tmpdir);
    snprintf(f2, sizeof f2, "%s/procs2", tmpdir);
    snprintf(log, sizeof log, "%s/cg.log", tmpdir);
    int fds[2] = {open(f1, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644),
                  open(f2, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
    assert_true(fds[0] >= 0 && fds[1] >= 0);
    char *argv[] = {"/bin/sh", "-c", "exit 0", NULL};
    struct child_opts o = {
        .argv = argv, .log_path = log, .cgroup_procs_fds = fds, .ncgroup_procs_fds = 2};
    char err[256];
    struct child *c = child_start(&o, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(child_wait(c, mono_now() + 10 * MONO_US_PER_SEC, NULL), 0);
    assert_string_equal(child_how(c), "exited with status 0");
    child_free(c);
    close(fds[0]);
    close(fds[1]);
    slurp(f1, text, sizeof text);
    assert_string_equal(text, "0");
    slurp(f2, text, sizeof text);
    assert_string_equal(text, "0");
    slurp(log, text, sizeof text);
    assert_string_equal(text, "");

    /* a write that fails (fd open read-only): noted, not fatal */
    int ro = open(f1, O_RDONLY | O_CLOEXEC);
    assert_true(ro >= 0);
    o.cgroup_procs_fds = &ro;
    o.ncgroup_procs_fds = 1;
    c = child_start(&o, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(child_wait(c, mono_now() + 10 * MONO_US_PER_SEC, NULL), 0);
    assert_string_equal(child_how(c), "exited with status 0");
    child_free(c);
    close(ro);
    slurp(log, text, sizeof text);
    assert_string_equal(text, "meshperf: could not join a cgroup (measured from /proc)\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_status),
        cmocka_unit_test(test_signal_text),
        cmocka_unit_test(test_stop_escalates),
        cmocka_unit_test(test_log_and_line),
        cmocka_unit_test(test_stdin_path),
        cmocka_unit_test(test_timeout_cancel_last_line),
        cmocka_unit_test(test_exec_failure_and_group),
        cmocka_unit_test(test_cgroup_procs_fds),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
