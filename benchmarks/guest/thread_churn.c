/* Thread creation beside a busy thread: N pthread_create + pthread_join in main while
 * another thread maps, runs and unmaps a page of code in a loop (as QEMU's tests/tcg
 * munmap-pthread).  Under one emulator lock each woken or new thread must get its
 * turn soon, not at the end of the busy thread's time slice.  thread_churn N */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile int running = 1;
static long pages;

static void *busy(void *arg)
{
    unsigned char ret[64];
    memcpy(ret, (const void *)(unsigned long)arg, sizeof(ret));
    while (running) {
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            abort();
        memcpy(p, ret, sizeof(ret));
        munmap(p, 4096);
        pages++;
    }
    return NULL;
}

static void *nothing(void *arg)
{
    return arg;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000;
    pthread_t b, t;
    if (pthread_create(&b, NULL, busy, (void *)main) != 0)
        return 1;
    for (long i = 0; i < n; i++) {
        if (pthread_create(&t, NULL, nothing, NULL) != 0 || pthread_join(t, NULL) != 0)
            return 1;
    }
    running = 0;
    pthread_join(b, NULL);
    printf("%ld threads, %s\n", n, pages > 0 ? "busy thread ran" : "busy thread never ran");
    return 0;
}
