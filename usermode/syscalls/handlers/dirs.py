"""Directories: getdents64, getcwd, chdir, fchdir."""
import errno
import os

from ...errors import GuestError
from ...memory.space import PROT_WRITE
from ..argtypes import Fd, OutBuf, Path, Size, UInt
from ..registry import syscall
from . import hostcall


@syscall
def getdents64(t, fd: Fd, dirp: OutBuf, count: UInt):
    # struct linux_dirent64 has fixed-width fields only, so where the guest's
    # layout is the host's (checked, not assumed) the host kernel fills the
    # guest's buffer directly; records are 8-byte aligned on every ABI.
    if not hostcall.same_layout(t, "dirent64"):
        raise GuestError(errno.ENOSYS)
    count = min(count, 0x7FFFF000)  # the kernel's MAX_RW_COUNT; it takes an unsigned int
    buf = hostcall.guest_buffer(t, dirp, count, PROT_WRITE)
    with t.unlocked():  # a directory on a slow file system
        return hostcall.call("getdents64", fd, buf, count)


@syscall
def getcwd(t, buf: OutBuf, size: Size):
    cwd = t.process.paths.guest_cwd() + b"\0"  # under --rootfs, the guest's name for it
    if size < len(cwd):
        raise GuestError(errno.ERANGE)
    t.space.write(buf, cwd)
    return len(cwd)  # the kernel returns the length with the NUL; glibc returns buf


@syscall
def chdir(t, path: Path):
    os.chdir(path)


@syscall
def fchdir(t, fd: Fd):
    hostcall.call("fchdir", fd)  # the raw call: a negative fd is the kernel's EBADF
