/* The smallest real glibc program: argv, stdio, an exit status. */
#include <stdio.h>

int main(int argc, char **argv)
{
    printf("hello from %s with %d argument(s)\n", argv[0], argc - 1);
    for (int i = 1; i < argc; i++)
        printf("argv[%d] = %s\n", i, argv[i]);
    return 42;
}
