/* Files, directories and descriptors, run in the empty directory argv[1].
 * Every line is deterministic: no inode numbers, times or paths. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* the F_GETFL bits glibc names (the kernel also reports O_LARGEFILE on 64-bit, which
 * glibc calls 0 and qemu-user drops): printed as C sees them */
#define KNOWN_FL (O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECTORY | O_NOFOLLOW | O_DIRECT | O_SYNC | \
                  O_DSYNC | O_ASYNC | O_NOATIME | O_PATH | O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY)

static const char *en(int e) { return e ? strerrorname_np(e) : "0"; }

/* r: a syscall-style result; prints "label: value" or "label: -1 ENAME" */
#define SHOW(label, expr) do { errno = 0; long r_ = (long)(expr); \
    if (r_ < 0) printf("%s: -1 %s\n", label, en(errno)); else printf("%s: %ld\n", label, r_); } while (0)

static void write_file(const char *name, const char *text) {
    int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) { perror(name); exit(2); }
    close(fd);
}

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

static void basic_io(void) {
    char buf[64] = {0};
    int fd = open("f1", O_RDWR | O_CREAT | O_EXCL, 0600);
    SHOW("open excl", fd >= 0);
    SHOW("open excl again", open("f1", O_RDWR | O_CREAT | O_EXCL, 0600));
    SHOW("write", write(fd, "hello, world\n", 13));
    SHOW("lseek end", lseek(fd, 0, SEEK_END));
    SHOW("lseek set", lseek(fd, 7, SEEK_SET));
    SHOW("read", read(fd, buf, sizeof buf - 1));
    printf("read data: %s", buf);
    SHOW("pwrite", pwrite(fd, "W", 1, 7));
    memset(buf, 0, sizeof buf);
    SHOW("pread", pread(fd, buf, 5, 7));
    printf("pread data: %s\n", buf);
    struct stat st;
    SHOW("fstat", fstat(fd, &st));
    printf("size %lld mode %o reg %d\n", (long long)st.st_size, st.st_mode & 07777, S_ISREG(st.st_mode));
    SHOW("open missing", open("nope/x", O_RDONLY));
    SHOW("open through file", open("f1/x", O_RDONLY));
    close(fd);
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    SHOW("openat dirfd", (fd = openat(dfd, "f1", O_RDONLY)) >= 0);
    memset(buf, 0, sizeof buf);
    SHOW("read via dirfd", read(fd, buf, 5));
    printf("data: %s\n", buf);
    close(fd);
    close(dfd);
}

static void open_flags(void) {
    write_file("target", "target\n");
    symlink("target", "link");
    SHOW("O_NOFOLLOW on symlink", open("link", O_RDONLY | O_NOFOLLOW));
    SHOW("O_DIRECTORY on file", open("target", O_RDONLY | O_DIRECTORY));
    SHOW("O_DIRECTORY on symlink->file", open("link", O_RDONLY | O_DIRECTORY));
    int fd = open("link", O_RDONLY);
    SHOW("follow symlink", fd >= 0);
    close(fd);
    /* the kernel's O_LARGEFILE (glibc's is 0 on 64-bit) is another bit on aarch64, and the
     * x86-64 host's value of that bit is O_NOFOLLOW: a raw openat must still follow the link */
    const int kernel_o_largefile = ARCH_KERNEL_O_LARGEFILE ? ARCH_KERNEL_O_LARGEFILE : 0100000;
    fd = syscall(SYS_openat, AT_FDCWD, "link", O_RDONLY | kernel_o_largefile);
    SHOW("raw openat O_LARGEFILE on symlink", fd >= 0);
    close(fd);
    mkdir("d", 0755);
    fd = open("d", O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    SHOW("O_DIRECTORY|O_NOFOLLOW on dir", fd >= 0);
    int fl = fcntl(fd, F_GETFL);
    printf("dir F_GETFL: %#x directory %d nofollow %d\n", fl & KNOWN_FL, !!(fl & O_DIRECTORY), !!(fl & O_NOFOLLOW));
    close(fd);
    fd = open("target", O_WRONLY | O_APPEND | O_NONBLOCK);
    fl = fcntl(fd, F_GETFL);
    printf("file F_GETFL: %#x append %d nonblock %d accmode %d\n", fl & KNOWN_FL, !!(fl & O_APPEND),
           !!(fl & O_NONBLOCK), fl & O_ACCMODE);
    SHOW("F_SETFL", fcntl(fd, F_SETFL, O_NONBLOCK));
    fl = fcntl(fd, F_GETFL);
    printf("after F_SETFL: %#x append %d nonblock %d\n", fl & KNOWN_FL, !!(fl & O_APPEND), !!(fl & O_NONBLOCK));
    close(fd);
    fd = open("target", O_RDONLY | O_PATH | O_NOFOLLOW);
    SHOW("O_PATH fd", fd >= 0);
    char c;
    SHOW("read O_PATH", read(fd, &c, 1));
    close(fd);
    fd = open(".", O_RDWR | O_TMPFILE, 0600);
    SHOW("O_TMPFILE", fd >= 0);
    if (fd >= 0) {
        struct stat st;
        fstat(fd, &st);
        printf("tmpfile nlink %d reg %d\n", (int)st.st_nlink, S_ISREG(st.st_mode));
        close(fd);
    }
}

static void directories(void) {
    SHOW("mkdir", mkdir("dir", 0750));
    SHOW("mkdir again", mkdir("dir", 0750));
    for (int i = 0; i < 300; i++) {
        char name[64];
        snprintf(name, sizeof name, "dir/file-%03d-with-a-longish-name", i);
        write_file(name, "x");
    }
    mkdir("dir/sub", 0700);
    symlink("file-000-with-a-longish-name", "dir/lnk");
    DIR *d = opendir("dir");
    SHOW("opendir", d != NULL);
    char *names[400];
    int n = 0, regs = 0, dirs = 0, lnks = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_type == DT_REG) regs++;
        if (e->d_type == DT_DIR) dirs++;
        if (e->d_type == DT_LNK) lnks++;
        if (n < 400) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    /* telldir/seekdir: back to a position read before, the same entry follows */
    d = opendir("dir");
    for (int i = 0; i < 100; i++)
        readdir(d);
    long told = telldir(d);
    char after[300];
    e = readdir(d);
    snprintf(after, sizeof after, "%s", e ? e->d_name : "(none)");
    for (int i = 0; i < 50; i++)
        readdir(d);
    seekdir(d, told);
    e = readdir(d);
    printf("seekdir back to telldir: %d\n", e != NULL && strcmp(e->d_name, after) == 0);
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    printf("entries %d regular %d dirs %d links %d\n", n, regs, dirs, lnks);
    if (n >= 5)  /* else readdir failed (qemu-user on 32-bit guests: see test_files.py) */
        printf("first %s %s %s last %s %s\n", names[0], names[1], names[2], names[n - 2], names[n - 1]);
    SHOW("rmdir non-empty", rmdir("dir"));
    SHOW("unlinkat dir without AT_REMOVEDIR", unlinkat(AT_FDCWD, "dir/sub", 0));
    SHOW("unlinkat AT_REMOVEDIR", unlinkat(AT_FDCWD, "dir/sub", AT_REMOVEDIR));
    SHOW("unlink file", unlink("dir/file-000-with-a-longish-name"));
    SHOW("unlink again", unlink("dir/file-000-with-a-longish-name"));
    SHOW("mkdirat", mkdirat(AT_FDCWD, "dir/new", 0700));
    struct stat st;
    stat("dir/new", &st);
    printf("mkdirat mode %o dir %d\n", st.st_mode & 07777, S_ISDIR(st.st_mode));
    /* a raw getdents64 with a tiny buffer: EINVAL */
    int fd = open("dir", O_RDONLY | O_DIRECTORY);
    char small[8];
    SHOW("getdents64 tiny buffer", syscall(SYS_getdents64, fd, small, sizeof small));
    char big[4096];
    long got = syscall(SYS_getdents64, fd, big, sizeof big);
    SHOW("getdents64 positive", got > 0);
    long pos = 0, recs = 0, aligned = 1;
    while (pos < got) {
        unsigned short reclen = *(unsigned short *)(big + pos + 16);
        if (reclen % 8) aligned = 0;
        pos += reclen;
        recs++;
    }
    printf("getdents64 records fit %d aligned %ld\n", pos == got && recs > 0, aligned);
    SHOW("getdents64 on a file", syscall(SYS_getdents64, open("target", O_RDONLY), big, sizeof big));
    close(fd);
}

static void links(void) {
    write_file("a", "AAA\n");
    write_file("b", "BB\n");
    SHOW("rename", rename("a", "a2"));
    SHOW("rename missing", rename("a", "a3"));
    SHOW("renameat2 noreplace", renameat2(AT_FDCWD, "a2", AT_FDCWD, "b", RENAME_NOREPLACE));
    SHOW("renameat2 exchange", renameat2(AT_FDCWD, "a2", AT_FDCWD, "b", RENAME_EXCHANGE));
    struct stat st;
    stat("b", &st);
    printf("b size after exchange %lld\n", (long long)st.st_size);
    SHOW("link", link("b", "b-link"));
    stat("b", &st);
    printf("nlink %d\n", (int)st.st_nlink);
    SHOW("link exists", link("b", "b-link"));
    SHOW("linkat", linkat(AT_FDCWD, "b", AT_FDCWD, "b-link2", 0));
    SHOW("symlink", symlink("some/where/else", "sl"));
    SHOW("symlink exists", symlink("x", "sl"));
    char buf[64] = {0};
    SHOW("readlink", readlink("sl", buf, sizeof buf));
    printf("readlink -> %s\n", buf);
    memset(buf, 0, sizeof buf);
    SHOW("readlink short", readlink("sl", buf, 4));
    printf("readlink short -> %s\n", buf);
    SHOW("readlink not a link", readlink("b", buf, sizeof buf));
    SHOW("readlinkat", readlinkat(AT_FDCWD, "sl", buf, sizeof buf));
    SHOW("lstat", lstat("sl", &st));
    printf("lstat link %d size %lld\n", S_ISLNK(st.st_mode), (long long)st.st_size);
    SHOW("stat dangling", stat("sl", &st));
    SHOW("fstatat nofollow", fstatat(AT_FDCWD, "sl", &st, AT_SYMLINK_NOFOLLOW));
    char exe[PATH_MAX];
    SHOW("readlink /proc/self/exe ok", readlink("/proc/self/exe", exe, sizeof exe) > 0);
}

static void modes_and_times(void) {
    write_file("m", "mode\n");
    struct stat st;
    SHOW("chmod", chmod("m", 0604));
    stat("m", &st);
    printf("mode %o\n", st.st_mode & 07777);
    int fd = open("m", O_RDONLY);
    SHOW("fchmod", fchmod(fd, 0640));
    fstat(fd, &st);
    printf("mode %o\n", st.st_mode & 07777);
    SHOW("fchmodat", fchmodat(AT_FDCWD, "m", 0711, 0));
    stat("m", &st);
    printf("mode %o\n", st.st_mode & 07777);
    SHOW("chmod missing", chmod("missing", 0600));
    SHOW("fchown same", fchown(fd, st.st_uid, st.st_gid));
    SHOW("fchownat same", fchownat(AT_FDCWD, "m", -1, -1, 0));
    SHOW("lchown same", lchown("m", st.st_uid, -1));
    struct timespec ts[2] = {{1000000000, 123456789}, {1234567890, 987654321}};
    SHOW("utimensat", utimensat(AT_FDCWD, "m", ts, 0));
    stat("m", &st);
    printf("atime %lld.%09ld mtime %lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    struct timespec omit[2] = {{0, UTIME_OMIT}, {42, 7}};
    SHOW("utimensat omit", utimensat(AT_FDCWD, "m", omit, 0));
    stat("m", &st);
    printf("atime %lld.%09ld mtime %lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
    SHOW("utimensat now", utimensat(AT_FDCWD, "m", now, 0));
    stat("m", &st);
    printf("atime recent %d mtime %lld\n", st.st_atim.tv_sec > 1600000000, (long long)st.st_mtim.tv_sec);
    SHOW("futimens NULL", futimens(fd, NULL));
    fstat(fd, &st);
    printf("mtime recent %d\n", st.st_mtim.tv_sec > 1600000000);
    struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
    SHOW("utimensat bad nsec", utimensat(AT_FDCWD, "m", bad, 0));
    symlink("m", "m-link");
    SHOW("utimensat nofollow", utimensat(AT_FDCWD, "m-link", ts, AT_SYMLINK_NOFOLLOW));
    lstat("m-link", &st);
    printf("link mtime %lld\n", (long long)st.st_mtim.tv_sec);
    struct timeval tv[2] = {{5, 0}, {6, 0}};
    SHOW("utimes", utimes("m", tv));
    stat("m", &st);
    printf("mtime %lld\n", (long long)st.st_mtim.tv_sec);
    close(fd);
    mode_t old = umask(027);
    printf("umask old %o\n", old);
    write_file("u", "");
    stat("u", &st);
    printf("created with umask 027: %o\n", st.st_mode & 07777);
    printf("umask now %o\n", umask(old));
}

static void sizes(void) {
    write_file("t", "0123456789");
    struct stat st;
    SHOW("truncate", truncate("t", 4));
    stat("t", &st);
    printf("size %lld\n", (long long)st.st_size);
    int fd = open("t", O_RDWR);
    SHOW("ftruncate", ftruncate(fd, 100));
    fstat(fd, &st);
    printf("size %lld\n", (long long)st.st_size);
    SHOW("ftruncate negative", ftruncate(fd, -1));
    SHOW("fallocate", fallocate(fd, 0, 0, 8192));
    fstat(fd, &st);
    printf("size %lld\n", (long long)st.st_size);
    SHOW("fallocate keep size", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 65536));
    fstat(fd, &st);
    printf("size %lld\n", (long long)st.st_size);
    SHOW("posix_fallocate", posix_fallocate(fd, 0, 10000));
    fstat(fd, &st);
    printf("size %lld\n", (long long)st.st_size);
    SHOW("fsync", fsync(fd));
    SHOW("fdatasync", fdatasync(fd));
    SHOW("syncfs", syncfs(fd));
    sync();
    SHOW("posix_fadvise", posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL));
    SHOW("posix_fadvise dontneed", posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
    SHOW("posix_fadvise bad", posix_fadvise(fd, 0, 0, 99));
    close(fd);
    SHOW("fsync closed", fsync(fd));
    SHOW("truncate dir", truncate(".", 0));
}

static void fcntl_and_dup(void) {
    write_file("c", "cloexec\n");
    int fd = open("c", O_RDONLY);
    SHOW("F_GETFD", fcntl(fd, F_GETFD));
    SHOW("F_SETFD", fcntl(fd, F_SETFD, FD_CLOEXEC));
    SHOW("F_GETFD", fcntl(fd, F_GETFD));
    int fd2 = open("c", O_RDONLY | O_CLOEXEC);
    SHOW("O_CLOEXEC F_GETFD", fcntl(fd2, F_GETFD));
    SHOW("F_DUPFD >= 50", fcntl(fd, F_DUPFD, 50));
    SHOW("F_GETFD of dup", fcntl(50, F_GETFD));
    SHOW("F_DUPFD_CLOEXEC >= 60", fcntl(fd, F_DUPFD_CLOEXEC, 60));
    SHOW("F_GETFD of cloexec dup", fcntl(60, F_GETFD));
    int d = dup(fd);
    SHOW("dup not cloexec", fcntl(d, F_GETFD));
    SHOW("dup3 cloexec", dup3(fd, 70, O_CLOEXEC));
    SHOW("F_GETFD 70", fcntl(70, F_GETFD));
    SHOW("dup3 plain", dup3(fd, 71, 0));
    SHOW("F_GETFD 71", fcntl(71, F_GETFD));
    SHOW("dup3 same fd", dup3(fd, fd, 0));
    SHOW("dup3 bad flags", dup3(fd, 72, O_APPEND));
    SHOW("dup2", dup2(fd, 73));
    SHOW("dup2 same", dup2(73, 73));
    SHOW("dup bad", dup(999));
    SHOW("fcntl bad cmd", fcntl(fd, 9999));
    struct f_owner_ex own = {.type = F_OWNER_PID, .pid = getpid()}, got = {0, 0};
    SHOW("F_SETOWN_EX", fcntl(fd, F_SETOWN_EX, &own));
    SHOW("F_GETOWN_EX", fcntl(fd, F_GETOWN_EX, &got));
    printf("owner type pid %d is us %d\n", got.type == F_OWNER_PID, got.pid == getpid());
    SHOW("F_GETOWN", fcntl(fd, F_GETOWN) == getpid());
    SHOW("F_GETOWN_EX bad pointer", fcntl(fd, F_GETOWN_EX, (void *)8));
    SHOW("fcntl bad fd", fcntl(999, F_GETFD));
    /* a file opened before is still open and open files never got CLOEXEC by accident */
    int plain = open("c", O_RDONLY);
    SHOW("plain open F_GETFD", fcntl(plain, F_GETFD));
    SHOW("close_range", close_range(50, 73, 0));
    SHOW("closed by close_range", fcntl(60, F_GETFD));
    SHOW("close_range cloexec", close_range(plain, plain, CLOSE_RANGE_CLOEXEC));
    SHOW("F_GETFD after cloexec range", fcntl(plain, F_GETFD));
    SHOW("close_range bad", close_range(10, 5, 0));
    SHOW("close bad", close(999));
    close(fd);
    close(fd2);
    close(d);
    close(plain);
}

static void locks(void) {
    write_file("lk", "0123456789");
    int a = open("lk", O_RDWR), b = open("lk", O_RDWR);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 2, .l_len = 5};
    SHOW("F_SETLK", fcntl(a, F_SETLK, &fl));
    struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    SHOW("F_GETLK own process", fcntl(b, F_GETLK, &q));
    printf("getlk type unlck %d\n", q.l_type == F_UNLCK);
    struct flock pu = {.l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    SHOW("F_SETLK unlock", fcntl(a, F_SETLK, &pu));
    struct flock o = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 3, .l_len = 4};
    SHOW("F_OFD_SETLK", fcntl(a, F_OFD_SETLK, &o));
    struct flock oq = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    SHOW("F_OFD_GETLK", fcntl(b, F_OFD_GETLK, &oq));
    printf("ofd conflict type rd %d start %lld len %lld pid %d\n", oq.l_type == F_RDLCK,
           (long long)oq.l_start, (long long)oq.l_len, (int)oq.l_pid);
    struct flock ow = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    SHOW("F_OFD_SETLK conflict", fcntl(b, F_OFD_SETLK, &ow));
    struct flock un = {.l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    SHOW("F_OFD_SETLK unlock", fcntl(a, F_OFD_SETLK, &un));
    SHOW("F_OFD_SETLKW now free", fcntl(b, F_OFD_SETLKW, &ow));
    struct flock bad = {.l_type = 77, .l_whence = SEEK_SET};
    SHOW("F_SETLK bad type", fcntl(a, F_SETLK, &bad));
    SHOW("F_SETLK bad pointer", fcntl(a, F_SETLK, (struct flock *)8));
    close(a);
    close(b);
    a = open("lk", O_RDONLY);
    b = open("lk", O_RDONLY);
    SHOW("flock ex", flock(a, LOCK_EX));
    SHOW("flock other nb", flock(b, LOCK_EX | LOCK_NB));
    SHOW("flock sh nb", flock(b, LOCK_SH | LOCK_NB));
    SHOW("flock un", flock(a, LOCK_UN));
    SHOW("flock other now", flock(b, LOCK_EX | LOCK_NB));
    SHOW("flock bad op", flock(b, 0));
    close(a);
    close(b);
}

static void pipes_and_copies(void) {
    int p[2];
    SHOW("pipe2", pipe2(p, O_CLOEXEC | O_NONBLOCK));
    SHOW("pipe cloexec", fcntl(p[0], F_GETFD));
    printf("pipe nonblock %d\n", !!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
    char buf[64] = {0};
    SHOW("read empty nonblocking", read(p[0], buf, sizeof buf));
    SHOW("write pipe", write(p[1], "through the pipe", 16));
    int avail = -1;
    SHOW("FIONREAD", ioctl(p[0], FIONREAD, &avail));
    printf("available %d\n", avail);
    SHOW("read pipe", read(p[0], buf, sizeof buf));
    SHOW("F_GETPIPE_SZ", fcntl(p[0], F_GETPIPE_SZ));
    SHOW("F_SETPIPE_SZ", fcntl(p[0], F_SETPIPE_SZ, 1 << 17));
    SHOW("F_GETPIPE_SZ", fcntl(p[0], F_GETPIPE_SZ));
    int on = 0;
    SHOW("FIONBIO off", ioctl(p[0], FIONBIO, &on));
    printf("pipe nonblock %d\n", !!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
    SHOW("FIONCLEX", ioctl(p[0], FIONCLEX));
    SHOW("pipe cloexec", fcntl(p[0], F_GETFD));
    SHOW("FIOCLEX", ioctl(p[0], FIOCLEX));
    SHOW("pipe cloexec", fcntl(p[0], F_GETFD));
    SHOW("pipe2 bad flags", pipe2(p, O_APPEND));
    SHOW("pipe2 bad pointer", syscall(SYS_pipe2, (int *)8, 0));
    close(p[0]);
    close(p[1]);
    SHOW("pipe2 O_DIRECT", pipe2(p, O_DIRECT));
    printf("packet pipe direct %d\n", !!(fcntl(p[1], F_GETFL) & O_DIRECT));
    close(p[0]);
    close(p[1]);

    write_file("src", "0123456789abcdefghij");
    int in = open("src", O_RDONLY), out = open("dst", O_RDWR | O_CREAT | O_TRUNC, 0644);
    off_t off = 5;
    SHOW("sendfile offset", sendfile(out, in, &off, 6));
    printf("offset now %lld file pos %lld\n", (long long)off, (long long)lseek(in, 0, SEEK_CUR));
    SHOW("sendfile", sendfile(out, in, NULL, 3));
    printf("file pos %lld\n", (long long)lseek(in, 0, SEEK_CUR));
    loff_t oi = 10, oo = 100;
    SHOW("copy_file_range", copy_file_range(in, &oi, out, &oo, 4, 0));
    printf("offsets %lld %lld\n", (long long)oi, (long long)oo);
    SHOW("copy_file_range no offsets", copy_file_range(in, NULL, out, NULL, 2, 0));
    SHOW("copy_file_range bad flags", copy_file_range(in, NULL, out, NULL, 2, 1));
    memset(buf, 0, sizeof buf);
    SHOW("pread dst", pread(out, buf, 11, 0));
    printf("dst: %s\n", buf);
    memset(buf, 0, sizeof buf);
    SHOW("pread dst tail", pread(out, buf, 4, 100));
    printf("dst tail: %s\n", buf);
    SHOW("sendfile bad fd", sendfile(out, 999, NULL, 3));
    close(in);
    close(out);
}

static void statx_and_statfs(void) {
    write_file("sx", "statx!");
    struct statx sx;
    SHOW("statx", statx(AT_FDCWD, "sx", 0, STATX_BASIC_STATS, &sx));
    printf("statx size %llu mode %o nlink %u basic %d\n", (unsigned long long)sx.stx_size,
           sx.stx_mode & 07777, sx.stx_nlink, (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
    struct stat st;
    stat("sx", &st);
    printf("statx agrees with stat: ino %d size %d blocks %d\n", sx.stx_ino == st.st_ino,
           (off_t)sx.stx_size == st.st_size, (blkcnt_t)sx.stx_blocks == st.st_blocks);
    int fd = open("sx", O_RDONLY);
    SHOW("statx empty path", statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx));
    printf("size %llu\n", (unsigned long long)sx.stx_size);
    SHOW("statx missing", statx(AT_FDCWD, "missing", 0, STATX_BASIC_STATS, &sx));
    SHOW("statx bad buf", syscall(SYS_statx, AT_FDCWD, "sx", 0, STATX_BASIC_STATS, (void *)8));
    SHOW("statx bad flags", statx(AT_FDCWD, "sx", 0x7fff0000, STATX_BASIC_STATS, &sx));
    SHOW("fstat bad buf", syscall(SYS_fstat, fd, (void *)8));
    struct statfs a, b;
    SHOW("statfs", statfs(".", &a));
    SHOW("fstatfs", fstatfs(fd, &b));
    printf("statfs same type %d bsize %d namelen %ld positive bsize %d\n", a.f_type == b.f_type,
           a.f_bsize == b.f_bsize, (long)a.f_namelen, a.f_bsize > 0);
    SHOW("statfs missing", statfs("missing", &a));
    close(fd);
    SHOW("mkfifo", mkfifo("fifo", 0600));
    stat("fifo", &st);
    printf("fifo %d\n", S_ISFIFO(st.st_mode));
    SHOW("mknod reg", mknod("node", S_IFREG | 0600, 0));
    stat("node", &st);
    printf("node reg %d mode %o\n", S_ISREG(st.st_mode), st.st_mode & 07777);
    SHOW("mknodat exists", mknodat(AT_FDCWD, "node", S_IFREG | 0600, 0));
}

static void access_checks(void) {
    write_file("acc", "");
    chmod("acc", 0644);
    SHOW("access F_OK", access("acc", F_OK));
    SHOW("access R_OK", access("acc", R_OK));
    SHOW("access X_OK", access("acc", X_OK));
    SHOW("access missing", access("missing", F_OK));
    SHOW("access through file", access("acc/x", F_OK));
    SHOW("faccessat", faccessat(AT_FDCWD, "acc", R_OK | W_OK, 0));
    SHOW("faccessat eaccess", faccessat(AT_FDCWD, "acc", R_OK, AT_EACCESS));
    symlink("missing", "dangling");
    SHOW("faccessat dangling", faccessat(AT_FDCWD, "dangling", F_OK, 0));
    SHOW("faccessat nofollow", faccessat(AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
    SHOW("faccessat2 raw bad flags", syscall(SYS_faccessat2, AT_FDCWD, "acc", F_OK, 0x1));
    SHOW("access bad mode", access("acc", 0100));
    SHOW("access bad pointer", syscall(SYS_faccessat, AT_FDCWD, (char *)8, F_OK));
}

static void cwd(const char *dir) {
    char here[PATH_MAX], real[PATH_MAX], buf[PATH_MAX];
    realpath(dir, real);
    SHOW("chdir", chdir(dir));
    SHOW("getcwd", getcwd(here, sizeof here) != NULL);
    printf("getcwd matches %d\n", strcmp(here, real) == 0);
    long n = syscall(SYS_getcwd, buf, sizeof buf);
    printf("raw getcwd returns length+1 %d\n", n == (long)strlen(real) + 1);
    SHOW("getcwd small", getcwd(buf, 2) != NULL ? 0 : -1);
    SHOW("getcwd bad pointer", syscall(SYS_getcwd, (char *)8, sizeof buf));
    mkdir("cw", 0755);
    SHOW("chdir sub", chdir("cw"));
    getcwd(buf, sizeof buf);
    printf("in sub %d\n", strcmp(buf + strlen(real), "/cw") == 0);
    int fd = open("..", O_RDONLY | O_DIRECTORY);
    SHOW("fchdir", fchdir(fd));
    getcwd(buf, sizeof buf);
    printf("back %d\n", strcmp(buf, real) == 0);
    close(fd);
    SHOW("chdir missing", chdir("missing"));
    SHOW("chdir file", chdir("acc"));
    SHOW("fchdir file", fchdir(open("acc", O_RDONLY)));
}

static void not_a_tty(void) {
    int fd = open("acc", O_RDONLY);
    struct termios tio;
    SHOW("isatty file", isatty(fd));
    printf("isatty errno %s\n", en(errno));
    SHOW("tcgetattr file", tcgetattr(fd, &tio));
    struct winsize ws;
    SHOW("TIOCGWINSZ file", ioctl(fd, TIOCGWINSZ, &ws));
    /* the kernel says ENOTTY, qemu-user ENOSYS: only the failure is compared */
    printf("unknown ioctl fails %d\n", ioctl(fd, 0x12345678, 0) == -1);
    close(fd);
}

int main(int argc, char **argv) {
    /* a fresh directory of our own inside argv[1]: runs side by side never meet */
    char tmpl[] = "run.XXXXXX", top[PATH_MAX];
    if (argc < 2 || chdir(argv[1]) || !mkdtemp(tmpl) || chdir(tmpl) || !getcwd(top, sizeof top)) {
        fprintf(stderr, "usage: files DIR\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("== basic\n"); basic_io();
    printf("== open flags\n"); open_flags();
    printf("== directories\n"); directories();
    printf("== links\n"); links();
    printf("== modes and times\n"); modes_and_times();
    printf("== sizes\n"); sizes();
    printf("== fcntl and dup\n"); fcntl_and_dup();
    printf("== locks\n"); locks();
    printf("== pipes and copies\n"); pipes_and_copies();
    printf("== statx and statfs\n"); statx_and_statfs();
    printf("== access\n"); access_checks();
    printf("== cwd\n"); cwd(top);
    printf("== not a tty\n"); not_a_tty();
    printf("== done\n");
    return 0;
}
