/* maps.h: for the lazy-loading unit tests: is a shared object mapped into
 * this process? (include after cm.h) */
#ifndef MESHPERF_TEST_MAPS_H
#define MESHPERF_TEST_MAPS_H
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Does a line of /proc/self/maps name a file containing so? */
static inline bool maps_has(const char *so)
{
    FILE *f = fopen("/proc/self/maps", "r");
    assert_non_null(f);
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, so) != NULL;
    fclose(f);
    return found;
}
#endif
