/* Memory and code semantics a program relies on, one check per argv[1]:
 *   bus-eof        an access past the end of a file mapping's file: SIGBUS BUS_ADRERR
 *   growsdown      a MAP_GROWSDOWN mapping grows below itself, not into the guard gap
 *   exclusive      a misaligned exclusive load (ldxr, lr.w, ldrex): SIGBUS BUS_ADRALN
 *   misaligned-pc  a jump to a misaligned address: SIGBUS BUS_ADRALN at it
 *   alias          code written through a second mapping of the same memory (memfd)
 *   thread         code rewritten by another thread
 *   alias-more     the same with two executable mappings, one of them unmapped; a call
 *                  into the writable mapping (SIGSEGV); code read() into it
 *   read-code      code read() over code that ran
 *   noexec         code made non-executable by mprotect: SIGSEGV SEGV_ACCERR
 *   cross-page     an instruction running into a non-executable page: what comes before
 *                  it runs, then SIGSEGV at that page with the PC on the instruction
 *   bus-fatal      past a file's end without a handler: death by SIGBUS
 * Every line it prints is a fact about the kernel's behaviour; "unexpected" means
 * it did not behave so. The per-arch instructions come from the cpu module's
 * TEST_C facts (tests/conftest.py). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf back;
static volatile int got_sig, got_code;
static void *volatile got_addr;
static volatile unsigned long got_pc;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
#ifdef ARCH_UC_PC
    got_pc = ARCH_UC_PC((ucontext_t *)uc);
#endif
    got_sig = sig;
    got_code = si->si_code;
    got_addr = si->si_addr;
    siglongjmp(back, 1);
}

static void catch_faults(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

static const char *code_name(int sig, int code)
{
    if (sig == SIGBUS)
        return code == BUS_ADRERR ? "BUS_ADRERR" : code == BUS_ADRALN ? "BUS_ADRALN" : "BUS_?";
    if (sig == SIGSEGV)
        return code == SEGV_MAPERR ? "SEGV_MAPERR" : code == SEGV_ACCERR ? "SEGV_ACCERR" : "SEGV_?";
    return "?";
}

/* Run fn(); print what happened: "ok" or the signal, its code and where (relative to base). */
#define TRY(label, base, stmt) do {                                                      \
        got_sig = 0;                                                                     \
        if (!sigsetjmp(back, 1)) {                                                       \
            stmt;                                                                        \
            printf("%s: ok\n", label);                                                   \
        } else {                                                                         \
            printf("%s: %s %s at base%+ld\n", label, got_sig == SIGBUS ? "SIGBUS" : "SIGSEGV", \
                   code_name(got_sig, got_code), (long)((char *)got_addr - (char *)(base))); \
        }                                                                                \
    } while (0)

static int bus_eof(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/bus-eof", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, "0123456789", 10) != 10)
        return perror("file"), 1;
    long page = sysconf(_SC_PAGESIZE);
    for (int shared = 0; shared < 2; shared++) {
        const char *kind = shared ? "shared" : "private";
        ftruncate(fd, 10);
        char *p = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED)
            return perror("mmap"), 1;
        char label[64];
        snprintf(label, sizeof label, "%s: read in the file's last page", kind);
        TRY(label, p, printf("%s: byte 9 '%c', byte 100 %d\n", kind, p[9], p[100]));
        snprintf(label, sizeof label, "%s: read past the file's last page", kind);
        TRY(label, p, (void)*(volatile char *)(p + page + 5));
        snprintf(label, sizeof label, "%s: write past the file's last page", kind);
        TRY(label, p, *(volatile char *)(p + 2 * page + 7) = 1);
        /* the file grows: the pages are the file's now */
        ftruncate(fd, 2 * page + 100);
        if (shared)
            pwrite(fd, "X", 1, page + 5);
        snprintf(label, sizeof label, "%s: after the file grew", kind);
        TRY(label, p, printf("%s: byte %ld is '%c'\n", kind, page + 5, p[page + 5] ? p[page + 5] : '0'));
        snprintf(label, sizeof label, "%s: a syscall reading past the end", kind);
        ftruncate(fd, 10);
        errno = 0;
        long n = write(1, p + page, 1);  /* the kernel's copy faults: EFAULT, no signal */
        printf("%s: write() from past the end: %ld %s\n", kind, n, n < 0 ? strerror(errno) : "");
        munmap(p, 3 * page);
    }
    unlink(path);
    return 0;
}

static char *gap_below;

static void *recurse(void *limit)
{
    volatile char pad[512];
    pad[0] = 1;
    if ((char *)pad < (char *)limit)
        return (void *)(long)pad[0];
    return recurse(limit);
}

static int growsdown(void)
{
    long page = sysconf(_SC_PAGESIZE);
    long gap = 256 * page;  /* the kernel's stack_guard_gap */
    long stack = 64 * page;
    /* room: a reserved range, freed, the stack's top 4 pages mapped at its top */
    long reserved = gap + 2 * stack;
    char *start = mmap(NULL, reserved, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(start, reserved);
    char *top = start + reserved;
    char *low = mmap(top - 4 * page, 4 * page, PROT_READ | PROT_WRITE,
                     MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
    if (low == MAP_FAILED)
        return perror("mmap growsdown"), 1;
    /* a thread whose stack is the grows-down mapping recurses 48 pages deep */
    pthread_attr_t attr;
    pthread_t th;
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, top - stack, stack);
    pthread_create(&th, &attr, recurse, top - 48 * page);
    pthread_join(th, NULL);
    printf("growsdown: a thread's stack grew 48 pages\n");
    /* the same below, from this thread: a store just below the mapping */
    TRY("growsdown: a store a page below", top, top[-56 * page] = 1);
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    int shown = 0;
    while (fgets(line, sizeof line, maps)) {
        unsigned long from, to;
        if (sscanf(line, "%lx-%lx", &from, &to) == 2 && to == (unsigned long)top) {
            printf("growsdown: /proc/self/maps shows %ld pages\n", (long)(to - from) / page);
            shown = 1;
        }
    }
    fclose(maps);
    if (!shown)
        printf("growsdown: unexpected: not in /proc/self/maps\n");
    /* a mapping in the guard gap below: growing to within `gap` of it fails */
    gap_below = mmap(top - 2 * stack - gap / 2, page, PROT_READ | PROT_WRITE,
                     MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    TRY("growsdown: a store within the guard gap of a mapping", top, top[-2 * stack + page] = 1);
    TRY("growsdown: a store far below", top, top[-2 * stack - gap / 4] = 1);
    munmap(top - 2 * stack - gap, 2 * stack + gap);
    return 0;
}

#ifdef ARCH_EXCLUSIVE_LOAD
static int exclusive(void)
{
    static uint64_t words[4] __attribute__((aligned(16)));
    char *p = (char *)words;
    TRY("exclusive: aligned", p, (void)ARCH_EXCLUSIVE_LOAD(p + 8));
    TRY("exclusive: misaligned by 1", p, (void)ARCH_EXCLUSIVE_LOAD(p + 9));
    TRY("exclusive: misaligned by 2", p, (void)ARCH_EXCLUSIVE_LOAD(p + 10));
    return 0;
}
#endif

/* ---- code in data: ARCH_CODE_RETURN(words, n) writes a function returning n ---- */

typedef int (*fn_t)(void);

/* Calls code at p. ELFv1's function pointers (ppc64) point at a descriptor, not at
 * code: its cpu module's ARCH_CALL_CODE builds one. */
#ifndef ARCH_CALL_CODE
#define ARCH_CALL_CODE(p) (((fn_t)(p))())
#endif

static void flush(char *p, long len)
{
    __builtin___clear_cache(p, p + len);
}

#ifdef ARCH_MISALIGNED_JUMP
static int misaligned_pc(void)
{
    long page = sysconf(_SC_PAGESIZE);
    char *code = mmap(NULL, page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ARCH_CODE_RETURN((uint32_t *)code, 5);
    flush(code, page);
    TRY("misaligned-pc: aligned call", code, printf("misaligned-pc: returned %d\n", ARCH_CALL_CODE(code)));
    TRY("misaligned-pc: a jump 2 bytes in", code, ARCH_MISALIGNED_JUMP(code + 2));
    return 0;
}
#endif

static int alias(void)
{
    long page = sysconf(_SC_PAGESIZE);
    int fd = memfd_create("code", 0);
    ftruncate(fd, page);
    char *rw = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *rx = mmap(NULL, page, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    for (int n = 1; n <= 3; n++) {
        ARCH_CODE_RETURN((uint32_t *)rw, n);
        flush(rx, 64);
        printf("alias: wrote %d, the other mapping's code returns %d\n", n, ARCH_CALL_CODE(rx));
    }
    return 0;
}

/* read() (a syscall's store, not the CPU's) code returning n over dst, through a pipe */
static long read_code_returning(char *dst, int n)
{
    uint32_t next[16] = {0};
    ARCH_CODE_RETURN(next, n);
    int p[2];
    pipe(p);
    write(p[1], next, sizeof next);
    long got = read(p[0], dst, sizeof next);
    close(p[0]);
    close(p[1]);
    return got;
}

static int alias_more(const char *dir)
{
    long page = sysconf(_SC_PAGESIZE);
    int fd = memfd_create("code", 0);
    ftruncate(fd, 2 * page);
    /* the writable mapping is written before any code is translated, and keeps being written */
    char *rw = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *code = rw + page;
    char *rx1 = mmap(NULL, page, PROT_READ | PROT_EXEC, MAP_SHARED, fd, page);
    char *rx2 = mmap(NULL, page, PROT_READ | PROT_EXEC, MAP_SHARED, fd, page);
    char *low = rx1 < rx2 ? rx1 : rx2, *high = rx1 < rx2 ? rx2 : rx1;
    for (int n = 1; n <= 2; n++) {
        ARCH_CODE_RETURN((uint32_t *)code, n);
        flush(rx1, 64);
        flush(rx2, 64);
        printf("alias-more: two executable mappings return %d and %d\n", ARCH_CALL_CODE(rx1), ARCH_CALL_CODE(rx2));
    }
    munmap(low, page);
    ARCH_CODE_RETURN((uint32_t *)code, 3);
    flush(high, 64);
    printf("alias-more: the lower one unmapped, the other returns %d\n", ARCH_CALL_CODE(high));
    TRY("alias-more: a call into the writable mapping", code, ARCH_CALL_CODE(code));
    long got = read_code_returning(code, 4);
    flush(high, 64);
    printf("alias-more: read() %ld bytes into the writable mapping, the code returns %d\n", got, ARCH_CALL_CODE(high));
    /* the executable mapping's file opened read-only, the writable one's read-write */
    char path[4096];
    snprintf(path, sizeof path, "%s/code-%d", dir, (int)getpid());
    int wfd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    ftruncate(wfd, page);
    int rfd = open(path, O_RDONLY);
    char *fw = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, wfd, 0);
    char *fx = mmap(NULL, page, PROT_READ | PROT_EXEC, MAP_SHARED, rfd, 0);
    unlink(path);
    for (int n = 5; n <= 6; n++) {
        ARCH_CODE_RETURN((uint32_t *)fw, n);
        flush(fx, 64);
        printf("alias-more: wrote %d, the mapping of the file opened read-only returns %d\n", n, ARCH_CALL_CODE(fx));
    }
    return 0;
}

static int read_code(void)
{
    long page = sysconf(_SC_PAGESIZE);
    char *code = mmap(NULL, page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ARCH_CODE_RETURN((uint32_t *)code, 1);
    flush(code, 64);
    printf("read-code: returned %d\n", ARCH_CALL_CODE(code));
    long got = read_code_returning(code, 2);
    flush(code, 64);
    printf("read-code: after read() of %ld bytes over it, returned %d\n", got, ARCH_CALL_CODE(code));
    return 0;
}

static char *shared_code;
static volatile int phase;

static void *rewriter(void *arg)
{
    /* turns alternate: the main thread calls at even phases, this one rewrites at odd ones */
    for (int n = 2; n <= 4; n++) {
        while (__atomic_load_n(&phase, __ATOMIC_SEQ_CST) != 2 * n - 3)
            sched_yield();
        ARCH_CODE_RETURN((uint32_t *)shared_code, n);
        flush(shared_code, 64);
        __atomic_store_n(&phase, 2 * n - 2, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

static int thread(void)
{
    long page = sysconf(_SC_PAGESIZE);
    shared_code = mmap(NULL, page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ARCH_CODE_RETURN((uint32_t *)shared_code, 1);
    flush(shared_code, 64);
    pthread_t th;
    pthread_create(&th, NULL, rewriter, NULL);
    for (int n = 1; n <= 4; n++) {
        while (__atomic_load_n(&phase, __ATOMIC_SEQ_CST) != 2 * n - 2)
            sched_yield();
        printf("thread: the code returns %d\n", ARCH_CALL_CODE(shared_code));
        __atomic_store_n(&phase, 2 * n - 1, __ATOMIC_SEQ_CST);
    }
    pthread_join(th, NULL);
    return 0;
}

#ifdef ARCH_CROSSING_CODE
/* ARCH_CROSSING_CODE: an instruction, then one ARCH_CROSSING_AT bytes in that is put
 * 2 bytes before a page the program may not run, then a return */
static int cross_page(void)
{
    static const char code[] = ARCH_CROSSING_CODE;
    long page = sysconf(_SC_PAGESIZE);
    char *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *at = two + page - 2 - ARCH_CROSSING_AT;
    memcpy(at, code, sizeof code - 1);
    flush(at, sizeof code);
    mprotect(two + page, page, PROT_READ | PROT_WRITE);
    TRY("cross-page: an instruction into a non-executable page", two + page, ARCH_CALL_CODE(at));
    printf("cross-page: the PC on that instruction: %s\n", got_pc == (unsigned long)(two + page - 2) ? "yes" : "no");
    return 0;
}
#endif

static int noexec(void)
{
    long page = sysconf(_SC_PAGESIZE);
    char *code = mmap(NULL, page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ARCH_CODE_RETURN((uint32_t *)code, 7);
    flush(code, page);
    TRY("noexec: executable", code, printf("noexec: returned %d\n", ARCH_CALL_CODE(code)));
    mprotect(code, page, PROT_READ);
    TRY("noexec: after mprotect(PROT_READ)", code, printf("noexec: returned %d\n", ARCH_CALL_CODE(code)));
    mprotect(code, page, PROT_READ | PROT_EXEC);
    TRY("noexec: executable again", code, printf("noexec: returned %d\n", ARCH_CALL_CODE(code)));
    return 0;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    setvbuf(stdout, NULL, _IONBF, 0);
    if (!strcmp(what, "bus-fatal")) {  /* no handler: the process dies of SIGBUS */
        FILE *f = tmpfile();
        fputc('x', f);
        fflush(f);
        char *p = mmap(NULL, 2 * sysconf(_SC_PAGESIZE), PROT_READ, MAP_SHARED, fileno(f), 0);
        printf("mapped\n");
        return p[sysconf(_SC_PAGESIZE)];
    }
    catch_faults();
    if (!strcmp(what, "bus-eof"))
        return bus_eof(argc > 2 ? argv[2] : "/tmp");
    if (!strcmp(what, "growsdown"))
        return growsdown();
    if (!strcmp(what, "exclusive")) {
#ifdef ARCH_EXCLUSIVE_LOAD
        return exclusive();
#else
        printf("no ARCH_EXCLUSIVE_LOAD fact\n");
        return 2;
#endif
    }
    if (!strcmp(what, "misaligned-pc")) {
#ifdef ARCH_MISALIGNED_JUMP
        return misaligned_pc();
#else
        printf("no ARCH_MISALIGNED_JUMP fact\n");
        return 2;
#endif
    }
    if (!strcmp(what, "alias"))
        return alias();
    if (!strcmp(what, "thread"))
        return thread();
    if (!strcmp(what, "alias-more"))
        return alias_more(argc > 2 ? argv[2] : "/tmp");
    if (!strcmp(what, "read-code"))
        return read_code();
    if (!strcmp(what, "noexec"))
        return noexec();
    if (!strcmp(what, "cross-page")) {
#ifdef ARCH_CROSSING_CODE
        return cross_page();
#else
        printf("no ARCH_CROSSING_CODE fact\n");
        return 2;
#endif
    }
    fprintf(stderr, "unknown check %s\n", what);
    return 2;
}
