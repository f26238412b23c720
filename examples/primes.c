/* The bundled example: a small riscv64 program that counts primes with a
 * sieve, writes them to a file, reads them back and reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

int main(int argc, char **argv)
{
    int limit = argc > 1 ? atoi(argv[1]) : 100000;
    char *composite = calloc(limit + 1, 1);
    int count = 0;
    long sum = 0;
    for (long i = 2; i <= limit; i++) {
        if (composite[i])
            continue;
        count++;
        sum += i;
        for (long j = i * i; j <= limit; j += i)
            composite[j] = 1;
    }
    const char *path = "/tmp/pyqemu-example-primes.txt";
    FILE *f = fopen(path, "w");
    fprintf(f, "%d %ld\n", count, sum);
    fclose(f);
    int count2 = 0;
    long sum2 = 0;
    f = fopen(path, "r");
    if (fscanf(f, "%d %ld", &count2, &sum2) != 2)
        return 1;
    fclose(f);
    remove(path);
    struct utsname u;
    uname(&u);
    printf("Hello from %s: %d primes up to %d, their sum is %ld (read back: %s)\n",
           u.machine, count, limit, sum, count == count2 && sum == sum2 ? "same" : "DIFFERENT");
    free(composite);
    return 0;
}
