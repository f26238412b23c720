/* A call through a bad function pointer: an odd address (1, the one that ends
   Unicorn's emu_start in pyqemu), or one not aligned to an instruction. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_fault(int sig, siginfo_t *info, void *ctx) {
    (void)ctx;
    printf("%s code %d addr %#lx\n", sig == SIGBUS ? "SIGBUS" : sig == SIGSEGV ? "SIGSEGV" : sig == SIGILL ? "SIGILL" : "other",
           info->si_code, (unsigned long)info->si_addr);
    fflush(stdout);
    _exit(0);
}

int main(int argc, char **argv) {
    unsigned long target = strtoul(argc > 1 ? argv[1] : "1", NULL, 0);
    if (argc > 2) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_fault;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGBUS, &sa, NULL);
        sigaction(SIGSEGV, &sa, NULL);
        sigaction(SIGILL, &sa, NULL);
    }
#if defined(_CALL_ELF) && _CALL_ELF == 1
    /* ELFv1 (ppc64): a function pointer is a descriptor {entry, TOC, env} */
    static unsigned long descriptor[3];
    descriptor[0] = target;
    ((void (*)(void))(void *)descriptor)();
#else
    ((void (*)(void))target)();
#endif
    return 1;
}
