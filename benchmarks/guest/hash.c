/* Register-bound compute: a hash loop with no memory traffic.  hash N */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000000L;
    unsigned long h = 0x9e3779b97f4a7c15UL, x = 1;
    for (long i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        h = (h ^ x) * 0x100000001b3UL;
        h ^= h >> 29;
    }
    printf("%016lx\n", h);
    return 0;
}
