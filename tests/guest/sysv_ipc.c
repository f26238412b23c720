/* SysV IPC as a program's libc makes it (i386's glibc through the ipc() multiplexer,
 * the others through the direct calls), and on i386 the multiplexer itself called
 * raw as older libcs did. Prints values, not verdicts: the expected output is the
 * same program's on the real kernel (x86) or under qemu-user. Ids, keys and times
 * vary between runs and are printed as facts about them ("set 1"). A mode is printed
 * masked: qemu-user 7.2 writes ipc_perm's mode as 16 bits and leaves the rest of the
 * kernel's 32-bit field as it was. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SHOW(fmt, ...) (printf(fmt "\n", ##__VA_ARGS__), fflush(stdout))

static long r_errno(long r) { return r < 0 ? -errno : r; }

/* semctl's fourth argument is a union semun, as C requires: an int or a pointer there is
 * another value where unions travel differently (32-bit PowerPC passes them by reference,
 * 64-bit big-endian ABIs put an int in the word's high half) */
union semun { int val; struct semid_ds *buf; unsigned short *array; struct seminfo *__buf; };

struct message {
    long mtype;
    char text[32];
};

static void messages(void)
{
    time_t before = time(NULL);
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0640);
    SHOW("msgget: %d", q >= 0);
    struct message m = {5, "five"};
    for (int type = 1; type <= 4; type++) {
        m.mtype = type;
        snprintf(m.text, sizeof m.text, "message %d", type);
        SHOW("msgsnd type %d: %ld", type, r_errno(msgsnd(q, &m, strlen(m.text) + 1, 0)));
    }
    struct msqid_ds ds;
    memset(&ds, 0x55, sizeof ds);
    SHOW("msgctl IPC_STAT: %ld", r_errno(msgctl(q, IPC_STAT, &ds)));
    SHOW("  qnum %lu cbytes %lu lspid ours %d lrpid %d mode %o uid ours %d stime set %d rtime %ld ctime set %d",
         (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes, ds.msg_lspid == getpid(), ds.msg_lrpid,
         ds.msg_perm.mode & 07777, ds.msg_perm.uid == getuid(), ds.msg_stime >= before, (long)ds.msg_rtime,
         ds.msg_ctime >= before);
    struct message r;
    memset(&r, 0, sizeof r);
    long n = msgrcv(q, &r, sizeof r.text, 3, 0);
    SHOW("msgrcv type 3: %ld type %ld '%s'", r_errno(n), r.mtype, r.text);
    n = msgrcv(q, &r, sizeof r.text, -2, 0);
    SHOW("msgrcv type <= 2: %ld type %ld '%s'", r_errno(n), r.mtype, r.text);
    n = msgrcv(q, &r, sizeof r.text, 1, MSG_EXCEPT);
    SHOW("msgrcv MSG_EXCEPT 1: %ld type %ld '%s'", r_errno(n), r.mtype, r.text);
    n = msgrcv(q, &r, 3, 0, 0);
    SHOW("msgrcv too small: %ld", r_errno(n));
    memset(&r, 0, sizeof r);
    n = msgrcv(q, &r, 3, 0, MSG_NOERROR);
    SHOW("msgrcv MSG_NOERROR: %ld type %ld '%.3s'", r_errno(n), r.mtype, r.text);
    n = msgrcv(q, &r, sizeof r.text, 0, IPC_NOWAIT);
    SHOW("msgrcv empty IPC_NOWAIT: %ld", r_errno(n));
    SHOW("msgsnd bad pointer: %ld", r_errno(msgsnd(q, (void *)16, 8, 0)));
    SHOW("msgsnd mtype 0: %ld", r_errno(msgsnd(q, &(struct message){0, "x"}, 2, 0)));
    SHOW("msgrcv bad pointer: %ld", r_errno(msgrcv(q, (void *)16, 8, 0, IPC_NOWAIT)));
    memset(&ds, 0, sizeof ds);
    msgctl(q, IPC_STAT, &ds);
    SHOW("  after: qnum %lu cbytes %lu lrpid ours %d rtime set %d", (unsigned long)ds.msg_qnum,
         (unsigned long)ds.__msg_cbytes, ds.msg_lrpid == getpid(), ds.msg_rtime >= before);
    ds.msg_perm.mode = 0600;
    ds.msg_qbytes = 4096;
    SHOW("msgctl IPC_SET: %ld", r_errno(msgctl(q, IPC_SET, &ds)));
    memset(&ds, 0, sizeof ds);
    msgctl(q, IPC_STAT, &ds);
    SHOW("  mode %o qbytes %lu", ds.msg_perm.mode & 07777, (unsigned long)ds.msg_qbytes);
    struct msginfo info;
    memset(&info, 0, sizeof info);
    int top = msgctl(0, IPC_INFO, (struct msqid_ds *)&info);
    SHOW("msgctl IPC_INFO: index ok %d max %d mnb %d mni %d ssz %d seg %u", top >= 0, info.msgmax, info.msgmnb,
         info.msgmni, info.msgssz, (unsigned)info.msgseg);
    memset(&info, 0, sizeof info);
    top = msgctl(0, MSG_INFO, (struct msqid_ds *)&info);
    SHOW("msgctl MSG_INFO: index ok %d", top >= 0);
    SHOW("msgctl bad command: %ld", r_errno(msgctl(q, 1234, &ds)));
    SHOW("msgctl IPC_RMID: %ld", r_errno(msgctl(q, IPC_RMID, NULL)));
    SHOW("msgsnd removed queue: %ld", r_errno(msgsnd(q, &m, 4, IPC_NOWAIT)));
    SHOW("msgget no such key: %ld", r_errno(msgget(0x7ab1e5, 0)));
}

static void semaphores(void)
{
    time_t before = time(NULL);
    int s = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    SHOW("semget: %d", s >= 0);
    unsigned short all[3] = {1, 2, 3}, back[3] = {0, 0, 0};
    SHOW("semctl SETALL: %ld", r_errno(semctl(s, 0, SETALL, (union semun){.array = all})));
    long rc = r_errno(semctl(s, 0, GETALL, (union semun){.array = back}));
    SHOW("semctl GETALL: %ld %u %u %u", rc, back[0], back[1], back[2]);
    SHOW("semctl SETVAL: %ld", r_errno(semctl(s, 2, SETVAL, (union semun){.val = 7})));
    SHOW("semctl GETVAL: %ld", r_errno(semctl(s, 2, GETVAL)));
    struct sembuf ops[2] = {{0, -1, 0}, {1, 3, SEM_UNDO}};
    SHOW("semop two: %ld", r_errno(semop(s, ops, 2)));
    SHOW("semctl GETPID ours: %d", semctl(s, 0, GETPID) == getpid());
    SHOW("semctl GETVAL 0 1: %d %d", semctl(s, 0, GETVAL), semctl(s, 1, GETVAL));
    struct sembuf would_block = {0, -1, IPC_NOWAIT};
    SHOW("semop IPC_NOWAIT at 0: %ld", r_errno(semop(s, &would_block, 1)));
    struct timespec ts = {0, 20 * 1000 * 1000};
    struct sembuf wait_op = {2, -100, 0};
    SHOW("semtimedop times out: %ld", r_errno(semtimedop(s, &wait_op, 1, &ts)));
    SHOW("semop bad pointer: %ld", r_errno(semop(s, (void *)16, 1)));
    SHOW("semop bad number: %ld", r_errno(semop(s, &(struct sembuf){9, 1, 0}, 1)));
    /* a child waits for semaphore 0; its count is seen, then a post lets it go */
    pid_t child = fork();
    if (child == 0) {
        struct sembuf take = {0, -1, 0};
        _exit(semop(s, &take, 1) == 0 ? 0 : 1);
    }
    int ncnt = 0;
    for (int i = 0; i < 500 && (ncnt = semctl(s, 0, GETNCNT)) == 0; i++)
        usleep(10000);
    SHOW("semctl GETNCNT with a waiter: %d GETZCNT %d", ncnt, semctl(s, 0, GETZCNT));
    struct sembuf post = {0, 1, 0};
    semop(s, &post, 1);
    int status;
    waitpid(child, &status, 0);
    SHOW("waiter done: %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    /* SEM_UNDO in a child is undone when it exits */
    child = fork();
    if (child == 0) {
        struct sembuf up = {2, 5, SEM_UNDO};
        semop(s, &up, 1);
        _exit(semctl(s, 2, GETVAL) == 12 ? 0 : 1);
    }
    waitpid(child, &status, 0);
    SHOW("SEM_UNDO child saw 12: %d, after its exit %d", WEXITSTATUS(status), semctl(s, 2, GETVAL));
    struct semid_ds ds;
    memset(&ds, 0x55, sizeof ds);
    rc = r_errno(semctl(s, 0, IPC_STAT, (union semun){.buf = &ds}));
    SHOW("semctl IPC_STAT: %ld nsems %lu mode %o uid ours %d otime set %d ctime set %d", rc, (unsigned long)ds.sem_nsems, ds.sem_perm.mode & 07777,
         ds.sem_perm.uid == getuid(), ds.sem_otime >= before, ds.sem_ctime >= before);
    ds.sem_perm.mode = 0640;
    SHOW("semctl IPC_SET: %ld", r_errno(semctl(s, 0, IPC_SET, (union semun){.buf = &ds})));
    memset(&ds, 0, sizeof ds);
    semctl(s, 0, IPC_STAT, (union semun){.buf = &ds});
    SHOW("  mode %o", ds.sem_perm.mode & 07777);
    struct seminfo info;
    memset(&info, 0, sizeof info);
    int top = semctl(0, 0, IPC_INFO, (union semun){.__buf = &info});
    SHOW("semctl IPC_INFO: index ok %d mni %d msl %d opm %d vmx %d", top >= 0, info.semmni, info.semmsl,
         info.semopm, info.semvmx);
    SHOW("semctl GETVAL bad number: %ld", r_errno(semctl(s, 5, GETVAL)));
    SHOW("semctl IPC_RMID: %ld", r_errno(semctl(s, 0, IPC_RMID)));
    SHOW("semop removed set: %ld", r_errno(semop(s, &post, 1)));
}

static sigjmp_buf fault_jump;

static void on_segv(int sig)
{
    siglongjmp(fault_jump, sig);
}

static void shared_memory(void)
{
    time_t before = time(NULL);
    int id = shmget(IPC_PRIVATE, 3 * 4096 + 100, IPC_CREAT | 0600);
    SHOW("shmget: %d", id >= 0);
    char *p = shmat(id, NULL, 0);
    SHOW("shmat: %d aligned %d", p != (void *)-1, ((unsigned long)p & 4095) == 0);
    strcpy(p, "written by the parent");
    pid_t child = fork();
    if (child == 0) {
        char *q = shmat(id, NULL, 0);
        int ok = q != (void *)-1 && strcmp(q, "written by the parent") == 0;
        strcpy(q + 8192, "and by the child");
        _exit(ok && shmdt(q) == 0 ? 0 : 1);
    }
    int status;
    waitpid(child, &status, 0);
    SHOW("child attached and wrote: %d, seen '%s'", WEXITSTATUS(status), p + 8192);
    struct shmid_ds ds;
    memset(&ds, 0x55, sizeof ds);
    long rc = r_errno(shmctl(id, IPC_STAT, &ds));
    SHOW("shmctl IPC_STAT: %ld segsz %lu nattch %lu cpid ours %d lpid child %d mode %o atime set %d dtime set %d "
         "ctime set %d", rc, (unsigned long)ds.shm_segsz,
         (unsigned long)ds.shm_nattch, ds.shm_cpid == getpid(), ds.shm_lpid == child, ds.shm_perm.mode & 0777,
         ds.shm_atime >= before, ds.shm_dtime >= before, ds.shm_ctime >= before);
    char *ro = shmat(id, NULL, SHM_RDONLY);
    SHOW("shmat SHM_RDONLY: %d reads '%s'", ro != (void *)-1, ro);
    signal(SIGSEGV, on_segv);
    int sig = sigsetjmp(fault_jump, 1);
    if (sig == 0) {
        ro[0] = 'x';
        SHOW("write to SHM_RDONLY: no fault");
    } else {
        SHOW("write to SHM_RDONLY: signal %d", sig);
    }
    signal(SIGSEGV, SIG_DFL);
    SHOW("shmdt read-only: %ld", r_errno(shmdt(ro)));
    SHOW("shmat bad id: %ld", r_errno((long)shmat(-1, NULL, 0)));
    SHOW("shmat unaligned: %ld", r_errno((long)shmat(id, p + 1, 0)));
    /* SHM_RND rounds down to SHMLBA: inside a range made free for it */
    char *hole = mmap(NULL, 8 * SHMLBA, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(hole, 8 * SHMLBA);
    char *want = (char *)(((unsigned long)hole + 2 * SHMLBA) & ~(unsigned long)(SHMLBA - 1));
    char *rnd = shmat(id, want + 1, SHM_RND);
    SHOW("shmat SHM_RND: %d rounded %d", rnd != (void *)-1, rnd == want);
    if (rnd != (void *)-1)
        shmdt(rnd);
    struct shminfo info;
    memset(&info, 0, sizeof info);
    int top = shmctl(0, IPC_INFO, (struct shmid_ds *)&info);
    SHOW("shmctl IPC_INFO: index ok %d max %lu min %lu mni %lu", top >= 0, (unsigned long)info.shmmax,
         (unsigned long)info.shmmin, (unsigned long)info.shmmni);
    struct shm_info usage;
    memset(&usage, 0, sizeof usage);
    top = shmctl(0, SHM_INFO, (struct shmid_ds *)&usage);
    SHOW("shmctl SHM_INFO: index ok %d used ok %d", top >= 0, usage.used_ids >= 1);
    ds.shm_perm.mode = 0640;
    SHOW("shmctl IPC_SET: %ld", r_errno(shmctl(id, IPC_SET, &ds)));
    memset(&ds, 0, sizeof ds);
    shmctl(id, IPC_STAT, &ds);
    SHOW("  mode %o nattch %lu", ds.shm_perm.mode & 0777, (unsigned long)ds.shm_nattch);
    SHOW("shmctl IPC_RMID while attached: %ld", r_errno(shmctl(id, IPC_RMID, NULL)));
    SHOW("  still readable '%s'", p);
    SHOW("shmdt: %ld", r_errno(shmdt(p)));
    SHOW("shmdt again: %ld", r_errno(shmdt(p)));
    SHOW("shmctl removed: %ld", r_errno(shmctl(id, IPC_STAT, &ds)));
}

#ifdef SYS_ipc
/* The multiplexer as libcs before glibc's own wrappers call it: ipc(call | version << 16,
 * first, second, third, ptr, fifth), the kernel's ksys_ipc/compat_ksys_ipc. */
enum { SEMOP = 1, SEMGET, SEMCTL, SEMTIMEDOP, MSGSND = 11, MSGRCV, MSGGET, MSGCTL, SHMAT = 21, SHMDT, SHMGET,
       SHMCTL };

static long ipc(unsigned call, long first, long second, long third, void *ptr, long fifth)
{
    return r_errno(syscall(SYS_ipc, call, first, second, third, ptr, fifth));
}

static void multiplexer(void)
{
    int q = ipc(MSGGET, IPC_PRIVATE, IPC_CREAT | 0600, 0, NULL, 0);
    SHOW("ipc MSGGET: %d", q >= 0);
    struct message m = {7, "seven"}, r;
    SHOW("ipc MSGSND: %ld", ipc(MSGSND, q, 6, 0, &m, 0));
    m.mtype = 8;
    SHOW("ipc MSGSND: %ld", ipc(MSGSND, q, 6, 0, &m, 0));
    struct { void *msgp; long msgtyp; } kludge = {&r, 8};
    memset(&r, 0, sizeof r);
    long rc = ipc(MSGRCV, q, sizeof r.text, 0, &kludge, 0);
    SHOW("ipc MSGRCV version 0 (ipc_kludge): %ld type %ld '%s'", rc, r.mtype, r.text);
    memset(&r, 0, sizeof r);
    rc = ipc(MSGRCV | 1 << 16, q, sizeof r.text, 0, &r, 0);
    SHOW("ipc MSGRCV version 1: %ld type %ld '%s'", rc, r.mtype, r.text);
    SHOW("ipc MSGRCV version 0 NULL kludge: %ld", ipc(MSGRCV, q, 8, 0, NULL, 0));
    SHOW("ipc MSGRCV version 0 bad kludge: %ld", ipc(MSGRCV, q, 8, 0, (void *)16, 0));
    SHOW("ipc MSGRCV negative size: %ld", ipc(MSGRCV | 1 << 16, q, -1, IPC_NOWAIT, &r, 0));
    struct msqid_ds ds;
    SHOW("ipc MSGCTL IPC_STAT|IPC_64: %ld", ipc(MSGCTL, q, IPC_STAT | 0x100, 0, &ds, 0));
    SHOW("ipc MSGCTL IPC_STAT|IPC_64 bad pointer: %ld", ipc(MSGCTL, q, IPC_STAT | 0x100, 0, (void *)16, 0));
    SHOW("ipc MSGCTL IPC_RMID: %ld", ipc(MSGCTL, q, IPC_RMID, 0, NULL, 0));

    int s = ipc(SEMGET, IPC_PRIVATE, 2, IPC_CREAT | 0600, NULL, 0);
    SHOW("ipc SEMGET: %d", s >= 0);
    /* a union semun, as the kernel reads it through the pointer: a long holding 4 would be
     * val 0 on a 64-bit big-endian ABI (ksys_semctl takes val from the word's high half) */
    union { int val; void *buf; } value = {.val = 4};
    SHOW("ipc SEMCTL SETVAL (semun by reference): %ld", ipc(SEMCTL, s, 1, SETVAL, &value, 0));
    SHOW("ipc SEMCTL GETVAL: %ld", ipc(SEMCTL, s, 1, GETVAL, &value, 0));
    SHOW("ipc SEMCTL NULL semun: %ld", ipc(SEMCTL, s, 1, GETVAL, NULL, 0));
    SHOW("ipc SEMCTL bad semun: %ld", ipc(SEMCTL, s, 1, GETVAL, (void *)16, 0));
    struct sembuf op = {1, -3, 0};
    rc = ipc(SEMOP, s, 1, 0, &op, 0);
    SHOW("ipc SEMOP: %ld then %ld", rc, ipc(SEMCTL, s, 1, GETVAL, &value, 0));
    struct { long tv_sec, tv_nsec; } ts = {0, 10 * 1000 * 1000};  /* the 32-bit timespec */
    op.sem_op = -5;
    /* the timeout in fifth, and in third too, which the call leaves unused but for s390x's
     * ipc: it takes the timeout from there (the kernel's sys_s390_ipc) */
    SHOW("ipc SEMTIMEDOP times out: %ld", ipc(SEMTIMEDOP, s, 1, (long)&ts, &op, (long)&ts));
    SHOW("ipc SEMCTL IPC_RMID: %ld", ipc(SEMCTL, s, 0, IPC_RMID, &value, 0));

    int id = ipc(SHMGET, IPC_PRIVATE, 8192, IPC_CREAT | 0600, NULL, 0);
    SHOW("ipc SHMGET: %d", id >= 0);
    unsigned long address = 0;
    rc = ipc(SHMAT, id, 0, (long)&address, NULL, 0);
    SHOW("ipc SHMAT: %ld address set %d", rc, address != 0);
    if (address)
        strcpy((char *)address, "through ipc");
    SHOW("ipc SHMAT version 1 (iBCS2): %ld", ipc(SHMAT | 1 << 16, id, 0, (long)&address, NULL, 0));
    struct shmid_ds sds;
    memset(&sds, 0, sizeof sds);
    rc = ipc(SHMCTL, id, IPC_STAT | 0x100, 0, &sds, 0);
    SHOW("ipc SHMCTL IPC_STAT|IPC_64: %ld segsz %lu nattch %lu", rc,
         (unsigned long)sds.shm_segsz, (unsigned long)sds.shm_nattch);
    SHOW("ipc SHMCTL IPC_STAT|IPC_64 bad pointer: %ld", ipc(SHMCTL, id, IPC_STAT | 0x100, 0, (void *)16, 0));
    SHOW("ipc SHMDT: %ld", ipc(SHMDT, 0, 0, 0, (void *)address, 0));
    SHOW("ipc SHMCTL IPC_RMID: %ld", ipc(SHMCTL, id, IPC_RMID, 0, NULL, 0));
    SHOW("ipc unknown call: %ld", ipc(99, 0, 0, 0, NULL, 0));
}
#endif

int main(void)
{
    messages();
    semaphores();
    shared_memory();
#ifdef SYS_ipc
    multiplexer();
#endif
    SHOW("done");
    return 0;
}
