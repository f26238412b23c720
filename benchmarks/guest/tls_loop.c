/* N reads of a thread-local variable from a function the compiler cannot inline: each
 * finds the thread pointer again (a register on most arches; on m68k the
 * get_thread_area syscall, glibc's __m68k_read_tp). */
#include <stdio.h>
#include <stdlib.h>

static __thread long counter;

__attribute__((noinline)) static void bump(long i)
{
    counter += i;
    __asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    for (long i = 0; i < n; i++)
        bump(i);
    printf("%d\n", counter == n * (n - 1) / 2);
    return 0;
}
