/* portforward.c: supervised `kubectl port-forward`s (see portforward.h).
 * Readiness is a connect() to the local port every 50 ms; the supervisor
 * polls the children's pidfds and an eventfd (stop), 500 ms at most, and
 * restarts a forward that ended, reporting through a pending note and the
 * forward's state (both under mu, with a condition variable for health). */
#include "platform/portforward.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/child.h"
#include "base/errbuf.h"
#include "platform/kubectl.h"

enum portforward_state { PF_READY, PF_RESTARTING, PF_FAILED };

struct portforward_one {
    char ns[128];
    char target[160]; /* "svc/fortio" */
    char ports[32];   /* "LOCAL:REMOTE" */
    int local_port;
    struct child *c;              /* owned; replaced by the supervisor on restart */
    enum portforward_state state; /* under mu */
    char how[CHILD_HOW_MAX];      /* how the last one ended, under mu */
};

struct portforward {
    const struct kubectl *kc;
    char *log_path;
    struct portforward_one fwd[PORTFORWARD_MAX];
    size_t n;
    pthread_t sup;
    bool sup_running;
    int stop_fd;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char note[1024]; /* under mu: for the next health call */
};

struct portforward *portforward_new(const struct kubectl *kc, const char *log_path)
{
    struct portforward *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->kc = kc;
    f->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (f->stop_fd < 0 || (log_path && !(f->log_path = strdup(log_path)))) {
        if (f->stop_fd >= 0) close(f->stop_fd);
        free(f);
        return NULL;
    }
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    return f;
}

static int portforward_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &al) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

/* Does 127.0.0.1:port accept a connection? */
static bool portforward_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0) close(fd);
    return ok;
}

/* Start o's kubectl and wait until its port accepts; give up when it
 * ends, at the deadline, on *cancel (may be NULL) or on the stop eventfd
 * (stop_fd may be -1). o->c is left for the caller to free on failure. */
static int portforward_start(struct portforward *f, struct portforward_one *o,
                             const atomic_int *cancel, int stop_fd, char *err, size_t errlen)
{
    const char *args[] = {"port-forward", "-n",        o->ns,       o->target,
                          o->ports,       "--address", "127.0.0.1", NULL};
    o->c = kubectl_spawn(f->kc, args, f->log_path, err, errlen);
    if (!o->c) return -1;
    mono_us deadline = mono_now() + PORTFORWARD_READY_US;
    while (!portforward_open(o->local_port)) {
        if (child_poll(o->c) == 0) {
            char last[256];
            child_last_log_line(o->c, last, sizeof last);
            return errbuf_set(err, errlen, "kubectl port-forward %s -n %s: %s before listening%s%s",
                              o->target, o->ns, child_how(o->c), last[0] ? "; last output: " : "",
                              last);
        }
        if (mono_now() > deadline)
            return errbuf_set(err, errlen,
                              "kubectl port-forward %s -n %s: port %d not open within %llds",
                              o->target, o->ns, o->local_port,
                              (long long)(PORTFORWARD_READY_US / MONO_US_PER_SEC));
        if (cancel && atomic_load(cancel)) return errbuf_set(err, errlen, "interrupted");
        struct pollfd pfd = {.fd = stop_fd, .events = POLLIN};
        if (poll(&pfd, stop_fd >= 0 ? 1 : 0, 50) > 0) return errbuf_set(err, errlen, "stopped");
    }
    return 0;
}

int portforward_add(struct portforward *f, const char *ns, const char *svc, int remote,
                    const atomic_int *cancel, char *err, size_t errlen)
{
    if (f->n >= PORTFORWARD_MAX || f->sup_running)
        return errbuf_set(err, errlen, "port-forward: too many, or already supervised");
    struct portforward_one *o = &f->fwd[f->n];
    if (snprintf(o->ns, sizeof o->ns, "%s", ns) >= (int)sizeof o->ns ||
        snprintf(o->target, sizeof o->target, "svc/%s", svc) >= (int)sizeof o->target)
        return errbuf_set(err, errlen, "port-forward %s/%s: name too long", ns, svc);
    o->local_port = portforward_free_port();
    if (o->local_port < 0) return errbuf_set(err, errlen, "port-forward: no free loopback port");
    snprintf(o->ports, sizeof o->ports, "%d:%d", o->local_port, remote);
    f->n++; /* stopped by portforward_stop whatever happens next */
    return portforward_start(f, o, cancel, -1, err, errlen) < 0 ? -1 : o->local_port;
}

/* o ended: start it again (PORTFORWARD_RETRIES tries, 200 ms more back-off
 * each); its state and a note say how it went. */
static void portforward_restart(struct portforward *f, struct portforward_one *o)
{
    pthread_mutex_lock(&f->mu);
    snprintf(o->how, sizeof o->how, "%s", child_how(o->c));
    o->state = PF_RESTARTING;
    pthread_mutex_unlock(&f->mu);
    child_free(o->c);
    o->c = NULL;
    char e[ERRBUF_LEN] = "stopped";
    int ok = -1, tries = 0;
    while (ok < 0 && tries < PORTFORWARD_RETRIES) {
        tries++;
        struct pollfd sp = {.fd = f->stop_fd, .events = POLLIN};
        if (poll(&sp, 1, 200 * tries) > 0) break; /* stopping */
        ok = portforward_start(f, o, NULL, f->stop_fd, e, sizeof e);
        if (ok < 0) {
            child_free(o->c);
            o->c = NULL;
        }
    }
    pthread_mutex_lock(&f->mu);
    o->state = ok == 0 ? PF_READY : PF_FAILED;
    if (ok == 0)
        snprintf(f->note, sizeof f->note, "port-forward %s (namespace %s) %s; restarted (%d of %d)",
                 o->target, o->ns, o->how, tries, PORTFORWARD_RETRIES);
    else
        snprintf(f->note, sizeof f->note,
                 "port-forward %s (namespace %s) %s; not restarted after %d tries: %.300s",
                 o->target, o->ns, o->how, tries, e);
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

static void *portforward_watch(void *arg)
{
    struct portforward *f = arg;
    for (;;) {
        struct pollfd pfd[PORTFORWARD_MAX + 1];
        pfd[0] = (struct pollfd){.fd = f->stop_fd, .events = POLLIN};
        for (size_t i = 0; i < f->n; i++)
            pfd[i + 1] = (struct pollfd){.fd = f->fwd[i].c ? child_pidfd(f->fwd[i].c) : -1,
                                         .events = POLLIN};
        int rc = poll(pfd, f->n + 1, 500);
        if (rc < 0 && errno != EINTR) break;
        if (pfd[0].revents) break;
        for (size_t i = 0; i < f->n; i++) {
            struct portforward_one *o = &f->fwd[i];
            if (o->c && child_poll(o->c) == 0) portforward_restart(f, o);
        }
    }
    return NULL;
}

int portforward_supervise(struct portforward *f, char *err, size_t errlen)
{
    if (f->sup_running) return 0;
    if (pthread_create(&f->sup, NULL, portforward_watch, f) != 0)
        return errbuf_set(err, errlen, "cannot start the port-forward supervisor");
    f->sup_running = true;
    return 0;
}

int portforward_health(struct portforward *f, const atomic_int *cancel, char *note, size_t notelen,
                       char *err, size_t errlen)
{
    int rc = 0;
    mono_us deadline = mono_now() + PORTFORWARD_READY_US + 5 * MONO_US_PER_SEC;
    pthread_mutex_lock(&f->mu);
    for (size_t i = 0; i < f->n && rc == 0; i++) {
        struct portforward_one *o = &f->fwd[i];
        while (o->state == PF_RESTARTING && mono_now() < deadline &&
               !(cancel && atomic_load(cancel))) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 200 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&f->cv, &f->mu, &ts);
        }
        if (o->state == PF_FAILED)
            rc = errbuf_set(err, errlen,
                            "port-forward %s (namespace %s) %s and could not be restarted (%s)",
                            o->target, o->ns, o->how, f->log_path ? f->log_path : "no log");
        else if (o->state == PF_RESTARTING)
            rc = errbuf_set(err, errlen, "port-forward %s (namespace %s) %s; not back in time",
                            o->target, o->ns, o->how);
    }
    if (notelen) snprintf(note, notelen, "%s", f->note);
    f->note[0] = '\0';
    pthread_mutex_unlock(&f->mu);
    return rc;
}

void portforward_stop(struct portforward *f)
{
    if (!f) return;
    if (f->sup_running) {
        uint64_t one = 1;
        ssize_t w = write(f->stop_fd, &one, sizeof one);
        (void)w;
        pthread_join(f->sup, NULL);
        f->sup_running = false;
    }
    struct child *cs[PORTFORWARD_MAX] = {0};
    for (size_t i = 0; i < f->n; i++)
        cs[i] = f->fwd[i].c;
    child_stop_all(cs, f->n, CHILD_STOP_WAIT_US);
    for (size_t i = 0; i < f->n; i++) {
        child_free(f->fwd[i].c);
        f->fwd[i].c = NULL;
    }
}

void portforward_free(struct portforward *f)
{
    if (!f) return;
    portforward_stop(f);
    close(f->stop_fd);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f->log_path);
    free(f);
}
