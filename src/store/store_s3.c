/* store_s3.c: the S3 store (see store_s3.h).
 *
 * One libcurl easy handle per store, reset before each request (its
 * connection stays open for the next). store_s3_call builds the canonical
 * URL, adds x-amz-content-sha256 (SHA-256 of the body) and the session
 * token, lets libcurl sign, and retries what S3 says may be retried. The
 * response body goes into the caller's capped buffer; on an HTTP error the
 * XML error that arrived there is turned into one line and cut off again.
 * Nothing here prints, and no message carries the secret key or the token
 * (libcurl's own messages name the host, never the credentials). */
#include "store/store_s3.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/errbuf.h"
#include "store/aws_config.h"
#include "store/store_s3_xml.h"

#define STORE_S3_ERR_MAX  (64u << 10) /* bytes of an error body we read */
#define STORE_S3_PAGE_MAX (32u << 20) /* bytes of one ListObjectsV2 page */
#define STORE_S3_KEY_MAX  1024        /* S3's limit on a key, in bytes */

struct store_s3 {
    struct store base;
    struct aws_config cfg;
    char bucket[64];
    char prefix[STORE_S3_KEY_MAX]; /* "" or "a/b" */
    char uri[STORE_S3_KEY_MAX + 80];
    bool path_style;
    bool bucket_ready; /* a put has succeeded (or the bucket was created) */
    int max_keys;      /* 0 = S3's default */
    CURL *curl;
};

/* One request's answer. */
struct store_s3_reply {
    long status;    /* HTTP status, 0 when none came */
    char what[600]; /* for errors: "403 SignatureDoesNotMatch: ..." or curl's words */
    bool s3_code;   /* what holds S3's error code */
    char code[64];  /* S3's error code alone, "" if none */
};

int store_s3_parse_uri(const char *uri, char *bucket, size_t bucketlen, char *prefix,
                       size_t prefixlen, char *err, size_t errlen)
{
    if (strncmp(uri, "s3://", 5) != 0) return errbuf_set(err, errlen, "%s: not an s3:// URI", uri);
    const char *b = uri + 5;
    size_t bn = strcspn(b, "/");
    if (bn < 3 || bn > 63 || strspn(b, "abcdefghijklmnopqrstuvwxyz0123456789.-") < bn ||
        b[0] == '.' || b[0] == '-' || b[bn - 1] == '.' || b[bn - 1] == '-')
        return errbuf_set(err, errlen,
                          "%s: bad bucket name (want 3 to 63 of a-z, 0-9, '.', '-', as in "
                          "s3://bucket/prefix)",
                          uri);
    if (bn >= bucketlen) return errbuf_set(err, errlen, "%s: bucket name too long", uri);
    memcpy(bucket, b, bn);
    bucket[bn] = '\0';
    const char *p = b[bn] ? b + bn + 1 : b + bn;
    size_t pn = strlen(p);
    if (pn && p[pn - 1] == '/') pn--;
    if (pn >= prefixlen || pn > STORE_S3_KEY_MAX - 256)
        return errbuf_set(err, errlen, "%s: prefix too long", uri);
    memcpy(prefix, p, pn);
    prefix[pn] = '\0';
    if (pn && (!store_key_ok(prefix) || strchr(prefix, '?') || strchr(prefix, '#')))
        return errbuf_set(err, errlen,
                          "%s: bad prefix '%s' (want names separated by single '/', no '.' or "
                          "'..')",
                          uri, prefix);
    return 0;
}

/* ---- URLs ---- */

/* Percent-encode s into b: every byte but A-Za-z0-9-._~ (and '/' when
 * slash). 0 or -ENOBUFS/-ENOMEM. */
static int store_s3_encode(struct buf *b, const char *s, bool slash)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || (slash && c == '/')) {
            rc = buf_append(b, &c, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = buf_append(b, e, 3);
        }
    }
    return rc;
}

/* The object name of key: prefix + "/" + key (or key, or the prefix
 * itself for key ""). */
static int store_s3_object(const struct store_s3 *s, const char *key, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "%s%s%s", s->prefix, s->prefix[0] && key[0] ? "/" : "", key);
    return n < 0 || (size_t)n >= outlen || n > STORE_S3_KEY_MAX ? -1 : 0;
}

/* The canonical URL of object (NULL: the bucket) with query (already
 * sorted and encoded, or NULL) into b. 0 or negative. */
static int store_s3_url(const struct store_s3 *s, const char *object, const char *query,
                        struct buf *b)
{
    int rc;
    if (s->path_style && s->cfg.endpoint[0])
        rc = buf_printf(b, "%s/%s", s->cfg.endpoint, s->bucket);
    else if (s->path_style)
        rc = buf_printf(b, "https://s3.%s.amazonaws.com/%s", s->cfg.region, s->bucket);
    else
        rc = buf_printf(b, "https://%s.s3.%s.amazonaws.com", s->bucket, s->cfg.region);
    if (!rc && (object || !s->path_style)) rc = buf_puts(b, "/");
    if (!rc && object) rc = store_s3_encode(b, object, true);
    if (!rc && query) rc = buf_printf(b, "?%s", query);
    return rc;
}

/* ---- one request ---- */

struct store_s3_body {
    const char *p;
    size_t len, off;
};

static size_t store_s3_read_cb(char *dst, size_t size, size_t nmemb, void *arg)
{
    struct store_s3_body *b = arg;
    size_t n = size * nmemb, left = b->len - b->off;
    if (n > left) n = left;
    memcpy(dst, b->p + b->off, n);
    b->off += n;
    return n;
}

static size_t store_s3_write_cb(char *src, size_t size, size_t nmemb, void *arg)
{
    struct buf *b = arg;
    size_t n = size * nmemb;
    return buf_append(b, src, n) == 0 ? n : 0; /* 0: past the cap, curl stops */
}

/* Hex SHA-256 of data into out[65]. */
static void store_s3_sha256(const void *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    static const char hex[] = "0123456789abcdef";
    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL)) mdlen = 0;
    for (unsigned int i = 0; i < mdlen && i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[2 * (mdlen < 32 ? mdlen : 32)] = '\0';
}

static bool store_s3_retryable(CURLcode cc, long status)
{
    if (cc == CURLE_OK) return status >= 500 || status == 429;
    return cc == CURLE_COULDNT_CONNECT || cc == CURLE_OPERATION_TIMEDOUT ||
           cc == CURLE_SEND_ERROR || cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING ||
           cc == CURLE_PARTIAL_FILE || cc == CURLE_COULDNT_RESOLVE_HOST;
}

/* Sleep ms milliseconds. */
static void store_s3_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* method on object (NULL: the bucket) with query and body; the response
 * body appended to out (NULL: dropped, up to STORE_S3_ERR_MAX). Returns 0
 * on a 2xx, else -errno with r filled (-ENOENT 404, -EACCES 403, -EFBIG out's
 * cap, -EIO other HTTP errors, -EHOSTUNREACH / -ETIMEDOUT no answer). */
static int store_s3_call(struct store_s3 *s, const char *method, const char *object,
                         const char *query, const void *body, size_t len, struct buf *out,
                         struct store_s3_reply *r)
{
    memset(r, 0, sizeof *r);
    struct buf url, hdr, scratch;
    buf_init(&url, 16384);
    buf_init(&hdr, 8192);
    buf_init(&scratch, STORE_S3_ERR_MAX);
    if (!out) out = &scratch;
    size_t start = out->len;
    char sha[65], sigv4[128];
    store_s3_sha256(body ? body : "", body ? len : 0, sha);
    snprintf(sigv4, sizeof sigv4, "aws:amz:%s:s3", s->cfg.region);
    int rc = store_s3_url(s, object, query, &url);
    struct curl_slist *h = NULL, *h2;
    if (!rc && !(rc = buf_printf(&hdr, "x-amz-content-sha256: %s", sha)))
        rc = (h = curl_slist_append(NULL, hdr.data)) ? 0 : -ENOMEM;
    if (!rc && s->cfg.session_token[0]) {
        buf_reset(&hdr);
        if (!(rc = buf_printf(&hdr, "x-amz-security-token: %s", s->cfg.session_token)))
            rc = (h2 = curl_slist_append(h, hdr.data)) ? (h = h2, 0) : -ENOMEM;
    }
    if (rc) {
        snprintf(r->what, sizeof r->what, "%s", rc == -ENOMEM ? "out of memory" : "URL too long");
        goto done;
    }
    char cerr[CURL_ERROR_SIZE];
    CURLcode cc = CURLE_OK;
    long backoff_ms = 250;
    for (int attempt = 1;; attempt++) {
        out->len = start;
        if (out->data) out->data[start] = '\0';
        struct store_s3_body up = {body, body ? len : 0, 0};
        CURL *c = s->curl;
        curl_easy_reset(c);
        cerr[0] = '\0';
        curl_easy_setopt(c, CURLOPT_URL, url.data);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 600L);
        curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4);
        curl_easy_setopt(c, CURLOPT_USERNAME, s->cfg.access_key);
        curl_easy_setopt(c, CURLOPT_PASSWORD, s->cfg.secret_key);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, store_s3_write_cb);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
        if (!strcmp(method, "PUT")) {
            curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(c, CURLOPT_READFUNCTION, store_s3_read_cb);
            curl_easy_setopt(c, CURLOPT_READDATA, &up);
            curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up.len);
        } else if (!strcmp(method, "HEAD")) {
            curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        } else if (strcmp(method, "GET")) {
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        }
        cc = curl_easy_perform(c);
        r->status = 0;
        if (cc == CURLE_OK || cc == CURLE_WRITE_ERROR)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        if (attempt >= STORE_S3_ATTEMPTS || !store_s3_retryable(cc, r->status)) break;
        store_s3_sleep_ms(backoff_ms + rand() % (backoff_ms / 2 + 1));
        backoff_ms *= 2;
    }
    if (cc == CURLE_OK && r->status >= 200 && r->status < 300) goto done;
    if (cc == CURLE_WRITE_ERROR && r->status >= 200 && r->status < 300) {
        rc = -EFBIG;
        snprintf(r->what, sizeof r->what, "larger than the cap (%zu bytes)", out->max);
        goto done;
    }
    if (cc != CURLE_OK && cc != CURLE_WRITE_ERROR) {
        rc = cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EHOSTUNREACH;
        snprintf(r->what, sizeof r->what, "%s (%d attempts)",
                 cerr[0] ? cerr : curl_easy_strerror(cc), STORE_S3_ATTEMPTS);
        goto done;
    }
    rc = r->status == 404 ? -ENOENT : r->status == 403 ? -EACCES : -EIO;
    char line[512];
    if (out->data &&
        store_s3_xml_error(out->data + start, out->len - start, line, sizeof line) == 0) {
        r->s3_code = true;
        snprintf(r->code, sizeof r->code, "%.*s", (int)strcspn(line, ":"), line);
        snprintf(r->what, sizeof r->what, "%ld %s", r->status, line);
    } else {
        snprintf(r->what, sizeof r->what, "HTTP %ld", r->status);
    }
done:
    out->len = rc ? start : out->len;
    if (out->data) out->data[out->len] = '\0';
    curl_slist_free_all(h);
    buf_free(&url);
    buf_free(&hdr);
    buf_free(&scratch);
    return rc;
}

/* ---- ops ---- */

static char *store_s3_where(struct store *st, const char *key, char *out, size_t outlen)
{
    struct store_s3 *s = (struct store_s3 *)st;
    if (key && key[0])
        snprintf(out, outlen, "s3://%s/%s%s%s", s->bucket, s->prefix, s->prefix[0] ? "/" : "", key);
    else
        snprintf(out, outlen, "s3://%s%s%s", s->bucket, s->prefix[0] ? "/" : "", s->prefix);
    return out;
}

/* One line: "<where>: <op>: <what>". Returns rc. */
static int store_s3_fail(struct store_s3 *s, const char *key, const char *op,
                         const struct store_s3_reply *r, int rc, char *err, size_t errlen)
{
    char where[STORE_S3_KEY_MAX + 96];
    store_s3_where(&s->base, key, where, sizeof where);
    errbuf_set(err, errlen, "%s: %s: %s", where, op, r->what);
    return rc;
}

/* Create the bucket (LocationConstraint outside us-east-1). 0 or -errno. */
static int store_s3_create_bucket(struct store_s3 *s, char *err, size_t errlen)
{
    char body[256] = "";
    if (strcmp(s->cfg.region, "us-east-1"))
        snprintf(body, sizeof body,
                 "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                 "<LocationConstraint>%s</LocationConstraint></CreateBucketConfiguration>",
                 s->cfg.region);
    struct store_s3_reply r;
    int rc = store_s3_call(s, "PUT", NULL, NULL, body, strlen(body), NULL, &r);
    if (rc < 0 && strcmp(r.code, "BucketAlreadyOwnedByYou") != 0)
        return store_s3_fail(s, NULL, "create bucket", &r, rc, err, errlen);
    return 0;
}

static int store_s3_put(struct store *st, const char *key, const void *data, size_t len, char *err,
                        size_t errlen)
{
    struct store_s3 *s = (struct store_s3 *)st;
    char object[STORE_S3_KEY_MAX + 1];
    if (store_s3_object(s, key, object, sizeof object) < 0)
        return errbuf_set(err, errlen, "%s: name too long for S3", key), -ENAMETOOLONG;
    struct store_s3_reply r;
    int rc = store_s3_call(s, "PUT", object, NULL, data, len, NULL, &r);
    if (rc == -ENOENT && !s->bucket_ready && !strcmp(r.code, "NoSuchBucket")) {
        if ((rc = store_s3_create_bucket(s, err, errlen)) < 0) return rc;
        s->bucket_ready = true;
        rc = store_s3_call(s, "PUT", object, NULL, data, len, NULL, &r);
    }
    if (rc < 0) return store_s3_fail(s, key, "PUT", &r, rc, err, errlen);
    s->bucket_ready = true;
    return 0;
}

static int store_s3_get(struct store *st, const char *key, struct buf *out, char *err,
                        size_t errlen)
{
    struct store_s3 *s = (struct store_s3 *)st;
    char object[STORE_S3_KEY_MAX + 1];
    if (store_s3_object(s, key, object, sizeof object) < 0)
        return errbuf_set(err, errlen, "%s: name too long for S3", key), -ENAMETOOLONG;
    struct store_s3_reply r;
    int rc = buf_reserve(out, 0);
    if (!rc)
        rc = store_s3_call(s, "GET", object, NULL, NULL, 0, out, &r);
    else
        snprintf(r.what, sizeof r.what, "out of memory");
    if (rc < 0) return store_s3_fail(s, key, "GET", &r, rc, err, errlen);
    if (!out->data && (rc = buf_reserve(out, 1)) < 0)
        return errbuf_set(err, errlen, "%s: out of memory", key), rc;
    out->data[out->len] = '\0';
    return 0;
}

/* One ListObjectsV2 page's <Contents> into b; the next token (or "") into
 * next. 0 or -errno with err. */
static int store_s3_list_page(struct store_s3 *s, const char *page, size_t len, size_t strip,
                              struct store_list_builder *b, char *next, size_t nextlen, char *err,
                              size_t errlen)
{
    struct store_s3_xml_span in = {page, len}, res, c, k, sz, et, tr, tok;
    if (!store_s3_xml_find(in, "ListBucketResult", &res))
        return errbuf_set(err, errlen, "%s: list: not a ListObjectsV2 answer", s->uri), -EPROTO;
    char key[STORE_S3_KEY_MAX + 1], size[32], etag[256];
    for (size_t pos = 0; store_s3_xml_next(res, &pos, "Contents", &c);) {
        if (!store_s3_xml_find(c, "Key", &k) || store_s3_xml_text(k, key, sizeof key) < 0)
            return errbuf_set(err, errlen, "%s: list: an entry without a readable Key", s->uri),
                   -EPROTO;
        char *end = NULL;
        unsigned long long n = 0;
        if (store_s3_xml_find(c, "Size", &sz) && store_s3_xml_text(sz, size, sizeof size) > 0)
            n = strtoull(size, &end, 10);
        if (!end || *end)
            return errbuf_set(err, errlen, "%s: list: %s: bad Size", s->uri, key), -EPROTO;
        etag[0] = '\0';
        if (store_s3_xml_find(c, "ETag", &et) && store_s3_xml_text(et, etag, sizeof etag) < 0)
            etag[0] = '\0';
        size_t el = strlen(etag);
        if (el >= 2 && etag[0] == '"' && etag[el - 1] == '"') {
            memmove(etag, etag + 1, el - 2);
            etag[el - 2] = '\0';
        }
        if (strlen(key) < strip || !store_key_ok(key + strip)) continue; /* not ours to read */
        int rc = store_list_builder_add(b, key + strip, n, etag);
        if (rc < 0)
            return errbuf_set(err, errlen, "%s: list: %s", s->uri,
                              rc == -E2BIG ? "too many objects" : "out of memory"),
                   rc;
    }
    next[0] = '\0';
    char trunc[16] = "";
    if (store_s3_xml_find(res, "IsTruncated", &tr)) store_s3_xml_text(tr, trunc, sizeof trunc);
    if (!strcmp(trunc, "true") && (!store_s3_xml_find(res, "NextContinuationToken", &tok) ||
                                   store_s3_xml_text(tok, next, nextlen) <= 0))
        return errbuf_set(err, errlen, "%s: list: truncated answer without a continuation token",
                          s->uri),
               -EPROTO;
    return 0;
}

static int store_s3_list(struct store *st, const char *prefix, struct store_list **out, char *err,
                         size_t errlen)
{
    struct store_s3 *s = (struct store_s3 *)st;
    char want[STORE_S3_KEY_MAX + 2];
    if (store_s3_object(s, prefix, want, sizeof want - 1) < 0)
        return errbuf_set(err, errlen, "%s: name too long for S3", prefix), -ENAMETOOLONG;
    if (want[0]) strcat(want, "/");
    size_t strip = s->prefix[0] ? strlen(s->prefix) + 1 : 0;
    struct store_list_builder *b = store_list_builder_new();
    char *token = malloc(4096), *next = malloc(4096);
    struct buf q, page;
    buf_init(&q, 16384);
    buf_init(&page, STORE_S3_PAGE_MAX);
    int rc = b && token && next ? 0 : -ENOMEM;
    if (rc) errbuf_set(err, errlen, "%s: out of memory", s->uri);
    if (token) token[0] = '\0';
    while (!rc) {
        buf_reset(&q);
        buf_reset(&page);
        if (token[0]) {
            rc = buf_puts(&q, "continuation-token=");
            if (!rc) rc = store_s3_encode(&q, token, false);
            if (!rc) rc = buf_puts(&q, "&");
        }
        if (!rc) rc = buf_puts(&q, "list-type=2");
        if (!rc && s->max_keys) rc = buf_printf(&q, "&max-keys=%d", s->max_keys);
        if (!rc) rc = buf_puts(&q, "&prefix=");
        if (!rc) rc = store_s3_encode(&q, want, false);
        if (rc) {
            errbuf_set(err, errlen, "%s: list: request too long", s->uri);
            break;
        }
        struct store_s3_reply r;
        rc = store_s3_call(s, "GET", NULL, q.data, NULL, 0, &page, &r);
        if (rc < 0) {
            store_s3_fail(s, NULL, "list", &r, rc, err, errlen);
            break;
        }
        rc = store_s3_list_page(s, page.data ? page.data : "", page.len, strip, b, next, 4096, err,
                                errlen);
        if (rc < 0 || !next[0]) break;
        if (!strcmp(next, token)) {
            errbuf_set(err, errlen, "%s: list: the continuation token does not advance", s->uri);
            rc = -EPROTO;
            break;
        }
        char *t = token;
        token = next;
        next = t;
    }
    free(token);
    free(next);
    buf_free(&q);
    buf_free(&page);
    if (rc < 0) {
        store_list_builder_free(b);
        return rc;
    }
    if (!(*out = store_list_builder_done(b))) {
        errbuf_set(err, errlen, "%s: out of memory", s->uri);
        return -ENOMEM;
    }
    return 0;
}

static void store_s3_free(struct store *st)
{
    struct store_s3 *s = (struct store_s3 *)st;
    if (s->curl) curl_easy_cleanup(s->curl);
    memset(&s->cfg, 0, sizeof s->cfg); /* no secret left in freed memory */
    free(s);
}

static const struct store_ops store_s3_ops = {
    .name = "s3",
    .put = store_s3_put,
    .get = store_s3_get,
    .list = store_s3_list,
    .where = store_s3_where,
    .free = store_s3_free,
};

struct store *store_s3_open(const char *uri, char *err, size_t errlen)
{
    struct store_s3 *s = calloc(1, sizeof *s);
    if (!s) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    s->base.ops = &store_s3_ops;
    char e[ERRBUF_LEN];
    if (store_s3_parse_uri(uri, s->bucket, sizeof s->bucket, s->prefix, sizeof s->prefix, err,
                           errlen) < 0)
        goto fail;
    store_s3_where(&s->base, NULL, s->uri, sizeof s->uri);
    if (aws_config_load(&s->cfg, e, sizeof e) < 0) {
        errbuf_set(err, errlen, "%s: %s", s->uri, e);
        goto fail;
    }
    s->path_style = s->cfg.endpoint[0] || strchr(s->bucket, '.');
    const char *mk = getenv("MESHPERF_S3_MAX_KEYS");
    if (mk && mk[0]) {
        char *end;
        long v = strtol(mk, &end, 10);
        if (*end || v < 1 || v > 1000) {
            errbuf_set(err, errlen, "env MESHPERF_S3_MAX_KEYS: want 1..1000, got '%s'", mk);
            goto fail;
        }
        s->max_keys = (int)v;
    }
    if (!(s->curl = curl_easy_init())) {
        errbuf_set(err, errlen, "%s: cannot start libcurl", s->uri);
        goto fail;
    }
    return &s->base;
fail:
    store_s3_free(&s->base);
    return NULL;
}
