/* store_etag.h: what an ETag says about an object's bytes. S3 gives the
 * MD5 of the bytes (32 hex digits) for an object uploaded in one part, and
 * something else ("<md5 of part md5s>-<parts>", or a directory store's
 * "<mtime>-<size>-<inode>") otherwise; only the former can be checked
 * against bytes. Used to skip identical copies (store_sync) and to check
 * cached bytes (store_cache). */
#ifndef MESHPERF_STORE_ETAG_H
#define MESHPERF_STORE_ETAG_H

#include <stdbool.h>
#include <stddef.h>

/* The lower-case hex MD5 of len bytes at data into out (33 bytes). */
void store_etag_md5(const void *data, size_t len, char out[33]);

/* Is etag a plain MD5 (32 hex digits, either case)? */
bool store_etag_is_md5(const char *etag);

/* Do these bytes have this ETag? true only for an MD5 ETag that matches. */
bool store_etag_matches(const char *etag, const void *data, size_t len);

#endif
