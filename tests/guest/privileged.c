/* Instructions a user-mode process may and may not run, from the cpu module's
 * ARCH_PRIVILEGED(T) fact: T(name, expected signal (0: runs), statement) for each.
 * Prints "name: ok" when the kernel's answer came, else what happened; the names given
 * as arguments are not run ("name: not run"): an emulator's known gaps, where running
 * the instruction would not fault but do what only the kernel may. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static sigjmp_buf back;
static volatile int got;
static int n_skip;
static char **skip;

static int skipped(const char *name)
{
    for (int i = 0; i < n_skip; i++)
        if (!strcmp(skip[i], name))
            return 1;
    return 0;
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    got = sig;
    siglongjmp(back, 1);
}

#define T(name, expected, stmt) do {                                                  \
        got = 0;                                                                      \
        if (skipped(name)) {                                                          \
            printf("%s: not run\n", name);                                            \
            break;                                                                    \
        }                                                                             \
        if (!sigsetjmp(back, 1)) {                                                    \
            stmt;                                                                     \
        }                                                                             \
        if (got == (expected))                                                        \
            printf("%s: ok\n", name);                                                 \
        else                                                                          \
            printf("%s: signal %d, the kernel's is %d\n", name, got, (int)(expected)); \
    } while (0)

int main(int argc, char **argv)
{
    n_skip = argc - 1;
    skip = argv + 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    setvbuf(stdout, NULL, _IONBF, 0);
    unsigned long v = 0;
    (void)v;
#ifdef ARCH_PRIVILEGED
    ARCH_PRIVILEGED(T);
    return 0;
#else
    printf("no ARCH_PRIVILEGED fact\n");
    return 2;
#endif
}
