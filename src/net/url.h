/* url.h: parse the http:// and https:// URLs that users give on the command
 * line and in config files.
 *
 * The result lives in fixed-size arrays inside struct url (no allocation,
 * nothing to free; copy the struct freely). The path is kept exactly as
 * written (no percent-decoding, no normalisation); the fragment is dropped.
 * Userinfo ("user:pass@") is accepted and ignored, and never copied into the
 * struct, so it cannot reach output or logs. */
#ifndef MESHPERF_URL_H
#define MESHPERF_URL_H

#include <stdbool.h>
#include <stddef.h>

#define URL_HOST_MAX 255  /* longest host (DNS name limit), without brackets */
#define URL_PATH_MAX 8192 /* longest path+query, bytes */

struct url {
    bool tls;                    /* https */
    bool ipv6;                   /* host is an IPv6 literal (written [..]) */
    bool port_explicit;          /* the URL named a port */
    int port;                    /* 1..65535; 80/443 when not given */
    char scheme[6];              /* "http" or "https" (lower case) */
    char host[URL_HOST_MAX + 1]; /* DNS name or IPv4 dotted quad or IPv6
                                  * text without brackets; NUL-terminated */
    char path[URL_PATH_MAX + 1]; /* path + "?query", starts with '/';
                                  * "/" when absent */
};

/* Parse s into u. Returns 0, or -1 with one line in err such as
 *   bad URL 'htp://x': scheme must be http or https
 * (the URL is quoted with any userinfo removed). Rejected: other schemes,
 * missing "//", empty host, bad host characters, bad IPv4/IPv6 literal,
 * port not 1..65535, spaces, control characters and bytes >= 0x80, host or
 * path too long. The scheme and host are matched case-insensitively; the
 * host is stored lower-cased. u is unspecified after a failure. */
int url_parse(const char *s, struct url *u, char *err, size_t errlen);

/* The Host header value: "host", "host:port" when the port is not the
 * scheme's default, IPv6 in brackets ("[::1]:8080"). Writes a
 * NUL-terminated string; returns its length, or -1 if out is too small. */
int url_host_header(const struct url *u, char *out, size_t outlen);

/* "host:port" always with the port (IPv6 in brackets), for messages such as
 * "TLS handshake with localhost:8443: ...". Same returns as
 * url_host_header. */
int url_authority(const struct url *u, char *out, size_t outlen);

/* The URL s as it may be shown in output, logs and results: any
 * user:password@ shown as ***@ (credentials never leave the process), control
 * characters replaced by '?', cut with "..." to fit outlen (>= 16). Works on
 * any string, parsable or not. */
void url_redact(const char *s, char *out, size_t outlen);

/* A copy of text[0..len) in which the userinfo of every "scheme://user@host"
 * it contains is replaced by "***" (so a config file can be stored with
 * results without the credentials it holds); everything else is kept byte
 * for byte. Returns a malloc'd NUL-terminated copy with its length in
 * *outlen, or NULL when there was nothing to redact (or no memory): then
 * use text as it is. Caller frees. */
char *url_redact_text(const char *text, size_t len, size_t *outlen);

#endif
