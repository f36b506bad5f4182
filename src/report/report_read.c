/* report_read.c: find runs and parse fortio.json and metric CSVs (see
 * report_read.h).
 *
 * Discovery lists each directory once (scandir, sorted by name): a
 * directory holding fortio.json, config.json or a *.csv is a run, and its
 * listing is handed to report_read_run, so nothing is listed or read twice.
 * Files are read whole into memory (capped at READ_MAX) and parsed there.
 * JSON: jansson, with looser types accepted (numbers as strings). CSV: a
 * small RFC 4180 reader (quoted cells, doubled quotes, CRLF), one scratch
 * buffer per file; rows are grouped into series by their label cells. */
#include "report/report_read.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/errbuf.h"

#define READ_MAX     (256u << 20) /* largest file read */
#define CSV_MAX_COLS 4096
#define MAX_DEPTH    4

void report_read_warn(struct report_run *run, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t old = run->warn ? strlen(run->warn) : 0;
    char *w = realloc(run->warn, old + strlen(line) + 3);
    if (!w) return;
    if (old)
        strcpy(w + old, "; "), strcpy(w + old + 2, line);
    else
        strcpy(w, line);
    run->warn = w;
}

size_t report_read_node(const char *s, char *out, size_t outlen)
{
    for (const char *p = s; (p = strstr(p, "node-")) != NULL; p++) {
        const char *d = p + 5;
        size_t nd = 0;
        while (d[nd] >= '0' && d[nd] <= '9')
            nd++;
        if (!nd || 5 + nd + 1 > outlen) continue;
        memcpy(out, p, 5 + nd);
        out[5 + nd] = '\0';
        return 5 + nd;
    }
    return 0;
}

/* Read a whole file. Returns malloc'd NUL-terminated text (length in *len),
 * or NULL with errno set (EFBIG past READ_MAX). */
static char *slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat st;
    if (fstat(fd, &st) < 0 || (size_t)st.st_size > READ_MAX) {
        int e = errno ? errno : EFBIG;
        if ((size_t)st.st_size > READ_MAX) e = EFBIG;
        close(fd);
        errno = e;
        return NULL;
    }
    size_t cap = (size_t)st.st_size, n = 0;
    char *b = malloc(cap + 1);
    if (!b) {
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    for (;;) {
        if (n == cap) break;
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            free(b);
            close(fd);
            errno = e;
            return NULL;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    b[n] = '\0';
    *len = n;
    return b;
}

/* ---- fortio.json ---- */

static const char *jtype(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    default:
        return "null";
    }
}

static int parse_num(const char *s, double *out)
{
    char *end;
    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s) return -1;
    errno = 0;
    double x = strtod(s, &end);
    while (*end == ' ' || *end == '\t' || *end == '\r')
        end++;
    if (end == s || *end) return -1;
    *out = x;
    return 0;
}

/* A number, or a string holding one. 0 or -1. */
static int jnum(const json_t *v, double *out)
{
    if (json_is_integer(v)) {
        *out = (double)json_integer_value(v);
        return 0;
    }
    if (json_is_real(v)) {
        *out = json_real_value(v);
        return 0;
    }
    if (json_is_string(v)) return parse_num(json_string_value(v), out);
    return -1;
}

/* obj[key] as a number into *out. 1 set, 0 absent or null, -1 wrong type. */
static int get_num(const json_t *obj, const char *key, const char *path, double *out, char *err,
                   size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) return 0;
    if (jnum(v, out) < 0) {
        if (json_is_string(v))
            return errbuf_set(err, errlen, "%s.%s: expected a number, got string \"%.40s\"", path,
                              key, json_string_value(v));
        return errbuf_set(err, errlen, "%s.%s: expected a number, got %s", path, key, jtype(v));
    }
    return 1;
}

static int read_hist(const json_t *h, struct report_run *run, char *err, size_t errlen)
{
    const char *path = "$.DurationHistogram";
    if (!json_is_object(h))
        return errbuf_set(err, errlen, "%s: expected an object, got %s", path, jtype(h));
    if (get_num(h, "Count", path, &run->count, err, errlen) < 0) return -1;
    if (get_num(h, "Min", path, &run->min, err, errlen) < 0) return -1;
    if (get_num(h, "Max", path, &run->max, err, errlen) < 0) return -1;
    json_t *data = json_object_get(h, "Data");
    if (data && !json_is_null(data)) {
        if (!json_is_array(data))
            return errbuf_set(err, errlen, "%s.Data: expected an array, got %s", path, jtype(data));
        size_t n = json_array_size(data);
        run->buckets = calloc(n ? n : 1, sizeof *run->buckets);
        if (!run->buckets) return errbuf_set(err, errlen, "out of memory");
        double cum = 0;
        bool need_pct = false;
        for (size_t i = 0; i < n; i++) {
            json_t *b = json_array_get(data, i);
            char bp[64];
            snprintf(bp, sizeof bp, "%s.Data[%zu]", path, i);
            if (!json_is_object(b))
                return errbuf_set(err, errlen, "%s: expected an object, got %s", bp, jtype(b));
            struct report_bucket *k = &run->buckets[i];
            k->start = k->end = k->pct = NAN;
            double cnt = NAN;
            if (get_num(b, "Start", bp, &k->start, err, errlen) < 0 ||
                get_num(b, "End", bp, &k->end, err, errlen) < 0 ||
                get_num(b, "Percent", bp, &k->pct, err, errlen) < 0 ||
                get_num(b, "Count", bp, &cnt, err, errlen) < 0)
                return -1;
            if (isfinite(cnt)) cum += cnt;
            if (isnan(k->pct)) {
                need_pct = true;
                k->pct = cum; /* turned into a percent below */
            }
            run->nbuckets = i + 1;
        }
        if (need_pct) {
            double total = isfinite(run->count) && run->count > 0 ? run->count : cum;
            for (size_t i = 0; i < n; i++)
                run->buckets[i].pct = total > 0 ? run->buckets[i].pct / total * 100 : NAN;
        }
    }
    json_t *pc = json_object_get(h, "Percentiles");
    if (pc && !json_is_null(pc)) {
        if (!json_is_array(pc))
            return errbuf_set(err, errlen, "%s.Percentiles: expected an array, got %s", path,
                              jtype(pc));
        size_t n = json_array_size(pc);
        run->pctls = calloc(n ? n : 1, sizeof *run->pctls);
        if (!run->pctls) return errbuf_set(err, errlen, "out of memory");
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_array_get(pc, i);
            char ep[64];
            snprintf(ep, sizeof ep, "%s.Percentiles[%zu]", path, i);
            if (!json_is_object(e))
                return errbuf_set(err, errlen, "%s: expected an object, got %s", ep, jtype(e));
            double p = NAN, v = NAN;
            if (get_num(e, "Percentile", ep, &p, err, errlen) < 0 ||
                get_num(e, "Value", ep, &v, err, errlen) < 0)
                return -1;
            run->pctls[run->npctls++] = (struct report_pctl){p, v};
        }
    }
    return 0;
}

int report_read_fortio(const char *text, size_t len, struct report_run *run, char *err,
                       size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);
    if (!root)
        return errbuf_set(err, errlen, "line %d, column %d: %s", je.line, je.column, je.text);
    int rc = -1;
    if (!json_is_object(root)) {
        errbuf_set(err, errlen, "$: expected an object, got %s", jtype(root));
        goto out;
    }
    run->has_fortio = true;
    json_t *rq = json_object_get(root, "RequestedQPS");
    if (json_is_string(rq)) {
        run->requested_qps = strdup(json_string_value(rq));
    } else if (json_is_number(rq)) {
        char t[64];
        snprintf(t, sizeof t, "%.10g", json_number_value(rq));
        run->requested_qps = strdup(t);
    } else if (rq && !json_is_null(rq)) {
        errbuf_set(err, errlen, "$.RequestedQPS: expected a string or number, got %s", jtype(rq));
        goto out;
    }
    if (get_num(root, "ActualQPS", "$", &run->actual_qps, err, errlen) < 0) goto out;
    json_t *h = json_object_get(root, "DurationHistogram");
    if (h && !json_is_null(h) && read_hist(h, run, err, errlen) < 0) goto out;
    json_t *codes = json_object_get(root, "RetCodes");
    if (codes && !json_is_null(codes)) {
        if (!json_is_object(codes)) {
            errbuf_set(err, errlen, "$.RetCodes: expected an object, got %s", jtype(codes));
            goto out;
        }
        const char *key;
        json_t *v;
        run->errors = 0;
        json_object_foreach(codes, key, v)
        {
            double cnt, code;
            if (jnum(v, &cnt) < 0) {
                errbuf_set(err, errlen, "$.RetCodes.%.40s: expected a number, got %s", key,
                           jtype(v));
                goto out;
            }
            if (parse_num(key, &code) < 0) {
                errbuf_set(err, errlen, "$.RetCodes: key \"%.40s\" is not a status code", key);
                goto out;
            }
            if (!(code >= 200 && code < 300)) run->errors += cnt;
        }
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

/* ---- CSV ---- */

struct csv {
    const char *p, *end;
    int line;        /* line of the record being read (1-based) */
    struct buf cell; /* unescaped cells, each NUL-terminated */
    size_t off[CSV_MAX_COLS];
    size_t n;
};

/* Read one record. 1 read, 0 end of text, -1 error (in err). */
static int csv_record(struct csv *c, char *err, size_t errlen)
{
    if (c->p >= c->end) return 0;
    buf_reset(&c->cell);
    c->n = 0;
    int start_line = c->line;
    for (;;) {
        if (c->n == CSV_MAX_COLS)
            return errbuf_set(err, errlen, "line %d: more than %d columns", start_line,
                              CSV_MAX_COLS);
        c->off[c->n++] = c->cell.len;
        if (c->p < c->end && *c->p == '"') {
            c->p++;
            for (;;) {
                if (c->p >= c->end)
                    return errbuf_set(err, errlen, "line %d: unterminated quoted cell", start_line);
                const char *q = memchr(c->p, '"', (size_t)(c->end - c->p));
                if (!q) q = c->end;
                for (const char *x = c->p; x < q; x++)
                    if (*x == '\n') c->line++;
                if (buf_append(&c->cell, c->p, (size_t)(q - c->p)) < 0)
                    return errbuf_set(err, errlen, "line %d: cell too large", start_line);
                c->p = q;
                if (q >= c->end) continue;
                if (q + 1 < c->end && q[1] == '"') {
                    buf_append(&c->cell, "\"", 1);
                    c->p = q + 2;
                    continue;
                }
                c->p = q + 1;
                break;
            }
        } else {
            const char *q = c->p;
            while (q < c->end && *q != ',' && *q != '\n' && *q != '\r')
                q++;
            if (buf_append(&c->cell, c->p, (size_t)(q - c->p)) < 0)
                return errbuf_set(err, errlen, "line %d: cell too large", start_line);
            c->p = q;
        }
        if (buf_append(&c->cell, "", 1) < 0)
            return errbuf_set(err, errlen, "line %d: cell too large", start_line);
        if (c->p < c->end && *c->p == '\r') c->p++;
        if (c->p >= c->end) return 1;
        if (*c->p == ',') {
            c->p++;
            continue;
        }
        if (*c->p == '\n') {
            c->p++;
            c->line++;
            return 1;
        }
        return errbuf_set(err, errlen, "line %d: stray character after a quoted cell", start_line);
    }
}

static const char *cell(const struct csv *c, size_t i)
{
    return c->cell.data + c->off[i];
}

static int series_push(struct report_series *s, double ts, double nts, double v)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        double *a = realloc(s->ts, cap * sizeof *a);
        if (!a) return -1;
        s->ts = a;
        a = realloc(s->nts, cap * sizeof *a);
        if (!a) return -1;
        s->nts = a;
        a = realloc(s->v, cap * sizeof *a);
        if (!a) return -1;
        s->v = a;
        s->cap = cap;
    }
    s->ts[s->n] = ts;
    s->nts[s->n] = nts;
    s->v[s->n] = v;
    s->n++;
    return 0;
}

/* Cell i as a number; "" is NaN. 0 or -1. */
static int cell_num(const struct csv *c, size_t i, double *out)
{
    const char *s = cell(c, i);
    if (!*s) {
        *out = NAN;
        return 0;
    }
    return parse_num(s, out);
}

int report_read_csv(const char *text, size_t len, const char *name, struct report_metric *m,
                    char *err, size_t errlen)
{
    m->name = strdup(name);
    if (!m->name) return errbuf_set(err, errlen, "out of memory");
    struct csv *c = calloc(1, sizeof *c);
    if (!c) return errbuf_set(err, errlen, "out of memory");
    c->p = text;
    c->end = text + len;
    c->line = 1;
    buf_init(&c->cell, 1 << 20);
    char **keys = NULL; /* per series: label cells joined by \x1f */
    size_t nlab = 0, *lab = NULL, last = 0, cap = 0;
    int rc = -1;
    long ts_col = -1, nts_col = -1, val_col = -1;
    int r = csv_record(c, err, errlen);
    if (r < 0) goto out;
    if (r == 0) { /* empty file: no series */
        rc = 0;
        goto out;
    }
    size_t ncol = c->n;
    lab = calloc(ncol, sizeof *lab);
    if (!lab) goto nomem;
    for (size_t i = 0; i < ncol; i++) {
        const char *h = cell(c, i);
        if (!strncmp(h, "metric.", 7))
            lab[nlab++] = i;
        else if (!strcmp(h, "timestamp"))
            ts_col = (long)i;
        else if (!strcmp(h, "normalized_ts"))
            nts_col = (long)i;
        else if (!strcmp(h, name) || val_col < 0)
            val_col = (long)i;
    }
    if (val_col < 0) {
        errbuf_set(err, errlen, "line 1: no value column (want '%s')", name);
        goto out;
    }
    if (nlab) {
        m->labels = calloc(nlab, sizeof *m->labels);
        if (!m->labels) goto nomem;
        m->nlabels = nlab;
        for (size_t i = 0; i < nlab; i++)
            if (!(m->labels[i] = strdup(cell(c, lab[i]) + 7))) goto nomem;
    }
    struct buf key;
    buf_init(&key, 1 << 20);
    for (;;) {
        int line = c->line;
        r = csv_record(c, err, errlen);
        if (r <= 0) {
            rc = r;
            break;
        }
        if (c->n == 1 && !cell(c, 0)[0]) continue; /* blank line */
        if (c->n != ncol) {
            errbuf_set(err, errlen, "line %d: %zu cells, the header has %zu", line, c->n, ncol);
            break;
        }
        double ts = NAN, nts = NAN, v = NAN;
        if (ts_col >= 0 && cell_num(c, (size_t)ts_col, &ts) < 0) {
            errbuf_set(err, errlen, "line %d: column 'timestamp': not a number '%.40s'", line,
                       cell(c, (size_t)ts_col));
            break;
        }
        if (nts_col >= 0 && cell_num(c, (size_t)nts_col, &nts) < 0) {
            errbuf_set(err, errlen, "line %d: column 'normalized_ts': not a number '%.40s'", line,
                       cell(c, (size_t)nts_col));
            break;
        }
        if (cell_num(c, (size_t)val_col, &v) < 0) {
            errbuf_set(err, errlen, "line %d: column '%.60s': not a number '%.40s'", line, name,
                       cell(c, (size_t)val_col));
            break;
        }
        buf_reset(&key);
        for (size_t i = 0; i < nlab; i++) {
            if (i) buf_append(&key, "\x1f", 1);
            if (buf_puts(&key, cell(c, lab[i])) < 0) goto nomem_key;
        }
        const char *k = key.data ? key.data : "";
        size_t si = m->ns;
        if (m->ns && !strcmp(keys[last], k)) {
            si = last;
        } else {
            for (size_t i = 0; i < m->ns; i++)
                if (!strcmp(keys[i], k)) {
                    si = i;
                    break;
                }
        }
        if (si == m->ns) {
            if (m->ns == cap) {
                size_t ncap = cap ? cap * 2 : 4;
                struct report_series *ns = realloc(m->s, ncap * sizeof *ns);
                if (!ns) goto nomem_key;
                m->s = ns;
                char **nk = realloc(keys, ncap * sizeof *nk);
                if (!nk) goto nomem_key;
                keys = nk;
                cap = ncap;
            }
            struct report_series *s = &m->s[m->ns];
            memset(s, 0, sizeof *s);
            keys[m->ns] = strdup(k);
            s->lv = nlab ? calloc(nlab, sizeof *s->lv) : NULL;
            for (size_t i = 0; s->lv && i < nlab; i++)
                s->lv[i] = strdup(cell(c, lab[i]));
            struct buf nm;
            buf_init(&nm, 1 << 16);
            char node[64];
            for (size_t i = 0; i < nlab; i++) {
                const char *lv = cell(c, lab[i]);
                if (!*lv) continue;
                if (nm.len) buf_append(&nm, "/", 1);
                buf_puts(&nm, lv);
                if (!s->node && report_read_node(lv, node, sizeof node)) s->node = strdup(node);
            }
            s->name = nm.data ? nm.data : strdup(name);
            m->ns++;
            if (!keys[m->ns - 1] || !s->name || (nlab && !s->lv)) goto nomem_key;
            for (size_t i = 0; i < nlab; i++)
                if (!s->lv[i]) goto nomem_key;
        }
        last = si;
        struct report_series *s = &m->s[si];
        if (nts_col < 0) nts = s->n ? ts - s->ts[0] : 0;
        if (ts_col < 0 && nts_col < 0) nts = (double)s->n;
        if (series_push(s, ts, nts, v) < 0) goto nomem_key;
    }
    buf_free(&key);
    goto out;
nomem_key:
    buf_free(&key);
nomem:
    errbuf_set(err, errlen, "out of memory");
    rc = -1;
out:
    for (size_t i = 0; i < m->ns; i++)
        free(keys[i]);
    free(keys);
    free(lab);
    buf_free(&c->cell);
    free(c);
    return rc;
}

void report_read_metric_free(struct report_metric *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->ns; i++) {
        struct report_series *s = &m->s[i];
        free(s->name);
        free(s->node);
        for (size_t k = 0; s->lv && k < m->nlabels; k++)
            free(s->lv[k]);
        free(s->lv);
        free(s->ts);
        free(s->nts);
        free(s->v);
    }
    free(m->s);
    for (size_t k = 0; k < m->nlabels; k++)
        free(m->labels[k]);
    free(m->labels);
    free(m->name);
    memset(m, 0, sizeof *m);
}

/* ---- runs ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int report_read_run(const char *dir, const char *test, const char *ts, char *const *csvs,
                    size_t ncsv, struct report_run *run)
{
    char path[4096], err[ERRBUF_LEN];
    run->dir = strdup(dir);
    run->test = strdup(test);
    run->ts = strdup(ts);
    if (!run->dir || !run->test || !run->ts) return -1;
    run->actual_qps = run->count = run->min = run->max = run->errors = NAN;
    snprintf(path, sizeof path, "%s/fortio.json", dir);
    size_t len;
    char *text = slurp(path, &len);
    if (!text) {
        if (errno == ENOENT)
            report_read_warn(run, "missing fortio.json");
        else
            report_read_warn(run, "fortio.json: %s", strerror(errno));
    } else {
        if (report_read_fortio(text, len, run, err, sizeof err) < 0)
            report_read_warn(run, "fortio.json: %s", err);
        free(text);
    }
    run->metrics = calloc(ncsv ? ncsv : 1, sizeof *run->metrics);
    if (!run->metrics) return -1;
    for (size_t i = 0; i < ncsv; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, csvs[i]);
        char name[512];
        snprintf(name, sizeof name, "%.*s", (int)(strlen(csvs[i]) - 4), csvs[i]);
        text = slurp(path, &len);
        if (!text) {
            report_read_warn(run, "%s: %s", csvs[i], strerror(errno));
            continue;
        }
        struct report_metric *m = &run->metrics[run->nmetrics++];
        if (report_read_csv(text, len, name, m, err, sizeof err) < 0)
            report_read_warn(run, "%s: %s", csvs[i], err);
        free(text);
        if (!m->name) return -1;
    }
    return 0;
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static const char *base_name(const char *path, char *out, size_t outlen)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    size_t b = n;
    while (b > 0 && path[b - 1] != '/')
        b--;
    snprintf(out, outlen, "%.*s", (int)(n - b), path + b);
    return out;
}

static int add_run(struct report_runs *runs, const char *dir, const char *test, const char *ts,
                   char **csvs, size_t ncsv, int source)
{
    if (runs->n == runs->cap) {
        size_t cap = runs->cap ? runs->cap * 2 : 64;
        struct report_run *v = realloc(runs->v, cap * sizeof *v);
        if (!v) return -1;
        runs->v = v;
        runs->cap = cap;
    }
    struct report_run *run = &runs->v[runs->n++];
    memset(run, 0, sizeof *run);
    run->source = source;
    if (ncsv) qsort(csvs, ncsv, sizeof *csvs, cmp_str);
    return report_read_run(dir, test, ts, csvs, ncsv, run);
}

/* Visit dir (whose own name is `name`, parent's name `parent`). */
static int walk(const char *dir, const char *parent, const char *name, int depth, int source,
                struct report_runs *runs, char *err, size_t errlen)
{
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, alphasort);
    if (n < 0) {
        if (depth == 0) return errbuf_set(err, errlen, "%s: %s", dir, strerror(errno));
        return 0; /* an unreadable subdirectory is not a run */
    }
    char **csvs = calloc((size_t)n + 1, sizeof *csvs);
    size_t ncsv = 0;
    bool is_run = false;
    int rc = 0;
    if (!csvs) {
        rc = errbuf_set(err, errlen, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        const char *e = ents[i]->d_name;
        if (e[0] == '.') continue;
        if (!strcmp(e, "fortio.json") || !strcmp(e, "config.json")) is_run = true;
        if (ends_with(e, ".csv") && strlen(e) > 4 && ents[i]->d_type != DT_DIR) {
            is_run = true;
            csvs[ncsv++] = ents[i]->d_name;
        }
    }
    if (is_run) {
        if (add_run(runs, dir, parent, name, csvs, ncsv, source) < 0)
            rc = errbuf_set(err, errlen, "out of memory");
        goto out;
    }
    if (depth >= MAX_DEPTH) goto out;
    for (int i = 0; i < n && rc == 0; i++) {
        const char *e = ents[i]->d_name;
        if (e[0] == '.') continue;
        if (ents[i]->d_type != DT_DIR && ents[i]->d_type != DT_UNKNOWN && ents[i]->d_type != DT_LNK)
            continue;
        char sub[4096];
        if ((size_t)snprintf(sub, sizeof sub, "%s/%s", dir, e) >= sizeof sub) continue;
        struct stat st;
        if (stat(sub, &st) < 0 || !S_ISDIR(st.st_mode)) continue;
        rc = walk(sub, name, e, depth + 1, source, runs, err, errlen);
    }
out:
    free(csvs);
    for (int i = 0; i < n; i++)
        free(ents[i]);
    free(ents);
    return rc;
}

int report_read_source(const char *path, int source, struct report_runs *runs, char *err,
                       size_t errlen)
{
    struct stat st;
    if (stat(path, &st) < 0) return errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode)) return errbuf_set(err, errlen, "%s: not a directory", path);
    /* The names of path and its parent, for a run given directly as <test>/<ts>. */
    char full[4096], name[1024], parent[1024];
    if (!realpath(path, full)) snprintf(full, sizeof full, "%s", path);
    base_name(full, name, sizeof name);
    char *slash = strrchr(full, '/');
    if (slash && slash != full) {
        *slash = '\0';
        base_name(full, parent, sizeof parent);
    } else {
        snprintf(parent, sizeof parent, "%s", "");
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dir[--dl] = '\0';
    return walk(dir, parent, name, 0, source, runs, err, errlen);
}
