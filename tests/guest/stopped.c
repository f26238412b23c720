/* Signals another process sends while this one is stopped (SIGSTOP): they wait, and
   run their handlers once SIGCONT continues it, SIGCONT's own handler too.
   Prints "ready", then waits for SIGUSR1, SIGUSR2 and SIGCONT; the test stops it,
   sends SIGUSR1 and SIGUSR2, checks it stays stopped, then continues it. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t usr1, usr2, cont;

static void on_signal(int sig) {
    if (sig == SIGUSR1) usr1++;
    else if (sig == SIGUSR2) usr2++;
    else if (sig == SIGCONT) cont++;
}

int main(void) {
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGUSR2);
    sigaddset(&block, SIGCONT);
    sigprocmask(SIG_BLOCK, &block, &old);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGCONT, &sa, NULL);
    printf("ready\n");
    fflush(stdout);
    while (!(usr1 && usr2 && cont))
        sigsuspend(&old);
    printf("after SIGCONT: SIGUSR1 %d, SIGUSR2 %d, SIGCONT %d\n", usr1, usr2, cont);
    return 0;
}
