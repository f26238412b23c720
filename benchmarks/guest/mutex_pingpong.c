/* 4 threads handing one mutex round a ring: thread i waits for its turn under the
 * mutex, passes the turn to thread i+1 and signals it.  N rounds.  mutex_pingpong N */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define T 4
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_cv[T];
static int turn;
static long rounds;

static void *worker(void *arg)
{
    int me = (int)(long)arg;
    for (long r = 0; r < rounds; r++) {
        pthread_mutex_lock(&mu);
        while (turn != me)
            pthread_cond_wait(&turn_cv[me], &mu);
        turn = (me + 1) % T;
        pthread_cond_signal(&turn_cv[turn]);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    rounds = argc > 1 ? atol(argv[1]) : 20000;
    pthread_t th[T];
    for (int i = 0; i < T; i++) pthread_cond_init(&turn_cv[i], NULL);
    for (long i = 0; i < T; i++)
        if (pthread_create(&th[i], NULL, worker, (void *)i)) { puts("pthread_create failed"); return 1; }
    for (int i = 0; i < T; i++) pthread_join(th[i], NULL);
    printf("%d\n", turn);
    return 0;
}
