/* aws_config.h: AWS credentials, region and S3 endpoint, found the way the
 * AWS tools find them (CLI, SDKs), for the S3 store.
 *
 * Credentials, first match wins:
 *   1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)
 *   2. the profile (AWS_PROFILE, else "default") in the shared credentials
 *      file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials):
 *      section [name]; keys aws_access_key_id, aws_secret_access_key,
 *      aws_session_token
 *   3. the same keys in the profile's section of the config file
 *      (AWS_CONFIG_FILE, else ~/.aws/config): [default] or [profile name]
 * Region: AWS_REGION, AWS_DEFAULT_REGION, the profile's "region" in the
 * config file, else us-east-1.
 * Endpoint: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's
 * "endpoint_url" in the config file; a custom endpoint is addressed
 * path-style (<endpoint>/<bucket>/<key>). Without one: AWS itself,
 * https://<bucket>.s3.<region>.amazonaws.com (virtual-hosted; path-style
 * for bucket names with a dot, which would not match the certificate).
 *
 * The secret key and the session token never appear in an error message. */
#ifndef MESHPERF_AWS_CONFIG_H
#define MESHPERF_AWS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct aws_config {
    char access_key[256];
    char secret_key[256];
    char session_token[4096]; /* "" when none */
    char region[64];
    char endpoint[1024];    /* "" = AWS itself; else scheme://host[:port], no trailing '/' */
    char profile[128];      /* the profile that was read */
    const char *creds_from; /* "environment", the credentials file or the config file path
                             * (points into creds_where) */
    char creds_where[1024];
};

/* Fill c from the environment and the shared files (see the top). 0, or
 * -1 with one line in err naming what is missing or malformed ("no AWS
 * credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add
 * profile 'x' to ~/.aws/credentials"). Never names a secret. */
int aws_config_load(struct aws_config *c, char *err, size_t errlen);

/* Find key in section of an INI text as the AWS tools read it: "[section]"
 * headers, "key = value" lines, '#' and ';' comment lines, names and values
 * trimmed, an indented line continues a nested block and is skipped. The
 * value goes to out (truncated to outlen - 1). 1 found, 0 not found, -1 a
 * value too long for out. */
int aws_config_ini_get(const char *text, const char *section, const char *key, char *out,
                       size_t outlen);

#endif
