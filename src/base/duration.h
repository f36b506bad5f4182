/* duration.h: durations as people write them ("10s", "1m30s", "500ms",
 * "250us", "1.5h") to and from microseconds. Go's time.ParseDuration
 * grammar, plus a bare number meaning seconds. */
#ifndef MESHPERF_DURATION_H
#define MESHPERF_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* Parse s into *us. 0 on success; -1 on a malformed, negative or
 * overflowing value (*us untouched). Units: ns us µs ms s m h. */
int duration_parse(const char *s, int64_t *us);

/* Format us Go-style ("10s", "1m30s", "500ms", "1.5ms") into out.
 * Returns out. out must hold at least 32 bytes. */
char *duration_format(int64_t us, char *out, size_t outlen);

#endif
