/* serve_echo.h: the echo knobs of `meshperf serve`, in Fortio's spelling,
 * parsed from a query string into a plain struct.
 *
 *   delay=10ms                 always wait 10 ms before answering
 *   delay=150us:10,2ms:5       10 % of requests wait 150 us, 5 % wait 2 ms,
 *                              the remaining 85 % do not wait
 *   status=503                 answer 503 (200..999; an interim 1xx,
 *                              101 included, is refused with 400)
 *   status=503:5,429:10        5 % 503, 10 % 429, the rest 200
 *   size=1024                  a body of 1024 bytes (else the request body
 *                              is echoed back); 204 and 304 answers carry
 *                              no body and no Content-Length whatever
 *                              size= says (HTTP forbids one)
 *   header=K:V                 add a response header (repeatable; not
 *                              Content-Length, Transfer-Encoding or
 *                              Connection, which the server sets)
 *   close=1                    answer with Connection: close, then close
 *
 * As in Fortio, the numbers after ':' are percentages whose sum must not
 * exceed 100; a request's roll r in [0, 100) picks the first entry whose
 * cumulative percentage is > r. Delays above the cap are clamped to it
 * (Fortio clamps at 1 s; our cap is the -max-delay flag), as are sizes above
 * -max-size. Parsing is pure: no allocation, header names and values are
 * decoded into a caller's scratch buffer. */
#ifndef MESHPERF_SERVE_ECHO_H
#define MESHPERF_SERVE_ECHO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERVE_ECHO_MAX_CHOICES 16
#define SERVE_ECHO_MAX_HEADERS 16

/* A weighted list. n == 0: not given. cum[i] is the cumulative percentage
 * up to and including entry i (100 for a plain single value). */
struct serve_choices {
    size_t n;
    int64_t value[SERVE_ECHO_MAX_CHOICES];
    double cum[SERVE_ECHO_MAX_CHOICES];
};

struct serve_echo {
    struct serve_choices delay;  /* microseconds */
    struct serve_choices status; /* HTTP status codes */
    int64_t size;                /* body bytes; -1 = echo the request body */
    size_t nheaders;
    const char *header_name[SERVE_ECHO_MAX_HEADERS];  /* NUL-terminated, in scratch */
    const char *header_value[SERVE_ECHO_MAX_HEADERS]; /* NUL-terminated, in scratch */
    bool close;
    bool any; /* at least one knob was given */
};

struct serve_echo_limits {
    int64_t max_delay_us; /* delays are clamped to this */
    int64_t max_size;     /* sizes are clamped to this */
};

/* Parse the knobs in query[0..len) (other keys are ignored). Header names
 * and values are decoded into scratch (scratchlen bytes); e's pointers
 * point there. Returns 0, or -1 with one line in err naming the knob and
 * the bad value (the caller answers 400). */
int serve_echo_parse(const char *query, size_t len, const struct serve_echo_limits *lim,
                     struct serve_echo *e, char *scratch, size_t scratchlen, char *err,
                     size_t errlen);

/* Parse one weighted list ("v" or "v:pct,v:pct,...") with parse_value
 * turning each value into an int64 (returns 0 or -1). Returns 0 or -1 with
 * err set ("percentages add up to 120 > 100"). Exposed for tests. */
int serve_choices_parse(const char *s, int (*parse_value)(const char *, int64_t *),
                        struct serve_choices *out, char *err, size_t errlen);

/* Pick from c with roll in [0, 100): the first entry with cum > roll, or
 * dflt when none (or c is empty). */
int64_t serve_choices_pick(const struct serve_choices *c, double roll, int64_t dflt);

/* A roll in [0, 100) from a per-thread xorshift state (*state != 0). */
double serve_echo_roll(uint64_t *state);

#endif
