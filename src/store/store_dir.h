/* store_dir.h: the directory backend of store.h: key "a/b/c" is the file
 * <root>/a/b/c. Chosen by store_open for plain paths and file:// URIs. */
#ifndef MESHPERF_STORE_DIR_H
#define MESHPERF_STORE_DIR_H

#include <stddef.h>

#include "store/store.h"

/* A store on directory root. Nothing is created here (the first put makes
 * root and the key's parents); root must be a directory if it exists. NULL
 * with one line in err ("/x/file: Not a directory"). Free with store_free. */
struct store *store_dir_open(const char *root, char *err, size_t errlen);

#endif
