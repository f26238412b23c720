/* Dies of SIGABRT, the way abort() does. */
#include <stdlib.h>

int main(void)
{
    abort();
}
