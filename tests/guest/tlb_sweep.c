/* Random reads and writes over a 16 MiB array (4096 pages, far more than the
   256 entries a Unicorn TLB starts with), then a checksum. tlb_sweep N */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define WORDS ((16u << 20) / 8)

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 2000000L;
    uint64_t *a = malloc(WORDS * sizeof *a), sum = 0, x = 1;
    for (uint64_t i = 0; i < WORDS; i++)
        a[i] = i * 0x9e3779b97f4a7c15ULL;
    for (long i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t *p = &a[(x >> 33) & (WORDS - 1)];
        sum += *p;
        *p ^= sum;
    }
    printf("%016llx\n", (unsigned long long)sum);
    return 0;
}
