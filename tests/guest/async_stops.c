/* A busy thread stopped from outside (a signal from a timer, the end of a time
 * slice) resumes with nothing run twice, and takes its signals while it runs
 * no syscall at all.
 *
 * Each iteration of the busy loops does an atomic add (riscv amoadd, aarch64
 * ldadd or ldxr/stxr, ...) and one step of a pointer chase, a load whose
 * address register is also its destination: an add run twice makes the
 * counter high, a load run twice puts the chase a step ahead. Every 256th
 * makes a syscall, as real loops do (what a syscall hook leaves behind must
 * not change where the next stop resumes).
 *
 * usage: async_stops ITERATIONS */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define RING 4096
#define ALONE_SIGNALS 30
#define PER_SIGNAL 1000000L

static long counter;
static volatile long handled, handled_by_worker;
static pid_t main_tid;
static long iterations;

static void on_alarm(int sig)
{
    (void)sig;
    __atomic_fetch_add(&counter, PER_SIGNAL, __ATOMIC_RELAXED);
    handled++;
    if (gettid() != main_tid)
        handled_by_worker++;
}

static void **new_ring(void)
{
    void **ring = malloc(RING * sizeof *ring);
    for (int i = 0; i < RING; i++)
        ring[i] = &ring[(i + 1) % RING];
    return ring;
}

static void **step(void **p)
{
    return *(void **volatile *)p;
}

/* until `limit` iterations, or (limit 0) until the handler ran ALONE_SIGNALS times */
static long busy(void **ring, long limit, void ***end)
{
    void **p = ring;
    long i = 0;
    while (limit ? i < limit : handled < ALONE_SIGNALS) {
        __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
        p = step(p);
        if ((++i & 255) == 0)
            getppid();  /* a syscall now and then: what its hook leaves behind must not matter */
    }
    *end = p;
    return i;
}

static void *worker(void *arg)
{
    pthread_sigmask(SIG_UNBLOCK, (sigset_t *)arg, NULL);
    void **ring = new_ring(), **end;
    long done = busy(ring, iterations, &end);
    return (void *)(long)(done == iterations && end == &ring[iterations % RING]);
}

static void ticking(long usec)
{
    struct itimerval tick = {{0, usec}, {0, usec}};
    setitimer(ITIMER_REAL, &tick, NULL);
}

int main(int argc, char **argv)
{
    iterations = argc > 1 ? atol(argv[1]) : 3000000;
    main_tid = gettid();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);

    /* one thread, busy without syscalls until its handler ran ALONE_SIGNALS times */
    sigset_t alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    void **ring = new_ring(), **end;
    ticking(1000);
    long done = busy(ring, 0, &end);
    ticking(0);
    pthread_sigmask(SIG_BLOCK, &alrm, NULL);  /* one still on its way waits from here on */
    long took = handled;
    printf("alone: %d signals taken while busy\n", ALONE_SIGNALS);
    printf("alone: counter %s\n", counter == done + PER_SIGNAL * took ? "exact" : "wrong");
    printf("alone: chase %s\n", end == &ring[done % RING] ? "exact" : "wrong");

    /* two busy threads, stopped for time slices and for the timer's signals, which the
       main thread blocks */
    counter = 0;
    handled = 0;
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, worker, &alrm);
    ticking(1000);
    void *ok[2];
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], &ok[i]);
    ticking(0);
    long took2 = handled;
    printf("threads: counter %s\n", counter == 2 * iterations + PER_SIGNAL * took2 ? "exact" : "wrong");
    printf("threads: chases %s %s\n", ok[0] ? "exact" : "wrong", ok[1] ? "exact" : "wrong");
    printf("threads: busy workers took signals: %s\n", handled_by_worker > 0 ? "yes" : "no");
    return 0;
}
