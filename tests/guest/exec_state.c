/* What an execve keeps and what it drops, seen from both sides of it.
 *   exec_state            set up (descriptors, signals, a timer), then exec itself
 *   exec_state after ...  report what survived
 *   exec_state chain N    exec itself N more times, then report descriptors and memory */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void on_usr1(int sig) { (void)sig; }

static int open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

static long rss_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

static void report(char **argv)
{
    int kept = atoi(argv[2]), closed = atoi(argv[3]);
    pid_t pid = (pid_t)atoi(argv[4]);
    timer_t timer = (timer_t)(long)atol(argv[5]);
    struct sigaction sa;
    sigset_t set;
    struct itimerspec its;
    char exe[256];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);

    exe[len > 0 ? len : 0] = 0;
    printf("argv0 %s, exe %s\n", argv[0], strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe);
    printf("same pid: %s\n", getpid() == pid ? "yes" : "no");
    printf("plain descriptor: %s\n", fcntl(kept, F_GETFD) >= 0 ? "open" : "closed");
    printf("close-on-exec descriptor: %s\n",
           fcntl(closed, F_GETFD) < 0 && errno == EBADF ? "closed" : "open");
    sigaction(SIGUSR1, NULL, &sa);
    printf("SIGUSR1 (was handled): %s\n", sa.sa_handler == SIG_DFL ? "default" : "not default");
    sigaction(SIGUSR2, NULL, &sa);
    printf("SIGUSR2 (was ignored): %s\n", sa.sa_handler == SIG_IGN ? "ignored" : "not ignored");
    sigprocmask(SIG_BLOCK, NULL, &set);
    printf("SIGTERM blocked: %s\n", sigismember(&set, SIGTERM) ? "yes" : "no");
    sigpending(&set);
    printf("SIGTERM pending: %s\n", sigismember(&set, SIGTERM) ? "yes" : "no");
    printf("POSIX timer: %s\n", timer_gettime(timer, &its) < 0 && errno == EINVAL ? "deleted" : "kept");
    stack_t ss;
    sigaltstack(NULL, &ss);
    printf("alternate stack: %s\n", ss.ss_flags & SS_DISABLE ? "disabled" : "kept");
}

int main(int argc, char **argv)
{
    char a[16], b[16], p[16], t[24], n[16];

    if (argc > 5 && strcmp(argv[1], "after") == 0) {
        report(argv);
        return 0;
    }
    if (argc > 2 && strcmp(argv[1], "chain") == 0) {
        int left = atoi(argv[2]);
        if (left > 0) {
            snprintf(n, sizeof n, "%d", left - 1);
            execl("/proc/self/exe", argv[0], "chain", n, argv[3], (char *)0);
            perror("execl");
            return 127;
        }
        printf("descriptors at the end: %d (at the start %s)\n", open_fds(), argv[3]);
        printf("resident KiB at the end: %ld\n", rss_kb());
        return 0;
    }
    if (argc > 2 && strcmp(argv[1], "start-chain") == 0) {
        snprintf(p, sizeof p, "%d", open_fds());
        printf("resident KiB at the start: %ld\n", rss_kb());
        fflush(stdout);
        execl("/proc/self/exe", argv[0], "chain", argv[2], p, (char *)0);
        perror("execl");
        return 127;
    }

    int kept = open("/dev/null", O_RDONLY);
    int closed = open("/dev/null", O_RDONLY | O_CLOEXEC);
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGUSR2, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGTERM);
    timer_t timer;
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_NONE;
    if (timer_create(CLOCK_MONOTONIC, &ev, &timer) != 0) {
        perror("timer_create");
        return 1;
    }
    static char altstack[65536];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    snprintf(a, sizeof a, "%d", kept);
    snprintf(b, sizeof b, "%d", closed);
    snprintf(p, sizeof p, "%d", (int)getpid());
    snprintf(t, sizeof t, "%ld", (long)timer);
    printf("before: SIGUSR1 handled, SIGUSR2 ignored, SIGTERM blocked and pending\n");
    fflush(stdout);
    execl("/proc/self/exe", "renamed", "after", a, b, p, t, (char *)0);
    perror("execl");
    return 127;
}
