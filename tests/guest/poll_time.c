/* Waiting, clocks and process information: pselect6 (fd_set words, beyond the
 * first word), ppoll with a timeout and a signal mask, epoll on a pipe, eventfd,
 * clock_gettime/getres, nanosleep, clock_nanosleep (relative and absolute),
 * gettimeofday, times, getrandom, sysinfo, uname, getrusage, prctl,
 * affinity, priorities, ids, getcpu. Prints nothing that depends on time, pids
 * or the machine, except uname's machine. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static const char *errname(int e)
{
    switch (e) {
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case EINTR: return "EINTR";
    case EEXIST: return "EEXIST";
    case ENOENT: return "ENOENT";
    default: return "?";
    }
}

#define SHOW(label, call) do { long r_ = (long)(call); \
        printf("%s = %ld %s\n", label, r_, r_ < 0 ? errname(errno) : ""); } while (0)

static int64_t ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void selects(void)
{
    int p[2];
    pipe(p);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timeval tv = {0, 0};
    printf("select empty pipe = %d\n", select(p[0] + 1, &r, NULL, NULL, &tv));
    printf("  bit still set = %d\n", FD_ISSET(p[0], &r));
    write(p[1], "x", 1);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    fd_set w;
    FD_ZERO(&w);
    FD_SET(p[1], &w);
    tv.tv_sec = 1;
    printf("select readable+writable = %d\n", select(p[1] + 1, &r, &w, NULL, &tv));
    printf("  read bit %d write bit %d\n", FD_ISSET(p[0], &r), FD_ISSET(p[1], &w));
    /* descriptors past the first word of the set */
    int hi = dup2(p[0], 100);
    FD_ZERO(&r);
    FD_SET(hi, &r);
    FD_SET(p[0], &r);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    struct timespec ts = {1, 0};
    int n = pselect(hi + 1, &r, NULL, NULL, &ts, &mask);
    printf("pselect fd 100 = %d bits %d %d\n", n, FD_ISSET(hi, &r), FD_ISSET(p[0], &r));
    /* the raw pselect6 writes back the time left */
    struct timespec left = {0, 50 * 1000000};
    FD_ZERO(&r);
    FD_SET(p[1], &r);  /* the write end never becomes readable */
    n = syscall(SYS_pselect6, p[1] + 1, &r, NULL, NULL, &left, NULL);
    printf("raw pselect6 timeout = %d left %ld.%09ld\n", n, (long)left.tv_sec, left.tv_nsec);
    SHOW("select negative nfds", select(-1, NULL, NULL, NULL, &tv));
    close(hi);

    /* ppoll: a 10 ms timeout really waits, a signal mask is accepted */
    char c;
    read(p[0], &c, 1);
    struct pollfd pfd = {.fd = p[0], .events = POLLIN};
    struct timespec tmo = {0, 10 * 1000000};
    int64_t t0 = ns(CLOCK_MONOTONIC);
    n = ppoll(&pfd, 1, &tmo, &mask);
    int64_t dt = ns(CLOCK_MONOTONIC) - t0;
    printf("ppoll timeout = %d revents %d waited >= 10ms %d\n", n, pfd.revents, dt >= 10000000);
    struct pollfd bad = {.fd = 999, .events = POLLIN};
    n = poll(&bad, 1, 0);
    printf("ppoll bad fd = %d POLLNVAL %d\n", n, bad.revents == POLLNVAL);
    struct pollfd neg = {.fd = -1, .events = POLLIN, .revents = 77};
    n = poll(&neg, 1, 0);
    printf("poll negative fd = %d revents %d\n", n, neg.revents);
    SHOW("ppoll bad array", poll((struct pollfd *)8, 1, 0));
    SHOW("ppoll bad sigsetsize", syscall(SYS_ppoll, &pfd, 1, &tmo, &mask, 4));
    close(p[1]);
    n = poll(&pfd, 1, 1000);
    printf("poll after writer closed = %d POLLHUP %d\n", n, (pfd.revents & POLLHUP) != 0);
    close(p[0]);
}

static void epolls(int beyond_qemu)
{
    int p[2];
    pipe2(p, O_NONBLOCK);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 0xdeadbeefcafef00dULL};
    SHOW("epoll_ctl ADD", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    SHOW("epoll_ctl ADD again", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    struct epoll_event out[2];
    SHOW("epoll_wait idle", epoll_wait(ep, out, 2, 0));
    write(p[1], "ab", 2);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR2);
    memset(out, 0, sizeof out);
    int n = epoll_pwait(ep, out, 2, 1000, &mask);
    printf("epoll_pwait = %d events %#x data %#llx\n", n, out[0].events, (unsigned long long)out[0].data.u64);
    SHOW("edge-triggered: no second event", epoll_wait(ep, out, 2, 0));
    ev.events = EPOLLIN;
    ev.data.fd = 42;
    SHOW("epoll_ctl MOD", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    memset(out, 0, sizeof out);
    n = epoll_wait(ep, out, 2, 0);
    printf("level-triggered = %d data.fd %d\n", n, out[0].data.fd);
    SHOW("epoll_wait maxevents 0", epoll_wait(ep, out, 0, 0));
    SHOW("epoll_wait bad buffer", epoll_wait(ep, (struct epoll_event *)8, 2, 0));
    if (beyond_qemu) {  /* qemu-user 7.2 has no epoll_pwait2 */
        struct timespec tmo = {0, 5 * 1000000};
        memset(out, 0, sizeof out);
        n = epoll_pwait2(ep, out, 2, &tmo, &mask);
        printf("epoll_pwait2 = %d data.fd %d\n", n, out[0].data.fd);
        char two[2];
        read(p[0], two, 2);
        n = epoll_pwait2(ep, out, 2, &tmo, NULL);
        printf("epoll_pwait2 timeout = %d timeout kept %d\n", n, tmo.tv_nsec == 5 * 1000000);
    }
    SHOW("epoll_ctl DEL", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    SHOW("epoll_ctl DEL again", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    SHOW("epoll_wait on a pipe", epoll_wait(p[0], out, 2, 0));
    close(ep);
    close(p[0]);
    close(p[1]);

    int efd = eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC);
    printf("eventfd cloexec %d nonblock %d\n", (fcntl(efd, F_GETFD) & FD_CLOEXEC) != 0,
           (fcntl(efd, F_GETFL) & O_NONBLOCK) != 0);
    uint64_t v = 4;
    write(efd, &v, sizeof v);
    v = 0;
    read(efd, &v, sizeof v);
    printf("eventfd counter = %llu\n", (unsigned long long)v);
    SHOW("eventfd empty read", read(efd, &v, sizeof v));
    close(efd);
    efd = eventfd(2, EFD_SEMAPHORE);
    read(efd, &v, sizeof v);
    printf("eventfd semaphore read = %llu\n", (unsigned long long)v);
    close(efd);
    SHOW("eventfd bad flags", syscall(SYS_eventfd2, 0, 0x7));
}

static void clocks(int beyond_qemu)
{
    int64_t a = ns(CLOCK_MONOTONIC), b = ns(CLOCK_MONOTONIC);
    printf("monotonic non-decreasing %d\n", b >= a);
    printf("realtime after 2020 %d\n", ns(CLOCK_REALTIME) > 1577836800LL * 1000000000);
    clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID,
                       CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME};
    for (unsigned i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        struct timespec ts, res;
        int r1 = clock_gettime(ids[i], &ts), r2 = clock_getres(ids[i], &res);
        printf("clock %d: gettime %d getres %d res ok %d\n", ids[i], r1, r2,
               res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 10000000);
    }
    struct timespec ts;
    SHOW("clock_gettime bad clock", syscall(SYS_clock_gettime, 12345, &ts));
    SHOW("clock_gettime bad pointer", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, 8));
    SHOW("clock_getres NULL", syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL));
    clockid_t cpu;
    if (clock_getcpuclockid(0, &cpu) == 0)
        printf("process cpu clock readable %d\n", clock_gettime(cpu, &ts) == 0);

    struct timespec req = {0, 10 * 1000000}, rem = {9, 9};
    int64_t t0 = ns(CLOCK_MONOTONIC);
    int r = nanosleep(&req, &rem);
    int64_t dt = ns(CLOCK_MONOTONIC) - t0;
    printf("nanosleep 10ms = %d slept >= 10ms %d\n", r, dt >= 10000000);
    t0 = ns(CLOCK_MONOTONIC);
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
    dt = ns(CLOCK_MONOTONIC) - t0;
    printf("clock_nanosleep relative = %d slept >= 10ms %d\n", r, dt >= 10000000);
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += 20 * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    printf("clock_nanosleep absolute = %d reached %d\n", r,
           now.tv_sec > until.tv_sec || (now.tv_sec == until.tv_sec && now.tv_nsec >= until.tv_nsec));
    struct timespec badreq = {0, 2000000000};
    printf("clock_nanosleep bad nsec = %s\n", errname(clock_nanosleep(CLOCK_MONOTONIC, 0, &badreq, NULL)));
    if (beyond_qemu)  /* qemu-user 7.2 says EINVAL */
        SHOW("nanosleep bad pointer", syscall(SYS_nanosleep, 8, NULL));

    struct timeval tv;
    struct timezone tz;
    r = gettimeofday(&tv, NULL);
    int64_t rt = ns(CLOCK_REALTIME) / 1000;
    int64_t us = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
    printf("gettimeofday = %d close to realtime %d\n", r, rt - us >= 0 && rt - us < 1000000);
    printf("gettimeofday with tz = %d\n", gettimeofday(&tv, &tz));
    struct tms tm;
    clock_t ticks = times(&tm);
    printf("times positive %d utime >= 0 %d clk_tck %ld\n", ticks > 0, tm.tms_utime >= 0, sysconf(_SC_CLK_TCK));
}

static void info(void)
{
    unsigned char buf[32];
    memset(buf, 0, sizeof buf);
    ssize_t n = getrandom(buf, sizeof buf, 0);
    int nonzero = 0;
    for (unsigned i = 0; i < sizeof buf; i++)
        nonzero |= buf[i];
    printf("getrandom = %zd not all zero %d\n", n, nonzero != 0);
    printf("getrandom GRND_NONBLOCK = %zd\n", getrandom(buf, 16, GRND_NONBLOCK));
    printf("getrandom GRND_RANDOM = %d\n", getrandom(buf, 8, GRND_RANDOM | GRND_NONBLOCK) > 0);
    SHOW("getrandom bad flags", getrandom(buf, 8, 0x4000));
    SHOW("getrandom bad buffer", getrandom((void *)8, 8, 0));

    struct sysinfo si;
    printf("sysinfo = %d\n", sysinfo(&si));
    printf("  uptime > 0 %d totalram > 0 %d freeram <= totalram %d mem_unit %u procs > 0 %d\n",
           si.uptime > 0, si.totalram > 0, si.freeram <= si.totalram, si.mem_unit, si.procs > 0);
    SHOW("sysinfo bad pointer", syscall(SYS_sysinfo, 8));
    struct utsname u;
    uname(&u);
    printf("uname %s %s\n", u.sysname, u.machine);

    struct rusage ru;
    int r = getrusage(RUSAGE_SELF, &ru);
    printf("getrusage self = %d maxrss > 0 %d\n", r, ru.ru_maxrss > 0);
    printf("getrusage thread = %d\n", getrusage(RUSAGE_THREAD, &ru));
    printf("getrusage children = %d\n", getrusage(RUSAGE_CHILDREN, &ru));
    SHOW("getrusage bad who", getrusage(12345, &ru));

    char name[16] = {0};
    printf("PR_SET_NAME = %d\n", prctl(PR_SET_NAME, "pyqemu-worker-name-too-long"));
    r = prctl(PR_GET_NAME, name);
    printf("PR_GET_NAME = %d %s\n", r, name);
    printf("PR_SET_PDEATHSIG = %d\n", prctl(PR_SET_PDEATHSIG, SIGUSR1));
    int sig = 0;
    r = prctl(PR_GET_PDEATHSIG, &sig);
    printf("PR_GET_PDEATHSIG = %d sig is SIGUSR1 %d\n", r, sig == SIGUSR1);
    prctl(PR_SET_PDEATHSIG, 0);
    SHOW("PR_SET_DUMPABLE", prctl(PR_SET_DUMPABLE, 1));
    SHOW("PR_GET_DUMPABLE", prctl(PR_GET_DUMPABLE));
    SHOW("PR_SET_NO_NEW_PRIVS", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    SHOW("PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    SHOW("PR_SET_NO_NEW_PRIVS bad arg", prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0));
    SHOW("PR_SET_TIMERSLACK", prctl(PR_SET_TIMERSLACK, 100000));
    SHOW("PR_GET_TIMERSLACK", prctl(PR_GET_TIMERSLACK));
    SHOW("prctl unknown option", prctl(0x7fff0000, 0, 0, 0, 0));

    cpu_set_t set;
    CPU_ZERO(&set);
    r = sched_getaffinity(0, sizeof set, &set);
    printf("sched_getaffinity = %d count > 0 %d\n", r, CPU_COUNT(&set) > 0);
    printf("sched_setaffinity same = %d\n", sched_setaffinity(0, sizeof set, &set));
    long raw = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
    printf("raw sched_getaffinity multiple of 8 %d\n", raw > 0 && raw % 8 == 0);
    SHOW("sched_getaffinity odd size", syscall(SYS_sched_getaffinity, 0, 3, &set));
    printf("sched_yield = %d\n", sched_yield());
    errno = 0;
    int prio = getpriority(PRIO_PROCESS, 0);
    printf("getpriority errno %d\n", errno);
    r = setpriority(PRIO_PROCESS, 0, prio);
    printf("setpriority same = %d same again %d\n", r, getpriority(PRIO_PROCESS, 0) == prio);
    SHOW("getpriority bad which", getpriority(12345, 0));

    uid_t uu, eu, su;
    gid_t gr, ge, gs;
    r = getresuid(&uu, &eu, &su);
    printf("getresuid = %d matches %d\n", r, uu == getuid() && eu == geteuid());
    r = getresgid(&gr, &ge, &gs);
    printf("getresgid = %d matches %d\n", r, gr == getgid() && ge == getegid());
    SHOW("getresuid bad pointer", syscall(SYS_getresuid, &uu, 8, &su));
    int ng = getgroups(0, NULL);
    gid_t groups[256];
    printf("getgroups count agrees %d\n", ng >= 0 && getgroups(256, groups) == ng);
    SHOW("getgroups negative", getgroups(-1, groups));
    unsigned cpu = 9999, node = 9999;
    r = getcpu(&cpu, &node);
    printf("getcpu = %d cpu set %d\n", r, cpu != 9999);
    printf("sched_getcpu >= 0 %d\n", sched_getcpu() >= 0);
}

/* --beyond-qemu: also the checks where qemu-user 7.2 differs from the kernel */
int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    selects();
    int beyond_qemu = argc > 1 && strcmp(argv[1], "--beyond-qemu") == 0;
    epolls(beyond_qemu);
    clocks(beyond_qemu);
    info();
    return 0;
}
