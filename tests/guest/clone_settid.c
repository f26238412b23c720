/* clone with CLONE_PARENT_SETTID and CLONE_CHILD_SETTID pointing at unmapped memory:
 * the kernel ignores a failed store of the tid, so the child exists and runs, and the
 * parent gets its pid (not an error that would make the child think it is the parent). */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int child(void *arg)
{
    (void)arg;
    _exit(7);
}

int main(void)
{
    static char stack[65536] __attribute__((aligned(16)));
    pid_t *bad = (pid_t *)16;
    pid_t pid = clone(child, stack + sizeof stack, SIGCHLD | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID,
                      NULL, bad, NULL, bad);
    int status = 0;
    pid_t waited = pid > 0 ? waitpid(pid, &status, 0) : -1;
    printf("clone with unwritable tid pointers: %s\n",
           pid > 0 && waited == pid && WIFEXITED(status) && WEXITSTATUS(status) == 7 ? "ok" : "FAILED");
    return 0;
}
