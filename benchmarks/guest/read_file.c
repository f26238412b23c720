/* N reads of 1 MiB from the start of a cached file (pread at offset 0).  read_file N path */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000;
    const char *path = argc > 2 ? argv[2] : "/proc/self/exe";
    static char buf[1 << 20];
    int fd = open(path, O_RDONLY);
    if (fd < 0) { perror(path); return 1; }
    long sum = 0;
    for (long i = 0; i < n; i++) {
        ssize_t got = pread(fd, buf, sizeof buf, 0);
        if (got < 0) { perror("pread"); return 1; }
        sum += got + buf[i & 0xfffff];
    }
    printf("%ld\n", sum != 0);
    return 0;
}
