/* What the PowerPC kernel gives user space beyond the generic calls: errors in
 * CR0.SO, the cache line sizes in the auxv (dcbz clears exactly one line), mfpvr
 * emulated, swapcontext, the signals of program checks (trap, privileged
 * instruction), and the old sigframe of a handler without SA_SIGINFO.
 * Every line printed is checked by tests/test_ppc.py (and compared with qemu-ppc). */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define CHECK(cond, what) printf("%s: %s\n", what, (cond) ? "ok" : "FAILED")

/* a raw sc: the result register and CR as the kernel left them */
static long raw_syscall(long nr, long a, long b, long c, unsigned long *cr)
{
    register long r0 __asm__("r0") = nr;
    register long r3 __asm__("r3") = a;
    register long r4 __asm__("r4") = b;
    register long r5 __asm__("r5") = c;
    unsigned long crv;
    __asm__ volatile("sc\n\tmfcr %1" : "+r"(r3), "=r"(crv), "+r"(r0), "+r"(r4), "+r"(r5)
                     : : "memory", "cr0", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "ctr");
    *cr = crv;
    return r3;
}

#define SO 0x10000000UL

static sigjmp_buf back;
static volatile int caught_sig, caught_code;
static volatile unsigned long caught_addr;

static void info_handler(int sig, siginfo_t *si, void *ucv)
{
    (void)ucv;
    caught_sig = sig;
    caught_code = si->si_code;
    caught_addr = (unsigned long)si->si_addr;
    siglongjmp(back, 1);
}

static volatile int plain_sig;
static volatile unsigned long plain_ctx_signal;

/* no SA_SIGINFO: the old frame, whose struct sigcontext is the second argument */
static void plain_handler(int sig, struct sigcontext *sc)
{
    plain_sig = sig;
    plain_ctx_signal = sc->signal;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    unsigned long cr;
    long r = raw_syscall(SYS_close, -1, 0, 0, &cr);
    CHECK(r == EBADF && (cr & SO), "an error is a positive errno with CR0.SO set");
    r = raw_syscall(SYS_getpid, 0, 0, 0, &cr);
    CHECK(r == getpid() && !(cr & SO), "success clears CR0.SO");

    unsigned long line = getauxval(AT_DCACHEBSIZE);
    printf("AT_DCACHEBSIZE and AT_ICACHEBSIZE are %lu: %s\n", line,
           line >= 32 && getauxval(AT_ICACHEBSIZE) == line ? "ok" : "FAILED");
    static unsigned char buf[256] __attribute__((aligned(128)));
    memset(buf, 0xaa, sizeof buf);
    __asm__ volatile("dcbz 0,%0" : : "r"(buf + 128) : "memory"); /* a line boundary for 32- and 128-byte lines */
    int zeroed = 0, first = -1;
    for (int i = 0; i < (int)sizeof buf; i++)
        if (buf[i] == 0) {
            zeroed++;
            if (first < 0)
                first = i;
        }
    CHECK(zeroed == (int)line && first == 128, "dcbz clears one cache line");

    unsigned long pvr;
    __asm__ volatile("mfpvr %0" : "=r"(pvr));
    printf("mfpvr: %#lx\n", pvr);

    ucontext_t uc;
    CHECK(syscall(SYS_swapcontext, &uc, NULL, 16) == -1 && errno == EINVAL, "swapcontext with a short size: EINVAL");

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = info_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGTRAP, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    if (!sigsetjmp(back, 1)) {
        __asm__ volatile("trap");
    }
    CHECK(caught_sig == SIGTRAP && caught_code == TRAP_BRKPT, "trap: SIGTRAP, TRAP_BRKPT");
    caught_sig = 0;
    if (!sigsetjmp(back, 1)) {
        unsigned long msr;
        __asm__ volatile("mfmsr %0" : "=r"(msr));
    }
    CHECK(caught_sig == SIGILL && caught_code == ILL_PRVOPC, "mfmsr: SIGILL, ILL_PRVOPC");
    caught_sig = 0;
    if (!sigsetjmp(back, 1)) {
        __asm__ volatile(".long 0");
    }
    CHECK(caught_sig == SIGILL && caught_code == ILL_ILLOPC, "an undefined opcode: SIGILL, ILL_ILLOPC");

    struct sigaction plain;
    memset(&plain, 0, sizeof plain);
    plain.sa_handler = (void (*)(int))plain_handler;
    sigaction(SIGUSR1, &plain, NULL);
    volatile double d = 1.5;
    raise(SIGUSR1);
    CHECK(plain_sig == SIGUSR1 && plain_ctx_signal == SIGUSR1 && d * 2 == 3.0,
          "a handler without SA_SIGINFO gets the old sigcontext and returns");
    return 0;
}
