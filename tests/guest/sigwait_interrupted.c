/* sigtimedwait ends with EINTR when another signal, one with a handler, arrives
   (here an interval timer's SIGALRM); the waited-for signal is still taken. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;              /* no SA_RESTART */
    sigaction(SIGALRM, &sa, NULL);
    sigset_t wanted;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGUSR1);
    sigprocmask(SIG_BLOCK, &wanted, NULL);
    struct itimerval tick = {{0, 20000}, {0, 20000}};
    setitimer(ITIMER_REAL, &tick, NULL);
    errno = 0;
    int got = sigtimedwait(&wanted, NULL, NULL);
    printf("no timeout: %d %s, handler ran: %d\n", got, strerrorname_np(errno), alarms > 0);
    struct timespec ts = {5, 0};
    errno = 0;
    got = sigtimedwait(&wanted, NULL, &ts);
    printf("5 s timeout: %d %s\n", got, strerrorname_np(errno));
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    raise(SIGUSR1);
    printf("the waited-for signal: %d\n", sigtimedwait(&wanted, NULL, &ts) == SIGUSR1);
    return 0;
}
