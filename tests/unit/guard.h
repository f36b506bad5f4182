/* guard.h: a guard page for parser tests. guarded(s, n) copies s so that
 * its last byte is the last one before an inaccessible page, so a parser
 * that reads one byte past what it was given faults at once (with or
 * without ASan). Register guard_setup/guard_teardown as the group's
 * setup and teardown. Include once per test file, after cm.h. */
#ifndef MESHPERF_TEST_GUARD_H
#define MESHPERF_TEST_GUARD_H

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUARD_SPACE (64 * 1024)
static char *guard_base;
static size_t page;

static int guard_setup(void **state)
{
    page = (size_t)sysconf(_SC_PAGESIZE);
    guard_base =
        mmap(NULL, GUARD_SPACE + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (guard_base == MAP_FAILED) return -1;
    return mprotect(guard_base + GUARD_SPACE, page, PROT_NONE);
}

static int guard_teardown(void **state)
{
    munmap(guard_base, GUARD_SPACE + page);
    return 0;
}

/* Copy s[0..n) (which may overlap the guard space) so that it ends exactly
 * at the guard page. */
static const char *guarded(const char *s, size_t n)
{
    assert_true(n <= GUARD_SPACE);
    char *p = guard_base + GUARD_SPACE - n;
    memmove(p, s, n);
    return p;
}

#define S(lit) lit, sizeof(lit) - 1

#endif
