/* atomicfile.h: write a whole file so that no reader ever sees part of it.
 *
 * The bytes go to a temporary file `.<name>.XXXXXX` in the target's own
 * directory (so the rename stays on one file system), which is written,
 * made 0644, fsync'd and renamed over the final name; then the directory
 * itself is fsync'd so the rename survives a crash. On any failure the
 * temporary file is removed and the final name is left as it was. */
#ifndef MESHPERF_ATOMICFILE_H
#define MESHPERF_ATOMICFILE_H

#include <stddef.h>

/* Replace path with the len bytes at data, atomically (see above). The
 * directory must exist. 0, or -errno with one line in err naming path
 * ("/r/a.csv: No space left on device"). */
int atomicfile_write(const char *path, const void *data, size_t len, char *err, size_t errlen);

#endif
