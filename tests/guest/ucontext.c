/* getcontext, makecontext, swapcontext, setcontext: coroutines switching back and
 * forth, and the signal mask travelling with a context (PowerPC's glibc makes all of
 * them through its kernel's swapcontext call; the others switch in user space). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static ucontext_t main_ctx, co_ctx;
static char co_stack[64 * 1024] __attribute__((aligned(16)));
static volatile int trace[16];
static volatile int steps;

static void coroutine(int a, int b)
{
    trace[steps++] = a;
    swapcontext(&co_ctx, &main_ctx);
    trace[steps++] = b;
    swapcontext(&co_ctx, &main_ctx);
    trace[steps++] = a + b;
}   /* returning follows uc_link: back to main_ctx */

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    volatile int resumed = 0;
    ucontext_t here;
    if (getcontext(&here) != 0)
        return 1;
    if (!resumed) {
        resumed = 1;
        setcontext(&here);  /* back to getcontext's return, once */
        return 2;
    }
    printf("setcontext resumes getcontext: ok\n");

    getcontext(&co_ctx);
    co_ctx.uc_stack.ss_sp = co_stack;
    co_ctx.uc_stack.ss_size = sizeof co_stack;
    co_ctx.uc_link = &main_ctx;
    makecontext(&co_ctx, (void (*)(void))coroutine, 2, 40, 2);
    for (int i = 0; i < 3; i++) {
        trace[steps++] = 100 + i;
        if (swapcontext(&main_ctx, &co_ctx) != 0)
            return 3;
    }
    printf("coroutine ran: %s\n", steps == 6 && trace[0] == 100 && trace[1] == 40 && trace[2] == 101 &&
           trace[3] == 2 && trace[4] == 102 && trace[5] == 42 ? "ok" : "FAILED");

    /* a context carries its signal mask: SIGUSR1 blocked in it, open here */
    sigset_t set, now;
    ucontext_t masked;
    volatile int done = 0;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    getcontext(&masked);
    if (!done) {
        done = 1;
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        setcontext(&masked);
    }
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("the mask comes back with the context: %s\n", sigismember(&now, SIGUSR1) ? "ok" : "FAILED");
    return 0;
}
