/* A program's own RLIMIT_AS and RLIMIT_DATA limit its mappings (ENOMEM from mmap,
   mremap, mprotect and brk), and an exec'd program inherits them. Every line holds
   natively; compared with a native run.
   usage: rlimits           the checks (then exec itself with --child)
          rlimits --child   print the inherited RLIMIT_AS and try to exceed it */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define MiB (1UL << 20)

static char text[1 << 18];

/* bytes mapped (all, or only private writable non-stack ones: the kernel's data_vm) */
static unsigned long mapped(int data_only) {
    int fd = open("/proc/self/maps", O_RDONLY);
    long n = 0, got;
    while ((got = read(fd, text + n, sizeof text - 1 - n)) > 0)
        n += got;
    close(fd);
    text[n] = 0;
    unsigned long total = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || strstr(line, "[vsyscall]"))
            continue;
        if (data_only && (perms[1] != 'w' || perms[3] != 'p' || strstr(line, "[stack]")))
            continue;
        total += hi - lo;
    }
    return total;
}

static const char *result(void *p) {
    return p == MAP_FAILED || p == NULL ? strerrorname_np(errno) : "ok";
}

static void *anon(size_t size, int prot, int flags) {
    errno = 0;
    return mmap(NULL, size, prot, flags | MAP_ANONYMOUS, -1, 0);
}

int main(int argc, char **argv) {
    struct rlimit r;
    if (argc > 1 && strcmp(argv[1], "--child") == 0) {
        getrlimit(RLIMIT_AS, &r);
        printf("child: RLIMIT_AS %lu MiB\n", (unsigned long)r.rlim_cur / MiB);
        printf("child: mmap 3 GiB: %s\n", result(anon(3072 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE)));
        printf("child: mmap 64 MiB: %s\n", result(anon(64 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE)));
        return 0;
    }
    getrlimit(RLIMIT_AS, &r);
    printf("RLIMIT_AS starts unlimited: %d\n", r.rlim_cur == RLIM_INFINITY);

    /* RLIMIT_AS: 64 MiB above what is mapped now */
    r.rlim_cur = mapped(0) + 64 * MiB;
    printf("setrlimit AS: %d\n", setrlimit(RLIMIT_AS, &r));
    void *a = anon(32 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    printf("mmap 32 MiB: %s\n", result(a));
    printf("mmap 64 MiB more: %s\n", result(anon(64 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE)));
    printf("mmap 64 MiB PROT_NONE: %s\n", result(anon(64 * MiB, PROT_NONE, MAP_PRIVATE)));
    errno = 0;
    printf("mremap to 128 MiB: %s\n", result(mremap(a, 32 * MiB, 128 * MiB, MREMAP_MAYMOVE)));
    errno = 0;
    printf("malloc 128 MiB: %s\n", result(malloc(128 * MiB)));
    printf("mmap over itself (MAP_FIXED, no growth): %s\n",
           result(mmap(a, 32 * MiB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)));
    munmap(a, 32 * MiB);
    r.rlim_cur = r.rlim_max;
    printf("soft back up to the hard limit: %d\n", setrlimit(RLIMIT_AS, &r));
    void *big = anon(256 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    printf("mmap 256 MiB: %s\n", result(big));
    munmap(big, 256 * MiB);
    struct rlimit bad = {2 * MiB, MiB};
    errno = 0;
    int ret = setrlimit(RLIMIT_AS, &bad);
    printf("soft above hard: %d %s\n", ret, strerrorname_np(errno));

    /* RLIMIT_DATA: private writable mappings and the heap */
    struct rlimit d;
    getrlimit(RLIMIT_DATA, &d);
    d.rlim_cur = mapped(1) + 16 * MiB;
    printf("setrlimit DATA: %d\n", setrlimit(RLIMIT_DATA, &d));
    printf("data: mmap 32 MiB private writable: %s\n", result(anon(32 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE)));
    void *ro = anon(32 * MiB, PROT_READ, MAP_PRIVATE);
    printf("data: mmap 32 MiB read-only: %s\n", result(ro));
    errno = 0;
    ret = mprotect(ro, 32 * MiB, PROT_READ | PROT_WRITE);
    printf("data: mprotect it writable: %d %s\n", ret, strerrorname_np(errno));
    printf("data: mmap 32 MiB shared writable: %s\n", result(anon(32 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED)));
    errno = 0;
    void *brk_before = sbrk(0);
    const char *grown = result(sbrk(32 * MiB) == (void *)-1 ? NULL : brk_before);
    printf("data: sbrk 32 MiB: %s, break unchanged: %d\n", grown, sbrk(0) == brk_before);
    printf("data: sbrk 64 KiB: %s\n", result(sbrk(64 << 10) == (void *)-1 ? NULL : brk_before));
    d.rlim_cur = d.rlim_max;
    setrlimit(RLIMIT_DATA, &d);

    /* an exec'd program gets the limit (below 2 GiB: MIPS o32's getrlimit says
       infinity, 0x7fffffff, for anything above) */
    r.rlim_cur = 1536 * MiB;
    setrlimit(RLIMIT_AS, &r);
    fflush(stdout);
    execl(argv[0], argv[0], "--child", NULL);
    perror("execl");
    return 1;
}
