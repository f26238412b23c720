/* The stat family's cases, each way pyqemu may take them (the fast way of
 * usermode/syscalls/handlers/statfast.py and the generic one): stat, lstat,
 * fstatat with a dirfd, flags and AT_EMPTY_PATH, statx, bad pointers, and a path
 * that runs into the pages past a mapped file's end (with "past-eof": qemu-user 7.2
 * dies there of an assertion).  stat_ways DIR [past-eof] */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *what, int ret, const struct stat *st)
{
    if (ret)
        printf("%s: -1 %s\n", what, strerrorname_np(errno));
    else
        printf("%s: type %o perm %o size %lld nlink %ld\n", what, st->st_mode & S_IFMT, st->st_mode & 07777,
               (long long)st->st_size, (long)st->st_nlink);
}

static void showx(const char *what, int ret, const struct statx *stx)
{
    if (ret)
        printf("%s: -1 %s\n", what, strerrorname_np(errno));
    else
        printf("%s: type %o size %lld basic %d\n", what, stx->stx_mode & S_IFMT, (long long)stx->stx_size,
               (stx->stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
}

int main(int argc, char **argv)
{
    static char file[4096], link[4096];
    struct stat st;
    struct statx stx;
    if (argc < 2 || chdir(argv[1])) {
        perror("chdir");
        return 1;
    }
    int fd = open("f", O_CREAT | O_TRUNC | O_WRONLY, 0640);
    memset(file, 'a', sizeof file);
    if (fd < 0 || write(fd, file, sizeof file) != sizeof file) {
        perror("f");
        return 1;
    }
    close(fd);
    unlink("l");
    if (symlink("f", "l")) {
        perror("symlink");
        return 1;
    }
    snprintf(file, sizeof file, "%s/f", argv[1]);
    snprintf(link, sizeof link, "%s/l", argv[1]);
    show("stat file", stat(file, &st), &st);
    show("stat link", stat(link, &st), &st);
    show("lstat link", lstat(link, &st), &st);
    show("stat relative", stat("f", &st), &st);
    show("stat missing", stat("/no/such/file", &st), &st);
    show("stat empty", stat("", &st), &st);
    show("stat NULL", stat(NULL, &st), &st);
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    show("fstatat dirfd", fstatat(dir, "f", &st, 0), &st);
    show("fstatat nofollow", fstatat(dir, "l", &st, AT_SYMLINK_NOFOLLOW), &st);
    show("fstatat empty", fstatat(dir, "", &st, AT_EMPTY_PATH), &st);
    show("fstatat empty without the flag", fstatat(dir, "", &st, 0), &st);
    show("fstatat unknown flag", fstatat(AT_FDCWD, file, &st, 0x40000000), &st);
    show("fstatat bad dirfd", fstatat(12345, "f", &st, 0), &st);
    show("fstatat bad dirfd, absolute", fstatat(12345, file, &st, 0), &st);
    show("fstat", fstat(dir, &st), &st);
    showx("statx file", statx(AT_FDCWD, file, 0, STATX_BASIC_STATS, &stx), &stx);
    showx("statx link", statx(AT_FDCWD, link, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx), &stx);
    showx("statx dirfd", statx(dir, "f", 0, STATX_BASIC_STATS, &stx), &stx);
    showx("statx empty", statx(dir, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx), &stx);
    showx("statx bad buffer", statx(AT_FDCWD, file, 0, STATX_BASIC_STATS, (struct statx *)16), &stx);
    if (argc < 3 || strcmp(argv[2], "past-eof"))
        return 0;
    /* a path whose last bytes are a file's last, with no NUL: the next page is past
     * the file's end, where the kernel's copy faults (EFAULT) */
    fd = open("f", O_RDONLY);
    char *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    show("stat past the file's end", stat(map + 4096 - 8, &st), &st);
    /* statx: the kernel writes the caller's buffer on every ABI (glibc's stat copies) */
    showx("statx into the pages past the file's end",
          statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, (struct statx *)(map + 4096)), &stx);
    struct statx *end = (struct statx *)(map + 4096 - sizeof stx);
    showx("statx before the file's end", statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, end), end);
    return 0;
}
