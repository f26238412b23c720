/* 4 threads of independent compute: each runs the hash loop of hash.c (N iterations
 * each) and a pass over its own 1 MiB array.  threads_compute N */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define T 4
static long iters;
static unsigned long results[T];

static void *worker(void *arg)
{
    long me = (long)arg;
    unsigned long h = 0x9e3779b97f4a7c15UL ^ me, x = 1 + me;
    unsigned long *a = malloc((1 << 20));
    for (long i = 0; i < iters; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        h = (h ^ x) * 0x100000001b3UL;
        h ^= h >> 29;
        if ((i & 15) == 0) a[(x >> 7) & ((1 << 17) - 1)] = h;
    }
    results[me] = h ^ a[5];
    free(a);
    return NULL;
}

int main(int argc, char **argv)
{
    iters = argc > 1 ? atol(argv[1]) : 250000000L;
    pthread_t th[T];
    for (long i = 0; i < T; i++)
        if (pthread_create(&th[i], NULL, worker, (void *)i)) { puts("pthread_create failed"); return 1; }
    unsigned long h = 0;
    for (int i = 0; i < T; i++) { pthread_join(th[i], NULL); h ^= results[i]; }
    printf("%016lx\n", h);
    return 0;
}
