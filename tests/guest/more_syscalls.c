/* The syscalls qemu-user implements beyond the common ones: SysV IPC, POSIX
 * message queues, inotify, memfd and seals, splice/tee/vmsplice, file handles,
 * kcmp, pidfds, sendmmsg/recvmmsg, mincore/mlock, chroot, and the system calls
 * an unprivileged user is refused. Each check prints "<name>: ok" or
 * "<name>: FAIL a b". Argument: a scratch directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <linux/reboot.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void check(const char *name, int ok, long a, long b) {
    if (ok)
        printf("%s: ok\n", name);
    else
        printf("%s: FAIL %ld %ld\n", name, a, b);
    fflush(stdout);
}

static const char *dir;

static char *path(const char *name) {
    static char buf[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
    return buf[i];
}

static void sysv(void) {
    struct msgbuf_ {
        long mtype;
        char text[16];
    } m = {42, "hello"}, r = {0, ""};
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    check("msgget", q >= 0, q, errno);
    check("msgsnd", msgsnd(q, &m, 6, 0) == 0, errno, 0);
    struct msqid_ds ds;
    check("msgctl IPC_STAT: one message, its bytes, our pid", msgctl(q, IPC_STAT, &ds) == 0 && ds.msg_qnum == 1 &&
          ds.__msg_cbytes == 6 && ds.msg_lspid == getpid() && (ds.msg_perm.mode & 0777) == 0600,
          ds.msg_qnum, ds.msg_perm.mode);
    long got = msgrcv(q, &r, sizeof r.text, 42, 0);
    check("msgrcv: mtype and text", got == 6 && r.mtype == 42 && strcmp(r.text, "hello") == 0, got, r.mtype);
    check("msgrcv with IPC_NOWAIT on an empty queue: ENOMSG", msgrcv(q, &r, 16, 0, IPC_NOWAIT) == -1 &&
          errno == ENOMSG, errno, 0);
    struct msginfo info;
    check("msgctl IPC_INFO", msgctl(q, IPC_INFO, (struct msqid_ds *)&info) >= 0 && info.msgmax > 0, info.msgmax, 0);
    check("msgctl IPC_RMID", msgctl(q, IPC_RMID, NULL) == 0 && msgsnd(q, &m, 6, 0) == -1, errno, 0);

    int s = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
    check("semget", s >= 0, s, errno);
    /* the fourth argument is a union semun: an int or a pointer there is another value on
     * some ABIs (s390x: the int lands in the union's second half; 32-bit PowerPC passes
     * a union by reference) */
    union semun { int val; struct semid_ds *buf; unsigned short *array; } five = {.val = 5};
    check("semctl SETVAL/GETVAL", semctl(s, 1, SETVAL, five) == 0 && semctl(s, 1, GETVAL) == 5, semctl(s, 1, GETVAL), 0);
    struct sembuf op = {1, -2, 0};
    check("semop decrements", semop(s, &op, 1) == 0 && semctl(s, 1, GETVAL) == 3, semctl(s, 1, GETVAL), 0);
    unsigned short all[2] = {7, 8}, back[2] = {0, 0};
    check("semctl SETALL/GETALL", semctl(s, 0, SETALL, (union semun){.array = all}) == 0 &&
          semctl(s, 0, GETALL, (union semun){.array = back}) == 0 &&
          back[0] == 7 && back[1] == 8, back[0], back[1]);
    struct sembuf wait_op = {0, -100, 0};
    struct timespec ts = {0, 20 * 1000 * 1000};
    check("semtimedop times out: EAGAIN", semtimedop(s, &wait_op, 1, &ts) == -1 && errno == EAGAIN, errno, 0);
    struct semid_ds sds;
    check("semctl IPC_STAT: nsems", semctl(s, 0, IPC_STAT, (union semun){.buf = &sds}) == 0 && sds.sem_nsems == 2, sds.sem_nsems, 0);
    check("semctl IPC_RMID", semctl(s, 0, IPC_RMID) == 0, errno, 0);

    int shm = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
    check("shmget", shm >= 0, shm, errno);
    pid_t child = fork();
    if (child == 0) { /* attaches on its own, after the fork */
        char *p = shmat(shm, NULL, 0);
        if (p == (void *)-1) _exit(1);
        strcpy(p + 8192, "from the child");
        _exit(shmdt(p) == 0 ? 0 : 2);
    }
    int status;
    waitpid(child, &status, 0);
    char *p = shmat(shm, NULL, SHM_RDONLY);
    check("shmat: another process's writes are seen", p != (void *)-1 && WIFEXITED(status) &&
          WEXITSTATUS(status) == 0 && strcmp(p + 8192, "from the child") == 0, status, 0);
    struct shmid_ds shds;
    check("shmctl IPC_STAT: size, attaches", shmctl(shm, IPC_STAT, &shds) == 0 && shds.shm_segsz == 10000 &&
          shds.shm_nattch == 1 && shds.shm_cpid == getpid(), shds.shm_segsz, shds.shm_nattch);
    check("shmdt", shmdt(p) == 0 && shmctl(shm, IPC_STAT, &shds) == 0 && shds.shm_nattch == 0, shds.shm_nattch, 0);
    check("shmdt of what is not attached: EINVAL", shmdt(p) == -1 && errno == EINVAL, errno, 0);
    /* at an address aligned to SHMLBA: ARM's is 4 pages, MIPS' 256 KiB, and both kernels insist */
    char *area = mmap(NULL, SHMLBA + 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *fixed = area + (-(uintptr_t)area % SHMLBA);
    check("shmat over a mapping without SHM_REMAP: EINVAL", shmat(shm, fixed, 0) == (void *)-1 && errno == EINVAL,
          errno, 0);
    check("shmat at a given address with SHM_REMAP", shmat(shm, fixed, SHM_REMAP) == fixed &&
          strcmp(fixed + 8192, "from the child") == 0, 0, 0);
    check("shmat at an unaligned address: EINVAL", shmat(shm, fixed + 1, 0) == (void *)-1 && errno == EINVAL,
          errno, 0);
    check("shmat a page past an SHMLBA boundary (where SHMLBA is more): EINVAL", SHMLBA == 4096 ||
          (shmat(shm, fixed + 4096, SHM_REMAP) == (void *)-1 && errno == EINVAL), errno, 0);
    shmdt(fixed);
    check("shmctl IPC_RMID", shmctl(shm, IPC_RMID, NULL) == 0, errno, 0);
}

static void mqueues(void) {
    char name[64];
    snprintf(name, sizeof name, "/pyqemu-test-%d", getpid());
    struct mq_attr attr = {0, 4, 32, 0, {0}};
    mqd_t q = mq_open(name, O_CREAT | O_RDWR, 0600, &attr);
    check("mq_open", q >= 0, q, errno);
    check("mq_send", mq_send(q, "low", 4, 1) == 0 && mq_send(q, "high", 5, 9) == 0, errno, 0);
    struct mq_attr now;
    check("mq_getattr: two messages, our sizes", mq_getattr(q, &now) == 0 && now.mq_curmsgs == 2 &&
          now.mq_maxmsg == 4 && now.mq_msgsize == 32, now.mq_curmsgs, now.mq_msgsize);
    char buf[32];
    unsigned prio = 0;
    check("mq_receive: highest priority first", mq_receive(q, buf, sizeof buf, &prio) == 5 && prio == 9 &&
          strcmp(buf, "high") == 0, prio, 0);
    struct mq_attr nb = {O_NONBLOCK, 0, 0, 0, {0}}, old;
    mq_setattr(q, &nb, &old);
    mq_receive(q, buf, sizeof buf, &prio);
    check("mq_setattr O_NONBLOCK: EAGAIN when empty", mq_receive(q, buf, sizeof buf, &prio) == -1 &&
          errno == EAGAIN && old.mq_flags == 0, errno, old.mq_flags);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 20 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    mq_setattr(q, &old, NULL);
    check("mq_timedreceive times out", mq_timedreceive(q, buf, sizeof buf, &prio, &ts) == -1 &&
          errno == ETIMEDOUT, errno, 0);
    check("mq_receive with a small buffer: EMSGSIZE", mq_receive(q, buf, 8, &prio) == -1 && errno == EMSGSIZE,
          errno, 0);
    mq_close(q);
    check("mq_unlink", mq_unlink(name) == 0 && mq_unlink(name) == -1 && errno == ENOENT, errno, 0);
}

static void files(void) {
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    check("inotify_init1", in >= 0 && (fcntl(in, F_GETFD) & FD_CLOEXEC), in, errno);
    int wd = inotify_add_watch(in, dir, IN_CREATE);
    close(open(path("watched"), O_CREAT | O_WRONLY, 0600));
    char ev[512];
    ssize_t n = read(in, ev, sizeof ev);
    struct inotify_event *e = (struct inotify_event *)ev;
    check("inotify: IN_CREATE with the name", n > 0 && e->wd == wd && (e->mask & IN_CREATE) &&
          strcmp(e->name, "watched") == 0, n, e->mask);
    check("inotify_rm_watch", inotify_rm_watch(in, wd) == 0 && inotify_rm_watch(in, wd) == -1 && errno == EINVAL,
          errno, 0);
    check("inotify_add_watch of a missing path: ENOENT", inotify_add_watch(in, path("nothing"), IN_ALL_EVENTS) == -1
          && errno == ENOENT, errno, 0);
    close(in);

    int m = memfd_create("pyqemu", MFD_ALLOW_SEALING);
    check("memfd_create", m >= 0 && write(m, "sealed", 6) == 6, m, errno);
    check("F_ADD_SEALS / F_GET_SEALS", fcntl(m, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK) == 0 &&
          fcntl(m, F_GET_SEALS) == (F_SEAL_WRITE | F_SEAL_SHRINK), fcntl(m, F_GET_SEALS), 0);
    check("a sealed memfd refuses writes: EPERM", write(m, "x", 1) == -1 && errno == EPERM, errno, 0);
    check("memfd_create with bad flags: EINVAL", memfd_create("x", 0x100) == -1 && errno == EINVAL, errno, 0);
    close(m);

    int p1[2], p2[2];
    pipe(p1);
    pipe(p2);
    write(p1[1], "splice me", 9);
    check("tee copies a pipe", tee(p1[0], p2[1], 9, 0) == 9, 0, 0);
    int f = open(path("spliced"), O_CREAT | O_RDWR | O_TRUNC, 0600);
    loff_t off = 100;
    check("splice from a pipe to a file at an offset", splice(p1[0], NULL, f, &off, 9, 0) == 9 && off == 109, off, 0);
    char buf[16] = "";
    check("the spliced bytes", pread(f, buf, 9, 100) == 9 && memcmp(buf, "splice me", 9) == 0, 0, 0);
    read(p2[0], buf, 9);
    struct iovec iov[2] = {{"vm", 2}, {"splice", 6}};
    check("vmsplice into a pipe", vmsplice(p2[1], iov, 2, 0) == 8 && read(p2[0], buf, 8) == 8 &&
          memcmp(buf, "vmsplice", 8) == 0, 0, 0);
    check("sync_file_range", sync_file_range(f, 0, 0, SYNC_FILE_RANGE_WRITE) == 0, errno, 0);
    check("sync_file_range with bad flags: EINVAL", sync_file_range(f, 0, 0, 0x80) == -1 && errno == EINVAL, errno, 0);
    check("readahead", readahead(f, 0, 4096) == 0, errno, 0);
    check("readahead on a pipe: EINVAL", readahead(p1[0], 0, 4096) == -1 && errno == EINVAL, errno, 0);

    struct file_handle *h = malloc(sizeof *h + MAX_HANDLE_SZ);
    h->handle_bytes = 0;
    int mount_id;
    check("name_to_handle_at with no room: EOVERFLOW and the size", name_to_handle_at(AT_FDCWD, path("spliced"), h,
          &mount_id, 0) == -1 && errno == EOVERFLOW && h->handle_bytes > 0, errno, h->handle_bytes);
    int ok = name_to_handle_at(AT_FDCWD, path("spliced"), h, &mount_id, 0) == 0;
    if (ok || errno != EOPNOTSUPP) {
        check("name_to_handle_at", ok, errno, 0);
        int mfd = open(dir, O_RDONLY | O_DIRECTORY);
        int byh = open_by_handle_at(mfd, h, O_RDONLY);
        if (geteuid() == 0) {
            char again[16] = "";
            check("open_by_handle_at opens the same file", byh >= 0 && pread(byh, again, 9, 100) == 9 &&
                  memcmp(again, "splice me", 9) == 0, byh, errno);
        } else {
            check("open_by_handle_at opens the same file", byh == -1 && errno == EPERM, byh, errno);
        }
        close(byh);
        close(mfd);
    } else {
        printf("name_to_handle_at: ok\nopen_by_handle_at opens the same file: ok\n");
    }

    int d = dup(f);
    pid_t me = getpid();
    check("kcmp KCMP_FILE: a dup is the same file", syscall(SYS_kcmp, me, me, KCMP_FILE, f, d) == 0 &&
          syscall(SYS_kcmp, me, me, KCMP_FILE, f, p1[0]) != 0, 0, 0);
    close(d);
    close(f);

    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    int pfd = syscall(SYS_pidfd_open, child, 0);
    check("pidfd_open", pfd >= 0, pfd, errno);
    check("pidfd_send_signal SIGTERM", syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0) == 0, errno, 0);
    int status;
    waitpid(child, &status, 0);
    check("the child died of it", WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, status, 0);
    check("pidfd_send_signal to a dead process: ESRCH", syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0) == -1 &&
          errno == ESRCH, errno, 0);
    close(pfd);
    int self = syscall(SYS_pidfd_open, getpid(), 0);
    int copy = syscall(SYS_pidfd_getfd, self, p1[1], 0);
    check("pidfd_getfd copies a descriptor", copy >= 0 && write(copy, "x", 1) == 1 && read(p1[0], buf, 1) == 1,
          copy, errno);
    close(copy);
    close(self);
    close(p1[0]); close(p1[1]); close(p2[0]); close(p2[1]);
}

static void mmsg(void) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    struct iovec out[3] = {{"one", 3}, {"two!", 4}, {"three", 5}};
    struct mmsghdr msgs[3];
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < 3; i++) {
        msgs[i].msg_hdr.msg_iov = &out[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    check("sendmmsg sends three", sendmmsg(sv[0], msgs, 3, 0) == 3 && msgs[1].msg_len == 4, msgs[1].msg_len, 0);
    char bufs[4][16];
    struct iovec in[4];
    struct mmsghdr rmsgs[4];
    memset(rmsgs, 0, sizeof rmsgs);
    for (int i = 0; i < 4; i++) {
        in[i].iov_base = bufs[i];
        in[i].iov_len = 16;
        rmsgs[i].msg_hdr.msg_iov = &in[i];
        rmsgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(sv[1], rmsgs, 4, MSG_WAITFORONE, NULL);
    check("recvmmsg MSG_WAITFORONE takes the three", n == 3 && rmsgs[2].msg_len == 5 &&
          memcmp(bufs[2], "three", 5) == 0, n, rmsgs[2].msg_len);
    check("recvmmsg on a bad descriptor: EBADF", recvmmsg(-1, rmsgs, 4, 0, NULL) == -1 && errno == EBADF, errno, 0);
    close(sv[0]);
    close(sv[1]);
}

static void memory(void) {
    long page = 4096;
    char *p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[0] = 1;
    p[2 * page] = 1;
    unsigned char vec[4];
    check("mincore: touched pages are resident", mincore(p, 4 * page, vec) == 0 && (vec[0] & 1) && (vec[2] & 1),
          vec[0], vec[2]);
    check("mincore of an unaligned address: EINVAL", mincore(p + 1, page, vec) == -1 && errno == EINVAL, errno, 0);
    munmap(p + 3 * page, page);
    check("mincore over a hole: ENOMEM", mincore(p, 4 * page, vec) == -1 && errno == ENOMEM, errno, 0);
    check("mlock/munlock", mlock(p, page) == 0 && munlock(p, page) == 0, errno, 0);
    check("mlock over a hole: ENOMEM", mlock(p, 4 * page) == -1 && errno == ENOMEM, errno, 0);
    check("mlockall(0): EINVAL", mlockall(0) == -1 && errno == EINVAL, errno, 0);
    check("mlockall(MCL_CURRENT) then munlockall", mlockall(MCL_CURRENT) == 0 && munlockall() == 0, errno, 0);
    munmap(p, 3 * page);
}

static void chroot_check(void) {
    mkdir(path("root"), 0755);
    mkdir(path("root/inside"), 0755);
    close(open(path("root/marker"), O_CREAT | O_WRONLY, 0644));
    pid_t child = fork();
    if (child == 0) {
        int bad = 0;
        if (chroot(path("root")) != 0) _exit(100 + errno);
        if (chdir("/") != 0) bad |= 1;
        if (access("/marker", F_OK) != 0) bad |= 2;
        if (access("/../../marker", F_OK) != 0) bad |= 4; /* ".." stops at the new root */
        if (access("/inside", F_OK) != 0) bad |= 8;
        char cwd[256];
        if (!getcwd(cwd, sizeof cwd) || strcmp(cwd, "/") != 0) bad |= 16;
        _exit(bad);
    }
    int status;
    waitpid(child, &status, 0);
    if (geteuid() == 0)
        check("chroot moves the root, '..' stays inside", WIFEXITED(status) && WEXITSTATUS(status) == 0, status, 0);
    else
        check("chroot moves the root, '..' stays inside", WIFEXITED(status) && WEXITSTATUS(status) == 100 + EPERM,
              status, 0);
    check("chroot to a file: ENOTDIR", chroot(path("root/marker")) == -1 && errno == ENOTDIR, errno, 0);
    check("chroot to nothing: ENOENT", chroot(path("nothing")) == -1 && errno == ENOENT, errno, 0);
}

/* What an unprivileged user gets: run in a child that is nobody (or is already). */
static void unprivileged(void) {
    struct timeval tv = {0, 2000000};
    check("settimeofday with a bad tv_usec: EINVAL", settimeofday(&tv, NULL) == -1 && errno == EINVAL, errno, 0);
    struct timespec ts = {0, 0};
    check("clock_settime(CLOCK_MONOTONIC): EINVAL", clock_settime(CLOCK_MONOTONIC, &ts) == -1 && errno == EINVAL,
          errno, 0);
    struct timex tx = {0};
    int state = adjtimex(&tx);
    check("adjtimex reads the clock state", state >= 0 && tx.tick > 0, state, tx.tick);
    check("clock_adjtime reads it too", clock_adjtime(CLOCK_REALTIME, &tx) >= 0 && tx.tick > 0, tx.tick, 0);
    check("reboot with a bad magic: EINVAL", syscall(SYS_reboot, 1, 2, LINUX_REBOOT_CMD_CAD_ON, NULL) == -1 &&
          errno == EINVAL, errno, 0);
    char name[70];
    memset(name, 'x', sizeof name);
    check("sethostname longer than 64: EINVAL", sethostname(name, 65) == -1 && errno == EINVAL, errno, 0);
    check("setns on a bad descriptor: EBADF", setns(-1, 0) == -1 && errno == EBADF, errno, 0);

    pid_t child = fork();
    if (child == 0) {
        if (geteuid() == 0 && (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0))
            _exit(99);
        int bad = 0, i = 0;
        struct timeval now;
        gettimeofday(&now, NULL);
#define EXPECT(call, err) do { i++; errno = 0; if ((call) != -1 || errno != (err)) bad = bad ? bad : i; } while (0)
        EXPECT(settimeofday(&now, NULL), EPERM);
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        EXPECT(clock_settime(CLOCK_REALTIME, &t), EPERM);
        EXPECT(sethostname("pyqemu", 6), EPERM);
        EXPECT(setdomainname("pyqemu", 6), EPERM);
        EXPECT(mount("none", "/tmp", "tmpfs", 0, NULL), EPERM); /* a path nobody can reach */
        EXPECT(umount2("/tmp", 0), EPERM);
        EXPECT(syscall(SYS_pivot_root, "/tmp", "/tmp"), EPERM);
        EXPECT(unshare(CLONE_NEWNS), EPERM);
        EXPECT(acct(NULL), EPERM);
        EXPECT(swapon("/tmp", 0), EPERM);
        EXPECT(swapoff("/tmp"), EPERM);
        EXPECT(vhangup(), EPERM);
        EXPECT(syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_ON, NULL), EPERM);
        struct timex tx2 = {.modes = ADJ_OFFSET | ADJ_STATUS};
        EXPECT(adjtimex(&tx2), EPERM);
        EXPECT(chroot("/"), EPERM);
        _exit(bad);
    }
    int status;
    waitpid(child, &status, 0);
    check("as a user: settimeofday, clock_settime, sethostname, setdomainname, mount, umount2, pivot_root, "
          "unshare, acct, swapon, swapoff, vhangup, reboot, adjtimex, chroot all EPERM",
          WIFEXITED(status) && WEXITSTATUS(status) == 0, WEXITSTATUS(status), 0);
}

static void errors(void) {
    check("fsync(-1): EBADF", fsync(-1) == -1 && errno == EBADF, errno, 0);
    check("fdatasync(-1): EBADF", fdatasync(-1) == -1 && errno == EBADF, errno, 0);
    check("fchdir(-1): EBADF", fchdir(-1) == -1 && errno == EBADF, errno, 0);
    int fds[2];
    check("pipe2 with impossible flags: EINVAL", pipe2(fds, 0x7fffffff) == -1 && errno == EINVAL, errno, 0);
    struct rlimit big = {RLIM_INFINITY - 1, RLIM_INFINITY - 1}, got;
    getrlimit(RLIMIT_CORE, &got);
    int rc = prlimit(0, RLIMIT_CORE, &big, NULL);
    struct rlimit now;
    prlimit(0, RLIMIT_CORE, NULL, &now);
    check("prlimit64 near RLIM_INFINITY", (rc == 0 && now.rlim_max == RLIM_INFINITY - 1) ||
          (rc == -1 && errno == EPERM), rc, errno);
    prlimit(0, RLIMIT_CORE, &got, NULL);
    check("prlimit64 on pid -1: ESRCH", prlimit(-1, RLIMIT_CORE, NULL, &now) == -1 && errno == ESRCH, errno, 0);
}

int main(int argc, char **argv) {
    dir = argc > 1 ? argv[1] : "/tmp";
    sysv();
    mqueues();
    files();
    mmsg();
    memory();
    chroot_check();
    unprivileged();
    errors();
    return 0;
}
