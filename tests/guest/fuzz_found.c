/* What the syscall fuzzer (tools/fuzz.py) found, one line each: calls with arguments
   no well-behaved program passes, answered as the kernel answers them. Every line
   holds natively; compared with a native run. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

static void say(const char *what, long ret) {
    printf("%s: %ld %s\n", what, ret, ret < 0 ? strerrorname_np(errno) : "");
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    /* negative descriptors: the kernel's EBADF (Python's os.fsync said ValueError) */
    say("fchdir(-1)", syscall(SYS_fchdir, -1));
    say("fsync(-100)", syscall(SYS_fsync, -100));
    say("fdatasync(INT_MIN)", syscall(SYS_fdatasync, (long)INT32_MIN));
    /* flags beyond an int (os.pipe2 overflowed) */
    int fds[2];
    say("pipe2(fds, 1 << 40)", syscall(SYS_pipe2, fds, 1L << 40));
    say("pipe2(fds, 0x80000000)", syscall(SYS_pipe2, fds, 0x80000000L));
    /* limits beyond a signed 64-bit value (resource.prlimit overflowed) */
    uint64_t huge[2] = {(1ULL << 63) + 5, ~0ULL}, old[2];
    say("prlimit64 RLIMIT_CORE huge", syscall(SYS_prlimit64, 0, RLIMIT_CORE, huge, old));
    say("prlimit64 RLIMIT_CORE back", syscall(SYS_prlimit64, 0, RLIMIT_CORE, NULL, old));
    printf("RLIMIT_CORE soft is the huge one: %d\n", old[0] == huge[0]);
    uint64_t inverted[2] = {~0ULL - 1, 5};
    say("prlimit64 soft above hard", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, inverted, NULL));
    say("prlimit64 RLIMIT_AS huge", syscall(SYS_prlimit64, 0, RLIMIT_AS, huge, old));
    say("prlimit64 RLIMIT_AS back", syscall(SYS_prlimit64, 0, RLIMIT_AS, NULL, old));
    printf("RLIMIT_AS soft is the huge one: %d\n", old[0] == huge[0]);

    /* mremap to a fixed place, shrinking: the tail goes, the rest moves (was UC_ERR_MAP) */
    long page = getpagesize();
    char *area = mmap(NULL, 64 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *src = mmap(area, 16 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    src[0] = 'a';
    src[page] = 'b';
    char *dst = mremap(src, 16 * page, 2 * page, MREMAP_MAYMOVE | MREMAP_FIXED, area + 40 * page);
    printf("mremap shrink to a fixed place: %d, contents %c%c\n", dst == area + 40 * page, dst[0], dst[page]);
    errno = 0;
    char *back = mremap(dst, 2 * page, 4 * page, MREMAP_MAYMOVE | MREMAP_FIXED, dst + page);
    printf("mremap onto an overlapping range: %s, still there %c\n", back == MAP_FAILED ? strerrorname_np(errno) : "ok",
           dst[0]);
    errno = 0;
    back = mremap(dst, 2 * page, 2 * page, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)(-1L * page));  /* past the top */
    printf("mremap beyond the address space: %s\n", back == MAP_FAILED ? strerrorname_np(errno) : "ok");

    /* a signalfd the program made blocking, then a signal for it (the refresh blocked) */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_NONBLOCK);
    fcntl(sfd, F_SETFL, 0);
    raise(SIGUSR1);
    struct signalfd_siginfo info;
    long got = read(sfd, &info, sizeof info);
    printf("signalfd made blocking, then read: %ld signo %d\n", got, info.ssi_signo == SIGUSR1);

    /* a queued siginfo with extreme values read through a signalfd (struct.error before) */
    siginfo_t q;
    memset(&q, 0, sizeof q);
    q.si_signo = SIGUSR1;
    q.si_code = SI_QUEUE;
    q.si_pid = -1;
    q.si_uid = 0x80000000u;
    q.si_errno = 0x7fffffff;
    q.si_value.sival_ptr = (void *)~0UL;
    say("rt_sigqueueinfo extreme", syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &q));
    fcntl(sfd, F_SETFL, O_NONBLOCK);
    got = read(sfd, &info, sizeof info);
    printf("read back: %ld pid %u uid %u errno %d code %d int %d ptr %#llx\n", got, info.ssi_pid, info.ssi_uid,
           info.ssi_errno, info.ssi_code, info.ssi_int, (unsigned long long)info.ssi_ptr);
    fcntl(sfd, F_SETFL, 0);

    /* a blocking signalfd read ends with EINTR when a handled signal arrives (it waited for ever) */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval once = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &once, NULL);
    errno = 0;
    got = read(sfd, &info, sizeof info);
    printf("blocking signalfd read, then SIGALRM: %ld %s, handler ran %d\n", got, strerrorname_np(errno),
           (int)alarms);

    /* a fork that fails (RLIMIT_NPROC, as nobody): signals still interrupt a blocking read
       (the emulator kept them all blocked, and the read hung) -- last: it gives up root */
    if (getuid() == 0 && setgid(65534) == 0)
        setuid(65534);
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_NPROC, &none);
    errno = 0;
    long child = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (child == 0)
        _exit(0);
    printf("fork under RLIMIT_NPROC 0: %ld %s\n", child < 0 ? -1L : 0L, strerrorname_np(errno));
    int p[2];
    pipe(p);
    setitimer(ITIMER_REAL, &once, NULL);
    errno = 0;
    char c;
    got = read(p[0], &c, 1);
    printf("then a blocking read and SIGALRM: %ld %s\n", got, strerrorname_np(errno));
    return 0;
}
