/* render_yaml.c: the block-style YAML emitter of render_yaml.h.
 *
 * A stack of frames, one per open container. A container's own line
 * ("key:" or an item's "- ") is written lazily, when its first child is,
 * so that an empty one can still become "key: {}" or vanish
 * (render_yaml_map_opt). Writing a child line first opens every ancestor
 * that is not open yet, outermost first; an item map's first child takes
 * the "- " prefix. Scalars choose plain, double-quoted or literal-block
 * style by the rules at the top of render_yaml.h. */
#include "platform/render_yaml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void fail(struct render_yaml *y, int err)
{
    if (!y->err) y->err = err;
}

static void put(struct render_yaml *y, const char *s, size_t n)
{
    if (y->err) return;
    int rc = buf_append(&y->out, s, n);
    if (rc < 0) fail(y, rc);
}

static void puts_(struct render_yaml *y, const char *s)
{
    put(y, s, strlen(s));
}

static void spaces(struct render_yaml *y, int n)
{
    static const char sp[] = "                                                                ";
    while (n > 0) {
        int k = n < (int)sizeof sp - 1 ? n : (int)sizeof sp - 1;
        put(y, sp, (size_t)k);
        n -= k;
    }
}

void render_yaml_init(struct render_yaml *y, size_t max)
{
    memset(y, 0, sizeof *y);
    buf_init(&y->out, max);
    y->depth = 1;
    y->f[0].opened = true; /* the root map has no line of its own */
    y->f[0].indent = 0;
}

/* ---- scalars ---- */

static bool special_word(const char *s)
{
    static const char *const words[] = {"y",    "n",     "yes",  "no", "on", "off",
                                        "true", "false", "null", "~",  NULL};
    for (const char *const *w = words; *w; w++)
        if (!strcasecmp(s, *w)) return true;
    return !strcmp(s, "=") || !strcmp(s, "<<");
}

static bool alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool render_yaml_plain_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    if (!p[0] || special_word(s)) return false;
    if (!alpha(p[0]) && p[0] != '/' && p[0] != '_' && !(p[0] == '-' && alpha(p[1])))
        return false; /* digits, '.', '+' and '-' may start a number; others are indicators */
    for (size_t i = 0; p[i]; i++) {
        unsigned char c = p[i];
        if (alnum(c) || strchr("-_./=@+,*%~", c)) continue;
        if (c == ':' && p[i + 1] && p[i + 1] != ' ') continue;
        if (c == ' ' && i > 0 && p[i + 1] && p[i + 1] != ' ' && p[i + 1] != '#') continue;
        return false;
    }
    return true;
}

int render_yaml_scalar(struct buf *b, const char *s)
{
    if (render_yaml_plain_ok(s)) return buf_puts(b, s);
    int rc = buf_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; !rc && *p; p++) {
        switch (*p) {
        case '"':
            rc = buf_puts(b, "\\\"");
            break;
        case '\\':
            rc = buf_puts(b, "\\\\");
            break;
        case '\n':
            rc = buf_puts(b, "\\n");
            break;
        case '\t':
            rc = buf_puts(b, "\\t");
            break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                rc = buf_printf(b, "\\x%02x", *p);
            else
                rc = buf_append(b, p, 1);
        }
    }
    return rc ? rc : buf_puts(b, "\"");
}

/* A literal block keeps s exactly: several lines, printable, and a first
 * line that sets the indentation (no leading space or empty line). */
static bool literal_ok(const char *s)
{
    if (!strchr(s, '\n') || s[0] == ' ' || s[0] == '\n') return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\n') || *p == 0x7f) return false;
    return true;
}

static void scalar(struct render_yaml *y, const char *s)
{
    if (y->err) return;
    int rc = render_yaml_scalar(&y->out, s);
    if (rc < 0) fail(y, rc);
}

/* The rest of a "key: " or "- " line: s as a scalar, or a literal block
 * whose lines are indented at col. Ends the line. */
static void value(struct render_yaml *y, const char *s, int col)
{
    if (!literal_ok(s)) {
        scalar(y, s);
        puts_(y, "\n");
        return;
    }
    size_t n = strlen(s), trailing = 0;
    while (trailing < n && s[n - 1 - trailing] == '\n')
        trailing++;
    puts_(y, trailing == 0 ? "|-\n" : trailing == 1 ? "|\n" : "|+\n");
    for (const char *p = s; *p;) {
        const char *q = strchr(p, '\n');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        if (len) {
            spaces(y, col);
            put(y, p, len);
        }
        puts_(y, "\n");
        p += len + (q ? 1 : 0);
    }
}

/* ---- structure ---- */

static void open_frame(struct render_yaml *y, int i);

/* Start a line for a child of frame i: open it, then its indentation, or
 * the "- " of an item map's first line. */
static void child_prefix(struct render_yaml *y, int i)
{
    struct render_yaml_frame *f = &y->f[i];
    open_frame(y, i);
    if (f->item && !f->dash_done) {
        spaces(y, f->indent - 2);
        puts_(y, "- ");
        f->dash_done = true;
    } else {
        spaces(y, f->indent);
    }
}

static void open_frame(struct render_yaml *y, int i)
{
    struct render_yaml_frame *f = &y->f[i];
    if (f->opened) return;
    f->opened = true;
    if (f->item) { /* its dash comes with its first child */
        open_frame(y, i - 1);
        return;
    }
    child_prefix(y, i - 1);
    scalar(y, f->key);
    puts_(y, ":\n");
}

static struct render_yaml_frame *top(struct render_yaml *y)
{
    return &y->f[y->depth - 1];
}

static void push(struct render_yaml *y, const char *key, bool seq, bool omit_empty)
{
    if (y->err) return;
    struct render_yaml_frame *parent = top(y);
    if (y->depth >= RENDER_YAML_MAX_DEPTH || (key == NULL) != parent->seq || (seq && parent->seq) ||
        (key && strlen(key) >= RENDER_YAML_KEY_MAX)) {
        fail(y, -EINVAL);
        return;
    }
    struct render_yaml_frame *f = &y->f[y->depth++];
    memset(f, 0, sizeof *f);
    if (key) strcpy(f->key, key);
    f->seq = seq;
    f->item = key == NULL;
    f->omit_empty = omit_empty;
    f->indent = parent->indent + 2;
}

void render_yaml_map(struct render_yaml *y, const char *key)
{
    push(y, key, false, false);
}

void render_yaml_map_opt(struct render_yaml *y, const char *key)
{
    push(y, key, false, true);
}

void render_yaml_seq(struct render_yaml *y, const char *key)
{
    push(y, key, true, false);
}

void render_yaml_end(struct render_yaml *y)
{
    if (y->err) return;
    if (y->depth <= 1) {
        fail(y, -EINVAL);
        return;
    }
    int i = y->depth - 1;
    struct render_yaml_frame *f = &y->f[i];
    if (!f->opened && !f->omit_empty) {
        const char *empty = f->seq ? "[]\n" : "{}\n";
        if (f->item) {
            open_frame(y, i - 1);
            spaces(y, y->f[i - 1].indent);
            puts_(y, "- ");
        } else {
            child_prefix(y, i - 1);
            scalar(y, f->key);
            puts_(y, ": ");
        }
        puts_(y, empty);
    }
    y->depth--;
}

/* "key: " in the current map, or "- " in the current sequence; returns
 * the column for a literal block's lines, or -1 on a misuse. */
static int entry(struct render_yaml *y, const char *key)
{
    if (y->err) return -1;
    int i = y->depth - 1;
    struct render_yaml_frame *f = &y->f[i];
    if ((key == NULL) != f->seq) {
        fail(y, -EINVAL);
        return -1;
    }
    child_prefix(y, i);
    if (key) {
        scalar(y, key);
        puts_(y, ": ");
    } else {
        puts_(y, "- ");
    }
    return f->indent + 2;
}

void render_yaml_str(struct render_yaml *y, const char *key, const char *s)
{
    int col = entry(y, key);
    if (col >= 0) value(y, s ? s : "", col);
}

void render_yaml_int(struct render_yaml *y, const char *key, long long v)
{
    if (entry(y, key) < 0) return;
    int rc = buf_printf(&y->out, "%lld\n", v);
    if (rc < 0) fail(y, rc);
}

void render_yaml_bool(struct render_yaml *y, const char *key, bool v)
{
    if (entry(y, key) >= 0) puts_(y, v ? "true\n" : "false\n");
}

int render_yaml_take(struct render_yaml *y, char **text, size_t *len)
{
    int rc = y->err ? y->err : y->depth != 1 ? -EINVAL : 0;
    if (!rc && !y->out.data) rc = buf_puts(&y->out, ""); /* an empty document */
    *text = NULL;
    *len = 0;
    if (!rc) {
        *text = y->out.data;
        *len = y->out.len;
        y->out.data = NULL;
    }
    buf_free(&y->out);
    y->depth = 1;
    y->err = 0;
    return rc;
}

void render_yaml_free(struct render_yaml *y)
{
    if (y) buf_free(&y->out);
}
