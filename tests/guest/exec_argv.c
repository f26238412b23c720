/* execv(argv[1], argv[1:]): runs what it is given, as given. */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    execv(argv[1], argv + 1);
    perror("execv");
    return 127;
}
