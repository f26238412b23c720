"""SysV IPC (shmat shared between processes), POSIX message queues, inotify,
memfd and seals, splice/tee/vmsplice, file handles, kcmp, pidfds,
sendmmsg/recvmmsg, mincore/mlock, chroot, what an unprivileged caller of the
system calls gets, and the kernel's errors for bad descriptors and limits: the
guest program (tests/guest/more_syscalls.c) checks each against the kernel's
documented answer, and qemu-user must print the same."""
import os
import subprocess

import pytest

from conftest import build, have_qemu, run_pyqemu, run_qemu
from usermode import cpu

CHECKS = 84


def test_more_syscalls(arch, tmp_path):
    prog = build(arch, "more_syscalls.c", "static")
    mine, theirs = tmp_path / "pyqemu", tmp_path / "qemu"
    mine.mkdir()
    theirs.mkdir()
    res = run_pyqemu(arch, prog, str(mine), timeout=120)
    lines = res.stdout.decode().splitlines()
    failed = [l for l in lines if not l.endswith(": ok")]
    assert not failed and len(lines) == CHECKS, "\n".join(failed) + res.stderr.decode()[-2000:]
    assert res.returncode == 0
    if not have_qemu(arch):
        return
    if cpu.get(arch).ABI.tables.OPEN["O_NONBLOCK"] != os.O_NONBLOCK:
        # qemu-user 7.2 hands mq_setattr's mq_flags to the host as they are, so MIPS'
        # O_NONBLOCK (0x80) is not the host's and the next mq_receive blocks for good:
        # what qemu printed until then must be ours
        with pytest.raises(subprocess.TimeoutExpired) as hung:
            run_qemu(arch, prog, str(theirs), timeout=15)
        printed = (hung.value.stdout or b"").decode().splitlines()
        assert printed[-1] == "mq_receive: highest priority first: ok" and lines[:len(printed)] == printed
        return
    # qemu-s390x 7.2 stores ipc64_perm's mode in 16 bits (0600 reads as 0600 << 16); the
    # s390x kernel's __kernel_mode_t is 32 bits, as glibc's struct (test_layouts checks it)
    differs = QEMU_WRONG.get(arch, ())
    theirs_lines = run_qemu(arch, prog, str(theirs), timeout=120).stdout.decode().splitlines()
    assert [l for l in theirs_lines if not l.startswith(differs)] == [l for l in lines if not l.startswith(differs)]


# qemu-ppc64 7.2 reads msg_lspid back as 0 (the kernel's msqid64_ds, as test_layouts checks
# it against glibc's, has it after msg_qbytes; pyqemu gives the sender's pid there)
QEMU_WRONG = {"s390x": ("msgctl IPC_STAT",), "ppc64": ("msgctl IPC_STAT",)}


def test_chroot_under_rootfs_never_leaves_the_root(arch, tmp_path):
    """Inside --rootfs, chroot moves the guest's root further in; '..' never climbs out."""
    prog = build(arch, "more_syscalls.c", "static")
    root = tmp_path / "root"
    (root / "work").mkdir(parents=True)
    (root / "prog").write_bytes(open(prog, "rb").read())
    os.chmod(root / "prog", 0o755)
    res = run_pyqemu(arch, "/prog", "/work", options=["--rootfs", str(root)], timeout=120)
    lines = res.stdout.decode().splitlines()
    assert "chroot moves the root, '..' stays inside: ok" in lines, res.stdout.decode() + res.stderr.decode()[-2000:]
    assert (root / "work" / "root" / "marker").exists()  # made inside the root, seen on the host there
