/* loop.h: a per-thread event loop: epoll for file descriptors, a binary
 * min-heap of microsecond timers, and an eventfd so other threads can stop
 * it.
 *
 * One loop belongs to one thread; only loop_stop_async() may be called from
 * another thread. Timers are intrusive (struct loop_timer lives in the
 * caller's object), so arming and cancelling never allocates. The wait uses
 * epoll_pwait2 with a nanosecond timeout, so timers fire with microsecond
 * resolution rather than epoll_wait's millisecond one. */
#ifndef MESHPERF_LOOP_H
#define MESHPERF_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mono.h"

#define LOOP_READ  0x1u
#define LOOP_WRITE 0x2u
#define LOOP_ERROR 0x4u /* reported only: hang-up or error on the fd */

struct loop;
struct loop_timer;

/* Called when fd is ready; events is a mask of LOOP_READ/WRITE/ERROR. */
typedef void loop_io_fn(struct loop *l, int fd, unsigned events, void *arg);
/* Called once when a timer expires; the timer is disarmed before the call
 * and may be re-armed from inside it. */
typedef void loop_timer_fn(struct loop *l, struct loop_timer *t);

struct loop_timer {
    mono_us when;      /* expiry time; read-only for callers */
    size_t heap_index; /* private: position in the heap, SIZE_MAX if not armed */
    loop_timer_fn *fn; /* set by loop_timer_init */
    void *arg;         /* caller's context, free for the callback to use */
};

/* Create a loop. Returns NULL and fills err on failure. Free with loop_free. */
struct loop *loop_new(char *err, size_t errlen);

/* Free a loop. File descriptors registered with it are not closed; timers
 * still armed are simply forgotten. NULL is fine. */
void loop_free(struct loop *l);

/* Watch fd for events (LOOP_READ|LOOP_WRITE); fn(arg) is called when ready.
 * Level-triggered. 0 or -errno. */
int loop_add(struct loop *l, int fd, unsigned events, loop_io_fn *fn, void *arg);

/* Change the watched events of a registered fd. 0 or -errno. */
int loop_mod(struct loop *l, int fd, unsigned events, loop_io_fn *fn, void *arg);

/* Stop watching fd (call before close). 0 or -errno. */
int loop_del(struct loop *l, int fd);

/* Prepare a timer; it starts disarmed. */
void loop_timer_init(struct loop_timer *t, loop_timer_fn *fn, void *arg);

/* Arm (or re-arm) t to fire at `when`. 0, or -ENOMEM if the heap cannot grow. */
int loop_timer_at(struct loop *l, struct loop_timer *t, mono_us when);

/* Disarm t; harmless if it is not armed. */
void loop_timer_cancel(struct loop *l, struct loop_timer *t);

/* True if t is armed. */
static inline bool loop_timer_armed(const struct loop_timer *t)
{
    return t->heap_index != SIZE_MAX;
}

/* Run until loop_stop/loop_stop_async. Returns 0, or -errno if epoll fails. */
int loop_run(struct loop *l);

/* Run one iteration: wait at most until the next timer or `deadline`
 * (whichever is sooner; deadline < 0 = no limit), dispatch ready fds and
 * expired timers. Returns 0 or -errno. */
int loop_once(struct loop *l, mono_us deadline);

/* Busy polling: when the previous iteration had events, loop_once first
 * polls epoll with a zero timeout for up to us microseconds (never past the
 * next timer) before it sleeps. On a VM, waking a sleeping thread costs its
 * waker an inter-processor interrupt; a loop that expects the next event
 * within microseconds saves its peer that cost. 0 (the default) = never.
 * Same thread as the loop. */
void loop_set_poll(struct loop *l, mono_us us);

/* Ask loop_run to return after the current iteration (same thread). */
void loop_stop(struct loop *l);

/* Same, from any thread or a signal handler (async-signal-safe). */
void loop_stop_async(struct loop *l);

/* True once loop_stop or loop_stop_async has been called. */
bool loop_stopping(const struct loop *l);

/* Time cached at the start of the current iteration (cheap); call
 * mono_now() where the exact instant matters. */
mono_us loop_now(const struct loop *l);

#endif
