/* A thread starts with what its creator gives it, whatever the threads before it
 * did to themselves (pyqemu reuses an ended thread's CPU for the next clone): each
 * "changer" thread changes its name, signal mask, alternate stack, FP rounding mode,
 * a TLS variable and a callee-saved FP register, then ends; each "checker" after it
 * prints what it started with. */
#define _GNU_SOURCE
#include <fenv.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

static __thread int tls_value = 7;
static char altstack[65536];

static void *changer(void *arg)
{
    sigset_t set;
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
    prctl(PR_SET_NAME, "changer");
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (sigaltstack(&ss, NULL) != 0)
        return (void *)1;
#ifdef FE_UPWARD
    fesetround(FE_UPWARD);
#endif
    tls_value = 99;
    return arg;
}

static void *checker(void *arg)
{
    char name[17] = "";
    sigset_t set;
    stack_t ss;
    volatile double third = 1.0, three = 3.0;
    prctl(PR_GET_NAME, name);
    pthread_sigmask(SIG_BLOCK, NULL, &set);
    sigaltstack(NULL, &ss);
    printf("%ld: name %s, SIGUSR1 %s, SIGUSR2 %s, altstack %s, tls %d, rounding %s, 1/3 %.17g\n", (long)arg, name,
           sigismember(&set, SIGUSR1) ? "blocked" : "open", sigismember(&set, SIGUSR2) ? "blocked" : "open",
           ss.ss_flags & SS_DISABLE ? "off" : "on", tls_value, fegetround() == FE_TONEAREST ? "nearest" : "other",
           third / three);
    return NULL;
}

int main(void)
{
    sigset_t set;
    pthread_t t;
    prctl(PR_SET_NAME, "creator");
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    for (long i = 0; i < 4; i++) {
        void *ret;
        if (pthread_create(&t, NULL, changer, NULL) != 0 || pthread_join(t, &ret) != 0 || ret != NULL)
            return 1;
        if (pthread_create(&t, NULL, checker, (void *)i) != 0 || pthread_join(t, NULL) != 0)
            return 1;
    }
    return 0;
}
