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
 * such as "connect 127.0.0.1:9: Connection refused" (when no local port is
 * left, the line names net.ipv4.ip_local_port_range) or
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

/* File descriptors a load run needs besides its connections: standard
 * streams, each thread's epoll and wake-up fds, the pre-flight socket,
 * the JSON output, with room to spare. */
#define LOADGEN_SETUP_FD_RESERVE 64

/* Raise this process's soft RLIMIT_NOFILE to its hard limit (a no-op when
 * it is there already) and return the soft limit then in force: a run of
 * C connections fits when C + LOADGEN_SETUP_FD_RESERVE <= it. -1 when the
 * limit cannot be read; RLIM_INFINITY is returned as LONG_MAX. */
long loadgen_setup_nofile(void);

#endif
