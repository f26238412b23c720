/* ppc64: a signal handler that changes vector registers leaves the interrupted code's
 * as they were (the frame saves VR0-31 and VSR0-31's low halves, sigreturn restores
 * them), and the handler finds them in uc_mcontext.v_regs with MSR_VEC and MSR_VSX
 * set in the saved MSR. Every line printed is checked by tests/test_ppc64.py. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>

#define MSR_VEC (1UL << 25)
#define MSR_VSX (1UL << 23)

static unsigned char vr_in[16] __attribute__((aligned(16))), vs_in[16] __attribute__((aligned(16)));
static unsigned char vr_seen[16], vs_low_seen[8];
static unsigned long msr_seen;

static void handler(int sig, siginfo_t *si, void *ucv)
{
    (void)sig, (void)si;
    ucontext_t *uc = ucv;
    msr_seen = uc->uc_mcontext.gp_regs[PT_MSR];
    if (uc->uc_mcontext.v_regs) {
        memcpy(vr_seen, &uc->uc_mcontext.v_regs->vrregs[20], 16);
        /* after the 34 vector slots (VR0-31, VSCR, VRSAVE): the low halves of VSR0-31 */
        memcpy(vs_low_seen, (char *)uc->uc_mcontext.v_regs + 34 * 16 + 10 * 8, 8);
    }
    __asm__ volatile("vxor 20,20,20\n\txxlxor 10,10,10" : : : "v20", "vs10");
}

int main(void)
{
    for (int i = 0; i < 16; i++) {
        vr_in[i] = 0xa0 + i;
        vs_in[i] = 0x10 + i;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    unsigned char vr_out[16] __attribute__((aligned(16))), vs_out[16] __attribute__((aligned(16)));
    __asm__ volatile("lvx 20,0,%2\n\tlxvd2x 10,0,%3\n\t"
                     "li 0,%4\n\tli 3,0\n\tli 4,0\n\tsc\n\t"  /* getpid: r3, then kill(it, SIGUSR1) */
                     "li 0,%5\n\tli 4,%6\n\tsc\n\t"
                     "stvx 20,0,%0\n\tstxvd2x 10,0,%1"
                     : : "b"(vr_out), "b"(vs_out), "b"(vr_in), "b"(vs_in), "i"(SYS_getpid), "i"(SYS_kill),
                       "i"(SIGUSR1)
                     : "r0", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "cr0", "ctr",
                       "v20", "vs10", "memory");
    printf("handler saw MSR_VEC and MSR_VSX: %s\n", (msr_seen & MSR_VEC) && (msr_seen & MSR_VSX) ? "ok" : "FAILED");
    printf("handler saw v20 in v_regs: %s\n", !memcmp(vr_seen, vr_in, 16) ? "ok" : "FAILED");
    printf("handler saw vs10's low half: %s\n", !memcmp(vs_low_seen, vs_in + 8, 8) ? "ok" : "FAILED");
    printf("v20 restored: %s\n", !memcmp(vr_out, vr_in, 16) ? "ok" : "FAILED");
    printf("vs10 restored: %s\n", !memcmp(vs_out, vs_in, 16) ? "ok" : "FAILED");
    return 0;
}
