/* sidecar_nginx.h: the nginx sidecar's config writer and argv builder
 * (sidecar_nginx.c), named by the table in sidecar.c. */
#ifndef MESHPERF_SIDECAR_NGINX_H
#define MESHPERF_SIDECAR_NGINX_H

#include "platform/sidecar.h"

/* Write <ctx->dir>/nginx.conf (and, with a metrics port, the /metrics
 * template <ctx->dir>/metrics.ssi) and make <ctx->dir>/tmp (see
 * sidecar_nginx.c). 0 or -1 with err. */
int sidecar_nginx_config(const struct sidecar_ctx *ctx, char *err, size_t errlen);

/* `<bin> -e stderr -p <dir>/ -c <dir>/nginx.conf` into argv (strings in
 * buf). 0 or -1 with err. */
int sidecar_nginx_argv(const struct sidecar_ctx *ctx, char **argv, size_t argvlen, char *buf,
                       size_t bufsz, char *err, size_t errlen);

#endif
