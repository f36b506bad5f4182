/* serve_rest.h: Fortio's REST API on `meshperf serve`:
 *   /fortio/rest/run     start a load run (JSON body and/or query args;
 *                        query args win), answer its Fortio JSON when done,
 *                        or at once with a RunID when async=on
 *   /fortio/rest/status  the runs in progress (runid=N for one)
 *   /fortio/rest/stop    stop run runid (all when 0/absent); Count is the
 *                        number of matching runs not yet ended (also those
 *                        an earlier stop already stopped); wait=true
 *                        answers "stopped" only once all of them have
 *                        ended, whichever worker thread started them. The
 *                        wait is bounded: a stopped run ends within its
 *                        request timeout (loadgen.h), default 3 s.
 * Errors use Fortio's shape: 400 {"error":true,"message":"URL is
 * required","exception":"..."}. The API answers only on `serve -rest`
 * (serve_handlers.c); runs are bounded and their targets limited by a
 * guard (serve_rest_guard.h, docs/SECURITY.md).
 *
 * Each run executes loadgen_run on its own (detached) thread, so a worker's
 * loop never blocks. A reply that is not ready at once is a ticket: the run
 * thread fills it and posts it to the worker's inbox (a mutex-protected
 * list plus an eventfd that the worker's loop watches); the worker then
 * drains the inbox on its own thread. A ticket's waiter pointer is read and
 * written only by the worker, so a connection that goes away just clears it
 * (serve_rest_ticket_forget). */
#ifndef MESHPERF_SERVE_REST_H
#define MESHPERF_SERVE_REST_H

#include <stdbool.h>
#include <stddef.h>

#include "net/http_parse.h"

struct serve_rest;
struct serve_rest_guard; /* serve_rest_guard.h */
struct serve_rest_inbox;
struct serve_rest_ticket;

/* A registry of runs, shared by every worker. data_dir (borrowed, may be
 * NULL) is where save=on writes. NULL on no memory. */
struct serve_rest *serve_rest_new(const char *data_dir);

/* Abort every run (loadgen_ctl_abort): each ends at once, requests in
 * flight counted as -1, its result kept (and saved with save=on). Any
 * thread; used on shutdown. */
void serve_rest_stop_all(struct serve_rest *r);

/* Stop every run, wait for their threads to end, free. NULL is fine. Call
 * after the workers' loops have ended, before freeing their inboxes. */
void serve_rest_free(struct serve_rest *r);

/* A worker's inbox; its eventfd (serve_rest_inbox_fd) becomes readable
 * when replies are posted. NULL on failure. */
struct serve_rest_inbox *serve_rest_inbox_new(void);
int serve_rest_inbox_fd(const struct serve_rest_inbox *in);
/* Free the inbox and any tickets still in it (their waiters are not
 * called). NULL is fine. */
void serve_rest_inbox_free(struct serve_rest_inbox *in);

/* Called for each ready ticket whose waiter is still set: status and body
 * (malloc'd, NUL-terminated JSON; ownership passes to the callee). */
typedef void serve_rest_reply_fn(void *waiter, int status, char *body, size_t len);

/* Read the eventfd and deliver every posted ticket. Worker thread only. */
void serve_rest_inbox_drain(struct serve_rest_inbox *in, serve_rest_reply_fn *fn);

/* The connection behind a ticket went away: drop the reply when it comes. */
void serve_rest_ticket_forget(struct serve_rest_ticket *t);

/* Handle one REST request. which is the path after /fortio/rest/ ("run",
 * "status", "stop"); query excludes '?'; body is the request body; g
 * (borrowed, required) holds the caps and the allowed targets of runs.
 * Either answers at once (returns 1 with *status and *body: malloc'd JSON
 * the caller frees, *len its length) or takes a ticket (returns 0 and
 * *ticket; the reply comes later through inbox to waiter). Returns -1 on
 * no memory (the caller answers 500). A run is refused with 400 when its
 * options are over a cap, 403 when its target is not allowed (also when
 * that is found after resolving the host: the reply, or an async run's
 * "started", waits for the check), and 429 when -rest-max-runs runs are
 * running or its connections do not fit the budget; each error's
 * "exception" is one line naming the flag that raises the limit. */
int serve_rest_handle(struct serve_rest *r, const struct serve_rest_guard *g,
                      struct serve_rest_inbox *inbox, struct http_span which,
                      struct http_span query, struct http_span body, void *waiter, int *status,
                      char **out, size_t *len, struct serve_rest_ticket **ticket);

#endif
