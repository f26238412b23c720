/* mprotect by one thread, seen by another: the rights a page has when the other
 * thread next touches it are the last ones set, however many changes came between
 * (pyqemu mirrors them in that thread's CPU only when it runs again: memory/space.py,
 * catch_up). Then readers and writers on pages that keep their rights while two
 * threads change the rights of the rest (in the manner of QEMU's vma-pthread). */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHECK(cond, what) printf("%s: %s\n", what, (cond) ? "ok" : "FAILED")
#define PAGES 32

static char *area;
static long page;
static pthread_barrier_t step;
static __thread sigjmp_buf escape;
static __thread volatile int probing;

static void on_segv(int sig)
{
    if (probing)
        siglongjmp(escape, 1);
    abort();
}

/* 1 if the access worked, 0 if it faulted */
static int try_read(volatile char *p)
{
    if (sigsetjmp(escape, 1)) {
        probing = 0;
        return 0;
    }
    probing = 1;
    (void)*p;
    probing = 0;
    return 1;
}

static int try_write(volatile char *p)
{
    if (sigsetjmp(escape, 1)) {
        probing = 0;
        return 0;
    }
    probing = 1;
    *p = 7;
    probing = 0;
    return 1;
}

static int results[4];

static void *prober(void *arg)
{
    /* touch every page first, so this thread's CPU has them all as they were */
    for (int i = 0; i < PAGES; i++)
        try_write(area + i * page);
    pthread_barrier_wait(&step);  /* main changes rights many times meanwhile */
    pthread_barrier_wait(&step);
    int right = 1;
    for (int i = 0; i < PAGES; i++) {
        int want_read = i % 3 != 0, want_write = i % 3 == 2;
        right &= try_read(area + i * page) == want_read;
        right &= try_write(area + i * page) == want_write;
    }
    results[0] = right;
    pthread_barrier_wait(&step);  /* main gives every page all rights back */
    pthread_barrier_wait(&step);
    right = 1;
    for (int i = 0; i < PAGES; i++)
        right &= try_write(area + i * page) && area[i * page] == 7;
    results[1] = right;
    return NULL;
}

static volatile int mutators;

static void *reader(void *arg)
{
    long sum = 0;
    while (mutators)  /* the first page stays readable whatever the mutators do */
        sum += area[0];
    return (void *)sum;
}

static void *writer(void *arg)
{
    while (mutators)  /* the second stays writable */
        area[page] += 1;
    return NULL;
}

static void *mutator(void *arg)
{
    unsigned seed = (unsigned)(long)arg;
    for (int i = 0; i < 300; i++) {
        int a = 2 + rand_r(&seed) % (PAGES - 2), b = 2 + rand_r(&seed) % (PAGES - 2);
        if (a > b) {
            int t = a;
            a = b;
            b = t;
        }
        if (mprotect(area + a * page, (b - a + 1) * page, rand_r(&seed) % 4) != 0)
            abort();
    }
    __atomic_fetch_sub(&mutators, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    page = sysconf(_SC_PAGESIZE);
    area = mmap(NULL, PAGES * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    pthread_barrier_init(&step, NULL, 2);
    pthread_t t;
    pthread_create(&t, NULL, prober, NULL);
    pthread_barrier_wait(&step);
    /* many overlapping changes; what stays: none, read, read+write by page index mod 3 */
    for (int round = 0; round < 20; round++)
        for (int i = round % 5; i < PAGES; i += 5)
            mprotect(area + i * page, page * (i + 3 < PAGES ? 3 : 1), round % 4);
    for (int i = 0; i < PAGES; i++)
        mprotect(area + i * page, page, i % 3 == 0 ? PROT_NONE : i % 3 == 1 ? PROT_READ : PROT_READ | PROT_WRITE);
    pthread_barrier_wait(&step);
    pthread_barrier_wait(&step);
    mprotect(area, PAGES * page, PROT_READ | PROT_WRITE);
    pthread_barrier_wait(&step);
    pthread_join(t, NULL);
    CHECK(results[0], "another thread's mprotects: the rights last set, page by page");
    CHECK(results[1], "all rights back: every page writable in the other thread");

    mutators = 2;
    pthread_t th[4];
    pthread_create(&th[0], NULL, reader, NULL);
    pthread_create(&th[1], NULL, writer, NULL);
    pthread_create(&th[2], NULL, mutator, (void *)1L);
    pthread_create(&th[3], NULL, mutator, (void *)2L);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    CHECK(1, "readers and writers run on while two threads mprotect the pages around");
    return 0;
}
