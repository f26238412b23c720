/* Prints what the emulator handed over: argc, argv[0..], and for every
 * argument of the form @NAME the value of getenv("NAME") (or "unset").
 * With the argument "stack=N" it also uses N MiB of stack (alloca, every page
 * touched from the top down), to see that -s gave it that much. */
#include <alloca.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int use_stack(size_t mib)
{
    size_t n = mib << 20;
    volatile char *p = alloca(n);
    for (size_t i = n; i >= 4096; i -= 4096)
        p[i - 4096] = (char)i;
    return p[0] + p[n - 4096];
}

int main(int argc, char **argv)
{
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '@') {
            const char *v = getenv(argv[i] + 1);
            printf("%s%s%s\n", argv[i] + 1, v ? "=" : " ", v ? v : "unset");
        } else if (strncmp(argv[i], "stack=", 6) == 0) {
            size_t mib = strtoul(argv[i] + 6, NULL, 10);
            printf("used %zu MiB of stack (%d)\n", mib, use_stack(mib) & 0);
        }
    }
    return 0;
}
