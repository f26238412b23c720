/* The initial process state the loader builds: auxv, argv/envp, the stack
 * pointer's alignment, the program break. One "key=value" line each. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

extern char end;  /* first address past .bss, from the linker */
extern char **environ;

static void aux(const char *name, unsigned long type)
{
    printf("%s=%#lx\n", name, getauxval(type));
}

int main(int argc, char **argv, char **envp)
{
    char local[16] __attribute__((aligned(16)));
    uintptr_t sp;
    ARCH_GET_SP(sp);
    printf("sp_mod16=%lu\n", (unsigned long)(sp % 16));
    printf("local_mod16=%lu\n", (unsigned long)((uintptr_t)local % 16));

    aux("AT_PAGESZ", AT_PAGESZ);
    aux("AT_PHENT", AT_PHENT);
    aux("AT_PHNUM", AT_PHNUM);
    printf("AT_PHDR_nonzero=%d\n", getauxval(AT_PHDR) != 0);
    printf("AT_ENTRY_nonzero=%d\n", getauxval(AT_ENTRY) != 0);
    aux("AT_ENTRY", AT_ENTRY);
    printf("AT_BASE_nonzero=%d\n", getauxval(AT_BASE) != 0);
    aux("AT_FLAGS", AT_FLAGS);
    printf("AT_UID_ok=%d\n", getauxval(AT_UID) == getuid());
    printf("AT_EUID_ok=%d\n", getauxval(AT_EUID) == geteuid());
    printf("AT_GID_ok=%d\n", getauxval(AT_GID) == getgid());
    printf("AT_EGID_ok=%d\n", getauxval(AT_EGID) == getegid());
    aux("AT_SECURE", AT_SECURE);
    aux("AT_CLKTCK", AT_CLKTCK);
    aux("AT_HWCAP", AT_HWCAP);
    aux("AT_HWCAP2", AT_HWCAP2);
    printf("AT_MINSIGSTKSZ_nonzero=%d\n", getauxval(AT_MINSIGSTKSZ) != 0);

    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    printf("AT_RANDOM=");
    int nonzero = 0;
    for (int i = 0; rnd && i < 16; i++) {
        printf("%02x", rnd[i]);
        nonzero |= rnd[i];
    }
    printf("\nAT_RANDOM_nonzero=%d\n", nonzero);
    const char *platform = (const char *)getauxval(AT_PLATFORM);
    printf("AT_PLATFORM=%s\n", platform ? platform : "(absent)");
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    printf("AT_EXECFN=%s\n", execfn ? execfn : "(absent)");

    /* the program headers the auxv points at are the file's own */
    const unsigned char *phdr = (const unsigned char *)getauxval(AT_PHDR);
    printf("AT_PHDR_first_type=%u\n", phdr ? *(const unsigned int *)phdr : 0);

    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    printf("argv_end_null=%d\n", argv[argc] == NULL);
    printf("envp_is_environ=%d\n", envp == environ);
    printf("envp_follows_argv=%d\n", envp == argv + argc + 1);
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '@') {
            const char *v = getenv(argv[i] + 1);
            printf("%s=%s\n", argv[i] + 1, v ? v : "(unset)");
        }

    /* the break starts after the highest segment, page arithmetic holds */
    char *brk0 = sbrk(0);
    printf("brk_after_end=%d\n", (uintptr_t)brk0 >= (uintptr_t)&end);
    printf("brk_near_end=%d\n", (uintptr_t)brk0 - (uintptr_t)&end < (64u << 20));
    char *p = sbrk(3 * 4096 + 123);
    char *brk1 = sbrk(0);
    printf("sbrk_grows=%d\n", p == brk0 && brk1 == brk0 + 3 * 4096 + 123);
    memset(p, 0xAB, 3 * 4096 + 123);
    printf("sbrk_shrinks=%d\n", sbrk(-(3 * 4096 + 123)) == brk1 && sbrk(0) == brk0);
    void *m = malloc(100000);
    printf("malloc_ok=%d\n", m != NULL);
    return 0;
}
