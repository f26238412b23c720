/* A syscall the kernel has but pyqemu does not (twice), and one nobody has. */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    for (int i = 0; i < 2; i++)
        puts(syscall(SYS_lookup_dcookie, 0, 0, 0) == -1 && errno == ENOSYS ? "ENOSYS" : "other");
    puts(syscall(ARCH_NR_BASE + 4000) == -1 && errno == ENOSYS ? "ENOSYS" : "other");
    return 0;
}
