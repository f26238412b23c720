/* A periodic POSIX timer of 1 ns, as LTP's timer_settime03 sets one. The kernel queues
 * its signal once and arms the timer again only when the signal is dequeued, so the
 * program gets on: a handler runs back to back but runs (and can stop the timer), a
 * blocked signal waits with its overrun counting the expiries. Under an emulator that
 * lets the host re-arm the timer as soon as it takes the host's signal, the storm of
 * host signals starves the program (it never ends). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHECK(cond, what) printf("%s: %s\n", what, (cond) ? "ok" : "FAILED")
#define RUNS 100

static timer_t timer;
static volatile int runs, stopped;
static volatile long overruns;

static void every_nanosecond(int sig, siginfo_t *si, void *uc)
{
    overruns += si->si_overrun;
    if (++runs == RUNS) {
        struct itimerspec stop;
        memset(&stop, 0, sizeof stop);
        timer_settime(timer, 0, &stop, NULL);
        stopped = 1;
    }
}

static void start(void)
{
    struct itimerspec spec;
    memset(&spec, 0, sizeof spec);
    spec.it_value.tv_nsec = spec.it_interval.tv_nsec = 1;
    timer_settime(timer, 0, &spec, NULL);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = every_nanosecond;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGUSR1;
    timer_create(CLOCK_MONOTONIC, &sev, &timer);

    /* a handler: it runs RUNS times, the last stops the timer, the program goes on */
    start();
    while (!stopped)
        ;
    int extra = runs - RUNS;  /* a signal queued before the stop may still come */
    CHECK(extra >= 0 && extra <= 2, "the handler ran until it stopped the timer");
    CHECK(overruns > 0, "the expiries between two runs are counted as overruns");

    /* blocked: one signal waits, counting the expiries; each dequeue re-arms the timer */
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    start();
    volatile long work = 0;
    for (int i = 0; i < 2000; i++)
        work += getppid();
    struct itimerspec now;
    memset(&now, 0, sizeof now);
    timer_gettime(timer, &now);
    CHECK(now.it_interval.tv_nsec == 1 && now.it_interval.tv_sec == 0 && now.it_value.tv_sec == 0 &&
          now.it_value.tv_nsec > 0, "timer_gettime of a timer whose signal is pending: its interval, and when next");
    siginfo_t si;
    int taken = 0, counted = 1, matches = 1;
    for (int i = 0; i < 3; i++) {
        if (sigwaitinfo(&usr1, &si) == SIGUSR1 && si.si_code == SI_TIMER)
            taken++;
        counted &= si.si_overrun > 0;
        matches &= timer_getoverrun(timer) == si.si_overrun;
    }
    CHECK(taken == 3, "sigwaitinfo takes the timer's signal again after each dequeue");
    CHECK(counted, "each taken signal counts the expiries since the last");
    CHECK(matches, "timer_getoverrun is the taken signal's count");
    struct itimerspec old;
    memset(&now, 0, sizeof now);
    timer_settime(timer, 0, &now, &old);
    CHECK(old.it_interval.tv_nsec == 1 && old.it_value.tv_nsec > 0, "timer_settime tells the setting it replaced");
    timer_delete(timer);
    return 0;
}
