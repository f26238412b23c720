/* fork, exec of a foreign program (ourselves), exec of a host program, a
 * script, wait statuses, pipes between processes, process groups, vfork. */
#define _GNU_SOURCE
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "child")) {
        printf("exec'd child: argv[0]=%s argc=%d env=%s\n", argv[0], argc, getenv("PROBE") ?: "unset");
        return 7;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        dprintf(p[1], "child %d writes through a pipe", getpid() != getppid());
        _exit(3);
    }
    close(p[1]);
    char buf[64] = {0};
    read(p[0], buf, sizeof buf - 1);
    int st;
    waitpid(pid, &st, 0);
    printf("fork: '%s', exit %d\n", buf, WEXITSTATUS(st));

    pid = fork();
    if (pid == 0) {
        setenv("PROBE", "inherited", 1);
        execl(argv[0], "renamed-argv0", "child", (char *)NULL);
        _exit(99);
    }
    waitpid(pid, &st, 0);
    printf("exec of a foreign program: exit %d\n", WEXITSTATUS(st));

    pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", "echo host shell runs natively; exit 5", (char *)NULL);
        _exit(99);
    }
    waitpid(pid, &st, 0);
    printf("exec of a host program: exit %d\n", WEXITSTATUS(st));

    pid = fork();
    if (pid == 0)
        abort();
    waitpid(pid, &st, 0);
    printf("child killed by SIGABRT: %d %d\n", WIFSIGNALED(st), WTERMSIG(st));

    pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
    printf("kill to a child: %d %d\n", WIFSIGNALED(st), WTERMSIG(st));

    pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        printf("child in its own group: %d\n", getpgid(0) == getpid());
        _exit(0);
    }
    waitpid(pid, &st, 0);

    pid_t spawned;
    char *args[] = {argv[0], "child", NULL};
    int r = posix_spawn(&spawned, argv[0], NULL, NULL, args, environ);
    waitpid(spawned, &st, 0);
    printf("posix_spawn: %d exit %d\n", r, WEXITSTATUS(st));

    pid = vfork();
    if (pid == 0)
        _exit(11);
    waitpid(pid, &st, 0);
    printf("vfork: exit %d\n", WEXITSTATUS(st));

    FILE *f = popen("echo popen; exit 4", "r");
    fgets(buf, sizeof buf, f);
    printf("popen read '%.5s', pclose %d\n", buf, WEXITSTATUS(pclose(f)));
    printf("system: %d\n", WEXITSTATUS(system("exit 6")));
    return 0;
}
