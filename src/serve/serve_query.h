/* serve_query.h: walk an application/x-www-form-urlencoded query string
 * (the part of a request target after '?', or a form body) without copying,
 * and percent-decode one value into a caller's buffer.
 *
 *   const char *p = q, *end = q + n;  struct http_span k, v;
 *   while (serve_query_next(&p, end, &k, &v)) { ... }
 *
 * Keys and values come back still encoded; decode the ones you use. */
#ifndef MESHPERF_SERVE_QUERY_H
#define MESHPERF_SERVE_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "net/http_parse.h"

/* Next key=value pair from *p (advanced past it and its '&'); empty pairs
 * ("a=1&&b") are skipped, a pair without '=' has an empty value. Returns
 * false when the input is used up. */
bool serve_query_next(const char **p, const char *end, struct http_span *key,
                      struct http_span *val);

/* Percent-decode s ('+' is a space) into out (NUL-terminated). Returns the
 * decoded length, or -1 on a bad escape ("%zz", "%4") or if out (outlen
 * bytes, including the NUL) is too small. */
ssize_t serve_query_decode(struct http_span s, char *out, size_t outlen);

/* True if the raw (encoded) key equals the NUL-terminated lit. Keys are
 * compared undecoded: the knobs' names are plain ASCII. */
bool serve_query_key_is(struct http_span key, const char *lit);

/* Split a request target into path and query (query excludes the '?';
 * empty if none). An absolute-form target ("http://host:1/a?b", RFC 9112
 * 3.2.2; scheme http or https, any case) gives the path and query after
 * its authority, and "/" (a static string) when it has no path. Spans
 * point into target (or at that static "/"). */
void serve_query_split(struct http_span target, struct http_span *path, struct http_span *query);

#endif
