/* N getpid round trips through the raw syscall (glibc does not cache getpid). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    long sum = 0;
    for (long i = 0; i < n; i++)
        sum += syscall(SYS_getpid);
    printf("%ld\n", sum != 0 || n == 0);
    return 0;
}
