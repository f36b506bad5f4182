/* render_yaml.h: a small block-style YAML emitter for the manifests of
 * render.c: maps and sequences opened and closed in order, scalars written
 * as they come, into one capped buffer. Output is deterministic (what is
 * written is exactly what was asked, in that order) and is read the same
 * by YAML 1.1 (kubectl, PyYAML) and YAML 1.2 readers.
 *
 * Layout: two spaces per level, sequences indented under their key
 * ("containers:\n  - name: app"), the first key of a map item on its dash
 * line. A container that stays empty is written "{}" / "[]", or left out
 * altogether when opened with render_yaml_map_opt.
 *
 * Scalars. A string is written plain only when no reader can take it for
 * anything but that string: not empty; no YAML 1.1 boolean or null word in
 * any case (y, n, yes, no, on, off, true, false, null, ~); not starting
 * with a digit, '.', '+', or '-' unless a letter follows (so numbers,
 * octals, sexagesimals, timestamps, .inf and "-" are quoted); only
 * letters, digits and -_./=@+,*%~ plus ':' not followed by a space or the
 * end, and inner spaces not followed by '#' or another space. Any other
 * one-line string is double-quoted ("\"", "\\", \n, \t, other control
 * bytes as \xNN; UTF-8 passes through). A string of several lines made of
 * printable characters whose first line starts with neither a space nor
 * a newline is a literal block ("|", "|-" or "|+" by its trailing
 * newlines), so PEM text stays readable; otherwise double-quoted. Keys
 * follow the same rule.
 *
 * Errors are sticky: the first failure (cap, memory, a misuse such as a
 * sequence directly inside a sequence or nesting past RENDER_YAML_MAX_DEPTH)
 * is kept and every later call is a no-op; render_yaml_take reports it. */
#ifndef MESHPERF_RENDER_YAML_H
#define MESHPERF_RENDER_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

#define RENDER_YAML_MAX_DEPTH 24
#define RENDER_YAML_KEY_MAX   128

struct render_yaml_frame {
    char key[RENDER_YAML_KEY_MAX]; /* "" for a sequence item and the root */
    bool seq;                      /* a sequence (else a map) */
    bool item;                     /* a map that is an item of a sequence */
    bool opened;                   /* its "key:" line (or item's dash) is written */
    bool dash_done;                /* item: the "- " of its first line is written */
    bool omit_empty;               /* left out when it stays empty */
    int indent;                    /* column of its children */
};

struct render_yaml {
    struct buf out;
    int err; /* 0, or the first error (-ENOBUFS, -ENOMEM, -EINVAL) */
    int depth;
    struct render_yaml_frame f[RENDER_YAML_MAX_DEPTH]; /* f[0]: the document's root map */
};

/* Start an empty document (a root map) in y, at most max bytes. */
void render_yaml_init(struct render_yaml *y, size_t max);

/* Open a map under key in the current map, or, with key NULL inside a
 * sequence, a map item. Close with render_yaml_end. */
void render_yaml_map(struct render_yaml *y, const char *key);

/* As render_yaml_map, but nothing at all is written if it stays empty
 * (e.g. "annotations" that no flavour fills). */
void render_yaml_map_opt(struct render_yaml *y, const char *key);

/* Open a sequence under key in the current map. */
void render_yaml_seq(struct render_yaml *y, const char *key);

/* Close the innermost open map or sequence. */
void render_yaml_end(struct render_yaml *y);

/* key: value in the current map, or, with key NULL inside a sequence,
 * an item "- value". value is quoted as the top of this file says. */
void render_yaml_str(struct render_yaml *y, const char *key, const char *value);
void render_yaml_int(struct render_yaml *y, const char *key, long long value);
void render_yaml_bool(struct render_yaml *y, const char *key, bool value);

/* Append s to b as a one-line scalar (plain or double-quoted, never a
 * block). 0, or a buf error. Exposed for tests and for callers that build
 * a line themselves. */
int render_yaml_scalar(struct buf *b, const char *s);

/* Whether s may be written plain (see the top of this file). */
bool render_yaml_plain_ok(const char *s);

/* Finish: every open container must have been closed. 0 with the text
 * in *text (NUL-terminated, owned by the caller, free()) and its length in
 * *len, or a negative error (y's first error; -EINVAL when containers are
 * still open); y is empty afterwards either way. */
int render_yaml_take(struct render_yaml *y, char **text, size_t *len);

/* Drop whatever y holds. NULL is fine. */
void render_yaml_free(struct render_yaml *y);

#endif
