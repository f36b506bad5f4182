/* render_tls.c: the PEM text of render_tls.h, read from a `meshperf certs`
 * directory (each file capped at RENDER_TLS_FILE_MAX and checked to hold a
 * PEM block of the right kind) or made by pki_new; each chain is the leaf
 * followed by the CA, as App Mesh's file certificates expect. */
#include "platform/render_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/errbuf.h"
#include "model/topology.h"
#include "platform/pki.h"

static void wipe_free(char *s)
{
    if (s) explicit_bzero(s, strlen(s));
    free(s);
}

void render_tls_free(struct render_tls *m)
{
    if (!m) return;
    free(m->ca);
    for (size_t i = 0; i < m->n; i++) {
        if (m->chain) free(m->chain[i]);
        if (m->key) wipe_free(m->key[i]);
    }
    free(m->chain);
    free(m->key);
    free(m->client_chain);
    wipe_free(m->client_key);
    free(m);
}

/* leaf then ca, each ending in a newline; NULL on out of memory. */
static char *chain_of(const char *leaf, const char *ca)
{
    size_t a = strlen(leaf), b = strlen(ca);
    bool nl = a > 0 && leaf[a - 1] == '\n';
    char *s = malloc(a + !nl + b + 2);
    if (!s) return NULL;
    memcpy(s, leaf, a);
    if (!nl) s[a++] = '\n';
    memcpy(s + a, ca, b);
    if (b > 0 && ca[b - 1] != '\n') s[a + b++] = '\n';
    s[a + b] = '\0';
    return s;
}

/* dir/name into *out (NUL-terminated), checking it holds "-----BEGIN <what>".
 * 0, or -1 with err naming the path. */
static int read_pem(const char *dir, const char *name, bool key, char **out, char *err,
                    size_t errlen)
{
    char path[4096];
    *out = NULL;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return errbuf_set(err, errlen, "%s/%s: path too long", dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errbuf_set(err, errlen, "%s: cannot read: %s", path, strerror(errno));
    struct buf b;
    buf_init(&b, RENDER_TLS_FILE_MAX);
    int e = 0;
    for (;;) {
        if (buf_reserve(&b, 4096) < 0) {
            e = EFBIG;
            break;
        }
        ssize_t r = read(fd, b.data + b.len, 4096);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) e = errno;
        if (r <= 0) break;
        b.len += (size_t)r;
        b.data[b.len] = '\0';
    }
    close(fd);
    if (e) {
        if (key && b.data) explicit_bzero(b.data, b.len);
        buf_free(&b);
        if (e == EFBIG)
            return errbuf_set(err, errlen, "%s: larger than %u bytes", path, RENDER_TLS_FILE_MAX);
        return errbuf_set(err, errlen, "%s: cannot read: %s", path, strerror(e));
    }
    bool good = false;
    if (b.data && key)
        good = strstr(b.data, "-----BEGIN") && strstr(b.data, "PRIVATE KEY-----");
    else if (b.data)
        good = strstr(b.data, "-----BEGIN CERTIFICATE-----") != NULL;
    if (!good) {
        if (key && b.data) explicit_bzero(b.data, b.len);
        buf_free(&b);
        return errbuf_set(err, errlen, "%s: not a PEM %s", path,
                          key ? "private key" : "certificate");
    }
    *out = b.data;
    return 0;
}

static struct render_tls *alloc_tls(size_t n)
{
    struct render_tls *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->n = n;
    m->chain = calloc(n ? n : 1, sizeof *m->chain);
    m->key = calloc(n ? n : 1, sizeof *m->key);
    if (!m->chain || !m->key) {
        render_tls_free(m);
        return NULL;
    }
    return m;
}

static struct render_tls *from_dir(const struct topology *t, const char *dir, char *err,
                                   size_t errlen)
{
    size_t n = topology_count(t);
    struct render_tls *m = alloc_tls(n);
    if (!m) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    char name[TOPOLOGY_NAME_MAX + 16];
    char *cert = NULL;
    int rc = read_pem(dir, "ca.crt", false, &m->ca, err, errlen);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        snprintf(name, sizeof name, "node-%s.crt", topology_name(t, i));
        rc = read_pem(dir, name, false, &cert, err, errlen);
        if (rc == 0 && !(m->chain[i] = chain_of(cert, m->ca)))
            rc = errbuf_set(err, errlen, "out of memory");
        free(cert);
        cert = NULL;
        snprintf(name, sizeof name, "node-%s.key", topology_name(t, i));
        if (rc == 0) rc = read_pem(dir, name, true, &m->key[i], err, errlen);
    }
    if (rc == 0) rc = read_pem(dir, "client.crt", false, &cert, err, errlen);
    if (rc == 0 && !(m->client_chain = chain_of(cert, m->ca)))
        rc = errbuf_set(err, errlen, "out of memory");
    free(cert);
    if (rc == 0) rc = read_pem(dir, "client.key", true, &m->client_key, err, errlen);
    if (rc < 0) {
        render_tls_free(m);
        return NULL;
    }
    return m;
}

static struct render_tls *fresh(const struct topology *t, const char *ns, char *err, size_t errlen)
{
    size_t n = topology_count(t);
    const char **names = calloc(n ? n : 1, sizeof *names);
    struct render_tls *m = alloc_tls(n);
    if (!names || !m) {
        free(names);
        render_tls_free(m);
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        names[i] = topology_name(t, i);
    struct pki_opts po = {names, n, ns, false, 0};
    struct pki *p = pki_new(&po, err, errlen);
    free(names);
    if (!p) {
        render_tls_free(m);
        return NULL;
    }
    bool ok = (m->ca = strdup(p->ca.cert)) != NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = (m->chain[i] = chain_of(p->nodes[i].cert, p->ca.cert)) &&
             (m->key[i] = strdup(p->nodes[i].key));
    ok = ok && (m->client_chain = chain_of(p->client.cert, p->ca.cert)) &&
         (m->client_key = strdup(p->client.key));
    pki_free(p);
    if (!ok) {
        render_tls_free(m);
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    return m;
}

struct render_tls *render_tls_load(const struct topology *t, const char *ns, const char *dir,
                                   char *err, size_t errlen)
{
    return dir ? from_dir(t, dir, err, errlen) : fresh(t, ns, err, errlen);
}
