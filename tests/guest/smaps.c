/* /proc/self/smaps: a locked, touched mapping of three pages shows as such. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

int main(void)
{
    char *p = mmap(0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(p, 1, 3 * 4096);
    if (mlock(p, 3 * 4096) != 0)
        return 1;
    char line[512], want[32];
    snprintf(want, sizeof want, "%lx-", (unsigned long)p);
    FILE *f = fopen("/proc/self/smaps", "r");
    int on = 0;
    unsigned long start, end;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, want, strlen(want)) == 0) {
            on = 1;
            continue;
        }
        if (on && sscanf(line, "%lx-%lx", &start, &end) == 2)
            break;
        if (on && (strncmp(line, "Size:", 5) == 0 || strncmp(line, "Rss:", 4) == 0 ||
                   strncmp(line, "Locked:", 7) == 0)) {
            char name[32];
            unsigned long kb;
            sscanf(line, "%31s %lu", name, &kb);
            printf("%s %lu\n", name, kb);
        }
    }
    return on ? 0 : 2;
}
