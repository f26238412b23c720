/* read and write as the kernel does them, whether or not they would block:
 * pipes, sockets, an O_NONBLOCK pipe, a write bigger than the pipe while another
 * thread reads, a file read whole after its cache was dropped, a read a signal
 * interrupts.  nowait_io DIR */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define BIG (256 * 1024)

static int pipe_fds[2];
static long drained;

static void *reader(void *arg)
{
    static char buf[8192];
    ssize_t n;
    (void)arg;
    while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0)
        drained += n;
    return NULL;
}

static void on_alarm(int sig) { (void)sig; }

int main(int argc, char **argv)
{
    static char out[BIG], in[BIG];
    int fds[2];
    for (int i = 0; i < BIG; i++)
        out[i] = (char)(i * 7);

    /* a pipe with room and data: nothing blocks */
    pipe(fds);
    printf("pipe write %zd", write(fds[1], out, 4096));
    ssize_t got = read(fds[0], in, 8192);  /* first: arguments have no order (m68k's gcc compares first) */
    printf(", read %zd, same %d\n", got, memcmp(in, out, 4096) == 0);

    /* an empty O_NONBLOCK pipe: EAGAIN, not a wait */
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    ssize_t r = read(fds[0], in, 10);
    printf("empty non-blocking pipe: %zd %s\n", r, r < 0 && errno == EAGAIN ? "EAGAIN" : "?");
    close(fds[0]);
    close(fds[1]);

    /* a socket pair */
    socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
    printf("socket write %zd", write(fds[0], out, 1000));
    printf(", read %zd\n", read(fds[1], in, 4096));
    close(fds[0]);
    close(fds[1]);

    /* more than the pipe holds, while another thread reads: one write returns it all */
    pipe(pipe_fds);
    pthread_t th;
    pthread_create(&th, NULL, reader, NULL);
    ssize_t w = write(pipe_fds[1], out, BIG);
    close(pipe_fds[1]);
    pthread_join(th, NULL);
    printf("big write %zd, the other thread read %ld\n", w, drained);
    close(pipe_fds[0]);

    /* a file read whole in one read, its cache dropped first */
    char path[4096];
    snprintf(path, sizeof path, "%s/nowait-file", argc > 1 ? argv[1] : "/tmp");
    int f = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
    write(f, out, BIG);
    fsync(f);
    posix_fadvise(f, 0, 0, POSIX_FADV_DONTNEED);
    lseek(f, 0, SEEK_SET);
    r = read(f, in, BIG);
    printf("file read %zd, same %d\n", r, memcmp(in, out, BIG) == 0);
    close(f);
    unlink(path);

    /* a read that waits, interrupted by a handled signal without SA_RESTART */
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    pipe(fds);
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    r = read(fds[0], in, 10);
    printf("interrupted read: %zd %s\n", r, r < 0 && errno == EINTR ? "EINTR" : "?");
    return 0;
}
