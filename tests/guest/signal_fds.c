/* signalfd, timerfd and eventfd with blocking reads. */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define CHECK(cond, what) printf("%s: %s\n", what, (cond) ? "ok" : "FAILED")

static int efd;

static void *writer(void *arg)
{
    usleep(20000);
    uint64_t v = 5;
    write(efd, &v, sizeof v);
    return NULL;
}

int main(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    struct pollfd p = {sfd, POLLIN, 0};
    CHECK(sfd >= 0 && poll(&p, 1, 0) == 0, "signalfd not readable while nothing is pending");
    union sigval v = {.sival_int = 99};
    sigqueue(getpid(), SIGUSR1, v);
    CHECK(poll(&p, 1, 1000) == 1, "signalfd readable once a signal is pending");
    struct signalfd_siginfo si;
    ssize_t n = read(sfd, &si, sizeof si);
    CHECK(n == sizeof si && si.ssi_signo == SIGUSR1 && si.ssi_int == 99 && si.ssi_pid == (uint32_t)getpid(),
          "signalfd read: signo, value, pid");

    int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec its = {{0, 0}, {0, 20000000}};
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);  /* before the timer is set: however slow what follows, 20 ms pass */
    timerfd_settime(tfd, 0, &its, NULL);
    struct itimerspec cur;
    timerfd_gettime(tfd, &cur);
    CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0, "timerfd_gettime");
    uint64_t exp = 0;
    n = read(tfd, &exp, sizeof exp);  /* blocks until the timer fires */
    clock_gettime(CLOCK_MONOTONIC, &b);
    long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    CHECK(n == 8 && exp == 1 && ms >= 19, "timerfd blocking read");

    efd = eventfd(0, 0);
    pthread_t th;
    pthread_create(&th, NULL, writer, NULL);
    uint64_t got = 0;
    n = read(efd, &got, sizeof got);  /* blocks until the other thread writes */
    pthread_join(th, NULL);
    CHECK(n == 8 && got == 5, "eventfd blocking read woken by another thread");
    return 0;
}
