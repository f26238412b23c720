/* A few calls whose -strace lines the test checks. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int missing = open("/nonexistent/pyqemu-file", O_RDONLY);
    int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
    char buf[16];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    write(1, "strace demo\n", 12);
    return missing == -1 && n > 0 ? 7 : 1;
}
