/* cm.h: cmocka's required includes, in its required order. */
#ifndef MESHPERF_TEST_CM_H
#define MESHPERF_TEST_CM_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#endif
