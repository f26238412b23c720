/* Terminal ioctls on a pseudo-terminal the program opens itself: isatty,
 * tcgetattr/tcsetattr (TCGETS/TCSETS*), window size, FIONREAD, process group. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static const char *en(int e) { return e ? strerrorname_np(e) : "0"; }

#define SHOW(label, expr) do { errno = 0; long r_ = (long)(expr); \
    if (r_ < 0) printf("%s: -1 %s\n", label, en(errno)); else printf("%s: %ld\n", label, r_); } while (0)

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    SHOW("posix_openpt", master >= 0);
    if (master < 0)
        return 1;
    SHOW("grantpt", grantpt(master));
    SHOW("unlockpt", unlockpt(master));
    char *name = ptsname(master);
    SHOW("ptsname", name != NULL && strncmp(name, "/dev/pts/", 9) == 0);
    int slave = open(name, O_RDWR | O_NOCTTY);
    SHOW("open slave", slave >= 0);
    SHOW("isatty slave", isatty(slave));
    SHOW("isatty master", isatty(master));
    char tty[64];
    SHOW("ttyname_r", ttyname_r(slave, tty, sizeof tty));
    printf("ttyname matches %d\n", strcmp(tty, name) == 0);

    struct termios t;
    SHOW("tcgetattr", tcgetattr(slave, &t));
    printf("default: icanon %d echo %d isig %d icrnl %d opost %d vmin %d veof %d\n",
           !!(t.c_lflag & ICANON), !!(t.c_lflag & ECHO), !!(t.c_lflag & ISIG), !!(t.c_iflag & ICRNL),
           !!(t.c_oflag & OPOST), t.c_cc[VMIN], t.c_cc[VEOF]);
    cfmakeraw(&t);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    cfsetospeed(&t, B9600);
    cfsetispeed(&t, B9600);
    SHOW("tcsetattr TCSANOW", tcsetattr(slave, TCSANOW, &t));
    struct termios back;
    SHOW("tcgetattr again", tcgetattr(slave, &back));
    printf("raw: icanon %d echo %d isig %d opost %d cs8 %d vmin %d speed9600 %d\n",
           !!(back.c_lflag & ICANON), !!(back.c_lflag & ECHO), !!(back.c_lflag & ISIG),
           !!(back.c_oflag & OPOST), (back.c_cflag & CSIZE) == CS8, back.c_cc[VMIN],
           cfgetospeed(&back) == B9600);
    SHOW("tcsetattr TCSADRAIN", tcsetattr(slave, TCSADRAIN, &back));
    SHOW("tcsetattr TCSAFLUSH", tcsetattr(slave, TCSAFLUSH, &back));
    SHOW("tcsetattr bad action", tcsetattr(slave, 42, &back));

    struct winsize ws = {.ws_row = 24, .ws_col = 80, .ws_xpixel = 640, .ws_ypixel = 480};
    SHOW("TIOCSWINSZ", ioctl(master, TIOCSWINSZ, &ws));
    struct winsize got;
    memset(&got, 0, sizeof got);
    SHOW("TIOCGWINSZ", ioctl(slave, TIOCGWINSZ, &got));
    printf("winsize %dx%d %dx%d\n", got.ws_row, got.ws_col, got.ws_xpixel, got.ws_ypixel);

    SHOW("write master", write(master, "abc", 3));
    usleep(100000);
    int avail = -1;
    SHOW("FIONREAD slave", ioctl(slave, FIONREAD, &avail));
    printf("available %d\n", avail);
    char buf[16] = {0};
    SHOW("read slave", read(slave, buf, sizeof buf));
    printf("got %s\n", buf);
    SHOW("write slave", write(slave, "xyz\n", 4));
    usleep(100000);
    memset(buf, 0, sizeof buf);
    SHOW("read master", read(master, buf, sizeof buf));
    printf("got %s", buf);

    /* not our controlling terminal: the kernel says ENOTTY */
    SHOW("tcgetpgrp", tcgetpgrp(slave));
    SHOW("tcgetsid", tcgetsid(slave));
    SHOW("tcflush", tcflush(slave, TCIOFLUSH));
    SHOW("tcdrain", tcdrain(slave));
    SHOW("tcflow", tcflow(slave, TCOON));
    SHOW("tcgetattr bad pointer", ioctl(slave, TCGETS, (void *)8));
    close(slave);
    close(master);
    printf("done\n");
    return 0;
}
