/* A signal handler whose alternate stack the kernel cannot write: the kernel
   kills the process with SIGSEGV (it cannot build the frame). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static void handler(int sig) { (void)sig; }

int main(void) {
    char *stack = mmap(NULL, 65536, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    stack_t ss = {.ss_sp = stack, .ss_size = 65536, .ss_flags = 0};
    printf("sigaltstack: %d\n", sigaltstack(&ss, NULL));
    fflush(stdout);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("survived\n");
    return 0;
}
