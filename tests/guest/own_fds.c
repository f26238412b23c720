/* The emulator's own descriptors (its signal wake-up pipe, its -D log) are not the
   guest's: every call on one fails with EBADF as for a closed descriptor, /proc/self/fd
   does not list them, and exec'd programs do not inherit them.

   usage: own_fds FD...       try every kind of call on each FD (closed ones natively)
          own_fds --list      print the descriptors open in this process, from 0 to 4095
          own_fds --exec PROG ARGS...  exec PROG (after the checks, to see what it inherits)
   Every line printed is what a real kernel says for a descriptor that is not open. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *what, long ret) {
    printf("%s: %s\n", what, ret < 0 ? strerrorname_np(errno) : "ok");
}

static void list_fds(void) {
    printf("open:");
    for (int fd = 0; fd < 4096; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            printf(" %d", fd);
    printf("\n");
    DIR *d = opendir("/proc/self/fd");
    int listed = 0, mine = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && atoi(e->d_name) > 2 && atoi(e->d_name) != mine)
            listed++;
    closedir(d);
    printf("listed beyond 0-2: %d\n", listed);
}

static volatile sig_atomic_t got;
static void on_usr1(int sig) { got = sig; }

static void try_fd(int fd) {
    char buf[64], path[64];
    struct stat st;
    printf("-- fd %d\n", fd);
    say("fcntl F_GETFD", fcntl(fd, F_GETFD));
    say("fcntl F_SETFL 0", fcntl(fd, F_SETFL, 0));
    say("fcntl F_SETFD 0", fcntl(fd, F_SETFD, 0));
    say("fcntl F_DUPFD", fcntl(fd, F_DUPFD, 0));
    say("read", read(fd, buf, 1));
    say("write", write(fd, "x", 1));
    say("fstat", fstat(fd, &st));
    say("dup", dup(fd));
    say("dup2 to 10", dup2(fd, 10));
    say("lseek", lseek(fd, 0, SEEK_CUR));
    int n;
    say("ioctl FIONREAD", ioctl(fd, FIONREAD, &n));
    say("openat relative", openat(fd, "x", O_RDONLY));
    say("fstatat empty path", fstatat(fd, "", &st, AT_EMPTY_PATH));
    say("fchdir", fchdir(fd));
    say("mmap", (long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) == (long)MAP_FAILED ? -1 : 0);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    say("open /proc/self/fd/N", open(path, O_RDWR));
    say("readlink /proc/self/fd/N", readlink(path, buf, sizeof buf));
    say("stat /proc/self/fd/N", stat(path, &st));
    snprintf(buf, sizeof buf, "/proc/%d/fdinfo/%d", getpid(), fd);
    say("open /proc/PID/fdinfo/N", open(buf, O_RDONLY));
    snprintf(buf, sizeof buf, "/dev/fd/%d", fd);
    say("open /dev/fd/N", open(buf, O_RDONLY));
    char link[64];
    snprintf(link, sizeof link, "/tmp/own_fds.%d.%d", getpid(), fd);
    unlink(link);
    symlink(path, link);
    say("open a link to /proc/self/fd/N", open(link, O_RDONLY | O_NONBLOCK));
    unlink(link);
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    int r = poll(&p, 1, 1000);
    printf("poll: %d revents %s\n", r, p.revents == POLLNVAL ? "POLLNVAL" : "other");
    fd_set set;
    FD_ZERO(&set);
    FD_SET(fd, &set);
    struct timeval tv = {1, 0};
    say("select", select(fd + 1, &set, NULL, NULL, &tv));
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    say("epoll_ctl add", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
    close(ep);
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
    struct iovec iov = {"x", 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    say("sendmsg SCM_RIGHTS", sendmsg(sv[0], &msg, 0));
    close(sv[0]);
    close(sv[1]);
    say("close", close(fd));
    /* natively this makes fd a copy of stdout; pyqemu refuses to give up its own */
    if (dup2(2, fd) == fd)
        printf("dup2 onto it: ok\n"), close(fd);
    else
        say("dup2 onto it", -1);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        list_fds();
        return 0;
    }
    /* a descriptor table as large as the emulator's, so that select checks fds up to 1023 natively too */
    dup2(0, 1023);
    close(1023);
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--exec") != 0; i++)
        try_fd(atoi(argv[i]));
    say("close_range 3..~0", close_range(3, ~0U, 0));

    /* a signal from another process still arrives (the wake-up pipe works) */
    signal(SIGUSR1, on_usr1);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_t child = fork();
    if (child == 0) {
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    while (!got)
        sigsuspend(&old);
    waitpid(child, NULL, 0);
    printf("signal from another process: %s\n", got == SIGUSR1 ? "SIGUSR1" : "none");
    list_fds();
    if (i < argc) {
        fflush(stdout);
        /* an exec of this program that fails first (E2BIG: 3 MB of arguments), then the real one */
        static char big[1000][3000];
        static char *huge[1002];
        huge[0] = argv[0];
        for (int k = 0; k < 1000; k++) {
            memset(big[k], 'x', sizeof big[k] - 1);
            huge[k + 1] = big[k];
        }
        if (execv(argv[0], huge) == 0 || errno != E2BIG)
            printf("exec of 3 MB of arguments: %s\n", strerrorname_np(errno));
        execv(argv[i + 1], argv + i + 1);
        perror("execv");
        return 1;
    }
    return 0;
}
