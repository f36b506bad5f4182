/* store_s3.h: the S3 backend of store.h: key "a/b" of the store
 * "s3://bucket/prefix" is the object "prefix/a/b" of bucket, on AWS or any
 * S3-compatible endpoint (credentials, region and endpoint as the AWS
 * tools read them: store/aws_config.h). Chosen by store_open for s3://.
 *
 * Requests are signed with AWS Signature Version 4 by libcurl
 * (CURLOPT_AWS_SIGV4), with the URL already canonical (every key byte but
 * A-Za-z0-9-._~/ percent-encoded, query parameters sorted and encoded) and
 * x-amz-content-sha256 sent by us. 5xx, 429 and connection failures or
 * timeouts are retried with exponential backoff (STORE_S3_ATTEMPTS tries in
 * all); S3's XML error is shown as "Code: Message". The first put into a
 * bucket that does not exist creates it (with the region's
 * LocationConstraint outside us-east-1) and tries again.
 *
 * Environment read at open, for tests and slow links:
 *   MESHPERF_S3_MAX_KEYS  ListObjectsV2 page size, 1..1000 (default: S3's, 1000) */
#ifndef MESHPERF_STORE_S3_H
#define MESHPERF_STORE_S3_H

#include <stddef.h>

#include "store/store.h"

#define STORE_S3_ATTEMPTS 4

/* Split "s3://bucket[/prefix]" into bucket (3..63 of a-z 0-9 . -) and
 * prefix ("" or a store key; one trailing '/' is dropped). 0, or -1 with
 * one line in err naming the URI. */
int store_s3_parse_uri(const char *uri, char *bucket, size_t bucketlen, char *prefix,
                       size_t prefixlen, char *err, size_t errlen);

/* A store on the bucket and prefix of uri. Reads the AWS settings (which
 * may fail: no credentials, a bad endpoint) but sends nothing. NULL with
 * one line in err. Free with store_free. */
struct store *store_s3_open(const char *uri, char *err, size_t errlen);

#endif
