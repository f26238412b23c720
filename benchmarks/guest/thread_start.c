/* Starting a thread while others are busy: N pthread_create + pthread_join beside two
 * threads that never block. Under one emulator lock a new thread must run soon, not
 * after every busy thread's time slice (CPython's test_logging timed out waiting for
 * its threads to start).  thread_start N */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static volatile int running = 1;

static void *busy(void *arg)
{
    volatile unsigned long spins = 0;
    while (running)
        spins++;
    return arg;
}

static void *nothing(void *arg)
{
    return arg;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100;
    pthread_t busy_threads[2], t;
    for (int i = 0; i < 2; i++)
        if (pthread_create(&busy_threads[i], NULL, busy, NULL) != 0)
            return 1;
    for (long i = 0; i < n; i++)
        if (pthread_create(&t, NULL, nothing, NULL) != 0 || pthread_join(t, NULL) != 0)
            return 1;
    running = 0;
    for (int i = 0; i < 2; i++)
        pthread_join(busy_threads[i], NULL);
    printf("%ld threads\n", n);
    return 0;
}
