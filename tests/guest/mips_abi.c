/* What a MIPS guest (o32 or n64, either byte order) sees of the kernel ABI: the
 * initial stack and auxv, structs the kernel fills, siginfo and ucontext, the
 * exceptions gcc's code raises, a fault in a branch delay slot, and MIPS' own calls
 * (pipe's two registers, sysmips, cacheflush, the FPU mode, o32's indirect syscall).
 * One "key=value" line each: tests/test_mips.py checks them. Built for MIPS only. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/cachectl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmips.h>
#include <sys/ucontext.h>
#include <unistd.h>

#ifndef PR_GET_FP_MODE
#define PR_GET_FP_MODE 46
#endif

/* a load in the delay slot of a taken branch; returns *p (0 if the load never ran) */
extern int delay_probe(const int *p);
extern char delay_branch[];
__asm__(".text\n.globl delay_probe\n.globl delay_branch\n.ent delay_probe\n.set push\n.set noreorder\n"
        "delay_probe:\n  move $2, $0\n"
        "delay_branch:\n  beq $0, $0, 1f\n  lw $2, 0($4)\n  li $2, -1\n"
        "1:\n  jr $31\n  nop\n.set pop\n.end delay_probe\n");

static volatile uintptr_t fault_pc, fault_addr;
static volatile int fault_sig, fault_code;
static int *probe_page;

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    fault_sig = sig;
    fault_code = si->si_code;
    fault_addr = (uintptr_t)si->si_addr;
    fault_pc = (uintptr_t)uc->uc_mcontext.pc;
    if (sig == SIGSEGV)
        mprotect(probe_page, 4096, PROT_READ);  /* the branch runs again, its slot too */
    else
        uc->uc_mcontext.pc += 4;                /* past the trap */
}

static volatile int got_sig, got_code, got_value, got_pid, rt_caught, plain_arg2;
static volatile uintptr_t saw_sigcontext;

static void on_info(int sig, siginfo_t *si, void *ctx)
{
    got_sig = si->si_signo;
    got_code = si->si_code;
    got_value = si->si_value.sival_int;
    got_pid = si->si_pid;
}

static void on_rt(int sig) { rt_caught = sig; }

static void on_plain(int sig, long second, void *third)
{
    plain_arg2 = (int)second;             /* o32's sigframe: 0 (the "cause"); n64: &siginfo */
    saw_sigcontext = (uintptr_t)third;    /* the sigcontext (o32) or ucontext (n64) */
}

static void catch(int sig, void (*fn)(int, siginfo_t *, void *))
{
    struct sigaction sa = {0};
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO;
    sigaction(sig, &sa, NULL);
}

static int returns_constant(void);

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* the initial stack: strings, words, auxv */
    printf("argc=%d argv1=%s env=%s\n", argc, argc > 1 ? argv[1] : "", getenv("MIPS_ABI_VAR"));
    printf("pagesz=%lu phent_ok=%d entry_ok=%d\n", getauxval(AT_PAGESZ),
           getauxval(AT_PHENT) == sizeof(ElfW(Phdr)), getauxval(AT_ENTRY) != 0);
    const char *base = (const char *)getauxval(AT_BASE_PLATFORM);
    printf("base_platform=%s\n", base ? base : "(none)");
    unsigned one = 1;
    printf("big_endian=%d\n", *(unsigned char *)&one == 0);

    /* structs the kernel fills */
    int fd = open("/proc/self/exe", O_RDONLY);
    struct stat st;
    fstat(fd, &st);
    struct stat path_st;
    stat(argv[0], &path_st);
    printf("stat_agrees=%d regular=%d\n", st.st_size == path_st.st_size && st.st_ino == path_st.st_ino,
           S_ISREG(st.st_mode));
    char byte;
    printf("pread_at_1=%ld elf_E=%d\n", (long)pread(fd, &byte, 1, 1), byte == 'E');
    close(fd);
    struct statfs sfs;
    printf("statfs=%d namelen=%ld\n", statfs("/", &sfs), (long)sfs.f_namelen);

    /* signals: siginfo from sigqueue, a signal beyond 64, the old frame of a plain handler */
    catch(SIGUSR1, on_info);
    union sigval v = {.sival_int = 0x11223344};
    sigqueue(getpid(), SIGUSR1, v);
    printf("sigqueue: signo_ok=%d code_si_queue=%d value=%#x pid_ok=%d\n", got_sig == SIGUSR1,
           got_code == SI_QUEUE, got_value, got_pid == getpid());
    signal(SIGRTMIN + 40, on_rt);
    raise(SIGRTMIN + 40);
    printf("rt signal %d caught=%d\n", SIGRTMIN + 40, rt_caught == SIGRTMIN + 40);
    signal(SIGUSR2, (void (*)(int))on_plain);
    raise(SIGUSR2);
    printf("plain handler: arg2_zero=%d context_on_stack=%d\n", plain_arg2 == 0,
           saw_sigcontext > (uintptr_t)&one - 65536 && saw_sigcontext < (uintptr_t)&one);

    /* exceptions */
    catch(SIGFPE, on_fault);
    catch(SIGTRAP, on_fault);
    volatile int zero = 0, ten = 10;
    volatile int q = ten / zero;
    (void)q;
    printf("divide by zero: sigfpe=%d intdiv=%d addr_is_pc=%d\n", fault_sig == SIGFPE, fault_code == FPE_INTDIV,
           fault_addr == fault_pc);
    fault_sig = 0;
    __asm__ volatile("break 7");
    printf("break 7: sigfpe=%d intdiv=%d\n", fault_sig == SIGFPE, fault_code == FPE_INTDIV);
    fault_sig = 0;
    __asm__ volatile("break");
    printf("break: sigtrap=%d brkpt=%d\n", fault_sig == SIGTRAP, fault_code == TRAP_BRKPT);

    /* a fault in a delay slot: reported at the branch, which runs again */
    catch(SIGSEGV, on_fault);
    probe_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    probe_page[0] = 0x5eed;
    mprotect(probe_page, 4096, PROT_NONE);
    fault_sig = 0;
    int loaded = delay_probe(probe_page);
    printf("delay slot: segv=%d at_branch=%d addr_ok=%d loaded=%#x\n", fault_sig == SIGSEGV,
           fault_pc == (uintptr_t)delay_branch, fault_addr == (uintptr_t)probe_page, loaded);

    /* pipe(): both descriptors come back in registers, v0 and v1 */
    register long v0 __asm__("$2") = SYS_pipe;
    register long v1 __asm__("$3");
    register long a3 __asm__("$7");
    __asm__ volatile("syscall" : "+r"(v0), "=r"(v1), "=r"(a3) : : "memory", "$1", "$8", "$9", "$10", "$11", "$12",
                     "$13", "$14", "$15", "$24", "$25", "hi", "lo");
    int r = (int)v0, w = (int)v1;
    char got[4] = {0};
    printf("pipe: ok=%d read_back=%d\n", a3 == 0 && r != w,
           a3 == 0 && write(w, "abc", 3) == 3 && read(r, got, 3) == 3 && !strcmp(got, "abc"));

    /* sysmips */
    int word = 5;
    long old = syscall(SYS_sysmips, MIPS_ATOMIC_SET, (long)&word, 9);
    printf("sysmips atomic_set: old=%ld now=%d\n", old, word);
    printf("sysmips flush_cache=%ld bad=%ld errno_einval=%d\n", syscall(SYS_sysmips, FLUSH_CACHE, 0, 0),
           syscall(SYS_sysmips, 12345, 0, 0), errno == EINVAL);

    /* cacheflush after writing code: li v0, 42 / 43; jr ra; nop */
    unsigned *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    code[0] = 0x2402002a;
    code[1] = 0x03e00008;
    code[2] = 0;
    cacheflush(code, 12, BCACHE);
    int first = ((int (*)(void))code)();
    code[0] = 0x2402002b;
    int flushed = cacheflush(code, 12, BCACHE);
    int second = ((int (*)(void))code)();
    printf("cacheflush: ret=%d first=%d second=%d\n", flushed, first, second);
    errno = 0;
    printf("cacheflush beyond user space=%d efault=%d\n", cacheflush((void *)-4096L, 8192, BCACHE), errno == EFAULT);

    /* the FPU mode ld.so asks for, and doubles that need it right */
    volatile double d = 1.5;
    printf("fp mode=%d fr=%d double=%g\n", prctl(PR_GET_FP_MODE), (int)(prctl(PR_GET_FP_MODE) & 1), d * 3);

    /* ll/sc and lld/scd where the CPU's own TLB translates them (n64: above 2 GiB), in the
       lower and upper half of one 512 MiB TLB pair */
#if _MIPS_SIM == _ABIO32
    uintptr_t chunk = 0x60000000;
#else
    uintptr_t chunk = 0x220000000;
#endif
    int atomics_ok[2];
    for (int half = 0; half < 2; half++) {
        void *at = (void *)(chunk + half * 0x10000000);
        long *cell = mmap(at, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        atomics_ok[half] = cell == at && __atomic_fetch_add(cell, 3, __ATOMIC_SEQ_CST) == 0 &&
                           __atomic_fetch_add((int *)(cell + 1), 5, __ATOMIC_SEQ_CST) == 0 &&
                           __atomic_compare_exchange_n(cell, &(long){3}, 7, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) &&
                           cell[0] == 7 && ((int *)(cell + 1))[0] == 5;
    }
    printf("ll/sc: lower_half=%d upper_half=%d\n", atomics_ok[0], atomics_ok[1]);

#if _MIPS_SIM == _ABIO32
    /* o32's indirect syscall: syscall(SYS_syscall, number, ...) */
    printf("indirect getpid ok=%d\n", syscall(SYS_syscall, SYS_getpid) == getpid());
#else
    printf("indirect getpid ok=1\n");
#endif
    printf("constant=%d\n", returns_constant());
    return 0;
}

static int returns_constant(void) { return 7; }
