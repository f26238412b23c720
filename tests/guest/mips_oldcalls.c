/* MIPS o32's old calls beside the new: sgetmask/ssetmask (signals 1..32 of the
   blocked mask), umount (umount2 without flags), stime (the clock in seconds: only
   its EFAULT here, the tests may run as root). Compared with qemu-user. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BIT(sig) (1UL << ((sig) - 1))

int main(void) {
    sigset_t set, now;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, 40); /* past 32: ssetmask unblocks it (the kernel's siginitset) */
    sigprocmask(SIG_SETMASK, &set, NULL);
    long mask = syscall(SYS_sgetmask);
    printf("sgetmask: SIGUSR1 %d, SIGUSR2 %d\n", !!(mask & BIT(SIGUSR1)), !!(mask & BIT(SIGUSR2)));
    long old = syscall(SYS_ssetmask, BIT(SIGUSR2) | BIT(SIGKILL) | BIT(SIGSTOP));
    sigprocmask(SIG_SETMASK, NULL, &now);
    printf("ssetmask: old SIGUSR1 %d; now SIGUSR1 %d SIGUSR2 %d SIGKILL %d SIGSTOP %d, 40 kept %d\n",
           !!(old & BIT(SIGUSR1)), sigismember(&now, SIGUSR1), sigismember(&now, SIGUSR2),
           sigismember(&now, SIGKILL), sigismember(&now, SIGSTOP), sigismember(&now, 40));
    printf("sgetmask again: %#lx\n", syscall(SYS_sgetmask));
    errno = 0;
    long r = syscall(SYS_umount, "/no/such/mount/point");
    printf("umount of a missing path: %ld %s\n", r, strerror(errno));
    errno = 0;
    r = syscall(SYS_stime, (void *)16);
    printf("stime of a bad pointer: %ld %s\n", r, strerror(errno));
    return 0;
}
