/* A failed execve leaves pending signals as they were: SIGUSR1 and SIGRTMIN+1 (twice)
 * blocked and pending, an execve that fails with E2BIG (arguments beyond what any kernel
 * takes), then unblocked: each arrives as often as it was sent. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STRING (128 * 1024) /* the kernel's MAX_ARG_STRLEN, its NUL included */
#define COUNT 64            /* 8 MiB: more than ARG_MAX (at most 6 MiB) */

static volatile sig_atomic_t usr1, rt;

static void on_usr1(int sig) { (void)sig; usr1++; }
static void on_rt(int sig) { (void)sig; rt++; }

int main(int argc, char **argv)
{
    static char *args[COUNT + 2];
    char *big = malloc(STRING);
    sigset_t set, pending;
    (void)argc;
    memset(big, 'x', STRING - 1);
    big[STRING - 1] = 0;
    args[0] = argv[0];
    for (int i = 1; i <= COUNT; i++)
        args[i] = big;

    signal(SIGUSR1, on_usr1);
    signal(SIGRTMIN + 1, on_rt);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR1);
    raise(SIGRTMIN + 1);
    raise(SIGRTMIN + 1);

    execv("/proc/self/exe", args);
    printf("execve: %s\n", errno == E2BIG ? "E2BIG" : strerror(errno));
    sigpending(&pending);
    printf("pending: SIGUSR1 %d, SIGRTMIN+1 %d\n", sigismember(&pending, SIGUSR1),
           sigismember(&pending, SIGRTMIN + 1));
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("delivered: SIGUSR1 %d, SIGRTMIN+1 %d\n", (int)usr1, (int)rt);
    return 0;
}
