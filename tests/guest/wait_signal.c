/* Spins in guest code until SIGUSR1 arrives from outside; SIGTERM keeps its default. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static void on_usr1(int sig) { got = sig; }

int main(void)
{
    signal(SIGUSR1, on_usr1);
    printf("ready\n");
    fflush(stdout);
    while (!got)
        ;  /* no syscalls: the signal must interrupt guest code */
    printf("got SIGUSR1 from outside\n");
    fflush(stdout);
    for (;;)
        pause();
}
