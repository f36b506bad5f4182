/* sidecar_haproxy.h: the HAProxy sidecar's config writer and argv builder
 * (sidecar_haproxy.c), named by the table in sidecar.c. */
#ifndef MESHPERF_SIDECAR_HAPROXY_H
#define MESHPERF_SIDECAR_HAPROXY_H

#include "platform/sidecar.h"

/* Write <ctx->dir>/haproxy.cfg (see sidecar_haproxy.c). 0 or -1 with err. */
int sidecar_haproxy_config(const struct sidecar_ctx *ctx, char *err, size_t errlen);

/* `<bin> -db -f <dir>/haproxy.cfg` into argv (strings in buf). 0 or -1
 * with err. */
int sidecar_haproxy_argv(const struct sidecar_ctx *ctx, char **argv, size_t argvlen, char *buf,
                         size_t bufsz, char *err, size_t errlen);

#endif
