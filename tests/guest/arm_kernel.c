/* What the 32-bit Arm kernel gives user space beyond the generic calls: the kuser
 * helpers at 0xffff0fxx, the private calls (set_tls, get_tls, cacheflush), and
 * signal frames for handlers with and without SA_SIGINFO, in ARM and Thumb code.
 * Every line printed is checked by tests/test_arm.py (and compared with qemu-arm). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define CHECK(cond, what) printf("%s: %s\n", what, (cond) ? "ok" : "FAILED")

typedef int (*kuser_cmpxchg_t)(int oldval, int newval, volatile int *ptr);
typedef int (*kuser_cmpxchg64_t)(const int64_t *oldval, const int64_t *newval, volatile int64_t *ptr);
typedef void *(*kuser_get_tls_t)(void);
typedef void (*kuser_barrier_t)(void);
#define KUSER_CMPXCHG64 ((kuser_cmpxchg64_t)0xffff0f60)
#define KUSER_BARRIER ((kuser_barrier_t)0xffff0fa0)
#define KUSER_CMPXCHG ((kuser_cmpxchg_t)0xffff0fc0)
#define KUSER_GET_TLS ((kuser_get_tls_t)0xffff0fe0)
#define KUSER_VERSION (*(int *)0xffff0ffc)

static volatile int got_sig, got_info_sig, info_code;
static volatile unsigned long info_cpsr;

static void plain_handler(int sig)
{
    got_sig = sig;
}

static void info_handler(int sig, siginfo_t *si, void *ucv)
{
    info_cpsr = ((ucontext_t *)ucv)->uc_mcontext.arm_cpsr;
    got_info_sig = sig;
    info_code = si->si_code;
}

__attribute__((target("arm"), noinline)) static void raise_in_arm_code(int sig)
{
    raise(sig);
}

__attribute__((target("thumb"), noinline)) static void raise_in_thumb_code(int sig)
{
    raise(sig);
}

static int run_code(void *page, uint32_t immediate)
{
    /* mov r0, #immediate; bx lr, written into the page, then run */
    uint32_t code[2] = {0xe3a00000 | (immediate & 0xff), 0xe12fff1e};
    memcpy(page, code, sizeof code);
    syscall(__ARM_NR_cacheflush, page, (char *)page + sizeof code, 0);
    return ((int (*)(void))page)();
}

int main(void)
{
    /* the kuser helpers */
    CHECK(KUSER_VERSION >= 2, "kuser helper version");
    void *tp;
    __asm__ volatile("mrc p15, 0, %0, c13, c0, 3" : "=r"(tp));
    CHECK(KUSER_GET_TLS() == tp, "__kuser_get_tls is the thread pointer");
    volatile int word = 5;
    CHECK(KUSER_CMPXCHG(5, 7, &word) == 0 && word == 7, "__kuser_cmpxchg swaps");
    CHECK(KUSER_CMPXCHG(5, 9, &word) != 0 && word == 7, "__kuser_cmpxchg refuses a stale value");
    volatile int64_t wide = 0x100000001LL;
    int64_t old = 0x100000001LL, new = 0x2000000020LL;
    CHECK(KUSER_CMPXCHG64(&old, &new, &wide) == 0 && wide == new, "__kuser_cmpxchg64 swaps");
    CHECK(KUSER_CMPXCHG64(&old, &new, &wide) != 0 && wide == new, "__kuser_cmpxchg64 refuses a stale value");
    KUSER_BARRIER();
    CHECK(1, "__kuser_memory_barrier returns");

    /* the private calls */
    void *mine = (char *)tp + 0x40;
    CHECK(syscall(__ARM_NR_set_tls, mine) == 0, "set_tls");
    void *now;
    __asm__ volatile("mrc p15, 0, %0, c13, c0, 3" : "=r"(now));
    CHECK(now == mine && (void *)syscall(__ARM_NR_get_tls) == mine, "get_tls and TPIDRURO agree");
    syscall(__ARM_NR_set_tls, tp);

    /* code rewritten in place runs anew after cacheflush */
    void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int first = run_code(page, 11);
    int second = run_code(page, 22);
    CHECK(first == 11 && second == 22, "cacheflush drops the old translation");
    CHECK(syscall(__ARM_NR_cacheflush, (char *)page + 8, page, 0) == -1, "cacheflush end before start fails");

    /* frames: without SA_SIGINFO (sigframe, sigreturn) and with it (rt_sigframe) */
    struct sigaction sa = {.sa_handler = plain_handler};
    sigaction(SIGUSR1, &sa, NULL);
    raise_in_arm_code(SIGUSR1);
    CHECK(got_sig == SIGUSR1, "plain handler from ARM code returns");
    got_sig = 0;
    raise_in_thumb_code(SIGUSR1);
    CHECK(got_sig == SIGUSR1, "plain handler from Thumb code returns");
    struct sigaction si = {.sa_sigaction = info_handler, .sa_flags = SA_SIGINFO};
    sigaction(SIGUSR2, &si, NULL);
    raise_in_thumb_code(SIGUSR2);
    CHECK(got_info_sig == SIGUSR2 && info_code == SI_TKILL, "SA_SIGINFO handler from Thumb code returns");
    got_info_sig = 0;
    raise_in_arm_code(SIGUSR2);
    CHECK(got_info_sig == SIGUSR2, "SA_SIGINFO handler from ARM code returns");
    CHECK((info_cpsr & 0x1DF) == 0x10, "the frame's CPSR is User mode with A, I, F clear");
    return 0;
}
