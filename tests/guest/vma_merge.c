/* Neighbouring mappings the kernel merges into one (vma_merge) are one line of
 * /proc/self/maps, and split again when their middle is unmapped or reprotected:
 * the heap grown a page at a time, anonymous mappings placed side by side.
 * Mappings the kernel keeps apart (another protection, shared, a file) stay apart.
 * argv[1] is a scratch directory. Every line printed is checked by the test. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096
#define CHECK(cond, what) printf("%s: %s\n", what, (cond) ? "ok" : "FAILED")

/* How many lines of /proc/self/maps overlap [lo, hi); the name of the first in name. */
static int lines_over(void *lo, void *hi, char *name, size_t size)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int count = 0;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long start, end;
        int at = 0;
        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &start, &end, &at) < 2)
            continue;
        if (end <= (unsigned long)lo || start >= (unsigned long)hi)
            continue;
        if (!count && name) {
            snprintf(name, size, "%s", at ? line + at : "");
            name[strcspn(name, "\n")] = 0;
        }
        count++;
    }
    fclose(f);
    return count;
}

int main(int argc, char **argv)
{
    char name[256];

    /* the heap, grown a page at a time: one [heap] line, as brk extends its mapping */
    char *b0 = sbrk(0);
    int touched = 1;
    for (int i = 0; i < 300; i++) {
        char *p = sbrk(PAGE);
        if (p == (void *)-1)
            return 1;
        p[0] = (char)i;
    }
    char *b1 = sbrk(0);
    for (int i = 0; i < 300; i++)
        touched &= b0[i * PAGE] == (char)i;
    CHECK(lines_over(b0, b1, name, sizeof name) == 1 && !strcmp(name, "[heap]"), "the grown heap is one line");
    CHECK(touched, "and keeps every page");
    sbrk(-100 * PAGE);
    CHECK(lines_over(b0, b1, NULL, 0) == 1 && lines_over(b1 - 100 * PAGE, b1, NULL, 0) == 0,
          "brk shrinks it in place");

    /* anonymous pages mapped one by one next to each other: one line */
    char *a = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(a, 8 * PAGE);  /* the upper half stays free for the growth below */
    for (int i = 3; i >= 0; i--) {
        char *p = mmap(a + i * PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (p != a + i * PAGE)
            return 2;
        p[1] = (char)(10 + i);
    }
    CHECK(lines_over(a, a + 4 * PAGE, NULL, 0) == 1, "adjacent anonymous mappings are one line");
    munmap(a + PAGE, PAGE);
    CHECK(lines_over(a, a + 4 * PAGE, NULL, 0) == 2, "munmap of the middle splits it");
    mmap(a + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(lines_over(a, a + 4 * PAGE, NULL, 0) == 1 && a[1] == 10 && a[PAGE + 1] == 0 && a[3 * PAGE + 1] == 13,
          "mapping the hole again joins them");
    mprotect(a + PAGE, 2 * PAGE, PROT_READ);
    CHECK(lines_over(a, a + 4 * PAGE, NULL, 0) == 3, "mprotect of the middle splits it in three");
    mprotect(a + PAGE, 2 * PAGE, PROT_READ | PROT_WRITE);
    a[2 * PAGE + 2] = 7;
    CHECK(lines_over(a, a + 4 * PAGE, NULL, 0) == 1 && a[2 * PAGE + 1] == 12, "mprotect back joins them");

    /* a mapping grown in place by mremap stays one line, and moves whole */
    char *g = mremap(a, 4 * PAGE, 6 * PAGE, 0);
    CHECK(g == a && lines_over(a, a + 6 * PAGE, NULL, 0) == 1, "mremap grown in place is one line");
    char *dest = mmap(NULL, 8 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *m = mremap(a, 6 * PAGE, 8 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dest);
    CHECK(m == dest && m[1] == 10 && m[2 * PAGE + 2] == 7 && m[3 * PAGE + 1] == 13 &&
          lines_over(m, m + 8 * PAGE, NULL, 0) == 1, "and moves whole");
    munmap(m, 8 * PAGE);

    /* what the kernel keeps apart */
    char *k = mmap(NULL, 7 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mmap(k + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    mmap(k + 2 * PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    char path[4096];
    snprintf(path, sizeof path, "%s/merge-file", argc > 1 ? argv[1] : "/tmp");
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, PAGE))
        return 3;
    mmap(k + 3 * PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0);
    CHECK(lines_over(k, k + 4 * PAGE, NULL, 0) == 4, "another protection, shared, a file: four lines");
    mmap(k + 4 * PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
    mmap(k + 5 * PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, -1, 0);
    mmap(k + 6 * PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(lines_over(k + 3 * PAGE, k + 7 * PAGE, NULL, 0) == 4, "MAP_NORESERVE, MAP_GROWSDOWN: lines of their own");
    close(fd);
    unlink(path);
    return 0;
}
