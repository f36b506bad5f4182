/* progress.c: the TTY status line, plain progress lines and quiet mode
 * (see progress.h). State is one small struct behind a mutex. */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/mono.h"
#include "run/progress.h"

struct progress {
    FILE *f;
    enum progress_mode mode;
    pthread_mutex_t mu;
    bool line_shown; /* TTY: a status line is on screen */
    bool in_test;
    size_t i, n;
    char name[128];
    double qps;
    int64_t duration_us;
    mono_us last_plain;
};

enum progress_mode progress_mode_for(int fd, bool quiet)
{
    if (quiet) return PROGRESS_QUIET;
    return isatty(fd) ? PROGRESS_TTY : PROGRESS_PLAIN;
}

struct progress *progress_new(FILE *f, enum progress_mode mode)
{
    struct progress *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->f = f;
    p->mode = mode;
    pthread_mutex_init(&p->mu, NULL);
    return p;
}

void progress_free(struct progress *p)
{
    if (!p) return;
    pthread_mutex_destroy(&p->mu);
    free(p);
}

enum progress_mode progress_mode(const struct progress *p)
{
    return p->mode;
}

/* Caller holds mu. */
static void progress_clear_locked(struct progress *p)
{
    if (p->mode == PROGRESS_TTY && p->line_shown) {
        fputs("\r\033[K", p->f);
        p->line_shown = false;
    }
}

static void progress_rate(char *out, size_t outlen, double qps)
{
    if (qps > 0)
        snprintf(out, outlen, "%g qps", qps);
    else
        snprintf(out, outlen, "max qps");
}

void progress_test_begin(struct progress *p, size_t i, size_t n, const char *name, double qps,
                         int64_t duration_us)
{
    pthread_mutex_lock(&p->mu);
    p->in_test = true;
    p->i = i;
    p->n = n;
    snprintf(p->name, sizeof p->name, "%s", name);
    p->qps = qps;
    p->duration_us = duration_us;
    p->last_plain = mono_now();
    if (p->mode != PROGRESS_QUIET) {
        char r[32];
        progress_rate(r, sizeof r, qps);
        progress_clear_locked(p);
        fprintf(p->f, "[%zu/%zu] %s: %s for %.1fs\n", i + 1, n, name, r, (double)duration_us / 1e6);
        fflush(p->f);
    }
    pthread_mutex_unlock(&p->mu);
}

void progress_update(struct progress *p, const struct loadgen_progress *lp)
{
    pthread_mutex_lock(&p->mu);
    if (!p->in_test || p->mode == PROGRESS_QUIET) goto out;
    if (p->mode == PROGRESS_TTY) {
        fprintf(p->f, "\r\033[K[%zu/%zu] %s  %.1fs/%.1fs  %.1f qps  %llu requests  %llu errors",
                p->i + 1, p->n, p->name, (double)lp->elapsed_us / 1e6, (double)p->duration_us / 1e6,
                lp->qps, (unsigned long long)lp->requests, (unsigned long long)lp->errors);
        p->line_shown = true;
        fflush(p->f);
    } else {
        mono_us now = mono_now();
        if (now - p->last_plain < PROGRESS_PLAIN_EVERY_US) goto out;
        p->last_plain = now;
        fprintf(p->f, "[%zu/%zu] %s: %.1fs/%.1fs, %.1f qps, %llu requests, %llu errors\n", p->i + 1,
                p->n, p->name, (double)lp->elapsed_us / 1e6, (double)p->duration_us / 1e6, lp->qps,
                (unsigned long long)lp->requests, (unsigned long long)lp->errors);
        fflush(p->f);
    }
out:
    pthread_mutex_unlock(&p->mu);
}

void progress_test_end(struct progress *p, double actual_qps, uint64_t requests, uint64_t errors,
                       bool stopped)
{
    pthread_mutex_lock(&p->mu);
    if (p->mode != PROGRESS_QUIET) {
        progress_clear_locked(p);
        fprintf(p->f, "[%zu/%zu] %s: %s %llu requests, %.1f qps, %llu errors\n", p->i + 1, p->n,
                p->name, stopped ? "interrupted after" : "done,", (unsigned long long)requests,
                actual_qps, (unsigned long long)errors);
        fflush(p->f);
    }
    p->in_test = false;
    pthread_mutex_unlock(&p->mu);
}

void progress_note(struct progress *p, const char *fmt, ...)
{
    pthread_mutex_lock(&p->mu);
    if (p->mode != PROGRESS_QUIET) {
        progress_clear_locked(p);
        va_list ap;
        va_start(ap, fmt);
        vfprintf(p->f, fmt, ap);
        va_end(ap);
        fputc('\n', p->f);
        fflush(p->f);
    }
    pthread_mutex_unlock(&p->mu);
}

void progress_warn(struct progress *p, const char *fmt, ...)
{
    pthread_mutex_lock(&p->mu);
    progress_clear_locked(p);
    fputs("meshperf run: ", p->f);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(p->f, fmt, ap);
    va_end(ap);
    fputc('\n', p->f);
    fflush(p->f);
    pthread_mutex_unlock(&p->mu);
}
