/* Thumb's IT state across a TLB fill: a load inside an IT block touches a page for the
 * first time, the IT block ends and a flag-setting move makes EQ false in the same
 * translated block, and the branch starts a new block. An emulator that leaves the
 * load's IT state in the CPU translates that block as if still inside the IT block,
 * and skips its first instruction (EQ is false). */
#include <stdio.h>
#include <sys/mman.h>

#define PAGES 64

__attribute__((target("thumb"), noinline)) static int after_it_block(volatile int *page)
{
    int ran;
    __asm__ volatile(
        ".syntax unified\n\t"
        "movs r3, #0\n\t"
        "cmp r3, r3\n\t"            /* Z = 1: EQ */
        "it eq\n\t"
        "ldreq r1, [%1]\n\t"         /* the page's first access: a TLB fill */
        "movs r2, #1\n\t"           /* Z = 0: EQ false from here */
        "b 1f\n"
        "1:\n\t"
        "add.w r3, r3, #1\n\t"      /* the next block's first instruction */
        "mov %0, r3\n\t"
        : "=r"(ran) : "r"(page) : "r1", "r2", "r3", "cc", "memory");
    return ran;
}

int main(void)
{
    char *pages = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pages == MAP_FAILED)
        return 1;
    int ran = 0;
    for (int i = 0; i < PAGES; i++)
        ran += after_it_block((volatile int *)(pages + i * 4096));
    printf("the block after an IT block with a TLB fill runs: %s (%d of %d)\n",
           ran == PAGES ? "ok" : "FAILED", ran, PAGES);
    return ran == PAGES ? 0 : 1;
}
