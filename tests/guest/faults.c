/* A guest that dies of a synchronous fault, chosen by argv[1]. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    printf("before %s\n", what);
    fflush(stdout);
    if (!strcmp(what, "null-write")) {
        *(volatile int *)0 = 1;
    } else if (!strcmp(what, "null-read")) {
        return *(volatile int *)8;
    } else if (!strcmp(what, "readonly-write")) {
        char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        *(volatile char *)(p + 100) = 1;
    } else if (!strcmp(what, "exec-data")) {
        char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
#if defined(_CALL_ELF) && _CALL_ELF == 1
        /* ELFv1 (ppc64): a function pointer is a descriptor {entry, TOC, env} */
        static void *descriptor[3];
        descriptor[0] = p;
        ((void (*)(void))(void *)descriptor)();
#else
        ((void (*)(void))p)();
#endif
    } else if (!strcmp(what, "illegal")) {
        ARCH_ILLEGAL;
    } else if (!strcmp(what, "breakpoint")) {
        ARCH_BREAKPOINT;
    }
    printf("after %s\n", what);
    return 0;
}
