/* Standard streams that are closed or full, and a write interrupted by SIGKILL.
   usage: streams write          write to stdout, report on stderr, exit 3
          streams threads        the same with two other threads running, exit 5
          streams fault          report, then die of SIGSEGV
          streams count FILE     write "%08d\n" lines to stdout for ever, counting the
                                 completed write()s in FILE (a shared mapping: it survives SIGKILL) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void report(const char *what, long ret) {
    char line[128];
    int n = snprintf(line, sizeof line, "%s: %s\n", what, ret < 0 ? strerrorname_np(errno) : "ok");
    write(2, line, n);
}

static void *spin(void *arg) {
    for (volatile long i = 0;; i++)
        if (arg && i % 1000000 == 0)
            usleep(1000);
    return NULL;
}

static void *block(void *arg) {
    int p[2];
    char c;
    pipe(p);
    read(p[0], &c, 1); /* never returns */
    return arg;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "write";
    if (strcmp(mode, "count") == 0) {
        int fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
        ftruncate(fd, 4096);
        volatile long *done = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        char line[16];
        for (long i = 0;; i++) {
            snprintf(line, sizeof line, "%08ld\n", i);
            if (write(1, line, 9) != 9)
                return 1;
            *done = i + 1;
        }
    }
    pthread_t a, b;
    if (strcmp(mode, "threads") == 0) {
        pthread_create(&a, NULL, spin, NULL);
        pthread_create(&b, NULL, block, NULL);
    }
    report("write(1)", write(1, "x\n", 2));
    report("printf+fflush", printf("hello\n") < 0 || fflush(stdout) ? -1 : 0);
    if (strcmp(mode, "fault") == 0)
        *(volatile int *)16 = 1;
    return strcmp(mode, "threads") == 0 ? 5 : 3;
}
