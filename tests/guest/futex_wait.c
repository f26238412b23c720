/* FUTEX_WAIT's answers, whether the word still holds the value or not: EAGAIN at
 * once for a changed word, the kernel's checks first (a bad timeout, a bitset of
 * 0, CLOCK_REALTIME on a plain wait), ETIMEDOUT, and a real wait another thread
 * ends with a wake.  futex_wait */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint32_t word = 1;

static long fx(uint32_t *addr, int op, uint32_t val, const struct timespec *ts, uint32_t val3)
{
    return syscall(SYS_futex, addr, op, val, ts, NULL, val3);
}

static void show(const char *what, long r)
{
    printf("%s: %ld %s\n", what, r, r < 0 ? strerrorname_np(errno) : "");
}

static void *waker(void *arg)
{
    (void)arg;
    usleep(50000);
    __atomic_store_n(&word, 2, __ATOMIC_SEQ_CST);
    while (fx(&word, FUTEX_WAKE_PRIVATE, 1, NULL, 0) == 0)
        usleep(1000);
    return NULL;
}

int main(void)
{
    struct timespec short_wait = {0, 1000000}, bad = {0, 1000000000}, negative = {-1, 0};
    show("changed word", fx(&word, FUTEX_WAIT_PRIVATE, 7, NULL, 0));
    show("changed word, bitset", fx(&word, FUTEX_WAIT_BITSET_PRIVATE, 7, NULL, 0xFFFFFFFF));
    show("changed word, bad timeout", fx(&word, FUTEX_WAIT_PRIVATE, 7, &bad, 0));
    show("changed word, negative timeout", fx(&word, FUTEX_WAIT_PRIVATE, 7, &negative, 0));
    show("changed word, bitset 0", fx(&word, FUTEX_WAIT_BITSET_PRIVATE, 7, NULL, 0));
    show("changed word, realtime plain wait", fx(&word, FUTEX_WAIT_PRIVATE | FUTEX_CLOCK_REALTIME, 7, NULL, 0));
    show("misaligned", fx((uint32_t *)((char *)&word + 1), FUTEX_WAIT_PRIVATE, 7, NULL, 0));
    show("unmapped", fx((uint32_t *)16, FUTEX_WAIT_PRIVATE, 7, NULL, 0));
    show("same word, timed out", fx(&word, FUTEX_WAIT_PRIVATE, 1, &short_wait, 0));
    pthread_t th;
    pthread_create(&th, NULL, waker, NULL);
    long r;
    while ((r = fx(&word, FUTEX_WAIT_PRIVATE, 1, NULL, 0)) == 0 && word == 1)
        ; /* a spurious wake-up: wait again */
    show("woken", r < 0 && errno == EAGAIN ? 0 : r); /* the store may come before the wait */
    pthread_join(th, NULL);
    printf("word %u\n", word);
    return 0;
}
