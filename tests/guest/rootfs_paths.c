/* Path semantics inside a root (--rootfs): run with the test's little root as /. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void show_file(const char *label, const char *path) {
    char buf[128] = "";
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("%s: open %s: %s\n", label, path, strerror(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    buf[strcspn(buf, "\n")] = 0;
    printf("%s: %s\n", label, buf);
    close(fd);
}

static void show_cwd(const char *label) {
    char cwd[256];
    printf("%s: %s\n", label, getcwd(cwd, sizeof cwd) ? cwd : strerror(errno));
}

int main(void) {
    char buf[256];
    show_file("plain", "/etc/motd");
    show_file("dotdot", "/../../../etc/motd");
    show_file("abs link", "/abs-link");
    show_file("rel link", "/etc/rel-link");
    show_file("link to dir", "/data-link/motd");
    ssize_t n = readlink("/abs-link", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("readlink: %s\n", buf);
    struct stat st;
    printf("lstat link is link: %d\n", lstat("/abs-link", &st) == 0 && S_ISLNK(st.st_mode));
    printf("stat link is file: %d\n", stat("/abs-link", &st) == 0 && S_ISREG(st.st_mode));
    printf("no escape: %d\n", access("/../../../../../bin/sh", F_OK) != 0 || access("/bin/sh", F_OK) == 0);

    chdir("/etc");
    show_cwd("cwd");
    show_file("relative", "motd");
    show_file("relative dotdot", "../../etc/motd");
    int dir = open("/etc", O_RDONLY | O_DIRECTORY);
    chdir("/");
    show_cwd("cwd");
    int fd = openat(dir, "rel-link", O_RDONLY);
    n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : 0;
    buf[n > 0 ? n : 0] = 0;
    printf("openat dirfd: %s", buf);
    chdir("/etc/../..");
    show_cwd("cwd after ..");
    chdir("/tmp");
    show_cwd("cwd in /tmp");
    chdir("/");

    n = readlink("/proc/self/cwd", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("proc cwd: %s\n", buf);
    n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("proc exe: %s\n", buf);

    /* a link in a bound host tree (/tmp) to an absolute path: the root's file, as in a chroot */
    char in_bind[64];
    snprintf(in_bind, sizeof in_bind, "/tmp/rootfs-paths-%d", (int)getpid());
    symlink("/etc/motd", in_bind);
    show_file("link in /tmp", in_bind);
    unlink(in_bind);

    symlink("/etc/motd", "/made-link");
    show_file("made link", "/made-link");
    mkdir("/newdir", 0755);
    rename("/made-link", "/newdir/moved");
    show_file("renamed", "/newdir/moved");
    unlink("/newdir/moved");
    rmdir("/newdir");
    printf("cleaned: %d\n", access("/newdir", F_OK) != 0);

    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strcpy(addr.sun_path, "/sock");
    printf("bind: %d\n", bind(s, (struct sockaddr *)&addr, sizeof addr));
    socklen_t len = sizeof addr;
    memset(&addr, 0, sizeof addr);
    getsockname(s, (struct sockaddr *)&addr, &len);
    printf("sockname: %s\n", addr.sun_path);
    printf("socket file: %d\n", lstat("/sock", &st) == 0 && S_ISSOCK(st.st_mode));
    unlink("/sock");
    return 0;
}
