/* What the m68k kernel gives user space beyond the generic calls: the thread pointer
 * kept by the kernel (set_thread_area, get_thread_area: glibc's every TLS access),
 * atomic_cmpxchg_32 and atomic_barrier, the signals of its traps and exceptions, and
 * the frame of a handler without SA_SIGINFO.
 * Every line printed is checked by tests/test_m68k.py (and compared with qemu-m68k).
 * With an argument ("qemu") it leaves out the privileged instruction: qemu-m68k 7.2
 * aborts translating move to sr (translate.c insn_opsize: "code should not be reached"). */
#define _GNU_SOURCE
#include <pthread.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CHECK(cond, what) printf("%s: %s\n", what, (cond) ? "ok" : "FAILED")

static __thread int per_thread = 1;

static void *worker(void *arg)
{
    per_thread = 2;  /* its own copy: through its own thread pointer */
    *(int *)arg = per_thread + 40 + (syscall(__NR_get_thread_area) != 0);
    return NULL;
}

static sigjmp_buf back;
static volatile int caught_sig, caught_code;

static void info_handler(int sig, siginfo_t *si, void *ucv)
{
    (void)ucv;
    caught_sig = sig;
    caught_code = si->si_code;
    siglongjmp(back, 1);
}

static volatile int plain_sig;
static volatile unsigned long plain_sc_pc;

/* no SA_SIGINFO: the old frame, whose struct sigcontext pointer is the third argument */
static void plain_handler(int sig, int code, struct sigcontext *sc)
{
    (void)code;
    plain_sig = sig;
    plain_sc_pc = sc->sc_pc;
}

/* a handler that changes fp0, fp1 and fpcr: sigreturn must give the interrupted code its own */
static void fp_clobber(int sig)
{
    (void)sig;
    double seven = 7.0;
    __asm__ volatile("fmove.d %0, %%fp0\n\tfmove.d %0, %%fp1\n\tfmove.l %1, %%fpcr"
                     : : "m"(seven), "d"(0x30) : "fp0", "fp1");
}

/* fp0 = 1.5, fp1 = 2.5, fpcr = 0x10, then kill(getpid(), sig) as a raw syscall (the
 * handler runs on its way back), then what fp0, fp1 and fpcr hold */
static int fpu_survives(int sig)
{
    double a = 1.5, b = 2.5, got0, got1;
    long cr, pid = getpid();
    __asm__ volatile("fmove.d %3, %%fp0\n\tfmove.d %4, %%fp1\n\tfmove.l %5, %%fpcr\n\t"
                     "move.l %6, %%d0\n\tmove.l %7, %%d1\n\tmove.l %8, %%d2\n\ttrap #0\n\t"
                     "fmove.d %%fp0, %0\n\tfmove.d %%fp1, %1\n\tfmove.l %%fpcr, %2\n\t"
                     "fmove.l %9, %%fpcr"
                     : "=m"(got0), "=m"(got1), "=d"(cr)
                     : "m"(a), "m"(b), "d"(0x10), "g"((long)__NR_kill), "g"(pid), "g"((long)sig), "d"(0)
                     : "d0", "d1", "d2", "fp0", "fp1", "memory");
    return got0 == 1.5 && got1 == 2.5 && cr == 0x10;
}

#define TRAP(insn, sig, code, what) do { \
        caught_sig = 0; \
        if (!sigsetjmp(back, 1)) \
            __asm__ volatile(insn); \
        CHECK(caught_sig == (sig) && caught_code == (code), what); \
    } while (0)

int main(int argc, char **argv)
{
    (void)argv;
    setvbuf(stdout, NULL, _IOLBF, 0);
    void *tp = (void *)syscall(__NR_get_thread_area);
    CHECK(tp != NULL && syscall(__NR_get_thread_area) == (long)tp, "get_thread_area gives the thread pointer");
    per_thread = 5;
    pthread_t th;
    int other = 0;
    pthread_create(&th, NULL, worker, &other);
    pthread_join(th, NULL);
    CHECK(other == 43 && per_thread == 5, "each thread has its own thread pointer");
    CHECK(syscall(__NR_set_thread_area, (long)tp + 16) == 0 && syscall(__NR_get_thread_area) == (long)tp + 16,
          "set_thread_area moves it");
    syscall(__NR_set_thread_area, tp);
    CHECK(per_thread == 5, "and back");

    int word = 7;
    /* atomic_cmpxchg_32(newval, oldval, d3, d4, d5, mem): returns what mem held */
    long was = syscall(__NR_atomic_cmpxchg_32, 9, 7, 0, 0, 0, &word);
    CHECK(was == 7 && word == 9, "atomic_cmpxchg_32 swaps");
    was = syscall(__NR_atomic_cmpxchg_32, 11, 7, 0, 0, 0, &word);
    CHECK(was == 9 && word == 9, "atomic_cmpxchg_32 refuses a stale value");
    CHECK(syscall(__NR_atomic_barrier) == 0, "atomic_barrier");

    /* the old calls: the first word of the blocked mask, the page size, a cache flush */
    long before = syscall(__NR_ssetmask, 1L << (SIGUSR1 - 1));
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    CHECK(syscall(__NR_sgetmask) == 1L << (SIGUSR1 - 1) && sigismember(&now, SIGUSR1)
          && syscall(__NR_ssetmask, before) == 1L << (SIGUSR1 - 1), "ssetmask and sgetmask");
    CHECK(syscall(__NR_getpagesize) == 4096, "getpagesize");
    /* cacheflush(addr, scope, cache, len): FLUSH_SCOPE_LINE 1, FLUSH_CACHE_BOTH 3 */
    CHECK(syscall(__NR_cacheflush, (long)&word, 1, 3, 4) == 0 && syscall(__NR_cacheflush, (long)&word, 7, 3, 4) == -1
          && errno == EINVAL, "cacheflush of a range; a bad scope EINVAL");

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = info_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGTRAP, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    TRAP("trap #15", SIGTRAP, TRAP_BRKPT, "trap #15: SIGTRAP, TRAP_BRKPT");
    TRAP("trap #1", SIGILL, ILL_ILLTRP, "trap #1: SIGILL, ILL_ILLTRP");
    TRAP("illegal", SIGILL, ILL_ILLOPC, "illegal: SIGILL, ILL_ILLOPC");
    if (argc < 2)
        TRAP("move.w #0x2700, %sr", SIGILL, ILL_PRVOPC, "move to sr: SIGILL, ILL_PRVOPC");
    TRAP("moveq #0, %d0\n\tdivs.w %d0, %d1", SIGFPE, FPE_INTDIV, "divide by zero: SIGFPE, FPE_INTDIV");

    struct sigaction fp;
    memset(&fp, 0, sizeof fp);
    fp.sa_handler = fp_clobber;
    sigaction(SIGUSR2, &fp, NULL);
    CHECK(fpu_survives(SIGUSR2), "the FPU registers survive a handler (old frame)");
    fp.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR2, &fp, NULL);
    CHECK(fpu_survives(SIGUSR2), "the FPU registers survive a handler (rt frame)");

    struct sigaction plain;
    memset(&plain, 0, sizeof plain);
    plain.sa_handler = (void (*)(int))plain_handler;
    sigaction(SIGUSR1, &plain, NULL);
    raise(SIGUSR1);
    CHECK(plain_sig == SIGUSR1 && plain_sc_pc != 0, "a handler without SA_SIGINFO gets the old sigcontext and returns");
    return 0;
}
