/* Threads made and joined one after another: what an ended thread leaves behind
   must go (a pool's churn, a server's thread per request).
   usage: thread_churn N */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *work(void *arg) { return arg; }

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 100;
    for (long i = 0; i < n; i++) {
        pthread_t t;
        void *back;
        int err = pthread_create(&t, NULL, work, (void *)i);
        if (err) {
            printf("thread %ld: %s\n", i, strerror(err));
            return 1;
        }
        pthread_join(t, &back);
        if ((long)back != i)
            return 2;
    }
    printf("%d threads made and joined\n", n);
    return 0;
}
