/* time() is the kernel's timekeeper seconds (ktime_get_real_seconds), the seconds of
 * CLOCK_REALTIME_COARSE, never CLOCK_REALTIME's, which turn up to a tick earlier: a
 * program comparing time() with a kernel's timestamp (sem_ctime, st_mtime...) relies
 * on it. Calls the time syscall for 1.2 s, across a second's turn, and counts the
 * times it ran ahead of the coarse clock read just after it. */
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
#ifdef SYS_time
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    long calls = 0, ahead = 0;
    do {
        long t = syscall(SYS_time, 0);
        struct timespec coarse;
        clock_gettime(CLOCK_REALTIME_COARSE, &coarse);
        ahead += t > coarse.tv_sec;
        calls++;
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000000000L + now.tv_nsec - start.tv_nsec < 1200000000L);
    printf("time() ahead of the coarse clock: %ld times in %s calls\n", ahead, calls > 1000 ? "many" : "few");
#else
    printf("no time syscall\n");
#endif
    return 0;
}
