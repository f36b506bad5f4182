/* platform_local.h: the local backend (platform_local.c): `meshperf serve`
 * processes on 127.0.0.1, ports chosen by the kernel. Chosen by name
 * through platform_open("local"); this header is for platform.c. */
#ifndef MESHPERF_PLATFORM_LOCAL_H
#define MESHPERF_PLATFORM_LOCAL_H

#include "platform/platform.h"

/* A local platform, not up yet. NULL only when out of memory. */
struct platform *platform_local_new(void);

#endif
