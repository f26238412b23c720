/* Credentials, capabilities, scheduling, I/O priorities, personality: each check
 * prints "<name>: ok" or "<name>: FAIL ...". Run as root, it also drops to
 * nobody in a child and checks the rights are really gone. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void check(const char *name, int ok, long a, long b) {
    if (ok)
        printf("%s: ok\n", name);
    else
        printf("%s: FAIL %ld %ld\n", name, a, b);
    fflush(stdout);
}

struct attr {
    uint32_t size, sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
    uint32_t util_min, util_max;
};

int main(void) {
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0xff, sizeof data);
    long rc = syscall(SYS_capget, &hdr, data);
    int root = geteuid() == 0;
    int has_setuid = (data[0].effective >> CAP_SETUID) & 1;
    check("capget v3: CAP_SETUID effective exactly when root", rc == 0 && has_setuid == root, rc, has_setuid);
    check("capget v3: the upper word is filled in", data[1].effective != 0xffffffffu, data[1].effective, 0);
    hdr.version = 0x1234;
    rc = syscall(SYS_capget, &hdr, data);
    check("capget bad version: EINVAL and the kernel's version", rc == -1 && errno == EINVAL &&
          hdr.version == _LINUX_CAPABILITY_VERSION_3, errno, hdr.version);
    hdr.version = _LINUX_CAPABILITY_VERSION_3;
    syscall(SYS_capget, &hdr, data);
    rc = syscall(SYS_capset, &hdr, data);
    check("capset of the same sets", rc == 0, rc, errno);
    if (root) {
        struct __user_cap_data_struct more[2];
        memcpy(more, data, sizeof more);
        more[0].inheritable |= 1u << CAP_CHOWN;
        rc = syscall(SYS_capset, &hdr, more);
        syscall(SYS_capget, &hdr, data);
        check("capset adds an inheritable capability", rc == 0 && ((data[0].inheritable >> CAP_CHOWN) & 1), rc,
              data[0].inheritable);
    } else {
        printf("capset adds an inheritable capability: ok\n");
    }

    uid_t r, e, s;
    check("setresuid(-1, -1, -1) changes nothing", setresuid(-1, -1, -1) == 0 &&
          getresuid(&r, &e, &s) == 0 && r == getuid() && e == geteuid(), r, e);
    check("setfsuid(-1) returns the fsuid", setfsuid(-1) == (int)geteuid(), setfsuid(-1), geteuid());
    check("setfsgid(-1) returns the fsgid", setfsgid(-1) == (int)getegid(), setfsgid(-1), getegid());

    if (root) {
        const char *path = "/tmp/pyqemu-creds-secret";
        int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
        close(fd);
        pid_t child = fork();
        if (child == 0) {
            int bad = 0;
            if (setresgid(65534, 65534, 65534) != 0) bad |= 1;
            if (setresuid(65534, 65534, 65534) != 0) bad |= 2;
            if (getuid() != 65534 || geteuid() != 65534 || getegid() != 65534) bad |= 4;
            if (setuid(0) != -1 || errno != EPERM) bad |= 8;
            if (open(path, O_RDONLY) != -1 || errno != EACCES) bad |= 16;
            struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
            struct __user_cap_data_struct d[2];
            if (syscall(SYS_capget, &h, d) != 0 || d[0].effective != 0) bad |= 32;
            _exit(bad);
        }
        int status;
        waitpid(child, &status, 0);
        unlink(path);
        check("root drops to nobody: ids, EPERM, EACCES, no capabilities", WIFEXITED(status) &&
              WEXITSTATUS(status) == 0, status, 0);
        child = fork();
        if (child == 0) {
            if (setreuid(65534, 65534) != 0 || setregid(1, 1) != -1 || errno != EPERM) _exit(1);
            _exit(0);
        }
        waitpid(child, &status, 0);
        check("setreuid to nobody, then setregid is refused", WIFEXITED(status) && WEXITSTATUS(status) == 0,
              status, 0);
    } else {
        check("setuid(0) as a user: EPERM", setuid(0) == -1 && errno == EPERM, errno, 0);
        printf("setreuid to nobody, then setregid is refused: ok\n");
    }

    check("sched_getscheduler: SCHED_OTHER", sched_getscheduler(0) == SCHED_OTHER, sched_getscheduler(0), 0);
    check("sched_get_priority_max/min(SCHED_FIFO)", sched_get_priority_max(SCHED_FIFO) == 99 &&
          sched_get_priority_min(SCHED_FIFO) == 1, sched_get_priority_max(SCHED_FIFO), 0);
    check("sched_get_priority_max(bad policy): EINVAL", sched_get_priority_max(12345) == -1 && errno == EINVAL,
          errno, 0);
    struct sched_param sp = {.sched_priority = 77};
    check("sched_getparam", sched_getparam(0, &sp) == 0 && sp.sched_priority == 0, sp.sched_priority, 0);
    sp.sched_priority = 200;
    check("sched_setscheduler(FIFO, 200): EINVAL", sched_setscheduler(0, SCHED_FIFO, &sp) == -1 &&
          errno == EINVAL, errno, 0);
    sp.sched_priority = 0;
    check("sched_setscheduler(SCHED_BATCH)", sched_setscheduler(0, SCHED_BATCH, &sp) == 0 &&
          sched_getscheduler(0) == SCHED_BATCH, sched_getscheduler(0), 0);
    check("sched_setparam back", sched_setscheduler(0, SCHED_OTHER, &sp) == 0 && sched_setparam(0, &sp) == 0,
          errno, 0);
    check("sched_setparam(NULL): EINVAL", syscall(SYS_sched_setparam, 0, NULL) == -1 && errno == EINVAL, errno, 0);
    struct timespec ts = {-1, -1};
    check("sched_rr_get_interval", sched_rr_get_interval(0, &ts) == 0 && ts.tv_sec >= 0 && ts.tv_nsec >= 0,
          ts.tv_sec, ts.tv_nsec);
    struct attr a;
    memset(&a, 0xff, sizeof a);
    rc = syscall(SYS_sched_getattr, 0, &a, sizeof a, 0);
    int niceness = nice(0);
    check("sched_getattr", rc == 0 && a.size == sizeof a && a.sched_policy == SCHED_OTHER &&
          a.sched_nice == niceness, rc, a.size);
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.sched_policy = SCHED_OTHER;
    a.sched_nice = niceness + 1;
    rc = syscall(SYS_sched_setattr, 0, &a, 0);
    memset(&a, 0, sizeof a);
    syscall(SYS_sched_getattr, 0, &a, sizeof a, 0);
    check("sched_setattr one nicer", rc == 0 && a.sched_nice == niceness + 1, rc, a.sched_nice);
    memset(&a, 0, sizeof a);
    a.size = 20;
    rc = syscall(SYS_sched_setattr, 0, &a, 0);
    check("sched_setattr with a short size: E2BIG and the size wanted", rc == -1 && errno == E2BIG &&
          a.size == 56, errno, a.size);

    long prio = syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
    check("ioprio_get", prio >= 0, prio, errno);
    long want = (2 << 13) | 6; /* IOPRIO_CLASS_BE, level 6 */
    rc = syscall(SYS_ioprio_set, 1, 0, want);
    check("ioprio_set then get", rc == 0 && syscall(SYS_ioprio_get, 1, 0) == want, rc,
          syscall(SYS_ioprio_get, 1, 0));
    check("ioprio_get(bad which): EINVAL", syscall(SYS_ioprio_get, 99, 0) == -1 && errno == EINVAL, errno, 0);

    int old = personality(0xffffffff);
    check("personality query: PER_LINUX", (old & 0xff) == PER_LINUX, old, 0);
    personality(old | ADDR_NO_RANDOMIZE);
    check("personality sets ADDR_NO_RANDOMIZE", personality(0xffffffff) & ADDR_NO_RANDOMIZE,
          personality(0xffffffff), 0);
    personality(old);
    return 0;
}
