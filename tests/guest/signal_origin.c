/* Signals that come from outside the process keep their siginfo, signals meant
 * for a parent stay with it after fork, a signal for the process reaches a
 * thread waiting in sigwaitinfo while another runs, and kill reaches process
 * groups and just-forked children. Prints "<check>: ok" or "<check>: FAIL ...".
 * With the argument "minus1" it checks kill(-1, ...) instead (run it in a pid
 * namespace of its own: kill(-1) reaches every process the caller may signal). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void check(const char *name, int ok, const char *fmt, long a, long b) {
    if (ok) {
        printf("%s: ok\n", name);
    } else {
        printf("%s: FAIL ", name);
        printf(fmt, a, b);
        printf("\n");
    }
    fflush(stdout);
}

static volatile sig_atomic_t usr1_count;
static void count_usr1(int sig) { (void)sig; usr1_count++; }

static volatile siginfo_t last;
static volatile sig_atomic_t got;
static void keep_info(int sig, siginfo_t *info, void *ctx) {
    (void)sig; (void)ctx;
    memcpy((void *)&last, info, sizeof *info);
    got = 1;
}

static void catch_with_info(int sig) {
    struct sigaction sa = {0};
    sa.sa_sigaction = keep_info;
    sa.sa_flags = SA_SIGINFO;
    sigaction(sig, &sa, NULL);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* wait (spinning in guest code, as a busy program does) until got is set, at most 10 s */
static int spin_until_got(void) {
    double end = now() + 10;
    while (!got && now() < end) {
        for (volatile int i = 0; i < 10000; i++) {}
    }
    return got;
}

static void heartbeat_after_fork(void) {
    /* LTP's library: the parent catches SIGUSR1, its forked test child (which
     * leaves SIGUSR1 at SIG_DFL) sends kill(getppid(), SIGUSR1) as a heartbeat */
    signal(SIGUSR1, count_usr1);
    pid_t child = fork();
    if (child == 0) {
        signal(SIGUSR1, SIG_DFL);
        for (int i = 0; i < 100; i++) {
            kill(getppid(), SIGUSR1);
            usleep(1000);
        }
        _exit(0);
    }
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    check("heartbeat to the parent after fork", WIFEXITED(status) && WEXITSTATUS(status) == 0 && usr1_count > 0,
          "child status %#lx, parent handler ran %ld times", status, usr1_count);
    signal(SIGUSR1, SIG_DFL);
}

static void sigchld_info(void) {
    catch_with_info(SIGCHLD);
    got = 0;
    pid_t child = fork();
    if (child == 0)
        _exit(7);
    spin_until_got();
    check("SIGCHLD: si_pid and CLD_EXITED", got && last.si_pid == child && last.si_code == CLD_EXITED,
          "si_pid %ld, si_code %ld", last.si_pid, last.si_code);
    check("SIGCHLD: si_status is the exit code", last.si_status == 7, "si_status %ld%ld", last.si_status, 0);
    waitpid(child, NULL, 0);

    got = 0;
    child = fork();
    if (child == 0) {
        for (;;) pause();
    }
    kill(child, SIGTERM);
    spin_until_got();
    check("SIGCHLD: CLD_KILLED with the signal", got && last.si_code == CLD_KILLED && last.si_status == SIGTERM,
          "si_code %ld, si_status %ld", last.si_code, last.si_status);
    waitpid(child, NULL, 0);
    signal(SIGCHLD, SIG_DFL);
}

static void sender_info(void) {
    catch_with_info(SIGUSR2);
    got = 0;
    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        kill(parent, SIGUSR2);
        _exit(0);
    }
    spin_until_got();
    check("kill from another process: si_pid, si_uid, SI_USER",
          got && last.si_pid == child && last.si_uid == getuid() && last.si_code == SI_USER,
          "si_pid %ld, si_code %ld", last.si_pid, last.si_code);
    waitpid(child, NULL, 0);

    got = 0;
    child = fork();
    if (child == 0) {
        union sigval v = {.sival_int = 12345};
        sigqueue(parent, SIGUSR2, v);
        _exit(0);
    }
    spin_until_got();
    check("sigqueue from another process: si_value, si_pid, SI_QUEUE",
          got && last.si_value.sival_int == 12345 && last.si_pid == child && last.si_code == SI_QUEUE,
          "si_value %ld, si_code %ld", last.si_value.sival_int, last.si_code);
    waitpid(child, NULL, 0);
    signal(SIGUSR2, SIG_DFL);

    /* sigwaitinfo on a signal every thread blocks: the kernel keeps it pending */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    child = fork();
    if (child == 0) {
        union sigval v = {.sival_int = 4242};
        sigqueue(parent, SIGRTMIN + 1, v);
        _exit(0);
    }
    siginfo_t info;
    int sig = sigwaitinfo(&set, &info);
    check("sigwaitinfo: a sigqueue from another process keeps si_value and si_pid",
          sig == SIGRTMIN + 1 && info.si_value.sival_int == 4242 && info.si_pid == child,
          "sig %ld, si_value %ld", sig, info.si_value.sival_int);
    waitpid(child, NULL, 0);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void timer_info(void) {
    catch_with_info(SIGALRM);
    got = 0;
    struct sigevent sev = {0};
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGALRM;
    sev.sigev_value.sival_int = 777;
    timer_t timer;
    timer_create(CLOCK_MONOTONIC, &sev, &timer);
    struct itimerspec its = {.it_value = {0, 20 * 1000 * 1000}};
    timer_settime(timer, 0, &its, NULL);
    spin_until_got();
    check("POSIX timer: SI_TIMER and si_value", got && last.si_code == SI_TIMER && last.si_value.sival_int == 777,
          "si_code %ld, si_value %ld", last.si_code, last.si_value.sival_int);
    timer_delete(timer);
    signal(SIGALRM, SIG_DFL);
}

static volatile int waited_sig;
static volatile int waited_pid;
static void *waiter(void *arg) {
    sigset_t *set = arg;
    siginfo_t info;
    waited_sig = sigwaitinfo(set, &info);
    waited_pid = info.si_pid;
    return NULL;
}

static void sigwait_thread(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    for (int from_child = 0; from_child < 2; from_child++) {
        pthread_t th;
        waited_sig = 0;
        pthread_create(&th, NULL, waiter, &set);
        usleep(50000);
        pid_t child = 0;
        if (from_child) {
            pid_t parent = getpid();
            child = fork();
            if (child == 0) {
                kill(parent, SIGUSR1);
                _exit(0);
            }
        } else {
            kill(getpid(), SIGUSR1);
        }
        double end = now() + 10; /* this thread keeps running guest code meanwhile */
        while (!waited_sig && now() < end) {
            for (volatile int i = 0; i < 10000; i++) {}
        }
        check(from_child ? "sigwaitinfo in a thread: kill from another process while this one runs"
                         : "sigwaitinfo in a thread: kill to the process while this one runs",
              waited_sig == SIGUSR1 && waited_pid == (from_child ? child : getpid()),
              "got signal %ld from %ld", waited_sig, waited_pid);
        if (!waited_sig)
            kill(getpid(), SIGUSR1);
        pthread_join(th, NULL);
        if (child)
            waitpid(child, NULL, 0);
    }
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

static void signalfd_from_outside(void) {
    /* blocked everywhere, default action, read through a signalfd: SIGTERM must
     * neither kill us nor be lost */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, 0);
    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        kill(parent, SIGTERM);
        usleep(20000);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    int seen = 0, from_child = 0;
    for (int i = 0; i < 2; i++) {
        struct pollfd p = {sfd, POLLIN, 0};
        if (poll(&p, 1, 10000) != 1)
            break;
        struct signalfd_siginfo si;
        if (read(sfd, &si, sizeof si) != sizeof si)
            break;
        seen |= si.ssi_signo == SIGTERM ? 1 : si.ssi_signo == SIGUSR1 ? 2 : 4;
        from_child += si.ssi_pid == (uint32_t)child;
    }
    check("signalfd: signals from another process, blocked, default action", seen == 3 && from_child == 2,
          "seen %#lx, from the child %ld", seen, from_child);
    waitpid(child, NULL, 0);
    close(sfd);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void exit_on_usr1(int sig) { (void)sig; _exit(3); }

static void kill_group_and_new_child(void) {
    setpgid(0, 0); /* a group of our own: kill(0) must not reach whoever started us */
    signal(SIGUSR1, exit_on_usr1);
    int ready[2];
    if (pipe(ready) < 0) abort();
    pid_t child = fork();
    if (child == 0) {
        close(ready[0]);
        if (write(ready[1], "x", 1) != 1) _exit(1);
        for (;;) pause();
    }
    close(ready[1]);
    char c;
    if (read(ready[0], &c, 1) != 1) abort();
    close(ready[0]);
    signal(SIGUSR1, count_usr1);
    usr1_count = 0;
    kill(0, SIGUSR1);
    int status;
    waitpid(child, &status, 0);
    check("kill(0): the whole process group, the caller too",
          WIFEXITED(status) && WEXITSTATUS(status) == 3 && usr1_count == 1,
          "child status %#lx, own handler ran %ld times", status, usr1_count);

    /* a signal sent at once to a child that has only just been forked */
    signal(SIGUSR1, exit_on_usr1);
    child = fork();
    if (child == 0) {
        sleep(5);
        _exit(0);
    }
    kill(child, SIGUSR1);
    waitpid(child, &status, 0);
    check("kill to a just-forked child runs its inherited handler",
          WIFEXITED(status) && WEXITSTATUS(status) == 3, "status %#lx%ld", status, 0);
    child = fork();
    if (child == 0) {
        sleep(5);
        _exit(0);
    }
    kill(child, SIGTERM);
    waitpid(child, &status, 0);
    check("SIGTERM to a just-forked child kills it", WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
          "status %#lx%ld", status, 0);
    signal(SIGUSR1, SIG_DFL);
}

static void exit_on_ill(int sig) { (void)sig; _exit(4); }

static void fault_signals_from_outside(void) {
    /* SIGILL and SIGSEGV sent by another process run the guest's handler or are ignored */
    int ready[2];
    for (int ignore = 0; ignore < 2; ignore++) {
        if (pipe(ready) < 0) abort();
        pid_t child = fork();
        if (child == 0) {
            signal(SIGILL, ignore ? SIG_IGN : exit_on_ill);
            signal(SIGSEGV, ignore ? SIG_IGN : exit_on_ill);
            if (write(ready[1], "x", 1) != 1) _exit(1);
            sleep(2);
            _exit(0);
        }
        char c;
        if (read(ready[0], &c, 1) != 1) abort();
        close(ready[0]);
        close(ready[1]);
        kill(child, SIGILL);
        kill(child, SIGSEGV);
        int status = -1;
        long failed = waitpid(child, &status, 0) < 0 ? errno : 0;  /* a FAIL says which it was */
        if (ignore)
            check("SIGILL, SIGSEGV from another process: ignored", WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "status %#lx, waitpid's errno %ld", status, failed);
        else
            check("SIGILL from another process: the guest's handler", WIFEXITED(status) && WEXITSTATUS(status) == 4,
                  "status %#lx, waitpid's errno %ld", status, failed);
    }
}

static void kill_minus_one(void) {
    signal(SIGUSR1, exit_on_usr1);
    pid_t children[2];
    for (int i = 0; i < 2; i++) {
        children[i] = fork();
        if (children[i] == 0) {
            for (;;) pause();
        }
    }
    usleep(200000);
    signal(SIGUSR1, count_usr1);
    usr1_count = 0;
    int rc = kill(-1, SIGUSR1);
    int exited = 0;
    for (int i = 0; i < 2; i++) {
        int status;
        waitpid(children[i], &status, 0);
        exited += WIFEXITED(status) && WEXITSTATUS(status) == 3;
    }
    usleep(100000);
    check("kill(-1): every other process, not the caller", rc == 0 && exited == 2 && usr1_count == 0,
          "children that took it %ld, own handler ran %ld times", exited, usr1_count);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "minus1") == 0) {
        kill_minus_one();
        return 0;
    }
    heartbeat_after_fork();
    sigchld_info();
    sender_info();
    timer_info();
    sigwait_thread();
    signalfd_from_outside();
    fault_signals_from_outside();
    kill_group_and_new_child();
    return 0;
}
