/* Two processes share an anonymous MAP_SHARED page: each does N atomic adds on
   one word and N increments under a PTHREAD_PROCESS_SHARED mutex. Both counts
   are exact only if guest atomics are atomic between processes.
   shared_atomics N */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct shared {
    pthread_mutex_t mutex;
    long added;
    long locked;
};

static void work(struct shared *s, long n)
{
    for (long i = 0; i < n; i++) {
        __atomic_fetch_add(&s->added, 1, __ATOMIC_RELAXED);
        pthread_mutex_lock(&s->mutex);
        s->locked++;
        pthread_mutex_unlock(&s->mutex);
    }
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&s->mutex, &attr);
    pid_t child = fork();
    if (child < 0) {
        perror("fork");
        return 1;
    }
    work(s, n);
    if (child == 0)
        _exit(0);
    int status;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("child failed\n");
        return 1;
    }
    printf("atomic adds: %ld (expected %ld)\n", s->added, 2 * n);
    printf("mutex-protected increments: %ld (expected %ld)\n", s->locked, 2 * n);
    return 0;
}
