/* glibc qsort of COUNT ints (default 10 million), pseudo-random.  qsort COUNT */
#include <stdio.h>
#include <stdlib.h>

static int cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000000;
    int *v = malloc((n ? n : 1) * sizeof *v);
    unsigned x = 2463534242u;
    for (long i = 0; i < n; i++) { x ^= x << 13; x ^= x >> 17; x ^= x << 5; v[i] = (int)x; }
    qsort(v, n, sizeof *v, cmp);
    for (long i = 1; i < n; i++)
        if (v[i - 1] > v[i]) { puts("unsorted"); return 1; }
    printf("%d %d\n", n ? v[0] : 0, n ? v[n - 1] : 0);
    return 0;
}
