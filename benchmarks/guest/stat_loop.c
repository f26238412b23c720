/* N stat() calls on one path (default /).  stat_loop N [path] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000;
    const char *path = argc > 2 ? argv[2] : "/";
    struct stat st;
    long sum = 0;
    for (long i = 0; i < n; i++) {
        if (stat(path, &st)) { perror("stat"); return 1; }
        sum += st.st_nlink;
    }
    printf("%ld\n", sum != 0);
    return 0;
}
