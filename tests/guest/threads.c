/* pthreads under stress: mutex counter, condition variables, barriers, C11
 * atomics, __thread variables, join values, robust mutexes, tids.
 * usage: threads NTHREADS ITERATIONS [norobust] */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static int nthreads, iterations;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static atomic_long atomic_counter;
static __thread long mine;
static pthread_barrier_t barrier;

static void *mutex_worker(void *arg)
{
    for (int i = 0; i < iterations; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    return arg;
}

static void *atomic_worker(void *arg)
{
    for (int i = 0; i < iterations; i++)
        atomic_fetch_add(&atomic_counter, 1);
    return NULL;
}

static void *tls_worker(void *arg)
{
    long id = (long)arg;
    mine = id * 1000;
    pthread_barrier_wait(&barrier);  /* everyone has written their own copy */
    for (int i = 0; i < 1000; i++)
        mine++;
    return (void *)(mine == id * 1000 + 1000 ? (intptr_t)gettid() : 0);
}

/* condition variable: a bounded queue, one producer, several consumers */
#define QSIZE 8
static int queue[QSIZE], qhead, qtail, qcount, produced_done;
static long consumed_sum;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;

static void *producer(void *arg)
{
    int n = (int)(intptr_t)arg;
    for (int i = 1; i <= n; i++) {
        pthread_mutex_lock(&qlock);
        while (qcount == QSIZE)
            pthread_cond_wait(&not_full, &qlock);
        queue[qtail] = i;
        qtail = (qtail + 1) % QSIZE;
        qcount++;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&qlock);
    }
    pthread_mutex_lock(&qlock);
    produced_done = 1;
    pthread_cond_broadcast(&not_empty);
    pthread_mutex_unlock(&qlock);
    return NULL;
}

static void *consumer(void *arg)
{
    for (;;) {
        pthread_mutex_lock(&qlock);
        while (qcount == 0 && !produced_done)
            pthread_cond_wait(&not_empty, &qlock);
        if (qcount == 0) {
            pthread_mutex_unlock(&qlock);
            return NULL;
        }
        int v = queue[qhead];
        qhead = (qhead + 1) % QSIZE;
        qcount--;
        consumed_sum += v;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&qlock);
    }
}

static pthread_mutex_t robust;

static void *die_holding(void *arg)
{
    pthread_mutex_lock(&robust);
    return NULL;  /* exits without unlocking */
}

int main(int argc, char **argv)
{
    nthreads = argc > 1 ? atoi(argv[1]) : 8;
    iterations = argc > 2 ? atoi(argv[2]) : 10000;
    pthread_t *t = calloc(nthreads, sizeof *t);

    for (long i = 0; i < nthreads; i++)
        pthread_create(&t[i], NULL, mutex_worker, (void *)i);
    long joined = 0;
    for (int i = 0; i < nthreads; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        joined += (long)ret;
    }
    printf("mutex counter: %ld (expected %ld)\n", counter, (long)nthreads * iterations);
    printf("join values: %ld\n", joined);

    int na = nthreads < 8 ? nthreads : 8;
    for (int i = 0; i < na; i++)
        pthread_create(&t[i], NULL, atomic_worker, NULL);
    for (int i = 0; i < na; i++)
        pthread_join(t[i], NULL);
    printf("atomic counter: %ld (expected %ld)\n", (long)atomic_counter, (long)na * iterations);

    pthread_barrier_init(&barrier, NULL, na);
    int tls_ok = 1;
    pid_t tids[8];
    for (long i = 0; i < na; i++)
        pthread_create(&t[i], NULL, tls_worker, (void *)(i + 1));
    for (int i = 0; i < na; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        tids[i] = (pid_t)(intptr_t)ret;
        tls_ok &= tids[i] > 0 && tids[i] != getpid();
        for (int j = 0; j < i; j++)
            tls_ok &= tids[j] != tids[i];
    }
    printf("thread-local variables and distinct tids: %s\n", tls_ok ? "ok" : "FAILED");

    pthread_t prod, cons[3];
    int items = iterations / 10 + 10;
    pthread_create(&prod, NULL, producer, (void *)(intptr_t)items);
    for (int i = 0; i < 3; i++)
        pthread_create(&cons[i], NULL, consumer, NULL);
    pthread_join(prod, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(cons[i], NULL);
    printf("condition variable queue: %ld (expected %ld)\n", consumed_sum, (long)items * (items + 1) / 2);

    if (argc > 3)  /* "norobust": qemu-user has no robust futex lists and hangs here */
        return 0;
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&robust, &ma);
    pthread_t dier;
    pthread_create(&dier, NULL, die_holding, NULL);
    pthread_join(dier, NULL);
    int r = pthread_mutex_lock(&robust);
    printf("robust mutex after owner died: %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : "other");
    return 0;
}
