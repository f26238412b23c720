/* ioctls of common devices and network interfaces, with their arguments' layouts:
 * RNDGETENTCNT against /proc, SIOCGIFCONF (and its size query) and the SIOCGIF*
 * requests on what it lists, the loop control device, EFAULT for bad pointers.
 * One "name: result" line each. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <linux/random.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *err(int r)
{
    return r < 0 ? strerror(errno) : "0";
}

/* A file of 1 MiB behind loop device `number`: its size as the block device says,
 * its status, then detached again. */
static void loop_round_trip(int number, const char *dir)
{
    char path[4096], dev[64];
    snprintf(path, sizeof path, "%s/loop-backing", dir);
    snprintf(dev, sizeof dev, "/dev/loop%d", number);
    int file = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (file < 0 || ftruncate(file, 1 << 20))
        return perror("backing file");
    int loop = open(dev, O_RDWR);
    if (loop < 0) {
        printf("open %s: %s\n", dev, strerror(errno));
        return;
    }
    printf("LOOP_SET_FD: %s\n", err(ioctl(loop, LOOP_SET_FD, file)));
    struct loop_info64 info;
    memset(&info, 0, sizeof info);
    strcpy((char *)info.lo_file_name, "pyqemu-test");
    info.lo_flags = LO_FLAGS_AUTOCLEAR;
    printf("LOOP_SET_STATUS64: %s\n", err(ioctl(loop, LOOP_SET_STATUS64, &info)));
    memset(&info, 0, sizeof info);
    int r = ioctl(loop, LOOP_GET_STATUS64, &info);
    printf("LOOP_GET_STATUS64: %s, number %d, name %s, autoclear %d\n", err(r), info.lo_number == (unsigned)number,
           info.lo_file_name, !!(info.lo_flags & LO_FLAGS_AUTOCLEAR));
    unsigned long long size = 0;
    r = ioctl(loop, BLKGETSIZE64, &size);
    printf("BLKGETSIZE64: %s, %llu\n", err(r), size);
    int sector = 0;
    r = ioctl(loop, BLKSSZGET, &sector);
    printf("BLKSSZGET: %s, %d\n", err(r), sector);
    printf("LOOP_CLR_FD: %s\n", err(ioctl(loop, LOOP_CLR_FD)));
    close(loop);
    close(file);
    unlink(path);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int fd = open("/dev/urandom", O_RDONLY);
    int count = -1;
    int r = ioctl(fd, RNDGETENTCNT, &count);
    FILE *proc = fopen("/proc/sys/kernel/random/entropy_avail", "r");
    int from_proc = -2;
    if (proc && fscanf(proc, "%d", &from_proc) != 1)
        from_proc = -2;
    /* the pool may change between the two reads: as LTP's ioctl07, allow a little */
    printf("RNDGETENTCNT: %s, agrees with /proc: %d\n", err(r), r == 0 && abs(count - from_proc) <= 32);
    printf("RNDGETENTCNT to a bad pointer: %s\n", err(ioctl(fd, RNDGETENTCNT, (int *)8)));
    close(fd);

    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifconf ifc = {.ifc_len = 0, .ifc_buf = NULL};
    r = ioctl(s, SIOCGIFCONF, &ifc);
    printf("SIOCGIFCONF size query: %s, a whole number of entries: %d\n", err(r),
           r == 0 && ifc.ifc_len > 0 && ifc.ifc_len % sizeof(struct ifreq) == 0);
    int n = ifc.ifc_len / sizeof(struct ifreq);
    struct ifreq reqs[32];
    ifc.ifc_len = sizeof reqs;
    ifc.ifc_req = reqs;
    r = ioctl(s, SIOCGIFCONF, &ifc);
    printf("SIOCGIFCONF: %s, entries as the size said: %d\n", err(r), ifc.ifc_len / (int)sizeof(struct ifreq) == n);
    int lo = -1;
    for (int i = 0; i < ifc.ifc_len / (int)sizeof(struct ifreq); i++) {
        struct sockaddr_in *in = (struct sockaddr_in *)&reqs[i].ifr_addr;
        if (!strcmp(reqs[i].ifr_name, "lo"))
            lo = i;
        if (in->sin_family != AF_INET)
            printf("entry %d: not AF_INET\n", i);
    }
    printf("lo is listed: %d\n", lo >= 0);
    if (lo >= 0) {
        struct sockaddr_in *in = (struct sockaddr_in *)&reqs[lo].ifr_addr;
        printf("lo's address: %s\n", inet_ntoa(in->sin_addr));
        struct ifreq req;
        memset(&req, 0, sizeof req);
        strcpy(req.ifr_name, "lo");
        r = ioctl(s, SIOCGIFFLAGS, &req);
        printf("SIOCGIFFLAGS lo: %s, up and loopback: %d\n", err(r),
               (req.ifr_flags & (IFF_UP | IFF_LOOPBACK)) == (IFF_UP | IFF_LOOPBACK));
        r = ioctl(s, SIOCGIFINDEX, &req);
        int index = req.ifr_ifindex;
        printf("SIOCGIFINDEX lo: %s, as if_nametoindex: %d\n", err(r), index == (int)if_nametoindex("lo"));
        memset(&req, 0, sizeof req);
        req.ifr_ifindex = index;
        r = ioctl(s, SIOCGIFNAME, &req);
        printf("SIOCGIFNAME: %s, %s\n", err(r), req.ifr_name);
        strcpy(req.ifr_name, "lo");
        r = ioctl(s, SIOCGIFMTU, &req);
        printf("SIOCGIFMTU lo: %s, %d\n", err(r), req.ifr_mtu);
        r = ioctl(s, SIOCGIFADDR, &req);
        printf("SIOCGIFADDR lo: %s, %s\n", err(r), inet_ntoa(((struct sockaddr_in *)&req.ifr_addr)->sin_addr));
        r = ioctl(s, SIOCGIFNETMASK, &req);
        printf("SIOCGIFNETMASK lo: %s, %s\n", err(r), inet_ntoa(((struct sockaddr_in *)&req.ifr_netmask)->sin_addr));
    }
    strcpy(reqs[0].ifr_name, "no-such-if0");
    printf("SIOCGIFFLAGS of no interface: %s\n", err(ioctl(s, SIOCGIFFLAGS, &reqs[0])));
    printf("SIOCGIFFLAGS to a bad pointer: %s\n", err(ioctl(s, SIOCGIFFLAGS, (struct ifreq *)8)));
    struct ifconf bad = {.ifc_len = 400, .ifc_buf = (char *)8};
    printf("SIOCGIFCONF to a bad buffer: %s\n", err(ioctl(s, SIOCGIFCONF, &bad)));
    int mark = -1;
    int t = socket(AF_INET, SOCK_STREAM, 0);
    r = ioctl(t, SIOCATMARK, &mark);
    printf("SIOCATMARK: %s, %d\n", err(r), mark);
    close(t);
    close(s);

    int ctl = open("/dev/loop-control", O_RDWR);
    if (ctl < 0) {
        printf("loop-control: %s\n", strerror(errno));
    } else {
        int number = ioctl(ctl, LOOP_CTL_GET_FREE);
        printf("LOOP_CTL_GET_FREE: %s\n", number >= 0 ? "a device number" : strerror(errno));
        if (number >= 0 && argc > 1)
            loop_round_trip(number, argv[1]);
        close(ctl);
    }
    return 0;
}
