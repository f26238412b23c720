/* What a program learns about itself from /proc: each line a fact that holds
   on a real kernel and must hold under pyqemu (not pyqemu's own /proc). */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

static long slurp(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    long n = 0, got;
    while ((got = read(fd, buf + n, size - 1 - n)) > 0) n += got;
    close(fd);
    buf[n] = 0;
    return n;
}

static char buf[1 << 20];

int main(int argc, char **argv) {
    char link[PATH_MAX], real[PATH_MAX], path[64];
    ssize_t n = readlink("/proc/self/exe", link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    printf("exe is me: %d\n", n > 0 && realpath(argv[0], real) && strcmp(real, link) == 0);

    long len = slurp("/proc/self/cmdline", buf, sizeof buf);
    long want = 0;
    for (int i = 0; i < argc; i++) want += strlen(argv[i]) + 1;
    printf("cmdline: %d\n", len == want && strcmp(buf + strlen(buf) + 1, argc > 1 ? argv[1] : "") == 0);

    len = slurp("/proc/self/auxv", buf, sizeof buf);
    unsigned long *av = (unsigned long *)buf;
    int pagesz = 0, entry = 0;
    for (long i = 0; i + 1 < len / (long)sizeof *av && av[i]; i += 2) {
        if (av[i] == AT_PAGESZ && av[i + 1] == (unsigned long)getpagesize()) pagesz = 1;
        if (av[i] == AT_ENTRY && av[i + 1] == getauxval(AT_ENTRY)) entry = 1;
    }
    printf("auxv: pagesz %d entry %d\n", pagesz, entry);

    slurp("/proc/self/maps", buf, sizeof buf);
    char mine[96];
    snprintf(mine, sizeof mine, "%lx-", (unsigned long)&main & ~0xfffUL);
    int code = 0;
#if defined(_CALL_ELF) && _CALL_ELF == 1
    unsigned long main_code = *(unsigned long *)(void *)&main; /* ELFv1: &main is a descriptor */
#else
    unsigned long main_code = (unsigned long)&main;
#endif
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned long lo, hi;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && lo <= main_code && main_code < hi)
            code = perms[0] == 'r' && perms[2] == 'x' && strstr(line, link) != NULL;
    }
    printf("maps: code mapping of %s: %d\n", strrchr(link, '/') + 1, code);

    slurp("/proc/self/stat", buf, sizeof buf);
    char comm[32] = "";
    sscanf(buf, "%*d (%31[^)])", comm);
    printf("stat: pid %d comm %s\n", atoi(buf) == getpid(), comm);
    slurp("/proc/self/status", buf, sizeof buf);
    printf("status: %.*s\n", (int)strcspn(buf, "\n"), buf);
    slurp("/proc/self/comm", buf, sizeof buf);
    printf("comm: %s", buf);

    snprintf(path, sizeof path, "/proc/%d/cmdline", getpid());
    len = slurp(path, buf, sizeof buf);
    printf("own pid dir: %d\n", len == want);

    int fd = open(argv[0], O_RDONLY);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    printf("fd link: %d\n", n > 0 && strcmp(link, real) == 0);

    slurp("/proc/cpuinfo", buf, sizeof buf);
    /* the guest's CPU, not the host's: an x86 vendor only for an x86 guest */
    printf("cpuinfo: processor %d, x86 vendor %d\n", strstr(buf, "processor") != NULL,
           strstr(buf, "GenuineIntel") != NULL || strstr(buf, "AuthenticAMD") != NULL);
    return 0;
}
