/* Threads changing the rights of memory that others use (the shape of QEMU's
 * vma-pthread): 64 pages in four groups of 16, always readable, always writable,
 * always executable, free; a reader, a writer and a runner of code work on their
 * group while two threads mprotect N random ranges each (keeping each group's own
 * right). Prints what the reader, writer and runner did, and the wrong answers.
 * ARCH_CODE_RETURN and ARCH_CALL_CODE come from the cpu module's facts
 * (benchmarks/__main__.py passes them). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef ARCH_CALL_CODE
#define ARCH_CALL_CODE(p) (((int (*)(void))(p))())
#endif

#define PAGES 64
static char *area;
static long page, rounds;
static volatile int mutators = 2;
static const int fixed[4] = {PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC, 0};

static void *reader(void *arg)
{
    long n = 0, sum = 0;
    for (; mutators; n++)
        sum += area[(n % 16) * page + 8];
    return (void *)(sum == 0 ? n : -1);
}

static void *writer(void *arg)
{
    long n = 0, bad = 0;
    for (; mutators; n++) {
        char *p = area + (16 + n % 16) * page;
        *(volatile long *)(p + 1024) = n;
        bad += *(volatile long *)(p + 1024) != n;
        bad += clock_gettime(CLOCK_MONOTONIC, (struct timespec *)(p + 2048)) != 0;  /* the kernel writes */
    }
    return (void *)(bad ? -bad : n);
}

static void *runner(void *arg)
{
    long n = 0, bad = 0;
    for (; mutators; n++)
        bad += ARCH_CALL_CODE(area + (32 + n % 16) * page) != (int)(n % 16) + 1;
    return (void *)(bad ? -bad : n);
}

static void *mutator(void *arg)
{
    unsigned seed = (unsigned)(long)arg;
    long bad = 0;
    for (long i = 0; i < rounds; i++) {
        int a = rand_r(&seed) % PAGES, b = rand_r(&seed) % PAGES;
        if (a > b) {
            int t = a;
            a = b;
            b = t;
        }
        int prot = rand_r(&seed) % 8;
        for (int g = a / 16; g <= b / 16; g++)
            prot |= fixed[g];
        bad += mprotect(area + a * page, (b - a + 1) * page, prot) != 0;
    }
    __atomic_fetch_sub(&mutators, 1, __ATOMIC_SEQ_CST);
    return (void *)-bad;
}

int main(int argc, char **argv)
{
    rounds = argc > 1 ? atol(argv[1]) : 10000;
    page = sysconf(_SC_PAGESIZE);
    area = mmap(NULL, PAGES * page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < PAGES; i++) {
        ARCH_CODE_RETURN((uint32_t *)(area + i * page), i % 16 + 1);
        __builtin___clear_cache(area + i * page, area + i * page + 64);
    }
    void *(*fns[5])(void *) = {reader, writer, runner, mutator, mutator};
    pthread_t t[5];
    for (long i = 0; i < 5; i++)
        pthread_create(&t[i], NULL, fns[i], (void *)i);
    long done[5];
    for (int i = 0; i < 5; i++) {
        void *r;
        pthread_join(t[i], &r);
        done[i] = (long)r;
    }
    printf("reads %ld, writes %ld, calls %ld, mprotects %ld\n", done[0], done[1], done[2], 2 * rounds);
    int wrong = done[0] < 0 || done[1] < 0 || done[2] < 0 || done[3] || done[4];
    if (wrong)
        printf("wrong answers\n");
    return wrong;
}
