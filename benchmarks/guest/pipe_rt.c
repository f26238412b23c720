/* N round trips of 4 KiB through a pipe: write 4 KiB, read it back (one thread,
 * so this measures two syscalls and two 4 KiB copies per round trip).  pipe_rt N */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000;
    static char out[4096], in[4096];
    int fds[2];
    if (pipe(fds)) { perror("pipe"); return 1; }
    for (int i = 0; i < 4096; i++) out[i] = (char)i;
    long sum = 0;
    for (long i = 0; i < n; i++) {
        out[0] = (char)i;
        if (write(fds[1], out, sizeof out) != sizeof out) { perror("write"); return 1; }
        if (read(fds[0], in, sizeof in) != sizeof in) { perror("read"); return 1; }
        sum += in[0];
    }
    printf("%ld\n", sum);
    return 0;
}
