/* A pointer chase over 4096 pages (16 MiB, far more than the 256 entries a Unicorn
   TLB starts with), each load's address register also its destination (p = *p):
   a load run twice puts the chase a step ahead, and the index printed at the end
   tells. tlb_chase STEPS */
#include <stdio.h>
#include <stdlib.h>

#define PAGES 4096
#define WORDS_PER_PAGE 512

/* the i-th slot of the ring: pages in a scrambled order (an odd multiplier is a
   permutation modulo a power of two), a different word in each */
static unsigned long slot(unsigned long i)
{
    return ((i * 40503UL) % PAGES) * WORDS_PER_PAGE + i % WORDS_PER_PAGE;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000L;
    void **a = malloc(PAGES * WORDS_PER_PAGE * sizeof *a);
    for (unsigned long i = 0; i < PAGES; i++)
        a[slot(i)] = &a[slot((i + 1) % PAGES)];
    void **p = &a[slot(0)];
    for (long i = 0; i < n; i++)
        p = *p;
    printf("chase ended at word %ld\n", (long)(p - a));
    return 0;
}
