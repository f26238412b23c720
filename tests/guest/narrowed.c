/* After a process narrows what it may do (no descriptor left to open, rights dropped),
 * calls of every topic still work: pyqemu imports its handler modules at their first
 * call, and must not need a descriptor or a readable file for that then.
 *   narrowed nofile   RLIMIT_NOFILE down to the three open descriptors
 *   narrowed setuid   (as root) setgroups, setgid and setuid to nobody
 *   narrowed          neither: the calls alone */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/time.h>
#include <unistd.h>

static char page[4096] __attribute__((aligned(4096)));

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "setuid") == 0) {
        if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
            printf("dropping rights: %s\n", strerror(errno));
            return 1;
        }
        printf("uid %d\n", (int)getuid());
    } else if (argc > 1 && strcmp(argv[1], "nofile") == 0) {
        struct rlimit r = {3, 3};
        if (setrlimit(RLIMIT_NOFILE, &r)) {
            printf("setrlimit: %s\n", strerror(errno));
            return 1;
        }
        int fd = open("/dev/null", O_RDONLY);
        printf("open: %d %s\n", fd, fd < 0 ? strerror(errno) : "");
    }
    struct itimerval it;
    printf("getitimer: %d\n", getitimer(ITIMER_REAL, &it));
    printf("sched_get_priority_max: %d\n", sched_get_priority_max(SCHED_FIFO));
    printf("mlock: %d munlock: %d\n", mlock(page, sizeof page), munlock(page, sizeof page));
    int id = semget(IPC_PRIVATE, 1, 0600 | IPC_CREAT);
    printf("semget: %s\n", id >= 0 ? "ok" : strerror(errno));
    if (id >= 0)
        printf("semctl IPC_RMID: %d\n", semctl(id, 0, IPC_RMID));
    return 0;
}
