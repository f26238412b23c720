/* Threads that map, unmap and change the rights of memory while others read, write
 * and run code in it. One check per argv[1]:
 *   rights     one thread runs code in, reads and writes 16 pages, parks; another
 *              makes them read-only, read+exec, PROT_NONE, unmaps them, maps new
 *              code in their place, or changes them and back; the first then finds
 *              each page as the kernel leaves it: the right faults (signal, code,
 *              address) and the new code, never what its CPU had cached
 *   churn N    in the manner of QEMU's vma-pthread: a reader, a writer and a runner
 *              of code on pages that keep their own right, while two threads
 *              mprotect N random ranges around them and a fifth maps, runs,
 *              protects and unmaps a page beside them; every byte read, every
 *              result and every fault is checked
 * Every line it prints is a fact about the kernel's behaviour. The per-arch
 * instructions come from the cpu module's TEST_C facts (tests/conftest.py). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

typedef int (*fn_t)(void);
#ifndef ARCH_CALL_CODE
#define ARCH_CALL_CODE(p) (((fn_t)(p))())
#endif

#define DATA 1024  /* where a page's data lies, past its code */

static long page;
static __thread sigjmp_buf back;
static __thread volatile int probing, got_sig, got_code;
static __thread void *volatile got_addr;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    if (!probing) {  /* a fault where none may be: the emulator is wrong */
        char msg[96];
        int n = snprintf(msg, sizeof msg, "unexpected signal %d (code %d) at %p\n", sig, si->si_code, si->si_addr);
        write(2, msg, n);
        _exit(3);
    }
    got_sig = sig;
    got_code = si->si_code;
    got_addr = si->si_addr;
    siglongjmp(back, 1);
}

static void catch_faults(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

static void put_code(char *p, int n)
{
    ARCH_CODE_RETURN((uint32_t *)p, n);
    __builtin___clear_cache(p, p + 64);
}

/* What an access did, into out: "returned N", "ok", or the fault relative to base. */
#define PROBE(out, base, stmt) do {                                                       \
        got_sig = 0;                                                                      \
        if (!sigsetjmp(back, 1)) {                                                        \
            probing = 1;                                                                  \
            stmt;                                                                         \
            probing = 0;                                                                  \
        } else {                                                                          \
            probing = 0;                                                                  \
            snprintf(out, sizeof out, "%s %s at %+ld", got_sig == SIGBUS ? "SIGBUS" : "SIGSEGV", \
                     got_code == SEGV_MAPERR ? "SEGV_MAPERR" : got_code == SEGV_ACCERR ? "SEGV_ACCERR" : "?", \
                     (long)((char *)got_addr - (char *)(base)));                          \
        }                                                                                 \
    } while (0)

/* ---- rights ------------------------------------------------------------------- */

#define RIGHTS_PAGES 16
static char *area;
static pthread_barrier_t step;
static volatile int busy_on = 1;

static void describe(char *line, size_t size, char *p)
{
    char call[64] = "", rd[64] = "", wr[64] = "";
    PROBE(call, p, snprintf(call, sizeof call, "returned %d", ARCH_CALL_CODE(p)));
    PROBE(rd, p, snprintf(rd, sizeof rd, "read %d", *(volatile char *)(p + DATA)));
    PROBE(wr, p, (*(volatile char *)(p + DATA) = 5, snprintf(wr, sizeof wr, "write ok")));
    snprintf(line, size, "call %s, %s, %s", call, rd, wr);
}

static void *prober(void *arg)
{
    char line[256], next[256], want[64];
    for (int i = 0; i < RIGHTS_PAGES; i++) {  /* its CPU translates, and caches every page */
        describe(line, sizeof line, area + i * page);
        snprintf(want, sizeof want, "call returned %d, read 0, write ok", i + 1);
        if (strcmp(line, want))
            printf("before: page %d: %s\n", i, line);
    }
    pthread_barrier_wait(&step);  /* the other thread changes them */
    pthread_barrier_wait(&step);
    static const char *what[] = {"PROT_READ", "PROT_READ|PROT_EXEC", "PROT_NONE", "unmapped",
                                 "new code mapped", "changed and back", "PROT_READ|PROT_WRITE", "untouched"};
    for (int g = 0; g < RIGHTS_PAGES / 2; g++) {
        describe(line, sizeof line, area + 2 * g * page);
        describe(next, sizeof next, area + (2 * g + 1) * page);
        /* the second page of the pair: the same but for its code's number */
        char *a = strstr(line, "returned "), *b = strstr(next, "returned ");
        int same = (a == NULL) == (b == NULL) && (a ? !strcmp(strchr(a + 9, ','), strchr(b + 9, ',')) &&
                                                  atoi(b + 9) == atoi(a + 9) + 1 : !strcmp(line, next));
        printf("rights: %s: %s; its neighbour alike: %s\n", what[g], line, same ? "yes" : next);
    }
    return NULL;
}

static void *busy(void *arg)
{
    char *p = area + (RIGHTS_PAGES - 1) * page;  /* never changed */
    long n = 0;
    while (busy_on)
        n += ARCH_CALL_CODE(p);
    return (void *)n;
}

static int rights(void)
{
    area = mmap(NULL, RIGHTS_PAGES * page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < RIGHTS_PAGES; i++)
        put_code(area + i * page, i + 1);
    pthread_barrier_init(&step, NULL, 2);
    pthread_t t, b;
    pthread_create(&t, NULL, prober, NULL);
    pthread_create(&b, NULL, busy, NULL);
    pthread_barrier_wait(&step);
    char *p = area;
    mprotect(p, 2 * page, PROT_READ);
    mprotect(p + 2 * page, 2 * page, PROT_READ | PROT_EXEC);
    mprotect(p + 4 * page, 2 * page, PROT_NONE);
    munmap(p + 6 * page, 2 * page);
    munmap(p + 8 * page, 2 * page);
    if (mmap(p + 8 * page, 2 * page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
             -1, 0) != p + 8 * page)
        return perror("mmap"), 1;
    put_code(p + 8 * page, 100 + 9);
    put_code(p + 9 * page, 100 + 10);
    for (int round = 0; round < 10; round++)
        mprotect(p + 10 * page, 2 * page, round % 4);
    mprotect(p + 10 * page, 2 * page, PROT_READ | PROT_WRITE | PROT_EXEC);
    mprotect(p + 12 * page, 2 * page, PROT_READ | PROT_WRITE);
    pthread_barrier_wait(&step);
    pthread_join(t, NULL);
    busy_on = 0;
    pthread_join(b, NULL);
    return 0;
}

/* ---- churn -------------------------------------------------------------------- */

#define CHURN_PAGES 64  /* four groups of 16: always readable, writable, executable; free */
#define GROUP(i) ((i) / 16)
static volatile int mutators;
static long rounds;
static uint32_t ref[16];  /* the code each page starts with, as the kernel would show it */
static int fixed[4] = {PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC, 0};

static void *churn_reader(void *arg)
{
    long bad = 0, n = 0;
    int devnull = *(int *)arg;
    for (long i = 0; mutators; i++, n++) {
        char *p = area + (i % 16) * page;
        uint32_t want[16];
        memcpy(want, ref, sizeof want);
        ARCH_CODE_RETURN(want, (int)(i % 16) + 1);
        bad += memcmp(p, want, sizeof want) != 0;
        bad += write(devnull, p, 16) != 16;  /* the kernel reads it: no EFAULT */
    }
    return (void *)(bad ? -bad : n);
}

static void *churn_writer(void *arg)
{
    long bad = 0, n = 0;
    for (long i = 0; mutators; i++, n++) {
        char *p = area + (16 + i % 16) * page;
        *(volatile long *)(p + DATA) = i;
        bad += *(volatile long *)(p + DATA) != i;
        struct timespec *ts = (struct timespec *)(p + page - sizeof *ts);  /* the kernel writes it */
        bad += clock_gettime(CLOCK_MONOTONIC, ts) != 0 || ts->tv_sec == 0;
    }
    return (void *)(bad ? -bad : n);
}

static void *churn_runner(void *arg)
{
    long bad = 0, n = 0;
    for (long i = 0; mutators; i++, n++)
        bad += ARCH_CALL_CODE(area + (32 + i % 16) * page) != 32 + (int)(i % 16) + 1;
    return (void *)(bad ? -bad : n);
}

static void *churn_mutator(void *arg)
{
    unsigned seed = (unsigned)(long)arg;
    long bad = 0;
    for (long i = 0; i < rounds; i++) {
        int a = rand_r(&seed) % CHURN_PAGES, b = rand_r(&seed) % CHURN_PAGES;
        if (a > b) {
            int t = a;
            a = b;
            b = t;
        }
        int prot = rand_r(&seed) % 8;
        for (int g = GROUP(a); g <= GROUP(b); g++)
            prot |= fixed[g];
        bad += mprotect(area + a * page, (b - a + 1) * page, prot) != 0;
    }
    __atomic_fetch_sub(&mutators, 1, __ATOMIC_SEQ_CST);
    return (void *)-bad;
}

/* Beside the area: a page mapped (joining the area's last mapping when its rights are
 * the same), run, made read-only, unmapped, again and again. */
static void *churn_mapper(void *arg)
{
    char *beside = area + CHURN_PAGES * page;
    long bad = 0, n = 0;
    char out[64];
    for (int k = 0; mutators; k++, n++) {
        if (mmap(beside, page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
                != beside)
            return (void *)-1000000L;
        put_code(beside, 60 + k % 60);
        out[0] = 0;
        PROBE(out, beside, snprintf(out, sizeof out, "returned %d", ARCH_CALL_CODE(beside)));
        bad += atoi(out + 9) != 60 + k % 60;
        mprotect(beside, page, PROT_READ);
        PROBE(out, beside, snprintf(out, sizeof out, "returned %d", ARCH_CALL_CODE(beside)));
        bad += strcmp(out, "SIGSEGV SEGV_ACCERR at +0") != 0;
        munmap(beside, page);
        PROBE(out, beside, snprintf(out, sizeof out, "read %d", *(volatile char *)beside));
        bad += strcmp(out, "SIGSEGV SEGV_MAPERR at +0") != 0;
    }
    return (void *)(bad ? -bad : n);
}

static int churn(long n)
{
    rounds = n;
    /* one page more, unmapped again: the mapper's place, free */
    area = mmap(NULL, (CHURN_PAGES + 1) * page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
                -1, 0);
    munmap(area + CHURN_PAGES * page, page);
    ARCH_CODE_RETURN(ref, 1);  /* the words it does not change are the same for every n */
    for (int i = 0; i < CHURN_PAGES; i++)
        put_code(area + i * page, (i < 32 ? i % 16 : i) + 1);
    int devnull = open("/dev/null", 1);
    static const char *names[] = {"reader", "writer", "runner of code", "mapper", "mutator", "mutator"};
    void *(*fns[])(void *) = {churn_reader, churn_writer, churn_runner, churn_mapper, churn_mutator, churn_mutator};
    void *args[] = {&devnull, NULL, NULL, NULL, (void *)1L, (void *)2L};
    pthread_t t[6];
    mutators = 2;
    for (int i = 0; i < 6; i++)
        pthread_create(&t[i], NULL, fns[i], args[i]);
    for (int i = 0; i < 6; i++) {
        void *r;
        pthread_join(t[i], &r);
        /* each thread's count of what it did, or minus its count of wrong answers */
        printf("churn: %s: %s\n", names[i], (long)r > 0 || (i >= 4 && r == 0) ? "ok" : "WRONG");
        if ((long)r < 0)
            fprintf(stderr, "churn: %s: %ld wrong\n", names[i], -(long)r);
    }
    return munmap(area, CHURN_PAGES * page) != 0;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    setvbuf(stdout, NULL, _IONBF, 0);
    page = sysconf(_SC_PAGESIZE);
    catch_faults();
    if (!strcmp(what, "rights"))
        return rights();
    if (!strcmp(what, "churn"))
        return churn(argc > 2 ? atol(argv[2]) : 2000);
    fprintf(stderr, "usage: %s rights | churn [N]\n", argv[0]);
    return 2;
}
