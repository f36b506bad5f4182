/* loadgen_setup.h: one-time set-up steps of a load run, used by loadgen.c
 * (not a public API; see loadgen.h for that). */
#ifndef MESHPERF_LOADGEN_SETUP_H
#define MESHPERF_LOADGEN_SETUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load/loadgen_opts.h"
#include "net/sock.h"
#include "net/url.h"

struct transport_tls_ctx;

/* Connect to addr (and complete a TLS handshake when tls is non-NULL),
 * blocking at most timeout_us, then close. 0, or -1 with one line in err
 * such as "connect 127.0.0.1:9: Connection refused" or
 * "TLS handshake with host:443: certificate verify failed (...)", or 1
 * (err untouched) when stop_fd (the run's stop eventfd, -1 = none) became
 * readable while waiting for the target: the run was stopped or aborted
 * and should end at once, whatever the target does. */
int loadgen_setup_preflight(const struct url *u, const struct sock_addr *addr,
                            struct transport_tls_ctx *tls, int64_t timeout_us, int stop_fd,
                            char *err, size_t errlen);

/* The request every connection sends: request line, Host (unless a -H
 * gives one), User-Agent (likewise), the -H headers, Content-Length for a
 * payload, the payload. Returns malloc'd bytes (caller frees), *len their
 * count, *head whether the method is HEAD; NULL with err on no memory. */
char *loadgen_setup_request(const struct loadgen_opts *o, const struct url *u, size_t *len,
                            bool *head, char *err, size_t errlen);

#endif
