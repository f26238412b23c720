/* N random reads over a 16 MiB array (default 100 million).  random_access N */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define WORDS ((16u << 20) / 8)

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000000L;
    uint64_t *a = malloc(WORDS * sizeof *a), sum = 0, x = 1;
    for (uint64_t i = 0; i < WORDS; i++) a[i] = i * 0x9e3779b97f4a7c15ULL;
    for (long i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        sum += a[(x >> 33) & (WORDS - 1)];
    }
    printf("%016llx\n", (unsigned long long)sum);
    return 0;
}
