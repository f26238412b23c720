/* A 64 MiB .bss: mapped, zeroed, writable. */
#include <stdio.h>
#include <string.h>

#define SIZE (64u << 20)
static unsigned char big[SIZE];
static unsigned char small_data[4096] = {1, 2, 3};

int main(void)
{
    unsigned long nonzero = 0;
    for (unsigned i = 0; i < SIZE; i += 512)
        nonzero += big[i] != 0;
    nonzero += big[SIZE - 1] != 0;
    memset(big, 0x5a, SIZE);
    printf("bss=%u nonzero=%lu last=%#x data=%d%d%d\n", SIZE, nonzero, big[SIZE - 1],
           small_data[0], small_data[1], small_data[2]);
    return nonzero != 0;
}
