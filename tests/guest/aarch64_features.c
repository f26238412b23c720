/* aarch64: the CPU features a process is offered, each with the kernel's part:
 * pointer authentication (per-process keys, the PR_PAC_* prctls), top-byte-ignore,
 * and SVE, SME, MTE and the tagged address ABI refused as a kernel without them does.
 * One "name: value" line each. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define HWCAP_PACA (1UL << 30)
#define HWCAP_PACG (1UL << 31)
#define HWCAP_SVE (1UL << 22)
#define HWCAP2_MTE (1UL << 18)
#define HWCAP2_BTI (1UL << 17)
#define HWCAP2_SME (1UL << 23)

static uint64_t pacia(uint64_t ptr, uint64_t mod)
{
    __asm__ volatile(".arch_extension pauth\n pacia %0, %1" : "+r"(ptr) : "r"(mod));
    return ptr;
}

static uint64_t autia(uint64_t ptr, uint64_t mod)
{
    __asm__ volatile(".arch_extension pauth\n autia %0, %1" : "+r"(ptr) : "r"(mod));
    return ptr;
}

static uint64_t xpaci(uint64_t ptr)
{
    __asm__ volatile(".arch_extension pauth\n xpaci %0" : "+r"(ptr));
    return ptr;
}

static uint64_t signed_in_main;
static const uint64_t pointer = 0x0000aaaabbbbc000, modifier = 42;

static void *auth_in_thread(void *arg)
{
    return (void *)(uintptr_t)(autia(signed_in_main, modifier) == pointer);
}

static sigjmp_buf back;
static volatile int got;

static void on_signal(int sig)
{
    got = sig;
    siglongjmp(back, 1);
}

static const char *err(long r)
{
    return r == -1 ? strerror(errno) : "0";
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    unsigned long hwcap = getauxval(AT_HWCAP), hwcap2 = getauxval(AT_HWCAP2);
    printf("HWCAP_PACA: %d\nHWCAP_PACG: %d\nHWCAP_SVE: %d\nHWCAP2_MTE: %d\nHWCAP2_BTI: %d\nHWCAP2_SME: %d\n",
           !!(hwcap & HWCAP_PACA), !!(hwcap & HWCAP_PACG), !!(hwcap & HWCAP_SVE), !!(hwcap2 & HWCAP2_MTE),
           !!(hwcap2 & HWCAP2_BTI), !!(hwcap2 & HWCAP2_SME));
    if (hwcap & HWCAP_PACA) {
        uint64_t s = pacia(pointer, modifier);
        printf("pacia signs: %d\n", s != pointer);
        printf("autia gives it back: %d\n", autia(s, modifier) == pointer);
        printf("xpaci strips it: %d\n", xpaci(s) == pointer);
        printf("another modifier fails: %d\n", autia(s, modifier + 1) != pointer);
        int in_field = 1;  /* TBI0 and a 48-bit VA: the PAC is bits 54:48 (Linux's NT_ARM_PAC_MASK) */
        for (uint64_t m = 0; m < 64; m++)
            in_field &= ((pacia(pointer, m) ^ pointer) & ~0x007f000000000000ull) == 0;
        printf("the signature is bits 54:48 only: %d\n", in_field);
        printf("enabled keys: %ld\n", (long)prctl(PR_PAC_GET_ENABLED_KEYS, 0, 0, 0, 0));
        signed_in_main = s;
        pthread_t th;
        void *ok;
        pthread_create(&th, NULL, auth_in_thread, NULL);
        pthread_join(th, &ok);
        printf("a thread shares the keys: %d\n", ok != NULL);
        pid_t pid = fork();
        if (pid == 0)
            _exit(autia(s, modifier) == pointer ? 0 : 1);
        int status;
        waitpid(pid, &status, 0);
        printf("a forked child keeps them: %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);
        printf("PR_PAC_RESET_KEYS: %s\n", err(prctl(PR_PAC_RESET_KEYS, PR_PAC_APIAKEY, 0, 0, 0)));
        printf("a new key signs otherwise: %d\n", pacia(pointer, modifier) != s);
        printf("PR_PAC_SET_ENABLED_KEYS off: %s\n", err(prctl(PR_PAC_SET_ENABLED_KEYS, PR_PAC_APIAKEY, 0, 0, 0)));
        printf("a disabled key leaves pointers alone: %d\n", pacia(pointer, modifier) == pointer);
        printf("enabled keys: %ld\n", (long)prctl(PR_PAC_GET_ENABLED_KEYS, 0, 0, 0, 0));
        printf("PR_PAC_SET_ENABLED_KEYS bad: %s\n", err(prctl(PR_PAC_SET_ENABLED_KEYS, PR_PAC_APGAKEY, 0, 0, 0)));
        printf("PR_PAC_RESET_KEYS bad: %s\n", err(prctl(PR_PAC_RESET_KEYS, 1 << 5, 0, 0, 0)));
    } else {
        printf("PR_PAC_RESET_KEYS: %s\n", err(prctl(PR_PAC_RESET_KEYS, 0, 0, 0, 0)));
    }
    static long tagged_target = 42;
    long *tagged = (long *)((uintptr_t)&tagged_target | (0x5aUL << 56));
    printf("a load through a tagged pointer: %ld\n", *tagged);
    if (!(hwcap & HWCAP_SVE)) {
        signal(SIGILL, on_signal);
        got = 0;
        if (!sigsetjmp(back, 1)) {
            long vl;
            __asm__ volatile(".arch_extension sve\n rdvl %0, #1" : "=r"(vl));
        }
        printf("an SVE instruction without SVE: signal %d\n", got);
        printf("PR_SVE_GET_VL: %s\n", err(prctl(PR_SVE_GET_VL, 0, 0, 0, 0)));
    }
    if (!(hwcap2 & HWCAP2_SME))
        printf("PR_SME_GET_VL: %s\n", err(prctl(64 /* PR_SME_GET_VL */, 0, 0, 0, 0)));
    if (!(hwcap2 & HWCAP2_MTE)) {
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | 0x20 /* PROT_MTE */, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("mmap with PROT_MTE: %s\n", p == MAP_FAILED ? strerror(errno) : "mapped");
    }
    if (!(hwcap2 & HWCAP2_BTI)) {
        void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC | 0x10 /* PROT_BTI */, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("mmap with PROT_BTI: %s\n", p == MAP_FAILED ? strerror(errno) : "mapped");
    }
    return 0;
}
