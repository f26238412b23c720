/* A program for tests/test_gdb.py to debug: every line the tests name is here.
 * argv[1] picks what it does after the common part: basic, thread, spin, forks, segv. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

int watched;
volatile int keep_spinning = 1;
double scale = 2.5;

int compute(int n)
{
    int total = 0;
    for (int i = 0; i < n; i++)
        total += i * 3;
    return total;
}

double fscale(double x)
{
    return x * scale;
}

void *worker(void *arg)
{
    int id = *(int *)arg;
    printf("worker %d\n", id);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "basic";
    double f = fscale(4.0);
    int r = compute(10);
    printf("compute %d %g\n", r, f);
    watched = r + 1;
    printf("watched %d\n", watched);
    if (strcmp(mode, "thread") == 0) {
        pthread_t t;
        int id = 7;
        pthread_create(&t, NULL, worker, &id);
        pthread_join(t, NULL);
    } else if (strcmp(mode, "spin") == 0) {
        while (keep_spinning)
            ;
        printf("stopped spinning\n");
    } else if (strcmp(mode, "forks") == 0) {  /* a child and a grandchild, forked with gdb attached */
        fflush(stdout);
        pid_t child = fork();
        if (child == 0) {
            pid_t grandchild = fork();
            if (grandchild == 0) {
                printf("grandchild: fork gave 0\n");
                fflush(stdout);
                _exit(0);
            }
            printf("child: fork gave %s\n", grandchild > 0 ? "a pid" : "an error");
            fflush(stdout);
            waitpid(grandchild, NULL, 0);
            _exit(0);
        }
        waitpid(child, NULL, 0);
        printf("parent: fork gave %s\n", child > 0 ? "a pid" : "an error");
    } else if (strcmp(mode, "segv") == 0) {
        int *p = (int *)(long)(r - 135);
        *p = 1;
    }
    return 3;
}
