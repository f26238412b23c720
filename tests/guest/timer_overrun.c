/* A POSIX timer's overrun count as the kernel keeps it: timer_getoverrun gives the
 * count of the timer's signal the program took last (its si_overrun), saturated at
 * DELAYTIMER_MAX (INT_MAX), and 0 again once the timer is set anew (LTP timer_settime03). */
#define _GNU_SOURCE
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHECK(cond, what) printf("%s: %s\n", what, (cond) ? "ok" : "FAILED")

static timer_t timer;
static volatile int hits, in_handler, si_overrun_seen, after_reset;

static void on_timer(int sig, siginfo_t *si, void *uc)
{
    if (hits++)
        return;  /* one more may be queued before the timer stops */
    in_handler = timer_getoverrun(timer);
    si_overrun_seen = si->si_overrun;
    struct itimerspec stop;
    memset(&stop, 0, sizeof stop);
    timer_settime(timer, 0, &stop, NULL);
    after_reset = timer_getoverrun(timer);
}

static void fire(const struct itimerspec *spec, int flags)
{
    hits = 0;
    timer_settime(timer, flags, spec, NULL);
    while (!hits)
        ;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_timer;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGUSR1;
    timer_create(CLOCK_REALTIME, &sev, &timer);

    /* first due 30 days of 1 ms intervals ago: more overruns than an int holds (LTP's
     * 1 ns interval does it in 3 s, but makes a storm of signals: see the README) */
    struct itimerspec spec;
    memset(&spec, 0, sizeof spec);
    clock_gettime(CLOCK_REALTIME, &spec.it_value);
    spec.it_value.tv_sec -= 30L * 24 * 3600;
    spec.it_interval.tv_nsec = 1000000;
    fire(&spec, TIMER_ABSTIME);
    CHECK(in_handler == INT_MAX, "an overrun past INT_MAX saturates at DELAYTIMER_MAX");
    CHECK(si_overrun_seen == INT_MAX, "si_overrun saturates too");
    CHECK(after_reset == 0, "timer_settime starts the count again");

    /* a 1 ms timer whose signal waits blocked for 50 ms: the signal counts the rest */
    sigset_t usr1, old;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, &old);
    memset(&spec, 0, sizeof spec);
    spec.it_value.tv_nsec = spec.it_interval.tv_nsec = 1000000;
    hits = 0;
    timer_settime(timer, 0, &spec, NULL);
    usleep(50000);
    sigprocmask(SIG_SETMASK, &old, NULL);
    while (!hits)
        ;
    CHECK(si_overrun_seen > 0 && in_handler == si_overrun_seen,
          "timer_getoverrun is the taken signal's si_overrun");
    CHECK(timer_getoverrun((timer_t)(long)12345) == -1, "an unknown timer is an error");
    timer_delete(timer);
    return 0;
}
