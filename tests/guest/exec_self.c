/* Runs itself again the ways busybox, Go and Python do: execve of
 * /proc/self/exe, of /proc/self/fd/N, fexecve, execveat(fd, "", AT_EMPTY_PATH).
 * The re-run prints "again: <how>"; the first run prints the child's status. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[1], "again") == 0) {
        printf("again: %s\n", argv[2]);
        return 0;
    }
    const char *ways[] = {"/proc/self/exe", "/proc/self/fd", "fexecve", "execveat", "memfd"};
    for (int i = 0; i < 5; i++) {
        fflush(stdout);
        pid_t child = fork();
        if (child == 0) {
            char *args[] = {argv[0], "again", (char *)ways[i], NULL};
            int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
            char name[64];
            switch (i) {
            case 0: execv("/proc/self/exe", args); break;
            case 1:
                fd = open("/proc/self/exe", O_RDONLY); /* not close-on-exec: the path must stay valid */
                snprintf(name, sizeof name, "/proc/self/fd/%d", fd);
                execv(name, args);
                break;
            case 2: fexecve(fd, args, environ); break;
            case 3: syscall(SYS_execveat, fd, "", args, environ, AT_EMPTY_PATH); break;
            case 4: { /* a copy with no name at all */
                int m = memfd_create("copy", 0);
                char buf[65536];
                ssize_t n;
                while ((n = read(fd, buf, sizeof buf)) > 0)
                    if (write(m, buf, n) != n) _exit(126);
                fexecve(m, args, environ);
                break;
            }
            }
            printf("%s: exec failed: %s\n", ways[i], strerror(errno));
            _exit(127);
        }
        int status;
        waitpid(child, &status, 0);
        printf("%s: status %d\n", ways[i], WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
    return 0;
}
