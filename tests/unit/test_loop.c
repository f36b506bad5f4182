/* Unit tests for loop.c: timer order, cancel, re-arm, fd readiness,
 * cross-thread stop. */
#include "cm.h"

#include <pthread.h>
#include <unistd.h>

#include "net/loop.h"

static int fired[16];
static int nfired;

static void on_timer(struct loop *l, struct loop_timer *t)
{
    fired[nfired++] = (int)(intptr_t)t->arg;
    if (nfired == 4) loop_stop(l);
}

static void test_timer_order(void **state)
{
    struct loop *l = loop_new(NULL, 0);
    assert_non_null(l);
    struct loop_timer t[5];
    mono_us now = mono_now();
    int order[5] = {3, 1, 4, 0, 2}; /* fire in index order of `when` */
    for (int i = 0; i < 5; i++) {
        loop_timer_init(&t[i], on_timer, (void *)(intptr_t)i);
        assert_int_equal(loop_timer_at(l, &t[i], now + 1000 + order[i] * 500), 0);
    }
    loop_timer_cancel(l, &t[1]); /* would have fired second */
    assert_false(loop_timer_armed(&t[1]));
    loop_timer_cancel(l, &t[1]); /* harmless twice */
    /* Several may expire within one iteration on a slow machine; the heap
     * still pops them in time order, and the cancelled one never fires. */
    assert_int_equal(loop_run(l), 0);
    assert_int_equal(nfired, 4);
    assert_int_equal(fired[0], 3);
    assert_int_equal(fired[1], 4);
    assert_int_equal(fired[2], 0);
    assert_int_equal(fired[3], 2);
    mono_us el = mono_now() - now;
    assert_true(el >= 3000); /* the last one was due at +3000 us */
    loop_free(l);
    loop_free(NULL);
}

static int got_read;
static void on_read(struct loop *l, int fd, unsigned ev, void *arg)
{
    char c;
    if (ev & LOOP_READ) got_read += (int)read(fd, &c, 1);
    loop_stop(l);
}

static void test_fd_ready(void **state)
{
    struct loop *l = loop_new(NULL, 0);
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(loop_add(l, p[0], LOOP_READ, on_read, NULL), 0);
    assert_int_equal(write(p[1], "x", 1), 1);
    assert_int_equal(loop_run(l), 0);
    assert_int_equal(got_read, 1);
    assert_int_equal(loop_del(l, p[0]), 0);
    close(p[0]);
    close(p[1]);
    loop_free(l);
}

static void *stopper(void *arg)
{
    usleep(20000);
    loop_stop_async(arg);
    return NULL;
}

static void test_stop_async(void **state)
{
    struct loop *l = loop_new(NULL, 0);
    pthread_t th;
    pthread_create(&th, NULL, stopper, l);
    mono_us t0 = mono_now();
    assert_int_equal(loop_run(l), 0); /* no fds, no timers: only the wakeup ends it */
    assert_true(mono_now() - t0 < 5 * MONO_US_PER_SEC);
    assert_true(loop_stopping(l));
    pthread_join(th, NULL);
    loop_free(l);
}

static void *late_writer(void *arg)
{
    usleep(5000);
    ssize_t n = write(*(int *)arg, "z", 1);
    (void)n;
    return NULL;
}

static int poll_fired;
static void on_poll_timer(struct loop *l, struct loop_timer *t)
{
    poll_fired++;
}

/* loop_set_poll: after an iteration with events the loop polls before it
 * sleeps, but never past a timer or the caller's deadline, and an event
 * that arrives while it polls is dispatched. */
static void test_poll_bounded(void **state)
{
    struct loop *l = loop_new(NULL, 0);
    loop_set_poll(l, 2 * MONO_US_PER_SEC); /* far longer than anything below */
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(loop_add(l, p[0], LOOP_READ, on_read, NULL), 0);
    got_read = 0;
    assert_int_equal(write(p[1], "x", 1), 1);
    assert_int_equal(loop_once(l, -1), 0); /* an event: the next wait polls */
    assert_int_equal(got_read, 1);

    /* a timer 5 ms away ends the poll: fired after >= 5 ms, long before 2 s */
    struct loop_timer t;
    loop_timer_init(&t, on_poll_timer, NULL);
    mono_us t0 = mono_now();
    assert_int_equal(loop_timer_at(l, &t, t0 + 5000), 0);
    while (!poll_fired)
        assert_int_equal(loop_once(l, -1), 0);
    mono_us el = mono_now() - t0;
    assert_true(el >= 5000);
    assert_true(el < MONO_US_PER_SEC);

    /* an event again, then a deadline 5 ms away and nothing happening:
     * loop_once returns at the deadline, not after 2 s of polling */
    assert_int_equal(write(p[1], "y", 1), 1);
    assert_int_equal(loop_once(l, -1), 0);
    assert_int_equal(got_read, 2);
    t0 = mono_now();
    assert_int_equal(loop_once(l, t0 + 5000), 0);
    el = mono_now() - t0;
    assert_true(el >= 5000);
    assert_true(el < MONO_US_PER_SEC);

    /* an event arriving while it polls is dispatched at once */
    assert_int_equal(write(p[1], "w", 1), 1);
    assert_int_equal(loop_once(l, -1), 0);
    assert_int_equal(got_read, 3);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, late_writer, &p[1]), 0);
    t0 = mono_now();
    assert_int_equal(loop_once(l, -1), 0);
    el = mono_now() - t0;
    pthread_join(th, NULL);
    assert_int_equal(got_read, 4);
    assert_true(el < MONO_US_PER_SEC);
    loop_del(l, p[0]);
    close(p[0]);
    close(p[1]);
    loop_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timer_order),
        cmocka_unit_test(test_fd_ready),
        cmocka_unit_test(test_stop_async),
        cmocka_unit_test(test_poll_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
