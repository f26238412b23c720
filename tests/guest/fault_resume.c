/* A write fault whose handler makes the page writable and returns: the write
 * runs again, and nothing after it ran twice. (Single-threaded, handlers only
 * for faults: see the README on write faults in threaded programs.) */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static char *guarded;
static volatile int resumed;

static void unprotect(int sig, siginfo_t *si, void *uc)
{
    resumed++;
    mprotect(guarded, 4096, PROT_READ | PROT_WRITE);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = unprotect;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    guarded = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    volatile long after = 0;
    for (int i = 0; i < 3; i++) {
        guarded[i] = 'a' + i;
        after++;
        mprotect(guarded, 4096, PROT_READ);
    }
    printf("faults %d, counter %ld, page %.3s\n", resumed, (long)after, guarded);
    return 0;
}
