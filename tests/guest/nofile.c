/* RLIMIT_NOFILE as the kernel keeps it: a program opens descriptors up to its soft
 * limit and gets every number below it, then EMFILE (LTP dup205, pipe07: the
 * emulator's own descriptors took some); dup2 and F_DUPFD past the limit fail as
 * the kernel says; a lowered and a raised limit count the same way; an exec'd
 * program has the limit the caller set.
 * Usage: nofile             the checks
 *        nofile --exec PROG  set the soft limit to 100, then exec PROG (a shell's `ulimit -n`) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define CHECK(cond, what) printf("%s: %s\n", what, (cond) ? "ok" : "FAILED")

/* Opens /dev/null until it fails; the count, whether every number below limit ended
 * up open, and the errno of the failure. Closes what it opened. */
static int fill(long limit, int *all_below, int *err)
{
    static int fds[1 << 17];
    int n = 0, fd;
    while (n < (int)(sizeof fds / sizeof fds[0]) && (fd = open("/dev/null", O_RDONLY)) >= 0)
        fds[n++] = fd;
    *err = errno;
    *all_below = 1;
    for (long i = 0; i < limit; i++)
        if (fcntl((int)i, F_GETFD) < 0)
            *all_below = 0;
    for (int i = 0; i < n; i++)
        close(fds[i]);
    return n;
}

static int open_below(long limit)
{
    int open_now = 0;
    for (long i = 0; i < limit; i++)
        if (fcntl((int)i, F_GETFD) >= 0)
            open_now++;
    return open_now;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct rlimit rl, start;
    getrlimit(RLIMIT_NOFILE, &start);
    if (argc == 3 && !strcmp(argv[1], "--exec")) {
        rl = start;
        rl.rlim_cur = 100;
        setrlimit(RLIMIT_NOFILE, &rl);
        execl(argv[2], argv[2], "-c", "ulimit -Sn; ulimit -Hn", (char *)NULL);
        perror("execl");
        return 1;
    }
    long soft = (long)start.rlim_cur;
    int all_below, err;
    int before = open_below(soft);
    int n = fill(soft, &all_below, &err);
    CHECK(before + n == soft && all_below && err == EMFILE, "open up to the soft limit, then EMFILE");
    CHECK(getdtablesize() == soft, "getdtablesize is the soft limit");

    errno = 0;
    CHECK(dup2(0, (int)soft) < 0 && errno == EBADF, "dup2 onto the limit: EBADF");
    errno = 0;
    CHECK(dup2(0, (int)soft - 1) == soft - 1, "dup2 onto the last number below it");
    close((int)soft - 1);
    errno = 0;
    CHECK(fcntl(0, F_DUPFD, soft) < 0 && errno == EINVAL, "F_DUPFD from the limit: EINVAL");
    CHECK(fcntl(0, F_DUPFD, soft - 1) == soft - 1, "F_DUPFD from the last number below it");
    close((int)soft - 1);

    long lowered = soft / 2;
    rl = start;
    rl.rlim_cur = lowered;
    CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit lowers the soft limit");
    before = open_below(lowered);
    n = fill(lowered, &all_below, &err);
    CHECK(before + n == lowered && all_below && err == EMFILE, "a lowered limit: every number below it, then EMFILE");
    errno = 0;
    CHECK(dup2(0, (int)lowered) < 0 && errno == EBADF, "dup2 onto the lowered limit: EBADF");

    /* raised past where it started (where the hard limit leaves room) */
    long raised = (long)start.rlim_max < soft + 100 ? (long)start.rlim_max : soft + 100;
    rl.rlim_cur = raised;
    CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit raises it again");
    before = open_below(raised);
    n = fill(raised, &all_below, &err);
    CHECK(before + n == raised && err == EMFILE, "a raised limit: as many descriptors, then EMFILE");
    getrlimit(RLIMIT_NOFILE, &rl);
    CHECK(rl.rlim_cur == (rlim_t)raised && rl.rlim_max == start.rlim_max, "getrlimit: what was set");
    rl.rlim_cur = rl.rlim_max + 1;
    errno = 0;
    CHECK(setrlimit(RLIMIT_NOFILE, &rl) < 0 && errno == EINVAL, "soft above hard: EINVAL");
    return 0;
}
