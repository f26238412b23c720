/* Ends by a signal sent to itself, chosen by argv[1]. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "";
    printf("start %s\n", how);
    fflush(stdout);
    if (!strcmp(how, "abort"))
        abort();
    if (!strcmp(how, "raise-term"))
        raise(SIGTERM);
    if (!strcmp(how, "kill-usr1"))
        kill(getpid(), SIGUSR1);
    if (!strcmp(how, "kill-0"))
        return kill(getpid(), 0) == 0 ? 3 : 4;
    return 9;
}
