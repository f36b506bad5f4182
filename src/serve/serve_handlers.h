/* serve_handlers.h: the route table of `meshperf serve`: /health,
 * /metrics, /echo[/...], /fortio/rest/... and, for every other path, the
 * fan-out to the backends (echo when there are none). serve.h says what
 * each path answers; serve_conn.h defines the table's types.
 *
 * Whoever creates the server hands the table to serve.c through
 * serve_config.handlers; serve.c itself never names a handler. */
#ifndef MESHPERF_SERVE_HANDLERS_H
#define MESHPERF_SERVE_HANDLERS_H

#include "serve/serve_conn.h"

/* The routes and hooks; static, never freed. */
extern const struct serve_handlers serve_handlers_table;

#endif
