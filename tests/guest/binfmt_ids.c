/* Who a program runs as: binfmt_misc's flag C gives it the set-uid/set-gid
 * identity of its own file, as a native program would get. */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    printf("%s uid=%d euid=%d gid=%d egid=%d\n", argv[0], (int)getuid(), (int)geteuid(),
           (int)getgid(), (int)getegid());
    return 0;
}
