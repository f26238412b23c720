/* What an x86 kernel does for a process, one line per fact: CPU exceptions as
 * signals (si_code, si_addr, trapno, err, cr2, where the handler resumes), the
 * signal frame (its layout, uc_flags, the FPU state in it, the state a handler
 * starts with and what sigreturn restores), the syscall instruction's RCX/R11,
 * segments, TLS and LDT descriptors, arch_prctl, the vsyscall page.
 * tests/test_x86.py compares every line with the native run: built for x86-64
 * and i386, it holds what this host's kernel does for both. */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#ifdef __x86_64__
#define REG_PC REG_RIP
#define REG_SPR REG_RSP
#define CR2(uc) ((uc)->uc_mcontext.gregs[REG_CR2])
#define OLDMASK(uc) ((uc)->uc_mcontext.gregs[REG_OLDMASK])
#else
#define REG_PC REG_EIP
#define REG_SPR REG_UESP
#define CR2(uc) ((uc)->uc_mcontext.cr2)
#define OLDMASK(uc) ((uc)->uc_mcontext.oldmask)
#endif

/* ---- CPU exceptions ------------------------------------------------------------ */

static volatile int got_sig;
static siginfo_t got_info;
static long got_trapno, got_err;
static unsigned long got_cr2, got_pc;
static void *volatile resume_at;  /* NULL: the fault was a call; return from it */
static char *mapping;  /* addresses in it are shown relative to it */

static void on_fault(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
    got_sig = sig;
    got_info = *si;
    got_trapno = g[REG_TRAPNO];
    got_err = g[REG_ERR];
    got_cr2 = CR2(uc);
    got_pc = g[REG_PC];
    if (resume_at) {
        g[REG_PC] = (greg_t)resume_at;
    } else {
        g[REG_PC] = *(greg_t *)g[REG_SPR];
        g[REG_SPR] += sizeof(long);
    }
}

static const char *where(unsigned long value, const char *at, const char *after)
{
    static char buf[4][32];
    static int n;
    char *out = buf[n++ % 4];
    if (value == 0)
        return "0";
    if (value == (unsigned long)at)
        return "the instruction";
    if (value == (unsigned long)after)
        return "after it";
    if (mapping && value - (unsigned long)mapping < 4096) {
        snprintf(out, 32, "mapping+%lu", value - (unsigned long)mapping);
        return out;
    }
    snprintf(out, 32, "%#lx", value);
    return out;
}

static void report(const char *name, const char *at, const char *after)
{
    printf("%s: signal %d code %d addr %s trapno %ld err %#lx pc %s", name, got_sig, got_info.si_code,
           where((unsigned long)got_info.si_addr, at, after), got_trapno, (unsigned long)got_err,
           where(got_pc, at, after));
    if (got_trapno == 14)
        printf(" cr2 %s", where(got_cr2, at, after));
    printf("\n");
    fflush(stdout);
}

/* The faulting instructions between two labels; `pre` runs before the first. */
#define CASE(name, pre, insns, ...) do { \
        extern char name##_at[], name##_after[]; \
        resume_at = name##_after; got_sig = 0; memset(&got_info, 0, sizeof got_info); \
        __asm__ volatile(pre "\n.globl " #name "_at\n" #name "_at:\n" insns "\n.globl " #name "_after\n" \
                         #name "_after:\n" : : __VA_ARGS__ : "memory", "cc", "eax", "edx"); \
        report(#name, name##_at, name##_after); \
    } while (0)

static void exceptions(int two_faults_only)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    int sigs[] = {SIGSEGV, SIGILL, SIGTRAP, SIGFPE, SIGBUS};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
    char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mapping = ro;
    volatile char touch = ro[0];  /* mapped in: a write is a protection fault on a present page */
    (void)touch;
    char *data = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    data[0] = (char)0xc3;  /* ret: never runs, the page is not executable */

    CASE(write_unmapped, "", "movl $1, 0x40", "r"(0));
    CASE(read_unmapped, "", "movl 0x80, %%eax", "r"(0));
    CASE(write_readonly, "", "movl $1, (%0)", "r"(ro + 8));
    CASE(ud2, "", "ud2", "r"(0));
    CASE(int3, "", "int3", "r"(0));
    CASE(int_3, "", "int $3", "r"(0));
    CASE(hlt, "", "hlt", "r"(0));
    CASE(cli, "", "cli", "r"(0));
    if (two_faults_only)
        return;
    CASE(int_0x81, "", "int $0x81", "r"(0));
    CASE(divide_by_zero, "xor %%edx, %%edx", "divl %0", "r"(0));
#ifndef __x86_64__
    CASE(into, "movb $127, %%al; addb $1, %%al", "into", "r"(0));
#endif
    /* a call into data: the fetch faults on the page itself; the handler returns from the call */
    resume_at = NULL;
    got_sig = 0;
    ((void (*)(void))data)();
    printf("call to data: signal %d code %d addr is the page %d trapno %ld err %#lx pc is the page %d\n", got_sig,
           got_info.si_code, got_info.si_addr == data, got_trapno, (unsigned long)got_err, got_pc == (unsigned long)data);
    fflush(stdout);
}

/* ---- the signal frame -------------------------------------------------------------- */

struct sw_bytes { uint32_t magic1, extended_size; uint64_t xfeatures; uint32_t xstate_size; };

static volatile int frame_done;
static volatile unsigned long mxcsr_in_handler, handler_flags;
static double xmm_seen;

static void on_usr1(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    unsigned int mxcsr;
    unsigned long flags;
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    __asm__ volatile("pushf; pop %0" : "=r"(flags));
    mxcsr_in_handler = mxcsr;
    handler_flags = flags;
    printf("frame: uc_flags %#lx, siginfo - ucontext %ld, ucontext %% 16 %lu\n", (unsigned long)uc->uc_flags,
           (long)((char *)si - (char *)uc), (unsigned long)((uintptr_t)uc % 16));
    char *fp = (char *)uc->uc_mcontext.fpregs;
    printf("frame: fpstate - ucontext %ld, fpstate %% 64 %lu\n", (long)(fp - (char *)uc),
           (unsigned long)((uintptr_t)fp % 64));
#ifdef __x86_64__
    char *fx = fp;
#else
    printf("frame: fsave magic %#x\n", *(uint16_t *)(fp + 110));
    char *fx = fp + 112;
#endif
    struct sw_bytes *sw = (struct sw_bytes *)(fx + 464);
    printf("frame: magic1 ok %d, xfeatures & 3 = %llu, extended = xstate + %u, magic2 ok %d\n",
           sw->magic1 == 0x46505853, (unsigned long long)(sw->xfeatures & 3),
           sw->extended_size - sw->xstate_size, *(uint32_t *)(fx + sw->xstate_size) == 0x46505845);
    printf("frame: saved mxcsr %#x, saved DF %d, oldmask has SIGUSR2 %d, uc_sigmask has SIGUSR2 %d\n",
           *(uint32_t *)(fx + 24), (int)((uc->uc_mcontext.gregs[REG_EFL] >> 10) & 1),
           (int)((OLDMASK(uc) >> (SIGUSR2 - 1)) & 1), sigismember(&uc->uc_sigmask, SIGUSR2));
    memcpy(&xmm_seen, fx + 160, sizeof xmm_seen);
    double changed = 1234.5;
    memcpy(fx + 160, &changed, sizeof changed);  /* sigreturn loads it into xmm0 */
    frame_done = 1;
}

static void frames(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    unsigned int mxcsr = 0x3f80, after_mxcsr;  /* round toward zero */
    __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
    double in = 42.25, out;
    int pid = getpid(), tid = (int)syscall(SYS_gettid);
    /* xmm0 holds 42.25 and DF is set when the signal comes (raise is a syscall away) */
    __asm__ volatile("movsd %2, %%xmm0\n\tstd\n\t"
#ifdef __x86_64__
                     "mov %3, %%eax\n\tmov %4, %%edi\n\tmov %5, %%esi\n\tmov %6, %%edx\n\tsyscall\n\t"
#else
                     "mov %4, %%ecx\n\tmov %5, %%edx\n\tpush %%ebx\n\tmov %%ecx, %%ebx\n\tmov %%edx, %%ecx\n\t"
                     "mov %3, %%eax\n\tmov %6, %%edx\n\tint $0x80\n\tpop %%ebx\n\t"
#endif
                     "cld\n\tmovsd %%xmm0, %0\n\tstmxcsr %1"
                     : "=m"(out), "=m"(after_mxcsr)
                     : "m"(in), "i"(SYS_tgkill), "m"(pid), "m"(tid), "i"(SIGUSR1)
                     : "eax", "ecx", "edx", "esi", "edi", "memory", "cc"
#ifdef __x86_64__
                     , "r11", "xmm0"
#endif
                     );
    printf("frame: handler ran %d, xmm0 in the frame %g, handler's mxcsr %#lx, handler's DF %lu\n", frame_done,
           xmm_seen, mxcsr_in_handler, (handler_flags >> 10) & 1);
    printf("frame: after sigreturn xmm0 %g, mxcsr %#x\n", out, after_mxcsr);
    mxcsr = 0x1f80;
    __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* ---- registers and descriptors ----------------------------------------------------- */

static void segments(void)
{
    unsigned short cs, ss, ds, es, fs, gs;
    __asm__("mov %%cs, %0; mov %%ss, %1; mov %%ds, %2; mov %%es, %3; mov %%fs, %4; mov %%gs, %5"
            : "=r"(cs), "=r"(ss), "=r"(ds), "=r"(es), "=r"(fs), "=r"(gs));
    printf("segments: cs %#x ss %#x ds %#x es %#x fs %#x gs %#x\n", cs, ss, ds, es, fs, gs);
#ifdef __x86_64__
    unsigned long rcx, r11, flags, ret;
    extern char after_syscall[];
    __asm__ volatile("pushfq; pop %2\n\tsyscall\n.globl after_syscall\nafter_syscall:\n\tmov %%r11, %1"
                     : "=c"(rcx), "=r"(r11), "=&r"(flags), "=a"(ret) : "a"(SYS_getppid) : "r11", "memory", "cc");
    printf("syscall: rcx is the return address %d, r11 holds the flags %d\n", rcx == (unsigned long)after_syscall,
           (r11 & 0xcd5) == (flags & 0xcd5));
#endif
}

static void tls(void)
{
    struct user_desc d;
    memset(&d, 0, sizeof d);
    static int cell = 77;
    d.entry_number = -1;
    d.base_addr = (unsigned int)(uintptr_t)&cell;
    d.limit = 0xfffff;
    d.seg_32bit = 1;
    d.limit_in_pages = 1;
    d.useable = 1;
    long r = syscall(SYS_set_thread_area, &d);
    printf("set_thread_area: %ld entry %u\n", r, d.entry_number);
    struct user_desc back;
    memset(&back, 0xff, sizeof back);
    back.entry_number = d.entry_number;
    r = syscall(SYS_get_thread_area, &back);
    printf("get_thread_area: %ld base is the cell %d limit %#x 32bit %u contents %u roe %u pages %u np %u useable %u\n", r,
           back.base_addr == d.base_addr, back.limit, back.seg_32bit, back.contents, back.read_exec_only,
           back.limit_in_pages, back.seg_not_present, back.useable);
    back.entry_number = 5;
    r = syscall(SYS_get_thread_area, &back);
    printf("get_thread_area(5): %ld errno %d\n", r, errno);
    d.contents = 3;  /* a code segment: not for the TLS array */
    r = syscall(SYS_set_thread_area, &d);
    printf("set_thread_area(code): %ld errno %d\n", r, errno);
#ifndef __x86_64__
    /* the selector reads the cell through %fs (glibc keeps %gs) */
    unsigned short sel = (unsigned short)(d.entry_number << 3 | 3);
    int through;
    __asm__ volatile("push %%fs\n\tmov %1, %%fs\n\tmov %%fs:0, %0\n\tpop %%fs" : "=r"(through) : "r"(sel));
    printf("tls entry read through its selector: %d\n", through);
#endif
}

static void ldt(void)
{
    static int cell = 4242;
    struct user_desc d;
    memset(&d, 0, sizeof d);
    d.entry_number = 3;
    d.base_addr = (unsigned int)(uintptr_t)&cell;
    d.limit = 0xfff;
    d.seg_32bit = 1;
    long r = syscall(SYS_modify_ldt, 0x11, &d, sizeof d);
    printf("modify_ldt write: %ld\n", r);
    unsigned char table[64];
    memset(table, 0xaa, sizeof table);
    r = syscall(SYS_modify_ldt, 0, table, sizeof table);
    printf("modify_ldt read: %ld entry 3 nonzero %d entry 0 zero %d\n", r, table[3 * 8 + 5] != 0, table[5] == 0);
    r = syscall(SYS_modify_ldt, 2, table, sizeof table);
    printf("modify_ldt read default: %ld\n", r);
    if ((uintptr_t)&cell < 0x100000000ULL) {
        int through;
        unsigned short sel = 3 << 3 | 7;
#ifdef __x86_64__
        __asm__ volatile("mov %%gs, %%cx\n\tmov %1, %%gs\n\tmov %%gs:0, %0\n\tmov %%cx, %%gs" : "=r"(through) : "r"(sel) : "ecx");
#else
        __asm__ volatile("push %%fs\n\tmov %1, %%fs\n\tmov %%fs:0, %0\n\tpop %%fs" : "=r"(through) : "r"(sel));
#endif
        printf("ldt entry read through its selector: %d\n", through);
    }
    d.entry_number = 8192;
    printf("modify_ldt beyond the table: %ld\n", syscall(SYS_modify_ldt, 0x11, &d, sizeof d));
}

static void prctl_calls(void)
{
#ifdef SYS_arch_prctl
    printf("ARCH_GET_CPUID: %ld\n", syscall(SYS_arch_prctl, 0x1011, 0));
#ifdef __x86_64__
    unsigned long fs = 0, self;
    __asm__("mov %%fs:0, %0" : "=r"(self));
    long r = syscall(SYS_arch_prctl, 0x1003, &fs);
    printf("ARCH_GET_FS: %ld is the TCB %d\n", r, fs == self);
    static long cell = 99;
    r = syscall(SYS_arch_prctl, 0x1001, &cell);
    long through;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(through));
    unsigned long gs = 0;
    syscall(SYS_arch_prctl, 0x1004, &gs);
    printf("ARCH_SET_GS: %ld, read through %%gs %ld, ARCH_GET_GS is it %d\n", r, through, gs == (unsigned long)&cell);
    r = syscall(SYS_arch_prctl, 0x1002, 0xffff800000000000UL);
    printf("ARCH_SET_FS(kernel address): %ld errno %d\n", r, errno);
    r = syscall(SYS_arch_prctl, 0x9999, 0);
    printf("arch_prctl(0x9999): %ld errno %d\n", r, errno);
#else
    long r = syscall(SYS_arch_prctl, 0x1002, 0);
    printf("arch_prctl(ARCH_SET_FS) in a 32-bit process: %ld errno %d\n", r, errno);
#endif
#endif
}

/* ---- the vsyscall page (x86-64) ------------------------------------------------------- */

static void vsyscalls(void)
{
#ifdef __x86_64__
    struct timeval tv;
    long (*vgettimeofday)(struct timeval *, void *) = (void *)0xffffffffff600000UL;
    long (*vtime)(long *) = (void *)0xffffffffff600400UL;
    long (*vgetcpu)(unsigned *, unsigned *, void *) = (void *)0xffffffffff600800UL;
    long r = vgettimeofday(&tv, NULL);
    long now = time(NULL);
    printf("vsyscall gettimeofday: %ld, close to time() %d\n", r, labs(tv.tv_sec - now) <= 2);
    long t2 = 0;
    r = vtime(&t2);
    printf("vsyscall time: returns it %d, stores it %d\n", labs(r - now) <= 2, r == t2);
    unsigned cpu = 99, node = 99;
    r = vgetcpu(&cpu, &node, NULL);
    printf("vsyscall getcpu: %ld cpu set %d\n", r, cpu != 99);
    /* reading the page, and a call that is not to an entry point: SIGSEGV */
    CASE(read_vsyscall, "", "movabs 0xffffffffff600000, %%rax", "r"(0));
    resume_at = NULL;
    got_sig = 0;
    ((void (*)(void))0xffffffffff600001UL)();
    printf("vsyscall misaligned call: signal %d code %d addr %p trapno %ld err %#lx\n", got_sig, got_info.si_code,
           got_info.si_addr, got_trapno, (unsigned long)got_err);
    resume_at = NULL;
    got_sig = 0;
    r = vgettimeofday((struct timeval *)0x48, NULL);
    printf("vsyscall gettimeofday(bad pointer): signal %d code %d addr %p trapno %ld err %#lx pc %#lx\n", got_sig,
           got_info.si_code, got_info.si_addr, got_trapno, (unsigned long)got_err, got_pc);
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    while (fgets(line, sizeof line, maps))
        if (strstr(line, "[vsyscall]"))
            printf("maps: %s", strchr(line, ' ') + 1);
    fclose(maps);
#endif
}

/* ---- the old calls of the 32-bit ABI ---------------------------------------------------- */

static void legacy(void)
{
#ifndef __x86_64__
    /* old mmap: one pointer to its six arguments */
    unsigned long block[6] = {0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, (unsigned long)-1, 0};
    unsigned long addr = (unsigned long)syscall(SYS_mmap, block);
    int mapped = addr != (unsigned long)MAP_FAILED;
    printf("old mmap: page aligned %d writable %d\n", mapped && (addr & 4095) == 0,
           mapped && (((char *)addr)[8191] = 1));
    block[5] = 1;  /* an offset that is not page aligned */
    long bad = syscall(SYS_mmap, block);
    printf("old mmap unaligned offset: %ld errno %d\n", bad, errno);
    /* old select: one pointer to its five arguments */
    fd_set rd;
    FD_ZERO(&rd);
    int p[2];
    pipe(p);
    write(p[1], "x", 1);
    FD_SET(p[0], &rd);
    struct timeval tv = {0, 0};
    unsigned long sel[5] = {(unsigned long)p[0] + 1, (unsigned long)&rd, 0, 0, (unsigned long)&tv};
    long n = syscall(SYS_select, sel);
    printf("old select: %ld readable %d\n", n, FD_ISSET(p[0], &rd));
    long r = syscall(SYS_vm86old, 0);
    printf("vm86old: %ld errno %d\n", r, errno);
    r = syscall(SYS_vm86, 0, 0);
    printf("vm86: %ld errno %d\n", r, errno);
    /* socketcall: socket(AF_UNIX, SOCK_STREAM, 0) as glibc makes it */
    unsigned long args[3] = {1, 1, 0};
    long fd = syscall(SYS_socketcall, 1, args);
    printf("socketcall socket: %d\n", fd >= 0);
    r = syscall(SYS_socketcall, 99, args);
    printf("socketcall unknown call: %ld errno %d\n", r, errno);
    /* the oldest calls: sgetmask/ssetmask (an int's worth of mask, sign-extended to the
       kernel's word), stime, umount */
    unsigned long long none = 0, now = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8);
    long before = syscall(SYS_sgetmask);
    long old = syscall(SYS_ssetmask, (1 << (SIGUSR1 - 1)) | (1 << (SIGKILL - 1)));
    long got = syscall(SYS_sgetmask);
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &now, 8);
    printf("sgetmask %lx ssetmask old %lx then %lx mask %llx\n", before, old, got, now);
    syscall(SYS_ssetmask, -1);
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &now, 8);
    printf("ssetmask(-1): mask %llx\n", now);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8);
    errno = 0;
    r = syscall(SYS_stime, (void *)16);
    printf("stime bad pointer: %ld errno %d\n", r, errno);
    errno = 0;
    r = syscall(SYS_umount, "/nonexistent-x86-kernel");
    printf("umount missing: %ld errno %d\n", r, errno);
    /* the top of a 32-bit process's range (0xffffe000 on x86-64): nothing above it */
    errno = 0;
    void *top = mmap((void *)0xffffe000, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("mmap MAP_FIXED at 0xffffe000: %d errno %d\n", top == MAP_FAILED, errno);
    errno = 0;
    r = munmap((void *)0xffffe000, 4096);
    printf("munmap at 0xffffe000: %ld errno %d\n", r, errno);
#endif
}

/* ---- directory positions: readdir, telldir and seekdir in a hashed directory ----------- */

static void directories(void)
{
    char dir[] = "/var/tmp/x86-kernel-XXXXXX", path[64];
    if (!mkdtemp(dir))
        return;
    for (int i = 0; i < 40; i++) {
        snprintf(path, sizeof path, "%s/file-%02d", dir, i);
        fclose(fopen(path, "w"));
    }
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0, all_fit = 1;
    long mark = 0;
    char at_mark[256] = "", again[256] = "";
    while ((e = readdir(d)) != NULL) {
        if (n == 10) {
            mark = telldir(d);
        }
        if (n == 11)
            snprintf(at_mark, sizeof at_mark, "%s", e->d_name);
        all_fit &= e->d_off >= 0;
        n++;
    }
    seekdir(d, mark);
    e = readdir(d);
    if (e)
        snprintf(again, sizeof again, "%s", e->d_name);
    printf("readdir: %d entries, positions fit %d, seekdir to telldir reads the same entry %d\n", n, all_fit,
           strcmp(at_mark, again) == 0);
    closedir(d);
    for (int i = 0; i < 40; i++) {
        snprintf(path, sizeof path, "%s/file-%02d", dir, i);
        unlink(path);
    }
    rmdir(dir);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* "two-faults": only up to the second #GP in a row (tests/test_x86.py's fallback test) */
    int two_faults_only = argc > 1 && !strcmp(argv[1], "two-faults");
    exceptions(two_faults_only);
    if (two_faults_only)
        return 0;
    frames();
    segments();
    tls();
    ldt();
    prctl_calls();
    vsyscalls();
    legacy();
    directories();
    return 0;
}
