"""SysV IPC as real programs make it: message queues, semaphore sets and shared memory
through the guest's own libc (tests/guest/sysv_ipc.c), values printed and compared with
the same program on the real kernel (x86) or under qemu-user. Debian's i386 glibc makes
every one of these calls through the ipc() multiplexer; the program also calls ipc()
raw there, with the ipc_kludge of version 0 msgrcv, the semun passed by reference and
shmat's address returned through a pointer."""
import pytest

from conftest import ARCHES, assert_same_as_qemu, build, build_native, run, run_pyqemu, runs_natively
from usermode import cpu

MODES = ["static", "dynamic"]
# What qemu-user 7.2 gets wrong here: it checks msgrcv's buffer before looking at the
# queue (EFAULT; the kernel answers ENOMSG for an empty queue whatever the buffer), shows
# msg_lrpid 0 to aarch64 and riscv64 guests, fails shmat with SHM_RND for arm and cuts
# shmmax to 32 bits where a 64-bit kernel holds it to INT_MAX for a 32-bit process. Those
# lines are compared with the same program built for this host (with the guest's word
# size) and run on its kernel.
QEMU_WRONG = ("msgrcv bad pointer", "  after:", "shmat SHM_RND", "shmctl IPC_INFO")
# and on some guests: its ipc() reads the kludge and the semun before the kernel's NULL
# checks (EFAULT or a value where ksys_ipc says EINVAL); qemu-ppc takes the high words
# PowerPC's msqid64_ds/semid64_ds put first for the times; qemu-s390x keeps a 16-bit
# ipc mode and takes ipc() versions the s390 kernel refuses (sys_s390_ipc: EINVAL)
_QEMU_IPC = ("ipc MSGRCV version 0 NULL kludge", "ipc SEMCTL NULL semun", "ipc SEMCTL bad semun")
QEMU_WRONG_ON = {"ppc": ("  qnum", "semctl IPC_STAT") + _QEMU_IPC, "m68k": _QEMU_IPC, "mipsel": _QEMU_IPC,
                 # qemu-mips 7.2 garbles the big-endian msqid times, qemu-ppc64 reads msg_lspid back as 0
                 "mips": ("  qnum",) + _QEMU_IPC, "ppc64": ("  qnum",) + _QEMU_IPC,
                 "s390x": ("  qnum", "  mode", "semctl IPC_STAT", "shmctl IPC_STAT", "ipc MSGRCV version 1")
                 + _QEMU_IPC}
# what ksys_ipc answers (the lines the host's own run has only where it has ipc(): i386)
KERNEL_IPC = ["ipc MSGRCV version 0 NULL kludge: -22", "ipc SEMCTL NULL semun: -22", "ipc SEMCTL bad semun: -14"]


def _options(arch, mode):
    return ["-L", ARCHES[arch]["sysroot"]] if mode == "dynamic" else []


def _guest_errnos(arch):
    """Text with the host's -errno results (": -42") in the guest's numbering (MIPS' ENOMSG is 35)."""
    import re
    to_guest = cpu.get(arch).ABI.errno.to_guest
    return lambda text: re.sub(r": -(\d+)\b", lambda m: f": -{to_guest(int(m.group(1)))}", text)


@pytest.mark.parametrize("mode", MODES)
def test_sysv_ipc_matches_the_reference(arch, mode):
    prog = build(arch, "sysv_ipc.c", mode)
    res = assert_same_as_qemu(arch, prog, options=_options(arch, mode), timeout=120,
                              qemu_wrong=QEMU_WRONG + QEMU_WRONG_ON.get(arch, ()))
    out = res.stdout.decode()
    assert res.returncode == 0 and out.endswith("done\n"), res.stderr.decode()[-2000:]
    guest = _guest_errnos(arch)
    if not runs_natively(arch):
        host = guest(run([build_native(arch, "sysv_ipc.c")], timeout=120).stdout.decode())
        wrong = QEMU_WRONG + tuple(w for w in QEMU_WRONG_ON.get(arch, ()) if not w.startswith("ipc "))
        assert [line for line in out.splitlines() if line.startswith(wrong)] == \
            [line for line in host.splitlines() if line.startswith(wrong)]
        if any(line.startswith("ipc ") for line in out.splitlines()):
            for line in KERNEL_IPC + (["ipc MSGRCV version 1: -22 type 0 ''"] if arch == "s390x" else []):
                assert line in out.splitlines(), f"{line!r} not in\n{out}"
    # what the kernel does, whoever the reference is
    for line in ["msgrcv type 3: 10 type 3 'message 3'", "msgrcv type <= 2: 10 type 1 'message 1'",
                 "msgrcv MSG_EXCEPT 1: 10 type 2 'message 2'", "msgrcv too small: -7",
                 "msgrcv MSG_NOERROR: 3 type 4 'mes'", "msgrcv empty IPC_NOWAIT: -42", "msgsnd bad pointer: -14",
                 "semctl GETALL: 0 1 2 3", "semctl GETVAL 0 1: 0 5", "semop IPC_NOWAIT at 0: -11",
                 "semtimedop times out: -11", "semctl GETNCNT with a waiter: 1 GETZCNT 0", "waiter done: 0",
                 "SEM_UNDO child saw 12: 0, after its exit 7", "child attached and wrote: 0, seen 'and by the child'",
                 "write to SHM_RDONLY: signal 11", "shmat SHM_RND: 1 rounded 1", "shmdt again: -22"]:
        line = guest(line)
        assert line in out.splitlines(), f"{line!r} not in\n{out}"


@pytest.mark.parametrize("arch", [a for a in ("i386",) if a in ARCHES])
def test_i386_glibc_goes_through_ipc(arch):
    """Debian's i386 glibc (built for kernels before 5.1's direct calls) multiplexes
    through ipc(): -strace shows the calls arriving that way, and the raw section ran."""
    prog = build(arch, "sysv_ipc.c", "static")
    res = run_pyqemu(arch, prog, options=["-strace"], timeout=120)
    trace = res.stderr.decode()
    assert res.returncode == 0, trace[-2000:]
    called = {line.split("(")[0].split()[-1] for line in trace.splitlines() if "(" in line and line.split("(")[0]}
    assert "ipc" in called and not called & {"msgget", "msgsnd", "msgrcv", "semget", "semop", "shmget", "shmat"}, \
        sorted(called)
    out = res.stdout.decode().splitlines()
    for line in ["ipc MSGRCV version 0 (ipc_kludge): 6 type 8 'seven'", "ipc MSGRCV version 1: 6 type 7 'seven'",
                 "ipc MSGRCV version 0 NULL kludge: -22", "ipc MSGRCV version 0 bad kludge: -14",
                 "ipc MSGRCV negative size: -22", "ipc SEMCTL SETVAL (semun by reference): 0", "ipc SEMCTL GETVAL: 4",
                 "ipc SEMCTL NULL semun: -22", "ipc SEMCTL bad semun: -14", "ipc SEMOP: 0 then 1",
                 "ipc SEMTIMEDOP times out: -11", "ipc SHMAT: 0 address set 1", "ipc SHMAT version 1 (iBCS2): -22",
                 "ipc SHMCTL IPC_STAT|IPC_64: 0 segsz 8192 nattch 1", "ipc SHMDT: 0", "ipc unknown call: -38"]:
        assert line in out, f"{line!r} not in\n" + "\n".join(out)
