/* Private futex queues: who is woken and the counts the calls return, checked
 * against the kernel's (qemu-user passes them to the host kernel).  A waiter is
 * known to be queued when a CMP_REQUEUE of the word onto itself counts it (it
 * moves nothing), so nothing here depends on timing but the timeouts' lower
 * bounds.  futex_queue [nowakeop]: without the FUTEX_WAKE_OP part (qemu-user has the
 * host kernel do its operation in the host's byte order: wrong for a big-endian guest) */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long fx(uint32_t *addr, int op, uint32_t val, long val2, uint32_t *addr2, uint32_t val3)
{
    return syscall(SYS_futex, addr, op, val, val2, addr2, val3);
}

static void show(const char *what, long r)
{
    printf("%s: %ld %s\n", what, r, r < 0 ? strerrorname_np(errno) : "");
}

static long queued(uint32_t *addr)
{
    return fx(addr, FUTEX_CMP_REQUEUE_PRIVATE, 0, INT_MAX, addr, *addr);
}

static void wait_queued(uint32_t *addr, long n)
{
    for (int i = 0; queued(addr) != n; i++) {
        if (i == 20000) {
            printf("never %ld waiters\n", n);
            _exit(1);
        }
        usleep(500);
    }
}

struct waiter {
    uint32_t *addr;
    int op;
    uint32_t val, bitset;
    long result;
    int err;
    pthread_t th;
};

static void *waiting(void *arg)
{
    struct waiter *w = arg;
    w->result = fx(w->addr, w->op, w->val, 0, NULL, w->bitset);
    w->err = errno;
    return NULL;
}

static void start(struct waiter *w, uint32_t *addr, uint32_t bitset)
{
    w->addr = addr;
    w->op = FUTEX_WAIT_BITSET_PRIVATE;
    w->val = *addr;
    w->bitset = bitset;
    pthread_create(&w->th, NULL, waiting, w);
}

static void finish(struct waiter *w, int n, const char *what)
{
    int ok = 1;
    for (int i = 0; i < n; i++) {
        pthread_join(w[i].th, NULL);
        ok &= w[i].result == 0;
    }
    printf("%s: every wait returned 0: %s\n", what, ok ? "yes" : "no");
}

static uint32_t a, b, c, d, e = 5, f;
static volatile sig_atomic_t handled;

static void on_signal(int sig)
{
    (void)sig;
    handled++;
}

static double now(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    struct waiter w[4];
    setvbuf(stdout, NULL, _IOLBF, 0); /* a hang shows where it was */

    /* counts: requeue, wake of 0 (one), wake of more than there are */
    for (int i = 0; i < 3; i++)
        start(&w[i], &a, FUTEX_BITSET_MATCH_ANY);
    long moved = 0;
    for (int i = 0; moved < 3 && i < 20000; i++, usleep(500))
        moved += fx(&a, FUTEX_CMP_REQUEUE_PRIVATE, 0, INT_MAX, &b, a);
    printf("requeued to b: %ld\n", moved);
    show("cmp_requeue with a changed word", fx(&a, FUTEX_CMP_REQUEUE_PRIVATE, 0, INT_MAX, &b, a + 1));
    show("requeue with a negative count", fx(&b, FUTEX_REQUEUE_PRIVATE, 0, -1, &a, 0));
    show("left on a", queued(&a));
    show("on b", queued(&b));
    show("requeue 1 woken 1 moved of b to a", fx(&b, FUTEX_REQUEUE_PRIVATE, 1, 1, &a, 0));
    show("left on a", queued(&a));
    show("left on b", queued(&b));
    show("wake 0 on a", fx(&a, FUTEX_WAKE_PRIVATE, 0, 0, NULL, 0));
    show("wake 5 on b", fx(&b, FUTEX_WAKE_PRIVATE, 5, 0, NULL, 0));
    show("wake 1 on b, nobody there", fx(&b, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0));
    finish(w, 3, "requeue and wake");

    /* bitsets: a wake reaches only the waiters whose bitset meets its own, oldest first */
    start(&w[0], &c, 1);
    wait_queued(&c, 1);
    start(&w[1], &c, 2);
    wait_queued(&c, 2);
    start(&w[2], &c, 6);
    wait_queued(&c, 3);
    show("wake_bitset 8", fx(&c, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, 0, NULL, 8));
    show("wake_bitset 0", fx(&c, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, 0, NULL, 0));
    show("wake_bitset 4", fx(&c, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, 0, NULL, 4));
    pthread_join(w[2].th, NULL);
    show("wake_bitset 3, the older of two", fx(&c, FUTEX_WAKE_BITSET_PRIVATE, 1, 0, NULL, 3));
    show("wake_bitset 1, nobody left", fx(&c, FUTEX_WAKE_BITSET_PRIVATE, 1, 0, NULL, 1));
    show("wake_bitset 2, the younger", fx(&c, FUTEX_WAKE_BITSET_PRIVATE, 1, 0, NULL, 2));
    finish(w, 3, "bitsets");

    /* wake_op: e += 3 with old e == 5 wakes on both words; then its comparison fails */
    if (argc > 1 && strcmp(argv[1], "nowakeop") == 0)
        goto timeouts;
    start(&w[0], &d, FUTEX_BITSET_MATCH_ANY);
    start(&w[1], &e, FUTEX_BITSET_MATCH_ANY);
    start(&w[2], &e, FUTEX_BITSET_MATCH_ANY);
    wait_queued(&d, 1);
    wait_queued(&e, 2);
    show("wake_op add 3 if 5", fx(&d, FUTEX_WAKE_OP_PRIVATE, 1, 1, &e, FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 5)));
    printf("e: %u\n", e);
    show("wake_op or 1<<4 if 5", fx(&d, FUTEX_WAKE_OP_PRIVATE, 1, 1, &e,
                                      FUTEX_OP(FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, 4, FUTEX_OP_CMP_EQ, 5)));
    printf("e: %u\n", e);
    show("wake_op unknown operation", fx(&d, FUTEX_WAKE_OP_PRIVATE, 1, 1, &e, FUTEX_OP(7, 1, FUTEX_OP_CMP_EQ, 0)));
    printf("e: %u\n", e);
    show("wake_op ge -1", fx(&d, FUTEX_WAKE_OP_PRIVATE, 1, 1, &e, FUTEX_OP(FUTEX_OP_SET, 0, FUTEX_OP_CMP_GE, 0xfff)));
    printf("e: %u\n", e);
    finish(w, 3, "wake_op");

timeouts:
    /* timeouts on their clocks */
    struct timespec rel = {0, 50000000}, abs;
    double t0 = now(CLOCK_MONOTONIC);
    show("wait 50 ms", fx(&f, FUTEX_WAIT_PRIVATE, 0, (long)&rel, NULL, 0));
    printf("waited at least 50 ms: %s\n", now(CLOCK_MONOTONIC) - t0 >= 0.05 ? "yes" : "no");
    clock_gettime(CLOCK_REALTIME, &abs);
    abs.tv_nsec += 50000000;
    if (abs.tv_nsec >= 1000000000) {
        abs.tv_sec++;
        abs.tv_nsec -= 1000000000;
    }
    show("wait_bitset until realtime + 50 ms", fx(&f, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, (long)&abs,
                                                  NULL, FUTEX_BITSET_MATCH_ANY));
    printf("realtime deadline passed: %s\n", now(CLOCK_REALTIME) >= abs.tv_sec + abs.tv_nsec / 1e9 ? "yes" : "no");
    struct timespec past = {1, 0};
    show("wait_bitset until monotonic 1 s", fx(&f, FUTEX_WAIT_BITSET_PRIVATE, 0, (long)&past, NULL,
                                               FUTEX_BITSET_MATCH_ANY));

    /* a signal during a wait: EINTR without SA_RESTART; with it the wait goes on */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR2, &sa, NULL);
    w[0].addr = &f;
    w[0].op = FUTEX_WAIT_PRIVATE;
    w[0].val = 0;
    w[0].bitset = 0;
    pthread_create(&w[0].th, NULL, waiting, &w[0]);
    wait_queued(&f, 1);
    pthread_kill(w[0].th, SIGUSR1);
    pthread_join(w[0].th, NULL);
    printf("signal without SA_RESTART: %ld %s, handled %d\n", w[0].result, w[0].result ? strerrorname_np(w[0].err) : "",
           (int)handled);
    pthread_create(&w[0].th, NULL, waiting, &w[0]);
    wait_queued(&f, 1);
    pthread_kill(w[0].th, SIGUSR2);
    while (handled < 2)
        usleep(500);
    wait_queued(&f, 1);
    show("wake after the restart", fx(&f, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0));
    pthread_join(w[0].th, NULL);
    printf("signal with SA_RESTART: %ld, handled %d\n", w[0].result, (int)handled);
    return 0;
}
