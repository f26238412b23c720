/* Sizes a program passes that are far larger than what the kernel fills: the answer
   is the kernel's (it copies what it has), and the emulator allocates nothing of that
   size. Raw syscalls, so the kernel's own return values show. Compared with a native run. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static void say(const char *what, long ret) {
    if (ret < 0)
        printf("%s: %s\n", what, strerrorname_np(errno));
    else
        printf("%s: %s\n", what, ret > 0 ? "positive" : "0");
}

int main(void) {
    static unsigned long mask[1024];
    long n = syscall(SYS_sched_getaffinity, 0, 1024 * sizeof(long), mask);
    long size = n;
    say("sched_getaffinity 8 KiB", n);
    say("sched_getaffinity 4 GiB - 8", syscall(SYS_sched_getaffinity, 0, 0xFFFFFFF8UL, mask));
    printf("same size: %d\n", syscall(SYS_sched_getaffinity, 0, 0xFFFFFFF8UL, mask) == size);
    /* an unsigned int: the high half of the word is not the kernel's */
    printf("size 4 GiB + 8 is 8: %d\n", syscall(SYS_sched_getaffinity, 0, 0x100000008UL, mask) == 8 || size > 8);
    say("sched_getaffinity 12 (not a multiple of long)", syscall(SYS_sched_getaffinity, 0, 12, mask));
    say("sched_getaffinity 0", syscall(SYS_sched_getaffinity, 0, 0, mask));
    say("sched_getaffinity 4 GiB - 8 at NULL", syscall(SYS_sched_getaffinity, 0, 0xFFFFFFF8UL, NULL));
    say("sched_setaffinity 4 GiB - 8", syscall(SYS_sched_setaffinity, 0, 0xFFFFFFF8UL, mask));
    say("getgroups INT_MAX", syscall(SYS_getgroups, 0x7FFFFFFF, (unsigned *)mask));
    say("setgroups INT_MAX", syscall(SYS_setgroups, 0x7FFFFFFF, (unsigned *)mask));

    /* epoll_wait into a huge (mapped, untouched) array: one ready descriptor comes back */
    size_t big = 1UL << 30;
    struct epoll_event *events = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                                      -1, 0);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = 7};
    int p[2];
    pipe(p);
    epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev);
    n = epoll_wait(ep, events, big / sizeof *events, 1000);
    printf("epoll_wait into 1 GiB: %ld event(s), data %lu\n", n, n > 0 ? (unsigned long)events[0].data.u64 : 0UL);
    return 0;
}
