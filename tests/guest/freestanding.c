/* No libc at all: _start writes a line and exits through raw system calls.
 * Built -nostdlib -static-pie: an ET_DYN with no interpreter, which the
 * loader has to place and start itself (no rcrt1.o needed). */
static const char msg[] = "freestanding ok\n";

static long sys3(long n, long a, long b, long c)
{
    return ARCH_SYSCALL3(n, a, b, c);  /* tests/conftest.py's arch header */
}

#define SYS_write ARCH_NR_write
#define SYS_exit_group ARCH_NR_exit_group

void _start(void)
{
    long n = sys3(SYS_write, 1, (long)msg, sizeof msg - 1);
    sys3(SYS_exit_group, n == sizeof msg - 1 ? 7 : 1, 0, 0);
    for (;;)
        ;
}
