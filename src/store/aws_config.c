/* aws_config.c: AWS credentials, region and endpoint from the environment
 * and ~/.aws (see aws_config.h for the order).
 *
 * Each shared file is read whole (at most AWS_CONFIG_FILE_MAX bytes) into a
 * capped buffer and searched with aws_config_ini_get, which walks the text
 * line by line without copying it. A missing file is not an error (the AWS
 * tools do not require one); an unreadable one is. */
#include "store/aws_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/errbuf.h"

#define AWS_CONFIG_FILE_MAX (1u << 20)

/* s[0..n) without leading and trailing blanks: *start, returns the length. */
static size_t aws_config_trim(const char *s, size_t n, const char **start)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    *start = s;
    return n;
}

int aws_config_ini_get(const char *text, const char *section, const char *key, char *out,
                       size_t outlen)
{
    size_t slen = strlen(section), klen = strlen(key);
    int in = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        const char *line = p;
        p = nl ? nl + 1 : p + n;
        int indented = n && (line[0] == ' ' || line[0] == '\t');
        const char *t;
        size_t tn = aws_config_trim(line, n, &t);
        if (!tn || t[0] == '#' || t[0] == ';') continue;
        if (t[0] == '[') {
            if (t[tn - 1] != ']') {
                in = 0;
                continue;
            }
            const char *name;
            size_t nn = aws_config_trim(t + 1, tn - 2, &name);
            in = nn == slen && !memcmp(name, section, slen);
            continue;
        }
        if (!in || indented) continue;
        const char *eq = memchr(t, '=', tn);
        if (!eq) continue;
        const char *name, *val;
        size_t nn = aws_config_trim(t, (size_t)(eq - t), &name);
        size_t vn = aws_config_trim(eq + 1, tn - (size_t)(eq + 1 - t), &val);
        if (nn != klen || memcmp(name, key, klen)) continue;
        if (vn >= outlen) return -1;
        memcpy(out, val, vn);
        out[vn] = '\0';
        return 1;
    }
    return 0;
}

/* The file at path into b (NUL-terminated). 1 read, 0 missing, -1 with err. */
static int aws_config_read(const char *path, struct buf *b, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) return 0;
    if (fd < 0) return errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
    int rc = buf_reserve(b, 4096);
    while (!rc) {
        char chunk[4096];
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            rc = -errno;
            break;
        }
        if (r == 0) break;
        rc = buf_append(b, chunk, (size_t)r);
    }
    close(fd);
    if (rc) {
        return errbuf_set(err, errlen, "%s: %s", path,
                          rc == -ENOBUFS ? "larger than 1 MiB" : strerror(-rc));
    }
    b->data[b->len] = '\0';
    return 1;
}

static const char *aws_config_env(const char *name)
{
    const char *v = getenv(name);
    return v && v[0] ? v : NULL;
}

/* The path in env var name, else $HOME/.aws/<file>, into out. */
static void aws_config_path(const char *name, const char *file, char *out, size_t outlen)
{
    const char *v = aws_config_env(name);
    const char *home = aws_config_env("HOME");
    if (v)
        snprintf(out, outlen, "%s", v);
    else
        snprintf(out, outlen, "%s/.aws/%s", home ? home : "", file);
}

/* Copy a value with a bound check. 0 or -1 with err naming what. */
static int aws_config_set(char *dst, size_t dstlen, const char *v, const char *what, char *err,
                          size_t errlen)
{
    if (strlen(v) >= dstlen) return errbuf_set(err, errlen, "%s: too long", what);
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

/* Credentials (and what else the section holds) from one INI text. 1 found
 * (both keys), 0 not there, -1 with err. */
static int aws_config_creds_from(struct aws_config *c, const char *text, const char *section,
                                 const char *path, char *err, size_t errlen)
{
    int a =
        aws_config_ini_get(text, section, "aws_access_key_id", c->access_key, sizeof c->access_key);
    int s = aws_config_ini_get(text, section, "aws_secret_access_key", c->secret_key,
                               sizeof c->secret_key);
    if (a < 0 || s < 0)
        return errbuf_set(err, errlen, "%s: [%s]: a credential value is too long", path, section);
    if (a == 0 && s == 0) return 0;
    if (a == 0 || s == 0)
        return errbuf_set(err, errlen, "%s: [%s]: has %s but not %s", path, section,
                          a ? "aws_access_key_id" : "aws_secret_access_key",
                          a ? "aws_secret_access_key" : "aws_access_key_id");
    c->session_token[0] = '\0';
    if (aws_config_ini_get(text, section, "aws_session_token", c->session_token,
                           sizeof c->session_token) < 0)
        return errbuf_set(err, errlen, "%s: [%s]: aws_session_token is too long", path, section);
    snprintf(c->creds_where, sizeof c->creds_where, "%s", path);
    c->creds_from = c->creds_where;
    return 1;
}

/* Drop a trailing '/' from the endpoint and check its scheme. */
static int aws_config_endpoint(struct aws_config *c, const char *v, const char *what, char *err,
                               size_t errlen)
{
    if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
        return errbuf_set(err, errlen, "%s: must be an http(s) URL", what);
    if (aws_config_set(c->endpoint, sizeof c->endpoint, v, what, err, errlen) < 0) return -1;
    size_t n = strlen(c->endpoint);
    while (n && c->endpoint[n - 1] == '/')
        c->endpoint[--n] = '\0';
    if (strchr(strchr(c->endpoint, ':') + 3, '/'))
        return errbuf_set(err, errlen, "%s: an endpoint takes no path", what);
    return 0;
}

int aws_config_load(struct aws_config *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    const char *profile = aws_config_env("AWS_PROFILE");
    if (!profile) profile = "default";
    if (aws_config_set(c->profile, sizeof c->profile, profile, "AWS_PROFILE", err, errlen) < 0)
        return -1;
    char cred_path[1024], conf_path[1024], conf_section[160];
    aws_config_path("AWS_SHARED_CREDENTIALS_FILE", "credentials", cred_path, sizeof cred_path);
    aws_config_path("AWS_CONFIG_FILE", "config", conf_path, sizeof conf_path);
    if (!strcmp(profile, "default"))
        snprintf(conf_section, sizeof conf_section, "default");
    else
        snprintf(conf_section, sizeof conf_section, "profile %s", profile);

    struct buf cred, conf;
    buf_init(&cred, AWS_CONFIG_FILE_MAX);
    buf_init(&conf, AWS_CONFIG_FILE_MAX);
    int rc = -1;
    int have_cred = aws_config_read(cred_path, &cred, err, errlen);
    int have_conf = have_cred < 0 ? -1 : aws_config_read(conf_path, &conf, err, errlen);
    if (have_cred < 0 || have_conf < 0) goto out;

    /* credentials */
    const char *ak = aws_config_env("AWS_ACCESS_KEY_ID");
    const char *sk = aws_config_env("AWS_SECRET_ACCESS_KEY");
    int found = 0;
    if (ak || sk) {
        if (!ak || !sk) {
            errbuf_set(err, errlen, "%s is set but %s is not",
                       ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                       ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
            goto out;
        }
        const char *tok = aws_config_env("AWS_SESSION_TOKEN");
        if (aws_config_set(c->access_key, sizeof c->access_key, ak, "AWS_ACCESS_KEY_ID", err,
                           errlen) < 0 ||
            aws_config_set(c->secret_key, sizeof c->secret_key, sk, "AWS_SECRET_ACCESS_KEY", err,
                           errlen) < 0 ||
            aws_config_set(c->session_token, sizeof c->session_token, tok ? tok : "",
                           "AWS_SESSION_TOKEN", err, errlen) < 0)
            goto out;
        c->creds_from = "environment";
        found = 1;
    }
    if (!found && have_cred)
        found = aws_config_creds_from(c, cred.data, profile, cred_path, err, errlen);
    if (!found && have_conf)
        found = aws_config_creds_from(c, conf.data, conf_section, conf_path, err, errlen);
    if (found < 0) goto out;
    if (!found) {
        errbuf_set(err, errlen,
                   "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
                   "add profile '%s' to %s",
                   profile, cred_path);
        goto out;
    }

    /* region */
    const char *region = aws_config_env("AWS_REGION");
    if (!region) region = aws_config_env("AWS_DEFAULT_REGION");
    if (region) {
        if (aws_config_set(c->region, sizeof c->region, region, "AWS_REGION", err, errlen) < 0)
            goto out;
    } else if (!have_conf || aws_config_ini_get(conf.data, conf_section, "region", c->region,
                                                sizeof c->region) != 1) {
        snprintf(c->region, sizeof c->region, "us-east-1");
    }
    if (strspn(c->region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(c->region) ||
        !c->region[0]) {
        errbuf_set(err, errlen, "region '%s': want letters, digits and '-' (e.g. eu-west-1)",
                   c->region);
        goto out;
    }

    /* endpoint */
    const char *ep = aws_config_env("AWS_ENDPOINT_URL_S3");
    const char *what = "AWS_ENDPOINT_URL_S3";
    if (!ep) ep = aws_config_env("AWS_ENDPOINT_URL"), what = "AWS_ENDPOINT_URL";
    char conf_ep[1024];
    if (!ep && have_conf &&
        aws_config_ini_get(conf.data, conf_section, "endpoint_url", conf_ep, sizeof conf_ep) == 1)
        ep = conf_ep, what = "endpoint_url";
    if (ep && aws_config_endpoint(c, ep, what, err, errlen) < 0) goto out;
    rc = 0;
out:
    if (rc < 0) memset(c->secret_key, 0, sizeof c->secret_key);
    buf_free(&cred);
    buf_free(&conf);
    return rc;
}
