/* /proc/self/smaps, smaps_rollup, numa_maps and mem, and /proc/CHILD/mem, as a
   program sees them on a real kernel: its own mappings and its own memory at its
   own addresses. Every line printed holds natively; compared with a native run.
   usage: procmem            the checks
          procmem --child    (exec'd by the checks) set a variable, wait, print it */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64 /* guest addresses above 2 GiB are file offsets too */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static char text[1 << 20];
#define OFF(p) ((off_t)(uintptr_t)(p)) /* an address as a file offset: never sign-extended */
volatile long shared_var = 5;

static long slurp(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    long n = 0, got;
    while ((got = read(fd, text + n, sizeof text - 1 - n)) > 0)
        n += got;
    close(fd);
    text[n] = 0;
    return n;
}

/* the value of `key` in the smaps entry starting at addr (kB), or -1 */
static long smaps_field(unsigned long addr, const char *key) {
    char head[32];
    snprintf(head, sizeof head, "\n%lx-", addr);
    char *entry = strstr(text, head);
    if (!entry)
        return -1;
    char *end = entry + 1;
    while ((end = strchr(end, '\n')) && end[1] && !(end[1] >= '0' && end[1] <= '9') && !(end[1] >= 'a' && end[1] <= 'f'))
        end++;
    size_t klen = strlen(key);
    for (char *p = strchr(entry + 1, '\n'); p && (!end || p < end); p = strchr(p + 1, '\n'))
        if (strncmp(p + 1, key, klen) == 0 && p[1 + klen] == ':')
            return atol(p + 2 + klen);
    return -1;
}

static void smaps_checks(void) {
    long page = getpagesize();
    char *region = mmap(NULL, 16 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    /* a guard on both sides so that its entry is its own */
    mprotect(region, page, PROT_NONE);
    mprotect(region + 15 * page, page, PROT_NONE);
    char *mine = region + page;
    for (int i = 0; i < 3; i++)
        mine[i * page] = 1;

    /* smaps: one entry per line of maps, with the same header lines */
    static char maps[1 << 18];
    slurp("/proc/self/maps");
    strcpy(maps, text);
    text[0] = '\n';
    long n = slurp("/proc/self/smaps");
    memmove(text + 1, text, n + 1);
    text[0] = '\n';
    int lines = 0, found = 0;
    for (char *line = strtok(maps, "\n"); line; line = strtok(NULL, "\n")) {
        lines++;
        char want[512];
        snprintf(want, sizeof want, "\n%s\n", line);
        if (strstr(text, want))
            found++;
    }
    printf("smaps: every maps line heads an entry: %d\n", lines > 3 && found == lines);
    int entries = 0;
    for (char *p = strstr(text, "\nVmFlags:"); p; p = strstr(p + 1, "\nVmFlags:"))
        entries++;
    printf("smaps: as many entries as maps lines: %d\n", entries == lines);
    unsigned long a = (unsigned long)mine;
    printf("smaps: region Size %ld kB, Rss %ld kB, KernelPageSize %ld kB\n", smaps_field(a, "Size"),
           smaps_field(a, "Rss"), smaps_field(a, "KernelPageSize"));
    long anon = smaps_field(a, "Anonymous"), dirty = smaps_field(a, "Private_Dirty");
    printf("smaps: Anonymous and Private_Dirty within Rss: %d\n", anon >= 0 && anon <= 12 && dirty >= 0 && dirty <= 12);
    char *flags = strstr(strstr(text, "\nSize:") ? text : text, "");
    char head[32];
    snprintf(head, sizeof head, "\n%lx-", a);
    flags = strstr(strstr(text, head), "VmFlags:");
    printf("smaps: VmFlags rd wr: %d, ex: %d\n", strncmp(flags, "VmFlags: rd wr ", 15) == 0,
           strstr(flags, " ex ") != NULL && strstr(flags, " ex ") < strchr(flags, '\n'));
    long total = 0;
    for (char *p = strstr(text, "\nRss:"); p; p = strstr(p + 1, "\nRss:"))
        total += atol(p + 5);
    slurp("/proc/self/smaps_rollup");
    char *rss = strstr(text, "\nRss:");
    long rolled = rss ? atol(rss + 5) : -1;
    /* reading the files touches a few more pages of `text` in between */
    printf("smaps_rollup: Rss is the entries' sum: %d\n", rolled >= total && rolled <= total + 1024);
    printf("smaps_rollup: [rollup] %d\n", strstr(text, "[rollup]\n") != NULL);

    /* numa_maps: the region's line, with its 3 resident pages on the nodes */
    if (slurp("/proc/self/numa_maps") < 0) {
        printf("numa_maps: absent\n");
    } else {
        char want[32];
        snprintf(want, sizeof want, "\n%08lx default", a);
        memmove(text + 1, text, strlen(text) + 1);
        text[0] = '\n';
        char *line = strstr(text, want);
        long pages = 0;
        if (line) {
            char *end = strchr(line + 1, '\n');
            for (char *p = strstr(line, " N"); p && p < end; p = strstr(p + 1, " N"))
                pages += atol(strchr(p, '=') + 1);
        }
        printf("numa_maps: region line %d, pages on nodes %ld, anon=3 %d, kernelpagesize_kB=4 %d\n", line != NULL,
               pages, line && strstr(line, " anon=3 ") && strstr(line, " anon=3 ") < strchr(line + 1, '\n'),
               line && strstr(line, "kernelpagesize_kB=4\n") == strchr(line + 1, '\n') - 19);
    }
    munmap(region, 16 * page);
}

static int (*make_function(int value))(void) {
    /* a function returning value, in a page the program cannot write */
#if defined(__riscv)
    uint32_t code[] = {0x00000513 | (value << 20), 0x00008067}; /* li a0, value; ret */
#elif defined(__aarch64__)
    uint32_t code[] = {0x52800000 | (value << 5), 0xd65f03c0}; /* mov w0, #value; ret */
#elif defined(__arm__)
    uint32_t code[] = {0xe3a00000 | value, 0xe12fff1e}; /* mov r0, #value; bx lr (ARM state) */
#elif defined(__mips__)
    uint32_t code[] = {0x24020000 | value, 0x03e00008, 0}; /* li v0, value; jr ra; nop (its delay slot) */
#elif defined(__x86_64__) || defined(__i386__)
    uint8_t code[] = {0xb8, value, 0, 0, 0, 0xc3}; /* mov eax, value; ret */
#elif defined(__powerpc__)
    uint32_t code[] = {0x38600000 | value, 0x4e800020}; /* li r3, value; blr */
#elif defined(__s390x__)
    uint8_t code[] = {0xa7, 0x29, 0, value, 0x07, 0xfe}; /* lghi %r2, value; br %r14 */
#elif defined(__m68k__)
    uint16_t code[] = {0x7000 | value, 0x4e75}; /* moveq #value, %d0; rts */
#endif
    char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memcpy(page, code, sizeof code);
#if defined(_CALL_ELF) && _CALL_ELF == 1
    /* ELFv1 (ppc64): the function pointer is a descriptor {entry, TOC, env}, here beside the code */
    void **descriptor = (void **)(page + 64);
    descriptor[0] = page;
    mprotect(page, 4096, PROT_READ | PROT_EXEC);
    return (int (*)(void))(void *)descriptor;
#endif
    mprotect(page, 4096, PROT_READ | PROT_EXEC); /* never run before: no stale instructions to flush */
    return (int (*)(void))page;
}

static void mem_checks(void) {
    long page = getpagesize();
    int fd = open("/proc/self/mem", O_RDWR);
    printf("mem: open %d\n", fd >= 0);
    long value = 0, seven = 7, r;
    r = pread(fd, &value, sizeof value, OFF(&shared_var));
    printf("mem: pread of a variable %ld (%ld)\n", r, value);
    r = pwrite(fd, &seven, sizeof seven, OFF(&shared_var));
    printf("mem: pwrite %ld, variable now %ld\n", r, shared_var);
    printf("mem: code of main matches: %d\n",
           pread(fd, text, 16, OFF(&mem_checks)) == 16 && memcmp(text, (void *)&mem_checks, 16) == 0);
    char *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(two + page, page);
    printf("mem: read across the end of a mapping %ld\n", (long)pread(fd, text, 2 * page, OFF(two)));
    errno = 0;
    r = pread(fd, text, 8, OFF(two + page));
    printf("mem: read at an unmapped page %ld %s\n", r, strerrorname_np(errno));
    errno = 0;
    r = pread(fd, text, 8, (off_t)1 << 46);
    printf("mem: read far above %ld %s\n", r, strerrorname_np(errno));
    char *ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    r = pwrite(fd, "hi", 2, OFF(ro));
    printf("mem: write into a read-only private page %ld, reads back %d\n", r, ro[0] == 'h' && ro[1] == 'i');
    int none_fd = open("/proc/self/mem", O_RDONLY);
    char *prot_none = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mem: read of a PROT_NONE page %ld\n", (long)pread(none_fd, text, 8, OFF(prot_none)));
    errno = 0;
    r = pwrite(none_fd, "x", 1, OFF(ro));
    printf("mem: write on a read-only descriptor %ld %s\n", r, strerrorname_np(errno));
    errno = 0;
    r = lseek(fd, 0, SEEK_END);
    printf("mem: lseek SEEK_END %ld %s\n", r, strerrorname_np(errno));
    printf("mem: lseek then read: %d\n", lseek(fd, OFF(&shared_var), SEEK_SET) == OFF(&shared_var) &&
           read(fd, &value, sizeof value) == sizeof value && value == 7 &&
           lseek(fd, 0, SEEK_CUR) == OFF(&shared_var) + (off_t)sizeof value);
    int dup_fd = dup(fd);
    lseek(fd, OFF(&shared_var), SEEK_SET);
    printf("mem: a dup shares the position: %d\n", read(dup_fd, &value, sizeof value) == sizeof value && value == 7);
    close(dup_fd);

    /* a JIT's way to patch code: write the instructions through mem, call again */
    int (*f)(void) = make_function(1);
    int before = f();
    int (*g)(void) = make_function(2);
    long patched = pwrite(fd, (void *)g, 8, OFF(f));
    int after = f(); /* no cache flush: a write through mem is the kernel's, and it keeps caches coherent */
    printf("mem: patched code: %d then %d (%ld)\n", before, after, patched);
    close(fd);
    close(none_fd);
}

static void child_checks(char *self) {
    int to_child[2], from_child[2];
    pipe(to_child);
    pipe(from_child);
    for (int exec_it = 0; exec_it < 2; exec_it++) {
        pid_t pid = fork();
        if (pid == 0) {
            dup2(to_child[0], 0);
            dup2(from_child[1], 1);
            if (exec_it) {
                execl(self, self, "--child", NULL);
                _exit(127);
            }
            shared_var = 77;
            write(1, "r", 1);
            char c;
            read(0, &c, 1);
            printf("%ld", shared_var);
            fflush(stdout);
            _exit(0);
        }
        char c, buf[64] = "";
        read(from_child[0], &c, 1);
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/mem", pid);
        int fd = open(path, O_RDWR);
        long value = 0, ninety_nine = 99;
        long r = pread(fd, &value, sizeof value, OFF(&shared_var));
        long w = pwrite(fd, &ninety_nine, sizeof ninety_nine, OFF(&shared_var));
        close(fd);
        write(to_child[1], "g", 1);
        waitpid(pid, NULL, 0);
        read(from_child[0], buf, sizeof buf - 1);
        printf("child mem (%s): read %ld (%ld), write %ld, child then has %s\n", exec_it ? "exec'd" : "forked",
               value, r, w, buf);
    }
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "--child") == 0) {
        shared_var = 77;
        write(1, "r", 1);
        char c;
        read(0, &c, 1);
        printf("%ld", shared_var);
        return 0;
    }
    smaps_checks();
    mem_checks();
    child_checks(argv[0]);
    return 0;
}
