/* No libc at all: _start writes a line and exits through raw system calls.
 * Built -nostdlib -static-pie: an ET_DYN with no interpreter, which the
 * loader has to place and start itself (no rcrt1.o needed). */
__attribute__((used)) static const char msg[] = "freestanding ok\n";

static long sys3(long n, long a, long b, long c)
{
    return ARCH_SYSCALL3(n, a, b, c);  /* tests/conftest.py's arch header */
}

#define SYS_write ARCH_NR_write
#define SYS_exit_group ARCH_NR_exit_group

#ifdef ARCH_ENTRY
/* an ABI whose C code needs a register the kernel leaves unset at the entry
 * (MIPS PIC code finds its GOT from $t9): a few instructions set it, then call */
ARCH_ENTRY(c_start);
#define ENTRY c_start
#else
#define ENTRY _start
#endif

#ifndef ARCH_LOAD_BIAS
#define ARCH_LOAD_BIAS 0  /* PC-relative addressing: nothing to add */
#endif

__attribute__((used)) void ENTRY(void)
{
    /* where no dynamic linker adjusts the GOT (MIPS), what it would add to its entries */
#ifdef ARCH_ADDRESS_OF
    /* where the GOT holds nothing before relocation (PowerPC's RELA): PC-relative */
    long n = sys3(SYS_write, 1, (long)ARCH_ADDRESS_OF(msg), sizeof msg - 1);
#else
    long bias = ARCH_LOAD_BIAS;
    long n = sys3(SYS_write, 1, (long)msg + bias, sizeof msg - 1);
#endif
    sys3(SYS_exit_group, n == sizeof msg - 1 ? 7 : 1, 0, 0);
    for (;;)
        ;
}
