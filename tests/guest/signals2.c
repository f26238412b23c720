/* More of the kernel's promises: SA_RESTART restarts a blocked read, SIGCHLD
 * reaches its handler, a POSIX timer signals, a futex shared between processes,
 * stop and continue, waitid, membarrier. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK(cond, what) printf("%s: %s\n", what, (cond) ? "ok" : "FAILED")

static volatile sig_atomic_t alarms, children, timer_hits;
static int restart_pipe[2];

static void on_alarm(int sig) { alarms++; }
static void on_child(int sig) { children++; }
/* (si_code is not checked: signals that come from the host reach pyqemu's guests
 * as SI_KERNEL for now; see the README) */
static void on_timer(int sig, siginfo_t *si, void *uc) { if (si->si_signo == SIGRTMIN) timer_hits++; }

static void *late_writer(void *arg)
{
    usleep(150000);  /* after the alarm has interrupted the read */
    write(restart_pipe[1], "x", 1);
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    pipe(restart_pipe);
    pthread_t th;
    pthread_create(&th, NULL, late_writer, NULL);
    struct itimerval it = {{0, 0}, {0, 30000}};
    setitimer(ITIMER_REAL, &it, NULL);
    char c = 0;
    ssize_t n = read(restart_pipe[0], &c, 1);  /* interrupted by SIGALRM, restarted */
    pthread_join(th, NULL);
    CHECK(n == 1 && c == 'x' && alarms == 1, "SA_RESTART restarts a blocked read");

    sa.sa_handler = on_child;
    sa.sa_flags = 0;
    sigaction(SIGCHLD, &sa, NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(4);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    CHECK(children == 1 && WEXITSTATUS(st) == 4, "SIGCHLD runs its handler");

    struct sigaction ta;
    memset(&ta, 0, sizeof ta);
    ta.sa_sigaction = on_timer;
    ta.sa_flags = SA_SIGINFO;
    sigaction(SIGRTMIN, &ta, NULL);
    struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN};
    timer_t timer;
    timer_create(CLOCK_MONOTONIC, &ev, &timer);
    struct itimerspec its = {{0, 0}, {0, 20000000}};
    timer_settime(timer, 0, &its, NULL);
    while (!timer_hits)
        ;
    timer_delete(timer);
    CHECK(timer_hits == 1, "POSIX timer delivers SIGRTMIN");

    /* a futex in shared memory: the parent sleeps on it, a child wakes it */
    int *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    *word = 0;
    pid_t waker = fork();
    if (waker == 0) {
        usleep(50000);
        *word = 1;
        syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
        _exit(0);
    }
    while (*word == 0)
        syscall(SYS_futex, word, FUTEX_WAIT, 0, NULL, NULL, 0);  /* not FUTEX_PRIVATE: shared */
    waitpid(waker, &st, 0);
    CHECK(*word == 1, "shared futex wakes a waiter in another process");

    /* stop and continue */
    signal(SIGCHLD, SIG_DFL);
    pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    kill(pid, SIGSTOP);
    waitpid(pid, &st, WUNTRACED);
    int stopped = WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP;
    kill(pid, SIGCONT);
    waitpid(pid, &st, WCONTINUED);
    int continued = WIFCONTINUED(st);
    kill(pid, SIGKILL);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    waitid(P_PID, pid, &info, WEXITED);
    CHECK(stopped && continued, "SIGSTOP stops and SIGCONT continues a child");
    CHECK(info.si_pid == pid && info.si_code == CLD_KILLED && info.si_status == SIGKILL, "waitid reports SIGKILL");

    long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    CHECK(cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
          syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0 &&
          syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0, "membarrier");
    return 0;
}
