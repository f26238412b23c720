/* Signals: handlers with siginfo, masks, pending, sigsuspend, sigtimedwait,
 * EINTR, SA_RESETHAND, SA_NODEFER, SA_ONSTACK, faults turned into signals
 * (with uc_mcontext edited to skip the faulting instruction), timers
 * interrupting a busy loop, signals between threads. Every line printed is checked by tests/test_signals.py. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef ARCH_ILL_CODE
#define ARCH_ILL_CODE ILL_ILLOPC  /* x86 says ILL_ILLOPN (an invalid opcode) */
#endif

#define CHECK(cond, what) printf("%s: %s\n", what, (cond) ? "ok" : "FAILED")

static volatile sig_atomic_t got, got_code, got_pid, depth, max_depth, calls, on_altstack, handler_tid;
static char *altstack;

static void record(int sig, siginfo_t *si, void *uc)
{
    got = sig;
    got_code = si->si_code;
    got_pid = si->si_pid;
    handler_tid = gettid();
    char here;
    on_altstack = altstack && &here >= altstack && &here < altstack + 65536;
}

static void nested(int sig, siginfo_t *si, void *uc)
{
    depth++;
    calls++;
    if (depth > max_depth)
        max_depth = depth;
    if (calls < 3)
        raise(sig);  /* with SA_NODEFER it interrupts us now, else it waits for our return */
    depth--;
}

#ifndef ARCH_FAULT_ADDR
#define ARCH_FAULT_ADDR(a) (a)  /* si_addr of a fault at a (s390x: its page) */
#endif

#ifndef ARCH_BREAKPOINT_SIGNAL
/* what the arch's breakpoint instruction raises in an untraced process (s390x: SIGILL) */
#define ARCH_BREAKPOINT_SIGNAL SIGTRAP
#define ARCH_BREAKPOINT_SIGNAL_NAME "SIGTRAP"
#endif

static void on(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    sigaction(sig, &sa, NULL);
}

/* ---- faults: skip the faulting instruction by editing uc_mcontext ---------- */
static void *volatile fault_addr;  /* the variable is volatile: read after the fault */
static volatile int fault_sig, fault_code;

static void skip_insn(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    fault_sig = sig;
    fault_code = si->si_code;
    fault_addr = si->si_addr;
    ARCH_SKIP_INSN(uc);
}

static sigjmp_buf jump;

static void jump_out(int sig, siginfo_t *si, void *ucv)
{
    siglongjmp(jump, sig);
}

/* ---- threads ------------------------------------------------------------- */
static volatile int thread_ready, thread_go;
static pid_t worker_tid;

static void *worker(void *arg)
{
    worker_tid = gettid();
    thread_ready = 1;
    while (!thread_go)
        ;  /* busy: the signal must arrive while guest code runs */
    return NULL;
}

static volatile sig_atomic_t ticks;
static void tick(int sig) { ticks++; }

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* handler with siginfo, from raise (tgkill) and kill */
    on(SIGUSR1, record, 0);
    raise(SIGUSR1);
    CHECK(got == SIGUSR1 && got_code == SI_TKILL && got_pid == getpid(), "raise runs the handler with siginfo");
    got = 0;
    kill(getpid(), SIGUSR1);
    CHECK(got == SIGUSR1 && got_code == SI_USER, "kill to itself");

    /* blocked, pending, delivered on unblock */
    sigset_t set, old, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    got = 0;
    raise(SIGUSR1);
    sigpending(&pending);
    CHECK(got == 0 && sigismember(&pending, SIGUSR1), "blocked signal stays pending");
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECK(got == SIGUSR1, "delivered when unblocked");

    /* sigtimedwait takes a blocked signal without running the handler */
    sigprocmask(SIG_BLOCK, &set, NULL);
    got = 0;
    union sigval v = {.sival_int = 77};
    sigqueue(getpid(), SIGUSR1, v);
    siginfo_t info;
    struct timespec ts = {1, 0};
    int s = sigtimedwait(&set, &info, &ts);
    CHECK(s == SIGUSR1 && info.si_code == SI_QUEUE && info.si_value.sival_int == 77 && got == 0,
          "sigtimedwait returns the queued signal and its value");
    ts.tv_sec = 0;
    ts.tv_nsec = 20000000;
    CHECK(sigtimedwait(&set, &info, &ts) == -1 && errno == EAGAIN, "sigtimedwait times out with EAGAIN");
    sigprocmask(SIG_SETMASK, &old, NULL);

    /* real-time signals queue, standard ones do not */
    on(SIGRTMIN + 1, record, 0);
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN + 1);
    sigaddset(&rt, SIGUSR2);
    sigprocmask(SIG_BLOCK, &rt, NULL);
    for (int i = 0; i < 3; i++) {
        sigqueue(getpid(), SIGRTMIN + 1, v);
        raise(SIGUSR2);
    }
    int rt_count = 0, usr2_count = 0;
    ts.tv_nsec = 1000000;
    while ((s = sigtimedwait(&rt, &info, &ts)) > 0)
        s == SIGUSR2 ? usr2_count++ : rt_count++;
    CHECK(rt_count == 3 && usr2_count == 1, "real-time signals queue, standard ones merge");
    sigprocmask(SIG_SETMASK, &old, NULL);

    /* sigsuspend waits with a temporary mask, then restores the old one */
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR1);
    got = 0;
    sigset_t none;
    sigemptyset(&none);
    int r = sigsuspend(&none);
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    CHECK(r == -1 && errno == EINTR && got == SIGUSR1 && sigismember(&now, SIGUSR1), "sigsuspend");
    sigprocmask(SIG_SETMASK, &old, NULL);

    /* SA_NODEFER lets the handler interrupt itself; without it the signal waits */
    on(SIGUSR2, nested, SA_NODEFER);
    depth = max_depth = calls = 0;
    raise(SIGUSR2);
    CHECK(max_depth == 3 && calls == 3, "SA_NODEFER nests");
    on(SIGUSR2, nested, 0);
    depth = max_depth = calls = 0;
    raise(SIGUSR2);
    CHECK(max_depth == 1 && calls == 3, "without SA_NODEFER the handler is not re-entered");

    /* SA_RESETHAND: the disposition goes back to SIG_DFL */
    on(SIGUSR1, record, SA_RESETHAND);
    raise(SIGUSR1);
    struct sigaction now_sa;
    sigaction(SIGUSR1, NULL, &now_sa);
    CHECK(now_sa.sa_handler == SIG_DFL, "SA_RESETHAND");

    /* sigaltstack and SA_ONSTACK */
    altstack = malloc(65536);
    stack_t ss = {.ss_sp = altstack, .ss_size = 65536, .ss_flags = 0};
    CHECK(sigaltstack(&ss, NULL) == 0, "sigaltstack");
    on(SIGUSR1, record, SA_ONSTACK);
    on_altstack = 0;
    raise(SIGUSR1);
    CHECK(on_altstack, "SA_ONSTACK runs on the alternate stack");
    stack_t cur;
    sigaltstack(NULL, &cur);
    CHECK(cur.ss_sp == altstack && cur.ss_size == 65536 && !(cur.ss_flags & SS_ONSTACK), "sigaltstack query");

    /* synchronous faults, handled by skipping the instruction */
    on(SIGSEGV, skip_insn, 0);
    *(volatile int *)64 = 1;
    CHECK(fault_sig == SIGSEGV && fault_code == SEGV_MAPERR && fault_addr == ARCH_FAULT_ADDR((void *)64),
          "write to unmapped memory: SIGSEGV, SEGV_MAPERR, si_addr");
    volatile int x = *(volatile int *)128;
    (void)x;
    CHECK(fault_addr == ARCH_FAULT_ADDR((void *)128) && fault_code == SEGV_MAPERR, "read of unmapped memory");
    char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *volatile target = ro + 8;  /* kept in memory: skipping the store skips any write-back */
    *(volatile char *)target = 1;
    CHECK(fault_addr == ARCH_FAULT_ADDR(target) && fault_code == SEGV_ACCERR, "write to read-only memory: SEGV_ACCERR");
    on(SIGILL, skip_insn, 0);
    ARCH_ILLEGAL;
    CHECK(fault_sig == SIGILL && fault_code == ARCH_ILL_CODE, "illegal instruction: SIGILL");
    on(ARCH_BREAKPOINT_SIGNAL, skip_insn, 0);
    ARCH_BREAKPOINT;
    CHECK(fault_sig == ARCH_BREAKPOINT_SIGNAL, "breakpoint: " ARCH_BREAKPOINT_SIGNAL_NAME);

    /* siglongjmp out of a fault handler */
    on(SIGSEGV, jump_out, 0);
    int jumped = sigsetjmp(jump, 1);
    if (!jumped)
        *(volatile int *)256 = 2;
    CHECK(jumped == SIGSEGV, "siglongjmp out of a SIGSEGV handler");

    /* a timer interrupts a busy loop; EINTR versus SA_RESTART on a blocking read */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tick;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    while (!ticks)
        ;
    CHECK(ticks == 1, "SIGALRM reaches a busy loop");
    int p[2];
    pipe(p);
    setitimer(ITIMER_REAL, &it, NULL);
    char c;
    ssize_t n = read(p[0], &c, 1);
    CHECK(n == -1 && errno == EINTR && ticks == 2, "without SA_RESTART a blocked read fails with EINTR");

    /* signals between threads: tgkill reaches a thread spinning in guest code */
    on(SIGUSR1, record, 0);
    pthread_t th;
    pthread_create(&th, NULL, worker, NULL);
    while (!thread_ready)
        ;
    handler_tid = 0;
    pthread_kill(th, SIGUSR1);
    while (handler_tid == 0)
        ;
    thread_go = 1;
    pthread_join(th, NULL);
    CHECK(handler_tid == worker_tid && handler_tid != gettid(), "pthread_kill runs the handler in that thread");

    /* ignored signals vanish */
    signal(SIGUSR2, SIG_IGN);
    raise(SIGUSR2);
    sigpending(&pending);
    CHECK(!sigismember(&pending, SIGUSR2), "an ignored signal is dropped");
    return 0;
}
