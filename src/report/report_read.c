/* report_read.c: find runs and parse fortio.json and metric CSVs (see
 * report_read.h).
 *
 * Discovery lists the source's store once (store_list): the keys are
 * grouped by directory, and a directory holding fortio.json, config.json or
 * a *.csv is a run (unless a directory above it is one), its files handed
 * to read_run, so nothing is listed or read twice. Objects are read
 * whole (store_get, capped at READ_MAX) and parsed in memory.
 * JSON: jansson, with looser types accepted (numbers as strings). CSV: a
 * small RFC 4180 reader (quoted cells, doubled quotes, CRLF), one scratch
 * buffer per file; rows are grouped into series by their label cells,
 * found through a hash table (linear in rows, whatever the number of
 * series; at most CSV_MAX_SERIES of them). */
#include "report/report_read.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/degraded.h"
#include "base/errbuf.h"
#include "store/store.h"

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

/* meshperf's own fields, when there (lenient: a missing or odd field stays
 * unknown): MeshperfStopped, MeshperfUnsent, and of MeshperfLate.Histogram
 * the requests whose bucket starts at DEGRADED_LATE_US or later. */
static void read_meshperf(json_t *root, struct report_run *run)
{
    run->stopped = json_is_true(json_object_get(root, "MeshperfStopped"));
    json_t *un = json_object_get(root, "MeshperfUnsent");
    if (json_is_integer(un)) run->unsent = (double)json_integer_value(un);
    json_t *late = json_object_get(root, "MeshperfLate");
    if (!json_is_object(late)) return;
    json_t *data = json_object_get(json_object_get(late, "Histogram"), "Data"), *b;
    size_t i;
    run->late_far = 0;
    json_array_foreach(data, i, b)
    {
        if (json_number_value(json_object_get(b, "Start")) * 1e6 >= DEGRADED_LATE_US - 0.5)
            run->late_far += json_number_value(json_object_get(b, "Count"));
    }
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
    read_meshperf(root, run);
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
        size_t cap = s->cap ? s->cap * 2 : 4;
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

/* Where the columns of a metric CSV are (from its header). */
struct csv_cols {
    size_t ncol;
    size_t *lab; /* the metric.<label> columns, nlab of them */
    size_t nlab;
    long ts, nts, val; /* -1 when absent (val never, once the header is read) */
};

/* The series of a metric being read: m->s[i]'s label cells joined by \x1f
 * in keys[i]; last is the series the previous row went to. */
/* The series of one CSV by key (the row's label cells joined by 0x1f): an
 * open-addressing hash table of indices into keys / m->s, kept at most half
 * full, so that finding a row's series is O(1) whatever the number of label
 * sets (a linear search made 200,000 pods quadratic). */
struct csv_index {
    char **keys;    /* keys[i] is the key of m->s[i] */
    size_t cap;     /* of keys (and m->s) */
    size_t *slots;  /* nslots entries: series index + 1, 0 = empty */
    size_t nslots;  /* a power of two, >= 2 x series */
    size_t last;    /* the series of the previous row (rows come in runs) */
    struct buf key; /* the current row's key */
};

#define CSV_MAX_SERIES (1u << 20) /* label sets in one CSV */

static size_t csv_hash(const char *k)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211u;
    return (size_t)(h ^ (h >> 29));
}

/* The slot of key k: where it is, or the empty slot where it would go. */
static size_t csv_index_slot(const struct csv_index *ix, const char *k)
{
    size_t mask = ix->nslots - 1;
    for (size_t i = csv_hash(k) & mask;; i = (i + 1) & mask)
        if (!ix->slots[i] || !strcmp(ix->keys[ix->slots[i] - 1], k)) return i;
}

/* Make room for one more key (n keys now). 0 or -1 on no memory. */
static int csv_index_grow(struct csv_index *ix, size_t n)
{
    if (2 * (n + 1) <= ix->nslots) return 0;
    size_t ns = ix->nslots ? 2 * ix->nslots : 64;
    size_t *old = ix->slots, oldn = ix->nslots;
    ix->slots = calloc(ns, sizeof *ix->slots);
    if (!ix->slots) {
        ix->slots = old;
        return -1;
    }
    ix->nslots = ns;
    for (size_t i = 0; i < oldn; i++)
        if (old[i]) ix->slots[csv_index_slot(ix, ix->keys[old[i] - 1])] = old[i];
    free(old);
    return 0;
}

/* Read the header record into cols, and the label names into m. 1 read, 0
 * empty text, -1 error (in err). */
static int csv_read_header(struct csv *c, const char *name, struct csv_cols *cols,
                           struct report_metric *m, char *err, size_t errlen)
{
    int r = csv_record(c, err, errlen);
    if (r <= 0) return r;
    cols->ncol = c->n;
    cols->ts = cols->nts = cols->val = -1;
    cols->lab = calloc(cols->ncol, sizeof *cols->lab);
    if (!cols->lab) return errbuf_set(err, errlen, "out of memory");
    for (size_t i = 0; i < cols->ncol; i++) {
        const char *h = cell(c, i);
        if (!strncmp(h, "metric.", 7))
            cols->lab[cols->nlab++] = i;
        else if (!strcmp(h, "timestamp"))
            cols->ts = (long)i;
        else if (!strcmp(h, "normalized_ts"))
            cols->nts = (long)i;
        else if (!strcmp(h, name) || cols->val < 0)
            cols->val = (long)i;
    }
    if (cols->val < 0) return errbuf_set(err, errlen, "line 1: no value column (want '%s')", name);
    if (!cols->nlab) return 1;
    m->labels = calloc(cols->nlab, sizeof *m->labels);
    if (!m->labels) return errbuf_set(err, errlen, "out of memory");
    m->nlabels = cols->nlab;
    for (size_t i = 0; i < cols->nlab; i++)
        if (!(m->labels[i] = strdup(cell(c, cols->lab[i]) + 7)))
            return errbuf_set(err, errlen, "out of memory");
    return 1;
}

/* The timestamp, normalized_ts and value cells of the current row. 0 or -1
 * with err naming line and column. */
static int csv_row_values(const struct csv *c, const struct csv_cols *cols, const char *name,
                          int line, double *ts, double *nts, double *v, char *err, size_t errlen)
{
    *ts = *nts = *v = NAN;
    if (cols->ts >= 0 && cell_num(c, (size_t)cols->ts, ts) < 0)
        return errbuf_set(err, errlen, "line %d: column 'timestamp': not a number '%.40s'", line,
                          cell(c, (size_t)cols->ts));
    if (cols->nts >= 0 && cell_num(c, (size_t)cols->nts, nts) < 0)
        return errbuf_set(err, errlen, "line %d: column 'normalized_ts': not a number '%.40s'",
                          line, cell(c, (size_t)cols->nts));
    if (cell_num(c, (size_t)cols->val, v) < 0)
        return errbuf_set(err, errlen, "line %d: column '%.60s': not a number '%.40s'", line, name,
                          cell(c, (size_t)cols->val));
    return 0;
}

/* Fill a new series s from the current row's label cells: lv, name (label
 * values joined by "/", or the metric name) and node. 0, -1 on no memory. */
static int csv_series_init(struct report_series *s, const struct csv *c,
                           const struct csv_cols *cols, const char *name)
{
    memset(s, 0, sizeof *s);
    if (cols->nlab) {
        s->lv = calloc(cols->nlab, sizeof *s->lv);
        if (!s->lv) return -1;
    }
    for (size_t i = 0; i < cols->nlab; i++)
        if (!(s->lv[i] = strdup(cell(c, cols->lab[i])))) return -1;
    struct buf nm;
    buf_init(&nm, 1 << 16);
    char node[64];
    for (size_t i = 0; i < cols->nlab; i++) {
        const char *lv = cell(c, cols->lab[i]);
        if (!*lv) continue;
        if (nm.len) buf_append(&nm, "/", 1);
        buf_puts(&nm, lv);
        if (!s->node && report_read_node(lv, node, sizeof node)) s->node = strdup(node);
    }
    s->name = nm.data ? nm.data : strdup(name);
    return s->name ? 0 : -1;
}

/* The series of m the current row belongs to (by its label cells), added
 * when new. Its index, -1 on no memory, -2 past CSV_MAX_SERIES. */
static long csv_series_of_row(struct report_metric *m, struct csv_index *ix, const struct csv *c,
                              const struct csv_cols *cols, const char *name)
{
    buf_reset(&ix->key);
    for (size_t i = 0; i < cols->nlab; i++) {
        if (i) buf_append(&ix->key, "\x1f", 1);
        if (buf_puts(&ix->key, cell(c, cols->lab[i])) < 0) return -1;
    }
    const char *k = ix->key.data ? ix->key.data : "";
    if (m->ns && !strcmp(ix->keys[ix->last], k)) return (long)ix->last;
    if (ix->nslots) {
        size_t slot = csv_index_slot(ix, k);
        if (ix->slots[slot]) return (long)(ix->last = ix->slots[slot] - 1);
    }
    if (m->ns == CSV_MAX_SERIES) return -2;
    if (csv_index_grow(ix, m->ns) < 0) return -1;
    if (m->ns == ix->cap) {
        size_t ncap = ix->cap ? ix->cap * 2 : 4;
        struct report_series *ns = realloc(m->s, ncap * sizeof *ns);
        if (!ns) return -1;
        m->s = ns;
        char **nk = realloc(ix->keys, ncap * sizeof *nk);
        if (!nk) return -1;
        ix->keys = nk;
        ix->cap = ncap;
    }
    ix->keys[m->ns] = strdup(k);
    int rc = csv_series_init(&m->s[m->ns], c, cols, name);
    m->ns++; /* counted even when incomplete, so that it is freed */
    if (rc < 0 || !ix->keys[m->ns - 1]) return -1;
    ix->slots[csv_index_slot(ix, k)] = m->ns;
    return (long)(ix->last = m->ns - 1);
}

/* Read the data rows into m. 0 at the end of the text, -1 with err. */
static int csv_read_rows(struct csv *c, const struct csv_cols *cols, const char *name,
                         struct report_metric *m, struct csv_index *ix, char *err, size_t errlen)
{
    for (;;) {
        int line = c->line;
        int r = csv_record(c, err, errlen);
        if (r <= 0) return r;
        if (c->n == 1 && !cell(c, 0)[0]) continue; /* blank line */
        if (c->n != cols->ncol)
            return errbuf_set(err, errlen, "line %d: %zu cells, the header has %zu", line, c->n,
                              cols->ncol);
        double ts, nts, v;
        if (csv_row_values(c, cols, name, line, &ts, &nts, &v, err, errlen) < 0) return -1;
        long si = csv_series_of_row(m, ix, c, cols, name);
        if (si == -2)
            return errbuf_set(err, errlen, "line %d: more than %u label sets", line,
                              CSV_MAX_SERIES);
        if (si < 0) return errbuf_set(err, errlen, "out of memory");
        struct report_series *s = &m->s[si];
        if (cols->nts < 0) nts = s->n ? ts - s->ts[0] : 0;
        if (cols->ts < 0 && cols->nts < 0) nts = (double)s->n;
        if (series_push(s, ts, nts, v) < 0) return errbuf_set(err, errlen, "out of memory");
    }
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
    struct csv_cols cols = {0};
    struct csv_index ix = {0};
    buf_init(&ix.key, 1 << 20);
    int rc = csv_read_header(c, name, &cols, m, err, errlen);
    if (rc > 0) rc = csv_read_rows(c, &cols, name, m, &ix, err, errlen);
    for (size_t i = 0; i < m->ns; i++)
        free(ix.keys[i]);
    free(ix.keys);
    free(ix.slots);
    buf_free(&ix.key);
    free(cols.lab);
    buf_free(&c->cell);
    free(c);
    return rc < 0 ? -1 : 0;
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

/* Get dir/file from st into out (reset first; NUL-terminated text on
 * success). 0 or -errno (-ENOENT: missing). */
static int read_object(struct store *st, const char *dir, const char *file, struct buf *out)
{
    char key[4096], err[ERRBUF_LEN];
    int n = snprintf(key, sizeof key, "%s%s%s", dir, dir[0] ? "/" : "", file);
    if (n < 0 || (size_t)n >= sizeof key) return -ENAMETOOLONG;
    buf_reset(out);
    return store_get(st, key, out, err, sizeof err);
}

/* Read the run in directory dir of st ("" for the top): fortio.json and
 * every *.csv listed in csvs (ncsv file names, without the directory). run
 * must be zeroed; test and ts are copied, run->dir is store_where(dir).
 * Missing or bad objects never fail the call: they are noted in run->warn.
 * Returns 0, or -1 on no memory. */
static int read_run(struct store *st, const char *dir, const char *test, const char *ts,
                    const char *const *csvs, size_t ncsv, struct report_run *run)
{
    char err[ERRBUF_LEN], where[4096];
    run->dir = strdup(store_where(st, dir, where, sizeof where));
    run->test = strdup(test);
    run->ts = strdup(ts);
    if (!run->dir || !run->test || !run->ts) return -1;
    run->actual_qps = run->count = run->min = run->max = run->errors = NAN;
    run->late_far = run->unsent = NAN;
    struct buf text;
    buf_init(&text, READ_MAX);
    int rc = read_object(st, dir, "fortio.json", &text);
    if (rc == -ENOENT)
        report_read_warn(run, "missing fortio.json");
    else if (rc == -EINVAL || rc == -EISDIR) /* a FIFO, device or directory: never read */
        report_read_warn(run, "fortio.json: not a regular file");
    else if (rc < 0)
        report_read_warn(run, "fortio.json: %s", strerror(-rc));
    else if (report_read_fortio(text.data, text.len, run, err, sizeof err) < 0)
        report_read_warn(run, "fortio.json: %s", err);
    run->metrics = calloc(ncsv ? ncsv : 1, sizeof *run->metrics);
    if (!run->metrics) {
        buf_free(&text);
        return -1;
    }
    for (size_t i = 0; i < ncsv; i++) {
        char name[512];
        snprintf(name, sizeof name, "%.*s", (int)(strlen(csvs[i]) - 4), csvs[i]);
        if ((rc = read_object(st, dir, csvs[i], &text)) < 0) {
            report_read_warn(run, "%s: %s", csvs[i],
                             rc == -EINVAL || rc == -EISDIR ? "not a regular file" : strerror(-rc));
            continue;
        }
        struct report_metric *m = &run->metrics[run->nmetrics++];
        if (report_read_csv(text.data, text.len, name, m, err, sizeof err) < 0)
            report_read_warn(run, "%s: %s", csvs[i], err);
        if (!m->name) {
            buf_free(&text);
            return -1;
        }
    }
    buf_free(&text);
    return 0;
}

/* The last segment of path (trailing slashes ignored), and with parent set
 * the one before it ("" when none), into out. */
static const char *path_segment(const char *path, bool parent, char *out, size_t outlen)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    size_t b = n;
    while (b > 0 && path[b - 1] != '/')
        b--;
    if (parent) {
        n = b;
        while (n > 1 && path[n - 1] == '/')
            n--;
        if (n == b) n = 0; /* no parent segment */
        b = n;
        while (b > 0 && path[b - 1] != '/')
            b--;
    }
    snprintf(out, outlen, "%.*s", (int)(n - b), path + b);
    return out;
}

/* A key's directory and file name. */
struct run_file {
    char *dir;        /* the key up to its last '/' ("" at the top) */
    const char *file; /* the rest (points into dir's copy of the key) */
};

static int run_file_cmp(const void *pa, const void *pb)
{
    const struct run_file *a = pa, *b = pb;
    int c = strcmp(a->dir, b->dir);
    return c ? c : strcmp(a->file, b->file);
}

/* Does key name a file that makes its directory a run (fortio.json,
 * config.json, *.csv), at most MAX_DEPTH directories down, with no
 * segment starting with '.'? */
static bool is_run_file(const char *key)
{
    int depth = 0;
    for (const char *p = key;; depth++) {
        if (*p == '.') return false;
        const char *slash = strchr(p, '/');
        if (!slash) {
            size_t n = strlen(p);
            return depth <= MAX_DEPTH && (!strcmp(p, "fortio.json") || !strcmp(p, "config.json") ||
                                          (n > 4 && !strcmp(p + n - 4, ".csv")));
        }
        p = slash + 1;
    }
}

/* Is a proper ancestor directory of dir in the sorted array files[0..n)?
 * (A run's subdirectories are not searched for runs.) */
static bool has_run_ancestor(const char *dir, const struct run_file *files, size_t n)
{
    char anc[4096];
    snprintf(anc, sizeof anc, "%s", dir);
    for (;;) {
        if (!anc[0]) return false;
        char *slash = strrchr(anc, '/');
        if (slash)
            *slash = '\0';
        else
            anc[0] = '\0';
        struct run_file k = {anc, ""};
        size_t lo = 0, hi = n; /* the first entry with dir >= anc */
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (run_file_cmp(&files[mid], &k) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < n && !strcmp(files[lo].dir, anc)) return true;
    }
}

/* The run files of list, sorted by directory then name, into *out (*n of
 * them). Free each dir and the array. 0 or -1 on no memory. */
static int run_files(const struct store_list *list, struct run_file **out, size_t *n)
{
    struct run_file *v = calloc(list->n ? list->n : 1, sizeof *v);
    *out = v;
    *n = 0;
    if (!v) return -1;
    for (size_t i = 0; i < list->n; i++) {
        if (!is_run_file(list->v[i].key)) continue;
        const char *key = list->v[i].key;
        size_t kl = strlen(key);
        char *dir = malloc(kl + 2); /* room for "" + the name at the top */
        if (!dir) return -1;
        memcpy(dir, key, kl + 1);
        char *slash = strrchr(dir, '/');
        if (slash) {
            *slash = '\0';
            v[*n] = (struct run_file){dir, slash + 1};
        } else {
            memcpy(dir + 1, key, kl + 1);
            dir[0] = '\0';
            v[*n] = (struct run_file){dir, dir + 1};
        }
        ++*n;
    }
    if (*n) qsort(v, *n, sizeof *v, run_file_cmp);
    return 0;
}

/* Append a zeroed run to runs. NULL on no memory. */
static struct report_run *add_run(struct report_runs *runs)
{
    if (runs->n == runs->cap) {
        size_t cap = runs->cap ? runs->cap * 2 : 64;
        struct report_run *v = realloc(runs->v, cap * sizeof *v);
        if (!v) return NULL;
        runs->v = v;
        runs->cap = cap;
    }
    struct report_run *run = &runs->v[runs->n++];
    memset(run, 0, sizeof *run);
    return run;
}

const char *report_read_mode(const char *name)
{
    static const char *const modes[] = {"baseline", "both", "serveronly", "clientonly"};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (!strcmp(name, modes[i])) return modes[i];
    return NULL;
}

/* run's mode from its key dir ("<mode>/<test>/<ts>": family source) or,
 * for "<test>/<ts>", from the last segment of the source path (family
 * -1). 0 or -1 on no memory. */
static int run_mode(struct report_run *run, const char *path, const char *dir, int source)
{
    char seg[256];
    const char *mode = NULL;
    run->family = -1;
    const char *s1 = strchr(dir, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
    if (s1 && s2 && !strchr(s2 + 1, '/') && (size_t)(s1 - dir) < sizeof seg) {
        snprintf(seg, sizeof seg, "%.*s", (int)(s1 - dir), dir);
        if ((mode = report_read_mode(seg))) run->family = source;
    } else if (s1 && !s2) {
        mode = report_read_mode(path_segment(path, false, seg, sizeof seg));
    }
    if (mode && !(run->mode = strdup(mode))) return -1;
    return 0;
}

/* Read the run in directory files[0].dir, whose run files are files[0..n),
 * naming it from its key (or from the source path for the top directory). */
static int read_one_run(struct store *st, const char *path, int source,
                        const struct run_file *files, size_t n, struct report_runs *runs)
{
    const char *dir = files[0].dir;
    char test[1024], ts[1024], full[4096];
    if (!dir[0]) {
        path_segment(path, true, test, sizeof test);
        path_segment(path, false, ts, sizeof ts);
    } else {
        /* the top directory's name stands above a run one level down */
        snprintf(full, sizeof full, "%s/%s", path, dir);
        path_segment(full, true, test, sizeof test);
        path_segment(full, false, ts, sizeof ts);
    }
    const char **csvs = calloc(n, sizeof *csvs);
    if (!csvs) return -1;
    size_t ncsv = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(files[i].file);
        if (l > 4 && !strcmp(files[i].file + l - 4, ".csv")) csvs[ncsv++] = files[i].file;
    }
    if (ncsv) qsort(csvs, ncsv, sizeof *csvs, cmp_str);
    struct report_run *run = add_run(runs);
    int rc = -1;
    if (run) {
        run->source = source;
        rc = read_run(st, dir, test, ts, csvs, ncsv, run);
        if (rc == 0 && (!(run->key = strdup(dir)) || run_mode(run, path, dir, source) < 0)) rc = -1;
    }
    free(csvs);
    return rc;
}

int report_read_source(struct store *st, const char *path, int source, struct report_runs *runs,
                       char *err, size_t errlen)
{
    struct store_list *list;
    if (store_list(st, "", &list, err, errlen) < 0) return -1;
    struct run_file *files;
    size_t n;
    int rc = run_files(list, &files, &n);
    for (size_t i = 0; rc == 0 && i < n;) {
        size_t j = i + 1;
        while (j < n && !strcmp(files[j].dir, files[i].dir))
            j++;
        if (!has_run_ancestor(files[i].dir, files, n))
            rc = read_one_run(st, path, source, files + i, j - i, runs);
        i = j;
    }
    if (rc < 0) errbuf_set(err, errlen, "out of memory");
    for (size_t i = 0; files && i < n; i++)
        free(files[i].dir);
    free(files);
    store_list_free(list);
    return rc;
}
