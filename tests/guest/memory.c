/* brk, mmap (anonymous, private and shared files, hints, MAP_FIXED,
 * MAP_FIXED_NOREPLACE), partial munmap/mprotect, mremap, madvise, msync.
 * argv[1] is a scratch directory. Every line printed is checked by the test. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PAGE 4096
#define CHECK(cond, what) printf("%s: %s\n", what, (cond) ? "ok" : "FAILED")

int main(int argc, char **argv)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/mapped", argc > 1 ? argv[1] : "/tmp");

    /* brk, before anything (printf's buffer) mallocs above it */
    char *b0 = sbrk(0);
    char *b1 = sbrk(1 << 20);
    memset(b1, 0x5a, 1 << 20);
    int grew = b1 == b0 && sbrk(0) == b0 + (1 << 20) && b1[(1 << 20) - 1] == 0x5a;
    sbrk(-(1 << 19));
    int shrank = sbrk(0) == b0 + (1 << 19);
    sbrk(-(1 << 19));
    CHECK(grew, "brk grows");
    CHECK(shrank, "brk shrinks");

    /* anonymous mapping: zeroed, writable */
    unsigned char *a = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int zero = 1;
    for (int i = 0; i < 16 * PAGE; i++)
        zero &= a[i] == 0;
    CHECK(a != MAP_FAILED && zero, "anonymous mmap is zeroed");
    memset(a, 1, 16 * PAGE);

    /* partial munmap and mprotect */
    CHECK(munmap(a + 4 * PAGE, 2 * PAGE) == 0, "munmap of the middle");
    CHECK(a[3 * PAGE] == 1 && a[6 * PAGE] == 1, "both sides survive");
    CHECK(mprotect(a + 8 * PAGE, PAGE, PROT_READ) == 0 && a[8 * PAGE] == 1, "mprotect part read-only");
    CHECK(mprotect(a + 8 * PAGE, PAGE, PROT_READ | PROT_WRITE) == 0, "mprotect back");
    a[8 * PAGE] = 2;
    CHECK(mprotect(a + 4 * PAGE, PAGE, PROT_READ) == -1 && errno == ENOMEM, "mprotect of a hole is ENOMEM");

    /* hints, MAP_FIXED, MAP_FIXED_NOREPLACE */
    unsigned char *hole = a + 4 * PAGE;
    unsigned char *h = mmap(hole, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(h == hole, "a free hint is honoured");
    unsigned char *n = mmap(a, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(n == MAP_FAILED && errno == EEXIST, "MAP_FIXED_NOREPLACE on a mapping is EEXIST");
    unsigned char *f = mmap(a, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(f == a && a[0] == 0 && a[PAGE] == 1, "MAP_FIXED replaces exactly its pages");

    /* madvise(MADV_DONTNEED) zeroes private anonymous memory */
    memset(a + 10 * PAGE, 7, 2 * PAGE);
    CHECK(madvise(a + 10 * PAGE, 2 * PAGE, MADV_DONTNEED) == 0 && a[10 * PAGE] == 0 && a[12 * PAGE - 1] == 0,
          "MADV_DONTNEED zeroes");

    /* mremap: grow (moving), contents kept; shrink */
    /* three pages of our own, the third made a blocker: a MAP_FIXED after a two-page
     * mapping would replace whatever lies there (mipsel: ld.so's first allocation) */
    unsigned char *r = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(r, 9, 2 * PAGE);
    mmap(r + 2 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);  /* block growth in place */
    unsigned char *r2 = mremap(r, 2 * PAGE, 64 * PAGE, MREMAP_MAYMOVE);
    CHECK(r2 != MAP_FAILED && r2 != r && r2[0] == 9 && r2[2 * PAGE - 1] == 9 && r2[63 * PAGE] == 0, "mremap moves, keeps contents");
    r2[63 * PAGE] = 3;
    CHECK(mremap(r2, 64 * PAGE, PAGE, 0) == r2 && r2[0] == 9, "mremap shrinks in place");
    CHECK(mremap(r2, PAGE, 128 * PAGE, 0) == MAP_FAILED || 1, "mremap without MAYMOVE may fail");

    /* moved, grown in place twice, moved again: the host keeps the moved pages and
     * each growth as separate mappings (their page offsets do not follow on) */
    unsigned char *g = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *room = mmap(NULL, 8 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(room, 8 * PAGE);
    g[0] = 1;
    g = mremap(g, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, room);
    CHECK(g == room && g[0] == 1, "mremap to a fixed address");
    CHECK(mremap(g, PAGE, 2 * PAGE, 0) == g, "mremap grows in place");
    g[PAGE] = 2;
    CHECK(mremap(g, 2 * PAGE, 3 * PAGE, 0) == g, "mremap grows in place again");
    g[2 * PAGE] = 3;
    mmap(g + 3 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);  /* block growth in place */
    unsigned char *g2 = mremap(g, 3 * PAGE, 16 * PAGE, MREMAP_MAYMOVE);
    CHECK(g2 != MAP_FAILED && g2 != g && g2[0] == 1 && g2[PAGE] == 2 && g2[2 * PAGE] == 3 && g2[15 * PAGE] == 0,
          "a region grown in place moves whole");

    /* file, MAP_PRIVATE: writes stay private */
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    char buf[3 * PAGE];
    memset(buf, 'f', sizeof buf);
    write(fd, buf, sizeof buf);
    char *p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    p[0] = 'P';
    char c;
    pread(fd, &c, 1, 0);
    CHECK(p != MAP_FAILED && p[PAGE] == 'f' && c == 'f', "MAP_PRIVATE file: copy on write");
    char *off = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
    CHECK(off != MAP_FAILED && off[0] == 'f', "file mapping at an offset");

    /* file, MAP_SHARED: writes reach the file and other mappings */
    char *s1 = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *s2 = mmap(NULL, 3 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
    memcpy(s1 + PAGE + 10, "shared!", 7);
    CHECK(msync(s1, 3 * PAGE, MS_SYNC) == 0, "msync");
    char back[8] = {0};
    pread(fd, back, 7, PAGE + 10);
    CHECK(strcmp(back, "shared!") == 0, "MAP_SHARED write reaches the file");
    CHECK(memcmp(s2 + PAGE + 10, "shared!", 7) == 0, "and the other shared mapping");
    pwrite(fd, "W", 1, 2 * PAGE);
    CHECK(s1[2 * PAGE] == 'W', "file writes show in the mapping");
    CHECK(p[2 * PAGE] == 'W' || p[2 * PAGE] == 'f', "private mapping of untouched page");

    /* shared anonymous */
    int *sa = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    sa[0] = 1234;
    CHECK(sa != MAP_FAILED && sa[0] == 1234, "shared anonymous mapping");

    /* errors */
    CHECK(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL, "length 0 is EINVAL");
    CHECK(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 12345, 0) == MAP_FAILED && errno == EBADF, "bad fd is EBADF");
    CHECK(munmap(a + 1, PAGE) == -1 && errno == EINVAL, "unaligned munmap is EINVAL");
    CHECK(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 1) == MAP_FAILED && errno == EINVAL, "unaligned offset is EINVAL");
    void *volatile bad = (void *)16;
    CHECK(write(1, bad, 10) == -1 && errno == EFAULT, "bad pointer is EFAULT");

    close(fd);
    unlink(path);
    return 0;
}
